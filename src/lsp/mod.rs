//! `lawcode lsp`: a language server over standard input and output.
//!
//! Synchronous and single-threaded (`lsp-server`, as rust-analyzer uses it): one loop reads a
//! message, then every message already queued and those that come within `DEBOUNCE` of the
//! last, applying document changes as they come; only when the changes pause (or a request
//! needs an answer, or `MAX_DELAY` has passed) are the changed documents checked again and
//! their diagnostics published. So a burst of keystrokes costs one check.
//!
//! Each open document is checked as an entry file, with everything it imports, through an
//! overlay that reads open documents before the disk ([`Overlay`]). The answers to
//! hover, definition, references, rename, completion and symbols come from the document's last
//! analysis whose files parsed: while a file does not parse, it gets its parse diagnostic and
//! the queries keep working on the last good text. Every request is answered, with a result
//! (perhaps empty) or an error; a handler that fails is caught and answered with an error.
//!
//! The transport is ours, not `lsp-server`'s stdio: a message that is not JSON-RPC, or a
//! header that asks for more than [`MAX_MESSAGE_BYTES`], is answered with a parse error and
//! skipped rather than ending the server.

mod convert;
mod handlers;
mod transport;

use crate::tools::analysis::{Analysis, Overlay};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{Uri, notification::Notification as _, request::Request as _};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use transport::MAX_MESSAGE_BYTES;

/// Runs the server on standard input and output until the client says `exit` (or closes
/// standard input).
pub fn run_stdio() -> std::io::Result<()> {
    let (server, client) = Connection::memory();
    let threads = transport::stdio(client);
    serve(&server);
    drop(server);
    threads.join();
    Ok(())
}

/// One open document.
#[derive(Debug)]
struct Document {
    uri: Uri,
    text: String,
    /// Changed since it was last checked.
    dirty: bool,
}

/// The server's state: open documents and their analyses.
#[derive(Default)]
pub(crate) struct State {
    docs: HashMap<PathBuf, Document>,
    overlay: Overlay,
    /// Each open document's latest analysis whose files parsed.
    good: HashMap<PathBuf, Analysis>,
    /// The files each document's last diagnostics were published for (to clear them).
    published: HashMap<PathBuf, HashSet<PathBuf>>,
    shutdown: bool,
}

/// How long the server waits after a change for the next one before it checks: keystrokes
/// closer than this cost one check.
const DEBOUNCE: Duration = Duration::from_millis(40);
/// The longest the diagnostics of a change wait while changes keep coming.
const MAX_DELAY: Duration = Duration::from_millis(250);

/// Serves `connection` until `exit` or the end of input.
pub fn serve(connection: &Connection) {
    let mut state = State::default();
    if !initialize(connection) {
        return;
    }
    while let Ok(first) = connection.receiver.recv() {
        let started = Instant::now();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Message::Request(req) => {
                    // A request is answered from the text as it is now.
                    state.recheck(connection);
                    let resp = state.request(req);
                    let _ = connection.sender.send(Message::Response(resp));
                }
                Message::Notification(n) => {
                    if n.method == lsp_types::notification::Exit::METHOD {
                        return;
                    }
                    state.notification(n);
                }
                Message::Response(_) => {}
            }
            // Everything already queued, then, while a document waits to be checked, what
            // comes within the debounce (but not past MAX_DELAY since the burst began).
            next = connection.receiver.try_recv().ok().or_else(|| {
                let waited = started.elapsed();
                (state.any_dirty() && waited < MAX_DELAY)
                    .then(|| {
                        connection
                            .receiver
                            .recv_timeout(DEBOUNCE.min(MAX_DELAY - waited))
                            .ok()
                    })
                    .flatten()
            });
        }
        state.recheck(connection);
    }
}

/// Waits for `initialize` and answers it; anything else before it is refused. False when the
/// client left first.
fn initialize(connection: &Connection) -> bool {
    while let Ok(msg) = connection.receiver.recv() {
        match msg {
            Message::Request(req) if req.method == lsp_types::request::Initialize::METHOD => {
                let result = serde_json::json!({
                    "capabilities": handlers::capabilities(),
                    "serverInfo": { "name": "lawcode", "version": env!("CARGO_PKG_VERSION") },
                });
                let _ = connection
                    .sender
                    .send(Message::Response(Response::new_ok(req.id, result)));
                return true;
            }
            Message::Request(req) => {
                let _ = connection.sender.send(Message::Response(Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet: send `initialize` first".into(),
                )));
            }
            Message::Notification(n) if n.method == lsp_types::notification::Exit::METHOD => {
                return false;
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
    false
}

impl State {
    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        if self.shutdown {
            return Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            );
        }
        if req.method == lsp_types::request::Shutdown::METHOD {
            self.shutdown = true;
            return Response::new_ok(id, serde_json::Value::Null);
        }
        // A handler that fails is a bug; the client still gets an answer.
        let this = std::panic::AssertUnwindSafe(&*self);
        match std::panic::catch_unwind(move || handlers::dispatch(&this, req)) {
            Ok(resp) => resp,
            Err(_) => internal_error(id),
        }
    }

    fn notification(&mut self, n: Notification) {
        use lsp_types::notification::{
            DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
        };
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                else {
                    return;
                };
                self.set_text(p.text_document.uri, p.text_document.text);
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) else {
                    return;
                };
                let path = convert::uri_path(&p.text_document.uri);
                let mut text = self
                    .docs
                    .get(&path)
                    .map(|d| d.text.clone())
                    .unwrap_or_default();
                for change in p.content_changes {
                    match change.range {
                        None => text = change.text,
                        Some(range) => {
                            let lines = convert::Lines::new(&text);
                            let start = lines.offset(&text, range.start);
                            let end = lines.offset(&text, range.end).max(start);
                            text.replace_range(start..end, &change.text);
                        }
                    }
                }
                self.set_text(p.text_document.uri, text);
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = n
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                else {
                    return;
                };
                let path = convert::uri_path(&p.text_document.uri);
                self.docs.remove(&path);
                self.overlay.open.remove(&path);
                self.good.remove(&path);
                // Its diagnostics stay until the next check clears them; other open
                // documents now read it from the disk.
                for d in self.docs.values_mut() {
                    d.dirty = true;
                }
            }
            DidSaveTextDocument::METHOD => {}
            _ => {}
        }
    }

    fn set_text(&mut self, uri: Uri, text: String) {
        let path = convert::uri_path(&uri);
        self.overlay.open.insert(path.clone(), text.clone());
        self.docs.insert(
            path,
            Document {
                uri,
                text,
                dirty: true,
            },
        );
        // A change may break or fix what other open documents import.
        for d in self.docs.values_mut() {
            d.dirty = true;
        }
    }

    fn any_dirty(&self) -> bool {
        self.docs.values().any(|d| d.dirty)
    }

    /// Checks every changed document again and publishes its diagnostics.
    fn recheck(&mut self, connection: &Connection) {
        let dirty: Vec<PathBuf> = self
            .docs
            .iter()
            .filter(|(_, d)| d.dirty)
            .map(|(p, _)| p.clone())
            .collect();
        for path in dirty {
            let analysis = Analysis::run(&self.overlay, &path);
            let by_file = convert::diagnostics_by_file(&analysis, &path);
            let mut now = HashSet::new();
            for (file, diagnostics) in &by_file {
                now.insert(file.clone());
                let uri = match self.docs.get(file) {
                    Some(d) => d.uri.clone(),
                    None => match convert::path_uri(file) {
                        Some(u) => u,
                        None => continue,
                    },
                };
                publish(connection, uri, diagnostics.clone());
            }
            for stale in self
                .published
                .get(&path)
                .map(|s| s.difference(&now).cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                if let Some(uri) = convert::path_uri(&stale) {
                    publish(connection, uri, Vec::new());
                }
            }
            self.published.insert(path.clone(), now);
            if analysis.parsed() {
                self.good.insert(path.clone(), analysis);
            }
            if let Some(d) = self.docs.get_mut(&path) {
                d.dirty = false;
            }
        }
    }

    /// The analysis to answer a query about `uri` from, and the file's id in it: the
    /// document's own, else that of any open document that imports it.
    pub(crate) fn analysis_for(&self, uri: &Uri) -> Option<(&Analysis, crate::source::FileId)> {
        let path = convert::uri_path(uri);
        let name = path.display().to_string();
        if let Some(a) = self.good.get(&path) {
            if let Some(id) = a.file_named(&name) {
                return Some((a, id));
            }
        }
        self.good
            .values()
            .find_map(|a| a.file_named(&name).map(|id| (a, id)))
    }

    /// The text of `uri` as the editor has it now.
    pub(crate) fn current_text(&self, uri: &Uri) -> Option<&str> {
        self.docs
            .get(&convert::uri_path(uri))
            .map(|d| d.text.as_str())
    }

    /// Every analysis, for workspace symbols.
    pub(crate) fn analyses(&self) -> impl Iterator<Item = &Analysis> {
        self.good.values()
    }
}

fn publish(connection: &Connection, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) {
    let params = lsp_types::PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    let _ = connection
        .sender
        .send(Message::Notification(Notification::new(
            lsp_types::notification::PublishDiagnostics::METHOD.into(),
            params,
        )));
}

fn internal_error(id: RequestId) -> Response {
    Response::new_err(
        id,
        ErrorCode::InternalError as i32,
        "the request could not be answered".into(),
    )
}
