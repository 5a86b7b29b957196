//! Decompression layers: gzip (multi-member) and zip, with size, ratio and depth caps.
//! Archive members are streamed, never extracted to disk; members whose names would
//! escape an extraction directory are refused and reported.

use super::{encoding, Limits, SourceStream};
use crate::error::IngestError;
use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts bytes read through it (the compressed side of a decompressor, or a decoded
/// stream, so a read error can say where it happened).
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) n: Arc<AtomicU64>,
}
impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

thread_local! {
    /// How many times a [`Capped`] stream read on this thread went past `max_decompressed`.
    static OVER_LIMIT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times a decompressed stream read on this thread has gone past its
/// `max_decompressed`. A file is read on one thread from start to end (the parallel parse of
/// a large file frames, and so decompresses, on the reading thread), so comparing the count
/// before and after reading one file says whether that file hit the limit, whatever layer or
/// reader turned the failure into an error. A count rather than a flag: should the thread
/// ever run another file's read in the middle, that read can add to it (the caller then
/// merely re-reads a file) but never hide a hit.
pub fn over_limit_count() -> u64 {
    OVER_LIMIT.with(|c| c.get())
}

/// Fails the stream once it has produced more than the limits allow.
pub struct Capped<R> {
    inner: R,
    out: u64,
    compressed: Arc<AtomicU64>,
    limits: Limits,
}
impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.out += k as u64;
        if self.out > self.limits.max_decompressed {
            OVER_LIMIT.with(|c| c.set(c.get() + 1));
            return Err(io::Error::other(format!(
                "decompressed size exceeds the limit of {} bytes (raise --max-decompressed if this is genuine)",
                self.limits.max_decompressed
            )));
        }
        let c = self.compressed.load(Ordering::Relaxed).max(1);
        if self.out > (64 << 20) && self.out / c > self.limits.max_ratio {
            return Err(io::Error::other(format!(
                "compression ratio above {}:1 ({} bytes from {}); refusing a likely decompression bomb",
                self.limits.max_ratio, self.out, c
            )));
        }
        Ok(k)
    }
}

fn capped<'a, R: Read + 'a>(
    inner: R,
    limits: &Limits,
    wrap: impl FnOnce(Counting<R>) -> Box<dyn Read + 'a>,
) -> Box<dyn Read + 'a> {
    let n = Arc::new(AtomicU64::new(0));
    let dec = wrap(Counting {
        inner,
        n: n.clone(),
    });
    Box::new(Capped {
        inner: dec,
        out: 0,
        compressed: n,
        limits: *limits,
    })
}

/// Peeks the magic bytes of `rdr` and hands it to the right layer, recursing through
/// nested compression. Plain content goes to the encoding layer and then to `visit`.
pub fn open_layers<'a>(
    rdr: Box<dyn Read + 'a>,
    name: String,
    containers: Vec<&'static str>,
    limits: &Limits,
    visit: &mut dyn FnMut(SourceStream<'_>) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    if containers.len() > limits.max_depth {
        return Err(IngestError::Refused {
            name,
            reason: format!("nested deeper than {} containers", limits.max_depth),
        });
    }
    let mut br = BufReader::with_capacity(1 << 16, rdr);
    let head = br.fill_buf().map_err(|source| IngestError::Read {
        name: name.clone(),
        offset: 0,
        source,
    })?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let dec = capped(br, limits, |c| Box::new(MultiGzDecoder::new(c)));
        let mut cs = containers;
        cs.push("gzip");
        return open_layers(dec, name, cs, limits, visit);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        // zip needs random access: spool the (already capped) stream to a temporary file.
        let mut tmp = tempfile::tempfile().map_err(|source| IngestError::Io {
            path: name.clone().into(),
            source,
        })?;
        io::copy(&mut br, &mut tmp).map_err(|source| IngestError::Read {
            name: name.clone(),
            offset: 0,
            source,
        })?;
        tmp.rewind().map_err(|source| IngestError::Io {
            path: name.clone().into(),
            source,
        })?;
        return read_zip(tmp, name, containers, limits, visit);
    }
    let (enc, decoded) = encoding::decode(Box::new(br)).map_err(|source| IngestError::Read {
        name: name.clone(),
        offset: 0,
        source,
    })?;
    visit(SourceStream {
        name,
        containers,
        encoding: enc,
        reader: decoded,
    })
}

fn read_zip<R: Read + Seek>(
    archive: R,
    name: String,
    containers: Vec<&'static str>,
    limits: &Limits,
    visit: &mut dyn FnMut(SourceStream<'_>) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| IngestError::Archive {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    if zip.len() > limits.max_members {
        return Err(IngestError::Refused {
            name,
            reason: format!(
                "{} members exceed the limit of {}",
                zip.len(),
                limits.max_members
            ),
        });
    }
    let mut order: Vec<(String, usize)> = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i).map(|n| (n.to_string(), i)))
        .collect();
    order.sort();
    let mut errors: Vec<IngestError> = Vec::new();
    let mut files = 0usize;
    for (member, i) in order {
        let full = format!("{name}!{member}");
        let entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                // A member that cannot be opened is reported, and still counts as one.
                files += 1;
                errors.push(IngestError::Archive {
                    name: full,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        files += 1;
        if entry.enclosed_name().is_none() || entry.is_symlink() {
            errors.push(IngestError::Refused {
                name: full,
                reason:
                    "archive member path escapes the archive (absolute, `..` or symlink); not read"
                        .into(),
            });
            continue;
        }
        let mut cs = containers.clone();
        cs.push("zip");
        let rdr = capped(entry, limits, |c| Box::new(c));
        if let Err(e) = open_layers(rdr, full, cs, limits, visit) {
            errors.push(e);
        }
    }
    // An archive without files is still reported (as an empty stream), never passed over.
    if files == 0 {
        let mut cs = containers.clone();
        cs.push("zip");
        open_layers(Box::new(io::empty()), name.clone(), cs, limits, visit)?;
    }
    // Members are independent: report every failure, as one error naming them all.
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(IngestError::Archive {
            name,
            reason: errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        }),
    }
}
