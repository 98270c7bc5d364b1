// Tenant isolation: row-level security in PostgreSQL for the app role,
// and 404 through the API for other tenants' records.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, show, as, createUser, sql, sqlError, DB_APP, DB_OWNER, tenantId, uniq } from './lib.mjs';

const TABLES = ['app_user', 'user_role', 'api_token', 'tenant_municipality', 'audit_event', 'audit_head'];
let thun;
let biel;
let thunId;
let bielId;
let bielUser;
let bielToken;
let thunToken;

before(async () => {
  thun = await as('thun', 'admin');
  biel = await as('biel', 'admin');
  thunId = tenantId('thun');
  bielId = tenantId('biel');
  assert.ok(thunId && bielId && thunId !== bielId);
  bielUser = await createUser(biel, ['caseworker']);
  bielToken = ok(await call('POST', '/api/v1/admin/tokens', { session: biel, body: { name: uniq('iso'), permissions: ['directory.read'], days: 1 } }), 201).json;
  thunToken = ok(await call('POST', '/api/v1/admin/tokens', { session: thun, body: { name: uniq('iso'), permissions: ['directory.read'], days: 1 } }), 201).json;
});

function appCount(table, tenant) {
  const stmts = [];
  if (tenant !== undefined) stmts.push(`select set_config('kasus.tenant_id', '${tenant}', false)`);
  stmts.push(`select count(*) || '/' || count(*) filter (where tenant_id <> ${tenant ?? 0}) from ${table}`);
  const out = sql(DB_APP, stmts).split('\n');
  const [all, foreign] = out[out.length - 1].split('/').map(Number);
  return { all, foreign };
}

for (const table of TABLES) {
  test(`RLS on ${table}: nothing without the tenant setting, only own rows with it`, () => {
    assert.equal(appCount(table).all, 0, `${table} without kasus.tenant_id`);
    for (const [slug, id] of [['thun', thunId], ['biel', bielId]]) {
      const c = appCount(table, id);
      const expected = Number(sql(DB_OWNER, `select count(*) from ${table} where tenant_id = ${id}`));
      assert.ok(expected > 0, `${slug} has ${table} rows to see (test setup)`);
      assert.equal(c.foreign, 0, `${table}: no other tenant's rows for ${slug}`);
      assert.equal(c.all, expected, `${table}: all of ${slug}'s rows`);
    }
    assert.equal(appCount(table, 999999999).all, 0, 'unknown tenant sees nothing');
  });
}

test('the app role cannot write another tenant\'s rows or bypass RLS', () => {
  const set = `select set_config('kasus.tenant_id', '${thunId}', false)`;
  // an insert for biel while acting as thun violates the policy
  const e = sqlError(DB_APP, [set, `insert into api_token (tenant_id, name, token_hash, permissions, created_by, expires_at) values (${bielId}, 'x', 'iso-${Date.now()}', '{directory.read}', 1, now())`]);
  assert.match(e, /row-level security|permission denied/i, e);
  // an update of biel's users from thun touches nothing
  const out = sql(DB_APP, [set, `with u as (update app_user set display_name = 'hacked' where tenant_id = ${bielId} returning 1) select count(*) from u`]).split('\n');
  assert.equal(out[out.length - 1], '0');
  const off = sqlError(DB_APP, ['set row_security = off', 'select count(*) from app_user']);
  assert.match(off, /row-level security|policy/i, off);
  const isSuper = sql(DB_APP, "select rolsuper::text || rolbypassrls::text from pg_roles where rolname = current_user");
  assert.equal(isSuper, 'falsefalse', 'kasus_app is neither superuser nor BYPASSRLS');
});

test('thun admin gets 404 for every route on a biel user', async () => {
  const id = bielUser.id;
  const P = `/api/v1/admin/users/${id}`;
  err(await call('GET', P, { session: thun }), 404, 'not_found');
  err(await call('PATCH', P, { session: thun, body: { display_name: 'hacked' }, headers: { 'if-match': '"1"' } }), 404, 'not_found');
  err(await call('PATCH', P, { session: thun, body: { display_name: 'hacked' }, headers: { 'if-match': '*' } }), 404, 'not_found');
  err(await call('PUT', `${P}/roles`, { session: thun, body: { roles: ['tenant_admin'] }, headers: { 'if-match': '*' } }), 404, 'not_found');
  err(await call('POST', `${P}/password`, { session: thun, body: { password: 'taken-over-pw' } }), 404, 'not_found');
  err(await call('DELETE', `${P}/sessions`, { session: thun }), 404, 'not_found');
  const list = ok(await call('GET', '/api/v1/admin/users?limit=500', { session: thun }), 200);
  assert.ok(!list.json.items.some((u) => u.id === id), 'not in thun\'s list');
  // biel's user is untouched and can still sign in with the old password
  const g = ok(await call('GET', P, { session: biel }), 200);
  assert.equal(g.json.display_name, `User ${bielUser.username}`);
  assert.deepEqual(g.json.roles, ['caseworker']);
  ok(await call('POST', '/api/v1/session', { body: { tenant: 'biel', username: bielUser.username, password: bielUser.password } }), 201);
});

test('thun admin cannot see or revoke biel tokens; tokens stay in their tenant', async () => {
  err(await call('DELETE', `/api/v1/admin/tokens/${bielToken.id}`, { session: thun }), 404, 'not_found');
  const list = ok(await call('GET', '/api/v1/admin/tokens', { session: thun }), 200);
  assert.ok(!list.json.items.some((t) => t.id === bielToken.id));
  ok(await call('GET', '/api/v1/roles', { token: bielToken.token }), 200);
  const me = ok(await call('GET', '/api/v1/me', { token: bielToken.token }), 200);
  assert.equal(me.json.tenant.id, Number(bielId));
  // a biel token relabelled with thun's id prefix does not work
  const forged = bielToken.token.replace(/^kst_\d+_/, `kst_${thunId}_`);
  if (forged !== bielToken.token) err(await call('GET', '/api/v1/roles', { token: forged }), 401, 'invalid_token');
  ok(await call('GET', '/api/v1/roles', { token: thunToken.token }), 200);
});

test('municipalities and users lists are per tenant', async () => {
  const tm = ok(await call('GET', '/api/v1/municipalities', { session: thun }), 200);
  const bm = ok(await call('GET', '/api/v1/municipalities', { session: biel }), 200);
  const a = (Array.isArray(tm.json) ? tm.json : tm.json.items).map((m) => m.bfs);
  const b = (Array.isArray(bm.json) ? bm.json : bm.json.items).map((m) => m.bfs);
  assert.ok(a.length > 0 && b.length > 0, `${show(tm)} ${show(bm)}`);
  assert.ok(!a.some((x) => b.includes(x)), 'no municipality in both');
  const tu = ok(await call('GET', '/api/v1/admin/users?limit=500', { session: thun }), 200).json.items.map((u) => u.id);
  const bu = ok(await call('GET', '/api/v1/admin/users?limit=500', { session: biel }), 200).json.items.map((u) => u.id);
  assert.ok(!tu.some((x) => bu.includes(x)), 'no user in both');
});

test('a session cannot be moved to another tenant by headers or query', async () => {
  const r1 = ok(await call('GET', '/api/v1/admin/users?tenant=biel&limit=500', { session: thun, headers: { 'x-tenant': 'biel', 'x-kasus-tenant': String(bielId) } }), 200);
  assert.ok(!r1.json.items.some((u) => u.id === bielUser.id));
});
