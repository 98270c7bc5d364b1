// Sozialhilfe money, the findings of a day of real case work:
//   - no month goes unpaid: a draft run is recomputed (or discarded and
//     made again); a month whose run was approved before the support for
//     it was decided, or whose payment was held, is paid by the next run
//     as back payment (Nachzahlung), its own line naming the month; the
//     sum paid per dossier and month is what the budget in force says,
//     through recompute, discard, re-creation, runs made at once, late
//     decisions over several months, replaced and revoked budgets;
//   - claims with an instalment plan (due, paid, overdue; a new plan);
//   - one-off payments waiting for approval, tenant-wide;
//   - camt.054: a file for another account is refused (the real bank
//     samples), files are listed, matched entries listed, an unmatched
//     entry is matched by hand (If-Match, audited);
//   - foreign tenants and row-level security on the new routes and table.
//
// Runs here are in 2035 to 2037 (no other test uses those months).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  call, ok, err, show, as, sql, sqlError, DB_OWNER, DB_APP, tenantId, xmllint, painTx, camt054, isoDay
} from './lib.mjs';
import {
  R, iban, q, makeDossier, addBudget, allLines, reconcile, newRun, exportRun, setAccount, approveRun, approveOneOff, repay,
  moneySetUp, THUN_ACCOUNT,
} from './money-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const REF = join(here, '..', '..', '..', 'shared', 'refdata');
const XSD = join(REF, 'pain001', 'pain.001.001.09.ch.03.xsd');
const CAMT_XSD = join(REF, 'camt', 'camt.054.001.08.xsd');

let thun, biel, acc, lead, cw, admin, biAcc, biAdmin, uid;

before(async () => {
  ({ thun, biel, acc, lead, cw, admin, biAcc, biAdmin, uid } = await moneySetUp());
});

const dossier = (opts) => makeDossier(thun, uid.cw, opts);
const budget = (d, b) => addBudget(thun, d.id, uid.cw, b);

async function createRun(month) {
  return (await newRun(acc, { month })).json;
}
async function recompute(run) {
  const cur = ok(await call('GET', `${R}/${run.id}?limit=1`, { session: acc }), 200);
  return ok(await call('POST', `${R}/${run.id}/recompute`, { session: acc, headers: { 'if-match': cur.headers.get('etag') } }), 200).json;
}
async function discard(run) {
  const cur = ok(await call('GET', `${R}/${run.id}?limit=1`, { session: acc }), 200);
  ok(await call('DELETE', `${R}/${run.id}`, { session: acc, headers: { 'if-match': cur.headers.get('etag') } }), 204);
}

/** [kind, for_month, amount, status] of dossier d's lines in run, sorted. */
async function linesOf(run, d) {
  return (await allLines(run.id, acc)).filter((l) => l.dossier_id === d.id)
    .map((l) => [l.kind, l.for_month, l.amount, l.status]).sort((a, b) => `${a[1]}${a[0]}`.localeCompare(`${b[1]}${b[0]}`));
}

/**
 * For the months given and every month dossier d got anything for: what
 * it is paid by all runs (open or booked lines; held and returned ones
 * paid nothing) and what the approved budget in force for the month says.
 * Paid per month must be exactly what was decided.
 */
function assertExact(d, months, what) {
  const rows = sql(DB_OWNER, `with ms as (
      select unnest(array[${months.map(q).join(',')}]::text[]) as m
      union select to_char(for_month, 'YYYY-MM') from payment_line
       where tenant_id = ${thun} and dossier_id = ${d.id} and status in ('open', 'booked') and for_month is not null)
    select m, coalesce((select sum(amount) from payment_line where tenant_id = ${thun} and dossier_id = ${d.id}
             and status in ('open', 'booked') and for_month = (m || '-01')::date), 0),
           coalesce((select payment from sh_budget where tenant_id = ${thun} and dossier_id = ${d.id}
             and status = 'approved' and valid_from <= (m || '-01')::date order by valid_from desc, id desc limit 1), 0)
      from ms order by m`).split('\n').map((r) => r.split('|'));
  assert.deepEqual(rows.map((r) => r[0]), months, `${what}: nothing paid for other months`);
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r[0], Number(r[1])])), Object.fromEntries(rows.map((r) => [r[0], Number(r[2])])),
    `${what}: paid per month equals what was decided`);
}

// ----------------------------------------------------------- back payments

test('a late decision: the approved month is paid as back payment by the next run, once, whatever is recomputed', async () => {
  const X = dossier({ last: 'Spät', state: 'decision', budgets: [{ from: '2035-01-01', payment: 100000 }] });
  const Y = dossier({ last: 'Später', state: 'decision', budgets: [{ from: '2035-01-01', payment: 70000 }] });
  const Z = dossier({ last: 'Ohnekonto', iban: null, budgets: [{ from: '2035-01-01', payment: 50000 }] });
  const P = dossier({ last: 'Pünktlich', budgets: [{ from: '2035-01-01', payment: 30000 }] });

  // January: run made and approved while X and Y wait for their decision;
  // Z has no account yet (held).
  const jan = await createRun('2035-01');
  assert.deepEqual(await linesOf(jan, X), [], 'no decision yet: nothing paid');
  assert.deepEqual(await linesOf(jan, Z), [['support', '2035-01', 50000, 'held']]);
  ok(await approveRun(lead, jan.id), 200);
  // February: made before X's decision took effect, still a draft.
  let feb = await createRun('2035-02');
  assert.deepEqual(await linesOf(feb, X), []);
  // X's decision takes effect; Z's account is known now.
  sql(DB_OWNER, [`update dossier set state = 'ongoing' where id = ${X.id}`, `update person set iban = ${q(iban())} where id = ${Z.person}`]);
  // The stale draft is recomputed: February's own line and January's back payment.
  const before = (await call('GET', `${R}/${feb.id}?limit=1`, { session: acc })).json;
  const rec = await recompute(feb);
  assert.equal(rec.version, before.version + 1, 'a recompute is a new version of the run');
  assert.ok(rec.computed_at > before.computed_at, 'the run says when it was computed');
  const wantX = [['back_payment', '2035-01', 100000, 'open'], ['support', '2035-02', 100000, 'open']];
  assert.deepEqual(await linesOf(feb, X), wantX);
  assert.deepEqual(await linesOf(feb, Z), [['back_payment', '2035-01', 50000, 'open'], ['support', '2035-02', 50000, 'open']],
    'a held payment is paid later');
  const bp = (await allLines(feb.id, acc)).find((l) => l.dossier_id === X.id && l.kind === 'back_payment');
  assert.equal(bp.text, 'Nachzahlung Sozialhilfe 2035-01');
  assert.equal(bp.creditor.name, 'Anna Spät', 'a back payment goes to the applicant');
  const only = ok(await call('GET', `${R}/${feb.id}?kind=back_payment&limit=500`, { session: acc }), 200).json.lines;
  assert.ok(only.length >= 2 && only.every((l) => l.kind === 'back_payment'), 'the run lists its back payments on their own');
  err(await call('GET', `${R}/${feb.id}?kind=bonus`, { session: acc }), 400, 'invalid_parameter');
  assert.ok(rec.summary.by_kind.back_payment.count >= 2, show({ method: 'POST', path: 'recompute', status: 200, text: JSON.stringify(rec.summary) }));
  // Recomputing again, discarding and making it again: the same lines, never twice.
  feb = { id: (await recompute(feb)).id };
  assert.deepEqual(await linesOf(feb, X), wantX);
  await discard(feb);
  err(await call('GET', `${R}/${feb.id}`, { session: acc }), 404, 'not_found');
  feb = await createRun('2035-02');
  assert.deepEqual(await linesOf(feb, X), wantX);
  // March made while February is still a draft: January is in February's run.
  let mar = await createRun('2035-03');
  assert.deepEqual(await linesOf(mar, X), [['support', '2035-03', 100000, 'open']]);
  ok(await approveRun(lead, feb.id), 200);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, X), [['support', '2035-03', 100000, 'open']], 'February paid January');
  assertExact(X, ['2035-01', '2035-02', '2035-03'], 'X after February');
  assertExact(Z, ['2035-01', '2035-02', '2035-03'], 'Z after February');

  // Y's decision comes two months late: both months in one run, their own lines.
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${Y.id}`);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, Y), [['back_payment', '2035-01', 70000, 'open'], ['back_payment', '2035-02', 70000, 'open'],
    ['support', '2035-03', 70000, 'open']]);

  // X's budget is replaced for January on (more rent): the difference for
  // the approved months, the new amount for March.
  const newer = budget(X, { from: '2035-01-01', payment: 120000 });
  sql(DB_OWNER, `update sh_budget set status = 'replaced' where dossier_id = ${X.id} and id <> ${newer}`);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, X), [['back_payment', '2035-01', 20000, 'open'], ['back_payment', '2035-02', 20000, 'open'],
    ['support', '2035-03', 120000, 'open']]);
  // Y's decision is revoked before March is approved: its back payments go.
  sql(DB_OWNER, `update sh_budget set status = 'replaced' where dossier_id = ${Y.id}`);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, Y), [], 'revoked: nothing paid');
  ok(await approveRun(lead, mar.id), 200);
  assertExact(X, ['2035-01', '2035-02', '2035-03'], 'X after March');
  assertExact(Y, ['2035-01', '2035-02', '2035-03'], 'Y after March');
  assertExact(Z, ['2035-01', '2035-02', '2035-03'], 'Z after March');
  assertExact(P, ['2035-01', '2035-02', '2035-03'], 'paid on time, never again');
  for (const r of [jan, feb, mar]) assert.deepEqual((await linesOf(r, P)).map((l) => l[0]), ['support']);

  // An approved run is frozen: no recompute, no discard.
  const cur = ok(await call('GET', `${R}/${mar.id}?limit=1`, { session: acc }), 200);
  err(await call('POST', `${R}/${mar.id}/recompute`, { session: acc, headers: { 'if-match': cur.headers.get('etag') } }), 409, 'invalid_state');
  err(await call('DELETE', `${R}/${mar.id}`, { session: acc, headers: { 'if-match': cur.headers.get('etag') } }), 409, 'invalid_state');
  // Its lines are its file and, once exported, the client accounts'
  // payments: not even the application's database role deletes them.
  const tid = sql(DB_OWNER, `select tenant_id from payment_run where id = ${mar.id}`);
  const kept = sqlError(DB_APP, [`select set_config('kasus.tenant_id', '${tid}', false)`,
    `delete from payment_line where run_id = ${mar.id}`]);
  assert.match(kept, /lines of an approved payment run are kept/, kept);
  assert.notEqual(sql(DB_OWNER, `select count(*) from payment_line where run_id = ${mar.id}`), '0');

  // The file pays the back payments as their own transactions, XSD-valid,
  // the same bytes on re-export; the client account books them.
  const x1 = ok(await exportRun(acc, mar.id), 200);
  xmllint(x1.text, XSD, 'run-2035-03-back-payments.xml');
  const tx = painTx(x1.text);
  const mine = (await allLines(mar.id, acc)).filter((l) => l.dossier_id === X.id);
  for (const l of mine) assert.equal(tx.find((t) => t.e2e === l.end_to_end_id)?.amount, l.amount, l.text);
  assert.ok(x1.text.includes('<Ustrd>Nachzahlung Sozialhilfe 2035-02</Ustrd>'));
  assert.equal(ok(await call('GET', `${R}/${mar.id}/pain001`, { session: acc }), 200).text, x1.text, 'byte-identical');
  const led = ok(await call('GET', `/api/v1/cases/${X.id}/ledger?limit=100`, { session: cw }), 200).json;
  assert.deepEqual(led.items.filter((e) => e.text.startsWith('Nachzahlung')).map((e) => [e.text, e.amount]),
    [['Nachzahlung Sozialhilfe 2035-01', -20000], ['Nachzahlung Sozialhilfe 2035-02', -20000]]);
});

test('back payments: two runs made at once pay a month once; a month more than twelve back is not paid', async () => {
  const W = dossier({ last: 'Zugleich', state: 'decision', budgets: [{ from: '2035-04-01', payment: 40000 }] });
  dossier({ last: 'Regelmässig', budgets: [{ from: '2035-04-01', payment: 20000 }] });
  const apr = await createRun('2035-04');
  ok(await approveRun(lead, apr.id), 200);
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${W.id}`);
  const [a, b] = await Promise.all(['2035-05', '2035-06'].map((m) => newRun(acc, { month: m })));
  const back = [...await linesOf(a.json, W), ...await linesOf(b.json, W)].filter((l) => l[0] === 'back_payment');
  assert.deepEqual(back, [['back_payment', '2035-04', 40000, 'open']], 'April is paid by one of the two runs');
  // The month of the run that had it is paid once also after the other is recomputed.
  await recompute(b.json);
  await recompute(a.json);
  const again = [...await linesOf(a.json, W), ...await linesOf(b.json, W)].filter((l) => l[0] === 'back_payment');
  assert.deepEqual(again, [['back_payment', '2035-04', 40000, 'open']]);
  // The run without it is approved, the one with it discarded: the next
  // run pays April (and the discarded month is paid by its own run).
  const has = (await linesOf(a.json, W)).some((l) => l[0] === 'back_payment') ? a.json : b.json;
  const other = has === a.json ? b.json : a.json;
  ok(await approveRun(lead, other.id), 200);
  await discard(has);
  const jul = await createRun('2035-07');
  assert.deepEqual((await linesOf(jul, W)).filter((l) => l[0] === 'back_payment').map((l) => l[1]), ['2035-04']);
  // Thirteen months later April is too far back for a back payment.
  const far = await createRun('2036-05');
  assert.deepEqual((await linesOf(far, W)).filter((l) => l[0] === 'back_payment').map((l) => l[1]), []);
  for (const r of [jul, far]) await discard(r);
});

test('a run approved late, after the next month\'s: its month is still paid by the run after', async () => {
  const V = dossier({ last: 'Verspätet', state: 'decision', budgets: [{ from: '2035-09-01', payment: 33000 }] });
  dossier({ last: 'Stets', budgets: [{ from: '2035-09-01', payment: 1000 }] });
  const sep = await createRun('2035-09');
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${V.id}`);
  const oct = await createRun('2035-10');
  assert.deepEqual(await linesOf(oct, V), [['support', '2035-10', 33000, 'open']]);
  ok(await approveRun(lead, oct.id), 200);
  // September's run is approved as it was computed, without V.
  ok(await approveRun(lead, sep.id), 200);
  const nov = await createRun('2035-11');
  assert.deepEqual(await linesOf(nov, V), [['back_payment', '2035-09', 33000, 'open'], ['support', '2035-11', 33000, 'open']]);
  assertExact(V, ['2035-09', '2035-10', '2035-11'], 'V');
  await discard(nov);
});

test('a dossier closed after a late decision gets the months before its closing, nothing after', async () => {
  const K = dossier({ last: 'Geschlossen', state: 'decision', budgets: [{ from: '2037-01-01', payment: 41000 }] });
  const N = dossier({ last: 'Nieentschieden', state: 'decision', budgets: [{ from: '2037-01-01', payment: 29000 }] });
  dossier({ last: 'Laufend', budgets: [{ from: '2037-01-01', payment: 1000 }] });
  const jan = await createRun('2037-01');
  ok(await approveRun(lead, jan.id), 200);
  const feb = await createRun('2037-02');
  ok(await approveRun(lead, feb.id), 200);
  // K's decision is approved, then K moves away mid-February; N is closed without any decision.
  const bid = sql(DB_OWNER, `select id from sh_budget where dossier_id = ${K.id}`);
  sql(DB_OWNER, [`insert into sh_decision (tenant_id, dossier_id, budget_id, language, status, drafted_by, approved_by, approved_at)
      values (${thun}, ${K.id}, ${bid}, 'de', 'approved', ${uid.cw}, ${uid.lead}, now())`,
    `update dossier set state = 'closed', closed_on = '2037-02-15', closure_reason = 'moved' where id in (${K.id}, ${N.id})`]);
  const apr = await createRun('2037-04');
  assert.deepEqual(await linesOf(apr, K), [['back_payment', '2037-01', 41000, 'open'], ['back_payment', '2037-02', 41000, 'open']]);
  assert.deepEqual(await linesOf(apr, N), [], 'no decision, nothing owed');
  await discard(apr);
});

test('recompute and discard: If-Match, drafts only, their permission, audited, foreign runs 404', async () => {
  const run = await createRun('2036-01');
  const path = `${R}/${run.id}/recompute`;
  err(await call('POST', path, { session: acc }), 428, 'precondition_required');
  const stale = err(await call('POST', path, { session: acc, headers: { 'if-match': '"999"' } }), 409, 'conflict');
  assert.equal(stale.detail.current.id, run.id);
  assert.equal(stale.detail.current.version, run.version);
  err(await call('POST', path, { session: lead, headers: { 'if-match': `"${run.version}"` } }), 403, 'forbidden');
  err(await call('POST', path, { session: biAcc, headers: { 'if-match': `"${run.version}"` } }), 404, 'not_found');
  err(await call('POST', path, { session: acc, headers: { 'if-match': `"${run.version}"` }, body: { x: 1 } }), 413, 'body_too_large');
  const r2 = ok(await call('POST', path, { session: acc, headers: { 'if-match': `"${run.version}"` } }), 200);
  assert.equal(r2.headers.get('etag'), `"${run.version + 1}"`);
  // The approver approves what was shown: an older version is a conflict.
  err(await call('POST', `${R}/${run.id}/approve`, { session: lead, headers: { 'if-match': `"${run.version}"` } }), 409, 'conflict');
  err(await call('DELETE', `${R}/${run.id}`, { session: acc, headers: { 'if-match': `"${run.version}"` } }), 409, 'conflict');
  err(await call('DELETE', `${R}/${run.id}`, { session: biAcc, headers: { 'if-match': `"${r2.json.version}"` } }), 404, 'not_found');
  const ev = sql(DB_OWNER, `select action from audit_event where tenant_id = ${thun} and object_id = '${run.id}' order by seq`);
  assert.deepEqual(ev.split('\n'), ['payment_run_created', 'payment_run_recomputed']);
  ok(await call('DELETE', `${R}/${run.id}`, { session: acc, headers: { 'if-match': r2.headers.get('etag') } }), 204);
});

// --------------------------------------------------------- claims, one-offs

test('a claim with its instalment plan: due, paid, overdue; a new plan over what is owed, with If-Match', async () => {
  const d = dossier({ last: 'Rückerstatter', budgets: [] });
  const path = `/api/v1/cases/${d.id}/claims`;
  // 1000.00 in instalments of 300.00 from 1 January 2020: four instalments, all due.
  const c = ok(await call('POST', path, { session: cw, body: { amount: 100000, reason: 'Erbschaft', instalment: 30000, first_due: '2020-01-31' } }), 201);
  assert.match(c.headers.get('etag'), /^"\d+"$/);
  assert.deepEqual(c.json.plan, { instalment: 30000, first_due: '2020-01-31', over: 100000, instalments: 4, overdue: 100000,
    next: { due_on: '2020-01-31', amount: 30000 } });
  ok(await repay(acc, c.json.id, { amount: 45000, date: '2020-03-10' }), 201);
  const one = ok(await call('GET', `/api/v1/claims/${c.json.id}`, { session: cw }), 200);
  assert.deepEqual(one.json.schedule.map((i) => [i.no, i.due_on, i.amount, i.paid, i.state]), [
    [1, '2020-01-31', 30000, 30000, 'paid'], [2, '2020-02-29', 30000, 15000, 'overdue'],
    [3, '2020-03-31', 30000, 0, 'overdue'], [4, '2020-04-30', 10000, 0, 'overdue']]);
  assert.equal(one.json.plan.overdue, 55000);
  assert.deepEqual(one.json.plan.next, { due_on: '2020-02-29', amount: 15000 });
  assert.deepEqual(one.json.repayments.map((r) => [r.amount, r.paid_on, r.source, r.created_by.display_name !== null]),
    [[45000, '2020-03-10', 'manual', true]]);
  assert.equal(one.json.open, 55000);
  // A new plan over the 550.00 still owed: 100.00 a month from a date to come.
  const etag = one.headers.get('etag');
  const plan = `/api/v1/claims/${c.json.id}/plan`;
  err(await call('PUT', plan, { session: cw, body: { instalment: 10000, first_due: '2099-01-01' } }), 428, 'precondition_required');
  err(await call('PUT', plan, { session: cw, body: { instalment: 10000 }, headers: { 'if-match': '"1"' } }), 409, 'conflict');
  err(await call('PUT', plan, { session: acc, body: { instalment: 10000 }, headers: { 'if-match': etag } }), 403, 'forbidden');
  err(await call('PUT', plan, { session: cw, body: { instalment: 55001 }, headers: { 'if-match': etag } }), 400, 'invalid_value');
  const long = err(await call('PUT', plan, { session: cw, body: { instalment: 91 }, headers: { 'if-match': etag } }), 400, 'plan_too_long');
  assert.equal(long.detail.min, 92);
  const p2 = ok(await call('PUT', plan, { session: cw, body: { instalment: 10000, first_due: '2099-01-01' }, headers: { 'if-match': etag } }), 200);
  assert.deepEqual(p2.json.plan, { instalment: 10000, first_due: '2099-01-01', over: 55000, instalments: 6, overdue: 0,
    next: { due_on: '2099-01-01', amount: 10000 } });
  const two = ok(await call('GET', `/api/v1/claims/${c.json.id}`, { session: cw }), 200).json;
  assert.deepEqual(two.schedule.map((i) => [i.due_on, i.amount, i.state]), [['2099-01-01', 10000, 'open'], ['2099-02-01', 10000, 'open'],
    ['2099-03-01', 10000, 'open'], ['2099-04-01', 10000, 'open'], ['2099-05-01', 10000, 'open'], ['2099-06-01', 5000, 'open']]);
  // The list has the same figures; repaid in full the claim is settled and keeps its plan.
  const l = ok(await call('GET', path, { session: cw }), 200).json.items[0];
  assert.deepEqual(l.plan, p2.json.plan);
  ok(await repay(acc, c.json.id, { amount: 55000, date: '2099-01-05' }), 201);
  const done = ok(await call('GET', `/api/v1/claims/${c.json.id}`, { session: cw }), 200);
  assert.equal(done.json.status, 'settled');
  assert.deepEqual(done.json.schedule.map((i) => i.state), ['paid', 'paid', 'paid', 'paid', 'paid', 'paid']);
  assert.equal(done.json.plan.next, null);
  err(await call('PUT', plan, { session: cw, body: { instalment: 100 }, headers: { 'if-match': done.headers.get('etag') } }), 409, 'invalid_state');
  // Without a first due date the plan starts on the first of next month.
  const dflt = ok(await call('POST', path, { session: cw, body: { amount: 5000, reason: 'Doppelzahlung', instalment: 5000 } }), 201).json;
  assert.match(dflt.plan.first_due, /^\d{4}-\d{2}-01$/);
  assert.ok(dflt.plan.first_due > isoDay());
  err(await call('POST', path, { session: cw, body: { amount: 100000, reason: 'x', instalment: 100 } }), 400, 'plan_too_long');
  err(await call('POST', path, { session: cw, body: { amount: 100, reason: 'x', instalment: 1, first_due: '2020-02-30' } }), 400, 'invalid_value');
  // Foreign and unknown claims.
  for (const [m, pth, body] of [['GET', `/api/v1/claims/${c.json.id}`], ['PUT', plan, { instalment: 100 }],
    ['POST', `/api/v1/claims/${c.json.id}/repayments`, { amount: 1, date: '2040-01-01' }]])
    err(await call(m, pth, { session: m === 'PUT' ? await as('biel', 'caseworker') : biAcc, body, headers: { 'if-match': '*' } }), 404, 'not_found');
  err(await call('GET', '/api/v1/claims/99999999999', { session: cw }), 404, 'not_found');
  err(await call('GET', `/api/v1/claims/${c.json.id}`, { session: await as('thun', 'reception') }), 403, 'forbidden');
  const ev = sql(DB_OWNER, `select action from audit_event where tenant_id = ${thun} and object_id = '${c.json.id}' order by seq`);
  assert.deepEqual(ev.split('\n'), ['claim_created', 'claim_repayment_booked', 'claim_plan_set', 'claim_repayment_booked']);
});

test('one-off payments waiting for approval are listed for the service; approval needs the ETag', async () => {
  const d = dossier({ last: 'Einmalig', budgets: [] });
  const o = ok(await call('POST', `/api/v1/cases/${d.id}/one-off-payments`, { session: cw, body: { amount: 12000, text: 'Zahnarzt' } }), 201).json;
  const waiting = ok(await call('GET', '/api/v1/one-off-payments?status=proposed&limit=500', { session: lead }), 200).json.items;
  const mine = waiting.find((x) => x.id === o.id);
  assert.ok(mine, 'the proposal is listed');
  assert.equal(mine.client, 'Einmalig Anna');
  assert.ok(mine.created_by_name);
  assert.ok(waiting.every((x) => x.status === 'proposed'));
  assert.deepEqual([...waiting].sort((a, b) => b.id - a.id).map((x) => x.id), waiting.map((x) => x.id), 'newest first');
  err(await call('GET', '/api/v1/one-off-payments?status=maybe', { session: lead }), 400, 'invalid_parameter');
  for (const role of ['admin', 'reception']) err(await call('GET', '/api/v1/one-off-payments', { session: await as('thun', role) }), 403, 'forbidden');
  assert.ok(!ok(await call('GET', '/api/v1/one-off-payments?limit=500', { session: await as('biel', 'teamlead') }), 200).json.items.some((x) => x.id === o.id));
  ok(await approveOneOff(lead, o), 200);
  const after = ok(await call('GET', `/api/v1/cases/${d.id}/one-off-payments`, { session: cw }), 200).json.items[0];
  assert.equal(after.status, 'approved');
  assert.ok(after.approved_by_name);
  assert.ok(!ok(await call('GET', '/api/v1/one-off-payments?status=proposed&limit=500', { session: lead }), 200).json.items.some((x) => x.id === o.id));
});

// --------------------------------------------------------------- camt.054

const SAMPLES = join(REF, 'camt', 'samples');
const SAMPLE_ACCOUNT = 'CH2909000000250094239';

test('camt.054 for another account is refused, nothing booked; for the own account read, listed, once', async () => {
  const files = readdirSync(SAMPLES).filter((f) => /camt\.054.*\.xml$/.test(f));
  assert.ok(files.length >= 2, `samples: ${files}`);
  const count = () => Number(sql(DB_OWNER, `select count(*) from bank_entry where tenant_id = ${thun}`));
  const n0 = count();
  const nf = ok(await call('GET', '/api/v1/bank-files?limit=500', { session: acc }), 200).json.items.length;
  // The real bank files are for the account CH29 0900 0000 2500 9423 9, not thun's.
  for (const f of files) {
    const e = err(await reconcile(acc, readFileSync(join(SAMPLES, f), 'utf8')), 409, 'foreign_account');
    assert.equal(e.detail.account, SAMPLE_ACCOUNT);
    assert.equal(e.detail.expected, THUN_ACCOUNT.iban);
  }
  assert.equal(count(), n0, 'nothing stored');
  assert.equal(ok(await call('GET', '/api/v1/bank-files?limit=500', { session: acc }), 200).json.items.length, nf, 'no file listed');
  // Our own account, written with spaces, is the same account.
  const own = camt054(THUN_ACCOUNT.iban.replace(/(.{4})/g, '$1 ').trim(), [{ e2e: 'KS0L1', amount: 100, svc: `own${Date.now()}` }]);
  ok(await reconcile(acc, own), 200);
  // With the samples' account as the service's account they are read.
  await setAccount(admin, { ...THUN_ACCOUNT, iban: SAMPLE_ACCOUNT });
  try {
    for (const f of files) {
      const xml = readFileSync(join(SAMPLES, f), 'utf8');
      const n = (xml.match(/<TxDtls>/g) || []).length;
      const r = ok(await reconcile(acc, xml), 200);
      assert.equal(r.json.entries, n, show(r));
      assert.equal(r.json.matched, 0);
      assert.equal(r.json.unmatched_count + r.json.duplicates, n, show(r));
      for (const u of r.json.unmatched) {
        assert.equal(u.reason, 'no_match');
        assert.ok(Number.isInteger(u.amount));
      }
      assert.equal(r.json.file.account, SAMPLE_ACCOUNT);
      assert.equal(r.json.file.already_imported, false);
      assert.equal(r.json.file.entries, n);
      assert.equal(r.json.file.unmatched, r.json.unmatched_count);
      assert.equal(r.json.file.uploaded_by.id, uid.acc);
      // Again: the same file, nothing new.
      const again = ok(await reconcile(acc, xml), 200);
      assert.equal(again.json.file.id, r.json.file.id);
      assert.equal(again.json.file.already_imported, true);
      assert.equal(again.json.duplicates, n);
    }
  } finally {
    await setAccount(admin, THUN_ACCOUNT);
  }
  const listed = ok(await call('GET', '/api/v1/bank-files?limit=2', { session: acc }), 200).json;
  assert.equal(listed.items.length, 2);
  assert.ok(listed.next);
  assert.ok(listed.items.every((f) => f.account === SAMPLE_ACCOUNT && f.uploaded_by.display_name && f.uploaded_at));
  // camt.053 is another message: refused before any account is looked at.
  err(await reconcile(acc, readFileSync(join(SAMPLES, 'genkgo_camt053.v8_generic.xml'), 'utf8')), 400, 'invalid_camt');
});

test('matched entries are listed; an unmatched one is matched by hand to a line or a claim (If-Match, audited)', async () => {
  // A run of a month of its own, exported; a claim with its reference.
  const A = dossier({ last: 'Abgleich', budgets: [{ from: '2036-02-01', payment: 80000 }] });
  const B = dossier({ last: 'Zweitabgleich', budgets: [{ from: '2036-02-01', payment: 65000 }] });
  const run = await createRun('2036-02');
  ok(await approveRun(lead, run.id), 200);
  ok(await exportRun(acc, run.id), 200);
  const la = (await allLines(run.id, acc)).find((l) => l.dossier_id === A.id);
  const lb = (await allLines(run.id, acc)).find((l) => l.dossier_id === B.id);
  const claim = ok(await call('POST', `/api/v1/cases/${B.id}/claims`, { session: cw, body: { amount: 30000, reason: 'Vorschuss', instalment: 10000 } }), 201).json;
  const svc = `m${Date.now()}`;
  const notif = camt054(THUN_ACCOUNT.iban, [
    { e2e: la.end_to_end_id, amount: la.amount, svc: `${svc}a` },   // matched by its id
    { amount: lb.amount, svc: `${svc}b` },                          // the bank lost the id
    { cdi: 'CRDT', amount: 10000, ref: 'RF00WRONG', svc: `${svc}c` }, // a repayment with a wrong reference
    { amount: 12345, svc: `${svc}d` },                              // nothing of ours
  ]);
  xmllint(notif, CAMT_XSD, 'camt-manual.xml');
  const rc = ok(await reconcile(acc, notif), 200).json;
  assert.deepEqual(rc.matched_entries.map((m) => [m.outcome, m.line_id]), [['booked', la.id]]);
  assert.equal(rc.unmatched.length, 3);
  const [ub, uc, ud] = rc.unmatched;
  // The file and its transactions, with what they became.
  const file = ok(await call('GET', `/api/v1/bank-files/${rc.file.id}`, { session: acc }), 200).json;
  assert.deepEqual([file.entries, file.booked, file.unmatched], [4, 1, 3]);
  assert.deepEqual(file.items.map((e) => e.outcome), ['booked', 'unmatched', 'unmatched', 'unmatched']);
  assert.deepEqual(file.items[0].match, { dossier_id: A.id, name: la.creditor.name, run_month: '2036-02', for_month: '2036-02', claim_reference: null });
  // Candidates: the open line of that amount for the debit, the claim for the credit.
  const cb = ok(await call('GET', `/api/v1/bank-entries/${ub.id}/candidates`, { session: acc }), 200).json.items;
  assert.ok(cb.some((x) => x.type === 'line' && x.id === lb.id), JSON.stringify(cb));
  assert.ok(cb.every((x) => x.amount === lb.amount && x.type === 'line'));
  const cc = ok(await call('GET', `/api/v1/bank-entries/${uc.id}/candidates?limit=500`, { session: acc }), 200).json.items;
  assert.ok(cc.some((x) => x.type === 'claim' && x.id === claim.id && x.reference === claim.reference));
  // Matching needs the entry's ETag; the wrong target is refused, nothing booked.
  const match = (id, body, etag) => call('POST', `/api/v1/bank-entries/${id}/match`, { session: acc, body, headers: etag ? { 'if-match': etag } : {} });
  const etag = (e) => `"${file.items.find((x) => x.id === e.id).version}"`;
  err(await match(ub.id, { line_id: lb.id }), 428, 'precondition_required');
  err(await match(ub.id, { line_id: lb.id }, '"77"'), 409, 'conflict');
  err(await match(ub.id, {}, etag(ub)), 400, 'missing_field');
  err(await match(ub.id, { line_id: lb.id, claim_id: claim.id }, etag(ub)), 400, 'invalid_value');
  err(await match(ub.id, { line_id: la.id }, etag(ub)), 409, 'amount_differs');
  err(await match(ub.id, { claim_id: claim.id }, etag(ub)), 409, 'wrong_direction');
  err(await match(ud.id, { line_id: la.id }, etag(ud)), 409, 'amount_differs');
  err(await match(ub.id, { line_id: 99999999999 }, etag(ub)), 404, 'not_found');
  err(await call('POST', `/api/v1/bank-entries/${ub.id}/match`, { session: cw, body: { line_id: lb.id }, headers: { 'if-match': etag(ub) } }), 403, 'forbidden');
  err(await call('POST', `/api/v1/bank-entries/${ub.id}/match`, { session: biAcc, body: { line_id: lb.id }, headers: { 'if-match': etag(ub) } }), 404, 'not_found');
  const m1 = ok(await match(ub.id, { line_id: lb.id }, etag(ub)), 200).json;
  assert.equal(m1.outcome, 'booked');
  assert.equal(m1.matched_by.id, uid.acc);
  assert.equal(m1.match.dossier_id, B.id);
  err(await match(ub.id, { line_id: lb.id }, `"${m1.version}"`), 409, 'invalid_state');
  const lbNow = (await allLines(run.id, acc)).find((l) => l.id === lb.id);
  assert.deepEqual([lbNow.status, lbNow.booked_on], ['booked', '2040-01-02']);
  // A booked line cannot take a second debit.
  const m2 = ok(await match(uc.id, { claim_id: claim.id }, etag(uc)), 200).json;
  assert.equal(m2.outcome, 'repayment');
  assert.equal(m2.match.claim_reference, claim.reference);
  const cl = ok(await call('GET', `/api/v1/claims/${claim.id}`, { session: acc }), 200).json;
  assert.equal(cl.repaid, 10000);
  assert.equal(cl.repayments[0].source, 'bank');
  assert.equal(cl.repayments[0].bank_entry_id, uc.id);
  const f2 = ok(await call('GET', `/api/v1/bank-files/${rc.file.id}`, { session: acc }), 200).json;
  assert.deepEqual([f2.entries, f2.booked, f2.repayments, f2.unmatched], [4, 2, 1, 1]);
  const ev = sql(DB_OWNER, `select action || ' ' || (detail->>'outcome') from audit_event where tenant_id = ${thun}
    and object_type = 'bank_entry' and object_id in ('${ub.id}', '${uc.id}') order by seq`);
  assert.deepEqual(ev.split('\n'), ['bank_entry_matched booked', 'bank_entry_matched repayment']);
  // Another service sees none of it.
  for (const p of [`/api/v1/bank-files/${rc.file.id}`, `/api/v1/bank-entries/${ud.id}/candidates`])
    err(await call('GET', p, { session: biAcc }), 404, 'not_found');
  assert.ok(!ok(await call('GET', '/api/v1/bank-files?limit=500', { session: biAcc }), 200).json.items.some((f) => f.id === rc.file.id));
  assert.equal(sql(DB_APP, 'select count(*) from bank_file'), '0', 'no rows without the tenant setting');
  const asBiel = sql(DB_APP, ['begin', `select set_config('kasus.tenant_id', '${biel}', true)`,
    `select count(*) from bank_file where tenant_id = ${thun}`, 'commit']);
  assert.equal(asBiel.split('\n').pop(), '0');
});
