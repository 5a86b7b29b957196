//! Demo data for looking at the report's design and for browser tests: a small made-up
//! incident with sign-ins, a session origin and detections. All names, ids and addresses
//! are invented (documentation ranges and example domains).

/// A hostile user agent carried by every demo sign-in: if it ever ran, it would change the
/// page title and mark the root element.
pub const PAYLOAD_UA: &str = "Mozilla/5.0 <script>document.title='PWNED';document.documentElement.setAttribute('data-pwned','1')</script><img src=x onerror=\"document.title='PWNED'\">";

use tokentrail_analyze::correlate::Method;
use tokentrail_analyze::finding::{
    Client, DetectionRef, OperationFinding, SessionOrigin, SignInRef, StatementParts,
};
use tokentrail_analyze::identity::{Identity, IdentityType};
use tokentrail_analyze::signins::{Kind, SignInFacts};
use tokentrail_analyze::verdict::Verdict;
use tokentrail_model::StatusKind;

fn ident(kind: IdentityType, display: &str, upn: Option<&str>) -> Identity {
    Identity {
        kind,
        upn: upn.map(str::to_string),
        object_id: Some("3c9e1f7a-2b4d-4e6f-8a1c-5d7e9f0a1b2c".into()),
        app_id: None,
        display: display.into(),
        managed_identity_resource: None,
        managed_identity_kind: None,
        cross_tenant: None,
        evidence: vec!["idtyp claim: user".into()],
    }
}

#[allow(clippy::too_many_arguments)]
fn op(
    n: u32,
    time: &str,
    who: &Identity,
    operation: &str,
    res: &str,
    verdict: Verdict,
    sign_in: Option<(&str, &str, &str, Kind, Method)>,
    origin: Option<(&str, &str, &str)>,
    det: Option<(&str, &str, &str)>,
) -> OperationFinding {
    let statement = format!(
        "At {time} {} performed {operation} on {res}{}.",
        who.display,
        sign_in
            .map(|s| format!(
                " with a token issued by sign-in {} at {} from {}",
                s.0, s.1, s.2
            ))
            .unwrap_or_else(|| ", no sign-in linked".into())
    );
    OperationFinding {
        correlation_id: Some(format!("6a1f2e3d-4c5b-4a69-8778-{n:012}")),
        operation: operation.into(),
        resource_id: Some(
            format!(
                "/subscriptions/5f1c0a2e-7b3d-4c9a-9e21-0d4b6a8c2f11/resourceGroups/rg-prod/providers/{res}"
            )
            .into(),
        ),
        time: time.into(),
        status: StatusKind::Succeeded,
        caller: who.upn.as_deref().map(Into::into),
        identity: who.clone().into(),
        client: Client {
            app_id: Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46".into()),
            name: Some("Azure CLI".into()),
        }
        .into(),
        verdict,
        sign_in: sign_in.map(|(id, t, ip, kind, method)| SignInRef {
            id: id.into(),
            kind,
            time: Some(t.into()),
            ip: Some(ip.into()),
            method,
            confidence: 0.98,
            evidence: vec!["uti matches uniqueTokenIdentifier".into()],
        }),
        session_origin: origin.map(|(id, t, ip)| SessionOrigin {
            id: id.into(),
            time: Some(t.into()),
            ip: Some(ip.into()),
            mfa: Some(false),
            location: Some("NL".into()),
            device: None,
            user_agent: Some("Mozilla/5.0".into()),
            conditional_access: Some("notApplied".into()),
        }
        .into()),
        indicators: vec!["token issued to Azure CLI from an IP not seen before".into()],
        anomalies: if det.is_some() { vec!["sign-in without MFA from a new country".into()] } else { vec![] },
        gaps: vec![],
        statement_parts: StatementParts {
            fixed: Some(statement.into()),
            ..Default::default()
        },
        detections: det
            .map(|(r, t, s)| {
                vec![DetectionRef { rule: r.into(), title: t.into(), severity: s.into(), attack: vec!["T1098".into()] }]
            })
            .unwrap_or_default(),
        caller_ip: sign_in.map(|s| s.2.into()),
        subscription_id: Some("5f1c0a2e-7b3d-4c9a-9e21-0d4b6a8c2f11".into()),
        duration_ms: 800,
        event_ids: vec![format!("0e1d2c3b-4a59-4687-9a0b-{n:012}")],
        sources: vec![],
    }
}

/// A made-up incident: three identities, sign-ins (each with a hostile user agent), a
/// session origin and detections of every severity.
pub fn demo_case() -> (Vec<OperationFinding>, Vec<SignInFacts>) {
    let mallory = ident(
        IdentityType::User,
        "mallory.contractor@fabrikam.example",
        Some("mallory.contractor@fabrikam.example"),
    );
    let dana = ident(
        IdentityType::User,
        "dana.ops@fabrikam.example",
        Some("dana.ops@fabrikam.example"),
    );
    let mut sp = ident(IdentityType::ServicePrincipal, "deploy-pipeline", None);
    sp.evidence = vec!["idtyp claim: app".into()];
    let si1 = (
        "a1b2c3d4-0001-4000-8000-000000000001",
        "2024-06-10T06:58:10Z",
        "203.0.113.66",
        Kind::NonInteractive,
        Method::Token,
    );
    let or1 = (
        "a1b2c3d4-0000-4000-8000-000000000000",
        "2024-06-10T06:41:02Z",
        "203.0.113.66",
    );
    let si2 = (
        "b1b2c3d4-0002-4000-8000-000000000002",
        "2024-06-10T06:05:00Z",
        "198.51.100.23",
        Kind::Interactive,
        Method::Session,
    );
    let si3 = (
        "c1b2c3d4-0003-4000-8000-000000000003",
        "2024-06-10T07:59:30Z",
        "192.0.2.10",
        Kind::ServicePrincipal,
        Method::IssuedAt,
    );
    let findings = vec![
        op(
            1,
            "2024-06-10T06:13:45Z",
            &dana,
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            "Microsoft.Network/networkSecurityGroups/nsg-web/securityRules/allow-mgmt",
            Verdict::Interactive,
            Some(si2),
            None,
            None,
        ),
        op(
            2,
            "2024-06-10T07:02:11Z",
            &mallory,
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/9a8b7c6d",
            Verdict::Interactive,
            Some(si1),
            Some(or1),
            Some((
                "TT-RBAC-OWNER",
                "Owner role granted at subscription scope",
                "high",
            )),
        ),
        op(
            3,
            "2024-06-10T07:05:40Z",
            &mallory,
            "Microsoft.KeyVault/vaults/accessPolicies/write",
            "Microsoft.KeyVault/vaults/kv-prod/accessPolicies/add",
            Verdict::Interactive,
            Some(si1),
            Some(or1),
            Some(("TT-KV-POLICY", "Key Vault access policy widened", "medium")),
        ),
        op(
            4,
            "2024-06-10T07:21:09Z",
            &mallory,
            "Microsoft.Compute/virtualMachines/runCommand/action",
            "Microsoft.Compute/virtualMachines/vm-app01",
            Verdict::Interactive,
            Some(si1),
            Some(or1),
            Some(("TT-VM-RUNCMD", "Run Command on a production VM", "critical")),
        ),
        op(
            5,
            "2024-06-10T08:00:12Z",
            &sp,
            "Microsoft.Web/sites/write",
            "Microsoft.Web/sites/app-frontend",
            Verdict::Automation,
            Some(si3),
            None,
            None,
        ),
        op(
            6,
            "2024-06-10T08:30:00Z",
            &dana,
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "Microsoft.Storage/storageAccounts/stprod01",
            Verdict::Undetermined,
            None,
            None,
            Some(("TT-STORAGE-KEYS", "Storage account keys listed", "low")),
        ),
    ];
    let signins: Vec<SignInFacts> = [si1, si2, si3]
        .iter()
        .map(|s| SignInFacts {
            id: s.0.into(),
            time: s.1.parse().ok(),
            ip: Some(s.2.into()),
            kind: Some(s.3),
            success: true,
            app_name: Some("Azure CLI".into()),
            location: Some("NL".into()),
            user_agent: Some(PAYLOAD_UA.into()),
            ..Default::default()
        })
        .collect();
    (findings, signins)
}
