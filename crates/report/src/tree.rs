//! Which files of an input directory are copied into the bundle, and under which names.
//! Regular files are copied, and files reached through a symbolic link (their content is
//! the evidence); anything else is listed as not copied, with the reason, never dropped
//! silently.

use crate::bundle::sanitize;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// An entry of an input directory that was not copied.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotCopied {
    pub path: String,
    pub reason: String,
}

/// The files under the directory `src`, each with the bundle path of its copy below `top`
/// (names sanitized, then made unique), sorted by that path; and the entries not copied.
/// The directory `bundle` (the run's own output, when it lies inside an input) is not
/// entered. Of an earlier tokentrail bundle (a directory whose `manifest.json` says so) only
/// `exports/` is walked: its other entries are the earlier run's outputs, listed as not
/// copied. An error names the path it came from.
#[allow(clippy::type_complexity)] // a walk result and the path an error is about
pub fn walk(
    src: &Path,
    top: &str,
    bundle: &Path,
) -> Result<(Vec<(PathBuf, String)>, Vec<NotCopied>), (PathBuf, std::io::Error)> {
    let bundle = std::fs::canonicalize(bundle).ok();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut not_copied = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(d) = stack.pop() {
        let earlier = tokentrail_model::entry::is_bundle(&d);
        let rd = std::fs::read_dir(&d).map_err(|e| (d.clone(), e))?;
        for e in rd {
            let e = e.map_err(|e| (d.clone(), e))?;
            let p = e.path();
            let ft = e.file_type().map_err(|e| (p.clone(), e))?;
            let why = if tokentrail_model::entry::left_out(earlier, &e.file_name(), ft.is_dir()) {
                Some(tokentrail_model::entry::EARLIER_RUN.to_string())
            } else if ft.is_dir() {
                if bundle.is_some() && std::fs::canonicalize(&p).ok() == bundle {
                    Some("the output directory of this run".to_string())
                } else {
                    stack.push(p);
                    continue;
                }
            } else {
                tokentrail_model::entry::not_a_file(&p, ft)
            };
            match why {
                None => {
                    let rel = p.strip_prefix(src).unwrap_or(&p);
                    let rel_s: Vec<String> = rel
                        .components()
                        .map(|c| sanitize(&c.as_os_str().to_string_lossy()))
                        .collect();
                    files.push((p.clone(), format!("{top}/{}", rel_s.join("/"))));
                }
                Some(reason) => not_copied.push(NotCopied {
                    path: p.display().to_string(),
                    reason,
                }),
            }
        }
    }
    // By copy name, then by source path: two sources can share a copy name.
    files.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    unique_names(&mut files);
    files.sort_by(|a, b| a.1.cmp(&b.1));
    not_copied.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, not_copied))
}

/// Gives every copy a name of its own. Sanitizing can give two sources one name (`a b.json`
/// and `a_b.json`, `.x.json` and `x.json`, or two long names cut to the same 120
/// characters), and a bundle on a case-insensitive file system cannot hold names that
/// differ in case only. The first (in sorted order) keeps the name; each later one gets
/// `-2`, `-3`… before its extension, skipping names already in use. The manifest records
/// which source each copy came from.
fn unique_names(files: &mut [(PathBuf, String)]) {
    let all: HashSet<String> = files.iter().map(|f| f.1.to_lowercase()).collect();
    let mut used: HashSet<String> = HashSet::with_capacity(files.len());
    for (_, rel) in files.iter_mut() {
        if used.insert(rel.to_lowercase()) {
            continue;
        }
        let (dir, name) = match rel.rfind('/') {
            Some(k) => rel.split_at(k + 1),
            None => ("", rel.as_str()),
        };
        let (stem, ext) = match name.find('.') {
            Some(k) if k > 0 => name.split_at(k),
            _ => (name, ""),
        };
        let mut n = 2u64;
        let renamed = loop {
            let candidate = format!("{dir}{stem}-{n}{ext}");
            let key = candidate.to_lowercase();
            if !all.contains(&key) && used.insert(key) {
                break candidate;
            }
            n += 1;
        };
        *rel = renamed;
    }
}
