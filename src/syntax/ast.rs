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
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Self { node, span }
    }
}

pub type Ident = Spanned<String>;

/// One parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub file: FileId,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Import(Spanned<String>),
    Statute(Statute),
    Version(Version),
    VersionSelector(VersionSelector),
    Facts(Vec<Field>),
    Outcomes(Vec<Outcome>),
    Enum(EnumDecl),
    Record(RecordDecl),
    Table(TableDecl),
    Provision(Provision),
}

/// `statute "18 U.S.C. § 2259" "Mandatory restitution"`
#[derive(Debug, Clone, PartialEq)]
pub struct Statute {
    pub citation: Spanned<String>,
    pub title: Option<String>,
    pub span: Span,
}

/// `version current from 2018-12-07 "Pub. L. 115-299"`
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub name: Ident,
    pub effective: Spanned<jiff::civil::Date>,
    pub enacted_by: Option<String>,
}

/// `versions selected by offense_date note "…"`
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSelector {
    pub fact: Ident,
    pub notes: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Named(Ident),
    List(Box<Spanned<TypeExpr>>),
}

/// A fact in the schema or a field of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub ty: Spanned<TypeExpr>,
    pub optional: bool,
    pub default: Option<Expr>,
    pub nonempty: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub name: Ident,
    pub ty: Spanned<TypeExpr>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    pub name: Ident,
    pub members: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordDecl {
    pub name: Ident,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    pub name: Ident,
    pub key_ty: Spanned<TypeExpr>,
    pub value_ty: Spanned<TypeExpr>,
    pub description: Option<String>,
    pub source: String,
    pub rows: Vec<(Expr, Expr)>,
}

/// One component of a provision label: the `b` of `(b)`.
pub type LabelPart = String;

/// `(b)(2) "Heading" in current { … }`: a provision and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Provision {
    /// The label as written here, relative to the enclosing provision; `(b)(2)` has two parts.
    pub label: Spanned<Vec<LabelPart>>,
    pub heading: Option<String>,
    /// The version this provision belongs to; `None`: every version.
    pub in_version: Option<Ident>,
    pub body: Vec<ProvisionItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProvisionItem {
    Text(String),
    NotComputed(Spanned<String>),
    Disregard {
        fact: Spanned<Vec<String>>,
        reason: String,
    },
    Rule(Rule),
    Provision(Provision),
}

/// `rule NAME = EXPR when COND note "…"`, or, with `exception_to`, an exception
/// that displaces the rule for the same name at the cited provision.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: Ident,
    pub exception_to: Option<Spanned<Vec<LabelPart>>>,
    pub declared_type: Option<Spanned<TypeExpr>>,
    pub value: Expr,
    pub condition: Option<Expr>,
    pub notes: Vec<String>,
    pub span: Span,
}

pub type Expr = Spanned<ExprKind>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Within,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    Integer(Decimal),
    Decimal(Decimal),
    Money(Decimal),
    Date(jiff::civil::Date),
    Text(String),
    /// `§2252A(a)(5)`
    Citation(String),
    /// `[a, b, §2252A(a)(1) through (5)]`
    List(Vec<ListItem>),
    Name(Ident),
    Field(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    /// `sum(l.amount for l in victim.losses if l.proximate)`
    Comprehension {
        aggregate: Ident,
        element: Box<Expr>,
        var: Ident,
        source: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ListItem {
    Single(Expr),
    /// `§2251 through §2260A`, or `§2252A(a)(1) through (5)` (the end relative to the start).
    Range {
        start: Expr,
        end: Spanned<RangeEnd>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum RangeEnd {
    Citation(String),
    Relative(Vec<LabelPart>),
}
