//! `tokentrail who`: explain, in plain words, the operations matching a correlation id,
//! event id or resource-id fragment.

use crate::args::WhoConfig;
use crate::term::clean;
use std::process::ExitCode;
use tokentrail_analyze::OperationFinding;

fn matches(f: &OperationFinding, q: &str) -> bool {
    let q = q.to_ascii_lowercase();
    f.correlation_id
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase() == q)
        || f.event_ids.iter().any(|e| e.to_ascii_lowercase() == q)
        || f.resource_id
            .as_deref()
            .is_some_and(|r| r.to_ascii_lowercase().contains(&q))
}

/// Writes the explanation of one finding.
pub fn explain(f: &OperationFinding) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{} on {}\n",
        f.operation,
        f.resource_id.as_deref().unwrap_or("(no resource)")
    ));
    s.push_str(&format!("  {}\n", f.statement()));
    s.push_str(&format!(
        "  identity: {} {} ({})\n",
        f.identity.kind.label(),
        f.identity.display,
        f.identity.evidence.join("; ")
    ));
    match &f.sign_in {
        Some(si) => {
            s.push_str(&format!(
                "  token → sign-in {} ({}, {}) by {:?}, confidence {:.2}\n",
                si.id,
                si.kind.label(),
                si.time.as_deref().unwrap_or("?"),
                si.method,
                si.confidence
            ));
            for e in &si.evidence {
                s.push_str(&format!("    - {e}\n"));
            }
        }
        None => s.push_str("  token → no sign-in linked\n"),
    }
    if let Some(o) = &f.session_origin {
        s.push_str(&format!(
            "  session origin: interactive sign-in {} at {} from {} (MFA: {})\n",
            o.id,
            o.time.as_deref().unwrap_or("?"),
            o.ip.as_deref().unwrap_or("?"),
            o.mfa
                .map(|m| if m { "yes" } else { "no" })
                .unwrap_or("unknown")
        ));
    }
    s.push_str(&format!("  verdict: {:?}\n", f.verdict));
    for i in &f.indicators {
        s.push_str(&format!("    indicator: {i}\n"));
    }
    for a in &f.anomalies {
        s.push_str(&format!("    ANOMALY: {a}\n"));
    }
    for g in &f.gaps {
        s.push_str(&format!("    gap ({}): {}\n", g.reason, g.detail));
        for c in g.commands() {
            s.push_str(&format!(
                "      {}: {}\n",
                c.tool,
                c.command.replace('\n', " ")
            ));
        }
    }
    s
}

pub fn run(cfg: WhoConfig) -> anyhow::Result<ExitCode> {
    let c = super::collect::collect(&cfg.inputs, &cfg.read);
    let ranges = super::ranges::load(cfg.ranges.as_deref())?;
    let a = tokentrail_analyze::attribute_with(
        c.activity,
        c.signins,
        &tokentrail_analyze::Context { ranges: &ranges },
    );
    let hits: Vec<&OperationFinding> = a
        .findings
        .iter()
        .filter(|f| matches(f, &cfg.query))
        .collect();
    if hits.is_empty() {
        eprintln!("tokentrail: no operation matches {}", clean(&cfg.query));
        return Ok(ExitCode::from(1));
    }
    for f in hits {
        for line in explain(f).lines() {
            println!("{}", clean(line));
        }
    }
    Ok(ExitCode::SUCCESS)
}
