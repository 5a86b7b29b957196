//! The matcher: building the sign-in index, linking every operation, and `attribute` as a
//! whole, over N operations and about 2N sign-ins (`TT_BENCH_OPS`, default 20000).
//!
//! The scenario comes from the readers bench's generator (`synth`): diagnostic Activity and
//! sign-in JSON Lines, read with `tokentrail-ingest` as `investigate` reads them, so the
//! records carry real claims. Operations are built to link by token id (70 %), by session
//! (15 %) and by the fallback time window (15 %); the link methods found are printed once and
//! checked, so a matcher change that stops linking does not pass for a speed-up.
//!
//! `cargo bench -p tokentrail-analyze --bench matcher`

// The sign-in object in `synth` is one large `json!` literal.
#![recursion_limit = "256"]

#[path = "../../ingest/benches/synth/mod.rs"]
mod synth;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Cursor;
use tokentrail_analyze::correlate::link;
use tokentrail_analyze::operations::group;
use tokentrail_analyze::signins::{facts, SignInFacts, SignInIndex};
use tokentrail_ingest::pipeline::read_stream;
use tokentrail_ingest::source::SourceStream;
use tokentrail_ingest::{FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::{ActivityEvent, Record};

#[derive(Default)]
struct Collect {
    events: Vec<ActivityEvent>,
    signins: Vec<SignInFacts>,
    other: u64,
}

impl Sink for Collect {
    fn record(&mut self, rec: Record) {
        match rec {
            Record::Activity(e) => self.events.push(*e),
            Record::SignIn(s) => {
                let mut f = facts(&s);
                f.index = self.signins.len();
                self.signins.push(f);
            }
            _ => self.other += 1,
        }
    }
    fn skip(&mut self, _: Skip) {
        self.other += 1;
    }
    fn file_done(&mut self, _: FileStats) {}
    fn error(&mut self, _: IngestError) {
        self.other += 1;
    }
}

fn read_into(sink: &mut Collect, name: &str, bytes: &[u8]) {
    let stream = SourceStream {
        name: name.to_string(),
        containers: Vec::new(),
        encoding: "utf-8",
        reader: Box::new(Cursor::new(bytes)),
    };
    read_stream(stream, &ReadOptions::default(), sink).expect("generated input reads");
}

fn bench_matcher(c: &mut Criterion) {
    let n: usize = std::env::var("TT_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let sc = synth::scenario(n, 7);
    let mut input = Collect::default();
    read_into(&mut input, "activity-PT1H.json", &sc.diag_activity().bytes);
    read_into(&mut input, "signins-PT1H.json", &sc.diag_signins().bytes);
    assert_eq!(input.other, 0, "generated records were skipped");
    let Collect {
        events, signins, ..
    } = input;
    let (n_ops, n_signins) = (events.len(), signins.len());

    // Link once outside the timing: report and check the methods used.
    let grouped = group(events.clone());
    let ix = SignInIndex::new(signins.clone());
    let mut methods: BTreeMap<&str, usize> = BTreeMap::new();
    for op in &grouped.operations {
        let m = link(op, &ix).map_or("unlinked", |l| l.method.name());
        *methods.entry(m).or_default() += 1;
    }
    eprintln!(
        "matcher: {} operations, {n_signins} sign-ins; link methods {methods:?}",
        grouped.operations.len()
    );
    for m in ["token", "session", "window"] {
        assert!(
            methods.get(m).is_some_and(|&k| k > 0),
            "no {m} links: {methods:?}"
        );
    }

    let mut g = c.benchmark_group(format!("matcher/{n_ops}ops"));
    g.sample_size(10);
    g.throughput(Throughput::Elements(n_signins as u64));
    g.bench_function("signin_index_build", |b| {
        b.iter_batched(
            || signins.clone(),
            |s| black_box(SignInIndex::new(s)),
            BatchSize::LargeInput,
        )
    });
    g.throughput(Throughput::Elements(grouped.operations.len() as u64));
    g.bench_function("link_all_operations", |b| {
        b.iter(|| {
            grouped
                .operations
                .iter()
                .filter(|op| link(op, &ix).is_some())
                .count()
        })
    });
    g.throughput(Throughput::Elements(n_ops as u64));
    g.bench_function("attribute", |b| {
        b.iter_batched(
            || (events.clone(), signins.clone()),
            |(e, s)| black_box(tokentrail_analyze::attribute(e, s)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_matcher);
criterion_main!(benches);
