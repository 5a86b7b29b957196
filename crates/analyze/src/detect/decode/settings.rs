//! Small decoders for the remaining bodies: resource locks, policy assignments, diagnostic
//! settings and log sinks, Key Vault access policies, storage keys and exposure settings,
//! run command, VM extensions, SQL firewall rules and Defender plans. Each returns plain
//! facts (name → value) that rules test.

use crate::detect::json::{boolean, find_all, key, path, strings, text};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub type Facts = BTreeMap<String, Value>;

/// `Microsoft.Authorization/locks/write`: `properties.level` (CanNotDelete / ReadOnly).
pub fn lock(body: &Value, f: &mut Facts) {
    if let Some(l) = text(body, "properties.level") {
        f.insert("lock.level".into(), json!(l));
    }
}

/// Policy assignments: enforcement mode, effect parameter; exemptions: category.
pub fn policy(body: &Value, f: &mut Facts) {
    if let Some(m) = text(body, "properties.enforcementMode") {
        f.insert("policy.enforcement_mode".into(), json!(m));
    }
    if let Some(e) = text(body, "properties.parameters.effect.value") {
        f.insert("policy.effect".into(), json!(e));
    }
    if let Some(c) = text(body, "properties.exemptionCategory") {
        f.insert("policy.exemption_category".into(), json!(c));
    }
}

/// Diagnostic settings: whether a write leaves every log category disabled.
pub fn diagnostic(body: &Value, f: &mut Facts) {
    if let Some(Value::Array(logs)) = path(body, "properties.logs") {
        let any_on = logs
            .iter()
            .take(500)
            .any(|l| boolean(l, "enabled") == Some(true));
        f.insert("diag.logs_disabled".into(), json!(!any_on));
    }
}

/// Key Vault access policies (vault write or `accessPolicies/write`): principals and
/// whether any policy grants secret or key read.
pub fn keyvault(body: &Value, f: &mut Facts) {
    let Some(Value::Array(list)) = path(body, "properties.accessPolicies") else {
        return;
    };
    let mut principals = Vec::new();
    let mut perms = Vec::new();
    for p in list.iter().take(1000) {
        if let Some(o) = text(p, "objectId") {
            principals.push(json!(o.to_ascii_lowercase()));
        }
        for kind in ["secrets", "keys", "certificates"] {
            for v in strings(path(p, &format!("permissions.{kind}"))) {
                perms.push(format!("{kind}:{}", v.to_ascii_lowercase()));
            }
        }
    }
    perms.sort();
    perms.dedup();
    let read = perms.iter().any(|p| {
        matches!(
            p.as_str(),
            "secrets:get"
                | "secrets:list"
                | "secrets:all"
                | "keys:get"
                | "keys:all"
                | "certificates:get"
                | "certificates:all"
        )
    });
    f.insert("kv.principals".into(), Value::Array(principals));
    f.insert("kv.permissions".into(), json!(perms));
    f.insert("kv.grants_read".into(), json!(read));
}

/// Storage: key operation kind from the operation name, the regenerated key name, and
/// exposure / recovery settings from account, blob-service and container bodies.
pub fn storage(op: &str, body: Option<&Value>, f: &mut Facts) {
    let o = op.to_ascii_lowercase();
    if o.ends_with("/listkeys/action") {
        f.insert("storage.key_action".into(), json!("list"));
    } else if o.ends_with("/regeneratekey/action") {
        f.insert("storage.key_action".into(), json!("regenerate"));
    }
    let Some(b) = body else { return };
    if let Some(k) = text(b, "keyName") {
        f.insert("storage.key_name".into(), json!(k));
    }
    let flags = [
        (
            "properties.allowBlobPublicAccess",
            "storage.allow_blob_public_access",
        ),
        (
            "properties.allowSharedKeyAccess",
            "storage.allow_shared_key_access",
        ),
        ("properties.supportsHttpsTrafficOnly", "storage.https_only"),
        (
            "properties.deleteRetentionPolicy.enabled",
            "storage.blob_soft_delete",
        ),
        (
            "properties.containerDeleteRetentionPolicy.enabled",
            "storage.container_soft_delete",
        ),
        ("properties.isVersioningEnabled", "storage.versioning"),
    ];
    for (p, name) in flags {
        if let Some(v) = boolean(b, p) {
            f.insert(name.into(), json!(v));
        }
    }
    if let Some(a) = text(b, "properties.networkAcls.defaultAction") {
        f.insert("storage.network_default_action".into(), json!(a));
    }
    if let Some(a) = text(b, "properties.publicAccess") {
        f.insert("storage.container_public_access".into(), json!(a));
    }
}

/// Run command: the command id (`RunPowerShellScript`, `RunShellScript`) and whether a
/// script was sent.
pub fn run_command(body: &Value, f: &mut Facts) {
    if let Some(c) = text(body, "commandId").or_else(|| text(body, "properties.source.commandId")) {
        f.insert("runcmd.command_id".into(), json!(c));
    }
    let script = key(body, "script").is_some() || path(body, "properties.source.script").is_some();
    f.insert("runcmd.script".into(), json!(script));
}

/// Extension types that run code, and those that reset access.
const CODE_EXEC: &[&str] = &[
    "customscript",
    "customscriptextension",
    "customscriptforlinux",
    "runcommandwindows",
    "runcommandlinux",
    "runcommandhandlerwindows",
    "runcommandhandlerlinux",
    "dsc",
];
const ACCESS_RESET: &[&str] = &["vmaccessagent", "vmaccessforlinux"];

/// VM / VMSS extensions: type, publisher and what the extension can do. The extension
/// name in the resource id is used when the body has no type.
pub fn extension(body: Option<&Value>, resource_id: Option<&str>, f: &mut Facts) {
    let ty = body.and_then(|b| text(b, "properties.type")).or_else(|| {
        resource_id
            .and_then(|r| r.rsplit('/').next())
            .map(str::to_string)
    });
    let Some(ty) = ty else { return };
    let lower = ty.to_ascii_lowercase();
    f.insert("ext.type".into(), json!(ty));
    if let Some(p) = body.and_then(|b| text(b, "properties.publisher")) {
        f.insert("ext.publisher".into(), json!(p));
    }
    f.insert(
        "ext.code_exec".into(),
        json!(CODE_EXEC.iter().any(|c| lower == *c)),
    );
    f.insert(
        "ext.access_reset".into(),
        json!(ACCESS_RESET.iter().any(|c| lower == *c)),
    );
    let cmd = body.is_some_and(|b| {
        !find_all(b, "commandToExecute").is_empty() || !find_all(b, "fileUris").is_empty()
    });
    f.insert("ext.command_visible".into(), json!(cmd));
}

/// SQL server firewall rules: the whole Internet, or the "allow Azure services" rule.
pub fn sql_firewall(body: &Value, f: &mut Facts) {
    let (Some(a), Some(b)) = (
        text(body, "properties.startIpAddress"),
        text(body, "properties.endIpAddress"),
    ) else {
        return;
    };
    f.insert(
        "sql.fw_all".into(),
        json!(a == "0.0.0.0" && b == "255.255.255.255"),
    );
    f.insert(
        "sql.fw_azure_services".into(),
        json!(a == "0.0.0.0" && b == "0.0.0.0"),
    );
    f.insert("sql.fw_range".into(), json!(format!("{a}-{b}")));
}

/// Defender for Cloud plan tier (`Free` = plan switched off).
pub fn defender(body: &Value, f: &mut Facts) {
    if let Some(t) = text(body, "properties.pricingTier") {
        f.insert("defender.tier".into(), json!(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_policy_diag() {
        let mut f = Facts::new();
        lock(&json!({"properties": {"level": "CanNotDelete"}}), &mut f);
        policy(
            &json!({"properties": {"enforcementMode": "DoNotEnforce"}}),
            &mut f,
        );
        diagnostic(
            &json!({"properties": {"logs": [{"category": "Administrative", "enabled": false}]}}),
            &mut f,
        );
        assert_eq!(f["lock.level"], json!("CanNotDelete"));
        assert_eq!(f["policy.enforcement_mode"], json!("DoNotEnforce"));
        assert_eq!(f["diag.logs_disabled"], json!(true));
        let mut g = Facts::new();
        diagnostic(
            &json!({"properties": {"logs": [{"enabled": "True"}]}}),
            &mut g,
        );
        assert_eq!(g["diag.logs_disabled"], json!(false));
    }

    #[test]
    fn keyvault_policies() {
        let mut f = Facts::new();
        keyvault(
            &json!({"properties": {"accessPolicies": [{"objectId": "ABC", "permissions": {"secrets": ["Get", "List"], "keys": []}}]}}),
            &mut f,
        );
        assert_eq!(f["kv.grants_read"], json!(true));
        assert_eq!(f["kv.principals"], json!(["abc"]));
        let mut g = Facts::new();
        keyvault(
            &json!({"properties": {"accessPolicies": [{"objectId": "x", "permissions": {"secrets": ["set"]}}]}}),
            &mut g,
        );
        assert_eq!(g["kv.grants_read"], json!(false));
    }

    #[test]
    fn storage_keys_and_settings() {
        let mut f = Facts::new();
        storage(
            "Microsoft.Storage/storageAccounts/listKeys/action",
            None,
            &mut f,
        );
        assert_eq!(f["storage.key_action"], json!("list"));
        let mut f = Facts::new();
        storage(
            "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
            Some(&json!({"keyName": "key1"})),
            &mut f,
        );
        assert_eq!(f["storage.key_action"], json!("regenerate"));
        assert_eq!(f["storage.key_name"], json!("key1"));
        let mut f = Facts::new();
        storage(
            "Microsoft.Storage/storageAccounts/write",
            Some(
                &json!({"properties": {"allowBlobPublicAccess": true, "networkAcls": {"defaultAction": "Allow"}}}),
            ),
            &mut f,
        );
        assert_eq!(f["storage.allow_blob_public_access"], json!(true));
        assert_eq!(f["storage.network_default_action"], json!("Allow"));
    }

    #[test]
    fn runcommand_extension_sql_defender() {
        let mut f = Facts::new();
        run_command(
            &json!({"commandId": "RunShellScript", "script": ["id"]}),
            &mut f,
        );
        assert_eq!(f["runcmd.command_id"], json!("RunShellScript"));
        assert_eq!(f["runcmd.script"], json!(true));
        let mut f = Facts::new();
        extension(
            Some(
                &json!({"properties": {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "settings": {"commandToExecute": "x"}}}),
            ),
            None,
            &mut f,
        );
        assert_eq!(f["ext.code_exec"], json!(true));
        assert_eq!(f["ext.command_visible"], json!(true));
        let mut f = Facts::new();
        extension(None, Some("/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v/extensions/VMAccessForLinux"), &mut f);
        assert_eq!(f["ext.access_reset"], json!(true));
        assert_eq!(f["ext.code_exec"], json!(false));
        let mut f = Facts::new();
        sql_firewall(
            &json!({"properties": {"startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"}}),
            &mut f,
        );
        assert_eq!(f["sql.fw_all"], json!(true));
        let mut f = Facts::new();
        defender(&json!({"properties": {"pricingTier": "Free"}}), &mut f);
        assert_eq!(f["defender.tier"], json!("Free"));
    }
}
