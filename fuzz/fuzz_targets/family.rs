//! Any facts document against the § 2248 and § 1593 rules (the first byte chooses which) yields
//! a result or a diagnostic, never a panic; the one-pass facts reader and the full validator
//! agree (a document is accepted by both or refused by both); results render as text and JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

mod bundled;

fn programs() -> &'static [lawcode::Program; 2] {
    static PROGRAMS: OnceLock<[lawcode::Program; 2]> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        [
            bundled::load("rules/usc/18/2248.law"),
            bundled::load("rules/usc/18/1593.law"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(json) = std::str::from_utf8(rest) else { return };
    let program = &programs()[usize::from(which % 2)];
    let read = program.read_facts("fuzz.json", json);
    // The one-pass reader accepts only what the full validator accepts (fact limits, unique
    // items and all). The other way round may differ: the text reader also refuses a key given
    // twice, which a parsed `serde_json::Value` has already lost.
    if read.is_ok() {
        // The reader ignores a byte order mark before the document (RFC 8259 § 8.1); serde_json
        // does not.
        let text = json.strip_prefix('\u{feff}').unwrap_or(json);
        let doc: serde_json::Value = serde_json::from_str(text).expect("accepted facts are JSON");
        assert!(
            lawcode::facts::validate(program.schema(), "fuzz.json", &doc).is_ok(),
            "the one-pass reader accepted facts the full validator refuses"
        );
    }
    if let Ok(facts) = read {
        if let Ok(result) = program.evaluate(&facts, lawcode::EvalOptions { trace: true, ..Default::default() }) {
            let _ = lawcode::render::evaluation_text(program, &result);
            let _ = lawcode::render::evaluation_json(&result);
        }
    }
});
