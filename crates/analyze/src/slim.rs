//! Trimming an Activity event to what analysis reads, once its full normalized form has
//! been stored elsewhere (case.sqlite): a million events then fit in far less memory.
//!
//! Attribution and detections read an event's ids, operation, category, status, times,
//! caller, caller IP, resource and tenant, the claims that `Claims`' accessors and the
//! identity classifier name, and three properties: `message`, `requestbody` and
//! `responseBody` (see [`ActivityEvent::property`]). Everything else (other claims and
//! properties, authorization, HTTP request, description, notes, event name, sub-status,
//! submission time, localized operation name and its mapping note, raw status text,
//! resource provider and name, level) is only ever written out whole, so it is dropped here.
//! A test runs every built-in rule on full and on trimmed events and compares the results.

use tokentrail_model::ActivityEvent;

/// The properties analysis reads (compared case-insensitively, as `property` does).
const READ_PROPERTIES: [&str; 3] = ["message", "requestbody", "responseBody"];

/// The claims analysis reads: `Claims`' accessors (`upn` falls back to `unique_name` and
/// `email`, `appid` to `azp`, `appidacr` to `azpacr`) and `spn`, `scp`, `idp`.
const READ_CLAIMS: [&str; 21] = [
    "amr",
    "appid",
    "appidacr",
    "azp",
    "azpacr",
    "email",
    "exp",
    "iat",
    "idp",
    "idtyp",
    "ipaddr",
    "iss",
    "oid",
    "scp",
    "sid",
    "spn",
    "tid",
    "unique_name",
    "upn",
    "uti",
    "xms_mirid",
];

/// Drops the parts of `e` that neither attribution nor detections read.
pub fn for_analysis(e: &mut ActivityEvent) {
    // Whether an event has claims at all matters too (see `Operation::claims`), so one
    // claim stays when none of them is read.
    if e.claims.iter().any(|(k, _)| READ_CLAIMS.contains(&k)) {
        e.claims.retain(|k| READ_CLAIMS.contains(&k));
    } else {
        let first = e.claims.iter().next().map(|(k, _)| k.to_string());
        e.claims.retain(|k| first.as_deref() == Some(k));
    }
    // Rebuilt rather than filtered in place, so the map's spare capacity goes too.
    e.properties = std::mem::take(&mut e.properties)
        .into_iter()
        .filter(|(k, _)| READ_PROPERTIES.iter().any(|p| k.eq_ignore_ascii_case(p)))
        .collect();
    e.authorization = None;
    e.http_request = None;
    e.description = None;
    e.notes = Vec::new();
    e.event_name = None;
    e.sub_status = None;
    e.submission_time = None;
    e.operation.localized = None;
    e.operation.mapping = None;
    e.status.raw = None;
    e.resource.provider = None;
    e.resource.name = None;
    e.level = None;
}
