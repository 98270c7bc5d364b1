// The dossier read's stored answer (dossier_answer, migration 0045):
// GET /api/v1/cases/{id} answers from a stored copy of what it would
// compute. These tests check the copy's three promises after every kind
// of write that changes an answer (through the API, and directly in the
// database as a retention job writes):
// - the stored answer is never older than a committed write: the answer
//   read after a write deep-equals the one computed afresh (on_date set
//   to NULL by the owner forces the recomputation), and shows the change;
// - a stale row holds no personal data (every answer column NULL, gen up);
// - a read never waits for a writer, and never shows or stores what a
//   writer has not committed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  call, ok, err, as, login, sql, sqlError, until, isoDay, surname, freshTenant, createUser, team,
  fixtureHousehold, tenantId, DB_OWNER, DB_APP,
} from './lib.mjs';

const C = '/api/v1/cases';
const COLS = `module, kind, state, household_id, applicant_id, last_name, first_name, language,
  municipality_bfs, municipality, caseworker_id, caseworker, team, opened_on, closed_on,
  closure_reason, version, next_deadline, transferred_from, number, history, members`;
let canton; let t; let tid; let cw; let cwUser; let cw2; let bfs; let teamName;

before(async () => {
  canton = await as('canton', 'canton-admin');
  t = await freshTenant('dans');
  tid = Number(t.tenant.id);
  ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/sozialhilfe`, { session: canton, body: { enabled: true } }), 200);
  bfs = sql(DB_OWNER, 'select s from generate_series(9000, 9999) s where s not in (select bfs from municipality) order by random() limit 2')
    .split('\n').map(Number);
  for (const b of bfs) {
    ok(await call('POST', '/api/v1/admin/municipalities', { session: canton, body: { bfs: b, name: `Antwort ${b}`, population: 900 } }), 201);
    ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/municipalities/${b}`, { session: canton }), 204);
  }
  cwUser = await createUser(t.admin, ['caseworker']);
  cw2 = await createUser(t.admin, ['caseworker']);
  cw = await login(t.slug, cwUser.username, cwUser.password);
  teamName = (await team(t.admin, 'Team Antwort')).name;
});

const read = async (id, session = cw) => ok(await call('GET', `${C}/${id}`, { session }), 200);

/** The stored row: its gen, its day ('-': none) and how many answer columns hold a value. */
function answerRow(id) {
  const out = sql(DB_OWNER, `select gen, coalesce(on_date::text, '-'), num_nonnulls(${COLS}) from dossier_answer where dossier_id = ${id}`);
  assert.ok(out, `dossier ${id} has a dossier_answer row`);
  const [gen, on, n] = out.split('|');
  return { gen: Number(gen), on, n: Number(n) };
}

/** The row holds today's answer. */
function filled(id, what = 'the read stored its answer') {
  const r = answerRow(id);
  assert.equal(r.on, isoDay(), `${what}: ${JSON.stringify(r)}`);
  assert.equal(sql(DB_OWNER, `select last_name is not null and members is not null and history is not null from dossier_answer where dossier_id = ${id}`), 't', what);
  return r;
}

/** The row is stale since `before`: a new gen, no day, no data at all. */
function stale(id, before, what = 'the write made the answer stale') {
  const r = answerRow(id);
  assert.deepEqual({ on: r.on, n: r.n }, { on: '-', n: 0 }, `${what}: a stale row holds no data`);
  assert.ok(r.gen > before.gen, `${what}: gen ${before.gen} -> ${r.gen}`);
}

/**
 * The oracle: the answer read now (A, stored by that read) and read
 * again from the store equal the one computed afresh (B). Returns B.
 */
async function current(id, session = cw) {
  const a = await read(id, session);
  filled(id);
  const again = await read(id, session);
  assert.deepEqual(again.json, a.json, 'the stored answer reads as the computed one');
  sql(DB_OWNER, `update dossier_answer set on_date = null where dossier_id = ${id}`);
  const b = await read(id, session);
  assert.deepEqual(a.json, b.json, 'the answer after the write is the one computed now');
  assert.equal(a.headers.get('etag'), b.headers.get('etag'));
  filled(id, 'the recomputed answer was stored');
  return b.json;
}

/** Run a write on a dossier with a current row; the row must be stale after it. */
async function write(id, fn) {
  const before = filled(id, 'current before the write');
  const res = await fn();
  stale(id, before);
  return res;
}

/** A new dossier of a household of three, read once (which fills its row). */
async function dossier() {
  const hh = fixtureHousehold(t.slug, [
    { role: 'applicant', birth: '1980-03-03', last: surname(), first: 'Alma' },
    { role: 'partner', birth: '1982-04-04', first: 'Bruno' },
    { role: 'child', birth: '2015-06-15', first: 'Cleo' },
  ]);
  const c = ok(await call('POST', C, { session: cw, body: {
    household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: bfs[0], caseworker_id: cwUser.id } }), 201).json;
  const first = (await read(c.id)).json;
  filled(c.id, 'the first read stored its answer');
  assert.equal(first.members.length, 3);
  return { id: c.id, hh, first };
}

const etag = async (path, session) => ok(await call('GET', path, { session }), 200).headers.get('etag');
const age = (d) => Number(sql(DB_OWNER, `select date_part('year', age(current_date, date '${d}'))::int`));

test('renaming the applicant shows in the applicant and the members', async () => {
  const d = await dossier();
  const p = d.hh.persons[0];
  const last = surname();
  await write(d.id, async () => ok(await call('PATCH', `/api/v1/persons/${p}`, { session: cw,
    headers: { 'if-match': await etag(`/api/v1/persons/${p}`, cw) }, body: { last_name: last, first_name: 'Alwine' } }), 200));
  const b = await current(d.id);
  assert.deepEqual([b.applicant.last_name, b.applicant.first_name], [last, 'Alwine']);
  const m = b.members.find((x) => x.person_id === p);
  assert.deepEqual([m.last_name, m.first_name], [last, 'Alwine']);
});

test('a member\'s new birth date shows in birth_date and age', async () => {
  const d = await dossier();
  const child = d.hh.persons[2];
  await write(d.id, async () => ok(await call('PATCH', `/api/v1/persons/${child}`, { session: cw,
    headers: { 'if-match': await etag(`/api/v1/persons/${child}`, cw) }, body: { birth_date: '2010-06-15' } }), 200));
  const m = (await current(d.id)).members.find((x) => x.person_id === child);
  assert.deepEqual([m.birth_date, m.age], ['2010-06-15', age('2010-06-15')]);
  assert.notEqual(m.age, d.first.members.find((x) => x.person_id === child).age);
});

test('a member added and a membership ended show in the members', async () => {
  const d = await dossier();
  const H = `/api/v1/households/${d.hh.household}`;
  const added = await write(d.id, async () => ok(await call('POST', `${H}/members`, { session: cw,
    headers: { 'if-match': await etag(H, cw) },
    body: { person: { last_name: surname(), first_name: 'Dario', birth_date: '2019-09-09' }, role: 'child', valid_from: '2024-01-01' } }), 201).json);
  const dario = added.members.find((m) => m.first_name === 'Dario').person_id;
  let b = await current(d.id);
  assert.deepEqual(b.members.map((m) => m.person_id).sort(), [...d.hh.persons, dario].sort());
  const partner = ok(await call('GET', H, { session: cw }), 200).json.members.find((m) => m.person_id === d.hh.persons[1]);
  await write(d.id, async () => ok(await call('PATCH', `${H}/members/${partner.id}`, { session: cw,
    headers: { 'if-match': await etag(H, cw) }, body: { valid_to: isoDay() } }), 200));
  b = await current(d.id);
  assert.deepEqual(b.members.map((m) => m.person_id).sort(), [d.hh.persons[0], d.hh.persons[2], dario].sort(),
    'the partner left today');
});

test('a deadline added and marked done shows in next_deadline', async () => {
  const d = await dossier();
  assert.equal(d.first.next_deadline, null);
  const due = isoDay(12);
  const dl = await write(d.id, async () => ok(await call('POST', `${C}/${d.id}/deadlines`, { session: cw,
    body: { due_on: due, text: 'Mietvertrag nachreichen' } }), 201).json);
  assert.equal((await current(d.id)).next_deadline, due);
  const v = ok(await call('GET', `${C}/${d.id}/deadlines`, { session: cw }), 200).json.items.find((x) => x.id === dl.id).version;
  await write(d.id, async () => ok(await call('PATCH', `/api/v1/deadlines/${dl.id}`, { session: cw,
    headers: { 'if-match': `"${v}"` }, body: { done: true } }), 200));
  assert.equal((await current(d.id)).next_deadline, null);
});

test('a state transition shows in state, history and version', async () => {
  const d = await dossier();
  const r = await write(d.id, async () => ok(await call('POST', `${C}/${d.id}/transitions`, { session: cw,
    headers: { 'if-match': `"${d.first.version}"` }, body: { to: 'intake', reason: 'Unterlagen angefordert' } }), 200));
  const b = await current(d.id);
  assert.equal(b.state, 'intake');
  assert.equal(b.version, d.first.version + 1);
  assert.equal(b.history.length, d.first.history.length + 1);
  assert.deepEqual((({ from, to, reason }) => ({ from, to, reason }))(b.history.at(-1)),
    { from: 'registration', to: 'intake', reason: 'Unterlagen angefordert' });
  const { history, members, ...shown } = b;
  assert.deepEqual(shown, r.json, 'the read shows what the transition answered');
});

test('a dossier change (case worker, team, municipality) shows in the answer', async () => {
  const d = await dossier();
  const r = await write(d.id, async () => ok(await call('PATCH', `${C}/${d.id}`, { session: cw,
    headers: { 'if-match': `"${d.first.version}"` }, body: { caseworker_id: cw2.id, team: teamName, municipality_bfs: bfs[1] } }), 200));
  const b = await current(d.id);
  assert.deepEqual(b.caseworker, { id: cw2.id, display_name: `User ${cw2.username}` });
  assert.equal(b.team, teamName);
  assert.deepEqual(b.municipality, { bfs: bfs[1], name: `Antwort ${bfs[1]}` });
  const { history, members, ...shown } = b;
  assert.deepEqual(shown, r.json);
});

test('the case worker\'s new display name shows as case worker and as actor in the history', async () => {
  const d = await dossier();
  assert.equal(d.first.history[0].actor_id, cwUser.id);
  const U = `/api/v1/admin/users/${cwUser.id}`;
  const name = `Frau ${surname()}`;
  await write(d.id, async () => ok(await call('PATCH', U, { session: t.admin,
    headers: { 'if-match': await etag(U, t.admin) }, body: { display_name: name } }), 200));
  const b = await current(d.id);
  assert.equal(b.caseworker.display_name, name);
  assert.equal(b.history[0].actor, name);
});

test('a municipality\'s new name shows in the answer', async () => {
  const d = await dossier();
  const M = `/api/v1/admin/municipalities/${bfs[0]}`;
  const rename = async (name) => ok(await call('PATCH', M, { session: canton,
    headers: { 'if-match': await etag(M, canton) }, body: { name } }), 200);
  try {
    await write(d.id, () => rename(`Neu ${bfs[0]}`));
    assert.equal((await current(d.id)).municipality.name, `Neu ${bfs[0]}`);
  } finally {
    await rename(`Antwort ${bfs[0]}`);
  }
  assert.equal((await current(d.id)).municipality.name, `Antwort ${bfs[0]}`, 'and the name restored');
});

test('a direct write in the database (as a retention job does) shows at the next read', async () => {
  const d = await dossier();
  const last = surname();
  await write(d.id, () => sql(DB_OWNER, `update person set last_name = '${last}' where id = ${d.hh.persons[0]}`));
  const b = await current(d.id);
  assert.equal(b.applicant.last_name, last);
  assert.equal(b.members.find((m) => m.person_id === d.hh.persons[0]).last_name, last);
});

test('a new day: yesterday\'s stored answer is computed again', async () => {
  const d = await dossier();
  const { gen } = answerRow(d.id);
  sql(DB_OWNER, `update dossier_answer set on_date = on_date - 1, members = '[]'::json where dossier_id = ${d.id}`);
  assert.equal(answerRow(d.id).gen, gen, 'gen unchanged: only the day tells it is old');
  const a = (await read(d.id)).json;
  assert.equal(a.members.length, 3, `not yesterday's (fake) members: ${JSON.stringify(a.members)}`);
  assert.deepEqual(a, d.first);
  filled(d.id, 'stored again for today');
  assert.deepEqual(await current(d.id), d.first);
});

test('a writer holding its transaction does not block a read; its change shows once committed', async () => {
  const d = await dossier();
  // First with today's answer stored, then with the row stale before the
  // writer came (so the read computes and must skip the writer's lock).
  for (const [due, staleFirst] of [[isoDay(20), false], [isoDay(10), true]]) {
    const was = (await current(d.id)).next_deadline;
    if (staleFirst) sql(DB_OWNER, `update dossier_answer set on_date = null where dossier_id = ${d.id}`);
    const before = answerRow(d.id);
    const text = `Frist ${staleFirst ? 'b' : 'a'}`;
    const psql = spawn('psql', [DB_OWNER, '-XAtq', '-v', 'ON_ERROR_STOP=1',
      '-c', `SET kasus.tenant_id = '${tid}'`, '-c', 'BEGIN',
      '-c', `INSERT INTO deadline (tenant_id, dossier_id, due_on, kind, text) VALUES (${tid}, ${d.id}, '${due}', 'manual', '${text}')`,
      '-c', 'SELECT pg_sleep(3)', '-c', 'COMMIT'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    psql.stderr.on('data', (x) => { stderr += x; });
    const exited = new Promise((r) => psql.once('exit', (code) => r(code)));
    try {
      assert.ok(await until(() => sql(DB_OWNER, `select count(*) from pg_stat_activity
        where query = 'SELECT pg_sleep(3)' and state = 'active'`) === '1', 5000, 50), `the writer is in its transaction: ${stderr}`);
      const t0 = performance.now();
      const a = (await read(d.id)).json;
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `the read took ${Math.round(ms)} ms while a writer held its transaction`);
      assert.equal(a.next_deadline, was, `the uncommitted deadline ${due} is not shown (staleFirst ${staleFirst})`);
      assert.equal(await Promise.race([exited.then(() => 'exited'), Promise.resolve('running')]), 'running',
        'the read answered while the writer still held its transaction');
    } finally {
      assert.equal(await exited, 0, `the writer: ${stderr}`);
    }
    stale(d.id, before, 'the committed deadline made the answer stale');
    assert.equal((await current(d.id)).next_deadline, due, `the committed deadline shows (staleFirst ${staleFirst})`);
  }
});

test('isolation: another tenant sees neither the row nor the dossier', async () => {
  const d = await dossier();
  const asTenant = (id) => sql(DB_APP, [`select set_config('kasus.tenant_id', '${id}', false)`,
    `select count(*) from dossier_answer where dossier_id = ${d.id}`]).split('\n').at(-1);
  assert.equal(asTenant(tid), '1', 'the own tenant sees its row (the check below means something)');
  assert.equal(asTenant(tenantId('biel')), '0');
  assert.equal(sql(DB_APP, `select count(*) from dossier_answer where dossier_id = ${d.id}`), '0', 'without a tenant setting');
  err(await call('GET', `${C}/${d.id}`, { session: await as('biel', 'caseworker') }), 404, 'not_found');
  // The functions that empty rows run past row-level security: only their
  // triggers may call them, not the application role from another tenant.
  for (const f of ['dossier_answer_stale', 'dossier_answer_empty'])
    assert.match(sqlError(DB_APP, [`select set_config('kasus.tenant_id', '${tenantId('biel')}', false)`,
      `select ${f}(array[${tid}::bigint], array[${d.id}::bigint])`]), /permission denied for function/);
  filled(d.id, 'the refused read left the row as it was');
  assert.deepEqual((await read(d.id)).json, d.first);
});

test('a read records itself whether it found its answer stored or stored it', async () => {
  const d = await dossier();
  const hit = await read(d.id);
  // A miss stores its answer and commits in one round trip; its read
  // record goes to the audit writer as a hit's does.
  sql(DB_OWNER, `update dossier_answer set on_date = null where dossier_id = ${d.id}`);
  const miss = await read(d.id);
  filled(d.id, 'the miss stored its answer');
  assert.deepEqual(miss.json, hit.json, 'the stored and the computed answer are the same');
  for (const [what, res] of [['a hit', hit], ['a miss', miss]]) {
    const rid = res.headers.get('x-request-id');
    assert.equal(sql(DB_OWNER, `select count(*) from audit_read where request_id = '${rid}'
      and route = 'GET /api/v1/cases/{id}' and action = 'dossier_read' and object_id = '${d.id}'`), '1',
    `${what} wrote its read record before its answer went out`);
  }
});
