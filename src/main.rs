//! The `lawcode` command line: a thin shell over the library.
//!
//! Exit codes: 0 a result (partial results too; for `test`, every case
//! passed), 1 bad rules or bad facts (or an evaluation error; for `test`, a
//! failing or malformed case; for `diff`, a case that could not be evaluated),
//! 2 a usage error.

use clap::{Parser, Subcommand, ValueEnum};
use lawcode::rule_source::{LoadedRules, RuleSource, parse_date};
use lawcode::{diff, render, runner};
use miette::Report;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lawcode",
    version,
    about = "Evaluate statutes written as .law rule files, with a trace that cites every provision",
    after_help = "A RULES argument is `[REV:]PATH[@DATE]`: `rules/usc/18/2259.law`, \
                  `HEAD~1:rules/usc/18/2259.law` (as committed in a git revision), \
                  `rules/usc/18/2259.law@2018-12-06` (the version in force on that date)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a rule file (and what it imports) without evaluating anything.
    Check {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        file: String,
    },
    /// Evaluate a rule file against the facts of one case.
    Eval {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        file: String,
        /// The facts of the case, as JSON.
        #[arg(long)]
        facts: PathBuf,
        /// Apply the version in force on this date (YYYY-MM-DD) instead of the one the facts select.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Leave out the trace.
        #[arg(long)]
        no_trace: bool,
    },
    /// Run every *.json test file under DIR and compare the outcomes with what each expects.
    Test {
        /// The entry rule file, `[REV:]PATH[@DATE]`.
        rules: String,
        /// The directory of test files (searched recursively).
        dir: PathBuf,
        /// Evaluate every case under the version in force on this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also report which provisions and branches the cases exercised.
        #[arg(long)]
        coverage: bool,
    },
    /// Evaluate every case under two rule sources and report the cases whose outcomes differ.
    Diff {
        /// The old rule source, `[REV:]PATH[@DATE]`, e.g. HEAD:rules/usc/18/2259.law
        old: String,
        /// The new rule source, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        new: String,
        /// The directory of cases: test files or bare facts files (searched recursively).
        #[arg(long)]
        cases: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { file } => check(&file),
        Command::Eval {
            file,
            facts,
            as_of,
            format,
            no_trace,
        } => eval(&file, &facts, as_of.as_deref(), format, no_trace),
        Command::Test {
            rules,
            dir,
            as_of,
            format,
            coverage,
        } => test(&rules, &dir, as_of.as_deref(), format, coverage),
        Command::Diff {
            old,
            new,
            cases,
            format,
        } => diff_command(&old, &new, &cases, format),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}

fn load(spec: &str) -> Result<LoadedRules, Report> {
    Ok(RuleSource::parse(spec)?.load()?)
}

fn check(file: &str) -> Result<ExitCode, Report> {
    let loaded = load(file)?;
    for w in loaded.report.warnings {
        eprintln!("{:?}", Report::new(w));
    }
    let program = &loaded.program;
    let defs: usize = program.versions.iter().map(|v| v.defs.len()).sum();
    println!(
        "{file}: ok ({} provisions, {} definitions across {} version{})",
        program.provisions.len(),
        defs,
        program.versions.len(),
        if program.versions.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

fn eval(
    file: &str,
    facts: &std::path::Path,
    as_of: Option<&str>,
    format: Format,
    no_trace: bool,
) -> Result<ExitCode, Report> {
    let loaded = load(file)?;
    let as_of = as_of.map(parse_date).transpose()?;
    let options = loaded.options(!no_trace, as_of)?;
    let json = std::fs::read_to_string(facts).map_err(|e| {
        miette::miette!(
            code = "lawcode::facts::unreadable",
            help = "check the path to the facts file",
            "cannot read `{}`: {e}",
            facts.display()
        )
    })?;
    let program = &loaded.program;
    let facts = program.read_facts(&facts.display().to_string(), &json)?;
    let result = program.evaluate(&facts, options)?;
    let out = match format {
        Format::Json => json_text(&render::evaluation_json(&result)),
        Format::Text => render::evaluation_text(program, &result),
    };
    print(&out);
    Ok(ExitCode::SUCCESS)
}

fn test(
    rules: &str,
    dir: &std::path::Path,
    as_of: Option<&str>,
    format: Format,
    coverage: bool,
) -> Result<ExitCode, Report> {
    let loaded = load(rules)?;
    let as_of = as_of.map(parse_date).transpose()?;
    let options = loaded.options(true, as_of)?;
    let report = runner::run(
        &loaded.program,
        rules,
        dir,
        runner::RunOptions {
            as_of: options.as_of,
            coverage,
        },
    )?;
    print(&match format {
        Format::Json => json_text(&report),
        Format::Text => report.text(),
    });
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn diff_command(
    old: &str,
    new: &str,
    cases: &std::path::Path,
    format: Format,
) -> Result<ExitCode, Report> {
    let old = load(old)?;
    let new = load(new)?;
    let report = diff::diff_cases(&old, &new, cases)?;
    print(&match format {
        Format::Json => json_text(&report),
        Format::Text => report.text(&new.program.statute.citation),
    });
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn json_text(value: &impl serde::Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

fn print(out: &str) {
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}
