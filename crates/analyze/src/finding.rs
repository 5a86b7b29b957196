//! The output contract: one [`OperationFinding`] per logical operation, serialized as a
//! line of `findings/operations.jsonl`.

use crate::gaps::Gap;
use crate::identity::Identity;
use crate::verdict::Verdict;
use serde::Serialize;

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
    pub ip: Option<String>,
    #[serde(rename = "match")]
    pub method: crate::correlate::Method,
    pub confidence: f64,
    pub evidence: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SessionOrigin {
    pub id: String,
    pub time: Option<String>,
    pub ip: Option<String>,
    pub mfa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_access: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceRef {
    pub file: String,
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
    pub indicators: Vec<String>,
    pub anomalies: Vec<String>,
    pub gaps: Vec<Gap>,
    pub statement: String,
    pub detections: Vec<DetectionRef>,
    pub caller_ip: Option<String>,
    pub subscription_id: Option<String>,
    pub duration_ms: i64,
    pub event_ids: Vec<String>,
    pub sources: Vec<SourceRef>,
}
