//! `manifest.json`: what was read, what was written, with which tool, rules and options.
//! Everything but `run.started` is deterministic; `verify` ignores that field.

use crate::bundle::{CopiedInput, Written};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    /// The command line as given (argv joined with spaces, each argument quoted when needed).
    pub command_line: String,
    /// The options the analysis used, so `verify` can run it again.
    pub options: serde_json::Value,
    /// SHA-256 of the effective rule pack (empty until detections are configured).
    pub rule_pack_sha256: String,
    pub inputs: Vec<InputEntry>,
    /// Entries of input directories that were not copied or read (e.g. a symbolic link to
    /// a directory), with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_copied: Vec<crate::tree::NotCopied>,
    /// Parse statistics per decoded stream (file or archive member).
    pub streams: Vec<serde_json::Value>,
    pub totals: BTreeMap<String, u64>,
    pub outputs: BTreeMap<String, Written>,
    /// Run-time facts that differ between runs; `verify` ignores them.
    pub run: RunInfo,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InputEntry {
    #[serde(flatten)]
    pub copied: CopiedInput,
    /// Formats detected in this file (container and framing shapes, record schemas).
    pub formats: Vec<String>,
    pub read: u64,
    pub parsed: u64,
    pub skipped: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    pub started: String,
}
