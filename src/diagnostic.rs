//! One reported problem, and a list of them, as miette diagnostics.
//!
//! The checker, the facts validator and the evaluator each report
//! [`Problem`]s under their own stable codes (`lawcode::check::…`,
//! `lawcode::facts::…`, `lawcode::eval::…`); the parser has its own enum.
//!
//! A problem keeps everything it found; how much is *shown* is bounded when it is rendered:
//! wrap any diagnostic in [`Bounded`] (the command line installs [`BoundedHandler`], which does
//! so for every report) and long lines become a window around the mark, and a flood of
//! problems the first [`MAX_SHOWN`] and a count of the rest.

mod bounded;
pub mod json;

pub use bounded::{
    Bounded, BoundedHandler, CONTEXT_CHARS, MAX_REPORT_BYTES, MAX_SHOWN, MAX_TEXT_CHARS, More, cut,
    cut_report, thousands,
};

use crate::source::{SourceMap, Span};
use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use std::fmt;
use std::sync::Arc;

/// What a stage's diagnostics can be about, as an enum a caller can match on (the checker's,
/// the facts reader's and the evaluator's `…Kind`, declared with `stage_kinds!`). Each kind is
/// one stable code.
pub trait Kind: Sized + Copy + 'static {
    /// The kind whose stable code is `code`; `None` for a code of another stage.
    fn of_code(code: &str) -> Option<Self>;
    /// Its stable code, `lawcode::<stage>::<name>`.
    fn code(self) -> &'static str;
}

/// Declares a stage's diagnostic kinds once: the enum (`pub enum CheckKind;`) and, for code
/// that builds problems, a `codes` module with each kind's stable code as a constant. Each
/// entry is `CONSTANT, Variant = "<the stable code>";`, with its doc comment.
macro_rules! stage_kinds {
    (
        $(#[$kind_meta:meta])*
        pub enum $kind:ident;
        $( $(#[$meta:meta])* $name:ident, $variant:ident = $code:literal; )*
    ) => {
        /// The stable code of each of this stage's diagnostics, by kind (see the kind enum).
        pub mod codes {
            $( $(#[$meta])* pub const $name: &str = $code; )*
        }

        $(#[$kind_meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $kind {
            $( $(#[$meta])* $variant, )*
        }

        impl $kind {
            /// Every kind, in the order the stage documents them.
            pub const ALL: &'static [$kind] = &[$($kind::$variant),*];
        }

        impl $crate::diagnostic::Kind for $kind {
            fn of_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($kind::$variant),)*
                    _ => None,
                }
            }
            fn code(self) -> &'static str {
                match self {
                    $($kind::$variant => $code,)*
                }
            }
        }
    };
}
pub(crate) use stage_kinds;

/// A single diagnostic: a code, a message, how to fix it, and where.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The stable code, `lawcode::<stage>::<name>` (e.g. `lawcode::check::cycle`), one of a stage's
    /// `codes` constants.
    pub code: &'static str,
    /// What is wrong, one sentence naming the thing in the rule file's words.
    pub message: String,
    /// How to fix it; `None` when there is nothing useful to say.
    pub help: Option<String>,
    /// Error or warning; a warning does not stop the program from running.
    pub severity: Severity,
    /// The file this problem is shown against, with its text.
    pub source: Option<NamedSource<Arc<str>>>,
    /// The first label is the primary one.
    pub labels: Vec<(Span, String)>,
    /// For a problem with a case's facts, the fact it is about, as a path
    /// (`victim.losses[2].amount`; a key that should not be there is named as
    /// `victim.prior_recovry`); `None` for the document as a whole and for other stages.
    pub fact_path: Option<String>,
}

impl Problem {
    /// What the problem is about, as stage `K`'s kind enum:
    /// `p.kind() == Some(CheckKind::Cycle)`. `None` when it belongs to another stage.
    pub fn kind<K: Kind>(&self) -> Option<K> {
        K::of_code(self.code)
    }

    /// An error with `code` and `message`, no help and no labels yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            code,
            message: message.into(),
            help: None,
            severity: Severity::Error,
            source: None,
            labels: Vec::new(),
            fact_path: None,
        }
    }

    /// A warning with `code` and `message`, no help and no labels yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }

    /// Sets the help, replacing any earlier one.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points at `span`; the first label added is the primary one and picks the file shown.
    pub fn label(mut self, sources: &SourceMap, span: Span, text: impl Into<String>) -> Self {
        if self.source.is_none() {
            self.source = Some(sources.named_source(span));
        }
        // Labels in another file than the primary one cannot be drawn against its text.
        if self
            .labels
            .first()
            .is_none_or(|(first, _)| first.file == span.file)
        {
            self.labels.push((span, text.into()));
        }
        self
    }

    /// Shows the problem against a source that is not a rule file (a facts file).
    pub fn in_source(mut self, source: NamedSource<Arc<str>>) -> Self {
        self.source = Some(source);
        self
    }

    /// Points at bytes `start..start + len` of the source set by [`Problem::in_source`] (a facts
    /// file), with `text` as the label; unlike [`Problem::label`] it does not set the source.
    pub fn at_offset(mut self, start: usize, len: usize, text: impl Into<String>) -> Self {
        self.labels.push((
            Span::new(Default::default(), start, start + len),
            text.into(),
        ));
        self
    }

    /// Whether the problem is an error rather than a warning.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The span a reader should look at first.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|(s, _)| *s)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(
            |(i, (span, text))| {
                let span: miette::SourceSpan = (*span).into();
                if i == 0 {
                    LabeledSpan::new_primary_with_span(Some(text.clone()), span)
                } else {
                    LabeledSpan::new_with_span(Some(text.clone()), span)
                }
            },
        )))
    }
}

/// Several problems reported together (every error of a check, every bad fact).
#[derive(Debug, Clone)]
pub struct Problems {
    /// The one-line message shown above the list, e.g. how many errors a check found.
    pub summary: String,
    /// Every problem, errors and warnings, in the order found.
    pub problems: Vec<Problem>,
}

impl Problems {
    /// The problems that are errors, in order.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Problems {}

impl Diagnostic for Problems {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// Longest text [`nearest`] looks for a name like.
pub const MAX_NAME_BYTES: usize = 256;

/// The existing name closest to `wanted`, if any is close enough to be a likely typo.
pub fn nearest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Text this long is no typo of a name, and comparing it would take time on every candidate.
    if wanted.len() > MAX_NAME_BYTES {
        return None;
    }
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(wanted, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Help for a name that is not one of the rules' `outcomes`: the nearest one, or the list.
pub fn outcome_help(wanted: &str, outcomes: &[&str]) -> String {
    match nearest(wanted, outcomes.iter().copied()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => format!("the outcomes are {}", outcomes.join(", ")),
    }
}

/// `did you mean `x`?` or a fallback.
pub fn suggestion(wanted: &str, candidates: &[&str], fallback: &str) -> String {
    match nearest(wanted, candidates.iter().copied()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => fallback.to_string(),
    }
}

/// The byte offset of a 1-based line and column (as serde_json reports them), clamped to the text.
pub fn line_col_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len().saturating_sub(1))
}
