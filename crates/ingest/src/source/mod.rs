//! Sources: turning input paths into decoded byte streams.
//!
//! A path may be a file, a directory (searched recursively, in sorted order) or an archive.
//! Each leaf becomes a [`SourceStream`]: decompressed (gzip, zip), capped, and transcoded
//! to UTF-8. Formats are recognised from content, never from file names.

pub mod decompress;
pub mod encoding;
pub mod walk;

use crate::error::IngestError;
use std::io::Read;

/// Limits that protect against decompression bombs.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most decompressed bytes accepted from any one compressed stream or archive member.
    pub max_decompressed: u64,
    /// Most decompressed bytes per compressed byte, checked after the first 64 MiB.
    pub max_ratio: u64,
    /// Most members read from one archive.
    pub max_members: usize,
    /// Deepest nesting of archives and compression.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed: 256 << 30,
            max_ratio: 1000,
            max_members: 100_000,
            max_depth: 4,
        }
    }
}

/// One decoded input: what to call it and how to read it.
pub struct SourceStream<'a> {
    /// Display name: the path, with `!member` for archive members and `|gunzip` layers.
    pub name: String,
    /// The chain of containers it came out of (e.g. `["zip", "gzip"]`).
    pub containers: Vec<&'static str>,
    /// Encoding detected (e.g. `utf-8`, `utf-16le`, `windows-1252`).
    pub encoding: &'static str,
    /// The decoded UTF-8 bytes.
    pub reader: Box<dyn Read + 'a>,
}

/// Visits every leaf stream under `path`, in a stable order. A file that fails is handed
/// to `on_error` and the walk goes on.
pub fn for_each_stream(
    path: &std::path::Path,
    limits: &Limits,
    visit: &mut dyn FnMut(SourceStream<'_>) -> Result<(), IngestError>,
    on_error: &mut dyn FnMut(IngestError),
) {
    let files = match walk::files(path) {
        Ok((files, not_read)) => {
            not_read.into_iter().for_each(&mut *on_error);
            files
        }
        Err(e) => return on_error(e),
    };
    for file in files {
        let f = match std::fs::File::open(&file) {
            Ok(f) => f,
            Err(source) => {
                on_error(IngestError::Io {
                    path: file.clone(),
                    source,
                });
                continue;
            }
        };
        let name = file.display().to_string();
        if let Err(e) = decompress::open_layers(Box::new(f), name, Vec::new(), limits, visit) {
            on_error(e);
        }
    }
}

/// [`for_each_stream`] for one file whose bytes come from `reader` (a copy still being
/// written, say) instead of from opening `file`, which names it.
pub fn for_each_stream_from<'a>(
    file: &std::path::Path,
    reader: Box<dyn Read + 'a>,
    limits: &Limits,
    visit: &mut dyn FnMut(SourceStream<'_>) -> Result<(), IngestError>,
    on_error: &mut dyn FnMut(IngestError),
) {
    let name = file.display().to_string();
    if let Err(e) = decompress::open_layers(reader, name, Vec::new(), limits, visit) {
        on_error(e);
    }
}
