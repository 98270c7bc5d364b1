// The social services' side of the canton's invoices: a run's invoices
// reach them once the canton issues the run (never before), each service
// reads only its own (list and PDF, byte for byte the canton's), a
// correction issued later replaces the earlier invoice without removing
// it, and both steps are audited where they happen.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, call, ok, err, as, uniq, sql, DB_OWNER, tenantId, freshTenant, createUser, login,
} from './lib.mjs';

const B = '/api/v1/billing';
const I = '/api/v1/invoices';
let canton; let thunAcc; let thunAdmin; let biel;
before(async () => {
  canton = await as('canton', 'canton-admin');
  thunAcc = await as('thun', 'accounting');
  thunAdmin = await as('thun', 'admin');
  biel = await as('biel', 'admin');
});

/** A period of its own with costs in every phase (the project phase is shared by population: every service owes). */
async function period() {
  // Before 2199: tests/api/billing.test.mjs puts a broken key in force from then.
  const y = 2101 + Math.floor(Math.random() * 80);
  const code = `I${y}-${uniq('').slice(-8)}`.slice(0, 20);
  const p = ok(await call('POST', `${B}/periods`, { session: canton, body: { code, starts_on: `${y}-01-01`, ends_on: `${y}-12-31` } }), 201);
  for (const [phase, amount] of [['project', 1234567], ['operation', 250001]])
    ok(await call('POST', `${B}/periods/${p.json.id}/costs`, { session: canton, body: { phase, amount, description: `${phase} ${y}` } }), 201);
  return p.json;
}
const allocate = async (p) => ok(await call('POST', `${B}/periods/${p.id}/allocate`, { session: canton }), 201).json;
const mine = async (s) => ok(await call('GET', I, { session: s }), 200).json.items;
async function bytes(p, session) {
  const res = await fetch(BASE + p, { headers: { cookie: `ks_session=${session.cookie}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}
// Changes are in audit_event, reads (downloads) in audit_read.
const audits = (slug, action, oid) => Number(sql(DB_OWNER,
  `select (select count(*) from audit_event where tenant_id = ${tenantId(slug)} and action = '${action}' and object_id = '${oid}')
        + (select count(*) from audit_read where tenant_id = ${tenantId(slug)} and action = '${action}' and object_id = '${oid}')`));

test('a run\'s invoices reach the social services when the canton issues it, not before', async () => {
  const p = await period();
  const run = await allocate(p);
  assert.equal(run.issued_at, null);
  assert.equal(run.issued_by, null);
  const thunId = Number(tenantId('thun'));
  const inv = run.invoices.find((x) => x.tenant_id === thunId);
  assert.ok(inv.amount > 0, 'Thun owes a part of the project phase');

  // Not issued: the run does not exist for the services.
  assert.equal((await mine(thunAcc)).some((x) => x.run_id === run.id), false);
  err(await call('GET', `${I}/${run.id}/pdf`, { session: thunAcc }), 404, 'not_found');

  const issued = ok(await call('POST', `${B}/runs/${run.id}/issue`, { session: canton }), 200).json;
  assert.match(issued.issued_at, /^\d{4}-\d\d-\d\d /);
  assert.equal(issued.issued_by, canton.data.user.id);
  assert.deepEqual(issued.shares, run.shares, 'issuing changes nothing of the run');
  err(await call('POST', `${B}/runs/${run.id}/issue`, { session: canton }), 409, 'already_issued');
  assert.equal(audits('canton', 'billing_run_issued', run.id), 1);
  const per = ok(await call('GET', `${B}/periods/${p.id}`, { session: canton }), 200).json;
  assert.equal(per.runs.find((x) => x.id === run.id).issued_at, issued.issued_at, 'the period lists it as issued');

  // Thun's accounting and administrator see it, with the canton's amount and reference.
  for (const s of [thunAcc, thunAdmin]) {
    const mineNow = (await mine(s)).find((x) => x.run_id === run.id);
    assert.ok(mineNow, 'listed');
    assert.equal(mineNow.amount, inv.amount);
    assert.equal(mineNow.reference, inv.reference);
    assert.equal(mineNow.reference_type, inv.reference_type);
    assert.deepEqual(mineNow.period, { code: p.code, starts_on: p.starts_on, ends_on: p.ends_on });
    assert.equal(mineNow.replaced_by, null);
    assert.equal(mineNow.pack.name, 'cost-allocation');
    assert.equal(mineNow.issued_at, issued.issued_at);
  }
  // The PDF is the canton's, byte for byte; its download is in Thun's audit log.
  const before0 = audits('thun', 'invoice_downloaded', run.id);
  const theirs = await bytes(`${I}/${run.id}/pdf`, thunAcc);
  assert.equal(theirs.status, 200);
  assert.match(theirs.type, /^application\/pdf/);
  const cantons = await bytes(`${B}/runs/${run.id}/invoices/${thunId}/pdf`, canton);
  assert.ok(theirs.body.equals(cantons.body), 'the same document');
  assert.equal(audits('thun', 'invoice_downloaded', run.id), before0 + 1);
  assert.equal(audits('canton', 'invoice_downloaded', run.id), 0, 'not in the canton\'s log');

  // Biel reads its own invoice of the same run, never Thun's.
  const bielId = Number(tenantId('biel'));
  const bielInv = run.invoices.find((x) => x.tenant_id === bielId);
  const bielMine = (await mine(biel)).find((x) => x.run_id === run.id);
  assert.equal(bielMine.amount, bielInv.amount);
  assert.notEqual(bielMine.reference, inv.reference);
  const bielPdf = await bytes(`${I}/${run.id}/pdf`, biel);
  assert.equal(bielPdf.status, 200);
  assert.ok(bielPdf.body.equals((await bytes(`${B}/runs/${run.id}/invoices/${bielId}/pdf`, canton)).body));
  assert.ok(!bielPdf.body.equals(theirs.body));
});

test('a correction issued later replaces the earlier invoice, which stays readable', async () => {
  const p = await period();
  const first = await allocate(p);
  ok(await call('POST', `${B}/runs/${first.id}/issue`, { session: canton }), 200);
  ok(await call('POST', `${B}/periods/${p.id}/costs`, { session: canton, body: { phase: 'project', amount: 100000, description: 'Nachtrag' } }), 201);
  const second = await allocate(p);
  // Until the correction is issued, the first invoice is the one in force.
  let list = (await mine(thunAcc)).filter((x) => x.period.code === p.code);
  assert.deepEqual(list.map((x) => [x.run_id, x.replaced_by]), [[first.id, null]]);
  ok(await call('POST', `${B}/runs/${second.id}/issue`, { session: canton }), 200);
  list = (await mine(thunAcc)).filter((x) => x.period.code === p.code);
  assert.deepEqual(list.map((x) => [x.run_id, x.replaced_by]), [[second.id, null], [first.id, second.id]], 'newest first');
  assert.ok(list[0].amount > list[1].amount, 'the correction adds costs');
  assert.equal((await bytes(`${I}/${first.id}/pdf`, thunAcc)).status, 200, 'the replaced invoice stays readable');
});

test('invoices: who may read them, and ids that are not the service\'s', async () => {
  const p = await period();
  const run = await allocate(p);
  ok(await call('POST', `${B}/runs/${run.id}/issue`, { session: canton }), 200);
  // Case workers, legal, auditors and the canton's own administrator read no invoices.
  for (const [t, u] of [['thun', 'caseworker'], ['thun', 'legal'], ['canton', 'canton-admin']]) {
    const s = await as(t, u);
    err(await call('GET', I, { session: s }), 403, 'forbidden');
    err(await call('GET', `${I}/${run.id}/pdf`, { session: s }), 403, 'forbidden');
  }
  // Only the canton issues.
  err(await call('POST', `${B}/runs/${run.id}/issue`, { session: thunAdmin }), 403, 'forbidden');
  err(await call('POST', `${B}/runs/987654321/issue`, { session: canton }), 404, 'not_found');
  // A social service that came after the run has no invoice in it.
  const fresh = await freshTenant('inv');
  const u = await createUser(fresh.admin, ['accounting']);
  const acc = await login(fresh.slug, u.username, u.password);
  assert.deepEqual((await mine(acc)).filter((x) => x.run_id === run.id), []);
  err(await call('GET', `${I}/${run.id}/pdf`, { session: acc }), 404, 'not_found');
  // Ids that are no issued run: 404, and an unissued run is no different.
  const draft = await allocate(p);
  for (const id of [0, 987654321, 'abc', draft.id, p.id])
    err(await call('GET', `${I}/${id}/pdf`, { session: thunAcc }), 404, 'not_found');
});
