//! What the trace says, for a reader: the formula of a rule that applied, notes only where they
//! are true of the case, money and ratios as people write them, each definition explained once
//! per result, the provisions' words, and the JSON in the contract's order.

use crate::support::traced;
use lawcode::render::{View, evaluation_json, evaluation_json_with, evaluation_text_with};

const FEES: &str = r#"
statute "Fee Act § 1" "Filing fees"

facts {
    filed: bool "the paper was filed"
    pages: money "the charge for its pages"
}

outcomes {
    fee: money "the fee"
    share: decimal "the fee as a share of the cap"
    capped: bool "the fee reached the cap"
}

(a) "Base fee" {
    text "The fee is the charge for the pages, but not less than $1,000."

    rule floor = $1,000
    rule fee = max(pages, floor)
        when filed
        note "the floor applies to every paper filed"
    rule fee = $0
        when not filed
        note "nothing was filed, so nothing is owed"
}

(b) "Cap" {
    text "The fee is measured against a cap of $7,000."

    rule cap = $7,000
    rule share = fee / cap
    rule capped = fee >= cap
}
"#;

fn program() -> lawcode::Program {
    lawcode::compile("fees.law", FEES).unwrap_or_else(|e| panic!("{}", crate::support::render(&e)))
}

const FILED: &str = r#"{ "filed": true, "pages": "1234.50" }"#;

#[test]
fn the_text_trace_reads_like_an_explanation() {
    let program = program();
    let e = traced(&program, FILED);
    let text = evaluation_text_with(&program, &e, &View::default());
    // The formula of the rule that applied, the note of the rule that applied, and not the
    // note of the rule whose condition was false ("nothing was filed" is untrue of this case).
    assert!(text.contains("formula: max(pages, floor)"), "{text}");
    assert!(text.contains("note: the floor applies"), "{text}");
    assert!(!text.contains("nothing was filed"), "{text}");
    // Money with a dollar sign and thousands; a long quotient rounded, marked `≈`.
    assert!(text.contains("fee = $1,234.50"), "{text}");
    assert!(text.contains("share ≈ 0.176357"), "{text}");
    // `fee` is explained under its own outcome, then referred to from `share` and `capped`.
    assert_eq!(
        text.matches("formula: max(pages, floor)").count(),
        1,
        "{text}"
    );
    assert!(text.contains("fee = $1,234.50 — explained above"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_json_keeps_exact_values_in_the_contracts_order() {
    let program = program();
    let e = traced(&program, FILED);
    let json = evaluation_json(&e);
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "statute",
            "version",
            "outcomes",
            "missing",
            "trace",
            "provisions"
        ]
    );
    let outcomes: Vec<&str> = json["outcomes"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(outcomes, ["fee", "share", "capped"], "declared order");
    // The exact quotient, not the rounded one the text shows.
    let share = json["outcomes"]["share"].as_str().unwrap();
    assert!(
        share.starts_with("0.17635714285714") && share.len() > 20,
        "{share}"
    );
    let fee = &json["trace"][0];
    let keys: Vec<&str> = fee
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys.first(), Some(&"citation"));
    assert_eq!(keys.last(), Some(&"children"));
    let applied = fee["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "applied")
        .unwrap();
    assert_eq!(applied["formula"], "max(pages, floor)");
    assert_eq!(
        applied["notes"][0],
        "the floor applies to every paper filed"
    );
    // The provisions cited, with their words, once each.
    assert_eq!(
        json["provisions"]["Fee Act § 1(a)"]["text"],
        "The fee is the charge for the pages, but not less than $1,000."
    );
    assert_eq!(json["provisions"]["Fee Act § 1(b)"]["heading"], "Cap");
    // Byte for byte what a batch line writes.
    let mut line = Vec::new();
    lawcode::render::write_evaluation_json(&mut line, &e);
    assert_eq!(String::from_utf8(line).unwrap(), json.to_string());
}

#[test]
fn a_view_limits_the_trace_to_the_outcomes_asked_for_and_quotes_the_text() {
    let program = program();
    let e = traced(&program, r#"{ "filed": false, "pages": "10.00" }"#);
    let view = View::new(&program, vec!["capped".into()], true).unwrap();
    let text = evaluation_text_with(&program, &e, &view);
    let trace = text.split_once("\ntrace\n").unwrap().1;
    assert!(
        trace.starts_with("[Fee Act § 1(b)] capped = false"),
        "{trace}"
    );
    // Every outcome is still listed; only the trace is limited.
    assert!(text.contains("  share "), "{text}");
    assert!(
        text.contains("“The fee is measured against a cap of $7,000.”"),
        "{text}"
    );
    insta::assert_snapshot!(text);
    let json = evaluation_json_with(&e, &view);
    let names: Vec<&str> = json["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["capped"]);
    let err = View::new(&program, vec!["caped".into()], false).unwrap_err();
    let rendered = crate::support::render(&err);
    assert!(
        rendered.contains("lawcode::render::unknown_outcome"),
        "{rendered}"
    );
    assert!(rendered.contains("did you mean `capped`?"), "{rendered}");
}

#[test]
fn a_long_formula_is_cut_short() {
    let names: Vec<String> = (0..10)
        .map(|i| format!("n{i}_{}", "x".repeat(60)))
        .collect();
    let rules: String = names
        .iter()
        .map(|n| format!("    rule {n} = x + 1\n"))
        .collect();
    let source = format!(
        "statute \"Long Act § 1\"\nfacts {{ x: integer \"x\" }}\noutcomes {{ out: integer \"o\" }}\n(a) {{\n{rules}    rule out = {}\n}}\n",
        names.join(" + ")
    );
    let program = lawcode::compile("long.law", &source)
        .unwrap_or_else(|e| panic!("{}", crate::support::render(&e)));
    let e = traced(&program, r#"{ "x": 1 }"#);
    let formula = e.trace().unwrap()[0].formula.clone().unwrap();
    assert!(formula.ends_with('…'), "{formula}");
    assert_eq!(formula.chars().count(), 501, "{formula}");
}

/// A condition or formula that starts with a bracket is quoted with it: `(a or b) and c`, not
/// `a or b) and c`.
#[test]
fn a_leading_bracket_is_quoted_with_the_condition_and_the_formula() {
    let source = "statute \"Act § 1\"\nfacts {\n    a: bool \"a\"\n    b: bool \"b\"\n    c: bool \"c\"\n    n: integer \"n\"\n}\noutcomes {\n    award: money \"the award\"\n    count: integer \"a count\"\n}\n(a) {\n    rule award = $0\n    rule count = (n + 1) * 2\n}\n(b) {\n    exception to (a): award = $5 when (a or b) and c\n}\n";
    let program = lawcode::compile("brackets.law", source)
        .unwrap_or_else(|e| panic!("{}", crate::support::render(&e)));
    let e = traced(&program, r#"{ "a": true, "b": false, "c": true, "n": 1 }"#);
    let text = lawcode::render::evaluation_text(&program, &e);
    assert!(
        text.contains("condition `(a or b) and c` is true"),
        "{text}"
    );
    assert!(text.contains("formula: (n + 1) * 2"), "{text}");
}

/// `text` is a type as the language reference says, though it is also the keyword of a
/// provision's words: a fact may be declared `name: text`.
#[test]
fn a_fact_may_be_declared_text() {
    let source = "statute \"Act § 1\"\nfacts {\n    name: text \"the claimant's name\"\n}\noutcomes {\n    award: money \"the award\"\n}\n(a) {\n    text \"An award to the named claimant.\"\n    rule award = $0\n    rule award = $5 when name = \"Jane\"\n}\n";
    let source = source.replace(
        "    rule award = $0\n",
        "    rule award = $0 when name != \"Jane\"\n",
    );
    let program = lawcode::compile("text.law", &source)
        .unwrap_or_else(|e| panic!("{}", crate::support::render(&e)));
    let e = traced(&program, r#"{ "name": "Jane" }"#);
    assert_eq!(e.outcome("award").unwrap(), "5.00");
    let formatted = lawcode::format::format_source("text.law", &source).unwrap();
    assert!(
        formatted.contains("    name: text \"the claimant's name\"\n"),
        "{formatted}"
    );
    assert_eq!(
        lawcode::format::format_source("text.law", &formatted).unwrap(),
        formatted
    );
}

/// `65%` is the decimal 0.65, exactly; the formatter keeps it as written.
#[test]
fn a_percentage_is_a_decimal() {
    let source = "statute \"Act § 1\"\nfacts {\n    losses: money \"the losses\"\n}\noutcomes {\n    award: money \"the award\"\n}\n\n(a) {\n    rule award = round(losses * 65% + losses * 12.5%, cents, half_away_from_zero)\n}\n";
    let program = lawcode::compile("percent.law", source)
        .unwrap_or_else(|e| panic!("{}", crate::support::render(&e)));
    let e = traced(&program, r#"{ "losses": "1001.00" }"#);
    // 1001 × 0.65 = 650.65, 1001 × 0.125 = 125.125: 775.775, rounded 775.78.
    assert_eq!(e.outcome("award").unwrap(), "775.78");
    let formatted = lawcode::format::format_source("percent.law", source).unwrap();
    assert!(
        formatted.contains("losses * 65% + losses * 12.5%"),
        "{formatted}"
    );
    let err = lawcode::compile("bad.law", &source.replace("65%", "65%%")).unwrap_err();
    assert!(crate::support::render(&err).contains("lawcode::parse::"));
}
