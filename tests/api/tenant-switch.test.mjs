// One database connection serving tenant after tenant (db.c keeps the
// tenant and user of a read as session settings of the connection and
// skips setting them again while they are in force): a server with one
// worker, one thread and no request threads, so every request below runs on the same
// connection, must answer each request under its own tenant only, also
// right after a failed request and after a write transaction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BASE, as, freshTenant, createUser, until } from './lib.mjs';

const U = '/api/v1/admin/users';
const port = Number(new URL(BASE).port) + 29;
const url = `http://127.0.0.1:${port}`;
let child;
let log = '';
let A; // { session, ids }
let B;

async function get(session, path) {
  const r = await fetch(url + path, { headers: { cookie: `ks_session=${session.cookie}` } });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function post(session, path, body) {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: { cookie: `ks_session=${session.cookie}`, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await r.arrayBuffer();
  return r.status;
}

/** The ids the list shows; asserts they are exactly the tenant's own. */
async function listOwn(who, other) {
  const r = await get(who.session, `${U}?limit=200`);
  assert.equal(r.status, 200);
  const ids = new Set(r.json.items.map((u) => String(u.id)));
  assert.ok(ids.size > 0, 'the own users are listed');
  if (ids.size < 200) for (const id of who.ids) assert.ok(ids.has(id), `own user ${id} listed`);
  for (const id of other.ids) assert.ok(!ids.has(id), `foreign user ${id} not listed`);
}

async function readBoth(who, other) {
  assert.equal((await get(who.session, `${U}/${who.ids[0]}`)).status, 200, 'own user readable');
  assert.equal((await get(who.session, `${U}/${other.ids[0]}`)).status, 404, 'foreign user hidden');
}

before(async () => {
  const env = {
    ...process.env, KASUS_PORT: String(port), KASUS_WORKERS: '1', KASUS_THREADS: '1',
    KASUS_REQUEST_THREADS: '0', // writes on the same connection too
    KASUS_PIDFILE: `${process.cwd()}/var/test/kasusd-switch.pid`,
  };
  child = spawn('build/asan/kasusd', ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => { log += d; });
  assert.ok(await until(async () => (await fetch(`${url}/healthz`).catch(() => ({ status: 0 }))).status === 200, 20000, 100),
    `single-thread server up: ${log.slice(-400)}`);
  const sa = await as('thun', 'admin');
  const ua = await createUser(sa, ['caseworker']);
  A = { session: sa, ids: [String(ua.id), String(sa.data.user.id)] };
  const t = await freshTenant('sw');
  const ub = await createUser(t.admin, ['caseworker']);
  B = { session: t.admin, ids: [String(ub.id), String(t.adminId)] };
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', r)));
  }
});

test('reads alternating between two tenants on one connection see only their own rows', async () => {
  for (let i = 0; i < 3; i++) {
    await listOwn(A, B);
    await readBoth(A, B);
    await listOwn(B, A);
    await readBoth(B, A);
    await listOwn(B, A);
    await listOwn(A, B);
  }
});

test('after a failed write of one tenant the other tenant reads only its own rows', async () => {
  await listOwn(A, B);
  // a duplicate username: the write transaction fails and is rolled back
  const dup = { username: 'admin', display_name: 'Dup', password: 'dup-pass-123456', roles: ['caseworker'] };
  assert.equal(await post(A.session, U, dup), 409);
  await listOwn(B, A);
  await readBoth(B, A);
  assert.equal(await post(B.session, U, dup), 409);
  await readBoth(A, B);
  await listOwn(A, B);
});

test('after a write of one tenant the other tenant reads only its own rows', async () => {
  await listOwn(B, A);
  const u = { username: `sw${Date.now().toString(36)}`, display_name: 'Switch', password: 'switch-pass-123456', roles: ['caseworker'] };
  assert.equal(await post(A.session, U, u), 201);
  await listOwn(B, A);
  await readBoth(B, A);
  await listOwn(A, B);
  assert.equal(log.match(/AddressSanitizer|runtime error/), null, log.slice(-2000));
});
