// kill -9 of a whole kasusd node (parent and workers) under write load:
// HAProxy takes it out of service, only the requests that node was
// answering at that moment fail, and every acknowledged write is kept.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  login, dossier, writeLoad, assertAcknowledgedKept, cluster, pidOf,
  children, kill9, backendState, until, sleep, summary, call, NODE_PORTS,
} from './lib.mjs';

test('a node killed under load: HAProxy routes around it, only in-flight requests fail, no acknowledged write lost', async () => {
  const session = await login('thun', 'teamlead');
  const id = await dossier(session);
  const tag = `node-${Date.now().toString(36)}`;
  let killedAt = 0;
  const victim = pidOf('node2/kasusd.pid');
  const tree = [victim, ...children(victim)];
  assert.ok(tree.length >= 2, 'the node has a parent and workers');
  const load = writeLoad({ session, dossierId: id, tag, clients: 6, ms: 9000 });
  await sleep(3000);
  killedAt = Date.now();
  kill9(tree);
  // The kernel tears a killed process's sockets down a moment after the
  // signal: a request that reached the node in those milliseconds was on
  // its way when the node died, like one sent just before.
  const goneAt = Date.now() + 20;
  const results = await load;
  const failed = results.filter((r) => r.status !== 201);
  console.log(`node kill: ${results.length} writes, ${JSON.stringify(summary(results))}`);
  // Failed: only those that were on their way when the node died.
  for (const f of failed)
    assert.ok(f.t0 <= goneAt && f.t1 >= killedAt, `a request that started ${f.t0 - killedAt} ms after the kill failed: ${f.status} ${f.code || f.why || ''}`);
  assert.ok(failed.length <= 6, `at most one request per client failed (${failed.length})`);
  assert.ok(results.filter((r) => r.status === 201 && r.t0 > killedAt).length > 10, 'writes went on after the kill');
  for (const f of failed) assert.ok([0, 502, 503].includes(f.status), `in-flight failure is a gateway error or a reset, not ${f.status}`);
  const rows = assertAcknowledgedKept(results, tag);
  console.log(`node kill: ${results.filter((r) => r.status === 201).length} acknowledged, ${rows} stored`);
  const state = await until(async () => { const s = await backendState(); return s.node2 && s.node2.startsWith('DOWN') ? s : null; }, 5000);
  assert.ok(state, 'HAProxy marks node2 down');
  assert.equal(state.node1, 'UP');
  assert.equal(state.node3, 'UP');
  // Back in service once started again.
  cluster('start');
  assert.ok(await until(async () => (await backendState()).node2 === 'UP', 20000), 'node2 back in service');
  assert.equal((await call('GET', '/api/v1/ping', { base: `http://127.0.0.1:${NODE_PORTS[1]}` })).status, 200);
});
