//! The typed fast path gives exactly the generic path's outcome, record by record:
//! (a) over every JSON record of the shared conformance samples (when present),
//! (b) over generated `az` records and random mutations of them (casing, nulls, numbers,
//! repeated keys, whitespace, escapes, JSON text in place of objects), and
//! (c) on hand-written edge cases. "Same" means the same `Debug` rendering of the outcome
//! and the same JSON serialization of the record (which also pins the key order of
//! `properties`).

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use tokentrail_ingest::frame::json::JsonFramer;
use tokentrail_ingest::frame::{Frame, FrameKind};
use tokentrail_ingest::source::for_each_stream;
mod fast_common;
use fast_common::{check, frame_bytes};

use tokentrail_ingest::Limits;

fn frame_of(v: &Value) -> Frame {
    frame_bytes(serde_json::to_vec_pretty(v).unwrap())
}

#[test]
fn samples_fast_equals_generic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if !root.exists() {
        eprintln!("samples absent; skipped");
        return;
    }
    let (mut records, mut fast) = (0u64, 0u64);
    for_each_stream(
        &root,
        &Limits::default(),
        &mut |stream| {
            let mut bytes = Vec::new();
            let mut r = stream.reader;
            if r.read_to_end(&mut bytes).is_err() {
                return Ok(());
            }
            let t = bytes.iter().position(|b| !b.is_ascii_whitespace());
            if !matches!(t.map(|i| bytes[i]), Some(b'{' | b'[')) {
                return Ok(());
            }
            let file: Arc<str> = Arc::from(stream.name.as_str());
            let mut framer = JsonFramer::new(std::io::Cursor::new(bytes));
            let mut i = 0;
            while let Ok(Some(f)) = framer.next_frame() {
                if f.kind == FrameKind::Json {
                    records += 1;
                    fast += u64::from(check(&file, i, &f));
                }
                i += 1;
            }
            Ok(())
        },
        &mut |_| {},
    );
    eprintln!("{records} sample records compared, {fast} took the fast path");
    assert!(records > 0);
}

/// An `az monitor activity-log list` element.
fn az_record(i: u64) -> Value {
    json!({
      "authorization": {"action": "Microsoft.Compute/virtualMachines/write",
        "scope": "/subscriptions/5520024a-c3d6-4ad3-9de8-3116f3ff938a/resourceGroups/rg-app-28/providers/Microsoft.Compute/virtualMachines/vm-app-017"},
      "caller": "diego.gupta242@contoso-scale.example",
      "category": {"localizedValue": "Administrative", "value": "Administrative"},
      "claims": {
        "aio": "nSD59_Duim0n", "appid": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "appidacr": "2",
        "aud": "https://management.core.windows.net/",
        "http://schemas.microsoft.com/claims/authnmethodsreferences": "pwd,mfa",
        "http://schemas.microsoft.com/identity/claims/objectidentifier": "b0719ee0-a3db-4153-bab0-7e7f7af86724",
        "http://schemas.microsoft.com/identity/claims/tenantid": "b787e260-0357-45a5-9000-2f3422c01727",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "diego.gupta242@contoso-scale.example",
        "iat": "1769903700", "idtyp": "user", "ipaddr": "198.18.155.99",
        "iss": "https://sts.windows.net/b787e260-0357-45a5-9000-2f3422c01727/",
        "name": "Diego Gupta", "uti": "CKf-xG4VhEyDHlD-e71uHA", "ver": "1.0"
      },
      "correlationId": "18bb4ddf-e07e-4399-805e-712e051e8898",
      "description": "",
      "eventDataId": format!("73700cae-381e-45ca-8204-8d4463f2{i:04}"),
      "eventName": {"localizedValue": "Begin request", "value": "BeginRequest"},
      "eventTimestamp": "2026-02-01T00:05:28.389Z",
      "httpRequest": {"clientIpAddress": "198.18.155.99", "clientRequestId": "98653779-ca1d-42c1-b848-2fa51de212e8", "method": "PUT"},
      "id": "/subscriptions/5520024a-c3d6-4ad3-9de8-3116f3ff938a/resourceGroups/rg-app-28/providers/Microsoft.Compute/virtualMachines/vm-app-017/events/73700cae-381e-45ca-8204-8d4463f28632/ticks/639055011283890000",
      "level": "Informational",
      "operationId": "76bd5dfe-342f-4ee8-addb-f745f70e286a",
      "operationName": {"localizedValue": "Create or Update Virtual Machine", "value": "Microsoft.Compute/virtualMachines/write"},
      "properties": {"entity": "/subscriptions/5520024a-c3d6-4ad3-9de8-3116f3ff938a/resourceGroups/rg-app-28",
        "hierarchy": "b787e260-0357-45a5-9000-2f3422c01727/5520024a-c3d6-4ad3-9de8-3116f3ff938a",
        "message": "Microsoft.Compute/virtualMachines/write",
        "requestbody": "{\"location\":\"westeurope\"}"},
      "resourceGroupName": "rg-app-28",
      "resourceId": "/subscriptions/5520024a-c3d6-4ad3-9de8-3116f3ff938a/resourceGroups/rg-app-28/providers/Microsoft.Compute/virtualMachines/vm-app-017",
      "resourceProviderName": {"localizedValue": "Microsoft.Compute", "value": "Microsoft.Compute"},
      "resourceType": {"localizedValue": "Microsoft.Compute/virtualMachines", "value": "Microsoft.Compute/virtualMachines"},
      "status": {"localizedValue": "Started", "value": "Started"},
      "subStatus": {"localizedValue": "", "value": ""},
      "submissionTimestamp": "2026-02-01T00:06:40.389Z",
      "subscriptionId": "5520024a-c3d6-4ad3-9de8-3116f3ff938a",
      "tenantId": "b787e260-0357-45a5-9000-2f3422c01727"
    })
}

#[test]
fn plain_az_record_takes_fast_path() {
    let file: Arc<str> = Arc::from("t.json");
    assert!(check(&file, 0, &frame_of(&az_record(1))));
    // Compact form and escapes in strings.
    let mut v = az_record(2);
    v["caller"] = json!("caf\u{e9} \"q\" \\ x");
    v["claims"]["name"] = json!("tab\there");
    assert!(check(
        &file,
        1,
        &frame_bytes(serde_json::to_vec(&v).unwrap())
    ));
}

/// A change to an `az` record.
type Edit = dyn Fn(&mut Map<String, Value>);

#[test]
fn edge_cases_agree() {
    let file: Arc<str> = Arc::from("t.json");
    let edits: Vec<Box<Edit>> = vec![
        Box::new(|m| {
            m.remove("eventTimestamp");
        }),
        Box::new(|m| {
            m.remove("eventTimestamp");
            m.remove("eventDataId");
        }),
        Box::new(|m| {
            m.remove("eventTimestamp");
            m.insert("id".into(), json!("x/ticks/notanumber"));
        }),
        Box::new(|m| {
            m.insert("eventTimestamp".into(), json!("not a time"));
        }),
        Box::new(|m| {
            m.insert("eventTimestamp".into(), Value::Null);
        }),
        Box::new(|m| {
            m.insert("EventDataId".into(), json!("OTHER"));
        }),
        Box::new(|m| {
            m.insert("time".into(), json!("2024-01-01T00:00:00Z"));
        }),
        Box::new(|m| {
            m.insert("type".into(), json!("AzureActivity"));
        }),
        Box::new(|m| {
            m.insert("claims".into(), json!("{\"upn\":\"a@b.c\"}"));
        }),
        Box::new(|m| {
            m.insert("claims".into(), Value::Null);
        }),
        Box::new(|m| {
            m.insert(
                "claims".into(),
                json!({"upn": "  x@y.z  ", "oid": null, "n": 5}),
            );
        }),
        Box::new(|m| {
            m.insert("claims".into(), json!({"upn": "  x@y.z  ", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "other", "": "e"}));
        }),
        Box::new(|m| {
            m.insert("operationName".into(), json!("  Create role assignment "));
        }),
        Box::new(|m| {
            m.insert(
                "operationName".into(),
                json!({"localizedValue": "Create role assignment"}),
            );
        }),
        Box::new(|m| {
            m.insert(
                "operationName".into(),
                json!({"value": null, "localizedValue": "x"}),
            );
        }),
        Box::new(|m| {
            m.insert(
                "operationName".into(),
                json!({"Value": "A.B/c", "localizedValue": "x"}),
            );
        }),
        Box::new(|m| {
            m.insert("operationName".into(), Value::Null);
        }),
        Box::new(|m| {
            m.insert(
                "subStatus".into(),
                json!({"localizedValue": "Created", "value": ""}),
            );
        }),
        Box::new(|m| {
            m.insert(
                "subStatus".into(),
                json!("{\"localizedValue\":\"Created\"}"),
            );
        }),
        Box::new(|m| {
            m.insert("level".into(), json!(4));
        }),
        Box::new(|m| {
            m.insert("status".into(), json!(true));
        }),
        Box::new(|m| {
            m.insert(
                "properties".into(),
                json!("{\"hierarchy\":\"t2/s\",\"z\":1,\"a\":2}"),
            );
        }),
        Box::new(|m| {
            m.insert("properties".into(), json!([1, 2]));
        }),
        Box::new(|m| {
            m.insert("authorization".into(), json!("{\"action\":\"a/b\"}"));
        }),
        Box::new(|m| {
            m.insert("httpRequest".into(), json!({"ClientIpAddress": "1.2.3.4"}));
        }),
        Box::new(|m| {
            m.remove("caller");
            m.remove("tenantId");
        }),
        Box::new(|m| {
            m.remove("caller");
            m.remove("claims");
            m.remove("tenantId");
            m.remove("eventDataId");
        }),
        Box::new(|m| {
            m.insert("resourceId".into(), json!(""));
            m.insert("resourceGroupName".into(), json!({"value": "rg"}));
        }),
    ];
    for (i, e) in edits.iter().enumerate() {
        let mut v = az_record(i as u64);
        e(v.as_object_mut().unwrap());
        check(&file, i as u64, &frame_of(&v));
    }
    // Repeated keys, only expressible as text.
    for text in [
        r#"{"eventDataId":"a","eventDataId":"b","eventTimestamp":"2024-01-01T00:00:00Z"}"#,
        r#"{"eventDataId":"a","claims":{"upn":"x","upn":"y"},"eventTimestamp":"2024-01-01T00:00:00Z"}"#,
        r#"{"eventDataId":"a","category":{"value":"A","value":"B"},"eventTimestamp":"2024-01-01T00:00:00Z"}"#,
        r#"{"eventDataId":"a","eventTimestamp":"2024-01-01T00:00:00Z",}"#,
        r#"{"eventDataId":"a","eventTimestamp":"2024-01-01T00:00:00Z","":1}"#,
        r#"{"eventDataId":"\u00e9\ud83d\ude00","eventTimestamp":"2024-01-01T00:00:00Z"}"#,
        r#"[1]"#,
        r#"{}"#,
    ] {
        check(&file, 0, &frame_bytes(text.as_bytes().to_vec()));
    }
}

/// A random change to one member of an `az` record.
fn mutation() -> impl Strategy<Value = (usize, u8, String)> {
    (0usize..40, 0u8..10, "[ -~\u{e9}\t]{0,10}")
}

fn apply(v: &mut Value, (which, how, text): &(usize, u8, String)) {
    let m = v.as_object_mut().unwrap();
    let keys: Vec<String> = m.keys().cloned().collect();
    let key = keys[which % keys.len()].clone();
    let new = match how {
        0 => Value::Null,
        1 => json!(text),
        2 => json!(format!(" {text} ")),
        3 => json!({"value": text, "localizedValue": text}),
        4 => json!(text.len()),
        5 => json!({"value": text}),
        6 => {
            // A key spelled another way.
            let val = m.remove(&key).unwrap();
            m.insert(key.to_ascii_uppercase(), val);
            return;
        }
        7 => {
            m.remove(&key);
            return;
        }
        8 => {
            if let Some(Value::Object(c)) = m.get_mut("claims") {
                c.insert(text.clone(), json!(text));
            }
            return;
        }
        _ => json!([text]),
    };
    m.insert(key, new);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn mutated_az_records_agree(muts in prop::collection::vec(mutation(), 0..4), i in 0u64..1000, pretty in any::<bool>()) {
        let mut v = az_record(i);
        for m in &muts {
            apply(&mut v, m);
        }
        let bytes = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.unwrap();
        check(&Arc::from("p.json"), i, &frame_bytes(bytes));
    }
}
