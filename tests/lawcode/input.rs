//! Facts as people give them to the command line, and reports that stay readable whatever the
//! input: standard input, a byte order mark, an empty or non-UTF-8 file, a test file passed as
//! facts, a minified file on one long line, and a flood of problems.

use crate::support::{lawcode_in, lawcode_with_stdin, repo, stderr_of, stdout_of};
use std::path::Path;
use std::process::{Command, Output};

/// A run's whole standard error stays under this, whatever the input.
const STDERR_LIMIT: usize = 64 * 1024;

fn rules() -> String {
    repo().join("rules/usc/18/2259.law").display().to_string()
}

/// `lawcode eval RULES --facts NAME` in `dir`.
fn eval_facts(dir: &Path, name: &str) -> Output {
    lawcode_in(dir, &["eval", &rules(), "--facts", name])
}

const VALID: &str = r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2252"}]}"#;

#[test]
fn facts_dash_reads_standard_input() {
    let file =
        std::fs::read_to_string(repo().join("tests/cases/errors/empty-convictions.json")).unwrap();
    let o = lawcode_with_stdin(
        &["eval", "rules/usc/18/2259.law", "--facts", "-"],
        VALID.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("case.json"), VALID).unwrap();
    assert_eq!(
        stdout_of(&o),
        stdout_of(&eval_facts(dir.path(), "case.json"))
    );
    // Bad facts on standard input are named so.
    let o = lawcode_with_stdin(
        &["eval", "rules/usc/18/2259.law", "--facts", "-"],
        file.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&o));
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("case.json"), format!("\u{feff}{VALID}")).unwrap();
    let o = eval_facts(dir.path(), "case.json");
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    // A batch's first line may start with one too (a file saved with a BOM).
    let lines = format!("\u{feff}{VALID}\n{VALID}\n");
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            "-",
            "--no-trace",
        ],
        lines.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout_of(&o));
    let out = stdout_of(&o);
    let out: Vec<&str> = out.lines().collect();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0], out[1]);
    // And so may a test file of `lawcode test`.
    let case = "tests/cases/usc-18-2259/current-2252-no-subsection-trafficking.json";
    let text = std::fs::read_to_string(repo().join(case)).unwrap();
    std::fs::write(dir.path().join("case.json"), format!("\u{feff}{text}")).unwrap();
    let o = lawcode_in(dir.path(), &["test", &rules(), "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout_of(&o));
}

/// `--facts /dev/zero` is refused after 16 MiB, not read until memory runs out.
#[cfg(unix)]
#[test]
fn an_endless_facts_file_is_refused() {
    let o = eval_facts(repo(), "/dev/zero");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_of(&o);
    assert!(err.contains("lawcode::facts::too_large"), "{err}");
}

#[test]
fn an_empty_or_non_utf8_facts_file_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.json"), "").unwrap();
    std::fs::write(dir.path().join("latin1.json"), b"{\"name\": \"Jos\xe9\"}").unwrap();
    let utf16: Vec<u8> = "\u{feff}{}"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(dir.path().join("utf16.json"), utf16).unwrap();
    let mut shown = Vec::new();
    for name in ["empty.json", "latin1.json", "utf16.json"] {
        let o = eval_facts(dir.path(), name);
        assert_eq!(o.status.code(), Some(1));
        let err = stderr_of(&o);
        assert!(!err.contains("check the path"), "{err}");
        assert!(!err.contains("3000.00"), "no money-syntax help: {err}");
        shown.push(err);
    }
    assert!(shown[0].contains("lawcode::facts::empty"));
    assert!(shown[1].contains("lawcode::facts::not_utf8"));
    insta::assert_snapshot!(shown.join("\n"));
}

#[test]
fn a_non_utf8_batch_line_or_rule_file_says_what_it_is() {
    let input = [VALID.as_bytes(), b"\n{\"offense_date\": \"\xff\"}\n"].concat();
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            "-",
            "--no-trace",
        ],
        &input,
    );
    let out = stdout_of(&o);
    let second: serde_json::Value = serde_json::from_str(out.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["error"]["code"], "lawcode::facts::not_utf8");
    insta::assert_snapshot!(second["error"]["message"].as_str().unwrap(), @"the line is not UTF-8 text (invalid byte 0xff at offset 18)");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.law"),
        b"statute \"Act \xa71\" \"x\"\n",
    )
    .unwrap();
    let o = lawcode_in(dir.path(), &["check", "rules.law"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&o));
}

#[test]
fn a_test_file_given_as_facts_points_to_lawcode_test() {
    let o = Command::new(env!("CARGO_BIN_EXE_lawcode"))
        .args([
            "eval",
            "rules/usc/18/2259.law",
            "--facts",
            "tests/cases/usc-18-2259/current-2252-no-subsection-trafficking.json",
        ])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_of(&o);
    assert!(err.contains("lawcode::facts::test_file"), "{err}");
    assert!(err.contains("lawcode test"), "{err}");
    assert!(!err.contains("unknown fact"), "{err}");
}

/// A minified facts file: one line of 6 MB with a wrong value near its end. Before, the whole
/// line was printed (27.9 MB on stderr); now a window around the mark, at its real column.
#[test]
fn a_six_megabyte_line_is_shown_as_a_window() {
    let item = r#"{"section": "2252A(a)(5)(B)", "involved_production": false}"#;
    let items = vec![item; 99_999].join(", ");
    let json = format!(
        r#"{{"offense_date": "2019-05-01", "convictions": [{items}, {{"section": "2252", "involved_production": "yes"}}]}}"#
    );
    assert!(json.len() > 6_000_000);
    let column = json.rfind("\"yes\"").unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("minified.json"), &json).unwrap();
    let o = eval_facts(dir.path(), "minified.json");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_of(&o);
    assert!(err.len() < STDERR_LIMIT, "{} bytes on stderr", err.len());
    assert!(
        err.contains(&format!("[minified.json:1:{column}]")),
        "{err}"
    );
    assert!(err.contains("…") && err.contains("this value"), "{err}");
    insta::assert_snapshot!(err);
}

/// 100,001 problems: the first 50 are shown, then the rest are counted; the library keeps all.
#[test]
fn a_flood_of_problems_is_counted_not_shown() {
    let items = vec![r#"{"section": 5}"#; 100_000].join(",");
    let json = format!(r#"{{"offense_date": "2019-05-01", "convictions": [{items}], "extra": 1}}"#);
    let program = crate::support::program_2259();
    let err = program.read_facts("flood.json", &json).unwrap_err();
    assert_eq!(err.problems.len(), 100_001);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flood.json"), &json).unwrap();
    let o = eval_facts(dir.path(), "flood.json");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_of(&o);
    assert!(err.len() < STDERR_LIMIT, "{} bytes on stderr", err.len());
    assert_eq!(err.matches("Error: lawcode::facts::").count(), 50, "{err}");
    // The summary and the count of the rest, as shown.
    let lines: Vec<&str> = err.lines().collect();
    let shown = [&lines[..2], &["…"], &lines[lines.len() - 6..]].concat();
    insta::assert_snapshot!(shown.join("\n"));

    // A batch line with as many problems stays one short line of output.
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            "-",
            "--no-trace",
        ],
        json.as_bytes(),
    );
    let out = stdout_of(&o);
    assert!(out.len() < STDERR_LIMIT, "{} bytes", out.len());
    assert!(out.contains("and 99,951 more problems"), "{out}");

    // And so does the report of `lawcode test` on a test file with those facts.
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    let test_file = format!(r#"{{"facts": {json}, "expect": {{"outcomes": {{}}}}}}"#);
    std::fs::write(cases.join("flood.json"), test_file).unwrap();
    let o = lawcode_in(dir.path(), &["test", &rules(), "cases"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout_of(&o);
    assert!(out.len() < STDERR_LIMIT, "{} bytes", out.len());
    assert!(out.contains("and 99,951 more problems not shown"), "{out}");
}
