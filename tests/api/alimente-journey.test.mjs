// The whole path of an Alimentenhilfe dossier through the API (issue 14):
// application -> title and schedule -> advance decision (four eyes) ->
// payment run with the advance -> missed payments -> enforcement step and
// pension-fund report -> the end and the final statement, the money
// exact to the Rappen in every view of it. One family in a fresh social
// service, so that its payment run is the only one of its month.
//
// The debtor pays once, by camt.054 with his title's QR reference: the
// payment is split by the pack alimente-allocation, the community
// recovers its advance and the creditor's part is passed on in the next
// run; everything after stays unpaid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  BASE, call, ok, err, as, login, sql, DB_OWNER, freshTenant, createUser, tenantId, jobOf, fixtureHousehold, camt054,
} from './lib.mjs';
import { reconcile } from './money-lib.mjs';

const C = '/api/v1/cases';

async function user(t, role) {
  const u = await createUser(t.admin, [role]);
  const s = await login(t.slug, u.username, u.password);
  s.id = u.id;
  return s;
}

async function step(id, session, body) {
  const g = ok(await call('GET', `${C}/${id}`, { session }), 200);
  return ok(await call('POST', `${C}/${id}/transitions`, { session, body, headers: { 'if-match': g.headers.get('etag') } }), 200).json;
}

async function pdfText(path, session) {
  const r = await fetch(BASE + path, { headers: { cookie: `ks_session=${session.cookie}` } });
  const buf = Buffer.from(await r.arrayBuffer());
  assert.equal(r.status, 200, `${path}: ${r.status} ${buf.toString('utf8').slice(0, 300)}`);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: buf }).toString('utf8')
    .split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' | '));
}

// months as 'YYYY-MM'
const mnum = (s) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
const chf = (r) => `CHF ${String(Math.floor(r / 100)).replace(/\B(?=(\d{3})+$)/g, "'")}.${String(r % 100).padStart(2, '0')}`;

test('from the application to the final statement', async () => {
  // A social service with Alimentenhilfe, its account, and its people.
  const t = await freshTenant('ahj');
  const canton = await as('canton', 'canton-admin');
  const cur = ok(await call('GET', `/api/v1/admin/tenants/${t.slug}/modules`, { session: canton }), 200).json.items
    .find((i) => i.module === 'alimente');
  if (!cur || !cur.enabled)
    ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/alimente`, { session: canton,
      headers: cur && cur.version > 0 ? { 'if-match': `"${cur.version}"` } : {}, body: { enabled: true } }), 200);
  ok(await call('PUT', '/api/v1/payment-account', { session: t.admin, body: { name: 'Sozialdienst Aare',
    iban: 'CH93 0076 2011 6238 5295 7', street: 'Bälliz', house_no: '1', postcode: '3600', town: 'Thun', country: 'CH' } }), 200);
  const [cw, lead, acc] = [await user(t, 'caseworker'), await user(t, 'teamlead'), await user(t, 'accounting')];

  // The application: the mother applies for her son; the father owes.
  const tid = tenantId(t.slug);
  const hh = fixtureHousehold(t.slug, [{ role: 'applicant', birth: '1986-03-03', first: 'Mia', last: 'Reise' },
    { role: 'child', birth: '2015-06-10', first: 'Noah', last: 'Reise' }]);
  const father = fixtureHousehold(t.slug, [{ role: 'applicant', birth: '1982-08-08', first: 'Leo', last: 'Zahler' }]).persons[0];
  // a fresh service serves no municipality yet: the dossier as the core writes it
  const id = Number(sql(DB_OWNER, `insert into dossier (tenant_id, module, kind, household_id, applicant_id, state,
      municipality_bfs, caseworker_id) values (${tid}, 'alimente', 'alimente', ${hh.household}, ${hh.persons[0]}, 'application',
      942, ${cw.id}) returning id`).split('\n')[0]);
  assert.equal((await step(id, cw, { to: 'assessment' })).state, 'assessment');

  // The title and the schedule: CHF 1,200 a month from the application.
  const title = ok(await call('PUT', `${C}/${id}/title`, { session: cw, body: { title_kind: 'judgment',
    authority: 'Regionalgericht Bern-Mittelland', decided_on: '2024-06-01', enforceable_on: '2024-07-01', applied_on: '2025-01-06',
    debtor_id: father, debtor_employer: 'Bau AG', debtor_pension: 'Pensionskasse Bau' } }), 201).json;
  assert.match(title.debtor.reference, /^\d{27}$/);
  const cred = ok(await call('POST', `${C}/${id}/creditors`, { session: cw, body: { person_id: hh.persons[1], role: 'child' } }), 201).json;
  ok(await call('PUT', `/api/v1/alimente/creditors/${cred.id}/amounts`, { session: cw, headers: { 'if-match': `"${cred.version}"` },
    body: { amounts: [{ valid_from: '2025-01-01', amount: 120000 }] } }), 200);
  const sched = ok(await call('GET', `${C}/${id}/schedule`, { session: cw }), 200).json;
  const months = sched.creditors[0].months;
  assert.equal(months[0].month, '2025-01');
  assert.ok(months.every((m) => m.due === 120000), 'CHF 1,200 every month');
  const dueMonths = mnum(sched.current_month) - mnum('2025-01') + 1;
  assert.equal(sched.totals.arrears, (dueMonths - 1) * 120000, 'nothing paid: every month before this one is in arrears');

  // The checklist complete, collection starts.
  ok(await call('PUT', `${C}/${id}/checklist`, { session: cw, headers: { 'if-match': '"0"' }, body: { items: [
    { code: 'title', received_on: '2025-01-06' }, { code: 'power_of_attorney', received_on: '2025-01-06' },
    { code: 'debtor_address', received_on: '2025-01-08' }] } }), 200);
  assert.equal((await step(id, cw, { to: 'voluntary' })).state, 'voluntary');

  // The advance: CHF 1,008 (the cap 2025), proposed, submitted, approved
  // by the team lead (four eyes).
  const A = '/api/v1/alimente/advances';
  const adv = ok(await call('POST', `${C}/${id}/advances`, { session: cw, body: { creditor_id: cred.id, valid_from: '2025-01-01',
    household: { size: 2, income: 4500000, assets: 100000 }, on_social_assistance: false } }), 201);
  assert.equal(adv.json.amount, 100800);
  const sub = ok(await call('POST', `${A}/${adv.json.id}/submit`, { session: cw, headers: { 'if-match': adv.headers.get('etag') } }), 200);
  err(await call('POST', `${A}/${adv.json.id}/approve`, { session: cw, headers: { 'if-match': sub.headers.get('etag') } }), 403);
  assert.equal(ok(await call('POST', `${A}/${adv.json.id}/approve`, { session: lead, headers: { 'if-match': sub.headers.get('etag') } }), 200)
    .json.status, 'approved');

  // The payment run of March 2025 pays it to the mother; approved by a
  // second person and exported, the month shows as advanced.
  const R = '/api/v1/payment-runs';
  const job = await jobOf(await call('POST', R, { session: acc, body: { month: '2025-03' } }), acc);
  const run = ok(await call('GET', `${R}/${job.result.run}`, { session: acc }), 200);
  const line = run.json.lines.find((l) => l.module === 'alimente' && l.dossier_id === id);
  assert.deepEqual([line.kind, line.amount, line.status, line.for_month], ['ah_advance', 100800, 'open', '2025-03']);
  ok(await call('POST', `${R}/${run.json.id}/approve`, { session: lead, headers: { 'if-match': run.headers.get('etag') } }), 200);
  await jobOf(await call('POST', `${R}/${run.json.id}/export`, { session: acc }), acc);
  assert.equal(sql(DB_OWNER, `select advanced || ' ' || outstanding from ah_month_v where creditor_id = ${cred.id} and month = '2025-03-01'`),
    '100800 120000');

  // The debtor pays CHF 3,600 once in March, by his QR reference
  // (camt.054): split over what is open up to March (January, February,
  // the mother's CHF 192 of March and the community's CHF 1,008 it
  // advanced), the mother's parts passed on to her in the next run.
  const rec = await reconcile(acc, camt054('CH9300762011623852957', [{ amount: 360000, cdi: 'CRDT', date: '2025-03-20',
    ref: title.debtor.reference, svc: `J${id}` }]));
  assert.equal(rec.status, 200, JSON.stringify(rec.json));
  assert.equal(rec.json.received, 1, JSON.stringify(rec.json));
  const receipts = ok(await call('GET', `${C}/${id}/receipts`, { session: cw }), 200).json.items;
  assert.equal(receipts.length, 1);
  assert.equal(receipts[0].amount, 360000);
  const [received, recovered] = sql(DB_OWNER, `select sum(received) || ' ' || sum(recovered) from ah_month_v where dossier_id = ${id}`)
    .split(' ').map(Number);
  assert.equal(received, 360000, 'the whole payment allocated');
  assert.equal(recovered, 100800, 'the community recovers its advance');
  const next = await jobOf(await call('POST', R, { session: acc, body: { month: '2025-05' } }), acc);
  const passon = ok(await call('GET', `${R}/${next.result.run}?kind=ah_passon&limit=100`, { session: acc }), 200).json.lines
    .filter((l) => l.dossier_id === id);
  assert.equal(passon.reduce((n, l) => n + l.amount, 0), 360000 - 100800, 'the creditor\'s part, not the community\'s');

  // Missed payments: from April nothing comes; in July the fourth month
  // is missing and the debtor is reported to
  // his pension institution (the title's) and enforcement begins.
  err(await call('POST', `${C}/${id}/pension-reports`, { session: cw, body: { reported_on: '2025-06-30' } }), 409, 'ah_pension_not_due');
  const rep = ok(await call('POST', `${C}/${id}/pension-reports`, { session: cw, body: { reported_on: '2025-07-01' } }), 201).json;
  assert.equal(rep.institution, 'Pensionskasse Bau');
  assert.equal(rep.missing_months, 4, 'April to July 2025');
  const e = ok(await call('POST', `${C}/${id}/enforcements`, { session: cw,
    body: { amount: 720000, office: 'Betreibungsamt Bern-Mittelland', started_on: '2025-07-01', reference: '25-1001' } }), 201);
  assert.equal(ok(await call('GET', `${C}/${id}`, { session: cw }), 200).json.state, 'enforcement');
  const s1 = ok(await call('POST', `/api/v1/alimente/enforcements/${e.json.id}/steps`, { session: cw,
    headers: { 'if-match': e.headers.get('etag') }, body: { step: 'request', date: '2025-07-01', fee: 7300 } }), 201);
  const s2 = ok(await call('POST', `/api/v1/alimente/enforcements/${e.json.id}/steps`, { session: cw,
    headers: { 'if-match': s1.headers.get('etag') }, body: { step: 'payment_order', date: '2025-07-09', fee: 5300 } }), 201);
  assert.equal(s2.json.fees, 12600);
  const dl = ok(await call('GET', `${C}/${id}/deadlines`, { session: cw }), 200).json.items
    .filter((x) => x.kind === 'ah_enforcement').map((x) => x.due_on).sort();
  assert.deepEqual(dl, ['2025-07-21', '2025-07-29', '2026-07-09'], 'objection by (Saturday 19th: Monday), continuation from and by');
  const po = ok(await call('POST', `/api/v1/alimente/pension-reports/${rep.id}/payout-notice`, { session: cw,
    headers: { 'if-match': `"${rep.version}"` }, body: { notified_on: '2025-09-01', amount: 2500000 } }), 201);
  assert.equal(po.json.payouts[0].blocked_until, '2025-10-01');

  // The end (InkHV 16): uncollectable, then the final statement.
  const closed = await step(id, cw, { to: 'closed', closure_reason: 'uncollectable', reason: 'Verlustschein' });
  assert.equal(closed.state, 'closed');
  const lines = await pdfText(`${C}/${id}/final-statement?lang=de`, cw);
  const row = (label) => lines.find((l) => l.startsWith(label));
  assert.ok(lines.some((l) => l.startsWith('Schlussabrechnung')));
  assert.equal(row('Geschuldet gemäss Titel'), `Geschuldet gemäss Titel (indexiert) | ${chf(dueMonths * 120000)}`);
  assert.equal(row('Vom Schuldner bezahlt'), "Vom Schuldner bezahlt | CHF 3'600.00");
  assert.equal(row('Ausstehend'), `Ausstehend | ${chf((dueMonths - 3) * 120000)}`);
  assert.equal(row('Von der Gemeinde bevorschusst'), "Von der Gemeinde bevorschusst | CHF 1'008.00");
  assert.equal(row('Davon vom Schuldner'), "Davon vom Schuldner an die Gemeinde zurückbezahlt | CHF 1'008.00");
  assert.equal(row('Nicht zurückbezahlte'), 'Nicht zurückbezahlte Vorschüsse der Gemeinde | CHF 0.00');
  assert.equal(row('Total Betreibungskosten'), 'Total Betreibungskosten | CHF 126.00');
  const fr = await pdfText(`${C}/${id}/final-statement?lang=fr`, cw);
  assert.ok(fr.some((l) => l.startsWith('Décompte final')));
  assert.ok(fr.includes("Avancé par la commune | CHF 1'008.00"), fr.join('\n'));
});
