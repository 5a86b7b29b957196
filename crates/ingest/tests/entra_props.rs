//! Property tests: arbitrary bytes never panic through the pipeline, and arbitrary
//! sign-in/audit-shaped objects never panic any Entra normalizer.

use proptest::prelude::*;
use serde_json::{Map, Value};
use std::sync::Arc;
use tokentrail_ingest::detect::Schema;
use tokentrail_ingest::pipeline::read_stream;
use tokentrail_ingest::source::SourceStream;
use tokentrail_ingest::{FileStats, ReadOptions, Sink, Skip};
use tokentrail_model::{Provenance, Record};

#[derive(Default)]
struct Count {
    stats: Vec<FileStats>,
}
impl Sink for Count {
    fn record(&mut self, _: Record) {}
    fn skip(&mut self, _: Skip) {}
    fn file_done(&mut self, s: FileStats) {
        self.stats.push(s);
    }
    fn error(&mut self, _: tokentrail_ingest::IngestError) {}
}

fn run(bytes: &[u8]) {
    let mut sink = Count::default();
    let stream = SourceStream {
        name: "prop".into(),
        containers: Vec::new(),
        encoding: "UTF-8",
        reader: Box::new(std::io::Cursor::new(bytes.to_vec())),
    };
    let _ = read_stream(stream, &ReadOptions::default(), &mut sink);
    for s in &sink.stats {
        assert_eq!(s.read, s.parsed + s.skipped + s.duplicates);
    }
}

/// Keys the Entra readers look at, in several spellings.
const KEYS: &[&str] = &[
    "id",
    "Id",
    "Request ID",
    "createdDateTime",
    "CreatedDateTime",
    "Date (UTC)",
    "time",
    "TimeGenerated",
    "category",
    "Category",
    "Type",
    "properties",
    "status",
    "Status",
    "Status_dynamic",
    "uniqueTokenIdentifier",
    "sessionId",
    "userPrincipalName",
    "Username",
    "appId",
    "servicePrincipalId",
    "Service principal ID",
    "Managed Identity type",
    "managedServiceIdentity",
    "location",
    "Location",
    "LocationDetails",
    "deviceDetail",
    "DeviceDetail_string",
    "authenticationDetails",
    "appliedConditionalAccessPolicies",
    "ConditionalAccessPolicies",
    "signInEventTypes",
    "isInteractive",
    "resultType",
    "activityDisplayName",
    "activityDateTime",
    "initiatedBy",
    "InitiatedBy",
    "targetResources",
    "TargetResources",
    "additionalDetails",
    "Authentication method",
    "riskEventTypes_v2",
    "Incoming token type (2)",
    "identity",
    "Level",
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("2024-06-10T06:08:12Z"),
            Just("qGmIoBU75EaN4yc4SeYBAA"),
            Just("{\"errorCode\":0}"),
            Just("[{\"key\":1}]"),
            Just("{'a': [1, 'b', None]}"),
            Just("Washington, D.C., US"),
            Just("SignInLogs"),
            Just("AuditLogs"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..5).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(KEYS), value()), 0..12)
        .prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(&bytes);
    }

    #[test]
    fn json_ish_bytes_never_panic(prefix in prop::sample::select(vec!["{", "[", "{\"value\":[", "{\"records\":[", "Request ID,Date (UTC)\n"]),
                                  body in "[ -~\n]{0,200}") {
        run(format!("{prefix}{body}").as_bytes());
    }

    #[test]
    fn normalizers_never_panic(map in object()) {
        for schema in [Schema::SignInGraph, Schema::SignInDiagnostic, Schema::SignInLogAnalytics,
                       Schema::SignInPortalCsv, Schema::SignInAuthDetailsCsv,
                       Schema::AuditGraph, Schema::AuditDiagnostic, Schema::AuditLogAnalytics] {
            let prov = Provenance { file: Arc::from("p"), record: 0, line: None, offset: None };
            let _ = if schema.label().starts_with("signin") {
                tokentrail_ingest::signin::normalize(&map, schema, prov).map(|_| ())
            } else {
                tokentrail_ingest::audit::normalize(&map, schema, prov).map(|_| ())
            };
        }
        let _ = tokentrail_ingest::detect::classify(&tokentrail_ingest::fields::Fields::new(&map));
        let s = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
        run(&s);
    }

    #[test]
    fn pyrepr_never_panics(s in ".{0,120}") {
        let _ = tokentrail_ingest::pyrepr::to_json(&s);
    }
}

/// Regression: input that made the JSON framer index past its buffer.
#[test]
fn framer_regression_object_then_text_lines() {
    run(b"{\n! A00 A0\n a0 \naAA A\n a aaA aa  a\n[0 Aaa00  0a\naAaAA\naa\nA \n0AA0A!");
}

/// Regression: a stray closing bracket where a value starts made the framer loop forever.
#[test]
fn framer_regression_stray_closing_bracket() {
    run(b"[}");
    run(b"{\"value\":[}]}");
}

/// Regression: a `value` page whose records straddle the framer's refill boundary lost
/// one record per refill (the element start was taken before the buffer shifted).
#[test]
fn framer_regression_records_across_refills() {
    let rec = format!(
        "{{\"id\":\"a08869a8-3b15-46e4-8de3-273849e60100\",\"createdDateTime\":\"2024-06-10T06:08:12Z\",\"userPrincipalName\":\"a@b.c\",\"pad\":\"{}\"}}",
        "x".repeat(2000)
    );
    let n = 3000;
    let body = vec![rec; n].join(",\n");
    let text = format!("{{\"value\":[\n{body}\n]}}");
    let mut sink = Count::default();
    let stream = SourceStream {
        name: "refill".into(),
        containers: Vec::new(),
        encoding: "UTF-8",
        reader: Box::new(std::io::Cursor::new(text.into_bytes())),
    };
    read_stream(stream, &ReadOptions::default(), &mut sink).unwrap();
    assert_eq!(
        (sink.stats[0].read, sink.stats[0].parsed),
        (n as u64, n as u64)
    );
}
