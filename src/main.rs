//! The `lawcode` command line: a thin shell over the library.
//!
//! Exit codes: 0 a result (partial results too), 1 bad rules or bad facts
//! (or an evaluation error; with `--batch`, any line that failed), 2 a usage error.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use lawcode::{EvalOptions, batch, render};
use miette::Report;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write as _};
use std::path::{Path, PathBuf};
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
    /// Evaluate a rule file against the facts of one case, or of many (`--batch`).
    Eval {
        /// The entry rule file, e.g. rules/usc/18/2259.law
        file: PathBuf,
        /// The facts of the case, as JSON.
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        facts: Option<PathBuf>,
        /// Many cases, one JSON facts object per line (`-` for standard input); writes one
        /// JSON result per line, in input order.
        #[arg(long, value_name = "CASES.jsonl")]
        batch: Option<PathBuf>,
        /// Output format [default: text; with --batch, json (the only one)].
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Leave out the trace (faster).
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
            batch: Some(batch),
            format,
            no_trace,
        } => {
            if let Some(Format::Text) = format {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::ArgumentConflict,
                        "--batch writes JSON Lines only; leave out `--format text`",
                    )
                    .exit();
            }
            debug_assert!(facts.is_none());
            run_batch(&file, &batch, !no_trace)
        }
        Command::Eval {
            file,
            facts,
            batch: None,
            format,
            no_trace,
        } => {
            let Some(facts) = facts else {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        "give the facts with --facts FILE, or many cases with --batch FILE",
                    )
                    .exit();
            };
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
            let out = match format.unwrap_or(Format::Text) {
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

/// `eval --batch`: JSON Lines in, JSON Lines out; exit 1 when any line failed.
fn run_batch(file: &Path, cases: &Path, trace: bool) -> ExitCode {
    let program = match lawcode::load_program(file) {
        Ok((p, _)) => p,
        Err(e) => return fail(Report::new(e)),
    };
    let unreadable = |e: std::io::Error| {
        fail(miette::miette!(
            code = "lawcode::facts::unreadable",
            help = "check the path to the cases file",
            "cannot read `{}`: {e}",
            cases.display()
        ))
    };
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if cases == Path::new("-") {
        (Box::new(std::io::stdin()), None)
    } else {
        match std::fs::File::open(cases) {
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(f), size)
            }
            Err(e) => return unreadable(e),
        }
    };
    let input = BufReader::with_capacity(1 << 20, input);
    let output = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());

    // A progress bar only for a person watching: on a terminal, and never when the output is
    // piped into another program or stderr is redirected.
    let bar = (std::io::stderr().is_terminal() && !stdout_is_pipe()).then(|| progress_bar(size));
    let report = |p: batch::Progress| {
        if let Some(bar) = &bar {
            match size {
                Some(_) => bar.set_position(p.bytes),
                None => bar.set_position(p.lines),
            }
            bar.set_message(format!("{} cases", p.lines));
        }
    };
    let options = batch::BatchOptions { trace, threads: 0 };
    let result = batch::run(&program, input, output, options, Some(&report));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(summary) if summary.failed > 0 => {
            eprintln!(
                "{} of {} cases failed; see the error lines of the output",
                summary.failed, summary.lines
            );
            ExitCode::from(1)
        }
        Ok(_) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) ends the batch quietly, like a single eval.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => unreadable(e),
    }
}

/// Whether standard output is a pipe (`| jq`), as opposed to a terminal or a file.
fn stdout_is_pipe() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        use std::os::unix::fs::FileTypeExt as _;
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return false;
        };
        std::fs::File::from(fd)
            .metadata()
            .is_ok_and(|m| m.file_type().is_fifo())
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn progress_bar(size: Option<u64>) -> ProgressBar {
    match size {
        Some(bytes) => {
            let bar = ProgressBar::new(bytes);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {percent}% {msg} ({binary_bytes_per_sec}, eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        }
    }
}

fn fail(report: Report) -> ExitCode {
    eprintln!("{report:?}");
    ExitCode::from(1)
}
