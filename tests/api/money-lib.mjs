// Helpers of the Sozialhilfe money tests (payments.test.mjs,
// money.test.mjs): IBANs, dossiers with budgets made as the owner role
// (budgets in far-off months with exactly known amounts), the lines of a
// run, bank files, and writes that send the record's ETag.
import assert from 'node:assert/strict';
import { call, ok, as, sql, DB_OWNER, tenantId, jobOf } from './lib.mjs';

export const R = '/api/v1/payment-runs';

/** A valid Swiss IBAN (mod 97) with a random account number. */
export function iban(bank = '00762') {
  const acct = String(Math.floor(Math.random() * 1e12)).padStart(12, '0');
  const bban = bank + acct;
  const check = 98n - (BigInt(`${bban}121700`) % 97n);
  return `CH${String(check).padStart(2, '0')}${bban}`;
}

/** A SQL literal. */
export const q = (s) => (s === null || s === undefined ? 'NULL' : `'${String(s).replace(/'/g, "''")}'`);

/** A year from..to in which the tenant has no payment run yet (own runs per test file). */
export function freeYear(tenant, from, to) {
  return Number(sql(DB_OWNER, `select y from generate_series(${from}, ${to}) y where not exists (select 1 from payment_run
    where tenant_id = ${tenant} and extract(year from month) = y) order by random() limit 1`));
}

export function userId(slug, username) {
  return Number(sql(DB_OWNER, `select u.id from app_user u join tenant t on t.id = u.tenant_id
    where t.slug = ${q(slug)} and u.username = ${q(username)}`));
}

/** Insert one budget (approved unless said) for dossier id; returns its id. */
export function addBudget(tenant, dossierId, creator, b) {
  const input = { rent: b.rent || 0, kvg_premium: b.kvg || 0 };
  if (b.kvgDirect) { input.kvg_direct = true; input.insurer = b.insurer; }
  const bid = sql(DB_OWNER, `insert into sh_budget (tenant_id, dossier_id, valid_from, input, need,
      income_counted, payment, rent_direct, landlord, provenance, status, created_by)
    values (${tenant}, ${dossierId}, ${q(b.from)}, ${q(JSON.stringify(input))}, ${b.payment}, 0, ${b.payment},
      ${b.rentDirect ? 'true' : 'false'}, ${b.landlord ? q(JSON.stringify(b.landlord)) : 'NULL'}, '[]',
      ${q(b.status || 'approved')}, ${creator}) returning id`);
  const lines = [];
  if (b.rent) lines.push(`(${tenant}, ${bid}, 2, 'rent', ${b.rent}, 'Miete')`);
  if (b.kvg) lines.push(`(${tenant}, ${bid}, 3, 'kvg', ${b.kvg}, 'KVG')`);
  if (lines.length) sql(DB_OWNER, `insert into sh_budget_line (tenant_id, budget_id, pos, code, amount, explain) values ${lines.join(',')}`);
  return Number(bid);
}

/**
 * A dossier with its applicant, household and budgets: opts {bfs, iban,
 * state, last, first, town, budgets: [{from, payment, rent, kvg,
 * rentDirect, landlord, kvgDirect, insurer, status}]}. Returns {id, person}.
 */
export function makeDossier(tenant, creator, opts = {}) {
  const t = tenant;
  const bfs = opts.bfs || 942;
  const acct = opts.iban === undefined ? iban() : opts.iban;
  const out = sql(DB_OWNER, `with p as (insert into person (tenant_id, last_name, first_name, birth_date,
      street, house_no, postcode, town, country, iban) values (${t}, ${q(opts.last || 'Muster')},
      ${q(opts.first || 'Anna')}, '1980-04-01', 'Bahnhofstrasse', '12', '3600', ${q(opts.town === undefined ? 'Thun' : opts.town)},
      'CH', ${q(acct)}) returning id),
    h as (insert into household (tenant_id, name) values (${t}, 'Haushalt') returning id),
    m as (insert into household_member (tenant_id, household_id, person_id, role, valid_from)
      select ${t}, h.id, p.id, 'applicant', '2020-01-01' from h, p),
    d as (insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs)
      select ${t}, 'sozialhilfe', h.id, p.id, ${q(opts.state || 'ongoing')}, ${bfs} from h, p returning id)
    select d.id || ',' || p.id from d, p`);
  const [id, person] = out.split(',');
  for (const b of opts.budgets || []) addBudget(t, id, creator, b);
  return { id: Number(id), person: Number(person) };
}

/** Every line of a run (follows the lines cursor). */
export async function allLines(id, session) {
  const lines = [];
  let after = null;
  for (let i = 0; i < 1000; i++) {
    const r = ok(await call('GET', `${R}/${id}?limit=50${after ? `&after=${after}` : ''}`, { session }), 200);
    lines.push(...r.json.lines);
    if (r.json.next === null) return lines;
    after = r.json.next;
  }
  throw new Error('too many pages');
}

/**
 * Create the run of body.month: the route answers 202 with the job that
 * computes its lines; returns the run as GET answers it (json with the
 * first page of lines, the ETag) once the job is done, and the job.
 */
export async function newRun(session, body) {
  const job = await jobOf(await call('POST', R, { session, body }), session);
  assert.equal(job.type, 'core.payment_run');
  const run = ok(await call('GET', `${R}/${job.result.run}`, { session }), 200);
  assert.equal(job.result.month, body.month);
  assert.equal(job.result.lines, run.json.summary.lines);
  return Object.assign(run, { job });
}

/**
 * Export approved run id (a job books the client accounts), then the
 * file: GET .../pain001's answer, with the job.
 */
export async function exportRun(session, id) {
  const job = await jobOf(await call('POST', `${R}/${id}/export`, { session }), session);
  assert.equal(job.result.run, id);
  assert.equal(job.result.file, `${R}/${id}/pain001`);
  const file = await call('GET', job.result.file, { session });
  return Object.assign(file, { job });
}

/**
 * Upload a camt.054 notification: it is checked at once (an error is the
 * answer), then booked by a job (202); returns the answer with the job's
 * result as its json and status 200, as the route answered before the
 * import became a job, and the job.
 */
export async function reconcile(session, xml, ctype = 'application/xml') {
  const res = await call('POST', `${R}/reconcile`, { session, raw: xml, headers: { 'content-type': ctype } });
  if (res.status !== 202) return res;
  const job = await jobOf(res, session);
  assert.equal(job.type, 'core.bank_import');
  return { ...res, status: 200, json: job.result, text: JSON.stringify(job.result), job };
}

export async function setAccount(session, body) {
  const cur = await call('GET', '/api/v1/payment-account', { session });
  const headers = cur.status === 200 ? { 'if-match': cur.headers.get('etag') } : {};
  return ok(await call('PUT', '/api/v1/payment-account', { session, headers, body }), 200);
}

/** The current ETag of a record read with GET path. */
export async function etagOf(path, session) {
  const r = ok(await call('GET', path, { session }), 200);
  return r.headers.get('etag');
}

/** A write to the record at path (its ETag read first, as a screen has it). */
export async function writeFresh(method, path, session, body, readPath = path) {
  const etag = await etagOf(readPath, session);
  return call(method, path, { session, body, headers: { 'if-match': etag } });
}

/** Approve run id as session, with the ETag the approver sees. */
export function approveRun(session, id) {
  return writeFresh('POST', `${R}/${id}/approve`, session, undefined, `${R}/${id}`);
}

/** Approve one-off payment o ({id, version}) as session. */
export function approveOneOff(session, o) {
  return call('POST', `/api/v1/one-off-payments/${o.id}/approve`, { session, headers: { 'if-match': `"${o.version}"` } });
}

/** Book a repayment by hand on claim id. */
export function repay(session, id, body) {
  return writeFresh('POST', `/api/v1/claims/${id}/repayments`, session, body, `/api/v1/claims/${id}`);
}

export const THUN_ACCOUNT = {
  name: 'Sozialdienst Thun', iban: 'CH9300762011623852957', street: 'Hofstettenstrasse', house_no: '14',
  postcode: '3602', town: 'Thun', country: 'CH',
};
export const BIEL_ACCOUNT = {
  name: 'Services sociaux Bienne', iban: 'CH5800791123000889012', town: 'Biel/Bienne', postcode: '2502', country: 'CH',
};

/**
 * What the money tests start from: tenant ids, sessions of thun's and
 * biel's roles, user ids, and both services' payment accounts set.
 */
export async function moneySetUp() {
  const x = { thun: Number(tenantId('thun')), biel: Number(tenantId('biel')), uid: {} };
  for (const [k, t, u] of [['acc', 'thun', 'accounting'], ['lead', 'thun', 'teamlead'], ['cw', 'thun', 'caseworker'],
    ['admin', 'thun', 'admin'], ['biAcc', 'biel', 'accounting'], ['biAdmin', 'biel', 'admin'], ['biCw', 'biel', 'caseworker']]) {
    x[k] = await as(t, u);
    x.uid[k] = userId(t, u);
  }
  await setAccount(x.admin, THUN_ACCOUNT);
  await setAccount(x.biAdmin, BIEL_ACCOUNT);
  return x;
}

/** A valid QR reference (recursive mod 10) from up to 26 digits. */
export function qrRef(digits) {
  const body = String(digits).padStart(26, '0');
  const tab = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];
  let carry = 0;
  for (const ch of body) carry = tab[(carry + Number(ch)) % 10];
  return body + ((10 - carry) % 10);
}
