// Backup and point-in-time restore: notes A, a base backup, notes B, the
// target time, notes C; restored to the target, exactly A and B exist,
// and a kasusd started on the restored database verifies the audit chain.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, DIR, login, dossier, call, sql, until, sleep,
} from './lib.mjs';

const PORT_PG = '61479';
const PORT_HTTP = '19749';
const DATA = path.join(DIR, 'restore', 'data');

function ops(script, args) {
  return execFileSync('bash', [path.join(ROOT, 'ops', script), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 });
}

async function notes(session, id, tag, n) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const r = await call('POST', `/api/v1/cases/${id}/journal`, { session, body: { category: 'other', text: `${tag}-${i}` } });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
  }
  return ids;
}

test('backup, more writes, restore to a time in between: exactly the records before it, and the audit chain verifies', async (t) => {
  const session = await login('thun', 'teamlead');
  const id = await dossier(session);
  const tag = `bk-${Date.now().toString(36)}`;
  const a = await notes(session, id, `${tag}-A`, 5);
  const out = ops('backup.sh', ['base']).trim();
  assert.ok(fs.existsSync(path.join(out, 'base.tar.gz')), `base backup in ${out}`);
  const b = await notes(session, id, `${tag}-B`, 5);
  const target = sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
  await sleep(1500);
  const c = await notes(session, id, `${tag}-C`, 5);
  // The segment holding C goes to the archive now, not at archive_timeout.
  const superuser = process.env.KASUS_DB_SUPER;
  const seg = execFileSync('psql', [superuser, '-XAtq', '-c', 'SELECT pg_walfile_name(pg_switch_wal())'], { encoding: 'utf8' }).trim();
  assert.ok(await until(() => fs.existsSync(path.join(DIR, 'backup', 'wal', seg)), 30000), `segment ${seg} archived`);
  assert.match(ops('backup.sh', ['list']), /^base \S+ consistent at /m);

  fs.rmSync(path.join(DIR, 'restore'), { recursive: true, force: true });
  ops('restore.sh', ['-t', target, '-D', DATA, '-p', PORT_PG]);
  t.after(() => { try { ops('restore.sh', ['stop', '-D', DATA]); } catch { /* not running */ } });
  const restored = `host=127.0.0.1 port=${PORT_PG} dbname=kasus user=kasus_owner`;
  const rows = execFileSync('psql', [restored, '-XAtq', '-c', `SELECT id FROM journal_entry WHERE text LIKE '${tag}-%' ORDER BY id`], { encoding: 'utf8' })
    .trim().split('\n').filter(Boolean).map(Number);
  assert.deepEqual(rows, [...a, ...b].sort((x, y) => x - y), 'A and B restored, C not');
  assert.ok(!c.some((x) => rows.includes(x)));

  // kasusd on the restored database: the audit chain holds.
  const env = {
    ...process.env,
    KASUS_PORT: PORT_HTTP,
    KASUS_ROOT: ROOT,
    KASUS_DB_APP: `host=127.0.0.1 port=${PORT_PG} dbname=kasus user=kasus_app`,
    KASUS_DB_OWNER: restored,
    KASUS_MODULE_DIR: path.join(ROOT, 'build/release/modules'),
    KASUS_WORKERS: '1',
    KASUS_PIDFILE: path.join(DIR, 'restore', 'kasusd.pid'),
    // The running cluster's anchors name seals newer than the restore
    // point (verify would say anchor_ahead, which is the truth about a
    // restore); the restored service starts its own, as the README says.
    KASUS_AUDIT_ANCHOR_DIR: path.join(DIR, 'restore', 'audit'),
    KASUS_MASTER_KEY: /KASUS_MASTER_KEY=(\w+)/.exec(fs.readFileSync(path.join(DIR, 'secrets'), 'utf8'))[1],
  };
  const log = fs.openSync(path.join(DIR, 'restore', 'kasusd.log'), 'a');
  const srv = spawn(path.join(ROOT, 'build/release/kasusd'), ['-c', path.join(ROOT, 'conf/kasus.conf'), 'serve'], { env, stdio: ['ignore', log, log] });
  t.after(() => new Promise((r) => { srv.once('exit', r); srv.kill('SIGTERM'); }));
  const base = `http://127.0.0.1:${PORT_HTTP}`;
  assert.ok(await until(async () => (await call('GET', '/healthz', { base })).status === 200, 30000), 'kasusd serves the restored database');
  const auditor = await login('thun', 'auditor', base);
  const v = await call('GET', '/api/v1/audit/verify', { session: auditor, base });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.ok, true, v.text);
  console.log(`restore: ${rows.length} notes back (A and B), chain of ${v.json.events} events verifies`);
  const j = await call('GET', `/api/v1/cases/${id}/journal`, { session: await login('thun', 'teamlead', base), base });
  assert.equal(j.status, 200, j.text);
  const texts = JSON.stringify(j.json);
  assert.ok(texts.includes(`${tag}-B-4`) && !texts.includes(`${tag}-C-0`), 'the API shows B and not C');
});
