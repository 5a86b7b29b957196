//! Azure RBAC role assignments and custom role definitions: role definition id → built-in
//! role name and tier (formats.md §8.2, detections.md §2.1), principal type, scope depth.

use crate::detect::json::{path, strings, text};
use serde::Serialize;
use serde_json::Value;

/// Built-in role: GUID, name, tier (`privileged`, `sensitive`, `compute`, `low`).
pub const BUILTIN_ROLES: &[(&str, &str, &str)] = &[
    (
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Owner",
        "privileged",
    ),
    (
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Contributor",
        "privileged",
    ),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
        "privileged",
    ),
    (
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "Role Based Access Control Administrator",
        "privileged",
    ),
    (
        "a8889054-8d42-49c9-bc1c-52486c10e7cd",
        "Reservations Administrator",
        "privileged",
    ),
    (
        "92b92042-07d9-4307-87f7-36a593fc5850",
        "Azure File Sync Administrator",
        "privileged",
    ),
    (
        "fb1c8493-542b-48eb-b624-b4c8fea62acd",
        "Security Admin",
        "sensitive",
    ),
    (
        "150f5e0c-0603-4f03-8c7f-cf70034c4e90",
        "Data Purger",
        "sensitive",
    ),
    (
        "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        "Key Vault Administrator",
        "sensitive",
    ),
    (
        "8b54135c-b56d-4d72-a534-26097cfdc8d8",
        "Key Vault Data Access Administrator",
        "sensitive",
    ),
    (
        "4633458b-17de-408a-b874-0445c86b69e6",
        "Key Vault Secrets User",
        "sensitive",
    ),
    (
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        "Key Vault Secrets Officer",
        "sensitive",
    ),
    (
        "f25e0fa2-a7c8-4377-a976-54943a77a395",
        "Key Vault Contributor",
        "sensitive",
    ),
    (
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "Storage Blob Data Owner",
        "sensitive",
    ),
    (
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "Storage Blob Data Contributor",
        "sensitive",
    ),
    (
        "dffb1e0c-446f-4dde-a09f-99eb5cc68b96",
        "Azure Arc Kubernetes Admin",
        "sensitive",
    ),
    (
        "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59",
        "Managed Identity Contributor",
        "sensitive",
    ),
    (
        "f1a07417-d97a-45cb-824c-7a7467783830",
        "Managed Identity Operator",
        "sensitive",
    ),
    (
        "ab8e14d6-4a74-4a29-9ba8-549422addade",
        "Microsoft Sentinel Contributor",
        "sensitive",
    ),
    (
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        "Virtual Machine Contributor",
        "compute",
    ),
    (
        "1c0163c0-47e6-4577-8991-ea5c82e286e4",
        "Virtual Machine Administrator Login",
        "compute",
    ),
    (
        "fb879df8-f326-4884-b1cf-06f3ad86be52",
        "Virtual Machine User Login",
        "compute",
    ),
    (
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        "Storage Blob Data Reader",
        "low",
    ),
    (
        "39bc4728-0917-49c7-9d2c-d95423bc2eb4",
        "Security Reader",
        "low",
    ),
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", "low"),
];

/// Scope depth of an ARM scope string.
pub fn scope_level(scope: &str) -> &'static str {
    let s = scope.trim().trim_end_matches('/').to_ascii_lowercase();
    if s.is_empty() {
        return "root";
    }
    if s.starts_with("/providers/microsoft.management/managementgroups/") {
        return "management_group";
    }
    if s == "/providers/microsoft.authorization" {
        return "root";
    }
    let segs: Vec<&str> = s.split('/').filter(|x| !x.is_empty()).collect();
    match segs.as_slice() {
        ["subscriptions", _] => "subscription",
        ["subscriptions", _, "resourcegroups", _] => "resource_group",
        ["subscriptions", ..] => "resource",
        _ => "unknown",
    }
}

/// Strips a role assignment id to its scope: `<scope>/providers/Microsoft.Authorization/roleAssignments/<id>`.
pub fn scope_of_assignment_id(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let at = lower.rfind("/providers/microsoft.authorization/roleassignments/")?;
    let scope = &id[..at];
    Some(if scope.is_empty() {
        "/".to_string()
    } else {
        scope.to_string()
    })
}

/// The trailing GUID of a role definition id, lower-case and hyphenated.
pub fn role_guid(def: &str) -> Option<String> {
    tokentrail_model::Guid::parse_trailing(def)
        .or_else(|| tokentrail_model::Guid::parse(def))
        .map(|g| g.to_string())
}

/// Name and tier of a built-in role.
pub fn builtin(guid: &str) -> Option<(&'static str, &'static str)> {
    BUILTIN_ROLES
        .iter()
        .find(|(g, _, _)| g.eq_ignore_ascii_case(guid))
        .map(|(_, n, t)| (*n, *t))
}

/// A decoded role assignment.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Assignment {
    pub role_id: Option<String>,
    pub role_name: Option<String>,
    pub tier: String,
    pub principal_id: Option<String>,
    pub principal_type: Option<String>,
    pub scope: Option<String>,
    pub scope_level: Option<String>,
}

/// Decodes a `roleAssignments/write` body; `resource_id` supplies the scope when the body
/// has none.
pub fn assignment(body: &Value, resource_id: Option<&str>) -> Option<Assignment> {
    let def = text(body, "properties.roleDefinitionId");
    let principal_id = text(body, "properties.principalId");
    if def.is_none() && principal_id.is_none() {
        return None;
    }
    let role_id = def.as_deref().and_then(role_guid);
    let known = role_id.as_deref().and_then(builtin);
    let scope = text(body, "properties.scope")
        .or_else(|| text(body, "id").and_then(|i| scope_of_assignment_id(&i)))
        .or_else(|| resource_id.and_then(scope_of_assignment_id));
    Some(Assignment {
        role_name: known.map(|k| k.0.to_string()),
        tier: known.map(|k| k.1).unwrap_or("unknown").to_string(),
        role_id,
        principal_id: principal_id.map(|p| p.to_ascii_lowercase()),
        principal_type: text(body, "properties.principalType"),
        scope_level: scope.as_deref().map(|s| scope_level(s).to_string()),
        scope,
    })
}

/// For a custom role definition: true when its actions grant everything or all of
/// `Microsoft.Authorization`.
pub fn definition_wildcard(body: &Value) -> Option<bool> {
    let perms = path(body, "properties.permissions")?.as_array()?;
    Some(perms.iter().take(100).any(|p| {
        strings(crate::detect::json::key(p, "actions"))
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case("Microsoft.Authorization/*"))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scope_levels() {
        assert_eq!(scope_level("/"), "root");
        assert_eq!(
            scope_level("/providers/Microsoft.Management/managementGroups/mg1"),
            "management_group"
        );
        assert_eq!(scope_level("/subscriptions/s1"), "subscription");
        assert_eq!(
            scope_level("/subscriptions/s1/resourceGroups/rg"),
            "resource_group"
        );
        assert_eq!(
            scope_level(
                "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v"
            ),
            "resource"
        );
        assert_eq!(scope_level("garbage"), "unknown");
    }

    #[test]
    fn owner_assignment_decoded() {
        let body = json!({"Properties": {
            "RoleDefinitionId": "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            "PrincipalId": "AAAAAAAA-0000-0000-0000-000000000001", "PrincipalType": "ServicePrincipal",
            "Scope": "/subscriptions/s1"}});
        let a = assignment(&body, None).unwrap();
        assert_eq!(a.role_name.as_deref(), Some("Owner"));
        assert_eq!(a.tier, "privileged");
        assert_eq!(a.principal_type.as_deref(), Some("ServicePrincipal"));
        assert_eq!(a.scope_level.as_deref(), Some("subscription"));
    }

    #[test]
    fn scope_from_resource_id_and_hyphenless_guid() {
        let body = json!({"properties": {"roleDefinitionId": "acdd72a7338548efbd42f606fba81ae7", "principalId": "p"}});
        let rid = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/x";
        let a = assignment(&body, Some(rid)).unwrap();
        assert_eq!(a.role_name.as_deref(), Some("Reader"));
        assert_eq!(a.tier, "low");
        assert_eq!(a.scope_level.as_deref(), Some("resource_group"));
        let root = assignment(
            &body,
            Some("/providers/Microsoft.Authorization/roleAssignments/x"),
        )
        .unwrap();
        assert_eq!(root.scope_level.as_deref(), Some("root"));
        assert!(assignment(&json!({"x": 1}), None).is_none());
    }

    #[test]
    fn custom_role_wildcards() {
        let w =
            json!({"properties": {"permissions": [{"actions": ["Microsoft.Authorization/*"]}]}});
        assert_eq!(definition_wildcard(&w), Some(true));
        let n = json!({"properties": {"permissions": [{"actions": ["Microsoft.Compute/*/read"]}]}});
        assert_eq!(definition_wildcard(&n), Some(false));
    }
}
