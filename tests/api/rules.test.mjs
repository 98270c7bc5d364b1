// The rule engine's API: versioned packs, example cases, four-eyes
// approval, effective dating, tenant override of canton packs, evaluation
// with provenance, cache invalidation, and the routes' input checks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  call, ok, err, show, as, uniq, sql, DB_OWNER, sha256hex, tenantId, until, isoDay
} from './lib.mjs';

const RP = '/api/v1/admin/rule-packs';
const ROOT = process.env.KASUS_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
let author; let reviewer;
before(async () => {
  author = await as('canton', 'canton-admin');
  reviewer = await as('canton', 'canton-reviewer');
});

const src = (n) => `function f(i) return ${n} end\nfunction g(i) return {v = ${n}, x = i.x} end\n`;
const ex = (n) => [{ function: 'f', input: {}, expected: n }];

async function create(body, who = author) {
  const r = ok(await call('POST', RP, { session: who, body: { version: '1', valid_from: '2020-01-01', examples: [], ...body } }), 201);
  assert.equal(r.json.status, 'draft');
  assert.match(r.json.sha256, /^[0-9a-f]{64}$/);
  if (body.source) assert.equal(r.json.sha256, sha256hex(body.source));
  return r.json;
}

/** create -> test -> approve by the other admin; returns the pack's id. */
async function approved(name, version, validFrom, n) {
  const c = await create({ name, version, valid_from: validFrom, source: src(n), examples: ex(n) });
  const t = ok(await call('POST', `${RP}/${c.id}/test`, { session: author }), 200);
  assert.equal(t.json.status, 'tested', show(t));
  ok(await call('POST', `${RP}/${c.id}/submit`, { session: author, body: {} }), 200);
  const a = ok(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body: {} }), 200);
  assert.equal(a.json.status, 'approved');
  return c.id;
}

async function resolve(session, name, date) {
  return call('GET', `/api/v1/rules/resolve?name=${encodeURIComponent(name)}${date ? `&date=${date}` : ''}`, { session });
}
async function evaluate(session, body) {
  return call('POST', '/api/v1/rules/evaluate', { session, body: { input: {}, ...body } });
}

test('the imported packs: skos-budget (canton) and rent-ceilings (per tenant)', async () => {
  const list = ok(await call('GET', RP, { session: author }), 200);
  assert.ok(Array.isArray(list.json.items), show(list));
  const skos = list.json.items.find((p) => p.name === 'skos-budget' && p.version === '2025.5');
  assert.ok(skos, 'skos-budget 2025.5 imported');
  assert.equal(skos.status, 'approved');
  assert.equal(skos.valid_from, '2025-01-01');
  assert.equal(skos.imported_from, 'plugins/skos-budget/skos-budget.lua');
  for (const k of ['id', 'name', 'version', 'valid_from', 'sha256', 'status', 'examples', 'author_id', 'approver_id', 'review_comment', 'imported_from', 'created_at', 'approved_at', 'row_version'])
    assert.ok(k in skos, `list item has ${k}`);
  assert.ok(!('source' in skos), 'the list carries no source');
  assert.ok(list.json.items.every((p) => p.kind === 'code'), 'the canton list holds code, no tenant data');
  assert.ok(list.json.items.some((p) => p.name === 'rent-ceilings'), "the canton's rent-ceilings code");
  const one = ok(await call('GET', `${RP}/${skos.id}`, { session: author }), 200);
  const file = fs.readFileSync(path.join(ROOT, 'plugins/skos-budget/skos-budget.lua'), 'utf8');
  assert.equal(one.json.source, file);
  assert.equal(one.json.sha256, sha256hex(file));
  assert.equal(one.headers.get('etag'), `"${one.json.row_version}"`);

  const t = await as('thun', 'caseworker');
  const r = ok(await resolve(t, 'skos-budget', '2025-06-01'), 200);
  assert.deepEqual(r.json, { id: skos.id, name: 'skos-budget', version: '2025.5', sha256: skos.sha256, valid_from: '2025-01-01', scope: 'canton', date: '2025-06-01' });
  err(await resolve(t, 'skos-budget', '2024-12-31'), 422, 'rule_missing');

  // rent-ceilings: the canton's code reads each tenant's own data
  const ids = new Set();
  for (const slug of ['thun', 'biel', 'oberes-emmental']) {
    const s = await as(slug, 'caseworker');
    const rr = ok(await resolve(s, 'rent-ceilings', '2025-06-01'), 200);
    assert.equal(rr.json.scope, 'canton', show(rr));
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, `tenants/${slug}/rules/rent-ceilings/pack.json`), 'utf8'));
    const e = pack.examples[0];
    const ev = ok(await evaluate(s, { pack: 'rent-ceilings', function: e.function, date: '2025-06-01', input: e.input }), 200);
    assert.equal(ev.json.pack.data.version, '2025.1');
    assert.equal(ev.json.pack.data.sha256, sha256hex(sortedJson(pack.data)), `${slug} reads its own data`);
    ids.add(ev.json.pack.data.id);
    // the canton admin cannot reach a tenant's data through the admin routes
    err(await call('GET', `${RP}/${ev.json.pack.data.id}`, { session: author }), 404, 'not_found');
  }
  assert.equal(ids.size, 3, 'each tenant has its own rent ceilings');
});

/** JSON with sorted keys and no spaces, as the server stores rule data. */
export function sortedJson(v) {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}


test('skos-budget examples replay through /rules/evaluate as the thun caseworker', async () => {
  const pack = JSON.parse(fs.readFileSync(path.join(ROOT, 'plugins/skos-budget/pack.json'), 'utf8'));
  assert.ok(pack.examples.length >= 5);
  const t = await as('thun', 'caseworker');
  const sha = sha256hex(fs.readFileSync(path.join(ROOT, 'plugins/skos-budget', pack.source), 'utf8'));
  for (const e of pack.examples) {
    const r = ok(await evaluate(t, { pack: pack.name, function: e.function, date: e.input.date || '2025-03-01', input: e.input }), 200);
    assert.deepEqual(r.json.output, e.expected, `${e.title}: ${show(r)}`);
    assert.equal(r.json.pack.name, 'skos-budget');
    assert.equal(r.json.pack.version, pack.version);
    assert.equal(r.json.pack.sha256, sha);
    assert.equal(r.json.pack.valid_from, pack.valid_from);
    assert.equal(r.json.pack.scope, 'canton');
    assert.ok(Number.isInteger(r.json.pack.id));
  }
  // the pack's own test run agrees, and an approved pack stays approved
  const id = ok(await resolve(t, 'skos-budget', '2025-06-01'), 200).json.id;
  const tr = ok(await call('POST', `${RP}/${id}/test`, { session: author }), 200);
  assert.equal(tr.json.failed, 0, show(tr));
  assert.equal(tr.json.passed, pack.examples.length);
  assert.equal(tr.json.status, 'approved');
});

test('rent-ceilings examples replay per tenant', async () => {
  for (const slug of ['thun', 'biel', 'oberes-emmental']) {
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, `tenants/${slug}/rules/rent-ceilings/pack.json`), 'utf8'));
    const s = await as(slug, 'caseworker');
    for (const e of pack.examples) {
      const r = ok(await evaluate(s, { pack: 'rent-ceilings', function: e.function, date: '2025-06-01', input: e.input }), 200);
      assert.deepEqual(r.json.output, e.expected, `${slug} ${e.title}: ${show(r)}`);
      assert.equal(r.json.pack.scope, 'canton');
      assert.equal(r.json.pack.data.version, pack.version);
    }
  }
});

test('the Alimentenhilfe packs (advance, index, allocation) replay their examples in the server', async () => {
  const t = await as('thun', 'caseworker');
  for (const name of ['alimente-advance', 'alimente-index', 'alimente-allocation']) {
    const pack = JSON.parse(fs.readFileSync(path.join(ROOT, `plugins/${name}/pack.json`), 'utf8'));
    assert.ok(pack.examples.length >= (name === 'alimente-advance' ? 12 : 5), name);
    for (const e of pack.examples) {
      const r = ok(await evaluate(t, { pack: name, function: e.function, date: e.input.date || '2025-06-01', input: e.input }), 200);
      assert.deepEqual(r.json.output, e.expected, `${name} ${e.title}: ${show(r)}`);
      assert.equal(r.json.pack.version, pack.version);
      assert.equal(r.json.pack.scope, 'canton');
    }
    const id = ok(await resolve(t, name, '2025-06-01'), 200).json.id;
    const tr = ok(await call('POST', `${RP}/${id}/test`, { session: author }), 200);
    assert.equal(tr.json.failed, 0, show(tr));
    assert.equal(tr.json.passed, pack.examples.length);
  }
  // before the packs' valid_from (2023-01-01, the first cap) nothing is in force
  err(await resolve(t, 'alimente-advance', '2022-12-31'), 422, 'rule_missing');
});

test('life cycle: draft -> tested -> approved by the second admin; four eyes', async () => {
  const name = uniq('lc');
  const source = src(5);
  const c = await create({ name, version: '1.0', valid_from: '2020-01-01', source, examples: ex(5) });
  const g = ok(await call('GET', `${RP}/${c.id}`, { session: reviewer }), 200);
  assert.equal(g.json.source, source);
  assert.equal(g.json.status, 'draft');
  assert.equal(g.json.author_id, author.data.user.id);
  assert.equal(g.json.approver_id, null);
  assert.deepEqual(g.json.examples, ex(5));

  // untested: approval refused, by either admin
  let e = err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body: {} }), 409, 'invalid_state');
  assert.equal(e.detail && e.detail.status, 'draft');
  err(await call('POST', `${RP}/${c.id}/retire`, { session: reviewer }), 409, 'invalid_state');
  // a draft is not in force
  err(await resolve(author, name, '2025-01-01'), 422, 'rule_missing');
  err(await evaluate(await as('thun', 'caseworker'), { pack: name, function: 'f', date: '2025-01-01' }), 422, 'rule_missing');

  const t = ok(await call('POST', `${RP}/${c.id}/test`, { session: author }), 200);
  assert.deepEqual({ passed: t.json.passed, failed: t.json.failed, status: t.json.status }, { passed: 1, failed: 0, status: 'tested' });
  assert.equal(t.json.results.length, 1);
  assert.equal(t.json.results[0].ok, true);
  assert.equal(t.json.results[0].output, 5);

  // tested is not yet submitted: no approval
  e = err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body: {} }), 409, 'invalid_state');
  assert.equal(e.detail && e.detail.status, 'tested');
  const sub = ok(await call('POST', `${RP}/${c.id}/submit`, { session: author, body: { comment: 'bitte prüfen' } }), 200);
  assert.equal(sub.json.status, 'submitted');
  err(await call('POST', `${RP}/${c.id}/submit`, { session: author, body: {} }), 409, 'invalid_state');
  assert.ok(ok(await call('GET', `${RP}/${c.id}`, { session: author }), 200).json.submitted_at);

  // the author cannot approve (nor reject) what they wrote
  err(await call('POST', `${RP}/${c.id}/approve`, { session: author, body: {} }), 403, 'four_eyes_required');
  err(await call('POST', `${RP}/${c.id}/reject`, { session: author, body: { comment: 'no' } }), 403, 'four_eyes_required');
  assert.equal(ok(await call('GET', `${RP}/${c.id}`, { session: author }), 200).json.status, 'submitted');

  const a = ok(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body: { comment: 'geprüft' } }), 200);
  assert.deepEqual(a.json, { id: c.id, status: 'approved', valid_from: '2020-01-01' });
  const g2 = ok(await call('GET', `${RP}/${c.id}`, { session: author }), 200);
  assert.equal(g2.json.status, 'approved');
  assert.equal(g2.json.approver_id, reviewer.data.user.id);
  assert.equal(g2.json.review_comment, 'geprüft');
  assert.ok(g2.json.approved_at);
  assert.ok(g2.json.row_version > g.json.row_version);
  // approved: not again, not rejectable
  err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body: {} }), 409, 'invalid_state');
  err(await call('POST', `${RP}/${c.id}/reject`, { session: reviewer, body: { comment: 'late' } }), 409, 'invalid_state');

  const r = ok(await resolve(await as('thun', 'teamlead'), name, '2025-01-01'), 200);
  assert.equal(r.json.id, c.id);
  assert.equal(r.json.scope, 'canton');
  const ev = ok(await evaluate(await as('biel', 'accounting'), { pack: name, function: 'g', date: '2025-01-01', input: { x: 'y' } }), 200);
  assert.deepEqual(ev.json.output, { v: 5, x: 'y' });
  assert.deepEqual(ev.json.pack, { id: c.id, name, version: '1.0', sha256: sha256hex(source), valid_from: '2020-01-01', scope: 'canton' });

  // audit trail of the cycle
  const acts = sql(DB_OWNER, `select string_agg(action, ',' order by seq) from audit_event where object_type = 'rule_pack' and object_id = '${c.id}'`);
  assert.equal(acts, 'rule_pack_created,rule_pack_tested,rule_pack_submitted,rule_pack_approved');

  // retire: out of force
  ok(await call('POST', `${RP}/${c.id}/retire`, { session: reviewer }), 200);
  assert.equal(ok(await call('GET', `${RP}/${c.id}`, { session: author }), 200).json.status, 'retired');
  err(await resolve(author, name, '2025-01-01'), 422, 'rule_missing');
  err(await call('POST', `${RP}/${c.id}/retire`, { session: reviewer }), 409, 'invalid_state');
});

test('failing or missing examples keep a draft a draft; rejection', async () => {
  const name = uniq('fx');
  const c = await create({ name, source: src(1), examples: [...ex(1), { function: 'f', input: {}, expected: 2 }, { function: 'nope', input: {}, expected: 1 }] });
  const t = ok(await call('POST', `${RP}/${c.id}/test`, { session: author }), 200);
  assert.equal(t.json.passed, 1);
  assert.equal(t.json.failed, 2);
  assert.equal(t.json.status, 'draft');
  assert.equal(t.json.results[1].ok, false);
  assert.equal(t.json.results[1].output, 1);
  assert.equal(t.json.results[2].ok, false);
  assert.equal(t.json.results[2].error, 'rule_missing');
  err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body: {} }), 409, 'invalid_state');

  const none = await create({ name: uniq('nx'), source: src(1) });
  const tn = ok(await call('POST', `${RP}/${none.id}/test`, { session: author }), 200);
  assert.equal(tn.json.passed, 0);
  assert.equal(tn.json.status, 'draft', 'no example cases: not tested');
  err(await call('POST', `${RP}/${none.id}/approve`, { session: reviewer, body: {} }), 409, 'invalid_state');

  // reject by the reviewer, with a comment; then it cannot be approved
  const rj = ok(await call('POST', `${RP}/${c.id}/reject`, { session: reviewer, body: { comment: 'Beispiel 2 falsch' } }), 200);
  assert.deepEqual(rj.json, { id: c.id, status: 'rejected' });
  const g = ok(await call('GET', `${RP}/${c.id}`, { session: author }), 200);
  assert.equal(g.json.status, 'rejected');
  assert.equal(g.json.review_comment, 'Beispiel 2 falsch');
  ok(await call('POST', `${RP}/${c.id}/test`, { session: author }), 200);
  err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body: {} }), 409, 'invalid_state');

  // the same name and version twice
  err(await call('POST', RP, { session: author, body: { name, version: '1', valid_from: '2020-01-01', source: src(9) } }), 409, 'already_exists');
});

test('effective dating: v1 before v2.valid_from, v2 from then on', async () => {
  const name = uniq('demo-x');
  const v1 = await approved(name, 'v1', '2020-01-01', 1);
  const v2 = await approved(name, 'v2', '2030-01-01', 2);
  const t = await as('thun', 'caseworker');
  for (const [date, id, out] of [['2025-06-15', v1, 1], ['2029-12-31', v1, 1], ['2030-01-01', v2, 2], ['2031-01-01', v2, 2]]) {
    const r = ok(await resolve(t, name, date), 200);
    assert.equal(r.json.id, id, `${date}: ${show(r)}`);
    assert.equal(r.json.date, date);
    const e = ok(await evaluate(t, { pack: name, function: 'f', date }), 200);
    assert.equal(e.json.output, out, `${date}: ${show(e)}`);
    assert.equal(e.json.pack.id, id);
  }
  err(await resolve(t, name, '2019-12-31'), 422, 'rule_missing');
  const e = err(await evaluate(t, { pack: name, function: 'f', date: '2019-12-31' }), 422, 'rule_missing');
  assert.equal(e.detail && e.detail.pack, name);
  // no date: today
  const today = isoDay();
  const r = ok(await resolve(t, name), 200);
  assert.equal(r.json.date.length, 10);
  assert.equal(r.json.id, r.json.date >= '2030-01-01' ? v2 : v1);
  const ev = ok(await evaluate(t, { pack: name, function: 'f' }), 200);
  assert.equal(ev.json.output, today >= '2030-01-01' ? 2 : 1);
});

test('a tenant pack overrides the canton pack of that name for that tenant only', async () => {
  const name = uniq('ov');
  const cid = await approved(name, 'canton-1', '2020-01-01', 10);
  const thun = Number(tenantId('thun'));
  const tsrc = src(20);
  const tid = sql(DB_OWNER, `insert into rule_pack (tenant_id, name, version, valid_from, source, sha256, status, examples, approved_at, imported_from)
    values (${thun}, '${name}', 'thun-1', '2024-01-01', '${tsrc.replace(/'/g, "''")}', '${sha256hex(tsrc)}', 'approved', '[]', now(), 'test') returning id`).split('\n')[0];
  const t = await as('thun', 'caseworker');
  const b = await as('biel', 'caseworker');
  let r = ok(await resolve(t, name, '2025-01-01'), 200);
  assert.equal(String(r.json.id), tid);
  assert.equal(r.json.scope, 'tenant');
  assert.equal(ok(await evaluate(t, { pack: name, function: 'f', date: '2025-01-01' }), 200).json.output, 20);
  // before the tenant's own version: the canton's
  r = ok(await resolve(t, name, '2023-01-01'), 200);
  assert.equal(r.json.id, cid);
  assert.equal(r.json.scope, 'canton');
  assert.equal(ok(await evaluate(t, { pack: name, function: 'f', date: '2023-01-01' }), 200).json.output, 10);
  // other tenants see only the canton's
  r = ok(await resolve(b, name, '2025-01-01'), 200);
  assert.equal(r.json.id, cid);
  assert.equal(r.json.scope, 'canton');
  const eb = ok(await evaluate(b, { pack: name, function: 'f', date: '2025-01-01' }), 200);
  assert.equal(eb.json.output, 10);
  assert.equal(eb.json.pack.scope, 'canton');
  // and the tenant pack is invisible to the canton's admin routes
  err(await call('GET', `${RP}/${tid}`, { session: author }), 404, 'not_found');
  assert.ok(!ok(await call('GET', RP, { session: author }), 200).json.items.some((p) => String(p.id) === tid));
});

test('a newly approved version is used at once, on every worker', async () => {
  const name = uniq('inv');
  await approved(name, '1', '2020-01-01', 1);
  const t = await as('thun', 'caseworker');
  const burst = async () => (await Promise.all(Array.from({ length: 16 }, () => evaluate(t, { pack: name, function: 'f', date: '2025-01-01' })))).map((r) => { ok(r, 200); return r.json.output; });
  assert.deepEqual(await burst(), Array(16).fill(1));
  const v2 = await approved(name, '2', '2021-01-01', 2);
  assert.deepEqual(await burst(), Array(16).fill(2), 'the next calls use the new version');
  const e = ok(await evaluate(t, { pack: name, function: 'f', date: '2025-01-01' }), 200);
  assert.equal(e.json.pack.id, v2);
  // retiring it falls back at once
  ok(await call('POST', `${RP}/${v2}/retire`, { session: reviewer }), 200);
  assert.deepEqual(await burst(), Array(16).fill(1), 'after retirement the earlier version applies again');
});

test('permissions: only canton admins reach the admin routes; rules.evaluate for the rest', async () => {
  const skosId = ok(await resolve(author, 'skos-budget', '2025-06-01'), 200).json.id;
  const draftPack = await create({ name: uniq('pm'), source: src(1), examples: ex(1) });
  const adminRoutes = [
    ['GET', RP], ['POST', RP, { name: uniq('pm'), version: '1', valid_from: '2020-01-01', source: src(1) }],
    ['GET', `${RP}/${skosId}`], ['POST', `${RP}/${skosId}/dry-run`, { function: 'budget', input: {} }],
    ['POST', `${RP}/${draftPack.id}/test`], ['POST', `${RP}/${draftPack.id}/approve`, {}],
    ['POST', `${RP}/${draftPack.id}/reject`, { comment: 'x' }], ['POST', `${RP}/${skosId}/retire`],
  ];
  for (const [tenant, user] of [['thun', 'caseworker'], ['thun', 'admin'], ['thun', 'teamlead'], ['biel', 'auditor'], ['thun', 'legal']]) {
    const s = await as(tenant, user);
    for (const [m, p, body] of adminRoutes) {
      const e = err(await call(m, p, { session: s, body }), 403, 'forbidden');
      assert.equal(e.detail && e.detail.permission, 'canton.rules');
    }
  }
  // nothing changed
  assert.equal(ok(await call('GET', `${RP}/${draftPack.id}`, { session: author }), 200).json.status, 'draft');
  assert.equal(ok(await call('GET', `${RP}/${skosId}`, { session: author }), 200).json.status, 'approved');
  for (const user of ['caseworker', 'teamlead', 'accounting', 'admin'])
    ok(await resolve(await as('thun', user), 'skos-budget', '2025-06-01'), 200);
  for (const user of ['reception', 'legal', 'auditor']) {
    const s = await as('thun', user);
    err(await resolve(s, 'skos-budget', '2025-06-01'), 403, 'forbidden');
    err(await evaluate(s, { pack: 'rent-ceilings', function: 'ceiling', date: '2025-06-01', input: { bfs: 942, household_size: 1 } }), 403, 'forbidden');
  }
  // without a session
  err(await call('GET', RP), 401);
  err(await call('GET', '/api/v1/rules/resolve?name=skos-budget'), 401);
});

test('foreign and unknown ids: 404', async () => {
  for (const id of ['999999999', '0']) {
    err(await call('GET', `${RP}/${id}`, { session: author }), 404);
    err(await call('POST', `${RP}/${id}/dry-run`, { session: author, body: { function: 'f', input: {} } }), 404);
    err(await call('POST', `${RP}/${id}/test`, { session: author }), 404);
    err(await call('POST', `${RP}/${id}/approve`, { session: reviewer, body: {} }), 404);
    err(await call('POST', `${RP}/${id}/reject`, { session: reviewer, body: { comment: 'x' } }), 404);
    err(await call('POST', `${RP}/${id}/retire`, { session: reviewer }), 404);
  }
  for (const id of ['abc', '-1', '1e3', '9999999999999999999999']) {
    const r = await call('GET', `${RP}/${id}`, { session: author });
    assert.ok([400, 404].includes(r.status), show(r));
    err(r, r.status);
  }
  // a tenant's own rule data id through the canton admin's routes
  const tid = ok(await call('POST', '/api/v1/rules/evaluate', { session: await as('thun', 'caseworker'), body: { pack: 'rent-ceilings', function: 'ceiling', date: '2025-06-01', input: { bfs: 942, household_size: 1 } } }), 200).json.pack.data.id;
  err(await call('POST', `${RP}/${tid}/dry-run`, { session: author, body: { function: 'ceiling', input: {} } }), 404, 'not_found');
  err(await call('POST', `${RP}/${tid}/retire`, { session: reviewer }), 404, 'not_found');
  assert.equal(sql(DB_OWNER, `select status from rule_pack where id = ${Number(tid)}`), 'approved');
});

test('create: input validation', async () => {
  const good = { name: uniq('cv'), version: '1', valid_from: '2020-01-01', source: src(1) };
  const cases = [
    [{ ...good, name: undefined }, 'missing_field'],
    [{ ...good, version: undefined }, 'missing_field'],
    [{ ...good, valid_from: undefined }, 'missing_field'],
    [{ ...good, source: undefined }, 'missing_field'],
    [{ ...good, name: 'Bad_Name' }, 'invalid_value'],
    [{ ...good, name: '-x' }, 'invalid_value'],
    [{ ...good, name: 'a' }, 'invalid_value'],
    [{ ...good, name: 'x'.repeat(64) }, 'invalid_value'],
    [{ ...good, name: 5 }, 'invalid_type'],
    [{ ...good, version: '' }, 'invalid_length'],
    [{ ...good, version: 'v'.repeat(33) }, 'invalid_length'],
    [{ ...good, version: 1 }, 'invalid_type'],
    [{ ...good, valid_from: '2020-02-30' }, 'invalid_value'],
    [{ ...good, valid_from: '1.1.2020' }, 'invalid_value'],
    [{ ...good, source: '' }, 'invalid_length'],
    [{ ...good, source: ['x'] }, 'invalid_type'],
    [{ ...good, source: 'x'.repeat(256 * 1024 + 1) }, 'invalid_length'],
    [{ ...good, examples: {} }, 'invalid_type'],
    [{ ...good, examples: 'x' }, 'invalid_type'],
    [{ ...good, examples: [{ function: 'f', input: {} }] }, 'invalid_value'],
    [{ ...good, examples: [{ input: {}, expected: 1 }] }, 'invalid_value'],
    [{ ...good, examples: [5] }, 'invalid_value'],
    [{ ...good, examples: Array(201).fill(ex(1)[0]) }, 'invalid_length'],
    [{ ...good, status: 'approved' }, 'unknown_field'],
    [{ ...good, author_id: 1 }, 'unknown_field'],
  ];
  for (const [body, code] of cases) {
    const b = JSON.parse(JSON.stringify(body));
    err(await call('POST', RP, { session: author, body: b }), 400, code);
  }
  err(await call('POST', RP, { session: author, raw: '{"name": "x",', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('POST', RP, { session: author, raw: '{"name":"a1","name":"a2"}', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('POST', RP, { session: author, raw: '[]', headers: { 'content-type': 'application/json' } }), 400, 'invalid_body');
  err(await call('POST', RP, { session: author, raw: JSON.stringify(good), headers: { 'content-type': 'text/plain' } }), 415);
  err(await call('POST', RP, { session: author }), 400, 'missing_body');
  const huge = { ...good, source: `-- ${'x'.repeat(600 * 1024)}\n${src(1)}` };
  err(await call('POST', RP, { session: author, body: huge }), 413, 'body_too_large');
  err(await call('POST', RP, { session: author, body: good, csrf: false }), 403, 'csrf_failed');
  assert.ok(!ok(await call('GET', RP, { session: author }), 200).json.items.some((p) => p.name === good.name), 'nothing stored');
  // and the good one is fine
  await create(good);
});

test('review, test and retire routes: input validation', async () => {
  const c = await create({ name: uniq('rv'), source: src(1), examples: ex(1) });
  ok(await call('POST', `${RP}/${c.id}/test`, { session: author }), 200);
  for (const [body, code] of [
    [{ comment: 5 }, 'invalid_type'], [{ comment: 'x'.repeat(2001) }, 'invalid_length'],
    [{ comment: 'x', approve: true }, 'unknown_field'], [[], 'invalid_body'],
  ]) {
    err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, body }), 400, code);
    err(await call('POST', `${RP}/${c.id}/reject`, { session: reviewer, body }), 400, code);
  }
  err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, raw: '{"comment":', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('POST', `${RP}/${c.id}/approve`, { session: reviewer, raw: JSON.stringify({ comment: 'x'.repeat(9000) }), headers: { 'content-type': 'application/json' } }), 413, 'body_too_large');
  // routes without a body refuse one (400 unexpected_body, or 413 for a limit of 0)
  for (const [p, s] of [[`${RP}/${c.id}/test`, author], [`${RP}/${c.id}/retire`, reviewer]]) {
    const r = await call('POST', p, { session: s, body: { x: 1 } });
    assert.ok([400, 413].includes(r.status), show(r));
    err(r, r.status, ['unexpected_body', 'body_too_large']);
  }
  assert.equal(ok(await call('GET', `${RP}/${c.id}`, { session: author }), 200).json.status, 'tested', 'nothing changed');
  err(await call('PUT', `${RP}/${c.id}`, { session: author, body: { source: 'x' } }), 428, 'precondition_required');
  err(await call('PATCH', `${RP}/${c.id}`, { session: author, body: { source: 'x' } }), 405);
  err(await call('DELETE', `${RP}/${c.id}`, { session: author }), 405);
});

test('resolve and evaluate: input validation', async () => {
  const t = await as('thun', 'caseworker');
  // an empty name matches nothing (400 or 422 rule_missing both refuse it)
  const empty = await call('GET', '/api/v1/rules/resolve?name=', { session: t });
  assert.ok([400, 422].includes(empty.status), show(empty));
  for (const q of ['', '?date=2025-01-01', `?name=${'x'.repeat(64)}`, '?name=skos-budget&date=2025-1-1', '?name=skos-budget&date=2025-13-01', '?name=skos-budget&date=2025-02-30', '?name=skos-budget&date=abcdefghij', '?name=skos-budget&date=20250101'])
    err(await call('GET', `/api/v1/rules/resolve${q}`, { session: t }), 400);
  err(await resolve(t, 'no-such-pack', '2025-06-01'), 422, 'rule_missing');

  const good = { pack: 'rent-ceilings', function: 'ceiling', date: '2025-06-01', input: { bfs: 942, household_size: 2 } };
  ok(await call('POST', '/api/v1/rules/evaluate', { session: t, body: good }), 200);
  for (const [body, code] of [
    [{ ...good, pack: undefined }, 'missing_field'], [{ ...good, function: undefined }, 'missing_field'],
    [{ ...good, input: undefined }, 'missing_field'], [{ ...good, pack: 'Rent' }, 'invalid_value'],
    [{ ...good, pack: 5 }, 'invalid_type'], [{ ...good, function: 5 }, 'invalid_type'],
    [{ ...good, function: '' }, 'invalid_length'], [{ ...good, input: [] }, 'invalid_type'],
    [{ ...good, input: 'x' }, 'invalid_type'], [{ ...good, date: '2025-02-30' }, 'invalid_value'],
    [{ ...good, date: 20250101 }, 'invalid_type'], [{ ...good, scope: 'canton' }, 'unknown_field'],
  ]) {
    err(await call('POST', '/api/v1/rules/evaluate', { session: t, body: JSON.parse(JSON.stringify(body)) }), 400, code);
  }
  err(await call('POST', '/api/v1/rules/evaluate', { session: t, raw: '{"pack":', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('POST', '/api/v1/rules/evaluate', { session: t, body: { ...good, input: { pad: 'x'.repeat(300 * 1024) } } }), 413, 'body_too_large');
  err(await call('POST', '/api/v1/rules/evaluate', { session: t, body: { ...good, pack: 'no-such-pack' } }), 422, 'rule_missing');
  err(await call('POST', '/api/v1/rules/evaluate', { session: t, body: { ...good, function: 'nope' } }), 422, 'rule_missing');
  // a rule's own refusal of bad input is a rule_error with its message
  const e = err(await call('POST', '/api/v1/rules/evaluate', { session: t, body: { ...good, input: { bfs: 'x', household_size: 2 } } }), 422, 'rule_error');
  assert.equal(typeof e.detail.lua, 'string');
});
