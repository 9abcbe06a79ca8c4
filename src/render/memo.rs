//! The decision memo (`lawcode explain`): an evaluation's trace retold in the statute's order,
//! for a person who reads law rather than trees.
//!
//! [`Memo::new`] builds a small document model from the trace alone (the program gives the
//! provisions' headings and words, the facts' and outcomes' descriptions): a heading with the
//! text applied and why, the outcomes, then one entry per provision in the order of the statute
//! (`(a)` before `(b)(1)` before `(b)(2)(B)`). A provision that decided something gets a section:
//! its words quoted, what it decided (from the rule that applied, its condition and formula), the
//! facts it read with their descriptions, the definitions of other provisions it relied on
//! (referred to by citation, never explained twice), and the rule file's notes. A provision
//! that only had rules that did not apply, a `not computed` mark or a `disregard` gets one line
//! where it stands. Last, what is still needed: each missing fact, its description and the
//! provision that needs it.
//!
//! The model is written three ways from the same blocks: Markdown ([`Memo::markdown`]), plain
//! text ([`Memo::text`]), and a standalone HTML page ([`Memo::html`]), which is the Markdown
//! rendered by `pulldown-cmark`, so the two cannot say different things. Nothing here is
//! specific to one statute.

use super::{defined_in_version, in_force, outcome_text, shown_value};
use crate::citation::Citation;
use crate::eval::trace::{Branch, Limit, LimitKind, NodeKind, Operand, Status, TraceNode};
use crate::eval::{Evaluation, Program};
use crate::program::{FieldDecl, Schema};
use crate::value::Type;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

/// A run of text in a line of the memo.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Inline {
    /// Words.
    Text(String),
    /// A name of the rule file (a fact path, a definition, a formula): code in Markdown.
    Code(String),
    /// A value that decided something: bold in Markdown.
    Strong(String),
}

/// A line of the memo: runs of text.
pub type Line = Vec<Inline>;

/// The memo of one evaluation (`--format json` writes it as it is).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Memo {
    /// The full memo ([`Memo::full`]) or the one-page memo ([`Memo::new`]).
    pub full: bool,
    /// `18 U.S.C. § 2259: Mandatory restitution`.
    pub title: String,
    /// Which text applied and why; `None` for a rule set with one text.
    pub applied: Option<Line>,
    /// The notes of the choice of text.
    pub applied_notes: Vec<String>,
    /// The outcomes shown: name, value as people read it, description.
    pub outcomes: Vec<(String, String, Option<String>)>,
    /// The provisions in the statute's order.
    pub entries: Vec<Entry>,
    /// The facts still needed to decide every outcome shown.
    pub needed: Vec<Needed>,
}

/// One provision of the memo.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A provision that decided something.
    Section(Section),
    /// A provision that did not apply, computes nothing, or disregards a fact: one line.
    Brief {
        /// `§ 2259(b)(1)`.
        label: String,
        /// The provision's heading, if the rule file gives one.
        heading: Option<String>,
        /// What happened there.
        lines: Vec<Line>,
    },
}

/// A provision that decided something.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Section {
    /// `§ 2259(b)(2)(B)`.
    pub label: String,
    /// The provision's heading, if the rule file gives one.
    pub heading: Option<String>,
    /// The statute's words for it (its `text`): in the one-page memo, only where it moved a
    /// value (see [`Section::decisive`]).
    pub text: Vec<String>,
    /// Whether it moved a value rather than only computing one (the one-page memo gives it a
    /// heading and its words; every other section is one line, without its formulas): a floor or a cap that bound,
    /// an `if`'s branch, an exception that applied, or one rule chosen among several.
    pub decisive: bool,
    /// What it decided, one line per definition.
    pub decided: Vec<Line>,
    /// The terms it sets (definitions of a constant value: a sum, a date, a list of provisions).
    pub terms: Vec<Line>,
    /// The facts, table rows and list items it read, and the other provisions' definitions it
    /// relied on.
    pub read: Vec<Line>,
    /// Its rules that did not apply, and its marks (`not computed`, `disregard`).
    pub other: Vec<Line>,
    /// The rule file's notes on what happened here.
    pub notes: Vec<String>,
}

impl Section {
    /// The section in one line, for the one-page memo: what it decided, then "it sets …",
    /// "it read …", what did not apply, and its notes.
    pub fn summary(&self) -> Line {
        let mut line = Vec::new();
        let sep = |line: &mut Line| {
            if !line.is_empty() {
                line.push(text("; "));
            }
        };
        for d in &self.decided {
            sep(&mut line);
            line.extend(d.iter().cloned());
        }
        for (what, list) in [("it sets ", &self.terms), ("it read ", &self.read)] {
            for (i, l) in list.iter().enumerate() {
                if i == 0 {
                    sep(&mut line);
                    line.push(text(what));
                } else {
                    line.push(text(", "));
                }
                line.extend(l.iter().cloned());
            }
        }
        for l in &self.other {
            sep(&mut line);
            line.extend(l.iter().cloned());
        }
        for n in &self.notes {
            sep(&mut line);
            // Only interpretations reach a one-line section (see `Memo::new`).
            if n.starts_with("interpretation: ") {
                line.push(text(n.as_str()));
            } else {
                line.push(text(format!("note: {n}")));
            }
        }
        line
    }
}

impl Section {
    /// "it sets …; it read …", in one line.
    fn set_and_read(&self) -> Line {
        Section {
            decided: Vec::new(),
            other: Vec::new(),
            notes: Vec::new(),
            ..self.clone()
        }
        .summary()
    }
}

/// A fact still needed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Needed {
    /// Its path (`court.relative_role_amount`).
    pub path: String,
    /// Its description in the rule file.
    pub description: Option<String>,
    /// The provision that needs it (`§ 2259(b)(2)(B)`), when the trace says.
    pub provision: Option<String>,
}

/// What the walk gathers for one citation before it becomes an entry.
#[derive(Default)]
struct Gathered {
    decided: Vec<Line>,
    terms: Vec<Line>,
    /// Each line with the fact's description, which is added at its first mention only.
    read: Vec<(Line, Option<(String, String)>)>,
    decisive: bool,
    /// `read` without descriptions, for a provision told in one line.
    read_short: Vec<Line>,
    other: Vec<Line>,
    notes: Vec<String>,
    /// Lines already added, so that a fact read twice is listed once.
    seen: BTreeSet<String>,
}

impl Gathered {
    fn read(&mut self, key: String, line: Line, short: Line) {
        self.read_described(key, line, short, None);
    }

    fn read_described(
        &mut self,
        key: String,
        line: Line,
        short: Line,
        description: Option<(String, String)>,
    ) {
        if self.seen.insert(key) {
            self.read.push((line, description));
            self.read_short.push(short);
        }
    }

    fn other(&mut self, line: Line) {
        let key = plain(&line);
        if self.seen.insert(key) {
            self.other.push(line);
        }
    }

    fn note(&mut self, note: &str) {
        if !self.notes.iter().any(|n| n == note) {
            self.notes.push(note.to_string());
        }
    }
}

/// What the one-page memo leaves out, and where it is.
const ONE_PAGE: &str = "This memo quotes the statute where a provision moved a value; the full memo \
     (lawcode explain --full) quotes every provision, with every formula and note.";

/// The longest formula the one-page memo quotes, in characters.
const SHORT_FORMULA: usize = 80;

/// A fact path as declared: `victim.losses[1].amount` is `victim.losses.amount`.
fn declared_path(path: &str) -> String {
    path.split('.')
        .map(|step| step.split('[').next().unwrap_or(step))
        .collect::<Vec<_>>()
        .join(".")
}

/// Consecutive one-line siblings that say the same but for their names
/// (`not computed: a category of loss (`medical`)…`) as one line:
/// `§ 2259(c)(2)(A)–(F): not computed: a category of loss (`medical`, `therapy`, …)…`.
fn fold_alike(entries: Vec<Entry>) -> Vec<Entry> {
    /// The words of a brief entry with each name blanked out, and its names in order.
    fn shape(lines: &[Line]) -> (Vec<Vec<Option<&str>>>, Vec<&str>) {
        let mut names = Vec::new();
        let words = lines
            .iter()
            .map(|l| {
                l.iter()
                    .map(|i| match i {
                        Inline::Code(c) => {
                            names.push(c.as_str());
                            None
                        }
                        Inline::Text(t) | Inline::Strong(t) => Some(t.as_str()),
                    })
                    .collect()
            })
            .collect();
        (words, names)
    }
    let mut out: Vec<Entry> = Vec::new();
    // The run being folded: its first entry's index in `out`, its last label, and the names
    // gathered at each name's place.
    let mut run: Option<(usize, String, Vec<Vec<String>>)> = None;
    for entry in entries {
        if let Entry::Brief { label, lines, .. } = &entry {
            let previous = match &run {
                Some((first, _, _)) => out.get(*first),
                None => out.last(),
            };
            if let Some(Entry::Brief {
                label: before,
                lines: before_lines,
                ..
            }) = previous
            {
                let (a, names_a) = shape(before_lines);
                let (b, names_b) = shape(lines);
                if a == b && names_a.len() == names_b.len() && siblings(before, label) {
                    let start = match &run {
                        Some((first, _, _)) => *first,
                        None => out.len().saturating_sub(1),
                    };
                    let mut names = match run.take() {
                        Some((_, _, names)) => names,
                        None => names_a.iter().map(|n| vec![n.to_string()]).collect(),
                    };
                    for (place, n) in names.iter_mut().zip(&names_b) {
                        if !place.iter().any(|p| p == n) {
                            place.push(n.to_string());
                        }
                    }
                    run = Some((start, label.clone(), names));
                    continue;
                }
            }
        }
        close_run(&mut out, run.take());
        out.push(entry);
    }
    close_run(&mut out, run.take());
    out
}

/// Whether two labels are siblings: `§ 2259(c)(2)(A)` and `§ 2259(c)(2)(B)`.
fn siblings(a: &str, b: &str) -> bool {
    let parent = |l: &str| l.rfind('(').and_then(|i| l.get(..i)).map(str::to_string);
    parent(a).is_some() && parent(a) == parent(b)
}

/// Rewrites the entry that opened a folded run: its label spans the run (`(A)–(F)`), each name
/// lists the run's names, and the heading goes (each sibling had its own).
fn close_run(out: &mut [Entry], run: Option<(usize, String, Vec<Vec<String>>)>) {
    let Some((first, last, names)) = run else {
        return;
    };
    if let Some(Entry::Brief {
        label,
        heading,
        lines,
    }) = out.get_mut(first)
    {
        let tail = last
            .rfind('(')
            .and_then(|i| last.get(i..))
            .unwrap_or(last.as_str());
        *label = format!("{label}–{tail}");
        *heading = None;
        let mut places = names.into_iter();
        for line in lines.iter_mut() {
            let mut folded = Vec::with_capacity(line.len());
            for i in line.drain(..) {
                match i {
                    Inline::Code(c) => match places.next() {
                        Some(all) if all.len() > 1 => {
                            for (k, name) in all.into_iter().enumerate() {
                                if k > 0 {
                                    folded.push(text(", "));
                                }
                                folded.push(code(name));
                            }
                        }
                        _ => folded.push(Inline::Code(c)),
                    },
                    other => folded.push(other),
                }
            }
            *line = folded;
        }
    }
}

/// The part of a full citation a reader needs once the statute is named: `§ 2259(b)(2)(B)`.
fn short(citation: &str) -> String {
    match citation.rsplit_once('§') {
        Some((_, rest)) => format!("§ {}", rest.trim()),
        None => citation.to_string(),
    }
}

/// A citation's place in the statute's order; a citation that does not parse goes last, by its
/// text.
fn order(a: &str, b: &str) -> Ordering {
    let parse = |c: &str| Citation::parse(c.rsplit_once('§').map_or(c, |(_, r)| r));
    match (parse(a), parse(b)) {
        (Ok(x), Ok(y)) => x.statute_order(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// A node's value as people read it, without the ` = `.
pub(crate) fn value_of(n: &TraceNode) -> String {
    let v = shown_value(n);
    v.strip_prefix(" = ")
        .or_else(|| v.strip_prefix(" "))
        .unwrap_or(&v)
        .to_string()
}

/// Words with `code` in backticks (as the trace's details write names) split into runs.
fn words(text: &str) -> Line {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| {
            if i % 2 == 1 {
                Inline::Code(part.to_string())
            } else {
                Inline::Text(part.to_string())
            }
        })
        .collect()
}

fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

/// A line as plain text: code that holds a space (a condition, a formula) in backticks, so that
/// where it ends stays clear.
fn plain(line: &Line) -> String {
    line.iter()
        .map(|i| match i {
            Inline::Code(c) if c.contains(' ') => format!("`{c}`"),
            Inline::Text(t) | Inline::Code(t) | Inline::Strong(t) => t.clone(),
        })
        .collect()
}

/// `text` filled to 100 columns after `first` (and `rest` on later lines), never breaking a
/// word or a date at its hyphen.
fn fill(text: &str, first: &str, rest: &str) -> String {
    let options = textwrap::Options::new(100)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(text, options) + "\n"
}

/// The declaration of the fact at `path` (`victim.losses[0].amount`): list indices are looked
/// through.
fn fact_decl<'s>(schema: &'s Schema, path: &str) -> Option<&'s FieldDecl> {
    let mut fields = &schema.facts;
    let mut found = None;
    for step in path.split('.') {
        let name = step.split('[').next().unwrap_or(step);
        let field = fields.iter().find(|f| f.name == name)?;
        found = Some(field);
        let mut ty = &field.ty;
        while let Type::List(item) = ty {
            ty = item;
        }
        if let Type::Record(r) = ty {
            if let Some(rec) = schema.records.get(*r) {
                fields = &rec.fields;
            }
        }
    }
    found
}

fn kind_word(n: &TraceNode) -> &'static str {
    match n.kind {
        NodeKind::Exception => "the exception for",
        _ => "the rule for",
    }
}

/// The walk over the trace: what each citation decided and read.
struct Walk<'p> {
    program: &'p Program,
    /// The full memo: every formula, however long.
    full: bool,
    by_citation: BTreeMap<String, Gathered>,
    /// Definitions already explained, by name.
    explained: BTreeSet<String>,
}

impl Walk<'_> {
    /// A citation as the statute's own cross-references write it: `(c)(3)` within the memo's
    /// statute, `§ 2259(c)(3)` for another's.
    fn relative(&self, citation: &str) -> String {
        match citation.strip_prefix(self.program.statute().citation.as_str()) {
            Some(rest) if rest.starts_with('(') => rest.to_string(),
            _ => short(citation),
        }
    }

    /// A mark's reason: in the one-page memo, its first clause (up to a `;`), which says what
    /// the provision is; the rest (how it relates to others) is the full memo's.
    fn reason<'n>(&self, n: &'n TraceNode) -> &'n str {
        let reason = n.detail.as_deref().unwrap_or("");
        match reason.split_once("; ") {
            Some((first, _)) if !self.full => first,
            _ => reason,
        }
    }

    fn at(&mut self, citation: &str) -> &mut Gathered {
        self.by_citation.entry(citation.to_string()).or_default()
    }

    /// `parent` is the citation of the node that read `n` (`None` at the top).
    fn node(&mut self, n: &TraceNode, parent: Option<&str>) {
        let here: &str = &n.citation;
        match n.kind {
            NodeKind::Version => {}
            NodeKind::Definition => {
                if let Some(p) = parent.filter(|p| *p != here) {
                    let line = if self.full {
                        vec![
                            code(n.name.as_ref()),
                            text(format!(" = {}, as ", value_of(n))),
                            text(short(here)),
                            text(" decides"),
                        ]
                    } else {
                        vec![
                            code(n.name.as_ref()),
                            text(format!(" = {} ({})", value_of(n), self.relative(here))),
                        ]
                    };
                    let brief = vec![code(n.name.as_ref()), text(format!(" = {}", value_of(n)))];
                    self.at(p).read(format!("def {}", n.name), line, brief);
                }
                if !self.explained.insert(n.name.to_string()) {
                    return;
                }
                self.definition(n);
                for c in &n.children {
                    self.node(c, Some(here));
                }
            }
            NodeKind::Rule | NodeKind::Exception => {
                match n.status {
                    Some(Status::Applied) => {
                        for note in n.notes.iter() {
                            self.at(here).note(note);
                        }
                    }
                    Some(status) => {
                        let what = match status {
                            Status::Overridden => " does not apply, ",
                            Status::Undecided => " cannot be decided: ",
                            _ => " does not apply: ",
                        };
                        let mut line = vec![text(kind_word(n)), text(" "), code(n.name.as_ref())];
                        line.push(text(what));
                        line.extend(words(n.detail.as_deref().unwrap_or("")));
                        self.at(here).other(line);
                    }
                    None => {}
                }
                for c in &n.children {
                    self.node(c, Some(here));
                }
            }
            NodeKind::Fact => {
                let mut line = vec![code(n.name.as_ref()), text(" = "), text(value_of(n))];
                if n.value.is_null() {
                    line = vec![code(n.name.as_ref()), text(" is not given")];
                }
                let brief = line.clone();
                // Described once in the memo, under its declaration's path (list indices
                // dropped: every item's `amount` has the same description).
                let description = fact_decl(self.program.schema(), &n.name)
                    .and_then(|f| f.description.clone())
                    .map(|d| (declared_path(&n.name), d));
                self.at(here)
                    .read_described(format!("fact {}", n.name), line, brief, description);
            }
            NodeKind::Table => {
                let mut line = vec![
                    text("table "),
                    code(n.name.as_ref()),
                    text(format!(" = {}", value_of(n))),
                ];
                // A row that cites its own law (29 U.S.C. § 206(a)(1)) is read by the provision
                // above it; the row's citation goes with its value.
                let reader = parent.unwrap_or(here).to_string();
                let own = (reader != here).then_some(here);
                match (own, n.detail.as_deref()) {
                    (Some(c), Some(d)) => line.push(text(format!(" ({c}, {d})"))),
                    (Some(c), None) => line.push(text(format!(" ({c})"))),
                    (None, Some(d)) => line.push(text(format!(" ({d})"))),
                    (None, None) => {}
                }
                self.at(&reader)
                    .read(format!("table {}", n.name), line.clone(), line);
                for note in n.notes.iter() {
                    self.at(&reader).note(note);
                }
            }
            NodeKind::Item => {
                if let Some(status) = n.status {
                    let word = match status {
                        Status::Included => "counted",
                        Status::Excluded => "not counted",
                        Status::Undecided => "undecided",
                        _ => "",
                    };
                    let line = vec![
                        code(n.name.as_ref()),
                        text(format!(" = {}, {word}", value_of(n))),
                    ];
                    self.at(here)
                        .read(format!("item {}", n.name), line.clone(), line);
                }
                for c in &n.children {
                    self.node(c, Some(here));
                }
            }
            NodeKind::NotComputed => {
                let mut line = vec![text("not computed: ")];
                line.extend(words(self.reason(n)));
                self.at(here).other(line);
            }
            NodeKind::Disregarded => {
                let mut line = vec![
                    text("disregards "),
                    code(n.name.as_ref()),
                    text(format!(" (here {}): ", value_of(n))),
                ];
                line.extend(words(self.reason(n)));
                self.at(here).other(line);
            }
            NodeKind::Reference => {
                // Said under the provision that incorporates the definition, which the memo
                // walks; the cited provision is another statute's.
                let line = vec![
                    text("applies the definition in "),
                    text(here),
                    text(" ("),
                    code(n.name.as_ref()),
                    text(format!(" = {})", value_of(n))),
                ];
                self.at(parent.unwrap_or(here)).other(line);
            }
            NodeKind::Undefined => {}
        }
    }

    /// What a definition decided: its value, the rule that gave it and why, its formula.
    fn definition(&mut self, n: &TraceNode) {
        let rules: Vec<&TraceNode> = n
            .children
            .iter()
            .filter(|c| matches!(c.kind, NodeKind::Rule | NodeKind::Exception))
            .collect();
        let applied = rules
            .iter()
            .find(|r| r.status == Some(Status::Applied))
            .copied();
        let formula = applied
            .and_then(|r| r.formula.as_ref())
            .or(n.formula.as_ref());
        // A definition of a constant (no rule, no formula, nothing read) is a term the
        // provision sets, not a decision.
        if rules.is_empty() && formula.is_none() && n.children.is_empty() && !n.value.is_null() {
            let line = vec![code(n.name.as_ref()), text(format!(" = {}", value_of(n)))];
            let g = self.at(&n.citation);
            g.terms.push(line);
            for note in n.notes.iter() {
                g.note(note);
            }
            return;
        }
        let limits = applied.map_or(&n.limits, |r| &r.limits);
        let branches = applied.map_or(&n.branches, |r| &r.branches);
        let decisive = limits.iter().any(|l| l.chosen != 0)
            || !branches.is_empty()
            || applied.is_some_and(|r| {
                // An exception that displaced the default, or a rule its condition chose over
                // others; a default that applied with no exception in play moved nothing.
                r.kind == NodeKind::Exception || (rules.len() > 1 && r.detail.is_some())
            });
        let mut line = vec![code(n.name.as_ref())];
        if n.value.is_null() {
            line.push(text(" is undecided"));
        } else {
            line.push(text(" is "));
            line.push(Inline::Strong(value_of(n)));
        }
        if let Some(r) = applied {
            if let Some(d) = &r.detail {
                line.push(text(if r.kind == NodeKind::Exception {
                    ": the exception applies ("
                } else {
                    ": the rule applies ("
                }));
                line.extend(words(d));
                line.push(text(")"));
            }
        }
        // A rule whose expression is a bare name: the definition it names.
        let named = applied.and_then(|r| match r.children.as_slice() {
            [only] if only.kind == NodeKind::Definition && r.formula.is_none() => Some(only),
            _ => None,
        });
        // The one-page memo gives the formula of a decision that moved a value, if a reader
        // takes it in at a glance; the others are the full memo's (the facts read follow).
        let shown = |f: &&Arc<str>| self.full || (decisive && f.chars().count() <= SHORT_FORMULA);
        if let Some(f) = formula.filter(shown) {
            line.push(text(", computed as "));
            line.push(code(f.as_ref()));
        } else if let Some(d) = named {
            line.push(text(", as "));
            line.push(code(d.name.as_ref()));
        }
        for limit in limits {
            line.push(text("; "));
            line.extend(limit_line(limit));
        }
        for b in branches {
            line.push(text("; "));
            line.extend(branch_line(b));
        }
        let g = self.at(&n.citation);
        g.decisive |= decisive;
        g.decided.push(line);
        for note in n.notes.iter() {
            g.note(note);
        }
    }
}

impl Memo {
    /// The one-page memo of `e` (evaluated with the trace) for `outcomes` (every outcome when
    /// empty, with the provisions that compute nothing); `None` when `e` has no trace.
    ///
    /// Every provision that decided something is there, in order, with what it decided and
    /// the facts it read; the statute's words are quoted where the provision moved a value
    /// (a floor or cap that bound, an exception, a choice of rule or branch), long formulas and
    /// plain notes are left to [`Memo::full`] (interpretations stay), and siblings marked alike
    /// (`not computed: a category of loss`) share one line.
    pub fn new(program: &Program, e: &Evaluation, outcomes: &[String]) -> Option<Memo> {
        Memo::build(program, e, outcomes, false)
    }

    /// The full memo: every provision's words quoted, every formula and note.
    pub fn full(program: &Program, e: &Evaluation, outcomes: &[String]) -> Option<Memo> {
        Memo::build(program, e, outcomes, true)
    }

    fn build(program: &Program, e: &Evaluation, outcomes: &[String], full: bool) -> Option<Memo> {
        let trace = e.trace()?;
        let view = super::View {
            outcomes: outcomes.to_vec(),
            with_text: false,
        };
        let nodes = view.select(trace);
        let statute = program.statute();
        let title = match &statute.title {
            Some(t) => format!("{}: {t}", statute.citation),
            None => statute.citation.clone(),
        };
        let mut applied = None;
        let mut applied_notes = Vec::new();
        // The date fact that chose the text, as code where the reason starts with it.
        let selector_words = |why: &str| -> Line {
            let selector = program.version_selector().map(|s| s.fact_name.as_str());
            match selector.and_then(|f| why.strip_prefix(f).map(|rest| (f, rest))) {
                Some((fact, rest)) => {
                    let mut line = vec![code(fact)];
                    line.extend(words(rest));
                    line
                }
                None => words(why),
            }
        };
        if let Some(v) = nodes.iter().find(|n| n.kind == NodeKind::Version) {
            let detail = v.detail.as_deref().unwrap_or("");
            // "offense_date 2020-02-14 is on or after 2018-12-07: the text in force from …"
            let line = match detail.split_once(": ") {
                Some((why, what)) => {
                    let applies = if what.ends_with("applies") {
                        ", because "
                    } else {
                        " applies, because "
                    };
                    let mut line = vec![text(capitalised(what)), text(applies)];
                    if why.starts_with("pinned") {
                        line.push(text("the date is "));
                    }
                    line.extend(selector_words(why));
                    line.push(text("."));
                    line
                }
                None => {
                    let mut line = vec![text("The text applied: ")];
                    line.extend(selector_words(detail));
                    line.push(text("."));
                    line
                }
            };
            applied = Some(line);
            applied_notes = v.notes.to_vec();
        }
        let shown: Vec<(String, String, Option<String>)> = e
            .outcomes()
            .enumerate()
            .filter(|(_, (name, _))| outcomes.is_empty() || outcomes.iter().any(|o| o == name))
            .map(|(i, (name, value))| {
                let decl = program.outcomes().get(i);
                let value = match value {
                    serde_json::Value::Null if defined_in_version(program, e, name) => {
                        "undecided".to_string()
                    }
                    serde_json::Value::Null => "not defined by this text".to_string(),
                    v => outcome_text(decl.map(|o| &o.ty), v),
                };
                (
                    name.to_string(),
                    value,
                    decl.and_then(|o| o.description.clone()),
                )
            })
            .collect();

        let mut walk = Walk {
            program,
            full,
            by_citation: BTreeMap::new(),
            explained: BTreeSet::new(),
        };
        for n in &nodes {
            walk.node(n, None);
        }
        let provisions: BTreeMap<&str, &crate::program::Provision> = in_force(program, e)
            .map(|p| (p.citation.as_str(), p))
            .collect();
        let mut gathered: Vec<(String, Gathered)> = walk.by_citation.into_iter().collect();
        gathered.sort_by(|(a, _), (b, _)| order(a, b));
        let mut entries = Vec::new();
        let mut described = BTreeSet::new();
        for (citation, g) in gathered {
            let provision = provisions.get(citation.as_str());
            let heading = provision.and_then(|p| p.heading.clone());
            let label = short(&citation);
            if g.decided.is_empty() && g.terms.is_empty() {
                let mut lines = g.other;
                if !lines.is_empty() && !g.read_short.is_empty() {
                    let mut read = vec![text("it read ")];
                    for (i, l) in g.read_short.into_iter().enumerate() {
                        if i > 0 {
                            read.push(text(", "));
                        }
                        read.extend(l);
                    }
                    lines.push(read);
                }
                if !lines.is_empty() {
                    entries.push(Entry::Brief {
                        label,
                        heading,
                        lines,
                    });
                }
                continue;
            }
            let read = g
                .read
                .into_iter()
                .map(|(mut line, description)| {
                    if let Some((key, d)) = description {
                        if described.insert(key) {
                            line.push(text(format!(" ({d})")));
                        }
                    }
                    line
                })
                .collect();
            let quoted = full || g.decisive;
            let notes = g
                .notes
                .into_iter()
                .filter(|n| full || n.starts_with("interpretation: "))
                .collect();
            entries.push(Entry::Section(Section {
                label,
                heading,
                text: match provision {
                    Some(p) if quoted => p.text.clone(),
                    _ => Vec::new(),
                },
                decisive: g.decisive,
                decided: g.decided,
                terms: g.terms,
                read,
                other: g.other,
                notes,
            }));
        }
        if !full {
            entries = fold_alike(entries);
        }

        let needed = e
            .missing
            .iter()
            .map(|path| Needed {
                path: path.clone(),
                description: fact_decl(program.schema(), path).and_then(|f| f.description.clone()),
                provision: needed_by(&nodes, path).map(short),
            })
            .collect();
        Some(Memo {
            full,
            title,
            applied,
            applied_notes,
            outcomes: shown,
            entries,
            needed,
        })
    }

    /// The memo in Markdown (CommonMark with a table).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", escape(&self.title));
        if let Some(a) = &self.applied {
            let _ = writeln!(out, "{}\n", md_line(a));
        }
        for n in &self.applied_notes {
            let _ = writeln!(out, "> *Note:* {}\n", escape(n));
        }
        out.push_str("## Outcomes\n\n| Outcome | Value | What it is |\n| --- | --- | --- |\n");
        for (name, value, description) in &self.outcomes {
            let _ = writeln!(
                out,
                "| `{name}` | **{}** | {} |",
                escape(value),
                escape(description.as_deref().unwrap_or(""))
            );
        }
        out.push_str("\n## The provisions, in the statute's order\n\n");
        let mut after_brief = false;
        for entry in &self.entries {
            match entry {
                Entry::Section(s) if !self.full && !s.decisive => {
                    let _ = writeln!(
                        out,
                        "- **{}**: {}",
                        escape(&heading(&s.label, &s.heading)),
                        md_line(&s.summary())
                    );
                    after_brief = true;
                }
                Entry::Section(s) => {
                    // A list of one-line provisions ends with a blank line.
                    if std::mem::take(&mut after_brief) {
                        out.push('\n');
                    }
                    let _ = writeln!(out, "### {}\n", escape(&heading(&s.label, &s.heading)));
                    for t in &s.text {
                        let _ = writeln!(out, "> {}\n", escape(t));
                    }
                    for l in &s.decided {
                        let _ = writeln!(out, "{}\n", md_line(l));
                    }
                    if !self.full {
                        // One paragraph of what it set and read.
                        let rest = s.set_and_read();
                        if !rest.is_empty() {
                            let _ = writeln!(out, "{}\n", capitalised(&md_line(&rest)));
                        }
                    } else if !s.terms.is_empty() {
                        out.push_str("It sets:\n\n");
                        for l in &s.terms {
                            let _ = writeln!(out, "- {}", md_line(l));
                        }
                        out.push('\n');
                    }
                    if self.full && !s.read.is_empty() {
                        out.push_str("It read:\n\n");
                        for l in &s.read {
                            let _ = writeln!(out, "- {}", md_line(l));
                        }
                        out.push('\n');
                    }
                    for l in &s.other {
                        let _ = writeln!(out, "{}\n", capitalised(&md_line(l)));
                    }
                    for n in &s.notes {
                        let _ = writeln!(out, "{}\n", md_note(n));
                    }
                }
                Entry::Brief {
                    label,
                    heading: h,
                    lines,
                } => {
                    let body: Vec<String> = lines.iter().map(md_line).collect();
                    let _ = writeln!(
                        out,
                        "- **{}**: {}",
                        escape(&heading(label, h)),
                        body.join("; ")
                    );
                    after_brief = true;
                }
            }
        }
        if after_brief {
            out.push('\n');
        }
        if !self.full {
            let _ = writeln!(out, "*{}*\n", escape(ONE_PAGE));
        }
        out.push_str("## What is still needed\n\n");
        if self.needed.is_empty() {
            out.push_str("Nothing: every outcome is decided.\n");
        }
        for n in &self.needed {
            let _ = write!(out, "- `{}`", n.path);
            if let Some(d) = &n.description {
                let _ = write!(out, ": {}", escape(d));
            }
            if let Some(p) = &n.provision {
                let _ = write!(out, " (needed by {})", escape(p));
            }
            out.push('\n');
        }
        out
    }

    /// The memo as plain text, wrapped at 100 columns.
    pub fn text(&self) -> String {
        let wrap = |s: &str, indent: &str| fill(s, indent, indent);
        let mut out = String::new();
        out.push_str(&self.title);
        out.push('\n');
        out.push_str(&"=".repeat(self.title.chars().count()));
        out.push_str("\n\n");
        if let Some(a) = &self.applied {
            out.push_str(&wrap(&plain(a), ""));
            out.push('\n');
        }
        for n in &self.applied_notes {
            out.push_str(&wrap(&format!("Note: {n}"), "  "));
            out.push('\n');
        }
        out.push_str("Outcomes\n--------\n");
        let width = self
            .outcomes
            .iter()
            .map(|(n, _, _)| n.len())
            .max()
            .unwrap_or(0);
        for (name, value, _) in &self.outcomes {
            let _ = writeln!(out, "  {name:<width$}  {value}");
        }
        out.push_str(
            "\nThe provisions, in the statute's order\n--------------------------------------\n",
        );
        for entry in &self.entries {
            out.push('\n');
            match entry {
                Entry::Section(s) if !self.full && !s.decisive => {
                    out.push_str(&wrap(
                        &format!("{}: {}", heading(&s.label, &s.heading), plain(&s.summary())),
                        "",
                    ));
                }
                Entry::Section(s) => {
                    out.push_str(&heading(&s.label, &s.heading));
                    out.push('\n');
                    for t in &s.text {
                        out.push_str(&wrap(&format!("\"{t}\""), "  | "));
                    }
                    for l in &s.decided {
                        out.push_str(&wrap(&plain(l), "  "));
                    }
                    if !self.full {
                        let rest = s.set_and_read();
                        if !rest.is_empty() {
                            out.push_str(&wrap(&capitalised(&plain(&rest)), "  "));
                        }
                    } else if !s.terms.is_empty() {
                        out.push_str("  It sets:\n");
                        for l in &s.terms {
                            out.push_str(&fill(&plain(l), "  - ", "    "));
                        }
                    }
                    if self.full && !s.read.is_empty() {
                        out.push_str("  It read:\n");
                        for l in &s.read {
                            out.push_str(&fill(&plain(l), "  - ", "    "));
                        }
                    }
                    for l in &s.other {
                        out.push_str(&wrap(&capitalised(&plain(l)), "  "));
                    }
                    for n in &s.notes {
                        out.push_str(&wrap(&note_text(n), "  "));
                    }
                }
                Entry::Brief {
                    label,
                    heading: h,
                    lines,
                } => {
                    let body: Vec<String> = lines.iter().map(plain).collect();
                    out.push_str(&wrap(
                        &format!("{}: {}", heading(label, h), body.join("; ")),
                        "",
                    ));
                }
            }
        }
        if !self.full {
            out.push('\n');
            out.push_str(&wrap(ONE_PAGE, ""));
        }
        out.push_str("\nWhat is still needed\n--------------------\n");
        if self.needed.is_empty() {
            out.push_str("Nothing: every outcome is decided.\n");
        }
        for n in &self.needed {
            let mut line = n.path.clone();
            if let Some(d) = &n.description {
                let _ = write!(line, ": {d}");
            }
            if let Some(p) = &n.provision {
                let _ = write!(line, " (needed by {p})");
            }
            out.push_str(&fill(&line, "  - ", "    "));
        }
        out
    }

    /// The memo as a standalone HTML page: the Markdown rendered by `pulldown-cmark`, with a
    /// style sheet of its own (no external assets) that prints well.
    pub fn html(&self) -> String {
        html_page(&self.markdown(), &self.title)
    }
}

/// A standalone HTML page of `markdown`, rendered by `pulldown-cmark`, titled `title`, with
/// the memo's style sheet (no external assets; it prints well).
pub fn html_page(markdown: &str, title: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, parser);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        html_escape(title)
    )
}

/// The page's style: readable on a screen and on paper, no external assets.
const STYLE: &str = "body { font: 16px/1.5 Georgia, 'Times New Roman', serif; color: #111; background: #fff; margin: 0; }
main { max-width: 46em; margin: 0 auto; padding: 1.5em; }
h1 { font-size: 1.6em; margin-bottom: 0.3em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #999; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin: 1.6em 0 0.4em; }
blockquote { margin: 0.4em 0 0.8em; padding: 0.1em 1em; border-left: 3px solid #777; color: #333; }
code { font: 0.9em/1.4 'DejaVu Sans Mono', Menlo, monospace; background: #f2f2f2; padding: 0 0.2em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #999; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
@page { size: letter; margin: 0.5in; }
@media print {
  body { font-size: 9pt; line-height: 1.3; }
  main { max-width: none; padding: 0; }
  code { background: none; font-size: 0.95em; }
  h1 { font-size: 13pt; margin: 0 0 0.2em; }
  h2 { font-size: 10.5pt; margin: 0.7em 0 0.3em; }
  h3 { font-size: 9.5pt; margin: 0.6em 0 0.2em; break-after: avoid; }
  p, ul { margin: 0.25em 0; }
  ul { padding-left: 1.2em; }
  blockquote { margin: 0.2em 0 0.3em; padding: 0 0.6em; }
  th, td { padding: 0 0.4em; }
  blockquote, li { break-inside: avoid; }
}
";

/// What one `min`/`max` did, in words: "the floor `minimum_restitution` ($3,000.00) raised
/// `court.relative_role_amount` ($1,200.00) to $3,000.00", or, when it moved nothing,
/// "`…` ($5,000.00) is not below `minimum_restitution` ($3,000.00)". An operand that is
/// itself a `min`/`max` is named by its value (the sentence before says how it came about).
pub(crate) fn limit_line(limit: &Limit) -> Line {
    let operand = |o: &Operand| -> Line {
        let value = shown_operand(o);
        if o.text.starts_with("min(") || o.text.starts_with("max(") {
            vec![text(value)]
        } else {
            vec![code(o.text.as_ref()), text(format!(" ({value})"))]
        }
    };
    let (bound, moved, kept) = match limit.kind {
        LimitKind::Max => ("the floor ", " raised ", " is not below "),
        LimitKind::Min => ("the cap ", " lowered ", " is not above "),
    };
    let (Some(first), Some(chosen)) = (limit.operands.first(), limit.operands.get(limit.chosen))
    else {
        return Vec::new();
    };
    let mut line = Vec::new();
    if limit.chosen == 0 {
        line.extend(operand(first));
        line.push(text(kept));
        for (i, o) in limit.operands.iter().enumerate().skip(1) {
            if i > 1 {
                line.push(text(" and "));
            }
            line.extend(operand(o));
        }
    } else {
        line.push(text(bound));
        line.extend(operand(chosen));
        line.push(text(moved));
        line.extend(operand(first));
        line.push(text(format!(" to {}", shown_operand(chosen))));
    }
    line
}

/// Which way an `if` went: "`a > b` is true, so `x`, not `y`".
pub(crate) fn branch_line(b: &Branch) -> Line {
    let (took, left) = if b.taken {
        (&b.then, &b.otherwise)
    } else {
        (&b.otherwise, &b.then)
    };
    vec![
        code(b.condition.as_ref()),
        text(format!(" is {}, so ", b.taken)),
        code(took.as_ref()),
        text(", not "),
        code(left.as_ref()),
    ]
}

/// An operand's value as people read it.
fn shown_operand(o: &Operand) -> String {
    let node = TraceNode {
        shown: o.shown,
        ..TraceNode::new("", NodeKind::Fact, "", o.value.clone())
    };
    value_of(&node)
}

/// The first fact node at `path` in `nodes` (the provision that read it), else the first
/// undecided rule's provision whose detail names it.
fn needed_by<'t>(nodes: &[&'t TraceNode], path: &str) -> Option<&'t str> {
    fn find<'t>(n: &'t TraceNode, path: &str) -> Option<&'t str> {
        if n.kind == NodeKind::Fact && *n.name == *path {
            return Some(&n.citation);
        }
        n.children.iter().find_map(|c| find(c, path))
    }
    nodes.iter().find_map(|n| find(n, path))
}

fn heading(label: &str, heading: &Option<String>) -> String {
    match heading {
        Some(h) => format!("{label} {h}"),
        None => label.to_string(),
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A note, set off as what it is: the rule file's interpretation, or a note.
fn note_text(n: &str) -> String {
    match n.strip_prefix("interpretation: ") {
        Some(rest) => format!("Interpretation: {rest}"),
        None => format!("Note: {n}"),
    }
}

fn md_note(n: &str) -> String {
    match n.strip_prefix("interpretation: ") {
        Some(rest) => format!("> *Interpretation:* {}", escape(rest)),
        None => format!("> *Note:* {}", escape(n)),
    }
}

fn md_line(line: &Line) -> String {
    line.iter()
        .map(|i| match i {
            Inline::Text(t) => escape(t),
            Inline::Code(c) => md_code(c),
            Inline::Strong(s) => format!("**{}**", escape(s)),
        })
        .collect()
}

/// Code in backticks, with as many backticks around it as it needs.
fn md_code(c: &str) -> String {
    let mut fence = "`".to_string();
    while c.contains(fence.as_str()) {
        fence.push('`');
    }
    let pad = if c.starts_with('`') || c.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{c}{pad}{fence}")
}

/// Text with the characters Markdown would read as markup escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
