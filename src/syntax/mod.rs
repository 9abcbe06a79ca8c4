//! Parsing: `.law` source text in, [`ast::File`] out.
//!
//! The only module that touches pest. [`parse_file`] runs the pre-scan (nesting too deep for
//! the parser), the grammar, then `lower` (pest's pairs to the AST; pest's spans become
//! [`Span`](crate::source::Span)s at once, and expression trees are held to their limits);
//! `error` turns pest's "expected …" lists into words a legal engineer knows.

pub mod ast;
mod error;
pub mod load;
mod lower;

use crate::source::FileId;
use miette::{NamedSource, SourceSpan};
use pest::Parser as _;

/// The parser pest derives from the grammar, in a module of its own: the `Rule` enum it
/// generates is public, and must not become part of the crate's API.
pub(crate) mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/law.pest"]
    pub(crate) struct LawParser;
}
pub use error::ParseError;
use error::{syntax_error, unclosed};
use grammar::{LawParser, Rule};
use lower::Lower;
pub use lower::string_value;

/// Deepest nesting of expressions and provisions a rule file may use. Deeper input
/// is rejected before it can exhaust the stack.
pub const MAX_NESTING: usize = 64;

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

#[cfg(test)]
mod tests {
    use super::error::provision_opened_at;
    use super::lower::token_end;
    use super::*;
    use ast::{ExprKind, Item, ProvisionItem};
    use rust_decimal::Decimal;

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
