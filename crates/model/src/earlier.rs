//! Recognizing an earlier tokentrail evidence bundle met among the inputs: only its
//! `exports/` are evidence; its other entries are that run's outputs, and both directory
//! walkers (reading and copying) leave them out with [`EARLIER_RUN`] as the reason.

use std::path::Path;

/// Why an earlier bundle's entries other than `exports/` are neither copied nor read.
pub const EARLIER_RUN: &str =
    "output of an earlier tokentrail run (of its bundle only exports/ is read)";

/// Whether `dir` is a tokentrail evidence bundle: its `manifest.json` names the tool.
pub fn is_bundle(dir: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Tool {
        tool: Option<String>,
    }
    let Ok(f) = std::fs::File::open(dir.join("manifest.json")) else {
        return false;
    };
    serde_json::from_reader::<_, Tool>(std::io::BufReader::new(f))
        .is_ok_and(|m| m.tool.as_deref() == Some("tokentrail"))
}

/// Whether the entry `name` of the directory `dir_is_bundle` describes is left out: every
/// entry of a bundle but its `exports` directory.
pub fn left_out(dir_is_bundle: bool, name: &std::ffi::OsStr, is_dir: bool) -> bool {
    dir_is_bundle && !(is_dir && name == "exports")
}
