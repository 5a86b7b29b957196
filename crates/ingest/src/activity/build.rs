//! Shared steps for building an [`ActivityEvent`] from any shape: claims, authorization,
//! http request, synthetic ids, tenant and resource resolution.

use crate::content_id::ContentId;
use crate::fields::{value_text, Fields};
use serde_json::{Map, Value};
use tokentrail_model::activity::normalize_guid_text;
use tokentrail_model::{ActivityEvent, Authorization, Claims, Evidence, HttpRequest};

/// Claims from an object of string values (non-strings are rendered as text).
pub fn claims_from(map: &Map<String, Value>) -> Claims {
    Claims::from_pairs(map.iter().filter_map(|(k, v)| {
        let s = match v {
            Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
            Value::Null => return None,
            other => {
                std::borrow::Cow::Owned(value_text(other).unwrap_or_else(|| other.to_string()))
            }
        };
        Some((k.as_str(), s))
    }))
}

/// `authorization` with its `evidence` GUIDs normalized.
pub fn authorization_from(map: &Map<String, Value>) -> Option<Box<Authorization>> {
    let f = Fields::new(map);
    let evidence = f.object(&["evidence"]).map(|e| {
        let g = Fields::new(&e);
        Evidence {
            role: g.str(&["role"]),
            role_assignment_scope: g.str(&["roleassignmentscope"]),
            role_assignment_id: g
                .str(&["roleassignmentid"])
                .map(|s| normalize_guid_text(&s)),
            role_definition_id: g
                .str(&["roledefinitionid"])
                .map(|s| normalize_guid_text(&s)),
            principal_id: g.str(&["principalid"]).map(|s| normalize_guid_text(&s)),
            principal_type: g.str(&["principaltype"]),
        }
    });
    let a = Authorization {
        action: f.str(&["action"]),
        scope: f.str(&["scope"]),
        role: f.str(&["role"]),
        condition: f.str(&["condition"]),
        evidence,
    };
    (a != Authorization::default()).then(|| Box::new(a))
}

/// `httpRequest` (also PowerShell's renamed `ClientId` / `Url`).
pub fn http_request_from(map: &Map<String, Value>) -> Option<Box<HttpRequest>> {
    let f = Fields::new(map);
    let h = HttpRequest {
        client_request_id: f.str(&["clientrequestid", "clientid"]),
        client_ip: f.str(&["clientipaddress"]),
        method: f.str(&["method"]),
        uri: f.str(&["uri", "url"]),
    };
    (h != HttpRequest::default()).then(|| Box::new(h))
}

/// A stable id for an event that has no `eventDataId`: SHA-256 over the fields that
/// identify it across exports (correlation id, operation, time, status, resource, caller),
/// so the same event from two overlapping exports gets the same id.
pub fn content_id(ev: &ActivityEvent) -> String {
    ContentId::default()
        .field(ev.correlation_id.as_deref().unwrap_or(""))
        .field_lower(&ev.operation.name)
        .field_fmt(format_args!("{}", ev.time.utc))
        .field_fmt(format_args!("{:?}", ev.status.kind))
        .field_lower(ev.resource.id.as_deref().unwrap_or(""))
        .field_lower(ev.caller.as_deref().unwrap_or(""))
        .field(ev.sub_status.as_deref().unwrap_or(""))
        .finish()
}

/// The tenant: an explicit field, else the token's `tid`, else the first segment of
/// `properties.hierarchy`. Never a Log Analytics workspace id.
pub fn resolve_tenant(explicit: Option<String>, ev: &ActivityEvent) -> Option<String> {
    explicit
        .or_else(|| ev.claims.tid().map(str::to_string))
        .or_else(|| {
            ev.property("hierarchy")
                .and_then(value_text)
                .and_then(|h| h.split('/').next().map(str::to_string))
                .filter(|s| !s.is_empty())
        })
        .or_else(|| {
            ev.claims
                .iss()
                .and_then(|i| {
                    i.trim_end_matches('/')
                        .trim_end_matches("/v2.0")
                        .rsplit('/')
                        .next()
                        .map(str::to_string)
                })
                .filter(|t| tokentrail_model::Guid::parse(t).is_some())
        })
}
