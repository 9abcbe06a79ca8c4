//! lawcode in the browser: [`check`], [`evaluate`] and [`format`], each taking text and
//! returning JSON text, through `wasm-bindgen`.
//!
//! A thin layer over the library's facade: the rule file and the files it imports are given as
//! text (an in-memory [`FileReader`]), and every answer is what the library says, serialized. No
//! rule logic lives here.
//!
//! Every function takes an optional `options` JSON object (a string):
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `path` | `"main.law"` | the rule file's path; its imports are resolved against it |
//! | `files` | `{}` | other files by path (`{"rules/data/cpi-u.law": "…"}`), for imports |
//! | `as_of` | none | `evaluate`: the date the text in force is chosen by (`YYYY-MM-DD`), as `--as-of` |
//! | `trace` | `true` | `evaluate`: record the trace, or not (as `--no-trace`) |
//! | `outcomes` | `[]` | `evaluate`: only these outcomes' trees in the trace, as `--outcome` |
//! | `with_text` | `false` | `evaluate`: as `--with-text` |
//! | `facts_name` | `"facts.json"` | `evaluate`: what diagnostics call the facts |
//!
//! Answers are `{"ok": true, …}` with the result, or `{"ok": false, "diagnostics": […]}`: the
//! model `lawcode check --format json` prints (`code`, `severity`, `message`, `help`, `file`,
//! `labels` with byte `offset` and `length`, 1-based `line` and `column`, and `citation`).

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "tests may panic"
    )
)]

use lawcode::EvalOptions;
use lawcode::diagnostic::json::{DiagnosticJson, bounded_default, diagnostics_json};
use lawcode::load::{FileReader, normalize};
use lawcode::render;
use lawcode::rule_source::{check_as_of, parse_date};
use lawcode::tools::analysis::Analysis;
use miette::Diagnostic;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wasm_bindgen::prelude::wasm_bindgen;

/// The code of a diagnostic about the `options` argument itself (not JSON, an unknown key…).
pub const BAD_OPTIONS: &str = "lawcode::wasm::bad_options";

/// What every function may be told; see the crate's documentation.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Options {
    path: Option<String>,
    files: HashMap<String, String>,
    as_of: Option<String>,
    trace: Option<bool>,
    outcomes: Vec<String>,
    with_text: bool,
    facts_name: Option<String>,
}

impl Options {
    fn parse(text: Option<String>) -> Result<Options, String> {
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(Options::default()),
            Some(t) => serde_json::from_str(t).map_err(|e| {
                failed(vec![DiagnosticJson {
                    code: BAD_OPTIONS.to_string(),
                    severity: "error",
                    message: format!("the options are not what lawcode takes: {e}"),
                    help: Some(
                        "give a JSON object with keys among path, files, as_of, trace, \
                         outcomes, with_text and facts_name"
                            .to_string(),
                    ),
                    file: None,
                    labels: Vec::new(),
                    citation: None,
                }])
            }),
        }
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(self.path.as_deref().unwrap_or("main.law"))
    }
}

/// Rule files held in memory: the rule file being edited and the files it may import.
struct Memory {
    files: HashMap<PathBuf, String>,
}

impl Memory {
    fn new(options: &Options, entry: &Path, source: &str) -> Memory {
        let mut files: HashMap<PathBuf, String> = options
            .files
            .iter()
            .map(|(p, t)| (normalize(Path::new(p)), t.clone()))
            .collect();
        files.insert(normalize(entry), source.to_string());
        Memory { files }
    }
}

impl FileReader for Memory {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.files.get(&normalize(path)).cloned().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "it is not among the files given (options.files)",
            )
        })
    }
}

fn answer(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn failed(diagnostics: Vec<DiagnosticJson>) -> String {
    answer(&json!({ "ok": false, "diagnostics": bounded_default(diagnostics) }))
}

fn failed_with(e: &dyn Diagnostic) -> String {
    failed(diagnostics_json(e, &|_, _| None))
}

/// The diagnostics of a rule file, as `lawcode check --format json` gives them:
/// `{"ok": bool, "diagnostics": […]}`, `ok` when none is an error (warnings may be listed).
#[wasm_bindgen]
pub fn check(source: &str, options: Option<String>) -> String {
    let options = match Options::parse(options) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let entry = options.path();
    let reader = Memory::new(&options, &entry, source);
    let analysis = Analysis::run(&reader, &entry);
    let ok = !analysis.diagnostics.iter().any(DiagnosticJson::is_error);
    answer(&json!({ "ok": ok, "diagnostics": bounded_default(analysis.diagnostics) }))
}

/// Evaluates the case `facts` (JSON text) under the rule file `source`:
/// `{"ok": true, "result": …}` with the result as `lawcode eval --format json` prints it, or
/// `{"ok": false, "diagnostics": […]}` (the rules, the options or the facts refused, or the
/// evaluation failed).
#[wasm_bindgen]
pub fn evaluate(source: &str, facts: &str, options: Option<String>) -> String {
    let options = match Options::parse(options) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let entry = options.path();
    let reader = Memory::new(&options, &entry, source);
    let (program, _warnings) = match lawcode::load_program_with(&reader, &entry) {
        Ok(p) => p,
        Err(e) => return failed_with(&e),
    };
    let as_of = match options.as_of.as_deref().map(parse_date).transpose() {
        Ok(d) => d,
        Err(e) => return failed_with(&e),
    };
    if let Some(date) = as_of {
        if let Err(e) = check_as_of(&program, date) {
            return failed_with(&e);
        }
    }
    let view = match render::View::new(&program, options.outcomes.clone(), options.with_text) {
        Ok(v) => v,
        Err(e) => return failed_with(&e),
    };
    let name = options.facts_name.as_deref().unwrap_or("facts.json");
    let facts = match program.read_facts(name, facts) {
        Ok(f) => f,
        Err(e) => return failed_with(&e),
    };
    let eval_options = EvalOptions {
        trace: options.trace.unwrap_or(true),
        as_of,
    };
    match program.evaluate(&facts, eval_options) {
        Ok(result) => answer(&json!({
            "ok": true,
            "result": render::evaluation_json_with(&result, &view),
        })),
        Err(e) => failed_with(&e),
    }
}

/// The rule file `source` in the canonical layout, as `lawcode fmt` writes it:
/// `{"ok": true, "text": …}`, or `{"ok": false, "diagnostics": […]}` when it does not parse.
#[wasm_bindgen]
pub fn format(source: &str, options: Option<String>) -> String {
    let options = match Options::parse(options) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let name = options.path.as_deref().unwrap_or("main.law");
    match lawcode::format::format_source(name, source) {
        Ok(text) => answer(&json!({ "ok": true, "text": text })),
        Err(e) => failed_with(&e),
    }
}

/// The version of lawcode this module was built from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = include_str!("../../../rules/usc/18/2259.law");
    const CPI: &str = include_str!("../../../rules/data/cpi-u.law");
    const LOSSES: &str = include_str!("../../../rules/usc/18/lib/losses.law");
    const FLOOR: &str = include_str!("../../../examples/trafficking-floor.json");

    fn options() -> String {
        json!({
            "path": "rules/usc/18/2259.law",
            "files": { "rules/data/cpi-u.law": CPI, "rules/usc/18/lib/losses.law": LOSSES },
        })
        .to_string()
    }

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn the_flagship_checks_and_evaluates() {
        let c = parse(&check(RULES, Some(options())));
        assert_eq!(c["ok"], true, "{c}");
        let e = parse(&evaluate(RULES, FLOOR, Some(options())));
        assert_eq!(e["ok"], true, "{e}");
        assert_eq!(e["result"]["outcomes"]["restitution_amount"], "3000.00");
    }

    #[test]
    fn a_missing_import_is_a_diagnostic() {
        let c = parse(&check(RULES, None));
        assert_eq!(c["ok"], false);
        assert_eq!(c["diagnostics"][0]["code"], "lawcode::load::unreadable");
        let e = parse(&evaluate(RULES, FLOOR, None));
        assert_eq!(e["ok"], false);
    }

    #[test]
    fn a_typo_points_at_its_offset() {
        let typo = RULES.replacen("restitution_required", "restitution_requird", 2);
        let c = parse(&check(&typo, Some(options())));
        assert_eq!(c["ok"], false);
        let label = &c["diagnostics"][0]["labels"][0];
        assert!(label["offset"].as_u64().is_some(), "{c}");
    }

    #[test]
    fn bad_options_and_bad_facts_are_diagnostics() {
        let e = parse(&evaluate(RULES, FLOOR, Some("{\"pth\": 1}".into())));
        assert_eq!(e["diagnostics"][0]["code"], BAD_OPTIONS);
        let e = parse(&evaluate(RULES, "{", Some(options())));
        assert_eq!(e["ok"], false);
        let e = parse(&evaluate(RULES, FLOOR, Some("not json".into())));
        assert_eq!(e["ok"], false);
    }

    #[test]
    fn format_is_lawcode_fmt() {
        let f = parse(&format(RULES, None));
        assert_eq!(f["text"], RULES, "the repository's rules are formatted");
        let f = parse(&format("statute", None));
        assert_eq!(f["ok"], false);
    }
}
