//! Case files: a directory in, its `*.json` files (recursively, in sorted
//! order) out, each read as a test file or as a bare facts file.
//!
//! A test file is one JSON object:
//!
//! ```json
//! { "description": "optional words",
//!   "facts": { "offense_date": "2020-02-14", "convictions": [ … ] },
//!   "expect": { "outcomes": { "restitution_amount": "3000.00" },
//!               "missing": [], "cites": [ "(b)(2)(B)" ] } }
//! ```
//!
//! Any other JSON object is a bare facts file (what `lawcode eval --facts`
//! reads). Problems with a file are [`Problem`]s under `lawcode::test::…`;
//! the caller reports them and goes on with the next file.

use crate::diagnostic::{Problem, nearest};
use miette::NamedSource;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Stable codes of case-file diagnostics.
pub mod codes {
    /// A test file cannot be read.
    pub const UNREADABLE: &str = "lawcode::test::unreadable";
    /// A test file is not valid JSON (line and column given).
    pub const BAD_JSON: &str = "lawcode::test::bad_json";
    /// A test file is not `{ "facts": …, "expect": … }` or its parts have the wrong shape.
    pub const BAD_TEST_FILE: &str = "lawcode::test::bad_test_file";
    /// The case directory holds no `*.json` file.
    pub const NO_CASES: &str = "lawcode::test::no_cases";
}

/// The keys a test file may have.
const TEST_KEYS: [&str; 3] = ["facts", "expect", "description"];
/// The keys of `expect`.
const EXPECT_KEYS: [&str; 3] = ["outcomes", "missing", "cites"];

/// One case file, read and parsed as JSON (not yet validated against any rules).
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// The file's path relative to the directory searched, `/`-separated.
    pub name: String,
    /// The path as found (the directory given, joined with `name`).
    pub path: PathBuf,
    /// The facts: the `facts` member of a test file, or the whole bare facts file.
    pub facts: serde_json::Value,
    /// What a test file expects; `None` for a bare facts file.
    pub expect: Option<Expect>,
}

/// The expectations of a test file. Only what is listed is compared.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Expect {
    /// Outcome names and expected values, in the file's order.
    pub outcomes: Vec<(String, serde_json::Value)>,
    /// The facts expected in `missing`, when the file says.
    pub missing: Option<Vec<String>>,
    /// Citations, or citation suffixes like `(b)(2)(B)`, the trace must contain.
    pub cites: Vec<String>,
}

/// Every `*.json` file under `dir`, recursively, sorted by relative name.
pub fn case_paths(dir: &Path) -> Result<Vec<(String, PathBuf)>, Problem> {
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    if out.is_empty() {
        return Err(Problem::error(
            codes::NO_CASES,
            format!("no `*.json` case files under `{}`", dir.display()),
        )
        .with_help("check the directory; cases are found recursively by the `.json` extension"));
    }
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), Problem> {
    let unreadable = |e: std::io::Error| {
        Problem::error(
            codes::UNREADABLE,
            format!("cannot read the directory `{}`: {e}", dir.display()),
        )
        .with_help("name a directory that holds the case files")
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let name = format!("{prefix}{file_name}");
        if path.is_dir() {
            walk(&path, &format!("{name}/"), out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push((name, path));
        }
    }
    Ok(())
}

/// Reads one case file.
pub fn read_case(name: &str, path: &Path) -> Result<CaseFile, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Problem::error(
            codes::UNREADABLE,
            format!("cannot read `{}`: {e}", path.display()),
        )
    })?;
    // A byte order mark is not part of the JSON (RFC 8259 § 8.1).
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        let offset = crate::diagnostic::line_col_offset(&text, e.line(), e.column());
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        Problem::error(
            codes::BAD_JSON,
            format!(
                "`{name}` is not valid JSON: {message} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
        .with_help("fix the JSON syntax at the marked place")
        .in_source(NamedSource::new(
            path.display().to_string(),
            std::sync::Arc::from(text.as_str()),
        ))
        .at_offset(offset, 1, "here")
    })?;
    let Some(map) = doc.as_object().filter(|m| m.contains_key("facts")) else {
        // A bare facts file; the rules' schema judges it.
        return Ok(CaseFile {
            name: name.to_string(),
            path: path.to_path_buf(),
            facts: doc,
            expect: None,
        });
    };
    for key in map.keys() {
        if !TEST_KEYS.contains(&key.as_str()) {
            return Err(unknown_key(name, key, "the test file", &TEST_KEYS));
        }
    }
    let expect = match map.get("expect") {
        None => None,
        Some(e) => Some(read_expect(name, e)?),
    };
    Ok(CaseFile {
        name: name.to_string(),
        path: path.to_path_buf(),
        facts: map.get("facts").cloned().unwrap_or_default(),
        expect,
    })
}

fn read_expect(name: &str, e: &serde_json::Value) -> Result<Expect, Problem> {
    let bad = |what: String| {
        Problem::error(codes::BAD_TEST_FILE, format!("`{name}`: {what}")).with_help(
            "write `\"expect\": { \"outcomes\": { … }, \"missing\": [ … ], \"cites\": [ … ] }`",
        )
    };
    let Some(map) = e.as_object() else {
        return Err(bad("`expect` must be an object".into()));
    };
    for key in map.keys() {
        if !EXPECT_KEYS.contains(&key.as_str()) {
            return Err(unknown_key(name, key, "`expect`", &EXPECT_KEYS));
        }
    }
    let outcomes = match map.get("outcomes") {
        None => Vec::new(),
        Some(serde_json::Value::Object(o)) => {
            o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        Some(_) => return Err(bad("`expect.outcomes` must be an object".into())),
    };
    let strings = |key: &str| -> Result<Option<Vec<String>>, Problem> {
        match map.get(key) {
            None => Ok(None),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| bad(format!("`expect.{key}` must be a list of texts")))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad(format!("`expect.{key}` must be a list of texts"))),
        }
    };
    Ok(Expect {
        outcomes,
        missing: strings("missing")?,
        cites: strings("cites")?.unwrap_or_default(),
    })
}

fn unknown_key(name: &str, key: &str, within: &str, valid: &[&str]) -> Problem {
    let help = match nearest(key, valid.iter().copied()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => format!(
            "{within} may hold {}",
            valid
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Problem::error(
        codes::BAD_TEST_FILE,
        format!("`{name}`: unknown key `{key}` in {within}"),
    )
    .with_help(help)
}

/// One diagnostic, flattened for a report: code, message, help, and the
/// problems it groups (a facts file's every problem).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reported {
    /// The stable code (`lawcode::facts::wrong_type`); `None` for a diagnostic without one.
    pub code: Option<String>,
    /// The message, as the diagnostic displays it (cut at 400 characters).
    pub message: String,
    /// How to fix it, when the diagnostic says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The problems it groups, flattened the same way: at most 50, then one counting the rest;
    /// empty for a single problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Reported>,
}

impl Reported {
    /// As it is shown (`diagnostic::Bounded`): texts cut, and of many related problems the
    /// first 50 and a count of the rest.
    pub fn from_diagnostic(d: &dyn miette::Diagnostic) -> Reported {
        Self::collect(&crate::diagnostic::Bounded::new(d))
    }

    fn collect(d: &dyn miette::Diagnostic) -> Reported {
        Reported {
            code: d.code().map(|c| c.to_string()),
            message: d.to_string(),
            help: d.help().map(|h| h.to_string()),
            related: d
                .related()
                .map(|r| r.map(Reported::collect).collect())
                .unwrap_or_default(),
        }
    }

    /// Indented lines: `code: message`, `help: …`, then the related problems.
    pub fn lines(&self, indent: &str) -> Vec<String> {
        let mut out = Vec::new();
        match &self.code {
            Some(c) => out.push(format!("{indent}{c}: {}", self.message)),
            None => out.push(format!("{indent}{}", self.message)),
        }
        if let Some(h) = &self.help {
            out.push(format!("{indent}  help: {h}"));
        }
        for r in &self.related {
            out.extend(r.lines(&format!("{indent}  ")));
        }
        out
    }
}
