//! The reading pipeline: source → sniff → frame → classify → normalize → sink.
//!
//! Normalization runs in parallel batches; records reach the sink in input order, so the
//! output is the same on any number of cores.

use crate::detect::{classify, sniff_stream, Schema, StreamKind};
use crate::error::IngestError;
use crate::fields::Fields;
use crate::frame::json::JsonFramer;
use crate::frame::{Frame, FrameKind};
use crate::par::ordered_map;
use crate::source::decompress::Counting;
use crate::source::{for_each_stream, Limits, SourceStream};
use crate::stats::{excerpt, FileStats, Outcome, Sink, Skip};
use serde_json::{Map, Value};
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokentrail_model::{Provenance, Record};

/// Options that change how inputs are read.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub limits: Limits,
    /// Force the culture of PowerShell CSV dates (e.g. `en-US`, `de-DE`, `en-GB`).
    pub culture: Option<String>,
    /// Record file names relative to this directory (the evidence bundle), so provenance
    /// does not depend on where the bundle lives.
    pub name_root: Option<std::path::PathBuf>,
}

/// What a reader of one stream needs to know.
pub struct StreamCtx<'a> {
    pub file: Arc<str>,
    pub options: &'a ReadOptions,
}

/// Reads every stream under `path` into `sink`. A failing file is reported to
/// [`Sink::error`] (and in its [`FileStats`]); other files are still read.
pub fn read_path(path: &Path, options: &ReadOptions, sink: &mut dyn Sink) {
    read_streams(options, sink, |visit, on_error| {
        for_each_stream(path, &options.limits, visit, on_error)
    });
}

/// [`read_path`] for one file read from `reader` rather than by opening `path` (which names
/// it in records and errors): e.g. a copy followed while it is being written.
pub fn read_file_from(
    path: &Path,
    reader: Box<dyn std::io::Read + '_>,
    options: &ReadOptions,
    sink: &mut dyn Sink,
) {
    read_streams(options, sink, |visit, on_error| {
        crate::source::for_each_stream_from(path, reader, &options.limits, visit, on_error)
    });
}

/// Reads every stream `streams` visits into `sink`, then reports the errors it met.
fn read_streams(
    options: &ReadOptions,
    sink: &mut dyn Sink,
    streams: impl FnOnce(
        &mut dyn FnMut(SourceStream<'_>) -> Result<(), IngestError>,
        &mut dyn FnMut(IngestError),
    ),
) {
    let mut errors = Vec::new();
    streams(
        &mut |stream| read_stream(stream, options, &mut *sink),
        &mut |e| errors.push(e),
    );
    for e in errors {
        sink.error(e);
    }
}

/// Reads one decoded stream.
pub fn read_stream(
    stream: SourceStream<'_>,
    options: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let SourceStream {
        name,
        containers,
        encoding,
        reader,
    } = stream;
    let name = match &options.name_root {
        Some(root) => std::path::Path::new(&name)
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or(name),
        None => name,
    };
    let mut stats = FileStats {
        file: name.clone(),
        containers,
        encoding: encoding.to_string(),
        ..Default::default()
    };
    // Bytes handed out so far, so a read error can say where it happened (in the decoded
    // stream: after decompression and transcoding).
    let delivered = Arc::new(AtomicU64::new(0));
    let mut reader = Counting {
        inner: reader,
        n: Arc::clone(&delivered),
    };
    let mut head = Vec::with_capacity(64 << 10);
    // A read error here (a truncated gzip, say) keeps what was read before it: those
    // records are read, then the error is reported where it happened.
    let head_err = (&mut reader).take(64 << 10).read_to_end(&mut head).err();
    if head.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        if head_err.is_none() {
            stats.shape("empty");
        }
        return no_records(stats, head_err, sink, name, &delivered);
    }
    if let Some(what) = os_metadata(&head) {
        // Copied like everything else, but no log: a note, not an error.
        stats.shape("os-metadata");
        stats.note(format!("{what}, not a log: nothing to read"));
        return no_records(stats, head_err, sink, name, &delivered);
    }
    let Some(kind) = sniff_stream(&head) else {
        let why = format!(
            "not JSON, CSV or PowerShell list text (starts with {:?})",
            excerpt(&head, 40)
        );
        stats.error = Some(why.clone());
        sink.file_done(stats);
        return Err(IngestError::Unrecognized { name, reason: why });
    };
    let rest: Box<dyn Read + '_> = match head_err {
        Some(e) => Box::new(FailOnce(Some(e))),
        None => Box::new(reader),
    };
    let full: Box<dyn Read + '_> = Box::new(io::Cursor::new(head).chain(rest));
    let ctx = StreamCtx {
        file: Arc::from(name.as_str()),
        options,
    };
    let res = match kind {
        StreamKind::Json => read_json(full, &ctx, &mut stats, sink),
        StreamKind::Csv => crate::tabular::read_csv(full, &ctx, &mut stats, sink),
        StreamKind::PsList => crate::tabular::read_ps_list(full, &ctx, &mut stats, sink),
    };
    let err = match res {
        Ok(()) => None,
        Err(e) => {
            stats.error = Some(format!("read stopped after {} records: {e}", stats.read));
            Some(IngestError::Read {
                name: name.clone(),
                offset: delivered.load(Ordering::Relaxed),
                source: e,
            })
        }
    };
    stats.finish();
    sink.file_done(stats);
    err.map_or(Ok(()), Err)
}

/// A reader whose input ended in an error: it fails once with that error.
struct FailOnce(Option<io::Error>);

impl Read for FailOnce {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

fn read_json(
    rdr: Box<dyn Read + '_>,
    ctx: &StreamCtx<'_>,
    stats: &mut FileStats,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    let mut framer = JsonFramer::new(rdr);
    let mut index = 0u64;
    let mut columns: Option<Arc<Vec<String>>> = None;
    let file = ctx.file.clone();
    let res = ordered_map(
        || loop {
            let Some(f) = framer.next_frame()? else {
                return Ok(None);
            };
            if f.kind == FrameKind::TableColumns {
                columns = Some(Arc::new(column_names(&f.bytes)));
                continue;
            }
            let i = index;
            index += 1;
            return Ok(Some((i, f, columns.clone())));
        },
        |(i, f, cols)| normalize_frame(&file, i, f, cols.as_deref()),
        |(o, schema)| {
            if let Some(s) = schema {
                *stats.schemas.entry(s.label().to_string()).or_default() += 1;
            }
            stats.count(&o);
            match o {
                Outcome::Parsed(r) => sink.record(r),
                Outcome::Skipped(s) => sink.skip(s),
                Outcome::Nothing => {}
            }
        },
    );
    for s in framer.shapes.clone() {
        stats.shape(s);
    }
    res
}

fn column_names(bytes: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|c| match c {
                    Value::Object(m) => m
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    Value::String(s) => s.clone(),
                    _ => String::new(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the skip outcome for a frame.
pub fn skip(file: &Arc<str>, index: u64, frame: &Frame, reason: impl Into<String>) -> Outcome {
    Outcome::Skipped(Skip {
        file: file.to_string(),
        record: index,
        line: frame.line,
        offset: frame.offset,
        reason: reason.into(),
        excerpt: excerpt(&frame.bytes, 120),
    })
}

fn normalize_frame(
    file: &Arc<str>,
    index: u64,
    frame: Frame,
    cols: Option<&Vec<String>>,
) -> (Outcome, Option<Schema>) {
    // Escape hatch for comparing the two paths on real data.
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let fast = !*OFF.get_or_init(|| std::env::var_os("TOKENTRAIL_NO_FAST_PATH").is_some());
    normalize_frame_with(file, index, frame, cols, fast)
}

/// Normalizes one frame; `fast` lets the typed fast path ([`crate::activity::fast`]) take
/// the records it accepts. The outcome is the same either way (tests compare the two).
pub fn normalize_frame_with(
    file: &Arc<str>,
    index: u64,
    frame: Frame,
    cols: Option<&Vec<String>>,
    fast: bool,
) -> (Outcome, Option<Schema>) {
    let prov = Provenance {
        file: file.clone(),
        record: index,
        line: Some(frame.line),
        offset: Some(frame.offset),
    };
    if fast && frame.kind == FrameKind::Json {
        if let Some((rec, schema)) = fast_path(&frame.bytes, &prov) {
            return (Outcome::Parsed(rec), Some(schema));
        }
    }
    let mut notes: Vec<String> = Vec::new();
    let value = match &frame.kind {
        FrameKind::Broken(reason) => return (skip(file, index, &frame, reason.clone()), None),
        FrameKind::TableColumns => return (Outcome::Nothing, None),
        FrameKind::Json | FrameKind::TableRow => match parse_lenient(&frame.bytes, &mut notes) {
            Ok(v) => v,
            Err(e) => {
                return (
                    skip(file, index, &frame, format!("invalid JSON: {e}")),
                    None,
                )
            }
        },
    };
    let map = if frame.kind == FrameKind::TableRow {
        let Some(cols) = cols else {
            return (
                skip(file, index, &frame, "query-API row before its column list"),
                None,
            );
        };
        let Value::Array(cells) = value else {
            return (
                skip(file, index, &frame, "query-API row is not an array"),
                None,
            );
        };
        cols.iter()
            .cloned()
            .zip(cells)
            .collect::<Map<String, Value>>()
    } else {
        match value {
            Value::Object(m) => m,
            other => {
                let t = match other {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                return (
                    skip(
                        file,
                        index,
                        &frame,
                        format!("not a record: a JSON value that is {t}, not an object"),
                    ),
                    None,
                );
            }
        }
    };
    normalize_map(&map, file, index, &frame, prov, notes)
}

/// The typed fast paths for the hot shapes; `None` sends the record down the generic path,
/// which gives the same result for every record a fast path accepts. A glance at the first
/// bytes picks the path to try; a wrong guess only costs a refused attempt.
pub fn fast_path(bytes: &[u8], prov: &Provenance) -> Option<(Record, Schema)> {
    // SIMD validation: the same verdict as `std::str::from_utf8`, several times faster.
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    let head = &bytes[..bytes.len().min(1024)];
    static CREATED: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"createdDateTime\""));
    let signin =
        |(s, schema): (tokentrail_model::SignIn, Schema)| (Record::SignIn(Box::new(s)), schema);
    match category_hint(head) {
        Some(c) if c.ends_with(b"SignInLogs") => {
            return crate::flat::signin::try_diagnostic(text, prov).map(signin);
        }
        Some(c)
            if crate::detect::ACTIVITY_CATEGORIES
                .iter()
                .any(|a| c.eq_ignore_ascii_case(a.as_bytes())) =>
        {
            return crate::flat::activity::try_diagnostic(text, prov)
                .map(|(ev, schema)| (Record::Activity(Box::new(ev)), schema));
        }
        _ => {}
    }
    if CREATED.find(head).is_some() {
        return crate::flat::signin::try_graph(text, prov).map(signin);
    }
    crate::activity::fast::try_rest(text, prov)
        .map(|ev| (Record::Activity(Box::new(ev)), Schema::ActivityRest))
}

/// The first `"category": "..."` string value in `head` (no escapes), if any.
fn category_hint(head: &[u8]) -> Option<&[u8]> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"category\""));
    let at = FINDER.find(head)? + 10;
    let rest = &head[at..];
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start();
    let rest = rest.strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

/// Classifies and normalizes one JSON object (from any framing, including CSV rows
/// converted to objects).
pub fn normalize_map(
    map: &Map<String, Value>,
    file: &Arc<str>,
    index: u64,
    frame: &Frame,
    prov: Provenance,
    notes: Vec<String>,
) -> (Outcome, Option<Schema>) {
    let fields = Fields::new(map);
    let schema = match classify(&fields) {
        Ok(s) => s,
        Err(reason) => return (skip(file, index, frame, reason), None),
    };
    let mut schema_label = schema;
    let rec = match schema {
        Schema::ActivityRest
        | Schema::ActivityDiagnostic
        | Schema::ActivityLogAnalytics
        | Schema::ActivitySdk => {
            if schema == Schema::ActivityRest
                && map
                    .keys()
                    .any(|k| k == "event_timestamp" || k == "event_data_id")
            {
                schema_label = Schema::ActivitySdk;
            }
            crate::activity::json::normalize(map, schema, prov).map(|mut ev| {
                ev.notes.extend(notes);
                Record::Activity(Box::new(ev))
            })
        }
        Schema::SignInGraph
        | Schema::SignInDiagnostic
        | Schema::SignInLogAnalytics
        | Schema::SignInPortalCsv
        | Schema::SignInAuthDetailsCsv => {
            crate::signin::normalize(map, schema, prov).map(|mut r| {
                if let Record::SignIn(s) = &mut r {
                    s.notes.extend(notes);
                }
                r
            })
        }
        Schema::AuditGraph | Schema::AuditDiagnostic | Schema::AuditLogAnalytics => {
            crate::audit::normalize(map, schema, prov).map(|mut a| {
                a.notes.extend(notes);
                Record::Audit(Box::new(a))
            })
        }
    };
    match rec {
        Ok(r) => (Outcome::Parsed(r), Some(schema_label)),
        Err(reason) => (
            skip(
                file,
                index,
                frame,
                format!("{}: {reason}", schema_label.label()),
            ),
            Some(schema_label),
        ),
    }
}

/// Parses JSON strictly, then (once) after transcoding non-UTF-8 bytes from Windows-1252
/// and repairing raw control characters and trailing commas. Each fallback adds a note.
pub fn parse_lenient(bytes: &[u8], notes: &mut Vec<String>) -> Result<Value, serde_json::Error> {
    let owned;
    let text: &str = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            let (t, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            owned = t.into_owned();
            notes.push("record was not valid UTF-8; read as Windows-1252".into());
            &owned
        }
    };
    let bytes = text.as_bytes();
    // `from_str`: the text is already valid UTF-8, so serde_json does not check each string again.
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(e) => match crate::repair::repair(bytes) {
            Some((fixed, what)) => match serde_json::from_slice(&fixed) {
                Ok(v) => {
                    notes.push(format!("malformed JSON repaired: {}", what.join(", ")));
                    Ok(v)
                }
                Err(_) => Err(e),
            },
            None => Err(e),
        },
    }
}

/// Ends a file that holds no records: done, or the read error (`head_err`) that cut it
/// short, reported where it happened.
fn no_records(
    mut stats: FileStats,
    head_err: Option<io::Error>,
    sink: &mut dyn Sink,
    name: String,
    delivered: &AtomicU64,
) -> Result<(), IngestError> {
    let Some(source) = head_err else {
        sink.file_done(stats);
        return Ok(());
    };
    stats.error = Some(format!("read stopped after 0 records: {source}"));
    sink.file_done(stats);
    Err(IngestError::Read {
        name,
        offset: delivered.load(Ordering::Relaxed),
        source,
    })
}

/// Files an operating system leaves beside exports (a zip made on a Mac holds them),
/// recognized by their first bytes: what they are, or `None`.
fn os_metadata(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\0\0\0\x01Bud1") {
        Some("macOS Finder metadata (.DS_Store)")
    } else if head.starts_with(&[0x00, 0x05, 0x16, 0x07]) {
        Some("macOS AppleDouble resource fork (._ file)")
    } else {
        None
    }
}
