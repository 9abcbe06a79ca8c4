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

pub type DefId = usize;
pub type RuleId = usize;
pub type ProvisionId = usize;
pub type TableId = usize;
pub type VersionId = usize;

/// What the checker produces: names resolved to slots, types checked.
#[derive(Debug)]
pub struct ProgramData {
    pub statute: Statute,
    /// In order of effective date, earliest first.
    pub versions: Vec<Version>,
    /// The top-level fact whose date selects the version in force.
    pub version_selector: Option<VersionSelector>,
    /// Shared with every evaluation, which renders its typed outcomes through it.
    pub schema: Arc<Schema>,
    pub outcomes: Vec<OutcomeDecl>,
    /// The statute and outcomes as evaluations carry them: one reference count per evaluation
    /// instead of an owned name per outcome.
    pub shape: Arc<OutcomeShape>,
    pub provisions: Vec<Provision>,
    pub tables: Vec<Table>,
    pub sources: SourceMap,
}

/// What an evaluation needs to name and render its outcomes without borrowing the program.
#[derive(Debug)]
pub struct OutcomeShape {
    /// The statute's citation.
    pub statute: String,
    /// Outcome names and types, in declared order.
    pub names: Vec<String>,
    pub types: Vec<Type>,
    /// Outcome indices in the order a JSON object writes them: declared order, a repeated
    /// name once, where it first appears, with its last declaration's value (as inserting into
    /// an insertion-ordered map keeps it). The checker refuses repeated names; this keeps the
    /// two JSON writers identical even so.
    pub order: Vec<usize>,
    /// Each name and the statute as JSON strings (quoted and escaped), written as they are
    /// into every result of a batch.
    pub names_json: Vec<String>,
    pub statute_json: String,
    pub schema: Arc<Schema>,
}

impl OutcomeShape {
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

#[derive(Debug, Clone)]
pub struct Statute {
    pub citation: String,
    pub title: Option<String>,
}

#[derive(Debug)]
pub struct Version {
    pub name: String,
    pub effective: jiff::civil::Date,
    pub enacted_by: Option<String>,
    /// This version's definitions; an outcome points into them.
    pub defs: Vec<Definition>,
    /// For each declared outcome, its definition in this version, if the version defines it.
    pub outcome_defs: Vec<Option<DefId>>,
    /// Provisions that exist in this version, in source order.
    pub provisions: Vec<ProvisionId>,
}

#[derive(Debug, Clone)]
pub struct VersionSelector {
    pub fact: usize,
    pub fact_name: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub facts: Vec<FieldDecl>,
    pub records: Vec<RecordDecl>,
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

#[derive(Debug, Clone)]
pub struct FieldDecl {
    pub name: String,
    pub ty: Type,
    /// An absent optional field without a default is `Value::Absent`: rules that need it are undecided.
    pub optional: bool,
    pub default: Option<Value>,
    pub nonempty: bool,
    pub description: Option<String>,
    pub span: Span,
}

impl FieldDecl {
    /// The field may be left out of the facts.
    pub fn may_be_absent(&self) -> bool {
        self.optional || self.default.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct RecordDecl {
    pub name: String,
    pub fields: Vec<FieldDecl>,
}

#[derive(Debug, Clone)]
pub struct EnumDecl {
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct OutcomeDecl {
    pub name: String,
    pub ty: Type,
    pub description: Option<String>,
}

/// A provision as the statute numbers it, with its text and marks.
#[derive(Debug, Clone)]
pub struct Provision {
    /// `18 U.S.C. § 2259(b)(2)(B)`
    pub citation: String,
    /// `(b)(2)(B)`
    pub label: String,
    pub heading: Option<String>,
    pub text: Vec<String>,
    pub version: Option<VersionId>,
    pub not_computed: Option<String>,
    pub disregards: Vec<Disregard>,
    pub span: Span,
}

/// `disregard victim.other_compensation "why"`: the provision forbids this fact to matter.
#[derive(Debug, Clone)]
pub struct Disregard {
    pub path: Vec<usize>,
    pub name: String,
    pub reason: String,
}

/// A named value and the rules that may give it.
#[derive(Debug)]
pub struct Definition {
    pub name: String,
    pub ty: Type,
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

#[derive(Debug)]
pub struct RuleDef {
    pub provision: ProvisionId,
    /// The rule this one displaces when it applies.
    pub exception_to: Option<RuleId>,
    /// Exceptions that displace this rule.
    pub exceptions: Vec<RuleId>,
    pub condition: Option<Expr>,
    pub value: Expr,
    pub notes: Vec<String>,
    pub span: Span,
}

#[derive(Debug)]
pub struct Table {
    pub name: String,
    pub description: Option<String>,
    pub source: String,
    pub key_ty: Type,
    pub value_ty: Type,
    /// Hashed with FxHash: a lookup per case, on keys the rule file wrote.
    pub rows: HashMap<TableKey, Value, rustc_hash::FxBuildHasher>,
}

/// Keys of a data table; numbers are normalised so `2017` and `2017.0` are one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TableKey {
    Number(Decimal),
    Text(Arc<str>),
    Date(jiff::civil::Date),
    Enum(u32),
}

impl TableKey {
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

#[derive(Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
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
            ExprKind::List(xs) | ExprKind::Min(xs) | ExprKind::Max(xs) => xs.iter().collect(),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Count,
    Any,
    All,
    Min,
    Max,
    Filter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    HalfAwayFromZero,
    HalfEven,
    TowardZero,
    AwayFromZero,
}

#[derive(Debug)]
pub enum ExprKind {
    Literal(Value),
    /// A provision-set literal; ranges are already checked.
    Provisions(Arc<[ProvisionRef]>),
    List(Vec<Expr>),
    Def(DefId),
    /// A top-level fact, by its index in the schema.
    Fact(usize),
    /// A variable bound by a list expression, by its depth (0 = outermost).
    Local(usize),
    Field(Box<Expr>, usize),
    Table(TableId, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Compare(Compare, Box<Expr>, Box<Expr>),
    Within(Box<Expr>, Box<Expr>),
    In {
        item: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Min(Vec<Expr>),
    Max(Vec<Expr>),
    Year(Box<Expr>),
    Round {
        value: Box<Expr>,
        places: u32,
        mode: Rounding,
    },
    /// `given(fact)`: whether an optional fact was given.
    Given(Box<Expr>),
    /// `count(list)`, `sum(list)`, `any(list)`, `all(list)`.
    AggregateList(Aggregate, Box<Expr>),
    Comprehension {
        aggregate: Aggregate,
        element: Box<Expr>,
        /// The depth of the bound variable.
        local: usize,
        var_name: String,
        source: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
}
