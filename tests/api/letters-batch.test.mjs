// Letters in a batch (issue 15, "PDF generation of many letters"): POST
// /api/v1/letters/batch checks every dossier through the access policy
// and queues the job sozialhilfe.letters (202 with the job); the job
// writes one letter per dossier with the single routes' rendering, shows
// its progress, and writes none twice when it runs again.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  BASE, call, ok, err, as, sql, DB_OWNER, fixtureHousehold, jobOf, uniq, isoDay
} from './lib.mjs';

const C = '/api/v1/cases';
const B = '/api/v1/letters/batch';
const owner = (q) => sql(DB_OWNER, q);
const inDays = (n) => isoDay(n);
const GUARANTEE = { recipient: 'Zahnarztpraxis Aare\nBahnhofstrasse 3\n3600 Thun', purpose: 'Zahnbehandlung gemäss Kostenvoranschlag', amount: 45000 };

let cw, admin, biel;
test.before(async () => {
  cw = await as('thun', 'caseworker');
  admin = await as('thun', 'admin');
  biel = await as('biel', 'caseworker');
});

/** A new dossier of its own (registration), its client named last, first. */
async function dossier(slug, session, last) {
  const first = uniq('Vera');
  const hh = fixtureHousehold(slug, [{ role: 'applicant', birth: '1979-08-12', last, first }]);
  const r = ok(await call('POST', C, { session, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: slug === 'biel' ? 371 : 942, caseworker_id: session.data.user.id } }), 201);
  return { id: r.json.id, name: `${first} ${last}` };
}

const letters = (id) => Number(owner(`select count(*) from document where dossier_id = ${Number(id)} and category = 'letter'`));
const jobsOfType = () => Number(owner(`select count(*) from job where type = 'sozialhilfe.letters'`));

async function pdfText(docId) {
  const r = await fetch(`${BASE}/api/v1/documents/${docId}/content`, { headers: { cookie: `ks_session=${cw.cookie}` } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  return execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: Buffer.from(await r.arrayBuffer()) }).toString('utf8');
}

test('a batch of cost guarantees: 202, one letter per dossier naming its client, progress 5/5; run again it writes none twice', async () => {
  const ds = [];
  for (let i = 0; i < 5; i++) ds.push(await dossier('thun', cw, `Batchova${i}`));
  const res = await call('POST', B, { session: cw, body: { kind: 'cost-guarantee', dossiers: ds.map((d) => d.id), ...GUARANTEE, valid_until: inDays(60) } });
  const job = await jobOf(res, cw);
  assert.equal(job.type, 'sozialhilfe.letters');
  assert.equal(job.progress.done, 5);
  assert.equal(job.progress.total, 5);
  assert.equal(job.result.count, 5);
  assert.equal(job.result.documents.length, 5);
  assert.deepEqual(job.result.skipped, []);
  for (const [i, d] of ds.entries()) {
    assert.equal(letters(d.id), 1, `dossier ${d.id} has one letter`);
    const doc = owner(`select id from document where dossier_id = ${d.id} and category = 'letter'`);
    assert.equal(Number(doc), job.result.documents[i]);
    const t = await pdfText(doc);
    assert.ok(t.includes(d.name), `the letter names ${d.name}:\n${t}`);
    assert.match(t, /Kostengutsprache/);
    assert.match(t, /CHF 450\.00/);
  }
  assert.equal(owner(`select count(*) from audit_event where action = 'letter_written'
    and object_id in (${job.result.documents.map((x) => `'${x}'`).join(',')})`), '5');

  // One record per letter, under row-level security like every sh_ table; the job is not another tenant's to see.
  assert.equal(owner(`select count(*) from sh_letter_batch_item where job_id = ${job.id}`), '5');
  assert.equal(owner(`select relrowsecurity and relforcerowsecurity from pg_class where relname = 'sh_letter_batch_item'`), 't');
  assert.equal(owner(`select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where i.indrelid = 'sh_letter_batch_item'::regclass and i.indisprimary`), 'tenant_id');
  err(await call('GET', `/api/v1/jobs/${job.id}`, { session: biel }), 404, 'not_found');

  // As after a crash: the job runs again from the start (an administrator retries it).
  owner(`update job set state = 'failed' where id = ${job.id}`);
  const cur = ok(await call('GET', `/api/v1/jobs/${job.id}`, { session: admin }), 200);
  const again = await jobOf(await call('POST', `/api/v1/jobs/${job.id}/retry`, { session: admin, headers: { 'if-match': cur.headers.get('etag') } }), admin);
  assert.equal(again.id, job.id);
  assert.ok(again.attempts >= 1);
  assert.deepEqual(again.result.documents, job.result.documents, 'the same letters, none new');
  for (const d of ds) assert.equal(letters(d.id), 1, `dossier ${d.id} still has one letter`);
});

test('a document request in a batch; a foreign or unknown dossier 404, a closed one 409, no permission 403, wrong fields 400: nothing queued', async () => {
  const a = await dossier('thun', cw, 'Anfragerin');
  const before = jobsOfType();
  // A dossier of another tenant, and one that does not exist: 404 naming it, no job.
  const foreign = await dossier('biel', biel, 'Fremd');
  let e = err(await call('POST', B, { session: cw, body: { kind: 'document-request', dossiers: [a.id, foreign.id] } }), 404, 'not_found');
  assert.equal(e.detail.dossier, foreign.id);
  e = err(await call('POST', B, { session: cw, body: { kind: 'document-request', dossiers: [a.id, 999999999] } }), 404, 'not_found');
  assert.equal(e.detail.dossier, 999999999);
  assert.equal(letters(foreign.id), 0);
  // Without case.write.
  err(await call('POST', B, { session: admin, body: { kind: 'document-request', dossiers: [a.id] } }), 403, 'forbidden');
  // Wrong or missing values.
  for (const [body, code, field] of [
    [{ kind: 'invoice', dossiers: [a.id] }, 'invalid_value', 'kind'],
    [{ kind: 'document-request', dossiers: [] }, 'invalid_length', 'dossiers'],
    [{ kind: 'document-request', dossiers: ['x'] }, 'invalid_type', 'dossiers'],
    [{ kind: 'document-request', dossiers: [a.id, a.id] }, 'invalid_value', 'dossiers'],
    [{ kind: 'document-request', dossiers: Array.from({ length: 501 }, (_, i) => i + 1) }, 'invalid_length', 'dossiers'],
    [{ kind: 'cost-guarantee', dossiers: [a.id], ...GUARANTEE }, 'missing_field', 'valid_until'],
    [{ kind: 'cost-guarantee', dossiers: [a.id], ...GUARANTEE, valid_until: '2021-05-01' }, 'invalid_value', 'valid_until'],
  ]) assert.equal(err(await call('POST', B, { session: cw, body }), 400, code).detail.field, field, JSON.stringify(body).slice(0, 80));
  // A closed dossier gets no letter: 409 naming it.
  owner(`update dossier set state = 'closed', closed_on = current_date where id = ${a.id}`);
  const b = await dossier('thun', cw, 'Anfragerin');
  e = err(await call('POST', B, { session: cw, body: { kind: 'document-request', dossiers: [b.id, a.id] } }), 409, 'dossier_closed');
  assert.equal(e.detail.dossier, a.id);
  assert.equal(jobsOfType(), before, 'nothing was queued');

  const job = await jobOf(await call('POST', B, { session: cw, body: { kind: 'document-request', dossiers: [b.id], note: 'Bitte bis Ende Monat.' } }), cw);
  assert.equal(job.result.count, 1);
  assert.equal(letters(b.id), 1);
  const t = await pdfText(job.result.documents[0]);
  assert.ok(t.includes(b.name));
  assert.match(t, /Bitte bis Ende Monat\./);
});
