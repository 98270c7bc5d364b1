// Who sees what: actions a user cannot take are not shown, and screens a
// role does not allow are refused, not half-shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, login, open, check, assertClean, apiLogin, api } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The screens in the navigation (module entries, which depend on the
// tenant's switches, are a list of their own below).
const navLinks = (page) => page.getByRole('navigation', { name: 'Hauptnavigation' })
  .locator('ul').first().getByRole('link').allTextContents();

test('a caseworker sees no administration at all', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'caseworker');
  assert.deepEqual(await navLinks(page), ['Arbeitsliste']);
  assert.match(await page.locator('main').textContent(), /Ihre Rolle umfasst keine Verwaltungsaufgaben/);
  assert.equal(await page.getByRole('link', { name: 'Neuer Benutzer' }).count(), 0);
  for (const hash of ['#/users', '#/users/new', '#/tokens', '#/tenants', '#/audit', '#/rule-packs']) {
    await open(page, hash);
    assert.equal(await page.locator('h1').textContent(), 'Kein Zugriff', hash);
    assert.equal(await page.locator('main table').count(), 0, hash);
    assert.equal(await page.locator('main form').count(), 0, hash);
  }
  await check(page, 'no-access-caseworker');
  assertClean(page);
  await context.close();
});

test('each role gets exactly its screens', async () => {
  const cases = [
    ['thun', 'admin', ['Arbeitsliste', 'Benutzer', 'Teams', 'API-Tokens', 'Zahlungskonto', 'Regeldaten', 'Rechnungen', 'Hintergrundaufträge',
      'Aufbewahrung']],
    ['thun', 'accounting', ['Arbeitsliste', 'Rechnungen']],
    ['thun', 'auditor', ['Arbeitsliste', 'Protokoll', 'Aufbewahrung']],
    ['thun', 'reception', ['Arbeitsliste']],
    ['canton', 'canton-admin', ['Arbeitsliste', 'Sozialdienste', 'Gemeinden', 'Regelpakete', 'Kostenverteilung', 'Lastenausgleich',
      'Hintergrundaufträge']],
  ];
  for (const [tenant, user, expected] of cases) {
    const { context, page } = await newPage(browser);
    await login(page, tenant, user);
    assert.deepEqual(await navLinks(page), expected, `${tenant}/${user}`);
    await context.close();
  }
});

test('an unknown address says so and offers the way home', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'biel', 'admin');
  await open(page, '#/nirgendwo');
  assert.equal(await page.locator('h1').textContent(), 'Page introuvable');
  await check(page, 'not-found-fr');
  assertClean(page);
  await context.close();
});

test('a module switched on for the tenant appears for the people who work with it', async () => {
  const canton = await apiLogin('canton', 'canton-admin');
  const path = '/api/v1/admin/tenants/oberes-emmental/modules';
  const cur = (await api(canton, 'GET', path)).json.items.find((m) => m.module === 'echo');
  assert.ok(cur, 'the echo module is loaded');
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Zurich' }).format(new Date());
  const r = await api(canton, 'PUT', `${path}/echo`, { enabled: true, start_date: today },
    cur.version > 0 ? { 'if-match': `"${cur.version}"` } : {});
  assert.equal(r.status, 200, JSON.stringify(r.json));

  const { context, page } = await newPage(browser);
  await login(page, 'oberes-emmental', 'caseworker');
  const modules = page.getByRole('list', { name: 'Fachmodule' });
  await modules.getByRole('link', { name: 'Echo (Testmodul)' }).click();
  await page.getByRole('heading', { name: 'Echo (Testmodul)', level: 1 }).waitFor();
  await check(page, 'module-placeholder');
  await context.close();

  // The administrator holds none of the module's permissions: no entry.
  const adm = await newPage(browser);
  await login(adm.page, 'oberes-emmental', 'admin');
  assert.equal(await adm.page.getByRole('list', { name: 'Fachmodule' }).count(), 0);
  await open(adm.page, '#/m/echo');
  assert.equal(await adm.page.locator('h1').textContent(), 'Seite nicht gefunden');
  assertClean(adm.page);
  await adm.context.close();
});
