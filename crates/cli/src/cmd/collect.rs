//! Reading inputs into memory for analysis: Activity events and sign-in facts, with the
//! per-file statistics kept for the summary and the bundle.

use crate::term::clean;
use std::path::PathBuf;
use tokentrail_analyze::SignInFacts;
use tokentrail_ingest::{FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::{ActivityEvent, AuditEvent, Record};

/// Everything read from the inputs.
#[derive(Default)]
pub struct Collected {
    pub activity: Vec<ActivityEvent>,
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
}

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
            Record::Activity(a) => self.activity.push(*a),
            Record::SignIn(s) => self.signins.push(tokentrail_analyze::facts(&s)),
            Record::Audit(a) => self.audit.push(*a),
            Record::AuthDetail(d) => self.auth_details.push(*d),
        }
    }
    fn skip(&mut self, s: Skip) {
        self.skips.push(s);
    }
    fn file_done(&mut self, st: FileStats) {
        if !self.quiet {
            self.say(format!(
                "tokentrail: {}",
                clean(&super::parse::summary_line(&st))
            ));
        }
        self.files.push(st);
    }
    fn error(&mut self, e: IngestError) {
        let msg = e.to_string();
        if !self.quiet {
            self.say(format!("tokentrail: error: {}", clean(&msg)));
        }
        self.errors.push(msg);
    }
}

impl Collected {
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
                if let Some(m) = by_id.get(&s.id.to_ascii_lowercase()) {
                    s.auth_methods = m.clone();
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
    for i in inputs {
        tokentrail_ingest::read_path(i, opts, &mut sink);
    }
    let mut c = sink.into_inner();
    c.join_auth_details();
    c
}
