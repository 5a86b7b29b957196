//! Fuzz target: arbitrary bytes through the whole pipeline (sniff, frame, classify, every
//! sign-in and audit normalizer). Must never panic or hang; read = parsed + skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_ingest::pipeline::read_stream;
use tokentrail_ingest::source::SourceStream;
use tokentrail_ingest::{FileStats, ReadOptions, Sink, Skip};
use tokentrail_model::Record;

struct Check;
impl Sink for Check {
    fn record(&mut self, _: Record) {}
    fn skip(&mut self, _: Skip) {}
    fn file_done(&mut self, s: FileStats) {
        assert_eq!(s.read, s.parsed + s.skipped + s.duplicates);
    }
    fn error(&mut self, _: tokentrail_ingest::IngestError) {}
}

fuzz_target!(|data: &[u8]| {
    let stream = SourceStream {
        name: "fuzz".into(),
        containers: Vec::new(),
        encoding: "UTF-8",
        reader: Box::new(std::io::Cursor::new(data.to_vec())),
    };
    let _ = read_stream(stream, &ReadOptions::default(), &mut Check);
});
