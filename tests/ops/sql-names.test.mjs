// Issue 12 item 4: SQL results are read by column name (kasus/db.h:
// ks_db_get, ks_db_str, ks_db_getll, ks_db_isnull), never by number, so a
// changed SELECT list cannot silently shift values. The files below are
// converted; a by-number read (PQgetvalue, PQgetisnull, ks_db_s, ks_db_ll)
// coming back into one of them fails here. Add a file when converting it.
// (tests/unit/test_db_names.c checks that an unknown name aborts the test
// build.)
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const CONVERTED = [
  'core/casework/document.c',
  'core/casework/person.c',
  'core/casework/transfer.c',
  'core/retention/retention.c',
  'core/jobs/job.c',
  'modules/sozialhilfe/sh_worklist.c',
  'core/lib/datakey.c',
  'core/access/access.c',
  'core/rules/rules_load.c',
  'core/module/module.c',
  'core/data/migrate.c',
  'core/data/seed.c',
  'core/access/team.c',
  'core/http/core.c',
  'core/jobs/job_runner.c',
  'core/audit/audit.c',
  'core/rules/rules_data.c',
  'core/access/admin_request.c',
  'core/billing/invoice.c',
  'core/access/auth.c',
  'core/access/admin.c',
  'core/billing/billing.c',
  'core/audit/audit_seal.c',
  'modules/sozialhilfe/sh_letter.c',
  'modules/sozialhilfe/sh_jobs.c',
  'modules/sozialhilfe/sh_budget.c',
  'core/casework/money/payrun.c',
  'core/casework/money/ledger.c',
  'core/casework/money/account.c',
  'modules/sozialhilfe/sh_run.c',
];

const BY_NUMBER = /\b(PQgetvalue|PQgetisnull|ks_db_s|ks_db_ll)\s*\(/g;

test('converted files read SQL results by column name only', () => {
  const bad = [];
  for (const f of CONVERTED) {
    const lines = fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n');
    lines.forEach((l, i) => {
      if (BY_NUMBER.test(l)) bad.push(`${f}:${i + 1}: ${l.trim()}`);
      BY_NUMBER.lastIndex = 0;
    });
  }
  assert.deepEqual(bad, [], 'reads by column number in converted files');
});

test('the by-name accessors are the SDK header modules include', () => {
  const h = fs.readFileSync(path.join(ROOT, 'core/include/kasus/db.h'), 'utf8');
  for (const fn of ['ks_db_get', 'ks_db_str', 'ks_db_getll', 'ks_db_isnull'])
    assert.match(h, new RegExp(`static inline [a-z ]+\\*?\\n${fn}\\(`));
  const mod = fs.readFileSync(path.join(ROOT, 'core/include/kasus/module.h'), 'utf8');
  assert.match(mod, /#include "kasus\/db.h"/);
});
