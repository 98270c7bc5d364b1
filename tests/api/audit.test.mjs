// Audit log: events for logins and writes, pagination, hash-chain verify,
// tamper detection, append-only for the application role.
// Everything runs in a fresh tenant so breaking its chain harms no one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, login, loginRaw, freshTenant, createUser, listAll,
  sql, sqlError, DB_APP, DB_SUPER, clearThrottle,
} from './lib.mjs';

let ft;
let auditor;
let created;
before(async () => {
  ft = await freshTenant('aud');
  const a = await createUser(ft.admin, ['auditor']);
  auditor = await login(ft.slug, a.username, a.password);
  created = await createUser(ft.admin, ['caseworker']);
  const g = ok(await call('GET', `/api/v1/admin/users/${created.id}`, { session: ft.admin }), 200);
  ok(await call('PATCH', `/api/v1/admin/users/${created.id}`, { session: ft.admin, body: { display_name: 'Audited Change' }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  err(await loginRaw(ft.slug, created.username, 'definitely-wrong'), 401, 'invalid_credentials');
  clearThrottle(ft.slug, created.username);
});
after(() => clearThrottle());

test('logins, failed logins and writes appear in the audit log', async () => {
  const items = await listAll('/api/v1/audit', auditor, 500);
  assert.ok(items.length >= 6, `events: ${items.length}`);
  for (const e of items) {
    for (const k of ['seq', 'at', 'actor_id', 'action', 'object_type', 'object_id', 'detail']) assert.ok(k in e, `${k} in ${JSON.stringify(e)}`);
  }
  const logins = items.filter((e) => e.action === 'login');
  assert.ok(logins.some((e) => String(e.object_id) === String(ft.adminId)), 'admin login recorded');
  const failed = items.filter((e) => /fail/.test(e.action));
  assert.ok(failed.some((e) => String(e.object_id) === String(created.id)), `failed login recorded: ${JSON.stringify(failed)}`);
  assert.ok(!JSON.stringify(failed).includes('definitely-wrong'), 'no password in the audit log');
  const writes = items.filter((e) => String(e.object_id) === String(created.id) && e.action !== 'login' && !/fail/.test(e.action));
  assert.ok(writes.length >= 2, `creation and change of the user recorded: ${JSON.stringify(writes)}`);
  assert.ok(writes.every((e) => e.actor_id === ft.adminId), 'actor is the admin');
  assert.ok(items.some((e) => e.object_type === 'user' && e.actor_id === ft.adminId && String(e.object_id) !== String(created.id)),
    'creation of the auditor user recorded');
});

test('audit pagination: pages do not overlap and cover everything', async () => {
  const all = await listAll('/api/v1/audit', auditor, 500);
  const paged = await listAll('/api/v1/audit', auditor, 2);
  assert.equal(paged.length, all.length, 'paged and unpaged counts agree');
  const seqs = paged.map((e) => e.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
  const sorted = [...seqs].sort((a, b) => a - b);
  const desc = [...sorted].reverse();
  assert.ok(JSON.stringify(seqs) === JSON.stringify(sorted) || JSON.stringify(seqs) === JSON.stringify(desc), 'ordered by seq');
  assert.equal(sorted[0], 1, 'seq starts at 1');
  assert.equal(sorted[sorted.length - 1], sorted.length, 'no gaps');
  err(await call('GET', '/api/v1/audit?limit=0', { session: auditor }), 400);
  err(await call('GET', '/api/v1/audit?limit=100000', { session: auditor }), 400);
});

test('an auditor sees only the own tenant\'s events', async () => {
  const thunAud = await login('thun', 'auditor');
  const mine = await listAll('/api/v1/audit', auditor, 500);
  const theirs = ok(await call('GET', '/api/v1/audit?limit=500', { session: thunAud }), 200).json.items;
  const mineIds = new Set(mine.map((e) => `${e.object_type}:${e.object_id}:${e.at}`));
  assert.ok(!theirs.some((e) => String(e.object_id) === String(created.id) && e.object_type === 'user'), 'thun does not see the fresh tenant\'s user');
  assert.ok(theirs.every((e) => !mineIds.has(`${e.object_type}:${e.object_id}:${e.at}`)));
});

test('the application role cannot change or delete audit events', async () => {
  const tid = String(ft.tenant.id);
  const set = `select set_config('kasus.tenant_id', '${tid}', false)`;
  const u = sqlError(DB_APP, [set, "update audit_event set action = 'x' where seq = 1"]);
  assert.match(u, /permission denied/i, u);
  const d = sqlError(DB_APP, [set, 'delete from audit_event where seq = 1']);
  assert.match(d, /permission denied/i, d);
  const tr = sqlError(DB_APP, [set, 'truncate audit_event']);
  assert.match(tr, /permission denied|must be owner/i, tr);
  const v = ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200);
  assert.equal(v.json.ok, true, show(v));
});

test('verify: intact chain, then each kind of tampering is named', async () => {
  const v = ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200);
  assert.equal(v.json.ok, true, show(v));
  assert.ok(v.json.events >= 6, show(v));
  const all = await listAll('/api/v1/audit', auditor, 500);
  assert.equal(v.json.events, all.length, 'verify counts every event');

  const tid = Number(ft.tenant.id);
  const where = `tenant_id = ${tid} and seq = 3`;
  const orig = sql(DB_SUPER, `select action from audit_event where ${where}`);
  assert.ok(orig, 'event 3 exists');
  sql(DB_SUPER, `update audit_event set action = 'x' where ${where}`);
  try {
    const b = ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200);
    assert.equal(b.json.ok, false, show(b));
    assert.equal(b.json.first_broken_seq, 3, show(b));
    assert.equal(typeof b.json.reason, 'string');
    assert.ok(b.json.reason.length > 0);
  } finally {
    sql(DB_SUPER, `update audit_event set action = '${orig}' where ${where}`);
  }
  const r = ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200);
  assert.equal(r.json.ok, true, `restored chain verifies: ${show(r)}`);

  // a changed detail / actor is caught too
  sql(DB_SUPER, `update audit_event set actor_id = coalesce(actor_id, 0) + 1 where tenant_id = ${tid} and seq = 2`);
  const b2 = ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200);
  assert.equal(b2.json.ok, false, show(b2));
  assert.equal(b2.json.first_broken_seq, 2, show(b2));
});

test('verify: a deleted event in the middle is named', async () => {
  // separate fresh tenant: the chain of the one above is broken now
  const t = await freshTenant('aud2');
  const a = await createUser(t.admin, ['auditor']);
  const aud = await login(t.slug, a.username, a.password);
  await createUser(t.admin, ['caseworker']);
  await createUser(t.admin, ['caseworker']);
  const v = ok(await call('GET', '/api/v1/audit/verify', { session: aud }), 200);
  assert.equal(v.json.ok, true, show(v));
  const n = v.json.events;
  assert.ok(n >= 5, show(v));
  sql(DB_SUPER, `delete from audit_event where tenant_id = ${Number(t.tenant.id)} and seq = 2`);
  const b = ok(await call('GET', '/api/v1/audit/verify', { session: aud }), 200);
  assert.equal(b.json.ok, false, show(b));
  assert.equal(b.json.first_broken_seq, 2, show(b));
});

test('verify: removing the newest events is detected (chain head)', async () => {
  const t = await freshTenant('aud3');
  const a = await createUser(t.admin, ['auditor']);
  const aud = await login(t.slug, a.username, a.password);
  await createUser(t.admin, ['caseworker']);
  const v = ok(await call('GET', '/api/v1/audit/verify', { session: aud }), 200);
  assert.equal(v.json.ok, true, show(v));
  const tid = Number(t.tenant.id);
  const last = Number(sql(DB_SUPER, `select max(seq) from audit_event where tenant_id = ${tid}`));
  sql(DB_SUPER, `delete from audit_event where tenant_id = ${tid} and seq = ${last}`);
  const b = ok(await call('GET', '/api/v1/audit/verify', { session: aud }), 200);
  assert.equal(b.json.ok, false, `truncating the tail must not verify (audit_head holds seq ${last}): ${show(b)}`);
  assert.equal(b.json.first_broken_seq, last, show(b));
});
