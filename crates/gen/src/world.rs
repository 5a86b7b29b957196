//! The generator's model of a tenant: identities, sign-ins and the access tokens they issue.
//!
//! Every activity event's `claims` come from a [`Token`], and every token comes from a
//! [`SignIn`] (its Request ID is the token's `uti`), exactly as Entra and ARM link them
//! (formats.md §7). The demo and the scale generator share this model.

use crate::clock::Ts;
use crate::known::App;
use crate::rng::GuidText;
use crate::rng::{Rng, B64URL};
use std::sync::Arc;
use tokentrail_model::guid::Guid;

/// The tenant and subscription everything happens in.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub tenant_id: Guid,
    pub subscription_id: Guid,
    /// Log Analytics workspace id (what LA calls `TenantId`).
    pub workspace_id: Guid,
    pub domain: String,
    /// Unix seconds of tenant creation (`xms_tcdt`).
    pub created: i64,
}

impl Tenant {
    pub fn sub_path(&self) -> String {
        format!("/subscriptions/{}", self.subscription_id)
    }
    pub fn rg_path(&self, rg: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}",
            self.subscription_id
        )
    }
    pub fn iss(&self) -> String {
        format!("https://sts.windows.net/{}/", self.tenant_id)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    User,
    ServicePrincipal,
    ManagedIdentity,
}

impl IdKind {
    pub fn truth_name(self) -> &'static str {
        match self {
            IdKind::User => "user",
            IdKind::ServicePrincipal => "service_principal",
            IdKind::ManagedIdentity => "managed_identity",
        }
    }
}

/// A principal that signs in.
#[derive(Clone, Debug)]
pub struct Identity {
    pub kind: IdKind,
    pub display: String,
    /// Users: UPN (lower case).
    pub upn: Option<String>,
    pub given: String,
    pub family: String,
    /// User / service principal object id (the `oid` claim, the SP `servicePrincipalId`).
    pub object_id: Guid,
    /// SP / MI client (application) id.
    pub app_id: Option<Guid>,
    /// MI: the ARM resource id (`xms_mirid`).
    pub mirid: Option<String>,
    /// MI: `systemAssigned` or `userAssigned`.
    pub msi_type: &'static str,
    pub puid: String,
}

impl Identity {
    pub fn user(rng: &mut Rng, given: &str, family: &str, domain: &str) -> Identity {
        let upn = format!(
            "{}.{}@{domain}",
            given.to_lowercase(),
            family.to_lowercase()
        );
        Identity {
            kind: IdKind::User,
            display: format!("{given} {family}"),
            upn: Some(upn),
            given: given.into(),
            family: family.into(),
            object_id: rng.guid(),
            app_id: None,
            mirid: None,
            msi_type: "none",
            puid: format!("{:016X}", rng.next_u64() & 0x0003_FFFF_FFFF_FFFF),
        }
    }
    pub fn service_principal(rng: &mut Rng, name: &str) -> Identity {
        Identity {
            kind: IdKind::ServicePrincipal,
            display: name.into(),
            upn: None,
            given: String::new(),
            family: String::new(),
            object_id: rng.guid(),
            app_id: Some(rng.guid()),
            mirid: None,
            msi_type: "none",
            puid: String::new(),
        }
    }
    pub fn managed_identity(
        rng: &mut Rng,
        name: &str,
        mirid: String,
        user_assigned: bool,
    ) -> Identity {
        Identity {
            kind: IdKind::ManagedIdentity,
            display: name.into(),
            upn: None,
            given: String::new(),
            family: String::new(),
            object_id: rng.guid(),
            app_id: Some(rng.guid()),
            mirid: Some(mirid),
            msi_type: if user_assigned {
                "userAssigned"
            } else {
                "systemAssigned"
            },
            puid: String::new(),
        }
    }
    /// What ARM writes in `caller`: the UPN for users, the object id otherwise.
    pub fn caller(&self) -> String {
        self.upn.clone().unwrap_or_else(|| self.object_id.s())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignInKind {
    Interactive,
    NonInteractive,
    ServicePrincipal,
    ManagedIdentity,
}

impl SignInKind {
    pub fn category(self) -> &'static str {
        match self {
            SignInKind::Interactive => "SignInLogs",
            SignInKind::NonInteractive => "NonInteractiveUserSignInLogs",
            SignInKind::ServicePrincipal => "ServicePrincipalSignInLogs",
            SignInKind::ManagedIdentity => "ManagedIdentitySignInLogs",
        }
    }
    pub fn event_type(self) -> &'static str {
        match self {
            SignInKind::Interactive => "interactiveUser",
            SignInKind::NonInteractive => "nonInteractiveUser",
            SignInKind::ServicePrincipal => "servicePrincipal",
            SignInKind::ManagedIdentity => "managedIdentity",
        }
    }
    pub fn truth_name(self) -> &'static str {
        match self {
            SignInKind::Interactive => "interactive",
            SignInKind::NonInteractive => "non_interactive",
            SignInKind::ServicePrincipal => "service_principal",
            SignInKind::ManagedIdentity => "managed_identity",
        }
    }
    pub const ALL: [SignInKind; 4] = [
        SignInKind::Interactive,
        SignInKind::NonInteractive,
        SignInKind::ServicePrincipal,
        SignInKind::ManagedIdentity,
    ];
}

/// Where a sign-in came from.
#[derive(Clone, Debug)]
pub struct Place {
    pub ip: String,
    pub city: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub asn: u32,
}

/// One Entra sign-in event.
#[derive(Clone, Debug)]
pub struct SignIn {
    pub id: Guid,
    pub time: Ts,
    pub kind: SignInKind,
    pub who: Arc<Identity>,
    pub app: App,
    pub resource: App,
    pub place: Place,
    pub user_agent: String,
    pub client_app_used: &'static str,
    pub os: &'static str,
    pub browser: &'static str,
    pub session_id: Option<Guid>,
    pub correlation_id: Guid,
    pub incoming_token_type: &'static str,
    pub auth_requirement: &'static str,
    /// (method, detail) steps for `authenticationDetails`.
    pub auth_steps: Vec<(&'static str, &'static str)>,
    pub ca_status: &'static str,
    pub error_code: i64,
    pub failure_reason: &'static str,
    pub risk_level: &'static str,
    pub risk_events: Vec<&'static str>,
    pub protocol: &'static str,
    pub original_transfer: &'static str,
    pub cred_type: &'static str,
    pub cred_key_id: Option<Guid>,
    pub fed_cred_id: Option<Guid>,
    /// `uniqueTokenIdentifier` present in the export.
    pub with_uti: bool,
    /// Write `uniqueTokenIdentifier` 2022-style (base64 of the ASCII GUID) in diagnostic records.
    pub uti_text: bool,
    pub processing_ms: i64,
}

impl SignIn {
    pub fn ok(&self) -> bool {
        self.error_code == 0
    }
    /// The token this sign-in issues (its Request ID is the `uti`).
    pub fn token(&self, rng: &mut Rng) -> Token {
        let iat = self.time.secs() - 300;
        let life = match self.who.kind {
            IdKind::ManagedIdentity => 86_700,
            _ => 3_900,
        };
        Token {
            uti: self.id,
            issuer: self.id,
            iat,
            exp: iat + life,
            who: self.who.clone(),
            app: self.app,
            ipaddr: match self.who.kind {
                IdKind::User => Some(self.place.ip.clone()),
                _ => None,
            },
            sid: self.session_id,
            amr: if self.auth_requirement == "multiFactorAuthentication" {
                "pwd,mfa"
            } else {
                "pwd"
            },
            appidacr: match (self.who.kind, self.cred_type) {
                (IdKind::User, _) if self.app.id == crate::known::AZURE_PORTAL.id => "2",
                (IdKind::User, _) => "0",
                (_, "clientSecret") => "1",
                _ => "2",
            },
            aio: rng.token(B64URL, 60),
            rh: format!("0.{}.", rng.token(B64URL, 70)),
            with_uti: true,
        }
    }
}

/// An ARM access token as ARM logs its claims.
#[derive(Clone, Debug)]
pub struct Token {
    pub uti: Guid,
    /// Request ID of the sign-in that issued the token (normally equal to `uti`).
    pub issuer: Guid,
    pub iat: i64,
    pub exp: i64,
    pub who: Arc<Identity>,
    pub app: App,
    pub ipaddr: Option<String>,
    pub sid: Option<Guid>,
    pub amr: &'static str,
    pub appidacr: &'static str,
    pub aio: String,
    pub rh: String,
    /// False for events whose claims lack `uti`.
    pub with_uti: bool,
}

impl Token {
    /// The claims map exactly as ARM logs it: long URI keys for mapped claims, every value a string.
    pub fn claims(&self, t: &Tenant) -> Vec<(&'static str, String)> {
        let w = &self.who;
        let mut c: Vec<(&'static str, String)> = vec![
            ("aud", "https://management.core.windows.net/".into()),
            ("iss", t.iss()),
            ("iat", self.iat.to_string()),
            ("nbf", self.iat.to_string()),
            ("exp", self.exp.to_string()),
        ];
        match w.kind {
            IdKind::User => {
                c.push((
                    "http://schemas.microsoft.com/claims/authnclassreference",
                    "1".into(),
                ));
                c.push(("aio", self.aio.clone()));
                c.push((
                    "http://schemas.microsoft.com/claims/authnmethodsreferences",
                    self.amr.into(),
                ));
                c.push(("appid", self.app.id.into()));
                c.push(("appidacr", self.appidacr.into()));
                c.push((
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                    w.family.clone(),
                ));
                c.push((
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                    w.given.clone(),
                ));
                c.push(("idtyp", "user".into()));
                if let Some(ip) = &self.ipaddr {
                    c.push(("ipaddr", ip.clone()));
                }
                c.push(("name", w.display.clone()));
                c.push((
                    "http://schemas.microsoft.com/identity/claims/objectidentifier",
                    w.object_id.s(),
                ));
                c.push(("puid", w.puid.clone()));
                c.push(("rh", self.rh.clone()));
                c.push((
                    "http://schemas.microsoft.com/identity/claims/scope",
                    "user_impersonation".into(),
                ));
                if let Some(sid) = self.sid {
                    c.push(("sid", sid.s()));
                }
                c.push((
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
                    pairwise_sub(w.object_id, self.app.id),
                ));
                c.push((
                    "http://schemas.microsoft.com/identity/claims/tenantid",
                    t.tenant_id.s(),
                ));
                let upn = w.upn.clone().unwrap_or_default();
                c.push((
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                    upn.clone(),
                ));
                c.push((
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                    upn,
                ));
            }
            IdKind::ServicePrincipal | IdKind::ManagedIdentity => {
                c.push(("aio", self.aio.clone()));
                c.push(("appid", w.app_id.map(|g| g.to_string()).unwrap_or_default()));
                c.push(("appidacr", self.appidacr.into()));
                c.push((
                    "http://schemas.microsoft.com/identity/claims/identityprovider",
                    t.iss(),
                ));
                c.push(("idtyp", "app".into()));
                c.push((
                    "http://schemas.microsoft.com/identity/claims/objectidentifier",
                    w.object_id.s(),
                ));
                c.push(("rh", self.rh.clone()));
                c.push((
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
                    w.object_id.s(),
                ));
                c.push((
                    "http://schemas.microsoft.com/identity/claims/tenantid",
                    t.tenant_id.s(),
                ));
            }
        }
        if self.with_uti {
            c.push(("uti", self.uti.to_uti()));
        }
        c.push(("ver", "1.0".into()));
        if let Some(m) = &w.mirid {
            c.push(("xms_mirid", m.clone()));
        }
        c.push(("xms_tcdt", t.created.to_string()));
        c
    }
}

/// A stable stand-in for the pairwise `sub` claim (43 base64url characters).
fn pairwise_sub(oid: Guid, app: &str) -> String {
    let mut r = Rng::new(oid.0.iter().fold(app.len() as u64, |a, b| {
        a.wrapping_mul(131).wrapping_add(*b as u64)
    }));
    r.token(B64URL, 43)
}
