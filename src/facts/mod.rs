//! Facts: a case's JSON in, values checked against the rule file's schema out.
//!
//! Validation is strict and reports every problem at once, each naming the
//! fact by its path (`victim.losses[2].amount`): unknown keys (with the
//! nearest valid name), wrong types, negative money, fractions of a cent,
//! impossible dates, unknown enumeration members, malformed citations, empty
//! lists that must not be empty, and missing required facts. Money is read
//! from the JSON text exactly, never through a float.

mod direct;
mod locate;
mod validate;

use crate::diagnostic::{Problem, Problems};
use crate::program::Schema;
use crate::value::Value;
use miette::NamedSource;
use validate::{Place, validate_places};

/// Stable codes of facts diagnostics.
pub mod codes {
    pub const JSON_SYNTAX: &str = "lawcode::facts::json_syntax";
    pub const NOT_AN_OBJECT: &str = "lawcode::facts::not_an_object";
    pub const UNKNOWN_KEY: &str = "lawcode::facts::unknown_key";
    pub const WRONG_TYPE: &str = "lawcode::facts::wrong_type";
    pub const MISSING_REQUIRED: &str = "lawcode::facts::missing_required";
    pub const NEGATIVE_MONEY: &str = "lawcode::facts::negative_money";
    pub const FRACTIONAL_CENTS: &str = "lawcode::facts::fractional_cents";
    pub const OUT_OF_RANGE: &str = "lawcode::facts::out_of_range";
    pub const IMPOSSIBLE_DATE: &str = "lawcode::facts::impossible_date";
    pub const UNKNOWN_MEMBER: &str = "lawcode::facts::unknown_member";
    pub const MALFORMED_CITATION: &str = "lawcode::facts::malformed_citation";
    pub const EMPTY_LIST: &str = "lawcode::facts::empty_list";
    pub const TOO_LARGE: &str = "lawcode::facts::too_large";
    pub const DUPLICATE_KEY: &str = "lawcode::facts::duplicate_key";
}

/// Most items a list fact may hold.
pub const MAX_LIST_LEN: usize = 100_000;
/// Largest facts document accepted, in bytes.
pub const MAX_FACTS_BYTES: usize = 16 * 1024 * 1024;

/// The facts could not be used; every problem found is listed.
pub type FactsError = Problems;

/// Validated facts: one value per top-level fact of the schema, in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub values: Vec<Value>,
}

/// Parses and validates a facts document. `name` is what diagnostics call the file.
pub fn read_facts(schema: &Schema, name: &str, json: &str) -> Result<Facts, FactsError> {
    let fail = |p: Problem| Problems {
        summary: format!("the facts in {name} cannot be used"),
        problems: vec![p],
    };
    if json.len() > MAX_FACTS_BYTES {
        return Err(fail(
            Problem::error(
                codes::TOO_LARGE,
                format!(
                    "the facts file is {} bytes; the limit is {MAX_FACTS_BYTES}",
                    json.len()
                ),
            )
            .with_help("split the case, or use `--batch` with one case per line"),
        ));
    }
    // Valid facts, the common case, are read in one pass; anything else is read again below,
    // which finds and reports every problem.
    if let Some(facts) = direct::read(schema, json) {
        return Ok(facts);
    }
    let doc: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            let offset = crate::diagnostic::line_col_offset(json, e.line(), e.column());
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            return Err(fail(
                Problem::error(codes::JSON_SYNTAX, format!("the facts are not valid JSON: {message} (line {}, column {})", e.line(), e.column()))
                    .with_help("fix the JSON syntax at the marked place; money may be written as `\"3000.00\"` or `3000`")
                    .in_source(NamedSource::new(name, json.to_string()))
                    .at_offset(offset, 1, "here"),
            ));
        }
    };
    // serde_json keeps the last of two equal keys; a fact given twice must not be silently dropped.
    let duplicates = locate::duplicate_keys(json);
    let validated = match (validate_places(schema, &doc), duplicates.is_empty()) {
        (Ok(facts), true) => Ok(facts),
        (Ok(_), false) => Err(Vec::new()),
        (Err(problems), _) => Err(problems),
    };
    validated.map_err(|mut problems| {
        let dups = duplicates.into_iter().map(|(path, start, len)| {
            let p = Problem::error(codes::DUPLICATE_KEY, format!("`{path}` is given twice"))
                .with_help("give each fact once; a JSON object keeps only one value per key")
                .in_source(NamedSource::new(name, json.to_string()))
                .at_offset(start, len, "given again here");
            (p, None)
        });
        let located: Vec<(Problem, Option<Place>)> = problems
            .drain(..)
            .map(|(p, place)| (p, Some(place)))
            .collect();
        let problems = dups.chain(located);
        // The document parsed, so the locator can find every place the validator names.
        let source = NamedSource::new(name, json.to_string());
        let problems = problems
            .map(|(p, place)| {
                let Some(place) = place else { return p };
                let p = p.in_source(source.clone());
                match locate::span(json, &place) {
                    // A missing fact is shown at the opening brace of the object it belongs in.
                    Some((start, _)) if p.code == codes::MISSING_REQUIRED => {
                        p.at_offset(start, 1, "add it here")
                    }
                    Some((start, len)) => {
                        let label = match place {
                            Place::Key { .. } => "not a fact of this rule set",
                            Place::Value(_) => "this value",
                        };
                        p.at_offset(start, len, label)
                    }
                    None => p,
                }
            })
            .collect();
        summarize(name, problems)
    })
}

/// Validates an already parsed JSON value (batch input parses lines itself). The
/// problems name each fact by its path but carry no source location.
pub fn validate(schema: &Schema, name: &str, doc: &serde_json::Value) -> Result<Facts, FactsError> {
    validate_places(schema, doc)
        .map_err(|problems| summarize(name, problems.into_iter().map(|(p, _)| p).collect()))
}

fn summarize(name: &str, problems: Vec<Problem>) -> Problems {
    let n = problems.len();
    Problems {
        summary: format!(
            "the facts in {name} have {n} problem{}",
            if n == 1 { "" } else { "s" }
        ),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Schema;
    use std::path::Path;

    fn schema_2259() -> Schema {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/usc/18/2259.law");
        (*crate::load_program(&path).unwrap().0.schema).clone()
    }

    /// The full way: a `serde_json::Value`, every check, and no key given twice.
    fn full_way(schema: &Schema, json: &str) -> Option<Facts> {
        let doc: serde_json::Value = serde_json::from_str(json).ok()?;
        if !locate::duplicate_keys(json).is_empty() {
            return None;
        }
        validate_places(schema, &doc).ok()
    }

    /// What the one-pass reader accepts, the full way accepts too, with the same values; and it
    /// does accept the valid cases of the corpus, so that the fast path is the common one. (The
    /// same agreement on 3,000 generated cases is `tests/lawcode/facts.rs`.)
    #[test]
    fn direct_reading_agrees_with_the_full_way() {
        let schema = schema_2259();
        let mut valid = 0;
        let mut accepted = 0;
        for dir in ["tests/cases/errors", "tests/cases/usc-18-2259"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                // A corpus file holds the facts under "facts"; an error case may be bare facts.
                let json = doc.get("facts").cloned().unwrap_or(doc).to_string();
                let full = full_way(&schema, &json);
                valid += usize::from(full.is_some());
                if let Some(f) = direct::read(&schema, &json) {
                    accepted += 1;
                    assert_eq!(Some(&f), full.as_ref(), "{json}");
                }
                assert_eq!(read_facts(&schema, "case", &json).ok(), full, "{json}");
            }
        }
        assert!(valid >= 60, "only {valid} valid cases in the corpus");
        assert_eq!(
            accepted, valid,
            "the one-pass reader gave up on valid cases"
        );
        // Money given as a JSON number is read directly too (serde_json hands it over as a map).
        let number = r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "victim": {"prior_recovery": 1250.5}}"#;
        assert!(direct::read(&schema, number).is_some());
    }
}
