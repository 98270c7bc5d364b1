// Persons and households in the browser, in German (thun) and French
// (biel): reception registers a family in one form (applicant, partner, a
// new child and a child registered before) with its dossier, and the case
// worker's budget counts the four of them; a person is edited with the
// address history and a two-context conflict; the search finds a first
// name alone and any spelling of umlauts, and Back returns to it; the
// person page shows the dossiers; a new-born joins the household (its
// fields set at once, as autofill does); Escape closes the inline forms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, open, check, shot, assertClean, apiLogin, api, uniq, tx, exact, newAhv, expectFocused,
} from './lib.mjs';

/** A name part no other test uses: letters only. */
const stem = () => uniq('n').replace(/[^a-z]/g, '').slice(-8);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function family(lang, tenant, town) {
  const L = (k, p) => tx(lang, k, p);
  const last = `Fam${stem()}`;
  // A child registered on an earlier visit, in no household yet.
  const rs = await apiLogin(tenant, 'reception');
  const known = await api(rs, 'POST', '/api/v1/persons', { last_name: last, first_name: 'Noé', birth_date: '2017-09-09' });
  assert.equal(known.status, 201, JSON.stringify(known.json));

  const rc = await newPage(browser);
  const p = rc.page;
  await login(p, tenant, 'reception');
  await open(p, '#/m/sozialhilfe/persons/new');
  const applicant = p.getByRole('group', { name: L('person.legend'), exact: true });
  await applicant.getByRole('textbox', { name: exact(L('person.last_name')) }).fill(last);
  await applicant.getByRole('textbox', { name: exact(L('person.first_name')) }).fill('Sandra');
  await applicant.getByRole('textbox', { name: exact(L('person.birth_date')) }).fill('02.03.1984');
  await applicant.getByRole('textbox', { name: exact(L('person.ahv')) }).fill(newAhv());
  await applicant.getByRole('textbox', { name: exact(L('person.street')) }).fill('Aarefeldstrasse');
  await applicant.getByRole('textbox', { name: exact(L('person.house_no')) }).fill('4');
  await applicant.getByRole('textbox', { name: exact(L('person.postcode')) }).fill(tenant === 'thun' ? '3600' : '2502');
  await applicant.getByRole('textbox', { name: exact(L('person.town')) }).fill(town);
  await applicant.getByRole('combobox', { name: L('persons.civil_status') }).selectOption('married');
  // Partner and a new child: new persons, the family's last name already in place.
  await p.getByRole('button', { name: L('persons.family.add_partner') }).click();
  const partner = p.getByRole('group', { name: L('persons.family.member', { n: 2, role: L('role.partner') }) });
  assert.equal(await partner.getByRole('textbox', { name: exact(L('person.last_name')) }).inputValue(), last);
  await partner.getByRole('textbox', { name: exact(L('person.first_name')) }).fill('Marco');
  await partner.getByRole('textbox', { name: exact(L('person.birth_date')) }).fill('19.07.1982');
  await p.getByRole('button', { name: L('persons.family.add_child') }).click();
  const child = p.getByRole('group', { name: L('persons.family.member', { n: 3, role: L('role.child') }) });
  await child.getByRole('textbox', { name: exact(L('person.first_name')) }).fill('Lina');
  // The child registered before: found and picked; Escape closes the search first.
  await p.getByRole('button', { name: L('persons.family.add_existing') }).click();
  await expectFocused(p.getByRole('searchbox', { name: exact(L('search.name')) }), 'the search takes the focus');
  await p.keyboard.press('Escape');
  await p.getByRole('heading', { name: L('persons.family.find_title') }).waitFor({ state: 'detached' });
  await expectFocused(p.getByRole('button', { name: L('persons.family.add_existing') }), 'Escape gives the focus back');
  await p.getByRole('button', { name: L('persons.family.add_existing') }).click();
  await p.getByRole('searchbox', { name: exact(L('search.name')) }).fill(`${last} No`);
  await p.getByRole('button', { name: `${L('household.pick')} – ${last} Noé` }).click();
  const noe = p.getByRole('group', { name: L('persons.family.member', { n: 4, role: L('role.child') }) });
  await noe.getByText(L('persons.family.existing', { name: `${last} Noé`, date: '09.09.2017' })).waitFor();
  // The new child's birth date is missing: the form says so at the field.
  await p.getByRole('combobox', { name: L('case.municipality') }).selectOption({ label: town });
  await p.getByRole('button', { name: L('person.register_submit') }).click();
  await child.getByText(L('form.missing')).waitFor();
  await p.getByText(L('persons.family.summary', { n: 4 })).waitFor();
  await check(p, `persons-family-form-${lang}`);
  await child.getByRole('textbox', { name: exact(L('person.birth_date')) }).fill('05.05.2014');
  await p.getByRole('button', { name: L('person.register_submit') }).click();
  await p.getByText(L('case.registered')).waitFor();
  const caseId = Number(/cases\/(\d+)/.exec(p.url())[1]);
  await open(p, `#/m/sozialhilfe/cases/${caseId}/household`);
  const members = p.getByRole('region', { name: L('household.over_time_name', { name: L('household.default_name', { name: `${last} Sandra` }) }) });
  const rows = members.locator('tbody tr');
  await rows.nth(3).waitFor();
  assert.equal(await rows.count(), 4);
  for (const n of ['Sandra', 'Marco', 'Lina', 'Noé']) await p.getByRole('link', { name: `${last} ${n}` }).waitFor();
  // New members live in the applicant's flat and write in her language.
  const cs = await api(rs, 'GET', `/api/v1/cases/${caseId}`);
  const hh = await api(rs, 'GET', `/api/v1/households/${cs.json.household_id}`);
  const marco = await api(rs, 'GET', `/api/v1/persons/${hh.json.members.find((m) => m.first_name === 'Marco').person_id}`);
  assert.deepEqual([marco.json.street, marco.json.town, marco.json.language], ['Aarefeldstrasse', town, lang]);
  await check(p, `persons-family-household-${lang}`);
  assertClean(p);
  await rc.context.close();

  // The case worker's budget counts the household of four.
  const cw = await newPage(browser);
  await login(cw.page, tenant, 'caseworker');
  await open(cw.page, `#/m/sozialhilfe/cases/${caseId}/budget-new`);
  await cw.page.getByRole('textbox', { name: exact(L('budget.rent')) }).fill('1800');
  await cw.page.getByRole('textbox', { name: exact(L('budget.kvg')) }).fill('900');
  const preview = cw.page.getByRole('region', { name: L('budget.preview') });
  const four = lang === 'de' ? /4 Personen/ : /4 personnes/;
  await preview.locator('table.budget-lines tbody tr', { hasText: four }).first().waitFor();
  await check(cw.page, `persons-family-budget-${lang}`);
  assertClean(cw.page);
  await cw.context.close();
}

test('Familie erfassen: Antragstellerin, Partner, Kinder in einem Formular; das Budget zählt vier (thun)', async () => {
  await family('de', 'thun', 'Thun');
});

test('Enregistrer une famille : requérante, partenaire, enfants en un formulaire ; le budget compte quatre (biel)', async () => {
  await family('fr', 'biel', 'Biel/Bienne');
});

test('a person: search in any spelling and Back, dossiers, edit with a move and a conflict, a new-born, Escape', async () => {
  const L = (k, p) => tx('de', k, p);
  const s = stem();
  const last = `Brönnimann${s}`;
  const first = `Zoë${s}`;
  const cwApi = await apiLogin('thun', 'caseworker');
  const hh = await api(cwApi, 'POST', '/api/v1/households', { name: `Haushalt ${last}`, members: [
    { person: { last_name: last, first_name: first, birth_date: '1990-04-04', street: 'Bälliz', house_no: '1', postcode: '3600', town: 'Thun' }, role: 'applicant', valid_from: '2026-01-01' }] });
  assert.equal(hh.status, 201, JSON.stringify(hh.json));
  const pid = hh.json.members[0].person_id;
  const cs = await api(cwApi, 'POST', '/api/v1/cases', { household_id: hh.json.id, applicant_id: pid, municipality_bfs: 942, caseworker_id: cwApi.me.user.id });
  assert.equal(cs.status, 201, JSON.stringify(cs.json));

  const a = await newPage(browser);
  const p = a.page;
  await login(p, 'thun', 'caseworker');
  await open(p, '#/m/sozialhilfe/persons');
  // Umlauts in another spelling, then the first name alone.
  const box = p.getByRole('searchbox', { name: exact(L('search.name')) });
  await box.fill(`Broennimann${s}`);
  const hit = p.getByRole('link', { name: `${last} ${first}` });
  await hit.waitFor();
  await box.fill(`Zoe${s}`);
  await p.getByText(L('search.found', { n: 1 })).waitFor();
  await hit.waitFor();
  // The result shows the dossier with its state and case worker.
  const row = p.locator('tbody tr', { has: hit });
  await row.getByRole('link', { name: L('persons.dossier_no', { id: cs.json.id }) }).waitFor();
  await row.getByText(L('state.registration')).waitFor();
  await check(p, 'persons-search-dossiers');
  await hit.click();
  await p.getByRole('heading', { level: 1, name: `${last} ${first}` }).waitFor();
  await p.goBack();
  await p.getByRole('heading', { level: 1, name: L('search.title') }).waitFor();
  assert.equal(await box.inputValue(), `Zoe${s}`, 'Back keeps the search');
  await hit.click();
  await p.getByRole('heading', { level: 1, name: `${last} ${first}` }).waitFor();
  const dossiers = p.getByRole('region', { name: L('persons.dossiers') });
  await dossiers.getByRole('link', { name: L('persons.dossier_no', { id: cs.json.id }) }).waitFor();
  await dossiers.getByText(L('persons.dossier_applicant')).waitFor();

  // Escape closes the edit form and gives the focus back.
  const editBtn = p.getByRole('button', { name: L('persons.edit'), exact: true });
  await editBtn.click();
  await expectFocused(p.getByRole('textbox', { name: exact(L('person.last_name')) }), 'the edit form takes the focus');
  await p.keyboard.press('Escape');
  await p.getByRole('heading', { name: L('persons.edit_title') }).waitFor({ state: 'detached' });
  await expectFocused(editBtn, 'Escape closes the edit form');

  // Someone else changes the phone number while this form is open.
  await editBtn.click();
  const form = p.locator('form', { has: p.getByRole('heading', { name: L('persons.edit_title') }) });
  const b = await newPage(browser);
  await login(b.page, 'thun', 'teamlead');
  await open(b.page, `#/m/sozialhilfe/persons/${pid}`);
  await b.page.getByRole('button', { name: L('persons.edit'), exact: true }).click();
  await b.page.getByRole('textbox', { name: exact(L('person.phone')) }).fill('+41 33 111 22 33');
  await b.page.getByRole('button', { name: L('form.save') }).click();
  await b.page.getByText(L('form.saved')).waitFor();
  // This user records a move and the civil status.
  await form.getByRole('combobox', { name: L('persons.civil_status') }).selectOption('divorced');
  await form.getByRole('combobox', { name: L('persons.permit') }).selectOption('C');
  await form.getByRole('textbox', { name: exact(L('person.street')) }).fill('Höheweg');
  await form.getByRole('textbox', { name: exact(L('person.house_no')) }).fill('7');
  await form.getByRole('textbox', { name: exact(L('person.postcode')) }).fill('3612');
  await form.getByRole('textbox', { name: exact(L('person.town')) }).fill('Steffisburg');
  await form.getByRole('textbox', { name: exact(L('persons.moved_on')) }).fill('01.10.2026');
  await form.getByRole('button', { name: L('form.save') }).click();
  const panel = p.locator('.conflict');
  await panel.waitFor();
  const phone = panel.locator('tbody tr', { has: p.locator('th', { hasText: L('person.phone') }) });
  assert.deepEqual(await phone.locator('td').allTextContents(), ['–', '+41 33 111 22 33', L('conflict.unchanged')]);
  await check(p, 'persons-edit-conflict');
  await p.getByRole('button', { name: L('conflict.reapply') }).click();
  await panel.waitFor({ state: 'detached' });
  await form.getByRole('button', { name: L('form.save') }).click();
  await p.getByText(L('form.saved')).waitFor();
  const facts = p.getByRole('region', { name: L('person.legend'), exact: true });
  await facts.getByText('Höheweg 7, 3612 Steffisburg').waitFor();
  await facts.getByText(L('persons.civil.divorced')).waitFor();
  await facts.getByText('+41 33 111 22 33').waitFor();
  const addresses = p.getByRole('region', { name: L('persons.addresses') });
  assert.deepEqual(await addresses.locator('tbody tr').evaluateAll((rs) => rs.map((r) => [...r.cells].map((c) => c.textContent))),
    [['01.10.2026', '–', 'Höheweg 7, 3612 Steffisburg'], [L('persons.address_first'), '01.10.2026', 'Bälliz 1, 3600 Thun']]);
  await check(p, 'persons-person-edited');

  // The household: a new-born joins from the day of birth; Escape closes the end form.
  await p.getByRole('link', { name: `Haushalt ${last}` }).click();
  await p.getByRole('heading', { level: 1, name: `Haushalt ${last}` }).waitFor();
  const end = p.getByRole('button', { name: `${L('household.end')} – ${last} ${first}` });
  await end.click();
  await expectFocused(p.getByRole('textbox', { name: exact(L('household.valid_to')) }), 'the end form takes the focus');
  await p.keyboard.press('Escape');
  await p.getByRole('textbox', { name: exact(L('household.valid_to')) }).waitFor({ state: 'detached' });
  await expectFocused(end, 'Escape closes the end form');
  await p.getByRole('button', { name: L('persons.household.add_new') }).click();
  const nb = p.getByRole('group', { name: L('persons.household.new_legend') });
  // Both fields in one task, as a browser's autofill sets them: the
  // second input must not undo the first (a form that set its state from
  // the value it rendered with lost the first name here).
  const typed = [
    [await nb.getByRole('textbox', { name: exact(L('person.first_name')) }).elementHandle(), 'Mia'],
    [await nb.getByRole('textbox', { name: exact(L('person.birth_date')) }).elementHandle(), '14.11.2026'],
  ];
  await p.evaluate((fields) => {
    for (const [el, v] of fields) {
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }, typed);
  assert.equal(await nb.getByRole('textbox', { name: exact(L('person.first_name')) }).inputValue(), 'Mia');
  await check(p, 'persons-household-newborn');
  await p.getByRole('button', { name: L('household.add_submit') }).click();
  await p.getByText(L('household.member_added')).waitFor();
  const mia = p.locator('tbody tr', { has: p.getByRole('link', { name: `${last} Mia` }) });
  await mia.waitFor();	// the list is read again after the notice
  assert.deepEqual(await mia.locator('td').evaluateAll((cs2) => cs2.slice(1, 5).map((c) => c.textContent)),
    ['14.11.2026', L('role.child'), '14.11.2026', '–']);
  // A partner who lived elsewhere moves in: the other household's membership ends that day.
  const tim = await api(cwApi, 'POST', '/api/v1/households', { name: `WG ${s}`, members: [
    { person: { last_name: `Meier${s}`, first_name: 'Tim', birth_date: '1988-08-08' }, role: 'applicant', valid_from: '2025-01-01' }] });
  assert.equal(tim.status, 201, JSON.stringify(tim.json));
  await p.getByRole('button', { name: L('persons.household.add_existing') }).click();
  await p.getByRole('searchbox', { name: exact(L('search.name')) }).fill(`Tim Meier${s}`);
  await p.getByRole('button', { name: `${L('household.pick')} – Meier${s} Tim` }).click();
  await p.getByRole('combobox', { name: L('household.role') }).selectOption('partner');
  await p.getByRole('textbox', { name: exact(L('household.valid_from')) }).fill('01.11.2026');
  await p.getByRole('button', { name: L('household.add_submit') }).click();
  await p.getByText(L('persons.family.in_other', { name: `Meier${s} Tim`, household: `WG ${s}`, date: '01.01.2025' })).waitFor();
  await p.getByRole('checkbox', { name: L('persons.family.move') }).check();
  await p.getByRole('button', { name: L('household.add_submit') }).click();
  await p.getByText(L('persons.household.moved', { household: `WG ${s}`, date: '01.11.2026' })).waitFor();
  const was = await api(cwApi, 'GET', `/api/v1/households/${tim.json.id}`);
  assert.equal(was.json.members[0].valid_to, '2026-11-01');
  const after2 = await api(cwApi, 'GET', `/api/v1/households/${hh.json.id}`);
  assert.equal(after2.json.members.length, 3);
  await shot(p, 'persons-household-after');
  for (const x of [p, b.page]) assertClean(x);
  await a.context.close();
  await b.context.close();
});
