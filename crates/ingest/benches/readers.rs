//! Parse throughput per export format (bytes/s and records/s), through the public API.
//!
//! Each format's bytes are generated in memory at start (`synth`, about `TT_BENCH_MB` MB each,
//! default 16) and read with `pipeline::read_stream` into a sink that only counts, so the figure
//! covers sniffing, framing, classification and normalization, not file I/O or decompression.
//!
//! Cores: normalization runs on rayon's global pool, so the core count is set per process:
//! `RAYON_NUM_THREADS=1 taskset -c 0 cargo bench -p tokentrail-ingest --bench readers` and
//! `RAYON_NUM_THREADS=2 taskset -c 0,1 ...`; the group name carries the thread count.

// The sign-in object is one large `json!` literal.
#![recursion_limit = "256"]

mod synth;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::io::Cursor;
use tokentrail_ingest::pipeline::read_stream;
use tokentrail_ingest::source::SourceStream;
use tokentrail_ingest::{FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::Record;

/// Counts what a read produced and keeps nothing.
#[derive(Default)]
struct Count {
    records: u64,
    skipped: u64,
    errors: u64,
}

impl Sink for Count {
    fn record(&mut self, rec: Record) {
        black_box(&rec);
        self.records += 1;
    }
    fn skip(&mut self, _: Skip) {
        self.skipped += 1;
    }
    fn file_done(&mut self, _: FileStats) {}
    fn error(&mut self, _: IngestError) {
        self.errors += 1;
    }
}

fn read(name: &str, bytes: &[u8], options: &ReadOptions) -> Count {
    let mut sink = Count::default();
    let stream = SourceStream {
        name: name.to_string(),
        containers: Vec::new(),
        encoding: "utf-8",
        reader: Box::new(Cursor::new(bytes)),
    };
    if read_stream(stream, options, &mut sink).is_err() {
        sink.errors += 1;
    }
    sink
}

fn mb() -> usize {
    std::env::var("TT_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

fn bench_readers(c: &mut Criterion) {
    let target = mb() << 20;
    // Activity records are ~2.5-4 KB and sign-ins ~4.5 KB in these shapes; size each
    // scenario so every blob is at least about `target` bytes.
    let activity = synth::scenario((target / 2500).max(200), 1);
    let signins = synth::scenario((target / 9000).max(100), 2);
    let blobs = [
        ("az-array", activity.az_array()),
        ("diag-activity-lines", activity.diag_activity()),
        ("la-azureactivity-csv", activity.la_csv()),
        ("graph-beta-signin-page", signins.graph_page()),
        ("diag-signin-lines", signins.diag_signins()),
    ];
    drop((activity, signins));
    let options = ReadOptions::default();
    let threads = rayon::current_num_threads();
    let mut g = c.benchmark_group(format!("parse/{threads}t"));
    g.sample_size(10);
    for (label, blob) in &blobs {
        // Check once that every record parses, so a reader change that starts skipping
        // records does not show up as a speed-up.
        let n = read(blob.name, &blob.bytes, &options);
        assert_eq!(
            (n.records, n.skipped, n.errors),
            (blob.records, 0, 0),
            "{label}: not every record parsed"
        );
        g.throughput(Throughput::ElementsAndBytes {
            elements: blob.records,
            bytes: blob.bytes.len() as u64,
        });
        g.bench_function(*label, |b| {
            b.iter(|| read(blob.name, &blob.bytes, &options))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_readers);
criterion_main!(benches);
