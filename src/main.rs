//! The `lawcode` command line: a thin shell over the library.
//!
//! Exit codes: 0 a result (partial results too), 1 bad rules or bad facts
//! (or an evaluation error), 2 a usage error.

use clap::{Parser, Subcommand, ValueEnum};
use lawcode::{EvalOptions, render};
use miette::Report;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lawcode",
    version,
    about = "Evaluate statutes written as .law rule files, with a trace that cites every provision"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a rule file (and what it imports) without evaluating anything.
    Check {
        /// The entry rule file, e.g. rules/usc/18/2259.law
        file: PathBuf,
    },
    /// Evaluate a rule file against the facts of one case.
    Eval {
        /// The entry rule file, e.g. rules/usc/18/2259.law
        file: PathBuf,
        /// The facts of the case, as JSON.
        #[arg(long)]
        facts: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Leave out the trace.
        #[arg(long)]
        no_trace: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { file } => match lawcode::load_program(&file) {
            Ok((program, report)) => {
                for w in report.warnings {
                    eprintln!("{:?}", Report::new(w));
                }
                let defs: usize = program.versions.iter().map(|v| v.defs.len()).sum();
                println!(
                    "{}: ok ({} provisions, {} definitions across {} version{})",
                    file.display(),
                    program.provisions.len(),
                    defs,
                    program.versions.len(),
                    if program.versions.len() == 1 { "" } else { "s" }
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(Report::new(e)),
        },
        Command::Eval {
            file,
            facts,
            format,
            no_trace,
        } => {
            let program = match lawcode::load_program(&file) {
                Ok((p, _)) => p,
                Err(e) => return fail(Report::new(e)),
            };
            let json = match std::fs::read_to_string(&facts) {
                Ok(j) => j,
                Err(e) => {
                    return fail(miette::miette!(
                        code = "lawcode::facts::unreadable",
                        help = "check the path to the facts file",
                        "cannot read `{}`: {e}",
                        facts.display()
                    ));
                }
            };
            let facts = match program.read_facts(&facts.display().to_string(), &json) {
                Ok(f) => f,
                Err(e) => return fail(Report::new(e)),
            };
            let result = match program.evaluate(
                &facts,
                EvalOptions {
                    trace: !no_trace,
                    ..Default::default()
                },
            ) {
                Ok(r) => r,
                Err(e) => return fail(Report::new(e)),
            };
            let out = match format {
                Format::Json => {
                    let mut s = serde_json::to_string_pretty(&render::evaluation_json(&result))
                        .unwrap_or_default();
                    s.push('\n');
                    s
                }
                Format::Text => render::evaluation_text(&program, &result),
            };
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = stdout.write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
    }
}

fn fail(report: Report) -> ExitCode {
    eprintln!("{report:?}");
    ExitCode::from(1)
}
