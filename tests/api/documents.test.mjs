// Documents of a dossier: streamed upload (type by content, size limit,
// SHA-256), versions, list, metadata, download with a safe filename and
// an audit event, permissions, tenant isolation (API and row-level
// security), and nothing left behind in the upload staging table. The
// bytes are stored sealed under the dossier's key (issue 15): not the
// plain content in the database, bound to their row, plain rows of
// before still open.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { call, ok, err, as, login, createUser, sql, sqlError, rawHead, DB_APP, DB_OWNER, tenantId, uniq, listAll } from './lib.mjs';

let cw; let biel; let thunId; let bielId;
let caseId; let otherCaseId; let bielCaseId;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(500)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(700)]);
const sha = (b) => createHash('sha256').update(b).digest('hex');

/** A dossier made with SQL as the owner (the module's own route is not ours). */
function mkDossier(slug, bfs) {
  const t = tenantId(slug);
  return Number(sql(DB_OWNER, [
    `with p as (insert into person (tenant_id, last_name, first_name, birth_date) values (${t}, 'Doc${Date.now()}', 'Test', '1980-01-01') returning id),
          h as (insert into household (tenant_id, name) values (${t}, 'Doc') returning id)
     insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
     select ${t}, 'sozialhilfe', h.id, p.id, 'open', ${bfs} from p, h returning id`]));
}

function upload(session, id, body, query, extra = {}) {
  const q = new URLSearchParams(query).toString();
  return call('POST', `/api/v1/cases/${id}/documents?${q}`, { session, raw: body, ...extra });
}

/** A document's content as bytes (call() reads text). */
async function download(session, id) {
  const res = await fetch(`${process.env.KASUS_URL || 'http://127.0.0.1:18091'}/api/v1/documents/${id}/content`,
    { headers: { cookie: `ks_session=${session.cookie}` } });
  const buf = Buffer.from(await res.arrayBuffer());
  let json;
  try { json = JSON.parse(buf.toString()); } catch { json = undefined; }
  return { status: res.status, buf, json };
}

before(async () => {
  cw = await as('thun', 'caseworker');
  biel = await as('biel', 'caseworker');
  thunId = tenantId('thun');
  bielId = tenantId('biel');
  caseId = mkDossier('thun', 942);
  otherCaseId = mkDossier('thun', 942);
  bielCaseId = mkDossier('biel', 371);
});

test('upload a PDF: 201 with metadata, SHA-256 and size; metadata and list agree', async () => {
  const res = ok(await upload(cw, caseId, PDF, { category: 'rent_contract', title: 'Mietvertrag 2025' }, { headers: { 'content-type': 'application/octet-stream' } }), 201);
  const d = res.json;
  assert.equal(res.headers.get('location'), `/api/v1/documents/${d.id}`);
  assert.equal(d.dossier_id, caseId);
  assert.equal(d.category, 'rent_contract');
  assert.equal(d.title, 'Mietvertrag 2025');
  assert.equal(d.mime, 'application/pdf', 'the type comes from the content, not the header');
  assert.equal(d.size, PDF.length);
  assert.equal(d.sha256, sha(PDF));
  assert.equal(d.version_no, 1);
  assert.equal(d.previous_id, null);
  assert.equal(d.latest, true);
  assert.equal(d.uploaded_by, cw.data.user.id);
  const m = ok(await call('GET', `/api/v1/documents/${d.id}`, { session: cw }), 200);
  assert.deepEqual(m.json, d);
  const list = ok(await call('GET', `/api/v1/cases/${caseId}/documents`, { session: cw }), 200);
  assert.ok(list.json.items.some((x) => x.id === d.id));
  assert.equal(sql(DB_OWNER, `select count(*) from audit_event where action = 'document_uploaded' and object_id = '${d.id}'`), '1');
  // Stored sealed under the dossier's key (KSD1 | key id | chunks); the
  // SHA-256 and size shown are those of the plain content.
  const stored = sql(DB_OWNER, `select encode(content, 'hex') from document_blob where document_id = ${d.id}`);
  const keyId = sql(DB_OWNER, `select encode(key_id, 'hex') from dossier_key where dossier_id = ${caseId}`);
  assert.match(keyId, /^[0-9a-f]{32}$/);
  assert.equal(stored.slice(0, 40), Buffer.from('KSD1').toString('hex') + keyId, 'KSD1 and the dossier key id');
  assert.equal(stored.length / 2, PDF.length + 20 + 28, 'one chunk: head, nonce, ciphertext, tag');
  assert.ok(!Buffer.from(stored, 'hex').includes(PDF.subarray(0, 8)), 'not the plain bytes');
  assert.ok(existsSync(join(process.env.KASUS_KEY_DIR, `t${thunId}-${keyId}.key`)), 'the key is a file in key_dir');
  assert.equal(Number(sql(DB_OWNER, `select count(*) from dossier_key where dossier_id = ${caseId}`)), 1);
  const back = await download(cw, d.id);
  assert.equal(back.status, 200);
  assert.ok(back.buf.equals(PDF), 'the exact bytes come back');
});

test('JPEG and PNG are recognised by their first bytes; anything else is 415', async () => {
  const j = ok(await upload(cw, caseId, JPEG, { category: 'id', title: 'Pass' }, { headers: { 'content-type': 'application/pdf' } }), 201);
  assert.equal(j.json.mime, 'image/jpeg');
  const p = ok(await upload(cw, caseId, PNG, { category: 'scanned_mail', title: 'Brief' }), 201);
  assert.equal(p.json.mime, 'image/png');
  for (const bad of [Buffer.from('<html><script>alert(1)</script></html>'), Buffer.from('%PDX-1.4 not a pdf'),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b, 1, 2, 3]), Buffer.from('PK\x03\x04zip'), Buffer.from('%PD')]) {
    const e = err(await upload(cw, caseId, bad, { category: 'other', title: 'x' }, { headers: { 'content-type': 'application/pdf' } }), 415, 'unsupported_document_type');
    assert.deepEqual(e.detail.accepted, ['application/pdf', 'image/jpeg', 'image/png']);
  }
  // a refused upload stores nothing, and the connection's next request works
  const before = sql(DB_OWNER, `select count(*) from document where dossier_id = ${caseId}`);
  err(await upload(cw, caseId, Buffer.concat([Buffer.from('GIF89a'), randomBytes(300000)]), { category: 'other', title: 'gif' }), 415, 'unsupported_document_type');
  assert.equal(sql(DB_OWNER, `select count(*) from document where dossier_id = ${caseId}`), before);
  ok(await call('GET', `/api/v1/cases/${caseId}/documents`, { session: cw }), 200);
});

test('a large upload streams through in pieces and comes back byte for byte', async () => {
  const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3 * 1024 * 1024 + 12345)]);
  const d = ok(await upload(cw, caseId, big, { category: 'income_proof', title: 'Lohnausweis 2025' }), 201).json;
  assert.equal(d.size, big.length);
  assert.equal(d.sha256, sha(big));
  const res = await fetch(`${process.env.KASUS_URL || 'http://127.0.0.1:18091'}/api/v1/documents/${d.id}/content`, { headers: { cookie: `ks_session=${cw.cookie}` } });
  assert.equal(res.status, 200);
  const back = Buffer.from(await res.arrayBuffer());
  assert.equal(back.length, big.length);
  assert.equal(sha(back), sha(big));
  assert.equal(sql(DB_OWNER, 'select count(*) from document_upload_piece'), '0', 'no staged pieces left behind');
  // sealed in four chunks of at most 1 MiB, each with its nonce and tag
  assert.equal(Number(sql(DB_OWNER, `select length(content) from document_blob where document_id = ${d.id}`)),
    big.length + 20 + 4 * 28);
});

test('sealed bytes are bound to their row; rows stored before sealing still open', async () => {
  const a = ok(await upload(cw, otherCaseId, PDF, { category: 'other', title: 'A' }), 201).json;
  const b = ok(await upload(cw, otherCaseId, Buffer.concat([PDF, Buffer.from('b')]), { category: 'other', title: 'B' }), 201).json;
  assert.ok((await download(cw, b.id)).buf.equals(Buffer.concat([PDF, Buffer.from('b')])));
  // A's bytes put in B's row (same dossier, same key) do not open: the
  // document id is part of what each chunk authenticates.
  sql(DB_OWNER, `update document set size = ${PDF.length} where id = ${b.id};
    update document_blob set content = (select content from document_blob where document_id = ${a.id}) where document_id = ${b.id}`);
  const swapped = await download(cw, b.id);
  assert.equal(swapped.status, 500);
  assert.equal(swapped.json?.error?.code, 'data_unreadable');
  // a flipped byte does not open either
  sql(DB_OWNER, `update document_blob set content = set_byte(content, 30, get_byte(content, 30) # 1) where document_id = ${a.id}`);
  assert.equal((await download(cw, a.id)).json?.error?.code, 'data_unreadable');
  // a row stored as plain bytes before this change is served as it is
  const legacy = sql(DB_OWNER, `with d as (insert into document (tenant_id, dossier_id, category, title, mime, size, sha256, uploaded_by)
      values (${thunId}, ${otherCaseId}, 'other', 'Alt', 'image/png', ${PNG.length}, '${sha(PNG)}', ${cw.data.user.id}) returning id),
    b as (insert into document_blob (tenant_id, document_id, content) select ${thunId}, id, decode('${PNG.toString('hex')}', 'hex') from d)
    select id from d`);
  const old = await download(cw, legacy);
  assert.equal(old.status, 200);
  assert.ok(old.buf.equals(PNG));
});

test('download: Content-Type, attachment with a safe filename, audited', async () => {
  const title = 'Verfügung "Müller" ../../etc/passwd\r\nX: y';
  err(await upload(cw, caseId, PDF, { category: 'decision', title }), 400, 'invalid_parameter');
  const d = ok(await upload(cw, caseId, PDF, { category: 'decision', title: 'Verfügung "Müller" ../../etc/passwd; x=y' }), 201).json;
  const res = await call('GET', `/api/v1/documents/${d.id}/content`, { session: cw });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const cd = res.headers.get('content-disposition');
  assert.match(cd, /^attachment; filename="[A-Za-z0-9._-]+\.pdf"; filename\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]+\.pdf$/, cd);
  assert.ok(!/\.\.\/|"Müller"|;\s*x=y/.test(cd.split('filename*=')[0].replace(/^attachment; /, '')), cd);
  assert.equal(res.text, PDF.toString());
  assert.equal(sql(DB_OWNER, `select count(*) from audit_read where action = 'document_downloaded' and object_id = '${d.id}'`), '1');
  const detail = JSON.parse(sql(DB_OWNER, `select detail::text from audit_read where action = 'document_downloaded' and object_id = '${d.id}'`));
  assert.equal(detail.dossier_id, caseId);
  err(await call('GET', '/api/v1/documents/999999999/content', { session: cw }), 404, 'not_found');
});

test('versions: replaces= makes version n+1 of the same document; only the latest can be replaced', async () => {
  const v1 = ok(await upload(cw, caseId, PDF, { category: 'rent_contract', title: 'Mietvertrag' }), 201).json;
  const v2 = ok(await upload(cw, caseId, PNG, { replaces: v1.id }), 201).json;
  assert.equal(v2.version_no, 2);
  assert.equal(v2.previous_id, v1.id);
  assert.equal(v2.category, 'rent_contract', 'category and title carry over');
  assert.equal(v2.title, 'Mietvertrag');
  const v3 = ok(await upload(cw, caseId, JPEG, { replaces: v2.id, title: 'Mietvertrag neu', category: 'other' }), 201).json;
  assert.equal(v3.version_no, 3);
  assert.equal(v3.title, 'Mietvertrag neu');
  const e = err(await upload(cw, caseId, PDF, { replaces: v1.id }), 409, 'already_replaced');
  assert.equal(e.detail.replaced_by, v2.id);
  const m1 = ok(await call('GET', `/api/v1/documents/${v1.id}`, { session: cw }), 200).json;
  assert.equal(m1.replaced_by, v2.id);
  assert.equal(m1.latest, false);
  // every version is listed, paged by cursor
  const all = await listAll(`/api/v1/cases/${caseId}/documents`, cw, 2);
  for (const v of [v1, v2, v3]) assert.ok(all.some((x) => x.id === v.id), `version ${v.version_no} listed`);
  assert.equal(new Set(all.map((x) => x.id)).size, all.length, 'no duplicates across pages');
  // a document of another case cannot be replaced from here
  const o = ok(await upload(cw, otherCaseId, PDF, { category: 'other', title: 'o' }), 201).json;
  err(await upload(cw, caseId, PDF, { replaces: o.id }), 400, 'invalid_reference');
  err(await upload(cw, caseId, PDF, { replaces: 999999999 }), 400, 'invalid_reference');
});

test('bad input: parameters, empty body, oversize', async () => {
  const U = (q) => `/api/v1/cases/${caseId}/documents?${q}`;
  err(await upload(cw, caseId, PDF, { title: 'x' }), 400, 'invalid_parameter');
  err(await upload(cw, caseId, PDF, { category: 'holiday', title: 'x' }), 400, 'invalid_parameter');
  err(await upload(cw, caseId, PDF, { category: 'other' }), 400, 'invalid_parameter');
  err(await upload(cw, caseId, PDF, { category: 'other', title: 'x'.repeat(201) }), 400, 'invalid_parameter');
  err(await upload(cw, caseId, PDF, { category: 'other', title: '' }), 400, 'invalid_parameter');
  err(await upload(cw, caseId, PDF, { replaces: 'abc' }), 400, 'invalid_parameter');
  err(await upload(cw, caseId, PDF, { replaces: '-1' }), 400, 'invalid_parameter');
  err(await call('POST', U('category=other&title=%FF%FE'), { session: cw, raw: PDF }), 400, 'invalid_parameter');
  err(await call('POST', U('category=other&title=empty'), { session: cw }), 400, 'empty_document');
  err(await upload(cw, caseId, Buffer.alloc(0), { category: 'other', title: 'empty' }), 400, 'empty_document');
  // more than 20 MiB announced: answered before the body is sent
  const big = await rawHead('POST', U('category=other&title=big'), {
    Cookie: `ks_session=${cw.cookie}`, 'X-CSRF-Token': cw.csrf, 'Content-Type': 'application/pdf',
    'Content-Length': String(21 * 1024 * 1024), Expect: '100-continue',
  });
  assert.equal(big.status, 413);
  assert.equal(big.json.error.code, 'body_too_large');
  // without Expect: the same answer, before the body is read
  const big2 = await rawHead('POST', U('category=other&title=big'), {
    Cookie: `ks_session=${cw.cookie}`, 'X-CSRF-Token': cw.csrf, 'Content-Length': String(20 * 1024 * 1024 + 1),
  });
  assert.equal(big2.status, 413);
  err(await call('GET', `/api/v1/cases/${caseId}/documents?limit=0`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', '/api/v1/cases/abc/documents', { session: cw }), 404, 'not_found');
  err(await upload(cw, 999999999, PDF, { category: 'other', title: 'x' }), 404, 'not_found');
  err(await call('GET', '/api/v1/cases/999999999/documents', { session: cw }), 404, 'not_found');
});

test('permissions: legal and auditor cannot upload; reception uploads but cannot read; CSRF', async () => {
  const d = ok(await upload(cw, caseId, PDF, { category: 'other', title: 'perm' }), 201).json;
  for (const u of ['legal', 'auditor', 'accounting']) {
    const s = await as('thun', u);
    const e = err(await upload(s, caseId, PDF, { category: 'other', title: 'x' }), 403, 'forbidden');
    assert.equal(e.detail.permission, 'document.write');
  }
  const legal = await as('thun', 'legal');
  ok(await call('GET', `/api/v1/documents/${d.id}/content`, { session: legal }), 200);
  const auditor = await as('thun', 'auditor');
  err(await call('GET', `/api/v1/cases/${caseId}/documents`, { session: auditor }), 403, 'forbidden');
  err(await call('GET', `/api/v1/documents/${d.id}`, { session: auditor }), 403, 'forbidden');
  const rec = await as('thun', 'reception');
  ok(await upload(rec, caseId, JPEG, { category: 'scanned_mail', title: 'Post' }), 201);
  err(await call('GET', `/api/v1/documents/${d.id}/content`, { session: rec }), 403, 'forbidden');
  err(await upload(cw, caseId, PDF, { category: 'other', title: 'x' }, { csrf: false }), 403, 'csrf_failed');
  err(await call('POST', `/api/v1/cases/${caseId}/documents?category=other&title=x`, { raw: PDF }), 401);
});

test('an API token with document.write uploads; with only document.read it cannot', async () => {
  // A token carries permissions its creator holds: an administrator who
  // is a case worker too.
  const u = await createUser(await as('thun', 'admin'), ['tenant_admin', 'caseworker']);
  const admin = await login('thun', u.username, u.password);
  const w = ok(await call('POST', '/api/v1/admin/tokens', { session: admin, body: { name: uniq('doc'), permissions: ['document.write', 'document.read'], days: 1 } }), 201).json.token;
  const r = ok(await call('POST', '/api/v1/admin/tokens', { session: admin, body: { name: uniq('doc'), permissions: ['document.read'], days: 1 } }), 201).json.token;
  const big = Buffer.concat([Buffer.from('%PDF-1.5\n'), randomBytes(1500000)]);
  const d = ok(await call('POST', `/api/v1/cases/${caseId}/documents?category=other&title=token`, { token: w, raw: big }), 201).json;
  assert.equal(d.sha256, sha(big));
  err(await call('POST', `/api/v1/cases/${caseId}/documents?category=other&title=token`, { token: r, raw: PDF }), 403, 'forbidden');
  ok(await call('GET', `/api/v1/documents/${d.id}`, { token: r }), 200);
  // concurrent uploads on one connection pool stay apart
  const bodies = Array.from({ length: 6 }, (_, i) => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200000 + i * 70000)]));
  const rs = await Promise.all(bodies.map((b, i) => call('POST', `/api/v1/cases/${caseId}/documents?category=other&title=c${i}`, { token: w, raw: b })));
  rs.forEach((x, i) => { ok(x, 201); assert.equal(x.json.sha256, sha(bodies[i])); });
});

test('another tenant\'s cases and documents answer 404 on every route', async () => {
  const d = ok(await upload(cw, caseId, PDF, { category: 'other', title: 'secret' }), 201).json;
  err(await upload(biel, caseId, PDF, { category: 'other', title: 'x' }), 404, 'not_found');
  err(await upload(biel, caseId, PDF, { replaces: d.id }), 404, 'not_found');
  err(await upload(biel, bielCaseId, PDF, { replaces: d.id }), 400, 'invalid_reference');
  err(await call('GET', `/api/v1/cases/${caseId}/documents`, { session: biel }), 404, 'not_found');
  err(await call('GET', `/api/v1/documents/${d.id}`, { session: biel }), 404, 'not_found');
  err(await call('GET', `/api/v1/documents/${d.id}/content`, { session: biel }), 404, 'not_found');
  ok(await upload(biel, bielCaseId, PNG, { category: 'other', title: 'biel' }), 201);
  assert.equal(sql(DB_OWNER, `select count(*) from audit_read where action = 'document_downloaded' and object_id = '${d.id}' and tenant_id = ${bielId}`), '0');
});

for (const table of ['document', 'document_blob', 'document_upload_piece', 'dossier_key']) {
  test(`RLS on ${table}: nothing without the tenant setting, only own rows with it`, async () => {
    ok(await upload(cw, caseId, PDF, { category: 'other', title: 'rls' }), 201);
    ok(await upload(biel, bielCaseId, PDF, { category: 'other', title: 'rls' }), 201);
    assert.equal(sql(DB_APP, `select count(*) from ${table}`), '0', 'no setting, no rows');
    for (const id of [thunId, bielId]) {
      const out = sql(DB_APP, [`select set_config('kasus.tenant_id', '${id}', false)`,
        `select count(*) || '/' || count(*) filter (where tenant_id <> ${id}) from ${table}`]).split('\n').pop();
      const [all, foreign] = out.split('/').map(Number);
      const expected = Number(sql(DB_OWNER, `select count(*) from ${table} where tenant_id = ${id}`));
      if (table !== 'document_upload_piece') assert.ok(expected > 0, `${table} has rows of tenant ${id}`);
      assert.equal(foreign, 0);
      assert.equal(all, expected);
    }
    const ins = {
      document: `insert into document (tenant_id, dossier_id, category, title, mime, size, sha256, uploaded_by) values (${bielId}, ${bielCaseId}, 'other', 'x', 'application/pdf', 1, 'x', 1)`,
      document_blob: `insert into document_blob (tenant_id, document_id, content) values (${bielId}, 1, '\\x00')`,
      document_upload_piece: `insert into document_upload_piece (tenant_id, upload_id, seq, data) values (${bielId}, 'x', 0, '\\x00')`,
      dossier_key: `insert into dossier_key (tenant_id, dossier_id, key_id) values (${bielId}, ${bielCaseId}, '\\x00112233445566778899aabbccddeeff')`,
    }[table];
    const e = sqlError(DB_APP, [`select set_config('kasus.tenant_id', '${thunId}', false)`, ins]);
    assert.match(e, /row-level security/i, e);
  });
}
