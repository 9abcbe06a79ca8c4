//! The typed syntax tree of one `.law` file.
//!
//! In: nothing (the lowering in [`crate::syntax`] builds it). Out: plain data
//! that owns its strings and outlives parsing. Every node that a diagnostic can
//! point at carries a [`Span`] into its file's source.

use crate::source::{FileId, Span};
use rust_decimal::Decimal;

/// A value with the place in the source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it is written: a byte range of its file.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs `node` with the `span` it was read from.
    pub fn new(node: T, span: Span) -> Self {
        Self { node, span }
    }
}

/// A name as written (a fact, definition, type, version or member), with its span.
pub type Ident = Spanned<String>;

/// One parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// The file's id in the load's [`SourceMap`](crate::source::SourceMap).
    pub file: FileId,
    /// The top-level items, in source order.
    pub items: Vec<Item>,
}

/// A top-level item of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `import "path"`: the path as written, relative to the importing file.
    Import(Spanned<String>),
    /// The `statute` header.
    Statute(Statute),
    /// A `version NAME from DATE` line.
    Version(Version),
    /// The `versions selected by FACT` line.
    VersionSelector(VersionSelector),
    /// A `facts { … }` block's fields, in source order.
    Facts(Vec<Field>),
    /// An `outcomes { … }` block's outcomes, in source order.
    Outcomes(Vec<Outcome>),
    /// An `enum` declaration.
    Enum(EnumDecl),
    /// A `record` declaration.
    Record(RecordDecl),
    /// A `table` declaration.
    Table(TableDecl),
    /// A `function` declaration.
    Function(FunctionDecl),
    /// A top-level provision, such as `(a) { … }`.
    Provision(Provision),
}

/// `statute "18 U.S.C. § 2259" "Mandatory restitution"`
#[derive(Debug, Clone, PartialEq)]
pub struct Statute {
    /// The statute's citation string, e.g. `18 U.S.C. § 2259`, with the string's span.
    pub citation: Spanned<String>,
    /// The optional title string; `None` if not written.
    pub title: Option<String>,
    /// The whole header line.
    pub span: Span,
}

/// `version current from 2018-12-07 "Pub. L. 115-299"`
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// The version's name, e.g. `current`.
    pub name: Ident,
    /// The date the text took effect, e.g. `2018-12-07`.
    pub effective: Spanned<jiff::civil::Date>,
    /// The enacting law's string, e.g. `Pub. L. 115-299`; `None` if not written.
    pub enacted_by: Option<String>,
}

/// `versions selected by offense_date note "…"`
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSelector {
    /// The date fact that selects the version, e.g. `offense_date`.
    pub fact: Ident,
    /// `refuse earlier dates "why"`: the reason a date before the first version is refused;
    /// `None` when such a date gets the first version.
    pub refuse_earlier: Option<String>,
    /// The `note` strings, in source order, shown in the trace.
    pub notes: Vec<String>,
    /// The whole line, notes included.
    pub span: Span,
}

/// A type as written; the checker resolves the names.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// A type name: `money`, `date`, a record's or an enumeration's name, and so on.
    Named(Ident),
    /// `list of T`.
    List(Box<Spanned<TypeExpr>>),
}

/// A fact in the schema or a field of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The name as written, e.g. `offense_date`.
    pub name: Ident,
    /// The type as written.
    pub ty: Spanned<TypeExpr>,
    /// `optional`: the case may leave it out.
    pub optional: bool,
    /// `default EXPR`: the value used when it is left out; `None` without the option.
    pub default: Option<Expr>,
    /// `nonempty`: a list that must hold at least one item.
    pub nonempty: bool,
    /// `unique` or `unique by FIELD`: a list whose items (or the items' FIELD) all differ.
    pub unique: Option<Unique>,
    /// `at least X`, `at most X`, `decimals N`, in the order written.
    pub limits: Vec<Limit>,
    /// The description string; `None` if not written.
    pub description: Option<String>,
}

/// `unique` or `unique by FIELD` on a list fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Unique {
    /// `by FIELD`: the field of the list's records that must differ; `None` for the items
    /// themselves.
    pub by: Option<Ident>,
    /// The whole option, `unique by id`.
    pub span: Span,
}

/// A limit on the values a fact may take.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// Which limit, with its bound.
    pub kind: LimitKind,
    /// The whole option, `at most 168`.
    pub span: Span,
}

/// The kinds of [`Limit`].
#[derive(Debug, Clone, PartialEq)]
pub enum LimitKind {
    /// `at least X`: the least value allowed, a literal of the field's type.
    AtLeast(Expr),
    /// `at most X`: the greatest value allowed, a literal of the field's type.
    AtMost(Expr),
    /// `decimals N`: at most N digits after the decimal point. `None` when the number as
    /// written does not fit a `u32` (the checker reports it).
    Decimals(Option<u32>),
}

/// One line of an `outcomes { … }` block: `award: money "the award"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The outcome's name as written.
    pub name: Ident,
    /// The outcome's type as written.
    pub ty: Spanned<TypeExpr>,
    /// The description string; `None` if not written.
    pub description: Option<String>,
}

/// `function NAME(PARAM: TYPE, …): TYPE "description" = EXPR`: a computation over its
/// parameters that rule files share by import.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDecl {
    /// The function's name as written.
    pub name: Ident,
    /// The parameters' names and declared types, in order.
    pub params: Vec<(Ident, Spanned<TypeExpr>)>,
    /// The declared type of its value.
    pub ty: Spanned<TypeExpr>,
    /// The description string; `None` if not written.
    pub description: Option<String>,
    /// The expression after `=`, which reads only the parameters.
    pub body: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `enum NAME { … }`: an enumeration and its members.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    /// The enumeration's name as written.
    pub name: Ident,
    /// The members, in declared order.
    pub members: Vec<Ident>,
}

/// `record NAME { … }`: a record type and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDecl {
    /// The record's name as written.
    pub name: Ident,
    /// The fields, in declared order.
    pub fields: Vec<Field>,
}

/// `table NAME: KEY -> VALUE "description" source "…" { KEY => VALUE … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    /// The table's name as written, e.g. `cpi`.
    pub name: Ident,
    /// The key type as written.
    pub key_ty: Spanned<TypeExpr>,
    /// The value type as written.
    pub value_ty: Spanned<TypeExpr>,
    /// The description string; `None` if not written.
    pub description: Option<String>,
    /// The `source` string, required by the grammar.
    pub source: String,
    /// `from`: each key is where its row comes into force (a step function), not a key to
    /// match exactly.
    pub from: bool,
    /// The rows `KEY => VALUE [cites "…"]`, in source order; the checker requires literals.
    pub rows: Vec<TableRow>,
}

/// One row of a data table: `KEY => VALUE`, with the provision it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// The key literal.
    pub key: Expr,
    /// The value literal.
    pub value: Expr,
    /// `cites "…"`: the provision the value comes from; `None` if not written.
    pub cites: Option<Spanned<String>>,
}

/// One component of a provision label: the `b` of `(b)`.
pub type LabelPart = String;

/// `(b)(2) "Heading" in current { … }`: a provision and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Provision {
    /// The label as written here, relative to the enclosing provision; `(b)(2)` has two parts.
    pub label: Spanned<Vec<LabelPart>>,
    /// The heading string, e.g. `"General rule"`; `None` if not written.
    pub heading: Option<String>,
    /// The version this provision belongs to; `None`: every version.
    pub in_version: Option<Ident>,
    /// What the provision holds, in source order.
    pub body: Vec<ProvisionItem>,
    /// The whole provision, label to closing brace.
    pub span: Span,
}

/// One item inside a provision's braces.
#[derive(Debug, Clone, PartialEq)]
pub enum ProvisionItem {
    /// `text "…"`: the words of the statute, never evaluated.
    Text(String),
    /// `not computed "why"`: the reason, with its span.
    NotComputed(Spanned<String>),
    /// `disregard FACT.PATH "why"`: a fact the statute says must not matter.
    Disregard {
        /// The fact's path as written, one name per dotted part.
        fact: Spanned<Vec<String>>,
        /// The reason string.
        reason: String,
    },
    /// A `rule` or an `exception to`.
    Rule(Rule),
    /// A nested provision.
    Provision(Provision),
}

/// `rule NAME = EXPR when COND note "…"`, or, with `exception_to`, an exception
/// that displaces the rule for the same name at the cited provision.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The name the rule gives a value to: an outcome or a definition.
    pub name: Ident,
    /// `exception to LABEL:`: the displaced rule's provision, its full label from the statute's
    /// top; `None` for a plain rule.
    pub exception_to: Option<Spanned<Vec<LabelPart>>>,
    /// `: TYPE` after the name; `None` when the type is inferred.
    pub declared_type: Option<Spanned<TypeExpr>>,
    /// The expression after `=`.
    pub value: Expr,
    /// The `when` condition; `None` when the rule always applies.
    pub condition: Option<Expr>,
    /// `cites "CITATION" [in VERSION]`: the provisions whose definition the rule applies, each
    /// in the version named or, without one, in every version.
    pub cites: Vec<RuleCites>,
    /// The `note` strings, in source order.
    pub notes: Vec<String>,
    /// The whole rule, notes included.
    pub span: Span,
}

/// `cites "CITATION" [in VERSION]` on a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCites {
    /// The provision cited, as the Code writes it.
    pub citation: Spanned<String>,
    /// The version in which the rule applies it; `None`: every version.
    pub version: Option<Ident>,
}

/// An expression with its span.
pub type Expr = Spanned<ExprKind>;

/// A binary operator as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`.
    Or,
    /// `and`.
    And,
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
    /// `within`.
    Within,
    /// `in`.
    In,
    /// `not in`.
    NotIn,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
}

impl BinaryOp {
    /// The operator as the language writes it, for messages and `fmt`.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Within => "within",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// A prefix operator as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`.
    Not,
    /// Unary minus, `-x`.
    Neg,
}

/// An expression as written, before names are resolved or types checked.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal, e.g. `2017`.
    Integer(Decimal),
    /// A decimal literal, e.g. `245.120`.
    Decimal(Decimal),
    /// A money literal in dollars, e.g. `$3,000` or `$3000.00` (at most two decimals).
    Money(Decimal),
    /// A date literal, e.g. `2018-12-07`.
    Date(jiff::civil::Date),
    /// A string literal, its escapes already read.
    Text(String),
    /// `§2252A(a)(5)`
    Citation(String),
    /// `[a, b, §2252A(a)(1) through (5)]`
    List(Vec<ListItem>),
    /// A name: a fact, definition, local variable, enumeration member or the like.
    Name(Ident),
    /// `x.field`.
    Field(Box<Expr>, Ident),
    /// `table[key]`.
    Index(Box<Expr>, Box<Expr>),
    /// `not x` or `-x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a OP b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `f(a, b, …)`: a function call, by the function's name.
    Call(Ident, Vec<Expr>),
    /// `sum(l.amount for l in victim.losses if l.proximate)`
    Comprehension {
        /// The aggregate's name as written: `sum`, `count`, `any`, `all`, `min`, `max` or `filter`.
        aggregate: Ident,
        /// The expression computed for each item.
        element: Box<Expr>,
        /// The bound variable, e.g. `l`.
        var: Ident,
        /// The list iterated over.
        source: Box<Expr>,
        /// The `if` condition; `None` keeps every item.
        filter: Option<Box<Expr>>,
    },
}

/// One member of a list literal.
#[derive(Debug, Clone, PartialEq)]
pub enum ListItem {
    /// An expression.
    Single(Expr),
    /// `§2251 through §2260A`, or `§2252A(a)(1) through (5)` (the end relative to the start).
    Range {
        /// The range's first citation.
        start: Expr,
        /// The range's last provision, as written.
        end: Spanned<RangeEnd>,
    },
}

/// The end of a range, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeEnd {
    /// A full citation, without `§` (the text after it), e.g. `2260A`.
    Citation(String),
    /// Only label parts, relative to the start: `(5)` is `["5"]`.
    Relative(Vec<LabelPart>),
}
