//! `lawcode fmt`: the canonical layout, its properties (idempotent, meaning and comments kept)
//! on every rule file in the repo and on generated programs, and the command's contract
//! (`--check`, rewriting in place, files that do not parse left alone).

use crate::support::{lawcode_in, lawcode_with_stdin, repo, stderr_of, stdout_of};
use lawcode::format::{self, comments};
use lawcode::source::FileId;
use lawcode::syntax;
use proptest::prelude::*;

/// The three properties, checked here from the outside (not trusting the formatter's own
/// self-check): `fmt(fmt(x)) == fmt(x)`, the tree of `fmt(x)` is the tree of `x` spans aside,
/// and the comments of `x` are those of `fmt(x)`, in the same order.
fn assert_properties(name: &str, text: &str) -> Result<String, TestCaseError> {
    let before = syntax::parse_file(FileId(0), name, text)
        .map_err(|e| TestCaseError::reject(format!("does not parse: {e}")))?;
    let once = format::format_source(name, text)
        .map_err(|e| TestCaseError::fail(format!("{name}: {}", crate::support::render(&e))))?;
    let twice = format::format_source(name, &once)
        .map_err(|e| TestCaseError::fail(format!("{name} formatted: {e}")))?;
    prop_assert_eq!(
        &twice,
        &once,
        "{} is not formatted the same way twice",
        name
    );
    let after = syntax::parse_file(FileId(0), name, &once)
        .map_err(|e| TestCaseError::fail(format!("{name} formatted does not parse: {e}")))?;
    prop_assert_eq!(
        format::shape(&before),
        format::shape(&after),
        "{} reads differently formatted:\n{}",
        name,
        once
    );
    let texts = |t: &str| -> Vec<String> {
        comments::scan(t)
            .comments
            .into_iter()
            .map(|c| c.text)
            .collect()
    };
    prop_assert_eq!(
        texts(text),
        texts(&once),
        "{} lost or moved a comment",
        name
    );
    Ok(once)
}

/// Every `.law` file in the repo that parses (the rules, the examples, the test fixtures).
fn repo_law_files() -> Vec<std::path::PathBuf> {
    let dirs = ["rules", "tests", "examples"].map(|d| repo().join(d));
    format::files::law_files(&dirs).unwrap()
}

#[test]
fn every_rule_file_in_the_repo_keeps_its_meaning_and_comments_and_formats_once() {
    let mut formatted = 0;
    for path in repo_law_files() {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        match assert_properties(&name, &text) {
            Ok(_) => formatted += 1,
            Err(TestCaseError::Reject(_)) => {} // a fixture that is meant not to parse
            Err(TestCaseError::Fail(why)) => panic!("{why}"),
        }
    }
    assert!(formatted >= 35, "only {formatted} rule files formatted");
}

#[test]
fn the_bundled_rules_are_formatted() {
    for path in format::files::law_files(&[repo().join("rules")]).unwrap() {
        let text = std::fs::read_to_string(&path).unwrap();
        let out = format::format_source(&path.display().to_string(), &text).unwrap();
        assert!(
            out == text,
            "{} is not formatted: run `lawcode fmt rules/`",
            path.display()
        );
    }
}

/// The layout, shown on one file that has every construct, its comments in awkward places.
#[test]
fn layout_of_every_construct() {
    let input = r#"// A file written carelessly.
import "../data/cpi-u.law"
statute "Test Act § 1" "a test"   // trailing
version old from 2000-01-01 "the first text"
version new from 2018-12-07
versions selected by offense_date note "§ 2(b): the date of the offense"
enum kind { a, b,c }
record item { amount: money "an amount"
  kind: kind default a }
facts { offense_date: date "when"
  // the items
  items: list of item nonempty "the items"
  cap: money optional }
outcomes { total: money "the total" }
table rate: integer -> decimal "rates" source "a table" { 2000 => 1.5
 2001 => 1.75 }
(a) "Heading" { text "The court shall order." rule base = sum(i.amount for i in items if i.kind = a) note "all of them"
  (1) in new { rule total = if base > $3,000 and not (cap = $0 or cap > base) then min(base, cap) else max(-base * 2 + 1, $0) when offense_date >= 2018-12-07
    exception to (a)(2): total = base
  }
  (2) { not computed "see (1)" disregard cap "why" rule listed = [§2251 through §2260A, §2252A(a)(1) through (5)] }
}
"#;
    let out = format::format_source("every-construct.law", input).unwrap();
    assert_properties("every-construct.law", input).unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn a_long_text_string_stays_on_one_line_as_written() {
    let long = "x".repeat(180);
    let input =
        format!("statute \"T\"\n(a) {{ text \"{long}\" not computed \"a very long reason\" }}\n");
    let out = format::format_source("t.law", &input).unwrap();
    assert!(out.contains(&format!("    text \"{long}\"\n")), "{out}");
}

#[test]
fn a_long_condition_breaks_before_its_operators() {
    let input = "statute \"T\"\n(a) { rule x = alpha_condition_one and beta_condition_two and gamma_condition_three or delta_condition_four and epsilon_condition_five }\n";
    let out = format::format_source("t.law", input).unwrap();
    insta::assert_snapshot!(out, @r#"
    statute "T"

    (a) {
        rule x =
                (alpha_condition_one and beta_condition_two and gamma_condition_three)
                    or (delta_condition_four and epsilon_condition_five)
    }
    "#);
}

// ------------------------------------------------------------------ generated programs

const NAMES: &[&str] = &[
    "a", "losses", "victim", "cap", "x_1", "_t", "court", "amount",
];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES).prop_map(str::to_string)
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_string()),
        Just("false".to_string()),
        (0u32..100_000).prop_map(|n| n.to_string()),
        (0u32..1000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        (0u32..10_000_000).prop_map(|n| format!("${n}")),
        Just("$3,000.00".to_string()),
        Just("2018-12-07".to_string()),
        Just("§2252A(a)(1)".to_string()),
        Just("\"a // string, not a comment\"".to_string()),
    ]
}

/// Expressions over every operator and form, written with extra brackets and odd spacing.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        literal(),
        name(),
        (name(), name()).prop_map(|(a, b)| format!("{a}.{b}"))
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let op = prop::sample::select(
            &[
                "or", "and", "=", "!=", "<", "<=", ">", ">=", "within", "in", "not in", "+", "-",
                "*", "/",
            ][..],
        );
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(l, o, r)| format!("{l} {o} {r}")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("not {e}")),
            inner.clone().prop_map(|e| format!("-{e}")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, t, e)| format!("if {c} then {t} else {e}")),
            (name(), prop::collection::vec(inner.clone(), 0..4))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (inner.clone(), name(), inner.clone())
                .prop_map(|(e, v, s)| format!("sum({e} for {v} in {s})")),
            (inner.clone(), name(), inner.clone(), inner.clone())
                .prop_map(|(e, v, s, f)| format!("any({e} for {v} in {s} if {f})")),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|l| format!("[{}]", l.join(","))),
            (inner.clone(), inner).prop_map(|(a, i)| format!("({a})[{i}]")),
        ]
    })
}

fn comment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(String::new()),
        Just(" // a note for the reader".to_string()),
        Just("\n// a line of its own\n".to_string()),
    ]
}

fn rule() -> impl Strategy<Value = String> {
    (name(), expr(), prop::option::of(expr()), comment()).prop_map(|(n, v, c, k)| match c {
        Some(c) => format!("rule {n} = {v} when {c}{k}\n"),
        None => format!("rule {n} = {v}{k}\n"),
    })
}

fn provision(depth: u32) -> BoxedStrategy<String> {
    let label = prop::sample::select(&["(a)", "(b)", "(1)", "(2)", "(A)", "(i)"][..]);
    let items = prop::collection::vec(rule(), 0..3);
    let text = prop::option::of(Just("text \"The court shall order restitution.\"\n"));
    if depth == 0 {
        (label, text, items)
            .prop_map(|(l, t, r)| format!("{l} {{ {}{} }}\n", t.unwrap_or(""), r.concat()))
            .boxed()
    } else {
        (
            label,
            text,
            items,
            prop::collection::vec(provision(depth - 1), 0..3),
            comment(),
        )
            .prop_map(|(l, t, r, subs, k)| {
                format!(
                    "{l} \"Heading\" {{{k}\n{}{}{}}}\n",
                    t.unwrap_or(""),
                    r.concat(),
                    subs.concat()
                )
            })
            .boxed()
    }
}

fn program() -> impl Strategy<Value = String> {
    (
        comment(),
        prop::collection::vec(
            (
                name(),
                prop::sample::select(&["money", "bool", "list of date", "decimal"][..]),
                comment(),
            ),
            0..4,
        ),
        prop::collection::vec(provision(2), 1..4),
    )
        .prop_map(|(k, facts, provisions)| {
            let facts: String = facts
                .iter()
                .map(|(n, t, k)| format!("  {n}: {t} \"the {n}\"{k}\n"))
                .collect();
            format!(
                "statute \"Generated Act\"{k}\nfacts {{\n{facts}}}\n{}",
                provisions.concat()
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// On generated programs (every operator, nesting, comments between and after lines):
    /// idempotent, the same tree, the same comments.
    #[test]
    fn generated_programs_keep_their_meaning_and_comments_and_format_once(text in program()) {
        assert_properties("generated.law", &text)?;
    }
}

// ------------------------------------------------------------------ the command

fn temp_rules() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules/sub")).unwrap();
    std::fs::write(
        dir.path().join("rules/formatted.law"),
        "statute \"T\"\n\n(a) {\n    rule x = 1\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/sub/messy.law"),
        "statute \"T\"   // kept\n(a) { rule x = 1+2 }\n",
    )
    .unwrap();
    dir
}

#[test]
fn check_lists_the_files_that_would_change_and_exits_1() {
    let dir = temp_rules();
    let out = lawcode_in(dir.path(), &["fmt", "--check", "rules"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "rules/sub/messy.law:1\n");
    assert!(stderr_of(&out).contains("1 of 2 rule files would be reformatted"));
    // Nothing was written.
    let messy = std::fs::read_to_string(dir.path().join("rules/sub/messy.law")).unwrap();
    assert!(messy.contains("1+2"));
}

#[test]
fn fmt_rewrites_in_place_and_then_check_passes() {
    let dir = temp_rules();
    let out = lawcode_in(dir.path(), &["fmt", "rules"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("formatted 1 of 2 rule files"));
    let messy = std::fs::read_to_string(dir.path().join("rules/sub/messy.law")).unwrap();
    assert_eq!(
        messy,
        "statute \"T\" // kept\n\n(a) {\n    rule x = 1 + 2\n}\n"
    );
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("rules/sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["messy.law"]);
    let again = lawcode_in(dir.path(), &["fmt", "--check", "rules"]);
    assert!(again.status.success(), "{}", stdout_of(&again));
    assert_eq!(stdout_of(&again), "");
}

#[test]
fn a_file_that_does_not_parse_is_left_untouched_with_its_diagnostic() {
    let dir = temp_rules();
    let broken = "statute \"T\"\n(a) { rule x = }\n";
    std::fs::write(dir.path().join("rules/broken.law"), broken).unwrap();
    let out = lawcode_in(dir.path(), &["fmt", "rules"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("lawcode::parse::syntax"), "{err}");
    assert!(err.contains("rules/broken.law"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rules/broken.law")).unwrap(),
        broken
    );
    // The other files were still formatted.
    let messy = std::fs::read_to_string(dir.path().join("rules/sub/messy.law")).unwrap();
    assert!(messy.contains("1 + 2"));
}

#[test]
fn standard_input_to_standard_output() {
    let out = lawcode_with_stdin(&["fmt", "-"], b"statute \"T\"\n(a) { rule x = 1+2 }\n");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out),
        "statute \"T\"\n\n(a) {\n    rule x = 1 + 2\n}\n"
    );
    let mixed = lawcode_in(repo(), &["fmt", "-", "rules"]);
    assert_eq!(mixed.status.code(), Some(1));
    assert!(stderr_of(&mixed).contains("lawcode::fmt::stdin_alone"));
}

#[test]
fn a_file_that_is_not_utf8_is_reported_and_left_alone() {
    let dir = temp_rules();
    std::fs::write(dir.path().join("rules/latin1.law"), b"statute \"\xe9\"\n").unwrap();
    let out = lawcode_in(dir.path(), &["fmt", "--check", "rules/latin1.law"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("lawcode::fmt::not_utf8"),
        "{}",
        stderr_of(&out)
    );
}
