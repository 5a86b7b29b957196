//! Runs attribution end to end: group, index, link, classify, explain.

use crate::correlate::{link, Method};
use crate::finding::{
    shared_text, Client, OperationFinding, SessionOrigin, SignInRef, SourceRef, StatementParts,
};
use crate::netblocks::RangeTable;
use crate::operations::{group, Operation};
use crate::signins::{SignInFacts, SignInIndex};
use crate::text::Text;
use crate::{anomalies, client, gaps, identity, lineage, netblocks, verdict};
use rayon::prelude::*;

/// Everything attribution produced.
pub struct Attribution {
    pub findings: Vec<OperationFinding>,
    /// The operations, in finding order. Their events' ids have moved to the findings'
    /// `event_ids` (a million of them would otherwise be held twice): an event's
    /// `event_id` is empty here.
    pub operations: Vec<Operation>,
    pub index: SignInIndex,
    /// Activity events dropped as duplicates of events already read.
    pub duplicate_events: u64,
}

/// Reference data attribution consults, passed in rather than global.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Hosting-provider IP ranges (the bundled table unless `--ranges` replaced it).
    pub ranges: &'a RangeTable,
}

impl Default for Context<'static> {
    fn default() -> Self {
        Context {
            ranges: RangeTable::bundled(),
        }
    }
}

/// Attributes every operation in `events` to the sign-ins in `signins`, with the bundled
/// reference data.
pub fn attribute<E: Into<crate::slim::SlimEvent>>(
    events: impl IntoIterator<Item = E>,
    signins: Vec<SignInFacts>,
) -> Attribution {
    attribute_with(events, signins, &Context::default())
}

/// Attributes every operation in `events` to the sign-ins in `signins`.
pub fn attribute_with<E: Into<crate::slim::SlimEvent>>(
    events: impl IntoIterator<Item = E>,
    signins: Vec<SignInFacts>,
    cx: &Context<'_>,
) -> Attribution {
    // Grouping (one thread) and indexing the sign-ins are independent: side by side.
    let (grouped, index) = std::thread::scope(|s| {
        let index = s.spawn(|| SignInIndex::new(signins));
        let grouped = group(events);
        let index = index
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (grouped, index)
    });
    let ips = anomalies::token_ips(&grouped.operations);
    // Operations are explained independently: in parallel, collected in input order.
    let mut operations = grouped.operations;
    let mut findings: Vec<OperationFinding> = operations
        .par_iter()
        .map_init(SignInLines::default, |lines, op| {
            explain(op, &index, &ips, cx, lines)
        })
        .collect();
    for (f, op) in findings.iter_mut().zip(operations.iter_mut()) {
        f.event_ids = op
            .events
            .iter_mut()
            .map(|e| std::mem::take(&mut e.event_id))
            .collect();
    }
    Attribution {
        findings,
        operations,
        index,
        duplicate_events: grouped.duplicates,
    }
}

/// Each sign-in's indicator lines ([`verdict::signin_indicators`]) as shared text, by
/// sign-in and role: the many operations of one token or session format them once per
/// worker. Cleared when it holds [`SignInLines::MAX`] entries, so its memory is bounded.
#[derive(Default)]
struct SignInLines(foldhash::HashMap<(usize, &'static str), Vec<Text>>);

impl SignInLines {
    const MAX: usize = 1 << 14;

    /// Appends the lines of `s` in `role` to `out`.
    fn put(&mut self, s: &SignInFacts, role: &'static str, out: &mut Vec<Text>) {
        if let Some(lines) = self.0.get(&(s.index, role)) {
            out.extend_from_slice(lines);
            return;
        }
        let mut text = Vec::new();
        verdict::signin_indicators(s, role, &mut text);
        let lines = crate::finding::shared(text);
        out.extend_from_slice(&lines);
        if self.0.len() >= Self::MAX {
            self.0.clear();
        }
        self.0.insert((s.index, role), lines);
    }
}

fn explain(
    op: &Operation,
    ix: &SignInIndex,
    ips: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    cx: &Context<'_>,
    signin_lines: &mut SignInLines,
) -> OperationFinding {
    let lk = link(op, ix);
    let issuer = lk.as_ref().map(|l| ix.get(l.signin));
    let origin = issuer.and_then(|s| lineage::session_origin(s, ix));
    let ident = identity::classify(op, issuer);
    let c = op.claims();
    let app_id = c
        .appid()
        .map(str::to_ascii_lowercase)
        .or_else(|| issuer.and_then(|s| s.app_id.as_deref().map(str::to_string)));
    let ua_tool = issuer
        .and_then(|s| s.user_agent.as_deref())
        .and_then(client::tool_from_user_agent);
    let app_tool = app_id.as_deref().and_then(client::app_name);
    // A known first-party app names the tool; for other apps the user agent does.
    let tool = app_tool
        .or(ua_tool)
        .map(str::to_string)
        .or_else(|| issuer.and_then(|s| s.app_name.as_deref().map(str::to_string)));

    let mut indicators = Vec::new();
    indicators.extend(ident.evidence.iter().map(|e| format!("identity: {e}")));
    if let Some(a) = &app_id {
        indicators.push(format!(
            "client app id {a}{}",
            app_tool.map(|t| format!(" ({t})")).unwrap_or_default()
        ));
    }
    if let Some(acr) = c.appidacr() {
        let what = match acr {
            "0" => "public client (no client secret)",
            "1" => "client secret",
            "2" => "certificate or client assertion",
            _ => "unknown",
        };
        indicators.push(format!("appidacr={acr}: {what}"));
    }
    let amr = c.amr();
    if !amr.is_empty() {
        indicators.push(format!("token amr: {}", amr.join(", ")));
    }
    // The lines so far, then the sign-ins' (shared, from the cache), then the rest.
    let mut lines = crate::finding::shared(std::mem::take(&mut indicators));
    if let Some(s) = issuer {
        signin_lines.put(s, "issuing sign-in", &mut lines);
    }
    if let Some(o) = origin.filter(|o| Some(o.index) != issuer.map(|s| s.index)) {
        signin_lines.put(o, "session origin", &mut lines);
    }
    let distinct_origin = origin.filter(|o| Some(o.index) != issuer.map(|s| s.index));
    for (role, ip) in [
        ("ARM caller IP", op.caller_ip()),
        ("issuing sign-in IP", issuer.and_then(|s| s.ip.as_deref())),
        (
            "session origin IP",
            distinct_origin.and_then(|s| s.ip.as_deref()),
        ),
    ] {
        if let Some(line) = ip.and_then(|ip| netblocks::describe(cx.ranges, role, ip)) {
            indicators.push(line);
        }
    }
    let v = verdict::decide(&ident, tool.as_deref(), issuer, origin, &mut indicators);
    let mut anomalies = anomalies::of(op, issuer, origin, ips);
    if ident.kind == identity::IdentityType::User {
        if let Some(a) = anomalies::hosting_ip_for_user_token(op, issuer, origin, cx.ranges) {
            anomalies.push(a);
        }
    }
    let gaps = if lk.is_none() {
        gaps::diagnose(&ident, op.time(), c.iat(), ix)
    } else {
        Vec::new()
    };
    if gaps.iter().any(|g| g.reason == "not_in_export") {
        anomalies.push(
            "no_signin_despite_coverage: the sign-in export covers this token's issue time and identity kind, yet holds no sign-in that issued it".into(),
        );
    }
    // The statement names the last terminal event (else the first).
    let statement_event = op
        .events
        .iter()
        .rposition(|e| e.status.kind.is_terminal())
        .unwrap_or(0) as u32;
    let statement_app_id = match (&lk, &tool) {
        (Some(l), None) => ix.get(l.signin).app_id.clone(),
        _ => None,
    };
    OperationFinding {
        correlation_id: op.correlation_id().map(str::to_string),
        operation: shared_text(op.name()),
        resource_id: op.resource_id().map(shared_text),
        time: op.time().to_string(),
        status: op.status(),
        caller: op.caller().map(shared_text),
        identity: crate::finding::shared_identity(ident),
        client: crate::finding::shared_client(Client { app_id, name: tool }),
        verdict: v,
        sign_in: lk.as_ref().map(|l| {
            let s = ix.get(l.signin);
            SignInRef {
                id: shared_text(&s.id.text()),
                kind: s.kind(),
                time: s.time.map(|t| shared_text(&t.to_string())),
                ip: s.ip.clone(),
                method: l.method,
                confidence: l.confidence,
                evidence: l.evidence.clone(),
            }
        }),
        session_origin: origin.map(|o| {
            crate::finding::shared_origin(SessionOrigin {
                id: o.id.to_string(),
                time: o.time.map(|t| t.to_string()),
                ip: o.ip.clone(),
                mfa: o.mfa,
                location: o.location.clone(),
                device: o.device.clone(),
                user_agent: o.user_agent.clone(),
                conditional_access: o.conditional_access.clone(),
            })
        }),
        indicators: {
            lines.extend(crate::finding::shared(indicators));
            lines
        },
        anomalies: crate::finding::shared(anomalies),
        gaps,
        statement_parts: StatementParts {
            event: statement_event,
            app_id: statement_app_id,
            fixed: None,
        },
        detections: Vec::new(),
        caller_ip: op.caller_ip().map(shared_text),
        subscription_id: op.subscription_id().map(shared_text),
        duration_ms: op.duration_ms(),
        // Moved in from the events by the caller.
        event_ids: Vec::new(),
        sources: op
            .events
            .iter()
            .map(|e| SourceRef {
                file: e.source.file.clone(),
                record: e.source.record,
                line: e.source.line,
            })
            .collect(),
    }
}

/// The strongest method a finding could have used, for reporting.
pub fn method_rank(m: Method) -> u8 {
    match m {
        Method::Token => 0,
        Method::Session => 1,
        Method::IssuedAt => 2,
        Method::Window => 3,
    }
}
