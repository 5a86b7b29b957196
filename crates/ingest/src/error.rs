//! Typed ingestion errors. Each names the file and, where known, the position.

use std::path::PathBuf;

/// An error that stops reading one input (never the whole run).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{name}: read error at byte {offset}: {source}")]
    Read {
        name: String,
        offset: u64,
        source: std::io::Error,
    },
    #[error("{name}: unrecognized format: {reason}")]
    Unrecognized { name: String, reason: String },
    #[error("{name}: archive error: {reason}")]
    Archive { name: String, reason: String },
    #[error("{name}: refused: {reason}")]
    Refused { name: String, reason: String },
    /// An entry of an input directory that is not a file to read.
    #[error("{name}: not read: {reason}")]
    NotRead { name: String, reason: String },
}

impl IngestError {
    /// Whether this names an entry of an input directory that is not a file to read (a
    /// link to a directory, a FIFO, an earlier bundle's outputs): a notice, not a failure.
    pub fn is_not_read(&self) -> bool {
        matches!(self, IngestError::NotRead { .. })
    }
}
