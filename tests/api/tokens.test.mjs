// API tokens: creation (shown once), use as Bearer, scope, revocation.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, show, as, uniq, sql, DB_OWNER, sha256hex } from './lib.mjs';

let admin;
before(async () => { admin = await as('thun', 'admin'); });
const T = '/api/v1/admin/tokens';

async function mkToken(permissions, days = 30, session = admin) {
  const name = uniq('tok');
  const res = ok(await call('POST', T, { session, body: { name, permissions, days } }), 201);
  return { ...res.json, name };
}

test('create: token shown once as kst_..., with expiry; list never shows it', async () => {
  const t = await mkToken(['directory.read'], 7);
  assert.ok(t.id, 'id');
  assert.match(t.token, /^kst_/);
  assert.ok(t.token.length >= 40, 'token has enough entropy');
  const exp = Date.parse(t.expires_at);
  assert.ok(!Number.isNaN(exp), `expires_at parses: ${t.expires_at}`);
  const days = (exp - Date.now()) / 86400000;
  assert.ok(days > 6.9 && days < 7.1, `expires in ~7 days: ${t.expires_at}`);
  const list = ok(await call('GET', T, { session: admin }), 200);
  assert.ok(Array.isArray(list.json.items));
  assert.ok('next' in list.json);
  const item = list.json.items.find((x) => x.id === t.id);
  assert.ok(item, 'listed');
  assert.equal(item.name, t.name);
  assert.deepEqual(item.permissions, ['directory.read']);
  assert.ok(!list.text.includes(t.token), 'the token is never shown again');
  assert.ok(!list.text.includes(t.token.slice(-32)), 'not even its secret part');
  // only its hash is stored
  const stored = sql(DB_OWNER, `select count(*) from api_token where token_hash = '${sha256hex(t.token)}' or token_hash = '${t.token}'`);
  assert.equal(stored, '1');
  const plain = sql(DB_OWNER, `select count(*) from api_token where token_hash = '${t.token}'`);
  assert.equal(plain, '0', 'the token itself is not stored');
});

test('a token has exactly the permissions given; no CSRF needed', async () => {
  const t = await mkToken(['directory.read']);
  ok(await call('GET', '/api/v1/roles', { token: t.token }), 200);
  ok(await call('GET', '/api/v1/municipalities', { token: t.token }), 200);
  err(await call('GET', '/api/v1/admin/users', { token: t.token }), 403, 'forbidden');
  err(await call('GET', T, { token: t.token }), 403, 'forbidden');
  const me = ok(await call('GET', '/api/v1/me', { token: t.token }), 200);
  assert.deepEqual(me.json.permissions, ['directory.read'], show(me));
  assert.equal(me.json.tenant.id, admin.data.tenant.id);

  const w = await mkToken(['tenant.users', 'directory.read']);
  const username = uniq('viatok');
  const c = ok(await call('POST', '/api/v1/admin/users', { token: w.token, body: { username, display_name: 'Via Token', password: 'long-enough-pw', roles: ['caseworker'] } }), 201);
  assert.equal(c.json.username, username);
  err(await call('POST', T, { token: w.token, body: { name: 'x', permissions: ['directory.read'], days: 1 } }), 403, 'forbidden');
  // a token is no session: sign-out makes no sense
  const lo = await call('DELETE', '/api/v1/session', { token: w.token });
  assert.ok(lo.status === 400 || lo.status === 403, show(lo));
});

test('a token with a cookie-less write still needs the right permission', async () => {
  const t = await mkToken(['directory.read']);
  err(await call('POST', '/api/v1/admin/users', { token: t.token, body: { username: uniq('x'), display_name: 'X', password: 'long-enough-pw' } }), 403, 'forbidden');
});

test('revoked, unknown and malformed tokens are 401 invalid_token', async () => {
  const t = await mkToken(['directory.read']);
  ok(await call('GET', '/api/v1/roles', { token: t.token }), 200);
  const d = await call('DELETE', `${T}/${t.id}`, { session: admin });
  assert.equal(d.status, 204, show(d));
  err(await call('GET', '/api/v1/roles', { token: t.token }), 401, 'invalid_token');
  const list = ok(await call('GET', T, { session: admin }), 200);
  const item = list.json.items.find((x) => x.id === t.id);
  assert.ok(!item || item.revoked === true, 'revoked token shows as revoked or disappears');
  const again = await call('DELETE', `${T}/${t.id}`, { session: admin });
  assert.ok(again.status === 204 || again.status === 404, `revoking twice is idempotent or 404: ${show(again)}`);
  err(await call('GET', '/api/v1/roles', { token: t.token }), 401, 'invalid_token');
  // tampered secret
  const t2 = await mkToken(['directory.read']);
  // change the last character of t2 itself (a character taken from another
  // token matched by chance one time in sixteen)
  const last = t2.token.slice(-1) === 'a' ? 'b' : 'a';
  err(await call('GET', '/api/v1/roles', { token: t2.token.slice(0, -1) + last }), 401, 'invalid_token');
  ok(await call('GET', '/api/v1/roles', { token: t2.token }), 200);
  for (const bad of ['kst_', 'kst_abc', 'nonsense', 'kst_1_' + 'a'.repeat(64), 'kst_' + '9'.repeat(30) + '_x', 'x'.repeat(5000)]) {
    err(await call('GET', '/api/v1/roles', { token: bad }), 401, 'invalid_token');
  }
  err(await call('DELETE', `${T}/999999999`, { session: admin }), 404, 'not_found');
  err(await call('DELETE', `${T}/abc`, { session: admin }), 404);
});

test('an expired token is refused', async () => {
  const t = await mkToken(['directory.read'], 1);
  ok(await call('GET', '/api/v1/roles', { token: t.token }), 200);
  sql(DB_OWNER, `update api_token set expires_at = now() - interval '1 minute' where id = ${Number(t.id)}`);
  err(await call('GET', '/api/v1/roles', { token: t.token }), 401, 'invalid_token');
});

test('token input is validated', async () => {
  const base = { name: 'valid', permissions: ['directory.read'], days: 30 };
  err(await call('POST', T, { session: admin, body: { ...base, days: 0 } }), 400);
  err(await call('POST', T, { session: admin, body: { ...base, days: 366 } }), 400);
  err(await call('POST', T, { session: admin, body: { ...base, days: '30' } }), 400, 'invalid_type');
  err(await call('POST', T, { session: admin, body: { ...base, permissions: 'directory.read' } }), 400, 'invalid_type');
  err(await call('POST', T, { session: admin, body: { ...base, permissions: [] } }), 400, 'invalid_value');
  err(await call('POST', T, { session: admin, body: { ...base, permissions: ['no.such.permission'] } }), 400, 'invalid_value');
  err(await call('POST', T, { session: admin, body: { ...base, permissions: ['directory.read', 'x"}{y'] } }), 400, 'invalid_value');
  const m = err(await call('POST', T, { session: admin, body: { name: 'x', permissions: ['directory.read'] } }), 400, 'missing_field');
  assert.equal(m.detail?.field, 'days');
  const u = err(await call('POST', T, { session: admin, body: { ...base, owner: 1 } }), 400, 'unknown_field');
  assert.equal(u.detail?.field, 'owner');
  err(await call('POST', T, { session: admin, body: { ...base, name: '' } }), 400, 'invalid_length');
  err(await call('POST', T, { session: admin, body: { ...base, name: 'n'.repeat(201) } }), 400, 'invalid_length');
});

test('a tenant admin cannot mint a token with canton permissions', async () => {
  for (const p of ['canton.tenants', 'canton.municipalities']) {
    const res = await call('POST', T, { session: admin, body: { name: 'escalate', permissions: [p], days: 1 } });
    assert.ok(res.status === 403 || res.status === 400, `refused: ${show(res)}`);
    assert.ok(!res.json?.token, 'no token handed out');
  }
});
