//! `tokentrail rules` and the detection outputs of `tokentrail attribute`.

use crate::util::{stderr, stdout, tokentrail};
use serde_json::{json, Value};

fn rest_event(id: &str, corr: &str, op: &str, body: Option<Value>) -> Value {
    let mut props = json!({"statusCode": "Created"});
    if let Some(b) = body {
        props["requestbody"] = json!(b.to_string());
    }
    json!({
        "eventDataId": id, "correlationId": corr, "operationId": format!("op-{corr}"),
        "operationName": {"value": op, "localizedValue": op},
        "status": {"value": "Succeeded"}, "category": {"value": "Administrative"},
        "eventTimestamp": "2026-03-01T10:00:00Z", "caller": "mallory@contoso.example",
        "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "3c9e1f7a-2b4d-4e6f-8a1c-5d7e9f0a1b2c",
                   "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "mallory@contoso.example",
                   "http://schemas.microsoft.com/claims/authnmethodsreferences": "pwd", "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"},
        "httpRequest": {"clientIpAddress": "198.51.100.7"},
        "resourceId": format!("/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/{id}"),
        "properties": props
    })
}

#[test]
fn rules_lists_the_pack_and_its_hash() {
    let o = tokentrail().arg("rules").output().unwrap();
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.lines().count() > 40, "{out}");
    assert!(out.contains("AZ-ACT-011") && out.contains("T1562.007"));
    assert!(stderr(&o).contains("rule pack sha256 "));
}

#[test]
fn rules_rejects_a_bad_user_rule_file_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.yaml"), "rules:\n- {id: MINE-1, name: m, title: t, source: activity, operations: [x], severity: severe, attack: [{id: T1098, name: n}]}\n").unwrap();
    let o = tokentrail()
        .arg("rules")
        .arg("--rules")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("mine.yaml") && err.contains("rule MINE-1"),
        "{err}"
    );
}

#[test]
fn attribute_writes_detections() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("activity.json");
    let rdp = json!({"properties": {"access": "Allow", "direction": "Inbound", "protocol": "Tcp",
        "sourceAddressPrefix": "Internet", "destinationPortRange": "3000-4000", "priority": 100}});
    let events = json!([
        rest_event(
            "e1",
            "c1",
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            Some(rdp)
        ),
        rest_event("e2", "c2", "Microsoft.Authorization/locks/delete", None),
    ]);
    std::fs::write(&input, serde_json::to_vec(&events).unwrap()).unwrap();
    let out = dir.path().join("out");
    let o = tokentrail()
        .arg("attribute")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let ops = std::fs::read_to_string(out.join("findings/operations.jsonl")).unwrap();
    let nsg: Value =
        serde_json::from_str(ops.lines().find(|l| l.contains("securityRules")).unwrap()).unwrap();
    let dets = nsg["detections"].as_array().unwrap();
    assert!(
        dets.iter().any(|d| d["rule"] == "AZ-ACT-011"
            && d["attack"] == json!(["T1562.007"])
            && d["severity"] == "high"),
        "{dets:?}"
    );
    let lines = std::fs::read_to_string(out.join("findings/detections.jsonl")).unwrap();
    let hit: Value =
        serde_json::from_str(lines.lines().find(|l| l.contains("AZ-ACT-011")).unwrap()).unwrap();
    assert_eq!(hit["evidence"]["nsg.exposed_admin_ports"], json!([3389]));
    assert!(lines.contains("AZ-ACT-004"));
    let pack: Value =
        serde_json::from_slice(&std::fs::read(out.join("findings/rulepack.json")).unwrap())
            .unwrap();
    assert_eq!(pack["sha256"].as_str().unwrap().len(), 64);
}
