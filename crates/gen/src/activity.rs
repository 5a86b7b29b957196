//! Activity Log operations and the events ARM writes for them (formats.md §1.6): a
//! BeginRequest/Started event, for async operations an EndRequest/Accepted event, then an
//! EndRequest/Succeeded or Failed event, all sharing `operationId` and `correlationId`.

use crate::clock::Ts;
use crate::rng::Rng;
use crate::world::{Tenant, Token};
use tokentrail_model::guid::Guid;

/// Who called ARM.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A principal with an access token.
    Token(Box<Token>),
    /// An Azure service acting with its own claims (Azure Policy): caller text and claims.
    Service {
        caller: String,
        claims: Vec<(&'static str, String)>,
    },
    /// No principal at all (ServiceHealth, ResourceHealth).
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Administrative,
    Policy,
    ServiceHealth,
    ResourceHealth,
}

impl Category {
    pub fn value(self) -> &'static str {
        match self {
            Category::Administrative => "Administrative",
            Category::Policy => "Policy",
            Category::ServiceHealth => "ServiceHealth",
            Category::ResourceHealth => "ResourceHealth",
        }
    }
    pub fn localized(self) -> &'static str {
        match self {
            Category::ServiceHealth => "Service Health",
            Category::ResourceHealth => "Resource Health",
            other => other.value(),
        }
    }
}

/// How an operation ends.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Succeeded with this sub-status (`OK`, `Created`, `NoContent`).
    Succeeded(&'static str),
    /// Failed with this sub-status and error code/message.
    Failed(&'static str, &'static str, String),
}

/// One logical control-plane operation.
#[derive(Clone, Debug)]
pub struct Op {
    pub correlation_id: Guid,
    /// Empty for ResourceHealth.
    pub operation_id: String,
    pub operation: String,
    pub resource_id: String,
    pub category: Category,
    pub caller: Caller,
    pub caller_ip: String,
    pub start: Ts,
    pub method: &'static str,
    pub outcome: Outcome,
    /// Emit an EndRequest/Accepted event between start and end (async operations).
    pub accepted: bool,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub duration_ms: i64,
    /// (role name, role definition GUID, role assignment GUID) for `authorization.evidence`.
    pub evidence: Option<(&'static str, &'static str, Guid)>,
    /// For single-event categories (Policy, health): extra `properties`.
    pub properties: Vec<(&'static str, String)>,
    /// Single-event status (`Active`, `Resolved`, `Succeeded`) for non-Administrative ops.
    pub single_status: &'static str,
    pub level: &'static str,
}

impl Op {
    /// An Administrative operation with defaults; adjust fields afterwards.
    pub fn admin(
        rng: &mut Rng,
        operation: &str,
        resource_id: String,
        caller: Caller,
        ip: &str,
        start: Ts,
    ) -> Op {
        let method = if operation.ends_with("/delete") {
            "DELETE"
        } else if operation.ends_with("/write") {
            "PUT"
        } else {
            "POST"
        };
        let sub = match method {
            "DELETE" => "OK",
            "PUT" => "Created",
            _ => "OK",
        };
        Op {
            correlation_id: rng.guid(),
            operation_id: rng.guid().to_string(),
            operation: operation.into(),
            resource_id,
            category: Category::Administrative,
            caller,
            caller_ip: ip.into(),
            start,
            method,
            outcome: Outcome::Succeeded(sub),
            accepted: false,
            request_body: None,
            response_body: None,
            duration_ms: rng.range(300, 4_000),
            evidence: None,
            properties: Vec::new(),
            single_status: "Succeeded",
            level: "Informational",
        }
    }

    pub fn final_status(&self) -> &'static str {
        if self.category != Category::Administrative {
            return self.single_status;
        }
        match self.outcome {
            Outcome::Succeeded(_) => "Succeeded",
            Outcome::Failed(..) => "Failed",
        }
    }

    /// The events of this operation, in time order.
    pub fn events(&self, rng: &mut Rng) -> Vec<Event> {
        let mut out = Vec::with_capacity(3);
        if self.category != Category::Administrative {
            let t = self.start;
            out.push(Event {
                event_data_id: rng.guid(),
                event_name: if self.category == Category::Policy {
                    "EndRequest"
                } else {
                    ""
                },
                status: self.single_status,
                sub_status: "",
                time: t,
                submitted: t.add_secs(rng.range(20, 600)),
                client_request_id: rng.guid(),
                phase: Phase::Single,
            });
            return out;
        }
        let crid = rng.guid();
        let t0 = self.start;
        out.push(Event {
            event_data_id: rng.guid(),
            event_name: "BeginRequest",
            status: "Started",
            sub_status: "",
            time: t0,
            submitted: t0.add_secs(rng.range(5, 90)),
            client_request_id: crid,
            phase: Phase::Begin,
        });
        let mut t = t0.add_ms(rng.range(150, 900));
        if self.accepted {
            out.push(Event {
                event_data_id: rng.guid(),
                event_name: "EndRequest",
                status: "Accepted",
                sub_status: "Accepted",
                time: t,
                submitted: t.add_secs(rng.range(5, 90)),
                client_request_id: crid,
                phase: Phase::Accepted,
            });
            t = t.add_ms(self.duration_ms.max(1_000));
        } else {
            t = t0.add_ms(self.duration_ms);
        }
        let (status, sub) = match &self.outcome {
            Outcome::Succeeded(s) => ("Succeeded", *s),
            Outcome::Failed(s, ..) => ("Failed", *s),
        };
        out.push(Event {
            event_data_id: rng.guid(),
            event_name: "EndRequest",
            status,
            sub_status: sub,
            time: t,
            submitted: t.add_secs(rng.range(5, 120)),
            client_request_id: crid,
            phase: Phase::End,
        });
        out
    }

    /// `properties` of one event as (key, string value) pairs, in ARM's order.
    pub fn event_properties(
        &self,
        ev: &Event,
        t: &Tenant,
        rng_sr: Guid,
    ) -> Vec<(&'static str, Option<String>)> {
        let mut p: Vec<(&'static str, Option<String>)> = Vec::new();
        if self.category != Category::Administrative {
            for (k, v) in &self.properties {
                p.push((k, Some(v.clone())));
            }
            return p;
        }
        let hierarchy = format!("{}/{}", t.tenant_id, t.subscription_id);
        match ev.phase {
            Phase::Begin => {
                p.push(("eventCategory", Some("Administrative".into())));
                p.push(("entity", Some(self.resource_id.clone())));
                p.push(("message", Some(self.operation.clone())));
                p.push(("hierarchy", Some(hierarchy)));
                if let Some(b) = &self.request_body {
                    p.push(("requestbody", Some(b.clone())));
                }
            }
            Phase::Accepted | Phase::End | Phase::Single => {
                p.push(("statusCode", Some(ev.sub_status.to_string())));
                p.push(("serviceRequestId", Some(rng_sr.to_string())));
                if let Outcome::Failed(_, code, msg) = &self.outcome {
                    if ev.phase == Phase::End {
                        let m = serde_json::json!({"error": {"code": code, "message": msg}});
                        p.push(("statusMessage", Some(m.to_string())));
                    }
                }
                if let Some(b) = &self.response_body {
                    if matches!(self.outcome, Outcome::Succeeded(_)) || ev.phase == Phase::Accepted
                    {
                        p.push(("responseBody", Some(b.clone())));
                    }
                }
                p.push(("eventCategory", Some("Administrative".into())));
                p.push(("entity", Some(self.resource_id.clone())));
                p.push(("message", Some(self.operation.clone())));
                p.push(("hierarchy", Some(hierarchy)));
            }
        }
        p
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Begin,
    Accepted,
    End,
    Single,
}

/// One Activity Log event of an operation.
#[derive(Clone, Debug)]
pub struct Event {
    pub event_data_id: Guid,
    pub event_name: &'static str,
    pub status: &'static str,
    pub sub_status: &'static str,
    pub time: Ts,
    pub submitted: Ts,
    pub client_request_id: Guid,
    pub phase: Phase,
}

/// Splits an ARM resource id into (resource group, provider, type).
pub fn split_resource(id: &str) -> (String, String, String) {
    let parts: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let mut rg = String::new();
    let mut provider = String::new();
    let mut types: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let p = parts[i];
        if p.eq_ignore_ascii_case("resourceGroups") && i + 1 < parts.len() {
            rg = parts[i + 1].to_string();
            i += 2;
            continue;
        }
        if p.eq_ignore_ascii_case("providers") && i + 1 < parts.len() {
            provider = parts[i + 1].to_string();
            types.clear();
            let mut j = i + 2;
            while j < parts.len() {
                types.push(parts[j]);
                j += 2;
            }
            break;
        }
        i += 1;
    }
    let rtype = if provider.is_empty() {
        if rg.is_empty() {
            "Microsoft.Resources/subscriptions".to_string()
        } else {
            provider = "Microsoft.Resources".into();
            "Microsoft.Resources/subscriptions/resourceGroups".to_string()
        }
    } else {
        let mut s = provider.clone();
        for t in types {
            s.push('/');
            s.push_str(t);
        }
        s
    };
    (rg, provider, rtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_resource_ids() {
        let (rg, p, t) = split_resource(
            "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/r1",
        );
        assert_eq!(rg, "rg-net");
        assert_eq!(p, "Microsoft.Network");
        assert_eq!(t, "Microsoft.Network/networkSecurityGroups/securityRules");
        let (rg, p, t) = split_resource("/subscriptions/s/resourceGroups/rg1");
        assert_eq!((rg.as_str(), p.as_str()), ("rg1", "Microsoft.Resources"));
        assert_eq!(t, "Microsoft.Resources/subscriptions/resourceGroups");
    }
}
