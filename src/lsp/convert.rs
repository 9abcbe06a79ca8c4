//! Between the library's byte offsets and paths and the protocol's positions (UTF-16 code
//! units, as LSP counts by default) and URIs.

use crate::diagnostic::json::{DiagnosticJson, LineIndex};
use crate::tools::analysis::{Analysis, normalize};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, Uri,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Line starts of a text, to convert offsets and positions (the line index the JSON
/// diagnostics use, with columns counted in UTF-16 units as the protocol does).
pub struct Lines {
    index: LineIndex,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        Lines {
            index: LineIndex::new(text),
        }
    }

    /// The byte offset of `pos` in `text`, clamped to the line and the text.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(start) = self.index.line_start(pos.line as usize) else {
            return text.len();
        };
        let line = text.get(start..).unwrap_or("");
        let line = line.split('\n').next().unwrap_or("");
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        start + line.len()
    }

    /// The position of byte `offset` in `text`.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let (line, start) = self.index.line_of(offset);
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let character: usize = text
            .get(start..end)
            .map(|s| s.chars().map(char::len_utf16).sum())
            .unwrap_or(0);
        Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(character).unwrap_or(u32::MAX),
        )
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }
}

/// The path a `file:` URI names (percent-decoded); another scheme gives its text as a path,
/// which no file has.
pub fn uri_path(uri: &Uri) -> PathBuf {
    let s = uri.as_str();
    let Some(rest) = s.strip_prefix("file://") else {
        return PathBuf::from(s);
    };
    // `file://host/path`: the host is dropped; `file:///C:/x`: the drive keeps no slash.
    let path = match rest.find('/') {
        Some(i) => rest.get(i..).unwrap_or(""),
        None => "",
    };
    let decoded = percent_decode(path);
    let decoded = match decoded.as_bytes() {
        [b'/', d, b':', ..] if d.is_ascii_alphabetic() => {
            decoded.get(1..).unwrap_or("").to_string()
        }
        _ => decoded,
    };
    normalize(Path::new(&decoded))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `file:` URI of an absolute path (made absolute from the current directory if not).
pub fn path_uri(path: &Path) -> Option<Uri> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let text = abs.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

/// The analysis' diagnostics as the protocol's, by the file they are in; `entry` is always
/// present (an empty list clears it). A diagnostic without a file is shown at the start of
/// the entry file.
pub fn diagnostics_by_file(
    analysis: &Analysis,
    entry: &Path,
) -> BTreeMap<PathBuf, Vec<Diagnostic>> {
    let mut out: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
    out.insert(entry.to_path_buf(), Vec::new());
    let mut texts: BTreeMap<PathBuf, (String, Lines)> = BTreeMap::new();
    for d in &analysis.diagnostics {
        let path = d
            .file
            .as_deref()
            .map(|f| normalize(Path::new(f)))
            .unwrap_or_else(|| entry.to_path_buf());
        let (text, lines) = texts.entry(path.clone()).or_insert_with(|| {
            let text = analysis
                .file_named(&path.display().to_string())
                .map(|id| analysis.text(id).to_string())
                .or_else(|| std::fs::read_to_string(&path).ok())
                .unwrap_or_default();
            let lines = Lines::new(&text);
            (text, lines)
        });
        let uri = path_uri(&path);
        out.entry(path)
            .or_default()
            .push(diagnostic(d, text, lines, uri));
    }
    out
}

/// One diagnostic: the primary label is its range, the others its related information.
pub fn diagnostic(d: &DiagnosticJson, text: &str, lines: &Lines, uri: Option<Uri>) -> Diagnostic {
    let range = d
        .labels
        .first()
        .map(|l| lines.range(text, l.offset, l.offset + l.length))
        .unwrap_or_default();
    let mut message = d.message.clone();
    if let Some(l) = d.labels.first().and_then(|l| l.message.as_ref()) {
        message += &format!(" ({l})");
    }
    if let Some(h) = &d.help {
        message += &format!("\nhelp: {h}");
    }
    let related: Vec<DiagnosticRelatedInformation> = match &uri {
        Some(uri) => d
            .labels
            .iter()
            .skip(1)
            .map(|l| DiagnosticRelatedInformation {
                location: Location::new(
                    uri.clone(),
                    lines.range(text, l.offset, l.offset + l.length),
                ),
                message: l.message.clone().unwrap_or_default(),
            })
            .collect(),
        None => Vec::new(),
    };
    Diagnostic {
        range,
        severity: Some(match d.severity {
            "warning" => DiagnosticSeverity::WARNING,
            "advice" => DiagnosticSeverity::HINT,
            _ => DiagnosticSeverity::ERROR,
        }),
        code: Some(NumberOrString::String(d.code.clone())),
        code_description: None,
        source: Some("lawcode".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: d
            .citation
            .as_ref()
            .map(|c| serde_json::json!({ "citation": c })),
    }
}
