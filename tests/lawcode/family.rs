//! The restitution family beside § 2259 (docs/contracts/18-usc-restitution-family.md): the
//! shared loss definition, checked the way the contract checks it from outside, and the input
//! errors each rule set must refuse with exit code 1 and no output.

use crate::support::{lawcode_in, repo, stderr_of, stdout_of};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ENTRIES: [&str; 3] = [
    "rules/usc/18/2248.law",
    "rules/usc/18/2259.law",
    "rules/usc/18/1593.law",
];

/// A rule file's text without its string literals and `//` comments, as the contract strips them.
fn code_only(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The files reachable by import from `entry`, itself included, found from lines that begin
/// with `import` and name a quoted path relative to the importing file.
fn reachable(entry: &Path) -> BTreeSet<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut queue = vec![entry.to_path_buf()];
    while let Some(path) = queue.pop() {
        let path = path.canonicalize().unwrap();
        if !seen.insert(path.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("import") {
                let target = rest.trim().trim_matches('"');
                queue.push(path.parent().unwrap().join(target));
            }
        }
    }
    seen
}

#[test]
fn the_loss_definition_lives_in_one_library_file_every_entry_reaches() {
    let mut holders = BTreeSet::new();
    let mut reached: Vec<BTreeSet<PathBuf>> = Vec::new();
    for entry in ENTRIES {
        let files = reachable(&repo().join(entry));
        for f in &files {
            if code_only(&std::fs::read_to_string(f).unwrap())
                .contains("transportation_housing_childcare")
            {
                holders.insert(f.clone());
            }
        }
        reached.push(files);
    }
    assert_eq!(holders.len(), 1, "{holders:?}");
    let holder = holders.into_iter().next().unwrap();
    assert!(
        holder.ends_with("rules/usc/18/lib/losses.law"),
        "{holder:?}"
    );
    for (entry, files) in ENTRIES.iter().zip(&reached) {
        assert!(files.contains(&holder), "{entry} does not reach {holder:?}");
        assert!(!holder.ends_with(entry));
    }
    // The check itself: a category named in code is found, one named in a note is not.
    assert!(code_only("enum c { transportation_housing_childcare }").contains("transportation"));
    assert!(
        !code_only("not computed \"(`transportation_housing_childcare`)\" // transportation")
            .contains("transportation")
    );
}

/// Runs `lawcode eval RULES --facts F --format json` on `facts` written to a temporary file.
fn eval_json(rules: &str, facts: &serde_json::Value) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facts.json");
    std::fs::write(&path, facts.to_string()).unwrap();
    lawcode_in(
        repo(),
        &[
            "eval",
            rules,
            "--facts",
            path.to_str().unwrap(),
            "--format",
            "json",
        ],
    )
}

#[test]
fn a_2248_offense_before_its_text_or_a_2259_fact_is_an_input_error() {
    let rules = "rules/usc/18/2248.law";
    let good = serde_json::json!({
        "offense_date": "1996-04-24",
        "convictions": [{ "section": "2241(c)" }],
    });
    let out = eval_json(rules, &good);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["statute"], "18 U.S.C. § 2248");
    assert_eq!(v["version"], "1996-04-24");
    assert_eq!(v["missing"], serde_json::json!([]));
    assert_eq!(v["outcomes"]["restitution_amount"], "0.00");

    let mut early = good.clone();
    early["offense_date"] = "1996-04-23".into();
    let out = eval_json(rules, &early);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout_of(&out).is_empty());
    let err = stderr_of(&out);
    assert!(err.contains("lawcode::eval::before_first_text"), "{err}");
    assert!(err.contains("`offense_date` is 1996-04-23"), "{err}");

    let mut court = good.clone();
    court["court"] = serde_json::json!({ "relative_role_amount": "100.00" });
    let out = eval_json(rules, &court);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout_of(&out).is_empty());
    assert!(stderr_of(&out).contains("unknown fact `court`"));

    let mut typo = good;
    typo["victim"] = serde_json::json!({ "losess": [] });
    let out = eval_json(rules, &typo);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("victim.losess") && err.contains("losses"),
        "{err}"
    );
}

/// Runs § 1593 on `facts` and asserts an input error: exit 1, no output, `wanted` on stderr.
fn refused_1593(facts: &serde_json::Value, wanted: &[&str]) {
    let out = eval_json("rules/usc/18/1593.law", facts);
    assert_eq!(out.status.code(), Some(1), "{facts}");
    assert!(stdout_of(&out).is_empty(), "{facts}");
    let err = stderr_of(&out);
    for w in wanted {
        assert!(err.contains(w), "{w:?} not in:\n{err}");
    }
}

#[test]
fn section_1593_reads_the_contract_s_facts_and_refuses_the_rest() {
    let good = serde_json::json!({
        "offense_date": "2000-10-28",
        "convictions": [{ "section": "1593A" }],
        "victim": { "work_weeks": [{ "week_start": "1997-09-01", "hours": "40.25" }] },
    });
    let out = eval_json("rules/usc/18/1593.law", &good);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["statute"], "18 U.S.C. § 1593");
    assert_eq!(v["version"], "2000-10-28");
    assert_eq!(v["missing"], serde_json::json!([]));
    // 40 hours at $5.15 and a quarter hour at $7.725: 207.93125, to the cent.
    assert_eq!(v["outcomes"]["flsa_value"], "207.93");
    assert_eq!(v["outcomes"]["restitution_amount"], "207.93");

    let with = |path: &[&str], value: serde_json::Value| {
        let mut f = good.clone();
        let mut at = &mut f;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                at[*key] = value.clone();
            } else {
                at = &mut at[*key];
            }
        }
        f
    };
    // Before § 1593 was enacted.
    refused_1593(
        &with(&["offense_date"], "2000-10-27".into()),
        &[
            "lawcode::eval::before_first_text",
            "`offense_date` is 2000-10-27",
        ],
    );
    // A week before the first minimum wage of the table: the date is named.
    let early_week = serde_json::json!([{ "week_start": "1997-08-25", "hours": 10 }]);
    refused_1593(
        &with(&["victim", "work_weeks"], early_week),
        &[
            "lawcode::eval::before_first_row",
            "`victim.work_weeks[0].week_start` is 1997-08-25",
            "1997-09-01",
        ],
    );
    // Two weeks that start on one day, naming both.
    let twice = serde_json::json!([
        { "week_start": "2000-01-03", "hours": 10 },
        { "week_start": "2000-01-10", "hours": 10 },
        { "week_start": "2000-01-03", "hours": 5 },
    ]);
    refused_1593(
        &with(&["victim", "work_weeks"], twice),
        &[
            "lawcode::facts::duplicate_item",
            "victim.work_weeks[0].week_start",
            "victim.work_weeks[2].week_start",
        ],
    );
    // Hours: 0 to 168, at most two decimals, never negative.
    for (hours, code) in [
        (serde_json::json!(168.01), "lawcode::facts::beyond_limit"),
        (serde_json::json!("-1"), "lawcode::facts::beyond_limit"),
        (
            serde_json::json!("40.125"),
            "lawcode::facts::too_many_decimals",
        ),
        (serde_json::json!(true), "lawcode::facts::wrong_type"),
    ] {
        let week = serde_json::json!([{ "week_start": "2000-01-03", "hours": hours }]);
        refused_1593(
            &with(&["victim", "work_weeks"], week),
            &[code, "victim.work_weeks[0].hours"],
        );
    }
    // A typo, with the nearest name; a § 2259 fact that § 1593 does not have.
    refused_1593(
        &with(&["victim", "defendant_gian"], "10.00".into()),
        &["victim.defendant_gian", "victim.defendant_gain"],
    );
    refused_1593(
        &with(&["court", "relative_role_amount"], "10.00".into()),
        &["lawcode::facts::unknown_key", "court.relative_role_amount"],
    );
    refused_1593(
        &with(&["convictions"], serde_json::json!([])),
        &["lawcode::facts::empty_list", "convictions"],
    );
    refused_1593(
        &with(&["victim", "defendant_gain"], "-5".into()),
        &["lawcode::facts::negative_money", "victim.defendant_gain"],
    );
}

#[test]
fn the_bundled_examples_of_the_family_evaluate() {
    for (rules, dir) in [
        ("rules/usc/18/2248.law", "examples/usc-18-2248"),
        ("rules/usc/18/1593.law", "examples/usc-18-1593"),
    ] {
        let examples = crate::support::files(dir, "json");
        assert!(!examples.is_empty(), "{dir}");
        for path in examples {
            let out = lawcode_in(
                repo(),
                &[
                    "eval",
                    rules,
                    "--facts",
                    path.to_str().unwrap(),
                    "--format",
                    "json",
                ],
            );
            assert!(out.status.success(), "{path:?}: {}", stderr_of(&out));
        }
    }
}

/// The fuzz targets compile the rule files in (`fuzz/fuzz_targets/bundled.rs`); a file an entry
/// imports that is not bundled would make every fuzz run fail at start, so each must be there,
/// under its own path.
#[test]
fn the_fuzz_targets_bundle_every_file_the_entries_reach() {
    let text = std::fs::read_to_string(repo().join("fuzz/fuzz_targets/bundled.rs")).unwrap();
    let flat = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( \"", "(\"");
    let mut bundled = BTreeSet::new();
    for entry in flat.split("(\"rules/").skip(1) {
        let name = format!("rules/{}", entry.split('"').next().unwrap());
        let included = entry
            .split("include_str!(\"../../")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{name}: no include_str! beside it"));
        assert_eq!(name, included, "bundled under another name");
        bundled.insert(repo().join(&name).canonicalize().unwrap());
    }
    for entry in ENTRIES {
        for file in reachable(&repo().join(entry)) {
            assert!(
                bundled.contains(&file),
                "{entry} reaches {file:?}, which the fuzz targets do not bundle"
            );
        }
    }
}
