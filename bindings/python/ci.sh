#!/usr/bin/env bash
# CI for the Python package: a venv, the wheel built with maturin and installed, the CLI built
# to compare against, then pytest (the § 2259 corpus, errors, Arrow, pandas, 100,000 rows, and
# PySpark's mapInArrow in local mode).
#
#   bash bindings/python/ci.sh
#
# Needs python3 (with venv), a Java runtime for Spark (installed with apt-get when missing) and
# access to PyPI. Every missing tool is an error: this script never passes without the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
repo="$(cd ../.. && pwd)"

say() { printf 'bindings/python/ci.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=../../.ci/apt.sh
. ../../.ci/apt.sh
command -v python3 >/dev/null 2>&1 || die "python3 is missing"
apt_ensure java default-jre-headless

venv="${LAWCODE_PY_VENV:-$repo/target/python-venv}"
if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
# shellcheck disable=SC1091
. "$venv/bin/activate"
say "$(python --version), $(java -version 2>&1 | head -1)"

say "pip install (pinned)"
pip install -q --disable-pip-version-check \
    maturin==1.16.0 pyarrow==26.0.1 'pandas>=2.2,<3' pytest==9.2.0 pyspark==4.3.0

say "maturin build --release (abi3 wheel)"
wheels="$repo/target/wheels"
rm -rf "$wheels"
CARGO_TARGET_DIR="$repo/target" maturin build --release --locked -q --out "$wheels"
wheel="$(ls "$wheels"/lawcode-*.whl)"
say "wheel: $(basename "$wheel"), $(stat -c %s "$wheel") bytes"
pip install -q --force-reinstall --no-deps "$wheel"

say "cargo build --release (the CLI the tests compare against)"
(cd "$repo" && cargo build --release --locked --quiet)
export LAWCODE_BIN="$repo/target/release/lawcode"

say "pytest"
cd "$here"
python -m pytest -q -s -W ignore::FutureWarning tests
