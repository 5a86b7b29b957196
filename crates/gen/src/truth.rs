//! Ground truth: for each logical operation, who did it, which sign-in issued its token,
//! how a correct correlator should find that sign-in, the verdict and the indicators.
//! The schema is documented in `crates/gen/README.md`.

use crate::activity::{Caller, Op};
use crate::known::App;
use crate::world::{IdKind, SignIn};
use serde::Serialize;
use tokentrail_model::guid::Guid;

#[derive(Clone, Debug, Serialize)]
pub struct Indicator {
    pub indicator: &'static str,
    pub attack: Vec<&'static str>,
}

pub fn ind(name: &'static str, attack: &[&'static str]) -> Indicator {
    Indicator {
        indicator: name,
        attack: attack.to_vec(),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TruthIdentity {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub upn: Option<String>,
    pub object_id: Option<String>,
    pub app_id: Option<String>,
    pub display: Option<String>,
    pub managed_identity_resource: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TruthClient {
    pub app_id: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TruthSignIn {
    /// Request ID of the sign-in a correct correlator links (lower-case GUID).
    pub id: String,
    pub kind: &'static str,
    pub time: String,
    pub ip: String,
    #[serde(rename = "match")]
    pub method: &'static str,
    /// Request ID of the sign-in that really issued the token (differs for `window`).
    pub issuer_id: String,
    /// Whether that issuing sign-in is present in the exports.
    pub issuer_exported: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct TruthOrigin {
    pub id: String,
    pub time: String,
    pub ip: String,
    pub mfa: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct TruthOp {
    pub record: &'static str,
    pub correlation_id: String,
    pub operation_id: String,
    pub operation: String,
    pub resource_id: String,
    pub time: String,
    pub status: &'static str,
    pub event_ids: Vec<String>,
    pub identity: TruthIdentity,
    pub client: Option<TruthClient>,
    pub sign_in: Option<TruthSignIn>,
    /// When `sign_in` is null: `platform_action`, `outside_coverage`, `signin_kind_not_exported`.
    pub sign_in_gap: Option<&'static str>,
    pub session_origin: Option<TruthOrigin>,
    pub verdict: &'static str,
    pub malicious: bool,
    pub indicators: Vec<Indicator>,
    pub notes: Vec<String>,
}

/// A sign-in plus whether any export holds it.
pub struct Known<'a> {
    pub s: &'a SignIn,
    pub exported: bool,
}

/// Coverage of the sign-in exports: (start, end) unix seconds.
pub struct Coverage {
    pub start: i64,
    pub end: i64,
}

/// Resolves the expected linkage of `op` against `signins` with the documented ladder
/// (token → session → issued_at → window). `signins` must be sorted by time.
pub fn expected_link(
    op: &Op,
    signins: &[Known<'_>],
    cov: &Coverage,
) -> (
    Option<TruthSignIn>,
    Option<&'static str>,
    Option<TruthOrigin>,
) {
    let tok = match &op.caller {
        Caller::Token(t) => t,
        _ => return (None, Some("platform_action"), None),
    };
    let issuer = signins.iter().find(|k| k.s.id == tok_issuer(tok));
    let mk = |k: &Known<'_>, method: &'static str| TruthSignIn {
        id: k.s.id.to_string(),
        kind: k.s.kind.truth_name(),
        time: k.s.time.iso(),
        ip: k.s.place.ip.clone(),
        method,
        issuer_id: issuer.map(|i| i.s.id.to_string()).unwrap_or_default(),
        issuer_exported: issuer.map(|i| i.exported).unwrap_or(false),
    };
    let ok = |k: &&Known<'_>| k.exported && k.s.ok();
    let same_principal =
        |k: &&Known<'_>| k.s.who.object_id == tok.who.object_id && k.s.app.id == tok.app.id;
    let found = if let Some(k) = signins
        .iter()
        .filter(ok)
        .find(|k| tok.with_uti && k.s.id == tok.uti)
    {
        Some(mk(k, "token"))
    } else if let Some(k) = tok.sid.and_then(|sid| {
        signins
            .iter()
            .filter(ok)
            .rfind(|k| k.s.session_id == Some(sid) && k.s.time.secs() <= tok.iat + 300 + 60)
    }) {
        Some(mk(k, "session"))
    } else if let Some(k) = signins
        .iter()
        .filter(ok)
        .filter(same_principal)
        .find(|k| (k.s.time.secs() - (tok.iat + 300)).abs() <= 60)
    {
        Some(mk(k, "issued_at"))
    } else if tok.iat + 300 < cov.start || tok.iat + 300 > cov.end {
        // The token's issue time is known from `iat`: a same-identity sign-in near the
        // operation cannot be its issuer.
        None
    } else {
        let t = op.start.secs();
        let near = |w: i64| {
            signins
                .iter()
                .filter(ok)
                .filter(same_principal)
                .filter(|k| (k.s.time.secs() - t).abs() <= w)
                .min_by_key(|k| (k.s.time.secs() - t).abs())
        };
        near(15 * 60)
            .or_else(|| near(60 * 60))
            .map(|k| mk(k, "window"))
    };
    match found {
        Some(f) => {
            let origin = origin_of(&f.id, signins);
            (Some(f), None, origin)
        }
        None => {
            let gap = if tok.iat + 300 < cov.start || tok.iat + 300 > cov.end {
                "outside_coverage"
            } else {
                "signin_kind_not_exported"
            };
            (None, Some(gap), None)
        }
    }
}

fn tok_issuer(t: &crate::world::Token) -> Guid {
    t.issuer
}

/// The interactive sign-in at the root of the linked sign-in's session.
fn origin_of(id: &str, signins: &[Known<'_>]) -> Option<TruthOrigin> {
    let s = signins.iter().find(|k| k.s.id.to_string() == id)?;
    let sid = s.s.session_id?;
    let root = signins
        .iter()
        .filter(|k| k.exported && k.s.ok() && k.s.session_id == Some(sid))
        .find(|k| k.s.kind == crate::world::SignInKind::Interactive)?;
    Some(TruthOrigin {
        id: root.s.id.to_string(),
        time: root.s.time.iso(),
        ip: root.s.place.ip.clone(),
        mfa: root.s.auth_requirement == "multiFactorAuthentication",
    })
}

/// Identity, client and verdict from the caller.
pub fn identity_of(op: &Op) -> (TruthIdentity, Option<TruthClient>, &'static str) {
    match &op.caller {
        Caller::Token(t) => {
            let w = &t.who;
            let kind = w.kind.truth_name();
            let client = match w.kind {
                IdKind::User => Some(client(t.app)),
                _ => Some(TruthClient {
                    app_id: w.app_id.map(|g| g.to_string()).unwrap_or_default(),
                    name: w.display.clone(),
                }),
            };
            let verdict = if w.kind == IdKind::User {
                "interactive"
            } else {
                "automation"
            };
            (
                TruthIdentity {
                    kind,
                    upn: w.upn.clone(),
                    object_id: Some(w.object_id.to_string()),
                    app_id: match w.kind {
                        IdKind::User => Some(t.app.id.to_string()),
                        _ => w.app_id.map(|g| g.to_string()),
                    },
                    display: Some(w.display.clone()),
                    managed_identity_resource: w.mirid.clone(),
                },
                client,
                verdict,
            )
        }
        Caller::Service { caller, claims } => {
            let app = claims
                .iter()
                .find(|(k, _)| *k == "appid")
                .map(|(_, v)| v.clone());
            (
                TruthIdentity {
                    kind: "azure_platform",
                    upn: None,
                    object_id: Some(caller.clone()),
                    app_id: app.clone(),
                    display: Some("Microsoft Azure Policy Insights".into()),
                    managed_identity_resource: None,
                },
                app.map(|a| TruthClient {
                    app_id: a,
                    name: "Microsoft Azure Policy Insights".into(),
                }),
                "platform",
            )
        }
        Caller::None => (
            TruthIdentity {
                kind: "azure_platform",
                upn: None,
                object_id: None,
                app_id: None,
                display: Some(op.category.value().to_string()),
                managed_identity_resource: None,
            },
            None,
            "platform",
        ),
    }
}

fn client(a: App) -> TruthClient {
    TruthClient {
        app_id: a.id.into(),
        name: a.name.into(),
    }
}
