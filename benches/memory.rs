//! Peak memory of `lawcode eval --batch` against the number of lines: it must not grow.
//!
//! Writes 100,000 and 1,000,000 generated cases to a temporary directory (never to the
//! repository), runs the release binary on each under `/usr/bin/time -v` (Debian package
//! `time`), output to `/dev/null`, trace off and on, and prints the peak resident set sizes and
//! their ratio. Run with `cargo bench --bench memory`; `-- --generate-only DIR` only writes the
//! files (for profiling). See BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark may panic"
)]

#[path = "../tests/support/generate.rs"]
mod generate;

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const SIZES: [usize; 2] = [100_000, 1_000_000];

/// Writes `n` generated cases, one per line; the same seed for every size, so the small file is
/// the start of the large one.
fn generate(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("cases-{n}.jsonl"));
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
        return path;
    }
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut g = generate::Generator::new(2259);
    for _ in 0..n {
        writeln!(out, "{}", g.line()).unwrap();
    }
    out.flush().unwrap();
    path
}

/// Runs the batch on `cases` and returns (peak RSS in KiB, seconds).
fn peak_rss(cases: &Path, trace: bool) -> Option<(u64, f64)> {
    let bin = env!("CARGO_BIN_EXE_lawcode");
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/usc/18/2259.law");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-v")
        .arg(bin)
        .arg("eval")
        .arg(&rules)
        .arg("--batch")
        .arg(cases);
    if !trace {
        cmd.arg("--no-trace");
    }
    let start = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })?
        .trim()
        .parse()
        .ok()?;
    if !out.status.success() {
        eprintln!("the batch failed: {stderr}");
        return None;
    }
    Some((kib, seconds))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--generate-only") {
        let dir = PathBuf::from(args.get(i + 1).map_or("/tmp/lawcode-bench", String::as_str));
        std::fs::create_dir_all(&dir).unwrap();
        for n in SIZES {
            println!("{}", generate(&dir, n).display());
        }
        return;
    }
    // `cargo bench --no-run` builds this; `cargo test --benches` would run it with `--bench`
    // absent: only measure when cargo bench asks.
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    if !Path::new("/usr/bin/time").exists() {
        println!("memory: /usr/bin/time is missing (apt-get install -y time); nothing measured");
        return;
    }
    let dir = std::env::temp_dir().join("lawcode-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<(usize, PathBuf)> = SIZES.iter().map(|&n| (n, generate(&dir, n))).collect();
    println!(
        "peak resident set size of `lawcode eval --batch` (release binary, output to /dev/null)"
    );
    for trace in [false, true] {
        let mut peaks = Vec::new();
        for (n, path) in &files {
            let Some((kib, secs)) = peak_rss(path, trace) else {
                println!("  {n} lines: not measured");
                continue;
            };
            println!(
                "  trace {:<3}  {n:>9} lines  {:>8.1} MiB  {secs:>7.2} s  {:>9.0} cases/s",
                if trace { "on" } else { "off" },
                kib as f64 / 1024.0,
                *n as f64 / secs
            );
            peaks.push(kib);
        }
        if let [small, large] = peaks[..] {
            println!(
                "  trace {:<3}  1,000,000 / 100,000 lines: {:.2}× the peak memory (target: constant)",
                if trace { "on" } else { "off" },
                large as f64 / small as f64
            );
        }
    }
}
