//! The merged UTC timeline of sign-ins, changes and audit events: `timeline.md` grouped per
//! identity of interest, and Timesketch-ready `timeline.csv` / `timeline.jsonl`
//! (`message`, `datetime`, `timestamp_desc` plus fields).

use crate::escape::{csv_cell, md, md_code};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::signins::SignInFacts;
use tokentrail_model::AuditEvent;

/// One timeline row.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Entry {
    /// The instant, for ordering (RFC 3339 text with varying fraction digits does not sort).
    #[serde(skip)]
    pub ts: jiff::Timestamp,
    pub datetime: String,
    pub timestamp_desc: &'static str,
    pub message: String,
    pub source: &'static str,
    pub identity: String,
    pub ip: String,
    pub operation: String,
    pub resource_id: String,
    pub status: String,
    pub sign_in_id: String,
    pub correlation_id: String,
    pub verdict: String,
}

/// Builds the merged timeline, sorted by time then source then message.
pub fn entries(
    findings: &[OperationFinding],
    signins: &[SignInFacts],
    audit: &[AuditEvent],
) -> Vec<Entry> {
    let mut v = Vec::with_capacity(findings.len() + signins.len() + audit.len());
    for f in findings {
        v.push(Entry {
            ts: f.time.parse().unwrap_or_default(),
            datetime: f.time.clone(),
            timestamp_desc: "Event Time",
            message: format!(
                "{} {} by {} [{:?}]",
                f.operation,
                f.resource_id.as_deref().unwrap_or(""),
                f.identity.display,
                f.verdict
            ),
            source: "activity",
            identity: f.identity.display.clone(),
            ip: f.caller_ip.clone().unwrap_or_default(),
            operation: f.operation.clone(),
            resource_id: f.resource_id.clone().unwrap_or_default(),
            status: format!("{:?}", f.status).to_lowercase(),
            sign_in_id: f.sign_in.as_ref().map(|s| s.id.clone()).unwrap_or_default(),
            correlation_id: f.correlation_id.clone().unwrap_or_default(),
            verdict: format!("{:?}", f.verdict).to_lowercase(),
        });
    }
    for s in signins {
        let Some(t) = s.time else { continue };
        let who = s
            .upn
            .clone()
            .or_else(|| s.app_name.clone())
            .or_else(|| s.object_id.clone())
            .unwrap_or_default();
        v.push(Entry {
            ts: t,
            datetime: t.to_string(),
            timestamp_desc: "Sign-in Time",
            message: format!(
                "{} sign-in {} by {} to {} from {}",
                if s.success { "successful" } else { "failed" },
                s.kind().label(),
                who,
                s.app_name.as_deref().or(s.app_id.as_deref()).unwrap_or("?"),
                s.ip.as_deref().unwrap_or("?")
            ),
            source: "signin",
            identity: who.to_string(),
            ip: s.ip.as_deref().unwrap_or_default().to_string(),
            operation: format!("sign-in ({})", s.kind().label()),
            resource_id: s.resource_id.as_deref().unwrap_or_default().to_string(),
            status: if s.success {
                "success".into()
            } else {
                "failure".into()
            },
            sign_in_id: s.id.clone(),
            correlation_id: String::new(),
            verdict: String::new(),
        });
    }
    for a in audit {
        // An audit row without a time (e.g. a hunting-query CSV) cannot be placed.
        let Some(t) = &a.time else { continue };
        let who = a
            .initiator
            .as_ref()
            .and_then(|i| {
                i.user
                    .as_ref()
                    .and_then(|u| u.upn.clone().or_else(|| u.id.clone()))
                    .or_else(|| {
                        i.app.as_ref().and_then(|p| {
                            p.display_name
                                .clone()
                                .or_else(|| p.service_principal_id.clone())
                        })
                    })
            })
            .unwrap_or_default();
        let ip = a
            .initiator
            .as_ref()
            .and_then(|i| i.user.as_ref())
            .and_then(|u| u.ip.clone())
            .unwrap_or_default();
        let targets: Vec<String> = a
            .targets
            .iter()
            .filter_map(|t| t.display_name.clone().or_else(|| t.id.clone()))
            .collect();
        v.push(Entry {
            ts: t.utc,
            datetime: t.utc.to_string(),
            timestamp_desc: "Activity Time",
            message: format!(
                "audit: {} by {} on {}",
                a.activity,
                if who.is_empty() { "?" } else { &who },
                targets.join(", ")
            ),
            source: "audit",
            identity: who,
            ip,
            operation: a.activity.clone(),
            resource_id: targets.join(", "),
            status: a.result.clone().unwrap_or_default(),
            sign_in_id: String::new(),
            correlation_id: a.correlation_id.clone().unwrap_or_default(),
            verdict: String::new(),
        });
    }
    v.sort_by(|a, b| {
        a.ts.cmp(&b.ts)
            .then(a.source.cmp(b.source))
            .then_with(|| a.message.cmp(&b.message))
    });
    v
}

/// `timeline.jsonl`.
pub fn jsonl(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        serde_json::to_writer(&mut out, e).expect("serializing a timeline entry");
        out.push(b'\n');
    }
    out
}

/// `timeline.csv`, with formula injection neutralized in every cell.
pub fn csv(entries: &[Entry]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "datetime",
        "timestamp_desc",
        "message",
        "source",
        "identity",
        "ip",
        "operation",
        "resource_id",
        "status",
        "sign_in_id",
        "correlation_id",
        "verdict",
    ]);
    for e in entries {
        let row = [
            &e.datetime,
            e.timestamp_desc,
            &e.message,
            e.source,
            &e.identity,
            &e.ip,
            &e.operation,
            &e.resource_id,
            &e.status,
            &e.sign_in_id,
            &e.correlation_id,
            &e.verdict,
        ];
        let _ = w.write_record(row.iter().map(|c| csv_cell(c)));
    }
    w.into_inner().unwrap_or_default()
}

/// `timeline.md`: one section per identity of interest with its sign-ins and changes.
pub fn markdown(
    entries: &[Entry],
    identities: &BTreeSet<String>,
    sign_in_ids: &BTreeMap<String, BTreeSet<String>>,
) -> String {
    let mut o = String::from("# Timeline (UTC)\n\nSign-ins, control-plane changes and audit events, grouped per identity of interest.\n");
    if identities.is_empty() {
        o.push_str("\nNo identity of interest.\n");
    }
    for who in identities {
        let _ = writeln!(o, "\n## {}\n", md_code(who));
        let _ = writeln!(
            o,
            "| Time | Source | What | IP | Status | Sign-in |\n|---|---|---|---|---|---|"
        );
        let linked = sign_in_ids.get(who);
        for e in entries.iter().filter(|e| {
            &e.identity == who
                || linked.is_some_and(|l| l.contains(&e.sign_in_id) && e.source == "signin")
        }) {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                e.datetime,
                e.source,
                md(&e.message),
                if e.ip.is_empty() {
                    String::new()
                } else {
                    md_code(&e.ip)
                },
                md(&e.status),
                if e.sign_in_id.is_empty() {
                    String::new()
                } else {
                    md_code(&e.sign_in_id)
                }
            );
        }
    }
    o
}
