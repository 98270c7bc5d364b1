// The OpenAPI document (/api/openapi.json, core/openapi.c): linted with
// Redocly's recommended rules (@redocly/cli from web/node_modules, set up
// by npm ci like the other test packages), complete where the rules do not
// look (ids, success and error answers, security, typed path parameters),
// and true of the answers the server gave while the tests before ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REDOCLY = path.join(ROOT, 'web/node_modules/.bin/redocly');

// Warnings of the recommended rules the document keeps, with the reason.
const ACCEPTED = {
  'info-license': 'the project has not chosen a licence to publish the API under; the document names none rather than a wrong one',
};

const doc = (await call('GET', '/api/openapi.json')).json;
const operations = Object.entries(doc.paths).flatMap(([p, item]) =>
  Object.entries(item).map(([m, op]) => ({ method: m.toUpperCase(), path: p, op })));

test('Redocly\'s recommended rules find no error and only the accepted warnings', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kasus-openapi-'));
  const file = path.join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc, null, 1));
  let out;
  try {
    out = execFileSync(REDOCLY, ['lint', '--extends', 'recommended', '--format', 'json', file], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    });
  } catch (e) {
    out = e.stdout;	// exit status 1 when there are errors: the report says which
  }
  const report = JSON.parse(out.slice(out.indexOf('{')));
  const problems = report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer})`);
  assert.deepEqual(problems.filter((p) => p.startsWith('error')), [], 'errors');
  const warnings = report.problems.filter((p) => p.severity === 'warn' && !(p.ruleId in ACCEPTED));
  assert.deepEqual(warnings.map((p) => `${p.ruleId}: ${p.message}`), [], 'warnings not accepted');
  assert.ok(report.totals.errors === 0);
});

test('every operation has a unique id, a success with its schema, its error answers and its security', () => {
  assert.ok(operations.length >= 150, `${operations.length} operations`);
  assert.ok(doc.servers.length > 0 && doc.servers[0].url);
  const schemes = doc.components.securitySchemes;
  assert.deepEqual(Object.keys(schemes).sort(), ['csrf', 'session', 'token']);
  assert.equal(schemes.session.in, 'cookie');
  assert.equal(schemes.csrf.name, 'X-CSRF-Token');
  assert.equal(schemes.token.scheme, 'bearer');
  const ids = new Set();
  const ref = (r) => r.$ref.split('/').reduce((o, k) => (k === '#' ? doc : o[k]), doc);
  for (const { method, path: p, op } of operations) {
    const what = `${method} ${p}`;
    assert.match(op.operationId, /^[a-z]+[A-Za-z0-9]+$/, what);
    assert.ok(!ids.has(op.operationId), `${what}: ${op.operationId} twice`);
    ids.add(op.operationId);
    const ok = Object.entries(op.responses).filter(([s]) => /^2/.test(s));
    assert.equal(ok.length, 1, what);
    const [, res] = ok[0];
    const schema = Object.values(res.content)[0].schema;
    assert.ok(schema.$ref || schema.type, `${what}: a success schema`);
    if (op.parameters.some((x) => x.name === 'limit')) assert.equal(schema.$ref, '#/components/schemas/Page', what);
    // Errors: each status's answer lists the registry's codes of it.
    for (const [s, r] of Object.entries(op.responses).filter(([s]) => /^[45]/.test(s))) {
      const codes = ref(r).content['application/json'].schema.allOf[1].properties.error.properties.code.enum;
      assert.ok(codes.length > 0, `${what} ${s}`);
      for (const c of codes) assert.equal(doc.components['x-error-codes'][c].status, Number(s), `${what} ${s} ${c}`);
    }
    assert.ok(op.responses['400'] && op.responses['500'] && op.responses.default, what);
    const pub = op.security.length === 0;
    if (!pub) {
      assert.ok(op.responses['401'] && op.responses['403'], `${what}: 401 and 403`);
      const names = op.security.map((s) => Object.keys(s).sort().join('+'));
      assert.ok(names.includes('token'), what);
      assert.ok(names.includes(method === 'GET' ? 'session' : 'csrf+session') || p === '/api/v1/session', `${what}: ${names}`);
    }
    if (op['x-if-match']) assert.ok(op.responses['428'] && op.parameters.some((x) => x.name === 'If-Match'), what);
    if (op.requestBody) assert.ok(op.responses['413'], what);
  }
  // Path parameters as the handlers parse them: an id is an integer.
  const typed = operations.flatMap(({ op }) => op.parameters.filter((x) => x.in === 'path'));
  assert.ok(typed.filter((x) => x.name === 'id').every((x) => x.schema.type === 'integer'));
  assert.ok(typed.filter((x) => ['slug', 'name', 'module', 'file'].includes(x.name)).every((x) => x.schema.type === 'string'));
  // The public routes are the ones that answer without a session.
  const publicOps = operations.filter(({ op }) => op.security.length === 0).map(({ method, path: p }) => `${method} ${p}`).sort();
  assert.deepEqual(publicOps, ['GET /', 'GET /api/openapi.json', 'GET /api/v1/ping', 'GET /assets/{file}', 'GET /healthz', 'GET /metrics', 'POST /api/v1/session']);
});

test('every success the server answered so far is one the document describes', () => {
  // core/openapi.c (ks_openapi_check, test builds) logs each that is not.
  const log = path.join(ROOT, 'var/test/kasusd.log');
  assert.ok(existsSync(log), 'the test server\'s log');
  const bad = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(' openapi: '));
  assert.deepEqual(bad, []);
});

test('kasusd openapi prints the document the server serves, without a server', () => {
  const bin = path.join(ROOT, 'build/asan/kasusd');
  const out = execFileSync(bin, ['openapi'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], cwd: ROOT,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  const printed = JSON.parse(out);
  assert.deepEqual(Object.keys(printed.paths).sort(), Object.keys(doc.paths).sort());
  assert.deepEqual(printed.components['x-error-codes'], doc.components['x-error-codes']);
});

// What runs beside the connection's thread (core/http/http.c, hand_off): the
// writes, and every read that is flagged KS_R_LONG. A signed-in read that
// answers a file (a PDF, a CSV, a pain.001, a document) renders or streams
// it and must be flagged, or it holds up every connection of its worker.
test('writes and the reads that answer a file run on a request thread', () => {
  const missing = [];
  for (const { method, path: p, op } of operations) {
    const file = op.responses?.['200']?.content?.['*/*'] !== undefined;
    const signedIn = !(Array.isArray(op.security) && op.security.length === 0);
    const write = method !== 'GET' && !op['x-read-only'];
    if ((write || (file && signedIn)) && op['x-request-thread'] !== true)
      missing.push(`${method} ${p}`);
  }
  assert.deepEqual(missing, []);
  // and the plain reads stay on the connection's thread
  const plain = operations.filter(({ method, op }) => method === 'GET' && op['x-request-thread']).map(({ path: p }) => p);
  assert.ok(!plain.includes('/api/v1/cases/{id}') && !plain.includes('/api/v1/persons'), plain.join(' '));
  assert.ok(plain.includes('/api/v1/jobs/{id}'), 'a job waited for is long');
});
