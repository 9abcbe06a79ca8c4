//! The evaluator's semantics on small rule sets: defaults and exceptions,
//! undecided values, Kleene logic, versions, tables and provision sets.

use crate::support::traced;
use lawcode::{EvalOptions, compile};
use serde_json::{Value, json};

fn eval(rules: &str, facts: &str) -> lawcode::Evaluation {
    let program =
        compile("t.law", rules).unwrap_or_else(|e| panic!("{}", crate::support::render(&e)));
    traced(&program, facts)
}

fn out(e: &lawcode::Evaluation, name: &str) -> Value {
    e.outcome(name).cloned().unwrap()
}

const CHAIN: &str = r#"
statute "Act § 1"
facts { losses: money "l"  trafficking: bool "t"  terminated: bool "x"  role: money optional "r" }
outcomes { award: money "a" }
(b) {
    (1) { rule award = losses }
    (2) {
        exception to (b)(1): award = max(role, $3,000) when trafficking
        exception to (b)(2): award = $0 when terminated
    }
}
"#;

#[test]
fn an_exception_displaces_its_target_and_an_exception_to_it_displaces_both() {
    let base = r#""losses": "100.00", "role": "50.00""#;
    let e = eval(
        CHAIN,
        &format!(r#"{{ {base}, "trafficking": false, "terminated": false }}"#),
    );
    assert_eq!(out(&e, "award"), json!("100.00"));
    let e = eval(
        CHAIN,
        &format!(r#"{{ {base}, "trafficking": true, "terminated": false }}"#),
    );
    assert_eq!(out(&e, "award"), json!("3000.00"));
    // The exception to the exception wins even though its own target also applies.
    let e = eval(
        CHAIN,
        &format!(r#"{{ {base}, "trafficking": true, "terminated": true }}"#),
    );
    assert_eq!(out(&e, "award"), json!("0.00"));
    // An applicable exception displaces its target even when the target's value is never needed.
    let e = eval(
        CHAIN,
        r#"{ "losses": "100.00", "trafficking": false, "terminated": true }"#,
    );
    assert_eq!(out(&e, "award"), json!("0.00"));
}

#[test]
fn an_absent_optional_fact_leaves_only_what_needs_it_undecided() {
    let e = eval(
        CHAIN,
        r#"{ "losses": "100.00", "trafficking": true, "terminated": false }"#,
    );
    assert_eq!(out(&e, "award"), Value::Null);
    assert_eq!(e.missing, ["role"]);
    // When an exception above displaces the undecided rule, the outcome is decided.
    let e = eval(
        CHAIN,
        r#"{ "losses": "100.00", "trafficking": true, "terminated": true }"#,
    );
    assert_eq!(out(&e, "award"), json!("0.00"));
    assert!(e.missing.is_empty());
}

#[test]
fn and_or_decide_around_an_undecided_operand() {
    let rules = r#"
statute "Act § 1"
facts { a: bool "a"  maybe: bool optional "m" }
outcomes { both: bool "a and m"  either: bool "a or m"  neg: bool "not m" }
(a) {
    rule both = a and maybe
    rule either = a or maybe
    rule neg = not maybe
}
"#;
    let e = eval(rules, r#"{ "a": false }"#);
    assert_eq!(
        (out(&e, "both"), out(&e, "either"), out(&e, "neg")),
        (json!(false), Value::Null, Value::Null)
    );
    let e = eval(rules, r#"{ "a": true }"#);
    assert_eq!(
        (out(&e, "both"), out(&e, "either")),
        (Value::Null, json!(true))
    );
    assert_eq!(e.missing, ["maybe"]);
}

#[test]
fn versions_are_selected_by_the_date_fact_and_undefined_outcomes_are_null() {
    let rules = r#"
statute "Act § 1"
version old from 2000-01-01
version new from 2020-01-01
versions selected by offense_date
facts { offense_date: date "d"  losses: money "l" }
outcomes { award: money "a"  floor: money "only in the new text" }
(a) { rule award = losses }
(b) in new { rule floor = $3,000 }
"#;
    let e = eval(
        rules,
        r#"{ "offense_date": "2019-12-31", "losses": "1.00" }"#,
    );
    assert_eq!(e.version.unwrap().to_string(), "2000-01-01");
    assert_eq!(out(&e, "floor"), Value::Null);
    assert!(
        e.missing.is_empty(),
        "an outcome the text does not define is not missing anything"
    );
    let e = eval(
        rules,
        r#"{ "offense_date": "2020-01-01", "losses": "1.00" }"#,
    );
    assert_eq!(e.version.unwrap().to_string(), "2020-01-01");
    assert_eq!(out(&e, "floor"), json!("3000.00"));
    // A date before every version gets the earliest text, and the trace says so.
    let e = eval(
        rules,
        r#"{ "offense_date": "1990-01-01", "losses": "1.00" }"#,
    );
    assert_eq!(e.version.unwrap().to_string(), "2000-01-01");
    let version = &e.trace().unwrap()[0];
    assert!(
        version
            .detail
            .as_deref()
            .unwrap()
            .contains("precedes every encoded text"),
        "{version:?}"
    );
}

#[test]
fn provision_sets_ranges_and_containment() {
    let rules = r#"
statute "Act § 1"
facts { section: citation "s" }
outcomes { in_range: bool "r"  in_section: bool "s"  in_chapter: bool "c" }
(a) {
    rule in_range = section within [§2252A(a)(1) through (5)]
    rule in_section = section within §2252
    rule in_chapter = section within [§2251 through §2260A]
}
"#;
    let cases = [
        ("2252A(a)(5)(B)", [true, false, true]),
        ("2252A(a)(6)", [false, false, true]),
        ("2252(a)(2)", [false, true, true]),
        ("2252", [false, true, true]),
        ("2260A", [false, false, true]),
        ("2241(c)", [false, false, false]),
    ];
    for (section, want) in cases {
        let e = eval(rules, &format!(r#"{{ "section": "{section}" }}"#));
        let got = [
            out(&e, "in_range"),
            out(&e, "in_section"),
            out(&e, "in_chapter"),
        ];
        assert_eq!(got, want.map(Value::Bool), "{section}");
    }
}

#[test]
fn aggregates_filter_and_count_items() {
    let rules = r#"
statute "Act § 1"
record loss { amount: money "a"  proximate: bool default true "p" }
facts { losses: list of loss "l" }
outcomes { total: money "t"  counted: integer "c"  any_big: bool "b"  all_proximate: bool "p"  largest: money "m" }
(a) {
    rule total = sum(l.amount for l in losses if l.proximate)
    rule counted = count(l for l in losses if l.proximate)
    rule any_big = any(l.amount > $1,000 for l in losses)
    rule all_proximate = all(l.proximate for l in losses)
    rule largest = max(l.amount for l in losses)
}
"#;
    let e = eval(
        rules,
        r#"{ "losses": [ { "amount": "10.50" }, { "amount": 2000, "proximate": false }, { "amount": "0.25" } ] }"#,
    );
    assert_eq!(out(&e, "total"), json!("10.75"));
    assert_eq!(out(&e, "counted"), json!(2));
    assert_eq!(out(&e, "any_big"), json!(true));
    assert_eq!(out(&e, "all_proximate"), json!(false));
    assert_eq!(out(&e, "largest"), json!("2000.00"));
    // The trace lists each item and whether the filter kept it.
    let total = &e.trace().unwrap()[0];
    let items: Vec<_> = total
        .walk()
        .filter(|n| n.kind == lawcode::trace::NodeKind::Item)
        .map(|n| (n.name.to_string(), n.status))
        .collect();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[1],
        (
            "losses[1]".to_string(),
            Some(lawcode::trace::Status::Excluded)
        )
    );
}

#[test]
fn table_lookups_and_explicit_rounding() {
    let rules = r#"
statute "Act § 1"
table index: integer -> decimal source "test" { 2017 => 245.120  2022 => 292.655 }
facts { order_date: date "d" }
outcomes { amount: money "a"  half_even: money "h" }
(a) {
    rule ratio = max(1, index[year(order_date)] / index[2017])
    rule amount = round($35,000 * ratio, cents, half_away_from_zero)
    rule half_even = round($0.25 / 2, cents, half_even)
}
"#;
    let e = eval(rules, r#"{ "order_date": "2022-06-01" }"#);
    assert_eq!(out(&e, "amount"), json!("41787.39"));
    assert_eq!(out(&e, "half_even"), json!("0.12"));
    let program = compile("t.law", rules).unwrap();
    let facts = program
        .read_facts("f.json", r#"{ "order_date": "2030-01-01" }"#)
        .unwrap();
    let err = program
        .evaluate(&facts, EvalOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(lawcode::EvalKind::MissingTableRow));
    assert!(err.message.contains("2030"), "{}", err.message);
}

/// A definition read for the first time inside another rule's list expression computes its own
/// list expression in its own scope: it must not disturb the element bound outside it.
#[test]
fn a_definition_read_inside_a_list_expression_keeps_the_outer_element() {
    let rules = r#"
statute "Act § 1"
facts { xs: list of integer "x"  ys: list of integer "y" }
outcomes { total: integer "t" }
(a) {
    rule large_ys = count(y for y in ys if y > 10)
    rule total = sum(x for x in xs if large_ys < x)
}
"#;
    let e = eval(rules, r#"{ "xs": [20, 30], "ys": [11, 5] }"#);
    assert_eq!(out(&e, "total"), json!(50));
    let trace = serde_json::to_value(e.trace().unwrap()).unwrap();
    let names: Vec<&str> = trace[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["xs[0]", "xs[1]"], "{trace:#}");
}

/// Definitions that read no fact are computed once per version, also when tracing: the trace
/// shows their rules, list items and notes from that one computation, in every case, and
/// explains a constant once (later reads say "explained above").
#[test]
fn a_constant_is_traced_from_its_one_computation() {
    let rules = r#"
statute "Act § 1"
facts { losses: money "l" }
outcomes { award: money "a"  floor: money "f" }
(a) {
    rule steps = [$100, $200, $300]
    rule base = sum(s for s in steps if s > $100)
        note "only the steps above the first count"
    rule floor = base + $1,000
    rule award = max(losses, floor) when losses > base
    rule award = floor when losses <= base
}
"#;
    let program = compile("t.law", rules).unwrap();
    let trace_text =
        |facts: &str| lawcode::render::trace_text(traced(&program, facts).trace().unwrap(), "");
    let first = trace_text(r#"{ "losses": "2500.00" }"#);
    let second = trace_text(r#"{ "losses": "10.00" }"#);
    insta::assert_snapshot!(format!("losses 2500.00:\n{first}\nlosses 10.00:\n{second}"));
}

/// A rule file at the limits: a chain of definitions as long as the checker allows, each with an
/// expression nearly as deep as the parser allows, written so that checking meets them deepest
/// first. Checking, evaluating with the trace, and rendering it must not exhaust the stack of a
/// test thread (2 MiB in a debug build); one definition more is refused.
#[test]
fn the_longest_chain_of_definitions_allowed_runs_and_a_longer_one_is_refused() {
    // `out` reads d(n-1), which reads d(n-2) … d0 reads the fact: a chain of n + 1.
    let chain = |n: usize, out_first: bool| {
        let mut rules: Vec<String> = vec![format!("  rule out = d{}", n - 1)];
        for i in (1..n).rev() {
            rules.push(format!("  rule d{i} = d{}{}", i - 1, " + 1".repeat(90)));
        }
        rules.push("  rule d0 = x".to_string());
        if !out_first {
            rules.reverse();
        }
        format!(
            "statute \"Chain Act § 1\"\nfacts {{ x: integer \"x\" }}\noutcomes {{ out: integer \"o\" }}\n(a) {{\n{}\n}}\n",
            rules.join("\n")
        )
    };
    let e = eval(&chain(199, true), r#"{ "x": 1 }"#);
    assert_eq!(out(&e, "out"), json!(1 + 198 * 90));
    let json = lawcode::render::evaluation_json(&e);
    assert_eq!(json["trace"][0]["name"], "out");
    // Every writer of the trace goes as deep as the chain, on this 2 MiB test thread.
    assert!(serde_json::to_string(&json).unwrap().len() > 10_000);
    let mut line = Vec::new();
    lawcode::render::write_evaluation_json(&mut line, &e);
    assert!(line.len() > 10_000);
    let text = lawcode::render::trace_text(e.trace().unwrap(), "");
    // `out`, d198 … d0, and the fact `x` at the bottom, each nested in the one above (and
    // each computed definition with its formula, cut short).
    let nodes = text.lines().filter(|l| !l.contains("formula: ")).count();
    assert_eq!(nodes, 1 + 199 + 1, "{text}");
    let formula = text.lines().find(|l| l.contains("formula: ")).unwrap();
    assert!(
        formula.ends_with(&format!("d197{}", " + 1".repeat(90))),
        "{formula}"
    );
    // One more is refused, whichever end of the chain the checker meets first.
    for out_first in [true, false] {
        let err = compile("t.law", &chain(200, out_first)).unwrap_err();
        let text = crate::support::render(&err);
        assert!(text.contains("lawcode::check::too_deep"), "{text}");
        let expected = if out_first {
            "more than 200 deep"
        } else {
            "`out` depends on a chain of 201 definitions, each reading the next"
        };
        assert!(text.contains(expected), "{text}");
    }
}

/// A rule file whose rules are chains of `terms` terms: a schedule of line items (`+`, `-`),
/// a product, and `or` and `and` conditions.
fn long_chains(terms: usize) -> String {
    let n = terms - 1;
    format!(
        "statute \"Schedule Act § 1\"\nfacts {{ base: money \"b\"  p: bool \"p\"  q: bool \"q\" }}\n\
         outcomes {{ total: money \"t\"  product: money \"m\"  any: bool \"a\"  fee: money \"f\" }}\n\
         (a) {{\n  rule total = base{}\n  rule product = base{}\n  rule any = p{}\n  \
         rule fee = $1 when q{}\n  rule fee = $0 when not q\n}}\n",
        " + $2 - $1".repeat(n / 2) + &" + $1".repeat(n % 2),
        " * 1".repeat(n),
        " or p".repeat(n),
        " and q".repeat(n),
    )
}

/// A flat chain is one level of nesting however long: a schedule of 100 line items checks and
/// evaluates (it was refused as nesting too deep).
#[test]
fn a_flat_sum_of_100_terms_checks_and_evaluates() {
    let items = vec!["$1"; 99].join(" + ");
    let rules = format!(
        "statute \"Schedule Act § 1\"\nfacts {{ base: money \"b\" }}\noutcomes {{ total: money \"t\" }}\n\
         (a) {{ rule total = base + {items} }}\n"
    );
    let e = eval(&rules, r#"{ "base": 1 }"#);
    assert_eq!(out(&e, "total"), json!("100.00"));
    let e = eval(&long_chains(100), r#"{ "base": 5, "p": false, "q": true }"#);
    assert_eq!(out(&e, "total"), json!("55.00"));
    assert_eq!(out(&e, "product"), json!("5.00"));
    assert_eq!(out(&e, "any"), json!(false));
    assert_eq!(out(&e, "fee"), json!("1.00"));
}

/// Chains of 10,000 terms check, compile and evaluate (with the trace) without one call per
/// term, on this 2 MiB test thread; one more term is refused with its own diagnostic.
#[test]
fn chains_of_ten_thousand_terms_run_and_longer_ones_are_refused() {
    let e = eval(
        &long_chains(lawcode::syntax::MAX_CHAIN_LEN),
        r#"{ "base": 5, "p": true, "q": true }"#,
    );
    assert_eq!(out(&e, "total"), json!("5005.00"));
    assert_eq!(out(&e, "product"), json!("5.00"));
    assert_eq!(out(&e, "any"), json!(true));
    assert_eq!(out(&e, "fee"), json!("1.00"));
    assert!(!lawcode::render::trace_text(e.trace().unwrap(), "").is_empty());
    let json = lawcode::render::evaluation_json(&e);
    assert_eq!(json["outcomes"]["total"], json!("5005.00"), "{json}");
    assert!(!serde_json::to_string(&json).unwrap().is_empty());
    let err = compile("t.law", &long_chains(lawcode::syntax::MAX_CHAIN_LEN + 1)).unwrap_err();
    let text = crate::support::render(&err);
    assert!(text.contains("lawcode::parse::too_long"), "{text}");
    assert!(text.contains("more than 10000 terms"), "{text}");
}

/// A chain runs as one loop, with what each operator means for undecided operands: the missing
/// facts of every term are reported, `true or undecided` is true wherever it stands.
#[test]
fn chains_keep_the_meaning_of_each_operator_with_undecided_terms() {
    let rules = r#"
statute "Act § 1"
facts { c: money "c"  x: money optional "x"  y: money optional "y"  p: bool optional "p"  q: bool "q" }
outcomes { sum: money "s"  any: bool "a"  all: bool "l" }
(a) {
    rule sum = c + x - c + y
    rule any = p or q or p
    rule all = p and q and p
}
"#;
    let e = eval(rules, r#"{ "c": 1, "q": true }"#);
    assert_eq!(out(&e, "sum"), Value::Null);
    assert_eq!(out(&e, "any"), json!(true));
    assert_eq!(out(&e, "all"), Value::Null);
    assert_eq!(e.missing, ["p", "x", "y"]);
    let e = eval(rules, r#"{ "c": 1, "x": 2, "y": 3, "q": false }"#);
    assert_eq!(out(&e, "sum"), json!("5.00"));
    assert_eq!(out(&e, "any"), Value::Null);
    assert_eq!(out(&e, "all"), json!(false));
}

/// A `from` table is a step function: a key takes the last row at or before it (the effective
/// date itself takes the new row, the day before the old one), whatever order the rows are
/// written in; the trace node cites the row's own provision and says which row was in force;
/// a number-keyed `from` table works the same; a key before the first row is an error.
#[test]
fn a_from_table_takes_the_row_in_force_and_cites_it() {
    let rules = r#"
statute "Act § 1"
table wage: from date -> money "the minimum wage" source "29 U.S.C. § 206(a)(1)" {
    2009-07-24 => $7.25 cites "29 U.S.C. § 206(a)(1)(C)"
    1997-09-01 => $5.15 cites "29 U.S.C. § 206(a)(1)"
    2008-07-24 => $6.55
}
table bracket: from integer -> decimal "a rate by income" source "nowhere" {
    0 => 0.10
    10000 => 0.15
}
facts { day: date "a day"  income: integer "an income" }
outcomes { rate: money "the wage that day"  share: decimal "the rate of the bracket" }
(a) { rule rate = wage[day]  rule share = bracket[income] }
"#;
    let cases = [
        (
            "1997-09-01",
            "5.15",
            Some("29 U.S.C. § 206(a)(1)"),
            "1997-09-01",
        ),
        (
            "2008-07-23",
            "5.15",
            Some("29 U.S.C. § 206(a)(1)"),
            "1997-09-01",
        ),
        ("2008-07-24", "6.55", None, "2008-07-24"),
        ("2009-07-23", "6.55", None, "2008-07-24"),
        (
            "2009-07-24",
            "7.25",
            Some("29 U.S.C. § 206(a)(1)(C)"),
            "2009-07-24",
        ),
        (
            "2030-01-01",
            "7.25",
            Some("29 U.S.C. § 206(a)(1)(C)"),
            "2009-07-24",
        ),
    ];
    for (day, wage, cites, from) in cases {
        let e = eval(rules, &format!(r#"{{"day": "{day}", "income": 9999}}"#));
        assert_eq!(out(&e, "rate"), json!(wage), "{day}");
        assert_eq!(out(&e, "share"), json!("0.1"));
        let rate = &e.trace().unwrap()[0];
        let row = rate
            .children
            .iter()
            .find(|n| n.kind == lawcode::trace::NodeKind::Table)
            .unwrap();
        assert_eq!(&*row.name, format!("wage[{day}]"));
        // Without `cites`, the row is the reading provision's.
        assert_eq!(&*row.citation, cites.unwrap_or("Act § 1(a)"), "{day}");
        assert_eq!(
            row.detail.as_deref(),
            Some(format!("the row in force from {from}").as_str())
        );
    }
    let e = eval(rules, r#"{"day": "2000-01-01", "income": 10000}"#);
    assert_eq!(out(&e, "share"), json!("0.15"));

    let program = compile("t.law", rules).unwrap();
    let facts = program
        .read_facts("case.json", r#"{"day": "1997-08-31", "income": 1}"#)
        .unwrap();
    let err = program
        .evaluate(&facts, EvalOptions::default())
        .unwrap_err();
    assert_eq!(err.code, "lawcode::eval::before_first_row");
    assert!(
        err.message.contains("`day` is 1997-08-31"),
        "{}",
        err.message
    );
    assert!(err.message.contains("its first row is from 1997-09-01"));
}

const FUNCTIONS: &str = r#"
statute "Act § 1"
record item { amount: money "a"  counts: bool default true "c" }
record person { id: text "i"  items: list of item "items" }
facts { people: list of person "p"  extra: list of item default [] "e" }
outcomes { total: money "t"  largest: money "l" }
// The body binds `v`, as the caller does: neither sees the other's.
function counted(v: list of item): money = sum(x.amount for x in v if x.counts)
function counted_twice(items: list of item): money = counted(items) + counted(items)
(a) {
    rule total = sum(counted(v.items) for v in people) + counted(extra)
    rule largest = max($0, counted_twice(extra))
}
"#;

#[test]
fn a_function_computes_from_its_arguments_and_its_names_stay_its_own() {
    let e = eval(
        FUNCTIONS,
        r#"{ "people": [
              { "id": "A", "items": [ { "amount": "10.00" }, { "amount": "5.00", "counts": false } ] },
              { "id": "B", "items": [ { "amount": "2.50" } ] } ],
            "extra": [ { "amount": "1.00" } ] }"#,
    );
    assert_eq!(out(&e, "total"), json!("13.50"));
    assert_eq!(out(&e, "largest"), json!("2.00"));
    // The items the body summed are traced as the caller's facts, under the calling provision.
    let trace = serde_json::to_string(&e.trace()).unwrap();
    assert!(trace.contains("people[0].items[1].counts"), "{trace}");
    assert!(
        crate::support::citations(&serde_json::to_value(e.trace()).unwrap())
            .iter()
            .all(|c| c == "Act § 1" || c == "Act § 1(a)")
    );
}

/// A quoted member beside a list of enumeration members is read as a member, on either side of
/// `in`, and inside a comprehension too (it used to be typed as text there).
#[test]
fn a_quoted_member_is_an_enumeration_member_beside_a_list_of_them() {
    let rules = r#"
statute "Act § 1"
enum kind { medical, other }
record loss { category: kind "the kind"  amount: money "the amount" }
facts { losses: list of loss default [] "the losses" }
outcomes { has_medical: bool "m"  no_other: bool "o"  medical: integer "n" }
(a) {
    rule has_medical = "medical" in filter(l.category for l in losses)
    rule no_other = "other" not in filter(l.category for l in losses)
    rule medical = count(filter(l for l in losses if l.category = "medical"))
}
"#;
    let e = eval(
        rules,
        r#"{"losses": [{"category": "medical", "amount": 5}, {"category": "medical", "amount": 1}]}"#,
    );
    assert_eq!(out(&e, "has_medical"), json!(true));
    assert_eq!(out(&e, "no_other"), json!(true));
    assert_eq!(out(&e, "medical"), json!(2));
    // A text that is no member is refused, naming the members.
    let bad = rules.replace("\"medical\" in", "\"medicl\" in");
    let err = compile("t.law", &bad).unwrap_err();
    assert!(crate::support::render(&err).contains("lawcode::check::type_mismatch"));
}
