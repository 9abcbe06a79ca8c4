//! Amendment diffs: two rule sources and a directory of cases in, every case
//! whose outcomes differ out, with the provisions where the difference arose.
//!
//! Each case (a test file or a bare facts file) is evaluated under both
//! sources with tracing on. For an outcome that differs, the two traces of that
//! outcome are walked side by side: nodes are matched by what they are
//! (a definition by its name, a rule by its provision and kind, a fact by its
//! path), and the walk goes down only through nodes whose value or status
//! differs. A node that exists on one side only is a cause (unless it is a
//! rule that did not apply, which contributed nothing); a node that differs
//! while none of its children does is a cause. `provisions` lists the causes'
//! citations, not the ancestors whose difference they explain.

use crate::diagnostic::Problem;
use crate::eval::trace::{NodeKind, Status, TraceNode};
use crate::render::plain_value;
use crate::tools::corpus::{self, Reported};
use crate::tools::coverage::columns;
use crate::tools::rule_source::LoadedRules;
use crate::tools::runner::{evaluate_facts, outcome_node};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// The cases whose outcomes differ between two rule sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffReport {
    pub old: String,
    pub new: String,
    /// Cases evaluated under both sources.
    pub compared: usize,
    pub changed: Vec<ChangedCase>,
    pub summary: Summary,
    /// Cases that could not be evaluated under one source or both.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CaseError>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedCase {
    pub case: String,
    pub outcomes: BTreeMap<String, Change>,
    /// Citations of the trace nodes where the differences arose, sorted.
    pub provisions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// For each outcome, the number of cases in which it changed.
    pub by_outcome: BTreeMap<String, usize>,
    /// For each provision, the number of changed cases that list it.
    pub by_provision: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseError {
    pub case: String,
    /// `old`, `new` or `file` (the case file itself is malformed).
    pub side: &'static str,
    pub error: Reported,
}

impl DiffReport {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Evaluates every case under `dir` with `old` and `new` and reports the differences.
pub fn diff_cases(old: &LoadedRules, new: &LoadedRules, dir: &Path) -> Result<DiffReport, Problem> {
    let paths = corpus::case_paths(dir)?;
    let mut report = DiffReport {
        old: old.source.to_string(),
        new: new.source.to_string(),
        compared: 0,
        changed: Vec::new(),
        summary: Summary::default(),
        errors: Vec::new(),
    };
    for (name, path) in &paths {
        let case = match corpus::read_case(name, path) {
            Ok(c) => c,
            Err(p) => {
                report.errors.push(CaseError {
                    case: name.clone(),
                    side: "file",
                    error: Reported::from_diagnostic(&p),
                });
                continue;
            }
        };
        let a = evaluate_facts(&old.program, &case, old.source.as_of);
        let b = evaluate_facts(&new.program, &case, new.source.as_of);
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                for (side, r) in [("old", a.err()), ("new", b.err())] {
                    if let Some(e) = r {
                        report.errors.push(CaseError {
                            case: name.clone(),
                            side,
                            error: e,
                        });
                    }
                }
                continue;
            }
        };
        report.compared += 1;
        let mut names: Vec<&str> = b.outcomes().map(|(n, _)| n).collect();
        for (n, _) in a.outcomes() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let mut outcomes = BTreeMap::new();
        for n in &names {
            let ov = a.outcome(n).cloned().unwrap_or_default();
            let nv = b.outcome(n).cloned().unwrap_or_default();
            if ov != nv {
                outcomes.insert(n.to_string(), Change { old: ov, new: nv });
            }
        }
        if outcomes.is_empty() {
            continue;
        }
        let changed: Vec<&str> = outcomes.keys().map(String::as_str).collect();
        let provisions = changed_provisions(
            a.trace().unwrap_or_default(),
            b.trace().unwrap_or_default(),
            &changed,
        );
        for o in outcomes.keys() {
            *report.summary.by_outcome.entry(o.clone()).or_default() += 1;
        }
        for p in &provisions {
            *report.summary.by_provision.entry(p.clone()).or_default() += 1;
        }
        report.changed.push(ChangedCase {
            case: name.clone(),
            outcomes,
            provisions,
        });
    }
    Ok(report)
}

/// The citations where the given outcomes' traces differ, sorted and without repeats.
pub fn changed_provisions(old: &[TraceNode], new: &[TraceNode], outcomes: &[&str]) -> Vec<String> {
    let mut walk = Walk {
        old: expansions(old),
        new: expansions(new),
        causes: BTreeSet::new(),
        memo: HashMap::new(),
    };
    for o in outcomes {
        walk.compare(
            outcome_node(old, o).map(View::Node),
            outcome_node(new, o).map(View::Node),
        );
    }
    walk.causes.into_iter().collect()
}

/// The first full occurrence of each definition, by name: a repeat in the same
/// tree is shown as `explained above`, without children.
fn expansions(trace: &[TraceNode]) -> HashMap<&str, &TraceNode> {
    let mut out: HashMap<&str, &TraceNode> = HashMap::new();
    for n in trace.iter().flat_map(|n| n.walk()) {
        if n.kind == NodeKind::Definition {
            let e = out.entry(&*n.name).or_insert(n);
            if e.children.is_empty() && !n.children.is_empty() {
                *e = n;
            }
        }
    }
    out
}

/// A trace node as the walk sees it. A definition whose single rule applied
/// shows no rule node (the evaluator folds it in); the walk unfolds it, so
/// that a definition compares rule by rule whichever side folded.
#[derive(Debug, Clone, Copy)]
enum View<'t> {
    Node(&'t TraceNode),
    /// The applied single rule of this (folded) definition.
    FoldedRule(&'t TraceNode),
}

impl<'t> View<'t> {
    fn node(self) -> &'t TraceNode {
        match self {
            View::Node(n) | View::FoldedRule(n) => n,
        }
    }

    fn kind(self) -> NodeKind {
        match self {
            View::Node(n) => n.kind,
            View::FoldedRule(_) => NodeKind::Rule,
        }
    }

    fn status(self) -> Option<Status> {
        match self {
            View::Node(n) => n.status,
            View::FoldedRule(_) => Some(Status::Applied),
        }
    }

    /// What identifies a node among its siblings across two traces.
    fn key(self) -> (u8, &'t str, &'t str) {
        let n = self.node();
        match self.kind() {
            NodeKind::Definition | NodeKind::Undefined => (0, "", &*n.name),
            NodeKind::Rule => (1, &*n.citation, &*n.name),
            NodeKind::Exception => (2, &*n.citation, &*n.name),
            NodeKind::Fact => (3, "", &*n.name),
            NodeKind::Table => (4, "", &*n.name),
            NodeKind::Item => (5, "", &*n.name),
            NodeKind::Version => (6, "", ""),
            NodeKind::NotComputed => (7, &*n.citation, &*n.name),
            NodeKind::Disregarded => (8, &*n.citation, &*n.name),
        }
    }

    fn children(self) -> Vec<View<'t>> {
        match self {
            View::FoldedRule(def) => def.children.iter().map(View::Node).collect(),
            View::Node(n) => {
                let folded = n.kind == NodeKind::Definition && n.rules().next().is_none();
                if folded {
                    vec![View::FoldedRule(n)]
                } else {
                    n.children.iter().map(View::Node).collect()
                }
            }
        }
    }
}

struct Walk<'t> {
    old: HashMap<&'t str, &'t TraceNode>,
    new: HashMap<&'t str, &'t TraceNode>,
    causes: BTreeSet<String>,
    /// Definitions already compared, by name.
    memo: HashMap<&'t str, bool>,
}

impl<'t> Walk<'t> {
    /// Records the causes of any difference between `a` (old) and `b` (new);
    /// true when a recorded cause accounts for it.
    fn compare(&mut self, a: Option<View<'t>>, b: Option<View<'t>>) -> bool {
        let (a, b) = match (a, b) {
            (None, None) => return false,
            (Some(x), None) | (None, Some(x)) => return self.one_sided(x),
            (Some(a), Some(b)) => (full(&self.old, a), full(&self.new, b)),
        };
        match (
            a.kind() == NodeKind::Undefined,
            b.kind() == NodeKind::Undefined,
        ) {
            (true, true) => return false,
            (true, false) => return self.one_sided(b),
            (false, true) => return self.one_sided(a),
            (false, false) => {}
        }
        let (x, y) = (a.node(), b.node());
        if x.value == y.value && a.status() == b.status() {
            return false;
        }
        let is_def = matches!(b, View::Node(n) if n.kind == NodeKind::Definition);
        if is_def {
            if let Some(done) = self.memo.get(&*y.name) {
                return *done;
            }
        }
        let flipped = a.status() != b.status();
        let overridden = |v: View| v.status() == Some(Status::Overridden);
        let found = if flipped && (overridden(a) || overridden(b)) {
            // Displaced on one side only: the exception that displaces it, a sibling,
            // is the cause; should no sibling account for it, the definition will.
            false
        } else {
            let mut found = false;
            for (c, d) in pair_children(a, b) {
                // A condition or filter that flipped: the cause is among the reads
                // both sides made; what only the applying side read follows from it.
                if flipped && (c.is_none() || d.is_none()) {
                    continue;
                }
                found |= self.compare(c, d);
            }
            if !found {
                self.causes.insert(y.citation.to_string());
            }
            true
        };
        if is_def {
            self.memo.insert(&*y.name, found);
        }
        found
    }

    /// A node on one side only is a cause, unless it is a rule that gave nothing.
    fn one_sided(&mut self, v: View<'t>) -> bool {
        let idle = matches!(v.kind(), NodeKind::Rule | NodeKind::Exception)
            && matches!(v.status(), Some(Status::NotApplicable | Status::Overridden));
        if idle {
            return false;
        }
        self.causes.insert(v.node().citation.to_string());
        true
    }
}

/// A definition repeated as `explained above` stands for its first full occurrence.
fn full<'t>(index: &HashMap<&str, &'t TraceNode>, v: View<'t>) -> View<'t> {
    match v {
        View::Node(n) if n.kind == NodeKind::Definition && n.children.is_empty() => {
            View::Node(index.get(&*n.name).copied().unwrap_or(n))
        }
        other => other,
    }
}

type Pair<'t> = (Option<View<'t>>, Option<View<'t>>);

/// Children of `a` and `b` paired by key (the n-th of a key with the n-th), old order first.
fn pair_children<'t>(a: View<'t>, b: View<'t>) -> Vec<Pair<'t>> {
    let keyed = |v: View<'t>| {
        let mut seen: HashMap<(u8, &str, &str), usize> = HashMap::new();
        v.children()
            .into_iter()
            .map(|c| {
                let k = c.key();
                let i = seen.entry(k).or_default();
                *i += 1;
                ((k, *i), c)
            })
            .collect::<Vec<_>>()
    };
    let (xs, ys) = (keyed(a), keyed(b));
    let mut out: Vec<Pair<'t>> = xs
        .iter()
        .map(|(k, x)| (Some(*x), ys.iter().find(|(l, _)| l == k).map(|(_, y)| *y)))
        .collect();
    out.extend(
        ys.iter()
            .filter(|(l, _)| !xs.iter().any(|(k, _)| k == l))
            .map(|(_, y)| (None, Some(*y))),
    );
    out
}

impl DiffReport {
    /// A per-case table of what changed, then the summary. `statute` is shortened
    /// out of citations (`18 U.S.C. § 2259(b)(2)(B)` reads `(b)(2)(B)`).
    pub fn text(&self, statute: &str) -> String {
        let short = |c: &str| -> String {
            match c.strip_prefix(statute) {
                Some(rest) if !rest.is_empty() => rest.to_string(),
                _ => c.to_string(),
            }
        };
        let mut out = String::new();
        let _ = writeln!(out, "old  {}", self.old);
        let _ = writeln!(out, "new  {}", self.new);
        let _ = writeln!(
            out,
            "{} cases compared: {} changed, {} unchanged{}",
            self.compared,
            self.changed.len(),
            self.compared - self.changed.len(),
            if self.errors.is_empty() {
                String::new()
            } else {
                format!("; {} could not be evaluated", self.errors.len())
            }
        );
        if !self.changed.is_empty() {
            let _ = writeln!(out, "\nchanged cases (provisions of {statute})");
            let mut rows = vec![vec![
                "case".to_string(),
                "outcome".to_string(),
                "old".to_string(),
                "new".to_string(),
            ]];
            for c in &self.changed {
                for (i, (o, change)) in c.outcomes.iter().enumerate() {
                    rows.push(vec![
                        if i == 0 {
                            c.case.clone()
                        } else {
                            String::new()
                        },
                        o.clone(),
                        plain_value(&change.old),
                        plain_value(&change.new),
                    ]);
                }
            }
            let table = columns(&rows, "  ", &[false, false, true, true]);
            let mut lines = table.lines();
            let case_width = rows
                .iter()
                .filter_map(|r| r.first())
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0);
            if let Some(header) = lines.next() {
                let _ = writeln!(out, "{header}");
            }
            for c in &self.changed {
                for line in lines.by_ref().take(c.outcomes.len()) {
                    let _ = writeln!(out, "{line}");
                }
                let provisions: Vec<String> = c.provisions.iter().map(|p| short(p)).collect();
                let _ = writeln!(
                    out,
                    "  {:case_width$}  provisions: {}",
                    "",
                    provisions.join(", ")
                );
            }
            out.push_str("\nsummary\n");
            let mut rows = vec![vec!["outcome".to_string(), "cases".to_string()]];
            rows.extend(
                self.summary
                    .by_outcome
                    .iter()
                    .map(|(o, n)| vec![o.clone(), n.to_string()]),
            );
            out.push_str(&columns(&rows, "  ", &[false, true]));
            out.push('\n');
            let mut rows = vec![vec!["provision".to_string(), "cases".to_string()]];
            rows.extend(
                self.summary
                    .by_provision
                    .iter()
                    .map(|(p, n)| vec![short(p), n.to_string()]),
            );
            out.push_str(&columns(&rows, "  ", &[false, true]));
        }
        if !self.errors.is_empty() {
            out.push_str("\ncould not be evaluated\n");
            for e in &self.errors {
                let _ = writeln!(out, "  {} ({})", e.case, e.side);
                for line in e.error.lines("    ") {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        out
    }
}
