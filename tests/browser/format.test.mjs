// Unit checks of the web application's formatting helpers
// (web/src/lib/format.ts, transpiled with the project's TypeScript) and of
// the message files (same keys in German and French, no empty text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { catalog, messageFiles } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(ROOT, 'web', 'package.json'));
const ts = require('typescript');

async function loadTs(rel) {
  const src = readFileSync(path.join(ROOT, rel), 'utf8');
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kasus-fmt-'));
  const file = path.join(dir, path.basename(rel).replace(/\.ts$/, '.mjs'));
  writeFileSync(file, out.outputText);
  return import(pathToFileURL(file).href);
}

const f = await loadTs('web/src/lib/format.ts');

/**
 * Every message of a language (as catalog() in lib.mjs), refusing a key
 * that two files define: an area's file must not change another's text.
 */
const SRC = path.join(ROOT, 'web/src');
const msgFiles = messageFiles;
function checkedCatalog(lang) {
  const all = {};
  for (const n of msgFiles(lang)) {
    const part = JSON.parse(readFileSync(path.join(SRC, n), 'utf8'));
    const twice = Object.keys(part).filter((k) => k in all);
    assert.deepEqual(twice, [], `${n} repeats keys of another message file`);
    Object.assign(all, part);
  }
  return all;
}


test('amounts in Rappen are shown as CHF with the Swiss apostrophe', () => {
  assert.equal(f.formatAmount(123450), "CHF 1'234.50");
  assert.equal(f.formatAmount(0), 'CHF 0.00');
  assert.equal(f.formatAmount(5), 'CHF 0.05');
  assert.equal(f.formatAmount(100), 'CHF 1.00');
  assert.equal(f.formatAmount(-123450), "CHF -1'234.50");
  assert.equal(f.formatAmount(123456789012), "CHF 1'234'567'890.12");
  assert.equal(f.formatAmount(99999), 'CHF 999.99');
  assert.equal(f.formatAmount(100000), "CHF 1'000.00");
  assert.equal(f.formatAmount(123450, false), "1'234.50");
  assert.equal(f.formatAmount(null), '');
  assert.equal(f.formatAmount(Number.NaN), '');
});

// The extremes, with the same strings as tests/unit/test_swiss.c checks
// of the C formatter: the web app and the letters write amounts alike.
test('amounts at the extremes: exact, the sign after "CHF", never an exponent', () => {
  const cases = [
    [0, 'CHF 0.00'], [1, 'CHF 0.01'], [-1, 'CHF -0.01'], [5, 'CHF 0.05'],
    [99, 'CHF 0.99'], [-99, 'CHF -0.99'], [100, 'CHF 1.00'], [-100, 'CHF -1.00'],
    [1234567, "CHF 12'345.67"], [-1234567, "CHF -12'345.67"], [-40000, 'CHF -400.00'],
    [Number.MAX_SAFE_INTEGER, "CHF 90'071'992'547'409.91"],
    [-Number.MAX_SAFE_INTEGER, "CHF -90'071'992'547'409.91"],
    [2 ** 70, "CHF 11'805'916'207'174'113'034.24"],
    [9223372036854775807n, "CHF 92'233'720'368'547'758.07"],
    [-9223372036854775808n, "CHF -92'233'720'368'547'758.08"],
    [-0, 'CHF 0.00'], [-0.4, 'CHF 0.00'], [0.5, 'CHF 0.01'], [-1.5, 'CHF -0.01'],
  ];
  for (const [r, want] of cases) assert.equal(f.formatAmount(r), want, String(r));
  assert.equal(f.formatAmount(-9223372036854775808n, false), "-92'233'720'368'547'758.08");
  for (const bad of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined, '12']) assert.equal(f.formatAmount(bad), '');
  assert.equal(f.formatInteger(2 ** 70), "1'180'591'620'717'411'303'424");
  assert.equal(f.formatInteger(-1234), "-1'234");
  assert.equal(f.formatInteger(-9223372036854775808n), "-9'223'372'036'854'775'808");
  // What the amount fields show parses back to the same Rappen.
  for (const r of [0, 1, 5, 99, 100, 1234567, -1234567, Number.MAX_SAFE_INTEGER])
    assert.equal(f.parseAmount(f.formatAmount(r, false)), r);
});

test('typed amounts parse to Rappen', () => {
  assert.equal(f.parseAmount("1'234.50"), 123450);
  assert.equal(f.parseAmount('CHF 12'), 1200);
  assert.equal(f.parseAmount('1234,5'), 123450);
  assert.equal(f.parseAmount('-0.05'), -5);
  assert.equal(f.parseAmount('12.345'), null);
  assert.equal(f.parseAmount('abc'), null);
  assert.equal(f.parseAmount(''), null);
});

test('integers are grouped with apostrophes', () => {
  assert.equal(f.formatInteger(43900), "43'900");
  assert.equal(f.formatInteger(999), '999');
  assert.equal(f.formatInteger(1000000), "1'000'000");
  assert.equal(f.formatInteger(-1234), "-1'234");
  assert.equal(f.formatInteger(undefined), '');
});

test('dates are dd.mm.yyyy both ways', () => {
  assert.equal(f.formatDate('2026-11-22'), '22.11.2026');
  assert.equal(f.formatDate('2025-01-01'), '01.01.2025');
  assert.equal(f.formatDate(''), '');
  assert.equal(f.formatDate(null), '');
  assert.equal(f.parseDate('01.03.2027'), '2027-03-01');
  assert.equal(f.parseDate('1.3.2027'), '2027-03-01');
  assert.equal(f.parseDate(' 29.02.2028 '), '2028-02-29');
  assert.equal(f.parseDate('29.02.2027'), null);
  assert.equal(f.parseDate('31.04.2027'), null);
  assert.equal(f.parseDate('00.01.2027'), null);
  assert.equal(f.parseDate('2027-03-01'), '2027-03-01');
  assert.equal(f.parseDate('03/01/2027'), null);
  assert.equal(f.parseDate('29.02.1900'), null);
  assert.equal(f.parseDate('29.02.2000'), '2000-02-29');
});

test('server timestamps are shown in Swiss local time', () => {
  // 13:12 UTC in November is 14:12 in Zurich (CET); in July 15:12 (CEST).
  assert.equal(f.formatDateTime('2026-11-22 13:12:06.956929+00'), '22.11.2026 14:12');
  assert.equal(f.formatDateTime('2026-07-01 13:12:06+00'), '01.07.2026 15:12');
  assert.equal(f.formatDateTime('2026-12-31T23:30:00Z'), '01.01.2027 00:30');
  assert.equal(f.formatDate('2026-12-31 23:30:00+00'), '01.01.2027');
  assert.equal(f.formatDateTime('not a date'), 'not a date');
  assert.equal(f.todayIso(new Date('2026-12-31T23:30:00Z')), '2027-01-01');
});

test('AHV numbers are 756.XXXX.XXXX.XX with a valid check digit', () => {
  assert.equal(f.formatAhv('7569217076985'), '756.9217.0769.85');
  assert.equal(f.formatAhv('756.9217.0769.85'), '756.9217.0769.85');
  assert.equal(f.formatAhv('756 9217 0769 85'), '756.9217.0769.85');
  assert.equal(f.formatAhv('75692170769'), '75692170769');
  assert.equal(f.formatAhv(''), '');
  assert.equal(f.isValidAhv('756.9217.0769.85'), true);
  assert.equal(f.isValidAhv('756.9217.0769.84'), false);
  assert.equal(f.isValidAhv('7569217076985'), true);
  assert.equal(f.isValidAhv('123.9217.0769.85'), false);
  assert.equal(f.isValidAhv('756.9217.0769'), false);
  assert.equal(f.ahvDigits('756.1234.5678.97'), '7561234567897');
  assert.equal(f.isValidAhv('756.1234.5678.97'), true);
});

test('the German and French message files have the same keys and no empty text', () => {
  assert.deepEqual(msgFiles('fr').map((n) => n.replace(/(^|\/)fr\./, '$1.')), msgFiles('de').map((n) => n.replace(/(^|\/)de\./, '$1.')), 'each area has both languages');
  const de = checkedCatalog('de');
  const fr = checkedCatalog('fr');
  assert.ok('dossier.number' in de, 'the area files (de.dossier.json ...) are read');
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(de).sort());
  for (const [lang, cat] of [['de', de], ['fr', fr]]) {
    for (const [k, v] of Object.entries(cat)) {
      assert.equal(typeof v, 'string', `${lang} ${k}`);
      assert.ok(v.trim().length > 0, `${lang} ${k} is empty`);
      // Placeholders must match between the languages.
      const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
      assert.equal(ph(v), ph(de[k]), `${lang} ${k}: placeholders differ from German`);
    }
  }
});

test('every API error code the server sends has a message in both languages', () => {
  // The error-code registry (core/http/errors.c, wherever the core's folders
  // put it) is every code the server answers with; tests/api/errors.test.mjs
  // holds the handlers to it and /api/openapi.json serves it.
  const de = catalog('de');
  const fr = catalog('fr');
  const codes = registryCodes();
  assert.ok(codes.length > 90, `found only ${codes.length} codes`);
  const missing = codes.filter((c) => !(`error.${c}` in de) || !(`error.${c}` in fr)).sort();
  assert.deepEqual(missing, [], `error codes without a message: ${missing.join(', ')}`);
});

/** The codes of the registry (core's errors.c and each module's own .errors), from their C tables. */
function registryCodes() {
  const find = (dir, want) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? find(path.join(dir, e.name), want) : want(e.name) ? [path.join(dir, e.name)] : []);
  const files = [...find(path.join(ROOT, 'core'), (n) => n === 'errors.c'),
    ...find(path.join(ROOT, 'modules'), (n) => n.endsWith('.c'))];
  return files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\t\{ "([a-z_]+)", [1-5]\d\d,/gm)].map((m) => m[1]));
}

test('every error code of the dossier workflow (Sozialhilfe module) has a message in both languages', () => {
  const de = catalog('de');
  const fr = catalog('fr');
  const codes = new Set();
  for (const name of ['sh_dossier.c', 'sh_budget.c', 'sh_worklist.c']) {
    const src = readFileSync(path.join(ROOT, 'modules/sozialhilfe', name), 'utf8');
    for (const m of src.matchAll(/ks->fail(?:_detail)?\(\s*req,\s*\d{3},\s*"([a-z_]+)"/g)) codes.add(m[1]);
  }
  // other_team is the one dossier access policy's code (core, with its texts).
  codes.delete('other_team');
  assert.ok(codes.has('dossier_not_ready') && codes.has('decision_exists'), [...codes].join());
  const missing = [...codes].filter((c) => !(`error.${c}` in de) || !(`error.${c}` in fr)).sort();
  assert.deepEqual(missing, [], `error codes without a message: ${missing.join(', ')}`);
});
