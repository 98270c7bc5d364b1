// The one dossier access policy (core/access/access.c), swept over every route
// of openapi.json that names a dossier or a record of one: a case worker
// of another team is refused every change with 403 "other_team", reads
// stay open within the social service, and a member of the dossier's own
// team, a team lead and a user without a team pass. Persons and
// households of another team's open dossier are that team's to change.
// A route that names a new kind of record fails this test until it is
// placed below, so a new route cannot slip past the policy.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, login, createUser, sql, DB_OWNER, fixtureHousehold, team, tenantId,
} from './lib.mjs';

const C = '/api/v1/cases';
const BUDGET = {
  valid_from: '2026-01-01', rent: 140000, kvg_premium: 38000, assets: 100000,
  income: { employment: 0, other: 0 },
};
const PDF = Buffer.from('%PDF-1.4\n% team sweep\n%%EOF\n');

// Kinds of record a path parameter names, by the path's first segment.
const FAMILIES = {
  cases: 'dossier', goals: 'goal', deadlines: 'deadline', documents: 'document',
  budgets: 'budget', decisions: 'decision', 'one-off-payments': 'oneoff',
  claims: 'claim', persons: 'person', households: 'household',
  // the legal hold names the dossier (tenant admins set it)
  retention: 'dossier',
  // a module's records by their own id: /api/v1/<module>/<things>/{id}
  'alimente/creditors': 'creditor',
  'alimente/enforcements': 'enforcement', 'alimente/pension-reports': 'pension_report',
  'alimente/advances': 'advance',
};
const family = (p) => {
  const s = p.split('/');
  return FAMILIES[s[3]] ?? FAMILIES[`${s[3]}/${s[4]}`];
};
// Routes with an id that is not a dossier's business (administration,
// the canton, payment runs of the whole service, rule packs, background
// jobs: seen by whoever started one and by job.read).
const OTHER = ['admin', 'payment-runs', 'rule-packs', 'rule-data', 'billing', 'invoices',
  'echo', 'bank-entries', 'bank-files', 'audit', 'teams', 'jobs'];

let cw; let tl; let nord; let sued; let ids;

/** A body that passes the route's field list (the policy comes after it). */
function sample(schema) {
  const body = {};
  for (const name of schema?.required ?? []) {
    const f = schema.properties[name];
    if (f.type === 'integer') body[name] = Math.max(f.minimum ?? 1, 1);
    else if (f.type === 'boolean') body[name] = false;
    else if (f.type === 'object') body[name] = {};
    else if (f.type === 'array') body[name] = [];
    else if (f.enum) body[name] = f.enum[0];
    else if (f.format === 'date') body[name] = '2026-01-01';
    else if (f.pattern) body[name] = 'thun';
    else body[name] = 'x'.repeat(Math.max(f.minLength ?? 1, 1));
  }
  return body;
}

before(async () => {
  cw = await as('thun', 'caseworker');
  tl = await as('thun', 'teamlead');
  const admin = await as('thun', 'admin');
  // the tenant's teams are records its administrator keeps
  await team(admin, 'Nord');
  await team(admin, 'Süd');
  // every role of a social service but the approver's, in one team
  const n = await createUser(admin, ['caseworker', 'accounting', 'reception'], { team: 'Nord' });
  nord = await login('thun', n.username, n.password);
  const s = await createUser(admin, ['caseworker'], { team: 'Süd' });
  sued = await login('thun', s.username, s.password);

  // A dossier of team Süd with one record of every kind, made by a case
  // worker without a team.
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1981-02-03' }]);
  const d = ok(await call('POST', C, { session: cw, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, team: 'Süd' } }), 201).json;
  // supported (the workflow itself is the dossier tests' business)
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${d.id}`);
  const goal = ok(await call('POST', `${C}/${d.id}/goals`, { session: cw, body: { title: 'Arbeit', due_on: '2026-09-30' } }), 201).json.id;
  const deadline = ok(await call('POST', `${C}/${d.id}/deadlines`, { session: cw, body: { due_on: '2026-09-30', text: 'Anruf' } }), 201).json.id;
  const saved = ok(await call('POST', `${C}/${d.id}/budgets`, { session: cw, body: BUDGET }), 201);
  const budget = saved.json.id;
  ok(await call('POST', `/api/v1/budgets/${budget}/approve`, { session: tl, headers: { 'if-match': saved.headers.get('etag') } }), 200);
  const decision = ok(await call('POST', `${C}/${d.id}/decisions`, { session: cw, body: { budget_id: budget } }), 201).json.id;
  const creditor = { name: 'Brocki Thun', iban: 'CH9300762011623852957', town: 'Thun', country: 'CH' };
  const oneoff = ok(await call('POST', `${C}/${d.id}/one-off-payments`, { session: cw, body: { amount: 5000, text: 'Möbel', creditor } }), 201).json.id;
  const claim = ok(await call('POST', `${C}/${d.id}/claims`, { session: cw, body: { amount: 10000, reason: 'Doppelt bezahlt', instalment: 1000 } }), 201).json.id;
  const document = ok(await call('POST', `${C}/${d.id}/documents?category=other&title=Sweep`, { session: cw, raw: PDF, headers: { 'content-type': 'application/pdf' } }), 201).json.id;
  const member = ok(await call('GET', `/api/v1/households/${hh.household}`, { session: cw }), 200).json.members[0].id;
  // an Alimentenhilfe dossier of team Süd with its title and a creditor
  const ahh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1984-04-04' }, { role: 'child', birth: '2014-04-04' }]);
  const ah = ok(await call('POST', C, { session: cw, body: { household_id: ahh.household, applicant_id: ahh.persons[0], municipality_bfs: 942, team: 'Süd', kind: 'alimente' } }), 201).json;
  ok(await call('PUT', `${C}/${ah.id}/title`, { session: cw, body: { title_kind: 'judgment', authority: 'Regionalgericht', decided_on: '2024-01-10', applied_on: '2025-02-03' } }), 201);
  const ahc = ok(await call('POST', `${C}/${ah.id}/creditors`, { session: cw, body: { person_id: ahh.persons[1], role: 'child' } }), 201).json;
  const ahCreditor = ahc.id;
  // nothing paid since the application: a pension-fund report may be made
  ok(await call('PUT', `/api/v1/alimente/creditors/${ahc.id}/amounts`, { session: cw, body: { amounts: [{ valid_from: '2025-02-01', amount: 80000 }] },
    headers: { 'if-match': `"${ahc.version}"` } }), 200);
  const enforcement = ok(await call('POST', `${C}/${ah.id}/enforcements`, { session: cw, body: { amount: 100000, office: 'Betreibungsamt Thun', started_on: '2026-01-05' } }), 201).json.id;
  const pensionReport = ok(await call('POST', `${C}/${ah.id}/pension-reports`, { session: cw, body: { institution: 'Pensionskasse' } }), 201).json.id;
  // an advance decision for the child (the module's tests have the routes)
  const advance = Number(sql(DB_OWNER, `insert into ah_advance (tenant_id, dossier_id, creditor_id, valid_from, eligible, amount,
      cap, input, result, provenance, created_by) values (${tenantId('thun')}, ${ah.id}, ${ahCreditor}, '2026-01-01', true, 50000,
      100800, '{"title_amount": 50000}', '{"lines": []}', '{"name": "alimente-advance"}', 1) returning id`).split('\n')[0]);
  ids = {
    dossier: d.id, goal, deadline, budget, decision, oneoff, claim, document,
    person: hh.persons[0], household: hh.household, member_id: member, creditor: ahCreditor,
    enforcement, pension_report: pensionReport, advance,
  };
});

function fill(path) {
  return path.replace('{id}', String(ids[family(path)])).replace('{member_id}', String(ids.member_id));
}

function send(session, o) {
  const url = fill(o.path);
  if (o.method === 'POST' && o.path === `${C}/{id}/documents`)
    return call('POST', `${url}?category=other&title=Nord`, { session, raw: PDF, headers: { 'content-type': 'application/pdf' } });
  return call(o.method, url, o.schema ? { session, body: sample(o.schema) } : { session });
}

test('team sweep: every route on another team\'s dossier and its records refuses the change', async () => {
  const doc = ok(await call('GET', '/api/openapi.json'), 200).json;
  const ops = [];
  const unplaced = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    if (!p.startsWith('/api/v1/') || !/\{[a-z_]+\}/.test(p)) continue;
    const seg = p.split('/')[3];
    if (OTHER.includes(seg)) continue;
    if (!family(p)) { unplaced.push(p); continue; }
    for (const [m, op] of Object.entries(item)) {
      ops.push({ method: m.toUpperCase(), path: p, perm: op['x-permission'],
        reads: m === 'get' || op['x-read-only'] === true,
        schema: op.requestBody?.content?.['application/json']?.schema });
    }
  }
  assert.deepEqual(unplaced, [], 'routes with an id of a kind this sweep does not know');
  const writes = ops.filter((o) => !o.reads);
  assert.ok(writes.length >= 20, `only ${writes.length} writing routes found`);
  const holds = new Set(nord.data.permissions);
  const before0 = sql(DB_OWNER, `select version || state from dossier where id = ${ids.dossier}`);
  const wrong = [];
  for (const o of writes) {
    const res = await send(nord, o);
    const want = o.perm && !holds.has(o.perm) ? 'forbidden' : 'other_team';
    if (res.status !== 403 || res.json?.error?.code !== want) wrong.push(`${o.method} ${o.path}: ${show(res)}`);
  }
  assert.deepEqual(wrong, [], 'each change by another team is refused');
  // only the approvals (for team leads, who work for every team) and the
  // legal hold (the tenant admin's) were closed to this user by
  // permission; everything else met the policy
  const byPerm = writes.filter((o) => o.perm && !holds.has(o.perm)).map((o) => o.perm);
  assert.deepEqual([...new Set(byPerm)].sort(), ['alimente.approve', 'case.approve', 'retention.hold']);
  assert.equal(sql(DB_OWNER, `select version || state from dossier where id = ${ids.dossier}`), before0, 'the dossier is as it was (not transferred)');
  assert.equal(sql(DB_OWNER, `select count(*) from document where dossier_id = ${ids.dossier}`), '1', 'no document added');
  // reading stays open within the social service
  for (const o of ops.filter((x) => x.reads && (!x.perm || holds.has(x.perm)))) {
    const res = await send(nord, o);
    assert.ok(res.status !== 403 && res.status < 500, `${o.method} ${o.path} reads: ${show(res)}`);
  }
});

test('the dossier\'s own team, team leads and users without a team pass the policy', async () => {
  const note = (session) => call('POST', `${C}/${ids.dossier}/journal`, { session, body: { category: 'other', text: 'Notiz' } });
  ok(await note(sued), 201);
  ok(await note(tl), 201);
  ok(await note(cw), 201);
  err(await note(nord), 403, 'other_team');
  // a record of the dossier: the team's member changes the deadline
  const path = `/api/v1/deadlines/${ids.deadline}`;
  const cur = ok(await call('GET', `${C}/${ids.dossier}/deadlines`, { session: sued }), 200).json.items.find((x) => x.id === ids.deadline);
  err(await call('PATCH', path, { session: nord, body: { done: true }, headers: { 'if-match': `"${cur.version}"` } }), 403, 'other_team');
  ok(await call('PATCH', path, { session: sued, body: { done: true }, headers: { 'if-match': `"${cur.version}"` } }), 200);
  // the 403 names the team, before any version is asked for
  const e = err(await call('PATCH', `/api/v1/goals/${ids.goal}`, { session: nord, body: { status: 'achieved' } }), 403, 'other_team');
  assert.equal(e.detail.team, 'Süd');
});

test('persons and households of another team\'s open dossier are that team\'s to change', async () => {
  const person = `/api/v1/persons/${ids.person}`;
  const g = ok(await call('GET', person, { session: nord }), 200);
  err(await call('PATCH', person, { session: nord, body: { phone: '033 111 22 33' }, headers: { 'if-match': g.headers.get('etag') } }), 403, 'other_team');
  const hh = `/api/v1/households/${ids.household}`;
  const h = ok(await call('GET', hh, { session: nord }), 200);
  const kid = fixtureHousehold('thun', [{ role: 'child', birth: '2015-05-05' }]);
  sql(DB_OWNER, `delete from household_member where person_id = ${kid.persons[0]}`);
  err(await call('POST', `${hh}/members`, { session: nord, body: { person_id: kid.persons[0], role: 'child', valid_from: '2026-02-01' } }), 403, 'other_team');
  err(await call('PATCH', `${hh}/members/${ids.member_id}`, { session: nord, body: { valid_to: '2026-06-01' }, headers: { 'if-match': h.headers.get('etag') } }), 403, 'other_team');
  // taking the client into a household of one's own is a change too
  err(await call('POST', '/api/v1/households', { session: nord, body: { name: 'Umzug', members: [{ person_id: ids.person, role: 'applicant', valid_from: '2031-01-01' }] } }), 403, 'other_team');
  // the dossier's team changes them; persons in no open dossier are free
  ok(await call('PATCH', person, { session: sued, body: { phone: '033 111 22 33' }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  ok(await call('POST', `${hh}/members`, { session: sued, body: { person_id: kid.persons[0], role: 'child', valid_from: '2026-02-01' }, headers: { 'if-match': h.headers.get('etag') } }), 201);
  const free = fixtureHousehold('thun', [{ role: 'applicant', birth: '1990-01-01' }]);
  const fp = ok(await call('GET', `/api/v1/persons/${free.persons[0]}`, { session: nord }), 200);
  ok(await call('PATCH', `/api/v1/persons/${free.persons[0]}`, { session: nord, body: { phone: '033 999 88 77' }, headers: { 'if-match': fp.headers.get('etag') } }), 200);
  // once the dossier is closed, its household is nobody's in particular
  sql(DB_OWNER, `update dossier set state = 'closed' where id = ${ids.dossier}`);
  const g2 = ok(await call('GET', person, { session: nord }), 200);
  ok(await call('PATCH', person, { session: nord, body: { phone: '033 444 55 66' }, headers: { 'if-match': g2.headers.get('etag') } }), 200);
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${ids.dossier}`);
});
