//! Integration tests: demo files are committed and regenerate byte for byte; every file is
//! valid in its intended shape; truth.jsonl covers every operation; scale is deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tokentrail-gen"))
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn run(args: &[&str]) {
    let st = Command::new(bin()).args(args).output().unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

fn repo_demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo")
}

#[test]
fn demo_regenerates_byte_identical_to_committed_files() {
    let tmp = tempfile::tempdir().unwrap();
    run(&["demo", "--out", tmp.path().to_str().unwrap()]);
    let fresh = files(tmp.path());
    let mut committed = files(&repo_demo());
    committed.remove("README.md");
    assert_eq!(
        fresh.keys().collect::<Vec<_>>(),
        committed.keys().collect::<Vec<_>>(),
        "file list differs: regenerate with `tokentrail-gen demo --out demo`"
    );
    for (k, v) in &fresh {
        assert!(committed[k] == *v, "{k} differs from the committed demo");
    }
}

fn json_values(name: &str, bytes: &[u8]) -> Vec<serde_json::Value> {
    let mut raw = Vec::new();
    if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut raw)
            .unwrap();
    } else {
        raw = bytes.to_vec();
    }
    let text = String::from_utf8(raw).unwrap();
    if name.ends_with("PT1H.json") || name.ends_with(".jsonl") {
        return text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
    }
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    match v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => {
            assert!(
                o.contains_key("@odata.context"),
                "{name}: Graph page without @odata.context"
            );
            o["value"].as_array().unwrap().clone()
        }
        _ => panic!("{name}: unexpected top level"),
    }
}

#[test]
fn demo_files_are_valid_and_truth_covers_every_operation() {
    let all = files(&repo_demo());
    let mut activity_keys = BTreeSet::new();
    let mut event_ids = BTreeSet::new();
    let mut signin_ids = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    let mut uti_forms = BTreeSet::new();
    for (name, bytes) in &all {
        if name.ends_with(".md") || name == "truth.jsonl" {
            continue;
        }
        let vals = json_values(name, bytes);
        assert!(!vals.is_empty(), "{name} is empty");
        for v in vals {
            if name.starts_with("activity/") {
                if let Some(op) = v.get("operationId").or_else(|| v.get("OperationId")) {
                    let corr = v
                        .get("correlationId")
                        .or_else(|| v.get("CorrelationId"))
                        .unwrap();
                    activity_keys.insert((
                        corr.as_str().unwrap().to_string(),
                        op.as_str().unwrap().to_string(),
                    ));
                    let eid = v
                        .get("eventDataId")
                        .or_else(|| v.get("EventDataId"))
                        .unwrap();
                    event_ids.insert(eid.as_str().unwrap().to_string());
                } else {
                    assert!(
                        v.get("time").is_some() && v.get("resultType").is_some(),
                        "{name}: not a diagnostic record"
                    );
                }
                if name.contains("az-activity") {
                    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
                    let mut sorted = keys.clone();
                    sorted.sort();
                    assert_eq!(keys, sorted, "az output keys are sorted");
                }
            } else if name.starts_with("signins/") {
                let p = v.get("properties").unwrap_or(&v);
                signin_ids.insert(p["id"].as_str().unwrap().to_string());
                kinds.insert(p["signInEventTypes"][0].as_str().unwrap().to_string());
                if let Some(u) = p.get("uniqueTokenIdentifier").and_then(|u| u.as_str()) {
                    uti_forms.insert(u.len());
                }
            }
        }
    }
    assert_eq!(kinds.len(), 4, "all four sign-in kinds: {kinds:?}");
    assert!(
        uti_forms.contains(&22) && uti_forms.contains(&48),
        "both uniqueTokenIdentifier encodings: {uti_forms:?}"
    );
    let truth = std::str::from_utf8(&all["truth.jsonl"]).unwrap();
    let mut truth_keys = BTreeSet::new();
    let mut truth_events = BTreeSet::new();
    let mut methods = BTreeSet::new();
    for line in truth.lines() {
        let t: serde_json::Value = serde_json::from_str(line).unwrap();
        truth_keys.insert((
            t["correlation_id"].as_str().unwrap().to_string(),
            t["operation_id"].as_str().unwrap().to_string(),
        ));
        for e in t["event_ids"].as_array().unwrap() {
            truth_events.insert(e.as_str().unwrap().to_string());
        }
        assert!(
            t["sign_in"].is_object() != t["sign_in_gap"].is_string(),
            "sign-in or gap: {line}"
        );
        if let Some(s) = t["sign_in"].as_object() {
            methods.insert(s["match"].as_str().unwrap().to_string());
            assert!(
                signin_ids.contains(s["id"].as_str().unwrap()),
                "linked sign-in is exported: {line}"
            );
        }
        for i in t["indicators"].as_array().unwrap() {
            assert!(!i["attack"].as_array().unwrap().is_empty());
        }
    }
    for k in &activity_keys {
        assert!(
            truth_keys.contains(k),
            "operation {k:?} missing from truth.jsonl"
        );
    }
    for e in &event_ids {
        assert!(
            truth_events.contains(e),
            "event {e} missing from truth.jsonl"
        );
    }
    for m in ["token", "session", "issued_at", "window"] {
        assert!(methods.contains(m), "match method {m} exercised");
    }
}

#[test]
fn scale_is_deterministic_and_streams_all_shapes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        run(&[
            "scale",
            "--activity",
            "600",
            "--seed",
            "3",
            "--truth",
            "--out",
            d.path().to_str().unwrap(),
        ]);
    }
    let fa = files(a.path());
    let fb = files(b.path());
    assert_eq!(fa, fb, "same seed gives byte-identical output");
    let az: Vec<serde_json::Value> =
        serde_json::from_slice(&fa["activity/az-activity-log.json"]).unwrap();
    assert_eq!(az.len(), 600);
    let mut rdr = csv::Reader::from_reader(&fa["activity/la-azureactivity.csv"][..]);
    assert_eq!(rdr.records().count(), 600);
    let diag: usize = fa
        .iter()
        .filter(|(k, _)| k.starts_with("activity/insights-activity-logs"))
        .map(|(_, v)| v.iter().filter(|b| **b == b'\n').count())
        .sum();
    assert_eq!(diag, 600);
    let mut graph = 0;
    for (k, v) in &fa {
        if k.starts_with("signins/graph/") {
            graph += json_values(k, v).len();
        }
    }
    assert!(graph >= 1200, "about 2N sign-ins, got {graph}");
    let c = tempfile::tempdir().unwrap();
    run(&[
        "scale",
        "--activity",
        "600",
        "--seed",
        "4",
        "--formats",
        "az",
        "--signin-formats",
        "none",
        "--out",
        c.path().to_str().unwrap(),
    ]);
    assert_ne!(
        files(c.path())["activity/az-activity-log.json"],
        fa["activity/az-activity-log.json"]
    );
}
