//! The `tokentrail` command: flags are parsed once into plain config structs and handed
//! to one command module. All logic lives in the library crates.

mod args;
mod cmd;
mod term;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc: parsing allocates many small, short-lived strings and maps per record; the
/// system allocator was ~42 % of `parse` cycles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Parse(a) => cmd::parse::run(a.into_config()),
        args::Command::Attribute(a) => cmd::attribute::run(a.into_config()),
        args::Command::Who(a) => match a.into_mode() {
            Ok(args::WhoMode::Inputs(cfg)) => cmd::who::run(cfg),
            Ok(args::WhoMode::Case { dir, queries }) => cmd::who_case::run(&dir, &queries),
            Err(e) => Err(anyhow::anyhow!(e)),
        },
        args::Command::Investigate(a) => cmd::investigate::run(a),
        args::Command::Verify(a) => cmd::verify::run(&a.dir, a.redact_key.as_deref()),
        args::Command::Rules(a) => cmd::rules::run(a),
        args::Command::Ranges(c) => cmd::ranges::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tokentrail: error: {}", term::clean(&one_line(&e)));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, `: `-separated. A cause whose text the line already
/// ends with (an error that prints its own source) is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
