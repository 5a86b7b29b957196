//! `tokentrail attribute`: attribute every change to the sign-in that issued its token and
//! write `findings/operations.jsonl`.

use crate::args::AttributeConfig;
use anyhow::Context;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

pub fn run(cfg: AttributeConfig) -> anyhow::Result<ExitCode> {
    let c = super::collect::collect(&cfg.inputs, &cfg.read);
    let n_signins = c.signins.len();
    let a = tokentrail_analyze::attribute(c.activity, c.signins);
    let dir = cfg.out.join("findings");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("operations.jsonl");
    let mut w = BufWriter::new(
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
    );
    for f in &a.findings {
        serde_json::to_writer(&mut w, f)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let linked = a.findings.iter().filter(|f| f.sign_in.is_some()).count();
    eprintln!(
        "tokentrail: {} operations ({} duplicate events dropped), {} sign-ins; {} operations linked to a sign-in; wrote {}",
        a.findings.len(),
        a.duplicate_events,
        n_signins,
        linked,
        path.display()
    );
    Ok(if c.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
