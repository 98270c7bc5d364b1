// Access in the browser: a dossier opened in a second tab of a signed-in
// browser works without signing in again; a password an administrator
// set is changed first (French), and at will (German); the canton asks a
// social service for another administrator and the service approves it
// (the canton in German, Biel's administrator in French).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, fillLogin, open, check, axe, assertClean, apiLogin, api, uniq, catalog, clearThrottle,
} from './lib.mjs';

const MSG = { de: catalog('de'), fr: catalog('fr') };
const tx = (lang, key, params = {}) => {
  assert.ok(key in MSG[lang], `no message ${key}`);
  return MSG[lang][key].replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
};

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Console errors of a further page of a context (newPage watches the first). */
function watch(page) {
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

test('a dossier opened in a new tab of the signed-in browser shows and takes changes', async () => {
  const cw = await apiLogin('thun', 'caseworker');
  const ps = await api(cw, 'POST', '/api/v1/persons', { last_name: `Tab${uniq('t').replace(/[^a-z0-9]/g, '')}`, first_name: 'Lea', birth_date: '1988-08-08' });
  const hh = await api(cw, 'POST', '/api/v1/households', { name: 'Haushalt Tab', members: [{ person_id: ps.json.id, role: 'applicant', valid_from: '2026-01-01' }] });
  const c = await api(cw, 'POST', '/api/v1/cases', { household_id: hh.json.id, applicant_id: ps.json.id, municipality_bfs: 942 });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'caseworker');
  // what a case worker does all day: the dossier in a tab of its own
  const tab = await context.newPage();
  const problems = watch(tab);
  await tab.goto(`/#/m/sozialhilfe/cases/${c.json.id}/journal`);
  await tab.locator('.topbar').waitFor();
  assert.equal(await tab.locator('form.login-form').count(), 0, 'no sign-in form in the new tab');
  await tab.getByRole('textbox', { name: tx('de', 'casework.journal.text'), exact: true }).fill('Notiz aus dem zweiten Tab');
  await tab.getByRole('button', { name: tx('de', 'casework.journal.submit') }).click();
  await tab.getByText(tx('de', 'casework.journal.added')).waitFor();
  await tab.getByText('Notiz aus dem zweiten Tab').waitFor();
  await axe(tab, 'second-tab-dossier');
  assert.deepEqual(problems, []);
  // the first tab goes on as before
  await open(page, '#/m/sozialhilfe');
  assertClean(page);
  await context.close();
});

test('a password an administrator set is changed first (French), and later at will (German)', async () => {
  const admin = await apiLogin('thun', 'admin');
  const username = uniq('pwb');
  const created = await api(admin, 'POST', '/api/v1/admin/users',
    { username, display_name: 'Nadia Neuve', password: 'set-by-admin-1', roles: ['caseworker'], language: 'fr' });
  assert.equal(created.status, 201);
  const { context, page } = await newPage(browser);
  clearThrottle('thun', username);
  await page.goto('/');
  await page.locator('form.login-form').waitFor();
  await fillLogin(page, 'thun', username, 'set-by-admin-1');
  const head = page.getByRole('heading', { level: 1, name: tx('fr', 'pwchange.required_title') });
  await head.waitFor();
  assert.equal(await page.locator('.topbar').count(), 0, 'nothing of the application before the change');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  await check(page, 'password-required-fr');
  const form = page.locator('main form');
  await form.locator('input[name=current_password]').fill('set-by-admin-1');
  await form.locator('input[name=new_password]').fill('ma-propre-phrase');
  await form.locator('input[name=new_password_again]').fill('ma-propre-phrasE');
  await form.locator('button[type=submit]').click();
  await page.getByText(tx('fr', 'pwchange.mismatch')).waitFor();
  await form.locator('input[name=new_password_again]').fill('ma-propre-phrase');
  await form.locator('input[name=current_password]').fill('pas-le-bon');
  await form.locator('button[type=submit]').click();
  await page.getByText(tx('fr', 'error.wrong_password')).waitFor();
  await axe(page, 'password-required-error-fr');
  await form.locator('input[name=current_password]').fill('set-by-admin-1');
  await form.locator('button[type=submit]').click();
  await page.locator('.topbar').waitFor();
  // later, by choice, in German
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await page.getByRole('link', { name: tx('de', 'account.link') }).click();
  await page.getByRole('heading', { level: 1, name: tx('de', 'pwchange.title') }).waitFor();
  await page.locator('main input[name=current_password]').fill('ma-propre-phrase');
  await page.locator('main input[name=new_password]').fill('meine-eigene-2');
  await page.locator('main input[name=new_password_again]').fill('meine-eigene-2');
  await page.locator('main form button[type=submit]').click();
  await page.getByText(tx('de', 'pwchange.done')).waitFor();
  await check(page, 'password-change-de');
  const again = await apiLogin('thun', username, 'meine-eigene-2');
  assert.equal(again.me.must_change_password, false);
  assertClean(page);
  await context.close();
});

test('the canton asks Biel for another administrator; Biel\'s administration approves it', async () => {
  const username = uniq('stv');
  const c = await newPage(browser);
  await login(c.page, 'canton', 'canton-admin');
  await open(c.page, '#/tenants/biel');
  const card = c.page.locator('section.card', { has: c.page.getByRole('heading', { name: tx('de', 'admreq.title') }) });
  await card.getByRole('button', { name: tx('de', 'admreq.open') }).click();
  await card.locator('input[name=username]').fill(username);
  await card.locator('input[name=display_name]').fill('Stéphane Suppléant');
  await card.locator('input[name=reason]').fill('Vertretung während der Ferien');
  await card.getByRole('button', { name: tx('de', 'admreq.submit') }).click();
  await c.page.getByText(tx('de', 'admreq.sent', { username })).waitFor();
  await card.getByRole('cell', { name: username }).waitFor();
  await check(c.page, 'admin-request-canton-de');
  assertClean(c.page);
  await c.context.close();

  const b = await newPage(browser, { locale: 'fr-CH' });
  await login(b.page, 'biel', 'admin');
  await open(b.page, '#/users');
  const inbox = b.page.locator('section.card', { has: b.page.getByRole('heading', { name: tx('fr', 'admreq.inbox_title') }) });
  const item = inbox.locator('form', { hasText: username });
  await item.getByText('Vertretung während der Ferien').waitFor();
  await check(b.page, 'admin-request-inbox-fr');
  await item.getByLabel(tx('fr', 'admreq.password')).fill('premier-mot-1');
  await item.getByRole('button', { name: tx('fr', 'admreq.approve') }).click();
  await b.page.getByText(tx('fr', 'admreq.approved', { username })).waitFor();
  assertClean(b.page);
  await b.context.close();
  const s = await apiLogin('biel', username, 'premier-mot-1');
  assert.equal(s.me.must_change_password, true);
  assert.deepEqual(s.me.roles, ['tenant_admin']);
});
