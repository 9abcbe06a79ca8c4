//! `lawcode test`: the § 2259 corpus passes; failures show want/got and the
//! trace that produced the value; malformed files are reported and the rest
//! still run; `--as-of` evaluates every case under one text.

use crate::support::{RULES_2259, files, lawcode_in, program_2259, repo, stderr_of, stdout_of};
use lawcode::runner::{self, CaseStatus, Failure, RunOptions};
use std::path::Path;

const CORPUS: &str = "tests/cases/usc-18-2259";
const FIXTURES: &str = "tests/fixtures/runner";

#[test]
fn the_2259_corpus_passes_from_the_command_line() {
    let o = lawcode_in(repo(), &["test", RULES_2259, CORPUS]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&o),
        stderr_of(&o)
    );
    let out = stdout_of(&o);
    let n = files(CORPUS, "json").len();
    assert!(
        n >= 40,
        "the corpus should hold at least 40 test files, found {n}"
    );
    assert!(out.contains(&format!("\n{n} passed, 0 failed\n")), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("ok    ")).count(), n);
}

#[test]
fn failures_and_malformed_files_are_reported_and_the_rest_still_run() {
    let o = lawcode_in(repo(), &["test", RULES_2259, FIXTURES]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr_of(&o));
    assert!(stderr_of(&o).is_empty(), "{}", stderr_of(&o));
    insta::assert_snapshot!("fixtures_text", stdout_of(&o));

    let o = lawcode_in(repo(), &["test", RULES_2259, FIXTURES, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&o)).unwrap();
    assert_eq!(v["passed"], 1);
    assert_eq!(v["failed"], 7);
    let status = |case: &str| {
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["case"] == case)
            .unwrap_or_else(|| panic!("no case {case}"))
            .clone()
    };
    assert_eq!(status("passes-floor-3000.json")["status"], "pass");
    let floor = status("fails-floor-5000.json");
    assert_eq!(floor["status"], "fail");
    let failure = &floor["failures"][0];
    assert_eq!(failure["kind"], "outcome");
    assert_eq!(failure["outcome"], "restitution_amount");
    assert_eq!(failure["want"], "5000.00");
    assert_eq!(failure["got"], "3000.00");
    // The path: the outcome, the exception that gave the value, what it read.
    let path = &failure["path"][0];
    assert_eq!(path["citation"], "18 U.S.C. § 2259(b)(2)(B)");
    assert_eq!(path["children"][0]["kind"], "exception");
    assert_eq!(path["children"][0]["status"], "applied");
    assert!(
        path["children"][0]["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "minimum_restitution" && c["value"] == "3000.00")
    );
    let other = status("fails-missing-and-cite.json");
    let kinds: Vec<&str> = other["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["missing", "cite"]);
    for (case, code) in [
        ("malformed/bad-json.json", "lawcode::test::bad_json"),
        (
            "malformed/unknown-key-expcet.json",
            "lawcode::test::bad_test_file",
        ),
        (
            "malformed/unknown-outcome.json",
            "lawcode::test::unknown_outcome",
        ),
        ("malformed/no-expect.json", "lawcode::test::no_expect"),
    ] {
        let c = status(case);
        assert_eq!(c["status"], "error", "{case}");
        assert_eq!(c["error"]["code"], code, "{case}");
    }
    let facts = status("malformed/bad-facts-victm.json");
    assert_eq!(facts["status"], "error");
    assert_eq!(
        facts["error"]["related"][0]["code"],
        "lawcode::facts::unknown_key"
    );
}

#[test]
fn as_of_runs_every_case_under_one_text() {
    let program = program_2259();
    let date = "2018-12-07".parse().unwrap();
    let report = runner::run(
        program,
        RULES_2259,
        Path::new(CORPUS),
        RunOptions {
            as_of: Some(date),
            coverage: false,
        },
    )
    .unwrap();
    assert_eq!(report.as_of.as_deref(), Some("2018-12-07"));
    let failed: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.status != CaseStatus::Pass)
        .map(|c| c.case.as_str())
        .collect();
    // Every case written for the current text still passes; the 1996 cases do not.
    assert!(!failed.is_empty());
    for case in &failed {
        assert!(
            case.starts_with("original-1996-") || case.contains("2018-12-06"),
            "{case} failed under the current text"
        );
    }
    assert!(
        report
            .cases
            .iter()
            .all(|c| c.status == CaseStatus::Error || c.version.as_deref() == Some("2018-12-07"))
    );

    // From the command line, the flag does the same.
    let o = lawcode_in(
        repo(),
        &[
            "test",
            RULES_2259,
            CORPUS,
            "--as-of",
            "2018-12-07",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&o)).unwrap();
    assert_eq!(v["failed"], failed.len());
}

#[test]
fn outcomes_not_listed_are_not_compared_and_amounts_compare_by_value() {
    let program = program_2259();
    let report = runner::run(
        program,
        RULES_2259,
        &repo().join(FIXTURES),
        RunOptions::default(),
    )
    .unwrap();
    let pass = report
        .cases
        .iter()
        .find(|c| c.case == "passes-floor-3000.json")
        .unwrap();
    // It lists two outcomes of nine and writes the amount as "3000".
    assert_eq!(pass.status, CaseStatus::Pass, "{pass:?}");
    let floor = report
        .cases
        .iter()
        .find(|c| c.case == "fails-floor-5000.json")
        .unwrap();
    assert!(matches!(
        floor.failures.as_slice(),
        [Failure::Outcome { outcome, .. }] if outcome == "restitution_amount"
    ));
}

#[test]
fn a_directory_without_test_files_is_an_error() {
    let empty = tempfile::tempdir().unwrap();
    let rules = repo().join(RULES_2259);
    let o = lawcode_in(empty.path(), &["test", rules.to_str().unwrap(), "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_of(&o).contains("lawcode::test::no_cases"),
        "{}",
        stderr_of(&o)
    );
}
