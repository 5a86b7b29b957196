//! The normalized Azure Activity Log event.
//!
//! One [`ActivityEvent`] per event of any export shape (REST, `az`, diagnostic settings,
//! Log Analytics, PowerShell). Field meanings follow formats.md §1–4.

use crate::claims::Claims;
use crate::guid::Guid;
use crate::provenance::Provenance;
use crate::resource::ResourceRef;
use crate::time::EventTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One Activity Log event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityEvent {
    /// `eventDataId`, or `sha256:<hex>` over the record's content when the export has none.
    pub event_id: String,
    /// True when `event_id` is a content hash rather than Azure's `eventDataId`.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub event_id_synthetic: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    pub operation: Operation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<String>,
    pub time: EventTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission_time: Option<EventTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// The IP that called ARM (`httpRequest.clientIpAddress` / `callerIpAddress`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_ip: Option<String>,
    #[serde(skip_serializing_if = "Claims::is_empty", default)]
    pub claims: Claims,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Boxed, like `http_request`: most events' inline size stays small (a million events
    /// are held at once while operations are grouped).
    pub authorization: Option<Box<Authorization>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_request: Option<Box<HttpRequest>>,
    pub resource: ResourceRef,
    /// The Entra tenant. Never the Log Analytics workspace id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// `properties` as found: string values stay strings (often JSON text).
    #[serde(skip_serializing_if = "Map::is_empty", default)]
    pub properties: Map<String, Value>,
    pub source: Provenance,
    /// Notes on anything the reader had to assume or could not map.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

impl ActivityEvent {
    /// A property by case-insensitive key.
    pub fn property(&self, key: &str) -> Option<&Value> {
        property(&self.properties, key)
    }

    /// The ARM request body (`properties.requestbody`), parsed from JSON text on demand.
    pub fn request_body(&self) -> Option<Value> {
        request_body(&self.properties)
    }

    /// The ARM response body (`properties.responseBody`), parsed from JSON text on demand.
    pub fn response_body(&self) -> Option<Value> {
        response_body(&self.properties)
    }

    /// The invariant operation name, lower-cased, for case-insensitive comparison.
    pub fn operation_key(&self) -> String {
        self.operation.name.to_ascii_lowercase()
    }
}

/// The entry of Activity `properties` whose key matches `key` case-insensitively.
pub fn property<'a>(properties: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    properties
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The ARM request body in Activity `properties` (`requestbody`), parsed from JSON text.
pub fn request_body(properties: &Map<String, Value>) -> Option<Value> {
    property(properties, "requestbody").and_then(decode_json_value)
}

/// The ARM response body in Activity `properties` (`responseBody`), parsed from JSON text.
pub fn response_body(properties: &Map<String, Value>) -> Option<Value> {
    property(properties, "responseBody").and_then(decode_json_value)
}

/// Parses a value that may be JSON text or already structured. Text that is not JSON is
/// returned as a string value.
pub fn decode_json_value(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str(s).ok().or_else(|| Some(v.clone()))
            } else {
                Some(v.clone())
            }
        }
        other => Some(other.clone()),
    }
}

/// The operation performed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The invariant name (`Microsoft.Compute/virtualMachines/write`) as logged; when only a
    /// localized name was available and could be mapped, the mapped invariant name.
    pub name: String,
    /// The localized name, when the export carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub localized: Option<String>,
    /// How `name` was obtained when it was not in the export: e.g.
    /// `mapped from localized name "Create role assignment"` or `unmapped localized name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
}

/// Normalized status plus the raw value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub kind: StatusKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl Status {
    pub fn parse(raw: Option<&str>) -> Status {
        let kind = raw.map(StatusKind::parse).unwrap_or(StatusKind::Unknown);
        Status {
            kind,
            raw: raw.map(str::to_string),
        }
    }
}

/// The status of an Activity Log event, normalized across the REST, diagnostic
/// (`resultType`), Log Analytics and localized PowerShell spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    Started,
    Accepted,
    InProgress,
    Succeeded,
    Failed,
    Canceled,
    Active,
    Resolved,
    Updated,
    Unknown,
}

impl StatusKind {
    pub fn parse(s: &str) -> StatusKind {
        let t: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        // `Succeeded.Created` style result signatures.
        let t = t.split('.').next().unwrap_or("");
        match t {
            "started" | "start" => StatusKind::Started,
            "accepted" | "accept" => StatusKind::Accepted,
            "inprogress" | "running" => StatusKind::InProgress,
            "succeeded" | "success" | "succeed" | "successful" => StatusKind::Succeeded,
            "failed" | "failure" | "fail" | "error" => StatusKind::Failed,
            "canceled" | "cancelled" | "cancel" => StatusKind::Canceled,
            "active" => StatusKind::Active,
            "resolved" => StatusKind::Resolved,
            "updated" => StatusKind::Updated,
            _ => StatusKind::Unknown,
        }
    }

    /// True for a status that ends an operation.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            StatusKind::Succeeded | StatusKind::Failed | StatusKind::Canceled
        )
    }
}

/// Event level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Critical,
    Error,
    Warning,
    Informational,
    Verbose,
}

impl Level {
    /// Accepts names (`Informational`, `Information`) and the integer form 1–5.
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" | "1" => Some(Level::Critical),
            "error" | "2" => Some(Level::Error),
            "warning" | "3" => Some(Level::Warning),
            "informational" | "information" | "info" | "4" => Some(Level::Informational),
            "verbose" | "5" => Some(Level::Verbose),
            _ => None,
        }
    }
}

/// `authorization`: the RBAC check ARM made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// `authorization.evidence`, with its hyphenless GUIDs normalized.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_assignment_scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_assignment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_definition_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
}

/// Normalizes a GUID-ish value to lower-case hyphenated form; other text is kept as is.
pub fn normalize_guid_text(s: &str) -> String {
    Guid::parse(s)
        .or_else(|| Guid::parse_trailing(s))
        .map(|g| g.to_string())
        .unwrap_or_else(|| s.trim().to_string())
}

/// `httpRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_spellings() {
        for (s, k) in [
            ("Started", StatusKind::Started),
            ("Start", StatusKind::Started),
            ("success", StatusKind::Succeeded),
            ("Succeeded.Created", StatusKind::Succeeded),
            ("Failure", StatusKind::Failed),
            ("In Progress", StatusKind::InProgress),
            ("Accept", StatusKind::Accepted),
            ("weird", StatusKind::Unknown),
        ] {
            assert_eq!(StatusKind::parse(s), k, "{s}");
        }
    }

    #[test]
    fn level_forms() {
        assert_eq!(Level::parse("Information"), Some(Level::Informational));
        assert_eq!(Level::parse("4"), Some(Level::Informational));
        assert_eq!(Level::parse("1"), Some(Level::Critical));
        assert_eq!(Level::parse("x"), None);
    }

    #[test]
    fn evidence_guid_normalized() {
        assert_eq!(
            normalize_guid_text("8e3af657a8ff443ca75c2fe8c4bcb635"),
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
        );
        assert_eq!(normalize_guid_text("Owner"), "Owner");
    }
}
