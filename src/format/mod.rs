//! Formatting: `.law` source text in, the same rules in the canonical layout out.
//!
//! In: a file's text. Out: its text laid out one way (see `docs/language.md`, "Layout"), with
//! every comment kept where it stands and every string and literal exactly as written. The
//! parser's tree ([`crate::syntax::ast`]) says what to print; [`comments`] finds what the tree
//! does not keep (comments, strings as written); `printer` builds a [`pretty`] document (a
//! Wadler-style document algebra: text, line breaks that a group takes flat or broken, nesting)
//! which is rendered at [`WIDTH`] columns.
//!
//! Before it returns, [`format_source`] parses its own output and compares it with the input:
//! the same tree (spans aside) and the same comments in the same order, or an error and the
//! file left as it is.

pub mod comments;
#[cfg(feature = "cli")]
pub mod files;
mod printer;

use crate::source::FileId;
use crate::syntax::{self, ParseError, ast};
use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

/// The width lines are laid out to. A line is longer only when one string, comment or
/// unbreakable head (a provision's label and heading) is longer.
pub const WIDTH: usize = 100;

/// A file that cannot be formatted.
#[derive(Debug, Error, Diagnostic)]
pub enum FormatError {
    /// It does not parse; nothing is formatted.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse(#[from] ParseError),
    /// The formatter's own check failed: its output would not say the same as the input.
    #[error("formatting {name} would change it: {what}")]
    #[diagnostic(
        code(lawcode::fmt::self_check),
        help(
            "the file is left as it is; this is a bug in the formatter, please report it with this file"
        )
    )]
    SelfCheck {
        /// The file's name as given to [`format_source`], as the message names it.
        name: String,
        /// What differs, in words: "its output does not parse", "its output loses or moves this
        /// comment"…
        what: &'static str,
        /// The input text (not the output), so the label points into the file as it stands.
        #[source_code]
        src: NamedSource<String>,
        /// Where the input first differs: the start of the first item or comment that changed, or
        /// offset 0 when no place is known; an empty span.
        #[label("from here on")]
        at: SourceSpan,
    },
}

/// `text` (the file `name`) in the canonical layout.
pub fn format_source(name: &str, text: &str) -> Result<String, FormatError> {
    let file = syntax::parse_file(FileId(0), name, text)?;
    let out = stacker::maybe_grow(256 << 10, 8 << 20, || format_file(&file, text));
    // The self-check: the output must read as the input did.
    let fail = |what: &'static str, at: usize| FormatError::SelfCheck {
        name: name.to_string(),
        what,
        src: NamedSource::new(name, text.to_string()),
        at: SourceSpan::from((at.min(text.len()), 0)),
    };
    let again = syntax::parse_file(FileId(0), name, &out)
        .map_err(|_| fail("its output does not parse", 0))?;
    if let Some(i) = first_difference(&file, &again) {
        let at = file.items.get(i).and_then(item_start).unwrap_or(0);
        return Err(fail("its output reads as different rules", at));
    }
    let before = comments::scan(text).comments;
    let after = comments::scan(&out).comments;
    if let Some(c) = before
        .iter()
        .zip(&after)
        .find(|(a, b)| a.text != b.text)
        .map(|(a, _)| a)
        .or_else(|| before.get(after.len()))
    {
        return Err(fail("its output loses or moves this comment", c.start));
    }
    if after.len() != before.len() {
        return Err(fail("its output has a comment the input does not", 0));
    }
    Ok(out)
}

/// A parsed file in the canonical layout; `text` is the source it was parsed from (for
/// comments, and strings and literals as written). Does not check its output.
pub fn format_file(file: &ast::File, text: &str) -> String {
    let tokens = comments::scan(text);
    let mut printer = printer::Printer::new(text, tokens);
    let doc = printer.file(file);
    let rendered = doc.pretty(WIDTH).to_string();
    let mut out = String::with_capacity(rendered.len() + 1);
    if text.starts_with('\u{FEFF}') {
        out.push('\u{FEFF}');
    }
    for line in rendered.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    if !out.is_empty() && out != "\u{FEFF}" {
        out.push('\n');
    }
    out
}

/// What a tree says, spans aside: its `Debug` rendering with every `Span { … }` left out. Two
/// files with the same shape are the same rules.
pub fn shape(file: &ast::File) -> String {
    let full = format!("{:?}", file.items);
    let mut out = String::with_capacity(full.len());
    let mut rest = full.as_str();
    while let Some(at) = rest.find("Span { file: FileId(") {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at..).unwrap_or("");
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        out.push_str("Span");
        rest = after.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The index of the first item whose shape differs between `a` and `b`.
fn first_difference(a: &ast::File, b: &ast::File) -> Option<usize> {
    let n = a.items.len().max(b.items.len());
    (0..n).find(|&i| {
        let one = |f: &ast::File| {
            f.items.get(i).map(|item| {
                shape(&ast::File {
                    file: f.file,
                    items: vec![item.clone()],
                })
            })
        };
        one(a) != one(b)
    })
}

fn item_start(item: &ast::Item) -> Option<usize> {
    use ast::Item;
    Some(match item {
        Item::Import(s) => s.span.start,
        Item::Statute(s) => s.span.start,
        Item::Version(v) => v.name.span.start,
        Item::VersionSelector(v) => v.span.start,
        Item::Facts(fields) | Item::Record(ast::RecordDecl { fields, .. }) => {
            fields.first()?.name.span.start
        }
        Item::Outcomes(outcomes) => outcomes.first()?.name.span.start,
        Item::Enum(e) => e.name.span.start,
        Item::Table(t) => t.name.span.start,
        Item::Function(f) => f.span.start,
        Item::Provision(p) => p.span.start,
    })
}
