// Alimentenhilfe, the foundation (issue 14): the application's title
// with its debtor, creditors and amounts (age steps), and the schedule
// (ah_due) rewritten from them - indexed by the canton's pack
// alimente-index as the title's clause says, to the Rappen. The index
// points come from the pack's data (PARAMS.cpi, read here from the
// pack's source); the indexation itself is computed again here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, ok, err, as, sql, jobOf, DB_OWNER, fixtureHousehold, tenantId } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const C = '/api/v1/cases';
let cw; let biel;

// The demo CPI of the pack, { 'YYYY-MM': tenths }.
const CPI = {};
for (const m of readFileSync(path.join(ROOT, 'plugins/alimente-index/alimente-index.lua'), 'utf8')
  .matchAll(/^\s*\[(\d{4})\] = \{ ([\d, ]+) \},$/gm)) {
  m[2].split(', ').forEach((p, i) => { CPI[`${m[1]}-${String(i + 1).padStart(2, '0')}`] = Number(p); });
}

const userId = (slug, name) => Number(sql(DB_OWNER, `select id from app_user where tenant_id = ${tenantId(slug)} and username = '${name}'`));

/** An alimente dossier of Thun: mother applies, two children, the father owes. */
async function dossier(session = cw) {
  const hh = fixtureHousehold('thun', [
    { role: 'applicant', birth: '1985-03-04', first: 'Anna' },
    { role: 'child', birth: '2012-05-06', first: 'Lea' },
    { role: 'child', birth: '2016-07-08', first: 'Tim' },
  ]);
  const father = fixtureHousehold('thun', [{ role: 'applicant', birth: '1983-01-02', first: 'Marc' }]).persons[0];
  const d = ok(await call('POST', C, { session, body: { household_id: hh.household, applicant_id: hh.persons[0],
    municipality_bfs: 942, caseworker_id: userId('thun', 'caseworker'), kind: 'alimente' } }), 201).json;
  assert.equal(d.module, 'alimente');
  return { id: d.id, mother: hh.persons[0], kids: hh.persons.slice(1), father };
}

// month arithmetic on 'YYYY-MM'
const mnum = (s) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
const mstr = (n) => `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;

/** What the title's clause makes of amount in month m: [due, index | null]. */
function indexed(title, amount, m) {
  if (title.index_base_points == null) return [amount, null];
  const bm = mnum(title.index_base_month);
  let a = m - (((m % 12) - (title.index_month - 1) + 12) % 12);
  for (; a > bm; a -= 12) {
    const ref = mstr(a - 1);
    const p = CPI[ref];
    if (p === undefined) continue;
    // half up to the unit, in BigInt: quotient and remainder
    const n = BigInt(amount) * BigInt(p);
    const d = BigInt(title.index_base_points) * BigInt(title.index_rounding);
    let units = n / d;
    if (2n * (n - units * d) >= d) units += 1n;
    return [Number(units) * title.index_rounding, { base: title.index_base_points, points: p, rounding: title.index_rounding, month: ref }];
  }
  return [amount, null];
}

/** The schedule the test expects: per creditor id, the months in order. */
function expected(title, creditors, current) {
  let first = mnum(title.arrears_from ?? title.applied_on);
  let end = mnum(current) + 2;
  if (title.ends_on) end = Math.min(end, mnum(title.ends_on) + (title.ends_on.endsWith('-01') ? 0 : 1));
  const out = {};
  for (const c of creditors) {
    const rows = [];
    for (const s of c.amounts) {
      const to = s.valid_to ? Math.min(mnum(s.valid_to), end) : end;
      for (let m = Math.max(mnum(s.valid_from), first); m < to; m++) {
        const fa = title.family_allowances ? (s.family_allowance ?? 0) : 0;
        const [due, index] = indexed(title, s.amount, m);
        rows.push({ month: mstr(m), title_amount: s.amount, family_allowance: fa, due: due + fa, index });
      }
    }
    out[c.id] = rows;
  }
  return out;
}

const pick = (rows) => rows.map(({ month, title_amount, family_allowance, due, index }) => ({ month, title_amount, family_allowance, due, index }));

before(async () => {
  cw = await as('thun', 'caseworker');
  biel = await as('biel', 'caseworker');
});

/** The QR reference's recursive mod-10 check digit, computed here. */
function qrValid(ref) {
  const t = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];
  let c = 0;
  for (const ch of ref.slice(0, 26)) c = t[(c + Number(ch)) % 10];
  return /^\d{27}$/.test(ref) && (10 - c) % 10 === Number(ref[26]);
}

test('the title, its creditors and age steps make the schedule; If-Match on every change', async () => {
  const D = await dossier();
  const T = `${C}/${D.id}/title`;
  err(await call('GET', T, { session: cw }), 404, 'ah_title_missing');
  err(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 404, 'ah_title_missing');
  err(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[0], role: 'child' } }), 404, 'ah_title_missing');

  const body = { title_kind: 'judgment', authority: 'Regionalgericht Oberland', decided_on: '2023-06-15',
    enforceable_on: '2023-07-20', applied_on: '2026-03-10', arrears_from: '2025-11-01', family_allowances: true,
    debtor_id: D.father, debtor_employer: 'Holzbau AG, Spiez', debtor_pension: 'PK Holzbau' };
  const made = ok(await call('PUT', T, { session: cw, body }), 201);
  const t = made.json;
  assert.equal(made.headers.get('etag'), `"${t.title.version}"`);
  assert.ok(qrValid(t.debtor.reference), t.debtor.reference);
  assert.equal(t.title.debtor_reference, t.debtor.reference);
  assert.deepEqual({ ...t.debtor, reference: undefined }, { person_id: D.father, name: 'Marc Muster', birth_date: '1983-01-02',
    street: 'Bälliz', house_no: '1', postcode: '3600', town: 'Thun', country: 'CH', employer: 'Holzbau AG, Spiez',
    pension: 'PK Holzbau', reference: undefined });
  assert.equal(t.title.index_rounding, 100);
  assert.deepEqual(t.creditors, []);

  // a change needs the title's ETag
  err(await call('PUT', T, { session: cw, body }), 428, 'precondition_required');
  const stale = err(await call('PUT', T, { session: cw, body, headers: { 'if-match': '"99"' } }), 409, 'conflict');
  assert.equal(stale.detail.current.title.version, t.title.version);
  const changed = ok(await call('PUT', T, { session: cw, body: { ...body, authority: 'Obergericht Bern' }, headers: { 'if-match': made.headers.get('etag') } }), 200);
  assert.equal(changed.json.title.authority, 'Obergericht Bern');
  assert.equal(changed.json.title.version, t.title.version + 1);
  assert.equal(changed.json.debtor.reference, t.debtor.reference, 'the reference stays');

  // creditors: persons of the service, once each, never the debtor
  const lea = ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[0], role: 'child', education_until: '2031-07-31' } }), 201).json;
  assert.equal(lea.name, 'Lea Muster');
  assert.equal(lea.birth_date, '2012-05-06');
  assert.equal(lea.education_until, '2031-07-31');
  const tim = ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[1], role: 'child' } }), 201).json;
  err(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[1], role: 'child' } }), 409, 'already_exists');
  err(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.father, role: 'child' } }), 400, 'invalid_value');
  err(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.mother, role: 'mother' } }), 400, 'invalid_value');
  err(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: 987654321, role: 'spouse' } }), 400, 'invalid_value');

  // the age steps: Lea 800 until her 16th (June 2028), then 950; Tim 700
  const A = (id) => `/api/v1/alimente/creditors/${id}/amounts`;
  const leaSteps = [{ valid_from: '2023-07-01', valid_to: '2028-06-01', amount: 80000, family_allowance: 23000 },
    { valid_from: '2028-06-01', valid_to: null, amount: 95000, family_allowance: 23000 }];
  err(await call('PUT', A(lea.id), { session: cw, body: { amounts: leaSteps } }), 428, 'precondition_required');
  err(await call('PUT', A(lea.id), { session: cw, body: { amounts: leaSteps }, headers: { 'if-match': '"7"' } }), 409, 'conflict');
  const la = ok(await call('PUT', A(lea.id), { session: cw, body: { amounts: leaSteps }, headers: { 'if-match': `"${lea.version}"` } }), 200);
  assert.equal(la.headers.get('etag'), `"${lea.version + 1}"`);
  assert.deepEqual(la.json.amounts.map(({ id, ...s }) => s), leaSteps);
  ok(await call('PUT', A(tim.id), { session: cw, body: { amounts: [{ valid_from: '2020-01-01', amount: 70000 }] }, headers: { 'if-match': `"${tim.version}"` } }), 200);

  const g = ok(await call('GET', T, { session: cw }), 200);
  assert.equal(g.headers.get('etag'), `"${changed.json.title.version}"`, 'amounts are the creditor\'s: the title\'s ETag stays');
  const s = ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json;
  const want = expected(g.json.title, g.json.creditors, s.current_month);
  assert.equal(s.creditors.length, 2);
  for (const c of s.creditors) {
    assert.deepEqual(pick(c.months), want[c.creditor_id], `creditor ${c.name}`);
    assert.equal(c.months[0].month, '2025-11', 'from arrears_from');
    assert.equal(c.months.at(-1).month, mstr(mnum(s.current_month) + 1), 'to the end of next month');
  }
  const lm = s.creditors.find((c) => c.creditor_id === lea.id);
  assert.equal(lm.months[0].due, 103000, 'maintenance and family allowance');
  assert.equal(s.creditors.find((c) => c.creditor_id === tim.id).months[0].family_allowance, 0);
  // nothing received yet: everything due is outstanding, arrears before this month
  const all = s.creditors.flatMap((c) => c.months);
  const sum = (k, f = () => true) => all.filter(f).reduce((n, r) => n + r[k], 0);
  assert.equal(s.totals.due, sum('due'));
  assert.equal(s.totals.outstanding, sum('due'));
  assert.equal(s.totals.received, 0);
  assert.equal(s.totals.arrears, sum('outstanding', (r) => r.month < s.current_month));
  // a window
  const w = ok(await call('GET', `${C}/${D.id}/schedule?from=2026-01&to=2026-02`, { session: cw }), 200).json;
  assert.deepEqual(w.creditors.map((c) => c.months.map((r) => r.month)), [['2026-01', '2026-02'], ['2026-01', '2026-02']]);
  err(await call('GET', `${C}/${D.id}/schedule?from=2026-13`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `${C}/${D.id}/schedule?to=x`, { session: cw }), 400, 'invalid_parameter');

  // the title ends: the schedule with it; without arrears it starts in the month of the application
  const ended = ok(await call('PUT', T, { session: cw, body: { ...body, arrears_from: null, ends_on: '2026-05-15' }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  const s2 = ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json;
  for (const c of s2.creditors) assert.deepEqual(c.months.map((r) => r.month), ['2026-03', '2026-04', '2026-05']);
  assert.equal(ended.json.title.ends_on, '2026-05-15');
});

test('indexation by the title\'s clause, to the Rappen, with its inputs shown', async () => {
  const D = await dossier();
  const T = `${C}/${D.id}/title`;
  // base: November 2022 = 104.2; the amount moves each January by the December points
  const body = { title_kind: 'agreement', authority: 'KESB Thun', decided_on: '2022-12-01', applied_on: '2023-01-20',
    index_base_points: 1042, index_base_month: '2022-11-01', index_month: 1, index_rounding: 1 };
  const made = ok(await call('PUT', T, { session: cw, body }), 201);
  const k = ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[0], role: 'child' } }), 201).json;
  ok(await call('PUT', `/api/v1/alimente/creditors/${k.id}/amounts`, { session: cw, body: { amounts: [{ valid_from: '2023-01-01', amount: 83333 }] }, headers: { 'if-match': '"1"' } }), 200);
  const s = ok(await call('GET', `${C}/${D.id}/schedule?to=2026-02`, { session: cw }), 200).json;
  const m = Object.fromEntries(s.creditors[0].months.map((r) => [r.month, r]));
  // January 2023: the December 2022 points 104.4: 833.33 * 1044 / 1042 = 834.929... -> 834.93
  assert.deepEqual(m['2023-01'].index, { base: 1042, points: 1044, rounding: 1, month: '2022-12' });
  assert.equal(m['2023-01'].due, 83493);
  assert.equal(m['2023-12'].due, 83493, 'the amount moves once a year');
  // 2024 by December 2023 (106.2): 833.33 * 1062 / 1042 = 849.3245... -> 849.32
  assert.equal(m['2024-01'].due, 84932);
  assert.equal(m['2024-01'].index.month, '2023-12');
  assert.equal(m['2024-01'].title_amount, 83333);
  for (const r of s.creditors[0].months) assert.equal(r.due, indexed({ ...body }, 83333, mnum(r.month))[0], r.month);

  // to whole francs, moving in July by the June points
  const g = ok(await call('GET', T, { session: cw }), 200);
  ok(await call('PUT', T, { session: cw, body: { ...body, index_month: 7, index_rounding: 100 }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  const s2 = ok(await call('GET', `${C}/${D.id}/schedule?to=2024-12`, { session: cw }), 200).json;
  const m2 = Object.fromEntries(s2.creditors[0].months.map((r) => [r.month, r]));
  assert.equal(m2['2023-06'].index, null, 'before the first move after the base month: as the title says');
  assert.equal(m2['2023-06'].due, 83333);
  // July 2023 by June 2023 (105.3): 833.33 * 1053 / 1042 = 842.127... -> 842.00
  assert.equal(m2['2023-07'].due, 84200);
  assert.deepEqual(m2['2023-07'].index, { base: 1042, points: 1053, rounding: 100, month: '2023-06' });
  for (const r of s2.creditors[0].months) assert.equal(r.due, indexed({ ...body, index_month: 7, index_rounding: 100 }, 83333, mnum(r.month))[0], r.month);
  assert.ok(made.json.title.id);
});

test('property: for random age steps and clauses the schedule is what the test computes', async () => {
  const D = await dossier();
  const T = `${C}/${D.id}/title`;
  const kids = [];
  let etag = null;
  let seed = 20261203;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const date = (m, day = 1) => `${mstr(m)}-${String(day).padStart(2, '0')}`;
  for (let round = 0; round < 12; round++) {
    const applied = mnum('2019-01') + rnd(96);
    const clause = rnd(3) > 0;
    const body = { title_kind: ['judgment', 'decision', 'agreement'][rnd(3)], authority: `Gericht ${round}`,
      decided_on: date(applied - 1 - rnd(30), 1 + rnd(28)), applied_on: date(applied, 1 + rnd(28)),
      arrears_from: rnd(2) ? date(applied - 1 - rnd(40)) : null,
      ends_on: rnd(3) === 0 ? date(applied + 1 + rnd(60), 1 + rnd(28)) : null,
      family_allowances: rnd(2) === 0,
      index_base_points: clause ? 990 + rnd(90) : null, index_base_month: clause ? date(mnum('2016-01') + rnd(110)) : null,
      index_month: clause ? 1 + rnd(12) : null, index_rounding: [1, 5, 10, 100][rnd(4)] };
    const put = await call('PUT', T, { session: cw, body, headers: etag ? { 'if-match': etag } : {} });
    ok(put, etag ? 200 : 201);
    etag = put.headers.get('etag');
    if (kids.length === 0) {
      for (const p of D.kids) kids.push(ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: p, role: 'child' } }), 201).json);
    }
    for (const kid of kids) {
      const steps = [];
      let m = mnum('2018-01') + rnd(60);
      const n = 1 + rnd(4);
      for (let i = 0; i < n; i++) {
        const to = i === n - 1 && rnd(2) ? null : m + 1 + rnd(40);
        steps.push({ valid_from: date(m), valid_to: to === null ? null : date(to), amount: rnd(150001), family_allowance: rnd(3) ? 20000 + rnd(10000) : 0 });
        if (to === null) break;
        m = to + rnd(3);
      }
      const r = ok(await call('PUT', `/api/v1/alimente/creditors/${kid.id}/amounts`, { session: cw, body: { amounts: steps }, headers: { 'if-match': `"${kid.version}"` } }), 200);
      kid.version = r.json.version;
    }
    const g = ok(await call('GET', T, { session: cw }), 200).json;
    const s = ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json;
    const want = expected(g.title, g.creditors, s.current_month);
    let total = 0;
    for (const c of s.creditors) {
      assert.deepEqual(pick(c.months), want[c.creditor_id], `round ${round}: ${JSON.stringify(body)} ${JSON.stringify(g.creditors)}`);
      total += want[c.creditor_id].reduce((x, r) => x + r.due, 0);
    }
    assert.equal(s.totals.due, total);
  }
});

test('bad input is refused with the field named, and nothing changes', async () => {
  const D = await dossier();
  const T = `${C}/${D.id}/title`;
  const body = { title_kind: 'judgment', authority: 'Regionalgericht', decided_on: '2024-01-10', applied_on: '2025-02-03' };
  const bad = async (b, field, code = 'invalid_value') => {
    const e = err(await call('PUT', T, { session: cw, body: { ...body, ...b } }), 400, code);
    assert.equal(e.detail.field, field, JSON.stringify(b));
  };
  await bad({ title_kind: 'contract' }, 'title_kind');
  await bad({ arrears_from: '2024-05-02' }, 'arrears_from');
  await bad({ arrears_from: '2025-02-01' }, 'arrears_from');
  await bad({ arrears_from: '2004-01-01' }, 'arrears_from');
  await bad({ ends_on: '2024-01-10' }, 'ends_on');
  await bad({ index_base_points: 1000 }, 'index_base_month');
  await bad({ index_base_points: 1000, index_base_month: '2023-12-01' }, 'index_month');
  await bad({ index_month: 1 }, 'index_base_points');
  await bad({ index_base_points: 1000, index_base_month: '2023-12-05', index_month: 1 }, 'index_base_month');
  await bad({ index_month: 13 }, 'index_month', 'out_of_range');
  await bad({ index_rounding: 0 }, 'index_rounding', 'out_of_range');
  await bad({ debtor_id: 987654321 }, 'debtor_id');
  await bad({ applied_on: '1899-12-31' }, 'applied_on');
  err(await call('GET', T, { session: cw }), 404, 'ah_title_missing');

  ok(await call('PUT', T, { session: cw, body }), 201);
  const k = ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[0], role: 'child' } }), 201).json;
  const A = `/api/v1/alimente/creditors/${k.id}/amounts`;
  const steps = async (amounts) => {
    const e = err(await call('PUT', A, { session: cw, body: { amounts }, headers: { 'if-match': '"1"' } }), 400, 'invalid_value');
    assert.equal(e.detail.field, 'amounts', JSON.stringify(amounts));
  };
  await steps([{ valid_from: '2024-01-02', amount: 100 }]);
  await steps([{ valid_from: '2024-01-01', valid_to: '2024-01-01', amount: 100 }]);
  await steps([{ valid_from: '2024-01-01', valid_to: '2025-01-01', amount: 100 }, { valid_from: '2024-06-01', amount: 100 }]);
  await steps([{ valid_from: '2024-01-01', amount: 100 }, { valid_from: '2025-01-01', amount: 100 }]);
  await steps([{ valid_from: '2025-01-01', valid_to: '2026-01-01', amount: 100 }, { valid_from: '2024-01-01', valid_to: '2025-01-01', amount: 100 }]);
  await steps([{ valid_from: '2024-01-01', amount: -1 }]);
  await steps([{ valid_from: '2024-01-01', amount: 10000001 }]);
  await steps([{ valid_from: '2024-01-01', amount: '100' }]);
  await steps([{ valid_from: '2024-01-01', amount: 100, family_allowance: 1000001 }]);
  await steps([{ valid_from: '2024-13-01', amount: 100 }]);
  await steps(['2024-01-01']);
  assert.equal(sql(DB_OWNER, `select count(*) from ah_title_amount where creditor_id = ${k.id}`), '0');
  assert.equal(sql(DB_OWNER, `select version from ah_creditor where id = ${k.id}`), '1');
});

test('isolation: another service\'s dossiers and creditors answer 404; other kinds of dossier too', async () => {
  const D = await dossier();
  const made = ok(await call('PUT', `${C}/${D.id}/title`, { session: cw, body: { title_kind: 'decision', authority: 'KESB', decided_on: '2024-01-10', applied_on: '2025-02-03' } }), 201);
  const k = ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[0], role: 'child' } }), 201).json;
  const e = { 'if-match': made.headers.get('etag') };
  err(await call('GET', `${C}/${D.id}/title`, { session: biel }), 404, 'not_found');
  err(await call('GET', `${C}/${D.id}/schedule`, { session: biel }), 404, 'not_found');
  err(await call('PUT', `${C}/${D.id}/title`, { session: biel, headers: e, body: { title_kind: 'decision', authority: 'X', decided_on: '2024-01-10', applied_on: '2025-02-03' } }), 404, 'not_found');
  err(await call('POST', `${C}/${D.id}/creditors`, { session: biel, body: { person_id: D.kids[1], role: 'child' } }), 404, 'not_found');
  err(await call('PUT', `/api/v1/alimente/creditors/${k.id}/amounts`, { session: biel, headers: { 'if-match': '"1"' }, body: { amounts: [] } }), 404, 'not_found');
  // a person of another service is no debtor or creditor here
  const foreign = fixtureHousehold('biel', [{ role: 'applicant', birth: '1980-01-01' }]).persons[0];
  err(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: foreign, role: 'child' } }), 400, 'invalid_value');
  // a Sozialhilfe dossier has no title
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1979-04-04' }]);
  const sh = ok(await call('POST', C, { session: cw, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942 } }), 201).json;
  err(await call('GET', `${C}/${sh.id}/title`, { session: cw }), 404, 'not_found');
  err(await call('PUT', `${C}/${sh.id}/title`, { session: cw, body: { title_kind: 'decision', authority: 'X', decided_on: '2024-01-10', applied_on: '2025-02-03' } }), 404, 'not_found');
  assert.equal(sql(DB_OWNER, `select count(*) from ah_creditor where dossier_id = ${D.id}`), '1');
  for (const tb of ['ah_title', 'ah_creditor', 'ah_title_amount', 'ah_due'])
    assert.equal(sql(process.env.KASUS_DB_APP, `select count(*) from ${tb}`), '0', `${tb} without tenant setting`);
});

test('the cooperation deadline: set when the application moves to assessment with items missing, done once they are in', async () => {
  const D = await dossier();
  const step = async (to) => {
    const g = ok(await call('GET', `${C}/${D.id}`, { session: cw }), 200);
    return ok(await call('POST', `${C}/${D.id}/transitions`, { session: cw, body: { to }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  };
  await step('assessment');
  const open = () => JSON.parse(sql(DB_OWNER, `select coalesce(json_agg(json_build_object('due', due_on, 'text', text) order by id), '[]') from deadline
    where dossier_id = ${D.id} and kind = 'ah_cooperation' and done_on is null`));
  const want = sql(DB_OWNER, 'select (current_date + 30)::text');
  assert.deepEqual(open(), [{ due: want, text: 'title, power_of_attorney, debtor_address' }]);
  const put = async (items, etag) => ok(await call('PUT', `${C}/${D.id}/checklist`, { session: cw, body: { items }, headers: { 'if-match': etag } }), 200);
  // saving some items keeps the deadline as it is
  const c1 = await put([{ code: 'title', received_on: '2026-01-05' }], '"0"');
  assert.equal(open().length, 1);
  await put([{ code: 'title', received_on: '2026-01-05' }, { code: 'power_of_attorney', received_on: '2026-01-05' },
    { code: 'debtor_address', received_on: '2026-01-06' }], c1.headers.get('etag'));
  assert.deepEqual(open(), [], 'done once nothing is missing');
});

test('a transfer: the receiving service gets the title, creditors and amounts for the instalments from next month; the sender keeps the arrears until then', async () => {
  const D = await dossier();
  const T = `${C}/${D.id}/title`;
  const body = { title_kind: 'judgment', authority: 'Regionalgericht Oberland', decided_on: '2023-06-15', applied_on: '2025-09-10',
    arrears_from: '2025-06-01', family_allowances: true, debtor_id: D.father, debtor_employer: 'Holzbau AG',
    index_base_points: 1050, index_base_month: '2023-04-01', index_month: 1, index_rounding: 100 };
  const made = ok(await call('PUT', T, { session: cw, body }), 201).json;
  const steps = [{ valid_from: '2023-07-01', valid_to: '2028-06-01', amount: 80000, family_allowance: 23000 },
    { valid_from: '2028-06-01', valid_to: null, amount: 95000, family_allowance: 0 }];
  for (const p of D.kids) {
    const k = ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: p, role: 'child' } }), 201).json;
    ok(await call('PUT', `/api/v1/alimente/creditors/${k.id}/amounts`, { session: cw, body: { amounts: steps }, headers: { 'if-match': `"${k.version}"` } }), 200);
  }
  const before0 = ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json;
  const now = before0.current_month;
  const g = ok(await call('GET', `${C}/${D.id}`, { session: cw }), 200);
  const tr = ok(await call('POST', `${C}/${D.id}/transfer`, { session: cw, body: { to_tenant: 'oberes-emmental', municipality_bfs: 902 },
    headers: { 'if-match': g.headers.get('etag') } }), 201).json;
  const to = tr.to.dossier_id;
  const oe = await as('oberes-emmental', 'caseworker');
  const t2 = ok(await call('GET', `${C}/${to}/title`, { session: oe }), 200).json;
  const next = mstr(mnum(now) + 1);
  assert.equal(t2.title.applied_on, `${next}-01`, 'the receiver\'s instalments begin next month');
  assert.equal(t2.title.arrears_from, null, 'the arrears stay with the sender');
  for (const k of ['title_kind', 'authority', 'decided_on', 'family_allowances', 'index_base_points', 'index_base_month', 'index_month', 'index_rounding', 'debtor_employer'])
    assert.deepEqual(t2.title[k], made.title[k], k);
  assert.ok(qrValid(t2.debtor.reference));
  assert.notEqual(t2.debtor.reference, made.debtor.reference);
  assert.equal(t2.debtor.name, 'Marc Muster');
  assert.equal(t2.debtor.birth_date, '1983-01-02');
  assert.notEqual(t2.debtor.person_id, D.father, 'a person of the receiver');
  assert.deepEqual(t2.creditors.map((c) => [c.name, c.birth_date, c.amounts.map(({ id, ...s }) => s)]).sort(),
    [['Lea Muster', '2012-05-06', steps], ['Tim Muster', '2016-07-08', steps]]);
  // the creditors are the household members the core brought along
  const members = ok(await call('GET', `${C}/${to}`, { session: oe }), 200).json;
  const hhm = sql(DB_OWNER, `select string_agg(person_id::text, ',' order by person_id) from household_member where household_id = ${members.household_id}`).split(',').map(Number);
  for (const c of t2.creditors) assert.ok(hhm.includes(c.person_id), `${c.name} is a member of the receiver's household`);
  const s2 = ok(await call('GET', `${C}/${to}/schedule`, { session: oe }), 200).json;
  for (const c of s2.creditors) assert.deepEqual(c.months.map((r) => r.month), [next]);
  const want = expected(t2.title, t2.creditors, now);
  for (const c of s2.creditors) assert.deepEqual(pick(c.months), want[c.creditor_id]);
  // the sender: closed, its title stays; its schedule up to this month, as before
  const g1 = ok(await call('GET', T, { session: cw }), 200);
  err(await call('PUT', T, { session: cw, body, headers: { 'if-match': g1.headers.get('etag') } }), 409, 'dossier_closed');
  err(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.mother, role: 'spouse' } }), 409, 'dossier_closed');
  const c0 = g1.json.creditors[0];
  err(await call('PUT', `/api/v1/alimente/creditors/${c0.id}/amounts`, { session: cw, body: { amounts: [] }, headers: { 'if-match': `"${c0.version}"` } }), 409, 'dossier_closed');
  const s1 = ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json;
  for (const c of s1.creditors) {
    const was = before0.creditors.find((x) => x.creditor_id === c.creditor_id).months;
    assert.deepEqual(c.months, was.filter((r) => r.month <= now));
    assert.equal(c.months[0].month, '2025-06');
  }
});

test('the monthly job carries the schedule on to the end of next month', async () => {
  const D = await dossier();
  ok(await call('PUT', `${C}/${D.id}/title`, { session: cw, body: { title_kind: 'decision', authority: 'KESB Thun', decided_on: '2024-01-10', applied_on: '2025-02-03' } }), 201);
  const k = ok(await call('POST', `${C}/${D.id}/creditors`, { session: cw, body: { person_id: D.kids[0], role: 'child' } }), 201).json;
  ok(await call('PUT', `/api/v1/alimente/creditors/${k.id}/amounts`, { session: cw, body: { amounts: [{ valid_from: '2024-01-01', amount: 61050 }] }, headers: { 'if-match': '"1"' } }), 200);
  const s0 = ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json;
  // as if written two months ago
  sql(DB_OWNER, `delete from ah_due where dossier_id = ${D.id} and month >= date_trunc('month', current_date) - interval '1 month'`);
  const s1 = ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json;
  assert.equal(s1.creditors[0].months.length, s0.creditors[0].months.length - 3);
  const admin = await as('thun', 'admin');
  const j = await jobOf(ok(await call('POST', '/api/v1/jobs', { session: admin, body: { type: 'alimente.schedule' } }), 202), admin);
  assert.ok(j.result.dossiers >= 1, JSON.stringify(j));
  assert.deepEqual(ok(await call('GET', `${C}/${D.id}/schedule`, { session: cw }), 200).json, s0);
});
