//! Token-to-sign-in linkage, strongest evidence first (formats.md §7.2–7.3):
//!
//! 1. **token**: the `uti` claim against the sign-in's unique token identifier (either
//!    encoding) or its Request ID;
//! 2. **session**: the `sid` claim against the session id, narrowed by `iat`;
//! 3. **issued_at**: `iat` + ~300 s against the sign-in time, agreeing on object id and
//!    app id (and IP where present);
//! 4. **window**: only then, the identity and app within ±15 minutes, widening to 60.
//!
//! A failed sign-in is never chosen as a token's issuer. Many operations may share a token.

use crate::evidence::Evidence;
use crate::operations::Operation;
use crate::signins::{SignInFacts, SignInIndex};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tokentrail_model::guid::decode_token_id;

/// Azure Resource Manager's resource app id (the ARM token audience).
pub const ARM_APP: &str = "797f4846-ba00-4fd7-ba43-dac1f8f63013";
/// Entra back-dates `iat` by about five minutes.
pub const IAT_BACKDATE: i64 = 300;
/// Seconds after `iat` within which the issuing sign-in's time must fall: the sign-in is
/// logged when authentication starts, so it can precede issuance (a slow MFA approval) but
/// cannot follow it by more than clock skew. Issuance is at about `iat + 300 s`.
pub const IAT_WINDOW: std::ops::RangeInclusive<i64> = -60..=IAT_BACKDATE + 120;

/// How a match was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Token,
    Session,
    IssuedAt,
    Window,
}

impl Method {
    /// The name used in every output (`token`, `session`, `issued_at`, `window`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Token => "token",
            Method::Session => "session",
            Method::IssuedAt => "issued_at",
            Method::Window => "window",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Method::Token => "token id (uti = uniqueTokenIdentifier)",
            Method::Session => "session id (sid) narrowed by issue time",
            Method::IssuedAt => "token issue time (iat) with matching identity and app",
            Method::Window => "same identity and app within a time window (fallback)",
        }
    }
}

/// A link from an operation's token to the sign-in that issued it.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub signin: usize,
    pub method: Method,
    /// 0–1: how sure the match is.
    pub confidence: f64,
    /// The facts that made the match, in plain words.
    pub evidence: Vec<Evidence>,
}

fn usable(s: &SignInFacts) -> bool {
    s.success && s.time.is_some()
}

fn secs(a: Timestamp, b: Timestamp) -> i64 {
    a.duration_since(b).as_secs()
}

fn is_arm(s: &SignInFacts) -> bool {
    s.resource_id
        .as_deref()
        .is_none_or(|r| r.eq_ignore_ascii_case(ARM_APP))
}

fn same(a: Option<&str>, b: Option<&str>) -> Option<bool> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.trim().eq_ignore_ascii_case(y.trim())),
        _ => None,
    }
}

/// Links one operation to the sign-in that issued its token, if the evidence allows.
pub fn link(op: &Operation, ix: &SignInIndex) -> Option<Link> {
    let c = op.claims();
    let at = op.time();
    let iat = c.iat();
    let target = iat
        .map(|t| t + SignedDuration::from_secs(IAT_BACKDATE))
        .unwrap_or(at);
    let closest = |cands: Vec<&SignInFacts>| -> Option<(usize, usize)> {
        let n = cands.len();
        cands
            .into_iter()
            .min_by_key(|s| (secs(s.time.unwrap_or(at), target).abs(), s.index))
            .map(|s| (s.index, n))
    };

    // 1. Token id.
    if let Some((g, enc)) = c.uti().and_then(decode_token_id) {
        let mut cands: Vec<&SignInFacts> = ix
            .by_token(&g)
            .chain(ix.by_request(&g))
            .filter(|s| usable(s))
            .collect();
        cands.dedup_by_key(|s| s.index);
        if let Some((i, n)) = closest(cands) {
            let s = ix.get(i);
            let mut evidence = vec![Evidence::TokenId {
                uti: c.uti().unwrap_or("").into(),
                encoding: enc,
                guid: g,
                unique_token_identifier: s.token_guid == Some(g),
                signin: crate::finding::shared_text(&s.id.text()),
            }];
            let mut conf = 0.99;
            if same(c.oid(), s.object_id.as_deref()) == Some(false) {
                conf = 0.7;
                evidence.push(
                    format!(
                        "but the token's object id {} differs from the sign-in's {}",
                        c.oid().unwrap_or(""),
                        s.object_id.as_deref().unwrap_or("")
                    )
                    .into(),
                );
            }
            if n > 1 {
                evidence.push(format!("{n} sign-ins carry this token id; chose the one closest to the token's issue time").into());
            }
            return Some(Link {
                signin: i,
                method: Method::Token,
                confidence: conf,
                evidence,
            });
        }
    }

    // 2. Session id, narrowed by iat.
    if let Some(sid) = c.sid() {
        let in_session: Vec<&SignInFacts> = ix
            .by_session(sid)
            .filter(|s| usable(s) && s.time.is_some_and(|t| secs(t, at) <= 300))
            .filter(|s| same(c.appid(), s.app_id.as_deref()) != Some(false))
            .collect();
        if let Some(iat) = iat {
            let near: Vec<&SignInFacts> = in_session
                .iter()
                .copied()
                .filter(|s| s.time.is_some_and(|t| IAT_WINDOW.contains(&secs(t, iat))))
                .collect();
            if let Some((i, n)) = closest(near) {
                let s = ix.get(i);
                let mut evidence = vec![format!(
                    "sid claim {sid} is the session of sign-in {}, made {} s after the token's iat",
                    s.id,
                    secs(s.time.unwrap_or(at), iat)
                )];
                if n > 1 {
                    evidence.push(format!("{n} sign-ins of this session fit the issue time; chose the closest to iat + 300 s"));
                }
                return Some(Link {
                    signin: i,
                    method: Method::Session,
                    confidence: if n > 1 { 0.8 } else { 0.9 },
                    evidence: evidence.into_iter().map(Evidence::from).collect(),
                });
            }
        }
        if let Some(s) = in_session
            .iter()
            .filter(|s| s.time.is_some_and(|t| t <= at))
            .max_by_key(|s| (s.time, s.index))
        {
            let evidence = vec![format!(
                "sid claim {sid} is the session of sign-in {}, the latest of that session before the change{}",
                s.id,
                if iat.is_some() { " (none fits the token's issue time)" } else { " (the token has no iat)" }
            )];
            return Some(Link {
                signin: s.index,
                method: Method::Session,
                confidence: 0.6,
                evidence: evidence.into_iter().map(Evidence::from).collect(),
            });
        }
    }

    let oid = c.oid().map(str::to_string).or_else(|| {
        op.caller()
            .filter(|x| tokentrail_model::Guid::parse(x).is_some())
            .map(str::to_string)
    });
    let upn = c
        .upn()
        .map(str::to_string)
        .or_else(|| op.caller().filter(|x| x.contains('@')).map(str::to_string));
    let identity: Vec<&SignInFacts> = match (&oid, &upn) {
        (Some(o), _) if ix.by_object(o).next().is_some() => ix.by_object(o).collect(),
        (_, Some(u)) => ix.by_upn(u).collect(),
        _ => Vec::new(),
    };
    let app_ok =
        |s: &&SignInFacts| same(c.appid(), s.app_id.as_deref()) != Some(false) && is_arm(s);

    // 3. Issue time.
    if let Some(iat) = iat {
        let cands: Vec<&SignInFacts> = identity
            .iter()
            .copied()
            .filter(|s| usable(s) && app_ok(s))
            .filter(|s| s.time.is_some_and(|t| IAT_WINDOW.contains(&secs(t, iat))))
            .collect();
        let with_ip: Vec<&SignInFacts> = cands
            .iter()
            .copied()
            .filter(|s| same(c.ipaddr(), s.ip.as_deref()) == Some(true))
            .collect();
        let (pool, ip_agrees) = if with_ip.is_empty() {
            (cands, false)
        } else {
            (with_ip, true)
        };
        if let Some((i, n)) = closest(pool) {
            let s = ix.get(i);
            let mut evidence = vec![format!(
                "sign-in {} by the same identity and app was made {} s after the token's iat (Entra back-dates iat ~300 s)",
                s.id,
                secs(s.time.unwrap_or(at), iat)
            )];
            if ip_agrees {
                evidence.push(format!(
                    "its IP {} equals the token's ipaddr claim",
                    s.ip.as_deref().unwrap_or("")
                ));
            }
            let mut conf = if ip_agrees { 0.8 } else { 0.7 };
            if n > 1 {
                conf -= 0.1;
                evidence.push(format!(
                    "{n} sign-ins fit; chose the closest to iat + 300 s"
                ));
            }
            return Some(Link {
                signin: i,
                method: Method::IssuedAt,
                confidence: conf,
                evidence: evidence.into_iter().map(Evidence::from).collect(),
            });
        }
    }

    // 4. Identity + app within a window. When the token's issue time is known and lies
    // outside the sign-in export's coverage, its issuer cannot be in the export, so a nearby
    // sign-in would be a false link: leave it unlinked and let the gap say why.
    if let (Some(iat), Some((from, to))) = (iat, ix.time_range()) {
        let slack = SignedDuration::from_mins(15);
        if iat + SignedDuration::from_secs(IAT_BACKDATE) + slack < from || iat - slack > to {
            return None;
        }
    }
    for (minutes, conf) in [(15i64, 0.4), (60, 0.25)] {
        let cands: Vec<&SignInFacts> = identity
            .iter()
            .copied()
            .filter(|s| usable(s) && app_ok(s))
            .filter(|s| s.time.is_some_and(|t| secs(t, at).abs() <= minutes * 60))
            .collect();
        let n = cands.len();
        if let Some(s) = cands
            .into_iter()
            .min_by_key(|s| (secs(s.time.unwrap_or(at), at).abs(), s.index))
        {
            let evidence = vec![
                format!(
                    "no token id, session or issue-time match; sign-in {} by the same identity{} is {} s from the change (±{minutes} min window)",
                    s.id,
                    if c.appid().is_some() { " and app" } else { "" },
                    secs(s.time.unwrap_or(at), at)
                ),
                format!("{n} candidate sign-in(s) in the window; this is circumstantial"),
            ];
            let mut evidence = evidence;
            if let Some(iat) = iat {
                evidence.push(format!(
                    "the sign-in that issued this token (iat {iat}, so issued around {}) is not in the export",
                    iat + SignedDuration::from_secs(IAT_BACKDATE)
                ));
            }
            return Some(Link {
                signin: s.index,
                method: Method::Window,
                confidence: conf,
                evidence: evidence.into_iter().map(Evidence::from).collect(),
            });
        }
    }
    None
}
