//! Lowering a version's checked expressions to closures, once per version.
//!
//! Each expression becomes a boxed closure over the [`Evaluator`], typed by what the checker
//! proved: a condition returns a `bool`, an amount a `Decimal`, anything else a [`Value`]. What
//! the tree of expressions would decide at every case is decided here once: the shape of a fact
//! path (`victim.losses`, `c.section`) becomes a list of field indices read in place, a
//! `within` against a provision set reads both sides where they lie, and definitions that read
//! no fact are computed once ([`CompiledVersion::constants`]). When tracing, each closure
//! records what it read (facts, table rows, definitions, list items) as the trace shows it.

use super::record::{ChildRecord, Element, Record, Recorder, SharedText};
use super::{
    ABSENT, Accumulator, BoundElement, Evaluated, Evaluator, Memo, RuleSite, Stop, codes, compare,
    missing_union, pick,
};
use crate::program::{
    Aggregate, Compare, DateCalc, DayRounding, DefId, Expr, ExprKind, ProgramData, Rounding,
    Schema, TableId, Version,
};
use crate::source::Span;
use crate::value::{Type, Value};
use rust_decimal::{Decimal, RoundingStrategy};

/// A compiled expression giving a `T`.
pub(super) type Code<T> = Box<dyn Fn(&mut Evaluator<'_>) -> Evaluated<T> + Send + Sync>;

/// Gives a closure the higher-ranked signature of [`Code`].
fn code<T, F>(f: F) -> Code<T>
where
    F: Fn(&mut Evaluator<'_>) -> Evaluated<T> + Send + Sync + 'static,
{
    Box::new(f)
}

/// One version's rules as closures, and what the evaluator needs to describe an expression
/// without walking the tree: its span, type and fact path, by [`Expr::id`].
pub struct CompiledVersion {
    /// Per definition, per rule.
    pub(super) rules: Vec<Vec<CompiledRule>>,
    /// Per definition: it has one rule, unconditional, without exceptions (most have), so
    /// that rule gives its value without the default and exception machinery.
    pub(super) single: Vec<bool>,
    exprs: Vec<Option<ExprInfo>>,
    /// For each definition, its value when it reads no fact, computed once.
    pub(super) constants: Vec<Option<Value>>,
    /// Those values in the contract's JSON form, for the trace.
    pub(super) constants_json: Vec<Option<serde_json::Value>>,
    /// How the constants were computed, for the trace of every case that reads one.
    pub(super) constants_record: Record,
    /// The words the trace repeats in every case.
    pub(super) text: SharedText,
}

impl std::fmt::Debug for CompiledVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledVersion")
            .field("definitions", &self.rules.len())
            .field("expressions", &self.exprs.len())
            .finish_non_exhaustive()
    }
}

pub(super) struct CompiledRule {
    pub(super) condition: Option<Code<bool>>,
    pub(super) value: Code<Value>,
}

struct ExprInfo {
    span: Span,
    ty: Type,
    path: PathNode,
}

/// How to write the fact path an expression reads (`victim.losses[2].amount`).
enum PathNode {
    Fact(String),
    /// A bound list element at this depth: its list and index come from the [`Scope`].
    BoundElement(usize),
    Field(u32, String),
    /// Not a fact path: the expression's source text, this range of its file's text (shared,
    /// so that the nested parts of a long expression do not each copy theirs).
    Snippet(std::sync::Arc<str>, std::ops::Range<usize>),
}

/// The list elements bound where a fact path is read, for writing the path: the evaluator's
/// bound elements while it runs, or the bindings a trace recorded.
pub(super) trait Scope: Copy {
    /// The list expression and index of the element bound at `depth`, and the scope in which
    /// that list was read.
    fn bound(self, depth: usize) -> Option<(u32, usize, Self)>;
}

impl Scope for &[BoundElement] {
    fn bound(self, depth: usize) -> Option<(u32, usize, Self)> {
        self.get(depth).map(|l| (l.source, l.index, self))
    }
}

/// A fact path resolved to indices: a top-level fact or a bound element, then fields.
#[derive(Clone)]
struct Path {
    root: Root,
    /// Each field index, with the id of the expression whose record it is read from.
    steps: Box<[(usize, u32)]>,
}

#[derive(Clone, Copy)]
enum Root {
    Fact(usize),
    BoundElement(usize),
}

fn as_path(e: &Expr) -> Option<Path> {
    let mut steps = Vec::new();
    let mut at = e;
    loop {
        match &at.kind {
            ExprKind::Fact(i) => {
                steps.reverse();
                return Some(Path {
                    root: Root::Fact(*i),
                    steps: steps.into(),
                });
            }
            ExprKind::Local(d) => {
                steps.reverse();
                return Some(Path {
                    root: Root::BoundElement(*d),
                    steps: steps.into(),
                });
            }
            ExprKind::Field(inner, i) => {
                steps.push((*i, inner.id));
                at = inner;
            }
            _ => return None,
        }
    }
}

impl Path {
    /// The value at the path, by reference; `Absent` when an optional fact or field is not
    /// given, undecided when a record on the way is not.
    fn read<'a>(&self, ev: &'a Evaluator<'_>, at: RuleSite) -> Result<&'a Value, Stop> {
        let mut v = match self.root {
            Root::Fact(i) => ev.facts.get(i).unwrap_or(&ABSENT),
            Root::BoundElement(d) => ev.locals.get(d).map_or(&ABSENT, BoundElement::value),
        };
        for &(field, record) in self.steps.iter() {
            v = match v {
                Value::Record(fields) => fields.get(field).unwrap_or(&ABSENT),
                Value::Absent => return Err(ev.missing(record)),
                other => return Err(ev.ill_typed(at, record, other)),
            };
        }
        Ok(v)
    }

    fn is_local(&self) -> bool {
        matches!(self.root, Root::BoundElement(_)) && self.steps.is_empty()
    }
}

impl CompiledVersion {
    pub(super) fn new(program: &ProgramData, version: &Version) -> CompiledVersion {
        let mut exprs = Vec::new();
        let rules = version
            .defs
            .iter()
            .enumerate()
            .map(|(def, d)| {
                d.rules
                    .iter()
                    .map(|r| {
                        describe(program, &r.value, &mut exprs);
                        if let Some(c) = &r.condition {
                            describe(program, c, &mut exprs);
                        }
                        let at = RuleSite {
                            def,
                            provision: program.provisions.get(r.provision).map(|_| r.provision),
                        };
                        CompiledRule {
                            condition: r.condition.as_ref().map(|c| truth(c, at)),
                            value: value(&r.value, at),
                        }
                    })
                    .collect()
            })
            .collect();
        let single = version
            .defs
            .iter()
            .map(|d| match d.rules.as_slice() {
                [rule] => rule.condition.is_none() && rule.exceptions.is_empty(),
                _ => false,
            })
            .collect();
        let mut compiled = CompiledVersion {
            rules,
            single,
            exprs,
            constants: Vec::new(),
            constants_json: Vec::new(),
            constants_record: Recorder::new().finish_constants(),
            text: SharedText::new(program, version),
        };
        (compiled.constants, compiled.constants_record) = constants(program, version, &compiled);
        compiled.constants_json = (compiled.constants.iter().zip(&version.defs))
            .map(|(v, d)| v.as_ref().map(|v| program.schema.value_json(&d.ty, v)))
            .collect();
        compiled
    }

    /// `victim.losses[2].amount`: the fact path expression `id` reads, with `scope` the list
    /// elements bound where it was read.
    pub(super) fn path_text<S: Scope>(&self, id: u32, scope: S) -> String {
        let mut out = String::new();
        self.write_path(id, scope, &mut out);
        out
    }

    /// [`Self::path_text`], written at the end of `out`.
    pub(super) fn write_path<S: Scope>(&self, id: u32, scope: S, out: &mut String) {
        use std::fmt::Write;
        match self
            .exprs
            .get(id as usize)
            .and_then(Option::as_ref)
            .map(|i| &i.path)
        {
            Some(PathNode::Fact(name)) => out.push_str(name),
            Some(PathNode::BoundElement(d)) => {
                if let Some((source, index, outer)) = scope.bound(*d) {
                    self.write_path(source, outer, out);
                    // Writing to a String cannot fail.
                    let _ = write!(out, "[{index}]");
                }
            }
            Some(PathNode::Field(inner, name)) => {
                self.write_path(*inner, scope, out);
                out.push('.');
                out.push_str(name);
            }
            Some(PathNode::Snippet(text, range)) => {
                out.push_str(text.get(range.clone()).unwrap_or(""))
            }
            None => {}
        }
    }

    /// The type the checker gave expression `id`.
    pub(super) fn type_of(&self, id: u32) -> Option<&Type> {
        self.exprs
            .get(id as usize)
            .and_then(Option::as_ref)
            .map(|i| &i.ty)
    }

    /// The span and type the checker gave expression `id`.
    pub(super) fn span_and_type(&self, id: u32) -> (Span, Option<&Type>) {
        match self.exprs.get(id as usize).and_then(Option::as_ref) {
            Some(i) => (i.span, Some(&i.ty)),
            None => (Span::default(), None),
        }
    }
}

/// Files the span, type and path of `e` and its sub-expressions under their ids.
fn describe(program: &ProgramData, e: &Expr, exprs: &mut Vec<Option<ExprInfo>>) {
    // Without recursion: a chain of one operator is as many expressions deep as it has terms.
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        let path = match &e.kind {
            ExprKind::Fact(i) => PathNode::Fact(
                program
                    .schema
                    .facts
                    .get(*i)
                    .map(|f| f.name.clone())
                    .unwrap_or_default(),
            ),
            ExprKind::Local(d) => PathNode::BoundElement(*d),
            ExprKind::Field(inner, i) => {
                PathNode::Field(inner.id, field_name(&program.schema, inner, *i).to_string())
            }
            _ => match program.sources.get(e.span.file) {
                Some(f) => PathNode::Snippet(f.text.clone(), e.span.start..e.span.end),
                None => PathNode::Snippet("".into(), 0..0),
            },
        };
        let i = e.id as usize;
        if exprs.len() <= i {
            exprs.resize_with(i + 1, || None);
        }
        if let Some(slot) = exprs.get_mut(i) {
            *slot = Some(ExprInfo {
                span: e.span,
                ty: e.ty.clone(),
                path,
            });
        }
        stack.extend(e.sub_exprs());
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

/// The values of the definitions that read no fact, directly or through other definitions;
/// `None` for the others, and for a constant whose computation fails (it fails again, and is
/// reported, in every case that reads it). With them, the record of how they were computed:
/// a traced case reads constants as an untraced one does, and its trace shows their rules
/// from this record.
fn constants(
    program: &ProgramData,
    version: &Version,
    compiled: &CompiledVersion,
) -> (Vec<Option<Value>>, Record) {
    let n = version.defs.len();
    let mut reads_facts: Vec<Option<bool>> = vec![None; n];
    let mut ev = Evaluator {
        program,
        version,
        code: compiled,
        facts: &[],
        unknown: &[],
        memo: vec![Memo::Todo; n],
        computed: Vec::new(),
        locals: Vec::new(),
        applies: Vec::new(),
        rec: Some(Box::new(Recorder::new())),
        def_depth: 0,
    };
    if let Some(rec) = &mut ev.rec {
        rec.start(n);
    }
    let values = (0..n)
        .map(|id| {
            if def_reads_facts(version, id, &mut reads_facts) {
                None
            } else {
                ev.def(id).ok()
            }
        })
        .collect();
    let record = ev.rec.as_mut().map(|r| r.finish_constants());
    (
        values,
        record.unwrap_or_else(|| Recorder::new().finish_constants()),
    )
}

/// Whether definition `id` reads a fact, directly or through the definitions it reads.
fn def_reads_facts(version: &Version, id: DefId, known: &mut [Option<bool>]) -> bool {
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
    let reads = def.exprs().any(|e| match e.kind {
        ExprKind::Fact(_) => true,
        ExprKind::Def(d) => def_reads_facts(version, d, known),
        _ => false,
    });
    if let Some(k) = known.get_mut(id) {
        *k = Some(reads);
    }
    reads
}

// ------------------------------------------------------------ typed entry points

/// A condition: an expression the checker typed `bool`.
fn truth(e: &Expr, at: RuleSite) -> Code<bool> {
    let id = e.id;
    match &e.kind {
        ExprKind::Literal(Value::Bool(b)) => {
            let b = *b;
            code(move |_| Ok(b))
        }
        ExprKind::Not(x) => {
            let x = truth(x, at);
            code(move |ev| Ok(!x(ev)?))
        }
        ExprKind::And(..) => kleene_chain(e, at, false),
        ExprKind::Or(..) => kleene_chain(e, at, true),
        ExprKind::Compare(op, a, b) if a.ty.is_numeric() && b.ty.is_numeric() => {
            let (op, a, b) = (*op, number(a, at), number(b, at));
            code(move |ev| {
                let (x, y) = both(ev, &a, &b)?;
                Ok(compare(op, x.cmp(&y)))
            })
        }
        ExprKind::Within(a, b) => within(a, b, at),
        ExprKind::Def(d) => typed_def::<bool>(*d, id, at),
        _ => typed_read::<bool>(e, at),
    }
}

/// An amount or count: an expression the checker typed integer, decimal or money.
fn number(e: &Expr, at: RuleSite) -> Code<Decimal> {
    let id = e.id;
    match &e.kind {
        ExprKind::Literal(Value::Number(d)) => {
            let d = *d;
            code(move |_| Ok(d))
        }
        ExprKind::Arith(..) => arith_chain(e, at),
        ExprKind::Neg(x) => {
            let x = number(x, at);
            code(move |ev| Ok(-x(ev)?))
        }
        ExprKind::Def(d) => typed_def::<Decimal>(*d, id, at),
        ExprKind::Round {
            value,
            places,
            mode,
        } => {
            let (value, places) = (number(value, at), *places);
            let strategy = match mode {
                Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
                Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
                Rounding::TowardZero => RoundingStrategy::ToZero,
                Rounding::AwayFromZero => RoundingStrategy::AwayFromZero,
            };
            code(move |ev| Ok(value(ev)?.round_dp_with_strategy(places, strategy)))
        }
        ExprKind::Min(args) | ExprKind::Max(args) if !args.is_empty() => {
            let want_max = matches!(e.kind, ExprKind::Max(_));
            let args: Vec<Code<Decimal>> = args.iter().map(|x| number(x, at)).collect();
            code(move |ev| {
                // The first of equal amounts is kept, as `pick` keeps it.
                let better = |b: Decimal, v: Decimal| {
                    if (want_max && v > b) || (!want_max && v < b) {
                        v
                    } else {
                        b
                    }
                };
                best_of(ev, &args, better)?.ok_or_else(|| ev.ill_typed(at, id, &Value::Absent))
            })
        }
        _ => typed_read::<Decimal>(e, at),
    }
}

/// A chain of arithmetic (`a + b - c * d …`, parsed as left operands nested in each other) as
/// one loop over its operands, so that a long schedule of line items neither compiles nor runs
/// one call deeper per term. Each step is what `both` and `arith` make of one operator: the
/// left part first, an error there stops, the missing facts of both sides are united.
fn arith_chain(e: &Expr, at: RuleSite) -> Code<Decimal> {
    let mut steps: Vec<(crate::program::Arith, Code<Decimal>, Span)> = Vec::new();
    let mut first = e;
    while let ExprKind::Arith(op, a, b) = &first.kind {
        steps.push((*op, number(b, at), first.span));
        first = a;
    }
    steps.reverse();
    let first = number(first, at);
    // One operator (most arithmetic): its two operands, without the loop.
    if let [_] = steps.as_slice() {
        if let Some((op, b, span)) = steps.pop() {
            return code(move |ev| {
                let (x, y) = both(ev, &first, &b)?;
                ev.arith(at, op, x, y, span)
            });
        }
    }
    code(move |ev| {
        let mut acc = first(ev);
        for (op, b, span) in &steps {
            if let Err(s @ Stop::Error(_)) = acc {
                return Err(s);
            }
            acc = match (acc, b(ev)) {
                (Ok(x), Ok(y)) => ev.arith(at, *op, x, y, *span),
                (Err(s), Ok(_)) | (Ok(_), Err(s)) => Err(s),
                (Err(s), Err(t)) => Err(missing_union(s, t)),
            };
        }
        acc
    })
}

/// How a `bool` or a `Decimal` sits in a [`Value`]: taken out to be returned, put back to be
/// recorded in the trace.
trait Typed: Copy + Send + Sync + 'static {
    fn take(v: &Value) -> Option<Self>;
    fn wrap(self) -> Value;
}

impl Typed for bool {
    fn take(v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn wrap(self) -> Value {
        Value::Bool(self)
    }
}

impl Typed for Decimal {
    fn take(v: &Value) -> Option<Decimal> {
        match v {
            Value::Number(d) => Some(*d),
            _ => None,
        }
    }
    fn wrap(self) -> Value {
        Value::Number(self)
    }
}

/// A definition read as a condition or amount: from the memo or the constants when known.
fn typed_def<T: Typed>(d: DefId, id: u32, at: RuleSite) -> Code<T> {
    code(move |ev| {
        if let Some(x) = ev.known(d).and_then(T::take) {
            ev.record(|_| ChildRecord::Def(d));
            return Ok(x);
        }
        let v = ev.def(d)?;
        T::take(&v).ok_or_else(|| ev.ill_typed(at, id, &v))
    })
}

/// A fact or field read as a condition or amount: in place when it is given, else through
/// [`value_of`], which says why it is not (absent, or a record on the way absent).
fn typed_read<T: Typed>(e: &Expr, at: RuleSite) -> Code<T> {
    let (id, path, general) = (e.id, as_path(e), value_of(e, at));
    code(move |ev| {
        if let Some(p) = &path {
            if let Some(x) = p.read(ev, at).ok().and_then(T::take) {
                if !p.is_local() {
                    ev.record(|ev| ChildRecord::fact(at.provision, id, ev.binding(), x.wrap()));
                }
                return Ok(x);
            }
        }
        let v = general(ev)?;
        T::take(&v).ok_or_else(|| ev.ill_typed(at, id, &v))
    })
}

/// Any expression, as a [`Value`]: conditions and amounts through their typed code.
fn value(e: &Expr, at: RuleSite) -> Code<Value> {
    let typed_bool = matches!(
        e.kind,
        ExprKind::Not(_) | ExprKind::And(..) | ExprKind::Or(..) | ExprKind::Within(..)
    ) || matches!(&e.kind, ExprKind::Compare(_, a, b) if a.ty.is_numeric() && b.ty.is_numeric());
    let typed_number = matches!(
        e.kind,
        ExprKind::Neg(_) | ExprKind::Arith(..) | ExprKind::Round { .. }
    ) || matches!(&e.kind, ExprKind::Min(args) | ExprKind::Max(args)
        if e.ty.is_numeric() && !args.is_empty());
    if typed_bool {
        let t = truth(e, at);
        code(move |ev| t(ev).map(Value::Bool))
    } else if typed_number {
        let n = number(e, at);
        code(move |ev| n(ev).map(Value::Number))
    } else {
        value_of(e, at)
    }
}

// ------------------------------------------------------------ the general case

/// Every kind of expression as a [`Value`] (conditions and amounts included, for the typed
/// code's fallbacks).
fn value_of(e: &Expr, at: RuleSite) -> Code<Value> {
    let id = e.id;
    match &e.kind {
        ExprKind::Literal(v) => {
            let v = v.clone();
            code(move |_| Ok(v.clone()))
        }
        ExprKind::Provisions(p) => {
            let p = Value::Provisions(p.clone());
            code(move |_| Ok(p.clone()))
        }
        ExprKind::List(items) => {
            let items: Vec<Code<Value>> = items.iter().map(|x| value(x, at)).collect();
            code(move |ev| {
                let mut out = Vec::with_capacity(items.len());
                for i in &items {
                    out.push(i(ev)?);
                }
                Ok(Value::List(out.into()))
            })
        }
        ExprKind::Def(d) => {
            let d = *d;
            code(move |ev| ev.def(d))
        }
        ExprKind::Local(_) => place(e, at),
        ExprKind::Fact(_) | ExprKind::Field(..) => {
            let place = place(e, at);
            code(move |ev| {
                let v = place(ev)?;
                ev.record(|ev| ChildRecord::fact(at.provision, id, ev.binding(), v.clone()));
                if matches!(v, Value::Absent) {
                    return Err(ev.missing(id));
                }
                Ok(v)
            })
        }
        ExprKind::Table(tid, key) => table(e, *tid, key, at),
        ExprKind::Not(_)
        | ExprKind::And(..)
        | ExprKind::Or(..)
        | ExprKind::Within(..)
        | ExprKind::Neg(_)
        | ExprKind::Arith(..)
        | ExprKind::Round { .. } => value(e, at),
        ExprKind::Compare(op, a, b) => {
            if a.ty.is_numeric() && b.ty.is_numeric() {
                return value(e, at);
            }
            let (op, a, b) = (*op, value(a, at), value(b, at));
            code(move |ev| {
                let (x, y) = both(ev, &a, &b)?;
                let ord = match (&x, &y) {
                    (Value::Number(p), Value::Number(q)) => Some(p.cmp(q)),
                    (Value::Date(p), Value::Date(q)) => Some(p.cmp(q)),
                    _ => None,
                };
                Ok(Value::Bool(match (op, ord) {
                    (Compare::Eq, _) => x.same_as(&y),
                    (Compare::Ne, _) => !x.same_as(&y),
                    (op, Some(o)) => compare(op, o),
                    (_, None) => false,
                }))
            })
        }
        ExprKind::In {
            item,
            list,
            negated,
        } => {
            let (list_id, negated) = (list.id, *negated);
            let (item, list) = (value(item, at), value(list, at));
            code(move |ev| {
                let (x, l) = both(ev, &item, &list)?;
                let found = match &l {
                    Value::List(items) => items.iter().any(|i| i.same_as(&x)),
                    other => return Err(ev.ill_typed(at, list_id, other)),
                };
                Ok(Value::Bool(found != negated))
            })
        }
        ExprKind::If(c, t, f) => {
            let (c, t, f) = (truth(c, at), value(t, at), value(f, at));
            code(move |ev| {
                let taken = c(ev)?;
                // For "why not" and the memo: which branch decided the value.
                ev.record(|_| ChildRecord::Branch { expr: id, taken });
                if taken { t(ev) } else { f(ev) }
            })
        }
        ExprKind::Min(args) | ExprKind::Max(args) => {
            let want_max = matches!(e.kind, ExprKind::Max(_));
            let args: Vec<Code<Value>> = args.iter().map(|x| value(x, at)).collect();
            code(move |ev| {
                best_of(ev, &args, |b, v| pick(b, v, want_max))?
                    .ok_or_else(|| ev.ill_typed(at, id, &Value::Absent))
            })
        }
        ExprKind::Year(d) => {
            let d_id = d.id;
            let d = value(d, at);
            code(move |ev| match d(ev)? {
                Value::Date(d) => Ok(Value::Number(Decimal::from(d.year()))),
                other => Err(ev.ill_typed(at, d_id, &other)),
            })
        }
        ExprKind::Dates(calc, args) => dates(*calc, args, e.span, at),
        ExprKind::Given(x) => {
            let x_id = x.id;
            let x = place(x, at);
            code(move |ev| {
                let v = x(ev)?;
                let given = !matches!(v, Value::Absent);
                ev.record(|ev| ChildRecord::fact(at.provision, x_id, ev.binding(), v));
                // Of partial facts, one not given yet may still be: undecided, not false.
                if !given && ev.is_unknown(x_id) {
                    return Err(ev.missing(x_id));
                }
                Ok(Value::Bool(given))
            })
        }
        ExprKind::AggregateList(agg, list) => {
            let (agg, span, list_id) = (*agg, e.span, list.id);
            let list = value(list, at);
            code(move |ev| {
                let items = match list(ev)? {
                    Value::List(items) => items,
                    other => return Err(ev.ill_typed(at, list_id, &other)),
                };
                let mut acc = Accumulator::new(agg, span, at);
                for v in items.iter() {
                    acc.add(ev, Ok(v.clone()))?;
                }
                acc.finish(ev)
            })
        }
        ExprKind::Comprehension {
            aggregate,
            element,
            local,
            var_name: _,
            source,
            filter,
        } => comprehension(
            e,
            *aggregate,
            element,
            *local,
            source,
            filter.as_deref(),
            at,
        ),
    }
}

/// The raw value of a fact, field or bound element (`Absent` is kept, not turned into
/// undecided): read in place along a path, or from the record another expression gives.
fn place(e: &Expr, at: RuleSite) -> Code<Value> {
    if let Some(path) = as_path(e) {
        return code(move |ev| path.read(ev, at).cloned());
    }
    match &e.kind {
        ExprKind::Field(inner, i) => {
            let (i, inner_id, inner) = (*i, inner.id, value(inner, at));
            code(move |ev| match inner(ev)? {
                Value::Record(fields) => Ok(fields.get(i).cloned().unwrap_or(Value::Absent)),
                Value::Absent => Err(ev.missing(inner_id)),
                other => Err(ev.ill_typed(at, inner_id, &other)),
            })
        }
        _ => value(e, at),
    }
}

fn table(e: &Expr, tid: TableId, key: &Expr, at: RuleSite) -> Code<Value> {
    let (span, key_id, key_ty, key_span) = (e.span, key.id, key.ty.clone(), key.span);
    let key = value(key, at);
    code(move |ev| {
        let k = key(ev)?;
        let table = ev.program.tables.get(tid);
        let (found, row) = match table {
            Some(t) if t.from => match t.in_force(&k) {
                Some((from, v)) => (Some(v), Some(from)),
                None => (None, None),
            },
            Some(t) => (
                crate::program::TableKey::from_value(&k).and_then(|key| t.rows.get(&key)),
                None,
            ),
            None => (None, None),
        };
        match (table, found) {
            (Some(_), Some(v)) => {
                let v = v.clone();
                ev.record(|_| ChildRecord::Table {
                    here: at.provision,
                    table: tid,
                    key_expr: key_id,
                    key: k.clone(),
                    value: v.clone(),
                    row: row.cloned(),
                });
                Ok(v)
            }
            (Some(t), None) if t.from => {
                let key_text = super::record::key_text(&ev.program.schema, &key_ty, &k);
                let first = t
                    .steps
                    .first()
                    .map(|(from, _)| super::record::key_text(&ev.program.schema, &key_ty, from))
                    .unwrap_or_else(|| "no row at all".to_string());
                Err(ev.error(at,
                    codes::BEFORE_FIRST_ROW,
                    span,
                    format!(
                        "`{}` is {key_text}, before anything in table `{}`: its first row is from {first}",
                        key_path(ev, key_id, key_span),
                        t.name
                    ),
                    format!("{key_text} is before the data the table holds ({}); check the date, or add the earlier rows from the source", t.source),
                ))
            }
            (t, _) => {
                let name = t.map(|t| t.name.as_str()).unwrap_or("?");
                let source = t.map(|t| t.source.as_str()).unwrap_or("");
                let key_text = super::record::key_text(&ev.program.schema, &key_ty, &k);
                Err(ev.error(at,
                    codes::MISSING_TABLE_ROW,
                    span,
                    format!("table `{name}` has no row for {key_text}"),
                    format!("the table has no data for this key; add the row from its source ({source}) once it is published"),
                ))
            }
        }
    })
}

/// Calendar arithmetic ([`DateCalc`]): whole days, and months and years that land on a day the
/// month does not have only as the rule's rounding says.
fn dates(calc: DateCalc, args: &[Expr], span: Span, at: RuleSite) -> Code<Value> {
    let ids: Vec<u32> = args.iter().map(|a| a.id).collect();
    let args: Vec<Code<Value>> = args.iter().map(|a| value(a, at)).collect();
    code(move |ev| {
        let mut vals = Vec::with_capacity(args.len());
        for a in &args {
            vals.push(a(ev)?);
        }
        let bad = |ev: &Evaluator<'_>, i: usize| {
            let id = ids.get(i).copied().unwrap_or(0);
            ev.ill_typed(at, id, vals.get(i).unwrap_or(&Value::Absent))
        };
        let date = |i: usize| match vals.get(i) {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        };
        let whole = |i: usize| match vals.get(i) {
            Some(Value::Number(n)) if n.fract().is_zero() => i64::try_from(*n).ok(),
            _ => None,
        };
        let out_of_range = |ev: &Evaluator<'_>, what: String| {
            ev.error(
                at,
                codes::DATE_OUT_OF_RANGE,
                span,
                format!("{what} is beyond the dates lawcode supports (years -9999 to 9999)"),
                "check the dates and the number added".into(),
            )
        };
        let Some(d) = date(0) else {
            return Err(bad(ev, 0));
        };
        match calc {
            DateCalc::Month => Ok(Value::Number(Decimal::from(d.month()))),
            DateCalc::Day => Ok(Value::Number(Decimal::from(d.day()))),
            DateCalc::Difference => {
                let Some(b) = date(1) else {
                    return Err(bad(ev, 1));
                };
                // Days are exact between any two civil dates; jiff cannot fail on them.
                let days = b
                    .until((jiff::Unit::Day, d))
                    .map(|s| s.get_days())
                    .map_err(|_| out_of_range(ev, format!("the days from {b} to {d}")))?;
                Ok(Value::Number(Decimal::from(days)))
            }
            DateCalc::AddDays => {
                let Some(n) = whole(1) else {
                    return Err(bad(ev, 1));
                };
                let moved = jiff::Span::new()
                    .try_days(n)
                    .ok()
                    .and_then(|s| d.checked_add(s).ok())
                    .ok_or_else(|| out_of_range(ev, format!("{d} plus {n} days")))?;
                Ok(Value::Date(moved))
            }
            DateCalc::AddMonths(rounding) | DateCalc::AddYears(rounding) => {
                let Some(n) = whole(1) else {
                    return Err(bad(ev, 1));
                };
                let (unit, months) = match calc {
                    DateCalc::AddYears(_) => ("years", n.checked_mul(12)),
                    _ => ("months", Some(n)),
                };
                let unit = if n.abs() == 1 {
                    unit.trim_end_matches('s')
                } else {
                    unit
                };
                let what = format!("{d} plus {n} {unit}");
                let total = months
                    .and_then(|m| {
                        (i64::from(d.year()) * 12 + i64::from(d.month()) - 1).checked_add(m)
                    })
                    .ok_or_else(|| out_of_range(ev, what.clone()))?;
                let year = i16::try_from(total.div_euclid(12))
                    .map_err(|_| out_of_range(ev, what.clone()))?;
                let month = i8::try_from(total.rem_euclid(12) + 1)
                    .map_err(|_| out_of_range(ev, what.clone()))?;
                let first = jiff::civil::Date::new(year, month, 1)
                    .map_err(|_| out_of_range(ev, what.clone()))?;
                let last = first.days_in_month();
                if d.day() <= last {
                    return first
                        .with()
                        .day(d.day())
                        .build()
                        .map(Value::Date)
                        .map_err(|_| out_of_range(ev, what));
                }
                let landed = match rounding {
                    Some(DayRounding::Down) => first.with().day(last).build().ok(),
                    Some(DayRounding::Up) => first
                        .with()
                        .day(last)
                        .build()
                        .ok()
                        .and_then(|x| x.tomorrow().ok()),
                    None => {
                        let call = if matches!(calc, DateCalc::AddYears(_)) {
                            "add_years"
                        } else {
                            "add_months"
                        };
                        return Err(ev.error(
                            at,
                            codes::AMBIGUOUS_DATE,
                            span,
                            format!(
                                "{what} falls on day {} of {}, a day that month does not have",
                                d.day(),
                                first.strftime("%B %Y")
                            ),
                            format!("say which day the rule means: `{call}(…, round_down)` gives the last day of the month, `{call}(…, round_up)` the first day of the next"),
                        ));
                    }
                };
                landed
                    .map(Value::Date)
                    .ok_or_else(|| out_of_range(ev, what))
            }
        }
    })
}

/// What a table's key is, as a message names it: the fact's path with the list items bound now
/// (`victim.work_weeks[3].week_start`), or else the key's expression as written.
fn key_path(ev: &Evaluator<'_>, key_id: u32, key_span: Span) -> String {
    let path = ev.code.path_text(key_id, ev.locals.as_slice());
    if path.is_empty() {
        ev.program.sources.snippet(key_span).to_string()
    } else {
        path
    }
}

/// Where the provision set of a `within` lies.
enum SetAt {
    Def(DefId),
    Here(Value),
    Elsewhere,
}

/// `c.section within trafficking_provisions`, the statute's commonest test: when the citation
/// is a fact path and the set a literal or an already computed definition, both are read
/// where they lie; otherwise both sides are evaluated.
fn within(a: &Expr, b: &Expr, at: RuleSite) -> Code<bool> {
    let (a_id, path) = (a.id, as_path(a));
    let set_at = match &b.kind {
        ExprKind::Def(d) => SetAt::Def(*d),
        ExprKind::Literal(v) => SetAt::Here(v.clone()),
        ExprKind::Provisions(p) => SetAt::Here(Value::Provisions(p.clone())),
        _ => SetAt::Elsewhere,
    };
    let (av, bv) = (value(a, at), value(b, at));
    code(move |ev| {
        if let Some(p) = &path {
            if let Some((holds, read)) = within_in_place(ev, p, &set_at, at) {
                if let Some(v) = read {
                    ev.record(|ev| ChildRecord::fact(at.provision, a_id, ev.binding(), v));
                }
                if let SetAt::Def(d) = set_at {
                    ev.record(|_| ChildRecord::Def(d));
                }
                return Ok(holds);
            }
        }
        let (x, y) = both(ev, &av, &bv)?;
        Ok(match (&x, &y) {
            (Value::Citation(c), Value::Citation(p)) => c.is_within(p),
            (Value::Citation(c), Value::Provisions(set)) => set.iter().any(|p| p.contains(c)),
            _ => return Err(ev.ill_typed(at, a_id, &x)),
        })
    })
}

/// Whether the citation at `path` lies in the set, and the citation as the trace shows it
/// (when tracing and the path is not a bare bound element); `None` when either side is not
/// at hand.
fn within_in_place(
    ev: &Evaluator<'_>,
    path: &Path,
    set_at: &SetAt,
    at: RuleSite,
) -> Option<(bool, Option<Value>)> {
    let Ok(cited @ Value::Citation(c)) = path.read(ev, at) else {
        return None;
    };
    let set = match set_at {
        SetAt::Def(d) => ev.known(*d)?,
        SetAt::Here(v) => v,
        SetAt::Elsewhere => return None,
    };
    let holds = match set {
        Value::Provisions(set) => set.iter().any(|p| p.contains(c)),
        Value::Citation(p) => c.is_within(p),
        _ => return None,
    };
    let read = (ev.rec.is_some() && !path.is_local()).then(|| cited.clone());
    Some((holds, read))
}

/// A chain of `and` (stop_on = false) or of `or` (stop_on = true) with undecided operands
/// (`false and undecided` is false, `true or undecided` is true), as one loop over its
/// operands, so that a long chain neither compiles nor runs one call deeper per term.
fn kleene_chain(e: &Expr, at: RuleSite, stop_on: bool) -> Code<bool> {
    let mut rest: Vec<Code<bool>> = Vec::new();
    let mut first = e;
    while let (ExprKind::And(a, b), false) | (ExprKind::Or(a, b), true) = (&first.kind, stop_on) {
        rest.push(truth(b, at));
        first = a;
    }
    rest.reverse();
    let first = truth(first, at);
    code(move |ev| {
        let mut acc = first(ev);
        for b in &rest {
            let left = match acc {
                Ok(x) if x == stop_on => return Ok(stop_on),
                Ok(_) => None,
                Err(s @ Stop::Error(_)) => return Err(s),
                Err(s) => Some(s),
            };
            acc = match b(ev) {
                Ok(y) if y == stop_on => Ok(stop_on),
                Ok(y) => match left {
                    None => Ok(y),
                    Some(s) => Err(s),
                },
                Err(s @ Stop::Error(_)) => Err(s),
                Err(s) => Err(match left {
                    None => s,
                    Some(f) => missing_union(f, s),
                }),
            };
        }
        acc
    })
}

/// The best of `min` or `max`'s arguments by `better(best so far, next)`; `None` for no
/// arguments. Every argument is evaluated: the first error stops it, and undecided arguments
/// leave it undecided for the missing facts of all of them.
fn best_of<T>(
    ev: &mut Evaluator<'_>,
    args: &[Code<T>],
    better: impl Fn(T, T) -> T,
) -> Evaluated<Option<T>> {
    let mut best: Option<T> = None;
    let mut stop: Option<Stop> = None;
    for a in args {
        match a(ev) {
            Ok(v) => {
                best = Some(match best {
                    None => v,
                    Some(b) => better(b, v),
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
    match stop {
        Some(s) => Err(s),
        None => Ok(best),
    }
}

/// Both operands, with the missing facts of both when both are undecided.
fn both<T>(ev: &mut Evaluator<'_>, a: &Code<T>, b: &Code<T>) -> Evaluated<(T, T)> {
    let x = a(ev);
    if let Err(s @ Stop::Error(_)) = x {
        return Err(s);
    }
    let y = b(ev);
    match (x, y) {
        (Ok(x), Ok(y)) => Ok((x, y)),
        (Err(s), Ok(_)) | (Ok(_), Err(s)) => Err(s),
        (Err(s), Err(t)) => Err(missing_union(s, t)),
    }
}

/// The code of a list element, typed by what the aggregate does with it.
enum ElementCode {
    Truth(Code<bool>),
    Number(Code<Decimal>),
    Value(Code<Value>),
}

fn comprehension(
    e: &Expr,
    aggregate: Aggregate,
    element: &Expr,
    local: usize,
    source: &Expr,
    filter: Option<&Expr>,
    at: RuleSite,
) -> Code<Value> {
    let (span, source_id, element_id) = (e.span, source.id, element.id);
    // A list of facts is shown item by item below, not also whole.
    let list_is_fact = matches!(source.kind, ExprKind::Fact(_) | ExprKind::Field(..));
    let list = if list_is_fact {
        place(source, at)
    } else {
        value(source, at)
    };
    let element = match aggregate {
        Aggregate::Any | Aggregate::All => ElementCode::Truth(truth(element, at)),
        Aggregate::Sum => ElementCode::Number(number(element, at)),
        _ => ElementCode::Value(value(element, at)),
    };
    let filter = filter.map(|f| truth(f, at));
    code(move |ev| {
        let items = match list(ev)? {
            Value::List(items) => items,
            Value::Absent if list_is_fact => {
                // The list is not given: shown as a fact read without a value, as any other
                // absent fact is, so that the trace names what the rule needed, where.
                ev.record(|ev| {
                    ChildRecord::fact(at.provision, source_id, ev.binding(), Value::Absent)
                });
                return Err(ev.missing(source_id));
            }
            other => return Err(ev.ill_typed(at, source_id, &other)),
        };
        if items.is_empty() {
            // With no items to show, show the empty list itself.
            ev.record(|ev| ChildRecord::EmptyList {
                here: at.provision,
                source: source_id,
                binding: ev.binding(),
            });
        }
        let mut acc = Accumulator::new(aggregate, span, at);
        let len = items.len();
        // INVARIANT: the checker numbered locals by nesting depth, so this one sits at `local`.
        // Bound once; each item only moves the index.
        ev.locals.truncate(local);
        ev.locals.push(BoundElement {
            list: items,
            index: 0,
            source: source_id,
        });
        let mut each_item = || -> Evaluated<()> {
            for index in 0..len {
                // Lists nested in the element bound deeper; let them go.
                ev.locals.truncate(local + 1);
                if let Some(bound) = ev.locals.last_mut() {
                    bound.index = index;
                }
                let outer = ev.binding();
                if let Some(rec) = &mut ev.rec {
                    rec.bind(local, source_id, index);
                    rec.open();
                }
                let keep = match &filter {
                    None => Ok(true),
                    Some(f) => f(ev),
                };
                let step = match keep {
                    Ok(true) => Ok(Some(match &element {
                        ElementCode::Truth(t) => t(ev).map(Value::Bool),
                        ElementCode::Number(n) => n(ev).map(Value::Number),
                        ElementCode::Value(v) => v(ev),
                    })),
                    Ok(false) => Ok(None),
                    Err(Stop::Missing(m)) => Ok(Some(Err(Stop::Missing(m)))),
                    Err(err) => Err(err),
                };
                let reads = ev.close_frame();
                if let Some(rec) = &mut ev.rec {
                    rec.unbind(local);
                }
                let step = step?;
                ev.record(|_| ChildRecord::Item {
                    here: at.provision,
                    source: source_id,
                    binding: outer,
                    index,
                    element: element_id,
                    filtered: filter.is_some(),
                    step: match &step {
                        None => Element::Excluded,
                        Some(Ok(v)) => Element::Included(v.clone()),
                        Some(Err(_)) => Element::Undecided,
                    },
                    reads,
                });
                if let Some(step) = step {
                    acc.add(ev, step)?;
                }
            }
            Ok(())
        };
        let looped = each_item();
        ev.locals.truncate(local);
        looped?;
        acc.finish(ev)
    })
}
