//! The grammar's tricky parts, as AST snapshots: each
//! `tests/fixtures/syntax/*.law` is parsed and printed as a compact outline
//! (expressions as S-expressions), so a grammar change shows as a readable diff.

use lawcode::ast::{ExprKind, File, Item, ListItem, ProvisionItem, RangeEnd};
use lawcode::source::FileId;
use std::fmt::Write as _;

fn expr(e: &lawcode::ast::Expr) -> String {
    match &e.node {
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Integer(d) => format!("int:{d}"),
        ExprKind::Decimal(d) => format!("dec:{d}"),
        ExprKind::Money(d) => format!("${d}"),
        ExprKind::Date(d) => format!("date:{d}"),
        ExprKind::Text(t) => format!("{t:?}"),
        ExprKind::Citation(c) => format!("§{c}"),
        ExprKind::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    ListItem::Single(e) => expr(e),
                    ListItem::Range { start, end } => match &end.node {
                        RangeEnd::Citation(c) => format!("(through {} §{c})", expr(start)),
                        RangeEnd::Relative(parts) => {
                            format!("(through {} ({}))", expr(start), parts.join(")("))
                        }
                    },
                })
                .collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Name(n) => n.node.clone(),
        ExprKind::Field(x, f) => format!("(. {} {})", expr(x), f.node),
        ExprKind::Index(x, k) => format!("(index {} {})", expr(x), expr(k)),
        ExprKind::Unary(op, x) => format!("({op:?} {})", expr(x)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), expr(a), expr(b)),
        ExprKind::If(c, t, f) => format!("(if {} {} {})", expr(c), expr(t), expr(f)),
        ExprKind::Call(n, args) => format!(
            "({} {})",
            n.node,
            args.iter().map(expr).collect::<Vec<_>>().join(" ")
        ),
        ExprKind::Comprehension {
            aggregate,
            element,
            var,
            source,
            filter,
        } => format!(
            "({} {} for {} in {}{})",
            aggregate.node,
            expr(element),
            var.node,
            expr(source),
            filter
                .as_ref()
                .map(|f| format!(" if {}", expr(f)))
                .unwrap_or_default()
        ),
    }
}

fn provision(out: &mut String, p: &lawcode::ast::Provision, depth: usize) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{pad}provision ({}) {:?}{}",
        p.label.node.join(")("),
        p.heading.as_deref().unwrap_or(""),
        p.in_version
            .as_ref()
            .map(|v| format!(" in {}", v.node))
            .unwrap_or_default()
    );
    for item in &p.body {
        match item {
            ProvisionItem::Text(t) => {
                let _ = writeln!(out, "{pad}  text {t:?}");
            }
            ProvisionItem::NotComputed(r) => {
                let _ = writeln!(out, "{pad}  not computed {:?}", r.node);
            }
            ProvisionItem::Disregard { fact, reason } => {
                let _ = writeln!(out, "{pad}  disregard {} {reason:?}", fact.node.join("."));
            }
            ProvisionItem::Rule(r) => {
                let target = r
                    .exception_to
                    .as_ref()
                    .map(|t| format!("exception to ({}) ", t.node.join(")(")))
                    .unwrap_or_else(|| "rule ".into());
                let _ = writeln!(
                    out,
                    "{pad}  {target}{} = {}{}",
                    r.name.node,
                    expr(&r.value),
                    r.condition
                        .as_ref()
                        .map(|c| format!(" when {}", expr(c)))
                        .unwrap_or_default()
                );
                for n in &r.notes {
                    let _ = writeln!(out, "{pad}    note {n:?}");
                }
            }
            ProvisionItem::Provision(child) => provision(out, child, depth + 1),
        }
    }
}

fn outline(file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        match item {
            Item::Provision(p) => provision(&mut out, p, 0),
            Item::Import(i) => {
                let _ = writeln!(out, "import {:?}", i.node);
            }
            Item::Statute(s) => {
                let _ = writeln!(out, "statute {:?} {:?}", s.citation.node, s.title);
            }
            Item::Version(v) => {
                let _ = writeln!(
                    out,
                    "version {} from {} {:?}",
                    v.name.node, v.effective.node, v.enacted_by
                );
            }
            Item::Table(t) => {
                let from = if t.from { ", from" } else { "" };
                let _ = writeln!(out, "table {} ({} rows{from})", t.name.node, t.rows.len());
                for r in &t.rows {
                    let _ = write!(out, "  {} => {}", expr(&r.key), expr(&r.value));
                    match &r.cites {
                        Some(c) => {
                            let _ = writeln!(out, " cites {:?}", c.node);
                        }
                        None => {
                            let _ = writeln!(out);
                        }
                    }
                }
            }
            other => {
                let _ = writeln!(out, "{other:?}");
            }
        }
    }
    out
}

#[test]
fn grammar_fixtures() {
    insta::glob!("../fixtures/syntax", "*.law", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let file = lawcode::syntax::parse_file(FileId(0), "fixture.law", &text)
            .unwrap_or_else(|e| panic!("{}", crate::support::render(&e)));
        insta::assert_snapshot!(outline(&file));
    });
}

/// Inputs the fuzzers found, kept so they stay fixed: each must parse (or fail to
/// parse) and check without a panic or a hang.
#[test]
fn fuzz_regressions() {
    for path in crate::support::files("tests/fixtures/regressions", "law") {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_string();
        if let Ok(program) = lawcode::compile("regression.law", &text) {
            let facts = program.read_facts("f.json", "{}");
            if let Ok(facts) = facts {
                let _ = program.evaluate(
                    &facts,
                    lawcode::EvalOptions {
                        trace: true,
                        ..Default::default()
                    },
                );
            }
        }
    }
}

/// Calls nested inside list expressions, and names that begin with a keyword
/// (`iforin(…)`), used to make the parser backtrack exponentially.
#[test]
fn nested_calls_parse_in_linear_time() {
    let mut e = "x".to_string();
    for i in 0..30 {
        e = if i % 2 == 0 {
            format!("sum(min({e}, y) for l in xs if max(a, b))")
        } else {
            format!("iforin(thenx({e}) - elsey, forz)")
        };
    }
    let text = format!("statute \"T\"\n(a) {{ rule r = {e} }}");
    // Without the fix this does not finish in any reasonable time.
    let file = lawcode::syntax::parse_file(FileId(0), "t.law", &text).unwrap();
    assert_eq!(file.items.len(), 2);
}

/// A byte-order mark at the start of a file is read as nothing, and spans stay byte offsets
/// into the text as written (the mark is three bytes).
#[test]
fn a_byte_order_mark_is_accepted_and_spans_count_it() {
    let text = "\u{FEFF}statute \"T\"\nfacts { a: money \"a\" }\noutcomes { b: money \"b\" }\n(a) { rule b = a }\n";
    let file = lawcode::syntax::parse_file(FileId(0), "t.law", text).unwrap();
    let Some(Item::Statute(s)) = file.items.first() else {
        panic!("{:?}", file.items.first())
    };
    assert_eq!(s.span.start, 3);
    assert_eq!(&text[s.citation.span.start..s.citation.span.end], "\"T\"");
    lawcode::compile("t.law", text).unwrap();
}
