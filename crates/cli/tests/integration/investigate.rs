//! `tokentrail investigate` and `verify`: the evidence bundle, its determinism, tamper
//! detection, filters and hostile-content escaping.

use crate::util::{assert_success, fixtures, tokentrail};
use std::collections::BTreeMap;
use std::path::Path;

fn investigate(cwd: &Path, args: &[&str]) -> std::process::Output {
    tokentrail()
        .current_dir(cwd)
        .arg("investigate")
        .args(args)
        .output()
        .unwrap()
}

fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                m.insert(
                    p.strip_prefix(root).unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    m
}

/// The files under `case/exports`, relative to it, sorted.
fn export_names(case: &Path) -> Vec<String> {
    files(&case.join("exports")).into_keys().collect()
}

/// `tokentrail verify` passes on the bundle at `case`.
fn assert_verifies(case: &Path) {
    let v = tokentrail().arg("verify").arg(case).output().unwrap();
    assert_success(&v);
}

fn json_dir() -> String {
    fixtures().join("activity/json").display().to_string()
}

#[test]
fn bundle_is_complete_and_verifies() {
    let d = tempfile::tempdir().unwrap();
    let out = investigate(d.path(), &[&json_dir(), "--out", "case"]);
    crate::util::assert_success(&out);
    let case = d.path().join("case");
    for f in [
        "manifest.json",
        "notes.md",
        "timeline.md",
        "timeline.csv",
        "timeline.jsonl",
        "findings/operations.jsonl",
        "findings/detections.jsonl",
        "findings/skipped.jsonl",
        "commands/tokentrail.md",
        "commands/collect.md",
        "commands/rollback.md",
        "exports/01-json/az_list_array.json",
    ] {
        assert!(case.join(f).is_file(), "missing {f}");
    }
    // Exports are byte-for-byte copies and read-only.
    let copy = case.join("exports/01-json/diag_multimember.json.gz");
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(fixtures().join("activity/json/diag_multimember.json.gz")).unwrap()
    );
    assert!(std::fs::metadata(&copy).unwrap().permissions().readonly());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["tool"], "tokentrail");
    assert!(m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["sha256"].as_str().unwrap().len() == 64));
    assert!(m["outputs"]["notes.md"]["sha256"].as_str().is_some());
    let v = tokentrail().arg("verify").arg(&case).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

#[test]
fn verify_names_any_changed_export_or_output() {
    let d = tempfile::tempdir().unwrap();
    assert!(investigate(d.path(), &[&json_dir(), "--out", "case"])
        .status
        .success());
    let case = d.path().join("case");
    for rel in [
        "exports/01-json/rest_lines.jsonl",
        "timeline.csv",
        "findings/operations.jsonl",
    ] {
        let p = case.join(rel);
        let orig = std::fs::read(&p).unwrap();
        crate::util::make_writable(&p);
        let mut changed = orig.clone();
        let k = changed.len() / 2;
        changed[k] ^= 0x01;
        std::fs::write(&p, &changed).unwrap();
        let v = tokentrail().arg("verify").arg(&case).output().unwrap();
        let text = String::from_utf8_lossy(&v.stdout);
        assert_eq!(v.status.code(), Some(1), "{rel}: {text}");
        assert!(
            text.contains(&format!("MISMATCH: input {rel}"))
                || text.contains(&format!("MISMATCH: output {rel}")),
            "{rel}: {text}"
        );
        std::fs::write(&p, &orig).unwrap();
    }
    assert!(tokentrail()
        .arg("verify")
        .arg(&case)
        .output()
        .unwrap()
        .status
        .success());
}

#[test]
fn verify_says_when_the_bundle_was_written_by_another_version() {
    let d = tempfile::tempdir().unwrap();
    assert!(investigate(d.path(), &[&json_dir(), "--out", "case"])
        .status
        .success());
    let case = d.path().join("case");
    let mpath = case.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    // As if an older version had written it, with a timeline in an older format.
    m["version"] = "0.0.1".into();
    m["outputs"]["timeline.csv"]["sha256"] = "0".repeat(64).into();
    crate::util::make_writable(&mpath);
    std::fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let v = tokentrail().arg("verify").arg(&case).output().unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(1), "{text}");
    assert!(text.contains("re-run: timeline.csv differs"), "{text}");
    assert!(
        text.contains("written by tokentrail 0.0.1")
            && text.contains(&format!(
                "verified with tokentrail {}",
                env!("CARGO_PKG_VERSION")
            )),
        "{text}"
    );
    // Same version: no such note.
    m["version"] = env!("CARGO_PKG_VERSION").into();
    std::fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let v = tokentrail().arg("verify").arg(&case).output().unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(1), "{text}");
    assert!(!text.contains("note:"), "{text}");
}

#[test]
fn two_runs_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let args = [json_dir(), "--out".into(), "case".into()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(investigate(a.path(), &args).status.success());
    assert!(investigate(b.path(), &args).status.success());
    let mut fa = files(&a.path().join("case"));
    let mut fb = files(&b.path().join("case"));
    let strip = |m: &mut BTreeMap<String, Vec<u8>>| {
        let mut v: serde_json::Value = serde_json::from_slice(&m["manifest.json"]).unwrap();
        v["run"] = serde_json::Value::Null;
        m.insert("manifest.json".into(), serde_json::to_vec(&v).unwrap());
    };
    strip(&mut fa);
    strip(&mut fb);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{k} differs between runs");
    }
}

#[test]
fn refuses_a_non_empty_output_directory() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("case")).unwrap();
    std::fs::write(d.path().join("case/keep.txt"), "evidence").unwrap();
    let out = investigate(d.path(), &[&json_dir(), "--out", "case"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists and is not empty"));
    assert_eq!(
        std::fs::read_to_string(d.path().join("case/keep.txt")).unwrap(),
        "evidence"
    );
}

#[test]
fn inputs_whose_names_sanitize_alike_are_all_copied_and_read() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("in");
    std::fs::create_dir(&src).unwrap();
    let one = fixtures().join("activity/json/az_list_array.json");
    // Both names become `a_b.json` in the bundle; neither may be lost or stop the run.
    for name in ["a b.json", "a_b.json"] {
        std::fs::copy(&one, src.join(name)).unwrap();
    }
    let out = investigate(d.path(), &["in", "--out", "case"]);
    assert_success(&out);
    assert_eq!(
        export_names(&d.path().join("case")),
        ["01-in/a_b-2.json", "01-in/a_b.json"]
    );
    let manifest = std::fs::read_to_string(d.path().join("case/manifest.json")).unwrap();
    assert!(manifest.contains("a b.json") && manifest.contains("a_b-2.json"));
    assert_verifies(&d.path().join("case"));
}

#[cfg(unix)]
/// Inputs are copied while they are read: a copy that fails (here a file the kernel refuses
/// to read) ends the run with one line naming that input, after the inputs before it.
#[cfg(target_os = "linux")]
#[test]
fn a_copy_that_fails_ends_the_run_naming_the_input() {
    let d = tempfile::tempdir().unwrap();
    let one = fixtures().join("activity/json/az_list_array.json");
    let out = investigate(
        d.path(),
        &[one.to_str().unwrap(), "/proc/self/mem", "--out", "case"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "tokentrail: error: copying /proc/self/mem into the bundle: /proc/self/mem: "
        ),
        "{err}"
    );
    assert!(!d.path().join("case/manifest.json").exists());
}

#[test]
fn linked_files_are_copied_and_other_links_are_listed_not_dropped() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("in");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    let one = fixtures().join("activity/json/az_list_array.json");
    std::fs::copy(&one, src.join("real.json")).unwrap();
    std::os::unix::fs::symlink(src.join("real.json"), src.join("sub/link.json")).unwrap();
    std::os::unix::fs::symlink(d.path().join("gone.json"), src.join("dangling.json")).unwrap();
    std::os::unix::fs::symlink(&src, src.join("sub/loop")).unwrap();
    let out = investigate(d.path(), &["in", "--out", "case"]);
    assert_success(&out);
    assert_eq!(
        export_names(&d.path().join("case")),
        ["01-in/real.json", "01-in/sub/link.json"]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not copied into the bundle or read") && err.contains("dangling.json"),
        "{err}"
    );
    assert!(
        err.contains("loop: a symbolic link to a directory (not followed)"),
        "{err}"
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("case/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["not_copied"].as_array().map(Vec::len), Some(2));
    assert_verifies(&d.path().join("case"));
}

/// An earlier bundle inside an input: its exports are read again, its outputs (notes,
/// report, case.sqlite…) are not taken for evidence.
#[test]
fn of_an_earlier_bundle_inside_an_input_only_its_exports_are_read() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("in");
    std::fs::create_dir(&src).unwrap();
    let first = investigate(
        d.path(),
        &[
            fixtures()
                .join("activity/json/az_list_array.json")
                .to_str()
                .unwrap(),
            "--out",
            "in/old",
        ],
    );
    assert_success(&first);
    let out = investigate(d.path(), &["in", "--out", "case"]);
    assert_success(&out);
    let names = export_names(&d.path().join("case"));
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("01-in/old/exports/") && names[0].ends_with("az_list_array.json"),
        "{names:?}"
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("case/manifest.json")).unwrap())
            .unwrap();
    let not_copied: Vec<&str> = m["not_copied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    for part in ["manifest.json", "notes.md", "case.sqlite", "findings"] {
        assert!(
            not_copied
                .iter()
                .any(|p| p.ends_with(&format!("old/{part}"))),
            "{part}: {not_copied:?}"
        );
    }
    assert!(m["not_copied"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("earlier tokentrail run"));
    assert_verifies(&d.path().join("case"));
}

#[test]
fn an_output_directory_inside_the_input_is_not_read_as_evidence() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("in");
    std::fs::create_dir(&src).unwrap();
    std::fs::copy(
        fixtures().join("activity/json/az_list_array.json"),
        src.join("az.json"),
    )
    .unwrap();
    // An empty output directory made beforehand inside the input tree.
    std::fs::create_dir(src.join("case")).unwrap();
    let out = investigate(d.path(), &["in", "--out", "in/case"]);
    assert_success(&out);
    assert_eq!(export_names(&src.join("case")), ["01-in/az.json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the output directory of this run"), "{err}");
}

#[test]
fn a_missing_input_is_one_line_naming_it_once() {
    let d = tempfile::tempdir().unwrap();
    let out = investigate(d.path(), &["no-such-export.json", "--out", "case"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-export.json"), "{err}");
    // The reason the OS gave ends the line, once (not once per layer of the error).
    let reason = err.rsplit(": ").next().unwrap_or_default().trim();
    assert!(!reason.is_empty(), "{err}");
    assert_eq!(err.matches(reason).count(), 1, "{err}");
}

#[test]
fn filters_narrow_findings_not_hashing() {
    let d = tempfile::tempdir().unwrap();
    assert!(investigate(d.path(), &[&json_dir(), "--out", "all"])
        .status
        .success());
    assert!(investigate(
        d.path(),
        &[
            &json_dir(),
            "--out",
            "some",
            "--operation",
            "locks/delete",
            "--from",
            "2024-06-10T08:00:00Z"
        ]
    )
    .status
    .success());
    let n = |c: &str| {
        std::fs::read_to_string(d.path().join(c).join("findings/operations.jsonl"))
            .unwrap()
            .lines()
            .count()
    };
    assert!(n("all") > 1);
    assert_eq!(n("some"), 1);
    let inputs = |c: &str| {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.path().join(c).join("manifest.json")).unwrap())
                .unwrap();
        m["inputs"].clone()
    };
    assert_eq!(inputs("all"), inputs("some"));
}

#[test]
fn hostile_log_content_is_neutralized_in_every_output() {
    let d = tempfile::tempdir().unwrap();
    let evil = d.path().join("evil.json");
    let caller =
        "=HYPERLINK(\"http://evil.example\")<script>alert(1)</script>[x](http://evil.example)";
    let rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg';rm -rf ~;'";
    let ev = serde_json::json!([{
        "eventDataId": "e1", "correlationId": "c1", "operationId": "o1", "caller": caller,
        "operationName": {"value": "Microsoft.Network/networkSecurityGroups/write"}, "status": {"value": "Succeeded"},
        "category": {"value": "Administrative"}, "eventTimestamp": "2024-06-10T06:13:45Z", "resourceId": rid,
        "claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": caller, "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"},
        "httpRequest": {"clientIpAddress": "\u{1b}[31m203.0.113.1"}
    }]);
    std::fs::write(&evil, serde_json::to_vec(&ev).unwrap()).unwrap();
    let out = investigate(d.path(), &[evil.to_str().unwrap(), "--out", "case"]);
    crate::util::assert_success(&out);
    assert!(
        !out.stderr.contains(&0x1b),
        "terminal summary carries a raw ESC"
    );
    let case = d.path().join("case");
    for md in [
        "notes.md",
        "timeline.md",
        "commands/rollback.md",
        "commands/collect.md",
    ] {
        let t = std::fs::read_to_string(case.join(md)).unwrap();
        assert!(!t.contains("<script>"), "{md} has raw HTML");
        assert!(!t.contains("](http"), "{md} has a link");
        assert!(!t.contains('\u{1b}'), "{md} has an escape character");
    }
    let html = std::fs::read_to_string(case.join("report.html")).unwrap();
    assert!(
        !html.contains("<script>alert") && html.contains("\\u003cscript\\u003ealert"),
        "report.html carries log text only as escaped JSON"
    );
    assert_eq!(
        html.matches("<script").count(),
        2,
        "the data block and the one script"
    );
    let rollback = std::fs::read_to_string(case.join("commands/rollback.md")).unwrap();
    assert!(
        rollback.contains("'\\''"),
        "resource ids are shell-quoted: {rollback}"
    );
    let csv = std::fs::read_to_string(case.join("timeline.csv")).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell {cell:?}"
            );
        }
    }
}

#[test]
fn ranges_file_replaces_the_bundled_table_travels_with_the_bundle_and_is_verified() {
    let d = tempfile::tempdir().unwrap();
    let rf = d.path().join("my-ranges.tsv");
    std::fs::write(&rf, "# test\n203.0.113.0/24\tTestCloud\tlab\n").unwrap();
    let out = investigate(
        d.path(),
        &[
            &json_dir(),
            "--out",
            "case",
            "--ranges",
            &rf.display().to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let case = d.path().join("case");
    let ops = std::fs::read_to_string(case.join("findings/operations.jsonl")).unwrap();
    assert!(
        ops.contains("ARM caller IP 203.0.113.45 belongs to TestCloud (lab)"),
        "{ops}"
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("manifest.json")).unwrap()).unwrap();
    let r = &m["options"]["ranges"];
    let rel = r["bundle_path"].as_str().unwrap();
    assert_eq!(rel, "ranges/01-my-ranges.tsv", "{m}");
    assert_eq!(r["sha256"].as_str().unwrap().len(), 64);
    let v = tokentrail().arg("verify").arg(&case).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    // A changed range file is named by verify.
    let p = case.join(rel);
    crate::util::make_writable(&p);
    std::fs::write(&p, "# test\n203.0.0.0/8\tOther\tx\n").unwrap();
    let v = tokentrail().arg("verify").arg(&case).output().unwrap();
    assert_eq!(v.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&v.stdout).contains(rel));
}

#[test]
fn ranges_import_and_lookup() {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("ServiceTags_Public.json");
    std::fs::write(
        &st,
        r#"{"changeNumber": 7, "cloud": "Public", "values": [{"name": "AzureCloud",
           "properties": {"addressPrefixes": ["20.0.0.0/9", "20.128.0.0/9", "2603:1000::/24"]}}]}"#,
    )
    .unwrap();
    let aws = d.path().join("ip-ranges.json");
    std::fs::write(
        &aws,
        r#"{"syncToken": "1", "prefixes": [{"ip_prefix": "52.0.0.0/15", "service": "EC2"}], "ipv6_prefixes": []}"#,
    )
    .unwrap();
    let out = d.path().join("r.tsv");
    let o = tokentrail()
        .args(["ranges", "import"])
        .arg(&st)
        .arg(&aws)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("Public changeNumber 7"), "{text}");
    assert!(text.contains("20.0.0.0/8\tAzure\tAzureCloud\n"), "{text}");
    assert!(text.contains("52.0.0.0/15\tAWS\tEC2\n"), "{text}");
    let o = tokentrail()
        .args([
            "ranges",
            "lookup",
            "20.9.9.9",
            "52.1.0.1",
            "8.8.8.8",
            "not-an-ip",
            "--ranges",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        s.lines().collect::<Vec<_>>(),
        [
            "20.9.9.9\tAzure (AzureCloud)",
            "52.1.0.1\tAWS (EC2)",
            "8.8.8.8\tnot in any known hosting range",
            "not-an-ip\tunknown (not an address the table covers)"
        ]
    );
}

/// A relative `--out` whose name starts `builtin` (here `b`) leaves the built-in rule
/// pack's name whole in findings/rulepack.json, and the bundle verifies.
#[test]
fn relative_out_keeps_rule_pack_names() {
    let d = tempfile::tempdir().unwrap();
    let o = tokentrail()
        .current_dir(d.path())
        .args(["investigate", "--out", "b"])
        .arg(fixtures().join("activity/json/diag_multimember.json.gz"))
        .output()
        .unwrap();
    assert_success(&o);
    let pack: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("b/findings/rulepack.json")).unwrap())
            .unwrap();
    assert_eq!(pack["files"], serde_json::json!(["builtin"]));
    let v = tokentrail()
        .current_dir(d.path())
        .args(["verify", "b"])
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}
