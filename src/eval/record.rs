//! The trace as the evaluator records it: the hot path of a traced case.
//!
//! Recording keeps rule statuses, values, and the facts, table rows and list items a rule read,
//! each by index into the program (definitions, provisions, [`Expr::id`]s); nothing is
//! formatted while a case is evaluated (recording still costs about as much as evaluating: see
//! BENCHMARKS.md). `eval/expand.rs` later turns a [`Record`] into trace nodes.
//!
//! [`Expr::id`]: crate::program::Expr

use super::{Applies, Evaluated, Missing, Stop};
use crate::program::{
    DefId, Expr, ExprKind, ProgramData, ProvisionId, RuleId, Schema, TableId, Version, VersionId,
};
use crate::value::{Type, Value};
use std::sync::Arc;

/// The children one rule or list item read: a chain through the recorder's arena, linked in
/// the order they were read (records of different frames interleave in the arena, as nested
/// rules and items are evaluated, so a frame is a chain rather than a run).
#[derive(Debug, Clone, Copy)]
pub(super) struct List {
    pub(super) first: u32,
}

/// No record: the end of a chain, or an empty one.
const NONE: u32 = u32::MAX;

impl List {
    pub(super) const EMPTY: List = List { first: NONE };
}

/// A run of rule records in [`Record::rules`]: one definition's, in rule order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run {
    pub(super) start: usize,
    pub(super) len: usize,
}

/// A record in the arena, and the next one of its frame.
#[derive(Debug, Clone)]
pub(super) struct Linked {
    pub(super) child: ChildRecord,
    pub(super) next: u32,
}

/// Something a rule read, in the order it read it.
#[derive(Debug, Clone)]
pub(super) enum ChildRecord {
    /// A definition (its own record says how it was computed).
    Def(DefId),
    /// A fact or field of the case (or `given(…)` of one); `Absent` when not given.
    Fact {
        here: Option<ProvisionId>,
        expr: u32,
        binding: Option<u32>,
        value: Value,
    },
    /// A list of facts with no items, which a list expression went through.
    EmptyList {
        here: Option<ProvisionId>,
        source: u32,
        binding: Option<u32>,
    },
    /// A row of a data table.
    Table {
        here: Option<ProvisionId>,
        table: TableId,
        key_expr: u32,
        key: Value,
        value: Value,
        /// In a `from` table: the key of the row in force (its first day).
        row: Option<Value>,
    },
    /// Which branch an `if … then … else …` took (`taken` is its condition's value).
    Branch { expr: u32, taken: bool },
    /// One element of a list that a list expression went through.
    Item {
        here: Option<ProvisionId>,
        source: u32,
        /// The element bound around the list expression (for the list's own path).
        binding: Option<u32>,
        index: usize,
        element: u32,
        filtered: bool,
        step: Element,
        reads: List,
    },
}

impl ChildRecord {
    pub(super) fn fact(
        here: Option<ProvisionId>,
        expr: u32,
        binding: Option<u32>,
        value: Value,
    ) -> ChildRecord {
        ChildRecord::Fact {
            here,
            expr,
            binding,
            value,
        }
    }
}

/// What a list expression did with one element.
#[derive(Debug, Clone)]
pub(super) enum Element {
    Excluded,
    Included(Value),
    Undecided,
}

/// A list element bound to a variable: where it came from, for fact paths such as
/// `convictions[1].predicates[0]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Binding {
    pub(super) source: u32,
    /// The element bound one level out, in whose scope `source` was evaluated.
    pub(super) parent: Option<u32>,
    pub(super) index: usize,
    pub(super) depth: usize,
}

/// How one rule of a definition fared.
#[derive(Debug, Clone)]
pub(super) struct RuleRecord {
    pub(super) applies: Applies,
    /// The exception that displaced this rule, although its condition held.
    pub(super) displaced_by: Option<RuleId>,
    /// The rule's value, when it was the one rule to apply.
    pub(super) value: Option<Result<Value, Arc<Missing>>>,
    pub(super) condition_reads: List,
    pub(super) value_reads: List,
}

impl RuleRecord {
    pub(super) fn new(applies: Applies, condition_reads: List) -> RuleRecord {
        RuleRecord {
            applies,
            displaced_by: None,
            value: None,
            condition_reads,
            value_reads: List::EMPTY,
        }
    }

    pub(super) fn set_value(&mut self, v: &Evaluated, reads: List) {
        self.value = match v {
            Ok(v) => Some(Ok(v.clone())),
            Err(Stop::Missing(m)) => Some(Err(Arc::clone(m))),
            Err(Stop::Error(_)) => None,
        };
        self.value_reads = reads;
    }
}

/// A definition's value for this case.
#[derive(Debug, Clone)]
pub(super) enum Outcome {
    Value(Value),
    Missing(Arc<Missing>),
    Failed,
}

impl Outcome {
    pub(super) fn of(r: &Evaluated) -> Outcome {
        match r {
            Ok(v) => Outcome::Value(v.clone()),
            Err(Stop::Missing(m)) => Outcome::Missing(Arc::clone(m)),
            Err(Stop::Error(_)) => Outcome::Failed,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct DefRecord {
    pub(super) winner: Option<RuleId>,
    pub(super) outcome: Outcome,
    /// One record per rule of the definition, in order, in [`Record::rules`].
    pub(super) rules: Run,
}

/// Collects the record while a case is evaluated.
pub(super) struct Recorder {
    pub(super) defs: Vec<Option<DefRecord>>,
    pub(super) rules: Vec<RuleRecord>,
    /// Rule records of the definitions being computed, innermost last.
    pub(super) pending: Vec<RuleRecord>,
    pub(super) children: Vec<Linked>,
    /// The first and last child of each rule and item being evaluated, innermost last.
    pub(super) frames: Vec<(u32, u32)>,
    pub(super) bindings: Vec<Binding>,
    /// The bindings in scope, by depth.
    pub(super) bound: Vec<u32>,
}

impl Recorder {
    /// An empty recorder; one is kept per thread and reused from case to case.
    pub(super) fn new() -> Recorder {
        Recorder {
            defs: Vec::new(),
            rules: Vec::new(),
            pending: Vec::new(),
            children: Vec::new(),
            frames: Vec::new(),
            bindings: Vec::new(),
            bound: Vec::new(),
        }
    }

    /// Readies the recorder for a case with `defs` definitions.
    pub(super) fn start(&mut self, defs: usize) {
        self.defs.clear();
        self.defs.resize(defs, None);
        self.rules.clear();
        self.pending.clear();
        self.children.clear();
        self.bindings.clear();
        self.bound.clear();
        // Frames left open by a failed case.
        self.frames.clear();
    }

    /// Adds a child to the innermost open frame (a read outside any rule is not shown).
    pub(super) fn push(&mut self, child: ChildRecord) {
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        let Ok(at) = u32::try_from(self.children.len()) else {
            return;
        };
        if at == NONE {
            return;
        }
        self.children.push(Linked { child, next: NONE });
        if frame.0 == NONE {
            frame.0 = at;
        } else if let Some(last) = self.children.get_mut(frame.1 as usize) {
            last.next = at;
        }
        frame.1 = at;
    }

    pub(super) fn open(&mut self) {
        self.frames.push((NONE, NONE));
    }

    /// Closes the innermost frame: the chain of its children.
    pub(super) fn close(&mut self) -> List {
        match self.frames.pop() {
            Some((first, _)) => List { first },
            None => List::EMPTY,
        }
    }

    pub(super) fn pending_rules(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn push_rule(&mut self, rule: RuleRecord) {
        self.pending.push(rule);
    }

    pub(super) fn drop_pending_rules(&mut self, base: usize) {
        self.pending.truncate(base);
    }

    pub(super) fn displace_pending_rule(&mut self, i: usize, by: RuleId) {
        if let Some(r) = self.pending.get_mut(i) {
            r.displaced_by = Some(by);
        }
    }

    pub(super) fn pending_rule_value(&mut self, i: usize, v: &Evaluated, reads: List) {
        if let Some(r) = self.pending.get_mut(i) {
            r.set_value(v, reads);
        }
    }

    /// Files the pending rule records from `base` up as definition `id`'s.
    pub(super) fn finish_def(
        &mut self,
        id: DefId,
        base: usize,
        winner: Option<RuleId>,
        outcome: Outcome,
    ) {
        let start = self.rules.len();
        self.rules
            .extend(self.pending.drain(base.min(self.pending.len())..));
        let rules = Run {
            start,
            len: self.rules.len() - start,
        };
        if let Some(slot) = self.defs.get_mut(id) {
            *slot = Some(DefRecord {
                winner,
                outcome,
                rules,
            });
        }
    }

    /// Binds the element `index` of the list `source` at `depth`.
    pub(super) fn bind(&mut self, depth: usize, source: u32, index: usize) {
        self.bound.truncate(depth);
        let id = u32::try_from(self.bindings.len()).unwrap_or(u32::MAX);
        self.bindings.push(Binding {
            source,
            parent: self.bound.last().copied(),
            index,
            depth,
        });
        self.bound.push(id);
    }

    pub(super) fn unbind(&mut self, depth: usize) {
        self.bound.truncate(depth);
    }

    pub(super) fn nothing_bound(&self) -> bool {
        self.bound.is_empty()
    }

    /// Leaves no element bound (a definition is computed in its own scope); gives back what was.
    pub(super) fn unbind_all(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.bound)
    }

    pub(super) fn rebind_all(&mut self, bound: Vec<u32>) {
        self.bound = bound;
    }

    pub(super) fn binding(&self) -> Option<u32> {
        self.bound.last().copied()
    }

    /// The record of a program's constants ([`CompiledVersion`]'s), computed without facts.
    /// It is never expanded on its own: a case's expansion builds a constant's node from it.
    pub(super) fn finish_constants(&mut self) -> Record {
        self.finish(0, None, false, &[])
    }

    /// The record of the case, leaving the recorder ready for the next one. Its vectors are
    /// handed over and replaced by empty ones as large.
    pub(super) fn finish(
        &mut self,
        vid: VersionId,
        date: Option<jiff::civil::Date>,
        forced: bool,
        facts: &[Value],
    ) -> Record {
        // The next case gets room for half as much again as this one used: most cases of a
        // batch then fit without growing an arena, and one huge case is not carried on.
        fn hand_over<T>(v: &mut Vec<T>) -> Vec<T> {
            let next = Vec::with_capacity(v.len().saturating_add(v.len() / 2));
            std::mem::replace(v, next)
        }
        Record {
            vid,
            date,
            forced,
            facts: facts.to_vec(),
            defs: hand_over(&mut self.defs),
            rules: hand_over(&mut self.rules),
            children: hand_over(&mut self.children),
            bindings: hand_over(&mut self.bindings),
        }
    }
}

/// Everything the trace of one evaluation says, by index into the program.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub(super) vid: VersionId,
    pub(super) date: Option<jiff::civil::Date>,
    /// The version was pinned (`--as-of`), not selected by the facts.
    pub(super) forced: bool,
    pub(super) facts: Vec<Value>,
    pub(super) defs: Vec<Option<DefRecord>>,
    pub(super) rules: Vec<RuleRecord>,
    pub(super) children: Vec<Linked>,
    pub(super) bindings: Vec<Binding>,
}

/// The JSON text of a table key, unquoted when it is a string: `2022`, `2022-01-01`.
pub(super) fn key_text(schema: &Schema, ty: &Type, key: &Value) -> String {
    let json = schema.value_json(ty, key);
    json.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| json.to_string())
}

/// The program's words that every case's trace repeats (citations, definition names, rule
/// notes), built once per version and shared by the nodes instead of copied into each.
pub(super) struct SharedText {
    pub(super) statute: Arc<str>,
    /// By provision id.
    pub(super) citations: Vec<Arc<str>>,
    /// By definition id.
    pub(super) def_names: Vec<Arc<str>>,
    /// By definition id, then rule.
    pub(super) rule_notes: Vec<Vec<Arc<[String]>>>,
    /// By definition id, then rule: the value expression as the rule file writes it, when it
    /// computes something (see [`formula`]).
    pub(super) rule_formulas: Vec<Vec<Option<Arc<str>>>>,
}

impl SharedText {
    pub(super) fn new(program: &ProgramData, version: &Version) -> SharedText {
        SharedText {
            statute: Arc::from(program.statute.citation.as_str()),
            citations: program
                .provisions
                .iter()
                .map(|p| Arc::from(p.citation.as_str()))
                .collect(),
            def_names: version
                .defs
                .iter()
                .map(|d| Arc::from(d.name.as_str()))
                .collect(),
            rule_notes: version
                .defs
                .iter()
                .map(|d| {
                    d.rules
                        .iter()
                        .map(|r| Arc::from(r.notes.as_slice()))
                        .collect()
                })
                .collect(),
            rule_formulas: version
                .defs
                .iter()
                .map(|d| d.rules.iter().map(|r| formula(program, &r.value)).collect())
                .collect(),
        }
    }
}

/// The longest formula a trace node shows, in characters.
const MAX_FORMULA_CHARS: usize = 500;

/// A rule's value expression as a trace line shows it: the source text on one line, comments
/// dropped and runs of white space made one space. `None` for a literal or a bare name, whose
/// value (or whose own node below) already says everything the formula would.
fn formula(program: &ProgramData, value: &Expr) -> Option<Arc<str>> {
    if matches!(
        value.kind,
        ExprKind::Literal(_)
            | ExprKind::Provisions(_)
            | ExprKind::Def(_)
            | ExprKind::Fact(_)
            | ExprKind::Local(_)
            | ExprKind::Field(..)
    ) {
        return None;
    }
    let source = program.sources.snippet(value.span);
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_text = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_text = !in_text;
                out.push(c);
            }
            '\\' if in_text => {
                out.push(c);
                out.extend(chars.next());
            }
            '/' if !in_text && chars.peek() == Some(&'/') => {
                // A comment runs to the end of its line.
                while chars.next_if(|&c| c != '\n').is_some() {}
            }
            c if c.is_whitespace() && !in_text => {
                if !out.is_empty() && !out.ends_with([' ', '(', '[']) {
                    out.push(' ');
                }
            }
            c => {
                if matches!(c, ')' | ']' | ',') && out.ends_with(' ') && !in_text {
                    out.pop();
                }
                out.push(c);
            }
        }
    }
    let mut out = out.trim_end();
    if out.is_empty() {
        return None;
    }
    // A trace line stays readable whatever the rule file holds; the whole expression is at
    // the rule's line in the source.
    let cut;
    if out.chars().count() > MAX_FORMULA_CHARS {
        let end = out
            .char_indices()
            .nth(MAX_FORMULA_CHARS)
            .map_or(out.len(), |(i, _)| i);
        cut = format!("{}…", out.get(..end).unwrap_or(out).trim_end());
        out = &cut;
    }
    Some(Arc::from(out))
}
