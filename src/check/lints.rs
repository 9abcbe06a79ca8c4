//! Static lints: what checking finds in rules that are well typed. Most only warn: a
//! condition that never holds, rules that may clash, a definition, fact or provision that
//! nothing uses. Two rules that always clash, and a chain of definitions too deep to
//! evaluate, are errors.

use super::conditions::{Atoms, Verdict, both, verdict};
use super::provisions::RawRule;
use super::{Checker, MAX_DEFINITION_DEPTH, Reporter, codes};
use crate::diagnostic::Problem;
use crate::program::{
    DefId, Definition, OutcomeDecl, Provision, RuleDef, Schema, Version, VersionSelector,
};
use crate::source::Span;
use std::collections::HashSet;

impl Checker<'_> {
    /// Conditions that can never hold, rules that always or may clash, definitions no
    /// outcome needs: judged per version, reported once per place in the source.
    pub(super) fn analyse_rules(
        &mut self,
        versions: &[Version],
        provisions: &[Provision],
        outcomes: &[OutcomeDecl],
    ) {
        let mut used_rules: HashSet<Span> = HashSet::new();
        let mut all_rules: Vec<(Span, String, String)> = Vec::new();
        for v in versions {
            self.analyse_version(v, provisions, &mut used_rules, &mut all_rules);
        }
        for (span, name, citation) in all_rules {
            if !used_rules.contains(&span) && !outcomes.iter().any(|o| o.name == name) {
                let p = Problem::warning(codes::UNUSED_DEFINITION, format!("in {citation}: no outcome depends on `{name}`"))
                    .label(self.sources, span, "defined here, never used")
                    .with_help("use it in a rule an outcome depends on, declare it as an outcome, or remove it");
                self.report(p);
            }
        }
    }

    /// Facts that no rule reads, that select no version and that no provision disregards.
    pub(super) fn unused_facts(
        &mut self,
        schema: &Schema,
        fact_reads: &HashSet<Vec<usize>>,
        version_selector: Option<&VersionSelector>,
        provisions: &[Provision],
    ) {
        let disregarded_paths: HashSet<&Vec<usize>> = provisions
            .iter()
            .flat_map(|p| p.disregards.iter().map(|d| &d.path))
            .collect();
        for (i, f) in schema.facts.iter().enumerate() {
            let used = fact_reads.iter().any(|r| r.first() == Some(&i))
                || version_selector.is_some_and(|s| s.fact == i)
                || disregarded_paths.iter().any(|d| d.first() == Some(&i));
            if !used {
                let p = Problem::warning(codes::UNUSED_FACT, format!("fact `{}` is declared but no rule reads it", f.name))
                    .label(self.sources, f.span, "never read")
                    .with_help("use it in a rule, mark it with `disregard` in the provision that says it must not matter, or remove it");
                self.report(p);
            }
        }
    }

    /// Provisions that compute nothing and do not say why.
    pub(super) fn empty_provisions(&mut self, provisions: &[Provision], raw_rules: &[RawRule]) {
        // A provision is accounted for when it, or a provision inside it, computes something,
        // is marked `not computed`, or disregards a fact.
        let accounted = |p: &Provision| {
            let inside = |q: &Provision| {
                (q.citation == p.citation || q.citation.starts_with(&format!("{}(", p.citation)))
                    && (p.version.is_none() || q.version.is_none() || q.version == p.version)
            };
            provisions
                .iter()
                .any(|q| inside(q) && (q.not_computed.is_some() || !q.disregards.is_empty()))
                || raw_rules
                    .iter()
                    .any(|r| provisions.get(r.provision).is_some_and(&inside))
        };
        for p in provisions {
            if !accounted(p) {
                let problem = Problem::warning(
                    codes::EMPTY_PROVISION,
                    format!(
                        "{} has no rule and is not marked `not computed`",
                        p.citation
                    ),
                )
                .label(self.sources, p.span, "nothing here is computed")
                .with_help(
                    "add a rule, or `not computed \"why\"` so readers know it was not skipped",
                );
                self.report(problem);
            }
        }
    }

    /// Evaluation recurses once per definition along a chain of definitions each reading the
    /// next, so the longest chain is bounded (checking visits definitions in source order and
    /// may never go that deep itself).
    pub(super) fn check_chain_depth(&mut self, defs: &[Definition]) {
        let depths = longest_chains(defs);
        let deepest = depths.iter().enumerate().max_by_key(|&(_, d)| *d);
        let Some((id, &depth)) = deepest else {
            return;
        };
        if depth <= MAX_DEFINITION_DEPTH {
            return;
        }
        let Some(def) = defs.get(id) else {
            return;
        };
        let span = def.rules.first().map(|r| r.span).unwrap_or_default();
        let p = self
            .err(
                codes::TOO_DEEP,
                span,
                format!(
                    "`{}` depends on a chain of {depth} definitions, each reading the next; the limit is {MAX_DEFINITION_DEPTH}",
                    def.name
                ),
                "the chain starts here",
            )
            .with_help("flatten the chain of definitions");
        self.report(p);
    }

    /// The conditions and clashes of one version's rules; records where its rules are and
    /// which of them its outcomes need.
    fn analyse_version(
        &mut self,
        v: &Version,
        provisions: &[Provision],
        used_rules: &mut HashSet<Span>,
        all_rules: &mut Vec<(Span, String, String)>,
    ) {
        let label = |r: &RuleDef| {
            provisions
                .get(r.provision)
                .map(|p| p.label.clone())
                .unwrap_or_default()
        };
        let citation = |r: &RuleDef| {
            provisions
                .get(r.provision)
                .map(|p| p.citation.clone())
                .unwrap_or_default()
        };
        for def in &v.defs {
            let mut atoms = Atoms::default();
            let formulas: Vec<_> = def
                .rules
                .iter()
                .map(|r| atoms.formula(self.sources, r.condition.as_ref()))
                .collect();
            for (r, f) in def.rules.iter().zip(&formulas) {
                all_rules.push((r.span, def.name.clone(), citation(r)));
                if let (Some(c), Verdict::Never) = (&r.condition, verdict(&atoms, f)) {
                    let p = Problem::warning(codes::CONDITION_NEVER_TRUE, format!("in {}: this condition can never be true, so the rule for `{}` never applies", citation(r), def.name))
                        .label(self.sources, c.span, "never true")
                        .with_help("check for a condition and its opposite joined by `and`, or remove the rule");
                    self.report(p);
                }
            }
            for (i, a) in def.defaults.iter().enumerate() {
                for b in def.defaults.iter().skip(i + 1) {
                    let (Some(ra), Some(rb), Some(fa), Some(fb)) = (
                        def.rules.get(*a),
                        def.rules.get(*b),
                        formulas.get(*a),
                        formulas.get(*b),
                    ) else {
                        continue;
                    };
                    let (la, lb) = (label(ra), label(rb));
                    let p = match verdict(&atoms, &both(fa, fb)) {
                        Verdict::Always => Problem::error(codes::CONFLICT, format!("two rules for `{}` always apply together, in {la} and in {lb}, and neither is an exception to the other", def.name))
                            .with_help(format!("make one an exception to the other (`exception to {la}: {} = …`), or give them conditions that cannot both hold", def.name)),
                        Verdict::Sometimes => Problem::warning(codes::POSSIBLE_CONFLICT, format!("two rules for `{}`, in {la} and in {lb}, can both apply, and neither is an exception to the other", def.name))
                            .with_help("if both conditions can hold in one case, evaluation stops with a conflict; make one an exception to the other, or make the conditions exclusive (`when x` and `when not x`)"),
                        Verdict::Never | Verdict::Unknown => continue,
                    };
                    let p = p
                        .label(
                            self.sources,
                            ra.span,
                            format!("applies when this holds ({la})"),
                        )
                        .label(self.sources, rb.span, format!("and this one ({lb})"));
                    self.report(p);
                }
            }
        }
        // Definitions reachable from this version's outcomes.
        let mut stack: Vec<DefId> = v.outcome_defs.iter().flatten().copied().collect();
        let mut seen: HashSet<DefId> = HashSet::new();
        while let Some(d) = stack.pop() {
            if !seen.insert(d) {
                continue;
            }
            let Some(def) = v.defs.get(d) else { continue };
            used_rules.extend(def.rules.iter().map(|r| r.span));
            stack.extend(def.reads());
        }
    }
}

/// For each definition, the length of the longest chain of definitions starting at it, each
/// reading the next (1 for one that reads no definition). Iterative, so that a long chain in a
/// rule file cannot exhaust the stack here; a cycle (reported elsewhere) ends a chain.
fn longest_chains(defs: &[Definition]) -> Vec<usize> {
    let reads: Vec<Vec<DefId>> = defs.iter().map(|d| d.reads().collect()).collect();
    // 0: not reached yet; usize::MAX: being walked; otherwise the chain's length.
    let mut depth = vec![0usize; defs.len()];
    for start in 0..defs.len() {
        if depth.get(start) != Some(&0) {
            continue;
        }
        let mut walk: Vec<(DefId, usize)> = vec![(start, 0)];
        if let Some(d) = depth.get_mut(start) {
            *d = usize::MAX;
        }
        while let Some(&(id, next)) = walk.last() {
            let deps = reads.get(id).map(Vec::as_slice).unwrap_or_default();
            if let Some(&dep) = deps.get(next) {
                if let Some(top) = walk.last_mut() {
                    top.1 += 1;
                }
                if depth.get(dep) == Some(&0) {
                    if let Some(d) = depth.get_mut(dep) {
                        *d = usize::MAX;
                    }
                    walk.push((dep, 0));
                }
                continue;
            }
            let longest = deps
                .iter()
                .filter_map(|&x| depth.get(x).copied())
                .filter(|&x| x != usize::MAX)
                .max()
                .unwrap_or(0);
            if let Some(d) = depth.get_mut(id) {
                *d = longest.saturating_add(1);
            }
            walk.pop();
        }
    }
    depth
}
