// Background jobs across processes: a scheduled job runs once per tenant
// and period although several servers with several workers each ask for
// it, and a worker killed with -9 in the middle of a job loses it to
// another worker once its lease ran out, which finishes it, each item
// once. Uses the echo fixture module's job types (see
// tests/api/jobs.test.mjs) and a second kasusd of the test build on the
// next port, against the same PostgreSQL and Redis.
// Environment: KASUS_ROOT, KASUS_PIDFILE, KASUS_URL and the rest of
// tests/run.sh's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import {
  call, ok, as, login, createUser, freshTenant, sql, DB_OWNER, until, tenantId, BASE,
} from '../api/lib.mjs';

const ROOT = process.env.KASUS_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const LOG = path.join(ROOT, 'var/test/kasusd.log');
const LOG2 = path.join(ROOT, 'var/test/kasusd-jobs.log');
const PORT2 = Number(new URL(BASE).port) + 1;
const BASE2 = `http://127.0.0.1:${PORT2}`;

let t;
let tid;
let cw;
let admin;
let second = null;	// the second server (ChildProcess)

const owner = (q) => sql(DB_OWNER, q);
const children = (pid) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout
  .split('\n').filter(Boolean).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

before(async () => {
  const canton = await as('canton', 'canton-admin');
  t = await freshTenant('jobsops');
  tid = tenantId(t.slug);
  const u = await createUser(t.admin, ['caseworker']);
  cw = await login(t.slug, u.username, u.password);
  admin = t.admin;
  // Echo goes on only once the second server is up (first test).
  t.canton = canton;
});

after(() => {
  if (second && second.exitCode === null) second.kill('SIGKILL');
});

async function job(id) {
  return ok(await call('GET', `/api/v1/jobs/${id}`, { session: admin }), 200).json;
}

test('a scheduled job runs once per tenant and day although two servers with two workers each schedule it', async () => {
  const out = fs.openSync(LOG2, 'w');
  second = spawn(path.join(ROOT, 'build/asan/kasusd'), ['serve'], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    env: {
      ...process.env, KASUS_PORT: String(PORT2), KASUS_WORKERS: '2', KASUS_JOB_SCHEDULE_S: '1',
      KASUS_PIDFILE: path.join(ROOT, 'var/test/kasusd-jobs.pid'),
    },
  });
  fs.closeSync(out);
  const up = await until(async () => (await fetch(`${BASE2}/healthz`).catch(() => null))?.status === 200, 30000, 200);
  assert.ok(up, `the second server answers: ${fs.readFileSync(LOG2, 'utf8').slice(-2000)}`);
  assert.equal(children(second.pid).length, 2, 'two workers');

  ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/echo`, { session: t.canton, body: { enabled: true } }), 200);
  const today = owner("select to_char(current_date, 'YYYY-MM-DD')");
  const daily = () => owner(`select id || ' ' || state from job where tenant_id = ${tid} and type = 'echo.daily' and key = '${today}'`)
    .split('\n').filter(Boolean);
  const done = await until(() => { const d = daily(); return d.length >= 1 && d.every((x) => x.endsWith(' done')) ? d : null; }, 15000, 100);
  assert.ok(done, `today's echo.daily ran: ${daily()}`);
  // Every worker of both servers asks again every second or two: still one.
  await new Promise((r) => setTimeout(r, 4000));
  const d = daily();
  assert.equal(d.length, 1, `one job for the tenant and day: ${d}`);
  const id = d[0].split(' ')[0];
  assert.equal(owner(`select count(*) from echo_job_run where job_id = ${id}`), '1', 'it ran once');
  const j = await job(id);
  assert.deepEqual(j.result, { period: today });
  assert.equal(j.created_by, null, 'a scheduled job has no creator');
  assert.equal(j.key, today);
  assert.ok(/job echo\.daily scheduled for/.test(fs.readFileSync(LOG2, 'utf8') + fs.readFileSync(LOG, 'utf8')));

  // The second server stops at once, its workers with it (in the test
  // build, LeakSanitizer runs in each worker under the filter).
  const t0 = Date.now();
  const ws = children(second.pid);
  second.kill('SIGTERM');
  const stopped = await until(() => second.exitCode !== null && ws.every((w) => !alive(w)), 15000, 50);
  assert.ok(stopped, 'the second server stopped');
  assert.equal(second.exitCode, 0);
  assert.ok(Date.now() - t0 < 12000, `it stopped in ${Date.now() - t0} ms (it waited 20 s for a killed leak check)`);
  assert.match(fs.readFileSync(LOG2, 'utf8'), /info pid=\d+ stopped/);
});

test('kill -9 of the worker running a job: another worker takes it over when the lease runs out and finishes it, each item once', async () => {
  const parent = Number(fs.readFileSync(process.env.KASUS_PIDFILE, 'utf8').trim());
  const started = ok(await call('POST', '/api/v1/echo/jobs', { session: cw, body: { items: 12, step_ms: 250 } }), 202).json;
  const running = await until(async () => {
    const j = await job(started.id);
    return j.state === 'running' && j.progress.done >= 3 ? j : null;
  }, 15000, 50);
  assert.ok(running, `the job runs: ${JSON.stringify(await job(started.id))}`);
  const victim = Number(/:(\d+)\//.exec(running.worker)[1]);
  assert.ok(children(parent).includes(victim), `${victim} is a worker of the server (${children(parent)})`);
  const logBefore = fs.readFileSync(LOG, 'utf8').length;
  process.kill(victim, 'SIGKILL');

  const j = await until(async () => {
    const x = await job(started.id);
    return ['done', 'failed', 'dead'].includes(x.state) ? x : null;
  }, 30000, 100);
  assert.ok(j, `the job ended: ${JSON.stringify(await job(started.id))}`);
  assert.equal(j.state, 'done', JSON.stringify(j));
  assert.equal(j.attempts, 2, 'taken over once');
  assert.notEqual(Number(/:(\d+)\//.exec(j.worker)[1]), victim);
  assert.deepEqual(j.progress, { done: 12, total: 12 });
  assert.equal(j.result.counted, 12);
  assert.equal(owner(`select count(*) from echo_job_item where job_id = ${started.id}`), '12');
  assert.equal(owner(`select n from echo_job_count where job_id = ${started.id}`), '12', 'each item once');
  const at = owner(`select extract(epoch from at) from echo_job_run where job_id = ${started.id} order by at`)
    .split('\n').map(Number);
  assert.equal(at.length, 2);
  // Taken over only once the lease (2 s for echo.count) had run out.
  assert.ok(at[1] - at[0] >= 2, `second attempt ${at[1] - at[0]} s after the first`);
  // The parent replaced the worker; the server serves.
  const log = fs.readFileSync(LOG, 'utf8').slice(logBefore);
  assert.match(log, new RegExp(`worker \\d+ \\(pid ${victim}\\) ended \\(signal 9\\)`));
  await until(async () => (await call('GET', '/healthz')).status === 200, 15000, 100);
  await until(() => children(parent).length >= 2, 15000, 100);
});
