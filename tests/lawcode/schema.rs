//! `lawcode schema`: the facts as a JSON Schema, checked with an independent validator (the
//! `jsonschema` crate) against the facts reader on every facts document in the repository:
//! the schema accepts what the reader accepts, and refuses what the reader refuses.

use crate::support::{lawcode_in, program_2259, repo, stdout_of};
use serde_json::Value;
use std::path::PathBuf;

fn schema_2259() -> Value {
    let out = lawcode_in(repo(), &["schema", "rules/usc/18/2259.law"]);
    assert!(out.status.success());
    serde_json::from_str(&stdout_of(&out)).unwrap()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .unwrap()
}

fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

#[test]
fn the_schema_of_2259() {
    insta::assert_json_snapshot!(schema_2259());
}

/// Every case of the corpus, every bundled example and every rejected facts file: the schema
/// and the facts reader give the same verdict. (A file of `tests/cases/errors/` whose facts are
/// valid fails later, in evaluation: the schema accepts it, as the reader does.)
#[test]
fn the_schema_agrees_with_the_facts_reader_on_every_facts_file() {
    let schema = schema_2259();
    let validator = validator(&schema);
    let program = program_2259();
    let mut checked = (0, 0);
    let mut files: Vec<(PathBuf, Value)> = Vec::new();
    for path in json_files("tests/cases/usc-18-2259") {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        files.push((path, case["facts"].clone()));
    }
    for dir in ["examples", "tests/cases/errors"] {
        for path in json_files(dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            files.push((path, serde_json::from_str(&text).unwrap()));
        }
    }
    for (path, facts) in &files {
        let reader = program.read_facts("case.json", &facts.to_string());
        let errors: Vec<String> = validator
            .iter_errors(facts)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        match (&reader, errors.is_empty()) {
            (Ok(_), true) => checked.0 += 1,
            (Err(_), false) => checked.1 += 1,
            (Ok(_), false) => panic!(
                "{}: the reader accepts it, the schema refuses it: {errors:?}",
                path.display()
            ),
            (Err(e), true) => panic!(
                "{}: the reader refuses it ({}), the schema accepts it",
                path.display(),
                e.problems[0].code
            ),
        }
    }
    assert!(checked.0 >= 80, "{checked:?}");
    assert!(checked.1 >= 13, "{checked:?}");
}

/// Generated cases (every branch of the contract, money as strings and as numbers) are valid
/// under the schema.
#[test]
fn generated_cases_are_valid_under_the_schema() {
    let validator = validator(&schema_2259());
    let mut g = crate::generate::Generator::new(7);
    for _ in 0..500 {
        let case = g.case();
        let errors: Vec<String> = validator
            .iter_errors(&case)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{case}: {errors:?}");
    }
}

#[test]
fn money_numbers_with_cents_are_valid_and_with_fractions_of_cents_are_not() {
    let schema = schema_2259();
    let money = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": schema["$defs"],
        "$ref": "#/$defs/loss/properties/amount",
    });
    let v = validator(&money);
    for ok in [
        serde_json::json!(0),
        serde_json::json!(12.34),
        serde_json::json!(1234.1),
        serde_json::json!("3000"),
        serde_json::json!("3000.05"),
    ] {
        assert!(v.is_valid(&ok), "{ok} should be money");
    }
    for bad in [
        serde_json::json!(12.345),
        serde_json::json!(-1),
        serde_json::json!("$3,000"),
        serde_json::json!("1.234"),
        serde_json::json!(true),
    ] {
        assert!(!v.is_valid(&bad), "{bad} should not be money");
    }
}
