//! What if: `--set PATH=VALUE` on `eval` and `explain`, and `lawcode what-if`, on the six kinds
//! of case the contract distinguishes (floor, cap, terminated, not chapter 110, the 1996 text, a
//! missing fact), as snapshots; `--set` is the same as editing the file; bad assignments are
//! diagnostics naming the path.

use crate::support::{lawcode_in, program_2259, repo, stdout_of};
use lawcode::facts::set::{parse_assignment, set};
use lawcode::what_if::what_if;

/// (name, example file, assignments): each changes what decides its case.
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "floor-role-above-the-floor",
        "trafficking-floor.json",
        &["court.relative_role_amount=5000"],
    ),
    (
        "cap-nothing-recovered-before",
        "trafficking-cap-prevails.json",
        &["victim.prior_recovery=0"],
    ),
    (
        "terminated-one-more-loss",
        "trafficking-terminated.json",
        &["victim.losses[1]={\"category\": \"medical\", \"amount\": \"20000.00\"}"],
    ),
    (
        "not-chapter-110-a-2252-conviction",
        "not-chapter-110.json",
        &["convictions[0].section=2252(a)(2)"],
    ),
    (
        "1996-text-offense-after-2018",
        "original-1996-text.json",
        &["offense_date=2019-01-15"],
    ),
    (
        "missing-fact-given",
        "missing-relative-role.json",
        &["court.relative_role_amount=1500"],
    ),
];

#[test]
fn what_if_on_six_kinds_of_case() {
    let program = program_2259();
    for (name, file, sets) in CASES {
        let path = repo().join("examples").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let sets: Vec<_> = sets.iter().map(|s| parse_assignment(s).unwrap()).collect();
        let report = what_if(program, file, &text, &sets, None).unwrap();
        assert!(!report.changed.is_empty(), "{name}: nothing changed");
        assert!(!report.provisions.is_empty(), "{name}: no provision named");
        insta::assert_snapshot!(format!("text-{name}"), report.text());
        insta::assert_json_snapshot!(format!("json-{name}"), report);
    }
}

/// `eval --set` gives what editing the file gives.
#[test]
fn set_is_the_same_as_editing_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, file, sets) in CASES {
        let path = repo().join("examples").join(file);
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut args = vec![
            "eval".to_string(),
            "rules/usc/18/2259.law".to_string(),
            "--facts".to_string(),
            path.display().to_string(),
            "--format".to_string(),
            "json".to_string(),
        ];
        for s in *sets {
            let a = parse_assignment(s).unwrap();
            set(&mut doc, &a.path, a.value).unwrap();
            args.push("--set".into());
            args.push(s.to_string());
        }
        let edited = dir.path().join(format!("{name}.json"));
        std::fs::write(&edited, serde_json::to_string(&doc).unwrap()).unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let with_set = stdout_of(&lawcode_in(repo(), &args));
        let from_file = stdout_of(&lawcode_in(
            repo(),
            &[
                "eval",
                "rules/usc/18/2259.law",
                "--facts",
                edited.to_str().unwrap(),
                "--format",
                "json",
            ],
        ));
        assert_eq!(with_set, from_file, "{name}");
    }
}

/// A bad path or value is a diagnostic that names it: an index past the end, an unknown fact
/// (the facts reader's own, with the nearest name), a wrong type, no `=`.
#[test]
fn bad_assignments_are_diagnostics_naming_the_path() {
    let run = |set: &str| {
        let out = lawcode_in(
            repo(),
            &[
                "eval",
                "rules/usc/18/2259.law",
                "--facts",
                "examples/trafficking-floor.json",
                "--set",
                set,
            ],
        );
        assert!(!out.status.success(), "{set}");
        String::from_utf8(out.stderr).unwrap()
    };
    let e = run("victim.losses[7].amount=1");
    assert!(e.contains("lawcode::facts::bad_assignment"), "{e}");
    assert!(e.contains("`victim.losses` has 2 items, so"), "{e}");
    let e = run("victim.prior_recovry=1");
    assert!(e.contains("lawcode::facts::unknown_key"), "{e}");
    assert!(e.contains("victim.prior_recovery"), "{e}");
    let e = run("victim.prior_recovery=true");
    assert!(e.contains("lawcode::facts::wrong_type"), "{e}");
    assert!(e.contains("victim.prior_recovery"), "{e}");
    let e = run("victim.prior_recovery");
    assert!(e.contains("is not PATH=VALUE"), "{e}");
}

/// `explain --set` explains the changed case.
#[test]
fn explain_with_set() {
    let out = lawcode_in(
        repo(),
        &[
            "explain",
            "rules/usc/18/2259.law",
            "--facts",
            "examples/trafficking-floor.json",
            "--set",
            "court.relative_role_amount=5000",
        ],
    );
    let md = stdout_of(&out);
    assert!(md.contains("`restitution_amount` is **$5,000.00**"), "{md}");
}
