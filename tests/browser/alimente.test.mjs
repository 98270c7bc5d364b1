// The Alimentenhilfe path in the browser (issue 14): an application for
// child support opened as a dossier of the module alimente, its words in
// German (thun) and French (biel): states, the application's checklist
// (InkHV art. 9) and the step to the assessment. axe on every screen, no
// console errors. Texts come from the message files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, open, check, assertClean, apiLogin, api, uniq, tx,
} from './lib.mjs';

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

test('an Alimentenhilfe application: its words, the checklist and the step to the assessment, in German and French', async () => {
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
  const table = page.getByRole('table', { name: L('sozialhilfe.section.checklist') });
  await table.getByRole('rowheader', { name: new RegExp(`^${L('alimente.doc.power_of_attorney')}`) }).waitFor();
  await page.getByText(L('sozialhilfe.checklist.missing', { list: [L('alimente.doc.title'), L('alimente.doc.power_of_attorney'), L('alimente.doc.debtor_address')].join(', ') })).waitFor();
  await check(page, 'alimente-checklist');
  for (const c of ['title', 'power_of_attorney', 'debtor_address'])
    await page.getByLabel(L('sozialhilfe.checklist.received_for', { doc: L(`alimente.doc.${c}`) })).fill('01.11.2026');
  await page.getByRole('button', { name: L('sozialhilfe.checklist.save') }).click();
  await page.getByText(L('sozialhilfe.checklist.complete')).waitFor();

  // The step to the assessment, with the module's hint.
  await page.getByRole('navigation', { name: L('casework.case.sections') }).getByRole('link', { name: L('casework.section.overview') }).click();
  const to = page.getByRole('combobox', { name: L('casework.transition.to') });
  await to.selectOption({ label: L('alimente.state.assessment') });
  await page.getByText(L('alimente.transition_hint.application')).waitFor();
  await page.getByRole('button', { name: L('casework.transition.submit') }).click();
  await overview.getByText(L('alimente.state.assessment'), { exact: true }).waitFor();

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
  await fp.page.getByRole('rowheader', { name: new RegExp(`^${F('alimente.doc.debtor_address')}`) }).waitFor();
  await check(fp.page, 'alimente-checklist-fr');
  assertClean(fp.page);
  await fp.context.close();
});
