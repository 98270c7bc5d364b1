// Health, metrics, OpenAPI, security headers, 404/405, body limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, show, as, rawHead } from './lib.mjs';

function securityHeaders(res) {
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp, `no Content-Security-Policy on ${show(res)}`);
  assert.match(csp, /frame-ancestors 'none'/, `CSP lacks frame-ancestors 'none': ${csp}`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', show(res));
  assert.ok(res.headers.get('referrer-policy'), `no Referrer-Policy on ${show(res)}`);
  const rid = res.headers.get('x-request-id');
  assert.ok(rid && rid.length >= 8, `no X-Request-Id on ${show(res)}`);
  if (res.json && res.json.error) assert.equal(res.json.error.request_id, rid, 'error.request_id matches X-Request-Id');
}

test('GET /healthz reports postgres and redis ok', async () => {
  const res = ok(await call('GET', '/healthz'), 200);
  assert.equal(res.json.status, 'ok', show(res));
  assert.equal(res.json.postgres, 'ok', show(res));
  assert.equal(res.json.redis, 'ok', show(res));
  securityHeaders(res);
});

test('security headers on every kind of response', async () => {
  const adm = await as('thun', 'admin');
  const cases = [
    await call('GET', '/healthz'),
    await call('GET', '/api/v1/me'), // 401
    await call('GET', '/api/v1/me', { session: adm }), // 200
    await call('GET', '/api/v1/no-such-thing'), // 404
    await call('PUT', '/api/v1/me', { session: adm, body: {} }), // 405
    await call('POST', '/api/v1/session', { raw: '{', headers: { 'content-type': 'application/json' } }), // 400
    await call('GET', '/metrics'),
    await call('GET', '/api/openapi.json'),
    await rawHead('POST', '/api/v1/session', { 'Content-Type': 'application/json', 'Content-Length': String(16 * 1024 * 1024) }),
  ];
  for (const res of cases) securityHeaders(res);
});

test('request ids differ between requests', async () => {
  const a = await call('GET', '/healthz');
  const b = await call('GET', '/healthz');
  assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
});

test('unknown path is 404, wrong method on a known path is 405', async () => {
  err(await call('GET', '/api/v1/no-such-thing'), 404);
  err(await call('GET', '/api/v1/admin/nope/deeper'), 404);
  err(await call('PUT', '/api/v1/me'), 405);
  err(await call('GET', '/api/v1/session'), 405);
  err(await call('DELETE', '/api/v1/admin/tenants'), 405);
});

test('GET /metrics is Prometheus text and counts requests', async () => {
  const total = (text) => {
    let n = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('kasus_http_requests_total')) n += Number(line.trim().split(/\s+/).pop());
    }
    return n;
  };
  const a = ok(await call('GET', '/metrics'), 200);
  assert.match(a.headers.get('content-type') || '', /^text\/plain/);
  assert.match(a.text, /^# TYPE kasus_http_requests_total counter$/m);
  assert.match(a.text, /^kasus_http_requests_total\{[^}]*\} \d+/m, 'a labelled sample exists');
  for (let i = 0; i < 6; i++) await call('GET', '/healthz');
  const b = ok(await call('GET', '/metrics'), 200);
  assert.ok(total(b.text) >= total(a.text) + 6,
    `request counter did not grow by >= 6 across workers: ${total(a.text)} -> ${total(b.text)}`);
});

test('GET /api/openapi.json is OpenAPI 3.1 and lists every route', async () => {
  const res = ok(await call('GET', '/api/openapi.json'), 200);
  assert.match(String(res.json.openapi), /^3\.1/);
  const norm = (p) => p.replace(/\{[^}]+\}/g, '{}');
  const have = new Set();
  for (const [p, ops] of Object.entries(res.json.paths || {})) {
    for (const m of Object.keys(ops)) have.add(`${m.toUpperCase()} ${norm(p)}`);
  }
  const want = [
    'POST /api/v1/session', 'DELETE /api/v1/session', 'GET /api/v1/me',
    'GET /api/v1/admin/tenants', 'POST /api/v1/admin/tenants',
    'GET /api/v1/admin/tenants/{}', 'PATCH /api/v1/admin/tenants/{}',
    'PUT /api/v1/admin/tenants/{}/municipalities/{}', 'DELETE /api/v1/admin/tenants/{}/municipalities/{}',
    'POST /api/v1/admin/tenants/{}/admins',
    'GET /api/v1/admin/municipalities', 'POST /api/v1/admin/municipalities',
    'GET /api/v1/admin/municipalities/{}', 'PATCH /api/v1/admin/municipalities/{}',
    'GET /api/v1/admin/users', 'POST /api/v1/admin/users', 'GET /api/v1/admin/users/{}',
    'PATCH /api/v1/admin/users/{}', 'PUT /api/v1/admin/users/{}/roles',
    'POST /api/v1/admin/users/{}/password', 'DELETE /api/v1/admin/users/{}/sessions',
    'GET /api/v1/roles', 'POST /api/v1/admin/tokens', 'GET /api/v1/admin/tokens',
    'DELETE /api/v1/admin/tokens/{}', 'GET /api/v1/municipalities',
    'GET /api/v1/audit', 'GET /api/v1/audit/verify',
  ];
  const missing = want.filter((w) => !have.has(w));
  assert.deepEqual(missing, [], `routes missing from openapi.json: ${missing.join(', ')}`);
});

test('body over the route limit is refused with 413 before the body is sent', async () => {
  // Only headers go out; a server that waited for the body would time out.
  // Past the drain allowance (8 MiB) the answer comes at once ...
  for (const path of ['/api/v1/session', '/api/v1/admin/users', '/api/v1/admin/tenants']) {
    const res = await rawHead('POST', path, { 'Content-Type': 'application/json', 'Content-Length': String(16 * 1024 * 1024) });
    err(res, 413, 'body_too_large');
  }
  // ... and so it does for a client that asks before sending, at any size.
  const res = await rawHead('POST', '/api/v1/session', {
    'Content-Type': 'application/json', 'Content-Length': String(2 * 1024 * 1024), Expect: '100-continue',
  });
  err(res, 413, 'body_too_large');
});

test('body over the limit sent in full (2 MB) is refused with 413', async () => {
  const adm = await as('thun', 'admin');
  const big = JSON.stringify({ tenant: 'thun', username: 'x'.repeat(2 * 1024 * 1024), password: 'y' });
  const send = async (path, session) => {
    // one retry: a client may see the connection close while it still sends
    for (let i = 0; ; i++) {
      try {
        return await call('POST', path, { session, raw: big, headers: { 'content-type': 'application/json' } });
      } catch (e) {
        if (i === 1) throw e;
      }
    }
  };
  err(await send('/api/v1/session'), 413, 'body_too_large');
  err(await send('/api/v1/admin/users', adm), 413, 'body_too_large');
  ok(await call('GET', '/healthz'), 200);
});
