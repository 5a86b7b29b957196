//! Fills an [`AuditEvent`] from a `directoryAudit`-shaped object: a Graph element, the
//! `properties` of a diagnostic record, or a Log Analytics row (PascalCase, nested columns
//! as JSON text). Names are matched case- and underscore-insensitively.

use crate::content_id::ContentId;
use crate::fields::{value_text, Fields};
use crate::signin::build::{non_default, norm_id};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use tokentrail_model::audit::{
    normalize_activity, Initiator, InitiatorApp, InitiatorUser, KeyValue, ModifiedProperty, Target,
};
use tokentrail_model::time::parse_time;
use tokentrail_model::{AuditEvent, EventTime, Provenance};

/// An empty event to fill in.
pub fn empty(time: Option<EventTime>, source: Provenance) -> AuditEvent {
    AuditEvent {
        id: String::new(),
        id_synthetic: false,
        time,
        activity: String::new(),
        activity_key: String::new(),
        format: String::new(),
        category: None,
        operation_type: None,
        result: None,
        result_reason: None,
        correlation_id: None,
        logged_by_service: None,
        initiator: None,
        targets: Vec::new(),
        additional_details: Vec::new(),
        user_agent: None,
        tenant_id: None,
        source,
        notes: Vec::new(),
    }
}

/// The event time from `activityDateTime` (or the other names exports use).
pub fn time_of(f: &Fields<'_>, names: &[&str]) -> Result<Option<EventTime>, String> {
    match f.str(names) {
        Some(raw) => parse_time(&raw)
            .map(Some)
            .ok_or_else(|| format!("unparseable activityDateTime: {raw:?}")),
        None => Ok(None),
    }
}

/// Fills everything the body carries. The activity name is taken exactly as logged (the
/// raw string, not trimmed: the trailing space of some names is part of the evidence).
pub fn fill(f: &Fields<'_>, ev: &mut AuditEvent) {
    if let Some(id) = f.str(&["id"]) {
        ev.id = id;
    }
    if let Some(a) = f
        .get(&["activitydisplayname", "activity", "operationname"])
        .and_then(|v| v.as_str().map(str::to_string).or_else(|| value_text(v)))
    {
        ev.activity = a;
    }
    ev.category = f.str(&["category"]);
    ev.operation_type = f.str(&["operationtype", "aadoperationtype"]);
    ev.result = f.str(&["result"]);
    ev.result_reason = f.str(&["resultreason"]);
    ev.correlation_id = f.str(&["correlationid"]).map(|c| norm_id(&c));
    ev.logged_by_service = f.str(&["loggedbyservice"]);
    ev.user_agent = f.str(&["useragent"]);
    if let Some(m) = f.object(&["initiatedby"]) {
        ev.initiator = initiator_from(&m);
    }
    if let Some(list) = f.array(&["targetresources"]) {
        ev.targets = list
            .iter()
            .filter_map(|t| crate::fields::as_object(t).map(|m| target_from(&m)))
            .collect();
    }
    if let Some(list) = f.array(&["additionaldetails"]) {
        ev.additional_details = list
            .iter()
            .filter_map(|kv| {
                let m = kv.as_object()?;
                let g = Fields::new(m);
                Some(KeyValue {
                    key: g.str(&["key"]).unwrap_or_default(),
                    value: g
                        .get(&["value"])
                        .map(|v| value_text(v).unwrap_or_else(|| plain(v)))
                        .unwrap_or_default(),
                })
            })
            .collect();
    }
    if ev.user_agent.is_none() {
        ev.user_agent = ev.detail("User-Agent").map(str::to_string);
    }
    if ev.tenant_id.is_none() {
        ev.tenant_id = f.str(&["aadtenantid"]);
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn initiator_from(m: &Map<String, Value>) -> Option<Initiator> {
    let f = Fields::new(m);
    let user = f.object(&["user"]).and_then(|u| {
        let g = Fields::new(&u);
        non_default(InitiatorUser {
            id: g.str(&["id"]).map(|x| norm_id(&x)),
            upn: g.str(&["userprincipalname"]),
            display_name: g.str(&["displayname"]),
            ip: g.str(&["ipaddress"]),
        })
    });
    let app = f.object(&["app"]).and_then(|a| {
        let g = Fields::new(&a);
        non_default(InitiatorApp {
            app_id: g.str(&["appid"]).map(|x| norm_id(&x)),
            display_name: g.str(&["displayname"]),
            service_principal_id: g.str(&["serviceprincipalid"]).map(|x| norm_id(&x)),
            service_principal_name: g.str(&["serviceprincipalname"]),
        })
    });
    let mut linkable = BTreeMap::new();
    for key in ["linkableIdentifiers", "linkableidentifiers"] {
        if let Some(l) = m.get(key).and_then(crate::fields::as_object) {
            flatten("", &l, &mut linkable, 0);
        }
    }
    non_default(Initiator {
        user,
        app,
        linkable,
    })
}

fn flatten(prefix: &str, m: &Map<String, Value>, out: &mut BTreeMap<String, String>, depth: usize) {
    if depth > 4 {
        return;
    }
    for (k, v) in m {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) => flatten(&key, inner, out, depth + 1),
            other => {
                if let Some(t) = value_text(other) {
                    out.insert(key, t);
                }
            }
        }
    }
}

fn target_from(m: &Map<String, Value>) -> Target {
    let g = Fields::new(m);
    let modified = g
        .array(&["modifiedproperties"])
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let m = p.as_object()?;
            let h = Fields::new(m);
            Some(ModifiedProperty {
                name: h.str(&["displayname"]).unwrap_or_default(),
                old_value: h.get(&["oldvalue"]).and_then(decode_value),
                new_value: h.get(&["newvalue"]).and_then(decode_value),
            })
        })
        .collect();
    Target {
        id: g.str(&["id"]).map(|x| norm_id(&x)),
        display_name: g.str(&["displayname"]),
        target_type: g.str(&["type"]),
        upn: g.str(&["userprincipalname"]),
        group_type: g.str(&["grouptype"]),
        modified_properties: modified,
    }
}

/// Decodes a `modifiedProperties` old/new value: JSON text becomes the value it encodes
/// (`"[\"[KeyIdentifier=…]\"]"` → a list of one string); other text stays a string.
pub fn decode_value(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Some(Value::String(String::new()));
            }
            match serde_json::from_str::<Value>(t) {
                Ok(x) => Some(x),
                Err(_) => Some(v.clone()),
            }
        }
        other => Some(other.clone()),
    }
}

/// Sets the key, a synthetic id when needed, and notes.
pub fn finish(mut ev: AuditEvent) -> AuditEvent {
    ev.activity_key = normalize_activity(&ev.activity);
    if ev.time.is_none() {
        ev.notes
            .push("no activityDateTime or TimeGenerated in the export: event time unknown".into());
    }
    if ev.activity.is_empty() {
        ev.notes.push("no activity name in the export".into());
    }
    if ev.id.is_empty() {
        let mut id = ContentId::default();
        id.field(ev.correlation_id.as_deref().unwrap_or(""))
            .field(&ev.activity_key);
        match &ev.time {
            Some(t) => id.field_fmt(format_args!("{}", t.utc)),
            None => id.field(""),
        };
        id.field(ev.result.as_deref().unwrap_or(""))
            .field(&serde_json::to_string(&ev.targets).unwrap_or_default());
        ev.id = id.finish();
        ev.id_synthetic = true;
        ev.notes
            .push("no id in the record; id is a content hash".into());
    }
    ev
}
