//! `lawcode diff`: the cases whose outcomes an amendment changes, and the
//! provisions where each change arose.

use crate::support::{
    RULES_2259, edit, files, git_repo_with_rules, lawcode_in, repo, stderr_of, stdout_of,
};
use lawcode::diff::changed_provisions;
use lawcode::{EvalOptions, compile};

const CORPUS: &str = "tests/cases/usc-18-2259";

/// `lawcode diff ARGS --format json` as printed (keys in the order written).
fn diff_json_text(dir: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = lawcode_in(dir, &all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    stdout_of(&o)
}

fn diff_json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&diff_json_text(dir, args)).unwrap()
}

fn changed<'v>(v: &'v serde_json::Value, case: &str) -> &'v serde_json::Value {
    v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == case)
        .unwrap_or_else(|| panic!("{case} did not change"))
}

#[test]
fn the_2018_text_against_the_1996_text_on_the_same_cases() {
    let old = format!("{RULES_2259}@2018-12-06");
    let new = format!("{RULES_2259}@2018-12-07");
    let json = diff_json_text(repo(), &[&old, &new, "--cases", CORPUS]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["compared"], files(CORPUS, "json").len());
    assert_eq!(v["old"], old);
    assert_eq!(v["new"], new);

    // Under the 1996 text the court's relative-role amount (Paroline) was the
    // order; under the current one it is raised to the $3,000 floor of (b)(2)(B).
    let c = changed(&v, "current-trafficking-floor-3000-applies.json");
    assert_eq!(
        c["outcomes"]["restitution_amount"],
        serde_json::json!({ "old": "1200.00", "new": "3000.00" })
    );
    // `trafficking` is not a changed value: the 1996 text does not define it.
    assert_eq!(c["outcomes"].get("trafficking"), None, "{c}");
    assert_eq!(c["only_new"]["trafficking"], true);
    let provisions: Vec<&str> = c["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for p in ["(b)(1)", "(b)(2)(B)"] {
        assert!(
            provisions.contains(&format!("18 U.S.C. § 2259{p}").as_str()),
            "{p} not in {provisions:?}"
        );
    }
    // Only causes are listed, never the definition that merely passes a value up; and only
    // the causes of changed values, not the definition of an outcome new in 2018 ((c)(3)).
    for p in ["(a)", "(c)(3)"] {
        assert!(
            !provisions.contains(&format!("18 U.S.C. § 2259{p}").as_str()),
            "{p} in {provisions:?}"
        );
    }

    // An amount the 1996 text gave and the current one leaves undecided (it needs the
    // relative-role amount for a trafficking offense) is a changed value, not a one-sided one.
    let c = changed(&v, "current-trafficking-missing-relative-role.json");
    assert_eq!(
        c["outcomes"]["restitution_amount"],
        serde_json::json!({ "old": "10000.00", "new": null })
    );

    // A case whose only differences are outcomes the old text does not define is listed
    // under `only_new`, with the new values, and not under `changed`.
    let only_new = v["only_new"].as_array().unwrap();
    assert!(!only_new.is_empty());
    for c in only_new {
        assert!(
            !v["changed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["case"] == c["case"]),
            "{c}"
        );
        for (o, value) in c["outcomes"].as_object().unwrap() {
            assert!(!value.is_null(), "{o}: {c}");
        }
    }
    assert_eq!(v["only_old"], serde_json::json!([]));

    // The summary counts what the cases list.
    let s = &v["summary"];
    let by_outcome = s["by_outcome"].as_object().unwrap();
    let listed: usize = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcomes"].as_object().unwrap().len())
        .sum();
    let counted: u64 = by_outcome.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(counted as usize, listed);
    assert_eq!(s["changed"], v["changed"].as_array().unwrap().len());
    assert_eq!(s["only_new"], only_new.len());
    assert_eq!(s["only_old"], 0);
    assert_eq!(
        s["changed"].as_u64().unwrap()
            + s["only_new"].as_u64().unwrap()
            + s["unchanged"].as_u64().unwrap(),
        v["compared"].as_u64().unwrap()
    );
    assert_eq!(
        s["only_new_by_outcome"]["trafficking"], v["compared"],
        "trafficking is undefined under the 1996 text: every case has it only in the new"
    );
    assert_eq!(by_outcome.get("trafficking"), None);
    let by_provision = s["by_provision"].as_object().unwrap();
    assert!(by_provision["18 U.S.C. § 2259(b)(2)(B)"].as_u64().unwrap() > 0);

    insta::assert_snapshot!("json_1996_to_2018", json);
    let o = lawcode_in(repo(), &["diff", &old, &new, "--cases", CORPUS]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("text_1996_to_2018", stdout_of(&o));
}

#[test]
fn only_the_outcomes_asked_for() {
    let old = format!("{RULES_2259}@2018-12-06");
    let new = format!("{RULES_2259}@2018-12-07");
    let args = [
        old.as_str(),
        &new,
        "--cases",
        CORPUS,
        "--outcome",
        "restitution_amount",
    ];
    let json = diff_json_text(repo(), &args);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["outcomes"], serde_json::json!(["restitution_amount"]));
    assert_eq!(v["only_new"], serde_json::json!([]));
    for c in v["changed"].as_array().unwrap() {
        let outcomes: Vec<&String> = c["outcomes"].as_object().unwrap().keys().collect();
        assert_eq!(outcomes, ["restitution_amount"], "{c}");
        assert_eq!(c.get("only_new"), None, "{c}");
    }
    let s = &v["summary"];
    assert_eq!(
        s["changed"].as_u64().unwrap() + s["unchanged"].as_u64().unwrap(),
        v["compared"].as_u64().unwrap()
    );
    insta::assert_snapshot!("json_1996_to_2018_restitution_amount", json);

    let mut all = vec!["diff"];
    all.extend_from_slice(&args);
    let o = lawcode_in(repo(), &all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    insta::assert_snapshot!("text_1996_to_2018_restitution_amount", stdout_of(&o));

    // Repeatable; the outcomes come in declared order whatever the order asked.
    let v = diff_json(
        repo(),
        &[
            &old,
            &new,
            "--cases",
            CORPUS,
            "--outcome",
            "restitution_amount",
            "--outcome",
            "trafficking",
        ],
    );
    assert_eq!(
        v["outcomes"],
        serde_json::json!(["trafficking", "restitution_amount"])
    );
}

#[test]
fn an_unknown_outcome_is_an_error_naming_the_nearest() {
    let old = format!("{RULES_2259}@2018-12-06");
    let o = lawcode_in(
        repo(),
        &[
            "diff",
            &old,
            RULES_2259,
            "--cases",
            CORPUS,
            "--outcome",
            "restitution",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout_of(&o), "");
    let err = stderr_of(&o);
    assert!(err.contains("lawcode::diff::unknown_outcome"), "{err}");
    assert!(err.contains("did you mean `restitution_amount`?"), "{err}");
}

#[test]
fn json_keys_come_identifying_first_then_values_then_lists() {
    let old = format!("{RULES_2259}@2018-12-06");
    let o = lawcode_in(
        repo(),
        &[
            "diff", &old, RULES_2259, "--cases", CORPUS, "--format", "json",
        ],
    );
    let text = stdout_of(&o);
    let at = |key: &str| {
        text.find(&format!("\n  \"{key}\":"))
            .unwrap_or_else(|| panic!("no top-level {key}"))
    };
    let order = [
        "old", "new", "compared", "summary", "changed", "only_new", "only_old",
    ];
    for w in order.windows(2) {
        assert!(at(w[0]) < at(w[1]), "{} before {}", w[0], w[1]);
    }
}

#[test]
fn a_hypothetical_5000_floor_changes_restitution_in_b_2_b_only() {
    let dir = git_repo_with_rules();
    let rules = "rules/usc/18/2259.law";
    let head = format!("HEAD:{rules}");

    // Nothing edited yet: nothing changes.
    let v = diff_json(dir.path(), &[&head, rules, "--cases", "cases"]);
    assert_eq!(v["compared"], files(CORPUS, "json").len());
    assert_eq!(v["changed"], serde_json::json!([]));

    edit(
        &dir.path().join(rules),
        "rule minimum_restitution = $3,000",
        "rule minimum_restitution = $5,000",
    );
    let v = diff_json(dir.path(), &[&head, rules, "--cases", "cases"]);
    let changed = v["changed"].as_array().unwrap();
    assert!(!changed.is_empty());
    for c in changed {
        let outcomes = c["outcomes"].as_object().unwrap();
        assert_eq!(outcomes.len(), 1, "{c}");
        let r = &outcomes["restitution_amount"];
        let old: f64 = r["old"].as_str().unwrap().parse().unwrap();
        let new: f64 = r["new"].as_str().unwrap().parse().unwrap();
        assert!(old < new && new <= 5000.0, "{c}");
        assert_eq!(
            c["provisions"],
            serde_json::json!(["18 U.S.C. § 2259(b)(2)(B)"]),
            "{c}"
        );
        assert!(
            c["case"].as_str().unwrap().starts_with("current-")
                || c["case"].as_str().unwrap().contains("2018-12-07")
        );
    }
    assert_eq!(
        v["summary"]["by_provision"],
        serde_json::json!({ "18 U.S.C. § 2259(b)(2)(B)": changed.len() })
    );

    let o = lawcode_in(dir.path(), &["diff", &head, rules, "--cases", "cases"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    insta::assert_snapshot!("text_floor_5000", stdout_of(&o));
}

#[test]
fn bare_facts_files_are_cases_too() {
    let old = format!("{RULES_2259}@2018-12-06");
    // Only the § 2259 examples: the other statutes' (in subfolders) are not its facts.
    let dir = tempfile::tempdir().unwrap();
    for path in files("examples", "json") {
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let cases = dir.path().to_str().unwrap();
    let v = diff_json(repo(), &[&old, RULES_2259, "--cases", cases]);
    assert_eq!(v["compared"], files("examples", "json").len());
    // The 1996-text examples are evaluated under the 1996 text by both sides.
    let cases: Vec<&str> = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    assert!(
        !cases.iter().any(|c| c.starts_with("original-1996")),
        "{cases:?}"
    );
    assert!(cases.contains(&"trafficking-floor.json"), "{cases:?}");
}

#[test]
fn a_case_that_cannot_be_evaluated_is_listed_and_the_rest_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("examples/trafficking-floor.json"),
        dir.path().join("good.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.json"), "{ \"offense_date\": ").unwrap();
    let rules = repo().join(RULES_2259);
    let rules = rules.to_str().unwrap();
    let old = format!("{rules}@2018-12-06");
    let o = lawcode_in(
        dir.path(),
        &["diff", &old, rules, "--cases", ".", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&o)).unwrap();
    assert_eq!(v["compared"], 1);
    assert_eq!(v["changed"][0]["case"], "good.json");
    assert_eq!(v["errors"][0]["case"], "broken.json");
    assert_eq!(v["errors"][0]["side"], "file");
    assert_eq!(v["errors"][0]["error"]["code"], "lawcode::test::bad_json");
}

/// Traces of one case under two versions of a small statute.
fn traces(
    old: &str,
    new: &str,
    facts: &str,
) -> (
    Vec<lawcode::trace::TraceNode>,
    Vec<lawcode::trace::TraceNode>,
) {
    let header = r#"
statute "Example Act § 1" "Award"
facts { losses: money "losses"  waived: bool "waived" }
outcomes { award: money "the award" }
"#;
    let run = |body: &str| {
        let program = compile("award.law", &format!("{header}{body}")).unwrap();
        let f = program.read_facts("case.json", facts).unwrap();
        program
            .evaluate(
                &f,
                EvalOptions {
                    trace: true,
                    ..Default::default()
                },
            )
            .unwrap()
            .trace()
            .unwrap()
            .to_vec()
    };
    (run(old), run(new))
}

#[test]
fn the_cause_is_the_deepest_node_that_differs_not_its_ancestors() {
    let before = r#"
(a) "Award" {
    rule award = max(losses, floor)
    (1) "Floor" { rule floor = $3,000 }
}
"#;
    // A changed amount: the floor's provision, not (a) that only passes it on.
    let after = before.replace("$3,000", "$5,000");
    let (old, new) = traces(before, &after, r#"{ "losses": "100.00", "waived": false }"#);
    assert_eq!(
        changed_provisions(&old, &new, &["award"]),
        ["Example Act § 1(a)(1)"]
    );

    // A changed formula with unchanged inputs: the rule's own provision.
    let after = before.replace("max(losses, floor)", "losses + floor");
    let (old, new) = traces(before, &after, r#"{ "losses": "100.00", "waived": false }"#);
    assert_eq!(
        changed_provisions(&old, &new, &["award"]),
        ["Example Act § 1(a)"]
    );

    // A new exception that applies: its provision; one that does not apply changes nothing.
    let after =
        format!("{before}\n(b) \"Waiver\" {{ exception to (a): award = $0.00 when waived }}");
    let (old, new) = traces(before, &after, r#"{ "losses": "100.00", "waived": true }"#);
    assert_eq!(
        changed_provisions(&old, &new, &["award"]),
        ["Example Act § 1(b)"]
    );
    let (old, new) = traces(before, &after, r#"{ "losses": "100.00", "waived": false }"#);
    assert_eq!(old.len(), new.len());
    assert!(changed_provisions(&old, &new, &["award"]).is_empty());
}

#[test]
fn reversed_sources_swap_only_new_and_only_old() {
    let old = format!("{RULES_2259}@2018-12-06");
    let new = format!("{RULES_2259}@2018-12-07");
    let forward = diff_json(repo(), &[&old, &new, "--cases", CORPUS]);
    let back = diff_json(repo(), &[&new, &old, "--cases", CORPUS]);
    assert_eq!(back["only_old"], forward["only_new"]);
    assert_eq!(back["only_new"], serde_json::json!([]));
    let s = (&forward["summary"], &back["summary"]);
    assert_eq!(s.1["only_old"], s.0["only_new"]);
    assert_eq!(s.1["only_old_by_outcome"], s.0["only_new_by_outcome"]);
    assert_eq!(s.1["changed"], s.0["changed"]);
    let c = back["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == "current-trafficking-floor-3000-applies.json")
        .unwrap();
    assert_eq!(
        c["outcomes"]["restitution_amount"],
        serde_json::json!({ "old": "3000.00", "new": "1200.00" })
    );
    assert_eq!(c["only_old"]["trafficking"], true);

    let o = lawcode_in(repo(), &["diff", &new, &old, "--cases", CORPUS]);
    let text = stdout_of(&o);
    assert!(
        text.contains("38 differ only in outcomes defined only in the old text"),
        "{text}"
    );
    assert!(text.contains("\ndefined only in the old text"), "{text}");
}
