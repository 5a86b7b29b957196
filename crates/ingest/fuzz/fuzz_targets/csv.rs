//! Fuzz target for the CSV reader (`tabular::read_csv`): delimiter sniffing, `#TYPE` line, multi-line cells, PowerShell `Export-Csv` and Log Analytics rows.
//! Input must never panic, and every record read is parsed or skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::sync::Arc;
use tokentrail_ingest::pipeline::StreamCtx;
use tokentrail_ingest::{FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::Record;

#[derive(Default)]
struct Count {
    records: u64,
    skips: u64,
}

impl Sink for Count {
    fn record(&mut self, _: Record) {
        self.records += 1;
    }
    fn skip(&mut self, _: Skip) {
        self.skips += 1;
    }
    fn file_done(&mut self, _: FileStats) {}
    fn error(&mut self, _: IngestError) {}
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks a forced culture, so culture handling is fuzzed too.
    let culture = match data.first().map(|b| b % 4) {
        Some(1) => Some("de-DE".to_string()),
        Some(2) => Some("en-GB".to_string()),
        Some(3) => Some("ja-JP".to_string()),
        _ => None,
    };
    let opts = ReadOptions {
        culture,
        ..Default::default()
    };
    let ctx = StreamCtx {
        file: Arc::from("fuzz"),
        options: &opts,
    };
    let mut stats = FileStats::default();
    let mut sink = Count::default();
    let rdr = Box::new(Cursor::new(data.to_vec()));
    let _ = tokentrail_ingest::tabular::read_csv(rdr, &ctx, &mut stats, &mut sink);
    assert_eq!(stats.read, stats.parsed + stats.skipped);
    assert_eq!(stats.parsed, sink.records);
    assert_eq!(stats.skipped, sink.skips);
});
