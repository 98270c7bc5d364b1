// Advances of child support (Bevorschussung) in the Alimentenhilfe
// module: a decision per child from the canton's pack alimente-advance
// (input, result in German and French, provenance kept), four eyes (the
// proposer or submitter never approves), If-Match on every step, the
// yearly re-check as a deadline, the end with each reason, the decision
// letter as PDF in German and French (a draft marked), the advance
// lines of a core payment run to the Rappen (cap 2025 CHF 1,008, never
// more than the title, not past the 18th birthday, held without an
// IBAN), the month shown as advanced in ah_month_v, the work list of
// advances ending soon, bad input and another service's ids (404).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  BASE, call, ok, err, show, as, login, sql, DB_OWNER, freshTenant, createUser, tenantId, jobOf, fixtureHousehold,
} from './lib.mjs';

const C = '/api/v1/cases';
const A = '/api/v1/alimente/advances';
const R = '/api/v1/payment-runs';

async function enableAlimente(slug) {
  const canton = await as('canton', 'canton-admin');
  const cur = ok(await call('GET', `/api/v1/admin/tenants/${slug}/modules`, { session: canton }), 200).json.items
    .find((i) => i.module === 'alimente');
  const headers = cur && cur.version > 0 ? { 'if-match': `"${cur.version}"` } : {};
  if (!cur || !cur.enabled)
    ok(await call('PUT', `/api/v1/admin/tenants/${slug}/modules/alimente`, { session: canton, headers, body: { enabled: true } }), 200);
}

async function user(t, role) {
  const u = await createUser(t.admin, [role]);
  const s = await login(t.slug, u.username, u.password);
  s.id = u.id;
  return s;
}

/**
 * A family with a maintenance title: the parent applies (address and
 * IBAN, or none), the debtor, the children {birth, education_until,
 * amount} and a spouse creditor; an alimente dossier of cw, the title
 * applied for in January 2024, each child's amount from then on, and so
 * the schedule (ah_due) from January 2024 to the title's end or next
 * month.
 */
async function family(t, cw, children, { iban = true, endsOn = null } = {}) {
  const tid = tenantId(t.slug);
  const hh = fixtureHousehold(t.slug, [{ role: 'applicant', birth: '1985-04-02', last: 'Bevor', first: 'Berta' },
    ...children.map((c) => ({ role: 'child', birth: c.birth, last: 'Bevor' })), { role: 'partner', birth: '1984-01-01', last: 'Bevor', first: 'Sven' }]);
  const [parent, ...rest] = hh.persons;
  const spouse = rest.pop();
  if (!iban) sql(DB_OWNER, `update person set iban = null where id = ${parent}`);
  const debtor = Number(sql(DB_OWNER, `insert into person (tenant_id, last_name, first_name, birth_date)
    values (${tid}, 'Schuldner', 'Daniel', '1980-05-05') returning id`).split('\n')[0]);
  // a fresh service serves no municipality yet: the dossier as the core writes it
  const d = { id: Number(sql(DB_OWNER, `insert into dossier (tenant_id, module, kind, household_id, applicant_id, state,
      municipality_bfs, caseworker_id) values (${tid}, 'alimente', 'alimente', ${hh.household}, ${parent}, 'voluntary', 942, ${cw.id})
    returning id`).split('\n')[0]) };
  // the title, its creditors and their amounts through the title's routes (the schedule follows)
  ok(await call('PUT', `${C}/${d.id}/title`, { session: cw, body: { title_kind: 'judgment', authority: 'Regionalgericht Oberland',
    decided_on: '2023-06-01', applied_on: '2024-01-01', debtor_id: debtor, ...(endsOn ? { ends_on: endsOn } : {}) } }), 201);
  const ids = [];
  for (const [i, c] of children.entries()) {
    const cr = ok(await call('POST', `${C}/${d.id}/creditors`, { session: cw, body: { person_id: rest[i], role: 'child',
      ...(c.education_until ? { education_until: c.education_until } : {}) } }), 201).json;
    ok(await call('PUT', `/api/v1/alimente/creditors/${cr.id}/amounts`, { session: cw, headers: { 'if-match': `"${cr.version}"` },
      body: { amounts: [{ valid_from: '2024-01-01', amount: c.amount }] } }), 200);
    ids.push(cr.id);
  }
  const sp = ok(await call('POST', `${C}/${d.id}/creditors`, { session: cw, body: { person_id: spouse, role: 'spouse' } }), 201).json.id;
  return { dossier: d.id, children: ids, spouse: sp, parent };
}

const household = { size: 2, income: 4500000, assets: 100000 };

async function propose(s, dossier, creditor, from, extra = {}) {
  return ok(await call('POST', `${C}/${dossier}/advances`, { session: s,
    body: { creditor_id: creditor, valid_from: from, household, on_social_assistance: false, ...extra } }), 201);
}

/** Submit (by sub) and approve (by appr), each with If-Match; the approved advance. */
async function decide(sub, appr, created) {
  const s = ok(await call('POST', `${A}/${created.json.id}/submit`, { session: sub, headers: { 'if-match': created.headers.get('etag') } }), 200);
  return ok(await call('POST', `${A}/${created.json.id}/approve`, { session: appr, headers: { 'if-match': s.headers.get('etag') } }), 200);
}

async function pdfText(path, session) {
  const r = await fetch(BASE + path, { headers: { cookie: `ks_session=${session.cookie}` } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  const buf = Buffer.from(await r.arrayBuffer());
  assert.equal(buf.subarray(0, 5).toString(), '%PDF-');
  return execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: buf }).toString('utf8');
}

let t, cw, cw2, lead, lead2, acc;
test.before(async () => {
  t = await freshTenant('ahadv');
  await enableAlimente(t.slug);
  ok(await call('PUT', '/api/v1/payment-account', { session: t.admin,
    body: { name: 'Sozialdienst Bevor', iban: 'CH93 0076 2011 6238 5295 7', street: 'Bälliz', house_no: '1', postcode: '3600', town: 'Thun', country: 'CH' } }), 200);
  [cw, cw2, lead, lead2, acc] = [await user(t, 'caseworker'), await user(t, 'caseworker'), await user(t, 'teamlead'),
    await user(t, 'teamlead'), await user(t, 'accounting')];
});

test('a decision from the pack, four eyes with If-Match, the re-check deadline, the letter in German and French', async () => {
  const f = await family(t, cw, [{ birth: '2015-06-10', amount: 120000 }, { birth: '2016-02-03', amount: 80000 }]);
  const d = await propose(cw, f.dossier, f.children[0], '2025-01-01');
  const a = d.json;
  assert.equal(a.status, 'draft');
  assert.equal(a.eligible, true);
  assert.equal(a.amount, 100800, 'the cap 2025: CHF 1,008');
  assert.equal(a.cap, 100800);
  assert.equal(a.input.title_amount, 120000, 'the month\'s due amount from the schedule');
  assert.deepEqual(a.input.child, { birth_date: '2015-06-10', in_education: false });
  assert.equal(a.provenance.name, 'alimente-advance');
  assert.deepEqual(a.result.lines.map((l) => l.code), ['age', 'income', 'assets', 'advance']);
  assert.match(a.result.lines[3].explain, /Höchstbetrag/);
  assert.match(a.result_fr.lines[3].explain, /montant maximal/);
  assert.equal(d.headers.get('etag'), `"${a.version}"`);

  // the draft letter, marked as such, in both languages
  const de = await pdfText(`${A}/${a.id}/letter?lang=de`, cw);
  assert.match(de, /ENTWURF/);
  assert.match(de, /CHF 1'008\.00/);
  assert.match(de, /Rechtsmittelbelehrung/);
  const fr = await pdfText(`${A}/${a.id}/letter?lang=fr`, cw);
  assert.match(fr, /PROJET/);
  assert.match(fr, /CHF 1'008\.00/);
  assert.match(fr, /Voies de droit/);
  assert.match(fr, /montant maximal/);

  // approve needs a submitted decision, If-Match, the permission and a second person
  err(await call('POST', `${A}/${a.id}/approve`, { session: lead, headers: { 'if-match': `"${a.version}"` } }), 409, 'invalid_state');
  err(await call('POST', `${A}/${a.id}/submit`, { session: cw }), 428, 'precondition_required');
  err(await call('POST', `${A}/${a.id}/submit`, { session: cw, headers: { 'if-match': '"99"' } }), 409, 'conflict');
  const s = ok(await call('POST', `${A}/${a.id}/submit`, { session: cw, headers: { 'if-match': `"${a.version}"` } }), 200);
  assert.equal(s.json.status, 'submitted');
  assert.equal(s.json.submitted_by.id, cw.id);
  const etag = s.headers.get('etag');
  err(await call('POST', `${A}/${a.id}/approve`, { session: cw2, headers: { 'if-match': etag } }), 403, 'forbidden');
  err(await call('POST', `${A}/${a.id}/approve`, { session: lead, headers: { 'if-match': `"${a.version}"` } }), 409, 'conflict');

  // a team lead who proposed, or who submitted, does not approve
  const own = await propose(lead, f.dossier, f.children[1], '2025-01-01');
  assert.equal(own.json.amount, 80000, 'never more than the title amount');
  const ownSub = ok(await call('POST', `${A}/${own.json.id}/submit`, { session: lead, headers: { 'if-match': own.headers.get('etag') } }), 200);
  err(await call('POST', `${A}/${own.json.id}/approve`, { session: lead, headers: { 'if-match': ownSub.headers.get('etag') } }), 403, 'four_eyes_required');
  const other = await propose(cw, f.dossier, f.children[1], '2025-02-01');
  const otherSub = ok(await call('POST', `${A}/${other.json.id}/submit`, { session: lead2, headers: { 'if-match': other.headers.get('etag') } }), 200);
  err(await call('POST', `${A}/${other.json.id}/approve`, { session: lead2, headers: { 'if-match': otherSub.headers.get('etag') } }), 403, 'four_eyes_required');
  const rej = ok(await call('POST', `${A}/${other.json.id}/reject`, { session: lead, headers: { 'if-match': otherSub.headers.get('etag') },
    body: { reason: 'Einkommen nicht belegt' } }), 200);
  assert.equal(rej.json.status, 'rejected');
  assert.equal(rej.json.reject_reason, 'Einkommen nicht belegt');
  ok(await call('POST', `${A}/${own.json.id}/approve`, { session: lead2, headers: { 'if-match': ownSub.headers.get('etag') } }), 200);

  const appr = ok(await call('POST', `${A}/${a.id}/approve`, { session: lead, headers: { 'if-match': etag } }), 200);
  assert.equal(appr.json.status, 'approved');
  assert.equal(appr.json.approved_by.id, lead.id);
  assert.equal(appr.json.recheck_on, '2026-01-01');
  // the yearly re-check is a deadline of the dossier; approval is audited
  const dl = ok(await call('GET', `${C}/${f.dossier}/deadlines`, { session: cw }), 200).json;
  assert.ok((dl.items || dl).some((x) => x.kind === 'ah_recheck' && x.due_on === '2026-01-01'), JSON.stringify(dl));
  assert.equal(sql(DB_OWNER, `select count(*) from audit_event where object_type = 'ah_advance' and object_id = '${a.id}'
    and action in ('advance_proposed', 'advance_submitted', 'advance_approved')`), '3');

  // the decision as approved is a document of the dossier (in the applicant's language)
  assert.equal(appr.json.language, 'de');
  const docs = ok(await call('GET', `${C}/${f.dossier}/documents`, { session: cw }), 200).json;
  const doc = (docs.items || docs).find((x) => x.id === appr.json.document_id);
  assert.ok(doc && doc.category === 'decision', JSON.stringify(docs));
  assert.equal(sql(DB_OWNER, `select count(*) from audit_read where action = 'document_downloaded' and object_id = '${doc.id}'`), '0');
  // the approved letter: no draft mark, signed, amount and the explanations; the stored one
  const fin = await pdfText(`${A}/${a.id}/letter`, cw);
  assert.equal(sql(DB_OWNER, `select count(*) from audit_read where action = 'document_downloaded' and object_id = '${doc.id}'`), '1');
  assert.doesNotMatch(await pdfText(`${A}/${a.id}/letter?lang=fr`, cw), /PROJET/);
  assert.doesNotMatch(fin, /ENTWURF/);
  assert.match(fin, /CHF 1'008\.00/);
  assert.match(fin, /Genehmigung/);
  assert.match(fin, /Minderjährig:\s+18\.\s+Geburtstag\s+am\s+2033-06-10/);
  assert.match(fin, /1\.\s+Januar\s+2026/, 're-check date written out');

  // a new decision for the child from a later month replaces the first from then on
  const next = await propose(cw, f.dossier, f.children[0], '2025-07-01', { household: { size: 2, income: 4000000, assets: 0 } });
  const nextAppr = await decide(cw, lead, next);
  assert.equal(nextAppr.json.status, 'approved');
  const list = ok(await call('GET', `${C}/${f.dossier}/advances`, { session: cw }), 200).json;
  const first = list.items.find((x) => x.id === a.id);
  assert.equal(first.valid_to, '2025-07-01');
  assert.equal(first.status, 'approved');
  // an earlier one cannot go in before an approved later one
  const early = await propose(cw, f.dossier, f.children[0], '2025-03-01');
  const earlySub = ok(await call('POST', `${A}/${early.json.id}/submit`, { session: cw, headers: { 'if-match': early.headers.get('etag') } }), 200);
  err(await call('POST', `${A}/${early.json.id}/approve`, { session: lead, headers: { 'if-match': earlySub.headers.get('etag') } }), 409, 'ah_advance_overlap');
});

test('each end reason; bad input answers with a stable code', async () => {
  const f = await family(t, cw, [{ birth: '2012-03-01', amount: 50000 }]);
  const reasons = ['age_18', 'age_25', 'education_end', 'title_end', 'means', 'other'];
  for (const [i, reason] of reasons.entries()) {
    const from = `2024-${String(2 * i + 1).padStart(2, '0')}-01`;
    const to = `2024-${String(2 * i + 2).padStart(2, '0')}-01`;
    const appr = await decide(cw, lead, await propose(cw, f.dossier, f.children[0], from));
    assert.equal(appr.json.amount, 50000, 'the cap 2024 is above the title');
    assert.equal(appr.json.cap, 98000, 'the cap 2024: CHF 980');
    err(await call('POST', `${A}/${appr.json.id}/end`, { session: cw, body: { reason, valid_to: to } }), 428, 'precondition_required');
    const e = ok(await call('POST', `${A}/${appr.json.id}/end`, { session: cw, headers: { 'if-match': appr.headers.get('etag') },
      body: { reason, valid_to: to } }), 200);
    assert.equal(e.json.status, 'ended');
    assert.equal(e.json.end_reason, reason);
    assert.equal(e.json.valid_to, to);
    // ended is ended
    err(await call('POST', `${A}/${appr.json.id}/end`, { session: cw, headers: { 'if-match': e.headers.get('etag') },
      body: { reason, valid_to: to } }), 409, 'invalid_state');
  }
  // no advance running: the re-check deadlines are done
  assert.equal(sql(DB_OWNER, `select count(*) from deadline where dossier_id = ${f.dossier} and kind = 'ah_recheck' and done_on is null`), '0');

  const d = await propose(cw, f.dossier, f.children[0], '2025-01-01');
  const tag = { 'if-match': d.headers.get('etag') };
  const end = (body) => call('POST', `${A}/${d.json.id}/end`, { session: cw, headers: tag, body });
  err(await end({ reason: 'tired', valid_to: '2025-05-01' }), 400, 'invalid_value');
  err(await end({ reason: 'means', valid_to: '2025-05-15' }), 400, 'invalid_value');
  err(await end({ reason: 'means', valid_to: '2025-05-01' }), 409, 'invalid_state');
  const appr = await decide(cw, lead, d);
  err(await call('POST', `${A}/${d.json.id}/end`, { session: cw, headers: { 'if-match': appr.headers.get('etag') },
    body: { reason: 'means', valid_to: '2025-01-01' } }), 400, 'invalid_value');

  const bad = (body) => call('POST', `${C}/${f.dossier}/advances`, { session: cw,
    body: { creditor_id: f.children[0], valid_from: '2025-01-01', household, on_social_assistance: false, ...body } });
  assert.equal(err(await bad({ valid_from: '2025-01-15' }), 400, 'invalid_value').detail.field, 'valid_from');
  assert.equal(err(await bad({ household: { size: 2, income: 1 } }), 400, 'missing_field').detail.field, 'household.assets');
  assert.equal(err(await bad({ household: { ...household, size: 0 } }), 400, 'out_of_range').detail.field, 'household.size');
  assert.equal(err(await bad({ household: { ...household, income: '45000' } }), 400, 'invalid_type').detail.field, 'household.income');
  err(await bad({ on_social_assistance: 'no' }), 400, 'invalid_type');
  err(await bad({ creditor_id: 999999999 }), 404, 'not_found');
  err(await bad({ creditor_id: f.spouse }), 409, 'ah_not_a_child');
  err(await bad({ valid_from: '2023-12-01' }), 409, 'ah_no_title_amount');
  err(await bad({ valid_from: '2022-01-01' }), 409, 'ah_no_title_amount');
  sql(DB_OWNER, `insert into ah_title_amount (tenant_id, creditor_id, valid_from, valid_to, amount)
    values (${tenantId(t.slug)}, ${f.children[0]}, '2022-01-01', '2023-01-01', 50000)`);
  err(await bad({ valid_from: '2022-01-01' }), 422, 'rule_missing');
  err(await call('POST', `${A}/${d.json.id}/reject`, { session: lead, headers: { 'if-match': `"${appr.json.version}"` }, body: { reason: 'x' } }), 409, 'invalid_state');
  err(await call('GET', `${A}/${d.json.id}/letter?lang=it`, { session: cw }), 400, 'invalid_parameter');
  // social assistance and means: no advance, a line says why, the letter says so
  const sa = await propose(cw, f.dossier, f.children[0], '2025-01-01', { on_social_assistance: true });
  assert.equal(sa.json.eligible, false);
  assert.equal(sa.json.amount, 0);
  assert.deepEqual(sa.json.result.lines.map((l) => l.code), ['age', 'social_assistance', 'income', 'assets', 'no_advance']);
  const txt = await pdfText(`${A}/${sa.json.id}/letter?lang=fr`, cw);
  assert.match(txt, /n'est\s+pas\s+avancée/);
  const rich = await propose(cw, f.dossier, f.children[0], '2025-01-01', { household: { size: 2, income: 9000000, assets: 0 } });
  assert.equal(rich.json.amount, 0);
  assert.match(rich.json.result.lines.at(-1).explain, /Einkommen/);
});

test('a payment run pays the approved advances to the Rappen; the month is advanced in ah_month_v', async () => {
  const month = '2025-03';
  // Anna (minor, title above the cap), Ben (title below the cap), Carl
  // (18 on 1 February 2025, not in education: nothing for March), Dora (18
  // on 15 March 2025: March is paid), Emil (18 before, in education: paid)
  const f = await family(t, cw, [
    { birth: '2015-06-10', amount: 120000 }, { birth: '2016-02-03', amount: 45055 },
    { birth: '2007-02-01', amount: 60000 }, { birth: '2007-03-15', amount: 70000 },
    { birth: '2006-09-09', amount: 90000, education_until: '2026-07-31' },
  ]);
  // a title ending with February 2025: nothing for March
  const g = await family(t, cw, [{ birth: '2014-01-01', amount: 65000 }], { endsOn: '2025-03-01' });
  // a parent without an IBAN: the line is held
  const h = await family(t, cw, [{ birth: '2013-05-05', amount: 30000 }], { iban: false });
  const ids = [];
  for (const c of f.children) ids.push((await decide(cw, lead, await propose(cw, f.dossier, c, '2025-01-01'))).json);
  assert.deepEqual(ids.map((x) => x.amount), [100800, 45055, 60000, 70000, 90000]);
  const gA = (await decide(cw, lead, await propose(cw, g.dossier, g.children[0], '2025-01-01'))).json;
  const hA = (await decide(cw, lead, await propose(cw, h.dossier, h.children[0], '2025-01-01'))).json;
  // a draft is not paid
  await propose(cw, f.dossier, f.children[0], '2025-03-01');

  const job = await jobOf(await call('POST', R, { session: acc, body: { month } }), acc);
  const run = ok(await call('GET', `${R}/${job.result.run}`, { session: acc }), 200);
  const ours = [f.dossier, g.dossier, h.dossier];
  const mine = run.json.lines.filter((l) => l.module === 'alimente' && ours.includes(l.dossier_id));
  const paid = mine.filter((l) => l.status === 'open').map((l) => l.amount).sort((x, y) => x - y);
  assert.deepEqual(paid, [45055, 70000, 90000, 100800], show(run));
  assert.deepEqual([...new Set(mine.map((l) => `${l.kind} ${l.for_month}`))], ['ah_advance 2025-03']);
  const lineOf = (adv) => sql(DB_OWNER, `select amount || ' ' || status || ' ' || coalesce(problem, '-') || ' ' || name || ' ' || coalesce(iban, '-')
    from payment_line where source_id = ${adv.id} and run_id = ${run.json.id}`);
  assert.equal(lineOf(ids[0]), '100800 open - Berta Bevor CH9300762011623852957');
  assert.equal(lineOf(ids[2]), '', 'no month after the 18th birthday');
  assert.equal(lineOf(gA), '', 'not after the title ends');
  assert.match(lineOf(hA), /^30000 held no_iban /);

  // approve (another person, If-Match) and export; the month shows as advanced
  ok(await call('POST', `${R}/${run.json.id}/approve`, { session: lead, headers: { 'if-match': run.headers.get('etag') } }), 200);
  const x = await jobOf(await call('POST', `${R}/${run.json.id}/export`, { session: acc }), acc);
  assert.equal(x.type, 'core.payment_export');
  assert.equal(sql(DB_OWNER, `select string_agg(advanced::text, ',' order by creditor_id) from ah_month_v
    where dossier_id = ${f.dossier} and month = '2025-03-01'`), '100800,45055,0,70000,90000');
  assert.equal(sql(DB_OWNER, `select advanced from ah_month_v where creditor_id = ${f.children[0]} and month = '2025-02-01'`), '0');
  // computed again, a run never pays an advance twice
  assert.equal(sql(DB_OWNER, `select count(*) from payment_line where kind = 'ah_advance' and source_id = ${ids[0].id}`), '1');
});

test('the work list names advances ending within 60 days', async () => {
  const soon = new Date(Date.now() + 30 * 86400000);
  const birth = `${soon.getUTCFullYear() - 18}-${String(soon.getUTCMonth() + 1).padStart(2, '0')}-15`;
  const f = await family(t, cw, [{ birth, amount: 40000 }]);
  const now = new Date();
  const from = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
  const a = (await decide(cw, lead, await propose(cw, f.dossier, f.children[0], from))).json;
  const wl = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200).json;
  const item = (wl.ah_advances_ending || []).find((i) => i.id === a.id);
  assert.ok(item, show({ method: 'GET', path: 'worklist', status: 200, text: JSON.stringify(wl) }));
  assert.equal(item.reason, 'age_18');
  assert.equal(item.module, 'alimente');
  assert.equal(item.dossier_id, f.dossier);
  // another case worker's list does not have it
  const wl2 = ok(await call('GET', '/api/v1/worklist', { session: cw2 }), 200).json;
  assert.ok(!(wl2.ah_advances_ending || []).some((i) => i.id === a.id));
});

test('another service sees none of it: 404', async () => {
  const f = await family(t, cw, [{ birth: '2015-01-01', amount: 50000 }]);
  const d = await propose(cw, f.dossier, f.children[0], '2025-01-01');
  const o = await freshTenant('ahadvx');
  await enableAlimente(o.slug);
  const oLead = await user(o, 'teamlead');
  const tag = { 'if-match': d.headers.get('etag') };
  err(await call('GET', `${C}/${f.dossier}/advances`, { session: oLead }), 404, 'not_found');
  err(await call('POST', `${C}/${f.dossier}/advances`, { session: oLead,
    body: { creditor_id: f.children[0], valid_from: '2025-01-01', household, on_social_assistance: false } }), 404, 'not_found');
  for (const step of ['submit', 'approve'])
    err(await call('POST', `${A}/${d.json.id}/${step}`, { session: oLead, headers: tag }), 404, 'not_found');
  err(await call('POST', `${A}/${d.json.id}/reject`, { session: oLead, headers: tag, body: { reason: 'x' } }), 404, 'not_found');
  err(await call('POST', `${A}/${d.json.id}/end`, { session: oLead, headers: tag, body: { reason: 'other', valid_to: '2025-05-01' } }), 404, 'not_found');
  err(await call('GET', `${A}/${d.json.id}/letter`, { session: oLead }), 404, 'not_found');
});

test('back payments: months whose run was approved before the decision are paid once by the next run', async () => {
  // a service of its own, so that its runs hold only these dossiers
  const tb = await freshTenant('ahback');
  await enableAlimente(tb.slug);
  ok(await call('PUT', '/api/v1/payment-account', { session: tb.admin,
    body: { name: 'Sozialdienst Nach', iban: 'CH93 0076 2011 6238 5295 7', street: 'Bälliz', house_no: '1', postcode: '3600', town: 'Thun', country: 'CH' } }), 200);
  const [bcw, blead, bacc] = [await user(tb, 'caseworker'), await user(tb, 'teamlead'), await user(tb, 'accounting')];
  const newRun = async (month) => {
    const job = await jobOf(await call('POST', R, { session: bacc, body: { month } }), bacc);
    return ok(await call('GET', `${R}/${job.result.run}`, { session: bacc }), 200);
  };
  const recompute = async (run) => {
    ok(await call('POST', `${R}/${run.json.id}/recompute`, { session: bacc, headers: { 'if-match': run.headers.get('etag') } }), 200);
    return ok(await call('GET', `${R}/${run.json.id}`, { session: bacc }), 200);
  };
  const approve = async (run) => ok(await call('POST', `${R}/${run.json.id}/approve`, { session: blead,
    headers: { 'if-match': run.headers.get('etag') } }), 200);
  // December 2024 to April 2025 paid by approved runs before anything is
  // decided (they pay another family's advance decided earlier)
  const x = await family(tb, bcw, [{ birth: '2013-01-01', amount: 30000 }]);
  const early = (await decide(bcw, blead, await propose(bcw, x.dossier, x.children[0], '2024-12-01'))).json.id;
  for (const m of ['2024-12', '2025-01', '2025-02', '2025-03', '2025-04']) {
    const r = await newRun(m);
    assert.deepEqual(r.json.lines.map((l) => [l.source_id, l.for_month]), [[early, m]], show(r));
    await approve(r);
  }
  // Anna (above the cap), Ben (below; his decision ends with February),
  // Carl (18 on 15 April 2025: April is his last month); Dora's title
  // ends with March
  const f = await family(tb, bcw, [{ birth: '2015-06-10', amount: 120000 }, { birth: '2016-02-03', amount: 45055 },
    { birth: '2007-04-15', amount: 60000 }]);
  const g = await family(tb, bcw, [{ birth: '2014-01-01', amount: 65000 }], { endsOn: '2025-04-01' });
  const adv = [];
  for (const c of [...f.children, ...g.children])
    adv.push((await decide(bcw, blead, await propose(bcw, c === g.children[0] ? g.dossier : f.dossier, c, '2025-01-01'))));
  ok(await call('POST', `${A}/${adv[1].json.id}/end`, { session: bcw, headers: { 'if-match': adv[1].headers.get('etag') },
    body: { reason: 'means', valid_to: '2025-03-01' } }), 200);
  const [anna, ben, carl, dora] = adv.map((a) => a.json.id);
  assert.deepEqual(adv.map((a) => a.json.amount), [100800, 45055, 60000, 65000]);

  const expected = [
    ...['01', '02', '03', '04'].map((m) => [anna, `2025-${m}`, 100800, true]), [anna, '2025-05', 100800, false],
    [ben, '2025-01', 45055, true], [ben, '2025-02', 45055, true],
    ...['01', '02', '03', '04'].map((m) => [carl, `2025-${m}`, 60000, true]),
    ...['01', '02', '03'].map((m) => [dora, `2025-${m}`, 65000, true]),
  ].sort((x, y) => `${x[0]} ${x[1]}`.localeCompare(`${y[0]} ${y[1]}`));
  const linesOf = (run) => run.json.lines.filter((l) => l.kind === 'ah_advance' && l.source_id !== early)
    .map((l) => [l.source_id, l.for_month, l.amount, /^Nachzahlung /.test(l.text)])
    .sort((x, y) => `${x[0]} ${x[1]}`.localeCompare(`${y[0]} ${y[1]}`));
  let may = await newRun('2025-05');
  assert.deepEqual(linesOf(may), expected, show(may));
  assert.ok(may.json.lines.every((l) => l.status === 'open'), show(may));
  // the purpose names the child and the month
  const janAnna = may.json.lines.find((l) => l.source_id === anna && l.for_month === '2025-01');
  assert.match(janAnna.text, /^Nachzahlung Bevorschussung Unterhalt .+ Bevor 2025-01$/);
  const total = (run) => run.json.lines.filter((l) => l.source_id !== early).reduce((s, l) => s + l.amount, 0);
  assert.equal(total(may), 5 * 100800 + 2 * 45055 + 4 * 60000 + 3 * 65000);
  assert.equal(total(may), 1029110);
  // the early family's May only: its months were paid by their runs
  assert.deepEqual(may.json.lines.filter((l) => l.source_id === early).map((l) => l.for_month), ['2025-05']);

  // discarded and made again, computed again: the same lines, once
  ok(await call('DELETE', `${R}/${may.json.id}`, { session: bacc, headers: { 'if-match': may.headers.get('etag') } }), 204);
  may = await newRun('2025-05');
  assert.deepEqual(linesOf(may), expected);
  may = await recompute(may);
  assert.deepEqual(linesOf(may), expected);
  // June computed while May is a draft: May's back payments are not paid twice
  let june = await newRun('2025-06');
  assert.deepEqual(linesOf(june), [[anna, '2025-06', 100800, false]], show(june));
  await approve(may);
  june = await recompute(june);
  assert.deepEqual(linesOf(june), [[anna, '2025-06', 100800, false]], show(june));
  await approve(june);
  // July: nothing is left to catch up
  const july = await newRun('2025-07');
  assert.deepEqual(linesOf(july), [[anna, '2025-07', 100800, false]], show(july));
  // each child and month paid once; nothing before the decision or after its end
  assert.equal(sql(DB_OWNER, `select count(*) from payment_line where kind = 'ah_advance' and source_id in (${anna}, ${ben}, ${carl}, ${dora})
    group by source_id, for_month having count(*) > 1`), '');
  assert.equal(sql(DB_OWNER, `select count(*) from payment_line where kind = 'ah_advance' and source_id in (${anna}, ${ben}, ${carl}, ${dora})
    and (for_month < '2025-01-01' or (source_id = ${ben} and for_month >= '2025-03-01') or (source_id = ${carl} and for_month >= '2025-05-01')
    or (source_id = ${dora} and for_month >= '2025-04-01'))`), '0');
  // the schedule shows the months as advanced once the run is approved
  const sched = ok(await call('GET', `${C}/${f.dossier}/schedule?from=2024-12&to=2025-06`, { session: bcw }), 200).json;
  const months = (cr) => sql(DB_OWNER, `select string_agg(to_char(month, 'YYYY-MM') || '=' || advanced, ','
    order by month) from ah_month_v where creditor_id = ${cr} and month between '2024-12-01' and '2025-06-01'`);
  assert.equal(months(f.children[0]), '2024-12=0,2025-01=100800,2025-02=100800,2025-03=100800,2025-04=100800,2025-05=100800,2025-06=100800');
  assert.equal(months(f.children[1]), '2024-12=0,2025-01=45055,2025-02=45055,2025-03=0,2025-04=0,2025-05=0,2025-06=0');
  assert.match(JSON.stringify(sched), /"advanced":100800/);

  // Ben's maintenance rises (as an indexation would) and a new decision
  // from February grants more: February is topped up to the new amount,
  // March to July are paid back in full, each once, never beyond it
  await approve(july);
  sql(DB_OWNER, `update ah_due set amount = 60000, title_amount = 60000 where creditor_id = ${f.children[1]} and month >= '2025-01-01'`);
  const more = (await decide(bcw, blead, await propose(bcw, f.dossier, f.children[1], '2025-02-01'))).json;
  assert.equal(more.amount, 60000);
  const aug = await newRun('2025-08');
  const ben2 = aug.json.lines.filter((l) => [ben, more.id].includes(l.source_id)).map((l) => [l.source_id, l.for_month, l.amount])
    .sort((x, y) => x[1].localeCompare(y[1]));
  assert.deepEqual(ben2, [[more.id, '2025-02', 60000 - 45055], ...['03', '04', '05', '06', '07', '08'].map((m) => [more.id, `2025-${m}`, 60000])], show(aug));
  assert.equal(sql(DB_OWNER, `select sum(amount) from payment_line where kind = 'ah_advance' and source_id in (${ben}, ${more.id})
    and for_month = '2025-02-01'`), '60000');
  assert.equal(sql(DB_OWNER, `select count(*) from payment_line where kind = 'ah_advance' and source_id in (${ben}, ${more.id})
    and for_month = '2025-01-01'`), '1', 'January stays with the first decision');
});

test('the team lead\'s overview of decisions awaiting approval across dossiers, and the work-list row', async () => {
  const f = await family(t, cw, [{ birth: '2015-01-01', amount: 50000 }]);
  const g = await family(t, cw2, [{ birth: '2016-01-01', amount: 40000 }]);
  const a = await propose(cw, f.dossier, f.children[0], '2025-01-01');
  ok(await call('POST', `${A}/${a.json.id}/submit`, { session: cw, headers: { 'if-match': a.headers.get('etag') } }), 200);
  const b = await propose(cw2, g.dossier, g.children[0], '2025-02-01');
  ok(await call('POST', `${A}/${b.json.id}/submit`, { session: lead2, headers: { 'if-match': b.headers.get('etag') } }), 200);
  const draft = await propose(cw, f.dossier, f.children[0], '2025-03-01');
  const all = [];
  let after = null;
  do {
    const page = ok(await call('GET', `${A}?limit=2${after ? `&after=${after}` : ''}`, { session: lead }), 200).json;
    assert.equal(page.state, 'submitted');
    assert.ok(page.items.length <= 2);
    all.push(...page.items);
    after = page.next;
  } while (after);
  const mine = all.filter((x) => [a.json.id, b.json.id, draft.json.id].includes(x.id));
  assert.deepEqual(mine.map((x) => x.id), [a.json.id, b.json.id], 'the submitted ones, not the draft');
  const x = mine[0];
  assert.equal(x.dossier_id, f.dossier);
  assert.equal(x.amount, 50000);
  assert.equal(x.valid_from, '2025-01-01');
  assert.equal(x.submitted_by.id, cw.id);
  assert.ok(x.submitted_at);
  assert.equal(typeof x.dossier_number, 'string');
  assert.equal(x.client, 'Berta Bevor');
  assert.deepEqual(x.child.birth_date, '2015-01-01');
  // another state on request; a state that does not exist is refused
  const drafts = ok(await call('GET', `${A}?state=draft&limit=500`, { session: lead }), 200).json;
  assert.ok(drafts.items.some((i) => i.id === draft.json.id));
  assert.ok(!drafts.items.some((i) => i.id === a.json.id));
  assert.equal(err(await call('GET', `${A}?state=pending`, { session: lead }), 400, 'invalid_parameter').detail.parameter, 'state');
  // the read is audited with the dossiers it showed
  assert.ok(Number(sql(DB_OWNER, `select count(*) from audit_read where route = 'GET /api/v1/alimente/advances' and actor_id = ${lead.id}`)) >= 1);
  // case workers and accounting lack alimente.approve
  err(await call('GET', A, { session: cw }), 403, 'forbidden');
  err(await call('GET', A, { session: acc }), 403, 'forbidden');
  // another service sees none of them
  const o = await freshTenant('ahadvo');
  await enableAlimente(o.slug);
  const oLead = await user(o, 'teamlead');
  const theirs = ok(await call('GET', `${A}?limit=500`, { session: oLead }), 200).json;
  assert.ok(!theirs.items.some((i) => [a.json.id, b.json.id].includes(i.id)));
  // the work list: a team lead sees what he may approve (not what he submitted)
  const wl = ok(await call('GET', '/api/v1/worklist', { session: lead }), 200).json;
  assert.ok((wl.ah_advances_awaiting || []).some((i) => i.id === a.json.id && i.dossier_id === f.dossier && i.amount === 50000));
  const wl2 = ok(await call('GET', '/api/v1/worklist', { session: lead2 }), 200).json;
  assert.ok(!(wl2.ah_advances_awaiting || []).some((i) => i.id === b.json.id), 'lead2 submitted it');
  assert.ok((wl2.ah_advances_awaiting || []).some((i) => i.id === a.json.id));
  const wlc = ok(await call('GET', '/api/v1/worklist', { session: cw }), 200).json;
  assert.equal(wlc.ah_advances_awaiting, undefined, 'not for a case worker');
});
