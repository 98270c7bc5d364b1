// Signing in and out in German and French, a wrong password, a session
// that ends while someone is typing, and a tab that lost its CSRF token
// (a new tab is in access.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, fillLogin, open, check, axe, shot, assertClean, expireSession, clearThrottle,
  apiLogin, api, uniq, expectFocused, eventually,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('German: a Thun caseworker signs in, sees the work list, and signs out', async () => {
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.locator('form.login-form').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Anmelden');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
  await check(page, 'login-de');
  await fillLogin(page, 'thun', 'caseworker');
  await page.locator('.topbar').waitFor();
  assert.equal(await page.getByTestId('tenant-name').textContent(), 'Sozialdienst Thun');
  assert.equal(await page.locator('h1').textContent(), 'Arbeitsliste');
  await page.locator('main li', { hasText: 'Sozialarbeiter/in' }).waitFor();
  await check(page, 'home-caseworker-de');
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.locator('form.login-form').waitFor();
  await page.locator('[role=status]', { hasText: /Sie sind abgemeldet/ }).first().waitFor();
  assert.equal((await context.cookies()).filter((c) => c.name === 'ks_session' && c.value).length, 0);
  // The session is gone on the server too: a reload stays signed out.
  await page.reload();
  await page.locator('form.login-form').waitFor();
  assertClean(page);
  await context.close();
});

test('French: a Biel user gets the French interface from the user setting', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'biel', 'caseworker');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  assert.equal(await page.locator('h1').textContent(), 'Liste de travail');
  assert.match(await page.getByTestId('tenant-name').textContent(), /Biel\/Bienne/);
  assert.equal(await page.getByRole('button', { name: 'Français' }).getAttribute('aria-pressed'), 'true');
  await check(page, 'home-caseworker-fr');
  // Switching the language changes every text at once and keeps the screen.
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await eventually(() => page.locator('h1').textContent(), 'Arbeitsliste', 'the title in German');
  await page.getByRole('button', { name: 'Français' }).click();
  await eventually(() => page.locator('h1').textContent(), 'Liste de travail', 'the title in French');
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.locator('form.login-form').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Connexion');
  assert.match(await page.locator('[role=status]').first().textContent(), /déconnecté/);
  await check(page, 'login-fr-logged-out');
  assertClean(page);
  await context.close();
});

test('a wrong password is explained and nothing but the password is cleared', async () => {
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.locator('form.login-form').waitFor();
  await fillLogin(page, 'oberes-emmental', 'legal', 'not-the-password');
  const alert = page.locator('[role=alert]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Sozialdienst, Benutzername oder Passwort stimmt nicht/);
  assert.equal(await page.locator('input[name=tenant]').inputValue(), 'oberes-emmental');
  assert.equal(await page.locator('input[name=username]').inputValue(), 'legal');
  assert.equal(await page.locator('input[name=password]').inputValue(), '');
  await check(page, 'login-wrong-password');
  // In French, too.
  await page.getByRole('button', { name: 'Français' }).click();
  await fillLogin(page, 'oberes-emmental', 'legal', 'still-wrong');
  await page.waitForFunction(() => /incorrect/.test(document.querySelector('[role=alert]')?.textContent || ''));
  // Empty fields are named at the field, not sent.
  await page.locator('input[name=username]').fill('');
  await page.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'username');
  assert.equal(await page.locator('input[name=username]').getAttribute('aria-invalid'), 'true');
  await axe(page, 'login-missing-field');
  clearThrottle('oberes-emmental', 'legal');
  assertClean(page);
  await context.close();
});

test('when the session expires, the message shows and typed input survives the new sign-in', async () => {
  const admin = await apiLogin('thun', 'admin');
  const username = uniq('exp');
  const created = await api(admin, 'POST', '/api/v1/admin/users',
    { username, display_name: 'Erika Ablauf', password: 'initial-pass-1', roles: ['reception'] });
  assert.equal(created.status, 201);
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'admin');
  await open(page, `#/users/${created.json.id}`);
  const name = page.locator('form input[name=display_name]');
  await name.fill('Erika Ablauf-Neu');
  await expireSession(context);
  await page.getByRole('button', { name: 'Speichern' }).click();
  // The sign-in form covers the page, with the reason and the user prefilled.
  const form = page.locator('form.login-form');
  await form.waitFor();
  assert.match(await form.textContent(), /Ihre Sitzung ist abgelaufen/);
  assert.equal(await form.locator('input[name=tenant]').inputValue(), 'thun');
  assert.equal(await form.locator('input[name=username]').inputValue(), 'admin');
  await expectFocused(form.locator('input[name=password]'), 'the cursor is in the password field');
  await check(page, 'session-expired');
  await form.locator('input[name=password]').fill('kasus-demo');
  await form.locator('button[type=submit]').click();
  await form.waitFor({ state: 'detached' });
  // Back on the same screen with the typed value; saving works now.
  assert.equal(await name.inputValue(), 'Erika Ablauf-Neu');
  await page.locator('main').getByText(/wieder angemeldet/).first().waitFor();
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('Die Änderungen sind gespeichert.').waitFor();
  const now = await api(admin, 'GET', `/api/v1/admin/users/${created.json.id}`);
  assert.equal(now.json.display_name, 'Erika Ablauf-Neu');
  assertClean(page);
  await context.close();
});

test('a reload keeps the session; a tab that lost its CSRF token takes it from the session', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'admin');
  await open(page, '#/users');
  const token = await page.evaluate(() => sessionStorage.getItem('kasus.csrf'));
  await page.reload();
  await page.locator('.topbar').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Benutzer');
  await page.evaluate(() => sessionStorage.removeItem('kasus.csrf'));
  await page.reload();
  await page.locator('.topbar').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Benutzer');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('kasus.csrf')), token, 'the session\'s token again');
  assertClean(page);
  await context.close();
});
