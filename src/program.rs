//! The checked program: what the checker produces and the evaluator runs.
//!
//! Names are gone: definitions, facts, locals and tables are slots. Each
//! version of the statute has its own set of definitions, because an
//! unversioned rule may read a name that means different things in different
//! versions (`full_amount_of_losses` is (b)(3) in 1996 and (c)(2) today).

use crate::citation::ProvisionRef;
use crate::source::{SourceMap, Span};
use crate::value::{Type, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// Index of a definition in its version's [`Version::defs`].
pub type DefId = usize;
/// Index of a rule in its definition's [`Definition::rules`].
pub type RuleId = usize;
/// Index of a provision in [`ProgramData::provisions`].
pub type ProvisionId = usize;
/// Index of a data table in [`ProgramData::tables`].
pub type TableId = usize;
/// Index of a version in [`ProgramData::versions`].
pub type VersionId = usize;

/// What the checker produces: names resolved to slots, types checked.
#[derive(Debug)]
pub struct ProgramData {
    /// The `statute` header: its citation and title.
    pub statute: Statute,
    /// In order of effective date, earliest first.
    pub versions: Vec<Version>,
    /// The top-level fact whose date selects the version in force.
    pub version_selector: Option<VersionSelector>,
    /// Shared with every evaluation, which renders its typed outcomes through it.
    pub schema: Arc<Schema>,
    /// The declared outcomes, in declared order; [`Version::outcome_defs`] is indexed the same way.
    pub outcomes: Vec<OutcomeDecl>,
    /// The statute and outcomes as evaluations carry them: one reference count per evaluation
    /// instead of an owned name per outcome.
    pub shape: Arc<OutcomeShape>,
    /// Every provision of every version, in source order; [`ProvisionId`] indexes it.
    pub provisions: Vec<Provision>,
    /// Every data table, those of imported files included; [`TableId`] indexes it.
    pub tables: Vec<Table>,
    /// The rule files the program was checked from, for diagnostics and the trace's source spans.
    pub sources: SourceMap,
}

/// What an evaluation needs to name and render its outcomes without borrowing the program.
#[derive(Debug)]
pub struct OutcomeShape {
    /// The statute's citation.
    pub statute: String,
    /// Outcome names and types, in declared order.
    pub names: Vec<String>,
    /// Outcome types, parallel to `names`.
    pub types: Vec<Type>,
    /// Outcome indices in the order a JSON object writes them: declared order, a repeated
    /// name once, where it first appears, with its last declaration's value (as inserting into
    /// an insertion-ordered map keeps it). The checker refuses repeated names; this keeps the
    /// two JSON writers identical even so.
    pub order: Vec<usize>,
    /// Each name and the statute as JSON strings (quoted and escaped), written as they are
    /// into every result of a batch.
    pub names_json: Vec<String>,
    /// The statute's citation as a JSON string (quoted and escaped).
    pub statute_json: String,
    /// The facts schema, to render each typed outcome as the contract's JSON.
    pub schema: Arc<Schema>,
}

impl OutcomeShape {
    /// Builds the shape of `outcomes` for `statute` (its citation), computing `order` and the JSON
    /// strings once.
    pub fn new(statute: &str, outcomes: &[OutcomeDecl], schema: Arc<Schema>) -> OutcomeShape {
        let names: Vec<String> = outcomes.iter().map(|o| o.name.clone()).collect();
        let mut order: Vec<usize> = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            match order.iter_mut().find(|j| names.get(**j) == Some(name)) {
                Some(first) => *first = i,
                None => order.push(i),
            }
        }
        let json = |text: &str| serde_json::Value::from(text).to_string();
        OutcomeShape {
            names_json: names.iter().map(|n| json(n)).collect(),
            statute_json: json(statute),
            statute: statute.to_string(),
            types: outcomes.iter().map(|o| o.ty.clone()).collect(),
            names,
            order,
            schema,
        }
    }
}

/// The `statute` header of the entry file.
#[derive(Debug, Clone)]
pub struct Statute {
    /// The citation that prefixes every provision's, e.g. `18 U.S.C. § 2259`.
    pub citation: String,
    /// The optional second string of the header, the statute's title; `None` if not written.
    pub title: Option<String>,
}

/// One text of the statute, in force from its effective date, with its own definitions.
#[derive(Debug)]
pub struct Version {
    /// The version's name as declared (`current`); empty for the one implicit version of a file
    /// without `version`.
    pub name: String,
    /// The date the version's text took effect; `Date::MIN` for the implicit version, so it is
    /// always in force.
    pub effective: jiff::civil::Date,
    /// The law that enacted the text, e.g. `Pub. L. 115-299`; `None` if not written.
    pub enacted_by: Option<String>,
    /// This version's definitions; an outcome points into them.
    pub defs: Vec<Definition>,
    /// For each declared outcome, its definition in this version, if the version defines it.
    pub outcome_defs: Vec<Option<DefId>>,
    /// Provisions that exist in this version, in source order.
    pub provisions: Vec<ProvisionId>,
}

/// `versions selected by FACT`: the date fact whose value picks the version in force for a case.
#[derive(Debug, Clone)]
pub struct VersionSelector {
    /// Index of the selecting fact in [`Schema::facts`]; the checker requires a required `date`
    /// fact.
    pub fact: usize,
    /// The selecting fact's name as declared, e.g. `offense_date`.
    pub fact_name: String,
    /// The selector's `note`s, shown in the trace to explain why this date picks the version.
    pub notes: Vec<String>,
    /// `refuse earlier dates "why"`: a date before the first version is an evaluation error
    /// (`before_first_text`, one of the evaluator's codes) for this reason; `None`
    /// applies the first version to it.
    pub refuse_earlier: Option<String>,
}

/// The facts schema: what a case's JSON must supply, and the types it refers to.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// The top-level facts, in declared order; [`ExprKind::Fact`] and [`VersionSelector::fact`]
    /// index it.
    pub facts: Vec<FieldDecl>,
    /// The record types; [`RecordId`](crate::value::RecordId) indexes it.
    pub records: Vec<RecordDecl>,
    /// The enumerations; [`EnumId`](crate::value::EnumId) indexes it.
    pub enums: Vec<EnumDecl>,
}

impl Schema {
    /// A value in the contract's JSON form: money as a string with two decimals, booleans as
    /// booleans, `null` for an absent fact, enumeration members and record fields by name.
    pub fn value_json(&self, ty: &Type, v: &Value) -> serde_json::Value {
        let schema = self;
        use serde_json::Value as J;
        match (ty, v) {
            (_, Value::Absent) => J::Null,
            (_, Value::Bool(b)) => J::Bool(*b),
            (Type::Money, Value::Number(d)) => J::String(crate::value::money_text(*d)),
            (Type::Integer, Value::Number(d)) => {
                serde_json::from_str(&d.normalize().to_string()).unwrap_or(J::String(d.to_string()))
            }
            (_, Value::Number(d)) => J::String(d.normalize().to_string()),
            (_, Value::Date(d)) => J::String(d.to_string()),
            (_, Value::Text(t)) => J::String(t.to_string()),
            (Type::Enum(e), Value::Enum(i)) => J::String(
                schema
                    .enums
                    .get(*e)
                    .and_then(|d| d.members.get(*i as usize))
                    .cloned()
                    .unwrap_or_default(),
            ),
            (_, Value::Enum(i)) => J::from(*i),
            (_, Value::Citation(c)) => J::String(c.to_string()),
            (_, Value::Provisions(p)) => {
                J::Array(p.iter().map(|r| J::String(r.to_string())).collect())
            }
            (Type::List(inner), Value::List(items)) => {
                J::Array(items.iter().map(|x| schema.value_json(inner, x)).collect())
            }
            (_, Value::List(items)) => J::Array(
                items
                    .iter()
                    .map(|x| schema.value_json(&Type::Bool, x))
                    .collect(),
            ),
            (Type::Record(r), Value::Record(fields)) => {
                let mut map = serde_json::Map::new();
                if let Some(rec) = schema.records.get(*r) {
                    for (f, x) in rec.fields.iter().zip(fields.iter()) {
                        map.insert(f.name.clone(), schema.value_json(&f.ty, x));
                    }
                }
                J::Object(map)
            }
            (_, Value::Record(_)) => J::Null,
        }
    }
}

/// A fact, or a field of a record: its name, type and options as declared.
#[derive(Debug, Clone)]
pub struct FieldDecl {
    /// The name as declared, e.g. `offense_date`; a JSON key of the facts (or of the record).
    pub name: String,
    /// The declared type.
    pub ty: Type,
    /// An absent optional field without a default is `Value::Absent`: rules that need it are undecided.
    pub optional: bool,
    /// The value used when the fact is absent (`default EXPR`, a literal of the field's type);
    /// `None` if there is no default.
    pub default: Option<Value>,
    /// `nonempty`: a list that must hold at least one item.
    pub nonempty: bool,
    /// `unique` / `unique by FIELD`: which items of a list must differ.
    pub unique: Option<Unique>,
    /// `at least`, `at most`, `decimals`: the values the fact may take, beyond its type.
    pub limits: Limits,
    /// The description string shown in diagnostics, e.g. "the amount of the loss"; `None` if not
    /// written.
    pub description: Option<String>,
    /// The declared name in the rule file (diagnostics point at it).
    pub span: Span,
}

/// The limits on a number, an amount or a date fact (`at least 0 at most 168 decimals 2`). The
/// facts readers refuse a value outside them; the checker has made sure each bound is a value of
/// the field's type and that `decimals` is on a `decimal` field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    /// `at least X`: the least value allowed.
    pub at_least: Option<Value>,
    /// `at most X`: the greatest value allowed.
    pub at_most: Option<Value>,
    /// `decimals N`: at most N digits after the decimal point.
    pub decimals: Option<u32>,
}

/// The limit a value breaks (see [`Limits::broken`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LimitBroken<'l> {
    /// Less than `at least` (the bound).
    Below(&'l Value),
    /// Greater than `at most` (the bound).
    Above(&'l Value),
    /// More digits after the point than `decimals` (the most allowed).
    Decimals(u32),
}

impl Limits {
    /// No limit is declared.
    pub fn is_empty(&self) -> bool {
        self.at_least.is_none() && self.at_most.is_none() && self.decimals.is_none()
    }

    /// The first limit that `v` breaks; `None` if it keeps them all, or is not a number or a
    /// date (an absent fact keeps every limit). Both facts readers and the checker (for a
    /// default) ask this.
    pub fn broken(&self, v: &Value) -> Option<LimitBroken<'_>> {
        fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
            match (a, b) {
                (Value::Number(x), Value::Number(y)) => Some(x.cmp(y)),
                (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
                _ => None,
            }
        }
        if let Some(low) = &self.at_least {
            if order(v, low) == Some(std::cmp::Ordering::Less) {
                return Some(LimitBroken::Below(low));
            }
        }
        if let Some(high) = &self.at_most {
            if order(v, high) == Some(std::cmp::Ordering::Greater) {
                return Some(LimitBroken::Above(high));
            }
        }
        if let (Some(n), Value::Number(d)) = (self.decimals, v) {
            // Normalizing only lowers the scale: `40.50` has two decimals, `40.500` as many.
            if d.scale() > n && d.normalize().scale() > n {
                return Some(LimitBroken::Decimals(n));
            }
        }
        None
    }
}

/// What must differ between the items of a `unique` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unique {
    /// `unique`: the items themselves (a list of scalars).
    Items,
    /// `unique by FIELD`: the field at this index of the list's records (its name kept for
    /// messages).
    By(usize, String),
}

impl FieldDecl {
    /// The field may be left out of the facts.
    pub fn may_be_absent(&self) -> bool {
        self.optional || self.default.is_some()
    }
}

/// A `record` type: a named group of fields.
#[derive(Debug, Clone)]
pub struct RecordDecl {
    /// The record's name as declared, e.g. `loss`.
    pub name: String,
    /// The fields in declared order; a [`Value::Record`] holds its values in this order.
    pub fields: Vec<FieldDecl>,
}

/// An enumeration type.
#[derive(Debug, Clone)]
pub struct EnumDecl {
    /// The enumeration's name as declared.
    pub name: String,
    /// The members' names in declared order; a [`Value::Enum`] is an index into this list.
    pub members: Vec<String>,
}

/// A declared outcome: a value an evaluation returns.
#[derive(Debug, Clone)]
pub struct OutcomeDecl {
    /// The outcome's name as declared, e.g. `award`; its key in the result's JSON.
    pub name: String,
    /// The outcome's declared type.
    pub ty: Type,
    /// The description string, shown in the text output; `None` if not written.
    pub description: Option<String>,
}

/// A provision as the statute numbers it, with its text and marks.
#[derive(Debug, Clone)]
pub struct Provision {
    /// `18 U.S.C. § 2259(b)(2)(B)`
    pub citation: String,
    /// `(b)(2)(B)`
    pub label: String,
    /// The provision's heading string, e.g. `Determining the full amount`; `None` if not written.
    pub heading: Option<String>,
    /// Its `text` strings (the words of the statute), in source order; never evaluated.
    pub text: Vec<String>,
    /// The version it belongs to (`in NAME`, or that of an enclosing provision); `None` means every
    /// version.
    pub version: Option<VersionId>,
    /// The reason of its `not computed` mark; `None` if it is not marked.
    pub not_computed: Option<String>,
    /// The facts it says must not matter (`disregard`), in source order.
    pub disregards: Vec<Disregard>,
    /// The provision's label in the rule file.
    pub span: Span,
}

/// `disregard victim.other_compensation "why"`: the provision forbids this fact to matter.
#[derive(Debug, Clone)]
pub struct Disregard {
    /// The fact's path as indices: the top-level fact in [`Schema::facts`], then a field index in
    /// each record type on the way (lists are looked through).
    pub path: Vec<usize>,
    /// The path as written, dotted: `victim.other_compensation`.
    pub name: String,
    /// The reason string the rule file gives, shown in the trace.
    pub reason: String,
}

/// A named value and the rules that may give it.
#[derive(Debug)]
pub struct Definition {
    /// The definition's name, as rules write it: an outcome's name or an intermediate definition's.
    pub name: String,
    /// The type of its rules' values (declared with `: TYPE` or inferred).
    pub ty: Type,
    /// Every rule for this name in this version, exceptions included; [`RuleId`] indexes it.
    pub rules: Vec<RuleDef>,
    /// Rules that are not exceptions, in source order.
    pub defaults: Vec<RuleId>,
}

impl Definition {
    /// Every expression of its rules, values and conditions, sub-expressions included.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let mut stack: Vec<&Expr> = self
            .rules
            .iter()
            .flat_map(|r| std::iter::once(&r.value).chain(r.condition.as_ref()))
            .collect();
        std::iter::from_fn(move || {
            let e = stack.pop()?;
            stack.extend(e.sub_exprs());
            Some(e)
        })
    }

    /// The definitions its rules read directly.
    pub fn reads(&self) -> impl Iterator<Item = DefId> + '_ {
        self.exprs().filter_map(|e| match e.kind {
            ExprKind::Def(d) => Some(d),
            _ => None,
        })
    }
}

/// One rule (or exception) for a definition, checked.
#[derive(Debug)]
pub struct RuleDef {
    /// The provision the rule is written in; its citation is the rule's citation in the trace.
    pub provision: ProvisionId,
    /// The rule this one displaces when it applies.
    pub exception_to: Option<RuleId>,
    /// Exceptions that displace this rule.
    pub exceptions: Vec<RuleId>,
    /// The `when` condition, a `bool` expression; `None` means the rule always applies (unless
    /// displaced).
    pub condition: Option<Expr>,
    /// The value the rule gives, of the definition's type.
    pub value: Expr,
    /// The rule's `note`s, in source order, printed under it in the trace.
    pub notes: Vec<String>,
    /// The provisions whose definition the rule applies in this version (`cites "…"`), each
    /// shown in the trace under the rule when it applies.
    pub cites: Vec<String>,
    /// The rule in the rule file.
    pub span: Span,
}

/// A data table: literal rows from keys of one type to values of another.
#[derive(Debug)]
pub struct Table {
    /// The table's name as declared, e.g. `cpi`; rules read it as `cpi[KEY]`.
    pub name: String,
    /// The description string; `None` if not written.
    pub description: Option<String>,
    /// The `source` string (always required), printed wherever the table is read.
    pub source: String,
    /// The declared key type.
    pub key_ty: Type,
    /// The declared value type.
    pub value_ty: Type,
    /// Hashed with FxHash: a lookup per case, on keys the rule file wrote.
    pub rows: HashMap<TableKey, Value, rustc_hash::FxBuildHasher>,
    /// `from`: a key is where its row comes into force; a lookup takes the last row at or
    /// before it ([`Table::in_force`]).
    pub from: bool,
    /// The rows of a `from` table in increasing key order: `(key, value)`.
    pub steps: Vec<(Value, Value)>,
    /// Each row's `cites "…"`, by key: the provision its value comes from.
    pub cites: HashMap<TableKey, Arc<str>, rustc_hash::FxBuildHasher>,
}

impl Table {
    /// The row of a `from` table in force at `key`: the last whose key is at or before it, as
    /// `(its key, its value)`; `None` before the first row (or for a key of another kind).
    pub fn in_force(&self, key: &Value) -> Option<&(Value, Value)> {
        let at = |k: &Value| match (k, key) {
            (Value::Date(a), Value::Date(b)) => Some(a <= b),
            (Value::Number(a), Value::Number(b)) => Some(a <= b),
            _ => None,
        };
        // The steps are sorted, so the rows in force make a prefix.
        let n = self.steps.partition_point(|(k, _)| at(k) == Some(true));
        n.checked_sub(1).and_then(|i| self.steps.get(i))
    }
}

/// Keys of a data table; numbers are normalised so `2017` and `2017.0` are one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TableKey {
    /// A number key (integer, decimal or money), normalised (`2017.0` is `2017`).
    Number(Decimal),
    /// A text key.
    Text(Arc<str>),
    /// A date key.
    Date(jiff::civil::Date),
    /// An enumeration member, by its index in the enumeration.
    Enum(u32),
}

impl TableKey {
    /// The key a value looks up, numbers normalised; `None` for a value that cannot be a key (bool,
    /// citation, list, record, absent).
    pub fn from_value(v: &Value) -> Option<TableKey> {
        match v {
            Value::Number(d) => Some(TableKey::Number(d.normalize())),
            Value::Text(t) => Some(TableKey::Text(t.clone())),
            Value::Date(d) => Some(TableKey::Date(*d)),
            Value::Enum(e) => Some(TableKey::Enum(*e)),
            _ => None,
        }
    }
}

/// A checked expression: what it computes, its type, where it is written.
#[derive(Debug)]
pub struct Expr {
    /// What the expression computes, with names already resolved to slots.
    pub kind: ExprKind,
    /// The type the checker gave it.
    pub ty: Type,
    /// The expression in the rule file.
    pub span: Span,
    /// Unique within the program, numbered by the checker (and only by it: a tool that changes
    /// a checked program keeps each expression's id with it): the
    /// compiled code and a recorded trace name expressions by id.
    pub(crate) id: u32,
}

impl Expr {
    /// See the field's doc: unique within the program.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The direct sub-expressions.
    pub fn sub_exprs(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal(_)
            | ExprKind::Provisions(_)
            | ExprKind::Def(_)
            | ExprKind::Fact(_)
            | ExprKind::Local(_) => Vec::new(),
            ExprKind::List(xs) | ExprKind::Min(xs) | ExprKind::Max(xs) | ExprKind::Dates(_, xs) => {
                xs.iter().collect()
            }
            ExprKind::Field(x, _)
            | ExprKind::Table(_, x)
            | ExprKind::Not(x)
            | ExprKind::Neg(x)
            | ExprKind::Year(x)
            | ExprKind::Given(x)
            | ExprKind::AggregateList(_, x)
            | ExprKind::Round { value: x, .. } => vec![x],
            ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Arith(_, a, b)
            | ExprKind::Compare(_, a, b)
            | ExprKind::Within(a, b) => vec![a, b],
            ExprKind::In { item, list, .. } => vec![item, list],
            ExprKind::If(a, b, c) => vec![a, b, c],
            ExprKind::Comprehension {
                element,
                source,
                filter,
                ..
            } => {
                let mut v: Vec<&Expr> = vec![element, source];
                v.extend(filter.as_deref());
                v
            }
        }
    }
}

/// A calculation on the calendar ([`ExprKind::Dates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateCalc {
    /// `a - b`: the days from date `b` to date `a`, an integer (negative when `a` is earlier).
    Difference,
    /// `add_days(date, n)`: the date `n` days later (earlier for a negative `n`).
    AddDays,
    /// `add_months(date, n[, ROUNDING])`: the same day `n` months later; where that day does not
    /// exist (January 31 plus one month), the rounding says which day, and without one it is an
    /// evaluation error.
    AddMonths(Option<DayRounding>),
    /// `add_years(date, n[, ROUNDING])`: `add_months` of `12 × n` (February 29 plus a year needs
    /// a rounding).
    AddYears(Option<DayRounding>),
    /// `month(date)`: 1 to 12.
    Month,
    /// `day(date)`: the day of the month, 1 to 31.
    Day,
}

/// Where a month's arithmetic lands on a day the month does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRounding {
    /// `round_down`: the last day of that month (January 31 plus a month: February 28 or 29).
    Down,
    /// `round_up`: the first day of the next month (January 31 plus a month: March 1).
    Up,
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`, exact decimal division.
    Div,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// How a list's items are combined: by `sum(…)`, `count(…)` and the like, directly or over a
/// comprehension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// `sum`: the total of numbers or money (`0` for an empty list).
    Sum,
    /// `count`: how many items.
    Count,
    /// `any`: whether some item is true.
    Any,
    /// `all`: whether every item is true.
    All,
    /// `min`: the least item; an empty list has no value.
    Min,
    /// `max`: the greatest item; an empty list has no value.
    Max,
    /// `filter`: the list of the results (only in a comprehension).
    Filter,
}

/// The rounding mode `round(x, UNIT, MODE)` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// `half_away_from_zero`: halves round away from zero (`2.5` to `3`, `-2.5` to `-3`).
    HalfAwayFromZero,
    /// `half_even`: halves round to the even neighbour (banker's rounding: `2.5` to `2`).
    HalfEven,
    /// `toward_zero`: truncates.
    TowardZero,
    /// `away_from_zero`: any fraction rounds up in magnitude.
    AwayFromZero,
}

/// What a checked expression computes; the variant's operands are its sub-expressions.
#[derive(Debug)]
pub enum ExprKind {
    /// A constant written in the rule file.
    Literal(Value),
    /// A provision-set literal; ranges are already checked.
    Provisions(Arc<[ProvisionRef]>),
    /// A list literal `[a, b, …]`.
    List(Vec<Expr>),
    /// A definition of the same version, by its index in [`Version::defs`].
    Def(DefId),
    /// A top-level fact, by its index in the schema.
    Fact(usize),
    /// A variable bound by a list expression, by its depth (0 = outermost).
    Local(usize),
    /// A record field, by its index in the record's [`RecordDecl::fields`].
    Field(Box<Expr>, usize),
    /// A data table lookup `NAME[KEY]`; a key with no row is an evaluation error.
    Table(TableId, Box<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// Unary minus.
    Neg(Box<Expr>),
    /// `a and b`, three-valued: `false and X` is false even when `X` is undecided.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`, three-valued: `true or X` is true even when `X` is undecided.
    Or(Box<Expr>, Box<Expr>),
    /// Arithmetic on numbers or money with checked `Decimal` operations (overflow is an evaluation
    /// error, never a wrapped value).
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// A comparison: ordered for numbers, money and dates of one kind; `=` and `!=` for any two
    /// values of one type.
    Compare(Compare, Box<Expr>, Box<Expr>),
    /// `a within b`: whether a citation lies in a citation or a provision set.
    Within(Box<Expr>, Box<Expr>),
    /// `item in list`, or `item not in list` when `negated`.
    In {
        /// The value looked for.
        item: Box<Expr>,
        /// The list, of the item's type.
        list: Box<Expr>,
        /// `not in`: true when the item is absent.
        negated: bool,
    },
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `min(a, b, …)` of two or more numbers, amounts or dates of one kind.
    Min(Vec<Expr>),
    /// `max(a, b, …)` of two or more numbers, amounts or dates of one kind.
    Max(Vec<Expr>),
    /// `year(date)`: the calendar year, an integer.
    Year(Box<Expr>),
    /// Calendar arithmetic: `a - b` of two dates, `add_days`, `add_months`, `add_years`, `month`,
    /// `day`; the arguments in the order written.
    Dates(DateCalc, Vec<Expr>),
    /// `round(x, UNIT, MODE)`: money or a decimal rounded to `places` decimals.
    Round {
        /// The amount rounded.
        value: Box<Expr>,
        /// Decimal places kept: 2 for `cents`, 0 for `dollars`.
        places: u32,
        /// How halves and other fractions are rounded.
        mode: Rounding,
    },
    /// `given(fact)`: whether an optional fact was given.
    Given(Box<Expr>),
    /// `count(list)`, `sum(list)`, `any(list)`, `all(list)`.
    AggregateList(Aggregate, Box<Expr>),
    /// `AGG(element for var in source if filter)`: `element` computed for each item of `source`
    /// that passes `filter`, then aggregated.
    Comprehension {
        /// How the results are combined.
        aggregate: Aggregate,
        /// The expression computed for each item; it reads the item as [`ExprKind::Local`] with
        /// depth `local`.
        element: Box<Expr>,
        /// The depth of the bound variable.
        local: usize,
        /// The bound variable's name as written, for the trace.
        var_name: String,
        /// The list iterated over.
        source: Box<Expr>,
        /// The `if` condition an item must pass; `None` keeps every item.
        filter: Option<Box<Expr>>,
    },
}

#[cfg(test)]
mod table_tests {
    use super::*;
    use proptest::prelude::*;

    fn table(keys: &[i64]) -> Table {
        let mut steps: Vec<(Value, Value)> = keys
            .iter()
            .map(|k| {
                (
                    Value::Number(Decimal::from(*k)),
                    Value::Number(Decimal::from(k * 10)),
                )
            })
            .collect();
        steps.sort_by(|(a, _), (b, _)| match (a, b) {
            (Value::Number(a), Value::Number(b)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        });
        Table {
            name: "t".into(),
            description: None,
            source: String::new(),
            key_ty: Type::Integer,
            value_ty: Type::Integer,
            rows: HashMap::default(),
            from: true,
            steps,
            cites: HashMap::default(),
        }
    }

    proptest! {
        /// The row in force is the greatest key at or below the one looked up, found by a scan.
        #[test]
        fn in_force_is_the_last_row_at_or_before(keys in proptest::collection::btree_set(-50i64..50, 0..12), at in -60i64..60) {
            let keys: Vec<i64> = keys.into_iter().collect();
            let t = table(&keys);
            let expected = keys.iter().filter(|k| **k <= at).max();
            let found = t.in_force(&Value::Number(Decimal::from(at))).map(|(k, _)| k.clone());
            prop_assert_eq!(found, expected.map(|k| Value::Number(Decimal::from(*k))));
        }
    }

    fn number(s: &str) -> Value {
        Value::Number(Decimal::from_str_exact(s).unwrap())
    }

    fn hours() -> Limits {
        Limits {
            at_least: Some(number("0")),
            at_most: Some(number("168")),
            decimals: Some(2),
        }
    }

    #[test]
    fn the_bounds_themselves_are_within_the_limits() {
        for ok in ["0", "168", "168.00", "40.25", "40.500"] {
            assert_eq!(hours().broken(&number(ok)), None, "{ok}");
        }
    }

    #[test]
    fn each_limit_broken_is_named() {
        let h = hours();
        assert!(matches!(
            h.broken(&number("-0.01")),
            Some(LimitBroken::Below(_))
        ));
        assert!(matches!(
            h.broken(&number("168.01")),
            Some(LimitBroken::Above(_))
        ));
        assert_eq!(h.broken(&number("40.125")), Some(LimitBroken::Decimals(2)));
    }

    #[test]
    fn dates_have_limits_and_absent_keeps_them() {
        let d = |s: &str| Value::Date(s.parse().unwrap());
        let limits = Limits {
            at_least: Some(d("1997-09-01")),
            ..Limits::default()
        };
        assert_eq!(limits.broken(&d("1997-09-01")), None);
        assert!(matches!(
            limits.broken(&d("1997-08-31")),
            Some(LimitBroken::Below(_))
        ));
        assert_eq!(limits.broken(&Value::Absent), None);
    }
}
