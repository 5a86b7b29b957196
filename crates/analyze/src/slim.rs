//! Trimming an Activity event to what analysis reads, once its full normalized form has
//! been stored elsewhere (case.sqlite): a million events then fit in far less memory.
//!
//! Attribution and detections read an event's ids, operation, category, status, times,
//! caller, caller IP, resource and tenant, the claims that `Claims`' accessors and the
//! identity classifier name, and three properties: `message`, `requestbody` and
//! `responseBody` (see [`ActivityEvent::property`]). Everything else (other claims and
//! properties, authorization, HTTP request, description, notes, event name, sub-status,
//! submission time, the event time's exported text, localized operation name and its mapping note, raw status text,
//! resource provider and name, level) is only ever written out whole, so it is dropped here.
//! A test runs every built-in rule on full and on trimmed events and compares the results.

use std::collections::HashSet;
use tokentrail_model::{ActivityEvent, Claims};

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

/// What trimmed events share: every event made with one token carries the same claims
/// (a token serves many calls for up to an hour), so identical claim maps are kept once.
#[derive(Default)]
pub struct Shared {
    claims: HashSet<Claims>,
}

impl Shared {
    /// Replaces `c` with an earlier map of the same content, or remembers it.
    fn claims(&mut self, c: &mut Claims) {
        if c.is_empty() {
            return;
        }
        match self.claims.get(c) {
            Some(known) => *c = known.clone(),
            None => {
                self.claims.insert(c.clone());
            }
        }
    }
}

/// [`for_analysis`], then shares what `shared` has seen before.
pub fn for_analysis_shared(e: &mut ActivityEvent, shared: &mut Shared) {
    for_analysis(e);
    shared.claims(&mut e.claims);
}

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
    // The instant stays; its text as exported (and any parsing note) is only written out.
    e.time.raw = String::new();
    e.time.note = None;
    e.operation.localized = None;
    e.operation.mapping = None;
    e.status.raw = None;
    e.resource.provider = None;
    e.resource.name = None;
    e.level = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_with_the_same_token_share_one_claims_map() {
        let claims = |uti: &str| {
            Claims::from_pairs([
                ("uti", uti.to_string()),
                ("oid", "o1".to_string()),
                ("name", "dropped".to_string()),
            ])
        };
        let event = |uti: &str| {
            let mut e: ActivityEvent = serde_json::from_value(serde_json::json!({
                "event_id": "e", "operation": {"name": "x"}, "status": {"kind": "succeeded"},
                "time": {"utc": "2024-06-10T06:13:00Z", "raw": "t"}, "resource": {},
                "source": {"file": "f", "record": 0}
            }))
            .unwrap();
            e.claims = claims(uti);
            e
        };
        let mut shared = Shared::default();
        let (mut a, mut b, mut c) = (event("t1"), event("t1"), event("t2"));
        for e in [&mut a, &mut b, &mut c] {
            for_analysis_shared(e, &mut shared);
        }
        assert!(a.claims.shares_with(&b.claims));
        assert!(!a.claims.shares_with(&c.claims));
        // Sharing changes nothing a reader sees: the trimmed map of an unshared event.
        let mut alone = event("t1");
        for_analysis(&mut alone);
        assert_eq!(b.claims, alone.claims);
        assert_eq!(b.claims.get("name"), None);
        assert_eq!(c.claims.uti(), Some("t2"));
    }
}
