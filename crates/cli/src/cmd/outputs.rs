//! Writing a case's outputs: case.sqlite (sign-ins and operations), report.html, findings/,
//! notes, timelines, commands and finally the manifest.
//!
//! case.sqlite is written on its own thread while the other outputs are rendered one after
//! another on the calling thread, each streamed to its file through a hashing writer; their hashes are recorded in the bundle
//! afterwards, keyed by path, so the manifest does not depend on which finished first.

use super::case::CaseOptions;
use anyhow::Context;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;
use tokentrail_analyze::detect::sigma::SigmaReport;
use tokentrail_analyze::detect::Detection;
use tokentrail_analyze::finding::OperationFinding;
use tokentrail_analyze::signins::SignInIndex;
use tokentrail_analyze::RulePack;
use tokentrail_ingest::{FileStats, Skip};
use tokentrail_report::bundle::{CopiedInput, Written};
use tokentrail_report::manifest::{InputEntry, Manifest, RunInfo};
use tokentrail_report::notes::{NotesInput, SourceRange};
use tokentrail_report::sqlite::CaseDb;
use tokentrail_report::{commands, html, notes, timeline, Bundle};

/// Everything the outputs are made from.
pub struct Outputs<'a> {
    pub findings: &'a [OperationFinding],
    /// Indices into `findings` of the operations of interest.
    pub interest: &'a [usize],
    pub index: &'a SignInIndex,
    pub duplicate_events: u64,
    pub hits: &'a [&'a Detection],
    pub pack: &'a RulePack,
    pub sigma_report: Option<&'a SigmaReport>,
    pub audit: &'a [tokentrail_model::AuditEvent],
    pub files: &'a [FileStats],
    pub skips: &'a [Skip],
    pub exports_root: &'a Path,
    pub inputs: &'a [CopiedInput],
    pub opts: &'a CaseOptions,
    pub command_line: &'a str,
    pub started: &'a str,
    pub redacted: bool,
    pub activity_events: usize,
    pub audit_events: usize,
    pub ranges: &'a [SourceRange],
    pub total_skipped: u64,
}

type Done = anyhow::Result<Vec<(&'static str, Written)>>;

/// Writes every output, then the manifest. `db` (at `db_path`) holds the Activity, audit
/// and sign-in rows already; operations are added and it is closed.
pub fn write(
    bundle: &mut Bundle,
    db: CaseDb,
    db_path: &Path,
    o: &Outputs<'_>,
) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let b: &Bundle = bundle;
    let (lines, mut offsets) = super::op_json::channel();
    let (db_done, html_done, timeline_done, rest_done) = std::thread::scope(|s| {
        let db = s.spawn(move || -> Done {
            db.findings(o.findings, &mut || offsets.take())
                .and_then(|_| db.finish())
                .with_context(|| format!("writing {}", db_path.display()))?;
            // Read-only, so an ad-hoc `sqlite3` session cannot change the evidence by accident.
            if let Ok(meta) = std::fs::metadata(db_path) {
                let mut perm = meta.permissions();
                perm.set_readonly(true);
                let _ = std::fs::set_permissions(db_path, perm);
            }
            Ok(vec![("case.sqlite", b.hash_existing("case.sqlite")?)])
        });
        // operations.jsonl is written on a thread of its own: case.sqlite takes its line
        // offsets as they come, and this thread would otherwise wait whenever it is ahead.
        let ops = s.spawn(move || -> Done {
            let w = b.write_with("findings/operations.jsonl", |w| lines.write(w, o.findings))?;
            Ok(vec![("findings/operations.jsonl", w)])
        });
        // case.sqlite is the largest job and runs alone on its thread; the other outputs
        // follow one another on this one, so the two cores stay busy without the database
        // (which finishes last otherwise) sharing its core with them.
        let html = || -> Done {
            let w = b.write_with("report.html", |w| {
                html::render_to(
                    w,
                    &html::ReportInput {
                        version,
                        findings: o.findings,
                        interest: o.interest,
                        signins: &o.index.all,
                        audit_events: o.audit_events,
                        redacted: o.redacted,
                    },
                )
            })?;
            Ok(vec![("report.html", w)])
        };
        let timeline_done = timelines(b, o);
        let rest_done = findings_notes_commands(b, o, version);
        let html_done = html();
        let rest_done = join(ops).and_then(|mut ops| {
            ops.extend(rest_done?);
            Ok(ops)
        });
        (join(db), html_done, timeline_done, rest_done)
    });
    // operations.jsonl (in `rest_done`) first: if it failed, case.sqlite failed for want
    // of its lines.
    for done in [rest_done, db_done, html_done, timeline_done] {
        for (rel, w) in done? {
            bundle.record(rel, w);
        }
    }
    manifest(bundle, o, version)
}

fn join(h: std::thread::ScopedJoinHandle<'_, Done>) -> Done {
    h.join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("an output thread panicked")))
}

/// `timeline.md`, `timeline.csv` and `timeline.jsonl`.
fn timelines(b: &Bundle, o: &Outputs<'_>) -> Done {
    // Rows are built as they are written (only their order is held).
    let rows = timeline::Timeline::new(o.findings, &o.index.all, o.audit);
    let identities: BTreeSet<String> = o
        .interest
        .iter()
        .map(|&i| o.findings[i].identity.display.clone())
        .collect();
    let mut linked_signins: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for &i in o.interest {
        let f = &o.findings[i];
        let set = linked_signins
            .entry(f.identity.display.clone())
            .or_default();
        set.extend(f.sign_in.as_ref().map(|s| s.id.to_string()));
        set.extend(f.session_origin.as_ref().map(|s| s.id.clone()));
    }
    let md = b.write_with("timeline.md", |w| {
        timeline::markdown_to(w, &rows, &identities, &linked_signins)
    })?;
    // timeline.csv and timeline.jsonl are written in one pass, each row built once for both.
    let mut jsonl = None;
    let csv = b.write_with("timeline.csv", |csv| {
        let written = b.write_with("timeline.jsonl", |jsonl| {
            timeline::csv_and_jsonl_to(Some(csv), Some(jsonl), &rows)
        });
        jsonl = Some(written.map_err(std::io::Error::other)?);
        Ok(())
    })?;
    let jsonl = jsonl.ok_or_else(|| anyhow::anyhow!("timeline.jsonl was not written"))?;
    Ok(vec![
        ("timeline.md", md),
        ("timeline.csv", csv),
        ("timeline.jsonl", jsonl),
    ])
}

/// JSON Lines: one compact JSON value per line.
fn jsonl<T: serde::Serialize>(w: &mut dyn Write, items: &[T]) -> std::io::Result<()> {
    tokentrail_report::json::lines_to(w, items)
}

/// `findings/`, `notes.md` and `commands/`.
fn findings_notes_commands(b: &Bundle, o: &Outputs<'_>, version: &str) -> Done {
    let mut out = Vec::new();
    let mut put = |rel: &'static str, f: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| {
        b.write_with(rel, f).map(|w| out.push((rel, w)))
    };
    // findings/operations.jsonl is written with case.sqlite (see `write`).
    put("findings/detections.jsonl", &|w| jsonl(w, o.hits))?;
    // Component-wise: with `--out b`, the built-in pack `builtin` is not under `b`.
    let rel_files: Vec<String> = o
        .pack
        .files
        .iter()
        .map(|f| match Path::new(f).strip_prefix(o.exports_root) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => f.trim_start_matches(['/', '\\']).to_string(),
        })
        .collect();
    let mut info = serde_json::to_vec_pretty(&serde_json::json!({
        "sha256": o.pack.sha256,
        "files": rel_files,
        "counts": o.pack.counts(),
    }))?;
    info.push(b'\n');
    put("findings/rulepack.json", &|w| w.write_all(&info))?;
    if let Some(rep) = o.sigma_report {
        let mut r = serde_json::to_vec_pretty(rep)?;
        r.push(b'\n');
        put("findings/sigma-report.json", &|w| w.write_all(&r))?;
    }
    put("findings/skipped.jsonl", &|w| jsonl(w, o.skips))?;
    let notes_in = NotesInput {
        version,
        findings: o.findings,
        interest: o.interest,
        index: o.index,
        audit_events: o.audit_events,
        activity_events: o.activity_events,
        duplicate_events: o.duplicate_events,
        ranges: o.ranges,
        skipped: o.total_skipped,
        redacted: o.redacted,
    };
    put("notes.md", &|w| notes::render_to(w, &notes_in))?;
    put("commands/tokentrail.md", &|w| {
        w.write_all(commands::tokentrail(o.command_line).as_bytes())
    })?;
    put("commands/collect.md", &|w| {
        commands::collect_to(w, o.findings)
    })?;
    put("commands/rollback.md", &|w| {
        commands::rollback_to(w, o.findings, o.interest)
    })?;
    Ok(out)
}

fn manifest(bundle: &Bundle, o: &Outputs<'_>, version: &str) -> anyhow::Result<()> {
    let mut totals = BTreeMap::new();
    totals.insert("activity_events".to_string(), o.activity_events as u64);
    totals.insert("signins".to_string(), o.index.all.len() as u64);
    totals.insert("audit_events".to_string(), o.audit_events as u64);
    totals.insert("operations".to_string(), o.findings.len() as u64);
    totals.insert("duplicate_activity_events".to_string(), o.duplicate_events);
    totals.insert(
        "records_read".to_string(),
        o.files.iter().map(|f| f.read).sum(),
    );
    totals.insert("records_skipped".to_string(), o.total_skipped);
    let by_input = streams_by_input(o.files);
    let manifest = Manifest {
        tool: "tokentrail".into(),
        version: version.into(),
        command_line: o.command_line.into(),
        options: serde_json::to_value(o.opts)?,
        rule_pack_sha256: o.pack.sha256.clone(),
        inputs: o
            .inputs
            .iter()
            .map(|i| input_entry(i, o.files, &by_input))
            .collect(),
        not_copied: bundle.not_copied.clone(),
        streams: o
            .files
            .iter()
            .map(|f| serde_json::to_value(f).unwrap_or_default())
            .collect(),
        totals,
        outputs: bundle.outputs.clone(),
        run: RunInfo {
            started: o.started.into(),
        },
    };
    let mut m = serde_json::to_vec_pretty(&manifest)?;
    m.push(b'\n');
    let path = bundle.path_for("manifest.json")?;
    std::fs::write(&path, m).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The streams of each input file, in read order: a stream is the file itself or one of
/// its archive members (`file!member`).
fn streams_by_input(files: &[FileStats]) -> HashMap<&str, Vec<&FileStats>> {
    let mut m: HashMap<&str, Vec<&FileStats>> = HashMap::new();
    for f in files {
        let file = f.file.split('!').next().unwrap_or(&f.file);
        m.entry(file).or_default().push(f);
    }
    m
}

fn input_entry(
    i: &CopiedInput,
    files: &[FileStats],
    by_input: &HashMap<&str, Vec<&FileStats>>,
) -> InputEntry {
    let mine: Vec<&FileStats> = if i.bundle_path.contains('!') {
        // Not a name the bundle writes (they are sanitized); match the slow, exact way.
        files
            .iter()
            .filter(|f| {
                f.file == i.bundle_path || f.file.starts_with(&format!("{}!", i.bundle_path))
            })
            .collect()
    } else {
        by_input
            .get(i.bundle_path.as_str())
            .cloned()
            .unwrap_or_default()
    };
    let mut formats: BTreeSet<String> = BTreeSet::new();
    for f in &mine {
        let mut shape: Vec<String> = f.containers.iter().map(|s| s.to_string()).collect();
        shape.extend(f.shapes.iter().cloned());
        formats.insert(shape.join("+"));
        formats.extend(f.schemas.keys().cloned());
    }
    InputEntry {
        copied: i.clone(),
        formats: formats.into_iter().filter(|s| !s.is_empty()).collect(),
        read: mine.iter().map(|f| f.read).sum(),
        parsed: mine.iter().map(|f| f.parsed).sum(),
        skipped: mine.iter().map(|f| f.skipped).sum(),
    }
}
