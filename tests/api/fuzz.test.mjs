// Bodies of the right shape with odd values: for every JSON-body route a
// social service uses (from the server's openapi.json), 40 bodies whose
// fields have the declared types, lengths and ranges but values chosen to
// be awkward (empty, right-to-left marks, emoji, quotes, 2^53, dates at
// the edges of the calendar, ids of other records), sent on real records
// of a social service of its own by two users with every role. Whatever
// a handler makes of them: never a 5xx, every refusal in the error shape,
// and enough of them get past validation to reach the handlers' own
// checks and writes. The seed is fixed (KASUS_FUZZ_SEED to vary it) so a
// failure can be replayed; it is printed.
// Left out: user and token administration (it would end the sessions
// this test runs on; tests/api/admin-users.test.mjs and tokens.test.mjs).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, as, ok, show, login, createUser, freshTenant, fixtureHousehold, sql, DB_OWNER,
} from './lib.mjs';

const SEED = Number(process.env.KASUS_FUZZ_SEED || 20261122);
const PER_ROUTE = 40;
let doc; let s1; let s2; let perms; let ids;

before(async () => {
  doc = (await call('GET', '/api/openapi.json')).json;
  const canton = await as('canton', 'canton-admin');
  const fresh = await freshTenant('fuzz');
  for (const m of ['sozialhilfe', 'echo'])
    ok(await call('PUT', `/api/v1/admin/tenants/${fresh.slug}/modules/${m}`, { session: canton, body: { enabled: true } }), 200);
  const bfs = Number(sql(DB_OWNER, 'select s from generate_series(9000, 9999) s where s not in (select bfs from municipality) order by random() limit 1'));
  ok(await call('POST', '/api/v1/admin/municipalities', { session: canton, body: { bfs, name: `Fuzz ${bfs}`, population: 500 } }), 201);
  const put = await call('PUT', `/api/v1/admin/tenants/${fresh.slug}/municipalities/${bfs}`, { session: canton });
  assert.equal(put.status, 204, show(put));
  const roles = (await call('GET', '/api/v1/roles', { session: fresh.admin })).json.items.filter((r) => !r.canton_level);
  perms = new Set(roles.flatMap((r) => r.permissions));
  const u1 = await createUser(fresh.admin, roles.map((r) => r.code));
  const u2 = await createUser(fresh.admin, roles.map((r) => r.code));
  s1 = await login(fresh.slug, u1.username, u1.password);
  s2 = await login(fresh.slug, u2.username, u2.password);
  // Its rent ceilings (budgets need them), then real records for the
  // routes with ids: a household, a dossier, a goal, a deadline, a budget.
  ok(await call('POST', '/api/v1/rule-data/rent-ceilings', { session: fresh.admin, body: {
    valid_from: '2025-01-01',
    data: { ceilings: [{ bfs, name: `Fuzz ${bfs}`, by_size: [115000, 145000, 165000, 185000, 205000, 225000] }] },
  } }), 201);
  const hh = fixtureHousehold(fresh.slug, [{ role: 'applicant', birth: '1980-01-01' }, { role: 'partner', birth: '1982-02-02' }]);
  const cs = ok(await call('POST', '/api/v1/cases', { session: s1, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: bfs, caseworker_id: s1.data.user.id } }), 201).json;
  const goal = ok(await call('POST', `/api/v1/cases/${cs.id}/goals`, { session: s1, body: { title: 'Ziel', due_on: '2026-06-30' } }), 201).json;
  const dl = ok(await call('POST', `/api/v1/cases/${cs.id}/deadlines`, { session: s1, body: { due_on: '2026-06-30', text: 'Frist' } }), 201).json;
  const bu = ok(await call('POST', `/api/v1/cases/${cs.id}/budgets`, { session: s1, body: { valid_from: '2026-01-01', rent: 140000, kvg_premium: 38000, assets: 100000, income: { employment: 0, other: 0 } } }), 201).json;
  const members = ok(await call('GET', `/api/v1/households/${hh.household}`, { session: s1 }), 200).json.members;
  ids = {
    '/api/v1/cases/': cs.id, '/api/v1/goals/': goal.id, '/api/v1/deadlines/': dl.id, '/api/v1/budgets/': bu.id,
    '/api/v1/households/': hh.household, '/api/v1/persons/': hh.persons[0], member: members[0].id,
    slug: fresh.slug, bfs,
  };
});

function rng(seed) {
  let x = seed >>> 0;
  return (n) => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return (x >>> 8) % n; };
}
const ODD = ['', ' ', 'x', 'ä', '🙂', '\u202e', 'a'.repeat(200), "O'Brien", '<script>', '%s%n', '\\', '"', 'null', '0', '-1',
  '2026-02-30', 'de', 'fr', 'CH9300762011623852957', '756.1234.5678.97', 'ongoing', 'closed', 'intake', 'x\ny', '١٢٣', 'other',
  'open', 'done', 'work', 'rent', 'id'];

test(`bodies of the right shape with odd values never get a 5xx (seed ${SEED})`, async () => {
  const r = rng(SEED);
  const pick = (a) => a[r(a.length)];
  const value = (f) => {
    switch (f.type) {
      case 'integer': return pick([f.minimum ?? 0, f.maximum ?? 2147483647, 0, 1, 2 ** 31, 2 ** 53 - 1, ids['/api/v1/cases/'], ids['/api/v1/budgets/']]);
      case 'boolean': return r(2) === 0;
      case 'object': return pick([{}, { a: 1 }, { rent: -5 }, { employment: 'x' }, { name: 'x', iban: 'CH00', street: 'a', town: 'b', country: 'CH' }]);
      case 'array': return pick([[], [1], ['x'], [{}], [null], [{ code: 'x', amount: -1 }], [{ code: 'id', done: true }]]);
      default:
        if (f.format === 'date') return pick(['2026-01-01', '1900-01-01', '2200-12-31', '2024-02-29']);
        if (f.enum) return pick(f.enum);
        if (f.pattern) return pick(['ab', 'zz-top', 'a1']);
        return pick(ODD).slice(0, f.maxLength ?? 1000);
    }
  };
  const idOf = (path, name) => {
    if (name === 'member_id') return ids.member;
    if (name === 'slug') return ids.slug;
    if (name === 'bfs') return ids.bfs;
    if (name === 'name') return 'rent-ceilings';
    if (name === 'module') return 'echo';
    const k = Object.keys(ids).find((p) => p.startsWith('/') && path.startsWith(p));
    return k ? ids[k] : 987654321;
  };
  const tally = new Map();
  let sent = 0;
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema || op.security?.length === 0 || (op['x-permission'] && !perms.has(op['x-permission']))) continue;
      if (p.startsWith('/api/v1/admin/users') || p.startsWith('/api/v1/admin/tokens')) continue;
      const url = p.replace(/\{([^}]+)\}/g, (_, n) => idOf(p, n));
      for (let k = 0; k < PER_ROUTE; k++) {
        const body = {};
        for (const [name, f] of Object.entries(schema.properties))
          if ((schema.required || []).includes(name) || r(2)) body[name] = value(f);
        const session = r(2) ? s1 : s2;
        // The record's current version for the routes that want If-Match.
        const cur = await call('GET', url.replace(/\/[a-z-]+$/, ''), { session });
        const res = await call(m.toUpperCase(), url, { session, body, headers: { 'if-match': cur.headers.get('etag') || '"1"' } });
        sent += 1;
        const what = `${m.toUpperCase()} ${p} ${JSON.stringify(body).slice(0, 300)}`;
        assert.ok(res.status < 500, `${what}: ${show(res)}`);
        if (res.status >= 400) {
          const e = res.json?.error;
          assert.match(e?.code ?? '', /^[a-z_]+$/, `${what}: ${show(res)}`);
          assert.ok(typeof e.message === 'string' && e.message.length > 0, what);
          assert.equal(e.request_id, res.headers.get('x-request-id'), what);
        }
        const key = res.status < 300 ? String(res.status) : `${res.status} ${res.json.error.code}`;
        tally.set(key, (tally.get(key) || 0) + 1);
      }
    }
  }
  const summary = [...tally].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ');
  console.log(`# fuzz seed ${SEED}: ${sent} requests; ${summary}`);
  assert.ok(sent >= 1000, `${sent} requests`);
  const passed = [...tally].filter(([k]) => /^2/.test(k)).reduce((a, [, v]) => a + v, 0);
  assert.ok(passed >= 100, `enough bodies reach the handlers and succeed (${passed}): ${summary}`);
  const handlerCodes = [...tally.keys()].filter((k) => /^(409|422)/.test(k));
  assert.ok(handlerCodes.length >= 3, `the handlers' own checks are reached: ${summary}`);
});
