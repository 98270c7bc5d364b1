// Alimentenhilfe collection (modules/alimente/ah_collect.c) and the SDK
// 2.5 hook it hangs on (struct ks_money credit, core/casework/money/bank.c):
//   - a real camt.054 sample (PostFinance, refdata) uploaded through the
//     core's bank route: the credit whose QR reference is a title's
//     debtor reference becomes a receipt of the module, split by the
//     pack alimente-allocation to the Rappen; the other credit's
//     reference is no one's and stays unmatched; the bank-entry list
//     names the module; the same file again books nothing twice;
//   - payments by hand, arrears and the community's subrogated part, the
//     debtor's credit (surplus) allocated when the next month is due;
//   - the creditor's parts passed on in the next payment run (one line
//     per part, held without IBAN), not again in the run after;
//   - the recovery ledger per child, the net cost per month, the missing
//     payments of the work list;
//   - a money property: for random schedules, advances and payments,
//     due = received + outstanding and advanced = recovered + community
//     cost, to the Rappen, over the API, and no item paid beyond what
//     was open;
//   - bad input and another service's ids (404), row-level security.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  call, ok, err, show, as, sql, DB_OWNER, DB_APP, freshTenant, createUser, login, tenantId, jobOf, camt054, until,
} from './lib.mjs';
import { reconcile, approveRun, qrRef } from './money-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SAMPLE = join(here, '..', '..', '..', 'shared', 'refdata', 'camt', 'samples',
  '200519_camt.054_P_CH2909000000250094239_1111091335_0_2020061900081727_v2019.xml');
// The sample's account, its two QR payments (778.29 by Bernasconi Maria,
// 913.93), booked 2020-06-18 (moved to 2026: the pack is valid from 2023).
const ACCOUNT = 'CH2909000000250094239';
const REF_OURS = '539115429773825311971477453';
const REF_OTHER = '662437765447746478179744715';
const C = '/api/v1/cases';
const R = '/api/v1/payment-runs';

let t, tid, cw, acc, lead, uids;

/** Switch the module on or off for the test's service. */
async function setModule(enabled) {
  const canton = await as('canton', 'canton-admin');
  const cur = ok(await call('GET', `/api/v1/admin/tenants/${t.slug}/modules`, { session: canton }), 200)
    .json.items.find((i) => i.module === 'alimente');
  const headers = cur && cur.version > 0 ? { 'if-match': `"${cur.version}"` } : {};
  ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/alimente`, { session: canton, headers, body: { enabled } }), 200);
}

/** SQL as the owner; rows split into arrays of columns. */
const rows = (s) => { const o = sql(DB_OWNER, s); return o === '' ? [] : o.split('\n').map((l) => l.split('|')); };
const one = (s) => sql(DB_OWNER, s).split('\n')[0];

before(async () => {
  t = await freshTenant('ahcol');
  tid = Number(tenantId(t.slug));
  await setModule(true);
  // The module's monthly job (alimente.schedule) comes to a service that
  // switched it on within seconds and rewrites every schedule from the
  // titles' amounts; the fixtures below write schedules directly, so it
  // runs first (once a month: not again during this file).
  assert.ok(await until(() => one(`select count(*) from job where tenant_id = ${tid}
    and type = 'alimente.schedule' and state = 'done'`) === '1', 30000, 200), 'the monthly schedule job ran');
  ok(await call('PUT', '/api/v1/payment-account', { session: t.admin,
    body: { name: 'Sozialdienst Alimente', iban: ACCOUNT, street: 'Bahnhofstrasse', house_no: '1', postcode: '3000', town: 'Bern', country: 'CH' } }), 200);
  uids = {};
  for (const [k, role] of [['cw', 'caseworker'], ['acc', 'accounting'], ['lead', 'teamlead']]) {
    const u = await createUser(t.admin, [role]);
    uids[k] = u.id;
    const s = await login(t.slug, u.username, u.password);
    if (k === 'cw') cw = s; else if (k === 'acc') acc = s; else lead = s;
  }
});

/**
 * A dossier with a title (the debtor's reference ref), creditors with
 * their schedule, made in the database (the title's routes are another
 * area's). kids: [{months: {'2026-04': 60000, ...}}]. applicantIban null:
 * the applicant has none. -> {id, title, creditors: [ids]}
 */
function dossier({ ref, kids, applicantIban = 'CH5604835012345678009', state = 'voluntary' }) {
  const p = (last, first, birth, extra = '') => one(`insert into person (tenant_id, last_name, first_name, birth_date${extra ? ', iban, street, house_no, postcode, town, country' : ''})
    values (${tid}, '${last}', '${first}', '${birth}'${extra}) returning id`);
  const mother = p('Muster', 'Anna', '1985-03-01', `, ${applicantIban ? `'${applicantIban}'` : 'NULL'}, 'Aarestrasse', '5', '3600', 'Thun', 'CH'`);
  const father = p('Muster', 'Beat', '1983-07-01');
  const hh = one(`insert into household (tenant_id, name) values (${tid}, 'Muster') returning id`);
  const id = Number(one(`insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
    values (${tid}, 'alimente', ${hh}, ${mother}, '${state}', 942) returning id`));
  const title = one(`insert into ah_title (tenant_id, dossier_id, title_kind, authority, decided_on, applied_on, debtor_id, debtor_reference, created_by)
    values (${tid}, ${id}, 'judgment', 'Regionalgericht Oberland', '2024-01-10', '2024-02-01', ${father}, ${ref ? `'${ref}'` : 'NULL'}, ${t.adminId}) returning id`);
  const creditors = kids.map((k, i) => {
    const child = p('Muster', `Kind${i}`, `201${i}-05-01`);
    const cr = one(`insert into ah_creditor (tenant_id, title_id, dossier_id, person_id, role)
      values (${tid}, ${title}, ${id}, ${child}, 'child') returning id`);
    sql(DB_OWNER, `insert into ah_due (tenant_id, creditor_id, dossier_id, month, title_amount, amount) values
      ${Object.entries(k.months).map(([m, amount]) => `(${tid}, ${cr}, ${id}, '${m}-01', ${amount}, ${amount})`).join(', ')}`);
    return Number(cr);
  });
  return { id, title: Number(title), creditors };
}

/** An approved run of month m (made in the database), once per month. */
const runs = {};
function approvedRun(m) {
  if (!runs[m])
    runs[m] = one(`insert into payment_run (tenant_id, month, status, exec_date, created_by, approved_by, approved_at, msg_id, created_ts, debtor)
      values (${tid}, '${m}-01', 'approved', '${m}-25', ${uids.acc}, ${uids.lead}, now(), 'AH${m.replace('-', '')}${tid}', '${m}-20T10:00:00', '{}') returning id`);
  return runs[m];
}

/** The community advanced amount to creditor cr of dossier d for month m (paid by the run of m). */
function advance(d, cr, m, amount) {
  sql(DB_OWNER, `with adv as (insert into ah_advance (tenant_id, dossier_id, creditor_id, valid_from, eligible, amount, cap, input, result, provenance, status, created_by, approved_by, approved_at)
      values (${tid}, ${d.id}, ${cr}, '${m}-01', true, ${amount}, 100800, '{}', '{}', '{}', 'approved', ${uids.cw}, ${uids.lead}, now()) returning id)
    insert into payment_line (tenant_id, run_id, dossier_id, module, kind, source_id, for_month, amount, name, ustrd, status, booked_on)
    select ${tid}, ${approvedRun(m)}, ${d.id}, 'alimente', 'ah_advance', adv.id, '${m}-01', ${amount}, 'Muster Anna', 'Bevorschussung ${m}', 'booked', '${m}-26' from adv`);
}

/** The parts of a receipt as [creditor index, month, part, amount], sorted. */
function parts(d, rec) {
  return rec.parts.map((p) => [d.creditors.indexOf(p.creditor_id), p.month, p.part, p.amount])
    .sort((a, b) => `${a[1]}${a[2]}${a[0]}`.localeCompare(`${b[1]}${b[2]}${b[0]}`));
}

test('a debtor payment from a real camt.054 by its QR reference is received, allocated to the Rappen and passed on', async () => {
  const d = dossier({ ref: REF_OURS, kids: [
    { months: { '2026-04': 60000, '2026-05': 60000, '2026-06': 60000 } },
    { months: { '2026-04': 50000, '2026-05': 50000, '2026-06': 50000 } },
  ] });
  advance(d, d.creditors[0], '2026-04', 40000);
  advance(d, d.creditors[0], '2026-05', 40000);
  const xml = readFileSync(SAMPLE, 'utf8').replaceAll('2020-06-18', '2026-06-18');

  const rec = await reconcile(acc, xml);
  assert.equal(rec.status, 200, show(rec));
  assert.equal(rec.json.entries, 2, show(rec));
  assert.equal(rec.json.received, 1, show(rec));
  assert.equal(rec.json.unmatched_count, 1, show(rec));
  const [m] = rec.json.matched_entries;
  assert.deepEqual([m.outcome, m.module, m.amount, m.reference], ['received', 'alimente', 77829, REF_OURS]);
  const [u] = rec.json.unmatched;
  assert.deepEqual([u.outcome, u.reason, u.amount, u.reference, u.module], ['unmatched', 'no_match', 91393, REF_OTHER, null]);
  assert.equal(rec.json.file.received, 1);
  // the bank-entry list names the module that took it
  const listed = ok(await call('GET', '/api/v1/bank-entries?outcome=received', { session: acc }), 200).json.items;
  assert.deepEqual(listed.map((e) => [e.id, e.module, e.outcome]), [[m.id, 'alimente', 'received']]);
  const un = ok(await call('GET', '/api/v1/bank-entries?outcome=unmatched', { session: acc }), 200).json.items;
  assert.deepEqual(un.map((e) => [e.reference, e.module]), [[REF_OTHER, null]]);

  // the receipt: the current month first, two children pro rata by the
  // largest remainder (77829 * 60000 / 110000 = 42452.18, * 50000 /
  // 110000 = 35376.82: the extra Rappen to the second child)
  const list = ok(await call('GET', `${C}/${d.id}/receipts`, { session: cw }), 200).json;
  assert.equal(list.items.length, 1, JSON.stringify(list));
  const [r1] = list.items;
  assert.deepEqual([r1.amount, r1.received_on, r1.source, r1.bank_entry_id, r1.debtor_name, r1.surplus, r1.allocated],
    [77829, '2026-06-18', 'bank', m.id, 'Bernasconi Maria', 0, 77829]);
  assert.deepEqual(parts(d, r1), [[0, '2026-06', 'current', 42452], [1, '2026-06', 'current', 35377]]);

  // the same file again books nothing twice
  const again = await reconcile(acc, xml);
  assert.equal(again.status, 200, show(again));
  assert.equal(again.json.duplicates, 2, show(again));
  assert.equal(again.json.received, 0);
  assert.equal(again.json.file.already_imported, true);
  assert.equal(one(`select count(*) from ah_receipt where tenant_id = ${tid}`), '1');
  assert.equal(one(`select count(*) from ah_allocation where tenant_id = ${tid}`), '2');

  // by hand: the rest of June, the arrears of April and May, then the
  // community's advance of April (partly): 200000 =
  // 17548 + 14623 + 2 * (20000 + 50000) + 27829
  const byHand = ok(await call('POST', `${C}/${d.id}/receipts`, { session: cw,
    body: { amount: 200000, received_on: '2026-06-20', note: 'am Schalter' } }), 201).json;
  assert.deepEqual([byHand.source, byHand.surplus, byHand.note, byHand.created_by], ['manual', 0, 'am Schalter', uids.cw]);
  assert.deepEqual(parts(d, byHand), [
    [0, '2026-04', 'arrears', 20000], [1, '2026-04', 'arrears', 50000], [0, '2026-04', 'subrogated', 27829],
    [0, '2026-05', 'arrears', 20000], [1, '2026-05', 'arrears', 50000],
    [0, '2026-06', 'current', 17548], [1, '2026-06', 'current', 14623]]);
  // more than is open: the rest of the advances, and 47829 kept as the
  // debtor's credit
  const more = ok(await call('POST', `${C}/${d.id}/receipts`, { session: cw, body: { amount: 100000, received_on: '2026-06-25' } }), 201).json;
  assert.deepEqual(parts(d, more), [[0, '2026-04', 'subrogated', 12171], [0, '2026-05', 'subrogated', 40000]]);
  assert.equal(more.surplus, 47829);
  let recov = ok(await call('GET', `${C}/${d.id}/recovery`, { session: cw }), 200).json;
  assert.deepEqual(recov.items.map((i) => [i.due, i.received, i.outstanding, i.advanced, i.recovered, i.community_cost]), [
    [180000, 180000, 0, 80000, 80000, 0], [150000, 150000, 0, 0, 0, 0]]);
  assert.deepEqual([recov.paid, recov.credit], [377829, 47829]);

  // July falls due: the credit goes to it first when the next payment comes
  sql(DB_OWNER, `insert into ah_due (tenant_id, creditor_id, dossier_id, month, title_amount, amount) values
    (${tid}, ${d.creditors[0]}, ${d.id}, '2026-07-01', 60000, 60000), (${tid}, ${d.creditors[1]}, ${d.id}, '2026-07-01', 50000, 50000)`);
  advance(d, d.creditors[0], '2026-07', 40000);
  ok(await call('POST', `${C}/${d.id}/receipts`, { session: cw, body: { amount: 10000, received_on: '2026-07-02' } }), 201);
  const all = ok(await call('GET', `${C}/${d.id}/receipts`, { session: cw }), 200).json.items;
  const credited = all.find((x) => x.id === more.id);
  // 47829 over July: creditor 1 20000 open (60000 - 40000 advanced), creditor 2 50000: pro rata
  assert.deepEqual(parts(d, credited).filter((p) => p[1] === '2026-07'), [[0, '2026-07', 'current', 13665], [1, '2026-07', 'current', 34164]]);
  assert.equal(credited.surplus, 0);
  recov = ok(await call('GET', `${C}/${d.id}/recovery`, { session: cw }), 200).json;
  assert.equal(recov.credit, 0);
  assert.deepEqual(recov.totals, { due: 440000, received: 387829, outstanding: 52171, advanced: 120000, recovered: 80000, community_cost: 40000 });

  // the net cost of the service: advances when the bank booked them, recoveries when the debtor paid
  const net = ok(await call('GET', '/api/v1/alimente/net-cost?from=2026-04&to=2026-07', { session: acc }), 200).json;
  assert.deepEqual(net.items.map((i) => [i.month, i.advanced, i.recovered, i.net_cost]), [
    ['2026-04', 40000, 0, 40000], ['2026-05', 40000, 0, 40000], ['2026-06', 0, 80000, -80000], ['2026-07', 40000, 0, 40000]]);
  assert.deepEqual(net.totals, { advanced: 120000, recovered: 80000, net_cost: 40000 });

  // a second dossier whose applicant has no IBAN: its pass-on is held
  const d2 = dossier({ ref: qrRef(`${tid}77`), kids: [{ months: { '2026-06': 30000 } }], applicantIban: null });
  ok(await call('POST', `${C}/${d2.id}/receipts`, { session: cw, body: { amount: 30000, received_on: '2026-06-30' } }), 201);

  // the next run passes the creditors' parts on to the applicant, one line each
  const job = await jobOf(await call('POST', R, { session: acc, body: { month: '2026-08' } }), acc);
  const run = ok(await call('GET', `${R}/${job.result.run}?kind=ah_passon&limit=100`, { session: acc }), 200).json;
  const mine = run.lines.filter((l) => l.dossier_id === d.id);
  const want = rows(`select a.id, a.amount, to_char(a.month, 'YYYY-MM') from ah_allocation a join ah_receipt r on r.tenant_id = a.tenant_id and r.id = a.receipt_id
    where a.tenant_id = ${tid} and r.dossier_id = ${d.id} and a.part <> 'subrogated' order by a.id`);
  assert.deepEqual(mine.map((l) => [String(l.source_id), String(l.amount), String(l.for_month).slice(0, 7)]).sort(), want.sort());
  assert.ok(mine.every((l) => l.status === 'open' && l.module === 'alimente' && l.kind === 'ah_passon'), JSON.stringify(mine));
  assert.equal(mine.reduce((s, l) => s + l.amount, 0), 387829 - 80000, 'what the creditors got, not the community');
  assert.match(mine[0].text, /^Alimente 2026-0[4-7] Kind[01]$/);
  const held = run.lines.filter((l) => l.dossier_id === d2.id);
  assert.deepEqual(held.map((l) => [l.amount, l.status, l.problem]), [[30000, 'held', 'no_iban']]);

  // approved: the run after it passes on nothing of these again; the held one again
  ok(await approveRun(lead, run.id), 200);
  const job2 = await jobOf(await call('POST', R, { session: acc, body: { month: '2026-09' } }), acc);
  const run2 = ok(await call('GET', `${R}/${job2.result.run}?kind=ah_passon&limit=100`, { session: acc }), 200).json;
  assert.deepEqual(run2.lines.map((l) => [l.dossier_id, l.amount, l.status]), [[d2.id, 30000, 'held']]);

  // audited as the module's receipts
  assert.equal(one(`select count(*) from audit_event where tenant_id = ${tid} and object_type = 'ah_receipt'
    and action in ('ah_receipt_booked', 'ah_receipt_recorded')`), '5');
});

test('missing payments: a collecting dossier with nothing received for last month by the 10th', async () => {
  const now = new Date();
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (now.getUTCDate() <= 10 ? 2 : 1), 1));
  const lm = last.toISOString().slice(0, 7);
  const quiet = dossier({ ref: qrRef(`${tid}9901`), kids: [{ months: { [lm]: 45000 } }] });
  const paying = dossier({ ref: qrRef(`${tid}9902`), kids: [{ months: { [lm]: 45000 } }] });
  const assessing = dossier({ ref: qrRef(`${tid}9903`), kids: [{ months: { [lm]: 45000 } }], state: 'assessment' });
  ok(await call('POST', `${C}/${paying.id}/receipts`, { session: cw, body: { amount: 45000, received_on: `${lm}-03` } }), 201);
  const wl = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200).json;
  const items = wl.ah_missing_payments || (wl.lists && wl.lists.ah_missing_payments);
  assert.ok(Array.isArray(items), JSON.stringify(wl).slice(0, 400));
  const ids = items.map((i) => i.dossier_id);
  assert.ok(ids.includes(quiet.id), JSON.stringify(items));
  assert.ok(!ids.includes(paying.id) && !ids.includes(assessing.id), JSON.stringify(items));
  const it = items.find((i) => i.dossier_id === quiet.id);
  assert.deepEqual([it.month, it.due, it.state], [lm, 45000, 'voluntary']);
});

/** A small seeded generator (mulberry32): the same cases every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('money property: due = received + outstanding, advanced = recovered + community cost, to the Rappen', async () => {
  const rand = rng(20261203);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const months = ['2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06', '2025-07', '2025-08'];
  for (let n = 0; n < 4; n++) {
    const span = months.slice(0, int(2, months.length));
    const kids = Array.from({ length: int(1, 3) }, () => ({
      months: Object.fromEntries(span.map((m) => [m, int(1, 12000) * 5 + int(0, 4)])),
    }));
    const d = dossier({ ref: qrRef(`${tid}9${n}`), kids });
    let advanced = 0;
    d.creditors.forEach((cr, i) => span.forEach((m) => {
      if (rand() < 0.4) {
        const a = int(1, kids[i].months[m]);
        advance(d, cr, m, a);
        advanced += a;
      }
    }));
    let paid = 0;
    const pays = int(1, 6);
    for (let k = 0; k < pays; k++) {
      const amount = int(1, 150000);
      const day = `${span[int(0, span.length - 1)]}-${String(int(1, 28)).padStart(2, '0')}`;
      ok(await call('POST', `${C}/${d.id}/receipts`, { session: cw, body: { amount, received_on: day } }), 201);
      paid += amount;
    }
    const rec = ok(await call('GET', `${C}/${d.id}/recovery`, { session: cw }), 200).json;
    const receipts = ok(await call('GET', `${C}/${d.id}/receipts?limit=100`, { session: cw }), 200).json.items;
    const due = kids.reduce((s, k) => s + Object.values(k.months).reduce((a, b) => a + b, 0), 0);
    const what = `case ${n}: ${JSON.stringify(rec.totals)}`;
    assert.equal(rec.totals.due, due, what);
    assert.equal(rec.totals.due, rec.totals.received + rec.totals.outstanding, what);
    assert.equal(rec.totals.advanced, advanced, what);
    assert.equal(rec.totals.advanced, rec.totals.recovered + rec.totals.community_cost, what);
    for (const i of rec.items) {
      assert.equal(i.due, i.received + i.outstanding, what);
      assert.equal(i.advanced, i.recovered + i.community_cost, what);
    }
    // every Rappen paid is allocated or the debtor's credit
    assert.equal(rec.paid, paid, what);
    assert.equal(rec.totals.received + rec.credit, paid, what);
    assert.equal(receipts.reduce((s, r) => s + r.allocated + r.surplus, 0), paid, what);
    for (const r of receipts)
      assert.equal(r.parts.reduce((s, p) => s + p.amount, 0), r.allocated, what);
    // no month paid beyond what was open: to the creditor at most due -
    // advanced, to the community at most advanced
    const over = rows(`select month, due, advanced, received, recovered from ah_month_v where tenant_id = ${tid} and dossier_id = ${d.id}
      and (received - recovered > due - advanced or recovered > advanced or received > due)`);
    assert.deepEqual(over, [], what);
    // money is kept as credit only when nothing up to the payment's month was open
    if (rec.credit > 0) assert.ok(paid > 0);
  }
});

test('bad input, a dossier without title, another service\'s ids, row-level security', async () => {
  const d = dossier({ ref: qrRef(`${tid}55`), kids: [{ months: { '2026-01': 10000 } }] });
  const P = `${C}/${d.id}/receipts`;
  const tomorrow = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
  for (const [body, code] of [
    [{ amount: 0, received_on: '2026-01-05' }, 'out_of_range'],
    [{ amount: -5, received_on: '2026-01-05' }, 'out_of_range'],
    [{ amount: '100', received_on: '2026-01-05' }, 'invalid_type'],
    [{ amount: 100 }, 'missing_field'],
    [{ amount: 100, received_on: '5.1.2026' }, 'invalid_value'],
    [{ amount: 100, received_on: tomorrow }, 'invalid_value'],
    [{ amount: 100000000001, received_on: '2026-01-05' }, 'out_of_range'],
  ]) {
    const r = await call('POST', P, { session: cw, body });
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${show(r)}`);
    assert.equal(r.json.error.code, code, `${JSON.stringify(body)}: ${show(r)}`);
  }
  assert.equal(one(`select count(*) from ah_receipt where tenant_id = ${tid} and dossier_id = ${d.id}`), '0');
  // a dossier without a title
  const bare = Number(one(`insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
    select tenant_id, 'alimente', household_id, applicant_id, 'assessment', 942 from dossier where tenant_id = ${tid} and id = ${d.id} returning id`));
  err(await call('POST', `${C}/${bare}/receipts`, { session: cw, body: { amount: 100, received_on: '2026-01-05' } }), 409, 'ah_collect_no_title');
  // net cost: months as YYYY-MM, from not after to
  err(await call('GET', '/api/v1/alimente/net-cost?from=2026-13', { session: acc }), 400, 'invalid_parameter');
  err(await call('GET', '/api/v1/alimente/net-cost?from=2026-5', { session: acc }), 400, 'invalid_parameter');
  err(await call('GET', '/api/v1/alimente/net-cost?from=2026-06&to=2026-05', { session: acc }), 400, 'invalid_parameter');
  // the accounting role reads but does not record payments
  err(await call('POST', P, { session: acc, body: { amount: 100, received_on: '2026-01-05' } }), 403, 'forbidden');
  // another module's dossier is no alimente dossier
  const echoish = Number(one(`insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
    select tenant_id, 'sozialhilfe', household_id, applicant_id, 'intake', 942 from dossier where tenant_id = ${tid} and id = ${d.id} returning id`));
  err(await call('GET', `${C}/${echoish}/receipts`, { session: cw }), 404, 'not_found');

  // another service: 404 on every route with this service's ids
  ok(await call('POST', P, { session: cw, body: { amount: 100, received_on: '2026-01-05' } }), 201);
  const other = await as('biel', 'caseworker');
  for (const p of [P, `${C}/${d.id}/recovery`])
    err(await call('GET', p, { session: other }), 404, 'not_found');
  err(await call('POST', P, { session: other, body: { amount: 100, received_on: '2026-01-05' } }), 404, 'not_found');
  const bielNet = ok(await call('GET', '/api/v1/alimente/net-cost?from=2026-01&to=2026-12', { session: await as('biel', 'accounting') }), 200).json;
  assert.ok(bielNet.items.every((i) => i.recovered === 0 || i.month !== '2026-06'), 'not this service\'s recoveries');
  // the database: no row without the tenant setting, none of another tenant's
  for (const tab of ['ah_receipt', 'ah_allocation']) {
    assert.equal(sql(DB_APP, `select count(*) from ${tab}`), '0', `${tab}: no rows without the tenant setting`);
    const asBiel = sql(DB_APP, ['begin', `select set_config('kasus.tenant_id', '${tenantId('biel')}', true)`,
      `select count(*) from ${tab} where tenant_id = ${tid}`, 'commit']);
    assert.equal(asBiel.split('\n').pop(), '0');
  }
});

test('the debtor\'s QR-bill: the title\'s reference, the service\'s QR-IBAN, this month\'s maintenance', async () => {
  const month = new Date().toISOString().slice(0, 7);
  const ref = qrRef(`${tid}61`);
  const d = dossier({ ref, kids: [{ months: { [month]: 61050 } }] });
  const B = `${C}/${d.id}/debtor-bill`;
  // the account has no QR-IBAN yet: a QR reference needs one
  err(await call('GET', B, { session: cw }), 409, 'ah_collect_no_qr_iban');
  const cur = ok(await call('GET', '/api/v1/payment-account', { session: t.admin }), 200);
  err(await call('PUT', '/api/v1/payment-account', { session: t.admin, headers: { 'if-match': cur.headers.get('etag') },
    body: { ...cur.json, qr_iban: ACCOUNT, version: undefined, updated_at: undefined } }), 400, 'invalid_iban');
  const put = ok(await call('PUT', '/api/v1/payment-account', { session: t.admin, headers: { 'if-match': cur.headers.get('etag') },
    body: { name: cur.json.name, iban: cur.json.iban, street: cur.json.street, house_no: cur.json.house_no, postcode: cur.json.postcode,
      town: cur.json.town, country: cur.json.country, qr_iban: 'CH44 3199 9123 0008 8901 2' } }), 200).json;
  assert.equal(put.qr_iban, 'CH4431999123000889012');
  for (const [lang, word] of [['de', 'Zahlteil'], ['fr', 'Section paiement']]) {
    const pdf = await call('GET', `${B}?lang=${lang}`, { session: cw });
    assert.equal(pdf.status, 200, show(pdf));
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.match(pdf.text, /^%PDF-/);
    assert.ok(pdf.text.includes(ref.replace(/^(..)(.....)(.....)(.....)(.....)(.....)$/, '$1 $2 $3 $4 $5 $6')), `${lang}: the reference`);
    assert.ok(pdf.text.includes('CH44 3199 9123 0008 8901 2'), `${lang}: the QR-IBAN`);
    assert.ok(pdf.text.includes('610.50'), `${lang}: this month's maintenance`);
    assert.ok(pdf.text.includes(word), `${lang}: ${word}`);
  }
  err(await call('GET', `${B}?lang=it`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', B, { session: await as('biel', 'caseworker') }), 404, 'not_found');
  // a title without reference
  const none = dossier({ ref: null, kids: [{ months: { [month]: 1000 } }] });
  err(await call('GET', `${C}/${none.id}/debtor-bill`, { session: cw }), 409, 'ah_collect_no_reference');
});

test('a module switched off for the service is not asked: its debtor\'s payment stays unmatched', async () => {
  const ref = qrRef(`${tid}71`);
  const d = dossier({ ref, kids: [{ months: { '2026-03': 20000 } }] });
  await setModule(false);
  try {
    const rec = await reconcile(acc, camt054(ACCOUNT, [{ cdi: 'CRDT', amount: 20000, ref, svc: `off${tid}`, date: '2026-03-05' }]));
    assert.equal(rec.status, 200, show(rec));
    assert.deepEqual([rec.json.received, rec.json.unmatched_count], [0, 1], show(rec));
    assert.deepEqual(rec.json.unmatched.map((u) => [u.reason, u.module]), [['no_match', null]]);
  } finally {
    await setModule(true);
  }
  assert.equal(one(`select count(*) from ah_receipt where tenant_id = ${tid} and dossier_id = ${d.id}`), '0');
  // on again: a new transaction with that reference is the module's
  const rec = await reconcile(acc, camt054(ACCOUNT, [{ cdi: 'CRDT', amount: 20000, ref, svc: `on${tid}`, date: '2026-03-06' }]));
  assert.equal(rec.json.received, 1, show(rec));
  const [r] = ok(await call('GET', `${C}/${d.id}/receipts`, { session: cw }), 200).json.items;
  assert.deepEqual([r.amount, r.received_on, r.source, parts(d, r)], [20000, '2026-03-06', 'bank', [[0, '2026-03', 'current', 20000]]]);
});

test('a credit the module fails on stays unmatched (module_failed) and the rest of the file is booked', async () => {
  const good = dossier({ ref: qrRef(`${tid}881`), kids: [{ months: { '2026-05': 30000 } }, { months: { '2026-05': 20000 } }] });
  // the pack refuses a payment above its limit (CHF 10 m): it fails after
  // the module wrote the receipt, which must not stay
  const odd = dossier({ ref: qrRef(`${tid}882`), kids: [{ months: { '2026-05': 30000 } }] });
  // a statement of the module failing (the transaction aborted): a test
  // trigger of this service only
  const broken = dossier({ ref: qrRef(`${tid}883`), kids: [{ months: { '2026-05': 30000 } }] });
  const fn = `ah_test_fail_${tid}`;
  sql(DB_OWNER, `create function ${fn}() returns trigger language plpgsql as $$ begin
      if new.tenant_id = ${tid} and new.dossier_id = ${broken.id} then raise exception 'test: refused'; end if;
      return new; end $$;
    create trigger ${fn} before insert on ah_receipt for each row execute function ${fn}()`);
  let rec;
  try {
    rec = await reconcile(acc, camt054(ACCOUNT, [
      { cdi: 'CRDT', amount: 2000000001, ref: qrRef(`${tid}882`), svc: `odd${tid}`, date: '2026-05-20' },
      { cdi: 'CRDT', amount: 45001, ref: qrRef(`${tid}881`), svc: `good${tid}`, date: '2026-05-20' },
      { cdi: 'CRDT', amount: 30000, ref: qrRef(`${tid}883`), svc: `broken${tid}`, date: '2026-05-20' },
    ]));
  } finally {
    sql(DB_OWNER, `drop trigger ${fn} on ah_receipt; drop function ${fn}()`);
  }
  assert.equal(rec.status, 200, show(rec));
  assert.deepEqual([rec.json.entries, rec.json.received, rec.json.unmatched_count], [3, 1, 2], show(rec));
  assert.deepEqual(rec.json.unmatched.map((u) => [u.amount, u.outcome, u.reason, u.module]),
    [[2000000001, 'unmatched', 'module_failed', null], [30000, 'unmatched', 'module_failed', null]]);
  assert.deepEqual(rec.json.matched_entries.map((m) => [m.amount, m.outcome, m.module]), [[45001, 'received', 'alimente']]);
  // the good one exactly: 45001 over 30000 and 20000 pro rata by the
  // largest remainder (27000.6 and 18000.4: the extra Rappen to the first)
  const [r] = ok(await call('GET', `${C}/${good.id}/receipts`, { session: cw }), 200).json.items;
  assert.deepEqual([r.amount, r.allocated, r.surplus, r.bank_entry_id, parts(good, r)],
    [45001, 45001, 0, rec.json.matched_entries[0].id, [[0, '2026-05', 'current', 27001], [1, '2026-05', 'current', 18000]]]);
  // nothing of the failed ones stays: no receipt, no part, no audit event
  for (const d of [odd, broken])
    assert.equal(one(`select count(*) from ah_receipt where tenant_id = ${tid} and dossier_id = ${d.id}`), '0');
  assert.equal(one(`select count(*) from audit_event where tenant_id = ${tid} and action = 'ah_receipt_booked'
    and detail->>'dossier' in ('${odd.id}', '${broken.id}')`), '0');
  assert.equal(one(`select count(*) from audit_event where tenant_id = ${tid} and action = 'ah_receipt_booked'
    and detail->>'dossier' = '${good.id}'`), '1');
  // listed with their reason for a match by hand
  const un = ok(await call('GET', '/api/v1/bank-entries?outcome=unmatched', { session: acc }), 200).json.items;
  const ids = rec.json.unmatched.map((u) => u.id);
  assert.deepEqual(un.filter((e) => ids.includes(e.id)).map((e) => [e.amount, e.reason, e.module]).sort(),
    [[2000000001, 'module_failed', null], [30000, 'module_failed', null]]);
  // the file counts them as unmatched
  assert.equal(rec.json.file.unmatched, 2);
});
