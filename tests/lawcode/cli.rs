//! The `lawcode` command as a user runs it: exit codes, output shape, and
//! diagnostics on stderr.

use crate::support::repo;
use std::process::{Command, Output};

fn lawcode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lawcode"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn check_accepts_the_2259_rules() {
    let o = lawcode(&["check", "rules/usc/18/2259.law"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("ok"));
    // The rule set is complete: no provision left without a rule or a `not computed` mark.
    assert!(!stderr(&o).contains("empty_provision"), "{}", stderr(&o));
}

/// An empty file, or shared data checked alone, is not a rule set that checks "ok".
#[test]
fn check_refuses_a_file_with_no_statute() {
    for file in [
        "tests/fixtures/diagnostics/empty-file.law",
        "rules/data/cpi-u.law",
    ] {
        let o = lawcode(&["check", file]);
        assert_ne!(o.status.code(), Some(0), "{file}: {}", stdout(&o));
        assert!(!stdout(&o).contains("ok"), "{file}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("lawcode::check::no_statute"),
            "{file}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn eval_json_has_the_contract_shape() {
    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/trafficking-floor.json",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["statute"], "18 U.S.C. § 2259");
    assert_eq!(v["version"], "2018-12-07");
    assert_eq!(v["outcomes"]["restitution_amount"], "3000.00");
    assert_eq!(v["outcomes"]["trafficking"], true);
    assert_eq!(v["missing"], serde_json::json!([]));
    let trace = v["trace"].as_array().unwrap();
    assert!(!trace.is_empty());
    let cites = crate::support::citations(&v["trace"]);
    assert!(
        cites.iter().all(|c| c.starts_with("18 U.S.C. § 2259")),
        "{cites:?}"
    );
    assert!(cites.iter().any(|c| c == "18 U.S.C. § 2259(b)(2)(B)"));
}

#[test]
fn a_partial_result_exits_zero_and_lists_the_missing_fact() {
    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/missing-relative-role.json",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["outcomes"]["restitution_amount"], serde_json::Value::Null);
    assert_eq!(
        v["missing"],
        serde_json::json!(["court.relative_role_amount"])
    );
}

#[test]
fn bad_facts_exit_one_with_a_diagnostic_and_no_output() {
    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        "tests/cases/errors/unknown-key-typo-victm.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(
        err.contains("lawcode::facts::unknown_key") && err.contains("did you mean `victim`?"),
        "{err}"
    );
}

#[test]
fn malformed_json_names_line_and_column() {
    let dir = std::env::temp_dir().join(format!("lawcode-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"offense_date\": \"2019-01-01\",\n  \"convictions\": [\n}\n",
    )
    .unwrap();
    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("lawcode::facts::json_syntax") && err.contains("line 4"),
        "{err}"
    );
}

#[test]
fn a_missing_cpi_year_is_an_error_naming_the_year() {
    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        "tests/cases/errors/dma-year-not-in-table.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("lawcode::eval::missing_table_row") && err.contains("2030"),
        "{err}"
    );
    assert!(err.contains("18 U.S.C. § 2259(d)(1)(D)(ii)"), "{err}");
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        lawcode(&["eval", "rules/usc/18/2259.law"]).status.code(),
        Some(2)
    );
    assert_eq!(lawcode(&["frobnicate"]).status.code(), Some(2));
    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/trafficking-floor.json",
        "--format",
        "yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_rules_exit_one() {
    let o = lawcode(&["check", "tests/fixtures/diagnostics/unknown-name.law"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("lawcode::check::unknown_name"));
    let o = lawcode(&["check", "no/such/file.law"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("lawcode::load::unreadable"));
}

#[test]
fn an_unreadable_facts_file_exits_one() {
    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        "no/such/facts.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("lawcode::facts::unreadable"),
        "{}",
        stderr(&o)
    );
}

/// `--outcome` (repeatable) limits the trace to those outcomes' trees; `--with-text` quotes
/// each provision where it is first cited; the JSON's keys are in the contract's order.
#[test]
fn eval_shows_the_outcomes_asked_for_with_the_statutes_words() {
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "eval",
            "rules/usc/18/2259.law",
            "--facts",
            "examples/trafficking-floor.json",
            "--outcome",
            "restitution_amount",
        ];
        a.extend_from_slice(extra);
        a
    };
    let o = lawcode(&args(&["--with-text"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("the court shall order restitution in an amount that reflects"));
    insta::assert_snapshot!(text);

    let o = lawcode(&args(&["--outcome", "dma_amount", "--format", "json"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let trees: Vec<&str> = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(trees, ["current", "restitution_amount", "dma_amount"]);
    let at = |key: &str| out.find(&format!("\"{key}\":")).unwrap();
    assert!(at("statute") < at("version") && at("version") < at("outcomes"));
    assert!(at("outcomes") < at("missing") && at("missing") < at("trace"));
    assert!(v["provisions"]["18 U.S.C. § 2259(b)(2)(B)"]["text"].is_string());

    let o = lawcode(&[
        "eval",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/trafficking-floor.json",
        "--outcome",
        "restitution",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("lawcode::render::unknown_outcome"), "{err}");
}

#[test]
fn completions_for_each_shell_mention_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let o = lawcode(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(!script.trim().is_empty(), "{shell}");
        for sub in ["check", "eval", "test", "diff", "completions"] {
            assert!(
                script.contains(sub),
                "{shell} script does not mention {sub}"
            );
        }
        assert!(script.contains("facts"), "{shell}");
    }
    let o = lawcode(&["completions", "powershell-ish"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("possible values: bash, zsh, fish"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_shows_examples_and_that_eval_needs_facts_or_batch() {
    let o = lawcode(&["--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("help", stdout(&o));

    let o = lawcode(&["eval", "--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let help = stdout(&o);
    assert!(
        help.contains("<--facts <FACTS.json>|--batch <CASES.jsonl>>"),
        "{help}"
    );
    insta::assert_snapshot!("eval_help", help);

    for sub in ["check", "test", "diff", "completions", "ask"] {
        let o = lawcode(&[sub, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{sub}: {}", stderr(&o));
        let help = stdout(&o);
        assert!(help.contains("Examples:\n"), "{sub}: {help}");
        assert!(
            help.contains(&format!("\n  lawcode {sub} ")),
            "{sub}: {help}"
        );
    }

    // Neither --facts nor --batch: a usage error that names both.
    let o = lawcode(&["eval", "rules/usc/18/2259.law"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("<--facts <FACTS.json>|--batch <CASES.jsonl>>"),
        "{}",
        stderr(&o)
    );
}

/// `lawcode test --format json` writes its keys identifying first, then counts, then lists.
#[test]
fn test_json_keys_come_identifying_first_then_values_then_lists() {
    let o = lawcode(&[
        "test",
        "rules/usc/18/2259.law",
        "tests/cases/usc-18-2259",
        "--format",
        "json",
        "--coverage",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let at = |key: &str| {
        text.find(&format!("\n  \"{key}\":"))
            .unwrap_or_else(|| panic!("no top-level {key}"))
    };
    let order = ["rules", "dir", "passed", "failed", "cases", "coverage"];
    for w in order.windows(2) {
        assert!(at(w[0]) < at(w[1]), "{} before {}", w[0], w[1]);
    }
    let case = &text[at("cases")..];
    let (c, s, v) = (
        case.find("\"case\":").unwrap(),
        case.find("\"status\":").unwrap(),
        case.find("\"version\":").unwrap(),
    );
    assert!(c < s && s < v, "{}", &case[..200.min(case.len())]);
}

/// A rule file with a thousand warnings: `lawcode check` shows the first fifty and counts the
/// rest, so that stderr stays bounded.
#[test]
fn check_counts_a_flood_of_warnings_instead_of_printing_it() {
    let facts: String = (0..1000)
        .map(|i| format!("    unused_{i}: money \"f\"\n"))
        .collect();
    let rules = format!(
        "statute \"Act § 1\"\nfacts {{\n{facts}}}\noutcomes {{ n: integer \"n\" }}\n(a) {{ rule n = 1 }}\n"
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("a-thousand-warnings.law");
    std::fs::write(&path, rules).unwrap();
    let o = lawcode(&["check", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(
        err.matches("lawcode::check::unused_fact").count(),
        51,
        "{err}"
    );
    assert!(
        err.contains("and 950 more warnings not shown: 950 `lawcode::check::unused_fact`"),
        "{err}"
    );
    assert!(err.len() < 64 * 1024, "{} bytes", err.len());
}
