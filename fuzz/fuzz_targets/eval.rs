//! Any facts document evaluated against the § 2259 rules yields a result or a
//! diagnostic, never a panic; results render as text and JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

mod bundled;

fn program() -> &'static lawcode::Program {
    static PROGRAM: OnceLock<lawcode::Program> = OnceLock::new();
    PROGRAM.get_or_init(|| bundled::load("rules/usc/18/2259.law"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    let program = program();
    if let Ok(facts) = program.read_facts("fuzz.json", json) {
        if let Ok(result) = program.evaluate(&facts, lawcode::EvalOptions { trace: true, ..Default::default() }) {
            let _ = lawcode::render::evaluation_text(program, &result);
            let _ = lawcode::render::evaluation_json(&result);
        }
    }
});
