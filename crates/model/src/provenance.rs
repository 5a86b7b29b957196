//! Where a normalized record came from: file, record index, line and byte offset.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The origin of one record in its input. Offsets refer to the decoded (decompressed,
/// UTF-8) stream of that file; for an archive member, `file` is `archive.zip!member`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub file: Arc<str>,
    /// 0-based index of the record within the file.
    pub record: u64,
    /// 1-based line where the record starts, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset of the record's first byte in the decoded stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} record {}", self.file, self.record)?;
        if let Some(l) = self.line {
            write!(f, " (line {l}")?;
            if let Some(o) = self.offset {
                write!(f, ", byte {o}")?;
            }
            write!(f, ")")?;
        } else if let Some(o) = self.offset {
            write!(f, " (byte {o})")?;
        }
        Ok(())
    }
}
