//! The diagnostics a legal engineer sees, as snapshots: every rule file in
//! `tests/fixtures/diagnostics/` and every bad facts file in
//! `tests/cases/errors/` is rejected, and the rendered diagnostic (code,
//! message, underlined source, help) is the snapshot.

use crate::support::{codes_in_source, program_2259, render, repo, source_texts};
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

/// Rule files that check, with warnings worth a reader's attention.
#[test]
fn rule_files_with_warnings() {
    insta::glob!("../fixtures/warnings", "*.law", |path| {
        let (_, report) = lawcode::load_program(relative(path)).unwrap();
        assert!(
            !report.warnings.is_empty(),
            "{} should warn",
            path.display()
        );
        let text: Vec<String> = report.warnings.iter().map(|w| render(w)).collect();
        insta::assert_snapshot!(text.join("\n"));
    });
}

/// Rules that check and facts that validate, but whose evaluation fails: each
/// `tests/fixtures/eval/<case>.law` is evaluated on `<case>.json`.
#[test]
fn evaluation_errors() {
    insta::glob!("../fixtures/eval", "*.law", |path| {
        let program = lawcode::load_program(relative(path)).unwrap().0;
        let facts_path = path.with_extension("json");
        let json = std::fs::read_to_string(&facts_path).unwrap();
        let facts = program.read_facts("case.json", &json).unwrap();
        let err = program
            .evaluate(&facts, EvalOptions::default())
            .unwrap_err();
        assert!(err.kind::<lawcode::EvalKind>().is_some());
        insta::assert_snapshot!(render(&err));
    });
}

/// Facts that other rule files refuse: each `tests/fixtures/refused/<case>.law` reads
/// `<case>.json`.
#[test]
fn facts_other_rule_files_refuse() {
    insta::glob!("../fixtures/refused", "*.law", |path| {
        let program = lawcode::load_program(relative(path)).unwrap().0;
        let facts_path = path.with_extension("json");
        let name = relative(&facts_path).display().to_string();
        let json = std::fs::read_to_string(&facts_path).unwrap();
        let err = program.read_facts(&name, &json).unwrap_err();
        insta::assert_snapshot!(render(&err));
    });
}

#[test]
fn bad_facts_fixtures() {
    let program = program_2259();
    insta::glob!("../fixtures/facts", "*.json", |path| {
        let name = relative(path).display().to_string();
        let err = program
            .read_facts(&name, &std::fs::read_to_string(path).unwrap())
            .unwrap_err();
        insta::assert_snapshot!(render(&err));
    });
}

#[test]
fn oversized_facts_are_refused() {
    let program = program_2259();
    let huge = format!(
        "{{\"offense_date\": \"2019-05-01\", \"pad\": \"{}\"}}",
        "x".repeat(lawcode::facts::MAX_FACTS_BYTES)
    );
    let err = program.read_facts("huge.json", &huge).unwrap_err();
    assert_eq!(err.problems[0].kind(), Some(lawcode::FactsKind::TooLarge));
    let many = format!(
        "{{\"offense_date\": \"2019-05-01\", \"convictions\": [{}]}}",
        vec!["{\"section\": \"2252\"}"; lawcode::facts::MAX_LIST_LEN + 1].join(",")
    );
    let err = program.read_facts("many.json", &many).unwrap_err();
    assert!(
        err.problems
            .iter()
            .any(|p| p.kind() == Some(lawcode::FactsKind::TooLarge)),
        "{err:?}"
    );
    // JSON nested deeper than serde_json's limit is a syntax error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = program.read_facts("deep.json", &deep).unwrap_err();
    assert_eq!(err.problems[0].kind(), Some(lawcode::FactsKind::JsonSyntax));
}

#[test]
fn importing_too_many_files_is_refused() {
    /// Every file imports two new ones: an endless tree of imports.
    struct Endless;
    impl lawcode::load::FileReader for Endless {
        fn read(&self, path: &Path) -> std::io::Result<String> {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            Ok(format!("import \"{stem}a.law\"\nimport \"{stem}b.law\"\n"))
        }
    }
    let err = lawcode::load_program_with(&Endless, Path::new("x.law")).unwrap_err();
    assert!(render(&err).contains("lawcode::load::too_many_files"));
}

/// Every diagnostic code in the source is documented in docs/diagnostics.md, and every
/// code of the parse, check, facts, eval and load stages has at least one snapshot.
#[test]
fn every_code_is_documented_and_shown() {
    let sources = source_texts();
    let codes = codes_in_source();
    let docs = std::fs::read_to_string(repo().join("docs/diagnostics.md")).unwrap();
    let mut snapshots = String::new();
    for entry in std::fs::read_dir(repo().join("tests/lawcode/snapshots")).unwrap() {
        snapshots.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut tests = String::new();
    for entry in std::fs::read_dir(repo().join("tests/lawcode")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            tests.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    // Unit tests in the library (a test of what the public API cannot build): only the part of
    // a file after its `#[cfg(test)]`, never the code that defines the codes.
    for text in &sources {
        if let Some(at) = text.find("#[cfg(test)]") {
            tests.push_str(&text[at..]);
        }
    }
    let undocumented: Vec<&String> = codes
        .iter()
        .filter(|c| !docs.contains(&format!("`{c}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "codes missing from docs/diagnostics.md: {undocumented:?}"
    );
    let staged = [
        "lawcode::parse::",
        "lawcode::check::",
        "lawcode::facts::",
        "lawcode::eval::",
        "lawcode::load::",
    ];
    let unshown: Vec<&String> = codes
        .iter()
        .filter(|c| staged.iter().any(|s| c.starts_with(s)))
        .filter(|c| !snapshots.contains(c.as_str()) && !tests.contains(&format!("\"{c}\"")))
        .collect();
    assert!(
        unshown.is_empty(),
        "codes with no snapshot or test: {unshown:?}"
    );
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

/// `unique` and `unique by FIELD`: a repeat is a facts error naming both items, in a list of
/// the facts and in a list inside a record; both readers (the one-pass reader, which gives up on
/// a repeat, and the full way) say the same; absent values repeat nothing; `5.0` and `5.00` are
/// the same amount.
#[test]
fn unique_lists_refuse_repeats_naming_both_items() {
    let program = lawcode::compile(
        "awards.law",
        r#"
statute "Example Act § 1" "Awards"
record week { start: date "its first day"  hours: decimal "hours worked" }
record victim {
    id: text "the victim's identifier"
    loss: money optional "the victim's loss"
    weeks: list of week unique by start default [] "the weeks worked"
}
facts {
    victims: list of victim nonempty unique by id "the identifiable victims"
    amounts: list of money unique default [] "amounts claimed"
}
outcomes { total: money "the losses of every victim" }
(a) { rule total = sum(v.loss for v in victims) }
"#,
    )
    .unwrap();
    let json = r#"{"victims": [
        {"id": "V1", "loss": "5.00"},
        {"id": "V2", "weeks": [{"start": "2020-01-06", "hours": 40}, {"start": "2020-01-06", "hours": 2}]},
        {"id": "V1"}, {"id": "V1"}],
      "amounts": ["5.0", 5, "6.00"]}"#;
    let err = program.read_facts("case.json", json).unwrap_err();
    let full = program
        .facts_from_value("case.json", &serde_json::from_str(json).unwrap())
        .unwrap_err();
    let messages = |e: &lawcode::facts::FactsError| -> Vec<(String, Option<String>)> {
        e.problems
            .iter()
            .map(|p| (p.message.clone(), p.fact_path.clone()))
            .collect()
    };
    assert_eq!(messages(&err), messages(&full));
    assert!(
        err.problems
            .iter()
            .all(|p| p.kind() == Some(lawcode::FactsKind::DuplicateItem))
    );
    assert_eq!(
        messages(&err),
        [
            (
                "`victims[1].weeks[0].start` and `victims[1].weeks[1].start` are both 2020-01-06"
                    .to_string(),
                Some("victims[1].weeks[1].start".to_string())
            ),
            (
                "`victims[0].id` and `victims[2].id` are both \"V1\"".to_string(),
                Some("victims[2].id".to_string())
            ),
            (
                "`victims[0].id` and `victims[3].id` are both \"V1\"".to_string(),
                Some("victims[3].id".to_string())
            ),
            (
                "`amounts[0]` and `amounts[1]` are both 5.00".to_string(),
                Some("amounts[1]".to_string())
            ),
        ]
    );
    insta::assert_snapshot!(render(&err));
    // Different values, or values not given, are no repeat.
    let fine = r#"{"victims": [{"id": "V1", "weeks": [{"start": "2020-01-06", "hours": 40}]},
                                {"id": "V2", "weeks": [{"start": "2020-01-13", "hours": 40}]}]}"#;
    assert!(program.read_facts("case.json", fine).is_ok());
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
    assert_eq!(err.kind(), Some(lawcode::EvalKind::Conflict));
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
    assert_eq!(err.kind(), Some(lawcode::EvalKind::UnroundedMoney));
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
                .all(|p| p.kind::<lawcode::FactsKind>().is_some()),
            "{e:?}"
        ),
        Ok(facts) => {
            let err = program
                .evaluate(&facts, EvalOptions::default())
                .unwrap_err();
            assert_eq!(err.kind(), Some(lawcode::EvalKind::Overflow));
        }
    }
    let facts = program
        .read_facts("f.json", r#"{"losses": "79228162514264337593543950.33"}"#)
        .unwrap();
    let err = program
        .evaluate(&facts, EvalOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(lawcode::EvalKind::Overflow));
}

/// The kinds a caller matches on are the stable codes: each check, facts and eval kind has one
/// code, read back as that kind, and the catalogue documents exactly these codes.
#[test]
fn each_stage_kind_is_one_documented_code() {
    use lawcode::{CheckKind, EvalKind, FactsKind, Kind};
    fn codes<K: Kind + PartialEq + std::fmt::Debug>(all: &[K], stage: &str) -> Vec<&'static str> {
        all.iter()
            .map(|&k| {
                let code = k.code();
                assert!(
                    code.starts_with(&format!("lawcode::{stage}::")),
                    "{k:?}: {code}"
                );
                assert_eq!(K::of_code(code), Some(k));
                code
            })
            .collect()
    }
    let template =
        std::fs::read_to_string(crate::support::repo().join("docs/diagnostics.in.md")).unwrap();
    for (stage, kinds) in [
        ("check", codes(CheckKind::ALL, "check")),
        ("facts", codes(FactsKind::ALL, "facts")),
        ("eval", codes(EvalKind::ALL, "eval")),
    ] {
        let prefix = format!("`lawcode::{stage}::");
        let documented: std::collections::BTreeSet<&str> = template
            .lines()
            .filter_map(|l| l.strip_prefix("| "))
            .filter(|l| l.starts_with(&prefix))
            .filter_map(|l| l.get(1..).and_then(|l| l.split('`').next()))
            .collect();
        let kinds: std::collections::BTreeSet<&str> = kinds.into_iter().collect();
        assert_eq!(
            documented, kinds,
            "the {stage} kinds and the catalogue differ"
        );
    }
    // Another stage's code is not a kind of this one.
    assert_eq!(CheckKind::of_code("lawcode::facts::unknown_key"), None);
}
