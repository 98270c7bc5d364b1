// The error-code registry (core/http/errors.c, and the codes only a module
// answers with in its descriptor's .errors): each code has one HTTP status.
// The handlers name their code and the status they expect; here every
// such call in the core and the modules is held to the registry, the
// served document is compared with it, and the server's log must not
// have answered a code with another status than a caller expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : /\.[ch]$/.test(e.name) ? [path.join(dir, e.name)] : []);
const SOURCES = [...walk(path.join(ROOT, 'core')), ...walk(path.join(ROOT, 'modules'))];
const REGISTRY = SOURCES.find((f) => path.basename(f) === 'errors.c');
// The core's table and the modules' own (the fixture modules are loaded
// by the test server too, so the served document has theirs).
const TABLES = [REGISTRY, ...SOURCES.filter((f) => f.includes(`${path.sep}modules${path.sep}`)),
  ...walk(path.join(ROOT, 'tests/fixtures/modules'))];

function registry() {
  const reg = new Map();
  for (const f of TABLES) {
    for (const m of readFileSync(f, 'utf8').matchAll(/^\t\{ "([a-z_]+)", ([1-5]\d\d),/gm)) {
      assert.ok(!reg.has(m[1]), `${m[1]} is declared twice (${path.relative(ROOT, f)})`);
      reg.set(m[1], Number(m[2]));
    }
  }
  return reg;
}

/**
 * Every place a code is named with a status: the fail calls and the
 * helpers that pass a fixed status (their own status is given here).
 */
function callSites() {
  const sites = [];
  const helpers = { bad: 400, bad_field: 400, rule_fail: 422, run_fail: 422 };
  for (const file of SOURCES) {
    const src = readFileSync(file, 'utf8');
    const at = (i) => `${path.relative(ROOT, file)}:${src.slice(0, i).split('\n').length}`;
    for (const m of src.matchAll(/\b(?:ks_)?fail(?:_detail)?\(\s*\w+,\s*(\d{3}),\s*"([a-z_]+)"/g))
      sites.push({ code: m[2], http: Number(m[1]), at: at(m.index) });
    for (const m of src.matchAll(/\b(bad|bad_field|rule_fail)\(\s*req,\s*"([a-z_]+)"/g))
      sites.push({ code: m[2], http: helpers[m[1]], at: at(m.index) });
    for (const m of src.matchAll(/\brun_fail\(\s*req,\s*\w+,\s*\w+,\s*"([a-z_]+)"/g))
      sites.push({ code: m[1], http: helpers.run_fail, at: at(m.index) });
  }
  return sites;
}

test('the registry is sorted, each code once, each status an HTTP error status', () => {
  const src = readFileSync(REGISTRY, 'utf8');
  const codes = [...src.matchAll(/^\t\{ "([a-z_]+)", (\d+),/gm)].map((m) => m[1]);
  assert.ok(codes.length > 90, `${codes.length} codes`);
  assert.deepEqual(codes, [...codes].sort(), 'ks_error_find searches a sorted table');
  assert.equal(new Set(codes).size, codes.length, 'a code twice');
  for (const [c, h] of registry()) assert.ok(h >= 400 && h < 600, `${c}: ${h}`);
});

test('every code a handler names is registered with the status the handler expects', () => {
  const reg = registry();
  const sites = callSites();
  assert.ok(sites.length > 300, `found only ${sites.length} call sites`);
  const wrong = sites.filter((s) => reg.get(s.code) !== s.http)
    .map((s) => `${s.at}: ${s.code} ${s.http}, registry ${reg.get(s.code) ?? 'none'}`);
  assert.deepEqual(wrong, []);
});

test('the document serves the registry; the server never answered a code with another status', async () => {
  const res = await call('GET', '/api/openapi.json');
  assert.equal(res.status, 200);
  const served = res.json.components['x-error-codes'];
  const reg = registry();
  assert.deepEqual(Object.keys(served).sort(), [...reg.keys()].sort());
  for (const [c, h] of reg) {
    assert.equal(served[c].status, h, c);
    assert.ok(served[c].description.length > 5, c);
  }
  // A code answered with another status than its caller said is logged.
  const log = path.join(ROOT, 'var/test/kasusd.log');
  if (existsSync(log)) {
    const bad = readFileSync(log, 'utf8').split('\n').filter((l) => /error registry: code \w+ is \d+, a caller/.test(l));
    assert.deepEqual(bad, []);
  }
});
