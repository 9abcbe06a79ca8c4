// lawcode explainer page: a form generated from a statute's facts schema, evaluation through
// the /v1 API, and the trace as a tree of <details>. Plain ES2020, no dependencies.
'use strict';

(() => {
  const API = '/v1';
  const DEBOUNCE_MS = 300;

  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  };

  const state = {
    statutes: [],
    statute: null, // the selected entry of /v1/statutes
    schema: null,
    examples: [],
    root: null, // the controller of the form's top-level record
    mode: 'form',
    seq: 0, // evaluation sequence number: a late answer to an old request is dropped
    abort: null,
    timer: null,
    idCounter: 0,
  };

  // ------------------------------------------------------------------ API

  const statuteUrl = (id, tail) =>
    `${API}/statutes/${id.split('/').map(encodeURIComponent).join('/')}/${tail}`;

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw apiError(res, body);
    return body;
  }

  function apiError(res, body) {
    const err = new Error((body && body.error && body.error.message) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.body = body && body.error ? body.error : null;
    return err;
  }

  // ------------------------------------------------------------------ schema → form

  const uid = (p) => `f-${++state.idCounter}-${p.replace(/[^A-Za-z0-9_-]+/g, '-')}`;

  function resolve(s) {
    let seen = 0;
    while (s && s.$ref && seen++ < 20) {
      const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
      const def = m && state.schema.$defs ? state.schema.$defs[decodeURIComponent(m[1])] : null;
      if (!def) break;
      s = Object.assign({}, def, without(s, '$ref'));
    }
    return s || {};
  }
  const without = (o, key) => { const c = Object.assign({}, o); delete c[key]; return c; };

  // The lawcode kind of a (resolved) schema: x-lawcode.type when given, else inferred from
  // the JSON Schema (list items carry no x-lawcode).
  function kindOf(raw, s) {
    const x = raw['x-lawcode'] && raw['x-lawcode'].type;
    if (x) return x;
    if (s.type === 'object' || s.properties) return 'record';
    if (Array.isArray(s.enum)) return 'enum';
    if (s.type === 'array') return 'list';
    if (s.type === 'boolean') return 'bool';
    if (s.type === 'integer') return 'integer';
    if (s.format === 'date') return 'date';
    if (Array.isArray(s.anyOf)) {
      const num = s.anyOf.find((a) => a.type === 'number');
      return num && num.minimum === 0 ? 'money' : 'decimal';
    }
    if (s.type === 'string' && s.pattern) return 'citation';
    return 'text';
  }

  const stringPattern = (s) => {
    if (s.pattern) return s.pattern;
    const str = (s.anyOf || []).find((a) => a.type === 'string' && a.pattern);
    return str ? str.pattern : null;
  };

  const humanName = (n) => n.replace(/_/g, ' ');
  const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

  // A field controller: { el, get() → value | undefined (left out), set(v), validate() → [problems], path }
  function buildField(raw, path, name, required, labelText) {
    const s = resolve(raw);
    const kind = kindOf(raw, s);
    const provisions = (raw['x-lawcode'] && raw['x-lawcode'].provisions) || [];
    const description = raw.description || s.description || '';
    const hasDefault = Object.prototype.hasOwnProperty.call(raw, 'default');
    const meta = { raw, s, kind, path, name, required, description, provisions, hasDefault, def: raw.default, labelText };
    if (kind === 'record') return buildRecord(meta);
    if (kind === 'list') return buildList(meta);
    return buildLeaf(meta);
  }

  function describe(meta, id) {
    const bits = [];
    if (meta.description) bits.push(el('span', { class: 'desc', text: meta.description }));
    if (meta.provisions.length) {
      bits.push(el('small', { class: 'provisions' }, 'Read by ', meta.provisions.join('; ')));
    }
    return el('span', { class: 'field-meta', id }, bits);
  }

  function errorSlot(path) {
    return el('p', { class: 'field-error', 'data-error-for': path, id: uid('err-' + path), hidden: true });
  }

  function titleOf(meta) {
    return meta.labelText || humanName(meta.name);
  }

  function buildRecord(meta) {
    const { s, path } = meta;
    const props = s.properties || {};
    const req = new Set(s.required || []);
    const err = errorSlot(path);
    const fs = el('fieldset', { class: 'record', 'data-path-group': path || '(facts)' });
    if (path) {
      fs.append(el('legend', {}, el('span', { class: 'name', text: titleOf(meta) }),
        meta.required ? el('abbr', { class: 'req', title: 'required', text: '*' }) : null));
      fs.append(describe(meta, uid('d-' + path)));
    }
    fs.append(err);
    const children = {};
    for (const [k, sub] of Object.entries(props)) {
      const child = buildField(sub, path ? `${path}.${k}` : k, k, req.has(k));
      children[k] = child;
      fs.append(child.el);
    }
    return {
      el: fs, path, meta, children, err,
      get() {
        const out = {};
        for (const [k, c] of Object.entries(children)) {
          const v = c.get();
          if (v !== undefined) out[k] = v;
        }
        if (!Object.keys(out).length && !meta.required && path) return undefined;
        return out;
      },
      set(v) {
        const obj = v && typeof v === 'object' && !Array.isArray(v) ? v : {};
        for (const [k, c] of Object.entries(children)) c.set(obj[k]);
        return Object.keys(obj).filter((k) => !(k in children)).map((k) => (path ? `${path}.${k}` : k));
      },
      validate() {
        return Object.values(children).flatMap((c) => c.validate());
      },
    };
  }

  function buildList(meta) {
    const { s, path, raw } = meta;
    const itemRaw = s.items || {};
    const itemS = resolve(itemRaw);
    const itemKind = kindOf(itemRaw, itemS);
    const minItems = s.minItems || 0;
    const err = errorSlot(path);
    const itemsBox = el('ol', { class: 'list-items' });
    const itemWord = humanName(itemRaw.$ref ? itemRaw.$ref.split('/').pop() : 'item');
    const items = [];
    const addBtn = el('button', { type: 'button', class: 'secondary add controls', 'data-add-for': path, text: `Add ${itemWord}` });
    const fs = el('fieldset', { class: 'list', 'data-path-group': path },
      el('legend', {}, el('span', { class: 'name', text: titleOf(meta) }),
        meta.required ? el('abbr', { class: 'req', title: 'required', text: '*' }) : null,
        minItems ? el('small', { class: 'hint', text: ` (at least ${minItems})` }) : null),
      describe(meta, uid('d-' + path)), err, itemsBox, addBtn);

    function renumber() {
      items.forEach((it, i) => it.relabel(i));
    }
    function add(value, focus) {
      const li = el('li', { class: 'list-item' });
      const holder = { li, ctrl: null };
      const idx = items.length;
      const make = (i) => {
        const p = `${path}[${i}]`;
        const ctrl = buildField(itemRaw, p, `${itemWord} ${i + 1}`, true, `${itemWord} ${i + 1}`);
        return ctrl;
      };
      holder.ctrl = make(idx);
      const rm = el('button', { type: 'button', class: 'secondary remove controls', text: 'Remove' });
      rm.addEventListener('click', () => {
        const i = items.indexOf(holder);
        const values = items.map((it) => it.ctrl.get());
        values.splice(i, 1);
        rebuild(values);
        changed();
        const next = items[Math.min(i, items.length - 1)];
        (next ? next.li.querySelector('input,select,button') : addBtn).focus();
      });
      holder.rm = rm;
      holder.relabel = (i) => {
        rm.setAttribute('aria-label', `Remove ${itemWord} ${i + 1}`);
      };
      li.append(holder.ctrl.el, rm);
      itemsBox.append(li);
      items.push(holder);
      holder.relabel(idx);
      if (value !== undefined) holder.ctrl.set(value);
      if (focus) { const f = li.querySelector('input,select'); if (f) f.focus(); }
      return holder;
    }
    function rebuild(values) {
      items.splice(0).forEach((it) => it.li.remove());
      values.forEach((v) => add(v));
      renumber();
    }
    addBtn.addEventListener('click', () => {
      add(itemKind === 'record' ? {} : undefined, true);
      changed();
    });
    if (minItems) for (let i = 0; i < minItems; i++) add(itemKind === 'record' ? {} : undefined);
    return {
      el: fs, path, meta, err,
      get() {
        const vals = items.map((it) => {
          const v = it.ctrl.get();
          return v === undefined ? (itemKind === 'record' ? {} : '') : v;
        });
        if (!vals.length && !meta.required) return undefined;
        return vals;
      },
      set(v) {
        const arr = Array.isArray(v) ? v : [];
        const unknown = [];
        rebuild(arr.length || !minItems ? arr : Array.from({ length: minItems }, () => (itemKind === 'record' ? {} : undefined)));
        return unknown;
      },
      validate() {
        const probs = items.flatMap((it) => it.ctrl.validate());
        if (items.length < minItems) probs.push({ path, message: `give at least ${minItems}`, client: true });
        return probs;
      },
    };
  }

  function buildLeaf(meta) {
    const { s, kind, path, required, hasDefault, def } = meta;
    const id = uid(path);
    const descId = uid('d-' + path);
    const err = errorSlot(path);
    const describedBy = `${descId} ${err.id}`;
    const optional = !required;
    let input;
    const common = { id, name: path, 'data-path': path, 'data-kind': kind, 'aria-describedby': describedBy };
    if (kind === 'bool') {
      input = el('input', Object.assign({ type: 'checkbox' }, common));
    } else if (kind === 'enum') {
      const opts = [];
      if (optional) {
        opts.push(el('option', { value: '', text: hasDefault ? `— leave out (default: ${show(def)}) —` : '— leave out —' }));
      } else {
        opts.push(el('option', { value: '', text: '— choose —' }));
      }
      for (const v of s.enum || []) opts.push(el('option', { value: v, text: humanName(v) }));
      input = el('select', Object.assign({ required: !optional }, common), opts);
    } else {
      const attrs = Object.assign({ type: kind === 'date' ? 'date' : 'text', autocomplete: 'off', spellcheck: 'false', required: !optional }, common);
      if (kind === 'money' || kind === 'decimal') attrs.inputmode = 'decimal';
      if (kind === 'integer') attrs.inputmode = 'numeric';
      const ph = hasDefault ? `${show(def)} (default)` : optional ? 'leave empty to leave out' : '';
      if (ph && kind !== 'date') attrs.placeholder = ph;
      if (kind === 'money') attrs.placeholder = hasDefault ? `${show(def)} (default)` : optional ? 'e.g. 1234.56, or empty' : 'e.g. 1234.56';
      if (kind === 'citation' && !attrs.placeholder) attrs.placeholder = 'e.g. 2252A(a)(5)(B)';
      input = el('input', attrs);
    }
    const label = el('label', { for: id, class: kind === 'bool' ? 'inline' : '' },
      el('span', { class: 'name', text: titleOf(meta) }),
      required ? el('abbr', { class: 'req', title: 'required', text: '*' }) : null,
      kind === 'money' ? el('span', { class: 'unit', text: ' ($)' }) : null);
    const wrap = el('div', { class: `field field-${kind}` });
    if (kind === 'bool') {
      wrap.append(el('div', { class: 'check' }, input, label));
      if (hasDefault) wrap.append(el('small', { class: 'hint', text: `default: ${def ? 'yes' : 'no'}` }));
    } else {
      wrap.append(label, input);
    }
    wrap.append(describe(meta, descId), err);

    const pattern = stringPattern(s);
    const re = pattern ? safeRegExp(pattern) : null;
    return {
      el: wrap, path, meta, err, input,
      get() {
        if (kind === 'bool') {
          const v = input.checked;
          if (hasDefault && v === def) return undefined;
          if (!hasDefault && optional && !v) return undefined;
          return v;
        }
        const text = input.value.trim();
        if (text === '') return undefined;
        if (kind === 'integer' && /^-?[0-9]+$/.test(text)) return Number(text);
        return text;
      },
      set(v) {
        if (kind === 'bool') input.checked = v === undefined || v === null ? Boolean(def) : Boolean(v);
        else if (v === undefined || v === null) input.value = '';
        else if (kind === 'enum' && !(s.enum || []).includes(v)) {
          // keep an unknown value visible so the server's diagnostic names it
          input.append(el('option', { value: String(v), text: `${v} (not a known value)` }));
          input.value = String(v);
        } else input.value = String(v);
        return [];
      },
      validate() {
        if (kind === 'bool') return [];
        const text = input.value.trim();
        if (text === '') {
          if (required) return [{ path, message: kind === 'enum' ? 'choose a value' : 'this fact is required', client: true }];
          return [];
        }
        if (kind === 'money' && re && !re.test(text)) {
          return [{ path, message: `${text} is not an amount of money: dollars, then at most two decimals (like 1234.56)`, client: true }];
        }
        if (kind === 'date' && !validDate(text)) {
          return [{ path, message: `${text} is not a date (YYYY-MM-DD)`, client: true }];
        }
        if (kind === 'integer' && !/^-?[0-9]+$/.test(text)) {
          return [{ path, message: `${text} is not a whole number`, client: true }];
        }
        if (kind !== 'money' && kind !== 'date' && re && !re.test(text)) {
          return [{ path, message: kind === 'citation' ? `${text} is not a provision citation (like 2252A(a)(5)(B))` : `${text} is not in the expected form`, client: true }];
        }
        return [];
      },
    };
  }

  function safeRegExp(p) {
    try { return new RegExp(p, 'u'); } catch (_) { try { return new RegExp(p); } catch (_e) { return null; } }
  }
  function validDate(t) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
    if (!m) return false;
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
  }

  function renderForm() {
    const box = $('#fields');
    box.textContent = '';
    state.idCounter = 0;
    const top = Object.assign({}, state.schema, { 'x-lawcode': { type: 'record', provisions: [] } });
    state.root = buildField(top, '', 'facts', true);
    box.append(state.root.el);
  }

  // ------------------------------------------------------------------ facts: form ⇄ JSON

  const formFacts = () => state.root.get() || {};

  function setFacts(facts, { fromJson = false } = {}) {
    const unknown = state.root.set(facts);
    if (!fromJson) $('#facts-json').value = JSON.stringify(facts, null, 2);
    const note = unknown.length ? `Not a fact the form knows, kept only in the JSON view: ${unknown.join(', ')}` : '';
    setJsonNote(note);
    clearFieldErrors();
  }

  function setJsonNote(text) {
    const p = $('#json-error');
    p.textContent = text;
    p.hidden = !text;
  }

  // The facts to evaluate: the form's, or the JSON text's (null with an error when not JSON).
  function currentFacts() {
    if (state.mode === 'json') {
      const text = $('#facts-json').value;
      try {
        return { facts: JSON.parse(text), text };
      } catch (e) {
        return { error: `The facts are not valid JSON: ${e.message}` };
      }
    }
    const facts = formFacts();
    return { facts, text: JSON.stringify(facts) };
  }

  function setMode(mode) {
    if (mode === state.mode) return;
    if (mode === 'form') {
      const text = $('#facts-json').value.trim();
      if (text) {
        let facts;
        try { facts = JSON.parse(text); } catch (e) {
          setJsonNote(`Fix the JSON before switching to the form: ${e.message}`);
          $('#mode-json').checked = true;
          $('#facts-json').focus();
          return;
        }
        setFacts(facts, { fromJson: true });
        // the server's verdict on these facts still stands: show it beside the fields
        const box = $('#error-summary');
        if (!box.hidden && state.lastProblems) showProblems(state.lastProblems.problems, { heading: state.lastProblems.heading, focus: false });
      }
    } else {
      $('#facts-json').value = JSON.stringify(formFacts(), null, 2);
      setJsonNote('');
    }
    state.mode = mode;
    $('#form-view').hidden = mode !== 'form';
    $('#json-view').hidden = mode !== 'json';
    $(mode === 'form' ? '#mode-form' : '#mode-json').checked = true;
  }

  // ------------------------------------------------------------------ errors

  function clearFieldErrors() {
    document.querySelectorAll('#fields [data-error-for]').forEach((p) => { p.textContent = ''; p.hidden = true; });
    document.querySelectorAll('#fields [aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
  }

  // The error slot for `path`, or for the nearest enclosing field that has one.
  function slotFor(path) {
    let p = path || '';
    while (p) {
      const slot = document.querySelector(`#fields [data-error-for="${cssEscape(p)}"]`);
      if (slot) return { slot, exact: p === path };
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut > 0 ? p.slice(0, cut) : '';
    }
    return null;
  }
  const cssEscape = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&'));

  function showProblems(problems, { heading, focus }) {
    state.lastProblems = { problems, heading };
    clearFieldErrors();
    const list = el('ul');
    for (const pr of problems) {
      const found = pr.path ? slotFor(pr.path) : null;
      if (found) {
        const { slot, exact } = found;
        const msg = (exact ? '' : `${pr.path}: `) + pr.message + (pr.help ? ` — ${pr.help}` : '');
        slot.textContent = slot.textContent ? `${slot.textContent}; ${msg}` : msg;
        slot.hidden = false;
        const input = document.querySelector(`#fields [data-path="${cssEscape(pr.path)}"]`);
        if (input) input.setAttribute('aria-invalid', 'true');
      }
      const text = `${pr.message}${pr.help ? ` — ${pr.help}` : ''}`;
      const li = el('li', { 'data-problem-path': pr.path || '' });
      if (pr.path) {
        li.append(el('a', {
          href: '#', class: 'goto', text: pr.path,
          onclick: (ev) => { ev.preventDefault(); gotoField(pr.path); },
        }), ': ');
      }
      li.append(text);
      if (pr.code) li.append(' ', el('code', { class: 'code', text: pr.code }));
      list.append(li);
    }
    const box = $('#error-summary');
    box.textContent = '';
    box.append(el('h3', { text: heading }), list);
    box.hidden = false;
    if (focus) box.focus();
  }

  function hideProblems() {
    const box = $('#error-summary');
    box.hidden = true;
    box.textContent = '';
    state.lastProblems = null;
    clearFieldErrors();
  }

  function gotoField(path) {
    if (state.mode !== 'form') setMode('form');
    const target = document.querySelector(`#fields [data-path="${cssEscape(path)}"]`) ||
      (slotFor(path) && slotFor(path).slot.closest('fieldset,.field'));
    if (!target) return;
    target.scrollIntoView({ block: 'center' });
    const f = target.matches('input,select,textarea') ? target : target.querySelector('input,select,textarea,button');
    if (f) f.focus();
  }

  // ------------------------------------------------------------------ evaluation

  function scheduleEvaluate() {
    clearTimeout(state.timer);
    if (!$('#live').checked) return;
    state.timer = setTimeout(() => evaluate({ live: true }), DEBOUNCE_MS);
  }

  function changed() {
    if (state.mode === 'form') $('#facts-json').value = JSON.stringify(formFacts(), null, 2);
    scheduleEvaluate();
  }

  async function evaluate({ live = false } = {}) {
    clearTimeout(state.timer);
    if (!state.statute || !state.root) return;
    const cur = currentFacts();
    if (cur.error) {
      setJsonNote(cur.error);
      showProblems([{ message: cur.error }], { heading: 'The facts could not be read', focus: !live });
      return;
    }
    if (state.mode === 'form') {
      const probs = state.root.validate();
      if (probs.length) {
        showProblems(probs, { heading: `Fix ${probs.length === 1 ? 'this field' : `these ${probs.length} fields`} first`, focus: !live });
        setStatus('Not evaluated: some facts need fixing.');
        return;
      }
    } else {
      setJsonNote('');
    }
    updateHash(cur.facts);
    if (state.abort) state.abort.abort();
    const ctrl = new AbortController();
    state.abort = ctrl;
    const seq = ++state.seq;
    const results = $('#results');
    results.setAttribute('aria-busy', 'true');
    setStatus('Evaluating…');
    try {
      const res = await fetch(statuteUrl(state.statute.id, 'evaluate?trace=true'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: cur.text,
        signal: ctrl.signal,
      });
      const body = await res.json().catch(() => null);
      if (seq !== state.seq) return;
      if (!res.ok) {
        const e = (body && body.error) || { message: `${res.status} ${res.statusText}` };
        const problems = Array.isArray(e.problems) && e.problems.length ? e.problems : [e];
        showProblems(problems, {
          heading: res.status === 422 ? `The rules refuse ${problems.length === 1 ? 'this fact' : `these ${problems.length} facts`}` : `The server answered ${res.status}`,
          focus: !live,
        });
        setStatus(`Not evaluated: ${e.message}`);
        results.classList.add('stale');
        return;
      }
      hideProblems();
      renderResult(body);
      if (!live) results.focus({ preventScroll: true });
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (seq !== state.seq) return;
      showProblems([{ message: `Could not reach the server: ${e.message}` }], { heading: 'No answer', focus: !live });
      setStatus('Not evaluated: the server did not answer.');
    } finally {
      if (seq === state.seq) results.removeAttribute('aria-busy');
    }
  }

  function setStatus(text) { $('#results-status').textContent = text; }

  function fmtValue(v) {
    if (v === null || v === undefined) return 'not determined';
    if (v === true) return 'yes';
    if (v === false) return 'no';
    if (Array.isArray(v)) return v.length ? v.map(fmtValue).join(', ') : '(none)';
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function renderResult(r) {
    const results = $('#results');
    results.classList.remove('stale');
    const described = new Map((state.statute.outcomes || []).map((o) => [o.name, o]));
    const tbody = $('#outcomes tbody');
    tbody.textContent = '';
    const names = Object.keys(r.outcomes || {});
    for (const name of names) {
      const v = r.outcomes[name];
      const o = described.get(name) || {};
      tbody.append(el('tr', { 'data-outcome': name, class: v === null ? 'undetermined' : '' },
        el('th', { scope: 'row', class: 'name' }, el('code', { text: name })),
        el('td', { class: `value type-${o.type || 'unknown'}`, text: fmtValue(v) }),
        el('td', { class: 'description', text: o.description || '' })));
    }
    $('#outcomes').hidden = false;
    $('#outcomes caption').textContent = `Outcomes under ${r.statute}, text in force from ${r.version}`;
    const missing = $('#missing');
    if (r.missing && r.missing.length) {
      missing.textContent = `Not determined because these facts were not given: ${r.missing.join(', ')}.`;
      missing.hidden = false;
    } else {
      missing.hidden = true;
    }
    const main = names.includes('restitution_amount') ? 'restitution_amount' : names[0];
    setStatus(`Evaluated under ${r.statute} (text from ${r.version})` +
      (main ? `: ${main} is ${fmtValue(r.outcomes[main])}.` : '.') +
      (r.missing && r.missing.length ? ` ${r.missing.length} fact${r.missing.length > 1 ? 's' : ''} missing.` : ''));
    renderTrace(r.trace || [], r.provisions || {});
  }

  // ------------------------------------------------------------------ trace tree

  const GREY = new Set(['not_applicable', 'displaced', 'overridden', 'excluded', 'disregarded']);
  const KIND_WORDS = {
    version: 'text in force', definition: 'definition', rule: 'rule', exception: 'exception',
    fact: 'fact', not_computed: 'not computed', item: 'item', table: 'table', disregarded: 'disregarded',
    reference: 'as defined in',
  };

  function renderTrace(nodes, provisions) {
    const box = $('#trace');
    const open = new Set([...box.querySelectorAll('details[open]')].map((d) => d.dataset.key));
    const first = !box.childElementCount;
    box.textContent = '';
    const ul = el('ul', { class: 'tree', role: 'list' });
    nodes.forEach((n, i) => ul.append(el('li', {}, node(n, provisions, String(i), 0, open, first))));
    box.append(ul);
    $('#trace-region').hidden = false;
  }

  function node(n, provisions, key, depth, open, first) {
    const status = n.status || '';
    const grey = GREY.has(status) || n.kind === 'disregarded';
    const d = el('details', {
      'data-citation': n.citation || '', 'data-kind': n.kind || '', 'data-status': status || null,
      'data-name': n.name || '', 'data-key': key,
      class: ['node', `kind-${n.kind}`, status ? `status-${status}` : '', grey ? 'grey' : '', n.kind === 'not_computed' ? 'not-computed' : ''].join(' '),
    });
    if (open.has(key)) d.open = true;
    const summary = el('summary', {},
      el('span', { class: 'citation', text: n.citation || '' }), ' ',
      el('span', { class: `kind badge kind-${n.kind}`, text: KIND_WORDS[n.kind] || humanName(n.kind || '') }), ' ',
      el('code', { class: 'node-name', text: n.name || '' }),
      n.kind === 'not_computed' ? el('span', { class: 'value not-computed', text: ' — not computed' })
        : el('span', { class: 'value' }, ' = ', el('strong', { text: fmtValue(n.value) })),
      status ? [' ', el('span', { class: `status badge status-${status}`, text: humanName(status) })] : null,
      n.detail ? el('span', { class: 'detail', text: n.detail }) : null);
    d.append(summary);
    const body = el('div', { class: 'node-body' });
    if (n.formula) body.append(el('p', { class: 'formula' }, el('span', { class: 'label', text: 'Formula ' }), el('code', { text: n.formula })));
    if (n.notes && n.notes.length) body.append(el('ul', { class: 'notes' }, n.notes.map((t) => el('li', { text: t }))));
    const prov = provisions[n.citation];
    if (prov && (prov.heading || prov.text)) {
      body.append(el('figure', { class: 'provision' },
        el('figcaption', {}, el('span', { class: 'citation', text: n.citation }), prov.heading ? ` — ${prov.heading}` : ''),
        prov.text ? el('blockquote', { class: 'statute-text', text: prov.text }) : el('p', { class: 'hint', text: '(no text of its own: see its subdivisions)' })));
    }
    if (n.children && n.children.length) {
      const ul = el('ul', { class: 'tree', role: 'list' });
      n.children.forEach((c, i) => ul.append(el('li', {}, node(c, provisions, `${key}.${i}`, depth + 1, open, first))));
      body.append(ul);
    }
    if (!body.childElementCount) d.classList.add('leaf');
    d.append(body);
    return d;
  }

  function setAllOpen(open) {
    document.querySelectorAll('#trace details').forEach((d) => { d.open = open; });
  }

  // ------------------------------------------------------------------ URL

  function b64urlEncode(text) {
    const bytes = new TextEncoder().encode(text);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function b64urlDecode(s) {
    const b = s.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b + '='.repeat((4 - (b.length % 4)) % 4));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  }

  function readHash() {
    const h = location.hash.replace(/^#/, '');
    if (!h) return {};
    const out = {};
    for (const part of h.split('&')) {
      const i = part.indexOf('=');
      if (i < 0) continue;
      const k = part.slice(0, i);
      const v = part.slice(i + 1);
      if (k === 'statute') out.statute = decodeURIComponent(v);
      if (k === 'facts') {
        try {
          const raw = decodeURIComponent(v);
          out.facts = JSON.parse(raw.trim().startsWith('{') ? raw : b64urlDecode(v));
        } catch (_) { out.factsError = true; }
      }
    }
    return out;
  }

  function caseHash(facts) {
    return `#statute=${state.statute.id.split('/').map(encodeURIComponent).join('/')}&facts=${b64urlEncode(JSON.stringify(facts))}`;
  }

  function updateHash(facts) {
    const h = caseHash(facts);
    if (location.hash !== h) history.replaceState(null, '', h);
  }

  // ------------------------------------------------------------------ statute loading

  async function selectStatute(id, facts) {
    const st = state.statutes.find((s) => s.id === id) || state.statutes[0];
    if (!st) return;
    state.statute = st;
    $('#statute').value = st.id;
    const versions = (st.versions || []).map((v) => `${v.name} from ${v.effective}${v.enacted_by ? ` (${v.enacted_by})` : ''}`).join('; ');
    $('#statute-info').textContent = `${st.citation}, ${st.title}. Texts: ${versions}.`;
    $('#fields').textContent = 'Loading…';
    const [schema, ex] = await Promise.all([
      getJson(statuteUrl(st.id, 'schema')),
      getJson(statuteUrl(st.id, 'examples')).catch(() => ({ examples: [] })),
    ]);
    state.schema = schema;
    state.examples = ex.examples || [];
    renderForm();
    const exSel = $('#example');
    exSel.textContent = '';
    exSel.append(el('option', { value: '', text: state.examples.length ? '— choose an example —' : '(no examples)' }));
    for (const e of state.examples) exSel.append(el('option', { value: e.name, text: e.name }));
    exSel.disabled = !state.examples.length;
    hideProblems();
    if (facts) {
      setFacts(facts);
      const match = state.examples.find((e) => JSON.stringify(e.facts) === JSON.stringify(facts));
      if (match) exSel.value = match.name;
      evaluate({ live: true });
    } else {
      $('#facts-json').value = JSON.stringify(formFacts(), null, 2);
    }
  }

  async function start() {
    try {
      const { statutes } = await getJson(`${API}/statutes`);
      state.statutes = statutes || [];
    } catch (e) {
      showProblems([{ message: `Could not load the statutes: ${e.message}` }], { heading: 'The server did not answer', focus: false });
      return;
    }
    const sel = $('#statute');
    sel.textContent = '';
    for (const s of state.statutes) sel.append(el('option', { value: s.id, text: `${s.citation} — ${s.title}` }));
    const h = readHash();
    if (h.factsError) showProblems([{ message: 'The facts in this link could not be read.' }], { heading: 'Link not understood', focus: false });
    await selectStatute(h.statute || (state.statutes[0] && state.statutes[0].id), h.facts);
    document.body.dataset.ready = 'true';
  }

  // ------------------------------------------------------------------ wiring

  function wire() {
    $('#statute').addEventListener('change', (e) => {
      selectStatute(e.target.value).catch((err) => showProblems([{ message: err.message }], { heading: 'Could not load the statute', focus: true }));
    });
    $('#example').addEventListener('change', (e) => {
      const ex = state.examples.find((x) => x.name === e.target.value);
      if (!ex) return;
      setFacts(ex.facts);
      hideProblems();
      scheduleEvaluate();
    });
    document.querySelectorAll('input[name="mode"]').forEach((r) => r.addEventListener('change', (e) => setMode(e.target.value)));
    const form = $('#facts-form');
    form.addEventListener('submit', (e) => { e.preventDefault(); evaluate({ live: false }); });
    $('#fields').addEventListener('input', changed);
    $('#fields').addEventListener('change', changed);
    $('#facts-json').addEventListener('input', () => {
      const text = $('#facts-json').value;
      try {
        const facts = JSON.parse(text);
        state.root.set(facts);
        setJsonNote('');
        scheduleEvaluate();
      } catch (e) {
        setJsonNote(`Not valid JSON yet: ${e.message}`);
      }
    });
    $('#expand-all').addEventListener('click', () => setAllOpen(true));
    $('#collapse-all').addEventListener('click', () => setAllOpen(false));
    $('#copy-link').addEventListener('click', async () => {
      const cur = currentFacts();
      if (cur.error || !state.statute) return;
      updateHash(cur.facts);
      const url = location.href;
      try {
        await navigator.clipboard.writeText(url);
        $('#link-status').textContent = 'Link copied.';
      } catch (_) {
        $('#link-status').textContent = 'The link is in the address bar.';
      }
    });
    window.addEventListener('hashchange', () => {
      const h = readHash();
      if (!h.facts || !state.statute) return;
      const cur = currentFacts();
      if (!cur.error && JSON.stringify(cur.facts) === JSON.stringify(h.facts) && (!h.statute || h.statute === state.statute.id)) return;
      selectStatute(h.statute || state.statute.id, h.facts);
    });
    // Printing: every node of the tree open; restored afterwards.
    let wasOpen = null;
    window.addEventListener('beforeprint', () => {
      wasOpen = [...document.querySelectorAll('#trace details')].map((d) => d.open);
      setAllOpen(true);
    });
    window.addEventListener('afterprint', () => {
      if (!wasOpen) return;
      document.querySelectorAll('#trace details').forEach((d, i) => { d.open = Boolean(wasOpen[i]); });
      wasOpen = null;
    });
  }

  window.lawcode = { state, evaluate, b64urlEncode, b64urlDecode };
  wire();
  start();
})();
