//! `PSEventData` (what `Get-AzActivityLog` / `Get-AzLog` return) to [`ActivityEvent`],
//! shared by the `Export-Csv` reader and the formatted-list reader: the two differ only in
//! framing. Rules: formats.md §2.
//!
//! * `Authorization`, `Claims`, `HttpRequest`, `Properties` are multi-line `key : value`
//!   text ([`super::kv`]); `HttpRequest.ClientId` is the client request id, `Url` the uri.
//! * `OperationName`, `Category`, `Status`, `SubStatus`, … hold localized values from
//!   Az.Monitor 3.0 on, and a .NET type name before it.
//! * Times are culture-formatted, second precision, no zone ([`super::culture`]).
//! * `ResourceType` and `TenantId` are empty: they come from the resource id and claims.

use super::culture::{self, Culture};
use super::kv::parse_pairs;
use crate::activity::build::{authorization_from, http_request_from};
use crate::activity::json::{empty_event, finish, is_type_name, set_operation_from_display};
use crate::fields::norm_key;
use jiff::Timestamp;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use tokentrail_model::time::{from_dotnet_ticks, parse_time};
use tokentrail_model::{ActivityEvent, Claims, EventTime, Level, Provenance, ResourceRef, Status};

/// Header / property names that mark a `PSEventData` record.
pub const PS_MARKERS: &[&str] = &["eventtimestamp", "submissiontimestamp", "eventdataid"];
/// Properties only PowerShell writes (LA and REST spell them differently).
pub const PS_ONLY: &[&str] = &[
    "claims",
    "httprequest",
    "authorization",
    "resourceprovidername",
];

/// True when a set of (normalized) property names is a `PSEventData` record.
pub fn is_ps_event<'a>(names: impl IntoIterator<Item = &'a str> + Clone) -> bool {
    let has = |n: &str| names.clone().into_iter().any(|k| k == n);
    has("eventtimestamp")
        && (has("submissiontimestamp") || has("eventdataid"))
        && PS_ONLY.iter().any(|n| has(n))
        && !has("timegenerated")
}

/// One record's properties, by normalized name ([`norm_key`]); values as text.
#[derive(Debug, Default, Clone)]
pub struct PsRecord {
    pub props: BTreeMap<String, String>,
}

impl PsRecord {
    pub fn insert(&mut self, name: &str, value: String) {
        self.props.entry(norm_key(name)).or_insert(value);
    }

    /// A single-line value: trimmed, non-empty, not a .NET type name.
    fn get(&self, name: &str) -> Option<String> {
        let v = self.props.get(name)?.trim();
        (!v.is_empty() && !is_type_name(v)).then(|| v.to_string())
    }

    /// The raw text, type names included.
    fn raw(&self, name: &str) -> Option<&str> {
        self.props
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn pairs(&self, name: &str) -> Vec<(String, String)> {
        self.props
            .get(name)
            .map(|t| parse_pairs(t.lines()))
            .unwrap_or_default()
    }

    fn object(&self, name: &str) -> Map<String, Value> {
        self.pairs(name)
            .into_iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    }

    /// True when any property holds a pre-3.0 type name.
    pub fn has_type_names(&self) -> bool {
        self.props.values().any(|v| is_type_name(v))
    }
}

/// The date culture and how it was decided, for event notes.
#[derive(Clone, Debug)]
pub struct TimeCtx {
    pub culture: Culture,
    /// `inferred`, `forced by --culture`, or `assumed (ambiguous)`.
    pub how: &'static str,
}

/// The exact event time in the .NET ticks that end a PowerShell `Id`
/// (`…/events/<eventDataId>/ticks/<ticks>`).
pub fn ticks_of(id: &str) -> Option<Timestamp> {
    let (_, t) = id.trim().rsplit_once("/ticks/")?;
    from_dotnet_ticks(t.trim().parse::<i128>().ok()?)
}

/// Replaces a second-precision culture time by the exact ticks of the same event when
/// they agree (to the second, or by a whole number of quarter hours: a local-time
/// export), and says so.
fn refine_with_ticks(t: &mut EventTime, exact: Timestamp, ctx: &TimeCtx) {
    let diff = exact.as_second() - t.utc.as_second();
    let src = "time from the .NET ticks in Id (UTC, 100 ns precision)";
    let culture = format!("{}, {}", ctx.culture.name, ctx.how);
    if diff == 0 {
        t.utc = exact;
        t.note = Some(format!(
            "{src}; the culture-formatted EventTimestamp ({culture}) agrees to the second"
        ));
    } else if diff.abs() <= 14 * 3600 && diff % 900 == 0 {
        t.utc = exact;
        t.note = Some(format!(
            "{src}; the culture-formatted EventTimestamp ({culture}) is {:+} min off (written in local time?)",
            -diff / 60
        ));
    }
}

/// Parses a PowerShell `DateTime` text.
pub fn ps_time(raw: &str, t: &TimeCtx) -> Result<EventTime, String> {
    let s = raw.trim();
    if culture::looks_like_culture_date(s) {
        let (ts, swapped) = culture::parse(s, t.culture)
            .ok_or_else(|| format!("not a {} date: {s:?}", t.culture.name))?;
        check_default(ts, s)?;
        let mut note = format!(
            "culture-formatted ({}, {}), second precision, UTC assumed",
            t.culture.name, t.how
        );
        if swapped {
            note.push_str("; day and month swapped: the value does not fit that culture");
        }
        return Ok(EventTime::new(ts, raw).with_note(note));
    }
    let et = parse_time(s).ok_or_else(|| format!("unparseable time {s:?}"))?;
    check_default(et.utc, s)?;
    Ok(et)
}

fn check_default(ts: Timestamp, s: &str) -> Result<(), String> {
    if ts.as_second() < -62_000_000_000 {
        return Err(format!("DateTime default value {s:?} (property missing)"));
    }
    Ok(())
}

/// Localized category names (Az.Monitor ≥ 3.0) to invariant ones.
fn category(raw: &str) -> (String, Option<String>) {
    let folded: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let inv = match folded.as_str() {
        "administrative" => "Administrative",
        "servicehealth" => "ServiceHealth",
        "resourcehealth" => "ResourceHealth",
        "alert" => "Alert",
        "autoscale" => "Autoscale",
        "recommendation" => "Recommendation",
        "security" => "Security",
        "policy" => "Policy",
        _ => return (raw.to_string(), None),
    };
    let note = (inv != raw).then(|| format!("category mapped from localized {raw:?}"));
    (inv.to_string(), note)
}

/// Builds the event. `Err` says why the record is not a usable event.
pub fn build(rec: &PsRecord, t: &TimeCtx, source: Provenance) -> Result<ActivityEvent, String> {
    let raw_time = rec
        .raw("eventtimestamp")
        .ok_or("no EventTimestamp in the PowerShell record")?;
    let mut time = ps_time(raw_time, t).map_err(|e| format!("EventTimestamp: {e}"))?;
    if let Some(exact) = rec.get("id").as_deref().and_then(ticks_of) {
        if time.note.is_some() {
            refine_with_ticks(&mut time, exact, t);
        }
    }
    let mut ev = empty_event(source, time);
    ev.submission_time = rec
        .raw("submissiontimestamp")
        .and_then(|s| ps_time(s, t).ok());
    ev.correlation_id = rec.get("correlationid");
    ev.operation_id = rec.get("operationid");
    ev.event_name = rec.get("eventname");
    if let Some(c) = rec.get("category").or_else(|| rec.get("eventsource")) {
        let (inv, note) = category(&c);
        ev.category = Some(inv);
        ev.notes.extend(note);
    }
    ev.status = Status::parse(rec.get("status").as_deref());
    ev.sub_status = rec.get("substatus");
    ev.caller = rec.get("caller");
    ev.description = rec.get("description");
    ev.level = rec.get("level").and_then(|l| Level::parse(&l));
    let claims = rec.pairs("claims");
    ev.claims = Claims::from_pairs(
        claims
            .iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    ev.authorization = authorization_from(&rec.object("authorization"));
    ev.http_request = http_request_from(&rec.object("httprequest"));
    ev.caller_ip = ev.http_request.as_ref().and_then(|h| h.client_ip.clone());
    ev.properties = rec.object("properties");
    let mut r = rec
        .get("resourceid")
        .map(|id| ResourceRef::parse(&id))
        .unwrap_or_default();
    r.fill_from(ResourceRef {
        id: None,
        subscription_id: rec.get("subscriptionid"),
        resource_group: rec.get("resourcegroupname"),
        // Localized provider names ("Microsoft Authorization") are not namespaces.
        provider: rec
            .get("resourceprovidername")
            .filter(|p| p.contains('.') && !p.contains(' ')),
        resource_type: rec.get("resourcetype"),
        name: None,
    });
    ev.resource = r;
    let op = rec.raw("operationname").map(str::to_string);
    set_operation_from_display(&mut ev, op);
    if rec.has_type_names() {
        ev.notes.push(
            "pre-3.0 Az.Monitor export: LocalizableString properties hold only their type name"
                .into(),
        );
    }
    Ok(finish(ev, rec.get("eventdataid"), rec.get("tenantid")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn builds_event() {
        let mut r = PsRecord::default();
        r.insert("EventTimestamp", "10.06.2024 06:13:45".into());
        r.insert("OperationName", "Create role assignment".into());
        r.insert("Category", "Administrative".into());
        r.insert(
            "Claims",
            "\r\nhttp://schemas.microsoft.com/identity/claims/tenantid: t1\r\nappid          : a1"
                .into(),
        );
        r.insert(
            "HttpRequest",
            "\nClientId        : c1\nMethod          : PUT\nUrl             : \nClientIpAddress : 203.0.113.7".into(),
        );
        r.insert(
            "ResourceId",
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/ra"
                .into(),
        );
        r.insert("TenantId", "".into());
        let t = TimeCtx {
            culture: culture::by_name("de-DE").unwrap(),
            how: "inferred",
        };
        let p = Provenance {
            file: Arc::from("x"),
            record: 0,
            line: None,
            offset: None,
        };
        let ev = build(&r, &t, p).unwrap();
        assert_eq!(ev.time.utc.to_string(), "2024-06-10T06:13:45Z");
        assert!(ev
            .time
            .note
            .as_deref()
            .unwrap()
            .contains("second precision"));
        assert_eq!(
            ev.operation.name,
            "Microsoft.Authorization/roleAssignments/write"
        );
        assert_eq!(ev.tenant_id.as_deref(), Some("t1"));
        let h = ev.http_request.unwrap();
        assert_eq!(h.client_request_id.as_deref(), Some("c1"));
        assert_eq!(h.uri, None);
        assert_eq!(ev.caller_ip.as_deref(), Some("203.0.113.7"));
        assert!(ev.event_id_synthetic);
        assert_eq!(
            ev.resource.resource_type.as_deref(),
            Some("Microsoft.Authorization/roleAssignments")
        );

        // A local-time export (UTC+2): the ticks in `Id` are UTC and win, with a note.
        // 638535896250000000 ticks = 2024-06-10T04:13:45Z.
        r.insert(
            "Id",
            "/subscriptions/s1/events/e/ticks/638535896250000000".into(),
        );
        let p = Provenance {
            file: Arc::from("x"),
            record: 1,
            line: None,
            offset: None,
        };
        let ev = build(&r, &t, p).unwrap();
        assert_eq!(ev.time.utc.to_string(), "2024-06-10T04:13:45Z");
        assert!(
            ev.time.note.as_deref().unwrap().contains("is +120 min off"),
            "{:?}",
            ev.time.note
        );
    }
}
