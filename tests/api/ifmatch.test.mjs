// The If-Match sweep (issue 10, finding 4: silent lost update). Every
// writing route of /api/openapi.json is either marked x-if-match (route
// flag KS_R_ETAG) or listed below as exempt with its reason; a new
// writing route that is neither fails here. Every marked route is called
// on a real record: without If-Match it answers 428
// precondition_required, with a stale ETag 409 conflict carrying
// detail.current, and in both cases the record in the database is
// exactly as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, show, as, sql, DB_OWNER, tenantId, team, uniq, camt054,
} from './lib.mjs';
import { R, makeDossier, addBudget, userId, reconcile, THUN_ACCOUNT, freeYear, newRun } from './money-lib.mjs';

/**
 * Writing routes that do not take If-Match, each with the reason. A route
 * here must not be marked x-if-match, and every writing route is either
 * marked or here.
 */
const EXEMPT = {
  'POST /api/v1/session': 'signs in: no record is changed',
  'DELETE /api/v1/session': 'signs the own session out',
  'POST /api/v1/me/password': 'the own password: proven by the current password, nothing typed can be lost',
  'POST /api/v1/admin/tenants': 'creates a tenant',
  'PUT /api/v1/admin/tenants/{slug}/municipalities/{bfs}': 'adds a link without fields (idempotent)',
  'DELETE /api/v1/admin/tenants/{slug}/municipalities/{bfs}': 'removes a link without fields (idempotent)',
  'POST /api/v1/admin/tenants/{slug}/admins': 'creates a user',
  'POST /api/v1/admin/municipalities': 'creates a municipality',
  'POST /api/v1/admin/users': 'creates a user',
  'POST /api/v1/admin/users/{id}/password': 'sets a new first password: replaces a secret nobody reads back',
  'DELETE /api/v1/admin/users/{id}/sessions': 'ends sessions (idempotent)',
  'POST /api/v1/admin/tokens': 'creates a token',
  'DELETE /api/v1/admin/tokens/{id}': 'revokes a token: final and idempotent',
  'POST /api/v1/admin/tenants/{slug}/admin-requests': 'creates a request',
  'POST /api/v1/admin/rule-packs': 'creates a draft',
  'POST /api/v1/admin/rule-packs/{id}/submit': 'only a tested pack is submitted and any edit makes it a draft again: a stale submit answers invalid_state',
  'POST /api/v1/admin/rule-packs/{id}/test': 'runs the stored examples: the result follows from the stored version only',
  'POST /api/v1/admin/rule-packs/{id}/approve': 'a submitted pack is frozen: the reviewer approves exactly what was submitted; a decided pack answers invalid_state',
  'POST /api/v1/admin/rule-packs/{id}/reject': 'a submitted pack is frozen (as approve)',
  'POST /api/v1/admin/rule-packs/{id}/retire': 'one-way final step without fields; a second retire answers invalid_state',
  'POST /api/v1/rule-data/{name}': 'adds a new version of the data from a date; versions are never changed',
  'POST /api/v1/billing/periods': 'creates a period',
  'POST /api/v1/billing/periods/{id}/costs': 'adds a cost line',
  'DELETE /api/v1/billing/periods/{id}/costs/{cost}': 'removes a cost line (lines are never edited; idempotent)',
  'POST /api/v1/billing/periods/{id}/allocate': 'derives a new allocation run from the period as it is; changes no typed data',
  'POST /api/v1/billing/runs/{id}/issue': 'one-way step of a run without fields; a second issue answers invalid_state',
  'POST /api/v1/persons': 'creates a person',
  'POST /api/v1/households': 'creates a household',
  'POST /api/v1/cases/{id}/documents': 'adds a document',
  'POST /api/v1/admin/teams': 'creates a team',
  'POST /api/v1/jobs': 'starts a job',
  'POST /api/v1/echo/notes': 'test module: creates a note',
  'POST /api/v1/echo/cases/{id}/notes': 'test module: creates a note on a dossier',
  'POST /api/v1/echo/jobs': 'test module: starts a job',
  'POST /api/v1/cases': 'creates a dossier',
  'POST /api/v1/cases/{id}/journal': 'adds a journal entry (entries are never edited)',
  'POST /api/v1/cases/{id}/goals': 'adds a goal',
  'POST /api/v1/cases/{id}/deadlines': 'adds a deadline',
  'POST /api/v1/cases/{id}/budgets': 'adds a budget (a draft of its own)',
  'POST /api/v1/cases/{id}/decisions': 'adds a decision for a budget',
  'POST /api/v1/cases/{id}/one-off-payments': 'proposes a one-off payment',
  'POST /api/v1/cases/{id}/claims': 'creates a claim',
  'POST /api/v1/payment-runs': 'creates a run',
  'POST /api/v1/payment-runs/reconcile': 'imports a bank file (new entries)',
  'POST /api/v1/payment-runs/{id}/export': 'exports an approved run, which cannot change; asking again returns the same job',
  'POST /api/v1/cases/{id}/letters/document-request': 'creates a letter',
  'POST /api/v1/cases/{id}/letters/cost-guarantee': 'creates a letter',
  'POST /api/v1/letters/batch': 'starts a job that creates letters; changes no existing record',
  'POST /api/v1/cases/{id}/creditors': 'adds a creditor to the title',
  'POST /api/v1/cases/{id}/advances': 'proposes a new advance decision (a draft)',
  'POST /api/v1/cases/{id}/enforcements': 'starts a new enforcement proceeding',
  'POST /api/v1/cases/{id}/pension-reports': 'makes a new pension-fund report (one active per institution)',
  'POST /api/v1/cases/{id}/complaints': 'records a new criminal complaint',
  'POST /api/v1/cases/{id}/receipts': 'records a new debtor payment',
  'POST /api/v1/cases/{id}/reminders': 'sends a new reminder; the level and deadline are checked against the last one in its transaction',
};

const STALE = '"987654321"';
const one = (q) => sql(DB_OWNER, q);
/** A row (or rows) as JSON text, to compare before and after. */
const rows = (table, where) => one(`select coalesce(json_agg(x order by x::text), '[]')::text from ${table} x where ${where}`);

/**
 * For every route marked x-if-match: a record to call it on. Each entry
 * gives the session, the path, a body that passes the field checks, and
 * snap(): the record's rows as they are (must not change).
 */
async function fixtures() {
  const thun = Number(tenantId('thun'));
  const canton = await as('canton', 'canton-admin');
  const admin = await as('thun', 'admin');
  const lead = await as('thun', 'teamlead');
  const acc = await as('thun', 'accounting');
  const cw = await as('thun', 'caseworker');
  const cwId = userId('thun', 'caseworker');
  const D = makeDossier(thun, cwId, { last: uniq('Ifmatch'), budgets: [{ from: '2026-01-01', payment: 100000 }] });
  const household = Number(one(`select household_id from dossier where id = ${D.id}`));
  const member = Number(one(`select id from household_member where household_id = ${household} limit 1`));
  const other = makeDossier(thun, cwId, { last: uniq('Ifmatch') });
  const dec = makeDossier(thun, cwId, { last: uniq('Ifmatch'), state: 'decision' });
  const decBudget = addBudget(thun, dec.id, cwId, { from: '2026-01-01', payment: 90000 });
  const draftBudget = addBudget(thun, D.id, cwId, { from: '2026-06-01', payment: 95000, status: 'draft' });
  const decision = ok(await call('POST', `/api/v1/cases/${dec.id}/decisions`, { session: lead, body: { budget_id: decBudget } }), 201).json;
  const goal = ok(await call('POST', `/api/v1/cases/${D.id}/goals`, { session: lead, body: { title: 'Ziel', due_on: '2027-01-31' } }), 201).json;
  const deadline = ok(await call('POST', `/api/v1/cases/${D.id}/deadlines`, { session: lead, body: { due_on: '2027-01-31', text: 'Frist' } }), 201).json;
  const oneoff = ok(await call('POST', `/api/v1/cases/${D.id}/one-off-payments`, { session: cw, body: { amount: 5000, text: 'Brille' } }), 201).json;
  const claim = ok(await call('POST', `/api/v1/cases/${D.id}/claims`, { session: lead, body: { amount: 30000, reason: 'Vorschuss', instalment: 10000 } }), 201).json;
  const run = (await newRun(acc, { month: `${freeYear(thun, 2100, 2139)}-01` })).json;
  const rc = ok(await reconcile(acc, camt054(THUN_ACCOUNT.iban, [{ amount: 12345, svc: uniq('svc') }])), 200).json;
  const entry = rc.unmatched[0];
  const credit = ok(await reconcile(acc, camt054(THUN_ACCOUNT.iban, [{ cdi: 'CRDT', amount: 54321, svc: uniq('svc') }])), 200).json.unmatched[0];
  const tm = await team(admin, uniq('Team'));
  const reception = userId('thun', 'reception');
  const request = ok(await call('POST', '/api/v1/admin/tenants/thun/admin-requests', { session: canton, body: { username: uniq('req'), display_name: 'Neue Admin', reason: 'Ferienvertretung' } }), 201).json;
  const job = Number(one(`insert into job (tenant_id, type, state) values (${thun}, 'echo.count', 'dead') returning id`));
  const pack = Number(one(`select id from rule_pack order by id limit 1`));
  const period = Number(one('select id from billing_period order by id limit 1'));
  const dossier = (id) => () => rows('dossier', `id = ${id}`);
  const ah = ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: household, applicant_id: D.person, municipality_bfs: 942, kind: 'alimente' } }), 201).json.id;
  const ahTitle = { title_kind: 'judgment', authority: 'Regionalgericht', decided_on: '2024-01-10', applied_on: '2025-02-03' };
  ok(await call('PUT', `/api/v1/cases/${ah}/title`, { session: cw, body: ahTitle }), 201);
  const ahCreditor = ok(await call('POST', `/api/v1/cases/${ah}/creditors`, { session: cw, body: { person_id: other.person, role: 'child' } }), 201).json.id;
  const adv = Number(one(`insert into ah_advance (tenant_id, dossier_id, creditor_id, valid_from, eligible, amount, cap, input, result,
      provenance, created_by) values (${thun}, ${ah}, ${ahCreditor}, '2026-01-01', true, 50000, 100800, '{}', '{"lines": []}', '{}', ${cwId})
    returning id`).split('\n')[0]);
  const enf = Number(one(`insert into ah_enforcement (tenant_id, dossier_id, amount, office, started_on, created_by)
    values (${thun}, ${ah}, 100000, 'Betreibungsamt Thun', '2026-01-05', ${cwId}) returning id`).split('\n')[0]);
  const rep = Number(one(`insert into ah_pension_report (tenant_id, dossier_id, institution, reported_on, missing_months, created_by)
    values (${thun}, ${ah}, 'Pensionskasse', '2026-01-05', 4, ${cwId}) returning id`).split('\n')[0]);
  const report = (step, body) => ({ s: cw, path: `/api/v1/alimente/pension-reports/${rep}/${step}`, body,
    snap: () => rows('ah_pension_report', `id = ${rep}`) + rows('ah_payout_notice', `report_id = ${rep}`) });
  const advance = (step, s, body) => ({ s, path: `/api/v1/alimente/advances/${adv}/${step}`, body, snap: () => rows('ah_advance', `id = ${adv}`) });
  return {
    'PATCH /api/v1/admin/tenants/{slug}': { s: canton, path: '/api/v1/admin/tenants/thun', body: { name: 'Anders' }, snap: () => rows('tenant', "slug = 'thun'") },
    'PATCH /api/v1/admin/municipalities/{bfs}': { s: canton, path: '/api/v1/admin/municipalities/908', body: { population: 1 }, snap: () => rows('municipality', 'bfs = 908') },
    'PATCH /api/v1/admin/users/{id}': { s: admin, path: `/api/v1/admin/users/${reception}`, body: { display_name: 'Anders' }, snap: () => rows('app_user', `id = ${reception}`) },
    'PUT /api/v1/admin/users/{id}/roles': { s: admin, path: `/api/v1/admin/users/${reception}/roles`, body: { roles: ['caseworker'] }, snap: () => rows('user_role', `user_id = ${reception}`) + rows('app_user', `id = ${reception}`) },
    'POST /api/v1/admin/admin-requests/{id}/approve': { s: admin, path: `/api/v1/admin/admin-requests/${request.id}/approve`, body: { password: 'ein-langes-Passwort-42' }, snap: () => rows('admin_request', `id = ${request.id}`) },
    'POST /api/v1/admin/admin-requests/{id}/reject': { s: admin, path: `/api/v1/admin/admin-requests/${request.id}/reject`, body: {}, snap: () => rows('admin_request', `id = ${request.id}`) },
    'POST /api/v1/jobs/{id}/retry': { s: admin, path: `/api/v1/jobs/${job}/retry`, snap: () => rows('job', `id = ${job}`) },
    'PATCH /api/v1/persons/{id}': { s: lead, path: `/api/v1/persons/${D.person}`, body: { phone: '033 000 00 00' }, snap: () => rows('person', `id = ${D.person}`) + rows('person_address', `person_id = ${D.person}`) },
    'POST /api/v1/households/{id}/members': { s: lead, path: `/api/v1/households/${household}/members`, body: { person_id: other.person, role: 'partner', valid_from: '2026-02-01', move: true }, snap: () => rows('household_member', `household_id = ${household} or person_id = ${other.person}`) },
    'PATCH /api/v1/households/{id}/members/{member_id}': { s: lead, path: `/api/v1/households/${household}/members/${member}`, body: { valid_to: '2026-12-31' }, snap: () => rows('household_member', `household_id = ${household}`) },
    'PATCH /api/v1/admin/teams/{id}': { s: admin, path: `/api/v1/admin/teams/${tm.id}`, body: { name: uniq('Anders') }, snap: () => rows('team', `id = ${tm.id}`) },
    'DELETE /api/v1/admin/teams/{id}': { s: admin, path: `/api/v1/admin/teams/${tm.id}`, snap: () => rows('team', `id = ${tm.id}`) },
    'POST /api/v1/cases/{id}/transfer': { s: lead, path: `/api/v1/cases/${D.id}/transfer`, body: { to_tenant: 'biel', municipality_bfs: 371 }, snap: dossier(D.id) },
    'PATCH /api/v1/cases/{id}': { s: lead, path: `/api/v1/cases/${D.id}`, body: { caseworker_id: userId('thun', 'teamlead') }, snap: dossier(D.id) },
    'POST /api/v1/cases/{id}/transitions': { s: lead, path: `/api/v1/cases/${D.id}/transitions`, body: { to: 'review' }, snap: dossier(D.id) },
    'PUT /api/v1/cases/{id}/checklist': { s: lead, path: `/api/v1/cases/${D.id}/checklist`, body: { items: [{ code: 'id', received_on: '2026-01-05', note: 'Kopie' }] }, snap: () => rows('checklist_item', `dossier_id = ${D.id}`) + dossier(D.id)() },
    'POST /api/v1/cases/{id}/goals/sign': { s: lead, path: `/api/v1/cases/${D.id}/goals/sign`, body: { signed_on: '2026-01-10' }, snap: () => rows('sh_goal', `dossier_id = ${D.id}`) },
    'PATCH /api/v1/goals/{id}': { s: lead, path: `/api/v1/goals/${goal.id}`, body: { status: 'reached', review_result: 'erreicht' }, snap: () => rows('sh_goal', `id = ${goal.id}`) },
    'PATCH /api/v1/deadlines/{id}': { s: lead, path: `/api/v1/deadlines/${deadline.id}`, body: { done: true }, snap: () => rows('deadline', `id = ${deadline.id}`) },
    'POST /api/v1/budgets/{id}/approve': { s: lead, path: `/api/v1/budgets/${draftBudget}/approve`, snap: () => rows('sh_budget', `id = ${draftBudget}`) },
    'POST /api/v1/decisions/{id}/approve': { s: lead, path: `/api/v1/decisions/${decision.id}/approve`, snap: () => rows('sh_decision', `id = ${decision.id}`) + dossier(dec.id)() },
    'POST /api/v1/decisions/{id}/revoke': { s: lead, path: `/api/v1/decisions/${decision.id}/revoke`, body: { reason: 'Irrtum' }, snap: () => rows('sh_decision', `id = ${decision.id}`) },
    'PUT /api/v1/payment-account': { s: admin, path: '/api/v1/payment-account', body: { ...THUN_ACCOUNT, name: 'Anders' }, snap: () => rows('payment_account', `tenant_id = ${thun}`) },
    'POST /api/v1/one-off-payments/{id}/approve': { s: lead, path: `/api/v1/one-off-payments/${oneoff.id}/approve`, snap: () => rows('sh_one_off', `id = ${oneoff.id}`) },
    'PUT /api/v1/claims/{id}/plan': { s: lead, path: `/api/v1/claims/${claim.id}/plan`, body: { instalment: 5000 }, snap: () => rows('claim', `id = ${claim.id}`) },
    'POST /api/v1/claims/{id}/repayments': { s: acc, path: `/api/v1/claims/${claim.id}/repayments`, body: { amount: 1000, date: '2026-02-01' }, snap: () => rows('claim', `id = ${claim.id}`) + rows('repayment', `claim_id = ${claim.id}`) },
    'DELETE /api/v1/payment-runs/{id}': { s: acc, path: `${R}/${run.id}`, snap: () => rows('payment_run', `id = ${run.id}`) },
    'POST /api/v1/payment-runs/{id}/recompute': { s: acc, path: `${R}/${run.id}/recompute`, snap: () => rows('payment_run', `id = ${run.id}`) + one(`select count(*) from payment_line where run_id = ${run.id}`) },
    'POST /api/v1/payment-runs/{id}/approve': { s: lead, path: `${R}/${run.id}/approve`, snap: () => rows('payment_run', `id = ${run.id}`) },
    'POST /api/v1/bank-entries/{id}/match': { s: acc, path: `/api/v1/bank-entries/${entry.id}/match`, body: { claim_id: claim.id }, snap: () => rows('bank_entry', `id = ${entry.id}`) + rows('claim', `id = ${claim.id}`) },
    'POST /api/v1/bank-entries/{id}/assign': { s: acc, path: `/api/v1/bank-entries/${credit.id}/assign`, body: { dossier_id: ah }, snap: () => rows('bank_entry', `id = ${credit.id}`) + rows('ah_receipt', `bank_entry_id = ${credit.id}`) },
    'PUT /api/v1/admin/rule-packs/{id}': { s: canton, path: `/api/v1/admin/rule-packs/${pack}`, body: { source: 'return {}' }, snap: () => rows('rule_pack', `id = ${pack}`) },
    'PUT /api/v1/billing/addresses/{id}': { s: canton, path: `/api/v1/billing/addresses/${thun}`, body: { name: 'Anders', postcode: '3602', town: 'Thun', country: 'CH' }, snap: () => rows('billing_address', `subject_id = ${thun}`) },
    'PUT /api/v1/billing/creditor': { s: canton, path: '/api/v1/billing/creditor', body: { iban: 'CH4431999123000889012', name: 'Anders', postcode: '3011', town: 'Bern', country: 'CH' }, snap: () => rows('billing_creditor', 'true') },
    'PUT /api/v1/billing/periods/{id}/figures': { s: canton, path: `/api/v1/billing/periods/${period}/figures`, body: { municipalities: [], tenants: [] }, snap: () => rows('billing_period', `id = ${period}`) + rows('billing_tenant_figures', `period_id = ${period}`) },
    'POST /api/v1/billing/periods/{id}/figures/refresh': { s: canton, path: `/api/v1/billing/periods/${period}/figures/refresh`, snap: () => rows('billing_period', `id = ${period}`) + rows('billing_tenant_figures', `period_id = ${period}`) },
    'PUT /api/v1/retention/holds/{id}': { s: admin, path: `/api/v1/retention/holds/${D.id}`, body: { hold: true, reason: 'Verfahren hängig' }, snap: dossier(D.id) },
    'PUT /api/v1/cases/{id}/title': { s: cw, path: `/api/v1/cases/${ah}/title`, body: { ...ahTitle, authority: 'Anders' }, snap: () => rows('ah_title', `dossier_id = ${ah}`) + rows('ah_due', `dossier_id = ${ah}`) },
    'PUT /api/v1/alimente/creditors/{id}/amounts': { s: cw, path: `/api/v1/alimente/creditors/${ahCreditor}/amounts`, body: { amounts: [{ valid_from: '2025-01-01', amount: 50000 }] }, snap: () => rows('ah_creditor', `id = ${ahCreditor}`) + rows('ah_title_amount', `creditor_id = ${ahCreditor}`) + rows('ah_due', `dossier_id = ${ah}`) },
    'POST /api/v1/alimente/advances/{id}/submit': advance('submit', cw),
    'POST /api/v1/alimente/enforcements/{id}/steps': { s: cw, path: `/api/v1/alimente/enforcements/${enf}/steps`,
      body: { step: 'request', date: '2026-01-05' }, snap: () => rows('ah_enforcement', `id = ${enf}`) + rows('ah_enforcement_step', `enforcement_id = ${enf}`) },
    'POST /api/v1/alimente/pension-reports/{id}/revoke': report('revoke', { reason: 'decision', note: 'Vereinbarung' }),
    'POST /api/v1/alimente/pension-reports/{id}/payout-notice': report('payout-notice', { notified_on: '2026-01-10', amount: 150000 }),
    'POST /api/v1/alimente/advances/{id}/approve': advance('approve', lead),
    'POST /api/v1/alimente/advances/{id}/reject': advance('reject', lead, { reason: 'unvollständig' }),
    'POST /api/v1/alimente/advances/{id}/end': advance('end', cw, { reason: 'other', valid_to: '2026-06-01' }),
    'PUT /api/v1/admin/tenants/{slug}/modules/{module}': { s: canton, path: '/api/v1/admin/tenants/thun/modules/sozialhilfe', body: { enabled: false }, snap: () => rows('tenant_module', `tenant_id = ${thun}`) },
  };
}

test('every writing route requires If-Match (428 without, 409 with detail.current on a stale one, nothing changed) or is exempt with its reason', async () => {
  const spec = ok(await call('GET', '/api/openapi.json'), 200).json;
  const marked = [];
  const unmarked = [];
  for (const [p, ops] of Object.entries(spec.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      if (m === 'get' || op['x-read-only']) continue;
      (op['x-if-match'] ? marked : unmarked).push(`${m.toUpperCase()} ${p}`);
    }
  }
  assert.ok(marked.length >= 35, `only ${marked.length} routes take If-Match`);
  assert.deepEqual(unmarked.filter((k) => !(k in EXEMPT)), [], 'writing routes neither marked x-if-match nor exempt');
  assert.deepEqual(marked.filter((k) => k in EXEMPT), [], 'exempt routes that are marked x-if-match');
  assert.deepEqual(Object.keys(EXEMPT).filter((k) => !unmarked.includes(k)), [], 'exempt routes that do not exist');

  const fx = await fixtures();
  assert.deepEqual(marked.filter((k) => !(k in fx)).sort(), [], 'marked routes without a record to try them on');
  const wrong = [];
  for (const k of marked) {
    const f = fx[k];
    const method = k.split(' ')[0];
    const before = f.snap();
    const bare = await call(method, f.path, { session: f.s, body: f.body });
    if (bare.status !== 428 || bare.json?.error?.code !== 'precondition_required') wrong.push(`without If-Match: ${show(bare)}`);
    const stale = await call(method, f.path, { session: f.s, body: f.body, headers: { 'if-match': STALE } });
    if (stale.status !== 409 || stale.json?.error?.code !== 'conflict') wrong.push(`stale If-Match: ${show(stale)}`);
    else if (!stale.json.error.detail || typeof stale.json.error.detail.current !== 'object' || stale.json.error.detail.current === null)
      wrong.push(`stale If-Match without detail.current: ${show(stale)}`);
    else if (!/^"\d+"$/.test(stale.headers.get('etag') || '')) wrong.push(`409 without the current ETag: ${show(stale)}`);
    const star = await call(method, f.path, { session: f.s, body: f.body, headers: { 'if-match': '*' } });
    if (star.status !== 428) wrong.push(`If-Match *: ${show(star)}`);
    if (f.snap() !== before) wrong.push(`${k}: the record changed`);
  }
  assert.deepEqual(wrong, [], 'routes that do not guard their record with If-Match');
});
