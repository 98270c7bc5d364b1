// The cost-sharing rule packs through /api/v1/rules/evaluate as the canton
// admin: cost-allocation (the platform's financing by phase) and
// burden-sharing (the Lastenausgleich). Their example cases, the keys(),
// seeded random cases checked against an independent BigInt reference of
// the largest-remainder method, and the refusal of bad input.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { call, ok, err, show, as } from './lib.mjs';

const ROOT = process.env.KASUS_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const DATE = '2026-06-30';
const PERIOD = { code: '2026', from: '2026-01-01', to: '2026-12-31' };
const PHASES = ['project', 'operation', 'development', 'migration'];
const CASES = 200;

let admin;
before(async () => { admin = await as('canton', 'canton-admin'); });

const evaluate = (pack, fn, input) => call('POST', '/api/v1/rules/evaluate',
  { session: admin, body: { pack, function: fn, date: DATE, input } });

async function output(pack, fn, input) {
  return ok(await evaluate(pack, fn, input), 200).json.output;
}

const packFile = (name) => JSON.parse(fs.readFileSync(path.join(ROOT, `plugins/${name}/pack.json`), 'utf8'));

// ---------------------------------------------------------------- reference

/**
 * Largest remainder in BigInt: total >= 0 by weights items[i].w (sum W > 0):
 * floor(total * w / W), then one more to the largest remainders, ties to
 * the larger weight, then the lower tie key. Amounts in item order.
 */
function lr(total, items) {
  const T = BigInt(total);
  const W = items.reduce((s, it) => s + BigInt(it.w), 0n);
  const q = items.map((it) => (T * BigInt(it.w)) / W);
  const r = items.map((it) => (T * BigInt(it.w)) % W);
  const order = items.map((_, i) => i).sort((a, b) => {
    if (r[a] !== r[b]) return r[a] > r[b] ? -1 : 1;
    if (items[a].w !== items[b].w) return items[b].w - items[a].w;
    return items[a].tie - items[b].tie;
  });
  let left = T - q.reduce((s, x) => s + x, 0n);
  for (const i of order) {
    if (left === 0n) break;
    q[i] += 1n;
    left -= 1n;
  }
  return q.map(Number);
}

/** allocate() computed independently: [{phase, total, canton, parties, shares}]. */
function refAllocate(input, keys) {
  const totals = {};
  for (const c of input.costs) totals[c.phase] = (totals[c.phase] || 0) + c.amount;
  const tenants = [...input.tenants].sort((a, b) => a.id - b.id);
  const out = [];
  for (const k of keys.phases) {
    const total = totals[k.phase];
    if (total === undefined) continue;
    const parties = [];
    for (const t of tenants) {
      if (k.level === 'tenant') {
        const w = k.basis === 'population'
          ? t.municipalities.reduce((s, m) => s + m.population, 0) : t[k.basis];
        parties.push({ party: 'tenant', tenant_id: t.id, w, tie: t.id });
      } else {
        for (const m of [...t.municipalities].sort((a, b) => a.bfs - b.bfs))
          parties.push({ party: 'municipality', tenant_id: t.id, bfs: m.bfs, w: m.population, tie: m.bfs });
      }
    }
    const W = parties.reduce((s, p) => s + p.w, 0);
    const pct = k.canton_percent;
    let canton = total; let part = 0;
    if (!(W === 0 && pct < 100)) [canton, part] = lr(total, [{ w: pct, tie: 0 }, { w: 100 - pct, tie: 1 }]);
    const amounts = part > 0 ? lr(part, parties) : parties.map(() => 0);
    out.push({ phase: k.phase, total, canton, parties: part, W, pct,
      shares: parties.map((p, i) => ({ ...p, amount: amounts[i] })) });
  }
  return out;
}

/** A negative part is split by its absolute value and negated (0, not -0). */
const signed = (sign, x) => (x === 0 ? 0 : sign * x);

/** |amount - T * w / W| < 1, in integers: amount * W - T * w in (-W, W). */
function nearQuota(amount, T, w, W) {
  const d = BigInt(amount) * BigInt(W) - BigInt(T) * BigInt(w);
  return d > -BigInt(W) && d < BigInt(W);
}

// ---------------------------------------------------------------- random cases

/** mulberry32: a small seeded PRNG; int(lo, hi) uses 53 bits. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const real = () => (Math.floor(next() * 2 ** 21) * 2 ** 32 + Math.floor(next() * 2 ** 32)) / 2 ** 53;
  const int = (lo, hi) => lo + Math.floor(real() * (hi - lo + 1));
  const shuffle = (xs) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = int(0, i);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
  return { next, int, shuffle };
}

function figure(R, max) {
  const r = R.next();
  if (r < 0.2) return 0;
  if (r < 0.5) return R.int(1, 20);
  if (r < 0.9) return R.int(1, 200000);
  return R.int(1, max);
}

function money(R, max) {
  const r = R.next();
  if (r < 0.1) return 0;
  if (r < 0.4) return R.int(1, 1000);
  if (r < 0.8) return R.int(1, 1e9);
  return R.int(1, max);
}

function genAllocation(R) {
  const costs = [];
  for (const phase of PHASES) {
    if (R.next() >= 0.8) continue;
    let left = money(R, 1e11);
    for (let k = R.int(1, 4); k >= 1; k--) {
      const amount = k === 1 ? left : R.int(0, left);
      costs.push({ phase, amount, description: `${phase} item` });
      left -= amount;
    }
  }
  R.shuffle(costs);
  const bfs = R.shuffle(Array.from({ length: 9999 }, (_, i) => i + 1));
  const zero = {};
  for (const f of ['population', 'dossiers', 'users', 'migrated_dossiers']) zero[f] = R.next() < 0.15;
  const fig = (f) => (zero[f] ? 0 : figure(R, 1e8));
  const ids = new Set();
  const tenants = [];
  let nb = 0;
  for (let i = R.int(1, 12); i > 0; i--) {
    let id;
    do id = R.int(1, 1e6); while (ids.has(id));
    ids.add(id);
    const municipalities = [];
    for (let j = R.int(1, 5); j > 0; j--) {
      const b = bfs[nb++];
      municipalities.push({ bfs: b, name: `Gemeinde ${b}`, population: fig('population') });
    }
    tenants.push({ id, slug: `t${id}`, name: `Sozialdienst ${id}`, dossiers: fig('dossiers'), users: fig('users'),
      migrated_dossiers: fig('migrated_dossiers'), municipalities });
  }
  return { period: PERIOD, costs, tenants };
}

function genSharing(R) {
  const bfs = R.shuffle(Array.from({ length: 9999 }, (_, i) => i + 1));
  const nopop = R.next() < 0.05;
  const municipalities = [];
  for (let i = 0, n = R.int(1, 60); i < n; i++) {
    let costs = money(R, 1e11);
    if (R.next() < 0.25) costs = 0 - costs; // not -0: JSON has no negative zero
    const m = { bfs: bfs[i], name: `Gemeinde ${bfs[i]}`, population: nopop ? 0 : figure(R, 1e8), costs: nopop ? 0 : costs };
    if (R.next() < 0.8) m.tenant_id = R.int(1, 50);
    municipalities.push(m);
  }
  if (!nopop && municipalities.every((m) => m.population === 0)) municipalities[0].population = R.int(1, 1000);
  return { period: PERIOD, municipalities };
}

// ---------------------------------------------------------------- tests

test('both packs are imported canton packs and their example cases replay exactly', async () => {
  for (const name of ['cost-allocation', 'burden-sharing']) {
    const pack = packFile(name);
    assert.equal(pack.version, '2024.1');
    assert.equal(pack.valid_from, '2024-01-01');
    const counts = {};
    for (const e of pack.examples) {
      const r = ok(await evaluate(name, e.function, e.input), 200);
      assert.deepEqual(r.json.output, e.expected, `${name}: ${e.title}: ${show(r)}`);
      assert.equal(r.json.pack.name, name);
      assert.equal(r.json.pack.version, pack.version);
      counts[e.function] = (counts[e.function] || 0) + 1;
    }
    if (name === 'cost-allocation') {
      assert.ok(counts.allocate >= 6 && counts.keys >= 2, JSON.stringify(counts));
    } else {
      assert.ok(counts.share >= 5, JSON.stringify(counts));
    }
    // the server's own example run agrees
    const res = ok(await call('GET', `/api/v1/rules/resolve?name=${name}&date=${DATE}`, { session: admin }), 200);
    const t = ok(await call('POST', `/api/v1/admin/rule-packs/${res.json.id}/test`, { session: admin }), 200);
    assert.equal(t.json.failed, 0, show(t));
    assert.equal(t.json.passed, pack.examples.length, show(t));
  }
});

test('the example amounts agree with the independent reference', async () => {
  const keys = await output('cost-allocation', 'keys', {});
  for (const e of packFile('cost-allocation').examples.filter((x) => x.function === 'allocate')) {
    const ref = refAllocate(e.input, keys);
    assert.deepEqual(e.expected.phases.map((p) => [p.phase, p.total, p.canton, p.parties]),
      ref.map((p) => [p.phase, p.total, p.canton, p.parties]), e.title);
    assert.deepEqual(e.expected.shares.filter((s) => s.party !== 'canton').map((s) => s.amount),
      ref.flatMap((p) => p.shares.map((s) => s.amount)), e.title);
  }
  for (const e of packFile('burden-sharing').examples) {
    const total = e.input.municipalities.reduce((s, m) => s + m.costs, 0);
    const sign = total < 0 ? -1 : 1;
    const pct = e.expected.canton_percent;
    const [canton, part] = lr(Math.abs(total), [{ w: pct, tie: 0 }, { w: 100 - pct, tie: 1 }]).map((x) => signed(sign, x));
    const rows = [...e.input.municipalities].sort((a, b) => a.bfs - b.bfs);
    const shares = part === 0 ? rows.map(() => 0)
      : lr(Math.abs(part), rows.map((m) => ({ w: m.population, tie: m.bfs }))).map((x) => signed(sign, x));
    assert.deepEqual([e.expected.total_costs, e.expected.canton, e.expected.municipalities_total], [total, canton, part], e.title);
    assert.deepEqual(e.expected.rows.map((r) => r.share), shares, e.title);
  }
});

test('keys(): the key table for display', async () => {
  const k = await output('cost-allocation', 'keys', {});
  assert.deepEqual(k, {
    version: '2024.1',
    phases: [
      { phase: 'project', canton_percent: 50, basis: 'population', level: 'municipality', label: { de: 'Projekt', fr: 'Projet' } },
      { phase: 'operation', canton_percent: 0, basis: 'dossiers', level: 'tenant', label: { de: 'Betrieb', fr: 'Exploitation' } },
      { phase: 'development', canton_percent: 0, basis: 'users', level: 'tenant', label: { de: 'Weiterentwicklung', fr: 'Développement' } },
      { phase: 'migration', canton_percent: 0, basis: 'migrated_dossiers', level: 'tenant', label: { de: 'Migration', fr: 'Migration' } },
    ],
  });
});

test(`allocate(): ${CASES} seeded random cases are exact, near their quotas, and match the reference`, async () => {
  const keys = await output('cost-allocation', 'keys', {});
  const R = prng(20260630);
  for (let n = 0; n < CASES; n++) {
    const input = genAllocation(R);
    const what = `case ${n}: ${JSON.stringify(input).slice(0, 300)}`;
    const out = await output('cost-allocation', 'allocate', input);
    assert.equal(out.key_version, '2024.1');
    const ref = refAllocate(input, keys);
    assert.deepEqual(out.phases.map((p) => p.phase), ref.map((p) => p.phase), what);
    let at = 0;
    for (const [i, p] of out.phases.entries()) {
      const rp = ref[i];
      const key = keys.phases.find((k) => k.phase === p.phase);
      assert.deepEqual(p.key, { canton_percent: key.canton_percent, basis: key.basis, level: key.level }, what);
      assert.equal(p.total, rp.total, what);
      assert.equal(p.canton + p.parties, p.total, what);
      const shares = out.shares.slice(at, at + 1 + rp.shares.length);
      at += shares.length;
      assert.ok(shares.every((s) => s.phase === p.phase && Number.isInteger(s.amount) && s.amount >= 0), what);
      assert.equal(shares.reduce((s, x) => s + x.amount, 0), p.total, `${what}: ${p.phase} shares sum to the total`);
      const [canton, ...parties] = shares;
      assert.equal(canton.party, 'canton', what);
      assert.equal(canton.amount, p.canton, what);
      if (rp.W === 0 && rp.pct < 100) {
        assert.equal(canton.amount, p.total, `${what}: zero basis, the canton carries`);
        assert.deepEqual(canton.basis, { figure: 'percent', value: 100, of: 100 });
        assert.ok(parties.every((s) => s.amount === 0 && s.basis.of === 0), what);
        assert.match(canton.explain.de, / ist insgesamt 0, daher trägt der Kanton /);
      } else {
        assert.deepEqual(canton.basis, { figure: 'percent', value: rp.pct, of: 100 });
        assert.ok(nearQuota(p.canton, p.total, rp.pct, 100), `${what}: canton near its quota`);
        for (const s of parties)
          assert.ok(nearQuota(s.amount, p.parties, s.basis.value, s.basis.of), `${what}: ${JSON.stringify(s)} near its quota`);
      }
      assert.deepEqual(parties.map((s) => [s.party, s.tenant_id, s.bfs, s.basis.value, s.amount]),
        rp.shares.map((s) => [s.party, s.tenant_id, s.bfs, s.w, s.amount]), `${what}: ${p.phase} as the reference`);
      for (const s of shares) {
        assert.equal(typeof s.explain.de, 'string');
        assert.equal(typeof s.explain.fr, 'string');
      }
    }
    assert.equal(at, out.shares.length, what);
    assert.deepEqual(await output('cost-allocation', 'allocate', input), out, `${what}: deterministic`);
  }
});

test(`share(): ${CASES} seeded random cases are exact, near their quotas, and match the reference`, async () => {
  const R = prng(4242);
  for (let n = 0; n < CASES; n++) {
    const input = genSharing(R);
    const what = `case ${n}: ${JSON.stringify(input).slice(0, 300)}`;
    const out = await output('burden-sharing', 'share', input);
    const total = input.municipalities.reduce((s, m) => s + m.costs, 0);
    const P = input.municipalities.reduce((s, m) => s + m.population, 0);
    assert.equal(out.key_version, '2024.1');
    assert.equal(out.canton_percent, 50);
    assert.equal(out.total_costs, total, what);
    assert.equal(out.canton + out.municipalities_total, total, what);
    assert.ok(nearQuota(Math.abs(out.canton), Math.abs(total), 50, 100), what);
    const M = out.municipalities_total;
    assert.equal(out.rows.reduce((s, r) => s + r.share, 0), M, `${what}: shares sum to the municipal part`);
    const sign = M < 0 ? -1 : 1;
    const rows = [...input.municipalities].sort((a, b) => a.bfs - b.bfs);
    const ref = M === 0 ? rows.map(() => 0) : lr(Math.abs(M), rows.map((m) => ({ w: m.population, tie: m.bfs }))).map((x) => signed(sign, x));
    assert.deepEqual(out.rows.map((r) => [r.bfs, r.name, r.tenant_id, r.population, r.costs, r.share]),
      rows.map((m, i) => [m.bfs, m.name, m.tenant_id, m.population, m.costs, ref[i]]), what);
    for (const r of out.rows) {
      assert.ok(Number.isInteger(r.share) && Number.isInteger(r.balance), what);
      assert.equal(r.balance, r.share - r.costs, what);
      if (M !== 0) assert.ok(nearQuota(Math.abs(r.share), Math.abs(M), r.population, P), `${what}: ${r.bfs} near its quota`);
      assert.equal(typeof r.explain.de, 'string');
      assert.equal(typeof r.explain.fr, 'string');
    }
    assert.deepEqual(await output('burden-sharing', 'share', input), out, `${what}: deterministic`);
  }
});

test('bad input: 422 rule_error with a message naming the field', async () => {
  const tenant = (o = {}) => ({ id: 1, name: 'SD', dossiers: 1, users: 1, migrated_dossiers: 1,
    municipalities: [{ bfs: 942, name: 'Thun', population: 1 }], ...o });
  const alloc = (o = {}) => ({ period: PERIOD, costs: [{ phase: 'project', amount: 100 }], tenants: [tenant()], ...o });
  const muni = (o = {}) => ({ bfs: 942, name: 'Thun', tenant_id: 1, population: 10, costs: 100, ...o });
  const cases = [
    ['cost-allocation', 'allocate', alloc({ costs: [{ phase: 'project', amount: 1 }, { phase: 'hosting', amount: 1 }] }),
      'costs[2].phase must be one of project, operation, development, migration'],
    ['cost-allocation', 'allocate', alloc({ costs: [{ phase: 'operation', amount: -5 }] }),
      'costs[1].amount must be between 0 and 100000000000'],
    ['cost-allocation', 'allocate', alloc({ costs: [{ phase: 'operation', amount: 12.5 }] }),
      'costs[1].amount must be a whole number'],
    ['cost-allocation', 'allocate', alloc({ costs: [{ phase: 'migration', amount: 6e10 }, { phase: 'migration', amount: 4e10 + 1 }] }),
      'costs[2].amount brings the migration total to 100000000001, above the maximum 100000000000'],
    ['cost-allocation', 'allocate', alloc({ tenants: [tenant({ dossiers: 100000001 })] }),
      'tenants[1].dossiers must be between 0 and 100000000'],
    ['cost-allocation', 'allocate', alloc({ tenants: [tenant({ municipalities: [{ bfs: 942, name: 'Thun', population: -1 }] })] }),
      'tenants[1].municipalities[1].population must be between 0 and 100000000'],
    ['cost-allocation', 'allocate', alloc({ tenants: [tenant(), tenant({ municipalities: [] })] }),
      'tenants[2].id 1 is a duplicate of tenants[1].id'],
    ['cost-allocation', 'allocate', alloc({ tenants: [tenant(), tenant({ id: 2 })] }),
      'tenants[2].municipalities[1].bfs 942 is a duplicate of tenants[1].municipalities[1].bfs'],
    ['cost-allocation', 'allocate', { costs: [], tenants: [] }, 'period must be an object'],
    ['burden-sharing', 'share', { period: PERIOD, municipalities: [muni(), muni({ bfs: 939, costs: 1.5 })] },
      'municipalities[2].costs must be a whole number'],
    ['burden-sharing', 'share', { period: PERIOD, municipalities: [muni({ costs: 1e11 + 1 })] },
      'municipalities[1].costs must be between -100000000000 and 100000000000'],
    ['burden-sharing', 'share', { period: PERIOD, municipalities: [muni(), muni()] },
      'municipalities[2].bfs 942 is a duplicate of municipalities[1].bfs'],
    ['burden-sharing', 'share', { period: PERIOD, municipalities: [muni({ population: 0 }), muni({ bfs: 939, population: 0 })] },
      "municipalities[].population sums to 0: the municipalities' part CHF 1.00 of the costs cannot be shared by population"],
    ['burden-sharing', 'share', { period: PERIOD, municipalities: [] }, 'municipalities must be a non-empty list'],
  ];
  for (const [pack, fn, input, msg] of cases) {
    const e = err(await evaluate(pack, fn, input), 422, 'rule_error');
    assert.equal(e.detail && e.detail.lua, msg, `${pack}.${fn}: ${JSON.stringify(e)}`);
  }
});
