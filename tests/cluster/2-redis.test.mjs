// kill -9 of the Redis master under load: the Sentinels promote the
// replica, the nodes find it, sessions made before the kill still work
// (a sign-in waits for the replica), and meanwhile a client gets a clear
// 503 session_store_unavailable (or 401 session_expired), never a 500.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  login, call, cluster, pidOf, kill9, until, sleep, summary, REDIS_PORTS,
  SENTINEL_PORTS,
} from './lib.mjs';

function master() {
  for (const p of SENTINEL_PORTS) {
    try {
      const out = execFileSync('redis-cli', ['-p', p, '--raw', 'SENTINEL', 'get-master-addr-by-name', 'kasus'],
        { encoding: 'utf8', timeout: 5000 }).trim().split('\n');
      if (out[1]) return out[1];
    } catch { /* next */ }
  }
  return null;
}

test('the Redis master killed under load: Sentinel fails over, sessions survive, never a 500', async () => {
  const sessions = [];
  for (const u of ['caseworker', 'teamlead', 'accounting', 'legal'])
    sessions.push(await login('thun', u));
  const before = master();
  assert.ok(REDIS_PORTS.includes(before), `the sentinels name a master (${before})`);
  const n = REDIS_PORTS.indexOf(before) + 1;
  const victim = pidOf(`redis${n}/redis.pid`);

  const results = [];
  let stop = false;
  let killedAt = 0;
  async function loop(s) {
    for (let i = 0; i < 3000 && !stop; i++) {
      const r = await call('GET', '/api/v1/me', { session: s });
      results.push({ status: r.status, code: r.json?.error?.code, t0: r.t0, t1: r.t1 });
      if (r.status !== 200) await sleep(50);
    }
  }
  const load = Promise.all(sessions.map(loop));
  await sleep(1500);
  killedAt = Date.now();
  kill9([victim]);
  // Until every session answers again, at most 60 s.
  const back = await until(() => {
    const after = results.filter((r) => r.t0 > killedAt);
    return after.length > 20 && after.slice(-20).every((r) => r.status === 200) ? after : null;
  }, 60000, 100);
  await sleep(1000);
  stop = true;
  await load;
  console.log(`redis failover: ${results.length} requests, ${JSON.stringify(summary(results))}`);
  assert.ok(back, 'requests succeed again after the failover');
  const firstOk = results.filter((r) => r.t0 > killedAt && r.status === 200).sort((a, b) => a.t1 - b.t1);
  const bad = results.filter((r) => r.status !== 200);
  const lastBad = bad.length ? Math.max(...bad.map((r) => r.t1)) : killedAt;
  console.log(`redis failover: sessions served again ${lastBad - killedAt} ms after the kill (first success ${firstOk.length ? firstOk[0].t1 - killedAt : '-'} ms)`);
  for (const r of bad) {
    assert.ok((r.status === 503 && r.code === 'session_store_unavailable') || (r.status === 401 && r.code === 'session_expired'),
      `during the failover: ${r.status} ${r.code}`);
  }
  assert.ok(!results.some((r) => r.status >= 500 && r.status !== 503), 'never a 500');
  const after = master();
  assert.notEqual(after, before, 'a new master');
  // Every session made before the kill still works (it waited for the replica).
  for (const s of sessions) assert.equal((await call('GET', '/api/v1/me', { session: s })).status, 200);
  // A write and a new sign-in work on the new master.
  const fresh = await login('thun', 'reception');
  assert.equal((await call('GET', '/api/v1/me', { session: fresh })).status, 200);
  // The old master comes back as a replica of the new one.
  cluster('start');
  const role = await until(() => {
    const out = execFileSync('redis-cli', ['-p', before, 'ROLE'], { encoding: 'utf8', timeout: 5000 });
    return out.startsWith('slave') ? out : null;
  }, 20000);
  assert.ok(role, `redis on ${before} rejoined as a replica`);
});
