//! Checking: parsed files in, a [`ProgramData`] out.
//!
//! Resolves every name to a slot, gives every expression a type, builds each
//! definition's default/exception tree per version, finds cycles, and checks
//! that provisions the statute says must not matter (`disregard`) are read by
//! no rule. Every error of a file is collected and reported together.
//!
//! `Checker::run` lists the phases in order; each lives in the file of its job:
//! `declarations.rs` (headers, types, facts, tables, outcomes), `provisions.rs` (the
//! provision tree and its rules), `version.rs` (one version's definitions), `expr.rs` and
//! `calls.rs` (typing expressions and built-in calls), `lints.rs` (what only warns, and the
//! depth and clash checks beside it), `conditions.rs` (the propositional view lints use).

mod calls;
pub mod conditions;
mod declarations;
mod expr;
mod functions;
mod lints;
mod provisions;
mod version;

use crate::diagnostic::{Problem, Problems, suggestion};
use crate::program::{OutcomeShape, ProgramData};
use crate::source::{SourceMap, Span};
use crate::syntax::ast;
use std::collections::HashSet;
use std::sync::Arc;

crate::diagnostic::stage_kinds! {
    /// What a checker diagnostic is about: why a rule set does not check, or what a warning
    /// points out. One kind per stable code (`lawcode::check::…`).
    pub enum CheckKind;

    /// A name, field, function, version or table is not defined; the help suggests the nearest.
    UNKNOWN_NAME, UnknownName = "lawcode::check::unknown_name";
    /// A type name is neither built in nor declared.
    UNKNOWN_TYPE, UnknownType = "lawcode::check::unknown_type";
    /// Values of the wrong type meet (money + date, `not` of money, an enumeration member that does
    /// not exist).
    TYPE_MISMATCH, TypeMismatch = "lawcode::check::type_mismatch";
    /// A fact, type, outcome, table, version or provision is declared twice, or a provision holds a
    /// second rule for one name with the same condition.
    DUPLICATE, Duplicate = "lawcode::check::duplicate";
    /// Definitions depend on each other in a circle, or exceptions displace each other in one.
    CYCLE, Cycle = "lawcode::check::cycle";
    /// An exception cites a provision with no rule for its name in its version, or with several.
    EXCEPTION_TARGET, ExceptionTarget = "lawcode::check::exception_target";
    /// A function is called with the wrong number of arguments.
    ARITY, Arity = "lawcode::check::arity";
    /// Versions are inconsistent: several without a selector, two on one day, a selector that is
    /// not a required date fact, a provision inside another version's provision.
    VERSION, Version = "lawcode::check::version";
    /// A file with provisions has no `statute` header to cite them by.
    HEADER, Header = "lawcode::check::header";
    /// The rule set has no `statute` header at all (an empty file, or a data file checked alone).
    NO_STATUTE, NoStatute = "lawcode::check::no_statute";
    /// A data table has a repeated key, a cell of the wrong type or one that is not a literal.
    TABLE, Table = "lawcode::check::table";
    /// `unique` on a fact that is not a list, `unique` on a list of records (which needs
    /// `unique by FIELD`), or `unique by` a field the items lack or that is not a plain value.
    UNIQUE, Unique = "lawcode::check::unique";
    /// A limit (`at least`, `at most`, `decimals`) where it cannot apply: on a fact that is not a
    /// number, an amount or a date, with a bound that is not a literal of the fact's type, with
    /// `at least` above `at most`, or with a default outside the limits.
    LIMIT, Limit = "lawcode::check::limit";
    /// A rule reads a fact that a provision says must not matter (`disregard`).
    DISREGARDED_FACT_READ, DisregardedFactRead = "lawcode::check::disregarded_fact_read";
    /// A provision citation or range in the rules is malformed.
    CITATION, Citation = "lawcode::check::citation";
    /// Provisions nest deeper than [`MAX_NESTING`](crate::syntax::MAX_NESTING), or a chain of
    /// definitions, each reading the next, is longer than 200.
    TOO_DEEP, TooDeep = "lawcode::check::too_deep";
    /// Warning: a declared fact is read by no rule and disregarded by no provision.
    UNUSED_FACT, UnusedFact = "lawcode::check::unused_fact";
    /// Warning: a provision (with what it holds) has no rule, no `not computed` and no `disregard`.
    EMPTY_PROVISION, EmptyProvision = "lawcode::check::empty_provision";
    /// Two default rules for one value always apply together and neither is an exception to the
    /// other.
    CONFLICT, Conflict = "lawcode::check::conflict";
    /// Warning: two default rules for one value can both apply; evaluation reports a conflict if
    /// they do.
    POSSIBLE_CONFLICT, PossibleConflict = "lawcode::check::possible_conflict";
    /// Warning: a rule's condition can never hold.
    CONDITION_NEVER_TRUE, ConditionNeverTrue = "lawcode::check::condition_never_true";
    /// Warning: no outcome depends on a definition.
    UNUSED_DEFINITION, UnusedDefinition = "lawcode::check::unused_definition";
}

/// Warnings that an error elsewhere can cause (a definition, fact or provision read only by a
/// rule that failed to check looks unused), left out while any error is reported.
const FOLLOW_FROM_ERRORS: [&str; 3] = [
    codes::UNUSED_DEFINITION,
    codes::UNUSED_FACT,
    codes::EMPTY_PROVISION,
];

/// The rule files did not check; `problems` holds every error and warning found.
pub type CheckError = Problems;

/// What checking found besides errors.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Every warning found, in the order found; empty for a clean program.
    pub warnings: Vec<Problem>,
}

/// Deepest chain of definitions that refer to each other; beyond it the rule
/// file is refused rather than risking the stack.
const MAX_DEFINITION_DEPTH: usize = 200;

/// Checks parsed files (the entry file first) into a program.
pub fn check_files(
    files: &[ast::File],
    sources: SourceMap,
) -> Result<(ProgramData, CheckReport), CheckError> {
    let mut checker = Checker {
        sources: &sources,
        problems: Vec::new(),
        seen: HashSet::new(),
        unchecked_rules: HashSet::new(),
        next_expr_id: 0,
    };
    let program = checker.run(files);
    let errors = checker.problems.iter().filter(|p| p.is_error()).count();
    let (errors_list, warnings): (Vec<_>, Vec<_>) =
        checker.problems.into_iter().partition(|p| p.is_error());
    match program {
        Some(mut p) if errors == 0 => {
            p.sources = sources;
            Ok((p, CheckReport { warnings }))
        }
        _ => {
            let mut problems = errors_list;
            // While an error stands, a warning that can follow from it would mislead: a rule
            // that failed to check reads nothing, so what it reads looks unused.
            problems.extend(
                warnings
                    .into_iter()
                    .filter(|w| !FOLLOW_FROM_ERRORS.contains(&w.code)),
            );
            Err(Problems {
                summary: format!(
                    "the rule files have {errors} error{}",
                    if errors == 1 { "" } else { "s" }
                ),
                problems,
            })
        }
    }
}

/// Checks the files of one program: what the phases share, and every problem they report.
struct Checker<'s> {
    sources: &'s SourceMap,
    problems: Vec<Problem>,
    /// (code, span) of problems already reported, so that a rule checked once per version reports once.
    seen: HashSet<(&'static str, Span)>,
    /// Names given rules in provisions that could not be checked (no `statute` to cite them
    /// by): an outcome among them is not reported as never defined.
    unchecked_rules: HashSet<String>,
    /// The next expression's [`Expr::id`](crate::program::Expr::id): numbered across all
    /// versions of the program.
    next_expr_id: u32,
}

/// Where the problems found while checking go: the [`Checker`] keeps each once, and a
/// [`VersionChecker`](version::VersionChecker) first names the provision of the rule it is
/// checking.
trait Reporter {
    /// The files problems point into.
    fn sources(&self) -> &SourceMap;

    fn report(&mut self, p: Problem);

    /// An error labelled at `span`.
    fn err(
        &self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Problem {
        Problem::error(code, message).label(self.sources(), span, label)
    }

    /// Reports a name that names nothing, suggesting the nearest of the names it could have
    /// meant. Always `None`, so that a caller can return it.
    fn unknown<T>(&mut self, u: UnknownName<'_>) -> Option<T> {
        let p = self
            .err(u.code, u.span, u.message, format!("unknown {}", u.what))
            .with_help(suggestion(u.name, u.candidates, u.fallback));
        self.report(p);
        None
    }
}

/// A name in a rule file that names nothing, and what it could have meant.
struct UnknownName<'a> {
    /// [`codes::UNKNOWN_NAME`], or [`codes::UNKNOWN_TYPE`] for a type.
    code: &'static str,
    /// What kind of thing was named ("fact", "field", "table", …), for the label `unknown …`.
    what: &'a str,
    /// The name as written.
    name: &'a str,
    span: Span,
    message: String,
    /// The names it could have meant; the nearest, if near enough, is suggested.
    candidates: &'a [&'a str],
    /// The help when no candidate is near enough.
    fallback: &'a str,
}

impl Reporter for Checker<'_> {
    fn sources(&self) -> &SourceMap {
        self.sources
    }

    /// Keeps `p` unless a problem with its code was already reported at its place.
    fn report(&mut self, p: Problem) {
        let key = (p.code, p.primary_span().unwrap_or_default());
        if self.seen.insert(key) {
            self.problems.push(p);
        }
    }
}

impl Checker<'_> {
    /// The phases of checking, in the order their problems are reported.
    fn run(&mut self, files: &[ast::File]) -> Option<ProgramData> {
        let headers = self.headers(files);
        let (versions, version_ids) = self.versions(&headers.versions);
        let mut decls = self.types_and_facts(files);
        let version_selector = self.version_selector(&headers, versions.len(), &decls);
        self.tables(files, &mut decls);
        self.functions(files, &mut decls);
        self.outcomes(files, &mut decls);
        let (provisions, rules) =
            self.gather_provisions(files, &headers.statute_of_file, &version_ids, &decls);
        let (versions, fact_reads) = self.definitions(versions, &decls, &provisions, &rules);
        self.analyse_rules(&versions, &provisions, &decls.outcomes);
        self.outcomes_never_defined(&versions, &decls);
        self.disregarded_facts_read(&provisions, &fact_reads);
        self.unused_facts(
            &decls.schema,
            &fact_reads,
            version_selector.as_ref(),
            &provisions,
        );
        self.empty_provisions(&provisions, &rules);

        let schema = Arc::new(decls.schema);
        let shape = Arc::new(OutcomeShape::new(
            &headers.statute.citation,
            &decls.outcomes,
            Arc::clone(&schema),
        ));
        Some(ProgramData {
            statute: headers.statute,
            versions,
            version_selector,
            schema,
            outcomes: decls.outcomes,
            shape,
            provisions,
            tables: decls.tables,
            sources: SourceMap::new(),
        })
    }
}
