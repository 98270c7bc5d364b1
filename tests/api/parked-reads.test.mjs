// Parked reads (core/lib/fiber.c, core/data/db.c, core/http/http.c): on a
// server with one worker and one connection thread, every read flagged
// KS_R_PARK runs on a fiber and parks while PostgreSQL answers, its
// statement pipelined with the others' on the thread's one connection.
// Reads of users of two tenants in flight at once, interleaved, each
// answer with their own tenant's rows only, although the tenant in force
// on that connection changes between batches already sent. PostgreSQL
// restarted under them: each fails with a JSON error or succeeds, none
// hangs, and the next ones succeed. A worker told to stop answers the
// reads it parked before it exits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROFILE, freshTenant, createUser, until, ownServer } from './lib.mjs';

const srv = ownServer(37, { KASUS_WORKERS: '1', KASUS_THREADS: '1' });
const { url } = srv;
const tenants = [];

async function get(session, path) {
  try {
    const r = await fetch(url + path, { headers: { cookie: `ks_session=${session.cookie}` } });
    const text = await r.text();
    return { status: r.status, json: text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  } catch (e) {
    return { status: 0, json: String(e) };
  }
}

/** Reads by both tenants' admins of users of both, shuffled. */
function plan(n) {
  const all = tenants.flatMap((t, ti) => t.users.map((u) => ({ ti, u })));
  const out = [];
  for (let i = 0; i < n; i++) {
    const by = i % tenants.length;
    const target = all[(i * 7 + Math.floor(i / 3)) % all.length];
    out.push({ by, target });
  }
  return out;
}

/** Sends the reads `wide` at a time; returns [read, answer] pairs. */
async function fire(reads, wide) {
  const done = [];
  for (let i = 0; i < reads.length; i += wide) {
    const part = reads.slice(i, i + wide);
    const got = await Promise.all(part.map((r) => get(tenants[r.by].admin, `/api/v1/admin/users/${r.target.u.id}`)));
    part.forEach((r, k) => done.push([r, got[k]]));
  }
  return done;
}

/** Own tenant's user: 200 with that user; the other tenant's: 404. */
function judge(pairs, { errorsAllowed = false } = {}) {
  let own = 0;
  for (const [r, res] of pairs) {
    if (errorsAllowed && (res.status >= 500 || res.status === 0)) {
      if (res.status !== 0) assert.ok(res.json?.error?.code, `a JSON error: ${JSON.stringify(res.json)}`);
      continue;
    }
    if (r.target.ti === r.by) {
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.username, r.target.u.username, 'the user asked for');
      own++;
    } else {
      assert.equal(res.status, 404, `a foreign tenant's user stays unseen: ${JSON.stringify(res.json)}`);
      assert.equal(res.json.error.code, 'not_found');
    }
  }
  return own;
}

before(async () => {
  for (const p of ['pka', 'pkb']) {
    const t = await freshTenant(p);
    const users = [{ id: t.adminId, username: 'admin' }];
    for (let i = 0; i < 3; i++) users.push(await createUser(t.admin, ['caseworker']));
    tenants.push({ ...t, users });
  }
  srv.start();
  await srv.up();
});

after(() => srv.stop());

test('two tenants\' reads in flight at once on one connection each see their own tenant only', async () => {
  const pairs = await fire(plan(480), 48);
  const own = judge(pairs);
  assert.ok(own > 100 && own < 400, `both kinds were asked: ${own} own of ${pairs.length}`);
  assert.doesNotMatch(srv.log, /AddressSanitizer|runtime error/);
  // Answers read in step with what was sent: the connection was never
  // dropped and made again.
  assert.doesNotMatch(srv.log, /out of step|connection lost|database connection failed/);
});

test('PostgreSQL restarted under parked reads: JSON errors or right answers, then all succeed', async () => {
  const reads = plan(480);
  const inflight = fire(reads, 48);
  // Not execFileSync: the reads must be going out while it restarts.
  await new Promise((r) => setTimeout(r, 20));
  await promisify(execFile)('bash', ['ops/services.sh', PROFILE, 'restart-pg'], { timeout: 120000 });
  judge(await inflight, { errorsAllowed: true });
  const back = await until(async () => (await get(tenants[0].admin, `/api/v1/admin/users/${tenants[0].adminId}`)).status === 200, 15000, 200);
  assert.ok(back, `reads succeed again: ${srv.log.slice(-400)}`);
  judge(await fire(plan(96), 48));
});

test('a worker told to stop answers the reads it parked', async () => {
  const reads = plan(96);
  const inflight = fire(reads, 96);
  await new Promise((r) => setTimeout(r, 5));
  srv.child.kill('SIGTERM');
  const pairs = await inflight;
  // Those the worker took were answered; the rest found it closed.
  const answered = pairs.filter(([, res]) => res.status !== 0);
  judge(answered);
  await srv.exited();
  assert.equal(srv.child.exitCode, 0, srv.log.slice(-400));
});

test('answers a request thread resumes go out at once, one after another', async () => {
  // A write runs on a request thread, which resumes its connection; the
  // loop is woken through its pipe, once for all resumed until it reads
  // it. A wake that went missing would cost the loop's 1 s timeout.
  srv.start();
  await srv.up();
  const t = tenants[0];
  for (let i = 0; i < 10; i++) {
    const t0 = Date.now();
    const r = await fetch(`${url}/api/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: t.slug, username: 'admin', password: t.password }),
    });
    assert.equal(r.status, 201, await r.text());
    assert.ok(Date.now() - t0 < 700, `login ${i} answered in ${Date.now() - t0} ms`);
  }
});
