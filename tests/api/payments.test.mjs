// Sozialhilfe payments: the tenant's payment account, one-off payments
// (four-eyes), monthly payment runs (four-eyes, frozen at approval),
// pain.001.001.09 export validated against the SPS schema, camt.054
// reconciliation (own files and real bank samples), claims with
// repayments, the client account; bad input, permissions, foreign
// tenants and row-level security on every new table.
//
// Dossiers and budgets are made with SQL as the owner role: the test
// needs budgets in far-off months with exactly known amounts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BASE, call, ok, err, show, as, sql, DB_OWNER, DB_APP, freshTenant, createUser, login, rawHead,
  xmllint, painTx, camt054, jobOf,
} from './lib.mjs';
import {
  R, iban, q, makeDossier, allLines, reconcile, newRun, exportRun, setAccount, approveRun, approveOneOff, repay, moneySetUp,
  THUN_ACCOUNT,
} from './money-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const REF = join(here, '..', '..', '..', 'shared', 'refdata');
const XSD = join(REF, 'pain001', 'pain.001.001.09.ch.03.xsd');
const CAMT_XSD = join(REF, 'camt', 'camt.054.001.08.xsd');
const TMP = mkdtempSync(join(tmpdir(), 'kasus-pay-'));

let thun, biel, acc, lead, cw, admin, biAcc, biAdmin, biCw, uid;

// ---------------------------------------------------------------- helpers

/** A dossier of thun (or opts.tenant) made by its case worker. */
function dossier(opts = {}) {
  const t = opts.tenant || thun;
  return makeDossier(t, t === thun ? uid.cw : uid.biCw, opts);
}

before(async () => {
  ({ thun, biel, acc, lead, cw, admin, biAcc, biAdmin, biCw, uid } = await moneySetUp());
});

// ------------------------------------------------------- payment account

test('payment account: tenant admin sets it with If-Match; others read or are refused', async () => {
  const g = ok(await call('GET', '/api/v1/payment-account', { session: acc }), 200);
  assert.equal(g.json.iban, THUN_ACCOUNT.iban);
  const etag = g.headers.get('etag');
  assert.match(etag, /^"\d+"$/);
  ok(await call('GET', '/api/v1/payment-account', { session: lead }), 200);
  err(await call('GET', '/api/v1/payment-account', { session: cw }), 403, 'forbidden');
  // a change needs the ETag
  err(await call('PUT', '/api/v1/payment-account', { session: admin, body: THUN_ACCOUNT }), 428, 'precondition_required');
  err(await call('PUT', '/api/v1/payment-account', { session: admin, headers: { 'if-match': '"999"' }, body: THUN_ACCOUNT }), 409, 'conflict');
  const p = ok(await call('PUT', '/api/v1/payment-account', { session: admin, headers: { 'if-match': etag }, body: { ...THUN_ACCOUNT, iban: 'CH93 0076 2011 6238 5295 7' } }), 200);
  assert.equal(p.json.iban, 'CH9300762011623852957', 'stored normalised');
  assert.notEqual(p.headers.get('etag'), etag);
  err(await call('PUT', '/api/v1/payment-account', { session: acc, body: THUN_ACCOUNT }), 403, 'forbidden');
  err(await call('PUT', '/api/v1/payment-account', { session: cw, body: THUN_ACCOUNT }), 403, 'forbidden');
});

test('payment account: bad input is refused with the field named', async () => {
  const put = (body, extra = {}) => call('PUT', '/api/v1/payment-account', { session: admin, headers: { 'if-match': '*' }, body, ...extra });
  const cases = [
    [{ ...THUN_ACCOUNT, iban: 'CH9300762011623852958' }, 'invalid_iban', 'iban'],
    [{ ...THUN_ACCOUNT, iban: 'CH4431999123000889012' }, 'invalid_iban', 'iban'],	// QR-IBAN
    [{ ...THUN_ACCOUNT, country: 'ch' }, 'invalid_value', 'country'],
    [{ ...THUN_ACCOUNT, bic: 'poficHBEXXX' }, 'invalid_value', 'bic'],
    [{ ...THUN_ACCOUNT, town: undefined }, 'missing_field', 'town'],
    [{ ...THUN_ACCOUNT, name: 42 }, 'invalid_type', 'name'],
    [{ ...THUN_ACCOUNT, name: 'x'.repeat(71) }, 'invalid_length', 'name'],
    [{ ...THUN_ACCOUNT, owner: 'x' }, 'unknown_field', 'owner'],
  ];
  for (const [body, code, field] of cases) {
    const e = err(await put(body), 400, code);
    assert.equal(e.detail.field, field, JSON.stringify(e));
  }
  err(await call('PUT', '/api/v1/payment-account', { session: admin, headers: { 'content-type': 'application/json', 'if-match': '*' }, raw: '{"name":' }), 400, 'malformed_json');
  err(await call('PUT', '/api/v1/payment-account', { session: admin, headers: { 'content-type': 'application/json', 'if-match': '*' }, raw: JSON.stringify({ ...THUN_ACCOUNT, name: 'x'.repeat(20000) }) }), 413, 'body_too_large');
  const g = ok(await call('GET', '/api/v1/payment-account', { session: acc }), 200);
  assert.equal(g.json.iban, THUN_ACCOUNT.iban, 'nothing changed');
});

// ---------------------------------------------------------- one-off payments

test('one-off payments: proposed by a case worker, approved by another person (four-eyes)', async () => {
  const d = dossier({ budgets: [] });
  const creditor = { name: 'Brocki Thun', iban: iban(), street: 'Industriestrasse', house_no: '5', postcode: '3600', town: 'Thun', country: 'CH' };
  const p = ok(await call('POST', `/api/v1/cases/${d.id}/one-off-payments`, { session: cw, body: { amount: 45000, text: 'Möbel', creditor } }), 201);
  assert.equal(p.json.status, 'proposed');
  assert.equal(p.json.amount, 45000);
  assert.equal(p.json.creditor.iban, creditor.iban);
  err(await call('POST', `/api/v1/one-off-payments/${p.json.id}/approve`, { session: cw }), 403, 'forbidden');
  err(await call('POST', `/api/v1/one-off-payments/${p.json.id}/approve`, { session: acc }), 403, 'forbidden');
  // a team lead who proposed it cannot approve it
  const own = ok(await call('POST', `/api/v1/cases/${d.id}/one-off-payments`, { session: lead, body: { amount: 1000, text: 'Ticket' } }), 201);
  assert.equal(own.json.creditor, null, 'no creditor: the applicant');
  err(await call('POST', `/api/v1/one-off-payments/${own.json.id}/approve`, { session: lead }), 403, 'four_eyes_required');
  err(await call('POST', `/api/v1/one-off-payments/${p.json.id}/approve`, { session: lead }), 428, 'precondition_required');
  err(await call('POST', `/api/v1/one-off-payments/${p.json.id}/approve`, { session: lead, headers: { 'if-match': '"99"' } }), 409, 'conflict');
  const a = ok(await approveOneOff(lead, p.json), 200);
  assert.equal(a.json.status, 'approved');
  assert.equal(a.json.approved_by, uid.lead);
  err(await call('POST', `/api/v1/one-off-payments/${p.json.id}/approve`, { session: lead }), 409, 'invalid_state');
  const l = ok(await call('GET', `/api/v1/cases/${d.id}/one-off-payments`, { session: cw }), 200);
  assert.deepEqual(l.json.items.map((i) => i.id), [p.json.id, own.json.id]);
  assert.equal(l.json.next, null);
});

test('one-off payments: bad input, closed dossiers, foreign dossiers', async () => {
  const d = dossier({ budgets: [] });
  const path = `/api/v1/cases/${d.id}/one-off-payments`;
  const good = { name: 'Zahnarzt Dr. Weber', iban: iban(), town: 'Thun', country: 'CH' };
  const cases = [
    [{ text: 'x' }, 'missing_field', 'amount'],
    [{ amount: 100 }, 'missing_field', 'text'],
    [{ amount: '100', text: 'x' }, 'invalid_type', 'amount'],
    [{ amount: 12.5, text: 'x' }, 'invalid_type', 'amount'],
    [{ amount: 0, text: 'x' }, 'out_of_range', 'amount'],
    [{ amount: -5, text: 'x' }, 'out_of_range', 'amount'],
    [{ amount: 100, text: 'x'.repeat(141) }, 'invalid_length', 'text'],
    [{ amount: 100, text: 'x', extra: 1 }, 'unknown_field', 'extra'],
    [{ amount: 100, text: 'x', creditor: 'me' }, 'invalid_type', 'creditor'],
    [{ amount: 100, text: 'x', creditor: { ...good, foo: 1 } }, 'unknown_field', 'creditor.foo'],
    [{ amount: 100, text: 'x', creditor: { ...good, iban: 'CH9300000000000000001' } }, 'invalid_iban', 'creditor.iban'],
    [{ amount: 100, text: 'x', creditor: { ...good, iban: 'CH4431999123000889012' } }, 'invalid_iban', 'creditor.iban'],
    [{ amount: 100, text: 'x', creditor: { ...good, town: undefined } }, 'missing_field', 'creditor.town'],
    [{ amount: 100, text: 'x', creditor: { ...good, name: 7 } }, 'invalid_type', 'creditor.name'],
    [{ amount: 100, text: 'x', creditor: { ...good, country: 'Schweiz' } }, 'invalid_length', 'creditor.country'],
    [{ amount: 100, text: 'x', creditor: { ...good, iban: undefined } }, 'missing_field', 'creditor.iban'],
  ];
  for (const [body, code, field] of cases) {
    const e = err(await call('POST', path, { session: cw, body }), 400, code);
    assert.equal(e.detail.field, field, `${JSON.stringify(body)} -> ${JSON.stringify(e)}`);
  }
  err(await call('POST', path, { session: cw, headers: { 'content-type': 'text/plain' }, raw: '{"amount":1,"text":"x"}' }), 415);
  err(await call('POST', path, { session: cw, headers: { 'content-type': 'application/json' }, raw: '[1,' }), 400, 'malformed_json');
  err(await call('POST', path, { session: cw, headers: { 'content-type': 'application/json' }, raw: JSON.stringify({ amount: 1, text: 'x'.repeat(17000) }) }), 413, 'body_too_large');
  err(await call('POST', path, { session: acc, body: { amount: 100, text: 'x' } }), 403, 'forbidden');
  const closed = dossier({ state: 'closed' });
  err(await call('POST', `/api/v1/cases/${closed.id}/one-off-payments`, { session: cw, body: { amount: 100, text: 'x' } }), 409, 'dossier_not_active');
  err(await call('POST', `/api/v1/cases/${d.id}/one-off-payments`, { session: biCw, body: { amount: 100, text: 'x' } }), 404, 'not_found');
  err(await call('GET', `/api/v1/cases/${d.id}/one-off-payments`, { session: biCw }), 404, 'not_found');
  err(await call('POST', '/api/v1/cases/99999999999/one-off-payments', { session: cw, body: { amount: 100, text: 'x' } }), 404);
  err(await call('POST', '/api/v1/cases/abc/one-off-payments', { session: cw, body: { amount: 100, text: 'x' } }), 404);
  const p = ok(await call('POST', path, { session: cw, body: { amount: 100, text: 'x' } }), 201);
  err(await call('POST', `/api/v1/one-off-payments/${p.json.id}/approve`, { session: await as('biel', 'teamlead') }), 404, 'not_found');
  err(await call('POST', `/api/v1/one-off-payments/${p.json.id}/approve`, { session: lead, body: {} }), 413, 'body_too_large');
});

// ------------------------------------------------------------- payment runs

test('a monthly run: lines per budget, rent to the landlord, KVG to the insurer, one-offs, held lines', async () => {
  const landlord = { name: 'Immo Aare AG', iban: iban('00700'), street: 'Aarestrasse', house_no: '3', postcode: '3600', town: 'Thun', country: 'CH' };
  const insurer = { name: 'KPT Krankenkasse AG', iban: iban('00790'), street: 'Wankdorfallee', house_no: '3', postcode: '3014', town: 'Bern', country: 'CH', reference: 'Police 123-45' };
  const A = dossier({ last: 'Ammann', budgets: [{ from: '2039-11-01', payment: 150000 }] });
  const B = dossier({ last: 'Brunner', budgets: [{ from: '2039-12-01', payment: 200000, rent: 110000, rentDirect: true, landlord }] });
  const C = dossier({ last: 'Camenzind', budgets: [{ from: '2040-01-01', payment: 100000, kvg: 40000, kvgDirect: true, insurer }] });
  const D = dossier({ last: 'Dubach', iban: null, budgets: [{ from: '2039-01-01', payment: 90000 }] });
  const E = dossier({ last: 'Egli', iban: 'CH9300762011623852958', budgets: [{ from: '2039-01-01', payment: 80000 }] });
  const F = dossier({ last: 'Frei', state: 'closed', budgets: [{ from: '2039-01-01', payment: 70000 }] });
  const G = dossier({ last: 'Gerber', budgets: [{ from: '2039-01-01', payment: 60000, status: 'draft' }] });
  const H = dossier({ last: 'Hofer', budgets: [{ from: '2039-01-01', payment: 50000 }, { from: '2040-01-01', payment: 70000 }, { from: '2040-02-01', payment: 99999 }] });
  const I = dossier({ last: 'Imhof', state: 'review', town: null, budgets: [{ from: '2039-01-01', payment: 30000 }] });
  const J = dossier({ last: 'Jost', budgets: [{ from: '2040-02-01', payment: 30000 }] });
  // approved one-off to a shop, a proposed one that is not paid yet
  const shop = { name: 'Brocki Thun', iban: iban(), town: 'Thun', postcode: '3600', country: 'CH' };
  const o1 = ok(await call('POST', `/api/v1/cases/${A.id}/one-off-payments`, { session: cw, body: { amount: 45000, text: 'Möbel', creditor: shop } }), 201);
  ok(await approveOneOff(lead, o1.json), 200);
  const o2 = ok(await call('POST', `/api/v1/cases/${A.id}/one-off-payments`, { session: cw, body: { amount: 5000, text: 'Velo' } }), 201);

  // made by a job: 202, then the job computes the lines
  const run = await newRun(acc, { month: '2040-01' });
  assert.equal(run.job.result.run, run.json.id);
  assert.equal(run.json.month, '2040-01');
  assert.equal(run.json.status, 'draft');
  assert.equal(run.json.execution_date, '2040-01-01');
  assert.equal(run.json.created_by, uid.acc);
  assert.equal(run.json.message_id, null);
  assert.ok(run.json.summary.lines >= 8, show(run));
  const lines = await allLines(run.json.id, acc);
  const mine = (d) => lines.filter((l) => l.dossier_id === d.id).map((l) => [l.kind, l.amount, l.status, l.problem])
    .sort((x, y) => x[0].localeCompare(y[0]));
  assert.deepEqual(mine(A), [['one_off', 45000, 'open', null], ['support', 150000, 'open', null]]);
  assert.deepEqual(mine(B), [['rent', 110000, 'open', null], ['support', 90000, 'open', null]]);
  assert.deepEqual(mine(C), [['kvg', 40000, 'open', null], ['support', 60000, 'open', null]]);
  assert.deepEqual(mine(D), [['support', 90000, 'held', 'no_iban']]);
  assert.deepEqual(mine(E), [['support', 80000, 'held', 'invalid_iban']]);
  assert.deepEqual(mine(F), [], 'closed dossiers are not paid');
  assert.deepEqual(mine(G), [], 'draft budgets are not paid');
  assert.deepEqual(mine(H), [['support', 70000, 'open', null]], 'the latest approved budget in force');
  assert.deepEqual(mine(I), [['support', 30000, 'held', 'no_address']], 'review is paid; no town: held');
  assert.deepEqual(mine(J), [], 'a budget from a later month');
  const rent = lines.find((l) => l.dossier_id === B.id && l.kind === 'rent');
  assert.equal(rent.creditor.name, landlord.name);
  assert.equal(rent.creditor.iban, landlord.iban);
  assert.match(rent.text, /^Miete 2040-01 Brunner Anna$/);
  const kvg = lines.find((l) => l.dossier_id === C.id && l.kind === 'kvg');
  assert.equal(kvg.creditor.name, insurer.name);
  assert.match(kvg.text, /KVG-Prämie 2040-01 Police 123-45 Camenzind Anna/);
  const oneoff = lines.find((l) => l.dossier_id === A.id && l.kind === 'one_off');
  assert.equal(oneoff.creditor.iban, shop.iban);
  assert.equal(oneoff.text, 'Möbel');
  assert.equal(new Set(lines.map((l) => l.end_to_end_id)).size, lines.length, 'end-to-end ids are unique');
  for (const l of lines) assert.match(l.end_to_end_id, /^[A-Za-z0-9]{1,35}$/);
  // the approved one-off now belongs to this run; the proposed one does not
  const oo = ok(await call('GET', `/api/v1/cases/${A.id}/one-off-payments`, { session: cw }), 200);
  assert.equal(oo.json.items.find((i) => i.id === o1.json.id).run_id, run.json.id);
  assert.equal(oo.json.items.find((i) => i.id === o2.json.id).run_id, null);
  // totals agree with the lines
  const payable = lines.filter((l) => l.status !== 'held');
  assert.equal(run.json.summary.lines, payable.length);
  assert.equal(run.json.summary.total, payable.reduce((s, l) => s + l.amount, 0));
  assert.equal(run.json.summary.held, lines.length - payable.length);

  // a second run for the month: 409 with the existing one
  const again = err(await call('POST', R, { session: acc, body: { month: '2040-01' } }), 409, 'run_exists');
  assert.equal(again.detail.run.id, run.json.id);
  assert.equal(again.detail.run.summary.lines, run.json.summary.lines);

  // not approved: no export, no file
  err(await call('POST', `${R}/${run.json.id}/export`, { session: acc }), 409, 'run_not_approved');
  err(await call('GET', `${R}/${run.json.id}/pain001`, { session: acc }), 409, 'run_not_approved');
  // four-eyes: accounting cannot approve; a creator with both permissions neither
  err(await call('POST', `${R}/${run.json.id}/approve`, { session: acc }), 403, 'forbidden');
  err(await call('POST', `${R}/${run.json.id}/approve`, { session: cw }), 403, 'forbidden');
  err(await call('POST', `${R}/${run.json.id}/approve`, { session: lead }), 428, 'precondition_required');
  const ap = ok(await approveRun(lead, run.json.id), 200);
  assert.equal(ap.json.status, 'approved');
  assert.equal(ap.json.approved_by, uid.lead);
  assert.match(ap.json.message_id, /^KS\d+R\d+$/);
  err(await call('POST', `${R}/${run.json.id}/approve`, { session: lead }), 409, 'invalid_state');
  err(await call('DELETE', `${R}/${run.json.id}`, { session: acc }), 409, 'invalid_state');

  // approved, not exported yet: the file comes from the export job
  err(await call('GET', `${R}/${run.json.id}/pain001`, { session: acc }), 409, 'run_not_exported');
  err(await call('POST', `${R}/${run.json.id}/export`, { session: lead }), 403, 'forbidden');
  err(await call('POST', `${R}/${run.json.id}/export`, { session: biAcc }), 404, 'not_found');
  // the file: SPS schema, debtor, every payable line once, nothing held
  const x1 = ok(await exportRun(acc, run.json.id), 200);
  assert.equal(x1.job.type, 'core.payment_export');
  assert.deepEqual(x1.job.progress, { done: payable.length, total: payable.length });
  assert.equal(x1.job.result.payments, payable.length);
  assert.equal(x1.job.result.message_id, ap.json.message_id);
  assert.equal(x1.job.result.file_sha256, createHash('sha256').update(x1.text).digest('hex'));
  // exporting again is the same job: nothing booked twice
  const x1b = ok(await call('POST', `${R}/${run.json.id}/export`, { session: acc }), 202);
  assert.equal(x1b.json.id, x1.job.id);
  assert.match(x1.headers.get('content-type'), /^application\/xml/);
  assert.match(x1.headers.get('content-disposition'), /^attachment; filename="KS\d+R\d+\.xml"$/);
  assert.equal(x1.headers.get('x-kasus-schema'), 'valid');
  xmllint(x1.text, XSD, 'run-2040-01.xml');
  assert.match(x1.text, /<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.09"/);
  assert.ok(x1.text.includes(`<MsgId>${ap.json.message_id}</MsgId>`));
  assert.ok(x1.text.includes('<IBAN>CH9300762011623852957</IBAN>'), 'debtor account');
  const tx = painTx(x1.text);
  assert.deepEqual(tx.map((t) => t.e2e).sort(), payable.map((l) => l.end_to_end_id).sort());
  for (const l of payable) {
    const t = tx.find((y) => y.e2e === l.end_to_end_id);
    assert.equal(t.amount, l.amount);
    assert.equal(t.iban, l.creditor.iban);
    assert.match(t.xml, /<PstlAdr>[\s\S]*<TwnNm>[^<]+<\/TwnNm>[\s\S]*<Ctry>[A-Z]{2}<\/Ctry>/, 'structured address');
    assert.ok(!/<AdrLine>/.test(t.xml), 'no unstructured address lines');
  }

  // frozen: later changes to persons, budgets, landlords or the account do not reach the run
  sql(DB_OWNER, [`update person set iban = ${q(iban())}, last_name = 'Neu' where id = ${A.person}`,
    `update sh_budget set payment = 1 where dossier_id = ${A.id}`]);
  await setAccount(admin, { ...THUN_ACCOUNT, name: 'Sozialdienst Thun (neu)' });
  const x2 = ok(await call('GET', `${R}/${run.json.id}/pain001`, { session: acc }), 200);
  assert.equal(x2.text, x1.text, 're-export is byte-identical');
  // the export recorded that its file passed the schema; a download is
  // that file (same checksum), else it is refused, not served unchecked
  const runRow = (col) => sql(DB_OWNER, `select ${col} from payment_run where id = ${run.json.id}`);
  assert.equal(runRow('file_schema'), 'valid');
  assert.equal(x2.headers.get('x-kasus-schema'), 'valid');
  const sha = runRow('file_sha256');
  sql(DB_OWNER, `update payment_run set file_sha256 = repeat('0', 64) where id = ${run.json.id}`);
  err(await call('GET', `${R}/${run.json.id}/pain001`, { session: acc }), 500, 'export_mismatch');
  sql(DB_OWNER, `update payment_run set file_sha256 = '${sha}' where id = ${run.json.id}`);
  // the download is the file the export stored (payment_file), compared
  // with the run's checksum: a stored file changed behind the service's
  // back is refused; the application role cannot change or drop it
  const stored = (col) => sql(DB_OWNER, `select ${col} from payment_file where run_id = ${run.json.id}`);
  assert.equal(stored('encode(sha256(convert_to(xml, \'UTF8\')), \'hex\')'), sha, 'the stored file is the exported one');
  assert.equal(Number(stored('payments')), tx.length);
  sql(DB_OWNER, `update payment_file set xml = replace(xml, '<Ustrd>', '<Ustrd>X') where run_id = ${run.json.id}`);
  err(await call('GET', `${R}/${run.json.id}/pain001`, { session: acc }), 500, 'export_mismatch');
  sql(DB_OWNER, `update payment_file set xml = replace(xml, '<Ustrd>X', '<Ustrd>') where run_id = ${run.json.id}`);
  assert.equal(ok(await call('GET', `${R}/${run.json.id}/pain001`, { session: acc }), 200).text, x1.text);
  for (const w of [`update payment_file set xml = '' where run_id = ${run.json.id}`,
    `delete from payment_file where run_id = ${run.json.id}`]) {
    assert.throws(() => sql(DB_APP, [`begin`, `select set_config('kasus.tenant_id', '${thun}', true)`, w]),
      /permission denied/, w);
  }
  // a run exported before files were stored: written again, the same bytes
  sql(DB_OWNER, [`create table payment_file_kept as select * from payment_file where run_id = ${run.json.id}`,
    `delete from payment_file where run_id = ${run.json.id}`]);
  const x3 = ok(await call('GET', `${R}/${run.json.id}/pain001`, { session: acc }), 200);
  assert.equal(x3.text, x1.text, 'written again from the frozen lines');
  assert.equal(x3.headers.get('x-kasus-schema'), 'valid');
  sql(DB_OWNER, ['insert into payment_file select * from payment_file_kept', 'drop table payment_file_kept']);
  await setAccount(admin, THUN_ACCOUNT);
  err(await call('GET', `${R}/${run.json.id}/pain001`, { session: lead }), 403, 'forbidden');
  err(await call('GET', `${R}/${run.json.id}/pain001`, { session: biAcc }), 404, 'not_found');
  // the database refuses changes to frozen lines, even for the owner
  assert.match(sqlFail(`update payment_line set amount = 1 where run_id = ${run.json.id}`), /frozen/);
  assert.match(sqlFail(`update payment_run set msg_id = 'X' where id = ${run.json.id}`), /frozen/);

  // the first export booked the client accounts, once
  const la = ok(await call('GET', `/api/v1/cases/${A.id}/ledger`, { session: cw }), 200);
  assert.deepEqual(la.json.items.map((i) => [i.kind, i.amount]).sort(), [['payment', -150000], ['payment', -45000]]);
  assert.equal(la.json.balance, -195000);
  const ex = ok(await call('GET', `${R}/${run.json.id}`, { session: acc }), 200);
  assert.ok(ex.json.exported_at, show(ex));
  assert.match(ex.json.file_sha256, /^[0-9a-f]{64}$/);
  const lb = ok(await call('GET', `/api/v1/cases/${B.id}/ledger`, { session: acc }), 200);
  assert.equal(lb.json.balance, -200000);
  const ld = ok(await call('GET', `/api/v1/cases/${D.id}/ledger`, { session: cw }), 200);
  assert.equal(ld.json.items.length, 0, 'held lines are not booked');

  // reconciliation with our own bank notification: booked, and one returned (AC04)
  const byKind = (d, k) => payable.find((l) => l.dossier_id === d.id && l.kind === k);
  const sup = byKind(A, 'support');
  const notif = camt054('CH9300762011623852957', [
    { e2e: sup.end_to_end_id, amount: sup.amount, svc: 'a1' },
    { e2e: byKind(B, 'rent').end_to_end_id, amount: 110000, svc: 'a2' },
    { e2e: byKind(B, 'support').end_to_end_id, amount: 90000, svc: 'a3' },
    { e2e: byKind(C, 'kvg').end_to_end_id, amount: 40000, cdi: 'CRDT', reason: 'AC04', svc: 'a4' },
    { e2e: byKind(C, 'support').end_to_end_id, amount: 12345, svc: 'a5' },	// wrong amount
    { e2e: 'KS0L0', amount: 100, svc: 'a6' },
  ]);
  xmllint(notif, CAMT_XSD, 'camt-own.xml');
  const rc = ok(await reconcile(acc, notif), 200);
  assert.deepEqual([rc.job.state, rc.job.result.entries], ['done', 6]);
  const upload = sql(DB_OWNER, `select payload->>'upload' from job where id = ${rc.job.id}`);
  assert.match(upload, /^\d+$/);
  assert.equal(sql(DB_OWNER, `select count(*) from bank_upload where id = ${upload}`), '0', 'the stored upload is gone once booked');
  assert.equal(rc.json.entries, 6);
  assert.equal(rc.json.matched, 4, show(rc));
  assert.equal(rc.json.booked, 3);
  assert.equal(rc.json.returned, 1);
  assert.equal(rc.json.unmatched.length, 2);
  assert.deepEqual(rc.json.unmatched.map((u) => u.reason).sort(), ['amount_differs', 'no_match']);
  const after = await allLines(run.json.id, acc);
  const st = (l) => after.find((y) => y.id === l.id);
  assert.equal(st(sup).status, 'booked');
  assert.equal(st(sup).booked_on, '2040-01-02');
  assert.equal(st(byKind(C, 'kvg')).status, 'returned');
  assert.equal(st(byKind(C, 'kvg')).return_reason, 'AC04');
  assert.equal(st(byKind(C, 'support')).status, 'open');
  const lc = ok(await call('GET', `/api/v1/cases/${C.id}/ledger`, { session: cw }), 200);
  assert.deepEqual(lc.json.items.map((i) => [i.kind, i.amount]).sort((a, b) => a[1] - b[1]),
    [['payment', -60000], ['payment', -40000], ['correction', 40000]]);
  assert.equal(lc.json.balance, -60000);
  // the same file again books nothing twice
  const rc2 = ok(await reconcile(acc, notif), 200);
  assert.equal(rc2.json.duplicates, 6);
  assert.equal(rc2.json.matched, 0);
  assert.equal(ok(await call('GET', `/api/v1/cases/${C.id}/ledger`, { session: cw }), 200).json.balance, -60000);
  const un = ok(await call('GET', '/api/v1/bank-entries?outcome=unmatched', { session: acc }), 200);
  assert.ok(un.json.items.some((i) => i.end_to_end_id === 'KS0L0'), show(un));
  err(await call('GET', '/api/v1/bank-entries?outcome=maybe', { session: acc }), 400, 'invalid_parameter');
  // another tenant's file cannot touch thun's lines
  const foreign = ok(await reconcile(biAcc, camt054('CH5800791123000889012', [{ e2e: byKind(C, 'support').end_to_end_id, amount: 60000 }])), 200);
  assert.equal(foreign.json.matched, 0);
  assert.equal(foreign.json.unmatched.length, 1);
  assert.equal(st(byKind(C, 'support')).status, 'open');
});

function sqlFail(s) {
  try {
    sql(DB_OWNER, s);
  } catch (e) {
    return String(e.stderr || e.message);
  }
  assert.fail(`SQL unexpectedly succeeded: ${s}`);
}

test('four-eyes: whoever created a run cannot approve it, even with payment.approve', async () => {
  const both = await createUser(admin, ['accounting', 'teamlead']);
  const s = await login('thun', both.username, both.password);
  dossier({ budgets: [{ from: '2040-03-01', payment: 12300 }] });
  const run = await newRun(s, { month: '2040-03' });
  err(await call('POST', `${R}/${run.json.id}/approve`, { session: s }), 403, 'four_eyes_required');
  ok(await approveRun(lead, run.json.id), 200);
});

test('a draft run can be discarded and created again; one-offs are released', async () => {
  const d = dossier({ budgets: [{ from: '2040-04-01', payment: 11100 }] });
  const o = ok(await call('POST', `/api/v1/cases/${d.id}/one-off-payments`, { session: cw, body: { amount: 2500, text: 'Kaution' } }), 201);
  ok(await approveOneOff(lead, o.json), 200);
  const r1 = await newRun(acc, { month: '2040-04', execution_date: '2040-03-28' });
  assert.equal(r1.json.execution_date, '2040-03-28');
  const l1 = (await allLines(r1.json.id, acc)).filter((l) => l.dossier_id === d.id);
  assert.deepEqual(l1.map((l) => l.kind).sort(), ['one_off', 'support']);
  err(await call('DELETE', `${R}/${r1.json.id}`, { session: lead }), 403, 'forbidden');
  err(await call('DELETE', `${R}/${r1.json.id}`, { session: biAcc }), 404, 'not_found');
  err(await call('DELETE', `${R}/${r1.json.id}`, { session: acc }), 428, 'precondition_required');
  ok(await call('DELETE', `${R}/${r1.json.id}`, { session: acc, headers: { 'if-match': `"${r1.json.version}"` } }), 204);
  err(await call('GET', `${R}/${r1.json.id}`, { session: acc }), 404, 'not_found');
  const oo = ok(await call('GET', `/api/v1/cases/${d.id}/one-off-payments`, { session: cw }), 200);
  assert.equal(oo.json.items[0].run_id, null);
  const r2 = await newRun(acc, { month: '2040-04' });
  const l2 = (await allLines(r2.json.id, acc)).filter((l) => l.dossier_id === d.id);
  assert.deepEqual(l2.map((l) => l.kind).sort(), ['one_off', 'support']);
  // the one-off is paid once: a run for another month does not take it again
  const r3 = await newRun(acc, { month: '2040-05' });
  const l3 = (await allLines(r3.json.id, acc)).filter((l) => l.dossier_id === d.id);
  assert.deepEqual(l3.map((l) => l.kind), ['support']);
});

test('concurrent creates for one month: one run, the other request gets 409', async () => {
  dossier({ budgets: [{ from: '2040-06-01', payment: 5000 }] });
  const rs = await Promise.all([0, 1, 2].map(() => call('POST', R, { session: acc, body: { month: '2040-06' } })));
  assert.deepEqual(rs.map((r) => r.status).sort(), [202, 409, 409], rs.map(show).join('\n'));
  const id = (await jobOf(rs.find((r) => r.status === 202), acc)).result.run;
  for (const r of rs.filter((x) => x.status === 409)) {
    assert.ok(['run_exists', 'already_exists', 'concurrent_change'].includes(r.json.error.code), show(r));
    if (r.json.error.code === 'run_exists') assert.equal(r.json.error.detail.run.id, id);
  }
  const n = sql(DB_OWNER, `select count(*) from payment_run where tenant_id = ${thun} and month = '2040-06-01'`);
  assert.equal(n, '1');
});

test('payment runs: bad input, permissions, lists with cursor, foreign ids', async () => {
  const cases = [
    [{}, 'missing_field', 'month'],
    [{ month: 204001 }, 'invalid_type', 'month'],
    [{ month: '2040-13' }, 'invalid_value', 'month'],
    [{ month: '2040-1' }, 'invalid_length', 'month'],
    [{ month: '40-01-01' }, 'invalid_length', 'month'],
    [{ month: '2040/01' }, 'invalid_value', 'month'],
    [{ month: '2040-07', execution_date: '2040-02-30' }, 'invalid_value', 'execution_date'],
    [{ month: '2040-07', tenant: 'biel' }, 'unknown_field', 'tenant'],
  ];
  for (const [body, code, field] of cases) {
    const e = err(await call('POST', R, { session: acc, body }), 400, code);
    assert.equal(e.detail.field, field, `${JSON.stringify(body)} -> ${JSON.stringify(e)}`);
  }
  err(await call('POST', R, { session: acc, headers: { 'content-type': 'application/json' }, raw: '{"month":' }), 400, 'malformed_json');
  err(await call('POST', R, { session: acc, headers: { 'content-type': 'application/json' }, raw: '["2040-07"]' }), 400, 'invalid_body');
  err(await call('POST', R, { session: acc, headers: { 'content-type': 'application/xml' }, raw: '<month/>' }), 415);
  err(await call('POST', R, { session: acc, headers: { 'content-type': 'application/json' }, raw: JSON.stringify({ month: 'x'.repeat(20000) }) }), 413, 'body_too_large');
  for (const s of [cw, lead, admin]) err(await call('POST', R, { session: s, body: { month: '2040-07' } }), 403, 'forbidden');
  err(await call('POST', R, { session: acc, body: { month: '2040-07' }, csrf: false }), 403, 'csrf_failed');
  err(await call('GET', R, { session: cw }), 403, 'forbidden');
  err(await call('GET', R), 401);
  // list, newest first, cursor
  const seen = [];
  let after = null;
  for (let i = 0; i < 50; i++) {
    const r = ok(await call('GET', `${R}?limit=1${after ? `&after=${after}` : ''}`, { session: lead }), 200);
    assert.ok(r.json.items.length <= 1);
    seen.push(...r.json.items.map((x) => x.id));
    if (r.json.next === null) break;
    after = r.json.next;
  }
  assert.ok(seen.length >= 4, `runs listed: ${seen}`);
  assert.deepEqual([...seen].sort((a, b) => b - a), seen, 'newest first');
  for (const l of ['0', '501', 'x', '']) err(await call('GET', `${R}?limit=${l}`, { session: acc }), 400, 'invalid_parameter');
  err(await call('GET', `${R}?after=-1`, { session: acc }), 400, 'invalid_parameter');
  // biel sees none of thun's runs
  const bl = ok(await call('GET', R, { session: biAcc }), 200);
  for (const id of seen) assert.ok(!bl.json.items.some((x) => x.id === id));
  for (const [m, p] of [['GET', `${R}/${seen[0]}`], ['POST', `${R}/${seen[0]}/approve`], ['GET', `${R}/${seen[0]}/pain001`], ['DELETE', `${R}/${seen[0]}`], ['POST', `${R}/${seen[0]}/export`]]) {
    err(await call(m, p, { session: p.endsWith('/approve') ? await as('biel', 'teamlead') : biAcc }), 404, 'not_found');
  }
  err(await call('GET', `${R}/0`, { session: acc }), 404);
  err(await call('GET', `${R}/abc`, { session: acc }), 404);
  err(await call('GET', `${R}/99999999999/pain001`, { session: acc }), 404);
  err(await call('POST', `${R}/${seen[0]}/approve`, { session: lead, body: { ok: true } }), 413, 'body_too_large');
});

test('approval needs a payment account and something to pay', async () => {
  const t = await freshTenant('pay');
  const tid = Number(t.tenant.id);
  sql(DB_OWNER, `insert into tenant_module (tenant_id, module, enabled, start_date) values (${tid}, 'sozialhilfe', true, '2025-01-01')`);
  await new Promise((r) => setTimeout(r, 5200));	// module switches are cached for 5 s
  const a = await createUser(t.admin, ['accounting']);
  const l = await createUser(t.admin, ['teamlead']);
  const sa = await login(t.slug, a.username, a.password);
  const sl = await login(t.slug, l.username, l.password);
  const empty = await newRun(sa, { month: '2040-01' });
  assert.equal(empty.json.summary.lines, 0);
  err(await approveRun(sl, empty.json.id), 409, 'payment_account_missing');
  err(await call('GET', '/api/v1/payment-account', { session: sa }), 404, 'not_found');
  ok(await call('PUT', '/api/v1/payment-account', { session: t.admin, body: { name: 'Test', iban: 'CH3709000000304442225', town: 'Bern', country: 'CH' } }), 200);
  err(await approveRun(sl, empty.json.id), 409, 'nothing_to_pay');
});

test('the paying account and payment runs are the casework layer\'s: a service without Sozialhilfe has them', async () => {
  const t = await freshTenant('nopay');
  err(await call('GET', '/api/v1/payment-account', { session: t.admin }), 404, 'not_found');
  // runs belong to the core (lines come from the modules): a role without payment.run is refused
  for (const p of [R, `${R}/1`]) err(await call('GET', p, { session: t.admin }), 403, 'forbidden');
  ok(await call('PUT', '/api/v1/payment-account', { session: t.admin, body: THUN_ACCOUNT }), 200);
  assert.equal(ok(await call('GET', '/api/v1/payment-account', { session: t.admin }), 200).json.name, THUN_ACCOUNT.name);
});

// ------------------------------------------------------------ bank files

test('reconcile: bad input, permissions', async () => {
  const good = camt054('CH9300762011623852957', [{ e2e: 'KS1L1', amount: 100, svc: 'z' }]);
  err(await call('POST', `${R}/reconcile`, { session: acc }), 400, 'missing_body');
  err(await reconcile(acc, good, 'application/json'), 415, 'unsupported_media_type');
  err(await reconcile(acc, good, 'text/plain'), 415);
  // ISO 20022 files are UTF-8: a Latin-1 byte or a NUL is refused before anything is stored
  for (const byte of [0xe9, 0x00]) {
    const bad = Buffer.from(good.replace('<Document', '<!-- X --><Document'));
    bad[bad.indexOf('<!-- X') + 5] = byte;
    const e = err(await reconcile(acc, bad), 400, 'invalid_camt');
    assert.match(e.detail.problem, /UTF-8/, JSON.stringify(e));
  }
  err(await reconcile(acc, '<Document><unclosed>'), 400, 'invalid_camt');
  err(await reconcile(acc, 'not xml at all'), 400, 'invalid_camt');
  err(await reconcile(acc, good.replace('camt.054.001.08', 'camt.054.001.04')), 400, 'invalid_camt');
  err(await reconcile(acc, `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]>${good.replace(/^<\?xml[^>]*>/, '')}`), 400, 'invalid_camt');
  err(await reconcile(acc, good.replaceAll('<Amt Ccy="CHF">1.00</Amt>', '<Amt Ccy="CHF">1.001</Amt>')), 400, 'invalid_camt');
  err(await reconcile(cw, good), 403, 'forbidden');
  err(await reconcile(lead, good), 403, 'forbidden');
  err(await call('POST', `${R}/reconcile`, { session: acc, raw: good, headers: { 'content-type': 'application/xml' }, csrf: false }), 403, 'csrf_failed');
  // too large: answered before the body is read
  const big = await rawHead('POST', `${R}/reconcile`, { Cookie: `ks_session=${acc.cookie}`, 'X-CSRF-Token': acc.csrf, 'Content-Type': 'application/xml', 'Content-Length': String(21 * 1024 * 1024), Expect: '100-continue' });
  assert.equal(big.status, 413, JSON.stringify(big.text));
  // streamed in pieces (chunked transfer) without a length
  const half = Math.floor(good.length / 2);
  const stream = new ReadableStream({
    start(c) { c.enqueue(new TextEncoder().encode(good.slice(0, half))); c.enqueue(new TextEncoder().encode(good.slice(half))); c.close(); },
  });
  const chunked = await fetch(`${BASE}${R}/reconcile`, {
    method: 'POST', duplex: 'half', body: stream,
    headers: { cookie: `ks_session=${acc.cookie}`, 'x-csrf-token': acc.csrf, 'content-type': 'application/xml' },
  });
  const cj = await chunked.json();
  const cjob = await jobOf({ status: chunked.status, headers: chunked.headers, json: cj, text: JSON.stringify(cj), method: 'POST', path: `${R}/reconcile` }, acc);
  assert.equal(cjob.result.entries, 1);
});

test('a stored upload waiting for its import job: row-level security like every table', () => {
  const row = sql(DB_OWNER, `insert into bank_upload (tenant_id, body, created_by) values (${thun}, '<x/>', ${uid.acc}) returning id`);
  const see = (tenant) => {
    const out = sql(DB_APP, [...(tenant ? [`select set_config('kasus.tenant_id', '${tenant}', false)`] : []),
      `select count(*) from bank_upload where id = ${row}`]).split('\n');
    return out[out.length - 1];
  };
  try {
    assert.deepEqual([see(null), see(biel), see(thun)], ['0', '0', '1']);
    assert.equal(sql(DB_OWNER, "select relrowsecurity and relforcerowsecurity from pg_class where relname = 'bank_upload'"), 't');
  } finally {
    sql(DB_OWNER, `delete from bank_upload where id = ${row}`);
  }
});

// ------------------------------------------------------ claims and ledger

function scorValid(ref) {
  const s = ref.slice(4) + ref.slice(0, 4);
  const digits = [...s].map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c)).join('');
  return BigInt(digits) % 97n === 1n;
}

test('claims: instalments, repayments by hand and by bank credit with the reference', async () => {
  const d = dossier({ budgets: [] });
  const c = ok(await call('POST', `/api/v1/cases/${d.id}/claims`, { session: cw, body: { amount: 30000, reason: 'Doppelt bezogene Miete', instalment: 10000 } }), 201);
  assert.equal(c.json.amount, 30000);
  assert.equal(c.json.open, 30000);
  assert.equal(c.json.status, 'open');
  assert.match(c.json.reference, /^RF\d{2}\d+$/);
  assert.ok(scorValid(c.json.reference), `ISO 11649 check: ${c.json.reference}`);
  err(await call('POST', `/api/v1/claims/${c.json.id}/repayments`, { session: acc, body: { amount: 10000, date: '2040-02-05' } }), 428, 'precondition_required');
  const r1 = ok(await repay(acc, c.json.id, { amount: 10000, date: '2040-02-05' }), 201);
  assert.equal(r1.json.repaid, 10000);
  assert.equal(r1.json.open, 20000);
  err(await repay(acc, c.json.id, { amount: 20001, date: '2040-02-05' }), 409, 'exceeds_claim');
  // a bank credit with the claim's reference (spaces, lower case as typed by people)
  const spaced = c.json.reference.toLowerCase().replace(/(.{4})/g, '$1 ').trim();
  const notif = camt054('CH9300762011623852957', [
    { cdi: 'CRDT', amount: 5000, ref: spaced, svc: `c${c.json.id}` },
    { cdi: 'CRDT', amount: 999999, ref: c.json.reference, svc: `d${c.json.id}` },	// more than owed
  ]);
  xmllint(notif, CAMT_XSD, 'camt-claim.xml');
  const rc = ok(await reconcile(acc, notif), 200);
  assert.equal(rc.json.repayments, 1, show(rc));
  assert.deepEqual(rc.json.unmatched.map((u) => u.reason), ['exceeds_claim']);
  const list = ok(await call('GET', `/api/v1/cases/${d.id}/claims`, { session: cw }), 200);
  assert.equal(list.json.items[0].repaid, 15000);
  ok(await repay(acc, c.json.id, { amount: 15000, date: '2040-03-05' }), 201);
  const done = ok(await call('GET', `/api/v1/cases/${d.id}/claims`, { session: acc }), 200);
  assert.equal(done.json.items[0].status, 'settled');
  const led = ok(await call('GET', `/api/v1/cases/${d.id}/ledger`, { session: acc }), 200);
  assert.deepEqual(led.json.items.map((i) => [i.kind, i.amount]), [['repayment', 10000], ['repayment', 5000], ['repayment', 15000]]);
  assert.equal(led.json.balance, 30000);
  assert.equal(led.json.claims_open, 0);
  const page1 = ok(await call('GET', `/api/v1/cases/${d.id}/ledger?limit=2`, { session: acc }), 200);
  assert.equal(page1.json.items.length, 2);
  const page2 = ok(await call('GET', `/api/v1/cases/${d.id}/ledger?limit=2&after=${page1.json.next}`, { session: acc }), 200);
  assert.equal(page2.json.items.length, 1);
  assert.equal(page2.json.next, null);
});

test('claims and ledger: bad input, permissions, foreign ids', async () => {
  const d = dossier({ budgets: [] });
  const path = `/api/v1/cases/${d.id}/claims`;
  const cases = [
    [{ reason: 'x', instalment: 1 }, 'missing_field', 'amount'],
    [{ amount: 100, instalment: 1 }, 'missing_field', 'reason'],
    [{ amount: 100, reason: 'x' }, 'missing_field', 'instalment'],
    [{ amount: 100, reason: 'x', instalment: 101 }, 'invalid_value', 'instalment'],
    [{ amount: '100', reason: 'x', instalment: 1 }, 'invalid_type', 'amount'],
    [{ amount: 0, reason: 'x', instalment: 1 }, 'out_of_range', 'amount'],
    [{ amount: 100, reason: '', instalment: 1 }, 'invalid_length', 'reason'],
    [{ amount: 100, reason: 'x', instalment: 1, due: '2040-01-01' }, 'unknown_field', 'due'],
  ];
  for (const [body, code, field] of cases) {
    const e = err(await call('POST', path, { session: cw, body }), 400, code);
    assert.equal(e.detail.field, field, `${JSON.stringify(body)} -> ${JSON.stringify(e)}`);
  }
  err(await call('POST', path, { session: acc, body: { amount: 100, reason: 'x', instalment: 1 } }), 403, 'forbidden');
  const c = ok(await call('POST', path, { session: cw, body: { amount: 100, reason: 'x', instalment: 50 } }), 201);
  const rp = `/api/v1/claims/${c.json.id}/repayments`;
  for (const [body, code] of [[{ amount: 10 }, 'missing_field'], [{ amount: 10, date: '2040-02-31' }, 'invalid_value'],
    [{ amount: 0, date: '2040-02-01' }, 'out_of_range'], [{ amount: 1, date: '2040-02-01', x: 1 }, 'unknown_field']]) {
    err(await call('POST', rp, { session: acc, body }), 400, code);
  }
  err(await call('POST', rp, { session: cw, body: { amount: 10, date: '2040-02-01' } }), 403, 'forbidden');
  err(await call('POST', rp, { session: biAcc, body: { amount: 10, date: '2040-02-01' } }), 404, 'not_found');
  err(await call('POST', '/api/v1/claims/99999999999/repayments', { session: acc, body: { amount: 10, date: '2040-02-01' } }), 404);
  err(await call('GET', path, { session: biAcc }), 404, 'not_found');
  err(await call('POST', path, { session: biCw, body: { amount: 100, reason: 'x', instalment: 1 } }), 404, 'not_found');
  err(await call('GET', `/api/v1/cases/${d.id}/ledger`, { session: biAcc }), 404, 'not_found');
  err(await call('GET', `/api/v1/cases/${d.id}/ledger`, { session: await as('thun', 'reception') }), 403, 'forbidden');
  ok(await call('GET', `/api/v1/cases/${d.id}/ledger`, { session: await as('thun', 'auditor') }), 200);
  err(await call('GET', `/api/v1/cases/${d.id}/ledger?limit=0`, { session: acc }), 400, 'invalid_parameter');
});

// ---------------------------------------------------------------- isolation

test('row-level security: every payment table is empty without the tenant setting and per tenant', async () => {
  const tables = ['payment_account', 'sh_one_off', 'payment_run', 'payment_line', 'bank_entry', 'claim', 'repayment',
    'bank_file', 'sh_pay_mark', 'sh_run_check', 'payment_file'];
  for (const t of tables) {
    const all = Number(sql(DB_OWNER, `select count(*) from ${t} where tenant_id = ${thun}`));
    assert.ok(all > 0, `${t} has thun rows for the test`);
    assert.equal(sql(DB_APP, `select count(*) from ${t}`), '0', `${t} without tenant setting`);
    const asBiel = sql(DB_APP, [`begin`, `select set_config('kasus.tenant_id', '${biel}', true)`,
      `select count(*) from ${t} where tenant_id = ${thun}`, `commit`]);
    assert.equal(asBiel.split('\n').pop(), '0', `${t}: biel sees no thun rows`);
    const asThun = sql(DB_APP, [`begin`, `select set_config('kasus.tenant_id', '${thun}', true)`,
      `select count(*) from ${t}`, `commit`]);
    assert.equal(Number(asThun.split('\n').pop()), all, `${t}: thun sees its own rows`);
  }
  // writing a row for another tenant is refused
  const e = (() => {
    try {
      sql(DB_APP, [`begin`, `select set_config('kasus.tenant_id', '${biel}', true)`,
        `insert into claim (tenant_id, dossier_id, amount, reason, instalment, created_by) values (${thun}, 1, 1, 'x', 1, 1)`]);
    } catch (x) { return String(x.stderr); }
    return '';
  })();
  assert.match(e, /row-level security|violates/);
});
