// Tenant administration in the browser: users (create, edit, roles,
// password, sessions), the 409 conflict between two people editing the
// same user, API tokens, and the keyboard-only path through a form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, open, check, axe, shot, assertClean, apiLogin, api, uniq, tabTo, PW, expectFocused, eventually, tx,
} from './lib.mjs';

let browser;
let admin;
before(async () => {
  browser = await launch();
  admin = await apiLogin('thun', 'admin');
});
after(async () => { await browser?.close(); });

test('tenant admin creates a user with roles and edits it', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'admin');
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Benutzer' }).click();
  await page.locator('table').waitFor();
  await check(page, 'users-list');
  await page.getByRole('link', { name: 'Neuer Benutzer' }).click();
  await page.getByRole('heading', { name: 'Neuen Benutzer erfassen' }).waitFor();
  // Sending an incomplete form marks the fields and sends nothing.
  await page.getByRole('button', { name: 'Benutzer erfassen' }).click();
  await page.getByText('Bitte korrigieren Sie die markierten Felder.').waitFor();
  assert.equal(await page.getByLabel('Benutzername').getAttribute('aria-invalid'), 'true');
  await check(page, 'user-new-errors');
  const username = uniq('web');
  await page.getByLabel('Benutzername').fill(username);
  await page.getByLabel(/^Name/).fill('Nina Neu');
  await page.getByLabel('E-Mail').fill('nina.neu@thun.example');
  await page.getByRole('combobox', { name: 'Sprache' }).selectOption('fr');
  await page.getByLabel('Erstes Passwort').fill('ein-gutes-passwort');
  await page.getByRole('checkbox', { name: 'Sozialarbeiter/in' }).check();
  await page.getByRole('checkbox', { name: 'Teamleitung' }).check();
  await page.getByRole('button', { name: 'Benutzer erfassen' }).click();
  await page.getByRole('heading', { name: `Benutzer ${username}` }).waitFor();
  await page.getByText('Der Benutzer ist erfasst.').waitFor();
  await check(page, 'user-edit');
  const id = Number(/#\/users\/(\d+)/.exec(page.url())[1]);
  let u = await api(admin, 'GET', `/api/v1/admin/users/${id}`);
  assert.deepEqual(u.json.roles.sort(), ['caseworker', 'teamlead']);
  assert.equal(u.json.language, 'fr');

  // Creating the same username again is refused at the field.
  await open(page, '#/users/new');
  await page.getByLabel('Benutzername').fill(username);
  await page.getByLabel(/^Name/).fill('Doppelt');
  await page.getByLabel('Erstes Passwort').fill('ein-gutes-passwort');
  await page.getByRole('button', { name: 'Benutzer erfassen' }).click();
  await page.getByText('Diesen Benutzernamen gibt es schon').waitFor();

  // Edit: name, e-mail, a role less, deactivated. (Removing the e-mail is
  // not possible yet: PATCH {"email": null} is accepted but ignored.)
  await open(page, `#/users/${id}`);
  await page.getByLabel(/^Name/).fill('Nina Neumann');
  await page.getByLabel('E-Mail').fill('nina.neumann@thun.example');
  await page.getByRole('checkbox', { name: 'Teamleitung' }).uncheck();
  await page.getByRole('checkbox', { name: 'Konto aktiv' }).uncheck();
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('Die Änderungen sind gespeichert.').waitFor();
  u = await api(admin, 'GET', `/api/v1/admin/users/${id}`);
  assert.equal(u.json.display_name, 'Nina Neumann');
  assert.equal(u.json.email, 'nina.neumann@thun.example');
  assert.deepEqual(u.json.roles, ['caseworker']);
  assert.equal(u.json.active, false);

  // Password reset, then a further edit still saves (the version moved on).
  await page.getByLabel('Neues Passwort').fill('kurz');
  await page.getByRole('button', { name: 'Passwort setzen' }).click();
  await page.getByText('Das Passwort braucht mindestens 10 Zeichen.').waitFor();
  await page.getByLabel('Neues Passwort').fill('ganz-neues-passwort');
  await page.getByRole('button', { name: 'Passwort setzen' }).click();
  await page.getByText('Das neue Passwort ist gesetzt').waitFor();
  await page.getByRole('checkbox', { name: 'Konto aktiv' }).check();
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('Die Änderungen sind gespeichert.').waitFor();
  const s = await apiLogin('thun', username, 'ganz-neues-passwort');
  assert.ok(s.csrf);

  // End every session of the user (with a confirmation).
  await page.getByRole('button', { name: 'Alle Sitzungen beenden' }).click();
  await page.getByRole('button', { name: 'Ja, Sitzungen beenden' }).click();
  await page.getByText('Alle Sitzungen der Person sind beendet.').waitFor();
  assert.equal((await api(s, 'GET', '/api/v1/me')).status, 401);
  await axe(page, 'user-edit-after-actions');
  assertClean(page);
  await context.close();
});

test('two people edit the same user: the second sees the conflict field by field and reapplies', async () => {
  const username = uniq('cf');
  const c = await api(admin, 'POST', '/api/v1/admin/users',
    { username, display_name: 'Konrad Konflikt', password: 'initial-pass-1', roles: ['reception'] });
  assert.equal(c.status, 201);
  const id = c.json.id;
  const a = await newPage(browser);
  const b = await newPage(browser);
  await login(a.page, 'thun', 'admin');
  await login(b.page, 'thun', 'admin');
  await open(a.page, `#/users/${id}`);
  await open(b.page, `#/users/${id}`);

  // A changes the name and saves first.
  await a.page.getByLabel(/^Name/).fill('Konrad Konflikt-Meier');
  await a.page.getByRole('button', { name: 'Speichern' }).click();
  await a.page.getByText('Die Änderungen sind gespeichert.').waitFor();

  // B, still on the old version, changes e-mail, language and roles.
  await b.page.getByLabel('E-Mail').fill('konrad@thun.example');
  await b.page.getByRole('combobox', { name: 'Sprache' }).selectOption('fr');
  await b.page.getByRole('checkbox', { name: 'Buchhaltung' }).check();
  await b.page.getByRole('button', { name: 'Speichern' }).click();
  const panel = b.page.locator('.conflict');
  await panel.waitFor();
  assert.match(await panel.locator('h2').textContent(), /Jemand anderes hat diesen Eintrag inzwischen geändert/);
  const row = (label) => panel.locator('tbody tr', { has: b.page.locator('th', { hasText: label }) });
  assert.deepEqual(await row('Name').locator('td').allTextContents(),
    ['Konrad Konflikt', 'Konrad Konflikt-Meier', '(nicht geändert)']);
  assert.deepEqual(await row('E-Mail').locator('td').allTextContents(), ['–', '–', 'konrad@thun.example']);
  assert.deepEqual(await row('Sprache').locator('td').allTextContents(), ['Deutsch', 'Deutsch', 'Französisch']);
  assert.match((await row('Rollen').locator('td').allTextContents())[2], /Buchhaltung/);
  // Nothing typed is lost while the panel is open.
  assert.equal(await b.page.getByLabel('E-Mail').inputValue(), 'konrad@thun.example');
  await check(b.page, 'user-conflict');

  await b.page.getByRole('button', { name: 'Meine Änderungen auf den aktuellen Stand anwenden' }).click();
  await panel.waitFor({ state: 'detached' });
  assert.equal(await b.page.getByLabel(/^Name/).inputValue(), 'Konrad Konflikt-Meier');
  assert.equal(await b.page.getByLabel('E-Mail').inputValue(), 'konrad@thun.example');
  await b.page.getByRole('button', { name: 'Speichern' }).click();
  await b.page.getByText('Die Änderungen sind gespeichert.').waitFor();

  const u = await api(admin, 'GET', `/api/v1/admin/users/${id}`);
  assert.equal(u.json.display_name, 'Konrad Konflikt-Meier');
  assert.equal(u.json.email, 'konrad@thun.example');
  assert.equal(u.json.language, 'fr');
  assert.deepEqual(u.json.roles.sort(), ['accounting', 'reception']);

  // The other way round: A (now stale) discards and sees B's state.
  await a.page.getByLabel(/^Name/).fill('Konrad K.');
  await a.page.getByRole('button', { name: 'Speichern' }).click();
  await a.page.locator('.conflict').waitFor();
  await a.page.getByRole('button', { name: 'Meine Änderungen verwerfen' }).click();
  await eventually(() => a.page.getByLabel('E-Mail').inputValue(), 'konrad@thun.example', 'the other\'s e-mail is shown');
  assert.equal(await a.page.getByLabel(/^Name/).inputValue(), 'Konrad Konflikt-Meier');
  assertClean(a.page);
  assertClean(b.page);
  await a.context.close();
  await b.context.close();
});

test('keyboard only: sign in, open the new-user form, fill it and send it', async () => {
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.locator('form.login-form').waitFor();
  // The cursor starts in the first empty field.
  await expectFocused(page.locator('input[name=tenant]'), 'the cursor starts in the first empty field');
  await page.keyboard.type('thun');
  await page.keyboard.press('Tab');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PW);
  await page.keyboard.press('Enter');
  await page.locator('.topbar').waitFor();
  await page.waitForFunction(() => document.activeElement?.classList.contains('page-title'));

  // The skip link comes first and jumps to the content.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await tabTo(page, (d) => d.startsWith('a|') && d.endsWith('Zum Inhalt springen'));
  await shot(page, 'keyboard-skip-link');
  await tabTo(page, (d) => d.startsWith('a|') && d.endsWith('|Benutzer'));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Benutzer', exact: true }).waitFor();
  await tabTo(page, (d) => d.endsWith('Neuer Benutzer'));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Neuen Benutzer erfassen' }).waitFor();

  const username = uniq('kb');
  // The role choices come from GET /roles; wait until they are there.
  await page.getByRole('checkbox', { name: 'Empfang / Administration' }).waitFor();
  await tabTo(page, (d) => d.startsWith('input|username'));
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type('Karl Tastatur');
  await page.keyboard.press('Tab'); // e-mail stays empty
  await page.keyboard.press('Tab'); // language
  await page.keyboard.press('ArrowDown'); // Französisch
  await page.keyboard.press('Tab');
  await page.keyboard.type('tastatur-passwort');
  await tabTo(page, (d) => d.startsWith('input|') && d.endsWith('Empfang / Administration'));
  await page.keyboard.press('Space');
  await tabTo(page, (d) => d.startsWith('button|') && d.endsWith('Benutzer erfassen'));
  // Every focus stop shows a visible focus indicator.
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none');
  await shot(page, 'keyboard-user-form');
  // Creating a user hashes its password (scrypt): under the sanitizer build
  // and a busy machine that took longer than the default 10 s once. Wait
  // for the answer itself, with room, so a slow server is not a failure
  // and a refused request says why.
  const created = page.waitForResponse((r) => r.request().method() === 'POST'
    && new URL(r.url()).pathname === '/api/v1/admin/users', { timeout: 45000 });
  await page.keyboard.press('Enter');
  const resp = await created.catch(async (e) => { await shot(page, 'keyboard-failed'); throw e; });
  assert.equal(resp.status(), 201, `POST /admin/users: ${resp.status()} ${await resp.text()}`);
  await page.getByRole('heading', { name: `Benutzer ${username}` }).waitFor({ timeout: 20000 })
    .catch(async (e) => { await shot(page, 'keyboard-failed'); throw e; });
  const list = await api(admin, 'GET', '/api/v1/admin/users?limit=500');
  const u = list.json.items.find((x) => x.username === username);
  assert.ok(u, 'user created by keyboard');
  assert.equal(u.display_name, 'Karl Tastatur');
  assert.equal(u.language, 'fr');
  assert.deepEqual(u.roles, ['reception']);
  assertClean(page);
  await context.close();
});

test('API tokens: the new token is shown once, listed, and revoked', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'admin');
  await open(page, '#/tokens');
  await check(page, 'tokens');
  const name = `Fibu ${uniq('t')}`;
  await page.getByLabel('Bezeichnung').fill(name);
  await page.getByRole('checkbox', { name: 'Verzeichnisse lesen (Gemeinden, Rollen)' }).check();
  await page.getByLabel('Gültigkeit in Tagen').fill('30');
  await page.getByRole('button', { name: 'Token erstellen' }).click();
  const box = page.locator('.new-token');
  await box.waitFor();
  const token = await box.locator('input').inputValue();
  assert.match(token, /^kst_/);
  await check(page, 'token-created');
  // The token works for the API.
  const r = await fetch(new URL('/api/v1/roles', page.url()), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  await page.getByRole('button', { name: 'Ich habe das Token gesichert' }).click();
  await box.waitFor({ state: 'detached' });
  const row = page.locator('tbody tr', { hasText: name });
  await row.waitFor();
  await row.getByRole('button', { name: `Widerrufen – Token «${name}»` }).click();
  await row.getByRole('button', { name: 'Ja, widerrufen' }).click();
  await page.getByText(`Das Token «${name}» ist widerrufen.`).waitFor();
  await row.getByText('widerrufen', { exact: true }).waitFor();
  const r2 = await fetch(new URL('/api/v1/roles', page.url()), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r2.status, 401);
  assertClean(page);
  await context.close();
});

test('the admin enters the payment account\'s QR-IBAN; a QR-IBAN as the IBAN and an ordinary IBAN as the QR-IBAN are refused at the field', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'admin');
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: tx('de', 'nav.payment_account') }).click();
  await page.getByRole('heading', { name: tx('de', 'payaccount.title') }).waitFor();
  const field = (key) => page.getByLabel(new RegExp(`^${tx('de', key)}`));
  await field('payaccount.name').fill('Sozialdienst Thun');
  await field('payaccount.town').fill('Thun');
  await field('payaccount.country').fill('CH');
  // a QR-IBAN in the IBAN field
  await field('payaccount.iban').fill('CH44 3199 9123 0008 8901 2');
  await field('payaccount.qr_iban').fill('CH93 0076 2011 6238 5295 7');
  await page.getByRole('button', { name: tx('de', 'form.save') }).click();
  await page.getByText(tx('de', 'payaccount.iban_is_qr')).waitFor();
  await page.getByText(tx('de', 'payaccount.qr_iban_not_qr')).waitFor();
  assert.equal(await field('payaccount.iban').getAttribute('aria-invalid'), 'true');
  assert.equal(await field('payaccount.qr_iban').getAttribute('aria-invalid'), 'true');
  await check(page, 'payment-account-errors');
  // a typo in the check digits
  await field('payaccount.qr_iban').fill('CH45 3199 9123 0008 8901 2');
  await page.getByRole('button', { name: tx('de', 'form.save') }).click();
  await page.getByText(tx('de', 'payaccount.qr_iban_rule')).waitFor();
  // both right: saved
  await field('payaccount.iban').fill('CH93 0076 2011 6238 5295 7');
  await field('payaccount.qr_iban').fill('CH44 3199 9123 0008 8901 2');
  await page.getByRole('button', { name: tx('de', 'form.save') }).click();
  await page.getByText(tx('de', 'form.saved')).waitFor();
  const acc = await api(admin, 'GET', '/api/v1/payment-account');
  assert.equal(acc.json.qr_iban, 'CH4431999123000889012');
  assert.equal(acc.json.iban, 'CH9300762011623852957');
  // shown again as saved, grouped in fours
  await open(page, '#/');
  await open(page, '#/payment-account');
  await eventually(() => field('payaccount.qr_iban').inputValue(), 'CH44 3199 9123 0008 8901 2', 'the saved QR-IBAN is shown');
  await check(page, 'payment-account');
  assertClean(page);
  await context.close();
});
