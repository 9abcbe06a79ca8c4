//! A recorded evaluation expanded into [`TraceNode`]s: each node gets its citation, name,
//! value in the contract's JSON form and the words of its detail. All of that follows from the
//! program and the record, so the nodes are the same whenever they are built, and they are
//! built only when the trace is read ([`super::Evaluation::trace`]).

use super::Program;
use super::compile::{CompiledVersion, Scope};
use super::record::{
    Binding, ChildRecord, Element, Linked, List, Outcome, Record, SharedText, key_text,
};
use super::{Applies, Missing, join_facts, label_of_rule};
use crate::eval::trace::{Branch, Limit, LimitKind, NodeKind, Operand, Shown, Status, TraceNode};
use crate::program::{DefId, Expr, ExprKind, ProgramData, ProvisionId, RuleId, Version};
use crate::value::{Type, Value};
use std::sync::Arc;

impl Record {
    /// The trace's nodes: the version applied, one tree per outcome, then the provisions that
    /// compute nothing or disregard a fact.
    pub(super) fn expand(&self, program: &Program) -> Vec<TraceNode> {
        // Compiled when this case was evaluated; the expressions' types and paths are there.
        let Some((version, code)) = program.version(self.vid) else {
            return Vec::new();
        };
        Expander {
            program: program.checked(),
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
    version: &'a Version,
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

    fn rule_formula(&self, def: DefId, rule: RuleId) -> Option<Arc<str>> {
        self.text
            .rule_formulas
            .get(def)
            .and_then(|r| r.get(rule))
            .cloned()
            .flatten()
    }

    /// The provisions an applied rule `cites`: each a node with the rule's value, so that the
    /// trace names the definition actually applied beside the provision that incorporates it.
    fn references(
        &self,
        def: DefId,
        rule: RuleId,
        ty: &Type,
        value: Option<&Result<Value, Arc<Missing>>>,
    ) -> Vec<TraceNode> {
        let Some(r) = self.version.defs.get(def).and_then(|d| d.rules.get(rule)) else {
            return Vec::new();
        };
        let by = self.citation(Some(r.provision));
        r.cites
            .iter()
            .map(|cited| {
                let citation: Arc<str> = Arc::from(cited.as_str());
                let name = self.text.def_names.get(def).cloned().unwrap_or_default();
                let mut node = match value {
                    Some(Ok(v)) => self.valued(citation, NodeKind::Reference, name, ty, v),
                    _ => {
                        TraceNode::new(citation, NodeKind::Reference, name, serde_json::Value::Null)
                    }
                };
                node.detail = Some(format!("the definition {by} incorporates"));
                node
            })
            .collect()
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
        self.program.schema.value_json(ty, v)
    }

    /// A node whose value is `v`, of type `ty`: the JSON value and how a person reads it.
    fn valued(
        &self,
        citation: Arc<str>,
        kind: NodeKind,
        name: impl Into<Arc<str>>,
        ty: &Type,
        v: &Value,
    ) -> TraceNode {
        let mut node = TraceNode::new(citation, kind, name, self.json(ty, v));
        node.shown = shown(ty, v);
        node
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
                    node.children.push(self.valued(
                        statute.clone(),
                        NodeKind::Fact,
                        s.fact_name.clone(),
                        &ty,
                        f,
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
                let mut node = self.valued(
                    p.citation.clone().into(),
                    NodeKind::Disregarded,
                    d.name.clone(),
                    &ty,
                    &value,
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
        let shown_rule = t.winner.or(single.then_some(0));
        let mut node = TraceNode::new(
            self.citation_of_rule(id, shown_rule.unwrap_or(0)),
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
                    node.shown = shown(&d.ty, v);
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
                Applies::Yes if rule.condition.is_some() => (
                    Status::Applied,
                    Some(format!("condition `{}` is true", snippet())),
                ),
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
                let there = label_of_rule(self.program, self.version, id, by);
                detail = Some(
                    if rule_provision(self.version, id, by) == Some(rule.provision) {
                        format!("displaced by its exception, also in {there}")
                    } else {
                        format!("displaced by the exception in {there}")
                    },
                );
            }
            if let Some(Err(m)) = &rr.value {
                detail = Some(format!("value needs {}", join_facts(m)));
            }
            let applied = status == Status::Applied;
            if single && applied {
                // One unconditional rule: its reads are the definition's own children.
                if let Some(notes) = self.rule_notes(id, i) {
                    node.notes = notes;
                }
                let references = self.references(id, i, &def.ty, rr.value.as_ref());
                node.children.extend(references);
                node.formula = self.rule_formula(id, i);
                node.limits = self.limits(&rule.value, rr.value_reads);
                node.branches = self.branches(&rule.value, rr.value_reads);
                node.children.extend(children);
                continue;
            }
            let kind = if rule.exception_to.is_some() {
                NodeKind::Exception
            } else {
                NodeKind::Rule
            };
            let citation = self.citation_of_rule(id, i);
            let mut rn = match &rr.value {
                Some(Ok(v)) => self.valued(citation, kind, node.name.clone(), &def.ty, v),
                _ => TraceNode::new(citation, kind, node.name.clone(), serde_json::Value::Null),
            };
            rn.status = Some(status);
            let target = rule.exception_to.map(|target| {
                if rule_provision(self.version, id, target) == Some(rule.provision) {
                    "exception to the rule in this provision".to_string()
                } else {
                    format!(
                        "exception to {}",
                        label_of_rule(self.program, self.version, id, target)
                    )
                }
            });
            rn.detail = match (target, detail) {
                (Some(target), None) => Some(target),
                (Some(target), Some(d)) => Some(format!("{target}; {d}")),
                (None, d) => d,
            };
            if applied {
                if let Some(notes) = self.rule_notes(id, i) {
                    rn.notes = notes;
                }
                rn.formula = self.rule_formula(id, i);
                rn.limits = self.limits(&rule.value, rr.value_reads);
                rn.branches = self.branches(&rule.value, rr.value_reads);
            }
            if applied {
                rn.children = self.references(id, i, &def.ty, rr.value.as_ref());
            }
            rn.children.extend(children);
            node.children.push(rn);
        }
        node
    }

    /// Which operand each `min(…)`/`max(…)` of `value` took, innermost first, from the values the
    /// record holds for its leaves: definitions, facts read (`reads`, the rule's value reads)
    /// and literals. Empty when `value` is not `min`/`max`, or when an operand is anything else
    /// (the record keeps no value of a sum or a quotient inside a rule): nothing is evaluated
    /// again here.
    fn limits(&self, value: &Expr, reads: List) -> Vec<Limit> {
        let mut out = Vec::new();
        if matches!(value.kind, ExprKind::Min(_) | ExprKind::Max(_))
            && self.operand_value(value, reads, &mut out).is_none()
        {
            out.clear();
        }
        out
    }

    /// The branches the `if`s of `value` took, from the rule's value reads (an `if` inside a
    /// list expression is recorded under its item and is not shown here).
    fn branches(&self, value: &Expr, reads: List) -> Vec<Branch> {
        let mut ifs = Vec::new();
        collect_ifs(value, &mut ifs);
        if ifs.is_empty() {
            return Vec::new();
        }
        let snippet = |e: &Expr| Arc::from(self.program.sources.snippet(e.span));
        std::iter::successors(self.linked(reads.first), |l| self.linked(l.next))
            .filter_map(|l| match &l.child {
                ChildRecord::Branch { expr, taken } => {
                    let (c, t, f) = ifs
                        .iter()
                        .find(|(id, ..)| id == expr)
                        .map(|(_, c, t, f)| (*c, *t, *f))?;
                    Some(Branch {
                        condition: snippet(c),
                        taken: *taken,
                        then: snippet(t),
                        otherwise: snippet(f),
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// The value of a leaf or of a `min`/`max` of leaves, pushing each `min`/`max`'s choice to
    /// `out`; `None` for anything else.
    fn operand_value(&self, e: &Expr, reads: List, out: &mut Vec<Limit>) -> Option<Value> {
        match &e.kind {
            ExprKind::Literal(v) => Some(v.clone()),
            ExprKind::Def(d) => self.def_value(*d),
            ExprKind::Fact(_) | ExprKind::Field(..) => std::iter::successors(
                self.linked(reads.first),
                |l| self.linked(l.next),
            )
            .find_map(|l| match &l.child {
                ChildRecord::Fact { expr, value, .. } if *expr == e.id => Some(value.clone()),
                _ => None,
            }),
            ExprKind::Min(items) | ExprKind::Max(items) => {
                let kind = if matches!(e.kind, ExprKind::Min(_)) {
                    LimitKind::Min
                } else {
                    LimitKind::Max
                };
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.operand_value(item, reads, out)?);
                }
                let mut chosen = 0;
                for (i, v) in values.iter().enumerate() {
                    let better = match (values.get(chosen)?, v, kind) {
                        (Value::Number(best), Value::Number(x), LimitKind::Min) => x < best,
                        (Value::Number(best), Value::Number(x), LimitKind::Max) => x > best,
                        (Value::Date(best), Value::Date(x), LimitKind::Min) => x < best,
                        (Value::Date(best), Value::Date(x), LimitKind::Max) => x > best,
                        _ => return None,
                    };
                    if better {
                        chosen = i;
                    }
                }
                let operands = items
                    .iter()
                    .zip(&values)
                    .map(|(item, v)| Operand {
                        text: Arc::from(self.program.sources.snippet(item.span)),
                        value: self.json(&item.ty, v),
                        shown: shown(&item.ty, v),
                        citation: match item.kind {
                            ExprKind::Def(d) => Some(self.def_citation(d)),
                            _ => None,
                        },
                    })
                    .collect();
                let value = values.get(chosen).cloned();
                out.push(Limit {
                    kind,
                    operands,
                    chosen,
                });
                value
            }
            _ => None,
        }
    }

    /// A definition's value in this case (or in the version's constants).
    fn def_value(&self, id: DefId) -> Option<Value> {
        let from = |r: &Record| match r.defs.get(id) {
            Some(Some(t)) => match &t.outcome {
                Outcome::Value(v) => Some(v.clone()),
                _ => None,
            },
            _ => None,
        };
        from(self.record).or_else(|| from(&self.code.constants_record))
    }

    /// The citation of the rule that decided definition `id` (its first rule when none did).
    fn def_citation(&self, id: DefId) -> Arc<str> {
        let winner = |r: &Record| match r.defs.get(id) {
            Some(Some(t)) => Some(t.winner.unwrap_or(0)),
            _ => None,
        };
        let rule = winner(self.record)
            .or_else(|| winner(&self.code.constants_record))
            .unwrap_or(0);
        self.citation_of_rule(id, rule)
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
            ChildRecord::Def(_) | ChildRecord::Branch { .. } => return None,
            ChildRecord::Fact {
                here,
                expr,
                binding,
                value,
            } => {
                let mut node = TraceNode::new(
                    self.citation(*here),
                    NodeKind::Fact,
                    self.path(*expr, *binding, None),
                    self.json_of(*expr, value),
                );
                if let Some(ty) = self.code.type_of(*expr) {
                    node.shown = shown(ty, value);
                }
                node
            }
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
                row,
            } => {
                let schema = &self.program.schema;
                let key_ty = self.code.type_of(*key_expr).unwrap_or(&Type::Bool);
                let t = self.program.tables.get(*table);
                let (name, json, shown_as, source) = match t {
                    Some(t) => (
                        format!("{}[{}]", t.name, key_text(schema, key_ty, key)),
                        self.json(&t.value_ty, value),
                        shown(&t.value_ty, value),
                        t.source.as_str(),
                    ),
                    None => (String::new(), serde_json::Value::Null, Shown::Json, ""),
                };
                // The row's own provision (`cites`), when it has one: the value is that law's.
                let row_key = row.as_ref().unwrap_or(key);
                let cites = t.and_then(|t| {
                    crate::program::TableKey::from_value(row_key).and_then(|k| t.cites.get(&k))
                });
                let citation = cites.cloned().unwrap_or_else(|| self.citation(*here));
                let mut node = TraceNode::new(citation, NodeKind::Table, name, json);
                node.shown = shown_as;
                if let Some(from) = row {
                    node.detail = Some(format!(
                        "the row in force from {}",
                        key_text(schema, key_ty, from)
                    ));
                }
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
                let (status, value, shown_as) = match step {
                    Element::Excluded => (Status::Excluded, serde_json::Value::Null, Shown::Json),
                    Element::Included(v) => (
                        Status::Included,
                        self.json_of(*element, v),
                        self.code
                            .type_of(*element)
                            .map_or(Shown::Json, |ty| shown(ty, v)),
                    ),
                    Element::Undecided => (Status::Undecided, serde_json::Value::Null, Shown::Json),
                };
                let mut node = TraceNode::new(self.citation(*here), NodeKind::Item, name, value);
                node.shown = shown_as;
                if *filtered || status == Status::Undecided {
                    node.status = Some(status);
                }
                node
            }
        })
    }
}

/// The `if`s of `e` outside list expressions (whose reads are their items'), with their parts.
/// A loop over a stack, not recursion: a rule's value may be a chain of thousands of terms.
fn collect_ifs<'e>(e: &'e Expr, out: &mut Vec<(u32, &'e Expr, &'e Expr, &'e Expr)>) {
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        match &e.kind {
            ExprKind::If(c, t, f) => out.push((e.id, c, t, f)),
            ExprKind::Comprehension { .. } => continue,
            _ => {}
        }
        todo.extend(e.sub_exprs());
    }
}

/// How a value of type `ty` reads for a person (see [`Shown`]).
fn shown(ty: &Type, v: &Value) -> Shown {
    match (ty, v) {
        (Type::Money, Value::Number(d)) => Shown::Money(*d),
        (Type::Decimal, Value::Number(d)) => Shown::Decimal(*d),
        (Type::List(inner), Value::List(_)) if **inner == Type::Money => Shown::MoneyList,
        _ => Shown::Json,
    }
}

/// The provision that holds rule `rule` of definition `def`.
fn rule_provision(version: &Version, def: DefId, rule: RuleId) -> Option<ProvisionId> {
    version
        .defs
        .get(def)
        .and_then(|d| d.rules.get(rule))
        .map(|r| r.provision)
}
