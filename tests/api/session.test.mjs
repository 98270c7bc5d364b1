// Sign-in, sign-out, /me, expiry, rotation, lockout, CSRF.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  BASE, call, ok, err, show, login, loginRaw, as, cookieFrom, sessionKey, redis,
  clearThrottle, createUser, PW, throttleKey,
} from './lib.mjs';

const touched = [];
after(() => {
  for (const [t, u] of touched) clearThrottle(t, u);
  clearThrottle();
});

test('login returns csrf token, user, tenant, roles, permissions and a strict HttpOnly cookie', async () => {
  const res = await loginRaw('thun', 'caseworker');
  assert.equal(res.status, 201, show(res));
  const c = cookieFrom(res);
  assert.ok(c, 'Set-Cookie ks_session');
  assert.ok(c.value.length >= 32, 'cookie value has enough entropy');
  assert.match(c.header, /HttpOnly/i);
  assert.match(c.header, /SameSite=Strict/i);
  const b = res.json;
  assert.equal(typeof b.csrf_token, 'string');
  assert.ok(b.csrf_token.length >= 32);
  assert.notEqual(b.csrf_token, c.value, 'csrf token is not the cookie');
  assert.equal(b.user.username, 'caseworker');
  assert.ok(b.user.id);
  assert.equal(typeof b.user.display_name, 'string');
  assert.equal(b.user.language, 'de');
  assert.equal(b.tenant.slug, 'thun');
  assert.ok(b.tenant.id);
  assert.equal(typeof b.tenant.name, 'string');
  assert.ok(b.roles.includes('caseworker'), JSON.stringify(b.roles));
  assert.ok(b.permissions.includes('directory.read'), JSON.stringify(b.permissions));
  assert.ok(!b.permissions.includes('tenant.users'), 'caseworker is no user admin');
  assert.ok(!res.text.includes(c.value), 'cookie value is not echoed in the body');
});

test('biel users have French as their language', async () => {
  const s = await login('biel', 'caseworker');
  assert.equal(s.data.user.language, 'fr');
  const me = ok(await call('GET', '/api/v1/me', { session: s }), 200);
  assert.equal(me.json.user.language, 'fr');
  assert.equal(me.json.tenant.slug, 'biel');
});

test('GET /api/v1/me describes the session', async () => {
  const s = await as('thun', 'teamlead');
  const res = ok(await call('GET', '/api/v1/me', { session: s }), 200);
  assert.equal(res.json.user.username, 'teamlead');
  assert.equal(res.json.user.id, s.data.user.id);
  assert.equal(res.json.tenant.slug, 'thun');
  assert.equal(res.json.tenant.id, s.data.tenant.id);
  assert.ok(res.json.roles.includes('teamlead'));
  assert.ok(Array.isArray(res.json.permissions));
  assert.ok(Array.isArray(res.json.modules), show(res));
});

test('wrong password and unknown user are both 401 invalid_credentials, alike', async () => {
  touched.push(['thun', 'caseworker'], ['thun', 'no-such-user-x'], ['no-such-tenant', 'caseworker'], ['biel', 'canton-admin']);
  const a = err(await loginRaw('thun', 'caseworker', 'wrong-password'), 401, 'invalid_credentials');
  const b = err(await loginRaw('thun', 'no-such-user-x', 'wrong-password'), 401, 'invalid_credentials');
  assert.equal(a.message, b.message, 'no user enumeration through the message');
  // a user of another tenant cannot sign in to this one with its password
  err(await loginRaw('biel', 'canton-admin', PW), 401, 'invalid_credentials');
  clearThrottle('thun', 'caseworker');
});

test('unknown tenant is 401 invalid_credentials too (no tenant enumeration)', async () => {
  const known = err(await loginRaw('thun', 'no-such-user-x', 'wrong-password'), 401, 'invalid_credentials');
  const unknown = err(await loginRaw('no-such-tenant', 'caseworker', PW), 401, 'invalid_credentials');
  assert.equal(unknown.message, known.message);
});

test('failed and bad login requests set no cookie', async () => {
  touched.push(['thun', 'admin']);
  const res = await loginRaw('thun', 'admin', 'nope-nope-nope');
  err(res, 401, 'invalid_credentials');
  assert.equal(cookieFrom(res), null);
  clearThrottle('thun', 'admin');
});

test('login body is validated', async () => {
  err(await call('POST', '/api/v1/session', { raw: '{"tenant":', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  const e1 = err(await call('POST', '/api/v1/session', { body: { tenant: 'thun', username: 'caseworker' } }), 400, 'missing_field');
  assert.equal(e1.detail?.field, 'password');
  const e2 = err(await call('POST', '/api/v1/session', { body: { tenant: 'thun', username: 'caseworker', password: PW, remember: true } }), 400, 'unknown_field');
  assert.equal(e2.detail?.field, 'remember');
  err(await call('POST', '/api/v1/session', { body: { tenant: 'thun', username: 42, password: PW } }), 400, 'invalid_type');
  err(await call('POST', '/api/v1/session', { body: { tenant: 'Thun City', username: 'caseworker', password: PW } }), 400, 'invalid_value');
  err(await call('POST', '/api/v1/session', { body: { tenant: 'thun', username: 'caseworker', password: 'x'.repeat(2000) } }), 400, 'invalid_length');
  err(await call('POST', '/api/v1/session', { raw: 'tenant=thun', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
  err(await call('POST', '/api/v1/session', { raw: '[1,2]', headers: { 'content-type': 'application/json' } }), 400);
});

test('no cookie is 401 unauthenticated; an unknown cookie is 401', async () => {
  err(await call('GET', '/api/v1/me'), 401, 'unauthenticated');
  const bogus = { cookie: 'a'.repeat(64), csrf: 'x' };
  err(await call('GET', '/api/v1/me', { session: bogus }), 401, ['session_expired', 'unauthenticated']);
  err(await call('GET', '/api/v1/me', { session: { cookie: 'short', csrf: 'x' } }), 401, ['session_expired', 'unauthenticated']);
});

test('session lives in Redis under the sha256 of the cookie with idle TTL and abs', async () => {
  const s = await login('thun', 'reception');
  const key = sessionKey(s);
  assert.equal(redis('EXISTS', key), '1', `${key} exists`);
  assert.equal(redis('EXISTS', `ks:s:${s.cookie}`), '0', 'raw cookie value is not the key');
  const ttl = Number(redis('TTL', key));
  assert.ok(ttl > 0 && ttl <= 24 * 3600, `idle TTL set: ${ttl}`);
  const abs = Number(redis('HGET', key, 'abs'));
  const now = Date.now() / 1000;
  assert.ok(abs > now, `abs ${abs} in the future`);
  assert.ok(abs < now + 7 * 24 * 3600, `abs ${abs} bounded`);
  // every request renews the idle timeout
  redis('EXPIRE', key, 100);
  ok(await call('GET', '/api/v1/me', { session: s }), 200);
  assert.ok(Number(redis('TTL', key)) > 100, 'TTL renewed by a request');
});

test('idle expiry (key TTL) ends the session: 401 session_expired', async () => {
  const s = await login('thun', 'reception');
  ok(await call('GET', '/api/v1/me', { session: s }), 200);
  redis('EXPIRE', sessionKey(s), 1);
  await new Promise((r) => setTimeout(r, 1600));
  // Redis may report the expiry a moment late: a worker's cache serves
  // the session at most its time (session_cache_ms) longer.
  let last;
  const until = Date.now() + 1600 + Number(process.env.KASUS_SESSION_CACHE_MS || 1000);
  do {
    last = await call('GET', '/api/v1/me', { session: s });
    if (last.status === 401) break;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < until);
  err(last, 401, 'session_expired');
  err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
});

test('absolute expiry (abs field) ends the session even when active', async () => {
  const s = await login('thun', 'reception');
  ok(await call('GET', '/api/v1/me', { session: s }), 200);
  redis('HSET', sessionKey(s), 'abs', 1);
  err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
  err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
});

test('logout: needs CSRF, returns 204, ends the session', async () => {
  const s = await login('thun', 'legal');
  err(await call('DELETE', '/api/v1/session', { session: s, csrf: false }), 403, 'csrf_failed');
  ok(await call('GET', '/api/v1/me', { session: s }), 200);
  const res = await call('DELETE', '/api/v1/session', { session: s });
  assert.equal(res.status, 204, show(res));
  assert.equal(res.text, '', '204 has no body');
  assert.equal(redis('EXISTS', sessionKey(s)), '0', 'session removed from Redis');
  err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
  err(await call('DELETE', '/api/v1/session'), 401, 'unauthenticated');
});

test('logging in again rotates the session: new cookie, old one is gone', async () => {
  const s1 = await login('thun', 'accounting');
  const res = await loginRaw('thun', 'accounting', PW, { session: s1, csrf: false });
  assert.equal(res.status, 201, show(res));
  const c2 = cookieFrom(res);
  assert.ok(c2 && c2.value);
  assert.notEqual(c2.value, s1.cookie, 'cookie value changes');
  assert.notEqual(res.json.csrf_token, s1.csrf, 'csrf token changes');
  assert.equal(redis('EXISTS', sessionKey(s1)), '0', 'old session deleted from Redis');
  err(await call('GET', '/api/v1/me', { session: s1 }), 401, 'session_expired');
  ok(await call('GET', '/api/v1/me', { session: { cookie: c2.value, csrf: res.json.csrf_token } }), 200);
});

test('two logins of one user are independent sessions', async () => {
  const a = await login('thun', 'auditor');
  const b = await login('thun', 'auditor');
  assert.notEqual(a.cookie, b.cookie);
  ok(await call('DELETE', '/api/v1/session', { session: a }), 204);
  ok(await call('GET', '/api/v1/me', { session: b }), 200);
});

test('5 failures lock the account: 429 login_locked even with the right password', async () => {
  const admin = await as('thun', 'admin');
  const u = await createUser(admin, ['caseworker']);
  touched.push(['thun', u.username]);
  clearThrottle('thun', u.username);
  for (let i = 0; i < 5; i++) {
    err(await loginRaw('thun', u.username, 'wrong-password-' + i), 401, 'invalid_credentials');
  }
  const e = err(await loginRaw('thun', u.username, u.password), 429, 'login_locked');
  assert.ok(Number.isInteger(e.detail?.retry_after_seconds), `retry_after_seconds: ${JSON.stringify(e)}`);
  assert.ok(e.detail.retry_after_seconds > 0 && e.detail.retry_after_seconds <= 3600, JSON.stringify(e));
  assert.ok(Number(redis('GET', throttleKey('thun', u.username))) >= 5, 'throttle key counts failures');
  // another user of the same tenant is not affected
  ok(await loginRaw('thun', 'caseworker'), 201);
  clearThrottle('thun', u.username);
  ok(await loginRaw('thun', u.username, u.password), 201);
});

test('a successful login resets the failure count', async () => {
  const admin = await as('thun', 'admin');
  const u = await createUser(admin, ['reception']);
  touched.push(['thun', u.username]);
  for (let i = 0; i < 4; i++) err(await loginRaw('thun', u.username, 'bad-' + i), 401, 'invalid_credentials');
  ok(await loginRaw('thun', u.username, u.password), 201);
  for (let i = 0; i < 4; i++) err(await loginRaw('thun', u.username, 'bad2-' + i), 401, 'invalid_credentials');
  ok(await loginRaw('thun', u.username, u.password), 201);
  clearThrottle('thun', u.username);
});

test('CSRF: cookie writes need the session\'s X-CSRF-Token', async () => {
  const admin = await login('thun', 'admin');
  const other = await login('thun', 'admin');
  const body = { name: 'csrf probe', permissions: ['directory.read'], days: 1 };
  err(await call('POST', '/api/v1/admin/tokens', { session: admin, body, csrf: false }), 403, 'csrf_failed');
  err(await call('POST', '/api/v1/admin/tokens', { session: admin, body, headers: { 'x-csrf-token': 'wrong' } }), 403, 'csrf_failed');
  err(await call('POST', '/api/v1/admin/tokens', { session: admin, body, headers: { 'x-csrf-token': '' } }), 403, 'csrf_failed');
  err(await call('POST', '/api/v1/admin/tokens', { session: admin, body, headers: { 'x-csrf-token': other.csrf } }), 403, 'csrf_failed');
  // the same checks on PATCH, PUT and DELETE
  const uid = admin.data.user.id;
  err(await call('PATCH', `/api/v1/admin/users/${uid}`, { session: admin, body: { display_name: 'x' }, csrf: false, headers: { 'if-match': '"1"' } }), 403, 'csrf_failed');
  err(await call('PUT', `/api/v1/admin/users/${uid}/roles`, { session: admin, body: { roles: ['tenant_admin'] }, csrf: false, headers: { 'if-match': '"1"' } }), 403, 'csrf_failed');
  err(await call('DELETE', `/api/v1/admin/users/${uid}/sessions`, { session: admin, csrf: false }), 403, 'csrf_failed');
  ok(await call('GET', '/api/v1/me', { session: admin }), 200); // sessions survived
  const good = ok(await call('POST', '/api/v1/admin/tokens', { session: admin, body }), 201);
  ok(await call('DELETE', `/api/v1/admin/tokens/${good.json.id}`, { session: admin }), 204);
  // reads need no CSRF token
  ok(await call('GET', '/api/v1/admin/users', { session: admin }), 200);
});

// A connection remembers the hash of its last session cookie (struct
// ks_conn_memo). Over one kept-alive connection, sessions of two users,
// a cookie of the right shape that is no session, and a session ended
// in between are each answered for themselves, request after request.
test('one connection carrying several sessions answers each for itself', async () => {
  const a = await login('thun', 'caseworker');
  const b = await login('biel', 'caseworker');
  const gone = await login('thun', 'teamlead');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(BASE + '/api/v1/me');
  const sockets = new Set();
  const me = (cookie) => new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, agent,
      headers: { cookie: `ks_session=${cookie}` } }, (res) => {
      sockets.add(res.socket);
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
  ok(await call('DELETE', '/api/v1/session', { session: gone }), 204);
  const bogus = 'f'.repeat(64);
  try {
    for (let round = 0; round < 3; round++) {
      for (const [s, slug] of [[a, 'thun'], [b, 'biel'], [a, 'thun']]) {
        const r = await me(s.cookie);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.equal(r.json.user.id, s.data.user.id);
        assert.equal(r.json.tenant.slug, slug);
      }
      for (const c of [bogus, gone.cookie]) {
        const r = await me(c);
        assert.equal(r.status, 401, JSON.stringify(r.json));
      }
    }
    assert.equal(sockets.size, 1, 'all requests went over one connection');
  } finally {
    agent.destroy();
  }
});
