//! How long the language server makes a legal engineer wait after a keystroke in the § 2259
//! file (the target: under 5 ms).
//!
//! - `lsp/recheck`: the check the server runs after an edit, alone: the edited entry file and
//!   its import, parsed, checked and indexed (`tools::analysis::Analysis::run`).
//! - `lsp/edit_round_trip`: the whole server, on an in-memory connection: a `didChange` with
//!   the edited text, then a `documentSymbol` request; timed until its response, which the
//!   server sends after checking the change and publishing its diagnostics. Only the stdio
//!   transport is left out.
//!
//! Each iteration alternates two texts (a typo and its fix), so that every check has a change
//! to check. Run with `cargo bench --bench lsp`; see BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark may panic"
)]

use criterion::Criterion;
use lawcode::tools::analysis::{Analysis, Overlay};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;
use std::path::Path;

fn texts() -> (String, String) {
    let good = std::fs::read_to_string("rules/usc/18/2259.law").unwrap();
    let typo = good.replacen(
        "min(max(court.relative_role_amount",
        "min(max(court.relative_role_amont",
        1,
    );
    assert_ne!(good, typo);
    (good, typo)
}

fn recheck(c: &mut Criterion) {
    let path = lawcode::tools::analysis::normalize(Path::new("rules/usc/18/2259.law"));
    let (good, typo) = texts();
    let mut overlay = Overlay::default();
    let mut flip = false;
    c.bench_function("lsp/recheck", |b| {
        b.iter(|| {
            flip = !flip;
            overlay
                .open
                .insert(path.clone(), if flip { typo.clone() } else { good.clone() });
            let analysis = Analysis::run(&overlay, &path);
            assert_eq!(analysis.diagnostics.is_empty(), !flip);
            analysis
        });
    });
}

fn edit_round_trip(c: &mut Criterion) {
    let path = std::fs::canonicalize("rules/usc/18/2259.law").unwrap();
    let uri = format!("file://{}", path.display());
    let (good, typo) = texts();
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || lawcode::lsp::serve(&server));
    let send = |m: Message| client.sender.send(m).unwrap();
    let mut id = 0;
    let mut request = |method: &str, params: serde_json::Value| {
        id += 1;
        send(Message::Request(Request::new(
            RequestId::from(id),
            method.into(),
            params,
        )));
        loop {
            match client.receiver.recv().unwrap() {
                Message::Response(r) if r.id == RequestId::from(id) => return r,
                _ => {}
            }
        }
    };
    request("initialize", json!({ "capabilities": {} }));
    send(Message::Notification(Notification::new(
        "textDocument/didOpen".into(),
        json!({ "textDocument": { "uri": uri, "languageId": "law", "version": 1, "text": good } }),
    )));
    let mut version = 1;
    c.bench_function("lsp/edit_round_trip", |b| {
        b.iter(|| {
            version += 1;
            let text = if version % 2 == 0 { &typo } else { &good };
            send(Message::Notification(Notification::new(
                "textDocument/didChange".into(),
                json!({
                    "textDocument": { "uri": uri, "version": version },
                    "contentChanges": [{ "text": text }],
                }),
            )));
            request(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": uri } }),
            )
        });
    });
    request("shutdown", serde_json::Value::Null);
    send(Message::Notification(Notification::new(
        "exit".into(),
        serde_json::Value::Null,
    )));
    thread.join().unwrap();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    recheck(&mut c);
    edit_round_trip(&mut c);
    c.final_summary();
}
