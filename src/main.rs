//! The `lawcode` command line: a thin shell over the library.
//!
//! Exit codes: 0 a result (partial results too; for `test`, every case
//! passed), 1 bad rules or bad facts (or an evaluation error; with `--batch`,
//! any line that failed; for `test`, a failing or malformed case; for `diff`, a
//! case that could not be evaluated, or an `--outcome` neither source declares),
//! 2 a usage error.

use clap::{ArgGroup, CommandFactory, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use lawcode::diagnostic::{MAX_SHOWN, More};
use lawcode::facts::set::Assignment;
#[cfg(feature = "lsp")]
use lawcode::lsp;
use lawcode::rule_source::{LoadedRules, RuleSource, parse_date};
#[cfg(feature = "serve")]
use lawcode::server;
use lawcode::{EvalOptions, batch, diff, render, runner, what_if};
use miette::Report;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lawcode",
    version,
    about = "Evaluate statutes written as .law rule files, with a trace that cites every provision",
    after_help = "A RULES argument is `[REV:]PATH[@DATE]`: `rules/usc/18/2259.law`, \
                  `HEAD~1:rules/usc/18/2259.law` (as committed in a git revision), \
                  `rules/usc/18/2259.law@2018-12-06` (the version in force on that date).\n\n\
                  Examples:\n  \
                  lawcode eval rules/usc/18/2259.law --facts examples/trafficking-floor.json\n  \
                  lawcode test rules/usc/18/2259.law tests/cases/usc-18-2259\n  \
                  lawcode diff HEAD:rules/usc/18/2259.law rules/usc/18/2259.law --cases tests/cases/usc-18-2259\n\n\
                  `lawcode help COMMAND` shows more examples for each command."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a rule file (and what it imports) without evaluating anything.
    #[command(after_help = CHECK_EXAMPLES)]
    Check {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        file: String,
        /// `text` (miette reports on stderr) or `json` (one array of diagnostics on stdout:
        /// code, severity, message, help, file, labels, citation).
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Run the language server over standard input and output (for editors).
    #[cfg(feature = "lsp")]
    Lsp,
    /// Evaluate a rule file against the facts of one case (or of many, with --batch).
    #[command(
        group(ArgGroup::new("input").required(true).args(["facts", "batch"])),
        after_help = EVAL_EXAMPLES
    )]
    Eval {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        file: String,
        /// The facts of the case, as JSON, `-` for standard input (required unless --batch is given).
        #[arg(long, value_name = "FACTS.json")]
        facts: Option<PathBuf>,
        /// Many cases, one JSON facts object per line (`-` for standard input); writes one
        /// JSON result per line, in input order.
        #[arg(long, value_name = "CASES.jsonl")]
        batch: Option<PathBuf>,
        /// Apply the version in force on this date (YYYY-MM-DD) instead of the one the facts select.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Output format [default: text; with --batch, json (the only one)].
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Leave out the trace (faster).
        #[arg(long)]
        no_trace: bool,
        /// Show only this outcome's tree in the trace (repeatable); every outcome is still listed.
        #[arg(long = "outcome", value_name = "NAME", conflicts_with = "batch")]
        outcomes: Vec<String>,
        /// Quote each provision's heading and text in the trace, where it is first cited.
        #[arg(long, conflicts_with = "batch")]
        with_text: bool,
        /// Evaluate as if the facts held VALUE at PATH (`victim.losses[0].amount=2500`; VALUE a
        /// JSON literal, else a string); repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE", conflicts_with = "batch", value_parser = parse_set)]
        sets: Vec<Assignment>,
    },
    /// Explain one case as a decision memo: the provisions in the statute's order, what each
    /// decided and read, and what is still needed.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        file: String,
        /// The facts of the case, as JSON, `-` for standard input.
        #[arg(long, value_name = "FACTS.json")]
        facts: PathBuf,
        /// Apply the version in force on this date (YYYY-MM-DD) instead of the one the facts select.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Output format: Markdown, a standalone HTML page, plain text, or JSON (the memo's
        /// document model; with --why-not, `{"outcome", "value", "asked", "because"}`).
        #[arg(long, value_enum, default_value_t = MemoFormat::Markdown)]
        format: MemoFormat,
        /// Instead of the memo: why the outcome NAME is not VALUE (a JSON literal, else a
        /// string), as the chain of provisions that made it what it is.
        #[arg(long, value_name = "NAME=VALUE")]
        why_not: Option<String>,
        /// Explain only the provisions that decided this outcome (repeatable).
        #[arg(long = "outcome", value_name = "NAME")]
        outcomes: Vec<String>,
        /// The full memo: every provision's words quoted, with every formula and note (the
        /// default memo quotes only the provisions that moved a value, to fit one page).
        #[arg(long)]
        full: bool,
        /// Explain the case as if the facts held VALUE at PATH; repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
        sets: Vec<Assignment>,
    },
    /// Evaluate a case as given and with some facts changed: the outcomes before and after, and
    /// the provisions where they diverged.
    #[command(name = "what-if", after_help = WHAT_IF_EXAMPLES)]
    WhatIf {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        file: String,
        /// The facts of the case, as JSON, `-` for standard input.
        #[arg(long, value_name = "FACTS.json")]
        facts: PathBuf,
        /// The change: VALUE at PATH (`victim.prior_recovery=0`); repeatable, at least one.
        #[arg(long = "set", value_name = "PATH=VALUE", required = true, value_parser = parse_set)]
        sets: Vec<Assignment>,
        /// Apply the version in force on this date (YYYY-MM-DD) instead of the one the facts select.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Ask, one question at a time, for the facts still needed to decide a case, then evaluate it.
    ///
    /// On a terminal: prompts; otherwise (or with --format json): a JSON line protocol, one
    /// question per line out, one answer per line in (see the README).
    #[command(after_help = ASK_EXAMPLES)]
    Ask {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        file: String,
        /// What is known already: a partial facts document; its facts are not asked (`null`:
        /// not known, not asked either).
        #[arg(long, value_name = "PARTIAL.json")]
        facts: Option<PathBuf>,
        /// Ask only for what this outcome needs (repeatable); the result shows only its tree.
        #[arg(long = "outcome", value_name = "NAME")]
        outcomes: Vec<String>,
        /// Write the completed facts to this file, which `lawcode eval --facts` accepts as it is.
        #[arg(long, value_name = "OUT.json")]
        save: Option<PathBuf>,
        /// `text`: prompts on a terminal; `json`: one JSON object per line (the default when
        /// standard input is not a terminal).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// End with the decision memo (Markdown) instead of the result.
        #[arg(long)]
        explain: bool,
    },
    /// Run every *.json test file under DIR and compare the outcomes with what each expects.
    #[command(after_help = TEST_EXAMPLES)]
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
    #[command(after_help = DIFF_EXAMPLES)]
    Diff {
        /// The old rule source, `[REV:]PATH[@DATE]`, e.g. HEAD:rules/usc/18/2259.law
        old: String,
        /// The new rule source, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        new: String,
        /// The directory of cases: test files or bare facts files (searched recursively).
        #[arg(long)]
        cases: PathBuf,
        /// Compare only this outcome (repeat for more); by default every outcome.
        #[arg(long = "outcome", value_name = "NAME")]
        outcomes: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Serve the rule sets of a directory over HTTP (JSON API under /v1).
    #[cfg(feature = "serve")]
    #[command(after_help = SERVE_EXAMPLES)]
    Serve {
        /// The directory of rule files (searched at any depth); each with a `statute` header is
        /// served under its path without `.law` (`usc/18/2259`).
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
        /// Example facts offered for each statute whose facts they are (`*.json`).
        #[arg(long, default_value = "examples")]
        examples: PathBuf,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// The largest request body, in bytes.
        #[arg(long, default_value_t = 1 << 20)]
        max_body: usize,
        /// The longest a request may take, in milliseconds (then 503).
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        /// Requests evaluated at once; more are refused with 503 and `Retry-After`.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Allow cross-origin requests from this origin (none by default).
        #[arg(long, value_name = "ORIGIN")]
        cors: Option<String>,
        /// What is logged to stderr: `info` logs one line per request; `warn` only failures.
        #[arg(long, default_value = "info", value_parser = ["error", "warn", "info", "debug"])]
        log: String,
    },
    /// Print the JSON Schema (draft 2020-12) of a rule set's facts, for forms and validators.
    #[command(after_help = SCHEMA_EXAMPLES)]
    Schema {
        /// The entry rule file, `[REV:]PATH[@DATE]`, e.g. rules/usc/18/2259.law
        rules: String,
    },
    /// Lay rule files out the one canonical way (comments and `text` strings kept as written).
    #[command(after_help = FMT_EXAMPLES)]
    Fmt {
        /// Only report: list the files that would change, and exit 1 if any would.
        #[arg(long)]
        check: bool,
        /// Rule files, or directories searched for `*.law` files (hidden directories, `target`
        /// and `node_modules` skipped); `-` formats standard input to standard output.
        #[arg(value_name = "FILE|DIR", default_value = ".")]
        paths: Vec<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh or fish) to standard output.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell to complete for.
        shell: Shell,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

const CHECK_EXAMPLES: &str = "Examples:
  lawcode check rules/usc/18/2259.law
  lawcode check HEAD~1:rules/usc/18/2259.law   # the rules as committed one revision ago
  lawcode check rules/usc/18/2259.law --format json   # the diagnostics as one JSON array";

const EVAL_EXAMPLES: &str = "Examples:
  lawcode eval rules/usc/18/2259.law --facts examples/trafficking-floor.json
  lawcode eval rules/usc/18/2259.law --facts examples/trafficking-floor.json --format json
  lawcode eval rules/usc/18/2259.law --facts examples/trafficking-floor.json --as-of 2018-12-06
  lawcode eval rules/usc/18/2259.law --facts examples/trafficking-floor.json --outcome restitution_amount --with-text
  cat examples/trafficking-floor.json | lawcode eval rules/usc/18/2259.law --facts -
  lawcode eval rules/usc/18/2259.law --batch cases.jsonl > results.jsonl
  cat cases.jsonl | lawcode eval rules/usc/18/2259.law --batch - --no-trace";

const ASK_EXAMPLES: &str = "Examples:
  lawcode ask rules/usc/18/2259.law                      # on a terminal: one prompt per fact
  lawcode ask rules/usc/18/2259.law --facts partial.json --save case.json --explain
  lawcode ask rules/usc/18/2259.law --outcome restitution_amount
  program | lawcode ask rules/usc/18/2259.law --format json   # the line protocol (README)";

const TEST_EXAMPLES: &str = "Examples:
  lawcode test rules/usc/18/2259.law tests/cases/usc-18-2259
  lawcode test rules/usc/18/2259.law tests/cases/usc-18-2259 --coverage
  lawcode test rules/usc/18/2259.law tests/cases/usc-18-2259 --format json";

const DIFF_EXAMPLES: &str = "Examples:
  # what the 2018 amendment changed: the 1996 text against the current one
  lawcode diff rules/usc/18/2259.law@2018-12-06 rules/usc/18/2259.law@2018-12-07 \\
      --cases tests/cases/usc-18-2259
  # ... only the amount ordered
  lawcode diff rules/usc/18/2259.law@2018-12-06 rules/usc/18/2259.law@2018-12-07 \\
      --cases tests/cases/usc-18-2259 --outcome restitution_amount
  # what an uncommitted edit of the rules changes
  lawcode diff HEAD:rules/usc/18/2259.law rules/usc/18/2259.law --cases tests/cases/usc-18-2259";

#[cfg(feature = "serve")]
const SERVE_EXAMPLES: &str = "Examples:
  lawcode serve                                   # rules/ on http://127.0.0.1:8080
  curl -s localhost:8080/v1/statutes
  curl -s -X POST localhost:8080/v1/statutes/usc/18/2259/evaluate \\
      --data-binary @examples/trafficking-floor.json";

const EXPLAIN_EXAMPLES: &str = "Examples:
  lawcode explain rules/usc/18/2259.law --facts examples/trafficking-floor.json
  lawcode explain rules/usc/18/2259.law --facts case.json --format html > memo.html
  lawcode explain rules/usc/18/2259.law --facts case.json --outcome restitution_amount --format text";

const WHAT_IF_EXAMPLES: &str = "Examples:
  lawcode what-if rules/usc/18/2259.law --facts examples/trafficking-floor.json --set court.relative_role_amount=5000
  lawcode what-if rules/usc/18/2259.law --facts case.json --set victim.prior_recovery=0 --set offense_date=2018-12-06 --format json";

const SCHEMA_EXAMPLES: &str = "Examples:
  lawcode schema rules/usc/18/2259.law > 2259.schema.json";

const FMT_EXAMPLES: &str = "Examples:
  lawcode fmt rules/                  # rewrite every rule file under rules/ in place
  lawcode fmt --check rules/          # in CI: list the files that are not formatted, exit 1
  lawcode fmt - < rules/usc/18/2259.law   # standard input to standard output (for editors)";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  lawcode completions bash > ~/.local/share/bash-completion/completions/lawcode
  lawcode completions zsh > ~/.zfunc/_lawcode    # with fpath+=~/.zfunc before compinit
  lawcode completions fish > ~/.config/fish/completions/lawcode.fish";

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// How `explain` writes the memo.
#[derive(Clone, Copy, ValueEnum)]
enum MemoFormat {
    Markdown,
    Html,
    Text,
    Json,
}

fn main() -> ExitCode {
    // Every report is shown within bounds: long lines windowed, floods of problems counted.
    let _ = miette::set_hook(Box::new(|_| {
        let inner = Box::new(miette::MietteHandlerOpts::new().build());
        Box::new(lawcode::diagnostic::BoundedHandler::new(inner))
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            file,
            format: Format::Text,
        } => check(&file),
        Command::Check {
            file,
            format: Format::Json,
        } => Ok(check_json(&file)),
        #[cfg(feature = "lsp")]
        Command::Lsp => match lsp::run_stdio() {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e) => Err(miette::miette!(
                code = "lawcode::lsp::io",
                "the language server stopped: {e}"
            )),
        },
        Command::Eval {
            file,
            facts,
            batch: Some(batch),
            as_of,
            format,
            no_trace,
            ..
        } => {
            if let Some(Format::Text) = format {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::ArgumentConflict,
                        "--batch writes JSON Lines only; leave out `--format text`",
                    )
                    .exit();
            }
            debug_assert!(facts.is_none(), "clap's group allows one of them");
            run_batch(&file, &batch, as_of.as_deref(), !no_trace)
        }
        Command::Eval {
            file,
            facts,
            batch: None,
            as_of,
            format,
            no_trace,
            outcomes,
            with_text,
            sets,
        } => {
            let Some(facts) = facts else {
                // Unreachable: the `input` group requires --facts or --batch.
                Cli::command()
                    .error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        "give the facts with --facts FILE, or many cases with --batch FILE",
                    )
                    .exit();
            };
            eval(
                &file,
                &facts,
                as_of.as_deref(),
                format.unwrap_or(Format::Text),
                no_trace,
                (outcomes, with_text),
                &sets,
            )
        }
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
            outcomes,
            format,
        } => diff_command(&old, &new, &cases, outcomes, format),
        Command::Fmt { check, paths } => Ok(fmt(&paths, check)),
        #[cfg(feature = "serve")]
        Command::Serve {
            rules,
            examples,
            addr,
            max_body,
            timeout_ms,
            concurrency,
            cors,
            log,
        } => {
            let config = server::Config {
                rules,
                examples: Some(examples),
                addr,
                max_body,
                timeout: std::time::Duration::from_millis(timeout_ms),
                concurrency,
                cors,
                log: log.parse().unwrap_or_default(),
            };
            server::run(config, |addr| {
                eprintln!("lawcode serve: listening on http://{addr}")
            })
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| miette::miette!(code = "lawcode::serve::start", "{e}"))
        }
        Command::Explain {
            file,
            facts,
            as_of,
            format,
            outcomes,
            sets,
            why_not,
            full,
        } => explain(
            &file,
            &facts,
            as_of.as_deref(),
            (format, why_not.as_deref(), full),
            outcomes,
            &sets,
        ),
        Command::WhatIf {
            file,
            facts,
            sets,
            as_of,
            format,
        } => what_if(&file, &facts, &sets, as_of.as_deref(), format),
        Command::Ask {
            file,
            facts,
            outcomes,
            save,
            format,
            explain,
        } => {
            if facts.as_deref() == Some(Path::new("-")) {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::InvalidValue,
                        "`ask --facts -` cannot read the facts from standard input, which carries the answers; give a file",
                    )
                    .exit();
            }
            ask::run(
                &file,
                facts.as_deref(),
                outcomes,
                save.as_deref(),
                format,
                explain,
            )
        }
        Command::Schema { rules } => load(&rules).map(|loaded| {
            let id = rules
                .rsplit_once(':')
                .map_or(rules.as_str(), |(_, p)| p)
                .trim_start_matches("rules/")
                .split('@')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".law");
            print(&json_text(&lawcode::tools::schema::facts_schema(
                &loaded.program,
                id,
            )));
            ExitCode::SUCCESS
        }),
        Command::Completions { shell } => {
            completions(shell);
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}

/// `lawcode ask`: the interview's prompts or line protocol around `tools::ask`.
mod ask {
    use super::{Format, json_text, load_for_evaluation};
    use dialoguer::theme::ColorfulTheme;
    use dialoguer::{Input, Select};
    use lawcode::facts::{MAX_FACTS_BYTES, read_file};
    use lawcode::tools::ask::{self as interview, Answer, Interview, Next, Question, QuestionKind};
    use lawcode::{Evaluation, Problem, render};
    use miette::Report;
    use std::io::{BufRead, IsTerminal, Read as _, Write as _};
    use std::path::Path;
    use std::process::ExitCode;

    /// The longest answer line read (a whole list may be given on one line).
    const MAX_LINE: u64 = MAX_FACTS_BYTES as u64;

    pub(super) fn run(
        file: &str,
        facts: Option<&Path>,
        outcomes: Vec<String>,
        save: Option<&Path>,
        format: Option<Format>,
        explain: bool,
    ) -> Result<ExitCode, Report> {
        let (loaded, options) = load_for_evaluation(file, None, true)?;
        let program = &loaded.program;
        let view = render::View::new(program, outcomes.clone(), false)?;
        let mut interview = match facts {
            Some(path) => {
                let (name, text) = read_file(path)?;
                Interview::from_text(program, &name, &text, outcomes.clone(), options)?
            }
            None => Interview::new(
                program,
                "the answers",
                serde_json::Value::Object(serde_json::Map::new()),
                outcomes.clone(),
                options,
            )?,
        };
        let lines = matches!(format, Some(Format::Json))
            || !std::io::stdin().is_terminal()
            || !std::io::stderr().is_terminal();
        let result = if lines {
            protocol(&mut interview)?
        } else {
            prompts(&mut interview)?
        };
        if let Some(path) = save {
            std::fs::write(path, json_text(interview.facts())).map_err(|e| {
                miette::miette!(
                    code = "lawcode::ask::unwritable",
                    help = "check that the directory exists and can be written",
                    "cannot write the facts to `{}`: {e}",
                    path.display()
                )
            })?;
        }
        let memo = || -> Result<String, Report> {
            match render::memo::Memo::new(program, &result, &outcomes) {
                Some(memo) => Ok(memo.markdown()),
                None => Err(miette::miette!(
                    "the evaluation kept no trace to explain; this is a bug in lawcode"
                )),
            }
        };
        if lines {
            let mut last = serde_json::Map::new();
            last.insert(
                "result".into(),
                render::evaluation_json_with(&result, &view),
            );
            if explain {
                last.insert("memo".into(), serde_json::Value::String(memo()?));
            }
            super::print(&format!("{}\n", serde_json::Value::Object(last)));
        } else if explain {
            super::print(&memo()?);
        } else {
            super::print(&render::evaluation_text_with(program, &result, &view));
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Writes one line of the protocol; a closed standard output ends the interview.
    fn send(
        out: &mut impl std::io::Write,
        line: &serde_json::Value,
        q: &Question,
    ) -> Result<(), Report> {
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|_| Report::new(interview::end_of_input(q, "standard output was closed")))
    }

    /// The JSON line protocol: a question per line out, an answer per line in.
    fn protocol(interview: &mut Interview) -> Result<Evaluation, Report> {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        loop {
            let q = match interview.next_step() {
                Ok(Next::Done(result)) => return Ok(*result),
                Ok(Next::Ask(q)) => q,
                Err(e) => {
                    // The evaluation failed (an overflow, a conflict…): said on the protocol
                    // too, so that a program reading it knows why it ends.
                    let code = miette::Diagnostic::code(&e).map(|c| c.to_string());
                    let line =
                        serde_json::json!({"error": {"code": code, "message": e.to_string()}});
                    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
                    return Err(e.into());
                }
            };
            let line = serde_json::to_value(&q).unwrap_or_default();
            send(&mut out, &line, &q)?;
            let answer = loop {
                let mut bytes = Vec::new();
                let read = (&mut input).take(MAX_LINE).read_until(b'\n', &mut bytes);
                match read {
                    Ok(0) | Err(_) => {
                        let p = interview::end_of_input(&q, "the input ended");
                        let _ = send(&mut out, &interview::error_line(&p), &q);
                        return Err(Report::new(p));
                    }
                    Ok(_) if !bytes.ends_with(b"\n") && bytes.len() as u64 >= MAX_LINE => {
                        let p = Problem::error(
                            interview::codes::BAD_ANSWER,
                            format!("the answer line is longer than {MAX_LINE} bytes"),
                        );
                        let _ = send(&mut out, &interview::error_line(&p), &q);
                        return Err(Report::new(p));
                    }
                    Ok(_) => {}
                }
                let text = match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(_) => {
                        let p = Problem::error(
                            interview::codes::BAD_ANSWER,
                            "the answer is not UTF-8 text",
                        );
                        break Err(p);
                    }
                };
                if !text.trim().is_empty() {
                    break Answer::from_line(&text);
                }
            };
            if let Err(p) = answer.and_then(|a| interview.answer(a)) {
                let mut p = p;
                p.fact_path = p.fact_path.or(Some(q.path.clone()));
                send(&mut out, &interview::error_line(&p), &q)?;
            }
        }
    }

    /// On a terminal: a prompt per question on standard error, selection lists for yes/no,
    /// enumerations and lists.
    fn prompts(interview: &mut Interview) -> Result<Evaluation, Report> {
        let theme = ColorfulTheme::default();
        loop {
            let q = match interview.next_step()? {
                Next::Done(result) => return Ok(*result),
                Next::Ask(q) => q,
            };
            describe(&q);
            let answer = prompt(&theme, &q).ok_or_else(|| {
                Report::new(interview::end_of_input(&q, "the prompt was cancelled"))
            })?;
            if let Err(p) = interview.answer(answer) {
                let help = p.help.map(|h| format!(" ({h})")).unwrap_or_default();
                eprintln!("  not accepted: {}{help}", p.message);
            }
        }
    }

    /// What the question is about, before its prompt.
    fn describe(q: &Question) {
        let mut about = Vec::new();
        if let Some(p) = &q.provision {
            about.push(p.clone());
        }
        about.push(q.ty.clone());
        if !q.default.is_null() {
            about.push(format!("default {}", render::plain_value(&q.default)));
        }
        eprintln!();
        if let Some(d) = &q.description {
            eprintln!("{}: {d}", q.path);
        }
        eprintln!("  ({})", about.join("; "));
    }

    /// The answer to `q` from the person at the terminal; `None` when they cancel.
    fn prompt(theme: &ColorfulTheme, q: &Question) -> Option<Answer> {
        let skip = if q.default.is_null() {
            "not known (leave it out)".to_string()
        } else {
            format!(
                "not known (take the default, {})",
                render::plain_value(&q.default)
            )
        };
        let skippable = !q.required;
        let choose = |prompt: &str, items: Vec<String>, default: usize| {
            Select::with_theme(theme)
                .with_prompt(prompt)
                .items(&items)
                .default(default)
                .interact_opt()
                .ok()
                .flatten()
        };
        let with_skip = |mut items: Vec<String>, answers: Vec<Answer>| {
            let mut answers = answers;
            if skippable {
                items.push(skip.clone());
                answers.push(Answer::Skip);
            }
            (items, answers)
        };
        let pick = |prompt: &str, items: Vec<String>, answers: Vec<Answer>, default: usize| {
            let (items, answers) = with_skip(items, answers);
            choose(prompt, items, default).and_then(|i| answers.get(i).cloned())
        };
        let yes_no = |yes: &str, no: &str| {
            (
                vec![yes.to_string(), no.to_string()],
                vec![Answer::Value(true.into()), Answer::Value(false.into())],
            )
        };
        match q.kind {
            QuestionKind::List => {
                let (items, answers) = if q.items.unwrap_or(0) == 0 {
                    yes_no("yes, add one", "no, none")
                } else {
                    yes_no("yes, add another", "no more")
                };
                let items_given = q.items.unwrap_or(0);
                let (items, answers) = if items_given == 0 {
                    with_skip(items, answers)
                } else {
                    (items, answers)
                };
                choose(&q.prompt, items, 0).and_then(|i| answers.get(i).cloned())
            }
            QuestionKind::Record => {
                let (items, answers) = yes_no("yes", "no");
                choose(&q.prompt, items, 0).and_then(|i| answers.get(i).cloned())
            }
            QuestionKind::Value if q.ty == "bool" => {
                let (items, answers) = yes_no("yes", "no");
                let default = usize::from(q.default == serde_json::Value::Bool(false));
                pick(&q.path, items, answers, default)
            }
            QuestionKind::Value if !q.members.is_empty() => {
                let answers = q
                    .members
                    .iter()
                    .map(|m| Answer::Value(m.clone().into()))
                    .collect();
                let default = q
                    .members
                    .iter()
                    .position(|m| q.default == serde_json::Value::String(m.clone()))
                    .unwrap_or(0);
                pick(&q.path, q.members.clone(), answers, default)
            }
            QuestionKind::Value => {
                let hint = if skippable { ", empty: not known" } else { "" };
                let text: String = Input::with_theme(theme)
                    .with_prompt(format!("{} ({}{hint})", q.path, q.ty))
                    .allow_empty(skippable)
                    .interact_text()
                    .ok()?;
                let text = text.trim();
                if text.is_empty() {
                    return Some(Answer::Skip);
                }
                Some(Answer::Value(value_of(&q.ty, text)))
            }
        }
    }

    /// Typed text as the JSON the facts reader takes: numbers and lists as JSON literals when
    /// they are, everything else (money, dates, citations, texts) as a string.
    fn value_of(ty: &str, text: &str) -> serde_json::Value {
        let literal =
            matches!(ty, "integer" | "decimal" | "provisions") || ty.starts_with("list of");
        match serde_json::from_str(text) {
            Ok(v) if literal => v,
            _ => serde_json::Value::String(text.to_string()),
        }
    }
}

fn load(spec: &str) -> Result<LoadedRules, Report> {
    Ok(RuleSource::parse(spec)?.load()?)
}

/// The rules of `spec`, and how to evaluate with them: the trace, and the date pinned by
/// `--as-of` or by `RULES@DATE`.
fn load_for_evaluation(
    spec: &str,
    as_of: Option<&str>,
    trace: bool,
) -> Result<(LoadedRules, EvalOptions), Report> {
    let loaded = load(spec)?;
    let as_of = as_of.map(parse_date).transpose()?;
    let options = loaded.options(trace, as_of)?;
    Ok((loaded, options))
}

fn check(file: &str) -> Result<ExitCode, Report> {
    let loaded = load(file)?;
    // Each warning is its own report; many are shown as the first few and a count, as the
    // problems of one report are, so that stderr stays bounded.
    let warnings = &loaded.report.warnings;
    for w in warnings.iter().take(MAX_SHOWN) {
        eprintln!("{:?}", Report::new(w.clone()));
    }
    let rest = warnings
        .iter()
        .skip(MAX_SHOWN)
        .map(|w| w as &dyn miette::Diagnostic);
    if let Some(more) = More::counting(rest) {
        eprintln!("{:?}", Report::new(more));
    }
    let program = &loaded.program;
    let defs: usize = program.versions().iter().map(|v| v.defs.len()).sum();
    println!(
        "{file}: ok ({} provisions, {} definitions across {} version{})",
        program.provisions().len(),
        defs,
        program.versions().len(),
        if program.versions().len() == 1 {
            ""
        } else {
            "s"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `lawcode fmt`: each file formatted in place, or with `--check` only named when it would
/// change. A file that does not parse (or cannot be read) is reported and left as it is.
fn fmt(paths: &[PathBuf], check: bool) -> ExitCode {
    use lawcode::format::{self, files};
    let mut failed = false;
    let mut report = |e: Report| {
        eprintln!("{e:?}");
        failed = true;
    };
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            report(miette::miette!(
                code = "lawcode::fmt::stdin_alone",
                help = "format standard input on its own: `lawcode fmt - < FILE`",
                "`-` (standard input) cannot be mixed with files"
            ));
            return ExitCode::from(1);
        }
        let mut text = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            report(miette::miette!("cannot read standard input: {e}"));
            return ExitCode::from(1);
        }
        return match format::format_source("<stdin>", &text) {
            Ok(out) if check => {
                if out != text {
                    println!("<stdin>");
                    return ExitCode::from(1);
                }
                ExitCode::SUCCESS
            }
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                report(e.into());
                ExitCode::from(1)
            }
        };
    }
    let list = match files::law_files(paths) {
        Ok(list) => list,
        Err(e) => {
            report(miette::miette!(
                code = "lawcode::fmt::io",
                "cannot list the rule files to format: {e}"
            ));
            return ExitCode::from(1);
        }
    };
    let mut changed = 0usize;
    for path in &list {
        let name = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    report(miette::miette!(
                        code = "lawcode::fmt::not_utf8",
                        help = "rule files are UTF-8 text; save it as UTF-8",
                        "{name} is not UTF-8 text; it is left as it is"
                    ));
                    continue;
                }
            },
            Err(e) => {
                report(miette::miette!(
                    code = "lawcode::fmt::io",
                    "cannot read {name}: {e}"
                ));
                continue;
            }
        };
        let out = match format::format_source(&name, &text) {
            Ok(out) => out,
            Err(e) => {
                report(e.into());
                continue;
            }
        };
        if out == text {
            continue;
        }
        changed += 1;
        if check {
            match files::first_changed_line(&text, &out) {
                Some((line, _, _)) => println!("{name}:{line}"),
                None => println!("{name}"),
            }
        } else if let Err(e) = files::write_atomically(path, &out) {
            report(miette::miette!(
                code = "lawcode::fmt::io",
                "cannot rewrite {name}: {e}; it is left as it was"
            ));
            changed -= 1;
        }
    }
    let files = |n: usize| if n == 1 { "file" } else { "files" };
    if check && changed > 0 {
        eprintln!(
            "{changed} of {} rule {} would be reformatted; run `lawcode fmt` on {}",
            list.len(),
            files(list.len()),
            if changed == 1 { "it" } else { "them" }
        );
    } else if !check {
        eprintln!(
            "formatted {changed} of {} rule {}",
            list.len(),
            files(list.len())
        );
    }
    if failed || (check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `check --format json`: every diagnostic as one JSON array on stdout; exit 1 on an error.
fn check_json(file: &str) -> ExitCode {
    let (diagnostics, errors) = lawcode::tools::analysis::check_source(file);
    print(&json_text(&diagnostics));
    if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn eval(
    file: &str,
    facts: &std::path::Path,
    as_of: Option<&str>,
    format: Format,
    no_trace: bool,
    (outcomes, with_text): (Vec<String>, bool),
    sets: &[Assignment],
) -> Result<ExitCode, Report> {
    let (loaded, options) = load_for_evaluation(file, as_of, !no_trace)?;
    let view = render::View::new(&loaded.program, outcomes, with_text)?;
    let (name, json) = lawcode::read_facts_file(facts)?;
    let program = &loaded.program;
    let (name, json) = what_if::apply(program, &name, &json, sets)?;
    let facts = program.read_facts(&name, &json)?;
    let result = program.evaluate(&facts, options)?;
    let out = match format {
        Format::Json => json_text(&render::evaluation_json_with(&result, &view)),
        Format::Text => render::evaluation_text_with(program, &result, &view),
    };
    print(&out);
    Ok(ExitCode::SUCCESS)
}

fn explain(
    file: &str,
    facts: &std::path::Path,
    as_of: Option<&str>,
    (format, why_not, full): (MemoFormat, Option<&str>, bool),
    outcomes: Vec<String>,
    sets: &[Assignment],
) -> Result<ExitCode, Report> {
    let (loaded, options) = load_for_evaluation(file, as_of, true)?;
    let program = &loaded.program;
    // Checks the outcome names (the nearest one in the help).
    render::View::new(program, outcomes.clone(), false)?;
    let (name, json) = lawcode::read_facts_file(facts)?;
    let (name, json) = what_if::apply(program, &name, &json, sets)?;
    let facts = program.read_facts(&name, &json)?;
    let result = program.evaluate(&facts, options)?;
    if let Some(question) = why_not {
        let (name, asked) = render::why_not::parse_question(question)?;
        let answer = render::why_not::WhyNot::new(program, &result, &name, asked)?;
        print(&match format {
            MemoFormat::Json => json_text(&answer),
            MemoFormat::Text => answer.text(),
            MemoFormat::Markdown => answer.markdown(),
            MemoFormat::Html => render::memo::html_page(&answer.markdown(), &name),
        });
        return Ok(ExitCode::SUCCESS);
    }
    let memo = if full {
        render::memo::Memo::full(program, &result, &outcomes)
    } else {
        render::memo::Memo::new(program, &result, &outcomes)
    };
    let Some(memo) = memo else {
        return Err(miette::miette!(
            "the evaluation kept no trace to explain; this is a bug in lawcode"
        ));
    };
    print(&match format {
        MemoFormat::Markdown => memo.markdown(),
        MemoFormat::Html => memo.html(),
        MemoFormat::Text => memo.text(),
        MemoFormat::Json => json_text(&memo),
    });
    Ok(ExitCode::SUCCESS)
}

fn what_if(
    file: &str,
    facts: &std::path::Path,
    sets: &[Assignment],
    as_of: Option<&str>,
    format: Format,
) -> Result<ExitCode, Report> {
    let (loaded, options) = load_for_evaluation(file, as_of, true)?;
    let (name, json) = lawcode::read_facts_file(facts)?;
    let report = what_if::what_if(&loaded.program, &name, &json, sets, options.as_of)?;
    print(&match format {
        Format::Json => json_text(&report),
        Format::Text => report.text(),
    });
    Ok(ExitCode::SUCCESS)
}

/// `--set PATH=VALUE`, read by clap.
fn parse_set(text: &str) -> Result<Assignment, String> {
    lawcode::facts::set::parse_assignment(text).map_err(|p| match p.help {
        Some(help) => format!("{} ({help})", p.message),
        None => p.message,
    })
}

fn test(
    rules: &str,
    dir: &std::path::Path,
    as_of: Option<&str>,
    format: Format,
    coverage: bool,
) -> Result<ExitCode, Report> {
    let (loaded, options) = load_for_evaluation(rules, as_of, true)?;
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
    outcomes: Vec<String>,
    format: Format,
) -> Result<ExitCode, Report> {
    let old = load(old)?;
    let new = load(new)?;
    let report = diff::diff_cases(&old, &new, cases, &diff::DiffOptions { outcomes })?;
    print(&match format {
        Format::Json => json_text(&report),
        Format::Text => report.text(&new.program.statute().citation),
    });
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `lawcode completions SHELL`: the script clap_complete generates from the CLI's definition.
fn completions(shell: Shell) {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "lawcode", &mut out);
    print(&String::from_utf8_lossy(&out));
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

/// `eval --batch`: JSON Lines in, JSON Lines out; exit 1 when any line failed.
fn run_batch(
    file: &str,
    cases: &Path,
    as_of: Option<&str>,
    trace: bool,
) -> Result<ExitCode, Report> {
    let (loaded, eval) = load_for_evaluation(file, as_of, trace)?;
    let program = &loaded.program;
    let unreadable = |e: std::io::Error| {
        miette::miette!(
            code = "lawcode::facts::unreadable",
            help = "check the path to the cases file",
            "cannot read `{}`: {e}",
            cases.display()
        )
    };
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if cases == Path::new("-") {
        (Box::new(std::io::stdin()), None)
    } else {
        match std::fs::File::open(cases) {
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(f), size)
            }
            Err(e) => return Err(unreadable(e)),
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
    let options = batch::BatchOptions { eval, threads: 0 };
    let result = batch::run(program, input, output, options, Some(&report));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(summary) if summary.failed > 0 => {
            eprintln!(
                "{} of {} cases failed; see the error lines of the output",
                summary.failed, summary.lines
            );
            Ok(ExitCode::from(1))
        }
        Ok(_) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) ends the batch quietly, like a single eval.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(unreadable(e)),
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

#[cfg(test)]
mod tests {
    /// clap's own consistency checks of the definition (groups, conflicts, names).
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
