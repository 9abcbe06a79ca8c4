//! The explanation of a result: a tree of provisions, rules, facts and table
//! rows, each citing the provision it comes from.
//!
//! Plain serde data, shaped for reading and for snapshots: stable order, no
//! timings, no addresses.

use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::Arc;

/// What a trace node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Which text of the statute applied, and why.
    Version,
    /// A named value (an outcome or an intermediate definition).
    Definition,
    /// A default rule for a definition.
    Rule,
    /// A rule that displaces another when it applies.
    Exception,
    /// A fact of the case that a rule read.
    Fact,
    /// A row of a data table that a rule read.
    Table,
    /// One element of a list that a list expression went through.
    Item,
    /// An outcome the applied version does not define.
    Undefined,
    /// A provision that produces no value, and why.
    NotComputed,
    /// A fact the statute says must not affect the result.
    Disregarded,
    /// Another provision whose definition a rule applies (`cites "…"`): the rule's value is
    /// that provision's, as the rule's own provision incorporates it.
    Reference,
}

/// What happened to a rule or list item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The rule gave the value.
    Applied,
    /// The rule's condition was false.
    NotApplicable,
    /// The rule's condition held, but an exception displaced it.
    Overridden,
    /// The rule's condition could not be decided: an optional fact is absent.
    Undecided,
    /// A list item the filter kept.
    Included,
    /// A list item the filter left out.
    Excluded,
}

/// One node of the trace.
///
/// The citation, name and notes are shared (`Arc`): most of them are the program's own words
/// (a provision's citation, a definition's name, a rule's notes), which every case's trace
/// repeats, so building a trace copies pointers rather than text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceNode {
    /// The full citation of the provision, e.g. `18 U.S.C. § 2259(b)(2)(B)`.
    pub citation: Arc<str>,
    /// What the node stands for: a version, definition, rule, fact, table row, list item…
    pub kind: NodeKind,
    /// The definition, fact path, table row or provision heading.
    pub name: Arc<str>,
    /// The value in the contract's JSON form; `null` when undecided or not evaluated.
    pub value: serde_json::Value,
    /// What happened to a rule or list item; `None` on every other node, and on an item of a
    /// list that no filter went through (unless the item was undecided).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Why, in words: "condition `trafficking` is false", "displaced by the exception in (b)(2)(C)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The expression that computed the value, as the rule file writes it (whitespace and
    /// comments collapsed), on a rule that applied; absent when the expression is a literal
    /// or a bare name (the value, or the child node, already says it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula: Option<Arc<str>>,
    /// The rule file's notes that explain what happened here: a version selector's, a table's
    /// source, and the notes of a rule that applied (a rule that did not apply is not what
    /// happened, so its notes would say something untrue of the case).
    #[serde(skip_serializing_if = "no_notes")]
    pub notes: Arc<[String]>,
    /// The nodes this one was decided from (a definition's rules, the facts and definitions a rule
    /// read, a list's items), in evaluation order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TraceNode>,
    /// How the value reads for a person (money with a dollar sign, a long ratio rounded); the
    /// JSON keeps the exact `value`.
    #[serde(skip)]
    pub shown: Shown,
    /// On a rule that applied (or a definition with one unconditional rule) whose value is
    /// `min(…)` or `max(…)`, possibly nested: which operand each of them took, innermost first.
    /// What "why not" and the decision memo say moved the value. Not in the JSON trace, whose
    /// keys are the contract's.
    #[serde(skip)]
    pub limits: Vec<Limit>,
    /// On the same nodes as `limits`: each `if … then … else …` of the rule's value that was
    /// evaluated, and the branch it took, in evaluation order. Not in the JSON trace either.
    #[serde(skip)]
    pub branches: Vec<Branch>,
}

/// One `if … then … else …` of a rule's value, and the branch it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The condition as the rule file writes it.
    pub condition: Arc<str>,
    /// The condition's value: `true` took `then`, `false` took `otherwise`.
    pub taken: bool,
    /// The `then` branch as written.
    pub then: Arc<str>,
    /// The `else` branch as written.
    pub otherwise: Arc<str>,
}

/// One `min(…)` or `max(…)` of a rule's value, and the operand it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// `max` raises its first operand to a floor; `min` lowers it to a cap.
    pub kind: LimitKind,
    /// The operands, in written order.
    pub operands: Vec<Operand>,
    /// The operand whose value it took: the first of those with that value (so `0` when no
    /// other operand moved the first).
    pub chosen: usize,
}

/// `min` or `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// `min(…)`.
    Min,
    /// `max(…)`.
    Max,
}

/// An operand of a [`Limit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    /// The operand as the rule file writes it (`court.relative_role_amount`,
    /// `max(court.relative_role_amount, minimum_restitution)`).
    pub text: Arc<str>,
    /// Its value in the contract's JSON form.
    pub value: serde_json::Value,
    /// How its value reads for a person.
    pub shown: Shown,
    /// When the operand is a definition: the citation of the provision that decided it.
    pub citation: Option<Arc<str>>,
}

/// The kind of a node's value, for the text a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shown {
    /// As the JSON value reads.
    #[default]
    Json,
    /// An amount of money: `$3,000.00`.
    Money(Decimal),
    /// A decimal number with the scale the rule file or the computation gave it (`245.120`).
    Decimal(Decimal),
    /// A list of amounts of money (the JSON value is their texts).
    MoneyList,
}

impl TraceNode {
    /// A node with no status, detail, formula, notes or children, its value shown as the JSON
    /// reads; `eval/expand.rs` fills in the rest.
    pub fn new(
        citation: impl Into<Arc<str>>,
        kind: NodeKind,
        name: impl Into<Arc<str>>,
        value: serde_json::Value,
    ) -> Self {
        TraceNode {
            citation: citation.into(),
            kind,
            name: name.into(),
            value,
            status: None,
            detail: None,
            formula: None,
            notes: Arc::default(),
            children: Vec::new(),
            shown: Shown::Json,
            limits: Vec::new(),
            branches: Vec::new(),
        }
    }

    /// A default rule or an exception (the nodes under a definition that are its rules).
    pub fn is_rule(&self) -> bool {
        matches!(self.kind, NodeKind::Rule | NodeKind::Exception)
    }

    /// The rules a definition's node shows, in order; none when the definition's
    /// single rule applied and was folded into the node.
    pub fn rules(&self) -> impl Iterator<Item = &TraceNode> {
        self.children.iter().filter(|c| c.is_rule())
    }

    /// Every node of the tree, depth first.
    pub fn walk(&self) -> Box<dyn Iterator<Item = &TraceNode> + '_> {
        Box::new(std::iter::once(self).chain(self.children.iter().flat_map(|c| c.walk())))
    }
}

fn no_notes(notes: &Arc<[String]>) -> bool {
    notes.is_empty()
}
