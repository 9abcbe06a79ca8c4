//! A propositional view of `when` conditions, for the checker's static warnings.
//!
//! In: a checked condition. Out: a formula over *atoms* (anything that is not
//! `and`/`or`/`not`/a literal), where comparisons are normalised so that
//! `a > b` is the negation of the atom `a <= b` and `a != b` the negation of
//! `a = b`. Two conditions are disjoint when their conjunction has no
//! satisfying assignment. The view is sound for "can never hold" (an
//! unsatisfiable formula never holds whatever the atoms mean) and
//! approximate for "can both hold" (atoms may be related in ways it cannot
//! see, so that verdict is a warning, never an error).

use crate::program::{Compare, Expr, ExprKind};
use crate::source::SourceMap;
use crate::value::Value;

/// Conditions with more atoms than this are not analysed (2^n assignments).
const MAX_ATOMS: usize = 12;

/// A condition with more `and`, `or` and `not` than this is one atom: the view could not
/// analyse its atoms anyway, and its formula is not built one call deeper per operator.
const MAX_CONNECTIVES: usize = 64;

/// Whether `e` joins more than [`MAX_CONNECTIVES`] parts with `and`, `or` and `not`, counted
/// without recursion.
fn too_many_connectives(e: &Expr) -> bool {
    let mut stack = vec![e];
    let mut count = 0usize;
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::And(a, b) | ExprKind::Or(a, b) => stack.extend([&**a, &**b]),
            ExprKind::Not(x) => stack.push(x),
            _ => continue,
        }
        count += 1;
        if count > MAX_CONNECTIVES {
            return true;
        }
    }
    false
}

/// A condition as a propositional formula over the atoms of one [`Atoms`].
#[derive(Debug, Clone)]
pub enum Formula {
    /// `true` or `false` written as a literal; also an absent condition, which always holds.
    Const(bool),
    /// An atom, by its index in the [`Atoms`] that built the formula.
    Atom(usize),
    /// `not`.
    Not(Box<Formula>),
    /// `and`.
    And(Box<Formula>, Box<Formula>),
    /// `or`.
    Or(Box<Formula>, Box<Formula>),
}

/// Atoms are keyed by their normalised source text, shared across the formulas built
/// with one `Atoms`.
#[derive(Debug, Default)]
pub struct Atoms {
    keys: Vec<String>,
}

impl Atoms {
    fn id(&mut self, key: String) -> usize {
        match self.keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                self.keys.push(key);
                self.keys.len() - 1
            }
        }
    }

    /// How many distinct atoms the formulas built so far use.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no atom has been seen yet.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The formula of a condition (`None`: no condition, which always holds).
    pub fn formula(&mut self, sources: &SourceMap, e: Option<&Expr>) -> Formula {
        match e {
            None => Formula::Const(true),
            Some(e) if too_many_connectives(e) => {
                let key = sources.snippet(e.span).to_string();
                Formula::Atom(self.id(key))
            }
            Some(e) => self.build(sources, e),
        }
    }

    fn build(&mut self, sources: &SourceMap, e: &Expr) -> Formula {
        let text = |x: &Expr| {
            sources
                .snippet(x.span)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        match &e.kind {
            ExprKind::Literal(Value::Bool(b)) => Formula::Const(*b),
            ExprKind::Not(x) => Formula::Not(Box::new(self.build(sources, x))),
            ExprKind::And(a, b) => Formula::And(
                Box::new(self.build(sources, a)),
                Box::new(self.build(sources, b)),
            ),
            ExprKind::Or(a, b) => Formula::Or(
                Box::new(self.build(sources, a)),
                Box::new(self.build(sources, b)),
            ),
            ExprKind::Compare(op, a, b) => {
                let (l, r) = (text(a), text(b));
                let (key, negated) = match op {
                    Compare::Le => (format!("{l} <= {r}"), false),
                    Compare::Gt => (format!("{l} <= {r}"), true),
                    Compare::Lt => (format!("{l} < {r}"), false),
                    Compare::Ge => (format!("{l} < {r}"), true),
                    Compare::Eq => (format!("{l} = {r}"), false),
                    Compare::Ne => (format!("{l} = {r}"), true),
                };
                let atom = Formula::Atom(self.id(key));
                if negated {
                    Formula::Not(Box::new(atom))
                } else {
                    atom
                }
            }
            _ => Formula::Atom(self.id(text(e))),
        }
    }
}

impl Formula {
    fn eval(&self, assignment: u32) -> bool {
        match self {
            Formula::Const(b) => *b,
            Formula::Atom(i) => assignment & (1 << i) != 0,
            Formula::Not(x) => !x.eval(assignment),
            Formula::And(a, b) => a.eval(assignment) && b.eval(assignment),
            Formula::Or(a, b) => a.eval(assignment) || b.eval(assignment),
        }
    }
}

/// What the propositional view can say about a formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// False under every assignment: it can never hold.
    Never,
    /// True under every assignment: it always holds.
    Always,
    /// True under some assignments.
    Sometimes,
    /// Too many atoms to tell.
    Unknown,
}

/// Whether `f` never, always or sometimes holds, trying every assignment of the atoms. Counts every
/// atom `atoms` holds, not only those `f` uses: past `MAX_ATOMS` (12) it is [`Verdict::Unknown`].
pub fn verdict(atoms: &Atoms, f: &Formula) -> Verdict {
    if atoms.len() > MAX_ATOMS {
        return Verdict::Unknown;
    }
    let n = 1u32 << atoms.len();
    let (mut some_true, mut some_false) = (false, false);
    for a in 0..n {
        if f.eval(a) {
            some_true = true;
        } else {
            some_false = true;
        }
        if some_true && some_false {
            return Verdict::Sometimes;
        }
    }
    if some_true {
        Verdict::Always
    } else {
        Verdict::Never
    }
}

/// The conjunction of `a` and `b` (both hold), to ask whether two conditions can hold together.
pub fn both(a: &Formula, b: &Formula) -> Formula {
    Formula::And(Box::new(a.clone()), Box::new(b.clone()))
}
