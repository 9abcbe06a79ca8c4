//! Declarations: the statute and version headers, enumerations, records, facts, data tables
//! and outcomes. Everything here is shared by all versions.

use super::{Checker, Reporter, UnknownName, codes};
use crate::citation::Citation;
use crate::diagnostic::Problem;
use crate::program::{
    EnumDecl, FieldDecl, Limits, OutcomeDecl, RecordDecl, Schema, Statute, Table, TableId,
    TableKey, Unique, Version, VersionId, VersionSelector,
};
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, ListItem, UnaryOp};
use crate::value::{Type, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Everything declared by name, shared by all versions.
#[derive(Default)]
pub(super) struct Declarations {
    /// Enumerations, records and facts.
    pub(super) schema: Schema,
    pub(super) tables: Vec<Table>,
    pub(super) outcomes: Vec<OutcomeDecl>,
    /// Where each of `outcomes` is declared.
    pub(super) outcome_spans: Vec<Span>,
    /// Indices into `schema.enums`, `schema.records`, `schema.facts` and `tables`, by name.
    pub(super) enum_ids: HashMap<String, usize>,
    pub(super) record_ids: HashMap<String, usize>,
    pub(super) fact_ids: HashMap<String, usize>,
    pub(super) table_ids: HashMap<String, TableId>,
    /// The `function` declarations, by name.
    pub(super) functions: HashMap<String, super::functions::Function>,
}

/// The headers of the rule files.
pub(super) struct Headers<'f> {
    /// The statute each file with a `statute` header belongs to.
    pub(super) statute_of_file: HashMap<FileId, String>,
    /// The statute named by the first `statute` header, or an empty one.
    pub(super) statute: Statute,
    /// The `version` declarations, earliest first.
    pub(super) versions: Vec<&'f ast::Version>,
    pub(super) selector: Option<&'f ast::VersionSelector>,
}

impl Checker<'_> {
    /// The `statute`, `version` and `versions selected by` lines of every file.
    pub(super) fn headers<'f>(&mut self, files: &'f [ast::File]) -> Headers<'f> {
        let mut statute_of_file: HashMap<FileId, String> = HashMap::new();
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
                            statute = Some(Statute {
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
        if statute.is_none() {
            self.no_statute(files);
        }
        let statute = statute.unwrap_or(Statute {
            citation: String::new(),
            title: None,
        });

        version_decls.sort_by_key(|v| v.effective.node);
        Headers {
            statute_of_file,
            statute,
            versions: version_decls,
            selector,
        }
    }

    /// A rule set with no `statute` header anywhere has nothing to check: an empty file, or a
    /// file of shared data checked alone instead of imported. A provision without a statute is
    /// reported where it stands (`header`), so this is reported only when there is none.
    fn no_statute(&mut self, files: &[ast::File]) {
        let Some(entry) = files.first() else { return };
        let has_provision = files
            .iter()
            .flat_map(|f| &f.items)
            .any(|i| matches!(i, ast::Item::Provision(_)));
        if has_provision {
            return;
        }
        let (name, text) = self
            .sources
            .get(entry.file)
            .map(|f| (f.name.clone(), f.text.clone()))
            .unwrap_or_default();
        // The first thing written in the file (after any comments), or its start.
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if !trimmed.is_empty() && !trimmed.starts_with("//") {
                at += line.len() - trimmed.len();
                break;
            }
            at += line.len();
        }
        let at = at.min(text.len());
        let span = Span::new(entry.file, at, at);
        let empty = entry.items.is_empty();
        let message = if empty {
            format!("`{name}` holds no rules: it has no `statute` header and nothing else")
        } else {
            format!("`{name}` has no `statute` header, so it holds no statute to check")
        };
        let label = if empty {
            "the file is empty"
        } else {
            "expected `statute \"citation\" \"title\"` first"
        };
        let p = self
            .err(codes::NO_STATUTE, span, message, label)
            .with_help("a rule file starts with `statute \"18 U.S.C. § 2259\" \"Title\"`, then its facts, outcomes and provisions; a file of shared data (tables, records) is imported by a file that has one, not checked alone");
        self.report(p);
    }

    /// One [`Version`] per declared version, earliest first (one for every date when none
    /// is declared), and their ids by name.
    pub(super) fn versions(
        &mut self,
        version_decls: &[&ast::Version],
    ) -> (Vec<Version>, HashMap<String, VersionId>) {
        let mut versions: Vec<Version> = Vec::new();
        let mut version_ids: HashMap<String, VersionId> = HashMap::new();
        for v in version_decls {
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
            versions.push(Version {
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
            versions.push(Version {
                name: String::new(),
                effective: jiff::civil::Date::MIN,
                enacted_by: None,
                defs: Vec::new(),
                outcome_defs: Vec::new(),
                provisions: Vec::new(),
            });
        }
        (versions, version_ids)
    }

    /// Enumerations and records, then the fields of each record, then the facts.
    pub(super) fn types_and_facts(&mut self, files: &[ast::File]) -> Declarations {
        let mut decls = Declarations::default();
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
                        decls
                            .enum_ids
                            .insert(e.name.node.clone(), decls.schema.enums.len());
                        decls.schema.enums.push(EnumDecl {
                            name: e.name.node.clone(),
                            members,
                        });
                    }
                    ast::Item::Record(r) => {
                        if self.type_name_taken(&decls, &r.name) {
                            continue;
                        }
                        decls
                            .record_ids
                            .insert(r.name.node.clone(), decls.schema.records.len());
                        decls.schema.records.push(RecordDecl {
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
            let fields = self.fields(&r.fields, &decls);
            if let Some(rec) = decls.schema.records.get_mut(i) {
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
        decls.schema.facts = self.fields(&owned, &decls);
        for (i, r) in record_asts.iter().enumerate() {
            self.resolve_unique(&r.fields, Some(i), &mut decls.schema);
        }
        self.resolve_unique(&owned, None, &mut decls.schema);
        for (i, f) in decls.schema.facts.iter().enumerate() {
            decls.fact_ids.insert(f.name.clone(), i);
        }
        decls
    }

    /// The fact that selects a version for a case: a required date fact.
    pub(super) fn version_selector(
        &mut self,
        headers: &Headers,
        version_count: usize,
        decls: &Declarations,
    ) -> Option<VersionSelector> {
        match headers.selector {
            None => {
                if version_count > 1 {
                    let span = headers
                        .versions
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
                .fact_ids
                .get(&s.fact.node)
                .and_then(|&i| decls.schema.facts.get(i).map(|f| (i, f)))
            {
                Some((i, f)) if f.ty == Type::Date && !f.may_be_absent() => Some(VersionSelector {
                    fact: i,
                    fact_name: f.name.clone(),
                    notes: s.notes.clone(),
                    refuse_earlier: s.refuse_earlier.clone(),
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
                    let names: Vec<&str> =
                        decls.schema.facts.iter().map(|f| f.name.as_str()).collect();
                    self.unknown(UnknownName {
                        code: codes::UNKNOWN_NAME,
                        what: "fact",
                        name: &s.fact.node,
                        span: s.fact.span,
                        message: format!("no fact is named `{}`", s.fact.node),
                        candidates: &names,
                        fallback: "declare it in `facts { … }`",
                    })
                }
            },
        }
    }

    /// The data tables, each with its rows checked against its key and value types.
    pub(super) fn tables(&mut self, files: &[ast::File], decls: &mut Declarations) {
        for f in files {
            for item in &f.items {
                if let ast::Item::Table(t) = item {
                    if decls.table_ids.contains_key(&t.name.node) {
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
                    let table = self.table(t, decls);
                    decls
                        .table_ids
                        .insert(t.name.node.clone(), decls.tables.len());
                    decls.tables.push(table);
                }
            }
        }
    }

    /// The outcomes: what a case's evaluation answers.
    pub(super) fn outcomes(&mut self, files: &[ast::File], decls: &mut Declarations) {
        for f in files {
            for item in &f.items {
                if let ast::Item::Outcomes(os) = item {
                    for o in os {
                        if let Some(i) = decls.outcomes.iter().position(|x| x.name == o.name.node) {
                            let first = decls.outcome_spans.get(i).copied().unwrap_or_default();
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
                        let ty = self.resolve_type(&o.ty, decls).unwrap_or(Type::Bool);
                        decls.outcomes.push(OutcomeDecl {
                            name: o.name.node.clone(),
                            ty,
                            description: o.description.clone(),
                        });
                        decls.outcome_spans.push(o.name.span);
                    }
                }
            }
        }
    }

    /// Reports a type declared under a name already taken, by a built-in or a declared type.
    fn type_name_taken(&mut self, decls: &Declarations, name: &ast::Ident) -> bool {
        let builtin = matches!(
            name.node.as_str(),
            "bool" | "integer" | "decimal" | "money" | "date" | "text" | "citation" | "provisions"
        );
        if builtin
            || decls.enum_ids.contains_key(&name.node)
            || decls.record_ids.contains_key(&name.node)
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

    /// The type a type expression names; `None` (reported) when it names none.
    pub(super) fn resolve_type(
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
                    if let Some(&e) = decls.enum_ids.get(other) {
                        Type::Enum(e)
                    } else if let Some(&r) = decls.record_ids.get(other) {
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
                        names.extend(decls.enum_ids.keys().map(String::as_str));
                        names.extend(decls.record_ids.keys().map(String::as_str));
                        return self.unknown(UnknownName {
                            code: codes::UNKNOWN_TYPE,
                            what: "type",
                            name: other,
                            span: n.span,
                            message: format!("no type is named `{other}`"),
                            candidates: &names,
                            fallback: "declare it with `enum` or `record`, or use a built-in type like `money`",
                        });
                    }
                }
            }),
        }
    }

    /// Checks each `unique` of `asts` (the fields of record `record`, or the facts when `None`)
    /// against the list's item type, and points each `unique by FIELD` at the field's index.
    fn resolve_unique(&mut self, asts: &[ast::Field], record: Option<usize>, schema: &mut Schema) {
        for f in asts {
            let Some(u) = &f.unique else { continue };
            let fields = match record {
                Some(r) => schema.records.get(r).map(|r| &r.fields[..]),
                None => Some(&schema.facts[..]),
            };
            let Some(decl) = fields.and_then(|fs| fs.iter().find(|d| d.name == f.name.node)) else {
                continue;
            };
            let Type::List(item) = &decl.ty else { continue };
            let plain =
                |ty: &Type| !matches!(ty, Type::List(_) | Type::Record(_) | Type::Provisions);
            let resolved: Result<Option<usize>, Problem> = match (&u.by, &**item) {
                (None, ty) if plain(ty) => Ok(None),
                (None, Type::Record(r)) => {
                    let first = schema.records.get(*r).and_then(|r| r.fields.first());
                    Err(self
                        .err(codes::UNIQUE, u.span, format!("the items of `{}` are records: say which field must differ", f.name.node), "a list of records")
                        .with_help(format!("write `unique by {}` (a field of the records)", first.map_or("FIELD", |d| d.name.as_str()))))
                }
                (None, _) => Err(self
                    .err(codes::UNIQUE, u.span, format!("the items of `{}` cannot be compared", f.name.node), "not a list of plain values")
                    .with_help("`unique` compares plain values: text, numbers, dates, citations, enumeration members")),
                (Some(by), Type::Record(r)) => {
                    let rec = schema.records.get(*r);
                    let fields = rec.map_or(&[][..], |r| &r.fields[..]);
                    match fields.iter().position(|d| d.name == by.node) {
                        Some(i) if fields.get(i).is_some_and(|d| plain(&d.ty)) => Ok(Some(i)),
                        Some(_) => Err(self
                            .err(codes::UNIQUE, by.span, format!("`{}` is not a plain value: its items cannot be compared", by.node), "a list or record")
                            .with_help("`unique by` names a field of text, a number, a date, a citation or an enumeration member")),
                        None => {
                            let names: Vec<&str> = fields.iter().map(|d| d.name.as_str()).collect();
                            let near = crate::diagnostic::nearest(&by.node, names.iter().copied());
                            Err(self
                                .err(codes::UNIQUE, by.span, format!("the records of `{}` have no field `{}`", f.name.node, by.node), "no such field")
                                .with_help(match near {
                                    Some(n) => format!("did you mean `{n}`?"),
                                    None => format!("the fields are: {}", names.join(", ")),
                                }))
                        }
                    }
                }
                (Some(by), _) => Err(self
                    .err(codes::UNIQUE, by.span, format!("the items of `{}` are not records: `by {}` has nothing to name", f.name.node, by.node), "not a list of records")
                    .with_help("write `unique` alone for a list of plain values")),
            };
            let fields = match record {
                Some(r) => schema.records.get_mut(r).map(|r| &mut r.fields),
                None => Some(&mut schema.facts),
            };
            let Some(decl) = fields.and_then(|fs| fs.iter_mut().find(|d| d.name == f.name.node))
            else {
                continue;
            };
            match resolved {
                Ok(None) => decl.unique = Some(Unique::Items),
                Ok(Some(i)) => {
                    decl.unique = u.by.as_ref().map(|by| Unique::By(i, by.node.clone()));
                }
                Err(p) => {
                    decl.unique = None;
                    self.report(p);
                }
            }
        }
    }

    /// The fields of a record or the facts, each with its type and default.
    fn fields(&mut self, fields: &[ast::Field], decls: &Declarations) -> Vec<FieldDecl> {
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
                let v = self.constant(d, &ty, &decls.schema);
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
            let unique = match &f.unique {
                None => None,
                Some(u) if !matches!(ty, Type::List(_)) => {
                    let p = self
                        .err(
                            codes::UNIQUE,
                            u.span,
                            format!("`{}` is marked `unique` but is not a list", f.name.node),
                            "not a list",
                        )
                        .with_help("`unique` applies only to `list of …` facts");
                    self.report(p);
                    None
                }
                // `by` is resolved once every record has its fields (`resolve_unique`).
                Some(u) => Some(match &u.by {
                    None => Unique::Items,
                    Some(by) => Unique::By(usize::MAX, by.node.clone()),
                }),
            };
            let limits = self.limits(f, &ty, default.as_ref(), &decls.schema);
            out.push(FieldDecl {
                name: f.name.node.clone(),
                ty,
                optional: f.optional,
                default,
                nonempty: f.nonempty,
                unique,
                limits,
                description: f.description.clone(),
                span: f.name.span,
            });
        }
        out
    }

    /// The limits of field `f` of type `ty`: each bound a literal of the type, `decimals` on a
    /// decimal, `at least` not above `at most`, and the default (if any) within them. A limit
    /// that cannot apply is reported and left out.
    fn limits(
        &mut self,
        f: &ast::Field,
        ty: &Type,
        default: Option<&Value>,
        schema: &Schema,
    ) -> Limits {
        let mut limits = Limits::default();
        let ordered = matches!(ty, Type::Integer | Type::Decimal | Type::Money | Type::Date);
        for l in &f.limits {
            let (word, bound) = match &l.kind {
                ast::LimitKind::AtLeast(e) => ("at least", Some(e)),
                ast::LimitKind::AtMost(e) => ("at most", Some(e)),
                ast::LimitKind::Decimals(_) => ("decimals", None),
            };
            if !ordered || (bound.is_none() && *ty != Type::Decimal) {
                let help = if ordered {
                    "`decimals` applies to a `decimal` fact; money has two decimals already, an integer none"
                } else {
                    "limits apply to a number, an amount of money or a date; for a list, limit the field of its items"
                };
                let p = self
                    .err(
                        codes::LIMIT,
                        l.span,
                        format!(
                            "`{}` is of type {ty}, which `{word}` cannot limit",
                            f.name.node
                        ),
                        "cannot apply here",
                    )
                    .with_help(help);
                self.report(p);
                continue;
            }
            match (&l.kind, bound) {
                (ast::LimitKind::Decimals(n), _) => match n {
                    Some(n) if *n <= 28 => limits.decimals = Some(*n),
                    _ => {
                        let p = self
                            .err(
                                codes::LIMIT,
                                l.span,
                                "`decimals` takes a number of digits from 0 to 28",
                                "too many",
                            )
                            .with_help("decimal numbers are exact to 28 digits");
                        self.report(p);
                    }
                },
                (kind, Some(e)) => {
                    let Some(v) = self.constant(e, ty, schema) else {
                        let p = self
                            .err(
                                codes::LIMIT,
                                e.span,
                                format!("the bound of `{}` is not a {ty} literal", f.name.node),
                                format!("expected a {ty}"),
                            )
                            .with_help(format!(
                                "write `{word}` with a literal of the fact's type, like `{}`",
                                match ty {
                                    Type::Date => "1997-09-01",
                                    Type::Money => "$0",
                                    _ => "0",
                                }
                            ));
                        self.report(p);
                        continue;
                    };
                    let slot = if matches!(kind, ast::LimitKind::AtLeast(_)) {
                        &mut limits.at_least
                    } else {
                        &mut limits.at_most
                    };
                    if slot.is_some() {
                        let p = self
                            .err(
                                codes::DUPLICATE,
                                l.span,
                                format!("`{}` has `{word}` twice", f.name.node),
                                "again",
                            )
                            .with_help("keep one bound");
                        self.report(p);
                    }
                    *slot = Some(v);
                }
                _ => {}
            }
        }
        if let (Some(Value::Number(low)), Some(Value::Number(high))) =
            (&limits.at_least, &limits.at_most)
        {
            if low > high {
                self.limit_order(f);
            }
        }
        if let (Some(Value::Date(low)), Some(Value::Date(high))) =
            (&limits.at_least, &limits.at_most)
        {
            if low > high {
                self.limit_order(f);
            }
        }
        if let (Some(d), Some(e)) = (default, &f.default) {
            if limits.broken(d).is_some() {
                let p = self
                    .err(codes::LIMIT, e.span, format!("the default of `{}` is outside its limits", f.name.node), "outside the limits")
                    .with_help("change the default or the limit, so that the default is a value the fact may take");
                self.report(p);
            }
        }
        limits
    }

    fn limit_order(&mut self, f: &ast::Field) {
        let span = f.limits.first().map_or(f.name.span, |l| l.span);
        let p = self
            .err(
                codes::LIMIT,
                span,
                format!(
                    "`{}` allows no value: `at least` is above `at most`",
                    f.name.node
                ),
                "no value fits",
            )
            .with_help("swap the bounds");
        self.report(p);
    }

    /// A literal of type `ty` (defaults and table cells), or `None` when it is not one.
    fn constant(&mut self, e: &ast::Expr, ty: &Type, schema: &Schema) -> Option<Value> {
        match (&e.node, ty) {
            (ast::ExprKind::Bool(b), Type::Bool) => Some(Value::Bool(*b)),
            (ast::ExprKind::Integer(d), Type::Integer | Type::Decimal)
            | (ast::ExprKind::Decimal(d), Type::Decimal)
            | (ast::ExprKind::Money(d), Type::Money) => Some(Value::Number(*d)),
            (
                ast::ExprKind::Unary(UnaryOp::Neg, inner),
                Type::Integer | Type::Decimal | Type::Money,
            ) => match self.constant(inner, ty, schema)? {
                Value::Number(d) => Some(Value::Number(-d)),
                _ => None,
            },
            (ast::ExprKind::Date(d), Type::Date) => Some(Value::Date(*d)),
            (ast::ExprKind::Text(t), Type::Text) => Some(Value::Text(t.as_str().into())),
            (ast::ExprKind::Text(t), Type::Enum(id)) => {
                let members = &schema.enums.get(*id)?.members;
                let idx = members.iter().position(|m| m == t)?;
                Some(Value::Enum(u32::try_from(idx).ok()?))
            }
            (ast::ExprKind::Citation(c), Type::Citation) => Citation::parse(c)
                .ok()
                .map(|c| Value::Citation(Arc::new(c))),
            (ast::ExprKind::List(items), Type::List(inner)) => {
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

    fn table(&mut self, t: &ast::TableDecl, decls: &Declarations) -> Table {
        let key_ty = self.resolve_type(&t.key_ty, decls).unwrap_or(Type::Integer);
        let value_ty = self
            .resolve_type(&t.value_ty, decls)
            .unwrap_or(Type::Decimal);
        if t.from
            && !matches!(
                key_ty,
                Type::Date | Type::Integer | Type::Decimal | Type::Money
            )
        {
            let p = self
                .err(
                    codes::TABLE,
                    t.key_ty.span,
                    format!("table `{}` is `from` {key_ty}, which has no order", t.name.node),
                    "not a date or a number",
                )
                .with_help("a `from` table is keyed by the dates (or numbers) from which its rows are in force");
            self.report(p);
        }
        let mut rows = HashMap::default();
        let mut steps = Vec::new();
        let mut cites = HashMap::default();
        for row in &t.rows {
            let (k, v) = (&row.key, &row.value);
            let key = self.constant(k, &key_ty, &decls.schema);
            let value = self.constant(v, &value_ty, &decls.schema);
            match (key.as_ref().and_then(TableKey::from_value), value) {
                (Some(table_key), Some(value)) => {
                    if let Some(c) = &row.cites {
                        cites.insert(table_key.clone(), Arc::from(c.node.as_str()));
                    }
                    if let Some(key) = key.filter(|_| t.from) {
                        steps.push((key, value.clone()));
                    }
                    if rows.insert(table_key, value).is_some() {
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
        // A step function reads its rows in order, whatever order the file gives them in.
        steps.sort_by(|(a, _), (b, _)| match (a, b) {
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        });
        Table {
            name: t.name.node.clone(),
            description: t.description.clone(),
            source: t.source.clone(),
            key_ty,
            value_ty,
            rows,
            from: t.from,
            steps,
            cites,
        }
    }
}
