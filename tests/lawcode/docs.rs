//! The repository stands on its own: the contract, the statute texts and the data the rules
//! encode are copies in `docs/`, equal to the project's shared originals, and no file a user
//! reads points outside the repository.

use crate::support::repo;
use std::collections::BTreeSet;

/// Each copy in the repository and the original it was taken from, relative to the repository
/// root (the shared folder sits beside the repository, where the project keeps it).
const COPIES: &[(&str, &str)] = &[
    (
        "docs/contracts/18-usc-2259.md",
        "../shared/contracts/18-usc-2259.md",
    ),
    (
        "docs/statutes/18-usc-2259.md",
        "../shared/statutes/18-usc-2259.md",
    ),
    (
        "docs/statutes/18-usc-2259-1996.md",
        "../shared/statutes/18-usc-2259-1996.md",
    ),
    (
        "docs/statutes/18-usc-2259-amendment-2018.md",
        "../shared/statutes/18-usc-2259-amendment-2018.md",
    ),
    (
        "docs/statutes/18-usc-2259A.md",
        "../shared/statutes/18-usc-2259A.md",
    ),
    (
        "docs/statutes/18-usc-2259B.md",
        "../shared/statutes/18-usc-2259B.md",
    ),
    (
        "docs/data/cpi-u-annual-average.csv",
        "../shared/data/cpi-u-annual-average.csv",
    ),
    (
        "docs/data/federal-minimum-wage.csv",
        "../shared/data/federal-minimum-wage.csv",
    ),
];

/// Every copy is in the repository, and equals its original byte for byte wherever the shared
/// folder is present. A fresh clone has no shared folder: there the originals cannot be read and
/// only the copies' presence is checked; in the project's own checkouts the comparison is real.
/// (`docs/data/README.md` is not a copy: it is the shared data README, trimmed to the data the
/// repository uses and with its links made to resolve here.)
#[test]
fn docs_copies_equal_the_shared_originals() {
    let mut differ = Vec::new();
    for (copy, original) in COPIES {
        let ours = std::fs::read(repo().join(copy))
            .unwrap_or_else(|e| panic!("{copy} must be in the repository: {e}"));
        assert!(!ours.is_empty(), "{copy} is empty");
        match std::fs::read(repo().join(original)) {
            Ok(theirs) if theirs != ours => differ.push(format!("{copy} differs from {original}")),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot read {original}: {e}"),
        }
    }
    assert!(
        differ.is_empty(),
        "copy the originals again:\n{}",
        differ.join("\n")
    );
}

/// The CPI-U table the rules read holds exactly the rows of the CSV it names as its source,
/// in order, digit for digit (the table is typed in by hand; the CSV is the record).
#[test]
fn cpi_u_table_matches_its_csv() {
    let csv = std::fs::read_to_string(repo().join("docs/data/cpi-u-annual-average.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("year,cpi_u"));
    let from_csv: Vec<(String, String)> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (year, value) = l.split_once(',').unwrap();
            (year.to_string(), value.to_string())
        })
        .collect();
    let law = std::fs::read_to_string(repo().join("rules/data/cpi-u.law")).unwrap();
    assert!(
        law.contains("docs/data/cpi-u-annual-average.csv"),
        "the table's source names its CSV"
    );
    let from_law: Vec<(String, String)> = law
        .lines()
        .filter_map(|l| l.split_once("=>"))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    assert_eq!(from_law, from_csv);
}

/// The minimum-wage table holds exactly the CSV's rows, in order: its effective dates, its rates
/// (as money) and the citation each row cites.
#[test]
fn minimum_wage_table_matches_its_csv() {
    let csv = std::fs::read_to_string(repo().join("docs/data/federal-minimum-wage.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("effective_from,hourly_rate,citation,enacted_by")
    );
    let from_csv: Vec<String> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            format!("{} => ${} cites \"{}\"", cells[0], cells[1], cells[2])
        })
        .collect();
    let law = std::fs::read_to_string(repo().join("rules/data/federal-minimum-wage.law")).unwrap();
    assert!(law.contains("docs/data/federal-minimum-wage.csv"));
    let from_law: Vec<String> = law
        .lines()
        .filter(|l| l.contains("=>"))
        .map(|l| l.trim().to_string())
        .collect();
    assert_eq!(from_law, from_csv);
}

/// Whether a line names the project's shared folder as a path (`../shared`, `shared/data/…`),
/// as opposed to the word "shared" in prose or in a name like `SharedText`.
fn names_shared_folder(line: &str) -> bool {
    const FORMS: &[&str] = &[
        "../shared",
        "..\\shared",
        "shared/contracts",
        "shared/statutes",
        "shared/data",
        "shared/hooks",
        "shared/STYLE",
        "shared/README",
    ];
    FORMS.iter().any(|form| line.contains(form))
}

#[test]
fn the_shared_folder_pattern_finds_paths_not_words() {
    assert!(names_shared_folder(
        "the contract in `../shared/contracts/18-usc-2259.md`"
    ));
    assert!(names_shared_folder(
        "copied from shared/data/cpi-u-annual-average.csv"
    ));
    assert!(names_shared_folder(
        "// interface is shared/contracts/18-usc-2259.md."
    ));
    assert!(!names_shared_folder(
        "import \"../../data/cpi-u.law\" // shared data lives in its own file"
    ));
    assert!(!names_shared_folder("pub struct SharedText(Arc<str>);"));
    assert!(!names_shared_folder(
        "a data table shared by every rule file"
    ));
}

/// No file a user or a contributor reads outside the tests points at the shared folder, which
/// a clone does not have: the repository carries its own copies (`docs/`). The files are those
/// git tracks or would track (untracked but not ignored), so that a new file is checked before
/// it is committed; `tests/` is left out because this very test names the forms it looks for.
#[test]
fn no_user_facing_file_names_the_shared_folder() {
    let out = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(repo())
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git ls-files failed");
    let listed = String::from_utf8(out.stdout).unwrap();
    let mut scanned = 0;
    let mut found = Vec::new();
    for name in listed.split('\0').filter(|n| !n.is_empty()) {
        if name.starts_with("tests/") {
            continue;
        }
        // A tracked file deleted in the working tree, or a binary file, has no text to read.
        let Ok(text) = std::fs::read_to_string(repo().join(name)) else {
            continue;
        };
        scanned += 1;
        for (i, line) in text.lines().enumerate() {
            if names_shared_folder(line) {
                found.push(format!("{name}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    for must in ["README.md", "rules/usc/18/2259.law", "docs/language.md"] {
        assert!(
            listed.split('\0').any(|n| n == must),
            "{must} should have been scanned"
        );
    }
    assert!(scanned > 20, "only {scanned} files scanned");
    assert!(
        found.is_empty(),
        "these lines point at the shared folder, which a clone does not have; point at the copy \
         in docs/ instead:\n{}",
        found.join("\n")
    );
}

/// One fenced ```law (or ```json case) block of docs/language.md: its info string, its text,
/// and the line its fence opens on (for messages).
struct LawBlock {
    info: String,
    text: String,
    line: usize,
}

/// Every fenced block whose info string is `law`, starts with `law `, or is `json case`, in
/// order. A fence opened and never
/// closed is a mistake in the page, not a block to skip.
fn law_blocks(markdown: &str) -> Vec<LawBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, Vec<&str>)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    let info = info.trim();
                    // Other fences (```text, ```sh) are opened too, so that their contents are
                    // never read as fences.
                    open = Some((info.to_string(), i + 1, Vec::new()));
                }
            }
            Some((info, at, lines)) => {
                if line.trim_end() == "```" {
                    if info == "law" || info.starts_with("law ") || info == "json case" {
                        blocks.push(LawBlock {
                            info: info.clone(),
                            text: lines.join("\n") + "\n",
                            line: *at,
                        });
                    }
                    open = None;
                } else {
                    lines.push(line);
                }
            }
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    blocks
}

/// Every ```law block of docs/language.md is real `.law` text, checked according to its fence
/// (the page's introduction explains the convention to readers):
///
/// - ```` ```law ````: a whole rule file; it must load and check (warnings allowed). It is
///   written as `rules/usc/18/block-N.law` in a scratch directory that holds a copy of
///   `rules/data/`, so an `import "../../data/cpi-u.law"` resolves as it does for § 2259.
/// - ```` ```json case ````: a test file (`{"facts": …, "expect": …}`, as `lawcode test` reads
///   it) for the whole rule file above it; the rules must give what it expects.
/// - ```` ```law rejected CODE ````: a whole rule file the checker must refuse with `CODE`.
/// - ```` ```law fragment ````: declarations, parsed as a file (not checked: they name things
///   declared elsewhere).
/// - ```` ```law provision ````: what a provision holds, parsed inside `(x) { … }`.
/// - ```` ```law expr ````: an expression, parsed as the value of a rule.
/// - ```` ```law formatted ````: a whole file in the canonical layout: `lawcode fmt` leaves it
///   as it is.
///
/// Any other `law …` fence is an error, so that a typo cannot exempt a block.
#[test]
fn every_law_block_in_the_language_reference_is_checked() {
    use crate::support::render;
    use lawcode::source::FileId;
    let page = std::fs::read_to_string(repo().join("docs/language.md")).unwrap();
    let blocks = law_blocks(&page);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("rules/data");
    std::fs::create_dir_all(&data).unwrap();
    for entry in std::fs::read_dir(repo().join("rules/data")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, data.join(path.file_name().unwrap())).unwrap();
    }
    let rules = dir.path().join("rules/usc/18");
    std::fs::create_dir_all(&rules).unwrap();
    let parse = |text: &str| {
        lawcode::syntax::parse_file(FileId(0), "block.law", text)
            .map(|_| ())
            .map_err(|e| render(&e))
    };
    let mut failures = Vec::new();
    let (mut whole_files, mut cases) = (0, 0);
    // The program of the last whole-file block, for the cases that follow it.
    let mut last: Option<Result<lawcode::Program, ()>> = None;
    for (n, block) in blocks.iter().enumerate() {
        let at = format!("docs/language.md:{} (```{})", block.line, block.info);
        let load = |text: &str| {
            let path = rules.join(format!("block-{n}.law"));
            std::fs::write(&path, text).unwrap();
            lawcode::load_program(&path).map(|(program, _)| program)
        };
        let kind: Vec<&str> = block.info.split_whitespace().collect();
        let result: Result<(), String> = match kind[..] {
            ["law"] => {
                whole_files += 1;
                let loaded = load(&block.text);
                let result = loaded.as_ref().map(|_| ()).map_err(|e| render(e));
                last = Some(loaded.map_err(|_| ()));
                result
            }
            ["json", "case"] => {
                cases += 1;
                match &last {
                    None => Err("a case with no ```law block above it".into()),
                    // The rules' own failure is reported at their block.
                    Some(Err(())) => Ok(()),
                    Some(Ok(program)) => run_case(
                        program,
                        &dir.path().join(format!("case-{n}.json")),
                        &block.text,
                    ),
                }
            }
            ["law", "rejected", code] => match load(&block.text) {
                Ok(_) => Err(format!("should be rejected with {code}, but it checks")),
                Err(e) => {
                    let text = render(&e);
                    if text.contains(code) {
                        Ok(())
                    } else {
                        Err(format!("rejected, but not with {code}:\n{text}"))
                    }
                }
            },
            ["law", "fragment"] => parse(&block.text),
            ["law", "provision"] => parse(&format!("(x) {{\n{}}}\n", block.text)),
            ["law", "expr"] => parse(&format!("(x) {{ rule x =\n{}}}\n", block.text)),
            ["law", "formatted"] => {
                match lawcode::format::format_source("block.law", &block.text) {
                    Ok(out) if out == block.text => Ok(()),
                    Ok(out) => Err(format!("`lawcode fmt` lays it out as:\n{out}")),
                    Err(e) => Err(render(&e)),
                }
            }
            _ => Err(format!("unknown kind of block `{}`", block.info)),
        };
        if let Err(why) = result {
            failures.push(format!("{at}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "blocks of docs/language.md that are wrong:\n{}",
        failures.join("\n\n")
    );
    // The page documents the language by example: most of its examples are whole files, and
    // the meanings it claims are shown by cases.
    assert!(whole_files >= 10, "only {whole_files} whole-file examples");
    assert!(cases >= 5, "only {cases} cases");
}

/// Runs one test file against `program` as `lawcode test` would; `Err` says what differs.
fn run_case(program: &lawcode::Program, path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).unwrap();
    let case =
        lawcode::corpus::read_case("case.json", path).map_err(|e| crate::support::render(&e))?;
    let Some(expect) = &case.expect else {
        return Err("a case must have an `expect`".into());
    };
    let evaluation = lawcode::runner::evaluate_facts(program, &case, None)
        .map_err(|e| e.lines("").join("\n"))?;
    let failures = lawcode::runner::compare(program, expect, &evaluation);
    use lawcode::runner::Failure;
    let differ: Vec<String> = failures
        .iter()
        .map(|f| match f {
            Failure::Outcome {
                outcome, want, got, ..
            } => {
                format!("{outcome}: want {want}, got {got}")
            }
            Failure::Missing { want, got } => format!("missing: want {want:?}, got {got:?}"),
            Failure::Cite { cite } => format!("no trace node cites {cite}"),
        })
        .collect();
    if differ.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the rules do not give what the case expects: {}",
            differ.join("; ")
        ))
    }
}

#[test]
fn law_blocks_are_found_and_other_fences_are_not() {
    let page = "text\n```law\nstatute \"A\"\n```\n```sh\n```law\n```\n```law expr\n1 + 2\n```\n";
    let blocks = law_blocks(page);
    let kinds: Vec<(&str, &str, usize)> = blocks
        .iter()
        .map(|b| (b.info.as_str(), b.text.as_str(), b.line))
        .collect();
    // The ```law inside the ```sh block is that block's text, not a fence.
    assert_eq!(
        kinds,
        [("law", "statute \"A\"\n", 2), ("law expr", "1 + 2\n", 8)]
    );
}

/// Every relative link in the repository's Markdown (`[text](path)`) names a file or folder
/// that exists, so a reader of a clone never follows a link into nothing.
#[test]
fn relative_links_in_the_docs_resolve() {
    let mut pages = vec![
        "README.md".to_string(),
        "ARCHITECTURE.md".to_string(),
        "BENCHMARKS.md".to_string(),
        "examples/README.md".to_string(),
    ];
    let mut dirs = vec!["docs".to_string()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(repo().join(&dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            if path.is_dir() {
                dirs.push(name);
            } else if name.ends_with(".md") {
                pages.push(name);
            }
        }
    }
    let mut broken = Vec::new();
    let mut links = 0;
    for page in &pages {
        let text = std::fs::read_to_string(repo().join(page)).unwrap();
        let base = repo().join(page);
        let base = base.parent().unwrap();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            links += 1;
            if !base.join(file).exists() {
                broken.push(format!("{page}: ({target})"));
            }
        }
    }
    assert!(links > 10, "only {links} relative links found");
    assert!(
        broken.is_empty(),
        "links to nothing:\n{}",
        broken.join("\n")
    );
}

/// The statute's words quoted in the rules (`text "…"`) are the words of the copies in
/// `docs/statutes/`: a provision `in original` quotes the 1996 text, one `in current` the
/// current text, and one in every version both. Compared with white space collapsed and the
/// Markdown bold marks of the copies' headings removed; nothing else is normalised.
#[test]
fn the_rules_quote_the_statute_texts_in_docs() {
    use lawcode::ast::{Item, Provision, ProvisionItem};
    fn words(text: &str) -> String {
        text.replace("**", "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn quoted<'a>(
        p: &'a Provision,
        version: Option<&'a str>,
        out: &mut Vec<(Option<&'a str>, &'a str)>,
    ) {
        let version = p.in_version.as_ref().map(|v| v.node.as_str()).or(version);
        for item in &p.body {
            match item {
                ProvisionItem::Text(t) => out.push((version, t)),
                ProvisionItem::Provision(inner) => quoted(inner, version, out),
                _ => {}
            }
        }
    }
    let read = |name: &str| words(&std::fs::read_to_string(repo().join(name)).unwrap());
    let texts = [
        ("original", read("docs/statutes/18-usc-2259-1996.md")),
        ("current", read("docs/statutes/18-usc-2259.md")),
    ];
    let source = std::fs::read_to_string(repo().join(crate::support::RULES_2259)).unwrap();
    let file =
        lawcode::syntax::parse_file(lawcode::source::FileId(0), "2259.law", &source).unwrap();
    let mut found = Vec::new();
    for item in &file.items {
        if let Item::Provision(p) = item {
            quoted(p, None, &mut found);
        }
    }
    let mut wrong = Vec::new();
    for (version, text) in &found {
        for (name, statute) in &texts {
            if version.is_none_or(|v| v == *name) && !statute.contains(&words(text)) {
                wrong.push(format!("not in the {name} text: {text}"));
            }
        }
    }
    assert!(found.len() > 30, "only {} texts quoted", found.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The quoted words between `start` and the next `}` (or blank line) of a text.
fn quoted_words_after(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let Some(at) = text.find(start) else {
        return BTreeSet::new();
    };
    let rest = &text[at + start.len()..];
    let body = &rest[..rest.find(end).unwrap_or(rest.len())];
    body.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The keywords docs/language.md lists (names cannot be keywords) are the grammar's.
#[test]
fn the_language_reference_lists_the_grammars_keywords() {
    let grammar = std::fs::read_to_string(repo().join("grammar/law.pest")).unwrap();
    let page = std::fs::read_to_string(repo().join("docs/language.md")).unwrap();
    let mut in_grammar = quoted_words_after(&grammar, "\nkeyword = @{", "}");
    // The rule ends `~ !ident_char`: the lookahead, not a keyword.
    in_grammar.remove("ident_char");
    let in_page = quoted_words_after(&page, "\nkeyword = ", "```");
    assert!(in_grammar.len() > 10, "{in_grammar:?}");
    assert_eq!(in_page, in_grammar);
}
