//! Framing: splitting a decoded byte stream into one raw record at a time.
//!
//! Framers never parse a whole document. They find record boundaries at the byte level
//! and hand each record's bytes, with its offset and line, to the normalizers.

pub mod json;
pub mod scan;

/// What a frame holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// One JSON value that should be a record.
    Json,
    /// The `columns` array of a Log Analytics query-API table.
    TableColumns,
    /// One row array of a Log Analytics query-API table.
    TableRow,
    /// Bytes that could not be framed as a record; the reason says why.
    Broken(String),
}

/// One raw record and where it starts.
#[derive(Clone, Debug)]
pub struct Frame {
    pub kind: FrameKind,
    pub bytes: Vec<u8>,
    /// Byte offset of the first byte in the decoded stream.
    pub offset: u64,
    /// 1-based line of the first byte.
    pub line: u64,
}
