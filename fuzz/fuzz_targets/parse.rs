//! Any text given to the parser yields an AST or a parse diagnostic, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lawcode::syntax::parse_file(lawcode::source::FileId(0), "fuzz.law", text);
    }
});
