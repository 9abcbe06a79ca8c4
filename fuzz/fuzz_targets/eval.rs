//! Any facts document evaluated against the § 2259 rules yields a result or a
//! diagnostic, never a panic; results render as text and JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

/// The § 2259 rule files, compiled into the fuzzer so it runs from any directory.
struct Bundled;

impl lawcode::load::FileReader for Bundled {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let name = path.to_string_lossy();
        if name.ends_with("2259.law") {
            Ok(include_str!("../../rules/usc/18/2259.law").to_string())
        } else if name.ends_with("cpi-u.law") {
            Ok(include_str!("../../rules/data/cpi-u.law").to_string())
        } else {
            Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not bundled"))
        }
    }
}

fn program() -> &'static lawcode::Program {
    static PROGRAM: OnceLock<lawcode::Program> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        // INVARIANT: the bundled rules are the repository's, which its tests check.
        lawcode::load_program_with(&Bundled, Path::new("rules/usc/18/2259.law")).expect("bundled rules check").0
    })
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
