//! Coverage: the traces of a corpus of evaluations in, which provisions and
//! which branches they exercised (and which never) out.
//!
//! Everything is read from the traces, so coverage costs nothing when it is not
//! asked for. In a trace, each definition a case needed shows every one of its
//! rules with a status: `applied` or `overridden` means the rule's condition
//! held, `not_applicable` that it did not, `undecided` neither. A definition
//! with a single rule that applied folds that rule into its own node.
//!
//! Per rule (in each text of the statute it belongs to) the branches are:
//! - `taken`: the rule gave the definition its value;
//! - `not taken`: it did not (its condition was false, or an exception
//!   displaced it), a branch only for a rule that has a condition or exceptions;
//! - `condition true` / `condition false`: for a rule with a `when` condition.
//!
//! A provision *computes something* when it holds a rule; it is *reached* by a
//! case whose trace shows one of its rules. `not computed` and `disregard`
//! marks are shown in every trace of their text and are counted apart.

use crate::eval::Evaluation;
use crate::eval::Program;
use crate::eval::trace::{NodeKind, Status, TraceNode};
use crate::program::{DefId, ProvisionId, RuleId, VersionId};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// Counts, over cases, of what happened to one rule.
#[derive(Debug, Clone, Copy, Default)]
struct RuleCounts {
    taken: usize,
    not_taken: usize,
    condition_true: usize,
    condition_false: usize,
}

/// Accumulates the coverage of evaluations of one program.
#[derive(Debug)]
pub struct Coverage<'p> {
    program: &'p Program,
    cases: usize,
    /// Indexed by version, definition, rule.
    rules: Vec<Vec<Vec<RuleCounts>>>,
    /// Cases that reached each provision (a rule of it evaluated, or its mark shown).
    provisions: Vec<usize>,
}

impl<'p> Coverage<'p> {
    /// Empty coverage of `program`: no case recorded, every count zero.
    pub fn new(program: &'p Program) -> Self {
        Coverage {
            program,
            cases: 0,
            rules: program
                .versions()
                .iter()
                .map(|v| {
                    v.defs
                        .iter()
                        .map(|d| vec![RuleCounts::default(); d.rules.len()])
                        .collect()
                })
                .collect(),
            provisions: vec![0; program.provisions().len()],
        }
    }

    /// Adds one evaluation (made with tracing on; one without a trace adds nothing).
    pub fn record(&mut self, e: &Evaluation) {
        let Some(trace) = e.trace() else {
            return;
        };
        self.cases = self.cases.saturating_add(1);
        let vid = version_of(self.program, e);
        let statuses = rule_statuses(self.program, vid, trace);
        let mut reached: BTreeSet<ProvisionId> = BTreeSet::new();
        for (&(d, r), &status) in &statuses {
            let Some(rule) = self
                .program
                .versions()
                .get(vid)
                .and_then(|v| v.defs.get(d))
                .and_then(|def| def.rules.get(r))
            else {
                continue;
            };
            reached.insert(rule.provision);
            let Some(c) = self
                .rules
                .get_mut(vid)
                .and_then(|v| v.get_mut(d))
                .and_then(|def| def.get_mut(r))
            else {
                continue;
            };
            match status {
                Status::Applied => {
                    c.taken += 1;
                    c.condition_true += 1;
                }
                Status::Overridden => {
                    c.not_taken += 1;
                    c.condition_true += 1;
                }
                Status::NotApplicable => {
                    c.not_taken += 1;
                    c.condition_false += 1;
                }
                Status::Undecided | Status::Included | Status::Excluded => {}
            }
        }
        // Marks: every trace of a text shows that text's `not computed` and `disregard` marks.
        for node in trace {
            if matches!(node.kind, NodeKind::NotComputed | NodeKind::Disregarded) {
                let found = self.version_provisions(vid).find(|&p| {
                    self.program
                        .provisions()
                        .get(p)
                        .is_some_and(|info| *info.citation == *node.citation)
                });
                reached.extend(found);
            }
        }
        for p in reached {
            if let Some(n) = self.provisions.get_mut(p) {
                *n += 1;
            }
        }
    }

    fn version_provisions(&self, vid: VersionId) -> impl Iterator<Item = ProvisionId> + '_ {
        self.program
            .versions()
            .get(vid)
            .into_iter()
            .flat_map(|v| v.provisions.iter().copied())
    }

    /// The report: every provision and every branch, with the cases that reached it.
    pub fn report(&self) -> CoverageReport {
        let program = self.program;
        let mut rule_count = vec![0usize; program.provisions().len()];
        let mut rows = Vec::new();
        for (vid, version) in program.versions().iter().enumerate() {
            for (d, def) in version.defs.iter().enumerate() {
                for (r, rule) in def.rules.iter().enumerate() {
                    if let Some(n) = rule_count.get_mut(rule.provision) {
                        *n += 1;
                    }
                    let c = self
                        .rules
                        .get(vid)
                        .and_then(|v| v.get(d))
                        .and_then(|def| def.get(r))
                        .copied()
                        .unwrap_or_default();
                    let mut branches = vec![BranchCount {
                        branch: "taken",
                        cases: c.taken,
                    }];
                    if rule.condition.is_some() || !rule.exceptions.is_empty() {
                        branches.push(BranchCount {
                            branch: "not taken",
                            cases: c.not_taken,
                        });
                    }
                    if rule.condition.is_some() {
                        branches.push(BranchCount {
                            branch: "condition true",
                            cases: c.condition_true,
                        });
                        branches.push(BranchCount {
                            branch: "condition false",
                            cases: c.condition_false,
                        });
                    }
                    let provision = program.provisions().get(rule.provision);
                    let kind = match rule.exception_to.and_then(|t| def.rules.get(t)) {
                        Some(target) => format!(
                            "exception to {}",
                            program
                                .provisions()
                                .get(target.provision)
                                .map(|p| p.label.as_str())
                                .unwrap_or("?")
                        ),
                        None => "rule".to_string(),
                    };
                    rows.push((
                        rule.provision,
                        vid,
                        RuleRow {
                            citation: provision.map(|p| p.citation.clone()).unwrap_or_default(),
                            label: provision.map(|p| p.label.clone()).unwrap_or_default(),
                            text: version.name.clone(),
                            definition: def.name.clone(),
                            kind,
                            condition: rule
                                .condition
                                .as_ref()
                                .map(|c| program.sources().snippet(c.span).to_string()),
                            branches,
                        },
                    ));
                }
            }
        }
        rows.sort_by_key(|(p, v, _)| (*p, *v));
        let rows: Vec<RuleRow> = rows.into_iter().map(|(_, _, r)| r).collect();
        let never_taken: Vec<BranchRef> = rows
            .iter()
            .flat_map(|row| {
                row.branches
                    .iter()
                    .filter(|b| b.cases == 0)
                    .map(|b| BranchRef {
                        citation: row.citation.clone(),
                        text: row.text.clone(),
                        definition: row.definition.clone(),
                        kind: row.kind.clone(),
                        branch: b.branch,
                    })
            })
            .collect();
        let total: usize = rows.iter().map(|r| r.branches.len()).sum();

        let all_texts = match program.versions().len() {
            2 => "both".to_string(),
            _ => "all".to_string(),
        };
        let provision_rows: Vec<ProvisionRow> = program
            .provisions()
            .iter()
            .enumerate()
            .map(|(pid, p)| {
                let rules = rule_count.get(pid).copied().unwrap_or(0);
                let mark = if rules > 0 {
                    None
                } else if p.not_computed.is_some() {
                    Some("not computed")
                } else if !p.disregards.is_empty() {
                    Some("disregard")
                } else {
                    None
                };
                ProvisionRow {
                    citation: p.citation.clone(),
                    label: p.label.clone(),
                    text: match p.version.and_then(|v| program.versions().get(v)) {
                        Some(v) if !v.name.is_empty() => v.name.clone(),
                        _ => all_texts.clone(),
                    },
                    computes: rules > 0,
                    mark,
                    rules,
                    cases: self.provisions.get(pid).copied().unwrap_or(0),
                }
            })
            .collect();
        let computing: Vec<&ProvisionRow> = provision_rows.iter().filter(|p| p.computes).collect();
        let never: Vec<String> = computing
            .iter()
            .filter(|p| p.cases == 0)
            .map(|p| p.citation.clone())
            .collect();
        CoverageReport {
            statute: program.statute().citation.clone(),
            cases: self.cases,
            provisions: ProvisionCoverage {
                computing: computing.len(),
                reached: computing.len() - never.len(),
                never,
                rows: provision_rows,
            },
            branches: BranchCoverage {
                total,
                taken: total - never_taken.len(),
                never: never_taken,
                rows,
            },
        }
    }
}

/// The version an evaluation applied.
pub fn version_of(program: &Program, e: &Evaluation) -> VersionId {
    program
        .versions()
        .iter()
        .position(|v| !v.name.is_empty() && Some(v.effective) == e.version)
        .unwrap_or(0)
}

/// What happened to each rule a trace shows, by (definition, rule) of version `vid`.
///
/// A definition's node lists its rules in order; one that shows none has a
/// single rule that applied (folded), or is a repeat (`explained above`) of a
/// node already read.
pub fn rule_statuses(
    program: &Program,
    vid: VersionId,
    trace: &[TraceNode],
) -> HashMap<(DefId, RuleId), Status> {
    let mut out = HashMap::new();
    let Some(version) = program.versions().get(vid) else {
        return out;
    };
    let names: HashMap<&str, DefId> = version
        .defs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();
    let mut done: BTreeSet<DefId> = BTreeSet::new();
    for node in trace.iter().flat_map(|n| n.walk()) {
        if node.kind != NodeKind::Definition {
            continue;
        }
        let Some((&id, def)) = names
            .get(&*node.name)
            .and_then(|id| version.defs.get(*id).map(|d| (id, d)))
        else {
            continue;
        };
        if done.contains(&id) {
            continue;
        }
        let rule_nodes: Vec<&TraceNode> = node.rules().collect();
        if rule_nodes.is_empty() {
            let folded =
                def.rules.len() == 1 && (!node.value.is_null() || !node.children.is_empty());
            if folded {
                out.insert((id, 0), Status::Applied);
                done.insert(id);
            }
            continue;
        }
        // INVARIANT: the evaluator shows every rule of a definition, in order.
        if rule_nodes.len() != def.rules.len() {
            continue;
        }
        for (r, (n, rule)) in rule_nodes.iter().zip(def.rules.iter()).enumerate() {
            let is_exception = n.kind == NodeKind::Exception;
            if is_exception != rule.exception_to.is_some() {
                continue;
            }
            if let Some(s) = n.status {
                out.insert((id, r), s);
            }
        }
        done.insert(id);
    }
    out
}

/// Coverage of a corpus, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageReport {
    /// The statute's citation (`18 U.S.C. § 2259`).
    pub statute: String,
    /// Evaluations recorded.
    pub cases: usize,
    /// Which provisions the cases reached.
    pub provisions: ProvisionCoverage,
    /// Which branches of the rules the cases took.
    pub branches: BranchCoverage,
}

/// Provision coverage: which provisions that compute something some case reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionCoverage {
    /// Provisions that hold at least one rule.
    pub computing: usize,
    /// Of those, the ones some case reached.
    pub reached: usize,
    /// Citations of the computing provisions no case reached.
    pub never: Vec<String>,
    /// Every provision, in statute order.
    pub rows: Vec<ProvisionRow>,
}

/// One provision of the statute and how many cases reached it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionRow {
    /// The full citation (`18 U.S.C. § 2259(b)(2)(B)`).
    pub citation: String,
    /// The short label (`(b)(2)(B)`), for the text tables; not in the JSON.
    #[serde(skip)]
    pub label: String,
    /// The text (version) the provision belongs to, or `both`/`all`.
    pub text: String,
    /// Whether it holds at least one rule (`rules > 0`).
    pub computes: bool,
    /// `not computed` or `disregard` for a marked provision.
    pub mark: Option<&'static str>,
    /// Rules it holds, over every text of the statute.
    pub rules: usize,
    /// Cases that reached it.
    pub cases: usize,
}

/// Branch coverage: every branch of every rule, and the ones no case took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BranchCoverage {
    /// Branches counted, over every rule of every text.
    pub total: usize,
    /// Of those, the ones some case took.
    pub taken: usize,
    /// The branches no case took, in the order of `rows`.
    pub never: Vec<BranchRef>,
    /// One row per rule per text, in statute order.
    pub rows: Vec<RuleRow>,
}

/// One rule in one text of the statute, with its branches' counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    /// The full citation of the provision that holds the rule.
    pub citation: String,
    /// The provision's short label (`(b)(2)(B)`), for the text tables; not in the JSON.
    #[serde(skip)]
    pub label: String,
    /// The name of the text (version) the rule belongs to; empty for an unversioned statute.
    pub text: String,
    /// The definition the rule gives a value to.
    pub definition: String,
    /// `rule` or `exception to (b)(1)`.
    pub kind: String,
    /// The `when` condition as written.
    pub condition: Option<String>,
    /// Its branches: `taken`, then `not taken` when it has a condition or exceptions, then
    /// `condition true` and `condition false` when it has a condition.
    pub branches: Vec<BranchCount>,
}

/// One branch of a rule and how many cases took it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BranchCount {
    /// `taken`, `not taken`, `condition true` or `condition false`.
    pub branch: &'static str,
    /// Cases (evaluations recorded) that took it.
    pub cases: usize,
}

/// A branch no case took, named by its rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BranchRef {
    /// The full citation of the provision that holds the rule.
    pub citation: String,
    /// The name of the text (version) the rule belongs to; empty for an unversioned statute.
    pub text: String,
    /// The definition the rule gives a value to.
    pub definition: String,
    /// `rule` or `exception to (b)(1)`.
    pub kind: String,
    /// `taken`, `not taken`, `condition true` or `condition false`.
    pub branch: &'static str,
}

impl CoverageReport {
    /// Tables for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "coverage of {} by {} cases", self.statute, self.cases);
        let _ = writeln!(
            out,
            "  provisions that compute something  {} of {} reached",
            self.provisions.reached, self.provisions.computing
        );
        let _ = writeln!(
            out,
            "  branches                           {} of {} taken",
            self.branches.taken, self.branches.total
        );

        out.push_str("\nprovisions (cases that reached each)\n");
        let mut table = vec![vec![
            "provision".to_string(),
            "text".to_string(),
            "computes".to_string(),
            "cases".to_string(),
        ]];
        for p in &self.provisions.rows {
            let computes = match (p.rules, p.mark) {
                (0, Some(m)) => m.to_string(),
                (0, None) => "-".to_string(),
                (1, _) => "1 rule".to_string(),
                (n, _) => format!("{n} rules"),
            };
            let cases = if p.computes || p.mark.is_some() {
                p.cases.to_string()
            } else {
                "-".to_string()
            };
            table.push(vec![p.label.clone(), p.text.clone(), computes, cases]);
        }
        out.push_str(&columns(&table, "  ", &[false, false, false, true]));

        out.push_str("\nbranches (cases that took each; - where a branch cannot occur)\n");
        let mut table = vec![vec![
            "provision".to_string(),
            "text".to_string(),
            "definition".to_string(),
            "rule".to_string(),
            "taken".to_string(),
            "not taken".to_string(),
            "cond. true".to_string(),
            "cond. false".to_string(),
        ]];
        for r in &self.branches.rows {
            let count = |name: &str| {
                r.branches
                    .iter()
                    .find(|b| b.branch == name)
                    .map(|b| b.cases.to_string())
                    .unwrap_or_else(|| "-".to_string())
            };
            table.push(vec![
                r.label.clone(),
                r.text.clone(),
                r.definition.clone(),
                r.kind.clone(),
                count("taken"),
                count("not taken"),
                count("condition true"),
                count("condition false"),
            ]);
        }
        out.push_str(&columns(
            &table,
            "  ",
            &[false, false, false, false, true, true, true, true],
        ));

        out.push('\n');
        if self.provisions.never.is_empty() && self.branches.never.is_empty() {
            out.push_str(
                "every provision that computes something was reached, and every branch taken\n",
            );
        } else {
            out.push_str("never exercised\n");
            for c in &self.provisions.never {
                let _ = writeln!(out, "  {c}: no case reaches it");
            }
            for b in &self.branches.never {
                let _ = writeln!(
                    out,
                    "  {} ({}) {} {}: never {}",
                    b.citation, b.text, b.kind, b.definition, b.branch
                );
            }
        }
        out
    }
}

/// Aligned columns; `right[i]` right-aligns column `i` (numbers).
pub fn columns(rows: &[Vec<String>], indent: &str, right: &[bool]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(x) => *x = (*x).max(w),
                None => widths.push(w),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = indent.to_string();
        for (i, cell) in row.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            if i > 0 {
                line.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                let _ = write!(line, "{cell:>w$}");
            } else {
                let _ = write!(line, "{cell:<w$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
