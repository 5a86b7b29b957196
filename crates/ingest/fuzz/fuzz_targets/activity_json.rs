//! Fuzz target for the JSON path: the streaming framer (arrays, `value`/`records` pages,
//! query-API tables, JSON Lines and their fast path), lenient repair and the Activity Log normalizers.
//! Input must never panic or hang, and every record read is parsed or skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use tokentrail_ingest::source::SourceStream;
use tokentrail_ingest::{FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::Record;

#[derive(Default)]
struct Count {
    records: u64,
    skips: u64,
    files: Vec<FileStats>,
}

impl Sink for Count {
    fn record(&mut self, _: Record) {
        self.records += 1;
    }
    fn skip(&mut self, _: Skip) {
        self.skips += 1;
    }
    fn file_done(&mut self, s: FileStats) {
        self.files.push(s);
    }
    fn error(&mut self, _: IngestError) {}
}

fuzz_target!(|data: &[u8]| {
    // A leading `[` makes most inputs take the JSON path; with an odd first byte, a first
    // record alone on its line puts the framer in JSON Lines mode (and its fast path).
    let mut input = match data.first() {
        Some(b) if b % 2 == 1 => b"{\"category\":\"Administrative\"}\n".to_vec(),
        _ => b"[".to_vec(),
    };
    input.extend_from_slice(data.get(1..).unwrap_or_default());
    let stream = SourceStream { name: "fuzz".into(), containers: vec![], encoding: "UTF-8", reader: Box::new(Cursor::new(input)) };
    let mut sink = Count::default();
    let _ = tokentrail_ingest::pipeline::read_stream(stream, &ReadOptions::default(), &mut sink);
    for s in &sink.files {
        assert_eq!(s.read, s.parsed + s.skipped + s.duplicates);
    }
});
