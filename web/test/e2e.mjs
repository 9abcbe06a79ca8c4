// Browser test of the lawcode explainer page, with puppeteer-core and the system Chromium.
//
//   npm test                                   # against test/mock-server.mjs (started here)
//   LAWCODE_URL=http://127.0.0.1:8080 npm test # against a running `lawcode serve`
//   CHROMIUM=/path/to/chrome npm test          # another browser binary
//   LAWCODE_UPDATE_SCREENSHOT=1 LAWCODE_URL=http://127.0.0.1:8080 npm test
//                                              # also rewrite ../docs/explainer.png
//
// Exits non-zero on any failure, including when no Chromium can be found: it never passes
// without having run. Screenshots of each step go to test/screenshots/ (ignored by git), the last
// one of the whole page. Only with LAWCODE_UPDATE_SCREENSHOT=1, and only against a real server
// (LAWCODE_URL) and when every check passed, is that last one copied to docs/explainer.png, the
// committed screenshot: a CI run never rewrites it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, 'screenshots');
const docsShot = path.resolve(here, '..', '..', 'docs', 'explainer.png');
const updateShot = process.env.LAWCODE_UPDATE_SCREENSHOT === '1';
const TOTAL_MS = 55_000;
const WAIT_MS = 10_000;
const started = Date.now();

const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
function die(msg, code = 1) {
  console.error(`\nFAIL: ${msg}`);
  process.exit(code);
}
const hardStop = setTimeout(() => die(`the test took longer than ${TOTAL_MS / 1000} s`), TOTAL_MS);
hardStop.unref();

function findChromium() {
  const candidates = [process.env.CHROMIUM, process.env.PUPPETEER_EXECUTABLE_PATH, '/usr/bin/chromium',
    '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'].filter(Boolean);
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch (_) { /* next */ }
  }
  return null;
}

let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch (e) {
  die(`puppeteer-core is not installed (${e.message}); run \`npm ci\` in web/ first`);
}
const executablePath = findChromium();
if (!executablePath) {
  die('no Chromium found (looked at $CHROMIUM, /usr/bin/chromium, chromium-browser, google-chrome).\n' +
    'Install it (Debian: `apt-get install -y chromium`) or set CHROMIUM=/path/to/chrome. The test did not run.');
}

let base = process.env.LAWCODE_URL;
if (updateShot && !base) {
  die('LAWCODE_UPDATE_SCREENSHOT=1 needs LAWCODE_URL: docs/explainer.png shows a real server\'s output, not the mock\'s');
}
let mock = null;
if (!base) {
  const { createMockServer } = await import('./mock-server.mjs');
  mock = createMockServer();
  base = await mock.listen(0);
  log(`mock server on ${base}`);
} else {
  base = base.replace(/\/+$/, '');
  log(`server under test: ${base}`);
}

fs.mkdirSync(shots, { recursive: true });
let browser;
let failures = 0;
let final = null;
const pageErrors = [];

function check(cond, what) {
  if (cond) log(`ok   ${what}`);
  else { failures++; log(`FAIL ${what}`); }
  return cond;
}

async function shot(page, name, opts = {}) {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot(Object.assign({ path: file }, opts));
  log(`     screenshot ${path.relative(path.resolve(here, '..'), file)}`);
  return file;
}

const AMOUNT = 'victim.losses[0].amount';
const sel = {
  outcome: (name) => `#outcomes tr[data-outcome="${name}"] td.value`,
  field: (p) => `[data-path="${p}"]`,
  error: (p) => `[data-error-for="${p}"]`,
  node: (c) => `details[data-citation="${c}"]`,
};
const B2B = '18 U.S.C. § 2259(b)(2)(B)';

async function textOf(page, selector) {
  return page.$eval(selector, (e) => e.textContent.trim());
}
async function waitText(page, selector, want, what) {
  try {
    await page.waitForFunction((s, w) => {
      const e = document.querySelector(s);
      return e && e.offsetParent !== null && (w === null ? e.textContent.trim() !== '' : e.textContent.trim() === w);
    }, { timeout: WAIT_MS }, selector, want);
    return true;
  } catch (_) {
    const got = await page.$eval(selector, (e) => e.textContent.trim()).catch(() => '(no such element)');
    log(`     waited for ${what}: got ${JSON.stringify(got)}`);
    return false;
  }
}
async function setValue(page, selector, value) {
  await page.$eval(selector, (e) => { e.focus(); e.select && e.select(); });
  await page.keyboard.press('Backspace');
  if (value) await page.type(selector, value);
}

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
  page.setDefaultNavigationTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text()); });
  await page.setViewport({ width: 1280, height: 900 });

  // 1. load the page: the statutes fill the select, the first is chosen, the form is built
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  const statute = await page.$eval('#statute', (e) => e.value);
  const first = await page.$eval('#statute', (e) => (e.options[0] ? e.options[0].value : ''));
  check(statute !== '' && statute === first, `the first statute is preselected (${statute})`);
  // The server may hold several rule sets; the rest of the test is on § 2259, chosen as a user
  // would, from the select (its examples then replace the first statute's).
  if (statute !== 'usc/18/2259') {
    await page.select('#statute', 'usc/18/2259');
    await page.waitForFunction(() => [...document.querySelectorAll('#example option')]
      .some((o) => o.value === 'trafficking-floor'), { timeout: WAIT_MS });
    check(await page.$eval('#statute', (e) => e.value) === 'usc/18/2259', 'choosing § 2259 in the select loads it');
  }
  check(await page.$(sel.field('offense_date')) !== null, 'the form has an offense_date field');
  const labelled = await page.$$eval('#facts-form input, #facts-form select, #facts-form textarea',
    (els) => els.filter((e) => !(e.labels && e.labels.length)).map((e) => e.id || e.name));
  check(labelled.length === 0, `every input of the form has a <label>${labelled.length ? `: not ${labelled.join(', ')}` : ''}`);
  await shot(page, '01-loaded');

  // 2. choose the example trafficking-floor: it fills the form
  await page.select('#example', 'trafficking-floor');
  await page.waitForFunction((s) => document.querySelector(s) && document.querySelector(s).value === '20000.00', { timeout: WAIT_MS }, sel.field(AMOUNT));
  check(await page.$eval(sel.field('offense_date'), (e) => e.value) === '2020-02-14', 'the example filled offense_date');
  check(await page.$eval(sel.field('victim.losses[1].category'), (e) => e.value) === 'medical', 'the example filled the second loss');
  check(await page.$eval(sel.field('court.relative_role_amount'), (e) => e.value) === '1200.00', 'the example filled court.relative_role_amount');
  await shot(page, '02-example');

  // 3. submit: the outcomes table says 3000.00
  await page.click('#evaluate');
  check(await waitText(page, sel.outcome('restitution_amount'), '3000.00', 'restitution_amount'),
    'restitution_amount is 3000.00');
  check(await textOf(page, sel.outcome('trafficking')) === 'yes', 'trafficking is yes');
  check(await textOf(page, '#results-status') !== '', 'the aria-live status says what was evaluated');
  const hash = await page.evaluate(() => location.hash);
  check(/^#statute=usc\/18\/2259&facts=[A-Za-z0-9_-]+$/.test(hash), 'the case is in the URL');
  await shot(page, '03-evaluated');

  // 4. expand the (b)(2)(B) node: formula, notes and the statute's words
  const node = await page.waitForSelector(sel.node(B2B));
  check(await node.evaluate((d) => d.open) === false, 'the (b)(2)(B) node starts collapsed');
  await node.evaluate((d) => d.querySelector(':scope > summary').scrollIntoView());
  await page.click(`${sel.node(B2B)} > summary`);
  check(await node.evaluate((d) => d.open), 'clicking its summary opens it');
  const text = await node.$eval('.statute-text', (e) => (e.offsetParent !== null ? e.textContent.trim() : ''));
  check(text.length > 0 && text.includes('$3,000'), `its statute text shows: "${text.slice(0, 60)}…"`);
  const greyed = await page.$$eval('details.grey[data-status="not_applicable"], details.grey[data-status="overridden"]', (d) => d.length);
  check(greyed > 0, `nodes that did not apply are greyed (${greyed})`);
  check(await page.$('details[data-kind="not_computed"] .not-computed') !== null, 'not_computed nodes are shown as such');
  // keyboard: the summary is focusable and toggles with Enter
  await page.focus(`${sel.node(B2B)} > summary`);
  await page.keyboard.press('Enter');
  check(await node.evaluate((d) => !d.open), 'Enter on the focused summary closes it again');
  await page.keyboard.press('Enter');
  await node.evaluate((d) => d.scrollIntoView());
  await shot(page, '04-provision');

  // 5. a bad money value is refused in the page, beside its field, before any request
  const posts = () => (mock ? mock.requests.filter((r) => r.startsWith('POST')).length : 0);
  const before = posts();
  await setValue(page, sel.field('victim.prior_recovery'), '12.345');
  check(await waitText(page, sel.error('victim.prior_recovery'), null, 'the client-side error'),
    'typing 12.345 into victim.prior_recovery shows an error beside it');
  log(`     beside the field: "${await textOf(page, sel.error('victim.prior_recovery'))}"`);
  check(await page.$eval(sel.field('victim.prior_recovery'), (e) => e.getAttribute('aria-invalid')) === 'true', 'the field is marked aria-invalid');
  check(await page.$eval('#error-summary', (e) => !e.hidden && e.textContent.includes('victim.prior_recovery')), 'the summary at the top names it');
  await new Promise((r) => setTimeout(r, 500)); // past the debounce
  if (mock) check(posts() === before, 'no evaluation was requested for it');
  await page.$eval(sel.field('victim.prior_recovery'), (e) => e.scrollIntoView({ block: 'center' }));
  await shot(page, '05-client-error');
  await setValue(page, sel.field('victim.prior_recovery'), '');
  const gone = await page.waitForFunction(() => document.querySelector('#error-summary').hidden &&
    !document.querySelector('#results').hasAttribute('aria-busy'), { timeout: WAIT_MS }).then(() => true, () => false);
  check(gone, 'clearing it removes the errors');
  if (mock) check(posts() > before, 'and re-evaluates by itself (what-if, debounced)');
  check(await waitText(page, sel.outcome('restitution_amount'), '3000.00', 'after the fix'), 'restitution_amount is 3000.00 again');

  // 6. the server's verdict: JSON with a typo (victm) and a bad amount → 422, errors mapped
  await page.click('#mode-json');
  check(await page.$eval('#json-view', (e) => !e.hidden), 'the JSON view shows');
  const json = JSON.parse(await page.$eval('#facts-json', (e) => e.value));
  check(json.victim && json.victim.losses && json.victim.losses.length === 2, 'the JSON view holds the form\'s facts');
  json.victm = {};
  json.victim.losses[0].amount = '12.345';
  await page.$eval('#facts-json', (e, v) => { e.value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }, JSON.stringify(json, null, 2));
  await page.click('#evaluate');
  await page.waitForFunction(() => !document.querySelector('#error-summary').hidden, { timeout: WAIT_MS });
  const summary = await textOf(page, '#error-summary');
  check(summary.includes('victm'), 'the summary names the unknown fact victm');
  check(await page.$('#error-summary li[data-problem-path="victm"]') !== null, 'with its path');
  log(`     summary: "${summary.replace(/\s+/g, ' ').slice(0, 160)}"`);
  await shot(page, '06-server-error-json');
  await page.click(`#error-summary li[data-problem-path="${AMOUNT}"] a`);
  check(await page.$eval('#form-view', (e) => !e.hidden), 'following the link for the amount opens the form');
  check(await waitText(page, sel.error(AMOUNT), null, 'the server error beside the amount'), `the server's error is beside ${AMOUNT}`);
  check(await page.evaluate((s) => document.activeElement === document.querySelector(s), sel.field(AMOUNT)), 'and the field has the focus');
  await shot(page, '07-server-error-field');

  // 7. the shared link restores the case
  const page2 = await browser.newPage();
  page2.setDefaultTimeout(WAIT_MS);
  page2.on('pageerror', (e) => pageErrors.push(e.message));
  await page2.setViewport({ width: 1280, height: 900 });
  await page2.goto(`${base}/${hash}`, { waitUntil: 'load' });
  await page2.waitForSelector('body[data-ready="true"]');
  check(await waitText(page2, sel.outcome('restitution_amount'), '3000.00', 'from the link'), 'opening the link restores the case: 3000.00');
  check(await page2.$eval(sel.field(AMOUNT), (e) => e.value) === '20000.00', 'and the form');

  // 8. a phone: no sideways scrolling
  await page2.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  const overflow = await page2.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `on a 390 px phone the page does not scroll sideways (${overflow} px)`);
  await shot(page2, '08-phone');

  // 9. print: controls hidden, tree expanded
  await page2.setViewport({ width: 1000, height: 900 });
  await page2.emulateMediaType('print');
  await page2.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  const printState = await page2.evaluate(() => ({
    closed: document.querySelectorAll('#trace details:not([open])').length,
    button: getComputedStyle(document.querySelector('#evaluate')).display,
  }));
  check(printState.closed === 0 && printState.button === 'none', `printing opens every node and hides the controls (${JSON.stringify(printState)})`);
  await page2.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  await page2.emulateMediaType('screen');

  // final: the whole page, with the (b)(2)(B) node open (the fully expanded tree is ~45,000 px tall)
  await page2.click('#collapse-all');
  await page2.$eval(sel.node(B2B), (d) => { d.open = true; });
  final = await shot(page2, 'final', { fullPage: true });

  check(pageErrors.length === 0, `no script errors in the page${pageErrors.length ? `: ${pageErrors.join(' | ')}` : ''}`);
} catch (e) {
  failures++;
  log(`FAIL ${e.stack || e.message}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (mock) await mock.close();
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
if (failures) die(`${failures} check(s) failed (${secs} s)${updateShot ? '; docs/explainer.png was left as it was' : ''}`);
if (updateShot) {
  fs.copyFileSync(final, docsShot);
  log(`     copied ${path.relative(path.resolve(here, '..'), final)} to docs/explainer.png`);
}
console.log(`\nPASS: all checks passed in ${secs} s`);
process.exit(0);
