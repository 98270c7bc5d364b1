// Helpers for the failure tests of the cluster on one machine
// (ops/cluster.sh; environment from var/cluster/env, see tests/cluster/run.sh).
// Load is bounded: a fixed number of client loops, each stopping at a
// deadline and after a maximum number of requests, only to 127.0.0.1.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const URL_ = process.env.KASUS_CLUSTER_URL;
export const DIR = process.env.KASUS_CLUSTER_DIR;
export const DB_OWNER = process.env.KASUS_DB_OWNER;
export const NODE_PORTS = (process.env.KASUS_CLUSTER_NODE_PORTS || '').split(' ').filter(Boolean);
export const PG_PORTS = (process.env.KASUS_CLUSTER_PG_PORTS || '').split(' ').filter(Boolean);
export const PATRONI_PORTS = (process.env.KASUS_CLUSTER_PATRONI_PORTS || '').split(' ').filter(Boolean);
export const REDIS_PORTS = (process.env.KASUS_CLUSTER_REDIS_PORTS || '').split(' ').filter(Boolean);
export const SENTINEL_PORTS = (process.env.KASUS_CLUSTER_SENTINEL_PORTS || '').split(' ').filter(Boolean);
export const STATS_URL = process.env.KASUS_CLUSTER_STATS_URL;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(fn, ms, step = 200) {
  const end = Date.now() + ms;
  for (;;) {
    let v;
    try { v = await fn(); } catch { v = undefined; }
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(step);
  }
}

/** One request through HAProxy (or base); never throws: status 0 = no answer. */
export async function call(method, p, { session, body, base = URL_, timeout = 15000, headers = {} } = {}) {
  const h = { ...headers };
  if (session) {
    h.cookie = `ks_session=${session.cookie}`;
    if (method !== 'GET') h['x-csrf-token'] = session.csrf;
  }
  if (body !== undefined) h['content-type'] = 'application/json';
  const t0 = Date.now();
  try {
    const res = await fetch(base + p, {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeout),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text, t0, t1: Date.now(), headers: res.headers };
  } catch (e) {
    return { status: 0, json: undefined, text: String(e.cause?.code || e.message), t0, t1: Date.now() };
  }
}

export async function login(tenant, username, base = URL_) {
  for (let i = 0; i < 20; i++) {
    const r = await call('POST', '/api/v1/session', { body: { tenant, username, password: 'kasus-demo' }, base });
    if (r.status === 201) {
      const m = /ks_session=([^;]+)/.exec(r.headers.get('set-cookie') || '');
      return { cookie: m[1], csrf: r.json.csrf_token };
    }
    await sleep(500);
  }
  throw new Error(`cannot sign in as ${tenant}/${username}`);
}

/** A new dossier in thun, registered by the session (a team lead). */
export async function dossier(session) {
  const t = sql("SELECT id FROM tenant WHERE slug = 'thun'");
  const u = Date.now().toString(36);
  const hh = sql(`INSERT INTO household (tenant_id, name) VALUES (${t}, 'cluster-${u}') RETURNING id`).split('\n')[0];
  const pid = sql(`INSERT INTO person (tenant_id, last_name, first_name, birth_date, language, street, house_no, postcode, town)
    VALUES (${t}, 'Cluster', 'Test ${u}', '1980-01-01', 'de', 'Bälliz', '1', '3600', 'Thun') RETURNING id`).split('\n')[0];
  sql(`INSERT INTO household_member (tenant_id, household_id, person_id, role, valid_from)
    VALUES (${t}, ${hh}, ${pid}, 'applicant', '2020-01-01')`);
  const cw = sql(`SELECT id FROM app_user WHERE tenant_id = ${t} AND username = 'caseworker'`);
  const r = await call('POST', '/api/v1/cases', {
    session,
    body: { household_id: Number(hh), applicant_id: Number(pid), municipality_bfs: 942, caseworker_id: Number(cw) },
  });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

/**
 * Bounded write load: `clients` loops, each adding journal notes with a
 * unique text until `stop()` says so, the deadline passes or it made
 * `max` requests. Returns every request's outcome.
 */
export async function writeLoad({ session, dossierId, tag, clients = 6, ms = 20000, max = 2000, stop = () => false, onResult = () => {} }) {
  const results = [];
  const deadline = Date.now() + ms;
  let seq = 0;
  async function loop() {
    for (let i = 0; i < max && Date.now() < deadline && !stop(); i++) {
      const text = `${tag}-${seq++}`;
      const r = await call('POST', `/api/v1/cases/${dossierId}/journal`, {
        session, body: { category: 'other', text },
      });
      const o = { text, status: r.status, code: r.json?.error?.code, id: r.json?.id, t0: r.t0, t1: r.t1, why: r.status === 0 ? r.text : undefined };
      results.push(o);
      onResult(o);
      if (r.status !== 201) await sleep(50);
    }
  }
  await Promise.all(Array.from({ length: clients }, loop));
  return results;
}

/** Run SQL as the owner on the current primary; returns trimmed stdout. */
export function sql(q) {
  return execFileSync('psql', [DB_OWNER, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', q],
    { encoding: 'utf8', timeout: 30000 }).trim();
}

/** Every acknowledged note exists once; returns how many rows carry the tag. */
export function assertAcknowledgedKept(results, tag) {
  const acked = results.filter((r) => r.status === 201);
  assert.ok(acked.length > 0, 'some writes were acknowledged');
  const rows = sql(`SELECT id || ' ' || text FROM journal_entry WHERE text LIKE '${tag}-%'`)
    .split('\n').filter(Boolean).map((l) => l.split(' '));
  const byText = new Map(rows.map(([id, text]) => [text, Number(id)]));
  const lost = acked.filter((r) => byText.get(r.text) !== r.id);
  assert.deepEqual(lost.map((r) => r.text), [], `${lost.length} acknowledged writes are missing`);
  // A write that failed may have committed before its answer was lost,
  // but nothing was written twice.
  assert.equal(new Set(rows.map((r) => r[1])).size, rows.length, 'no note twice');
  assert.ok(rows.length <= results.length);
  return rows.length;
}

export function cluster(action) {
  return execFileSync('bash', [path.join(ROOT, 'ops/cluster.sh'), action],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 });
}

export function pidOf(file) {
  return Number(fs.readFileSync(path.join(DIR, file), 'utf8').trim());
}

/** Children of a process (from /proc), to end a whole tree by id. */
export function children(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

export function kill9(pids) {
  for (const p of pids) {
    try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** HAProxy's view of the nodes: {node1: 'UP', ...}. */
export async function backendState() {
  const r = await fetch(STATS_URL);
  const out = {};
  for (const line of (await r.text()).split('\n')) {
    const f = line.split(',');
    if (f[0] === 'nodes' && f[1] !== 'BACKEND') out[f[1]] = f[17];
  }
  return out;
}

export function summary(results) {
  const by = {};
  for (const r of results) {
    const k = r.status === 201 ? '201' : `${r.status}${r.code ? ` ${r.code}` : ''}${r.why ? ` ${r.why}` : ''}`;
    by[k] = (by[k] || 0) + 1;
  }
  return by;
}
