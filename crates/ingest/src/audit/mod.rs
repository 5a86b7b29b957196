//! Entra audit normalizers: [`graph`] (Graph `directoryAudits`), [`diagnostic`]
//! (diagnostic `AuditLogs` records), [`log_analytics`] (the `AuditLogs` table as API JSON or
//! portal CSV). [`build`] holds the field mapping they share.

pub mod build;
pub mod diagnostic;
pub mod graph;
pub mod log_analytics;

use crate::detect::Schema;
use serde_json::{Map, Value};
use tokentrail_model::{AuditEvent, Provenance};

/// Normalizes one audit object of the given schema.
pub fn normalize(
    map: &Map<String, Value>,
    schema: Schema,
    source: Provenance,
) -> Result<AuditEvent, String> {
    match schema {
        Schema::AuditDiagnostic => diagnostic::normalize(map, source),
        Schema::AuditLogAnalytics => log_analytics::normalize(map, source),
        _ => graph::normalize(map, source),
    }
}
