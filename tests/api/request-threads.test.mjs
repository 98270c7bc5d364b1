// The request threads (core/lib/offload.c, core/http/http.c): a server
// with one worker and one connection thread hands writes and long reads
// to its request threads with the connection suspended, and keeps
// answering the other connections meanwhile. A job waited for
// (GET /api/v1/jobs/{id}?wait=N, KS_R_LONG) holds a request thread for
// seconds, which makes that visible without timing anything short. A
// worker told to stop finishes what its request threads hold and
// answers it before it exits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { as, call, ok, freshTenant, createUser, login, ownServer } from './lib.mjs';

const srv = ownServer(31, {
  KASUS_WORKERS: '1', KASUS_THREADS: '1', KASUS_REQUEST_THREADS: '4',
  KASUS_PIDFILE: `${process.cwd()}/var/test/kasusd-rthreads.pid`,
});
const { url } = srv;
let cw;

async function req(method, path, body) {
  const headers = { cookie: `ks_session=${cw.cookie}` };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['x-csrf-token'] = cw.csrf;
  }
  const r = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, at: Date.now() };
}

/** An echo.count job that runs for about `s` seconds. */
async function slowJob(s) {
  const r = await req('POST', '/api/v1/echo/jobs', { items: s, step_ms: 1000 });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return r.json.id;
}

before(async () => {
  const canton = await as('canton', 'canton-admin');
  const t = await freshTenant('rthr');
  ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/echo`, { session: canton, body: { enabled: true } }), 200);
  const u = await createUser(t.admin, ['caseworker']);
  cw = await login(t.slug, u.username, u.password);
  srv.start();
  await srv.up();
});

after(() => srv.stop());

test('while a request thread waits for a job, the connection thread answers reads and another request thread a write', async () => {
  const id = await slowJob(4);
  const t0 = Date.now();
  const waited = req('GET', `/api/v1/jobs/${id}?wait=3`);
  await new Promise((r) => setTimeout(r, 300));
  const reads = [];
  for (let i = 0; i < 20; i++) {
    const p = await req('GET', '/api/v1/ping');
    assert.equal(p.status, 200);
    reads.push(p.at);
  }
  const me = await req('GET', '/api/v1/me');
  assert.equal(me.status, 200);
  const write = await req('POST', '/api/v1/echo/jobs', { items: 1 });
  assert.equal(write.status, 202, JSON.stringify(write.json));
  const w = await waited;
  assert.equal(w.status, 200, JSON.stringify(w.json));
  assert.ok(['queued', 'running'].includes(w.json.state), JSON.stringify(w.json));
  assert.ok(w.at - t0 >= 2500, `the wait took its three seconds (${w.at - t0} ms)`);
  // Everything else was answered while the wait still held its thread.
  assert.ok(Math.max(...reads, me.at, write.at) < w.at,
    `reads and the write answered before the wait ended: ${Math.max(...reads, me.at, write.at) - t0} against ${w.at - t0} ms`);
});

test('a worker told to stop answers the request its request thread holds, then exits cleanly', async () => {
  const id = await slowJob(4);
  const t0 = Date.now();
  const waited = req('GET', `/api/v1/jobs/${id}?wait=2`).catch((e) => ({ status: 0, error: String(e) }));
  await new Promise((r) => setTimeout(r, 400));
  srv.child.kill('SIGTERM');
  const w = await waited;
  assert.equal(w.status, 200, `the held request was answered: ${JSON.stringify(w)} ${srv.log.slice(-400)}`);
  assert.ok(w.at - t0 >= 1500, `it waited as asked (${w.at - t0} ms)`);
  await srv.exited();
  assert.equal(srv.child.exitCode, 0, srv.log.slice(-600));
  assert.doesNotMatch(srv.log, /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);
  // And it serves again when started anew.
  srv.start();
  await srv.up();
  assert.equal((await req('GET', '/api/v1/ping')).status, 200);
});

test('a client that goes away while a request thread holds its request does not hold up the stop', async () => {
  const id = await slowJob(5);
  const gone = new AbortController();
  const waited = fetch(`${url}/api/v1/jobs/${id}?wait=2`, { headers: { cookie: `ks_session=${cw.cookie}` }, signal: gone.signal })
    .catch(() => 'aborted');
  await new Promise((r) => setTimeout(r, 300));
  gone.abort();
  assert.equal(await waited, 'aborted');
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  srv.child.kill('SIGTERM');
  await srv.exited();
  // The wait ends after its two seconds; nothing is left to wait for then.
  assert.ok(Date.now() - t0 < 6000, `stopped in ${Date.now() - t0} ms`);
  assert.equal(srv.child.exitCode, 0, srv.log.slice(-600));
});
