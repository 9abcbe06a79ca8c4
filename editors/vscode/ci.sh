#!/usr/bin/env bash
# CI for the VS Code extension: install the locked dependencies, compile the client, run the
# grammar tests and the client smoke test, then package a .vsix and check what is in it.
#
#   bash editors/vscode/ci.sh
#
# Needs node and npm (installed with apt-get when missing) and access to the npm registry.
# Every missing tool is an error: this script never passes without having run the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

say() { printf 'editors/vscode/ci.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=../../.ci/apt.sh
. ../../.ci/apt.sh
apt_ensure "node npm" nodejs npm
command -v unzip >/dev/null 2>&1 || say "unzip is missing; the .vsix is checked with node instead"
say "node $(node --version), npm $(npm --version)"

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

say "npm ci"
npm ci --no-audit --no-fund --loglevel=error

say "npm test (compile, grammar tests, client smoke test)"
npm test --silent

out="$(mktemp -d "${TMPDIR:-/tmp}/lawcode-vsix.XXXXXX")"
trap 'rm -rf "$out"' EXIT
vsix="$out/lawcode.vsix"

say "packaging $vsix"
# `npm run package` is `vsce package --skip-license --allow-missing-repository`.
npm run --silent package -- -o "$vsix" >/dev/null || die "vsce package failed"
[ -s "$vsix" ] || die "vsce did not write $vsix (or wrote an empty file)"

# The entries a working extension needs; a .vsix is a zip file.
required=(extension/package.json extension/syntaxes/law.tmLanguage.json
  extension/language-configuration.json extension/out/extension.js
  extension/node_modules/vscode-languageclient/package.json)
# Entries that must not be shipped.
forbidden='^extension/(src/|test/|ci\.sh$|tsconfig\.json$|node_modules/\.bin/)'

if command -v unzip >/dev/null 2>&1; then
  entries="$(unzip -Z1 "$vsix")" || die "$vsix is not a zip file"
else
  # A zip's central directory, read with node alone: the last end-of-central-directory record
  # gives its offset; each entry's name follows its 46-byte header.
  entries="$(node -e '
    const b = require("fs").readFileSync(process.argv[1]);
    const eocd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) { console.error("not a zip file"); process.exit(1); }
    let p = b.readUInt32LE(eocd + 16);
    for (let n = b.readUInt16LE(eocd + 10); n > 0; n--) {
      if (b.readUInt32LE(p) !== 0x02014b50) { console.error("bad central directory"); process.exit(1); }
      const name = b.readUInt16LE(p + 28), extra = b.readUInt16LE(p + 30), comment = b.readUInt16LE(p + 32);
      console.log(b.toString("utf8", p + 46, p + 46 + name));
      p += 46 + name + extra + comment;
    }' "$vsix")" || die "$vsix is not a zip file"
fi

missing=0
for entry in "${required[@]}"; do
  if ! grep -qxF "$entry" <<<"$entries"; then
    say "error: $vsix has no $entry"
    missing=1
  fi
done
if shipped="$(grep -E "$forbidden" <<<"$entries")"; then
  say "error: $vsix ships files it should not (add them to .vscodeignore):"
  sed 's/^/  /' <<<"$shipped" >&2
  missing=1
fi
[ "$missing" -eq 0 ] || die "the .vsix is incomplete or ships development files"

say "ok: $(wc -c <"$vsix") bytes, $(grep -c . <<<"$entries") files in the .vsix"
