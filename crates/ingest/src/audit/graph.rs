//! Graph `directoryAudit` objects (`GET /auditLogs/directoryAudits`, v1.0 and beta), in
//! `value` pages, bare arrays or JSON Lines.

use super::build::{empty, fill, finish, time_of};
use crate::fields::Fields;
use serde_json::{Map, Value};
use tokentrail_model::{AuditEvent, Provenance};

/// Normalizes one Graph directory audit.
pub fn normalize(map: &Map<String, Value>, source: Provenance) -> Result<AuditEvent, String> {
    let f = Fields::new(map);
    // Some B2C pages carry `createdDateTime` in place of `activityDateTime`.
    let time = time_of(
        &f,
        &["activitydatetime", "createddatetime", "date(utc)", "date"],
    )?;
    let mut ev = empty(time, source);
    fill(&f, &mut ev);
    ev.format = "graph".into();
    if ev.time.is_none() {
        return Err("no activityDateTime".into());
    }
    Ok(finish(ev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn prov() -> Provenance {
        Provenance {
            file: Arc::from("audits.json"),
            record: 0,
            line: Some(1),
            offset: Some(0),
        }
    }

    #[test]
    fn credential_add_with_decoded_values() {
        let v = json!({"id":"Directory_c1_X_1","activityDateTime":"2024-06-10T07:00:00Z",
            "activityDisplayName":"Update application \u{2013} Certificates and secrets management ",
            "category":"ApplicationManagement","correlationId":"C0C0C0C0-1111-2222-3333-444444444444","result":"success",
            "loggedByService":"Core Directory","operationType":"Update",
            "initiatedBy":{"user":{"id":"u1","userPrincipalName":"eve@contoso.com","ipAddress":"203.0.113.9"},"app":null,
                           "linkableIdentifiers":{"sessionId":"s1","tokenDetails":{"uniqueTokenIdentifier":"qGmIoBU75EaN4yc4SeYBAA"}}},
            "targetResources":[{"id":"t1","displayName":"payroll","type":"Application","modifiedProperties":[
                {"displayName":"KeyDescription","oldValue":"[]","newValue":"[\"[KeyIdentifier=k1,KeyType=Password]\"]"},
                {"displayName":"Included Updated Properties","oldValue":null,"newValue":"\"KeyDescription\""}]}],
            "additionalDetails":[{"key":"User-Agent","value":"ua/1"},{"key":"AppId","value":"a1"}]});
        let ev = normalize(v.as_object().unwrap(), prov()).unwrap();
        assert!(ev.activity.ends_with("management "));
        assert_eq!(
            ev.activity_key,
            "Update application - Certificates and secrets management"
        );
        assert!(ev.is_credential_add());
        assert!(!ev.is_consent());
        assert_eq!(
            ev.correlation_id.as_deref(),
            Some("c0c0c0c0-1111-2222-3333-444444444444")
        );
        let mp = &ev.targets[0].modified_properties;
        assert_eq!(
            mp[0].new_value,
            Some(json!(["[KeyIdentifier=k1,KeyType=Password]"]))
        );
        assert_eq!(mp[1].new_value, Some(json!("KeyDescription")));
        assert_eq!(mp[1].old_value, None);
        let i = ev.initiator.as_ref().unwrap();
        assert_eq!(i.user.as_ref().unwrap().ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(i.linkable.get("sessionId").map(String::as_str), Some("s1"));
        assert_eq!(
            i.linkable
                .get("tokenDetails.uniqueTokenIdentifier")
                .map(String::as_str),
            Some("qGmIoBU75EaN4yc4SeYBAA")
        );
        assert_eq!(ev.user_agent.as_deref(), Some("ua/1"));
        assert_eq!(ev.additional_details[1].key, "AppId");
    }
}
