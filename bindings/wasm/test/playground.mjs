// Browser test of the playground (web/playground/), with puppeteer-core (web/'s packages:
// `cd web && npm ci`) and the system Chromium.
//
//   node bindings/wasm/test/playground.mjs
//   CHROMIUM=/path/to/chrome node bindings/wasm/test/playground.mjs
//
// Serves web/playground/ from a static server started here (application/wasm for .wasm), loads
// the page, reads the trafficking-floor example's $3,000.00, then misspells a name in the rules
// and waits for the diagnostic and its highlighted range. Every request the page makes must go
// to that server. Screenshots go to bindings/wasm/test/screenshots/ (ignored by git). Exits
// non-zero on any failure, and when no Chromium or puppeteer-core is found.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const site = path.join(root, 'web', 'playground');
const shots = path.join(here, 'screenshots');
const TOTAL_MS = 60_000;
const WAIT_MS = 15_000;
const started = Date.now();

const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
function die(msg) {
  console.error(`\nFAIL: ${msg}`);
  process.exit(1);
}
setTimeout(() => die(`the test took longer than ${TOTAL_MS / 1000} s`), TOTAL_MS).unref();

function findChromium() {
  for (const c of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'].filter(Boolean)) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch (_) { /* next */ }
  }
  return null;
}

let puppeteer;
try {
  const require = createRequire(path.join(root, 'web', 'package.json'));
  puppeteer = (await import(pathToFileURL(require.resolve('puppeteer-core')).href)).default;
} catch (e) {
  die(`puppeteer-core is not installed (${e.message}); run \`npm ci\` in web/ first`);
}
const executablePath = findChromium();
if (!executablePath) die('no Chromium found ($CHROMIUM, /usr/bin/chromium, …): apt-get install chromium');
if (!fs.existsSync(path.join(site, 'pkg', 'lawcode_wasm_bg.wasm'))) die('no web/playground/pkg: bash bindings/wasm/build.sh');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json',
};
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const rel = decodeURIComponent(url.pathname).replace(/\/$/, '/index.html');
  const file = path.join(site, path.normalize(rel));
  if (!file.startsWith(site + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': MIME[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
log(`serving web/playground/ on ${base}`);

fs.mkdirSync(shots, { recursive: true });
let failures = 0;
function check(cond, what) {
  if (cond) log(`ok   ${what}`);
  else { failures += 1; log(`FAIL ${what}`); }
  return cond;
}
async function shot(page, name) {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`     screenshot ${path.relative(root, file)}`);
}

const outcome = (name) => `#outcomes tr[data-outcome="${name}"] td.value`;
let browser;
const pageErrors = [];
const elsewhere = [];
try {
  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
    timeout: 20_000,
    protocolTimeout: 20_000,
  });
  log(`browser ${await browser.version()} (${executablePath})`);
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT_MS);
  await page.setViewport({ width: 1500, height: 1000 });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(`${base}/`)) elsewhere.push(r.url()); });

  const loadStart = Date.now();
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready]');
  const ready = await page.$eval('body', (b) => b.dataset.ready);
  if (!check(ready === 'true', `the page starts (${Date.now() - loadStart} ms to ready)`)) {
    die(`status: ${await page.$eval('#status', (e) => e.textContent)}`);
  }
  const wasmType = await page.evaluate(async () => (await fetch('pkg/lawcode_wasm_bg.wasm')).headers.get('content-type'));
  check(wasmType === 'application/wasm', `the .wasm is served as application/wasm (${wasmType})`);
  const rulesText = await page.$eval('#rules', (e) => e.value);
  check(rulesText.includes('statute "18 U.S.C. § 2259"'), 'the § 2259 rules are preloaded');
  check(await page.$eval('body', (b) => b.dataset.checked) === 'ok', 'the preloaded rules check');
  check(await page.$eval('#example', (e) => e.value) === 'trafficking-floor.json', 'the trafficking-floor example is chosen');
  await page.waitForSelector(outcome('restitution_amount'));
  const amount = await page.$eval(outcome('restitution_amount'), (e) => e.textContent);
  check(amount === '3000.00', `restitution_amount reads ${amount}`);
  check(await page.$eval(outcome('trafficking'), (e) => e.textContent) === 'true', 'trafficking reads true');

  // The trace: collapsible nodes; open the (b)(2)(B) one.
  const b2b = '#trace details[data-citation="18 U.S.C. § 2259(b)(2)(B)"]';
  check((await page.$$(b2b)).length > 0, 'the trace has a (b)(2)(B) node');
  await page.click('#expand');
  check(await page.$$eval('#trace details', (ds) => ds.length > 0 && ds.every((d) => d.open)), 'Expand all opens every node');
  await page.click('#collapse');
  await page.click(`${b2b} > summary`);
  check(await page.$eval(b2b, (d) => d.open), 'a node opens on a click');
  await shot(page, '1-trafficking-floor');

  // Another example, chosen from the list.
  await page.select('#example', 'trafficking-cap-prevails.json');
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '2000.00', {}, outcome('restitution_amount'));
  check(true, 'trafficking-cap-prevails reads 2000.00');
  await page.select('#example', 'trafficking-floor.json');
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '3000.00', {}, outcome('restitution_amount'));

  // A typo in the rules: `minimum_restitution` used in (b)(2)(B), misspelled by typing.
  const used = 'max(court.relative_role_amount, minimum_restitution)';
  const at = rulesText.indexOf(used);
  check(at > 0, 'the rules use minimum_restitution in (b)(2)(B)');
  const nameAt = at + used.indexOf('minimum_restitution') + 'minimum_restitution'.length;
  await page.$eval('#rules', (e, i) => { e.focus(); e.setSelectionRange(i, i); }, nameAt);
  await page.keyboard.type('x');
  await page.waitForSelector('body[data-checked="error"] #diagnostics li.diagnostic.error');
  const diag = await page.$eval('#diagnostics li.diagnostic.error', (li) => ({ code: li.dataset.code, text: li.textContent }));
  check(diag.code.startsWith('lawcode::check::'), `a diagnostic appears as you type: ${diag.code}`);
  check(diag.text.includes('minimum_restitutionx'), 'it names the misspelled name');
  const mark = await page.$eval('#rules-backdrop mark', (m) => m.textContent).catch(() => null);
  check(mark === 'minimum_restitutionx', `the offending range is highlighted (${JSON.stringify(mark)})`);
  check(await page.$eval('body', (b) => b.dataset.evaluated) === 'error', 'the result says the rules do not check');
  await shot(page, '2-typo');

  // Clicking the diagnostic selects the range in the editor.
  await page.click('#diagnostics li.diagnostic.error');
  const selected = await page.$eval('#rules', (e) => e.value.slice(e.selectionStart, e.selectionEnd));
  check(selected === 'minimum_restitutionx', `clicking the diagnostic selects the range (${JSON.stringify(selected)})`);

  // Fixed again: the amount comes back.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Backspace');
  await page.waitForSelector('body[data-checked="ok"]');
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '3000.00', {}, outcome('restitution_amount'));
  check(await page.$$eval('#rules-backdrop mark', (ms) => ms.length) === 0, 'the fix clears the diagnostic and its mark');

  // Facts that the rules refuse are diagnostics too.
  await page.$eval('#facts', (e) => { e.value = e.value.replace('"offense_date"', '"offence_date"'); e.dispatchEvent(new Event('input')); });
  await page.waitForSelector('#facts-diagnostics li.diagnostic');
  const factsCode = await page.$eval('#facts-diagnostics li.diagnostic', (li) => li.dataset.code);
  check(factsCode.startsWith('lawcode::facts::'), `a misspelled fact is a diagnostic (${factsCode})`);
  await shot(page, '3-facts-typo');

  // An input that exhausts the browser's stack (a chain of 5,000 terms, which the CLI reads):
  // a diagnostic, a fresh instance of the module, and the page goes on.
  const deep = `statute "A"\nfacts { x: money "x" }\noutcomes { y: money "y" }\n(a) { rule y = ${Array(5000).fill('x').join(' + ')} }\n`;
  await page.$eval('#rules', (e, t) => { e.value = t; e.dispatchEvent(new Event('input')); }, deep);
  await page.waitForSelector('#diagnostics li.diagnostic[data-code="lawcode::wasm::trap"]');
  check(true, 'a stack-exhausting input is a diagnostic (lawcode::wasm::trap)');
  await page.click('#reset-rules');
  await page.select('#example', 'trafficking-floor.json');
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '3000.00', {}, outcome('restitution_amount'));
  check(await page.$eval('body', (b) => b.dataset.checked) === 'ok', 'after it, a fresh module checks and evaluates again');

  check(elsewhere.length === 0, `the page requested nothing but its own files${elsewhere.length ? `: ${elsewhere.join(', ')}` : ''}`);
  check(pageErrors.length === 0, `no errors in the page${pageErrors.length ? `: ${pageErrors.join(' | ')}` : ''}`);
} catch (e) {
  failures += 1;
  log(`FAIL ${e.stack || e}`);
} finally {
  if (browser) await browser.close();
  server.close();
}
if (failures) die(`${failures} check(s) failed`);
log('playground: all checks passed');
