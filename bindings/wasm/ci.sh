#!/usr/bin/env bash
# CI for the WebAssembly bindings and the playground (web/playground/):
#   1. lints and unit tests of bindings/wasm (native);
#   2. bindings/wasm/build.sh, then the committed web/playground/ must be what it wrote;
#   3. the § 2259 corpus through the module under Node, against the CLI (test/corpus.mjs);
#   4. the page in headless Chromium (test/playground.mjs).
#
#   cargo build --locked && bash bindings/wasm/ci.sh
#   LAWCODE_BIN=/path/to/lawcode bash bindings/wasm/ci.sh
#
# Installs what is missing: the wasm32-unknown-unknown target (rustup), wasm-bindgen-cli at the
# version bindings/wasm/Cargo.toml pins (crates.io, the slow part: about 5 minutes on 2 cores),
# binaryen, Node.js, npm and Chromium (Debian's packages, .ci/apt.sh), web/'s packages (npm ci).
# Every missing tool is an error: this script never passes without having run the tests.
set -euo pipefail
start_dir="$PWD"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"

say() { printf 'bindings/wasm/ci.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
step_start=$SECONDS
step() { say "$1 ($((SECONDS - step_start)) s)"; step_start=$SECONDS; }

# The binary first, so that a missing one fails before any installing.
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [ -n "${LAWCODE_BIN:-}" ]; then
  case "$LAWCODE_BIN" in /*) bin="$LAWCODE_BIN" ;; *) bin="$start_dir/$LAWCODE_BIN" ;; esac
else
  bin="$target_dir/debug/lawcode"
fi
[ -f "$bin" ] && [ -x "$bin" ] \
  || die "no lawcode binary at $bin: build it first with \`cargo build --locked\` (or set LAWCODE_BIN)"
export LAWCODE_BIN="$bin"

# shellcheck source=../../.ci/apt.sh
. .ci/apt.sh
command -v cargo >/dev/null 2>&1 || die "no cargo"
command -v rustup >/dev/null 2>&1 || die "no rustup (needed for the wasm32-unknown-unknown target)"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || die "rustup target add wasm32-unknown-unknown failed"
rustup target list --installed | grep -qx wasm32-unknown-unknown || die "the wasm32-unknown-unknown target is missing"

pinned="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' bindings/wasm/Cargo.toml)"
[ -n "$pinned" ] || die "no pinned wasm-bindgen = \"=X.Y.Z\" in bindings/wasm/Cargo.toml"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have" != "$pinned" ]; then
  say "wasm-bindgen ${have:-missing}, installing wasm-bindgen-cli $pinned from crates.io"
  # Only the `wasm-bindgen` binary, without TLS (it is for the test runner's downloads).
  cargo install wasm-bindgen-cli --version "$pinned" --locked --force --quiet \
    --no-default-features --bin wasm-bindgen || die "cargo install wasm-bindgen-cli $pinned failed"
  hash -r
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  [ "$have" = "$pinned" ] || die "wasm-bindgen is ${have:-missing} after installing $pinned (is ~/.cargo/bin on PATH?)"
  step "installed wasm-bindgen $pinned"
fi
apt_ensure "wasm-opt" binaryen
apt_ensure "node npm" nodejs npm

find_chromium() {
  local c
  for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    if [ -x "$c" ]; then printf '%s\n' "$c"; return 0; fi
  done
  return 1
}
if [ -n "${CHROMIUM:-}" ]; then
  [ -x "$CHROMIUM" ] || die "CHROMIUM=$CHROMIUM is not an executable file"
  chromium="$CHROMIUM"
elif ! chromium="$(find_chromium)"; then
  say "no Chromium found"
  apt_install chromium
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium is still missing after apt-get install chromium"
  chromium=/usr/bin/chromium
fi
version="$(timeout 30 "$chromium" --version 2>/dev/null)" || die "$chromium --version failed"
export CHROMIUM="$chromium"
say "wasm-bindgen $have, $(wasm-opt --version), node $(node --version), $version"
step "tools ready"

# 1. The binding's lints and unit tests (the root's `cargo clippy` and `cargo test` in .ci/run
# cover the root package only).
cargo clippy -p lawcode-wasm --all-targets --locked --quiet -- -D warnings
cargo test -p lawcode-wasm --locked --quiet
step "bindings/wasm: clippy and unit tests"

# 2. The committed output is what the build writes (the build is deterministic: same toolchain,
# paths remapped; build.sh also fails past the 2 MB budget).
bash bindings/wasm/build.sh
if ! git diff --exit-code --stat -- web/playground/ \
  || [ -n "$(git status --porcelain --untracked-files=all -- web/playground/)" ]; then
  git status --short -- web/playground/ >&2
  die "web/playground/ is not what bindings/wasm/build.sh writes: run it and commit the result"
fi
step "web/playground/ is up to date"

# 3 and 4. web/'s packages provide puppeteer-core.
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
(cd web && npm ci --no-audit --no-fund --loglevel=error)
node bindings/wasm/test/corpus.mjs
step "the corpus: the module answers as the CLI"
node bindings/wasm/test/playground.mjs
step "the playground in Chromium"
say "ok"
