//! The law as of a date and rule sources named `[REV:]PATH[@DATE]`: `eval
//! --as-of`, a pinned `@DATE`, `HEAD:` read from a git revision, and the
//! errors for a bad date, revision or path.

use crate::support::{
    RULES_2259, edit, git_repo_with_rules, lawcode_in, one_line, repo, stderr_of, stdout_of,
};
use lawcode::rule_source::{GitRevision, RuleSource, SourceError};
use std::path::Path;

fn eval_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let o = lawcode_in(dir, args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    serde_json::from_str(&stdout_of(&o)).unwrap()
}

#[test]
fn as_of_applies_the_text_in_force_that_day_whatever_the_offense_date() {
    // The offense is in 2020: the facts select the current text.
    let facts = "examples/trafficking-floor.json";
    let v = eval_json(
        repo(),
        &["eval", RULES_2259, "--facts", facts, "--format", "json"],
    );
    assert_eq!(v["version"], "2018-12-07");
    assert_eq!(v["outcomes"]["restitution_amount"], "3000.00");

    let v = eval_json(
        repo(),
        &[
            "eval",
            RULES_2259,
            "--facts",
            facts,
            "--format",
            "json",
            "--as-of",
            "2018-12-06",
        ],
    );
    assert_eq!(v["version"], "1996-04-24");
    assert_eq!(v["outcomes"]["trafficking"], serde_json::Value::Null);
    // Paroline: the court's relative-role amount, no floor.
    assert_eq!(v["outcomes"]["restitution_amount"], "1200.00");
    let version_node = &v["trace"][0];
    assert_eq!(version_node["kind"], "version");
    assert!(
        version_node["detail"]
            .as_str()
            .unwrap()
            .contains("pinned to 2018-12-06"),
        "{version_node}"
    );
}

#[test]
fn a_date_pinned_in_the_rule_source_selects_the_version() {
    // The offense is in 2009: the facts select the 1996 text; the pin overrides them.
    let facts = "examples/original-1996-paroline.json";
    let v = eval_json(
        repo(),
        &["eval", RULES_2259, "--facts", facts, "--format", "json"],
    );
    assert_eq!(v["version"], "1996-04-24");
    let pinned = format!("{RULES_2259}@2018-12-07");
    let v = eval_json(
        repo(),
        &["eval", &pinned, "--facts", facts, "--format", "json"],
    );
    assert_eq!(v["version"], "2018-12-07");
    assert_eq!(v["outcomes"]["trafficking"], true);
    assert_eq!(v["outcomes"]["restitution_amount"], "3000.00");
    // `--as-of` wins over the pin.
    let v = eval_json(
        repo(),
        &[
            "eval",
            &pinned,
            "--facts",
            facts,
            "--format",
            "json",
            "--as-of",
            "2000-01-01",
        ],
    );
    assert_eq!(v["version"], "1996-04-24");
}

#[test]
fn bad_dates_and_dates_before_the_statute_are_clear_errors() {
    let facts = "examples/trafficking-floor.json";
    for (args, code, words) in [
        (
            vec!["eval", "rules/usc/18/2259.law@2019-02-30", "--facts", facts],
            "lawcode::source::bad_date",
            "`2019-02-30` is not a date",
        ),
        (
            vec!["eval", RULES_2259, "--facts", facts, "--as-of", "2019-2-3"],
            "lawcode::source::bad_date",
            "`2019-2-3` is not a date",
        ),
        (
            vec![
                "eval",
                RULES_2259,
                "--facts",
                facts,
                "--as-of",
                "1990-01-01",
            ],
            "lawcode::source::before_first_version",
            "no text of 18 U.S.C. § 2259 was in force on 1990-01-01",
        ),
        (
            vec!["check", "rules/usc/18/2259.law@1996-04-23"],
            "lawcode::source::before_first_version",
            "the earliest encoded text took effect on 1996-04-24",
        ),
    ] {
        let o = lawcode_in(repo(), &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stdout_of(&o).is_empty(), "{args:?}: {}", stdout_of(&o));
        let err = one_line(&stderr_of(&o));
        assert!(err.contains(code), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
    // The first day of the 1996 text is fine.
    let o = lawcode_in(repo(), &["check", "rules/usc/18/2259.law@1996-04-24"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
}

#[test]
fn a_revision_reads_the_rules_and_their_imports_as_committed() {
    let dir = git_repo_with_rules();
    edit(
        &dir.path().join("rules/usc/18/2259.law"),
        "rule minimum_restitution = $3,000",
        "rule minimum_restitution = $5,000",
    );
    let facts = repo().join("examples/trafficking-floor.json");
    let facts = facts.to_str().unwrap();
    let now = eval_json(
        dir.path(),
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--facts",
            facts,
            "--format",
            "json",
        ],
    );
    assert_eq!(now["outcomes"]["restitution_amount"], "5000.00");
    let then = eval_json(
        dir.path(),
        &[
            "eval",
            "HEAD:rules/usc/18/2259.law",
            "--facts",
            facts,
            "--format",
            "json",
        ],
    );
    assert_eq!(then["outcomes"]["restitution_amount"], "3000.00");
    // The import of ../../data/cpi-u.law came from the revision too: the DMA amount is there.
    assert_eq!(then["outcomes"]["dma_amount"], "41787.39");

    // From a subdirectory, paths are relative to it, as git's own `REV:./path`.
    let then = eval_json(
        &dir.path().join("rules/usc"),
        &[
            "eval",
            "HEAD:18/2259.law@2018-12-06",
            "--facts",
            facts,
            "--format",
            "json",
        ],
    );
    assert_eq!(then["version"], "1996-04-24");

    // A file deleted since the commit is still readable from the commit.
    std::fs::remove_file(dir.path().join("rules/data/cpi-u.law")).unwrap();
    let o = lawcode_in(dir.path(), &["check", "HEAD:rules/usc/18/2259.law"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    assert!(stdout_of(&o).starts_with("HEAD:rules/usc/18/2259.law: ok"));
}

#[test]
fn bad_revisions_and_paths_are_clear_errors() {
    let dir = git_repo_with_rules();
    for (args, code, words) in [
        (
            vec!["check", "HEAD~3:rules/usc/18/2259.law"],
            "lawcode::source::bad_revision",
            "unknown git revision `HEAD~3`",
        ),
        (
            vec!["check", "HEAD:rules/usc/18/2260.law"],
            "lawcode::load::unreadable",
            "no file `rules/usc/18/2260.law` in revision `HEAD`",
        ),
        (
            vec!["check", "rules/usc/18/2260.law"],
            "lawcode::load::unreadable",
            "cannot read `rules/usc/18/2260.law`",
        ),
        (
            vec!["check", ":rules/usc/18/2259.law"],
            "lawcode::source::empty",
            "names no git revision",
        ),
    ] {
        let o = lawcode_in(dir.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = one_line(&stderr_of(&o));
        assert!(err.contains(code), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }

    let outside = tempfile::tempdir().unwrap();
    let o = lawcode_in(outside.path(), &["check", "HEAD:rules/usc/18/2259.law"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_of(&o).contains("lawcode::source::not_a_repository"),
        "{}",
        stderr_of(&o)
    );
}

#[test]
fn the_library_reads_a_revision_through_the_file_reader() {
    let dir = git_repo_with_rules();
    let reader = GitRevision::open("HEAD", dir.path()).unwrap();
    assert_eq!(reader.commit().len(), 40);
    // Relative paths are taken from the directory the reader was opened in.
    let (program, _) =
        lawcode::load_program_with(&reader, Path::new("rules/usc/18/2259.law")).unwrap();
    assert_eq!(program.statute().citation, "18 U.S.C. § 2259");
    assert!(
        program
            .sources()
            .files()
            .any(|(_, f)| f.name == "HEAD:rules/usc/18/2259.law")
    );

    let e = GitRevision::open("no-such-branch", dir.path()).unwrap_err();
    let SourceError::Spec(p) = e else {
        panic!("{e:?}")
    };
    assert_eq!(p.code, "lawcode::source::bad_revision");
}

#[test]
fn a_spec_that_names_an_existing_file_is_a_path() {
    // Run from the package root, as cargo does.
    let s = RuleSource::parse(RULES_2259).unwrap();
    assert_eq!(s.revision, None);
    assert_eq!(s.as_of, None);
    let s = RuleSource::parse("HEAD:rules/usc/18/2259.law@2018-12-07").unwrap();
    assert_eq!(s.revision.as_deref(), Some("HEAD"));
    assert_eq!(s.to_string(), "HEAD:rules/usc/18/2259.law@2018-12-07");
}

/// Without git to run, a `REV:PATH` says so, rather than that the directory is not a
/// repository.
#[test]
fn a_revision_without_git_to_run_says_git_could_not_be_run() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lawcode"))
        .args(["check", "HEAD:rules/usc/18/2259.law"])
        .current_dir(crate::support::repo())
        .env("PATH", "")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lawcode::source::git_failed"), "{err}");
    assert!(err.contains("git could not be run"), "{err}");
}
