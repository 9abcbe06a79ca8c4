//! `lawcode lsp` as an editor sees it: the binary started as a child process, spoken to in
//! JSON-RPC over its standard input and output. Every wait has a deadline, so a server that
//! hangs fails the test instead of hanging it.

use crate::support::repo;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// A running `lawcode lsp` and the messages it has sent.
struct Server {
    child: Child,
    stdin: ChildStdin,
    from_server: Receiver<Value>,
    next_id: i64,
    /// Notifications read while waiting for something else.
    notifications: Vec<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lawcode"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, from_server) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            from_server,
            next_id: 0,
            notifications: Vec::new(),
        };
        let init = server.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        let caps = &init["result"]["capabilities"];
        for cap in [
            "hoverProvider",
            "definitionProvider",
            "referencesProvider",
            "renameProvider",
            "completionProvider",
            "documentSymbolProvider",
            "workspaceSymbolProvider",
            "documentFormattingProvider",
        ] {
            assert!(
                !caps[cap].is_null(),
                "the server does not offer {cap}: {init}"
            );
        }
        server.notify("initialized", json!({}));
        server
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", bytes.len()).unwrap();
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: &Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.from_server.recv_timeout(left) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("the server said nothing for {DEADLINE:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Sends a request and waits for its response (keeping the notifications that come first).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + DEADLINE;
        loop {
            let msg = self.next(deadline);
            if msg["id"] == json!(id) {
                return msg;
            }
            self.notifications.push(msg);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self
            .notifications
            .iter()
            .position(|n| is_diagnostics_for(n, uri))
        {
            let n = self.notifications.remove(i);
            return n["params"]["diagnostics"].as_array().unwrap().clone();
        }
        let deadline = Instant::now() + DEADLINE;
        loop {
            let msg = self.next(deadline);
            if is_diagnostics_for(&msg, uri) {
                return msg["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.notifications.push(msg);
        }
    }

    /// `shutdown`, then `exit`: the server ends, with status 0.
    fn stop(mut self) {
        let resp = self.request("shutdown", Value::Null);
        assert!(resp["error"].is_null(), "{resp}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "lawcode lsp exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "lawcode lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_diagnostics_for(msg: &Value, uri: &str) -> bool {
    msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri
}

/// The protocol's position (line, UTF-16 column) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[start..].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

/// The byte offset of a protocol position in `text`.
fn offset(text: &str, pos: &Value) -> usize {
    let line = pos["line"].as_u64().unwrap() as usize;
    let character = pos["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// A copy of `rules/` in a scratch directory (the server reads imports from the disk), the
/// path of its § 2259 file, and that file's URI.
fn scratch_rules() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("rules"), &dir.path().join("rules"));
    let path = dir.path().join("rules/usc/18/2259.law");
    let uri = format!("file://{}", path.display());
    (dir, path, uri)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn open(server: &mut Server, uri: &str, text: &str) {
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "law", "version": 1, "text": text } }),
    );
}

fn change(server: &mut Server, uri: &str, version: i64, text: &str) {
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{ "text": text }],
        }),
    );
}

fn at(uri: &str, text: &str, offset: usize) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position(text, offset) })
}

/// The typo of the issue: a fact path misspelt. The server underlines it with the code and the
/// message `lawcode check` gives; fixing it clears the diagnostics.
#[test]
fn a_typo_is_underlined_with_the_checks_message_and_cleared_when_fixed() {
    let (_dir, path, uri) = scratch_rules();
    let good = std::fs::read_to_string(&path).unwrap();
    let use_at = good.find("min(max(court.relative_role_amount").unwrap() + "min(max(court.".len();
    let typo = good.replacen(
        "min(max(court.relative_role_amount",
        "min(max(court.relative_role_amont",
        1,
    );
    // What `lawcode check --format json` says of the same file.
    std::fs::write(&path, &typo).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_lawcode"))
        .args(["check", path.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let check: Value = serde_json::from_slice(&check.stdout).unwrap();
    std::fs::write(&path, &good).unwrap();
    let expected = &check[0];
    assert_eq!(expected["code"], "lawcode::check::unknown_name", "{check}");

    let mut server = Server::start();
    open(&mut server, &uri, &typo);
    let diagnostics = server.diagnostics_for(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], expected["code"]);
    assert_eq!(d["severity"], 1, "an error");
    let message = d["message"].as_str().unwrap();
    assert!(
        message.starts_with(expected["message"].as_str().unwrap()),
        "{message}"
    );
    assert!(
        message.contains("did you mean `relative_role_amount`?"),
        "{message}"
    );
    // The underline is the misspelt field, where the check puts it.
    let start = offset(&typo, &d["range"]["start"]);
    let end = offset(&typo, &d["range"]["end"]);
    assert_eq!(&typo[start..end], "relative_role_amont");
    assert_eq!(start, use_at);
    assert_eq!(d["data"]["citation"], "18 U.S.C. § 2259(b)(2)(B)");

    change(&mut server, &uri, 2, &good);
    assert_eq!(server.diagnostics_for(&uri), Vec::<Value>::new());
    server.stop();
}

#[test]
fn hover_definition_completion_symbols_and_formatting_on_2259() {
    let (_dir, path, uri) = scratch_rules();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut server = Server::start();
    open(&mut server, &uri, &text);
    assert_eq!(server.diagnostics_for(&uri), Vec::<Value>::new());

    // Hover on a use of a fact: its type and description.
    let fact = text.find("court.relative_role_amount").unwrap() + "court.".len() + 3;
    let hover = server.request("textDocument/hover", at(&uri, &text, fact));
    let shown = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(shown.contains("money"), "{hover}");
    assert!(
        shown.contains(
            "the court's determination of the amount reflecting the defendant's relative role"
        ),
        "{hover}"
    );

    // Definition of a use of `recovery_remaining`: its rule, in (b)(2)(C).
    let use_at = text
        .find("minimum_restitution), recovery_remaining")
        .unwrap()
        + "minimum_restitution), ".len();
    let def = server.request("textDocument/definition", at(&uri, &text, use_at));
    let locations = def["result"].as_array().unwrap_or_else(|| panic!("{def}"));
    assert_eq!(locations.len(), 1, "{def}");
    assert_eq!(locations[0]["uri"], uri);
    let target = offset(&text, &locations[0]["range"]["start"]);
    let line_start = text[..target].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap();
    assert_eq!(
        line.trim(),
        "rule recovery_remaining = greatest_full_amount - victim.prior_recovery"
    );
    // The provision it sits in, by the outline: (b) > (2) > (C).
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let top: Vec<&str> = symbols["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for label in ["(a)", "(b)", "(c)", "(d)"] {
        assert!(
            top.iter().any(|n| n.starts_with(label)),
            "{label} not in the outline {top:?}"
        );
    }
    let contains = |s: &Value| {
        let a = offset(&text, &s["range"]["start"]);
        let b = offset(&text, &s["range"]["end"]);
        a <= target && target < b
    };
    let mut path_to_rule = Vec::new();
    let mut level = symbols["result"].as_array().unwrap().clone();
    while let Some(s) = level
        .iter()
        .find(|s| s["kind"] == 3 && contains(s))
        .cloned()
    {
        path_to_rule.push(s["name"].as_str().unwrap().to_string());
        level = s["children"].as_array().cloned().unwrap_or_default();
    }
    let path_to_rule: Vec<&str> = path_to_rule
        .iter()
        .map(|n| n.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(path_to_rule, ["(b)", "(b)(2)", "(b)(2)(C)"], "{symbols}");

    // Completion after `victim.`: the victim record's fields, while the line does not parse.
    let insert = text.find("rule recovery_remaining").unwrap();
    let edited = format!(
        "{}rule probe = victim.\n{}",
        &text[..insert],
        &text[insert..]
    );
    change(&mut server, &uri, 2, &edited);
    let after_dot = insert + "rule probe = victim.".len();
    let completion = server.request("textDocument/completion", at(&uri, &edited, after_dot));
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{completion}"))
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    for field in ["prior_recovery", "greatest_losses_found", "losses"] {
        assert!(labels.contains(&field), "{field} not offered: {labels:?}");
    }
    assert!(
        !labels.contains(&"relative_role_amount"),
        "a field of another record: {labels:?}"
    );
    // The parse error is published, with a parse code.
    let broken = server.diagnostics_for(&uri);
    assert!(
        broken
            .iter()
            .any(|d| d["code"].as_str().unwrap().starts_with("lawcode::parse::")),
        "{broken:?}"
    );

    // Formatting: the edits `lawcode fmt` makes. The formatted file gives none; a messy one
    // gives one edit whose result is what `format_source` returns.
    change(&mut server, &uri, 3, &text);
    let none = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    assert_eq!(none["result"], json!([]), "{none}");
    let messy = text.replacen(
        "rule minimum_restitution = $3,000",
        "rule   minimum_restitution=$3,000",
        1,
    );
    assert_ne!(messy, text, "the edit must apply");
    change(&mut server, &uri, 4, &messy);
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    let edits = edits["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{edits}"));
    let mut result = messy.clone();
    for e in edits.iter().rev() {
        let a = offset(&messy, &e["range"]["start"]);
        let b = offset(&messy, &e["range"]["end"]);
        result.replace_range(a..b, e["newText"].as_str().unwrap());
    }
    assert_eq!(result, text);
    server.stop();
}

/// Every request on a broken or unknown document is answered (with nothing, or an error), and
/// malformed messages are answered with an error without ending the server.
#[test]
fn broken_input_is_answered_and_never_ends_the_server() {
    let mut server = Server::start();
    let uri = "file:///no/such/dir/broken.law";
    let broken = "statute \"T\"\n(a) { rule x = min( }\n";
    open(&mut server, uri, broken);
    let diagnostics = server.diagnostics_for(uri);
    assert!(!diagnostics.is_empty());
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/references",
        "textDocument/completion",
        "textDocument/documentSymbol",
        "textDocument/formatting",
        "textDocument/prepareRename",
    ] {
        let mut params = at(uri, broken, 20);
        params["context"] = json!({ "includeDeclaration": true });
        params["options"] = json!({ "tabSize": 4, "insertSpaces": true });
        let resp = server.request(method, params);
        assert!(
            resp.get("result").is_some() || resp.get("error").is_some(),
            "{method}: {resp}"
        );
    }
    // Positions past the end, on a document never opened, and parameters of the wrong shape.
    let far =
        json!({ "textDocument": { "uri": uri }, "position": { "line": 9999, "character": 9999 } });
    assert!(server.request("textDocument/hover", far)["error"].is_null());
    let unknown = json!({ "textDocument": { "uri": "file:///never/opened.law" }, "position": { "line": 0, "character": 0 } });
    assert!(server.request("textDocument/definition", unknown)["error"].is_null());
    let wrong = server.request("textDocument/hover", json!({ "textDocument": 7 }));
    assert_eq!(wrong["error"]["code"], -32602, "invalid params: {wrong}");
    let missing = server.request("textDocument/noSuchRequest", json!({}));
    assert_eq!(
        missing["error"]["code"], -32601,
        "method not found: {missing}"
    );
    // A body that is not JSON: an error for it, and the server goes on.
    server.send_raw(b"{ this is not json");
    let deadline = Instant::now() + DEADLINE;
    loop {
        let msg = server.next(deadline);
        if msg["error"]["code"] == -32700 {
            break;
        }
    }
    // An edit with a range past the end of the document is clamped, not a crash.
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": { "start": { "line": 50, "character": 3 }, "end": { "line": 2, "character": 0 } }, "text": "§§§" }],
        }),
    );
    let _ = server.diagnostics_for(uri);
    server.stop();
}

/// A burst of changes is checked once: the diagnostics published are those of the last text.
#[test]
fn a_burst_of_keystrokes_is_checked_once_for_the_last_text() {
    let (_dir, path, uri) = scratch_rules();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut server = Server::start();
    open(&mut server, &uri, &text);
    assert_eq!(server.diagnostics_for(&uri), Vec::<Value>::new());
    // Typing `recovery_remainin` one letter at a time, at the end of a use.
    let use_at = text
        .find("minimum_restitution), recovery_remaining")
        .unwrap()
        + "minimum_restitution), recovery_remainin".len();
    for (version, cut) in (0..8).rev().enumerate() {
        let typed = format!("{}{}", &text[..use_at - cut], &text[use_at + 1..]);
        change(&mut server, &uri, version as i64 + 2, &typed);
    }
    // Publications until the one for the last text (`recovery_remainin`, one unknown name),
    // then any that come late.
    let last = |d: &[Value]| {
        d.len() == 1
            && d[0]["message"]
                .as_str()
                .unwrap()
                .contains("`recovery_remainin`")
    };
    let mut published = 0;
    loop {
        let diagnostics = server.diagnostics_for(&uri);
        published += 1;
        if last(&diagnostics) {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(400));
    while let Ok(msg) = server.from_server.try_recv() {
        assert!(
            !is_diagnostics_for(&msg, &uri),
            "a check after the last text: {msg}"
        );
    }
    // Eight changes sent at once; the debounce checks them together (on an idle machine once;
    // never once per change).
    assert!(published < 8, "{published} checks for 8 changes");
    server.stop();
}

/// What the fuzz target `lsp` does, as a property test that runs on every `cargo test`:
/// random edits of the § 2259 text through the server's analysis and every query.
mod edits {
    use lawcode::tools::analysis::{Analysis, Overlay, normalize};
    use proptest::prelude::*;
    use std::path::Path;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_edits_never_panic_any_query(
            edits in prop::collection::vec((0.0f64..1.0, 0usize..24, 0usize..crate::queries::SNIPPETS.len()), 1..6)
        ) {
            let root = crate::support::repo();
            let entry = normalize(&root.join("rules/usc/18/2259.law"));
            let mut text = std::fs::read_to_string(&entry).unwrap();
            let mut overlay = Overlay::default();
            for (fraction, del, what) in edits {
                let (at, end) = crate::queries::edit(&mut text, fraction, del, what);
                overlay.open.insert(entry.clone(), text.clone());
                let analysis = Analysis::run(&overlay, Path::new(&entry));
                crate::queries::ask_everything(&analysis, &entry.display().to_string(), &text, &[at, end, at / 2]);
                match lawcode::format::format_source("2259.law", &text) {
                    Ok(_) | Err(lawcode::format::FormatError::Parse(_)) => {}
                    Err(e) => prop_assert!(false, "the formatter's self-check failed: {}", e),
                }
            }
        }
    }
}
