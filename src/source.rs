//! Source files and byte spans into them.
//!
//! Every stage reports errors against a [`Span`]; the [`SourceMap`] turns a
//! span back into a named source that miette can underline.

use miette::{NamedSource, SourceSpan};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range lies in.
    pub file: FileId,
    /// Byte offset of the first byte, from the start of the file's text.
    pub start: usize,
    /// Byte offset one past the last byte (exclusive); `end >= start` for spans built by the
    /// parser.
    pub end: usize,
}

impl Span {
    /// A span over bytes `start..end` of `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self { file, start, end }
    }

    /// The smallest span covering both (same file assumed; the first file wins).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> Self {
        SourceSpan::new(span.start.into(), span.end.saturating_sub(span.start))
    }
}

/// One loaded source text and the name it is shown under.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in diagnostics: the path as given, or a name such as `HEAD~1:rules/x.law` for
    /// a git revision.
    pub name: String,
    /// The whole text of the file, shared so diagnostics can hold it cheaply.
    pub text: Arc<str>,
}

/// All files of one program: the entry file and what it imports.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id, the index it was pushed at (ids are never reused).
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    /// The file `id` names, or `None` if the id is not from this map.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Every file with its id, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// The named source a diagnostic shows for `span`.
    pub fn named_source(&self, span: Span) -> NamedSource<Arc<str>> {
        match self.get(span.file) {
            Some(f) => NamedSource::new(f.name.clone(), Arc::clone(&f.text)),
            None => NamedSource::new("<unknown>", Arc::from("")),
        }
    }

    /// The source text under `span`, for messages.
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.start..span.end))
            .unwrap_or("")
    }
}
