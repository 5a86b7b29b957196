//! `tokentrail attribute`: attribute every change to the sign-in that issued its token, run
//! the detections, and write `findings/operations.jsonl`, `findings/detections.jsonl` and
//! `findings/rulepack.json` (plus `findings/sigma-report.json` with `--sigma`).

use crate::args::AttributeConfig;
use anyhow::Context;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use tokentrail_analyze::detect::{self, sigma};
use tokentrail_analyze::RulePack;

/// One line describing a Sigma load.
pub fn sigma_summary(r: &sigma::SigmaReport) -> String {
    format!(
        "sigma: {} files, {} azure rules loaded, {} evaluable, {} not evaluable ({})",
        r.files,
        r.loaded,
        r.evaluable,
        r.unevaluable.len(),
        r.by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn write_jsonl<T: Serialize>(
    path: &Path,
    items: impl IntoIterator<Item = T>,
) -> anyhow::Result<()> {
    let mut w = BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    for x in items {
        serde_json::to_writer(&mut w, &x)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

#[derive(Serialize)]
struct PackInfo<'a> {
    sha256: &'a str,
    files: &'a [String],
    counts: std::collections::BTreeMap<&'static str, usize>,
}

pub fn run(cfg: AttributeConfig) -> anyhow::Result<ExitCode> {
    // Rules first: a bad rule file should fail before reading gigabytes.
    let pack = RulePack::load(&cfg.rules)?;
    let sig = match &cfg.sigma {
        Some(d) => Some(
            sigma::load(d).with_context(|| format!("reading Sigma rules in {}", d.display()))?,
        ),
        None => None,
    };
    let c = super::collect::collect(&cfg.inputs, &cfg.read);
    let n_signins = c.signins.len();
    let ranges = super::ranges::load(cfg.ranges.as_deref())?;
    let mut a = tokentrail_analyze::attribute_with(
        c.activity,
        c.signins,
        &tokentrail_analyze::Context { ranges: &ranges },
    );
    let extra = detect::Extra {
        audit: &c.audit,
        sigma: sig.as_ref().map(|s| &s.0),
    };
    let hits = detect::run(&pack, &mut a, &extra);
    let dir = cfg.out.join("findings");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("operations.jsonl");
    write_jsonl(&path, &a.findings)?;
    write_jsonl(&dir.join("detections.jsonl"), &hits)?;
    let info = PackInfo {
        sha256: &pack.sha256,
        files: &pack.files,
        counts: pack.counts(),
    };
    std::fs::write(dir.join("rulepack.json"), serde_json::to_vec_pretty(&info)?)?;
    if let Some((_, rep)) = &sig {
        std::fs::write(
            dir.join("sigma-report.json"),
            serde_json::to_vec_pretty(rep)?,
        )?;
        eprintln!("tokentrail: {}", sigma_summary(rep));
    }
    let linked = a.findings.iter().filter(|f| f.sign_in.is_some()).count();
    let high = hits
        .iter()
        .filter(|h| h.severity >= detect::rules::Severity::High)
        .count();
    eprintln!(
        "tokentrail: {} operations ({} duplicate events dropped), {} sign-ins, {} audit events; {} operations linked to a sign-in; {} detections ({} high or critical), rule pack sha256 {}; wrote {}",
        a.findings.len(),
        a.duplicate_events,
        n_signins,
        c.audit.len(),
        linked,
        hits.len(),
        high,
        pack.sha256,
        path.display()
    );
    Ok(if c.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
