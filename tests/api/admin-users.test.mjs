// Tenant administration: users, roles, passwords, sessions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, login, loginRaw, uniq, listAll, createUser, rawHead,
  clearThrottle, redis, sessionKey, sql, DB_OWNER,
} from './lib.mjs';

let admin;
const touched = [];
before(async () => { admin = await as('thun', 'admin'); });
after(() => { for (const u of touched) clearThrottle('thun', u); clearThrottle(); });

const U = '/api/v1/admin/users';

test('create a user, show it with ETag, sign in as it', async () => {
  const username = uniq('nu');
  const body = { username, display_name: 'Neue Person', password: 'a-good-password', language: 'fr', email: `${username}@example.org`, roles: ['caseworker', 'legal'] };
  const c = ok(await call('POST', U, { session: admin, body }), 201);
  assert.ok(c.json.id, show(c));
  assert.equal(c.json.username, username);
  assert.equal(c.json.display_name, 'Neue Person');
  assert.equal(c.json.language, 'fr');
  assert.equal(c.json.email, `${username}@example.org`);
  assert.deepEqual([...c.json.roles].sort(), ['caseworker', 'legal']);
  assert.ok(!('password' in c.json) && !('password_hash' in c.json), 'no password in the answer');
  assert.ok(!JSON.stringify(c.json).includes('scrypt'), 'no hash in the answer');
  const g = ok(await call('GET', `${U}/${c.json.id}`, { session: admin }), 200);
  assert.match(g.headers.get('etag') || '', /^"\d+"$/, 'ETag is a quoted version');
  assert.equal(g.json.username, username);
  assert.equal(g.json.active, true);
  assert.ok(!JSON.stringify(g.json).includes('scrypt'), 'no hash in the answer');
  const s = await login('thun', username, 'a-good-password');
  assert.equal(s.data.user.language, 'fr');
  assert.deepEqual([...s.data.roles].sort(), ['caseworker', 'legal']);
  err(await call('POST', U, { session: admin, body: { ...body, email: undefined } }), 409);
});

test('users list: cursor pagination covers every user exactly once', async () => {
  const made = [];
  for (let i = 0; i < 3; i++) made.push(await createUser(admin, ['reception']));
  const paged = await listAll(U, admin, 2);
  const ids = paged.map((u) => u.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates across pages');
  for (const m of made) assert.ok(ids.includes(m.id), `user ${m.id} listed`);
  for (const name of ['caseworker', 'admin', 'auditor']) assert.ok(paged.some((u) => u.username === name), name);
  const one = ok(await call('GET', `${U}?limit=500`, { session: admin }), 200);
  assert.equal(one.json.items.length, paged.length, 'paged and unpaged agree');
  assert.equal(one.json.next, null);
  const first = ok(await call('GET', `${U}?limit=1`, { session: admin }), 200);
  assert.equal(first.json.items.length, 1);
  assert.equal(typeof first.json.next, 'string');
  for (const item of paged) assert.ok(!JSON.stringify(item).includes('scrypt'), 'no hashes in list');
  err(await call('GET', `${U}?limit=0`, { session: admin }), 400);
  err(await call('GET', `${U}?limit=abc`, { session: admin }), 400);
  err(await call('GET', `${U}?after=zzz`, { session: admin }), 400);
});

test('PATCH a user needs If-Match: 428 without, 409 stale with current state', async () => {
  const u = await createUser(admin, ['caseworker']);
  const path = `${U}/${u.id}`;
  const g = ok(await call('GET', path, { session: admin }), 200);
  const etag = g.headers.get('etag');
  err(await call('PATCH', path, { session: admin, body: { display_name: 'No match' } }), 428, 'precondition_required');
  const p = ok(await call('PATCH', path, { session: admin, body: { display_name: 'Changed Name', email: 'c@example.org' }, headers: { 'if-match': etag } }), 200);
  assert.equal(p.json.display_name, 'Changed Name');
  assert.equal(p.json.email, 'c@example.org');
  const etag2 = p.headers.get('etag');
  assert.ok(etag2 && etag2 !== etag, `new ETag after change: ${etag} -> ${etag2}`);
  const e = err(await call('PATCH', path, { session: admin, body: { display_name: 'Stale' }, headers: { 'if-match': etag } }), 409, 'conflict');
  assert.equal(e.detail?.current?.display_name, 'Changed Name', JSON.stringify(e));
  assert.equal(e.detail.current.id, u.id);
  const g2 = ok(await call('GET', path, { session: admin }), 200);
  assert.equal(g2.json.display_name, 'Changed Name');
  assert.equal(g2.headers.get('etag'), etag2);
  // GET writes the user as text, PATCH from a tree (issue 13): the same
  // answer, so that a field added to one cannot be missing from the other.
  assert.deepEqual(g2.json, p.json);
  err(await call('PATCH', path, { session: admin, body: { display_name: 'garbage etag' }, headers: { 'if-match': 'nonsense' } }), 409, 'conflict');
});

test('deactivating a user blocks sign-in', async () => {
  const u = await createUser(admin, ['caseworker']);
  touched.push(u.username);
  const path = `${U}/${u.id}`;
  const g = ok(await call('GET', path, { session: admin }), 200);
  ok(await call('PATCH', path, { session: admin, body: { active: false }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  err(await loginRaw('thun', u.username, u.password), 401, 'invalid_credentials');
  const g2 = ok(await call('GET', path, { session: admin }), 200);
  assert.equal(g2.json.active, false);
  ok(await call('PATCH', path, { session: admin, body: { active: true }, headers: { 'if-match': g2.headers.get('etag') } }), 200);
  clearThrottle('thun', u.username);
  await login('thun', u.username, u.password);
});

test('PUT roles replaces the roles (If-Match); canton_admin cannot be granted', async () => {
  const u = await createUser(admin, ['caseworker']);
  const path = `${U}/${u.id}`;
  let g = ok(await call('GET', path, { session: admin }), 200);
  err(await call('PUT', `${path}/roles`, { session: admin, body: { roles: ['teamlead'] } }), 428, 'precondition_required');
  const e = err(await call('PUT', `${path}/roles`, { session: admin, body: { roles: ['canton_admin'] }, headers: { 'if-match': g.headers.get('etag') } }), 400, 'invalid_value');
  assert.ok(JSON.stringify(e.detail || {}).includes('roles') || JSON.stringify(e.detail || {}).includes('canton_admin'), JSON.stringify(e));
  err(await call('PUT', `${path}/roles`, { session: admin, body: { roles: ['caseworker', 'canton_admin'] }, headers: { 'if-match': g.headers.get('etag') } }), 400, 'invalid_value');
  err(await call('PUT', `${path}/roles`, { session: admin, body: { roles: ['wizard'] }, headers: { 'if-match': g.headers.get('etag') } }), 400, 'invalid_value');
  g = ok(await call('GET', path, { session: admin }), 200);
  assert.deepEqual(g.json.roles, ['caseworker'], 'refused changes left the roles as they were');
  const s = await login('thun', u.username, u.password);
  const r = ok(await call('PUT', `${path}/roles`, { session: admin, body: { roles: ['teamlead', 'auditor'] }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  const g2 = ok(await call('GET', path, { session: admin }), 200);
  assert.deepEqual([...g2.json.roles].sort(), ['auditor', 'teamlead'], show(r));
  err(await call('PUT', `${path}/roles`, { session: admin, body: { roles: ['legal'] }, headers: { 'if-match': g.headers.get('etag') } }), 409, 'conflict');
  // old permissions must not linger in an open session
  const me = await call('GET', '/api/v1/me', { session: s });
  if (me.status === 200) assert.ok(me.json.roles.includes('auditor'), `session reflects new roles or ends: ${show(me)}`);
  else err(me, 401, 'session_expired');
  const s2 = await login('thun', u.username, u.password);
  assert.ok(s2.data.permissions.includes('audit.read'));
  ok(await call('GET', '/api/v1/audit?limit=1', { session: s2 }), 200);
  // a creation with canton_admin is refused too
  err(await call('POST', U, { session: admin, body: { username: uniq('ca'), display_name: 'X', password: 'long-enough-pw', roles: ['canton_admin'] } }), 400, 'invalid_value');
});

test('POST password sets a new password and ends the user\'s sessions', async () => {
  const u = await createUser(admin, ['caseworker']);
  touched.push(u.username);
  const s = await login('thun', u.username, u.password);
  ok(await call('GET', '/api/v1/me', { session: s }), 200);
  err(await call('POST', `${U}/${u.id}/password`, { session: admin, body: { password: 'short' } }), 400, 'invalid_length');
  ok(await call('GET', '/api/v1/me', { session: s }), 200);
  const res = await call('POST', `${U}/${u.id}/password`, { session: admin, body: { password: 'brand-new-password' } });
  assert.equal(res.status, 204, show(res));
  err(await call('GET', '/api/v1/me', { session: s }), 401, 'session_expired');
  assert.equal(redis('EXISTS', sessionKey(s)), '0');
  err(await loginRaw('thun', u.username, u.password), 401, 'invalid_credentials');
  await login('thun', u.username, 'brand-new-password');
  clearThrottle('thun', u.username);
});

test('DELETE sessions ends every session of the user', async () => {
  const u = await createUser(admin, ['caseworker']);
  const a = await login('thun', u.username, u.password);
  const b = await login('thun', u.username, u.password);
  const res = await call('DELETE', `${U}/${u.id}/sessions`, { session: admin });
  assert.equal(res.status, 204, show(res));
  err(await call('GET', '/api/v1/me', { session: a }), 401, 'session_expired');
  err(await call('GET', '/api/v1/me', { session: b }), 401, 'session_expired');
  ok(await call('GET', '/api/v1/me', { session: admin }), 200, 'the admin\'s own session is untouched');
  await login('thun', u.username, u.password);
});

test('user routes: bad input is refused with the field named', async () => {
  const base = { username: uniq('bi'), display_name: 'Bad Input', password: 'long-enough-pw' };
  const e1 = err(await call('POST', U, { session: admin, body: { ...base, nickname: 'x' } }), 400, 'unknown_field');
  assert.equal(e1.detail?.field, 'nickname');
  const e2 = err(await call('POST', U, { session: admin, body: { username: base.username, password: base.password } }), 400, 'missing_field');
  assert.equal(e2.detail?.field, 'display_name');
  err(await call('POST', U, { session: admin, body: { ...base, username: 12 } }), 400, 'invalid_type');
  err(await call('POST', U, { session: admin, body: { ...base, roles: 'caseworker' } }), 400, 'invalid_type');
  err(await call('POST', U, { session: admin, body: { ...base, roles: [1] } }), 400, 'invalid_type');
  err(await call('POST', U, { session: admin, body: { ...base, display_name: ['x'] } }), 400, 'invalid_type');
  err(await call('POST', U, { session: admin, body: { ...base, password: 'nine-char' } }), 400, 'invalid_length');
  err(await call('POST', U, { session: admin, body: { ...base, display_name: 'x'.repeat(201) } }), 400, 'invalid_length');
  err(await call('POST', U, { session: admin, body: { ...base, username: 'Upper.Case' } }), 400, 'invalid_value');
  err(await call('POST', U, { session: admin, body: { ...base, username: 'has space' } }), 400, 'invalid_value');
  err(await call('POST', U, { session: admin, body: { ...base, username: 'x' } }), 400, ['invalid_length', 'invalid_value']);
  err(await call('POST', U, { session: admin, body: { ...base, username: 'a'.repeat(64) } }), 400, ['invalid_length', 'invalid_value']);
  err(await call('POST', U, { session: admin, body: { ...base, language: 'it' } }), 400, 'invalid_value');
  err(await call('POST', U, { session: admin, body: { ...base, roles: ['wizard'] } }), 400, 'invalid_value');
  err(await call('POST', U, { session: admin, body: { ...base, display_name: 'bell\u0007' } }), 400, 'invalid_value');
  // none of the refused requests made the user
  const all = await listAll(U, admin, 500);
  assert.ok(!all.some((u) => u.username === base.username), 'refused creations left nothing behind');

  const u = await createUser(admin, ['caseworker']);
  const g = ok(await call('GET', `${U}/${u.id}`, { session: admin }), 200);
  const im = { 'if-match': g.headers.get('etag') };
  err(await call('PATCH', `${U}/${u.id}`, { session: admin, body: { username: 'renamed' }, headers: im }), 400, 'unknown_field');
  err(await call('PATCH', `${U}/${u.id}`, { session: admin, body: { active: 1 }, headers: im }), 400, 'invalid_type');
  err(await call('PATCH', `${U}/${u.id}`, { session: admin, body: { display_name: '' }, headers: im }), 400, 'invalid_length');
  err(await call('PUT', `${U}/${u.id}/roles`, { session: admin, body: {}, headers: im }), 400, 'missing_field');
  err(await call('PUT', `${U}/${u.id}/roles`, { session: admin, body: { roles: 'caseworker' }, headers: im }), 400, 'invalid_type');
  err(await call('POST', `${U}/${u.id}/password`, { session: admin, body: {} }), 400, 'missing_field');
  err(await call('POST', `${U}/${u.id}/password`, { session: admin, body: { password: 1234567890 } }), 400, 'invalid_type');
  err(await call('POST', `${U}/${u.id}/password`, { session: admin, body: { password: 'long-enough-pw', old: 'x' } }), 400, 'unknown_field');
  const g2 = ok(await call('GET', `${U}/${u.id}`, { session: admin }), 200);
  assert.equal(g2.headers.get('etag'), g.headers.get('etag'), 'refused changes changed nothing');
  for (const id of ['999999999', 'abc', '0', '-1']) {
    err(await call('GET', `${U}/${id}`, { session: admin }), 404);
    err(await call('PATCH', `${U}/${id}`, { session: admin, body: { display_name: 'x' }, headers: { 'if-match': '"1"' } }), 404);
  }
  err(await call('POST', `${U}/999999999/password`, { session: admin, body: { password: 'long-enough-pw' } }), 404);
  err(await call('DELETE', `${U}/999999999/sessions`, { session: admin }), 404);
});

test('user and token routes: malformed JSON, 2 MB body, wrong media type', async () => {
  const u = await createUser(admin, ['caseworker']);
  const routes = [
    ['POST', U], ['PATCH', `${U}/${u.id}`], ['PUT', `${U}/${u.id}/roles`],
    ['POST', `${U}/${u.id}/password`], ['POST', '/api/v1/admin/tokens'],
  ];
  for (const [m, p] of routes) {
    const h = { 'content-type': 'application/json', 'if-match': '"999999"' };
    err(await call(m, p, { session: admin, raw: '{"roles": [', headers: h }), 400, 'malformed_json');
    err(await call(m, p, { session: admin, raw: '{"a":1,"a":2}', headers: h }), 400, 'malformed_json');
    err(await call(m, p, { session: admin, raw: '"just a string"', headers: h }), 400);
    err(await call(m, p, { session: admin, raw: '{"x":1}', headers: { ...h, 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    err(await call(m, p, { session: admin, raw: '', headers: h }), 400);
    err(await rawHead(m, p, { 'Content-Type': 'application/json', 'If-Match': '"1"', Cookie: `ks_session=${admin.cookie}`, 'X-CSRF-Token': admin.csrf, 'Content-Length': String(16 * 1024 * 1024) }), 413, 'body_too_large');
  }
  // a body where none is taken
  const nb = await call('DELETE', `${U}/${u.id}/sessions`, { session: admin, raw: '{"x":1}', headers: { 'content-type': 'application/json' } });
  err(nb, nb.status === 413 ? 413 : 400);
  // the user is unchanged
  const g = ok(await call('GET', `${U}/${u.id}`, { session: admin }), 200);
  assert.deepEqual(g.json.roles, ['caseworker']);
});

// Reading a user takes the roles from app_user.roles, user_role's copy kept
// by a trigger (migration 0040): after every kind of change, through the
// API and in the table itself, the copy is user_role's rows in role order.
test('the roles on the user row stay the rows of user_role', async () => {
  const u = await createUser(admin, ['legal', 'caseworker']);
  const path = `${U}/${u.id}`;
  let g = ok(await call('GET', path, { session: admin }), 200);
  assert.deepEqual(g.json.roles, ['caseworker', 'legal'], 'in role order');
  ok(await call('PUT', `${path}/roles`, { session: admin, body: { roles: ['teamlead'] }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  g = ok(await call('GET', path, { session: admin }), 200);
  assert.deepEqual(g.json.roles, ['teamlead']);
  // An UPDATE and a DELETE of user_role rows outside the API.
  const tid = sql(DB_OWNER, `select tenant_id from app_user where id = ${Number(u.id)}`);
  sql(DB_OWNER, [
    `select set_config('kasus.tenant_id', '${tid}', false)`,
    `update user_role set role = 'auditor' where user_id = ${Number(u.id)} and role = 'teamlead'`,
    `insert into user_role (tenant_id, user_id, role) values (${tid}, ${Number(u.id)}, 'accounting')`,
  ]);
  g = ok(await call('GET', path, { session: admin }), 200);
  assert.deepEqual(g.json.roles, ['accounting', 'auditor']);
  sql(DB_OWNER, [`select set_config('kasus.tenant_id', '${tid}', false)`,
    `delete from user_role where user_id = ${Number(u.id)}`]);
  g = ok(await call('GET', path, { session: admin }), 200);
  assert.deepEqual(g.json.roles, []);
  const drift = sql(DB_OWNER, `select count(*) filter (where u.roles <> array(select r.role from user_role r where r.tenant_id = u.tenant_id and r.user_id = u.id order by r.role)) || '/' || count(*) from app_user u`);
  const [bad, all] = drift.split('/').map(Number);
  assert.ok(all > 0, 'the owner sees the users');
  assert.equal(bad, 0, 'no user whose copy differs from user_role');
});
