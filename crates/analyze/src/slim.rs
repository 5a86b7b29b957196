//! Trimming an Activity event to what analysis reads, once its full normalized form has
//! been stored elsewhere (case.sqlite): a million events then fit in far less memory.
//!
//! Attribution and detections read an event's ids, operation, category, status, times,
//! caller, caller IP, claims, resource and tenant, and three properties: `message`,
//! `requestbody` and `responseBody` (see [`ActivityEvent::property`]). Everything else
//! (other properties, authorization, HTTP request, description, notes, event name,
//! sub-status, submission time) is only ever written out whole, so it is dropped here.
//! A test runs every built-in rule on full and on trimmed events and compares the results.

use tokentrail_model::ActivityEvent;

/// The properties analysis reads (compared case-insensitively, as `property` does).
const READ_PROPERTIES: [&str; 3] = ["message", "requestbody", "responseBody"];

/// Drops the parts of `e` that neither attribution nor detections read.
pub fn for_analysis(e: &mut ActivityEvent) {
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
}
