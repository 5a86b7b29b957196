//! Entra sign-in normalizers (issue 3 fills these in).

use crate::detect::Schema;
use serde_json::{Map, Value};
use tokentrail_model::{Provenance, SignIn};

/// Normalizes one sign-in object of the given schema.
pub fn normalize(
    _map: &Map<String, Value>,
    schema: Schema,
    _source: Provenance,
) -> Result<SignIn, String> {
    Err(format!(
        "{} records are recognised but not yet normalized by this version",
        schema.label()
    ))
}
