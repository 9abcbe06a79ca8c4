//! "Why is the outcome not VALUE?" (`lawcode explain --why-not NAME=VALUE`): the provisions that
//! moved the value away from the one asked, as a chain, from the trace alone.
//!
//! For an outcome a rule chose: which rule gave the value and why, and why each other rule did
//! not (its condition was false, an exception displaced it). For a value bounded by `min`/`max`:
//! each floor that raised it and each cap that lowered it ([`crate::eval::trace::Limit`], which
//! the trace keeps for a rule that applied). For a true/false outcome: the conditions it was
//! decided from, down to the list items and facts. Nothing here is specific to one statute.

use super::memo::{Line, limit_line};
use super::{View, defined_in_version, outcome_text};
use crate::diagnostic::Problem;
use crate::eval::trace::{NodeKind, Status, TraceNode};
use crate::eval::{Evaluation, Program};
use crate::value::Type;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Because {
    /// The provision, in full (`18 U.S.C. § 2259(b)(2)(B)`).
    pub citation: String,
    /// What it did, in words.
    pub reason: String,
}

/// The answer to "why is NAME not VALUE?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhyNot {
    /// The outcome asked about.
    pub outcome: String,
    /// Its value in the contract's JSON form.
    pub value: serde_json::Value,
    /// The value asked about.
    pub asked: serde_json::Value,
    /// The provisions that made the value what it is rather than the one asked, in the order
    /// the evaluation met them.
    pub because: Vec<Because>,
    /// How the value and the asked one read for a person, and whether they are the same.
    #[serde(skip)]
    shown: (String, String, bool),
}

/// Reads `NAME=VALUE`: VALUE a JSON literal, else a string.
pub fn parse_question(text: &str) -> Result<(String, serde_json::Value), Problem> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(Problem::error(
            super::codes::BAD_QUESTION,
            format!("`{text}` is not NAME=VALUE: it has no `=`"),
        )
        .with_help("ask about an outcome and a value: `--why-not restitution_amount=1200.00`, `--why-not trafficking=true`"));
    };
    let value = value.trim();
    let value = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    Ok((name.trim().to_string(), value))
}

/// Whether `asked` is `value` for an outcome of type `ty` (money and numbers by amount:
/// `1200`, `1200.00` and `"1200.00"` are one value).
fn same(ty: Option<&Type>, value: &serde_json::Value, asked: &serde_json::Value) -> bool {
    let number = |v: &serde_json::Value| -> Option<Decimal> {
        match v {
            serde_json::Value::String(s) => s.trim().parse().ok(),
            serde_json::Value::Number(n) => n.to_string().parse().ok(),
            _ => None,
        }
    };
    match ty {
        Some(Type::Money | Type::Decimal | Type::Integer) => match (number(value), number(asked)) {
            (Some(a), Some(b)) => a == b,
            _ => value == asked,
        },
        _ => value == asked,
    }
}

impl WhyNot {
    /// Why `e`'s outcome `name` is not `asked`. An unknown name is
    /// `lawcode::render::unknown_outcome`, with the nearest outcome in the help.
    pub fn new(
        program: &Program,
        e: &Evaluation,
        name: &str,
        asked: serde_json::Value,
    ) -> Result<WhyNot, Problem> {
        View::new(program, vec![name.to_string()], false)?;
        let i = program
            .outcomes()
            .iter()
            .position(|o| o.name == name)
            .unwrap_or_default();
        let ty = program.outcomes().get(i).map(|o| &o.ty);
        let value = e.outcome(name).cloned().unwrap_or_default();
        let shown = |v: &serde_json::Value| match v {
            serde_json::Value::Null if defined_in_version(program, e, name) => {
                "undecided".to_string()
            }
            serde_json::Value::Null => "not defined by the text applied".to_string(),
            v => outcome_text(ty, v),
        };
        let is_same = same(ty, &value, &asked);
        // A number asked about reads as the outcome's values do (`$1,200.00`).
        let asked_text = match &asked {
            serde_json::Value::Number(n) => serde_json::Value::String(n.to_string()),
            other => other.clone(),
        };
        let shown = (shown(&value), outcome_text(ty, &asked_text), is_same);
        let mut because = Vec::new();
        if !is_same {
            if let Some(node) = e.trace().and_then(|t| {
                t.iter()
                    .find(|n| *n.name == *name && n.kind != NodeKind::Version)
            }) {
                chain(node, &mut because, 0);
            }
        }
        Ok(WhyNot {
            outcome: name.to_string(),
            value,
            asked,
            because,
            shown,
        })
    }

    /// The answer in Markdown: the question, the value, then the chain as a list.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let (value, asked, same) = &self.shown;
        let _ = writeln!(out, "# Why is `{}` not {asked}?\n", self.outcome);
        if *same {
            let _ = writeln!(out, "It is: `{}` is **{value}**.", self.outcome);
            return out;
        }
        let _ = writeln!(out, "`{}` is **{value}**, because:\n", self.outcome);
        for b in &self.because {
            let _ = writeln!(out, "- **{}**: {}", short(&b.citation), b.reason);
        }
        out
    }

    /// The answer as plain text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let (value, asked, same) = &self.shown;
        let _ = writeln!(out, "Why is {} not {asked}?", self.outcome);
        if *same {
            let _ = writeln!(out, "It is: {} is {value}.", self.outcome);
            return out;
        }
        let _ = writeln!(out, "{} is {value}, because:", self.outcome);
        for b in &self.because {
            let _ = writeln!(out, "  {}: {}", short(&b.citation), b.reason);
        }
        out
    }
}

fn short(citation: &str) -> String {
    match citation.rsplit_once('§') {
        Some((_, rest)) => format!("§ {}", rest.trim()),
        None => citation.to_string(),
    }
}

/// As deep as a chain of true/false definitions is followed.
const MAX_DEPTH: usize = 8;

fn md(line: &Line) -> String {
    // Code stays in backticks; the rest as written.
    line.iter()
        .map(|i| match i {
            super::memo::Inline::Code(c) => format!("`{c}`"),
            super::memo::Inline::Text(t) | super::memo::Inline::Strong(t) => t.clone(),
        })
        .collect()
}

/// The links of `node`'s chain: the rules and limits that decided it, then, for a true/false
/// value, what it was decided from.
fn chain(node: &TraceNode, out: &mut Vec<Because>, depth: usize) {
    let push = |out: &mut Vec<Because>, citation: &str, reason: String| {
        let b = Because {
            citation: citation.to_string(),
            reason,
        };
        if !out.contains(&b) {
            out.push(b);
        }
    };
    if node.kind == NodeKind::Undefined {
        push(out, &node.citation, node.detail.clone().unwrap_or_default());
        return;
    }
    if node.value.is_null() {
        let why = node
            .detail
            .clone()
            .unwrap_or_else(|| "it is undecided".to_string());
        push(out, &node.citation, format!("`{}` is {why}", node.name));
    }
    let rules: Vec<&TraceNode> = node
        .children
        .iter()
        .filter(|c| matches!(c.kind, NodeKind::Rule | NodeKind::Exception))
        .collect();
    let applied = rules
        .iter()
        .find(|r| r.status == Some(Status::Applied))
        .copied();
    let what = |r: &TraceNode| {
        if r.kind == NodeKind::Exception {
            "the exception"
        } else {
            "the rule"
        }
    };
    // First the rule that gave the value, then each floor and cap that moved it, then why no
    // other rule gave it.
    if let Some(r) = applied {
        let detail = r.detail.as_deref().unwrap_or("");
        // A formula, or a rule whose value is a definition's name: that name.
        let named = match r.children.as_slice() {
            [only] if only.kind == NodeKind::Definition => Some(&only.name),
            _ => None,
        };
        let formula = match (r.formula.as_deref(), named) {
            (Some(f), _) => format!(", as `{f}`"),
            (None, Some(n)) => format!(", as `{n}`"),
            (None, None) => String::new(),
        };
        let reason = if r.value.is_null() {
            format!("{} applies, but its value is undecided ({detail})", what(r))
        } else if detail.is_empty() {
            format!("{} gave {}{formula}", what(r), super::memo::value_of(r))
        } else {
            format!(
                "{} gave {}{formula} ({detail})",
                what(r),
                super::memo::value_of(r)
            )
        };
        push(out, &r.citation, reason);
    }
    let limits = applied.map_or(&node.limits, |r| &r.limits);
    let here = applied.map_or(&node.citation, |r| &r.citation);
    for l in limits.iter().filter(|l| l.chosen != 0) {
        let citation = l
            .operands
            .get(l.chosen)
            .and_then(|o| o.citation.as_deref())
            .unwrap_or(here);
        push(out, citation, md(&limit_line(l)));
    }
    for b in applied.map_or(&node.branches, |r| &r.branches) {
        push(out, here, md(&super::memo::branch_line(b)));
    }
    for r in &rules {
        let detail = r.detail.as_deref().unwrap_or("");
        let reason = match r.status {
            Some(Status::Overridden | Status::NotApplicable) => {
                format!("{} does not apply: {detail}", what(r))
            }
            Some(Status::Undecided) => format!("{} cannot be decided: {detail}", what(r)),
            _ => continue,
        };
        push(out, &r.citation, reason);
    }
    // A true/false value: what it was decided from.
    if node.value.is_boolean() && depth < MAX_DEPTH {
        let from = applied.map_or(&node.children, |r| &r.children);
        let formula = applied
            .and_then(|r| r.formula.as_deref())
            .or(node.formula.as_deref());
        if let Some(f) = formula {
            push(
                out,
                &node.citation,
                format!("`{}` is {}: `{f}`", node.name, node.value),
            );
        }
        for c in from {
            match c.kind {
                NodeKind::Item => {
                    let facts: Vec<String> = c
                        .children
                        .iter()
                        .filter(|f| f.kind == NodeKind::Fact)
                        .map(|f| format!("`{}` = {}", f.name, super::memo::value_of(f)))
                        .collect();
                    push(
                        out,
                        &c.citation,
                        format!(
                            "`{}` is {} ({})",
                            c.name,
                            super::memo::value_of(c),
                            facts.join(", ")
                        ),
                    );
                }
                NodeKind::Fact => push(
                    out,
                    &c.citation,
                    format!("`{}` = {}", c.name, super::memo::value_of(c)),
                ),
                NodeKind::Definition if c.value.is_boolean() => {
                    push(out, &c.citation, format!("`{}` is {}", c.name, c.value));
                    chain(c, out, depth + 1);
                }
                _ => {}
            }
        }
    }
}
