// The workers' session cache (core/access/session_cache.c): a session read from
// Redis is kept for a second, and every way a session ends or changes
// reaches every worker at once. The test server runs several workers;
// each read here goes over a new connection, so a dozen of them reach
// every worker (and warm each one's cache) before the change, and the
// dozen after it must all see the change: no pause, no retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  BASE, call, ok, as, login, createUser, freshTenant, redis, sessionKey, services, until,
} from './lib.mjs';

const U = '/api/v1/admin/users';
const T = '/api/v1/admin/tokens';
const N = 12;

/** One GET on a connection of its own; resolves to {status, code}. */
function fresh(path, auth) {
  const url = new URL(BASE + path);
  const headers = { connection: 'close' };
  if (auth.cookie) headers.cookie = `ks_session=${auth.cookie}`;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        let code;
        try { code = JSON.parse(body).error?.code; } catch { code = undefined; }
        resolve({ status: res.statusCode, code });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** N reads over new connections; every one must answer `status`. */
async function everywhere(path, auth, status, code, what) {
  const got = [];
  for (let i = 0; i < N; i++) got.push(await fresh(path, auth));
  for (const r of got) {
    assert.equal(r.status, status, `${what}: ${JSON.stringify(got)}`);
    if (code) assert.equal(r.code, code, `${what}: ${JSON.stringify(got)}`);
  }
}

/*
 * A change made behind the server's back. Redis writes a command's reply
 * before the notifications it caused (both in one pass of its event loop),
 * so the next command, on any connection, is what waits for that pass:
 * after it, every worker's subscription holds the notification. kasusd
 * does the same after its own changes (ks_redis_barrier).
 */
function behindTheBack(...args) {
  redis(...args);
  redis('PING');
}

async function etag(session, path) {
  return ok(await call('GET', path, { session }), 200).headers.get('etag');
}

test('a session read once is served from the cache: Redis sees no request (its idle TTL is not renewed)', async () => {
  const s = await login('thun', 'reception');
  const key = sessionKey(s);
  // EXPIRE is no change the cache hears of; a request that asked Redis
  // would renew the TTL to session_idle. Which worker accepts a new
  // connection is the kernel's choice: a dozen connections may all reach
  // the same one, and the other then reads (and renews) once. So try
  // three rounds; a cache that does not answer fails every one.
  let ttl;
  for (let round = 0; round < 3; round++) {
    await everywhere('/api/v1/me', s, 200, null, 'warm');
    redis('EXPIRE', key, 100);
    await everywhere('/api/v1/me', s, 200, null, 'cached');
    ttl = Number(redis('TTL', key));
    if (ttl <= 100) break;
  }
  assert.ok(ttl <= 100, `every worker answered from its cache (TTL ${ttl})`);
  // after the cache's time (KASUS_SESSION_CACHE_MS in tests/run.sh) the
  // session is read (and renewed) again
  assert.ok(await until(async () => (await fresh('/api/v1/me', s)).status === 200 && Number(redis('TTL', key)) > 100, 10000, 300),
    'read from Redis again after the cache\'s time');
});

test('logout, a session deleted or expired behind the server\'s back: refused on every worker at once', async () => {
  const s = await login('thun', 'legal');
  await everywhere('/api/v1/me', s, 200, null, 'warm');
  ok(await call('DELETE', '/api/v1/session', { session: s }), 204);
  await everywhere('/api/v1/me', s, 401, 'session_expired', 'after logout');

  const b = await login('thun', 'legal');
  await everywhere('/api/v1/me', b, 200, null, 'warm');
  behindTheBack('DEL', sessionKey(b));
  await everywhere('/api/v1/me', b, 401, 'session_expired', 'deleted in Redis');

  const c = await login('thun', 'legal');
  await everywhere('/api/v1/me', c, 200, null, 'warm');
  behindTheBack('HSET', sessionKey(c), 'abs', 1);
  await everywhere('/api/v1/me', c, 401, 'session_expired', 'absolute expiry set in Redis');
});

test('user switched off, roles changed, password changed: at once on every worker', async () => {
  const admin = await as('thun', 'admin');
  const u = await createUser(admin, ['tenant_admin', 'caseworker']);
  const s = await login('thun', u.username, u.password);
  const p = `${U}/${u.id}`;
  await everywhere(U, s, 200, null, 'warm');
  ok(await call('PUT', `${p}/roles`, { session: admin, body: { roles: ['caseworker'] }, headers: { 'if-match': await etag(admin, p) } }), 200);
  await everywhere(U, s, 403, 'forbidden', 'after the role change');
  await everywhere('/api/v1/me', s, 200, null, 'the session goes on, narrowed');
  ok(await call('PATCH', p, { session: admin, body: { active: false }, headers: { 'if-match': await etag(admin, p) } }), 200);
  await everywhere('/api/v1/me', s, 401, 'session_expired', 'after switching the user off');
  ok(await call('PATCH', p, { session: admin, body: { active: true }, headers: { 'if-match': await etag(admin, p) } }), 200);

  const s1 = await login('thun', u.username, u.password);
  const s2 = await login('thun', u.username, u.password);
  await everywhere('/api/v1/me', s2, 200, null, 'warm');
  const np = 'Another-Secret-2026';
  ok(await call('POST', '/api/v1/me/password', { session: s1, body: { current_password: u.password, new_password: np } }), 204);
  await everywhere('/api/v1/me', s2, 401, 'session_expired', 'the other session after a password change');
  await everywhere('/api/v1/me', s1, 200, null, 'the session that changed it');
});

test('tenant switched off and token revoked: at once on every worker', async () => {
  const ft = await freshTenant('sc');
  const tok = ok(await call('POST', T, { session: ft.admin, body: { name: 'sc', permissions: ['tenant.users'], days: 1 } }), 201).json;
  await everywhere(U, { token: tok.token }, 200, null, 'token warm');
  ok(await call('DELETE', `${T}/${tok.id}`, { session: ft.admin }), 204);
  await everywhere(U, { token: tok.token }, 401, 'invalid_token', 'revoked token');

  const canton = await as('canton', 'canton-admin');
  await everywhere('/api/v1/me', ft.admin, 200, null, 'warm');
  const tp = `/api/v1/admin/tenants/${ft.slug}`;
  ok(await call('PATCH', tp, { session: canton, body: { active: false }, headers: { 'if-match': await etag(canton, tp) } }), 200);
  await everywhere('/api/v1/me', ft.admin, 401, 'session_expired', 'after switching the tenant off');
});

test('Redis restarted: nothing cached is served while the subscription is down; the cache comes back', async () => {
  const s = await login('thun', 'reception');
  const key = sessionKey(s);
  await everywhere('/api/v1/me', s, 200, null, 'warm');
  services('stop-redis');
  try {
    // the cached sessions are not used without their invalidations
    await everywhere('/api/v1/me', s, 503, 'session_store_unavailable', 'Redis down');
  } finally {
    services('start-redis');
  }
  // the append-only file kept the session; the workers subscribe again
  assert.ok(await until(async () => (await fresh('/api/v1/me', s)).status === 200, 10000, 200), 'sessions work again');
  assert.ok(await until(async () => {
    await everywhere('/api/v1/me', s, 200, null, 'warm again');
    redis('EXPIRE', key, 100);
    await everywhere('/api/v1/me', s, 200, null, 'cached again');
    return Number(redis('TTL', key)) <= 100;
  }, 15000, 500), 'every worker caches again after subscribing again');
  behindTheBack('DEL', key);
  await everywhere('/api/v1/me', s, 401, 'session_expired', 'deleted after the restart');
});
