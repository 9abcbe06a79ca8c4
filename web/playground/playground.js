// The lawcode playground: the library compiled to WebAssembly (pkg/, written by
// bindings/wasm/build.sh) checks the rule file as you type and evaluates the case, in the
// browser. Plain ES2020, no dependencies; nothing is sent anywhere.
import { entry, files, examples } from './bundle.js';

const $ = (sel) => document.querySelector(sel);

// The module. A trap (the browser's stack exhausted by a very deeply nested input) leaves an
// instance unusable, so the page answers with a diagnostic and loads a fresh one.
let api = null;
let instances = 0;
async function load() {
  instances += 1;
  const m = await import(instances === 1 ? './pkg/lawcode_wasm.js' : `./pkg/lawcode_wasm.js?${instances}`);
  await m.default();
  api = m;
}
function call(name, ...args) {
  if (!api) return trapped('the module is restarting; try again');
  try {
    return JSON.parse(api[name](...args));
  } catch (e) {
    api = null;
    load().then(() => { runCheck(); runEvaluate(); }).catch((err) => { $('#status').textContent = `The module could not restart: ${err}`; });
    return trapped(`the browser could not finish (${e.message}): the input nests or chains too deeply for WebAssembly's stack`);
  }
}
function trapped(message) {
  return { ok: false, diagnostics: [{ code: 'lawcode::wasm::trap', severity: 'error', message, help: null, file: null, labels: [], citation: null }] };
}
const DEBOUNCE_MS = 250;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

function debounce(fn, ms) {
  let t = null;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}

// Offsets in the diagnostics are UTF-8 bytes; a textarea counts UTF-16 code units.
function byteToIndex(bytes, offset) {
  return new TextDecoder().decode(bytes.subarray(0, Math.min(offset, bytes.length))).length;
}

const rules = $('#rules');
const backdrop = $('#rules-backdrop');
const factsBox = $('#facts');
const asOf = $('#as-of');
let lastCheck = null;

function options() {
  const others = {};
  for (const [path, text] of Object.entries(files)) if (path !== entry) others[path] = text;
  const o = { path: entry, files: others, with_text: false };
  const date = asOf.value.trim();
  if (date) o.as_of = date;
  return JSON.stringify(o);
}

// The diagnostics' ranges in the entry file, as [start, end, severity] in UTF-16 indices.
function ranges(diagnostics, text) {
  const bytes = new TextEncoder().encode(text);
  const out = [];
  for (const d of diagnostics) {
    if (d.file !== entry) continue;
    for (const l of d.labels.slice(0, 1)) {
      const start = byteToIndex(bytes, l.offset);
      const end = Math.max(byteToIndex(bytes, l.offset + l.length), start + 1);
      out.push([start, end, d.severity]);
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function paintBackdrop(marks) {
  const text = rules.value;
  backdrop.textContent = '';
  let at = 0;
  for (const [start, end, severity] of marks) {
    if (start < at) continue;
    backdrop.append(text.slice(at, start));
    // A mark past the end (an error at the end of the file) marks a space.
    backdrop.append(el('mark', { class: severity, text: text.slice(start, end) || ' ' }));
    at = Math.min(end, text.length);
  }
  backdrop.append(text.slice(at) + '\n ');
  syncScroll();
}

function syncScroll() {
  backdrop.scrollTop = rules.scrollTop;
  backdrop.scrollLeft = rules.scrollLeft;
}

function diagnosticItem(d, select) {
  const label = d.labels[0];
  const where = [d.file, label ? `${label.line}:${label.column}` : null].filter(Boolean).join(':');
  const li = el('li', { class: `diagnostic ${d.severity}`, 'data-code': d.code, tabindex: '0' },
    el('strong', { text: d.severity }), ' ', el('code', { text: d.code }), ' ',
    el('span', { class: 'where', text: [where, d.citation].filter(Boolean).join(' · ') }),
    el('div', { class: 'message', text: d.message }),
    d.help ? el('p', { class: 'help', text: `help: ${d.help}` }) : null);
  if (select) {
    li.addEventListener('click', select);
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(); });
  }
  return li;
}

function runCheck() {
  const text = rules.value;
  const res = call('check', text, options());
  lastCheck = res;
  const marks = ranges(res.diagnostics, text);
  paintBackdrop(marks);
  const list = $('#diagnostics');
  list.textContent = '';
  const bytes = new TextEncoder().encode(text);
  for (const d of res.diagnostics) {
    const l = d.labels[0];
    const select = l && d.file === entry ? () => {
      const start = byteToIndex(bytes, l.offset);
      rules.focus();
      rules.setSelectionRange(start, Math.max(byteToIndex(bytes, l.offset + l.length), start + 1));
    } : null;
    list.append(diagnosticItem(d, select));
  }
  const errors = res.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = res.diagnostics.length - errors;
  const summary = $('#check-summary');
  summary.className = res.ok ? 'ok' : '';
  summary.textContent = res.ok
    ? (warnings ? `checks, with ${warnings} warning${warnings > 1 ? 's' : ''}` : 'checks')
    : `${errors} error${errors > 1 ? 's' : ''}`;
  document.body.dataset.checked = res.ok ? 'ok' : 'error';
  return res;
}

function fmtValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

const KIND_WORDS = {
  version: 'text in force', definition: 'definition', rule: 'rule', exception: 'exception',
  fact: 'fact', not_computed: 'not computed', item: 'item', table: 'table', disregarded: 'disregarded',
  reference: 'as defined in',
};
const GREY = new Set(['not_applicable', 'displaced', 'overridden', 'excluded', 'disregarded']);

function traceNode(n, provisions) {
  const status = n.status || '';
  const d = el('details', {
    class: ['node', GREY.has(status) || n.kind === 'disregarded' ? 'grey' : ''].join(' '),
    'data-citation': n.citation || '', 'data-name': n.name || '',
  });
  d.append(el('summary', {},
    el('span', { class: 'citation', text: n.citation || '' }), ' ',
    el('span', { class: 'kind', text: KIND_WORDS[n.kind] || n.kind || '' }), ' ',
    el('code', { text: n.name || '' }),
    n.kind === 'not_computed' ? ' — not computed'
      : n.value === null || n.value === undefined ? null : [' = ', el('strong', { text: fmtValue(n.value) })],
    status ? ` (${status.replace(/_/g, ' ')})` : null,
    n.detail ? ` ${n.detail}` : null));
  const body = el('div');
  if (n.formula) body.append(el('p', { class: 'formula' }, 'formula ', el('code', { text: n.formula })));
  if (n.notes && n.notes.length) body.append(el('ul', { class: 'notes' }, n.notes.map((t) => el('li', { text: t }))));
  const prov = provisions[n.citation];
  if (prov && prov.text) body.append(el('blockquote', { text: prov.heading ? `${prov.heading}. ${prov.text}` : prov.text }));
  if (n.children && n.children.length) {
    body.append(el('ul', {}, n.children.map((c) => el('li', {}, traceNode(c, provisions)))));
  }
  if (!body.childElementCount) d.classList.add('leaf');
  d.append(body);
  return d;
}

function runEvaluate() {
  const res = call('evaluate', rules.value, factsBox.value, options());
  const list = $('#facts-diagnostics');
  list.textContent = '';
  const tbody = $('#outcomes tbody');
  const summary = $('#result-summary');
  if (!res.ok) {
    tbody.textContent = '';
    $('#missing').textContent = '';
    $('#trace').textContent = '';
    summary.textContent = lastCheck && !lastCheck.ok
      ? 'The rules do not check: see their diagnostics.'
      : 'Not evaluated:';
    // The rules' own problems are listed under the rules, not again here.
    if (!lastCheck || lastCheck.ok) for (const d of res.diagnostics) list.append(diagnosticItem(d, null));
    document.body.dataset.evaluated = 'error';
    return res;
  }
  const r = res.result;
  summary.textContent = `${r.statute}${r.version ? `, text in force: ${r.version}` : ''}`;
  tbody.textContent = '';
  for (const [name, value] of Object.entries(r.outcomes)) {
    tbody.append(el('tr', { 'data-outcome': name },
      el('td', {}, el('code', { text: name })), el('td', { class: 'value', text: fmtValue(value) })));
  }
  const missing = r.missing || [];
  $('#missing').textContent = missing.length
    ? `Missing facts: ${missing.map((m) => (typeof m === 'string' ? m : m.fact || JSON.stringify(m))).join(', ')}`
    : '';
  const trace = $('#trace');
  trace.textContent = '';
  trace.append(el('ul', {}, (r.trace || []).map((n) => el('li', {}, traceNode(n, r.provisions || {})))));
  document.body.dataset.evaluated = 'ok';
  return res;
}

function loadExample(name) {
  factsBox.value = examples[name] || '{}';
}

async function main() {
  await load();
  $('#rules-path').textContent = entry;
  rules.value = files[entry];
  const select = $('#example');
  for (const name of Object.keys(examples)) select.append(el('option', { value: name, text: name }));
  select.value = 'trafficking-floor.json';
  loadExample(select.value);

  const onRules = debounce(() => { runCheck(); runEvaluate(); }, DEBOUNCE_MS);
  const onFacts = debounce(runEvaluate, DEBOUNCE_MS);
  rules.addEventListener('input', () => { paintBackdrop([]); onRules(); });
  rules.addEventListener('scroll', syncScroll);
  factsBox.addEventListener('input', onFacts);
  asOf.addEventListener('input', onFacts);
  select.addEventListener('change', () => { loadExample(select.value); runEvaluate(); });
  $('#evaluate').addEventListener('click', runEvaluate);
  $('#reset-rules').addEventListener('click', () => { rules.value = files[entry]; runCheck(); runEvaluate(); });
  $('#format').addEventListener('click', () => {
    const res = call('format', rules.value, options());
    if (res.ok) rules.value = res.text;
    runCheck();
    runEvaluate();
  });
  $('#expand').addEventListener('click', () => document.querySelectorAll('#trace details').forEach((d) => { d.open = true; }));
  $('#collapse').addEventListener('click', () => document.querySelectorAll('#trace details').forEach((d) => { d.open = false; }));

  runCheck();
  runEvaluate();
  $('#status').textContent = `Ready: lawcode ${api.version()} in WebAssembly.`;
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  $('#status').textContent = `The playground could not start: ${e}`;
  document.body.dataset.ready = 'failed';
});
