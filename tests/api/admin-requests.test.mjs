// No canton back door: the canton creates the first administrator of a
// social service; another one only with the service's consent. The
// request lands in the service's own tenant and audit log, an
// administrator of the service approves it (and sets the first password,
// which the canton never learns) or rejects it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, login, freshTenant, sql, DB_OWNER, DB_APP, tenantId, uniq,
} from './lib.mjs';

let canton;
before(async () => { canton = await as('canton', 'canton-admin'); });

const reqPath = (slug) => `/api/v1/admin/tenants/${slug}/admin-requests`;
const R = '/api/v1/admin/admin-requests';

test('the canton cannot add an administrator to a service that has one; it asks, the service approves', async () => {
  const ft = await freshTenant('ar');
  const direct = await call('POST', `/api/v1/admin/tenants/${ft.slug}/admins`, { session: canton, body: { username: 'backdoor', display_name: 'Back Door', password: 'chosen-by-canton' } });
  err(direct, 409, 'admin_exists');
  assert.equal(sql(DB_OWNER, `select count(*) from app_user where username = 'backdoor' and tenant_id = ${tenantId(ft.slug)}`), '0');

  const body = { username: 'stv-admin', display_name: 'Stellvertretung', email: 'stv@example.org', language: 'fr', reason: 'Ferienvertretung der Administratorin' };
  const r = ok(await call('POST', reqPath(ft.slug), { session: canton, body }), 201);
  assert.equal(r.json.status, 'pending');
  assert.equal(r.json.requested_by, canton.data.user.display_name);
  assert.ok(!('password' in r.json));
  err(await call('POST', reqPath(ft.slug), { session: canton, body }), 409, 'already_exists');
  // the service sees it; the canton sees its state
  const mine = ok(await call('GET', `${R}?status=pending`, { session: ft.admin }), 200).json.items;
  assert.deepEqual(mine.map((x) => x.username), ['stv-admin']);
  ok(await call('GET', reqPath(ft.slug), { session: canton }), 200);
  err(await call('GET', R, { session: canton }), 403, 'forbidden');
  err(await call('POST', reqPath(ft.slug), { session: ft.admin, body }), 403, 'forbidden');
  // in the service's own audit log
  const t = tenantId(ft.slug);
  assert.equal(sql(DB_OWNER, `select count(*) from audit_event where tenant_id = ${t} and action = 'admin_requested' and object_id = '${r.json.id}'`), '1');

  // approval: If-Match, a first password only the service knows
  const a = `${R}/${r.json.id}/approve`;
  err(await call('POST', a, { session: ft.admin, body: { password: 'service-chosen-1' } }), 428, 'precondition_required');
  err(await call('POST', a, { session: ft.admin, body: { password: 'short' }, headers: { 'if-match': `"${r.json.version}"` } }), 400, 'invalid_length');
  const done = ok(await call('POST', a, { session: ft.admin, body: { password: 'service-chosen-1' }, headers: { 'if-match': `"${r.json.version}"` } }), 200);
  assert.equal(done.json.status, 'approved');
  assert.equal(done.json.decided_by, ft.adminId);
  const user = ok(await call('GET', `/api/v1/admin/users/${done.json.user_id}`, { session: ft.admin }), 200).json;
  assert.deepEqual(user.roles, ['tenant_admin']);
  assert.equal(user.language, 'fr');
  const s = await login(ft.slug, 'stv-admin', 'service-chosen-1');
  assert.equal(s.data.must_change_password, true, 'the new administrator chooses a password at once');
  err(await call('POST', a, { session: ft.admin, body: { password: 'service-chosen-1' }, headers: { 'if-match': `"${done.json.version}"` } }), 409, 'invalid_state');
  assert.equal(sql(DB_OWNER, `select count(*) from audit_event where tenant_id = ${t} and ((action = 'admin_request_approved' and object_id = '${r.json.id}') or (action = 'user_created' and object_id = '${done.json.user_id}'))`), '2');
});

test('a request can be rejected; another service cannot decide it', async () => {
  const ft = await freshTenant('ar');
  const other = await freshTenant('ar');
  const r = ok(await call('POST', reqPath(ft.slug), { session: canton, body: { username: uniq('x').slice(0, 30), display_name: 'Nope', reason: 'Wunsch' } }), 201).json;
  err(await call('POST', `${R}/${r.id}/reject`, { session: other.admin, body: {}, headers: { 'if-match': `"${r.version}"` } }), 404, 'not_found');
  err(await call('POST', `${R}/${r.id}/approve`, { session: other.admin, body: { password: 'long-enough-pw' }, headers: { 'if-match': `"${r.version}"` } }), 404, 'not_found');
  const x = ok(await call('POST', `${R}/${r.id}/reject`, { session: ft.admin, body: { comment: 'nicht nötig' }, headers: { 'if-match': `"${r.version}"` } }), 200).json;
  assert.equal(x.status, 'rejected');
  assert.equal(x.comment, 'nicht nötig');
  assert.equal(sql(DB_OWNER, `select count(*) from app_user where username = '${r.username}'`), '0');
  const seen = ok(await call('GET', `${reqPath(ft.slug)}?status=rejected`, { session: canton }), 200).json.items;
  assert.deepEqual(seen.map((y) => y.id), [r.id], show({ status: 200, text: JSON.stringify(seen) }));
  err(await call('GET', `${R}?status=maybe`, { session: ft.admin }), 400, 'invalid_parameter');
  // the table is the tenant's: forced row-level security, nothing without the setting
  assert.equal(sql(DB_OWNER, "select relrowsecurity and relforcerowsecurity from pg_class where relname = 'admin_request'"), 't');
  assert.equal(sql(DB_APP, 'select count(*) from admin_request'), '0');
});

test('a service without an administrator gets its first one from the canton directly', async () => {
  const slug = uniq('ar');
  ok(await call('POST', '/api/v1/admin/tenants', { session: canton, body: { slug, name: `Neu ${slug}` } }), 201);
  err(await call('POST', reqPath(slug), { session: canton, body: { username: 'first', display_name: 'First', reason: 'x' } }), 409, 'no_admin');
  const show0 = ok(await call('GET', `/api/v1/admin/tenants/${slug}`, { session: canton }), 200).json;
  assert.equal(show0.has_admin, false);
  ok(await call('POST', `/api/v1/admin/tenants/${slug}/admins`, { session: canton, body: { username: 'first', display_name: 'First', password: 'canton-set-pw1' } }), 201);
  assert.equal(ok(await call('GET', `/api/v1/admin/tenants/${slug}`, { session: canton }), 200).json.has_admin, true);
  const s = await login(slug, 'first', 'canton-set-pw1');
  assert.equal(s.data.must_change_password, true, 'the canton\'s password is changed at the first sign-in');
  err(await call('POST', '/api/v1/admin/tenants/canton/admin-requests', { session: canton, body: { username: 'x2', display_name: 'X', reason: 'x' } }), 400, 'invalid_value');
});
