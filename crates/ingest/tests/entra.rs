//! Entra sign-in and audit readers over the project's own fixtures
//! (`tests/fixtures/signin`, `tests/fixtures/audit`), one test per shape and quirk.
//!
//! CSV framing lives elsewhere; [`csv_rows`] mimics its contract (header names trimmed and
//! whitespace-collapsed, ` [UTC]` stripped, repeated headers renamed `Name (2)`) and feeds
//! each row to `pipeline::normalize_map`, as the CSV reader does.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokentrail_ingest::detect::Schema;
use tokentrail_ingest::frame::{Frame, FrameKind};
use tokentrail_ingest::pipeline::normalize_map;
use tokentrail_ingest::signin::join::AuthDetailIndex;
use tokentrail_ingest::{read_path, DedupSink, FileStats, Outcome, ReadOptions, Sink, Skip};
use tokentrail_model::guid::TokenIdEncoding;
use tokentrail_model::signin::LinkField;
use tokentrail_model::{AuditEvent, Provenance, Record, SignIn, SignInKind};

#[derive(Default)]
struct Collect {
    recs: Vec<Record>,
    skips: Vec<Skip>,
    stats: Vec<FileStats>,
}

impl Sink for Collect {
    fn record(&mut self, r: Record) {
        self.recs.push(r);
    }
    fn skip(&mut self, s: Skip) {
        self.skips.push(s);
    }
    fn file_done(&mut self, s: FileStats) {
        self.stats.push(s);
    }
    fn error(&mut self, e: tokentrail_ingest::IngestError) {
        panic!("unexpected read error: {e}");
    }
}

impl Collect {
    fn sign_ins(&self) -> Vec<&SignIn> {
        self.recs
            .iter()
            .filter_map(|r| match r {
                Record::SignIn(s) => Some(&**s),
                _ => None,
            })
            .collect()
    }
    fn audits(&self) -> Vec<&AuditEvent> {
        self.recs
            .iter()
            .filter_map(|r| match r {
                Record::Audit(a) => Some(&**a),
                _ => None,
            })
            .collect()
    }
    fn by_id(&self, id: &str) -> &SignIn {
        self.sign_ins()
            .into_iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no sign-in {id}"))
    }
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

fn read(p: &str) -> Collect {
    let mut c = Collect::default();
    read_path(&fixture(p), &ReadOptions::default(), &mut c);
    for s in &c.stats {
        assert_eq!(s.read, s.parsed + s.skipped + s.duplicates, "{}", s.file);
    }
    c
}

/// Header rules of the CSV framer: trim, collapse whitespace, strip ` [UTC]`, rename repeats.
fn header_names(raw: &csv::StringRecord) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in raw.iter() {
        let h = h.trim_start_matches('\u{feff}');
        let mut n = h.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(x) = n.strip_suffix(" [UTC]") {
            n = x.to_string();
        }
        let base = n.clone();
        let mut k = 2;
        while out.contains(&n) {
            n = format!("{base} ({k})");
            k += 1;
        }
        out.push(n);
    }
    out
}

fn csv_rows(p: &str) -> Collect {
    let path = fixture(p);
    let file: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .unwrap();
    let headers = header_names(rdr.headers().unwrap());
    let mut c = Collect::default();
    let mut st = FileStats::default();
    for (i, row) in rdr.records().enumerate() {
        let row = row.unwrap();
        let map: Map<String, Value> = headers
            .iter()
            .cloned()
            .zip(row.iter().map(|v| Value::String(v.to_string())))
            .collect();
        let frame = Frame {
            kind: FrameKind::Json,
            bytes: Vec::new(),
            offset: 0,
            line: i as u64 + 2,
        };
        let prov = Provenance {
            file: file.clone(),
            record: i as u64,
            line: Some(i as u64 + 2),
            offset: None,
        };
        let (o, _) = normalize_map(&map, &file, i as u64, &frame, prov, Vec::new());
        st.count(&o);
        match o {
            Outcome::Parsed(r) => c.recs.push(r),
            Outcome::Skipped(s) => c.skips.push(s),
            Outcome::Nothing => {}
        }
    }
    st.finish();
    c.stats.push(st);
    c
}

#[test]
fn graph_beta_value_page_all_kinds_and_uti() {
    let c = read("signin/graph_beta_page.json");
    let st = &c.stats[0];
    assert_eq!((st.read, st.parsed, st.skipped), (3, 3, 0));
    assert!(st.shapes.contains(&"value-page".to_string()));
    let kinds: Vec<SignInKind> = c.sign_ins().iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        vec![
            SignInKind::NonInteractive,
            SignInKind::ServicePrincipal,
            SignInKind::ManagedIdentity
        ]
    );
    for s in c.sign_ins() {
        assert_eq!(s.format, "graph-beta");
        // Each fixture's uniqueTokenIdentifier is its Request ID in `uti` form.
        assert_eq!(s.token_guid(), s.request_guid(), "{}", s.id);
        assert_eq!(
            s.unique_token_id.as_ref().unwrap().encoding,
            Some(TokenIdEncoding::GuidBytes)
        );
    }
    let a = c.by_id("a08869a8-3b15-46e4-8de3-273849e60100");
    assert_eq!(
        a.unique_token_id.as_ref().unwrap().raw,
        "qGmIoBU75EaN4yc4SeYBAA"
    );
    assert_eq!(
        a.session_id.as_deref(),
        Some("0f0f0f0f-aaaa-4bbb-8ccc-dddddddddddd")
    );
    assert_eq!(a.authentication.mfa_satisfied, Some(true));
    assert_eq!(a.conditional_access.policies.len(), 1);
    assert!(
        a.device.as_ref().unwrap().id.is_none(),
        "empty deviceId dropped"
    );
    let sp = c.by_id("b1b1b1b1-2222-4333-8444-555555555555");
    let cred = sp.credential.as_ref().unwrap();
    assert_eq!(cred.client_credential_type.as_deref(), Some("clientSecret"));
    assert_eq!(
        cred.key_id.as_deref(),
        Some("9d9d9d9d-1111-4222-8333-444444444444")
    );
    let mi = c.by_id("c2c2c2c2-3333-4444-8555-666666666666");
    let m = mi.managed_identity.as_ref().unwrap();
    assert_eq!(m.msi_type.as_deref(), Some("systemAssigned"));
    assert!(m
        .associated_resource_id
        .as_deref()
        .unwrap()
        .ends_with("vm-build-01"));
    assert!(
        mi.client.location.is_none(),
        "0.0/0.0 and empty strings are no location"
    );
    let cov = st.coverage.as_ref().unwrap();
    assert_eq!(cov.fields[&LinkField::UniqueTokenId], 3);
    assert!(cov
        .findings
        .iter()
        .all(|f| !f.contains("token-level attribution is impossible")));
}

#[test]
fn graph_v1_array_coverage_says_export_from_beta() {
    let c = read("signin/graph_v1_array.json");
    let st = &c.stats[0];
    assert_eq!((st.read, st.parsed), (2, 2));
    let s = c.by_id("e4e4e4e4-5555-4666-8777-888888888888");
    assert_eq!(s.format, "graph-v1.0");
    assert_eq!(s.kind, SignInKind::Interactive);
    assert_eq!(s.status.error_code, Some(50126));
    assert_eq!(s.status.success, Some(false));
    assert_eq!(s.client.ip.as_deref(), Some("2001:db8::7"));
    let f = &st.coverage.as_ref().unwrap().findings;
    assert!(
        f[0].contains("carry no uniqueTokenIdentifier or sessionId"),
        "{f:?}"
    );
    assert!(f[0].contains("export from beta"), "{f:?}");
}

#[test]
fn collector_jsonl_2022_token_id_and_bad_records() {
    let c = read("signin/graph_beta_collector.jsonl");
    let st = &c.stats[0];
    assert_eq!(
        (st.read, st.parsed, st.skipped),
        (6, 2, 4),
        "a line holding an array is framed as its elements"
    );
    let s = c.by_id("d3d3d3d3-4444-4555-8666-777777777777");
    let t = s.unique_token_id.as_ref().unwrap();
    assert_eq!(t.encoding, Some(TokenIdEncoding::GuidText));
    assert_eq!(t.guid, s.request_guid());
    assert_eq!(s.authentication.mfa_satisfied, Some(false));
    assert!(s.session_id.is_none(), "empty sessionId is absent");
    let bad = c.by_id("d3d3d3d3-4444-4555-8666-777777777778");
    assert!(bad.notes.iter().any(|n| n.contains("does not decode")));
    let text = st.coverage.as_ref().unwrap().findings.join("\n");
    assert!(text.contains("2022-era"), "{text}");
    assert!(text.contains("do not decode"), "{text}");
    assert!(c
        .skips
        .iter()
        .any(|s| s.reason.contains("unparseable createdDateTime")));
    assert!(c.skips.iter().any(|s| s.reason.contains("not an object")));
}

#[test]
fn diagnostic_records_every_category() {
    let c = read("signin/diagnostic_PT1H.json");
    let st = &c.stats[0];
    assert_eq!((st.read, st.parsed, st.skipped), (8, 6, 2));
    let a = c.by_id("a08869a8-3b15-46e4-8de3-273849e60100");
    assert_eq!(a.kind, SignInKind::NonInteractive);
    assert_eq!(a.format, "diagnostic/NonInteractiveUserSignInLogs");
    assert_eq!(a.time.utc.to_string(), "2024-06-10T06:08:12.5522137Z");
    assert_eq!(
        a.tenants.tenant_id.as_deref(),
        Some("aaaaaaaa-0000-4000-8000-000000000001")
    );
    let e = c.by_id("d3d3d3d3-4444-4555-8666-777777777777");
    assert_eq!(e.kind, SignInKind::Interactive);
    assert_eq!(e.status.error_code, Some(50074));
    assert_eq!(
        e.token_guid(),
        e.request_guid(),
        "2022-style uti decodes to the id"
    );
    let sp = c
        .sign_ins()
        .into_iter()
        .find(|s| s.format == "diagnostic/ServicePrincipalSignInLogs")
        .unwrap();
    assert_eq!(sp.kind, SignInKind::ServicePrincipal);
    assert_eq!(
        sp.service_principal.as_ref().unwrap().name.as_deref(),
        Some("deploy-pipeline")
    );
    assert_eq!(sp.token_guid(), sp.request_guid());
    let mi = c.by_id("c2c2c2c2-3333-4444-8555-666666666667");
    assert_eq!(mi.kind, SignInKind::ManagedIdentity);
    assert!(mi.client.ip.is_none(), "MI records have an empty ipAddress");
    assert_eq!(
        mi.managed_identity.as_ref().unwrap().msi_type.as_deref(),
        Some("userAssigned")
    );
    let adfs = c.by_id("e5e5e5e5-0000-4000-8000-00000000000e");
    assert_eq!(adfs.kind, SignInKind::Adfs);
    assert_eq!(
        adfs.token_issuer.as_ref().unwrap().issuer_type.as_deref(),
        Some("ADFederationServices")
    );
    assert!(c
        .skips
        .iter()
        .any(|s| s.reason.contains("risky-user record (RiskyUsers)")));
    assert!(c
        .skips
        .iter()
        .any(|s| s.reason.contains("Activity Log properties")));
}

#[test]
fn event_hub_records_envelope() {
    let c = read("signin/diagnostic_records.json");
    let st = &c.stats[0];
    assert!(st.shapes.contains(&"records-envelope".to_string()));
    assert_eq!((st.read, st.parsed), (2, 2));
}

#[test]
fn duplicates_across_overlapping_exports() {
    let mut d = DedupSink::new(Collect::default());
    for p in [
        "signin/graph_beta_page.json",
        "signin/diagnostic_PT1H.json",
        "signin/diagnostic_records.json",
        "audit/graph_directory_audits.json",
        "audit/diagnostic_auditlogs.jsonl",
        "audit/la_auditlogs.jsonl",
    ] {
        read_path(&fixture(p), &ReadOptions::default(), &mut d);
    }
    let c = d.into_inner();
    let dups: Vec<(String, u64)> = c
        .stats
        .iter()
        .map(|s| {
            assert_eq!(s.read, s.parsed + s.skipped + s.duplicates, "{}", s.file);
            (s.file.rsplit('/').next().unwrap().to_string(), s.duplicates)
        })
        .collect();
    assert_eq!(
        dups,
        vec![
            ("graph_beta_page.json".into(), 0),
            ("diagnostic_PT1H.json".into(), 1),
            ("diagnostic_records.json".into(), 1),
            ("graph_directory_audits.json".into(), 0),
            ("diagnostic_auditlogs.jsonl".into(), 1),
            ("la_auditlogs.jsonl".into(), 1),
        ]
    );
    let a = c
        .sign_ins()
        .into_iter()
        .filter(|s| s.id == "a08869a8-3b15-46e4-8de3-273849e60100")
        .count();
    assert_eq!(a, 1, "kept once");
    // The service principal and the first-party stream share an id in the fixture: both kept.
    let sp = c
        .sign_ins()
        .into_iter()
        .filter(|s| s.id == "b1b1b1b1-2222-4333-8444-555555555556")
        .count();
    assert_eq!(sp, 2);
}

#[test]
fn log_analytics_signinlogs_dynamic_columns() {
    let c = read("signin/la_signinlogs.json");
    let s = c.by_id("5a5a5a5a-0000-4000-8000-000000000005");
    assert_eq!(s.kind, SignInKind::Interactive);
    assert_eq!(s.format, "log-analytics/SigninLogs");
    assert_eq!(s.authentication.details.len(), 2);
    assert_eq!(s.authentication.mfa_satisfied, Some(true));
    assert!(s
        .authentication
        .methods
        .contains(&"Mobile app notification".to_string()));
    assert_eq!(
        s.client.location.as_ref().unwrap().city.as_deref(),
        Some("Berlin")
    );
    assert_eq!(
        s.tenants.tenant_id.as_deref(),
        Some("aaaaaaaa-0000-4000-8000-000000000001")
    );
    assert_eq!(
        s.resource.as_ref().unwrap().id.as_deref(),
        Some("797f4846-ba00-4fd7-ba43-dac1f8f63013")
    );
    assert_eq!(s.token_guid(), s.request_guid());
}

#[test]
fn log_analytics_non_interactive_string_typed_nested() {
    let c = read("signin/la_noninteractive.jsonl");
    assert_eq!(c.stats[0].parsed, 2);
    let s = c.by_id("7c7c7c7c-0000-4000-8000-000000000007");
    assert_eq!(s.kind, SignInKind::NonInteractive);
    assert_eq!(
        s.status.additional_details.as_deref(),
        Some("MFA requirement satisfied by claim in the token")
    );
    assert_eq!(s.authentication.mfa_satisfied, Some(true));
    assert_eq!(
        s.device.as_ref().unwrap().operating_system.as_deref(),
        Some("Windows 10")
    );
    assert_eq!(
        s.client.location.as_ref().unwrap().country.as_deref(),
        Some("DE")
    );
    assert_eq!(s.token_guid(), s.request_guid());
    let t = c.by_id("7c7c7c7c-0000-4000-8000-000000000008");
    assert!(t.status.error_code.is_none());
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("neither JSON nor Python repr")),
        "{:?}",
        t.notes
    );
    assert_eq!(
        t.device.as_ref().unwrap().id.as_deref(),
        Some("py-repr-device")
    );
}

#[test]
fn log_analytics_query_api_sp_and_mi() {
    let c = read("signin/la_sp_mi.json");
    assert_eq!(c.stats[0].parsed, 2);
    let sp = c.by_id("8d8d8d8d-0000-4000-8000-000000000008");
    assert_eq!(sp.kind, SignInKind::ServicePrincipal);
    assert_eq!(sp.status.error_code, Some(7000215));
    assert_eq!(
        sp.client.location.as_ref().unwrap().country.as_deref(),
        Some("NL")
    );
    let mi = c.by_id("9e9e9e9e-0000-4000-8000-000000000009");
    assert_eq!(mi.kind, SignInKind::ManagedIdentity);
    assert_eq!(
        mi.managed_identity.as_ref().unwrap().msi_type.as_deref(),
        Some("systemAssigned")
    );
    assert_eq!(mi.token_guid(), mi.request_guid());
}

#[test]
fn portal_json_download() {
    let c = read("signin/portal_download.json");
    let s = c.by_id("a1a1a1a1-0000-4000-8000-00000000000a");
    assert_eq!(s.kind, SignInKind::NonInteractive);
    assert_eq!(
        s.device.as_ref().unwrap().trust_type.as_deref(),
        Some("Azure AD joined")
    );
    assert_eq!(s.token_guid(), s.request_guid());
}

#[test]
fn portal_csv_interactive_header_quirks() {
    let c = csv_rows("signin/InteractiveSignIns_2025-12-01_2025-12-05.csv");
    assert_eq!(c.stats[0].parsed, 2, "{:?}", c.skips);
    let s = c.by_id("a1a1a1a1-0000-4000-8000-00000000000b");
    assert_eq!(s.kind, SignInKind::Interactive);
    assert_eq!(s.format, "portal-csv/interactive");
    // `Application ID ` (trailing space) and `Autonomous system  number` (double space).
    assert_eq!(
        s.app.as_ref().unwrap().id.as_deref(),
        Some("c44b4083-3bb0-49c1-b47d-974e53cbdf3c")
    );
    assert_eq!(
        s.resource.as_ref().unwrap().id.as_deref(),
        Some("797f4846-ba00-4fd7-ba43-dac1f8f63013")
    );
    assert_eq!(s.client.autonomous_system_number.as_deref(), Some("8075"));
    let loc = s.client.location.as_ref().unwrap();
    assert_eq!(loc.city.as_deref(), Some("Washington, D.C."));
    assert_eq!(loc.state.as_deref(), Some("District of Columbia"));
    assert_eq!(loc.country.as_deref(), Some("US"));
    assert_eq!(s.status.success, Some(true));
    assert_eq!(s.authentication.mfa_satisfied, Some(true));
    assert_eq!(s.device.as_ref().unwrap().is_compliant, Some(true));
    assert_eq!(s.token_guid(), s.request_guid());
    assert_eq!(
        s.session_id.as_deref(),
        Some("9a9a9a9a-0000-4000-8000-000000000009")
    );
    let i = c.by_id("a1a1a1a1-0000-4000-8000-00000000000c");
    assert_eq!(i.status.text.as_deref(), Some("Interrupted"));
    assert_eq!(i.status.success, Some(false));
    assert_eq!(i.status.error_code, Some(50097));
    // The duplicated `Incoming token type` column disagrees: first kept, noted.
    assert_eq!(
        i.incoming_token_type.as_deref(),
        Some("Primary Refresh Token")
    );
    assert!(i.notes.iter().any(|n| n.contains("Incoming token type")));
}

#[test]
fn portal_csv_application_and_msi() {
    let c = csv_rows("signin/ApplicationSignIns_2025-12-01_2025-12-05.csv");
    let s = c.by_id("b2b2b2b2-0000-4000-8000-00000000000b");
    assert_eq!(s.kind, SignInKind::ServicePrincipal);
    assert_eq!(s.status.error_code, Some(7000215));
    assert_eq!(
        s.service_principal.as_ref().unwrap().name.as_deref(),
        Some("deploy-pipeline")
    );
    let c = csv_rows("signin/MSISignIns_2025-12-01_2025-12-05.csv");
    let m = c.by_id("c3c3c3c3-0000-4000-8000-00000000000c");
    assert_eq!(m.kind, SignInKind::ManagedIdentity);
    assert!(m
        .managed_identity
        .as_ref()
        .unwrap()
        .associated_resource_id
        .as_deref()
        .unwrap()
        .ends_with("vm-build-01"));
}

#[test]
fn portal_auth_details_join_on_request_id() {
    let main = csv_rows("signin/InteractiveSignIns_2025-12-01_2025-12-05.csv");
    let details = csv_rows("signin/InteractiveSignIns_AuthDetails_2025-12-01_2025-12-05.csv");
    assert_eq!(details.stats[0].parsed, 2);
    let mut idx = AuthDetailIndex::default();
    for r in details.recs {
        match r {
            Record::AuthDetail(a) => idx.add(*a),
            other => panic!("expected AuthDetail, got {:?}", other.kind()),
        }
    }
    let mut s = main.by_id("a1a1a1a1-0000-4000-8000-00000000000b").clone();
    assert!(idx.attach(&mut s));
    assert!(s.authentication.details_joined);
    assert_eq!(s.authentication.details.len(), 2);
    assert_eq!(
        s.authentication.details[1].method.as_deref(),
        Some("Mobile app notification")
    );
    let mut other = main.by_id("a1a1a1a1-0000-4000-8000-00000000000c").clone();
    assert!(!idx.attach(&mut other));
}

#[test]
fn log_analytics_portal_csv_split_columns() {
    let c = csv_rows("signin/la_portal_export.csv");
    assert_eq!(c.stats[0].parsed, 2, "{:?}", c.skips);
    let a = c.by_id("5b5b5b5b-0000-4000-8000-00000000000b");
    assert_eq!(a.kind, SignInKind::Interactive);
    assert_eq!(a.status.success, Some(true));
    assert_eq!(a.device.as_ref().unwrap().id.as_deref(), Some("d-1"));
    assert_eq!(a.time.utc.to_string(), "2024-06-12T10:00:04Z");
    let b = c.by_id("5b5b5b5b-0000-4000-8000-00000000000c");
    assert_eq!(b.kind, SignInKind::NonInteractive);
    assert_eq!(b.status.error_code, Some(50173));
    assert_eq!(
        b.status.failure_reason.as_deref(),
        Some("The provided grant has expired.")
    );
    assert_eq!(b.device.as_ref().unwrap().id.as_deref(), Some("d-2"));
    assert!(b.unique_token_id.is_none());
    assert_eq!(
        b.session_id.as_deref(),
        Some("6c6c6c6c-0000-4000-8000-00000000000c")
    );
    assert_eq!(a.token_guid(), a.request_guid());
}

#[test]
fn other_log_types_are_named() {
    let c = read("signin/other_log_types.jsonl");
    assert_eq!(c.stats[0].skipped, 5);
    let reasons: Vec<&str> = c.skips.iter().map(|s| s.reason.as_str()).collect();
    for want in [
        "RiskyUsers",
        "UserRiskEvents",
        "AzureADGraphActivityLogs",
        "OfficeActivity",
        "MicrosoftGraphActivityLogs",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(want)),
            "{want}: {reasons:?}"
        );
    }
}

#[test]
fn graph_directory_audits() {
    let c = read("audit/graph_directory_audits.json");
    let a = c.audits();
    assert_eq!(a.len(), 5);
    assert!(a[0].is_pim_activation() && a[0].is_role_addition());
    assert_eq!(a[0].detail("Justification"), Some("INC-4711 break glass"));
    assert_eq!(
        a[0].targets[0].modified_properties[0].new_value,
        Some(Value::String("Global Administrator".into()))
    );
    assert_eq!(
        a[1].activity,
        "Update application \u{2013} Certificates and secrets management "
    );
    assert!(a[1].is_credential_add());
    assert_eq!(
        a[1].user_agent.as_deref(),
        Some("Mozilla/5.0 (X11; Linux x86_64) AzureCLI/2.61.0")
    );
    assert!(a[2].is_consent());
    assert!(a[3].is_credential_add() && a[3].is_platform_msi_rotation());
    assert!(a[4].is_role_addition() && !a[4].is_pim_activation());
    let link = &a[4].initiator.as_ref().unwrap().linkable;
    assert_eq!(
        link.get("tokenDetails.uniqueTokenIdentifier")
            .map(String::as_str),
        Some("qGmIoBU75EaN4yc4SeYBAA")
    );
    for e in a {
        assert_eq!(e.format, "graph");
        assert!(e.time.is_some());
    }
}

#[test]
fn diagnostic_auditlogs() {
    let c = read("audit/diagnostic_auditlogs.jsonl");
    let st = &c.stats[0];
    assert_eq!((st.read, st.parsed, st.skipped), (3, 2, 1));
    let a = c.audits();
    assert!(a[0].is_credential_add());
    assert_eq!(
        a[0].tenant_id.as_deref(),
        Some("aaaaaaaa-0000-4000-8000-000000000001")
    );
    assert!(a[1].is_pim_activation());
    assert_eq!(a[1].category.as_deref(), Some("ResourceManagement"));
    assert_eq!(
        a[1].initiator
            .as_ref()
            .unwrap()
            .user
            .as_ref()
            .unwrap()
            .ip
            .as_deref(),
        Some("203.0.113.7"),
        "envelope callerIpAddress fills the initiator IP"
    );
    assert_eq!(
        a[1].targets[0].modified_properties[0].new_value,
        Some(Value::String("not json at all".into()))
    );
    assert!(c.skips[0].reason.contains("unparseable"));
}

#[test]
fn log_analytics_auditlogs_json_strings() {
    let c = read("audit/la_auditlogs.jsonl");
    let a = c.audits();
    assert_eq!(a.len(), 1);
    assert!(a[0].is_credential_add());
    assert_eq!(a[0].format, "log-analytics/AuditLogs");
    assert_eq!(
        a[0].tenant_id.as_deref(),
        Some("aaaaaaaa-0000-4000-8000-000000000001")
    );
    assert_eq!(a[0].operation_type.as_deref(), Some("Update"));
    assert_eq!(
        a[0].initiator
            .as_ref()
            .unwrap()
            .user
            .as_ref()
            .unwrap()
            .upn
            .as_deref(),
        Some("alice@contoso.example")
    );
    assert_eq!(
        a[0].targets[0].modified_properties[0].new_value,
        Some(serde_json::json!(["[KeyIdentifier=5f5f5f5f-0000-4000-8000-000000000005,KeyType=Password,KeyUsage=Verify,DisplayName=ci]"]))
    );
}

#[test]
fn log_analytics_audit_hunting_csv_without_time() {
    let c = csv_rows("audit/la_auditlogs_hunting.csv");
    let a = c.audits();
    assert_eq!(a.len(), 1, "{:?}", c.skips);
    assert!(a[0].time.is_none());
    assert!(a[0].is_credential_add());
    assert!(
        a[0].activity.ends_with(' '),
        "exact name kept with its trailing space"
    );
}

#[test]
fn schemas_are_labelled() {
    let c = read("signin/diagnostic_PT1H.json");
    assert_eq!(
        c.stats[0].schemas.get(Schema::SignInDiagnostic.label()),
        Some(&7)
    );
}
