// Table-driven: for each demo role, the routes it may and may not use.
// Writes are probed with an empty JSON object: permission is checked
// before the body, so an allowed caller gets 400 (validation), a refused
// one 403 forbidden - and nothing is changed either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, err, show, as } from './lib.mjs';

const Y = 'allow';
const N = 'deny';

// [method, path, who may]: who is a set of role keys.
const ROUTES = [
  ['GET', '/api/v1/me', 'all'],
  ['GET', '/api/v1/roles', 'all'],
  ['GET', '/api/v1/municipalities', 'all'],
  ['GET', '/api/v1/admin/users', ['admin']],
  ['POST', '/api/v1/admin/users', ['admin']],
  ['GET', '/api/v1/admin/tokens', ['admin']],
  ['POST', '/api/v1/admin/tokens', ['admin']],
  ['GET', '/api/v1/audit', ['auditor']],
  ['GET', '/api/v1/audit/verify', ['auditor']],
  ['GET', '/api/v1/admin/tenants', ['canton-admin', 'canton-reviewer']],
  ['POST', '/api/v1/admin/tenants', ['canton-admin', 'canton-reviewer']],
  ['GET', '/api/v1/admin/tenants/thun', ['canton-admin', 'canton-reviewer']],
  ['GET', '/api/v1/admin/municipalities', ['canton-admin', 'canton-reviewer']],
  ['POST', '/api/v1/admin/municipalities', ['canton-admin', 'canton-reviewer']],
  ['POST', '/api/v1/admin/tenants/thun/admins', ['canton-admin', 'canton-reviewer']],
];

const USERS = [
  ['thun', 'caseworker'], ['thun', 'teamlead'], ['thun', 'accounting'],
  ['thun', 'reception'], ['thun', 'legal'], ['thun', 'auditor'], ['thun', 'admin'],
  ['biel', 'admin'], ['oberes-emmental', 'auditor'],
  ['canton', 'canton-admin'], ['canton', 'canton-reviewer'],
];

function expected(who, username) {
  if (who === 'all') return Y;
  return who.includes(username) ? Y : N;
}

for (const [tenant, username] of USERS) {
  test(`role matrix: ${tenant}/${username}`, async () => {
    const s = await as(tenant, username);
    const failures = [];
    for (const [method, path, who] of ROUTES) {
      const want = expected(who, username);
      const res = await call(method, path, method === 'GET' ? { session: s } : { session: s, body: {} });
      let good;
      if (want === Y) good = method === 'GET' ? res.status === 200 : (res.status === 400 && res.json?.error?.code === 'missing_field');
      else good = res.status === 403 && res.json?.error?.code === 'forbidden';
      if (!good) failures.push(`${want} expected: ${show(res)}`);
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  });
}

test('a canton admin cannot read tenant users or audit logs', async () => {
  const s = await as('canton', 'canton-admin');
  const e = err(await call('GET', '/api/v1/admin/users', { session: s }), 403, 'forbidden');
  assert.equal(e.detail?.permission, 'tenant.users');
  err(await call('GET', '/api/v1/admin/users/1', { session: s }), 403, 'forbidden');
  err(await call('GET', '/api/v1/audit', { session: s }), 403, 'forbidden');
});

test('GET /api/v1/roles lists the roles with their permissions', async () => {
  const s = await as('thun', 'caseworker');
  const res = await call('GET', '/api/v1/roles', { session: s });
  assert.equal(res.status, 200, show(res));
  const list = Array.isArray(res.json) ? res.json : res.json.items;
  assert.ok(Array.isArray(list), show(res));
  const byCode = new Map(list.map((r) => [r.code, r]));
  for (const code of ['caseworker', 'teamlead', 'accounting', 'reception', 'legal', 'auditor', 'tenant_admin']) {
    assert.ok(byCode.has(code), `role ${code} listed: ${show(res)}`);
  }
  assert.ok(byCode.get('tenant_admin').permissions.includes('tenant.users'), show(res));
  assert.ok(byCode.get('auditor').permissions.includes('audit.read'), show(res));
  assert.ok(!byCode.get('caseworker').permissions.includes('tenant.users'), show(res));
});

test('the permissions in the session match the roles', async () => {
  const a = await as('thun', 'admin');
  assert.ok(a.data.roles.includes('tenant_admin'));
  for (const p of ['tenant.users', 'tenant.tokens', 'directory.read']) assert.ok(a.data.permissions.includes(p), p);
  assert.ok(!a.data.permissions.includes('canton.tenants'));
  assert.ok(!a.data.permissions.includes('audit.read'));
  const c = await as('canton', 'canton-admin');
  assert.ok(c.data.roles.includes('canton_admin'));
  assert.ok(c.data.permissions.includes('canton.tenants'));
  assert.ok(!c.data.permissions.includes('tenant.users'));
});
