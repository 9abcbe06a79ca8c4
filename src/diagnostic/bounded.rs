//! Diagnostics that never flood: any diagnostic, shown within bounds whatever its input.
//!
//! [`Bounded`] wraps a diagnostic for rendering. A source line too long to read (a minified
//! facts file on one line) is shown as a window of [`CONTEXT_CHARS`] characters either side of
//! the label, cut with `…`, while the line and column numbers stay those of the real file;
//! messages, help and labels are cut at [`MAX_TEXT_CHARS`]; and of many related problems the
//! first [`MAX_SHOWN`] are shown, then one line counting the rest by code. The wrapped
//! diagnostic keeps everything: the cut is only in what is rendered. [`BoundedHandler`] applies
//! it to every report, and cuts a report longer than [`MAX_REPORT_BYTES`] as a last resort.

use miette::{
    Diagnostic, LabeledSpan, MietteError, ReportHandler, Severity, SourceCode, SourceSpan,
    SpanContents,
};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Related problems shown before the rest are only counted.
pub const MAX_SHOWN: usize = 50;
/// Characters of a long line shown either side of a label.
pub const CONTEXT_CHARS: usize = 80;
/// A line longer than this (in characters) is shown as a window around the label.
pub const LONG_LINE_CHARS: usize = 2 * CONTEXT_CHARS + 40;
/// Longest message, help or label text shown, in characters.
pub const MAX_TEXT_CHARS: usize = 400;
/// Longest rendered report, in bytes; what is beyond is cut with a note.
pub const MAX_REPORT_BYTES: usize = 60 * 1024;

const ELLIPSIS: &str = "…";

/// The code of the line that counts the problems not shown.
pub const MORE_PROBLEMS: &str = "lawcode::report::more_problems";

/// `text`, cut after `max` characters with `…` when longer.
pub fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}{ELLIPSIS}", text.get(..at).unwrap_or_default()).into(),
        None => text.into(),
    }
}

/// A diagnostic as it is rendered: windowed source, cut texts, at most [`MAX_SHOWN`] related.
pub struct Bounded<'a> {
    inner: &'a dyn Diagnostic,
    message: String,
    source: Option<Window<'a>>,
    /// The text labels point into: this diagnostic's own, or the one it is shown against.
    text: Option<Text<'a>>,
    related: Vec<Bounded<'a>>,
    more: Option<More>,
}

impl<'a> Bounded<'a> {
    /// `inner` (and its related diagnostics) as it will be shown: long source lines windowed
    /// around their labels, and past the first problems a count of the rest.
    pub fn new(inner: &'a dyn Diagnostic) -> Self {
        Self::nested(inner, None, 0, &mut Vec::new())
    }

    fn nested(
        inner: &'a dyn Diagnostic,
        parent_text: Option<Text<'a>>,
        depth: usize,
        texts: &mut Vec<(Option<String>, Text<'a>)>,
    ) -> Self {
        let source = inner.source_code().map(|s| {
            let mut spans = Vec::new();
            spans_shown(inner, &mut spans, 0);
            Window::new(s, spans.into_iter(), texts)
        });
        let text = match &source {
            Some(w) => w.text.clone(),
            None => parent_text,
        };
        let mut related = Vec::new();
        let mut more = None;
        if let Some(mut iter) = inner.related().filter(|_| depth < 4) {
            for d in iter.by_ref().take(MAX_SHOWN) {
                related.push(Bounded::nested(d, text.clone(), depth + 1, texts));
            }
            more = More::counting(iter);
        }
        Bounded {
            inner,
            message: cut(&inner.to_string(), MAX_TEXT_CHARS).into_owned(),
            source,
            text,
            related,
            more,
        }
    }
}

impl fmt::Debug for Bounded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bounded")
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Bounded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Bounded<'_> {}

impl Diagnostic for Bounded<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }

    fn severity(&self) -> Option<Severity> {
        self.inner.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let help = self.inner.help()?.to_string();
        Some(Box::new(cut(&help, MAX_TEXT_CHARS).into_owned()))
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = self.inner.labels()?;
        let text = self.text.as_ref();
        Some(Box::new(labels.take(MAX_SHOWN).map(move |l| {
            let span = text.map_or(*l.inner(), |t| t.clamp(*l.inner()));
            let text = l.label().map(|t| cut(t, MAX_TEXT_CHARS).into_owned());
            if l.primary() {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        })))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() && self.more.is_none() {
            return None;
        }
        let shown = self.related.iter().map(|d| d as &dyn Diagnostic);
        let more = self.more.iter().map(|d| d as &dyn Diagnostic);
        Some(Box::new(shown.chain(more)))
    }
}

/// The spans of the labels `d` shows against its source: its own, and those of the related
/// diagnostics that have no source of their own.
fn spans_shown(d: &dyn Diagnostic, out: &mut Vec<SourceSpan>, depth: usize) {
    if let Some(labels) = d.labels() {
        out.extend(labels.take(MAX_SHOWN).map(|l| *l.inner()));
    }
    if let Some(related) = d.related().filter(|_| depth < 4) {
        for r in related.take(MAX_SHOWN) {
            if r.source_code().is_none() {
                spans_shown(r, out, depth + 1);
            }
        }
    }
}

/// The line that stands for the related problems not shown.
#[derive(Debug)]
pub struct More {
    message: String,
}

impl More {
    /// The line that counts `rest`, the problems not shown, by code; `None` when there are none.
    pub fn counting<'d>(rest: impl IntoIterator<Item = &'d dyn Diagnostic>) -> Option<More> {
        let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
        let mut count = 0usize;
        let mut all_warnings = true;
        for d in rest {
            count += 1;
            all_warnings &= d.severity() == Some(Severity::Warning);
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            *by_code.entry(code).or_default() += 1;
        }
        let kind = if all_warnings { "warning" } else { "problem" };
        (count > 0).then(|| More::new(count, kind, by_code))
    }

    fn new(count: usize, kind: &str, by_code: BTreeMap<String, usize>) -> Self {
        let mut kinds: Vec<(usize, String)> = by_code.into_iter().map(|(c, n)| (n, c)).collect();
        kinds.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut parts: Vec<String> = kinds
            .iter()
            .take(5)
            .map(|(n, c)| {
                if c.is_empty() {
                    format!("{} without a code", thousands(*n))
                } else {
                    format!("{} `{c}`", thousands(*n))
                }
            })
            .collect();
        if kinds.len() > 5 {
            parts.push("…".to_string());
        }
        let message = format!(
            "and {} more {kind}{} not shown: {}",
            thousands(count),
            if count == 1 { "" } else { "s" },
            parts.join(", ")
        );
        More { message }
    }
}

impl fmt::Display for More {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for More {}

impl Diagnostic for More {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(MORE_PROBLEMS))
    }

    fn severity(&self) -> Option<Severity> {
        Some(Severity::Advice)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(
            "fix the problems shown and run again; the rest are often of the same kind",
        ))
    }
}

/// `100001` as `100,001`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A source's whole text and where its lines start, computed once and shared by every
/// diagnostic shown against the same text.
#[derive(Clone)]
struct Text<'a> {
    bytes: &'a [u8],
    /// The offset each line starts at; lines end at `\n`, `\r\n` or a lone `\r`, as miette counts.
    starts: Arc<Vec<usize>>,
}

impl<'a> Text<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let mut starts = vec![0];
        let mut iter = bytes.iter().enumerate().peekable();
        while let Some((i, &b)) = iter.next() {
            if b == b'\n' || (b == b'\r' && iter.peek().is_none_or(|(_, n)| **n != b'\n')) {
                starts.push(i + 1);
            }
        }
        Text {
            bytes,
            starts: Arc::new(starts),
        }
    }

    /// The line (from 0) holding byte `at`.
    fn line_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at).saturating_sub(1)
    }

    /// Where line `n` starts and ends (before its line break).
    fn line(&self, n: usize) -> (usize, usize) {
        let start = self.starts.get(n).copied().unwrap_or(self.bytes.len());
        let end = match self.starts.get(n + 1) {
            Some(&next) => {
                let mut end = next.saturating_sub(1);
                if end > start && self.bytes.get(end) == Some(&b'\n') {
                    if self.bytes.get(end - 1) == Some(&b'\r') {
                        end -= 1;
                    }
                } else if self.bytes.get(end) != Some(&b'\r') {
                    end = next;
                }
                end.max(start)
            }
            None => self.bytes.len(),
        };
        (start, end)
    }

    fn is_long_line(&self, n: usize) -> bool {
        let (start, end) = self.line(n);
        is_long(self.bytes.get(start..end).unwrap_or_default())
    }

    /// `span`, cut to fit the window when it starts on a long line.
    fn clamp(&self, span: SourceSpan) -> SourceSpan {
        let start = span.offset().min(self.bytes.len());
        let n = self.line_of(start);
        if !self.is_long_line(n) {
            return span;
        }
        let (_, line_end) = self.line(n);
        let end = (start + span.len()).min(line_end);
        let end = forward_chars(self.bytes, start, CONTEXT_CHARS).min(end);
        SourceSpan::from((start, end.saturating_sub(start)))
    }

    /// The window around `start..end` on its line.
    fn cut(&self, start: usize, end: usize) -> Cut {
        let (line_start, line_end) = self.line(self.line_of(start));
        let whole = Cut {
            line_start,
            line_end,
            from: line_start,
            to: line_end,
        };
        if !is_long(self.bytes.get(line_start..line_end).unwrap_or_default()) {
            return whole;
        }
        let mut from = back_chars(self.bytes, start, CONTEXT_CHARS).max(line_start);
        let mut to = forward_chars(self.bytes, end.max(start), CONTEXT_CHARS).min(line_end);
        // A cut saves at least a few bytes, and `…` takes the place of what it hides.
        if from - line_start < 8 {
            from = line_start;
        }
        if line_end.saturating_sub(to) < 8 {
            to = line_end;
        }
        Cut {
            from,
            to: to.max(from),
            ..whole
        }
    }
}

/// Where a window starts and ends in the text, and the line it is on.
#[derive(Clone, Copy)]
struct Cut {
    line_start: usize,
    line_end: usize,
    from: usize,
    to: usize,
}

impl Cut {
    /// The text shown: the window, with `…` where the line goes on.
    fn data(self, text: &[u8]) -> Vec<u8> {
        let mut data = Vec::with_capacity(self.to.saturating_sub(self.from) + 2 * ELLIPSIS.len());
        if self.from > self.line_start {
            data.extend_from_slice(ELLIPSIS.as_bytes());
        }
        data.extend_from_slice(text.get(self.from..self.to).unwrap_or_default());
        if self.to < self.line_end {
            data.extend_from_slice(ELLIPSIS.as_bytes());
        }
        data
    }

    /// The offset the shown text stands at: `…` takes the place of the bytes before the window.
    fn offset(self) -> usize {
        if self.from > self.line_start {
            self.from - ELLIPSIS.len()
        } else {
            self.from
        }
    }
}

/// A source whose long lines are shown as a window around the span read.
struct Window<'a> {
    inner: &'a dyn SourceCode,
    /// The whole text, when the source gives it (every source of this crate does).
    text: Option<Text<'a>>,
    name: Option<String>,
    language: Option<String>,
    /// The windows of long lines that labels need, `…` included: `(from, to, data)`.
    windows: Vec<(usize, usize, Vec<u8>)>,
}

impl<'a> Window<'a> {
    /// A window on `inner`, ready to show `spans` (the labels that will be drawn). `texts` are
    /// the texts already indexed: many problems are shown against one file.
    fn new(
        inner: &'a dyn SourceCode,
        spans: impl Iterator<Item = SourceSpan>,
        texts: &mut Vec<(Option<String>, Text<'a>)>,
    ) -> Self {
        // The first byte is cheap to read, and says which text this is.
        let first = inner.read_span(&SourceSpan::from((0, 0)), 0, 0).ok();
        let (name, language) = match &first {
            Some(c) => (c.name().map(String::from), c.language().map(String::from)),
            None => (None, None),
        };
        let known = first.as_ref().and_then(|c| {
            let at = c.data().as_ptr();
            // The same name and the same first byte in memory: the same text, shared.
            texts
                .iter()
                .find(|(n, t)| {
                    *n == name && !t.bytes.is_empty() && std::ptr::eq(t.bytes.as_ptr(), at)
                })
                .map(|(_, t)| t.clone())
        });
        let text = known.or_else(|| {
            // Read from the start with unbounded context after, a source is its whole text.
            let whole = inner
                .read_span(&SourceSpan::from((0, 0)), 0, usize::MAX)
                .ok()
                .filter(|c| c.span().offset() == 0)?;
            let text = Text::new(whole.data());
            texts.push((name.clone(), text.clone()));
            Some(text)
        });
        let mut windows: Vec<(usize, usize, Vec<u8>)> = Vec::new();
        if let Some(text) = &text {
            for span in spans.take(MAX_SHOWN) {
                let span = text.clamp(span);
                let cut = text.cut(span.offset(), span.offset() + span.len());
                let cached = windows
                    .iter()
                    .any(|(from, to, _)| (*from, *to) == (cut.from, cut.to));
                if (cut.from, cut.to) != (cut.line_start, cut.line_end) && !cached {
                    windows.push((cut.from, cut.to, cut.data(text.bytes)));
                }
            }
        }
        Window {
            inner,
            text,
            name,
            language,
            windows,
        }
    }
}

impl SourceCode for Window<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let Some(text) = &self.text else {
            return self.inner.read_span(span, before, after);
        };
        let named = |data: &'b [u8], at: SourceSpan, line, column, count| {
            Box::new(Snippet {
                data,
                span: at,
                line,
                column,
                line_count: count,
                name: self.name.as_deref(),
                language: self.language.as_deref(),
            }) as Box<dyn SpanContents<'b> + 'b>
        };
        let start = span.offset();
        let end = start.saturating_add(span.len());
        if end > text.bytes.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = text.line_of(start);
        let last = text.line_of(end.saturating_sub(1).max(start));
        let from_line = first.saturating_sub(before);
        // miette may read one line past the context asked for (when a span ends with a line
        // break), so the lines read reach one further.
        let to_line = last
            .saturating_add(after)
            .saturating_add(1)
            .min(text.starts.len() - 1);
        let long = (from_line..=to_line).any(|n| text.is_long_line(n));
        if !long {
            // Short lines: miette's own reading, of the lines needed only.
            let base = text.line(from_line).0;
            let limit = text
                .starts
                .get(to_line + 1)
                .copied()
                .unwrap_or(text.bytes.len());
            let part = text.bytes.get(base..limit).unwrap_or_default();
            let local = SourceSpan::from((start - base, span.len()));
            let c = part.read_span(&local, before, after)?;
            let at = SourceSpan::from((c.span().offset() + base, c.span().len()));
            let column = c.column();
            let (line, count) = (c.line() + from_line, c.line_count() + from_line);
            return Ok(named(c.data(), at, line, column, count));
        }
        // A long line near the span: show the span's own line only, windowed if it is long.
        let cut = text.cut(start, end);
        if before == 0 && after == 0 {
            // The span itself (miette reads it so for the line and column it shows).
            let to = end.max(start + 1).min(cut.line_end.max(start));
            let data = text.bytes.get(start..to).unwrap_or_default();
            let at = SourceSpan::from((start, data.len()));
            let column = start.saturating_sub(cut.line_start);
            return Ok(named(data, at, first, column, first));
        }
        if end > cut.line_end.max(start + 1) || end - start > 4 * CONTEXT_CHARS {
            // Two labels far apart: let them be shown one by one.
            return Err(MietteError::OutOfBounds);
        }
        let cached = self
            .windows
            .iter()
            .find(|(from, to, _)| (*from, *to) == (cut.from, cut.to));
        let (data, offset) = match cached {
            Some((_, _, data)) => (data.as_slice(), cut.offset()),
            // A span no label asked for: the window without its `…`.
            None => (
                text.bytes.get(cut.from..cut.to).unwrap_or_default(),
                cut.from,
            ),
        };
        let at = SourceSpan::from((offset, data.len()));
        Ok(named(
            data,
            at,
            first,
            offset.saturating_sub(cut.line_start),
            first,
        ))
    }
}

/// What a [`Window`] hands miette: the text (maybe windowed), where it starts, and its line.
struct Snippet<'a> {
    data: &'a [u8],
    span: SourceSpan,
    line: usize,
    column: usize,
    line_count: usize,
    name: Option<&'a str>,
    language: Option<&'a str>,
}

impl<'a> SpanContents<'a> for Snippet<'a> {
    fn data(&self) -> &'a [u8] {
        self.data
    }
    fn span(&self) -> &SourceSpan {
        &self.span
    }
    fn line(&self) -> usize {
        self.line
    }
    fn column(&self) -> usize {
        self.column
    }
    fn line_count(&self) -> usize {
        self.line_count
    }
    fn name(&self) -> Option<&str> {
        self.name
    }
    fn language(&self) -> Option<&str> {
        self.language
    }
}

/// Whether a line (without its line break) is too long to show whole.
fn is_long(line: &[u8]) -> bool {
    line.len() > LONG_LINE_CHARS
        && (line.len() > 4 * LONG_LINE_CHARS || chars(line) > LONG_LINE_CHARS)
}

fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// The offset `n` characters before `at` (a character boundary), or 0.
fn back_chars(text: &[u8], at: usize, n: usize) -> usize {
    let mut at = at.min(text.len());
    let mut left = n;
    while at > 0 && left > 0 {
        at -= 1;
        if text.get(at).is_some_and(|&b| b & 0xC0 != 0x80) {
            left -= 1;
        }
    }
    at
}

/// The offset `n` characters after `at` (a character boundary), or the end.
fn forward_chars(text: &[u8], at: usize, n: usize) -> usize {
    let mut at = at.min(text.len());
    let mut left = n;
    while at < text.len() && left > 0 {
        at += 1;
        while text.get(at).is_some_and(|&b| b & 0xC0 == 0x80) {
            at += 1;
        }
        left -= 1;
    }
    at
}

/// Renders every report through [`Bounded`] with `inner`, and cuts what is still too long.
pub struct BoundedHandler {
    inner: Box<dyn ReportHandler>,
}

impl BoundedHandler {
    /// A handler that bounds each report, then renders it with `inner` (miette's graphical or
    /// narrated handler).
    pub fn new(inner: Box<dyn ReportHandler>) -> Self {
        BoundedHandler { inner }
    }
}

impl ReportHandler for BoundedHandler {
    fn debug(&self, diagnostic: &dyn Diagnostic, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Show<'a>(&'a dyn ReportHandler, &'a dyn Diagnostic);
        impl fmt::Display for Show<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.debug(self.1, f)
            }
        }
        let bounded = Bounded::new(diagnostic);
        let text = Show(&*self.inner, &bounded).to_string();
        f.write_str(&cut_report(&text))
    }
}

/// A rendered report, cut at a line break before [`MAX_REPORT_BYTES`] with a note.
pub fn cut_report(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_REPORT_BYTES {
        return text.into();
    }
    let mut at = MAX_REPORT_BYTES;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let head = text.get(..at).unwrap_or_default();
    let head = head
        .rfind('\n')
        .map_or(head, |i| head.get(..i).unwrap_or(head));
    format!(
        "{head}\n… (the report is cut here: {} more bytes not shown)\n",
        thousands(text.len() - head.len())
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Problem;
    use miette::NamedSource;

    fn render(d: &dyn Diagnostic) -> String {
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &Bounded::new(d))
            .unwrap();
        out
    }

    /// Labels anywhere (on line breaks, inside multi-byte characters, past the end, spanning
    /// lines) on short and long lines, CR LF included: never a panic, always a bounded report.
    #[test]
    fn any_label_on_any_text_renders_within_bounds() {
        let long = "é€x".repeat(400);
        let text = format!("short\r\n{long}\nmiddle\n\n{long}\r\nend");
        let source = NamedSource::new("t.json", std::sync::Arc::<str>::from(text.as_str()));
        for start in (0..text.len() + 3).step_by(7) {
            for len in [0, 1, 5, 300, 5000] {
                let p = Problem::error("lawcode::facts::wrong_type", "m")
                    .in_source(source.clone())
                    .at_offset(start, len, "here")
                    .at_offset(start / 2, 2, "and here");
                let out = render(&p);
                assert!(
                    out.len() < 4_000,
                    "{start} {len}: {} bytes\n{out}",
                    out.len()
                );
            }
        }
    }

    #[test]
    fn a_long_line_keeps_its_real_line_and_column() {
        let text = format!("{{\n\"a\": \"{}\", \"b\": 1\n}}", "x".repeat(10_000));
        let at = text.find("\"b\"").unwrap();
        let p = Problem::error("lawcode::facts::unknown_key", "unknown fact `b`")
            .in_source(NamedSource::new(
                "t.json",
                std::sync::Arc::from(text.as_str()),
            ))
            .at_offset(at, 3, "here");
        let out = render(&p);
        let column = at - 2 + 1;
        assert!(out.contains(&format!("[t.json:2:{column}]")), "{out}");
        assert!(out.contains("…xxx") && out.contains("\"b\": 1"), "{out}");
        assert!(out.len() < 1_000, "{out}");
    }

    #[test]
    fn numbers_read_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(99_951), "99,951");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("ab", 3), "ab");
        let long = format!("a\n{}", "é".repeat(MAX_REPORT_BYTES));
        let report = cut_report(&long);
        assert!(report.len() < MAX_REPORT_BYTES + 200 && report.contains("cut here"));
    }
}
