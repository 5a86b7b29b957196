//! Accounting: every record read is either parsed or skipped with a reason.

pub use crate::coverage::SignInCoverage;
use serde::Serialize;
use std::collections::BTreeMap;
use tokentrail_model::{Record, RecordKind};

/// A record that was read but not turned into a normalized record.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Skip {
    pub file: String,
    /// 0-based record index within the file.
    pub record: u64,
    pub line: u64,
    /// Byte offset in the decoded stream.
    pub offset: u64,
    pub reason: String,
    /// The first bytes of the record, for the analyst (escape before display).
    pub excerpt: String,
}

/// What a normalizer made of one raw record.
#[derive(Debug)]
pub enum Outcome {
    Parsed(Record),
    Skipped(Skip),
    /// Not a record at all (e.g. a query-API column list); not counted.
    Nothing,
}

/// Per-file statistics, written to stderr by `parse` and into the bundle manifest.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FileStats {
    pub file: String,
    /// Containers the stream came through (`gzip`, `zip`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<&'static str>,
    pub encoding: String,
    /// The framing shapes seen (`json-array`, `json-lines`, `value-page`, `csv`, …).
    pub shapes: Vec<String>,
    /// Record schemas seen and how many of each (`activity/rest`, `signin/graph-beta`, …).
    pub schemas: BTreeMap<String, u64>,
    pub read: u64,
    pub parsed: u64,
    pub skipped: u64,
    /// Records dropped because an earlier input already had them (see `dedup`).
    pub duplicates: u64,
    pub skip_reasons: BTreeMap<String, u64>,
    pub kinds: BTreeMap<RecordKind, u64>,
    /// Linkage-field coverage of the file's sign-ins, with findings in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<SignInCoverage>,
    /// Things the reader inferred or assumed for the whole file (e.g. a date culture).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Set when reading stopped early; records up to that point are counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileStats {
    pub fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::Parsed(r) => {
                self.read += 1;
                self.parsed += 1;
                *self.kinds.entry(r.kind()).or_default() += 1;
                if let Record::SignIn(s) = r {
                    self.coverage.get_or_insert_with(Default::default).add(s);
                }
            }
            Outcome::Skipped(s) => {
                self.read += 1;
                self.skipped += 1;
                *self
                    .skip_reasons
                    .entry(reason_class(&s.reason))
                    .or_default() += 1;
            }
            Outcome::Nothing => {}
        }
    }

    /// Completes derived fields (coverage findings) once the file has been read.
    pub fn finish(&mut self) {
        if let Some(c) = &mut self.coverage {
            c.finish();
        }
    }

    pub fn note(&mut self, n: impl Into<String>) {
        let n = n.into();
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }

    pub fn shape(&mut self, s: &str) {
        if !self.shapes.iter().any(|x| x == s) {
            self.shapes.push(s.to_string());
        }
    }
}

/// The reason without its record-specific detail, for grouping counts.
fn reason_class(r: &str) -> String {
    // Cut at the first record-specific detail: a position, a quoted value or a payload.
    // A count after ": " ("wrong number of fields: 4") is detail too.
    let numeric = r
        .match_indices(": ")
        .find(|(i, _)| r[i + 2..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|(i, _)| i);
    let cut = [" at line ", "\"", "{", "("]
        .iter()
        .filter_map(|p| r.find(p))
        .chain(numeric)
        .min()
        .unwrap_or(r.len());
    r[..cut].trim_end_matches([' ', ':']).to_string()
}

/// Receives everything a read produces, in input order.
pub trait Sink {
    fn record(&mut self, rec: Record);
    fn skip(&mut self, skip: Skip);
    fn file_done(&mut self, stats: FileStats);
    /// A file or archive member that could not be read at all, or stopped early.
    fn error(&mut self, err: crate::IngestError);
}

/// A [`Sink`] part of whose work on each record can be done on the thread that parsed it,
/// before the record waits its turn: [`crate::replay::read_all_prepared`] calls
/// [`PrepareSink::prepare`] on the pool thread that read a small input and hands the results
/// to [`PrepareSink::prepared`] in input order. A record turned into something smaller there
/// is consumed while still in that thread's cache, and freed by the thread that allocated it.
/// What the sink ends up holding must not depend on which path a record took.
pub trait PrepareSink: Sink {
    type Prepared: Send;
    /// The per-record work; it holds no state of the sink's, so any thread may run it.
    fn prepare(rec: Record) -> Self::Prepared;
    /// Takes a prepared record, as [`Sink::record`] takes a record.
    fn prepared(&mut self, p: Self::Prepared);
    /// Adds a note to a prepared record that still carries its notes (see
    /// [`crate::DedupSink`]); records reduced to what has no notes ignore it.
    fn note(p: &mut Self::Prepared, note: String);
}

/// The first `n` characters of a record, with control characters replaced.
pub fn excerpt(bytes: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(n * 4)]);
    s.chars()
        .take(n)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
