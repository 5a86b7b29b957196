//! `tokentrail-gen`: writes realistic synthetic Azure Activity Log, Entra sign-in and audit
//! exports with ground truth (`demo`), large seeded data sets (`scale`), and runs the
//! serde_json parse baseline used by the benchmarks (`baseline`).

mod activity;
mod baseline;
mod clock;
mod demo;
mod known;
mod rng;
mod scale;
mod shapes;
mod sink;
mod truth;
mod world;

use anyhow::Result;

/// mimalloc: the generator allocates many small strings and maps (malloc/free were ~25 % of
/// the profile with the system allocator).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "tokentrail-gen",
    version,
    about = "Synthetic Azure exports with ground truth"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write the small demo incident case (activity, sign-ins, audit, truth.jsonl).
    Demo {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Write N activity events and ~2N sign-ins in several shapes, streaming.
    Scale {
        /// Number of activity events (per shape).
        #[arg(long, default_value_t = 100_000)]
        activity: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Activity shapes: az, az-lines, diag, la-csv (comma-separated).
        #[arg(long, default_value = "az,diag,la-csv")]
        formats: String,
        /// Sign-in shapes: graph, diag, none.
        #[arg(long, default_value = "graph,diag")]
        signin_formats: String,
        /// Instead of N events, write one az JSON array of at least this size (e.g. 1G, 500M).
        #[arg(long)]
        az_bytes: Option<String>,
        /// Write truth.jsonl (one line per operation).
        #[arg(long)]
        truth: bool,
        /// Write the diagnostic-settings trees gzip-compressed (`PT1H.json.gz`), for sizes
        /// whose plain JSON would not fit on the disk; the other shapes stay plain.
        #[arg(long)]
        gzip: bool,
    },
    /// Parse an az JSON array (or JSON Lines) with plain serde_json into a typed struct; print MB/s.
    Baseline { file: PathBuf },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Demo { out, seed } => {
            let start = Instant::now();
            let case = demo::build(seed);
            let s = demo::write(&case, &out)?;
            for (f, n) in &s.files {
                eprintln!("tokentrail-gen: {f}: {n} records");
            }
            eprintln!(
                "tokentrail-gen: demo: {} operations, {} activity events, {} exported sign-ins, {} audit events in {:.2}s",
                s.operations,
                s.events,
                s.signins,
                s.audits,
                start.elapsed().as_secs_f64()
            );
        }
        Cmd::Scale {
            activity,
            out,
            seed,
            formats,
            signin_formats,
            az_bytes,
            truth,
            gzip,
        } => {
            let cfg = scale::Config {
                activity,
                seed,
                formats: formats
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
                signin_formats: signin_formats
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && s != "none")
                    .collect(),
                az_bytes: az_bytes.as_deref().map(scale::parse_size).transpose()?,
                truth,
                gzip,
            };
            let start = Instant::now();
            let r = scale::run(&cfg, &out)?;
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            let total = r.activity_events + r.signins;
            eprintln!(
                "tokentrail-gen: scale: {} activity events ({} operations), {} sign-ins, {} bytes in {:.2}s: {:.0} events/min ({:.0} records written/min over {} shapes)",
                r.activity_events,
                r.operations,
                r.signins,
                r.bytes,
                secs,
                total as f64 / secs * 60.0,
                r.records_written as f64 / secs * 60.0,
                r.shapes
            );
        }
        Cmd::Baseline { file } => {
            let bytes = std::fs::metadata(&file)?.len();
            let start = Instant::now();
            let (n, claims) = baseline::run(&file)?;
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            println!(
                "baseline: {n} events ({claims} claims) from {bytes} bytes in {secs:.2}s: {:.1} MB/s, {:.0} records/s",
                bytes as f64 / 1e6 / secs,
                n as f64 / secs
            );
        }
    }
    Ok(())
}
