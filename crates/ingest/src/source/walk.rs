//! Directory walking in a stable, sorted order.

use crate::error::IngestError;
use std::path::{Path, PathBuf};

/// All files at or under `path`, sorted by path: regular files and files reached through a
/// symbolic link, hidden ones (`.name`) included, as `investigate` copies them. Entries that
/// cannot be read as a file (a link to a directory, a dangling link, a FIFO, socket or
/// device) come back as errors naming them, never dropped silently, and so do the outputs
/// of an earlier tokentrail bundle, of which only `exports/` is read. A path named
/// explicitly is always read.
pub fn files(path: &Path) -> Result<(Vec<PathBuf>, Vec<IngestError>), IngestError> {
    let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok((vec![path.to_path_buf()], Vec::new()));
    }
    let mut out = Vec::new();
    let mut not_read = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let earlier = tokentrail_model::entry::is_bundle(&dir);
        let rd = std::fs::read_dir(&dir).map_err(|source| IngestError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in rd {
            let entry = entry.map_err(|source| IngestError::Io {
                path: dir.clone(),
                source,
            })?;
            let p = entry.path();
            let ft = entry.file_type().map_err(|source| IngestError::Io {
                path: p.clone(),
                source,
            })?;
            if tokentrail_model::entry::left_out(earlier, &entry.file_name(), ft.is_dir()) {
                not_read.push((p, tokentrail_model::entry::EARLIER_RUN.to_string()));
                continue;
            }
            if ft.is_dir() {
                stack.push(p);
                continue;
            }
            match tokentrail_model::entry::not_a_file(&p, ft) {
                None => out.push(p),
                Some(why) => not_read.push((p, why)),
            }
        }
    }
    out.sort();
    not_read.sort();
    let not_read = not_read
        .into_iter()
        .map(|(p, why)| IngestError::NotRead {
            name: p.display().to_string(),
            reason: why,
        })
        .collect();
    Ok((out, not_read))
}
