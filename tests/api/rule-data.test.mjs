// A social service's own rule data (rent ceilings) within the canton's
// bounds, effective-dated; and the canton's rule life cycle: edit a draft,
// submit, four eyes, what was in force on a date.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, uniq, sql, DB_OWNER, tenantId, isoDay, sha256hex, sleep
} from './lib.mjs';

const RD = '/api/v1/rule-data';
const RP = '/api/v1/admin/rule-packs';
let admin; let biel;
before(async () => {
  admin = await as('thun', 'admin');
  biel = await as('biel', 'admin');
});

const THUN = [115000, 145000, 165000, 185000, 205000, 225000];
const ceiling = async (s, date, size = 2) => call('POST', '/api/v1/rules/evaluate', {
  session: s, body: { pack: 'rent-ceilings', function: 'ceiling', date, input: { bfs: 942, household_size: size } },
});
const count = () => Number(sql(DB_OWNER, `select count(*) from rule_pack where kind = 'data' and tenant_id = ${Number(tenantId('thun'))}`));

test('the editor gets the canton bounds, the served municipalities and the data in force', async () => {
  const b = ok(await call('GET', `${RD}/rent-ceilings/bounds?date=2025-06-01`, { session: admin }), 200);
  assert.deepEqual(b.json.bounds.max_by_size, [140000, 170000, 195000, 215000, 235000, 250000]);
  assert.equal(b.json.bounds.min, 50000);
  assert.equal(b.json.bounds.columns.length, 6);
  assert.equal(b.json.pack.name, 'rent-ceilings');
  assert.equal(b.json.pack.scope, 'canton');
  assert.deepEqual(b.json.municipalities.map((m) => m.bfs), [942]);
  assert.equal(b.json.current.version, '2025.1');
  assert.deepEqual(b.json.current.data.ceilings[0].by_size, THUN);
  // before any data was in force
  err(await call('GET', `${RD}/rent-ceilings/bounds?date=2024-06-01`, { session: admin }), 422, 'rule_missing');
});

test('out of bounds: refused with the bound named, nothing saved', async () => {
  const before = count();
  const bad = { ceilings: [{ bfs: 942, name: 'Thun', by_size: [115000, 175000, 165000, 185000, 205000, 225000] }] };
  const c = ok(await call('POST', `${RD}/rent-ceilings/check`, { session: admin, body: { valid_from: '2026-01-01', data: bad } }), 200);
  assert.equal(c.json.ok, false);
  assert.deepEqual(c.json.violations.map((v) => [v.path, v.bound, v.limit, v.value]), [
    ['ceilings[1].by_size[2]', 'max', 170000, 175000],
    ['ceilings[1].by_size[3]', 'increasing', 175000, 165000],
  ]);
  assert.match(c.json.violations[0].message.de, /kantonalen Höchstwert CHF 1'700\.00/);
  assert.match(c.json.violations[0].message.fr, /valeur maximale cantonale CHF 1'700\.00/);
  const e = err(await call('POST', `${RD}/rent-ceilings`, { session: admin, body: { valid_from: '2026-01-01', data: bad } }), 422, 'rule_bounds');
  assert.equal(e.detail.violations[0].bound, 'max');
  assert.equal(e.detail.violations[0].limit, 170000);
  assert.equal(count(), before, 'nothing stored');
  // a municipality the service does not serve, a missing one
  const other = { ceilings: [{ bfs: 371, name: 'Biel', by_size: THUN }] };
  const e2 = err(await call('POST', `${RD}/rent-ceilings`, { session: admin, body: { valid_from: '2026-01-01', data: other } }), 422, 'rule_bounds');
  assert.deepEqual(e2.detail.violations.map((v) => v.bound), ['served', 'complete']);
});

test('a version in bounds applies from its date; earlier dates keep the old one', async () => {
  const by = [118000, 148000, 168000, 188000, 208000, 228000];
  const s = ok(await call('POST', `${RD}/rent-ceilings`, {
    session: admin, body: { valid_from: '2031-01-01', data: { ceilings: [{ bfs: 942, name: 'Thun', by_size: by }] }, comment: 'Gemeinderatsbeschluss' },
  }), 201);
  assert.match(s.json.version, /^2031-01-01\.\d+$/);
  assert.equal(s.json.bounds_pack.name, 'rent-ceilings');
  const cw = await as('thun', 'caseworker');
  const now = ok(await ceiling(cw, '2031-02-01'), 200);
  assert.equal(now.json.output.rent_ceiling, 148000, show(now));
  assert.equal(now.json.pack.data.id, s.json.id);
  const old = ok(await ceiling(cw, '2030-12-31'), 200);
  assert.equal(old.json.output.rent_ceiling, 145000);
  assert.equal(old.json.pack.data.version, '2025.1');
  // what was in force on a date
  const a1 = ok(await call('GET', `${RD}/as-of?date=2030-12-31`, { session: admin }), 200);
  assert.deepEqual(a1.json.items.map((i) => [i.name, i.version]), [['rent-ceilings', '2025.1']]);
  const a2 = ok(await call('GET', `${RD}/as-of?date=2031-01-01`, { session: admin }), 200);
  assert.deepEqual(a2.json.items.map((i) => i.id), [s.json.id]);
  // listed with its data; other tenants are not affected
  const list = ok(await call('GET', RD, { session: admin }), 200);
  assert.deepEqual(list.json.items.find((i) => i.id === s.json.id).data.ceilings[0].by_size, by);
  assert.equal(list.json.items.find((i) => i.id === s.json.id).comment, 'Gemeinderatsbeschluss');
  const bl = ok(await call('GET', RD, { session: biel }), 200);
  assert.ok(bl.json.items.every((i) => i.id !== s.json.id), 'Biel does not see Thun\'s data');
  const bc = ok(await call('POST', '/api/v1/rules/evaluate', { session: await as('biel', 'caseworker'), body: { pack: 'rent-ceilings', function: 'ceiling', date: '2031-02-01', input: { bfs: 371, household_size: 2 } } }), 200);
  assert.equal(bc.json.output.rent_ceiling, 125000);
  // audited with the data and the canton pack that checked it
  const au = sql(DB_OWNER, `select action from audit_event where object_type = 'rule_pack' and object_id = '${s.json.id}'`);
  assert.equal(au, 'rule_data_saved');
});

test('rule data routes: types, missing fields, size, permissions, unknown packs', async () => {
  const good = { valid_from: '2026-01-01', data: { ceilings: [{ bfs: 942, name: 'Thun', by_size: THUN }] } };
  for (const [body, code] of [
    [{ ...good, data: 'x' }, 'invalid_type'], [{ ...good, data: [] }, 'invalid_type'],
    [{ ...good, valid_from: 20260101 }, 'invalid_type'], [{ ...good, valid_from: '2026-02-30' }, 'invalid_value'],
    [{ data: good.data }, 'missing_field'], [{ valid_from: '2026-01-01' }, 'missing_field'],
    [{ ...good, extra: 1 }, 'unknown_field'], [{ ...good, comment: 5 }, 'invalid_type'],
  ]) {
    err(await call('POST', `${RD}/rent-ceilings`, { session: admin, body }), 400, code);
    if (!('extra' in body) && !('comment' in body))
      err(await call('POST', `${RD}/rent-ceilings/check`, { session: admin, body }), 400, code);
  }
  err(await call('POST', `${RD}/rent-ceilings`, { session: admin, raw: JSON.stringify({ ...good, comment: 'x'.repeat(300 * 1024) }), headers: { 'content-type': 'application/json' } }), 413, 'body_too_large');
  err(await call('GET', `${RD}/rent-ceilings/bounds?date=2025-13-01`, { session: admin }), 400, 'invalid_parameter');
  err(await call('GET', `${RD}/as-of?date=x`, { session: admin }), 400, 'invalid_parameter');
  // a pack without bounds (skos-budget declares none) or none at all
  err(await call('POST', `${RD}/skos-budget`, { session: admin, body: good }), 422, 'rule_missing');
  err(await call('POST', `${RD}/${uniq('no')}`, { session: admin, body: good }), 422, 'rule_missing');
  err(await call('GET', `${RD}/NOT_A_NAME/bounds`, { session: admin }), 404, 'not_found');
  // permissions: only a tenant admin edits the own data
  for (const who of [await as('thun', 'caseworker'), await as('thun', 'teamlead'), await as('canton', 'canton-admin')]) {
    err(await call('GET', RD, { session: who }), 403, 'forbidden');
    err(await call('POST', `${RD}/rent-ceilings`, { session: who, body: good }), 403, 'forbidden');
  }
  err(await call('GET', RD), 401);
});

test('canton life cycle: a draft is edited (If-Match), back to draft; the editor cannot approve', async () => {
  const author = await as('canton', 'canton-admin');
  const reviewer = await as('canton', 'canton-reviewer');
  const name = uniq('ed');
  const src = (n) => `function f(i) return ${n} end\n`;
  const c = ok(await call('POST', RP, { session: author, body: { name, version: '1', valid_from: '2032-01-01', source: src(1), examples: [{ function: 'f', input: {}, expected: 1 }] } }), 201);
  ok(await call('POST', `${RP}/${c.json.id}/test`, { session: author }), 200);
  const g = ok(await call('GET', `${RP}/${c.json.id}`, { session: reviewer }), 200);
  assert.equal(g.json.status, 'tested');
  const etag = g.headers.get('etag');
  // the reviewer edits: a new source, the example follows
  const u = ok(await call('PUT', `${RP}/${c.json.id}`, { session: reviewer, headers: { 'if-match': etag }, body: { source: src(2), examples: [{ function: 'f', input: {}, expected: 2 }] } }), 200);
  assert.equal(u.json.status, 'draft');
  err(await call('PUT', `${RP}/${c.json.id}`, { session: reviewer, headers: { 'if-match': etag }, body: { source: src(3) } }), 409);
  // a syntax error is refused with its line
  const bad = err(await call('PUT', `${RP}/${c.json.id}`, { session: reviewer, headers: { 'if-match': u.headers.get('etag') }, body: { source: 'function f(i)\n  return (\nend\n' } }), 422, 'rule_error');
  assert.match(bad.detail.lua, /:3:/, 'names the line');
  ok(await call('POST', `${RP}/${c.json.id}/test`, { session: reviewer }), 200);
  ok(await call('POST', `${RP}/${c.json.id}/submit`, { session: reviewer, body: {} }), 200);
  // the editor is now the author: the other admin approves
  err(await call('POST', `${RP}/${c.json.id}/approve`, { session: reviewer, body: {} }), 403, 'four_eyes_required');
  ok(await call('POST', `${RP}/${c.json.id}/approve`, { session: author, body: { comment: 'ok' } }), 200);
  // approved versions are not edited: rolling back means a new version
  const g2 = ok(await call('GET', `${RP}/${c.json.id}`, { session: author }), 200);
  err(await call('PUT', `${RP}/${c.json.id}`, { session: author, headers: { 'if-match': g2.headers.get('etag') }, body: { source: src(4) } }), 409, 'invalid_state');
  // in force from its date only
  const a1 = ok(await call('GET', `${RP}/as-of?date=2031-12-31`, { session: author }), 200);
  assert.ok(!a1.json.items.some((i) => i.name === name));
  assert.ok(a1.json.items.some((i) => i.name === 'skos-budget'));
  const a2 = ok(await call('GET', `${RP}/as-of?date=2032-01-01`, { session: author }), 200);
  assert.equal(a2.json.items.find((i) => i.name === name).id, c.json.id);
  // retired: gone from that day on, still shown for the days before
  ok(await call('POST', `${RP}/${c.json.id}/retire`, { session: reviewer }), 200);
  const today = isoDay();
  const a3 = ok(await call('GET', `${RP}/as-of?date=${today}`, { session: author }), 200);
  assert.ok(!a3.json.items.some((i) => i.name === name));
  err(await call('GET', `${RP}/as-of?date=2032-13-01`, { session: author }), 400, 'invalid_parameter');
  err(await call('PUT', `${RP}/${c.json.id}`, { session: await as('thun', 'admin'), headers: { 'if-match': '"1"' }, body: { source: src(4) } }), 403, 'forbidden');
  err(await call('PUT', `${RP}/999999999`, { session: author, headers: { 'if-match': '"1"' }, body: { source: src(4) } }), 404, 'not_found');
  err(await call('PUT', `${RP}/${c.json.id}`, { session: author, headers: { 'if-match': '"1"' }, body: { source: 7 } }), 400, 'invalid_type');
});

test('rule pack edit and submit routes: missing fields, oversize bodies, foreign ids', async () => {
  const author = await as('canton', 'canton-admin');
  const name = uniq('rv');
  const c = ok(await call('POST', RP, { session: author, body: { name, version: '1', valid_from: '2033-01-01', source: 'function f() return 1 end', examples: [{ function: 'f', input: {}, expected: 1 }] } }), 201);
  const g = ok(await call('GET', `${RP}/${c.json.id}`, { session: author }), 200);
  const h = { 'if-match': g.headers.get('etag') };
  err(await call('PUT', `${RP}/${c.json.id}`, { session: author, headers: h, body: { valid_from: '2033-01-01' } }), 400, 'missing_field');
  err(await call('PUT', `${RP}/${c.json.id}`, { session: author, headers: h, body: { source: 'x', examples: 'none' } }), 400, 'invalid_type');
  err(await call('PUT', `${RP}/${c.json.id}`, { session: author, headers: h, body: { source: 'function f() end', examples: [{ function: 'f' }] } }), 400, 'invalid_value');
  err(await call('PUT', `${RP}/${c.json.id}`, { session: author, headers: h, raw: JSON.stringify({ source: '-'.repeat(600 * 1024) }) }), 413, 'body_too_large');
  err(await call('POST', `${RP}/${c.json.id}/submit`, { session: author, raw: JSON.stringify({ comment: 'x'.repeat(9000) }), headers: { 'content-type': 'application/json' } }), 413, 'body_too_large');
  err(await call('POST', `${RP}/${c.json.id}/submit`, { session: author, body: { comment: 3 } }), 400, 'invalid_type');
  err(await call('POST', `${RP}/${c.json.id}/submit`, { session: await as('thun', 'admin'), body: {} }), 403, 'forbidden');
  // a social service's own rule data is not reachable through the canton's routes
  const own = ok(await call('POST', '/api/v1/rules/evaluate', { session: await as('thun', 'caseworker'), body: { pack: 'rent-ceilings', function: 'ceiling', date: '2025-06-01', input: { bfs: 942, household_size: 1 } } }), 200).json.pack.data.id;
  err(await call('PUT', `${RP}/${own}`, { session: author, headers: { 'if-match': '"1"' }, body: { source: 'x' } }), 404, 'not_found');
  err(await call('POST', `${RP}/${own}/submit`, { session: author, body: {} }), 404, 'not_found');
  assert.equal(sql(DB_OWNER, `select status from rule_pack where id = ${own}`), 'approved');
  // nothing of the refused edits reached the draft
  assert.equal(ok(await call('GET', `${RP}/${c.json.id}`, { session: author }), 200).json.source, 'function f() return 1 end');
});

// A worker keeps what is in force for a tenant, pack and date (core/rules/
// rules_resolved.c), so that an evaluation needs no round trip: saved data
// must reach every worker before the save's answer, and a change made
// behind the server's back within five seconds.
const burst = async (cw, date) => (await Promise.all(Array.from({ length: 16 }, () => ceiling(cw, date))))
  .map((r) => { ok(r, 200); return r.json.output.rent_ceiling; });
// A size-2 ceiling no earlier run of the suite has saved (the database stays).
const fresh = () => 140000 + (Date.now() % 290) * 100;

test('rule data saved is used by the next evaluations on every worker', async () => {
  const cw = await as('thun', 'caseworker');
  const before = await burst(cw, '2035-06-01');
  assert.equal(new Set(before).size, 1, 'every worker answers the same');
  let two = fresh();
  if (two === before[0]) two += 100;
  const by = [110000, two, 180000, 200000, 220000, 240000];
  ok(await call('POST', `${RD}/rent-ceilings`, {
    session: admin, body: { valid_from: '2035-01-01', data: { ceilings: [{ bfs: 942, name: 'Thun', by_size: by }] } },
  }), 201);
  assert.deepEqual(await burst(cw, '2035-06-01'), Array(16).fill(two), 'no worker answered from before the save');
});

test('rule data changed behind the server\'s back is used within five seconds', async () => {
  const cw = await as('thun', 'caseworker');
  const before = await burst(cw, '2036-06-01');
  let two = fresh();
  if (two === before[0]) two += 100;
  const text = JSON.stringify({ ceilings: [{ bfs: 942, by_size: [110000, two, 180000, 200000, 220000, 240000], name: 'Thun' }] });
  sql(DB_OWNER, `insert into rule_pack (tenant_id, name, version, valid_from, source, sha256, status, examples, approved_at, imported_from, kind)
    values (${Number(tenantId('thun'))}, 'rent-ceilings', '${uniq('2036-01-01.sql')}', '2036-01-01', '${text}', '${sha256hex(text)}', 'approved', '[]', now(), 'test', 'data')`);
  await sleep(5500);
  assert.deepEqual(await burst(cw, '2036-06-01'), Array(16).fill(two));
});
