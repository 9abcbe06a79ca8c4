//! Parsing: `.law` source text in, [`ast::File`] out.
//!
//! The only module that touches pest. pest's spans become [`Span`]s at once,
//! and pest's "expected …" lists are rewritten into words a legal engineer
//! knows (see `describe_rule`).

pub mod ast;
pub mod load;

use crate::citation::Citation;
use crate::source::{FileId, Span};
use ast::{Expr, ExprKind, Ident, Item, ListItem, ProvisionItem, RangeEnd, Spanned};
use miette::{Diagnostic, NamedSource, SourceSpan};
use pest::Parser as _;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use rust_decimal::Decimal;

use std::sync::LazyLock;
use thiserror::Error;

/// The parser pest derives from the grammar, in a module of its own: the `Rule` enum it
/// generates is public, and must not become part of the crate's API.
mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/law.pest"]
    pub(super) struct LawParser;
}
use grammar::{LawParser, Rule};

/// Deepest nesting of expressions and provisions a rule file may use. Deeper input
/// is rejected before it can exhaust the stack.
pub const MAX_NESTING: usize = 64;

/// A rule file that cannot be read as `.law` syntax.
#[derive(Debug, Error, Diagnostic)]
pub enum ParseError {
    /// The text does not match the grammar (`lawcode::parse::syntax`).
    #[error("{message}")]
    #[diagnostic(code(lawcode::parse::syntax), help("{help}"))]
    Syntax {
        /// What was found and what was expected there, in a legal engineer's words.
        message: String,
        /// How to fix it.
        help: String,
        /// The file, with its whole text.
        #[source_code]
        src: NamedSource<String>,
        /// Where parsing stopped.
        #[label("{label}")]
        at: SourceSpan,
        /// The label's text at `at`.
        label: String,
    },
    /// The grammar matched but a literal's value is wrong (`lawcode::parse::literal`): an
    /// impossible date, money with more than two decimals, a malformed citation and the like.
    #[error("{message}")]
    #[diagnostic(code(lawcode::parse::literal), help("{help}"))]
    Literal {
        /// What is wrong with the literal.
        message: String,
        /// How to write it instead.
        help: String,
        /// The file, with its whole text.
        #[source_code]
        src: NamedSource<String>,
        /// The literal.
        #[label("here")]
        at: SourceSpan,
    },
    /// A `{`, `(`, `[` or string is never closed (`lawcode::parse::unclosed`).
    #[error("{what} opened here is never closed")]
    #[diagnostic(code(lawcode::parse::unclosed), help("{help}"))]
    Unclosed {
        /// What was opened, e.g. `the parenthesis`.
        what: &'static str,
        /// How to close it, e.g. "close it with `)`".
        help: &'static str,
        /// The file, with its whole text.
        #[source_code]
        src: NamedSource<String>,
        /// The opening character.
        #[label(primary, "opened here")]
        opened: SourceSpan,
        /// The file's last byte.
        #[label("the file ends before it is closed")]
        end: SourceSpan,
    },
    /// Nesting passes the limits (`lawcode::parse::too_deep`): brackets and prefix operators
    /// ([`MAX_NESTING`]) are counted on the text before pest runs, so deep input cannot exhaust
    /// the stack; expression depth ([`MAX_EXPR_DEPTH`]) is checked on each parsed rule.
    #[error(
        "rule file nests too deeply (more than {} brackets, {MAX_NESTING} prefix operators in a row, or an expression nested deeper than {MAX_EXPR_DEPTH})",
        MAX_NESTING * 2
    )]
    #[diagnostic(
        code(lawcode::parse::too_deep),
        help("split the expression into named rules; each rule can refer to the others by name")
    )]
    TooDeep {
        /// The file, with its whole text.
        #[source_code]
        src: NamedSource<String>,
        /// Where nesting passes the limit: the bracket or operator, or the too-deep sub-expression.
        #[label("nesting passes the limit here")]
        at: SourceSpan,
    },
    /// A chain of one operator joins more than [`MAX_CHAIN_LEN`] terms
    /// (`lawcode::parse::too_long`).
    #[error("an expression joins more than {MAX_CHAIN_LEN} terms with one operator")]
    #[diagnostic(
        code(lawcode::parse::too_long),
        help("split the chain into named rules (subtotals), each adding part of the terms")
    )]
    TooLong {
        /// The file, with its whole text.
        #[source_code]
        src: NamedSource<String>,
        /// The term that passes the limit.
        #[label("the chain passes the limit here")]
        at: SourceSpan,
    },
}

/// Parses one file's text. `name` is what diagnostics show as the file name.
pub fn parse_file(file: FileId, name: &str, text: &str) -> Result<ast::File, ParseError> {
    let src = || NamedSource::new(name, text.to_string());
    if let Some(at) = nesting_too_deep(text) {
        return Err(ParseError::TooDeep {
            src: src(),
            at: SourceSpan::new(at.into(), 1),
        });
    }
    let mut pairs = LawParser::parse(Rule::file, text).map_err(|e| match unclosed(text, &e) {
        Some((what, help, at)) => ParseError::Unclosed {
            what,
            help,
            src: src(),
            opened: SourceSpan::new(at.into(), 1),
            end: SourceSpan::new(text.len().saturating_sub(1).into(), 1),
        },
        None => syntax_error(e, src()),
    })?;
    let lower = Lower { file, name, text };
    let mut items = Vec::new();
    if let Some(file_pair) = pairs.next() {
        for pair in file_pair.into_inner() {
            if pair.as_rule() == Rule::EOI {
                continue;
            }
            items.push(lower.item(pair)?);
        }
    }
    Ok(ast::File { file, items })
}

/// Deepest expression tree a rule may hold (operators, calls and brackets together).
pub const MAX_EXPR_DEPTH: usize = 100;

/// Most terms one chain of an operator may join (`a + b + … + z`, a schedule of line items).
pub const MAX_CHAIN_LEN: usize = 10_000;

/// The span of a node nested deeper than `limit` in `e`, found without recursion. A chain of
/// one operator (`a + b - c + …`, `x or y or …`) is one level, however long: it is parsed as
/// left operands nested in each other, but nothing about it is nested for the reader.
fn deeper_than(e: &Expr, limit: usize) -> Option<Span> {
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth > limit {
            return Some(e.span);
        }
        match &e.node {
            ExprKind::Binary(op, a, b) => {
                let chained =
                    matches!(&a.node, ExprKind::Binary(inner, ..) if same_chain(*op, *inner));
                stack.push((a, if chained { depth } else { depth + 1 }));
                stack.push((b, depth + 1));
            }
            _ => stack.extend(children(e).into_iter().map(|c| (c, depth + 1))),
        }
    }
    None
}

/// The span of the chain of one operator in `e` with more than `limit` terms, if any, found
/// without recursion.
fn chain_longer_than(e: &Expr, limit: usize) -> Option<Span> {
    // Each node with the number of terms of the chain it continues (0: it starts none).
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 0)];
    while let Some((e, terms)) = stack.pop() {
        match &e.node {
            ExprKind::Binary(op, a, b) => {
                let terms = terms.max(1) + 1;
                if terms > limit {
                    // The first term past the limit.
                    return Some(b.span);
                }
                let chained =
                    matches!(&a.node, ExprKind::Binary(inner, ..) if same_chain(*op, *inner));
                stack.push((a, if chained { terms } else { 0 }));
                stack.push((b, 0));
            }
            _ => stack.extend(children(e).into_iter().map(|c| (c, 0))),
        }
    }
    None
}

/// Operators of one precedence that chain without brackets: `+` and `-`, `*` and `/`, `and`,
/// `or`. (A comparison of a comparison, `a = b = c`, is nesting.)
fn same_chain(a: ast::BinaryOp, b: ast::BinaryOp) -> bool {
    use ast::BinaryOp::*;
    let group = |op| match op {
        Or => Some(0),
        And => Some(1),
        Add | Sub => Some(2),
        Mul | Div => Some(3),
        _ => None,
    };
    group(a).is_some() && group(a) == group(b)
}

/// The direct sub-expressions of `e`.
fn children(e: &Expr) -> Vec<&Expr> {
    match &e.node {
        ExprKind::Field(x, _) | ExprKind::Unary(_, x) => vec![x],
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => vec![a, b],
        ExprKind::If(a, b, c) => vec![a, b, c],
        ExprKind::Call(_, args) => args.iter().collect(),
        ExprKind::Comprehension {
            element,
            source,
            filter,
            ..
        } => {
            let mut v: Vec<&Expr> = vec![element, source];
            v.extend(filter.as_deref());
            v
        }
        ExprKind::List(items) => items
            .iter()
            .map(|i| match i {
                ListItem::Single(x) | ListItem::Range { start: x, .. } => x,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Where the text `start..end` ends once trailing spaces and comments are dropped.
fn token_end(text: &str, start: usize, end: usize) -> usize {
    let Some(s) = text.get(start..end) else {
        return end;
    };
    let blank = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let trimmed = s.trim_end_matches(blank);
    // A comment is skipped together with the line break after it, so a span that ends in
    // neither spaces nor the end of the file ends at a token.
    if trimmed.len() == s.len() && end != text.len() {
        return end;
    }
    let last_line = trimmed.rfind('\n').map_or(0, |i| i + 1);
    if !trimmed.get(last_line..).is_some_and(|l| l.contains("//")) {
        return start + trimmed.len();
    }
    // The last line may end in a comment: find the last byte outside comments, reading texts
    // (which may hold `//`) as they are.
    let (mut last, mut in_string, mut escaped, mut in_comment) = (0, false, false, false);
    let bytes = trimmed.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_comment {
            in_comment = b != b'\n';
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            in_comment = true;
            continue;
        }
        if !blank(char::from(b)) {
            last = i + 1;
        }
    }
    start + last
}

/// The innermost bracket or text literal still open at the end of the file, if any:
/// what it is, how to fix it, and where it opened.
///
/// A text left open swallows the rest of the file, so it is always the likely cause; an open
/// bracket is reported only when the parser ran into the end of the file.
fn unclosed(
    text: &str,
    error: &pest::error::Error<Rule>,
) -> Option<(&'static str, &'static str, usize)> {
    let error_at = match error.location {
        pest::error::InputLocation::Pos(p) | pest::error::InputLocation::Span((p, _)) => p,
    };
    let at_end = text
        .get(error_at..)
        .is_none_or(|rest| rest.trim().is_empty());
    let mut open: Vec<(char, usize)> = Vec::new();
    let mut string_at: Option<usize> = None;
    let mut escaped = false;
    let mut in_comment = false;
    let mut prev = '\0';
    for (i, ch) in text.char_indices() {
        if in_comment {
            in_comment = ch != '\n';
        } else if string_at.is_some() {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                string_at = None;
            }
        } else {
            match ch {
                '"' => string_at = Some(i),
                '/' if prev == '/' => in_comment = true,
                '(' | '[' | '{' => open.push((ch, i)),
                ')' | ']' | '}' => {
                    open.pop();
                }
                _ => {}
            }
        }
        prev = ch;
    }
    if let Some(at) = string_at {
        return Some((
            "the text",
            "close the text with a `\"`; write a quote inside a text as `\\\"`",
            at,
        ));
    }
    if !at_end {
        return None;
    }
    open.last().map(|&(ch, at)| match ch {
        '{' => (
            "the block",
            "close the block with `}`; every `{` of a provision, record or table needs one",
            at,
        ),
        '(' => ("the parenthesis", "close it with `)`", at),
        _ => ("the list", "close the list with `]`", at),
    })
}

/// Counts bracket nesting outside strings and comments, so that a hostile file
/// cannot drive the recursive-descent parser into a stack overflow.
fn nesting_too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut in_comment = false;
    // Consecutive prefix operators (`not not not …`, `----x`) nest without brackets,
    // and pest parses them recursively too.
    let mut prefix_run = 0usize;
    let mut word = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if in_comment {
            in_comment = ch != '\n';
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
            continue;
        }
        if ch.is_ascii_alphanumeric() || ch == '_' {
            word.push(ch);
            continue;
        }
        if !word.is_empty() {
            prefix_run = if word == "not" { prefix_run + 1 } else { 0 };
            word.clear();
        }
        match ch {
            '"' => in_string = true,
            '/' if chars.peek().is_some_and(|(_, c)| *c == '/') => in_comment = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING * 2 {
                    return Some(i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '-' => prefix_run += 1,
            c if c.is_whitespace() => {}
            _ => prefix_run = 0,
        }
        if prefix_run > MAX_NESTING {
            return Some(i);
        }
    }
    None
}

fn syntax_error(e: pest::error::Error<Rule>, src: NamedSource<String>) -> ParseError {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, e)) => (s, e),
    };
    let found = src_found(&src, start);
    let (message, help, label) = match &e.variant {
        // Only a provision's heading is followed by `in version`: the `{` is missing.
        pest::error::ErrorVariant::ParsingError { positives, .. }
            if positives.contains(&Rule::in_version) =>
        {
            let (citation, own) = provision_opened_at(src.inner(), start);
            let (citation, own) = if own.is_empty() {
                ("the provision".to_string(), "(a)".to_string())
            } else {
                (citation, own)
            };
            (
                format!("expected `{{` to open provision {citation}, found {found}"),
                format!(
                    "open the provision's body after its heading and close it after its last rule: `{own} \"Heading\" {{ … }}`"
                ),
                "expected `{`".to_string(),
            )
        }
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = positives.iter().map(|r| describe_rule(*r)).collect();
            words.sort_unstable();
            words.dedup();
            let expected = join_or(&words);
            (
                format!("expected {expected}, found {found}"),
                help_for(positives),
                format!("expected {expected}"),
            )
        }
        pest::error::ErrorVariant::CustomError { message } => (
            message.clone(),
            "check the syntax against the tour in README.md".to_string(),
            "here".to_string(),
        ),
    };
    let len = end.saturating_sub(start).max(found_len(&src, start));
    ParseError::Syntax {
        message,
        help,
        src,
        at: SourceSpan::new(start.into(), len),
        label,
    }
}

/// The citation, relative to the statute, of the provision whose label is the last one
/// before `at` (`(b)(1)` for `(b) { (1) "Heading"` ending at `at`): the labels of the
/// provisions still open there, then its own; and its own label as written. Read without the
/// parser, which failed there.
fn provision_opened_at(text: &str, at: usize) -> (String, String) {
    let text = text.get(..at).unwrap_or(text);
    // One entry per open `{`: the label of the provision it opened, if it opened one.
    let mut open: Vec<Option<String>> = Vec::new();
    let mut pending: Option<String> = None;
    let mut prev = '\0';
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '"' => {
                // A heading between the label and its `{` keeps the label pending.
                let mut escaped = false;
                for (_, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                prev = '"';
                continue;
            }
            '/' if chars.peek().is_some_and(|(_, c)| *c == '/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                prev = '\n';
                continue;
            }
            '(' if !(prev.is_alphanumeric() || prev == '_') => {
                let rest = text.get(i + 1..).unwrap_or("");
                let part: String = rest
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                if !part.is_empty() && rest.get(part.len()..).is_some_and(|r| r.starts_with(')')) {
                    let label = format!("({part})");
                    // `(b)(1)`: parts written together make one label.
                    pending = match pending.take() {
                        Some(p) if prev == ')' => Some(p + &label),
                        _ => Some(label),
                    };
                    for _ in 0..part.len() + 1 {
                        chars.next();
                    }
                    prev = ')';
                    continue;
                }
                pending = None;
            }
            '{' => open.push(pending.take()),
            '}' => {
                open.pop();
                pending = None;
            }
            c if c.is_whitespace() || c.is_alphanumeric() || c == '_' => {}
            _ => pending = None,
        }
        prev = ch;
    }
    let own = pending.unwrap_or_default();
    let mut citation: String = open.into_iter().flatten().collect();
    citation.push_str(&own);
    (citation, own)
}

fn src_found(src: &NamedSource<String>, at: usize) -> String {
    let text = src.inner().get(at..).unwrap_or("");
    let token: String = text
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(20)
        .collect();
    if token.is_empty() {
        "the end of the file".to_string()
    } else {
        format!("`{token}`")
    }
}

fn found_len(src: &NamedSource<String>, at: usize) -> usize {
    let text = src.inner().get(at..).unwrap_or("");
    text.chars()
        .take_while(|c| !c.is_whitespace())
        .map(char::len_utf8)
        .sum::<usize>()
        .clamp(1, 40)
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn help_for(positives: &[Rule]) -> String {
    if positives.contains(&Rule::EOI) || positives.contains(&Rule::provision) {
        return "a file holds `statute`, `version`, `facts { … }`, `outcomes { … }`, `enum`, `record`, `table`, `import` and provisions like `(a) \"Heading\" { … }`".to_string();
    }
    if positives.iter().any(|r| {
        matches!(
            r,
            Rule::rule | Rule::exception | Rule::text | Rule::not_computed
        )
    }) {
        return "a provision holds `text \"…\"`, `rule name = …`, `exception to (b)(1): name = …`, `not computed \"why\"`, `disregard fact \"why\"` and nested provisions".to_string();
    }
    if positives.contains(&Rule::expr) || positives.contains(&Rule::postfix_expr) {
        return "an expression is a name, a literal like `$3,000`, `true` or `2018-12-07`, or a combination like `min(a, b)` or `a + b`".to_string();
    }
    "check the syntax against the tour in README.md".to_string()
}

/// Grammar rules in the words a legal engineer uses.
fn describe_rule(grammar_rule: Rule) -> &'static str {
    match grammar_rule {
        Rule::EOI => "the end of the file",
        Rule::file | Rule::item => "a declaration",
        Rule::import => "`import \"file.law\"`",
        Rule::statute => "`statute \"citation\" \"title\"`",
        Rule::version => "`version name from YYYY-MM-DD`",
        Rule::version_selector => "`versions selected by fact`",
        Rule::facts_block => "`facts { … }`",
        Rule::outcomes_block => "`outcomes { … }`",
        Rule::outcome => "an outcome like `name: money \"meaning\"`",
        Rule::enum_decl => "`enum name { … }`",
        Rule::record_decl => "`record name { … }`",
        Rule::field => "a field like `name: money \"meaning\"`",
        Rule::optional_mark => "`optional`",
        Rule::default_value => "`default …`",
        Rule::nonempty_mark => "`nonempty`",
        Rule::type_expr | Rule::list_type | Rule::named_type => {
            "a type like `money` or `list of conviction`"
        }
        Rule::table_decl => "`table name: key -> value`",
        Rule::source => "`source \"where the data comes from\"`",
        Rule::table_row => "a table row like `2017 => 245.120`",
        Rule::provision => "a provision like `(a) \"Heading\" { … }`",
        Rule::provision_label | Rule::label_part => "a provision label like `(b)(2)`",
        Rule::in_version => "`in version_name`",
        Rule::provision_item => "a rule, exception, text or nested provision",
        Rule::text => "`text \"…\"`",
        Rule::not_computed => "`not computed \"why\"`",
        Rule::disregard => "`disregard fact.path \"why\"`",
        Rule::fact_path => "a fact name like `victim.other_compensation`",
        Rule::rule => "`rule name = …`",
        Rule::exception => "`exception to (b)(1): name = …`",
        Rule::type_annotation => "`: type`",
        Rule::condition => "`when condition`",
        Rule::note => "`note \"…\"`",
        Rule::expr | Rule::postfix_expr => "an expression",
        Rule::or_op => "`or`",
        Rule::and_op => "`and`",
        Rule::within_op => "`within`",
        Rule::in_op => "`in`",
        Rule::not_in_op => "`not in`",
        Rule::le | Rule::ge | Rule::ne | Rule::eq | Rule::lt | Rule::gt => {
            "a comparison like `=` or `<=`"
        }
        Rule::add | Rule::sub | Rule::mul | Rule::div => "an operator like `+` or `*`",
        Rule::not_op => "`not`",
        Rule::neg => "`-`",
        Rule::field_access => "`.field`",
        Rule::index => "`[key]`",
        Rule::if_expr => "`if … then … else …`",
        Rule::comprehension => "`for x in list` (as in `sum(x.amount for x in list if condition)`)",
        Rule::call | Rule::call_open => "a function call like `min(a, b)`",
        Rule::list_lit | Rule::list_item => "a list like `[§2251(d), §2252]`",
        Rule::bool_lit => "`true` or `false`",
        Rule::money_lit | Rule::digits_grouped => "a money amount like `$3,000` or `$3000.00`",
        Rule::date_lit => "a date like `2018-12-07`",
        Rule::decimal_lit => "a decimal number like `245.120`",
        Rule::integer_lit => "a whole number like `2017`",
        Rule::citation_lit | Rule::citation_body => "a provision citation like `§2252A(a)(5)`",
        Rule::keyword => "a keyword",
        Rule::kw_if => "`if`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
        Rule::kw_through => "`through`",
        Rule::kw_when => "`when`",
        Rule::kw_note => "`note`",
        Rule::ident => "a name like `full_amount_of_losses`",
        Rule::string | Rule::string_inner => "a quoted text like `\"Directions\"`",
        Rule::WHITESPACE | Rule::COMMENT | Rule::BOM => "a space",
        Rule::field_option
        | Rule::infix
        | Rule::prefix
        | Rule::postfix
        | Rule::primary
        | Rule::ident_char => "more input",
    }
}

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left)
            | Op::infix(Rule::within_op, Assoc::Left)
            | Op::infix(Rule::in_op, Assoc::Left)
            | Op::infix(Rule::not_in_op, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
});

/// Lowering: one function per grammar rule, from pest pairs to AST nodes.
struct Lower<'a> {
    file: FileId,
    name: &'a str,
    text: &'a str,
}

type Result<T, E = ParseError> = std::result::Result<T, E>;

impl Lower<'_> {
    /// The span of `pair`, ending at its last token: a pair whose grammar rule ends in an
    /// optional part (`rule x = 1` then no `when`) also holds the spaces and comments pest
    /// skipped while looking for it, and an underline must not run on to the next line.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(
            self.file,
            s.start(),
            token_end(self.text, s.start(), s.end()),
        )
    }

    fn literal_error(&self, span: Span, message: String, help: &str) -> ParseError {
        ParseError::Literal {
            message,
            help: help.to_string(),
            src: NamedSource::new(self.name, self.text.to_string()),
            at: span.into(),
        }
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(&pair))
    }

    fn string(&self, pair: Pair<Rule>) -> String {
        string_value(pair.into_inner().next().map(|p| p.as_str()).unwrap_or(""))
    }

    fn item(&self, pair: Pair<Rule>) -> Result<Item> {
        let span = self.span(&pair);
        let grammar_rule = pair.as_rule();
        let mut inner = pair.into_inner();
        Ok(match grammar_rule {
            Rule::import => {
                let s = inner.next().map(|p| (self.span(&p), self.string(p)));
                let (sp, path) = s.unwrap_or((span, String::new()));
                Item::Import(Spanned::new(path, sp))
            }
            Rule::statute => {
                let citation = inner
                    .next()
                    .map(|p| Spanned::new(self.string(p.clone()), self.span(&p)))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                let title = inner.next().map(|p| self.string(p));
                Item::Statute(ast::Statute {
                    citation,
                    title,
                    span,
                })
            }
            Rule::version => {
                let mut name = None;
                let mut effective = None;
                let mut enacted_by = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::date_lit => {
                            effective = Some(Spanned::new(self.date(&p)?, self.span(&p)))
                        }
                        Rule::string => enacted_by = Some(self.string(p)),
                        _ => {}
                    }
                }
                match (name, effective) {
                    (Some(name), Some(effective)) => Item::Version(ast::Version {
                        name,
                        effective,
                        enacted_by,
                    }),
                    _ => {
                        return Err(self.literal_error(
                            span,
                            "incomplete version".into(),
                            "write `version name from YYYY-MM-DD`",
                        ));
                    }
                }
            }
            Rule::version_selector => {
                let mut fact = None;
                let mut notes = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => fact = Some(self.ident(p)),
                        Rule::note => notes.extend(p.into_inner().next().map(|s| self.string(s))),
                        _ => {}
                    }
                }
                Item::VersionSelector(ast::VersionSelector {
                    fact: fact.unwrap_or_else(|| Spanned::new(String::new(), span)),
                    notes,
                    span,
                })
            }
            Rule::facts_block => Item::Facts(inner.map(|p| self.field(p)).collect::<Result<_>>()?),
            Rule::outcomes_block => Item::Outcomes(
                inner
                    .map(|p| {
                        let mut parts = p.into_inner();
                        let name = self.next_ident(&mut parts, span);
                        let ty = self.type_expr(parts.next(), span);
                        let description = parts.next().map(|s| self.string(s));
                        Ok(ast::Outcome {
                            name,
                            ty,
                            description,
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
            Rule::enum_decl => {
                let name = self.next_ident(&mut inner, span);
                let members = inner.map(|p| self.ident(p)).collect();
                Item::Enum(ast::EnumDecl { name, members })
            }
            Rule::record_decl => {
                let name = self.next_ident(&mut inner, span);
                let fields = inner.map(|p| self.field(p)).collect::<Result<_>>()?;
                Item::Record(ast::RecordDecl { name, fields })
            }
            Rule::table_decl => {
                let name = self.next_ident(&mut inner, span);
                let key_ty = self.type_expr(inner.next(), span);
                let value_ty = self.type_expr(inner.next(), span);
                let mut description = None;
                let mut source = String::new();
                let mut rows = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::string => description = Some(self.string(p)),
                        Rule::source => {
                            source = p
                                .into_inner()
                                .next()
                                .map(|s| self.string(s))
                                .unwrap_or_default()
                        }
                        Rule::table_row => {
                            let row_span = self.span(&p);
                            let mut kv = p.into_inner();
                            let (Some(k), Some(v)) = (kv.next(), kv.next()) else {
                                return Err(self.literal_error(
                                    row_span,
                                    "incomplete table row".into(),
                                    "write `key => value`",
                                ));
                            };
                            rows.push((self.top_expr(k)?, self.top_expr(v)?));
                        }
                        _ => {}
                    }
                }
                Item::Table(ast::TableDecl {
                    name,
                    key_ty,
                    value_ty,
                    description,
                    source,
                    rows,
                })
            }
            Rule::provision => Item::Provision(self.provision(span, inner)?),
            other => {
                return Err(self.literal_error(
                    span,
                    format!("unexpected {}", describe_rule(other)),
                    "check the syntax against the tour in README.md",
                ));
            }
        })
    }

    fn next_ident(&self, inner: &mut Pairs<Rule>, fallback: Span) -> Ident {
        inner
            .next()
            .map(|p| self.ident(p))
            .unwrap_or_else(|| Spanned::new(String::new(), fallback))
    }

    /// The function name inside a `call_open` pair (`min(`).
    fn call_name(&self, open: Option<Pair<Rule>>, fallback: Span) -> Ident {
        match open {
            Some(p) => self.next_ident(&mut p.into_inner(), fallback),
            None => Spanned::new(String::new(), fallback),
        }
    }

    fn type_expr(&self, pair: Option<Pair<Rule>>, fallback: Span) -> Spanned<ast::TypeExpr> {
        let Some(pair) = pair else {
            return Spanned::new(
                ast::TypeExpr::Named(Spanned::new(String::new(), fallback)),
                fallback,
            );
        };
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::list_type => {
                let inner = self.type_expr(pair.into_inner().next(), span);
                Spanned::new(ast::TypeExpr::List(Box::new(inner)), span)
            }
            _ => {
                let name = pair
                    .into_inner()
                    .next()
                    .map(|p| self.ident(p))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                Spanned::new(ast::TypeExpr::Named(name), span)
            }
        }
    }

    fn field(&self, pair: Pair<Rule>) -> Result<ast::Field> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.next_ident(&mut inner, span);
        let ty = self.type_expr(inner.next(), span);
        let mut field = ast::Field {
            name,
            ty,
            optional: false,
            default: None,
            nonempty: false,
            description: None,
        };
        for p in inner {
            match p.as_rule() {
                Rule::optional_mark => field.optional = true,
                Rule::nonempty_mark => field.nonempty = true,
                Rule::default_value => {
                    if let Some(e) = p.into_inner().next() {
                        field.default = Some(self.top_expr(e)?);
                    }
                }
                Rule::string => field.description = Some(self.string(p)),
                _ => {}
            }
        }
        Ok(field)
    }

    fn label(&self, pair: Pair<Rule>) -> Spanned<Vec<String>> {
        let span = self.span(&pair);
        Spanned::new(
            pair.into_inner().map(|p| p.as_str().to_string()).collect(),
            span,
        )
    }

    fn provision(&self, span: Span, inner: Pairs<Rule>) -> Result<ast::Provision> {
        let mut provision = ast::Provision {
            label: Spanned::new(Vec::new(), span),
            heading: None,
            in_version: None,
            body: Vec::new(),
            span,
        };
        for p in inner {
            match p.as_rule() {
                Rule::provision_label => provision.label = self.label(p),
                Rule::string => provision.heading = Some(self.string(p)),
                Rule::in_version => {
                    provision.in_version = p.into_inner().next().map(|i| self.ident(i))
                }
                Rule::text => provision.body.push(ProvisionItem::Text(
                    p.into_inner()
                        .next()
                        .map(|s| self.string(s))
                        .unwrap_or_default(),
                )),
                Rule::not_computed => {
                    let sp = self.span(&p);
                    let reason = p
                        .into_inner()
                        .next()
                        .map(|s| self.string(s))
                        .unwrap_or_default();
                    provision
                        .body
                        .push(ProvisionItem::NotComputed(Spanned::new(reason, sp)));
                }
                Rule::disregard => {
                    let mut parts = p.into_inner();
                    let fact = parts
                        .next()
                        .map(|fp| {
                            let sp = self.span(&fp);
                            Spanned::new(
                                fp.into_inner().map(|i| i.as_str().to_string()).collect(),
                                sp,
                            )
                        })
                        .unwrap_or_else(|| Spanned::new(Vec::new(), span));
                    let reason = parts.next().map(|s| self.string(s)).unwrap_or_default();
                    provision
                        .body
                        .push(ProvisionItem::Disregard { fact, reason });
                }
                Rule::rule | Rule::exception => {
                    provision.body.push(ProvisionItem::Rule(self.rule(p)?))
                }
                Rule::provision => {
                    let sp = self.span(&p);
                    provision.body.push(ProvisionItem::Provision(
                        self.provision(sp, p.into_inner())?,
                    ));
                }
                _ => {}
            }
        }
        Ok(provision)
    }

    fn rule(&self, pair: Pair<Rule>) -> Result<ast::Rule> {
        let span = self.span(&pair);
        let mut name = None;
        let mut exception_to = None;
        let mut declared_type = None;
        let mut value = None;
        let mut condition = None;
        let mut notes = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::provision_label => exception_to = Some(self.label(p)),
                Rule::ident => name = Some(self.ident(p)),
                Rule::type_annotation => {
                    declared_type = Some(self.type_expr(p.into_inner().next(), span))
                }
                Rule::expr => value = Some(self.top_expr(p)?),
                Rule::condition => {
                    if let Some(e) = p.into_inner().next() {
                        condition = Some(self.top_expr(e)?);
                    }
                }
                Rule::note => notes.extend(p.into_inner().next().map(|s| self.string(s))),
                _ => {}
            }
        }
        match (name, value) {
            (Some(name), Some(value)) => Ok(ast::Rule {
                name,
                exception_to,
                declared_type,
                value,
                condition,
                notes,
                span,
            }),
            _ => Err(self.literal_error(
                span,
                "incomplete rule".into(),
                "write `rule name = expression`",
            )),
        }
    }

    fn date(&self, pair: &Pair<Rule>) -> Result<jiff::civil::Date> {
        let span = self.span(pair);
        pair.as_str().parse::<jiff::civil::Date>().map_err(|_| {
            self.literal_error(
                span,
                format!("`{}` is not a date in the calendar", pair.as_str()),
                "write a real date as YYYY-MM-DD, like `2018-12-07`",
            )
        })
    }

    fn decimal(&self, span: Span, digits: &str, what: &str) -> Result<Decimal> {
        Decimal::from_str_exact(digits).map_err(|_| {
            self.literal_error(
                span,
                format!("{what} `{digits}` is out of the supported range"),
                "numbers may have at most 28 significant digits",
            )
        })
    }

    /// A whole expression (a rule's value or condition, a default, a table cell), refused
    /// when its tree is deeper than [`MAX_EXPR_DEPTH`]: checking and evaluation recurse on it.
    fn top_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let e = self.expr(pair)?;
        if let Some(span) = deeper_than(&e, MAX_EXPR_DEPTH) {
            return Err(ParseError::TooDeep {
                src: NamedSource::new(self.name, self.text.to_string()),
                at: span.into(),
            });
        }
        if let Some(span) = chain_longer_than(&e, MAX_CHAIN_LEN) {
            return Err(ParseError::TooLong {
                src: NamedSource::new(self.name, self.text.to_string()),
                at: span.into(),
            });
        }
        Ok(e)
    }

    /// Lowers an expression; recursive along its nesting, on more stack when it runs low (a
    /// rule file may nest 128 brackets, and pest's pairs are lowered a few calls per level).
    fn expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.expr_here(pair))
    }

    /// [`Self::expr`] on the stack it has.
    fn expr_here(&self, pair: Pair<Rule>) -> Result<Expr> {
        PRATT
            .map_primary(|p| self.postfix_expr(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::not_op {
                    ast::UnaryOp::Not
                } else {
                    ast::UnaryOp::Neg
                };
                Ok(Spanned::new(ExprKind::Unary(op, Box::new(rhs)), span))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::or_op => ast::BinaryOp::Or,
                    Rule::and_op => ast::BinaryOp::And,
                    Rule::eq => ast::BinaryOp::Eq,
                    Rule::ne => ast::BinaryOp::Ne,
                    Rule::lt => ast::BinaryOp::Lt,
                    Rule::le => ast::BinaryOp::Le,
                    Rule::gt => ast::BinaryOp::Gt,
                    Rule::ge => ast::BinaryOp::Ge,
                    Rule::within_op => ast::BinaryOp::Within,
                    Rule::in_op => ast::BinaryOp::In,
                    Rule::not_in_op => ast::BinaryOp::NotIn,
                    Rule::add => ast::BinaryOp::Add,
                    Rule::sub => ast::BinaryOp::Sub,
                    Rule::mul => ast::BinaryOp::Mul,
                    _ => ast::BinaryOp::Div,
                };
                Ok(Spanned::new(
                    ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                ))
            })
            .parse(pair.into_inner())
    }

    fn postfix_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let mut inner = pair.into_inner();
        let Some(first) = inner.next() else {
            return Err(self.literal_error(
                Span::default(),
                "empty expression".into(),
                "write an expression",
            ));
        };
        let mut expr = self.primary(first)?;
        for post in inner {
            let span = expr.span.to(self.span(&post));
            let grammar_rule = post.as_rule();
            let Some(arg) = post.into_inner().next() else {
                continue;
            };
            expr = match grammar_rule {
                Rule::field_access => {
                    Spanned::new(ExprKind::Field(Box::new(expr), self.ident(arg)), span)
                }
                _ => Spanned::new(
                    ExprKind::Index(Box::new(expr), Box::new(self.expr(arg)?)),
                    span,
                ),
            };
        }
        Ok(expr)
    }

    fn primary(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::expr => return self.expr(pair),
            Rule::bool_lit => ExprKind::Bool(pair.as_str() == "true"),
            Rule::integer_lit => ExprKind::Integer(self.decimal(span, pair.as_str(), "number")?),
            Rule::decimal_lit => ExprKind::Decimal(self.decimal(span, pair.as_str(), "number")?),
            Rule::money_lit => {
                let digits: String = pair
                    .as_str()
                    .chars()
                    .filter(|c| *c != '$' && *c != ',')
                    .collect();
                let amount = self.decimal(span, &digits, "money amount")?;
                if amount.scale() > 2 {
                    return Err(self.literal_error(
                        span,
                        format!(
                            "money amount `{}` has more than two decimals",
                            pair.as_str()
                        ),
                        "money is written in dollars and cents, like `$3,000` or `$3000.00`",
                    ));
                }
                ExprKind::Money(amount)
            }
            Rule::date_lit => ExprKind::Date(self.date(&pair)?),
            Rule::citation_lit => {
                let body = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
                self.citation(span, body)?;
                ExprKind::Citation(body.to_string())
            }
            Rule::string => ExprKind::Text(self.string(pair)),
            Rule::ident => ExprKind::Name(self.ident(pair)),
            Rule::if_expr => {
                let mut parts = pair.into_inner();
                let mut next = || -> Result<Box<Expr>> {
                    match parts.next() {
                        Some(p) => Ok(Box::new(self.expr(p)?)),
                        None => Err(self.literal_error(
                            span,
                            "incomplete `if`".into(),
                            "write `if condition then a else b`",
                        )),
                    }
                };
                let (c, t, e) = (next()?, next()?, next()?);
                ExprKind::If(c, t, e)
            }
            Rule::call => {
                let mut parts = pair.into_inner();
                let name = self.call_name(parts.next(), span);
                let mut args = Vec::new();
                let mut tail = None;
                for p in parts {
                    if p.as_rule() == Rule::comprehension {
                        tail = Some(p);
                    } else {
                        args.push(self.expr(p)?);
                    }
                }
                match (tail, args.pop()) {
                    (Some(tail), Some(element)) => {
                        let mut parts = tail.into_inner();
                        let var = self.next_ident(&mut parts, span);
                        let source = parts.next().map(|p| self.expr(p)).transpose()?;
                        let filter = parts.next().map(|p| self.expr(p)).transpose()?;
                        let Some(source) = source else {
                            return Err(self.literal_error(
                                span,
                                "incomplete list expression".into(),
                                "write `sum(x.amount for x in list if condition)`",
                            ));
                        };
                        ExprKind::Comprehension {
                            aggregate: name,
                            element: Box::new(element),
                            var,
                            source: Box::new(source),
                            filter: filter.map(Box::new),
                        }
                    }
                    (_, last) => {
                        args.extend(last);
                        ExprKind::Call(name, args)
                    }
                }
            }
            Rule::list_lit => {
                let mut items = Vec::new();
                for item in pair.into_inner() {
                    let mut parts = item.into_inner();
                    let Some(first) = parts.next() else { continue };
                    let start = self.expr(first)?;
                    match parts.next() {
                        None => items.push(ListItem::Single(start)),
                        Some(end) => {
                            let end_span = self.span(&end);
                            let end = match end.as_rule() {
                                Rule::provision_label => RangeEnd::Relative(
                                    end.into_inner().map(|p| p.as_str().to_string()).collect(),
                                ),
                                _ => {
                                    let body =
                                        end.into_inner().next().map(|p| p.as_str()).unwrap_or("");
                                    self.citation(end_span, body)?;
                                    RangeEnd::Citation(body.to_string())
                                }
                            };
                            items.push(ListItem::Range {
                                start,
                                end: Spanned::new(end, end_span),
                            });
                        }
                    }
                }
                ExprKind::List(items)
            }
            other => {
                return Err(self.literal_error(
                    span,
                    format!("unexpected {}", describe_rule(other)),
                    "write an expression",
                ));
            }
        };
        Ok(Spanned::new(kind, span))
    }

    fn citation(&self, span: Span, body: &str) -> Result<Citation> {
        Citation::parse(body).map_err(|e| {
            self.literal_error(
                span,
                format!("`{body}` is not a provision citation"),
                e.reason,
            )
        })
    }
}

/// The value of a string literal's inside (between its quotes) as the tree keeps it: escapes
/// resolved, and a text written over several lines (indented, as rule files write long texts)
/// folded, each line break and its indentation one space.
pub fn string_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out.split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ast::File {
        parse_file(FileId(0), "test.law", text).unwrap()
    }

    fn parse_err(text: &str) -> String {
        match parse_file(FileId(0), "test.law", text) {
            Ok(_) => panic!("expected a parse error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn provision_labels_nest_and_flatten() {
        let f = parse("(b)(2) \"Trafficking\" in current { (B) { rule x = $3,000 } }");
        let Some(Item::Provision(p)) = f.items.first() else {
            panic!()
        };
        assert_eq!(p.label.node, vec!["b", "2"]);
        assert_eq!(
            p.in_version.as_ref().map(|v| v.node.as_str()),
            Some("current")
        );
        let Some(ProvisionItem::Provision(b)) = p.body.first() else {
            panic!()
        };
        let Some(ProvisionItem::Rule(r)) = b.body.first() else {
            panic!()
        };
        assert_eq!(r.value.node, ExprKind::Money(Decimal::new(3000, 0)));
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_wraps_a_comparison() {
        let f = parse("(a) { rule x = not a = b or c and d }");
        let Some(Item::Provision(p)) = f.items.first() else {
            panic!()
        };
        let Some(ProvisionItem::Rule(r)) = p.body.first() else {
            panic!()
        };
        let ExprKind::Binary(ast::BinaryOp::Or, lhs, rhs) = &r.value.node else {
            panic!("{:?}", r.value.node)
        };
        assert!(matches!(lhs.node, ExprKind::Unary(ast::UnaryOp::Not, _)));
        assert!(matches!(
            rhs.node,
            ExprKind::Binary(ast::BinaryOp::And, _, _)
        ));
    }

    #[test]
    fn a_date_is_one_token_but_spaced_minus_is_subtraction() {
        let f = parse("(a) { rule x = 2018-12-07 rule y = 2019 - 1 }");
        let Some(Item::Provision(p)) = f.items.first() else {
            panic!()
        };
        let rules: Vec<_> = p
            .body
            .iter()
            .filter_map(|i| {
                if let ProvisionItem::Rule(r) = i {
                    Some(&r.value.node)
                } else {
                    None
                }
            })
            .collect();
        assert!(matches!(rules[0], ExprKind::Date(_)));
        assert!(matches!(
            rules[1],
            ExprKind::Binary(ast::BinaryOp::Sub, _, _)
        ));
    }

    #[test]
    fn impossible_dates_and_fractional_cents_are_literal_errors() {
        assert!(parse_err("(a) { rule x = 2019-02-30 }").contains("not a date"));
        assert!(parse_err("(a) { rule x = $1.005 }").contains("more than two decimals"));
    }

    #[test]
    fn expected_lists_use_words_not_grammar_rule_names() {
        let msg = parse_err("(a) { rule x = }");
        assert!(msg.contains("expected"), "{msg}");
        assert!(
            !msg.contains("money_lit") && !msg.contains("postfix_expr"),
            "{msg}"
        );
    }

    #[test]
    fn spans_end_at_the_last_token_not_at_spaces_or_comments() {
        let text = "x = \"a // b\"  // c\n  ";
        assert_eq!(token_end(text, 0, text.len()), 12);
        let text = "rule a = b\n    rule";
        assert_eq!(token_end(text, 0, 15), 10);
        assert_eq!(token_end(text, 0, 10), 10);
    }

    #[test]
    fn a_missing_brace_names_the_provision_it_would_open() {
        let text = "facts { a: money \"{\" }\n(b) \"B (c) {\" in v {\n  rule x = min(a) // (z) {\n  (1)(A) \"Heading\"\n  text";
        let at = text.len() - 4;
        assert_eq!(
            provision_opened_at(text, at),
            ("(b)(1)(A)".to_string(), "(1)(A)".to_string())
        );
        let msg = parse_err(text);
        assert!(
            msg.contains("expected `{` to open provision (b)(1)(A)"),
            "{msg}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!(
            "(a) {{ rule x = {}1{} }}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert!(matches!(
            parse_file(FileId(0), "t", &deep),
            Err(ParseError::TooDeep { .. })
        ));
    }
}
