// Alimentenhilfe, enforcement and end (issue 14, ah_enforce.c, ah_end.c):
// debt enforcement proceedings with their steps in the order of the
// SchKG, each step's deadlines to the day from the pack
// alimente-enforcement (objection 10 days, continuation from 20 days and
// within a year, the setting aside not counted, a period's end on a
// weekend moved to the Monday), the fees per proceeding; the pension-fund
// report refused at 3 missing months and made at 4, its payout block of
// 30 days and its revocation; the criminal complaint; the final
// statement as PDF in German and French; limitation dates in the work
// list; bad input and a foreign tenant's ids.
//
// Titles, creditors and the schedule (ah_due) are another area's routes:
// they are set up here directly in the database.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { call, ok, err, as, sql, login, createUser, team, DB_OWNER, DB_APP, fixtureHousehold, tenantId } from './lib.mjs';

const A = '/api/v1/alimente';
let cw, biel;

test.before(async () => {
  cw = await as('thun', 'caseworker');
  biel = await as('biel', 'caseworker');
});

const userId = (slug, name) => Number(sql(DB_OWNER, `select id from app_user where tenant_id = ${tenantId(slug)} and username = '${name}'`));

/** The first day of the month n months from the current one (YYYY-MM-01). */
function month(n) {
  const d = new Date();
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
  return m.toISOString().slice(0, 10);
}

/**
 * An alimente dossier of thun's caseworker with a title and creditors
 * (the applicant's children), made through the API and the database.
 * opts: creditors [{birth, role}], pension (the title's institution),
 * lang, state. -> {id, title, creditors: [id], persons}
 */
async function dossier(opts = {}) {
  const t = tenantId('thun');
  const creditors = opts.creditors || [{ birth: '2015-06-10', role: 'child' }];
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1985-02-02', lang: opts.lang || 'de', last: 'Alimenta' },
    ...creditors.map((c) => ({ role: 'child', birth: c.birth, last: 'Alimenta' }))]);
  const body = { kind: 'alimente', household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942,
    caseworker_id: userId('thun', 'caseworker'), ...(opts.team ? { team: opts.team } : {}) };
  const c = ok(await call('POST', '/api/v1/cases', { session: cw, body }), 201);
  const id = c.json.id;
  if (opts.state) sql(DB_OWNER, `update dossier set state = '${opts.state}' where id = ${id}`);
  const title = sql(DB_OWNER, `insert into ah_title (tenant_id, dossier_id, title_kind, authority, decided_on, applied_on,
      debtor_pension, created_by) values (${t}, ${id}, 'judgment', 'Regionalgericht Oberland', '2014-05-01', '2020-01-15',
      ${opts.pension ? `'${opts.pension}'` : 'NULL'}, ${userId('thun', 'caseworker')}) returning id`).split('\n')[0];
  const ids = creditors.map((cr, i) => Number(sql(DB_OWNER, `insert into ah_creditor (tenant_id, title_id, dossier_id,
      person_id, role) values (${t}, ${title}, ${id}, ${hh.persons[i + 1]}, '${cr.role}') returning id`).split('\n')[0]));
  return { id, title: Number(title), creditors: ids, persons: hh.persons };
}

/** Schedule rows: due per creditor and month, and what was received (one psql call). */
function schedule(d, rows) {
  const t = tenantId('thun');
  const list = [];
  for (const r of rows) {
    const cr = d.creditors[r.creditor || 0];
    list.push(`insert into ah_due (tenant_id, creditor_id, dossier_id, month, title_amount, amount)
      values (${t}, ${cr}, ${d.id}, '${r.month}', ${r.due}, ${r.due})`);
    const parts = [['current', r.paid || 0], ['subrogated', r.recovered || 0]].filter(([, a]) => a > 0);
    if (parts.length === 0) continue;
    list.push(`with rc as (insert into ah_receipt (tenant_id, dossier_id, title_id, amount, received_on, source)
      values (${t}, ${d.id}, ${d.title}, ${parts.reduce((n, [, a]) => n + a, 0)}, '${r.month}', 'manual') returning id)
      insert into ah_allocation (tenant_id, receipt_id, creditor_id, month, part, amount)
      select ${t}, rc.id, ${cr}, '${r.month}', p.part, p.amount from rc,
        (values ${parts.map(([part, a]) => `('${part}', ${a})`).join(', ')}) p (part, amount)`);
  }
  if (list.length) sql(DB_OWNER, list);
}

/** The open deadlines of a kind of a dossier: [due_on, ...] sorted. */
async function openDeadlines(id, kind, session = cw) {
  const r = ok(await call('GET', `/api/v1/cases/${id}/deadlines`, { session }), 200);
  return r.json.items.filter((x) => x.kind === kind && x.done_on === null).map((x) => x.due_on).sort();
}

function step(e, body, etag, session = cw) {
  return call('POST', `${A}/enforcements/${e}/steps`, { session, body, headers: etag === undefined ? {} : { 'if-match': etag } });
}

/** Record a step with the proceeding's current ETag; returns the answer. */
async function next(e, body, session = cw) {
  const g = ok(await call('GET', `${A}/enforcements/${e}`, { session }), 200);
  return step(e, body, g.headers.get('etag'), session);
}

const pdftext = (buf) => execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: buf }).toString('utf8');

async function pdf(path, session = cw) {
  const res = await fetch(`${process.env.KASUS_URL}${path}`, { headers: { cookie: `ks_session=${session.cookie}` } });
  const buf = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `${path} -> ${res.status} ${buf.toString('utf8').slice(0, 300)}`);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  assert.equal(buf.subarray(0, 5).toString(), '%PDF-');
  return pdftext(buf);
}

test('a proceeding step by step: the order of the SchKG, each step\'s deadlines to the day, its fees', async () => {
  const d = await dossier({ state: 'voluntary' });
  const start = { amount: 240000, office: 'Betreibungsamt Oberland', started_on: '2026-02-20', reference: '26-4711' };
  const e = ok(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw, body: start }), 201).json;
  assert.equal(e.amount, 240000);
  assert.equal(e.last_step, null);
  assert.equal(e.open, true);
  assert.deepEqual(e.steps, []);
  const dossierNow = ok(await call('GET', `/api/v1/cases/${d.id}`, { session: cw }), 200).json;
  assert.equal(dossierNow.state, 'enforcement', 'voluntary collection moved to enforcement');

  // Out of order, without or with a stale If-Match.
  let g = ok(await call('GET', `${A}/enforcements/${e.id}`, { session: cw }), 200);
  err(await step(e.id, { step: 'request', date: '2026-02-23' }), 428, 'precondition_required');
  err(await step(e.id, { step: 'request', date: '2026-02-23' }, '"999"'), 409, 'conflict');
  let x = err(await step(e.id, { step: 'payment_order', date: '2026-03-04' }, g.headers.get('etag')), 409, 'ah_enforcement_step_order');
  assert.deepEqual(x.detail.allowed, ['request']);
  err(await step(e.id, { step: 'request', date: '2026-02-19' }, g.headers.get('etag')), 400, 'invalid_value');
  err(await step(e.id, { step: 'summons', date: '2026-02-23' }, g.headers.get('etag')), 400, 'invalid_value');
  err(await step(e.id, { step: 'request', date: '2099-01-01' }, g.headers.get('etag')), 400, 'invalid_value');
  err(await step(e.id, { step: 'request', date: '2026-02-23', fee: -1 }, g.headers.get('etag')), 400);

  ok(await step(e.id, { step: 'request', date: '2026-02-23', fee: 7300 }, g.headers.get('etag')), 201);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), [], 'a request sets no deadline');

  // Served on Wednesday 4 March 2026: objection by the 14th, a Saturday,
  // so Monday the 16th; continuation from the 24th, by 4 March 2027.
  let r = ok(await next(e.id, { step: 'payment_order', date: '2026-03-04', fee: 5300, note: 'persönlich zugestellt' }), 201);
  assert.equal(r.json.last_step, 'payment_order');
  assert.equal(r.json.fees, 12600);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), ['2026-03-16', '2026-03-24', '2027-03-04']);
  const texts = ok(await call('GET', `/api/v1/cases/${d.id}/deadlines`, { session: cw }), 200).json.items
    .filter((i) => i.kind === 'ah_enforcement').map((i) => i.text);
  assert.ok(texts.some((t) => t.startsWith('Betreibung Betreibungsamt Oberland 26-4711: Rechtsvorschlag')), texts.join('|'));

  // The continuation before 20 days is refused; the objection within 10.
  x = err(await next(e.id, { step: 'continuation', date: '2026-03-23' }), 409, 'ah_enforcement_too_early');
  assert.equal(x.detail.earliest, '2026-03-24');
  ok(await next(e.id, { step: 'objection', date: '2026-03-10' }), 201);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), ['2027-03-04'], 'objection by and continuation from are done');
  x = err(await next(e.id, { step: 'continuation', date: '2026-05-20' }), 409, 'ah_enforcement_step_order');
  assert.deepEqual(x.detail.allowed, ['setting_aside', 'withdrawn']);
  err(await next(e.id, { step: 'setting_aside', date: '2026-03-09' }), 400, 'invalid_value');

  // Set aside on 11 May: the 62 days since the objection do not count.
  ok(await next(e.id, { step: 'setting_aside', date: '2026-05-11', fee: 20000 }), 201);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), ['2027-05-05']);
  ok(await next(e.id, { step: 'continuation', date: '2026-05-20', fee: 4000 }), 201);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), []);
  ok(await next(e.id, { step: 'seizure', date: '2026-06-15', fee: 9000 }), 201);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), ['2026-07-15', '2027-06-15']);
  r = ok(await next(e.id, { step: 'loss_certificate', date: '2026-09-01', fee: 2000 }), 201);
  assert.equal(r.json.open, false);
  assert.equal(r.json.fees, 7300 + 5300 + 20000 + 4000 + 9000 + 2000);
  assert.deepEqual(r.json.steps.map((s) => [s.step, s.date, s.fee]), [['request', '2026-02-23', 7300],
    ['payment_order', '2026-03-04', 5300], ['objection', '2026-03-10', 0], ['setting_aside', '2026-05-11', 20000],
    ['continuation', '2026-05-20', 4000], ['seizure', '2026-06-15', 9000], ['loss_certificate', '2026-09-01', 2000]]);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), ['2046-09-01'], 'the certificate of loss lapses after 20 years');
  x = err(await next(e.id, { step: 'withdrawn', date: '2026-09-02' }), 409, 'ah_enforcement_step_order');
  assert.deepEqual(x.detail.allowed, []);

  // A second proceeding whose year lapsed: the continuation is refused,
  // the withdrawal ends its deadlines and keeps the first one's.
  const e2 = ok(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw,
    body: { amount: 80000, office: 'Betreibungsamt Thun', started_on: '2025-01-06' } }), 201).json;
  ok(await next(e2.id, { step: 'request', date: '2025-01-06' }), 201);
  ok(await next(e2.id, { step: 'payment_order', date: '2025-01-08' }), 201);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), ['2025-01-20', '2025-01-28', '2026-01-08', '2046-09-01']);
  x = err(await next(e2.id, { step: 'continuation', date: '2026-02-01' }), 409, 'ah_enforcement_lapsed');
  assert.equal(x.detail.latest, '2026-01-08');
  ok(await next(e2.id, { step: 'withdrawn', date: '2026-02-01', fee: 1000 }), 201);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), ['2046-09-01']);

  const list = ok(await call('GET', `/api/v1/cases/${d.id}/enforcements?limit=1`, { session: cw }), 200);
  assert.equal(list.json.items.length, 1);
  assert.equal(list.json.items[0].id, e.id);
  const rest = ok(await call('GET', `/api/v1/cases/${d.id}/enforcements?limit=1&after=${list.json.next}`, { session: cw }), 200);
  assert.deepEqual(rest.json.items.map((i) => [i.id, i.last_step, i.fees]), [[e2.id, 'withdrawn', 1000]]);

  // Bad input on the proceeding itself.
  err(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw, body: { ...start, amount: 0 } }), 400);
  err(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw, body: { ...start, office: '' } }), 400);
  err(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw, body: { ...start, started_on: '2026-02-30' } }), 400);
  err(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw, body: { ...start, started_on: '2099-01-01' } }), 400, 'invalid_value');
});

test('pension-fund report: refused at 3 missing months, made at 4; payout block 30 days; revocation', async () => {
  const d = await dossier({ pension: 'Pensionskasse Muster AG' });
  // Six months before the current one: the first three paid.
  schedule(d, [-6, -5, -4, -3, -2, -1].map((n, i) => ({ month: month(n), due: 80000, paid: i < 3 ? 80000 : 0 })));
  let x = err(await call('POST', `/api/v1/cases/${d.id}/pension-reports`, { session: cw, body: {} }), 409, 'ah_pension_not_due');
  assert.deepEqual(x.detail, { missing_months: 3, required: 4 });
  // A fourth month partly paid is missing too.
  schedule(d, [{ month: month(0), due: 80000, paid: 50000 }]);
  err(await call('POST', `/api/v1/cases/${d.id}/pension-reports`, { session: cw, body: { reported_on: '2099-01-01' } }), 400, 'invalid_value');
  const rep = ok(await call('POST', `/api/v1/cases/${d.id}/pension-reports`, { session: cw, body: {} }), 201);
  assert.equal(rep.json.institution, 'Pensionskasse Muster AG', 'the title\'s institution');
  assert.equal(rep.json.missing_months, 4);
  assert.equal(rep.json.status, 'active');
  err(await call('POST', `/api/v1/cases/${d.id}/pension-reports`, { session: cw, body: { institution: 'pensionskasse muster ag' } }),
    409, 'ah_pension_report_active');
  const id = rep.json.id;
  const etag = rep.headers.get('etag');

  // The payout notice: from CHF 1,000; blocked for 30 days.
  err(await call('POST', `${A}/pension-reports/${id}/payout-notice`, { session: cw, body: { notified_on: '2026-11-20', amount: 150000 } }),
    428, 'precondition_required');
  x = err(await call('POST', `${A}/pension-reports/${id}/payout-notice`, { session: cw, headers: { 'if-match': etag },
    body: { notified_on: '2026-11-20', amount: 99999 } }), 409, 'ah_payout_below_threshold');
  assert.equal(x.detail.threshold, 100000);
  const p = ok(await call('POST', `${A}/pension-reports/${id}/payout-notice`, { session: cw, headers: { 'if-match': etag },
    body: { notified_on: '2026-11-20', amount: 100000, note: 'Barauszahlung' } }), 201);
  assert.deepEqual(p.json.payouts.map((o) => [o.notified_on, o.amount, o.blocked_until]), [['2026-11-20', 100000, '2026-12-20']]);
  assert.deepEqual(await openDeadlines(d.id, 'ah_payout_block'), ['2026-12-20']);
  err(await call('POST', `${A}/pension-reports/${id}/payout-notice`, { session: cw, headers: { 'if-match': etag },
    body: { notified_on: '2026-11-21', amount: 200000 } }), 409, 'conflict');

  // Revocation: not while arrears are open; by decision only with a note.
  const etag2 = p.headers.get('etag');
  x = err(await call('POST', `${A}/pension-reports/${id}/revoke`, { session: cw, headers: { 'if-match': etag2 },
    body: { reason: 'paid' } }), 409, 'ah_pension_revoke_early');
  assert.equal(x.detail.missing_months, 4);
  err(await call('POST', `${A}/pension-reports/${id}/revoke`, { session: cw, headers: { 'if-match': etag2 },
    body: { reason: 'decision' } }), 400, 'missing_field');
  err(await call('POST', `${A}/pension-reports/${id}/revoke`, { session: cw, headers: { 'if-match': etag2 },
    body: { reason: 'mercy', note: 'x' } }), 400, 'invalid_value');
  const rv = ok(await call('POST', `${A}/pension-reports/${id}/revoke`, { session: cw, headers: { 'if-match': etag2 },
    body: { reason: 'decision', note: 'Vereinbarung mit dem Schuldner' } }), 200);
  assert.equal(rv.json.status, 'revoked');
  assert.equal(rv.json.revoke_reason, 'decision');
  err(await call('POST', `${A}/pension-reports/${id}/revoke`, { session: cw, headers: { 'if-match': rv.headers.get('etag') },
    body: { reason: 'decision', note: 'again' } }), 409, 'invalid_state');
  err(await call('POST', `${A}/pension-reports/${id}/payout-notice`, { session: cw, headers: { 'if-match': rv.headers.get('etag') },
    body: { notified_on: '2026-11-20', amount: 150000 } }), 409, 'invalid_state');
  const list = ok(await call('GET', `/api/v1/cases/${d.id}/pension-reports`, { session: cw }), 200);
  assert.deepEqual(list.json.items.map((i) => [i.id, i.status]), [[id, 'revoked']]);

  // Paid up and a year of regular payment: revoked for that reason.
  const d2 = await dossier();
  schedule(d2, [-16, -15, -14, -13].map((n) => ({ month: month(n), due: 60000 })));
  const rep2 = ok(await call('POST', `/api/v1/cases/${d2.id}/pension-reports`, { session: cw, body: { institution: 'Freizügigkeitsstiftung' } }), 201);
  // The arrears paid later, then eleven regular months: not yet a year.
  sql(DB_OWNER, `delete from ah_due where dossier_id = ${d2.id}`);
  schedule(d2, [-16, -15, -14, -13].map((n) => ({ month: month(n), due: 60000, paid: 60000 })));
  schedule(d2, [-11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1].map((n) => ({ month: month(n), due: 60000, recovered: 60000 })));
  x = err(await call('POST', `${A}/pension-reports/${rep2.json.id}/revoke`, { session: cw, headers: { 'if-match': rep2.headers.get('etag') },
    body: { reason: 'paid' } }), 409, 'ah_pension_revoke_early');
  assert.deepEqual(x.detail, { missing_months: 0, regular_months: 11, required: 12 });
  schedule(d2, [{ month: month(-12), due: 60000, paid: 60000 }]);
  const rv2 = ok(await call('POST', `${A}/pension-reports/${rep2.json.id}/revoke`, { session: cw,
    headers: { 'if-match': rep2.headers.get('etag') }, body: { reason: 'paid' } }), 200);
  assert.equal(rv2.json.revoke_reason, 'paid');

  // A title without an institution: name one.
  const d3 = await dossier();
  schedule(d3, [-4, -3, -2, -1].map((n) => ({ month: month(n), due: 10000 })));
  x = err(await call('POST', `/api/v1/cases/${d3.id}/pension-reports`, { session: cw, body: {} }), 400, 'missing_field');
  assert.equal(x.detail.field, 'institution');
});

test('criminal complaint (StGB 217) as a recorded step', async () => {
  const d = await dossier();
  const c = ok(await call('POST', `/api/v1/cases/${d.id}/complaints`, { session: cw,
    body: { filed_on: '2026-10-01', authority: 'Staatsanwaltschaft Oberland', note: 'Vernachlässigung der Unterhaltspflicht' } }), 201);
  assert.equal(c.json.authority, 'Staatsanwaltschaft Oberland');
  err(await call('POST', `/api/v1/cases/${d.id}/complaints`, { session: cw, body: { filed_on: '2099-10-01', authority: 'X' } }), 400, 'invalid_value');
  err(await call('POST', `/api/v1/cases/${d.id}/complaints`, { session: cw, body: { filed_on: '2026-10-01' } }), 400, 'missing_field');
  err(await call('POST', `/api/v1/cases/${d.id}/complaints`, { session: cw, body: { filed_on: '2026-10-01', authority: 7 } }), 400, 'invalid_type');
  const l = ok(await call('GET', `/api/v1/cases/${d.id}/complaints`, { session: cw }), 200);
  assert.deepEqual(l.json.items.map((i) => [i.id, i.filed_on]), [[c.json.id, '2026-10-01']]);
});

test('final statement: per creditor due, received, advanced, recovered, outstanding and the fees, German and French', async () => {
  const d = await dossier({ creditors: [{ birth: '2012-03-15', role: 'child' }, { birth: '2016-09-01', role: 'child' }], lang: 'fr' });
  schedule(d, [
    { month: '2026-01-01', due: 80000, paid: 80000 },
    { month: '2026-02-01', due: 80000, paid: 50000 },
    { month: '2026-03-01', due: 80000 },
    { month: '2026-01-01', due: 65050, creditor: 1, paid: 65050 },
    { month: '2026-02-01', due: 65050, creditor: 1 },
  ]);
  const e = ok(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw,
    body: { amount: 210000, office: 'Betreibungsamt Oberland', started_on: '2026-04-01', reference: '26-99' } }), 201).json;
  ok(await next(e.id, { step: 'request', date: '2026-04-01', fee: 7300 }), 201);
  ok(await next(e.id, { step: 'payment_order', date: '2026-04-07', fee: 5350 }), 201);

  // Interim while the help runs; the client's language by default.
  let t = await pdf(`/api/v1/cases/${d.id}/final-statement?lang=de`);
  assert.match(t, /Abrechnung \(Zwischenstand\)/);
  const rows = (txt) => txt.split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' | '));
  let lines = rows(t);
  const at = (label, n = 0) => lines.filter((l) => l.startsWith(label))[n];
  assert.equal(at('Geschuldet gemäss Titel'), "Geschuldet gemäss Titel (indexiert) | CHF 2'400.00");
  assert.equal(at('Vom Schuldner bezahlt'), "Vom Schuldner bezahlt | CHF 1'300.00");
  assert.equal(at('Ausstehend'), "Ausstehend | CHF 1'100.00");
  assert.equal(at('Von der Gemeinde bevorschusst'), 'Von der Gemeinde bevorschusst | CHF 0.00');
  assert.equal(at('Geschuldet gemäss Titel', 1), "Geschuldet gemäss Titel (indexiert) | CHF 1'301.00");
  assert.equal(at('Ausstehend', 1), 'Ausstehend | CHF 650.50');
  assert.equal(at('Betreibung Betreibungsamt Oberland'), 'Betreibung Betreibungsamt Oberland (26-99), eingeleitet am 1. April 2026 | CHF 126.50');
  assert.equal(at('Total Betreibungskosten'), 'Total Betreibungskosten | CHF 126.50');
  assert.match(t, /geboren am 15\. März 2012/);
  const fr = await pdf(`/api/v1/cases/${d.id}/final-statement`);
  assert.match(fr, /Décompte intermédiaire/, 'the client speaks French');

  // One creditor only; bad parameters.
  t = await pdf(`/api/v1/cases/${d.id}/final-statement?lang=de&creditor=${d.creditors[1]}`);
  lines = rows(t);
  assert.equal(lines.filter((l) => l.startsWith('Geschuldet')).length, 1);
  assert.equal(at('Ausstehend'), 'Ausstehend | CHF 650.50');
  err(await call('GET', `/api/v1/cases/${d.id}/final-statement?lang=it`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `/api/v1/cases/${d.id}/final-statement?creditor=x1`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `/api/v1/cases/${d.id}/final-statement?creditor=1`, { session: cw }), 404, 'not_found');

  // The end: the core's transition to closed with a reason (InkHV 16).
  const g = ok(await call('GET', `/api/v1/cases/${d.id}`, { session: cw }), 200);
  ok(await call('POST', `/api/v1/cases/${d.id}/transitions`, { session: cw, headers: { 'if-match': g.headers.get('etag') },
    body: { to: 'closed', closure_reason: 'uncollectable', reason: 'ein Jahr ohne Erfolg' } }), 200);
  assert.deepEqual(await openDeadlines(d.id, 'ah_enforcement'), [], 'the end closes the enforcement deadlines');
  t = await pdf(`/api/v1/cases/${d.id}/final-statement?lang=fr`);
  lines = rows(t);
  assert.match(t, /Décompte final/);
  assert.match(t.replace(/\s+/g, ' '), /\(créance irrécouvrable\)/);
  assert.equal(at('Dû selon le titre'), "Dû selon le titre (indexé) | CHF 2'400.00");
  assert.equal(at('Impayé'), "Impayé | CHF 1'100.00");
  assert.equal(at('Total des frais de poursuite'), 'Total des frais de poursuite | CHF 126.50');
  t = await pdf(`/api/v1/cases/${d.id}/final-statement?lang=de`);
  assert.match(t, /Schlussabrechnung/);
  assert.match(t.replace(/\s+/g, ' '), /\(Uneinbringlichkeit\)/);

  // A closed dossier takes no more steps.
  err(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw,
    body: { amount: 1000, office: 'X', started_on: '2026-04-01' } }), 409, 'dossier_closed');
  err(await call('POST', `/api/v1/cases/${d.id}/complaints`, { session: cw,
    body: { filed_on: '2026-10-01', authority: 'X' } }), 409, 'dossier_closed');
});

test('limitation dates in the work list: 5 years, a child\'s claim from the 18th birthday', async () => {
  const m = month(1).replace(/^(\d{4})/, (y) => String(Number(y) - 5));	// 5 years before next month
  // 18 the month after m: the claim runs from then on.
  const adult = new Date(`${month(2)}T00:00:00Z`);
  adult.setUTCFullYear(adult.getUTCFullYear() - 23);
  const d = await dossier({ creditors: [{ birth: adult.toISOString().slice(0, 10), role: 'child' }, { birth: '2015-06-10', role: 'child' },
    { birth: '1980-01-01', role: 'spouse' }] });
  schedule(d, [{ month: m, due: 50000, paid: 20000 }, { month: m, due: 50000, creditor: 1 }, { month: m, due: 70000, creditor: 2 }]);
  const wl = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200).json;
  const mine = wl.ah_limitation.filter((i) => i.dossier_id === d.id);
  assert.deepEqual(mine.map((i) => [i.creditor_id, i.month, i.outstanding, i.limitation_on]), [
    [d.creditors[2], m, 70000, month(1)],
    [d.creditors[0], m, 30000, month(2)],
  ], 'the minor\'s claim does not run yet');
  assert.equal(mine[0].module, 'alimente');
  // Paid: nothing to watch.
  sql(DB_OWNER, `update ah_due set amount = 0 where dossier_id = ${d.id} and creditor_id = ${d.creditors[2]}`);
  const wl2 = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200).json;
  assert.deepEqual(wl2.ah_limitation.filter((i) => i.dossier_id === d.id).map((i) => i.creditor_id), [d.creditors[0]]);
});

test('a foreign tenant\'s ids answer 404; a reader may not write', async () => {
  const d = await dossier({ pension: 'PK' });
  schedule(d, [-4, -3, -2, -1].map((n) => ({ month: month(n), due: 10000 })));
  const e = ok(await call('POST', `/api/v1/cases/${d.id}/enforcements`, { session: cw,
    body: { amount: 40000, office: 'Betreibungsamt Thun', started_on: '2026-04-01' } }), 201);
  const r = ok(await call('POST', `/api/v1/cases/${d.id}/pension-reports`, { session: cw, body: {} }), 201);
  const etag = e.headers.get('etag');
  for (const p of ['enforcements', 'pension-reports', 'complaints', 'final-statement'])
    err(await call('GET', `/api/v1/cases/${d.id}/${p}`, { session: biel }), 404, 'not_found');
  err(await call('GET', `${A}/enforcements/${e.json.id}`, { session: biel }), 404, 'not_found');
  err(await step(e.json.id, { step: 'request', date: '2026-04-01' }, etag, biel), 404, 'not_found');
  err(await call('POST', `${A}/pension-reports/${r.json.id}/revoke`, { session: biel, headers: { 'if-match': r.headers.get('etag') },
    body: { reason: 'decision', note: 'x' } }), 404, 'not_found');
  err(await call('POST', `${A}/pension-reports/${r.json.id}/payout-notice`, { session: biel, headers: { 'if-match': r.headers.get('etag') },
    body: { notified_on: '2026-11-01', amount: 500000 } }), 404, 'not_found');
  err(await call('POST', `/api/v1/cases/${d.id}/complaints`, { session: biel, body: { filed_on: '2026-10-01', authority: 'X' } }), 404, 'not_found');
  // A Sozialhilfe dossier is not an alimente one.
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1970-01-01' }]);
  const sh = ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: hh.household, applicant_id: hh.persons[0],
    municipality_bfs: 942 } }), 201);
  err(await call('GET', `/api/v1/cases/${sh.json.id}/enforcements`, { session: cw }), 404, 'not_found');
  // The auditor reads, but does not write.
  const aud = await as('thun', 'auditor');
  ok(await call('GET', `/api/v1/cases/${d.id}/enforcements`, { session: aud }), 200);
  err(await step(e.json.id, { step: 'request', date: '2026-04-01' }, etag, aud), 403, 'forbidden');
  // Another team's case worker reads, but changes nothing (403 other_team).
  const admin = await as('thun', 'admin');
  await team(admin, 'Süd');
  await team(admin, 'Nord');
  const n = await createUser(admin, ['caseworker'], { team: 'Nord' });
  const nord = await login('thun', n.username, n.password);
  const ds = await dossier({ team: 'Süd' });
  const es = ok(await call('POST', `/api/v1/cases/${ds.id}/enforcements`, { session: cw,
    body: { amount: 40000, office: 'Betreibungsamt Thun', started_on: '2026-04-01' } }), 201);
  ok(await call('GET', `${A}/enforcements/${es.json.id}`, { session: nord }), 200);
  ok(await call('GET', `/api/v1/cases/${ds.id}/enforcements`, { session: nord }), 200);
  err(await step(es.json.id, { step: 'request', date: '2026-04-01' }, es.headers.get('etag'), nord), 403, 'other_team');
  err(await call('POST', `/api/v1/cases/${ds.id}/enforcements`, { session: nord,
    body: { amount: 40000, office: 'Betreibungsamt Thun', started_on: '2026-04-01' } }), 403, 'other_team');
  err(await call('POST', `/api/v1/cases/${ds.id}/complaints`, { session: nord, body: { filed_on: '2026-10-01', authority: 'X' } }), 403, 'other_team');
  schedule(ds, [-4, -3, -2, -1].map((k) => ({ month: month(k), due: 10000 })));
  err(await call('POST', `/api/v1/cases/${ds.id}/pension-reports`, { session: nord, body: { institution: 'PK' } }), 403, 'other_team');
  const rs = ok(await call('POST', `/api/v1/cases/${ds.id}/pension-reports`, { session: cw, body: { institution: 'PK' } }), 201);
  err(await call('POST', `${A}/pension-reports/${rs.json.id}/revoke`, { session: nord, headers: { 'if-match': rs.headers.get('etag') },
    body: { reason: 'decision', note: 'x' } }), 403, 'other_team');
  err(await call('POST', `${A}/pension-reports/${rs.json.id}/payout-notice`, { session: nord, headers: { 'if-match': rs.headers.get('etag') },
    body: { notified_on: '2026-11-01', amount: 500000 } }), 403, 'other_team');
  // Without the tenant set, the tables show nothing.
  for (const tb of ['ah_enforcement', 'ah_enforcement_step', 'ah_pension_report', 'ah_payout_notice', 'ah_complaint'])
    assert.equal(sql(DB_APP, `select count(*) from ${tb}`), '0', tb);
});
