// Retention in the browser: the administrator sees the periods in force,
// a closed dossier past its period as due, sets its legal hold by keyboard
// (If-Match; when someone else changed it meanwhile the conflict is shown
// and the current state can be taken), the run's counts; German and
// French, axe and a clean console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, login, open, check, axe, assertClean, apiLogin, api, expectFocused } from './lib.mjs';
import { freshTenant, sql, DB_OWNER, tenantId, fixtureHousehold, until } from '../api/lib.mjs';

let browser;
let fresh;
let tid;
let dossier;	// closed eleven years ago: due
before(async () => {
  browser = await launch();
  fresh = await freshTenant('webret');
  tid = tenantId(fresh.slug);
  // today's scheduled run of the new tenant first (it finds nothing)
  assert.ok(await until(() => sql(DB_OWNER, `select state from job where tenant_id = ${tid}
    and type = 'core.retention'`) === 'done', 20000, 200), 'the scheduled run ran');
  const hh = fixtureHousehold(fresh.slug, [{ role: 'applicant', birth: '1960-01-01' }]);
  const row = sql(DB_OWNER, `insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs,
      opened_on, closed_on, closure_reason)
    values (${tid}, 'sozialhilfe', ${hh.household}, ${hh.persons[0]}, 'closed', 942, '2010-01-01',
      (current_date - interval '11 years')::date, 'other') returning id, number`).split('|');
  dossier = { id: Number(row[0]), number: row[1] };
});
after(async () => { await browser?.close(); });

test('retention: periods and due dossiers, legal hold by keyboard with the conflict, German and French', async () => {
  const { page } = await newPage(browser);
  await login(page, fresh.slug, 'admin', fresh.password);
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Aufbewahrung' }).click();
  await page.getByRole('heading', { name: 'Aufbewahrung und Löschung', level: 1 }).waitFor();
  await page.getByTestId('retention-periods').getByText(/10 Jahre nach dem Abschluss gelöscht, Buchhaltungsbelege 10 Jahre/).waitFor();
  const row = page.locator(`[data-testid=retention-due] [data-dossier="${dossier.id}"]`);
  await row.getByText('fällig').waitFor();
  await check(page, 'retention');

  // The dossier's legal hold, set by keyboard.
  await row.getByRole('link', { name: dossier.number }).click();
  await page.getByRole('heading', { name: `Löschsperre: Dossier ${dossier.number}`, level: 1 }).waitFor();
  const box = page.getByRole('checkbox', { name: 'Löschsperre' });
  await box.focus();
  await page.keyboard.press('Space');
  const reason = page.getByRole('textbox', { name: 'Grund' });
  // the reason appears with the checked box: Tab moves on once it is there
  await reason.waitFor();
  await page.keyboard.press('Tab');
  await expectFocused(reason, 'Tab reaches the reason');
  await page.keyboard.press('Tab');
  await expectFocused(page.getByRole('button', { name: 'Speichern' }), 'then the save button');
  await page.keyboard.press('Enter');
  await page.getByText('Bitte den Grund der Löschsperre angeben.').waitFor();
  await reason.fill('Beschwerde hängig');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('Die Löschsperre ist gesetzt.').waitFor();
  const a = await apiLogin(fresh.slug, 'admin', fresh.password);
  const held = await api(a, 'GET', `/api/v1/retention/holds/${dossier.id}`);
  assert.equal(held.json.legal_hold, true);
  assert.equal(held.json.reason, 'Beschwerde hängig');

  // Someone else lifts it meanwhile; lifting it here again is a conflict,
  // shown with what they did, and the current state can be taken.
  const lifted = await api(a, 'PUT', `/api/v1/retention/holds/${dossier.id}`, { hold: false }, { 'if-match': held.etag });
  assert.equal(lifted.status, 200);
  await box.uncheck();
  await page.getByRole('button', { name: 'Speichern' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Jemand anderes hat diesen Eintrag inzwischen geändert' });
  await alert.waitFor();
  await axe(page, 'retention-conflict');
  await alert.getByRole('button', { name: 'Meine Änderungen verwerfen' }).click();
  await alert.waitFor({ state: 'detached' });
  assert.equal(await box.isChecked(), false);

  // The run: counts only; the held-then-lifted dossier is due again and goes.
  const j = await api(a, 'POST', '/api/v1/jobs', { type: 'core.retention' });
  assert.equal(j.status, 202);
  assert.ok(await until(async () => (await api(a, 'GET', `/api/v1/jobs/${j.json.id}`)).json.state === 'done', 20000, 200));
  await open(page, '#/retention');
  await page.locator('[data-testid=retention-runs]').getByText('Dossiers: 1').waitFor();
  await page.getByText('Kein abgeschlossenes Dossier hat seine Frist überschritten.').waitFor();

  // The same in French.
  await page.getByRole('button', { name: 'Français' }).click();
  await page.getByRole('heading', { name: 'Conservation et suppression', level: 1 }).waitFor();
  await page.locator('[data-testid=retention-runs]').getByText('Personnes: 1').waitFor();
  await check(page, 'retention-fr');
  assertClean(page);
});
