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
    pub signins: Vec<SignInFacts>,
    pub audit: Vec<AuditEvent>,
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

/// Reads every input.
pub fn collect(inputs: &[PathBuf], opts: &ReadOptions) -> Collected {
    let mut c = Collected::default();
    for i in inputs {
        tokentrail_ingest::read_path(i, opts, &mut c);
    }
    c
}
