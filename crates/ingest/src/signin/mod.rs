//! Entra sign-in normalizers, one file per family of export shapes:
//! [`graph`] (Graph v1.0/beta, portal JSON download, collectors), [`diagnostic`]
//! (diagnostic-settings records of every sign-in category), [`log_analytics`] (the four
//! sign-in tables as API JSON or portal CSV), [`portal_csv`] (Entra admin-center CSV
//! downloads and their AuthDetails companions). [`build`] holds the field mapping they
//! share; [`join`] attaches AuthDetails rows to their sign-ins.

pub mod build;
pub mod diagnostic;
pub mod graph;
pub mod join;
pub mod log_analytics;
pub mod portal_csv;

use crate::detect::Schema;
use serde_json::{Map, Value};
use tokentrail_model::{Provenance, Record};

/// Normalizes one sign-in object (or AuthDetails row) of the given schema.
pub fn normalize(
    map: &Map<String, Value>,
    schema: Schema,
    source: Provenance,
) -> Result<Record, String> {
    match schema {
        Schema::SignInDiagnostic => diagnostic::normalize(map, source).map(boxed),
        Schema::SignInLogAnalytics => log_analytics::normalize(map, source).map(boxed),
        Schema::SignInPortalCsv => portal_csv::normalize(map, source).map(boxed),
        Schema::SignInAuthDetailsCsv => {
            portal_csv::auth_detail(map, source).map(|a| Record::AuthDetail(Box::new(a)))
        }
        _ => graph::normalize(map, source).map(boxed),
    }
}

fn boxed(s: tokentrail_model::SignIn) -> Record {
    Record::SignIn(Box::new(s))
}
