//! The flat fact view of one attributed operation: name, status, caller, identity type,
//! verdict, token and sign-in strength, anomalies, and the decoded body facts.

use super::cond::Facts;
use super::decode;
use crate::finding::OperationFinding;
use crate::operations::Operation;
use serde_json::{json, Value};

fn put(f: &mut Facts, k: &'static str, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
        f.insert(k.into(), json!(v));
    }
}

fn snake<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Facts for one operation and its finding.
pub fn operation_facts(op: &Operation, fin: &OperationFinding) -> Facts {
    let name = op.name();
    let req = op.request_body();
    let resp = op.response_body();
    let mut f: Facts = decode::body_facts(name, req.as_ref(), resp.as_ref(), op.resource_id())
        .into_iter()
        .map(|(k, v)| (k.into(), v))
        .collect();
    f.insert("op".into(), json!(super::rules::normalize_name(name)));
    f.insert("status".into(), snake(&fin.status));
    put(
        &mut f,
        "category",
        op.category().map(str::to_ascii_lowercase).as_deref(),
    );
    put(&mut f, "caller", op.caller());
    put(&mut f, "caller_ip", op.caller_ip());
    put(&mut f, "resource.id", op.resource_id());
    if let Some(e) = op
        .events
        .iter()
        .find(|e| e.resource.resource_type.is_some() || e.resource.resource_group.is_some())
    {
        put(
            &mut f,
            "resource.type",
            e.resource
                .resource_type
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
        );
        put(
            &mut f,
            "resource.group",
            e.resource
                .resource_group
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
        );
    }
    if let Some(m) = op
        .events
        .iter()
        .find_map(|e| e.property("message"))
        .and_then(|v| v.as_str())
    {
        f.insert("message".into(), json!(m));
    }
    f.insert("identity.type".into(), snake(&fin.identity.kind));
    put(&mut f, "identity.upn", fin.identity.upn.as_deref());
    put(
        &mut f,
        "identity.object_id",
        fin.identity.object_id.as_deref(),
    );
    put(&mut f, "identity.app_id", fin.identity.app_id.as_deref());
    f.insert("identity.display".into(), json!(fin.identity.display));
    put(&mut f, "client.app_id", fin.client.app_id.as_deref());
    put(&mut f, "client.name", fin.client.name.as_deref());
    f.insert("verdict".into(), snake(&fin.verdict));
    let amr: Vec<String> = op
        .claims()
        .amr()
        .into_iter()
        .map(str::to_ascii_lowercase)
        .collect();
    if !amr.is_empty() {
        let mfa = amr.iter().any(|m| m.contains("mfa"));
        f.insert("token.mfa".into(), json!(mfa));
        f.insert("token.amr".into(), json!(amr));
    }
    let anomalies: Vec<String> = fin
        .anomalies
        .iter()
        .map(|a| a.split(':').next().unwrap_or("").trim().to_string())
        .collect();
    f.insert(
        "signin.single_factor".into(),
        json!(anomalies.iter().any(|a| a == "single_factor_signin")),
    );
    f.insert(
        "signin.risky".into(),
        json!(anomalies.iter().any(|a| a == "risky_signin")),
    );
    if let Some(o) = &fin.session_origin {
        if let Some(m) = o.mfa {
            f.insert("signin.mfa".into(), json!(m));
        }
    }
    f.insert("signin.linked".into(), json!(fin.sign_in.is_some()));
    if let Some(s) = &fin.sign_in {
        f.insert("signin.id".into(), json!(s.id));
        put(&mut f, "signin.ip", s.ip.as_deref());
    }
    f.insert("anomalies".into(), json!(anomalies));
    // Self-assignment: the caller granted a role to itself.
    if let (Some(p), Some(o)) = (
        f.get("role.principal_id").and_then(Value::as_str),
        fin.identity.object_id.as_deref(),
    ) {
        let same = p.eq_ignore_ascii_case(o);
        f.insert("role.self_assign".into(), json!(same));
    }
    f
}
