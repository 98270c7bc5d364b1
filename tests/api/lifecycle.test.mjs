// Lifecycle sweep: what an administrator changes about a tenant or a user
// reaches every session and API token of theirs on the next request:
// tenant switched off, user switched off, roles changed, team changed.
// A token acts with what its creator may do now, and a tenant
// administrator cannot mint one with a permission the administrator
// lacks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, login, createUser, freshTenant, fixtureHousehold, redis,
} from './lib.mjs';

const U = '/api/v1/admin/users';
const T = '/api/v1/admin/tokens';
let canton; let admin; let cw;

before(async () => {
  canton = await as('canton', 'canton-admin');
  admin = await as('thun', 'admin');
  cw = await as('thun', 'caseworker');
});

async function etag(session, path) {
  return ok(await call('GET', path, { session }), 200).headers.get('etag');
}

async function patchUser(id, body) {
  const p = `${U}/${id}`;
  return ok(await call('PATCH', p, { session: admin, body, headers: { 'if-match': await etag(admin, p) } }), 200);
}

test('a tenant switched off: every session and token of it is refused at once, and stays so', async () => {
  const ft = await freshTenant('lc');
  const u = await createUser(ft.admin, ['tenant_admin']);
  const s1 = await login(ft.slug, u.username, u.password);
  const s2 = await login(ft.slug, u.username, u.password);
  const tok = ok(await call('POST', T, { session: ft.admin, body: { name: 'sync', permissions: ['tenant.users'], days: 30 } }), 201).json.token;
  for (const s of [ft.admin, s1, s2]) ok(await call('GET', '/api/v1/me', { session: s }), 200);
  ok(await call('GET', U, { token: tok }), 200);
  const tp = `/api/v1/admin/tenants/${ft.slug}`;
  ok(await call('PATCH', tp, { session: canton, body: { active: false }, headers: { 'if-match': await etag(canton, tp) } }), 200);
  for (const s of [ft.admin, s1, s2]) err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
  err(await call('GET', U, { token: tok }), 401, 'invalid_token');
  // switched on again: the ended sessions and tokens stay ended
  ok(await call('PATCH', tp, { session: canton, body: { active: true }, headers: { 'if-match': await etag(canton, tp) } }), 200);
  err(await call('GET', '/api/v1/me', { session: s1 }), 401, 'session_expired');
  err(await call('GET', U, { token: tok }), 401, 'invalid_token');
  await login(ft.slug, u.username, u.password);
});

test('a user switched off: sessions and the tokens the user made are refused', async () => {
  const a2 = await createUser(admin, ['tenant_admin']);
  const s = await login('thun', a2.username, a2.password);
  const tok = ok(await call('POST', T, { session: s, body: { name: 'a2', permissions: ['directory.read'], days: 30 } }), 201).json.token;
  ok(await call('GET', '/api/v1/roles', { token: tok }), 200);
  await patchUser(a2.id, { active: false });
  err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
  err(await call('GET', '/api/v1/roles', { token: tok }), 401, 'invalid_token');
  // back on: the token works again (it was never revoked), the session not
  await patchUser(a2.id, { active: true });
  ok(await call('GET', '/api/v1/roles', { token: tok }), 200);
  err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
});

test('roles changed: open sessions and the user\'s tokens act with the new roles on the next request', async () => {
  const a3 = await createUser(admin, ['tenant_admin', 'caseworker']);
  const s = await login('thun', a3.username, a3.password);
  const tok = ok(await call('POST', T, { session: s, body: { name: 'a3', permissions: ['tenant.users', 'case.read'], days: 30 } }), 201).json.token;
  ok(await call('GET', U, { token: tok }), 200);
  ok(await call('GET', '/api/v1/cases?limit=1', { token: tok }), 200);
  ok(await call('GET', U, { session: s }), 200);
  const p = `${U}/${a3.id}`;
  ok(await call('PUT', `${p}/roles`, { session: admin, body: { roles: ['caseworker'] }, headers: { 'if-match': await etag(admin, p) } }), 200);
  // the session goes on, narrowed
  const me = ok(await call('GET', '/api/v1/me', { session: s }), 200);
  assert.deepEqual(me.json.roles, ['caseworker'], show(me));
  err(await call('GET', U, { session: s }), 403, 'forbidden');
  // the token keeps what the creator still holds, nothing more
  err(await call('GET', U, { token: tok }), 403, 'forbidden');
  ok(await call('GET', '/api/v1/cases?limit=1', { token: tok }), 200);
  const list = ok(await call('GET', T, { session: admin }), 200).json.items.find((x) => x.name === 'a3');
  assert.deepEqual(list.effective_permissions, ['case.read'], JSON.stringify(list));
  // and a granted role reaches the open session too
  ok(await call('PUT', `${p}/roles`, { session: admin, body: { roles: ['caseworker', 'auditor'] }, headers: { 'if-match': await etag(admin, p) } }), 200);
  ok(await call('GET', '/api/v1/audit?limit=1', { session: s }), 200);
});

test('team changed: the open session writes to the new team\'s dossiers, not the old one\'s', async () => {
  const u = await createUser(admin, ['caseworker'], { team: 'Nord' });
  const s = await login('thun', u.username, u.password);
  const mk = async (team) => {
    const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1972-02-02' }]);
    return ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, team } }), 201).json.id;
  };
  const nord = await mk('Nord');
  const west = await mk('West');
  const note = (id) => call('POST', `/api/v1/cases/${id}/journal`, { session: s, body: { category: 'other', text: 'x' } });
  ok(await note(nord), 201);
  err(await note(west), 403, 'other_team');
  await patchUser(u.id, { team: 'West' });
  ok(await note(west), 201);
  err(await note(nord), 403, 'other_team');
  // the change travelled as an invalidation of the tenant's sessions
  assert.ok(Number(redis('GET', `ks:ep:${admin.data.tenant.id}`)) > 0, 'the tenant epoch moved');
});

test('a tenant administrator cannot mint a token with a permission the administrator lacks', async () => {
  for (const p of ['case.read', 'person.read', 'audit.read', 'document.write']) {
    const e = err(await call('POST', T, { session: admin, body: { name: 'more', permissions: ['directory.read', p], days: 1 } }), 403, 'forbidden');
    assert.equal(e.detail.permission, p);
  }
  ok(await call('POST', T, { session: admin, body: { name: 'same', permissions: ['directory.read', 'tenant.users'], days: 1 } }), 201);
});
