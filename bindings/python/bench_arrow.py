"""Throughput of `Program.evaluate_arrow` against `lawcode eval --batch --no-trace` on the same
100,000 cases (the § 2259 corpus repeated), in the same run: three runs each, the median.

    python bindings/python/bench_arrow.py    # after bindings/python/ci.sh (or maturin develop --release)

The Arrow time includes turning rows into JSON Lines and the answers into Arrow columns; the
CLI time includes starting the process and piping the lines through it. BENCHMARKS.md records
the figures."""

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))
from test_lawcode import REPO, RULES, cli_binary, corpus_table  # noqa: E402

import lawcode  # noqa: E402

N = 100_000


def main() -> None:
    program = lawcode.load(str(REPO / RULES))
    table, lines = corpus_table(N // 69 + 1)
    table = table.slice(0, N)
    lines = "".join(lines.splitlines(keepends=True)[:N]).encode()
    arrow, batch = [], []
    for _ in range(3):
        t = time.perf_counter()
        program.evaluate_arrow(table)
        arrow.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run([cli_binary(), "eval", str(REPO / RULES), "--batch", "-", "--no-trace"],
                       input=lines, stdout=subprocess.DEVNULL, check=True)
        batch.append(time.perf_counter() - t)
    a, b = statistics.median(arrow), statistics.median(batch)
    print(f"evaluate_arrow: {N / a:,.0f} rows/s (median of {[round(x, 2) for x in arrow]} s)")
    print(f"eval --batch:   {N / b:,.0f} rows/s (median of {[round(x, 2) for x in batch]} s)")
    print(f"ratio (Arrow time / CLI time): {a / b:.2f}")


if __name__ == "__main__":
    main()
