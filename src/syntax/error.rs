//! pest's errors in words a legal engineer knows: [`ParseError`], what is still open at the end
//! of a file, and the grammar's rules described ("an expression", "`{` to open provision (b)(1)")
//! instead of pest's lists of rule names.

use super::grammar::Rule;
use super::{MAX_CHAIN_LEN, MAX_EXPR_DEPTH, MAX_NESTING};
use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

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

/// The innermost bracket or text literal still open at the end of the file, if any:
/// what it is, how to fix it, and where it opened.
///
/// A text left open swallows the rest of the file, so it is always the likely cause; an open
/// bracket is reported only when the parser ran into the end of the file.
pub(super) fn unclosed(
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

pub(super) fn syntax_error(e: pest::error::Error<Rule>, src: NamedSource<String>) -> ParseError {
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
pub(super) fn provision_opened_at(text: &str, at: usize) -> (String, String) {
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
pub(super) fn describe_rule(grammar_rule: Rule) -> &'static str {
    match grammar_rule {
        Rule::EOI => "the end of the file",
        Rule::file | Rule::item => "a declaration",
        Rule::import => "`import \"file.law\"`",
        Rule::statute => "`statute \"citation\" \"title\"`",
        Rule::version => "`version name from YYYY-MM-DD`",
        Rule::version_selector => "`versions selected by fact`",
        Rule::refuse_earlier | Rule::kw_refuse => "`refuse earlier dates \"why\"`",
        Rule::facts_block => "`facts { … }`",
        Rule::outcomes_block => "`outcomes { … }`",
        Rule::outcome => "an outcome like `name: money \"meaning\"`",
        Rule::enum_decl => "`enum name { … }`",
        Rule::record_decl => "`record name { … }`",
        Rule::field => "a field like `name: money \"meaning\"`",
        Rule::optional_mark => "`optional`",
        Rule::default_value => "`default …`",
        Rule::nonempty_mark => "`nonempty`",
        Rule::unique_mark | Rule::kw_unique => "`unique` or `unique by FIELD`",
        Rule::kw_by => "`by`",
        Rule::limit_mark => "`at least …`, `at most …` or `decimals N`",
        Rule::at_least => "`at least …`",
        Rule::at_most => "`at most …`",
        Rule::kw_at => "`at`",
        Rule::decimals_mark | Rule::kw_decimals => "`decimals N`",
        Rule::type_expr | Rule::list_type | Rule::named_type | Rule::text_type => {
            "a type like `money` or `list of conviction`"
        }
        Rule::table_decl => "`table name: key -> value`",
        Rule::source => "`source \"where the data comes from\"`",
        Rule::table_from | Rule::kw_from => "`from`",
        Rule::row_cites | Rule::kw_cites => "`cites \"the provision\"`",
        Rule::rule_cites => "`cites \"the provision\" in version`",
        Rule::table_row => "a table row like `2017 => 245.120`",
        Rule::function_decl | Rule::kw_function => "`function name(param: type): type = …`",
        Rule::param => "a parameter like `losses: list of loss`",
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
        Rule::percent_lit => "a percentage like `65%`",
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
