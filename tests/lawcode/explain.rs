//! `lawcode explain`: the decision memo of every bundled example, in Markdown and in text, as
//! snapshots; its HTML page parsed as well-formed XML; the command's errors.

use crate::support::{lawcode_in, program_2259, repo, stdout_of};
use lawcode::render::memo::{Entry, Memo};

fn memo_of(path: &std::path::Path) -> Memo {
    let program = program_2259();
    let json = std::fs::read_to_string(path).unwrap();
    let result = crate::support::evaluate_traced(program, "example.json", &json);
    Memo::new(program, &result, &[]).unwrap()
}

#[test]
fn the_memo_of_every_example() {
    insta::glob!("../../examples", "*.json", |path| {
        let memo = memo_of(path);
        insta::assert_snapshot!("markdown", memo.markdown());
        insta::assert_snapshot!("text", memo.text());
    });
}

/// The one-page memo quotes the provision that moved the amount ((b)(2)(B): the floor), gives
/// the others one line, and folds the six loss categories of (c)(2) into one; the full memo
/// quotes every provision that decided something.
#[test]
fn the_one_page_memo_quotes_what_moved_a_value_and_the_full_memo_everything() {
    let program = program_2259();
    let json = std::fs::read_to_string(repo().join("examples/trafficking-floor.json")).unwrap();
    let result = crate::support::evaluate_traced(program, "example.json", &json);
    let one = Memo::new(program, &result, &[]).unwrap();
    let full = Memo::full(program, &result, &[]).unwrap();
    let section = |m: &Memo, label: &str| {
        m.entries.iter().find_map(|e| match e {
            Entry::Section(s) if s.label == label => Some(s.clone()),
            _ => None,
        })
    };
    let floor = section(&one, "§ 2259(b)(2)(B)").unwrap();
    assert!(floor.decisive);
    assert!(floor.text[0].contains("no less than $3,000"));
    let victim = section(&one, "§ 2259(c)(4)").unwrap();
    assert!(!victim.decisive && victim.text.is_empty());
    assert!(!section(&full, "§ 2259(c)(4)").unwrap().text.is_empty());
    let markdown = one.markdown();
    assert!(markdown.contains("### § 2259(b)(2)(B) Determining a restitution amount"));
    assert!(markdown.contains("- **§ 2259(c)(4) Victim**: `representative_permitted` is **true**"));
    assert!(markdown.contains(
        "- **§ 2259(c)(2)(A)–(F)**: not computed: a category of loss (`medical`, `therapy`, \
         `transportation_housing_childcare`, `lost_income`, `attorneys_fees`, `other`)"
    ));
    assert!(markdown.contains("the full memo (lawcode explain --full)"));
    assert!(!full.markdown().contains("lawcode explain --full"));
    // Shorter, and each fact described once.
    assert!(markdown.len() * 3 < full.markdown().len() * 2);
    assert_eq!(
        markdown
            .matches("(restitution already received under § 2259")
            .count(),
        1
    );
    insta::assert_snapshot!("full-markdown-trafficking-floor", full.markdown());
}

/// Provisions come in the statute's order, each once.
#[test]
fn provisions_come_in_the_statute_order_once_each() {
    for path in crate::support::files("examples", "json") {
        let memo = memo_of(&path);
        let labels: Vec<String> = memo
            .entries
            .iter()
            .map(|e| match e {
                Entry::Section(s) => s.label.clone(),
                Entry::Brief { label, .. } => label.clone(),
            })
            .collect();
        // A folded run of siblings (`§ 2259(c)(2)(A)–(F)`) stands where its first one does.
        let citations: Vec<lawcode::citation::Citation> = labels
            .iter()
            .map(|l| lawcode::citation::Citation::parse(l.split('–').next().unwrap()).unwrap())
            .collect();
        for pair in citations.windows(2) {
            assert_eq!(
                pair[0].statute_order(&pair[1]),
                std::cmp::Ordering::Less,
                "{}: {} before {}",
                path.display(),
                pair[0],
                pair[1]
            );
        }
    }
}

/// The HTML page is well-formed (a strict XML parser reads it), standalone (no external
/// assets), and says what the Markdown says.
#[test]
fn the_html_page_is_well_formed_and_standalone() {
    for path in crate::support::files("examples", "json") {
        let memo = memo_of(&path);
        let html = memo.html();
        let doc = roxmltree::Document::parse_with_options(
            &html,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{}: not well-formed: {e}\n{html}", path.display()));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "html");
        for node in doc.descendants() {
            for attr in ["src", "href"] {
                if let Some(url) = node.attribute(attr) {
                    panic!("{}: an external asset: {url}", path.display());
                }
            }
        }
        let text: String = doc
            .descendants()
            .filter(|n| n.is_text())
            .map(|n| n.text().unwrap_or_default())
            .collect();
        assert!(text.contains(&memo.title), "{}", path.display());
        assert!(text.contains("What is still needed"));
    }
}

#[test]
fn explain_on_the_command_line() {
    let run = |args: &[&str]| lawcode_in(repo(), args);
    let out = run(&[
        "explain",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/trafficking-floor.json",
    ]);
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# 18 U.S.C. § 2259: Mandatory restitution\n"));
    assert!(md.contains("`restitution_amount` is **$3,000.00**"), "{md}");

    // One outcome: only the provisions that decided it.
    let out = run(&[
        "explain",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/trafficking-floor.json",
        "--outcome",
        "production",
        "--format",
        "text",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("§ 2259(c)(1)"), "{text}");
    assert!(!text.contains("§ 2259(b)(2)(B)"), "{text}");
    assert!(!text.contains("restitution_amount"), "{text}");

    let out = run(&[
        "explain",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/trafficking-floor.json",
        "--format",
        "html",
    ]);
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );

    // An unknown outcome: the diagnostic names the nearest one.
    let out = run(&[
        "explain",
        "rules/usc/18/2259.law",
        "--facts",
        "examples/trafficking-floor.json",
        "--outcome",
        "restitution_amont",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("lawcode::render::unknown_outcome"), "{err}");
    assert!(err.contains("restitution_amount"), "{err}");
}

/// "Why not", on the six kinds of case: the floor, the cap, termination, no chapter 110
/// conviction, the 1996 text, a missing fact; and a value that is the actual one.
#[test]
fn why_not_on_six_kinds_of_case() {
    use lawcode::render::why_not::{WhyNot, parse_question};
    let program = program_2259();
    let cases = [
        (
            "floor",
            "trafficking-floor.json",
            "restitution_amount=1200.00",
        ),
        (
            "cap",
            "trafficking-cap-prevails.json",
            "restitution_amount=3000",
        ),
        (
            "terminated",
            "trafficking-terminated.json",
            "restitution_amount=\"5000.00\"",
        ),
        (
            "not-chapter-110",
            "not-chapter-110.json",
            "trafficking=true",
        ),
        (
            "1996-text",
            "original-1996-text.json",
            "restitution_amount=3000.00",
        ),
        (
            "missing-fact",
            "missing-relative-role.json",
            "restitution_amount=3000.00",
        ),
        (
            "the-actual-value",
            "trafficking-floor.json",
            "restitution_amount=3000",
        ),
    ];
    for (name, file, question) in cases {
        let json = std::fs::read_to_string(repo().join("examples").join(file)).unwrap();
        let result = crate::support::evaluate_traced(program, file, &json);
        let (outcome, asked) = parse_question(question).unwrap();
        let answer = WhyNot::new(program, &result, &outcome, asked).unwrap();
        if name == "the-actual-value" {
            assert!(answer.because.is_empty());
            assert!(
                answer
                    .text()
                    .contains("It is: restitution_amount is $3,000.00.")
            );
        } else {
            assert!(!answer.because.is_empty(), "{name}");
        }
        insta::assert_snapshot!(format!("why-not-text-{name}"), answer.text());
        insta::assert_json_snapshot!(format!("why-not-json-{name}"), answer);
    }
}

/// The chain says what the issue's reader asks: the floor raised 1200.00 to 3000.00 in
/// (b)(2)(B); the cap in (b)(2)(C) lowered 3000.00 to 2000.00.
#[test]
fn why_not_names_the_floor_and_the_cap() {
    let run = |file: &str, q: &str| {
        stdout_of(&lawcode_in(
            repo(),
            &[
                "explain",
                "rules/usc/18/2259.law",
                "--facts",
                &format!("examples/{file}"),
                "--why-not",
                q,
                "--format",
                "json",
            ],
        ))
    };
    let floor: serde_json::Value =
        serde_json::from_str(&run("trafficking-floor.json", "restitution_amount=1200.00")).unwrap();
    assert_eq!(floor["outcome"], "restitution_amount");
    assert_eq!(floor["value"], "3000.00");
    let because = floor["because"].as_array().unwrap();
    assert!(because.iter().any(|b| {
        b["citation"] == "18 U.S.C. § 2259(b)(2)(B)"
            && b["reason"]
                .as_str()
                .unwrap()
                .contains("raised `court.relative_role_amount` ($1,200.00) to $3,000.00")
    }));
    let cap: serde_json::Value = serde_json::from_str(&run(
        "trafficking-cap-prevails.json",
        "restitution_amount=3000",
    ))
    .unwrap();
    assert!(cap["because"].as_array().unwrap().iter().any(|b| {
        b["citation"] == "18 U.S.C. § 2259(b)(2)(C)"
            && b["reason"]
                .as_str()
                .unwrap()
                .contains("lowered $3,000.00 to $2,000.00")
    }));
    // An unknown outcome: the nearest one.
    let out = lawcode_in(
        repo(),
        &[
            "explain",
            "rules/usc/18/2259.law",
            "--facts",
            "examples/trafficking-floor.json",
            "--why-not",
            "restitution=1",
        ],
    );
    assert!(!out.status.success());
    assert!(crate::support::stderr_of(&out).contains("restitution_amount"));
    let out = lawcode_in(
        repo(),
        &[
            "explain",
            "rules/usc/18/2259.law",
            "--facts",
            "examples/trafficking-floor.json",
            "--why-not",
            "restitution_amount",
        ],
    );
    assert!(crate::support::stderr_of(&out).contains("lawcode::render::bad_question"));
}

/// An `if … then … else …` records the branch it took: "why not" and the memo say which one,
/// and the other way round when the condition flips.
#[test]
fn why_not_names_the_branch_an_if_took() {
    use lawcode::render::why_not::{WhyNot, parse_question};
    let program = lawcode::compile(
        "overtime.law",
        r#"
statute "Example Act § 1" "Overtime"
facts {
  hours: decimal "hours worked in the week"
  wage: money "the hourly wage"
}
outcomes { pay: money "the week's pay" }
(a) "Pay" {
  rule pay = if hours > 40 then wage * 40 + wage * 1.5 * (hours - 40) else wage * hours
}
"#,
    )
    .unwrap();
    let ask = |facts: &str, question: &str| {
        let result = crate::support::evaluate_traced(&program, "case.json", facts);
        let memo = Memo::new(&program, &result, &[]).unwrap().markdown();
        let (outcome, asked) = parse_question(question).unwrap();
        (
            memo,
            WhyNot::new(&program, &result, &outcome, asked)
                .unwrap()
                .text(),
        )
    };
    let (memo, why) = ask(r#"{"hours": "45", "wage": "10.00"}"#, "pay=450.00");
    let overtime =
        "`hours > 40` is true, so `wage * 40 + wage * 1.5 * (hours - 40)`, not `wage * hours`";
    assert!(why.contains(overtime), "{why}");
    assert!(memo.contains(overtime), "{memo}");
    let (memo, why) = ask(r#"{"hours": "30", "wage": "10.00"}"#, "pay=450.00");
    let straight =
        "`hours > 40` is false, so `wage * hours`, not `wage * 40 + wage * 1.5 * (hours - 40)`";
    assert!(why.contains(straight), "{why}");
    assert!(memo.contains(straight), "{memo}");
}
