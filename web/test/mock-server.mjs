// A stand-in for `lawcode serve`, for the page's browser test: serves the three static files as
// the real server does (GET /, /assets/app.js, /assets/style.css) and answers the /v1 API from
// fixtures. Evaluation returns fixtures/sample-eval.json (a real output for
// examples/trafficking-floor.json) for any facts it accepts; it refuses, with the real server's
// 422 shape, facts with unknown keys (e.g. `victm`) and money with more than two decimals.
//
//   node test/mock-server.mjs [PORT]     (default: a free port; prints the URL)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const fixtures = path.join(here, 'fixtures');
const examplesDir = path.resolve(web, '..', 'examples');

const read = (p) => fs.readFileSync(p, 'utf8');
const json = (p) => JSON.parse(read(p));

const statutes = json(path.join(fixtures, 'statutes.json'));
const schemas = { 'usc/18/2259': json(path.join(fixtures, 'schema-usc-18-2259.json')) };
const sampleEval = read(path.join(fixtures, 'sample-eval.json'));

function examples() {
  return fs.readdirSync(examplesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), facts: json(path.join(examplesDir, f)) }));
}

// ------------------------------------------------------------------ a small facts checker

function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function check(schema, facts) {
  const problems = [];
  const resolve = (s) => (s && s.$ref ? schema.$defs[s.$ref.split('/').pop()] : s);
  const walk = (s, v, p) => {
    const r = resolve(s);
    const kind = s['x-lawcode'] ? s['x-lawcode'].type : null;
    if (r.type === 'object' && v && typeof v === 'object' && !Array.isArray(v)) {
      const props = r.properties || {};
      for (const k of Object.keys(v)) {
        const kp = p ? `${p}.${k}` : k;
        if (!(k in props)) {
          const near = Object.keys(props).map((n) => [distance(n, k), n]).sort((a, b) => a[0] - b[0])[0];
          problems.push({
            code: 'lawcode::facts::unknown_key',
            message: p ? `unknown field \`${k}\` of \`${p}\`` : `unknown fact \`${k}\``,
            help: near && near[0] <= 2 ? `did you mean \`${near[1]}\`?` : `the facts are: ${Object.keys(props).join(', ')}`,
            path: kp,
          });
        } else walk(props[k], v[k], kp);
      }
      for (const k of r.required || []) {
        if (!(k in v)) {
          problems.push({ code: 'lawcode::facts::missing', message: `missing required fact \`${p ? `${p}.` : ''}${k}\``, help: 'give it', path: p ? `${p}.${k}` : k });
        }
      }
    } else if (r.type === 'array' && Array.isArray(v)) {
      if (r.minItems && v.length < r.minItems) problems.push({ code: 'lawcode::facts::empty_list', message: `\`${p}\` needs at least ${r.minItems} item`, help: 'add one', path: p });
      v.forEach((item, i) => walk(r.items, item, `${p}[${i}]`));
    } else if (kind === 'money' && typeof v === 'string' && !/^\s*[0-9]+(\.[0-9]{1,2})?\s*$/.test(v)) {
      problems.push({
        code: /^\s*[0-9]+\.[0-9]{3,}\s*$/.test(v) ? 'lawcode::facts::fractional_cents' : 'lawcode::facts::wrong_type',
        message: `\`${p}\` is ${v}, which is not an amount of money with at most two decimals`,
        help: 'money is in dollars and cents, like `1234.56`',
        path: p,
      });
    }
  };
  walk(schema, facts, '');
  return problems;
}

// ------------------------------------------------------------------ the server

const statics = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/assets/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/assets/style.css': ['style.css', 'text/css; charset=utf-8'],
};

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const fail = (res, status, code, message, extra = {}) =>
  send(res, status, { error: Object.assign({ code, message, help: null, path: null, problems: [] }, extra) });

export function createMockServer() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method === 'GET' && statics[url.pathname]) {
      const [file, type] = statics[url.pathname];
      return send(res, 200, read(path.join(web, file)), type);
    }
    if (req.method === 'GET' && url.pathname === '/v1/statutes') return send(res, 200, statutes);
    const m = /^\/v1\/statutes\/(.+)\/(schema|examples|evaluate)$/.exec(url.pathname);
    if (!m) return fail(res, 404, 'lawcode::server::not_found', `no route ${url.pathname}`);
    const id = decodeURIComponent(m[1]);
    if (!schemas[id]) return fail(res, 404, 'lawcode::server::unknown_statute', `no statute \`${id}\``);
    if (m[2] === 'schema' && req.method === 'GET') return send(res, 200, schemas[id]);
    if (m[2] === 'examples' && req.method === 'GET') return send(res, 200, { examples: examples() });
    if (m[2] === 'evaluate' && req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        let facts;
        try { facts = JSON.parse(body); } catch (e) {
          return fail(res, 400, 'lawcode::facts::malformed_json', `the facts are not JSON: ${e.message}`);
        }
        const problems = check(schemas[id], facts);
        if (problems.length) return fail(res, 422, problems[0].code, problems[0].message, { help: problems[0].help, path: problems[0].path, problems });
        send(res, 200, sampleEval);
      });
      return undefined;
    }
    return fail(res, 405, 'lawcode::server::method_not_allowed', `${req.method} not allowed here`);
  });
  return {
    server,
    requests,
    listen(port = 0) {
      return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
    },
    close() { return new Promise((resolve) => server.close(() => resolve())); },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const mock = createMockServer();
  mock.listen(Number(process.argv[2] || 0)).then((url) => console.log(`mock lawcode server on ${url}`));
}
