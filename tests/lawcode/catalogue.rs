//! docs/diagnostics.md, generated: the text and each code's meaning come from
//! `docs/diagnostics.in.md`; each code's example is the first line of a real diagnostic,
//! produced here by running the fixtures (and a few cases built below) through the library.
//! The page can therefore neither drift from the messages nor be cut short.
//!
//! `LAWCODE_UPDATE_DOCS=1 cargo test --test lawcode diagnostics_catalogue` rewrites the page.

use crate::support::{RULES_2259, lawcode_in, program_2259, repo, stderr_of};
use lawcode::EvalOptions;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const TEMPLATE: &str = "docs/diagnostics.in.md";
const PAGE: &str = "docs/diagnostics.md";

/// One diagnostic seen: its code, the first line of its message, and what produced it: a
/// fixture's path (or a command), and for a case built in this file, what the case is.
struct Seen {
    code: String,
    message: String,
    source: String,
    how: Option<String>,
}

/// Every diagnostic in `d` (itself and, for a report of several problems, each of them).
fn flatten(d: &dyn miette::Diagnostic, source: &str, out: &mut Vec<Seen>) {
    if let Some(code) = d.code() {
        out.push(Seen {
            code: code.to_string(),
            message: d.to_string().lines().next().unwrap_or_default().to_string(),
            source: source.to_string(),
            how: None,
        });
    }
    if let Some(related) = d.related() {
        for r in related {
            flatten(r, source, out);
        }
    }
}

fn sorted_files(dir: &str, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(repo().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out
}

/// Runs every fixture that exhibits a diagnostic, in a fixed order (the order decides which
/// example a code without a pinned source gets), and a few cases no fixture file can express.
fn produce() -> Vec<Seen> {
    let mut seen = Vec::new();
    // Rule files: their errors, or the warnings of those that check. Paths are relative to the
    // repository (cargo runs the tests there), so messages name no machine-specific prefix.
    for dir in ["tests/fixtures/diagnostics", "tests/fixtures/warnings"] {
        for name in sorted_files(dir, "law") {
            match lawcode::load_program(Path::new(&name)) {
                Err(e) => flatten(&e, &name, &mut seen),
                Ok((_, report)) => {
                    for w in &report.warnings {
                        flatten(w, &name, &mut seen);
                    }
                }
            }
        }
    }
    // Rules that check, evaluated on the facts beside them.
    for name in sorted_files("tests/fixtures/eval", "law") {
        let (program, report) = lawcode::load_program(Path::new(&name)).unwrap();
        for w in &report.warnings {
            flatten(w, &name, &mut seen);
        }
        let facts_name = name.replace(".law", ".json");
        let json = std::fs::read_to_string(repo().join(&facts_name)).unwrap();
        match program.read_facts("case.json", &json) {
            Err(e) => flatten(&e, &name, &mut seen),
            Ok(facts) => {
                if let Err(e) = program.evaluate(&facts, EvalOptions::default()) {
                    flatten(&e, &name, &mut seen);
                }
            }
        }
    }
    // Rule files with facts beside them that they refuse.
    for name in sorted_files("tests/fixtures/refused", "law") {
        let (program, _) = lawcode::load_program(Path::new(&name)).unwrap();
        let facts_name = name.replace(".law", ".json");
        let json = std::fs::read_to_string(repo().join(&facts_name)).unwrap();
        if let Err(e) = program.read_facts(&facts_name, &json) {
            flatten(&e, &name, &mut seen);
        }
    }
    // Facts files against the § 2259 rules: refused, or failing in evaluation.
    let program = program_2259();
    for dir in ["tests/fixtures/facts", "tests/cases/errors"] {
        for name in sorted_files(dir, "json") {
            let json = std::fs::read_to_string(repo().join(&name)).unwrap();
            match program.read_facts(&name, &json) {
                Err(e) => flatten(&e, &name, &mut seen),
                Ok(facts) => {
                    if let Err(e) = program.evaluate(&facts, EvalOptions::default()) {
                        flatten(&e, &name, &mut seen);
                    }
                }
            }
        }
    }
    // Test files the runner cannot run.
    let dir = "tests/fixtures/runner/malformed";
    let report = lawcode::runner::run(
        program,
        RULES_2259,
        Path::new(dir),
        lawcode::runner::RunOptions::default(),
    )
    .unwrap();
    for case in &report.cases {
        if let Some(error) = &case.error {
            let source = format!("{dir}/{}", case.case);
            for r in std::iter::once(error).chain(&error.related) {
                if let Some(code) = &r.code {
                    seen.push(Seen {
                        code: code.clone(),
                        message: r.message.lines().next().unwrap_or_default().to_string(),
                        source: source.clone(),
                        how: None,
                    });
                }
            }
        }
    }
    built_cases(&mut seen);
    seen
}

/// Diagnostics that need more than a fixture file: a limit, a path that does not exist, a
/// rule source named on the command line. Each is labelled with this file and what it does.
fn built_cases(seen: &mut Vec<Seen>) {
    fn add(seen: &mut Vec<Seen>, d: &dyn miette::Diagnostic, how: &str) {
        let from = seen.len();
        flatten(d, "tests/lawcode/catalogue.rs", seen);
        for s in seen.iter_mut().skip(from) {
            s.how = Some(how.to_string());
        }
    }

    /// Every file imports two new ones: an endless tree of imports.
    struct Endless;
    impl lawcode::load::FileReader for Endless {
        fn read(&self, path: &Path) -> std::io::Result<String> {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            Ok(format!("import \"{stem}a.law\"\nimport \"{stem}b.law\"\n"))
        }
    }
    let err = lawcode::load_program_with(&Endless, Path::new("x.law")).unwrap_err();
    add(seen, &err, "an endless tree of imports");

    let program = program_2259();
    let many = format!(
        "{{\"offense_date\": \"2019-05-01\", \"convictions\": [{}]}}",
        vec!["{\"section\": \"2252\"}"; lawcode::facts::MAX_LIST_LEN + 1].join(",")
    );
    let err = program.read_facts("many.json", &many).unwrap_err();
    add(seen, &err, "a list of convictions one item too long");

    // The CLI reads the facts file; its diagnostic is rendered on stderr. The path is short so
    // that the message fits on the rendered line, which is checked rather than assumed.
    seen.push(from_cli(
        &["eval", RULES_2259, "--facts", "missing.json", "--no-trace"],
        &format!("lawcode eval {RULES_2259} --facts missing.json"),
    ));
    seen.push(from_cli(
        &["fmt", "--check", "-", "rules"],
        "lawcode fmt --check - rules",
    ));
    std::fs::create_dir_all("target").unwrap();
    std::fs::write("target/latin1.law", b"statute \"caf\xe9\"\n").unwrap();
    seen.push(from_cli(
        &["fmt", "--check", "target/latin1.law"],
        "lawcode fmt --check target/latin1.law (a rule file in Latin-1)",
    ));
    let _ = std::fs::remove_file("target/latin1.law");

    use lawcode::rule_source::{GitRevision, RuleSource, check_as_of, parse_date};
    if let Err(e) = RuleSource::parse("") {
        add(seen, &e, "an empty rule source");
    }
    if let Err(e) = parse_date("2019-02-30") {
        add(seen, &e, "the date 2019-02-30");
    }
    let before = jiff::civil::date(1990, 1, 1);
    if let Err(e) = check_as_of(program, before) {
        add(seen, &e, "§ 2259 as of 1990-01-01");
    }
    if let Err(e) = GitRevision::open("no-such-revision", repo()) {
        add(seen, &e, "a revision git does not know");
    }

    // Sixty losses of an unknown category: a report shows fifty and counts the rest.
    let losses = vec!["{\"category\": \"medicl\", \"amount\": \"12.00\"}"; 60].join(",");
    let flood = format!(
        "{{\"offense_date\": \"2019-05-01\", \"convictions\": [{{\"section\": \"2252\"}}], \"victim\": {{\"losses\": [{losses}]}}}}"
    );
    let err = program.read_facts("flood.json", &flood).unwrap_err();
    add(
        seen,
        &lawcode::diagnostic::Bounded::new(&err),
        "sixty losses of a category that does not exist",
    );

    // A path relative to the package root, so that the message the page quotes is the same on
    // every machine (`target/` is ignored by git).
    std::fs::create_dir_all("target").unwrap();
    let latin1 = Path::new("target/latin1.json");
    std::fs::write(latin1, b"{ \"victim\": \"caf\xe9\" }").unwrap();
    let read = lawcode::read_facts_file(latin1);
    let _ = std::fs::remove_file(latin1);
    if let Err(e) = read {
        add(seen, &e, "a facts file written in Latin-1");
    }

    let terms = vec!["1"; lawcode::syntax::MAX_CHAIN_LEN + 1].join(" + ");
    let chain = format!(
        "statute \"Act § 1\"\noutcomes {{ n: integer \"n\" }}\n(a) {{ rule n = {terms} }}\n"
    );
    if let Err(e) = lawcode::compile("chain.law", &chain) {
        add(seen, &e, "a sum of 10,001 terms");
    }

    if let Err(e) = lawcode::render::View::new(program, vec!["restitution_amont".into()], false) {
        add(seen, &e, "`--outcome restitution_amont`");
    }

    let rules = RuleSource::parse(RULES_2259).unwrap().load().unwrap();
    let options = lawcode::diff::DiffOptions {
        outcomes: vec!["restitution".into()],
    };
    let cases = Path::new("tests/cases/usc-18-2259");
    if let Err(e) = lawcode::diff::diff_cases(&rules, &rules, cases, &options) {
        add(seen, &e, "`lawcode diff --outcome restitution`");
    }

    if let Err(e) = lawcode::corpus::case_paths(Path::new("tests/fixtures/syntax")) {
        add(seen, &e, "a directory that holds no case file");
    }
    let missing = "tests/fixtures/runner/no-such-case.json";
    if let Err(e) = lawcode::corpus::read_case("no-such-case.json", Path::new(missing)) {
        add(seen, &e, "a test file that does not exist");
    }
}

/// The first diagnostic `lawcode ARGS` renders on stderr (run in the repository).
fn from_cli(args: &[&str], source: &str) -> Seen {
    let out = lawcode_in(repo(), args);
    let stderr = stderr_of(&out);
    let mut lines = stderr.lines().skip_while(|l| !l.contains("lawcode::"));
    // The code is the word that starts `lawcode::` (miette may put `Error: ` before it).
    let code_line = lines.next().unwrap_or_default();
    let code = code_line[code_line.find("lawcode::").unwrap_or(0)..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let message = lines
        .find_map(|l| l.trim_start().strip_prefix("× "))
        .unwrap_or_default()
        .to_string();
    let continued = stderr.lines().any(|l| l.trim_start().starts_with("│ "));
    assert!(
        !continued && !message.is_empty(),
        "the message of `{source}` did not fit on one line:\n{stderr}"
    );
    Seen {
        code,
        message,
        source: source.to_string(),
        how: None,
    }
}

/// A row of a code table in the template: the code, its meaning, and how to find its example.
struct Row {
    code: String,
    meaning: String,
    example: String,
}

fn row(line: &str) -> Option<Row> {
    let cells: Vec<&str> = line
        .strip_prefix('|')?
        .strip_suffix('|')?
        .split(" | ")
        .map(str::trim)
        .collect();
    let [code, meaning, example] = cells[..] else {
        return None;
    };
    let code = code.strip_prefix('`')?.strip_suffix('`')?;
    code.starts_with("lawcode::").then(|| Row {
        code: code.to_string(),
        meaning: meaning.to_string(),
        example: example.to_string(),
    })
}

/// The page, or the list of what stops it from being built.
fn build(
    template: &str,
    seen: &[Seen],
    codes_in_source: &BTreeSet<String>,
) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut first: BTreeMap<&str, &Seen> = BTreeMap::new();
    for s in seen {
        first.entry(s.code.as_str()).or_insert(s);
    }
    let mut page = format!(
        "<!-- Generated from {TEMPLATE} by catalogue::diagnostics_catalogue_is_current; edit that \
         file, then run `LAWCODE_UPDATE_DOCS=1 cargo test --test lawcode diagnostics_catalogue`. -->\n"
    );
    let mut documented = BTreeSet::new();
    for line in template.lines() {
        let Some(r) = row(line) else {
            page.push_str(line);
            page.push('\n');
            continue;
        };
        if !documented.insert(r.code.clone()) {
            problems.push(format!("`{}` has two rows in {TEMPLATE}", r.code));
        }
        if !codes_in_source.contains(&r.code) {
            problems.push(format!(
                "`{}` is in {TEMPLATE} but no code in src/ has it; remove its row",
                r.code
            ));
        }
        if r.meaning.is_empty() {
            problems.push(format!("`{}` has no meaning in {TEMPLATE}", r.code));
        }
        let example = if r.example.starts_with("no example:") {
            r.example.clone()
        } else {
            let pinned = r.example.trim_matches('`');
            let hit = if pinned.is_empty() {
                first.get(r.code.as_str()).copied()
            } else {
                seen.iter().find(|s| s.code == r.code && s.source == pinned)
            };
            match hit {
                Some(s) => match &s.how {
                    Some(how) => format!("{} (`{}`, {how})", s.message, s.source),
                    None => format!("{} (`{}`)", s.message, s.source),
                },
                None => {
                    problems.push(if pinned.is_empty() {
                        format!(
                            "`{}` has no example: no fixture produces it; add one (a rule file \
                             under tests/fixtures/diagnostics/, facts under tests/cases/errors/, \
                             a case in tests/lawcode/catalogue.rs) or write `no example: why` in \
                             its row of {TEMPLATE}",
                            r.code
                        )
                    } else {
                        format!(
                            "`{}`: its example `{pinned}` does not produce it (the fixtures \
                             that do: {:?})",
                            r.code,
                            seen.iter()
                                .filter(|s| s.code == r.code)
                                .map(|s| s.source.as_str())
                                .collect::<Vec<_>>()
                        )
                    });
                    String::new()
                }
            }
        };
        page.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.code,
            r.meaning,
            example.replace('|', "\\|")
        ));
    }
    for code in codes_in_source.difference(&documented) {
        problems.push(format!(
            "`{code}` has no meaning: add a row `| `{code}` | what it means |  |` to its table in \
             {TEMPLATE}"
        ));
    }
    if problems.is_empty() {
        Ok(page)
    } else {
        Err(problems)
    }
}

/// The lines of `want` and `have` that differ, as `-`/`+` lines in order (a longest common
/// subsequence of lines; the page is a few hundred lines).
fn line_diff(have: &str, want: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (have.lines().collect(), want.lines().collect());
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

#[test]
fn diagnostics_catalogue_is_current() {
    let template = std::fs::read_to_string(repo().join(TEMPLATE)).unwrap();
    let codes = crate::support::codes_in_source();
    let page = match build(&template, &produce(), &codes) {
        Ok(page) => page,
        Err(problems) => panic!("cannot build {PAGE}:\n{}", problems.join("\n")),
    };
    let path = repo().join(PAGE);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("LAWCODE_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &page).unwrap();
    } else {
        assert!(
            current == page,
            "{PAGE} is out of date (- the page, + generated); regenerate it with \
             `LAWCODE_UPDATE_DOCS=1 cargo test --test lawcode diagnostics_catalogue`:\n{}",
            line_diff(&current, &page)
        );
    }
}

#[test]
fn the_catalogue_names_what_is_missing() {
    let codes: BTreeSet<String> = [
        "lawcode::check::a",
        "lawcode::check::b",
        "lawcode::check::c",
    ]
    .map(String::from)
    .into();
    let seen = [Seen {
        code: "lawcode::check::a".into(),
        message: "the first line | with a bar".into(),
        source: "tests/fixtures/a.law".into(),
        how: None,
    }];
    let template = "# T\n| code | meaning | example |\n| --- | --- | --- |\n\
                    | `lawcode::check::a` | means a |  |\n| `lawcode::check::b` | means b |  |\n";
    let problems = build(template, &seen, &codes).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("`lawcode::check::b` has no example"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("`lawcode::check::c` has no meaning"),
        "{problems:?}"
    );
    let template = format!("{template}| `lawcode::check::c` | means c | no example: why |\n");
    let seen_b = Seen {
        code: "lawcode::check::b".into(),
        message: "b happened".into(),
        source: "tests/fixtures/b.law".into(),
        how: Some("a case".into()),
    };
    let [a] = seen;
    let page = build(&template, &[a, seen_b], &codes).unwrap();
    assert!(page.contains(
        "| `lawcode::check::a` | means a | the first line \\| with a bar (`tests/fixtures/a.law`) |"
    ));
    assert!(page.contains(
        "| `lawcode::check::b` | means b | b happened (`tests/fixtures/b.law`, a case) |"
    ));
    assert!(page.contains("| `lawcode::check::c` | means c | no example: why |"));
    assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\n"), "+ x\n- b\n");
}
