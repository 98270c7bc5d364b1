// The error contract of every route, taken from the server's own
// openapi.json (generated from the route tables, so a new route is in
// this sweep the day it is added):
//   - without a session: 401 "unauthenticated";
//   - without the route's permission: 403 "forbidden" naming it;
//   - a body over the route's limit: 413 "body_too_large" naming the
//     limit, before anything is read;
//   - a body that is not JSON, not an object, has an unknown field, a field
//     of the wrong type, too long or out of range, or lacks a required
//     field: 400 with a stable code naming the field;
// and for all of them: the error's shape (code, message a person reads,
// the request id of the X-Request-Id header), no 5xx, the access log line
// with the request id and the code, and nothing written (the audit log,
// which every change writes to, does not grow).
// Foreign tenants' ids are covered per area (isolation, persons, cases,
// documents, rule data, billing tests): they need real records.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  call, as, login, createUser, freshTenant, show, sql, DB_OWNER, until, rawHead,
} from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LOG = path.join(ROOT, 'var', 'test', 'kasusd.log');

// Sample values for path parameters: the checks below answer before any
// handler looks the record up, so they need only be well-formed.
const PARAM = {
  id: '987654321', slug: 'thun', bfs: '942', name: 'rent-ceilings', module: 'sozialhilfe',
  tenant: '987654321', cost: '987654321', member_id: '987654321', file: 'x.js',
};

let ops;          // every operation of openapi.json
let nobody;       // a Thun user without any role
let tenantAll;    // a user with every role of a social service with every module
let canton;       // the canton's administrator
let tenantPerms;  // permissions some social-service role grants
const seen = [];  // [request id, error code] of every error answer

/** The route's address with its parameters filled in. */
function url(p) {
  return p.replace(/\{([^}]+)\}/g, (_, n) => {
    assert.ok(PARAM[n], `no sample value for path parameter {${n}} in ${p}`);
    return PARAM[n];
  });
}

/** An error answer as the platform promises it; remembered for the log check. */
function error(res, status, code, what) {
  const where = `${what}: ${show(res)}`;
  assert.equal(res.status, status, where);
  assert.match(res.headers.get('content-type') || '', /^application\/json/, where);
  const e = res.json?.error;
  assert.ok(e, where);
  assert.equal(e.code, code, where);
  assert.ok(typeof e.message === 'string' && e.message.length >= 8, `a message a person reads: ${where}`);
  assert.equal(e.request_id, res.headers.get('x-request-id'), `the request id is the header's: ${where}`);
  seen.push([e.request_id, code]);
  return e;
}

const auditCount = () => Number(sql(DB_OWNER, 'select count(*) from audit_event'));

before(async () => {
  const doc = (await call('GET', '/api/openapi.json')).json;
  ops = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      const body = op.requestBody;
      ops.push({
        method: m.toUpperCase(), path: p, url: url(p), perm: op['x-permission'],
        module: op['x-module'], isPublic: Array.isArray(op.security) && op.security.length === 0,
        limit: body?.['x-body-limit'], schema: body?.content?.['application/json']?.schema,
        query: (op.parameters || []).filter((x) => x.in === 'query').map((x) => x.name),
      });
    }
  }
  assert.ok(ops.length >= 100, `openapi.json lists ${ops.length} operations`);
  const admin = await as('thun', 'admin');
  const roles = (await call('GET', '/api/v1/roles', { session: admin })).json.items;
  const local = roles.filter((r) => !r.canton_level);
  tenantPerms = new Set(local.flatMap((r) => r.permissions));
  const u0 = await createUser(admin, []);
  nobody = await login('thun', u0.username, u0.password);
  canton = await as('canton', 'canton-admin');
  // A social service of its own with every module on (a module that is
  // off answers 404 before the body is looked at), and a user with every role.
  const fresh = await freshTenant('contract');
  for (const m of new Set(ops.map((o) => o.module).filter(Boolean))) {
    const on = await call('PUT', `/api/v1/admin/tenants/${fresh.slug}/modules/${m}`, { session: canton, body: { enabled: true } });
    assert.equal(on.status, 200, show(on));
  }
  const u1 = await createUser(fresh.admin, local.map((r) => r.code));
  tenantAll = await login(fresh.slug, u1.username, u1.password);
});

/** The session that holds a route's permission. */
function holder(op) {
  return op.perm && !tenantPerms.has(op.perm) ? canton : tenantAll;
}

test('every route that is not public answers 401 "unauthenticated" without a session', async () => {
  const closed = ops.filter((o) => !o.isPublic);
  assert.ok(closed.length >= 100);
  for (const o of closed) {
    const res = await call(o.method, o.url, o.schema ? { body: {} } : {});
    error(res, 401, 'unauthenticated', `${o.method} ${o.path}`);
  }
});

test('every route with a permission answers 403 "forbidden", naming it, to a user without it', async () => {
  const guarded = ops.filter((o) => o.perm);
  assert.ok(guarded.length >= 90);
  const before0 = auditCount();
  for (const o of guarded) {
    const res = await call(o.method, o.url, { session: nobody, ...(o.schema ? { body: {} } : {}) });
    const e = error(res, 403, 'forbidden', `${o.method} ${o.path} without ${o.perm}`);
    assert.equal(e.detail?.permission, o.perm, `${o.method} ${o.path}`);
  }
  // A social service's users never hold the canton's permissions.
  for (const o of guarded.filter((x) => x.perm.startsWith('canton.'))) {
    const res = await call(o.method, o.url, { session: tenantAll, ...(o.schema ? { body: {} } : {}) });
    error(res, 403, 'forbidden', `${o.method} ${o.path} as a social service's user`);
  }
  // The routes without a declared permission check in the handler: they
  // answer, or refuse with 403, but never fail.
  for (const o of ops.filter((x) => !x.perm && !x.isPublic && x.method === 'GET')) {
    const res = await call(o.method, o.url, { session: nobody });
    assert.ok([200, 403].includes(res.status), `${o.method} ${o.path}: ${show(res)}`);
    if (res.status === 403) error(res, 403, 'forbidden', `${o.method} ${o.path}`);
  }
  assert.equal(auditCount(), before0, 'refused requests write nothing');
});

test('every body over its route\'s limit is refused with 413 "body_too_large" naming the limit', async () => {
  const limited = ops.filter((o) => o.limit);
  assert.ok(limited.length >= 50);
  const json = { 'content-type': 'application/json' };
  for (const o of limited) {
    const what = `${o.method} ${o.path} with ${o.limit + 1} bytes`;
    // Unauthenticated on purpose: the size is checked before anything else.
    // A client that asks first is answered before it sends a byte.
    const asked = await rawHead(o.method, o.url, { ...json, 'Content-Length': String(o.limit + 1), Expect: '100-continue' });
    assert.equal(error(asked, 413, 'body_too_large', `${what} announced`).detail?.limit, o.limit, what);
    if (o.limit > 1024 * 1024) continue;	// (large uploads: tests/api/documents.test.mjs)
    // One that just sends gets the same answer, its body dropped.
    const pad = 'x'.repeat(o.limit + 1 - '{"a":""}'.length);
    const raw = `{"a":"${pad}"}`;
    assert.equal(Buffer.byteLength(raw), o.limit + 1);
    // A server may close the connection once it has answered 413, and a
    // client still sending then sees the connection reset instead of the
    // answer: that happened once in a CI run. The announced case above is
    // the strict one; here a transport error is tried once more, and the
    // second attempt must give the 413 itself.
    let sent;
    try {
      sent = await call(o.method, o.url, { raw, headers: json });
    } catch (e) {
      assert.equal(e?.name, 'TypeError', `${what} sent: ${e}`);
      sent = await call(o.method, o.url, { raw, headers: json });
    }
    assert.equal(error(sent, 413, 'body_too_large', `${what} sent`).detail?.limit, o.limit, what);
    // At the limit exactly, the size is fine (and the missing session is what is wrong).
    const exact = `${raw.slice(0, -3)}"}`;
    assert.equal(Buffer.byteLength(exact), o.limit);
    const at = await call(o.method, o.url, { raw: exact, headers: json });
    if (!o.isPublic) error(at, 401, 'unauthenticated', `${o.method} ${o.path} at the limit`);
    else assert.notEqual(at.status, 413, `${o.method} ${o.path} at the limit: ${show(at)}`);
  }
});

/** A value of the wrong JSON type for a property's schema. */
function wrongType(s) {
  switch (s.type) {
    case 'integer': return '1';
    case 'boolean': return 'true';
    case 'object': return [];
    case 'array': return {};
    default: return 12345;
  }
}

test('every JSON body is checked field by field before the handler runs, and nothing is written', async () => {
  const bodies = ops.filter((o) => o.schema && !o.isPublic);
  assert.ok(bodies.length >= 45);
  const before0 = auditCount();
  let fields = 0;
  for (const o of bodies) {
    const session = holder(o);
    const send = (opts) => call(o.method, o.url, { session, ...opts });
    const what = (w) => `${o.method} ${o.path}: ${w}`;
    error(await send({ raw: '{"a":', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json', what('cut-off JSON'));
    error(await send({ raw: '{"a":1,"a":2}', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json', what('a field twice'));
    error(await send({ body: [] }), 400, 'invalid_body', what('an array'));
    error(await send({ body: 'text' }), 400, 'invalid_body', what('a string'));
    error(await send({ raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', what('not JSON'));
    const unknown = error(await send({ body: { zz_not_a_field: 1 } }), 400, 'unknown_field', what('an unknown field'));
    assert.equal(unknown.detail?.field, 'zz_not_a_field', what('names the unknown field'));
    const props = Object.entries(o.schema.properties);
    for (const [name, s] of props) {
      fields += 1;
      const t = error(await send({ body: { [name]: wrongType(s) } }), 400, 'invalid_type', what(`${name} of the wrong type`));
      assert.equal(t.detail?.field, name, what(`names ${name}`));
      if (s.maxLength && s.maxLength + 64 < o.limit) {
        const l = error(await send({ body: { [name]: 'x'.repeat(s.maxLength + 1) } }), 400, 'invalid_length', what(`${name} too long`));
        assert.equal(l.detail?.field, name);
      }
      if (s.type === 'integer' && Number.isInteger(s.minimum) && s.minimum > Number.MIN_SAFE_INTEGER) {
        const r = error(await send({ body: { [name]: s.minimum - 1 } }), 400, 'out_of_range', what(`${name} below its minimum`));
        assert.equal(r.detail?.field, name);
      }
      if (s.format === 'date') {
        const d = error(await send({ body: { [name]: '2026-02-30' } }), 400, 'invalid_value', what(`${name} not a calendar date`));
        assert.equal(d.detail?.field, name);
      }
    }
    const required = o.schema.required || [];
    if (required.length > 0) {
      const m = error(await send({ body: {} }), 400, 'missing_field', what('nothing given'));
      assert.equal(m.detail?.field, required[0], what('names the first required field'));
      // null counts as absent
      const n = error(await send({ body: { [required[0]]: null } }), 400, 'missing_field', what('null given'));
      assert.equal(n.detail?.field, required[0]);
    }
  }
  assert.ok(fields >= 150, `${fields} fields checked`);
  assert.equal(auditCount(), before0, 'no refused body changed anything');
});

/** The smallest body the route's declared fields accept (required fields only). */
function minimalBody(schema) {
  const b = {};
  for (const name of schema.required || []) {
    const f = schema.properties[name];
    if (f.type === 'integer') b[name] = Math.max(f.minimum ?? 0, 1);
    else if (f.type === 'boolean') b[name] = true;
    else if (f.type === 'object') b[name] = {};
    else if (f.type === 'array') b[name] = [];
    else if (f.format === 'date') b[name] = '2026-01-01';
    else if (f.enum) [b[name]] = f.enum;
    else if (f.pattern) b[name] = 'zz-none';
    else b[name] = 'x'.repeat(Math.max(f.minLength ?? 1, 1));
  }
  return b;
}

test('every path parameter that names nothing, or is not a number, is refused cleanly', async () => {
  const BAD = ['0', '-1', 'abc', '1e3', '99999999999999999999999', '12abc', ' 1', '%00', 'a%2Fb', '%C3%A9'];
  const withParams = ops.filter((o) => o.path.includes('{') && !o.isPublic);
  assert.ok(withParams.length >= 60);
  const before0 = auditCount();
  for (const o of withParams) {
    const names = [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const n of names) {
      for (const bad of BAD) {
        const p = o.path.replace(/\{([^}]+)\}/g, (_, k) => (k === n ? bad : PARAM[k]));
        const what = `${o.method} ${p}`;
        const res = await call(o.method, p, { session: holder(o), ...(o.schema ? { body: minimalBody(o.schema) } : {}) })
          .catch((e) => assert.fail(`${what}: ${e.cause?.message || e.message}`));
        assert.ok(res.status >= 400 && res.status < 500, `${what}: ${show(res)}`);
        error(res, res.status, res.json?.error?.code, what);
        assert.match(res.json.error.code, /^[a-z_]+$/, what);
      }
    }
  }
  assert.equal(auditCount(), before0, 'nothing was written');
});

test('every list refuses a limit or cursor that is not one, naming the parameter, before it looks anything up', async () => {
  const paged = ops.filter((o) => o.query.includes('limit'));
  assert.ok(paged.length >= 12, `${paged.length} paged lists`);
  for (const o of paged) {
    assert.deepEqual(o.query, ['limit', 'after'], `${o.path} declares limit and after`);
    const bad = [
      ['limit', 'abc'], ['limit', '0'], ['limit', '-1'], ['limit', '501'], ['limit', '1e2'], ['limit', ''],
      ['limit', '99999999999999999999'], ['after', 'abc'], ['after', '-1'], ['after', '12abc'], ['after', ''],
      ['after', '99999999999999999999'], ['after', '1.5'],
    ];
    for (const [k, v] of bad) {
      const res = await call('GET', `${o.url}?${k}=${encodeURIComponent(v)}`, { session: holder(o) });
      const e = error(res, 400, 'invalid_parameter', `${o.path}?${k}=${v}`);
      assert.equal(e.detail?.parameter, k, `${o.path}?${k}=${v} names ${k}`);
    }
  }
  // A list that did not declare paging and used it would answer 500 (ks_page):
  // every other GET ignores ?limit=abc instead.
  for (const o of ops.filter((x) => x.method === 'GET' && !x.isPublic && !x.query.includes('limit'))) {
    const res = await call('GET', `${o.url}?limit=abc&after=abc`, { session: holder(o) });
    assert.ok(res.status < 500, `${o.method} ${o.path}: ${show(res)}`);
    if (res.status === 400) assert.notEqual(res.json?.error?.detail?.parameter, 'limit', `${o.path} pages without declaring it`);
  }
});

test('every refusal above has its access log line with the request id and the code', async () => {
  assert.ok(seen.length > 500, `${seen.length} refusals`);
  let missing = [];
  await until(() => {
    const log = readFileSync(LOG, 'utf8');
    const lines = new Map();
    for (const m of log.matchAll(/ access rid=([0-9a-f]+) .* error=([a-z_]+)/g)) lines.set(m[1], m[2]);
    missing = seen.filter(([rid, code]) => lines.get(rid) !== code);
    return missing.length === 0;
  }, 5000);
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} refusals without their log line`);
});
