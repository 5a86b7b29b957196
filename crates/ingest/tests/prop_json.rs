//! Property tests for the JSON path: the framer agrees with serde_json on random
//! documents in every container shape, and arbitrary bytes never panic the pipeline.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::Cursor;
use tokentrail_ingest::frame::json::JsonFramer;
use tokentrail_ingest::frame::FrameKind;
use tokentrail_ingest::source::SourceStream;
use tokentrail_ingest::{FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::Record;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[ -~\u{e9}\u{2013}\"\\\\\n\t{}\\[\\]]{0,12}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z\"{}]{0,6}", inner), 0..4).prop_map(|kv| Value::Object(
                kv.into_iter()
                    .filter(|(k, _)| k != "value" && k != "records" && k != "tables")
                    .collect()
            )),
        ]
    })
}

fn record() -> impl Strategy<Value = Value> {
    prop::collection::vec(("[a-z]{1,5}", value()), 1..4).prop_map(|kv| {
        let mut m = serde_json::Map::new();
        m.insert("k".into(), json!(1));
        for (k, v) in kv {
            if k != "value" && k != "records" && k != "tables" {
                m.insert(k, v);
            }
        }
        Value::Object(m)
    })
}

fn render(v: &Value, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(v).unwrap()
    } else {
        serde_json::to_string(v).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, timeout: 5000, ..ProptestConfig::default() })]

    #[test]
    fn framer_matches_serde(recs in prop::collection::vec(record(), 0..12), shape in 0u8..5, pretty: bool, chunk in 1usize..300) {
        let doc = match shape {
            0 => render(&Value::Array(recs.clone()), pretty),
            1 => render(&json!({"value": recs, "nextLink": "n"}), pretty),
            2 => render(&json!({"records": recs}), pretty),
            3 => recs.iter().map(|r| render(r, false)).collect::<Vec<_>>().join("\n"),
            _ => recs.iter().map(|r| render(&Value::Array(vec![r.clone()]), pretty)).collect::<Vec<_>>().join(""),
        };
        let frames: Vec<Value> = JsonFramer::with_chunk(doc.as_bytes(), chunk)
            .map(|f| f.unwrap())
            .inspect(|f| assert_eq!(f.kind, FrameKind::Json, "{:?}", String::from_utf8_lossy(&f.bytes)))
            .map(|f| serde_json::from_slice(&f.bytes).unwrap())
            .collect();
        prop_assert_eq!(frames, recs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), prefix in prop::sample::select(vec!["", "[", "{\"value\":[", "{\"records\":[", "{\"tables\":[{\"columns\":[{\"name\":\"Type\"}],\"rows\":[", "\u{feff}", "{\"time\":\"2024-01-01T00:00:00Z\",\"category\":\"Administrative\"", "{\"category\":\"Administrative\"}\n"])) {
        let mut input = prefix.as_bytes().to_vec();
        input.extend_from_slice(&bytes);
        let mut sink = Counter::default();
        let stream = SourceStream { name: "prop".into(), containers: vec![], encoding: "UTF-8", reader: Box::new(Cursor::new(input)) };
        let _ = tokentrail_ingest::pipeline::read_stream(stream, &ReadOptions::default(), &mut sink);
        prop_assert_eq!(sink.stats.len(), 1);
        let st = &sink.stats[0];
        prop_assert_eq!(st.read, st.parsed + st.skipped);
        prop_assert_eq!(st.parsed, sink.records);
        prop_assert_eq!(st.skipped, sink.skips);
    }
}

proptest! {
    /// JSON Lines made of JSON's own punctuation (the framer's line fast path and its
    /// fallback): nothing panics and every record read is parsed or skipped.
    #[test]
    fn json_ish_lines_are_all_counted(
        bytes in prop::collection::vec(prop::sample::select(b"{}[]\"\\\n :,a1".to_vec()), 0..1024),
    ) {
        let mut input = b"{\"category\":\"Administrative\"}\n".to_vec();
        input.extend_from_slice(&bytes);
        let mut sink = Counter::default();
        let stream = SourceStream { name: "prop".into(), containers: vec![], encoding: "UTF-8", reader: Box::new(Cursor::new(input)) };
        let _ = tokentrail_ingest::pipeline::read_stream(stream, &ReadOptions::default(), &mut sink);
        let st = &sink.stats[0];
        prop_assert_eq!(st.read, st.parsed + st.skipped);
        prop_assert_eq!(st.parsed, sink.records);
        prop_assert_eq!(st.skipped, sink.skips);
    }
}

#[derive(Default)]
struct Counter {
    records: u64,
    skips: u64,
    stats: Vec<FileStats>,
}

impl Sink for Counter {
    fn record(&mut self, _: Record) {
        self.records += 1;
    }
    fn skip(&mut self, _: Skip) {
        self.skips += 1;
    }
    fn file_done(&mut self, s: FileStats) {
        self.stats.push(s);
    }
    fn error(&mut self, _: IngestError) {}
}
