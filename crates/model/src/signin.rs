//! The normalized Entra sign-in (interactive, non-interactive, service principal,
//! managed identity, AD FS). Fleshed out by the sign-in ingestion work (issue 3).

use crate::provenance::Provenance;
use crate::time::EventTime;
use serde::{Deserialize, Serialize};

/// One Entra sign-in event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    /// The Request ID (`id`), lower-case GUID text when it is a GUID.
    pub id: String,
    pub time: EventTime,
    pub source: Provenance,
}
