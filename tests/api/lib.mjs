// Shared helpers for the HTTP API tests (node --test tests/api/).
// Environment: KASUS_URL, KASUS_DB_APP, KASUS_DB_OWNER, KASUS_DB_SUPER,
// KASUS_REDIS_PORT, KASUS_PROFILE, KASUS_PIDFILE (see tests/run.sh).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BASE = (process.env.KASUS_URL || 'http://127.0.0.1:18091').replace(/\/+$/, '');
export const PW = 'kasus-demo';
export const PROFILE = process.env.KASUS_PROFILE || 'test';
export const REDIS_PORT = process.env.KASUS_REDIS_PORT || '63800';
export const DB_APP = process.env.KASUS_DB_APP;
export const DB_OWNER = process.env.KASUS_DB_OWNER;
export const DB_SUPER = process.env.KASUS_DB_SUPER;

let seq = 0;
/** A unique lowercase suffix for record names (slug- and username-safe). */
/**
 * A day as the service counts it, offsetDays from today: yyyy-mm-dd in
 * the service's zone (tests/run.sh runs the tests with TZ=Europe/Zurich,
 * the zone kasusd and PostgreSQL count days in), not UTC's.
 */
export function isoDay(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function uniq(prefix = 't') {
  seq += 1;
  return `${prefix}-${Date.now().toString(36)}${process.pid.toString(36)}${seq}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function lowerKeys(h) {
  const out = {};
  for (const [k, v] of Object.entries(h || {})) out[k.toLowerCase()] = v;
  return out;
}

/**
 * One HTTP request. opts: session (from login), token (API token), body
 * (JSON-encoded), raw (string/Buffer sent as is), headers, csrf (false to
 * leave out X-CSRF-Token on writes). Returns {status, headers, json, text}.
 */
export async function call(method, path, opts = {}) {
  const h = lowerKeys(opts.headers);
  if (opts.session) h.cookie = `ks_session=${opts.session.cookie}`;
  if (opts.token) h.authorization = `Bearer ${opts.token}`;
  const write = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  if (opts.session && write && opts.csrf !== false && h['x-csrf-token'] === undefined)
    h['x-csrf-token'] = opts.session.csrf;
  let body;
  if (opts.raw !== undefined) {
    body = opts.raw;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (h['content-type'] === undefined) h['content-type'] = 'application/json';
  }
  const res = await fetch(BASE + path, { method, headers: h, body, redirect: 'manual' });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text, method, path };
}

/** Short description of a response for assertion messages. */
export function show(res) {
  return `${res.method} ${res.path} -> ${res.status} ${res.text ? res.text.slice(0, 600) : ''}`;
}

/** Assert a 2xx (or the exact status given). */
export function ok(res, status) {
  if (status !== undefined) assert.equal(res.status, status, show(res));
  else assert.ok(res.status >= 200 && res.status < 300, show(res));
  return res;
}

/** Assert an error response with the contract's shape. */
export function err(res, status, code) {
  assert.equal(res.status, status, show(res));
  assert.ok(res.json && typeof res.json.error === 'object', `error body expected: ${show(res)}`);
  if (code !== undefined) {
    if (Array.isArray(code)) assert.ok(code.includes(res.json.error.code), `code one of ${code}: ${show(res)}`);
    else assert.equal(res.json.error.code, code, show(res));
  }
  assert.equal(typeof res.json.error.message, 'string', show(res));
  assert.ok(res.json.error.message.length > 0, show(res));
  assert.equal(typeof res.json.error.request_id, 'string', show(res));
  assert.ok(res.json.error.request_id.length > 0, show(res));
  return res.json.error;
}

export function cookieFrom(res) {
  const all = typeof res.headers.getSetCookie === 'function'
    ? res.headers.getSetCookie().join('\n')
    : (res.headers.get('set-cookie') || '');
  const m = /(?:^|[\s,])ks_session=([^;,\s]*)/.exec(all);
  return m ? { value: m[1], header: all } : null;
}

/** POST /api/v1/session; returns the raw response. */
export function loginRaw(tenant, username, password = PW, opts = {}) {
  return call('POST', '/api/v1/session', { ...opts, body: { tenant, username, password } });
}

/** Sign in; returns {cookie, csrf, data} or fails the test. */
export async function login(tenant, username, password = PW) {
  const res = await loginRaw(tenant, username, password);
  assert.equal(res.status, 201, `login ${tenant}/${username}: ${show(res)}`);
  const c = cookieFrom(res);
  assert.ok(c && c.value, `login ${tenant}/${username}: no ks_session cookie`);
  assert.equal(typeof res.json.csrf_token, 'string');
  return { cookie: c.value, csrf: res.json.csrf_token, data: res.json, tenant, username };
}

const sessionCache = new Map();
/** A signed-in session reused within one test file. */
export async function as(tenant, username) {
  const k = `${tenant}/${username}`;
  if (!sessionCache.has(k)) sessionCache.set(k, await login(tenant, username));
  return sessionCache.get(k);
}

export function sha256hex(s) {
  return createHash('sha256').update(s).digest('hex');
}

export function sessionKey(session) {
  return `ks:s:${sha256hex(typeof session === 'string' ? session : session.cookie)}`;
}

// ------------------------------------------------------------ processes

export function redis(...args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(REDIS_PORT), ...args.map(String)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 }).trim();
}

/** The throttle's Redis key of a tenant and username (the name is hashed). */
export function throttleKey(tenant, username) {
  return `ks:thr:u:${sha256hex(`${tenant}\n${username}`)}`;
}

/** Forget login failures for a user and for the local address. */
export function clearThrottle(tenant, username) {
  try {
    const keys = ['ks:thr:ip:127.0.0.1', 'ks:thr:ip:::1', 'ks:thr:ip:::ffff:127.0.0.1'];
    if (tenant && username) keys.push(throttleKey(tenant, username));
    redis('DEL', ...keys);
  } catch { /* redis may be down in fault tests */ }
}

/**
 * A password an administrator set must be changed at the first sign-in.
 * Tests of other things start from a user who did that already.
 */
export function passwordChosen(userId) {
  sql(DB_OWNER, `update app_user set must_change_password = false where id = ${Number(userId)}`);
}

/** Run SQL with psql; returns trimmed stdout. Multiple statements: array. */
export function sql(conninfo, statements) {
  assert.ok(conninfo, 'conninfo missing from the environment');
  const list = Array.isArray(statements) ? statements : [statements];
  const args = [conninfo, '-XAtq', '-v', 'ON_ERROR_STOP=1'];
  for (const s of list) args.push('-c', s);
  return execFileSync('psql', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 }).trim();
}

/** Run SQL expected to fail; returns stderr (throws when it succeeds). */
export function sqlError(conninfo, statements) {
  try {
    const out = sql(conninfo, statements);
    throw new assert.AssertionError({ message: `SQL unexpectedly succeeded: ${statements} -> ${out}` });
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return String(e.stderr || e.message);
  }
}

export function services(action) {
  return execFileSync('bash', ['ops/services.sh', PROFILE, action],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
}

/**
 * A kasusd of the test build of its own, on BASE's port + offset, with
 * env added to the test's (KASUS_WORKERS, KASUS_THREADS ...): start()
 * it, await up() (healthz answers), kill it with child.kill() and await
 * exited(), or stop() it; its log (stderr) is in log.
 */
export function ownServer(offset, env = {}) {
  const port = Number(new URL(BASE).port) + offset;
  const s = { url: `http://127.0.0.1:${port}`, child: null, log: '' };
  s.start = () => {
    s.log = '';
    s.child = spawn('build/asan/kasusd', ['serve'], {
      env: {
        ...process.env, KASUS_PORT: String(port),
        KASUS_PIDFILE: `${process.cwd()}/var/test/kasusd-${offset}.pid`, ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    s.child.stderr.on('data', (d) => { s.log += d; });
  };
  s.up = async () => {
    assert.ok(await until(async () => (await fetch(`${s.url}/healthz`).catch(() => ({ status: 0 }))).status === 200, 20000, 100),
      `own server up: ${s.log.slice(-400)}`);
  };
  s.exited = () => new Promise((r) => (s.child.exitCode !== null || s.child.signalCode ? r() : s.child.once('exit', r)));
  s.stop = async () => {
    if (s.child && s.child.exitCode === null && !s.child.signalCode) {
      s.child.kill('SIGTERM');
      await s.exited();
    }
  };
  return s;
}

/** Poll fn until it returns truthy or the time runs out; returns the value. */
export async function until(fn, ms = 10000, step = 200) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await fn(); } catch (e) { last = undefined; }
    if (last) return last;
    if (Date.now() > end) return last;
    await sleep(step);
  }
}

/**
 * Follow the job a route started: res is its 202 answer (Location:
 * /api/v1/jobs/{id}); polls the job as session until it ended and
 * returns it. Fails unless it ended in one of states (default done).
 */
export async function jobOf(res, session, { states = ['done'], ms = 30000 } = {}) {
  ok(res, 202);
  const loc = res.headers.get('location');
  assert.equal(loc, `/api/v1/jobs/${res.json.id}`, show(res));
  let job = res.json;
  const end = Date.now() + ms;
  while (!['done', 'failed', 'dead'].includes(job.state) && Date.now() < end) {
    await sleep(50);
    job = ok(await call('GET', loc, { session }), 200).json;
  }
  assert.ok(states.includes(job.state), `job ${job.id} (${job.type}) ended ${job.state}, not ${states}: ${JSON.stringify(job)}`);
  return job;
}

/**
 * Send only the request line and headers (no body) on a raw socket and
 * read the response. Shows that a server answers before reading a body.
 */
export function rawHead(method, path, headers, timeoutMs = 5000) {
  const u = new URL(BASE);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port || 80) });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (e) return reject(e);
      const s = buf.toString('latin1');
      const i = s.indexOf('\r\n\r\n');
      if (i < 0) return reject(new Error(`no complete response: ${JSON.stringify(s.slice(0, 200))}`));
      const lines = s.slice(0, i).split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const hdr = new Map();
      for (const l of lines.slice(1)) {
        const k = l.indexOf(':');
        hdr.set(l.slice(0, k).trim().toLowerCase(), l.slice(k + 1).trim());
      }
      const text = buf.subarray(Buffer.byteLength(s.slice(0, i + 4), 'latin1')).toString('utf8');
      let json;
      try { json = JSON.parse(text); } catch { json = undefined; }
      resolve({ status, headers: { get: (k) => hdr.get(k.toLowerCase()) ?? null }, json, text, method, path });
    };
    const timer = setTimeout(() => finish(buf.length ? null : new Error('no response before timeout')), timeoutMs);
    sock.on('connect', () => {
      let req = `${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\n`;
      for (const [k, v] of Object.entries(headers)) req += `${k}: ${v}\r\n`;
      sock.write(req + '\r\n');
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const s = buf.toString('latin1');
      const i = s.indexOf('\r\n\r\n');
      if (i >= 0) {
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(s.slice(0, i));
        if (m && buf.length >= Buffer.byteLength(s.slice(0, i + 4), 'latin1') + Number(m[1])) finish();
      }
    });
    sock.on('end', () => finish());
    sock.on('error', (e) => (buf.length ? finish() : finish(e)));
  });
}

// --------------------------------------------------------------- fixtures

/** Follow a cursor-paginated list to the end; returns all items. */
export async function listAll(path, session, limit = 2, maxPages = 500) {
  const items = [];
  let after = null;
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 0; page < maxPages; page++) {
    const q = `${path}${sep}limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    const res = ok(await call('GET', q, session.token ? { token: session.token } : { session }), 200);
    assert.ok(Array.isArray(res.json.items), show(res));
    assert.ok(res.json.items.length <= limit, `page longer than limit ${limit}: ${show(res)}`);
    assert.ok('next' in res.json, `no "next" in ${show(res)}`);
    items.push(...res.json.items);
    if (res.json.next === null) return items;
    assert.equal(typeof res.json.next, 'string', show(res));
    assert.notEqual(res.json.next, after, 'cursor did not advance');
    after = res.json.next;
  }
  throw new Error(`more than ${maxPages} pages at ${path}`);
}

/**
 * A fresh tenant made by canton-admin, with its first admin signed in:
 * {slug, tenant, admin (session), adminId, password}.
 */
export async function freshTenant(prefix = 'ft') {
  const canton = await as('canton', 'canton-admin');
  const slug = uniq(prefix);
  const t = ok(await call('POST', '/api/v1/admin/tenants', {
    session: canton, body: { slug, name: `Test ${slug}` },
  }), 201);
  const password = 'fresh-pass-' + slug;
  const a = ok(await call('POST', `/api/v1/admin/tenants/${slug}/admins`, {
    session: canton, body: { username: 'admin', display_name: 'First Admin', password },
  }), 201);
  passwordChosen(a.json.id);
  const admin = await login(slug, 'admin', password);
  return { slug, tenant: t.json, admin, adminId: admin.data.user.id, adminBody: a.json, password };
}

/** Create a user in the admin's tenant; returns {id, username, password, json}. */
export async function createUser(adminSession, roles = ['caseworker'], extra = {}) {
  const username = uniq('u');
  const password = 'user-pass-' + username;
  const res = ok(await call('POST', '/api/v1/admin/users', {
    session: adminSession,
    body: { username, display_name: `User ${username}`, password, roles, ...extra },
  }), 201);
  assert.ok(Number.isInteger(res.json.id) || typeof res.json.id === 'string', show(res));
  passwordChosen(res.json.id);
  return { id: res.json.id, username, password, json: res.json };
}

/** A team of the admin's tenant, made when missing; returns it as listed. */
export async function team(adminSession, name) {
  const r = await call('POST', '/api/v1/admin/teams', { session: adminSession, body: { name } });
  if (r.status !== 201) err(r, 409, 'already_exists');
  return ok(await call('GET', '/api/v1/teams', { session: adminSession }), 200).json.items.find((x) => x.name === name);
}

export function tenantId(slug) {
  return sql(DB_OWNER, `select id from tenant where slug = '${slug.replace(/'/g, "''")}'`);
}

/**
 * Persons and a household of a tenant made directly in the database (for
 * tests of what builds on them; the persons API has its own tests).
 * members: [{role, birth, last?, first?, lang?}] -> {household, persons}
 */
export function fixtureHousehold(slug, members) {
  const t = tenantId(slug);
  const hh = sql(DB_OWNER, `insert into household (tenant_id, name) values (${t}, '${uniq('hh')}') returning id`).split('\n')[0];
  const ids = [];
  for (const m of members) {
    const pid = sql(DB_OWNER, `insert into person (tenant_id, last_name, first_name, birth_date, language, street, house_no, postcode, town, iban)
      values (${t}, '${m.last || 'Muster'}', '${m.first || uniq('p')}', '${m.birth}', '${m.lang || 'de'}', 'Bälliz', '1', '3600', 'Thun', 'CH9300762011623852957') returning id`).split('\n')[0];
    sql(DB_OWNER, `insert into household_member (tenant_id, household_id, person_id, role, valid_from)
      values (${t}, ${hh}, ${pid}, '${m.role}', '2020-01-01')`);
    ids.push(Number(pid));
  }
  return { household: Number(hh), persons: ids };
}

/** A valid AHV number nobody has (756, 9 random digits, EAN-13 check digit). */
export function ahvNumber() {
  let d = '756';
  for (let i = 0; i < 9; i++) d += Math.floor(Math.random() * 10);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(d[i]) * (i % 2 === 0 ? 1 : 3);
  return d + ((10 - (sum % 10)) % 10);
}

/** A last name unlike any other: consonants only, so trigrams differ. */
export function surname() {
  const abc = 'bcdfghjklmnpqrstvwxz';
  let s = '';
  for (let i = 0; i < 10; i++) s += abc[Math.floor(Math.random() * abc.length)];
  return s[0].toUpperCase() + s.slice(1);
}

// ISO 20022 helpers shared by the payment tests.
export function xmllint(xml, xsd, name) {
  const f = join(mkdtempSync(join(tmpdir(), 'kasus-xml-')), name);
  writeFileSync(f, xml);
  try {
    execFileSync('xmllint', ['--noout', '--nonet', '--schema', xsd, f], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`${name} does not validate against ${xsd}: ${e.stderr}`);
  }
}

/** Transactions of a pain.001: [{e2e, amount (Rappen), iban, name}]. */
export function painTx(xml) {
  return [...xml.matchAll(/<CdtTrfTxInf>([\s\S]*?)<\/CdtTrfTxInf>/g)].map((m) => {
    const t = m[1];
    const amt = /<InstdAmt Ccy="CHF">([0-9.]+)<\/InstdAmt>/.exec(t)[1];
    return {
      e2e: /<EndToEndId>([^<]*)<\/EndToEndId>/.exec(t)[1],
      amount: Math.round(Number(amt) * 100),
      iban: /<CdtrAcct>\s*<Id>\s*<IBAN>([^<]*)</.exec(t)[1],
      name: /<Cdtr>\s*<Nm>([^<]*)</.exec(t)[1],
      xml: t,
    };
  });
}

export const chf = (r) => `${Math.floor(r / 100)}.${String(r % 100).padStart(2, '0')}`;
/** Rappen as letters print them: "CHF 1'234.50", "CHF -12.00". */
export const swissChf = (r) => `CHF ${r < 0 ? '-' : ''}${chf(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d)\.)/g, "'")}`;

/**
 * A camt.054.001.08 notification for account: tx = [{e2e, amount, cdi,
 * status, reason, ref, date, svc}].
 */
export function camt054(account, tx) {
  const ntry = tx.map((x, i) => `
    <Ntry>
      <Amt Ccy="CHF">${chf(x.amount)}</Amt>
      <CdtDbtInd>${x.cdi || 'DBIT'}</CdtDbtInd>
      <RvslInd>false</RvslInd>
      <Sts><Cd>${x.status || 'BOOK'}</Cd></Sts>
      <BookgDt><Dt>${x.date || '2040-01-02'}</Dt></BookgDt>
      <ValDt><Dt>${x.date || '2040-01-02'}</Dt></ValDt>
      <AcctSvcrRef>E${x.svc || i}</AcctSvcrRef>
      <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>${x.cdi === 'CRDT' ? 'RCDT' : 'ICDT'}</Cd><SubFmlyCd>${x.reason ? 'RRTN' : 'DMCT'}</SubFmlyCd></Fmly></Domn></BkTxCd>
      <NtryDtls><TxDtls>
        <Refs><AcctSvcrRef>T${x.svc || i}</AcctSvcrRef><EndToEndId>${x.e2e || 'NOTPROVIDED'}</EndToEndId></Refs>
        <Amt Ccy="CHF">${chf(x.amount)}</Amt>
        <CdtDbtInd>${x.cdi || 'DBIT'}</CdtDbtInd>${x.ref ? `
        <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>${x.ref}</Ref></CdtrRefInf></Strd></RmtInf>` : ''}${x.reason ? `
        <RtrInf><Rsn><Cd>${x.reason}</Cd></Rsn></RtrInf>` : ''}
      </TxDtls></NtryDtls>
    </Ntry>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>M${Date.now()}</MsgId><CreDtTm>2040-01-02T18:00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N${Date.now()}</Id>
      <CreDtTm>2040-01-02T18:00:00</CreDtTm>
      <Acct><Id><IBAN>${account}</IBAN></Id></Acct>${ntry}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
`;
}

