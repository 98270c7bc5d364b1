// Persons and households: registration with the AHV number sealed and
// searchable by keyed hash, duplicate checks with an audited override,
// search, ETags, households over time, permissions, tenant isolation
// (API and row-level security), and the AHV number kept out of the
// database in clear, the access log, errors and audit digests.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { call, ok, err, as, sql, sqlError, DB_APP, DB_OWNER, tenantId, listAll, sleep, BASE } from './lib.mjs';

const P = '/api/v1/persons';
const H = '/api/v1/households';
let cw; let biel; let thunId; let bielId;

before(async () => {
  cw = await as('thun', 'caseworker');
  biel = await as('biel', 'caseworker');
  thunId = tenantId('thun');
  bielId = tenantId('biel');
});

/** A valid AHV number (756, 9 random digits, EAN-13 check digit). */
function ahvNumber() {
  let d = '756';
  for (let i = 0; i < 9; i++) d += Math.floor(Math.random() * 10);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(d[i]) * (i % 2 === 0 ? 1 : 3);
  return d + ((10 - (sum % 10)) % 10);
}
const fmt = (a) => `${a.slice(0, 3)}.${a.slice(3, 7)}.${a.slice(7, 11)}.${a.slice(11)}`;

/** A last name unlike any other: letters only, so trigrams differ. */
function surname() {
  const abc = 'bcdfghjklmnpqrstvwxz';
  let s = '';
  for (let i = 0; i < 10; i++) s += abc[Math.floor(Math.random() * abc.length)];
  return s[0].toUpperCase() + s.slice(1);
}

function randomDate() {
  const y = 1940 + Math.floor(Math.random() * 60);
  const m = 1 + Math.floor(Math.random() * 12);
  const d = 1 + Math.floor(Math.random() * 28);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

async function mkPerson(session = cw, extra = {}) {
  const body = { last_name: surname(), first_name: 'Anna', birth_date: randomDate(), ...extra };
  const res = ok(await call('POST', P, { session, body }), 201);
  return res.json;
}

// Changes are in audit_event, reads in audit_read.
function auditCount(action, oid) {
  return Number(sql(DB_OWNER, `select (select count(*) from audit_event where action = '${action}' and object_id = '${oid}')
    + (select count(*) from audit_read where action = '${action}' and object_id = '${oid}')`));
}

// ------------------------------------------------------------ registration

test('register a person: 201, ETag, Location, AHV formatted, IBAN normalised', async () => {
  const ahv = ahvNumber();
  const body = {
    last_name: surname(), first_name: 'Hans', birth_date: '1980-05-01', sex: 'm',
    ahv: fmt(ahv), nationality: 'CH', permit: 'C', street: 'Bahnhofstrasse', house_no: '12a',
    postcode: '3600', town: 'Thun', country: 'CH', phone: '+41 33 000 00 00',
    email: 'hans@example.ch', language: 'de', iban: 'CH93 0076 2011 6238 5295 7',
  };
  const res = ok(await call('POST', P, { session: cw, body }), 201);
  const p = res.json;
  assert.equal(res.headers.get('etag'), '"1"');
  assert.equal(res.headers.get('location'), `${P}/${p.id}`);
  assert.equal(p.ahv, fmt(ahv));
  assert.equal(p.has_ahv, true);
  assert.equal(p.iban, 'CH9300762011623852957');
  for (const k of ['last_name', 'first_name', 'birth_date', 'sex', 'nationality', 'permit', 'street', 'house_no', 'postcode', 'town', 'country', 'phone', 'email', 'language'])
    assert.equal(p[k], body[k], k);
  assert.equal(auditCount('person_created', p.id), 1);
  // defaults
  const q = await mkPerson();
  assert.equal(q.country, 'CH');
  assert.equal(q.language, 'de');
  assert.equal(q.ahv, null);
  assert.equal(q.has_ahv, false);
});

test('the AHV number is never stored, logged, audited or echoed in clear', async () => {
  const ahv = ahvNumber();
  const p = (await call('POST', P, { session: cw, body: { last_name: surname(), first_name: 'Eva', birth_date: '1975-02-03', ahv } })).json;
  ok(await call('GET', `${P}/${p.id}`, { session: cw }), 200);
  ok(await call('GET', `${P}?ahv=${ahv}`, { session: cw }), 200);
  ok(await call('GET', `${P}?ahv=${encodeURIComponent(fmt(ahv))}`, { session: cw }), 200);
  const dup = err(await call('POST', P, { session: cw, body: { last_name: surname(), first_name: 'X', birth_date: '1990-01-01', ahv } }), 409, 'duplicate_person');
  assert.ok(!JSON.stringify(dup).includes(ahv.slice(3)), 'not in the error');
  // the row: ciphertext without the digits, a keyed hash that is not a plain hash
  const row = sql(DB_OWNER, `select position(convert_to('${ahv}', 'UTF8') in ahv_enc) || '|' || position(convert_to('${ahv.slice(3)}', 'UTF8') in ahv_enc) || '|' || length(ahv_enc) || '|' || ahv_hash || '|' || p::text from person p where id = ${p.id}`);
  const [pos1, pos2, len, hash] = row.split('|');
  assert.equal(pos1, '0');
  assert.equal(pos2, '0');
  assert.equal(Number(len), 13 + 28, 'nonce | ciphertext | tag');
  assert.match(hash, /^[0-9a-f]{64}$/);
  const { createHash } = await import('node:crypto');
  assert.notEqual(hash, createHash('sha256').update(ahv).digest('hex'), 'not an unkeyed hash');
  assert.ok(!row.includes(ahv) && !row.includes(fmt(ahv)) && !row.includes(ahv.slice(3)), 'no digits in the row text');
  // the tenant's key is stored wrapped (60 bytes: nonce, key, tag)
  assert.equal(sql(DB_OWNER, `select length(wrapped_key) || '/' || length(hash_key) from tenant_key where tenant_id = ${thunId}`), '60/60');
  // audit: details and digests never hold the number
  const audit = sql(DB_OWNER, `select string_agg(coalesce(detail::text, '') || before_digest || after_digest, ' ') from audit_event where object_id = '${p.id}'`);
  assert.ok(!audit.includes(ahv.slice(3)), 'audit holds no AHV digits');
  // access log
  const log = 'var/test/kasusd.log';
  if (fs.existsSync(log)) {
    const text = fs.readFileSync(log, 'utf8');
    assert.ok(!text.includes(ahv.slice(3)) && !text.includes(fmt(ahv).slice(4)), 'the log holds no AHV number');
  }
});

test('reading a person with an AHV number is audited (person_read); without one it is not', async () => {
  const a = await mkPerson(cw, { ahv: ahvNumber() });
  const b = await mkPerson();
  const before = auditCount('person_read', a.id);
  ok(await call('GET', `${P}/${a.id}`, { session: cw }), 200);
  ok(await call('GET', `${P}/${a.id}`, { session: await as('thun', 'auditor') }), 200);
  assert.equal(auditCount('person_read', a.id), before + 2);
  ok(await call('GET', `${P}/${b.id}`, { session: cw }), 200);
  assert.equal(auditCount('person_read', b.id), 0);
  // lists never show the number (their reads are recorded, not as person_read)
  const l = ok(await call('GET', `${P}?q=${encodeURIComponent(a.last_name)}`, { session: cw }), 200);
  assert.equal(l.json.items.length, 1);
  assert.equal(l.json.items[0].has_ahv, true);
  assert.equal(l.json.items[0].ahv, undefined);
});

test('invalid AHV numbers: 400 invalid_ahv, the number not echoed', async () => {
  const good = ahvNumber();
  const wrongCheck = good.slice(0, 12) + ((Number(good[12]) + 1) % 10);
  for (const ahv of [wrongCheck, '7551234567890', '756123456789', '756.1234.5678.9x', 'abcdefghijklm']) {
    const res = await call('POST', P, { session: cw, body: { last_name: surname(), first_name: 'A', birth_date: '1990-01-01', ahv } });
    const e = err(res, 400, ahv.length < 13 ? ['invalid_length', 'invalid_ahv'] : 'invalid_ahv');
    assert.ok(!res.text.includes(ahv), `not echoed: ${res.text}`);
    assert.equal(e.detail.field, 'ahv');
  }
  err(await call('GET', `${P}?ahv=${wrongCheck}`, { session: cw }), 400, 'invalid_ahv');
});

test('same AHV number: 409 duplicate_person naming the person, in any notation', async () => {
  const ahv = ahvNumber();
  const a = await mkPerson(cw, { ahv });
  const e = err(await call('POST', P, { session: cw, body: { last_name: surname(), first_name: 'Other', birth_date: '1961-01-01', ahv: fmt(ahv), override_duplicate: true } }), 409, 'duplicate_person');
  assert.equal(e.detail.person_id, a.id);
  // another tenant may register the same person (its own key and hash)
  ok(await call('POST', P, { session: biel, body: { last_name: a.last_name, first_name: a.first_name, birth_date: a.birth_date, ahv } }), 201);
});

test('similar name and same birth date: 409 possible_duplicate with candidates; audited override', async () => {
  const a = await mkPerson(cw, { first_name: 'Johannes', birth_date: '1970-07-07' });
  const body = { last_name: a.last_name, first_name: 'Johanes', birth_date: '1970-07-07' };
  const e = err(await call('POST', P, { session: cw, body }), 409, 'possible_duplicate');
  assert.ok(Array.isArray(e.detail.candidates));
  const c = e.detail.candidates.find((x) => x.id === a.id);
  assert.ok(c, JSON.stringify(e.detail));
  assert.equal(c.birth_date, '1970-07-07');
  assert.match(c.name, new RegExp(a.last_name));
  // another birth date is no duplicate
  const other = ok(await call('POST', P, { session: cw, body: { ...body, birth_date: '1970-07-08' } }), 201).json;
  assert.ok(other.id);
  // reception may register persons but not override the check
  const rec = await as('thun', 'reception');
  const f = err(await call('POST', P, { session: rec, body: { ...body, override_duplicate: true } }), 403, 'forbidden');
  assert.equal(f.detail.permission, 'person.override_duplicate');
  // override: created, audited with the candidates
  const res = ok(await call('POST', P, { session: cw, body: { ...body, override_duplicate: true } }), 201);
  const detail = JSON.parse(sql(DB_OWNER, `select detail::text from audit_event where action = 'person_duplicate_override' and object_id = '${res.json.id}'`));
  assert.ok(detail.candidates.includes(a.id), JSON.stringify(detail));
  // override_duplicate: false is the same as leaving it out
  err(await call('POST', P, { session: cw, body: { ...body, override_duplicate: false } }), 409, 'possible_duplicate');
  // a clearly different name on the same day is no duplicate
  ok(await call('POST', P, { session: cw, body: { last_name: surname(), first_name: 'Zoe', birth_date: '1970-07-07' } }), 201);
});

test('IBAN: mod-97 checked, QR-IBAN refused with a clear message', async () => {
  const base = { last_name: surname(), first_name: 'I', birth_date: '1988-08-08' };
  let e = err(await call('POST', P, { session: cw, body: { ...base, iban: 'CH93 0076 2011 6238 5295 8' } }), 400, 'invalid_iban');
  assert.equal(e.detail.field, 'iban');
  e = err(await call('POST', P, { session: cw, body: { ...base, iban: 'CH44 3199 9123 0008 8901 2' } }), 400, 'qr_iban_not_allowed');
  assert.match(e.message, /QR-IBAN/);
  const p = ok(await call('POST', P, { session: cw, body: { ...base, iban: 'de89 3704 0044 0532 0130 00' } }), 201).json;
  assert.equal(p.iban, 'DE89370400440532013000');
});

test('bad input: types, missing and unknown fields, malformed JSON, oversize, rules', async () => {
  const base = { last_name: surname(), first_name: 'B', birth_date: '1990-01-01' };
  err(await call('POST', P, { session: cw, body: { ...base, last_name: 5 } }), 400, 'invalid_type');
  err(await call('POST', P, { session: cw, body: { ...base, override_duplicate: 'yes' } }), 400, 'invalid_type');
  err(await call('POST', P, { session: cw, body: { first_name: 'B', birth_date: '1990-01-01' } }), 400, 'missing_field');
  err(await call('POST', P, { session: cw, body: { ...base, ahv_hash: 'x' } }), 400, 'unknown_field');
  err(await call('POST', P, { session: cw, raw: '{"last_name": "A",', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('POST', P, { session: cw, raw: '[1]', headers: { 'content-type': 'application/json' } }), 400, 'invalid_body');
  err(await call('POST', P, { session: cw, body: { ...base, street: 'x'.repeat(40000) } }), 413, 'body_too_large');
  err(await call('POST', P, { session: cw, body: { ...base, last_name: 'x'.repeat(101) } }), 400, 'invalid_length');
  err(await call('POST', P, { session: cw, body: { ...base, last_name: '   ' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: cw, body: { ...base, birth_date: '1990-02-30' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: cw, body: { ...base, birth_date: '2999-01-01' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: cw, body: { ...base, sex: 'q' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: cw, body: { ...base, nationality: 'ch' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: cw, body: { ...base, postcode: '36000' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: cw, body: { ...base, email: 'nobody' } }), 400, 'invalid_value');
  err(await call('POST', P, { session: cw, body: { ...base, language: 'it' } }), 400, 'invalid_value');
  // a foreign postcode is free text
  ok(await call('POST', P, { session: cw, body: { ...base, country: 'DE', postcode: '79539', town: 'Lörrach' } }), 201);
  // query parameters are checked like a body
  err(await call('GET', `${P}?birth_date=1990-13-01`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `${P}?limit=0`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `${P}?after=x`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `${P}?q=${'a'.repeat(101)}`, { session: cw }), 400, 'invalid_parameter');
  err(await call('GET', `${P}/abc`, { session: cw }), 404, 'not_found');
  err(await call('GET', `${P}/999999999`, { session: cw }), 404, 'not_found');
});

test('permissions: accounting and auditor read but cannot write; no role, no read', async () => {
  const p = await mkPerson();
  for (const u of ['accounting', 'auditor', 'legal']) {
    const s = await as('thun', u);
    ok(await call('GET', `${P}/${p.id}`, { session: s }), 200);
    err(await call('POST', P, { session: s, body: { last_name: surname(), first_name: 'A', birth_date: '1990-01-01' } }), 403, 'forbidden');
    err(await call('PATCH', `${P}/${p.id}`, { session: s, body: { town: 'Bern' }, headers: { 'if-match': '*' } }), 403, 'forbidden');
    err(await call('POST', H, { session: s, body: { name: 'x' } }), 403, 'forbidden');
  }
  const admin = await as('thun', 'admin');
  err(await call('GET', `${P}/${p.id}`, { session: admin }), 403, 'forbidden');
  err(await call('GET', P, { session: admin }), 403, 'forbidden');
  err(await call('GET', `${P}/${p.id}`), 401);
  // CSRF applies
  err(await call('POST', P, { session: cw, csrf: false, body: { last_name: surname(), first_name: 'A', birth_date: '1990-01-01' } }), 403, 'csrf_failed');
});

// ----------------------------------------------------------------- search

test('search: name prefix, "last first", birth date, AHV; name order; cursor pages', async () => {
  const stem = surname();
  const names = [[`${stem}a`, 'Beat'], [`${stem}a`, 'Anna'], [`${stem}b`, 'Carl'], [`${stem}c`, 'Dora'], [`${stem}aa`, 'Emil']];
  const ids = {};
  const ahv = ahvNumber();
  for (const [l, f] of names) {
    const body = { last_name: l, first_name: f, birth_date: f === 'Carl' ? '1966-06-06' : randomDate() };
    if (f === 'Dora') body.ahv = ahv;
    ids[f] = ok(await call('POST', P, { session: cw, body }), 201).json.id;
  }
  const all = await listAll(`${P}?q=${encodeURIComponent(stem.toLowerCase())}`, cw, 2);
  assert.deepEqual(all.map((x) => x.first_name), ['Anna', 'Beat', 'Emil', 'Carl', 'Dora'], 'last, first, id order');
  const upper = ok(await call('GET', `${P}?q=${encodeURIComponent(stem.toUpperCase())}A`, { session: cw }), 200);
  assert.deepEqual(upper.json.items.map((x) => x.first_name), ['Anna', 'Beat', 'Emil'], 'case-insensitive');
  const two = ok(await call('GET', `${P}?q=${encodeURIComponent(`${stem}a b`)}`, { session: cw }), 200);
  assert.deepEqual(two.json.items.map((x) => x.first_name), ['Beat']);
  const bd = ok(await call('GET', `${P}?q=${stem}&birth_date=1966-06-06`, { session: cw }), 200);
  assert.deepEqual(bd.json.items.map((x) => x.id), [ids.Carl]);
  const byAhv = ok(await call('GET', `${P}?ahv=${encodeURIComponent(fmt(ahv))}`, { session: cw }), 200);
  assert.deepEqual(byAhv.json.items.map((x) => x.id), [ids.Dora]);
  assert.equal(byAhv.json.next, null);
  const none = ok(await call('GET', `${P}?ahv=${ahvNumber()}`, { session: cw }), 200);
  assert.deepEqual(none.json.items, []);
  // wildcards are text, not patterns
  const pct = ok(await call('GET', `${P}?q=${encodeURIComponent('%')}`, { session: cw }), 200);
  assert.deepEqual(pct.json.items, []);
  const us = ok(await call('GET', `${P}?q=${encodeURIComponent(`${stem}_`)}`, { session: cw }), 200);
  assert.deepEqual(us.json.items, []);
  // another tenant finds none of them, by name or by number
  const b1 = ok(await call('GET', `${P}?q=${stem}`, { session: biel }), 200);
  assert.deepEqual(b1.json.items, []);
  const b2 = ok(await call('GET', `${P}?ahv=${ahv}`, { session: biel }), 200);
  assert.deepEqual(b2.json.items, []);
});

test('the name search is an index range scan under row-level security', () => {
  const plan = sql(DB_APP, [
    `select set_config('kasus.tenant_id', '${thunId}', false)`,
    'set enable_seqscan = off',
    `explain select id from person where tenant_id = kasus_tenant() and last_key ~>=~ lower('mü') and last_key ~<~ (lower('mü') || chr(1114111)) order by last_key using ~<~, first_key using ~<~, id limit 50`,
  ]);
  assert.match(plan, /Index (Only )?Scan using person_key_prefix/, plan);
  assert.match(plan, /Index Cond: .*last_key ~>=~/, plan);
});

// ------------------------------------------------------------------ change

test('PATCH: If-Match required, stale 409 with current, AHV change re-checked, null clears', async () => {
  const taken = ahvNumber();
  await mkPerson(cw, { ahv: taken });
  const p = await mkPerson(cw, { town: 'Thun', postcode: '3600' });
  const U = `${P}/${p.id}`;
  err(await call('PATCH', U, { session: cw, body: { town: 'Bern' } }), 428, 'precondition_required');
  const stale = err(await call('PATCH', U, { session: cw, body: { town: 'Bern' }, headers: { 'if-match': '"7"' } }), 409, 'conflict');
  assert.equal(stale.detail.current.id, p.id);
  err(await call('PATCH', U, { session: cw, body: { ahv: taken }, headers: { 'if-match': '"1"' } }), 409, 'duplicate_person');
  err(await call('PATCH', U, { session: cw, body: { override_duplicate: true }, headers: { 'if-match': '"1"' } }), 400, 'unknown_field');
  err(await call('PATCH', U, { session: cw, body: { iban: 'CH44 3199 9123 0008 8901 2' }, headers: { 'if-match': '"1"' } }), 400, 'qr_iban_not_allowed');
  const mine = ahvNumber();
  const r = ok(await call('PATCH', U, { session: cw, body: { ahv: mine, town: 'Steffisburg', postcode: '3612' }, headers: { 'if-match': '"1"' } }), 200);
  assert.equal(r.headers.get('etag'), '"2"');
  assert.equal(r.json.ahv, fmt(mine));
  assert.equal(r.json.town, 'Steffisburg');
  assert.equal(r.json.last_name, p.last_name, 'untouched fields stay');
  const d = JSON.parse(sql(DB_OWNER, `select detail::text from audit_event where action = 'person_changed' and object_id = '${p.id}' order by seq desc limit 1`));
  assert.equal(d.ahv_changed, true);
  // the same number again is no change and no duplicate of itself
  ok(await call('PATCH', U, { session: cw, body: { ahv: fmt(mine) }, headers: { 'if-match': '"2"' } }), 200);
  const c = ok(await call('PATCH', U, { session: cw, body: { ahv: null, town: null, postcode: null }, headers: { 'if-match': '"3"' } }), 200);
  assert.equal(c.json.ahv, null);
  assert.equal(c.json.has_ahv, false);
  assert.equal(c.json.town, null);
  assert.equal(sql(DB_OWNER, `select (ahv_enc is null and ahv_hash is null)::text from person where id = ${p.id}`), 'true');
  // required fields cannot be cleared
  const k = ok(await call('PATCH', U, { session: cw, body: { last_name: null }, headers: { 'if-match': '"4"' } }), 200);
  assert.equal(k.json.last_name, p.last_name);
});

// ----------------------------------------------------------------- tenants

test('another tenant\'s persons and households answer 404 on every route', async () => {
  const p = await mkPerson();
  const h = ok(await call('POST', H, { session: cw, body: { name: 'HH', members: [{ person_id: p.id, role: 'applicant', valid_from: '2025-01-01' }] } }), 201).json;
  err(await call('GET', `${P}/${p.id}`, { session: biel }), 404, 'not_found');
  err(await call('PATCH', `${P}/${p.id}`, { session: biel, body: { town: 'x' }, headers: { 'if-match': '*' } }), 404, 'not_found');
  err(await call('GET', `${P}/${p.id}/households`, { session: biel }), 404, 'not_found');
  err(await call('GET', `${H}/${h.id}`, { session: biel }), 404, 'not_found');
  err(await call('POST', `${H}/${h.id}/members`, { session: biel, body: { person_id: p.id, role: 'child', valid_from: '2025-01-01' } }), 404, 'not_found');
  err(await call('PATCH', `${H}/${h.id}/members/${h.members[0].id}`, { session: biel, body: { valid_to: '2025-02-01' }, headers: { 'if-match': '*' } }), 404, 'not_found');
  // a foreign person cannot be made a member of one's own household
  const e = err(await call('POST', H, { session: biel, body: { name: 'B', members: [{ person_id: p.id, role: 'applicant', valid_from: '2025-01-01' }] } }), 400, 'invalid_reference');
  assert.equal(e.detail.field, 'person_id');
  assert.equal(sql(DB_OWNER, `select count(*) from household_member where person_id = ${p.id}`), '1');
});

for (const table of ['person', 'household', 'household_member', 'tenant_key']) {
  test(`RLS on ${table}: nothing without the tenant setting, only own rows with it`, async () => {
    await mkPerson(biel, { ahv: ahvNumber() });
    const bp = await mkPerson(biel);
    ok(await call('POST', H, { session: biel, body: { name: 'B', members: [{ person_id: bp.id, role: 'applicant', valid_from: '2025-01-01' }] } }), 201);
    assert.equal(sql(DB_APP, `select count(*) from ${table}`), '0', 'no setting, no rows');
    for (const id of [thunId, bielId]) {
      const out = sql(DB_APP, [`select set_config('kasus.tenant_id', '${id}', false)`,
        `select count(*) || '/' || count(*) filter (where tenant_id <> ${id}) from ${table}`]).split('\n').pop();
      const [all, foreign] = out.split('/').map(Number);
      const expected = Number(sql(DB_OWNER, `select count(*) from ${table} where tenant_id = ${id}`));
      assert.ok(expected > 0, `${table} has rows of tenant ${id}`);
      assert.equal(foreign, 0);
      assert.equal(all, expected);
    }
    const foreignRow = {
      person: `insert into person (tenant_id, last_name, first_name, birth_date) values (${bielId}, 'x', 'y', '2000-01-01')`,
      household: `insert into household (tenant_id, name) values (${bielId}, 'x')`,
      household_member: `insert into household_member (tenant_id, household_id, person_id, role, valid_from) values (${bielId}, 1, 1, 'child', '2020-01-01')`,
      tenant_key: `insert into tenant_key (tenant_id, wrapped_key, hash_key) values (${bielId}, '\\x00', '\\x00')`,
    }[table];
    const e = sqlError(DB_APP, [`select set_config('kasus.tenant_id', '${thunId}', false)`, foreignRow]);
    assert.match(e, /row-level security/i, e);
    const upd = sql(DB_APP, [`select set_config('kasus.tenant_id', '${thunId}', false)`,
      `with u as (update ${table} set tenant_id = tenant_id where tenant_id = ${bielId} returning 1) select count(*) from u`]).split('\n').pop();
    assert.equal(upd, '0', 'no update reaches another tenant');
  });
}

// -------------------------------------------------------------- households

test('household: members with periods, ?on= date, roles, overlaps refused', async () => {
  const [a, b, c, d] = [await mkPerson(), await mkPerson(), await mkPerson(), await mkPerson()];
  const res = ok(await call('POST', H, { session: cw, body: {
    name: 'Familie', flat_extra_persons: 1, members: [
      { person_id: a.id, role: 'applicant', valid_from: '2025-01-01' },
      { person_id: b.id, role: 'partner', valid_from: '2025-01-01', valid_to: '2025-07-01' },
      { person_id: c.id, role: 'child', valid_from: '2025-03-01' },
    ] } }), 201);
  const h = res.json;
  assert.equal(res.headers.get('etag'), '"1"');
  assert.equal(h.flat_extra_persons, 1);
  assert.equal(h.members.length, 3);
  const on = async (date) => ok(await call('GET', `${H}/${h.id}?on=${date}`, { session: cw }), 200).json.members.map((m) => m.person_id).sort();
  assert.deepEqual(await on('2025-02-01'), [a.id, b.id].sort());
  assert.deepEqual(await on('2025-06-30'), [a.id, b.id, c.id].sort());
  assert.deepEqual(await on('2025-07-01'), [a.id, c.id].sort(), 'valid_to is exclusive');
  err(await call('GET', `${H}/${h.id}?on=2025-02-30`, { session: cw }), 400, 'invalid_parameter');
  // a second applicant at the same time: refused; a partner after the first left: fine
  let e = err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'applicant', valid_from: '2025-05-01' } }), 409, 'role_taken');
  assert.match(e.message, /applicant/);
  e = err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'partner', valid_from: '2025-06-01' } }), 409, 'role_taken');
  assert.match(e.message, /partner/);
  const added = ok(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'partner', valid_from: '2025-07-01' } }), 201);
  assert.equal(added.headers.get('etag'), '"2"', 'member changes bump the household version');
  // the same person cannot be in two households at overlapping times
  e = err(await call('POST', H, { session: cw, body: { name: 'Other', members: [{ person_id: c.id, role: 'applicant', valid_from: '2024-01-01', valid_to: '2025-03-02' }] } }), 409, 'membership_overlap');
  assert.equal(e.detail.household_id, h.id);
  assert.match(e.message, /household/);
  assert.equal(sql(DB_OWNER, `select count(*) from household where name = 'Other' and tenant_id = ${thunId}`), '0', 'nothing kept of a refused household');
  // bad members
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'boss', valid_from: '2026-01-01' } }), 400, 'invalid_value');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'child', valid_from: '2026-01-01', valid_to: '2026-01-01' } }), 400, 'invalid_period');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: 'x', role: 'child', valid_from: '2026-01-01' } }), 400, 'invalid_type');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'child' } }), 400, 'missing_field');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'child', valid_from: '2026-01-01', extra: 1 } }), 400, 'unknown_field');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: 999999999, role: 'child', valid_from: '2026-01-01' } }), 400, 'invalid_reference');
  err(await call('POST', H, { session: cw, body: { name: 'x', members: [1] } }), 400, 'invalid_type');
  err(await call('POST', H, { session: cw, body: { name: 'x', members: [{ person_id: d.id }] } }), 400, 'missing_field');
  err(await call('POST', H, { session: cw, body: { name: 'x', flat_extra_persons: 21 } }), 400, 'out_of_range');
  err(await call('POST', H, { session: cw, body: { name: 'x', members: {} } }), 400, 'invalid_type');
  err(await call('POST', H, { session: cw, raw: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  err(await call('GET', `${H}/999999999`, { session: cw }), 404, 'not_found');
});

test('ending a membership: If-Match on the household, overlap rules, history per person', async () => {
  const [a, b] = [await mkPerson(), await mkPerson()];
  const h1 = ok(await call('POST', H, { session: cw, body: { name: 'H1', members: [
    { person_id: a.id, role: 'applicant', valid_from: '2024-01-01' },
    { person_id: b.id, role: 'partner', valid_from: '2024-01-01' }] } }), 201).json;
  const mb = h1.members.find((m) => m.person_id === b.id);
  const M = `${H}/${h1.id}/members/${mb.id}`;
  err(await call('PATCH', M, { session: cw, body: { valid_to: '2025-01-01' } }), 428, 'precondition_required');
  const st = err(await call('PATCH', M, { session: cw, body: { valid_to: '2025-01-01' }, headers: { 'if-match': '"9"' } }), 409, 'conflict');
  assert.equal(st.detail.current.id, h1.id);
  err(await call('PATCH', M, { session: cw, body: { valid_to: '2023-12-01' }, headers: { 'if-match': '"1"' } }), 400, 'invalid_period');
  err(await call('PATCH', M, { session: cw, body: {}, headers: { 'if-match': '"1"' } }), 400, ['missing_field', 'missing_body']);
  err(await call('PATCH', `${H}/${h1.id}/members/999999999`, { session: cw, body: { valid_to: '2025-01-01' }, headers: { 'if-match': '"1"' } }), 404, 'not_found');
  const r = ok(await call('PATCH', M, { session: cw, body: { valid_to: '2025-01-01' }, headers: { 'if-match': '"1"' } }), 200);
  assert.equal(r.headers.get('etag'), '"2"');
  assert.equal(r.json.members.find((m) => m.id === mb.id).valid_to, '2025-01-01');
  // b moves to a household of their own from that day
  const h2 = ok(await call('POST', H, { session: cw, body: { name: 'H2', members: [{ person_id: b.id, role: 'applicant', valid_from: '2025-01-01' }] } }), 201).json;
  // reopening b's first membership would overlap the second
  err(await call('PATCH', M, { session: cw, body: { valid_to: '2025-06-01' }, headers: { 'if-match': '"2"' } }), 409, 'membership_overlap');
  const hist = ok(await call('GET', `${P}/${b.id}/households`, { session: cw }), 200).json.items;
  assert.deepEqual(hist.map((x) => [x.household_id, x.role, x.valid_from, x.valid_to]),
    [[h1.id, 'partner', '2024-01-01', '2025-01-01'], [h2.id, 'applicant', '2025-01-01', null]]);
  assert.equal(auditCount('household_member_ended', h1.id), 1);
  assert.equal(auditCount('household_created', h2.id), 1);
});

// ------------------------------------------------------- no master key

test('without a master key, person routes answer 503 encryption_unavailable', async () => {
  const port = Number(new URL(BASE).port) + 17;
  const env = { ...process.env, KASUS_PORT: String(port), KASUS_MASTER_KEY: 'not-a-key', KASUS_WORKERS: '1', KASUS_PIDFILE: `${process.cwd()}/var/test/kasusd-nokey.pid` };
  const child = spawn('build/asan/kasusd', ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  try {
    const url = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      try { up = (await fetch(`${url}/healthz`)).status === 200; } catch { await sleep(100); }
    }
    assert.ok(up, `second server up: ${log.slice(-500)}`);
    const login = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'thun', username: 'caseworker', password: 'kasus-demo' }) });
    const cookie = /ks_session=([^;]+)/.exec(login.headers.get('set-cookie'))[1];
    const { csrf_token: csrf } = await login.json();
    const h = { cookie: `ks_session=${cookie}`, 'x-csrf-token': csrf, 'content-type': 'application/json' };
    for (const [m, p, body] of [['GET', P], ['GET', `${P}/1`], ['POST', P, { last_name: 'A', first_name: 'B', birth_date: '1990-01-01' }]]) {
      const res = await fetch(url + p, { method: m, headers: h, body: body ? JSON.stringify(body) : undefined });
      const j = await res.json();
      assert.equal(res.status, 503, `${m} ${p}: ${JSON.stringify(j)}`);
      assert.equal(j.error.code, 'encryption_unavailable');
    }
    assert.match(log, /master_key/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

