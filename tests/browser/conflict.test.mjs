// Two browser contexts edit the same record on every editable screen
// (issue 10, finding 4): the first saves, the second's save shows the
// conflict panel with the first person's value, keeps what the second
// typed, and after "apply my changes" both are saved: nothing is lost.
// Screens: a goal of the goal agreement, the intake checklist, a person,
// a user (admin). A deadline marked done by the first is reported to the
// second as done (no silent toggle back). Escape closes the inline goal
// form and a question (ConfirmButton); the focus returns to the button.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, open, assertClean, apiLogin, api, tx, exact, expectFocused, check, uniq,
} from './lib.mjs';
import { tenantId } from '../api/lib.mjs';
import { makeDossier, userId } from '../api/money-lib.mjs';

const L = (k, p) => tx('de', k, p);
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The conflict panel's row of a field: [before, now, yours]. */
async function conflictRow(page, label) {
  const panel = page.locator('.conflict');
  await panel.waitFor();
  return panel.locator('tbody tr', { has: page.locator('th', { hasText: label }) }).locator('td').allTextContents();
}

/** Apply own changes on top of the current record and save again. */
async function reapplyAndSave(page, save, saved) {
  await page.getByRole('button', { name: L('conflict.reapply') }).click();
  await page.locator('.conflict').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: save, exact: true }).click();
  await page.getByText(saved).first().waitFor();
}

test('two people edit the same goal, checklist, person, deadline and user: the second sees the first one\'s value and loses nothing; Escape closes the inline form', async () => {
  const thun = Number(tenantId('thun'));
  const lead = await apiLogin('thun', 'teamlead');
  const D = makeDossier(thun, userId('thun', 'caseworker'), { last: uniq('Konflikt').replace(/-/g, ''), state: 'intake' });
  const goal = (await api(lead, 'POST', `/api/v1/cases/${D.id}/goals`, { title: 'Deutschkurs A2 abschliessen', due_on: '2027-06-30' })).json;
  const dl = (await api(lead, 'POST', `/api/v1/cases/${D.id}/deadlines`, { due_on: '2027-03-31', text: 'Mietvertrag einfordern' })).json;
  const a = await newPage(browser);
  const b = await newPage(browser);
  try {
    await login(a.page, 'thun', 'caseworker');
    await login(b.page, 'thun', 'teamlead');

    // A goal: A sets its state, B writes the review result.
    await open(a.page, `#/m/sozialhilfe/cases/${D.id}/goals`);
    await open(b.page, `#/m/sozialhilfe/cases/${D.id}/goals`);
    const editBtn = (pg) => pg.getByRole('button', { name: exact(L('web.goal.edit')) });
    // Escape closes the inline form and the focus is back on its button.
    await editBtn(b.page).click();
    const result = (pg) => pg.getByRole('textbox', { name: L('web.goal.review_result') });
    await result(b.page).fill('verworfen');
    await result(b.page).press('Escape');
    await result(b.page).waitFor({ state: 'detached' });
    await expectFocused(editBtn(b.page), 'Escape gives the focus back to the button that opened the form');
    await editBtn(a.page).click();
    await a.page.getByRole('combobox', { name: L('sozialhilfe.goals.status') }).selectOption('partly');
    await a.page.getByRole('button', { name: L('form.save'), exact: true }).click();
    await a.page.getByText(L('web.goal.saved')).waitFor();
    await editBtn(b.page).click();
    await result(b.page).fill('Kurs besucht, Prüfung im Juli');
    await b.page.getByRole('button', { name: L('form.save'), exact: true }).click();
    assert.deepEqual(await conflictRow(b.page, L('sozialhilfe.goals.status')),
      [L('sozialhilfe.goal_status.open'), L('sozialhilfe.goal_status.partly'), L('conflict.unchanged')]);
    assert.equal(await result(b.page).inputValue(), 'Kurs besucht, Prüfung im Juli', 'the typed input stays');
    await check(b.page, 'conflict-goal');
    await reapplyAndSave(b.page, L('form.save'), L('web.goal.saved'));
    const g = (await api(lead, 'GET', `/api/v1/cases/${D.id}/goals`)).json.items.find((x) => x.id === goal.id);
    assert.deepEqual([g.status, g.review_result], ['partly', 'Kurs besucht, Prüfung im Juli'], 'both changes saved');

    // The checklist: a remark each on two documents.
    await open(a.page, `#/m/sozialhilfe/cases/${D.id}/checklist`);
    await open(b.page, `#/m/sozialhilfe/cases/${D.id}/checklist`);
    const note = (pg, c) => pg.locator(`input[name=note_${c}]`);
    await note(a.page, 'income_proof').fill('Lohnausweis 2026');
    await a.page.getByRole('button', { name: L('casework.checklist.save') }).click();
    await a.page.getByText(L('form.saved')).waitFor();
    await note(b.page, 'bank_statements').fill('drei Monate fehlen');
    await b.page.getByRole('button', { name: L('casework.checklist.save') }).click();
    assert.deepEqual(await conflictRow(b.page, L('casework.checklist.note_for', { doc: L('sozialhilfe.doc.income_proof') })),
      ['–', 'Lohnausweis 2026', L('conflict.unchanged')]);
    await reapplyAndSave(b.page, L('casework.checklist.save'), L('form.saved'));
    const cl = (await api(lead, 'GET', `/api/v1/cases/${D.id}/checklist`)).json.items;
    assert.deepEqual(['income_proof', 'bank_statements'].map((c) => cl.find((i) => i.code === c)?.note),
      ['Lohnausweis 2026', 'drei Monate fehlen'], 'both remarks saved');

    // A deadline: A marks it done; B, with the old list, is told it is done.
    await open(a.page, `#/m/sozialhilfe/cases/${D.id}/deadlines`);
    await open(b.page, `#/m/sozialhilfe/cases/${D.id}/deadlines`);
    const done = (pg) => pg.getByRole('button', { name: `${L('casework.deadline.mark_done')} – Mietvertrag einfordern` });
    await done(a.page).click();
    await a.page.getByText(L('casework.deadline.done_note')).waitFor();
    await done(b.page).click();
    await b.page.getByText(L('web.deadline.changed', { text: 'Mietvertrag einfordern', state: '§' }).split('§')[0]).waitFor();
    await b.page.getByRole('button', { name: `${L('casework.deadline.reopen')} – Mietvertrag einfordern` }).waitFor();
    const d = (await api(lead, 'GET', `/api/v1/cases/${D.id}/deadlines`)).json.items.find((x) => x.id === dl.id);
    assert.ok(d.done_on, 'the deadline stays done');

    // A person: A changes the phone, B the e-mail.
    await open(a.page, `#/m/sozialhilfe/persons/${D.person}`);
    await open(b.page, `#/m/sozialhilfe/persons/${D.person}`);
    for (const pg of [a.page, b.page]) await pg.getByRole('button', { name: L('persons.edit') }).click();
    await a.page.locator('input[name=phone]').fill('033 123 45 67');
    await a.page.getByRole('button', { name: L('form.save'), exact: true }).click();
    await a.page.getByText(L('form.saved')).waitFor();
    await b.page.locator('input[name=email]').fill('klient@example.ch');
    await b.page.getByRole('button', { name: L('form.save'), exact: true }).click();
    assert.deepEqual((await conflictRow(b.page, L('casework.person.phone'))).slice(1), ['033 123 45 67', L('conflict.unchanged')]);
    await reapplyAndSave(b.page, L('form.save'), L('form.saved'));
    const p = (await api(lead, 'GET', `/api/v1/persons/${D.person}`)).json;
    assert.deepEqual([p.phone, p.email], ['033 123 45 67', 'klient@example.ch'], 'both contact details saved');
    assertClean(a.page);
    assertClean(b.page);
  } finally {
    await a.context.close();
    await b.context.close();
  }

  // A user, edited by two admins at once.
  const admin = await apiLogin('thun', 'admin');
  const u = (await api(admin, 'POST', '/api/v1/admin/users', {
    username: uniq('konflikt'), display_name: 'Kurt Konflikt', password: 'ein-langes-Passwort-42', roles: ['caseworker'],
  })).json;
  const c = await newPage(browser);
  const e = await newPage(browser);
  try {
    await login(c.page, 'thun', 'admin');
    await login(e.page, 'thun', 'admin');
    await open(c.page, `#/users/${u.id}`);
    await open(e.page, `#/users/${u.id}`);
    await c.page.getByRole('textbox', { name: exact(L('users.display_name')) }).fill('Kurt Konfliktfrei');
    await c.page.getByRole('button', { name: L('form.save'), exact: true }).click();
    await c.page.getByText(L('form.saved')).waitFor();
    await e.page.getByRole('textbox', { name: exact(L('users.email')) }).fill('kurt@example.ch');
    await e.page.getByRole('button', { name: L('form.save'), exact: true }).click();
    assert.deepEqual(await conflictRow(e.page, L('users.display_name')), ['Kurt Konflikt', 'Kurt Konfliktfrei', L('conflict.unchanged')]);
    await reapplyAndSave(e.page, L('form.save'), L('form.saved'));
    // Escape takes back a question (ConfirmButton) and the focus returns.
    const ask = c.page.getByRole('button', { name: L('users.sessions_revoke') });
    await ask.click();
    const yes = c.page.getByRole('button', { name: L('users.sessions_revoke_yes') });
    await expectFocused(yes, 'the question takes the focus');
    await yes.press('Escape');
    await yes.waitFor({ state: 'detached' });
    await expectFocused(ask, 'Escape gives the focus back to the button that asked');
    const now = (await api(admin, 'GET', `/api/v1/admin/users/${u.id}`)).json;
    assert.deepEqual([now.display_name, now.email], ['Kurt Konfliktfrei', 'kurt@example.ch'], 'both changes saved');
    assertClean(c.page);
    assertClean(e.page);
  } finally {
    await c.context.close();
    await e.context.close();
  }
});
