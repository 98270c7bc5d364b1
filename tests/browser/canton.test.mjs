// Canton administration in the browser: tenants, municipalities, module
// enablement with a pilot start date, rule packs (example cases, submission,
// four-eyes review), and the auditor's log with the chain check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, newPage, login, open, check, axe, assertClean, apiLogin, api, uniq,
} from './lib.mjs';

// The shipped SKOS pack's version, as the server imports it.
const shippedSkos = JSON.parse(readFileSync(new URL('../../plugins/skos-budget/pack.json', import.meta.url), 'utf8'));
let browser;
let canton;
before(async () => {
  browser = await launch();
  canton = await apiLogin('canton', 'canton-admin');
});
after(async () => { await browser?.close(); });

test('canton admin creates a tenant, edits it, assigns a municipality and enables a module with a pilot date', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'canton', 'canton-admin');
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  for (const name of ['Sozialdienste', 'Gemeinden', 'Regelpakete']) await nav.getByRole('link', { name }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Benutzer' }).count(), 0);
  await check(page, 'home-canton-admin');

  await nav.getByRole('link', { name: 'Sozialdienste' }).click();
  await page.locator('tbody tr', { hasText: 'oberes-emmental' }).waitFor();
  await check(page, 'tenants-list');
  await page.getByRole('link', { name: 'Neuer Sozialdienst' }).click();
  const slug = uniq('sd');
  await page.getByLabel(/^Kürzel/).fill(slug);
  await page.getByLabel(/^Name/).fill('Sozialdienst Pilot');
  await page.getByRole('combobox', { name: 'Sprache' }).selectOption('fr');
  await page.getByRole('button', { name: 'Sozialdienst erfassen' }).click();
  await page.getByRole('heading', { name: 'Sozialdienst Pilot', level: 1 }).waitFor();
  await page.getByText('Der Sozialdienst ist erfasst.').waitFor();

  // Edit with If-Match.
  await page.getByLabel(/^Name/).fill('Sozialdienst Pilotregion');
  await page.getByRole('button', { name: 'Speichern', exact: true }).click();
  await page.getByText('Die Änderungen sind gespeichert.').waitFor();
  let t = await api(canton, 'GET', `/api/v1/admin/tenants/${slug}`);
  assert.equal(t.json.name, 'Sozialdienst Pilotregion');
  assert.equal(t.json.language, 'fr');

  // Municipality: create one and assign it.
  const bfs = 5000 + Math.floor(Math.random() * 4000);
  await api(canton, 'POST', '/api/v1/admin/municipalities', { bfs, name: `Pilotdorf ${bfs}`, population: 1234 });
  await page.reload();
  await page.getByRole('heading', { name: 'Gemeinden', level: 2 }).waitFor();
  await page.getByRole('combobox', { name: 'Gemeinde zuordnen' }).selectOption(String(bfs));
  await page.getByRole('button', { name: 'Zuordnen' }).click();
  await page.getByText(`Pilotdorf ${bfs} ist zugeordnet.`).waitFor();
  t = await api(canton, 'GET', `/api/v1/admin/tenants/${slug}`);
  assert.deepEqual(t.json.municipalities.map((m) => m.bfs), [bfs]);

  // Module: on from 01.03.2027 (pilot start). A wrong date is explained.
  const mod = page.locator('form.module-row', { hasText: 'Echo' });
  await mod.getByRole('checkbox', { name: 'Echo (Testmodul) eingeschaltet' }).check();
  await mod.getByLabel('Ab (Startdatum)').fill('31.02.2027');
  await mod.getByRole('button', { name: 'Echo (Testmodul) speichern' }).click();
  await mod.getByText('Bitte ein gültiges Datum im Format TT.MM.JJJJ eingeben.').waitFor();
  await mod.getByLabel('Ab (Startdatum)').fill('01.03.2027');
  await mod.getByRole('button', { name: 'Echo (Testmodul) speichern' }).click();
  await mod.getByText('Echo (Testmodul): eingeschaltet ab 01.03.2027.').waitFor();
  await check(page, 'tenant-detail');
  const mods = await api(canton, 'GET', `/api/v1/admin/tenants/${slug}/modules`);
  const echo = mods.json.items.find((m) => m.module === 'echo');
  assert.equal(echo.enabled, true);
  assert.equal(echo.start_date, '2027-03-01');
  // Changing it again sends If-Match (version 1 now).
  await mod.getByLabel('Ab (Startdatum)').fill('15.02.2027');
  await mod.getByRole('button', { name: 'Echo (Testmodul) speichern' }).click();
  await mod.getByText('Echo (Testmodul): eingeschaltet ab 15.02.2027.').waitFor();

  // The first administrator of the new tenant.
  await page.getByRole('button', { name: 'Administrator/in erfassen' }).click();
  const adminForm = page.getByRole('region', { name: 'Administration des Sozialdienstes' });
  await adminForm.getByLabel(/^Name/).fill('Anna Admin');
  await adminForm.getByLabel(/^Erstes Passwort/).fill('pilot-admin-pass');
  await adminForm.getByRole('button', { name: 'Administrator/in erfassen' }).click();
  await page.getByText('admin ist als Administrator/in erfasst.').waitFor();
  const first = await apiLogin(slug, 'admin', 'pilot-admin-pass');
  assert.equal(first.me.tenant.slug, slug);
  assertClean(page);
  await context.close();
});

test('municipalities: list, create, edit', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'canton', 'canton-admin');
  await open(page, '#/municipalities');
  await page.locator('tbody tr', { hasText: 'Thun' }).waitFor();
  assert.match(await page.locator('tbody tr', { hasText: 'Thun' }).textContent(), /43'900/);
  await check(page, 'municipalities');
  await page.getByRole('link', { name: 'Neue Gemeinde' }).click();
  const bfs = 1000 + Math.floor(Math.random() * 3999);
  await page.getByLabel(/^BFS-Nummer/).fill(String(bfs));
  await page.getByLabel(/^Name/).fill(`Neudorf ${bfs}`);
  await page.getByLabel(/^Einwohnerzahl/).fill("12'345");
  await page.getByRole('button', { name: 'Gemeinde erfassen' }).click();
  await page.getByText('Die Gemeinde ist erfasst.').waitFor();
  await page.getByLabel(/^Einwohnerzahl/).fill('12400');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('Die Änderungen sind gespeichert.').waitFor();
  await check(page, 'municipality-edit');
  const m = await api(canton, 'GET', `/api/v1/admin/municipalities/${bfs}`);
  assert.equal(m.json.population, 12400);
  assertClean(page);
  await context.close();
});

test('rule packs: example cases, submit for approval, four-eyes approval by the second admin', async () => {
  // A draft written by canton-admin (the edit/new-version screens are tested in rules.test.mjs).
  const name = uniq('wp');
  const created = await api(canton, 'POST', '/api/v1/admin/rule-packs', {
    name, version: '1', valid_from: '2099-01-01',
    source: 'function f(i) return 7 end\n',
    examples: [{ title: 'sieben', function: 'f', input: {}, expected: 7 }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id;

  const author = await newPage(browser);
  await login(author.page, 'canton', 'canton-admin');
  await open(author.page, '#/rule-packs');
  await author.page.getByRole('region', { name: 'skos-budget', exact: true }).getByRole('row', { name: new RegExp(`^Version ${shippedSkos.version.replace('.', '\\.')} `) }).waitFor();
  await check(author.page, 'canton-rule-packs');
  await open(author.page, `#/rule-packs/${id}`);
  await author.page.locator('.cm-content', { hasText: 'return 7' }).waitFor();
  // Tested first, then submitted: only then can anyone approve.
  await author.page.getByRole('button', { name: 'Beispielfälle rechnen' }).click();
  await author.page.getByText('1 bestanden, 0 fehlgeschlagen.').waitFor();
  await author.page.getByRole('button', { name: 'Zur Freigabe einreichen' }).click();
  await author.page.getByText('Die Version ist zur Freigabe eingereicht.').waitFor();
  await author.page.getByText(/^Vier-Augen-Prinzip: Sie haben diese Version verfasst/).waitFor();
  assert.equal(await author.page.getByRole('button', { name: 'Freigeben' }).count(), 0);
  await check(author.page, 'canton-rule-pack-own-submitted');

  const reviewer = await newPage(browser);
  await login(reviewer.page, 'canton', 'canton-reviewer');
  await open(reviewer.page, `#/rule-packs/${id}`);
  await reviewer.page.getByRole('button', { name: 'Freigeben' }).waitFor();
  await reviewer.page.getByLabel(/^Kommentar zur Prüfung/).fill('Geprüft, Beispielfall stimmt.');
  await check(reviewer.page, 'canton-rule-pack-review');
  await reviewer.page.getByRole('button', { name: 'Freigeben' }).click();
  await reviewer.page.getByText('Die Version ist freigegeben.').waitFor();
  const p = await api(canton, 'GET', `/api/v1/admin/rule-packs/${id}`);
  assert.equal(p.json.status, 'approved');
  assert.equal(p.json.review_comment, 'Geprüft, Beispielfall stimmt.');

  // The imported SKOS pack's example cases all pass.
  const list = await api(canton, 'GET', '/api/v1/admin/rule-packs');
  const skos = list.json.items.find((x) => x.name === 'skos-budget' && x.status === 'approved');
  await open(reviewer.page, `#/rule-packs/${skos.id}`);
  await reviewer.page.getByRole('button', { name: 'Beispielfälle rechnen' }).click();
  await reviewer.page.getByText(`${skos.examples.length} bestanden, 0 fehlgeschlagen.`).waitFor();
  await axe(reviewer.page, 'rule-pack-skos-tested');
  assertClean(author.page);
  assertClean(reviewer.page);
  await author.context.close();
  await reviewer.context.close();
});

test('auditor: the log pages through events and the chain check is shown', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'auditor');
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await nav.getByRole('link', { name: 'Protokoll' }).click();
  await page.locator('tbody tr').first().waitFor();
  const first = await page.locator('tbody tr td:first-child').first().textContent();
  await page.getByRole('button', { name: 'Prüfkette jetzt prüfen' }).click();
  await page.getByText(/Die Prüfkette ist vollständig und unverändert/).waitFor();
  await check(page, 'audit');
  if (await page.getByRole('button', { name: 'Nächste Seite' }).count()) {
    await page.getByRole('button', { name: 'Nächste Seite' }).click();
    await page.getByText('Seite 2').waitFor();
    const second = await page.locator('tbody tr td:first-child').first().textContent();
    assert.ok(Number(second) < Number(first), 'older events on page 2');
    await page.getByRole('button', { name: 'Vorherige Seite' }).click();
    await page.getByText('Seite 1').waitFor();
  }
  assertClean(page);
  await context.close();
});
