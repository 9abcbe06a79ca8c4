//! The syntax tree to a [`pretty`] document: the canonical layout.
//!
//! One pass over the tree in source order. A cursor (`pos`, the end of the last code printed)
//! walks the source alongside, so that comments are placed by position: the comments before a
//! declaration, rule, provision or field are printed above it, a comment on the same line after
//! it is printed after it, a comment inside it (between the lines of a long rule) is printed above
//! it, and the comments before a closing `}` stay at the end of the block. Strings are printed as
//! written (their source text, found by the same cursor); literals (money, numbers, dates,
//! citations) are printed from their spans, so `$3,000` stays `$3,000`. Brackets are re-derived
//! from precedence: the tree has none, and the printer writes exactly those needed.

use super::comments::{Comment, Tokens};
use crate::source::Span;
use crate::syntax::ast::{
    self, BinaryOp, EnumDecl, Expr, ExprKind, Field, Item, LimitKind, ListItem, Outcome, Provision,
    ProvisionItem, RecordDecl, Rule, Spanned, TableDecl, TypeExpr, UnaryOp,
};
use pretty::RcDoc;

pub(super) type Doc = RcDoc<'static, ()>;

/// Spaces per level of indentation.
const INDENT: isize = 4;

fn text(s: impl Into<String>) -> Doc {
    RcDoc::text(s.into())
}

/// `docs` one after the other, as a balanced tree: a chain of ten thousand terms must not make
/// a ten-thousand-deep document (rendering and dropping it recurse on its depth).
fn concat(mut docs: Vec<Doc>) -> Doc {
    match docs.len() {
        0 => RcDoc::nil(),
        1 => docs.pop().unwrap_or_else(RcDoc::nil),
        n => {
            let right = docs.split_off(n / 2);
            concat(docs).append(concat(right))
        }
    }
}

/// A declaration, field, rule, text or provision, with its comments.
struct Unit {
    doc: Doc,
    /// A blank line stood before it (or before its first comment) in the source.
    blank_before: bool,
    /// A provision: one blank line separates it from its neighbours.
    provision: bool,
}

pub(super) struct Printer<'s> {
    src: &'s str,
    tokens: Tokens,
    /// The next comment not yet printed.
    next_comment: usize,
    /// The end of the last code printed.
    pos: usize,
}

impl<'s> Printer<'s> {
    pub(super) fn new(src: &'s str, tokens: Tokens) -> Self {
        let pos = if src.starts_with('\u{FEFF}') { 3 } else { 0 };
        Printer {
            src,
            tokens,
            next_comment: 0,
            pos,
        }
    }

    // ------------------------------------------------------------ the cursor

    fn seen(&mut self, end: usize) {
        self.pos = self.pos.max(end);
    }

    fn raw(&self, span: Span) -> &'s str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    /// Where the next code (or string) after the cursor starts.
    fn next_code(&self) -> usize {
        let code = self.tokens.code.partition_point(|t| t.0 < self.pos);
        let string = self.tokens.strings.partition_point(|t| t.0 < self.pos);
        let a = self.tokens.code.get(code).map_or(self.src.len(), |t| t.0);
        let b = self
            .tokens
            .strings
            .get(string)
            .map_or(self.src.len(), |t| t.0);
        a.min(b)
    }

    /// The next `byte` after the cursor that is code (not in a string or a comment).
    fn find_code_byte(&self, byte: u8) -> Option<usize> {
        let first = self.tokens.code.partition_point(|t| t.1 <= self.pos);
        self.tokens
            .code
            .get(first..)?
            .iter()
            .find_map(|&(start, end)| {
                let from = start.max(self.pos);
                let run = self.src.as_bytes().get(from..end)?;
                run.iter().position(|b| *b == byte).map(|i| from + i)
            })
    }

    fn peek_comment(&self) -> Option<&Comment> {
        self.tokens.comments.get(self.next_comment)
    }

    /// A blank line lies between `a` and `b`.
    fn blank_between(&self, a: usize, b: usize) -> bool {
        self.src
            .get(a.min(b)..b)
            .is_some_and(|s| s.matches('\n').count() >= 2)
    }

    /// The comments that start before `before`, each on its own line, with the blank lines
    /// between them kept (one at most). Returns the document and whether a blank line came
    /// before the first of them.
    fn comments_before(&mut self, before: usize, mut prev_end: usize) -> (Vec<Doc>, bool, usize) {
        let mut docs = Vec::new();
        let mut blank_first = false;
        while let Some(c) = self.peek_comment() {
            if c.start >= before {
                break;
            }
            let (start, end, comment) = (c.start, c.end, c.text.clone());
            let blank = self.blank_between(prev_end, start);
            if docs.is_empty() {
                blank_first = blank;
            } else if blank {
                docs.push(RcDoc::hardline());
            }
            docs.push(text(comment));
            docs.push(RcDoc::hardline());
            prev_end = end;
            self.next_comment += 1;
        }
        (docs, blank_first, prev_end)
    }

    /// A comment after the cursor on the same line, with only spaces, commas and closing
    /// brackets between (the tree does not keep brackets, so a unit's end can be before the
    /// `)` that closes it).
    fn trailing(&mut self) -> Option<String> {
        let c = self.peek_comment()?;
        let between = self.src.get(self.pos..c.start)?;
        if between
            .chars()
            .all(|ch| matches!(ch, ' ' | '\t' | ',' | ')' | ']'))
        {
            let text = c.text.clone();
            self.next_comment += 1;
            Some(text)
        } else {
            None
        }
    }

    /// One unit: its leading comments (and those inside it, before `end` when it is known),
    /// the code `body` prints, and a trailing comment.
    fn unit(
        &mut self,
        start: Option<usize>,
        end: Option<usize>,
        provision: bool,
        body: impl FnOnce(&mut Self) -> Doc,
    ) -> Unit {
        let start = start.unwrap_or_else(|| self.next_code());
        let prev_end = self.pos;
        let (mut docs, blank_first, last) = self.comments_before(start, prev_end);
        let blank_before = if docs.is_empty() {
            self.blank_between(prev_end, start)
        } else {
            blank_first
        };
        if !docs.is_empty() && self.blank_between(last, start) {
            docs.push(RcDoc::hardline());
        }
        if let Some(end) = end {
            // Comments inside the unit (between the lines of a long rule) go above it.
            let (inner, _, _) = self.comments_before(end, last);
            docs.extend(inner);
        }
        docs.push(body(self));
        // Comments inside a unit whose end was not known go below it, in order.
        let mut after = Vec::new();
        while let Some(c) = self.peek_comment() {
            if c.start >= self.pos {
                break;
            }
            after.push(c.text.clone());
            self.next_comment += 1;
        }
        if after.is_empty() {
            if let Some(t) = self.trailing() {
                docs.push(text(format!(" {t}")));
            }
        } else {
            if let Some(t) = self.trailing() {
                after.push(t);
            }
            for t in after {
                docs.push(RcDoc::hardline());
                docs.push(text(t));
            }
        }
        Unit {
            doc: concat(docs),
            blank_before,
            provision,
        }
    }

    /// Units one per line, a blank line kept where the source had one (never two) and always
    /// set between a provision and its neighbours.
    fn lines(units: Vec<Unit>) -> Doc {
        let mut docs = Vec::new();
        let mut prev_provision = false;
        for (i, u) in units.into_iter().enumerate() {
            if i > 0 {
                docs.push(RcDoc::hardline());
                if u.blank_before || u.provision || prev_provision {
                    docs.push(RcDoc::hardline());
                }
            }
            prev_provision = u.provision;
            docs.push(u.doc);
        }
        concat(docs)
    }

    /// Moves the cursor past the next `{`.
    fn open_brace(&mut self) {
        if let Some(at) = self.find_code_byte(b'{') {
            self.seen(at + 1);
        }
    }

    /// The comments left before the next `}`, and the cursor moved past it.
    fn close_brace(&mut self) -> Option<Doc> {
        let at = self.find_code_byte(b'}').unwrap_or(self.src.len());
        let prev = self.pos;
        let (mut docs, blank_first, _) = self.comments_before(at, prev);
        self.seen(at + 1);
        // The comments end with a line break; the block adds its own.
        docs.pop();
        if docs.is_empty() {
            None
        } else {
            if blank_first {
                docs.insert(0, RcDoc::hardline());
            }
            Some(concat(docs))
        }
    }

    /// `{`, the units `items` prints, one per line and indented, the comments before `}`, `}`.
    fn block(&mut self, items: impl FnOnce(&mut Self) -> Vec<Unit>) -> Doc {
        self.open_brace();
        let units = items(self);
        let dangling = self.close_brace();
        if units.is_empty() && dangling.is_none() {
            return text("{}");
        }
        let empty = units.is_empty();
        let mut inner = Self::lines(units);
        if let Some(d) = dangling {
            inner = if empty {
                d
            } else {
                inner.append(RcDoc::hardline()).append(d)
            };
        }
        text("{")
            .append(RcDoc::hardline().append(inner).nest(INDENT))
            .append(RcDoc::hardline())
            .append(text("}"))
    }

    // ------------------------------------------------------------ leaves

    fn ident(&mut self, id: &ast::Ident) -> Doc {
        self.seen(id.span.end);
        text(id.node.clone())
    }

    /// A literal as written.
    fn literal(&mut self, span: Span) -> Doc {
        self.seen(span.end);
        text(self.raw(span))
    }

    /// A string whose value is `value`: the next string in the source when it reads as
    /// `value` (it always does for a tree parsed from this source), else `value` quoted.
    fn string(&mut self, value: &str) -> Doc {
        let i = self.tokens.strings.partition_point(|t| t.0 < self.pos);
        if let Some(&(start, end)) = self.tokens.strings.get(i) {
            let raw = self.src.get(start..end).unwrap_or("");
            if string_value(raw) == value {
                self.seen(end);
                return raw_string(raw);
            }
        }
        text(quote(value))
    }

    fn label(&mut self, label: &Spanned<Vec<String>>) -> Doc {
        self.seen(label.span.end);
        text(
            label
                .node
                .iter()
                .map(|p| format!("({p})"))
                .collect::<String>(),
        )
    }

    fn ty(&mut self, ty: &Spanned<TypeExpr>) -> Doc {
        match &ty.node {
            TypeExpr::Named(id) => self.ident(id),
            TypeExpr::List(inner) => text("list of ").append(self.ty(inner)),
        }
    }

    /// A description that follows a declaration: on the same line when it fits, else on the
    /// next, indented (a string is never broken).
    fn description(&mut self, head: Doc, description: Option<&String>) -> Doc {
        match description {
            None => head,
            Some(d) => {
                let d = self.string(d);
                head.append(RcDoc::line().append(d).nest(INDENT)).group()
            }
        }
    }

    // ------------------------------------------------------------ the file

    pub(super) fn file(&mut self, file: &ast::File) -> Doc {
        let mut units = Vec::new();
        for item in &file.items {
            let provision = matches!(item, Item::Provision(_));
            let (start, end) = item_bounds(item);
            units.push(self.unit(start, end, provision, |p| p.item(item)));
        }
        let prev = self.pos;
        let (mut rest, blank_first, _) = self.comments_before(usize::MAX, prev);
        let mut doc = Self::lines(units);
        if !rest.is_empty() {
            rest.pop();
            if !file.items.is_empty() {
                doc = doc.append(RcDoc::hardline());
                if blank_first {
                    doc = doc.append(RcDoc::hardline());
                }
            }
            doc = doc.append(concat(rest));
        }
        doc
    }

    fn item(&mut self, item: &Item) -> Doc {
        match item {
            Item::Import(path) => {
                let s = self.string(&path.node);
                text("import ").append(s)
            }
            Item::Statute(s) => {
                let citation = self.string(&s.citation.node);
                let mut head = text("statute ").append(citation);
                if let Some(title) = &s.title {
                    let t = self.string(title);
                    head = head.append(RcDoc::line().append(t).nest(INDENT)).group();
                }
                head
            }
            Item::Version(v) => {
                let name = self.ident(&v.name);
                let date = self.literal(v.effective.span);
                let head = text("version ")
                    .append(name)
                    .append(text(" from "))
                    .append(date);
                self.description(head, v.enacted_by.as_ref())
            }
            Item::VersionSelector(v) => {
                let fact = self.ident(&v.fact);
                let refuse = match &v.refuse_earlier {
                    Some(why) => RcDoc::hardline()
                        .append(text("refuse earlier dates "))
                        .append(self.string(why))
                        .nest(INDENT),
                    None => RcDoc::nil(),
                };
                let notes = self.notes(&v.notes);
                text("versions selected by ")
                    .append(fact)
                    .append(refuse)
                    .append(notes)
            }
            Item::Facts(fields) => text("facts ").append(self.block(|p| p.fields(fields))),
            Item::Outcomes(outcomes) => {
                text("outcomes ").append(self.block(|p| p.outcomes(outcomes)))
            }
            Item::Enum(e) => self.enum_decl(e),
            Item::Record(r) => self.record(r),
            Item::Table(t) => self.table(t),
            Item::Function(f) => self.function(f),
            Item::Provision(p) => self.provision(p),
        }
    }

    /// `function name(a: T, …): T "description" = body`, the body laid out as a rule's value is.
    fn function(&mut self, f: &ast::FunctionDecl) -> Doc {
        let name = self.ident(&f.name);
        let mut params = Vec::new();
        for (i, (pname, pty)) in f.params.iter().enumerate() {
            if i > 0 {
                params.push(text(", "));
            }
            params.push(self.ident(pname).append(text(": ")).append(self.ty(pty)));
        }
        let head = text("function ")
            .append(name)
            .append(text("("))
            .append(concat(params))
            .append(text("): "))
            .append(self.ty(&f.ty));
        let value = self.expr(&f.body);
        if let Some(d) = &f.description {
            // With a description, each part on its own line: the head, what it means, its body.
            let d = self.string(d);
            return head.append(
                RcDoc::hardline()
                    .append(d)
                    .append(RcDoc::hardline())
                    .append(text("= "))
                    .append(value)
                    .nest(INDENT),
            );
        }
        let hugs = matches!(
            f.body.node,
            ExprKind::Comprehension { .. } | ExprKind::List(_)
        );
        if hugs {
            head.append(text(" = ")).append(value)
        } else {
            head.append(text(" ="))
                .append(RcDoc::line().append(value).nest(2 * INDENT).group())
        }
    }

    fn fields(&mut self, fields: &[Field]) -> Vec<Unit> {
        fields
            .iter()
            .map(|f| self.unit(Some(f.name.span.start), None, false, |p| p.field(f)))
            .collect()
    }

    fn field(&mut self, f: &Field) -> Doc {
        let name = self.ident(&f.name);
        let ty = self.ty(&f.ty);
        let mut head = name.append(text(": ")).append(ty);
        if f.optional {
            head = head.append(text(" optional"));
        }
        if let Some(d) = &f.default {
            let d = self.expr(d);
            head = head.append(text(" default ")).append(d);
        }
        if f.nonempty {
            head = head.append(text(" nonempty"));
        }
        self.skip_words(&["optional", "nonempty"]);
        if let Some(u) = &f.unique {
            head = head.append(text(match &u.by {
                Some(by) => format!(" unique by {}", by.node),
                None => " unique".to_string(),
            }));
            self.pos = self.pos.max(u.span.end);
        }
        for l in &f.limits {
            head = match &l.kind {
                LimitKind::AtLeast(e) => {
                    let e = self.expr(e);
                    head.append(text(" at least ")).append(e)
                }
                LimitKind::AtMost(e) => {
                    let e = self.expr(e);
                    head.append(text(" at most ")).append(e)
                }
                LimitKind::Decimals(Some(n)) => head.append(text(format!(" decimals {n}"))),
                // Too large to read: kept as written, for the checker to report.
                LimitKind::Decimals(None) => {
                    let written = self.src.get(l.span.start..l.span.end).unwrap_or("decimals");
                    let words: Vec<&str> = written.split_whitespace().collect();
                    head.append(text(format!(" {}", words.join(" "))))
                }
            };
            self.pos = self.pos.max(l.span.end);
        }
        self.description(head, f.description.as_ref())
    }

    /// Moves the cursor over the keywords in `words` that follow it (the tree keeps `optional`
    /// and `nonempty` as flags, without a span).
    fn skip_words(&mut self, words: &[&str]) {
        loop {
            let i = self.tokens.code.partition_point(|t| t.0 < self.pos);
            let Some(&(start, end)) = self.tokens.code.get(i) else {
                return;
            };
            let word = self.src.get(start..end).unwrap_or("");
            let between = self.src.get(self.pos..start).unwrap_or("");
            if words.contains(&word) && between.trim().is_empty() {
                self.seen(end);
            } else {
                return;
            }
        }
    }

    fn outcomes(&mut self, outcomes: &[Outcome]) -> Vec<Unit> {
        outcomes
            .iter()
            .map(|o| {
                self.unit(Some(o.name.span.start), None, false, |p| {
                    let name = p.ident(&o.name);
                    let ty = p.ty(&o.ty);
                    let head = name.append(text(": ")).append(ty);
                    p.description(head, o.description.as_ref())
                })
            })
            .collect()
    }

    fn enum_decl(&mut self, e: &EnumDecl) -> Doc {
        let name = self.ident(&e.name);
        let head = text("enum ").append(name).append(text(" "));
        let close = self.find_code_byte(b'}').unwrap_or(self.src.len());
        let commented = self.peek_comment().is_some_and(|c| c.start < close);
        if commented {
            // Comments among the members: one member per line, each with its comments.
            let members = self.block(|p| {
                e.members
                    .iter()
                    .map(|m| {
                        p.unit(Some(m.span.start), None, false, |p| {
                            p.ident(m).append(text(","))
                        })
                    })
                    .collect()
            });
            return head.append(members);
        }
        self.open_brace();
        let members: Vec<Doc> = e.members.iter().map(|m| self.ident(m)).collect();
        let _ = self.close_brace();
        if members.is_empty() {
            return head.append(text("{}"));
        }
        let list = RcDoc::intersperse(members, text(",").append(RcDoc::line()));
        head.append(
            text("{")
                .append(
                    RcDoc::line()
                        .append(list)
                        .append(text(",").flat_alt(RcDoc::nil()))
                        .nest(INDENT),
                )
                .append(RcDoc::line())
                .append(text("}"))
                .group(),
        )
    }

    fn record(&mut self, r: &RecordDecl) -> Doc {
        let name = self.ident(&r.name);
        let fields = self.block(|p| p.fields(&r.fields));
        text("record ")
            .append(name)
            .append(text(" "))
            .append(fields)
    }

    fn table(&mut self, t: &TableDecl) -> Doc {
        let name = self.ident(&t.name);
        let key = self.ty(&t.key_ty);
        let value = self.ty(&t.value_ty);
        let mut tail = Vec::new();
        if let Some(d) = &t.description {
            tail.push(RcDoc::line().append(self.string(d)));
        }
        let source = self.string(&t.source);
        tail.push(RcDoc::line().append(text("source ")).append(source));
        let head = text("table ")
            .append(name)
            .append(text(if t.from { ": from " } else { ": " }))
            .append(key)
            .append(text(" -> "))
            .append(value)
            .append(concat(tail).nest(INDENT))
            .append(RcDoc::line())
            .group();
        let rows = self.block(|p| {
            t.rows
                .iter()
                .map(|row| {
                    let end = row
                        .cites
                        .as_ref()
                        .map_or(row.value.span.end, |c| c.span.end);
                    p.unit(Some(row.key.span.start), Some(end), false, |p| {
                        let k = p.expr(&row.key);
                        let v = p.expr(&row.value);
                        let line = k.append(text(" => ")).append(v);
                        match &row.cites {
                            Some(c) => line.append(text(" cites ")).append(p.string(&c.node)),
                            None => line,
                        }
                    })
                })
                .collect()
        });
        head.append(rows)
    }

    fn notes(&mut self, notes: &[String]) -> Doc {
        let docs = notes
            .iter()
            .map(|n| {
                let s = self.string(n);
                RcDoc::hardline()
                    .append(text("note "))
                    .append(s)
                    .nest(INDENT)
            })
            .collect();
        concat(docs)
    }

    fn provision(&mut self, p: &Provision) -> Doc {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.provision_here(p))
    }

    fn provision_here(&mut self, p: &Provision) -> Doc {
        let mut head = self.label(&p.label);
        if let Some(h) = &p.heading {
            head = head.append(text(" ")).append(self.string(h));
        }
        if let Some(v) = &p.in_version {
            head = head.append(text(" in ")).append(self.ident(v));
        }
        let body = self.block(|printer| {
            p.body
                .iter()
                .map(|item| match item {
                    ProvisionItem::Rule(r) => {
                        printer.unit(Some(r.span.start), Some(r.span.end), false, |pr| pr.rule(r))
                    }
                    ProvisionItem::Provision(child) => {
                        printer.unit(Some(child.span.start), None, true, |pr| pr.provision(child))
                    }
                    ProvisionItem::Text(t) => {
                        printer.unit(None, None, false, |pr| text("text ").append(pr.string(t)))
                    }
                    ProvisionItem::NotComputed(why) => printer.unit(None, None, false, |pr| {
                        text("not computed ").append(pr.string(&why.node))
                    }),
                    ProvisionItem::Disregard { fact, reason } => {
                        printer.unit(None, None, false, |pr| {
                            pr.seen(fact.span.end);
                            let reason = pr.string(reason);
                            text("disregard ")
                                .append(text(fact.node.join(".")))
                                .append(text(" "))
                                .append(reason)
                        })
                    }
                })
                .collect()
        });
        head.append(text(" ")).append(body)
    }

    fn rule(&mut self, r: &Rule) -> Doc {
        let mut head = match &r.exception_to {
            Some(label) => {
                let label = self.label(label);
                text("exception to ")
                    .append(label)
                    .append(text(": "))
                    .append(self.ident(&r.name))
            }
            None => text("rule ").append(self.ident(&r.name)),
        };
        if let Some(ty) = &r.declared_type {
            head = head.append(text(": ")).append(self.ty(ty));
        }
        let value = self.expr(&r.value);
        // An aggregate or a list starts after `= ` and breaks inside its brackets, as
        // `rule x = any(` does: its lines are its terms. Any other value (a call too: its
        // arguments read best on one line): on the same line when it fits; else on the next
        // line, indented twice, and broken inside only if it still does not fit.
        let hugs = matches!(
            r.value.node,
            ExprKind::Comprehension { .. } | ExprKind::List(_)
        );
        let mut doc = if hugs {
            head.append(text(" = ")).append(value)
        } else {
            head.append(text(" ="))
                .append(RcDoc::line().append(value).nest(2 * INDENT).group())
        };
        if let Some(c) = &r.condition {
            let c = self.expr(c);
            doc = doc.append(
                RcDoc::hardline()
                    .append(text("when "))
                    .append(c)
                    .nest(INDENT),
            );
        }
        for c in &r.cites {
            let mut line = text("cites ").append(self.string(&c.citation.node));
            if let Some(v) = &c.version {
                line = line.append(text(" in ")).append(self.ident(v));
            }
            doc = doc.append(RcDoc::hardline().append(line).nest(INDENT));
        }
        doc.append(self.notes(&r.notes))
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, e: &Expr) -> Doc {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.expr_here(e))
    }

    /// `e`, in brackets when it binds less tightly than its place needs.
    fn operand(&mut self, e: &Expr, needs_brackets: bool) -> Doc {
        let doc = self.expr(e);
        if needs_brackets {
            text("(").append(doc).append(text(")"))
        } else {
            doc
        }
    }

    fn expr_here(&mut self, e: &Expr) -> Doc {
        let doc = match &e.node {
            ExprKind::Bool(b) => text(if *b { "true" } else { "false" }),
            ExprKind::Integer(_)
            | ExprKind::Decimal(_)
            | ExprKind::Money(_)
            | ExprKind::Date(_)
            | ExprKind::Citation(_) => text(self.raw(e.span)),
            ExprKind::Text(value) => self.string(value),
            ExprKind::Name(id) => self.ident(id),
            ExprKind::Field(base, name) => {
                let base = self.operand(base, precedence(&base.node) < POSTFIX);
                base.append(text(".")).append(self.ident(name))
            }
            ExprKind::Index(base, key) => {
                let base = self.operand(base, precedence(&base.node) < POSTFIX);
                let key = self.expr(key);
                base.append(text("[")).append(key).append(text("]"))
            }
            ExprKind::Unary(op, operand) => {
                let (symbol, least) = match op {
                    UnaryOp::Not => ("not ", NOT),
                    UnaryOp::Neg => ("-", NEG),
                };
                let inner = self.operand(operand, precedence(&operand.node) < least);
                text(symbol).append(inner)
            }
            ExprKind::Binary(op, _, _) => self.chain(e, binary_precedence(*op)),
            ExprKind::If(c, a, b) => {
                let c = self.expr(c);
                let a = self.expr(a);
                let b = self.expr(b);
                text("if ")
                    .append(c)
                    .append(
                        RcDoc::line()
                            .append(text("then "))
                            .append(a)
                            .append(RcDoc::line())
                            .append(text("else "))
                            .append(b)
                            .nest(INDENT),
                    )
                    .group()
            }
            ExprKind::Call(name, args) => {
                let name = self.ident(name);
                let args: Vec<Doc> = args.iter().map(|a| self.expr(a)).collect();
                bracketed(name.append(text("(")), args, ")", false)
            }
            ExprKind::List(items) => {
                let items: Vec<Doc> = items
                    .iter()
                    .map(|item| match item {
                        ListItem::Single(e) => self.expr(e),
                        ListItem::Range { start, end } => {
                            let start = self.expr(start);
                            let end = self.literal(end.span);
                            start.append(text(" through ")).append(end)
                        }
                    })
                    .collect();
                bracketed(text("["), items, "]", true)
            }
            ExprKind::Comprehension {
                aggregate,
                element,
                var,
                source,
                filter,
            } => {
                let aggregate = self.ident(aggregate);
                let element = self.expr(element);
                let var = self.ident(var);
                let source = self.expr(source);
                let mut inner = element
                    .append(RcDoc::line())
                    .append(text("for "))
                    .append(var)
                    .append(text(" in "))
                    .append(source);
                if let Some(f) = filter {
                    let f = self.expr(f);
                    inner = inner.append(RcDoc::line()).append(text("if ")).append(f);
                }
                aggregate
                    .append(text("("))
                    .append(RcDoc::line_().append(inner).nest(INDENT))
                    .append(RcDoc::line_())
                    .append(text(")"))
                    .group()
            }
        };
        self.seen(e.span.end);
        doc
    }

    /// A chain of operators of one precedence, `a and b and c`: on one line when it fits, else
    /// one operator per line, each line starting with its operator, indented.
    fn chain(&mut self, e: &Expr, level: u8) -> Doc {
        // The chain is left-nested: ((a and b) and c). Walk down the left side.
        let mut rights = Vec::new();
        let mut first = e;
        while let ExprKind::Binary(op, l, r) = &first.node {
            if binary_precedence(*op) != level {
                break;
            }
            rights.push((*op, r.as_ref()));
            first = l;
        }
        rights.reverse();
        // An `and` inside an `or` keeps its brackets although precedence does not need them:
        // `a or (b and c)` is how a reader of the statute checks which conditions go together.
        let and_in_or = |x: &Expr| {
            level == binary_precedence(BinaryOp::Or)
                && precedence(&x.node) == binary_precedence(BinaryOp::And)
        };
        let first = self.operand(first, precedence(&first.node) < level || and_in_or(first));
        let mut rest = Vec::with_capacity(rights.len());
        for (op, r) in rights {
            let r = self.operand(r, precedence(&r.node) <= level || and_in_or(r));
            rest.push(
                RcDoc::line()
                    .append(text(op.symbol()))
                    .append(text(" "))
                    .append(r),
            );
        }
        first.append(concat(rest).nest(INDENT)).group()
    }
}

/// `open`, the items separated by commas, `close`: on one line when it fits, else one item per
/// line, indented (with a trailing comma where the grammar allows one).
fn bracketed(open: Doc, items: Vec<Doc>, close: &'static str, trailing_comma: bool) -> Doc {
    if items.is_empty() {
        return open.append(text(close));
    }
    let list = RcDoc::intersperse(items, text(",").append(RcDoc::line()));
    let comma = if trailing_comma {
        text(",").flat_alt(RcDoc::nil())
    } else {
        RcDoc::nil()
    };
    open.append(RcDoc::line_().append(list).append(comma).nest(INDENT))
        .append(RcDoc::line_())
        .append(text(close))
        .group()
}

// Precedence, loosest first, as the parser's Pratt table has it.
const IF: u8 = 0;
const NOT: u8 = 3;
const NEG: u8 = 7;
const POSTFIX: u8 = 8;

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::Within
        | BinaryOp::In
        | BinaryOp::NotIn => 4,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div => 6,
    }
}

fn precedence(e: &ExprKind) -> u8 {
    match e {
        ExprKind::If(..) => IF,
        ExprKind::Binary(op, _, _) => binary_precedence(*op),
        ExprKind::Unary(UnaryOp::Not, _) => NOT,
        ExprKind::Unary(UnaryOp::Neg, _) => NEG,
        _ => POSTFIX,
    }
}

/// Where an item starts, when the tree knows, and where it ends, when the tree knows (a unit
/// whose end is known gets the comments inside it printed above it).
fn item_bounds(item: &Item) -> (Option<usize>, Option<usize>) {
    match item {
        Item::Statute(s) => (Some(s.span.start), Some(s.span.end)),
        Item::VersionSelector(v) => (Some(v.span.start), Some(v.span.end)),
        Item::Provision(p) => (Some(p.span.start), None),
        Item::Function(f) => (Some(f.span.start), Some(f.span.end)),
        _ => (None, None),
    }
}

/// The value of a string literal as the parser reads it (quotes included in `raw`).
pub(super) fn string_value(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    crate::syntax::string_value(inner)
}

/// A string written as it was. A text written over several lines keeps its lines; each
/// continuation line is indented with the code around it (the parser folds a line break and
/// the spaces around it into one space, so the value is the same).
fn raw_string(raw: &str) -> Doc {
    let mut lines = raw.split('\n');
    let first = lines.next().unwrap_or("");
    let mut docs = vec![text(first.trim_end_matches('\r'))];
    for line in lines {
        docs.push(RcDoc::hardline());
        docs.push(text(line.trim()));
    }
    concat(docs)
}

/// `value` as a string literal.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
