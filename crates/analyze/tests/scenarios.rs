//! Attribution scenarios that fool a naive ±15-minute correlator, built by hand so each
//! test states exactly what the evidence is.

use jiff::Timestamp;
use serde_json::json;
use tokentrail_analyze::correlate::Method;
use tokentrail_analyze::identity::IdentityType;
use tokentrail_analyze::signins::{Kind, SignInFacts};
use tokentrail_analyze::verdict::Verdict;
use tokentrail_analyze::{attribute, OperationFinding};
use tokentrail_model::{ActivityEvent, Guid};

const USER_OID: &str = "3c9e1f7a-2b4d-4e6f-8a1c-5d7e9f0a1b2c";
const CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const PORTAL: &str = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn event(
    id: &str,
    corr: &str,
    at: &str,
    claims: serde_json::Value,
    caller: &str,
    ip: &str,
) -> ActivityEvent {
    serde_json::from_value(json!({
        "event_id": id, "correlation_id": corr, "operation_id": format!("op-{corr}"),
        "operation": {"name": "Microsoft.Compute/virtualMachines/write"},
        "status": {"kind": "succeeded"}, "time": {"utc": at, "raw": at},
        "caller": caller, "caller_ip": ip, "claims": claims, "category": "Administrative",
        "resource": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"},
        "source": {"file": "test", "record": 0}
    }))
    .unwrap()
}

fn user_claims(uti: &str, iat: &str, app: &str, sid: Option<&str>) -> serde_json::Value {
    let mut c = json!({"oid": USER_OID, "upn": "dana@fabrikam.example", "appid": app, "appidacr": "0",
                       "iat": t(iat).as_second().to_string(), "uti": uti, "ipaddr": "198.51.100.7"});
    if let Some(s) = sid {
        c["sid"] = json!(s);
    }
    c
}

fn signin(id: &str, at: &str, kind: Kind, app: &str) -> SignInFacts {
    let g = Guid::parse(id).unwrap();
    SignInFacts {
        id: id.into(),
        request_guid: Some(g),
        token_guid: Some(g),
        time: Some(t(at)),
        kind: Some(kind),
        success: true,
        object_id: Some(USER_OID.into()),
        upn: Some("dana@fabrikam.example".into()),
        app_id: Some(app.into()),
        resource_id: Some("797f4846-ba00-4fd7-ba43-dac1f8f63013".into()),
        ip: Some("198.51.100.7".into()),
        ..Default::default()
    }
}

fn only(findings: &[OperationFinding], corr: &str) -> OperationFinding {
    findings
        .iter()
        .find(|f| f.correlation_id.as_deref() == Some(corr))
        .unwrap()
        .clone()
}

/// Naive baseline: the sign-in of the same user closest in time within ±15 (then 60) min.
fn baseline(at: Timestamp, signins: &[SignInFacts]) -> Option<String> {
    for m in [15, 60] {
        if let Some(s) = signins
            .iter()
            .filter(|s| s.upn.as_deref() == Some("dana@fabrikam.example"))
            .filter(|s| s.time.unwrap().duration_since(at).as_secs().abs() <= m * 60)
            .min_by_key(|s| s.time.unwrap().duration_since(at).as_secs().abs())
        {
            return Some(s.id.to_string());
        }
    }
    None
}

#[test]
fn overlapping_portal_and_attacker_cli_sessions_are_told_apart() {
    let legit = "11111111-0000-4000-8000-000000000001";
    let attacker = "22222222-0000-4000-8000-000000000002";
    let mut portal = signin(legit, "2024-06-10T10:00:00Z", Kind::Interactive, PORTAL);
    portal.user_agent = Some("Mozilla/5.0 (Windows NT 10.0)".into());
    let mut cli = signin(attacker, "2024-06-10T10:03:00Z", Kind::NonInteractive, CLI);
    cli.ip = Some("203.0.113.99".into());
    cli.user_agent = Some("python-requests/2.31 azure-cli/2.61".into());
    let g_attacker = Guid::parse(attacker).unwrap();
    let g_legit = Guid::parse(legit).unwrap();
    // The attacker's change lands right next to the portal sign-in in time.
    let ev_attacker = event(
        "e1",
        "c-attacker",
        "2024-06-10T10:01:00Z",
        user_claims(&g_attacker.to_uti(), "2024-06-10T09:58:00Z", CLI, None),
        "dana@fabrikam.example",
        "203.0.113.99",
    );
    let ev_legit = event(
        "e2",
        "c-legit",
        "2024-06-10T10:04:00Z",
        user_claims(&g_legit.to_uti(), "2024-06-10T09:55:00Z", PORTAL, None),
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let signins = vec![portal, cli];
    let a = attribute(vec![ev_attacker, ev_legit], signins.clone());
    let fa = only(&a.findings, "c-attacker");
    assert_eq!(fa.sign_in.as_ref().unwrap().id, attacker);
    assert_eq!(fa.sign_in.as_ref().unwrap().method, Method::Token);
    assert_eq!(fa.client.name.as_deref(), Some("Azure CLI"));
    let fl = only(&a.findings, "c-legit");
    assert_eq!(fl.sign_in.as_ref().unwrap().id, legit);
    // The naive baseline attributes the attacker's change to the legitimate portal sign-in.
    assert_eq!(
        baseline(t("2024-06-10T10:01:00Z"), &signins).as_deref(),
        Some(legit)
    );
    assert!(fa
        .anomalies
        .iter()
        .any(|x| x.starts_with("caller_ip_differs_from_token_ip")));
}

#[test]
fn both_uti_encodings_and_request_id_match() {
    let id = "a08869a8-3b15-46e4-8de3-273849e60100";
    let mut s = signin(id, "2024-06-10T06:08:12Z", Kind::NonInteractive, CLI);
    s.token_guid = None; // only the Request ID is known
    let ev1 = event(
        "e1",
        "c1",
        "2024-06-10T06:13:45Z",
        user_claims("qGmIoBU75EaN4yc4SeYBAA", "2024-06-10T06:03:12Z", CLI, None),
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let ev2 = event(
        "e2",
        "c2",
        "2024-06-10T06:20:00Z",
        user_claims(
            "YTA4ODY5YTgtM2IxNS00NmU0LThkZTMtMjczODQ5ZTYwMTAw",
            "2024-06-10T06:03:12Z",
            CLI,
            None,
        ),
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let a = attribute(vec![ev1, ev2], vec![s]);
    for f in &a.findings {
        let si = f.sign_in.as_ref().unwrap();
        assert_eq!((si.id.as_str(), si.method), (id, Method::Token), "{f:?}");
    }
    assert!(a.findings[0].sign_in.as_ref().unwrap().evidence[0]
        .to_string()
        .contains("Request ID"));
    // Once linking is done the lookup lists can go; the sign-ins stay.
    let mut a = a;
    let g = tokentrail_model::Guid::parse(id).unwrap();
    assert_eq!(a.index.by_request(&g).count(), 1);
    a.index.drop_lookups();
    assert_eq!(a.index.by_request(&g).count(), 0);
    assert_eq!(a.index.all.len(), 1);
}

#[test]
fn failed_signin_near_token_time_is_never_chosen() {
    let good = "33333333-0000-4000-8000-000000000003";
    let bad = "44444444-0000-4000-8000-000000000004";
    let ok = signin(good, "2024-06-10T08:00:00Z", Kind::NonInteractive, CLI);
    let mut failed = signin(bad, "2024-06-10T08:05:00Z", Kind::NonInteractive, CLI);
    failed.success = false;
    // No uti: the iat step must pick the successful one even though the failed one is closer.
    let mut claims = user_claims("", "2024-06-10T08:04:30Z", CLI, None);
    claims.as_object_mut().unwrap().remove("uti");
    let ev = event(
        "e1",
        "c1",
        "2024-06-10T08:30:00Z",
        claims,
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let a = attribute(vec![ev], vec![ok, failed]);
    let f = &a.findings[0];
    assert_eq!(f.sign_in.as_ref().unwrap().id, good);
}

#[test]
fn token_used_70_minutes_after_issue_is_found_by_issue_time() {
    let id = "55555555-0000-4000-8000-000000000005";
    let s = signin(id, "2024-06-10T09:00:05Z", Kind::NonInteractive, CLI);
    let mut claims = user_claims("", "2024-06-10T08:55:00Z", CLI, None);
    claims.as_object_mut().unwrap().remove("uti");
    let ev = event(
        "e1",
        "c1",
        "2024-06-10T10:10:00Z",
        claims,
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let a = attribute(vec![ev], vec![s.clone()]);
    let si = a.findings[0].sign_in.as_ref().unwrap();
    assert_eq!((si.id.as_str(), si.method), (id, Method::IssuedAt));
    // The naive baseline finds nothing: the token was used 70 minutes after it was issued.
    assert!(baseline(t("2024-06-10T10:10:00Z"), &[s]).is_none());
}

#[test]
fn refresh_token_signin_leads_back_to_interactive_origin_hours_earlier() {
    let root = "66666666-0000-4000-8000-000000000006";
    let refresh = "77777777-0000-4000-8000-000000000007";
    let mut origin = signin(root, "2024-06-10T03:00:00Z", Kind::Interactive, PORTAL);
    origin.session_id = Some("sess-1".into());
    origin.authn = std::sync::Arc::new(tokentrail_analyze::signins::Authn {
        mfa: Some(true),
        auth_methods: vec!["Password".into(), "Microsoft Authenticator app".into()],
        ..(*origin.authn).clone()
    });
    let mut nonint = signin(refresh, "2024-06-10T09:00:00Z", Kind::NonInteractive, CLI);
    nonint.session_id = Some("sess-1".into());
    let ev = event(
        "e1",
        "c1",
        "2024-06-10T09:10:00Z",
        user_claims(
            &Guid::parse(refresh).unwrap().to_uti(),
            "2024-06-10T08:55:00Z",
            CLI,
            Some("sess-1"),
        ),
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let a = attribute(vec![ev], vec![origin, nonint]);
    let f = &a.findings[0];
    assert_eq!(f.sign_in.as_ref().unwrap().id, refresh);
    let o = f.session_origin.as_ref().unwrap();
    assert_eq!((o.id.as_str(), o.mfa), (root, Some(true)));
    assert_eq!(f.verdict, Verdict::Interactive);
    assert!(f.statement().starts_with("Activity Log event e1 (Microsoft.Compute/virtualMachines/write) at 2024-06-10T09:10:00Z was initiated by user dana@fabrikam.example."), "{}", f.statement());
}

#[test]
fn session_match_when_the_token_id_is_missing() {
    let a1 = "88888888-0000-4000-8000-000000000008";
    let mut s = signin(a1, "2024-06-10T12:00:00Z", Kind::NonInteractive, CLI);
    s.session_id = Some("sess-9".into());
    s.token_guid = None;
    s.request_guid = None;
    let mut claims = user_claims("", "2024-06-10T11:55:10Z", CLI, Some("sess-9"));
    claims.as_object_mut().unwrap().remove("uti");
    let ev = event(
        "e1",
        "c1",
        "2024-06-10T12:30:00Z",
        claims,
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let a = attribute(vec![ev], vec![s]);
    assert_eq!(
        a.findings[0].sign_in.as_ref().unwrap().method,
        Method::Session
    );
}

#[test]
fn managed_identity_with_24_hour_token() {
    let mi_oid = "99999999-0000-4000-8000-000000000009";
    let id = "aaaaaaaa-0000-4000-8000-00000000000a";
    let mut s = signin(
        id,
        "2024-06-09T12:05:00Z",
        Kind::ManagedIdentity,
        "c0c0c0c0-0000-4000-8000-00000000000c",
    );
    s.object_id = Some(mi_oid.into());
    s.upn = None;
    s.ip = None;
    let claims = json!({"oid": mi_oid, "appid": "c0c0c0c0-0000-4000-8000-00000000000c", "appidacr": "2", "idtyp": "app",
        "xms_mirid": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm-agent",
        "iat": t("2024-06-09T12:00:00Z").as_second().to_string()});
    let ev = event(
        "e1",
        "c1",
        "2024-06-10T11:00:00Z",
        claims,
        mi_oid,
        "20.50.1.2",
    );
    let a = attribute(vec![ev], vec![s]);
    let f = &a.findings[0];
    assert_eq!(f.identity.kind, IdentityType::ManagedIdentity);
    assert_eq!(f.identity.managed_identity_kind, Some("system_assigned"));
    assert_eq!(f.identity.managed_identity_resource.as_deref(), Some("/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm-agent"));
    assert_eq!(f.sign_in.as_ref().unwrap().method, Method::IssuedAt);
    assert_eq!(f.verdict, Verdict::Automation);
}

#[test]
fn platform_events_have_no_signin_and_say_why() {
    let mut ev = event("e1", "c1", "2024-06-10T11:00:00Z", json!({}), "", "");
    ev.caller = None;
    ev.category = Some("ResourceHealth".into());
    let a = attribute(vec![ev], vec![]);
    let f = &a.findings[0];
    assert_eq!(f.identity.kind, IdentityType::AzurePlatform);
    assert_eq!(f.verdict, Verdict::Platform);
    assert_eq!(f.gaps[0].reason, "platform_action");
    assert!(f
        .statement()
        .ends_with("Therefore this action was a platform action."));
}

#[test]
fn missing_signin_kind_gives_a_collection_command() {
    let ev = event(
        "e1",
        "c1",
        "2024-06-10T11:00:00Z",
        user_claims(
            &Guid::parse("bbbbbbbb-0000-4000-8000-00000000000b")
                .unwrap()
                .to_uti(),
            "2024-06-10T10:55:00Z",
            CLI,
            None,
        ),
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let only_interactive = signin(
        "cccccccc-0000-4000-8000-00000000000c",
        "2024-06-10T02:00:00Z",
        Kind::Interactive,
        PORTAL,
    );
    let a = attribute(vec![ev], vec![only_interactive]);
    let f = &a.findings[0];
    assert!(f.sign_in.is_none());
    let g = f
        .gaps
        .iter()
        .find(|g| g.reason == "kind_not_provided")
        .unwrap();
    assert!(g.detail.contains("non-interactive"));
    assert!(g
        .commands()
        .iter()
        .any(|c| c.tool == "az" && c.command.contains("nonInteractiveUser")));
    assert!(g
        .commands()
        .iter()
        .any(|c| c.tool == "KQL" && c.command.starts_with("AADNonInteractiveUserSignInLogs")));
}

#[test]
fn started_and_succeeded_collapse_and_duplicates_are_counted() {
    let claims = user_claims("qGmIoBU75EaN4yc4SeYBAA", "2024-06-10T06:03:12Z", CLI, None);
    let mut e1 = event(
        "e1",
        "c1",
        "2024-06-10T06:13:45Z",
        claims.clone(),
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    e1.status = tokentrail_model::Status::parse(Some("Started"));
    let e2 = event(
        "e2",
        "c1",
        "2024-06-10T06:14:45Z",
        claims,
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let dup = e2.clone();
    let a = attribute(vec![e1, e2, dup], vec![]);
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.duplicate_events, 1);
    let f = &a.findings[0];
    assert_eq!(f.status, tokentrail_model::StatusKind::Succeeded);
    assert_eq!(f.duration_ms, 60_000);
    assert_eq!(f.event_ids, vec!["e1", "e2"]);
}

#[test]
fn hosting_ranges_name_the_provider_and_flag_a_user_token_used_from_a_cloud() {
    use tokentrail_analyze::{attribute_with, Context, RangeTable};
    let ranges = RangeTable::from_tsv(
        "# test table\n20.0.0.0/8\tAzure\tAzureCloud\n52.0.0.0/15\tAWS\tEC2\n",
    );
    let cx = Context { ranges: &ranges };
    let id = "55555555-0000-4000-8000-000000000005";
    let s = signin(id, "2024-06-10T09:00:00Z", Kind::Interactive, CLI);
    let uti = Guid::parse(id).unwrap().to_uti();
    let claims = || user_claims(&uti, "2024-06-10T09:00:05Z", CLI, None);
    // The sign-in came from 198.51.100.7 (no hosting range); ARM calls from Azure and AWS.
    let from_azure = event(
        "e1",
        "c1",
        "2024-06-10T09:10:00Z",
        claims(),
        "dana@fabrikam.example",
        "20.1.2.3",
    );
    let from_home = event(
        "e2",
        "c2",
        "2024-06-10T09:11:00Z",
        claims(),
        "dana@fabrikam.example",
        "198.51.100.7",
    );
    let mut aws_signin = signin(
        "66666666-0000-4000-8000-000000000006",
        "2024-06-10T10:00:00Z",
        Kind::Interactive,
        CLI,
    );
    aws_signin.ip = Some("52.1.2.3".into());
    let aws_uti = Guid::parse("66666666-0000-4000-8000-000000000006")
        .unwrap()
        .to_uti();
    let from_aws = event(
        "e3",
        "c3",
        "2024-06-10T10:05:00Z",
        user_claims(&aws_uti, "2024-06-10T10:00:03Z", CLI, None),
        "dana@fabrikam.example",
        "garbage-ip",
    );
    let a = attribute_with(
        vec![from_azure, from_home, from_aws],
        vec![s, aws_signin],
        &cx,
    );
    let f1 = only(&a.findings, "c1");
    assert!(f1
        .indicators
        .iter()
        .any(|i| &**i == "ARM caller IP 20.1.2.3 belongs to Azure (AzureCloud)"));
    assert!(f1
        .indicators
        .iter()
        .any(|i| &**i == "issuing sign-in IP 198.51.100.7 is not in any known hosting range"));
    assert_eq!(
        f1.anomalies
            .iter()
            .filter(|a| a.starts_with("hosting_ip_for_user_token:"))
            .map(|a| &**a)
            .collect::<Vec<_>>(),
        ["hosting_ip_for_user_token: a user token called ARM from 20.1.2.3, which belongs to Azure (AzureCloud), but the issuing sign-in came from 198.51.100.7"]
    );
    let f2 = only(&a.findings, "c2");
    assert!(f2
        .indicators
        .iter()
        .any(|i| &**i == "ARM caller IP 198.51.100.7 is not in any known hosting range"));
    assert!(!f2.anomalies.iter().any(|a| a.starts_with("hosting_ip")));
    let f3 = only(&a.findings, "c3");
    assert_eq!(
        f3.sign_in.as_ref().unwrap().id,
        "66666666-0000-4000-8000-000000000006"
    );
    assert!(f3
        .indicators
        .iter()
        .any(|i| &**i == "issuing sign-in IP 52.1.2.3 belongs to AWS (EC2)"));
    // A garbage caller IP says nothing rather than something wrong.
    assert!(!f3.indicators.iter().any(|i| i.contains("garbage-ip")));
    assert!(!f3.anomalies.iter().any(|a| a.starts_with("hosting_ip")));
    // Deterministic: the same input gives the same output.
    let again = attribute_with(
        vec![event(
            "e1",
            "c1",
            "2024-06-10T09:10:00Z",
            claims(),
            "dana@fabrikam.example",
            "20.1.2.3",
        )],
        vec![signin(id, "2024-06-10T09:00:00Z", Kind::Interactive, CLI)],
        &cx,
    );
    assert_eq!(again.findings[0].indicators, f1.indicators);
}
