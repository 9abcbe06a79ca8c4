//! The § 2259 case corpus: every `tests/cases/usc-18-2259/*.json` file holds
//! the facts of a case and the outcomes, missing facts and citations a reader
//! expects. The expectations were worked out by hand from the contract.

use crate::support::{citations, evaluate_traced, files, program_2259};
use lawcode::render::evaluation_json;

#[test]
fn every_case_in_the_corpus_gives_the_expected_outcomes() {
    let program = program_2259();
    let cases = files("tests/cases/usc-18-2259", "json");
    assert!(
        cases.len() >= 40,
        "the corpus should hold at least 40 cases, found {}",
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
