// The casework routes serve every module's dossier kind (issue 12): the
// example module echo declares the kind echo_case (states, steps, a
// checklist, hooks) and never touches the core. Its dossiers are
// registered, moved and listed through /api/v1/cases; the core enforces
// its steps and checklist, its deadlines and its own items appear in the
// work list marked with the module, and its own data moves in a transfer
// through its hook.
import test from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, as, sql, show, until, uniq, DB_OWNER, DB_APP, fixtureHousehold, tenantId, isoDay } from './lib.mjs';

const M = '/api/v1/admin/tenants';
let canton, cw, oe, biel;

async function setEcho(slug, enabled = true) {
  const st = ok(await call('GET', `${M}/${slug}/modules`, { session: canton }), 200).json.items.find((i) => i.module === 'echo');
  if (enabled && st.enabled && st.start_date <= isoDay()) return;
  if (!enabled && !st.enabled) return;
  const headers = st.version > 0 ? { 'if-match': `"${st.version}"` } : {};
  const body = enabled ? { enabled: true, start_date: '2024-01-01' } : { enabled: false };
  ok(await call('PUT', `${M}/${slug}/modules/echo`, { session: canton, headers, body }), 200);
}

// The other test files find echo as the demo has it: off.
test.after(async () => {
  for (const slug of ['thun', 'oberes-emmental']) await setEcho(slug, false);
});

test.before(async () => {
  canton = await as('canton', 'canton-admin');
  for (const slug of ['thun', 'oberes-emmental']) await setEcho(slug);
  cw = await as('thun', 'caseworker');
  oe = await as('oberes-emmental', 'caseworker');
  biel = await as('biel', 'caseworker');
  // Each worker caches a tenant's switches for a few seconds.
  for (const s of [cw, oe]) {
    assert.ok(await until(async () => (await Promise.all(Array.from({ length: 8 },
      () => call('GET', '/api/v1/echo/hello', { session: s })))).every((r) => r.status === 200), 10000, 250), 'echo is on');
  }
});

const userId = (slug, name) => Number(sql(DB_OWNER, `select id from app_user where tenant_id = ${tenantId(slug)} and username = '${name}'`));

async function step(id, body, session = cw) {
  const g = ok(await call('GET', `/api/v1/cases/${id}`, { session }), 200);
  return call('POST', `/api/v1/cases/${id}/transitions`, { session, body, headers: { 'if-match': g.headers.get('etag') } });
}

test('an echo dossier through the core: steps, checklist, work list, transfer with its notes', async () => {
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1979-04-04' }]);
  const me = userId('thun', 'caseworker');
  const body = { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, caseworker_id: me };
  err(await call('POST', '/api/v1/cases', { session: cw, body: { ...body, kind: 'no_such_kind' } }), 400, 'invalid_value');
  const c = ok(await call('POST', '/api/v1/cases', { session: cw, body: { ...body, kind: 'echo_case' } }), 201);
  assert.equal(c.json.module, 'echo', show(c));
  assert.equal(c.json.kind, 'echo_case');
  assert.equal(c.json.state, 'open', 'the kind\'s initial state');
  assert.deepEqual(c.json.transitions, ['waiting', 'closed']);
  const id = c.json.id;
  // Without a kind: the module's main kind (Sozialhilfe's), as before.
  const s = ok(await call('POST', '/api/v1/cases', { session: cw, body }), 201);
  assert.equal(s.json.kind, 'sozialhilfe');
  assert.equal(s.json.state, 'registration');
  // GET writes the dossier as text, POST from a tree (issue 13): the same
  // members with the same values, GET adding its history and members.
  for (const made of [c, s]) {
    const { history, members, ...shown } = ok(await call('GET', `/api/v1/cases/${made.json.id}`, { session: cw }), 200).json;
    assert.ok(Array.isArray(history) && Array.isArray(members));
    assert.deepEqual(shown, made.json);
  }

  // Steps the kind does not declare, automatic ones and ones that need a
  // permission the caller lacks are refused by the core.
  err(await step(id, { to: 'review' }), 409, 'transition_not_allowed');
  err(await step(id, { to: 'closed', closure_reason: 'moved' }), 400, 'invalid_value');
  // The checklist: waiting needs the signed form.
  const miss = err(await step(id, { to: 'waiting' }), 409, 'checklist_incomplete');
  assert.deepEqual(miss.detail.missing, ['signed_form'], JSON.stringify(miss));
  const cl = ok(await call('GET', `/api/v1/cases/${id}/checklist`, { session: cw }), 200);
  assert.deepEqual(cl.json, { items: [], missing: ['signed_form'], version: 0 });
  const put = (items, etag) => call('PUT', `/api/v1/cases/${id}/checklist`, { session: cw, body: { items }, headers: { 'if-match': etag } });
  err(await put([{ code: 'rent_contract', received_on: '2026-01-05' }], '"0"'), 400, 'invalid_value');
  const saved = ok(await put([{ code: 'signed_form', received_on: '2026-01-05', note: 'per Post' }], '"0"'), 200);
  assert.deepEqual(saved.json.missing, []);
  err(await put([{ code: 'photo', received_on: null }], '"0"'), 409, 'conflict');

  const w = ok(await step(id, { to: 'waiting', reason: 'Formular da' }), 200);
  assert.equal(w.json.state, 'waiting');
  err(await step(id, { to: 'closed', closure_reason: 'done' }), 409, 'transition_not_allowed');
  err(await step(id, { to: 'open' }), 403, 'forbidden');

  // The deadline its hook set and the module's own items in the work list.
  const text = `Rückfrage ${uniq('n')}`;
  ok(await call('POST', `/api/v1/echo/cases/${id}/notes`, { session: cw, body: { text } }), 201);
  const wl = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200).json;
  const ping = wl.due_today.find((d) => d.dossier_id === id);
  assert.ok(ping, show({ json: wl }));
  assert.equal(ping.kind, 'echo_ping');
  assert.equal(ping.module, 'echo');
  assert.equal(wl.open_dossiers.find((d) => d.id === id)?.module, 'echo');
  assert.equal(wl.open_dossiers.find((d) => d.id === s.json.id)?.module, 'sozialhilfe');
  const note = wl.echo_notes.find((n) => n.dossier_id === id);
  assert.equal(note?.text, text);
  assert.equal(note.module, 'echo');

  // A transfer: the receiver's dossier is of the same kind, and the
  // module's notes went along through its hook.
  const g = ok(await call('GET', `/api/v1/cases/${id}`, { session: cw }), 200);
  const t = ok(await call('POST', `/api/v1/cases/${id}/transfer`, { session: cw, body: { to_tenant: 'oberes-emmental', municipality_bfs: 902 },
    headers: { 'if-match': g.headers.get('etag') } }), 201);
  const to = t.json.to.dossier_id;
  const nd = ok(await call('GET', `/api/v1/cases/${to}`, { session: oe }), 200);
  assert.equal(nd.json.kind, 'echo_case');
  assert.equal(nd.json.state, 'open');
  const notes = ok(await call('GET', `/api/v1/echo/cases/${to}/notes`, { session: oe }), 200);
  assert.deepEqual(notes.json.items.map((n) => n.text), [text]);
  assert.equal(sql(DB_OWNER, `select count(*) from deadline where dossier_id = ${id} and done_on is null`), '0',
    'the sender\'s deadlines ended with the dossier');

  // Closed with one of the kind's reasons (and so out of echo's payment
  // runs, which pay open echo cases).
  const done = ok(await step(to, { to: 'closed', closure_reason: 'done' }, oe), 200);
  assert.equal(done.json.closure_reason, 'done');

  // Other tenants see nothing of it.
  err(await call('GET', `/api/v1/echo/cases/${id}/notes`, { session: oe }), 404);
  err(await call('GET', `/api/v1/cases/${id}/checklist`, { session: biel }), 404);
  err(await call('GET', `/api/v1/cases/${to}`, { session: cw }), 404);
  for (const tb of ['checklist', 'checklist_item', 'echo_case_note'])
    assert.equal(sql(DB_APP, `select count(*) from ${tb}`), '0', `${tb} without tenant setting`);
});
