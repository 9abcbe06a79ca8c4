//! The bundled examples: each `examples/*.json` evaluated against the § 2259
//! rules, in text and in the contract's JSON, as snapshots.

use crate::support::program_2259;
use lawcode::EvalOptions;
use lawcode::render::{evaluation_json, evaluation_text};

#[test]
fn examples_in_text_and_json() {
    let program = program_2259();
    insta::glob!("../../examples", "*.json", |path| {
        let json = std::fs::read_to_string(path).unwrap();
        let result = crate::support::evaluate_traced(program, "example.json", &json);
        insta::assert_snapshot!("text", evaluation_text(program, &result));
        insta::assert_json_snapshot!("json", evaluation_json(&result));
    });
}

#[test]
fn there_are_enough_examples_to_cover_both_texts() {
    let program = program_2259();
    let mut versions = std::collections::BTreeSet::new();
    let examples = crate::support::files("examples", "json");
    assert!(examples.len() >= 8);
    for path in examples {
        let facts = program
            .read_facts("x", &std::fs::read_to_string(path).unwrap())
            .unwrap();
        let r = program.evaluate(&facts, EvalOptions::default()).unwrap();
        versions.insert(r.version.unwrap().to_string());
    }
    assert_eq!(
        versions.into_iter().collect::<Vec<_>>(),
        ["1996-04-24", "2018-12-07"]
    );
}
