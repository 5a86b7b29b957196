//! Fuzz target: the Python-repr-to-JSON converter used for pandas-exported sign-ins.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = tokentrail_ingest::pyrepr::to_json(s);
    }
});
