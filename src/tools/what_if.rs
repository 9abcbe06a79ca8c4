//! What if: a case evaluated as if some of its facts were different (`--set PATH=VALUE` on
//! `eval` and `explain`), and `lawcode what-if`, which shows the outcomes before and after and
//! the provisions where they diverged.
//!
//! The changed facts are judged as the file is: the assignments change the JSON document
//! ([`crate::facts::set`]) and the facts reader reads the result, so a bad path or value is the
//! same diagnostic, naming the same path. The comparison is `diff`'s
//! ([`crate::tools::diff::changed_provisions`]): one engine for amendments and for what-ifs.

use crate::diagnostic::{Problem, Problems};
use crate::eval::{EvalOptions, Evaluation, Program};
use crate::facts::set::{self, Assignment};
use crate::facts::{FactsError, FactsKind};
use crate::render;
use serde::Serialize;
use std::fmt::Write as _;

/// The facts `text` (from `name`) with `sets` applied, as the name and text to read: unchanged
/// when there are none. Problems of the document itself (not JSON, a key given twice) are
/// reported as the file's, before any assignment; the changed document is shown, pretty, in
/// the diagnostics of what the assignments made wrong.
pub fn apply(
    program: &Program,
    name: &str,
    text: &str,
    sets: &[Assignment],
) -> Result<(String, String), FactsError> {
    if sets.is_empty() {
        return Ok((name.to_string(), text.to_string()));
    }
    // What no assignment can mend is reported against the file as written.
    if let Err(e) = program.read_facts(name, text) {
        let of_the_document = e.problems.iter().any(|p| {
            matches!(
                p.kind::<FactsKind>(),
                Some(
                    FactsKind::JsonSyntax
                        | FactsKind::NotAnObject
                        | FactsKind::DuplicateKey
                        | FactsKind::Empty
                        | FactsKind::TestFile
                        | FactsKind::TooLarge
                )
            )
        });
        if of_the_document {
            return Err(e);
        }
    }
    let fail = |p: Problem| {
        FactsError(Problems {
            summary: format!("the facts in {name} cannot be changed"),
            problems: vec![p],
        })
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        fail(Problem::error(
            crate::facts::codes::JSON_SYNTAX,
            format!("the facts are not JSON: {e}"),
        ))
    })?;
    for a in sets {
        set::set(&mut doc, &a.path, a.value.clone()).map_err(fail)?;
    }
    let shown: Vec<String> = sets
        .iter()
        .map(|a| format!("{}={}", a.path_text, a.value))
        .collect();
    let mut changed = serde_json::to_string_pretty(&doc).unwrap_or_default();
    changed.push('\n');
    Ok((format!("{name} with --set {}", shown.join(" ")), changed))
}

/// One outcome before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The outcome's name.
    pub outcome: String,
    /// Its value under the facts as given (`null`: undecided or not defined).
    pub before: serde_json::Value,
    /// Its value with the assignments.
    pub after: serde_json::Value,
    /// Both as people read them (`$3,000.00`, `undecided`, `not defined by this text`).
    #[serde(skip)]
    pub shown: (String, String),
}

/// What the assignments changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// The statute's citation.
    pub statute: String,
    /// The assignments, as `PATH=VALUE`.
    pub set: Vec<String>,
    /// The effective dates of the texts applied before and after (a date fact may change it).
    pub version: BeforeAfter<Option<String>>,
    /// Every outcome, in declared order, before and after.
    pub outcomes: Vec<Change>,
    /// The outcomes whose value changed.
    pub changed: Vec<String>,
    /// The citations where the changed outcomes' traces diverged, sorted.
    pub provisions: Vec<String>,
    /// Facts missing before and after.
    pub missing: BeforeAfter<Vec<String>>,
}

/// A thing under the facts as given and with the assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BeforeAfter<T> {
    /// Under the facts as given.
    pub before: T,
    /// With the assignments.
    pub after: T,
}

/// Evaluates the case as given and with `sets`, both traced, and compares them.
pub fn what_if(
    program: &Program,
    name: &str,
    text: &str,
    sets: &[Assignment],
    as_of: Option<jiff::civil::Date>,
) -> Result<WhatIf, crate::pipeline::Error> {
    let options = EvalOptions { trace: true, as_of };
    let before = program.evaluate(&program.read_facts(name, text)?, options)?;
    let (changed_name, changed_text) = apply(program, name, text, sets)?;
    let after = program.evaluate(&program.read_facts(&changed_name, &changed_text)?, options)?;
    Ok(compare(program, &before, &after, sets))
}

fn compare(
    program: &Program,
    before: &Evaluation,
    after: &Evaluation,
    sets: &[Assignment],
) -> WhatIf {
    let outcomes: Vec<Change> = before
        .outcomes()
        .zip(after.outcomes())
        .enumerate()
        .map(|(i, ((name, b), (_, a)))| Change {
            outcome: name.to_string(),
            before: b.clone(),
            after: a.clone(),
            shown: (
                shown(program, before, i, name, b),
                shown(program, after, i, name, a),
            ),
        })
        .collect();
    let changed: Vec<String> = outcomes
        .iter()
        .filter(|c| c.before != c.after)
        .map(|c| c.outcome.clone())
        .collect();
    let names: Vec<&str> = changed.iter().map(String::as_str).collect();
    let provisions = match (before.trace(), after.trace()) {
        (Some(b), Some(a)) => crate::tools::diff::changed_provisions(b, a, &names),
        _ => Vec::new(),
    };
    WhatIf {
        statute: program.statute().citation.clone(),
        set: sets
            .iter()
            .map(|a| format!("{}={}", a.path_text, a.value))
            .collect(),
        version: BeforeAfter {
            before: before.version.map(|d| d.to_string()),
            after: after.version.map(|d| d.to_string()),
        },
        outcomes,
        changed,
        provisions,
        missing: BeforeAfter {
            before: before.missing.clone(),
            after: after.missing.clone(),
        },
    }
}

/// An outcome's value as the text output shows it.
fn shown(program: &Program, e: &Evaluation, i: usize, name: &str, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null if render::defined_in_version(program, e, name) => {
            "undecided".to_string()
        }
        serde_json::Value::Null => "not defined by this text".to_string(),
        v => render::outcome_text(program.outcomes().get(i).map(|o| &o.ty), v),
    }
}

impl WhatIf {
    /// The comparison as a person reads it: every outcome before and after, the changed ones
    /// marked, then the provisions where they diverged.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: what if {}", self.statute, self.set.join(", "));
        if self.version.before != self.version.after {
            let _ = writeln!(
                out,
                "text applied: in force from {} before, from {} after",
                self.version.before.as_deref().unwrap_or("-"),
                self.version.after.as_deref().unwrap_or("-")
            );
        }
        out.push('\n');
        let rows: Vec<(String, String, String, bool)> = self
            .outcomes
            .iter()
            .map(|c| {
                (
                    c.outcome.clone(),
                    c.shown.0.clone(),
                    c.shown.1.clone(),
                    c.before != c.after,
                )
            })
            .collect();
        let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(7);
        let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(6);
        let w2 = rows.iter().map(|r| r.2.len()).max().unwrap_or(0).max(5);
        let header = format!("  {:<w0$}  {:<w1$}  {:<w2$}", "outcome", "before", "after");
        let _ = writeln!(out, "{}", header.trim_end());
        for (name, b, a, changed) in &rows {
            let mark = if *changed { "  changed" } else { "" };
            let row = format!("  {name:<w0$}  {b:<w1$}  {a:<w2$}{mark}");
            let _ = writeln!(out, "{}", row.trim_end());
        }
        out.push('\n');
        if self.changed.is_empty() {
            out.push_str("no outcome changed\n");
        } else {
            let _ = writeln!(
                out,
                "provisions where they diverged: {}",
                if self.provisions.is_empty() {
                    "none found in the traces".to_string()
                } else {
                    self.provisions.join(", ")
                }
            );
        }
        if self.missing.before != self.missing.after {
            let list = |m: &[String]| {
                if m.is_empty() {
                    "none".to_string()
                } else {
                    m.join(", ")
                }
            };
            let _ = writeln!(
                out,
                "missing facts: {} before, {} after",
                list(&self.missing.before),
                list(&self.missing.after)
            );
        }
        out
    }
}
