//! The test runner: a program and a directory of test files in, one result per
//! file out, with a readable diff for each failure.
//!
//! Each test file (see [`crate::tools::corpus`]) holds the facts of a case and what a
//! reader expects: some outcomes (only those listed are compared), optionally
//! the `missing` facts (compared as a set), and citations or citation suffixes
//! that must appear in the trace. A file that cannot be used (bad JSON, facts
//! the rules refuse, an evaluation error) is reported as an error and counted
//! as a failure; the other files still run. Files run in sorted order.

use crate::diagnostic::{Problem, outcome_help};
use crate::eval::Program;
use crate::eval::trace::{NodeKind, Status, TraceNode};
use crate::eval::{EvalOptions, Evaluation};
use crate::render::plain_value;
use crate::tools::corpus::{self, CaseFile, Expect, Reported};
use crate::tools::coverage::{Coverage, CoverageReport};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;

/// Stable codes of test-runner diagnostics (case files have theirs in [`corpus::codes`]).
pub mod codes {
    /// A test file has no `expect`.
    pub const NO_EXPECT: &str = "lawcode::test::no_expect";
    /// `expect.outcomes` names an outcome the rule set does not declare.
    pub const UNKNOWN_OUTCOME: &str = "lawcode::test::unknown_outcome";
}

/// What the runner is asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Evaluate every case under the version in force on this date.
    pub as_of: Option<jiff::civil::Date>,
    /// Compute provision and branch coverage.
    pub coverage: bool,
}

/// The result of one test file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// The file, relative to the directory run.
    pub case: String,
    /// Whether every expectation held, one failed, or the file could not be run.
    pub status: CaseStatus,
    /// The version of the statute applied, when the case was evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The expectations that did not hold; empty on a pass and on an error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// Why the file could not be run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Reported>,
}

/// How a test file came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Every expectation held.
    Pass,
    /// The case was evaluated and some expectation did not hold (see `failures`).
    Fail,
    /// The file is malformed, its facts are refused, or evaluation failed.
    Error,
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// An outcome with another value than expected; `path` is the part of the
    /// trace that produced the value: the outcome, the rule that gave it, and
    /// what that rule read.
    Outcome {
        /// The outcome's name.
        outcome: String,
        /// The value the test file expects, as written there.
        want: serde_json::Value,
        /// The value the evaluation gave, in the contract's JSON form (`null`: undecided).
        got: serde_json::Value,
        /// The outcome's node with that part under it, notes left out: one node, or none when the
        /// trace has no node for the outcome.
        path: Vec<TraceNode>,
    },
    /// The missing facts differ.
    Missing {
        /// The facts the test file expects in `missing`, sorted, each once.
        want: Vec<String>,
        /// The optional facts whose absence left an outcome undecided, sorted.
        got: Vec<String>,
    },
    /// No trace node cites this.
    Cite {
        /// The citation or citation suffix (`(b)(2)(B)`) as the test file writes it.
        cite: String,
    },
}

/// The results of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestReport {
    /// The rule source as the caller named it (`rules/usc/18/2259.law@2018-12-06`).
    pub rules: String,
    /// The case directory, as given.
    pub dir: String,
    /// The `--as-of` date every case was evaluated under (`YYYY-MM-DD`); `None`: each case's own
    /// selector chose the version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Files whose every expectation held.
    pub passed: usize,
    /// Files that failed or could not be run (errors count as failures).
    pub failed: usize,
    /// One result per file, in sorted order of their names.
    pub cases: Vec<CaseResult>,
    /// Provision and branch coverage over the cases that evaluated; `None` unless asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageReport>,
}

impl TestReport {
    /// Every file passed.
    pub fn ok(&self) -> bool {
        self.failed == 0
    }
}

/// Runs every test file under `dir` against `program`. `rules` names the rule
/// source in the report. Only a directory without case files is an error; a
/// bad file is a result.
pub fn run(
    program: &Program,
    rules: &str,
    dir: &Path,
    options: RunOptions,
) -> Result<TestReport, Problem> {
    let paths = corpus::case_paths(dir)?;
    let mut coverage = options.coverage.then(|| Coverage::new(program));
    let mut cases = Vec::with_capacity(paths.len());
    for (name, path) in &paths {
        let (result, evaluation) = run_one(program, name, path, options);
        if let (Some(c), Some(e)) = (coverage.as_mut(), evaluation.as_ref()) {
            c.record(e);
        }
        cases.push(result);
    }
    let passed = cases
        .iter()
        .filter(|c| c.status == CaseStatus::Pass)
        .count();
    Ok(TestReport {
        rules: rules.to_string(),
        dir: dir.display().to_string(),
        as_of: options.as_of.map(|d| d.to_string()),
        passed,
        failed: cases.len() - passed,
        cases,
        coverage: coverage.map(|c| c.report()),
    })
}

fn run_one(
    program: &Program,
    name: &str,
    path: &Path,
    options: RunOptions,
) -> (CaseResult, Option<Evaluation>) {
    let error = |r: Reported| CaseResult {
        case: name.to_string(),
        status: CaseStatus::Error,
        version: None,
        failures: Vec::new(),
        error: Some(r),
    };
    let (case, evaluation) = match evaluate_case(program, name, path, options.as_of) {
        Ok(x) => x,
        Err(e) => return (error(e), None),
    };
    let Some(expect) = &case.expect else {
        let p = Problem::error(
            codes::NO_EXPECT,
            format!("`{name}` has no `expect`: there is nothing to check"),
        )
        .with_help("a test file is `{ \"facts\": { … }, \"expect\": { \"outcomes\": { … } } }`");
        return (error(Reported::from_diagnostic(&p)), Some(evaluation));
    };
    if let Err(p) = check_outcome_names(program, name, expect) {
        return (error(Reported::from_diagnostic(&p)), Some(evaluation));
    }
    let failures = compare(program, expect, &evaluation);
    let result = CaseResult {
        case: name.to_string(),
        status: if failures.is_empty() {
            CaseStatus::Pass
        } else {
            CaseStatus::Fail
        },
        version: evaluation.version.map(|d| d.to_string()),
        failures,
        error: None,
    };
    (result, Some(evaluation))
}

/// Reads a case file and evaluates its facts with tracing on.
pub fn evaluate_case(
    program: &Program,
    name: &str,
    path: &Path,
    as_of: Option<jiff::civil::Date>,
) -> Result<(CaseFile, Evaluation), Reported> {
    let case = corpus::read_case(name, path).map_err(|e| Reported::from_diagnostic(&e))?;
    let evaluation = evaluate_facts(program, &case, as_of)?;
    Ok((case, evaluation))
}

/// Validates a case's facts against `program` and evaluates them with tracing on.
pub fn evaluate_facts(
    program: &Program,
    case: &CaseFile,
    as_of: Option<jiff::civil::Date>,
) -> Result<Evaluation, Reported> {
    let facts = program
        .facts_from_value(&case.path.display().to_string(), &case.facts)
        .map_err(|e| Reported::from_diagnostic(&e))?;
    program
        .evaluate(&facts, EvalOptions { trace: true, as_of })
        .map_err(|e| Reported::from_diagnostic(&e))
}

fn check_outcome_names(program: &Program, name: &str, expect: &Expect) -> Result<(), Problem> {
    let names: Vec<&str> = program.outcomes().iter().map(|o| o.name.as_str()).collect();
    for (outcome, _) in &expect.outcomes {
        if !names.contains(&outcome.as_str()) {
            let help = outcome_help(outcome, &names);
            return Err(Problem::error(
                codes::UNKNOWN_OUTCOME,
                format!("`{name}` expects an outcome `{outcome}` the rules do not have"),
            )
            .with_help(help));
        }
    }
    Ok(())
}

/// The expectations that do not hold, outcomes in the program's order.
pub fn compare(program: &Program, expect: &Expect, e: &Evaluation) -> Vec<Failure> {
    let mut failures = Vec::new();
    for o in program.outcomes() {
        let Some((_, want)) = expect.outcomes.iter().find(|(n, _)| *n == o.name) else {
            continue;
        };
        let got = e.outcome(&o.name).cloned().unwrap_or_default();
        if !same_value(want, &got) {
            failures.push(Failure::Outcome {
                outcome: o.name.clone(),
                want: want.clone(),
                got,
                path: e
                    .trace()
                    .and_then(|t| outcome_node(t, &o.name))
                    .map(|n| vec![producing_path(n)])
                    .unwrap_or_default(),
            });
        }
    }
    if let Some(want) = &expect.missing {
        let mut want = want.clone();
        want.sort();
        want.dedup();
        if want != e.missing {
            failures.push(Failure::Missing {
                want,
                got: e.missing.clone(),
            });
        }
    }
    let cited: Vec<&str> = e
        .trace()
        .into_iter()
        .flatten()
        .flat_map(|n| n.walk())
        .map(|n| &*n.citation)
        .collect();
    for cite in &expect.cites {
        if !cited.iter().any(|c| c.ends_with(cite.as_str())) {
            failures.push(Failure::Cite { cite: cite.clone() });
        }
    }
    failures
}

/// Equal JSON values; amounts are equal when they are the same number
/// (`"3000"`, `3000` and `"3000.00"` all mean $3,000.00).
fn same_value(want: &serde_json::Value, got: &serde_json::Value) -> bool {
    if want == got {
        return true;
    }
    match (decimal(want), decimal(got)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn decimal(v: &serde_json::Value) -> Option<Decimal> {
    match v {
        serde_json::Value::String(s) => Decimal::from_str(s).ok(),
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// The top-level node of an outcome's tree.
pub fn outcome_node<'t>(trace: &'t [TraceNode], outcome: &str) -> Option<&'t TraceNode> {
    trace.iter().find(|n| {
        matches!(n.kind, NodeKind::Definition | NodeKind::Undefined) && &*n.name == outcome
    })
}

/// The outcome's node, the rule that gave its value (or the rules that left it
/// undecided), and what that rule read, one level deep.
fn producing_path(node: &TraceNode) -> TraceNode {
    let mut top = shallow(node);
    let rules: Vec<&TraceNode> = node.rules().collect();
    if rules.is_empty() {
        // A single rule, folded into the definition: its reads are the node's children.
        top.children = node.children.iter().map(shallow).collect();
        return top;
    }
    for r in rules {
        if matches!(r.status, Some(Status::Applied | Status::Undecided)) {
            let mut rule = shallow(r);
            rule.children = r.children.iter().map(shallow).collect();
            top.children.push(rule);
        }
    }
    top
}

/// A node without its notes and children.
fn shallow(n: &TraceNode) -> TraceNode {
    TraceNode {
        notes: Default::default(),
        children: Vec::new(),
        ..n.clone()
    }
}

impl TestReport {
    /// One line per case and, under a failure, what differs; then the totals.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let as_of = self
            .as_of
            .as_deref()
            .map(|d| format!(" as of {d}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "running {} test files from {} against {}{as_of}\n",
            self.cases.len(),
            self.dir,
            self.rules
        );
        for c in &self.cases {
            let status = match c.status {
                CaseStatus::Pass => "ok   ",
                CaseStatus::Fail => "FAIL ",
                CaseStatus::Error => "ERROR",
            };
            let _ = writeln!(out, "{status} {}", c.case);
            for f in &c.failures {
                match f {
                    Failure::Outcome {
                        outcome,
                        want,
                        got,
                        path,
                    } => {
                        let _ = writeln!(
                            out,
                            "      {outcome}: want {}, got {}",
                            plain_value(want),
                            plain_value(got)
                        );
                        out.push_str(&crate::render::trace_text(path, "        "));
                    }
                    Failure::Missing { want, got } => {
                        let _ = writeln!(
                            out,
                            "      missing: want [{}], got [{}]",
                            want.join(", "),
                            got.join(", ")
                        );
                    }
                    Failure::Cite { cite } => {
                        let _ = writeln!(out, "      cites: no trace node cites {cite}");
                    }
                }
            }
            if let Some(e) = &c.error {
                for line in e.lines("      ") {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        let errors = self
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::Error)
            .count();
        let _ = write!(out, "\n{} passed, {} failed", self.passed, self.failed);
        if errors > 0 {
            let _ = write!(out, " ({errors} of them could not be run)");
        }
        out.push('\n');
        if let Some(c) = &self.coverage {
            out.push('\n');
            out.push_str(&c.text());
        }
        out
    }
}
