//! Which linkage fields a sign-in carries: the identifiers that tie it to a token used in
//! the Activity Log (formats.md §7.2). Used for the per-file field-coverage report.

use super::SignIn;
use serde::Serialize;

/// A field that links a sign-in to Activity Log events or other sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkField {
    /// A GUID Request ID (the `uti` may equal it).
    RequestId,
    /// A `uniqueTokenIdentifier` that decodes to a GUID (↔ `uti`).
    UniqueTokenId,
    /// `sessionId` (↔ `sid`).
    SessionId,
    /// `userId` (↔ `oid` for users).
    UserId,
    /// `servicePrincipalId` (↔ `oid` for apps and managed identities).
    ServicePrincipalId,
    /// `appId` (↔ `appid`).
    AppId,
    /// `ipAddress` (↔ `ipaddr`).
    IpAddress,
    /// `deviceDetail.deviceId` (↔ `deviceid`).
    DeviceId,
    /// `correlationId`.
    CorrelationId,
    /// `managedServiceIdentity.associatedResourceId` (↔ `xms_mirid`).
    ManagedIdentityResource,
}

impl LinkField {
    pub const ALL: [LinkField; 10] = [
        LinkField::RequestId,
        LinkField::UniqueTokenId,
        LinkField::SessionId,
        LinkField::UserId,
        LinkField::ServicePrincipalId,
        LinkField::AppId,
        LinkField::IpAddress,
        LinkField::DeviceId,
        LinkField::CorrelationId,
        LinkField::ManagedIdentityResource,
    ];

    /// The field's name as exports spell it.
    pub fn export_name(self) -> &'static str {
        match self {
            LinkField::RequestId => "id (Request ID)",
            LinkField::UniqueTokenId => "uniqueTokenIdentifier",
            LinkField::SessionId => "sessionId",
            LinkField::UserId => "userId",
            LinkField::ServicePrincipalId => "servicePrincipalId",
            LinkField::AppId => "appId",
            LinkField::IpAddress => "ipAddress",
            LinkField::DeviceId => "deviceDetail.deviceId",
            LinkField::CorrelationId => "correlationId",
            LinkField::ManagedIdentityResource => "managedServiceIdentity.associatedResourceId",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The set of linkage fields one sign-in carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Linkage(u16);

impl Linkage {
    pub fn has(self, f: LinkField) -> bool {
        self.0 & f.bit() != 0
    }
    pub fn insert(&mut self, f: LinkField) {
        self.0 |= f.bit();
    }
    pub fn fields(self) -> impl Iterator<Item = LinkField> {
        LinkField::ALL.into_iter().filter(move |f| self.has(*f))
    }
}

impl SignIn {
    /// Which linkage fields this sign-in carries (non-empty, and for ids: decodable).
    pub fn linkage(&self) -> Linkage {
        let mut l = Linkage::default();
        let mut set = |cond: bool, f: LinkField| {
            if cond {
                l.insert(f)
            }
        };
        set(
            !self.id_synthetic && self.request_guid().is_some(),
            LinkField::RequestId,
        );
        set(self.token_guid().is_some(), LinkField::UniqueTokenId);
        set(self.session_id.is_some(), LinkField::SessionId);
        set(
            self.user.as_ref().is_some_and(|u| u.id.is_some()),
            LinkField::UserId,
        );
        set(
            self.service_principal
                .as_ref()
                .is_some_and(|s| s.id.is_some()),
            LinkField::ServicePrincipalId,
        );
        set(
            self.app.as_ref().is_some_and(|a| a.id.is_some()),
            LinkField::AppId,
        );
        set(self.client.ip.is_some(), LinkField::IpAddress);
        set(
            self.device.as_ref().is_some_and(|d| d.id.is_some()),
            LinkField::DeviceId,
        );
        set(self.correlation_id.is_some(), LinkField::CorrelationId);
        set(
            self.managed_identity
                .as_ref()
                .is_some_and(|m| m.associated_resource_id.is_some()),
            LinkField::ManagedIdentityResource,
        );
        l
    }
}
