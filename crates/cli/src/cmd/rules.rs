//! `tokentrail rules`: list the effective rule pack (built-in plus `--rules` directories),
//! its SHA-256, and optionally what a Sigma directory would contribute.

use crate::args::RulesArgs;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;
use tokentrail_analyze::RulePack;

pub fn run(a: RulesArgs) -> anyhow::Result<ExitCode> {
    let pack = RulePack::load(&a.rules)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &pack)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<12} {:<13} {:<28} TITLE",
            "ID", "SEVERITY", "ATT&CK"
        )?;
        for r in &pack.rules {
            let ids: Vec<&str> = r.attack.iter().map(|t| t.id.as_str()).collect();
            writeln!(
                out,
                "{:<12} {:<13} {:<28} {}",
                r.id,
                r.severity.as_str(),
                ids.join(","),
                r.title
            )?;
        }
        for c in &pack.correlations {
            let ids: Vec<&str> = c.attack.iter().map(|t| t.id.as_str()).collect();
            writeln!(
                out,
                "{:<12} {:<13} {:<28} {} [correlation]",
                c.id,
                c.severity.as_str(),
                ids.join(","),
                c.title
            )?;
        }
    }
    let counts = pack.counts();
    eprintln!(
        "tokentrail: {} rules ({}) from {}; rule pack sha256 {}",
        pack.rules.len() + pack.correlations.len(),
        counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        pack.files.join(", "),
        pack.sha256
    );
    if let Some(dir) = &a.sigma {
        let (_, rep) = tokentrail_analyze::detect::sigma::load(dir)
            .with_context(|| format!("reading Sigma rules in {}", dir.display()))?;
        eprintln!("tokentrail: {}", super::attribute::sigma_summary(&rep));
        for u in &rep.unevaluable {
            eprintln!(
                "tokentrail: sigma: not evaluable: {} ({}): {}: {}",
                u.file, u.title, u.reason, u.detail
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
