//! `notes.md`: the analyst's notes: summary, a correlation statement per operation of
//! interest, and what the evidence covers and cannot show. All log text is escaped.

use crate::escape::{md, md_code};
use std::collections::BTreeMap;
use std::fmt::Write;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::signins::{Kind, SignInIndex};

/// One source's time range, for the coverage section.
pub struct SourceRange {
    pub source: String,
    pub records: u64,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Inputs to the notes.
pub struct NotesInput<'a> {
    pub version: &'a str,
    pub findings: &'a [OperationFinding],
    /// Indices into `findings` of the operations of interest.
    pub interest: &'a [usize],
    pub index: &'a SignInIndex,
    pub audit_events: usize,
    pub activity_events: usize,
    pub duplicate_events: u64,
    pub ranges: &'a [SourceRange],
    pub skipped: u64,
    /// Names, UPNs and IPs were pseudonymized (`--redact`).
    pub redacted: bool,
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(md_code).unwrap_or_else(|| "(none)".into())
}

/// Writes `notes.md` to `w` section by section: at 1M events it is hundreds of MB, which
/// were held whole in memory before being written.
pub fn render_to(w: &mut dyn std::io::Write, n: &NotesInput<'_>) -> std::io::Result<()> {
    let mut o = String::new();
    let _ = writeln!(o, "# Investigation notes\n");
    let _ = writeln!(o, "Written by tokentrail {}. All times are UTC. Every value quoted from the logs is shown as code or escaped text.\n", n.version);
    if n.redacted {
        let _ = writeln!(o, "**Redacted.** UPNs and other e-mail addresses, people's names and IP addresses are pseudonymized with a keyed hash (HMAC-SHA256, truncated: `user-…@redacted`, `name-…`, `ip-…`) in every output of this bundle; the same value always has the same pseudonym, so correlation still reads. The files under `exports/` are NOT redacted: they are byte-identical copies of the evidence as received, and their hashes in the manifest prove it. Share the bundle without `exports/` (and without the key) to share only pseudonyms.\n");
    }
    let _ = writeln!(o, "## Summary\n");
    let f = n.findings;
    let mut by_verdict: BTreeMap<String, usize> = BTreeMap::new();
    for x in f {
        *by_verdict
            .entry(format!("{:?}", x.verdict).to_lowercase())
            .or_default() += 1;
    }
    let linked = f.iter().filter(|x| x.sign_in.is_some()).count();
    let _ = writeln!(
        o,
        "- {} logical operations from {} Activity Log events ({} duplicate events from overlapping exports dropped); {} sign-ins; {} audit events; {} records skipped (see the manifest).",
        f.len(),
        n.activity_events,
        n.duplicate_events,
        n.index.all.len(),
        n.audit_events,
        n.skipped
    );
    let _ = writeln!(
        o,
        "- Verdicts: {}.",
        by_verdict
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        o,
        "- {linked} of {} operations are linked to the sign-in that issued their token.",
        f.len()
    );
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    for x in f.iter().filter_map(|x| x.sign_in.as_ref()) {
        *methods.entry(x.method.name().to_string()).or_default() += 1;
    }
    if !methods.is_empty() {
        let _ = writeln!(
            o,
            "- How the links were proved: {}.",
            methods
                .iter()
                .map(|(k, v)| format!("{v} by {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // Who did the operations of interest.
    let mut who: BTreeMap<String, (String, usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for &i in n.interest {
        let x = &f[i];
        let e = who.entry(x.identity.display.clone()).or_insert((
            x.identity.kind.label().to_string(),
            0,
            BTreeMap::new(),
        ));
        e.1 += 1;
        *e.2.entry(x.operation.to_string()).or_default() += 1;
    }
    let _ = writeln!(
        o,
        "- {} operations of interest (detected, or matching the filters), by {} identities:\n",
        n.interest.len(),
        who.len()
    );
    for (name, (kind, count, ops)) in &who {
        let top: Vec<String> = ops
            .iter()
            .map(|(op, c)| format!("{} ×{c}", md_code(op)))
            .collect();
        let _ = writeln!(
            o,
            "  - {kind} {}: {count} operations ({})",
            md_code(name),
            top.join(", ")
        );
    }
    let _ = writeln!(o, "\n## Operations of interest\n");
    if n.interest.is_empty() {
        let _ = writeln!(
            o,
            "None: no operation was detected or matched the filters.\n"
        );
    }
    for (k, &i) in n.interest.iter().enumerate() {
        operation(&mut o, k + 1, &f[i]);
        crate::blocks::spill(w, &mut o)?;
    }
    coverage(&mut o, n);
    w.write_all(o.as_bytes())
}

fn operation(o: &mut String, k: usize, x: &OperationFinding) {
    let _ = writeln!(o, "### {k}. {} at {}\n", md_code(&x.operation), x.time);
    let _ = writeln!(o, "- **Statement:** {}", md(&x.statement()));
    let _ = writeln!(
        o,
        "- **Resource:** {}",
        opt(&x.resource_id.as_deref().map(str::to_string))
    );
    let _ = writeln!(
        o,
        "- **Status:** {:?}; correlation id {}",
        x.status,
        opt(&x.correlation_id)
    );
    let _ = writeln!(
        o,
        "- **Identity:** {} {} (object id {}, app id {})",
        x.identity.kind.label(),
        md_code(&x.identity.display),
        opt(&x.identity.object_id),
        opt(&x.identity.app_id)
    );
    if let Some(r) = &x.identity.managed_identity_resource {
        let _ = writeln!(
            o,
            "- **Managed identity resource:** {} ({})",
            md_code(r),
            x.identity.managed_identity_kind.unwrap_or("unknown")
        );
    }
    if let Some(c) = &x.identity.cross_tenant {
        let _ = writeln!(o, "- **Cross-tenant:** {}", md(c));
    }
    let _ = writeln!(
        o,
        "- **Client:** {} ({})",
        x.client
            .name
            .as_deref()
            .map(md)
            .unwrap_or_else(|| "unknown".into()),
        opt(&x.client.app_id)
    );
    let _ = writeln!(o, "- **Verdict:** {:?}", x.verdict);
    match &x.sign_in {
        Some(s) => {
            let _ = writeln!(
                o,
                "- **Sign-in:** {} ({}) at {} from {}; matched by {:?}, confidence {:.2}",
                md_code(&s.id),
                s.kind.label(),
                s.time.as_deref().unwrap_or("?"),
                s.ip.as_deref()
                    .map(md_code)
                    .unwrap_or_else(|| "(no IP)".into()),
                s.method,
                s.confidence
            );
            for e in &s.evidence {
                let _ = writeln!(o, "  - {}", md(&e.to_string()));
            }
        }
        None => {
            let _ = writeln!(o, "- **Sign-in:** none linked");
        }
    }
    if let Some(so) = &x.session_origin {
        let _ = writeln!(
            o,
            "- **Session origin:** interactive sign-in {} at {} from {}, MFA {}{}",
            md_code(&so.id),
            so.time.as_deref().unwrap_or("?"),
            so.ip
                .as_deref()
                .map(md_code)
                .unwrap_or_else(|| "(no IP)".into()),
            so.mfa
                .map(|m| if m { "satisfied" } else { "not satisfied" })
                .unwrap_or("unknown"),
            so.location
                .as_deref()
                .map(|l| format!(", location {}", md(l)))
                .unwrap_or_default()
        );
    }
    for (title, list) in [("Indicators", &x.indicators), ("Anomalies", &x.anomalies)] {
        if !list.is_empty() {
            let _ = writeln!(o, "- **{title}:**");
            for i in list.iter() {
                let _ = writeln!(o, "  - {}", md(i));
            }
        }
    }
    if !x.detections.is_empty() {
        let _ = writeln!(o, "- **Detections:**");
        for d in &x.detections {
            let _ = writeln!(
                o,
                "  - {} {} ({}; ATT&CK {})",
                md_code(&d.rule),
                md(&d.title),
                d.severity,
                d.attack.join(", ")
            );
        }
    }
    if !x.gaps.is_empty() {
        let _ = writeln!(
            o,
            "- **Gaps:** (collection commands are in `commands/collect.md`)"
        );
        for g in &x.gaps {
            let _ = writeln!(o, "  - {}: {}", g.reason, md(&g.detail));
        }
    }
    let src: Vec<String> = x
        .sources
        .iter()
        .map(|s| format!("{} record {}", md_code(&s.file), s.record))
        .collect();
    let _ = writeln!(o, "- **Sources:** {}\n", src.join("; "));
}

fn coverage(o: &mut String, n: &NotesInput<'_>) {
    let _ = writeln!(o, "## Coverage\n");
    let _ = writeln!(o, "| Source | Records | From | To |\n|---|---:|---|---|");
    for r in n.ranges {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            md(&r.source),
            r.records,
            r.from.as_deref().unwrap_or("-"),
            r.to.as_deref().unwrap_or("-")
        );
    }
    let cov = n.index.coverage();
    let _ = writeln!(o, "\nSign-in kinds:\n");
    for k in [
        Kind::Interactive,
        Kind::NonInteractive,
        Kind::ServicePrincipal,
        Kind::ManagedIdentity,
    ] {
        match cov.iter().find(|c| c.0 == k) {
            Some((_, a, b, c)) => {
                let _ = writeln!(o, "- {}: {c} sign-ins, {a} to {b}", k.label());
            }
            None => {
                let _ = writeln!(o, "- {}: **not provided**: changes made with such tokens cannot be tied to a sign-in", k.label());
            }
        }
    }
    let first_change = n
        .findings
        .iter()
        .filter_map(|f| f.time.parse::<jiff::Timestamp>().ok())
        .min();
    let first_signin = cov.iter().map(|c| c.1).min();
    if let (Some(fc), Some(fs)) = (first_change, first_signin) {
        if fc < fs {
            let _ = writeln!(
                o,
                "\nRetention cliff: changes start at {fc} but sign-ins only at {fs}. Entra keeps sign-ins 30 days (P1/P2) or 7 days (Free) against 90 days of Activity Log; earlier changes cannot be tied to sign-ins from this evidence."
            );
        }
    }
    let _ = writeln!(o, "\n### What this evidence cannot show\n");
    let _ = writeln!(o, "- Data-plane actions (blob reads, Key Vault secret reads, VM logins) are not in the Activity Log; only control-plane changes are.");
    let _ = writeln!(o, "- A token id proves which sign-in issued a token, not who held it: a stolen token or refresh token used elsewhere shows as the victim's sign-in. Compare the ARM caller IP with the sign-in IP (anomalies above).");
    let _ = writeln!(o, "- Sign-ins outside the exported kinds and time ranges above, and anything removed by retention before export.");
    let _ = writeln!(o, "- Activity Log `PowerShell Export-Csv` dates are second-precision local-culture strings; matches against them are weaker (see the per-file notes in the manifest).");
}
