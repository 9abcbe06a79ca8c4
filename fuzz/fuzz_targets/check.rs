//! Any text given to parse + check yields a program or diagnostics, never a panic;
//! a program that checks is then evaluated on empty facts, which must not panic either.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(program) = lawcode::compile("fuzz.law", text) {
            if let Ok(facts) = program.read_facts("facts.json", "{}") {
                let _ = program.evaluate(&facts, lawcode::EvalOptions { trace: true, ..Default::default() });
            }
        }
    }
});
