//! Helpers shared by the test modules: paths, loading the § 2259 program once,
//! and rendering diagnostics the way a terminal without colour shows them.

use lawcode::{Program, load_program};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub const RULES_2259: &str = "rules/usc/18/2259.law";

/// The § 2259 program, checked once for the whole test binary.
pub fn program_2259() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        // cargo runs integration tests from the package root; a relative path keeps
        // file names in diagnostics free of machine-specific prefixes.
        load_program(Path::new(RULES_2259)).unwrap().0
    })
}

/// The program of the entry rule file `path` (relative to the repository), checked once for
/// the whole test binary.
pub fn program(path: &str) -> &'static Program {
    static PROGRAMS: OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, &'static Program>>,
    > = OnceLock::new();
    let mut programs = PROGRAMS.get_or_init(Default::default).lock().unwrap();
    programs.entry(path.to_string()).or_insert_with(|| {
        let (p, _) =
            load_program(Path::new(path)).unwrap_or_else(|e| panic!("{path}:\n{}", render(&e)));
        Box::leak(Box::new(p))
    })
}

/// Renders any diagnostic as plain text, without colour, at a fixed width, within the bounds
/// the command line keeps (`lawcode::diagnostic::Bounded`: long lines windowed, floods counted).
pub fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, &lawcode::diagnostic::Bounded::new(diagnostic))
        .unwrap();
    out
}

/// Files under `dir` (relative to the repository) with extension `ext`, sorted.
pub fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// Every citation in a JSON trace, depth first.
pub fn citations(trace: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        if let Some(arr) = v.as_array() {
            for n in arr {
                out.push(n["citation"].as_str().unwrap_or("").to_string());
                walk(&n["children"], out);
            }
        }
    }
    walk(trace, &mut out);
    out
}

/// Validates a facts document and evaluates it with the trace on; panics with the
/// rendered diagnostic if either step fails.
pub fn evaluate_traced(program: &Program, name: &str, facts_json: &str) -> lawcode::Evaluation {
    let facts = program
        .read_facts(name, facts_json)
        .unwrap_or_else(|e| panic!("{name}: facts rejected:\n{}", render(&e)));
    program
        .evaluate(
            &facts,
            lawcode::EvalOptions {
                trace: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: evaluation failed:\n{}", render(&e)))
}

/// Runs the `lawcode` binary in `dir`, without colour.
pub fn lawcode_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lawcode"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Runs the `lawcode` binary in the repository, without colour, with `stdin` as its standard
/// input (written from another thread, so that a large input cannot block on a full pipe).
pub fn lawcode_with_stdin(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_lawcode"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

pub fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A fresh git repository in a temporary directory holding a copy of `rules/`
/// and of the § 2259 case corpus (as `cases/`), committed once. Tests edit it
/// and compare against `HEAD:`, independently of this repository's history.
pub fn git_repo_with_rules() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("rules"), &dir.path().join("rules"));
    copy_dir(
        &repo().join("tests/cases/usc-18-2259"),
        &dir.path().join("cases"),
    );
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "--all"]);
    git(
        dir.path(),
        &["commit", "--quiet", "--message", "the rules as enacted"],
    );
    dir
}

/// Runs git in `dir` with a fixed identity; panics when git fails.
pub fn git(dir: &Path, args: &[&str]) {
    let o = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=lawcode tests",
            "-c",
            "user.email=tests@lawcode.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr_of(&o));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replaces `from` by `to` in a file, which must contain it.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// A diagnostic as one line: miette's wrapping and margin bars removed.
pub fn one_line(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of every file under `src/`.
pub fn source_texts() -> Vec<String> {
    let mut texts = Vec::new();
    let mut dirs = vec![repo().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    texts
}

/// Every diagnostic code the library's source names: `lawcode::<stage>::<name>`.
pub fn codes_in_source() -> std::collections::BTreeSet<String> {
    let mut codes = std::collections::BTreeSet::new();
    for text in source_texts() {
        for (i, _) in text.match_indices("lawcode::") {
            let code: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if code.matches("::").count() == 2 && !code.ends_with(':') {
                codes.insert(code);
            }
        }
    }
    codes
}

/// One case of `program`, evaluated with the trace.
pub fn traced(program: &lawcode::Program, facts: &str) -> lawcode::Evaluation {
    let facts = program
        .read_facts("f.json", facts)
        .unwrap_or_else(|e| panic!("{}", render(&e)));
    program
        .evaluate(
            &facts,
            lawcode::EvalOptions {
                trace: true,
                ..Default::default()
            },
        )
        .unwrap()
}
