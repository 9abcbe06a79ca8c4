//! The case corpora: every `tests/cases/usc-18-*/*.json` file holds the facts of a case and
//! the outcomes, missing facts and citations a reader expects. The expectations were worked out
//! by hand from the contracts (docs/contracts/).

use crate::support::{citations, evaluate_traced, files, program_2259};
use lawcode::Program;
use lawcode::render::evaluation_json;

/// Checks every case of `dir` against `program`: each expected outcome, the missing facts and
/// the citations the trace must hold.
fn corpus_gives_the_expected_outcomes(program: &Program, dir: &str, at_least: usize) {
    let cases = files(dir, "json");
    assert!(
        cases.len() >= at_least,
        "{dir} should hold at least {at_least} cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for path in &cases {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let result = evaluate_traced(program, &name, &case["facts"].to_string());
        let json = evaluation_json(&result);
        let expect = &case["expect"];
        for (outcome, want) in expect["outcomes"].as_object().unwrap() {
            let got = &json["outcomes"][outcome];
            if got != want {
                failures.push(format!("{name}: {outcome}: want {want}, got {got}"));
            }
        }
        if let Some(want) = expect.get("version")
            && json["version"] != *want
        {
            failures.push(format!(
                "{name}: version: want {want}, got {}",
                json["version"]
            ));
        }
        let want_missing = expect
            .get("missing")
            .cloned()
            .unwrap_or(serde_json::json!([]));
        if json["missing"] != want_missing {
            failures.push(format!(
                "{name}: missing: want {want_missing}, got {}",
                json["missing"]
            ));
        }
        let cited = citations(&json["trace"]);
        for cite in expect
            .get("cites")
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
        {
            let cite = cite.as_str().unwrap();
            if !cited.iter().any(|c| c.ends_with(cite)) {
                failures.push(format!("{name}: the trace never cites {cite}"));
            }
        }
        assert!(
            cited.iter().all(|c| !c.is_empty()),
            "{name}: a trace node without citation"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_in_the_corpus_gives_the_expected_outcomes() {
    corpus_gives_the_expected_outcomes(program_2259(), "tests/cases/usc-18-2259", 40);
}

#[test]
fn every_2248_case_gives_the_expected_outcomes() {
    corpus_gives_the_expected_outcomes(
        crate::support::program("rules/usc/18/2248.law"),
        "tests/cases/usc-18-2248",
        12,
    );
}

/// The text trace of every § 2248 case (see [`every_case_trace_is_snapshotted`]).
#[test]
fn every_2248_case_trace_is_snapshotted() {
    let program = crate::support::program("rules/usc/18/2248.law");
    insta::glob!("../cases/usc-18-2248", "*.json", |path| {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let result = evaluate_traced(program, "case.json", &case["facts"].to_string());
        insta::assert_snapshot!(lawcode::render::evaluation_text(program, &result));
    });
}

#[test]
fn every_1593_case_gives_the_expected_outcomes() {
    corpus_gives_the_expected_outcomes(
        crate::support::program("rules/usc/18/1593.law"),
        "tests/cases/usc-18-1593",
        12,
    );
}

/// The text trace of every § 1593 case (see [`every_case_trace_is_snapshotted`]).
#[test]
fn every_1593_case_trace_is_snapshotted() {
    let program = crate::support::program("rules/usc/18/1593.law");
    insta::glob!("../cases/usc-18-1593", "*.json", |path| {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let result = evaluate_traced(program, "case.json", &case["facts"].to_string());
        insta::assert_snapshot!(lawcode::render::evaluation_text(program, &result));
    });
}

/// The full text trace of every case, so that `cargo insta review` shows
/// exactly which trace lines an edit of the rules moved.
#[test]
fn every_case_trace_is_snapshotted() {
    let program = program_2259();
    insta::glob!("../cases/usc-18-2259", "*.json", |path| {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let result = evaluate_traced(program, "case.json", &case["facts"].to_string());
        insta::assert_snapshot!(lawcode::render::evaluation_text(program, &result));
    });
}
