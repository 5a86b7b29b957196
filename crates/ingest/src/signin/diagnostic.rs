//! Diagnostic-settings sign-in records (storage `PT1H.json`, Event Hub `records`) of every
//! sign-in category: `time`, `category`, `tenantId`, `resultType` (string), `identity`
//! (a display-name string), `Level` (integer), and the Graph-beta-style `properties`
//! (camelCase, `+00:00` times). formats.md §5.4.

use super::build::{ensure_id, fill, infer_kind, strings};
use crate::fields::{FieldSrc, Fields};
use serde_json::{Map, Value};
use tokentrail_model::time::parse_time;
use tokentrail_model::{Provenance, SignIn, SignInKind};

/// Keys that only sign-in `properties` carry.
const SIGNIN_KEYS: &[&str] = &[
    "id",
    "createddatetime",
    "userid",
    "userprincipalname",
    "appid",
    "serviceprincipalid",
    "uniquetokenidentifier",
    "status",
];

/// Normalizes one diagnostic sign-in record.
pub fn normalize(map: &Map<String, Value>, source: Provenance) -> Result<SignIn, String> {
    let f = Fields::new(map);
    let props = f.object(&["properties"]);
    let empty = Map::new();
    let p = Fields::new(props.as_ref().unwrap_or(&empty));
    let props_empty = props.as_ref().is_none_or(Map::is_empty);
    build(&f, props.is_some().then_some(&p), &p, props_empty, source)
}

/// Builds the sign-in from the envelope `f` and its `properties` `p`; `present` is `p`
/// when the record has a `properties` object, `props_empty` says it has no members.
/// Shared by [`normalize`] and the typed fast path ([`crate::flat::signin`]).
pub fn build<E: FieldSrc + ?Sized, P: FieldSrc + ?Sized>(
    f: &E,
    present: Option<&P>,
    p: &P,
    props_empty: bool,
    source: Provenance,
) -> Result<SignIn, String> {
    let category = f.str(&["category"]).unwrap_or_default();
    if let Some(g) = present {
        if !g.has(SIGNIN_KEYS) {
            let looks_activity = g.has(&["hierarchy", "eventcategory", "entity", "responsebody"]);
            return Err(format!(
                "category {category} but `properties` hold no sign-in fields{}",
                if looks_activity {
                    " (they are Activity Log properties: entity, hierarchy, responseBody); not a sign-in"
                } else {
                    ""
                }
            ));
        }
    }
    let (raw, from_envelope) = match p.str(&["createddatetime"]) {
        Some(t) => (t, false),
        None => (f.str(&["time"]).ok_or("no time")?, true),
    };
    let mut time = parse_time(&raw).ok_or_else(|| format!("unparseable time: {raw:?}"))?;
    if from_envelope {
        time.note = Some(match time.note.take() {
            Some(n) => format!("envelope `time` (no createdDateTime); {n}"),
            None => "envelope `time` (no createdDateTime)".into(),
        });
    }
    let mut s = SignIn::new(time, SignInKind::Unknown, source);
    s.tenants.tenant_id = f.str(&["tenantid"]);
    fill(p, &mut s);
    s.kind = SignInKind::parse(&category).unwrap_or_else(|| {
        let types = strings(&p.array(&["signineventtypes"]).unwrap_or_default());
        infer_kind(p, &s, &types)
    });
    s.format = format!("diagnostic/{category}");
    if s.client.ip.is_none() {
        s.client.ip = f.str(&["calleripaddress"]);
    }
    if s.correlation_id.is_none() {
        s.correlation_id = f.str(&["correlationid"]);
    }
    if s.status.error_code.is_none() {
        s.status.error_code = f.int(&["resulttype"]);
        s.status.success = s.status.error_code.map(|c| c == 0);
    }
    if s.status.failure_reason.is_none() {
        s.status.failure_reason = f.str(&["resultdescription"]);
    }
    if let Some(who) = f.str(&["identity"]) {
        let user_kind = matches!(
            s.kind,
            SignInKind::Interactive | SignInKind::NonInteractive | SignInKind::Adfs
        );
        if user_kind {
            let u = s.user.get_or_insert_with(Default::default);
            u.display_name.get_or_insert(who);
        } else {
            let sp = s.service_principal.get_or_insert_with(Default::default);
            sp.name.get_or_insert(who);
        }
    }
    if props_empty {
        s.notes
            .push("record has no `properties`: only the envelope was read".into());
    }
    ensure_id(&mut s);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;
    use tokentrail_model::guid::TokenIdEncoding;

    fn prov() -> Provenance {
        Provenance {
            file: Arc::from("PT1H.json"),
            record: 0,
            line: Some(1),
            offset: Some(0),
        }
    }

    #[test]
    fn service_principal_2022_token_id() {
        let v = json!({"time":"2022-01-24T05:00:03.3464680Z","category":"ServicePrincipalSignInLogs","tenantId":"t1",
            "resultType":"0","identity":"deploy-bot","Level":4,"properties":{
              "id":"a08869a8-3b15-46e4-8de3-273849e60100","createdDateTime":"2022-01-24T05:00:03.346468+00:00",
              "appId":"11111111-2222-3333-4444-555555555555","servicePrincipalId":"66666666-7777-8888-9999-000000000000",
              "servicePrincipalCredentialKeyId":"k1","uniqueTokenIdentifier":"YTA4ODY5YTgtM2IxNS00NmU0LThkZTMtMjczODQ5ZTYwMTAw",
              "ipAddress":"198.51.100.4","status":{"errorCode":0}}});
        let s = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert_eq!(s.kind, SignInKind::ServicePrincipal);
        assert_eq!(s.format, "diagnostic/ServicePrincipalSignInLogs");
        let t = s.unique_token_id.as_ref().unwrap();
        assert_eq!(t.encoding, Some(TokenIdEncoding::GuidText));
        assert_eq!(t.guid, s.request_guid());
        assert_eq!(
            s.service_principal.as_ref().unwrap().name.as_deref(),
            Some("deploy-bot")
        );
        assert_eq!(s.credential.as_ref().unwrap().key_id.as_deref(), Some("k1"));
        assert_eq!(s.tenants.tenant_id.as_deref(), Some("t1"));
        assert_eq!(s.time.utc.to_string(), "2022-01-24T05:00:03.346468Z");
    }

    #[test]
    fn envelope_only_record() {
        let v = json!({"time":"1/9/2007 9:41:00 AM","category":"SignInLogs"});
        let s = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert!(s.id_synthetic);
        assert_eq!(s.kind, SignInKind::Interactive);
    }

    #[test]
    fn activity_properties_rejected() {
        let v = json!({"time":"2024-01-01T00:00:00Z","category":"NonInteractiveUserSignInLogs",
            "properties":{"entity":"/subscriptions/x","hierarchy":"a/b","responseBody":"{}"}});
        let e = normalize(v.as_object().unwrap(), prov()).unwrap_err();
        assert!(e.contains("Activity Log properties"), "{e}");
    }
}
