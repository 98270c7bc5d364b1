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
// Runs here are in 2045 and 2046 (no other test uses those months).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  call, ok, err, show, as, sql, DB_OWNER, DB_APP, tenantId, xmllint, painTx, camt054,
} from './lib.mjs';
import {
  R, iban, q, makeDossier, addBudget, allLines, reconcile, setAccount, approveRun, approveOneOff, repay,
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
  return ok(await call('POST', R, { session: acc, body: { month } }), 201).json;
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
 * What dossier d is paid per month by every run (open or booked lines;
 * held and returned ones paid nothing), and what the approved budget in
 * force for the month says.
 */
function paidAndDecided(d, months) {
  const paid = {};
  const rows = sql(DB_OWNER, `select to_char(for_month, 'YYYY-MM'), sum(amount) from sh_payment_line
    where tenant_id = ${thun} and dossier_id = ${d.id} and status in ('open', 'booked') and for_month is not null
    group by 1 order by 1`);
  for (const r of rows ? rows.split('\n') : []) { const [m, a] = r.split('|'); paid[m] = Number(a); }
  const decided = {};
  for (const m of months) {
    const v = sql(DB_OWNER, `select payment from sh_budget where tenant_id = ${thun} and dossier_id = ${d.id}
      and status = 'approved' and valid_from <= '${m}-01' order by valid_from desc, id desc limit 1`);
    decided[m] = v ? Number(v) : 0;
    paid[m] = paid[m] || 0;
  }
  for (const m of Object.keys(paid)) if (!months.includes(m)) decided[m] = undefined;
  return { paid, decided };
}

function assertExact(d, months, what) {
  const { paid, decided } = paidAndDecided(d, months);
  assert.deepEqual(paid, decided, `${what}: paid per month equals what was decided`);
}

// ----------------------------------------------------------- back payments

test('a late decision: the approved month is paid as back payment by the next run, once, whatever is recomputed', async () => {
  const X = dossier({ last: 'Spät', state: 'decision', budgets: [{ from: '2045-01-01', payment: 100000 }] });
  const Y = dossier({ last: 'Später', state: 'decision', budgets: [{ from: '2045-01-01', payment: 70000 }] });
  const Z = dossier({ last: 'Ohnekonto', iban: null, budgets: [{ from: '2045-01-01', payment: 50000 }] });
  const P = dossier({ last: 'Pünktlich', budgets: [{ from: '2045-01-01', payment: 30000 }] });

  // January: run made and approved while X and Y wait for their decision;
  // Z has no account yet (held).
  const jan = await createRun('2045-01');
  assert.deepEqual(await linesOf(jan, X), [], 'no decision yet: nothing paid');
  assert.deepEqual(await linesOf(jan, Z), [['support', '2045-01', 50000, 'held']]);
  ok(await approveRun(lead, jan.id), 200);
  // February: made before X's decision took effect, still a draft.
  let feb = await createRun('2045-02');
  assert.deepEqual(await linesOf(feb, X), []);
  // X's decision takes effect; Z's account is known now.
  sql(DB_OWNER, [`update dossier set state = 'ongoing' where id = ${X.id}`, `update person set iban = ${q(iban())} where id = ${Z.person}`]);
  // The stale draft is recomputed: February's own line and January's back payment.
  const before = (await call('GET', `${R}/${feb.id}?limit=1`, { session: acc })).json;
  const rec = await recompute(feb);
  assert.equal(rec.version, before.version + 1, 'a recompute is a new version of the run');
  assert.ok(rec.computed_at > before.computed_at, 'the run says when it was computed');
  const wantX = [['back_payment', '2045-01', 100000, 'open'], ['support', '2045-02', 100000, 'open']];
  assert.deepEqual(await linesOf(feb, X), wantX);
  assert.deepEqual(await linesOf(feb, Z), [['back_payment', '2045-01', 50000, 'open'], ['support', '2045-02', 50000, 'open']],
    'a held payment is paid later');
  const bp = (await allLines(feb.id, acc)).find((l) => l.dossier_id === X.id && l.kind === 'back_payment');
  assert.equal(bp.text, 'Nachzahlung Sozialhilfe 2045-01');
  assert.equal(bp.creditor.name, 'Anna Spät', 'a back payment goes to the applicant');
  assert.ok(rec.summary.by_kind.back_payment.count >= 2, show({ method: 'POST', path: 'recompute', status: 200, text: JSON.stringify(rec.summary) }));
  // Recomputing again, discarding and making it again: the same lines, never twice.
  feb = { id: (await recompute(feb)).id };
  assert.deepEqual(await linesOf(feb, X), wantX);
  await discard(feb);
  err(await call('GET', `${R}/${feb.id}`, { session: acc }), 404, 'not_found');
  feb = await createRun('2045-02');
  assert.deepEqual(await linesOf(feb, X), wantX);
  // March made while February is still a draft: January is in February's run.
  let mar = await createRun('2045-03');
  assert.deepEqual(await linesOf(mar, X), [['support', '2045-03', 100000, 'open']]);
  ok(await approveRun(lead, feb.id), 200);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, X), [['support', '2045-03', 100000, 'open']], 'February paid January');
  assertExact(X, ['2045-01', '2045-02', '2045-03'], 'X after February');
  assertExact(Z, ['2045-01', '2045-02', '2045-03'], 'Z after February');

  // Y's decision comes two months late: both months in one run, their own lines.
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${Y.id}`);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, Y), [['back_payment', '2045-01', 70000, 'open'], ['back_payment', '2045-02', 70000, 'open'],
    ['support', '2045-03', 70000, 'open']]);

  // X's budget is replaced for January on (more rent): the difference for
  // the approved months, the new amount for March.
  const newer = budget(X, { from: '2045-01-01', payment: 120000 });
  sql(DB_OWNER, `update sh_budget set status = 'replaced' where dossier_id = ${X.id} and id <> ${newer}`);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, X), [['back_payment', '2045-01', 20000, 'open'], ['back_payment', '2045-02', 20000, 'open'],
    ['support', '2045-03', 120000, 'open']]);
  // Y's decision is revoked before March is approved: its back payments go.
  sql(DB_OWNER, `update sh_budget set status = 'replaced' where dossier_id = ${Y.id}`);
  mar = await recompute(mar);
  assert.deepEqual(await linesOf(mar, Y), [], 'revoked: nothing paid');
  ok(await approveRun(lead, mar.id), 200);
  assertExact(X, ['2045-01', '2045-02', '2045-03'], 'X after March');
  assertExact(Y, ['2045-01', '2045-02', '2045-03'], 'Y after March');
  assertExact(Z, ['2045-01', '2045-02', '2045-03'], 'Z after March');
  assertExact(P, ['2045-01', '2045-02', '2045-03'], 'paid on time, never again');
  for (const r of [jan, feb, mar]) assert.deepEqual((await linesOf(r, P)).map((l) => l[0]), ['support']);

  // An approved run is frozen: no recompute, no discard.
  const cur = ok(await call('GET', `${R}/${mar.id}?limit=1`, { session: acc }), 200);
  err(await call('POST', `${R}/${mar.id}/recompute`, { session: acc, headers: { 'if-match': cur.headers.get('etag') } }), 409, 'invalid_state');
  err(await call('DELETE', `${R}/${mar.id}`, { session: acc, headers: { 'if-match': cur.headers.get('etag') } }), 409, 'invalid_state');

  // The file pays the back payments as their own transactions, XSD-valid,
  // the same bytes on re-export; the client account books them.
  const x1 = ok(await call('GET', `${R}/${mar.id}/pain001`, { session: acc }), 200);
  xmllint(x1.text, XSD, 'run-2045-03-back-payments.xml');
  const tx = painTx(x1.text);
  const mine = (await allLines(mar.id, acc)).filter((l) => l.dossier_id === X.id);
  for (const l of mine) assert.equal(tx.find((t) => t.e2e === l.end_to_end_id)?.amount, l.amount, l.text);
  assert.ok(x1.text.includes('<Ustrd>Nachzahlung Sozialhilfe 2045-02</Ustrd>'));
  assert.equal(ok(await call('GET', `${R}/${mar.id}/pain001`, { session: acc }), 200).text, x1.text, 'byte-identical');
  const led = ok(await call('GET', `/api/v1/cases/${X.id}/ledger?limit=100`, { session: cw }), 200).json;
  assert.deepEqual(led.items.filter((e) => e.text.startsWith('Nachzahlung')).map((e) => [e.text, e.amount]),
    [['Nachzahlung Sozialhilfe 2045-01', -20000], ['Nachzahlung Sozialhilfe 2045-02', -20000]]);
});

test('back payments: two runs made at once pay a month once; a month more than twelve back is not paid', async () => {
  const W = dossier({ last: 'Zugleich', state: 'decision', budgets: [{ from: '2045-04-01', payment: 40000 }] });
  dossier({ last: 'Regelmässig', budgets: [{ from: '2045-04-01', payment: 20000 }] });
  const apr = await createRun('2045-04');
  ok(await approveRun(lead, apr.id), 200);
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${W.id}`);
  const [a, b] = await Promise.all(['2045-05', '2045-06'].map((m) => call('POST', R, { session: acc, body: { month: m } })));
  ok(a, 201);
  ok(b, 201);
  const back = [...await linesOf(a.json, W), ...await linesOf(b.json, W)].filter((l) => l[0] === 'back_payment');
  assert.deepEqual(back, [['back_payment', '2045-04', 40000, 'open']], 'April is paid by one of the two runs');
  // The month of the run that had it is paid once also after the other is recomputed.
  await recompute(b.json);
  await recompute(a.json);
  const again = [...await linesOf(a.json, W), ...await linesOf(b.json, W)].filter((l) => l[0] === 'back_payment');
  assert.deepEqual(again, [['back_payment', '2045-04', 40000, 'open']]);
  // Thirteen months later April is too far back for a back payment.
  const far = await createRun('2046-05');
  assert.deepEqual((await linesOf(far, W)).filter((l) => l[0] === 'back_payment'), []);
  for (const r of [a.json, b.json, far]) await discard(r);
});

test('recompute and discard: If-Match, drafts only, their permission, audited, foreign runs 404', async () => {
  const run = await createRun('2046-01');
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
