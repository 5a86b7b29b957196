//! Fuzz target: portal CSV rows. The first line is a header, the rest are rows; cells are
//! split on commas (no quoting) and handed over as text cells, as the CSV framer does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use std::sync::Arc;
use tokentrail_ingest::detect::Schema;
use tokentrail_model::Provenance;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let Some(header) = lines.next() else { return };
    let names: Vec<String> = header
        .split(',')
        .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for line in lines.take(64) {
        let map: Map<String, Value> = names
            .iter()
            .cloned()
            .zip(line.split(',').map(|c| Value::String(c.to_string())))
            .collect();
        for schema in [
            Schema::SignInPortalCsv,
            Schema::SignInAuthDetailsCsv,
            Schema::SignInLogAnalytics,
        ] {
            let prov = Provenance {
                file: Arc::from("InteractiveSignIns_fuzz.csv"),
                record: 0,
                line: None,
                offset: None,
            };
            let _ = tokentrail_ingest::signin::normalize(&map, schema, prov);
        }
    }
});
