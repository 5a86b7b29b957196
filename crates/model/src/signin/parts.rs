//! The nested groups of a [`super::SignIn`]: user, apps, client, status, authentication,
//! conditional access, device, credentials, managed identity, tenants, risk, issuer.

use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// The signed-in user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The UPN lower-cased (Entra stores UPNs lower-case; guests as their home UPN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// The UPN exactly as exported, when it differs from `upn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn_raw: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `member`, `guest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
}

/// An application, resource or service principal: id and display name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Where the sign-in came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `Browser`, `Mobile Apps and Desktop clients`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_app_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autonomous_system_number: Option<String>,
    /// `ipAddressFromResourceProvider` ("IP address (seen by resource)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_seen_by_resource: Option<String>,
}

impl ClientInfo {
    pub fn is_empty(&self) -> bool {
        self == &ClientInfo::default()
    }
}

/// `location`: city, state, two-letter country, coordinates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// The outcome of the sign-in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStatus {
    /// `status.errorCode` / `ResultType` / "Sign-in error code"; 0 = success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<String>,
    /// True for error code 0 or portal `Success`; false for any other code, `Failure` or
    /// `Interrupted`; absent when the export says neither.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// The portal's `Status` text (`Success`, `Failure`, `Interrupted`), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// How the user or client authenticated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// `singleFactorAuthentication`, `multiFactorAuthentication`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// Whether MFA was satisfied: true when the requirement was MFA and the sign-in
    /// succeeded, or a step satisfied MFA (portal "Multifactor authentication result",
    /// an MFA step that succeeded, or "MFA requirement satisfied by claim in the token");
    /// false when only single-factor was required; absent when unknowable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_satisfied: Option<bool>,
    /// `authenticationMethodsUsed`, or the distinct methods of successful steps.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub methods: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub details: Vec<AuthDetail>,
    /// True when `details` were joined from a separate AuthDetails download.
    #[serde(skip_serializing_if = "is_false", default)]
    pub details_joined: bool,
}

impl Authentication {
    pub fn is_empty(&self) -> bool {
        self == &Authentication::default()
    }
}

/// One authentication step (`authenticationDetails[]`, or a row of the portal's
/// AuthDetails companion file).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthDetail {
    /// The step time as exported (RFC 3339 UTC when it parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub succeeded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
}

/// Conditional Access outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionalAccess {
    /// `success`, `failure`, `notApplied`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub policies: Vec<CaPolicy>,
}

impl ConditionalAccess {
    pub fn is_empty(&self) -> bool {
        self == &ConditionalAccess::default()
    }
}

/// One applied Conditional Access policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub grant_controls: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub session_controls: Vec<String>,
}

/// `deviceDetail`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_compliant: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_managed: Option<bool>,
    /// `trustType` ("Join Type" in the portal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_type: Option<String>,
}

/// The client credential a service principal or app used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// `clientSecret`, `certificate`, `clientAssertion`, `federatedIdentityCredential`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_credential_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federated_credential_id: Option<String>,
}

/// `managedServiceIdentity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedIdentity {
    /// `systemAssigned`, `userAssigned` (`none` is dropped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msi_type: Option<String>,
    /// The ARM resource id; compare with the `xms_mirid` claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associated_resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federated_token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federated_token_issuer: Option<String>,
}

/// Tenants involved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenants {
    /// `none`, `b2bCollaboration`, `b2bDirectConnect`, `microsoftSupport`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_tenant_access_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_tenant_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_owner_tenant_id: Option<String>,
    /// The Entra tenant of the log (diagnostic `tenantId`, LA `AADTenantId`); never a
    /// Log Analytics workspace id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

impl Tenants {
    pub fn is_empty(&self) -> bool {
        self == &Tenants::default()
    }
}

/// Identity Protection risk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_aggregated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_during_sign_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub event_types: Vec<String>,
}

impl Risk {
    pub fn is_empty(&self) -> bool {
        self == &Risk::default()
    }
}

/// Who issued the token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIssuer {
    /// `AzureAD`, `ADFederationServices`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
