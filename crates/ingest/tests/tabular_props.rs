//! Property tests: arbitrary bytes never make the CSV or PowerShell list readers panic,
//! and every record read is accounted for (read = parsed + skipped).

use proptest::prelude::*;
use std::io::Cursor;
use std::sync::Arc;
use tokentrail_ingest::pipeline::{read_stream, StreamCtx};
use tokentrail_ingest::source::SourceStream;
use tokentrail_ingest::tabular::{read_csv, read_ps_list};
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
    fn file_done(&mut self, stats: FileStats) {
        self.files.push(stats);
    }
    fn error(&mut self, _: IngestError) {}
}

fn check_direct(bytes: &[u8], list: bool, culture: Option<&str>) {
    let opts = ReadOptions {
        culture: culture.map(str::to_string),
        ..Default::default()
    };
    let ctx = StreamCtx {
        file: Arc::from("prop"),
        options: &opts,
    };
    let mut stats = FileStats::default();
    let mut sink = Count::default();
    let rdr = Box::new(Cursor::new(bytes.to_vec()));
    let _ = if list {
        read_ps_list(rdr, &ctx, &mut stats, &mut sink)
    } else {
        read_csv(rdr, &ctx, &mut stats, &mut sink)
    };
    assert_eq!(stats.read, stats.parsed + stats.skipped);
    assert_eq!(stats.parsed, sink.records);
    assert_eq!(stats.skipped, sink.skips);
}

/// Through sniffing and the pipeline, whatever the input sniffs as (JSON included).
fn check_pipeline(bytes: &[u8]) {
    let opts = ReadOptions::default();
    let mut sink = Count::default();
    let stream = SourceStream {
        name: "prop".into(),
        containers: Vec::new(),
        encoding: "utf-8",
        reader: Box::new(Cursor::new(bytes.to_vec())),
    };
    let _ = read_stream(stream, &opts, &mut sink);
    for s in &sink.files {
        assert_eq!(s.read, s.parsed + s.skipped);
    }
}

const PS_HEADER: &str = "\"Authorization\",\"Claims\",\"HttpRequest\",\"Properties\",\"EventTimestamp\",\"SubmissionTimestamp\",\"OperationName\",\"EventDataId\",\"Caller\"\r\n";
const LIST_HEAD: &str = "Authorization        :\r\n                       Scope     : /subscriptions/s\r\nEventTimestamp       : ";

/// Text built from the characters that matter to the readers.
fn tricky() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\"".to_string()),
            Just(",".to_string()),
            Just(";".to_string()),
            Just("\r\n".to_string()),
            Just("\n".to_string()),
            Just(" : ".to_string()),
            Just(": ".to_string()),
            Just("                       ".to_string()),
            Just("6/10/2024 6:13:45 AM".to_string()),
            Just("31.12.2024 23:59:59".to_string()),
            Just("99/99/9999 99:99:99 PM".to_string()),
            Just("Microsoft.Azure.Management.Monitor.Models.LocalizableString".to_string()),
            Just("EventTimestamp".to_string()),
            "[a-zA-Z0-9/._-]{0,12}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..80,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn csv_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_direct(&bytes, false, None);
        check_pipeline(&bytes);
    }

    #[test]
    fn list_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_direct(&bytes, true, None);
    }

    #[test]
    fn ps_csv_tricky(body in tricky(), culture in prop_oneof![Just(None), Just(Some("de-DE")), Just(Some("xx"))]) {
        let text = format!("{PS_HEADER}{body}");
        check_direct(text.as_bytes(), false, culture);
        check_pipeline(text.as_bytes());
        let typed = format!("#TYPE X\n{}", text.replace(',', ";"));
        check_direct(typed.as_bytes(), false, None);
    }

    #[test]
    fn ps_list_tricky(body in tricky()) {
        let text = format!("{LIST_HEAD}{body}");
        check_direct(text.as_bytes(), true, None);
        check_pipeline(text.as_bytes());
    }
}
