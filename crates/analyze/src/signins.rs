//! A compact, indexed view of sign-ins for correlation.
//!
//! Correlation needs only a few facts per sign-in; [`SignInFacts`] holds them and
//! [`SignInIndex`] answers the four lookups the matcher makes (token id, request id,
//! session, identity) in O(log n).

use jiff::Timestamp;
use serde::Serialize;
use std::collections::HashMap;
use tokentrail_model::Guid;

/// The kind of sign-in, as the matcher and the gap diagnosis see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Interactive,
    NonInteractive,
    ServicePrincipal,
    ManagedIdentity,
    Adfs,
    Unknown,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Interactive => "interactive user",
            Kind::NonInteractive => "non-interactive user",
            Kind::ServicePrincipal => "service principal",
            Kind::ManagedIdentity => "managed identity",
            Kind::Adfs => "AD FS",
            Kind::Unknown => "unknown kind",
        }
    }
}

/// What correlation needs to know about one sign-in.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SignInFacts {
    /// Position in the caller's sign-in list.
    pub index: usize,
    /// Request ID, lower-case GUID text (or the raw id when it is not a GUID).
    pub id: String,
    pub request_guid: Option<Guid>,
    pub token_guid: Option<Guid>,
    pub time: Option<Timestamp>,
    pub kind: Option<Kind>,
    pub success: bool,
    /// `userId` for users; `servicePrincipalId` for workload identities (lower case).
    pub object_id: Option<String>,
    pub upn: Option<String>,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub resource_id: Option<String>,
    pub ip: Option<String>,
    pub session_id: Option<String>,
    pub user_agent: Option<String>,
    pub client_app_used: Option<String>,
    pub location: Option<String>,
    pub device: Option<String>,
    pub mfa: Option<bool>,
    pub auth_requirement: Option<String>,
    pub auth_methods: Vec<String>,
    pub conditional_access: Option<String>,
    pub credential_type: Option<String>,
    pub federated_credential_id: Option<String>,
    pub incoming_token_type: Option<String>,
    pub risk_level: Option<String>,
    pub msi_resource_id: Option<String>,
    pub is_interactive: Option<bool>,
    // Read only by detections (`detect::records::signin_view`); trimmed, never empty.
    /// `status.errorCode` as text.
    pub error_code: Option<String>,
    /// `status.failureReason` (`resultDescription`).
    pub result_description: Option<String>,
    pub authentication_protocol: Option<String>,
    pub original_transfer_method: Option<String>,
    pub resource_display_name: Option<String>,
    pub risk_state: Option<String>,
    pub risk_event_types: Vec<String>,
    pub device_compliant: Option<bool>,
    pub device_trust_type: Option<String>,
}

impl SignInFacts {
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Unknown)
    }
}

/// Sign-ins indexed for the matcher. Every list is sorted by time.
pub struct SignInIndex {
    pub all: Vec<SignInFacts>,
    by_token: HashMap<Guid, Vec<usize>>,
    by_request: HashMap<Guid, Vec<usize>>,
    by_session: HashMap<String, Vec<usize>>,
    by_object: HashMap<String, Vec<usize>>,
    by_upn: HashMap<String, Vec<usize>>,
}

impl SignInIndex {
    pub fn new(mut all: Vec<SignInFacts>) -> Self {
        all.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
        for (i, s) in all.iter_mut().enumerate() {
            s.index = i;
        }
        let mut ix = SignInIndex {
            by_token: HashMap::new(),
            by_request: HashMap::new(),
            by_session: HashMap::new(),
            by_object: HashMap::new(),
            by_upn: HashMap::new(),
            all: Vec::new(),
        };
        for s in &all {
            if let Some(g) = s.token_guid {
                ix.by_token.entry(g).or_default().push(s.index);
            }
            if let Some(g) = s.request_guid {
                ix.by_request.entry(g).or_default().push(s.index);
            }
            if let Some(sid) = &s.session_id {
                ix.by_session
                    .entry(sid.to_ascii_lowercase())
                    .or_default()
                    .push(s.index);
            }
            if let Some(o) = &s.object_id {
                ix.by_object
                    .entry(o.to_ascii_lowercase())
                    .or_default()
                    .push(s.index);
            }
            if let Some(u) = &s.upn {
                ix.by_upn
                    .entry(u.to_ascii_lowercase())
                    .or_default()
                    .push(s.index);
            }
        }
        ix.all = all;
        ix
    }

    pub fn get(&self, i: usize) -> &SignInFacts {
        &self.all[i]
    }

    fn list<'a>(
        &'a self,
        m: &'a HashMap<String, Vec<usize>>,
        k: &str,
    ) -> impl Iterator<Item = &'a SignInFacts> + 'a {
        m.get(&k.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .map(|&i| &self.all[i])
    }

    pub fn by_token(&self, g: &Guid) -> impl Iterator<Item = &SignInFacts> {
        self.by_token
            .get(g)
            .into_iter()
            .flatten()
            .map(|&i| &self.all[i])
    }
    pub fn by_request(&self, g: &Guid) -> impl Iterator<Item = &SignInFacts> {
        self.by_request
            .get(g)
            .into_iter()
            .flatten()
            .map(|&i| &self.all[i])
    }
    pub fn by_session<'a>(&'a self, sid: &str) -> impl Iterator<Item = &'a SignInFacts> + 'a {
        self.list(&self.by_session, sid)
    }
    pub fn by_object<'a>(&'a self, oid: &str) -> impl Iterator<Item = &'a SignInFacts> + 'a {
        self.list(&self.by_object, oid)
    }
    pub fn by_upn<'a>(&'a self, upn: &str) -> impl Iterator<Item = &'a SignInFacts> + 'a {
        self.list(&self.by_upn, upn)
    }

    /// Kinds present, with the time range each covers.
    pub fn coverage(&self) -> Vec<(Kind, Timestamp, Timestamp, usize)> {
        let mut m: std::collections::BTreeMap<Kind, (Timestamp, Timestamp, usize)> =
            Default::default();
        for s in &self.all {
            let Some(t) = s.time else { continue };
            let e = m.entry(s.kind()).or_insert((t, t, 0));
            e.0 = e.0.min(t);
            e.1 = e.1.max(t);
            e.2 += 1;
        }
        m.into_iter().map(|(k, (a, b, n))| (k, a, b, n)).collect()
    }

    /// The earliest and latest sign-in times in the export.
    pub fn time_range(&self) -> Option<(Timestamp, Timestamp)> {
        let first = self.all.iter().find_map(|s| s.time)?;
        let last = self.all.iter().rev().find_map(|s| s.time)?;
        Some((first, last))
    }

    /// How many sign-ins carry a token id.
    pub fn with_token_ids(&self) -> usize {
        self.all.iter().filter(|s| s.token_guid.is_some()).count()
    }
}

/// The correlation facts of a normalized sign-in.
pub fn facts(s: &tokentrail_model::SignIn) -> SignInFacts {
    use tokentrail_model::signin::SignInKind as K;
    let kind = match s.kind {
        K::Interactive => Kind::Interactive,
        K::NonInteractive => Kind::NonInteractive,
        K::ServicePrincipal => Kind::ServicePrincipal,
        K::ManagedIdentity => Kind::ManagedIdentity,
        K::Adfs => Kind::Adfs,
        K::Unknown => Kind::Unknown,
    };
    let workload = matches!(kind, Kind::ServicePrincipal | Kind::ManagedIdentity);
    let user_id = s.user.as_ref().and_then(|u| u.id.clone());
    let sp_id = s.service_principal.as_ref().and_then(|p| p.id.clone());
    let object_id = if workload {
        sp_id.or(user_id)
    } else {
        user_id.or(sp_id)
    };
    let location = s.client.location.as_ref().map(|l| {
        [l.city.as_deref(), l.state.as_deref(), l.country.as_deref()]
            .into_iter()
            .flatten()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let device = s.device.as_ref().map(|d| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(n) = d.display_name.as_deref().filter(|x| !x.is_empty()) {
            parts.push(n.to_string());
        }
        if let Some(o) = d.operating_system.as_deref().filter(|x| !x.is_empty()) {
            parts.push(o.to_string());
        }
        if let Some(b) = d.browser.as_deref().filter(|x| !x.is_empty()) {
            parts.push(b.to_string());
        }
        if d.is_compliant == Some(true) {
            parts.push("compliant".into());
        }
        if d.is_managed == Some(true) {
            parts.push("managed".into());
        }
        if let Some(t) = d.trust_type.as_deref().filter(|x| !x.is_empty()) {
            parts.push(t.to_string());
        }
        parts.join(", ")
    });
    let success = s.status.success.unwrap_or(s.status.error_code == Some(0));
    SignInFacts {
        index: 0,
        id: s.id.clone(),
        request_guid: s.request_guid(),
        token_guid: s.token_guid(),
        time: Some(s.time.utc),
        kind: Some(kind),
        success,
        object_id: object_id.map(|o| o.to_ascii_lowercase()),
        upn: s.user.as_ref().and_then(|u| u.upn.clone()),
        app_id: s
            .app
            .as_ref()
            .and_then(|a| a.id.clone())
            .map(|a| a.to_ascii_lowercase()),
        app_name: s
            .app
            .as_ref()
            .and_then(|a| a.name.clone())
            .or_else(|| s.service_principal.as_ref().and_then(|p| p.name.clone())),
        resource_id: s.resource.as_ref().and_then(|r| r.id.clone()),
        ip: s.client.ip.clone().filter(|i| !i.is_empty()),
        session_id: s.session_id.clone().filter(|x| !x.is_empty()),
        user_agent: s.client.user_agent.clone().filter(|x| !x.is_empty()),
        client_app_used: s.client.client_app_used.clone(),
        location: location.filter(|l| !l.is_empty()),
        device: device.filter(|d| !d.is_empty()),
        mfa: s.authentication.mfa_satisfied,
        auth_requirement: s.authentication.requirement.clone(),
        auth_methods: s.authentication.methods.clone(),
        conditional_access: s.conditional_access.status.clone(),
        credential_type: s
            .credential
            .as_ref()
            .and_then(|c| c.client_credential_type.clone()),
        federated_credential_id: s
            .credential
            .as_ref()
            .and_then(|c| c.federated_credential_id.clone())
            .filter(|x| !x.is_empty()),
        incoming_token_type: s.incoming_token_type.clone(),
        risk_level: s
            .risk
            .level_during_sign_in
            .clone()
            .or_else(|| s.risk.level_aggregated.clone()),
        msi_resource_id: s
            .managed_identity
            .as_ref()
            .and_then(|m| m.associated_resource_id.clone())
            .filter(|x| !x.is_empty()),
        is_interactive: s.is_interactive,
        error_code: s.status.error_code.map(|c| c.to_string()),
        result_description: text(s.status.failure_reason.as_deref()),
        authentication_protocol: text(s.authentication_protocol.as_deref()),
        original_transfer_method: text(s.original_transfer_method.as_deref()),
        resource_display_name: text(s.resource.as_ref().and_then(|r| r.name.as_deref())),
        risk_state: text(s.risk.state.as_deref()),
        risk_event_types: s.risk.event_types.clone(),
        device_compliant: s.device.as_ref().and_then(|d| d.is_compliant),
        device_trust_type: text(s.device.as_ref().and_then(|d| d.trust_type.as_deref())),
    }
}

/// A text field trimmed, absent when empty.
fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}
