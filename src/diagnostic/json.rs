//! Diagnostics as data: any miette diagnostic flattened into [`DiagnosticJson`]s, the one
//! model that `lawcode check --format json`, the language server and CI annotations read.
//!
//! A diagnostic that only groups others (the checker's [`Problems`](super::Problems)) gives
//! its related problems; one with a code gives itself, then its related ones. Each label keeps
//! its byte `offset` and `length` and gets a 1-based `line` and `column` (the column counts
//! characters, not bytes). The enclosing provision's `citation` comes from the caller, who
//! knows the parsed files (see `tools::analysis`).

use super::{MAX_SHOWN, More};
use miette::{Diagnostic, Severity, SourceCode, SourceSpan};
use serde::Serialize;

/// One diagnostic, with its keys in the order the JSON writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiagnosticJson {
    /// The stable code, e.g. `lawcode::check::cycle`; empty for a diagnostic without one.
    pub code: String,
    /// `error`, `warning` or `advice`.
    pub severity: &'static str,
    /// The diagnostic's message, one sentence.
    pub message: String,
    /// How to fix it; `None` when the diagnostic gives no help.
    pub help: Option<String>,
    /// The name of the file the labels point into (as `check` shows it), when there is one.
    pub file: Option<String>,
    /// The first label is the primary one.
    pub labels: Vec<LabelJson>,
    /// The provision the primary label sits in (`18 U.S.C. § 2259(b)(2)(C)`), when it does.
    pub citation: Option<String>,
}

/// One labelled span of a [`DiagnosticJson`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelJson {
    /// Byte offset into the file.
    pub offset: usize,
    /// Length in bytes.
    pub length: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The label's text, e.g. `declared again here`; `None` for a bare mark.
    pub message: Option<String>,
}

impl DiagnosticJson {
    /// Whether the severity is `error` (what makes `check` fail).
    pub fn is_error(&self) -> bool {
        self.severity == "error"
    }
}

/// The name of a severity as the JSON writes it.
pub fn severity_name(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Warning) => "warning",
        Some(Severity::Advice) => "advice",
        Some(Severity::Error) | None => "error",
    }
}

/// Where a label sits, for the citation: the file's name and a byte offset into it.
pub type CitationOf<'a> = &'a dyn Fn(&str, usize) -> Option<String>;

/// `diag` and every problem related to it, flattened, in the order they are reported.
pub fn diagnostics_json(diag: &dyn Diagnostic, citation_of: CitationOf<'_>) -> Vec<DiagnosticJson> {
    let mut out = Vec::new();
    flatten(diag, None, citation_of, &mut out, 0);
    out
}

fn flatten<'d>(
    diag: &'d dyn Diagnostic,
    parent_source: Option<&'d dyn SourceCode>,
    citation_of: CitationOf<'_>,
    out: &mut Vec<DiagnosticJson>,
    depth: usize,
) {
    let source = diag.source_code().or(parent_source);
    let related: Vec<&dyn Diagnostic> = match diag.related() {
        Some(r) if depth < 4 => r.collect(),
        _ => Vec::new(),
    };
    if diag.code().is_some() || related.is_empty() {
        out.push(one(diag, source, citation_of));
    }
    for r in related {
        flatten(r, source, citation_of, out, depth + 1);
    }
}

fn one(
    diag: &dyn Diagnostic,
    source: Option<&dyn SourceCode>,
    citation_of: CitationOf<'_>,
) -> DiagnosticJson {
    let mut file = None;
    let mut labels = Vec::new();
    if let (Some(source), Some(spans)) = (source, diag.labels()) {
        // The whole text, once: line and column are counted in characters from it.
        let whole = source
            .read_span(&SourceSpan::from((0, 0)), usize::MAX, usize::MAX)
            .ok();
        if let Some(w) = &whole {
            file = w.name().map(str::to_string);
        }
        let text = whole
            .as_ref()
            .and_then(|w| std::str::from_utf8(w.data()).ok())
            .unwrap_or("");
        let lines = LineIndex::new(text);
        let mut spans: Vec<_> = spans.collect();
        // The primary label first, the others in the order given.
        if let Some(p) = spans.iter().position(|l| l.primary()) {
            let primary = spans.remove(p);
            spans.insert(0, primary);
        }
        for l in spans {
            let offset = l.offset().min(text.len());
            let (line, column) = lines.line_column(text, offset);
            labels.push(LabelJson {
                offset,
                length: l.len(),
                line,
                column,
                message: l.label().map(str::to_string),
            });
        }
    }
    let citation = match (&file, labels.first()) {
        (Some(f), Some(l)) => citation_of(f, l.offset),
        _ => None,
    };
    DiagnosticJson {
        code: diag.code().map(|c| c.to_string()).unwrap_or_default(),
        severity: severity_name(diag.severity()),
        message: diag.to_string(),
        help: diag.help().map(|h| h.to_string()),
        file,
        labels,
        citation,
    }
}

/// At most `max` diagnostics; the rest become one `lawcode::report::more_problems` entry that
/// counts them by code, as the text output does.
pub fn bounded(mut list: Vec<DiagnosticJson>, max: usize) -> Vec<DiagnosticJson> {
    if list.len() <= max {
        return list;
    }
    let rest = list.split_off(max);
    let diags: Vec<RestDiag> = rest.into_iter().map(RestDiag).collect();
    if let Some(more) = More::counting(diags.iter().map(|d| d as &dyn Diagnostic)) {
        list.extend(diagnostics_json(&more, &|_, _| None));
    }
    list
}

/// [`bounded`] with the text output's [`MAX_SHOWN`].
pub fn bounded_default(list: Vec<DiagnosticJson>) -> Vec<DiagnosticJson> {
    bounded(list, MAX_SHOWN)
}

/// A diagnostic already flattened, seen again as a miette diagnostic (for [`More::counting`]).
#[derive(Debug)]
struct RestDiag(DiagnosticJson);

impl std::fmt::Display for RestDiag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for RestDiag {}

impl Diagnostic for RestDiag {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.0.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(match self.0.severity {
            "warning" => Severity::Warning,
            "advice" => Severity::Advice,
            _ => Severity::Error,
        })
    }
}

/// Byte offsets of line starts, to turn an offset into a line and a column.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text` (line 0 starts at offset 0; each `\n` starts another).
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 0-based line of `offset` and the byte offset where that line starts.
    pub fn line_of(&self, offset: usize) -> (usize, usize) {
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        (line, self.starts.get(line).copied().unwrap_or(0))
    }

    /// The byte offset where 0-based `line` starts, if the text has it.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// 1-based line and column (in characters) of `offset` in `text`.
    pub fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let (line, start) = self.line_of(offset);
        let column = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or_else(|| offset.saturating_sub(start));
        (line + 1, column + 1)
    }
}
