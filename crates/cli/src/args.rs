//! Command-line flags, converted once into the config structs the commands take.

use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};
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
    /// The main job: read, attribute and detect, then write a verifiable evidence bundle to DIR.
    Investigate(InvestigateArgs),
    /// Re-hash a bundle's inputs and outputs and re-run its analysis; non-zero on any difference.
    Verify(VerifyArgs),
    /// List the detection rules (built-in plus --rules DIRs): id, severity, ATT&CK, title.
    Rules(RulesArgs),
    /// Hosting-provider IP ranges: import published lists into the bundled format, look IPs up.
    #[command(subcommand)]
    Ranges(RangesCommand),
}

#[derive(Subcommand)]
pub enum RangesCommand {
    /// Convert Azure Service Tags JSON, AWS ip-ranges.json, GCP cloud.json or range TSV files
    /// (format detected from content) into one aggregated TSV for --ranges.
    Import {
        /// Range files, in any mix of the supported formats.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to write the TSV.
        #[arg(long)]
        out: PathBuf,
    },
    /// Say which hosting provider, if any, each IP belongs to.
    Lookup {
        /// IP addresses (IPv4, IPv6, IPv4-mapped IPv6, or a CIDR).
        #[arg(required = true)]
        ips: Vec<String>,
        /// Range file replacing the bundled table.
        #[arg(long, value_name = "FILE")]
        ranges: Option<PathBuf>,
    },
}

/// Filters narrow the findings; they never narrow what is copied and hashed.
#[derive(Args, Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Filters {
    /// Only operations at or after this time (RFC 3339, UTC).
    #[arg(long)]
    pub from: Option<String>,
    /// Only operations at or before this time (RFC 3339, UTC).
    #[arg(long)]
    pub to: Option<String>,
    /// Only this subscription id.
    #[arg(long)]
    pub subscription: Option<String>,
    /// Only resources whose id contains this text (a resource group name works too).
    #[arg(long)]
    pub resource: Option<String>,
    /// Only operations whose name contains this text.
    #[arg(long)]
    pub operation: Option<String>,
    /// Only identities whose UPN, display name, object id or app id contains this text.
    #[arg(long)]
    pub identity: Option<String>,
}

#[derive(Args)]
pub struct InvestigateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The evidence bundle directory to create (must not exist or be empty).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub filters: Filters,
    /// Pseudonymize UPNs, names and IPs in every output with this key (HMAC-SHA256);
    /// exports/ stay byte-identical. The key is not recorded; verify needs it again.
    #[arg(long, value_name = "KEY")]
    pub redact: Option<String>,
    /// Extra rule directories (built-in format); copied into the bundle's rules/.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Also evaluate SigmaHQ Azure rules from DIR (unmodified); copied into the bundle's rules/.
    #[arg(long, value_name = "DIR")]
    pub sigma: Option<PathBuf>,
    /// Print the wall time of each phase on stderr at the end.
    #[arg(long)]
    pub timings: bool,
    /// Hosting-provider range file (any format `ranges import` reads) replacing the bundled
    /// table; copied into the bundle's ranges/.
    #[arg(long, value_name = "FILE")]
    pub ranges: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The evidence bundle directory.
    pub dir: PathBuf,
    /// The key the bundle was redacted with; without it a redacted bundle's hashes are
    /// checked but the analysis cannot be re-run.
    #[arg(long, value_name = "KEY")]
    pub redact_key: Option<String>,
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
    /// Hosting-provider range file (any format `ranges import` reads) replacing the bundled table.
    #[arg(long, value_name = "FILE")]
    pub ranges: Option<PathBuf>,
}

pub struct AttributeConfig {
    pub inputs: Vec<PathBuf>,
    pub read: tokentrail_ingest::ReadOptions,
    pub out: PathBuf,
    pub rules: Vec<PathBuf>,
    pub sigma: Option<PathBuf>,
    pub ranges: Option<PathBuf>,
}

impl AttributeArgs {
    pub fn into_config(self) -> AttributeConfig {
        AttributeConfig {
            read: self.input.read_options(),
            inputs: self.input.inputs,
            out: self.out,
            rules: self.rules,
            sigma: self.sigma,
            ranges: self.ranges,
        }
    }
}

#[derive(Args)]
pub struct WhoArgs {
    /// Correlation id, event id, or a fragment of a resource id.
    #[arg(long, short = 'q')]
    pub query: Option<String>,
    /// Answer from an evidence bundle's case.sqlite instead of re-reading exports; the
    /// positional arguments are then the queries.
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// Exports to read (files, directories, archives); with --case: the queries.
    pub inputs: Vec<PathBuf>,
    /// Culture of dates in PowerShell CSV exports (en-US, en-GB, de-DE, fr-FR, …).
    #[arg(long)]
    pub culture: Option<String>,
    /// Largest decompressed size accepted from one compressed stream or archive member, in bytes.
    #[arg(long, default_value_t = 256u64 << 30)]
    pub max_decompressed: u64,
    /// Hosting-provider range file (any format `ranges import` reads) replacing the bundled table.
    #[arg(long, value_name = "FILE")]
    pub ranges: Option<PathBuf>,
}

pub struct WhoConfig {
    pub inputs: Vec<PathBuf>,
    pub read: tokentrail_ingest::ReadOptions,
    pub query: String,
    pub ranges: Option<PathBuf>,
}

/// `who` either re-reads exports or answers from a case database.
pub enum WhoMode {
    Inputs(WhoConfig),
    Case { dir: PathBuf, queries: Vec<String> },
}

impl WhoArgs {
    pub fn into_mode(self) -> Result<WhoMode, String> {
        if let Some(dir) = self.case {
            let mut queries: Vec<String> = self.query.into_iter().collect();
            queries.extend(self.inputs.iter().map(|p| p.to_string_lossy().into_owned()));
            if queries.is_empty() {
                return Err("who --case DIR needs at least one query".into());
            }
            return Ok(WhoMode::Case { dir, queries });
        }
        let Some(query) = self.query else {
            return Err("who needs --query (or --case DIR QUERY…)".into());
        };
        if self.inputs.is_empty() {
            return Err("who needs exports to read (or --case DIR)".into());
        }
        let input = InputArgs {
            inputs: self.inputs,
            culture: self.culture,
            max_decompressed: self.max_decompressed,
        };
        Ok(WhoMode::Inputs(WhoConfig {
            read: input.read_options(),
            inputs: input.inputs,
            query,
            ranges: self.ranges,
        }))
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
        let limits = tokentrail_ingest::Limits {
            max_decompressed: self.max_decompressed,
            ..Default::default()
        };
        tokentrail_ingest::ReadOptions {
            limits,
            culture: self.culture.clone(),
            name_root: None,
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
