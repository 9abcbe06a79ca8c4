//! Checking: parsed files in, a [`Program`] out.
//!
//! Resolves every name to a slot, gives every expression a type, builds each
//! definition's default/exception tree per version, finds cycles, and checks
//! that provisions the statute says must not matter (`disregard`) are read by
//! no rule. Every error of a file is collected and reported together.

pub mod conditions;

use crate::citation::{Citation, CitationRange, ProvisionRef};
use crate::diagnostic::{Problem, Problems, nearest};
use crate::program::*;
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{
    self, BinaryOp, ExprKind as A, ListItem, ProvisionItem, RangeEnd, UnaryOp,
};
use crate::value::{Type, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Stable codes of the checker's diagnostics.
pub mod codes {
    pub const UNKNOWN_NAME: &str = "lawcode::check::unknown_name";
    pub const UNKNOWN_TYPE: &str = "lawcode::check::unknown_type";
    pub const TYPE_MISMATCH: &str = "lawcode::check::type_mismatch";
    pub const DUPLICATE: &str = "lawcode::check::duplicate";
    pub const CYCLE: &str = "lawcode::check::cycle";
    pub const EXCEPTION_TARGET: &str = "lawcode::check::exception_target";
    pub const ARITY: &str = "lawcode::check::arity";
    pub const VERSION: &str = "lawcode::check::version";
    pub const HEADER: &str = "lawcode::check::header";
    pub const TABLE: &str = "lawcode::check::table";
    pub const DISREGARDED_FACT_READ: &str = "lawcode::check::disregarded_fact_read";
    pub const CITATION: &str = "lawcode::check::citation";
    pub const TOO_DEEP: &str = "lawcode::check::too_deep";
    pub const UNUSED_FACT: &str = "lawcode::check::unused_fact";
    pub const EMPTY_PROVISION: &str = "lawcode::check::empty_provision";
    pub const CONFLICT: &str = "lawcode::check::conflict";
    pub const POSSIBLE_CONFLICT: &str = "lawcode::check::possible_conflict";
    pub const CONDITION_NEVER_TRUE: &str = "lawcode::check::condition_never_true";
    pub const UNUSED_DEFINITION: &str = "lawcode::check::unused_definition";
}

/// The rule files did not check; `problems` holds every error and warning found.
pub type CheckError = Problems;

/// What checking found besides errors.
#[derive(Debug, Default)]
pub struct CheckReport {
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
    let mut cx = Checker {
        sources: &sources,
        problems: Vec::new(),
        seen: HashSet::new(),
        next_expr_id: 0,
    };
    let program = cx.run(files);
    let errors = cx.problems.iter().filter(|p| p.is_error()).count();
    let (errors_list, warnings): (Vec<_>, Vec<_>) =
        cx.problems.into_iter().partition(|p| p.is_error());
    match program {
        Some(mut p) if errors == 0 => {
            p.sources = sources;
            Ok((p, CheckReport { warnings }))
        }
        _ => {
            let mut problems = errors_list;
            problems.extend(warnings);
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

struct Checker<'s> {
    sources: &'s SourceMap,
    problems: Vec<Problem>,
    /// (code, span) of problems already reported, so that a rule checked once per version reports once.
    seen: HashSet<(&'static str, Span)>,
    /// The next expression's [`Expr::id`]: numbered across all versions of the program.
    next_expr_id: u32,
}

/// A rule gathered from the provision tree, before versions split it.
struct RawRule<'a> {
    rule: &'a ast::Rule,
    provision: ProvisionId,
    version: Option<VersionId>,
}

/// Everything declared by name, shared by all versions.
struct Declarations {
    enums: HashMap<String, usize>,
    records: HashMap<String, usize>,
    facts: HashMap<String, usize>,
    tables: HashMap<String, TableId>,
}

impl<'s> Checker<'s> {
    fn report(&mut self, p: Problem) {
        let key = (p.code, p.primary_span().unwrap_or_default());
        if self.seen.insert(key) {
            self.problems.push(p);
        }
    }

    fn err(
        &self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Problem {
        Problem::error(code, message).label(self.sources, span, label)
    }

    fn run(&mut self, files: &[ast::File]) -> Option<ProgramData> {
        // ---- headers
        let mut statute_of_file: HashMap<crate::source::FileId, String> = HashMap::new();
        let mut statute = None;
        let mut version_decls: Vec<&ast::Version> = Vec::new();
        let mut selector: Option<&ast::VersionSelector> = None;
        for f in files {
            for item in &f.items {
                match item {
                    ast::Item::Statute(s) => {
                        if statute_of_file
                            .insert(f.file, s.citation.node.clone())
                            .is_some()
                        {
                            let p = self
                                .err(
                                    codes::DUPLICATE,
                                    s.span,
                                    "a file may have only one `statute` header",
                                    "second header",
                                )
                                .with_help(
                                    "split the file: one statute per file, joined by `import`",
                                );
                            self.report(p);
                        }
                        if statute.is_none() {
                            statute = Some(StatuteInfo {
                                citation: s.citation.node.clone(),
                                title: s.title.clone(),
                            });
                        }
                    }
                    ast::Item::Version(v) => version_decls.push(v),
                    ast::Item::VersionSelector(s) => {
                        if selector.is_some() {
                            let p = self
                                .err(
                                    codes::DUPLICATE,
                                    s.span,
                                    "versions are selected by one fact only",
                                    "second selector",
                                )
                                .with_help("keep one `versions selected by …` line");
                            self.report(p);
                        }
                        selector = Some(s);
                    }
                    _ => {}
                }
            }
        }
        let statute = statute.unwrap_or(StatuteInfo {
            citation: String::new(),
            title: None,
        });

        // ---- versions, earliest first
        version_decls.sort_by_key(|v| v.effective.node);
        let mut versions: Vec<VersionInfo> = Vec::new();
        let mut version_ids: HashMap<String, VersionId> = HashMap::new();
        for v in &version_decls {
            if version_ids.contains_key(&v.name.node) {
                let first = version_decls
                    .iter()
                    .find(|x| x.name.node == v.name.node)
                    .map(|x| x.name.span)
                    .unwrap_or_default();
                let p = self
                    .err(
                        codes::DUPLICATE,
                        v.name.span,
                        format!("version `{}` is declared twice", v.name.node),
                        "declared again here",
                    )
                    .label(self.sources, first, "first declared here")
                    .with_help("give each version its own name");
                self.report(p);
                continue;
            }
            if versions
                .last()
                .is_some_and(|last| last.effective == v.effective.node)
            {
                let p = self
                    .err(
                        codes::VERSION,
                        v.effective.span,
                        "two versions take effect on the same day",
                        "same date as another version",
                    )
                    .with_help("each version needs its own effective date");
                self.report(p);
            }
            version_ids.insert(v.name.node.clone(), versions.len());
            versions.push(VersionInfo {
                name: v.name.node.clone(),
                effective: v.effective.node,
                enacted_by: v.enacted_by.clone(),
                defs: Vec::new(),
                outcome_defs: Vec::new(),
                provisions: Vec::new(),
            });
        }
        if versions.is_empty() {
            // A statute without versions has one text, in force for every date.
            versions.push(VersionInfo {
                name: String::new(),
                effective: jiff::civil::Date::MIN,
                enacted_by: None,
                defs: Vec::new(),
                outcome_defs: Vec::new(),
                provisions: Vec::new(),
            });
        }

        // ---- type declarations
        let mut schema = Schema::default();
        let mut decls = Declarations {
            enums: HashMap::new(),
            records: HashMap::new(),
            facts: HashMap::new(),
            tables: HashMap::new(),
        };
        let mut record_asts = Vec::new();
        for f in files {
            for item in &f.items {
                match item {
                    ast::Item::Enum(e) => {
                        if self.type_name_taken(&decls, &e.name) {
                            continue;
                        }
                        let mut members: Vec<String> = Vec::new();
                        for m in &e.members {
                            if members.contains(&m.node) {
                                let p = self
                                    .err(
                                        codes::DUPLICATE,
                                        m.span,
                                        format!(
                                            "`{}` is listed twice in `{}`",
                                            m.node, e.name.node
                                        ),
                                        "listed again",
                                    )
                                    .with_help("remove the repeated member");
                                self.report(p);
                            } else {
                                members.push(m.node.clone());
                            }
                        }
                        decls.enums.insert(e.name.node.clone(), schema.enums.len());
                        schema.enums.push(EnumDecl {
                            name: e.name.node.clone(),
                            members,
                        });
                    }
                    ast::Item::Record(r) => {
                        if self.type_name_taken(&decls, &r.name) {
                            continue;
                        }
                        decls
                            .records
                            .insert(r.name.node.clone(), schema.records.len());
                        schema.records.push(RecordDecl {
                            name: r.name.node.clone(),
                            fields: Vec::new(),
                        });
                        record_asts.push(r);
                    }
                    _ => {}
                }
            }
        }
        for (i, r) in record_asts.iter().enumerate() {
            let fields = self.fields(&r.fields, &decls, &schema);
            if let Some(rec) = schema.records.get_mut(i) {
                rec.fields = fields;
            }
        }
        let fact_asts: Vec<&ast::Field> = files
            .iter()
            .flat_map(|f| f.items.iter())
            .filter_map(|i| {
                if let ast::Item::Facts(fs) = i {
                    Some(fs)
                } else {
                    None
                }
            })
            .flatten()
            .collect();
        let owned: Vec<ast::Field> = fact_asts.into_iter().cloned().collect();
        schema.facts = self.fields(&owned, &decls, &schema);
        for (i, f) in schema.facts.iter().enumerate() {
            decls.facts.insert(f.name.clone(), i);
        }

        // ---- version selector
        let version_selector = match selector {
            None => {
                if versions.len() > 1 {
                    let span = version_decls
                        .first()
                        .map(|v| v.name.span)
                        .unwrap_or_default();
                    let p = self.err(codes::VERSION, span, "several versions but no fact selects between them", "versions declared here")
                        .with_help("add `versions selected by <date fact>`, e.g. `versions selected by offense_date`");
                    self.report(p);
                }
                None
            }
            Some(s) => match decls
                .facts
                .get(&s.fact.node)
                .and_then(|&i| schema.facts.get(i).map(|f| (i, f)))
            {
                Some((i, f)) if f.ty == Type::Date && !f.may_be_absent() => Some(VersionSelector {
                    fact: i,
                    fact_name: f.name.clone(),
                    notes: s.notes.clone(),
                }),
                Some(_) => {
                    let p = self
                        .err(
                            codes::VERSION,
                            s.fact.span,
                            format!("`{}` cannot select a version", s.fact.node),
                            "not a required date fact",
                        )
                        .with_help("versions are selected by a required fact of type `date`");
                    self.report(p);
                    None
                }
                None => {
                    let names: Vec<&str> = schema.facts.iter().map(|f| f.name.as_str()).collect();
                    let p = self
                        .err(
                            codes::UNKNOWN_NAME,
                            s.fact.span,
                            format!("no fact is named `{}`", s.fact.node),
                            "unknown fact",
                        )
                        .with_help(crate::diagnostic::suggestion(
                            &s.fact.node,
                            &names,
                            "declare it in `facts { … }`",
                        ));
                    self.report(p);
                    None
                }
            },
        };

        // ---- tables
        let mut tables = Vec::new();
        for f in files {
            for item in &f.items {
                if let ast::Item::Table(t) = item {
                    if decls.tables.contains_key(&t.name.node) {
                        let p = self
                            .err(
                                codes::DUPLICATE,
                                t.name.span,
                                format!("table `{}` is declared twice", t.name.node),
                                "declared again",
                            )
                            .with_help("give each table its own name");
                        self.report(p);
                        continue;
                    }
                    let table = self.table(t, &decls, &schema);
                    decls.tables.insert(t.name.node.clone(), tables.len());
                    tables.push(table);
                }
            }
        }

        // ---- outcomes
        let mut outcomes: Vec<OutcomeDecl> = Vec::new();
        let mut outcome_spans = Vec::new();
        for f in files {
            for item in &f.items {
                if let ast::Item::Outcomes(os) = item {
                    for o in os {
                        if let Some(i) = outcomes.iter().position(|x| x.name == o.name.node) {
                            let first = outcome_spans.get(i).copied().unwrap_or_default();
                            let p = self
                                .err(
                                    codes::DUPLICATE,
                                    o.name.span,
                                    format!("outcome `{}` is declared twice", o.name.node),
                                    "declared again",
                                )
                                .label(self.sources, first, "first declared here")
                                .with_help("remove one of the declarations");
                            self.report(p);
                            continue;
                        }
                        let ty = self.resolve_type(&o.ty, &decls).unwrap_or(Type::Bool);
                        outcomes.push(OutcomeDecl {
                            name: o.name.node.clone(),
                            ty,
                            description: o.description.clone(),
                        });
                        outcome_spans.push(o.name.span);
                    }
                }
            }
        }

        // ---- provisions
        let mut provisions = Vec::new();
        let mut raw_rules = Vec::new();
        for f in files {
            let prefix = statute_of_file.get(&f.file).cloned();
            for item in &f.items {
                if let ast::Item::Provision(p) = item {
                    let Some(prefix) = prefix.clone() else {
                        let pr = self.err(codes::HEADER, p.label.span, "a provision needs a statute to belong to", "no `statute` header in this file")
                            .with_help("add `statute \"18 U.S.C. § 2259\" \"Title\"` at the top of the file");
                        self.report(pr);
                        continue;
                    };
                    let scope = ProvisionScope {
                        statute: &prefix,
                        version_ids: &version_ids,
                        schema: &schema,
                        facts: &decls.facts,
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
        for (vid, v) in versions.iter_mut().enumerate() {
            v.provisions = provisions
                .iter()
                .enumerate()
                .filter(|(_, p)| p.version.is_none_or(|pv| pv == vid))
                .map(|(i, _)| i)
                .collect();
        }

        // ---- definitions, per version
        let mut program_versions = Vec::new();
        let mut fact_reads: HashSet<Vec<usize>> = HashSet::new();
        for (vid, mut v) in versions.into_iter().enumerate() {
            let rules: Vec<&RawRule> = raw_rules
                .iter()
                .filter(|r| r.version.is_none_or(|rv| rv == vid))
                .collect();
            let mut vc = VersionChecker::new(
                self,
                &decls,
                &schema,
                &tables,
                &provisions,
                &outcomes,
                &v.name,
                rules,
            );
            vc.build();
            let (defs, outcome_defs, reads) = vc.finish();
            self.check_chain_depth(&defs);
            fact_reads.extend(reads);
            v.defs = defs;
            v.outcome_defs = outcome_defs;
            program_versions.push(v);
        }

        // Conditions that can never hold, rules that always or may clash, definitions no
        // outcome needs: judged per version, reported once per place in the source.
        let mut used_rules: HashSet<Span> = HashSet::new();
        let mut all_rules: Vec<(Span, String, String)> = Vec::new();
        for v in &program_versions {
            self.analyse_version(v, &provisions, &mut used_rules, &mut all_rules);
        }
        for (span, name, citation) in all_rules {
            if !used_rules.contains(&span) && !outcomes.iter().any(|o| o.name == name) {
                let p = Problem::warning(codes::UNUSED_DEFINITION, format!("in {citation}: no outcome depends on `{name}`"))
                    .label(self.sources, span, "defined here, never used")
                    .with_help("use it in a rule an outcome depends on, declare it as an outcome, or remove it");
                self.report(p);
            }
        }

        // Outcomes every version leaves undefined are almost surely typos.
        for (i, o) in outcomes.iter().enumerate() {
            if program_versions
                .iter()
                .all(|v| v.outcome_defs.get(i).copied().flatten().is_none())
            {
                let span = outcome_spans.get(i).copied().unwrap_or_default();
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

        // ---- facts declared but never read, and disregarded facts that are read
        let mut disregarded_paths: HashSet<Vec<usize>> = HashSet::new();
        for p in &provisions {
            for d in &p.disregards {
                disregarded_paths.insert(d.path.clone());
                if fact_reads.iter().any(|r| r.starts_with(&d.path)) {
                    let pr = self.err(
                        codes::DISREGARDED_FACT_READ,
                        p.span,
                        format!("{} says `{}` must not affect the result, but a rule reads it", p.citation, d.name),
                        "this provision disregards the fact",
                    )
                    .with_help("remove the fact from the rule, or the `disregard` mark if the statute allows it");
                    self.report(pr);
                }
            }
        }
        for (i, f) in schema.facts.iter().enumerate() {
            let used = fact_reads.iter().any(|r| r.first() == Some(&i))
                || version_selector.as_ref().is_some_and(|s| s.fact == i)
                || disregarded_paths.iter().any(|d| d.first() == Some(&i));
            if !used {
                let p = Problem::warning(codes::UNUSED_FACT, format!("fact `{}` is declared but no rule reads it", f.name))
                    .label(self.sources, f.span, "never read")
                    .with_help("use it in a rule, mark it with `disregard` in the provision that says it must not matter, or remove it");
                self.report(p);
            }
        }
        // A provision is accounted for when it, or a provision inside it, computes something,
        // is marked `not computed`, or disregards a fact.
        let accounted = |p: &ProvisionInfo| {
            let inside = |q: &ProvisionInfo| {
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
        for p in &provisions {
            if !accounted(p) {
                let pr = Problem::warning(
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
                self.report(pr);
            }
        }

        let schema = Arc::new(schema);
        let shape = Arc::new(OutcomeShape::new(
            &statute.citation,
            &outcomes,
            Arc::clone(&schema),
        ));
        Some(ProgramData {
            statute,
            versions: program_versions,
            version_selector,
            schema,
            outcomes,
            shape,
            provisions,
            tables,
            sources: SourceMap::new(),
        })
    }

    /// Evaluation recurses once per definition along a chain of definitions each reading the
    /// next, so the longest chain is bounded (checking visits definitions in source order and
    /// may never go that deep itself).
    fn check_chain_depth(&mut self, defs: &[Definition]) {
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

    fn analyse_version(
        &mut self,
        v: &VersionInfo,
        provisions: &[ProvisionInfo],
        used_rules: &mut HashSet<Span>,
        all_rules: &mut Vec<(Span, String, String)>,
    ) {
        use crate::check::conditions::{Atoms, Verdict, both, verdict};
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

    fn type_name_taken(&mut self, decls: &Declarations, name: &ast::Ident) -> bool {
        let builtin = matches!(
            name.node.as_str(),
            "bool" | "integer" | "decimal" | "money" | "date" | "text" | "citation" | "provisions"
        );
        if builtin || decls.enums.contains_key(&name.node) || decls.records.contains_key(&name.node)
        {
            let p = self
                .err(
                    codes::DUPLICATE,
                    name.span,
                    format!("type `{}` is already declared", name.node),
                    "declared again",
                )
                .with_help("give the type another name");
            self.report(p);
            return true;
        }
        false
    }

    fn resolve_type(
        &mut self,
        ty: &ast::Spanned<ast::TypeExpr>,
        decls: &Declarations,
    ) -> Option<Type> {
        match &ty.node {
            ast::TypeExpr::List(inner) => self
                .resolve_type(inner, decls)
                .map(|t| Type::List(Box::new(t))),
            ast::TypeExpr::Named(n) => Some(match n.node.as_str() {
                "bool" => Type::Bool,
                "integer" => Type::Integer,
                "decimal" => Type::Decimal,
                "money" => Type::Money,
                "date" => Type::Date,
                "text" => Type::Text,
                "citation" => Type::Citation,
                "provisions" => Type::Provisions,
                other => {
                    if let Some(&e) = decls.enums.get(other) {
                        Type::Enum(e)
                    } else if let Some(&r) = decls.records.get(other) {
                        Type::Record(r)
                    } else {
                        let mut names: Vec<&str> = vec![
                            "bool",
                            "integer",
                            "decimal",
                            "money",
                            "date",
                            "text",
                            "citation",
                            "provisions",
                        ];
                        names.extend(decls.enums.keys().map(String::as_str));
                        names.extend(decls.records.keys().map(String::as_str));
                        let p = self.err(codes::UNKNOWN_TYPE, n.span, format!("no type is named `{other}`"), "unknown type")
                            .with_help(crate::diagnostic::suggestion(other, &names, "declare it with `enum` or `record`, or use a built-in type like `money`"));
                        self.report(p);
                        return None;
                    }
                }
            }),
        }
    }

    fn fields(
        &mut self,
        fields: &[ast::Field],
        decls: &Declarations,
        schema: &Schema,
    ) -> Vec<FieldDecl> {
        let mut out: Vec<FieldDecl> = Vec::new();
        for f in fields {
            if let Some(first) = out.iter().find(|x| x.name == f.name.node) {
                let p = self
                    .err(
                        codes::DUPLICATE,
                        f.name.span,
                        format!("`{}` is declared twice", f.name.node),
                        "declared again",
                    )
                    .label(self.sources, first.span, "first declared here")
                    .with_help("remove one of the declarations");
                self.report(p);
                continue;
            }
            let ty = self.resolve_type(&f.ty, decls).unwrap_or(Type::Bool);
            let default = f.default.as_ref().and_then(|d| {
                let v = self.constant(d, &ty, schema);
                if v.is_none() {
                    let p = self.err(codes::TYPE_MISMATCH, d.span, format!("the default of `{}` is not a {ty} literal", f.name.node), format!("expected a {ty}"))
                        .with_help("a default is a literal of the fact's type, like `false`, `$0`, `[]` or an enumeration member in quotes");
                    self.report(p);
                }
                v
            });
            if f.nonempty && !matches!(ty, Type::List(_)) {
                let p = self
                    .err(
                        codes::TYPE_MISMATCH,
                        f.name.span,
                        format!("`{}` is marked `nonempty` but is not a list", f.name.node),
                        "not a list",
                    )
                    .with_help("`nonempty` applies only to `list of …` facts");
                self.report(p);
            }
            out.push(FieldDecl {
                name: f.name.node.clone(),
                ty,
                optional: f.optional,
                default,
                nonempty: f.nonempty,
                description: f.description.clone(),
                span: f.name.span,
            });
        }
        out
    }

    /// A literal of type `ty` (defaults and table cells), or `None` when it is not one.
    fn constant(&mut self, e: &ast::Expr, ty: &Type, schema: &Schema) -> Option<Value> {
        match (&e.node, ty) {
            (A::Bool(b), Type::Bool) => Some(Value::Bool(*b)),
            (A::Integer(d), Type::Integer | Type::Decimal)
            | (A::Decimal(d), Type::Decimal)
            | (A::Money(d), Type::Money) => Some(Value::Number(*d)),
            (A::Unary(UnaryOp::Neg, inner), Type::Integer | Type::Decimal | Type::Money) => {
                match self.constant(inner, ty, schema)? {
                    Value::Number(d) => Some(Value::Number(-d)),
                    _ => None,
                }
            }
            (A::Date(d), Type::Date) => Some(Value::Date(*d)),
            (A::Text(t), Type::Text) => Some(Value::Text(t.as_str().into())),
            (A::Text(t), Type::Enum(id)) => {
                let members = &schema.enums.get(*id)?.members;
                let idx = members.iter().position(|m| m == t)?;
                Some(Value::Enum(u32::try_from(idx).ok()?))
            }
            (A::Citation(c), Type::Citation) => Citation::parse(c)
                .ok()
                .map(|c| Value::Citation(Arc::new(c))),
            (A::List(items), Type::List(inner)) => {
                let mut out = Vec::new();
                for i in items {
                    match i {
                        ListItem::Single(x) => out.push(self.constant(x, inner, schema)?),
                        ListItem::Range { .. } => return None,
                    }
                }
                Some(Value::List(out.into()))
            }
            _ => None,
        }
    }

    fn table(&mut self, t: &ast::TableDecl, decls: &Declarations, schema: &Schema) -> Table {
        let key_ty = self.resolve_type(&t.key_ty, decls).unwrap_or(Type::Integer);
        let value_ty = self
            .resolve_type(&t.value_ty, decls)
            .unwrap_or(Type::Decimal);
        let mut rows = HashMap::default();
        for (k, v) in &t.rows {
            let key = self.constant(k, &key_ty, schema);
            let value = self.constant(v, &value_ty, schema);
            match (key.as_ref().and_then(TableKey::from_value), value) {
                (Some(key), Some(value)) => {
                    if rows.insert(key, value).is_some() {
                        let p = self
                            .err(
                                codes::TABLE,
                                k.span,
                                format!("table `{}` has this key twice", t.name.node),
                                "repeated key",
                            )
                            .with_help("each key appears once; remove or correct the repeated row");
                        self.report(p);
                    }
                }
                (None, _) => {
                    let p = self
                        .err(
                            codes::TABLE,
                            k.span,
                            format!("this key is not a {key_ty} literal"),
                            format!("expected a {key_ty}"),
                        )
                        .with_help("table keys are literals of the table's key type");
                    self.report(p);
                }
                (_, None) => {
                    let p = self
                        .err(
                            codes::TABLE,
                            v.span,
                            format!("this value is not a {value_ty} literal"),
                            format!("expected a {value_ty}"),
                        )
                        .with_help("table values are literals of the table's value type");
                    self.report(p);
                }
            }
        }
        Table {
            name: t.name.node.clone(),
            description: t.description.clone(),
            source: t.source.clone(),
            key_ty,
            value_ty,
            rows,
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the recursion carries its parent's label, version and depth"
    )]
    fn provision<'a>(
        &mut self,
        p: &'a ast::Provision,
        scope: &ProvisionScope,
        parent_label: &str,
        parent_version: Option<VersionId>,
        provisions: &mut Vec<ProvisionInfo>,
        raw_rules: &mut Vec<RawRule<'a>>,
        depth: usize,
    ) {
        if depth > crate::syntax::MAX_NESTING {
            let pr = self
                .err(
                    codes::TOO_DEEP,
                    p.label.span,
                    "provisions nest too deeply",
                    "here",
                )
                .with_help("statutes nest a handful of levels; check for a missing `}`");
            self.report(pr);
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
                        let pr = self
                            .err(
                                codes::VERSION,
                                v.span,
                                format!("`{}` is inside a provision of another version", v.node),
                                "conflicts with the enclosing provision's version",
                            )
                            .with_help(
                                "a provision belongs to the version of the provision around it",
                            );
                        self.report(pr);
                    }
                    Some(id)
                }
                None => {
                    let names: Vec<&str> = scope.version_ids.keys().map(String::as_str).collect();
                    let pr = self
                        .err(
                            codes::UNKNOWN_NAME,
                            v.span,
                            format!("no version is named `{}`", v.node),
                            "unknown version",
                        )
                        .with_help(crate::diagnostic::suggestion(
                            &v.node,
                            &names,
                            "declare it with `version name from YYYY-MM-DD`",
                        ));
                    self.report(pr);
                    parent_version
                }
            },
        };
        let id = provisions.len();
        provisions.push(ProvisionInfo {
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
                ProvisionItem::Rule(r) => raw_rules.push(RawRule {
                    rule: r,
                    provision: id,
                    version,
                }),
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
        let Some(&top) = scope.facts.get(first) else {
            let known: Vec<&str> = scope.schema.facts.iter().map(|f| f.name.as_str()).collect();
            let p = self
                .err(
                    codes::UNKNOWN_NAME,
                    fact.span,
                    format!("no fact is named `{first}`"),
                    "unknown fact",
                )
                .with_help(crate::diagnostic::suggestion(
                    first,
                    &known,
                    "declare it in `facts { … }`",
                ));
            self.report(p);
            return None;
        };
        let mut path = vec![top];
        let mut ty = scope.schema.facts.get(top)?.ty.clone();
        for name in names {
            while let Type::List(inner) = ty {
                ty = *inner;
            }
            let Type::Record(rid) = ty else {
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
            let rec = scope.schema.records.get(rid)?;
            let Some(i) = rec.fields.iter().position(|f| &f.name == name) else {
                let known: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                let p = self
                    .err(
                        codes::UNKNOWN_NAME,
                        fact.span,
                        format!("`{}` has no field `{name}`", rec.name),
                        "unknown field",
                    )
                    .with_help(crate::diagnostic::suggestion(
                        name,
                        &known,
                        &format!("its fields are: {}", known.join(", ")),
                    ));
                self.report(p);
                return None;
            };
            path.push(i);
            ty = rec.fields.get(i)?.ty.clone();
        }
        Some(path)
    }
}

/// What a provision needs to know about its surroundings while it is gathered.
struct ProvisionScope<'a> {
    statute: &'a str,
    version_ids: &'a HashMap<String, VersionId>,
    schema: &'a Schema,
    facts: &'a HashMap<String, usize>,
}

/// Definitions and types of one version.
struct VersionChecker<'c, 's, 'a> {
    cx: &'c mut Checker<'s>,
    decls: &'c Declarations,
    schema: &'c Schema,
    tables: &'c [Table],
    provisions: &'c [ProvisionInfo],
    outcomes: &'c [OutcomeDecl],
    version_name: String,
    /// Rule ASTs grouped by definition name, in source order.
    groups: Vec<(String, Vec<&'c RawRule<'a>>)>,
    def_ids: HashMap<String, DefId>,
    state: Vec<DefState>,
    defs: Vec<Option<Definition>>,
    /// The chain of definitions being typed, for cycle messages.
    stack: Vec<DefId>,
    /// Every fact path a rule reads (top-level fact index, then field indices).
    reads: HashSet<Vec<usize>>,
    /// The citation of the provision whose rule is being checked, for messages.
    context: Option<String>,
}

#[derive(Clone)]
enum DefState {
    Todo,
    InProgress,
    Done(Type),
    Failed,
}

/// A variable bound by a list expression.
struct Local {
    name: String,
    ty: Type,
    /// The fact path the bound elements come from, for the `disregard` check.
    origin: Option<Vec<usize>>,
}

impl<'c, 's, 'a> VersionChecker<'c, 's, 'a> {
    /// Reports a problem found in a rule, naming the provision it stands in.
    fn report(&mut self, mut p: Problem) {
        if let Some(citation) = &self.context {
            p.message = format!("in {citation}: {}", p.message);
        }
        self.cx.report(p);
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        cx: &'c mut Checker<'s>,
        decls: &'c Declarations,
        schema: &'c Schema,
        tables: &'c [Table],
        provisions: &'c [ProvisionInfo],
        outcomes: &'c [OutcomeDecl],
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
            cx,
            decls,
            schema,
            tables,
            provisions,
            outcomes,
            version_name: version_name.to_string(),
            groups,
            def_ids,
            state: vec![DefState::Todo; n],
            defs: (0..n).map(|_| None).collect(),
            stack: Vec::new(),
            reads: HashSet::new(),
            context: None,
        }
    }

    fn in_version(&self) -> String {
        if self.version_name.is_empty() {
            String::new()
        } else {
            format!(" (in version `{}`)", self.version_name)
        }
    }

    fn build(&mut self) {
        for id in 0..self.groups.len() {
            self.define(id, None);
        }
    }

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
            .outcomes
            .iter()
            .map(|o| self.def_ids.get(&o.name).copied())
            .collect();
        (defs, outcome_defs, self.reads)
    }

    /// Types and compiles definition `id` (once), returning its type. The definitions it reads
    /// are typed first, by recursion, on more stack when it runs low: a rule file may chain up
    /// to `MAX_DEFINITION_DEPTH` definitions, each with an expression `MAX_EXPR_DEPTH` deep.
    fn define(&mut self, id: DefId, used_at: Option<Span>) -> Option<Type> {
        stacker::maybe_grow(4 << 20, 16 << 20, || self.define_here(id, used_at))
    }

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
                let p = self.cx.err(codes::CYCLE, span, format!("definitions depend on each other in a cycle: {}", names.join(" -> ")), "the cycle closes here")
                    .with_help("a value cannot depend on itself; break the cycle by defining one of them from facts");
                self.report(p);
                return None;
            }
            Some(DefState::Todo) => {}
        }
        if self.stack.len() >= MAX_DEFINITION_DEPTH {
            let p = self
                .cx
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

    fn compile_definition(&mut self, id: DefId) -> Option<Definition> {
        let (name, raws) = self.groups.get(id)?.clone();
        let declared = self
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
            return None;
        }
        let ty = declared.or(ty.map(|t| t.0))?;

        // Exceptions: each names the provision of the rule it displaces.
        let mut compiled: Vec<RuleDef> = Vec::new();
        let mut targets: Vec<Option<ast::Spanned<Vec<String>>>> = Vec::new();
        for (raw, value, condition) in rules {
            targets.push(raw.rule.exception_to.clone());
            compiled.push(RuleDef {
                provision: raw.provision,
                exception_to: None,
                exceptions: Vec::new(),
                condition,
                value,
                notes: raw.rule.notes.clone(),
                span: raw.rule.span,
            });
        }
        for (i, target) in targets.iter().enumerate() {
            let Some(target) = target else { continue };
            self.context = compiled
                .get(i)
                .and_then(|r| self.provisions.get(r.provision))
                .map(|p| p.citation.clone());
            let label: String = target.node.iter().map(|l| format!("({l})")).collect();
            let candidates: Vec<usize> = compiled
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
                    let one = *one;
                    if let Some(r) = compiled.get_mut(i) {
                        r.exception_to = Some(one);
                    }
                    if let Some(t) = compiled.get_mut(one) {
                        t.exceptions.push(i);
                    }
                }
                [] => {
                    let here: Vec<String> = compiled
                        .iter()
                        .filter_map(|r| self.provisions.get(r.provision).map(|p| p.label.clone()))
                        .collect();
                    let here: Vec<&str> = here.iter().map(String::as_str).collect();
                    let p = self
                        .cx
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
                    return None;
                }
                _ => {
                    let p = self.cx.err(codes::EXCEPTION_TARGET, target.span, format!("{label} holds several rules for `{name}`; the exception is ambiguous"), "which one?")
                        .with_help("keep one rule per name in the targeted provision");
                    self.report(p);
                    return None;
                }
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
                    let p = self.cx.err(codes::CYCLE, span, format!("exceptions for `{name}` displace each other in a circle"), "part of the circle")
                        .with_help("an exception displaces a more general rule; one rule must be the default");
                    self.report(p);
                    return None;
                }
                seen.push(c);
                cur = compiled.get(c).and_then(|r| r.exception_to);
            }
        }
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
            .and_then(|t| self.cx.resolve_type(t, self.decls));
        let expected = annotated
            .clone()
            .or_else(|| declared.clone())
            .or_else(|| ty.as_ref().map(|t| t.0.clone()));
        let mut locals = Vec::new();
        let value = self.expr(&r.value, expected.as_ref(), &mut locals);
        let condition = r
            .condition
            .as_ref()
            .map(|c| self.expr(c, Some(&Type::Bool), &mut locals));
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
                        .cx
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
                    .cx
                    .err(
                        codes::TYPE_MISMATCH,
                        value.span,
                        format!(
                            "`{name}` is declared as {want} but this rule gives a {value_ty}{}",
                            self.in_version()
                        ),
                        format!("this is a {value_ty}"),
                    )
                    .with_help(format!("make the rule produce a {want}"));
                self.report(p);
                return None;
            }
        }
        match &*ty {
            None => *ty = Some((value_ty.clone(), value.span)),
            Some((t, first)) => {
                if !fits(&value_ty, t) {
                    let p = self
                        .cx
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
                        .label(self.cx.sources, *first, format!("this is a {t}"));
                    self.report(p);
                    return None;
                }
            }
        }
        Some((raw, value, condition))
    }

    fn mismatch(&mut self, span: Span, message: String, label: String, help: &str) -> Option<Expr> {
        let p = self
            .cx
            .err(codes::TYPE_MISMATCH, span, message, label)
            .with_help(help.to_string());
        self.report(p);
        None
    }

    fn mk(&mut self, kind: ExprKind, ty: Type, span: Span) -> Option<Expr> {
        let id = self.cx.next_expr_id;
        self.cx.next_expr_id = id.saturating_add(1);
        Some(Expr { kind, ty, span, id })
    }

    /// The fact path an expression reads, when it is a chain of fields on a fact.
    fn path_of(&self, e: &Expr, locals: &[Local]) -> Option<Vec<usize>> {
        match &e.kind {
            ExprKind::Fact(i) => Some(vec![*i]),
            ExprKind::Local(d) => locals.get(*d).and_then(|l| l.origin.clone()),
            ExprKind::Field(inner, f) => {
                let mut p = self.path_of(inner, locals)?;
                p.push(*f);
                Some(p)
            }
            _ => None,
        }
    }

    /// Compiles an expression. `expected` only guides literals (`"defendant"` as an enumeration member).
    fn expr(
        &mut self,
        e: &ast::Expr,
        expected: Option<&Type>,
        locals: &mut Vec<Local>,
    ) -> Option<Expr> {
        let span = e.span;
        match &e.node {
            A::Bool(b) => self.mk(ExprKind::Literal(Value::Bool(*b)), Type::Bool, span),
            A::Integer(d) => {
                let ty = if expected == Some(&Type::Decimal) {
                    Type::Decimal
                } else {
                    Type::Integer
                };
                self.mk(ExprKind::Literal(Value::Number(*d)), ty, span)
            }
            A::Decimal(d) => self.mk(ExprKind::Literal(Value::Number(*d)), Type::Decimal, span),
            A::Money(d) => self.mk(ExprKind::Literal(Value::Number(*d)), Type::Money, span),
            A::Date(d) => self.mk(ExprKind::Literal(Value::Date(*d)), Type::Date, span),
            A::Text(t) => {
                if let Some(Type::Enum(id)) = expected {
                    let en = self.schema.enums.get(*id)?;
                    return match en.members.iter().position(|m| m == t) {
                        Some(i) => self.mk(
                            ExprKind::Literal(Value::Enum(u32::try_from(i).ok()?)),
                            Type::Enum(*id),
                            span,
                        ),
                        None => {
                            let members: Vec<&str> =
                                en.members.iter().map(String::as_str).collect();
                            let p = self
                                .cx
                                .err(
                                    codes::TYPE_MISMATCH,
                                    span,
                                    format!("`{t}` is not a member of `{}`", en.name),
                                    "not a member",
                                )
                                .with_help(format!(
                                    "{}the members are: {}",
                                    nearest(t, members.iter().copied())
                                        .map(|n| format!("did you mean `{n}`? "))
                                        .unwrap_or_default(),
                                    members.join(", ")
                                ));
                            self.report(p);
                            None
                        }
                    };
                }
                self.mk(
                    ExprKind::Literal(Value::Text(t.as_str().into())),
                    Type::Text,
                    span,
                )
            }
            A::Citation(c) => match Citation::parse(c) {
                Ok(c) => self.mk(
                    ExprKind::Literal(Value::Citation(Arc::new(c))),
                    Type::Citation,
                    span,
                ),
                Err(err) => {
                    let p = self
                        .cx
                        .err(
                            codes::CITATION,
                            span,
                            format!("`{c}` is not a provision citation"),
                            "malformed",
                        )
                        .with_help(err.reason);
                    self.report(p);
                    None
                }
            },
            A::List(items) => self.list(items, expected, span, locals),
            A::Name(n) => self.name(n, locals),
            A::Field(inner, field) => {
                let inner = self.expr(inner, None, locals)?;
                let Type::Record(rid) = inner.ty else {
                    let ty = inner.ty.clone();
                    return self.mismatch(
                        field.span,
                        format!(
                            "`.{}` reads a field, but this is a {ty}, not a record",
                            field.node
                        ),
                        format!("{ty} has no fields"),
                        "only records have fields",
                    );
                };
                let rec = self.schema.records.get(rid)?;
                match rec.fields.iter().position(|f| f.name == field.node) {
                    Some(i) => {
                        let ty = rec.fields.get(i)?.ty.clone();
                        let out = self.mk(ExprKind::Field(Box::new(inner), i), ty, span)?;
                        if let Some(p) = self.path_of(&out, locals) {
                            self.reads.insert(p);
                        }
                        Some(out)
                    }
                    None => {
                        let names: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                        let p = self
                            .cx
                            .err(
                                codes::UNKNOWN_NAME,
                                field.span,
                                format!("`{}` has no field `{}`", rec.name, field.node),
                                "unknown field",
                            )
                            .with_help(crate::diagnostic::suggestion(
                                &field.node,
                                &names,
                                &format!("its fields are: {}", names.join(", ")),
                            ));
                        self.report(p);
                        None
                    }
                }
            }
            A::Index(target, key) => {
                let A::Name(n) = &target.node else {
                    return self.mismatch(
                        span,
                        "only data tables can be looked up with `[…]`".into(),
                        "not a table".into(),
                        "write `table_name[key]`",
                    );
                };
                let Some(&tid) = self.decls.tables.get(&n.node) else {
                    let names: Vec<&str> = self.decls.tables.keys().map(String::as_str).collect();
                    let p = self
                        .cx
                        .err(
                            codes::UNKNOWN_NAME,
                            n.span,
                            format!("no data table is named `{}`", n.node),
                            "unknown table",
                        )
                        .with_help(crate::diagnostic::suggestion(
                            &n.node,
                            &names,
                            "declare it with `table name: key -> value`",
                        ));
                    self.report(p);
                    return None;
                };
                let table = self.tables.get(tid)?;
                let (key_ty, value_ty) = (table.key_ty.clone(), table.value_ty.clone());
                let key = self.expr(key, Some(&key_ty), locals)?;
                if !fits(&key.ty, &key_ty) {
                    let kt = key.ty.clone();
                    return self.mismatch(
                        key.span,
                        format!("table `{}` is keyed by {key_ty}, not {kt}", n.node),
                        format!("this is a {kt}"),
                        "look the table up by a key of its key type",
                    );
                }
                self.mk(ExprKind::Table(tid, Box::new(key)), value_ty, span)
            }
            A::Unary(op, inner) => {
                let inner = self.expr(inner, None, locals)?;
                match op {
                    UnaryOp::Not => {
                        if inner.ty != Type::Bool {
                            let t = inner.ty.clone();
                            return self.mismatch(
                                inner.span,
                                format!("`not` needs true or false, but this is a {t}"),
                                format!("this is a {t}"),
                                "apply `not` to a condition",
                            );
                        }
                        self.mk(ExprKind::Not(Box::new(inner)), Type::Bool, span)
                    }
                    UnaryOp::Neg => {
                        if !inner.ty.is_numeric() {
                            let t = inner.ty.clone();
                            return self.mismatch(
                                inner.span,
                                format!("`-` needs a number, but this is a {t}"),
                                format!("this is a {t}"),
                                "negate a number or money amount",
                            );
                        }
                        let ty = inner.ty.clone();
                        self.mk(ExprKind::Neg(Box::new(inner)), ty, span)
                    }
                }
            }
            A::Binary(op, l, r) => self.binary(*op, l, r, span, locals),
            A::If(c, t, f) => {
                let c = self.expr(c, Some(&Type::Bool), locals)?;
                if c.ty != Type::Bool {
                    let ty = c.ty.clone();
                    return self.mismatch(
                        c.span,
                        format!("`if` needs a condition, but this is a {ty}"),
                        format!("this is a {ty}"),
                        "write a comparison or a true/false value after `if`",
                    );
                }
                let t = self.expr(t, expected, locals)?;
                let f = self.expr(f, Some(&t.ty.clone()), locals)?;
                let Some(ty) = unify(&t.ty, &f.ty) else {
                    let (a, b) = (t.ty.clone(), f.ty.clone());
                    return self.mismatch(
                        f.span,
                        format!("the branches of `if` give different types: {a} and {b}"),
                        format!("this is a {b}"),
                        "both branches must give the same type",
                    );
                };
                self.mk(
                    ExprKind::If(Box::new(c), Box::new(t), Box::new(f)),
                    ty,
                    span,
                )
            }
            A::Call(name, args) => self.call(name, args, expected, span, locals),
            A::Comprehension {
                aggregate,
                element,
                var,
                source,
                filter,
            } => {
                let agg = match aggregate.node.as_str() {
                    "sum" => Aggregate::Sum,
                    "count" => Aggregate::Count,
                    "any" => Aggregate::Any,
                    "all" => Aggregate::All,
                    "min" => Aggregate::Min,
                    "max" => Aggregate::Max,
                    "filter" => Aggregate::Filter,
                    other => {
                        let p = self
                            .cx
                            .err(
                                codes::UNKNOWN_NAME,
                                aggregate.span,
                                format!("`{other}` cannot aggregate a list"),
                                "unknown aggregate",
                            )
                            .with_help(crate::diagnostic::suggestion(
                                other,
                                &["sum", "count", "any", "all", "min", "max", "filter"],
                                "use sum, count, any, all, min, max or filter",
                            ));
                        self.report(p);
                        return None;
                    }
                };
                let source = self.expr(source, None, locals)?;
                let Type::List(elem_ty) = source.ty.clone() else {
                    let t = source.ty.clone();
                    return self.mismatch(
                        source.span,
                        format!("`for … in` needs a list, but this is a {t}"),
                        format!("this is a {t}"),
                        "iterate over a list fact like `victim.losses`",
                    );
                };
                let origin = self.path_of(&source, locals);
                let depth = locals.len();
                locals.push(Local {
                    name: var.node.clone(),
                    ty: (*elem_ty).clone(),
                    origin,
                });
                let element = self.expr(element, None, locals);
                let filter = filter
                    .as_ref()
                    .map(|f| self.expr(f, Some(&Type::Bool), locals));
                locals.pop();
                let element = element?;
                let filter = match filter {
                    Some(None) => return None,
                    Some(Some(f)) => {
                        if f.ty != Type::Bool {
                            let t = f.ty.clone();
                            return self.mismatch(f.span, format!("the `if` of a list expression needs a condition, but this is a {t}"), format!("this is a {t}"), "write a condition after `if`");
                        }
                        Some(Box::new(f))
                    }
                    None => None,
                };
                let ty = self.aggregate_type(agg, &element.ty, element.span)?;
                self.mk(
                    ExprKind::Comprehension {
                        aggregate: agg,
                        element: Box::new(element),
                        local: depth,
                        var_name: var.node.clone(),
                        source: Box::new(source),
                        filter,
                    },
                    ty,
                    span,
                )
            }
        }
    }

    fn aggregate_type(&mut self, agg: Aggregate, elem: &Type, span: Span) -> Option<Type> {
        let ok = match agg {
            Aggregate::Sum | Aggregate::Min | Aggregate::Max => {
                elem.is_numeric() || (agg != Aggregate::Sum && *elem == Type::Date)
            }
            Aggregate::Any | Aggregate::All => *elem == Type::Bool,
            Aggregate::Count | Aggregate::Filter => true,
        };
        if !ok {
            let what = match agg {
                Aggregate::Sum => "`sum` adds numbers or money",
                Aggregate::Min | Aggregate::Max => {
                    "`min` and `max` compare numbers, money or dates"
                }
                _ => "`any` and `all` combine conditions",
            };
            self.mismatch(
                span,
                format!("{what}, but the items are {elem}"),
                format!("each item is a {elem}"),
                "aggregate items of the right type",
            )?;
        }
        Some(match agg {
            Aggregate::Sum | Aggregate::Min | Aggregate::Max => elem.clone(),
            Aggregate::Count => Type::Integer,
            Aggregate::Any | Aggregate::All => Type::Bool,
            Aggregate::Filter => Type::List(Box::new(elem.clone())),
        })
    }

    fn list(
        &mut self,
        items: &[ListItem],
        expected: Option<&Type>,
        span: Span,
        locals: &mut Vec<Local>,
    ) -> Option<Expr> {
        let is_provisions = items.iter().any(|i| {
            matches!(i, ListItem::Range { .. })
                || matches!(i, ListItem::Single(e) if matches!(e.node, A::Citation(_)))
        }) || expected == Some(&Type::Provisions);
        if is_provisions {
            let mut refs = Vec::new();
            for item in items {
                match item {
                    ListItem::Single(e) => match &e.node {
                        A::Citation(c) => refs.push(ProvisionRef::One(self.citation(c, e.span)?)),
                        _ => {
                            return self.mismatch(
                                e.span,
                                "a list of provisions holds only citations like `§2252` and ranges"
                                    .into(),
                                "not a citation".into(),
                                "write each provision as `§2252A(a)(5)` or `§2251 through §2260A`",
                            );
                        }
                    },
                    ListItem::Range { start, end } => {
                        let A::Citation(s) = &start.node else {
                            return self.mismatch(
                                start.span,
                                "a range starts with a citation like `§2251`".into(),
                                "not a citation".into(),
                                "write `§2251 through §2260A`",
                            );
                        };
                        let s = self.citation(s, start.span)?;
                        let e = match &end.node {
                            RangeEnd::Citation(c) => self.citation(c, end.span)?,
                            RangeEnd::Relative(parts) => s.with_last_parts(parts),
                        };
                        match CitationRange::new(s, e) {
                            Ok(r) => refs.push(ProvisionRef::Range(r)),
                            Err(err) => {
                                let p = self
                                    .cx
                                    .err(
                                        codes::CITATION,
                                        start.span.to(end.span),
                                        "this range of provisions is malformed",
                                        "malformed range",
                                    )
                                    .with_help(err.reason);
                                self.report(p);
                                return None;
                            }
                        }
                    }
                }
            }
            return self.mk(ExprKind::Provisions(refs.into()), Type::Provisions, span);
        }
        let want_elem = match expected {
            Some(Type::List(t)) => Some((**t).clone()),
            _ => None,
        };
        let mut out = Vec::new();
        let mut ty = want_elem.clone().unwrap_or(Type::Empty);
        for item in items {
            let ListItem::Single(e) = item else { continue };
            let guide = if ty == Type::Empty {
                want_elem.as_ref()
            } else {
                Some(&ty)
            };
            let guide = guide.cloned();
            let x = self.expr(e, guide.as_ref(), locals)?;
            match unify(&ty, &x.ty) {
                Some(t) => ty = t,
                None => {
                    let (a, b) = (ty.clone(), x.ty.clone());
                    return self.mismatch(
                        x.span,
                        format!("a list holds one type, but this item is a {b} among {a}s"),
                        format!("this is a {b}"),
                        "make every item the same type",
                    );
                }
            }
            out.push(x);
        }
        let all_literal = out.iter().all(|x| matches!(x.kind, ExprKind::Literal(_)));
        if all_literal {
            let values: Vec<Value> = out
                .into_iter()
                .filter_map(|x| {
                    if let ExprKind::Literal(v) = x.kind {
                        Some(v)
                    } else {
                        None
                    }
                })
                .collect();
            return self.mk(
                ExprKind::Literal(Value::List(values.into())),
                Type::List(Box::new(ty)),
                span,
            );
        }
        self.mk(ExprKind::List(out), Type::List(Box::new(ty)), span)
    }

    fn citation(&mut self, text: &str, span: Span) -> Option<Citation> {
        match Citation::parse(text) {
            Ok(c) => Some(c),
            Err(err) => {
                let p = self
                    .cx
                    .err(
                        codes::CITATION,
                        span,
                        format!("`{text}` is not a provision citation"),
                        "malformed",
                    )
                    .with_help(err.reason);
                self.report(p);
                None
            }
        }
    }

    fn name(&mut self, n: &ast::Ident, locals: &[Local]) -> Option<Expr> {
        if let Some((depth, l)) = locals
            .iter()
            .enumerate()
            .rev()
            .find(|(_, l)| l.name == n.node)
        {
            return self.mk(ExprKind::Local(depth), l.ty.clone(), n.span);
        }
        if let Some(&id) = self.def_ids.get(&n.node) {
            let ty = self.define(id, Some(n.span))?;
            return self.mk(ExprKind::Def(id), ty, n.span);
        }
        if let Some(&i) = self.decls.facts.get(&n.node) {
            let ty = self.schema.facts.get(i)?.ty.clone();
            self.reads.insert(vec![i]);
            return self.mk(ExprKind::Fact(i), ty, n.span);
        }
        if self.decls.tables.contains_key(&n.node) {
            let p = self
                .cx
                .err(
                    codes::TYPE_MISMATCH,
                    n.span,
                    format!(
                        "`{}` is a data table; look a row up with `{}[key]`",
                        n.node, n.node
                    ),
                    "a table, not a value",
                )
                .with_help(format!("write `{}[key]`", n.node));
            self.report(p);
            return None;
        }
        let mut names: Vec<&str> = locals.iter().map(|l| l.name.as_str()).collect();
        names.extend(self.def_ids.keys().map(String::as_str));
        names.extend(self.decls.facts.keys().map(String::as_str));
        // A name defined only in another version is a common slip; say so.
        let elsewhere = if self.version_name.is_empty() {
            String::new()
        } else {
            format!(" in version `{}`", self.version_name)
        };
        let p = self
            .cx
            .err(
                codes::UNKNOWN_NAME,
                n.span,
                format!("`{}` is not defined{elsewhere}", n.node),
                "unknown name",
            )
            .with_help(crate::diagnostic::suggestion(
                &n.node,
                &names,
                "define it with `rule name = …`, or declare it as a fact",
            ));
        self.report(p);
        None
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        locals: &mut Vec<Local>,
    ) -> Option<Expr> {
        // Infer the side that is not a bare text literal first, so `"defendant"` can be read as an enumeration member.
        let (lhs, rhs) = if matches!(l.node, A::Text(_)) && !matches!(r.node, A::Text(_)) {
            let rhs = self.expr(r, None, locals);
            let guide = rhs.as_ref().map(|x| x.ty.clone());
            let lhs = self.expr(l, guide.as_ref(), locals);
            (lhs?, rhs?)
        } else {
            let lhs = self.expr(l, None, locals);
            let guide = match (op, lhs.as_ref().map(|x| &x.ty)) {
                (BinaryOp::In | BinaryOp::NotIn, Some(t)) => Some(Type::List(Box::new(t.clone()))),
                (BinaryOp::And | BinaryOp::Or, _) => Some(Type::Bool),
                (_, Some(t)) => Some(t.clone()),
                _ => None,
            };
            let rhs = self.expr(r, guide.as_ref(), locals);
            (lhs?, rhs?)
        };
        let (lt, rt) = (lhs.ty.clone(), rhs.ty.clone());
        let sym = op.symbol();
        let bx = Box::new;
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for side in [&lhs, &rhs] {
                    if side.ty != Type::Bool {
                        let t = side.ty.clone();
                        return self.mismatch(
                            side.span,
                            format!("`{sym}` joins conditions, but this is a {t}"),
                            format!("this is a {t}"),
                            "both sides must be true/false conditions",
                        );
                    }
                }
                let kind = if op == BinaryOp::And {
                    ExprKind::And(bx(lhs), bx(rhs))
                } else {
                    ExprKind::Or(bx(lhs), bx(rhs))
                };
                self.mk(kind, Type::Bool, span)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                let comparable =
                    unify(&lt, &rt).is_some_and(|t| !ordered || t.is_numeric() || t == Type::Date);
                if !comparable {
                    let help = if (lt == Type::Money && rt.is_numeric())
                        || (rt == Type::Money && lt.is_numeric())
                    {
                        "write money with a dollar sign, like `$0` or `$3,000`"
                    } else if ordered {
                        "`<`, `<=`, `>`, `>=` compare two numbers, two money amounts or two dates"
                    } else {
                        "compare values of the same type"
                    };
                    return self.mismatch(
                        span,
                        format!("cannot compare {lt} with {rt} using `{sym}`"),
                        format!("{lt} {sym} {rt}"),
                        help,
                    );
                }
                let c = match op {
                    BinaryOp::Eq => Compare::Eq,
                    BinaryOp::Ne => Compare::Ne,
                    BinaryOp::Lt => Compare::Lt,
                    BinaryOp::Le => Compare::Le,
                    BinaryOp::Gt => Compare::Gt,
                    _ => Compare::Ge,
                };
                self.mk(ExprKind::Compare(c, bx(lhs), bx(rhs)), Type::Bool, span)
            }
            BinaryOp::Within => {
                if lt != Type::Citation || !matches!(rt, Type::Citation | Type::Provisions) {
                    return self.mismatch(span, format!("`within` asks whether a citation lies in a provision or list of provisions, not {lt} within {rt}"), format!("{lt} within {rt}"), "write `conviction.section within §2252A(a)` or `… within [§2251 through §2260A]`");
                }
                self.mk(ExprKind::Within(bx(lhs), bx(rhs)), Type::Bool, span)
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let ok = matches!(&rt, Type::List(inner) if unify(inner, &lt).is_some());
                if !ok {
                    return self.mismatch(span, format!("`{sym}` asks whether a value is in a list, not {lt} {sym} {rt}"), format!("{lt} {sym} {rt}"), "the right side must be a list of the left side's type; for citations use `within`");
                }
                self.mk(
                    ExprKind::In {
                        item: bx(lhs),
                        list: bx(rhs),
                        negated: op == BinaryOp::NotIn,
                    },
                    Type::Bool,
                    span,
                )
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let a = match op {
                    BinaryOp::Add => Arith::Add,
                    BinaryOp::Sub => Arith::Sub,
                    BinaryOp::Mul => Arith::Mul,
                    _ => Arith::Div,
                };
                let Some(ty) = arith_type(a, &lt, &rt) else {
                    let help = match (a, &lt, &rt) {
                        (Arith::Add | Arith::Sub, Type::Money, t)
                        | (Arith::Add | Arith::Sub, t, Type::Money)
                            if t.is_numeric() =>
                        {
                            "money adds only to money: write the number as money, like `$3,000`"
                        }
                        (Arith::Mul, Type::Money, Type::Money) => {
                            "money times money has no meaning; multiply money by a number or ratio"
                        }
                        _ => {
                            "arithmetic works on numbers and money: money ± money, money × number, money ÷ number, money ÷ money"
                        }
                    };
                    return self.mismatch(
                        span,
                        format!("cannot compute {lt} {sym} {rt}"),
                        format!("{lt} {sym} {rt}"),
                        help,
                    );
                };
                self.mk(ExprKind::Arith(a, bx(lhs), bx(rhs)), ty, span)
            }
        }
    }

    fn call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        expected: Option<&Type>,
        span: Span,
        locals: &mut Vec<Local>,
    ) -> Option<Expr> {
        let arity = |cx: &mut Self, want: &str| {
            let p = cx
                .cx
                .err(
                    codes::ARITY,
                    span,
                    format!("`{}` takes {want}, but {} given", name.node, args.len()),
                    "wrong number of arguments",
                )
                .with_help(format!(
                    "call it as {}",
                    match name.node.as_str() {
                        "min" | "max" => "`min(a, b, …)`",
                        "year" => "`year(date)`",
                        "round" => "`round(amount, cents, half_away_from_zero)`",
                        "given" => "`given(fact)`",
                        _ => "`count(list)`",
                    }
                ));
            cx.cx.report(p);
            None
        };
        match name.node.as_str() {
            "min" | "max" => {
                if args.len() < 2 {
                    return arity(self, "two or more arguments");
                }
                let mut out = Vec::new();
                let mut ty: Option<Type> = None;
                for a in args {
                    let x = self.expr(a, ty.as_ref().or(expected), locals)?;
                    let t = x.ty.clone();
                    let joined = match &ty {
                        None => Some(t.clone()),
                        Some(prev) => unify(prev, &t),
                    };
                    match joined {
                        Some(j) if j.is_numeric() || j == Type::Date => ty = Some(j),
                        _ => {
                            let prev = ty.clone().unwrap_or(t.clone());
                            return self.mismatch(x.span, format!("`{}` compares numbers, money or dates of one kind, but got {prev} and {t}", name.node), format!("this is a {t}"), "write every argument as the same kind, e.g. all money: `max($0, x)`");
                        }
                    }
                    out.push(x);
                }
                let ty = ty?;
                let kind = if name.node == "min" {
                    ExprKind::Min(out)
                } else {
                    ExprKind::Max(out)
                };
                self.mk(kind, ty, span)
            }
            "year" => {
                let [arg] = args else {
                    return arity(self, "one argument");
                };
                let x = self.expr(arg, None, locals)?;
                if x.ty != Type::Date {
                    let t = x.ty.clone();
                    return self.mismatch(
                        x.span,
                        format!("`year` needs a date, but this is a {t}"),
                        format!("this is a {t}"),
                        "pass a date fact like `order_date`",
                    );
                }
                self.mk(ExprKind::Year(Box::new(x)), Type::Integer, span)
            }
            "round" => {
                let [value, unit, mode] = args else {
                    return arity(self, "three arguments");
                };
                let x = self.expr(value, None, locals)?;
                if !matches!(x.ty, Type::Money | Type::Decimal) {
                    let t = x.ty.clone();
                    return self.mismatch(
                        x.span,
                        format!("`round` needs money or a decimal, but this is a {t}"),
                        format!("this is a {t}"),
                        "round an amount",
                    );
                }
                let places = match &unit.node {
                    A::Name(n) if n.node == "cents" => 2,
                    A::Name(n) if n.node == "dollars" => 0,
                    _ => {
                        let p = self
                            .cx
                            .err(
                                codes::UNKNOWN_NAME,
                                unit.span,
                                "`round` rounds to `cents` or `dollars`",
                                "unknown unit",
                            )
                            .with_help("write `round(amount, cents, half_away_from_zero)`");
                        self.report(p);
                        return None;
                    }
                };
                let modes = [
                    "half_away_from_zero",
                    "half_even",
                    "toward_zero",
                    "away_from_zero",
                ];
                let mode = match &mode.node {
                    A::Name(n) if n.node == "half_away_from_zero" => Rounding::HalfAwayFromZero,
                    A::Name(n) if n.node == "half_even" => Rounding::HalfEven,
                    A::Name(n) if n.node == "toward_zero" => Rounding::TowardZero,
                    A::Name(n) if n.node == "away_from_zero" => Rounding::AwayFromZero,
                    other => {
                        let written = if let A::Name(n) = other {
                            n.node.clone()
                        } else {
                            String::new()
                        };
                        let p = self
                            .cx
                            .err(
                                codes::UNKNOWN_NAME,
                                mode.span,
                                "unknown rounding mode",
                                "unknown mode",
                            )
                            .with_help(crate::diagnostic::suggestion(
                                &written,
                                &modes,
                                &format!("the modes are: {}", modes.join(", ")),
                            ));
                        self.report(p);
                        return None;
                    }
                };
                let ty = x.ty.clone();
                self.mk(
                    ExprKind::Round {
                        value: Box::new(x),
                        places,
                        mode,
                    },
                    ty,
                    span,
                )
            }
            "given" => {
                let [arg] = args else {
                    return arity(self, "one argument");
                };
                let x = self.expr(arg, None, locals)?;
                if self.path_of(&x, locals).is_none() {
                    return self.mismatch(
                        x.span,
                        "`given` asks whether a fact was given, so it takes a fact".into(),
                        "not a fact".into(),
                        "write `given(court.relative_role_amount)`",
                    );
                }
                self.mk(ExprKind::Given(Box::new(x)), Type::Bool, span)
            }
            "count" | "sum" | "any" | "all" => {
                let [arg] = args else {
                    return arity(self, "one argument");
                };
                let x = self.expr(arg, None, locals)?;
                let Type::List(elem) = x.ty.clone() else {
                    let t = x.ty.clone();
                    return self.mismatch(
                        x.span,
                        format!("`{}` needs a list, but this is a {t}", name.node),
                        format!("this is a {t}"),
                        "pass a list, or write `sum(x.amount for x in list)`",
                    );
                };
                let agg = match name.node.as_str() {
                    "count" => Aggregate::Count,
                    "sum" => Aggregate::Sum,
                    "any" => Aggregate::Any,
                    _ => Aggregate::All,
                };
                let ty = self.aggregate_type(agg, &elem, x.span)?;
                self.mk(ExprKind::AggregateList(agg, Box::new(x)), ty, span)
            }
            other => {
                let p = self
                    .cx
                    .err(
                        codes::UNKNOWN_NAME,
                        name.span,
                        format!("there is no function `{other}`"),
                        "unknown function",
                    )
                    .with_help(crate::diagnostic::suggestion(
                        other,
                        &[
                            "min", "max", "year", "round", "given", "count", "sum", "any", "all",
                        ],
                        "the functions are min, max, year, round, given, count, sum, any, all",
                    ));
                self.report(p);
                None
            }
        }
    }
}

/// Whether a value of type `have` may stand where `want` is expected.
fn fits(have: &Type, want: &Type) -> bool {
    unify(have, want).as_ref() == Some(want)
}

/// The common type of two values that meet (branches, list items, comparisons).
fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        _ if a == b => Some(a.clone()),
        (Type::Empty, t) | (t, Type::Empty) => Some(t.clone()),
        (Type::Integer, Type::Decimal) | (Type::Decimal, Type::Integer) => Some(Type::Decimal),
        (Type::List(x), Type::List(y)) => unify(x, y).map(|t| Type::List(Box::new(t))),
        _ => None,
    }
}

/// The type of `l op r`, or `None` when the arithmetic has no meaning.
fn arith_type(op: Arith, l: &Type, r: &Type) -> Option<Type> {
    use Type::*;
    match (op, l, r) {
        (Arith::Add | Arith::Sub, Money, Money) => Some(Money),
        (Arith::Mul, Money, Integer | Decimal) | (Arith::Mul, Integer | Decimal, Money) => {
            Some(Money)
        }
        (Arith::Div, Money, Integer | Decimal) => Some(Money),
        (Arith::Div, Money, Money) => Some(Decimal),
        (Arith::Div, Integer | Decimal, Integer | Decimal) => Some(Decimal),
        (_, Integer, Integer) => Some(Integer),
        (_, Integer | Decimal, Integer | Decimal) => Some(Decimal),
        _ => None,
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
