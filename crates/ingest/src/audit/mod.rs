//! Entra audit normalizers (issue 3 fills these in).

use crate::detect::Schema;
use serde_json::{Map, Value};
use tokentrail_model::{AuditEvent, Provenance};

/// Normalizes one audit object of the given schema.
pub fn normalize(
    _map: &Map<String, Value>,
    schema: Schema,
    _source: Provenance,
) -> Result<AuditEvent, String> {
    Err(format!(
        "{} records are recognised but not yet normalized by this version",
        schema.label()
    ))
}
