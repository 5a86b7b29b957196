//! Reading inputs into memory for analysis: Activity events and sign-in facts, with the
//! per-file statistics kept for the summary and the bundle.

use crate::term::clean;
use std::path::PathBuf;
use tokentrail_analyze::SignInFacts;
use tokentrail_ingest::{FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::{ActivityEvent, AuditEvent, Record, SignIn};

/// Everything read from the inputs.
#[derive(Default)]
pub struct Collected {
    pub activity: Vec<ActivityEvent>,
    pub signins: Vec<SignInFacts>,
    /// The full sign-in records (detections read fields correlation does not need).
    pub signin_records: Vec<SignIn>,
    pub audit: Vec<AuditEvent>,
    pub files: Vec<FileStats>,
    pub skips: Vec<Skip>,
    pub errors: Vec<String>,
}

impl Sink for Collected {
    fn record(&mut self, rec: Record) {
        match rec {
            Record::Activity(a) => self.activity.push(*a),
            Record::SignIn(s) => {
                self.signins.push(tokentrail_analyze::facts(&s));
                self.signin_records.push(*s);
            }
            Record::Audit(a) => self.audit.push(*a),
        }
    }
    fn skip(&mut self, s: Skip) {
        self.skips.push(s);
    }
    fn file_done(&mut self, st: FileStats) {
        eprintln!("tokentrail: {}", clean(&super::parse::summary_line(&st)));
        self.files.push(st);
    }
    fn error(&mut self, e: IngestError) {
        let msg = e.to_string();
        eprintln!("tokentrail: error: {}", clean(&msg));
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
