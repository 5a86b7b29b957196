//! Log Analytics sign-in rows: `SigninLogs`, `AADNonInteractiveUserSignInLogs`,
//! `AADServicePrincipalSignInLogs`, `AADManagedIdentitySignInLogs` (and `ADFSSignInLogs`),
//! as API/query JSON or portal "Export to CSV" rows. Nested columns may be objects, JSON
//! text (the non-interactive table types them `string`), Python repr text (pandas
//! exports), or split by a union into `Name_dynamic` / `Name_string`. formats.md §5.5.

use super::build::{ensure_id, fill, infer_kind, strings};
use crate::fields::Fields;
use serde_json::{Map, Value};
use tokentrail_model::time::parse_time;
use tokentrail_model::{Provenance, SignIn, SignInKind};

/// Normalizes one Log Analytics sign-in row.
pub fn normalize(map: &Map<String, Value>, source: Provenance) -> Result<SignIn, String> {
    let f = Fields::new_la(map);
    let (raw, generated) = match f.str(&["createddatetime"]) {
        Some(t) => (t, false),
        None => (
            f.str(&["timegenerated"])
                .ok_or("no CreatedDateTime or TimeGenerated")?,
            true,
        ),
    };
    let mut time = parse_time(&raw).ok_or_else(|| format!("unparseable time: {raw:?}"))?;
    if generated {
        time.note = Some("TimeGenerated (no CreatedDateTime): ingestion time, may lag".into());
    }
    let mut s = SignIn::new(time, SignInKind::Unknown, source);
    fill(&f, &mut s);
    let table = f.str(&["type"]);
    let category = f.str(&["category"]);
    s.kind = table
        .as_deref()
        .and_then(SignInKind::parse)
        .or_else(|| category.as_deref().and_then(SignInKind::parse))
        .unwrap_or_else(|| {
            let types = strings(&f.array(&["signineventtypes"]).unwrap_or_default());
            infer_kind(&f, &s, &types)
        });
    s.format = format!(
        "log-analytics/{}",
        table.or(category).unwrap_or_else(|| "SigninLogs".into())
    );
    // `TenantId` is the workspace id; `AADTenantId` (read by `fill`) is the Entra tenant.
    if let Some(who) = f.str(&["identity"]) {
        if matches!(
            s.kind,
            SignInKind::ServicePrincipal | SignInKind::ManagedIdentity
        ) {
            let sp = s.service_principal.get_or_insert_with(Default::default);
            sp.name.get_or_insert(who);
        } else {
            let u = s.user.get_or_insert_with(Default::default);
            u.display_name.get_or_insert(who);
        }
    }
    ensure_id(&mut s);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn prov() -> Provenance {
        Provenance {
            file: Arc::from("la.json"),
            record: 0,
            line: Some(1),
            offset: Some(0),
        }
    }

    #[test]
    fn non_interactive_string_typed_nested() {
        let v = json!({"TenantId":"workspace","AADTenantId":"tid","Type":"AADNonInteractiveUserSignInLogs",
            "TimeGenerated":"2024-06-10T06:09:00Z","CreatedDateTime":"2024-06-10T06:08:12.5Z",
            "Id":"a08869a8-3b15-46e4-8de3-273849e60100","UserPrincipalName":"bob@contoso.com",
            "Status":"{\"errorCode\":50074,\"failureReason\":\"Strong Authentication is required.\"}",
            "DeviceDetail":"{\"deviceId\":\"d1\",\"operatingSystem\":\"Windows10\",\"isCompliant\":true}",
            "LocationDetails":"{\"city\":\"Oslo\",\"countryOrRegion\":\"NO\"}",
            "AuthenticationDetails":"[{\"authenticationMethod\":\"Password\",\"succeeded\":true}]",
            "ConditionalAccessPolicies":"[{\"id\":\"p1\",\"result\":\"success\",\"enforcedGrantControls\":[\"Mfa\"]}]",
            "UniqueTokenIdentifier":"qGmIoBU75EaN4yc4SeYBAA","SessionId":"s-1","ResourceIdentity":"797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "ResourceId":"/tenants/tid/providers/Microsoft.aadiam","RiskEventTypes_V2":"[\"unfamiliarFeatures\"]"});
        let s = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert_eq!(s.kind, SignInKind::NonInteractive);
        assert_eq!(s.status.error_code, Some(50074));
        assert_eq!(s.device.as_ref().unwrap().is_compliant, Some(true));
        assert_eq!(
            s.client.location.as_ref().unwrap().city.as_deref(),
            Some("Oslo")
        );
        assert_eq!(s.authentication.methods, vec!["Password".to_string()]);
        assert_eq!(
            s.conditional_access.policies[0].grant_controls,
            vec!["Mfa".to_string()]
        );
        assert_eq!(
            s.resource.as_ref().unwrap().id.as_deref(),
            Some("797f4846-ba00-4fd7-ba43-dac1f8f63013")
        );
        assert_eq!(s.tenants.tenant_id.as_deref(), Some("tid"));
        assert_eq!(s.risk.event_types, vec!["unfamiliarFeatures".to_string()]);
    }

    #[test]
    fn portal_csv_split_columns() {
        // Portal "Export to CSV" of a union: every cell is text; split dynamic/string columns.
        let v = json!({"TimeGenerated":"2024-06-10T06:09:00Z","Type":"SigninLogs","Id":"i-1",
            "IsInteractive":"True","Status_dynamic":"{\"errorCode\":0}","Status_string":"",
            "DeviceDetail_dynamic":"","DeviceDetail_string":"{\"deviceId\":\"dev-9\"}","AppId":"app"});
        let s = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert_eq!(s.status.success, Some(true));
        assert_eq!(s.device.as_ref().unwrap().id.as_deref(), Some("dev-9"));
        assert_eq!(s.is_interactive, Some(true));
        assert!(s.time.note.is_some());
    }

    #[test]
    fn python_repr_nested() {
        let v = json!({"TimeGenerated":"2020-07-28T22:39:58.913Z","Type":"SigninLogs","Id":"i-2",
            "Status":"{'errorCode': 0}","DeviceDetail":"{'operatingSystem': 'Windows', 'deviceId': ''}"});
        let s = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert_eq!(s.status.error_code, Some(0));
        assert!(s.notes.iter().any(|n| n.contains("Python repr")));
    }
}
