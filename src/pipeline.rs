//! The pipeline chained: a rule file's path (or text) in, a checked [`Program`] out. Each
//! stage keeps its own error type; [`Error`] is any of them. A stage's problems say what they
//! are about as that stage's kind enum ([`CheckKind`](crate::check::CheckKind),
//! [`FactsKind`](crate::facts::FactsKind), [`EvalKind`](crate::eval::EvalKind)) through
//! [`Problem::kind`](crate::diagnostic::Problem::kind); loading and parsing errors are enums
//! themselves ([`LoadError`](load::LoadError), [`ParseError`](syntax::ParseError)).

use crate::check::{self, CheckReport};
use crate::eval::Program;
use crate::source::SourceMap;
use crate::syntax::{self, load};
use std::path::Path;

/// Any failure of the pipeline, as a miette diagnostic.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// A rule file (or one it imports) could not be read, or does not parse.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] load::LoadError),
    /// The rule files parse but the checker rejects them; every error found is listed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] check::CheckError),
    /// A case's facts were refused (every problem found, each naming the fact).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Facts(#[from] crate::facts::FactsError),
    /// Evaluating a case failed (overflow, conflict, no rule applies…): one problem, citing its
    /// provision.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Eval(#[from] crate::eval::EvalError),
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
    let (checked, report) = check::check_files(&files, sources)?;
    Ok((Program::new(checked), report))
}

/// Parses and checks one self-contained rule file held in memory (no imports).
pub fn compile(name: &str, text: &str) -> Result<Program, Error> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    let file =
        syntax::parse_file(id, name, text).map_err(|e| load::LoadError::Parse(Box::new(e)))?;
    let (checked, _) = check::check_files(&[file], sources)?;
    Ok(Program::new(checked))
}
