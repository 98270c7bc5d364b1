// Sozialhilfe dossiers through the API: registration, intake with its
// checklist, budget from the rule packs (preview, save, four-eyes
// approval), decision (draft, four-eyes approval, PDF), support, review
// and closure; plus permissions, bad input and tenant isolation.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, sql, DB_OWNER, DB_APP, fixtureHousehold,
  xmllint, painTx, camt054, createUser, login, team, jobOf, isoDay
} from './lib.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const XSD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..',
  'shared', 'refdata', 'pain001', 'pain.001.001.09.ch.03.xsd');

const C = '/api/v1/cases';

const household = fixtureHousehold;

const BUDGET = {
  valid_from: '2026-01-01', rent: 140000, kvg_premium: 38000, assets: 100000,
  income: { employment: 0, other: 0 },
};

let cw, tl, acc, rec, legal, biel, bielTl;
test.before(async () => {
  cw = await as('thun', 'caseworker');
  tl = await as('thun', 'teamlead');
  acc = await as('thun', 'accounting');
  rec = await as('thun', 'reception');
  legal = await as('thun', 'legal');
  biel = await as('biel', 'caseworker');
  bielTl = await as('biel', 'teamlead');
});

async function register(session, hh, extra = {}) {
  return call('POST', C, {
    session,
    body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, caseworker_id: cw.data.user.id, ...extra },
  });
}

/** The ETag of what GET path answers now (for If-Match). */
async function etag(session, path) {
  return ok(await call('GET', path, { session }), 200).headers.get('etag');
}

/** A write with If-Match taken from a GET of read (default: the same path). */
async function write(method, path, session, body, read = path) {
  return call(method, path, { session, body, headers: { 'if-match': await etag(session, read) } });
}

const approveBudget = (session, b) => write('POST', `/api/v1/budgets/${b}/approve`, session, undefined, `/api/v1/budgets/${b}`);
const approveDecision = (session, d) => call('POST', `/api/v1/decisions/${d.id}/approve`, { session, headers: { 'if-match': `"${d.version}"` } });

async function move(session, id, to, extra = {}) {
  const g = ok(await call('GET', `${C}/${id}`, { session }), 200);
  return call('POST', `${C}/${id}/transitions`, {
    session, body: { to, ...extra }, headers: { 'if-match': g.headers.get('etag') },
  });
}

test('the whole path: registration to closure', async () => {
  const hh = household('thun', [{ role: 'applicant', birth: '1985-04-02' }]);
  // reception registers
  const r = ok(await register(rec, hh), 201);
  const id = r.json.id;
  assert.equal(r.json.state, 'registration');
  assert.deepEqual(r.json.transitions, ['intake', 'closed']);
  assert.equal(r.json.municipality.bfs, 942);
  ok(await move(cw, id, 'intake'), 200);
  const asked = ok(await call('GET', `${C}/${id}/deadlines`, { session: cw }), 200);
  assert.ok(asked.json.items.some((x) => x.kind === 'missing_document'), 'missing documents are asked for');

  // decision state needs the checklist complete
  const e = err(await move(cw, id, 'decision'), 409, 'checklist_incomplete');
  assert.ok(e.detail.missing.includes('rent_contract'), JSON.stringify(e));
  const items = ['id', 'rent_contract', 'income_proof', 'bank_statements', 'health_insurance']
    .map((code) => ({ code, received_on: '2026-01-05' }));
  const cl = ok(await write('PUT', `${C}/${id}/checklist`, cw, { items }), 200);
  assert.deepEqual(cl.json.missing, []);
  ok(await move(cw, id, 'decision'), 200);
  // ongoing only through an approved decision
  err(await move(cw, id, 'ongoing'), 409, 'transition_not_allowed');

  // budget: preview computes without saving, names both rule packs
  const pv = ok(await call('POST', `${C}/${id}/budgets/preview`, { session: cw, body: BUDGET }), 200);
  const out = pv.json.output;
  assert.equal(out.payment, out.need - out.income_counted > 0 ? out.need - out.income_counted : 0);
  assert.equal(pv.json.input.rent_ceiling, 115000, 'Thun ceiling for one person from the tenant pack');
  assert.deepEqual(pv.json.provenance.map((p) => [p.name, p.scope]), [['rent-ceilings', 'canton'], ['skos-budget', 'canton']]);
  assert.equal(pv.json.provenance[0].data.version, '2025.1', "the canton's code read Thun's own rent-ceiling data");
  assert.ok(pv.json.provenance.every((p) => /^[0-9a-f]{64}$/.test(p.sha256)));
  const gbl = out.lines.find((l) => l.code === 'gbl');
  assert.equal(gbl.amount, 103100, show(pv));
  assert.ok(out.lines.every((l) => typeof l.explain === 'string' && l.explain.length > 0));
  assert.equal((await call('GET', `${C}/${id}/budgets`, { session: cw })).json.items.length, 0, 'preview saved nothing');

  // save, then four-eyes approval
  const b = ok(await call('POST', `${C}/${id}/budgets`, { session: cw, body: BUDGET }), 201);
  assert.equal(b.json.status, 'draft');
  assert.equal(b.json.payment, out.payment);
  assert.equal(b.json.lines.length, out.lines.length);
  err(await approveBudget(cw, b.json.id), 403);
  const ap = ok(await approveBudget(tl, b.json.id), 200);
  assert.equal(ap.json.status, 'approved');
  assert.equal(ap.json.approved_by, tl.data.user.id);
  assert.equal(ap.json.approved_by_name, tl.data.user.display_name, 'users shown by name');
  assert.equal(ap.json.created_by_name, cw.data.user.display_name);
  err(await approveBudget(tl, b.json.id), 409, 'invalid_state');

  // decision: drafted by the case worker, approved by the team lead
  const d = ok(await call('POST', `${C}/${id}/decisions`, { session: cw, body: { budget_id: b.json.id } }), 201);
  assert.equal(d.json.status, 'draft');
  assert.equal(d.json.language, 'de');
  err(await approveDecision(cw, d.json), 403);
  const da = await approveDecision(tl, d.json);
  ok(da, 200);
  assert.equal(da.json.status, 'approved');
  assert.equal(da.json.effect, 'support_started', 'the answer says support started');
  assert.equal(da.json.dossier_state, 'ongoing');
  assert.ok(da.json.document_id > 0);
  const pdf = await fetch(`${process.env.KASUS_URL}/api/v1/decisions/${d.json.id}/pdf`, { headers: { cookie: `ks_session=${cw.cookie}` } });
  assert.equal(pdf.status, 200);
  assert.equal(pdf.headers.get('content-type'), 'application/pdf');
  const bytes = Buffer.from(await pdf.arrayBuffer());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  // the stored document is the one returned, and it is immutable
  const sha = sql(DB_OWNER, `select sha256 from document where id = ${da.json.document_id}`);
  assert.equal(sha, (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'));
  err(await approveDecision(tl, da.json), 409, 'invalid_state');

  // support started; a review deadline six months on
  let g = ok(await call('GET', `${C}/${id}`, { session: cw }), 200);
  assert.equal(g.json.state, 'ongoing');
  const dl = ok(await call('GET', `${C}/${id}/deadlines`, { session: cw }), 200);
  assert.ok(dl.json.items.some((x) => x.kind === 'review_due'), show(dl));
  assert.ok(dl.json.items.some((x) => x.kind === 'decision_expiring'), show(dl));

  // payment run for a month of its own: accounting creates, the team
  // lead approves, pain.001 validates, the bank's camt.054 books it
  const month = `${2050 + (Date.now() % 40)}-${String(1 + (Date.now() % 12)).padStart(2, '0')}`;
  const made = await jobOf(await call('POST', '/api/v1/payment-runs', { session: acc, body: { month } }), acc);
  const run = ok(await call('GET', `/api/v1/payment-runs/${made.result.run}`, { session: acc }), 200);
  err(await call('POST', `/api/v1/payment-runs/${run.json.id}/approve`, { session: acc }), 403);
  ok(await call('POST', `/api/v1/payment-runs/${run.json.id}/approve`, { session: tl, headers: { 'if-match': run.headers.get('etag') } }), 200);
  const exported = await jobOf(await call('POST', `/api/v1/payment-runs/${run.json.id}/export`, { session: acc }), acc);
  const pain = await call('GET', exported.result.file, { session: acc });
  ok(pain, 200);
  xmllint(pain.text, XSD, 'e2e-pain001.xml');
  const line = ok(await call('GET', `/api/v1/payment-runs/${run.json.id}?limit=500`, { session: acc }), 200)
    .json.lines.find((l) => l.dossier_id === id);
  assert.ok(line, 'the dossier is paid in the run');
  assert.equal(line.amount, b.json.payment);
  const tx = painTx(pain.text).find((t) => t.e2e === line.end_to_end_id);
  assert.equal(tx.amount, b.json.payment);
  const again = await call('GET', `/api/v1/payment-runs/${run.json.id}/pain001`, { session: acc });
  assert.equal(again.text, pain.text, 're-export gives the same file');
  const recon = await jobOf(await call('POST', '/api/v1/payment-runs/reconcile', {
    session: acc, raw: camt054('CH9300762011623852957', [{ e2e: line.end_to_end_id, amount: line.amount, svc: `E2E${id}` }]),
    headers: { 'content-type': 'application/xml' },
  }), acc);
  assert.equal(recon.result.booked, 1, JSON.stringify(recon));
  const ledger = ok(await call('GET', `${C}/${id}/ledger`, { session: cw }), 200);
  assert.ok(ledger.json.items.some((e) => e.kind === 'payment' && e.amount === -b.json.payment), show(ledger));

  ok(await move(cw, id, 'review'), 200);
  ok(await move(cw, id, 'ongoing', { reason: 'review done' }), 200);
  err(await move(cw, id, 'closed'), 400, 'invalid_value');
  const c = ok(await move(cw, id, 'closed', { closure_reason: 'work' }), 200);
  assert.equal(c.json.state, 'closed');
  assert.equal(c.json.closure_reason, 'work');
  g = ok(await call('GET', `${C}/${id}`, { session: cw }), 200);
  assert.deepEqual(g.json.history.map((h) => h.to),
    ['registration', 'intake', 'decision', 'ongoing', 'review', 'ongoing', 'closed']);
  // system reasons are codes (the screens say them in the reader's language)
  assert.deepEqual(g.json.history.map((h) => h.reason_code),
    [null, null, null, 'decision_approved', null, null, 'work']);
  assert.equal(g.json.history[5].reason, 'review done');
  assert.equal(g.json.history[3].actor, tl.data.user.display_name);
  assert.match(g.json.number, /^\d{4}-\d{5}$/);
  // closing ends every open deadline
  const left = ok(await call('GET', `${C}/${id}/deadlines`, { session: cw }), 200).json.items.filter((x) => !x.done_on);
  assert.deepEqual(left, [], 'no open deadline of a closed dossier');
  err(await call('POST', `${C}/${id}/budgets`, { session: cw, body: BUDGET }), 409, 'dossier_closed');
});

test('journal: protected notes for the own role group, reads audited', async () => {
  const hh = household('thun', [{ role: 'applicant', birth: '1970-01-01' }]);
  const id = ok(await register(cw, hh), 201).json.id;
  ok(await call('POST', `${C}/${id}/journal`, { session: cw, body: { category: 'conversation', text: 'Erstgespräch geführt' } }), 201);
  ok(await call('POST', `${C}/${id}/journal`, { session: cw, body: { category: 'assessment', text: 'Gesundheit: vertraulich', protected: true } }), 201);
  const mine = ok(await call('GET', `${C}/${id}/journal`, { session: cw }), 200);
  assert.equal(mine.json.items.length, 2);
  const other = ok(await call('GET', `${C}/${id}/journal`, { session: legal }), 200);
  assert.equal(other.json.items.length, 1, 'legal sees no protected note');
  assert.equal(other.json.items[0].protected, false);
  const n = sql(DB_OWNER, `select count(*) from audit_read where action = 'journal_protected_read' and object_id = '${id}'`);
  assert.ok(Number(n) >= 1, 'reading protected notes is audited');
  err(await call('POST', `${C}/${id}/journal`, { session: cw, body: { category: 'gossip', text: 'x' } }), 400);
  err(await call('POST', `${C}/${id}/journal`, { session: legal, body: { category: 'other', text: 'x' } }), 403);
});

test('goals and deadlines, the work list', async () => {
  const hh = household('thun', [{ role: 'applicant', birth: '1990-06-30' }]);
  const id = ok(await register(cw, hh), 201).json.id;
  const gl = ok(await call('POST', `${C}/${id}/goals`, { session: cw, body: { title: 'Stellensuche', measures: '10 Bewerbungen pro Monat', due_on: '2026-03-31' } }), 201);
  err(await call('POST', `${C}/${id}/goals/sign`, { session: cw, body: { signed_on: '2026-01-10' } }), 428);
  ok(await write('POST', `${C}/${id}/goals/sign`, cw, { signed_on: '2026-01-10' }, `${C}/${id}/goals`), 200);
  const goals = ok(await call('GET', `${C}/${id}/goals`, { session: cw }), 200);
  assert.equal(goals.json.items[0].signed_on, '2026-01-10');
  const gv = goals.json.items[0].version;
  err(await call('PATCH', `/api/v1/goals/${gl.json.id}`, { session: cw, body: { status: 'achieved' } }), 428);
  ok(await call('PATCH', `/api/v1/goals/${gl.json.id}`, { session: cw, body: { status: 'achieved', review_result: 'Stelle gefunden' }, headers: { 'if-match': `"${gv}"` } }), 200);
  err(await call('PATCH', `/api/v1/goals/${gl.json.id}`, { session: cw, body: { status: 'x' }, headers: { 'if-match': `"${gv}"` } }), 409);

  const past = ok(await call('POST', `${C}/${id}/deadlines`, { session: cw, body: { due_on: '2025-12-01', text: 'Mietvertrag nachfordern' } }), 201);
  const today = isoDay();
  ok(await call('POST', `${C}/${id}/deadlines`, { session: cw, body: { due_on: today, text: 'Rückruf' } }), 201);
  const wl = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200);
  assert.ok(wl.json.overdue.some((x) => x.id === past.json.id), show(wl));
  assert.ok(wl.json.due_today.some((x) => x.text === 'Rückruf'));
  assert.ok(wl.json.open_dossiers.some((x) => x.id === id));
  assert.ok(wl.json.newly_assigned.some((x) => x.id === id));
  const dl = ok(await call('GET', `${C}/${id}/deadlines`, { session: cw }), 200).json.items.find((x) => x.id === past.json.id);
  ok(await call('PATCH', `/api/v1/deadlines/${past.json.id}`, { session: cw, body: { done: true }, headers: { 'if-match': `"${dl.version}"` } }), 200);
  const wl2 = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200);
  assert.ok(!wl2.json.overdue.some((x) => x.id === past.json.id), 'done deadline left the work list');
});

test('registration checks and bad input', async () => {
  const hh = household('thun', [{ role: 'applicant', birth: '1980-01-01' }, { role: 'partner', birth: '1981-01-01' }]);
  // the partner is not the applicant
  err(await register(cw, { household: hh.household, persons: [hh.persons[1]] }), 400, 'invalid_value');
  // a municipality the tenant does not serve (Biel)
  err(await register(cw, hh, { municipality_bfs: 371 }), 400, 'invalid_value');
  err(await register(cw, hh, { caseworker_id: 999999999 }), 400, 'invalid_value');
  err(await call('POST', C, { session: cw, body: { household_id: 'x', applicant_id: 1, municipality_bfs: 942 } }), 400, 'invalid_type');
  err(await call('POST', C, { session: cw, body: { applicant_id: 1, municipality_bfs: 942 } }), 400, 'missing_field');
  err(await call('POST', C, { session: cw, body: { household_id: 1, applicant_id: 1, municipality_bfs: 942, color: 'red' } }), 400, 'unknown_field');
  err(await call('POST', C, { session: cw, raw: '{"household_id":', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('POST', C, { session: cw, raw: JSON.stringify({ team: 'x'.repeat(40000) }), headers: { 'content-type': 'application/json' } }), 413);
  // accounting and legal do not register
  err(await register(acc, hh), 403);
  err(await register(legal, hh), 403);
  const id = ok(await register(cw, hh), 201).json.id;
  err(await call('POST', `${C}/${id}/budgets/preview`, { session: cw, body: { ...BUDGET, valid_from: '2026-01-15' } }), 400, 'invalid_value');
  err(await call('POST', `${C}/${id}/budgets/preview`, { session: cw, body: { ...BUDGET, rent: -5 } }), 400, 'out_of_range');
  err(await call('POST', `${C}/${id}/budgets`, { session: cw, body: { ...BUDGET, rent_direct: true, landlord: { name: 'X', town: 'Thun', iban: 'CH4431999123000889012' } } }), 400, 'invalid_value');
  err(await move(cw, id, 'ongoing'), 409, 'transition_not_allowed');
  err(await call('POST', `${C}/${id}/transitions`, { session: cw, body: { to: 'intake' } }), 428);
  err(await call('POST', `${C}/${id}/transitions`, { session: cw, body: { to: 'intake' }, headers: { 'if-match': '"999"' } }), 409, 'conflict');
});

test('another tenant sees nothing: 404 on every route; RLS on every table', async () => {
  const hh = household('thun', [{ role: 'applicant', birth: '1975-05-05' }]);
  const id = ok(await register(cw, hh), 201).json.id;
  const b = ok(await call('POST', `${C}/${id}/budgets`, { session: cw, body: BUDGET }), 201).json.id;
  const paths = [
    ['GET', `${C}/${id}`], ['GET', `${C}/${id}/journal`], ['GET', `${C}/${id}/goals`],
    ['GET', `${C}/${id}/deadlines`], ['GET', `${C}/${id}/checklist`], ['GET', `${C}/${id}/budgets`],
    ['GET', `${C}/${id}/decisions`], ['GET', `/api/v1/budgets/${b}`],
    ['POST', `/api/v1/budgets/${b}/approve`], ['POST', `${C}/${id}/journal`, { category: 'other', text: 'x' }],
    ['POST', `${C}/${id}/budgets/preview`, BUDGET],
  ];
  for (const [m, p, body] of paths) err(await call(m, p, { session: m === 'POST' && p.endsWith('/approve') ? bielTl : biel, body }), 404);
  const list = ok(await call('GET', C, { session: biel }), 200);
  assert.ok(!list.json.items.some((x) => x.id === id));
  for (const t of ['dossier', 'dossier_transition', 'journal_entry', 'deadline', 'sh_budget', 'sh_budget_line', 'sh_decision', 'sh_goal', 'checklist', 'checklist_item']) {
    assert.equal(sql(DB_APP, `select count(*) from ${t}`), '0', `${t} without tenant setting`);
  }
});

test('a French-speaking client gets the budget explained in French', async () => {
  const hh = household('biel', [{ role: 'applicant', birth: '1982-08-08', lang: 'fr' }]);
  const r = ok(await call('POST', C, {
    session: biel, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 371 },
  }), 201);
  const pv = ok(await call('POST', `${C}/${r.json.id}/budgets/preview`, { session: biel, body: BUDGET }), 200);
  const gbl = pv.json.output.lines.find((l) => l.code === 'gbl');
  assert.match(gbl.explain, /CSIAS/, JSON.stringify(gbl));
  assert.equal(pv.json.input.language, 'fr');
  // a date before anyone lived in the household names the field
  const e = err(await call('POST', `${C}/${r.json.id}/budgets/preview`, { session: biel, body: { ...BUDGET, valid_from: '2019-01-01' } }), 409, 'no_members_on_date');
  assert.equal(e.detail.field, 'valid_from');
});

test('colleagues to assign a dossier to', async () => {
  const s = ok(await call('GET', '/api/v1/staff', { session: cw }), 200);
  assert.ok(s.json.items.some((u) => u.id === cw.data.user.id && u.roles.includes('caseworker')));
  assert.ok(s.json.items.every((u) => !('password_hash' in u) && !('email' in u)));
  const b = ok(await call('GET', '/api/v1/staff', { session: biel }), 200);
  assert.ok(!b.json.items.some((u) => u.id === cw.data.user.id), 'no other tenant\'s staff');
});

test('a case worker changes the dossiers of the own team only', async () => {
  const admin = await as('thun', 'admin');
  await team(admin, 'Nord');
  await team(admin, 'Süd');
  const u = await createUser(admin, ['caseworker'], { team: 'Nord' });
  assert.equal(u.json.team, 'Nord');
  const nord = await login('thun', u.username, u.password);
  const mk = async (team) => {
    const hh = household('thun', [{ role: 'applicant', birth: '1977-07-07' }]);
    return ok(await register(cw, hh, { team }), 201).json.id;
  };
  const mine = await mk('Nord');
  const theirs = await mk('Süd');
  ok(await call('POST', `${C}/${mine}/journal`, { session: nord, body: { category: 'other', text: 'ok' } }), 201);
  const e = err(await call('POST', `${C}/${theirs}/journal`, { session: nord, body: { category: 'other', text: 'x' } }), 403, 'other_team');
  assert.equal(e.detail.team, 'Süd');
  ok(await call('GET', `${C}/${theirs}`, { session: nord }), 200);
  // the team lead approves for every team; users without a team are free
  ok(await call('POST', `${C}/${theirs}/journal`, { session: tl, body: { category: 'other', text: 'Teamleitung' } }), 201);
  ok(await call('POST', `${C}/${theirs}/journal`, { session: cw, body: { category: 'other', text: 'ohne Team' } }), 201);
});

// Every body-taking route of the dossier: wrong type, missing field,
// unknown field, malformed JSON, oversize body; a foreign tenant gets 404
// and a role without the permission 403.
test('bad input, foreign ids and missing permissions on every dossier route', async () => {
  const hh = household('thun', [{ role: 'applicant', birth: '1979-09-09' }]);
  const id = ok(await register(cw, hh), 201).json.id;
  const g = ok(await call('POST', `${C}/${id}/goals`, { session: cw, body: { title: 'T', due_on: '2026-06-30' } }), 201).json.id;
  const d = ok(await call('POST', `${C}/${id}/deadlines`, { session: cw, body: { due_on: '2026-06-30', text: 'x' } }), 201).json.id;
  const b = ok(await call('POST', `${C}/${id}/budgets`, { session: cw, body: BUDGET }), 201).json.id;
  const adm = await as('thun', 'admin');	// a tenant admin reads no dossier
  const etag = async (p) => (await call('GET', p, { session: cw })).headers.get('etag') || '"1"';
  const routes = [
    // [method, path, good body, a field, a wrong value for it, who lacks the permission]
    ['PATCH', `${C}/${id}`, { team: 'A' }, 'team', 5, legal],
    ['POST', `${C}/${id}/transitions`, { to: 'intake' }, 'to', 1, legal],
    ['PUT', `${C}/${id}/checklist`, { items: [] }, 'items', 'x', legal],
    ['POST', `${C}/${id}/journal`, { category: 'other', text: 'x' }, 'text', [], legal],
    ['POST', `${C}/${id}/goals`, { title: 'T', due_on: '2026-06-30' }, 'due_on', 20260630, legal],
    ['POST', `${C}/${id}/goals/sign`, { signed_on: '2026-01-01' }, 'signed_on', true, legal],
    ['PATCH', `/api/v1/goals/${g}`, { status: 'open' }, 'status', 3, legal],
    ['POST', `${C}/${id}/deadlines`, { due_on: '2026-06-30', text: 'x' }, 'text', 7, legal],
    ['PATCH', `/api/v1/deadlines/${d}`, { done: true }, 'done', 'yes', legal],
    ['POST', `${C}/${id}/budgets/preview`, BUDGET, 'rent', '1000', adm],
    ['POST', `${C}/${id}/budgets`, BUDGET, 'assets', -1, legal],
    ['POST', `${C}/${id}/decisions`, { budget_id: b }, 'budget_id', 'x', legal],
  ];
  const required = { to: 1, items: 1, text: 1, due_on: 1, signed_on: 1, done: 1, rent: 1, assets: 1, budget_id: 1 };
  for (const [m, p, good, field, wrong, lacking] of routes) {
    const h = { 'if-match': m === 'PATCH' || p.endsWith('/transitions') ? await etag(p.includes('/goals/') || p.includes('/deadlines/') ? (p.includes('/goals/') ? `${C}/${id}/goals` : `${C}/${id}/deadlines`) : `${C}/${id}`) : undefined };
    const headers = h['if-match'] ? h : {};
    const e1 = await call(m, p, { session: cw, body: { ...good, [field]: wrong }, headers });
    assert.ok([400].includes(e1.status), `${m} ${p} wrong ${field}: ${show(e1)}`);
    assert.ok(['invalid_type', 'out_of_range', 'invalid_value'].includes(e1.json.error.code), show(e1));
    if (required[field]) {
      const { [field]: _drop, ...rest } = good;
      err(await call(m, p, { session: cw, body: rest, headers }), 400, 'missing_field');
    }
    err(await call(m, p, { session: cw, body: { ...good, nonsense: 1 }, headers }), 400, 'unknown_field');
    err(await call(m, p, { session: cw, raw: '{"a":', headers: { ...headers, 'content-type': 'application/json' } }), 400, 'malformed_json');
    err(await call(m, p, { session: cw, raw: JSON.stringify({ text: 'x'.repeat(600000) }), headers: { ...headers, 'content-type': 'application/json' } }), 413, 'body_too_large');
    err(await call(m, p, { session: biel, body: good, headers }), 404);
    err(await call(m, p, { session: lacking, body: good, headers }), 403, 'forbidden');
  }
  // the list's filters: a state or mine that is not one is named
  for (const [q, name] of [['state=zzz', 'state'], ['state=Ongoing', 'state'], ['mine=yes', 'mine'], ['mine=2', 'mine']])
    assert.equal(err(await call('GET', `${C}?${q}`, { session: cw }), 400, 'invalid_parameter').detail.parameter, name, q);
  for (const q of ['state=ongoing', 'state=closed', 'state=', 'mine=1', 'mine=0'])
    ok(await call('GET', `${C}?${q}`, { session: cw }), 200);
  // approvals: the author's colleague without case.approve is refused
  err(await call('POST', `/api/v1/budgets/${b}/approve`, { session: cw }), 403);
  err(await call('POST', `/api/v1/budgets/${b}/approve`, { session: acc }), 403, 'forbidden');
});
