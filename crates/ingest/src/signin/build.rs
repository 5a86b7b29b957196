//! Fills a [`SignIn`] from a Graph-style sign-in object: a Graph v1.0/beta element, the
//! `properties` of a diagnostic record, or a Log Analytics row (PascalCase columns, nested
//! fields as objects or JSON text). Field names are matched case- and
//! underscore-insensitively, so one builder serves all three.

use crate::content_id::ContentId;
use crate::fields::{value_text, FieldSrc, Fields};
use serde_json::{Map, Value};
use std::borrow::Cow;
use tokentrail_model::signin::{
    AppRef, AuthDetail, CaPolicy, Credential, Device, GeoLocation, ManagedIdentity, TokenId,
    TokenIssuer, UserRef,
};
use tokentrail_model::time::parse_time;
use tokentrail_model::{Guid, SignIn, SignInKind};

/// Keeps `Some` only for a value that is not the type's default (an all-empty group).
pub fn non_default<T: Default + PartialEq>(t: T) -> Option<T> {
    (t != T::default()).then_some(t)
}

/// A GUID-ish id normalized to lower-case hyphenated form; other text trimmed.
pub fn norm_id(s: &str) -> String {
    let t = s.trim();
    if Guid::is_canonical(t) {
        return t.to_string();
    }
    Guid::parse(t)
        .map(|g| g.to_string())
        .unwrap_or_else(|| t.to_string())
}

/// [`norm_id`] of owned text, kept as it is (no copy) when it already is canonical.
pub fn norm_id_owned(s: String) -> String {
    if Guid::is_canonical(&s) {
        s
    } else {
        norm_id(&s)
    }
}

/// Text that is not a placeholder (`none`, all-zero GUID).
fn meaningful(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.eq_ignore_ascii_case("none") && v != "00000000-0000-0000-0000-000000000000")
}

/// An object member that may be JSON text or Python-repr text (pandas exports).
pub fn object_of<'s, S: FieldSrc + ?Sized>(
    f: &'s S,
    names: &[&str],
    notes: &mut Vec<String>,
) -> Option<Cow<'s, Map<String, Value>>> {
    if let Some(m) = f.object(names) {
        return Some(m);
    }
    let s = f.get_str(names)?.trim();
    if s.starts_with('{') {
        if let Some(Value::Object(m)) = crate::pyrepr::to_json(s) {
            notes.push(format!("{} was Python repr text; decoded", names[0]));
            return Some(Cow::Owned(m));
        }
        notes.push(format!(
            "{} is text that is neither JSON nor Python repr; not decoded",
            names[0]
        ));
    }
    None
}

/// `then` over the object member among `names` as [`object_of`] finds it, or over the
/// source's own parsed sub-object when it holds one (the typed fast paths).
pub fn with_object<S: FieldSrc + ?Sized, R>(
    f: &S,
    names: &[&str],
    notes: &mut Vec<String>,
    then: impl FnOnce(&dyn FieldSrc) -> R,
) -> Option<R> {
    if let Some(sub) = f.sub_object(names) {
        return Some(then(sub));
    }
    let m = object_of(f, names, notes)?;
    Some(then(&Fields::new(&m)))
}

/// `then` over each object element of the list member among `names` as [`array_of`]
/// finds it (other elements skipped), or over the source's own parsed elements.
pub fn each_object<S: FieldSrc + ?Sized, R>(
    f: &S,
    names: &[&str],
    notes: &mut Vec<String>,
    mut then: impl FnMut(&dyn FieldSrc) -> R,
) -> Vec<R> {
    if let Some(subs) = f.sub_objects(names) {
        return subs.into_iter().map(then).collect();
    }
    array_of(f, names, notes)
        .iter()
        .filter_map(Value::as_object)
        .map(|m| then(&Fields::new(m)))
        .collect()
}

/// A list member that may be JSON text, Python-repr text, or comma-separated text.
pub fn array_of<'s, S: FieldSrc + ?Sized>(
    f: &'s S,
    names: &[&str],
    notes: &mut Vec<String>,
) -> Cow<'s, [Value]> {
    let Some(a) = f.array(names) else {
        return Cow::Owned(Vec::new());
    };
    let repr = match &a[..] {
        [Value::String(s)] if s.starts_with("[{'") || s.starts_with("['") => Some(s.clone()),
        _ => None,
    };
    let Some(s) = repr else {
        return a;
    };
    match crate::pyrepr::to_json(&s) {
        Some(Value::Array(x)) => {
            notes.push(format!("{} was Python repr text; decoded", names[0]));
            Cow::Owned(x)
        }
        _ => {
            notes.push(format!(
                "{} is text that is neither JSON nor Python repr; not decoded",
                names[0]
            ));
            Cow::Owned(Vec::new())
        }
    }
}

/// Strings of a list (objects skipped); comma-separated text is split.
pub fn strings(v: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for x in v {
        if let Some(s) = value_text(x) {
            if x.is_string() && s.contains(',') && !s.starts_with('{') {
                out.extend(
                    s.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty()),
                );
            } else {
                out.push(s);
            }
        }
    }
    out
}

/// The kind from `signInEventTypes`, managed-identity / service-principal cues, or
/// `isInteractive`, when the envelope did not say.
pub fn infer_kind<S: FieldSrc + ?Sized>(f: &S, s: &SignIn, event_types: &[String]) -> SignInKind {
    let kinds: Vec<SignInKind> = event_types
        .iter()
        .filter_map(|t| SignInKind::parse(t))
        .collect();
    for k in [
        SignInKind::ManagedIdentity,
        SignInKind::ServicePrincipal,
        SignInKind::NonInteractive,
        SignInKind::Interactive,
    ] {
        if kinds.contains(&k) {
            return k;
        }
    }
    if s.managed_identity
        .as_ref()
        .is_some_and(|m| m.msi_type.is_some())
    {
        return SignInKind::ManagedIdentity;
    }
    let has_user = s
        .user
        .as_ref()
        .is_some_and(|u| u.id.is_some() || u.upn.is_some());
    if !has_user && s.service_principal.as_ref().is_some_and(|p| p.id.is_some()) {
        return SignInKind::ServicePrincipal;
    }
    match f.bool(&["isinteractive"]) {
        Some(true) => SignInKind::Interactive,
        Some(false) => SignInKind::NonInteractive,
        None => SignInKind::Unknown,
    }
}

/// Fills everything the body object carries. `time` and `kind` are set by the caller.
pub fn fill<S: FieldSrc + ?Sized>(f: &S, s: &mut SignIn) {
    let mut notes = Vec::new();
    if let Some(id) = f.str(&["id", "requestid"]) {
        s.id = norm_id_owned(id);
    }
    s.is_interactive = f.bool(&["isinteractive"]);
    s.correlation_id = f.str(&["correlationid"]).map(norm_id_owned);
    s.original_request_id = f.str(&["originalrequestid"]).map(norm_id_owned);

    let upn_raw = f.str(&["userprincipalname", "username"]);
    let upn = upn_raw.as_ref().map(|u| u.to_lowercase());
    s.user = non_default(UserRef {
        id: f.str(&["userid"]).map(norm_id_owned),
        upn_raw: upn_raw.filter(|r| Some(r) != upn.as_ref()),
        upn,
        display_name: f.str(&["userdisplayname", "user"]),
        user_type: f.str(&["usertype"]),
    });
    s.app = non_default(AppRef {
        id: f.str(&["appid", "applicationid"]).map(norm_id_owned),
        name: f.str(&["appdisplayname", "application", "appresourceprovider"]),
    });
    s.resource = non_default(AppRef {
        id: f
            .str(&["resourceidentity", "resourceid"])
            .filter(|r| !r.starts_with("/tenants/") && !r.starts_with("/subscriptions/"))
            .map(norm_id_owned),
        name: f
            .str(&["resourcedisplayname", "resource"])
            .filter(|r| !r.eq_ignore_ascii_case("Microsoft.aadiam")),
    });
    s.service_principal = non_default(AppRef {
        id: meaningful(f.str(&["serviceprincipalid"])).map(norm_id_owned),
        name: f.str(&["serviceprincipalname"]),
    });

    s.client.ip = f.str(&["ipaddress"]);
    s.client.user_agent = f.str(&["useragent"]);
    s.client.client_app_used = f.str(&["clientappused", "clientapp"]);
    s.client.autonomous_system_number = f.str(&["autonomoussystemnumber"]).filter(|a| a != "0");
    s.client.ip_seen_by_resource =
        f.str(&["ipaddressfromresourceprovider", "ipaddress(seenbyresource)"]);
    if let Some(loc) = with_object(
        f,
        &["locationdetails", "location"],
        &mut notes,
        location_from,
    ) {
        s.client.location = loc;
    }

    with_object(f, &["status"], &mut notes, |g| {
        s.status.error_code = g.int(&["errorcode"]);
        s.status.failure_reason = g.str(&["failurereason"]);
        s.status.additional_details = g.str(&["additionaldetails"]);
    });
    if s.status.error_code.is_none() {
        s.status.error_code = f.int(&["resulttype", "signinerrorcode", "errorcode"]);
    }
    if s.status.failure_reason.is_none() {
        s.status.failure_reason = f.str(&["resultdescription", "failurereason"]);
    }
    s.status.success = s.status.error_code.map(|c| c == 0);

    s.session_id = meaningful(f.str(&["sessionid"])).map(norm_id_owned);
    s.unique_token_id = f.str(&["uniquetokenidentifier"]).map(|t| TokenId::new(&t));
    if let Some(t) = &s.unique_token_id {
        if t.guid.is_none() {
            notes.push(format!(
                "uniqueTokenIdentifier {:?} does not decode to a GUID",
                t.raw
            ));
        }
    }
    s.incoming_token_type = f.str(&["incomingtokentype"]);
    s.original_transfer_method = f.str(&["originaltransfermethod"]);
    s.authentication_protocol = f.str(&["authenticationprotocol"]);

    // Authentication.
    s.authentication.requirement = f.str(&["authenticationrequirement"]);
    s.authentication.details =
        each_object(f, &["authenticationdetails"], &mut notes, auth_detail_of);
    let methods = strings(&array_of(f, &["authenticationmethodsused"], &mut notes));
    s.authentication.methods = if methods.is_empty() {
        let mut m: Vec<String> = Vec::new();
        for d in &s.authentication.details {
            if d.succeeded == Some(true) {
                if let Some(x) = &d.method {
                    if !m.contains(x) && !x.eq_ignore_ascii_case("Previously satisfied") {
                        m.push(x.clone());
                    }
                }
            }
        }
        m
    } else {
        methods
    };
    if let Some(mfa) = object_of(f, &["mfadetail"], &mut notes) {
        let g = Fields::new(&mfa);
        if let Some(m) = g.str(&["authmethod"]) {
            if !s.authentication.methods.contains(&m) {
                s.authentication.methods.push(m);
            }
        }
    }

    // Conditional Access.
    s.conditional_access.status = f.str(&["conditionalaccessstatus"]);
    let pols = array_of(
        f,
        &[
            "appliedconditionalaccesspolicies",
            "conditionalaccesspolicies",
        ],
        &mut notes,
    );
    s.conditional_access.policies = pols
        .iter()
        .filter_map(|p| p.as_object().map(ca_policy_from))
        .collect();

    if let Some(d) = with_object(f, &["devicedetail"], &mut notes, |g| Device {
        id: g.str(&["deviceid"]).map(norm_id_owned),
        display_name: g.str(&["displayname"]),
        operating_system: g.str(&["operatingsystem"]),
        browser: g.str(&["browser"]),
        is_compliant: g.bool(&["iscompliant"]),
        is_managed: g.bool(&["ismanaged"]),
        trust_type: g.str(&["trusttype"]),
    }) {
        s.device = non_default(d);
    }

    s.credential = non_default(Credential {
        client_credential_type: meaningful(f.str(&["clientcredentialtype"])),
        key_id: meaningful(f.str(&["serviceprincipalcredentialkeyid", "credentialkeyid"])),
        thumbprint: f.str(&[
            "serviceprincipalcredentialthumbprint",
            "credentialthumbprint",
        ]),
        federated_credential_id: meaningful(f.str(&["federatedcredentialid"])),
    });

    // Without the object every member reads as absent: the default.
    let msi = with_object(f, &["managedserviceidentity"], &mut notes, |g| {
        ManagedIdentity {
            msi_type: meaningful(g.str(&["msitype"])),
            associated_resource_id: g.str(&["associatedresourceid"]),
            federated_token_id: meaningful(g.str(&["federatedtokenid"])),
            federated_token_issuer: g.str(&["federatedtokenissuer"]),
        }
    });
    s.managed_identity = non_default(msi.unwrap_or_default());

    s.tenants.cross_tenant_access_type = f.str(&["crosstenantaccesstype"]);
    s.tenants.home_tenant_id = f.str(&["hometenantid"]);
    s.tenants.home_tenant_name = f.str(&["hometenantname"]);
    s.tenants.resource_tenant_id = f.str(&["resourcetenantid"]);
    s.tenants.app_owner_tenant_id = f.str(&["appownertenantid"]);
    if s.tenants.tenant_id.is_none() {
        s.tenants.tenant_id = f.str(&["aadtenantid"]);
    }

    s.risk.level_aggregated = f.str(&["risklevelaggregated"]);
    s.risk.level_during_sign_in = f.str(&["risklevelduringsignin"]);
    s.risk.state = f.str(&["riskstate"]);
    s.risk.detail = f.str(&["riskdetail"]);
    let mut types = strings(&array_of(f, &["riskeventtypesv2"], &mut notes));
    for t in strings(&array_of(f, &["riskeventtypes"], &mut notes)) {
        if !types.contains(&t) {
            types.push(t);
        }
    }
    s.risk.event_types = types;

    s.token_issuer = non_default(TokenIssuer {
        issuer_type: f.str(&["tokenissuertype"]),
        name: f.str(&["tokenissuername"]),
    });

    s.authentication.mfa_satisfied = mfa_satisfied(s);
    s.notes.extend(notes);
}

/// MFA satisfied: see [`tokentrail_model::signin::Authentication::mfa_satisfied`].
pub fn mfa_satisfied(s: &SignIn) -> Option<bool> {
    let a = &s.authentication;
    let by_step = a.details.iter().any(|d| {
        d.succeeded == Some(true)
            && (d.requirement.as_deref().is_some_and(|r| {
                r.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase()
                    .contains("multifactor")
            }) || d
                .result_detail
                .as_deref()
                .is_some_and(|r| r.to_ascii_lowercase().contains("mfa requirement satisfied")))
    });
    if by_step {
        return Some(true);
    }
    match a
        .requirement
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("multifactorauthentication") => s.status.success,
        Some("singlefactorauthentication") => Some(false),
        _ => None,
    }
}

fn location_from(g: &dyn FieldSrc) -> Option<GeoLocation> {
    let (lat, lon) = match g.sub_object(&["geocoordinates"]) {
        Some(c) => (c.float(&["latitude"]), c.float(&["longitude"])),
        None => {
            let geo = g.object(&["geocoordinates"]).unwrap_or_default();
            let c = Fields::new(&geo);
            (c.float(&["latitude"]), c.float(&["longitude"]))
        }
    };
    // 0.0/0.0 is the "no location" placeholder of managed-identity records.
    let (lat, lon) = if lat == Some(0.0) && lon == Some(0.0) {
        (None, None)
    } else {
        (lat, lon)
    };
    non_default(GeoLocation {
        city: g.str(&["city"]),
        state: g.str(&["state"]),
        country: g.str(&["countryorregion", "country"]),
        latitude: lat,
        longitude: lon,
    })
}

/// One `authenticationDetails` element.
pub fn auth_detail_from(m: &Map<String, Value>) -> AuthDetail {
    auth_detail_of(&Fields::new(m))
}

/// [`auth_detail_from`] over any source.
fn auth_detail_of(g: &dyn FieldSrc) -> AuthDetail {
    AuthDetail {
        time: g
            .str(&[
                "authenticationstepdatetime",
                "date(utc)",
                "date",
                "datetime",
            ])
            .map(|t| parse_time(&t).map(|e| e.utc.to_string()).unwrap_or(t)),
        method: g.str(&["authenticationmethod", "authenticationmethodused", "method"]),
        method_detail: g.str(&["authenticationmethoddetail", "methoddetail"]),
        succeeded: g.bool(&["succeeded"]),
        result_detail: g.str(&["authenticationstepresultdetail", "resultdetail", "result"]),
        requirement: g.str(&["authenticationsteprequirement", "requirement"]),
    }
}

fn ca_policy_from(m: &Map<String, Value>) -> CaPolicy {
    let g = Fields::new(m);
    let list =
        |names: &[&str]| -> Vec<String> { g.array(names).map(|a| strings(&a)).unwrap_or_default() };
    CaPolicy {
        id: g.str(&["id"]),
        display_name: g.str(&["displayname"]),
        result: g.str(&["result"]),
        grant_controls: list(&["enforcedgrantcontrols"]),
        session_controls: list(&["enforcedsessioncontrols"]),
    }
}

/// A stable id for a sign-in without a Request ID: SHA-256 over the identifying fields.
pub fn content_id(s: &SignIn) -> String {
    let mut id = ContentId::default();
    id.field(s.kind.label())
        .field_fmt(format_args!("{}", s.time.utc))
        .field(s.correlation_id.as_deref().unwrap_or(""))
        .field(
            s.user
                .as_ref()
                .and_then(|u| u.id.as_deref().or(u.upn.as_deref()))
                .unwrap_or(""),
        )
        .field(s.app.as_ref().and_then(|a| a.id.as_deref()).unwrap_or(""))
        .field(s.client.ip.as_deref().unwrap_or(""));
    match s.status.error_code {
        Some(c) => id.field_fmt(format_args!("{c}")),
        None => id.field(""),
    };
    id.finish()
}

/// Sets a synthetic id when the record had none.
pub fn ensure_id(s: &mut SignIn) {
    if s.id.is_empty() {
        s.id = content_id(s);
        s.id_synthetic = true;
        s.notes
            .push("no Request ID in the record; id is a content hash".into());
    }
}
