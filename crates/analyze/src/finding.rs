//! The output contract: one [`OperationFinding`] per logical operation, serialized as a
//! line of `findings/operations.jsonl`.

use crate::gaps::Gap;
use crate::identity::Identity;
use crate::text::Text;
use crate::verdict::Verdict;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

thread_local! {
    /// Lines already shared by this thread (each worker keeps its own, so there is no lock;
    /// a line is held at most once per thread).
    static SHARED: RefCell<HashSet<Arc<str>>> = RefCell::new(HashSet::new());
}

/// `lines` as shared text: a line equal to one seen before on this thread reuses it.
pub fn shared(lines: Vec<String>) -> Vec<Arc<str>> {
    SHARED.with(|set| {
        let mut set = set.borrow_mut();
        lines
            .into_iter()
            .map(|l| match set.get(l.as_str()) {
                Some(a) => a.clone(),
                None => {
                    let a: Arc<str> = l.into();
                    set.insert(a.clone());
                    a
                }
            })
            .collect()
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct Client {
    pub app_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SignInRef {
    /// The Request ID, lower-case GUID.
    pub id: String,
    pub kind: crate::signins::Kind,
    pub time: Option<String>,
    /// Shared with the sign-in's facts.
    pub ip: Option<Text>,
    #[serde(rename = "match")]
    pub method: crate::correlate::Method,
    pub confidence: f64,
    pub evidence: Vec<String>,
}

/// The text fields are shared with the origin sign-in's facts, not copied.
#[derive(Clone, Debug, Serialize)]
pub struct SessionOrigin {
    pub id: String,
    pub time: Option<String>,
    pub ip: Option<Text>,
    pub mfa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_access: Option<Text>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceRef {
    /// Shared with every other event read from the same file.
    pub file: Arc<str>,
    pub record: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// A detection attached to an operation (filled by the detection stage).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DetectionRef {
    pub rule: String,
    pub title: String,
    pub severity: String,
    pub attack: Vec<String>,
}

/// One logical operation, explained.
#[derive(Clone, Debug, Serialize)]
pub struct OperationFinding {
    pub correlation_id: Option<String>,
    pub operation: String,
    pub resource_id: Option<String>,
    /// RFC 3339 UTC time of the operation's first event.
    pub time: String,
    pub status: tokentrail_model::StatusKind,
    pub caller: Option<String>,
    pub identity: Identity,
    pub client: Client,
    pub verdict: Verdict,
    pub sign_in: Option<SignInRef>,
    pub session_origin: Option<SessionOrigin>,
    /// Shared text: the same few thousand lines recur across hundreds of thousands of
    /// operations (see [`shared`]).
    pub indicators: Vec<Arc<str>>,
    pub anomalies: Vec<Arc<str>>,
    pub gaps: Vec<Gap>,
    pub statement: String,
    pub detections: Vec<DetectionRef>,
    pub caller_ip: Option<String>,
    pub subscription_id: Option<String>,
    pub duration_ms: i64,
    pub event_ids: Vec<String>,
    pub sources: Vec<SourceRef>,
}
