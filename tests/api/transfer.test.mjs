// Case transfer: the client moves from Thun to Langnau (Oberes Emmental);
// Thun's dossier closes as moved, Oberes Emmental gets a new dossier with
// the household and the selected documents; both audit chains say so.
import test from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, as, sql, DB_OWNER, fixtureHousehold } from './lib.mjs';

let cw, oe, biel;
test.before(async () => {
  cw = await as('thun', 'caseworker');
  oe = await as('oberes-emmental', 'caseworker');
  biel = await as('biel', 'caseworker');
});

/** POST the transfer with the dossier's ETag as If-Match. */
async function transfer(session, id, body) {
  const g = await call('GET', `/api/v1/cases/${id}`, { session });
  return call('POST', `/api/v1/cases/${id}/transfer`, { session, body, headers: { 'if-match': g.headers.get('etag') || '"1"' } });
}

async function dossier() {
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1980-02-02' }, { role: 'child', birth: '2015-03-03' }]);
  const r = ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942 } }), 201);
  return { id: r.json.id, hh };
}

function document(dossierId, title) {
  const t = sql(DB_OWNER, `select tenant_id from dossier where id = ${dossierId}`);
  const pdf = Buffer.from('%PDF-1.4\n% test\n%%EOF\n');
  const id = sql(DB_OWNER, `insert into document (tenant_id, dossier_id, category, title, mime, size, sha256, uploaded_by)
    values (${t}, ${dossierId}, 'rent_contract', '${title}', 'application/pdf', ${pdf.length}, 'x', 1) returning id`).split('\n')[0];
  sql(DB_OWNER, `insert into document_blob (tenant_id, document_id, content) values (${t}, ${id}, decode('${pdf.toString('base64')}', 'base64'))`);
  return Number(id);
}

test('transfer to the service of the new municipality', async () => {
  const { id } = await dossier();
  // uploaded: sealed under the sender's dossier key
  const pdf = Buffer.from('%PDF-1.4\n% Mietvertrag\n%%EOF\n');
  const keep = ok(await call('POST', `/api/v1/cases/${id}/documents?category=rent_contract&title=Mietvertrag`,
    { session: cw, raw: pdf }), 201).json.id;
  document(id, 'Arztzeugnis');
  const r = ok(await transfer(cw, id, { to_tenant: 'oberes-emmental', municipality_bfs: 902, document_ids: [keep] }), 201);
  assert.match(r.json.to.number, /^\d{4}-\d{5}$/, 'the new dossier has its own number');
  assert.equal(r.json.from.state, 'closed');
  const nid = r.json.to.dossier_id;
  const old = ok(await call('GET', `/api/v1/cases/${id}`, { session: cw }), 200);
  assert.equal(old.json.state, 'closed');
  assert.equal(old.json.closure_reason, 'moved');
  const n = ok(await call('GET', `/api/v1/cases/${nid}`, { session: oe }), 200);
  assert.equal(n.json.state, 'registration');
  assert.equal(n.json.municipality.bfs, 902);
  assert.equal(n.json.transferred_from, `thun/${id}`);
  assert.equal(n.json.members.length, 2);
  const docs = sql(DB_OWNER, `select title from document where dossier_id = ${nid}`);
  assert.equal(docs, 'Mietvertrag', 'only the selected document travels');
  // sealed again under the receiver's dossier key, and the same bytes
  const nkey = sql(DB_OWNER, `select encode(key_id, 'hex') from dossier_key where dossier_id = ${nid}`);
  assert.match(nkey, /^[0-9a-f]{32}$/);
  assert.notEqual(nkey, sql(DB_OWNER, `select encode(key_id, 'hex') from dossier_key where dossier_id = ${id}`));
  const ndoc = sql(DB_OWNER, `select id from document where dossier_id = ${nid}`);
  assert.equal(sql(DB_OWNER, `select encode(substring(content from 1 for 20), 'hex') from document_blob where document_id = ${ndoc}`),
    Buffer.from('KSD1').toString('hex') + nkey);
  const got = await fetch(`${process.env.KASUS_URL || 'http://127.0.0.1:18091'}/api/v1/documents/${ndoc}/content`,
    { headers: { cookie: `ks_session=${oe.cookie}` } });
  assert.equal(got.status, 200);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(pdf), 'the receiver opens the exact bytes');
  assert.ok(Number(sql(DB_OWNER, `select count(*) from audit_event e join tenant t on t.id = e.tenant_id where t.slug = 'thun' and action = 'dossier_transferred_out' and object_id = '${id}'`)) === 1);
  assert.ok(Number(sql(DB_OWNER, `select count(*) from audit_event e join tenant t on t.id = e.tenant_id where t.slug = 'oberes-emmental' and action = 'dossier_transferred_in' and object_id = '${nid}'`)) === 1);
  // the sender no longer sees the new one, the receiver not the old one
  err(await call('GET', `/api/v1/cases/${nid}`, { session: cw }), 404);
  err(await call('GET', `/api/v1/cases/${id}`, { session: oe }), 404);
  // a closed dossier does not travel twice
  err(await transfer(cw, id, { to_tenant: 'oberes-emmental', municipality_bfs: 902 }), 409, 'dossier_closed');
});

test('transfer refusals leave the dossier untouched', async () => {
  const { id } = await dossier();
  const t = (body) => transfer(cw, id, body);
  err(await t({ to_tenant: 'no-such-service', municipality_bfs: 902 }), 400, 'invalid_value');
  err(await t({ to_tenant: 'thun', municipality_bfs: 942 }), 400, 'invalid_value');
  err(await t({ to_tenant: 'canton', municipality_bfs: 942 }), 400, 'invalid_value');
  err(await t({ to_tenant: 'oberes-emmental', municipality_bfs: 942 }), 400, 'invalid_value');
  err(await t({ to_tenant: 'oberes-emmental', municipality_bfs: 902, document_ids: [999999999] }), 400, 'invalid_value');
  err(await t({ to_tenant: 'oberes-emmental' }), 400, 'missing_field');
  err(await t({ to_tenant: 7, municipality_bfs: 902 }), 400, 'invalid_type');
  err(await t({ to_tenant: 'oberes-emmental', municipality_bfs: 902, extra: 1 }), 400, 'unknown_field');
  err(await call('POST', `/api/v1/cases/${id}/transfer`, { session: biel, body: { to_tenant: 'oberes-emmental', municipality_bfs: 902 }, headers: { 'if-match': '"1"' } }), 404);
  const legal = await as('thun', 'legal');
  err(await call('POST', `/api/v1/cases/${id}/transfer`, { session: legal, body: { to_tenant: 'oberes-emmental', municipality_bfs: 902 } }), 403);
  // closing a record: If-Match, 409 with the current state on a stale one
  err(await call('POST', `/api/v1/cases/${id}/transfer`, { session: cw, body: { to_tenant: 'oberes-emmental', municipality_bfs: 902 } }), 428, 'precondition_required');
  const stale = err(await call('POST', `/api/v1/cases/${id}/transfer`, { session: cw, body: { to_tenant: 'oberes-emmental', municipality_bfs: 902 }, headers: { 'if-match': '"999"' } }), 409, 'conflict');
  assert.equal(stale.detail.current.state, 'registration');
  const d = ok(await call('GET', `/api/v1/cases/${id}`, { session: cw }), 200);
  assert.equal(d.json.state, 'registration', 'nothing changed');
});
