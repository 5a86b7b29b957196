//! Serializers: one activity event, sign-in or audit record in each real export shape.
//!
//! REST / `az monitor activity-log list` (formats.md §1), diagnostic-settings resource log
//! (§3), Log Analytics `AzureActivity` rows (§4), Graph beta `signIn` (§5.2) and its
//! diagnostic record (§5.4), Graph `directoryAudit` (§6).

use crate::activity::{split_resource, Caller, Category, Event, Op, Phase};
use crate::clock::Ts;
use crate::known::{self, localized_operation, localized_substatus};
use crate::rng::GuidText;
use crate::world::{IdKind, SignIn, Tenant};
use base64::Engine;
use serde_json::{json, Map, Value};
use tokentrail_model::guid::Guid;

fn ls(v: &str, loc: &str) -> Value {
    json!({"value": v, "localizedValue": loc})
}

fn claims_map(op: &Op, t: &Tenant) -> Option<Map<String, Value>> {
    let pairs = match &op.caller {
        Caller::Token(tok) => tok.claims(t),
        Caller::Service { claims, .. } => claims.clone(),
        Caller::None => return None,
    };
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), Value::String(v));
    }
    Some(m)
}

fn caller_text(op: &Op) -> Option<String> {
    match &op.caller {
        Caller::Token(tok) => Some(tok.who.caller()),
        Caller::Service { caller, .. } => Some(caller.clone()),
        Caller::None => None,
    }
}

fn authorization(op: &Op, t: &Tenant, with_evidence: bool) -> Option<Value> {
    if op.category != Category::Administrative && op.category != Category::Policy {
        return None;
    }
    let scope = if op
        .operation
        .eq_ignore_ascii_case("Microsoft.Authorization/elevateAccess/action")
    {
        "/providers/Microsoft.Authorization".to_string()
    } else {
        op.resource_id.clone()
    };
    let mut a = json!({"action": op.operation, "scope": scope});
    if with_evidence {
        if let (Some((role, def, asg)), Caller::Token(tok)) = (&op.evidence, &op.caller) {
            let principal_type = match tok.who.kind {
                IdKind::User => "User",
                _ => "ServicePrincipal",
            };
            a["evidence"] = json!({
                "role": role,
                "roleAssignmentScope": t.sub_path(),
                "roleAssignmentId": asg.to_string().replace('-', ""),
                "roleDefinitionId": def.replace('-', ""),
                "principalId": tok.who.object_id.s().replace('-', ""),
                "principalType": principal_type,
            });
        }
    }
    Some(a)
}

fn sub_status_value(ev: &Event) -> Value {
    if ev.sub_status.is_empty() {
        json!({"value": "", "localizedValue": ""})
    } else {
        ls(ev.sub_status, &localized_substatus(ev.sub_status))
    }
}

/// The REST / portal JSON shape of one event. `az` drops `channels` and `relatedEvents`
/// and sorts keys (see [`az_event`]).
pub fn rest_event(op: &Op, ev: &Event, t: &Tenant, sr: Guid, for_az: bool) -> Value {
    let (rg, provider, rtype) = split_resource(&op.resource_id);
    let mut m = Map::new();
    if let Some(a) = authorization(op, t, false) {
        m.insert("authorization".into(), a);
    }
    if let Some(c) = caller_text(op) {
        m.insert("caller".into(), Value::String(c));
    }
    if !for_az {
        m.insert("channels".into(), json!("Operation"));
    }
    if let Some(c) = claims_map(op, t) {
        m.insert("claims".into(), Value::Object(c));
    }
    m.insert("correlationId".into(), json!(op.correlation_id.s()));
    m.insert("description".into(), json!(""));
    m.insert("eventDataId".into(), json!(ev.event_data_id.s()));
    let en = match ev.event_name {
        "BeginRequest" => ls("BeginRequest", "Begin request"),
        "EndRequest" => ls("EndRequest", "End request"),
        _ => json!({"value": "", "localizedValue": ""}),
    };
    m.insert("eventName".into(), en);
    m.insert(
        "category".into(),
        ls(op.category.value(), op.category.localized()),
    );
    m.insert("eventTimestamp".into(), json!(ev.time.iso()));
    if op.category == Category::Administrative {
        m.insert(
            "httpRequest".into(),
            json!({"clientRequestId": ev.client_request_id.s(), "clientIpAddress": op.caller_ip, "method": op.method}),
        );
    }
    m.insert(
        "id".into(),
        json!(format!(
            "{}/events/{}/ticks/{}",
            op.resource_id,
            ev.event_data_id,
            ev.time.dotnet_ticks()
        )),
    );
    m.insert("level".into(), json!(op.level));
    m.insert("operationId".into(), json!(op.operation_id));
    m.insert(
        "operationName".into(),
        ls(&op.operation, localized_operation(&op.operation)),
    );
    let mut props = Map::new();
    for (k, v) in op.event_properties(ev, t, sr) {
        props.insert(k.into(), v.map(Value::String).unwrap_or(Value::Null));
    }
    m.insert("properties".into(), Value::Object(props));
    if !for_az {
        m.insert("relatedEvents".into(), json!([]));
    }
    m.insert("resourceGroupName".into(), json!(rg));
    m.insert("resourceProviderName".into(), ls(&provider, &provider));
    m.insert("resourceType".into(), ls(&rtype, &rtype));
    m.insert("resourceId".into(), json!(op.resource_id));
    m.insert("status".into(), ls(ev.status, ev.status));
    m.insert("subStatus".into(), sub_status_value(ev));
    m.insert("submissionTimestamp".into(), json!(ev.submitted.iso()));
    let is_tenant = op.resource_id.starts_with("/providers/");
    m.insert(
        "subscriptionId".into(),
        json!(if is_tenant {
            String::new()
        } else {
            t.subscription_id.s()
        }),
    );
    m.insert("tenantId".into(), json!(t.tenant_id.s()));
    let mut v = Value::Object(m);
    if for_az {
        v.sort_all_objects();
    }
    v
}

/// `az monitor activity-log list -o json` element: REST minus channels/relatedEvents, keys sorted.
pub fn az_event(op: &Op, ev: &Event, t: &Tenant, sr: Guid) -> Value {
    rest_event(op, ev, t, sr, true)
}

fn result_type(status: &str) -> &str {
    match status {
        "Started" => "Start",
        "Accepted" => "Accept",
        "Succeeded" => "Success",
        "Failed" => "Failure",
        other => other,
    }
}

/// One line of a diagnostic-settings `PT1H.json` blob (no eventDataId, no operationId).
pub fn diag_event(op: &Op, ev: &Event, t: &Tenant, sr: Guid) -> Value {
    let mut m = Map::new();
    m.insert("time".into(), json!(ev.time.iso()));
    m.insert("resourceId".into(), json!(op.resource_id.to_uppercase()));
    m.insert("operationName".into(), json!(op.operation.to_uppercase()));
    m.insert("category".into(), json!(op.category.value()));
    m.insert("resultType".into(), json!(result_type(ev.status)));
    m.insert(
        "resultSignature".into(),
        json!(format!("{}.{}", ev.status, ev.sub_status)),
    );
    m.insert(
        "durationMs".into(),
        json!(if ev.phase == Phase::End {
            op.duration_ms
        } else {
            0
        }),
    );
    if op.category == Category::Administrative {
        m.insert("callerIpAddress".into(), json!(op.caller_ip));
    }
    m.insert("correlationId".into(), json!(op.correlation_id.s()));
    let mut ident = Map::new();
    if let Some(a) = authorization(op, t, true) {
        ident.insert("authorization".into(), a);
    }
    if let Some(c) = claims_map(op, t) {
        ident.insert("claims".into(), Value::Object(c));
    }
    m.insert("identity".into(), Value::Object(ident));
    m.insert(
        "level".into(),
        json!(if op.level == "Informational" {
            "Information"
        } else {
            op.level
        }),
    );
    m.insert("location".into(), json!("global"));
    let mut props = Map::new();
    if op.category == Category::Administrative {
        for (k, v) in op.event_properties(ev, t, sr) {
            props.insert(k.into(), v.map(Value::String).unwrap_or(Value::Null));
        }
    } else {
        props.insert("eventCategory".into(), json!(op.category.value()));
        let mut inner = Map::new();
        for (k, v) in op.event_properties(ev, t, sr) {
            inner.insert(k.into(), v.map(Value::String).unwrap_or(Value::Null));
        }
        props.insert("eventProperties".into(), Value::Object(inner));
    }
    m.insert("properties".into(), Value::Object(props));
    Value::Object(m)
}

/// Columns of the Log Analytics `AzureActivity` export, in the order written.
pub const LA_COLUMNS: &[&str] = &[
    "TenantId",
    "SourceSystem",
    "CallerIpAddress",
    "CategoryValue",
    "CorrelationId",
    "Authorization",
    "Authorization_d",
    "Claims",
    "Claims_d",
    "Level",
    "OperationNameValue",
    "Properties",
    "Properties_d",
    "Caller",
    "EventDataId",
    "EventSubmissionTimestamp",
    "HTTPRequest",
    "OperationId",
    "ResourceGroup",
    "ResourceProviderValue",
    "ActivityStatusValue",
    "ActivitySubstatusValue",
    "Hierarchy",
    "TimeGenerated",
    "SubscriptionId",
    "OperationName",
    "ActivityStatus",
    "ActivitySubstatus",
    "Category",
    "ResourceId",
    "ResourceProvider",
    "Resource",
    "Type",
    "_ResourceId",
];

/// One `AzureActivity` row as column strings (dynamic columns as JSON text, as the query API
/// returns them). `millis` selects the CSV time format (3 digits) over the JSON one (7 digits).
pub fn la_row(op: &Op, ev: &Event, t: &Tenant, sr: Guid, millis: bool) -> Vec<String> {
    let (rg, provider, _) = split_resource(&op.resource_id);
    let fmt = |ts: Ts| if millis { ts.iso_millis() } else { ts.iso7() };
    let auth = authorization(op, t, true)
        .map(|a| a.to_string())
        .unwrap_or_default();
    let claims = claims_map(op, t)
        .map(|c| Value::Object(c).to_string())
        .unwrap_or_default();
    let mut props = Map::new();
    props.insert("eventCategory".into(), json!(op.category.value()));
    props.insert("eventName".into(), json!(ev.event_name));
    props.insert("operationId".into(), json!(op.operation_id));
    for (k, v) in op.event_properties(ev, t, sr) {
        if op.category == Category::Administrative {
            props.insert(k.into(), v.map(Value::String).unwrap_or(Value::Null));
        }
    }
    if op.category != Category::Administrative {
        let mut inner = Map::new();
        for (k, v) in op.event_properties(ev, t, sr) {
            inner.insert(k.into(), v.map(Value::String).unwrap_or(Value::Null));
        }
        props.insert(
            "eventProperties".into(),
            json!(Value::Object(inner).to_string()),
        );
    }
    props.insert("eventDataId".into(), json!(ev.event_data_id.s()));
    props.insert(
        "eventSubmissionTimestamp".into(),
        json!(ev.submitted.iso7()),
    );
    props.insert(
        "resource".into(),
        json!(op.resource_id.rsplit('/').next().unwrap_or("")),
    );
    props.insert("resourceGroup".into(), json!(rg));
    props.insert(
        "resourceProviderValue".into(),
        json!(provider.to_uppercase()),
    );
    props.insert("subscriptionId".into(), json!(t.subscription_id.s()));
    props.insert("activityStatusValue".into(), json!(ev.status));
    let props = Value::Object(props).to_string();
    let http = if op.category == Category::Administrative {
        json!({"clientRequestId": ev.client_request_id.s(), "clientIpAddress": op.caller_ip, "method": op.method})
            .to_string()
    } else {
        String::new()
    };
    let sub = if ev.sub_status.is_empty() {
        String::new()
    } else {
        localized_substatus(ev.sub_status)
    };
    vec![
        t.workspace_id.s(),
        "Azure".into(),
        if op.category == Category::Administrative {
            op.caller_ip.clone()
        } else {
            String::new()
        },
        op.category.value().into(),
        op.correlation_id.s(),
        auth.clone(),
        auth,
        claims.clone(),
        claims,
        if op.level == "Informational" {
            "Informational".into()
        } else {
            op.level.into()
        },
        op.operation.clone(),
        props.clone(),
        props,
        caller_text(op).unwrap_or_default(),
        ev.event_data_id.s(),
        fmt(ev.submitted),
        http,
        op.operation_id.clone(),
        rg.to_uppercase(),
        provider.to_uppercase(),
        ev.status.into(),
        sub,
        format!("{}/{}", t.tenant_id, t.subscription_id),
        fmt(ev.time),
        t.subscription_id.s(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        op.resource_id.clone(),
        String::new(),
        op.resource_id
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_uppercase(),
        "AzureActivity".into(),
        op.resource_id.to_lowercase(),
    ]
}

/// One row of `az monitor log-analytics query -o json` output (string cells + `TableName`).
pub fn la_json(op: &Op, ev: &Event, t: &Tenant, sr: Guid) -> Value {
    let row = la_row(op, ev, t, sr, false);
    let mut m = Map::new();
    for (k, v) in LA_COLUMNS.iter().zip(row) {
        m.insert((*k).into(), Value::String(v));
    }
    m.insert("TableName".into(), json!("PrimaryResult"));
    Value::Object(m)
}

/// The uniqueTokenIdentifier text: base64url GUID bytes, or 2022-style base64 of the GUID text.
pub fn unique_token_identifier(s: &SignIn, text_style: bool) -> String {
    if text_style {
        base64::engine::general_purpose::STANDARD.encode(s.id.s())
    } else {
        s.id.to_uti()
    }
}

/// The Graph beta `signIn` object. `diag` switches timestamps to `+00:00` and uses the
/// 2022-style token identifier when the sign-in asks for it.
pub fn signin_object(s: &SignIn, t: &Tenant, diag: bool) -> Value {
    let w = &s.who;
    let user = w.kind == IdKind::User;
    let time = if diag {
        s.time.iso_offset()
    } else {
        s.time.iso_secs()
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(s.id.s()));
    m.insert("createdDateTime".into(), json!(time));
    m.insert(
        "userDisplayName".into(),
        if user { json!(w.display) } else { Value::Null },
    );
    m.insert(
        "userPrincipalName".into(),
        if user { json!(w.upn) } else { Value::Null },
    );
    m.insert(
        "userId".into(),
        if user {
            json!(w.object_id.s())
        } else {
            Value::Null
        },
    );
    m.insert("appId".into(), json!(s.app.id));
    m.insert("appDisplayName".into(), json!(s.app.name));
    m.insert("ipAddress".into(), json!(s.place.ip));
    m.insert("ipAddressFromResourceProvider".into(), Value::Null);
    m.insert("clientAppUsed".into(), json!(s.client_app_used));
    m.insert("userAgent".into(), json!(s.user_agent));
    m.insert("correlationId".into(), json!(s.correlation_id.s()));
    m.insert("conditionalAccessStatus".into(), json!(s.ca_status));
    m.insert("originalRequestId".into(), json!(s.id.s()));
    m.insert(
        "isInteractive".into(),
        json!(s.kind == crate::world::SignInKind::Interactive),
    );
    m.insert("tokenIssuerName".into(), json!(""));
    m.insert("tokenIssuerType".into(), json!("AzureAD"));
    m.insert("clientCredentialType".into(), json!(s.cred_type));
    m.insert(
        "processingTimeInMilliseconds".into(),
        json!(s.processing_ms),
    );
    m.insert("riskDetail".into(), json!("none"));
    m.insert(
        "riskLevelAggregated".into(),
        json!(if user { s.risk_level } else { "none" }),
    );
    m.insert(
        "riskLevelDuringSignIn".into(),
        json!(if user { s.risk_level } else { "none" }),
    );
    m.insert(
        "riskState".into(),
        json!(if s.risk_level == "none" {
            "none"
        } else {
            "atRisk"
        }),
    );
    m.insert("riskEventTypes".into(), json!(s.risk_events));
    m.insert("riskEventTypes_v2".into(), json!(s.risk_events));
    m.insert("resourceDisplayName".into(), json!(s.resource.name));
    m.insert("resourceId".into(), json!(s.resource.id));
    m.insert("resourceTenantId".into(), json!(t.tenant_id.s()));
    m.insert("homeTenantId".into(), json!(t.tenant_id.s()));
    m.insert("homeTenantName".into(), json!(""));
    let methods: Vec<&str> = s.auth_steps.iter().map(|(m, _)| *m).collect();
    m.insert(
        "authenticationMethodsUsed".into(),
        json!(if s.kind == crate::world::SignInKind::Interactive {
            methods
        } else {
            vec![]
        }),
    );
    m.insert(
        "authenticationRequirement".into(),
        json!(s.auth_requirement),
    );
    m.insert(
        "signInIdentifier".into(),
        json!(if user {
            w.upn.clone().unwrap_or_default()
        } else {
            String::new()
        }),
    );
    m.insert("signInIdentifierType".into(), Value::Null);
    m.insert(
        "servicePrincipalName".into(),
        if user { Value::Null } else { json!(w.display) },
    );
    m.insert("signInEventTypes".into(), json!([s.kind.event_type()]));
    m.insert(
        "servicePrincipalId".into(),
        json!(if user { String::new() } else { w.object_id.s() }),
    );
    m.insert(
        "federatedCredentialId".into(),
        json!(s.fed_cred_id.map(|g| g.to_string()).unwrap_or_default()),
    );
    m.insert("userType".into(), json!(if user { "member" } else { "" }));
    m.insert("flaggedForReview".into(), json!(false));
    m.insert("isTenantRestricted".into(), json!(false));
    m.insert("autonomousSystemNumber".into(), json!(s.place.asn));
    m.insert("crossTenantAccessType".into(), json!("none"));
    m.insert(
        "servicePrincipalCredentialKeyId".into(),
        json!(s.cred_key_id.map(|g| g.to_string()).unwrap_or_default()),
    );
    m.insert("servicePrincipalCredentialThumbprint".into(), json!(""));
    if s.with_uti {
        m.insert(
            "uniqueTokenIdentifier".into(),
            json!(unique_token_identifier(s, diag && s.uti_text)),
        );
    }
    m.insert("incomingTokenType".into(), json!(s.incoming_token_type));
    m.insert("authenticationProtocol".into(), json!(s.protocol));
    m.insert("resourceServicePrincipalId".into(), json!(ARM_SP_OBJECT));
    m.insert(
        "sessionId".into(),
        json!(s.session_id.map(|g| g.to_string()).unwrap_or_default()),
    );
    m.insert("originalTransferMethod".into(), json!(s.original_transfer));
    m.insert(
        "status".into(),
        json!({"errorCode": s.error_code, "failureReason": s.failure_reason, "additionalDetails": if s.ok() { Value::Null } else { json!("Contact your administrator.") }}),
    );
    m.insert(
        "deviceDetail".into(),
        json!({"deviceId": "", "displayName": "", "operatingSystem": s.os, "browser": s.browser, "isCompliant": false, "isManaged": false, "trustType": ""}),
    );
    m.insert(
        "location".into(),
        json!({"city": s.place.city, "state": s.place.state, "countryOrRegion": s.place.country,
               "geoCoordinates": {"altitude": null, "latitude": s.place.lat, "longitude": s.place.lon}}),
    );
    m.insert("appliedConditionalAccessPolicies".into(), json!([]));
    m.insert("authenticationContextClassReferences".into(), json!([]));
    m.insert(
        "authenticationProcessingDetails".into(),
        json!([{"key": "Root Key Type", "value": "Unknown"}, {"key": "Is CAE Token", "value": "False"}]),
    );
    m.insert("networkLocationDetails".into(), json!([]));
    let step_time = |ts: Ts| if diag { ts.iso_offset() } else { ts.iso_secs() };
    let details: Vec<Value> = if s.kind == crate::world::SignInKind::Interactive {
        s.auth_steps
            .iter()
            .map(|(method, detail)| {
                json!({"authenticationStepDateTime": step_time(s.time), "authenticationMethod": method,
                       "authenticationMethodDetail": detail, "succeeded": s.ok(),
                       "authenticationStepResultDetail": if s.ok() { "MFA successfully completed" } else { s.failure_reason },
                       "authenticationStepRequirement": "Primary authentication"})
            })
            .collect()
    } else {
        vec![
            json!({"authenticationStepDateTime": step_time(s.time), "authenticationMethod": "Previously satisfied",
                    "authenticationMethodDetail": null, "succeeded": s.ok(),
                    "authenticationStepResultDetail": "First factor requirement satisfied by claim in the token",
                    "authenticationStepRequirement": ""}),
        ]
    };
    m.insert("authenticationDetails".into(), Value::Array(details));
    m.insert("authenticationRequirementPolicies".into(), json!([]));
    m.insert("sessionLifetimePolicies".into(), json!([]));
    let msi = match w.kind {
        IdKind::ManagedIdentity => {
            json!({"msiType": w.msi_type, "associatedResourceId": w.mirid, "federatedTokenId": null, "federatedTokenIssuer": null})
        }
        _ => {
            json!({"msiType": "none", "associatedResourceId": null, "federatedTokenId": null, "federatedTokenIssuer": null})
        }
    };
    m.insert("managedServiceIdentity".into(), msi);
    m.insert(
        "appOwnerTenantId".into(),
        json!(if user {
            known::MS_TENANT.to_string()
        } else {
            t.tenant_id.s()
        }),
    );
    m.insert("resourceOwnerTenantId".into(), json!(known::MS_TENANT));
    Value::Object(m)
}

/// Object id of the ARM service principal in the generated tenant (fixed, synthetic).
const ARM_SP_OBJECT: &str = "4e5f6a7b-2c3d-4e8f-9a0b-1c2d3e4f5a6b";

/// A Graph beta `signIn` (element of `value`).
pub fn graph_signin(s: &SignIn, t: &Tenant) -> Value {
    signin_object(s, t, false)
}

/// A diagnostic-settings sign-in record (storage / Event Hub).
pub fn diag_signin(s: &SignIn, t: &Tenant) -> Value {
    diag_signin_with(s, t, signin_object(s, t, true))
}

/// The top-level fields of a diagnostic sign-in record (without `properties`).
fn diag_signin_head(s: &SignIn, t: &Tenant) -> Value {
    let mut m = Map::new();
    m.insert("time".into(), json!(s.time.iso()));
    m.insert(
        "resourceId".into(),
        json!(format!(
            "/tenants/{}/providers/Microsoft.aadiam",
            t.tenant_id
        )),
    );
    m.insert("operationName".into(), json!("Sign-in activity"));
    m.insert("operationVersion".into(), json!("1.0"));
    m.insert("category".into(), json!(s.kind.category()));
    m.insert("tenantId".into(), json!(t.tenant_id.s()));
    m.insert("resultType".into(), json!(s.error_code.to_string()));
    m.insert("resultSignature".into(), json!("None"));
    m.insert(
        "resultDescription".into(),
        json!(if s.ok() { "" } else { s.failure_reason }),
    );
    m.insert("durationMs".into(), json!(0));
    if !s.place.ip.is_empty() {
        m.insert("callerIpAddress".into(), json!(s.place.ip));
    }
    m.insert("correlationId".into(), json!(s.correlation_id.s()));
    m.insert("identity".into(), json!(s.who.display));
    m.insert("Level".into(), json!(4));
    m.insert("location".into(), json!(s.place.country));
    Value::Object(m)
}

/// A Graph `directoryAudit`.
#[derive(Clone, Debug)]
pub struct Audit {
    pub id: String,
    pub time: Ts,
    pub activity: &'static str,
    pub category: &'static str,
    pub service: &'static str,
    pub operation_type: &'static str,
    pub correlation_id: Guid,
    /// (user id, upn, ip) or app (display, sp id)
    pub initiator: Value,
    pub targets: Value,
    pub details: Value,
}

pub fn graph_audit(a: &Audit) -> Value {
    json!({
        "id": a.id,
        "category": a.category,
        "correlationId": a.correlation_id.s(),
        "result": "success",
        "resultReason": "",
        "activityDisplayName": a.activity,
        "activityDateTime": a.time.iso(),
        "loggedByService": a.service,
        "operationType": a.operation_type,
        "initiatedBy": a.initiator,
        "userAgent": null,
        "targetResources": a.targets,
        "additionalDetails": a.details,
    })
}

/// Turns a Graph `signIn` object into the diagnostic `properties` object without rebuilding it
/// (same keys and order; only the time format and, 2022-style, the token identifier differ).
pub fn graph_to_diag_props(s: &SignIn, mut v: Value) -> Value {
    let when = json!(s.time.iso_offset());
    v["createdDateTime"] = when.clone();
    if s.with_uti && s.uti_text {
        v["uniqueTokenIdentifier"] = json!(unique_token_identifier(s, true));
    }
    if let Some(arr) = v["authenticationDetails"].as_array_mut() {
        for d in arr {
            d["authenticationStepDateTime"] = when.clone();
        }
    }
    v
}

/// A diagnostic sign-in record around an already-built `properties` object.
pub fn diag_signin_with(s: &SignIn, t: &Tenant, props: Value) -> Value {
    let mut v = diag_signin_head(s, t);
    if let Value::Object(m) = &mut v {
        m.insert("properties".into(), props);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;

    #[test]
    fn diag_props_from_graph_equal_direct_build() {
        let case = demo::build(7);
        for c in &case.signins {
            let direct = signin_object(&c.s, &case.tenant, true);
            let patched = graph_to_diag_props(&c.s, signin_object(&c.s, &case.tenant, false));
            assert_eq!(
                serde_json::to_string(&direct).unwrap(),
                serde_json::to_string(&patched).unwrap()
            );
        }
    }
}
