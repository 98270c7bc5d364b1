// Households as reception registers them: a family in one call and one
// transaction (new and existing persons, each checked for duplicates,
// the override per member), a new-born or a new partner joining a
// running household from a day, a move between households on a day
// without gap or overlap, and the Sozialhilfe budget counting the
// household as it is on the budget's day (the applicant's, who may have
// moved).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { call, ok, err, as, sql, DB_OWNER, ahvNumber, surname } from './lib.mjs';

const P = '/api/v1/persons';
const H = '/api/v1/households';
let cw; let rec; let biel;

before(async () => {
  cw = await as('thun', 'caseworker');
  rec = await as('thun', 'reception');
  biel = await as('biel', 'caseworker');
});

const count = (q) => Number(sql(DB_OWNER, q));
const audits = (action, oid) => count(`select count(*) from audit_event where action = '${action}' and object_id = '${oid}'`);

async function mkPerson(session = cw, extra = {}) {
  return ok(await call('POST', P, { session, body: { last_name: surname(), first_name: 'Ruth', birth_date: '1960-01-01', ...extra } }), 201).json;
}

/** A family of four: applicant, partner, two children, all new. */
function family(last, from = '2026-01-01') {
  return {
    name: `Familie ${last}`,
    members: [
      { person: { last_name: last, first_name: 'Sandra', birth_date: '1984-03-02', sex: 'f', ahv: ahvNumber(), street: 'Aarefeldstrasse', house_no: '4', postcode: '3600', town: 'Thun' }, role: 'applicant', valid_from: from },
      { person: { last_name: last, first_name: 'Marco', birth_date: '1982-07-19', sex: 'm' }, role: 'partner', valid_from: from },
      { person: { last_name: last, first_name: 'Lina', birth_date: '2014-05-05' }, role: 'child', valid_from: from },
      { person: { last_name: last, first_name: 'Noah', birth_date: '2017-09-09' }, role: 'child', valid_from: from },
    ],
  };
}

test('a family in one call: four persons, new and existing, with their roles', async () => {
  const last = surname();
  const body = family(last);
  // the second child is known already (registered on an earlier visit)
  const noah = await mkPerson(cw, { last_name: last, first_name: 'Noah', birth_date: '2017-09-09' });
  body.members[3] = { person_id: noah.id, role: 'child', valid_from: '2026-01-01' };
  const res = ok(await call('POST', H, { session: rec, body }), 201);
  const h = res.json;
  assert.equal(res.headers.get('etag'), '"1"');
  assert.equal(res.headers.get('location'), `${H}/${h.id}`);
  assert.deepEqual(h.members.map((m) => [m.first_name, m.role]),
    [['Sandra', 'applicant'], ['Marco', 'partner'], ['Lina', 'child'], ['Noah', 'child']]);
  assert.equal(h.members[3].person_id, noah.id, 'the existing person, not a copy');
  assert.equal(count(`select count(*) from person where last_name = '${last}'`), 4);
  for (const m of h.members.slice(0, 3)) assert.equal(audits('person_created', m.person_id), 1);
  assert.equal(audits('household_created', h.id), 1);
  // each person's household history names it, and the applicant's address
  // is the start of her address history
  const hist = ok(await call('GET', `${P}/${h.members[2].person_id}/households`, { session: cw }), 200).json.items;
  assert.deepEqual(hist.map((x) => [x.household_id, x.role, x.valid_from, x.valid_to]), [[h.id, 'child', '2026-01-01', null]]);
  const sandra = ok(await call('GET', `${P}/${h.members[0].person_id}`, { session: cw }), 200).json;
  assert.match(sandra.ahv, /^756\./);
  assert.deepEqual(sandra.addresses.map((a) => [a.valid_from, a.street, a.town]), [[null, 'Aarefeldstrasse', 'Thun']]);
  // a dossier for the family, registered by reception
  const cs = ok(await call('POST', '/api/v1/cases', { session: rec, body: { household_id: h.id, applicant_id: h.members[0].person_id, municipality_bfs: 942 } }), 201).json;
  assert.equal(cs.household_id, h.id);
});

test('family registration checks each person; a refusal names the member and keeps nothing', async () => {
  const last = surname();
  const known = await mkPerson(cw, { last_name: last, first_name: 'Lina', birth_date: '2014-05-05' });
  const body = family(last);
  const before0 = count(`select count(*) from person where last_name = '${last}'`);
  // Lina is likely the person registered before: 409 naming member 2
  let e = err(await call('POST', H, { session: cw, body }), 409, 'possible_duplicate');
  assert.equal(e.detail.member, 2);
  assert.deepEqual(e.detail.candidates.map((c) => c.id), [known.id]);
  assert.equal(count(`select count(*) from person where last_name = '${last}'`), before0, 'no member of a refused family is kept');
  assert.equal(count(`select count(*) from household where name = 'Familie ${last}'`), 0);
  // reception may not override; the refusal names the member too
  body.members[2].person.override_duplicate = true;
  e = err(await call('POST', H, { session: rec, body }), 403, 'forbidden');
  assert.equal(e.detail.permission, 'person.override_duplicate');
  assert.equal(e.detail.member, 2);
  // bad fields of a member's person: 400 naming field and member
  const bad = structuredClone(body);
  bad.members[1].person.birth_date = '1982-02-30';
  e = err(await call('POST', H, { session: cw, body: bad }), 400, 'invalid_value');
  assert.deepEqual([e.detail.field, e.detail.member], ['birth_date', 1]);
  bad.members[1].person = { last_name: last, first_name: 'Marco', birth_date: '1982-07-19', shoe_size: 44 };
  e = err(await call('POST', H, { session: cw, body: bad }), 400, 'unknown_field');
  assert.deepEqual([e.detail.field, e.detail.member], ['shoe_size', 1]);
  bad.members[1] = { person: { last_name: last, first_name: 'M', birth_date: '1982-07-19' }, person_id: known.id, role: 'partner', valid_from: '2026-01-01' };
  e = err(await call('POST', H, { session: cw, body: bad }), 400, 'invalid_value');
  assert.equal(e.detail.member, 1);
  bad.members[1] = { role: 'partner', valid_from: '2026-01-01' };
  e = err(await call('POST', H, { session: cw, body: bad }), 400, 'missing_field');
  assert.deepEqual([e.detail.field, e.detail.member], ['person_id', 1]);
  bad.members[1] = 'Marco';
  e = err(await call('POST', H, { session: cw, body: bad }), 400, 'invalid_type');
  assert.equal(e.detail.member, 1);
  // the same AHV number twice in one family
  const twice = structuredClone(body);
  twice.members[1].person.ahv = twice.members[0].person.ahv;
  e = err(await call('POST', H, { session: cw, body: twice }), 409, 'duplicate_person');
  assert.equal(e.detail.member, 1);
  // the same existing person twice
  const dup = structuredClone(body);
  dup.members[2] = { person_id: known.id, role: 'child', valid_from: '2026-01-01' };
  dup.members[3] = { person_id: known.id, role: 'child', valid_from: '2026-01-01' };
  e = err(await call('POST', H, { session: cw, body: dup }), 409, 'membership_overlap');
  assert.equal(e.detail.member, 3);
  assert.equal(count(`select count(*) from person where last_name = '${last}'`), before0, 'still nothing kept');
  // the case worker overrides for Lina: registered, the override audited
  const res = ok(await call('POST', H, { session: cw, body }), 201);
  const lina = res.json.members[2].person_id;
  assert.notEqual(lina, known.id);
  const d = JSON.parse(sql(DB_OWNER, `select detail::text from audit_event where action = 'person_duplicate_override' and object_id = '${lina}'`));
  assert.deepEqual(d.candidates, [known.id]);
  // twins with the same birthday are not each other's duplicates
  const twins = family(surname());
  twins.members[3].person.birth_date = twins.members[2].person.birth_date;
  twins.members[3].person.first_name = 'Lino';
  ok(await call('POST', H, { session: cw, body: twins }), 201);
});

test('a new-born and a new partner join a running household from a day (If-Match)', async () => {
  const last = surname();
  const h = ok(await call('POST', H, { session: cw, body: { name: 'Allein', members: [
    { person: { last_name: last, first_name: 'Sara', birth_date: '1990-01-01' }, role: 'applicant', valid_from: '2026-01-01' }] } }), 201).json;
  const M = `${H}/${h.id}/members`;
  const baby = { person: { last_name: last, first_name: 'Mia', birth_date: '2026-02-14', sex: 'f' }, role: 'child', valid_from: '2026-02-14' };
  err(await call('POST', M, { session: cw, body: baby }), 428, 'precondition_required');
  const stale = err(await call('POST', M, { session: cw, body: baby, headers: { 'if-match': '"9"' } }), 409, 'conflict');
  assert.equal(stale.detail.current.id, h.id);
  const r = ok(await call('POST', M, { session: cw, body: baby, headers: { 'if-match': '"1"' } }), 201);
  assert.equal(r.headers.get('etag'), '"2"');
  const mia = r.json.members.find((m) => m.first_name === 'Mia');
  assert.deepEqual([mia.role, mia.valid_from, mia.valid_to], ['child', '2026-02-14', null]);
  assert.equal(audits('person_created', mia.person_id), 1);
  const added = JSON.parse(sql(DB_OWNER, `select detail::text from audit_event where action = 'household_member_added' and object_id = '${h.id}'`));
  assert.deepEqual(added, { person_id: mia.person_id, new_person: true, moved: false });
  // on the day before the birth the household had one member
  const on = async (d) => ok(await call('GET', `${H}/${h.id}?on=${d}`, { session: cw }), 200).json.members.map((m) => m.first_name).sort();
  assert.deepEqual(await on('2026-02-13'), ['Sara']);
  assert.deepEqual(await on('2026-02-14'), ['Mia', 'Sara']);
  // a new partner, new to the service, from the first of April
  const p = ok(await call('POST', M, { session: cw, headers: { 'if-match': '"2"' }, body: {
    person: { last_name: surname(), first_name: 'Jonas', birth_date: '1988-08-08' }, role: 'partner', valid_from: '2026-04-01' } }), 201);
  assert.equal(p.json.members.length, 3);
  assert.deepEqual(await on('2026-03-31'), ['Mia', 'Sara']);
  assert.equal((await on('2026-04-01')).length, 3);
  // another tenant cannot add to it
  err(await call('POST', M, { session: biel, body: baby, headers: { 'if-match': '*' } }), 404, 'not_found');
});

test('a move between households on a day: one ends, the other begins, no gap, atomically', async () => {
  const last = surname();
  const parents = ok(await call('POST', H, { session: cw, body: family(last, '2020-01-01') }), 201).json;
  const lina = parents.members[2];
  const own = ok(await call('POST', H, { session: cw, body: { name: 'WG', members: [
    { person: { last_name: surname(), first_name: 'Tim', birth_date: '2000-02-02' }, role: 'applicant', valid_from: '2026-01-01' }] } }), 201).json;
  const M = `${H}/${own.id}/members`;
  const body = { person_id: lina.person_id, role: 'partner', valid_from: '2026-03-01' };
  // without move: refused, naming where the person belongs and how to move
  const e = err(await call('POST', M, { session: cw, body, headers: { 'if-match': '"1"' } }), 409, 'membership_overlap');
  assert.equal(e.detail.household_id, parents.id);
  assert.equal(e.detail.household, parents.name);
  assert.match(e.message, /move/);
  // with move: ended there on the same day, begun here
  const r = ok(await call('POST', M, { session: cw, body: { ...body, move: true }, headers: { 'if-match': '"1"' } }), 201);
  assert.equal(r.json.members.find((m) => m.person_id === lina.person_id).valid_from, '2026-03-01');
  const hist = ok(await call('GET', `${P}/${lina.person_id}/households`, { session: cw }), 200).json.items;
  assert.deepEqual(hist.map((x) => [x.household_id, x.role, x.valid_from, x.valid_to]),
    [[parents.id, 'child', '2020-01-01', '2026-03-01'], [own.id, 'partner', '2026-03-01', null]]);
  // the household left has a new version and its own audit event
  const left = ok(await call('GET', `${H}/${parents.id}`, { session: cw }), 200);
  assert.equal(left.headers.get('etag'), '"2"');
  const ended = JSON.parse(sql(DB_OWNER, `select detail::text from audit_event where action = 'household_member_ended' and object_id = '${parents.id}'`));
  assert.deepEqual(ended, { member_id: lina.id, person_id: lina.person_id, valid_to: '2026-03-01', moved_to: own.id });
  // a move cannot end a membership that begins on or after its day
  const back = err(await call('POST', `${H}/${parents.id}/members`, { session: cw, headers: { 'if-match': '"2"' },
    body: { person_id: lina.person_id, role: 'child', valid_from: '2026-02-01', move: true } }), 409, 'membership_overlap');
  assert.equal(back.detail.household_id, own.id);
  // a move that fails further on (role taken) changes nothing anywhere
  const marco = parents.members[1];
  err(await call('POST', M, { session: cw, headers: { 'if-match': '"2"' },
    body: { person_id: marco.person_id, role: 'partner', valid_from: '2026-05-01', move: true } }), 409, 'role_taken');
  const still = ok(await call('GET', `${P}/${marco.person_id}/households`, { session: cw }), 200).json.items;
  assert.deepEqual(still.map((x) => x.valid_to), [null], 'the failed move left Marco where he was');
  assert.equal(ok(await call('GET', `${H}/${parents.id}`, { session: cw }), 200).headers.get('etag'), '"2"');
  // within one household, a role changes on a day the same way
  const sandra = parents.members[0];
  ok(await call('PATCH', `${H}/${parents.id}/members/${sandra.id}`, { session: cw, headers: { 'if-match': '"2"' }, body: { valid_to: '2026-06-01' } }), 200);
  ok(await call('POST', `${H}/${parents.id}/members`, { session: cw, headers: { 'if-match': '"3"' },
    body: { person_id: marco.person_id, role: 'applicant', valid_from: '2026-06-01', move: true } }), 201);
  const roles = ok(await call('GET', `${P}/${marco.person_id}/households`, { session: cw }), 200).json.items;
  assert.deepEqual(roles.map((x) => [x.role, x.valid_from, x.valid_to]), [['partner', '2020-01-01', '2026-06-01'], ['applicant', '2026-06-01', null]]);
});

const BUDGET = { rent: 180000, kvg_premium: 90000, assets: 0, income: { employment: 0, other: 0 } };
const preview = async (id, date) => call('POST', `/api/v1/cases/${id}/budgets/preview`, { session: cw, body: { ...BUDGET, valid_from: date } });

test('the budget counts the household on its day, and follows the applicant who moves', async () => {
  // a family of four registered in one go: the budget counts four
  const fam = ok(await call('POST', H, { session: rec, body: family(surname()) }), 201).json;
  const cs = ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: fam.id, applicant_id: fam.members[0].person_id, municipality_bfs: 942, caseworker_id: cw.data.user.id } }), 201).json;
  const pv = ok(await preview(cs.id, '2026-02-01'), 200).json;
  assert.equal(pv.rent_share.persons, 4);
  assert.equal(pv.input.members.length, 4);
  assert.ok(pv.output.lines.some((l) => l.code === 'gbl' && /4 Personen/.test(l.explain)), JSON.stringify(pv.output.lines));
  // a child born in March counts from March on
  ok(await call('POST', `${H}/${fam.id}/members`, { session: cw, headers: { 'if-match': '"1"' }, body: {
    person: { last_name: fam.members[0].last_name, first_name: 'Elia', birth_date: '2026-03-03' }, role: 'child', valid_from: '2026-03-03' } }), 201);
  assert.equal(ok(await preview(cs.id, '2026-03-01'), 200).json.rent_share.persons, 4);
  assert.equal(ok(await preview(cs.id, '2026-04-01'), 200).json.rent_share.persons, 5);

  // a single applicant moves in with a partner: the dossier's budget
  // counts the new household from the day of the move
  const a = ok(await call('POST', H, { session: cw, body: { name: 'Einzeln', members: [
    { person: { last_name: surname(), first_name: 'Ava', birth_date: '1991-01-01' }, role: 'applicant', valid_from: '2026-01-01' }] } }), 201).json;
  const d = ok(await call('POST', '/api/v1/cases', { session: cw, body: { household_id: a.id, applicant_id: a.members[0].person_id, municipality_bfs: 942, caseworker_id: cw.data.user.id } }), 201).json;
  const b = ok(await call('POST', H, { session: cw, body: { name: 'Paar', members: [
    { person: { last_name: surname(), first_name: 'Ben', birth_date: '1989-01-01' }, role: 'applicant', valid_from: '2026-01-01' }] } }), 201).json;
  ok(await call('POST', `${H}/${b.id}/members`, { session: cw, headers: { 'if-match': '"1"' }, body: {
    person_id: a.members[0].person_id, role: 'partner', valid_from: '2026-05-01', move: true } }), 201);
  assert.equal(ok(await preview(d.id, '2026-04-01'), 200).json.rent_share.persons, 1);
  const may = ok(await preview(d.id, '2026-05-01'), 200).json;
  assert.equal(may.rent_share.persons, 2, 'the household Ava lives in from May');
  assert.deepEqual(may.input.members.map((m) => m.role).sort(), ['applicant', 'partner']);
});
