//! Command-line flags, converted once into the config structs the commands take.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "tokentrail",
    version,
    about = "Prove who changed your Azure subscription, from where, and with what authentication."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Read exports and print normalized records as JSON Lines (summary per file on stderr).
    Parse(ParseArgs),
    /// Attribute every change to the sign-in that issued its token; write DIR/findings/operations.jsonl.
    Attribute(AttributeArgs),
    /// Explain the operations matching a correlation id, event id or resource-id fragment.
    Who(WhoArgs),
    /// List the detection rules (built-in plus --rules DIRs): id, severity, ATT&CK, title.
    Rules(RulesArgs),
}

#[derive(Args)]
pub struct RulesArgs {
    /// Directory of extra rule files (*.yaml / *.yml) in the built-in format; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Print the full rule pack as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also load SigmaHQ rules from DIR and report which can be evaluated.
    #[arg(long, value_name = "DIR")]
    pub sigma: Option<PathBuf>,
}

#[derive(Args)]
pub struct AttributeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Directory of extra rule files (*.yaml / *.yml) in the built-in format; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Directory of SigmaHQ rules (product azure) to evaluate unmodified.
    #[arg(long, value_name = "DIR")]
    pub sigma: Option<PathBuf>,
}

pub struct AttributeConfig {
    pub inputs: Vec<PathBuf>,
    pub read: tokentrail_ingest::ReadOptions,
    pub out: PathBuf,
    pub rules: Vec<PathBuf>,
    pub sigma: Option<PathBuf>,
}

impl AttributeArgs {
    pub fn into_config(self) -> AttributeConfig {
        AttributeConfig {
            read: self.input.read_options(),
            inputs: self.input.inputs,
            out: self.out,
            rules: self.rules,
            sigma: self.sigma,
        }
    }
}

#[derive(Args)]
pub struct WhoArgs {
    /// Correlation id, event id, or a fragment of a resource id.
    #[arg(long, short = 'q')]
    pub query: String,
    #[command(flatten)]
    pub input: InputArgs,
}

pub struct WhoConfig {
    pub inputs: Vec<PathBuf>,
    pub read: tokentrail_ingest::ReadOptions,
    pub query: String,
}

impl WhoArgs {
    pub fn into_config(self) -> WhoConfig {
        WhoConfig {
            read: self.input.read_options(),
            inputs: self.input.inputs,
            query: self.query,
        }
    }
}

/// Flags shared by every command that reads exports.
#[derive(Args, Clone)]
pub struct InputArgs {
    /// Files, directories (searched recursively) or archives, in any mix of formats.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Culture of dates in PowerShell CSV exports (en-US, en-GB, de-DE, fr-FR, …); inferred when absent.
    #[arg(long)]
    pub culture: Option<String>,
    /// Largest decompressed size accepted from one compressed stream or archive member, in bytes.
    #[arg(long, default_value_t = 256u64 << 30)]
    pub max_decompressed: u64,
}

impl InputArgs {
    pub fn read_options(&self) -> tokentrail_ingest::ReadOptions {
        let mut limits = tokentrail_ingest::Limits::default();
        limits.max_decompressed = self.max_decompressed;
        tokentrail_ingest::ReadOptions {
            limits,
            culture: self.culture.clone(),
        }
    }
}

#[derive(Args)]
pub struct ParseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write every skipped record (file, line, offset, reason) as JSON Lines to this file.
    #[arg(long)]
    pub skips: Option<PathBuf>,
    /// Exit with status 1 when any record was skipped.
    #[arg(long)]
    pub strict: bool,
    /// Print only the per-file summaries, not the records.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// What `parse` needs.
pub struct ParseConfig {
    pub inputs: Vec<PathBuf>,
    pub read: tokentrail_ingest::ReadOptions,
    pub skips: Option<PathBuf>,
    pub strict: bool,
    pub quiet: bool,
}

impl ParseArgs {
    pub fn into_config(self) -> ParseConfig {
        ParseConfig {
            read: self.input.read_options(),
            inputs: self.input.inputs,
            skips: self.skips,
            strict: self.strict,
            quiet: self.quiet,
        }
    }
}
