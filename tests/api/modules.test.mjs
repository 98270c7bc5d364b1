// Domain modules: the loader's verdicts in /healthz, per-tenant switches
// by the canton admin (ETag, start dates), module routes only where the
// module is on, its permissions, and tenant isolation of its table.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, login, uniq, sql, sqlError, DB_OWNER, DB_APP, freshTenant, createUser, tenantId, until, sleep, isoDay
} from './lib.mjs';

const M = '/api/v1/admin/tenants';
let canton;
before(async () => { canton = await as('canton', 'canton-admin'); });

async function moduleState(slug, module = 'echo') {
  const r = ok(await call('GET', `${M}/${slug}/modules`, { session: canton }), 200);
  return r.json.items.find((i) => i.module === module);
}

/** Set the switch, with If-Match when it exists; returns the response. */
async function setModule(slug, body, module = 'echo') {
  const cur = await moduleState(slug, module);
  const headers = cur && cur.version > 0 ? { 'if-match': `"${cur.version}"` } : {};
  return ok(await call('PUT', `${M}/${slug}/modules/${module}`, { session: canton, headers, body }), 200);
}

/** Poll until every one of n parallel requests answers status (or time out). */
async function allAnswer(session, path, status, ms = 8000, n = 12) {
  let last = [];
  const got = await until(async () => {
    last = await Promise.all(Array.from({ length: n }, () => call('GET', path, { session })));
    return last.every((r) => r.status === status);
  }, ms, 250);
  assert.ok(got, `all ${n} parallel ${path} answer ${status} within ${ms} ms; got ${last.map((r) => r.status).join(',')}`);
}

test('healthz reports each configured module: echo loaded, the others refused with a reason', async () => {
  const r = ok(await call('GET', '/healthz'), 200);
  assert.equal(r.json.status, 'ok', show(r));
  const m = r.json.modules;
  assert.ok(m && typeof m === 'object', show(r));
  assert.deepEqual(Object.keys(m).sort(), ['alimente', 'badabi', 'dupname', 'echo', 'initfail', 'sozialhilfe'], show(r));
  assert.equal(m.sozialhilfe.status, 'loaded');
  assert.equal(m.alimente.status, 'loaded');
  assert.deepEqual(m.echo, { status: 'loaded', version: '1.0.0' });
  assert.equal(m.badabi.status, 'refused');
  assert.match(m.badabi.reason, /^built for ABI 99\.0, /);
  assert.deepEqual(m.dupname, { status: 'refused', reason: 'a module named echo is already loaded' });
  assert.deepEqual(m.initfail, { status: 'refused', reason: 'its init failed: required setting missing' });
  for (const k of ['badabi', 'dupname', 'initfail']) assert.ok(!('version' in m[k]), `${k} has no version`);
  // and the server keeps serving
  const me = ok(await call('GET', '/api/v1/me', { session: await as('thun', 'caseworker') }), 200);
  assert.ok(Array.isArray(me.json.modules), show(me));
});

test('a module declares the error codes only it answers with: the registry and the document have them', async () => {
  const doc = ok(await call('GET', '/api/openapi.json'), 200).json;
  const codes = doc.components['x-error-codes'];
  // echo's own (a fixture), Sozialhilfe's own (sh_module.c), the core's.
  assert.equal(codes.echo_refused?.status, 422, JSON.stringify(codes.echo_refused));
  assert.equal(codes.echo_unavailable?.status, 503);
  assert.equal(codes.budget_not_approved?.status, 409);
  assert.equal(codes.not_found?.status, 404);
  // and the error answers of a status list them with the core's codes
  const e409 = JSON.stringify(doc.components.responses.E409);
  assert.match(e409, /budget_not_approved/);
  assert.match(e409, /\bconflict\b/);
});

test('refused modules leave nothing behind: no routes, not switchable', async () => {
  const st = ok(await call('GET', `${M}/thun/modules`, { session: canton }), 200);
  assert.deepEqual(st.json.items.map((i) => i.module), ['echo', 'sozialhilfe', 'alimente'], `only loaded modules are listed: ${show(st)}`);
  for (const mod of ['badabi', 'dupname', 'initfail', 'nosuch']) {
    err(await call('PUT', `${M}/thun/modules/${mod}`, { session: canton, body: { enabled: true } }), 404, 'not_found');
  }
  // dupname declared routes under another name? none of the refused ones answer anything
  for (const p of ['/api/v1/badabi', '/api/v1/dupname', '/api/v1/initfail', '/api/v1/echo']) {
    const r = await call('GET', p, { session: await as('thun', 'caseworker') });
    assert.equal(r.status, 404, show(r));
  }
});

test('module switch admin routes: permission, unknown tenant, bad input', async () => {
  for (const [t, u] of [['thun', 'caseworker'], ['thun', 'admin'], ['thun', 'teamlead']]) {
    const s = await as(t, u);
    err(await call('GET', `${M}/thun/modules`, { session: s }), 403, 'forbidden');
    err(await call('PUT', `${M}/thun/modules/echo`, { session: s, body: { enabled: true } }), 403, 'forbidden');
  }
  err(await call('GET', `${M}/no-such-tenant/modules`, { session: canton }), 404, 'not_found');
  err(await call('PUT', `${M}/no-such-tenant/modules/echo`, { session: canton, body: { enabled: true } }), 404, 'not_found');

  const slug = (await freshTenant('mb')).slug;
  const p = `${M}/${slug}/modules/echo`;
  err(await call('PUT', p, { session: canton, body: {} }), 400, 'missing_field');
  err(await call('PUT', p, { session: canton, body: { enabled: 'yes' } }), 400, 'invalid_type');
  err(await call('PUT', p, { session: canton, body: { enabled: 1 } }), 400, 'invalid_type');
  err(await call('PUT', p, { session: canton, body: { enabled: true, start_date: '2025-02-30' } }), 400, 'invalid_value');
  err(await call('PUT', p, { session: canton, body: { enabled: true, start_date: '01.03.2025' } }), 400, 'invalid_value');
  err(await call('PUT', p, { session: canton, body: { enabled: true, start_date: 20250101 } }), 400, 'invalid_type');
  err(await call('PUT', p, { session: canton, body: { enabled: true, extra: 1 } }), 400, 'unknown_field');
  err(await call('PUT', p, { session: canton, body: [true] }), 400);
  err(await call('PUT', p, { session: canton, raw: '{"enabled": tru', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('PUT', p, { session: canton }), 400, 'missing_body');
  err(await call('PUT', p, { session: canton, raw: JSON.stringify({ enabled: true, x: 'y'.repeat(8000) }), headers: { 'content-type': 'application/json' } }), 413, 'body_too_large');
  // none of that created a switch
  const st = await moduleState(slug);
  assert.deepEqual(st, { module: 'echo', enabled: false, start_date: null, version: 0 });
});

test('switching echo on and off for a tenant: ETag rules, routes follow, /me lists it', async () => {
  const f = await freshTenant('mo');
  const cw = await createUser(f.admin, ['caseworker']);
  const tl = await createUser(f.admin, ['teamlead']);
  const rc = await createUser(f.admin, ['reception']);
  const sCw = await login(f.slug, cw.username, cw.password);
  const sTl = await login(f.slug, tl.username, tl.password);
  const sRc = await login(f.slug, rc.username, rc.password);
  const tid = Number(tenantId(f.slug));

  // off by default
  err(await call('GET', '/api/v1/echo/hello', { session: sCw }), 404, 'not_found');
  err(await call('GET', '/api/v1/echo/notes', { session: sCw }), 404, 'not_found');
  err(await call('POST', '/api/v1/echo/notes', { session: sCw, body: { text: 'x' } }), 404, 'not_found');
  let me = ok(await call('GET', '/api/v1/me', { session: sCw }), 200);
  assert.deepEqual(me.json.modules, [], show(me));

  // first switch-on needs no If-Match
  const p = `${M}/${f.slug}/modules/echo`;
  const on = ok(await call('PUT', p, { session: canton, body: { enabled: true } }), 200);
  assert.deepEqual(on.json, { module: 'echo', enabled: true, start_date: isoDay(0), version: 1 }, show(on));
  assert.equal(on.headers.get('etag'), '"1"');
  const st = await moduleState(f.slug);
  assert.deepEqual(st, { module: 'echo', enabled: true, start_date: isoDay(0), version: 1 });

  await allAnswer(sCw, '/api/v1/echo/hello', 200);
  const h = ok(await call('GET', '/api/v1/echo/hello', { session: sCw }), 200);
  assert.deepEqual(h.json, { module: 'echo', tenant: tid }, show(h));
  me = ok(await call('GET', '/api/v1/me', { session: sCw }), 200);
  assert.deepEqual(me.json.modules, ['echo'], show(me));
  assert.ok(me.json.permissions.includes('echo.read') && me.json.permissions.includes('echo.write'), show(me));

  // the module's permissions: teamlead reads only, reception nothing
  ok(await call('GET', '/api/v1/echo/hello', { session: sTl }), 200);
  ok(await call('GET', '/api/v1/echo/notes', { session: sTl }), 200);
  err(await call('POST', '/api/v1/echo/notes', { session: sTl, body: { text: 'teamlead' } }), 403, 'forbidden');
  err(await call('GET', '/api/v1/echo/hello', { session: sRc }), 403, 'forbidden');
  err(await call('POST', '/api/v1/echo/notes', { session: sRc, body: { text: 'reception' } }), 403, 'forbidden');

  // notes: validation and round trip
  err(await call('POST', '/api/v1/echo/notes', { session: sCw, body: {} }), 400, 'missing_field');
  err(await call('POST', '/api/v1/echo/notes', { session: sCw, body: { text: 5 } }), 400, 'invalid_type');
  err(await call('POST', '/api/v1/echo/notes', { session: sCw, body: { text: 'x'.repeat(501) } }), 400, 'invalid_length');
  err(await call('POST', '/api/v1/echo/notes', { session: sCw, body: { text: 'x', more: 1 } }), 400, 'unknown_field');
  const n = ok(await call('POST', '/api/v1/echo/notes', { session: sCw, body: { text: 'erste Notiz' } }), 201);
  const l = ok(await call('GET', '/api/v1/echo/notes', { session: sTl }), 200);
  assert.deepEqual(l.json.items.map((i) => i.text), ['erste Notiz'], show(l));
  assert.equal(String(l.json.items[0].id), String(n.json.id));

  // changing the existing switch needs its ETag
  err(await call('PUT', p, { session: canton, body: { enabled: false } }), 428, 'precondition_required');
  err(await call('PUT', p, { session: canton, headers: { 'if-match': '"7"' }, body: { enabled: false } }), 409, 'conflict');
  assert.equal((await moduleState(f.slug)).enabled, true, 'refused changes changed nothing');
  const off = ok(await call('PUT', p, { session: canton, headers: { 'if-match': '"1"' }, body: { enabled: false } }), 200);
  assert.equal(off.json.enabled, false);
  assert.equal(off.json.version, 2);
  assert.equal(off.headers.get('etag'), '"2"');
  // the old ETag is stale now
  err(await call('PUT', p, { session: canton, headers: { 'if-match': '"1"' }, body: { enabled: true } }), 409, 'conflict');

  await allAnswer(sCw, '/api/v1/echo/hello', 404);
  err(await call('GET', '/api/v1/echo/notes', { session: sTl }), 404, 'not_found');
  me = ok(await call('GET', '/api/v1/me', { session: sCw }), 200);
  assert.deepEqual(me.json.modules, [], show(me));
  // the data stays; back on, it is there again
  ok(await call('PUT', p, { session: canton, headers: { 'if-match': '"2"' }, body: { enabled: true } }), 200);
  await allAnswer(sCw, '/api/v1/echo/notes', 200);
  const l2 = ok(await call('GET', '/api/v1/echo/notes', { session: sCw }), 200);
  assert.deepEqual(l2.json.items.map((i) => i.text), ['erste Notiz']);
});

test('a future start date keeps the module off until that date; a past one turns it on', async () => {
  const f = await freshTenant('ms');
  const cw = await createUser(f.admin, ['caseworker']);
  const sCw = await login(f.slug, cw.username, cw.password);
  const p = `${M}/${f.slug}/modules/echo`;

  const fut = ok(await call('PUT', p, { session: canton, body: { enabled: true, start_date: isoDay(2) } }), 200);
  assert.deepEqual(fut.json, { module: 'echo', enabled: true, start_date: isoDay(2), version: 1 });
  // stays off for longer than the switch cache lives, on every worker
  const end = Date.now() + 6500;
  while (Date.now() < end) {
    const rs = await Promise.all(Array.from({ length: 6 }, () => call('GET', '/api/v1/echo/hello', { session: sCw })));
    for (const r of rs) err(r, 404, 'not_found');
    await sleep(500);
  }
  const me = ok(await call('GET', '/api/v1/me', { session: sCw }), 200);
  assert.deepEqual(me.json.modules, [], `a module starting later is not listed yet: ${show(me)}`);

  // move the pilot start to the past: on
  const past = ok(await call('PUT', p, { session: canton, headers: { 'if-match': '"1"' }, body: { enabled: true, start_date: '2024-01-15' } }), 200);
  assert.equal(past.json.start_date, '2024-01-15');
  await allAnswer(sCw, '/api/v1/echo/hello', 200);

  // and back to the future: off again
  ok(await call('PUT', p, { session: canton, headers: { 'if-match': '"2"' }, body: { enabled: true, start_date: '2199-12-31' } }), 200);
  await allAnswer(sCw, '/api/v1/echo/hello', 404);
});

test('echo_note is isolated per tenant: a thun note is invisible to biel', async () => {
  await setModule('thun', { enabled: true, start_date: '2024-01-01' });
  await setModule('biel', { enabled: true, start_date: '2024-01-01' });
  const thun = await as('thun', 'caseworker');
  const biel = await as('biel', 'caseworker');
  await allAnswer(thun, '/api/v1/echo/notes', 200);
  await allAnswer(biel, '/api/v1/echo/notes', 200);

  const text = `geheim ${uniq('n')}`;
  const n = ok(await call('POST', '/api/v1/echo/notes', { session: thun, body: { text } }), 201);
  const mine = ok(await call('GET', '/api/v1/echo/notes', { session: thun }), 200);
  assert.ok(mine.json.items.some((i) => i.text === text && String(i.id) === String(n.json.id)), show(mine));
  const theirs = ok(await call('GET', '/api/v1/echo/notes', { session: biel }), 200);
  assert.ok(!theirs.text.includes(text), `biel sees thun's note: ${show(theirs)}`);
  assert.ok(!theirs.json.items.some((i) => String(i.id) === String(n.json.id)), show(theirs));
  const bh = ok(await call('GET', '/api/v1/echo/hello', { session: biel }), 200);
  assert.equal(String(bh.json.tenant), tenantId('biel'));

  // the row belongs to thun, and the app role sees nothing without a tenant
  assert.equal(sql(DB_OWNER, `select tenant_id from echo_note where id = ${Number(n.json.id)}`), tenantId('thun'));
  let appCount;
  try { appCount = sql(DB_APP, 'select count(*) from echo_note'); } catch (e) { appCount = 'error'; }
  assert.ok(appCount === '0' || appCount === 'error', `kasus_app without a tenant reads echo_note rows: ${appCount}`);
  assert.equal(sql(DB_OWNER, "select relrowsecurity and relforcerowsecurity from pg_class where relname = 'echo_note'"), 't');
  // the write went through the audit trail
  const a = sql(DB_OWNER, `select count(*) from audit_event where action = 'echo_note_added' and object_id = '${Number(n.json.id)}'`);
  assert.equal(a, '1');

  // a tenant where echo is off: 404 even with the permission
  const oe = await as('oberes-emmental', 'caseworker');
  const st = await moduleState('oberes-emmental');
  if (!st.enabled) err(await call('GET', '/api/v1/echo/notes', { session: oe }), 404, 'not_found');
});

test('module switch changes are audited for the target tenant', async () => {
  const f = await freshTenant('ma');
  ok(await call('PUT', `${M}/${f.slug}/modules/echo`, { session: canton, body: { enabled: true } }), 200);
  const n = sql(DB_OWNER, `select count(*) from audit_event where action = 'module_enabled' and object_id = 'echo' and tenant_id = ${Number(tenantId(f.slug))}`);
  assert.equal(n, '1');
});

test('vocabularies: the core has the generic codes, each module adds its own, the database checks them', async () => {
  const f = await freshTenant('vo');
  const cw = await createUser(f.admin, ['caseworker']);
  const s = await login(f.slug, cw.username, cw.password);
  const codes = (r, d) => r.json[d].map((x) => `${x.code}:${x.module ?? 'core'}`).sort();

  // no module switched on: the core's codes only
  let r = ok(await call('GET', '/api/v1/vocabularies', { session: s }), 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['deadline_kind', 'document_category', 'journal_category', 'payment_kind'], show(r));
  assert.deepEqual(codes(r, 'deadline_kind'), ['manual:core'], show(r));
  assert.ok(codes(r, 'document_category').includes('scanned_mail:core'), show(r));
  assert.ok(!codes(r, 'document_category').includes('rent_contract:sozialhilfe'), show(r));
  err(await call('GET', '/api/v1/vocabularies'), 401, 'unauthenticated');

  // echo on: its deadline kind appears, labelled with the module
  await setModule(f.slug, { enabled: true });
  await allAnswer(s, '/api/v1/echo/hello', 200);
  r = ok(await call('GET', '/api/v1/vocabularies', { session: s }), 200);
  assert.deepEqual(codes(r, 'deadline_kind'), ['echo_ping:echo', 'manual:core'], show(r));

  // the demo service has Sozialhilfe: its kinds and categories are listed
  const thun = await as('thun', 'caseworker');
  r = ok(await call('GET', '/api/v1/vocabularies', { session: thun }), 200);
  for (const c of ['review_due:sozialhilfe', 'missing_document:sozialhilfe', 'goal_due:sozialhilfe', 'decision_expiring:sozialhilfe'])
    assert.ok(codes(r, 'deadline_kind').includes(c), `${c} in ${show(r)}`);
  assert.ok(codes(r, 'document_category').includes('rent_contract:sozialhilfe'), show(r));

  // recorded by kasusd migrate; no CHECK constraint in the core lists
  // module codes any more; the trigger refuses an unknown code
  assert.equal(sql(DB_OWNER, "select module from vocabulary where domain = 'deadline_kind' and code = 'echo_ping'"), 'echo');
  const lists = sql(DB_OWNER, "select count(*) from pg_constraint where conrelid in ('deadline'::regclass, 'journal_entry'::regclass, 'document'::regclass) and pg_get_constraintdef(oid) ~ '(review_due|home_visit|rent_contract|scanned_mail)'");
  assert.equal(lists, '0', 'no CHECK constraint lists codes');
  const t = tenantId('thun');
  const dossier = [t, sql(DB_OWNER, `with p as (insert into person (tenant_id, last_name, first_name, birth_date) values (${t}, 'Voc', 'Test', '1980-01-01') returning id),
      h as (insert into household (tenant_id, name) values (${t}, 'Voc') returning id)
    insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
    select ${t}, 'sozialhilfe', h.id, p.id, 'open', 942 from p, h returning id`)];
  const bad = sqlError(DB_OWNER, `insert into deadline (tenant_id, dossier_id, due_on, kind, text) values (${dossier[0]}, ${dossier[1]}, current_date, 'no_such_kind', 'x')`);
  assert.match(bad, /no_such_kind is not a known deadline_kind/, bad);
  sql(DB_OWNER, [
    'begin',
    `insert into deadline (tenant_id, dossier_id, due_on, kind, text) values (${dossier[0]}, ${dossier[1]}, current_date, 'echo_ping', 'x')`,
    'rollback',
  ]);
});

test('a module declares a dossier kind; the core enforces its steps, their permissions and closing reasons', async () => {
  const f = await freshTenant('dk');
  const cw = await createUser(f.admin, ['caseworker']);
  const s = await login(f.slug, cw.username, cw.password);
  await setModule(f.slug, { enabled: true });
  await allAnswer(s, '/api/v1/echo/hello', 200);
  const step = (body) => call('POST', '/api/v1/echo/steps', { session: s, body });

  let r = ok(await step({ from: 'open', to: 'waiting' }), 200);
  // from waiting, reopening needs echo.reopen (nobody has it) and closing
  // is automatic: nothing is offered by hand
  assert.deepEqual(r.json, { state: 'waiting', next: [] }, show(r));
  r = err(await step({ from: 'waiting', to: 'open' }), 403, 'forbidden');
  assert.equal(r.detail.permission, 'echo.reopen', JSON.stringify(r));
  r = err(await step({ from: 'waiting', to: 'closed', closure_reason: 'done' }), 409, 'transition_not_allowed');
  assert.equal(r.message, 'a waiting case closes itself', JSON.stringify(r));
  r = err(await step({ from: 'open', to: 'review' }), 409, 'transition_not_allowed');
  assert.deepEqual(r.detail, { from: 'open', to: 'review', allowed: ['waiting', 'closed'] }, JSON.stringify(r));
  r = err(await step({ from: 'open', to: 'closed' }), 400, 'invalid_value');
  assert.deepEqual(r.detail.allowed, ['done', 'withdrawn'], JSON.stringify(r));
  err(await step({ from: 'open', to: 'waiting', closure_reason: 'done' }), 400, 'invalid_value');
  r = ok(await step({ from: 'open', to: 'closed', closure_reason: 'withdrawn' }), 200);
  assert.deepEqual(r.json, { state: 'closed', next: [] }, show(r));
});
