//! What a walk of an input directory does with each entry, shared by both walkers (the
//! one that copies inputs into a bundle and the one that reads them), so both take and
//! leave the same entries for the same reasons: files and links to files are taken; other
//! entries ([`not_a_file`]) and an earlier tokentrail bundle's outputs ([`EARLIER_RUN`];
//! only its `exports/` are evidence) are left out, named, never dropped silently.

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

/// Why the entry `p` (not a directory; `ft` its own type, not its target's) is not taken
/// as a file; `None` for a file or a link to one. A link to a directory is not followed:
/// it could loop.
pub fn not_a_file(p: &Path, ft: std::fs::FileType) -> Option<String> {
    if ft.is_file() {
        return None;
    }
    if !ft.is_symlink() {
        return Some("not a regular file (a device, pipe or socket)".to_string());
    }
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some("a symbolic link to a directory (not followed)".to_string()),
        Ok(_) => Some("a symbolic link to something other than a file".to_string()),
        Err(e) => Some(format!("a symbolic link whose target cannot be read: {e}")),
    }
}
