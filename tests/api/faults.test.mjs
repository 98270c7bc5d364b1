// Fault tests: a worker killed, Redis stopped, PostgreSQL stopped and
// restarted. Every test restores the services it touched (after hooks),
// so later test files find a healthy stack.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import {
  BASE, call, ok, err, show, login, loginRaw, services, until, sleep, clearThrottle,
  redis, throttleKey,
} from './lib.mjs';

const PIDFILE = process.env.KASUS_PIDFILE;

async function healthy() {
  try {
    const r = await call('GET', '/healthz');
    return r.status === 200 && r.json?.status === 'ok';
  } catch { return false; }
}

async function restoreAll() {
  try { services('start-redis'); } catch (e) { console.error('start-redis failed', e.stderr || e.message); }
  try { services('start-pg'); } catch (e) { console.error('start-pg failed', e.stderr || e.message); }
  await until(healthy, 20000, 250);
  clearThrottle();
}
after(restoreAll);

function parentPid() {
  assert.ok(PIDFILE, 'KASUS_PIDFILE is set');
  const pid = Number(readFileSync(PIDFILE, 'utf8').trim());
  assert.ok(pid > 1, `pid in ${PIDFILE}`);
  process.kill(pid, 0); // alive
  return pid;
}

function workers(parent) {
  try {
    return execFileSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' })
      .split('\n').filter(Boolean).map(Number);
  } catch { return []; }
}

// A request on a new connection each time (no keep-alive), so that probes
// spread over the server's workers and threads.
function fresh(path) {
  return new Promise((resolve) => {
    const req = http.get(BASE + path, { agent: false, timeout: 2500 }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => { let j; try { j = JSON.parse(b); } catch { j = {}; } resolve(`${res.statusCode}:${j.postgres}`); });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve('0'));
  });
}

async function probe(path = '/healthz', opts = {}) {
  try {
    const r = await fetch(BASE + path, { ...opts, signal: AbortSignal.timeout(2500) });
    await r.arrayBuffer();
    return r.status;
  } catch { return 0; }
}

test('kill -9 of a worker: a new one is started and service continues', async () => {
  assert.ok(await healthy(), 'healthy before');
  const parent = parentPid();
  const before = workers(parent);
  assert.ok(before.length >= 1, `workers of ${parent}: ${before}`);
  const victim = before[0];
  const t0 = Date.now();
  let killedAt = 0;
  const results = [];
  while (Date.now() - t0 < 5500) {
    if (!killedAt && Date.now() - t0 > 500) {
      process.kill(victim, 'SIGKILL');
      killedAt = Date.now();
    }
    // a few requests in parallel so that more than one worker is reached
    const batch = await Promise.all([probe(), probe(), probe('/api/v1/ping')]);
    for (const s of batch) results.push({ t: Date.now(), s });
    await sleep(40);
  }
  const late = results.filter((r) => r.t > killedAt + 2000);
  assert.ok(late.length >= 10, `enough requests after the kill: ${late.length}`);
  const lateBad = late.filter((r) => r.s !== 200);
  assert.equal(lateBad.length, 0, `all requests from 2 s after the kill succeed; failed: ${JSON.stringify(lateBad.slice(0, 5))}`);
  const early = results.filter((r) => r.t <= killedAt + 2000);
  const earlyBad = early.filter((r) => r.s !== 200).length;
  assert.ok(earlyBad <= early.length / 2, `most requests around the kill still succeed (${earlyBad}/${early.length} failed)`);
  const now = workers(parent);
  assert.ok(!now.includes(victim), `killed worker ${victim} is gone: ${now}`);
  assert.equal(now.length, before.length, `worker count restored: ${before} -> ${now}`);
  assert.ok(now.some((p) => !before.includes(p)), `a new worker pid appeared: ${before} -> ${now}`);
  const m = ok(await call('GET', '/metrics'), 200);
  const restarts = /^kasus_worker_restarts_total (\d+)/m.exec(m.text);
  assert.ok(restarts && Number(restarts[1]) >= 1, 'restart counted in /metrics');
});

test('Redis down: healthz 503 naming redis, sign-in 503; recovers when it is back', async () => {
  assert.ok(await healthy(), 'healthy before');
  const s = await login('thun', 'caseworker');
  err(await loginRaw('thun', 'no-such-user-aof', 'wrong-password'), 401, 'invalid_credentials');
  // the append-only file is written every second
  await sleep(1500);
  services('stop-redis');
  try {
    const h = await call('GET', '/healthz');
    assert.equal(h.status, 503, show(h));
    assert.equal(h.json?.status, 'unavailable', show(h));
    assert.equal(h.json?.redis, 'down', show(h));
    assert.equal(h.json?.postgres, 'ok', show(h));
    err(await call('POST', '/api/v1/session', { body: { tenant: 'thun', username: 'caseworker', password: 'kasus-demo' } }), 503, 'session_store_unavailable');
    err(await call('GET', '/api/v1/me', { session: s }), 503, 'session_store_unavailable');
    // the server itself stays up
    assert.equal(await probe('/api/v1/ping'), 200, 'ping answers without Redis');
  } finally {
    services('start-redis');
  }
  const back = await until(healthy, 10000, 200);
  assert.ok(back, 'healthz is 200 again within 10 s of Redis returning');
  const res = await until(async () => {
    const r = await call('POST', '/api/v1/session', { body: { tenant: 'thun', username: 'caseworker', password: 'kasus-demo' } });
    return r.status === 201 ? r : null;
  }, 10000, 200);
  assert.ok(res, 'sign-in works again');
  // Redis keeps an append-only file: the session signed in before the
  // restart still works, and so does the login throttle's count
  ok(await call('GET', '/api/v1/me', { session: s }), 200);
  assert.equal(redis('GET', throttleKey('thun', 'no-such-user-aof')), '1');
  clearThrottle('thun', 'no-such-user-aof');
});

test('PostgreSQL stopped: healthz 503 naming postgres; started again: requests succeed', async () => {
  assert.ok(await healthy(), 'healthy before');
  const admin = await login('thun', 'admin');
  ok(await call('GET', '/api/v1/admin/users?limit=5', { session: admin }), 200);
  services('stop-pg');
  try {
    const h = await call('GET', '/healthz');
    assert.equal(h.status, 503, show(h));
    assert.equal(h.json?.status, 'unavailable', show(h));
    assert.equal(h.json?.postgres, 'down', show(h));
    assert.equal(h.json?.redis, 'ok', show(h));
    const t0 = Date.now();
    const r = await call('GET', '/api/v1/admin/users?limit=5', { session: admin });
    assert.ok(Date.now() - t0 < 8000, 'a DB-backed request fails fast');
    assert.ok(r.status >= 500 && r.status <= 503, show(r));
    assert.ok(r.json?.error?.code, `JSON error body: ${show(r)}`);
  } finally {
    services('start-pg');
  }
  const t1 = Date.now();
  const back = await until(async () => (await healthy()) &&
    (await call('GET', '/api/v1/admin/users?limit=5', { session: admin })).status === 200, 10000, 200);
  assert.ok(back, `healthz and a DB-backed request succeed within 10 s (${Date.now() - t1} ms)`);
  const statuses = [];
  for (let i = 0; i < 20; i++) {
    statuses.push((await call('GET', '/api/v1/admin/users?limit=5', { session: admin })).status);
  }
  assert.deepEqual(statuses.filter((x) => x !== 200), [], `every request succeeds after recovery: ${statuses}`);
});

test('PostgreSQL restart (restart-pg): service recovers within 10 s', async () => {
  assert.ok(await healthy(), 'healthy before');
  const admin = await login('thun', 'admin');
  ok(await call('GET', '/api/v1/admin/users?limit=5', { session: admin }), 200);
  services('restart-pg');
  const t1 = Date.now();
  const back = await until(async () => (await healthy()) &&
    (await call('GET', '/api/v1/admin/users?limit=5', { session: admin })).status === 200, 10000, 200);
  assert.ok(back, `recovered within 10 s (${Date.now() - t1} ms)`);
  // healthz too: no thread may report a stale connection as "postgres down"
  const health = [];
  for (let i = 0; i < 8; i++) health.push(...await Promise.all(Array.from({ length: 8 }, () => fresh('/healthz'))));
  assert.deepEqual(health.filter((x) => x !== '200:ok'), [], `every /healthz after recovery is 200 postgres ok: ${health}`);
  // every worker thread reconnects: parallel bursts all succeed
  const bursts = [];
  for (let i = 0; i < 4; i++) {
    bursts.push(...await Promise.all(Array.from({ length: 8 }, () => call('GET', '/api/v1/admin/users?limit=5', { session: admin }).then((r) => r.status, () => 0))));
  }
  assert.deepEqual(bursts.filter((x) => x !== 200), [], `all requests succeed after the restart: ${bursts}`);
  // writes too
  const res = await call('POST', '/api/v1/admin/tokens', { session: admin, body: { name: 'after-restart', permissions: ['directory.read'], days: 1 } });
  ok(res, 201);
  ok(await call('DELETE', `/api/v1/admin/tokens/${res.json.id}`, { session: admin }), 204);
});
