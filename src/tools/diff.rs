//! Amendment diffs: two rule sources and a directory of cases in, every case
//! whose outcomes differ out, with the provisions where the difference arose.
//!
//! An outcome differs in one of two ways. Its value **changed**: both sources
//! define it and the values differ (a value that became undecided, `null` for an
//! absent fact, is a change too). Or it is **defined by one side only**: the
//! other source's applied text does not define it at all (the 1996 text of
//! § 2259 has no `trafficking`), so it is `null` there. A case with a changed
//! value goes in `changed`, its one-sided outcomes beside; a case whose only
//! differences are one-sided goes in `only_new` or `only_old`, so that what an
//! amendment changed is not buried under what it added.
//!
//! Each case (a test file or a bare facts file) is evaluated under both
//! sources with tracing on. For an outcome whose value changed, the two traces of that
//! outcome are walked side by side: nodes are matched by what they are
//! (a definition by its name, a rule by its provision and kind, a fact by its
//! path), and the walk goes down only through nodes whose value or status
//! differs. A node that exists on one side only is a cause (unless it is a
//! rule that did not apply, which contributed nothing); a node that differs
//! while none of its children does is a cause. `provisions` lists the causes'
//! citations, not the ancestors whose difference they explain.

use crate::diagnostic::{Problem, outcome_help};
use crate::eval::trace::{NodeKind, Status, TraceNode};
use crate::eval::{Evaluation, Program};
use crate::render::plain_value;
use crate::tools::corpus::{self, Reported};
use crate::tools::coverage::columns;
use crate::tools::rule_source::LoadedRules;
use crate::tools::runner::{evaluate_facts, outcome_node};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// Stable codes of diff diagnostics.
pub mod codes {
    /// `lawcode diff --outcome NAME` names an outcome neither rule source declares (the help names
    /// the nearest one); nothing is compared.
    pub const UNKNOWN_OUTCOME: &str = "lawcode::diff::unknown_outcome";
}

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Compare only these outcomes (`--outcome`); empty: every outcome either source declares.
    pub outcomes: Vec<String>,
}

/// The cases whose outcomes differ between two rule sources.
///
/// JSON keys come in this order: what was compared (`old`, `new`, `outcomes`), the counts
/// (`compared`, `summary`), then the lists of cases (`changed`, `only_new`, `only_old`,
/// `errors`). Maps keyed by outcome list the outcomes in the order the rules declare them;
/// maps keyed by citation are sorted by citation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffReport {
    /// The old rule source, as its spec reads (`HEAD~1:rules/usc/18/2259.law`).
    pub old: String,
    /// The new rule source, as its spec reads.
    pub new: String,
    /// The outcomes compared, when `--outcome` named some; absent: all of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
    /// Cases evaluated under both sources.
    pub compared: usize,
    /// The counts, overall and by outcome and provision.
    pub summary: Summary,
    /// Cases in which some outcome has a value under both sources, or a value under one and
    /// is undecided (`null`, an absent fact) under the other, and the two differ.
    pub changed: Vec<ChangedCase>,
    /// Cases whose only differences are outcomes the old source does not define (and the new
    /// one gives a value).
    pub only_new: Vec<OneSidedCase>,
    /// Cases whose only differences are outcomes the new source does not define (and the old
    /// one gives a value).
    pub only_old: Vec<OneSidedCase>,
    /// Cases that could not be evaluated under one source or both.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CaseError>,
}

/// A case in which at least one outcome's value changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedCase {
    /// The case file's path relative to the case directory, `/`-separated.
    pub case: String,
    /// The outcomes whose value changed.
    pub outcomes: Outcomes<Change>,
    /// Outcomes of this case the old source does not define, with their new value.
    #[serde(skip_serializing_if = "Outcomes::is_empty")]
    pub only_new: Outcomes<serde_json::Value>,
    /// Outcomes of this case the new source does not define, with their old value.
    #[serde(skip_serializing_if = "Outcomes::is_empty")]
    pub only_old: Outcomes<serde_json::Value>,
    /// Citations of the trace nodes where the changed values arose, sorted.
    pub provisions: Vec<String>,
}

/// A case whose outcomes differ only in what one source defines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneSidedCase {
    /// The case file's path relative to the case directory, `/`-separated.
    pub case: String,
    /// Each outcome defined by one source only, with its value there.
    pub outcomes: Outcomes<serde_json::Value>,
}

/// An outcome's value under each source, in the contract's JSON form (`null`: undecided).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The value under the old source.
    pub old: serde_json::Value,
    /// The value under the new source.
    pub new: serde_json::Value,
}

/// A map keyed by outcome name, in the order the rules declare the outcomes (the new source's
/// order, then any outcome only the old source declares). Written as a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcomes<V>(pub Vec<(String, V)>);

impl<V> Default for Outcomes<V> {
    fn default() -> Self {
        Outcomes(Vec::new())
    }
}

impl<V> Outcomes<V> {
    /// Whether the map holds no outcome.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many outcomes the map holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The entry for outcome `name`, if the map holds it.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Each outcome's name and entry, in the map's (declaration) order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The outcome names, in the map's (declaration) order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }
}

impl<V: Serialize> Serialize for Outcomes<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(n, v)| (n, v)))
    }
}

/// What a diff found, counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Cases with a changed value (the length of `changed`).
    pub changed: usize,
    /// Cases that differ only in outcomes the old source does not define.
    pub only_new: usize,
    /// Cases that differ only in outcomes the new source does not define.
    pub only_old: usize,
    /// Cases with no difference in the outcomes compared.
    pub unchanged: usize,
    /// For each outcome, the number of cases in which its value changed.
    pub by_outcome: Outcomes<usize>,
    /// For each provision, the number of changed cases that list it.
    pub by_provision: BTreeMap<String, usize>,
    /// For each outcome, the number of cases (changed or not) in which only the new source
    /// defines it.
    pub only_new_by_outcome: Outcomes<usize>,
    /// For each outcome, the number of cases in which only the old source defines it.
    pub only_old_by_outcome: Outcomes<usize>,
}

/// A case that could not be read, or not be evaluated under a source (one entry per side that
/// failed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseError {
    /// The case file's path relative to the case directory, `/`-separated.
    pub case: String,
    /// `old`, `new` or `file` (the case file itself is malformed).
    pub side: &'static str,
    /// The problem, flattened for the report (a facts file's every problem under it).
    pub error: Reported,
}

impl DiffReport {
    /// Whether some case could not be read or evaluated (the command then exits with failure).
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Every outcome either program declares: the new one's in its order, then the old one's.
fn declared_outcomes<'p>(old: &'p Program, new: &'p Program) -> Vec<&'p str> {
    let mut names: Vec<&str> = new.outcomes().iter().map(|o| o.name.as_str()).collect();
    for o in old.outcomes() {
        if !names.contains(&o.name.as_str()) {
            names.push(&o.name);
        }
    }
    names
}

/// The outcomes to compare: every declared one, or those `wanted` names (in declared order);
/// an error for a name neither program declares.
fn outcomes_to_compare<'p>(
    declared: Vec<&'p str>,
    wanted: &[String],
) -> Result<Vec<&'p str>, Problem> {
    if wanted.is_empty() {
        return Ok(declared);
    }
    for w in wanted {
        if !declared.contains(&w.as_str()) {
            let help = outcome_help(w, &declared);
            return Err(Problem::error(
                codes::UNKNOWN_OUTCOME,
                format!("`--outcome {w}`: neither rule source has an outcome `{w}`"),
            )
            .with_help(help));
        }
    }
    Ok(declared
        .into_iter()
        .filter(|d| wanted.iter().any(|w| w == d))
        .collect())
}

/// An outcome's value, and whether the applied text defines it at all (an undecided outcome is
/// `null` too, but defined).
fn outcome_of(e: &Evaluation, name: &str) -> (serde_json::Value, bool) {
    let Some(v) = e.outcome(name) else {
        return (serde_json::Value::Null, false);
    };
    let undefined = v.is_null()
        && e.trace()
            .and_then(|t| outcome_node(t, name))
            .is_some_and(|n| n.kind == NodeKind::Undefined);
    (v.clone(), !undefined)
}

fn count(map: &mut Outcomes<usize>, name: &str) {
    match map.0.iter_mut().find(|(n, _)| n == name) {
        Some((_, c)) => *c += 1,
        None => map.0.push((name.to_string(), 1)),
    }
}

/// Sorts `map` into the order of `order`.
fn in_order<V>(map: &mut Outcomes<V>, order: &[&str]) {
    map.0
        .sort_by_key(|(n, _)| order.iter().position(|o| o == n).unwrap_or(usize::MAX));
}

/// Evaluates every case under `dir` with `old` and `new` and reports the differences.
pub fn diff_cases(
    old: &LoadedRules,
    new: &LoadedRules,
    dir: &Path,
    options: &DiffOptions,
) -> Result<DiffReport, Problem> {
    let names = outcomes_to_compare(
        declared_outcomes(&old.program, &new.program),
        &options.outcomes,
    )?;
    let paths = corpus::case_paths(dir)?;
    let mut report = DiffReport {
        old: old.source.to_string(),
        new: new.source.to_string(),
        outcomes: if options.outcomes.is_empty() {
            Vec::new()
        } else {
            names.iter().map(|n| n.to_string()).collect()
        },
        compared: 0,
        summary: Summary::default(),
        changed: Vec::new(),
        only_new: Vec::new(),
        only_old: Vec::new(),
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
        let mut changed = Outcomes::default();
        let mut only_new = Outcomes::default();
        let mut only_old = Outcomes::default();
        for n in &names {
            let (ov, old_defines) = outcome_of(&a, n);
            let (nv, new_defines) = outcome_of(&b, n);
            if ov == nv {
                continue;
            }
            let n = n.to_string();
            match (old_defines, new_defines) {
                (false, _) => only_new.0.push((n, nv)),
                (_, false) => only_old.0.push((n, ov)),
                (true, true) => changed.0.push((n, Change { old: ov, new: nv })),
            }
        }
        for (o, _) in &only_new.0 {
            count(&mut report.summary.only_new_by_outcome, o);
        }
        for (o, _) in &only_old.0 {
            count(&mut report.summary.only_old_by_outcome, o);
        }
        if changed.is_empty() {
            if only_new.is_empty() && only_old.is_empty() {
                report.summary.unchanged += 1;
            }
            for (list, outcomes) in [
                (&mut report.only_new, only_new),
                (&mut report.only_old, only_old),
            ] {
                if !outcomes.is_empty() {
                    list.push(OneSidedCase {
                        case: name.clone(),
                        outcomes,
                    });
                }
            }
            continue;
        }
        let changed_names: Vec<&str> = changed.names().collect();
        let provisions = changed_provisions(
            a.trace().unwrap_or_default(),
            b.trace().unwrap_or_default(),
            &changed_names,
        );
        for o in changed.names() {
            count(&mut report.summary.by_outcome, o);
        }
        for p in &provisions {
            *report.summary.by_provision.entry(p.clone()).or_default() += 1;
        }
        report.changed.push(ChangedCase {
            case: name.clone(),
            outcomes: changed,
            only_new,
            only_old,
            provisions,
        });
    }
    let s = &mut report.summary;
    for map in [
        &mut s.by_outcome,
        &mut s.only_new_by_outcome,
        &mut s.only_old_by_outcome,
    ] {
        in_order(map, &names);
    }
    s.changed = report.changed.len();
    s.only_new = report.only_new.len();
    s.only_old = report.only_old.len();
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
            NodeKind::Reference => (9, &*n.citation, &*n.name),
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
    /// A per-case table of the changed values, their summary, then the outcomes only one side
    /// defines, counted. `statute` is shortened out of citations (`18 U.S.C. § 2259(b)(2)(B)`
    /// reads `(b)(2)(B)`).
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
        if !self.outcomes.is_empty() {
            let _ = writeln!(out, "outcomes compared: {}", self.outcomes.join(", "));
        }
        let s = &self.summary;
        let mut counts = vec![format!("{} changed", s.changed)];
        if s.only_new > 0 {
            counts.push(format!(
                "{} differ only in outcomes defined only in the new text",
                s.only_new
            ));
        }
        if s.only_old > 0 {
            counts.push(format!(
                "{} differ only in outcomes defined only in the old text",
                s.only_old
            ));
        }
        counts.push(format!("{} unchanged", s.unchanged));
        if !self.errors.is_empty() {
            counts.push(format!("{} could not be evaluated", self.errors.len()));
        }
        let _ = writeln!(
            out,
            "{} cases compared: {}",
            self.compared,
            counts.join(", ")
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
                        o.to_string(),
                        changed_value(&change.old),
                        changed_value(&change.new),
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
                s.by_outcome
                    .iter()
                    .map(|(o, n)| vec![o.to_string(), n.to_string()]),
            );
            out.push_str(&columns(&rows, "  ", &[false, true]));
            out.push('\n');
            let mut rows = vec![vec!["provision".to_string(), "cases".to_string()]];
            rows.extend(
                s.by_provision
                    .iter()
                    .map(|(p, n)| vec![short(p), n.to_string()]),
            );
            out.push_str(&columns(&rows, "  ", &[false, true]));
        }
        for (side, other, by_outcome, alone) in [
            ("new", "old", &s.only_new_by_outcome, s.only_new),
            ("old", "new", &s.only_old_by_outcome, s.only_old),
        ] {
            if by_outcome.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "\ndefined only in the {side} text (`null` under the {other}, which does not define them)"
            );
            let mut rows = vec![vec!["outcome".to_string(), "cases".to_string()]];
            rows.extend(
                by_outcome
                    .iter()
                    .map(|(o, n)| vec![o.to_string(), n.to_string()]),
            );
            out.push_str(&columns(&rows, "  ", &[false, true]));
            let _ = writeln!(
                out,
                "  {alone} of these cases differ in nothing else (`only_{side}` in --format json)"
            );
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

/// A changed value as a table cell: `null` there is an outcome left undecided (an absent fact).
fn changed_value(v: &serde_json::Value) -> String {
    if v.is_null() {
        "undecided".to_string()
    } else {
        plain_value(v)
    }
}
