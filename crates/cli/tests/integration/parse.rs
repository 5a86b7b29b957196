//! `tokentrail parse` on the project's own fixtures: golden snapshots of the normalized
//! records and summaries, plus the accounting and bad-input rules.

use crate::util::{counts, fixtures, stderr, stdout, tokentrail};
use std::fs;

fn json_fixtures() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(fixtures().join("activity/json"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn every_json_fixture_matches_its_snapshot() {
    for f in json_fixtures() {
        let out = tokentrail().arg("parse").arg(&f).output().unwrap();
        assert!(out.status.success(), "{}: {}", f.display(), stderr(&out));
        let name = f.file_name().unwrap().to_string_lossy().replace('.', "_");
        let text = format!("--- stderr\n{}--- stdout\n{}", stderr(&out), stdout(&out));
        insta::assert_snapshot!(format!("parse_{name}"), text);
    }
}

#[test]
fn every_record_is_accounted_for() {
    for f in json_fixtures() {
        let out = tokentrail().arg("parse").arg(&f).output().unwrap();
        let err = stderr(&out);
        let summary = err
            .lines()
            .find(|l| l.contains(": read "))
            .expect("summary line");
        let (read, parsed, skipped) = counts(summary).unwrap();
        assert_eq!(read, parsed + skipped, "{summary}");
        let records = stdout(&out).lines().count() as u64;
        assert_eq!(records, parsed, "{summary}");
        let skip_lines = err
            .lines()
            .filter(|l| l.starts_with("tokentrail: skip: "))
            .count() as u64;
        assert_eq!(skip_lines, skipped, "{}", f.display());
    }
}

#[test]
fn truncated_last_line_and_bad_records_are_reported_with_position() {
    let out = tokentrail()
        .args(["parse", "-q"])
        .arg(fixtures().join("activity/json/diag_pt1h_truncated.json"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("diag_pt1h_truncated.json:3 (byte "), "{err}");
    assert!(err.contains("record truncated at end of input"), "{err}");
    let out = tokentrail()
        .args(["parse", "-q"])
        .arg(fixtures().join("activity/json/diag_bad_records.jsonl"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("read 6, parsed 2, skipped 4"), "{err}");
    assert!(err.contains(":4 (byte 3417, record 3): not JSON"), "{err}");
}

#[test]
fn strict_mode_fails_on_skips_and_skips_file_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let skips = dir.path().join("skips.jsonl");
    let out = tokentrail()
        .args(["parse", "-q", "--strict", "--skips"])
        .arg(&skips)
        .arg(fixtures().join("activity/json/diag_bad_records.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = fs::read_to_string(&skips)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["line"], 2);
    assert!(lines
        .iter()
        .all(|l| l["reason"].as_str().is_some_and(|r| !r.is_empty())));
}

#[test]
fn unrecognized_and_missing_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("notes.txt");
    fs::write(&junk, "just some prose, not a log\n").unwrap();
    let out = tokentrail()
        .args(["parse", "-q"])
        .arg(&junk)
        .arg(dir.path().join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("tokentrail: error: "))
        .collect();
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        errors[0].contains("notes.txt: unrecognized format"),
        "{err}"
    );
    assert!(errors[1].contains("missing.json: cannot read"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn directories_are_read_recursively_in_sorted_order() {
    let out = tokentrail()
        .args(["parse", "-q"])
        .arg(fixtures().join("activity/json"))
        .output()
        .unwrap();
    let err = stderr(&out);
    let files: Vec<&str> = err.lines().filter(|l| l.contains(": read ")).collect();
    assert_eq!(files.len(), json_fixtures().len());
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
}

/// `parse` reads what `investigate` copies and reads: hidden files and files behind a link;
/// what it cannot read as a file is named on stderr, never skipped without a word.
#[cfg(unix)]
#[test]
fn hidden_files_are_read_and_entries_that_are_not_files_are_named() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("in");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    let one = fixtures().join("activity/json/az_list_array.json");
    std::fs::copy(&one, src.join(".hidden.json")).unwrap();
    std::os::unix::fs::symlink(&one, src.join("sub/link.json")).unwrap();
    std::os::unix::fs::symlink(d.path().join("gone.json"), src.join("dangling.json")).unwrap();
    std::os::unix::fs::symlink(&src, src.join("sub/loop")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(src.join("pipe"))
        .status()
        .is_ok_and(|s| s.success());
    // Finder metadata (recognized by its first bytes) is a note, not an error.
    std::fs::write(src.join(".DS_Store"), b"\0\0\0\x01Bud1\0\0\x10\0\xff\xfe").unwrap();
    let out = tokentrail()
        .args(["parse", "-q"])
        .arg(&src)
        .output()
        .unwrap();
    let err = stderr(&out);
    // What is not read is named, not a failure (investigate's exit status for the same).
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("error:"), "{err}");
    let read: Vec<&str> = err.lines().filter(|l| l.contains(": read ")).collect();
    assert_eq!(read.len(), 3, "{err}");
    assert!(read[0].contains(".DS_Store: format os-metadata"), "{err}");
    assert!(read[0].contains("macOS Finder metadata"), "{err}");
    assert!(
        read[1].contains(".hidden.json") && read[2].contains("link.json"),
        "{err}"
    );
    assert!(
        err.contains("dangling.json: not read: a symbolic link whose target cannot be read"),
        "{err}"
    );
    assert!(
        err.contains("loop: not read: a symbolic link to a directory (not followed)"),
        "{err}"
    );
    if fifo {
        assert!(
            err.contains("pipe: not read: not a regular file (a device, pipe or socket)"),
            "{err}"
        );
    }
    // Of an earlier bundle only exports/ is read; its outputs are named, not parsed.
    let old = src.join("old");
    std::fs::create_dir_all(old.join("exports")).unwrap();
    std::fs::copy(&one, old.join("exports/az.json")).unwrap();
    std::fs::write(old.join("manifest.json"), r#"{"tool":"tokentrail"}"#).unwrap();
    std::fs::write(old.join("notes.md"), "# notes\n").unwrap();
    let out = tokentrail()
        .args(["parse", "-q"])
        .arg(&old)
        .output()
        .unwrap();
    let err = stderr(&out);
    let read: Vec<&str> = err.lines().filter(|l| l.contains(": read ")).collect();
    assert_eq!(read.len(), 1, "{err}");
    assert!(read[0].contains("exports/az.json"), "{err}");
    for part in ["manifest.json", "notes.md"] {
        assert!(
            err.contains(&format!(
                "{part}: not read: output of an earlier tokentrail run"
            )),
            "{err}"
        );
    }
}

#[test]
fn terminal_output_has_no_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("evil.jsonl");
    fs::write(&f, "{\"time\":\"\\u001b[2J\\u0007 bogus\",\"category\":\"Administrative\",\"operationName\":\"x\"}\n\u{1b}]0;pwned\u{7}\n").unwrap();
    let out = tokentrail().args(["parse", "-q"]).arg(&f).output().unwrap();
    let err = out.stderr;
    assert!(
        !err.contains(&0x1b) && !err.contains(&0x07),
        "{}",
        String::from_utf8_lossy(&err)
    );
    assert!(String::from_utf8_lossy(&err).contains("read 2, parsed 0, skipped 2"));
}

#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    let dir = fixtures().join("activity/json");
    let a = tokentrail()
        .arg("parse")
        .arg(&dir)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    let b = tokentrail()
        .arg("parse")
        .arg(&dir)
        .env("RAYON_NUM_THREADS", "4")
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stderr, b.stderr);
}
