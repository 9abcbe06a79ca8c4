//! The trace as the evaluator records it, and its expansion into [`TraceNode`]s.
//!
//! Recording keeps rule statuses, values, and the facts, table rows and list items a rule read,
//! each by index into the program (definitions, provisions, [`Expr::id`]s); nothing is
//! formatted while a case is evaluated (recording still costs about as much as evaluating: see
//! BENCHMARKS.md). [`Record::expand`] later gives each node its citation,
//! name, value in the contract's JSON form and the words of its detail: all of that follows from
//! the program and the record, so the nodes are the same whenever they are built.

use super::compile::{CompiledVersion, Scope};
use super::{Applies, Missing, R, Stop, join_facts, label_of_rule};
use crate::eval::trace::{NodeKind, Status, TraceNode};
use crate::program::{
    DefId, ProgramData, ProvisionId, RuleId, Schema, TableId, VersionId, VersionInfo,
};
use crate::render::value_json_in;
use crate::value::{Type, Value};
use std::sync::Arc;

/// The children one rule or list item read: a chain through the recorder's arena, linked in
/// the order they were read (records of different frames interleave in the arena, as nested
/// rules and items are evaluated, so a frame is a chain rather than a run).
#[derive(Debug, Clone, Copy)]
pub(super) struct List {
    first: u32,
}

/// No record: the end of a chain, or an empty one.
const NONE: u32 = u32::MAX;

impl List {
    pub(super) const EMPTY: List = List { first: NONE };
}

/// A run of rule records in [`Record::rules`]: one definition's, in rule order.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: usize,
    len: usize,
}

/// A record in the arena, and the next one of its frame.
#[derive(Debug, Clone)]
struct Linked {
    child: ChildRecord,
    next: u32,
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
    },
    /// One element of a list that a list expression went through.
    Item {
        here: Option<ProvisionId>,
        source: u32,
        /// The element bound around the list expression (for the list's own path).
        binding: Option<u32>,
        index: usize,
        element: u32,
        filtered: bool,
        step: Step,
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
pub(super) enum Step {
    Excluded,
    Included(Value),
    Undecided,
}

/// A list element bound to a variable: where it came from, for fact paths such as
/// `convictions[1].predicates[0]`.
#[derive(Debug, Clone, Copy)]
struct Binding {
    source: u32,
    /// The element bound one level out, in whose scope `source` was evaluated.
    parent: Option<u32>,
    index: usize,
    depth: usize,
}

/// How one rule of a definition fared.
#[derive(Debug, Clone)]
pub(super) struct RuleRecord {
    applies: Applies,
    /// The exception that displaced this rule, although its condition held.
    displaced_by: Option<RuleId>,
    /// The rule's value, when it was the one rule to apply.
    value: Option<Result<Value, Arc<Missing>>>,
    condition_reads: List,
    value_reads: List,
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

    pub(super) fn set_value(&mut self, v: &R, reads: List) {
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
    pub(super) fn of(r: &R) -> Outcome {
        match r {
            Ok(v) => Outcome::Value(v.clone()),
            Err(Stop::Missing(m)) => Outcome::Missing(Arc::clone(m)),
            Err(Stop::Error(_)) => Outcome::Failed,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct DefRecord {
    winner: Option<RuleId>,
    outcome: Outcome,
    /// One record per rule of the definition, in order, in [`Record::rules`].
    rules: Run,
}

/// Collects the record while a case is evaluated.
pub(super) struct Recorder {
    defs: Vec<Option<DefRecord>>,
    rules: Vec<RuleRecord>,
    /// Rule records of the definitions being computed, innermost last.
    pending: Vec<RuleRecord>,
    children: Vec<Linked>,
    /// The first and last child of each rule and item being evaluated, innermost last.
    frames: Vec<(u32, u32)>,
    bindings: Vec<Binding>,
    /// The bindings in scope, by depth.
    bound: Vec<u32>,
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

    pub(super) fn pending_rule_value(&mut self, i: usize, v: &R, reads: List) {
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
    vid: VersionId,
    date: Option<jiff::civil::Date>,
    /// The version was pinned (`--as-of`), not selected by the facts.
    forced: bool,
    facts: Vec<Value>,
    defs: Vec<Option<DefRecord>>,
    rules: Vec<RuleRecord>,
    children: Vec<Linked>,
    bindings: Vec<Binding>,
}

/// The JSON text of a table key, unquoted when it is a string: `2022`, `2022-01-01`.
pub(super) fn key_text(schema: &Schema, ty: &Type, key: &Value) -> String {
    let json = value_json_in(schema, ty, key);
    json.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| json.to_string())
}

/// The program's words that every case's trace repeats (citations, definition names, rule
/// notes), built once per version and shared by the nodes instead of copied into each.
pub(super) struct SharedText {
    statute: Arc<str>,
    /// By provision id.
    citations: Vec<Arc<str>>,
    /// By definition id.
    def_names: Vec<Arc<str>>,
    /// By definition id, then rule.
    rule_notes: Vec<Vec<Arc<[String]>>>,
}

impl SharedText {
    pub(super) fn new(program: &ProgramData, version: &VersionInfo) -> SharedText {
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
        }
    }
}

impl Record {
    /// The trace's nodes: the version applied, one tree per outcome, then the provisions that
    /// compute nothing or disregard a fact.
    pub(super) fn expand(&self, program: &ProgramData) -> Vec<TraceNode> {
        let Some(version) = program.versions.get(self.vid) else {
            return Vec::new();
        };
        // Compiled when this case was evaluated; the expressions' types and paths are there.
        let code = version
            .compiled
            .get_or_init(|| CompiledVersion::new(program, version));
        Expander {
            program,
            version,
            record: self,
            code,
            text: &code.text,
            buf: std::cell::RefCell::default(),
        }
        .trace()
    }
}

/// The bindings in scope where a fact was read, as the record has them.
#[derive(Clone, Copy)]
struct Bound<'a> {
    bindings: &'a [Binding],
    innermost: Option<u32>,
}

impl Scope for Bound<'_> {
    fn bound(self, depth: usize) -> Option<(u32, usize, Self)> {
        let mut at = self.innermost;
        while let Some(b) = at.and_then(|i| self.bindings.get(i as usize)) {
            if b.depth == depth {
                let outer = Bound {
                    innermost: b.parent,
                    ..self
                };
                return Some((b.source, b.index, outer));
            }
            at = b.parent;
        }
        None
    }
}

struct Expander<'a> {
    program: &'a ProgramData,
    version: &'a VersionInfo,
    record: &'a Record,
    code: &'a CompiledVersion,
    text: &'a SharedText,
    /// Where fact paths are written before they become a node's name.
    buf: std::cell::RefCell<String>,
}

impl<'a> Expander<'a> {
    fn linked(&self, at: u32) -> Option<&'a Linked> {
        self.record.children.get(at as usize)
    }

    /// `victim.losses[2].amount`: the fact path expression `id` read, with `binding` the
    /// innermost list element bound when it was read, followed by `[index]` when given (a
    /// list item's name).
    fn path(&self, id: u32, binding: Option<u32>, index: Option<usize>) -> Arc<str> {
        let scope = Bound {
            bindings: &self.record.bindings,
            innermost: binding,
        };
        let mut buf = self.buf.borrow_mut();
        buf.clear();
        self.code.write_path(id, scope, &mut buf);
        if let Some(i) = index {
            use std::fmt::Write;
            // Writing to a String cannot fail.
            let _ = write!(buf, "[{i}]");
        }
        Arc::from(buf.as_str())
    }

    /// A value as JSON, typed by the expression that gave it.
    fn json_of(&self, id: u32, v: &Value) -> serde_json::Value {
        match self.code.type_of(id) {
            Some(ty) => self.json(ty, v),
            None => serde_json::Value::Null,
        }
    }

    fn citation(&self, here: Option<ProvisionId>) -> Arc<str> {
        Arc::clone(
            here.and_then(|p| self.text.citations.get(p))
                .unwrap_or(&self.text.statute),
        )
    }

    fn citation_of_rule(&self, def: DefId, rule: RuleId) -> Arc<str> {
        self.citation(
            self.version
                .defs
                .get(def)
                .and_then(|d| d.rules.get(rule))
                .map(|r| r.provision),
        )
    }

    fn rule_notes(&self, def: DefId, rule: RuleId) -> Option<Arc<[String]>> {
        self.text
            .rule_notes
            .get(def)
            .and_then(|r| r.get(rule))
            .filter(|n| !n.is_empty())
            .cloned()
    }

    fn json(&self, ty: &Type, v: &Value) -> serde_json::Value {
        value_json_in(&self.program.schema, ty, v)
    }

    fn trace(&self) -> Vec<TraceNode> {
        let program = self.program;
        let statute = &self.text.statute;
        let (vid, date, forced) = (self.record.vid, self.record.date, self.record.forced);
        let mut nodes = Vec::new();
        if let Some(v) = program.versions.get(vid).filter(|v| !v.name.is_empty()) {
            let mut node = TraceNode::new(
                statute.clone(),
                NodeKind::Version,
                v.name.clone(),
                serde_json::Value::String(v.effective.to_string()),
            );
            let by = v
                .enacted_by
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            let next = program
                .versions
                .get(vid + 1)
                .map(|n| format!(" and before {}", n.effective))
                .unwrap_or_default();
            node.detail = Some(match (date, &program.version_selector, forced) {
                (Some(d), _, true) => format!(
                    "pinned to {d} (not the facts' date): the text in force from {}{by}",
                    v.effective
                ),
                (Some(d), Some(s), false) if d < v.effective => format!(
                    "{} {d} precedes every encoded text; the earliest, in force from {}{by}, applies",
                    s.fact_name, v.effective
                ),
                (Some(d), Some(s), false) => format!(
                    "{} {d} is on or after {}{next}: the text in force from {}{by}",
                    s.fact_name, v.effective, v.effective
                ),
                _ => format!("the text in force from {}{by}", v.effective),
            });
            if let Some(s) = &program.version_selector {
                node.notes = Arc::from(s.notes.as_slice());
                if let Some(f) = self.record.facts.get(s.fact) {
                    let ty = program
                        .schema
                        .facts
                        .get(s.fact)
                        .map(|f| f.ty.clone())
                        .unwrap_or(Type::Date);
                    node.children.push(TraceNode::new(
                        statute.clone(),
                        NodeKind::Fact,
                        s.fact_name.clone(),
                        self.json(&ty, f),
                    ));
                }
            }
            nodes.push(node);
        }
        for (i, o) in program.outcomes.iter().enumerate() {
            match self.version.outcome_defs.get(i).copied().flatten() {
                Some(def) => {
                    let mut seen = Vec::new();
                    nodes.push(self.def_node(def, &mut seen));
                }
                None => {
                    // An outcome this version does not define is `null`.
                    let mut node = TraceNode::new(
                        statute.clone(),
                        NodeKind::Undefined,
                        o.name.clone(),
                        serde_json::Value::Null,
                    );
                    node.detail = Some(format!(
                        "the text in force from {} does not define `{}`",
                        self.version.effective, o.name
                    ));
                    nodes.push(node);
                }
            }
        }
        for &pid in &self.version.provisions {
            let Some(p) = program.provisions.get(pid) else {
                continue;
            };
            if let Some(reason) = &p.not_computed {
                let mut node = TraceNode::new(
                    p.citation.clone(),
                    NodeKind::NotComputed,
                    p.heading.clone().unwrap_or_else(|| p.label.clone()),
                    serde_json::Value::Null,
                );
                node.detail = Some(reason.clone());
                nodes.push(node);
            }
            for d in &p.disregards {
                let (ty, value) = self.fact_at(&d.path);
                let mut node = TraceNode::new(
                    p.citation.clone(),
                    NodeKind::Disregarded,
                    d.name.clone(),
                    self.json(&ty, &value),
                );
                node.detail = Some(d.reason.clone());
                nodes.push(node);
            }
        }
        nodes
    }

    /// The value of a fact path through records (lists are shown whole).
    fn fact_at(&self, path: &[usize]) -> (Type, Value) {
        let schema = &self.program.schema;
        let mut iter = path.iter();
        let Some(&top) = iter.next() else {
            return (Type::Bool, Value::Absent);
        };
        let mut ty = schema
            .facts
            .get(top)
            .map(|f| f.ty.clone())
            .unwrap_or(Type::Bool);
        let mut value = self.record.facts.get(top).cloned().unwrap_or(Value::Absent);
        for &i in iter {
            let (Type::Record(r), Value::Record(fields)) = (&ty, &value) else {
                return (ty, Value::Absent);
            };
            let next_ty = schema
                .records
                .get(*r)
                .and_then(|r| r.fields.get(i))
                .map(|f| f.ty.clone())
                .unwrap_or(Type::Bool);
            let next = fields.get(i).cloned().unwrap_or(Value::Absent);
            ty = next_ty;
            value = next;
        }
        (ty, value)
    }

    fn def_node(&self, id: DefId, seen: &mut Vec<DefId>) -> TraceNode {
        // As deep as the chain of definitions the case went through.
        stacker::maybe_grow(256 << 10, 2 << 20, || {
            let constants = &self.code.constants_record;
            if matches!(self.record.defs.get(id), Some(Some(_)))
                || !matches!(constants.defs.get(id), Some(Some(_)))
            {
                return self.def_node_here(id, seen);
            }
            // A constant, read as known: its rules are in the version's record of constants.
            Expander {
                record: constants,
                buf: std::cell::RefCell::default(),
                ..*self
            }
            .def_node_here(id, seen)
        })
    }

    fn def_node_here(&self, id: DefId, seen: &mut Vec<DefId>) -> TraceNode {
        let def = self.version.defs.get(id);
        let name = self.text.def_names.get(id).cloned().unwrap_or_default();
        let Some(Some(t)) = self.record.defs.get(id) else {
            return TraceNode::new(
                self.citation_of_rule(id, 0),
                NodeKind::Definition,
                name,
                serde_json::Value::Null,
            );
        };
        let single = def.is_some_and(|d| d.rules.len() == 1);
        let shown = t.winner.or(single.then_some(0));
        let mut node = TraceNode::new(
            self.citation_of_rule(id, shown.unwrap_or(0)),
            NodeKind::Definition,
            name,
            serde_json::Value::Null,
        );
        match &t.outcome {
            Outcome::Value(v) => {
                if let Some(d) = def {
                    // A constant's value is the same in every case: rendered once per version.
                    node.value = match self.code.constants_json.get(id) {
                        Some(Some(json)) => json.clone(),
                        _ => self.json(&d.ty, v),
                    };
                }
            }
            Outcome::Missing(m) => {
                node.detail = Some(format!("undecided: needs {}", join_facts(m)))
            }
            Outcome::Failed => node.detail = Some("evaluation failed".to_string()),
        }
        if seen.contains(&id) {
            node.detail = Some("explained above".to_string());
            return node;
        }
        seen.push(id);
        let records = self
            .record
            .rules
            .get(t.rules.start..t.rules.start + t.rules.len)
            .unwrap_or_default();
        for (i, rr) in records.iter().enumerate() {
            let (Some(def), Some(rule)) = (def, def.and_then(|d| d.rules.get(i))) else {
                continue;
            };
            let children = self.children(&[rr.condition_reads, rr.value_reads], seen);
            let snippet = || {
                rule.condition
                    .as_ref()
                    .map(|c| self.program.sources.snippet(c.span))
                    .unwrap_or_default()
            };
            let (mut status, mut detail) = match &rr.applies {
                Applies::Yes => (Status::Applied, None),
                Applies::No => (
                    Status::NotApplicable,
                    Some(format!("condition `{}` is false", snippet())),
                ),
                Applies::Unknown(m) => (
                    Status::Undecided,
                    Some(format!("condition `{}` needs {}", snippet(), join_facts(m))),
                ),
            };
            if let Some(by) = rr.displaced_by {
                status = Status::Overridden;
                detail = Some(format!(
                    "displaced by the exception in {}",
                    label_of_rule(self.program, self.version, id, by)
                ));
            }
            if let Some(Err(m)) = &rr.value {
                detail = Some(format!("value needs {}", join_facts(m)));
            }
            if single && status == Status::Applied {
                // One unconditional rule: its reads are the definition's own children.
                if let Some(notes) = self.rule_notes(id, i) {
                    node.notes = notes;
                }
                node.children.extend(children);
                continue;
            }
            let kind = if rule.exception_to.is_some() {
                NodeKind::Exception
            } else {
                NodeKind::Rule
            };
            let value = match &rr.value {
                Some(Ok(v)) => self.json(&def.ty, v),
                _ => serde_json::Value::Null,
            };
            let mut rn =
                TraceNode::new(self.citation_of_rule(id, i), kind, node.name.clone(), value);
            rn.status = Some(status);
            rn.detail = match (rule.exception_to, detail) {
                (Some(target), None) => Some(format!(
                    "exception to {}",
                    label_of_rule(self.program, self.version, id, target)
                )),
                (Some(target), Some(d)) => Some(format!(
                    "exception to {}; {d}",
                    label_of_rule(self.program, self.version, id, target)
                )),
                (None, d) => d,
            };
            if let Some(notes) = self.rule_notes(id, i) {
                rn.notes = notes;
            }
            rn.children = children;
            node.children.push(rn);
        }
        node
    }

    /// The nodes of the records in `lists`, in order; a definition, fact, row or item that
    /// appears again is shown once (a rule that reads a fact in its condition and its value).
    fn children(&self, lists: &[List], seen: &mut Vec<DefId>) -> Vec<TraceNode> {
        let mut defs: Vec<DefId> = Vec::new();
        let mut nodes: Vec<TraceNode> = Vec::new();
        for list in lists {
            let records = std::iter::successors(self.linked(list.first), |l| self.linked(l.next))
                .map(|l| &l.child);
            for c in records {
                match c {
                    ChildRecord::Def(id) => {
                        if !defs.contains(id) {
                            defs.push(*id);
                            nodes.push(self.def_node(*id, seen));
                        }
                    }
                    other => {
                        let Some(mut n) = self.leaf_node(other) else {
                            continue;
                        };
                        if nodes.iter().any(|m| m.kind == n.kind && m.name == n.name) {
                            continue;
                        }
                        // Only now: a definition met below a node that is not shown must not
                        // count as explained.
                        if let ChildRecord::Item { reads, .. } = other {
                            n.children = self.children(&[*reads], seen);
                        }
                        nodes.push(n);
                    }
                }
            }
        }
        nodes
    }

    /// The node of a fact, row or item, without the item's children (`None` for a definition,
    /// which [`Self::def_node`] shows).
    fn leaf_node(&self, c: &ChildRecord) -> Option<TraceNode> {
        Some(match c {
            ChildRecord::Def(_) => return None,
            ChildRecord::Fact {
                here,
                expr,
                binding,
                value,
            } => TraceNode::new(
                self.citation(*here),
                NodeKind::Fact,
                self.path(*expr, *binding, None),
                self.json_of(*expr, value),
            ),
            ChildRecord::EmptyList {
                here,
                source,
                binding,
            } => TraceNode::new(
                self.citation(*here),
                NodeKind::Fact,
                self.path(*source, *binding, None),
                serde_json::Value::Array(Vec::new()),
            ),
            ChildRecord::Table {
                here,
                table,
                key_expr,
                key,
                value,
            } => {
                let schema = &self.program.schema;
                let key_ty = self.code.type_of(*key_expr).unwrap_or(&Type::Bool);
                let (name, value, source) = match self.program.tables.get(*table) {
                    Some(t) => (
                        format!("{}[{}]", t.name, key_text(schema, key_ty, key)),
                        self.json(&t.value_ty, value),
                        t.source.as_str(),
                    ),
                    None => (String::new(), serde_json::Value::Null, ""),
                };
                let mut node = TraceNode::new(self.citation(*here), NodeKind::Table, name, value);
                node.notes = Arc::from([format!("source: {source}")]);
                node
            }
            ChildRecord::Item {
                here,
                source,
                binding,
                index,
                element,
                filtered,
                step,
                reads: _,
            } => {
                let name = self.path(*source, *binding, Some(*index));
                let (status, value) = match step {
                    Step::Excluded => (Status::Excluded, serde_json::Value::Null),
                    Step::Included(v) => (Status::Included, self.json_of(*element, v)),
                    Step::Undecided => (Status::Undecided, serde_json::Value::Null),
                };
                let mut node = TraceNode::new(self.citation(*here), NodeKind::Item, name, value);
                if *filtered || status == Status::Undecided {
                    node.status = Some(status);
                }
                node
            }
        })
    }
}
