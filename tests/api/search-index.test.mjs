// Person search uses its indexes under row-level security: the very
// statement the server prepares (person_search in
// core/sql/queries/person.sql), run as the application role with a
// tenant set, is planned as range scans of person_norm_last and
// person_norm_first, never a sequential scan of person, both as the
// custom plan of the first executions and as the generic plan a
// prepared statement switches to. The dossiers of each hit come in the
// same statement (no second query per hit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  call, ok, show, freshTenant, createUser, login, sql, tenantId, DB_APP, DB_OWNER,
} from './lib.mjs';

function statement(name) {
  const text = readFileSync(new URL('../../core/sql/queries/person.sql', import.meta.url), 'utf8');
  const start = text.indexOf(`-- name: ${name}\n`);
  assert.ok(start >= 0, `query ${name} not found`);
  const body = text.slice(start + `-- name: ${name}\n`.length);
  const end = body.search(/\n\s*\n/);
  return end < 0 ? body : body.slice(0, end);
}

function nodes(plan, out = []) {
  out.push(plan);
  for (const p of plan.Plans || []) nodes(p, out);
  return out;
}

test('person search: the API\'s statement scans the name indexes under RLS (custom and generic plan)', async () => {
  const ft = await freshTenant('si');
  const t = tenantId(ft.slug);
  sql(DB_OWNER, [
    `insert into person (tenant_id, last_name, first_name, birth_date, language)
       select ${t}, (array['Müller','Meier','Mueller','Keller','Zoé','Schnyder'])[1 + g % 6] || g,
              (array['Anna','Hans','Zoé','Peter','Maria','Luca','Nora','Jürg','Ursula'])[1 + g % 9] || g, date '1950-01-01' + g % 20000, 'de'
         from generate_series(1, 4000) g`,
    'analyze person',
  ]);
  const q = statement('person_search');
  const prep = `prepare q(text, text, date, bigint, int, boolean) as ${q}`;
  for (const mode of ['force_custom_plan', 'force_generic_plan']) {
    for (const args of [`'Müll', '', null, 0, 26, true`, `'Anna', 'mei', null, 0, 26, true`]) {
      const out = sql(DB_APP, [
        `set kasus.tenant_id = ${t}`, `set plan_cache_mode = ${mode}`, prep,
        `explain (format json) execute q(${args})`,
      ]);
      const plan = JSON.parse(out.slice(out.indexOf('[')))[0].Plan;
      const scans = nodes(plan).filter((n) => n['Relation Name'] === 'person');
      for (const n of scans) {
        assert.match(n['Node Type'], /^Index (Only )?Scan$/, `${mode} (${args}): ${n['Node Type']} of person`);
        if (n['Index Name'] !== 'person_pkey') {
          assert.match(n['Index Name'], /^person_norm_(last|first)$/, `${mode} (${args})`);
          // a range: the prefix's lower and upper bound are index conditions
          assert.match(n['Index Cond'], /_norm ~>=~ .*_norm ~<~/, `${mode} (${args}): ${n['Index Cond']}`);
        }
      }
      const idx = new Set(scans.map((n) => n['Index Name']));
      // one word: last names and first names, each from its own index
      const want = args.startsWith(`'Müll', ''`) ? ['person_norm_last', 'person_norm_first'] : ['person_norm_last'];
      for (const i of want) assert.ok(idx.has(i), `${mode} (${args}) uses ${i}: ${[...idx].join(', ')}`);
    }
  }
  // and the API answers from it, with each hit's dossiers
  const u = await createUser(ft.admin, ['caseworker']);
  const s = await login(ft.slug, u.username, u.password);
  const r = ok(await call('GET', '/api/v1/persons?q=mull&limit=5', { session: s }), 200);
  assert.equal(r.json.items.length, 5, show(r));
  for (const h of r.json.items) {
    assert.match(h.last_name, /^(Müller|Mueller)/, show(r));
    assert.ok(Array.isArray(h.dossiers), show(r));
  }
});
