//! Reading inputs into memory for analysis: Activity events and sign-in facts, with the
//! per-file statistics kept for the summary and the bundle.

use crate::term::clean;
use std::path::PathBuf;
use tokentrail_analyze::SignInFacts;
use tokentrail_ingest::{FileStats, IngestError, PrepareSink, ReadOptions, Sink, Skip};
use tokentrail_model::{ActivityEvent, AuditEvent, Record};

/// Everything read from the inputs.
#[derive(Default)]
pub struct Collected {
    /// Boxed as the readers produce them: grouping moves pointers, not events.
    #[allow(clippy::vec_box)] // deliberate: see above
    pub activity: Vec<Box<ActivityEvent>>,
    /// Sign-in facts only: they carry every field correlation and detections read, so
    /// full records are never kept.
    pub signins: Vec<SignInFacts>,
    pub audit: Vec<AuditEvent>,
    /// Rows of portal "authentication details" files, joined to sign-ins after reading.
    pub auth_details: Vec<tokentrail_model::signin::AuthDetailRecord>,
    pub files: Vec<FileStats>,
    pub skips: Vec<Skip>,
    pub errors: Vec<String>,
    /// Print nothing (used by `verify`'s re-run).
    pub quiet: bool,
    /// A visible progress bar: lines are printed above it instead of through it.
    pub bar: Option<indicatif::ProgressBar>,
    /// Shares the method names joined from authentication-detail rows (sign-in facts share
    /// their text through the readers' interner, see [`PrepareSink`] below).
    pub interner: tokentrail_analyze::signins::Interner,
    /// Files read cleanly whose summary line was not printed (see [`FILE_LINES`]).
    pub quiet_files: u64,
    /// When set, Activity events go here instead of into `activity`, in batches of
    /// [`SEND_BATCH`]: to a thread that writes their case.sqlite rows and keeps them,
    /// trimmed, in the same order.
    #[allow(clippy::vec_box)] // the readers' boxes, moved on
    pub activity_to: Option<std::sync::mpsc::SyncSender<Vec<Box<ActivityEvent>>>>,
    /// Events not yet sent to `activity_to`.
    #[allow(clippy::vec_box)] // the readers' boxes, moved on
    pub(crate) pending: Vec<Box<ActivityEvent>>,
}

/// Activity events per message to the case.sqlite writer: one channel hand-off per batch
/// instead of per event.
pub const SEND_BATCH: usize = 64;

/// How many per-file summary lines are printed before clean files are only counted: a
/// diagnostic-settings tree holds thousands of hourly files. Files with skips, duplicates,
/// notes or errors are always printed (sign-in coverage remarks alone do not count); every
/// file's figures are in the manifest.
pub const FILE_LINES: usize = 20;

impl Collected {
    fn say(&self, line: String) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Sink for Collected {
    fn record(&mut self, rec: Record) {
        match rec {
            Record::Activity(a) => match &self.activity_to {
                Some(tx) => {
                    self.pending.push(a);
                    if self.pending.len() >= SEND_BATCH {
                        let batch =
                            std::mem::replace(&mut self.pending, Vec::with_capacity(SEND_BATCH));
                        // A writer that stopped reports its own error when it is joined.
                        drop(tx.send(batch));
                    }
                }
                None => self.activity.push(a),
            },
            // The interner the pool threads use (see `PrepareSink` below), so sign-ins of
            // streamed and buffered inputs share their text alike.
            Record::SignIn(s) => self.signins.push(with_prepare_text(|it| {
                tokentrail_analyze::signins::facts_interned(&s, it)
            })),
            Record::Audit(a) => self.audit.push(*a),
            Record::AuthDetail(d) => self.auth_details.push(*d),
        }
    }
    fn skip(&mut self, s: Skip) {
        self.skips.push(s);
    }
    fn file_done(&mut self, st: FileStats) {
        let unremarkable =
            st.skipped == 0 && st.duplicates == 0 && st.error.is_none() && st.notes.is_empty();
        if self.files.len() >= FILE_LINES && unremarkable {
            self.quiet_files += 1;
        } else if !self.quiet {
            self.say(format!(
                "tokentrail: {}",
                clean(&super::parse::summary_line(&st))
            ));
        }
        self.files.push(st);
    }
    fn error(&mut self, e: IngestError) {
        let msg = e.to_string();
        if e.is_not_read() {
            if !self.quiet {
                self.say(format!("tokentrail: {}", clean(&msg)));
            }
            return;
        }
        if !self.quiet {
            self.say(format!("tokentrail: error: {}", clean(&msg)));
        }
        self.errors.push(msg);
    }
}

/// Shares repeated sign-in text among the facts prepared on the pool threads (see
/// [`PrepareSink`] below): one interner for all of them, so equal text is one allocation
/// (compared by pointer first, as with the sink's own interner); emptied by
/// [`forget_prepared_text`] after reading. Each sign-in takes the lock once, for a small
/// part of the time parsing it takes.
static PREPARE_TEXT: std::sync::LazyLock<std::sync::Mutex<tokentrail_analyze::signins::Interner>> =
    std::sync::LazyLock::new(Default::default);

/// Runs `f` with the shared interner (a panic elsewhere while it was held leaves it usable:
/// it only ever holds complete entries).
fn with_prepare_text<R>(f: impl FnOnce(&mut tokentrail_analyze::signins::Interner) -> R) -> R {
    let mut it = PREPARE_TEXT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut it)
}

/// Empties [`PREPARE_TEXT`] (the facts keep the text they share).
pub fn forget_prepared_text() {
    with_prepare_text(|it| *it = Default::default());
}

/// A record as [`Collected`] takes it from a pool thread: a sign-in already reduced to its
/// facts there (the full record is freed by the thread that built it), anything else as read.
pub enum Ready {
    SignIn(SignInFacts),
    Other(Record),
}

impl PrepareSink for Collected {
    type Prepared = Ready;

    fn prepare(rec: Record) -> Ready {
        match rec {
            Record::SignIn(s) => Ready::SignIn(with_prepare_text(|it| {
                tokentrail_analyze::signins::facts_interned(&s, it)
            })),
            other => Ready::Other(other),
        }
    }

    fn prepared(&mut self, p: Ready) {
        match p {
            Ready::SignIn(f) => self.signins.push(f),
            Ready::Other(r) => self.record(r),
        }
    }

    fn note(p: &mut Ready, note: String) {
        // Sign-in facts carry no notes (nor does a sign-in once `record` has taken it).
        if let Ready::Other(Record::Audit(a)) = p {
            a.notes.push(note);
        }
    }
}

impl Collected {
    /// Sends the Activity events still held back to `activity_to` and closes it, so the
    /// writer sees the end of its input.
    pub fn close_activity(&mut self) {
        if let Some(tx) = self.activity_to.take() {
            let rest = std::mem::take(&mut self.pending);
            if !rest.is_empty() {
                drop(tx.send(rest));
            }
        }
    }

    /// Says how many clean files were read without a summary line, if any.
    pub fn report_quiet_files(&self) {
        if self.quiet_files > 0 && !self.quiet {
            self.say(format!(
                "tokentrail: … and {} more files read without skips or notes (per-file figures are in the manifest)",
                self.quiet_files
            ));
        }
    }

    /// Joins authentication-detail rows (portal AuthDetails downloads) to their sign-ins by
    /// Request ID: the methods of successful steps fill a sign-in that carries none.
    pub fn join_auth_details(&mut self) {
        if self.auth_details.is_empty() {
            return;
        }
        let mut by_id: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        for d in &self.auth_details {
            if d.detail.succeeded != Some(false) {
                if let Some(m) = &d.detail.method {
                    let v = by_id.entry(d.request_id.to_ascii_lowercase()).or_default();
                    if !v.contains(m) {
                        v.push(m.clone());
                    }
                }
            }
        }
        for s in &mut self.signins {
            if s.auth_methods.is_empty() {
                if let Some(m) = by_id.get(&s.id.text().to_ascii_lowercase()) {
                    let mut authn = (*s.authn).clone();
                    authn.auth_methods = m.iter().map(|x| self.interner.text(x)).collect();
                    s.authn = self.interner.authn(authn);
                }
            }
        }
    }
}

/// Reads every input; sign-ins and audit events seen in more than one export are kept once.
pub fn collect(inputs: &[PathBuf], opts: &ReadOptions) -> Collected {
    collect_into(inputs, opts, Collected::default())
}

/// Reads every input into `c`, de-duplicating across inputs.
pub fn collect_into(inputs: &[PathBuf], opts: &ReadOptions, c: Collected) -> Collected {
    let mut sink = tokentrail_ingest::DedupSink::new(c);
    let sized: Vec<(PathBuf, u64)> = inputs
        .iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::metadata(p).map_or(u64::MAX, |m| m.len()),
            )
        })
        .collect();
    tokentrail_ingest::replay::read_all_prepared(&sized, opts, &mut sink, &mut |_| {});
    forget_prepared_text();
    let mut c = sink.into_inner();
    c.report_quiet_files();
    c.join_auth_details();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's sign-ins and audit events, read with every record taken whole by the sink
    /// and with small inputs' records prepared on the pool threads, give the same facts and
    /// events (the demo's sign-in exports hold duplicates across shapes, so deduplication
    /// runs on both paths).
    #[test]
    fn prepared_and_whole_records_collect_alike() {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
        let inputs: Vec<(PathBuf, u64)> = ["signins", "audit", "activity"]
            .iter()
            .flat_map(|d| {
                let mut files = Vec::new();
                let mut stack = vec![demo.join(d)];
                while let Some(p) = stack.pop() {
                    if p.is_dir() {
                        let mut entries: Vec<PathBuf> = std::fs::read_dir(&p)
                            .unwrap()
                            .map(|e| e.unwrap().path())
                            .collect();
                        entries.sort();
                        stack.extend(entries.into_iter().rev());
                    } else {
                        let n = std::fs::metadata(&p).unwrap().len();
                        files.push((p, n));
                    }
                }
                files
            })
            .collect();
        assert!(inputs.len() > 5, "the demo inputs: {inputs:?}");
        let opts = ReadOptions::default();
        let quiet = || Collected {
            quiet: true,
            ..Default::default()
        };
        let mut whole = tokentrail_ingest::DedupSink::new(quiet());
        tokentrail_ingest::replay::read_all(&inputs, &opts, &mut whole, &mut |_| {});
        let mut prep = tokentrail_ingest::DedupSink::new(quiet());
        tokentrail_ingest::replay::read_all_prepared(&inputs, &opts, &mut prep, &mut |_| {});
        forget_prepared_text();
        assert_eq!(prep.total, whole.total);
        assert!(whole.total > 0, "the demo holds duplicate sign-ins");
        let (w, p) = (whole.into_inner(), prep.into_inner());
        assert!(!w.signins.is_empty() && !w.audit.is_empty());
        assert_eq!(format!("{:?}", p.signins), format!("{:?}", w.signins));
        assert_eq!(
            serde_json::to_string(&p.audit).unwrap(),
            serde_json::to_string(&w.audit).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&p.activity).unwrap(),
            serde_json::to_string(&w.activity).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&p.files).unwrap(),
            serde_json::to_string(&w.files).unwrap()
        );
    }

    #[test]
    fn activity_events_reach_the_writer_in_batches_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("activity.json");
        let body: String = (0..150)
            .map(|n| {
                format!(
                    "{{\"eventDataId\":\"e{n}\",\"eventTimestamp\":\"2024-06-10T06:13:00Z\",\"operationName\":{{\"value\":\"Microsoft.Compute/virtualMachines/write\"}},\"correlationId\":\"c{n}\"}}\n"
                )
            })
            .collect();
        std::fs::write(&p, body).unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel(100);
        let mut c = collect_into(
            &[p],
            &ReadOptions::default(),
            Collected {
                quiet: true,
                activity_to: Some(tx),
                ..Default::default()
            },
        );
        assert!(c.activity.is_empty());
        c.close_activity();
        let batches: Vec<_> = rx.iter().collect();
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [SEND_BATCH, SEND_BATCH, 150 - 2 * SEND_BATCH]);
        let ids: Vec<String> = batches.into_iter().flatten().map(|e| e.event_id).collect();
        let want: Vec<String> = (0..150).map(|n| format!("e{n}")).collect();
        assert_eq!(ids, want);
    }
}
