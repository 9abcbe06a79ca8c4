//! Speed of the interpreter against the native § 2259 code (`tests/support/native_2259.rs`),
//! measured in the same run so that the ratios, not the absolute times, are what counts:
//!
//! 1. `parse_check`: loading, parsing and checking `rules/usc/18/2259.law` (target: < 1 ms);
//! 2. `eval_one`: one case already read, trace off and on, against the native function
//!    (targets: ≤ 3× and ≤ 10×), for a bundled case and averaged over 1,000 generated cases;
//! 3. `batch_100k`: 100,000 generated cases end to end, JSON Lines in and out, on every core,
//!    against the native pipeline doing the same JSON parsing and printing through the same
//!    streaming engine (target: ≥ 60% of its throughput).
//!
//! After criterion's report, the ratios are printed from its estimates. Run with
//! `cargo bench --bench eval`; see BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark may panic"
)]

#[path = "../tests/support/generate.rs"]
mod generate;
#[path = "../tests/support/native_2259.rs"]
mod native_2259;

use criterion::{Criterion, Throughput};
use lawcode::batch::{self, BatchOptions, Line};
use lawcode::{EvalOptions, Facts, Program};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

const RULES: &str = "rules/usc/18/2259.law";
const BUNDLED_CASE: &str = "examples/trafficking-floor.json";
const BATCH_LINES: usize = 100_000;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn program() -> Program {
    lawcode::load_program(&repo().join(RULES)).unwrap().0
}

fn parse_check(c: &mut Criterion) {
    let path = repo().join(RULES);
    c.bench_function("parse_check/2259", |b| {
        b.iter(|| black_box(lawcode::load_program(black_box(&path)).unwrap()))
    });
    // The rules are compiled to closures (and their constants computed) on the first case a
    // version decides: what a one-case `lawcode eval` pays on top of parse + check.
    let bundled = std::fs::read_to_string(repo().join(BUNDLED_CASE)).unwrap();
    c.bench_function("parse_check_first_case/2259", |b| {
        b.iter(|| {
            let program = lawcode::load_program(black_box(&path)).unwrap().0;
            let facts = program.read_facts("case.json", &bundled).unwrap();
            black_box(program.evaluate(&facts, EvalOptions::default()).unwrap())
        })
    });
}

fn eval_one(c: &mut Criterion) {
    let program = program();
    let bundled = std::fs::read_to_string(repo().join(BUNDLED_CASE)).unwrap();
    let mut g = generate::Generator::new(1);
    let generated: Vec<String> = (0..1_000).map(|_| g.line()).collect();

    let ours = |json: &str| program.read_facts("case.json", json).unwrap();
    let native = |json: &str| native_2259::parse_facts(json).unwrap();
    let trace_off = EvalOptions::default();
    let trace_on = EvalOptions {
        trace: true,
        ..Default::default()
    };

    let mut group = c.benchmark_group("eval_one/bundled");
    let facts = ours(&bundled);
    let native_facts = native(&bundled);
    group.bench_function("native", |b| {
        b.iter(|| black_box(native_2259::evaluate(black_box(&native_facts)).unwrap()))
    });
    group.bench_function("trace_off", |b| {
        b.iter(|| black_box(program.evaluate(black_box(&facts), trace_off).unwrap()))
    });
    group.bench_function("trace_on", |b| {
        b.iter(|| black_box(program.evaluate(black_box(&facts), trace_on).unwrap()))
    });
    // The trace as nodes: recorded during evaluation, expanded when first read.
    group.bench_function("trace_on_expanded", |b| {
        b.iter(|| {
            let e = program.evaluate(black_box(&facts), trace_on).unwrap();
            black_box(e.trace().map(<[_]>::len));
        })
    });
    group.finish();

    let mut group = c.benchmark_group("eval_one/generated_1000");
    group.throughput(Throughput::Elements(generated.len() as u64));
    let facts: Vec<Facts> = generated.iter().map(|j| ours(j)).collect();
    let native_facts: Vec<native_2259::Facts> = generated.iter().map(|j| native(j)).collect();
    group.bench_function("native", |b| {
        b.iter(|| {
            for f in &native_facts {
                black_box(native_2259::evaluate(black_box(f)).unwrap());
            }
        })
    });
    for (name, options) in [("trace_off", trace_off), ("trace_on", trace_on)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                for f in &facts {
                    black_box(program.evaluate(black_box(f), options).unwrap());
                }
            })
        });
    }
    group.bench_function("trace_on_expanded", |b| {
        b.iter(|| {
            for f in &facts {
                let e = program.evaluate(black_box(f), trace_on).unwrap();
                black_box(e.trace().map(<[_]>::len));
            }
        })
    });
    group.finish();
}

/// The native pipeline for one line: the same serde_json parsing and printing, no trace.
fn native_line(_number: u64, line: Line<'_>, out: &mut Vec<u8>) -> bool {
    let Line::Text(bytes) = line else {
        return batch::error_line(out, _number, "too_large", "too large");
    };
    let text = std::str::from_utf8(bytes).unwrap_or("");
    let result = native_2259::parse_facts(text).and_then(|f| native_2259::evaluate(&f));
    match result {
        Ok(o) => {
            serde_json::to_writer(&mut *out, &native_2259::outcomes_to_json(&o)).unwrap();
            out.push(b'\n');
            true
        }
        Err(e) => batch::error_line(out, _number, "native", &e),
    }
}

fn batch_100k(c: &mut Criterion) {
    let program = program();
    let mut g = generate::Generator::new(2);
    let input: String = (0..BATCH_LINES).map(|_| g.line() + "\n").collect();

    let mut group = c.benchmark_group("batch_100k");
    group.throughput(Throughput::Elements(BATCH_LINES as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    // Results go to a sink: both pipelines produce every byte, neither pays for storing it.
    group.bench_function("native", |b| {
        b.iter(|| {
            let s = batch::stream(input.as_bytes(), std::io::sink(), 0, &native_line, None);
            assert_eq!(s.unwrap().failed, 0);
        })
    });
    for (name, trace) in [("trace_off", false), ("trace_on", true)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let options = BatchOptions {
                    eval: lawcode::EvalOptions {
                        trace,
                        ..Default::default()
                    },
                    threads: 0,
                };
                let s = batch::run(&program, input.as_bytes(), std::io::sink(), options, None);
                assert_eq!(s.unwrap().failed, 0);
            })
        });
    }
    group.finish();
}

/// Criterion's estimate (the slope where it has one, else the mean) for a benchmark of this run,
/// in nanoseconds. Criterion stores `group/function` under `group` with `/` turned into `_`.
fn mean_ns(id: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let (group, function) = match id.rsplit_once('/') {
        Some((g, f)) if g.contains('/') || g == "batch_100k" => (g.replace('/', "_"), Some(f)),
        _ => (id.replace('/', "_"), None),
    };
    let mut path = target.join("criterion").join(group);
    if let Some(f) = function {
        path = path.join(f);
    }
    let text = std::fs::read_to_string(path.join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| v["mean"]["point_estimate"].as_f64())
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn report() {
    println!("\nratios (this run)");
    if let Some(t) = mean_ns("parse_check/2259") {
        println!(
            "  parse_check/2259                {:>12}   target < 1 ms: {}",
            human(t),
            if t < 1e6 { "met" } else { "MISSED" }
        );
    }
    if let Some(t) = mean_ns("parse_check_first_case/2259") {
        println!(
            "  parse_check_first_case/2259     {:>12}   (parse, check, compile, one case)",
            human(t)
        );
    }
    for (group, off_target, on_target) in [
        ("eval_one/bundled", 3.0, 10.0),
        ("eval_one/generated_1000", 3.0, 10.0),
    ] {
        let Some(native) = mean_ns(&format!("{group}/native")) else {
            continue;
        };
        println!("  {group}/native  {:>12}", human(native));
        for (name, target) in [
            ("trace_off", off_target),
            ("trace_on", on_target),
            ("trace_on_expanded", on_target),
        ] {
            if let Some(t) = mean_ns(&format!("{group}/{name}")) {
                let r = t / native;
                println!(
                    "  {group}/{name}  {:>12}   {r:.2}× native (target ≤ {target}×: {})",
                    human(t),
                    if r <= target { "met" } else { "MISSED" }
                );
            }
        }
    }
    if let Some(native) = mean_ns("batch_100k/native") {
        let per_sec = |ns: f64| BATCH_LINES as f64 / (ns / 1e9);
        println!(
            "  batch_100k/native      {:>12}   {:>10.0} cases/s",
            human(native),
            per_sec(native)
        );
        for name in ["trace_off", "trace_on"] {
            if let Some(t) = mean_ns(&format!("batch_100k/{name}")) {
                let share = native / t;
                let verdict = match name {
                    "trace_off" if share >= 0.6 => " (target ≥ 60%: met)",
                    "trace_off" => " (target ≥ 60%: MISSED)",
                    _ => "",
                };
                println!(
                    "  batch_100k/{name:<10} {:>12}   {:>10.0} cases/s = {:.0}% of native{verdict}",
                    human(t),
                    per_sec(t),
                    share * 100.0
                );
            }
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    parse_check(&mut c);
    eval_one(&mut c);
    batch_100k(&mut c);
    c.final_summary();
    report();
}
