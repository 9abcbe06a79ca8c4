// The WASM module answers as the native CLI does, on the whole § 2259 corpus.
//
//   node bindings/wasm/test/corpus.mjs          # after bash bindings/wasm/build.sh and cargo build
//   LAWCODE_BIN=/path/to/lawcode node bindings/wasm/test/corpus.mjs
//
// For each tests/cases/usc-18-2259/*.json, its `facts` are written to a file F and evaluated
// twice: by `lawcode eval rules/usc/18/2259.law --facts F --format json` and by the web build's
// module (web/playground/pkg, loaded under Node with initSync) with the rules and the CPI-U data
// in memory. The comparison is byte for byte: the module's `result`, written as the CLI writes
// JSON (two-space indent, one newline at the end), must be the CLI's stdout. So that writing it
// from JavaScript loses nothing, the CLI's own output must also come back unchanged through
// JSON.parse and JSON.stringify (no number that a double cannot hold).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = process.env.LAWCODE_BIN ? path.resolve(process.env.LAWCODE_BIN) : path.join(root, 'target', 'debug', 'lawcode');
const die = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };
if (!fs.existsSync(bin)) die(`no lawcode binary at ${bin}: cargo build --locked first (or set LAWCODE_BIN)`);
const pkg = path.join(root, 'web', 'playground', 'pkg');
if (!fs.existsSync(path.join(pkg, 'lawcode_wasm_bg.wasm'))) die(`no ${pkg}/lawcode_wasm_bg.wasm: bash bindings/wasm/build.sh first`);

const wasm = await import(path.join(pkg, 'lawcode_wasm.js'));
wasm.initSync({ module: fs.readFileSync(path.join(pkg, 'lawcode_wasm_bg.wasm')) });

const entry = 'rules/usc/18/2259.law';
const rules = fs.readFileSync(path.join(root, entry), 'utf8');
// The files it imports, as the playground has them (build.sh follows the imports).
const { files } = await import(path.join(root, 'web', 'playground', 'bundle.js'));
const imports = Object.fromEntries(Object.entries(files).filter(([f]) => f !== entry));
if (!imports['rules/usc/18/lib/losses.law']) die('the playground bundle lacks the imports of the § 2259 rules');
const options = JSON.stringify({ path: entry, files: imports });

const dir = path.join(root, 'tests', 'cases', 'usc-18-2259');
const cases = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
if (cases.length === 0) die(`no cases in ${dir}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lawcode-corpus-'));
let passed = 0;
let failed = 0;
const started = Date.now();
for (const name of cases) {
  const facts = JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')).facts, null, 2);
  const file = path.join(tmp, name);
  fs.writeFileSync(file, facts);
  let cli;
  let cliFailed = false;
  try {
    cli = execFileSync(bin, ['eval', entry, '--facts', file, '--format', 'json'], { cwd: root, encoding: 'utf8' });
  } catch (e) {
    cliFailed = true;
    cli = e.stdout || '';
  }
  const answer = JSON.parse(wasm.evaluate(rules, facts, options));
  let problem = null;
  if (cliFailed) {
    if (answer.ok) problem = 'the CLI failed but the module evaluated';
  } else if (!answer.ok) {
    problem = `the module refused: ${JSON.stringify(answer.diagnostics)}`;
  } else if (`${JSON.stringify(JSON.parse(cli), null, 2)}\n` !== cli) {
    problem = 'the CLI\'s output does not survive JSON.parse (a number a double cannot hold?)';
  } else if (`${JSON.stringify(answer.result, null, 2)}\n` !== cli) {
    problem = 'the module\'s result differs from the CLI\'s output';
  }
  if (problem) {
    failed += 1;
    console.log(`not ok  ${name}: ${problem}`);
  } else {
    passed += 1;
    console.log(`ok      ${name}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`corpus (${((Date.now() - started) / 1000).toFixed(1)} s): ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
