//! Conformance over the shared public samples (`../shared/samples`, skipped when absent):
//! every sign-in and audit record is accounted for (read = parsed + skipped + duplicates),
//! and anything skipped is a record that is genuinely not a sign-in, audit or Activity Log
//! event, with a reason that names what it is. Reads the whole directory through one
//! dedup sink, as `tokentrail parse` does.

use std::collections::BTreeMap;
use std::path::Path;
use tokentrail_ingest::{read_path, DedupSink, FileStats, ReadOptions, Sink, Skip};
use tokentrail_model::Record;

#[derive(Default)]
struct Collect {
    stats: Vec<FileStats>,
    skips: Vec<Skip>,
}

impl Sink for Collect {
    fn record(&mut self, _: Record) {}
    fn skip(&mut self, s: Skip) {
        self.skips.push(s);
    }
    fn file_done(&mut self, s: FileStats) {
        self.stats.push(s);
    }
    fn error(&mut self, _: tokentrail_ingest::IngestError) {}
}

/// Reasons that say a record is some other log type (or an Activity-Log body under a
/// sign-in category), never a failure to read a real sign-in or audit event.
const ACCEPTED_SKIPS: &[&str] = &[
    "not an Activity Log, sign-in or audit record",
    "they are Activity Log properties",
];

/// (file, read, parsed, skipped, duplicates) for every Entra sample, read in directory order.
const EXPECTED: &[(&str, u64, u64, u64, u64)] = &[
    ("elastic-beats/auditlogs.log", 1, 1, 0, 0),
    ("elastic-beats/signinlogs_ipv6.log", 1, 1, 0, 0),
    (
        "elastic-integrations/signinlogs.test-time-formats-corner-cases.log",
        11,
        11,
        0,
        0,
    ),
    (
        "elastic-integrations/test-aadgraph-activity.log",
        7,
        0,
        7,
        0,
    ),
    (
        "elastic-integrations/test-acitivitylogs-responsebody.log",
        1,
        0,
        1,
        0,
    ),
    (
        "elastic-integrations/test-activitylogs-edgecases.log",
        3,
        3,
        0,
        0,
    ),
    (
        "elastic-integrations/test-activitylogs-identity.log",
        1,
        1,
        0,
        0,
    ),
    ("elastic-integrations/test-adfs-signin.log", 1, 1, 0, 0),
    (
        "elastic-integrations/test-audit-logs-edgecases.log",
        2,
        1,
        0,
        1,
    ),
    (
        "elastic-integrations/test-audit-logs-sample.log",
        3,
        2,
        0,
        1,
    ),
    ("elastic-integrations/test-auditlogs-raw.log", 3, 1, 0, 2),
    (
        "elastic-integrations/test-managed-identity-sample.first10lines.log",
        10,
        10,
        0,
        0,
    ),
    (
        "elastic-integrations/test-non-interactive-user-signin.log",
        1,
        1,
        0,
        0,
    ),
    ("elastic-integrations/test-rickyusers-raw.log", 2, 0, 2, 0),
    (
        "elastic-integrations/test-service-principal-signinlogs-sample.log",
        7,
        7,
        0,
        0,
    ),
    ("elastic-integrations/test-signinlogs-raw.log", 5, 5, 0, 0),
    (
        "elastic-integrations/test-userriskevents-raw.log",
        2,
        0,
        2,
        0,
    ),
    (
        "msgraph-docs/signin-get_beta_example1_fido2.json",
        1,
        1,
        0,
        0,
    ),
    (
        "msgraph-docs/signin-list_beta_example2_failed50126.json",
        1,
        1,
        0,
        0,
    ),
    ("msgraph-docs/signin-list_v1.0_example.json", 1, 1, 0, 0),
    ("msticnb/aad_signin_random.pkl.jsonl", 300, 300, 0, 0),
    ("msticnb/aad_signin_user.pkl.jsonl", 31, 31, 0, 0),
    ("msticpy/aad_logons.pkl.jsonl", 86, 45, 0, 41),
    ("otrf-security-datasets/AADAuditEvents.json", 4, 3, 0, 1),
    (
        "otrf-security-datasets/OfficeActivityEvents.json",
        1,
        0,
        1,
        0,
    ),
    ("wazuh/graph_events", 2, 2, 0, 0),
    ("wazuh/storage_events_inline", 2, 2, 0, 0),
    ("wazuh/storage_events_json", 2, 0, 0, 2),
];

#[test]
fn every_entra_sample_record_is_accounted_for() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if !root.is_dir() {
        eprintln!("skipping: {} not present", root.display());
        return;
    }
    let mut sink = DedupSink::new(Collect::default());
    read_path(&root, &ReadOptions::default(), &mut sink);
    let c = sink.into_inner();
    let prefix = format!("{}/", root.display());
    let by_file: BTreeMap<String, &FileStats> = c
        .stats
        .iter()
        .map(|s| (s.file.trim_start_matches(&prefix).to_string(), s))
        .collect();
    for s in &c.stats {
        assert_eq!(s.read, s.parsed + s.skipped + s.duplicates, "{}", s.file);
    }
    for sk in &c.skips {
        assert!(
            ACCEPTED_SKIPS.iter().any(|a| sk.reason.contains(a)),
            "{}:{}: {}",
            sk.file,
            sk.line,
            sk.reason
        );
    }
    for (file, read, parsed, skipped, dups) in EXPECTED {
        let s = by_file
            .get(*file)
            .unwrap_or_else(|| panic!("{file} not read"));
        assert_eq!(
            (s.read, s.parsed, s.skipped, s.duplicates),
            (*read, *parsed, *skipped, *dups),
            "{file}"
        );
    }
    // The Log Analytics portal CSV of AuditLogs parses completely once CSV framing exists.
    if let Some(s) = by_file.get("sentinel-training-lab/AuditLogs_Hunting.csv") {
        if s.error.is_none() {
            assert_eq!((s.read, s.skipped), (5, 0), "AuditLogs_Hunting.csv");
        }
    }
}
