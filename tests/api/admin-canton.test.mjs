// Canton administration: tenants, municipalities, first tenant admins.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, ok, err, show, as, login, uniq, listAll, sql, DB_OWNER, freshTenant, rawHead,
} from './lib.mjs';

let canton;
before(async () => { canton = await as('canton', 'canton-admin'); });

function freeBfs(n = 1) {
  const out = sql(DB_OWNER, `select s from generate_series(9000, 9999) s where s not in (select bfs from municipality) order by random() limit ${n}`);
  const list = out.split('\n').filter(Boolean).map(Number);
  assert.equal(list.length, n, 'free BFS numbers available');
  return list;
}

test('tenants: create, show, list, patch with ETag', async () => {
  const slug = uniq('ct');
  const c = ok(await call('POST', '/api/v1/admin/tenants', { session: canton, body: { slug, name: `Sozialdienst ${slug}`, language: 'fr' } }), 201);
  assert.equal(c.json.slug, slug);
  assert.equal(c.json.name, `Sozialdienst ${slug}`);
  assert.equal(c.json.language, 'fr');
  assert.equal(c.json.active, true);
  assert.equal(c.json.kind, 'social_service');
  assert.ok(Number.isInteger(c.json.id));
  assert.ok(Number.isInteger(c.json.version));

  const g = ok(await call('GET', `/api/v1/admin/tenants/${slug}`, { session: canton }), 200);
  assert.equal(g.headers.get('etag'), `"${g.json.version}"`);
  assert.deepEqual(g.json.municipalities, []);
  for (const k of ['id', 'slug', 'name', 'kind', 'language', 'active', 'version']) assert.ok(k in g.json, k);

  const all = await listAll('/api/v1/admin/tenants', canton, 2);
  const mine = all.find((t) => t.slug === slug);
  assert.ok(mine, 'new tenant in the list');
  for (const k of ['id', 'slug', 'name', 'kind', 'language', 'active', 'version']) assert.ok(k in mine, `${k} in list item`);
  for (const s of ['thun', 'biel', 'oberes-emmental', 'canton']) assert.ok(all.some((t) => t.slug === s), s);
  assert.equal(new Set(all.map((t) => t.id)).size, all.length, 'no tenant twice across pages');
  const big = ok(await call('GET', '/api/v1/admin/tenants?limit=500', { session: canton }), 200);
  assert.equal(big.json.items.length, all.length, 'paged and unpaged lists agree');
  assert.equal(big.json.next, null);

  const path = `/api/v1/admin/tenants/${slug}`;
  err(await call('PATCH', path, { session: canton, body: { name: 'No If-Match' } }), 428, 'precondition_required');
  const etag = g.headers.get('etag');
  const p = ok(await call('PATCH', path, { session: canton, body: { name: 'Renamed', language: 'de' }, headers: { 'if-match': etag } }), 200);
  assert.equal(p.json.name, 'Renamed');
  assert.equal(p.json.language, 'de');
  assert.ok(p.json.version > g.json.version, 'version grows');
  assert.equal(p.headers.get('etag'), `"${p.json.version}"`);
  const e = err(await call('PATCH', path, { session: canton, body: { name: 'Stale' }, headers: { 'if-match': etag } }), 409, 'conflict');
  assert.equal(e.detail?.current?.name, 'Renamed', `detail.current holds the current state: ${JSON.stringify(e)}`);
  assert.equal(e.detail.current.version, p.json.version);
  const g2 = ok(await call('GET', path, { session: canton }), 200);
  assert.equal(g2.json.name, 'Renamed', 'stale write changed nothing');
});

test('tenants: deactivating blocks sign-in to that tenant', async () => {
  const ft = await freshTenant('deact');
  const path = `/api/v1/admin/tenants/${ft.slug}`;
  const g = ok(await call('GET', path, { session: canton }), 200);
  ok(await call('PATCH', path, { session: canton, body: { active: false }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  const res = await call('POST', '/api/v1/session', { body: { tenant: ft.slug, username: 'admin', password: ft.password } });
  assert.ok(res.status === 401 || res.status === 403, `inactive tenant refuses sign-in: ${show(res)}`);
  const g2 = ok(await call('GET', path, { session: canton }), 200);
  assert.equal(g2.json.active, false);
  ok(await call('PATCH', path, { session: canton, body: { active: true }, headers: { 'if-match': g2.headers.get('etag') } }), 200);
  await login(ft.slug, 'admin', ft.password);
});

test('tenants: bad input', async () => {
  const P = '/api/v1/admin/tenants';
  err(await call('POST', P, { session: canton, body: { slug: 'Bad Slug', name: 'x' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: canton, body: { slug: '-lead', name: 'x' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: canton, body: { slug: 'a', name: 'x' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: canton, body: { slug: 'ok-slug-' + Date.now(), name: 'x', language: 'en' } }), 400, 'invalid_value');
  const m = err(await call('POST', P, { session: canton, body: { slug: 'ok-slug-' + Date.now() } }), 400, 'missing_field');
  assert.equal(m.detail?.field, 'name');
  const u = err(await call('POST', P, { session: canton, body: { slug: 'ok-slug-' + Date.now(), name: 'x', kind: 'canton' } }), 400, 'unknown_field');
  assert.equal(u.detail?.field, 'kind');
  err(await call('POST', P, { session: canton, body: { slug: 'ok-slug-' + Date.now(), name: 7 } }), 400, 'invalid_type');
  err(await call('POST', P, { session: canton, body: { slug: 'ok-slug-' + Date.now(), name: 'x'.repeat(201) } }), 400, 'invalid_length');
  err(await call('POST', P, { session: canton, body: { slug: 'ok-slug-' + Date.now(), name: '' } }), 400, 'invalid_length');
  err(await call('POST', P, { session: canton, body: { slug: 'thun', name: 'Thun again' } }), 409);
  err(await call('GET', `${P}/no-such-tenant-x`, { session: canton }), 404, 'not_found');
  err(await call('PATCH', `${P}/no-such-tenant-x`, { session: canton, body: { name: 'x' }, headers: { 'if-match': '"1"' } }), 404, 'not_found');
  const t = ok(await call('GET', `${P}/thun`, { session: canton }), 200);
  err(await call('PATCH', `${P}/thun`, { session: canton, body: { active: 'no' }, headers: { 'if-match': t.headers.get('etag') } }), 400, 'invalid_type');
  err(await call('PATCH', `${P}/thun`, { session: canton, body: { slug: 'other' }, headers: { 'if-match': t.headers.get('etag') } }), 400, 'unknown_field');
  const t2 = ok(await call('GET', `${P}/thun`, { session: canton }), 200);
  assert.equal(t2.json.version, t.json.version, 'refused patches changed nothing');
  assert.equal(t2.json.slug, 'thun');
});

test('the canton tenant cannot be switched off', async () => {
  const g = ok(await call('GET', '/api/v1/admin/tenants/canton', { session: canton }), 200);
  err(await call('PATCH', '/api/v1/admin/tenants/canton', { session: canton, body: { active: false }, headers: { 'if-match': g.headers.get('etag') } }), 400, 'invalid_value');
});

test('municipalities: create, show, list, patch with ETag', async () => {
  const [bfs] = freeBfs();
  const c = ok(await call('POST', '/api/v1/admin/municipalities', { session: canton, body: { bfs, name: `Gemeinde ${bfs}`, population: 1234 } }), 201);
  assert.equal(c.json.bfs, bfs);
  assert.equal(c.json.population, 1234);
  const path = `/api/v1/admin/municipalities/${bfs}`;
  const g = ok(await call('GET', path, { session: canton }), 200);
  assert.equal(g.json.name, `Gemeinde ${bfs}`);
  const etag = g.headers.get('etag');
  assert.match(etag || '', /^"\d+"$/);
  err(await call('PATCH', path, { session: canton, body: { population: 1 } }), 428, 'precondition_required');
  const p = ok(await call('PATCH', path, { session: canton, body: { population: 2000 }, headers: { 'if-match': etag } }), 200);
  assert.equal(p.json.population, 2000);
  assert.notEqual(p.headers.get('etag'), etag);
  const e = err(await call('PATCH', path, { session: canton, body: { population: 5 }, headers: { 'if-match': etag } }), 409, 'conflict');
  assert.equal(e.detail?.current?.population, 2000, JSON.stringify(e));
  const all = await listAll('/api/v1/admin/municipalities', canton, 3);
  assert.ok(all.some((m) => m.bfs === bfs), 'new municipality listed');
  assert.equal(new Set(all.map((m) => m.bfs)).size, all.length, 'no municipality twice across pages');
  err(await call('POST', '/api/v1/admin/municipalities', { session: canton, body: { bfs, name: 'Dup', population: 1 } }), 409);
  const im = { 'if-match': p.headers.get('etag') };
  err(await call('PATCH', path, { session: canton, body: { population: '7' }, headers: im }), 400, 'invalid_type');
  err(await call('PATCH', path, { session: canton, body: { population: -7 }, headers: im }), 400);
  err(await call('PATCH', path, { session: canton, body: { name: '' }, headers: im }), 400, 'invalid_length');
  const uf = err(await call('PATCH', path, { session: canton, body: { bfs: bfs + 1 }, headers: im }), 400, 'unknown_field');
  assert.equal(uf.detail?.field, 'bfs');
  err(await call('PATCH', path, { session: canton, raw: '{"name":', headers: { ...im, 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('PATCH', path, { session: canton, raw: '{"name":"x"}', headers: { ...im, 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
  err(await rawHead('PATCH', path, { ...im, 'Content-Type': 'application/json', Cookie: `ks_session=${canton.cookie}`, 'X-CSRF-Token': canton.csrf, 'Content-Length': String(16 * 1024 * 1024) }), 413, 'body_too_large');
  const g3 = ok(await call('GET', path, { session: canton }), 200);
  assert.equal(g3.json.population, 2000, 'refused patches changed nothing');
  assert.equal(g3.headers.get('etag'), p.headers.get('etag'));
});

test('municipalities: bad input', async () => {
  const P = '/api/v1/admin/municipalities';
  const [bfs] = freeBfs();
  err(await call('POST', P, { session: canton, body: { bfs: 0, name: 'x', population: 1 } }), 400);
  err(await call('POST', P, { session: canton, body: { bfs: 10000, name: 'x', population: 1 } }), 400);
  err(await call('POST', P, { session: canton, body: { bfs, name: 'x', population: -1 } }), 400);
  err(await call('POST', P, { session: canton, body: { bfs: String(bfs), name: 'x', population: 1 } }), 400, 'invalid_type');
  err(await call('POST', P, { session: canton, body: { bfs: 1.5, name: 'x', population: 1 } }), 400, 'invalid_type');
  err(await call('POST', P, { session: canton, body: { bfs, name: 'x', population: '1' } }), 400, 'invalid_type');
  const m = err(await call('POST', P, { session: canton, body: { bfs, name: 'x' } }), 400, 'missing_field');
  assert.equal(m.detail?.field, 'population');
  const u = err(await call('POST', P, { session: canton, body: { bfs, name: 'x', population: 1, canton: 'BE' } }), 400, 'unknown_field');
  assert.equal(u.detail?.field, 'canton');
  err(await call('GET', `${P}/${bfs}`, { session: canton }), 404, 'not_found');
  err(await call('GET', `${P}/abc`, { session: canton }), 404);
  err(await call('PATCH', `${P}/${bfs}`, { session: canton, body: { population: 1 }, headers: { 'if-match': '"1"' } }), 404, 'not_found');
});

test('tenant municipalities: assign, show, unassign', async () => {
  const ft = await freshTenant('muni');
  const [bfs] = freeBfs();
  ok(await call('POST', '/api/v1/admin/municipalities', { session: canton, body: { bfs, name: `Dorf ${bfs}`, population: 77 } }), 201);
  const put = await call('PUT', `/api/v1/admin/tenants/${ft.slug}/municipalities/${bfs}`, { session: canton });
  assert.equal(put.status, 204, show(put));
  const g = ok(await call('GET', `/api/v1/admin/tenants/${ft.slug}`, { session: canton }), 200);
  const m = g.json.municipalities.find((x) => x.bfs === bfs);
  assert.ok(m, show(g));
  assert.equal(m.name, `Dorf ${bfs}`);
  assert.equal(m.population, 77);
  // the tenant's own users see it
  const mine = ok(await call('GET', '/api/v1/municipalities', { session: ft.admin }), 200);
  const list = Array.isArray(mine.json) ? mine.json : mine.json.items;
  assert.ok(list.some((x) => x.bfs === bfs), show(mine));
  // thun does not
  const thun = ok(await call('GET', '/api/v1/municipalities', { session: await as('thun', 'caseworker') }), 200);
  const tl = Array.isArray(thun.json) ? thun.json : thun.json.items;
  assert.ok(!tl.some((x) => x.bfs === bfs), 'other tenants do not see it');
  // one municipality is served by one tenant only
  const again = await call('PUT', `/api/v1/admin/tenants/thun/municipalities/${bfs}`, { session: canton });
  assert.ok(again.status >= 400 && again.status < 500, `second tenant refused: ${show(again)}`);
  err(await call('PUT', `/api/v1/admin/tenants/${ft.slug}/municipalities/99999`, { session: canton }), 404);
  err(await call('PUT', `/api/v1/admin/tenants/no-such-tenant-x/municipalities/${bfs}`, { session: canton }), 404);
  const del = await call('DELETE', `/api/v1/admin/tenants/${ft.slug}/municipalities/${bfs}`, { session: canton });
  assert.equal(del.status, 204, show(del));
  const g2 = ok(await call('GET', `/api/v1/admin/tenants/${ft.slug}`, { session: canton }), 200);
  assert.ok(!g2.json.municipalities.some((x) => x.bfs === bfs));
  const mine2 = ok(await call('GET', '/api/v1/municipalities', { session: ft.admin }), 200);
  const l2 = Array.isArray(mine2.json) ? mine2.json : mine2.json.items;
  assert.ok(!l2.some((x) => x.bfs === bfs));
});

test('oberes-emmental serves several municipalities', async () => {
  const g = ok(await call('GET', '/api/v1/admin/tenants/oberes-emmental', { session: canton }), 200);
  assert.ok(g.json.municipalities.length >= 2, show(g));
  const s = await as('oberes-emmental', 'caseworker');
  const mine = ok(await call('GET', '/api/v1/municipalities', { session: s }), 200);
  const list = Array.isArray(mine.json) ? mine.json : mine.json.items;
  assert.deepEqual(list.map((x) => x.bfs).sort(), g.json.municipalities.map((x) => x.bfs).sort());
});

test('first tenant admin: created by the canton admin, can sign in and manage users', async () => {
  const ft = await freshTenant('fa');
  assert.equal(ft.admin.data.tenant.slug, ft.slug);
  assert.ok(ft.admin.data.roles.includes('tenant_admin'));
  assert.ok(ft.admin.data.permissions.includes('tenant.users'));
  ok(await call('GET', '/api/v1/admin/users', { session: ft.admin }), 200);
  const P = `/api/v1/admin/tenants/${ft.slug}/admins`;
  // a second administrator only with the tenant's consent (admin-requests.test.mjs)
  err(await call('POST', P, { session: canton, body: { username: 'admin', display_name: 'Again', password: 'long-enough-pw' } }), 409, 'admin_exists');
  err(await call('POST', P, { session: canton, body: { username: 'adm2', display_name: 'Short', password: 'short' } }), 400, 'invalid_length');
  err(await call('POST', P, { session: canton, body: { username: 'adm2', display_name: 'X', password: 'long-enough-pw', roles: ['canton_admin'] } }), 400, 'unknown_field');
  const bare = uniq('fb');
  ok(await call('POST', '/api/v1/admin/tenants', { session: canton, body: { slug: bare, name: `Bare ${bare}` } }), 201);
  err(await call('POST', `/api/v1/admin/tenants/${bare}/admins`, { session: canton, body: { username: 'Adm 2', display_name: 'X', password: 'long-enough-pw' } }), 400, 'invalid_value');
  err(await call('POST', '/api/v1/admin/tenants/no-such-tenant-x/admins', { session: canton, body: { username: 'adm2', display_name: 'X', password: 'long-enough-pw' } }), 404);
  err(await call('POST', '/api/v1/admin/tenants/canton/admins', { session: canton, body: { username: 'sneaky', display_name: 'X', password: 'long-enough-pw' } }), 400, 'invalid_value');
  // the new tenant's admin is not a canton admin
  err(await call('GET', '/api/v1/admin/tenants', { session: ft.admin }), 403, 'forbidden');
});

test('canton admin routes: malformed, oversize, wrong media type', async () => {
  for (const [m, p] of [['POST', '/api/v1/admin/tenants'], ['PATCH', '/api/v1/admin/tenants/thun'], ['POST', '/api/v1/admin/municipalities'], ['POST', '/api/v1/admin/tenants/thun/admins']]) {
    const h = { 'content-type': 'application/json', 'if-match': '"999999"' };
    err(await call(m, p, { session: canton, raw: '{"name": "x",', headers: h }), 400, 'malformed_json');
    err(await call(m, p, { session: canton, raw: '{"name": "x"}', headers: { ...h, 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    err(await rawHead(m, p, { ...h, Cookie: `ks_session=${canton.cookie}`, 'X-CSRF-Token': canton.csrf, 'Content-Length': String(16 * 1024 * 1024) }), 413, 'body_too_large');
  }
});
