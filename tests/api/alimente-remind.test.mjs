// Alimentenhilfe: reminders to the debtor (modules/alimente/ah_remind.c,
// InkHV art. 12) and the manual assignment of a bank credit without (or
// with an unknown) reference to a dossier (POST /bank-entries/{id}/assign,
// core/casework/money/bank.c, SDK 2.6 struct ks_credit dossier):
//   - a reminder for what is outstanding per creditor and month up to
//     this month, to the Rappen, with the pack's deadline (20 days), the
//     letter as a document (PDF in German and French, with the QR-bill's
//     payment part), a journal entry, a deadline in the work list, an
//     audit event; a second one only after the first's deadline, none
//     after the last step; the enforcement request names them;
//   - an unmatched credit assigned by hand: allocated like a referenced
//     payment to the Rappen, once (a second assignment is refused), audited;
//   - wrong types, missing fields, missing permission, another
//     service's dossier or entry (404), row-level security.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  call, ok, err, show, as, sql, DB_OWNER, DB_APP, freshTenant, createUser, login, tenantId, camt054, until, isoDay,
} from './lib.mjs';
import { reconcile, qrRef } from './money-lib.mjs';

const ACCOUNT = 'CH2909000000250094239';
const QR_IBAN = 'CH4431999123000889012';
const C = '/api/v1/cases';
const E = '/api/v1/bank-entries';

let t, tid, cw, acc, reader;
const one = (s) => sql(DB_OWNER, s).split('\n')[0];

/** YYYY-MM of this month moved by n months, YYYY-MM-DD of today moved by n days, as the service counts them. */
function month(n) {
  const d = new Date(`${isoDay(0)}T12:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)).toISOString().slice(0, 7);
}
const day = (n) => isoDay(n);

async function pdf(path, session) {
  const res = await fetch(`${process.env.KASUS_URL}${path}`, { headers: { cookie: `ks_session=${session.cookie}` } });
  const buf = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `${path} -> ${res.status} ${buf.toString('utf8').slice(0, 300)}`);
  assert.equal(buf.subarray(0, 5).toString(), '%PDF-');
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: buf }).toString('utf8');
}

before(async () => {
  t = await freshTenant('ahrem');
  tid = Number(tenantId(t.slug));
  const canton = await as('canton', 'canton-admin');
  ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/alimente`, { session: canton, body: { enabled: true } }), 200);
  // the monthly schedule job rewrites schedules from the titles' amounts:
  // it runs first, the fixtures below write schedules directly
  assert.ok(await until(() => one(`select count(*) from job where tenant_id = ${tid}
    and type = 'alimente.schedule' and state = 'done'`) === '1', 30000, 200), 'the monthly schedule job ran');
  ok(await call('PUT', '/api/v1/payment-account', { session: t.admin,
    body: { name: 'Sozialdienst Alimente', iban: ACCOUNT, qr_iban: QR_IBAN, street: 'Bahnhofstrasse', house_no: '1',
      postcode: '3000', town: 'Bern', country: 'CH' } }), 200);
  const users = {};
  for (const role of ['caseworker', 'accounting', 'auditor']) {
    const u = await createUser(t.admin, [role]);
    users[role] = { id: u.id, s: await login(t.slug, u.username, u.password) };
  }
  cw = users.caseworker.s;
  acc = users.accounting.s;
  reader = users.auditor.s;
});

/**
 * A collecting dossier of the case worker with a title (the debtor with
 * an address, language lang) and children's schedules made in the
 * database: kids [{ 'YYYY-MM': Rappen, ... }]. -> {id, creditors}
 */
function dossier(kids, { ref = null, lang = 'de', title = true } = {}) {
  const p = (first, birth, addr = false) => one(`insert into person (tenant_id, last_name, first_name, birth_date, language${addr ? ', street, house_no, postcode, town, country' : ''})
    values (${tid}, 'Mahner', '${first}', '${birth}', '${lang}'${addr ? ", 'Seeweg', '7', '3600', 'Thun', 'CH'" : ''}) returning id`);
  const mother = p('Eva', '1986-01-01', true);
  const father = p('Urs', '1982-02-02', true);
  const hh = one(`insert into household (tenant_id, name) values (${tid}, 'Mahner') returning id`);
  const cwId = one(`select id from app_user where tenant_id = ${tid} and id = ${cw.data.user.id}`);
  const id = Number(one(`insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs, caseworker_id)
    values (${tid}, 'alimente', ${hh}, ${mother}, 'voluntary', 942, ${cwId}) returning id`));
  if (!title) return { id, creditors: [] };
  const tt = one(`insert into ah_title (tenant_id, dossier_id, title_kind, authority, decided_on, applied_on, debtor_id, debtor_reference, created_by)
    values (${tid}, ${id}, 'judgment', 'Regionalgericht Oberland', '2024-01-10', '2024-02-01', ${father}, ${ref ? `'${ref}'` : 'NULL'}, ${t.adminId}) returning id`);
  const creditors = kids.map((months, i) => {
    const child = p(`Kind${i}`, `201${i}-05-01`);
    const cr = one(`insert into ah_creditor (tenant_id, title_id, dossier_id, person_id, role)
      values (${tid}, ${tt}, ${id}, ${child}, 'child') returning id`);
    sql(DB_OWNER, `insert into ah_due (tenant_id, creditor_id, dossier_id, month, title_amount, amount) values
      ${Object.entries(months).map(([m, a]) => `(${tid}, ${cr}, ${id}, '${m}-01', ${a}, ${a})`).join(', ')}`);
    return Number(cr);
  });
  return { id, creditors };
}

/** Let the last reminder's deadline pass (as if issued 30 days ago). */
function pass(id) {
  sql(DB_OWNER, `update ah_reminder set issued_on = current_date - 30, pay_by = current_date - 1
    where tenant_id = ${tid} and id = (select max(id) from ah_reminder where tenant_id = ${tid} and dossier_id = ${id})`);
}

test('a reminder for the outstanding months, its deadline from the pack, the letter in German and French, then a second one', async () => {
  const d = dossier([{ [month(-2)]: 60000, [month(-1)]: 60000, [month(0)]: 60000, [month(1)]: 60000 },
    { [month(-1)]: 45050, [month(0)]: 45050 }], { ref: qrRef(`${tid}11`) });
  // paid: part of the oldest month (pro rata is the pack's; the sum is what counts)
  ok(await call('POST', `${C}/${d.id}/receipts`, { session: cw, body: { amount: 25000, received_on: day(0) } }), 201);
  const r1 = ok(await call('POST', `${C}/${d.id}/reminders`, { session: cw, body: {} }), 201).json;
  // everything due up to this month, less what came in; next month is not due yet
  assert.equal(r1.amount, 3 * 60000 + 2 * 45050 - 25000);
  assert.equal(r1.items.reduce((s, i) => s + i.outstanding, 0), r1.amount);
  assert.ok(r1.items.every((i) => i.month <= month(0) && i.outstanding > 0), JSON.stringify(r1.items));
  assert.deepEqual([r1.level, r1.issued_on, r1.pay_by, r1.language, r1.rules.name], [1, day(0), day(20), 'de', 'alimente-enforcement']);
  assert.ok(r1.document_id > 0 && r1.journal_id > 0, JSON.stringify(r1));

  // the letter: a document of the dossier, amounts and deadline, the QR-bill's payment part
  const docs = ok(await call('GET', `${C}/${d.id}/documents`, { session: cw }), 200).json.items;
  assert.ok(docs.some((x) => x.id === r1.document_id && x.category === 'ah_reminder'), JSON.stringify(docs));
  const de = await pdf(`/api/v1/documents/${r1.document_id}/content`, cw);
  assert.match(de, /Mahnung/);
  assert.match(de, /Urs Mahner/);
  assert.match(de, /Total ausstehend\s+CHF 2'451\.00/);
  assert.match(de, /Zahlteil/);
  assert.match(de, /Kind0 Mahner/);

  // the journal notes it; the deadline is in the case worker's work list once due
  const journal = ok(await call('GET', `${C}/${d.id}/journal`, { session: cw }), 200).json.items;
  assert.ok(journal.some((j) => j.id === r1.journal_id && j.category === 'letter' && /Mahnung 1/.test(j.text)), JSON.stringify(journal));
  const dl = ok(await call('GET', `${C}/${d.id}/deadlines`, { session: cw }), 200).json.items
    .filter((x) => x.kind === 'ah_reminder' && x.done_on === null);
  assert.deepEqual(dl.map((x) => x.due_on), [day(20)]);
  sql(DB_OWNER, `update deadline set due_on = current_date where tenant_id = ${tid} and id = ${dl[0].id}`);
  const wl = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200).json;
  const mine = (wl.due_today || []).filter((x) => x.dossier_id === d.id && x.kind === 'ah_reminder');
  assert.equal(mine.length, 1, JSON.stringify(wl).slice(0, 800));
  assert.match(mine[0].text, /Mahnung CHF 2'451\.00/);
  assert.equal(one(`select count(*) from audit_event where tenant_id = ${tid} and action = 'ah_reminder_issued'`), '1');

  // no second one while the first's deadline runs
  const early = await call('POST', `${C}/${d.id}/reminders`, { session: cw, body: {} });
  err(early, 409, 'ah_remind_deadline_running');
  assert.equal(early.json.error.detail.pay_by, day(20));
  // after it: the second, in French, with 10 days
  pass(d.id);
  const r2 = ok(await call('POST', `${C}/${d.id}/reminders`, { session: cw, body: { language: 'fr' } }), 201).json;
  assert.deepEqual([r2.level, r2.pay_by, r2.language, r2.amount], [2, day(10), 'fr', r1.amount]);
  const fr = await pdf(`/api/v1/documents/${r2.document_id}/content`, cw);
  assert.match(fr, /Second rappel/);
  assert.match(fr, /Total impayé\s+CHF 2'451\.00/);
  assert.match(fr, /poursuite/);
  // one open reminder deadline: the second's
  const dl2 = ok(await call('GET', `${C}/${d.id}/deadlines`, { session: cw }), 200).json.items
    .filter((x) => x.kind === 'ah_reminder' && x.done_on === null).map((x) => x.due_on);
  assert.deepEqual(dl2, [day(10)]);
  // after the last step: enforcement, not a third reminder
  pass(d.id);
  err(await call('POST', `${C}/${d.id}/reminders`, { session: cw, body: {} }), 409, 'ah_remind_exhausted');

  // the list, newest first
  const list = ok(await call('GET', `${C}/${d.id}/reminders`, { session: reader }), 200).json;
  assert.deepEqual(list.items.map((x) => [x.id, x.level]), [[r2.id, 2], [r1.id, 1]]);
  // the enforcement request names the reminders sent
  const enf = ok(await call('POST', `${C}/${d.id}/enforcements`, { session: cw,
    body: { amount: r1.amount, office: 'Betreibungsamt Thun', started_on: day(0) } }), 201).json;
  assert.deepEqual(enf.reminders, { count: 2, last: day(-30) });

  // a payment after the last reminder starts again at level 1
  ok(await call('POST', `${C}/${d.id}/receipts`, { session: cw, body: { amount: 100, received_on: day(0) } }), 201);
  const again = ok(await call('POST', `${C}/${d.id}/reminders`, { session: cw, body: {} }), 201).json;
  assert.deepEqual([again.level, again.amount], [1, r1.amount - 100]);
});

test('reminders: the debtor\'s language, nothing due, no title, bad input, permission, another service', async () => {
  const d = dossier([{ [month(0)]: 30000 }], { lang: 'fr' });
  const r = ok(await call('POST', `${C}/${d.id}/reminders`, { session: cw, body: {} }), 201).json;
  assert.deepEqual([r.language, r.amount], ['fr', 30000]);
  // without a reference the letter names the account and the dossier, no QR part
  const fr = await pdf(`/api/v1/documents/${r.document_id}/content`, cw);
  assert.match(fr, /Rappel/);
  assert.match(fr, /CH2909000000250094239/);
  const paid = dossier([{ [month(0)]: 30000 }]);
  ok(await call('POST', `${C}/${paid.id}/receipts`, { session: cw, body: { amount: 30000, received_on: day(0) } }), 201);
  err(await call('POST', `${C}/${paid.id}/reminders`, { session: cw, body: {} }), 409, 'ah_remind_nothing_due');
  const bare = dossier([], { title: false });
  err(await call('POST', `${C}/${bare.id}/reminders`, { session: cw, body: {} }), 409, 'ah_collect_no_title');
  sql(DB_OWNER, `update dossier set state = 'assessment' where tenant_id = ${tid} and id = ${paid.id}`);
  err(await call('POST', `${C}/${paid.id}/reminders`, { session: cw, body: {} }), 409, 'ah_remind_not_collecting');
  for (const [body, code] of [[{ language: 'it' }, 'invalid_value'], [{ language: 5 }, 'invalid_type'], [{ x: 1 }, 'unknown_field']]) {
    const res = await call('POST', `${C}/${d.id}/reminders`, { session: cw, body });
    assert.equal(res.status, 400, show(res));
    assert.equal(res.json.error.code, code, `${JSON.stringify(body)}: ${show(res)}`);
  }
  err(await call('POST', `${C}/${d.id}/reminders`, { session: reader, body: {} }), 403, 'forbidden');
  err(await call('POST', `${C}/${d.id}/reminders`, { session: acc, body: {} }), 403, 'forbidden');
  const other = await as('biel', 'caseworker');
  err(await call('POST', `${C}/${d.id}/reminders`, { session: other, body: {} }), 404, 'not_found');
  err(await call('GET', `${C}/${d.id}/reminders`, { session: other }), 404, 'not_found');
  assert.equal(one(`select count(*) from ah_reminder where tenant_id = ${tid} and dossier_id = ${d.id}`), '1');
  assert.equal(sql(DB_APP, 'select count(*) from ah_reminder'), '0', 'no rows without the tenant setting');
  const asBiel = sql(DB_APP, ['begin', `select set_config('kasus.tenant_id', '${tenantId('biel')}', true)`,
    `select count(*) from ah_reminder where tenant_id = ${tid}`, 'commit']);
  assert.equal(asBiel.split('\n').pop(), '0');
});

/** Upload credits [{amount, ref?}] booked today; -> the unmatched entries by amount. */
async function credits(list) {
  const svc = `${Date.now()}`;
  const rec = await reconcile(acc, camt054(ACCOUNT, list.map((x, i) => ({ cdi: 'CRDT', amount: x.amount, ref: x.ref,
    date: day(0), svc: `${svc}${i}` }))));
  assert.equal(rec.status, 200, show(rec));
  const un = ok(await call('GET', `${E}?outcome=unmatched&limit=200`, { session: acc }), 200).json.items;
  return list.map((x) => un.find((e) => e.amount === x.amount));
}

const assign = (e, body, session = acc, version = e.version) =>
  call('POST', `${E}/${e.id}/assign`, { session, body, headers: version === null ? {} : { 'if-match': `"${version}"` } });

test('an unmatched credit assigned by hand to a dossier is allocated like a referenced payment, once', async () => {
  const d = dossier([{ [month(-1)]: 40000, [month(0)]: 40000 }, { [month(0)]: 20000 }], { ref: qrRef(`${tid}21`) });
  // no reference, and a QR reference nobody knows
  const [plain, unknown] = await credits([{ amount: 70011 }, { amount: 33333, ref: qrRef(`${tid}99`) }]);
  assert.ok(plain && unknown, 'both stayed unmatched');
  assert.equal(unknown.reference, qrRef(`${tid}99`));

  // checks before anything is booked
  for (const [body, code] of [[{}, 'missing_field'], [{ dossier_id: 'x' }, 'invalid_type'], [{ dossier_id: 0 }, 'out_of_range'],
    [{ dossier_id: d.id, x: 1 }, 'unknown_field']]) {
    const res = await assign(plain, body);
    assert.equal(res.status, 400, show(res));
    assert.equal(res.json.error.code, code, `${JSON.stringify(body)}: ${show(res)}`);
  }
  err(await assign(plain, { dossier_id: d.id }, cw), 403, 'forbidden');
  err(await assign(plain, { dossier_id: d.id }, acc, null), 428);
  err(await assign(plain, { dossier_id: d.id }, acc, plain.version + 7), 409, 'conflict');
  const bare = dossier([], { title: false });
  err(await assign(plain, { dossier_id: bare.id }), 409, 'ah_collect_no_title');
  const biel = tenantId('biel');
  const otherCase = one(`with p as (insert into person (tenant_id, last_name, first_name, birth_date)
      values (${biel}, 'Fremd', 'Ida', '1980-01-01') returning id),
    h as (insert into household (tenant_id, name) values (${biel}, 'Fremd') returning id)
    insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
    select ${biel}, 'alimente', h.id, p.id, 'voluntary', 371 from p, h returning id`);
  err(await assign(plain, { dossier_id: Number(otherCase) }), 404, 'not_found');
  err(await assign(plain, { dossier_id: d.id }, await as('biel', 'accounting')), 404, 'not_found');
  err(await call('POST', `${E}/999999999/assign`, { session: acc, body: { dossier_id: d.id }, headers: { 'if-match': '"1"' } }), 404, 'not_found');
  assert.equal(one(`select count(*) from ah_receipt where tenant_id = ${tid} and dossier_id = ${d.id}`), '0');

  // assigned: received by the module; the receipt is allocated as the pack splits it
  const a = ok(await assign(plain, { dossier_id: d.id }), 200);
  assert.deepEqual([a.json.outcome, a.json.module, a.json.dossier_id, a.json.matched_by.id], ['received', 'alimente', d.id, acc.data.user.id]);
  assert.equal(a.headers.get('etag'), `"${a.json.version}"`);
  const rec = ok(await call('GET', `${C}/${d.id}/receipts`, { session: cw }), 200).json.items;
  assert.equal(rec.length, 1);
  assert.deepEqual([rec[0].amount, rec[0].source, rec[0].bank_entry_id, rec[0].received_on], [70011, 'bank', plain.id, day(0)]);
  // 70011: this month's 60000 first (40000 + 20000), then 10011 of last month's arrears
  const sum = (f) => rec[0].parts.filter(f).reduce((s, p) => s + p.amount, 0);
  assert.equal(sum((p) => p.month === month(0) && p.part === 'current'), 60000);
  assert.equal(sum((p) => p.month === month(-1) && p.part === 'arrears'), 10011);
  assert.equal(rec[0].surplus, 0);

  // once: the entry is matched now, with or without the new version
  err(await assign(plain, { dossier_id: d.id }, acc, a.json.version), 409, 'invalid_state');
  err(await assign(plain, { dossier_id: d.id }), 409, 'invalid_state');
  // the one with an unknown reference goes the same way
  ok(await assign(unknown, { dossier_id: d.id }), 200);
  assert.equal(one(`select count(*) from ah_receipt where tenant_id = ${tid} and dossier_id = ${d.id}`), '2');
  assert.equal(one(`select count(*) from audit_event where tenant_id = ${tid} and action = 'bank_entry_assigned'`), '2');
  assert.equal(one(`select count(*) from audit_event where tenant_id = ${tid} and action = 'ah_receipt_booked'
    and detail->>'assigned' = 'true'`), '2');
  const listed = ok(await call('GET', `${E}?outcome=received&limit=200`, { session: acc }), 200).json.items;
  assert.ok([plain.id, unknown.id].every((id) => listed.some((x) => x.id === id && x.module === 'alimente')));
  // the file counts it as received
  assert.equal(one(`select received from bank_file where tenant_id = ${tid} and id = ${plain.file_id}`), '2');
});
