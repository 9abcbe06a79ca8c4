//! Random edits of a rule file, and every question an editor asks the language server's
//! analysis at a few offsets: shared by the fuzz target `lsp` and the property test
//! `lsp::edits`. Neither may panic; the answers
//! are not checked here (the integration tests check them on known positions).
//!
//! Include it with `#[path = "../support/queries.rs"] mod queries;` (or the path from the
//! including file).

use lawcode::tools::analysis::Analysis;

/// What a typing legal engineer inserts: brackets, quotes, names, keywords, literals.
pub const SNIPPETS: &[&str] = &[
    "",
    "(",
    ")",
    "{",
    "}",
    "\"",
    ".",
    "victim.",
    "court.",
    "§",
    "§2252A(g)",
    " and ",
    " or ",
    "not ",
    "rule x = ",
    "exception to (b)(1): ",
    "when ",
    "$3,000",
    "2018-12-07",
    "é",
    "// c\n",
    "\n",
    "[",
    "]",
    "recovery_remaining",
    "import \"nowhere.law\"\n",
    "(b)(2)(C)",
    "1e400",
];

/// Replaces `delete` bytes of `text` at `fraction` (0 to 1) of its length with snippet `what`
/// (taken modulo their number), both ends moved to character boundaries. The byte range
/// replaced.
pub fn edit(text: &mut String, fraction: f64, delete: usize, what: usize) -> (usize, usize) {
    let mut at = ((fraction.clamp(0.0, 1.0) * text.len() as f64) as usize).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + delete).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text.replace_range(at..end, SNIPPETS[what % SNIPPETS.len()]);
    (at, end)
}

/// Asks `analysis` everything about `file_name` (the text as the editor has it: `text`) at
/// each of `offsets`, and then for the outline and workspace symbols.
pub fn ask_everything(analysis: &Analysis, file_name: &str, text: &str, offsets: &[usize]) {
    if let Some(file) = analysis.file_named(file_name) {
        let len = analysis.text(file).len();
        for &offset in offsets.iter().chain(&[len, len + 10]) {
            let _ = analysis.hover(file, offset);
            let _ = analysis.definition(file, offset);
            let _ = analysis.references(file, offset, true);
            let _ = analysis.prepare_rename(file, offset);
            let _ = analysis.rename(file, offset, "renamed");
            let _ = analysis.completions(text, offset);
        }
        let _ = analysis.outline(file);
    }
    let _ = analysis.workspace_symbols("rec", 100);
}
