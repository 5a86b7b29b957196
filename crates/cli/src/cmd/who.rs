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
        let v = serde_json::to_value(f).unwrap_or(serde_json::Value::Null);
        print!("{}", super::who_case::explain(&v));
    }
    Ok(ExitCode::SUCCESS)
}
