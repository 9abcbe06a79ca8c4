#!/usr/bin/env bash
# CI for the explainer page: install the locked dependencies, run the headless-Chromium test
# (test/e2e.mjs) against the mock of the API, then against a real `lawcode serve`.
#
#   cargo build --locked && bash web/ci.sh
#   LAWCODE_BIN=/path/to/lawcode bash web/ci.sh
#
# Needs node, npm and Chromium (installed with apt-get when missing), access to the npm
# registry, and a built lawcode binary: $LAWCODE_BIN, by default target/debug/lawcode.
# Every missing tool is an error: this script never passes without having run the tests.
set -euo pipefail
start_dir="$PWD"
cd "$(dirname "${BASH_SOURCE[0]}")"
web="$PWD"
root="$(cd .. && pwd)"

say() { printf 'web/ci.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The binary first, so that a missing one fails before any installing. A relative $LAWCODE_BIN
# is taken from the caller's directory; the default from web/.
if [ -n "${LAWCODE_BIN:-}" ]; then
  case "$LAWCODE_BIN" in /*) bin="$LAWCODE_BIN" ;; *) bin="$start_dir/$LAWCODE_BIN" ;; esac
else
  bin="$web/../target/debug/lawcode"
fi
[ -f "$bin" ] && [ -x "$bin" ] \
  || die "no lawcode binary at $bin: build it first with \`cargo build --locked\` (or set LAWCODE_BIN)"

# shellcheck source=../.ci/apt.sh
. ../.ci/apt.sh
apt_ensure "node npm" nodejs npm

# The browser: $CHROMIUM if set (and then it must be there), else the first of the places
# test/e2e.mjs looks at, else Debian's chromium package.
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
# Debian's wrapper script prints noise on stderr; only the version line matters.
version="$(timeout 30 "$chromium" --version 2>/dev/null)" || die "$chromium --version failed"
export CHROMIUM="$chromium"
say "node $(node --version), npm $(npm --version), $version ($chromium)"

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# A CI run must not rewrite committed files (docs/explainer.png).
unset LAWCODE_UPDATE_SCREENSHOT

say "npm ci"
npm ci --no-audit --no-fund --loglevel=error

say "npm test against the mock server"
npm test --silent

# The real server, on a free port, from the repository's root: its defaults, rules/ and
# examples/, are the repository's.
log="$(mktemp "${TMPDIR:-/tmp}/lawcode-serve.XXXXXX")"
pid=""
cleanup() {
  local rc=$?
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    sleep 1
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$log" ]; then
    say "the server's log:"
    sed 's/^/  /' "$log" >&2
  fi
  rm -f "$log"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting $bin serve"
(cd "$root" && exec "$bin" serve --addr 127.0.0.1:0) >"$log" 2>&1 &
pid=$!

# It says `lawcode serve: listening on http://ADDR` on stderr once it has bound the port.
addr=""
for _ in $(seq 300); do
  addr="$(sed -n 's|^lawcode serve: listening on \(http://\)\{0,1\}\([^ ]*\)$|\2|p' "$log" | head -n 1)"
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { wait "$pid" && rc=0 || rc=$?; pid=""; die "lawcode serve exited ($rc) before listening"; }
  sleep 0.1
done
[ -n "$addr" ] || die "lawcode serve did not say it was listening within 30 s"
say "lawcode serve is listening on $addr"

say "npm test against lawcode serve"
LAWCODE_URL="http://$addr" npm test --silent

# SIGTERM: it finishes the requests in flight and exits 0.
say "stopping lawcode serve"
kill -TERM "$pid"
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && die "lawcode serve did not exit within 10 s of SIGTERM"
wait "$pid" && rc=0 || rc=$?
pid=""
[ "$rc" -eq 0 ] || die "lawcode serve exited $rc on SIGTERM, not 0"
say "ok: the page passes against the mock and against lawcode serve, which stopped cleanly"
