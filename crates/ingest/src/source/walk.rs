//! Directory walking in a stable, sorted order.

use crate::error::IngestError;
use std::path::{Path, PathBuf};

/// All regular files at or under `path`, sorted by path. Hidden files (`.name`) inside
/// directories are skipped; a path named explicitly is always read.
pub fn files(path: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
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
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let ft = entry.file_type().map_err(|source| IngestError::Io {
                path: p.clone(),
                source,
            })?;
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() || (ft.is_symlink() && p.is_file()) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
