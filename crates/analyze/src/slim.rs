//! Trimming an Activity event to what analysis reads, once its full normalized form has
//! been stored elsewhere (case.sqlite): a million events then fit in far less memory.
//! Analysis holds [`SlimEvent`]s: the fields it reads, with repeated text (operation
//! names, callers, resource ids, tenants, claim maps) shared between events.
//!
//! Attribution and detections read an event's ids, operation, category, status, times,
//! caller, caller IP, resource and tenant, the claims that `Claims`' accessors and the
//! identity classifier name, and three properties: `message`, `requestbody` and
//! `responseBody` (see [`ActivityEvent::property`]). Everything else (other claims and
//! properties, authorization, HTTP request, description, notes, event name, sub-status,
//! submission time, the event time's exported text, localized operation name and its mapping note, raw status text,
//! resource provider and name, level) is only ever written out whole, so it is dropped here.
//! A test runs every built-in rule on full and on trimmed events and compares the results.

use crate::signins::Interner;
use crate::text::Text;
use jiff::Timestamp;
use serde_json::{Map, Value};
use tokentrail_model::activity::decode_json_value;
use tokentrail_model::{ActivityEvent, Claims, Provenance, StatusKind};

/// An Activity event as analysis holds it: the fields attribution and detections read.
#[derive(Clone, Debug)]
pub struct SlimEvent {
    pub event_id: String,
    /// True when `event_id` is a content hash rather than Azure's `eventDataId`.
    pub event_id_synthetic: bool,
    pub correlation_id: Option<Text>,
    pub operation_id: Option<Text>,
    pub operation: SlimOperation,
    pub category: Option<Text>,
    pub status: SlimStatus,
    pub time: SlimTime,
    pub caller: Option<Text>,
    pub caller_ip: Option<Text>,
    pub claims: Claims,
    pub resource: SlimResource,
    pub tenant_id: Option<Text>,
    pub duration_ms: Option<u64>,
    /// The properties kept, in their exported order: a boxed list (16 bytes and one
    /// allocation) rather than a map, whose index table and spare room cost about 250 bytes
    /// an event for the one to three entries analysis reads.
    pub properties: Box<[(Box<str>, Value)]>,
    pub source: Provenance,
}

/// The operation's invariant name.
#[derive(Clone, Debug)]
pub struct SlimOperation {
    pub name: Text,
}

/// The normalized status.
#[derive(Clone, Copy, Debug)]
pub struct SlimStatus {
    pub kind: StatusKind,
}

/// The event's instant.
#[derive(Clone, Copy, Debug)]
pub struct SlimTime {
    pub utc: Timestamp,
}

/// The resource id and the parts of it analysis reads.
#[derive(Clone, Debug, Default)]
pub struct SlimResource {
    pub id: Option<Text>,
    pub subscription_id: Option<Text>,
    pub resource_group: Option<Text>,
    pub resource_type: Option<Text>,
}

impl SlimEvent {
    /// Every field analysis may read, claims and properties untrimmed (see [`slim`]).
    pub fn keep_all(e: ActivityEvent, shared: &mut Shared) -> SlimEvent {
        let t = &mut shared.texts;
        SlimEvent {
            correlation_id: t.opt(e.correlation_id.as_deref()),
            operation_id: t.opt(e.operation_id.as_deref()),
            operation: SlimOperation {
                name: t.text(&e.operation.name),
            },
            category: t.opt(e.category.as_deref()),
            status: SlimStatus {
                kind: e.status.kind,
            },
            time: SlimTime { utc: e.time.utc },
            caller: t.opt(e.caller.as_deref()),
            caller_ip: t.opt(e.caller_ip.as_deref()),
            resource: SlimResource {
                id: t.opt(e.resource.id.as_deref()),
                subscription_id: t.opt(e.resource.subscription_id.as_deref()),
                resource_group: t.opt(e.resource.resource_group.as_deref()),
                resource_type: t.opt(e.resource.resource_type.as_deref()),
            },
            tenant_id: t.opt(e.tenant_id.as_deref()),
            event_id: e.event_id,
            event_id_synthetic: e.event_id_synthetic,
            claims: e.claims,
            duration_ms: e.duration_ms,
            properties: listed(e.properties),
            source: e.source,
        }
    }

    /// A property by case-insensitive key.
    pub fn property(&self, key: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// The ARM request body (`properties.requestbody`), parsed from JSON text on demand.
    pub fn request_body(&self) -> Option<Value> {
        self.property("requestbody").and_then(decode_json_value)
    }

    /// The ARM response body (`properties.responseBody`), parsed from JSON text on demand.
    pub fn response_body(&self) -> Option<Value> {
        self.property("responseBody").and_then(decode_json_value)
    }
}

impl From<ActivityEvent> for SlimEvent {
    fn from(e: ActivityEvent) -> SlimEvent {
        SlimEvent::keep_all(e, &mut Shared::default())
    }
}

impl From<Box<ActivityEvent>> for SlimEvent {
    fn from(e: Box<ActivityEvent>) -> SlimEvent {
        SlimEvent::from(*e)
    }
}

/// Trims `e` ([`for_analysis`]) and keeps what analysis reads, sharing text and claim
/// maps with the events `shared` has seen.
pub fn slim(mut e: ActivityEvent, shared: &mut Shared) -> SlimEvent {
    // Listed straight from the full map, without the trimmed map `for_analysis` builds.
    let properties = read_properties(std::mem::take(&mut e.properties)).collect();
    for_analysis(&mut e);
    shared.claims(&mut e.claims);
    SlimEvent {
        properties,
        ..SlimEvent::keep_all(e, shared)
    }
}

/// `properties` as a list, in order.
fn listed(properties: Map<String, Value>) -> Box<[(Box<str>, Value)]> {
    properties
        .into_iter()
        .map(|(k, v)| (k.into_boxed_str(), v))
        .collect()
}

/// The entries of `properties` that analysis reads, in order.
fn read_properties(properties: Map<String, Value>) -> impl Iterator<Item = (Box<str>, Value)> {
    properties
        .into_iter()
        .filter(|(k, _)| READ_PROPERTIES.iter().any(|p| k.eq_ignore_ascii_case(p)))
        .map(|(k, v)| (k.into_boxed_str(), v))
}

/// The properties analysis reads (compared case-insensitively, as `property` does).
const READ_PROPERTIES: [&str; 3] = ["message", "requestbody", "responseBody"];

/// The claims analysis reads: `Claims`' accessors (`upn` falls back to `unique_name` and
/// `email`, `appid` to `azp`, `appidacr` to `azpacr`) and `spn`, `scp`, `idp`.
#[cfg(test)]
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

/// Whether analysis reads claim `k`: one of `READ_CLAIMS`, spelled out so that the compiler
/// dispatches on the length first (the thirty-odd claims of each of a million events pass
/// here; a test keeps the two lists equal).
fn read_claim(k: &str) -> bool {
    matches!(
        k,
        "amr"
            | "appid"
            | "appidacr"
            | "azp"
            | "azpacr"
            | "email"
            | "exp"
            | "iat"
            | "idp"
            | "idtyp"
            | "ipaddr"
            | "iss"
            | "oid"
            | "scp"
            | "sid"
            | "spn"
            | "tid"
            | "unique_name"
            | "upn"
            | "uti"
            | "xms_mirid"
    )
}

/// What trimmed events share: every event made with one token carries the same claims
/// (a token serves many calls for up to an hour), so identical claim maps are kept once.
#[derive(Default)]
pub struct Shared {
    claims: foldhash::HashSet<Claims>,
    texts: Interner,
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

/// Drops the parts of `e` that neither attribution nor detections read.
pub fn for_analysis(e: &mut ActivityEvent) {
    // Whether an event has claims at all matters too (see `Operation::claims`), so one
    // claim stays when none of them is read.
    if e.claims.iter().any(|(k, _)| read_claim(k)) {
        e.claims.retain(read_claim);
    } else {
        let first = e.claims.iter().next().map(|(k, _)| k.to_string());
        e.claims.retain(|k| first.as_deref() == Some(k));
    }
    // Rebuilt rather than filtered in place, so the map's spare capacity goes too.
    e.properties = read_properties(std::mem::take(&mut e.properties))
        .map(|(k, v)| (k.into_string(), v))
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
    fn read_claim_answers_for_exactly_the_listed_claims() {
        assert!(READ_CLAIMS.windows(2).all(|w| w[0] < w[1]));
        assert!(READ_CLAIMS.iter().all(|k| read_claim(k)));
        assert!(!read_claim("name") && !read_claim("aio") && !read_claim("zzz"));
        assert!(!read_claim("UPN") && !read_claim("upn ") && !read_claim(""));
        // Every claim name the generator and the samples use, and near misses of the list.
        let others = [
            "acr", "aud", "nbf", "puid", "rh", "ver", "xms_tcdt", "name", "wids",
        ];
        for k in others {
            assert_eq!(read_claim(k), READ_CLAIMS.contains(&k), "{k}");
        }
        for k in READ_CLAIMS {
            for cut in 1..k.len() {
                let near = &k[..cut];
                assert_eq!(read_claim(near), READ_CLAIMS.contains(&near), "{near}");
            }
        }
    }

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
        let (mut a, mut b, c) = (event("t1"), event("t1"), event("t2"));
        a.operation.name = "Microsoft.Compute/virtualMachines/write".into();
        b.operation.name = a.operation.name.clone();
        let [a, b, c] = [a, b, c].map(|e| slim(e, &mut shared));
        assert!(a.claims.shares_with(&b.claims));
        assert!(!a.claims.shares_with(&c.claims));
        assert!(std::ptr::eq(
            a.operation.name.as_str(),
            b.operation.name.as_str()
        ));
        // Sharing changes nothing a reader sees: the trimmed map of an unshared event.
        let mut alone = event("t1");
        for_analysis(&mut alone);
        assert_eq!(b.claims, alone.claims);
        assert_eq!(b.claims.get("name"), None);
        assert_eq!(c.claims.uti(), Some("t2"));
    }
}
