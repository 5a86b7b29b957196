//! The demo incident: one subscription over ~2 days, a compromised Owner whose legitimate
//! portal session overlaps the attacker's Azure CLI session, the attacker's changes, a
//! backdoored service principal, and benign background (Terraform via GitHub Actions, a
//! managed identity pruning snapshots, Azure Policy, health events). See README.md.

use crate::activity::{Caller, Category, Op, Outcome};
use crate::clock::Ts;
use crate::known::{self, App};
use crate::rng::Rng;
use crate::shapes::{self, Audit};
use crate::sink::{self, AzArray, GraphPages, HourTree};
use crate::truth::{self, ind, Coverage, Indicator, Known, TruthOp};
use crate::world::{IdKind, Identity, Place, SignIn, SignInKind, Tenant, Token};
use anyhow::Result;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use tokentrail_model::guid::Guid;

/// A generated operation with its ground-truth annotations.
pub struct CaseOp {
    pub op: Op,
    pub malicious: bool,
    pub indicators: Vec<Indicator>,
    pub notes: Vec<String>,
}

/// A generated sign-in and whether the exports contain it.
pub struct CaseSignIn {
    pub s: SignIn,
    pub dropped: bool,
}

pub struct Case {
    pub tenant: Tenant,
    pub ops: Vec<CaseOp>,
    pub signins: Vec<CaseSignIn>,
    pub audits: Vec<Audit>,
    pub t0: Ts,
    pub end: Ts,
}

fn place(
    ip: &str,
    city: &'static str,
    state: &'static str,
    country: &'static str,
    lat: f64,
    lon: f64,
    asn: u32,
) -> Place {
    Place {
        ip: ip.into(),
        city,
        state,
        country,
        lat,
        lon,
        asn,
    }
}

struct B {
    rng: Rng,
    ops: Vec<CaseOp>,
    signins: Vec<CaseSignIn>,
    audits: Vec<Audit>,
}

const UA_EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.80";
const UA_PY: &str =
    "python/3.11.8 (Linux-6.5.0-1016-azure-x86_64-with-glibc2.35) msal/1.27.0 azure-cli/2.58.0";
const UA_PWSH: &str =
    "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-GB) PowerShell/7.4.1";

impl B {
    fn base_signin(
        &mut self,
        kind: SignInKind,
        who: &Arc<Identity>,
        app: App,
        p: &Place,
        time: Ts,
    ) -> SignIn {
        let user = who.kind == IdKind::User;
        SignIn {
            id: self.rng.guid(),
            time: time.add_ms(self.rng.range(0, 999)),
            kind,
            who: who.clone(),
            app,
            resource: known::ARM,
            place: p.clone(),
            user_agent: String::new(),
            client_app_used: if user {
                "Mobile Apps and Desktop clients"
            } else {
                ""
            },
            os: if user { "Windows10" } else { "" },
            browser: "",
            session_id: None,
            correlation_id: self.rng.guid(),
            incoming_token_type: "none",
            auth_requirement: "singleFactorAuthentication",
            auth_steps: Vec::new(),
            ca_status: "notApplied",
            error_code: 0,
            failure_reason: "Other.",
            risk_level: "none",
            risk_events: Vec::new(),
            protocol: "none",
            original_transfer: "none",
            cred_type: "none",
            cred_key_id: None,
            fed_cred_id: None,
            with_uti: true,
            uti_text: kind == SignInKind::NonInteractive,
            processing_ms: self.rng.range(40, 400),
        }
    }

    fn add(&mut self, s: SignIn) -> SignIn {
        self.signins.push(CaseSignIn {
            s: s.clone(),
            dropped: false,
        });
        s
    }

    fn tok(&mut self, s: &SignIn) -> Token {
        s.token(&mut self.rng)
    }

    fn op(&mut self, operation: &str, rid: String, tok: &Token, ip: &str, at: Ts) -> &mut CaseOp {
        let mut op = Op::admin(
            &mut self.rng,
            operation,
            rid,
            Caller::Token(Box::new(tok.clone())),
            ip,
            at,
        );
        op.start = at.add_ms(self.rng.range(0, 999));
        self.ops.push(CaseOp {
            op,
            malicious: false,
            indicators: Vec::new(),
            notes: Vec::new(),
        });
        let n = self.ops.len() - 1;
        &mut self.ops[n]
    }
}

fn bad(c: &mut CaseOp, inds: Vec<Indicator>) -> &mut CaseOp {
    c.malicious = true;
    c.indicators = inds;
    c
}

/// Builds the demo case deterministically from `seed`.
pub fn build(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let t = Tenant {
        tenant_id: rng.guid(),
        subscription_id: rng.guid(),
        workspace_id: rng.guid(),
        domain: "northwind-traders.example".into(),
        created: 1_546_300_800,
    };
    let mut b = B {
        rng,
        ops: Vec::new(),
        signins: Vec::new(),
        audits: Vec::new(),
    };
    let t0 = Ts::ymd_hms(2026, 3, 9, 0, 0, 0);
    let at = |h: i64, m: i64| t0.add_mins(h * 60 + m);
    let sub = t.sub_path();
    let rg = |n: &str| t.rg_path(n);

    // Places (documentation address ranges; ASNs from the documentation range).
    let london = place(
        "198.51.100.23",
        "London",
        "England",
        "GB",
        51.5072,
        -0.1276,
        64500,
    );
    let manchester = place(
        "198.51.100.57",
        "Manchester",
        "England",
        "GB",
        53.4808,
        -2.2426,
        64500,
    );
    let dc = place(
        "198.51.100.200",
        "London",
        "England",
        "GB",
        51.5072,
        -0.1276,
        64500,
    );
    let attacker = place(
        "203.0.113.77",
        "Amsterdam",
        "Noord-Holland",
        "NL",
        52.3676,
        4.9041,
        64510,
    );
    let attacker2 = place(
        "203.0.113.140",
        "Frankfurt am Main",
        "Hesse",
        "DE",
        50.1109,
        8.6821,
        64511,
    );
    let github = place(
        "192.0.2.44",
        "Boydton",
        "Virginia",
        "US",
        36.6676,
        -78.3875,
        64501,
    );
    let nowhere = place("", "", "", "", 0.0, 0.0, 0);

    // Identities.
    let adele = Arc::new(Identity::user(&mut b.rng, "Adele", "Vance", &t.domain));
    let megan = Arc::new(Identity::user(&mut b.rng, "Megan", "Bowen", &t.domain));
    let tf = Arc::new(Identity::service_principal(
        &mut b.rng,
        "gh-actions-terraform-prod",
    ));
    let reporting = Arc::new(Identity::service_principal(
        &mut b.rng,
        "app-reporting-sync",
    ));
    let devops = Arc::new(Identity::service_principal(
        &mut b.rng,
        "ado-release-pipeline",
    ));
    let mi_rid = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-snapshot-pruner",
        rg("rg-ops")
    );
    let pruner = Arc::new(Identity::managed_identity(
        &mut b.rng,
        "id-snapshot-pruner",
        mi_rid,
        true,
    ));

    let stg = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/stprodfinance01",
        rg("rg-prod")
    );
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/nsg-prod-web",
        rg("rg-prod")
    );
    let webapp = format!(
        "{}/providers/Microsoft.Web/sites/app-northwind-web",
        rg("rg-prod")
    );
    let kv = format!(
        "{}/providers/Microsoft.KeyVault/vaults/kv-prod-01",
        rg("rg-prod")
    );
    let lock = format!(
        "{}/providers/Microsoft.Authorization/locks/do-not-delete",
        rg("rg-prod")
    );
    let vm_web = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/vm-web-01",
        rg("rg-prod")
    );

    // ---------------- Managed identity: 24-hour tokens, snapshot pruning ----------------
    let mi_signin = |b: &mut B, when: Ts| {
        let mut s = b.base_signin(
            SignInKind::ManagedIdentity,
            &pruner,
            App { id: "", name: "" },
            &nowhere,
            when,
        );
        s.app = App {
            id: leak(pruner.app_id.map(|g| g.to_string()).unwrap_or_default()),
            name: leak(pruner.display.clone()),
        };
        s.cred_type = "managedIdentity";
        s.uti_text = false;
        b.add(s)
    };
    let mi_old = mi_signin(&mut b, t0.add_mins(-120)); // before sign-in coverage
    let mi_new = {
        let mut s = mi_signin(&mut b, at(22, 6));
        // Exported twice: Graph (base64url GUID bytes) and diagnostic (2022-style text).
        if let Some(last) = b.signins.last_mut() {
            last.s.uti_text = true;
        }
        s.uti_text = true;
        s
    };
    let tok_mi_old = b.tok(&mi_old);
    let tok_mi_new = b.tok(&mi_new);
    for (i, h) in [
        0i64, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45,
    ]
    .iter()
    .enumerate()
    {
        let tok = if *h < 22 { &tok_mi_old } else { &tok_mi_new };
        let snap = format!(
            "{}/providers/Microsoft.Compute/snapshots/snap-vm-web-01-2026020{}",
            rg("rg-backup"),
            1 + (i % 8)
        );
        let c = b.op(
            "Microsoft.Compute/snapshots/delete",
            snap,
            tok,
            "",
            at(*h, 30),
        );
        c.op.caller_ip = String::new();
        c.op.accepted = true;
        c.notes.push(
            "benign backup pruning by a user-assigned managed identity (24-hour token)".into(),
        );
        if *h < 22 {
            c.notes
                .push("token issued before the sign-in export window".into());
        }
    }
    // MI callerIpAddress: ARM still records an Azure-internal caller IP.
    for c in b.ops.iter_mut() {
        if c.op.caller_ip.is_empty() {
            c.op.caller_ip = "10.20.4.17".into();
        }
    }

    // ---------------- Reporting SP: normal nightly run from the data centre ----------------
    let sp_secret_old = b.rng.guid();
    for day in 0..2 {
        let mut s = b.base_signin(
            SignInKind::ServicePrincipal,
            &reporting,
            sp_app(&reporting),
            &dc,
            at(day * 24 + 2, 0),
        );
        s.cred_type = "clientSecret";
        s.cred_key_id = Some(sp_secret_old);
        let s = b.add(s);
        let tok = b.tok(&s);
        let c = b.op(
            "Microsoft.Storage/storageAccounts/listKeys/action",
            stg.clone(),
            &tok,
            "198.51.100.200",
            at(day * 24 + 2, 3),
        );
        c.notes.push(
            "benign nightly key read by the reporting service principal from its usual IP".into(),
        );
    }

    // ---------------- Megan: PowerShell admin, failed sign-in then success ----------------
    let mut s = b.base_signin(
        SignInKind::Interactive,
        &megan,
        known::AZURE_POWERSHELL,
        &manchester,
        at(7, 55),
    );
    s.user_agent = UA_PWSH.into();
    s.error_code = 50126;
    s.failure_reason = "Error validating credentials due to invalid username or password.";
    s.auth_steps = vec![("Password", "Password in the cloud")];
    b.add(s);
    let megan_sid = b.rng.guid();
    let mut s = b.base_signin(
        SignInKind::Interactive,
        &megan,
        known::AZURE_POWERSHELL,
        &manchester,
        at(7, 56),
    );
    s.user_agent = UA_PWSH.into();
    s.session_id = Some(megan_sid);
    s.auth_requirement = "multiFactorAuthentication";
    s.ca_status = "success";
    s.auth_steps = vec![
        ("Password", "Password in the cloud"),
        ("Mobile app notification", ""),
    ];
    s.protocol = "oAuth2";
    let meg1 = b.add(s);
    let tok = b.tok(&meg1);
    b.op(
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        rg("rg-analytics"),
        &tok,
        &manchester.ip,
        at(8, 1),
    );
    let c = b.op(
        "Microsoft.Storage/storageAccounts/write",
        format!(
            "{}/providers/Microsoft.Storage/storageAccounts/stanalytics02",
            rg("rg-analytics")
        ),
        &tok,
        &manchester.ip,
        at(8, 4),
    );
    c.op.accepted = true;
    c.op.request_body = Some(r#"{"sku":{"name":"Standard_LRS"},"kind":"StorageV2","location":"uksouth","properties":{"minimumTlsVersion":"TLS1_2","allowBlobPublicAccess":false,"supportsHttpsTrafficOnly":true}}"#.into());
    for i in 0..8 {
        b.op(
            "Microsoft.Resources/tags/write",
            format!(
                "{}/providers/Microsoft.Resources/tags/default",
                rg("rg-analytics")
            ),
            &tok,
            &manchester.ip,
            at(8, 10 + i * 5),
        );
    }
    // A failed MFA attempt for PowerShell right before the token time on day 2, then a CAE
    // token used 70-80 minutes after it was issued.
    let mut s = b.base_signin(
        SignInKind::Interactive,
        &megan,
        known::AZURE_POWERSHELL,
        &manchester,
        at(33, 1),
    );
    s.user_agent = UA_PWSH.into();
    s.error_code = 500121;
    s.failure_reason = "Authentication failed during strong authentication request.";
    s.auth_steps = vec![
        ("Password", "Password in the cloud"),
        ("Mobile app notification", ""),
    ];
    b.add(s);
    let megan_sid2 = b.rng.guid();
    let mut s = b.base_signin(
        SignInKind::Interactive,
        &megan,
        known::AZURE_POWERSHELL,
        &manchester,
        at(33, 3),
    );
    s.user_agent = UA_PWSH.into();
    s.session_id = Some(megan_sid2);
    // Only in the diagnostic export (after t0+30 h), with the 2022-style token identifier.
    s.uti_text = true;
    s.auth_requirement = "multiFactorAuthentication";
    s.ca_status = "success";
    s.auth_steps = vec![
        ("Password", "Password in the cloud"),
        ("Mobile app notification", ""),
    ];
    s.protocol = "oAuth2";
    let meg2 = b.add(s);
    let mut tok = b.tok(&meg2);
    tok.exp = tok.iat + 28 * 3600; // CAE-capable client: long-lived token
    for (i, m) in [5i64, 20, 72, 78].iter().enumerate() {
        let c = b.op(
            "Microsoft.Compute/virtualMachines/deallocate/action",
            format!(
                "{}/providers/Microsoft.Compute/virtualMachines/vm-dev-0{}",
                rg("rg-dev"),
                i + 1
            ),
            &tok,
            &manchester.ip,
            at(33, 3 + m),
        );
        c.op.accepted = true;
        if *m > 60 {
            c.notes.push("token (CAE, long-lived) used more than 60 minutes after its sign-in; a failed MFA sign-in sits 2 minutes before the issuing one".into());
        }
    }

    // ---------------- Adele's legitimate portal session ----------------
    let adele_sid = b.rng.guid();
    let mut s = b.base_signin(
        SignInKind::Interactive,
        &adele,
        known::AZURE_PORTAL,
        &london,
        at(8, 2),
    );
    s.user_agent = UA_EDGE.into();
    s.client_app_used = "Browser";
    s.browser = "Edge 122.0.2365";
    s.session_id = Some(adele_sid);
    s.auth_requirement = "multiFactorAuthentication";
    s.ca_status = "success";
    s.protocol = "oAuth2";
    s.auth_steps = vec![
        ("Password", "Password in the cloud"),
        ("Mobile app notification", ""),
    ];
    let adele_int = b.add(s);
    let _ = adele_int;
    // The portal's ARM token at 08:10 came from a refresh that the export does not hold.
    let mut s = b.base_signin(
        SignInKind::NonInteractive,
        &adele,
        known::AZURE_PORTAL,
        &london,
        at(8, 10),
    );
    s.user_agent = UA_EDGE.into();
    s.client_app_used = "Browser";
    s.browser = "Edge 122.0.2365";
    s.session_id = Some(adele_sid);
    s.auth_requirement = "multiFactorAuthentication";
    s.incoming_token_type = "refreshToken";
    let adele_r1 = b.add(s);
    if let Some(last) = b.signins.last_mut() {
        last.dropped = true;
    }
    let tok = b.tok(&adele_r1);
    let c = b.op(
        "Microsoft.Web/sites/config/write",
        format!("{webapp}/config/appsettings"),
        &tok,
        &london.ip,
        at(8, 15),
    );
    c.notes
        .push("issuing refresh sign-in not exported: linked through the session id".into());
    let c = b.op(
        "Microsoft.Resources/tags/write",
        format!("{webapp}/providers/Microsoft.Resources/tags/default"),
        &tok,
        &london.ip,
        at(8, 24),
    );
    c.notes
        .push("issuing refresh sign-in not exported: linked through the session id".into());
    // Afternoon refresh (interactive origin six hours earlier), overlapping the attacker.
    let mut s = b.base_signin(
        SignInKind::NonInteractive,
        &adele,
        known::AZURE_PORTAL,
        &london,
        at(14, 2),
    );
    s.user_agent = UA_EDGE.into();
    s.client_app_used = "Browser";
    s.browser = "Edge 122.0.2365";
    s.session_id = Some(adele_sid);
    s.auth_requirement = "multiFactorAuthentication";
    s.incoming_token_type = "refreshToken";
    let adele_r2 = b.add(s);
    let tok = b.tok(&adele_r2);
    for (op, m) in [
        ("Microsoft.Web/sites/restart/action", 5i64),
        ("Microsoft.Resources/tags/write", 11),
        ("Microsoft.Web/sites/config/write", 16),
    ] {
        let rid = match op {
            "Microsoft.Resources/tags/write" => {
                format!("{webapp}/providers/Microsoft.Resources/tags/default")
            }
            "Microsoft.Web/sites/config/write" => format!("{webapp}/config/web"),
            _ => webapp.clone(),
        };
        let c = b.op(op, rid, &tok, &london.ip, at(14, m));
        c.notes.push("legitimate portal work by the victim, overlapping the attacker's CLI session by minutes".into());
    }

    // ---------------- The attacker ----------------
    for m in [3i64, 4, 6] {
        let mut s = b.base_signin(
            SignInKind::Interactive,
            &adele,
            known::AZURE_CLI,
            &attacker,
            at(9, m),
        );
        s.user_agent = UA_PY.into();
        s.os = "Linux";
        s.error_code = 50126;
        s.failure_reason = "Error validating credentials due to invalid username or password.";
        s.auth_steps = vec![("Password", "Password in the cloud")];
        s.protocol = "oAuth2";
        b.add(s);
    }
    let att_sid = b.rng.guid();
    let mut s = b.base_signin(
        SignInKind::Interactive,
        &adele,
        known::AZURE_CLI,
        &attacker,
        at(9, 12),
    );
    s.user_agent = UA_PY.into();
    s.os = "Linux";
    s.session_id = Some(att_sid);
    s.ca_status = "notApplied";
    s.risk_level = "medium";
    s.risk_events = vec!["unfamiliarFeatures"];
    s.auth_steps = vec![("Password", "Password in the cloud")];
    s.protocol = "oAuth2";
    let att_int = b.add(s);
    let tok = b.tok(&att_int);
    let sf = || ind("privileged_write_with_single_factor_token", &["T1078.004"]);
    let c = b.op(
        "Microsoft.Authorization/elevateAccess/action",
        "/providers/Microsoft.Authorization".into(),
        &tok,
        &attacker.ip,
        at(9, 22),
    );
    bad(
        c,
        vec![
            ind("elevate_access_to_root", &["T1098.003", "T1078.004"]),
            sf(),
        ],
    );
    let asg = b.rng.guid();
    let rid = format!("{sub}/providers/Microsoft.Authorization/roleAssignments/{asg}");
    let ra_id = b.rng.guid();
    let c = b.op(
        "Microsoft.Authorization/roleAssignments/write",
        rid.clone(),
        &tok,
        &attacker.ip,
        at(9, 30),
    );
    c.op.request_body = Some(
        json!({"Id": asg.to_string(), "Properties": {"PrincipalId": reporting.object_id.to_string(), "PrincipalType": "ServicePrincipal",
            "RoleDefinitionId": format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", known::ROLE_OWNER),
            "Scope": sub, "Condition": null, "ConditionVersion": null}})
        .to_string(),
    );
    c.op.response_body = Some(
        json!({"properties": {"roleDefinitionId": format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", known::ROLE_OWNER),
            "principalId": reporting.object_id.to_string(), "principalType": "ServicePrincipal", "scope": sub,
            "condition": null, "conditionVersion": null, "createdOn": at(9, 30).iso(), "updatedOn": at(9, 30).iso(),
            "createdBy": null, "updatedBy": adele.object_id.to_string(), "delegatedManagedIdentityResourceId": null, "description": null},
            "id": rid, "type": "Microsoft.Authorization/roleAssignments", "name": asg.to_string()})
        .to_string(),
    );
    c.op.evidence = Some(("Owner", known::ROLE_OWNER, ra_id));
    bad(
        c,
        vec![ind("rbac_privileged_role_assigned", &["T1098.003"]), sf()],
    );

    // Refresh hours later: interactive origin 09:12, refresh 13:55 (same session id).
    let mut s = b.base_signin(
        SignInKind::NonInteractive,
        &adele,
        known::AZURE_CLI,
        &attacker,
        at(13, 55),
    );
    s.user_agent = UA_PY.into();
    s.os = "Linux";
    s.session_id = Some(att_sid);
    s.incoming_token_type = "refreshToken";
    s.risk_level = "medium";
    let att_r1 = b.add(s);
    let tok = b.tok(&att_r1);
    let c = b.op(
        "Microsoft.Storage/storageAccounts/listKeys/action",
        stg.clone(),
        &tok,
        &attacker.ip,
        at(14, 1),
    );
    bad(c, vec![ind("storage_account_keys_listed", &["T1552"])]);
    let c = b.op(
        "Microsoft.Storage/storageAccounts/regenerateKey/action",
        stg.clone(),
        &tok,
        &attacker.ip,
        at(14, 3),
    );
    c.op.request_body = Some(r#"{"keyName":"key1"}"#.into());
    bad(
        c,
        vec![ind("storage_account_key_regenerated", &["T1098.001"])],
    );
    let c = b.op(
        "Microsoft.Storage/storageAccounts/listKeys/action",
        stg.clone(),
        &tok,
        &attacker.ip,
        at(14, 4),
    );
    bad(
        c,
        vec![
            ind("storage_account_keys_listed", &["T1552"]),
            ind("storage_account_key_regenerated", &["T1098.001"]),
        ],
    );
    c.notes
        .push("listKeys after regenerateKey by the same identity".into());
    // NSG rules with the port edge cases.
    let rules: [(&str, &str, Value, &str); 4] = [
        (
            "allow-rdp",
            "Internet",
            json!("3389"),
            "destinationPortRange",
        ),
        (
            "allow-mgmt-range",
            "*",
            json!("3000-4000"),
            "destinationPortRange",
        ),
        (
            "allow-ssh-https",
            "0.0.0.0/0",
            json!(["22", "443"]),
            "destinationPortRanges",
        ),
        ("allow-any", "Any", json!("*"), "destinationPortRange"),
    ];
    for (i, (name, src, ports, key)) in rules.iter().enumerate() {
        let rid = format!("{nsg}/securityRules/{name}");
        let mut props = json!({"protocol": "Tcp", "sourcePortRange": "*", "sourceAddressPrefix": src,
            "destinationAddressPrefix": "*", "access": "Allow", "priority": 100 + i as i64 * 10, "direction": "Inbound"});
        props[*key] = ports.clone();
        let c = b.op(
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            rid.clone(),
            &tok,
            &attacker.ip,
            at(14, 6 + i as i64),
        );
        c.op.request_body = Some(json!({"properties": props}).to_string());
        let mut rp = props.clone();
        rp["provisioningState"] = json!("Updating");
        c.op.response_body = Some(
            json!({"name": name, "id": rid, "etag": format!("W/\"{}\"", Guid([i as u8; 16])),
            "type": "Microsoft.Network/networkSecurityGroups/securityRules", "properties": rp})
            .to_string(),
        );
        c.op.accepted = true;
        bad(
            c,
            vec![
                ind("nsg_admin_port_exposed_to_internet", &["T1562.007"]),
                sf(),
            ],
        );
    }
    // A failed NSG change (conflict).
    let c = b.op(
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
        format!("{nsg}/securityRules/allow-rdp"),
        &tok,
        &attacker.ip,
        at(14, 12),
    );
    c.op.request_body = Some(json!({"properties": {"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "3389",
        "sourceAddressPrefix": "Internet", "destinationAddressPrefix": "*", "access": "Allow", "priority": 100, "direction": "Inbound"}}).to_string());
    c.op.outcome = Outcome::Failed(
        "Conflict",
        "AnotherOperationInProgress",
        "Another operation on this or dependent resource is in progress.".into(),
    );
    c.malicious = true;
    c.notes
        .push("failed attempt: indicators fire on successful outcomes only".into());
    // GPU VMs for cryptomining.
    for (i, m) in [30i64, 33].iter().enumerate() {
        let name = format!("gpu-node-0{}", i + 1);
        let rid = format!(
            "{}/providers/Microsoft.Compute/virtualMachines/{name}",
            rg("rg-prod")
        );
        let c = b.op(
            "Microsoft.Compute/virtualMachines/write",
            rid.clone(),
            &tok,
            &attacker.ip,
            at(14, *m),
        );
        c.op.request_body = Some(vm_body(
            "southeastasia",
            "Standard_NC24ads_A100_v4",
            &name,
            &rg("rg-prod"),
        ));
        c.op.response_body = Some(vm_response(
            &rid,
            &name,
            "southeastasia",
            "Standard_NC24ads_A100_v4",
        ));
        c.op.accepted = true;
        c.op.duration_ms = 95_000;
        bad(
            c,
            vec![
                ind(
                    "expensive_or_gpu_compute_created",
                    &["T1496.001", "T1578.002"],
                ),
                sf(),
            ],
        );
    }
    // Run command at 14:58: the token (iat 13:50) is 68 minutes old.
    for (i, m) in [58i64, 60].iter().enumerate() {
        let rid = format!(
            "{}/providers/Microsoft.Compute/virtualMachines/gpu-node-0{}",
            rg("rg-prod"),
            i + 1
        );
        let c = b.op(
            "Microsoft.Compute/virtualMachines/runCommand/action",
            rid,
            &tok,
            &attacker.ip,
            at(14, *m),
        );
        c.op.accepted = true;
        c.op.duration_ms = 40_000;
        bad(c, vec![ind("vm_run_command", &["T1651"]), sf()]);
        c.notes
            .push("token used 60-80 minutes after issue (iat 13:50)".into());
    }
    // Second refresh for defence evasion.
    let mut s = b.base_signin(
        SignInKind::NonInteractive,
        &adele,
        known::AZURE_CLI,
        &attacker,
        at(15, 4),
    );
    s.user_agent = UA_PY.into();
    s.os = "Linux";
    s.session_id = Some(att_sid);
    s.incoming_token_type = "refreshToken";
    s.risk_level = "medium";
    let att_r2 = b.add(s);
    let tok = b.tok(&att_r2);
    let c = b.op(
        "Microsoft.Authorization/locks/delete",
        lock.clone(),
        &tok,
        &attacker.ip,
        at(15, 10),
    );
    bad(c, vec![ind("resource_lock_deleted", &["T1490"]), sf()]);
    let c = b.op(
        "Microsoft.Insights/diagnosticSettings/delete",
        format!("{kv}/providers/Microsoft.Insights/diagnosticSettings/send-to-law"),
        &tok,
        &attacker.ip,
        at(15, 12),
    );
    bad(
        c,
        vec![ind("diagnostic_setting_deleted", &["T1562.008"]), sf()],
    );
    let pa = format!("{sub}/providers/Microsoft.Authorization/policyAssignments/allowed-vm-skus");
    let c = b.op(
        "Microsoft.Authorization/policyAssignments/write",
        pa.clone(),
        &tok,
        &attacker.ip,
        at(15, 15),
    );
    c.op.request_body = Some(json!({"properties": {"displayName": "Allowed virtual machine size SKUs",
        "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/cccc23c7-8427-4f53-ad12-b6a63eb452b3",
        "scope": sub, "enforcementMode": "DoNotEnforce",
        "parameters": {"listOfAllowedSKUs": {"value": ["Standard_B2s", "Standard_D2s_v5", "Standard_D4s_v5"]}}}}).to_string());
    bad(c, vec![ind("azure_policy_tampering", &["T1562.001"]), sf()]);

    // Credential added to the reporting app (Entra audit), then the SP signs in from a new IP.
    let new_key = b.rng.guid();
    let audit_corr = b.rng.guid();
    let initiator = json!({"app": null, "user": {"id": adele.object_id.to_string(), "displayName": null,
        "userPrincipalName": adele.upn, "ipAddress": attacker.ip, "userType": null, "homeTenantId": null, "homeTenantName": null}});
    let key_new = format!("[\"[KeyIdentifier={new_key},KeyType=Password,KeyUsage=Verify,DisplayName=sync-2026]\",\"[KeyIdentifier={sp_secret_old},KeyType=Password,KeyUsage=Verify,DisplayName=default]\"]");
    let key_old = format!("[\"[KeyIdentifier={sp_secret_old},KeyType=Password,KeyUsage=Verify,DisplayName=default]\"]");
    for (n, (activity, ttype, tid)) in [
        (
            "Update application – Certificates and secrets management ",
            "Application",
            b.rng.guid(),
        ),
        (
            "Add service principal credentials",
            "ServicePrincipal",
            reporting.object_id,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!(
            "Directory_{audit_corr}_{}_{}",
            b.rng.token(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 5),
            40_000_000 + n
        );
        b.audits.push(Audit {
            id,
            time: at(15, 30).add_ms(n as i64 * 420),
            activity,
            category: "ApplicationManagement",
            service: "Core Directory",
            operation_type: "Update",
            correlation_id: audit_corr,
            initiator: initiator.clone(),
            targets: json!([{"id": tid.to_string(), "displayName": "app-reporting-sync", "type": ttype, "userPrincipalName": null,
                "groupType": null, "modifiedProperties": [
                    {"displayName": "KeyDescription", "oldValue": key_old, "newValue": key_new},
                    {"displayName": "Included Updated Properties", "oldValue": null, "newValue": "\"KeyDescription\""}],
                "administrativeUnits": []}]),
            details: json!([{"key": "User-Agent", "value": "python-requests/2.31.0"},
                {"key": "AppId", "value": reporting.app_id.map(|g| g.to_string())}]),
        });
    }
    b.audits.push(Audit {
        id: format!("Directory_{}_ELEV_{}", b.rng.guid(), 41_000_000),
        time: at(9, 22).add_ms(800),
        activity: "User has elevated their access to User Access Administrator for their Azure Resources",
        category: "AzureRBACRoleManagementElevateAccess",
        service: "Azure RBAC (Elevated Access)",
        operation_type: "Assign",
        correlation_id: b.rng.guid(),
        initiator: json!({"app": null, "user": {"id": adele.object_id.to_string(), "displayName": null, "userPrincipalName": adele.upn,
            "ipAddress": attacker.ip, "userType": null, "homeTenantId": null, "homeTenantName": null}}),
        targets: json!([{"id": null, "displayName": "User Access Administrator", "type": "Other", "userPrincipalName": null,
            "groupType": null, "modifiedProperties": [], "administrativeUnits": []}]),
        details: json!([]),
    });
    let mut s = b.base_signin(
        SignInKind::ServicePrincipal,
        &reporting,
        sp_app(&reporting),
        &attacker2,
        at(15, 45),
    );
    s.cred_type = "clientSecret";
    s.error_code = 7000215;
    s.failure_reason = "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.";
    b.add(s);
    let mut s = b.base_signin(
        SignInKind::ServicePrincipal,
        &reporting,
        sp_app(&reporting),
        &attacker2,
        at(15, 46),
    );
    s.cred_type = "clientSecret";
    s.cred_key_id = Some(new_key);
    let sp_bad = b.add(s);
    let tok = b.tok(&sp_bad);
    let chain = || {
        ind(
            "sp_credential_added_then_sp_activity",
            &["T1098.001", "T1078.004"],
        )
    };
    let rid = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/gpu-node-03",
        rg("rg-prod")
    );
    let c = b.op(
        "Microsoft.Compute/virtualMachines/write",
        rid.clone(),
        &tok,
        &attacker2.ip,
        at(15, 50),
    );
    c.op.request_body = Some(vm_body(
        "brazilsouth",
        "Standard_ND40rs_v2",
        "gpu-node-03",
        &rg("rg-prod"),
    ));
    c.op.response_body = Some(vm_response(
        &rid,
        "gpu-node-03",
        "brazilsouth",
        "Standard_ND40rs_v2",
    ));
    c.op.accepted = true;
    c.op.duration_ms = 120_000;
    bad(
        c,
        vec![
            ind(
                "expensive_or_gpu_compute_created",
                &["T1496.001", "T1578.002"],
            ),
            chain(),
        ],
    );
    let c = b.op(
        "Microsoft.Compute/virtualMachines/runCommand/action",
        rid,
        &tok,
        &attacker2.ip,
        at(15, 58),
    );
    c.op.accepted = true;
    bad(c, vec![ind("vm_run_command", &["T1651"]), chain()]);
    let c = b.op(
        "Microsoft.Storage/storageAccounts/listKeys/action",
        stg.clone(),
        &tok,
        &attacker2.ip,
        at(16, 2),
    );
    bad(
        c,
        vec![ind("storage_account_keys_listed", &["T1552"]), chain()],
    );

    // ---------------- Terraform via GitHub Actions (federated credential) ----------------
    let fic = b.rng.guid();
    for (day, uti_linkable) in [(0i64, true), (1, false)] {
        let mut s = b.base_signin(
            SignInKind::ServicePrincipal,
            &tf,
            sp_app(&tf),
            &github,
            at(day * 24 + 11, 0),
        );
        s.cred_type = "federatedIdentityCredential";
        s.fed_cred_id = Some(fic);
        s.uti_text = false;
        if !uti_linkable {
            s.with_uti = false;
        }
        let s = b.add(s);
        let mut tok = b.tok(&s);
        if !uti_linkable {
            tok.uti = b.rng.guid();
        }
        let corr = b.rng.guid();
        let steps: [(&str, String); 8] = [
            (
                "Microsoft.Resources/deployments/write",
                format!(
                    "{}/providers/Microsoft.Resources/deployments/tf-run-{}",
                    rg("rg-platform"),
                    4100 + day
                ),
            ),
            (
                "Microsoft.Network/virtualNetworks/write",
                format!(
                    "{}/providers/Microsoft.Network/virtualNetworks/vnet-platform",
                    rg("rg-platform")
                ),
            ),
            (
                "Microsoft.Network/publicIPAddresses/write",
                format!(
                    "{}/providers/Microsoft.Network/publicIPAddresses/pip-agw",
                    rg("rg-platform")
                ),
            ),
            (
                "Microsoft.KeyVault/vaults/write",
                format!(
                    "{}/providers/Microsoft.KeyVault/vaults/kv-platform-01",
                    rg("rg-platform")
                ),
            ),
            (
                "Microsoft.Network/networkSecurityGroups/write",
                format!(
                    "{}/providers/Microsoft.Network/networkSecurityGroups/nsg-platform",
                    rg("rg-platform")
                ),
            ),
            (
                "Microsoft.Network/networkInterfaces/write",
                format!(
                    "{}/providers/Microsoft.Network/networkInterfaces/nic-agw",
                    rg("rg-platform")
                ),
            ),
            (
                "Microsoft.Storage/storageAccounts/write",
                format!(
                    "{}/providers/Microsoft.Storage/storageAccounts/stplatformtf01",
                    rg("rg-platform")
                ),
            ),
            (
                "Microsoft.Resources/tags/write",
                format!(
                    "{}/providers/Microsoft.Resources/tags/default",
                    rg("rg-platform")
                ),
            ),
        ];
        for (i, (op, rid)) in steps.iter().enumerate() {
            let c = b.op(
                op,
                rid.clone(),
                &tok,
                &github.ip,
                at(day * 24 + 11, 2 + i as i64),
            );
            c.op.correlation_id = corr;
            c.op.accepted = i == 0;
            c.notes.push("benign Terraform apply from GitHub Actions (federated credential); all writes share the deployment's correlationId".into());
            if !uti_linkable {
                c.notes.push("sign-in exported without uniqueTokenIdentifier and its Request ID differs from uti: linked by iat + 300 s".into());
            }
        }
    }

    // ---------------- Azure DevOps SP: issuing sign-in missing, window match ----------------
    let mut s = b.base_signin(
        SignInKind::ServicePrincipal,
        &devops,
        sp_app(&devops),
        &dc,
        at(34, 0),
    );
    s.cred_type = "certificate";
    let dv1 = b.add(s);
    if let Some(last) = b.signins.last_mut() {
        last.dropped = true;
    }
    let mut s = b.base_signin(
        SignInKind::ServicePrincipal,
        &devops,
        sp_app(&devops),
        &dc,
        at(34, 9),
    );
    s.cred_type = "certificate";
    b.add(s);
    let tok = b.tok(&dv1);
    let c = b.op(
        "Microsoft.Web/sites/config/write",
        format!("{webapp}/config/appsettings"),
        &tok,
        &dc.ip,
        at(34, 12),
    );
    c.notes.push("issuing sign-in (34:00) missing from the export; nearest same-identity sign-in in the ±15 min window is the expected link".into());

    // ---------------- Azure Policy and health events ----------------
    let policy_claims: Vec<(&'static str, String)> = vec![
        ("aud", "https://management.azure.com/".into()),
        ("iss", t.iss()),
        ("appid", known::POLICY_INSIGHTS.id.into()),
        ("appidacr", "2".into()),
        ("idtyp", "app".into()),
        (
            "http://schemas.microsoft.com/identity/claims/tenantid",
            t.tenant_id.to_string(),
        ),
        ("ver", "1.0".into()),
    ];
    let policy_caller = b.rng.guid().to_string();
    for (i, (h, m)) in [(14i64, 37i64), (14, 40), (26, 0)].iter().enumerate() {
        let rid = format!(
            "{}/providers/Microsoft.Compute/virtualMachines/gpu-node-0{}",
            rg("rg-prod"),
            1 + i % 2
        );
        let caller = Caller::Service {
            caller: policy_caller.clone(),
            claims: policy_claims.clone(),
        };
        let mut op = Op::admin(
            &mut b.rng,
            "Microsoft.Authorization/policies/audit/action",
            rid,
            caller,
            "",
            at(*h, *m),
        );
        op.category = Category::Policy;
        op.level = "Warning";
        op.properties = vec![
            ("isComplianceCheck", if i == 2 { "True" } else { "False" }.into()),
            ("resourceLocation", "southeastasia".into()),
            ("ancestors", t.tenant_id.to_string()),
            ("policies", json!([{"policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/06a78e20-9358-41c9-923c-fb736d382a4d",
                "policyDefinitionName": "06a78e20-9358-41c9-923c-fb736d382a4d", "policyDefinitionEffect": "Audit",
                "policyAssignmentId": format!("{sub}/providers/Microsoft.Authorization/policyAssignments/audit-managed-disks"),
                "policyAssignmentName": "audit-managed-disks", "policyAssignmentScope": sub, "policyAssignmentParameters": {}}]).to_string()),
            ("hierarchy", format!("{}/{}", t.tenant_id, t.subscription_id)),
        ];
        b.ops.push(CaseOp {
            op,
            malicious: false,
            indicators: vec![],
            notes: vec!["Azure Policy compliance evaluation (platform)".into()],
        });
    }
    for (h, status, level) in [
        (27i64, "Active", "Warning"),
        (29, "Resolved", "Informational"),
    ] {
        let mut op = Op::admin(
            &mut b.rng,
            "Microsoft.ServiceHealth/incident/action",
            sub.clone(),
            Caller::None,
            "",
            at(h, 0),
        );
        op.category = Category::ServiceHealth;
        op.single_status = status;
        op.level = level;
        op.properties = vec![
            ("title", "Virtual Machines - West Europe - Mitigated".into()),
            ("service", "Virtual Machines".into()),
            ("region", "West Europe".into()),
            ("communication", "Starting at 03:00 UTC, a subset of customers may experience connection failures to virtual machines in West Europe.".into()),
            ("incidentType", "Incident".into()),
            ("trackingId", "VN2K-7X9".into()),
            ("impactStartTime", at(27, 0).iso()),
            ("impactedServices", json!([{"ImpactedRegions": [{"RegionName": "West Europe"}], "ServiceName": "Virtual Machines"}]).to_string()),
            ("stage", status.into()),
            ("communicationId", "11000018347589".into()),
            ("version", "0.1.1".into()),
        ];
        b.ops.push(CaseOp {
            op,
            malicious: false,
            indicators: vec![],
            notes: vec!["ServiceHealth platform event".into()],
        });
    }
    for (h, cur, prev) in [
        (20i64, "Unavailable", "Available"),
        (20, "Available", "Unavailable"),
    ] {
        let when = if cur == "Available" {
            at(h, 14)
        } else {
            at(h, 2)
        };
        let opname = if cur == "Available" {
            "Microsoft.Resourcehealth/healthevent/Resolved/action"
        } else {
            "Microsoft.Resourcehealth/healthevent/Activated/action"
        };
        let mut op = Op::admin(&mut b.rng, opname, vm_web.clone(), Caller::None, "", when);
        op.category = Category::ResourceHealth;
        op.operation_id = String::new();
        op.single_status = if cur == "Available" {
            "Resolved"
        } else {
            "Active"
        };
        op.level = if cur == "Available" {
            "Informational"
        } else {
            "Critical"
        };
        op.properties = vec![
            ("title", "Rebooted by Azure due to host server issue".into()),
            ("details", "Unplanned".into()),
            ("currentHealthStatus", cur.into()),
            ("previousHealthStatus", prev.into()),
            ("type", "Downtime".into()),
            ("cause", "PlatformInitiated".into()),
        ];
        b.ops.push(CaseOp {
            op,
            malicious: false,
            indicators: vec![],
            notes: vec!["ResourceHealth platform event".into()],
        });
    }

    // Background noise sign-ins that issue no ARM token (Office / Graph), for realism.
    for (i, h) in [9i64, 12, 16, 31, 38].iter().enumerate() {
        let who = if i % 2 == 0 { &megan } else { &adele };
        let p = if i % 2 == 0 { &manchester } else { &london };
        let mut s = b.base_signin(
            SignInKind::NonInteractive,
            who,
            known::OFFICE,
            p,
            at(*h, 40),
        );
        s.resource = if i % 2 == 0 {
            known::EXCHANGE
        } else {
            known::GRAPH
        };
        s.user_agent = UA_EDGE.into();
        s.incoming_token_type = "primaryRefreshToken";
        s.auth_requirement = "multiFactorAuthentication";
        s.session_id = Some(if i % 2 == 0 { megan_sid } else { adele_sid });
        b.add(s);
    }

    let mut ops = b.ops;
    ops.sort_by(|a, c| {
        a.op.start
            .cmp(&c.op.start)
            .then(a.op.correlation_id.cmp(&c.op.correlation_id))
    });
    let mut signins = b.signins;
    signins.sort_by_key(|a| a.s.time);
    Case {
        tenant: t,
        ops,
        signins,
        audits: b.audits,
        t0,
        end: at(48, 0),
    }
}

/// Static strings for generated app display names (the demo makes a handful).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn sp_app(sp: &Identity) -> App {
    App {
        id: leak(sp.app_id.map(|g| g.to_string()).unwrap_or_default()),
        name: leak(sp.display.clone()),
    }
}

fn vm_body(loc: &str, size: &str, name: &str, rg: &str) -> String {
    json!({"location": loc, "properties": {"hardwareProfile": {"vmSize": size},
        "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"},
            "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}, "deleteOption": "Delete"}},
        "osProfile": {"computerName": name, "adminUsername": "azureuser", "linuxConfiguration": {"disablePasswordAuthentication": true}},
        "networkProfile": {"networkInterfaces": [{"id": format!("{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic"), "properties": {"deleteOption": "Delete"}}]}}})
    .to_string()
}

fn vm_response(rid: &str, name: &str, loc: &str, size: &str) -> String {
    json!({"name": name, "id": rid, "type": "Microsoft.Compute/virtualMachines", "location": loc,
        "properties": {"vmId": Guid([name.len() as u8; 16]).to_string(), "hardwareProfile": {"vmSize": size}, "provisioningState": "Creating"}})
    .to_string()
}

/// Everything the demo writes, with the files each event went to.
pub fn write(case: &Case, dir: &Path) -> Result<Summary> {
    let t = &case.tenant;
    let mut rng = Rng::new(0xD3_40);
    // Events per op, and a stable serviceRequestId per event.
    let mut evs = Vec::new();
    for (i, c) in case.ops.iter().enumerate() {
        for ev in c.op.events(&mut rng) {
            let sr = rng.guid();
            evs.push((i, ev, sr));
        }
    }
    evs.sort_by(|a, b| {
        a.1.time
            .cmp(&b.1.time)
            .then(a.1.event_data_id.cmp(&b.1.event_data_id))
    });
    let h = |hours: i64| case.t0.add_mins(hours * 60);
    let act = dir.join("activity");
    let mut files: Vec<(String, usize)> = Vec::new();

    // az array: [t0, t0+30h), newest first as the REST API returns it.
    let mut az = AzArray::new(sink::create(&act.join("az-activity-log.json"))?)?;
    let mut n = 0;
    for (i, ev, sr) in evs.iter().rev().filter(|(_, e, _)| e.time < h(30)) {
        az.push(&shapes::az_event(&case.ops[*i].op, ev, t, *sr))?;
        n += 1;
    }
    az.finish()?;
    files.push(("activity/az-activity-log.json".into(), n));

    // Diagnostic-settings tree: [t0+28h, end), by receipt (submission) hour.
    let root = act.join("insights-activity-logs").join(format!(
        "resourceId=/SUBSCRIPTIONS/{}",
        t.subscription_id.to_string().to_uppercase()
    ));
    let mut tree = HourTree::new(root, 8);
    let mut n = 0;
    for (i, ev, sr) in evs.iter().filter(|(_, e, _)| e.time >= h(28)) {
        let mut line = Vec::new();
        sink::push_line(&mut line, &shapes::diag_event(&case.ops[*i].op, ev, t, *sr));
        tree.write(ev.submitted.ymdh(), &line)?;
        n += 1;
    }
    tree.finish()?;
    files.push(("activity/insights-activity-logs/…/PT1H.json".into(), n));

    // Gzip: an az array of every non-Administrative event (overlaps the others).
    {
        let f = sink::create(&act.join("az-activity-platform.json.gz"))?;
        let gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(f, flate2::Compression::default());
        let mut az = AzArray::new(gz)?;
        let mut n = 0;
        for (i, ev, sr) in evs
            .iter()
            .filter(|(i, _, _)| case.ops[*i].op.category != Category::Administrative)
        {
            az.push(&shapes::az_event(&case.ops[*i].op, ev, t, *sr))?;
            n += 1;
        }
        let gz = az.finish()?;
        gz.finish()?.flush()?;
        files.push(("activity/az-activity-platform.json.gz".into(), n));
    }

    // Log Analytics AzureActivity JSON export: [t0+24h, t0+34h).
    let mut la = AzArray::new(sink::create(&act.join("la-azureactivity.json"))?)?;
    let mut n = 0;
    for (i, ev, sr) in evs
        .iter()
        .filter(|(_, e, _)| e.time >= h(24) && e.time < h(34))
    {
        la.push(&shapes::la_json(&case.ops[*i].op, ev, t, *sr))?;
        n += 1;
    }
    la.finish()?;
    files.push(("activity/la-azureactivity.json".into(), n));

    // Sign-ins: Graph beta pages cover [t0, t0+30h); diagnostic records [t0+18h, end).
    let exported: Vec<&CaseSignIn> = case
        .signins
        .iter()
        .filter(|c| !c.dropped && c.s.time >= case.t0 && c.s.time < case.end)
        .collect();
    let si = dir.join("signins");
    for kind in SignInKind::ALL {
        let ctx = "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns";
        let next = format!(
            "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=signInEventTypes/any(t: t eq '{}')&$top=4",
            kind.event_type()
        );
        let mut pages = GraphPages::new(&si.join("graph"), kind.event_type(), ctx, &next, 4);
        let mut n = 0;
        // Graph returns newest first.
        for c in exported
            .iter()
            .rev()
            .filter(|c| c.s.kind == kind && c.s.time < h(30))
        {
            let v = shapes::graph_signin(&c.s, t);
            pages.raw(serde_json::to_string(&v)?.as_bytes())?;
            n += 1;
        }
        pages.finish()?;
        files.push((format!("signins/graph/{}-page*.json", kind.event_type()), n));
        let root = si
            .join("diag")
            .join(format!("insights-logs-{}", kind.category().to_lowercase()))
            .join(format!("tenantId={}", t.tenant_id));
        let mut tree = HourTree::new(root, 4);
        let mut n = 0;
        for c in exported
            .iter()
            .filter(|c| c.s.kind == kind && c.s.time >= h(18))
        {
            let mut line = Vec::new();
            sink::push_line(&mut line, &shapes::diag_signin(&c.s, t));
            tree.write(c.s.time.add_secs(150).ymdh(), &line)?;
            n += 1;
        }
        tree.finish()?;
        files.push((
            format!(
                "signins/diag/insights-logs-{}/…/PT1H.json",
                kind.category().to_lowercase()
            ),
            n,
        ));
    }

    // Entra audit: one Graph directoryAudits page.
    let mut pages = GraphPages::new(
        &dir.join("audit"),
        "directoryAudits",
        "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
        "https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?$top=50",
        50,
    );
    for a in &case.audits {
        pages.raw(serde_json::to_string(&shapes::graph_audit(a))?.as_bytes())?;
    }
    pages.finish()?;
    files.push((
        "audit/directoryAudits-page0001.json".into(),
        case.audits.len(),
    ));

    // Ground truth.
    let known_signins: Vec<Known<'_>> = case
        .signins
        .iter()
        .map(|c| Known {
            s: &c.s,
            exported: !c.dropped && c.s.time >= case.t0 && c.s.time < case.end,
        })
        .collect();
    let cov = Coverage {
        start: case.t0.secs(),
        end: case.end.secs(),
    };
    let mut w = sink::create(&dir.join("truth.jsonl"))?;
    for (i, c) in case.ops.iter().enumerate() {
        let line = truth_line(c, i, &evs, &known_signins, &cov);
        serde_json::to_writer(&mut w, &line)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(Summary {
        events: evs.len(),
        operations: case.ops.len(),
        signins: exported.len(),
        audits: case.audits.len(),
        files,
    })
}

fn truth_line(
    c: &CaseOp,
    i: usize,
    evs: &[(usize, crate::activity::Event, Guid)],
    signins: &[Known<'_>],
    cov: &Coverage,
) -> TruthOp {
    let (identity, client, verdict) = truth::identity_of(&c.op);
    let (sign_in, gap, origin) = truth::expected_link(&c.op, signins, cov);
    let mut event_ids: Vec<(crate::clock::Ts, String)> = evs
        .iter()
        .filter(|(j, _, _)| *j == i)
        .map(|(_, e, _)| (e.time, e.event_data_id.to_string()))
        .collect();
    event_ids.sort();
    let first = event_ids.first().map(|(t, _)| t.iso()).unwrap_or_default();
    let mut indicators = c.indicators.clone();
    if !matches!(c.op.outcome, Outcome::Succeeded(_)) {
        indicators.clear();
    }
    TruthOp {
        record: "operation",
        correlation_id: c.op.correlation_id.to_string(),
        operation_id: c.op.operation_id.clone(),
        operation: c.op.operation.clone(),
        resource_id: c.op.resource_id.clone(),
        time: first,
        status: c.op.final_status(),
        event_ids: event_ids.into_iter().map(|(_, e)| e).collect(),
        identity,
        client,
        sign_in,
        sign_in_gap: gap,
        session_origin: origin,
        verdict,
        malicious: c.malicious,
        indicators,
        notes: c.notes.clone(),
    }
}

/// Counts for the command's report.
pub struct Summary {
    pub events: usize,
    pub operations: usize,
    pub signins: usize,
    pub audits: usize,
    pub files: Vec<(String, usize)>,
}
