//! The diagnostics a legal engineer sees, as snapshots: every rule file in
//! `tests/fixtures/diagnostics/` and every bad facts file in
//! `tests/cases/errors/` is rejected, and the rendered diagnostic (code,
//! message, underlined source, help) is the snapshot.

use crate::support::{program_2259, render, repo};
use lawcode::EvalOptions;
use std::path::Path;

fn relative(path: &Path) -> &Path {
    path.strip_prefix(repo()).unwrap_or(path)
}

#[test]
fn bad_rule_files() {
    insta::glob!("../fixtures/diagnostics", "*.law", |path| {
        let err = match lawcode::load_program(relative(path)) {
            Ok(_) => panic!("{} should be rejected", path.display()),
            Err(e) => e,
        };
        let text = render(&err);
        assert!(
            text.contains("lawcode::"),
            "every diagnostic carries a code: {text}"
        );
        insta::assert_snapshot!(text);
    });
}

#[test]
fn bad_facts_files() {
    let program = program_2259();
    insta::glob!("../cases/errors", "*.json", |path| {
        let name = relative(path).display().to_string();
        let json = std::fs::read_to_string(path).unwrap();
        let text = match program.read_facts(&name, &json) {
            Err(e) => render(&e),
            Ok(facts) => match program.evaluate(&facts, EvalOptions::default()) {
                Err(e) => render(&e),
                Ok(_) => panic!("{name} should be rejected"),
            },
        };
        assert!(
            text.contains("lawcode::"),
            "every diagnostic carries a code: {text}"
        );
        insta::assert_snapshot!(text);
    });
}

#[test]
fn every_facts_problem_is_reported_at_once() {
    let program = program_2259();
    let json = r#"{ "offense_date": "2019-02-30", "victm": {}, "convictions": [{ "section": "22x52(a" }],
                   "victim": { "losses": [{ "category": "medicl", "amount": "-1" }, { "category": "other", "amount": 1.005 }] } }"#;
    let err = program.read_facts("case.json", json).unwrap_err();
    let codes: Vec<&str> = err.problems.iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        [
            "lawcode::facts::unknown_key",
            "lawcode::facts::impossible_date",
            "lawcode::facts::malformed_citation",
            "lawcode::facts::unknown_member",
            "lawcode::facts::negative_money",
            "lawcode::facts::fractional_cents",
        ]
    );
    let text = render(&err);
    assert!(text.contains("victim.losses[1].amount"), "{text}");
    assert!(text.contains("did you mean `medical`?"), "{text}");
}

#[test]
fn a_conflict_between_two_rules_names_both() {
    let rules = r#"
statute "Test Act § 1"
facts { trafficking: bool "t"  production: bool "p" }
outcomes { award: money "the award" }
(a) { rule award = $1 when trafficking }
(b) { rule award = $2 when production }
"#;
    let program = lawcode::compile("conflict.law", rules).unwrap();
    let facts = program
        .read_facts("f.json", r#"{"trafficking": true, "production": true}"#)
        .unwrap();
    let err = program
        .evaluate(&facts, EvalOptions::default())
        .unwrap_err();
    assert_eq!(err.code, "lawcode::eval::conflict");
    assert!(err.message.contains("in (a) and in (b)"), "{}", err.message);
    assert_eq!(err.labels.len(), 2);
    // With only one applicable, there is no conflict.
    let facts = program
        .read_facts("f.json", r#"{"trafficking": true, "production": false}"#)
        .unwrap();
    let ok = program.evaluate(&facts, EvalOptions::default()).unwrap();
    assert_eq!(ok.outcome("award"), Some(&serde_json::json!("1.00")));
}

#[test]
fn money_that_is_not_whole_cents_must_be_rounded_in_the_rules() {
    let rules = r#"
statute "Test Act § 1"
facts { losses: money "l" }
outcomes { third: money "a third" rounded: money "rounded" }
(a) {
    rule third = losses / 3
    rule rounded = round(losses / 3, cents, half_away_from_zero)
}
"#;
    let program = lawcode::compile("third.law", rules).unwrap();
    let facts = program
        .read_facts("f.json", r#"{"losses": "100.00"}"#)
        .unwrap();
    let err = program
        .evaluate(&facts, EvalOptions::default())
        .unwrap_err();
    assert_eq!(err.code, "lawcode::eval::unrounded_money");
    assert!(err.message.contains("Test Act § 1(a)"), "{}", err.message);
}

#[test]
fn overflow_is_a_diagnostic_not_a_panic() {
    let rules = r#"
statute "Test Act § 1"
facts { losses: money "l" }
outcomes { doubled: money "d" }
(a) { rule doubled = losses * 100000000000 * 100000000000 }
"#;
    let program = lawcode::compile("overflow.law", rules).unwrap();
    let facts = program.read_facts("f.json", r#"{"losses": "792281625142643375935439503.35"}"#);
    match facts {
        Err(e) => assert!(
            e.problems
                .iter()
                .all(|p| p.code.starts_with("lawcode::facts::")),
            "{e:?}"
        ),
        Ok(facts) => {
            let err = program
                .evaluate(&facts, EvalOptions::default())
                .unwrap_err();
            assert_eq!(err.code, "lawcode::eval::overflow");
        }
    }
    let facts = program
        .read_facts("f.json", r#"{"losses": "79228162514264337593543950.33"}"#)
        .unwrap();
    let err = program
        .evaluate(&facts, EvalOptions::default())
        .unwrap_err();
    assert_eq!(err.code, "lawcode::eval::overflow");
}
