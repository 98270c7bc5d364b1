// kill -9 of the PostgreSQL primary's machine (Patroni and PostgreSQL)
// under write load: the synchronous standby is promoted once the leader
// lock expires, the nodes reconnect (multi-host conninfo, read-write
// target), writes resume within a measured time, and no acknowledged
// write is lost (commits waited for the standby). Meanwhile clients get
// 503 database_unavailable, never a 500.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  login, dossier, writeLoad, assertAcknowledgedKept, cluster, pidOf, children,
  kill9, until, sleep, summary, DIR, PATRONI_PORTS,
} from './lib.mjs';

async function leader() {
  for (let i = 0; i < PATRONI_PORTS.length; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${PATRONI_PORTS[i]}/primary`);
      if (r.status === 200) return i + 1;
    } catch { /* down */ }
  }
  return 0;
}

test('the PostgreSQL primary killed under load: the standby takes over, writes resume, none acknowledged is lost', async () => {
  const session = await login('thun', 'teamlead');
  const id = await dossier(session);
  const tag = `pg-${Date.now().toString(36)}`;
  const old = await leader();
  assert.ok(old > 0, 'a leader');
  assert.equal((await fetch(`http://127.0.0.1:${PATRONI_PORTS[2 - old]}/sync`)).status, 200, 'the other node is the synchronous standby');
  const patroni = pidOf(`pg${old}/patroni.pid`);
  const postmaster = Number(fs.readFileSync(path.join(DIR, `pg${old}/data/postmaster.pid`), 'utf8').split('\n')[0]);

  let killedAt = 0;
  let resumed = 0;
  const load = writeLoad({
    session, dossierId: id, tag, clients: 4, ms: 90000,
    stop: () => resumed && Date.now() > resumed + 3000,
    onResult: (r) => { if (!resumed && killedAt && r.status === 201 && r.t0 > killedAt) resumed = r.t1; },
  });
  await sleep(2000);
  killedAt = Date.now();
  kill9([patroni, postmaster, ...children(postmaster)]);
  const results = await load;
  const ok = results.filter((r) => r.status === 201 && r.t0 > killedAt).sort((a, b) => a.t1 - b.t1);
  console.log(`postgres failover: ${results.length} writes, ${JSON.stringify(summary(results))}`);
  assert.ok(ok.length > 0, 'writes resumed');
  const took = ok[0].t1 - killedAt;
  console.log(`postgres failover: writes resumed ${took} ms after the primary was killed`);
  assert.ok(took < 45000, `writes resumed within 45 s (${took} ms)`);
  for (const r of results.filter((x) => x.status !== 201))
    assert.ok((r.status === 503 && r.code === 'database_unavailable') || r.status === 0,
      `during the failover: ${r.status} ${r.code || r.why || ''}`);
  const now = await leader();
  assert.ok(now > 0 && now !== old, `pg${3 - old} is the new primary`);
  const rows = assertAcknowledgedKept(results, tag);
  console.log(`postgres failover: ${results.filter((r) => r.status === 201).length} acknowledged, ${rows} stored`);
  // The old primary rejoins as a replica (pg_rewind) and becomes the
  // synchronous standby again.
  cluster('start');
  const sync = await until(async () => (await fetch(`http://127.0.0.1:${PATRONI_PORTS[old - 1]}/sync`)).status === 200, 90000, 500);
  assert.ok(sync, `pg${old} is the synchronous standby again`);
});
