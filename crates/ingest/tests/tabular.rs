//! CSV and PowerShell text readers over the project's own fixtures
//! (`tests/fixtures/activity/`), one per quirk: exact field values, counts and notes.

use std::path::Path;
use tokentrail_ingest::{read_path, FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::{ActivityEvent, Record, StatusKind};

#[derive(Default)]
struct Collect {
    events: Vec<ActivityEvent>,
    skips: Vec<Skip>,
    files: Vec<FileStats>,
    errors: Vec<String>,
}

impl Sink for Collect {
    fn record(&mut self, rec: Record) {
        match rec {
            Record::Activity(ev) => self.events.push(*ev),
            other => panic!("unexpected record {other:?}"),
        }
    }
    fn skip(&mut self, skip: Skip) {
        self.skips.push(skip);
    }
    fn file_done(&mut self, stats: FileStats) {
        self.files.push(stats);
    }
    fn error(&mut self, err: IngestError) {
        self.errors.push(err.to_string());
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/activity")
        .join(name)
}

fn read_with(name: &str, culture: Option<&str>) -> Collect {
    let mut c = Collect::default();
    let opts = ReadOptions {
        culture: culture.map(str::to_string),
        ..Default::default()
    };
    read_path(&fixture(name), &opts, &mut c);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.files.len(), 1);
    let s = &c.files[0];
    assert_eq!(s.read, s.parsed + s.skipped, "read = parsed + skipped");
    assert_eq!(s.parsed as usize, c.events.len());
    assert_eq!(s.skipped as usize, c.skips.len());
    c
}

fn read(name: &str) -> Collect {
    read_with(name, None)
}

fn stats(c: &Collect) -> &FileStats {
    &c.files[0]
}

fn has_note(c: &Collect, needle: &str) -> bool {
    stats(c).notes.iter().any(|n| n.contains(needle))
}

/// The fixture's bytes at a record's offset start that record's row.
fn starts_at(name: &str, offset: Option<u64>, prefix: &str) {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let o = offset.unwrap() as usize;
    assert!(
        bytes[o..].starts_with(prefix.as_bytes()),
        "{name} at {o}: {:?}",
        String::from_utf8_lossy(&bytes[o..o + 40])
    );
}

#[test]
fn ps51_en_us_with_type_line() {
    let c = read("ps51_en_us_type.csv");
    let s = stats(&c);
    assert_eq!((s.read, s.parsed, s.skipped), (4, 4, 0));
    assert!(s.shapes.contains(&"powershell-type-line".to_string()));
    assert!(s.shapes.contains(&"powershell-export-csv".to_string()));
    assert_eq!(s.schemas.get("activity/powershell-csv"), Some(&4));
    assert!(has_note(&c, "skipped PowerShell type line"));
    assert!(has_note(
        &c,
        "dates read as en-US: day/month order confirmed by the .NET ticks in Id (3 events)"
    ));

    let e = &c.events[0];
    assert_eq!(e.event_id, "9f1c2d3e-0000-0000-0000-00000000000a");
    assert!(!e.event_id_synthetic);
    assert_eq!(
        e.operation.name,
        "Microsoft.Authorization/roleAssignments/write"
    );
    assert_eq!(
        e.operation.localized.as_deref(),
        Some("Create role assignment")
    );
    assert!(e
        .operation
        .mapping
        .as_deref()
        .unwrap()
        .contains("built-in name table"));
    // The exact .NET ticks in `Id` agree with the culture-formatted time and win.
    assert_eq!(e.time.utc.to_string(), "2024-06-10T06:13:45.1234567Z");
    assert_eq!(e.time.raw, "6/10/2024 6:13:45 AM");
    assert_eq!(
        e.time.note.as_deref(),
        Some("time from the .NET ticks in Id (UTC, 100 ns precision); the culture-formatted EventTimestamp (en-US, inferred) agrees to the second")
    );
    let sub = e.submission_time.as_ref().unwrap();
    assert_eq!(sub.utc.to_string(), "2024-06-10T06:15:02Z");
    assert_eq!(
        sub.note.as_deref(),
        Some("culture-formatted (en-US, inferred), second precision, UTC assumed")
    );
    assert_eq!(e.status.kind, StatusKind::Succeeded);
    assert_eq!(
        e.sub_status.as_deref(),
        Some("Created (HTTP Status Code: 201)")
    );
    assert_eq!(e.caller.as_deref(), Some("alice@contoso.com"));
    assert_eq!(e.caller_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(e.claims.oid(), Some("0b0b0b0b-0000-0000-0000-000000000001"));
    assert_eq!(e.claims.get("uti"), Some("qGmIoBU75EaN4yc4SeYBAA"));
    assert_eq!(
        e.claims.get("appid"),
        Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46")
    );
    // TenantId is empty in PSEventData: taken from the token.
    assert_eq!(
        e.tenant_id.as_deref(),
        Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    );
    let a = e.authorization.as_ref().unwrap();
    assert_eq!(
        a.action.as_deref(),
        Some("Microsoft.Authorization/roleAssignments/write")
    );
    assert_eq!(a.role, None);
    let h = e.http_request.as_ref().unwrap();
    assert_eq!(
        h.client_request_id.as_deref(),
        Some("c0ffee00-0000-0000-0000-000000000001")
    );
    assert_eq!(h.method.as_deref(), Some("POST"));
    assert_eq!(h.uri, None);
    assert_eq!(e.property("statusCode").unwrap(), "Created");
    // ResourceType is empty in PSEventData: derived from the resource id.
    assert_eq!(
        e.resource.resource_type.as_deref(),
        Some("Microsoft.Authorization/roleAssignments")
    );
    assert_eq!(
        e.resource.provider.as_deref(),
        Some("Microsoft.Authorization")
    );
    assert_eq!(e.source.line, Some(2));
    starts_at("ps51_en_us_type.csv", e.source.offset, "\"\r\nScope");

    // No EventDataId: content hash.
    let e = &c.events[1];
    assert!(e.event_id_synthetic);
    assert!(e.event_id.starts_with("sha256:"));
    assert_eq!(
        e.operation.name,
        "Microsoft.Compute/virtualMachines/runCommand/action"
    );
    // No Id: second precision from the culture-formatted text.
    assert_eq!(e.time.utc.to_string(), "2024-06-25T13:02:03Z");
    assert_eq!(
        e.time.note.as_deref(),
        Some("culture-formatted (en-US, inferred), second precision, UTC assumed")
    );
    assert_eq!(e.status.kind, StatusKind::Accepted);

    // Unmapped localized name: kept and flagged.
    let e = &c.events[2];
    assert!(e
        .operation
        .mapping
        .as_deref()
        .unwrap()
        .starts_with("unmapped localized name \"Frobnicate Widget Settings\""));
    assert_eq!(e.time.utc.to_string(), "2024-06-25T23:59:59.1234567Z");

    // Localized category.
    let e = &c.events[3];
    assert_eq!(e.category.as_deref(), Some("ServiceHealth"));
    assert!(e
        .notes
        .iter()
        .any(|n| n == "category mapped from localized \"Service Health\""));
    assert_eq!(e.status.kind, StatusKind::Active);
}

#[test]
fn ps7_unquoted() {
    let c = read("ps7_unquoted.csv");
    let s = stats(&c);
    assert_eq!((s.read, s.parsed, s.skipped), (2, 2, 0));
    assert!(!s.shapes.contains(&"powershell-type-line".to_string()));
    let e = &c.events[0];
    // properties.message wins over the name table and says so.
    assert_eq!(
        e.operation.name,
        "Microsoft.Network/networkSecurityGroups/securityRules/write"
    );
    assert!(e
        .operation
        .mapping
        .as_deref()
        .unwrap()
        .starts_with("taken from properties.message"));
    assert_eq!(e.resource.name.as_deref(), Some("allow-rdp"));
    let e = &c.events[1];
    assert_eq!(e.operation.name, "Microsoft.Authorization/locks/delete");
    assert_eq!(e.time.utc.to_string(), "2024-06-10T18:20:00.1234567Z");
    starts_at("ps7_unquoted.csv", e.source.offset, "\"\r\nScope");
    // Every date fits both orders, but the ticks in `Id` settle it.
    assert!(has_note(
        &c,
        "dates read as en-US: day/month order confirmed by the .NET ticks in Id (2 events)"
    ));
}

#[test]
fn de_de_semicolon_dotted_dates() {
    let c = read("ps_de_de_semicolon.csv");
    let s = stats(&c);
    assert_eq!((s.read, s.parsed, s.skipped), (2, 2, 0));
    assert!(has_note(&c, "delimiter ';' (Export-Csv -UseCulture)"));
    assert!(has_note(&c, "dates read as de-DE"));
    assert!(!has_note(&c, "ambiguous"));
    let e = &c.events[0];
    assert_eq!(
        e.operation.name,
        "Microsoft.Storage/storageAccounts/listAccountSas/action"
    );
    assert_eq!(e.time.utc.to_string(), "2024-06-10T06:13:45.1234567Z");
    assert_eq!(e.time.raw, "10.06.2024 06:13:45");
    assert_eq!(
        e.submission_time.as_ref().unwrap().utc.to_string(),
        "2024-06-10T06:14:01Z"
    );
    // ASCII `?` damage from 5.1 Export-Csv is kept as text.
    assert_eq!(e.caller.as_deref(), Some("j?rg.m?ller@contoso.de"));
    let e = &c.events[1];
    assert_eq!(
        e.operation.name,
        "Microsoft.Storage/storageAccounts/regenerateKey/action"
    );
    assert_eq!(e.time.utc.to_string(), "2024-07-03T18:00:00.1234567Z");
    assert!(e.time.note.as_deref().unwrap().contains("de-DE, inferred"));
}

#[test]
fn en_gb_ambiguous_and_forced() {
    let c = read("ps_en_gb_ambiguous.csv");
    assert!(has_note(
        &c,
        "dates ambiguous between M/d and d/M in all 4 sampled values"
    ));
    assert!(has_note(&c, "assumed en-GB (24-hour clock); use --culture"));
    let e = &c.events[0];
    assert_eq!(e.time.utc.to_string(), "2024-06-05T14:03:07Z");
    assert_eq!(
        e.time.note.as_deref(),
        Some("culture-formatted (en-GB, assumed, ambiguous), second precision, UTC assumed")
    );
    assert_eq!(e.operation.name, "Microsoft.Compute/virtualMachines/delete");

    let c = read_with("ps_en_gb_ambiguous.csv", Some("en-US"));
    assert!(has_note(&c, "dates read as en-US (forced by --culture)"));
    let e = &c.events[0];
    assert_eq!(e.time.utc.to_string(), "2024-05-06T14:03:07Z");
    assert!(e
        .time
        .note
        .as_deref()
        .unwrap()
        .contains("forced by --culture"));
    let e = &c.events[1];
    assert_eq!(
        e.operation.name,
        "Microsoft.Compute/virtualMachines/extensions/write"
    );
    assert_eq!(e.status.kind, StatusKind::Started);
}

#[test]
fn pre_3_0_type_names() {
    let c = read("ps_pre30_typenames.csv");
    let s = stats(&c);
    assert_eq!((s.read, s.parsed, s.skipped), (2, 2, 0));
    let e = &c.events[0];
    assert_eq!(
        e.operation.name,
        "Microsoft.Authorization/roleAssignments/write"
    );
    assert_eq!(e.operation.localized, None);
    assert_eq!(
        e.operation.mapping.as_deref(),
        Some("taken from properties.message: the export holds only a type name")
    );
    assert_eq!(e.category, None);
    assert_eq!(e.status.kind, StatusKind::Unknown);
    let e = &c.events[1];
    assert_eq!(e.operation.name, "");
    assert!(e
        .operation
        .mapping
        .as_deref()
        .unwrap()
        .starts_with("unknown: the export holds only the type name"));
    assert!(e.notes.iter().any(|n| n.contains("pre-3.0 Az.Monitor")));
}

#[test]
fn out_file_list_text_utf16() {
    let c = read("ps_outfile_list.utf16.json");
    let s = stats(&c);
    assert_eq!(s.encoding, "UTF-16LE");
    assert_eq!(s.shapes, vec!["powershell-list".to_string()]);
    assert_eq!((s.read, s.parsed, s.skipped), (3, 2, 1));
    assert_eq!(s.schemas.get("activity/powershell-list"), Some(&2));
    assert!(c.skips[0].reason.starts_with("not an Activity Log event"));
    assert_eq!(c.skips[0].line, 98);

    let e = &c.events[0];
    assert_eq!(e.event_id, "9f1c2d3e-0000-0000-0000-0000000000e1");
    assert_eq!(
        e.operation.name,
        "Microsoft.Authorization/roleAssignments/write"
    );
    assert_eq!(e.time.utc.to_string(), "2024-06-10T06:13:45.9876543Z");
    // Scope and resource id were wrapped mid-token at the console width.
    let rid = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/stdata/providers/Microsoft.Authorization/roleAssignments/4c4c4c4c-0000-0000-0000-000000000002";
    assert_eq!(e.resource.id.as_deref(), Some(rid));
    assert_eq!(
        e.authorization.as_ref().unwrap().scope.as_deref(),
        Some(rid)
    );
    // The long claim key whose value moved to the next line.
    assert_eq!(e.claims.oid(), Some("0b0b0b0b-0000-0000-0000-000000000001"));
    assert_eq!(e.claims.upn(), Some("erin@contoso.com"));
    assert_eq!(e.caller_ip.as_deref(), Some("198.51.100.23"));
    // The request body was wrapped over several lines and must be valid JSON again.
    let body = e.request_body().unwrap();
    assert_eq!(
        body["Properties"]["PrincipalId"],
        "0b0b0b0b-0000-0000-0000-000000000002"
    );
    assert_eq!(e.source.line, Some(3));

    let e = &c.events[1];
    assert_eq!(
        e.operation.name,
        "Microsoft.Authorization/elevateAccess/action"
    );
    assert_eq!(e.time.utc.to_string(), "2024-06-10T06:30:00.9876543Z");
}

#[test]
fn la_portal_csv() {
    let c = read("la_portal_utc.csv");
    let s = stats(&c);
    assert_eq!((s.read, s.parsed, s.skipped), (2, 2, 0));
    assert_eq!(s.schemas.get("activity/log-analytics"), Some(&2));
    let e = &c.events[0];
    assert_eq!(e.event_id, "9f1c2d3e-0000-0000-0000-0000000000a1");
    assert_eq!(
        e.operation_key(),
        "microsoft.compute/virtualmachines/runcommand/action"
    );
    assert_eq!(e.time.utc.to_string(), "2024-06-10T06:13:45.123Z");
    assert_eq!(e.time.raw, "6/10/2024, 6:13:45.123 AM");
    assert_eq!(
        e.time.note.as_deref(),
        Some("no zone in the value; UTC per the ` [UTC]` column header")
    );
    assert_eq!(
        e.submission_time.as_ref().unwrap().utc.to_string(),
        "2024-06-10T06:15:01.5Z"
    );
    // TenantId column is the workspace id: the tenant comes from the claims.
    assert_eq!(
        e.tenant_id.as_deref(),
        Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    );
    assert_eq!(e.claims.upn(), Some("alice@contoso.com"));
    let ev = e.authorization.as_ref().unwrap().evidence.as_ref().unwrap();
    assert_eq!(
        ev.role_definition_id.as_deref(),
        Some("8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
    );
    assert_eq!(e.status.kind, StatusKind::Started);
    assert_eq!(
        e.http_request
            .as_ref()
            .unwrap()
            .client_request_id
            .as_deref(),
        Some("c0ffee00-0000-0000-0000-0000000000a1")
    );
    let e = &c.events[1];
    assert_eq!(e.time.utc.to_string(), "2024-06-10T13:14:02.9Z");
    assert_eq!(e.status.kind, StatusKind::Succeeded);
}

#[test]
fn la_api_csv() {
    let c = read("la_api.csv");
    let s = stats(&c);
    assert_eq!((s.read, s.parsed, s.skipped), (2, 2, 0));
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    let e = &c.events[0];
    assert_eq!(e.time.utc.to_string(), "2024-06-10T06:13:45.1234567Z");
    assert_eq!(e.time.note, None);
    assert_eq!(e.claims.oid(), Some("0b0b0b0b-0000-0000-0000-000000000001"));
    assert_eq!(
        e.property("message").unwrap(),
        "Microsoft.Compute/virtualMachines/runCommand/action"
    );
}

#[test]
fn broken_row_is_skipped_not_fatal() {
    let c = read("la_broken_row.csv");
    let s = stats(&c);
    assert_eq!((s.read, s.parsed, s.skipped), (4, 3, 1));
    let k = &c.skips[0];
    assert_eq!(k.record, 1);
    assert_eq!(k.line, 3);
    assert!(k
        .reason
        .starts_with("wrong number of fields: 4 (header has 34)"));
    starts_at(
        "la_broken_row.csv",
        Some(k.offset),
        "2024-06-10T13:16:00Z,only",
    );
    assert_eq!(s.skip_reasons.get("wrong number of fields"), Some(&1));
    assert_eq!(c.events[2].event_id, "9f1c2d3e-0000-0000-0000-0000000000a3");
    assert_eq!(c.events[2].source.record, 3);
}

/// A read error inside a PowerShell list (a truncated gzip): the blocks before it are read,
/// the block it cut through is counted as skipped, and the error is reported.
#[test]
fn a_read_error_inside_a_list_block_counts_that_block() {
    let raw = std::fs::read(fixture("ps_outfile_list.utf16.json")).unwrap();
    let (text, _, _) = encoding_rs::UTF_16LE.decode(&raw);
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..400 {
        std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        std::io::Write::write_all(&mut gz, b"\n\n").unwrap();
    }
    let gz = gz.finish().unwrap();
    let path = std::env::temp_dir().join(format!("tt-cut-list-{}.txt.gz", std::process::id()));
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let mut c = Collect::default();
    read_path(&path, &ReadOptions::default(), &mut c);
    let _ = std::fs::remove_file(&path);
    let s = &c.files[0];
    assert!(s.parsed > 10, "{s:?}");
    assert_eq!(s.read, s.parsed + s.skipped, "{s:?}");
    // The fixture holds a block that is not an event (skipped each time); the cut block is
    // the last record, and the only one skipped for the read error.
    let cut: Vec<&Skip> = c
        .skips
        .iter()
        .filter(|k| k.reason.contains("cut short by a read error"))
        .collect();
    assert_eq!(cut.len(), 1);
    assert_eq!(cut[0].record + 1, s.read);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
}
