// Persons and households: registration with the AHV number sealed and
// searchable by keyed hash, duplicate checks with an audited override,
// search, ETags, households over time, permissions, tenant isolation
// (API and row-level security), and the AHV number kept out of the
// database in clear, the access log, errors and audit digests.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { call, ok, err, as, sql, sqlError, DB_APP, DB_OWNER, tenantId, listAll, sleep, BASE, ahvNumber, surname } from './lib.mjs';

const P = '/api/v1/persons';
const H = '/api/v1/households';
let cw; let biel; let thunId; let bielId;

before(async () => {
  cw = await as('thun', 'caseworker');
  biel = await as('biel', 'caseworker');
  thunId = tenantId('thun');
  bielId = tenantId('biel');
});

const fmt = (a) => `${a.slice(0, 3)}.${a.slice(3, 7)}.${a.slice(7, 11)}.${a.slice(11)}`;

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
  assert.equal(Number(len), 4 + 16 + 13 + 28, 'KSV2 | key id | nonce | ciphertext | tag (core/lib/datakey.h)');
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

test('search by first name alone, in either order, and in any spelling of umlauts and accents', async () => {
  const stem = surname();
  const first = `Zy${surname().toLowerCase()}`;
  const ids = {};
  for (const [l, f] of [[`${stem}müller`, 'Jürg'], [`${stem}mueller`, 'Jürg'], [`${stem}muller`, 'Jurg'], [`${stem}Möri`, 'Zoé'], [`${stem}Bärtschi`, first]])
    ids[`${l} ${f}`] = ok(await call('POST', P, { session: cw, body: { last_name: l, first_name: f, birth_date: randomDate() } }), 201).json.id;
  const find = async (q) => ok(await call('GET', `${P}?q=${encodeURIComponent(q)}`, { session: cw }), 200).json.items.map((x) => `${x.last_name} ${x.first_name}`);
  const mullers = [`${stem}müller Jürg`, `${stem}mueller Jürg`, `${stem}muller Jurg`];
  for (const q of [`${stem}Müller`, `${stem}Mueller`, `${stem}Muller`, `${stem}MÜLL`, `${stem}mü`])
    assert.deepEqual((await find(q)).sort(), [...mullers].sort(), `${q} finds every spelling`);
  assert.deepEqual(await find(`${stem}moeri zoe`), [`${stem}Möri Zoé`], 'é/e and ö/oe');
  assert.deepEqual(await find(`${stem}mori Zoé`), [`${stem}Möri Zoé`]);
  // the first name alone, and "first last" as well as "last first"
  assert.deepEqual(await find(first), [`${stem}Bärtschi ${first}`]);
  assert.deepEqual(await find(first.slice(0, 6)), [`${stem}Bärtschi ${first}`]);
  assert.deepEqual(await find(`${first} ${stem}baertschi`), [`${stem}Bärtschi ${first}`]);
  assert.deepEqual(await find(`${stem}bartschi ${first.slice(0, 4)}`), [`${stem}Bärtschi ${first}`]);
  // pages through both orders without repeating or losing anyone
  const all = await listAll(`${P}?q=${encodeURIComponent(`${stem}m`)}`, cw, 2);
  assert.deepEqual(all.map((x) => x.last_name), [`${stem}Möri`, `${stem}müller`, `${stem}mueller`, `${stem}muller`],
    'in name key order (mori, muller), then registration order');
});

test('the name search is two index range scans under row-level security', () => {
  // The statement as kasusd prepares it, with the generic plan a prepared
  // statement ends up with: each name order a range of its own index.
  const src = fs.readFileSync('core/sql/queries/person.sql', 'utf8');
  const q = /-- name: person_search\n([\s\S]*?)\n\n/.exec(src)[1];
  // The planner's choice follows the statistics: taken now, not whenever
  // autovacuum last analysed the table (with a handful of rows counted,
  // any index on tenant_id looked as cheap, and person_birth won once).
  sql(DB_OWNER, 'analyze person');
  const plan = sql(DB_APP, [
    `select set_config('kasus.tenant_id', '${thunId}', false)`,
    'set enable_seqscan = off',
    'set plan_cache_mode = force_generic_plan',
    `prepare s(text, text, date, bigint, bigint, boolean) as ${q}`,
    "explain execute s('mü', '', NULL, 0, 50, true)",
  ]);
  // Both orders bound an index scan by their name key (which of the two
  // indexes serves the first-name order is the planner's choice by the
  // statistics: a range of person_norm_first, or person_norm_last in name
  // order with the range checked in the index).
  assert.doesNotMatch(plan, /Seq Scan/, plan);
  for (const key of ['last_norm', 'first_norm']) {
    const scan = new RegExp(`Index (Only )?Scan (using|on) person_norm_(last|first).*\\n\\s*Index Cond: [^\\n]*\\(${key} ~>=~ `);
    assert.match(plan, scan, plan);
  }
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

test('edit: civil status and residence permit from their code lists, phone, e-mail, IBAN, nationality', async () => {
  const p = await mkPerson(cw, { civil_status: 'married', permit: 'B' });
  assert.equal(p.civil_status, 'married');
  const U = `${P}/${p.id}`;
  const body = { civil_status: 'separated', permit: 'C', phone: '+41 79 000 00 00', email: 'anna@example.ch', iban: 'CH56 0483 5012 3456 7800 9', nationality: 'IT' };
  const r = ok(await call('PATCH', U, { session: cw, body, headers: { 'if-match': '"1"' } }), 200);
  assert.deepEqual([r.json.civil_status, r.json.permit, r.json.phone, r.json.email, r.json.iban, r.json.nationality],
    ['separated', 'C', '+41 79 000 00 00', 'anna@example.ch', 'CH5604835012345678009', 'IT']);
  for (const [k, v] of [['civil_status', 'verheiratet'], ['civil_status', 'Married'], ['permit', 'X'], ['permit', 'b']]) {
    const e = err(await call('PATCH', U, { session: cw, body: { [k]: v }, headers: { 'if-match': '"2"' } }), 400, 'invalid_value');
    assert.equal(e.detail.field, k);
  }
  err(await call('POST', P, { session: cw, body: { last_name: surname(), first_name: 'A', birth_date: '1990-01-01', civil_status: 'complicated' } }), 400, 'invalid_value');
  // a stale version: 409 with the record as it is now
  const stale = err(await call('PATCH', U, { session: cw, body: { phone: '+41 31 000 00 00' }, headers: { 'if-match': '"1"' } }), 409, 'conflict');
  assert.equal(stale.detail.current.civil_status, 'separated');
  const c = ok(await call('PATCH', U, { session: cw, body: { civil_status: null, permit: null }, headers: { 'if-match': '"2"' } }), 200);
  assert.deepEqual([c.json.civil_status, c.json.permit], [null, null]);
});

test('addresses over time: a move on a day, the address on any day, corrections, never ahead', async () => {
  const p = await mkPerson(cw, { street: 'Bälliz', house_no: '1', postcode: '3600', town: 'Thun' });
  const U = `${P}/${p.id}`;
  const on = async (d) => ok(await call('GET', `${U}/address${d ? `?on=${d}` : ''}`, { session: cw }), 200).json.address;
  assert.equal((await on('1900-01-01')).town, 'Thun', 'the first address holds from no known day');
  // moved to Steffisburg on 1 March 2026
  const m = ok(await call('PATCH', U, { session: cw, headers: { 'if-match': '"1"' },
    body: { address_valid_from: '2026-03-01', street: 'Höheweg', house_no: '7', postcode: '3612', town: 'Steffisburg' } }), 200);
  assert.equal(m.json.town, 'Steffisburg', 'the current address');
  assert.deepEqual(m.json.addresses.map((a) => [a.valid_from, a.valid_to, a.town]),
    [['2026-03-01', null, 'Steffisburg'], [null, '2026-03-01', 'Thun']]);
  assert.equal((await on('2026-02-28')).town, 'Thun');
  const mar = await on('2026-03-01');
  assert.deepEqual([mar.street, mar.house_no, mar.postcode, mar.town, mar.valid_from], ['Höheweg', '7', '3612', 'Steffisburg', '2026-03-01']);
  assert.equal((await on()).town, 'Steffisburg', 'today');
  const d = JSON.parse(sql(DB_OWNER, `select detail::text from audit_event where action = 'person_changed' and object_id = '${p.id}' order by seq desc limit 1`));
  assert.equal(d.moved_on, '2026-03-01');
  // a move recorded late, before the current one: history only
  const late = ok(await call('PATCH', U, { session: cw, headers: { 'if-match': '"2"' },
    body: { address_valid_from: '2025-10-01', street: 'Frutigenstrasse', house_no: '2', postcode: '3600', town: 'Thun' } }), 200);
  assert.equal(late.json.town, 'Steffisburg');
  assert.deepEqual(late.json.addresses.map((a) => [a.valid_from, a.valid_to, a.street]),
    [['2026-03-01', null, 'Höheweg'], ['2025-10-01', '2026-03-01', 'Frutigenstrasse'], [null, '2025-10-01', 'Bälliz']]);
  // without a day: a correction of the address in force today
  const fix = ok(await call('PATCH', U, { session: cw, headers: { 'if-match': '"3"' }, body: { house_no: '7a' } }), 200);
  assert.equal(fix.json.house_no, '7a');
  assert.deepEqual(fix.json.addresses.map((a) => a.house_no), ['7a', '2', '1']);
  // the same day again corrects that move
  const again = ok(await call('PATCH', U, { session: cw, headers: { 'if-match': '"4"' },
    body: { address_valid_from: '2025-10-01', street: 'Frutigenstrasse', house_no: '4', postcode: '3600', town: 'Thun' } }), 200);
  assert.equal(again.json.addresses.length, 3);
  assert.equal(again.json.addresses[1].house_no, '4');
  // a move ahead of today is refused; a bad postcode in a move too
  const e = err(await call('PATCH', U, { session: cw, headers: { 'if-match': '"5"' }, body: { address_valid_from: '2199-01-01', town: 'Bern' } }), 400, 'invalid_value');
  assert.equal(e.detail.field, 'address_valid_from');
  err(await call('PATCH', U, { session: cw, headers: { 'if-match': '"5"' }, body: { address_valid_from: '2026-01-01', postcode: '36000' } }), 400, 'invalid_value');
  err(await call('GET', `${U}/address?on=2026-02-30`, { session: cw }), 400, 'invalid_parameter');
  assert.equal(ok(await call('GET', U, { session: cw }), 200).json.addresses.length, 3, 'refusals kept nothing');
  // a person without any address: null on every day; the first one entered holds from no known day
  const q = await mkPerson();
  assert.equal(ok(await call('GET', `${P}/${q.id}/address`, { session: cw }), 200).json.address, null);
  const first = ok(await call('PATCH', `${P}/${q.id}`, { session: cw, headers: { 'if-match': '"1"' }, body: { town: 'Thun', postcode: '3600' } }), 200);
  assert.deepEqual(first.json.addresses.map((a) => [a.valid_from, a.town]), [[null, 'Thun']]);
});

test('the person page and the search results show the dossiers with state and case worker', async () => {
  const last = surname();
  const h = ok(await call('POST', H, { session: cw, body: { name: 'D', members: [
    { person: { last_name: last, first_name: 'Eva', birth_date: '1980-01-01' }, role: 'applicant', valid_from: '2026-01-01' },
    { person: { last_name: last, first_name: 'Tom', birth_date: '2015-01-01' }, role: 'child', valid_from: '2026-01-01' }] } }), 201).json;
  const [eva, tom] = h.members.map((m) => m.person_id);
  const none = ok(await call('GET', `${P}/${tom}`, { session: cw }), 200).json;
  assert.deepEqual(none.dossiers, []);
  const cs = ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: h.id, applicant_id: eva, municipality_bfs: 942, caseworker_id: cw.data.user.id } }), 201).json;
  for (const [id, applicant] of [[eva, true], [tom, false]]) {
    const ds = ok(await call('GET', `${P}/${id}`, { session: await as('thun', 'reception') }), 200).json.dossiers;
    assert.equal(ds.length, 1);
    assert.deepEqual([ds[0].id, ds[0].module, ds[0].state, ds[0].is_applicant, ds[0].caseworker.id], [cs.id, 'sozialhilfe', 'registration', applicant, cw.data.user.id]);
    assert.ok(ds[0].caseworker.display_name.length > 0);
  }
  const hits = ok(await call('GET', `${P}?q=${last}`, { session: cw }), 200).json.items;
  assert.deepEqual(hits.map((x) => [x.first_name, x.dossiers.map((d) => [d.id, d.state, d.caseworker.display_name.length > 0])]),
    [['Eva', [[cs.id, 'registration', true]]], ['Tom', [[cs.id, 'registration', true]]]]);
  // another tenant's search does not see them; its own persons have none of ours
  assert.deepEqual(ok(await call('GET', `${P}?q=${last}`, { session: biel }), 200).json.items, []);
});

test('a transferred household takes the civil status along with the other person fields', async () => {
  const last = surname();
  const h = ok(await call('POST', H, { session: cw, body: { name: 'T', members: [
    { person: { last_name: last, first_name: 'Ida', birth_date: '1979-04-04', civil_status: 'widowed', permit: 'C', nationality: 'IT', town: 'Thun' }, role: 'applicant', valid_from: '2026-01-01' }] } }), 201).json;
  const cs = ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: h.id, applicant_id: h.members[0].person_id, municipality_bfs: 942 } }), 201).json;
  const g = ok(await call('GET', `/api/v1/cases/${cs.id}`, { session: cw }), 200);
  const t = ok(await call('POST', `/api/v1/cases/${cs.id}/transfer`, { session: cw, body: { to_tenant: 'oberes-emmental', municipality_bfs: 902 }, headers: { 'if-match': g.headers.get('etag') } }), 201).json;
  const oe = await as('oberes-emmental', 'caseworker');
  const d = ok(await call('GET', `/api/v1/cases/${t.to.dossier_id}`, { session: oe }), 200).json;
  const ida = ok(await call('GET', `${P}/${d.applicant.id}`, { session: oe }), 200).json;
  assert.deepEqual([ida.last_name, ida.civil_status, ida.permit, ida.nationality, ida.town], [last, 'widowed', 'C', 'IT', 'Thun']);
});

// ----------------------------------------------------------------- tenants

test('another tenant\'s persons and households answer 404 on every route', async () => {
  const p = await mkPerson();
  const h = ok(await call('POST', H, { session: cw, body: { name: 'HH', members: [{ person_id: p.id, role: 'applicant', valid_from: '2025-01-01' }] } }), 201).json;
  err(await call('GET', `${P}/${p.id}`, { session: biel }), 404, 'not_found');
  err(await call('PATCH', `${P}/${p.id}`, { session: biel, body: { town: 'x' }, headers: { 'if-match': '*' } }), 404, 'not_found');
  err(await call('GET', `${P}/${p.id}/households`, { session: biel }), 404, 'not_found');
  err(await call('GET', `${H}/${h.id}`, { session: biel }), 404, 'not_found');
  err(await call('POST', `${H}/${h.id}/members`, { session: biel, body: { person_id: p.id, role: 'child', valid_from: '2025-01-01' }, headers: { 'if-match': '*' } }), 404, 'not_found');
  err(await call('GET', `${P}/${p.id}/address`, { session: biel }), 404, 'not_found');
  err(await call('PATCH', `${H}/${h.id}/members/${h.members[0].id}`, { session: biel, body: { valid_to: '2025-02-01' }, headers: { 'if-match': '*' } }), 404, 'not_found');
  // a foreign person cannot be made a member of one's own household
  const e = err(await call('POST', H, { session: biel, body: { name: 'B', members: [{ person_id: p.id, role: 'applicant', valid_from: '2025-01-01' }] } }), 400, 'invalid_reference');
  assert.equal(e.detail.field, 'person_id');
  assert.equal(sql(DB_OWNER, `select count(*) from household_member where person_id = ${p.id}`), '1');
});

for (const table of ['person', 'household', 'household_member', 'tenant_key', 'person_address']) {
  test(`RLS on ${table}: nothing without the tenant setting, only own rows with it`, async () => {
    await mkPerson(biel, { ahv: ahvNumber(), town: 'Biel/Bienne' });
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
      person_address: `insert into person_address (tenant_id, person_id, valid_from, town) values (${bielId}, 1, '2020-01-01', 'x')`,
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
  const im = { 'if-match': '"1"' };
  let e = err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: im, body: { person_id: d.id, role: 'applicant', valid_from: '2025-05-01' } }), 409, 'role_taken');
  assert.match(e.message, /applicant/);
  e = err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: im, body: { person_id: d.id, role: 'partner', valid_from: '2025-06-01' } }), 409, 'role_taken');
  assert.match(e.message, /partner/);
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, body: { person_id: d.id, role: 'partner', valid_from: '2025-07-01' } }), 428, 'precondition_required');
  const added = ok(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: im, body: { person_id: d.id, role: 'partner', valid_from: '2025-07-01' } }), 201);
  assert.equal(added.headers.get('etag'), '"2"', 'member changes bump the household version');
  // the same person cannot be in two households at overlapping times
  e = err(await call('POST', H, { session: cw, body: { name: 'Other', members: [{ person_id: c.id, role: 'applicant', valid_from: '2024-01-01', valid_to: '2025-03-02' }] } }), 409, 'membership_overlap');
  assert.equal(e.detail.household_id, h.id);
  assert.match(e.message, /household/);
  assert.equal(sql(DB_OWNER, `select count(*) from household where name = 'Other' and tenant_id = ${thunId}`), '0', 'nothing kept of a refused household');
  // bad members
  const any = { 'if-match': '"2"' };
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: any, body: { person_id: d.id, role: 'boss', valid_from: '2026-01-01' } }), 400, 'invalid_value');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: any, body: { person_id: d.id, role: 'child', valid_from: '2026-01-01', valid_to: '2026-01-01' } }), 400, 'invalid_period');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: any, body: { person_id: 'x', role: 'child', valid_from: '2026-01-01' } }), 400, 'invalid_type');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: any, body: { person_id: d.id, role: 'child' } }), 400, 'missing_field');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: any, body: { person_id: d.id, role: 'child', valid_from: '2026-01-01', extra: 1 } }), 400, 'unknown_field');
  err(await call('POST', `${H}/${h.id}/members`, { session: cw, headers: any, body: { person_id: 999999999, role: 'child', valid_from: '2026-01-01' } }), 400, 'invalid_reference');
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

