//! What an editor asks of a rule set: its diagnostics, and what each name in it is.
//!
//! [`Analysis::run`] loads a rule file and what it imports through any
//! [`FileReader`] (the language server's reads open documents before
//! the disk), checks it, and flattens every problem into the one JSON model
//! ([`DiagnosticJson`]). When the files parse it also builds an [`Index`] from their syntax
//! trees: the provision outline with citations, the declarations (facts, records, enumerations,
//! tables, outcomes, rules) and every reference to them, each with its span. The queries
//! (hover, definition, references, rename, completion, symbols) are lookups in that index;
//! names resolve as the checker resolves them (a comprehension's variable, then a definition,
//! then a fact, then a table), and nothing here decides whether the program is right.
//!
//! Offsets are bytes into the file's text; the language server converts them to positions.

use crate::citation::{Citation, CitationRange};
use crate::diagnostic::json::{DiagnosticJson, diagnostics_json};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{self, ExprKind, Item, ListItem, ProvisionItem, RangeEnd, TypeExpr};
use crate::syntax::load::{self, FileReader};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A rule set as an editor sees it.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Every file loaded; empty when the entry file could not be read or a file did not parse.
    pub sources: SourceMap,
    /// The parsed files, the entry file first; empty when any file did not parse.
    pub files: Vec<ast::File>,
    /// Every problem found: the parse error, or the checker's errors and warnings.
    pub diagnostics: Vec<DiagnosticJson>,
    /// True when the rule set parses and checks.
    pub checks: bool,
    /// What each name in the files is and where it is used; empty when the files did not parse
    /// (see [`Analysis::parsed`]).
    pub index: Index,
}

impl Analysis {
    /// Loads `entry` through `reader`, checks it, and indexes what parsed.
    pub fn run(reader: &dyn FileReader, entry: &Path) -> Analysis {
        let (files, sources) = match load::load(reader, entry) {
            Ok(loaded) => loaded,
            Err(e) => {
                return Analysis {
                    diagnostics: diagnostics_json(&e, &|_, _| None),
                    ..Analysis::default()
                };
            }
        };
        let index = Index::build(&files, &sources);
        let (checks, diagnostics) = match crate::check::check_files(&files, sources.clone()) {
            Ok((_, report)) => {
                let mut out = Vec::new();
                for w in &report.warnings {
                    out.extend(diagnostics_json(w, &|f, o| {
                        index.citation_at(&sources, f, o)
                    }));
                }
                (true, out)
            }
            Err(e) => (
                false,
                diagnostics_json(&e, &|f, o| index.citation_at(&sources, f, o)),
            ),
        };
        Analysis {
            sources,
            files,
            diagnostics,
            checks,
            index,
        }
    }

    /// True when the files parsed (the index is usable).
    pub fn parsed(&self) -> bool {
        !self.files.is_empty()
    }

    /// The file loaded under `name` (its display name, the path it was read from).
    pub fn file_named(&self, name: &str) -> Option<FileId> {
        self.sources
            .files()
            .find(|(_, f)| same_path(&f.name, name))
            .map(|(id, _)| id)
    }

    /// The text of a loaded file.
    pub fn text(&self, file: FileId) -> &str {
        self.sources.get(file).map(|f| &*f.text).unwrap_or("")
    }

    /// What is under `offset` in `file`, as Markdown, and the span it describes.
    pub fn hover(&self, file: FileId, offset: usize) -> Option<(Span, String)> {
        let r = self.index.reference_at(file, offset)?;
        let text = match &r.target {
            Target::Definition(name) => self.index.describe_definition(name),
            Target::Fact(name) => {
                let f = self.index.facts.iter().find(|f| f.name.node == *name)?;
                describe_field("fact", f)
            }
            Target::Field { record, field } => {
                let rec = self.index.records.get(record)?;
                let f = rec.fields.iter().find(|f| f.name.node == *field)?;
                describe_field(&format!("field of `{record}`"), f)
            }
            Target::Local { source } => format!("`{}`: each element of `{source}`", r.name),
            Target::Table(name) => {
                let t = self.index.tables.get(name)?;
                let mut s = format!(
                    "**table** `{}`: `{}` → `{}`, {} rows",
                    t.name.node,
                    type_text(&t.key_ty.node),
                    type_text(&t.value_ty.node),
                    t.rows
                );
                if let Some(d) = &t.description {
                    s += &format!("\n\n{d}");
                }
                s += &format!("\n\nsource: {}", t.source);
                s
            }
            Target::Record(name) => {
                let rec = self.index.records.get(name)?;
                let fields: Vec<String> = rec
                    .fields
                    .iter()
                    .map(|f| format!("- `{}`: {}", f.name.node, type_text(&f.ty.node)))
                    .collect();
                format!("**record** `{name}`\n\n{}", fields.join("\n"))
            }
            Target::Enum(name) => {
                let e = self.index.enums.get(name)?;
                let members: Vec<&str> = e.members.iter().map(|m| m.node.as_str()).collect();
                format!("**enumeration** `{name}`: {}", members.join(", "))
            }
            Target::Provision(i) => self.index.describe_provision(*i)?,
            Target::Import(path) => format!("imports `{}`", path.display()),
            Target::Citation(text) => describe_citation(text),
        };
        Some((r.span, text))
    }

    /// Where what is under `offset` is declared: a definition's rules, a fact, a field, a
    /// table, an exception's provision, an imported file (its first byte).
    pub fn definition(&self, file: FileId, offset: usize) -> Vec<Span> {
        let Some(r) = self.index.reference_at(file, offset) else {
            return Vec::new();
        };
        self.index.declarations(&r.target)
    }

    /// Every place that names what is under `offset`, its declarations included when asked.
    pub fn references(&self, file: FileId, offset: usize, with_declarations: bool) -> Vec<Span> {
        let Some(r) = self.index.reference_at(file, offset) else {
            return Vec::new();
        };
        let mut out: Vec<Span> = self
            .index
            .refs
            .iter()
            .filter(|x| x.target == r.target && x.kind == RefKind::Use)
            .map(|x| x.span)
            .collect();
        if with_declarations {
            out.extend(self.index.declarations(&r.target));
        }
        out.sort_by_key(|s| (s.file, s.start));
        out.dedup();
        out
    }

    /// The spans to rewrite to rename the definition or fact under `offset`; `None` when what
    /// is there cannot be renamed (only definitions and facts can) or `new_name` is no name.
    pub fn rename(&self, file: FileId, offset: usize, new_name: &str) -> Option<Vec<Span>> {
        let r = self.index.reference_at(file, offset)?;
        if !matches!(r.target, Target::Definition(_) | Target::Fact(_)) || !is_name(new_name) {
            return None;
        }
        Some(self.references(file, offset, true))
    }

    /// The span of the renamable name under `offset`.
    pub fn prepare_rename(&self, file: FileId, offset: usize) -> Option<Span> {
        let r = self.index.reference_at(file, offset)?;
        matches!(r.target, Target::Definition(_) | Target::Fact(_)).then_some(r.span)
    }

    /// What may be written at `offset` of `text` (the document as it is now, which may not
    /// parse): a record's fields after `name.`, provisions after `exception to`, else the
    /// names in scope and the keywords.
    pub fn completions(&self, text: &str, offset: usize) -> Vec<Completion> {
        let offset = floor_char_boundary(text, offset);
        let before = text.get(..offset).unwrap_or("");
        let line = before.rsplit('\n').next().unwrap_or("");
        let word_start = line.len()
            - line
                .chars()
                .rev()
                .take_while(|c| is_name_char(*c))
                .map(char::len_utf8)
                .sum::<usize>();
        let head = line.get(..word_start).unwrap_or("");
        if let Some(chain) = head.strip_suffix('.') {
            return self.field_completions(text, chain);
        }
        let trimmed = head.trim_end();
        if trimmed.ends_with("exception to") || trimmed.ends_with("exception to (") {
            return self.index.provision_completions();
        }
        let mut out = Vec::new();
        for f in &self.index.facts {
            out.push(Completion {
                label: f.name.node.clone(),
                kind: CompletionKind::Fact,
                detail: Some(type_text(&f.ty.node)),
            });
        }
        let mut defs: Vec<&String> = self.index.rules_by_name.keys().collect();
        defs.sort();
        for d in defs {
            out.push(Completion {
                label: d.clone(),
                kind: CompletionKind::Definition,
                detail: None,
            });
        }
        let mut tables: Vec<&String> = self.index.tables.keys().collect();
        tables.sort();
        for t in tables {
            out.push(Completion {
                label: t.clone(),
                kind: CompletionKind::Table,
                detail: Some("table".into()),
            });
        }
        let mut enums: Vec<&EnumEntry> = self.index.enums.values().collect();
        enums.sort_by(|a, b| a.name.cmp(&b.name));
        for e in enums {
            for m in &e.members {
                out.push(Completion {
                    label: format!("\"{}\"", m.node),
                    kind: CompletionKind::EnumMember,
                    detail: Some(e.name.clone()),
                });
            }
        }
        for k in KEYWORDS {
            out.push(Completion {
                label: (*k).to_string(),
                kind: CompletionKind::Keyword,
                detail: None,
            });
        }
        out
    }

    /// The fields of the record that `chain` (`victim`, `victim.losses`, a comprehension's
    /// variable) has for type.
    fn field_completions(&self, text: &str, chain: &str) -> Vec<Completion> {
        let chain_start = chain.len()
            - chain
                .chars()
                .rev()
                .take_while(|c| is_name_char(*c) || *c == '.')
                .map(char::len_utf8)
                .sum::<usize>();
        let path: Vec<&str> = chain.get(chain_start..).unwrap_or("").split('.').collect();
        let Some(record) = self.index.record_of_path(text, &path, 0) else {
            return Vec::new();
        };
        let Some(rec) = self.index.records.get(&record) else {
            return Vec::new();
        };
        rec.fields
            .iter()
            .map(|f| Completion {
                label: f.name.node.clone(),
                kind: CompletionKind::Field,
                detail: Some(type_text(&f.ty.node)),
            })
            .collect()
    }

    /// The provision outline of `file`: each provision with those inside it.
    pub fn outline(&self, file: FileId) -> Vec<Symbol> {
        let mut out: Vec<Symbol> = Vec::new();
        for (i, p) in self.index.provisions.iter().enumerate() {
            if p.span.file == file && p.parent.is_none() {
                out.push(self.index.symbol(i, 0));
            }
        }
        out
    }

    /// Every declaration and provision of the rule set whose name contains `query`
    /// (case-insensitive), at most `limit`.
    pub fn workspace_symbols(&self, query: &str, limit: usize) -> Vec<Symbol> {
        let q = query.to_lowercase();
        let mut out = Vec::new();
        let mut push = |name: String, kind: SymbolKind, span: Span, detail: Option<String>| {
            if out.len() < limit && name.to_lowercase().contains(&q) {
                out.push(Symbol {
                    name,
                    kind,
                    span,
                    selection: span,
                    detail,
                    children: Vec::new(),
                });
            }
        };
        for p in &self.index.provisions {
            push(
                p.citation.clone(),
                SymbolKind::Provision,
                p.label_span,
                p.heading.clone(),
            );
        }
        for f in &self.index.facts {
            push(
                f.name.node.clone(),
                SymbolKind::Fact,
                f.name.span,
                Some(type_text(&f.ty.node)),
            );
        }
        let mut rules: Vec<&RuleEntry> = self.index.rules.iter().collect();
        rules.sort_by_key(|r| (&r.name, r.name_span.file, r.name_span.start));
        for r in rules {
            push(
                r.name.clone(),
                SymbolKind::Definition,
                r.name_span,
                r.provision
                    .and_then(|p| self.index.provisions.get(p))
                    .map(|p| p.citation.clone()),
            );
        }
        let mut tables: Vec<&TableEntry> = self.index.tables.values().collect();
        tables.sort_by(|a, b| a.name.node.cmp(&b.name.node));
        for t in tables {
            push(t.name.node.clone(), SymbolKind::Table, t.name.span, None);
        }
        out
    }
}

/// Words that begin a rule file's constructs, offered by completion.
pub const KEYWORDS: &[&str] = &[
    "rule",
    "exception to",
    "when",
    "note",
    "cites",
    "text",
    "not computed",
    "disregard",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "within",
    "in",
    "for",
    "given",
    "true",
    "false",
    "statute",
    "import",
    "version",
    "facts",
    "outcomes",
    "record",
    "enum",
    "table",
    "function",
    "versions selected by",
    "refuse earlier dates",
    "at least",
    "at most",
    "decimals",
];

/// One thing completion offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The text to insert: a name, a keyword, an enumeration member in quotes (`"medical"`), or a
    /// provision label (`(b)(1)`).
    pub label: String,
    /// What the offered text is.
    pub kind: CompletionKind,
    /// A fact's or field's type, a member's enumeration, a provision's heading, `table`; `None`
    /// for definitions and keywords.
    pub detail: Option<String>,
}

/// What a completion offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    /// A fact declared in `facts { … }`.
    Fact,
    /// A field of the record before the `.`.
    Field,
    /// A definition (a name some rule gives a value to).
    Definition,
    /// A data table.
    Table,
    /// A member of an enumeration, quoted as a value is written.
    EnumMember,
    /// A word that begins a construct (see [`KEYWORDS`]).
    Keyword,
    /// A provision label, after `exception to`.
    Provision,
}

/// One entry of an outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// A provision's label as written (`(b)(2)`), or a name.
    pub name: String,
    /// What the entry is.
    pub kind: SymbolKind,
    /// All of it.
    pub span: Span,
    /// Its label or name.
    pub selection: Span,
    /// A provision's heading, a fact's type, a rule's provision.
    pub detail: Option<String>,
    /// The provisions inside a provision, in source order; empty in workspace symbols.
    pub children: Vec<Symbol>,
}

/// What an outline entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// A provision of the statute.
    Provision,
    /// A rule's definition (one entry per rule that gives it a value).
    Definition,
    /// A fact declared in `facts { … }`.
    Fact,
    /// A data table.
    Table,
}

/// What a name in the rules stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A definition, by name: what a rule gives a value to (an outcome names one too).
    Definition(String),
    /// A top-level fact, by name.
    Fact(String),
    /// A field of a record.
    Field {
        /// The record's name.
        record: String,
        /// The field's name.
        field: String,
    },
    /// A comprehension's variable, ranging over `source` (as written).
    Local {
        /// The expression the variable ranges over, as written (`victim.losses`).
        source: String,
    },
    /// A data table, by name.
    Table(String),
    /// A record type, by name.
    Record(String),
    /// An enumeration type, by name.
    Enum(String),
    /// A provision, as an index into [`Index::provisions`] (an exception's `exception to (b)(1)`).
    Provision(usize),
    /// An imported file: the `import` path joined to the importing file's directory and
    /// normalized, as [`Index::imports`] keys it.
    Import(PathBuf),
    /// A citation literal (its text after `§`: `2259(b)(1)`) or a citation range
    /// (`§2259(b)(1) through (b)(3)`); not resolved to a provision, so it has no declaration.
    Citation(String),
}

/// Whether a reference declares its target or uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// The name as a declaration writes it (a rule's name, a fact in `facts { … }`).
    Declaration,
    /// Any other mention: a name in an expression, a type, an import, an outcome naming its
    /// definition.
    Use,
}

/// One span of the rules that names something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Where the name is written: a byte range of its file.
    pub span: Span,
    /// The name as written.
    pub name: String,
    /// What the name stands for; equal targets are the same thing.
    pub target: Target,
    /// Whether this is a declaration or a use.
    pub kind: RefKind,
}

/// A provision of the outline.
#[derive(Debug, Clone)]
pub struct ProvisionEntry {
    /// `18 U.S.C. § 2259(b)(2)(C)`
    pub citation: String,
    /// `(b)(2)(C)`
    pub label: String,
    /// The label as written here (`(C)`).
    pub written: String,
    /// The heading string; `None` if not written.
    pub heading: Option<String>,
    /// The provision's own `text "…"` strings (the statute's words), in source order; not its
    /// children's.
    pub text: Vec<String>,
    /// The reason of its `not computed "…"`; `None` without one.
    pub not_computed: Option<String>,
    /// The version it belongs to, its own `in NAME` or its parent's; `None`: every version.
    pub version: Option<String>,
    /// The whole provision, label to closing brace (byte offsets).
    pub span: Span,
    /// Where its label is written (byte offsets).
    pub label_span: Span,
    /// The enclosing provision, as an index into [`Index::provisions`]; `None` at top level.
    pub parent: Option<usize>,
    /// The provisions directly inside it, as indices into [`Index::provisions`], in source order.
    pub children: Vec<usize>,
}

/// A rule, as the index keeps it.
#[derive(Debug, Clone)]
pub struct RuleEntry {
    /// The definition the rule gives a value to.
    pub name: String,
    /// Where the rule's name is written.
    pub name_span: Span,
    /// The whole rule, notes included.
    pub span: Span,
    /// The provision holding the rule, as an index into [`Index::provisions`] (always `Some` as
    /// the index is built today).
    pub provision: Option<usize>,
    /// An exception's cited provision, as written (`(b)(1)`).
    pub exception_to: Option<String>,
    /// The rule's `note` strings, in source order.
    pub notes: Vec<String>,
}

/// A record type, as the index keeps it.
#[derive(Debug, Clone)]
pub struct RecordEntry {
    /// The record's name as written, with its span.
    pub name: ast::Ident,
    /// Its fields, in declared order.
    pub fields: Vec<ast::Field>,
}

/// An enumeration type, as the index keeps it.
#[derive(Debug, Clone)]
pub struct EnumEntry {
    /// The enumeration's name.
    pub name: String,
    /// Where its name is written.
    pub span: Span,
    /// Its members as written, in declared order.
    pub members: Vec<ast::Ident>,
}

/// A data table, as the index keeps it (its rows counted, not kept).
#[derive(Debug, Clone)]
pub struct TableEntry {
    /// The table's name as written, with its span.
    pub name: ast::Ident,
    /// The key type as written.
    pub key_ty: ast::Spanned<TypeExpr>,
    /// The value type as written.
    pub value_ty: ast::Spanned<TypeExpr>,
    /// The description string; `None` if not written.
    pub description: Option<String>,
    /// The `source` string: where the table's data come from.
    pub source: String,
    /// How many rows it has.
    pub rows: usize,
}

/// Declarations and references of a parsed rule set, by name and by place.
#[derive(Debug, Default)]
pub struct Index {
    /// Every provision of every file, parents before their children, in source order;
    /// [`Target::Provision`] and the entries' `parent` and `children` index it.
    pub provisions: Vec<ProvisionEntry>,
    /// Every rule, in source order.
    pub rules: Vec<RuleEntry>,
    /// Each definition's rules, as indices into `rules`, in source order.
    pub rules_by_name: HashMap<String, Vec<usize>>,
    /// The top-level facts of every `facts { … }` block, in source order.
    pub facts: Vec<ast::Field>,
    /// The outcomes of every `outcomes { … }` block, in source order.
    pub outcomes: Vec<ast::Outcome>,
    /// Record types by name (a second record of one name replaces the first).
    pub records: HashMap<String, RecordEntry>,
    /// Enumerations by name (a second of one name replaces the first).
    pub enums: HashMap<String, EnumEntry>,
    /// Data tables by name (a second of one name replaces the first).
    pub tables: HashMap<String, TableEntry>,
    /// Every reference, sorted by file and start.
    pub refs: Vec<Reference>,
    /// Each file's first byte, by the path it imports.
    pub imports: HashMap<PathBuf, FileId>,
}

impl Index {
    /// Indexes parsed files (the entry file first).
    pub fn build(files: &[ast::File], sources: &SourceMap) -> Index {
        let mut ix = Index::default();
        for (id, f) in sources.files() {
            ix.imports.insert(normalize(Path::new(&f.name)), id);
        }
        // Declarations first: a reference resolves against all of them, whatever the order.
        for file in files {
            for item in &file.items {
                match item {
                    Item::Facts(fields) => ix.facts.extend(fields.iter().cloned()),
                    Item::Outcomes(o) => ix.outcomes.extend(o.iter().cloned()),
                    Item::Record(r) => {
                        ix.records.insert(
                            r.name.node.clone(),
                            RecordEntry {
                                name: r.name.clone(),
                                fields: r.fields.clone(),
                            },
                        );
                    }
                    Item::Enum(e) => {
                        ix.enums.insert(
                            e.name.node.clone(),
                            EnumEntry {
                                name: e.name.node.clone(),
                                span: e.name.span,
                                members: e.members.clone(),
                            },
                        );
                    }
                    Item::Table(t) => {
                        ix.tables.insert(
                            t.name.node.clone(),
                            TableEntry {
                                name: t.name.clone(),
                                key_ty: t.key_ty.clone(),
                                value_ty: t.value_ty.clone(),
                                description: t.description.clone(),
                                source: t.source.clone(),
                                rows: t.rows.len(),
                            },
                        );
                    }
                    _ => {}
                }
            }
        }
        for file in files {
            let statute = file.items.iter().find_map(|i| match i {
                Item::Statute(s) => Some(s.citation.node.clone()),
                _ => None,
            });
            let dir = sources
                .get(file.file)
                .map(|f| Path::new(&f.name).parent().map(Path::to_path_buf))
                .unwrap_or_default()
                .unwrap_or_default();
            for item in &file.items {
                match item {
                    Item::Provision(p) => {
                        ix.provision(p, statute.as_deref().unwrap_or(""), "", None, None)
                    }
                    Item::Import(target) => {
                        let path = normalize(&dir.join(&target.node));
                        ix.refs.push(Reference {
                            span: target.span,
                            name: target.node.clone(),
                            target: Target::Import(path),
                            kind: RefKind::Use,
                        });
                    }
                    Item::VersionSelector(v) => ix.fact_use(&v.fact),
                    _ => {}
                }
            }
        }
        ix.declaration_refs();
        for file in files {
            for item in &file.items {
                ix.item_types(item);
            }
        }
        for file in files {
            for item in &file.items {
                if let Item::Provision(p) = item {
                    ix.provision_refs(p);
                }
            }
        }
        for file in files {
            for item in &file.items {
                let defaults: Vec<&ast::Expr> = match item {
                    Item::Facts(f) => f.iter().filter_map(|f| f.default.as_ref()).collect(),
                    Item::Record(r) => r.fields.iter().filter_map(|f| f.default.as_ref()).collect(),
                    Item::Table(t) => t.rows.iter().flat_map(|r| [&r.key, &r.value]).collect(),
                    _ => Vec::new(),
                };
                for e in defaults {
                    ix.expr(e, &mut Vec::new());
                }
            }
        }
        ix.refs
            .sort_by_key(|r| (r.span.file, r.span.start, r.span.end));
        ix
    }

    fn provision(
        &mut self,
        p: &ast::Provision,
        statute: &str,
        parent_label: &str,
        parent: Option<usize>,
        parent_version: Option<&str>,
    ) {
        let written: String = p.label.node.iter().map(|l| format!("({l})")).collect();
        let label = format!("{parent_label}{written}");
        let version = p
            .in_version
            .as_ref()
            .map(|v| v.node.clone())
            .or(parent_version.map(str::to_string));
        let id = self.provisions.len();
        let mut entry = ProvisionEntry {
            citation: format!("{statute}{label}"),
            label: label.clone(),
            written,
            heading: p.heading.clone(),
            text: Vec::new(),
            not_computed: None,
            version: version.clone(),
            span: p.span,
            label_span: p.label.span,
            parent,
            children: Vec::new(),
        };
        for item in &p.body {
            match item {
                ProvisionItem::Text(t) => entry.text.push(t.clone()),
                ProvisionItem::NotComputed(n) => entry.not_computed = Some(n.node.clone()),
                _ => {}
            }
        }
        self.provisions.push(entry);
        if let Some(parent) = parent.and_then(|i| self.provisions.get_mut(i)) {
            parent.children.push(id);
        }
        for item in &p.body {
            match item {
                ProvisionItem::Rule(r) => {
                    let i = self.rules.len();
                    self.rules.push(RuleEntry {
                        name: r.name.node.clone(),
                        name_span: r.name.span,
                        span: r.span,
                        provision: Some(id),
                        exception_to: r
                            .exception_to
                            .as_ref()
                            .map(|t| t.node.iter().map(|l| format!("({l})")).collect::<String>()),
                        notes: r.notes.clone(),
                    });
                    self.rules_by_name
                        .entry(r.name.node.clone())
                        .or_default()
                        .push(i);
                }
                ProvisionItem::Provision(c) => {
                    self.provision(c, statute, &label, Some(id), version.as_deref())
                }
                _ => {}
            }
        }
    }

    /// The names as declarations write them, so that a declaration hovers and renames too.
    fn declaration_refs(&mut self) {
        let mut refs = Vec::new();
        for r in &self.rules {
            refs.push(Reference {
                span: r.name_span,
                name: r.name.clone(),
                target: Target::Definition(r.name.clone()),
                kind: RefKind::Declaration,
            });
        }
        for f in &self.facts {
            refs.push(Reference {
                span: f.name.span,
                name: f.name.node.clone(),
                target: Target::Fact(f.name.node.clone()),
                kind: RefKind::Declaration,
            });
        }
        for o in &self.outcomes {
            // An outcome names the definition that gives it.
            refs.push(Reference {
                span: o.name.span,
                name: o.name.node.clone(),
                target: Target::Definition(o.name.node.clone()),
                kind: RefKind::Use,
            });
        }
        for rec in self.records.values() {
            refs.push(Reference {
                span: rec.name.span,
                name: rec.name.node.clone(),
                target: Target::Record(rec.name.node.clone()),
                kind: RefKind::Declaration,
            });
            for f in &rec.fields {
                refs.push(Reference {
                    span: f.name.span,
                    name: f.name.node.clone(),
                    target: Target::Field {
                        record: rec.name.node.clone(),
                        field: f.name.node.clone(),
                    },
                    kind: RefKind::Declaration,
                });
            }
        }
        for e in self.enums.values() {
            refs.push(Reference {
                span: e.span,
                name: e.name.clone(),
                target: Target::Enum(e.name.clone()),
                kind: RefKind::Declaration,
            });
        }
        for t in self.tables.values() {
            refs.push(Reference {
                span: t.name.span,
                name: t.name.node.clone(),
                target: Target::Table(t.name.node.clone()),
                kind: RefKind::Declaration,
            });
        }
        self.refs.extend(refs);
    }

    /// The record and enumeration names in the types of declarations.
    fn item_types(&mut self, item: &Item) {
        let mut types: Vec<&ast::Spanned<TypeExpr>> = Vec::new();
        match item {
            Item::Facts(f) => types.extend(f.iter().map(|f| &f.ty)),
            Item::Record(r) => types.extend(r.fields.iter().map(|f| &f.ty)),
            Item::Outcomes(o) => types.extend(o.iter().map(|o| &o.ty)),
            Item::Table(t) => types.extend([&t.key_ty, &t.value_ty]),
            _ => {}
        }
        let mut refs = Vec::new();
        for t in types {
            let mut t = &t.node;
            loop {
                match t {
                    TypeExpr::List(inner) => t = &inner.node,
                    TypeExpr::Named(n) => {
                        if self.records.contains_key(&n.node) {
                            refs.push((n.clone(), Target::Record(n.node.clone())));
                        } else if self.enums.contains_key(&n.node) {
                            refs.push((n.clone(), Target::Enum(n.node.clone())));
                        }
                        break;
                    }
                }
            }
        }
        for (n, target) in refs {
            self.refs.push(Reference {
                span: n.span,
                name: n.node,
                target,
                kind: RefKind::Use,
            });
        }
    }

    fn provision_refs(&mut self, p: &ast::Provision) {
        for item in &p.body {
            match item {
                ProvisionItem::Rule(r) => {
                    if let Some(t) = &r.exception_to {
                        let written: String = t.node.iter().map(|l| format!("({l})")).collect();
                        let within = self.provision_at(r.name.span);
                        if let Some(target) = self.exception_target(&written, within) {
                            self.refs.push(Reference {
                                span: t.span,
                                name: written,
                                target: Target::Provision(target),
                                kind: RefKind::Use,
                            });
                        }
                    }
                    if let Some(ty) = &r.declared_type {
                        let mut t = &ty.node;
                        while let TypeExpr::List(inner) = t {
                            t = &inner.node;
                        }
                        if let TypeExpr::Named(n) = t {
                            if self.records.contains_key(&n.node) {
                                self.refs.push(Reference {
                                    span: n.span,
                                    name: n.node.clone(),
                                    target: Target::Record(n.node.clone()),
                                    kind: RefKind::Use,
                                });
                            }
                        }
                    }
                    self.expr(&r.value, &mut Vec::new());
                    if let Some(c) = &r.condition {
                        self.expr(c, &mut Vec::new());
                    }
                }
                ProvisionItem::Disregard { fact, .. } => {
                    if let Some(first) = fact.node.first() {
                        let span = Span::new(
                            fact.span.file,
                            fact.span.start,
                            fact.span.start + first.len(),
                        );
                        if self.facts.iter().any(|f| f.name.node == *first) {
                            self.refs.push(Reference {
                                span,
                                name: first.clone(),
                                target: Target::Fact(first.clone()),
                                kind: RefKind::Use,
                            });
                        }
                    }
                }
                ProvisionItem::Provision(c) => self.provision_refs(c),
                _ => {}
            }
        }
    }

    fn fact_use(&mut self, name: &ast::Ident) {
        if self.facts.iter().any(|f| f.name.node == name.node) {
            self.refs.push(Reference {
                span: name.span,
                name: name.node.clone(),
                target: Target::Fact(name.node.clone()),
                kind: RefKind::Use,
            });
        }
    }

    /// The innermost provision whose text holds `span`.
    fn provision_at(&self, span: Span) -> Option<usize> {
        self.provisions
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.span.file == span.file && p.span.start <= span.start && span.end <= p.span.end
            })
            .min_by_key(|(_, p)| p.span.end - p.span.start)
            .map(|(i, _)| i)
    }

    /// The provision an exception written in `within` cites as `(b)(1)`: of those labelled so,
    /// the one of the same version, else the first.
    fn exception_target(&self, label: &str, within: Option<usize>) -> Option<usize> {
        let here = within.and_then(|i| self.provisions.get(i));
        let file = here.map(|p| p.span.file);
        let version = here.and_then(|p| p.version.clone());
        let candidates: Vec<usize> = self
            .provisions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.label == label && (file.is_none() || Some(p.span.file) == file))
            .map(|(i, _)| i)
            .collect();
        candidates
            .iter()
            .copied()
            .find(|i| {
                self.provisions
                    .get(*i)
                    .is_some_and(|p| p.version.is_none() || p.version == version)
            })
            .or(candidates.first().copied())
    }

    /// References in an expression; `locals` are the comprehension variables in scope, each
    /// with the source it ranges over (as written) and the record its elements are, if known.
    fn expr(&mut self, e: &ast::Expr, locals: &mut Vec<(String, String, Option<String>)>) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr_inner(e, locals));
    }

    fn expr_inner(&mut self, e: &ast::Expr, locals: &mut Vec<(String, String, Option<String>)>) {
        match &e.node {
            ExprKind::Citation(text) => self.refs.push(Reference {
                span: e.span,
                name: text.clone(),
                target: Target::Citation(text.clone()),
                kind: RefKind::Use,
            }),
            ExprKind::List(items) => {
                for item in items {
                    match item {
                        ListItem::Single(x) => self.expr(x, locals),
                        ListItem::Range { start, end } => {
                            if let ExprKind::Citation(s) = &start.node {
                                let end_text = match &end.node {
                                    RangeEnd::Citation(c) => format!("§{c}"),
                                    RangeEnd::Relative(parts) => {
                                        parts.iter().map(|l| format!("({l})")).collect()
                                    }
                                };
                                let text = format!("§{s} through {end_text}");
                                self.refs.push(Reference {
                                    span: start.span.to(end.span),
                                    name: text.clone(),
                                    target: Target::Citation(text),
                                    kind: RefKind::Use,
                                });
                            } else {
                                self.expr(start, locals);
                            }
                        }
                    }
                }
            }
            ExprKind::Name(n) => {
                if let Some((_, source, _)) = locals.iter().rev().find(|l| l.0 == n.node) {
                    let source = source.clone();
                    self.refs.push(Reference {
                        span: n.span,
                        name: n.node.clone(),
                        target: Target::Local { source },
                        kind: RefKind::Use,
                    });
                } else if let Some(target) = self.global(&n.node) {
                    self.refs.push(Reference {
                        span: n.span,
                        name: n.node.clone(),
                        target,
                        kind: RefKind::Use,
                    });
                }
            }
            ExprKind::Field(base, field) => {
                self.expr(base, locals);
                if let Some(record) = self.record_of(base, locals) {
                    let known = self
                        .records
                        .get(&record)
                        .is_some_and(|r| r.fields.iter().any(|f| f.name.node == field.node));
                    if known {
                        self.refs.push(Reference {
                            span: field.span,
                            name: field.node.clone(),
                            target: Target::Field {
                                record,
                                field: field.node.clone(),
                            },
                            kind: RefKind::Use,
                        });
                    }
                }
            }
            ExprKind::Index(base, key) => {
                self.expr(base, locals);
                self.expr(key, locals);
            }
            ExprKind::Unary(_, x) => self.expr(x, locals),
            ExprKind::Binary(_, a, b) => {
                self.expr(a, locals);
                self.expr(b, locals);
            }
            ExprKind::If(a, b, c) => {
                self.expr(a, locals);
                self.expr(b, locals);
                self.expr(c, locals);
            }
            ExprKind::Call(_, args) => {
                for a in args {
                    self.expr(a, locals);
                }
            }
            ExprKind::Comprehension {
                element,
                var,
                source,
                filter,
                ..
            } => {
                self.expr(source, locals);
                let record = self.element_record_of(source, locals);
                let written = expr_text(source);
                locals.push((var.node.clone(), written.clone(), record));
                self.refs.push(Reference {
                    span: var.span,
                    name: var.node.clone(),
                    target: Target::Local { source: written },
                    kind: RefKind::Declaration,
                });
                self.expr(element, locals);
                if let Some(f) = filter {
                    self.expr(f, locals);
                }
                locals.pop();
            }
            ExprKind::Bool(_)
            | ExprKind::Integer(_)
            | ExprKind::Decimal(_)
            | ExprKind::Money(_)
            | ExprKind::Date(_)
            | ExprKind::Text(_) => {}
        }
    }

    /// A name outside any comprehension, resolved as the checker does.
    fn global(&self, name: &str) -> Option<Target> {
        if self.rules_by_name.contains_key(name) {
            Some(Target::Definition(name.to_string()))
        } else if self.facts.iter().any(|f| f.name.node == name) {
            Some(Target::Fact(name.to_string()))
        } else if self.tables.contains_key(name) {
            Some(Target::Table(name.to_string()))
        } else {
            None
        }
    }

    /// The record type of an expression, when the syntax says it (facts, fields, variables).
    fn record_of(
        &self,
        e: &ast::Expr,
        locals: &[(String, String, Option<String>)],
    ) -> Option<String> {
        match self.type_of(e, locals)? {
            TypeExpr::Named(n) if self.records.contains_key(&n.node) => Some(n.node),
            _ => None,
        }
    }

    /// The record of a list's elements.
    fn element_record_of(
        &self,
        e: &ast::Expr,
        locals: &[(String, String, Option<String>)],
    ) -> Option<String> {
        match self.type_of(e, locals)? {
            TypeExpr::List(inner) => match inner.node {
                TypeExpr::Named(n) if self.records.contains_key(&n.node) => Some(n.node),
                _ => None,
            },
            _ => None,
        }
    }

    fn type_of(
        &self,
        e: &ast::Expr,
        locals: &[(String, String, Option<String>)],
    ) -> Option<TypeExpr> {
        match &e.node {
            ExprKind::Name(n) => {
                if let Some((_, _, record)) = locals.iter().rev().find(|l| l.0 == n.node) {
                    return record
                        .as_ref()
                        .map(|r| TypeExpr::Named(ast::Spanned::new(r.clone(), n.span)));
                }
                if self.rules_by_name.contains_key(&n.node) {
                    return None;
                }
                self.facts
                    .iter()
                    .find(|f| f.name.node == n.node)
                    .map(|f| f.ty.node.clone())
            }
            ExprKind::Field(base, field) => {
                let record = self.record_of(base, locals)?;
                self.records
                    .get(&record)?
                    .fields
                    .iter()
                    .find(|f| f.name.node == field.node)
                    .map(|f| f.ty.node.clone())
            }
            ExprKind::Index(base, _) => match self.type_of(base, locals)? {
                TypeExpr::List(inner) => Some(inner.node),
                _ => None,
            },
            _ => None,
        }
    }

    /// The record a dotted path written in `text` has for type: `victim`, `victim.losses`
    /// (a list's elements), or a comprehension's variable found by `for x in PATH` in `text`.
    fn record_of_path(&self, text: &str, path: &[&str], depth: usize) -> Option<String> {
        let (first, rest) = path.split_first()?;
        let mut ty = match self.facts.iter().find(|f| f.name.node == *first) {
            Some(f) => f.ty.node.clone(),
            None => {
                // `for l in victim.losses`: the variable is an element of the source.
                if depth > 4 {
                    return None;
                }
                let needle = format!("for {first} in ");
                let at = text.rfind(&needle)? + needle.len();
                let source: String = text
                    .get(at..)?
                    .chars()
                    .take_while(|c| is_name_char(*c) || *c == '.')
                    .collect();
                let source_path: Vec<&str> = source.split('.').collect();
                let ty = self.type_of_path(&source_path)?;
                match ty {
                    TypeExpr::List(inner) => inner.node,
                    other => other,
                }
            }
        };
        for name in rest {
            let TypeExpr::Named(n) = &ty else { return None };
            let field = self
                .records
                .get(&n.node)?
                .fields
                .iter()
                .find(|f| f.name.node == *name)?;
            ty = field.ty.node.clone();
        }
        let mut t = &ty;
        while let TypeExpr::List(inner) = t {
            t = &inner.node;
        }
        match t {
            TypeExpr::Named(n) if self.records.contains_key(&n.node) => Some(n.node.clone()),
            _ => None,
        }
    }

    fn type_of_path(&self, path: &[&str]) -> Option<TypeExpr> {
        let (first, rest) = path.split_first()?;
        let mut ty = self
            .facts
            .iter()
            .find(|f| f.name.node == *first)?
            .ty
            .node
            .clone();
        for name in rest {
            let TypeExpr::Named(n) = &ty else { return None };
            ty = self
                .records
                .get(&n.node)?
                .fields
                .iter()
                .find(|f| f.name.node == *name)?
                .ty
                .node
                .clone();
        }
        Some(ty)
    }

    /// The innermost reference whose span holds `offset` (its end included, so that the
    /// cursor just after a name still finds it).
    pub fn reference_at(&self, file: FileId, offset: usize) -> Option<&Reference> {
        let lo = self.refs.partition_point(|r| r.span.file < file);
        let hi = self.refs.partition_point(|r| r.span.file <= file);
        self.refs
            .get(lo..hi)?
            .iter()
            .filter(|r| r.span.start <= offset && offset <= r.span.end)
            .min_by_key(|r| r.span.end - r.span.start)
    }

    /// Where `target` is declared.
    pub fn declarations(&self, target: &Target) -> Vec<Span> {
        match target {
            Target::Definition(name) => self
                .rules_by_name
                .get(name)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|i| self.rules.get(*i))
                        .map(|r| r.name_span)
                        .collect()
                })
                .unwrap_or_default(),
            Target::Fact(name) => self
                .facts
                .iter()
                .filter(|f| f.name.node == *name)
                .map(|f| f.name.span)
                .collect(),
            Target::Field { record, field } => self
                .records
                .get(record)
                .into_iter()
                .flat_map(|r| r.fields.iter())
                .filter(|f| f.name.node == *field)
                .map(|f| f.name.span)
                .collect(),
            Target::Local { .. } => Vec::new(),
            Target::Table(name) => self
                .tables
                .get(name)
                .map(|t| t.name.span)
                .into_iter()
                .collect(),
            Target::Record(name) => self
                .records
                .get(name)
                .map(|r| r.name.span)
                .into_iter()
                .collect(),
            Target::Enum(name) => self.enums.get(name).map(|e| e.span).into_iter().collect(),
            Target::Provision(i) => self
                .provisions
                .get(*i)
                .map(|p| p.label_span)
                .into_iter()
                .collect(),
            Target::Import(path) => self
                .imports
                .get(path)
                .map(|id| Span::new(*id, 0, 0))
                .into_iter()
                .collect(),
            Target::Citation(_) => Vec::new(),
        }
    }

    /// The citation of the innermost provision holding `offset` of the file named `file`.
    pub fn citation_at(&self, sources: &SourceMap, file: &str, offset: usize) -> Option<String> {
        let id = sources
            .files()
            .find(|(_, f)| f.name == file)
            .map(|(id, _)| id)?;
        let i = self.provision_at(Span::new(id, offset, offset))?;
        self.provisions.get(i).map(|p| p.citation.clone())
    }

    fn describe_definition(&self, name: &str) -> String {
        let mut s = format!("**definition** `{name}`");
        if let Some(o) = self.outcomes.iter().find(|o| o.name.node == name) {
            s += &format!(" (outcome, {})", type_text(&o.ty.node));
            if let Some(d) = &o.description {
                s += &format!("\n\n{d}");
            }
        }
        for i in self.rules_by_name.get(name).into_iter().flatten() {
            let Some(r) = self.rules.get(*i) else {
                continue;
            };
            let at = r
                .provision
                .and_then(|p| self.provisions.get(p))
                .map(|p| {
                    let v = p
                        .version
                        .as_ref()
                        .map(|v| format!(" (in {v})"))
                        .unwrap_or_default();
                    format!("{}{v}", p.citation)
                })
                .unwrap_or_default();
            match &r.exception_to {
                Some(t) => s += &format!("\n\n- exception to {t}, at {at}"),
                None => s += &format!("\n\n- rule at {at}"),
            }
            for n in &r.notes {
                s += &format!("\n  - note: {n}");
            }
        }
        s
    }

    fn describe_provision(&self, i: usize) -> Option<String> {
        let p = self.provisions.get(i)?;
        let mut s = format!("**{}**", p.citation);
        if let Some(h) = &p.heading {
            s += &format!(" — {h}");
        }
        if let Some(v) = &p.version {
            s += &format!(" (in {v})");
        }
        for t in &p.text {
            s += &format!("\n\n> {t}");
        }
        if let Some(n) = &p.not_computed {
            s += &format!("\n\nnot computed: {n}");
        }
        Some(s)
    }

    fn provision_completions(&self) -> Vec<Completion> {
        let mut seen = std::collections::HashSet::new();
        self.provisions
            .iter()
            .filter(|p| seen.insert(p.label.clone()))
            .map(|p| Completion {
                label: p.label.clone(),
                kind: CompletionKind::Provision,
                detail: p.heading.clone(),
            })
            .collect()
    }

    fn symbol(&self, i: usize, depth: usize) -> Symbol {
        let p = self.provisions.get(i);
        let children = match p {
            Some(p) if depth < 32 => p
                .children
                .iter()
                .map(|c| self.symbol(*c, depth + 1))
                .collect(),
            _ => Vec::new(),
        };
        Symbol {
            name: p.map(|p| p.label.clone()).unwrap_or_default(),
            kind: SymbolKind::Provision,
            span: p.map(|p| p.span).unwrap_or_default(),
            selection: p.map(|p| p.label_span).unwrap_or_default(),
            detail: p.and_then(|p| {
                let v = p
                    .version
                    .as_ref()
                    .map(|v| format!(" (in {v})"))
                    .unwrap_or_default();
                p.heading
                    .as_ref()
                    .map(|h| format!("{h}{v}"))
                    .or((!v.is_empty()).then(|| v.trim().to_string()))
            }),
            children,
        }
    }
}

fn describe_field(what: &str, f: &ast::Field) -> String {
    let mut s = format!("**{what}** `{}`: {}", f.name.node, type_text(&f.ty.node));
    if f.optional {
        s += ", optional";
    }
    if f.nonempty {
        s += ", nonempty";
    }
    if let Some(u) = &f.unique {
        match &u.by {
            Some(by) => s += &format!(", unique by `{}`", by.node),
            None => s += ", unique",
        }
    }
    for l in &f.limits {
        match &l.kind {
            ast::LimitKind::AtLeast(e) => s += &format!(", at least `{}`", expr_text(e)),
            ast::LimitKind::AtMost(e) => s += &format!(", at most `{}`", expr_text(e)),
            ast::LimitKind::Decimals(Some(n)) => s += &format!(", at most {n} decimals"),
            ast::LimitKind::Decimals(None) => {}
        }
    }
    if let Some(d) = &f.default {
        s += &format!(", default `{}`", expr_text(d));
    }
    if let Some(d) = &f.description {
        s += &format!("\n\n{d}");
    }
    s
}

/// What a citation literal or range covers.
fn describe_citation(text: &str) -> String {
    let (start, end) = match text.split_once(" through ") {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let Ok(first) = Citation::parse(start) else {
        return format!("`{text}`");
    };
    match end {
        None => format!(
            "`{text}`: the provision {first} and every subdivision of it (`within` matches {first} itself and anything cited below it, like {first}(1))"
        ),
        Some(end) => {
            let last = if end.trim_start().starts_with('(') {
                let parts: Vec<String> = end
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .split(")(")
                    .map(str::to_string)
                    .collect();
                Ok(first.with_last_parts(&parts))
            } else {
                Citation::parse(end)
            };
            match last.map(|l| CitationRange::new(first.clone(), l.clone()).map(|_| l)) {
                Ok(Ok(l)) => format!(
                    "`{text}`: every provision from {first} through {l}, each with its subdivisions"
                ),
                _ => format!("`{text}`: not a valid range"),
            }
        }
    }
}

/// A type as written.
pub fn type_text(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(n) => n.node.clone(),
        TypeExpr::List(inner) => format!("list of {}", type_text(&inner.node)),
    }
}

/// A short expression as written (a default, a comprehension's source).
fn expr_text(e: &ast::Expr) -> String {
    match &e.node {
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Integer(d) | ExprKind::Decimal(d) => d.to_string(),
        ExprKind::Money(d) => format!("${d}"),
        ExprKind::Date(d) => d.to_string(),
        ExprKind::Text(t) => format!("{t:?}"),
        ExprKind::Citation(c) => format!("§{c}"),
        ExprKind::List(items) if items.is_empty() => "[]".into(),
        ExprKind::Name(n) => n.node.clone(),
        ExprKind::Field(b, f) => format!("{}.{}", expr_text(b), f.node),
        _ => "…".into(),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A name a rule may be given: a letter or `_`, then letters, digits or `_`.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(is_name_char)
        && !KEYWORDS.contains(&s)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn same_path(a: &str, b: &str) -> bool {
    normalize(Path::new(a)) == normalize(Path::new(b))
}

pub use crate::syntax::load::normalize;

/// Reads open documents first, then the disk: what the language server checks.
#[derive(Debug, Default, Clone)]
pub struct Overlay {
    /// Open documents by normalized path.
    pub open: HashMap<PathBuf, String>,
}

impl FileReader for Overlay {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        match self.open.get(&normalize(path)) {
            Some(text) => Ok(text.clone()),
            None => load::Disk.read(path),
        }
    }
}

/// `lawcode check --format json`: the diagnostics of a rule source `[REV:]PATH[@DATE]`,
/// bounded as the text output is, and whether any is an error.
pub fn check_source(spec: &str) -> (Vec<DiagnosticJson>, bool) {
    use crate::tools::rule_source::{GitRevision, RuleSource};
    let no_citation = |_: &str, _: usize| None;
    let source = match RuleSource::parse(spec) {
        Ok(s) => s,
        Err(e) => return (diagnostics_json(&e, &no_citation), true),
    };
    let analysis = match &source.revision {
        None => Analysis::run(&load::Disk, &source.path),
        Some(rev) => {
            let reader = std::env::current_dir()
                .map_err(|e| {
                    crate::diagnostic::Problem::error(
                        crate::tools::rule_source::codes::GIT_FAILED,
                        format!("cannot tell the current directory: {e}"),
                    )
                    .into()
                })
                .and_then(|dir| GitRevision::open(rev, &dir));
            match reader {
                Ok(r) => Analysis::run(&r, &source.path),
                Err(e) => return (diagnostics_json(&e, &no_citation), true),
            }
        }
    };
    let mut diagnostics = analysis.diagnostics;
    if analysis.checks && source.as_of.is_some() {
        // `@DATE` before the statute's first version: the load says so.
        if let Err(e) = source.load() {
            diagnostics.extend(diagnostics_json(&e, &no_citation));
        }
    }
    let errors = diagnostics.iter().any(DiagnosticJson::is_error);
    (
        crate::diagnostic::json::bounded_default(diagnostics),
        errors,
    )
}
