// kill -9 of the node that runs a payment run's export job, in the middle
// of it: after the job's lease another node takes the job over and
// finishes it, and nothing is paid twice - every end-to-end id is in the
// file once and on the client account once.
//
// The export reads the lines, writes the file and marks the run exported
// (which books the lines as the client accounts' payments, view ledger),
// then records the export in the tenant's audit chain and commits. To
// catch it between the mark and the commit the test holds, in a
// transaction of its own, the head of the tenant's audit chain, so the
// job waits there. The node holding the job is found by the job's worker
// (host:pid/runner) and killed with its workers; the test's transaction
// is then rolled back.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  login, call, sql, pidOf, children, kill9, until, cluster, backendState, DB_OWNER, NODE_PORTS,
} from './lib.mjs';

const R = '/api/v1/payment-runs';

/** A valid Swiss IBAN (mod 97). */
function iban() {
  const bban = `00762${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
  return `CH${String(98n - (BigInt(`${bban}121700`) % 97n)).padStart(2, '0')}${bban}`;
}

/** Follow a job started by a 202 answer until it is in one of states. */
async function jobUntil(session, id, states, ms) {
  const j = await until(async () => {
    const r = await call('GET', `/api/v1/jobs/${id}`, { session });
    return r.status === 200 && states.includes(r.json.state) ? r.json : null;
  }, ms, 200);
  assert.ok(j, `job ${id} did not reach ${states}: ${(await call('GET', `/api/v1/jobs/${id}`, { session })).text}`);
  return j;
}

/** A psql session that keeps a transaction open until end() is called. */
function holder(statements) {
  const p = spawn('psql', [DB_OWNER, '-XAtq', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let errs = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { errs += d; });
  const closed = new Promise((res) => p.on('close', res));
  let ended = null;
  p.stdin.write(`BEGIN;\n${statements}\nSELECT 'held';\n`);
  return {
    ready: async () => assert.ok(await until(() => out.includes('held') || errs, 10000, 50) && !errs, errs),
    end: () => { if (!ended) { p.stdin.end('ROLLBACK;\n'); ended = closed; } return ended; },
  };
}

/** The node (1-based) whose kasusd runs process pid, with its tree. */
function nodeOf(pid) {
  for (let n = 1; n <= NODE_PORTS.length; n++) {
    const parent = pidOf(`node${n}/kasusd.pid`);
    const tree = [parent, ...children(parent)];
    if (tree.includes(pid)) return { n, tree };
  }
  return null;
}

test('a node killed in the middle of a payment export job: another node finishes it, nothing paid twice', async () => {
  const acc = await login('thun', 'accounting');
  const lead = await login('thun', 'teamlead');
  const admin = await login('thun', 'admin');
  const t = sql("SELECT id FROM tenant WHERE slug = 'thun'");
  const cw = sql(`SELECT id FROM app_user WHERE tenant_id = ${t} AND username = 'caseworker'`);
  const y = Number(sql(`SELECT y FROM generate_series(2150, 2199) y WHERE NOT EXISTS (SELECT 1 FROM payment_run
    WHERE tenant_id = ${t} AND extract(year FROM month) = y) ORDER BY random() LIMIT 1`));
  const month = `${y}-01`;
  // Enough supported dossiers for a run of some size.
  const N = 400;
  sql(`DO $$ DECLARE p bigint; h bigint; d bigint; BEGIN
    FOR i IN 1..${N} LOOP
      INSERT INTO person (tenant_id, last_name, first_name, birth_date, street, house_no, postcode, town, country, iban)
        VALUES (${t}, 'Zahllauf', 'Person ' || i, '1980-04-01', 'Bahnhofstrasse', '12', '3600', 'Thun', 'CH', '${iban()}')
        RETURNING id INTO p;
      INSERT INTO household (tenant_id, name) VALUES (${t}, 'Zahllauf ' || i) RETURNING id INTO h;
      INSERT INTO household_member (tenant_id, household_id, person_id, role, valid_from)
        VALUES (${t}, h, p, 'applicant', '2020-01-01');
      INSERT INTO dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
        VALUES (${t}, 'sozialhilfe', h, p, 'ongoing', 942) RETURNING id INTO d;
      INSERT INTO sh_budget (tenant_id, dossier_id, valid_from, input, need, income_counted, payment, rent_direct,
          landlord, provenance, status, created_by)
        VALUES (${t}, d, '${month}-01', '{"rent": 0, "kvg_premium": 0}', 100000 + i, 0, 100000 + i, false, NULL, '[]',
          'approved', ${cw});
    END LOOP; END $$`);

  // The run: made by its job, approved by the team lead.
  const made = await call('POST', R, { session: acc, body: { month } });
  assert.equal(made.status, 202, made.text);
  const runId = (await jobUntil(acc, made.json.id, ['done'], 60000)).result.run;
  const cur = await call('GET', `${R}/${runId}`, { session: lead });
  const ap = await call('POST', `${R}/${runId}/approve`, { session: lead, headers: { 'if-match': cur.headers.get('etag') } });
  assert.equal(ap.status, 200, ap.text);
  const lines = sql(`SELECT id || ' ' || end_to_end_id || ' ' || dossier_id FROM payment_line
    WHERE run_id = ${runId} AND status <> 'held' ORDER BY id`).split('\n').map((l) => l.split(' '));
  assert.ok(lines.length >= N, `${lines.length} payments`);
  const e2e = lines.map((l) => l[1]);

  // The export waits at the audit chain, its run marked exported.
  const hold = holder(`SELECT 1 FROM audit_head WHERE tenant_id = ${t} FOR UPDATE;`);
  await hold.ready();
  let killed = null;
  try {
    const ex = await call('POST', `${R}/${runId}/export`, { session: acc });
    assert.equal(ex.status, 202, ex.text);
    const jobId = ex.json.id;
    const waiting = await until(() => sql("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'") === '1', 30000, 100);
    assert.ok(waiting, 'the export waits at the audit chain');
    const running = (await call('GET', `/api/v1/jobs/${jobId}`, { session: admin })).json;
    assert.equal(running.state, 'running');
    assert.equal(running.progress.total, lines.length);
    const pid = Number(/:(\d+)\//.exec(running.worker)?.[1]);
    killed = nodeOf(pid);
    assert.ok(killed, `the worker ${running.worker} belongs to a node`);
    console.log(`payment job: progress ${running.progress.done} of ${lines.length}, waiting at the audit chain, when node${killed.n} (worker ${pid}) was killed`);
    kill9(killed.tree);
    await hold.end();

    // After the lease (20 s) another node finishes the job.
    const done = await jobUntil(admin, jobId, ['done', 'failed', 'dead'], 120000);
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.ok(done.attempts >= 2, `taken over: ${done.attempts} attempts`);
    const now = Number(/:(\d+)\//.exec(done.worker)?.[1]);
    assert.ok(now > 0, `finished by ${done.worker}`);
    assert.notEqual(now, pid, 'another worker finished it');
    assert.notEqual(nodeOf(now)?.n, killed.n, 'on another node');
    assert.deepEqual(done.progress, { done: lines.length, total: lines.length });
    assert.equal(done.result.payments, lines.length);

    // Nothing paid twice: each end-to-end id once in the file, booked once.
    const file = await call('GET', `${R}/${runId}/pain001`, { session: acc });
    assert.equal(file.status, 200, file.text.slice(0, 300));
    const inFile = [...file.text.matchAll(/<EndToEndId>([^<]+)<\/EndToEndId>/g)].map((m) => m[1]);
    assert.equal(new Set(inFile).size, inFile.length, 'end-to-end ids unique in the file');
    assert.deepEqual([...inFile].sort(), [...e2e].sort(), 'the file pays every line');
    const booked = sql(`SELECT ref, count(*), sum(amount) FROM ledger
      WHERE tenant_id = ${t} AND kind = 'payment' AND ref IN (SELECT end_to_end_id FROM payment_line WHERE run_id = ${runId})
      GROUP BY ref`).split('\n').filter(Boolean).map((l) => l.split('|'));
    assert.equal(booked.length, lines.length, 'every payment booked');
    assert.deepEqual(booked.filter((b) => b[1] !== '1'), [], 'no payment booked twice');
    assert.ok(booked.every((b) => Number(b[2]) <= -100000), 'booked with the line amount');
  } finally {
    await hold.end();
    if (killed) {
      cluster('start');
      assert.ok(await until(async () => (await backendState())[`node${killed.n}`] === 'UP', 30000), `node${killed.n} back in service`);
    }
  }
});
