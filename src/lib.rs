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
pub mod program;
pub mod render;
pub mod source;
pub mod syntax;
pub mod tools;
pub mod value;

pub use eval::trace;
pub use syntax::{ast, load};
pub use tools::{batch, corpus, coverage, diff, rule_source, runner};

pub use check::CheckReport;
pub use eval::{EvalOptions, Evaluation};
pub use facts::Facts;
pub use program::Program;

use std::path::Path;

/// Any failure of the pipeline, as a miette diagnostic.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] load::LoadError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] check::CheckError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Eval(#[from] eval::EvalError),
}

/// Loads, parses and checks a rule file and everything it imports.
pub fn load_program(path: &Path) -> Result<(Program, CheckReport), Error> {
    load_program_with(&load::Disk, path)
}

/// Like [`load_program`], reading files through `reader` (a git revision, memory…).
pub fn load_program_with(
    reader: &dyn load::FileReader,
    path: &Path,
) -> Result<(Program, CheckReport), Error> {
    let (files, sources) = load::load(reader, path)?;
    Ok(check::check_files(&files, sources)?)
}

/// Parses and checks one self-contained rule file held in memory (no imports).
pub fn compile(name: &str, text: &str) -> Result<Program, Error> {
    let mut sources = source::SourceMap::new();
    let id = sources.add(name, text);
    let file =
        syntax::parse_file(id, name, text).map_err(|e| load::LoadError::Parse(Box::new(e)))?;
    Ok(check::check_files(&[file], sources)?.0)
}

impl Program {
    /// Validates a case's facts (JSON text) against this program's schema.
    pub fn read_facts(&self, name: &str, json: &str) -> Result<Facts, facts::FactsError> {
        facts::read_facts(self, name, json)
    }

    /// Evaluates every outcome for one case.
    pub fn evaluate(
        &self,
        facts: &Facts,
        options: EvalOptions,
    ) -> Result<Evaluation, eval::EvalError> {
        eval::evaluate(self, facts, options)
    }
}
