// The money tables moved from the Sozialhilfe module into the casework
// layer (core migration 0024_money.sql, module migration
// 0011_money.sql). Every test run proves the scripts on a new database;
// this one proves them on a database with data: a scratch database is
// migrated as it was before (without the two), given a service's
// account, runs with booked, one-off and held back-payment lines, the
// marks a run checked, a claim with a bank repayment, a bank file with
// its transactions, a waiting upload, a queued export job and a queued
// bank import; then the two (and 0013_bank.sql, which renames the
// import job) run as the migrator runs them (each in one transaction, as
// the owner role). The
// rows are the core's with their ids, so end-to-end ids and claim
// references stay; views and the eligible costs read the new tables;
// the sh_ tables are gone.
// Environment: KASUS_DB_SUPER, KASUS_DB_OWNER (tests/run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SUPER = process.env.KASUS_DB_SUPER;
const DB = `upg_money_${process.pid}`;
const OWNER = `${(process.env.KASUS_DB_OWNER || '').replace(/dbname=\S+/, '')} dbname=${DB}`;

function psql(conn, args, input) {
  return execFileSync('psql', [conn, '-XqAt', '-v', 'ON_ERROR_STOP=1', ...args],
    { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60000 }).trim();
}

const DATA = String.raw`
insert into canton (code, name) values ('BE', 'Bern');
insert into tenant (canton_id, slug, name) select id, 'upg', 'Upgrade' from canton limit 1 returning id \gset t_
insert into person (tenant_id, last_name, first_name, birth_date, iban, town, country) values (:t_id, 'Alt', 'Anna', '1970-01-01', 'CH9300762011623852957', 'Thun', 'CH') returning id \gset p_
insert into municipality (bfs, name, canton_id, population) select 942, 'Thun', id, 40000 from canton limit 1 on conflict do nothing;
insert into household (tenant_id, name) values (:t_id, 'Alt') returning id \gset h_
insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs) values (:t_id, 'sozialhilfe', :h_id, :p_id, 'ongoing', 942) returning id \gset d_
insert into sh_tenant_account (tenant_id, name, iban, town, country, updated_by) values (:t_id, 'SD', 'CH9300762011623852957', 'Thun', 'CH', 1);
insert into sh_one_off (tenant_id, dossier_id, amount, text, created_by, status, approved_by) values (:t_id, :d_id, 5000, 'Möbel', 1, 'approved', 2) returning id \gset o_
insert into sh_payment_run (tenant_id, month, exec_date, created_by) values (:t_id, '2025-01-01', '2025-01-01', 1) returning id \gset r1_
insert into sh_payment_run (tenant_id, month, exec_date, created_by) values (:t_id, '2025-02-01', '2025-02-01', 1) returning id \gset r2_
insert into sh_payment_line (tenant_id, run_id, dossier_id, kind, source_id, amount, name, town, country, iban, ustrd, for_month) values (:t_id, :r1_id, :d_id, 'support', 1, 100000, 'Anna Alt', 'Thun', 'CH', 'CH9300762011623852957', 'Sozialhilfe 2025-01', '2025-01-01') returning id, end_to_end_id \gset l1_
insert into sh_payment_line (tenant_id, run_id, dossier_id, kind, source_id, amount, name, town, country, iban, ustrd, for_month) values (:t_id, :r1_id, :d_id, 'one_off', :o_id, 5000, 'Anna Alt', 'Thun', 'CH', 'CH9300762011623852957', 'Möbel', NULL);
insert into sh_payment_line (tenant_id, run_id, dossier_id, kind, source_id, amount, name, ustrd, for_month, status, problem) values (:t_id, :r2_id, :d_id, 'back_payment', 1, 700, 'Anna Alt', 'Nachzahlung', '2025-01-01', 'held', 'no_iban');
update sh_one_off set run_id = :r1_id where id = :o_id;
update sh_payment_run set status = 'approved', approved_by = 2, approved_at = now(), msg_id = 'KS1R1', created_ts = '2025-01-01T00:00:00', debtor = '{"name":"SD"}', exported_at = now(), file_sha256 = 'abc', checked_ids = array[:d_id]::bigint[], checked_seqs = '{7}' where id = :r1_id;
update sh_payment_line set status = 'booked', booked_on = '2025-01-02' where id = :l1_id;
insert into sh_claim (tenant_id, dossier_id, amount, reason, instalment, created_by) values (:t_id, :d_id, 30000, 'zu viel', 10000, 1) returning id, reference \gset c_
insert into sh_bank_file (tenant_id, sha256, uploaded_by, entries, booked) values (:t_id, 'f00', 1, 2, 1) returning id \gset f_
insert into sh_bank_entry (tenant_id, key, file_sha256, file_id, cdi, amount, currency, status_code, outcome, line_id, uploaded_by) values (:t_id, 'k1', 'f00', :f_id, 'DBIT', 100000, 'CHF', 'BOOK', 'booked', :l1_id, 1);
insert into sh_bank_entry (tenant_id, key, file_sha256, file_id, cdi, amount, currency, status_code, outcome, claim_id, uploaded_by) values (:t_id, 'k2', 'f00', :f_id, 'CRDT', 10000, 'CHF', 'BOOK', 'repayment', :c_id, 1) returning id \gset e_
insert into sh_repayment (tenant_id, claim_id, amount, paid_on, source, bank_entry_id, created_by) values (:t_id, :c_id, 10000, '2025-03-01', 'bank', :e_id, 1);
update sh_claim set repaid = 10000 where id = :c_id;
insert into sh_bank_upload (tenant_id, body, created_by) values (:t_id, '<x/>', 1);
insert into job (tenant_id, type, key, payload) values (:t_id, 'sozialhilfe.payment_export', 'payment_export:' || :r1_id, jsonb_build_object('run', :r1_id));
insert into job (tenant_id, type, payload) select :t_id, 'sozialhilfe.bank_import', jsonb_build_object('upload', id) from sh_bank_upload;
`;

test('0024_money and 0011_money move a service\'s money rows with their ids', () => {
  assert.ok(SUPER && process.env.KASUS_DB_OWNER, 'KASUS_DB_SUPER and KASUS_DB_OWNER from tests/run.sh');
  const su = SUPER.replace(/dbname=\S+/, 'dbname=postgres');
  psql(su, ['-c', `drop database if exists ${DB}`, '-c', `create database ${DB} owner kasus_owner`]);
  try {
    psql(SUPER.replace(/dbname=\S+/, `dbname=${DB}`), ['-c', 'create extension if not exists pg_trgm']);
    const later = ['0024_money.sql', '0011_money.sql', '0013_bank.sql'];
    // the migrations that came after the move build on it: not part of this upgrade
    const files = (dir) => fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.sql') && !later.includes(f) &&
      !(dir === 'core/sql/migrations' && f > '0026')).sort()
      .map((f) => path.join(ROOT, dir, f));
    for (const f of [...files('core/sql/migrations'), ...files('modules/sozialhilfe/migrations')])
      psql(OWNER, ['-1', '-f', f]);
    psql(OWNER, ['-f', '-'], DATA);
    const before = psql(OWNER, ['-c', "select string_agg(id || ':' || end_to_end_id, ' ' order by id) from sh_payment_line"]);
    const ref = psql(OWNER, ['-c', 'select id || \':\' || reference from sh_claim']);
    for (const f of ['core/sql/migrations/0024_money.sql', 'modules/sozialhilfe/migrations/0011_money.sql',
      'modules/sozialhilfe/migrations/0013_bank.sql'])
      psql(OWNER, ['-1', '-f', path.join(ROOT, f)]);
    const q = (s) => psql(OWNER, ['-c', s]);
    assert.equal(q("select string_agg(id || ':' || end_to_end_id, ' ' order by id) from payment_line"), before);
    assert.equal(q("select string_agg(module || '/' || kind || '/' || status, ' ' order by id) from payment_line"),
      'sozialhilfe/support/booked sozialhilfe/one_off/open sozialhilfe/back_payment/held');
    assert.equal(q("select id || ':' || reference || ':' || repaid from claim"), `${ref}:10000`);
    assert.equal(q(`select (select count(*) from payment_run) || ' ' || (select count(*) from payment_account) || ' '
      || (select count(*) from repayment) || ' ' || (select count(*) from bank_file) || ' ' || (select count(*) from bank_entry)
      || ' ' || (select count(*) from bank_upload)`), '2 1 1 1 2 1');
    // what the approved run checked for back payments is the module's now
    assert.equal(q("select string_agg(cardinality(checked_ids) || '/' || array_to_string(checked_seqs, ','), ' ' order by run_id) from sh_run_check"), '1/7 0/');
    assert.equal(q("select string_agg(coalesce(run_month, '-') || '/' || coalesce(claim_reference, '-'), ' ' order by id) from bank_entry_v"), `2025-01/- -/${ref.split(':')[1]}`);
    assert.equal(q("select string_agg(amount::text, ' ' order by amount) from sh_eligible_costs('2025-01-01', '2025-12-31')"), '-10000 100000');
    assert.equal(q("select count(*) from pg_class where relname in ('sh_payment_run', 'sh_payment_line', 'sh_claim', 'sh_repayment', 'sh_bank_file', 'sh_bank_entry', 'sh_bank_upload', 'sh_tenant_account', 'sh_bank_entry_v')"), '0');
    // payment and import jobs queued before run under the core's names
    assert.equal(q("select string_agg(type || ' ' || state, ', ' order by type) from job"),
      'core.bank_import queued, core.payment_export queued');
    assert.equal(q("select payload->>'upload' = (select id::text from bank_upload) from job where type = 'core.bank_import'"), 't');
    // the marks of held and returned lines work on the core's table
    q("delete from sh_pay_mark");
    q("update payment_line set status = 'returned' where kind = 'support'");
    assert.equal(q('select count(*) from sh_pay_mark'), '1');
  } finally {
    psql(su, ['-c', `drop database if exists ${DB}`]);
  }
});
