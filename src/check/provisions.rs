//! Provisions: the statute's text gathered into [`Provision`]s, each with its rules,
//! `not computed` marks and `disregard`ed facts.

use super::declarations::Declarations;
use super::{Checker, Reporter, UnknownName, codes};
use crate::program::{Disregard, Provision, ProvisionId, VersionId};
use crate::source::FileId;
use crate::syntax::ast::{self, ProvisionItem};
use crate::value::Type;
use std::collections::{HashMap, HashSet};

/// A rule gathered from the provision tree, before versions split it.
pub(super) struct RawRule<'a> {
    pub(super) rule: &'a ast::Rule,
    pub(super) provision: ProvisionId,
    /// The version the rule's provision belongs to; `None`: every version.
    pub(super) version: Option<VersionId>,
}

/// What a provision needs to know about its surroundings while it is gathered.
struct ProvisionScope<'a> {
    statute: &'a str,
    version_ids: &'a HashMap<String, VersionId>,
    decls: &'a Declarations,
}

impl Checker<'_> {
    /// `lawcode::check::unknown_name` for a version name, with the nearest declared one.
    fn unknown_version<T>(&mut self, v: &ast::Ident, scope: &ProvisionScope) -> Option<T> {
        let names: Vec<&str> = scope.version_ids.keys().map(String::as_str).collect();
        self.unknown(UnknownName {
            code: codes::UNKNOWN_NAME,
            what: "version",
            name: &v.node,
            span: v.span,
            message: format!("no version is named `{}`", v.node),
            candidates: &names,
            fallback: "declare it with `version name from YYYY-MM-DD`",
        })
    }

    /// Checks a rule's `cites "…" in VERSION`: a citation written out, a version that exists and
    /// that the rule's provision belongs to.
    fn rule_cites(&mut self, r: &ast::Rule, version: Option<VersionId>, scope: &ProvisionScope) {
        for c in &r.cites {
            if c.citation.node.trim().is_empty() {
                let p = self
                    .err(
                        codes::CITATION,
                        c.citation.span,
                        "`cites` needs the provision it cites",
                        "empty",
                    )
                    .with_help(
                        "write it as the Code does, e.g. `cites \"18 U.S.C. § 2259(c)(2)\"`",
                    );
                self.report(p);
            }
            let Some(v) = &c.version else { continue };
            match scope.version_ids.get(&v.node) {
                Some(&id) if version.is_some_and(|pv| pv != id) => {
                    let own = scope
                        .version_ids
                        .iter()
                        .find(|(_, vid)| Some(**vid) == version)
                        .map_or("another", |(name, _)| name.as_str());
                    let p = self
                        .err(
                            codes::VERSION,
                            v.span,
                            format!(
                                "the rule's provision belongs to version `{own}`, not `{}`",
                                v.node
                            ),
                            "not this rule's version",
                        )
                        .with_help("cite in the version of the rule's provision, or in none");
                    self.report(p);
                }
                Some(_) => {}
                None => {
                    self.unknown_version::<()>(v, scope);
                }
            }
        }
    }

    /// Every file's provisions, in source order, and the rules written in them. A provision
    /// belongs to its file's statute.
    pub(super) fn gather_provisions<'f>(
        &mut self,
        files: &'f [ast::File],
        statute_of_file: &HashMap<FileId, String>,
        version_ids: &HashMap<String, VersionId>,
        decls: &Declarations,
    ) -> (Vec<Provision>, Vec<RawRule<'f>>) {
        let mut provisions = Vec::new();
        let mut raw_rules = Vec::new();
        for f in files {
            let prefix = statute_of_file.get(&f.file).cloned();
            for item in &f.items {
                if let ast::Item::Provision(p) = item {
                    let Some(prefix) = prefix.clone() else {
                        let problem = self.err(codes::HEADER, p.label.span, "a provision needs a statute to belong to", "no `statute` header in this file")
                            .with_help("add `statute \"18 U.S.C. § 2259\" \"Title\"` at the top of the file");
                        self.report(problem);
                        let mut inside: Vec<&ast::Provision> = vec![p];
                        while let Some(q) = inside.pop() {
                            for item in &q.body {
                                match item {
                                    ast::ProvisionItem::Rule(r) => {
                                        self.unchecked_rules.insert(r.name.node.clone());
                                    }
                                    ast::ProvisionItem::Provision(sub) => inside.push(sub),
                                    _ => {}
                                }
                            }
                        }
                        continue;
                    };
                    let scope = ProvisionScope {
                        statute: &prefix,
                        version_ids,
                        decls,
                    };
                    self.provision(p, &scope, "", None, &mut provisions, &mut raw_rules, 1);
                }
            }
        }
        // Two provisions with one label in one version is a numbering mistake.
        for (i, a) in provisions.iter().enumerate() {
            if let Some(b) = provisions.iter().skip(i + 1).find(|b| {
                b.citation == a.citation
                    && (a.version.is_none() || b.version.is_none() || a.version == b.version)
            }) {
                let p = self.err(codes::DUPLICATE, b.span, format!("{} is written twice", b.citation), "written again here")
                    .label(self.sources, a.span, "first written here")
                    .with_help("merge the two, or mark each with the version it belongs to (`in original`, `in current`)");
                self.report(p);
            }
        }
        let raw_rules = self.without_repeated_rules(&provisions, raw_rules);
        (provisions, raw_rules)
    }

    /// Reports a rule written again in its provision, for the same name, the same exception
    /// target and the same condition, and leaves it out: both would always apply together,
    /// and an exception to the provision could not tell them apart.
    fn without_repeated_rules<'f>(
        &mut self,
        provisions: &[Provision],
        raw_rules: Vec<RawRule<'f>>,
    ) -> Vec<RawRule<'f>> {
        let sources = self.sources;
        let mut kept: Vec<RawRule<'f>> = Vec::with_capacity(raw_rules.len());
        // Each kept rule's place in `kept`, by provision, name, exception target and condition.
        let mut first_of = HashMap::new();
        for r in raw_rules {
            let key = (
                r.provision,
                r.rule.name.node.as_str(),
                r.rule.exception_to.as_ref().map(|t| &t.node),
                r.rule.condition.as_ref().map(|c| sources.snippet(c.span)),
            );
            let Some(first) = first_of.get(&key).and_then(|&i| kept.get(i)) else {
                first_of.insert(key, kept.len());
                kept.push(r);
                continue;
            };
            let citation = provisions
                .get(r.provision)
                .map(|p| p.citation.as_str())
                .unwrap_or_default();
            let name = &r.rule.name.node;
            let message = if sources.snippet(r.rule.span) == sources.snippet(first.rule.span) {
                format!("in {citation}: the rule for `{name}` is written twice")
            } else if r.rule.condition.is_some() {
                format!("in {citation}: a second rule for `{name}` with the same condition")
            } else {
                format!("in {citation}: a second rule for `{name}`, and neither has a condition")
            };
            let p = self
                .err(codes::DUPLICATE, r.rule.span, message, "written again here")
                .label(sources, first.rule.span, "first written here")
                .with_help("delete the repeated rule; if it is meant for other cases, give each rule its own `when` condition, or make it an exception in a provision of its own");
            self.report(p);
        }
        kept
    }

    /// Reports each provision that says a fact must not affect the result when a rule reads it.
    pub(super) fn disregarded_facts_read(
        &mut self,
        provisions: &[Provision],
        fact_reads: &HashSet<Vec<usize>>,
    ) {
        for p in provisions {
            for d in &p.disregards {
                if fact_reads.iter().any(|r| r.starts_with(&d.path)) {
                    let problem = self.err(
                        codes::DISREGARDED_FACT_READ,
                        p.span,
                        format!("{} says `{}` must not affect the result, but a rule reads it", p.citation, d.name),
                        "this provision disregards the fact",
                    )
                    .with_help("remove the fact from the rule, or the `disregard` mark if the statute allows it");
                    self.report(problem);
                }
            }
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the recursion carries its parent's label, version and depth"
    )]
    /// Gathers provision `p` and, recursively, the provisions inside it.
    fn provision<'a>(
        &mut self,
        p: &'a ast::Provision,
        scope: &ProvisionScope,
        parent_label: &str,
        parent_version: Option<VersionId>,
        provisions: &mut Vec<Provision>,
        raw_rules: &mut Vec<RawRule<'a>>,
        depth: usize,
    ) {
        if depth > crate::syntax::MAX_NESTING {
            let problem = self
                .err(
                    codes::TOO_DEEP,
                    p.label.span,
                    "provisions nest too deeply",
                    "here",
                )
                .with_help("statutes nest a handful of levels; check for a missing `}`");
            self.report(problem);
            return;
        }
        let label: String = parent_label.to_string()
            + &p.label
                .node
                .iter()
                .map(|l| format!("({l})"))
                .collect::<String>();
        let version = match &p.in_version {
            None => parent_version,
            Some(v) => match scope.version_ids.get(&v.node) {
                Some(&id) => {
                    if parent_version.is_some_and(|pv| pv != id) {
                        let problem = self
                            .err(
                                codes::VERSION,
                                v.span,
                                format!("`{}` is inside a provision of another version", v.node),
                                "conflicts with the enclosing provision's version",
                            )
                            .with_help(
                                "a provision belongs to the version of the provision around it",
                            );
                        self.report(problem);
                    }
                    Some(id)
                }
                None => self.unknown_version(v, scope).or(parent_version),
            },
        };
        let id = provisions.len();
        provisions.push(Provision {
            citation: format!("{}{label}", scope.statute),
            label: label.clone(),
            heading: p.heading.clone(),
            text: Vec::new(),
            version,
            not_computed: None,
            disregards: Vec::new(),
            span: p.label.span,
        });
        for item in &p.body {
            match item {
                ProvisionItem::Text(t) => {
                    if let Some(info) = provisions.get_mut(id) {
                        info.text.push(t.clone());
                    }
                }
                ProvisionItem::NotComputed(reason) => {
                    if let Some(info) = provisions.get_mut(id) {
                        info.not_computed = Some(reason.node.clone());
                    }
                }
                ProvisionItem::Disregard { fact, reason } => {
                    if let Some(path) = self.fact_path(fact, scope) {
                        if let Some(info) = provisions.get_mut(id) {
                            info.disregards.push(Disregard {
                                path,
                                name: fact.node.join("."),
                                reason: reason.clone(),
                            });
                        }
                    }
                }
                ProvisionItem::Rule(r) => {
                    self.rule_cites(r, version, scope);
                    raw_rules.push(RawRule {
                        rule: r,
                        provision: id,
                        version,
                    })
                }
                ProvisionItem::Provision(child) => self.provision(
                    child,
                    scope,
                    &label,
                    version,
                    provisions,
                    raw_rules,
                    depth + 1,
                ),
            }
        }
    }

    /// Resolves `victim.other_compensation` to field indices.
    fn fact_path(
        &mut self,
        fact: &ast::Spanned<Vec<String>>,
        scope: &ProvisionScope,
    ) -> Option<Vec<usize>> {
        let mut names = fact.node.iter();
        let first = names.next()?;
        let Some(&top) = scope.decls.fact_ids.get(first) else {
            let known: Vec<&str> = scope
                .decls
                .schema
                .facts
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            return self.unknown(UnknownName {
                code: codes::UNKNOWN_NAME,
                what: "fact",
                name: first,
                span: fact.span,
                message: format!("no fact is named `{first}`"),
                candidates: &known,
                fallback: "declare it in `facts { … }`",
            });
        };
        let mut path = vec![top];
        let mut ty = scope.decls.schema.facts.get(top)?.ty.clone();
        for name in names {
            while let Type::List(inner) = ty {
                ty = *inner;
            }
            let Type::Record(record_id) = ty else {
                let p = self
                    .err(
                        codes::UNKNOWN_NAME,
                        fact.span,
                        format!("`{}` has no field `{name}`", fact.node.join(".")),
                        "not a record",
                    )
                    .with_help("only records have fields");
                self.report(p);
                return None;
            };
            let rec = scope.decls.schema.records.get(record_id)?;
            let Some(i) = rec.fields.iter().position(|f| &f.name == name) else {
                let known: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                return self.unknown(UnknownName {
                    code: codes::UNKNOWN_NAME,
                    what: "field",
                    name,
                    span: fact.span,
                    message: format!("`{}` has no field `{name}`", rec.name),
                    candidates: &known,
                    fallback: &format!("its fields are: {}", known.join(", ")),
                });
            };
            path.push(i);
            ty = rec.fields.get(i)?.ty.clone();
        }
        Some(path)
    }
}
