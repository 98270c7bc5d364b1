// Letters and printing in the browser: a case worker writes the request
// for the missing documents and a cost guarantee from the dossier screen
// (both land among the dossier's documents); the budget screen explains
// the lines in the reader's language, not the client's; the dossier
// extract, the budget, the account statement and the goal agreement are
// printed through Chromium's PDF output and read back with pdftotext:
// a header with the social service, the dossier number and the date, the
// content, and no navigation, buttons or forms. An ordinary dossier
// screen prints without them too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, newPage, login, open, axe, shot, assertClean, apiLogin, api, catalog, ROOT } from './lib.mjs';
import { sql, DB_OWNER, tenantId, fixtureHousehold } from '../api/lib.mjs';

const MSG = { de: catalog('de'), fr: catalog('fr') };
const tx = (lang, key, params = {}) => {
  assert.ok(key in MSG[lang], `no message ${key}`);
  return MSG[lang][key].replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
};
const ddmmyyyy = (d) => `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
const pdfText = (buf) => execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: buf }).toString('utf8');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * A Thun dossier of a French-speaking client in intake (rent contract and
 * bank statements missing), with two goals, an approved budget with a
 * situation-related benefit, and two bookings on the client account.
 */
async function prepare() {
  const cw = await apiLogin('thun', 'caseworker');
  const tl = await apiLogin('thun', 'teamlead');
  const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1979-06-30', lang: 'fr', last: 'Rochat', first: 'Aline' }]);
  const c = await api(cw, 'POST', '/api/v1/cases', { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, caseworker_id: cw.me.user.id });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const id = c.json.id;
  const g = await api(cw, 'GET', `/api/v1/cases/${id}`);
  assert.equal((await api(cw, 'POST', `/api/v1/cases/${id}/transitions`, { to: 'intake' }, { 'if-match': g.etag })).status, 200);
  const cl = await api(cw, 'GET', `/api/v1/cases/${id}/checklist`);
  const items = ['id', 'income_proof', 'health_insurance'].map((code) => ({ code, received_on: '2026-11-02' }));
  assert.equal((await api(cw, 'PUT', `/api/v1/cases/${id}/checklist`, { items }, cl.etag ? { 'if-match': cl.etag } : {})).status, 200);
  for (const [title, due] of [['Deutschkurs A2', '2027-06-30'], ['Stellensuche', '2027-09-30']])
    assert.equal((await api(cw, 'POST', `/api/v1/cases/${id}/goals`, { title, due_on: due, measures: 'Begleitung durch die Fallführung' })).status, 201);
  const b = await api(cw, 'POST', `/api/v1/cases/${id}/budgets`, {
    valid_from: '2027-01-01', rent: 120000, kvg_premium: 35000, assets: 0, sil: [{ code: 'transport', amount: 8500 }],
  });
  assert.equal(b.status, 201, JSON.stringify(b.json));
  assert.equal((await api(tl, 'POST', `/api/v1/budgets/${b.json.id}/approve`, undefined, { 'if-match': b.etag })).status, 200);
  const t = tenantId('thun');
  sql(DB_OWNER, `insert into ledger_entry (tenant_id, dossier_id, booked_on, kind, amount, text) values
    (${t}, ${id}, '2027-01-25', 'payment', -243500, 'Unterstützung Januar 2027'),
    (${t}, ${id}, '2027-02-03', 'repayment', 12000, 'Rückzahlung Mietzinsdepot')`);
  return { id, number: c.json.number, budget: b.json };
}

/** Chromium's PDF of the page as it is (print media), as text. */
async function printed(page, name) {
  const pdf = await page.pdf({ format: 'A4' });
  const text = pdfText(pdf);
  assert.ok(text.length > 100, `${name}: the PDF has text`);
  return text;
}

/** What must never reach paper: the frame's navigation and the dossier's buttons and forms. */
function assertNoScreenParts(text, name) {
  for (const key of ['nav.logout', 'sozialhilfe.nav.worklist', 'casework.nav.persons', 'casework.nav.payments',
    'letters.write', 'letters.print.back', 'letters.print.hint', 'sozialhilfe.budget.new', 'sozialhilfe.goals.submit',
    'sozialhilfe.goals.add', 'casework.checklist.save'])
    assert.ok(!text.includes(tx('de', key)), `${name}: "${tx('de', key)}" is on paper:\n${text}`);
  assert.ok(!/\bDrucken\b/.test(text), `${name}: the print button is on paper`);
}

test('letters from the dossier screen, explanations in the reader\'s language, four documents and a screen printed cleanly', async () => {
  const { id, number, budget } = await prepare();
  const chf = (r) => `CHF ${r < 0 ? '-' : ''}${Math.floor(Math.abs(r) / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "'")}.${String(Math.abs(r) % 100).padStart(2, '0')}`;
  const { page } = await newPage(browser);
  await login(page, 'thun', 'caseworker');
  await open(page, `#/m/sozialhilfe/cases/${id}`);
  const actions = page.getByRole('navigation', { name: tx('de', 'letters.actions') });
  await actions.waitFor();
  await axe(page, 'dossier with letters and print links');

  // The request for the missing documents, in the client's language.
  await actions.getByRole('link', { name: tx('de', 'letters.write') }).click();
  await page.getByRole('heading', { level: 1, name: tx('de', 'letters.title_name', { name: 'Rochat Aline' }) }).waitFor();
  const req = page.locator('section[aria-labelledby=lt-request]');
  await req.getByText(tx('de', 'letters.request.missing', { list: 'Mietvertrag, Kontoauszüge' })).waitFor();
  await axe(page, 'letters');
  await shot(page, 'letters');
  const due = new Date(Date.now() + 20 * 86400000);
  await req.getByLabel(tx('de', 'letters.request.deadline')).fill(ddmmyyyy(due));
  await req.getByLabel(tx('de', 'letters.note')).fill('Merci de joindre les relevés complets.');
  assert.equal(await req.getByLabel(tx('de', 'letters.language')).inputValue(), 'fr', 'the client\'s language first');
  await req.getByRole('button', { name: tx('de', 'letters.request.submit') }).click();
  await req.getByText(tx('de', 'letters.created', { title: 'Documents manquants' })).waitFor();

  // A cost guarantee to a provider, written in German this time.
  const gu = page.locator('section[aria-labelledby=lt-guarantee]');
  await gu.getByRole('button', { name: tx('de', 'letters.guarantee.submit') }).click();
  await gu.getByRole('alert').waitFor();
  assert.ok(await gu.getByText(tx('de', 'form.missing')).first().isVisible(), 'the missing fields are named');
  await gu.getByLabel(tx('de', 'letters.guarantee.recipient')).fill('Kita Sonnenschein\nFrutigenstrasse 8\n3600 Thun');
  await gu.getByLabel(tx('de', 'letters.guarantee.purpose')).fill('Betreuung des Kindes an zwei Tagen pro Woche');
  await gu.getByLabel(tx('de', 'letters.guarantee.amount')).fill("1'234.50");
  await gu.getByLabel(tx('de', 'letters.guarantee.valid_until')).fill(ddmmyyyy(new Date(Date.now() + 90 * 86400000)));
  await gu.getByLabel(tx('de', 'letters.language')).selectOption('de');
  await gu.getByRole('button', { name: tx('de', 'letters.guarantee.submit') }).click();
  await gu.getByText(tx('de', 'letters.created', { title: 'Kostengutsprache' })).waitFor();
  const docs = sql(DB_OWNER, `select category || ':' || title from document where dossier_id = ${id} order by id`).split('\n');
  assert.deepEqual(docs, ['letter:Documents manquants', 'letter:Kostengutsprache']);
  await gu.getByRole('link', { name: tx('de', 'letters.to_documents') }).click();
  await page.getByRole('cell', { name: 'Kostengutsprache' }).first().waitFor();
  assert.ok(await page.getByRole('cell', { name: tx('de', 'casework.dcat.letter') }).first().isVisible(), 'listed as letters');

  // The budget: the French client's lines, explained in German to this reader.
  await open(page, `#/m/sozialhilfe/cases/${id}/budgets`);
  const lines = page.locator('table.budget-lines');
  await lines.getByText('Grundbedarf für 1 Person (SKOS 2025): CHF 1\'031.00').waitFor();
  await lines.getByText('Situationsbedingte Leistung, Fahrkosten: CHF 85.00').waitFor();
  assert.equal(await lines.getByText(/Forfait pour l'entretien/).count(), 0);

  // That screen printed as it is: the header, the lines, no frame, no buttons.
  const screen = await printed(page, 'budget screen');
  assertNoScreenParts(screen, 'budget screen');
  assert.match(screen, new RegExp(`Dossier-Nr\\. ${number}`));
  assert.match(screen, /Sozialdienst Thun/);
  assert.match(screen, new RegExp(tx('de', 'letters.print.printed_on', { date: ddmmyyyy(new Date()) }).replace(/\./g, '\\.')));
  assert.match(screen, /Grundbedarf für 1 Person/);

  // The four print views.
  const want = {
    extract: [tx('de', 'letters.print.title_extract', { name: 'Rochat Aline' }), 'Mietvertrag', tx('de', 'letters.print.missing'),
      'Deutschkurs A2', 'Grundbedarf für 1 Person', 'Zuständige Gemeinde', 'Thun'],
    budget: [tx('de', 'letters.print.title_budget', { name: 'Rochat Aline' }), "CHF 1'031.00", 'Situationsbedingte Leistung, Fahrkosten',
      chf(budget.payment), 'skos-budget'],
    account: [tx('de', 'letters.print.title_account', { name: 'Rochat Aline' }), 'Unterstützung Januar 2027', "CHF -2'435.00",
      'Rückzahlung Mietzinsdepot', 'CHF 120.00', '25.01.2027'],
    goals: [tx('de', 'letters.print.title_goals', { name: 'Rochat Aline' }), 'Stellensuche', '30.09.2027',
      tx('de', 'letters.print.place_date'), tx('de', 'letters.print.sign_client'), 'Sara Fallführung'],
  };
  for (const [kind, words] of Object.entries(want)) {
    await open(page, `#/m/sozialhilfe/cases/${id}/print/${kind}`);
    await page.getByText(words[1]).first().waitFor();
    // Parts load one after another (the budget after the list of budgets).
    await page.waitForFunction(() => !document.querySelector('.loading'));
    await axe(page, `print ${kind}`);
    const text = await printed(page, kind);
    for (const w of words) assert.ok(text.includes(w), `${kind}: "${w}" is missing:\n${text}`);
    assert.match(text, new RegExp(`Sozialdienst Thun[\\s\\S]*Dossier-Nr\\. ${number}`), `${kind}: the header`);
    assert.ok(text.includes(tx('de', 'letters.print.printed_on', { date: ddmmyyyy(new Date()) })), `${kind}: the date`);
    assertNoScreenParts(text, kind);
  }
  await shot(page, 'print-goals');

  // Switching to French: the same budget explained in French.
  await page.getByRole('button', { name: 'Français' }).click();
  await open(page, `#/m/sozialhilfe/cases/${id}/budgets`);
  await page.locator('table.budget-lines').getByText(/^Forfait pour l'entretien \(CSIAS 2025\) pour 1 personne/).waitFor();
  await page.locator('table.budget-lines').getByText("Prestation circonstancielle, Frais de transport : CHF 85.00").waitFor();
  await open(page, `#/m/sozialhilfe/cases/${id}/print/goals`);
  await page.getByText(tx('fr', 'letters.print.place_date')).first().waitFor();
  const fr = await printed(page, 'goals fr');
  assert.ok(fr.includes(tx('fr', 'letters.print.dossier_no', { ref: number })));
  assert.ok(fr.includes(tx('fr', 'letters.print.printed_on', { date: ddmmyyyy(new Date()) })));
  assert.ok(!fr.includes(tx('fr', 'nav.logout')) && !fr.includes(tx('fr', 'letters.write')));
  await axe(page, 'print goals fr');
  assertClean(page);
});

test('every error code of the letters has a message in German and French', () => {
  const src = readFileSync(path.join(ROOT, 'modules/sozialhilfe/sh_letter.c'), 'utf8');
  // ks->fail(req|job, 4xx, "code"...), and the codes a helper hands to it (refusal(), bad_ids()).
  const codes = new Set([...src.matchAll(/(?:ks->fail(?:_detail)?\(\s*(?:req|job),\s*\d{3},\s*|bad_ids\(req,\s*|return\s+)"([a-z_]+)"/g)].map((m) => m[1]));
  assert.ok(codes.has('nothing_missing') && codes.has('dossier_closed'), [...codes].join());
  for (const lang of ['de', 'fr'])
    for (const c of codes) assert.ok(`error.${c}` in MSG[lang], `${lang}: error.${c} has no message`);
});
