//! `tokentrail parse`: normalized records as JSON Lines on stdout, one summary line per
//! file (and each skipped record) on stderr.

use crate::args::ParseConfig;
use crate::term::clean;
use anyhow::Context;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use tokentrail_ingest::{DedupSink, FileStats, Sink, Skip};
use tokentrail_model::Record;

/// Skips printed per file on stderr; the rest are counted (and written with `--skips`).
const SKIPS_SHOWN: u64 = 10;

struct ParseSink<W: Write> {
    out: W,
    quiet: bool,
    skips: Option<BufWriter<std::fs::File>>,
    shown: u64,
    total_skipped: u64,
    err: Option<std::io::Error>,
    failed: u64,
}

impl<W: Write> Sink for ParseSink<W> {
    fn record(&mut self, rec: Record) {
        if self.quiet || self.err.is_some() {
            return;
        }
        let r = serde_json::to_writer(&mut self.out, &rec)
            .map_err(std::io::Error::from)
            .and_then(|_| self.out.write_all(b"\n"));
        if let Err(e) = r {
            self.err = Some(e);
        }
    }

    fn skip(&mut self, s: Skip) {
        self.total_skipped += 1;
        if let Some(w) = &mut self.skips {
            let _ = serde_json::to_writer(&mut *w, &s)
                .map_err(std::io::Error::from)
                .and_then(|_| w.write_all(b"\n"));
        }
        if self.shown < SKIPS_SHOWN {
            eprintln!(
                "tokentrail: skip: {}:{} (byte {}, record {}): {} [{}]",
                clean(&s.file),
                s.line,
                s.offset,
                s.record,
                clean(&s.reason),
                clean(&s.excerpt)
            );
        } else if self.shown == SKIPS_SHOWN {
            eprintln!("tokentrail: skip: further skips in this file are counted below (use --skips FILE for all)");
        }
        self.shown += 1;
    }

    fn error(&mut self, e: tokentrail_ingest::IngestError) {
        // An entry that is not a file to read (as `investigate` lists what it does not
        // copy) is named, not a failure.
        if e.is_not_read() {
            eprintln!("tokentrail: {}", clean(&e.to_string()));
            return;
        }
        self.failed += 1;
        eprintln!("tokentrail: error: {}", clean(&e.to_string()));
    }

    fn file_done(&mut self, st: FileStats) {
        self.shown = 0;
        eprintln!("tokentrail: {}", clean(&summary_line(&st)));
    }
}

/// The one-line summary for a file.
pub fn summary_line(st: &FileStats) -> String {
    let mut fmt: Vec<String> = st.containers.iter().map(|c| c.to_string()).collect();
    fmt.extend(st.shapes.iter().cloned());
    let schemas: Vec<String> = st.schemas.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    let mut line = format!(
        "{}: format {} [{}] encoding {}: read {}, parsed {}, skipped {}{}",
        st.file,
        if fmt.is_empty() {
            "-".to_string()
        } else {
            fmt.join("+")
        },
        schemas.join(", "),
        st.encoding,
        st.read,
        st.parsed,
        st.skipped,
        if st.duplicates > 0 {
            format!(", duplicates {}", st.duplicates)
        } else {
            String::new()
        }
    );
    if !st.skip_reasons.is_empty() {
        let r: Vec<String> = st
            .skip_reasons
            .iter()
            .map(|(k, v)| format!("{v}× {k}"))
            .collect();
        line.push_str(&format!(" ({})", r.join("; ")));
    }
    for n in &st.notes {
        line.push_str(&format!("; note: {n}"));
    }
    if let Some(c) = &st.coverage {
        for f in &c.findings {
            line.push_str(&format!("; coverage: {f}"));
        }
    }
    if let Some(e) = &st.error {
        line.push_str(&format!("; ERROR: {e}"));
    }
    line
}

pub fn run(cfg: ParseConfig) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let skips = match &cfg.skips {
        Some(p) => Some(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    // Sign-ins and audit events repeated across overlapping inputs are kept once.
    let mut sink = DedupSink::new(ParseSink {
        out: BufWriter::with_capacity(1 << 20, stdout.lock()),
        quiet: cfg.quiet,
        skips,
        shown: 0,
        total_skipped: 0,
        err: None,
        failed: 0,
    });
    for input in &cfg.inputs {
        tokentrail_ingest::read_path(input, &cfg.read, &mut sink);
        if let Some(e) = sink.inner_mut().err.take() {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e).context("writing records to stdout");
        }
    }
    let mut sink = sink.into_inner();
    sink.out.flush().context("writing records to stdout")?;
    if let Some(w) = &mut sink.skips {
        w.flush().context("writing the skips file")?;
    }
    Ok(if sink.failed > 0 {
        ExitCode::from(2)
    } else if cfg.strict && sink.total_skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
