//! A bounded load test of `lawcode serve` on loopback, against `lawcode eval --batch` on the
//! same cases.
//!
//! Starts the release binary's server on a free loopback port, then for trace off and trace on
//! sends `POST /v1/statutes/usc/18/2259/evaluate` from 64 clients (one thread and one
//! keep-alive connection each) for 30 seconds, after a 2-second warm-up; it reports requests/s,
//! p50/p90/p99/max latency and errors (any answer but 200 with a JSON body; there must be none).
//! Then it times `lawcode eval --batch` on the same cases, written once to a file, three times
//! for each trace setting, and prints the median's cases/s beside the server's. The cases are
//! the seeded generator's (`tests/support/generate.rs`), the memory benchmark's.
//!
//! `cargo bench --bench serve`; `LAWCODE_LOAD_SECONDS` and `LAWCODE_LOAD_CLIENTS` change the
//! duration and the clients, `LAWCODE_LOAD_LOG` the server's `--log` (default `info`, one line
//! per request, as deployed). Only loopback is ever spoken to. See BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark may panic"
)]

#[path = "../tests/support/generate.rs"]
mod generate;

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Distinct cases sent round-robin (and written for the batch).
const CASES: usize = 2_000;
/// Lines of the batch file: the cases, repeated.
const BATCH_LINES: usize = 100_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(clients: u64, log: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lawcode"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--log",
                log,
                "--concurrency",
            ])
            .arg(clients.to_string())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Read the log to its end so that the server never blocks on a full pipe.
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if let Some(addr) = line.strip_prefix("lawcode serve: listening on ") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server did not start listening");
        assert!(
            addr.starts_with("http://127.0.0.1:"),
            "not loopback: {addr}"
        );
        Server { child, base: addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPU seconds (user + system) process `pid` has used, from `/proc/PID/stat` (Linux);
/// `None` elsewhere.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Clock ticks are 100 a second on Linux (`getconf CLK_TCK`).
    Some(ticks / 100.0)
}

/// What one load run measured.
struct Load {
    /// The server's CPU seconds during the run, when known.
    server_cpu: Option<f64>,
    requests: u64,
    errors: u64,
    seconds: f64,
    /// Every request's latency in microseconds, sorted.
    latencies: Vec<u64>,
}

impl Load {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let at = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[at] as f64 / 1000.0
    }
}

/// `clients` threads, each posting the cases round-robin from its own offset until `seconds`
/// have passed.
fn load(
    server: &Server,
    cases: &Arc<Vec<String>>,
    trace: bool,
    clients: u64,
    seconds: f64,
) -> Load {
    let base = &server.base;
    let cpu_before = cpu_seconds(server.child.id());
    let url = format!("{base}/v1/statutes/usc/18/2259/evaluate?trace={trace}");
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|client| {
            let url = url.clone();
            let cases = Arc::clone(cases);
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(30)))
                    .build()
                    .into();
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut i = client as usize * 31;
                while Instant::now() < deadline {
                    let body = cases[i % cases.len()].as_bytes();
                    i += 1;
                    let sent = Instant::now();
                    let ok = match agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(body)
                    {
                        Ok(mut r) => {
                            let status = r.status().as_u16();
                            let text = r.body_mut().with_config().limit(1 << 26).read_to_string();
                            status == 200 && text.is_ok_and(|t| t.starts_with('{'))
                        }
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed().as_micros() as u64);
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.join().unwrap();
        latencies.extend(l);
        errors += e;
    }
    let seconds = start.elapsed().as_secs_f64();
    let server_cpu = cpu_before
        .zip(cpu_seconds(server.child.id()))
        .map(|(a, b)| b - a);
    latencies.sort_unstable();
    Load {
        server_cpu,
        requests: latencies.len() as u64,
        errors,
        seconds,
        latencies,
    }
}

/// Seconds of one `lawcode eval --batch` run on `file`, output to `/dev/null`.
fn batch_seconds(file: &Path, trace: bool) -> f64 {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/usc/18/2259.law");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lawcode"));
    cmd.arg("eval").arg(&rules).arg("--batch").arg(file);
    if !trace {
        cmd.arg("--no-trace");
    }
    let start = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "lawcode eval --batch failed");
    start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument (a filter) is ignored.
    let seconds = env_or("LAWCODE_LOAD_SECONDS", 30) as f64;
    let clients = env_or("LAWCODE_LOAD_CLIENTS", 64);
    let mut g = generate::Generator::new(2259);
    let cases: Arc<Vec<String>> = Arc::new((0..CASES).map(|_| g.line()).collect());

    let dir = std::env::temp_dir().join("lawcode-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("serve-cases-{BATCH_LINES}.jsonl"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for i in 0..BATCH_LINES {
        writeln!(out, "{}", cases[i % CASES]).unwrap();
    }
    out.flush().unwrap();
    drop(out);

    let log = std::env::var("LAWCODE_LOAD_LOG").unwrap_or_else(|_| "info".to_string());
    let server = Server::start(clients, &log);
    println!(
        "lawcode serve --log {log} on {}: {clients} clients, {seconds} s each (after a 2 s warm-up), {CASES} distinct cases",
        server.base
    );
    let mut rows = Vec::new();
    for trace in [false, true] {
        let _ = load(&server, &cases, trace, clients, 2.0);
        let l = load(&server, &cases, trace, clients, seconds);
        let mut runs: Vec<f64> = (0..3).map(|_| batch_seconds(&file, trace)).collect();
        runs.sort_by(f64::total_cmp);
        let batch_rate = BATCH_LINES as f64 / runs[1];
        rows.push((trace, l, batch_rate));
    }
    drop(server);

    println!();
    println!(
        "| trace | requests | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU µs/request | `eval --batch` cases/s | server / batch |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut failed = false;
    for (trace, l, batch_rate) in &rows {
        let rate = l.requests as f64 / l.seconds;
        let cpu = l.server_cpu.map_or("n/a".to_string(), |c| {
            format!("{:.0}", c * 1e6 / l.requests.max(1) as f64)
        });
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {cpu} | {:.0} | {:.3} |",
            if *trace { "on" } else { "off" },
            l.requests,
            rate,
            l.percentile(0.50),
            l.percentile(0.90),
            l.percentile(0.99),
            l.percentile(1.0),
            l.errors,
            batch_rate,
            rate / batch_rate,
        );
        failed |= l.errors > 0;
    }
    if failed {
        eprintln!("serve: some requests failed (see the errors column)");
        std::process::exit(1);
    }
}
