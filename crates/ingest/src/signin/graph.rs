//! Graph `signIn` objects (v1.0 and beta): `value` pages, bare arrays, JSON Lines, the
//! Entra portal JSON download and collector outputs (Get-MgAuditLogSignIn, Extractor
//! Suite), which all carry Graph's camelCase properties.

use super::build::{ensure_id, fill, infer_kind, strings};
use crate::fields::{FieldSrc, Fields};
use serde_json::{Map, Value};
use tokentrail_model::time::parse_time;
use tokentrail_model::{Provenance, SignIn, SignInKind};

/// Properties only Graph beta (and the portal download) has; their absence marks v1.0.
const BETA_ONLY: &[&str] = &[
    "signineventtypes",
    "uniquetokenidentifier",
    "sessionid",
    "useragent",
    "authenticationdetails",
    "authenticationrequirement",
    "incomingtokentype",
    "usertype",
    "serviceprincipalid",
    "tokenissuertype",
];

/// Normalizes one Graph sign-in.
pub fn normalize(map: &Map<String, Value>, source: Provenance) -> Result<SignIn, String> {
    build(&Fields::new(map), source)
}

/// Builds the sign-in from any [`FieldSrc`]; shared by [`normalize`] and the typed fast
/// path ([`crate::flat::signin`]).
pub fn build<S: FieldSrc + ?Sized>(f: &S, source: Provenance) -> Result<SignIn, String> {
    let raw = f
        .str(&["createddatetime", "date(utc)", "date"])
        .ok_or("no createdDateTime")?;
    let time = parse_time(&raw).ok_or_else(|| format!("unparseable createdDateTime: {raw:?}"))?;
    let mut s = SignIn::new(time, SignInKind::Unknown, source);
    fill(f, &mut s);
    let types = strings(&f.array(&["signineventtypes"]).unwrap_or_default());
    s.kind = infer_kind(f, &s, &types);
    let beta = f.has(BETA_ONLY);
    s.format = if beta { "graph-beta" } else { "graph-v1.0" }.to_string();
    if !beta && s.kind == SignInKind::Unknown {
        s.notes
            .push("Graph v1.0 lists interactive sign-ins unless filtered; kind not stated".into());
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
            file: Arc::from("t.json"),
            record: 0,
            line: Some(1),
            offset: Some(0),
        }
    }

    #[test]
    fn beta_non_interactive() {
        let v = json!({"id":"A08869A8-3B15-46E4-8DE3-273849E60100","createdDateTime":"2024-06-10T06:08:12Z",
            "userPrincipalName":"Alice@Contoso.com","userId":"0b0b0b0b-1111-2222-3333-444444444444",
            "appId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","isInteractive":false,
            "signInEventTypes":["nonInteractiveUser"],"uniqueTokenIdentifier":"qGmIoBU75EaN4yc4SeYBAA",
            "sessionId":"0f0f0f0f-1111-2222-3333-444444444444","resourceId":"797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "status":{"errorCode":0},"authenticationRequirement":"multiFactorAuthentication",
            "managedServiceIdentity":{"msiType":"none"},"servicePrincipalId":"",
            "location":{"city":"London","countryOrRegion":"GB","geoCoordinates":{"latitude":51.5,"longitude":-0.12}}});
        let s = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert_eq!(s.id, "a08869a8-3b15-46e4-8de3-273849e60100");
        assert_eq!(s.kind, SignInKind::NonInteractive);
        assert_eq!(s.format, "graph-beta");
        let u = s.user.as_ref().unwrap();
        assert_eq!(u.upn.as_deref(), Some("alice@contoso.com"));
        assert_eq!(u.upn_raw.as_deref(), Some("Alice@Contoso.com"));
        let t = s.unique_token_id.as_ref().unwrap();
        assert_eq!(t.encoding, Some(TokenIdEncoding::GuidBytes));
        assert_eq!(t.guid, s.request_guid());
        assert_eq!(
            s.request_id_as_uti().as_deref(),
            Some("qGmIoBU75EaN4yc4SeYBAA")
        );
        assert!(s.managed_identity.is_none());
        assert!(s.service_principal.is_none());
        assert_eq!(s.status.success, Some(true));
        assert_eq!(s.authentication.mfa_satisfied, Some(true));
        assert_eq!(
            s.client.location.as_ref().unwrap().country.as_deref(),
            Some("GB")
        );
    }

    #[test]
    fn v1_lacks_token_fields() {
        let v = json!({"id":"x1","createdDateTime":"2024-06-10T06:08:12.1234567Z","userPrincipalName":"b@c.com",
            "isInteractive":true,"status":{"errorCode":50126,"failureReason":"Invalid username or password."}});
        let s = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert_eq!(s.format, "graph-v1.0");
        assert_eq!(s.kind, SignInKind::Interactive);
        assert_eq!(s.status.success, Some(false));
        assert!(s.unique_token_id.is_none());
    }

    #[test]
    fn missing_time_is_an_error() {
        let v = json!({"id":"x1","userPrincipalName":"b@c.com"});
        assert!(normalize(v.as_object().unwrap(), prov()).is_err());
    }
}
