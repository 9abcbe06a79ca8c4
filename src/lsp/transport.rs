//! Content-Length framed JSON-RPC on standard input and output, forgiving of bad input.
//!
//! A frame whose body is not a JSON-RPC message is answered with a parse error (id `null`)
//! and skipped; a header that is not `Name: value`, or a `Content-Length` over
//! [`MAX_MESSAGE_BYTES`], too. Only the end of input, or an `exit` notification, stops the
//! reader.

use lsp_server::{Connection, ErrorCode, Message};
use std::io::{BufRead, Read, Write};
use std::thread::JoinHandle;

/// Largest message body read; a longer one is skipped with an error.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// The reader and writer threads.
pub struct Threads {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Threads {
    pub fn join(self) {
        let _ = self.writer.join();
        // The reader may still wait on standard input; it ends with the process.
        drop(self.reader);
    }
}

/// Moves messages between standard input and output and `client` (the client's end of an
/// in-memory connection whose other end the server holds).
pub fn stdio(client: Connection) -> Threads {
    let Connection { sender, receiver } = client;
    let writer = std::thread::spawn(move || {
        for msg in receiver {
            if write_message(&msg).is_err() {
                break;
            }
        }
    });
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            match read_frame(&mut input) {
                Frame::End => break,
                Frame::Bad(why) => {
                    let _ = write_error(&why);
                }
                Frame::Body(body) => match serde_json::from_slice::<Message>(&body) {
                    Ok(msg) => {
                        let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                        if sender.send(msg).is_err() || exit {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = write_error(&format!("not a JSON-RPC message: {e}"));
                    }
                },
            }
        }
    });
    Threads { reader, writer }
}

enum Frame {
    Body(Vec<u8>),
    Bad(String),
    End,
}

/// Reads one `Content-Length` framed body.
fn read_frame(input: &mut impl BufRead) -> Frame {
    let mut length: Option<usize> = None;
    let mut bad = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        match input.by_ref().take(8 * 1024).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return Frame::End,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) if n <= MAX_MESSAGE_BYTES => length = Some(n),
                    Ok(n) => bad = Some(format!("a message of {n} bytes is over the limit")),
                    Err(_) => bad = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("a header line is not `Name: value`: `{text}`")),
        }
    }
    if let Some(why) = bad {
        return Frame::Bad(why);
    }
    let Some(n) = length else {
        return Frame::Bad("a message without Content-Length".into());
    };
    let mut body = vec![0; n];
    match input.read_exact(&mut body) {
        Ok(()) => Frame::Body(body),
        Err(_) => Frame::End,
    }
}

fn write_frame(body: &[u8]) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.write_all(body)?;
    out.flush()
}

fn write_message(msg: &Message) -> std::io::Result<()> {
    let body = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
    write_frame(&body)
}

/// A parse error without a request id.
fn write_error(message: &str) -> std::io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": ErrorCode::ParseError as i32, "message": message },
    });
    write_frame(body.to_string().as_bytes())
}
