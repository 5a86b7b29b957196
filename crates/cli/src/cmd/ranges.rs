//! `tokentrail ranges import|lookup` and the `--ranges FILE` loader: hosting-provider IP
//! ranges from published lists (Azure Service Tags, AWS, GCP) or the bundled TSV format.

use crate::args::RangesCommand;
use crate::term::clean;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use tokentrail_analyze::netblocks::{import, Lookup, RangeTable};

/// Largest range file read (the real lists are a few MB).
const MAX_BYTES: u64 = 64 << 20;

fn read(path: &Path) -> anyhow::Result<import::Imported> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if len > MAX_BYTES {
        anyhow::bail!(
            "{}: {len} bytes is more than a range list should be",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let i = import::import(&bytes).with_context(|| format!("importing {}", path.display()))?;
    for s in &i.skipped {
        eprintln!("tokentrail: {}: skipped {}", path.display(), clean(s));
    }
    Ok(i)
}

/// Loads a range file in any supported format into a table.
pub fn load_file(path: &Path) -> anyhow::Result<RangeTable> {
    let i = read(path)?;
    if i.rows.is_empty() {
        anyhow::bail!("{}: no IP ranges found", path.display());
    }
    Ok(RangeTable::new(&i.rows))
}

/// The table to use: `--ranges FILE` when given, otherwise the bundled one.
pub fn load(path: Option<&Path>) -> anyhow::Result<std::borrow::Cow<'static, RangeTable>> {
    Ok(match path {
        Some(p) => std::borrow::Cow::Owned(load_file(p)?),
        None => std::borrow::Cow::Borrowed(RangeTable::bundled()),
    })
}

pub fn run(c: RangesCommand) -> anyhow::Result<ExitCode> {
    match c {
        RangesCommand::Import { files, out } => {
            let mut rows = Vec::new();
            let mut header = vec![
                "Hosting-provider IP ranges for tokentrail: CIDR<TAB>provider<TAB>tag.".to_string(),
                "Written by `tokentrail ranges import`; sources:".to_string(),
            ];
            for f in &files {
                let i = read(f)?;
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                header.push(format!(
                    "  {} ({}, {}): {} prefixes, {} skipped",
                    clean(&name),
                    i.format,
                    i.version
                        .as_deref()
                        .map(clean)
                        .unwrap_or_else(|| "no version".into()),
                    i.rows.len(),
                    i.skipped.len()
                ));
                rows.extend(i.rows);
            }
            let agg = import::aggregate(&rows);
            let text = import::to_tsv(&agg, &header);
            std::fs::write(&out, &text).with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "tokentrail: {} prefixes read, {} after aggregation; wrote {}",
                rows.len(),
                agg.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        RangesCommand::Lookup { ips, ranges } => {
            let t = load(ranges.as_deref())?;
            for ip in ips {
                let what = match t.lookup(&ip) {
                    Lookup::Hosting(l) => format!("{} ({})", l.provider, l.tag),
                    Lookup::NotHosting => "not in any known hosting range".into(),
                    Lookup::Unknown => "unknown (not an address the table covers)".into(),
                };
                println!("{}\t{}", clean(&ip), clean(&what));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
