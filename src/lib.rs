//! lawcode: statutes as declarative rule files, evaluated with a trace that
//! cites the provision behind every value.
//!
//! The pipeline is parse ([`syntax`]) -> check ([`check`]) -> evaluate
//! ([`eval`]) -> render ([`render`]); each stage has its own error type.
//! [`load`] reads a rule file and its imports, [`facts`] validates a case's
//! JSON against the schema. Built on the pipeline: [`rule_source`]
//! (`[REV:]PATH[@DATE]`), [`runner`] (`lawcode test`), [`coverage`], [`diff`]
//! (`lawcode diff`) and [`batch`] (`eval --batch`).
//!
//! ## The API
//!
//! **The facade**, what an application needs: [`load_program`] / [`compile`] give a
//! [`Program`]; [`Program::read_facts`] gives [`Facts`]; [`Program::evaluate`] with
//! [`EvalOptions`] gives an [`Evaluation`] (outcomes, missing facts, the trace); [`render`]
//! writes it as the contract's JSON or the text tree. Any failure is an [`Error`].
//!
//! **The stages**, public on purpose for tools built beside the CLI (the formatter, the
//! language server, the bindings): [`syntax`] and [`ast`] (parse a file, keep its spans),
//! [`check`], [`program`] (the checked program and its facts [`program::Schema`]), [`facts`],
//! [`eval`], [`format`](mod@format), and [`tools`] (rule sources, corpora, the runner, coverage, diffs,
//! batches, the editor's [`tools::analysis`]). Each item of them is documented (`missing_docs`
//! is a lint); what is not meant for callers is private to its stage.
//!
//! ```
//! use lawcode::{compile, EvalOptions};
//!
//! let rules = r#"
//! statute "Example Act § 1" "Minimum award"
//! facts { losses: money "the victim's losses" }
//! outcomes { award: money "the amount awarded" }
//! (a) "Award" {
//!     rule award = max(losses, $3,000)
//!       note "the award is never below the floor"
//! }
//! "#;
//! let program = compile("example.law", rules)?;
//! let facts = program.read_facts("case.json", r#"{ "losses": "1200.00" }"#)?;
//! let result = program.evaluate(&facts, EvalOptions { trace: true, ..Default::default() })?;
//! assert_eq!(result.outcome("award"), Some(&serde_json::json!("3000.00")));
//! let trace = result.trace().expect("tracing was asked for");
//! assert_eq!(&*trace[0].citation, "Example Act § 1(a)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every problem has a stable code (`lawcode::facts::unknown_key`) and, for the checker, the
//! facts and the evaluator, a kind to match on ([`CheckKind`], [`FactsKind`], [`EvalKind`]):
//!
//! ```
//! use lawcode::{compile, FactsKind};
//!
//! let program = compile("example.law", r#"
//! statute "Example Act § 1"
//! facts { losses: money "the victim's losses" }
//! outcomes { award: money "the amount awarded" }
//! (a) { rule award = losses }
//! "#)?;
//! let refused = program.read_facts("case.json", r#"{ "loses": "1200.00" }"#).unwrap_err();
//! assert_eq!(refused.problems[0].kind(), Some(FactsKind::UnknownKey));
//! assert_eq!(refused.problems[0].code, "lawcode::facts::unknown_key");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "tests may panic"
    )
)]

pub mod check;
pub mod citation;
pub mod diagnostic;
pub mod eval;
pub mod facts;
pub mod format;
#[cfg(feature = "lsp")]
pub mod lsp;
mod pipeline;
pub mod program;
pub mod render;
#[cfg(feature = "serve")]
pub mod server;
pub mod source;
pub mod syntax;
pub mod tools;
pub mod value;

pub use eval::trace;
pub use syntax::{ast, load};
pub use tools::{ask, batch, corpus, coverage, diff, rule_source, runner, what_if};

pub use check::{CheckKind, CheckReport};
pub use diagnostic::{Kind, Problem};
pub use eval::{EvalKind, EvalOptions, Evaluation, Program};
pub use facts::{Facts, FactsKind, read_file as read_facts_file};
pub use pipeline::{Error, compile, load_program, load_program_with};
