//! Batch evaluation: JSON Lines in (one facts object per line), one result per line out, in
//! input order.
//!
//! Line `N` of the output answers line `N` of the input: the object a single `eval --format json`
//! prints (on one line), or `{"line": N, "error": {"code": …, "message": …}}` when that line's
//! facts are malformed or invalid or its evaluation fails (`N` counts from 1). A failed line
//! does not stop the others. A blank line is an error line too (`lawcode::facts::json_syntax`),
//! so that output lines stay aligned with input lines.
//!
//! It streams: a reader thread cuts the input into chunks of lines, a pool of workers (one per
//! core) evaluates chunks, and the calling thread writes their results in order. At most
//! [`IN_FLIGHT_PER_WORKER`] chunks per worker are read and not yet written at any time, so memory
//! does not grow with the number of lines. A line longer than [`MAX_FACTS_BYTES`] is answered
//! with a `lawcode::facts::too_large` error line without being held in memory.
//! With one worker, or in a build without the `threads` feature (the browser has no threads),
//! each line is read, evaluated and written in turn on the calling thread instead.
//!
//! [`stream`] is the engine, for any per-line function; [`run`] is the engine applied to a
//! [`Program`].

use crate::diagnostic::{MAX_SHOWN, MAX_TEXT_CHARS, cut, thousands};
use crate::eval::EvalOptions;
use crate::eval::Program;
use crate::facts::{MAX_FACTS_BYTES, codes};
use crate::render;
use serde::Serialize;
use std::io::{self, BufRead, Write};
#[cfg(feature = "threads")]
use std::{
    collections::BTreeMap,
    sync::Mutex,
    sync::mpsc::{Receiver, SyncSender, sync_channel},
};

/// Lines per chunk: large enough that handing chunks between threads costs nothing per line,
/// small enough that every worker gets work on a short input.
pub const CHUNK_LINES: usize = 256;
/// Bytes per chunk, whichever limit comes first.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Chunks per worker that may be read and not yet written.
pub const IN_FLIGHT_PER_WORKER: usize = 4;

/// Options of a batch run.
#[derive(Debug, Clone, Copy, Default)]
pub struct BatchOptions {
    /// How each case is evaluated: the trace, and a pinned date (`--as-of`, `RULES@DATE`).
    pub eval: EvalOptions,
    /// Worker threads; `0` means one per available core, `1` the calling thread alone (as a
    /// build without the `threads` feature always runs).
    pub threads: usize,
}

/// How far a batch has come, reported after each chunk is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Lines written so far.
    pub lines: u64,
    /// Input bytes consumed by the lines written so far.
    pub bytes: u64,
}

/// What a finished batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read (and written).
    pub lines: u64,
    /// Lines answered with an error object.
    pub failed: u64,
}

/// One input line as a worker receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's bytes, without the line ending (`\n` or `\r\n`).
    Text(&'a [u8]),
    /// A line longer than [`MAX_FACTS_BYTES`]; its length in bytes.
    TooLong(u64),
}

/// Evaluates every line of `input` against `program` and writes one JSON result per line to
/// `output`, in input order.
pub fn run<R, W>(
    program: &Program,
    input: R,
    output: W,
    options: BatchOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> io::Result<Summary>
where
    R: BufRead + Send,
    W: Write,
{
    let eval = options.eval;
    stream(
        input,
        output,
        options.threads,
        &|number, line, out| evaluate_line(program, eval, number, line, out),
        progress,
    )
}

/// Evaluates one line (numbered from 1) and appends its result and a newline to `out`;
/// `false` when the result is an error object.
pub fn evaluate_line(
    program: &Program,
    options: EvalOptions,
    number: u64,
    line: Line<'_>,
    out: &mut Vec<u8>,
) -> bool {
    let text = match line {
        Line::TooLong(len) => {
            return error_line(
                out,
                number,
                codes::TOO_LARGE,
                &format!("the line is {len} bytes; the limit is {MAX_FACTS_BYTES}"),
            );
        }
        Line::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let p = crate::facts::not_utf8("the line", bytes, e);
                return error_line(out, number, p.code, &p.message);
            }
        },
    };
    // A byte order mark (at the start of a file, so of its first line) is not part of the facts.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return error_line(
            out,
            number,
            codes::JSON_SYNTAX,
            "the line is blank; every line must hold one JSON object of facts",
        );
    }
    let facts = match program.read_facts("line", text) {
        Ok(f) => f,
        Err(e) => {
            let code = e
                .problems
                .first()
                .map(|p| p.code)
                .unwrap_or(codes::JSON_SYNTAX);
            return error_line(out, number, code, &messages(&e.problems));
        }
    };
    match crate::eval::evaluate(program, &facts, options) {
        Ok(result) => {
            render::write_evaluation_json(out, &result);
            out.push(b'\n');
            true
        }
        Err(e) => error_line(out, number, e.code, &e.message),
    }
}

/// The messages of a line's problems, joined with `; `: the first [`MAX_SHOWN`], each cut at
/// [`MAX_TEXT_CHARS`], then how many more there are, so that an error line stays short.
fn messages(problems: &[crate::diagnostic::Problem]) -> String {
    let mut shown: Vec<String> = problems
        .iter()
        .take(MAX_SHOWN)
        .map(|p| cut(&p.message, MAX_TEXT_CHARS).into_owned())
        .collect();
    if problems.len() > MAX_SHOWN {
        let rest = problems.len() - MAX_SHOWN;
        shown.push(format!(
            "and {} more problem{}",
            thousands(rest),
            if rest == 1 { "" } else { "s" }
        ));
    }
    shown.join("; ")
}

/// Appends `{"line": N, "error": {"code": …, "message": …}}` and a newline; always `false`.
pub fn error_line(out: &mut Vec<u8>, line: u64, code: &str, message: &str) -> bool {
    #[derive(Serialize)]
    struct ErrorLine<'a> {
        line: u64,
        error: ErrorBody<'a>,
    }
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        code: &'a str,
        message: &'a str,
    }
    // Writing into a Vec cannot fail, and these fields always serialize.
    let _ = serde_json::to_writer(
        &mut *out,
        &ErrorLine {
            line,
            error: ErrorBody { code, message },
        },
    );
    out.push(b'\n');
    false
}

#[cfg(feature = "threads")]
/// A run of consecutive lines, as the reader hands them to the workers.
struct Chunk {
    index: u64,
    first_line: u64,
    /// Input bytes consumed up to the end of this chunk.
    bytes_end: u64,
    data: Vec<u8>,
    lines: Vec<Slot>,
}

#[cfg(feature = "threads")]
#[derive(Clone, Copy)]
enum Slot {
    Range(usize, usize),
    TooLong(u64),
}

#[cfg(feature = "threads")]
/// A chunk's output, as the workers hand it to the writer.
struct Done {
    index: u64,
    lines: u64,
    bytes_end: u64,
    failed: u64,
    out: Vec<u8>,
}

/// The streaming engine: reads `input` line by line, calls `per_line(number, line, out)` for
/// every line on `threads` workers (`0`: one per core), and writes each line's output to
/// `output` in input order. `per_line` appends its output (a newline included) and returns
/// `false` for a failed line.
pub fn stream<R, W>(
    input: R,
    output: W,
    threads: usize,
    per_line: &(dyn Fn(u64, Line<'_>, &mut Vec<u8>) -> bool + Sync),
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> io::Result<Summary>
where
    R: BufRead + Send,
    W: Write,
{
    // One worker, or a build without threads (e.g. for the browser): the same lines, in
    // order, on this thread, without handing chunks between threads.
    #[cfg(feature = "threads")]
    if threads != 1 {
        return stream_on_workers(input, output, threads, per_line, progress);
    }
    let _ = threads;
    stream_here(input, output, per_line, progress)
}

/// [`stream`] on the calling thread: each line is read, evaluated and written in turn.
fn stream_here<R: BufRead, W: Write>(
    mut input: R,
    mut output: W,
    per_line: &(dyn Fn(u64, Line<'_>, &mut Vec<u8>) -> bool + Sync),
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let (mut data, mut out, mut bytes) = (Vec::new(), Vec::new(), 0u64);
    while let Some((consumed, too_long)) = read_line(&mut input, &mut data)? {
        bytes += consumed;
        summary.lines += 1;
        let line = if too_long {
            Line::TooLong(consumed)
        } else {
            Line::Text(&data)
        };
        if !per_line(summary.lines, line, &mut out) {
            summary.failed += 1;
        }
        output.write_all(&out)?;
        out.clear();
        data.clear();
        if let Some(report) = progress {
            report(Progress {
                lines: summary.lines,
                bytes,
            });
        }
    }
    output.flush()?;
    Ok(summary)
}

/// [`stream`] on a pool of worker threads, results reordered to input order.
#[cfg(feature = "threads")]
fn stream_on_workers<R, W>(
    input: R,
    mut output: W,
    threads: usize,
    per_line: &(dyn Fn(u64, Line<'_>, &mut Vec<u8>) -> bool + Sync),
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> io::Result<Summary>
where
    R: BufRead + Send,
    W: Write,
{
    let workers = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let in_flight = workers.saturating_mul(IN_FLIGHT_PER_WORKER).max(2);

    // INVARIANT: the reader takes a credit before sending a chunk and the writer gives one back
    // after writing one, so at most `in_flight` chunks exist at any time; no channel below
    // ever holds more.
    let (credit_tx, credit_rx) = sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = credit_tx.send(());
    }
    let (work_tx, work_rx) = sync_channel::<Chunk>(in_flight);
    let (done_tx, done_rx) = sync_channel::<Done>(in_flight);
    let work_rx = Mutex::new(work_rx);

    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_chunks(input, credit_rx, work_tx));
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || work(work_rx, done_tx, per_line));
        }
        drop(done_tx);
        let written = write_in_order(&mut output, done_rx, credit_tx, progress);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the batch reader stopped")));
        // A write error (a closed pipe) is reported first; then a read error.
        let summary = written?;
        let lines = read?;
        debug_assert_eq!(lines, summary.lines);
        Ok(summary)
    })
}

#[cfg(feature = "threads")]
fn read_chunks<R: BufRead>(
    mut input: R,
    credits: Receiver<()>,
    work: SyncSender<Chunk>,
) -> io::Result<u64> {
    let mut line_no = 0u64;
    let mut bytes = 0u64;
    let mut index = 0u64;
    loop {
        if credits.recv().is_err() {
            return Ok(line_no); // the writer stopped
        }
        let mut chunk = Chunk {
            index,
            first_line: line_no + 1,
            bytes_end: 0,
            data: Vec::new(),
            lines: Vec::with_capacity(CHUNK_LINES),
        };
        let mut eof = false;
        while chunk.lines.len() < CHUNK_LINES && chunk.data.len() < CHUNK_BYTES {
            let start = chunk.data.len();
            match read_line(&mut input, &mut chunk.data)? {
                None => {
                    eof = true;
                    break;
                }
                Some((consumed, too_long)) => {
                    bytes += consumed;
                    line_no += 1;
                    if too_long {
                        chunk.data.truncate(start);
                        chunk.lines.push(Slot::TooLong(consumed));
                    } else {
                        chunk.lines.push(Slot::Range(start, chunk.data.len()));
                    }
                }
            }
        }
        chunk.bytes_end = bytes;
        if !chunk.lines.is_empty() && work.send(chunk).is_err() {
            return Ok(line_no); // the workers stopped
        }
        if eof {
            return Ok(line_no);
        }
        index += 1;
    }
}

/// Appends one line (without its ending) to `buf`; `None` at the end of the input, else the
/// bytes consumed and whether the line was longer than [`MAX_FACTS_BYTES`] (then what was
/// appended is to be discarded; the rest of the line was skipped without being kept).
fn read_line<R: BufRead>(input: &mut R, buf: &mut Vec<u8>) -> io::Result<Option<(u64, bool)>> {
    let start = buf.len();
    let mut consumed = 0u64;
    let mut too_long = false;
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            if consumed == 0 {
                return Ok(None);
            }
            break;
        }
        let (take, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            let piece = available.get(..take).unwrap_or_default();
            if buf.len() - start + piece.len() > MAX_FACTS_BYTES + 2 {
                too_long = true;
            } else {
                buf.extend_from_slice(piece);
            }
        }
        input.consume(take);
        consumed += take as u64;
        if found {
            break;
        }
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    if !too_long && buf.len() - start > MAX_FACTS_BYTES {
        too_long = true;
    }
    Ok(Some((consumed, too_long)))
}

#[cfg(feature = "threads")]
fn work(
    chunks: &Mutex<Receiver<Chunk>>,
    done: SyncSender<Done>,
    per_line: &(dyn Fn(u64, Line<'_>, &mut Vec<u8>) -> bool + Sync),
) {
    loop {
        let next = match chunks.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return, // another worker panicked
        };
        let Ok(chunk) = next else {
            return; // the reader is done
        };
        let mut out = Vec::with_capacity(chunk.data.len().saturating_mul(2));
        let mut failed = 0u64;
        for (i, slot) in chunk.lines.iter().enumerate() {
            let number = chunk.first_line + i as u64;
            let line = match *slot {
                Slot::Range(a, b) => Line::Text(chunk.data.get(a..b).unwrap_or_default()),
                Slot::TooLong(n) => Line::TooLong(n),
            };
            if !per_line(number, line, &mut out) {
                failed += 1;
            }
        }
        let result = Done {
            index: chunk.index,
            lines: chunk.lines.len() as u64,
            bytes_end: chunk.bytes_end,
            failed,
            out,
        };
        if done.send(result).is_err() {
            return; // the writer stopped
        }
    }
}

#[cfg(feature = "threads")]
fn write_in_order<W: Write>(
    output: &mut W,
    done: Receiver<Done>,
    credits: SyncSender<()>,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut next = 0u64;
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    for d in done {
        pending.insert(d.index, d);
        while let Some(d) = pending.remove(&next) {
            output.write_all(&d.out)?;
            summary.lines += d.lines;
            summary.failed += d.failed;
            next += 1;
            // The reader may have finished; then nobody needs the credit.
            let _ = credits.try_send(());
            if let Some(report) = progress {
                report(Progress {
                    lines: summary.lines,
                    bytes: d.bytes_end,
                });
            }
        }
    }
    output.flush()?;
    Ok(summary)
}
