//! Versions: the rules in force in one version grouped into definitions, each typed and
//! built into its tree of default rules and the exceptions that displace them.

use super::declarations::Declarations;
use super::expr::{a_or_an, fits};
use super::provisions::RawRule;
use super::{Checker, MAX_DEFINITION_DEPTH, Reporter, codes};
use crate::diagnostic::{Problem, nearest};
use crate::program::{DefId, Definition, Expr, Provision, RuleDef, Version};
use crate::source::{SourceMap, Span};
use crate::syntax::ast;
use crate::value::Type;
use std::collections::{HashMap, HashSet};

impl Checker<'_> {
    /// Each version's definitions, built from the provisions and rules in force in it, and
    /// every fact path a rule of any version reads.
    pub(super) fn definitions(
        &mut self,
        versions: Vec<Version>,
        decls: &Declarations,
        provisions: &[Provision],
        raw_rules: &[RawRule],
    ) -> (Vec<Version>, HashSet<Vec<usize>>) {
        let mut program_versions = Vec::new();
        let mut fact_reads: HashSet<Vec<usize>> = HashSet::new();
        for (vid, mut v) in versions.into_iter().enumerate() {
            v.provisions = provisions
                .iter()
                .enumerate()
                .filter(|(_, p)| p.version.is_none_or(|pv| pv == vid))
                .map(|(i, _)| i)
                .collect();
            let rules: Vec<&RawRule> = raw_rules
                .iter()
                .filter(|r| r.version.is_none_or(|rv| rv == vid))
                .collect();
            let mut version_checker = VersionChecker::new(self, decls, provisions, &v.name, rules);
            if vid == 0 {
                version_checker.check_functions_alone();
            }
            version_checker.build();
            let (defs, outcome_defs, reads) = version_checker.finish();
            self.check_chain_depth(&defs);
            fact_reads.extend(reads);
            v.defs = defs;
            v.outcome_defs = outcome_defs;
            program_versions.push(v);
        }
        (program_versions, fact_reads)
    }

    /// Outcomes every version leaves undefined are almost surely typos.
    pub(super) fn outcomes_never_defined(&mut self, versions: &[Version], decls: &Declarations) {
        for (i, o) in decls.outcomes.iter().enumerate() {
            if versions
                .iter()
                .all(|v| v.outcome_defs.get(i).copied().flatten().is_none())
                && !self.unchecked_rules.contains(&o.name)
            {
                let span = decls.outcome_spans.get(i).copied().unwrap_or_default();
                let p = self
                    .err(
                        codes::UNKNOWN_NAME,
                        span,
                        format!("no rule gives outcome `{}`", o.name),
                        "declared here, never defined",
                    )
                    .with_help(format!(
                        "add `rule {} = …` in the provision that defines it",
                        o.name
                    ));
                self.report(p);
            }
        }
    }
}

/// Definitions and types of one version.
pub(super) struct VersionChecker<'c, 's, 'a> {
    pub(super) checker: &'c mut Checker<'s>,
    pub(super) decls: &'c Declarations,
    provisions: &'c [Provision],
    pub(super) version_name: String,
    /// Rule ASTs grouped by definition name, in source order.
    groups: Vec<(String, Vec<&'c RawRule<'a>>)>,
    pub(super) def_ids: HashMap<String, DefId>,
    state: Vec<DefState>,
    defs: Vec<Option<Definition>>,
    /// The chain of definitions being typed, for cycle messages.
    stack: Vec<DefId>,
    /// Every fact path a rule reads (top-level fact index, then field indices).
    pub(super) reads: HashSet<Vec<usize>>,
    /// The citation of the provision whose rule is being checked, for messages.
    context: Option<String>,
    /// The function bodies being checked, innermost last.
    pub(super) frames: Vec<super::functions::Frame>,
}

/// How far typing a definition has got; `InProgress` met again is a cycle.
#[derive(Clone)]
enum DefState {
    Todo,
    InProgress,
    Done(Type),
    Failed,
}

impl Reporter for VersionChecker<'_, '_, '_> {
    fn sources(&self) -> &SourceMap {
        self.checker.sources
    }

    /// Reports a problem found in a rule, naming the provision it stands in.
    fn report(&mut self, mut p: Problem) {
        if let Some(citation) = &self.context {
            p.message = format!("in {citation}: {}", p.message);
        }
        self.checker.report(p);
    }
}

impl<'c, 's, 'a> VersionChecker<'c, 's, 'a> {
    /// A checker for the version named `version_name`, whose rules (in source order) are `rules`.
    fn new(
        checker: &'c mut Checker<'s>,
        decls: &'c Declarations,
        provisions: &'c [Provision],
        version_name: &str,
        rules: Vec<&'c RawRule<'a>>,
    ) -> Self {
        let mut groups: Vec<(String, Vec<&'c RawRule<'a>>)> = Vec::new();
        let mut def_ids: HashMap<String, usize> = HashMap::new();
        for r in rules {
            let name = &r.rule.name.node;
            match def_ids.get(name) {
                Some(&id) => {
                    if let Some((_, g)) = groups.get_mut(id) {
                        g.push(r);
                    }
                }
                None => {
                    def_ids.insert(name.clone(), groups.len());
                    groups.push((name.clone(), vec![r]));
                }
            }
        }
        let n = groups.len();
        VersionChecker {
            checker,
            decls,
            provisions,
            version_name: version_name.to_string(),
            groups,
            def_ids,
            state: vec![DefState::Todo; n],
            defs: (0..n).map(|_| None).collect(),
            stack: Vec::new(),
            reads: HashSet::new(),
            context: None,
            frames: Vec::new(),
        }
    }

    /// ` (in version `name`)` for messages, or nothing when the statute has one text.
    fn in_version(&self) -> String {
        if self.version_name.is_empty() {
            String::new()
        } else {
            format!(" (in version `{}`)", self.version_name)
        }
    }

    /// Types and compiles every definition, in source order.
    fn build(&mut self) {
        for id in 0..self.groups.len() {
            self.define(id, None);
        }
    }

    /// The definitions (a failed one left empty), the definition of each outcome, and the
    /// fact paths read.
    fn finish(self) -> (Vec<Definition>, Vec<Option<DefId>>, HashSet<Vec<usize>>) {
        let defs: Vec<Definition> = self
            .defs
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                d.unwrap_or_else(|| Definition {
                    name: self.groups.get(i).map(|g| g.0.clone()).unwrap_or_default(),
                    ty: Type::Bool,
                    rules: Vec::new(),
                    defaults: Vec::new(),
                })
            })
            .collect();
        let outcome_defs = self
            .decls
            .outcomes
            .iter()
            .map(|o| self.def_ids.get(&o.name).copied())
            .collect();
        (defs, outcome_defs, self.reads)
    }

    /// Types and compiles definition `id` (once), returning its type. The definitions it reads
    /// are typed first, by recursion, on more stack when it runs low: a rule file may chain up
    /// to `MAX_DEFINITION_DEPTH` definitions, each with an expression `MAX_EXPR_DEPTH` deep.
    pub(super) fn define(&mut self, id: DefId, used_at: Option<Span>) -> Option<Type> {
        stacker::maybe_grow(4 << 20, 16 << 20, || self.define_here(id, used_at))
    }

    /// [`Self::define`] on the stack it has.
    fn define_here(&mut self, id: DefId, used_at: Option<Span>) -> Option<Type> {
        match self.state.get(id).cloned() {
            Some(DefState::Done(t)) => return Some(t),
            Some(DefState::Failed) | None => return None,
            Some(DefState::InProgress) => {
                let start = self.stack.iter().position(|&d| d == id).unwrap_or(0);
                let mut names: Vec<String> = self
                    .stack
                    .get(start..)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|&d| self.groups.get(d).map(|g| g.0.clone()))
                    .collect();
                names.push(self.groups.get(id).map(|g| g.0.clone()).unwrap_or_default());
                let span = used_at.unwrap_or_default();
                let p = self.err(codes::CYCLE, span, format!("definitions depend on each other in a cycle: {}", names.join(" -> ")), "the cycle closes here")
                    .with_help("a value cannot depend on itself; break the cycle by defining one of them from facts");
                self.report(p);
                return None;
            }
            Some(DefState::Todo) => {}
        }
        if self.stack.len() >= MAX_DEFINITION_DEPTH {
            let p = self
                .err(
                    codes::TOO_DEEP,
                    used_at.unwrap_or_default(),
                    format!(
                        "definitions refer to each other more than {MAX_DEFINITION_DEPTH} deep"
                    ),
                    "here",
                )
                .with_help("flatten the chain of definitions");
            self.report(p);
            return None;
        }
        if let Some(s) = self.state.get_mut(id) {
            *s = DefState::InProgress;
        }
        self.stack.push(id);
        let outer_context = self.context.take();
        let result = self.compile_definition(id);
        self.context = outer_context;
        self.stack.pop();
        let state = match &result {
            Some(d) => DefState::Done(d.ty.clone()),
            None => DefState::Failed,
        };
        let ty = result.as_ref().map(|d| d.ty.clone());
        if let Some(slot) = self.defs.get_mut(id) {
            *slot = result;
        }
        if let Some(s) = self.state.get_mut(id) {
            *s = state;
        }
        ty
    }

    /// Types definition `id`'s rules and builds its tree of defaults and exceptions.
    fn compile_definition(&mut self, id: DefId) -> Option<Definition> {
        let (name, raws) = self.groups.get(id)?.clone();
        let declared = self
            .decls
            .outcomes
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.ty.clone());
        let mut ty: Option<(Type, Span)> = None;
        let mut rules = Vec::new();
        let mut failed = false;
        for raw in &raws {
            let r = raw.rule;
            let outer_context = self.context.take();
            self.context = self
                .provisions
                .get(raw.provision)
                .map(|p| p.citation.clone());
            let compiled = self.compile_rule(&name, raw, r, declared.as_ref(), &mut ty);
            self.context = outer_context;
            match compiled {
                Some(c) => rules.push(c),
                None => failed = true,
            }
        }
        if failed {
            // A rule that did not type-check still has its exception target checked, so that
            // one error does not hide another.
            let _ = self.exception_targets(&name, &raws);
            return None;
        }
        let ty = declared.or(ty.map(|t| t.0))?;
        let compiled = self.link_exceptions(&name, rules)?;
        let defaults = compiled
            .iter()
            .enumerate()
            .filter(|(_, r)| r.exception_to.is_none())
            .map(|(i, _)| i)
            .collect();
        Some(Definition {
            name,
            ty,
            rules: compiled,
            defaults,
        })
    }

    /// For each rule of definition `name`, the index of the rule its `exception to (…)` names:
    /// the one rule of the definition in that provision. Every target that names no rule, or
    /// several, is reported (not only the first); `None` when any is.
    fn exception_targets(
        &mut self,
        name: &str,
        raws: &[&'c RawRule<'a>],
    ) -> Option<Vec<Option<usize>>> {
        let mut links = vec![None; raws.len()];
        let mut ok = true;
        for (i, raw) in raws.iter().enumerate() {
            let Some(target) = &raw.rule.exception_to else {
                continue;
            };
            self.context = self
                .provisions
                .get(raw.provision)
                .map(|p| p.citation.clone());
            let label: String = target.node.iter().map(|l| format!("({l})")).collect();
            let candidates: Vec<usize> = raws
                .iter()
                .enumerate()
                .filter(|(j, r)| {
                    *j != i
                        && self
                            .provisions
                            .get(r.provision)
                            .is_some_and(|p| p.label == label)
                })
                .map(|(j, _)| j)
                .collect();
            match candidates.as_slice() {
                [one] => {
                    if let Some(l) = links.get_mut(i) {
                        *l = Some(*one);
                    }
                }
                [] => {
                    let here: Vec<String> = raws
                        .iter()
                        .filter_map(|r| self.provisions.get(r.provision).map(|p| p.label.clone()))
                        .collect();
                    let here: Vec<&str> = here.iter().map(String::as_str).collect();
                    let p = self
                        .err(
                            codes::EXCEPTION_TARGET,
                            target.span,
                            format!(
                                "no rule for `{name}` stands in {label}{}",
                                self.in_version()
                            ),
                            "the exception targets this provision",
                        )
                        .with_help(match nearest(&label, here.iter().copied()) {
                            Some(n) => format!(
                                "rules for `{name}` stand in {}; did you mean {n}?",
                                here.join(", ")
                            ),
                            None => format!("rules for `{name}` stand in {}", here.join(", ")),
                        });
                    self.report(p);
                    ok = false;
                }
                _ => {
                    let p = self.err(codes::EXCEPTION_TARGET, target.span, format!("{label} holds several rules for `{name}`; the exception is ambiguous"), "which one?")
                        .with_help("keep one rule per name in the targeted provision");
                    self.report(p);
                    ok = false;
                }
            }
        }
        self.context = None;
        ok.then_some(links)
    }

    /// The rules of definition `name` as [`RuleDef`]s, each exception linked to the rule it
    /// displaces ([`Self::exception_targets`]).
    fn link_exceptions(
        &mut self,
        name: &str,
        rules: Vec<(&'c RawRule<'a>, Expr, Option<Expr>)>,
    ) -> Option<Vec<RuleDef>> {
        let raws: Vec<&'c RawRule<'a>> = rules.iter().map(|(raw, _, _)| *raw).collect();
        let links = self.exception_targets(name, &raws)?;
        let mut compiled: Vec<RuleDef> = Vec::new();
        for (raw, value, condition) in rules {
            compiled.push(RuleDef {
                provision: raw.provision,
                exception_to: None,
                exceptions: Vec::new(),
                condition,
                value,
                notes: raw.rule.notes.clone(),
                cites: raw
                    .rule
                    .cites
                    .iter()
                    .filter(|c| {
                        c.version
                            .as_ref()
                            .is_none_or(|v| v.node == self.version_name)
                    })
                    .map(|c| c.citation.node.clone())
                    .collect(),
                span: raw.rule.span,
            });
        }
        for (i, link) in links.iter().enumerate() {
            let Some(one) = *link else { continue };
            if let Some(r) = compiled.get_mut(i) {
                r.exception_to = Some(one);
            }
            if let Some(t) = compiled.get_mut(one) {
                t.exceptions.push(i);
            }
        }
        self.context = None;
        // An exception chain that loops back has no rule to fall back on.
        for start in 0..compiled.len() {
            let mut seen = vec![start];
            let mut cur = compiled.get(start).and_then(|r| r.exception_to);
            while let Some(c) = cur {
                if seen.contains(&c) {
                    let span = compiled.get(start).map(|r| r.span).unwrap_or_default();
                    let p = self.err(codes::CYCLE, span, format!("exceptions for `{name}` displace each other in a circle"), "part of the circle")
                        .with_help("an exception displaces a more general rule; one rule must be the default");
                    self.report(p);
                    return None;
                }
                seen.push(c);
                cur = compiled.get(c).and_then(|r| r.exception_to);
            }
        }
        Some(compiled)
    }

    /// Types one rule's value and condition against the definition's declared or first type.
    fn compile_rule(
        &mut self,
        name: &str,
        raw: &'c RawRule<'a>,
        r: &ast::Rule,
        declared: Option<&Type>,
        ty: &mut Option<(Type, Span)>,
    ) -> Option<(&'c RawRule<'a>, Expr, Option<Expr>)> {
        let declared = declared.cloned();
        let annotated = r
            .declared_type
            .as_ref()
            .and_then(|t| self.checker.resolve_type(t, self.decls));
        let expected = annotated
            .clone()
            .or_else(|| declared.clone())
            .or_else(|| ty.as_ref().map(|t| t.0.clone()));
        let mut bound = Vec::new();
        let value = self.expr(&r.value, expected.as_ref(), &mut bound);
        let condition = r
            .condition
            .as_ref()
            .map(|c| self.expr(c, Some(&Type::Bool), &mut bound));
        let (Some(value), condition) = (value, condition) else {
            return None;
        };
        let condition = match condition {
            Some(None) => {
                return None;
            }
            Some(Some(c)) => {
                if c.ty != Type::Bool {
                    let p = self
                        .err(
                            codes::TYPE_MISMATCH,
                            c.span,
                            format!(
                                "a `when` condition must be true or false, but this is a {}",
                                c.ty
                            ),
                            format!("this is a {}", c.ty),
                        )
                        .with_help("compare it with something, e.g. `x > $0`");
                    self.report(p);
                    return None;
                }
                Some(c)
            }
            None => None,
        };
        let value_ty = value.ty.clone();
        if let Some(want) = annotated.as_ref().or(declared.as_ref()) {
            if !fits(&value_ty, want) {
                let p = self
                    .err(
                        codes::TYPE_MISMATCH,
                        value.span,
                        format!(
                            "`{name}` is declared as {want} but this rule gives {}{}",
                            a_or_an(&value_ty),
                            self.in_version()
                        ),
                        format!("this is {}", a_or_an(&value_ty)),
                    )
                    .with_help(match (&r.value.node, want) {
                        (ast::ExprKind::Integer(d) | ast::ExprKind::Decimal(d), Type::Money) => {
                            format!("write money with a dollar sign: `${d}`")
                        }
                        _ => format!("make the rule produce {}", a_or_an(want)),
                    });
                self.report(p);
                return None;
            }
        }
        match &*ty {
            None => *ty = Some((value_ty.clone(), value.span)),
            Some((t, first)) => {
                if !fits(&value_ty, t) {
                    let p = self
                        .err(
                            codes::TYPE_MISMATCH,
                            value.span,
                            format!(
                                "rules for `{name}` give different types: {t} and {value_ty}{}",
                                self.in_version()
                            ),
                            format!("this is a {value_ty}"),
                        )
                        .with_help("every rule for one name must give the same type")
                        .label(self.sources(), *first, format!("this is a {t}"));
                    self.report(p);
                    return None;
                }
            }
        }
        Some((raw, value, condition))
    }
}
