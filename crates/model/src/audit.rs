//! The normalized Entra audit event (`directoryAudit`). Fleshed out by the audit ingestion
//! work (issue 3).

use crate::provenance::Provenance;
use crate::time::EventTime;
use serde::{Deserialize, Serialize};

/// One Entra audit event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub time: EventTime,
    pub activity: String,
    pub source: Provenance,
}
