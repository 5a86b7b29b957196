//! `tokentrail verify DIR`: re-hash every input and output against the manifest, re-run the
//! analysis from `DIR/exports` with the recorded options, and name every difference.

use super::case::{build, CaseOptions, Redaction};
use crate::term::clean;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use tokentrail_report::{hash, Bundle, Manifest};

pub fn run(dir: &Path, redact_key: Option<&str>) -> anyhow::Result<ExitCode> {
    let mpath = dir.join("manifest.json");
    let m: Manifest = serde_json::from_slice(
        &std::fs::read(&mpath).with_context(|| format!("reading {}", mpath.display()))?,
    )
    .with_context(|| format!("{} is not a tokentrail manifest", mpath.display()))?;
    let mut problems = Vec::new();
    for i in &m.inputs {
        let p = dir.join(tokentrail_report::bundle::safe_rel(&i.copied.bundle_path)?);
        match hash::file(&p) {
            Ok((sha, size)) if sha == i.copied.sha256 && size == i.copied.size => {}
            Ok((sha, size)) => problems.push(format!(
                "input {}: SHA-256 {sha} ({size} bytes) differs from the manifest's {} ({} bytes)",
                i.copied.bundle_path, i.copied.sha256, i.copied.size
            )),
            Err(e) => problems.push(format!("input {}: {e}", i.copied.bundle_path)),
        }
    }
    for (rel, w) in &m.outputs {
        let p = dir.join(tokentrail_report::bundle::safe_rel(rel)?);
        match hash::file(&p) {
            Ok((sha, _)) if sha == w.sha256 => {}
            Ok((sha, _)) => problems.push(format!(
                "output {rel}: SHA-256 {sha} differs from the manifest's {}",
                w.sha256
            )),
            Err(e) => problems.push(format!("output {rel}: {e}")),
        }
    }
    // Re-run the analysis into a scratch bundle and compare every output.
    let opts: CaseOptions = serde_json::from_value(m.options.clone())
        .context("the manifest's options are not readable by this version")?;
    for r in opts.rule_files.iter().chain(&opts.ranges) {
        let p = dir.join(tokentrail_report::bundle::safe_rel(&r.bundle_path)?);
        match hash::file(&p) {
            Ok((sha, _)) if sha == r.sha256 => {}
            Ok((sha, _)) => problems.push(format!(
                "rule or range file {}: SHA-256 {sha} differs from the manifest's {}",
                r.bundle_path, r.sha256
            )),
            Err(e) => problems.push(format!("rule or range file {}: {e}", r.bundle_path)),
        }
    }
    if let Some(r) = &opts.redaction {
        match redact_key {
            None => {
                return Ok(report_hashes_only(dir, &m, &problems));
            }
            Some(k) if Redaction::for_key(k) != *r => {
                anyhow::bail!("the --redact-key given is not the key this bundle was redacted with")
            }
            Some(_) => {}
        }
    }
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let mut b = Bundle::create(&scratch.path().join("rerun"))?;
    let copied: Vec<_> = m.inputs.iter().map(|i| i.copied.clone()).collect();
    build(
        &mut b,
        dir,
        super::case::Inputs::Copied(&copied),
        &opts,
        &m.command_line,
        &m.run.started,
        true,
        opts.redaction.as_ref().and(redact_key),
    )?;
    for (rel, w) in &m.outputs {
        match b.outputs.get(rel) {
            Some(x) if x.sha256 == w.sha256 => {}
            Some(x) => problems.push(format!(
                "re-run: {rel} differs (re-run SHA-256 {}, manifest {})",
                x.sha256, w.sha256
            )),
            None => problems.push(format!("re-run: {rel} was not produced")),
        }
    }
    for rel in b.outputs.keys().filter(|k| !m.outputs.contains_key(*k)) {
        problems.push(format!(
            "re-run: produced {rel}, which the manifest does not list"
        ));
    }
    let rerun_differs = problems.iter().any(|p| p.starts_with("re-run:"));
    let ours = env!("CARGO_PKG_VERSION");
    if rerun_differs && m.version != ours {
        // Not a difference in itself, but the likeliest cause of the re-run ones.
        println!(
            "tokentrail: note: this bundle was written by tokentrail {} and is verified with tokentrail {ours}; output formats change between versions, so verify with tokentrail {} to re-run like with like (the input and output hashes are checked the same way by any version)",
            clean(&m.version),
            clean(&m.version)
        );
    }
    if problems.is_empty() {
        println!(
            "tokentrail: verified {}: {} inputs and {} outputs match their SHA-256, and re-running the analysis gives identical outputs",
            clean(&dir.display().to_string()),
            m.inputs.len(),
            m.outputs.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            println!("tokentrail: MISMATCH: {}", clean(p));
        }
        println!(
            "tokentrail: verification FAILED with {} difference(s)",
            problems.len()
        );
        Ok(ExitCode::from(1))
    }
}

/// A redacted bundle verified without its key: hashes only.
fn report_hashes_only(dir: &Path, m: &Manifest, problems: &[String]) -> ExitCode {
    for p in problems {
        println!("tokentrail: MISMATCH: {}", clean(p));
    }
    if problems.is_empty() {
        println!(
            "tokentrail: {}: {} inputs and {} outputs match their SHA-256; the analysis was NOT re-run because the bundle is redacted and no --redact-key was given",
            clean(&dir.display().to_string()),
            m.inputs.len(),
            m.outputs.len()
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "tokentrail: verification FAILED with {} difference(s) (analysis not re-run: no --redact-key)",
            problems.len()
        );
        ExitCode::from(1)
    }
}
