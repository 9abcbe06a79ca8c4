#!/usr/bin/env bash
# Builds the playground's committed output, web/playground/pkg/ (the .wasm and wasm-bindgen's JS
# glue) and web/playground/bundle.js (the § 2259 rules, the CPI-U data and examples/*.json):
#
#   bash bindings/wasm/build.sh
#
# Needs the wasm32-unknown-unknown target (`rustup target add wasm32-unknown-unknown`),
# wasm-bindgen at the version bindings/wasm/Cargo.toml pins
# (`cargo install wasm-bindgen-cli --version 0.2.129 --locked`), wasm-opt (Debian's binaryen)
# and node. bindings/wasm/ci.sh installs them. Every missing tool is an error.
# CARGO_TARGET_DIR is honoured (default: target/ at the root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"

say() { printf 'bindings/wasm/build.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

pinned="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' bindings/wasm/Cargo.toml)"
[ -n "$pinned" ] || die "no pinned wasm-bindgen = \"=X.Y.Z\" in bindings/wasm/Cargo.toml"
command -v wasm-bindgen >/dev/null 2>&1 \
  || die "no wasm-bindgen: cargo install wasm-bindgen-cli --version $pinned --locked"
have="$(wasm-bindgen --version | awk '{print $2}')"
[ "$have" = "$pinned" ] \
  || die "wasm-bindgen is $have, the crate pins $pinned: cargo install wasm-bindgen-cli --version $pinned --locked --force"
command -v wasm-opt >/dev/null 2>&1 || die "no wasm-opt: apt-get install binaryen"
command -v node >/dev/null 2>&1 || die "no node: apt-get install nodejs"
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || die "no wasm32-unknown-unknown target: rustup target add wasm32-unknown-unknown"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
# The same bytes from any checkout: paths compiled into panic locations are rewritten.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export RUSTFLAGS="--remap-path-prefix=$root=/lawcode --remap-path-prefix=$cargo_home=/cargo"

say "cargo build (wasm32-unknown-unknown, profile wasm-release)"
cargo build --locked --quiet -p lawcode-wasm --target wasm32-unknown-unknown --profile wasm-release
raw="$target_dir/wasm32-unknown-unknown/wasm-release/lawcode_wasm.wasm"
[ -f "$raw" ] || die "cargo built no $raw"

out="$root/web/playground/pkg"
rm -rf "$out"
mkdir -p "$out"
stage="$(mktemp -d "${TMPDIR:-/tmp}/lawcode-wasm.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
# The features rustc enables by default for wasm32-unknown-unknown, for wasm-opt to read them.
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
# wasm-bindgen keeps JS values in an externref table when the module declares reference-types,
# and Debian's binaryen (108) rewrites externref as anyref, which browsers refuse to hold JS values
# in ("WebAssembly.Table.grow(): failed to grow table"). Without the target_features section,
# wasm-bindgen keeps them in a JS array instead, which every wasm-opt handles; nothing else changes.
wasm-opt "${features[@]}" --strip-target-features -o "$stage/lawcode_wasm.wasm" "$raw"
say "wasm-bindgen $have --target web"
wasm-bindgen --target web --no-typescript --out-dir "$out" "$stage/lawcode_wasm.wasm"
wasm="$out/lawcode_wasm_bg.wasm"
before="$(wc -c <"$wasm")"

say "$(wasm-opt --version) -Oz"
wasm-opt -Oz --strip-debug --strip-producers "${features[@]}" -o "$stage/opt.wasm" "$wasm"
mv "$stage/opt.wasm" "$wasm"
after="$(wc -c <"$wasm")"

say "web/playground/bundle.js"
node - "$root" >"$root/web/playground/bundle.js" <<'EOF'
const fs = require('fs');
const path = require('path');
const root = process.argv[2];
const entry = 'rules/usc/18/2259.law';
const files = {};
// The entry and every file it imports, found by following the `import "…"` lines.
const queue = [entry];
while (queue.length) {
  const f = queue.pop();
  if (files[f] !== undefined) continue;
  files[f] = fs.readFileSync(path.join(root, f), 'utf8');
  for (const m of files[f].matchAll(/^import\s+"([^"]+)"/gm)) {
    queue.push(path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1])));
  }
}
const examples = {};
for (const f of fs.readdirSync(path.join(root, 'examples')).filter((n) => n.endsWith('.json')).sort()) {
  examples[f] = fs.readFileSync(path.join(root, 'examples', f), 'utf8');
}
process.stdout.write('// Written by bindings/wasm/build.sh from rules/ and examples/: do not edit.\n');
process.stdout.write(`export const entry = ${JSON.stringify(entry)};\n`);
process.stdout.write(`export const files = ${JSON.stringify(files, null, 1)};\n`);
process.stdout.write(`export const examples = ${JSON.stringify(examples, null, 1)};\n`);
EOF

gz="$(gzip -9n <"$wasm" | wc -c)"
say "cargo: $(wc -c <"$raw") bytes; lawcode_wasm_bg.wasm: $before bytes before wasm-opt, $after after ($gz gzipped)"
[ "$after" -lt 2000000 ] || die "the .wasm is $after bytes, over the 2 MB budget"
