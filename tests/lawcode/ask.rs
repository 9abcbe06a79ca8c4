//! `lawcode ask`, driven from outside through its JSON line protocol: every case of the § 2259
//! corpus answered from its file ends with the result `lawcode eval` gives for that file, and no
//! question is about a fact the case does not need; bad answers are refused and asked again;
//! the end of the input is an error, never a hang; `--save` writes facts `eval` accepts as they
//! are; one whole session is a snapshot.

use crate::support::{RULES_2259, files, program_2259, repo};
use lawcode::facts::set::{Step, parse_path};
use serde_json::{Value as J, json};
use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// How long a line from lawcode may take (a debug build, two cores, tests in parallel).
const LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `lawcode ask`, its standard output read line by line on another thread.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every line, each way: `("lawcode", line)` or `("caller", line)`.
    transcript: Vec<(&'static str, String)>,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        Session::start_with(RULES_2259, args)
    }

    fn start_with(rules: &str, args: &[&str]) -> Session {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lawcode"))
            .arg("ask")
            .arg(rules)
            .args(args)
            .current_dir(repo())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Session {
            stdin: child.stdin.take(),
            child,
            lines,
            transcript: Vec::new(),
        }
    }

    /// The next line lawcode writes, as JSON; `None` when it has closed its output.
    fn recv(&mut self) -> Option<J> {
        match self.lines.recv_timeout(LINE_TIMEOUT) {
            Ok(line) => {
                self.transcript.push(("lawcode", line.clone()));
                Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")))
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                panic!("no line within {LINE_TIMEOUT:?}: {:#?}", self.transcript);
            }
        }
    }

    fn send(&mut self, line: &J) {
        let line = line.to_string();
        self.transcript.push(("caller", line.clone()));
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Closes lawcode's input and waits for it to exit (killed past the timeout).
    fn finish(mut self) -> (Option<i32>, String, Vec<(&'static str, String)>) {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + LINE_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("lawcode did not exit: {:#?}", self.transcript);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
        }
        (status.code(), stderr, self.transcript)
    }
}

/// The value at `path` in `facts`, if it is given (not `null`).
fn value_at<'a>(facts: &'a J, path: &str) -> Option<&'a J> {
    let mut here = facts;
    for step in parse_path(path).unwrap() {
        here = match step {
            Step::Key(k) => here.get(&k)?,
            Step::Index(i) => here.get(i)?,
        };
    }
    (!here.is_null()).then_some(here)
}

/// What a question is asked in the middle of: the facts answered so far, as the caller knows
/// them (a skipped fact is `null`).
fn answered_so_far(doc: &mut J, path: &str, answer: J) {
    lawcode::facts::set::set(doc, &parse_path(path).unwrap(), answer).unwrap();
}

/// Answers every question from `facts` (a list whole, a fact the file does not hold skipped),
/// checking each question as it comes: it is about a fact the answers so far leave undecided
/// (an outcome is undecided, and the evaluation of the answers so far names it as missing), or
/// about a required fact the case cannot be complete without. Gives the questions, the result
/// line and the session.
fn interview(facts: &J, args: &[&str]) -> (Vec<J>, J, Session) {
    let program = program_2259();
    let mut session = Session::start(
        &["--format", "json"]
            .into_iter()
            .chain(args.iter().copied())
            .collect::<Vec<_>>(),
    );
    let mut questions = Vec::new();
    let mut so_far = json!({});
    loop {
        let line = session
            .recv()
            .unwrap_or_else(|| panic!("no result: {:#?}", session.transcript));
        if let Some(result) = line.get("result") {
            return (questions, result.clone(), session);
        }
        assert!(
            line.get("error").is_none(),
            "{line}: {:#?}",
            session.transcript
        );
        let path = line["ask"].as_str().unwrap().to_string();
        // Why this question: the answers so far, read as partial facts, leave it missing.
        let partial = program.partial_facts_from_value("so far", &so_far).unwrap();
        assert!(
            partial.unknown.contains(&path),
            "{path} was answered already"
        );
        let selects_text = path == "offense_date";
        let required = line["required"] == json!(true);
        if !selects_text && !required {
            let e = program
                .evaluate(&partial, lawcode::EvalOptions::default())
                .unwrap();
            assert!(
                e.missing.contains(&path),
                "{path} is asked but nothing is undecided for want of it: {:?}",
                e.missing
            );
        }
        let answer = match value_at(facts, &path) {
            Some(v) => json!({"answer": v}),
            None => json!({"skip": true}),
        };
        answered_so_far(
            &mut so_far,
            &path,
            value_at(facts, &path).cloned().unwrap_or(J::Null),
        );
        questions.push(line);
        session.send(&answer);
    }
}

/// `lawcode eval --format json` of `facts`.
fn eval_json(facts: &J) -> J {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facts.json");
    std::fs::write(&path, facts.to_string()).unwrap();
    let o = crate::support::lawcode_in(
        repo(),
        &[
            "eval",
            RULES_2259,
            "--facts",
            path.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The names of the fact nodes a trace reads.
fn facts_read(result: &J, into: &mut BTreeSet<String>) {
    fn walk(n: &J, into: &mut BTreeSet<String>) {
        if n["kind"] == "fact" {
            into.insert(n["name"].as_str().unwrap().to_string());
        }
        for c in n["children"].as_array().into_iter().flatten() {
            walk(c, into);
        }
    }
    for n in result["trace"].as_array().unwrap() {
        walk(n, into);
    }
}

/// The paths of `result`'s trace nodes that differ from `expected`'s, by kind.
fn differing_nodes(result: &J, expected: &J, out: &mut Vec<(String, String)>) {
    match (result, expected) {
        (J::Object(a), J::Object(b))
            if a.get("kind").is_some() && a.get("children") == b.get("children") && a != b =>
        {
            out.push((
                a["kind"].as_str().unwrap_or_default().to_string(),
                a["name"].as_str().unwrap_or_default().to_string(),
            ));
        }
        (J::Object(a), J::Object(b)) => {
            for (k, v) in a {
                if let Some(w) = b.get(k) {
                    differing_nodes(v, w, out);
                }
            }
        }
        (J::Array(a), J::Array(b)) => {
            for (v, w) in a.iter().zip(b) {
                differing_nodes(v, w, out);
            }
        }
        _ => {}
    }
}

/// Every case of the corpus, answered from its file: the result is `lawcode eval`'s on that
/// file; every question was about a fact the answers so far left undecided (or one the case
/// needs to be complete), and about a fact the evaluation of the whole case reads; no fact is
/// asked twice.
///
/// The one difference the result may have: the trace's `disregarded` nodes show the value of
/// a fact the statute says must not affect the order (`victim.other_compensation`), which no
/// rule reads, so the interview never asks it.
#[test]
fn every_corpus_case_ends_with_evals_result() {
    let cases = files("tests/cases/usc-18-2259", "json");
    assert!(cases.len() >= 60, "{}", cases.len());
    let mut exact = 0;
    let mut questions_asked = 0;
    let mut facts_in_files = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let doc: J = serde_json::from_str(&std::fs::read_to_string(case).unwrap()).unwrap();
        let facts = &doc["facts"];
        let (questions, result, session) = interview(facts, &[]);
        let (code, stderr, _) = session.finish();
        assert_eq!(code, Some(0), "{name}: {stderr}");
        let expected = eval_json(facts);
        assert_eq!(result["outcomes"], expected["outcomes"], "{name}");
        assert_eq!(result["missing"], expected["missing"], "{name}");
        assert_eq!(result["outcomes"], doc["expect"]["outcomes"], "{name}");
        if result == expected {
            exact += 1;
        } else {
            let mut differ = Vec::new();
            differing_nodes(&result["trace"], &expected["trace"], &mut differ);
            assert!(
                !differ.is_empty() && differ.iter().all(|(kind, _)| kind == "disregarded"),
                "{name}: the results differ at {differ:?}"
            );
        }
        // What the whole case reads, and what a complete case must hold.
        let mut needed = BTreeSet::new();
        facts_read(&expected, &mut needed);
        let asked: Vec<&str> = questions
            .iter()
            .map(|q| q["ask"].as_str().unwrap())
            .collect();
        let distinct: BTreeSet<&str> = asked.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            asked.len(),
            "{name}: a fact asked twice: {asked:?}"
        );
        for q in &questions {
            let path = q["ask"].as_str().unwrap();
            let read =
                needed.contains(path) || needed.iter().any(|n| n.starts_with(&format!("{path}[")));
            assert!(
                read || q["required"] == json!(true) || path == "offense_date",
                "{name}: `{path}` was asked, but evaluating the whole case never reads it"
            );
        }
        questions_asked += asked.len();
        facts_in_files += facts.as_object().map_or(0, |o| o.len());
    }
    eprintln!(
        "{} cases, {exact} results identical to eval's, {questions_asked} questions",
        cases.len()
    );
    assert!(exact + 3 >= cases.len(), "only {exact} identical results");
    assert!(facts_in_files > 0);
}

/// A wrong type, an unknown member, a line that is not JSON, a required fact skipped: each
/// gets its error line and the same question again.
#[test]
fn bad_answers_get_an_error_and_the_same_question() {
    let mut s = Session::start(&["--format", "json"]);
    let first = s.recv().unwrap();
    assert_eq!(first["ask"], "offense_date");
    for (bad, code) in [
        (r#"{"answer": 20190501}"#, "lawcode::facts::wrong_type"),
        (
            r#"{"answer": "2019-02-30"}"#,
            "lawcode::facts::impossible_date",
        ),
        ("2019-05-01", "lawcode::ask::bad_answer"),
        (r#"{"skip": true}"#, "lawcode::ask::required"),
    ] {
        s.send(&serde_json::from_str(bad).unwrap_or(J::String(bad.into())));
        let error = s.recv().unwrap();
        assert_eq!(error["error"]["code"], code, "{bad}: {error}");
        assert_eq!(error["error"]["path"], "offense_date");
        assert_eq!(s.recv().unwrap(), first, "{bad}");
    }
    s.send(&json!({"answer": "2020-02-14"}));
    let q = s.recv().unwrap();
    assert_eq!(q["ask"], "convictions");
    s.send(&json!({"answer": [{"section": "2252(a)(2)"}]}));
    // Skip until the representative is asked, then name someone no one can be.
    let mut q = s.recv().unwrap();
    while q["ask"] != "victim.representative" {
        s.send(&json!({"skip": true}));
        q = s.recv().unwrap();
    }
    assert_eq!(q["members"][0], "self");
    assert_eq!(q["default"], "self");
    s.send(&json!({"answer": "uncle"}));
    let error = s.recv().unwrap();
    assert_eq!(
        error["error"]["code"], "lawcode::facts::unknown_member",
        "{error}"
    );
    assert!(
        error["error"]["help"]
            .as_str()
            .unwrap()
            .contains("legal_guardian")
    );
    assert_eq!(s.recv().unwrap(), q);
    let (code, stderr, _) = s.finish();
    assert_eq!(code, Some(1));
    assert!(stderr.contains("lawcode::ask::end_of_input"), "{stderr}");
}

/// The input ends before the interview does: an error line, a report, exit 1, no hang.
#[test]
fn end_of_input_is_an_error_not_a_hang() {
    let mut s = Session::start(&[]);
    assert_eq!(s.recv().unwrap()["ask"], "offense_date");
    s.send(&json!({"answer": "2020-02-14"}));
    assert_eq!(s.recv().unwrap()["ask"], "convictions");
    drop(s.stdin.take());
    let error = s.recv().unwrap();
    assert_eq!(error["error"]["code"], "lawcode::ask::end_of_input");
    assert_eq!(error["error"]["path"], "convictions");
    assert!(s.recv().is_none());
    let (code, stderr, _) = s.finish();
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("the input ended before the interview ended"),
        "{stderr}"
    );
    // No input at all.
    let o = crate::support::lawcode_with_stdin(&["ask", RULES_2259], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("lawcode::ask::end_of_input"));
}

/// An evaluation that fails (two rules apply) ends the protocol with its error line, and
/// the report on standard error.
#[test]
fn an_evaluation_error_ends_the_session_with_its_line() {
    let mut s = Session::start_with("tests/fixtures/eval/conflict.law", &[]);
    let facts: J = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/eval/conflict.json")).unwrap(),
    )
    .unwrap();
    let last = loop {
        let line = s.recv().unwrap();
        match line["ask"].as_str() {
            Some(path) => {
                let v = value_at(&facts, path).cloned().unwrap();
                s.send(&json!({ "answer": v }));
            }
            None => break line,
        }
    };
    assert_eq!(last["error"]["code"], "lawcode::eval::conflict", "{last}");
    let (code, stderr, _) = s.finish();
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("neither is an exception to the other"),
        "{stderr}"
    );
}

/// `--save` writes facts that `eval` accepts as they are, with the same result; a partial
/// `--facts` is not asked again.
#[test]
fn saved_facts_are_accepted_by_eval() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("case.json");
    let facts: J = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/trafficking-floor.json")).unwrap(),
    )
    .unwrap();
    let (_, result, session) = interview(&facts, &["--save", out.to_str().unwrap()]);
    assert_eq!(session.finish().0, Some(0));
    let saved: J = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(eval_json(&saved), result);
    assert_eq!(result, eval_json(&facts));
    // Given the saved facts, nothing is left to ask.
    let o = crate::support::lawcode_with_stdin(
        &["ask", RULES_2259, "--facts", out.to_str().unwrap()],
        b"",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let last: J = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(last["result"], result);
    // A directory that does not exist.
    let bad = dir.path().join("no/such/dir/case.json");
    let answers = "{\"answer\": \"2020-02-14\"}\n";
    let o = crate::support::lawcode_with_stdin(
        &[
            "ask",
            RULES_2259,
            "--facts",
            out.to_str().unwrap(),
            "--save",
            bad.to_str().unwrap(),
        ],
        answers.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("lawcode::ask::unwritable"));
}

/// `--explain` ends with the decision memo beside the result; `--outcome` asks only what that
/// outcome needs.
#[test]
fn explain_and_one_outcome() {
    let facts: J = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/not-chapter-110.json")).unwrap(),
    )
    .unwrap();
    let (questions, result, session) =
        interview(&facts, &["--outcome", "restitution_amount", "--explain"]);
    let (_, _, transcript) = session.finish();
    let asked: Vec<&str> = questions
        .iter()
        .map(|q| q["ask"].as_str().unwrap())
        .collect();
    assert_eq!(asked, ["offense_date", "convictions"]);
    assert_eq!(result["outcomes"]["restitution_amount"], "0.00");
    let last: J = serde_json::from_str(&transcript.last().unwrap().1).unwrap();
    assert!(last["memo"].as_str().unwrap().starts_with("# "), "{last}");
}

/// One whole session: the questions, the answers and the result, for the floor example.
#[test]
fn session_transcript() {
    let facts: J = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/trafficking-floor.json")).unwrap(),
    )
    .unwrap();
    let (_, _, session) = interview(&facts, &[]);
    let (code, _, transcript) = session.finish();
    assert_eq!(code, Some(0));
    let lines: Vec<J> = transcript
        .iter()
        .map(|(who, line)| json!({ *who: serde_json::from_str::<J>(line).unwrap() }))
        .collect();
    insta::assert_snapshot!(
        "ask_session_trafficking_floor",
        serde_json::to_string_pretty(&lines).unwrap()
    );
}
