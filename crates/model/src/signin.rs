//! The normalized Entra sign-in (interactive, non-interactive, service principal,
//! managed identity, AD FS), as read from every export shape (formats.md §5).
//!
//! Every field the export may not carry is an `Option` (or an empty list) and is left out
//! of the JSON when absent, so an analyst can tell "not in this export" from a value.
//! The nested groups live in [`parts`]; which linkage fields a sign-in carries (for the
//! per-file coverage report) is in [`linkage`].

pub mod linkage;
pub mod parts;

use crate::guid::{decode_token_id, Guid, TokenIdEncoding};
use crate::provenance::Provenance;
use crate::time::EventTime;
use serde::{Deserialize, Serialize};

pub use linkage::{LinkField, Linkage};
pub use parts::{
    AppRef, AuthDetail, Authentication, CaPolicy, ClientInfo, ConditionalAccess, Credential,
    Device, GeoLocation, ManagedIdentity, Risk, SignInStatus, Tenants, TokenIssuer, UserRef,
};

/// Which log a sign-in belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInKind {
    Interactive,
    NonInteractive,
    ServicePrincipal,
    ManagedIdentity,
    Adfs,
    /// The export did not say (e.g. Graph v1.0 without `isInteractive`).
    Unknown,
}

impl SignInKind {
    /// From a `signInEventTypes` entry, a diagnostic `category`, a Log Analytics table name,
    /// or a portal file kind. Case- and separator-insensitive.
    pub fn parse(s: &str) -> Option<SignInKind> {
        let k: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match k.as_str() {
            "interactiveuser" | "interactive" | "signinlogs" | "interactivesignins" => {
                SignInKind::Interactive
            }
            "noninteractiveuser"
            | "noninteractive"
            | "noninteractiveusersigninlogs"
            | "aadnoninteractiveusersigninlogs"
            | "noninteractivesignins" => SignInKind::NonInteractive,
            "serviceprincipal"
            | "serviceprincipalsigninlogs"
            | "aadserviceprincipalsigninlogs"
            | "microsoftserviceprincipalsigninlogs"
            | "application"
            | "applicationsignins" => SignInKind::ServicePrincipal,
            "managedidentity"
            | "managedidentitysigninlogs"
            | "aadmanagedidentitysigninlogs"
            | "msi"
            | "msisignins" => SignInKind::ManagedIdentity,
            "adfs" | "adfssigninlogs" => SignInKind::Adfs,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            SignInKind::Interactive => "interactive",
            SignInKind::NonInteractive => "non_interactive",
            SignInKind::ServicePrincipal => "service_principal",
            SignInKind::ManagedIdentity => "managed_identity",
            SignInKind::Adfs => "adfs",
            SignInKind::Unknown => "unknown",
        }
    }
}

/// A unique token identifier as found, with the GUID it decodes to (formats.md §7.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenId {
    pub raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<Guid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<TokenIdEncoding>,
}

impl TokenId {
    /// Decodes `raw`; the raw text is kept even when it does not decode.
    pub fn new(raw: &str) -> TokenId {
        let d = decode_token_id(raw);
        TokenId {
            raw: raw.to_string(),
            guid: d.map(|x| x.0),
            encoding: d.map(|x| x.1),
        }
    }
}

/// One Entra sign-in event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    /// The Request ID (`id`), lower-case GUID text when it is a GUID; `sha256:…` over the
    /// record's content when the export has none (then `id_synthetic`).
    pub id: String,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub id_synthetic: bool,
    pub time: EventTime,
    /// Serialized as `sign_in_kind`: `kind` is the record tag in `tokentrail parse` output.
    #[serde(rename = "sign_in_kind")]
    pub kind: SignInKind,
    /// The export shape it was read from (`graph-beta`, `diagnostic/SignInLogs`, …).
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_interactive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    /// The client application (`appId`, `appDisplayName`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AppRef>,
    /// The target resource (`resourceId` = resource app id, `resourceDisplayName`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<AppRef>,
    /// The service principal (`servicePrincipalId` = object id, `servicePrincipalName`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal: Option<AppRef>,
    #[serde(skip_serializing_if = "ClientInfo::is_empty", default)]
    pub client: ClientInfo,
    pub status: SignInStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_token_id: Option<TokenId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_token_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_transfer_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_protocol: Option<String>,
    #[serde(skip_serializing_if = "Authentication::is_empty", default)]
    pub authentication: Authentication,
    #[serde(skip_serializing_if = "ConditionalAccess::is_empty", default)]
    pub conditional_access: ConditionalAccess,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_identity: Option<ManagedIdentity>,
    #[serde(skip_serializing_if = "Tenants::is_empty", default)]
    pub tenants: Tenants,
    #[serde(skip_serializing_if = "Risk::is_empty", default)]
    pub risk: Risk,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer: Option<TokenIssuer>,
    pub source: Provenance,
    /// Notes on anything the reader had to assume or could not map.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

impl SignIn {
    /// An empty sign-in to fill in.
    pub fn new(time: EventTime, kind: SignInKind, source: Provenance) -> SignIn {
        SignIn {
            id: String::new(),
            id_synthetic: false,
            time,
            kind,
            format: String::new(),
            is_interactive: None,
            user: None,
            app: None,
            resource: None,
            service_principal: None,
            client: ClientInfo::default(),
            status: SignInStatus::default(),
            session_id: None,
            unique_token_id: None,
            correlation_id: None,
            original_request_id: None,
            incoming_token_type: None,
            original_transfer_method: None,
            authentication_protocol: None,
            authentication: Authentication::default(),
            conditional_access: ConditionalAccess::default(),
            device: None,
            credential: None,
            managed_identity: None,
            tenants: Tenants::default(),
            risk: Risk::default(),
            token_issuer: None,
            source,
            notes: Vec::new(),
        }
    }

    /// The Request ID as a GUID, when it is one.
    pub fn request_guid(&self) -> Option<Guid> {
        Guid::parse(&self.id)
    }

    /// The token id GUID: the decoded `uniqueTokenIdentifier`. Compare with a decoded `uti`.
    pub fn token_guid(&self) -> Option<Guid> {
        self.unique_token_id.as_ref().and_then(|t| t.guid)
    }

    /// The Request ID in `uti` form (formats.md §7.3: a `uti` may equal the Request ID).
    pub fn request_id_as_uti(&self) -> Option<String> {
        self.request_guid().map(Guid::to_uti)
    }
}

/// One row of the portal's "authentication details only" companion download
/// (`InteractiveSignIns_AuthDetails_….csv`). It carries no sign-in of its own: it is joined
/// to the sign-in with the same Request ID (see `tokentrail_ingest::signin::join`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthDetailRecord {
    /// The Request ID of the sign-in it belongs to, normalized like [`SignIn::id`].
    pub request_id: String,
    pub detail: AuthDetail,
    pub source: Provenance,
}
