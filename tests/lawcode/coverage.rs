//! `lawcode test --coverage`: which provisions and branches a corpus exercised.

use crate::support::{RULES_2259, lawcode_in, program_2259, repo, stdout_of};
use lawcode::coverage::Coverage;
use lawcode::runner::{self, RunOptions};
use lawcode::{EvalOptions, compile};
use std::path::Path;

#[test]
fn the_2259_corpus_reaches_every_provision_that_computes_something() {
    let report = runner::run(
        program_2259(),
        RULES_2259,
        Path::new("tests/cases/usc-18-2259"),
        RunOptions {
            as_of: None,
            coverage: true,
        },
    )
    .unwrap();
    let c = report.coverage.unwrap();
    assert_eq!(c.cases, report.cases.len());
    assert!(c.provisions.computing >= 19, "{}", c.provisions.computing);
    assert_eq!(c.provisions.never, Vec::<String>::new());
    assert_eq!(c.provisions.reached, c.provisions.computing);
    assert_eq!(c.branches.never, vec![]);
    assert_eq!(c.branches.taken, c.branches.total);
    // Both texts are exercised: every provision of each text with a rule was reached.
    for text in ["original", "current"] {
        assert!(
            c.provisions
                .rows
                .iter()
                .any(|p| p.text == text && p.computes && p.cases > 0),
            "{text}"
        );
    }
    insta::assert_snapshot!("corpus_2259", c.text());
}

#[test]
fn coverage_names_what_a_small_corpus_never_exercised() {
    let o = lawcode_in(
        repo(),
        &[
            "test",
            RULES_2259,
            "tests/fixtures/runner",
            "--coverage",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&o)).unwrap();
    let c = &v["coverage"];
    // Only cases under the current text ran: the 1996 provisions were never reached.
    let never: Vec<&str> = c["provisions"]["never"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(never.contains(&"18 U.S.C. § 2259(b)(3)"), "{never:?}");
    assert!(c["branches"]["taken"].as_u64() < c["branches"]["total"].as_u64());
    let never_branches = c["branches"]["never"].as_array().unwrap();
    assert!(
        never_branches
            .iter()
            .any(|b| b["citation"] == "18 U.S.C. § 2259(b)(2)(C)"
                && b["definition"] == "restitution_amount"
                && b["branch"] == "taken")
    );

    let o = lawcode_in(
        repo(),
        &["test", RULES_2259, "tests/fixtures/runner", "--coverage"],
    );
    let text = stdout_of(&o);
    assert!(text.contains("never exercised"), "{text}");
    assert!(text.contains("provisions that compute something"), "{text}");
}

#[test]
fn branches_count_each_condition_true_and_false_and_each_rule_taken_or_not() {
    let program = compile(
        "award.law",
        r#"
statute "Example Act § 1" "Award"
facts { losses: money "losses"  waived: bool "the victim waived the award" }
outcomes { award: money "the award" }
(a) "Award" {
    rule floor = $3,000
    rule award = max(losses, floor)
}
(b) "Waiver" {
    exception to (a): award = $0.00
        when waived
}
"#,
    )
    .unwrap();
    let mut coverage = Coverage::new(&program);
    for json in [
        r#"{ "losses": "100.00", "waived": false }"#,
        r#"{ "losses": "9000.00", "waived": false }"#,
        r#"{ "losses": "9000.00", "waived": true }"#,
    ] {
        let facts = program.read_facts("case.json", json).unwrap();
        let e = program
            .evaluate(
                &facts,
                EvalOptions {
                    trace: true,
                    ..Default::default()
                },
            )
            .unwrap();
        coverage.record(&e);
    }
    let report = coverage.report();
    assert_eq!(report.cases, 3);
    let row = |label: &str, def: &str| {
        report
            .branches
            .rows
            .iter()
            .find(|r| r.citation.ends_with(label) && r.definition == def)
            .unwrap()
    };
    let counts = |label: &str, def: &str| -> Vec<(&'static str, usize)> {
        row(label, def)
            .branches
            .iter()
            .map(|b| (b.branch, b.cases))
            .collect()
    };
    // The default for `award`: taken twice, displaced once by the waiver.
    assert_eq!(counts("(a)", "award"), [("taken", 2), ("not taken", 1)]);
    // The exception: its condition true once, false twice.
    assert_eq!(
        counts("(b)", "award"),
        [
            ("taken", 1),
            ("not taken", 2),
            ("condition true", 1),
            ("condition false", 2)
        ]
    );
    // `floor` is read only when the default applies: its single rule folds into its node.
    assert_eq!(counts("(a)", "floor"), [("taken", 2)]);
    assert_eq!(row("(b)", "award").kind, "exception to (a)");
    assert_eq!(row("(b)", "award").condition.as_deref(), Some("waived"));
    assert_eq!(report.provisions.computing, 2);
    assert_eq!(report.provisions.reached, 2);
    assert_eq!(report.branches.total, 7);
    assert_eq!(report.branches.taken, 7);
}

/// Each corpus of the restitution family reaches every provision that computes something, and
/// takes every branch, under every version of its rule set.
#[test]
fn the_family_corpora_reach_every_provision_and_branch() {
    for (rules, dir) in [
        ("rules/usc/18/2248.law", "tests/cases/usc-18-2248"),
        ("rules/usc/18/1593.law", "tests/cases/usc-18-1593"),
    ] {
        let report = runner::run(
            crate::support::program(rules),
            rules,
            Path::new(dir),
            RunOptions {
                as_of: None,
                coverage: true,
            },
        )
        .unwrap();
        let c = report.coverage.unwrap();
        assert!(c.cases >= 12, "{dir}: {} cases", c.cases);
        assert_eq!(c.provisions.never, Vec::<String>::new(), "{dir}");
        assert_eq!(c.provisions.reached, c.provisions.computing, "{dir}");
        assert_eq!(c.branches.never, vec![], "{dir}");
        assert_eq!(c.branches.taken, c.branches.total, "{dir}");
    }
}
