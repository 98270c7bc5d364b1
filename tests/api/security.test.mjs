// Findings of the security review at the HTTP and sign-in level: login
// throttling counted before the password check and atomically, the client
// address from X-Forwarded-For only behind a trusted proxy, 401 before an
// unauthenticated body is read, no request with two framings, If-Match
// "*" no longer a wildcard, control bytes in an asset path, and no typed
// username (perhaps a password) in the audit log.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {
  BASE, call, ok, err, show, as, createUser, loginRaw, redis, rawHead, sql, DB_OWNER,
  throttleKey, tenantId, clearThrottle,
} from './lib.mjs';

let admin;
before(async () => { admin = await as('thun', 'admin'); });

/** POST a sign-in from a local source address with extra headers. */
function signIn(body, { from = '127.0.0.1', headers = {} } = {}) {
  const u = new URL(BASE);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: '/api/v1/session', method: 'POST', localAddress: from,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Everything a raw request gets back until the server closes (or 3 s). */
function rawExchange(text) {
  const u = new URL(BASE);
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    let buf = '';
    let closed = false;
    const done = () => { clearTimeout(timer); sock.destroy(); resolve({ text: buf, closed }); };
    const timer = setTimeout(done, 3000);
    sock.on('connect', () => sock.write(text));
    sock.on('data', (d) => { buf += d.toString('latin1'); });
    sock.on('end', () => { closed = true; done(); });
    sock.on('error', () => { closed = true; done(); });
  });
}

test('parallel wrong passwords: exactly the limit reaches the password check', async () => {
  const u = await createUser(admin, ['caseworker']);
  clearThrottle('thun', u.username);
  const all = await Promise.all(Array.from({ length: 12 }, (_, i) => loginRaw('thun', u.username, `wrong-${i}`)));
  const checked = all.filter((r) => r.status === 401 && r.json?.error?.code === 'invalid_credentials').length;
  const locked = all.filter((r) => r.status === 429 && r.json?.error?.code === 'login_locked').length;
  assert.equal(checked, 5, `5 attempts checked: ${all.map((r) => r.status).join(' ')}`);
  assert.equal(locked, 7, 'the rest refused before the check');
  assert.equal(redis('GET', throttleKey('thun', u.username)), '5');
  // the right password waits for the window too
  err(await loginRaw('thun', u.username, u.password), 429, 'login_locked');
  clearThrottle('thun', u.username);
  ok(await loginRaw('thun', u.username, u.password), 201);
  assert.equal(redis('EXISTS', throttleKey('thun', u.username)), '0', 'a good sign-in starts the count afresh');
});

test('the client address comes from X-Forwarded-For only when the peer is a trusted proxy', async () => {
  const bad = { tenant: 'thun', username: 'no-such-user-xff', password: 'wrong-password' };
  for (const k of ['203.0.113.7', '203.0.113.8', '198.51.100.9', '127.0.0.2']) redis('DEL', `ks:thr:ip:${k}`);
  // 127.0.0.1 is trusted in the test configuration: the client is the
  // right-most address that is not a proxy; what the client wrote to the
  // left of it is not believed
  assert.equal((await signIn(bad, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status, 401);
  assert.equal(redis('GET', 'ks:thr:ip:203.0.113.7'), '1');
  assert.equal((await signIn(bad, { headers: { 'x-forwarded-for': '198.51.100.9, 203.0.113.8, 127.0.0.1' } })).status, 401);
  assert.equal(redis('GET', 'ks:thr:ip:203.0.113.8'), '1');
  assert.equal(redis('EXISTS', 'ks:thr:ip:198.51.100.9'), '0', 'the spoofed left part is not the client');
  // from 127.0.0.2, which is not a trusted proxy, the header is ignored
  assert.equal((await signIn(bad, { from: '127.0.0.2', headers: { 'x-forwarded-for': '198.51.100.9' } })).status, 401);
  assert.equal(redis('GET', 'ks:thr:ip:127.0.0.2'), '1');
  assert.equal(redis('EXISTS', 'ks:thr:ip:198.51.100.9'), '0');
  for (const k of ['203.0.113.7', '203.0.113.8', '127.0.0.2']) redis('DEL', `ks:thr:ip:${k}`);
  clearThrottle('thun', bad.username);
});

test('an unauthenticated request is answered 401 before its body is read', async () => {
  // headers only: a server that waited for the announced body would not answer
  const res = await rawHead('POST', '/api/v1/admin/users', { 'Content-Type': 'application/json', 'Content-Length': '9000' }, 3000);
  assert.equal(res.status, 401, show(res));
  assert.equal(res.json?.error?.code, 'unauthenticated');
  const cookie = await rawHead('PUT', '/api/v1/payment-account', { 'Content-Type': 'application/json', 'Content-Length': '5000', Cookie: `ks_session=${'0'.repeat(64)}` }, 3000);
  assert.equal(cookie.status, 401, show(cookie));
});

test('Content-Length with Transfer-Encoding: 400, and the connection closes', async () => {
  const host = new URL(BASE).host;
  const r = await rawExchange(`POST /api/v1/session HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n`
    + 'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'
    + `GET /api/v1/ping HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  assert.match(r.text, /^HTTP\/1\.1 400/, r.text.slice(0, 200));
  assert.match(r.text, /bad_framing/);
  assert.equal((r.text.match(/HTTP\/1\.1 \d{3}/g) || []).length, 1, `the pipelined request is not served: ${r.text}`);
  assert.ok(r.closed, 'the server closed the connection');
});

test('If-Match "*" is not a version: 428, nothing changed', async () => {
  const u = await createUser(admin, ['caseworker']);
  const p = `/api/v1/admin/users/${u.id}`;
  err(await call('PATCH', p, { session: admin, body: { display_name: 'Wildcard' }, headers: { 'if-match': '*' } }), 428, 'precondition_required');
  assert.equal(ok(await call('GET', p, { session: admin }), 200).json.display_name, `User ${u.username}`);
});

test('a control byte in a path answers 404, never a cut-off name', async () => {
  // (the web application is built except in API-only quick runs)
  const index = await call('GET', '/');
  if (!process.env.KASUS_TEST_NO_WEB) assert.match(ok(index, 200).text, /<html/i);
  for (const p of ['/assets/index.html%00.js', '/assets/index.html%00', '/assets/%0aindex.html', '/assets/index.html%7F', '/api/v1/me%00']) {
    const r = await call('GET', p);
    assert.equal(r.status, 404, `${p}: ${show(r)}`);
    assert.ok(!/<html/i.test(r.text), `${p} served a page`);
  }
});

test('a failed sign-in never stores the typed username in the audit log', async () => {
  const secret = `Geheim-${Date.now()}-Passwort!`;
  err(await loginRaw('thun', secret, 'whatever-password'), 401, 'invalid_credentials');
  const t = tenantId('thun');
  const rows = sql(DB_OWNER, `select object_id || ' ' || coalesce(detail::text, '') from audit_event where tenant_id = ${t} and action = 'login_failed' order by seq desc limit 3`);
  assert.ok(rows.length > 0, 'the failure is recorded');
  assert.ok(!rows.includes(secret), `no typed name in the log: ${rows}`);
  assert.equal(sql(DB_OWNER, `select count(*) from audit_event where detail::text like '%${secret}%' or object_id = '${secret}'`), '0');
  // nor in Redis, where the throttle counts it
  assert.equal(redis('--scan', '--pattern', `*${secret}*`), '');
  clearThrottle('thun', secret);
});
