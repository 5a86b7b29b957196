//! Building a case from a bundle's exports: read, attribute, select the operations of
//! interest, and write every output. `investigate` and `verify` share this code, so a
//! verification re-run is exactly the original run.

use super::collect::Collected;
use crate::args::Filters;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::identity::IdentityType;
use tokentrail_ingest::ReadOptions;
use tokentrail_report::bundle::{CopiedInput, PendingSync};
use tokentrail_report::copying::{Copying, Planned};
use tokentrail_report::notes::SourceRange;
use tokentrail_report::redact::Redactor;
use tokentrail_report::sqlite::CaseDb;
use tokentrail_report::Bundle;

/// The options a case was built with; recorded in the manifest for `verify`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseOptions {
    pub culture: Option<String>,
    pub max_decompressed: u64,
    pub filters: Filters,
    /// Set when names, UPNs and IPs were pseudonymized (`--redact`); the key is never
    /// recorded, only a keyed check value so `verify` can tell a wrong key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<Redaction>,
    /// User rule directories, as copied into the bundle (`rules/NN-name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// SigmaHQ rules directory, as copied into the bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<String>,
    /// Every rule file copied into the bundle, with its SHA-256 (checked by `verify`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_files: Vec<CopiedInput>,
    /// The hosting-provider range file (`--ranges`) as copied into the bundle's ranges/,
    /// with its SHA-256; absent when the bundled table was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<CopiedInput>,
}

/// How a case was redacted.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Redaction {
    /// `hmac-sha256`.
    pub method: String,
    /// HMAC of a fixed string under the key: lets `verify` recognise the right key.
    pub key_check: String,
}

impl Redaction {
    pub fn for_key(key: &str) -> Redaction {
        Redaction {
            method: "hmac-sha256".into(),
            key_check: Redactor::new(key).tag("check", "tokentrail"),
        }
    }
}

/// Figures for the terminal summary.
pub struct CaseSummary {
    pub files: usize,
    pub activity_events: usize,
    pub signins: usize,
    pub audit: usize,
    pub operations: usize,
    pub linked: usize,
    pub interest: Vec<OperationFinding>,
    pub skipped: u64,
    pub errors: Vec<String>,
    /// Wall time per phase (never written into the bundle, which stays deterministic).
    pub timings: Vec<super::progress::PhaseTiming>,
    /// The copies' flush to stable storage, when they were made during the run: wait for
    /// it before reporting success.
    pub flushing: Option<PendingSync>,
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn passes(f: &OperationFinding, flt: &Filters) -> bool {
    let contains = |hay: Option<&str>, needle: &Option<String>| match needle {
        None => true,
        Some(n) => hay.is_some_and(|h| lc(h).contains(&lc(n))),
    };
    let at: Option<jiff::Timestamp> = f.time.parse().ok();
    let ts = |t: &str| t.parse::<jiff::Timestamp>().ok();
    flt.from.as_deref().is_none_or(|t| at >= ts(t))
        && flt.to.as_deref().is_none_or(|t| at <= ts(t))
        && flt.subscription.as_deref().is_none_or(|s| {
            f.subscription_id
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(s))
        })
        && contains(f.resource_id.as_deref(), &flt.resource)
        && contains(Some(&f.operation), &flt.operation)
        && match &flt.identity {
            None => true,
            Some(n) => [
                Some(f.identity.display.as_str()),
                f.identity.upn.as_deref(),
                f.identity.object_id.as_deref(),
                f.identity.app_id.as_deref(),
            ]
            .into_iter()
            .any(|h| h.is_some_and(|h| lc(h).contains(&lc(n)))),
        }
}

fn normalize_time_filter(t: &Option<String>) -> anyhow::Result<Option<String>> {
    match t {
        None => Ok(None),
        Some(s) => {
            let ts: jiff::Timestamp = s
                .parse()
                .with_context(|| format!("--from/--to {s:?} is not an RFC 3339 time"))?;
            Ok(Some(ts.to_string()))
        }
    }
}

/// Reads the exports, analyses them and writes every output into `bundle`, then the
/// manifest. `exports_root` is the directory that holds `exports/`.
#[allow(clippy::too_many_arguments)] // one call site each in investigate and verify
pub fn build(
    bundle: &mut Bundle,
    exports_root: &Path,
    inputs: Inputs<'_>,
    opts: &CaseOptions,
    command_line: &str,
    started: &str,
    quiet: bool,
    redact_key: Option<&str>,
) -> anyhow::Result<CaseSummary> {
    let listed = inputs.listed(exports_root);
    let progress = super::progress::Progress::new(quiet, listed.len() as u64);
    let mut filters = opts.filters.clone();
    filters.from = normalize_time_filter(&filters.from)?;
    filters.to = normalize_time_filter(&filters.to)?;
    let read = ReadOptions {
        limits: tokentrail_ingest::Limits {
            max_decompressed: opts.max_decompressed,
            ..Default::default()
        },
        culture: opts.culture.clone(),
        name_root: Some(exports_root.to_path_buf()),
    };
    // Activity events go into case.sqlite on their own thread while the inputs are read, and
    // are then trimmed to what analysis reads. Pseudonymization must see every event before
    // any is written, so with --redact the rows are written after reading instead.
    let db_path = bundle.path_for("case.sqlite")?;
    let db = CaseDb::create(&db_path, env!("CARGO_PKG_VERSION"))
        .with_context(|| format!("writing {}", db_path.display()))?;
    let (activity_to, writer) = if redact_key.is_none() {
        let (tx, rx) = std::sync::mpsc::sync_channel(ROW_QUEUE);
        let (kept_tx, kept_rx) = std::sync::mpsc::channel();
        let h = std::thread::spawn(move || {
            // A second thread serializes each row's properties one batch ahead of the
            // inserts.
            let kept = std::thread::scope(|s| {
                let (json_tx, json_rx) = std::sync::mpsc::sync_channel(2);
                s.spawn(move || serialize_activity(rx, json_tx));
                write_activity(&db, json_rx)
            });
            let ok = kept.is_ok();
            let _ = kept_tx.send(kept);
            // Indexing runs while the caller analyses the events it got back.
            if ok {
                db.index_activity()?;
            }
            Ok(db)
        });
        (Some(tx), Writer::Thread(h, kept_rx))
    } else {
        (None, Writer::Later(db))
    };
    // Sign-ins and audit events found in more than one export are kept once.
    let mut sink = tokentrail_ingest::DedupSink::new(Collected {
        quiet,
        bar: progress.visible_bar(),
        activity_to,
        ..Default::default()
    });
    // Small inputs (a diagnostic-settings tree holds thousands) are read on every core; the
    // sink still receives them one after another, in input order.
    let paths: Vec<(std::path::PathBuf, u64)> = listed
        .iter()
        .map(|i| (exports_root.join(&i.bundle_path), i.size))
        .collect();
    let plan_from: Vec<std::path::PathBuf> = listed.iter().map(|i| i.plan_from.clone()).collect();
    if let Some(first) = listed.first() {
        progress.reading(&first.bundle_path);
    }
    let ready = |k: usize| inputs.ready(k);
    let follow = |k: usize| inputs.follow(k);
    let take = |k: usize| inputs.take(k);
    tokentrail_ingest::replay::read_arriving_prepared(
        &paths,
        &tokentrail_ingest::replay::Arrival {
            ready: &ready,
            plan_from: &plan_from,
            follow: Some(&follow),
            take: Some(&take),
        },
        &read,
        &mut sink,
        &mut |k| {
            inputs.release(k);
            if let Some(i) = listed.get(k + 1) {
                progress.reading(&i.bundle_path);
            }
            progress.inc();
        },
    );
    super::collect::forget_prepared_text();
    // Every copy is complete once read; a copy that failed ends the run here.
    let (inputs, flushing) = inputs.finish()?;
    let inputs = &inputs[..];
    let mut c = sink.into_inner();
    c.close_activity();
    c.report_quiet_files();
    c.join_auth_details();
    // Only reading shares sign-in text and joins detail rows: neither is needed from here on.
    c.interner = Default::default();
    c.auth_details = Vec::new();
    if let Some(key) = redact_key {
        progress.step("pseudonymizing names, UPNs and IPs");
        let mut r = Redactor::new(key);
        r.learn(c.activity.iter().map(|b| &**b));
        c.activity.iter_mut().for_each(|e| r.activity(e));
        c.signins.iter_mut().for_each(|s| r.signin(s));
        c.audit.iter_mut().for_each(|a| r.audit(a));
    }
    progress.step("case.sqlite activity rows (the rest)");
    let (writer, events) = match writer {
        Writer::Thread(h, kept) => {
            let events = kept
                .recv()
                .map_err(|_| anyhow::anyhow!("the case.sqlite writer thread stopped"))
                .and_then(|r| r.with_context(|| format!("writing {}", db_path.display())))?;
            (Writer::Thread(h, kept), events)
        }
        Writer::Later(db) => {
            db.activity(c.activity.iter().map(|b| &**b))
                .and_then(|_| db.index_activity())
                .with_context(|| format!("writing {}", db_path.display()))?;
            let mut shared = tokentrail_analyze::slim::Shared::default();
            let events = std::mem::take(&mut c.activity)
                .into_iter()
                .map(|e| tokentrail_analyze::slim::slim(*e, &mut shared))
                .collect();
            (Writer::Later(db), vec![events])
        }
    };
    progress.step("attributing operations to sign-ins");
    let n_activity = events.iter().map(Vec::len).sum();
    let n_audit = c.audit.len();
    let ranges = source_ranges(&c, &events);
    let table = match &opts.ranges {
        Some(r) => Some(super::ranges::load_file(
            &exports_root.join(tokentrail_report::bundle::safe_rel(&r.bundle_path)?),
        )?),
        None => None,
    };
    let mut a = tokentrail_analyze::attribute_with(
        // Chunk by chunk: each is freed once grouping has moved its events.
        events.into_iter().flatten(),
        std::mem::take(&mut c.signins),
        &tokentrail_analyze::Context {
            ranges: table
                .as_ref()
                .unwrap_or_else(|| tokentrail_analyze::RangeTable::bundled()),
        },
    );
    // Linking is done: only the sign-ins themselves are read from here on.
    a.index.drop_lookups();
    progress.step("running detections");
    let rule_dirs: Vec<std::path::PathBuf> =
        opts.rules.iter().map(|r| exports_root.join(r)).collect();
    let pack = tokentrail_analyze::RulePack::load(&rule_dirs)?;
    let sig = match &opts.sigma {
        Some(d) => Some(
            tokentrail_analyze::detect::sigma::load(&exports_root.join(d))
                .with_context(|| format!("reading Sigma rules in {d}"))?,
        ),
        None => None,
    };
    let db = match writer {
        Writer::Thread(h, _) => h
            .join()
            .map_err(|_| anyhow::anyhow!("the case.sqlite writer thread panicked"))?
            .with_context(|| format!("writing {}", db_path.display()))?,
        Writer::Later(db) => db,
    };
    // Audit events and sign-ins are final now: they go into case.sqlite on another thread
    // while the detections run over them.
    let (all_hits, db) = std::thread::scope(|s| {
        let (audit, signins) = (&c.audit, &a.index.all);
        let rows = s.spawn(move || {
            db.audit(audit)
                .and_then(|_| db.signins(signins))
                .and_then(|_| db.index_signins())
                .map(|_| db)
        });
        // The operations are consumed: their events are in case.sqlite already and no
        // output reads them.
        let hits = tokentrail_analyze::detect::run_parts(
            &pack,
            &mut a.findings,
            std::mem::take(&mut a.operations),
            &a.index.all,
            &tokentrail_analyze::detect::Extra {
                audit: &c.audit,
                sigma: sig.as_ref().map(|s| &s.0),
            },
        );
        (hits, rows.join())
    });
    let db = db
        .map_err(|_| anyhow::anyhow!("the case.sqlite writer thread panicked"))?
        .with_context(|| format!("writing {}", db_path.display()))?;
    let keep: Vec<bool> = a.findings.iter().map(|f| passes(f, &filters)).collect();
    let findings: Vec<OperationFinding> = std::mem::take(&mut a.findings)
        .into_iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(f, _)| f)
        .collect();
    // Detections on operations follow the filters; audit and sign-in detections are kept.
    let hits: Vec<&tokentrail_analyze::detect::Detection> = all_hits
        .iter()
        .filter(|h| h.op.is_none_or(|i| keep.get(i).copied().unwrap_or(true)))
        .collect();
    let any_filter = filters != Filters::default();
    let any_detection = findings.iter().any(|f| !f.detections.is_empty());
    let interest: Vec<usize> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            !f.detections.is_empty()
                || ((any_filter || !any_detection)
                    && f.identity.kind != IdentityType::AzurePlatform)
        })
        .map(|(i, _)| i)
        .collect();

    progress.step("writing outputs");
    let total_skipped: u64 = c.files.iter().map(|f| f.skipped).sum();
    super::outputs::write(
        bundle,
        db,
        &db_path,
        &super::outputs::Outputs {
            findings: &findings,
            interest: &interest,
            index: &a.index,
            duplicate_events: a.duplicate_events,
            hits: &hits,
            pack: &pack,
            sigma_report: sig.as_ref().map(|s| &s.1),
            audit: &c.audit,
            files: &c.files,
            skips: &c.skips,
            exports_root,
            inputs,
            opts,
            command_line,
            started,
            redacted: redact_key.is_some(),
            activity_events: n_activity,
            audit_events: n_audit,
            ranges: &ranges,
            total_skipped,
        },
    )?;
    let timings = progress.timings();
    progress.finish();
    let linked = findings.iter().filter(|f| f.sign_in.is_some()).count();
    drop(hits);
    super::exit_soon(all_hits);
    let summary = CaseSummary {
        timings,
        files: c.files.len(),
        activity_events: n_activity,
        signins: a.index.all.len(),
        audit: n_audit,
        operations: findings.len(),
        linked,
        // `interest` is ascending: the findings of interest are moved out, not copied.
        interest: {
            let mut wanted = interest.iter().copied().peekable();
            let mut kept = Vec::with_capacity(interest.len());
            for (i, f) in findings.into_iter().enumerate() {
                if wanted.next_if_eq(&i).is_some() {
                    kept.push(f);
                } else {
                    super::exit_soon(f);
                }
            }
            kept
        },
        skipped: total_skipped,
        errors: c.errors,
        flushing,
    };
    super::exit_soon(a);
    Ok(summary)
}

/// Where a case's inputs come from.
pub enum Inputs<'a> {
    /// Copied already: `verify` re-reads a bundle's exports.
    Copied(&'a [CopiedInput]),
    /// Being copied into the bundle while they are read (`investigate`). `given` are the
    /// inputs as named on the command line ([`Planned::input`] counts them from 1), to name
    /// the one whose copy failed.
    Copying {
        copying: Copying,
        given: &'a [std::path::PathBuf],
    },
}

/// One input file as the case reads it.
struct Listed {
    bundle_path: String,
    /// Where its bytes can be looked at before its copy is complete.
    plan_from: std::path::PathBuf,
    size: u64,
}

impl<'a> Inputs<'a> {
    fn listed(&self, exports_root: &Path) -> Vec<Listed> {
        match self {
            Inputs::Copied(c) => c
                .iter()
                .map(|i| Listed {
                    bundle_path: i.bundle_path.clone(),
                    plan_from: exports_root.join(&i.bundle_path),
                    size: i.size,
                })
                .collect(),
            Inputs::Copying { copying, .. } => copying
                .files()
                .iter()
                .map(|f: &Planned| Listed {
                    bundle_path: f.rel.clone(),
                    plan_from: f.from.clone(),
                    size: f.size,
                })
                .collect(),
        }
    }

    /// Waits until input `k` can be read (see [`Copying::ready`]).
    fn ready(&self, k: usize) -> bool {
        match self {
            Inputs::Copied(_) => true,
            Inputs::Copying { copying, .. } => copying.ready(k),
        }
    }

    /// A reader of input `k` while its copy is still being made (see
    /// [`tokentrail_report::copying::Follow`]); `None` for inputs copied already.
    fn follow(&self, k: usize) -> Option<Box<dyn std::io::Read + Send>> {
        match self {
            Inputs::Copied(_) => None,
            Inputs::Copying { copying, .. } => copying
                .follow(k)
                .map(|f| Box::new(f) as Box<dyn std::io::Read + Send>),
        }
    }

    /// The bytes of input `k` when its copy holds them (see [`Copying::take`]).
    fn take(&self, k: usize) -> Option<Box<dyn std::io::Read + Send>> {
        match self {
            Inputs::Copied(_) => None,
            Inputs::Copying { copying, .. } => copying
                .take(k)
                .map(|h| Box::new(std::io::Cursor::new(h)) as Box<dyn std::io::Read + Send>),
        }
    }

    /// Frees input `k`'s held bytes once it has been read (see [`Copying::release`]).
    fn release(&self, k: usize) {
        if let Inputs::Copying { copying, .. } = self {
            copying.release(k);
        }
    }

    /// Every input as copied, and the copies' flush to disk still under way.
    #[allow(clippy::type_complexity)] // the copies and their pending flush
    fn finish(self) -> anyhow::Result<(std::borrow::Cow<'a, [CopiedInput]>, Option<PendingSync>)> {
        match self {
            Inputs::Copied(c) => Ok((std::borrow::Cow::Borrowed(c), None)),
            Inputs::Copying { copying, given } => {
                let (copied, flushing) = copying.finish().map_err(|f| {
                    let named = given
                        .get(f.input.wrapping_sub(1))
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    anyhow::Error::new(f.error).context(format!("copying {named} into the bundle"))
                })?;
                Ok((std::borrow::Cow::Owned(copied), Some(flushing)))
            }
        }
    }
}

/// Batches of Activity events waiting to be written, at most (1024 events, a few MB):
/// reading never runs far ahead of the database.
const ROW_QUEUE: usize = 1024 / super::collect::SEND_BATCH;

/// Events as read.
#[allow(clippy::vec_box)] // the readers' boxes, moved on
type Events = Vec<Box<tokentrail_model::ActivityEvent>>;

/// The events as analysis keeps them, in arrival order, in chunks (one per batch written):
/// no list of a million events is grown by copying, and grouping frees each chunk once it
/// has moved its events.
type Slim = Vec<Vec<tokentrail_analyze::slim::SlimEvent>>;

/// The trimmed events, handed back by the writer thread once their rows are in.
type Kept = std::sync::mpsc::Receiver<rusqlite::Result<Slim>>;

/// Who writes the `activity` rows: a thread fed while reading (which then indexes them and
/// returns the database), or the build after reading.
enum Writer {
    Thread(std::thread::JoinHandle<rusqlite::Result<CaseDb>>, Kept),
    Later(CaseDb),
}

/// A batch of events with the JSON text of their properties: event `i`'s is
/// `json[ends[i - 1]..ends[i]]` (from 0 for the first).
struct Serialized {
    events: Events,
    json: String,
    ends: Vec<usize>,
}

/// Serializes each batch's properties, in arrival order. Once the writer has stopped the
/// remaining batches are still received (and dropped) so reading is never blocked.
fn serialize_activity(
    rx: std::sync::mpsc::Receiver<Events>,
    tx: std::sync::mpsc::SyncSender<Serialized>,
) {
    for events in rx.iter() {
        let mut json = Vec::new();
        let mut ends = Vec::with_capacity(events.len());
        for e in &events {
            tokentrail_report::sqlite::append_properties_json(&mut json, e);
            ends.push(json.len());
        }
        // serde_json writes UTF-8 only, so this check (done here, off the writer's thread)
        // never fails; if it did, the batch's rows would get empty JSON rather than a panic.
        let json = String::from_utf8(json).unwrap_or_default();
        if tx.send(Serialized { events, json, ends }).is_err() {
            break;
        }
    }
    rx.iter().for_each(drop);
}

/// Writes each event's row, in arrival order, then keeps it trimmed for analysis. On an
/// error the remaining events are still received (and dropped) so reading is never blocked.
fn write_activity(
    db: &CaseDb,
    rx: std::sync::mpsc::Receiver<Serialized>,
) -> rusqlite::Result<Slim> {
    let mut kept = Vec::new();
    let mut shared = tokentrail_analyze::slim::Shared::default();
    let done = db.activity_inserter().and_then(|mut ins| {
        for Serialized { events, json, ends } in rx.iter() {
            let mut chunk = Vec::with_capacity(events.len());
            let mut start = 0;
            for (e, end) in events.into_iter().zip(ends) {
                let text = json.get(start..end).unwrap_or_default();
                start = end;
                ins.insert_with_properties(&e, text)?;
                chunk.push(tokentrail_analyze::slim::slim(*e, &mut shared));
            }
            kept.push(chunk);
        }
        Ok(())
    });
    rx.iter().for_each(drop);
    done.map(|_| kept)
}

fn source_ranges(c: &Collected, events: &Slim) -> Vec<SourceRange> {
    let mut out = Vec::new();
    let (mut from, mut to) = (None::<jiff::Timestamp>, None::<jiff::Timestamp>);
    for e in events.iter().flatten() {
        from = Some(from.map_or(e.time.utc, |f| f.min(e.time.utc)));
        to = Some(to.map_or(e.time.utc, |t| t.max(e.time.utc)));
    }
    out.push(SourceRange {
        source: "Activity Log".into(),
        records: events.iter().map(Vec::len).sum::<usize>() as u64,
        from: from.map(|t| t.to_string()),
        to: to.map(|t| t.to_string()),
    });
    let (mut from, mut to) = (None::<jiff::Timestamp>, None::<jiff::Timestamp>);
    for s in c.signins.iter().filter_map(|s| s.time) {
        from = Some(from.map_or(s, |f| f.min(s)));
        to = Some(to.map_or(s, |t| t.max(s)));
    }
    out.push(SourceRange {
        source: "Entra sign-ins".into(),
        records: c.signins.len() as u64,
        from: from.map(|t| t.to_string()),
        to: to.map(|t| t.to_string()),
    });
    let (mut from, mut to) = (None::<jiff::Timestamp>, None::<jiff::Timestamp>);
    for t in c
        .audit
        .iter()
        .filter_map(|a| a.time.as_ref().map(|t| t.utc))
    {
        from = Some(from.map_or(t, |f| f.min(t)));
        to = Some(to.map_or(t, |x| x.max(t)));
    }
    out.push(SourceRange {
        source: "Entra audit".into(),
        records: c.audit.len() as u64,
        from: from.map(|t| t.to_string()),
        to: to.map(|t| t.to_string()),
    });
    out
}
