// A social service's local benefits: rule data within the canton's bounds
// (pack local-benefits), added to the Sozialhilfe budget as
// circumstance-related benefits from the date they apply, with provenance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, show, as, fixtureHousehold } from './lib.mjs';

const RD = '/api/v1/rule-data/local-benefits';
const C = '/api/v1/cases';
const WINTER = { code: 'winterzulage', label: { de: 'Winterzulage', fr: "Allocation d'hiver" }, amount: 5000, per: 'person' };

test('local benefits: bounds enforced, then in the budget from their date', async () => {
  const admin = await as('thun', 'admin');
  const b = ok(await call('GET', `${RD}/bounds?date=2035-01-01`, { session: admin }), 200);
  assert.equal(b.json.bounds.max_amount, 30000);
  assert.equal(b.json.current, null, 'Thun grants none yet');
  // above the canton's maximum, a bad code, a missing label: refused, each named
  const bad = { benefits: [{ ...WINTER, amount: 30001 }, { ...WINTER, code: 'Winter Zulage' }, { ...WINTER, code: 'x', label: { de: 'X' } }] };
  const e = err(await call('POST', RD, { session: admin, body: { valid_from: '2035-01-01', data: bad } }), 422, 'rule_bounds');
  assert.deepEqual(e.detail.violations.map((v) => [v.path, v.bound]), [
    ['benefits[1].amount', 'max'], ['benefits[2].code', 'code'], ['benefits[3].label.fr', 'label']]);
  assert.match(e.detail.violations[0].message.de, /kantonalen Höchstbetrag CHF 300\.00/);
  ok(await call('POST', RD, { session: admin, body: { valid_from: '2035-01-01', data: { benefits: [WINTER] }, comment: 'Gemeinderat' } }), 201);

  const cw = await as('thun', 'caseworker');
  const rec = await as('thun', 'reception');
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1980-01-01' }, { role: 'child', birth: '2015-01-01' }]);
  const d = ok(await call('POST', C, { session: rec, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, caseworker_id: cw.data.user.id } }), 201);
  const body = (from) => ({ valid_from: from, rent: 140000, kvg_premium: 38000, assets: 0, income: { employment: 0, other: 0 } });
  const after = ok(await call('POST', `${C}/${d.json.id}/budgets/preview`, { session: cw, body: body('2035-02-01') }), 200);
  const line = after.json.output.lines.find((l) => l.code === 'sil:local:winterzulage');
  assert.ok(line, show(after));
  assert.equal(line.amount, 10000, 'per person: 2 × CHF 50.00');
  const p = after.json.provenance.find((x) => x.name === 'local-benefits');
  assert.equal(p.scope, 'canton');
  assert.match(p.data.version, /^2035-01-01\.\d+$/);
  // before the date: no local benefit, no provenance for it
  const before = ok(await call('POST', `${C}/${d.json.id}/budgets/preview`, { session: cw, body: body('2034-12-01') }), 200);
  assert.ok(!before.json.output.lines.some((l) => l.code.startsWith('sil:local:')));
  assert.ok(!before.json.provenance.some((x) => x.name === 'local-benefits'));
  assert.equal(after.json.output.need - before.json.output.need, 10000);
  // Biel has none
  const bl = ok(await call('POST', '/api/v1/rules/evaluate', { session: await as('biel', 'caseworker'), body: { pack: 'local-benefits', function: 'benefits', date: '2035-02-01', input: { household_size: 2 } } }), 200);
  assert.deepEqual(bl.json.output, { lines: [] });
});
