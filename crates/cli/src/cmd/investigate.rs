//! `tokentrail investigate`: the main job. Copies every input into a new evidence bundle
//! (byte for byte, hashed, read-only), analyses the copies, writes findings, notes,
//! timelines, commands and the manifest, and prints a short summary.

use super::case::{build, CaseOptions};
use super::exit_soon;
use crate::args::InvestigateArgs;
use crate::term::clean;
use anyhow::Context;
use std::process::ExitCode;
use tokentrail_report::copying::Hold;
use tokentrail_report::Bundle;

/// The inputs held in memory by the copying threads for the reader (see
/// [`tokentrail_report::copying`]): every input the reader reads whole (up to
/// `SMALL_INPUT`), with room for the largest batch it reads in parallel and then some.
const HOLD: Hold = Hold {
    up_to: tokentrail_ingest::replay::SMALL_INPUT,
    budget: 128 << 20,
};
// The inputs of one batch, which the reader may need all at once, fit in the budget (else
// copying and reading could wait for each other).
const _: () = assert!(
    HOLD.budget
        >= tokentrail_ingest::replay::MOST_BATCH_BYTES
            + tokentrail_ingest::replay::MOST_BATCH_FILES * Hold::EXTRA
);

/// The command line, each argument quoted when it needs to be, with a redaction key
/// replaced by `<KEY>` (the key is never recorded).
pub fn command_line() -> String {
    let mut hide_next = false;
    std::env::args()
        .map(|a| {
            if std::mem::take(&mut hide_next) {
                return "<KEY>".to_string();
            }
            if a == "--redact" || a == "--redact-key" {
                hide_next = true;
                return a;
            }
            if let Some((flag, _)) = a.split_once('=').filter(|(f, _)| *f == "--redact") {
                return format!("{flag}=<KEY>");
            }
            a
        })
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The bundle directory (`rules/NN-name`) a copied tree landed in.
fn top_dir(copied: &[tokentrail_report::bundle::CopiedInput], area: &str, n: usize) -> String {
    copied
        .first()
        .and_then(|c| {
            c.bundle_path
                .split('/')
                .take(2)
                .collect::<Vec<_>>()
                .join("/")
                .into()
        })
        .unwrap_or_else(|| format!("{area}/{n:02}-empty"))
}

/// The wall and CPU time since `start`, for `--timings`.
fn phase_since(
    name: &'static str,
    start: (std::time::Instant, Option<f64>),
) -> super::progress::PhaseTiming {
    super::progress::PhaseTiming {
        name,
        wall: start.0.elapsed().as_secs_f64(),
        cpu: super::usage::cpu_seconds().zip(start.1).map(|(b, a)| b - a),
        peak_rss: super::usage::peak_rss(),
    }
}

pub fn run(a: InvestigateArgs) -> anyhow::Result<ExitCode> {
    let started = jiff::Timestamp::now().to_string();
    let copy_start = (std::time::Instant::now(), super::usage::cpu_seconds());
    let mut bundle = Bundle::create(&a.out)?;
    // Copies are flushed to disk on a background thread while they are read (from the page
    // cache); the run does not report success before every copy is durable.
    bundle.defer_sync();
    // The inputs are listed now and copied on background threads while the analysis reads
    // each copy as soon as it is complete.
    let mut planned = Vec::new();
    for (n, input) in a.input.inputs.iter().enumerate() {
        planned.extend(
            bundle
                .plan_tree("exports", n + 1, input)
                .with_context(|| format!("copying {} into the bundle", input.display()))?,
        );
    }
    let copying = bundle.start_copies(planned, true, Some(HOLD));
    // Rules travel with the evidence, so a reviewer re-runs exactly these.
    let mut rule_files = Vec::new();
    let mut rules = Vec::new();
    for (n, dir) in a.rules.iter().enumerate() {
        let copied = bundle
            .copy_tree("rules", n + 1, dir)
            .with_context(|| format!("copying rules from {}", dir.display()))?;
        rules.push(top_dir(&copied, "rules", n + 1));
        rule_files.extend(copied);
    }
    let sigma = match &a.sigma {
        Some(dir) => {
            let copied = bundle
                .copy_tree("rules", 99, dir)
                .with_context(|| format!("copying Sigma rules from {}", dir.display()))?;
            let top = top_dir(&copied, "rules", 99);
            rule_files.extend(copied);
            Some(top)
        }
        None => None,
    };
    // The range table travels with the evidence too.
    let ranges = match &a.ranges {
        Some(f) => {
            let copied = bundle
                .copy_tree("ranges", 1, f)
                .with_context(|| format!("copying ranges from {}", f.display()))?;
            copied.into_iter().next()
        }
        None => None,
    };
    for n in &bundle.not_copied {
        eprintln!(
            "tokentrail: warning: not copied into the bundle or read: {}: {}",
            clean(&n.path),
            clean(&n.reason)
        );
    }
    let opts = CaseOptions {
        culture: a.input.culture.clone(),
        max_decompressed: a.input.max_decompressed,
        filters: a.filters,
        redaction: a.redact.as_deref().map(super::case::Redaction::for_key),
        rules,
        sigma,
        rule_files,
        ranges,
    };
    let root = bundle.root().to_path_buf();
    let pending = bundle.sync_copies();
    let copy_timing = phase_since(
        "listing the inputs (before the above; they are copied while read)",
        copy_start,
    );
    let mut s = build(
        &mut bundle,
        &root,
        super::case::Inputs::Copying {
            copying,
            given: &a.input.inputs,
        },
        &opts,
        &command_line(),
        &started,
        false,
        a.redact.as_deref(),
    )?;
    let sync_start = (std::time::Instant::now(), super::usage::cpu_seconds());
    if let Some(exports) = s.flushing.take() {
        exports
            .wait()
            .context("flushing the copied inputs to disk")?;
    }
    pending
        .wait()
        .context("flushing the copied inputs to disk")?;
    let sync_timing = phase_since(
        "waiting for the copies to reach the disk (after)",
        sync_start,
    );
    eprintln!(
        "tokentrail: {} files, {} Activity events → {} operations ({} linked to a sign-in), {} sign-ins, {} audit events, {} records skipped",
        s.files, s.activity_events, s.operations, s.linked, s.signins, s.audit, s.skipped
    );
    // Most severe first, then in time order.
    let rank = |sev: &str| {
        ["informational", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == sev)
    };
    let top = |f: &tokentrail_analyze::OperationFinding| {
        f.detections.iter().filter_map(|d| rank(&d.severity)).max()
    };
    let mut shown: Vec<&tokentrail_analyze::OperationFinding> = s.interest.iter().collect();
    shown.sort_by(|a, b| top(b).cmp(&top(a)).then_with(|| a.time.cmp(&b.time)));
    eprintln!(
        "tokentrail: {} operations of interest (most severe first):",
        s.interest.len()
    );
    for f in shown.into_iter().take(15) {
        eprintln!(
            "  {}  {:<12} {}  {}  by {} ({:?}{})",
            f.time,
            top(f)
                .map(|r| ["informational", "low", "medium", "high", "critical"][r])
                .unwrap_or("-"),
            clean(&f.operation),
            clean(
                f.resource_id
                    .as_deref()
                    .and_then(|r| r.rsplit('/').next())
                    .unwrap_or("")
            ),
            clean(&f.identity.display),
            f.verdict,
            f.sign_in
                .as_ref()
                .map(|s| format!(", sign-in by {}", s.method.name()))
                .unwrap_or_default()
        );
    }
    if s.interest.len() > 15 {
        eprintln!("  … and {} more (see notes.md)", s.interest.len() - 15);
    }
    if a.timings {
        super::progress::print_timings(&s.timings);
        super::progress::print_phase(&copy_timing);
        super::progress::print_phase(&sync_timing);
    }
    eprintln!(
        "tokentrail: evidence bundle written to {} (check it with: tokentrail verify {})",
        clean(&a.out.display().to_string()),
        clean(&a.out.display().to_string())
    );
    let code = if s.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    };
    exit_soon(s);
    Ok(code)
}
