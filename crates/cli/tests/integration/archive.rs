//! Archives and compression: zip members are streamed, traversal is refused, nesting and
//! decompression are capped.

use crate::util::{fixtures, stdout, tokentrail};
use std::io::Write;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("activity/json").join(name)).unwrap()
}

fn make_zip(path: &std::path::Path, members: &[(&str, Vec<u8>)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (name, data) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn zip_members_are_read_and_traversal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("export.zip");
    make_zip(
        &zip,
        &[
            ("logs/az.json", fixture("az_list_array.json")),
            ("logs/diag.json.gz", fixture("diag_multimember.json.gz")),
            ("../../etc/evil.json", fixture("az_list_array.json")),
        ],
    );
    let out = tokentrail().args(["parse"]).arg(&zip).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out).lines().count(), 4);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("export.zip!logs/az.json: format zip+json-array"),
        "{err}"
    );
    assert!(
        err.contains("export.zip!logs/diag.json.gz: format zip+gzip+json-lines"),
        "{err}"
    );
    assert!(
        err.contains("../../etc/evil.json: refused: archive member path escapes"),
        "{err}"
    );
    assert!(!dir.path().join("etc").exists());
}

#[test]
fn decompression_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("big.json.gz");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::best(),
    );
    e.write_all(b"[").unwrap();
    for _ in 0..20_000 {
        e.write_all(b"{\"a\":1},").unwrap();
    }
    e.write_all(b"{\"a\":1}]").unwrap();
    e.finish().unwrap();
    let out = tokentrail()
        .args(["parse", "-q", "--max-decompressed", "10000"])
        .arg(&gz)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("decompressed size exceeds the limit of 10000 bytes"),
        "{err}"
    );
}

#[test]
fn nested_archives_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner.zip");
    make_zip(&inner, &[("a.json", fixture("rest_single_object.json"))]);
    let outer = dir.path().join("outer.zip");
    make_zip(&outer, &[("inner.zip", std::fs::read(&inner).unwrap())]);
    let out = tokentrail().args(["parse"]).arg(&outer).output().unwrap();
    crate::util::assert_success(&out);
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn a_truncated_gzip_keeps_the_records_before_the_cut_and_says_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<String> = (0..2000)
        .map(|i| {
            format!(
                "{{\"eventDataId\":\"e{i}\",\"operationName\":{{\"value\":\"Microsoft.Compute/virtualMachines/write\"}},\"eventTimestamp\":\"2024-06-10T06:{:02}:{:02}Z\"}}",
                i / 60 % 60,
                i % 60
            )
        })
        .collect();
    let page = format!("{{\"value\":[{}]}}", records.join(","));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(page.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let cut = dir.path().join("page.json.gz");
    // A cut inside the first 64 KiB of text: the part read before format detection.
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = tokentrail().args(["parse"]).arg(&cut).output().unwrap();
    let kept = stdout(&out).lines().count();
    assert!(kept > 100 && kept < 2000, "{kept} records kept");
    let err = String::from_utf8_lossy(&out.stderr);
    let at: u64 = err
        .split("read error at byte ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no error position in {err}"));
    assert!(at > 0, "{err}");
    // The record the cut went through is counted as skipped, not lost.
    assert!(
        err.contains(&format!(
            "read {}, parsed {kept}, skipped 1 (1× record cut short by a read error)",
            kept + 1
        )),
        "{err}"
    );
}

/// The same for a CSV export: the row the cut goes through is counted as skipped.
#[test]
fn a_truncated_gzip_csv_counts_the_row_it_cut() {
    let dir = tempfile::tempdir().unwrap();
    let sample =
        std::fs::read_to_string(crate::util::fixtures().join("activity/la_api.csv")).unwrap();
    let mut lines = sample.lines();
    let (header, row) = (lines.next().unwrap(), lines.next().unwrap());
    let mut csv = format!("{header}\r\n");
    for i in 0..3000 {
        csv.push_str(&row.replacen("d0d0d0d0-", &format!("{i:08x}-"), 1));
        csv.push_str("\r\n");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let cut = dir.path().join("activity.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = tokentrail().args(["parse"]).arg(&cut).output().unwrap();
    let kept = stdout(&out).lines().count();
    assert!(kept > 100 && kept < 3000, "{kept} records kept");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("read error at byte "), "{err}");
    assert!(
        err.contains(&format!(
            "read {}, parsed {kept}, skipped 1 (1× row cut short by a read error",
            kept + 1
        )),
        "{err}"
    );
}

#[test]
fn an_archive_without_files_is_reported_not_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("empty.zip");
    make_zip(&zip, &[]);
    let out = tokentrail().args(["parse"]).arg(&zip).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.zip: format zip+empty [] encoding UTF-8: read 0"),
        "{err}"
    );
}
