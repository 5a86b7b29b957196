//! `case.sqlite` (byte-deterministic, indexed), `who --case`, and `--redact`.

use crate::util::{fixtures, tokentrail};
use std::path::Path;

fn investigate(cwd: &Path, extra: &[&str]) {
    let input = fixtures().join("activity/json");
    let out = tokentrail()
        .current_dir(cwd)
        .arg("investigate")
        .arg(&input)
        .args(extra)
        .output()
        .unwrap();
    crate::util::assert_success(&out);
}

#[test]
fn case_sqlite_is_byte_identical_across_runs_and_queryable() {
    let d = tempfile::tempdir().unwrap();
    investigate(d.path(), &["--out", "a"]);
    investigate(d.path(), &["--out", "b"]);
    let a = std::fs::read(d.path().join("a/case.sqlite")).unwrap();
    let b = std::fs::read(d.path().join("b/case.sqlite")).unwrap();
    assert!(a.starts_with(b"SQLite format 3\0"));
    assert!(a == b, "case.sqlite differs between two runs");
    let db = rusqlite::Connection::open(d.path().join("a/case.sqlite")).unwrap();
    let ops: i64 = db
        .query_row("SELECT count(*) FROM operations", [], |r| r.get(0))
        .unwrap();
    let lines = std::fs::read_to_string(d.path().join("a/findings/operations.jsonl"))
        .unwrap()
        .lines()
        .count() as i64;
    assert_eq!(ops, lines);
    let acts: i64 = db
        .query_row(
            "SELECT count(*) FROM activity WHERE source_file LIKE 'exports/%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(acts > 0, "activity rows carry their provenance");
    let plan: String = db
        .query_row(
            "EXPLAIN QUERY PLAN SELECT n FROM operations WHERE correlation_id = 'x'",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("INDEX"), "{plan}");
    // The views read their text tables only for the columns kept there.
    let plans = |q: &str| -> Vec<String> {
        let mut st = db.prepare(&format!("EXPLAIN QUERY PLAN {q}")).unwrap();
        st.query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let narrow = plans("SELECT n FROM operations WHERE correlation_id = 'x'");
    assert_eq!(narrow.len(), 1, "{narrow:?}");
    let wide = plans("SELECT properties FROM activity WHERE event_id = 'x'");
    assert_eq!(wide.len(), 2, "{wide:?}");
    assert!(wide.iter().all(|p| p.starts_with("SEARCH")), "{wide:?}");
    // An Activity row names its record in exports/ and keeps its properties and claims.
    let (properties, source, token): (String, String, Option<String>) = db
        .query_row(
            "SELECT properties, source_file, token_id FROM activity WHERE properties IS NOT NULL ORDER BY rowid LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(d.path().join("a").join(&source).is_file(), "{source}");
    let v: serde_json::Value = serde_json::from_str(&properties).unwrap();
    assert!(v.is_object(), "{properties}");
    if let Some(t) = token {
        assert!(tokentrail_model::Guid::parse(&t).is_some(), "{t}");
    }
    // Each operation's line_offset is where its line of operations.jsonl starts.
    let jsonl = std::fs::read_to_string(d.path().join("a/findings/operations.jsonl")).unwrap();
    let mut st = db
        .prepare("SELECT n, line_offset, statement, correlation_id FROM operations ORDER BY n")
        .unwrap();
    let rows: Vec<(i64, i64, String, Option<String>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut at = 0usize;
    for ((n, offset, statement, cid), line) in rows.iter().zip(jsonl.lines()) {
        assert_eq!(*offset as usize, at, "operation {n}");
        at += line.len() + 1;
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["statement"].as_str(), Some(statement.as_str()));
        assert_eq!(
            v["correlation_id"].as_str().map(str::to_ascii_lowercase),
            cid.clone()
        );
    }
    assert_eq!(rows.len(), jsonl.lines().count());
}

#[test]
fn who_case_answers_from_the_database() {
    let d = tempfile::tempdir().unwrap();
    investigate(d.path(), &["--out", "case"]);
    let db = rusqlite::Connection::open(d.path().join("case/case.sqlite")).unwrap();
    let (cid, ev, res): (String, String, String) = db
        .query_row(
            "SELECT o.correlation_id, e.event_id, o.resource_name_lc FROM operations o JOIN operation_events e ON e.n = o.n WHERE o.correlation_id IS NOT NULL AND o.resource_name_lc IS NOT NULL ORDER BY o.n LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    for q in [&cid, &ev, &res, &cid.to_uppercase()] {
        let out = tokentrail()
            .args(["who", "--case", d.path().join("case").to_str().unwrap(), q])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{q}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            s.contains("\n  verdict:") && s.contains("\n  identity:"),
            "{s}"
        );
        assert!(!s.contains("\\u{a}"), "{s}");
    }
    let out = tokentrail()
        .args([
            "who",
            "--case",
            d.path().join("case").to_str().unwrap(),
            "no-such-thing-anywhere",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // A case.sqlite of another schema is named as such, with what to run instead.
    let copy = d.path().join("old");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(d.path().join("case/case.sqlite"), copy.join("case.sqlite")).unwrap();
    let mut perm = std::fs::metadata(copy.join("case.sqlite"))
        .unwrap()
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(copy.join("case.sqlite"), perm).unwrap();
    rusqlite::Connection::open(copy.join("case.sqlite"))
        .unwrap()
        .execute("UPDATE meta SET value = '2' WHERE key = 'schema'", [])
        .unwrap();
    let out = tokentrail()
        .args(["who", "--case", copy.to_str().unwrap(), &cid])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("schema 2") && err.contains("tokentrail who -q QUERY"),
        "{err}"
    );
    // A findings file changed after the run is named, not explained as an empty finding.
    let cut = d.path().join("cut");
    std::fs::create_dir_all(cut.join("findings")).unwrap();
    std::fs::copy(d.path().join("case/case.sqlite"), cut.join("case.sqlite")).unwrap();
    let jsonl = std::fs::read(d.path().join("case/findings/operations.jsonl")).unwrap();
    std::fs::write(
        cut.join("findings/operations.jsonl"),
        &jsonl[..jsonl.len() / 3],
    )
    .unwrap();
    let last_n: i64 = db
        .query_row("SELECT max(n) FROM operations", [], |r| r.get(0))
        .unwrap();
    let last: String = db
        .query_row(
            "SELECT event_id FROM operation_events WHERE n = ?1",
            [last_n],
            |r| r.get(0),
        )
        .unwrap();
    let out = tokentrail()
        .args(["who", "--case", cut.to_str().unwrap(), &last])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is not finding") && err.contains("tokentrail verify"),
        "{err}"
    );
}

#[test]
fn redaction_pseudonymizes_every_output_but_not_the_exports_and_verify_needs_the_key() {
    let d = tempfile::tempdir().unwrap();
    investigate(d.path(), &["--out", "plain"]);
    investigate(d.path(), &["--out", "red", "--redact", "s3cret-key"]);
    let plain_ops =
        std::fs::read_to_string(d.path().join("plain/findings/operations.jsonl")).unwrap();
    assert!(plain_ops.contains("dana.ops@fabrikam.example"));
    assert!(plain_ops.contains("198.51.100.23"));
    for rel in [
        "findings/operations.jsonl",
        "notes.md",
        "timeline.md",
        "timeline.csv",
        "timeline.jsonl",
        "report.html",
        "case.sqlite",
        "commands/rollback.md",
        "manifest.json",
    ] {
        let b = std::fs::read(d.path().join("red").join(rel)).unwrap();
        let t = String::from_utf8_lossy(&b);
        assert!(
            !t.contains("dana.ops@fabrikam.example"),
            "{rel} leaks a UPN"
        );
        assert!(!t.contains("198.51.100.23"), "{rel} leaks an IP");
        assert!(!t.contains("s3cret-key"), "{rel} records the key");
    }
    let ops = std::fs::read_to_string(d.path().join("red/findings/operations.jsonl")).unwrap();
    assert!(
        ops.contains("@redacted") && ops.contains("ip-"),
        "pseudonyms present"
    );
    // Redacted Activity rows are written after reading (another path): both halves of each
    // row are there, pseudonymized.
    let rows = |dir: &str| -> (i64, String) {
        let db = rusqlite::Connection::open(d.path().join(dir).join("case.sqlite")).unwrap();
        db.query_row(
            "SELECT count(*), group_concat(caller, ' ') FROM activity",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let ((plain_n, _), (red_n, red_json)) = (rows("plain"), rows("red"));
    assert_eq!(plain_n, red_n);
    assert!(red_n > 0 && red_json.contains("@redacted"), "{red_json}");
    let notes = std::fs::read_to_string(d.path().join("red/notes.md")).unwrap();
    assert!(
        notes.contains("byte-identical"),
        "notes say the exports are not redacted"
    );
    // exports/ are the evidence: identical to the plain bundle's.
    let m = |dir: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.path().join(dir).join("manifest.json")).unwrap())
            .unwrap()
    };
    assert_eq!(m("plain")["inputs"], m("red")["inputs"]);
    assert!(m("red")["options"]["redaction"]["key_check"].is_string());
    // The same key gives the same pseudonyms.
    investigate(d.path(), &["--out", "red2", "--redact", "s3cret-key"]);
    assert_eq!(
        ops,
        std::fs::read_to_string(d.path().join("red2/findings/operations.jsonl")).unwrap()
    );
    let verify = |args: &[&str]| {
        tokentrail()
            .arg("verify")
            .arg(d.path().join("red"))
            .args(args)
            .output()
            .unwrap()
    };
    let full = verify(&["--redact-key", "s3cret-key"]);
    assert!(
        full.status.success(),
        "{}",
        String::from_utf8_lossy(&full.stdout)
    );
    assert!(String::from_utf8_lossy(&full.stdout).contains("identical outputs"));
    let partial = verify(&[]);
    assert!(partial.status.success());
    assert!(String::from_utf8_lossy(&partial.stdout).contains("NOT re-run"));
    let wrong = verify(&["--redact-key", "other"]);
    assert!(!wrong.status.success());
}

/// A line break or escape sequence in log content cannot make `who` print a line of its own
/// (e.g. a forged verdict), over exports or from case.sqlite.
#[test]
fn who_keeps_hostile_line_breaks_inside_their_field() {
    let d = tempfile::tempdir().unwrap();
    let evil = d.path().join("evil.json");
    let rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm\n  verdict: platform\u{1b}[2J";
    let ev = serde_json::json!([{
        "eventDataId": "e1", "correlationId": "c1", "operationId": "o1",
        "caller": "dana@fabrikam.example\n  identity: forged",
        "operationName": {"value": "Microsoft.Compute/virtualMachines/write"},
        "status": {"value": "Succeeded"}, "category": {"value": "Administrative"},
        "eventTimestamp": "2024-06-10T06:13:45Z", "resourceId": rid
    }]);
    std::fs::write(&evil, serde_json::to_vec(&ev).unwrap()).unwrap();
    let out = tokentrail()
        .current_dir(d.path())
        .args(["investigate", "evil.json", "--out", "case"])
        .output()
        .unwrap();
    crate::util::assert_success(&out);
    for args in [
        vec!["who", "-q", "c1", "evil.json"],
        vec!["who", "--case", "case", "c1"],
    ] {
        let out = tokentrail()
            .current_dir(d.path())
            .args(&args)
            .output()
            .unwrap();
        crate::util::assert_success(&out);
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(!s.contains('\u{1b}'), "{args:?}: {s}");
        let verdicts = s.lines().filter(|l| l.starts_with("  verdict:")).count();
        let identities = s.lines().filter(|l| l.starts_with("  identity:")).count();
        assert_eq!((verdicts, identities), (1, 1), "{args:?}: {s}");
        assert!(s.contains("\\u{a}  verdict: platform"), "{args:?}: {s}");
    }
}
