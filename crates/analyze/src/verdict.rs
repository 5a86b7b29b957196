//! The verdict: was a change made by a person (interactive), by automation, by the Azure
//! platform, or can the logs not tell? Every verdict lists the indicators behind it.

use crate::client::HUMAN_TOOLS;
use crate::identity::{Identity, IdentityType};
use crate::signins::{Kind, SignInFacts};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Interactive,
    Automation,
    Platform,
    Undetermined,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Interactive => "interactive",
            Verdict::Automation => "automated",
            Verdict::Platform => "a platform action",
            Verdict::Undetermined => "undetermined",
        }
    }
}

fn describe(s: &SignInFacts) -> String {
    let mut parts = vec![format!("{} sign-in {}", s.kind().label(), s.id)];
    if let Some(t) = s.time {
        parts.push(format!("at {t}"));
    }
    if let Some(ip) = &s.ip {
        parts.push(format!("from {ip}"));
    }
    if let Some(l) = &s.location {
        parts.push(format!("({l})"));
    }
    parts.join(" ")
}

/// Indicators from a sign-in: MFA, conditional access, user agent, credential, risk.
pub fn signin_indicators(s: &SignInFacts, role: &str, out: &mut Vec<String>) {
    out.push(format!("{role}: {}", describe(s)));
    match (s.mfa, s.auth_requirement.as_deref()) {
        (Some(true), _) => out.push(format!(
            "{role}: multi-factor authentication satisfied{}",
            if s.auth_methods.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.auth_methods.join(", "))
            }
        )),
        (_, Some(r)) if r.eq_ignore_ascii_case("singleFactorAuthentication") => {
            out.push(format!("{role}: single-factor authentication"))
        }
        _ => {}
    }
    if let Some(ca) = &s.conditional_access {
        out.push(format!("{role}: conditional access {ca}"));
    }
    if let Some(ua) = &s.user_agent {
        let tool = crate::client::tool_from_user_agent(ua)
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        out.push(format!("{role}: user agent \"{ua}\"{tool}"));
    }
    if let Some(c) = &s.client_app_used {
        out.push(format!("{role}: client app used {c}"));
    }
    if let Some(d) = &s.device {
        out.push(format!("{role}: device {d}"));
    }
    if let Some(ct) = s
        .credential_type
        .as_deref()
        .filter(|c| !c.eq_ignore_ascii_case("none"))
    {
        out.push(format!("{role}: client credential {ct}"));
    }
    if let Some(f) = &s.federated_credential_id {
        out.push(format!(
            "{role}: federated credential {f} (workload identity federation, e.g. GitHub Actions)"
        ));
    }
    if let Some(t) = &s.incoming_token_type {
        if !t.eq_ignore_ascii_case("none") {
            out.push(format!("{role}: incoming token {t}"));
        }
    }
    if let Some(r) = s
        .risk_level
        .as_deref()
        .filter(|r| !matches!(r.to_ascii_lowercase().as_str(), "none" | "hidden" | ""))
    {
        out.push(format!("{role}: risk level {r}"));
    }
}

/// Decides the verdict for an identity, its client tool and its sign-ins.
pub fn decide(
    identity: &Identity,
    client: Option<&str>,
    issuer: Option<&SignInFacts>,
    origin: Option<&SignInFacts>,
    indicators: &mut Vec<String>,
) -> Verdict {
    match identity.kind {
        IdentityType::AzurePlatform => {
            indicators.push("caller is the Azure platform, not a tenant identity".into());
            Verdict::Platform
        }
        IdentityType::ServicePrincipal | IdentityType::ManagedIdentity => {
            indicators.push(format!(
                "{} token (app-only): automation by definition",
                identity.kind.label()
            ));
            Verdict::Automation
        }
        IdentityType::User => {
            let human_tool = client.is_some_and(|c| HUMAN_TOOLS.contains(&c));
            let interactive_origin =
                origin.is_some() || issuer.is_some_and(|s| s.kind() == Kind::Interactive);
            if human_tool {
                indicators.push(format!(
                    "user token issued to {}, a tool a person drives",
                    client.unwrap_or("")
                ));
            }
            if interactive_origin {
                indicators.push("the token's session began with an interactive sign-in".into());
            }
            if human_tool || interactive_origin {
                Verdict::Interactive
            } else {
                indicators.push("user token, but neither the client nor an interactive session origin shows a person".into());
                Verdict::Undetermined
            }
        }
        IdentityType::Unknown => {
            indicators.push("the caller could not be classified".into());
            Verdict::Undetermined
        }
    }
}
