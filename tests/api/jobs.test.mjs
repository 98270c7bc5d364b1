// Background jobs through the API (core/jobs/job.c, core/jobs/job_runner.c), with the
// echo fixture module's job types, which the tests control: echo.count
// does `items` one by one, `step_ms` apart, reporting progress; it fails
// (503, retried) while its attempt is at most `fail_times`, and refuses
// (422, final) when `permanent`. Its items are keyed by job and item and
// counted only the first time, so a second run shows whether it changed
// anything twice; every attempt is logged with its time.
// The processes (several servers, a worker killed with -9) are in
// tests/ops/jobs.test.mjs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  call, ok, err, show, as, login, createUser, freshTenant, sql, sqlError, DB_OWNER, DB_APP,
  until, tenantId, uniq,
} from './lib.mjs';

let t;        // a social service of its own with echo switched on
let tid;
let cw;       // a case worker there: echo.write, job.status
let cw2;      // another case worker
let admin;    // its administrator: job.read, job.admin
let biel;     // another tenant's administrator

before(async () => {
  const canton = await as('canton', 'canton-admin');
  t = await freshTenant('jobs');
  tid = tenantId(t.slug);
  ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/echo`, { session: canton, body: { enabled: true } }), 200);
  const u1 = await createUser(t.admin, ['caseworker']);
  const u2 = await createUser(t.admin, ['caseworker']);
  cw = await login(t.slug, u1.username, u1.password);
  cw2 = await login(t.slug, u2.username, u2.password);
  admin = t.admin;
  biel = await as('biel', 'admin');
});

/** Start an echo.count job: 202, Location names it. */
async function start(body, session = cw) {
  const res = ok(await call('POST', '/api/v1/echo/jobs', { session, body }), 202);
  assert.equal(res.headers.get('location'), `/api/v1/jobs/${res.json.id}`, show(res));
  assert.equal(res.headers.get('etag'), `"${res.json.version}"`, show(res));
  return res.json;
}

const get = async (id, session = cw) => ok(await call('GET', `/api/v1/jobs/${id}`, { session }), 200).json;

/** Wait until the job is in one of the states; returns it. */
async function settle(id, states = ['done', 'failed', 'dead'], ms = 20000, session = cw) {
  const j = await until(async () => {
    const x = await get(id, session);
    return states.includes(x.state) ? x : null;
  }, ms, 100);
  assert.ok(j, `job ${id} did not reach ${states}: ${JSON.stringify(await get(id, session))}`);
  return j;
}

const owner = (q) => sql(DB_OWNER, q);
/** The attempts of job id whose end the echo module saw committed (its log line). */
const committed = (id) => [...readFileSync('var/test/kasusd.log', 'utf8')
  .matchAll(new RegExp(`echo job attempt ${id}\\.(\\d+) committed`, 'g'))].map((m) => m[1]);
const runs = (id) => owner(`select extract(epoch from at) from echo_job_run where job_id = ${id} order by at`)
  .split('\n').filter(Boolean).map(Number);

test('a route that starts a job answers 202 with its address; progress shows while it runs; it ends with its result', async () => {
  const j0 = await start({ items: 6, step_ms: 300 });
  assert.equal(j0.type, 'echo.count');
  assert.ok(['queued', 'running'].includes(j0.state), JSON.stringify(j0));
  assert.equal(j0.created_by, cw.data.user.id);
  assert.equal(j0.created_by_name, `User ${cw.username}`);
  // Seen over the API while it runs: some of the items done, of 6.
  const mid = await until(async () => {
    const x = await get(j0.id);
    return x.state === 'running' && x.progress.done > 0 && x.progress.done < 6 ? x : null;
  }, 10000, 50);
  assert.ok(mid, 'progress between 0 and 6 was visible while the job ran');
  assert.equal(mid.progress.total, 6);
  const j = await settle(j0.id);
  assert.equal(j.state, 'done', JSON.stringify(j));
  assert.deepEqual(j.progress, { done: 6, total: 6 });
  assert.deepEqual(j.result, { items: 6, counted: 6, attempt: 1 });
  assert.equal(j.attempts, 1);
  assert.equal(j.error, null);
  assert.ok(j.started_at && j.finished_at, JSON.stringify(j));
  // The job committed its progress between items: what it audited after
  // the first commit is in the log too, each item once.
  assert.equal(owner(`select string_agg(detail->>'item', ',' order by (detail->>'item')::int)
    from audit_event where action = 'echo_item_done' and object_id = '${j0.id}'`), '0,1,2,3,4,5');
  // The creator sees no operator's detail; job.read does.
  assert.equal(j.payload, undefined);
  const a = await get(j0.id, admin);
  assert.deepEqual(a.payload, { items: 6, step_ms: 300, fail_times: 0, permanent: false });
  assert.match(a.worker, /^.+:\d+\/\d+r?$/);
  // openapi.json names the convention for every route that starts a job.
  const doc = (await call('GET', '/api/openapi.json')).json;
  for (const [p, m] of [['/api/v1/echo/jobs', 'post'], ['/api/v1/jobs', 'post'], ['/api/v1/jobs/{id}/retry', 'post']])
    assert.ok(doc.paths[p][m].responses['202'], `${m} ${p} documents 202`);
});

test('a failing job is tried again after a back-off that doubles, then dead; an administrator gives it its attempts again (If-Match)', async () => {
  const j0 = await start({ items: 2, fail_times: 4 });
  const dead = await settle(j0.id);
  assert.equal(dead.state, 'dead', JSON.stringify(dead));
  assert.equal(dead.attempts, 3);
  assert.equal(dead.max_attempts, 3);
  assert.equal(dead.error.code, 'echo_unavailable');
  assert.equal(dead.error.attempt, 3);
  // echo.count backs off 200 ms, then 400 ms (plus at most a tenth).
  const at = runs(j0.id);
  assert.equal(at.length, 3, `three attempts: ${at}`);
  const g1 = at[1] - at[0];
  const g2 = at[2] - at[1];
  // Lower bounds: a constant back-off would bring the third attempt sooner.
  assert.ok(g1 >= 0.19 && g1 < 2, `first back-off ${g1}`);
  assert.ok(g2 >= 0.39 && g2 < 3, `second back-off ${g2}`);
  // The dead letter waits for a person: nothing runs it again by itself.
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(runs(j0.id).length, 3);
  assert.equal((await get(j0.id)).state, 'dead');

  const R = `/api/v1/jobs/${j0.id}/retry`;
  err(await call('POST', R, { session: cw }), 403, 'forbidden');
  err(await call('POST', R, { session: admin }), 428, 'precondition_required');
  const stale = err(await call('POST', R, { session: admin, headers: { 'if-match': `"${dead.version - 1}"` } }), 409, 'conflict');
  assert.equal(stale.detail.current.state, 'dead');
  const again = ok(await call('POST', R, { session: admin, headers: { 'if-match': `"${dead.version}"` } }), 202);
  assert.equal(again.headers.get('location'), `/api/v1/jobs/${j0.id}`);
  assert.equal(again.json.max_attempts, 6);
  // Attempt 4 fails as told, attempt 5 succeeds.
  const j = await settle(j0.id);
  assert.equal(j.state, 'done', JSON.stringify(j));
  assert.equal(j.attempts, 5);
  assert.equal(j.result.attempt, 5);
  assert.equal(j.result.counted, 2);
  err(await call('POST', R, { session: admin, headers: { 'if-match': `"${j.version}"` } }), 409, 'job_not_retryable');
  assert.equal(owner(`select count(*) from audit_event where tenant_id = ${tid} and action = 'job_retried' and object_id = '${j0.id}'`), '1');
});

test('a job that ran twice changed nothing twice (idempotent handler)', async () => {
  // The first attempt does every item and then fails; the second does them again.
  const j0 = await start({ items: 5, fail_times: 1 });
  const j = await settle(j0.id);
  assert.equal(j.state, 'done', JSON.stringify(j));
  assert.equal(j.attempts, 2);
  assert.equal(runs(j0.id).length, 2, 'it ran twice');
  assert.equal(owner(`select count(*) from echo_job_item where job_id = ${j0.id}`), '5');
  assert.equal(owner(`select n from echo_job_count where job_id = ${j0.id}`), '5', 'each item counted once');
  assert.equal(j.result.counted, 5);
  // The failed attempt's end was rolled back with it: its event and its
  // after-commit call are the second attempt's only.
  assert.equal(owner(`select string_agg(detail->>'attempt', ',') from audit_event
    where action = 'echo_attempt_ended' and object_id = '${j0.id}'`), '2');
  assert.deepEqual(committed(j0.id), ['2']);
  // Operators count attempts by type and how they ended.
  const metrics = (await call('GET', '/metrics')).text;
  const count = (outcome) => Number(new RegExp(`^kasus_job_attempts_total\\{type="echo.count",outcome="${outcome}"\\} (\\d+)$`, 'm')
    .exec(metrics)?.[1] ?? 0);
  assert.ok(count('done') >= 3 && count('retry') >= 3 && count('dead') >= 1, metrics.split('\n').filter((l) => l.includes('job')).join('\n'));
});

test('a job its handler refuses (4xx) fails at once and is not tried again', async () => {
  const j = await settle((await start({ items: 1, permanent: true })).id);
  assert.equal(j.state, 'failed', JSON.stringify(j));
  assert.equal(j.attempts, 1);
  assert.equal(j.error.code, 'echo_refused');
  assert.equal(typeof j.error.message, 'string');
  // The record of the refusal commits nothing the refused attempt queued.
  assert.equal(owner(`select count(*) from audit_event where action = 'echo_attempt_ended' and object_id = '${j.id}'`), '0');
  assert.deepEqual(committed(j.id), []);
});

test('a once-only key gives the job already queued with it', async () => {
  const key = uniq('k');
  const a = await start({ items: 1, key });
  const b = await start({ items: 1, key });
  assert.equal(b.id, a.id);
  assert.equal(b.key, key);
  assert.equal(owner(`select count(*) from job where tenant_id = ${tid} and key = '${key}'`), '1');
  await settle(a.id);
});

test('?wait answers once the job has ended (or after that many seconds); other values are refused; foreign jobs stay 404', async () => {
  const j0 = await start({ items: 4, step_ms: 150 });
  const P = `/api/v1/jobs/${j0.id}`;
  const t0 = Date.now();
  const j = ok(await call('GET', `${P}?wait=10`, { session: cw }), 200).json;
  assert.equal(j.state, 'done', JSON.stringify(j));
  assert.deepEqual(j.result, { items: 4, counted: 4, attempt: 1 });
  assert.ok(Date.now() - t0 < 9000, 'answered when the job ended, not after the wait');
  // A job still running after the wait: its state then.
  const slow = await start({ items: 3, step_ms: 1000 });
  const t1 = Date.now();
  const s = ok(await call('GET', `/api/v1/jobs/${slow.id}?wait=1`, { session: cw }), 200).json;
  assert.ok(['queued', 'running'].includes(s.state), JSON.stringify(s));
  assert.ok(Date.now() - t1 >= 900, 'waited about a second');
  for (const w of ['0', '11', 'x', '1.5', '-1', ''])
    err(await call('GET', `${P}?wait=${w}`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `${P}?wait=1`, { session: biel }), 404, 'not_found');
  err(await call('GET', `${P}?wait=1`, { session: cw2 }), 404, 'not_found');
  await settle(slow.id);
});

test('a job\'s end is announced at its commit (kasus_job_end, the job\'s id), which wakes the requests of every server waiting for it', async () => {
  // A listener of its own, as each server's job runners are.
  const out = [];
  const listener = spawn('psql', [DB_OWNER, '-XAtq', '-c', 'LISTEN kasus_job_end', '-c', 'SELECT pg_sleep(3)']);
  listener.stdout.on('data', (d) => out.push(String(d)));
  listener.stderr.on('data', (d) => out.push(String(d)));
  const ended = new Promise((done) => listener.on('close', done));
  await new Promise((r) => setTimeout(r, 500));
  const done = await start({ items: 2, step_ms: 100 });
  const refused = await start({ items: 1, permanent: true });
  const a = ok(await call('GET', `/api/v1/jobs/${done.id}?wait=10`, { session: cw }), 200).json;
  const b = ok(await call('GET', `/api/v1/jobs/${refused.id}?wait=10`, { session: cw }), 200).json;
  assert.equal(a.state, 'done', JSON.stringify(a));
  assert.equal(b.state, 'failed', JSON.stringify(b));
  await ended;
  const text = out.join('');
  for (const id of [done.id, refused.id])
    assert.match(text, new RegExp(`"kasus_job_end" with payload "${id}" received`), text);
});

test('jobs are the tenant\'s: other tenants get 404, colleagues without job.read too; row-level security on the table', async () => {
  const j = await settle((await start({ items: 1 })).id);
  const P = `/api/v1/jobs/${j.id}`;
  err(await call('GET', P, { session: biel }), 404, 'not_found');
  err(await call('POST', `${P}/retry`, { session: biel, headers: { 'if-match': `"${j.version}"` } }), 404, 'not_found');
  assert.ok(!ok(await call('GET', '/api/v1/jobs?limit=500', { session: biel }), 200).json.items.some((x) => x.id === j.id));
  // Within the tenant: the one who started it, and job.read.
  err(await call('GET', P, { session: cw2 }), 404, 'not_found');
  err(await call('GET', '/api/v1/jobs', { session: cw }), 403, 'forbidden');
  ok(await call('GET', P, { session: admin }), 200);
  // The application role sees no job without the tenant setting, only
  // the tenant's with it, and cannot write another tenant's.
  const bielId = tenantId('biel');
  assert.equal(sql(DB_APP, 'select count(*) from job'), '0');
  const mine = sql(DB_APP, [`select set_config('kasus.tenant_id', '${tid}', false)`,
    `select count(*) || '/' || count(*) filter (where tenant_id <> ${tid}) from job`]).split('\n').pop();
  assert.equal(mine, `${owner(`select count(*) from job where tenant_id = ${tid}`)}/0`);
  const e = sqlError(DB_APP, [`select set_config('kasus.tenant_id', '${tid}', false)`,
    `insert into job (tenant_id, type) values (${bielId}, 'echo.count')`]);
  assert.match(e, /row-level security/i, e);
  assert.equal(owner("select relrowsecurity and relforcerowsecurity from pg_class where relname = 'job'"), 't');
});

test('the list: newest first, paged, by state', async () => {
  const L = '/api/v1/jobs';
  const all = ok(await call('GET', `${L}?limit=500`, { session: admin }), 200).json.items;
  assert.ok(all.length >= 5, `${all.length} jobs`);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].id > all[i].id, 'newest first');
  const p1 = ok(await call('GET', `${L}?limit=2`, { session: admin }), 200).json;
  const p2 = ok(await call('GET', `${L}?limit=2&after=${p1.next}`, { session: admin }), 200).json;
  assert.deepEqual([...p1.items, ...p2.items].map((x) => x.id), all.slice(0, 4).map((x) => x.id));
  const failed = ok(await call('GET', `${L}?state=failed&limit=500`, { session: admin }), 200).json.items;
  assert.ok(failed.length >= 1 && failed.every((x) => x.state === 'failed'), JSON.stringify(failed));
  const e = err(await call('GET', `${L}?state=stuck`, { session: admin }), 400, 'invalid_parameter');
  assert.equal(e.detail.parameter, 'state');
});

test('scheduled jobs: the types of the tenant\'s modules; one run now (202); review reminders for ongoing dossiers that have none, once', async () => {
  const thun = await as('thun', 'admin');
  const types = ok(await call('GET', '/api/v1/job-types', { session: thun }), 200).json.items;
  const names = types.map((x) => x.type);
  assert.ok(names.includes('core.jobs_prune') && names.includes('sozialhilfe.review_reminders'), JSON.stringify(types));
  assert.ok(!names.includes('echo.daily'), 'echo is off in Thun');
  assert.deepEqual(types.find((x) => x.type === 'sozialhilfe.review_reminders'),
    { type: 'sozialhilfe.review_reminders', module: 'sozialhilfe', schedule: 'daily' });
  // Every tenant with the module has today's run, once.
  const [today, thunId, cantonId] = owner(`select to_char(current_date, 'YYYY-MM-DD'),
    (select id from tenant where slug = 'thun'), (select id from tenant where slug = 'canton')`).split('|');
  const day = (tenant, type) => `(select count(*)::text from job where tenant_id = ${tenant} and type = '${type}' and key = '${today}')`;
  assert.equal(owner(`select ${day(thunId, 'sozialhilfe.review_reminders')} || ${day(thunId, 'core.jobs_prune')}
    || ${day(cantonId, 'core.jobs_prune')} || ${day(cantonId, 'sozialhilfe.review_reminders')}`), '1110',
  'one run a day where the module is on; the canton has no Sozialhilfe');

  // Three ongoing dossiers: a never reviewed since support started on
  // 2025-03-01, b whose last reminder was marked done on 2026-06-01, c
  // with a reminder still open.
  const [a, b, c] = owner(`with h as (insert into household (tenant_id, name)
      select ${thunId}, '${uniq('jobs')}-' || g from generate_series(1, 3) g returning id, name),
    p as (insert into person (tenant_id, last_name, first_name, birth_date)
      select ${thunId}, 'Muster', h.name, '1970-05-05' from h returning id, first_name),
    m as (insert into household_member (tenant_id, household_id, person_id, role, valid_from)
      select ${thunId}, h.id, p.id, 'applicant', '2020-01-01' from h join p on p.first_name = h.name
      returning household_id, person_id),
    d as (insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs, opened_on)
      select ${thunId}, 'sozialhilfe', household_id, person_id, 'ongoing', 942, '2025-01-10' from m returning id)
    select string_agg(id::text, ',' order by id) from d`).split(',');
  sql(DB_OWNER, [
    `insert into dossier_transition (tenant_id, dossier_id, from_state, to_state, actor_id, at)
      values (${thunId}, ${a}, 'decision', 'ongoing', ${thun.data.user.id}, '2025-03-01 10:00+01')`,
    `insert into deadline (tenant_id, dossier_id, due_on, kind, text, done_on) values
      (${thunId}, ${b}, '2026-06-01', 'review_due', 'Periodische Überprüfung fällig', '2026-06-01')`,
    `insert into deadline (tenant_id, dossier_id, due_on, kind, text) values
      (${thunId}, ${c}, '2027-01-01', 'review_due', 'Periodische Überprüfung fällig')`]);
  const open = () => owner(`select string_agg(coalesce((select string_agg(due_on::text, ',') from deadline
    where dossier_id = d and kind = 'review_due' and done_on is null), '-'), ' ' order by d)
    from unnest(array[${a}, ${b}, ${c}]::bigint[]) d`);

  const res = ok(await call('POST', '/api/v1/jobs', { session: thun, body: { type: 'sozialhilfe.review_reminders' } }), 202);
  assert.equal(res.headers.get('location'), `/api/v1/jobs/${res.json.id}`);
  const j = await settle(res.json.id, undefined, 20000, thun);
  assert.equal(j.state, 'done', JSON.stringify(j));
  assert.ok(j.result.created >= 2 && j.result.checked >= j.result.created, JSON.stringify(j.result));
  assert.equal(j.progress.done, j.progress.total);
  assert.equal(open(), '2025-09-01 2026-12-01 2027-01-01');
  assert.equal(owner(`select count(*) from audit_event where tenant_id = ${thunId} and action = 'deadline_added'
    and detail->>'dossier' in ('${a}', '${b}') and detail->>'by' = 'review_reminders'`), '2');
  // Once: run again, nothing new for them.
  const j2 = await settle(ok(await call('POST', '/api/v1/jobs', { session: thun, body: { type: 'sozialhilfe.review_reminders' } }), 202).json.id, undefined, 20000, thun);
  assert.equal(j2.state, 'done');
  assert.equal(open(), '2025-09-01 2026-12-01 2027-01-01');
  assert.equal(owner(`select count(*) from audit_event where action = 'job_started' and object_id = '${j2.id}'`), '1');

  // Only scheduled types of the tenant's modules, only for job.admin.
  for (const type of ['echo.count', 'echo.daily', 'core.nothing', 'sozialhilfe'])
    assert.equal(err(await call('POST', '/api/v1/jobs', { session: thun, body: { type } }), 400, 'invalid_value').detail.field, 'type', type);
  err(await call('POST', '/api/v1/jobs', { session: await as('thun', 'caseworker'), body: { type: 'core.jobs_prune' } }), 403, 'forbidden');
});

test('an idle runner sleeps: job_claim names no wait when nothing of its types is queued', () => {
  // It answered 0 (greatest(0, NULL)), and every runner claimed again
  // after 5 ms, about 200 times a second each (migration 0026).
  const type = `test.${uniq('idle').replace(/[^a-z0-9_]/g, '_')}`;
  const claim = () => sql(DB_APP, `select coalesce(round(wait_s)::text, 'none')
    from job_claim('test', array['${type}'])`);
  assert.equal(claim(), 'none');
  const owner = (s) => sql(DB_OWNER, [`select set_config('kasus.tenant_id', '${tid}', false)`, s]).split('\n').pop();
  owner(`insert into job (tenant_id, type, payload, run_after) values (${tid}, '${type}', '{}', now() + interval '1 hour')`);
  try {
    // an hour from the insert, less the time since (a loaded machine)
    const wait = Number(claim());
    assert.ok(wait > 3500 && wait <= 3600, `waits ${wait} s`);
  } finally {
    owner(`delete from job where type = '${type}'`);
  }
  assert.equal(claim(), 'none');
});

test('a job a route queued does not wait for scheduled jobs: each worker has a route lane', async () => {
  // Eight scheduled jobs that hold their runner 3 s each, queued first:
  // the general runners take them one after the other, oldest first, so
  // while some are still queued only the route lane can run echo.count.
  const tag = uniq('slow');
  const own = (s) => sql(DB_OWNER, [`select set_config('kasus.tenant_id', '${tid}', false)`, s]).split('\n').pop();
  own(`insert into job (tenant_id, type, key, payload)
       select ${tid}, 'echo.daily', '${tag}-' || g, '{"sleep_ms": 3000}'
         from generate_series(1, 8) g`);
  try {
    assert.ok(await until(() => Number(own(`select count(*) from job
      where key like '${tag}-%' and state = 'running'`)) >= 1, 10000, 50), 'no runner took a slow job');
    const j = await start({ items: 1 });
    const done = await settle(j.id, ['done', 'failed', 'dead'], 6000);
    assert.equal(done.state, 'done', JSON.stringify(done));
    // The server's connections count time in the service's zone
    // (timezone = Europe/Zurich, PGTZ), not the machine's UTC.
    assert.match(done.created_at, /\+0[12]$/, done.created_at);
    const queued = Number(own(`select count(*) from job where key like '${tag}-%' and state = 'queued'`));
    assert.ok(queued > 0, 'the scheduled jobs were all taken before the route\'s: the test proves nothing');
    assert.match(owner(`select worker from job where id = ${j.id}`), /\/\d+r$/, 'not run by a route lane');
  } finally {
    own(`delete from job where key like '${tag}-%' and state = 'queued'`);
  }
});
