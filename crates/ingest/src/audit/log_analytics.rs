//! Log Analytics `AuditLogs` rows, as API/query JSON or portal "Export to CSV" rows:
//! PascalCase columns, `InitiatedBy` / `TargetResources` / `AdditionalDetails` as
//! objects or JSON text, `AADOperationType`, `AADTenantId` (the Entra tenant; `TenantId`
//! is the workspace). Hunting-query CSVs may lack every time column.

use super::build::{empty, fill, finish, time_of};
use crate::fields::Fields;
use serde_json::{Map, Value};
use tokentrail_model::{AuditEvent, Provenance};

/// Normalizes one Log Analytics audit row.
pub fn normalize(map: &Map<String, Value>, source: Provenance) -> Result<AuditEvent, String> {
    let f = Fields::new_la(map);
    let mut time = time_of(&f, &["activitydatetime"])?;
    if time.is_none() {
        time = time_of(&f, &["timegenerated"])?;
        if let Some(t) = time.as_mut() {
            t.note = Some("TimeGenerated (no ActivityDateTime): ingestion time, may lag".into());
        }
    }
    let mut ev = empty(time, source);
    fill(&f, &mut ev);
    ev.format = "log-analytics/AuditLogs".into();
    Ok(finish(ev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn hunting_csv_row_without_time() {
        let v = json!({"OperationName":"Add service principal credentials","Type":"AuditLogs","TenantId":"ws",
            "ActivityDisplayName":"Add service principal credentials","Id":"Directory_x_1",
            "InitiatedBy":"{\"app\":{\"displayName\":\"Managed Service Identity\",\"servicePrincipalId\":\"sp1\"}}",
            "TargetResources":"[{\"id\":\"t\",\"type\":\"ServicePrincipal\",\"modifiedProperties\":[]}]"});
        let prov = Provenance {
            file: Arc::from("a.csv"),
            record: 0,
            line: Some(2),
            offset: None,
        };
        let ev = normalize(v.as_object().unwrap(), prov).unwrap();
        assert!(ev.time.is_none());
        assert!(ev.notes.iter().any(|n| n.contains("time unknown")));
        assert!(ev.is_credential_add());
        assert!(ev.is_platform_msi_rotation());
        assert!(ev.tenant_id.is_none(), "workspace id never used as tenant");
    }
}
