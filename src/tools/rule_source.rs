//! Rule sources as the command line names them: `[REV:]PATH[@DATE]` in, a
//! checked [`Program`] (read from the working tree or from a git revision) and
//! the date it is pinned to out.
//!
//! - `rules/usc/18/2259.law`: the file on disk and what it imports;
//! - `HEAD~1:rules/usc/18/2259.law`: the file, and everything it imports, as
//!   committed in a git revision (read with `git cat-file`, nothing is checked out);
//! - `rules/usc/18/2259.law@2018-12-06`: the version of the statute in force on
//!   that date, whatever the facts' selector (`offense_date`) says.
//!
//! Ambiguities are settled toward the file system: a spec that names an existing
//! file is a path, whatever it contains. Only a trailing `@` followed by digits
//! and dashes is a date (`a@b.law` stays a path). `REV:` is a revision only when
//! the part before the first `:` is not an existing path and not a drive letter
//! (`C:\rules\x.law` is a path).
//!
//! A pinned date before the earliest version of the statute is an error
//! (`lawcode::source::before_first_version`): no text was in force then, and
//! silently applying the earliest one would answer a question nobody asked.
//! (A facts selector before every version still gets the earliest text; that
//! is the contract's rule for offenses, see [`crate::eval::version_in_force`].)

use crate::check::CheckReport;
use crate::diagnostic::Problem;
use crate::eval::EvalOptions;
use crate::eval::Program;
use crate::syntax::load::FileReader;
use jiff::civil::Date;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Stable codes of rule-source diagnostics.
pub mod codes {
    /// The `@DATE` or `--as-of` date is not a real `YYYY-MM-DD` date.
    pub const BAD_DATE: &str = "lawcode::source::bad_date";
    /// The date pinned by `@DATE` or `--as-of` precedes every version of the statute.
    pub const BEFORE_FIRST_VERSION: &str = "lawcode::source::before_first_version";
    /// An empty rule source was given.
    pub const EMPTY: &str = "lawcode::source::empty";
    /// Git does not know the revision in `REV:PATH`, or the path does not exist at that revision.
    pub const BAD_REVISION: &str = "lawcode::source::bad_revision";
    /// `REV:PATH` was given outside a git repository.
    pub const NOT_A_REPOSITORY: &str = "lawcode::source::not_a_repository";
    /// Git could not be run or failed (as reported today: only when the current directory
    /// cannot be told before opening a revision).
    pub const GIT_FAILED: &str = "lawcode::source::git_failed";
}

/// Why a rule source could not be named or loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SourceError {
    /// The spec itself, its revision or its date is wrong.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(Box<Problem>),
    /// The rule files were found but do not load or check.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(Box<crate::pipeline::Error>),
}

impl From<Problem> for SourceError {
    fn from(p: Problem) -> Self {
        SourceError::Spec(Box::new(p))
    }
}

impl From<crate::pipeline::Error> for SourceError {
    fn from(e: crate::pipeline::Error) -> Self {
        SourceError::Load(Box::new(e))
    }
}

/// A parsed `[REV:]PATH[@DATE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// The git revision to read from; `None` for the working tree.
    pub revision: Option<String>,
    /// The entry rule file, relative to the current directory (or absolute).
    pub path: PathBuf,
    /// The date whose version of the statute applies to every case.
    pub as_of: Option<Date>,
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rev) = &self.revision {
            write!(f, "{rev}:")?;
        }
        write!(f, "{}", self.path.display())?;
        if let Some(d) = self.as_of {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl RuleSource {
    /// Parses a spec, checking which of its parts name existing files relative to
    /// the current directory.
    pub fn parse(spec: &str) -> Result<RuleSource, SourceError> {
        Self::parse_with(spec, &|p: &Path| p.exists())
    }

    /// Parses a spec; `exists` says whether a candidate path names an existing file.
    pub fn parse_with(
        spec: &str,
        exists: &dyn Fn(&Path) -> bool,
    ) -> Result<RuleSource, SourceError> {
        if spec.is_empty() {
            return Err(Problem::error(codes::EMPTY, "the rule source is empty")
                .with_help("name a rule file: `rules/usc/18/2259.law`, `HEAD:rules/usc/18/2259.law` or `rules/usc/18/2259.law@2018-12-07`")
                .into());
        }
        if exists(Path::new(spec)) {
            return Ok(RuleSource {
                revision: None,
                path: PathBuf::from(spec),
                as_of: None,
            });
        }
        let (rest, as_of) = match spec.rsplit_once('@') {
            Some((before, after)) if looks_like_date(after) => (before, Some(parse_date(after)?)),
            _ => (spec, None),
        };
        let (revision, path) = match rest.split_once(':') {
            Some((rev, path))
                if !exists(Path::new(rest)) && !is_drive(rev, path) && !exists(Path::new(rev)) =>
            {
                if rev.is_empty() {
                    return Err(Problem::error(
                        codes::EMPTY,
                        format!("`{spec}` names no git revision before `:`"),
                    )
                    .with_help("write the revision first: `HEAD:rules/usc/18/2259.law`")
                    .into());
                }
                if path.is_empty() {
                    return Err(Problem::error(
                        codes::EMPTY,
                        format!("`{spec}` names no file after `{rev}:`"),
                    )
                    .with_help(format!(
                        "write the path of the rule file: `{rev}:rules/usc/18/2259.law`"
                    ))
                    .into());
                }
                (Some(rev.to_string()), path)
            }
            _ => (None, rest),
        };
        Ok(RuleSource {
            revision,
            path: PathBuf::from(path),
            as_of,
        })
    }

    /// Loads and checks the rule files (from the working tree, or from the
    /// revision, resolving paths from the current directory).
    pub fn load(&self) -> Result<LoadedRules, SourceError> {
        let (program, report) = match &self.revision {
            None => crate::pipeline::load_program(&self.path)?,
            Some(rev) => {
                let dir = std::env::current_dir().map_err(|e| {
                    Problem::error(
                        codes::GIT_FAILED,
                        format!("cannot tell the current directory: {e}"),
                    )
                })?;
                let reader = GitRevision::open(rev, &dir)?;
                crate::pipeline::load_program_with(&reader, &self.path)?
            }
        };
        if let Some(date) = self.as_of {
            check_as_of(&program, date)?;
        }
        Ok(LoadedRules {
            source: self.clone(),
            program,
            report,
        })
    }
}

/// A loaded rule source: the program, its warnings, and where it came from.
#[derive(Debug)]
pub struct LoadedRules {
    /// The spec the rules were loaded from, as parsed.
    pub source: RuleSource,
    /// The checked program, ready to evaluate cases.
    pub program: Program,
    /// The checker's warnings (and the source map to show them against).
    pub report: CheckReport,
}

impl LoadedRules {
    /// Evaluation options for this source: `as_of` (a `--as-of` flag) wins over the
    /// source's own `@DATE`; either is checked against the statute's first version.
    pub fn options(&self, trace: bool, as_of: Option<Date>) -> Result<EvalOptions, SourceError> {
        let as_of = as_of.or(self.source.as_of);
        if let Some(d) = as_of {
            check_as_of(&self.program, d)?;
        }
        Ok(EvalOptions { trace, as_of })
    }
}

/// `2018-12-06`, strictly `YYYY-MM-DD`; anything else is an error naming it.
pub fn parse_date(text: &str) -> Result<Date, SourceError> {
    let shaped = text.len() == 10
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    let parsed = if shaped {
        text.parse::<Date>().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        Problem::error(codes::BAD_DATE, format!("`{text}` is not a date"))
            .with_help("write a calendar date as YYYY-MM-DD, e.g. `2018-12-07`")
            .into()
    })
}

/// The statute had a text in force on `date`; an unversioned rule set accepts any date.
pub fn check_as_of(program: &Program, date: Date) -> Result<(), SourceError> {
    let Some(first) = program.versions().first().filter(|v| !v.name.is_empty()) else {
        return Ok(());
    };
    if date < first.effective {
        return Err(Problem::error(
            codes::BEFORE_FIRST_VERSION,
            format!(
                "no text of {} was in force on {date}: the earliest encoded text took effect on {}",
                program.statute().citation,
                first.effective
            ),
        )
        .with_help(format!(
            "pick a date on or after {}, or leave the date out to let the facts choose the text",
            first.effective
        ))
        .into());
    }
    Ok(())
}

/// Digits and dashes, starting with a digit: meant as a date (and then it must be one).
fn looks_like_date(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_digit() || c == '-')
}

/// `C:\…` or `C:/…`: a Windows drive, not a revision named `C`.
fn is_drive(before: &str, after: &str) -> bool {
    before.len() == 1
        && before.chars().all(|c| c.is_ascii_alphabetic())
        && (after.starts_with('\\') || after.starts_with('/'))
}

/// Reads rule files as committed in one git revision.
///
/// Relative paths are taken from the directory the reader was opened in, as
/// git itself does for `REV:./path`; `..` is resolved before asking git.
#[derive(Debug, Clone)]
pub struct GitRevision {
    revision: String,
    commit: String,
    toplevel: PathBuf,
    /// The opening directory relative to the repository's top level.
    prefix: PathBuf,
}

impl GitRevision {
    /// Opens `revision` of the repository that holds `dir`.
    pub fn open(revision: &str, dir: &Path) -> Result<GitRevision, SourceError> {
        if revision.starts_with('-') {
            return Err(bad_revision(revision, "a revision cannot start with `-`").into());
        }
        let top = git(dir, &["rev-parse", "--show-toplevel", "--show-prefix"]).map_err(|e| {
            // No git to run (not installed, or this build has no `git` feature) is not the
            // same mistake as a directory outside a repository.
            if e.kind() == std::io::ErrorKind::NotFound || cfg!(not(feature = "git")) {
                return Problem::error(
                    codes::GIT_FAILED,
                    format!("cannot read revision `{revision}`: git could not be run ({e})"),
                )
                .with_help("install git (or a build of lawcode with the `git` feature), or name the file without `REV:`");
            }
            Problem::error(
                codes::NOT_A_REPOSITORY,
                format!(
                    "cannot read revision `{revision}`: `{}` is not inside a git repository ({e})",
                    dir.display()
                ),
            )
            .with_help("run lawcode from inside the repository, or name the file without `REV:`")
        })?;
        let mut lines = top.lines();
        let toplevel = PathBuf::from(lines.next().unwrap_or_default());
        let prefix = PathBuf::from(lines.next().unwrap_or_default());
        let commit = git(
            dir,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{revision}^{{commit}}"),
            ],
        )
        .map_err(|_| bad_revision(revision, "git knows no commit by that name"))?
        .trim()
        .to_string();
        Ok(GitRevision {
            revision: revision.to_string(),
            commit,
            toplevel,
            prefix,
        })
    }

    /// The commit the revision names.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// `path` as git names it in a tree: relative to the top level, `/`-separated.
    fn repo_path(&self, path: &Path) -> std::io::Result<String> {
        let relative = if path.is_absolute() {
            path.strip_prefix(&self.toplevel)
                .map(Path::to_path_buf)
                .or_else(|_| {
                    let real = std::fs::canonicalize(path)?;
                    real.strip_prefix(&self.toplevel)
                        .map(Path::to_path_buf)
                        .map_err(|_| {
                            std::io::Error::new(
                                std::io::ErrorKind::NotFound,
                                "outside the repository",
                            )
                        })
                })?
        } else {
            self.prefix.join(path)
        };
        let mut parts: Vec<String> = Vec::new();
        for c in relative.components() {
            match c {
                Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "outside the repository",
                        ));
                    }
                }
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        Ok(parts.join("/"))
    }
}

impl FileReader for GitRevision {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let rel = self.repo_path(path)?;
        git(
            &self.toplevel,
            &["cat-file", "blob", &format!("{}:{rel}", self.commit)],
        )
        .map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no file `{rel}` in revision `{}`", self.revision),
            )
        })
    }

    fn display_name(&self, path: &Path) -> String {
        format!("{}:{}", self.revision, path.display())
    }
}

fn bad_revision(revision: &str, why: &str) -> Problem {
    Problem::error(
        codes::BAD_REVISION,
        format!("unknown git revision `{revision}`: {why}"),
    )
    .with_help("name a commit: `HEAD`, `HEAD~1`, a branch, a tag or a hash (`git log --oneline` lists them)")
}

/// Without the `git` feature (e.g. in the browser, where no process can be started) a
/// revision cannot be read: every `REV:PATH` is refused, saying why.
#[cfg(not(feature = "git"))]
fn git(_dir: &Path, _args: &[&str]) -> std::io::Result<String> {
    Err(std::io::Error::other(
        "this build of lawcode reads no git revisions (it was built without the `git` feature)",
    ))
}

/// Runs git in `dir`; its stdout as text, or its first line of stderr as the error.
#[cfg(feature = "git")]
fn git(dir: &Path, args: &[&str]) -> std::io::Result<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err
            .lines()
            .next()
            .unwrap_or("git failed")
            .trim()
            .to_string();
        return Err(std::io::Error::other(first));
    }
    String::from_utf8(out.stdout)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str, existing: &[&str]) -> Result<RuleSource, SourceError> {
        let existing: Vec<PathBuf> = existing.iter().map(PathBuf::from).collect();
        RuleSource::parse_with(spec, &|p: &Path| existing.iter().any(|e| e == p))
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn plain_path() {
        let s = parse("rules/usc/18/2259.law", &[]).unwrap();
        assert_eq!(s.revision, None);
        assert_eq!(s.path, PathBuf::from("rules/usc/18/2259.law"));
        assert_eq!(s.as_of, None);
    }

    #[test]
    fn revision_path_and_date() {
        let s = parse("HEAD~1:rules/usc/18/2259.law@2018-12-06", &[]).unwrap();
        assert_eq!(s.revision.as_deref(), Some("HEAD~1"));
        assert_eq!(s.path, PathBuf::from("rules/usc/18/2259.law"));
        assert_eq!(s.as_of, Some(date("2018-12-06")));
        assert_eq!(s.to_string(), "HEAD~1:rules/usc/18/2259.law@2018-12-06");
    }

    #[test]
    fn an_existing_file_is_a_path_whatever_it_contains() {
        let s = parse("odd:name@2018-12-06", &["odd:name@2018-12-06"]).unwrap();
        assert_eq!(s.revision, None);
        assert_eq!(s.as_of, None);
        // The part before `:` is an existing directory: a path, not a revision.
        let s = parse("rules:x.law", &["rules"]).unwrap();
        assert_eq!(s.revision, None);
    }

    #[test]
    fn windows_drive_is_not_a_revision() {
        let s = parse(r"C:\rules\2259.law@2018-12-07", &[]).unwrap();
        assert_eq!(s.revision, None);
        assert_eq!(s.path, PathBuf::from(r"C:\rules\2259.law"));
        assert_eq!(s.as_of, Some(date("2018-12-07")));
    }

    #[test]
    fn only_a_date_shaped_suffix_is_a_date() {
        let s = parse("rules/a@b.law", &[]).unwrap();
        assert_eq!(s.path, PathBuf::from("rules/a@b.law"));
        assert_eq!(s.as_of, None);
    }

    #[test]
    fn bad_dates_are_named() {
        for bad in ["2019-02-30", "2018-1-6", "20181206", "2018-13-01"] {
            let e = parse(&format!("rules/x.law@{bad}"), &[]).unwrap_err();
            let SourceError::Spec(p) = e else { panic!() };
            assert_eq!(p.code, codes::BAD_DATE);
            assert!(p.message.contains(bad), "{}", p.message);
        }
    }

    #[test]
    fn empty_parts_are_errors() {
        for bad in ["", ":rules/x.law", "HEAD:"] {
            let e = parse(bad, &[]).unwrap_err();
            let SourceError::Spec(p) = e else { panic!() };
            assert_eq!(p.code, codes::EMPTY, "{bad}");
        }
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(parse_date("2018-12-07").unwrap(), date("2018-12-07"));
        assert!(parse_date("2018-12-7").is_err());
        assert!(parse_date("yesterday").is_err());
    }
}
