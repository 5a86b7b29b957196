//! Fuzz target: any JSON object through every audit normalizer (Graph, diagnostic,
//! Log Analytics) and the activity helpers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use tokentrail_ingest::detect::Schema;
use tokentrail_model::Provenance;

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(data) else {
        return;
    };
    for schema in [
        Schema::AuditGraph,
        Schema::AuditDiagnostic,
        Schema::AuditLogAnalytics,
    ] {
        let prov = Provenance {
            file: Arc::from("fuzz"),
            record: 0,
            line: None,
            offset: None,
        };
        if let Ok(a) = tokentrail_ingest::audit::normalize(&map, schema, prov) {
            let _ = (
                a.is_credential_add(),
                a.is_consent(),
                a.is_pim_activation(),
                a.is_role_addition(),
            );
            let _ = serde_json::to_string(&a);
        }
    }
});
