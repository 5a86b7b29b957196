//! Diagnostic-settings `AuditLogs` records: envelope (`time`, `operationName`,
//! `tenantId`, `callerIpAddress`, `identity` string, `Level`) around the directoryAudit
//! object in `properties` (`activityDateTime` with `+00:00`). formats.md §6.1.

use super::build::{empty, fill, finish, time_of};
use crate::fields::Fields;
use serde_json::{Map, Value};
use tokentrail_model::time::parse_time;
use tokentrail_model::{AuditEvent, Provenance};

/// Normalizes one diagnostic audit record.
pub fn normalize(map: &Map<String, Value>, source: Provenance) -> Result<AuditEvent, String> {
    let f = Fields::new(map);
    let props = f.object(&["properties"]).unwrap_or_default();
    let p = Fields::new(&props);
    let mut time = time_of(&p, &["activitydatetime"])?;
    if time.is_none() {
        let raw = f.str(&["time"]).ok_or("no time")?;
        let mut t = parse_time(&raw).ok_or_else(|| format!("unparseable time: {raw:?}"))?;
        t.note = Some("envelope `time` (no activityDateTime)".into());
        time = Some(t);
    }
    let mut ev = empty(time, source);
    ev.tenant_id = f.str(&["tenantid"]);
    fill(&p, &mut ev);
    ev.format = "diagnostic".into();
    if ev.activity.is_empty() {
        if let Some(op) = f.get(&["operationname"]).and_then(Value::as_str) {
            ev.activity = op.to_string();
        }
    }
    if ev.correlation_id.is_none() {
        ev.correlation_id = f.str(&["correlationid"]);
    }
    if ev.result.is_none() {
        ev.result = f.str(&["resulttype"]);
    }
    // The caller IP of the envelope is the initiator's IP when the body lacks it.
    if let Some(ip) = f.str(&["calleripaddress"]) {
        if let Some(u) = ev.initiator.as_mut().and_then(|i| i.user.as_mut()) {
            u.ip.get_or_insert(ip);
        }
    }
    if props.is_empty() {
        ev.notes
            .push("record has no `properties`: only the envelope was read".into());
    }
    Ok(finish(ev))
}
