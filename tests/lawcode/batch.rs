//! `lawcode eval --batch`: JSON Lines in, one result per line out, in input order; a failed
//! line is an error object on its own line and does not stop the others.

use crate::generate::Generator;
use crate::support::{files, lawcode_with_stdin, program_2259};
use lawcode::batch::{self, BatchOptions, Line};
use lawcode::render::evaluation_json;
use lawcode::{EvalOptions, batch::Summary};
use serde_json::{Value, json};
use std::process::Output;

/// `lawcode eval rules/usc/18/2259.law --batch - <extra>` with `stdin` as the cases.
fn batch_stdin(extra: &[&str], stdin: &[u8]) -> Output {
    let mut args = vec!["eval", "rules/usc/18/2259.law", "--batch", "-"];
    args.extend_from_slice(extra);
    lawcode_with_stdin(&args, stdin)
}

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// What a single `eval --format json` prints for these facts.
fn single(facts: &str, trace: bool) -> Value {
    let program = program_2259();
    let facts = program.read_facts("case.json", facts).unwrap();
    let result = program
        .evaluate(
            &facts,
            EvalOptions {
                trace,
                ..Default::default()
            },
        )
        .unwrap();
    evaluation_json(&result)
}

#[test]
fn each_line_is_the_object_a_single_eval_prints() {
    let examples = files("examples", "json");
    let mut input = String::new();
    let mut cases = Vec::new();
    for path in &examples {
        let facts: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        input.push_str(&facts.to_string());
        input.push('\n');
        cases.push(facts.to_string());
    }
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            "-",
            "--format",
            "json",
        ],
        input.as_bytes(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stderr.is_empty(), "no progress bar when piped");
    let lines = json_lines(&o);
    assert_eq!(lines.len(), cases.len());
    for (got, facts) in lines.iter().zip(&cases) {
        assert_eq!(got, &single(facts, true));
    }

    // Byte for byte too: the compact form of the single eval's object.
    let first = String::from_utf8(o.stdout.clone()).unwrap();
    let first = first.lines().next().unwrap();
    assert_eq!(
        first,
        serde_json::to_string(&single(&cases[0], true)).unwrap()
    );

    // --no-trace leaves the trace out and changes nothing else.
    let o = batch_stdin(&["--no-trace"], input.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    for (got, facts) in json_lines(&o).iter().zip(&cases) {
        assert!(got.get("trace").is_none());
        assert_eq!(got, &single(facts, false));
    }
}

#[test]
fn bad_lines_become_error_objects_and_the_exit_code_is_one() {
    let good = r#"{"offense_date":"2020-02-14","order_date":"2023-06-15","convictions":[{"section":"2252(a)(2)"}],"court":{"relative_role_amount":"1200.00"}}"#;
    let input = [
        good,
        "",
        r#"{"offense_date":"2020-02-14","convictions":[{"section":"2252"}],"victm":{}}"#,
        r#"{"offense_date":"2020-02-14","order_date":"2031-01-01","convictions":[{"section":"2252"}]}"#,
        "{not json",
        r#"{"offense_date":"2020-02-30","convictions":[],"victim":{"losses":[{"category":"medicl","amount":"1.005"}]}}"#,
        "[1, 2]",
        good,
    ]
    .join("\n");
    let o = batch_stdin(&["--no-trace"], input.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[0], single(good, false));
    assert_eq!(lines[7], single(good, false));
    let code = |i: usize| lines[i]["error"]["code"].as_str().unwrap().to_string();
    for (i, want) in [
        (1, "lawcode::facts::json_syntax"),
        (2, "lawcode::facts::unknown_key"),
        (3, "lawcode::eval::missing_table_row"),
        (4, "lawcode::facts::json_syntax"),
        (5, "lawcode::facts::impossible_date"),
        (6, "lawcode::facts::not_an_object"),
    ] {
        assert_eq!(lines[i]["line"], json!(i + 1), "{}", lines[i]);
        assert_eq!(code(i), want, "{}", lines[i]);
        assert!(
            !lines[i]["error"]["message"].as_str().unwrap().is_empty(),
            "{}",
            lines[i]
        );
        assert_eq!(lines[i].as_object().unwrap().len(), 2, "{}", lines[i]);
    }
    // The message names every problem of the line, the year of the missing table row.
    let many = lines[5]["error"]["message"].as_str().unwrap();
    assert!(
        many.contains("offense_date") && many.contains("convictions") && many.contains("medicl"),
        "{many}"
    );
    assert!(
        lines[3]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2030")
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("6 of 8"));
}

#[test]
fn usage_and_input_errors() {
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            "-",
            "--format",
            "text",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            "-",
            "--facts",
            "examples/trafficking-floor.json",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            "no/such/cases.jsonl",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("lawcode::facts::unreadable"));
    // Empty input: no output, success.
    let o = lawcode_with_stdin(&["eval", "rules/usc/18/2259.law", "--batch", "-"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_file_with_crlf_endings_and_no_final_newline() {
    let dir = std::env::temp_dir().join(format!("lawcode-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cases.jsonl");
    let mut g = Generator::new(11);
    let cases: Vec<String> = (0..5).map(|_| g.line()).collect();
    std::fs::write(&path, cases.join("\r\n")).unwrap();
    let o = lawcode_with_stdin(
        &[
            "eval",
            "rules/usc/18/2259.law",
            "--batch",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 5);
    for (got, facts) in lines.iter().zip(&cases) {
        assert_eq!(got, &single(facts, true));
    }
}

/// Many chunks on several workers: the output keeps input order, line for line.
#[test]
fn many_lines_on_many_workers_keep_their_order() {
    let program = program_2259();
    let mut g = Generator::new(2259).with_errors();
    let mut input = String::new();
    let n = 3_000;
    for i in 0..n {
        if i % 997 == 0 {
            input.push_str("{broken\n");
        } else {
            input.push_str(&g.line());
            input.push('\n');
        }
    }
    let options = EvalOptions::default();
    let mut expected = Vec::new();
    let mut failed = 0;
    for (i, line) in input.lines().enumerate() {
        if !batch::evaluate_line(
            program,
            options,
            i as u64 + 1,
            Line::Text(line.as_bytes()),
            &mut expected,
        ) {
            failed += 1;
        }
    }
    assert!(failed >= 4, "errors are represented");
    for threads in [1, 3] {
        let mut out = Vec::new();
        let summary = batch::run(
            program,
            input.as_bytes(),
            &mut out,
            BatchOptions {
                eval: lawcode::EvalOptions::default(),
                threads,
            },
            None,
        )
        .unwrap();
        assert_eq!(summary, Summary { lines: n, failed });
        assert!(out == expected, "threads = {threads}: output differs");
    }
}

/// A line over the 16 MiB facts limit is an error line and is never held whole.
#[test]
fn an_overlong_line_is_an_error_line() {
    let program = program_2259();
    let good = Generator::new(5).line();
    let mut input = Vec::new();
    input.extend_from_slice(good.as_bytes());
    input.push(b'\n');
    input.extend(std::iter::repeat_n(
        b' ',
        lawcode::facts::MAX_FACTS_BYTES + 10,
    ));
    input.push(b'\n');
    input.extend_from_slice(good.as_bytes());
    // On the calling thread (as a build without threads runs) and on the workers.
    for threads in [1, 0] {
        let mut out = Vec::new();
        let options = BatchOptions {
            threads,
            ..BatchOptions::default()
        };
        let summary = batch::run(program, &input[..], &mut out, options, None).unwrap();
        assert_eq!(
            summary,
            Summary {
                lines: 3,
                failed: 1
            }
        );
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[1]["line"], 2);
        assert_eq!(lines[1]["error"]["code"], "lawcode::facts::too_large");
        assert_eq!(lines[0], lines[2]);
    }
}

/// Progress is reported in order, up to every line and byte.
#[test]
fn progress_reaches_the_end() {
    let program = program_2259();
    let mut g = Generator::new(3);
    let input: String = (0..600).map(|_| g.line() + "\n").collect();
    for threads in [1, 0] {
        let seen = std::sync::Mutex::new(Vec::new());
        let report = |p: batch::Progress| seen.lock().unwrap().push(p);
        let options = BatchOptions {
            threads,
            ..BatchOptions::default()
        };
        batch::run(
            program,
            input.as_bytes(),
            std::io::sink(),
            options,
            Some(&report),
        )
        .unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.windows(2).all(|w| w[0].lines < w[1].lines));
        let last = seen.last().unwrap();
        assert_eq!(last.lines, 600, "threads = {threads}");
        assert_eq!(last.bytes, input.len() as u64, "threads = {threads}");
    }
}

/// The batch writer prints each result without building a `serde_json::Value`; byte for byte it
/// is the compact form of the single eval's object.
#[test]
fn the_direct_writer_matches_the_json_value_byte_for_byte() {
    let program = program_2259();
    let mut g = Generator::new(99);
    for i in 0..300 {
        let facts = program.read_facts("case.json", &g.line()).unwrap();
        let result = program
            .evaluate(
                &facts,
                EvalOptions {
                    trace: i % 2 == 0,
                    ..Default::default()
                },
            )
            .unwrap();
        let mut direct = Vec::new();
        lawcode::render::write_evaluation_json(&mut direct, &result);
        let via_value = serde_json::to_vec(&evaluation_json(&result)).unwrap();
        assert!(direct == via_value, "case {i} differs");
    }
}
