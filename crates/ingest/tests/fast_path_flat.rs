//! The `flat` fast paths (diagnostic sign-ins, diagnostic Activity records, Graph sign-ins)
//! give exactly the generic path's outcome: over the bench generator's records (the
//! `tokentrail-gen scale` shapes), over files named by `TOKENTRAIL_FAST_DATA` (a generated
//! directory, when set), over random mutations (key case, extra and misspelled keys, value
//! types, nulls, escapes, JSON text in place of objects, repeated keys), and the fast path
//! does take the generated records. The shared samples are compared in `fast_path.rs`.

// The sign-in object is one large `json!` literal.
#![recursion_limit = "256"]

#[path = "../benches/synth/mod.rs"]
mod synth;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use tokentrail_ingest::frame::json::JsonFramer;
use tokentrail_ingest::frame::FrameKind;
use tokentrail_ingest::source::for_each_stream;
mod fast_common;
use fast_common::{check, frame_bytes};

use tokentrail_ingest::Limits;

/// Every frame of a blob through [`check`]; (records, fast).
fn check_blob(name: &str, bytes: &[u8]) -> (u64, u64) {
    let file: Arc<str> = Arc::from(name);
    let mut framer = JsonFramer::new(std::io::Cursor::new(bytes.to_vec()));
    let (mut n, mut fast) = (0, 0);
    while let Ok(Some(f)) = framer.next_frame() {
        if f.kind == FrameKind::Json {
            fast += u64::from(check(&file, n, &f));
            n += 1;
        }
    }
    (n, fast)
}

#[test]
fn generated_records_take_the_fast_path() {
    let s = synth::scenario(60, 3);
    for blob in [s.diag_signins(), s.graph_page(), s.diag_activity()] {
        let (n, fast) = check_blob(blob.name, &blob.bytes);
        assert_eq!(n, blob.records, "{}", blob.name);
        assert_eq!(
            fast, n,
            "{}: not every record took the fast path",
            blob.name
        );
    }
}

#[test]
fn data_dir_fast_equals_generic() {
    let Some(dir) = std::env::var_os("TOKENTRAIL_FAST_DATA") else {
        eprintln!("TOKENTRAIL_FAST_DATA not set; skipped");
        return;
    };
    let (mut records, mut fast) = (0u64, 0u64);
    for_each_stream(
        std::path::Path::new(&dir),
        &Limits::default(),
        &mut |stream| {
            let mut bytes = Vec::new();
            let mut r = stream.reader;
            if std::io::Read::read_to_end(&mut r, &mut bytes).is_err() {
                return Ok(());
            }
            if !matches!(bytes.first(), Some(b'{' | b'[')) {
                return Ok(());
            }
            let (n, f) = check_blob(&stream.name, &bytes);
            records += n;
            fast += f;
            Ok(())
        },
        &mut |_| {},
    );
    eprintln!("{records} records compared, {fast} took a fast path");
    assert!(records > 0 && fast > 0);
}

fn scenario_values() -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let s = synth::scenario(8, 5);
    let parse = |b: &[u8]| -> Vec<Value> {
        b.split(|c| *c == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    };
    let page: Value = serde_json::from_slice(&s.graph_page().bytes).unwrap();
    (
        parse(&s.diag_signins().bytes),
        page["value"].as_array().unwrap().clone(),
        parse(&s.diag_activity().bytes),
    )
}

/// A random change somewhere in a record: which object (envelope, `properties`, a nested
/// member), which member, what to do, and a random text.
fn mutation() -> impl Strategy<Value = (u8, usize, u8, String)> {
    (0u8..6, 0usize..100, 0u8..16, "[ -~\u{e9}\t\"\\\\]{0,8}")
}

fn target(v: &mut Value, which: u8, pick: usize) -> Option<&mut Map<String, Value>> {
    let top = v.as_object_mut()?;
    match which {
        0 => Some(top),
        1 => {
            if top.get("properties").is_some_and(Value::is_object) {
                top.get_mut("properties")?.as_object_mut()
            } else {
                Some(top)
            }
        }
        2 => {
            // A nested object: identity, status, deviceDetail, location, ...
            let base = match top.contains_key("properties") {
                true => top.get_mut("properties")?,
                false => return Some(top),
            };
            let Value::Object(p) = base else { return None };
            let keys: Vec<String> = p
                .iter()
                .filter(|(_, v)| v.is_object())
                .map(|(k, _)| k.clone())
                .collect();
            if keys.is_empty() {
                return Some(p);
            }
            let k = keys[pick % keys.len()].clone();
            p.get_mut(&k)?.as_object_mut()
        }
        5 => {
            // An object element of a list member: authenticationDetails, ...
            let base = match top.get("properties") {
                Some(Value::Object(_)) => top.get_mut("properties")?.as_object_mut()?,
                _ => top,
            };
            let keys: Vec<String> = base
                .iter()
                .filter(|(_, v)| v.as_array().is_some_and(|a| a.iter().any(Value::is_object)))
                .map(|(k, _)| k.clone())
                .collect();
            if keys.is_empty() {
                return Some(base);
            }
            let k = keys[pick % keys.len()].clone();
            let list = base.get_mut(&k)?.as_array_mut()?;
            let n = list.len();
            list.get_mut(pick % n)?.as_object_mut()
        }
        4 => {
            // The token claims of a diagnostic Activity record.
            if top
                .get("identity")
                .and_then(|i| i.get("claims"))
                .is_some_and(Value::is_object)
            {
                top.get_mut("identity")?.get_mut("claims")?.as_object_mut()
            } else {
                Some(top)
            }
        }
        _ => {
            // Graph objects have no envelope: the nested objects of the top level.
            let keys: Vec<String> = top
                .iter()
                .filter(|(_, v)| v.is_object())
                .map(|(k, _)| k.clone())
                .collect();
            if keys.is_empty() {
                return Some(top);
            }
            let k = keys[pick % keys.len()].clone();
            top.get_mut(&k)?.as_object_mut()
        }
    }
}

fn apply(v: &mut Value, (which, pick, how, text): &(u8, usize, u8, String)) {
    let Some(m) = target(v, *which, *pick) else {
        return;
    };
    if m.is_empty() {
        return;
    }
    let keys: Vec<String> = m.keys().cloned().collect();
    let key = keys[pick % keys.len()].clone();
    let new = match how {
        0 => Value::Null,
        1 => json!(text),
        2 => json!(format!(" {text} ")),
        3 => json!({"value": text, "localizedValue": text}),
        4 => json!(text.len()),
        5 => json!(-1.5),
        6 => json!(true),
        7 => json!([text]),
        8 => json!(m[&key].to_string()),
        9 => {
            let val = m.remove(&key).unwrap();
            m.insert(key.to_ascii_uppercase(), val);
            return;
        }
        10 => {
            // Another spelling next to the original.
            let val = m[&key].clone();
            m.insert(format!("{key}_"), val);
            return;
        }
        11 => {
            m.remove(&key);
            return;
        }
        12 => {
            m.insert(text.clone(), json!(text));
            return;
        }
        13 => {
            let extra = [
                "type",
                "Caller",
                "TimeGenerated",
                "requestId",
                "Date",
                "user_id",
            ];
            m.insert(extra[pick % extra.len()].into(), json!(text));
            return;
        }
        14 => json!({}),
        _ => json!("0"),
    };
    m.insert(key, new);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn mutated_records_agree(
        kind in 0usize..3,
        i in 0usize..8,
        muts in prop::collection::vec(mutation(), 0..4),
        pretty in any::<bool>(),
    ) {
        let (diag, graph, activity) = scenario_values();
        let list = [&diag, &graph, &activity][kind];
        let mut v = list[i % list.len()].clone();
        for m in &muts {
            apply(&mut v, m);
        }
        let bytes = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.unwrap();
        check(&Arc::from("p.json"), i as u64, &frame_bytes(bytes));
    }
}

/// The nested members the sign-in fast paths parse into shapes of their own, replaced by
/// values of other types and forms.
#[test]
fn odd_nested_sign_in_members_agree() {
    let (diag, graph, _) = scenario_values();
    let file: Arc<str> = Arc::from("n.json");
    let odd = [
        json!(null),
        json!({}),
        json!("{\"errorCode\":50126,\"city\":\"X\",\"msiType\":\"systemAssigned\"}"),
        json!("{'errorCode': 1}"),
        json!([]),
        json!([1, {"succeeded": true, "authenticationMethod": "Password"}]),
        json!([{"Succeeded": true}]),
        json!(["[{'succeeded': True, 'authenticationMethod': 'FIDO2'}]"]),
        json!("[{\"succeeded\":true,\"authenticationMethod\":\"Password\"}]"),
        json!({"errorCode": "0.0", "failureReason": {"value": "v"}, "deviceId": "ABC"}),
        json!({"geoCoordinates": "{\"latitude\":1.5,\"longitude\":\"2\"}", "country": "FR"}),
        json!({"geoCoordinates": {"latitude": 0.0, "longitude": 0.0, "Latitude": 3}}),
        json!({"geoCoordinates": null, "city": " Paris "}),
        json!({"isCompliant": "yes", "isManaged": 0, "trust_type": "x"}),
        json!([{"authenticationStepDateTime": "2024-01-01T00:00:00+01:00", "succeeded": "true"}]),
    ];
    for (v, in_props) in [(&diag[0], true), (&graph[0], false)] {
        for member in [
            "status",
            "deviceDetail",
            "location",
            "managedServiceIdentity",
            "authenticationDetails",
            "mfaDetail",
        ] {
            for o in &odd {
                let mut v = v.clone();
                let m = if in_props {
                    v["properties"].as_object_mut().unwrap()
                } else {
                    v.as_object_mut().unwrap()
                };
                m.insert(member.to_string(), o.clone());
                check(&file, 0, &frame_bytes(serde_json::to_vec(&v).unwrap()));
            }
        }
    }
}

#[test]
fn repeated_and_odd_members_agree() {
    let (diag, graph, activity) = scenario_values();
    let file: Arc<str> = Arc::from("t.json");
    for v in [&diag[0], &graph[0], &activity[0]] {
        let text = serde_json::to_string(v).unwrap();
        let body = &text[1..];
        for extra in [
            r#""time":"2024-01-01T00:00:00Z","#,
            r#""category":"SignInLogs","#,
            r#""properties":{},"#,
            r#""properties":"{\"id\":\"x\"}","#,
            r#""id":"dup","#,
            r#""createdDateTime":"2024-01-01T00:00:00Z","#,
            r#""identity":{"claims":{"upn":"a"}},"#,
            r#""":1,"#,
            r#""correlationId":null,"#,
            r#""location":"\u00e9\ud83d\ude00","#,
            // Out of range: the `Value` tree refuses it even where no reader looks.
            r#""location":1e400,"#,
            r#""flaggedForReview":[1e400],"#,
            r#""location":"\ud800","#,
        ] {
            let t = format!("{{{extra}{body}");
            check(&file, 0, &frame_bytes(t.into_bytes()));
        }
        // Trailing garbage and a trailing comma.
        check(&file, 0, &frame_bytes(format!("{text} x").into_bytes()));
        let t = format!("{},}}", &text[..text.len() - 1]);
        check(&file, 0, &frame_bytes(t.into_bytes()));
    }
}
