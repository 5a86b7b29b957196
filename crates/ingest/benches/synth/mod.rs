//! A small deterministic generator of export records for the criterion benches.
//!
//! `tokentrail-gen` is a binary crate, so the benches cannot call it; this module writes the
//! same shapes (formats.md §1, §3–§8) from one scenario, in memory: users sign in
//! interactively, refresh in the same session, and make changes with the tokens those sign-ins
//! issued. Each operation is built so the matcher has to use a given step:
//!
//! * token (70 %): the `uti` claim names the issuing sign-in's `uniqueTokenIdentifier`;
//! * session (15 %): the issuing sign-in is missing, another sign-in of the `sid` session fits `iat`;
//! * window (15 %): no `uti` and no `sid`; a sign-in of the same user and app 10 minutes before
//!   (about 6 points of these meet another sign-in of the user near `iat` and link by issue time).
//!
//! The rest of the ~2N sign-ins are failed sign-ins and sign-ins to other resources.
//! Shared by `crates/ingest/benches/readers.rs` and `crates/analyze/benches/matcher.rs`.

#![allow(dead_code)]

use jiff::Timestamp;
use serde_json::{json, Map, Value};
use tokentrail_model::Guid;

const TENANT: &str = "b787e260-0357-45a5-9000-2f3422c01727";
const SUB: &str = "5520024a-c3d6-4ad3-9de8-3116f3ff938a";
const WORKSPACE: &str = "085160c9-db84-4226-ab72-d83791101bb8";
const ARM: &str = "797f4846-ba00-4fd7-ba43-dac1f8f63013";
const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
/// Azure CLI and Azure Portal.
const APPS: [(&str, &str); 2] = [
    (
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "Microsoft Azure CLI",
    ),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
];
const T0: i64 = 1_769_904_000; // 2026-02-01T00:00:00Z
const OPS: [(&str, &str, &str); 4] = [
    (
        "Microsoft.Compute/virtualMachines/write",
        "virtualMachines",
        "PUT",
    ),
    (
        "Microsoft.Storage/storageAccounts/listKeys/action",
        "storageAccounts",
        "POST",
    ),
    (
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
        "networkSecurityGroups",
        "PUT",
    ),
    (
        "Microsoft.Authorization/roleAssignments/write",
        "roleAssignments",
        "PUT",
    ),
];

/// SplitMix64: fixed output for a seed, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn guid(&mut self) -> Guid {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next().to_le_bytes());
        b[8..].copy_from_slice(&self.next().to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Guid(b)
    }
}

/// How an operation's token is meant to be linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Token,
    Session,
    Window,
}

pub struct User {
    pub oid: Guid,
    pub upn: String,
    pub given: String,
    pub surname: String,
    pub ip: String,
}

pub struct SignIn {
    pub id: Guid,
    /// Unix milliseconds.
    pub at: i64,
    pub user: usize,
    pub app: usize,
    pub session: Guid,
    pub interactive: bool,
    pub success: bool,
    /// Has a `uniqueTokenIdentifier` (the Request ID's GUID).
    pub has_uti: bool,
    pub resource: &'static str,
}

pub struct Op {
    pub id: Guid,
    pub correlation: Guid,
    /// Unix milliseconds.
    pub at: i64,
    pub user: usize,
    pub app: usize,
    pub iat: i64,
    pub uti: Option<Guid>,
    pub sid: Option<Guid>,
    pub kind: usize,
    pub resource_id: String,
    pub expect: Expect,
}

pub struct Scenario {
    pub users: Vec<User>,
    pub signins: Vec<SignIn>,
    pub ops: Vec<Op>,
}

const NAMES: [&str; 8] = [
    "adele", "diego", "megan", "grady", "lynne", "nestor", "joni", "pradeep",
];
const SURNAMES: [&str; 6] = ["Vance", "Gupta", "Bowen", "Archie", "Mueller", "Graham"];

fn ts(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// N operations (one Activity event each) and about 2N sign-ins.
pub fn scenario(n: usize, seed: u64) -> Scenario {
    let mut r = Rng::new(seed);
    let users: Vec<User> = (0..(n / 40).max(8))
        .map(|i| {
            let g = NAMES[i % NAMES.len()];
            let s = SURNAMES[(i / NAMES.len()) % SURNAMES.len()];
            User {
                oid: r.guid(),
                upn: format!("{g}.{}{i}@contoso-bench.example", s.to_ascii_lowercase()),
                given: g[..1].to_ascii_uppercase() + &g[1..],
                surname: s.to_string(),
                ip: format!("198.18.{}.{}", (i / 250) % 250, i % 250 + 1),
            }
        })
        .collect();
    let mut signins = Vec::with_capacity(2 * n + 8);
    let mut ops = Vec::with_capacity(n);
    // Every user has one live session; each token belongs to the user's current session.
    let mut sessions: Vec<Guid> = users.iter().map(|_| r.guid()).collect();
    for i in 0..n {
        let user = r.below(users.len() as u64) as usize;
        let app = r.below(2) as usize;
        let at = (T0 + 20 + i as i64 * 3) * 1000 + r.below(1000) as i64;
        if r.below(50) == 0 {
            sessions[user] = r.guid();
        }
        let session = sessions[user];
        let expect = match i % 20 {
            0..=13 => Expect::Token,
            14..=16 => Expect::Session,
            _ => Expect::Window,
        };
        let (iat, uti, sid) = match expect {
            Expect::Token => {
                let iat = at / 1000 - 600 - r.below(1800) as i64;
                let id = r.guid();
                signins.push(SignIn {
                    id,
                    at: (iat + 300) * 1000 + r.below(1000) as i64,
                    user,
                    app,
                    session,
                    interactive: r.below(4) == 0,
                    success: true,
                    has_uti: true,
                    resource: ARM,
                });
                (iat, Some(id), Some(session))
            }
            Expect::Session => {
                // The issuing sign-in is not in the export; a refresh of the session is.
                let iat = at / 1000 - 900 - r.below(1800) as i64;
                signins.push(SignIn {
                    id: r.guid(),
                    at: (iat + 240) * 1000,
                    user,
                    app,
                    session,
                    interactive: false,
                    success: true,
                    has_uti: false,
                    resource: ARM,
                });
                (iat, Some(r.guid()), Some(session))
            }
            Expect::Window => {
                let iat = at / 1000 - 3000;
                signins.push(SignIn {
                    id: r.guid(),
                    at: at - 600_000,
                    user,
                    app,
                    session: r.guid(),
                    interactive: true,
                    success: true,
                    has_uti: true,
                    resource: ARM,
                });
                (iat, None, None)
            }
        };
        // Background: a failed sign-in or a sign-in to another resource.
        signins.push(SignIn {
            id: r.guid(),
            at: at - 30_000 - r.below(600_000) as i64,
            user: r.below(users.len() as u64) as usize,
            app: r.below(2) as usize,
            session: r.guid(),
            interactive: true,
            success: i % 3 != 0,
            has_uti: true,
            resource: GRAPH,
        });
        let kind = r.below(OPS.len() as u64) as usize;
        ops.push(Op {
            id: r.guid(),
            correlation: r.guid(),
            at,
            user,
            app,
            iat,
            uti,
            sid,
            kind,
            resource_id: format!(
                "/subscriptions/{SUB}/resourceGroups/rg-app-{:02}/providers/{}/{}-{:03}",
                i % 40,
                OPS[kind].0.rsplit_once('/').map_or("", |p| p.0),
                OPS[kind].1,
                i % 500
            ),
            expect,
        });
    }
    signins.sort_by_key(|s| s.at);
    Scenario {
        users,
        signins,
        ops,
    }
}

fn b64(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..=c.len() {
            out.push(alphabet[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
        if pad {
            for _ in c.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// uniqueTokenIdentifier: base64url of the GUID bytes, or 2022-style base64 of the GUID text.
fn unique_token_identifier(id: Guid, text_style: bool) -> String {
    if text_style {
        b64(id.to_string().as_bytes(), STD, true)
    } else {
        id.to_uti()
    }
}

impl Scenario {
    fn claims(&self, op: &Op) -> Map<String, Value> {
        let u = &self.users[op.user];
        let mut c = Map::new();
        let mut put = |k: &str, v: String| {
            c.insert(k.to_string(), Value::String(v));
        };
        put("aud", "https://management.core.windows.net/".into());
        put("iss", format!("https://sts.windows.net/{TENANT}/"));
        put("iat", op.iat.to_string());
        put("nbf", op.iat.to_string());
        put("exp", (op.iat + 3900).to_string());
        put(
            "http://schemas.microsoft.com/claims/authnclassreference",
            "1".into(),
        );
        put(
            "aio",
            "nSD59_Duim0nIDE-nBmQo9rBT67b222rTEDwyjIODFXy8IVB2OVz6iF3O8Ya".into(),
        );
        put(
            "http://schemas.microsoft.com/claims/authnmethodsreferences",
            "pwd,mfa".into(),
        );
        put("appid", APPS[op.app].0.into());
        put("appidacr", "0".into());
        put(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            u.surname.clone(),
        );
        put(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
            u.given.clone(),
        );
        put("idtyp", "user".into());
        put("ipaddr", u.ip.clone());
        put("name", format!("{} {}", u.given, u.surname));
        put(
            "http://schemas.microsoft.com/identity/claims/objectidentifier",
            u.oid.to_string(),
        );
        put("puid", "000038A738D02C4E".into());
        put(
            "rh",
            "0.HHFzBnXhA1I3tHdnvUg1o1mAudQQMLs7gRrnA8n-mlm7WO3pShUszcVpC44TZ7T-0BWZrT.".into(),
        );
        put(
            "http://schemas.microsoft.com/identity/claims/scope",
            "user_impersonation".into(),
        );
        if let Some(s) = op.sid {
            put("sid", s.to_string());
        }
        put(
            "http://schemas.microsoft.com/identity/claims/tenantid",
            TENANT.into(),
        );
        put(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            u.upn.clone(),
        );
        put(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
            u.upn.clone(),
        );
        if let Some(t) = op.uti {
            put("uti", t.to_uti());
        }
        put("ver", "1.0".into());
        c
    }

    fn authorization(&self, op: &Op) -> Value {
        json!({"action": OPS[op.kind].0, "scope": op.resource_id})
    }

    fn request_body(&self, op: &Op) -> String {
        format!(
            "{{\"location\":\"westeurope\",\"properties\":{{\"hardwareProfile\":{{\"vmSize\":\"Standard_B2s\"}},\"n\":{}}}}}",
            op.at % 997
        )
    }

    fn properties(&self, op: &Op) -> Value {
        json!({
            "eventCategory": "Administrative",
            "entity": op.resource_id,
            "message": OPS[op.kind].0,
            "hierarchy": format!("{TENANT}/{SUB}"),
            "statusCode": "OK",
            "serviceRequestId": op.correlation.to_string(),
            "requestbody": self.request_body(op),
        })
    }

    /// `az monitor activity-log list -o json` element (REST shape, keys sorted).
    pub fn az_event(&self, op: &Op) -> Value {
        let u = &self.users[op.user];
        let (provider, rtype) = OPS[op.kind].0.rsplit_once('/').unwrap_or(("", ""));
        let ls = |v: &str| json!({"localizedValue": v, "value": v});
        let mut v = json!({
            "authorization": self.authorization(op),
            "caller": u.upn,
            "category": ls("Administrative"),
            "claims": Value::Object(self.claims(op)),
            "correlationId": op.correlation.to_string(),
            "description": "",
            "eventDataId": op.id.to_string(),
            "eventName": {"localizedValue": "End request", "value": "EndRequest"},
            "eventTimestamp": ts(op.at),
            "httpRequest": {"clientIpAddress": u.ip, "clientRequestId": op.correlation.to_string(), "method": OPS[op.kind].2},
            "id": format!("{}/events/{}/ticks/{}", op.resource_id, op.id, 621_355_968_000_000_000 + op.at * 10_000),
            "level": "Informational",
            "operationId": op.correlation.to_string(),
            "operationName": ls(OPS[op.kind].0),
            "properties": self.properties(op),
            "resourceGroupName": format!("rg-app-{:02}", op.at % 40),
            "resourceId": op.resource_id,
            "resourceProviderName": ls(provider.split('/').next().unwrap_or("")),
            "resourceType": ls(rtype),
            "status": ls("Succeeded"),
            "subStatus": {"localizedValue": "OK (HTTP Status Code: 200)", "value": "OK"},
            "submissionTimestamp": ts(op.at + 72_000),
            "subscriptionId": SUB,
            "tenantId": TENANT,
        });
        v.sort_all_objects();
        v
    }

    /// One line of a diagnostic-settings `PT1H.json` blob.
    pub fn diag_event(&self, op: &Op) -> Value {
        let u = &self.users[op.user];
        json!({
            "time": ts(op.at),
            "resourceId": op.resource_id.to_uppercase(),
            "operationName": OPS[op.kind].0.to_uppercase(),
            "category": "Administrative",
            "resultType": "Success",
            "resultSignature": "Succeeded.OK",
            "durationMs": 1873,
            "callerIpAddress": u.ip,
            "correlationId": op.correlation.to_string(),
            "identity": {"authorization": self.authorization(op), "claims": Value::Object(self.claims(op))},
            "level": "Information",
            "location": "global",
            "properties": self.properties(op),
        })
    }

    /// One Log Analytics `AzureActivity` CSV row, in `LA_COLUMNS` order.
    pub fn la_row(&self, op: &Op) -> Vec<String> {
        let u = &self.users[op.user];
        let provider = OPS[op.kind].0.split('/').next().unwrap_or("");
        let auth = self.authorization(op).to_string();
        let claims = Value::Object(self.claims(op)).to_string();
        let mut props = match self.properties(op) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        props.insert("eventName".into(), json!("EndRequest"));
        props.insert("operationId".into(), json!(op.correlation.to_string()));
        props.insert("eventDataId".into(), json!(op.id.to_string()));
        props.insert("activityStatusValue".into(), json!("Succeeded"));
        let props = Value::Object(props).to_string();
        let time = |ms: i64| {
            Timestamp::from_millisecond(ms)
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                .unwrap_or_default()
        };
        let rg = format!("RG-APP-{:02}", op.at % 40);
        vec![
            WORKSPACE.into(),
            "Azure".into(),
            u.ip.clone(),
            "Administrative".into(),
            op.correlation.to_string(),
            auth.clone(),
            auth,
            claims.clone(),
            claims,
            "Informational".into(),
            OPS[op.kind].0.into(),
            props.clone(),
            props,
            u.upn.clone(),
            op.id.to_string(),
            time(op.at + 72_000),
            json!({"clientRequestId": op.correlation.to_string(), "clientIpAddress": u.ip, "method": OPS[op.kind].2}).to_string(),
            op.correlation.to_string(),
            rg,
            provider.to_uppercase(),
            "Succeeded".into(),
            "OK (HTTP Status Code: 200)".into(),
            format!("{TENANT}/{SUB}"),
            time(op.at),
            SUB.into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            op.resource_id.clone(),
            String::new(),
            op.resource_id.rsplit('/').next().unwrap_or("").to_uppercase(),
            "AzureActivity".into(),
            op.resource_id.to_lowercase(),
        ]
    }

    /// The Graph beta `signIns` object (the `properties` of a diagnostic record).
    pub fn signin_object(&self, s: &SignIn, diag: bool) -> Value {
        let u = &self.users[s.user];
        let created = if diag {
            ts(s.at).replace('Z', "+00:00")
        } else {
            ts(s.at)
        };
        let kind = if s.interactive {
            "interactiveUser"
        } else {
            "nonInteractiveUser"
        };
        let uti = if s.has_uti {
            unique_token_identifier(s.id, diag && !s.interactive)
        } else {
            String::new()
        };
        let (code, reason) = if s.success {
            (0, "Other.")
        } else {
            (
                50126,
                "Error validating credentials due to invalid username or password.",
            )
        };
        let methods: Vec<&str> = if s.interactive {
            vec!["Password", "Mobile app notification"]
        } else {
            vec![]
        };
        json!({
            "id": s.id.to_string(),
            "createdDateTime": created,
            "userDisplayName": format!("{} {}", u.given, u.surname),
            "userPrincipalName": u.upn,
            "userId": u.oid.to_string(),
            "appId": APPS[s.app].0,
            "appDisplayName": APPS[s.app].1,
            "ipAddress": u.ip,
            "ipAddressFromResourceProvider": null,
            "clientAppUsed": if s.app == 0 { "Mobile Apps and Desktop clients" } else { "Browser" },
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.80",
            "correlationId": s.session.to_string(),
            "conditionalAccessStatus": "success",
            "originalRequestId": s.id.to_string(),
            "isInteractive": s.interactive,
            "tokenIssuerName": "",
            "tokenIssuerType": "AzureAD",
            "clientCredentialType": "none",
            "processingTimeInMilliseconds": 116,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes": [],
            "riskEventTypes_v2": [],
            "resourceDisplayName": if s.resource == ARM { "Windows Azure Service Management API" } else { "Microsoft Graph" },
            "resourceId": s.resource,
            "resourceTenantId": TENANT,
            "homeTenantId": TENANT,
            "homeTenantName": "",
            "authenticationMethodsUsed": methods,
            "authenticationRequirement": "multiFactorAuthentication",
            "signInIdentifier": u.upn,
            "signInIdentifierType": null,
            "servicePrincipalName": null,
            "signInEventTypes": [kind],
            "servicePrincipalId": "",
            "federatedCredentialId": "",
            "userType": "member",
            "flaggedForReview": false,
            "isTenantRestricted": false,
            "autonomousSystemNumber": 64507,
            "crossTenantAccessType": "none",
            "servicePrincipalCredentialKeyId": "",
            "servicePrincipalCredentialThumbprint": "",
            "uniqueTokenIdentifier": uti,
            "incomingTokenType": if s.interactive { "none" } else { "refreshToken" },
            "authenticationProtocol": if s.interactive { "oAuth2" } else { "none" },
            "resourceServicePrincipalId": "4e5f6a7b-2c3d-4e8f-9a0b-1c2d3e4f5a6b",
            "sessionId": s.session.to_string(),
            "originalTransferMethod": "none",
            "status": {"errorCode": code, "failureReason": reason, "additionalDetails": null},
            "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows10", "browser": "Edge 122.0.2365", "isCompliant": false, "isManaged": false, "trustType": ""},
            "location": {"city": "Sydney", "state": "New South Wales", "countryOrRegion": "AU", "geoCoordinates": {"altitude": null, "latitude": -33.8688, "longitude": 151.2093}},
            "appliedConditionalAccessPolicies": [],
            "authenticationContextClassReferences": [],
            "authenticationProcessingDetails": [{"key": "Root Key Type", "value": "Unknown"}, {"key": "Is CAE Token", "value": "False"}],
            "networkLocationDetails": [],
            "authenticationDetails": [{
                "authenticationStepDateTime": created,
                "authenticationMethod": if s.interactive { "Password" } else { "Previously satisfied" },
                "authenticationMethodDetail": null,
                "succeeded": s.success,
                "authenticationStepResultDetail": if s.interactive { "MFA successfully completed" } else { "First factor requirement satisfied by claim in the token" },
                "authenticationStepRequirement": ""
            }],
            "authenticationRequirementPolicies": [],
            "sessionLifetimePolicies": [],
            "managedServiceIdentity": {"msiType": "none", "associatedResourceId": null, "federatedTokenId": null, "federatedTokenIssuer": null},
            "appOwnerTenantId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
            "resourceOwnerTenantId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        })
    }

    /// A diagnostic-settings sign-in record (`SignInLogs` / `NonInteractiveUserSignInLogs`).
    pub fn diag_signin(&self, s: &SignIn) -> Value {
        let u = &self.users[s.user];
        json!({
            "time": ts(s.at),
            "resourceId": format!("/tenants/{TENANT}/providers/Microsoft.aadiam"),
            "operationName": "Sign-in activity",
            "operationVersion": "1.0",
            "category": if s.interactive { "SignInLogs" } else { "NonInteractiveUserSignInLogs" },
            "tenantId": TENANT,
            "resultType": if s.success { "0" } else { "50126" },
            "resultSignature": "None",
            "resultDescription": "",
            "durationMs": 0,
            "callerIpAddress": u.ip,
            "correlationId": s.session.to_string(),
            "identity": format!("{} {}", u.given, u.surname),
            "Level": 4,
            "location": "AU",
            "properties": self.signin_object(s, true),
        })
    }
}

/// Columns of the Log Analytics `AzureActivity` CSV export, in order.
pub const LA_COLUMNS: &[&str] = &[
    "TenantId",
    "SourceSystem",
    "CallerIpAddress",
    "CategoryValue",
    "CorrelationId",
    "Authorization",
    "Authorization_d",
    "Claims",
    "Claims_d",
    "Level",
    "OperationNameValue",
    "Properties",
    "Properties_d",
    "Caller",
    "EventDataId",
    "EventSubmissionTimestamp",
    "HTTPRequest",
    "OperationId",
    "ResourceGroup",
    "ResourceProviderValue",
    "ActivityStatusValue",
    "ActivitySubstatusValue",
    "Hierarchy",
    "TimeGenerated",
    "SubscriptionId",
    "OperationName",
    "ActivityStatus",
    "ActivitySubstatus",
    "Category",
    "ResourceId",
    "ResourceProvider",
    "Resource",
    "Type",
    "_ResourceId",
];

/// One export file's bytes and how many records it holds.
pub struct Blob {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub records: u64,
}

fn lines(vals: impl Iterator<Item = Value>) -> (Vec<u8>, u64) {
    let mut out = Vec::new();
    let mut n = 0;
    for v in vals {
        serde_json::to_writer(&mut out, &v).expect("in-memory write");
        out.push(b'\n');
        n += 1;
    }
    (out, n)
}

impl Scenario {
    /// `az monitor activity-log list -o json`: a 2-space indented array.
    pub fn az_array(&self) -> Blob {
        let v: Vec<Value> = self.ops.iter().map(|o| self.az_event(o)).collect();
        let bytes = serde_json::to_vec_pretty(&v).expect("in-memory write");
        Blob {
            name: "az-activity-log.json",
            bytes,
            records: v.len() as u64,
        }
    }

    /// Diagnostic-settings Activity JSON Lines.
    pub fn diag_activity(&self) -> Blob {
        let (bytes, records) = lines(self.ops.iter().map(|o| self.diag_event(o)));
        Blob {
            name: "activity-PT1H.json",
            bytes,
            records,
        }
    }

    /// Log Analytics `AzureActivity` CSV (RFC 4180 quoting, as the portal exports it).
    pub fn la_csv(&self) -> Blob {
        let mut out = String::new();
        let mut row = |cells: &mut dyn Iterator<Item = &str>| {
            for (i, c) in cells.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if c.contains([',', '"', '\n', '\r']) {
                    out.push('"');
                    out.push_str(&c.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(c);
                }
            }
            out.push('\n');
        };
        row(&mut LA_COLUMNS.iter().copied());
        for o in &self.ops {
            let cells = self.la_row(o);
            row(&mut cells.iter().map(String::as_str));
        }
        Blob {
            name: "la-azureactivity.csv",
            bytes: out.into_bytes(),
            records: self.ops.len() as u64,
        }
    }

    /// One Graph beta `auditLogs/signIns` page holding every sign-in.
    pub fn graph_page(&self) -> Blob {
        let value: Vec<Value> = self
            .signins
            .iter()
            .map(|s| self.signin_object(s, false))
            .collect();
        let records = value.len() as u64;
        let page = json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
            "value": value,
        });
        let bytes = serde_json::to_vec(&page).expect("in-memory write");
        Blob {
            name: "signins-page0001.json",
            bytes,
            records,
        }
    }

    /// Diagnostic-settings sign-in JSON Lines (interactive and non-interactive).
    pub fn diag_signins(&self) -> Blob {
        let (bytes, records) = lines(self.signins.iter().map(|s| self.diag_signin(s)));
        Blob {
            name: "signins-PT1H.json",
            bytes,
            records,
        }
    }
}
