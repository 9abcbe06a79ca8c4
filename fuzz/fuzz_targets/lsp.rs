//! Random edits of the § 2259 file, as a legal engineer types them, through the language
//! server's analysis: after every edit the file is checked (with its import, read from memory)
//! and asked what an editor asks (hover, definition, references, rename, completion, outline,
//! workspace symbols, formatting) at offsets the input chooses. None may panic or hang; the
//! formatter may refuse only a file that does not parse (its self-check never fails).
//!
//! The input is read as edits of four bytes and a tail: offset (two bytes, as a fraction of
//! the text), length to delete (one byte), then one of a few snippets (one byte) to insert.
#![no_main]
use lawcode::tools::analysis::{Analysis, Overlay, normalize};
use libfuzzer_sys::fuzz_target;
#[path = "../../tests/support/queries.rs"]
mod queries;
use std::path::Path;

mod bundled;

fuzz_target!(|data: &[u8]| {
    let entry = normalize(Path::new("rules/usc/18/2259.law"));
    let mut overlay = Overlay::default();
    // Its imports, from memory; the file itself is edited below.
    for (name, text) in bundled::FILES {
        overlay.open.insert(normalize(Path::new(name)), (*text).to_string());
    }
    let mut text = overlay.open.get(&entry).cloned().unwrap_or_default();
    for edit in data.chunks(4).take(16) {
        let [a, b, del, what] = <[u8; 4]>::try_from(edit).unwrap_or([edit[0], 0, 0, 0]);
        let fraction = f64::from(u16::from_le_bytes([a, b])) / f64::from(u16::MAX);
        let (at, end) = queries::edit(
            &mut text,
            fraction,
            usize::from(del % 24),
            usize::from(what),
        );

        overlay.open.insert(entry.clone(), text.clone());
        let analysis = Analysis::run(&overlay, &entry);
        queries::ask_everything(
            &analysis,
            &entry.display().to_string(),
            &text,
            &[at, end, at / 2],
        );
        match lawcode::format::format_source("2259.law", &text) {
            Ok(out) => assert_eq!(
                lawcode::format::format_source("2259.law", &out)
                    .ok()
                    .as_deref(),
                Some(out.as_str()),
                "formatting is not idempotent"
            ),
            Err(lawcode::format::FormatError::Parse(_)) => {}
            Err(e) => panic!("the formatter's self-check failed: {e}"),
        }
    }
});
