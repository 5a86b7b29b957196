//! Fuzz target: any JSON object through every sign-in normalizer (Graph, diagnostic,
//! Log Analytics, portal CSV row, AuthDetails row) and the classifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use tokentrail_ingest::detect::{classify, Schema};
use tokentrail_ingest::fields::Fields;
use tokentrail_model::Provenance;

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(data) else {
        return;
    };
    let _ = classify(&Fields::new(&map));
    for schema in [
        Schema::SignInGraph,
        Schema::SignInDiagnostic,
        Schema::SignInLogAnalytics,
        Schema::SignInPortalCsv,
        Schema::SignInAuthDetailsCsv,
    ] {
        let prov = Provenance {
            file: Arc::from("fuzz"),
            record: 0,
            line: None,
            offset: None,
        };
        if let Ok(tokentrail_model::Record::SignIn(s)) =
            tokentrail_ingest::signin::normalize(&map, schema, prov)
        {
            let _ = s.linkage();
            let _ = serde_json::to_string(&s);
        }
    }
});
