//! The one place that reads Entra audit and sign-in fields. An audit event is serialized
//! to JSON and read through candidate field names (case- and underscore-insensitive), so
//! the richer audit models landing from the ingestion work only need the candidate lists
//! below adjusted. A sign-in view is built from the typed [`SignInFacts`] alone (no full
//! record, no JSON round trip). Both views are flat [`Facts`] maps rules and Sigma aliases
//! read.

use super::cond::Facts;
use super::rules::normalize_name;
use crate::signins::SignInFacts;
use serde_json::{json, Value};
use tokentrail_model::AuditEvent;

/// Entra directory role template ids treated as Tier 0 (detections.md §2.2).
pub const TIER0_ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
    ),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "7698a772-787b-4ac8-901f-60d6b08affd2",
        "Cloud Device Administrator",
    ),
];

/// A key's characters as compared: `_` and `-` dropped, lower-cased.
fn norm_chars(k: &str) -> impl Iterator<Item = char> + '_ {
    k.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
}

/// Whether two keys are equal ignoring case, `_` and `-` (no allocation).
fn same_key(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return norm_ascii(a).eq(norm_ascii(b));
    }
    norm_chars(a).eq(norm_chars(b))
}

fn norm_ascii(k: &str) -> impl Iterator<Item = u8> + '_ {
    k.bytes()
        .filter(|c| *c != b'_' && *c != b'-')
        .map(|c| c.to_ascii_lowercase())
}

fn child<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(n, _)| same_key(n, k))
        .map(|(_, v)| v)
}

/// The first candidate dotted path that resolves to a non-null value.
pub fn pick<'a>(v: &'a Value, candidates: &[&str]) -> Option<&'a Value> {
    candidates.iter().find_map(|p| {
        p.split('.')
            .try_fold(v, |cur, k| child(cur, k))
            .filter(|x| !x.is_null())
    })
}

fn pick_text(v: &Value, candidates: &[&str]) -> Option<String> {
    match pick(v, candidates)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn put<S: AsRef<str>>(f: &mut Facts, k: &'static str, v: Option<S>) {
    if let Some(v) = v {
        f.insert(k.into(), json!(v.as_ref()));
    }
}

/// Accessor: the audit activity name.
pub fn audit_activity(raw: &Value) -> Option<String> {
    pick_text(
        raw,
        &[
            "activity",
            "activity_display_name",
            "activityDisplayName",
            "operation_name",
            "operationName",
            "properties.activityDisplayName",
        ],
    )
}

/// Accessor: the audit initiator (user UPN / id / IP, or app name / app id / SP id).
fn audit_initiator(raw: &Value, f: &mut Facts) {
    let ini = pick(
        raw,
        &[
            "initiator",
            "initiated_by",
            "initiatedBy",
            "properties.initiatedBy",
        ],
    )
    .cloned()
    .unwrap_or(Value::Null);
    put(
        f,
        "initiator.upn",
        pick_text(
            &ini,
            &[
                "user.user_principal_name",
                "user.userPrincipalName",
                "user.upn",
            ],
        ),
    );
    put(
        f,
        "initiator.id",
        pick_text(&ini, &["user.id", "user.object_id"]).map(|s| s.to_ascii_lowercase()),
    );
    put(
        f,
        "initiator.ip",
        pick_text(
            &ini,
            &["user.ip", "user.ip_address", "user.ipAddress", "ip"],
        )
        .or_else(|| pick_text(raw, &["caller_ip", "callerIpAddress"])),
    );
    put(
        f,
        "initiator.app",
        pick_text(&ini, &["app.display_name", "app.displayName", "app.name"]),
    );
    put(
        f,
        "initiator.app_id",
        pick_text(&ini, &["app.app_id", "app.appId"]).map(|s| s.to_ascii_lowercase()),
    );
    put(
        f,
        "initiator.sp_id",
        pick_text(
            &ini,
            &["app.service_principal_id", "app.servicePrincipalId"],
        )
        .map(|s| s.to_ascii_lowercase()),
    );
    let kind = if f.contains_key("initiator.upn") || f.contains_key("initiator.id") {
        Some("user")
    } else if f.contains_key("initiator.app")
        || f.contains_key("initiator.app_id")
        || f.contains_key("initiator.sp_id")
    {
        Some("app")
    } else {
        None
    };
    put(f, "initiator.type", kind.map(str::to_string));
    // Top-level `identity` (e.g. "MS-PIM", "Managed Service Identity").
    put(
        f,
        "identity",
        pick_text(raw, &["identity", "initiator_name"]),
    );
    if !f.contains_key("initiator.app") {
        if let Some(i) = f.get("identity").cloned() {
            f.insert("initiator.app".into(), i);
        }
    }
}

/// A list of audit values as one comma-separated string (strings unquoted).
fn join_values(a: &[Value]) -> String {
    a.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn unquote(s: &str) -> String {
    // Audit old/new values are JSON text, often a quoted string inside a list.
    let t = s.trim();
    match serde_json::from_str::<Value>(t) {
        Ok(Value::String(x)) => x,
        Ok(Value::Array(a)) => join_values(&a),
        _ => t.trim_matches('"').to_string(),
    }
}

/// Accessor: target resources and their modified properties.
fn audit_targets(raw: &Value, f: &mut Facts) {
    let Some(Value::Array(targets)) = pick(
        raw,
        &[
            "targets",
            "target_resources",
            "targetResources",
            "properties.targetResources",
        ],
    ) else {
        return;
    };
    let (mut types, mut ids, mut names, mut props, mut newv) =
        (vec![], vec![], vec![], vec![], vec![]);
    for t in targets.iter().take(50) {
        if let Some(x) = pick_text(t, &["target_type", "type"]) {
            types.push(json!(x));
        }
        if let Some(x) = pick_text(t, &["id"]) {
            ids.push(json!(x.to_ascii_lowercase()));
        }
        if let Some(x) = pick_text(
            t,
            &[
                "display_name",
                "displayName",
                "user_principal_name",
                "userPrincipalName",
            ],
        ) {
            names.push(json!(x));
        }
        if let Some(Value::Array(mps)) = pick(t, &["modified_properties", "modifiedProperties"]) {
            for mp in mps.iter().take(100) {
                let n = pick_text(mp, &["display_name", "displayName", "name"]).unwrap_or_default();
                let nv = match pick(mp, &["new_value", "newValue"]) {
                    Some(Value::String(v)) => unquote(v),
                    Some(Value::Array(a)) => join_values(a),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                if n.eq_ignore_ascii_case("Role.DisplayName") {
                    f.insert("role.name".into(), json!(nv.clone()));
                }
                if n.eq_ignore_ascii_case("Role.TemplateId") {
                    f.insert("role.template_id".into(), json!(nv.to_ascii_lowercase()));
                }
                props.push(json!(n));
                newv.push(format!(
                    "{}={}",
                    props.last().and_then(|p| p.as_str()).unwrap_or(""),
                    nv
                ));
            }
        }
    }
    f.insert("target.type".into(), Value::Array(types));
    f.insert("target.id".into(), Value::Array(ids));
    f.insert("target.name".into(), Value::Array(names));
    f.insert("modified.property".into(), Value::Array(props));
    f.insert("modified.new_values".into(), json!(newv.join("; ")));
}

/// The flat view of an audit event.
pub fn audit_view(e: &AuditEvent) -> Facts {
    let raw = serde_json::to_value(e).unwrap_or(Value::Null);
    audit_view_json(&raw)
}

/// The flat view of an audit record already in JSON form (also used by tests).
pub fn audit_view_json(raw: &Value) -> Facts {
    let mut f = Facts::new();
    if let Some(a) = audit_activity(raw) {
        f.insert("activity_raw".into(), json!(a));
        f.insert("activity".into(), json!(normalize_name(&a)));
    }
    put(
        &mut f,
        "category",
        pick_text(raw, &["category", "properties.category"]),
    );
    put(
        &mut f,
        "result",
        pick_text(raw, &["result", "properties.result"]).map(|s| s.to_ascii_lowercase()),
    );
    put(
        &mut f,
        "service",
        pick_text(
            raw,
            &[
                "logged_by_service",
                "loggedByService",
                "properties.loggedByService",
            ],
        ),
    );
    put(
        &mut f,
        "operation_type",
        pick_text(raw, &["operation_type", "operationType"]),
    );
    put(&mut f, "id", pick_text(raw, &["id"]));
    audit_initiator(raw, &mut f);
    audit_targets(raw, &mut f);
    let tid = f
        .get("role.template_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let rname = f
        .get("role.name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let tier0 = TIER0_ROLES.iter().any(|(id, n)| {
        tid.as_deref() == Some(*id) || rname.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(n))
    });
    f.insert("role.tier0".into(), json!(tier0));
    f
}

/// A sign-in kind as its JSON name (`service_principal`, …).
fn kind_name(k: crate::signins::Kind) -> &'static str {
    use crate::signins::Kind;
    match k {
        Kind::Interactive => "interactive",
        Kind::NonInteractive => "non_interactive",
        Kind::ServicePrincipal => "service_principal",
        Kind::ManagedIdentity => "managed_identity",
        Kind::Adfs => "adfs",
        Kind::Unknown => "unknown",
    }
}

/// Sets `k` to text (reusing the string already there), or removes it.
fn set_str(f: &mut Facts, k: &'static str, v: Option<&str>, lower: bool) {
    match v {
        Some(v) => {
            if let Some(Value::String(old)) = f.get_mut(k) {
                old.clear();
                old.push_str(v);
            } else {
                f.insert(k.into(), Value::String(v.to_string()));
            }
            if lower {
                if let Some(Value::String(t)) = f.get_mut(k) {
                    t.make_ascii_lowercase();
                }
            }
        }
        None => {
            f.remove(k);
        }
    }
}

fn set_bool(f: &mut Facts, k: &'static str, v: Option<bool>) {
    match v {
        Some(b) => match f.get_mut(k) {
            Some(old) => *old = Value::Bool(b),
            None => {
                f.insert(k.into(), Value::Bool(b));
            }
        },
        None => {
            f.remove(k);
        }
    }
}

/// The flat view of a sign-in, from its facts alone. The fields only detections read
/// (error code, protocol, transfer method, result description, resource name, risk state
/// and event types, device compliance and trust type) are filled by
/// [`crate::signins::facts`] from the typed record, already trimmed and never empty.
pub fn signin_view(s: &SignInFacts) -> Facts {
    let mut f = Facts::new();
    signin_view_into(s, &mut f);
    f
}

/// [`signin_view`] written over a map that held another sign-in's view: every key is set or
/// removed, and the strings already there are reused, so a scan over millions of sign-ins
/// allocates only for the views it keeps.
pub fn signin_view_into(s: &SignInFacts, f: &mut Facts) {
    set_str(f, "kind", Some(kind_name(s.kind())), false);
    set_bool(f, "success", Some(s.success));
    set_str(f, "ip", s.ip.as_deref(), false);
    set_str(f, "upn", s.upn.as_deref(), true);
    set_str(f, "object_id", s.object_id.as_deref(), false);
    set_str(f, "app_id", s.app_id.as_deref(), false);
    set_str(f, "app_name", s.app_name.as_deref(), false);
    set_str(f, "resource_id", s.resource_id.as_deref(), false);
    set_str(f, "user_agent", s.user_agent.as_deref(), false);
    set_str(f, "client_app", s.client_app_used.as_deref(), false);
    set_str(f, "auth_requirement", s.auth_requirement.as_deref(), false);
    set_str(
        f,
        "conditional_access",
        s.conditional_access.as_deref(),
        false,
    );
    set_str(f, "risk_level", s.risk_level.as_deref(), true);
    set_str(f, "credential_type", s.credential_type.as_deref(), false);
    set_str(
        f,
        "incoming_token_type",
        s.incoming_token_type.as_deref(),
        false,
    );
    set_str(f, "location", s.location.as_deref(), false);
    set_bool(f, "mfa", s.mfa);
    let single = s
        .auth_requirement
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("singleFactorAuthentication"))
        && s.mfa != Some(true);
    set_bool(f, "single_factor", Some(single));
    set_str(f, "error_code", s.error_code.as_deref(), false);
    set_str(
        f,
        "authentication_protocol",
        s.authentication_protocol.as_deref(),
        false,
    );
    set_str(
        f,
        "original_transfer_method",
        s.original_transfer_method.as_deref(),
        false,
    );
    set_str(
        f,
        "result_description",
        s.result_description.as_deref(),
        false,
    );
    set_str(
        f,
        "resource_display_name",
        s.resource_display_name.as_deref(),
        false,
    );
    set_str(f, "risk_state", s.risk_state.as_deref(), false);
    set_str(
        f,
        "device_compliant",
        s.device_compliant.map(|c| if c { "true" } else { "false" }),
        false,
    );
    set_str(
        f,
        "device_trust_type",
        s.device_trust_type.as_deref(),
        false,
    );
    if s.risk_event_types.is_empty() {
        f.remove("risk_event_types");
    } else {
        f.insert(
            "risk_event_types".into(),
            Value::Array(
                s.risk_event_types
                    .iter()
                    .map(|t| Value::String(t.to_string()))
                    .collect(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signins::{Authn, Kind};
    use std::sync::Arc;

    #[test]
    fn kind_names_are_the_serialized_names() {
        for k in [
            Kind::Interactive,
            Kind::NonInteractive,
            Kind::ServicePrincipal,
            Kind::ManagedIdentity,
            Kind::Adfs,
            Kind::Unknown,
        ] {
            assert_eq!(json!(kind_name(k)), serde_json::to_value(k).unwrap());
        }
    }

    #[test]
    fn a_reused_view_equals_a_fresh_one() {
        let full = SignInFacts {
            id: "a".into(),
            kind: Some(Kind::ServicePrincipal),
            success: true,
            ip: Some("203.0.113.1".into()),
            upn: Some("Eve@Contoso.Example".into()),
            object_id: Some("o".into()),
            app_id: Some("app".into()),
            app_name: Some("n".into()),
            resource_id: Some("r".into()),
            user_agent: Some("ua".into()),
            location: Some("NL".into()),
            authn: Arc::new(Authn {
                client_app_used: Some("c".into()),
                auth_requirement: Some("singleFactorAuthentication".into()),
                conditional_access: Some("success".into()),
                risk_level: Some("HIGH".into()),
                credential_type: Some("clientSecret".into()),
                incoming_token_type: Some("primaryRefreshToken".into()),
                mfa: Some(false),
                error_code: Some("50126".into()),
                authentication_protocol: Some("ropc".into()),
                original_transfer_method: Some("deviceCodeFlow".into()),
                result_description: Some("bad".into()),
                resource_display_name: Some("Azure Resource Manager".into()),
                risk_state: Some("atRisk".into()),
                device_compliant: Some(true),
                device_trust_type: Some("Hybrid".into()),
                risk_event_types: vec!["unfamiliarFeatures".into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        let bare = SignInFacts {
            id: "b".into(),
            ..Default::default()
        };
        let other = SignInFacts {
            kind: Some(Kind::Interactive),
            upn: Some("x@y".into()),
            authn: Arc::new(Authn {
                mfa: Some(true),
                device_compliant: Some(false),
                ..Default::default()
            }),
            ..bare.clone()
        };
        let mut f = Facts::new();
        for s in [&full, &bare, &full, &other, &full, &other, &bare] {
            signin_view_into(s, &mut f);
            assert_eq!(f, signin_view_fresh(s));
        }
    }

    /// The view built from nothing, key by key (the reference for the reused one).
    fn signin_view_fresh(s: &SignInFacts) -> Facts {
        let mut f = Facts::new();
        signin_view_into(s, &mut f);
        f
    }
    use tokentrail_model::SignIn;

    #[test]
    fn audit_view_reads_graph_and_snake_shapes() {
        let raw = json!({"activityDisplayName": "Update application \u{2013} Certificates and secrets management ",
            "category": "ApplicationManagement", "result": "success",
            "initiatedBy": {"user": {"userPrincipalName": "eve@contoso.example", "ipAddress": "203.0.113.9"}},
            "targetResources": [{"id": "APP-1", "type": "Application", "displayName": "billing",
                "modifiedProperties": [{"displayName": "KeyDescription", "newValue": "[\"[KeyIdentifier=k1]\"]"}]}]});
        let f = audit_view_json(&raw);
        assert_eq!(
            f["activity"],
            json!("update application - certificates and secrets management")
        );
        assert_eq!(f["initiator.type"], json!("user"));
        assert_eq!(f["initiator.ip"], json!("203.0.113.9"));
        assert_eq!(f["target.id"], json!(["app-1"]));
        assert!(f["modified.new_values"]
            .as_str()
            .unwrap()
            .contains("KeyIdentifier=k1"));
        let snake = json!({"activity": "Add member to role", "initiated_by": {"app": {"display_name": "MS-PIM"}},
            "target_resources": [{"type": "User", "modified_properties": [
                {"display_name": "Role.TemplateId", "new_value": "\"62E90394-69F5-4237-9190-012177145E10\""}]}]});
        let f = audit_view_json(&snake);
        assert_eq!(f["initiator.app"], json!("MS-PIM"));
        assert_eq!(f["role.tier0"], json!(true));
    }

    #[test]
    fn the_audit_model_is_read_through_its_own_field_names() {
        let e: AuditEvent = serde_json::from_value(json!({
            "id": "a", "activity": "Add member to role", "activity_key": "add member to role", "format": "graph",
            "time": {"utc": "2024-01-01T00:00:00Z", "raw": "2024-01-01T00:00:00Z"},
            "initiator": {"user": {"id": "U1", "upn": "eve@x.example", "ip": "203.0.113.9"}},
            "targets": [{"id": "T1", "target_type": "User", "modified_properties": [
                {"name": "Role.TemplateId", "new_value": ["62E90394-69F5-4237-9190-012177145E10"]}]}],
            "source": {"file": "t", "record": 0}
        }))
        .unwrap();
        let f = audit_view(&e);
        assert_eq!(f["activity"], json!("add member to role"));
        assert_eq!(f["initiator.upn"], json!("eve@x.example"));
        assert_eq!(f["initiator.ip"], json!("203.0.113.9"));
        assert_eq!(f["target.type"], json!(["User"]));
        assert_eq!(f["role.tier0"], json!(true));
    }

    #[test]
    fn signin_view_flags_single_factor() {
        let s = SignInFacts {
            authn: Arc::new(Authn {
                auth_requirement: Some("singleFactorAuthentication".into()),
                ..Default::default()
            }),
            success: true,
            ..Default::default()
        };
        let f = signin_view(&s);
        assert_eq!(f["single_factor"], json!(true));
        assert_eq!(f["kind"], json!("unknown"));
    }

    /// The detection-only sign-in fields as the former JSON round trip read them from the
    /// full record (kept here to prove the typed path gives the same facts).
    fn legacy_signin_extra(raw: &Value) -> Facts {
        let mut f = Facts::new();
        let fields: &[(&str, &[&str])] = &[
            (
                "error_code",
                &[
                    "error_code",
                    "status.error_code",
                    "status.errorCode",
                    "result_type",
                    "resultType",
                ],
            ),
            (
                "authentication_protocol",
                &["authentication_protocol", "authenticationProtocol"],
            ),
            (
                "original_transfer_method",
                &["original_transfer_method", "originalTransferMethod"],
            ),
            (
                "result_description",
                &[
                    "result_description",
                    "resultDescription",
                    "status.failure_reason",
                    "status.failureReason",
                    "failure_reason",
                ],
            ),
            (
                "resource_display_name",
                &[
                    "resource.name",
                    "resource_display_name",
                    "resourceDisplayName",
                ],
            ),
            ("risk_state", &["risk.state", "risk_state", "riskState"]),
            (
                "device_compliant",
                &[
                    "device.is_compliant",
                    "device_detail.is_compliant",
                    "deviceDetail.isCompliant",
                ],
            ),
            (
                "device_trust_type",
                &[
                    "device.trust_type",
                    "device_detail.trust_type",
                    "deviceDetail.trustType",
                ],
            ),
        ];
        for (k, c) in fields {
            put(&mut f, k, pick_text(raw, c));
        }
        if let Some(r) = pick(
            raw,
            &[
                "risk.event_types",
                "risk_event_types",
                "riskEventTypes_v2",
                "risk_event_types_v2",
                "riskEventTypes",
            ],
        ) {
            f.insert("risk_event_types".into(), r.clone());
        }
        f
    }

    #[test]
    fn signin_view_from_facts_matches_the_full_record_reading() {
        let base = json!({
            "id": "r1", "time": {"utc": "2024-01-01T00:00:00Z", "raw": "2024-01-01T00:00:00Z"},
            "sign_in_kind": "interactive", "format": "graph",
            "status": {}, "source": {"file": "t", "record": 0}
        });
        let variants = [
            json!({}),
            json!({"status": {"error_code": 50126, "failure_reason": " Invalid password "},
                "authentication_protocol": "deviceCode", "original_transfer_method": "deviceCodeFlow",
                "resource": {"id": "797f4846-ba00-4fd7-ba43-dac1f8f63013", "name": "Windows Azure Service Management API"},
                "risk": {"state": "atRisk", "event_types": ["unfamiliarFeatures", "anonymizedIPAddress"]},
                "device": {"is_compliant": false, "trust_type": "Azure AD joined"}}),
            json!({"status": {"error_code": 0, "failure_reason": "  "},
                "authentication_protocol": "", "original_transfer_method": " ",
                "resource": {"id": "x"}, "risk": {"level_aggregated": "low"},
                "device": {"is_compliant": true}}),
        ];
        for v in variants {
            let mut j = base.clone();
            for (k, x) in v.as_object().unwrap() {
                j[k] = x.clone();
            }
            let si: SignIn = serde_json::from_value(j).unwrap();
            let raw = serde_json::to_value(&si).unwrap();
            let want = legacy_signin_extra(&raw);
            let got = signin_view(&crate::signins::facts(&si));
            for (k, w) in &want {
                assert_eq!(got.get(k), Some(w), "{k}");
            }
            for k in [
                "error_code",
                "authentication_protocol",
                "original_transfer_method",
                "result_description",
                "resource_display_name",
                "risk_state",
                "device_compliant",
                "device_trust_type",
                "risk_event_types",
            ] {
                assert_eq!(got.contains_key(k), want.contains_key(k), "{k}");
            }
        }
    }
}
