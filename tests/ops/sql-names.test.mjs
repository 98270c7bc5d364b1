// Issue 12 item 4: SQL results are read by column name (kasus/db.h:
// ks_db_get, ks_db_str, ks_db_getll, ks_db_isnull), never by number, so a
// changed SELECT list cannot silently shift values. Every C file of the
// core, the modules and the fixture modules is checked: a by-number read
// (PQgetvalue, PQgetisnull) fails here; kasus/db.h itself is the one
// place that calls them. (tests/unit/test_db_names.c checks that an unknown
// name aborts the test build.)
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const BY_NUMBER = /\b(PQgetvalue|PQgetisnull|ks_db_s|ks_db_ll)\s*\(/g;

function cFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...cFiles(rel));
    else if (e.name.endsWith('.c')) out.push(rel);
  }
  return out;
}

const FILES = ['core', 'modules', 'tests/fixtures/modules'].flatMap(cFiles);

test('C files read SQL results by column name only', () => {
  assert.ok(FILES.length > 40, `found only ${FILES.length} C files`);
  const bad = [];
  for (const f of FILES) {
    const lines = fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (BY_NUMBER.test(l)) bad.push(`${f}:${i + 1}: ${l.trim()}`);
      BY_NUMBER.lastIndex = 0;
    });
  }
  assert.deepEqual(bad, [], 'reads by column number');
});

test('the by-name accessors are the SDK header modules include', () => {
  const h = fs.readFileSync(path.join(ROOT, 'core/include/kasus/db.h'), 'utf8');
  for (const fn of ['ks_db_get', 'ks_db_str', 'ks_db_getll', 'ks_db_isnull'])
    assert.match(h, new RegExp(`static inline [a-z ]+\\*?\\n${fn}\\(`));
  const mod = fs.readFileSync(path.join(ROOT, 'core/include/kasus/module.h'), 'utf8');
  assert.match(mod, /#include "kasus\/db.h"/);
});
