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
//! The rules run as closures (`eval/compile.rs`, built once per version): conditions
//! and amounts, which are most of a statute, return a plain `bool` or
//! `Decimal` instead of a [`Value`]. This module holds what is decided per
//! definition: which rules apply, which exception displaces which rule, and
//! the value that results.
//!
//! With the trace asked for, the evaluator records what it decided and read
//! (`eval/record.rs`: rule statuses, fact and table reads, list items, by index
//! into the program), and the trace's nodes, with their citations and words,
//! are built from that record when first read ([`Evaluation::trace`]).

mod compile;
mod expand;
mod record;
pub mod trace;

pub use compile::CompiledVersion;

use crate::diagnostic::Problem;
use crate::eval::trace::TraceNode;
use crate::facts::Facts;
use crate::program::{
    Aggregate, Arith, Compare, DefId, Definition, OutcomeShape, ProgramData, ProvisionId, RuleId,
    Version, VersionId,
};
use crate::value::{Type, Value};
use record::{ChildRecord, Outcome, Record, Recorder, RuleRecord};
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

crate::diagnostic::stage_kinds! {
    /// Why an evaluation stopped: one kind per stable code (`lawcode::eval::…`), each citing the
    /// provision of the rule that failed.
    pub enum EvalKind;

    /// A computation leaves the exact decimal range; names the rule and cites its provision.
    OVERFLOW, Overflow = "lawcode::eval::overflow";
    /// A division by zero; names the rule and cites its provision.
    DIVISION_BY_ZERO, DivisionByZero = "lawcode::eval::division_by_zero";
    /// Two applicable rules for one value, neither an exception to the other; names both.
    CONFLICT, Conflict = "lawcode::eval::conflict";
    /// No rule for a value applies to the case.
    NO_RULE_APPLIES, NoRuleApplies = "lawcode::eval::no_rule_applies";
    /// A data table has no row for the key (e.g. the CPI-U of a year not yet published).
    MISSING_TABLE_ROW, MissingTableRow = "lawcode::eval::missing_table_row";
    /// A `from` table is looked up at a key before its first row (a date before the first
    /// minimum wage in the table): nothing was in force yet.
    BEFORE_FIRST_ROW, BeforeFirstRow = "lawcode::eval::before_first_row";
    /// The date fact that selects the text is before the first version, and the rule set says
    /// `refuse earlier dates`: no encoded text was in force on it.
    BEFORE_FIRST_TEXT, BeforeFirstText = "lawcode::eval::before_first_text";
    /// A money definition is not a whole number of cents; the rules must round explicitly.
    UNROUNDED_MONEY, UnroundedMoney = "lawcode::eval::unrounded_money";
    /// Month or year arithmetic lands on a day the month does not have (January 31 plus a
    /// month) and the rule does not say how to round it (`round_down` or `round_up`).
    AMBIGUOUS_DATE, AmbiguousDate = "lawcode::eval::ambiguous_date";
    /// Calendar arithmetic leaves the supported dates (years -9999 to 9999).
    DATE_OUT_OF_RANGE, DateOutOfRange = "lawcode::eval::date_out_of_range";
    /// `min` or `max` of an empty list.
    EMPTY_LIST, EmptyList = "lawcode::eval::empty_list";
    /// A value of another type than the checker gave the expression: a bug in lawcode, reported
    /// instead of a panic or a guess; no program the checker accepts should produce it.
    ILL_TYPED, IllTyped = "lawcode::eval::ill_typed";
}

/// A checked rule set, ready to evaluate any number of cases.
///
/// The checked program, and each version's rules compiled to closures on the first case that
/// version decides. A cheap handle (two reference counts): an evaluation with a trace keeps
/// one, so that its trace is expanded into nodes only when read.
#[derive(Debug, Clone)]
pub struct Program {
    checked: Arc<ProgramData>,
    /// One per version, in the order of `checked.versions`.
    compiled: Arc<[OnceLock<CompiledVersion>]>,
    /// Each provision as the `provisions` map of a traced result writes it, rendered once
    /// (by `render`, which owns the format) and then copied into every traced result.
    provisions_json: Arc<OnceLock<Vec<String>>>,
}

impl Program {
    /// Wraps what the checker produced; nothing is compiled until a case needs it.
    pub(crate) fn new(checked: ProgramData) -> Program {
        let compiled = checked.versions.iter().map(|_| OnceLock::new()).collect();
        Program {
            checked: Arc::new(checked),
            compiled,
            provisions_json: Arc::default(),
        }
    }

    /// The provisions as `render` writes them, by provision id: built by `build` the first
    /// time they are asked for.
    pub(crate) fn provisions_json(
        &self,
        build: impl FnOnce(&ProgramData) -> Vec<String>,
    ) -> &[String] {
        self.provisions_json.get_or_init(|| build(&self.checked))
    }

    /// The checked program back, to change it (a test that builds what the checker would
    /// refuse); `Err` with the handle while another handle (or an evaluation's trace) still
    /// shares it. Its compiled code is dropped: [`Program::new`] compiles afresh.
    #[cfg(test)]
    pub(crate) fn into_checked(self) -> Result<ProgramData, Program> {
        let Program {
            checked,
            compiled,
            provisions_json,
        } = self;
        Arc::try_unwrap(checked).map_err(|checked| Program {
            checked,
            compiled,
            provisions_json,
        })
    }

    /// A version, and its rules as the evaluator runs them, compiled on first use.
    fn version(&self, vid: VersionId) -> Option<(&Version, &CompiledVersion)> {
        let version = self.checked.versions.get(vid)?;
        let cell = self.compiled.get(vid)?;
        Some((
            version,
            cell.get_or_init(|| CompiledVersion::new(&self.checked, version)),
        ))
    }

    /// Validates a case's facts (JSON text) against this program's schema.
    pub fn read_facts(&self, name: &str, json: &str) -> Result<Facts, crate::facts::FactsError> {
        crate::facts::read_facts(self.schema(), name, json)
    }

    /// Validates a partial facts document (JSON text): what is given is checked as strictly as by
    /// [`Program::read_facts`], and every fact not given, required ones and ones with a default
    /// too, is unknown (see [`crate::facts::read_partial_facts`]).
    pub fn read_partial_facts(
        &self,
        name: &str,
        json: &str,
    ) -> Result<Facts, crate::facts::FactsError> {
        crate::facts::read_partial_facts(self.schema(), name, json)
    }

    /// [`Program::read_partial_facts`] of facts already parsed as JSON.
    pub fn partial_facts_from_value(
        &self,
        name: &str,
        doc: &serde_json::Value,
    ) -> Result<Facts, crate::facts::FactsError> {
        crate::facts::validate_partial(self.schema(), name, doc)
    }

    /// Validates facts already parsed as JSON (a batch line, a request body, a Python dict).
    /// The problems name each fact by its path but carry no source location.
    pub fn facts_from_value(
        &self,
        name: &str,
        doc: &serde_json::Value,
    ) -> Result<Facts, crate::facts::FactsError> {
        crate::facts::validate(self.schema(), name, doc)
    }

    /// Evaluates every outcome for one case.
    pub fn evaluate(&self, facts: &Facts, options: EvalOptions) -> Result<Evaluation, EvalError> {
        evaluate(self, facts, options)
    }
}

/// What a program says, read-only: its header, versions, facts schema, outcomes, provisions,
/// tables and sources. (The checked data itself stays behind these: the evaluator's compiled
/// code and the program's invariants are not a caller's to reach around.)
impl Program {
    /// The `statute` header: citation and title.
    pub fn statute(&self) -> &crate::program::Statute {
        &self.checked.statute
    }
    /// The versions of the text, in date order.
    pub fn versions(&self) -> &[Version] {
        &self.checked.versions
    }
    /// The date fact that selects the version, when there are several.
    pub fn version_selector(&self) -> Option<&crate::program::VersionSelector> {
        self.checked.version_selector.as_ref()
    }
    /// The facts a case supplies: their names, types, defaults and descriptions.
    pub fn schema(&self) -> &crate::program::Schema {
        &self.checked.schema
    }
    /// The declared outcomes, in declaration order.
    pub fn outcomes(&self) -> &[crate::program::OutcomeDecl] {
        &self.checked.outcomes
    }
    /// Every provision, in source order (a [`ProvisionId`] indexes it).
    pub fn provisions(&self) -> &[crate::program::Provision] {
        &self.checked.provisions
    }
    /// The data tables (`cpi_u`), in declaration order.
    pub fn tables(&self) -> &[crate::program::Table] {
        &self.checked.tables
    }
    /// The rule files' texts, for diagnostics and coverage.
    pub fn sources(&self) -> &crate::source::SourceMap {
        &self.checked.sources
    }
    /// Everything the checker produced, for the stages built on it (rendering, coverage).
    pub(crate) fn checked(&self) -> &ProgramData {
        &self.checked
    }
}

/// A case the rules could not evaluate (overflow, conflict, a missing table row…).
pub type EvalError = Problem;

/// The result of evaluating one case.
///
/// Outcomes are kept as typed values and turned into the contract's JSON only when asked for
/// ([`Evaluation::outcome`], [`Evaluation::outcomes`]) or written
/// (`render::write_evaluation_json`): a batch writes them without building any
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

    /// The program that evaluated this case, when traced (the trace's words come from it).
    pub(crate) fn program(&self) -> Option<&Program> {
        self.trace.as_deref().map(|t| &t.program)
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
                .map(|(ty, v)| shape.schema.value_json(ty, v))
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
    /// Optional facts that are absent. Behind a pointer, as the error is, so that `Stop` is two
    /// words (a condition's `Result<bool, Stop>` is returned in registers); shared, because the
    /// same set is kept by the memo, the rule statuses and the trace.
    Missing(Arc<Missing>),
    Error(Box<EvalError>),
}

/// What evaluating a part of a rule gives: its value, or why it has none (a missing fact or an
/// error), which stops the evaluation of what reads it.
type Evaluated<T = Value> = Result<T, Stop>;

fn missing_union(a: Stop, b: Stop) -> Stop {
    match (a, b) {
        (Stop::Missing(mut x), Stop::Missing(y)) => {
            if !y.is_subset(&x) {
                Arc::make_mut(&mut x).extend(y.iter().cloned());
            }
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
        .versions()
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
            .version_selector()
            .as_ref()
            .and_then(|s| match facts.values.get(s.fact) {
                Some(Value::Date(d)) => Some(*d),
                _ => None,
            });
    if let (Some(selector), Some(d), None) =
        (program.version_selector(), selected_by_fact, options.as_of)
        && let (Some(why), Some(first)) = (&selector.refuse_earlier, program.versions().first())
        && d < first.effective
    {
        return Err(Problem::error(
            codes::BEFORE_FIRST_TEXT,
            format!(
                "`{}` is {d}, before {}, when the earliest text these rules encode came into force",
                selector.fact_name, first.effective
            ),
        )
        .with_help(format!("{why}; check `{}`", selector.fact_name)));
    }
    let date = options.as_of.or(selected_by_fact);
    let vid = date.map(|d| version_in_force(program, d)).unwrap_or(0);
    let Some((version, code)) = program.version(vid) else {
        return Err(Problem::error(
            codes::NO_RULE_APPLIES,
            "the rule set has no version to apply",
        ));
    };
    // The evaluator's working vectors are kept per thread between cases: a batch evaluates
    // millions of cases, and allocating them afresh was a large share of a case's cost.
    let mut scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    // Every entry is `Todo` between cases (see the end of this function), so the memo is only
    // grown, never refilled: versions of different sizes share it.
    if scratch.memo.len() < version.defs.len() {
        scratch.memo.resize(version.defs.len(), Memo::Todo);
    }
    scratch.applies.clear();
    scratch.locals.clear();
    let mut ev = Evaluator {
        program: program.checked(),
        version,
        code,
        facts: &facts.values,
        unknown: &facts.unknown,
        memo: scratch.memo,
        computed: scratch.computed,
        locals: scratch.locals,
        applies: scratch.applies,
        def_depth: 0,
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
        mut memo,
        mut computed,
        mut locals,
        applies,
        mut rec,
        ..
    } = ev;
    // The bound list elements and the definitions' values share the case's values: let them
    // go with the case, and leave the memo empty for the next.
    locals.clear();
    for id in computed.drain(..) {
        if let Some(slot) = memo.get_mut(id) {
            *slot = Memo::Todo;
        }
    }
    let result = result.map(|mut evaluation| {
        if let Some(rec) = &mut rec {
            evaluation.trace = Some(Box::new(Traced {
                program: program.clone(),
                record: rec.finish(vid, date, options.as_of.is_some(), &facts.values),
                nodes: OnceLock::new(),
            }));
        }
        evaluation
    });
    if let (Err(_), Some(rec)) = (&result, &mut rec) {
        // Let the failed case's values go now, not when the thread next traces a case.
        rec.start(0);
    }
    SCRATCH.with(|s| {
        *s.borrow_mut() = Scratch {
            memo,
            computed,
            locals,
            applies,
            recorder: rec.or(scratch.recorder),
        }
    });
    result
}

/// Working vectors of an [`Evaluator`] that outlive one case (see [`evaluate`]).
#[derive(Default)]
struct Scratch {
    /// All `Todo` between cases.
    memo: Vec<Memo>,
    computed: Vec<DefId>,
    locals: Vec<BoundElement>,
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
                    missing.extend(m.iter().cloned());
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
    Unknown(Arc<Missing>),
}

/// A definition's value for this case, once computed.
#[derive(Debug, Clone)]
enum Memo {
    Todo,
    Value(Value),
    Missing(Arc<Missing>),
}

/// The rule an expression belongs to, fixed when it is compiled: errors name it, and the trace
/// cites its provision for what the expression reads.
#[derive(Debug, Clone, Copy)]
struct RuleSite {
    def: DefId,
    /// `None` when the provision is unknown (the statute is cited instead).
    provision: Option<ProvisionId>,
}

/// A bound list element, where it lies: its list (shared with the case's values, so that
/// binding each element copies nothing) and index, and the list expression it came from.
struct BoundElement {
    list: Arc<[Value]>,
    index: usize,
    /// The list expression, by [`Expr::id`].
    source: u32,
}

/// The value of an optional fact that is not given, to be read by reference.
static ABSENT: Value = Value::Absent;

impl BoundElement {
    fn value(&self) -> &Value {
        self.list.get(self.index).unwrap_or(&ABSENT)
    }
}

struct Evaluator<'p> {
    program: &'p ProgramData,
    version: &'p Version,
    code: &'p CompiledVersion,
    facts: &'p [Value],
    /// Of partial facts, the paths not given yet (sorted; empty for facts read in full).
    unknown: &'p [String],
    memo: Vec<Memo>,
    /// The definitions with a value or missing facts in `memo`, to be forgotten after the case.
    computed: Vec<DefId>,
    locals: Vec<BoundElement>,
    /// Whether each rule of the definitions being computed applies, innermost last.
    applies: Vec<Applies>,
    /// Present when tracing.
    rec: Option<Box<Recorder>>,
    /// Definitions being computed, one inside the other.
    def_depth: usize,
}

/// How many definitions deep [`Evaluator::def`] goes before it looks at the stack.
const UNCHECKED_DEF_DEPTH: usize = 8;

impl<'p> Evaluator<'p> {
    fn label_of_rule(&self, def: DefId, rule: RuleId) -> String {
        label_of_rule(self.program, self.version, def, rule)
    }

    /// An error at `span`, naming the rule being evaluated and citing its provision.
    #[inline(never)]
    fn error(
        &self,
        at: RuleSite,
        code: &'static str,
        span: crate::source::Span,
        message: String,
        help: String,
    ) -> Stop {
        let name = self
            .version
            .defs
            .get(at.def)
            .map(|x| x.name.as_str())
            .unwrap_or("");
        let citation = at
            .provision
            .and_then(|p| self.program.provisions.get(p))
            .map(|p| p.citation.as_str())
            .unwrap_or(&self.program.statute.citation);
        Stop::Error(Box::new(
            Problem::error(code, format!("{citation}, rule for `{name}`: {message}"))
                .with_help(help)
                .label(&self.program.sources, span, "while evaluating this"),
        ))
    }

    /// A value of the wrong type where the checker guarantees the type: a bug in lawcode,
    /// reported as an error rather than a panic or a guess.
    fn ill_typed(&self, at: RuleSite, id: u32, got: &Value) -> Stop {
        let (span, ty) = self.code.span_and_type(id);
        let ty = ty.map(ToString::to_string).unwrap_or_default();
        self.error(
            at,
            codes::ILL_TYPED,
            span,
            format!("expected a value of type {ty}, got {}", value_words(got)),
            "this is a bug in lawcode's checker, not in the rule file; please report it with the rule file and the facts".into(),
        )
    }

    /// Records a trace child in the innermost open frame, when tracing.
    #[inline]
    fn record(&mut self, child: impl FnOnce(&Self) -> ChildRecord) {
        if self.rec.is_some() {
            let c = child(self);
            if let Some(rec) = &mut self.rec {
                rec.push(c);
            }
        }
    }

    #[inline]
    fn open_frame(&mut self) {
        if let Some(rec) = &mut self.rec {
            rec.open();
        }
    }

    #[inline]
    fn close_frame(&mut self) -> record::List {
        match &mut self.rec {
            Some(rec) => rec.close(),
            None => record::List::EMPTY,
        }
    }

    // ------------------------------------------------------------ definitions

    /// The value of definition `id` when it is already known: computed for this case, or a
    /// constant of the program. (A traced case reads constants so too: the trace shows how
    /// they were computed from the version's record of constants.)
    #[inline]
    fn known(&self, id: DefId) -> Option<&Value> {
        match self.memo.get(id) {
            Some(Memo::Value(v)) => Some(v),
            Some(Memo::Todo) => self.code.constants.get(id).and_then(Option::as_ref),
            _ => None,
        }
    }

    fn def(&mut self, id: DefId) -> Evaluated {
        self.record(|_| ChildRecord::Def(id));
        if let Some(v) = self.known(id) {
            return Ok(v.clone());
        }
        if let Some(Memo::Missing(m)) = self.memo.get(id) {
            return Err(Stop::Missing(Arc::clone(m)));
        }
        // A definition is computed by recursion from the first rule that reads it: along a chain
        // of definitions (up to the checker's limit, each with an expression up to the parser's
        // limit deep) the stack is grown when it runs low, on whatever thread evaluates. The
        // first few levels, where every case spends most of its time, skip the look at the
        // stack: a handful of definitions fit in any thread's stack.
        self.def_depth += 1;
        let result = if self.def_depth <= UNCHECKED_DEF_DEPTH {
            self.compute_and_remember(id)
        } else {
            stacker::maybe_grow(512 << 10, 4 << 20, || self.compute_and_remember(id))
        };
        self.def_depth -= 1;
        result
    }

    fn compute_and_remember(&mut self, id: DefId) -> Evaluated {
        // A definition sees none of the list elements bound where it happens to be read first:
        // its own list expressions number their variables from depth 0. When none is bound,
        // the vectors stay in place (taking them would drop their room, and a traced case
        // allocate anew for every definition with a list expression).
        let nothing_bound =
            self.locals.is_empty() && self.rec.as_deref().is_none_or(Recorder::nothing_bound);
        let result = if nothing_bound {
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
                Err(Stop::Missing(m)) => *slot = Memo::Missing(Arc::clone(m)),
                Err(Stop::Error(_)) => return result,
            }
            self.computed.push(id);
        }
        result
    }

    fn compute_def(&mut self, id: DefId) -> Evaluated {
        let version = self.version;
        let Some(def) = version.defs.get(id) else {
            return Err(Stop::Missing(Arc::default()));
        };
        if self.code.single.get(id) == Some(&true) {
            return self.compute_single(id);
        }
        // This definition's rule statuses sit on a stack shared by every definition being
        // computed, from `base` up: no allocation per definition.
        let base = self.applies.len();
        let rules_base = self.rec.as_deref().map_or(0, Recorder::pending_rules);
        let code = self
            .code
            .rules
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for i in 0..def.rules.len() {
            self.open_frame();
            let a = match code.get(i).and_then(|r| r.condition.as_ref()) {
                None => Ok(Applies::Yes),
                Some(c) => match c(self) {
                    Ok(true) => Ok(Applies::Yes),
                    Ok(false) => Ok(Applies::No),
                    Err(Stop::Missing(m)) => Ok(Applies::Unknown(m)),
                    Err(e) => Err(e),
                },
            };
            let reads = self.close_frame();
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

        let outcome: Evaluated = match (unknown.filter(|m| !m.is_empty()), candidates) {
            (Some(m), _) => Err(Stop::Missing(Arc::new(m))),
            (None, (None, _)) => Err(self.no_rule_applies(id, def)),
            (None, (Some(one), None)) => match code.get(one) {
                Some(rule) => {
                    self.open_frame();
                    let v = (rule.value)(self);
                    let reads = self.close_frame();
                    if let Some(rec) = &mut self.rec {
                        rec.pending_rule_value(rules_base + one, &v, reads);
                    }
                    v.and_then(|v| self.check_money(def, one, v))
                }
                None => Err(Stop::Missing(Arc::default())),
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
    fn compute_single(&mut self, id: DefId) -> Evaluated {
        let (Some(def), Some(rule)) = (
            self.version.defs.get(id),
            self.code.rules.get(id).and_then(|r| r.first()),
        ) else {
            return Err(Stop::Missing(Arc::default()));
        };
        self.open_frame();
        let v = (rule.value)(self);
        let reads = self.close_frame();
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
    fn check_money(&self, def: &Definition, rule: RuleId, v: Value) -> Evaluated {
        match &v {
            // Normalising only lowers the scale, so a scale of 2 or less needs no look.
            Value::Number(d) if matches!(def.ty, Type::Money) && d.scale() > 2 => {
                if d.normalize().scale() > 2 {
                    return Err(self.unrounded_money(def, rule, *d));
                }
                Ok(v)
            }
            _ => Ok(v),
        }
    }

    #[inline(never)]
    fn unrounded_money(&self, def: &Definition, rule: RuleId, d: Decimal) -> Stop {
        let span = def
            .rules
            .get(rule)
            .map(|r| r.value.span)
            .unwrap_or_default();
        let mut context = String::new();
        if let Some(p) = def
            .rules
            .get(rule)
            .and_then(|r| self.program.provisions.get(r.provision))
        {
            context = format!("{}, rule for `{}`: ", p.citation, def.name);
        }
        Stop::Error(Box::new(
            Problem::error(
                codes::UNROUNDED_MONEY,
                format!("{context}the amount {d} is not a whole number of cents"),
            )
            .with_help(
                "round it where the law says how: `round(amount, cents, half_away_from_zero)`",
            )
            .label(&self.program.sources, span, "gives fractions of a cent"),
        ))
    }

    fn arith(
        &self,
        at: RuleSite,
        op: Arith,
        x: Decimal,
        y: Decimal,
        span: crate::source::Span,
    ) -> Evaluated<Decimal> {
        let sym = match op {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
        };
        if op == Arith::Div && y.is_zero() {
            return Err(self.error(
                at,
                codes::DIVISION_BY_ZERO,
                span,
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
                at,
                codes::OVERFLOW,
                span,
                format!("{x} {sym} {y} is beyond the exact decimal range"),
                "amounts are exact to 28 significant digits; check the facts for an implausibly large amount".into(),
            )
        })
    }

    /// Undecided for want of the optional fact expression `id` reads.
    #[inline(never)]
    fn missing(&self, id: u32) -> Stop {
        let mut m = Missing::new();
        m.insert(self.code.path_text(id, self.locals.as_slice()));
        Stop::Missing(Arc::new(m))
    }

    /// Whether the fact expression `id` reads is one of partial facts not given yet.
    fn is_unknown(&self, id: u32) -> bool {
        !self.unknown.is_empty()
            && self
                .unknown
                .binary_search(&self.code.path_text(id, self.locals.as_slice()))
                .is_ok()
    }

    /// The innermost bound list element, as the trace records it.
    #[inline]
    fn binding(&self) -> Option<u32> {
        self.rec.as_deref().and_then(Recorder::binding)
    }
}

/// `(b)(2)(B)`: the label of the provision a rule sits in.
fn label_of_rule(program: &ProgramData, version: &Version, def: DefId, rule: RuleId) -> String {
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

/// What kind of value `v` is, in words, for messages.
fn value_words(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::Date(_) => "a date",
        Value::Text(_) => "a text",
        Value::Enum(_) => "an enumeration member",
        Value::Citation(_) => "a citation",
        Value::Provisions(_) => "a set of provisions",
        Value::List(_) => "a list",
        Value::Record(_) => "a record",
        Value::Absent => "no value",
    }
}

fn join_facts(m: &Missing) -> String {
    m.iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
/// Folds list items into an aggregate, keeping Kleene logic for `any`/`all`.
struct Accumulator {
    agg: Aggregate,
    span: crate::source::Span,
    at: RuleSite,
    sum: Decimal,
    count: u64,
    best: Option<Value>,
    decided: Option<bool>,
    items: Vec<Value>,
    missing: Option<Stop>,
}

impl Accumulator {
    fn new(agg: Aggregate, span: crate::source::Span, at: RuleSite) -> Self {
        Accumulator {
            agg,
            span,
            at,
            sum: Decimal::ZERO,
            count: 0,
            best: None,
            decided: None,
            items: Vec::new(),
            missing: None,
        }
    }

    fn add(&mut self, ev: &Evaluator, item: Evaluated) -> Result<(), Stop> {
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
                            self.at,
                            codes::OVERFLOW,
                            self.span,
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

    fn finish(self, ev: &Evaluator) -> Evaluated {
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
                    self.at,
                    codes::EMPTY_LIST,
                    self.span,
                    "`min` or `max` of an empty list has no value".into(),
                    "guard it with `when count(list) > 0`".into(),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile;
    use serde_json::json;

    /// Of partial facts, a fact not given yet is unknown: `given(fact)` is undecided (not false)
    /// and names it in `missing`, an unknown list is shown in the trace as a fact read without a
    /// value; a fact given as `null` is left out, so `given` is false.
    #[test]
    fn unknown_facts_of_partial_facts_are_undecided() {
        let program = compile(
            "t.law",
            "statute \"Act § 1\"\nrecord item { amount: money \"a\" }\nfacts {\n  role: money optional \"r\"\n  items: list of item \"i\"\n}\noutcomes {\n  award: money \"a\"\n  total: money \"t\"\n}\n(a) {\n  rule award = $1 when not given(role)\n  rule award = role when given(role)\n  rule total = sum(i.amount for i in items)\n}\n",
        )
        .unwrap();
        let traced = EvalOptions {
            trace: true,
            ..EvalOptions::default()
        };
        let facts = program.read_partial_facts("f.json", "{}").unwrap();
        let e = program.evaluate(&facts, traced).unwrap();
        assert_eq!(e.outcome("award"), Some(&json!(null)));
        assert_eq!(e.missing, ["items", "role"]);
        let facts_read: Vec<&str> = e
            .trace()
            .unwrap()
            .iter()
            .flat_map(|n| n.walk())
            .filter(|n| n.kind == trace::NodeKind::Fact)
            .map(|n| &*n.name)
            .collect();
        assert!(facts_read.contains(&"items"), "{facts_read:?}");
        let facts = program
            .read_partial_facts("f.json", r#"{"role": null, "items": []}"#)
            .unwrap();
        let e = program.evaluate(&facts, traced).unwrap();
        assert_eq!(e.outcome("award"), Some(&json!("1.00")));
        assert!(e.missing.is_empty());
    }

    /// The evaluator trusts the checker's types but does not panic when they are wrong: a program
    /// altered after checking gets an error that says it is lawcode's bug.
    #[test]
    fn a_value_of_the_wrong_type_is_an_error_not_a_panic() {
        use crate::program::ExprKind;
        use crate::value::Value as V;
        let program = compile(
            "t.law",
            "statute \"Act § 1\"\nfacts { losses: money \"l\" }\noutcomes { award: money \"a\" }\n(a) { rule award = losses + $1 }\n",
        )
        .unwrap();
        // Evaluated once as checked, so that its compiled code exists and must be replaced.
        let facts = program
            .read_facts("f.json", r#"{ "losses": "1.00" }"#)
            .unwrap();
        let before = program.evaluate(&facts, EvalOptions::default()).unwrap();
        assert_eq!(before.outcome("award"), Some(&json!("2.00")));
        let mut data = program.into_checked().unwrap();
        let rule = &mut data.versions[0].defs[0].rules[0];
        let ExprKind::Arith(_, lhs, _) = &mut rule.value.kind else {
            panic!("expected `losses + $1`, got {:?}", rule.value.kind);
        };
        lhs.kind = ExprKind::Literal(V::Bool(true));
        let program = Program::new(data);
        let facts = program
            .read_facts("f.json", r#"{ "losses": "1.00" }"#)
            .unwrap();
        let err = program
            .evaluate(&facts, EvalOptions::default())
            .unwrap_err();
        assert_eq!(err.code, "lawcode::eval::ill_typed");
        assert!(err.message.contains("rule for `award`"), "{}", err.message);
        assert!(
            err.message
                .contains("expected a value of type money, got a true/false value"),
            "{}",
            err.message
        );
    }
}
