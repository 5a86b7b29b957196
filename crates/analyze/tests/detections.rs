//! Detection tests: every built-in rule firing and not firing, on events written here;
//! NSG port edge cases end to end; platform-noise caps; correlators; Sigma rules written
//! for these tests; and a conformance run over upstream SigmaHQ rules when ../shared has them.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use tokentrail_analyze::detect::rules::{RulePack, Severity, Source};
use tokentrail_analyze::detect::{
    self, chains, cond::Facts, eval_rule, records, sigma, Detection, Extra, Subject, View,
};
use tokentrail_analyze::signins::{Authn, Kind, SignInFacts};
use tokentrail_analyze::{attribute, Attribution};
use tokentrail_model::{ActivityEvent, Guid};

const USER_OID: &str = "3c9e1f7a-2b4d-4e6f-8a1c-5d7e9f0a1b2c";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000aa";

fn pack() -> RulePack {
    RulePack::builtin().unwrap()
}

fn user_claims(amr: &str) -> Value {
    json!({"oid": USER_OID, "upn": "mallory@contoso.example", "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
           "appidacr": "0", "amr": amr, "ipaddr": "198.51.100.7"})
}

fn event(
    n: usize,
    at: &str,
    op: &str,
    status: &str,
    body: Option<Value>,
    claims: Value,
    resource: &str,
) -> ActivityEvent {
    let mut props = serde_json::Map::new();
    if let Some(b) = body {
        props.insert("requestbody".into(), json!(b.to_string()));
    }
    serde_json::from_value(json!({
        "event_id": format!("ev-{n}"), "correlation_id": format!("corr-{n}"), "operation_id": format!("op-{n}"),
        "operation": {"name": op}, "status": {"kind": status}, "time": {"utc": at, "raw": at},
        "caller": "mallory@contoso.example", "caller_ip": "198.51.100.7", "claims": claims,
        "category": "Administrative", "resource": {"id": resource}, "properties": props,
        "source": {"file": "test", "record": n}
    }))
    .unwrap()
}

fn run_events(
    events: Vec<ActivityEvent>,
    signins: Vec<SignInFacts>,
) -> (Attribution, Vec<Detection>) {
    run_checked(events, signins, &Extra::default())
}

/// [`detect::run`], checked against the reference that keeps every view and against
/// views built two at a time: pruning and chunking must not change a hit or a finding.
fn run_checked(
    events: Vec<ActivityEvent>,
    signins: Vec<SignInFacts>,
    extra: &Extra,
) -> (Attribution, Vec<Detection>) {
    let mut reference = attribute(events.clone(), signins.clone());
    let all = detect::run_unpruned(&pack(), &mut reference, extra);
    let mut small = attribute(events.clone(), signins.clone());
    let chunked = detect::run_chunked(&pack(), &mut small, extra, 2);
    let mut a = attribute(events, signins);
    let hits = detect::run(&pack(), &mut a, extra);
    assert_eq!(text(&hits), text(&all), "pruned views");
    assert_eq!(text(&chunked), text(&all), "views two at a time");
    assert_eq!(text(&a.findings), text(&reference.findings));
    assert_eq!(text(&small.findings), text(&reference.findings));
    (a, hits)
}

fn text<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap()
}

/// Runs one operation; returns (rule id, severity) of each hit.
fn one(
    op: &str,
    status: &str,
    body: Option<Value>,
    amr: &str,
    resource: &str,
) -> Vec<(String, Severity)> {
    let (_, hits) = run_events(
        vec![event(
            1,
            "2026-03-01T10:00:00Z",
            op,
            status,
            body,
            user_claims(amr),
            resource,
        )],
        vec![],
    );
    hits.into_iter().map(|h| (h.rule, h.severity)).collect()
}

fn nsg(ports: Value, src: Value, access: &str) -> Value {
    let mut p =
        json!({"access": access, "direction": "Inbound", "protocol": "Tcp", "priority": 100});
    let pk = if ports.is_array() {
        "destinationPortRanges"
    } else {
        "destinationPortRange"
    };
    let sk = if src.is_array() {
        "sourceAddressPrefixes"
    } else {
        "sourceAddressPrefix"
    };
    p[pk] = ports;
    p[sk] = src;
    json!({"properties": p})
}

fn role(def: &str, scope: &str) -> Value {
    json!({"properties": {"roleDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/roleDefinitions/{def}"),
        "principalId": "11111111-2222-3333-4444-555555555555", "principalType": "User", "scope": scope}})
}

struct Case {
    rule: &'static str,
    op: &'static str,
    status: &'static str,
    body: Option<Value>,
    amr: &'static str,
    fires: bool,
}

fn c(rule: &'static str, op: &'static str, body: Option<Value>, fires: bool) -> Case {
    Case {
        rule,
        op,
        status: "succeeded",
        body,
        amr: "pwd,mfa",
        fires,
    }
}

fn activity_cases() -> Vec<Case> {
    let nsgop = "Microsoft.Network/networkSecurityGroups/securityRules/write";
    vec![
        c("AZ-ACT-001", "Microsoft.Authorization/roleAssignments/write", Some(role(OWNER, SUB)), true),
        c("AZ-ACT-001", "Microsoft.Authorization/roleAssignments/write", Some(role(READER, SUB)), false),
        c("AZ-ACT-002", "Microsoft.Authorization/roleAssignments/write", Some(role(READER, SUB)), true),
        c("AZ-ACT-002", "Microsoft.Authorization/roleAssignments/write", Some(role(OWNER, SUB)), false),
        c("AZ-ACT-003", "Microsoft.Authorization/elevateAccess/action", None, true),
        Case { status: "failed", ..c("AZ-ACT-003", "Microsoft.Authorization/elevateAccess/action", None, false) },
        c("AZ-ACT-043", "Microsoft.Authorization/roleDefinitions/write", Some(json!({"properties": {"permissions": [{"actions": ["*"]}]}})), true),
        c("AZ-ACT-043", "Microsoft.Authorization/roleDefinitions/write", Some(json!({"properties": {"permissions": [{"actions": ["Microsoft.Compute/*/read"]}]}})), false),
        c("AZ-ACT-033", "Microsoft.ManagedServices/registrationAssignments/write", None, true),
        c("AZ-ACT-033", "Microsoft.ManagedServices/registrationAssignments/read", None, false),
        Case { amr: "pwd", ..c("AZ-ACT-040", "Microsoft.Authorization/roleAssignments/write", Some(role(OWNER, SUB)), true) },
        c("AZ-ACT-040", "Microsoft.Authorization/roleAssignments/write", Some(role(OWNER, SUB)), false),
        Case { amr: "pwd", ..c("AZ-ACT-040", "Microsoft.Storage/storageAccounts/read", None, false) },
        c("AZ-ACT-004", "Microsoft.Authorization/locks/delete", None, true),
        c("AZ-ACT-004", "MICROSOFT.STORAGE/STORAGEACCOUNTS/PROVIDERS/MICROSOFT.AUTHORIZATION/LOCKS/DELETE", None, true),
        c("AZ-ACT-004", "Microsoft.Authorization/locks/write", Some(json!({"properties": {"level": "CanNotDelete"}})), false),
        c("AZ-ACT-005", "Microsoft.Authorization/policyAssignments/delete", None, true),
        c("AZ-ACT-005", "Microsoft.Authorization/policyAssignments/read", None, false),
        c("AZ-ACT-044", "Microsoft.Authorization/policyAssignments/write", Some(json!({"properties": {"enforcementMode": "DoNotEnforce"}})), true),
        c("AZ-ACT-044", "Microsoft.Authorization/policyAssignments/write", Some(json!({"properties": {"enforcementMode": "Default"}})), false),
        c("AZ-ACT-045", "Microsoft.Authorization/policyExemptions/write", None, true),
        c("AZ-ACT-045", "Microsoft.Authorization/policyAssignments/write", Some(json!({"properties": {"enforcementMode": "DoNotEnforce"}})), false),
        c("AZ-ACT-006", "Microsoft.Network/networkSecurityGroups/providers/Microsoft.Insights/diagnosticSettings/delete", None, true),
        c("AZ-ACT-006", "Microsoft.Insights/diagnosticSettings/write", None, false),
        c("AZ-ACT-046", "Microsoft.Insights/diagnosticSettings/write", Some(json!({"properties": {"logs": [{"category": "Administrative", "enabled": false}]}})), true),
        c("AZ-ACT-046", "Microsoft.Insights/diagnosticSettings/write", Some(json!({"properties": {"logs": [{"category": "Administrative", "enabled": true}]}})), false),
        c("AZ-ACT-007", "Microsoft.OperationalInsights/workspaces/delete", None, true),
        c("AZ-ACT-007", "Microsoft.OperationalInsights/workspaces/write", None, false),
        c("AZ-ACT-008", "Microsoft.Network/networkWatchers/flowLogs/delete", None, true),
        c("AZ-ACT-008", "Microsoft.Network/networkWatchers/write", None, false),
        c("AZ-ACT-009", "Microsoft.Security/pricings/write", Some(json!({"properties": {"pricingTier": "Free"}})), true),
        c("AZ-ACT-009", "Microsoft.Security/pricings/write", Some(json!({"properties": {"pricingTier": "Standard"}})), false),
        c("AZ-ACT-047", "Microsoft.Security/securitySolutions/delete", None, true),
        c("AZ-ACT-047", "Microsoft.Security/securitySolutions/read", None, false),
        c("AZ-ACT-010", "Microsoft.Security/alertsSuppressionRules/write", None, true),
        c("AZ-ACT-010", "Microsoft.Security/alerts/read", None, false),
        c("AZ-ACT-042", "Microsoft.ADHybridHealthService/services/delete", None, true),
        c("AZ-ACT-042", "Microsoft.ADHybridHealthService/services/read", None, false),
        c("AZ-ACT-011", nsgop, Some(nsg(json!("3389"), json!("*"), "Allow")), true),
        c("AZ-ACT-011", nsgop, Some(nsg(json!("3000-4000"), json!("Internet"), "Allow")), true),
        c("AZ-ACT-011", nsgop, Some(nsg(json!(["22", "443"]), json!("0.0.0.0/0"), "Allow")), true),
        c("AZ-ACT-011", nsgop, Some(nsg(json!("*"), json!(["10.0.0.1", "::/0"]), "Allow")), true),
        c("AZ-ACT-011", nsgop, Some(nsg(json!("443"), json!("*"), "Allow")), false),
        c("AZ-ACT-011", nsgop, Some(nsg(json!("3389"), json!("*"), "Deny")), false),
        c("AZ-ACT-011", nsgop, Some(nsg(json!("22"), json!("10.0.0.0/8"), "Allow")), false),
        c("AZ-ACT-011", "Microsoft.Network/networkSecurityGroups/write",
            Some(json!({"properties": {"securityRules": [{"name": "ssh", "properties": {"access": "Allow", "direction": "Inbound", "sourceAddressPrefix": "Any", "destinationPortRange": "22"}}]}})), true),
        c("AZ-ACT-048", nsgop, Some(nsg(json!("1433"), json!("Internet"), "Allow")), true),
        c("AZ-ACT-048", nsgop, Some(nsg(json!("1433"), json!("VirtualNetwork"), "Allow")), false),
        c("AZ-ACT-012", "Microsoft.Network/networkSecurityGroups/delete", None, true),
        c("AZ-ACT-012", "Microsoft.Network/networkSecurityGroups/read", None, false),
        c("AZ-ACT-013", "Microsoft.Network/azureFirewalls/delete", None, true),
        c("AZ-ACT-013", "Microsoft.Network/azureFirewalls/read", None, false),
        c("AZ-ACT-014", "Microsoft.Sql/servers/firewallRules/write", Some(json!({"properties": {"startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"}})), true),
        c("AZ-ACT-014", "Microsoft.Sql/servers/firewallRules/write", Some(json!({"properties": {"startIpAddress": "10.0.0.1", "endIpAddress": "10.0.0.2"}})), false),
        c("AZ-ACT-015", "Microsoft.Storage/storageAccounts/write", Some(json!({"properties": {"allowBlobPublicAccess": true}})), true),
        c("AZ-ACT-015", "Microsoft.Storage/storageAccounts/write", Some(json!({"properties": {"allowBlobPublicAccess": false}})), false),
        c("AZ-ACT-016", "Microsoft.Storage/storageAccounts/listKeys/action", None, true),
        c("AZ-ACT-016", "Microsoft.Storage/storageAccounts/read", None, false),
        c("AZ-ACT-017", "Microsoft.Storage/storageAccounts/regenerateKey/action", Some(json!({"keyName": "key1"})), true),
        Case { status: "failed", ..c("AZ-ACT-017", "Microsoft.Storage/storageAccounts/regenerateKey/action", None, false) },
        c("AZ-ACT-018", "Microsoft.Compute/disks/beginGetAccess/action", None, true),
        c("AZ-ACT-018", "Microsoft.Compute/disks/write", None, false),
        c("AZ-ACT-019", "Microsoft.Compute/snapshots/write", None, true),
        c("AZ-ACT-019", "Microsoft.Compute/snapshots/read", None, false),
        c("AZ-ACT-020", "Microsoft.KeyVault/vaults/secrets/getSecret/action", None, true),
        c("AZ-ACT-020", "Microsoft.KeyVault/vaults/read", None, false),
        c("AZ-ACT-021", "Microsoft.KeyVault/vaults/accessPolicies/write", Some(json!({"properties": {"accessPolicies": [{"objectId": "x", "permissions": {"secrets": ["get", "list"]}}]}})), true),
        c("AZ-ACT-021", "Microsoft.KeyVault/vaults/accessPolicies/write", Some(json!({"properties": {"accessPolicies": [{"objectId": "x", "permissions": {"secrets": ["set"]}}]}})), false),
        c("AZ-ACT-022", "Microsoft.KeyVault/vaults/delete", None, true),
        c("AZ-ACT-022", "Microsoft.KeyVault/vaults/write", None, false),
        c("AZ-ACT-035", "Microsoft.Web/sites/config/list/action", None, true),
        c("AZ-ACT-035", "Microsoft.Web/sites/write", None, false),
        c("AZ-ACT-037", "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", None, true),
        c("AZ-ACT-037", "Microsoft.ContainerService/managedClusters/write", None, false),
        c("AZ-ACT-023", "Microsoft.Compute/virtualMachines/runCommand/action", Some(json!({"commandId": "RunShellScript", "script": ["curl x | sh"]})), true),
        c("AZ-ACT-023", "Microsoft.Compute/virtualMachines/start/action", None, false),
        c("AZ-ACT-024", "Microsoft.Compute/virtualMachines/extensions/write", Some(json!({"properties": {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript"}})), true),
        c("AZ-ACT-024", "Microsoft.Compute/virtualMachines/extensions/write", Some(json!({"properties": {"publisher": "Microsoft.EnterpriseCloud.Monitoring", "type": "MicrosoftMonitoringAgent"}})), false),
        c("AZ-ACT-049", "Microsoft.Compute/virtualMachines/extensions/write", Some(json!({"properties": {"type": "VMAccessForLinux"}})), true),
        c("AZ-ACT-049", "Microsoft.Compute/virtualMachines/extensions/write", Some(json!({"properties": {"type": "CustomScript"}})), false),
        c("AZ-ACT-025", "Microsoft.SerialConsole/serialPorts/connect/action", None, true),
        c("AZ-ACT-025", "Microsoft.Compute/virtualMachines/read", None, false),
        c("AZ-ACT-026", "Microsoft.Compute/virtualMachines/write", Some(json!({"properties": {"hardwareProfile": {"vmSize": "Standard_NC24ads_A100_v4"}}})), true),
        c("AZ-ACT-026", "Microsoft.Compute/virtualMachineScaleSets/write", Some(json!({"sku": {"name": "Standard_F72s_v2", "capacity": 10}})), true),
        c("AZ-ACT-026", "Microsoft.Compute/virtualMachines/write", Some(json!({"properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}}})), false),
        c("AZ-ACT-027", "Microsoft.Compute/virtualMachines/write", Some(json!({"properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}}})), true),
        c("AZ-ACT-027", "Microsoft.Compute/virtualMachines/write", Some(json!({"properties": {"hardwareProfile": {"vmSize": "Standard_ND96asr_v4"}}})), false),
        c("AZ-ACT-034", "Microsoft.Automation/automationAccounts/webhooks/write", None, true),
        c("AZ-ACT-034", "Microsoft.Automation/automationAccounts/read", None, false),
        c("AZ-ACT-052", "Microsoft.Web/sites/hostruntime/host/action", None, true),
        c("AZ-ACT-052", "Microsoft.Web/sites/read", None, false),
        c("AZ-ACT-036", "Microsoft.Portal/consoles/write", None, true),
        c("AZ-ACT-036", "Microsoft.Portal/dashboards/write", None, false),
        c("AZ-ACT-038", "Microsoft.Network/networkWatchers/packetCaptures/write", None, true),
        c("AZ-ACT-038", "Microsoft.Network/networkWatchers/write", None, false),
        c("AZ-ACT-030", "Microsoft.Resources/subscriptions/resourceGroups/delete", None, true),
        c("AZ-ACT-030", "Microsoft.Resources/subscriptions/resourceGroups/write", None, false),
        c("AZ-ACT-031", "Microsoft.Compute/restorePointCollections/delete", None, true),
        c("AZ-ACT-031", "Microsoft.Compute/restorePointCollections/write", None, false),
        c("AZ-ACT-050", "Microsoft.Storage/storageAccounts/blobServices/write", Some(json!({"properties": {"deleteRetentionPolicy": {"enabled": false}}})), true),
        c("AZ-ACT-050", "Microsoft.Storage/storageAccounts/blobServices/write", Some(json!({"properties": {"deleteRetentionPolicy": {"enabled": true, "days": 7}}})), false),
        c("AZ-ACT-051", "Microsoft.Storage/storageAccounts/managementPolicies/write", None, true),
        c("AZ-ACT-051", "Microsoft.Storage/storageAccounts/managementPolicies/read", None, false),
        c("AZ-ACT-032", "Microsoft.Subscription/updateTenant/action", None, true),
        c("AZ-ACT-032", "Microsoft.Subscription/cancel/action", None, false),
        c("AZ-ACT-053", "Microsoft.Management/managementGroups/write", None, true),
        c("AZ-ACT-053", "Microsoft.Management/managementGroups/read", None, false),
    ]
}

#[test]
fn every_activity_rule_fires_and_does_not_fire() {
    let mut fired = BTreeSet::new();
    let mut missed = BTreeSet::new();
    for (i, k) in activity_cases().into_iter().enumerate() {
        let hits = one(
            k.op,
            k.status,
            k.body.clone(),
            k.amr,
            &format!("{SUB}/resourceGroups/rg/providers/x/y/r{i}"),
        );
        let got = hits.iter().any(|(r, _)| r == k.rule);
        assert_eq!(
            got, k.fires,
            "case {i}: {} on {} body {:?}: hits {:?}",
            k.rule, k.op, k.body, hits
        );
        if k.fires {
            fired.insert(k.rule);
        } else {
            missed.insert(k.rule);
        }
    }
    for r in pack().rules.iter().filter(|r| r.source == Source::Activity) {
        assert!(fired.contains(r.id.as_str()), "no firing case for {}", r.id);
        assert!(
            missed.contains(r.id.as_str()),
            "no non-firing case for {}",
            r.id
        );
    }
}

/// Trimming events for analysis (what `investigate` does once case.sqlite holds them whole)
/// changes no finding and no detection.
#[test]
fn trimmed_events_give_the_same_findings_and_detections() {
    let events: Vec<ActivityEvent> = activity_cases()
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            // Claims analysis never reads, and (every fifth event) only such claims.
            let mut claims = json!({"aio": "opaque", "name": "Mallory", "nbf": "1772359200"});
            if i % 5 != 0 {
                claims
                    .as_object_mut()
                    .unwrap()
                    .extend(user_claims(k.amr).as_object().unwrap().clone());
            }
            let mut e = event(
                i,
                &format!("2026-03-01T10:{:02}:00Z", i % 60),
                k.op,
                k.status,
                k.body.clone(),
                claims,
                &format!("{SUB}/resourceGroups/rg/providers/x/y/r{i}"),
            );
            e.properties.insert("Message".into(), json!(k.op));
            e.properties.insert("statusCode".into(), json!("Created"));
            e.properties.insert("entity".into(), json!(SUB));
            e.description = Some("described".into());
            e.notes.push("a reader note".into());
            e
        })
        .collect();
    let mut trimmed = events.clone();
    trimmed
        .iter_mut()
        .for_each(tokentrail_analyze::slim::for_analysis);
    assert!(trimmed.iter().all(|e| e.property("entity").is_none()
        && e.claims.get("nbf").is_none()
        && (e.claims.get("oid").is_some() || e.claims.len() == 1)));
    let (full, full_hits) = run_events(events, vec![]);
    let (slim, slim_hits) = run_events(trimmed, vec![]);
    assert_eq!(
        serde_json::to_string(&full.findings).unwrap(),
        serde_json::to_string(&slim.findings).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&full_hits).unwrap(),
        serde_json::to_string(&slim_hits).unwrap()
    );
    assert!(!full_hits.is_empty());
}

#[test]
fn every_produced_fact_is_in_the_catalog() {
    let evs: Vec<ActivityEvent> = activity_cases()
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            event(
                i,
                "2026-03-01T10:00:00Z",
                k.op,
                k.status,
                k.body,
                user_claims(k.amr),
                &format!("r{i}"),
            )
        })
        .collect();
    let a = attribute(evs, vec![]);
    let (ops, _, _) = detect::views(&a, &Extra::default());
    for v in &ops {
        for k in v.facts.keys() {
            assert!(
                detect::catalog::ACTIVITY.contains(&k.as_ref()),
                "{k} missing from catalog::ACTIVITY"
            );
        }
    }
    let f = records::audit_view_json(&audit(
        "Add member to role",
        json!({"targetResources": [{"id": "x", "type": "User",
        "modifiedProperties": [{"displayName": "Role.TemplateId", "newValue": "\"x\""}, {"displayName": "Role.DisplayName", "newValue": "\"y\""}]}],
        "initiatedBy": {"app": {"appId": "a", "displayName": "d", "servicePrincipalId": "s"}}, "loggedByService": "PIM", "operationType": "Assign", "id": "i", "identity": "MS-PIM"}),
    ));
    for k in f.keys() {
        assert!(
            detect::catalog::AUDIT.contains(&k.as_ref()),
            "{k} missing from catalog::AUDIT"
        );
    }
    let f = records::signin_view(&SignInFacts {
        authn: std::sync::Arc::new(Authn {
            mfa: Some(true),
            error_code: Some("50126".into()),
            result_description: Some("Invalid username or password".into()),
            authentication_protocol: Some("deviceCode".into()),
            original_transfer_method: Some("deviceCodeFlow".into()),
            resource_display_name: Some("Windows Azure Service Management API".into()),
            risk_state: Some("atRisk".into()),
            risk_event_types: vec!["unfamiliarFeatures".into()],
            device_compliant: Some(false),
            device_trust_type: Some("Azure AD joined".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    for k in f.keys() {
        assert!(
            detect::catalog::SIGNIN.contains(&k.as_ref()),
            "{k} missing from catalog::SIGNIN"
        );
    }
}

#[test]
fn pim_activation_then_sensitive_change() {
    let (a, base) = run_events(
        vec![event(
            1,
            "2026-03-01T11:00:00Z",
            "Microsoft.Authorization/locks/delete",
            "succeeded",
            None,
            user_claims("pwd,mfa"),
            "x",
        )],
        vec![],
    );
    let (ops, _, _) = detect::views(&a, &Extra::default());
    let pim = view(
        "audit",
        "pim-1",
        "2026-03-01T10:30:00Z",
        records::audit_view_json(&audit(
            "Add member to role completed (PIM activation)",
            json!({}),
        )),
    );
    let hits = chains::run(&pack(), &ops, std::slice::from_ref(&pim), &[], &base);
    let h = hits
        .iter()
        .find(|h| h.rule == "AZ-COR-003")
        .expect("pim chain");
    assert!(
        h.attack.contains(&"T1548.005".to_string()) && h.attack.contains(&"T1490".to_string()),
        "{:?}",
        h.attack
    );
    let late = view("audit", "pim-2", "2026-03-01T11:30:00Z", pim.facts.clone());
    assert!(chains::run(&pack(), &ops, &[late], &[], &base)
        .iter()
        .all(|h| h.rule != "AZ-COR-003"));
}

#[test]
fn severities_and_escalations() {
    let sev = |hits: &[(String, Severity)], r: &str| hits.iter().find(|h| h.0 == r).map(|h| h.1);
    let h = one(
        "Microsoft.Authorization/roleAssignments/write",
        "succeeded",
        Some(role(OWNER, "/")),
        "pwd,mfa",
        "/providers/Microsoft.Authorization/roleAssignments/a",
    );
    assert_eq!(sev(&h, "AZ-ACT-001"), Some(Severity::Critical));
    let h = one(
        "Microsoft.Authorization/roleAssignments/write",
        "succeeded",
        Some(role(
            OWNER,
            "/providers/Microsoft.Management/managementGroups/mg",
        )),
        "pwd,mfa",
        "x",
    );
    assert_eq!(sev(&h, "AZ-ACT-001"), Some(Severity::Critical));
    let h = one(
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
        "succeeded",
        Some(nsg(json!("*"), json!("*"), "Allow")),
        "pwd,mfa",
        "x",
    );
    assert_eq!(sev(&h, "AZ-ACT-011"), Some(Severity::Critical));
    let h = one(
        "Microsoft.KeyVault/locations/deletedVaults/purge/action",
        "succeeded",
        None,
        "pwd,mfa",
        "x",
    );
    assert_eq!(sev(&h, "AZ-ACT-022"), Some(Severity::Critical));
    // A single-factor token on a privileged change: AZ-ACT-040 and AZ-COR-001 (high raised to critical).
    let h = one(
        "Microsoft.Authorization/roleAssignments/write",
        "succeeded",
        Some(role(OWNER, SUB)),
        "pwd",
        "x",
    );
    assert_eq!(sev(&h, "AZ-ACT-040"), Some(Severity::High));
    assert_eq!(sev(&h, "AZ-COR-001"), Some(Severity::Critical));
}

#[test]
fn detections_are_attached_to_findings_with_evidence() {
    let (a, hits) = run_events(
        vec![event(
            1,
            "2026-03-01T10:00:00Z",
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            "succeeded",
            Some(nsg(json!(["22", "443"]), json!("Internet"), "Allow")),
            user_claims("pwd,mfa"),
            "x",
        )],
        vec![],
    );
    let f = &a.findings[0];
    let d = f
        .detections
        .iter()
        .find(|d| d.rule == "AZ-ACT-011")
        .unwrap();
    assert_eq!(d.attack, vec!["T1562.007".to_string()]);
    assert_eq!(d.severity, "high");
    let h = hits.iter().find(|h| h.rule == "AZ-ACT-011").unwrap();
    assert_eq!(h.matched["nsg.exposed"], json!(true));
    assert_eq!(h.evidence["nsg.exposed_admin_ports"], json!([22]));
    assert!(h.evidence.get("nsg.exposing_rules").is_some());
    let line = serde_json::to_value(h).unwrap();
    assert_eq!(line["subject"]["kind"], json!("operation"));
    assert_eq!(line["attack_version"], json!("18.1"));
}

#[test]
fn platform_noise_is_never_high() {
    let policy = json!({"appid": "1d78a85d-813d-46f0-b496-dd72f50a3ec0", "idtyp": "app", "oid": "0f0f0f0f-0000-0000-0000-000000000001"});
    let backup = json!({"appid": "262044b1-e2ce-469f-a196-69ab7ada62d3", "idtyp": "app", "oid": "0f0f0f0f-0000-0000-0000-000000000002", "appidacr": "2"});
    let evs = vec![
        event(
            1,
            "2026-03-01T10:00:00Z",
            "Microsoft.Insights/diagnosticSettings/delete",
            "succeeded",
            None,
            policy.clone(),
            "x1",
        ),
        event(
            2,
            "2026-03-01T10:01:00Z",
            "Microsoft.Authorization/locks/delete",
            "succeeded",
            None,
            policy,
            "x2",
        ),
    ];
    let mut evs2: Vec<ActivityEvent> = (0..6)
        .map(|i| {
            event(
                10 + i,
                &format!("2026-03-01T11:0{i}:00Z"),
                "Microsoft.Compute/restorePointCollections/restorePoints/delete",
                "succeeded",
                None,
                backup.clone(),
                &format!("rp{i}"),
            )
        })
        .collect();
    evs2.extend(evs);
    let (_, hits) = run_events(evs2, vec![]);
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(
            h.severity <= Severity::Low,
            "{} {:?} {:?}",
            h.rule,
            h.severity,
            h.notes
        );
    }
    // Managed-identity certificate rotation in the audit log.
    let p = pack();
    let f = records::audit_view_json(
        &json!({"activityDisplayName": "Add service principal credentials", "result": "success",
        "initiatedBy": {"app": {"displayName": "Managed Service Identity", "servicePrincipalId": "b9814691"}},
        "targetResources": [{"id": "a7d5dcbe", "type": "ServicePrincipal"}]}),
    );
    let d = p
        .rules
        .iter()
        .filter(|r| r.source == Source::Audit)
        .filter_map(|r| eval_rule(r, &f, &p))
        .collect::<Vec<_>>();
    assert!(
        !d.is_empty() && d.iter().all(|d| d.severity <= Severity::Low),
        "{d:?}"
    );
}

fn audit_hits(raw: Value) -> Vec<(String, Severity)> {
    let p = pack();
    let f = records::audit_view_json(&raw);
    p.rules
        .iter()
        .filter(|r| r.source == Source::Audit)
        .filter_map(|r| eval_rule(r, &f, &p))
        .map(|d| (d.rule, d.severity))
        .collect()
}

fn audit(act: &str, extra: Value) -> Value {
    let mut v = json!({"activityDisplayName": act, "result": "success", "category": "Test",
        "initiatedBy": {"user": {"userPrincipalName": "mallory@contoso.example", "ipAddress": "198.51.100.7"}}});
    if let Value::Object(m) = extra {
        for (k, x) in m {
            v[k] = x;
        }
    }
    v
}

#[test]
fn every_audit_rule_fires_and_does_not_fire() {
    let sp_target = json!({"targetResources": [{"id": "sp-1", "type": "ServicePrincipal"}]});
    let user_target = json!({"targetResources": [{"id": "u-1", "type": "User"}]});
    let fed = json!({"targetResources": [{"id": "app-1", "type": "Application", "modifiedProperties": [{"displayName": "FederatedIdentityCredentials", "newValue": "[]"}]}]});
    let ga = json!({"targetResources": [{"id": "u-1", "type": "User", "modifiedProperties": [{"displayName": "Role.DisplayName", "newValue": "\"Global Administrator\""}]}]});
    let cases: Vec<(&str, Value, bool)> = vec![
        ("AZ-AUD-001", audit("Add member to role", user_target.clone()), true),
        ("AZ-AUD-001", audit("Add member to group", user_target.clone()), false),
        ("AZ-AUD-002", audit("Add app role assignment to service principal", sp_target.clone()), true),
        ("AZ-AUD-002", audit("Add member to role", sp_target.clone()), true),
        ("AZ-AUD-002", audit("Add member to role", user_target.clone()), false),
        ("AZ-AUD-003", audit("Add member to role completed (PIM activation)", json!({})), true),
        ("AZ-AUD-003", audit("Add member to role", json!({})), false),
        ("AZ-AUD-004", audit("Update role setting in PIM", json!({})), true),
        ("AZ-AUD-004", audit("Update role", json!({})), false),
        ("AZ-AUD-005", audit("Update application \u{2013} Certificates and secrets management ", json!({})), true),
        ("AZ-AUD-005", audit("Add service principal credentials", sp_target.clone()), true),
        ("AZ-AUD-005", audit("Remove service principal credentials", sp_target.clone()), false),
        ("AZ-AUD-006", audit("Update application", fed.clone()), true),
        ("AZ-AUD-006", audit("Update application", json!({})), false),
        ("AZ-AUD-007", audit("Consent to application.", json!({})), true),
        ("AZ-AUD-007", audit("Revoke consent", json!({})), false),
        ("AZ-AUD-008", audit("Add owner to application", json!({})), true),
        ("AZ-AUD-008", audit("Remove owner from application", json!({})), false),
        ("AZ-AUD-009", audit("Add service principal", json!({})), true),
        ("AZ-AUD-009", audit("Add service principal", json!({"initiatedBy": {"app": {"displayName": "Managed Service Identity"}}})), false),
        ("AZ-AUD-010", audit("Set domain authentication", json!({})), true),
        ("AZ-AUD-010", audit("Update domain", json!({})), false),
        ("AZ-AUD-015", audit("Verify domain", json!({})), true),
        ("AZ-AUD-015", audit("Delete domain", json!({})), false),
        ("AZ-AUD-011", audit("Delete conditional access policy", json!({})), true),
        ("AZ-AUD-011", audit("Add conditional access policy", json!({})), false),
        ("AZ-AUD-012", audit("Disable Strong Authentication", json!({})), true),
        ("AZ-AUD-012", audit("User registered security info", json!({})), false),
        ("AZ-AUD-013", audit("Add user", json!({})), true),
        ("AZ-AUD-013", audit("Update user", json!({})), false),
        ("AZ-AUD-016", audit("Reset user password", json!({})), true),
        ("AZ-AUD-016", audit("Change user password", json!({})), false),
        ("AZ-AUD-014", audit("User has elevated their access to User Access Administrator for their Azure Resources", json!({})), true),
        ("AZ-AUD-014", audit("User has elevated their access to User Access Administrator for their Azure Resources", json!({"result": "failure"})), false),
    ];
    let mut fired = BTreeSet::new();
    for (i, (rule, raw, want)) in cases.into_iter().enumerate() {
        let hits = audit_hits(raw);
        assert_eq!(
            hits.iter().any(|h| h.0 == rule),
            want,
            "case {i} {rule}: {hits:?}"
        );
        if want {
            fired.insert(rule);
        }
    }
    for r in pack().rules.iter().filter(|r| r.source == Source::Audit) {
        assert!(fired.contains(r.id.as_str()), "no firing case for {}", r.id);
    }
    let h = audit_hits(audit("Add member to role", ga));
    assert!(
        h.contains(&("AZ-AUD-001".to_string(), Severity::Critical)),
        "{h:?}"
    );
}

fn signin_facts(f: SignInFacts, extra: Value) -> Facts {
    let mut facts = records::signin_view(&f);
    if let Value::Object(m) = extra {
        facts.extend(m.into_iter().map(|(k, v)| (k.into(), v)));
    }
    facts
}

#[test]
fn every_signin_rule_fires_and_does_not_fire() {
    let p = pack();
    let ok = || SignInFacts {
        success: true,
        kind: Some(Kind::Interactive),
        upn: Some("u@contoso.example".into()),
        ..Default::default()
    };
    // A successful single-factor sign-in of `kind` to Azure Resource Manager.
    let single_factor_to_arm = |kind| {
        signin_facts(
            SignInFacts {
                kind: Some(kind),
                resource_id: Some("797f4846-ba00-4fd7-ba43-dac1f8f63013".into()),
                authn: std::sync::Arc::new(Authn {
                    auth_requirement: Some("singleFactorAuthentication".into()),
                    ..Default::default()
                }),
                ..ok()
            },
            json!({}),
        )
    };
    let cases: Vec<(&str, Facts, bool)> = vec![
        (
            "AZ-SIG-002",
            signin_facts(ok(), json!({"risk_event_types": ["anonymizedIPAddress"]})),
            true,
        ),
        (
            "AZ-SIG-002",
            signin_facts(ok(), json!({"risk_event_types": ["unfamiliarFeatures"]})),
            false,
        ),
        (
            "AZ-SIG-003",
            signin_facts(
                SignInFacts {
                    authn: std::sync::Arc::new(Authn {
                        risk_level: Some("High".into()),
                        ..Default::default()
                    }),
                    ..ok()
                },
                json!({}),
            ),
            true,
        ),
        (
            "AZ-SIG-003",
            signin_facts(
                SignInFacts {
                    authn: std::sync::Arc::new(Authn {
                        risk_level: Some("high".into()),
                        ..Default::default()
                    }),
                    ..ok()
                },
                json!({"risk_state": "remediated"}),
            ),
            false,
        ),
        (
            "AZ-SIG-003",
            signin_facts(
                SignInFacts {
                    authn: std::sync::Arc::new(Authn {
                        risk_level: Some("low".into()),
                        ..Default::default()
                    }),
                    ..ok()
                },
                json!({}),
            ),
            false,
        ),
        (
            "AZ-SIG-011",
            signin_facts(ok(), json!({"risk_event_types": ["tokenIssuerAnomaly"]})),
            true,
        ),
        ("AZ-SIG-011", signin_facts(ok(), json!({})), false),
        (
            "AZ-SIG-004",
            signin_facts(
                SignInFacts {
                    app_id: Some("c44b4083-3bb0-49c1-b47d-974e53cbdf3c".into()),
                    authn: std::sync::Arc::new(Authn {
                        auth_requirement: Some("singleFactorAuthentication".into()),
                        ..Default::default()
                    }),
                    ..ok()
                },
                json!({}),
            ),
            true,
        ),
        // Workload identities sign in with one factor by nature: not this rule's subject.
        (
            "AZ-SIG-004",
            single_factor_to_arm(Kind::ServicePrincipal),
            false,
        ),
        (
            "AZ-SIG-004",
            single_factor_to_arm(Kind::ManagedIdentity),
            false,
        ),
        (
            "AZ-SIG-004",
            single_factor_to_arm(Kind::NonInteractive),
            true,
        ),
        (
            "AZ-SIG-004",
            signin_facts(
                SignInFacts {
                    app_id: Some("c44b4083-3bb0-49c1-b47d-974e53cbdf3c".into()),
                    authn: std::sync::Arc::new(Authn {
                        auth_requirement: Some("multiFactorAuthentication".into()),
                        mfa: Some(true),
                        ..Default::default()
                    }),
                    ..ok()
                },
                json!({}),
            ),
            false,
        ),
        (
            "AZ-SIG-005",
            signin_facts(
                SignInFacts {
                    authn: std::sync::Arc::new(Authn {
                        client_app_used: Some("IMAP4".into()),
                        ..Default::default()
                    }),
                    ..ok()
                },
                json!({}),
            ),
            true,
        ),
        (
            "AZ-SIG-005",
            signin_facts(
                SignInFacts {
                    user_agent: Some("BAV2ROPC".into()),
                    ..ok()
                },
                json!({}),
            ),
            true,
        ),
        (
            "AZ-SIG-005",
            signin_facts(
                SignInFacts {
                    authn: std::sync::Arc::new(Authn {
                        client_app_used: Some("Browser".into()),
                        ..Default::default()
                    }),
                    ..ok()
                },
                json!({}),
            ),
            false,
        ),
        (
            "AZ-SIG-006",
            signin_facts(ok(), json!({"authentication_protocol": "deviceCode"})),
            true,
        ),
        (
            "AZ-SIG-006",
            signin_facts(ok(), json!({"authentication_protocol": "none"})),
            false,
        ),
        (
            "AZ-SIG-010",
            signin_facts(
                SignInFacts {
                    user_agent: Some("azurehound/2.1".into()),
                    ..ok()
                },
                json!({}),
            ),
            true,
        ),
        (
            "AZ-SIG-010",
            signin_facts(
                SignInFacts {
                    user_agent: Some("Mozilla/5.0".into()),
                    ..ok()
                },
                json!({}),
            ),
            false,
        ),
        (
            "AZ-SIG-012",
            signin_facts(
                SignInFacts {
                    success: false,
                    ..ok()
                },
                json!({"error_code": "50053"}),
            ),
            true,
        ),
        (
            "AZ-SIG-012",
            signin_facts(
                SignInFacts {
                    success: false,
                    ..ok()
                },
                json!({"error_code": "50126"}),
            ),
            false,
        ),
    ];
    let mut fired = BTreeSet::new();
    for (i, (rule, facts, want)) in cases.into_iter().enumerate() {
        let hits: Vec<String> = p
            .rules
            .iter()
            .filter(|r| r.source == Source::Signin)
            .filter_map(|r| eval_rule(r, &facts, &p))
            .map(|d| d.rule)
            .collect();
        assert_eq!(
            hits.iter().any(|h| h == rule),
            want,
            "case {i} {rule}: {hits:?}"
        );
        if want {
            fired.insert(rule);
        }
    }
    for r in p.rules.iter().filter(|r| r.source == Source::Signin) {
        assert!(fired.contains(r.id.as_str()), "no firing case for {}", r.id);
    }
}

fn rules_of(hits: &[Detection], rule: &str) -> usize {
    hits.iter().filter(|h| h.rule == rule).count()
}

#[test]
fn mass_deletion_correlator() {
    let dels = |n: usize, step_min: usize| -> Vec<ActivityEvent> {
        (0..n)
            .map(|i| {
                event(
                    i,
                    &format!(
                        "2026-03-01T{:02}:{:02}:00Z",
                        10 + i * step_min / 60,
                        i * step_min % 60
                    ),
                    "Microsoft.Compute/disks/delete",
                    "succeeded",
                    None,
                    user_claims("pwd,mfa"),
                    &format!("d{i}"),
                )
            })
            .collect()
    };
    let (_, hits) = run_events(dels(5, 5), vec![]);
    assert_eq!(rules_of(&hits, "AZ-ACT-029"), 5);
    assert!(hits
        .iter()
        .filter(|h| h.rule == "AZ-ACT-029")
        .all(|h| h.attack == vec!["T1485".to_string()]));
    let (_, hits) = run_events(dels(4, 5), vec![]);
    assert_eq!(rules_of(&hits, "AZ-ACT-029"), 0);
    let (_, hits) = run_events(dels(5, 16), vec![]);
    assert_eq!(
        rules_of(&hits, "AZ-ACT-029"),
        0,
        "five deletes spread over 64 minutes"
    );
}

#[test]
fn list_keys_then_regenerate_key_correlator() {
    let acct = format!("{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1");
    let evs = vec![
        event(
            1,
            "2026-03-01T10:00:00Z",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "succeeded",
            None,
            user_claims("pwd,mfa"),
            &acct,
        ),
        event(
            2,
            "2026-03-01T10:05:00Z",
            "Microsoft.Storage/storageAccounts/regenerateKey/action",
            "succeeded",
            Some(json!({"keyName": "key1"})),
            user_claims("pwd,mfa"),
            &acct,
        ),
    ];
    let (a, hits) = run_events(evs, vec![]);
    assert_eq!(rules_of(&hits, "AZ-COR-005"), 1);
    assert!(a.findings[1]
        .detections
        .iter()
        .any(|d| d.rule == "AZ-COR-005"));
    let mut other = user_claims("pwd,mfa");
    other["oid"] = json!("99999999-0000-0000-0000-000000000009");
    other["upn"] = json!("bob@contoso.example");
    let evs = vec![
        event(
            1,
            "2026-03-01T10:00:00Z",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "succeeded",
            None,
            other,
            &acct,
        ),
        event(
            2,
            "2026-03-01T10:05:00Z",
            "Microsoft.Storage/storageAccounts/regenerateKey/action",
            "succeeded",
            None,
            user_claims("pwd,mfa"),
            &acct,
        ),
    ];
    let (_, hits) = run_events(evs, vec![]);
    assert_eq!(rules_of(&hits, "AZ-COR-005"), 0);
}

#[test]
fn elevation_then_sensitive_change_correlator() {
    let go = |later: &str| {
        run_events(
            vec![
                event(
                    1,
                    "2026-03-01T10:00:00Z",
                    "Microsoft.Authorization/elevateAccess/action",
                    "succeeded",
                    None,
                    user_claims("pwd,mfa"),
                    "/providers/Microsoft.Authorization",
                ),
                event(
                    2,
                    later,
                    "Microsoft.Authorization/roleAssignments/write",
                    "succeeded",
                    Some(role(OWNER, "/")),
                    user_claims("pwd,mfa"),
                    "/providers/Microsoft.Authorization/roleAssignments/r",
                ),
            ],
            vec![],
        )
        .1
    };
    let hits = go("2026-03-01T11:00:00Z");
    let h = hits.iter().find(|h| h.rule == "AZ-COR-003").unwrap();
    assert_eq!(h.severity, Severity::Critical);
    assert!(
        h.attack.contains(&"T1548.005".to_string()) && h.attack.contains(&"T1098.003".to_string())
    );
    assert_eq!(rules_of(&go("2026-03-01T20:00:00Z"), "AZ-COR-003"), 0);
}

fn view(kind: &'static str, id: &str, time: &str, facts: Facts) -> View {
    View {
        subject: Subject {
            kind,
            id: id.into(),
            name: id.into(),
            time: time.into(),
            identity: None,
            resource_id: None,
        },
        facts,
        op: None,
    }
}

#[test]
fn sp_credential_then_new_ip_then_activity_correlator() {
    let app = "a1a1a1a1-0000-0000-0000-00000000000a";
    let sp_oid = "5p5p5p5p-0000-0000-0000-00000000000b";
    let sp_claims = json!({"oid": sp_oid, "appid": app, "idtyp": "app", "appidacr": "1"});
    let (a, _) = run_events(
        vec![event(
            1,
            "2026-03-02T09:00:00Z",
            "Microsoft.Compute/virtualMachines/runCommand/action",
            "succeeded",
            None,
            sp_claims,
            "vm",
        )],
        vec![],
    );
    let (ops, _, _) = detect::views(&a, &Extra::default());
    let p = pack();
    let base: Vec<Detection> = Vec::new();
    let cred = view(
        "audit",
        "aud-1",
        "2026-03-01T12:00:00Z",
        records::audit_view_json(&json!({
        "activityDisplayName": "Add service principal credentials", "result": "success",
        "initiatedBy": {"user": {"userPrincipalName": "mallory@contoso.example"}},
        "targetResources": [{"id": sp_oid, "type": "ServicePrincipal", "displayName": "billing-sync"}]})),
    );
    let sp_signin = |id: &str, at: &str, ip: &str| {
        let s = SignInFacts {
            id: id.into(),
            success: true,
            kind: Some(Kind::ServicePrincipal),
            app_id: Some(app.into()),
            object_id: Some(sp_oid.into()),
            ip: Some(ip.into()),
            ..Default::default()
        };
        view("signin", id, at, records::signin_view(&s))
    };
    let old = sp_signin("si-0", "2026-02-20T08:00:00Z", "203.0.113.1");
    let new = sp_signin("si-1", "2026-03-02T08:30:00Z", "192.0.2.66");
    let hits = chains::run(
        &p,
        &ops,
        std::slice::from_ref(&cred),
        &[old.clone(), new],
        &base,
    );
    let h = hits.iter().find(|h| h.rule == "AZ-COR-002").expect("chain");
    assert_eq!(h.severity, Severity::Critical);
    assert!(
        h.notes.iter().any(|n| n.contains("192.0.2.66")),
        "{:?}",
        h.notes
    );
    // Only the known IP after the credential add: still linked by id, but high, not critical.
    let same = sp_signin("si-2", "2026-03-02T08:30:00Z", "203.0.113.1");
    let hits = chains::run(&p, &ops, std::slice::from_ref(&cred), &[old, same], &base);
    assert_eq!(
        hits.iter()
            .find(|h| h.rule == "AZ-COR-002")
            .unwrap()
            .severity,
        Severity::High
    );
    // No credential event: nothing.
    assert!(chains::run(&p, &ops, &[], &[], &base)
        .iter()
        .all(|h| h.rule != "AZ-COR-002"));
}

#[test]
fn weak_signin_new_location_correlator() {
    // The issuing sign-in is linked by token id; earlier sign-ins of the user came from elsewhere.
    let g = Guid::parse("0b0b0b0b-1111-2222-3333-444444444444").unwrap();
    let mut claims = user_claims("pwd,mfa");
    claims["uti"] = json!(g.to_uti());
    let s = |id: &str, at: &str, ip: &str, tok: Option<Guid>| SignInFacts {
        id: id.into(),
        request_guid: Guid::parse(id),
        token_guid: tok,
        time: Some(at.parse().unwrap()),
        kind: Some(Kind::Interactive),
        success: true,
        object_id: Some(USER_OID.into()),
        upn: Some("mallory@contoso.example".into()),
        ip: Some(ip.into()),
        authn: std::sync::Arc::new(Authn {
            mfa: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    let signins = vec![
        s(
            "0a0a0a0a-1111-2222-3333-444444444441",
            "2026-02-25T09:00:00Z",
            "203.0.113.10",
            None,
        ),
        s(
            "0b0b0b0b-1111-2222-3333-444444444444",
            "2026-03-01T09:55:00Z",
            "192.0.2.200",
            Some(g),
        ),
    ];
    let (a, hits) = run_events(
        vec![event(
            1,
            "2026-03-01T10:00:00Z",
            "Microsoft.Authorization/roleAssignments/write",
            "succeeded",
            Some(role(OWNER, SUB)),
            claims,
            "x",
        )],
        signins,
    );
    assert!(a.findings[0].sign_in.is_some(), "linked");
    let h = hits
        .iter()
        .find(|h| h.rule == "AZ-COR-001")
        .expect("new-location correlation");
    assert!(
        h.notes.iter().any(|n| n.contains("192.0.2.200")),
        "{:?}",
        h.notes
    );
}

#[test]
fn user_rule_directory_is_loaded_and_validated() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let p = RulePack::load(&[&dir]).unwrap();
    assert!(p.rules.iter().any(|r| r.id == "USER-001"));
    assert_ne!(p.sha256, pack().sha256);
    let tmp = std::env::temp_dir().join(format!("tt-bad-rules-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("bad.yaml"), "rules:\n- {id: BAD-1, name: b, title: t, source: activity, operations: [x], severity: high, attack: [{id: TX, name: n}]}\n").unwrap();
    let e = RulePack::load(&[&tmp]).unwrap_err().to_string();
    std::fs::remove_dir_all(&tmp).ok();
    assert!(
        e.contains("bad.yaml") && e.contains("rule BAD-1") && !e.contains('\n'),
        "{e}"
    );
}

fn own_sigma() -> (sigma::SigmaSet, sigma::SigmaReport) {
    sigma::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigma"))
        .unwrap()
}

#[test]
fn sigma_rules_written_for_tests() {
    let (set, rep) = own_sigma();
    assert_eq!(rep.files, 8);
    assert_eq!(rep.other, 1, "{rep:?}");
    assert_eq!(rep.evaluable, 5, "{rep:?}");
    assert_eq!(rep.by_reason.get("unmapped field"), Some(&1));
    assert_eq!(rep.by_reason.get("correlation rule"), Some(&1));
    assert_eq!(rep.by_reason.get("unsupported service"), Some(&1));
    let mut a = attribute(
        vec![
            event(
                1,
                "2026-03-01T10:00:00Z",
                "Microsoft.Network/networkSecurityGroups/securityRules/write",
                "succeeded",
                None,
                user_claims("pwd,mfa"),
                "x",
            ),
            event(
                2,
                "2026-03-01T10:01:00Z",
                "Microsoft.Authorization/locks/delete",
                "succeeded",
                None,
                user_claims("pwd,mfa"),
                "y",
            ),
            event(
                3,
                "2026-03-01T10:02:00Z",
                "Microsoft.Compute/virtualMachines/read",
                "succeeded",
                None,
                user_claims("pwd,mfa"),
                "z",
            ),
        ],
        vec![SignInFacts {
            id: "s1".into(),
            success: true,
            authn: std::sync::Arc::new(Authn {
                auth_requirement: Some("singleFactorAuthentication".into()),
                ..Default::default()
            }),
            ..Default::default()
        }],
    );
    let hits = detect::run(
        &pack(),
        &mut a,
        &Extra {
            sigma: Some(&set),
            ..Default::default()
        },
    );
    let sig: Vec<(&str, &str)> = hits
        .iter()
        .filter(|h| h.source == "sigma")
        .map(|h| (h.rule.as_str(), h.subject.id.as_str()))
        .collect();
    assert!(
        sig.contains(&("sigma:7b0f9d2e-0001-4c1a-9d7e-000000000001", "corr-1")),
        "{sig:?}"
    );
    assert!(
        sig.contains(&("sigma:7b0f9d2e-0002-4c1a-9d7e-000000000002", "corr-2")),
        "{sig:?}"
    );
    assert!(
        sig.contains(&("sigma:7b0f9d2e-0006-4c1a-9d7e-000000000006", "corr-2")),
        "{sig:?}"
    );
    assert!(
        sig.contains(&("sigma:7b0f9d2e-0004-4c1a-9d7e-000000000004", "s1")),
        "{sig:?}"
    );
    assert!(!sig.iter().any(|s| s.1 == "corr-3"), "{sig:?}");
    let nsg_hit = hits.iter().find(|h| h.rule.ends_with("0001")).unwrap();
    assert_eq!(nsg_hit.attack, vec!["T1562.007".to_string()]);
    assert!(a.findings[0]
        .detections
        .iter()
        .any(|d| d.rule.starts_with("sigma:")));
    // Audit: the view built from an audit record matches a properties.message rule.
    let cred = view(
        "audit",
        "aud-1",
        "2026-03-01T12:00:00Z",
        records::audit_view_json(&audit("Add service principal credentials", json!({}))),
    );
    let rem = view(
        "audit",
        "aud-2",
        "2026-03-01T12:00:00Z",
        records::audit_view_json(&audit("Remove service principal credentials", json!({}))),
    );
    let hits = sigma::run(&set, &pack(), &[], &[cred, rem], &[]);
    assert_eq!(
        hits.iter()
            .map(|h| h.subject.id.as_str())
            .collect::<Vec<_>>(),
        vec!["aud-1"]
    );
}

#[test]
fn sigma_conformance_over_upstream_rules() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigma/rules");
    if !dir.is_dir() {
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    let (set, rep) = sigma::load(&dir).unwrap();
    eprintln!(
        "sigma conformance: {} files, {} loaded, {} evaluable, reasons {:?}",
        rep.files, rep.loaded, rep.evaluable, rep.by_reason
    );
    for u in &rep.unevaluable {
        eprintln!(
            "  not evaluable: {} ({}): {}: {}",
            u.file, u.title, u.reason, u.detail
        );
    }
    assert!(rep.loaded >= 50, "{rep:?}");
    assert_eq!(rep.loaded, rep.evaluable + rep.unevaluable.len());
    assert!(
        rep.evaluable * 10 >= rep.loaded * 7,
        "at least 70% evaluable: {rep:?}"
    );
    // Evaluate everything over a few events of each kind: no panic, and the NSG write is caught.
    let mut a = attribute(
        vec![
            event(
                1,
                "2026-03-01T10:00:00Z",
                "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE",
                "succeeded",
                None,
                user_claims("pwd,mfa"),
                "x",
            ),
            event(
                2,
                "2026-03-01T10:01:00Z",
                "Microsoft.Authorization/elevateAccess/action",
                "succeeded",
                None,
                user_claims("pwd,mfa"),
                "y",
            ),
        ],
        vec![SignInFacts {
            id: "s1".into(),
            success: true,
            ..Default::default()
        }],
    );
    let audits: [tokentrail_model::AuditEvent; 1] = [serde_json::from_value(serde_json::json!({
        "id": "a1",
        "time": {"utc": "2026-03-01T10:00:00Z", "raw": "2026-03-01T10:00:00Z"},
        "activity": "Add service principal credentials",
        "activity_key": "add service principal credentials",
        "format": "test",
        "source": {"file": "t", "record": 0}
    }))
    .unwrap()];
    let hits = detect::run(
        &pack(),
        &mut a,
        &Extra {
            audit: &audits,
            sigma: Some(&set),
        },
    );
    let sig: Vec<&Detection> = hits.iter().filter(|h| h.source == "sigma").collect();
    assert!(
        sig.iter().any(|h| h.subject.id == "corr-1"),
        "{:?}",
        sig.iter()
            .map(|h| (&h.title, &h.subject.id))
            .collect::<Vec<_>>()
    );
}

#[test]
fn detection_output_is_deterministic() {
    let mk = || {
        let evs: Vec<ActivityEvent> = activity_cases()
            .into_iter()
            .enumerate()
            .map(|(i, k)| {
                event(
                    i,
                    &format!("2026-03-01T{:02}:{:02}:00Z", 10 + i / 60, i % 60),
                    k.op,
                    k.status,
                    k.body,
                    user_claims(k.amr),
                    &format!("r{i}"),
                )
            })
            .collect();
        let (_, hits) = run_events(evs, vec![]);
        serde_json::to_string(&hits).unwrap()
    };
    assert_eq!(mk(), mk());
}

/// The seed indicators of issue 5, each with the technique the scenario truth expects.
#[test]
fn seed_indicators_map_to_expected_techniques() {
    let gpu = json!({"properties": {"hardwareProfile": {"vmSize": "Standard_NC6s_v3"}}});
    let cases: Vec<(&str, Option<Value>, &str, &str)> = vec![
        (
            "Microsoft.Compute/virtualMachines/write",
            Some(gpu),
            "expensive_or_gpu_compute_created",
            "T1496.001",
        ),
        (
            "Microsoft.Storage/storageAccounts/listKeys/action",
            None,
            "storage_account_keys_listed",
            "T1552",
        ),
        (
            "Microsoft.Storage/storageAccounts/regenerateKey/action",
            None,
            "storage_account_key_regenerated",
            "T1098.001",
        ),
        (
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            Some(nsg(json!("22"), json!("*"), "Allow")),
            "nsg_admin_port_exposed_to_internet",
            "T1562.007",
        ),
        (
            "Microsoft.Authorization/locks/delete",
            None,
            "resource_lock_deleted",
            "T1490",
        ),
        (
            "Microsoft.Authorization/roleAssignments/write",
            Some(role(OWNER, SUB)),
            "rbac_privileged_role_assigned",
            "T1098.003",
        ),
        (
            "Microsoft.Authorization/policyAssignments/delete",
            None,
            "azure_policy_tampering",
            "T1562.001",
        ),
        (
            "Microsoft.Insights/diagnosticSettings/delete",
            None,
            "diagnostic_setting_deleted",
            "T1562.008",
        ),
        (
            "Microsoft.Compute/virtualMachines/runCommand/action",
            None,
            "vm_run_command",
            "T1651",
        ),
        (
            "Microsoft.Authorization/elevateAccess/action",
            None,
            "elevate_access_to_root",
            "T1098.003",
        ),
    ];
    for (op, body, name, tech) in cases {
        let (_, hits) = run_events(
            vec![event(
                1,
                "2026-03-01T10:00:00Z",
                op,
                "succeeded",
                body,
                user_claims("pwd,mfa"),
                "r",
            )],
            vec![],
        );
        let h = hits
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("{op}: no {name}"));
        assert!(h.attack.iter().any(|t| t == tech), "{op}: {:?}", h.attack);
        assert!(h.severity >= Severity::Medium, "{op}: {:?}", h.severity);
    }
}

#[test]
fn threshold_correlations_spray_guessing_mfa_and_failure_burst() {
    let p = pack();
    let fail = |i: usize, upn: &str, ip: &str, code: &str| {
        let s = SignInFacts {
            id: format!("f{i}").into(),
            success: false,
            upn: Some(upn.into()),
            ip: Some(ip.into()),
            kind: Some(Kind::Interactive),
            ..Default::default()
        };
        let mut f = records::signin_view(&s);
        f.insert("error_code".into(), json!(code));
        view(
            "signin",
            &format!("f{i}"),
            &format!("2026-03-01T10:{:02}:00Z", i % 60),
            f,
        )
    };
    let spray: Vec<View> = (0..5)
        .map(|i| fail(i, &format!("user{i}@contoso.example"), "192.0.2.9", "50126"))
        .collect();
    let hits = chains::run(&p, &[], &[], &spray, &[]);
    assert_eq!(rules_of(&hits, "AZ-SIG-008"), 5);
    assert_eq!(rules_of(&hits, "AZ-SIG-013"), 0);
    let hits = chains::run(&p, &[], &[], &spray[..4], &[]);
    assert_eq!(rules_of(&hits, "AZ-SIG-008"), 0);
    let guess: Vec<View> = (0..10)
        .map(|i| {
            fail(
                i,
                "victim@contoso.example",
                &format!("192.0.2.{i}"),
                "50126",
            )
        })
        .collect();
    let hits = chains::run(&p, &[], &[], &guess, &[]);
    assert_eq!(rules_of(&hits, "AZ-SIG-013"), 10);
    assert_eq!(rules_of(&hits, "AZ-SIG-008"), 0);
    let mfa: Vec<View> = (0..5)
        .map(|i| fail(i, "victim@contoso.example", "192.0.2.1", "500121"))
        .collect();
    let hits = chains::run(&p, &[], &[], &mfa, &[]);
    assert!(hits
        .iter()
        .any(|h| h.rule == "AZ-SIG-007" && h.attack == vec!["T1621".to_string()]));
    let probes: Vec<ActivityEvent> = (0..10)
        .map(|i| {
            event(
                i,
                &format!("2026-03-01T10:00:{:02}Z", i),
                "Microsoft.KeyVault/vaults/secrets/getSecret/action",
                "failed",
                None,
                user_claims("pwd,mfa"),
                &format!("v{i}"),
            )
        })
        .collect();
    let (_, hits) = run_events(probes.clone(), vec![]);
    assert_eq!(rules_of(&hits, "AZ-ACT-041"), 10);
    assert_eq!(
        rules_of(&hits, "AZ-ACT-020"),
        0,
        "failed reads are not reads"
    );
    let (_, hits) = run_events(probes[..9].to_vec(), vec![]);
    assert_eq!(rules_of(&hits, "AZ-ACT-041"), 0);
}

#[test]
fn threshold_params_are_validated() {
    let src = |params: &str| {
        RulePack::from_sources(&[("t.yaml".into(), format!("correlations:\n- {{id: T-1, name: t, title: t, kind: threshold, params: {params}, severity: low, attack: [{{id: T1110, name: n}}]}}\n"))])
    };
    assert!(src("{source: signin, group_by: ip, threshold: 3}").is_ok());
    assert!(src("{source: signin, group_by: nope, threshold: 3}")
        .unwrap_err()
        .to_string()
        .contains("unknown fact"));
    assert!(src("{source: signin, group_by: ip, threshold: 1}")
        .unwrap_err()
        .to_string()
        .contains("at least 2"));
    assert!(src("{group_by: ip, threshold: 3}")
        .unwrap_err()
        .to_string()
        .contains("source"));
    assert!(
        src("{source: signin, group_by: ip, threshold: 3, where: {ipp: x}}")
            .unwrap_err()
            .to_string()
            .contains("unknown fact")
    );
}

/// Every technique the built-in pack emits is one of those verified in detections.md §4.1
/// (ATT&CK v18.1), and every rule records the version.
#[test]
fn attack_ids_are_from_the_verified_catalog() {
    const VERIFIED: &[&str] = &[
        "T1078.004",
        "T1098",
        "T1098.001",
        "T1098.003",
        "T1098.005",
        "T1098.006",
        "T1136.003",
        "T1496",
        "T1496.001",
        "T1578",
        "T1578.001",
        "T1578.002",
        "T1578.003",
        "T1578.004",
        "T1578.005",
        "T1562.001",
        "T1562.007",
        "T1562.008",
        "T1485",
        "T1485.001",
        "T1490",
        "T1489",
        "T1530",
        "T1537",
        "T1651",
        "T1648",
        "T1059.009",
        "T1528",
        "T1552",
        "T1552.005",
        "T1552.007",
        "T1555.006",
        "T1556.006",
        "T1556.007",
        "T1556.009",
        "T1484.002",
        "T1548.005",
        "T1666",
        "T1535",
        "T1580",
        "T1526",
        "T1619",
        "T1087.004",
        "T1069.003",
        "T1021.008",
        "T1040",
        "T1199",
        "T1110",
        "T1110.001",
        "T1110.003",
        "T1621",
        "T1606.002",
        "T1550.001",
        "T1090.003",
        "T1566.002",
        "T1531",
    ];
    let p = pack();
    for t in p.techniques() {
        assert!(
            VERIFIED.contains(&t.as_str()),
            "{t} is not in detections.md 4.1"
        );
    }
    let names: BTreeSet<&str> = p
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .chain(p.correlations.iter().map(|c| c.name.as_str()))
        .collect();
    assert_eq!(
        names.len(),
        p.rules.len() + p.correlations.len(),
        "rule names are unique"
    );
    assert!(names.iter().all(|n| n
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
}

#[test]
fn signin_chunking_does_not_change_any_hit() {
    // A weak-location chain (AZ-COR-001), a password spray (AZ-SIG-008) and unrelated
    // sign-ins, evaluated with one sign-in per chunk and in one chunk: same hits.
    let g = Guid::parse("0b0b0b0b-1111-2222-3333-444444444444").unwrap();
    let mut claims = user_claims("pwd");
    claims["uti"] = json!(g.to_uti());
    let s = |id: String, at: String, ip: &str, upn: &str, ok: bool| SignInFacts {
        request_guid: Guid::parse(&id),
        id: id.into(),
        time: Some(at.parse().unwrap()),
        kind: Some(Kind::Interactive),
        success: ok,
        upn: Some(upn.into()),
        ip: Some(ip.into()),
        authn: std::sync::Arc::new(Authn {
            error_code: (!ok).then(|| "50126".into()),
            auth_requirement: Some("singleFactorAuthentication".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut signins = Vec::new();
    for i in 0..40 {
        signins.push(s(
            format!("0c0c0c0c-1111-2222-3333-{i:012}"),
            format!("2026-03-01T08:{:02}:00Z", i),
            "203.0.113.10",
            "mallory@contoso.example",
            true,
        ));
        signins.push(s(
            format!("0d0d0d0d-1111-2222-3333-{i:012}"),
            format!("2026-03-01T09:{:02}:30Z", i % 10),
            "198.51.100.66",
            &format!("user{i}@contoso.example"),
            false,
        ));
    }
    let mut t = s(
        "0b0b0b0b-1111-2222-3333-444444444444".into(),
        "2026-03-01T09:55:00Z".into(),
        "192.0.2.200",
        "mallory@contoso.example",
        true,
    );
    t.token_guid = Some(g);
    t.object_id = Some(USER_OID.into());
    signins.push(t);
    let events = vec![event(
        1,
        "2026-03-01T10:00:00Z",
        "Microsoft.Authorization/roleAssignments/write",
        "succeeded",
        Some(role(OWNER, SUB)),
        claims,
        "x",
    )];
    let mut a0 = attribute(events.clone(), signins.clone());
    let all = detect::run_unpruned(&pack(), &mut a0, &Extra::default());
    for r in ["AZ-COR-001", "AZ-SIG-008"] {
        assert!(all.iter().any(|h| h.rule == r), "{r} fires");
    }
    for chunk in [1, 7, 1 << 20] {
        let mut a = attribute(events.clone(), signins.clone());
        let got = detect::run_chunked(&pack(), &mut a, &Extra::default(), chunk);
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&all).unwrap(),
            "chunk {chunk}"
        );
        assert_eq!(
            serde_json::to_string(&a.findings).unwrap(),
            serde_json::to_string(&a0.findings).unwrap()
        );
    }
}

#[test]
fn pruned_operation_views_keep_every_correlation() {
    // Every correlator that reads operations, through the whole run with audit events, next
    // to operations no correlator reads: the pruned and chunked runs match the reference.
    let app = "a1a1a1a1-0000-0000-0000-00000000000a";
    let sp_oid = "5p5p5p5p-0000-0000-0000-00000000000b";
    let sp = json!({"oid": sp_oid, "appid": app, "idtyp": "app", "appidacr": "1"});
    let other =
        json!({"oid": "0e0e0e0e-0000-0000-0000-00000000000c", "appid": "b2b2", "idtyp": "app"});
    let acct = format!("{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1");
    let mut evs = vec![
        event(
            1,
            "2026-03-02T09:00:00Z",
            "Microsoft.Example/widgets/write",
            "succeeded",
            None,
            sp.clone(),
            "vm1",
        ),
        event(
            2,
            "2026-03-02T09:01:00Z",
            "Microsoft.Compute/virtualMachines/read",
            "succeeded",
            None,
            other,
            "vm2",
        ),
        event(
            3,
            "2026-03-01T10:00:00Z",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "succeeded",
            None,
            user_claims("pwd,mfa"),
            &acct,
        ),
        event(
            4,
            "2026-03-01T10:05:00Z",
            "Microsoft.Storage/storageAccounts/regenerateKey/action",
            "succeeded",
            Some(json!({"keyName": "key1"})),
            user_claims("pwd,mfa"),
            &acct,
        ),
        event(
            5,
            "2026-03-01T11:00:00Z",
            "Microsoft.Authorization/elevateAccess/action",
            "succeeded",
            None,
            user_claims("pwd,mfa"),
            "/",
        ),
        event(
            6,
            "2026-03-01T11:10:00Z",
            "Microsoft.Authorization/roleAssignments/write",
            "succeeded",
            Some(role(OWNER, SUB)),
            user_claims("pwd"),
            "ra",
        ),
        event(
            7,
            "2026-03-01T11:20:00Z",
            "Microsoft.Resources/tags/read",
            "succeeded",
            None,
            user_claims("pwd,mfa"),
            "t",
        ),
    ];
    for i in 0..6 {
        evs.push(event(
            10 + i,
            &format!("2026-03-01T12:{:02}:00Z", i * 2),
            "Microsoft.Web/sites/delete",
            "succeeded",
            None,
            user_claims("pwd,mfa"),
            &format!("site{i}"),
        ));
    }
    let sp_signin = |id: &str, at: &str, ip: &str| SignInFacts {
        id: id.into(),
        success: true,
        time: Some(at.parse().unwrap()),
        kind: Some(Kind::ServicePrincipal),
        app_id: Some(app.into()),
        object_id: Some(sp_oid.into()),
        ip: Some(ip.into()),
        ..Default::default()
    };
    let signins = vec![
        sp_signin("si-0", "2026-02-20T08:00:00Z", "203.0.113.1"),
        sp_signin("si-1", "2026-03-02T08:30:00Z", "192.0.2.66"),
    ];
    let audits: Vec<tokentrail_model::AuditEvent> = vec![serde_json::from_value(json!({
        "id": "aud-1",
        "time": {"utc": "2026-03-01T12:00:00Z", "raw": "2026-03-01T12:00:00Z"},
        "activity": "Add service principal credentials",
        "activity_key": "add service principal credentials",
        "result": "success",
        "initiator": {"user": {"upn": "mallory@contoso.example"}},
        "targets": [{"id": sp_oid, "display_name": "billing-sync"}],
        "format": "test",
        "source": {"file": "t", "record": 0}
    }))
    .unwrap()];
    let (_, hits) = run_checked(
        evs,
        signins,
        &Extra {
            audit: &audits,
            sigma: None,
        },
    );
    for r in ["AZ-COR-002", "AZ-COR-003", "AZ-COR-005", "AZ-ACT-029"] {
        assert!(
            rules_of(&hits, r) > 0,
            "{r}: {:?}",
            hits.iter().map(|h| &h.rule).collect::<Vec<_>>()
        );
    }
}
