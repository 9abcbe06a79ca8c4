//! Every question an editor asks the language server's analysis, at a few offsets: shared by
//! the fuzz target `lsp` and the property test `lsp::edits`. Neither may panic; the answers
//! are not checked here (the integration tests check them on known positions).
//!
//! Include it with `#[path = "../support/queries.rs"] mod queries;` (or the path from the
//! including file).

use lawcode::tools::analysis::Analysis;

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
