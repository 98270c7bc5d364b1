// What Kasus puts on paper, read back with pdftotext: the decision
// (Verfügung) with Swiss dates, a place-and-date line, the dossier
// reference, the benefits by name, a draft marked as such on every page
// and unsigned, every line of a long budget with its amount before the
// total, over numbered pages; the canton's invoices with Swiss dates and
// each phase named once, every share of a service with many
// municipalities over numbered pages; the letters from templates (a
// request for the missing documents, a cost guarantee) in German and
// French, stored as documents of the dossier; budget explanations in both
// languages for the reader.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  BASE, call, ok, err, as, sql, DB_OWNER, fixtureHousehold, tenantId, swissChf, freshTenant, isoDay,
} from './lib.mjs';

const C = '/api/v1/cases';
const ISO = /\b\d{4}-\d\d-\d\d\b/;
const MONTHS = {
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  fr: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
};
/** "3. Dezember 2026" / "3 décembre 2026" ("1er" for the first). */
const longDate = (iso, lang) => {
  const [y, m, d] = iso.split('-').map(Number);
  return lang === 'fr' ? `${d}${d === 1 ? 'er' : ''} ${MONTHS.fr[m - 1]} ${y}` : `${d}. ${MONTHS.de[m - 1]} ${y}`;
};
const today = () => isoDay();
const inDays = (n) => isoDay(n);

async function bytes(p, session) {
  const r = await fetch(BASE + p, { headers: { cookie: `ks_session=${session.cookie}` } });
  assert.equal(r.status, 200, `${p}: ${r.status}`);
  assert.equal(r.headers.get('content-type'), 'application/pdf');
  return Buffer.from(await r.arrayBuffer());
}
const text = (pdf, first, last) => execFileSync('pdftotext',
  [...(first ? ['-f', String(first), '-l', String(last ?? first)] : []), '-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');
/** pdftotext ends every page with a form feed. */
const pages = (pdf) => text(pdf).split('\f').length - 1;

/** The social service as sender: its name and its paying account's address. */
async function sender(slug) {
  const adm = await as(slug, 'admin');
  const a = ok(await call('GET', '/api/v1/payment-account', { session: adm }), 200).json;
  const name = sql(DB_OWNER, `select name from tenant where slug = '${slug}'`);
  const lines = [name, [a.street, a.house_no].filter(Boolean).join(' '), [a.postcode, a.town].filter(Boolean).join(' ')].filter(Boolean);
  return { lines, town: a.town };
}

let cw, tl, biel, bielTl;
test.before(async () => {
  cw = await as('thun', 'caseworker');
  tl = await as('thun', 'teamlead');
  biel = await as('biel', 'caseworker');
  bielTl = await as('biel', 'teamlead');
});

const ALL_DOCS = ['id', 'rent_contract', 'income_proof', 'bank_statements', 'health_insurance'];
/** The dossier's number, its reference on paper. */
const numberOf = (id) => sql(DB_OWNER, `select number from dossier where id = ${Number(id)}`);

/** A dossier of its own in the decision state (checklist complete unless docs says otherwise). */
async function dossier(slug, session, { lang = 'de', docs = ALL_DOCS, bfs = slug === 'biel' ? 371 : 942, state = 'decision' } = {}) {
  const hh = fixtureHousehold(slug, [{ role: 'applicant', birth: '1985-04-02', lang, last: 'Dubois', first: lang === 'fr' ? 'Émilie' : 'Erika' }]);
  const r = ok(await call('POST', C, { session, body: { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: bfs, caseworker_id: session.data.user.id } }), 201);
  const id = r.json.id;
  const move = async (to) => {
    const g = ok(await call('GET', `${C}/${id}`, { session }), 200);
    ok(await call('POST', `${C}/${id}/transitions`, { session, body: { to }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  };
  if (state === 'registration') return id;
  await move('intake');
  if (docs.length) {
    const g = await call('GET', `${C}/${id}/checklist`, { session });
    ok(await call('PUT', `${C}/${id}/checklist`, { session, body: { items: docs.map((code) => ({ code, received_on: '2026-11-02' })) }, headers: { 'if-match': g.headers.get('etag') ?? '' } }), 200);
  }
  if (state === 'decision') await move('decision');
  return id;
}

/** An approved budget and a drafted decision on it. */
async function decision(id, author, approver, body) {
  const b = ok(await call('POST', `${C}/${id}/budgets`, { session: author, body }), 201);
  const ba = await call('POST', `/api/v1/budgets/${b.json.id}/approve`, { session: approver, headers: { 'if-match': b.headers.get('etag') } });
  ok(ba, 200);
  const d = ok(await call('POST', `${C}/${id}/decisions`, { session: author, body: { budget_id: b.json.id } }), 201);
  return { budget: ba.json, decision: d.json };
}

const BUDGET = {
  valid_from: '2027-01-01', rent: 140000, kvg_premium: 38000, assets: 100000,
  income: { employment: 50000, other: 0 },
  sil: [{ code: 'dental', amount: 30000 }, { code: 'childcare', amount: 12000 }],
};

test('the decision: Swiss dates, place and date, reference, benefits by name; the draft is marked and unsigned', async () => {
  const id = await dossier('thun', cw);
  const { decision: d } = await decision(id, cw, tl, BUDGET);
  const draft = text(await bytes(`/api/v1/decisions/${d.id}/pdf`, cw));
  assert.doesNotMatch(draft, ISO, 'no ISO date anywhere');
  assert.match(draft, /ab 1\. Januar 2027/);
  assert.ok(draft.includes(`Thun, ${longDate(d.created_at.slice(0, 10), 'de')}`), `place and date line:\n${draft}`);
  assert.ok(draft.includes(`Dossier-Nr. ${numberOf(id)}`), 'the dossier reference');
  assert.ok(draft.includes(`Verfügung Nr. ${d.id}`));
  assert.match(draft, /Situationsbedingte Leistung, Zahnbehandlung: CHF 300\.00/);
  assert.match(draft, /Situationsbedingte Leistung, Kinderbetreuung: CHF 120\.00/);
  assert.doesNotMatch(draft, /\bdental\b|\bchildcare\b/, 'no raw codes');
  assert.match(draft, /Monatliche Unterstützung\s+CHF 2'881\.00/);
  const from = await sender('thun');
  assert.ok(draft.includes(from.lines.join('\n')), `the letterhead with the address: ${from.lines}`);
  assert.match(draft, /ENTWURF/);
  assert.match(draft, /nicht unterzeichnet/);
  assert.doesNotMatch(draft, /Genehmigung/, 'a draft has no signatures');

  const ap = await call('POST', `/api/v1/decisions/${d.id}/approve`, { session: tl, headers: { 'if-match': `"${d.version}"` } });
  ok(ap, 200);
  const final = text(await bytes(`/api/v1/decisions/${d.id}/pdf`, cw));
  assert.doesNotMatch(final, /ENTWURF|nicht unterzeichnet/);
  assert.doesNotMatch(final, ISO);
  assert.match(final, /Genehmigung\s*\n[^\n]*Thomas Teamleiter|Thomas Teamleiter/);
  assert.match(final, /Sachbearbeitung/);
  assert.ok(final.includes(`Thun, ${longDate(ap.json.approved_at.slice(0, 10), 'de')}`), 'dated the day it was approved');
  assert.match(final, /Seite 1 von 1/);
});

test('a French decision: written-out dates in French, PROJET on the draft', async () => {
  const id = await dossier('biel', biel, { lang: 'fr' });
  const { decision: d, budget } = await decision(id, biel, bielTl, BUDGET);
  assert.equal(d.language, 'fr');
  const draft = text(await bytes(`/api/v1/decisions/${d.id}/pdf`, biel));
  assert.doesNotMatch(draft, ISO);
  assert.match(draft, /dès le 1er janvier 2027/);
  assert.ok(draft.includes(`Biel/Bienne, le ${longDate(d.created_at.slice(0, 10), 'fr')}`), draft);
  assert.ok(draft.includes(`Dossier n° ${numberOf(id)}`));
  assert.match(draft, /Prestation circonstancielle, Traitement dentaire : CHF 300\.00/);
  assert.match(draft, /PROJET/);
  assert.doesNotMatch(draft, /ENTWURF|Approbation/);
  // The budget keeps both languages: the French client's decision is
  // French, a German-speaking reader gets German explanations.
  const gbl = budget.lines.find((l) => l.code === 'gbl');
  assert.match(gbl.explain, /^Forfait pour l'entretien/);
  assert.match(gbl.explains.fr, /^Forfait pour l'entretien/);
  assert.match(gbl.explains.de, /^Grundbedarf für 1 Person/);
  const sil = budget.lines.find((l) => l.code === 'sil:childcare');
  assert.equal(sil.explains.de, 'Situationsbedingte Leistung, Kinderbetreuung: CHF 120.00');
  assert.equal(sil.explains.fr, "Prestation circonstancielle, Garde d'enfants : CHF 120.00");
  const pv = ok(await call('POST', `${C}/${id}/budgets/preview`, { session: biel, body: BUDGET }), 200);
  assert.deepEqual(pv.json.output.lines.map((l) => l.explains), budget.lines.map((l) => l.explains), 'the preview explains alike');
});

/** pdftotext -layout: a table row stays one line (trimmed: a page with a QR-bill is indented), its amount at the end. */
const layoutLines = (pdf) => execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf })
  .toString('utf8').split(/[\n\f]/).map((l) => l.trim());
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every line of the budget as a row with its amount, in the budget's
 * order; the need as the sum of the rows; then the total; then what
 * follows the table (remedies; the signatures on what was approved):
 * nothing dropped, nothing out of place.
 */
function inOrder(rows, budget, after) {
  let at = rows.indexOf('Unterstützungsbudget pro Monat');
  assert.ok(at >= 0, 'the budget table');
  for (const l of budget.lines) {
    const re = new RegExp(`^${esc(l.explain)}\\s{2,}${esc(swissChf(l.amount))}$`);
    const i = rows.findIndex((r, k) => k > at && re.test(r));
    assert.ok(i > at, `line ${l.code}: "${l.explain}" with ${swissChf(l.amount)} is missing or out of order`);
    at = i;
  }
  const sum = budget.lines.reduce((a, l) => a + l.amount, 0);
  for (const [name, amount] of [['Anerkannter Bedarf', sum], ['Monatliche Unterstützung', budget.payment]]) {
    const re = new RegExp(`^${name}\\s{2,}${esc(swissChf(amount))}$`);
    const i = rows.findIndex((r, k) => k > at && re.test(r));
    assert.ok(i > at, `${name} ${swissChf(amount)} after the last line`);
    at = i;
  }
  // Signature blocks stand side by side: one row may hold two of them.
  for (const t of after) {
    const i = rows.findIndex((r, k) => k > at && r.includes(t));
    assert.ok(i > at, `"${t}" after the total`);
    at = i - 1;
  }
}

test('a budget with 80 lines: every line and amount is in the decision, which runs over numbered pages, draft and approved', async () => {
  const id = await dossier('thun', cw);
  const sil = Array.from({ length: 77 }, (_, i) => ({ code: `extra${String(i + 1).padStart(2, '0')}`, amount: 1000 + 37 * i }));
  const { decision: d, budget } = await decision(id, cw, tl, { ...BUDGET, income: { employment: 0, other: 0 }, sil });
  assert.equal(budget.lines.length, 80);
  assert.equal(budget.payment, budget.need, 'no income: all 80 lines are need');
  const draft = await bytes(`/api/v1/decisions/${d.id}/pdf`, cw);
  ok(await call('POST', `/api/v1/decisions/${d.id}/approve`, { session: tl, headers: { 'if-match': `"${d.version}"` } }), 200);
  const approved = await bytes(`/api/v1/decisions/${d.id}/pdf`, cw);
  for (const [stage, pdf] of [['draft', draft], ['approved', approved]]) {
    inOrder(layoutLines(pdf), budget, stage === 'draft' ? ['Rechtsmittelbelehrung'] : ['Rechtsmittelbelehrung', 'Sachbearbeitung', 'Genehmigung']);
    const n = pages(pdf);
    assert.ok(n >= 2, `${stage}: ${n} pages`);
    for (let p = 1; p <= n; p++) {
      const t = text(pdf, p);
      assert.equal(/ENTWURF/.test(t), stage === 'draft', `${stage}: page ${p} is marked as a draft or not`);
      assert.ok(t.includes(`Seite ${p} von ${n}`), `${stage}: page ${p} is numbered`);
      assert.ok(t.includes(`Dossier-Nr. ${numberOf(id)}`), `${stage}: page ${p} names the dossier`);
    }
  }
});

test('invoices: written-out dates, a place and date line, each phase named once', async () => {
  const canton = await as('canton', 'canton-admin');
  const y = 2101 + Math.floor(Math.random() * 80);
  const code = `L${y}-${Date.now().toString(36).slice(-6)}`;
  const p = ok(await call('POST', '/api/v1/billing/periods', { session: canton, body: { code, starts_on: `${y}-01-01`, ends_on: `${y}-12-31` } }), 201).json;
  for (const [phase, amount] of [['project', 1234567], ['operation', 250001]])
    ok(await call('POST', `/api/v1/billing/periods/${p.id}/costs`, { session: canton, body: { phase, amount, description: phase } }), 201);
  const run = ok(await call('POST', `/api/v1/billing/periods/${p.id}/allocate`, { session: canton }), 201).json;
  for (const [slug, lang] of [['oberes-emmental', 'de'], ['biel', 'fr']]) {
    const tid = Number(tenantId(slug));
    const t = text(await bytes(`/api/v1/billing/runs/${run.id}/invoices/${tid}/pdf`, canton));
    assert.doesNotMatch(t, ISO, `${slug}: no ISO date`);
    assert.ok(t.includes(lang === 'fr' ? `du 1er janvier ${y} au 31 décembre ${y}` : `vom 1. Januar ${y} bis 31. Dezember ${y}`), t);
    assert.ok(t.includes(lang === 'fr' ? `Bern, le ${longDate(run.created_at.slice(0, 10), 'fr')}` : `Bern, ${longDate(run.created_at.slice(0, 10), 'de')}`), t);
    const project = lang === 'fr' ? 'Projet' : 'Projekt';
    assert.equal(t.split(project).length - 1, 1, `${slug}: "${project}" once, as the phase's heading:\n${t}`);
    assert.doesNotMatch(t, /(Projekt|Betrieb|Projet|Exploitation) ?: ?(Projekt|Betrieb|Projet|Exploitation)/);
    const shares = run.shares.filter((s) => s.tenant_id === tid && s.amount > 0);
    assert.ok(shares.length > 0);
    for (const s of shares) {
      const amount = swissChf(s.amount);
      assert.equal(t.split(amount).length - 1 >= 1, true, `${amount} in the table`);
      if (s.name && s.party === 'municipality') assert.ok(t.includes(`${s.name}${lang === 'fr' ? ' :' : ':'}`), `${s.name} names its row`);
    }
  }
});

test('an invoice of a service with 45 municipalities: every share with its amount over numbered pages, the total after them, the payment part last', async () => {
  const canton = await as('canton', 'canton-admin');
  const ft = await freshTenant('inv');
  const free = sql(DB_OWNER, 'select s from generate_series(9000, 9999) s where s not in (select bfs from municipality) order by random() limit 45').split('\n').map(Number);
  assert.equal(free.length, 45);
  for (const [i, bfs] of free.entries()) {
    ok(await call('POST', '/api/v1/admin/municipalities', { session: canton, body: { bfs, name: `Gemeinde ${bfs}`, population: 1000 + 37 * i } }), 201);
    ok(await call('PUT', `/api/v1/admin/tenants/${ft.slug}/municipalities/${bfs}`, { session: canton }), 204);
  }
  const y = 2101 + Math.floor(Math.random() * 80);
  const p = ok(await call('POST', '/api/v1/billing/periods', { session: canton, body: { code: `M${y}-${Date.now().toString(36).slice(-6)}`, starts_on: `${y}-01-01`, ends_on: `${y}-12-31` } }), 201).json;
  for (const [phase, amount] of [['project', 123456789], ['operation', 250001]])
    ok(await call('POST', `/api/v1/billing/periods/${p.id}/costs`, { session: canton, body: { phase, amount, description: phase } }), 201);
  const run = ok(await call('POST', `/api/v1/billing/periods/${p.id}/allocate`, { session: canton }), 201).json;
  const tid = Number(tenantId(ft.slug));
  const shares = run.shares.filter((s) => s.tenant_id === tid);
  assert.ok(shares.filter((s) => s.party === 'municipality').length === 45, 'a share per municipality');
  const pdf = await bytes(`/api/v1/billing/runs/${run.id}/invoices/${tid}/pdf`, canton);
  const rows = layoutLines(pdf);
  let at = -1;
  for (const s of shares) {
    const re = new RegExp(`^${s.party === 'municipality' ? esc(`${s.name}:`) : ''}.*\\s{2,}${esc(swissChf(s.amount))}$`);
    const i = rows.findIndex((r, k) => k > at && re.test(r));
    assert.ok(i > at, `the share of ${s.name ?? s.party} (${s.phase}) with ${swissChf(s.amount)} is missing or out of order`);
    at = i;
  }
  const total = shares.reduce((a, s) => a + s.amount, 0);
  const t = rows.findIndex((r, k) => k > at && new RegExp(`^Total\\s{2,}${esc(swissChf(total))}$`).test(r));
  assert.ok(t > at, `the total ${swissChf(total)} after the last share`);
  const n = pages(pdf);
  assert.ok(n >= 2, `${n} pages`);
  for (let k = 1; k <= n; k++) {
    const page = text(pdf, k);
    if (k === n) assert.match(page, /Zahlteil/, 'the payment part on the last page');
    else assert.ok(page.includes(`Seite ${k} von ${n}`), `page ${k} is numbered`);
  }
});

test('a request for the missing documents: listed by name with a deadline, stored as a letter of the dossier', async () => {
  const id = await dossier('thun', cw, { docs: ['id', 'income_proof', 'health_insurance'], state: 'intake' });
  const due = inDays(20);
  const r = ok(await call('POST', `${C}/${id}/letters/document-request`, { session: cw, body: { deadline: due, note: 'Die Kontoauszüge bitte vollständig.' } }), 201);
  assert.equal(r.json.category, 'letter');
  assert.equal(r.json.kind, 'document_request');
  assert.equal(r.json.language, 'de');
  assert.deepEqual(r.json.detail.missing, ['rent_contract', 'bank_statements']);
  const list = ok(await call('GET', `${C}/${id}/documents`, { session: cw }), 200).json.items;
  const doc = list.find((x) => x.id === r.json.id);
  assert.ok(doc, 'listed among the dossier\'s documents');
  assert.equal(doc.category, 'letter');
  assert.equal(doc.title, 'Fehlende Unterlagen');
  const pdf = await bytes(`/api/v1/documents/${r.json.id}/content`, cw);
  assert.equal((await import('node:crypto')).createHash('sha256').update(pdf).digest('hex'), r.json.sha256);
  const t = text(pdf);
  assert.doesNotMatch(t, ISO);
  assert.ok(t.includes(`Thun, ${longDate(today(), 'de')}`), t);
  assert.ok(t.includes(`Dossier-Nr. ${numberOf(id)}`));
  assert.match(t, /Sachbearbeitung: Sara Fallführung/);
  assert.match(t, /Erika Dubois\nBälliz 1\n3600 Thun/);
  assert.match(t, /– Mietvertrag/);
  assert.match(t, /– Kontoauszüge aller Konten/);
  assert.doesNotMatch(t, /Ausweis|Krankenkassenpolice|rent_contract/, 'only what is missing, by name');
  assert.ok(t.includes(`bis am ${longDate(due, 'de')}`), 'the deadline written out');
  assert.match(t, /Die Kontoauszüge bitte vollständig\./);
  assert.match(t, /Freundliche Grüsse/);
  assert.equal(Number(sql(DB_OWNER, `select count(*) from audit_event where action = 'letter_written' and object_id = '${r.json.id}'`)), 1);

  // Without a deadline: 14 days.
  const r2 = ok(await call('POST', `${C}/${id}/letters/document-request`, { session: cw, body: {} }), 201);
  assert.equal(r2.json.detail.deadline, inDays(14));
  // Refusals: a deadline in the past, nothing missing, a closed dossier.
  let e = err(await call('POST', `${C}/${id}/letters/document-request`, { session: cw, body: { deadline: '2020-01-01' } }), 400, 'invalid_value');
  assert.equal(e.detail.field, 'deadline');
  const full = await dossier('thun', cw, { state: 'intake' });
  err(await call('POST', `${C}/${full}/letters/document-request`, { session: cw, body: {} }), 409, 'nothing_missing');
  const closed = await dossier('thun', cw, { state: 'registration' });
  const g = ok(await call('GET', `${C}/${closed}`, { session: cw }), 200);
  ok(await call('POST', `${C}/${closed}/transitions`, { session: cw, body: { to: 'closed', closure_reason: 'other' }, headers: { 'if-match': g.headers.get('etag') } }), 200);
  err(await call('POST', `${C}/${closed}/letters/document-request`, { session: cw, body: {} }), 409, 'dossier_closed');
  // Read-only roles write no letters.
  const legal = await as('thun', 'legal');
  err(await call('POST', `${C}/${id}/letters/document-request`, { session: legal, body: {} }), 403);
});

test('the request in French for a French-speaking client', async () => {
  const id = await dossier('biel', biel, { lang: 'fr', docs: ['id', 'rent_contract', 'income_proof', 'bank_statements'], state: 'intake' });
  const r = ok(await call('POST', `${C}/${id}/letters/document-request`, { session: biel, body: { deadline: inDays(10) } }), 201);
  assert.equal(r.json.language, 'fr');
  assert.equal(r.json.title, 'Documents manquants');
  const t = text(await bytes(`/api/v1/documents/${r.json.id}/content`, biel));
  assert.ok(t.includes(`Biel/Bienne, le ${longDate(today(), 'fr')}`), t);
  assert.ok(t.includes(`d'ici au ${longDate(inDays(10), 'fr')}`), t);
  assert.match(t, /– Police d'assurance-maladie/);
  assert.match(t, /Meilleures salutations/);
  assert.doesNotMatch(t, ISO);
});

test('a cost guarantee to a provider, in the client\'s language or the one chosen', async () => {
  const id = await dossier('thun', cw, { state: 'intake' });
  const body = {
    recipient: 'Zahnarztpraxis Dr. Beispiel\nBahnhofstrasse 3\n3600 Thun',
    purpose: 'die Zahnbehandlung gemäss Kostenvoranschlag vom 1. Dezember',
    amount: 123450, valid_until: inDays(60),
  };
  const r = ok(await call('POST', `${C}/${id}/letters/cost-guarantee`, { session: cw, body }), 201);
  assert.equal(r.json.kind, 'cost_guarantee');
  assert.equal(r.json.title, 'Kostengutsprache');
  const t = text(await bytes(`/api/v1/documents/${r.json.id}/content`, cw));
  assert.match(t, /Zahnarztpraxis Dr\. Beispiel\nBahnhofstrasse 3\n3600 Thun/, 'to the provider');
  assert.match(t, /Für: Erika Dubois, geboren am 02\.04\.1985, Bälliz 1, 3600 Thun/);
  assert.match(t, /Leistung: die Zahnbehandlung gemäss Kostenvoranschlag vom 1\. Dezember/);
  assert.match(t.replace(/\s+/g, ' '), /Wir übernehmen die Kosten dieser Leistung für die oben genannte Person bis zu einem Betrag von höchstens CHF 1'234\.50/);
  assert.ok(t.includes(`bis am ${longDate(body.valid_until, 'de')}`));
  assert.ok(t.includes(`Dossier-Nr. ${numberOf(id)}`));
  assert.ok(t.replace(/\s+/g, ' ').includes(`an: ${(await sender('thun')).lines.join(', ')}.`), 'where the invoice goes');
  assert.match(t, /Kopie an: Erika Dubois/);
  assert.doesNotMatch(t, ISO);
  // The provider's language may differ from the client's.
  const fr = ok(await call('POST', `${C}/${id}/letters/cost-guarantee`, { session: cw, body: { ...body, purpose: 'traitement dentaire selon devis', language: 'fr' } }), 201);
  const tf = text(await bytes(`/api/v1/documents/${fr.json.id}/content`, cw));
  assert.match(tf, /Garantie de prise en charge des frais/);
  assert.match(tf, /Prestation : traitement dentaire selon devis/);
  assert.match(tf, /Pour : Erika Dubois, né·e le 02\.04\.1985/);
  assert.match(tf, /CHF 1'234\.50/);
  assert.ok(tf.includes(`Thun, le ${longDate(today(), 'fr')}`));
  let e = err(await call('POST', `${C}/${id}/letters/cost-guarantee`, { session: cw, body: { ...body, valid_until: '2021-05-01' } }), 400, 'invalid_value');
  assert.equal(e.detail.field, 'valid_until');
  e = err(await call('POST', `${C}/${id}/letters/cost-guarantee`, { session: cw, body: { ...body, amount: 0 } }), 400, 'out_of_range');
  assert.equal(e.detail.field, 'amount');
});

test('letters of another social service: its dossiers and documents answer 404', async () => {
  const id = await dossier('thun', cw, { docs: ['id'], state: 'intake' });
  const r = ok(await call('POST', `${C}/${id}/letters/document-request`, { session: cw, body: {} }), 201);
  const before = Number(sql(DB_OWNER, `select count(*) from document where dossier_id = ${id}`));
  err(await call('POST', `${C}/${id}/letters/document-request`, { session: biel, body: {} }), 404);
  err(await call('POST', `${C}/${id}/letters/cost-guarantee`, { session: biel, body: { recipient: 'X AG\nBern', purpose: 'Miete', amount: 100, valid_until: inDays(5) } }), 404);
  err(await call('GET', `/api/v1/documents/${r.json.id}`, { session: biel }), 404);
  err(await call('GET', `/api/v1/documents/${r.json.id}/content`, { session: biel }), 404);
  assert.equal(Number(sql(DB_OWNER, `select count(*) from document where dossier_id = ${id}`)), before, 'nothing was stored');
});
