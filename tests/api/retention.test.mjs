// Retention (issue 15): the daily job core.retention deletes a closed
// dossier whose period (the canton's `retention` rule pack) is over, with
// its documents, journal, client account and module records, then the
// persons no other record names; a legal hold, an open dossier and
// accounting records of a recent business year stop it. The protected
// fields of a deleted person, the documents and protected journal notes
// of the dossier had their own keys outside the database, which the job
// destroys: a copy of the rows from a database dump (a restored backup)
// no longer opens. The audit chain records the deletion (ids and counts)
// and still verifies.
//
// Everything runs in a fresh social service; the dossiers are made in the
// database (the workflow has its own tests) with dates years back, and the
// deletion runs only through the job API.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import {
  call, ok, err, show, as, login, createUser, freshTenant, sql, DB_OWNER, DB_APP, DB_SUPER,
  until, tenantId, uniq, ahvNumber, surname, fixtureHousehold,
} from './lib.mjs';

const KEYS = process.env.KASUS_KEY_DIR;
const owner = (q) => sql(DB_OWNER, q);

let t, tid, cw, auditor, biel;
before(async () => {
  t = await freshTenant('ret');
  tid = tenantId(t.slug);
  const u = await createUser(t.admin, ['caseworker']);
  cw = await login(t.slug, u.username, u.password);
  const a = await createUser(t.admin, ['auditor']);
  auditor = await login(t.slug, a.username, a.password);
  biel = await as('biel', 'admin');
  // the module, for the journal of a dossier (its route)
  ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/sozialhilfe`, { session: await as('canton', 'canton-admin'),
    body: { enabled: true, start_date: '2020-01-01' } }), 200);
  // The scheduler queues today's run for the new tenant within seconds;
  // let it finish (it finds nothing) before the dossiers exist.
  const sched = await until(() => owner(`select state from job where tenant_id = ${tid}
    and type = 'core.retention' and not coalesce((payload->>'manual')::boolean, false)`) === 'done', 20000, 200);
  assert.ok(sched, 'the scheduled retention run of the new tenant ran');
});

/** A person through the API (the AHV number is sealed there). */
async function person(last = surname()) {
  return ok(await call('POST', '/api/v1/persons', { session: cw, body: {
    last_name: last, first_name: 'Anna', birth_date: '1970-05-05', ahv: ahvNumber(),
  } }), 201).json;
}

/**
 * A household of the given persons (first the applicant) and a dossier (one psql call);
 * booking: a day with an entry in its client account; paid: a day on which a payment run
 * paid it (an exported run's line, which the client account shows as its payment).
 */
function dossier(persons, { state = 'closed', closedYearsAgo = 11, booking = null, paid = null } = {}) {
  const closed = state === 'closed' ? `(current_date - interval '${closedYearsAgo} years')::date` : 'null::date';
  const members = persons.map((p, i) => `(${p.id}, '${i === 0 ? 'applicant' : 'partner'}')`).join(', ');
  const out = owner(`with hh as (insert into household (tenant_id, name) values (${tid}, '${uniq('hh')}') returning id),
    m as (insert into household_member (tenant_id, household_id, person_id, role, valid_from)
      select ${tid}, hh.id, v.p, v.r, '2010-01-01' from hh, (values ${members}) v (p, r)),
    d as (insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs, opened_on,
        closed_on, closure_reason)
      select ${tid}, 'sozialhilfe', hh.id, ${persons[0].id}, '${state}', 942, (current_date - interval '14 years')::date,
        ${closed}, ${state === 'closed' ? "'other'" : 'null'} from hh returning id, household_id),
    l as (insert into ledger_entry (tenant_id, dossier_id, booked_on, kind, amount, text)
      select ${tid}, d.id, ${booking ? `'${booking}'` : 'null'}::date, 'payment', -250000, 'Grundbedarf'
        from d where ${booking ? 'true' : 'false'}),
    r as (insert into payment_run (tenant_id, month, status, exec_date, created_by, approved_by, approved_at, msg_id,
        created_ts, debtor, exported_at, exported_by, file_sha256)
      select ${tid}, date_trunc('month', ${paid ? `'${paid}'` : 'null'}::date)::date, 'approved', ${paid ? `'${paid}'` : 'null'}::date,
        ${cw.data.user.id}, ${t.adminId}, now(), 'KSRET' || d.id, '2000-01-01T00:00:00', '{}', now(), ${cw.data.user.id},
        repeat('0', 64)
        from d where ${paid ? 'true' : 'false'} returning id),
    pl as (insert into payment_line (tenant_id, run_id, dossier_id, module, kind, source_id, amount, name, iban, ustrd)
      select ${tid}, r.id, d.id, 'sozialhilfe', 'support', d.id, 250000, 'Anna', 'CH9300762011623852957', 'Sozialhilfe'
        from d, r)
    select d.id || ',' || d.household_id from d`);
  const [id, household] = out.split(',').map(Number);
  return { id, household };
}

const count = (table, where) => Number(owner(`select count(*) from ${table} where tenant_id = ${tid} and ${where}`));

async function runJob() {
  const j0 = ok(await call('POST', '/api/v1/jobs', { session: t.admin, body: { type: 'core.retention' } }), 202).json;
  const j = await until(async () => {
    const x = ok(await call('GET', `/api/v1/jobs/${j0.id}`, { session: t.admin }), 200).json;
    return ['done', 'failed', 'dead'].includes(x.state) ? x : null;
  }, 30000, 200);
  assert.ok(j, `job ${j0.id} did not end`);
  assert.equal(j.state, 'done', JSON.stringify(j));
  return j;
}

const holdPath = (id) => `/api/v1/retention/holds/${id}`;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');

/** A document's content as bytes, as the case worker downloads it. */
async function bytesOf(id) {
  const res = await fetch(`${process.env.KASUS_URL || 'http://127.0.0.1:18091'}/api/v1/documents/${id}/content`,
    { headers: { cookie: `ks_session=${cw.cookie}` } });
  const buf = Buffer.from(await res.arrayBuffer());
  let json;
  try { json = JSON.parse(buf.toString()); } catch { json = undefined; }
  return { status: res.status, buf, json };
}

test('the retention job deletes an expired closed dossier with its records and persons, keeps held, open and booked ones, shreds the keys, and the audit chain verifies', async () => {
  const last = surname();
  const a = await person(last);          // only in the expired dossier
  const b = await person();              // also applicant of an open dossier
  const e = await person();              // dossier on legal hold
  const f = await person();              // dossier with recent bookings
  const g = await person();              // closed two years ago
  const gone = dossier([a, b], { booking: `${new Date().getFullYear() - 12}-03-25` });
  const open = dossier([b], { state: 'ongoing' });
  const held = dossier([e]);
  // (paid by last year's December run: its client account's last booking)
  const booked = dossier([f], { paid: `${new Date().getFullYear() - 1}-12-25` });
  const young = dossier([g], { closedYearsAgo: 2 });
  // the expired dossier's records: journal, deadline, document with its
  // bytes, and a module's own record (sh_goal)
  const doc = owner(`with j as (insert into journal_entry (tenant_id, dossier_id, category, text, author_id, role_group)
      values (${tid}, ${gone.id}, 'conversation', 'Gespräch mit ${last}', ${cw.data.user.id}, 'caseworker')),
    dl as (insert into deadline (tenant_id, dossier_id, due_on, kind, text)
      values (${tid}, ${gone.id}, '2015-01-01', 'manual', 'x')),
    g as (insert into sh_goal (tenant_id, dossier_id, title, due_on, created_by)
      values (${tid}, ${gone.id}, 'Arbeit finden', '2015-06-01', ${cw.data.user.id})),
    doc as (insert into document (tenant_id, dossier_id, category, title, mime, size, sha256, uploaded_by)
      values (${tid}, ${gone.id}, 'id', 'Pass ${last}', 'application/pdf', 4, 'x', ${cw.data.user.id}) returning id),
    b as (insert into document_blob (tenant_id, document_id, content) select ${tid}, id, '\\x25504446' from doc)
    select id from doc`);

  // and a document uploaded through the API: sealed under the dossier's
  // key, a file in key_dir (the row above stands for one stored before
  // documents were sealed)
  const sealed = ok(await call('POST', `/api/v1/cases/${gone.id}/documents?category=income_proof&title=Lohn`,
    { session: cw, raw: PDF }), 201).json;
  // a protected journal note: its text sealed under the same key
  const note = `Gesundheit ${last}: vertraulich`;
  // (the module switch reaches every worker within seconds)
  const added = await until(async () => {
    const x = await call('POST', `/api/v1/cases/${gone.id}/journal`, { session: cw,
      body: { category: 'assessment', text: note, protected: true } });
    return x.status === 404 ? null : x;
  }, 10000, 250);
  const noteId = ok(added, 201).json.id;
  const journal = async () => call('GET', `/api/v1/cases/${gone.id}/journal`, { session: cw });
  assert.equal(ok(await journal(), 200).json.items.find((x) => x.id === noteId)?.text, note, 'it opens while the key exists');
  const dossierKey = owner(`select encode(key_id, 'hex') from dossier_key where dossier_id = ${gone.id}`);
  assert.equal(owner(`select text || '|' || encode(substring(text_sealed from 1 for 20), 'hex') from journal_entry where id = ${noteId}`),
    '|' + Buffer.from('KSJ1').toString('hex') + dossierKey, 'no plain text in the row');
  const dossierKeyFile = join(KEYS, `t${tid}-${dossierKey}.key`);
  assert.ok(existsSync(dossierKeyFile), 'the dossier key exists');
  assert.equal(owner(`select encode(substring(content from 1 for 20), 'hex') from document_blob where document_id = ${sealed.id}`),
    Buffer.from('KSD1').toString('hex') + dossierKey);
  assert.ok((await bytesOf(sealed.id)).buf.equals(PDF), 'it opens while the key exists');
  // what a dump taken now holds of it
  const docDump = Object.fromEntries(Object.entries({ dossier: `id = ${gone.id}`, document: `id = ${sealed.id}`,
    document_blob: `document_id = ${sealed.id}`, dossier_key: `dossier_id = ${gone.id}`, journal_entry: `id = ${noteId}` })
    .map(([tb, where]) => [tb, owner(`select row_to_json(x) from ${tb} x where ${where}`)]));

  // Legal hold: If-Match, a reason, audited; caseworkers may not.
  err(await call('PUT', holdPath(held.id), { session: cw, body: { hold: true, reason: 'Beschwerde' } }), 403, 'forbidden');
  err(await call('PUT', holdPath(held.id), { session: t.admin, body: { hold: true, reason: 'Beschwerde' } }), 428, 'precondition_required');
  const h0 = ok(await call('GET', holdPath(held.id), { session: t.admin }), 200);
  assert.equal(h0.json.legal_hold, false);
  const etag = h0.headers.get('etag');
  err(await call('PUT', holdPath(held.id), { session: t.admin, body: { hold: true }, headers: { 'if-match': etag } }), 400, 'missing_field');
  const stale = err(await call('PUT', holdPath(held.id), { session: t.admin, body: { hold: true, reason: 'x' },
    headers: { 'if-match': `"${h0.json.version - 1}"` } }), 409, 'conflict');
  assert.equal(stale.detail.current.legal_hold, false);
  const h1 = ok(await call('PUT', holdPath(held.id), { session: t.admin, body: { hold: true, reason: 'Beschwerde hängig' },
    headers: { 'if-match': etag } }), 200);
  assert.equal(h1.json.legal_hold, true);
  assert.equal(h1.json.reason, 'Beschwerde hängig');
  assert.equal(h1.json.held_by, t.adminId);
  assert.equal(h1.headers.get('etag'), `"${h0.json.version + 1}"`);
  assert.equal(count('audit_event', `action = 'legal_hold_set' and object_id = '${held.id}'`), 1);

  // The dry run: what the next run deletes, what it keeps and why.
  err(await call('GET', '/api/v1/retention/due', { session: cw }), 403, 'forbidden');
  const dryRes = ok(await call('GET', '/api/v1/retention/due?limit=50', { session: t.admin }), 200);
  const dry = dryRes.json;
  assert.equal(dry.periods.dossier_closed_years, 10);
  assert.equal(dry.periods.accounting_years, 10);
  // the pack that set them, effective-dated like every rule pack
  assert.deepEqual([dry.periods.rules.name, dry.periods.rules.version, dry.periods.rules.scope],
    ['retention', '2026.1', 'canton'], JSON.stringify(dry.periods));
  const status = Object.fromEntries(dry.items.map((x) => [x.dossier_id, x.status]));
  assert.deepEqual(status, { [gone.id]: 'due', [held.id]: 'legal_hold', [booked.id]: 'accounting' }, JSON.stringify(dry));
  assert.ok(!dryRes.text.includes(last), 'no names in the dry run');

  // What a database dump holds of the person about to be deleted: the
  // whole row, its AHV number sealed under a key of its own (KSV2 | id).
  const dump = owner(`select row_to_json(p) from person p where id = ${a.id}`);
  const raw = owner(`select encode(ahv_enc, 'hex') from person where id = ${a.id}`);
  assert.match(raw, /^4b535632[0-9a-f]{32}/, 'KSV2 and the key id');
  const keyFile = join(KEYS, `t${tid}-${raw.slice(8, 40)}.key`);
  assert.ok(existsSync(keyFile), `the value key ${keyFile} exists`);
  // while the key exists, the same row opens
  assert.match(ok(await call('GET', `/api/v1/persons/${a.id}`, { session: cw }), 200).json.ahv, /^756\./);

  const j = await runJob();
  assert.equal(j.result.dossiers, 1, JSON.stringify(j.result));
  assert.equal(j.result.on_legal_hold, 1);
  assert.equal(j.result.waiting_accounting, 1);
  assert.equal(j.result.keys_shredded, 2, 'the AHV number\'s key and the dossier\'s');
  const d = j.result.rows;
  for (const [k, n] of [['dossier', 1], ['journal_entry', 2], ['deadline', 1], ['document', 2], ['document_blob', 2],
    ['dossier_key', 1],
    ['ledger_entry', 1], ['sh_goal', 1], ['household', 1], ['household_member', 2], ['person', 1]])
    assert.equal(d[k], n, `${k}: ${JSON.stringify(d)}`);
  assert.deepEqual(j.progress, { done: 1, total: 1 });

  // Gone for good, everything of it, while the others stay: open, held,
  // booked, young, and the persons of those dossiers
  const left = JSON.parse(owner(`select json_build_object(
    'dossiers', (select json_agg(id order by id) from dossier where tenant_id = ${tid}
      and id in (${[gone, open, held, booked, young].map((x) => x.id)})),
    'records', (select count(*) from document where tenant_id = ${tid} and dossier_id = ${gone.id})
      + (select count(*) from document_blob where tenant_id = ${tid} and document_id = ${doc})
      + (select count(*) from journal_entry where tenant_id = ${tid} and dossier_id = ${gone.id})
      + (select count(*) from sh_goal where tenant_id = ${tid} and dossier_id = ${gone.id}),
    'persons', (select json_agg(id order by id) from person where tenant_id = ${tid}
      and id in (${[a, b, e, f, g].map((x) => x.id)})))`));
  assert.deepEqual(left, { dossiers: [open, held, booked, young].map((x) => x.id).sort((x, y) => x - y), records: 0,
    persons: [b, e, f, g].map((x) => x.id).sort((x, y) => x - y) });
  err(await call('GET', `/api/v1/persons/${a.id}`, { session: cw }), 404, 'not_found');
  assert.ok(!existsSync(keyFile), 'the value key was destroyed');
  assert.ok(!existsSync(dossierKeyFile), 'the dossier key was destroyed');
  // the person another live dossier names keeps a readable AHV number
  assert.match(ok(await call('GET', `/api/v1/persons/${b.id}`, { session: cw }), 200).json.ahv, /^756\./);

  // The runs: counts per kind, no personal data.
  const runs = ok(await call('GET', '/api/v1/retention/runs', { session: auditor }), 200);
  const run = runs.json.items.find((x) => x.job_id === j.id);
  assert.ok(run, show(runs));
  assert.deepEqual(run.deleted, d);
  assert.equal(run.dossiers, 1);
  assert.ok(!runs.text.includes(last), 'no names in the runs');
  // The audit chain records that it happened (ids and counts only) and
  // still verifies.
  const ev = JSON.parse(owner(`select detail from audit_event where tenant_id = ${tid}
    and action = 'retention_deleted' and object_id = '${gone.id}'`));
  assert.equal(ev.deleted.dossier, 1);
  assert.ok(!JSON.stringify(ev).includes(last));
  const v = ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200).json;
  assert.equal(v.ok, true, JSON.stringify(v));

  // A restored backup: the person's row as the dump had it is put back;
  // the server's decrypt path no longer opens its AHV number.
  const cols = owner(`select string_agg(quote_ident(column_name), ',') from information_schema.columns
    where table_schema = 'public' and table_name = 'person' and is_generated = 'NEVER'`);
  sql(DB_SUPER, `insert into person (${cols}) select ${cols} from json_populate_record(null::person, '${dump.replace(/'/g, "''")}')`);
  try {
    assert.equal(owner(`select encode(ahv_enc, 'hex') from person where id = ${a.id}`), raw, 'the same bytes as in the dump');
    err(await call('GET', `/api/v1/persons/${a.id}`, { session: cw }), 500, 'data_unreadable');
  } finally {
    sql(DB_SUPER, `delete from person_address where person_id = ${a.id}; delete from person where id = ${a.id}`);
  }

  // The same for the dossier's document and protected note: their rows
  // as the dump had them
  // are put back (references unchecked, as a partial restore would);
  // the stored bytes are the same, and they no longer open.
  const restore = Object.entries({ ...docDump, person: dump }).map(([tb, row]) => {
    const c = owner(`select string_agg(quote_ident(column_name), ',') from information_schema.columns
      where table_schema = 'public' and table_name = '${tb}' and is_generated = 'NEVER'`);
    return `insert into ${tb} (${c}) select ${c} from json_populate_record(null::${tb}, '${row.replace(/'/g, "''")}');`;
  }).join('\n');
  sql(DB_SUPER, `set session_replication_role = replica;\n${restore}`);
  try {
    assert.equal(owner(`select encode(substring(content from 1 for 20), 'hex') from document_blob where document_id = ${sealed.id}`),
      Buffer.from('KSD1').toString('hex') + dossierKey);
    const back = await bytesOf(sealed.id);
    assert.equal(back.status, 500);
    assert.equal(back.json?.error?.code, 'data_unreadable', back.buf.toString());
    err(await journal(), 500, 'data_unreadable');
  } finally {
    sql(DB_SUPER, `set session_replication_role = replica; delete from journal_entry where id = ${noteId};
      delete from document_blob where document_id = ${sealed.id};
      delete from document where id = ${sealed.id}; delete from dossier_key where dossier_id = ${gone.id};
      delete from dossier where id = ${gone.id}; delete from person where id = ${a.id}`);
  }
  assert.equal(ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200).json.ok, true);

  // A second run finds nothing more to delete; lifting the hold lets the
  // next run take the held dossier.
  const h2 = ok(await call('GET', holdPath(held.id), { session: t.admin }), 200);
  ok(await call('PUT', holdPath(held.id), { session: t.admin, body: { hold: false },
    headers: { 'if-match': h2.headers.get('etag') } }), 200);
  const j2 = await runJob();
  assert.equal(j2.result.dossiers, 1, JSON.stringify(j2.result));
  assert.equal(j2.result.on_legal_hold, 0);
  assert.equal(count('dossier', `id = ${held.id}`), 0);
  assert.equal(count('person', `id = ${e.id}`), 0);
  assert.equal(ok(await call('GET', '/api/v1/audit/verify', { session: auditor }), 200).json.ok, true);
});

test('retention routes and runs are the tenant\'s own', async () => {
  const p = await person();
  const x = dossier([p], { closedYearsAgo: 12 });
  // another tenant's administrator: 404 for the dossier, none of its runs
  err(await call('GET', holdPath(x.id), { session: biel }), 404, 'not_found');
  err(await call('PUT', holdPath(x.id), { session: biel, body: { hold: true, reason: 'x' }, headers: { 'if-match': '"1"' } }), 404, 'not_found');
  const due = ok(await call('GET', '/api/v1/retention/due?limit=500', { session: biel }), 200).json;
  assert.ok(!due.items.some((y) => y.dossier_id === x.id));
  const ours = owner(`select string_agg(id::text, ',') from retention_run where tenant_id = ${tid}`).split(',').filter(Boolean).map(Number);
  assert.ok(ours.length >= 1);
  const theirs = ok(await call('GET', '/api/v1/retention/runs?limit=500', { session: biel }), 200).json.items;
  assert.ok(!theirs.some((r) => ours.includes(r.id)), 'no run of another tenant');
  // the table is under row-level security: without a tenant, no rows
  assert.equal(sql(DB_APP, 'select count(*) from retention_run'), '0');
  assert.equal(sql(DB_APP, `begin; set local kasus.tenant_id = '${tid}'; select count(*) > 0 from retention_run; commit`).split('\n').includes('t'), true);
  // the purge function deletes nothing of another tenant either
  const other = tenantId('biel');
  const purge = (tenant, closedBefore = 'current_date') => sql(DB_APP, `begin; set local kasus.tenant_id = '${tenant}';
    select retention_purge_dossier(${x.id}, (${closedBefore})::date, current_date) is null; commit`).split('\n').includes('t');
  assert.equal(purge(other), true);
  assert.equal(count('dossier', `id = ${x.id}`), 1);
  // nor, called directly, a dossier of its own tenant before its period
  assert.equal(purge(tid, "current_date - interval '20 years'"), true);
  assert.equal(count('dossier', `id = ${x.id}`), 1);
});

test('a value key no row names any more (the old AHV number after a change) is destroyed by the next run', async () => {
  const p = await person();
  const keyOf = () => owner(`select encode(substring(ahv_enc from 5 for 16), 'hex') from person where id = ${p.id}`);
  const k1 = join(KEYS, `t${tid}-${keyOf()}.key`);
  const cur = ok(await call('GET', `/api/v1/persons/${p.id}`, { session: cw }), 200);
  const ahv = ahvNumber();
  ok(await call('PATCH', `/api/v1/persons/${p.id}`, { session: cw, body: { ahv },
    headers: { 'if-match': cur.headers.get('etag') } }), 200);
  const k2 = join(KEYS, `t${tid}-${keyOf()}.key`);
  assert.notEqual(k1, k2, 'the new number has a key of its own');
  assert.ok(existsSync(k1) && existsSync(k2));
  // Dossier keys: a live dossier's key stays however old it is; one whose
  // dossier's rows are gone (a crash between deletion and shredding)
  // goes like the person keys.
  const live = dossier([p], { state: 'ongoing' });
  const orphan = dossier([await person()], { state: 'ongoing' });
  const docs = [];
  for (const x of [live, orphan])
    docs.push(ok(await call('POST', `/api/v1/cases/${x.id}/documents?category=other&title=k`, { session: cw, raw: PDF }), 201).json);
  const [kLive, kOrphan] = [live, orphan].map((x) => join(KEYS, `t${tid}-${owner(`select encode(key_id, 'hex') from dossier_key where dossier_id = ${x.id}`)}.key`));
  owner(`delete from document_blob where document_id = ${docs[1].id}; delete from document where id = ${docs[1].id};
    delete from dossier_key where dossier_id = ${orphan.id}`);
  // a young orphan may belong to a row not yet committed: it stays; an
  // hour old, it goes
  let j = await runJob();
  assert.ok(existsSync(k1), 'younger than an hour: kept');
  assert.ok(existsSync(kOrphan), 'younger than an hour: kept');
  const old = new Date(Date.now() - 2 * 3600 * 1000);
  for (const f of [k1, k2, kLive, kOrphan]) utimesSync(f, old, old);
  j = await runJob();
  assert.ok(j.result.keys_shredded >= 2, JSON.stringify(j.result));
  assert.ok(!existsSync(k1), 'the old number\'s key was destroyed');
  assert.ok(!existsSync(kOrphan), 'the orphaned dossier key was destroyed');
  assert.ok(existsSync(k2));
  assert.ok(existsSync(kLive), 'a live dossier\'s key stays');
  assert.equal(ok(await call('GET', `/api/v1/persons/${p.id}`, { session: cw }), 200).json.ahv.replace(/\./g, ''), ahv);
  assert.ok((await bytesOf(docs[0].id)).buf.equals(PDF), 'the live dossier\'s document opens');
});

test('a dossier made through the workflow (budget, decision with its PDF, checklist, deadlines, goal) is deleted whole once its period is over', async () => {
  const C = '/api/v1/cases';
  const [tcw, ttl, tadmin] = [await as('thun', 'caseworker'), await as('thun', 'teamlead'), await as('thun', 'admin')];
  const etag = async (s, p) => ok(await call('GET', p, { session: s }), 200).headers.get('etag');
  const write = async (method, p, s, body, read = p) => call(method, p, { session: s, body, headers: { 'if-match': await etag(s, read) } });
  const move = (id, to, extra = {}) => write('POST', `${C}/${id}/transitions`, tcw, { to, ...extra }, `${C}/${id}`);
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1984-03-03' }, { role: 'child', birth: '2012-05-05' }]);
  const x = ok(await call('POST', C, { session: tcw, body: {
    household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, caseworker_id: tcw.data.user.id,
  } }), 201).json;
  ok(await move(x.id, 'intake'), 200);
  const b0 = ok(await call('POST', `${C}/${x.id}/budgets`, { session: tcw, body: {
    valid_from: '2026-01-01', rent: 140000, kvg_premium: 38000, assets: 100000, income: { employment: 0, other: 0 },
  } }), 201).json;
  const b = ok(await write('POST', `/api/v1/budgets/${b0.id}/approve`, ttl, undefined, `/api/v1/budgets/${b0.id}`), 200).json;
  ok(await write('PUT', `${C}/${x.id}/checklist`, tcw, { items: ['id', 'rent_contract', 'income_proof', 'bank_statements',
    'health_insurance'].map((code) => ({ code, received_on: '2026-01-05' })) }), 200);
  ok(await move(x.id, 'decision'), 200);
  const d = ok(await call('POST', `${C}/${x.id}/decisions`, { session: tcw, body: { budget_id: b.id } }), 201).json;
  ok(await call('POST', `/api/v1/decisions/${d.id}/approve`, { session: ttl, headers: { 'if-match': `"${d.version}"` } }), 200);
  ok(await move(x.id, 'closed', { closure_reason: 'work' }), 200);
  const tthun = tenantId('thun');
  const before = JSON.parse(sql(DB_OWNER, `select json_build_object('docs', (select count(*) from document where dossier_id = ${x.id}),
    'budgets', (select count(*) from sh_budget where dossier_id = ${x.id}), 'decisions', (select count(*) from sh_decision where dossier_id = ${x.id}),
    'transitions', (select count(*) from dossier_transition where dossier_id = ${x.id}))`));
  assert.ok(before.docs >= 1 && before.budgets === 1 && before.decisions === 1 && before.transitions >= 4, JSON.stringify(before));
  // the decision PDF the module stored is sealed under the dossier's key
  const wkey = sql(DB_OWNER, `select encode(key_id, 'hex') from dossier_key where dossier_id = ${x.id}`);
  assert.match(wkey, /^[0-9a-f]{32}$/);
  assert.equal(sql(DB_OWNER, `select bool_and(substring(b.content from 1 for 20) = decode('${Buffer.from('KSD1').toString('hex')}${wkey}', 'hex'))
    from document d join document_blob b on b.tenant_id = d.tenant_id and b.document_id = d.id where d.dossier_id = ${x.id}`), 't');
  const wkeyFile = join(KEYS, `t${tenantId('thun')}-${wkey}.key`);
  assert.ok(existsSync(wkeyFile));
  // eleven years on (the dates moved back instead)
  sql(DB_OWNER, `update dossier set closed_on = current_date - interval '11 years' where tenant_id = ${tthun} and id = ${x.id}`);
  const j0 = ok(await call('POST', '/api/v1/jobs', { session: tadmin, body: { type: 'core.retention' } }), 202).json;
  const j = await until(async () => {
    const y = ok(await call('GET', `/api/v1/jobs/${j0.id}`, { session: tadmin }), 200).json;
    return ['done', 'failed', 'dead'].includes(y.state) ? y : null;
  }, 30000, 200);
  assert.equal(j?.state, 'done', JSON.stringify(j));
  assert.ok(j.result.dossiers >= 1, JSON.stringify(j.result));
  const r = j.result.rows;
  for (const k of ['dossier', 'dossier_transition', 'document', 'document_blob', 'sh_budget', 'sh_budget_line', 'sh_decision', 'person'])
    assert.ok(r[k] >= 1, `${k}: ${JSON.stringify(r)}`);
  const after = JSON.parse(sql(DB_OWNER, `select json_build_object('dossier', (select count(*) from dossier where id = ${x.id}),
    'rest', (select count(*) from document where dossier_id = ${x.id}) + (select count(*) from sh_budget where dossier_id = ${x.id})
      + (select count(*) from deadline where dossier_id = ${x.id}) + (select count(*) from checklist where dossier_id = ${x.id}),
    'persons', (select count(*) from person where id in (${hh.persons})))`));
  assert.deepEqual(after, { dossier: 0, rest: 0, persons: 0 });
  assert.ok(!existsSync(wkeyFile), 'the dossier key was destroyed');
  const aud = await as('thun', 'auditor');
  assert.equal(ok(await call('GET', '/api/v1/audit/verify', { session: aud }), 200).json.ok, true);
});
