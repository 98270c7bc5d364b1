// The Alimentenhilfe path in the browser (issue 14): an application for
// child support opened as a dossier of the module alimente, its words in
// German (thun) and French (biel): states, the application's checklist
// (InkHV art. 9) and the step to the assessment; the maintenance title
// with its index clause and debtor (and the 409 conflict panel), a child
// as creditor with its amount, the schedule with the indexed amounts and
// the arrears to the Rappen; enforcement with a step and its fee, the
// pension-fund report and the final statement PDF. axe on every screen,
// no console errors. Texts come from the message files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  launch, newPage, login, open, check, assertClean, apiLogin, api, uniq, tx, exact, ROOT,
} from './lib.mjs';
import { camt054, isoDay } from '../api/lib.mjs';

/** The pack alimente-index's consumer price index (tenths) of a month "YYYY-MM". */
function cpi(month) {
  const src = readFileSync(path.join(ROOT, 'plugins/alimente-index/alimente-index.lua'), 'utf8');
  const row = new RegExp(`\\[${month.slice(0, 4)}\\] = \\{ ([\\d, ]+) \\}`).exec(src);
  assert.ok(row, `no index for ${month}`);
  return Number(row[1].split(', ')[Number(month.slice(5, 7)) - 1]);
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const must = (r, status) => { assert.equal(r.status, status, JSON.stringify(r.json)); return r.json; };

/** A mother with a child in one household and an Alimentenhilfe dossier. */
async function application(s, bfs) {
  const last = `Ah${uniq('a').replace(/[^a-z0-9]/g, '')}`;
  const mother = must(await api(s, 'POST', '/api/v1/persons', { last_name: last, first_name: 'Mara', birth_date: '1988-04-02' }), 201);
  const child = must(await api(s, 'POST', '/api/v1/persons', { last_name: last, first_name: 'Lio', birth_date: '2015-09-10' }), 201);
  const h = must(await api(s, 'POST', '/api/v1/households', { name: `Haushalt ${last}`, members: [
    { person_id: mother.id, role: 'applicant', valid_from: '2025-01-01' },
    { person_id: child.id, role: 'child', valid_from: '2025-01-01' }] }), 201);
  const x = must(await api(s, 'POST', '/api/v1/cases', { household_id: h.id, applicant_id: mother.id, municipality_bfs: bfs, caseworker_id: s.me.user.id, kind: 'alimente' }), 201);
  assert.equal(x.module, 'alimente');
  return { last, mother, child, dossier: x };
}

test('Alimentenhilfe from the application to enforcement: words, checklist, title with conflict, creditor, schedule to the Rappen, advance with four eyes and letter, a debtor payment and its split, enforcement, pension report, final statement (de, fr)', async () => {
  const L = (k, p) => tx('de', k, p);
  const cw = await apiLogin('thun', 'caseworker');
  const a = await application(cw, 942);
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'caseworker');
  await open(page, `#/m/alimente/cases/${a.dossier.id}`);
  const overview = page.getByRole('group', { name: L('casework.case.overview') });
  await overview.getByText(L('alimente.state.application'), { exact: true }).waitFor();
  await page.getByRole('navigation', { name: L('alimente.nav.label') }).waitFor();
  await check(page, 'alimente-dossier');

  // The application's checklist: the required items, then complete.
  await page.getByRole('navigation', { name: L('casework.case.sections') }).getByRole('link', { name: L('alimente.section.checklist') }).click();
  const table = page.getByRole('table', { name: L('casework.checklist.title') });
  await table.getByRole('rowheader', { name: exact(L('alimente.doc.power_of_attorney')) }).waitFor();
  await page.getByText(L('casework.checklist.missing', { list: [L('alimente.doc.title'), L('alimente.doc.power_of_attorney'), L('alimente.doc.debtor_address')].join(', ') })).waitFor();
  await check(page, 'alimente-checklist');
  for (const c of ['title', 'power_of_attorney', 'debtor_address'])
    await page.getByLabel(L('casework.checklist.received_for', { doc: L(`alimente.doc.${c}`) })).fill('01.11.2026');
  await page.getByRole('button', { name: L('casework.checklist.save') }).click();
  await page.getByText(L('casework.checklist.complete')).waitFor();

  // The step to the assessment, with the module's hint.
  await page.getByRole('navigation', { name: L('casework.case.sections') }).getByRole('link', { name: L('casework.section.overview') }).click();
  const to = page.getByRole('combobox', { name: L('casework.transition.to') });
  await to.selectOption({ label: L('alimente.state.assessment') });
  await page.getByText(L('alimente.transition_hint.application')).waitFor();
  await page.getByRole('button', { name: L('casework.transition.submit') }).click();
  await overview.getByText(L('alimente.state.assessment'), { exact: true }).waitFor();

  // The maintenance title: kind, authority, dates, the index clause and
  // the debtor found by the person search.
  const father = must(await api(cw, 'POST', '/api/v1/persons', { last_name: `${a.last}v`, first_name: 'Marc', birth_date: '1984-02-03' }), 201);
  const tabs = page.getByRole('navigation', { name: L('casework.case.sections') });
  await tabs.getByRole('link', { name: L('alimente.section.title'), exact: true }).click();
  await page.getByText(L('alimente.title.none_yet')).waitFor();
  await page.getByLabel(L('alimente.title.authority')).fill('Regionalgericht Oberland');
  await page.getByLabel(L('alimente.title.decided_on')).fill('15.06.2023');
  await page.getByLabel(L('alimente.title.applied_on')).fill('10.03.2025');
  await page.getByLabel(L('alimente.title.ends_on')).fill('01.09.2025');
  await page.getByLabel(L('alimente.title.index_base_points')).fill('100.0');
  await page.getByLabel(L('alimente.title.index_base_month')).fill('01.12.2020');
  await page.getByLabel(L('alimente.title.index_month')).selectOption({ label: L('alimente.month.1') });
  await page.getByRole('button', { name: L('alimente.title.debtor_pick') }).click();
  const finder = page.locator('.inline-panel');
  await finder.getByLabel(L('casework.search.name'), { exact: true }).fill(`${a.last}v`);
  await finder.getByRole('button', { name: exact(L('alimente.title.debtor_take')) }).click();
  await page.getByText(L('alimente.title.debtor_is', { name: `Marc ${a.last}v` })).waitFor();
  await page.getByLabel(L('alimente.title.debtor_pension')).fill('PK Holzbau');
  await check(page, 'alimente-title-new');
  await page.getByRole('button', { name: L('alimente.title.create') }).click();
  await page.getByText(L('alimente.title.created')).waitFor();
  const t1 = must(await api(cw, 'GET', `/api/v1/cases/${a.dossier.id}/title`), 200);
  assert.equal(t1.title.debtor_id, father.id);
  assert.equal(t1.title.index_base_points, 1000);
  await page.getByText(t1.debtor.reference, { exact: true }).waitFor();

  // Someone else changes the title meanwhile: the conflict panel, then
  // the person's change on top of theirs.
  const cur = await api(cw, 'GET', `/api/v1/cases/${a.dossier.id}/title`);
  const { id: _i, dossier_id: _d, version: _v, debtor_reference: _r, ...tb } = cur.json.title;
  must(await api(cw, 'PUT', `/api/v1/cases/${a.dossier.id}/title`, { ...Object.fromEntries(Object.entries(tb).filter(([, x]) => x !== null)), debtor_employer: 'Holzbau AG' }, { 'if-match': cur.etag }), 200);
  await page.getByLabel(L('alimente.title.authority')).fill('Obergericht Bern');
  await page.getByRole('button', { name: L('alimente.title.save') }).click();
  await page.getByRole('heading', { name: L('conflict.title') }).waitFor();
  await page.getByRole('button', { name: L('conflict.reapply') }).click();
  assert.equal(await page.getByLabel(L('alimente.title.debtor_employer')).inputValue(), 'Holzbau AG');
  await page.getByRole('button', { name: L('alimente.title.save') }).click();
  await page.getByText(L('alimente.title.saved')).waitFor();
  const t2 = must(await api(cw, 'GET', `/api/v1/cases/${a.dossier.id}/title`), 200);
  assert.equal(t2.title.authority, 'Obergericht Bern');
  assert.equal(t2.title.debtor_employer, 'Holzbau AG');

  // The child as creditor, its amount from March 2025.
  await page.getByRole('combobox', { name: L('alimente.creditor.person') }).selectOption({ label: `Lio ${a.last} (10.09.2015)` });
  await page.getByRole('button', { name: L('alimente.creditor.submit') }).click();
  await page.getByText(L('alimente.creditor.added')).waitFor();
  // By keyboard: the steps' form opens with the focus in its first field,
  // Escape closes it and gives the focus back to its button.
  const editSteps = page.getByRole('button', { name: exact(L('alimente.creditor.edit_amounts')) });
  await editSteps.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.tagName === 'INPUT');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-expanded') === 'false');
  assert.equal(await editSteps.evaluate((b) => b === document.activeElement), true, 'Escape gives the focus back');
  await editSteps.click();
  await page.getByLabel(L('alimente.step.valid_from')).fill('01.03.2025');
  await page.getByLabel(L('alimente.step.amount')).fill('650');
  await page.getByRole('button', { name: L('alimente.step.save') }).click();
  await page.getByText(L('alimente.step.saved', { name: `Lio ${a.last}` })).waitFor();
  await page.getByText(L('alimente.step.open', { from: '01.03.2025', amount: "CHF 650.00" })).waitFor();
  await check(page, 'alimente-title');

  // The schedule: March to August 2025, each month 650 indexed by the
  // index of December 2024 on base 100.0, rounded half up to francs;
  // nothing paid, so all of it is arrears.
  const p = cpi('2024-12');
  const due = Math.floor((65000 * p + 50000) / 100000) * 100;
  const chf = (r) => `CHF ${String(Math.floor(r / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, "'")}.${String(r % 100).padStart(2, '0')}`;
  await tabs.getByRole('link', { name: L('alimente.section.schedule') }).click();
  const sched = page.getByRole('table', { name: L('alimente.schedule.for', { name: `Lio ${a.last}` }) });
  await sched.waitFor();
  assert.equal(await sched.locator('tbody tr').count(), 6);
  const march = sched.getByRole('row', { name: /^03\.2025/ });
  await march.getByRole('cell', { name: chf(due), exact: true }).first().waitFor();
  await march.getByText(L('alimente.schedule.index_is', { points: (p / 10).toFixed(1), base: '100.0', rounding: 'CHF 1.00', month: '12.2024' })).waitFor();
  const totals = page.getByRole('region', { name: L('alimente.section.schedule') });
  await totals.getByText(chf(6 * due), { exact: true }).first().waitFor();
  await check(page, 'alimente-schedule');

  // An advance for the child from March 2025, computed by the pack,
  // submitted; the proposer cannot approve it (four eyes).
  await tabs.getByRole('link', { name: L('alimente.section.advances') }).click();
  await page.getByLabel(exact(L('alimente.advance.valid_from'))).fill('01.03.2025');
  await page.getByLabel(L('alimente.advance.income')).fill("42'000");
  await page.getByLabel(L('alimente.advance.assets')).fill('3000');
  await page.getByRole('button', { name: L('alimente.advance.compute') }).click();
  await page.getByText(L('alimente.advance.drafted')).waitFor();
  const advs = must(await api(cw, 'GET', `/api/v1/cases/${a.dossier.id}/advances`), 200).items;
  assert.equal(advs.length, 1);
  const advRow = page.getByRole('table', { name: L('alimente.section.advances') }).getByRole('row', { name: new RegExp(`^Lio ${a.last}`) });
  await advRow.getByRole('cell', { name: exact(chf(advs[0].amount)) }).waitFor();
  await advRow.getByRole('button', { name: exact(L('alimente.advance.submit')) }).click();
  await page.getByText(L('alimente.advance.submitted')).waitFor();
  await advRow.getByText(L('alimente.advance.own')).waitFor();
  assert.equal(await advRow.getByRole('button', { name: exact(L('alimente.advance.approve')) }).count(), 0);
  await check(page, 'alimente-advances');

  // Collection: a payment of the debtor recorded by hand, split over the
  // oldest months by the pack; the recovery per child; the QR-bill needs
  // the service's QR-IBAN (the demo account has none: the reason shows).
  await tabs.getByRole('link', { name: L('alimente.section.collection') }).click();
  await page.getByLabel(L('alimente.collect.amount')).fill("1'000");
  await page.getByLabel(L('alimente.collect.received_on')).fill('15.10.2025');
  await page.getByRole('button', { name: L('alimente.collect.submit') }).click();
  await page.getByText(L('alimente.collect.recorded', { amount: "CHF 1'000.00" })).waitFor();
  const rc = must(await api(cw, 'GET', `/api/v1/cases/${a.dossier.id}/receipts`), 200).items;
  assert.equal(rc.length, 1);
  assert.equal(rc[0].parts.reduce((x, q) => x + q.amount, 0) + rc[0].surplus, 100000);
  const receipts = page.getByRole('table', { name: L('alimente.collect.receipts') });
  for (const q of rc[0].parts)
    await receipts.getByText(L('alimente.collect.part', { part: L(`alimente.part.${q.part}`), name: `Lio ${a.last}`, month: `${q.month.slice(5, 7)}.${q.month.slice(0, 4)}`, amount: chf(q.amount) })).waitFor();
  const recovery = page.getByRole('table', { name: L('alimente.collect.recovery') });
  await recovery.locator('tfoot').getByRole('cell', { name: "CHF 1'000.00", exact: true }).first().waitFor();
  await page.getByRole('button', { name: L('alimente.collect.bill') }).click();
  await page.getByRole('alert').getByText(L('error.ah_collect_no_qr_iban')).waitFor();
  await check(page, 'alimente-collection');

  // Enforcement: a proceeding, the payment order with its fee; the
  // pension-fund report (six months missing); the final statement.
  await tabs.getByRole('link', { name: L('alimente.section.enforcement') }).click();
  await page.getByLabel(L('alimente.enforce.amount')).fill(chf(6 * due).slice(4));
  await page.getByLabel(L('alimente.enforce.office')).fill('Betreibungsamt Oberland');
  await page.getByLabel(L('alimente.enforce.reference')).fill('4711');
  // (dates in the past: the server's today may be the browser's yesterday around midnight)
  await page.getByLabel(L('alimente.enforce.started_on')).fill('06.10.2025');
  await page.getByRole('button', { name: L('alimente.enforce.start_submit') }).click();
  await page.getByText(L('alimente.enforce.started')).waitFor();
  const addStep = page.getByRole('button', { name: exact(L('alimente.enforce.add_step')) });
  await addStep.click();
  assert.equal(await page.getByRole('combobox', { name: L('alimente.enforce.step') }).inputValue(), 'request');
  await page.locator('input[name=step_date]').fill('06.10.2025');
  await page.getByRole('button', { name: L('alimente.enforce.step_submit'), exact: true }).click();
  await page.getByRole('rowheader', { name: L('alimente.step_kind.request') }).waitFor();
  await addStep.click();
  assert.equal(await page.getByRole('combobox', { name: L('alimente.enforce.step') }).inputValue(), 'payment_order');
  await page.locator('input[name=step_date]').fill('14.10.2025');
  await page.getByLabel(L('alimente.enforce.fee'), { exact: true }).fill('73.30');
  await page.getByRole('button', { name: L('alimente.enforce.step_submit'), exact: true }).click();
  await page.getByText(L('alimente.enforce.step_added', { step: L('alimente.step_kind.payment_order') })).waitFor();
  await page.getByRole('rowheader', { name: L('alimente.step_kind.payment_order') }).waitFor();
  await page.getByRole('button', { name: L('alimente.pension.submit'), exact: true }).click();
  await page.getByText(L('alimente.pension.reported')).waitFor();
  await page.getByRole('rowheader', { name: 'PK Holzbau' }).waitFor();
  await check(page, 'alimente-enforcement');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L('alimente.enforce.statement_pdf') }).click()]);
  assert.equal(readFileSync(await dl.path()).subarray(0, 5).toString(), '%PDF-');
  await page.getByText(L('alimente.enforce.statement_saved')).waitFor();

  // The team lead approves the advance; the letter is a PDF.
  const tp = await newPage(browser);
  await login(tp.page, 'thun', 'teamlead');
  await open(tp.page, `#/m/alimente/cases/${a.dossier.id}/advances`);
  const tRow = tp.page.getByRole('table', { name: L('alimente.section.advances') }).getByRole('row', { name: new RegExp(`^Lio ${a.last}`) });
  await tRow.getByRole('button', { name: exact(L('alimente.advance.approve')) }).click();
  await tp.page.getByRole('button', { name: L('alimente.advance.approve_yes') }).click();
  await tp.page.getByText(L('alimente.advance.approved')).waitFor();
  await tRow.getByText(L('alimente.astatus.approved'), { exact: true }).waitFor();
  const [letter] = await Promise.all([tp.page.waitForEvent('download'), tRow.getByRole('button', { name: exact(L('alimente.advance.letter')) }).click()]);
  assert.equal(readFileSync(await letter.path()).subarray(0, 5).toString(), '%PDF-');
  await check(tp.page, 'alimente-advances-approved');
  assertClean(tp.page);
  await tp.context.close();

  // The work list has the module's lists; the community's net cost.
  await open(page, '#/m/alimente');
  await page.getByRole('heading', { name: exact(L('alimente.worklist.missing')) }).waitFor();
  await page.getByRole('heading', { name: exact(L('alimente.worklist.limitation')) }).waitFor();
  await check(page, 'alimente-worklist');
  await page.getByRole('navigation', { name: L('alimente.nav.label') }).getByRole('link', { name: L('alimente.netcost.nav') }).click();
  await page.getByRole('heading', { level: 1, name: L('alimente.netcost.title') }).waitFor();
  await page.getByRole('table', { name: L('alimente.netcost.title') }).waitFor();
  await check(page, 'alimente-net-cost');

  // The legal service reads the title and the advances, without forms.
  const lg = await newPage(browser);
  await login(lg.page, 'thun', 'legal');
  await open(lg.page, `#/m/alimente/cases/${a.dossier.id}/title`);
  await lg.page.getByText('Obergericht Bern', { exact: true }).waitFor();
  assert.equal(await lg.page.getByRole('button', { name: L('alimente.title.save') }).count(), 0);
  assert.equal(await lg.page.getByRole('button', { name: exact(L('alimente.creditor.edit_amounts')) }).count(), 0);
  await check(lg.page, 'alimente-title-read');
  assertClean(lg.page);
  await lg.context.close();

  // The list of dossiers offers the module's states.
  await open(page, '#/m/alimente/cases');
  await page.getByRole('combobox', { name: L('casework.case.state') }).selectOption({ label: L('alimente.state.assessment') });
  await page.getByRole('link', { name: new RegExp(a.last) }).waitFor();
  assertClean(page);
  await context.close();

  // In French (biel): the same words from fr.json.
  const F = (k, p) => tx('fr', k, p);
  const cwf = await apiLogin('biel', 'caseworker');
  const b = await application(cwf, 371);
  const fp = await newPage(browser);
  await login(fp.page, 'biel', 'caseworker');
  await open(fp.page, `#/m/alimente/cases/${b.dossier.id}/checklist`);
  await fp.page.getByRole('group', { name: F('casework.case.overview') }).getByText(F('alimente.state.application'), { exact: true }).waitFor();
  await fp.page.getByRole('rowheader', { name: exact(F('alimente.doc.debtor_address')) }).waitFor();
  await check(fp.page, 'alimente-checklist-fr');
  assertClean(fp.page);
  await fp.context.close();
});

test('the team lead finds the advance decisions awaiting approval across dossiers and opens the dossier\'s advance tab', async () => {
  const L = (k, p) => tx('de', k, p);
  const cw = await apiLogin('thun', 'caseworker');
  const a = await application(cw, 942);
  const debtor = must(await api(cw, 'POST', '/api/v1/persons', { last_name: `${a.last}v`, first_name: 'Marc', birth_date: '1984-02-03' }), 201);
  must(await api(cw, 'PUT', `/api/v1/cases/${a.dossier.id}/title`, { title_kind: 'judgment', authority: 'Regionalgericht Oberland',
    decided_on: '2024-06-01', applied_on: '2025-01-01', debtor_id: debtor.id }), 201);
  const cr = must(await api(cw, 'POST', `/api/v1/cases/${a.dossier.id}/creditors`, { person_id: a.child.id, role: 'child' }), 201);
  must(await api(cw, 'PUT', `/api/v1/alimente/creditors/${cr.id}/amounts`, { amounts: [{ valid_from: '2025-01-01', amount: 70000 }] },
    { 'if-match': `"${cr.version}"` }), 200);
  const p = await api(cw, 'POST', `/api/v1/cases/${a.dossier.id}/advances`, { creditor_id: cr.id, valid_from: '2025-01-01',
    household: { size: 2, income: 4500000, assets: 100000 }, on_social_assistance: false });
  assert.equal(p.status, 201, JSON.stringify(p.json));
  must(await api(cw, 'POST', `/api/v1/alimente/advances/${p.json.id}/submit`, undefined, { 'if-match': p.etag }), 200);

  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'teamlead');
  await open(page, '#/m/alimente');
  // the work list names it for the team lead
  const wl = page.locator('section', { has: page.locator('#ah-wl-awaiting') });
  await wl.getByRole('link', { name: `Lio ${a.last}` }).waitFor();
  await page.getByRole('navigation', { name: L('alimente.nav.label') }).getByRole('link', { name: L('alimente.awaiting.nav') }).click();
  await page.getByRole('heading', { name: L('alimente.awaiting.title') }).waitFor();
  const row = page.getByRole('row', { name: new RegExp(`Lio ${a.last}`) });
  await row.waitFor();
  assert.match(await row.textContent(), /700\.00/);
  assert.match(await row.textContent(), /01\.01\.2025/);
  await check(page, 'alimente-awaiting');
  await row.getByRole('link').first().click();
  await page.getByRole('heading', { name: L('alimente.section.advances') }).first().waitFor();
  assert.match(page.url(), new RegExp(`#/m/alimente/cases/${a.dossier.id}/advances$`));
  await page.getByRole('button', { name: new RegExp(L('alimente.advance.approve') || 'Freigeben') }).first().waitFor();
  assertClean(page);
  await context.close();

  // French (biel): the navigation and the page in its words
  const fr = await newPage(browser);
  await login(fr.page, 'biel', 'teamlead');
  await open(fr.page, '#/m/alimente/advances');
  await fr.page.getByRole('heading', { name: tx('fr', 'alimente.awaiting.title') }).waitFor();
  await fr.page.getByRole('navigation', { name: tx('fr', 'alimente.nav.label') }).getByRole('link', { name: tx('fr', 'alimente.awaiting.nav') }).waitFor();
  await check(fr.page, 'alimente-awaiting-fr');
  assertClean(fr.page);
  await fr.context.close();
});

/** A collecting Alimentenhilfe dossier (thun) with a title, a child's amount and the checklist, made through the API. */
async function collecting(cw) {
  const a = await application(cw, 942);
  const D = `/api/v1/cases/${a.dossier.id}`;
  const father = must(await api(cw, 'POST', '/api/v1/persons', { last_name: `${a.last}v`, first_name: 'Marc', birth_date: '1984-02-03' }), 201);
  // a title from last year with one child's amount, the checklist, collecting
  const y = new Date().getUTCFullYear() - 1;
  must(await api(cw, 'PUT', `${D}/title`, { title_kind: 'judgment', authority: 'Regionalgericht Oberland',
    decided_on: `${y}-01-10`, applied_on: `${y}-01-01`, debtor_id: father.id }), 201);
  const cr = must(await api(cw, 'POST', `${D}/creditors`, { person_id: a.child.id, role: 'child' }), 201);
  must(await api(cw, 'PUT', `/api/v1/alimente/creditors/${cr.id}/amounts`, { amounts: [{ valid_from: `${y}-01-01`, amount: 50000 }] },
    { 'if-match': `"${cr.version}"` }), 200);
  must(await api(cw, 'PUT', `${D}/checklist`, { items: ['title', 'power_of_attorney', 'debtor_address']
    .map((code) => ({ code, received_on: `${y}-01-05` })) }, { 'if-match': '"0"' }), 200);
  for (const to of ['assessment', 'voluntary']) {
    const g = await api(cw, 'GET', D);
    must(await api(cw, 'POST', `${D}/transitions`, { to }, { 'if-match': g.etag }), 200);
  }
  return { a, D };
}

test('a reminder to the debtor from the Inkasso tab: the outstanding amount, its deadline, the letter as PDF; the next one waits for the deadline', async () => {
  const L = (k, p) => tx('de', k, p);
  const cw = await apiLogin('thun', 'caseworker');
  const { a, D } = await collecting(cw);
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'caseworker');
  await open(page, `#/m/alimente/cases/${a.dossier.id}/collection`);
  const region = page.getByRole('region', { name: L('alimente.remind.title') });
  await region.getByText(L('alimente.remind.none')).waitFor();
  await check(page, 'alimente-reminders-none');
  await region.getByRole('button', { name: L('alimente.remind.submit') }).click();
  await region.getByRole('table', { name: L('alimente.remind.title') }).waitFor();
  const [r] = must(await api(cw, 'GET', `${D}/reminders`), 200).items;
  assert.equal(r.level, 1);
  assert.ok(r.amount > 0 && r.amount % 50000 === 0, JSON.stringify(r));
  const chf = (x) => `CHF ${(x / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, "'")}`;
  const ddmm = (iso) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`;
  await region.getByText(L('alimente.remind.done', { n: '1', amount: chf(r.amount), date: ddmm(r.pay_by) })).waitFor();
  const row = region.getByRole('table', { name: L('alimente.remind.title') }).getByRole('row', { name: new RegExp(`^${ddmm(r.issued_on).replaceAll('.', '\\.')}`) });
  await row.getByRole('cell', { name: exact(chf(r.amount)) }).waitFor();
  await check(page, 'alimente-reminders');
  const [dl] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: new RegExp(L('alimente.remind.open_letter').replace(/[()]/g, '\\$&')) }).click()]);
  assert.equal(readFileSync(await dl.path()).subarray(0, 5).toString(), '%PDF-');
  // the second waits for the first one's deadline: the reason shows
  await region.getByRole('button', { name: L('alimente.remind.submit') }).click();
  await page.getByRole('alert').getByText(L('error.ah_remind_deadline_running')).waitFor();
  assertClean(page);
  await context.close();
});

test('an unmatched credit without reference assigned by hand to an Alimentenhilfe dossier on the bank file screen', async () => {
  const L = (k, p) => tx('de', k, p);
  const { a, D } = await collecting(await apiLogin('thun', 'caseworker'));
  const acc = await apiLogin('thun', 'accounting');
  const account = must(await api(acc, 'GET', '/api/v1/payment-account'), 200).iban;
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'accounting');
  await open(page, '#/m/sozialhilfe/payments');
  await page.getByLabel(L('casework.camt.file')).setInputFiles({ name: 'camt054.xml', mimeType: 'application/xml',
    buffer: Buffer.from(camt054(account, [{ cdi: 'CRDT', amount: 12345, date: isoDay(0), svc: `as${Date.now()}` }])) });
  await page.getByRole('button', { name: L('casework.camt.send') }).click();
  await page.getByText(L('casework.camt.summary', { entries: 1, matched: 0, unmatched: 1 })).waitFor();
  await page.getByRole('link', { name: L('money.camt.open_file') }).click();
  await page.getByRole('button', { name: new RegExp(`^${L('money.camt.match_by_hand')}`) }).click();
  const panel = page.locator('.match-panel');
  await panel.getByLabel(L('money.camt.assign_search')).fill(a.dossier.number);
  const name = `${a.dossier.number} ${a.last} Mara`;
  const item = panel.locator('li', { hasText: name });
  await item.getByRole('button', { name: new RegExp(`^${L('money.camt.assign_this')}`) }).click();
  await check(page, 'money-assign-asked');
  await item.getByRole('button', { name: L('money.camt.assign_yes') }).click();
  await page.getByText(L('money.camt.assigned_done', { name })).waitFor();
  const rc = must(await api(acc, 'GET', `${D}/receipts`), 200).items;
  assert.deepEqual(rc.map((r) => [r.amount, r.source]), [[12345, 'bank']]);
  await check(page, 'money-assigned');
  assertClean(page);
  await context.close();
});
