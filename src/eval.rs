//! Evaluation: a checked [`Program`] and validated [`Facts`] in, an
//! [`Evaluation`] out (outcomes, missing facts, and optionally the trace).
//!
//! Each definition is computed at most once per case. A definition's value
//! comes from its rules: the applicable rules that no applicable exception
//! displaces must be exactly one; two is a conflict, none is an error. An
//! optional fact that is absent makes what depends on it *undecided*, which
//! propagates like a value (Kleene logic for `and`/`or`) and ends as `null`
//! with the fact listed in `missing`.

use crate::diagnostic::Problem;
use crate::facts::Facts;
use crate::program::*;
use crate::render::{value_json, value_json_in};
use crate::trace::{NodeKind, Status, TraceNode};
use crate::value::{Type, Value};
use rust_decimal::{Decimal, RoundingStrategy};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

/// Stable codes of evaluation errors.
pub mod codes {
    pub const OVERFLOW: &str = "lawcode::eval::overflow";
    pub const DIVISION_BY_ZERO: &str = "lawcode::eval::division_by_zero";
    pub const CONFLICT: &str = "lawcode::eval::conflict";
    pub const NO_RULE_APPLIES: &str = "lawcode::eval::no_rule_applies";
    pub const MISSING_TABLE_ROW: &str = "lawcode::eval::missing_table_row";
    pub const UNROUNDED_MONEY: &str = "lawcode::eval::unrounded_money";
    pub const EMPTY_LIST: &str = "lawcode::eval::empty_list";
}

/// A case the rules could not evaluate (overflow, conflict, a missing table row…).
pub type EvalError = Problem;

/// The result of evaluating one case.
///
/// Outcomes are kept as typed values and turned into the contract's JSON only when asked for
/// ([`Evaluation::outcome`], [`Evaluation::outcomes`]) or written
/// ([`crate::render::write_evaluation_json`]): a batch writes them without building any
/// `serde_json::Value`, and the names and statute are shared with the program.
#[derive(Debug, Clone)]
pub struct Evaluation {
    shape: Arc<OutcomeShape>,
    /// The effective date of the version applied; `None` for an unversioned rule set.
    pub version: Option<jiff::civil::Date>,
    /// Every declared outcome in declared order; `Absent` when undefined in this version or
    /// undecided.
    values: Vec<Value>,
    /// `values` in the contract's JSON form, rendered on first use.
    json: OnceLock<Vec<serde_json::Value>>,
    /// Optional facts whose absence left an outcome undecided, sorted.
    pub missing: Vec<String>,
    /// Present when tracing was asked for.
    pub trace: Option<Vec<TraceNode>>,
}

impl PartialEq for Evaluation {
    fn eq(&self, other: &Evaluation) -> bool {
        self.statute() == other.statute()
            && self.version == other.version
            && self.outcomes().eq(other.outcomes())
            && self.missing == other.missing
            && self.trace == other.trace
    }
}

impl Evaluation {
    /// The statute's citation.
    pub fn statute(&self) -> &str {
        &self.shape.statute
    }

    /// An outcome in the contract's JSON form (`null` when undefined or undecided); `None` for
    /// a name that is not an outcome.
    pub fn outcome(&self, name: &str) -> Option<&serde_json::Value> {
        let i = self.shape.names.iter().position(|n| n == name)?;
        self.json().get(i)
    }

    /// Every declared outcome in declared order, with its value in the contract's JSON form.
    pub fn outcomes(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.shape
            .names
            .iter()
            .map(String::as_str)
            .zip(self.json().iter())
    }

    /// The typed value of the `i`th declared outcome (`Absent` for `null`).
    pub(crate) fn typed_outcome(&self, i: usize) -> Option<&Value> {
        self.values.get(i)
    }

    pub(crate) fn shape(&self) -> &OutcomeShape {
        &self.shape
    }

    fn json(&self) -> &[serde_json::Value] {
        self.json.get_or_init(|| {
            let shape = &self.shape;
            shape
                .types
                .iter()
                .zip(&self.values)
                .map(|(ty, v)| value_json_in(&shape.schema, ty, v))
                .collect()
        })
    }
}

/// Options for one evaluation.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalOptions {
    /// Record the trace.
    pub trace: bool,
    /// Apply the version in force on this date instead of the one the facts select.
    pub as_of: Option<jiff::civil::Date>,
}

/// Why evaluation of an expression stopped short of a value.
#[derive(Debug, Clone)]
enum Stop {
    /// Optional facts that are absent.
    Missing(BTreeSet<String>),
    Error(Box<EvalError>),
}

type R<T = Value> = Result<T, Stop>;

fn missing_union(a: Stop, b: Stop) -> Stop {
    match (a, b) {
        (Stop::Missing(mut x), Stop::Missing(y)) => {
            x.extend(y);
            Stop::Missing(x)
        }
        (Stop::Error(e), _) | (_, Stop::Error(e)) => Stop::Error(e),
    }
}

/// Picks the version in force on `date`: the latest that took effect on or before it. A date
/// before every version gets the earliest one (the contract's "offense before 2018-12-07: the
/// 1996 text").
pub fn version_in_force(program: &Program, date: jiff::civil::Date) -> VersionId {
    program
        .versions
        .iter()
        .rposition(|v| v.effective <= date)
        .unwrap_or(0)
}

/// Evaluates every outcome for one case.
pub fn evaluate(
    program: &Program,
    facts: &Facts,
    options: EvalOptions,
) -> Result<Evaluation, EvalError> {
    let selected_by_fact =
        program
            .version_selector
            .as_ref()
            .and_then(|s| match facts.values.get(s.fact) {
                Some(Value::Date(d)) => Some(*d),
                _ => None,
            });
    let date = options.as_of.or(selected_by_fact);
    let vid = date.map(|d| version_in_force(program, d)).unwrap_or(0);
    let Some(version) = program.versions.get(vid) else {
        return Err(Problem::error(
            codes::NO_RULE_APPLIES,
            "the rule set has no version to apply",
        ));
    };
    // The evaluator's working vectors are kept per thread between cases: a batch evaluates
    // millions of cases, and allocating them afresh was a large share of a case's cost.
    let mut scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    scratch.memo.clear();
    scratch.memo.resize(version.defs.len(), None);
    scratch.applies.clear();
    scratch.rule_stack.clear();
    let mut ev = Evaluator {
        program,
        version,
        facts: &facts.values,
        memo: scratch.memo,
        locals: Vec::new(),
        tracing: options.trace,
        frames: Vec::new(),
        def_traces: if options.trace {
            vec![None; version.defs.len()]
        } else {
            Vec::new()
        },
        rule_stack: scratch.rule_stack,
        applies: scratch.applies,
    };
    let result = evaluate_outcomes(&mut ev, vid, date, options);
    let Evaluator {
        memo,
        rule_stack,
        applies,
        ..
    } = ev;
    SCRATCH.with(|s| {
        *s.borrow_mut() = Scratch {
            memo,
            rule_stack,
            applies,
        }
    });
    result
}

/// Working vectors of an [`Evaluator`] that outlive one case (see [`evaluate`]).
#[derive(Default)]
struct Scratch {
    memo: Vec<Option<Result<Value, BTreeSet<String>>>>,
    rule_stack: Vec<(DefId, RuleId)>,
    applies: Vec<Applies>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn evaluate_outcomes(
    ev: &mut Evaluator<'_>,
    vid: VersionId,
    date: Option<jiff::civil::Date>,
    options: EvalOptions,
) -> Result<Evaluation, EvalError> {
    let program = ev.program;
    let version = ev.version;
    let mut values = Vec::with_capacity(program.outcomes.len());
    let mut missing = BTreeSet::new();
    for i in 0..program.outcomes.len() {
        let value = match version.outcome_defs.get(i).copied().flatten() {
            None => Value::Absent,
            Some(def) => match ev.def(def) {
                Ok(v) => v,
                Err(Stop::Missing(m)) => {
                    missing.extend(m);
                    Value::Absent
                }
                Err(Stop::Error(e)) => return Err(*e),
            },
        };
        values.push(value);
    }
    let mut evaluation = Evaluation {
        shape: Arc::clone(&program.shape),
        version: (!version.name.is_empty()).then_some(version.effective),
        values,
        json: OnceLock::new(),
        missing: missing.into_iter().collect(),
        trace: None,
    };
    if options.trace {
        evaluation.trace = Some(ev.build_trace(vid, date, options.as_of.is_some()));
    }
    Ok(evaluation)
}

/// Whether a rule's condition held.
#[derive(Debug, Clone)]
enum Applies {
    Yes,
    No,
    Unknown(BTreeSet<String>),
}

/// A trace child before definitions are expanded into nodes.
#[derive(Debug, Clone)]
enum Child {
    Node(TraceNode, Vec<Child>),
    Def(DefId),
}

#[derive(Debug, Clone)]
struct RuleTrace {
    status: Status,
    detail: Option<String>,
    value: serde_json::Value,
    children: Vec<Child>,
}

#[derive(Debug, Clone)]
struct DefTrace {
    winner: Option<RuleId>,
    value: serde_json::Value,
    detail: Option<String>,
    rules: Vec<RuleTrace>,
}

/// Where a bound list element came from: the list expression and its index.
#[derive(Clone, Copy)]
struct Local<'p> {
    source: &'p Expr,
    index: usize,
}

struct Evaluator<'p> {
    program: &'p Program,
    version: &'p VersionInfo,
    facts: &'p [Value],
    memo: Vec<Option<Result<Value, BTreeSet<String>>>>,
    locals: Vec<(Value, Local<'p>)>,
    tracing: bool,
    /// Children being collected for the innermost rule, item or table read.
    frames: Vec<Vec<Child>>,
    def_traces: Vec<Option<DefTrace>>,
    /// Whether each rule of the definitions being computed applies, innermost last.
    applies: Vec<Applies>,
    /// The rules being evaluated, innermost last, for error messages and fact citations.
    rule_stack: Vec<(DefId, RuleId)>,
}

impl<'p> Evaluator<'p> {
    fn rule(&self, def: DefId, rule: RuleId) -> Option<&'p RuleDef> {
        self.version.defs.get(def).and_then(|d| d.rules.get(rule))
    }

    fn citation_of_rule(&self, def: DefId, rule: RuleId) -> String {
        self.rule(def, rule)
            .and_then(|r| self.program.provisions.get(r.provision))
            .map(|p| p.citation.clone())
            .unwrap_or_else(|| self.program.statute.citation.clone())
    }

    fn label_of_rule(&self, def: DefId, rule: RuleId) -> String {
        self.rule(def, rule)
            .and_then(|r| self.program.provisions.get(r.provision))
            .map(|p| p.label.clone())
            .unwrap_or_default()
    }

    /// The citation trace nodes read under: the innermost rule's provision.
    fn here(&self) -> String {
        match self.rule_stack.last() {
            Some(&(d, r)) => self.citation_of_rule(d, r),
            None => self.program.statute.citation.clone(),
        }
    }

    /// An error at `span`, naming the rule being evaluated and citing its provision.
    fn error(
        &self,
        code: &'static str,
        span: crate::source::Span,
        message: String,
        help: String,
    ) -> Stop {
        let context = match self.rule_stack.last() {
            Some(&(d, r)) => {
                let name = self
                    .version
                    .defs
                    .get(d)
                    .map(|x| x.name.as_str())
                    .unwrap_or("");
                format!("{}, rule for `{name}`: ", self.citation_of_rule(d, r))
            }
            None => String::new(),
        };
        Stop::Error(Box::new(
            Problem::error(code, format!("{context}{message}"))
                .with_help(help)
                .label(&self.program.sources, span, "while evaluating this"),
        ))
    }

    fn push_child(&mut self, child: Child) {
        if let Some(frame) = self.frames.last_mut() {
            add_child(frame, child);
        }
    }

    /// Runs `f`, collecting the trace children it records; `None` when not tracing (an
    /// `Option` so that the untraced path has no vector to drop).
    fn with_frame<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> (T, Option<Vec<Child>>) {
        if !self.tracing {
            return (f(self), None);
        }
        self.frames.push(Vec::new());
        let out = f(self);
        let children = self.frames.pop();
        (out, children)
    }

    // ------------------------------------------------------------ definitions

    fn def(&mut self, id: DefId) -> R {
        if self.tracing {
            self.push_child(Child::Def(id));
        }
        if let Some(done) = self.memo.get(id).and_then(|m| m.as_ref()) {
            return done.clone().map_err(Stop::Missing);
        }
        let result = self.compute_def(id);
        match &result {
            Ok(v) => {
                if let Some(slot) = self.memo.get_mut(id) {
                    *slot = Some(Ok(v.clone()));
                }
            }
            Err(Stop::Missing(m)) => {
                if let Some(slot) = self.memo.get_mut(id) {
                    *slot = Some(Err(m.clone()));
                }
            }
            Err(Stop::Error(_)) => {}
        }
        result
    }

    fn compute_def(&mut self, id: DefId) -> R {
        let Some(def) = self.version.defs.get(id) else {
            return Err(Stop::Missing(BTreeSet::new()));
        };
        // This definition's rule statuses sit on a stack shared by every definition being
        // computed, from `base` up: no allocation per definition.
        let base = self.applies.len();
        let mut traces: Vec<RuleTrace> = Vec::new();
        for (i, rule) in def.rules.iter().enumerate() {
            self.rule_stack.push((id, i));
            let (a, children) = self.with_frame(|ev| match &rule.condition {
                None => Ok(Applies::Yes),
                Some(c) => match ev.expr(c) {
                    Ok(Value::Bool(true)) => Ok(Applies::Yes),
                    Ok(_) => Ok(Applies::No),
                    Err(Stop::Missing(m)) => Ok(Applies::Unknown(m)),
                    Err(e) => Err(e),
                },
            });
            self.rule_stack.pop();
            let a = match a {
                Ok(a) => a,
                Err(e) => {
                    self.applies.truncate(base);
                    return Err(e);
                }
            };
            if self.tracing {
                let snippet = rule
                    .condition
                    .as_ref()
                    .map(|c| self.program.sources.snippet(c.span).to_string())
                    .unwrap_or_default();
                let (status, detail) = match &a {
                    Applies::Yes => (Status::Applied, None),
                    Applies::No => (
                        Status::NotApplicable,
                        Some(format!("condition `{snippet}` is false")),
                    ),
                    Applies::Unknown(m) => (
                        Status::Undecided,
                        Some(format!("condition `{snippet}` needs {}", join_facts(m))),
                    ),
                };
                traces.push(RuleTrace {
                    status,
                    detail,
                    value: serde_json::Value::Null,
                    children: children.unwrap_or_default(),
                });
            }
            // INVARIANT: definitions computed while evaluating the condition above truncated
            // the stack back to where they found it, so this rule's status lands at base + i.
            self.applies.push(a);
        }
        let stack = std::mem::take(&mut self.applies);
        let applies = stack.get(base..).unwrap_or_default();

        // A rule is displaced when an exception below it (at any depth) applies.
        let overridden_by =
            |i: RuleId| -> Option<RuleId> { first_applying_exception(def, applies, i) };
        // The first two rules that apply and are not displaced (two are a conflict).
        let mut candidates: (Option<RuleId>, Option<RuleId>) = (None, None);
        let mut unknown = BTreeSet::new();
        for (i, a) in applies.iter().enumerate() {
            let displaced = overridden_by(i);
            if self.tracing {
                if let (Some(by), Some(t)) = (displaced, traces.get_mut(i)) {
                    if matches!(a, Applies::Yes) {
                        t.status = Status::Overridden;
                        t.detail = Some(format!(
                            "displaced by the exception in {}",
                            self.label_of_rule(id, by)
                        ));
                    }
                }
            }
            if displaced.is_some() {
                continue;
            }
            match a {
                Applies::Yes => match candidates {
                    (None, _) => candidates.0 = Some(i),
                    (Some(_), None) => candidates.1 = Some(i),
                    (Some(_), Some(_)) => {}
                },
                Applies::Unknown(m) => unknown.extend(m.iter().cloned()),
                Applies::No => {}
            }
        }
        let mut stack = stack;
        stack.truncate(base);
        self.applies = stack;

        let outcome: R = if !unknown.is_empty() {
            Err(Stop::Missing(unknown))
        } else {
            match candidates {
                (None, _) => {
                    let statute = &self.program.statute.citation;
                    let mut p = Problem::error(
                        codes::NO_RULE_APPLIES,
                        format!("in {statute}: no rule for `{}` applies to this case; every rule's condition is false", def.name),
                    )
                    .with_help("every case needs one applicable rule: add a rule without `when`, or widen a condition");
                    for (i, r) in def.rules.iter().enumerate() {
                        let span = r.condition.as_ref().map(|c| c.span).unwrap_or(r.span);
                        p = p.label(
                            &self.program.sources,
                            span,
                            format!("false in {}", self.label_of_rule(id, i)),
                        );
                    }
                    Err(Stop::Error(Box::new(p)))
                }
                (Some(one), None) => {
                    let rule = def.rules.get(one);
                    self.rule_stack.push((id, one));
                    let (v, children) = self.with_frame(|ev| match rule {
                        Some(r) => ev.expr(&r.value),
                        None => Err(Stop::Missing(BTreeSet::new())),
                    });
                    self.rule_stack.pop();
                    if let Some(t) = traces.get_mut(one) {
                        // The value's reads join the condition's; a fact read by both shows once.
                        for child in children.into_iter().flatten() {
                            add_child(&mut t.children, child);
                        }
                        if let Ok(v) = &v {
                            t.value = value_json(self.program, &def.ty, v);
                        }
                        if let Err(Stop::Missing(m)) = &v {
                            t.detail = Some(format!("value needs {}", join_facts(m)));
                        }
                    }
                    match v {
                        Ok(v) => self.check_money(def, one, v),
                        other => other,
                    }
                }
                (Some(a), Some(b)) => {
                    let (ra, rb) = (def.rules.get(a), def.rules.get(b));
                    let (la, lb) = (self.label_of_rule(id, a), self.label_of_rule(id, b));
                    let statute = &self.program.statute.citation;
                    let mut p = Problem::error(
                        codes::CONFLICT,
                        format!("in {statute}: two rules for `{}` apply to this case, in {la} and in {lb}, and neither is an exception to the other", def.name),
                    )
                    .with_help(format!("make one an exception to the other (`exception to {la}: {} = …`), or narrow their `when` conditions so only one applies", def.name));
                    if let (Some(ra), Some(rb)) = (ra, rb) {
                        p = p
                            .label(&self.program.sources, ra.span, format!("applies in {la}"))
                            .label(
                                &self.program.sources,
                                rb.span,
                                format!("and applies in {lb}"),
                            );
                    }
                    Err(Stop::Error(Box::new(p)))
                }
            }
        };

        if self.tracing {
            let winner = match (&outcome, candidates) {
                (Ok(_) | Err(Stop::Missing(_)), (Some(one), None)) => Some(one),
                _ => None,
            };
            let (value, detail) = match &outcome {
                Ok(v) => (value_json(self.program, &def.ty, v), None),
                Err(Stop::Missing(m)) => (
                    serde_json::Value::Null,
                    Some(format!("undecided: needs {}", join_facts(m))),
                ),
                Err(Stop::Error(_)) => (
                    serde_json::Value::Null,
                    Some("evaluation failed".to_string()),
                ),
            };
            if let Some(slot) = self.def_traces.get_mut(id) {
                *slot = Some(DefTrace {
                    winner,
                    value,
                    detail,
                    rules: traces,
                });
            }
        }
        outcome
    }

    /// Money definitions are amounts in cents; anything finer must be rounded in the rules.
    fn check_money(&self, def: &Definition, rule: RuleId, v: Value) -> R {
        if matches!(def.ty, Type::Money) {
            if let Value::Number(d) = &v {
                // Normalising only lowers the scale, so a scale of 2 or less needs no look.
                if d.scale() > 2 && d.normalize().scale() > 2 {
                    let span = def
                        .rules
                        .get(rule)
                        .map(|r| r.value.span)
                        .unwrap_or_default();
                    let mut ev_ctx = String::new();
                    if let Some(p) = def
                        .rules
                        .get(rule)
                        .and_then(|r| self.program.provisions.get(r.provision))
                    {
                        ev_ctx = format!("{}, rule for `{}`: ", p.citation, def.name);
                    }
                    return Err(Stop::Error(Box::new(
                        Problem::error(codes::UNROUNDED_MONEY, format!("{ev_ctx}the amount {d} is not a whole number of cents"))
                            .with_help("round it where the law says how: `round(amount, cents, half_away_from_zero)`")
                            .label(&self.program.sources, span, "gives fractions of a cent"),
                    )));
                }
            }
        }
        Ok(v)
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, e: &'p Expr) -> R {
        match &e.kind {
            ExprKind::Literal(v) => Ok(v.clone()),
            ExprKind::Provisions(p) => Ok(Value::Provisions(p.clone())),
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.expr(i)?);
                }
                Ok(Value::List(out.into()))
            }
            ExprKind::Def(id) => self.def(*id),
            ExprKind::Fact(_) | ExprKind::Field(..) | ExprKind::Local(_) => {
                let v = self.place(e)?;
                if matches!(e.kind, ExprKind::Local(_)) {
                    return Ok(v);
                }
                if self.tracing {
                    let node = TraceNode::new(
                        self.here(),
                        NodeKind::Fact,
                        self.path_text(e),
                        value_json(self.program, &e.ty, &v),
                    );
                    self.push_child(Child::Node(node, Vec::new()));
                }
                if matches!(v, Value::Absent) {
                    let mut m = BTreeSet::new();
                    m.insert(self.path_text(e));
                    return Err(Stop::Missing(m));
                }
                Ok(v)
            }
            ExprKind::Table(tid, key) => {
                let k = self.expr(key)?;
                let table = self.program.tables.get(*tid);
                let found = table.and_then(|t| {
                    crate::program::TableKey::from_value(&k).and_then(|key| t.rows.get(&key))
                });
                let key_text = || {
                    let key_text = value_json(self.program, &key.ty, &k);
                    key_text
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| key_text.to_string())
                };
                match (table, found) {
                    (Some(t), Some(v)) => {
                        if self.tracing {
                            let key_text = key_text();
                            let mut node = TraceNode::new(
                                self.here(),
                                NodeKind::Table,
                                format!("{}[{key_text}]", t.name),
                                value_json(self.program, &t.value_ty, v),
                            );
                            node.notes.push(format!("source: {}", t.source));
                            self.push_child(Child::Node(node, Vec::new()));
                        }
                        Ok(v.clone())
                    }
                    (t, _) => {
                        let name = t.map(|t| t.name.as_str()).unwrap_or("?");
                        let source = t.map(|t| t.source.as_str()).unwrap_or("");
                        let key_text = key_text();
                        Err(self.error(
                            codes::MISSING_TABLE_ROW,
                            e.span,
                            format!("table `{name}` has no row for {key_text}"),
                            format!("the table has no data for this key; add the row from its source ({source}) once it is published"),
                        ))
                    }
                }
            }
            ExprKind::Not(x) => match self.expr(x)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                _ => Ok(Value::Bool(false)),
            },
            ExprKind::Neg(x) => match self.expr(x)? {
                Value::Number(d) => Ok(Value::Number(-d)),
                other => Ok(other),
            },
            ExprKind::And(a, b) => self.kleene(a, b, false),
            ExprKind::Or(a, b) => self.kleene(a, b, true),
            ExprKind::Arith(op, a, b) => {
                let (x, y) = self.both(a, b)?;
                let (Value::Number(x), Value::Number(y)) = (x, y) else {
                    return Ok(Value::Bool(false));
                };
                self.arith(*op, x, y, e)
            }
            ExprKind::Compare(op, a, b) => {
                let (x, y) = self.both(a, b)?;
                let ord = match (&x, &y) {
                    (Value::Number(p), Value::Number(q)) => Some(p.cmp(q)),
                    (Value::Date(p), Value::Date(q)) => Some(p.cmp(q)),
                    _ => None,
                };
                Ok(Value::Bool(match (op, ord) {
                    (Compare::Eq, _) => x.same_as(&y),
                    (Compare::Ne, _) => !x.same_as(&y),
                    (Compare::Lt, Some(o)) => o.is_lt(),
                    (Compare::Le, Some(o)) => o.is_le(),
                    (Compare::Gt, Some(o)) => o.is_gt(),
                    (Compare::Ge, Some(o)) => o.is_ge(),
                    _ => false,
                }))
            }
            ExprKind::Within(a, b) => {
                let (x, y) = self.both(a, b)?;
                Ok(Value::Bool(match (&x, &y) {
                    (Value::Citation(c), Value::Citation(p)) => c.is_within(p),
                    (Value::Citation(c), Value::Provisions(set)) => {
                        set.iter().any(|p| p.contains(c))
                    }
                    _ => false,
                }))
            }
            ExprKind::In {
                item,
                list,
                negated,
            } => {
                let (x, l) = self.both(item, list)?;
                let found = match &l {
                    Value::List(items) => items.iter().any(|i| i.same_as(&x)),
                    _ => false,
                };
                Ok(Value::Bool(found != *negated))
            }
            ExprKind::If(c, t, f) => match self.expr(c)? {
                Value::Bool(true) => self.expr(t),
                _ => self.expr(f),
            },
            ExprKind::Min(args) | ExprKind::Max(args) => {
                let want_max = matches!(e.kind, ExprKind::Max(_));
                let mut best: Option<Value> = None;
                let mut stop: Option<Stop> = None;
                for a in args {
                    match self.expr(a) {
                        Ok(v) => {
                            best = Some(match best {
                                None => v,
                                Some(b) => pick(b, v, want_max),
                            })
                        }
                        Err(s @ Stop::Error(_)) => return Err(s),
                        Err(s) => {
                            stop = Some(match stop {
                                None => s,
                                Some(prev) => missing_union(prev, s),
                            })
                        }
                    }
                }
                match (stop, best) {
                    (Some(s), _) => Err(s),
                    (None, Some(b)) => Ok(b),
                    (None, None) => Ok(Value::Bool(false)),
                }
            }
            ExprKind::Year(d) => match self.expr(d)? {
                Value::Date(d) => Ok(Value::Number(Decimal::from(d.year()))),
                other => Ok(other),
            },
            ExprKind::Round {
                value,
                places,
                mode,
            } => match self.expr(value)? {
                Value::Number(d) => {
                    let strategy = match mode {
                        Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
                        Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
                        Rounding::TowardZero => RoundingStrategy::ToZero,
                        Rounding::AwayFromZero => RoundingStrategy::AwayFromZero,
                    };
                    Ok(Value::Number(d.round_dp_with_strategy(*places, strategy)))
                }
                other => Ok(other),
            },
            ExprKind::Given(x) => {
                let v = self.place(x)?;
                if self.tracing {
                    let node = TraceNode::new(
                        self.here(),
                        NodeKind::Fact,
                        self.path_text(x),
                        value_json(self.program, &x.ty, &v),
                    );
                    self.push_child(Child::Node(node, Vec::new()));
                }
                Ok(Value::Bool(!matches!(v, Value::Absent)))
            }
            ExprKind::AggregateList(agg, list) => {
                let Value::List(items) = self.expr(list)? else {
                    return Ok(Value::Bool(false));
                };
                let elem_ty = match &list.ty {
                    Type::List(t) => (**t).clone(),
                    _ => Type::Bool,
                };
                let mut acc = Accumulator::new(*agg, e);
                for v in items.iter() {
                    acc.add(self, Ok(v.clone()), &elem_ty)?;
                }
                acc.finish(self)
            }
            ExprKind::Comprehension {
                aggregate,
                element,
                local,
                var_name: _,
                source,
                filter,
            } => {
                // A list of facts is shown item by item below, not also whole.
                let list = match &source.kind {
                    ExprKind::Fact(_) | ExprKind::Field(..) => match self.place(source)? {
                        Value::Absent => {
                            let mut m = BTreeSet::new();
                            m.insert(self.path_text(source));
                            return Err(Stop::Missing(m));
                        }
                        v => v,
                    },
                    _ => self.expr(source)?,
                };
                let Value::List(items) = list else {
                    return Ok(Value::Bool(false));
                };
                if self.tracing && items.is_empty() {
                    // With no items to show, show the empty list itself.
                    let node = TraceNode::new(
                        self.here(),
                        NodeKind::Fact,
                        self.path_text(source),
                        serde_json::Value::Array(Vec::new()),
                    );
                    self.push_child(Child::Node(node, Vec::new()));
                }
                let mut acc = Accumulator::new(*aggregate, e);
                for (index, item) in items.iter().enumerate() {
                    // INVARIANT: the checker numbered locals by nesting depth, so this one sits at `local`.
                    self.locals.truncate(*local);
                    self.locals.push((item.clone(), Local { source, index }));
                    let (step, children) = self.with_frame(|ev| {
                        let keep = match filter {
                            None => Ok(true),
                            Some(f) => ev.expr(f).map(|v| matches!(v, Value::Bool(true))),
                        };
                        match keep {
                            Ok(true) => Ok(Some(ev.expr(element))),
                            Ok(false) => Ok(None),
                            Err(Stop::Missing(m)) => Ok(Some(Err(Stop::Missing(m)))),
                            Err(err) => Err(err),
                        }
                    });
                    self.locals.truncate(*local);
                    let step = step?;
                    if self.tracing {
                        let name = format!("{}[{index}]", self.path_text(source));
                        let (status, value) = match &step {
                            None => (Status::Excluded, serde_json::Value::Null),
                            Some(Ok(v)) => {
                                (Status::Included, value_json(self.program, &element.ty, v))
                            }
                            Some(Err(_)) => (Status::Undecided, serde_json::Value::Null),
                        };
                        let mut node = TraceNode::new(self.here(), NodeKind::Item, name, value);
                        if filter.is_some() || status == Status::Undecided {
                            node.status = Some(status);
                        }
                        self.push_child(Child::Node(node, children.unwrap_or_default()));
                    }
                    if let Some(step) = step {
                        acc.add(self, step, &element.ty)?;
                    }
                }
                acc.finish(self)
            }
        }
    }

    /// `and` (stop_on = false) and `or` (stop_on = true) with undecided operands:
    /// `false and undecided` is false, `true or undecided` is true.
    fn kleene(&mut self, a: &'p Expr, b: &'p Expr, stop_on: bool) -> R {
        let first = match self.expr(a) {
            Ok(Value::Bool(x)) if x == stop_on => return Ok(Value::Bool(stop_on)),
            Ok(_) => None,
            Err(s @ Stop::Error(_)) => return Err(s),
            Err(s) => Some(s),
        };
        match self.expr(b) {
            Ok(Value::Bool(y)) if y == stop_on => Ok(Value::Bool(stop_on)),
            Ok(v) => match first {
                None => Ok(v),
                Some(s) => Err(s),
            },
            Err(s @ Stop::Error(_)) => Err(s),
            Err(s) => Err(match first {
                None => s,
                Some(f) => missing_union(f, s),
            }),
        }
    }

    /// Both operands, with the missing facts of both when both are undecided.
    fn both(&mut self, a: &'p Expr, b: &'p Expr) -> R<(Value, Value)> {
        let x = self.expr(a);
        if let Err(s @ Stop::Error(_)) = x {
            return Err(s);
        }
        let y = self.expr(b);
        match (x, y) {
            (Ok(x), Ok(y)) => Ok((x, y)),
            (Err(s), Ok(_)) | (Ok(_), Err(s)) => Err(s),
            (Err(s), Err(t)) => Err(missing_union(s, t)),
        }
    }

    fn arith(&self, op: Arith, x: Decimal, y: Decimal, e: &Expr) -> R {
        let sym = match op {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
        };
        if op == Arith::Div && y.is_zero() {
            return Err(self.error(
                codes::DIVISION_BY_ZERO,
                e.span,
                format!("division by zero in {x} / {y}"),
                "guard the division with a `when` condition or an `if`".into(),
            ));
        }
        let r = match op {
            Arith::Add => x.checked_add(y),
            Arith::Sub => x.checked_sub(y),
            Arith::Mul => x.checked_mul(y),
            Arith::Div => x.checked_div(y),
        };
        r.map(Value::Number).ok_or_else(|| {
            self.error(
                codes::OVERFLOW,
                e.span,
                format!("{x} {sym} {y} is beyond the exact decimal range"),
                "amounts are exact to 28 significant digits; check the facts for an implausibly large amount".into(),
            )
        })
    }

    /// The raw value of a fact, field or bound variable (`Absent` is kept, not turned into undecided).
    fn place(&mut self, e: &'p Expr) -> R {
        if let Some(found) = self.place_ref(e) {
            return found.cloned();
        }
        match &e.kind {
            ExprKind::Field(inner, i) => {
                let base = self.expr(inner)?;
                match base {
                    Value::Record(fields) => Ok(fields.get(*i).cloned().unwrap_or(Value::Absent)),
                    Value::Absent => {
                        let mut m = BTreeSet::new();
                        m.insert(self.path_text(inner));
                        Err(Stop::Missing(m))
                    }
                    _ => Ok(Value::Absent),
                }
            }
            _ => self.expr(e),
        }
    }

    /// [`Self::place`] for a fact, a bound variable, or a chain of fields over one, by reference:
    /// reading `victim.losses` clones the list, not the whole `victim` record. `None` for any
    /// other expression.
    fn place_ref(&self, e: &Expr) -> Option<Result<&Value, Stop>> {
        static ABSENT: Value = Value::Absent;
        match &e.kind {
            ExprKind::Fact(i) => Some(Ok(self.facts.get(*i).unwrap_or(&ABSENT))),
            ExprKind::Local(d) => Some(Ok(self.locals.get(*d).map_or(&ABSENT, |l| &l.0))),
            ExprKind::Field(inner, i) => Some(match self.place_ref(inner)? {
                Err(stop) => Err(stop),
                Ok(Value::Record(fields)) => Ok(fields.get(*i).unwrap_or(&ABSENT)),
                Ok(Value::Absent) => {
                    let mut m = BTreeSet::new();
                    m.insert(self.path_text(inner));
                    Err(Stop::Missing(m))
                }
                Ok(_) => Ok(&ABSENT),
            }),
            _ => None,
        }
    }

    /// `victim.losses[2].amount`: the fact path an expression reads, for the trace and `missing`.
    fn path_text(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Fact(i) => self
                .program
                .schema
                .facts
                .get(*i)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            ExprKind::Local(d) => match self.locals.get(*d) {
                Some((_, l)) => format!("{}[{}]", self.path_text(l.source), l.index),
                None => String::new(),
            },
            ExprKind::Field(inner, i) => {
                let field = match &inner.ty {
                    Type::Record(r) => self
                        .program
                        .schema
                        .records
                        .get(*r)
                        .and_then(|r| r.fields.get(*i))
                        .map(|f| f.name.as_str()),
                    _ => None,
                };
                format!("{}.{}", self.path_text(inner), field.unwrap_or("?"))
            }
            _ => self.program.sources.snippet(e.span).to_string(),
        }
    }

    // ------------------------------------------------------------ trace

    fn build_trace(
        &self,
        vid: VersionId,
        date: Option<jiff::civil::Date>,
        forced: bool,
    ) -> Vec<TraceNode> {
        let statute = &self.program.statute.citation;
        let mut nodes = Vec::new();
        if let Some(v) = self
            .program
            .versions
            .get(vid)
            .filter(|v| !v.name.is_empty())
        {
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
            let next = self
                .program
                .versions
                .get(vid + 1)
                .map(|n| format!(" and before {}", n.effective))
                .unwrap_or_default();
            node.detail = Some(match (date, &self.program.version_selector, forced) {
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
            if let Some(s) = &self.program.version_selector {
                node.notes = s.notes.clone();
                if let Some(f) = self.facts.get(s.fact) {
                    let ty = self
                        .program
                        .schema
                        .facts
                        .get(s.fact)
                        .map(|f| f.ty.clone())
                        .unwrap_or(Type::Date);
                    node.children.push(TraceNode::new(
                        statute.clone(),
                        NodeKind::Fact,
                        s.fact_name.clone(),
                        value_json(self.program, &ty, f),
                    ));
                }
            }
            nodes.push(node);
        }
        for (i, o) in self.program.outcomes.iter().enumerate() {
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
                    let v = self.version;
                    node.detail = Some(format!(
                        "the text in force from {} does not define `{}`",
                        v.effective, o.name
                    ));
                    nodes.push(node);
                }
            }
        }
        for &pid in &self.version.provisions {
            let Some(p) = self.program.provisions.get(pid) else {
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
                    value_json(self.program, &ty, &value),
                );
                node.detail = Some(d.reason.clone());
                nodes.push(node);
            }
        }
        nodes
    }

    /// The value of a fact path through records (lists are shown whole).
    fn fact_at(&self, path: &[usize]) -> (Type, Value) {
        let mut iter = path.iter();
        let Some(&top) = iter.next() else {
            return (Type::Bool, Value::Absent);
        };
        let mut ty = self
            .program
            .schema
            .facts
            .get(top)
            .map(|f| f.ty.clone())
            .unwrap_or(Type::Bool);
        let mut value = self.facts.get(top).cloned().unwrap_or(Value::Absent);
        for &i in iter {
            let (Type::Record(r), Value::Record(fields)) = (&ty, &value) else {
                return (ty, Value::Absent);
            };
            let next_ty = self
                .program
                .schema
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
        let def = self.version.defs.get(id);
        let name = def.map(|d| d.name.clone()).unwrap_or_default();
        let Some(Some(t)) = self.def_traces.get(id) else {
            let citation = def
                .and_then(|d| d.rules.first())
                .and_then(|r| self.program.provisions.get(r.provision))
                .map(|p| p.citation.clone())
                .unwrap_or_default();
            return TraceNode::new(
                citation,
                NodeKind::Definition,
                name,
                serde_json::Value::Null,
            );
        };
        let shown = t.winner.or(if def.is_some_and(|d| d.rules.len() == 1) {
            Some(0)
        } else {
            None
        });
        let citation = match shown {
            Some(w) => self.citation_of_rule(id, w),
            None => def
                .and_then(|d| d.rules.first())
                .and_then(|r| self.program.provisions.get(r.provision))
                .map(|p| p.citation.clone())
                .unwrap_or_default(),
        };
        let mut node = TraceNode::new(citation, NodeKind::Definition, name, t.value.clone());
        node.detail = t.detail.clone();
        if seen.contains(&id) {
            node.detail = Some("explained above".to_string());
            return node;
        }
        seen.push(id);
        let single = def.is_some_and(|d| d.rules.len() == 1);
        for (i, rt) in t.rules.iter().enumerate() {
            let Some(rule) = def.and_then(|d| d.rules.get(i)) else {
                continue;
            };
            let children: Vec<TraceNode> = rt
                .children
                .iter()
                .map(|c| self.child_node(c, seen))
                .collect();
            if single && rt.status == Status::Applied {
                // One unconditional rule: its reads are the definition's own children.
                node.notes.extend(rule.notes.iter().cloned());
                node.children.extend(children);
                continue;
            }
            let kind = if rule.exception_to.is_some() {
                NodeKind::Exception
            } else {
                NodeKind::Rule
            };
            let mut rn = TraceNode::new(
                self.citation_of_rule(id, i),
                kind,
                node.name.clone(),
                rt.value.clone(),
            );
            rn.status = Some(rt.status);
            rn.detail = match (kind, rule.exception_to, &rt.detail) {
                (NodeKind::Exception, Some(target), None) => {
                    Some(format!("exception to {}", self.label_of_rule(id, target)))
                }
                (NodeKind::Exception, Some(target), Some(d)) => Some(format!(
                    "exception to {}; {d}",
                    self.label_of_rule(id, target)
                )),
                (_, _, d) => d.clone(),
            };
            rn.notes = rule.notes.clone();
            rn.children = children;
            node.children.push(rn);
        }
        node
    }

    fn child_node(&self, c: &Child, seen: &mut Vec<DefId>) -> TraceNode {
        match c {
            Child::Def(id) => self.def_node(*id, seen),
            Child::Node(n, children) => {
                let mut n = n.clone();
                n.children
                    .extend(children.iter().map(|c| self.child_node(c, seen)));
                n
            }
        }
    }
}

/// Adds a trace child unless the frame shows it already: a rule that reads one fact twice
/// (in its condition and its value, say) shows it once.
fn add_child(frame: &mut Vec<Child>, child: Child) {
    let dup = match &child {
        Child::Def(id) => frame.iter().any(|c| matches!(c, Child::Def(x) if x == id)),
        Child::Node(n, _) => frame
            .iter()
            .any(|c| matches!(c, Child::Node(m, _) if m.kind == n.kind && m.name == n.name)),
    };
    if !dup {
        frame.push(child);
    }
}

/// The first exception below rule `i` (at any depth) whose condition holds.
fn first_applying_exception(def: &Definition, applies: &[Applies], i: RuleId) -> Option<RuleId> {
    let rule = def.rules.get(i)?;
    for &x in &rule.exceptions {
        if matches!(applies.get(x), Some(Applies::Yes)) {
            return Some(x);
        }
        if let Some(deeper) = first_applying_exception(def, applies, x) {
            return Some(deeper);
        }
    }
    None
}

fn pick(a: Value, b: Value, want_max: bool) -> Value {
    let ord = match (&a, &b) {
        (Value::Number(x), Value::Number(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    };
    match (want_max, ord) {
        (true, std::cmp::Ordering::Less) | (false, std::cmp::Ordering::Greater) => b,
        _ => a,
    }
}

fn join_facts(m: &BTreeSet<String>) -> String {
    m.iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Folds list items into an aggregate, keeping Kleene logic for `any`/`all`.
struct Accumulator<'e> {
    agg: Aggregate,
    expr: &'e Expr,
    sum: Decimal,
    count: u64,
    best: Option<Value>,
    decided: Option<bool>,
    items: Vec<Value>,
    missing: Option<Stop>,
}

impl<'e> Accumulator<'e> {
    fn new(agg: Aggregate, expr: &'e Expr) -> Self {
        Accumulator {
            agg,
            expr,
            sum: Decimal::ZERO,
            count: 0,
            best: None,
            decided: None,
            items: Vec::new(),
            missing: None,
        }
    }

    fn add(&mut self, ev: &Evaluator, item: R, _ty: &Type) -> Result<(), Stop> {
        let v = match item {
            Ok(v) => v,
            Err(s @ Stop::Error(_)) => return Err(s),
            Err(s) => {
                self.missing = Some(match self.missing.take() {
                    None => s,
                    Some(prev) => missing_union(prev, s),
                });
                return Ok(());
            }
        };
        match self.agg {
            Aggregate::Sum => {
                if let Value::Number(d) = v {
                    self.sum = self.sum.checked_add(d).ok_or_else(|| {
                        ev.error(
                            codes::OVERFLOW,
                            self.expr.span,
                            "the sum is beyond the exact decimal range".into(),
                            "check the facts for an implausibly large amount".into(),
                        )
                    })?;
                }
            }
            Aggregate::Count => self.count += 1,
            Aggregate::Any => {
                if matches!(v, Value::Bool(true)) {
                    self.decided = Some(true);
                }
            }
            Aggregate::All => {
                if matches!(v, Value::Bool(false)) {
                    self.decided = Some(false);
                }
            }
            Aggregate::Min | Aggregate::Max => {
                self.best = Some(match self.best.take() {
                    None => v,
                    Some(b) => pick(b, v, self.agg == Aggregate::Max),
                });
            }
            Aggregate::Filter => self.items.push(v),
        }
        Ok(())
    }

    fn finish(self, ev: &Evaluator) -> R {
        // `any` with one true item, or `all` with one false item, is decided whatever is missing.
        if let Some(d) = self.decided {
            return Ok(Value::Bool(d));
        }
        if let Some(m) = self.missing {
            return Err(m);
        }
        match self.agg {
            Aggregate::Sum => Ok(Value::Number(self.sum)),
            Aggregate::Count => Ok(Value::Number(Decimal::from(self.count))),
            Aggregate::Any => Ok(Value::Bool(false)),
            Aggregate::All => Ok(Value::Bool(true)),
            Aggregate::Filter => Ok(Value::List(Arc::from(self.items))),
            Aggregate::Min | Aggregate::Max => self.best.ok_or_else(|| {
                ev.error(
                    codes::EMPTY_LIST,
                    self.expr.span,
                    "`min` or `max` of an empty list has no value".into(),
                    "guard it with `when count(list) > 0`".into(),
                )
            }),
        }
    }
}
