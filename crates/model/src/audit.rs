//! The normalized Entra audit event (`directoryAudit`), from Graph, Log Analytics
//! `AuditLogs` and diagnostic `AuditLogs` records (formats.md §6).
//!
//! The activity name is kept exactly as logged (en dash, trailing space and all) next to a
//! normalized key; [`activities`] holds the IR-relevant activity table used by the
//! `is_*` helpers.

pub mod activities;

use crate::provenance::Provenance;
use crate::time::EventTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub use activities::{normalize_activity, AuditActivity};

/// One Entra audit event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// `id` (e.g. `Directory_<correlationId>_<token>_<n>`); `sha256:…` over the content when
    /// the export has none (then `id_synthetic`).
    pub id: String,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub id_synthetic: bool,
    /// `activityDateTime`; absent only when the export has no time column at all (some
    /// Log Analytics hunting-query CSVs), which a note then says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<EventTime>,
    /// `activityDisplayName` exactly as logged.
    pub activity: String,
    /// `activity` normalized for comparison (see [`normalize_activity`]).
    pub activity_key: String,
    /// The export shape it was read from (`graph`, `diagnostic`, `log-analytics`).
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `operationType` (`Add`, `Assign`, `Update`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_type: Option<String>,
    /// `success`, `failure`, `timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged_by_service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiator: Option<Initiator>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub targets: Vec<Target>,
    /// `additionalDetails` in their original order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub additional_details: Vec<KeyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The Entra tenant (diagnostic `tenantId`, LA `AADTenantId`), never a workspace id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    pub source: Provenance,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

/// Who performed the activity: a user or an app, plus linkable identifiers when logged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Initiator {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<InitiatorUser>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<InitiatorApp>,
    /// `linkableIdentifiers` (Graph beta) and similar fields, flattened to text
    /// (`sessionId`, `deviceId`, `tokenDetails.uniqueTokenIdentifier`, …).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub linkable: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiatorUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiatorApp {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
}

/// A target resource of the activity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Target {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `User`, `ServicePrincipal`, `Application`, `Role`, `Group`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub modified_properties: Vec<ModifiedProperty>,
}

/// One `modifiedProperties` entry; old and new values decoded from their JSON text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModifiedProperty {
    pub name: String,
    /// The decoded value; text that is not JSON stays a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_value: Option<Value>,
}

/// An ordered key/value pair (`additionalDetails`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl AuditEvent {
    /// The IR-relevant activity this event is, if any.
    pub fn known_activity(&self) -> Option<AuditActivity> {
        AuditActivity::from_key(&self.activity_key)
    }
    /// A PIM role activation (requested, approved or completed).
    pub fn is_pim_activation(&self) -> bool {
        self.known_activity()
            .is_some_and(AuditActivity::is_pim_activation)
    }
    /// A member added to a directory role, directly or through PIM.
    pub fn is_role_addition(&self) -> bool {
        self.known_activity()
            .is_some_and(AuditActivity::is_role_addition)
    }
    /// A credential (secret, certificate) added to or changed on an app or service principal.
    pub fn is_credential_add(&self) -> bool {
        self.known_activity()
            .is_some_and(AuditActivity::is_credential_add)
    }
    /// Consent to an application, or a grant of delegated or app permissions.
    pub fn is_consent(&self) -> bool {
        self.known_activity().is_some_and(AuditActivity::is_consent)
    }
    /// The value of an `additionalDetails` key (case-insensitive).
    pub fn detail(&self, key: &str) -> Option<&str> {
        self.additional_details
            .iter()
            .find(|kv| kv.key.eq_ignore_ascii_case(key))
            .map(|kv| kv.value.as_str())
    }
    /// True when the platform itself initiated it: the app `Managed Service Identity`
    /// rotating a managed identity's certificate (formats.md §6.2), not an attacker.
    pub fn is_platform_msi_rotation(&self) -> bool {
        self.is_credential_add()
            && self
                .initiator
                .as_ref()
                .and_then(|i| i.app.as_ref())
                .and_then(|a| a.display_name.as_deref())
                .is_some_and(|n| n.eq_ignore_ascii_case("Managed Service Identity"))
    }
}
