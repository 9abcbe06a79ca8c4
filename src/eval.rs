//! Evaluation: a checked [`Program`] and validated [`Facts`] in, an
//! [`Evaluation`] out (outcomes, missing facts, and optionally the trace).
//!
//! Each definition is computed at most once per case. A definition's value
//! comes from its rules: the applicable rules that no applicable exception
//! displaces must be exactly one; two is a conflict, none is an error. An
//! optional fact that is absent makes what depends on it *undecided*, which
//! propagates like a value (Kleene logic for `and`/`or`) and ends as `null`
//! with the fact listed in `missing`.
//!
//! The evaluator walks the checked expressions directly. Conditions and
//! amounts, which are most of a statute, go through [`Evaluator::truth`] and
//! [`Evaluator::number`], which return a plain `bool` or `Decimal` instead of
//! a [`Value`]; everything else through [`Evaluator::expr`].
//!
//! With the trace asked for, the evaluator records what it decided and read
//! ([`record`]: rule statuses, fact and table reads, list items, by index
//! into the program), and the trace's nodes, with their citations and words,
//! are built from that record when first read ([`Evaluation::trace`]).

mod record;

use crate::diagnostic::Problem;
use crate::facts::Facts;
use crate::program::*;
use crate::render::value_json_in;
use crate::trace::TraceNode;
use crate::value::{Type, Value};
use record::{ChildRecord, Outcome, Record, Recorder, RuleRecord};
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
    pub const ILL_TYPED: &str = "lawcode::eval::ill_typed";
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
    trace: Option<Box<Traced>>,
}

/// What the evaluator recorded, and the trace's nodes once built from it.
#[derive(Debug, Clone)]
struct Traced {
    program: Program,
    record: Record,
    nodes: OnceLock<Vec<TraceNode>>,
}

impl PartialEq for Evaluation {
    fn eq(&self, other: &Evaluation) -> bool {
        self.statute() == other.statute()
            && self.version == other.version
            && self.outcomes().eq(other.outcomes())
            && self.missing == other.missing
            && self.trace() == other.trace()
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

    /// The trace, when tracing was asked for: the version applied, then one tree per outcome,
    /// then the provisions that compute nothing or tell a fact to be disregarded. Built from
    /// what the evaluation recorded the first time it is read.
    pub fn trace(&self) -> Option<&[TraceNode]> {
        let t = self.trace.as_deref()?;
        Some(t.nodes.get_or_init(|| t.record.expand(&t.program)))
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

/// Optional facts that are absent, by path (`court.relative_role_amount`).
type Missing = BTreeSet<String>;

/// Why evaluation of an expression stopped short of a value.
#[derive(Debug, Clone)]
enum Stop {
    /// Optional facts that are absent. Boxed, as the error is: a result is then two words,
    /// which a function returns in registers, and most expressions return one.
    Missing(Box<Missing>),
    Error(Box<EvalError>),
}

type R<T = Value> = Result<T, Stop>;

fn missing_union(a: Stop, b: Stop) -> Stop {
    match (a, b) {
        (Stop::Missing(mut x), Stop::Missing(y)) => {
            x.extend(*y);
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
    if options.trace {
        // The trace shows every definition with its rules, constants included.
        scratch.memo.resize(version.defs.len(), Memo::Todo);
    } else {
        scratch
            .memo
            .extend(constants(program, version).iter().map(|c| match c {
                Some(v) => Memo::Value(v.clone()),
                None => Memo::Todo,
            }));
    }
    scratch.applies.clear();
    scratch.rule_stack.clear();
    let mut ev = Evaluator {
        program,
        version,
        facts: &facts.values,
        memo: scratch.memo,
        locals: Vec::new(),
        rule_stack: scratch.rule_stack,
        applies: scratch.applies,
        rec: options.trace.then(|| {
            let mut rec = scratch
                .recorder
                .take()
                .unwrap_or_else(|| Box::new(Recorder::new()));
            rec.start(version.defs.len());
            rec
        }),
    };
    let result = evaluate_outcomes(&mut ev);
    let Evaluator {
        memo,
        rule_stack,
        applies,
        mut rec,
        ..
    } = ev;
    let result = result.map(|mut evaluation| {
        if let Some(rec) = &mut rec {
            evaluation.trace = Some(Box::new(Traced {
                program: program.clone(),
                record: rec.finish(vid, date, options.as_of.is_some(), facts),
                nodes: OnceLock::new(),
            }));
        }
        evaluation
    });
    SCRATCH.with(|s| {
        *s.borrow_mut() = Scratch {
            memo,
            rule_stack,
            applies,
            recorder: rec.or(scratch.recorder),
        }
    });
    result
}

/// The values of the definitions of `version` that read no fact, directly or through other
/// definitions (see [`VersionInfo::constants`]); `None` for the others, and for a constant
/// whose computation fails (it fails again, and is reported, in every case).
fn constants<'v>(program: &ProgramData, version: &'v VersionInfo) -> &'v [Option<Value>] {
    version.constants.get_or_init(|| {
        let n = version.defs.len();
        let mut reads_facts: Vec<Option<bool>> = vec![None; n];
        let mut ev = Evaluator {
            program,
            version,
            facts: &[],
            memo: vec![Memo::Todo; n],
            locals: Vec::new(),
            applies: Vec::new(),
            rule_stack: Vec::new(),
            rec: None,
        };
        (0..n)
            .map(|id| {
                if def_reads_facts(version, id, &mut reads_facts) {
                    None
                } else {
                    ev.def(id).ok()
                }
            })
            .collect()
    })
}

/// Whether definition `id` reads a fact, directly or through the definitions it reads.
fn def_reads_facts(version: &VersionInfo, id: DefId, known: &mut [Option<bool>]) -> bool {
    match known.get(id) {
        Some(Some(k)) => return *k,
        Some(None) => {}
        None => return true,
    }
    // The checker refuses cycles; should one slip through, it counts as reading facts.
    if let Some(k) = known.get_mut(id) {
        *k = Some(true);
    }
    let Some(def) = version.defs.get(id) else {
        return true;
    };
    let mut stack: Vec<&Expr> = def
        .rules
        .iter()
        .flat_map(|r| std::iter::once(&r.value).chain(r.condition.as_ref()))
        .collect();
    let mut reads = false;
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Fact(_) => reads = true,
            ExprKind::Def(d) => reads |= def_reads_facts(version, *d, known),
            _ => stack.extend(e.sub_exprs()),
        }
        if reads {
            break;
        }
    }
    if let Some(k) = known.get_mut(id) {
        *k = Some(reads);
    }
    reads
}

/// Working vectors of an [`Evaluator`] that outlive one case (see [`evaluate`]).
#[derive(Default)]
struct Scratch {
    memo: Vec<Memo>,
    rule_stack: Vec<(DefId, RuleId)>,
    applies: Vec<Applies>,
    /// Kept between traced cases, so that its working vectors are too.
    recorder: Option<Box<Recorder>>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn evaluate_outcomes(ev: &mut Evaluator<'_>) -> Result<Evaluation, EvalError> {
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
                    missing.extend(*m);
                    Value::Absent
                }
                Err(Stop::Error(e)) => return Err(*e),
            },
        };
        values.push(value);
    }
    Ok(Evaluation {
        shape: Arc::clone(&program.shape),
        version: (!version.name.is_empty()).then_some(version.effective),
        values,
        json: OnceLock::new(),
        missing: missing.into_iter().collect(),
        trace: None,
    })
}

/// Whether a rule's condition held.
#[derive(Debug, Clone)]
enum Applies {
    Yes,
    No,
    Unknown(Missing),
}

/// A definition's value for this case, once computed.
#[derive(Debug, Clone)]
enum Memo {
    Todo,
    Value(Value),
    Missing(Missing),
}

/// Where a bound list element came from: the list expression and its index.
#[derive(Clone, Copy)]
struct Local<'p> {
    source: &'p Expr,
    index: usize,
}

struct Evaluator<'p> {
    program: &'p ProgramData,
    version: &'p VersionInfo,
    facts: &'p [Value],
    memo: Vec<Memo>,
    locals: Vec<(Value, Local<'p>)>,
    /// Whether each rule of the definitions being computed applies, innermost last.
    applies: Vec<Applies>,
    /// The rules being evaluated, innermost last, for error messages and fact citations.
    rule_stack: Vec<(DefId, RuleId)>,
    /// Present when tracing.
    rec: Option<Box<Recorder>>,
}

impl<'p> Evaluator<'p> {
    fn rule(&self, def: DefId, rule: RuleId) -> Option<&'p RuleDef> {
        self.version.defs.get(def).and_then(|d| d.rules.get(rule))
    }

    fn label_of_rule(&self, def: DefId, rule: RuleId) -> String {
        label_of_rule(self.program, self.version, def, rule)
    }

    /// The provision trace nodes read under: the innermost rule's (`None`: the statute's).
    fn here(&self) -> Option<ProvisionId> {
        let &(d, r) = self.rule_stack.last()?;
        self.rule(d, r).map(|r| r.provision)
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
                let citation = self
                    .rule(d, r)
                    .and_then(|r| self.program.provisions.get(r.provision))
                    .map(|p| p.citation.as_str())
                    .unwrap_or(&self.program.statute.citation);
                format!("{citation}, rule for `{name}`: ")
            }
            None => String::new(),
        };
        Stop::Error(Box::new(
            Problem::error(code, format!("{context}{message}"))
                .with_help(help)
                .label(&self.program.sources, span, "while evaluating this"),
        ))
    }

    /// A value of the wrong type where the checker guarantees the type: a bug in lawcode,
    /// reported as an error rather than a panic or a guess.
    fn ill_typed(&self, e: &Expr, got: &Value) -> Stop {
        self.error(
            codes::ILL_TYPED,
            e.span,
            format!("expected a value of type {}, got {got:?}", e.ty),
            "this is a bug in lawcode's checker, not in the rule file; please report it with the rule file and the facts".into(),
        )
    }

    /// Records a trace child in the innermost open frame, when tracing.
    fn record(&mut self, child: impl FnOnce(&Self) -> ChildRecord) {
        if self.rec.is_some() {
            let c = child(self);
            if let Some(rec) = &mut self.rec {
                rec.push(c);
            }
        }
    }

    fn open_frame(&mut self) {
        if let Some(rec) = &mut self.rec {
            rec.open();
        }
    }

    fn close_frame(&mut self) -> record::List {
        match &mut self.rec {
            Some(rec) => rec.close(),
            None => record::List::EMPTY,
        }
    }

    // ------------------------------------------------------------ definitions

    fn def(&mut self, id: DefId) -> R {
        self.record(|_| ChildRecord::Def(id));
        match self.memo.get(id) {
            Some(Memo::Value(v)) => return Ok(v.clone()),
            Some(Memo::Missing(m)) => return Err(Stop::Missing(Box::new(m.clone()))),
            Some(Memo::Todo) | None => {}
        }
        // A definition sees none of the list elements bound where it happens to be read first:
        // its own list expressions number their variables from depth 0.
        let result = if self.locals.is_empty() && self.rec.is_none() {
            self.compute_def(id)
        } else {
            let locals = std::mem::take(&mut self.locals);
            let bound = self.rec.as_deref_mut().map(Recorder::unbind_all);
            let result = self.compute_def(id);
            self.locals = locals;
            if let (Some(rec), Some(bound)) = (&mut self.rec, bound) {
                rec.rebind_all(bound);
            }
            result
        };
        if let Some(slot) = self.memo.get_mut(id) {
            match &result {
                Ok(v) => *slot = Memo::Value(v.clone()),
                Err(Stop::Missing(m)) => *slot = Memo::Missing(Missing::clone(m)),
                Err(Stop::Error(_)) => {}
            }
        }
        result
    }

    fn compute_def(&mut self, id: DefId) -> R {
        let version = self.version;
        let Some(def) = version.defs.get(id) else {
            return Err(Stop::Missing(Box::default()));
        };
        if let [rule] = def.rules.as_slice() {
            if rule.condition.is_none() && rule.exceptions.is_empty() {
                return self.compute_single(id, def, rule);
            }
        }
        // This definition's rule statuses sit on a stack shared by every definition being
        // computed, from `base` up: no allocation per definition.
        let base = self.applies.len();
        let rules_base = self.rec.as_deref().map_or(0, Recorder::pending_rules);
        for (i, rule) in def.rules.iter().enumerate() {
            self.rule_stack.push((id, i));
            self.open_frame();
            let a = match &rule.condition {
                None => Ok(Applies::Yes),
                Some(c) => match self.truth(c) {
                    Ok(true) => Ok(Applies::Yes),
                    Ok(false) => Ok(Applies::No),
                    Err(Stop::Missing(m)) => Ok(Applies::Unknown(*m)),
                    Err(e) => Err(e),
                },
            };
            let reads = self.close_frame();
            self.rule_stack.pop();
            let a = match a {
                Ok(a) => a,
                Err(e) => {
                    self.applies.truncate(base);
                    if let Some(rec) = &mut self.rec {
                        rec.drop_pending_rules(rules_base);
                    }
                    return Err(e);
                }
            };
            if let Some(rec) = &mut self.rec {
                rec.push_rule(RuleRecord::new(a.clone(), reads));
            }
            // INVARIANT: definitions computed while evaluating the condition above truncated
            // the stack back to where they found it, so this rule's status lands at base + i.
            self.applies.push(a);
        }
        let stack = std::mem::take(&mut self.applies);
        let applies = stack.get(base..).unwrap_or_default();

        // The first two rules that apply and are not displaced by an applying exception below
        // them (two are a conflict), and the facts that leave others undecided.
        let mut candidates: (Option<RuleId>, Option<RuleId>) = (None, None);
        let mut unknown: Option<Missing> = None;
        for (i, a) in applies.iter().enumerate() {
            if matches!(a, Applies::No) {
                continue;
            }
            if let Some(by) = first_applying_exception(def, applies, i) {
                if let (Some(rec), Applies::Yes) = (&mut self.rec, a) {
                    rec.displace_pending_rule(rules_base + i, by);
                }
                continue;
            }
            match a {
                Applies::Yes => match candidates {
                    (None, _) => candidates.0 = Some(i),
                    (Some(_), None) => candidates.1 = Some(i),
                    (Some(_), Some(_)) => {}
                },
                Applies::Unknown(m) => unknown.get_or_insert_default().extend(m.iter().cloned()),
                Applies::No => {}
            }
        }
        let mut stack = stack;
        stack.truncate(base);
        self.applies = stack;

        let outcome: R = match (unknown, candidates) {
            (Some(m), _) => Err(Stop::Missing(Box::new(m))),
            (None, (None, _)) => Err(self.no_rule_applies(id, def)),
            (None, (Some(one), None)) => match def.rules.get(one) {
                Some(rule) => {
                    self.rule_stack.push((id, one));
                    self.open_frame();
                    let v = self.expr(&rule.value);
                    let reads = self.close_frame();
                    self.rule_stack.pop();
                    if let Some(rec) = &mut self.rec {
                        rec.pending_rule_value(rules_base + one, &v, reads);
                    }
                    v.and_then(|v| self.check_money(def, one, v))
                }
                None => Err(Stop::Missing(Box::default())),
            },
            (None, (Some(a), Some(b))) => Err(self.conflict(id, def, a, b)),
        };

        if let Some(rec) = &mut self.rec {
            let winner = match (&outcome, candidates) {
                (Ok(_) | Err(Stop::Missing(_)), (Some(one), None)) => Some(one),
                _ => None,
            };
            rec.finish_def(id, rules_base, winner, Outcome::of(&outcome));
        }
        outcome
    }

    /// A definition with one rule, unconditional and without exceptions: most of them.
    fn compute_single(&mut self, id: DefId, def: &'p Definition, rule: &'p RuleDef) -> R {
        self.rule_stack.push((id, 0));
        self.open_frame();
        let v = self.expr(&rule.value);
        let reads = self.close_frame();
        self.rule_stack.pop();
        let outcome = v.and_then(|v| self.check_money(def, 0, v));
        if let Some(rec) = &mut self.rec {
            let base = rec.pending_rules();
            let mut r = RuleRecord::new(Applies::Yes, record::List::EMPTY);
            r.set_value(&outcome, reads);
            rec.push_rule(r);
            let winner = (!matches!(outcome, Err(Stop::Error(_)))).then_some(0);
            rec.finish_def(id, base, winner, Outcome::of(&outcome));
        }
        outcome
    }

    fn no_rule_applies(&self, id: DefId, def: &Definition) -> Stop {
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
        Stop::Error(Box::new(p))
    }

    fn conflict(&self, id: DefId, def: &Definition, a: RuleId, b: RuleId) -> Stop {
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
        Stop::Error(Box::new(p))
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

    /// A condition: an expression the checker typed `bool`.
    fn truth(&mut self, e: &'p Expr) -> R<bool> {
        match &e.kind {
            ExprKind::Literal(Value::Bool(b)) => Ok(*b),
            ExprKind::Not(x) => Ok(!self.truth(x)?),
            ExprKind::And(a, b) => self.kleene(a, b, false),
            ExprKind::Or(a, b) => self.kleene(a, b, true),
            ExprKind::Compare(op, a, b) if a.ty.is_numeric() && b.ty.is_numeric() => {
                let (x, y) = self.both(a, b, Self::number)?;
                Ok(compare(*op, x.cmp(&y)))
            }
            ExprKind::Within(a, b) => {
                if let Some(holds) = self.within_in_place(a, b) {
                    return Ok(holds);
                }
                let (x, y) = self.both(a, b, Self::expr)?;
                Ok(match (&x, &y) {
                    (Value::Citation(c), Value::Citation(p)) => c.is_within(p),
                    (Value::Citation(c), Value::Provisions(set)) => {
                        set.iter().any(|p| p.contains(c))
                    }
                    _ => return Err(self.ill_typed(a, &x)),
                })
            }
            ExprKind::Fact(_) | ExprKind::Field(..) | ExprKind::Local(_) => {
                if let Some(Ok(Value::Bool(b))) = self.place_ref(e) {
                    let b = *b;
                    if !matches!(e.kind, ExprKind::Local(_)) {
                        self.record(|ev| {
                            ChildRecord::fact(ev.here(), e, ev.binding(), Value::Bool(b))
                        });
                    }
                    return Ok(b);
                }
                match self.expr(e)? {
                    Value::Bool(b) => Ok(b),
                    other => Err(self.ill_typed(e, &other)),
                }
            }
            _ => match self.expr(e)? {
                Value::Bool(b) => Ok(b),
                other => Err(self.ill_typed(e, &other)),
            },
        }
    }

    /// An amount or count: an expression the checker typed integer, decimal or money.
    fn number(&mut self, e: &'p Expr) -> R<Decimal> {
        match &e.kind {
            ExprKind::Literal(Value::Number(d)) => Ok(*d),
            ExprKind::Arith(op, a, b) => {
                let (x, y) = self.both(a, b, Self::number)?;
                self.arith(*op, x, y, e)
            }
            ExprKind::Neg(x) => Ok(-self.number(x)?),
            ExprKind::Fact(_) | ExprKind::Field(..) | ExprKind::Local(_) => {
                if let Some(Ok(Value::Number(d))) = self.place_ref(e) {
                    let d = *d;
                    if !matches!(e.kind, ExprKind::Local(_)) {
                        self.record(|ev| {
                            ChildRecord::fact(ev.here(), e, ev.binding(), Value::Number(d))
                        });
                    }
                    return Ok(d);
                }
                match self.expr(e)? {
                    Value::Number(d) => Ok(d),
                    other => Err(self.ill_typed(e, &other)),
                }
            }
            _ => match self.expr(e)? {
                Value::Number(d) => Ok(d),
                other => Err(self.ill_typed(e, &other)),
            },
        }
    }

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
            ExprKind::Local(_) => self.place(e),
            ExprKind::Fact(_) | ExprKind::Field(..) => {
                let v = self.place(e)?;
                self.record(|ev| ChildRecord::fact(ev.here(), e, ev.binding(), v.clone()));
                if matches!(v, Value::Absent) {
                    return Err(self.missing(e));
                }
                Ok(v)
            }
            ExprKind::Table(tid, key) => {
                let k = self.expr(key)?;
                let table = self.program.tables.get(*tid);
                let found = table.and_then(|t| {
                    crate::program::TableKey::from_value(&k).and_then(|key| t.rows.get(&key))
                });
                match (table, found) {
                    (Some(_), Some(v)) => {
                        self.record(|ev| ChildRecord::Table {
                            here: ev.here(),
                            table: *tid,
                            key_expr: key.id,
                            key: k.clone(),
                            value: v.clone(),
                        });
                        Ok(v.clone())
                    }
                    (t, _) => {
                        let name = t.map(|t| t.name.as_str()).unwrap_or("?");
                        let source = t.map(|t| t.source.as_str()).unwrap_or("");
                        let key_text = record::key_text(&self.program.schema, &key.ty, &k);
                        Err(self.error(
                            codes::MISSING_TABLE_ROW,
                            e.span,
                            format!("table `{name}` has no row for {key_text}"),
                            format!("the table has no data for this key; add the row from its source ({source}) once it is published"),
                        ))
                    }
                }
            }
            ExprKind::Not(x) => Ok(Value::Bool(!self.truth(x)?)),
            ExprKind::And(..) | ExprKind::Or(..) | ExprKind::Within(..) => {
                self.truth(e).map(Value::Bool)
            }
            ExprKind::Neg(_) | ExprKind::Arith(..) => self.number(e).map(Value::Number),
            ExprKind::Compare(op, a, b) => {
                if a.ty.is_numeric() && b.ty.is_numeric() {
                    return self.truth(e).map(Value::Bool);
                }
                let (x, y) = self.both(a, b, Self::expr)?;
                let ord = match (&x, &y) {
                    (Value::Number(p), Value::Number(q)) => Some(p.cmp(q)),
                    (Value::Date(p), Value::Date(q)) => Some(p.cmp(q)),
                    _ => None,
                };
                Ok(Value::Bool(match (op, ord) {
                    (Compare::Eq, _) => x.same_as(&y),
                    (Compare::Ne, _) => !x.same_as(&y),
                    (op, Some(o)) => compare(*op, o),
                    (_, None) => false,
                }))
            }
            ExprKind::In {
                item,
                list,
                negated,
            } => {
                let (x, l) = self.both(item, list, Self::expr)?;
                let found = match &l {
                    Value::List(items) => items.iter().any(|i| i.same_as(&x)),
                    other => return Err(self.ill_typed(list, other)),
                };
                Ok(Value::Bool(found != *negated))
            }
            ExprKind::If(c, t, f) => match self.truth(c)? {
                true => self.expr(t),
                false => self.expr(f),
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
                    (None, None) => Err(self.ill_typed(e, &Value::Absent)),
                }
            }
            ExprKind::Year(d) => match self.expr(d)? {
                Value::Date(d) => Ok(Value::Number(Decimal::from(d.year()))),
                other => Err(self.ill_typed(d, &other)),
            },
            ExprKind::Round {
                value,
                places,
                mode,
            } => {
                let d = self.number(value)?;
                let strategy = match mode {
                    Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
                    Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
                    Rounding::TowardZero => RoundingStrategy::ToZero,
                    Rounding::AwayFromZero => RoundingStrategy::AwayFromZero,
                };
                Ok(Value::Number(d.round_dp_with_strategy(*places, strategy)))
            }
            ExprKind::Given(x) => {
                let v = self.place(x)?;
                let given = !matches!(v, Value::Absent);
                self.record(|ev| ChildRecord::fact(ev.here(), x, ev.binding(), v));
                Ok(Value::Bool(given))
            }
            ExprKind::AggregateList(agg, list) => {
                let items = match self.expr(list)? {
                    Value::List(items) => items,
                    other => return Err(self.ill_typed(list, &other)),
                };
                let mut acc = Accumulator::new(*agg, e);
                for v in items.iter() {
                    acc.add(self, Ok(v.clone()))?;
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
            } => self.comprehension(e, *aggregate, element, *local, source, filter.as_deref()),
        }
    }

    fn comprehension(
        &mut self,
        e: &'p Expr,
        aggregate: Aggregate,
        element: &'p Expr,
        local: usize,
        source: &'p Expr,
        filter: Option<&'p Expr>,
    ) -> R {
        // A list of facts is shown item by item below, not also whole.
        let list = match &source.kind {
            ExprKind::Fact(_) | ExprKind::Field(..) => match self.place(source)? {
                Value::Absent => return Err(self.missing(source)),
                v => v,
            },
            _ => self.expr(source)?,
        };
        let items = match list {
            Value::List(items) => items,
            other => return Err(self.ill_typed(source, &other)),
        };
        if items.is_empty() {
            // With no items to show, show the empty list itself.
            self.record(|ev| ChildRecord::EmptyList {
                here: ev.here(),
                source: source.id,
                binding: ev.binding(),
            });
        }
        let mut acc = Accumulator::new(aggregate, e);
        for (index, item) in items.iter().enumerate() {
            // INVARIANT: the checker numbered locals by nesting depth, so this one sits at `local`.
            self.locals.truncate(local);
            self.locals.push((item.clone(), Local { source, index }));
            let outer = self.binding();
            if let Some(rec) = &mut self.rec {
                rec.bind(local, source.id, index);
                rec.open();
            }
            let keep = match filter {
                None => Ok(true),
                Some(f) => self.truth(f),
            };
            let step = match keep {
                Ok(true) => Ok(Some(match aggregate {
                    Aggregate::Any | Aggregate::All => self.truth(element).map(Value::Bool),
                    Aggregate::Sum => self.number(element).map(Value::Number),
                    _ => self.expr(element),
                })),
                Ok(false) => Ok(None),
                Err(Stop::Missing(m)) => Ok(Some(Err(Stop::Missing(m)))),
                Err(err) => Err(err),
            };
            let reads = self.close_frame();
            self.locals.truncate(local);
            if let Some(rec) = &mut self.rec {
                rec.unbind(local);
            }
            let step = step?;
            self.record(|ev| ChildRecord::Item {
                here: ev.here(),
                source: source.id,
                binding: outer,
                index,
                element: element.id,
                filtered: filter.is_some(),
                step: match &step {
                    None => record::Step::Excluded,
                    Some(Ok(v)) => record::Step::Included(v.clone()),
                    Some(Err(_)) => record::Step::Undecided,
                },
                reads,
            });
            if let Some(step) = step {
                acc.add(self, step)?;
            }
        }
        acc.finish(self)
    }

    /// `c.section within trafficking_provisions`, the statute's commonest test, with both sides
    /// read where they lie: a citation given in the facts, and a provision set that is a
    /// literal or an already computed definition. `None` when the operands are of another
    /// shape (or the citation is not given); the general path then evaluates them.
    fn within_in_place(&mut self, a: &'p Expr, b: &'p Expr) -> Option<bool> {
        let Some(Ok(Value::Citation(c))) = self.place_ref(a) else {
            return None;
        };
        let set = match &b.kind {
            ExprKind::Def(id) => match self.memo.get(*id) {
                Some(Memo::Value(v)) => v,
                _ => return None,
            },
            ExprKind::Literal(v) => v,
            ExprKind::Provisions(set) => {
                return self.within_recorded(a, b, set.iter().any(|p| p.contains(c)));
            }
            _ => return None,
        };
        let holds = match set {
            Value::Provisions(set) => set.iter().any(|p| p.contains(c)),
            Value::Citation(p) => c.is_within(p),
            _ => return None,
        };
        self.within_recorded(a, b, holds)
    }

    /// Records the reads of [`Self::within_in_place`] as the general path would: the fact,
    /// then the definition.
    fn within_recorded(&mut self, a: &'p Expr, b: &'p Expr, holds: bool) -> Option<bool> {
        if self.rec.is_some() {
            if !matches!(a.kind, ExprKind::Local(_)) {
                let value = match self.place_ref(a) {
                    Some(Ok(v)) => v.clone(),
                    _ => Value::Absent,
                };
                self.record(|ev| ChildRecord::fact(ev.here(), a, ev.binding(), value));
            }
            if let ExprKind::Def(id) = b.kind {
                self.record(|_| ChildRecord::Def(id));
            }
        }
        Some(holds)
    }

    /// `and` (stop_on = false) and `or` (stop_on = true) with undecided operands:
    /// `false and undecided` is false, `true or undecided` is true.
    fn kleene(&mut self, a: &'p Expr, b: &'p Expr, stop_on: bool) -> R<bool> {
        let first = match self.truth(a) {
            Ok(x) if x == stop_on => return Ok(stop_on),
            Ok(_) => None,
            Err(s @ Stop::Error(_)) => return Err(s),
            Err(s) => Some(s),
        };
        match self.truth(b) {
            Ok(y) if y == stop_on => Ok(stop_on),
            Ok(y) => match first {
                None => Ok(y),
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
    fn both<T>(
        &mut self,
        a: &'p Expr,
        b: &'p Expr,
        eval: fn(&mut Self, &'p Expr) -> R<T>,
    ) -> R<(T, T)> {
        let x = eval(self, a);
        if let Err(s @ Stop::Error(_)) = x {
            return Err(s);
        }
        let y = eval(self, b);
        match (x, y) {
            (Ok(x), Ok(y)) => Ok((x, y)),
            (Err(s), Ok(_)) | (Ok(_), Err(s)) => Err(s),
            (Err(s), Err(t)) => Err(missing_union(s, t)),
        }
    }

    fn arith(&self, op: Arith, x: Decimal, y: Decimal, e: &Expr) -> R<Decimal> {
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
        r.ok_or_else(|| {
            self.error(
                codes::OVERFLOW,
                e.span,
                format!("{x} {sym} {y} is beyond the exact decimal range"),
                "amounts are exact to 28 significant digits; check the facts for an implausibly large amount".into(),
            )
        })
    }

    /// Undecided for want of the optional fact `e` reads.
    fn missing(&self, e: &Expr) -> Stop {
        let mut m = Missing::new();
        m.insert(self.path_text(e));
        Stop::Missing(Box::new(m))
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
                    Value::Absent => Err(self.missing(inner)),
                    other => Err(self.ill_typed(inner, &other)),
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
                Ok(Value::Absent) => Err(self.missing(inner)),
                Ok(other) => Err(self.ill_typed(inner, other)),
            }),
            _ => None,
        }
    }

    /// The innermost bound list element, as the trace records it.
    fn binding(&self) -> Option<u32> {
        self.rec.as_deref().and_then(Recorder::binding)
    }

    /// `victim.losses[2].amount`: the fact path an expression reads, for `missing`.
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
            ExprKind::Field(inner, i) => format!(
                "{}.{}",
                self.path_text(inner),
                field_name(&self.program.schema, inner, *i)
            ),
            _ => self.program.sources.snippet(e.span).to_string(),
        }
    }
}

/// The name of field `i` of the record `inner` evaluates to.
fn field_name<'s>(schema: &'s Schema, inner: &Expr, i: usize) -> &'s str {
    match &inner.ty {
        Type::Record(r) => schema
            .records
            .get(*r)
            .and_then(|r| r.fields.get(i))
            .map(|f| f.name.as_str()),
        _ => None,
    }
    .unwrap_or("?")
}

/// `(b)(2)(B)`: the label of the provision a rule sits in.
fn label_of_rule(program: &ProgramData, version: &VersionInfo, def: DefId, rule: RuleId) -> String {
    version
        .defs
        .get(def)
        .and_then(|d| d.rules.get(rule))
        .and_then(|r| program.provisions.get(r.provision))
        .map(|p| p.label.clone())
        .unwrap_or_default()
}

fn compare(op: Compare, o: std::cmp::Ordering) -> bool {
    match op {
        Compare::Eq => o.is_eq(),
        Compare::Ne => o.is_ne(),
        Compare::Lt => o.is_lt(),
        Compare::Le => o.is_le(),
        Compare::Gt => o.is_gt(),
        Compare::Ge => o.is_ge(),
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

fn join_facts(m: &Missing) -> String {
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

    fn add(&mut self, ev: &Evaluator, item: R) -> Result<(), Stop> {
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
