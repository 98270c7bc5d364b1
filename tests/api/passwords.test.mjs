// Passwords: a password an administrator set (first one or reset) is
// changed at the first sign-in, and the session can do nothing else until
// then; users change their own password (current one checked and counted
// like a sign-in, length and rule, audited, other sessions ended).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, login, loginRaw, uniq, sql, DB_OWNER, clearThrottle, redis, sessionKey,
} from './lib.mjs';

const U = '/api/v1/admin/users';
const PWC = '/api/v1/me/password';
let admin;
before(async () => { admin = await as('thun', 'admin'); });

async function newUser(roles = ['caseworker']) {
  const username = uniq('pw');
  const password = `first-${username}`;
  const r = ok(await call('POST', U, { session: admin, body: { username, display_name: 'Pass Word', password, roles } }), 201);
  return { id: r.json.id, username, password };
}

test('a password an administrator set: only the change is open until it is made', async () => {
  const u = await newUser();
  const s = await login('thun', u.username, u.password);
  assert.equal(s.data.must_change_password, true);
  const me = ok(await call('GET', '/api/v1/me', { session: s }), 200);
  assert.equal(me.json.must_change_password, true);
  for (const [m, p] of [['GET', '/api/v1/worklist'], ['GET', '/api/v1/roles'], ['GET', '/api/v1/cases?limit=1']])
    err(await call(m, p, { session: s }), 403, 'password_change_required');
  err(await call('POST', '/api/v1/persons', { session: s, body: { last_name: 'X', first_name: 'Y', birth_date: '1990-01-01' } }), 403, 'password_change_required');
  // a second sign-in before the change, in another browser
  const other = await login('thun', u.username, u.password);
  // the rule
  err(await call('POST', PWC, { session: s, body: { current_password: 'not-it-at-all', new_password: 'a-fine-new-one' } }), 403, 'wrong_password');
  const same = err(await call('POST', PWC, { session: s, body: { current_password: u.password, new_password: u.password } }), 400, 'password_policy');
  assert.equal(same.detail.rule, 'same_as_current');
  const named = err(await call('POST', PWC, { session: s, body: { current_password: u.password, new_password: `x-${u.username.toUpperCase()}-y` } }), 400, 'password_policy');
  assert.equal(named.detail.rule, 'contains_username');
  const short = err(await call('POST', PWC, { session: s, body: { current_password: u.password, new_password: 'short' } }), 400, 'invalid_length');
  assert.equal(short.detail.field, 'new_password');
  err(await call('POST', PWC, { session: s, body: { current_password: u.password, new_password: 'a-fine-new-one' }, csrf: false }), 403, 'csrf_failed');
  // the change
  assert.equal(ok(await call('POST', PWC, { session: s, body: { current_password: u.password, new_password: 'a-fine-new-one' } }), 204).status, 204);
  ok(await call('GET', '/api/v1/worklist', { session: s }), 200);
  assert.equal(ok(await call('GET', '/api/v1/me', { session: s }), 200).json.must_change_password, false);
  err(await call('GET', '/api/v1/me', { session: other }), 401, 'session_expired');
  assert.equal(redis('EXISTS', sessionKey(other)), '0');
  err(await loginRaw('thun', u.username, u.password), 401, 'invalid_credentials');
  const again = await login('thun', u.username, 'a-fine-new-one');
  assert.equal(again.data.must_change_password, false);
  // audited, with nothing of the passwords in it
  const ev = sql(DB_OWNER, `select action || ' ' || coalesce(detail::text, '') from audit_event where object_id = '${u.id}' and action like 'password%' order by seq`);
  assert.match(ev, /password_change_failed/);
  assert.match(ev, /password_changed \{"was_required": true\}/);
  assert.ok(!ev.includes('a-fine-new-one') && !ev.includes(u.password), ev);
  clearThrottle('thun', u.username);
});

test('a reset by the administrator must be changed again; a chosen one need not', async () => {
  const u = await newUser();
  sql(DB_OWNER, `update app_user set must_change_password = false where id = ${u.id}`);
  assert.equal((await login('thun', u.username, u.password)).data.must_change_password, false);
  ok(await call('POST', `${U}/${u.id}/password`, { session: admin, body: { password: 'reset-by-admin' } }), 204);
  const s = await login('thun', u.username, 'reset-by-admin');
  assert.equal(s.data.must_change_password, true);
  err(await call('GET', '/api/v1/worklist', { session: s }), 403, 'password_change_required');
  ok(await call('POST', PWC, { session: s, body: { current_password: 'reset-by-admin', new_password: 'my-own-choice-2' } }), 204);
  ok(await call('GET', '/api/v1/worklist', { session: s }), 200);
});

test('guessing the current password through a session is throttled like sign-in', async () => {
  const u = await newUser();
  const s = await login('thun', u.username, u.password);
  clearThrottle('thun', u.username);
  const all = await Promise.all(Array.from({ length: 8 }, (_, i) => call('POST', PWC, { session: s, body: { current_password: `guess-${i}`, new_password: 'whatever-long-1' } })));
  assert.equal(all.filter((r) => r.status === 403).length, 5, all.map((r) => r.status).join(' '));
  assert.equal(all.filter((r) => r.status === 429).length, 3);
  err(await call('POST', PWC, { session: s, body: { current_password: u.password, new_password: 'whatever-long-1' } }), 429, 'login_locked');
  clearThrottle('thun', u.username);
  // an API token has no password
  const ap = await as('thun', 'admin');
  const tok = ok(await call('POST', '/api/v1/admin/tokens', { session: ap, body: { name: 'pw', permissions: ['directory.read'], days: 1 } }), 201).json.token;
  const t = await call('POST', PWC, { token: tok, body: { current_password: 'x', new_password: 'whatever-long-1' } });
  assert.equal(t.status, 400, show(t));
});
