// A social service's rule data in the browser (#/rule-data, two tabs).
// Rent ceilings: a value above the canton's maximum is named beside its
// cell (German, and French after switching the language) and cannot be
// saved; fixed, it is saved as a version that applies from 01.01.2033,
// which evaluation follows (the day before keeps the old value).
// Local benefits: a benefit above the canton's maximum is named at its
// amount and refused; corrected, it applies from 01.01.2036 (the day
// before keeps whatever was in force, e.g. the API suite's version from
// 2035). Far in the future, so no other test is affected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, check, assertClean, apiLogin, api, expectFocused,
} from './lib.mjs';

let browser;
let admin;
let caseworker;
before(async () => {
  browser = await launch();
  admin = await apiLogin('thun', 'admin');
  caseworker = await apiLogin('thun', 'caseworker');
});
after(async () => { await browser?.close(); });

async function ceiling(date, size) {
  const r = await api(caseworker, 'POST', '/api/v1/rules/evaluate', {
    pack: 'rent-ceilings', function: 'ceiling', date, input: { bfs: 942, household_size: size },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.output.rent_ceiling;
}
const versions = async () => (await api(admin, 'GET', '/api/v1/rule-data')).json.items.length;

/** The text that describes an input (its aria-describedby targets). */
async function description(page, input) {
  const ids = (await input.getAttribute('aria-describedby')) || '';
  const texts = [];
  for (const id of ids.split(/\s+/).filter(Boolean)) texts.push(await page.locator(`[id="${id}"]`).textContent());
  return texts.join(' ');
}

test('rent ceilings: out of bounds named beside the cell in German and French, refused; a fixed version applies from its date', async () => {
  const oldValue = await ceiling('2032-12-31', 2);
  const count = await versions();

  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'admin');
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Regeldaten' }).click();
  await page.getByRole('heading', { level: 1, name: 'Regeldaten' }).waitFor();
  const tabs = page.getByRole('navigation', { name: 'Bereiche der Regeldaten' });
  assert.equal(await tabs.getByRole('link', { name: 'Mietzinsmaxima' }).getAttribute('aria-current'), 'page');
  await page.getByRole('region', { name: 'Mietzinsmaxima' }).waitFor();
  const cell = (size) => page.getByRole('textbox', { name: new RegExp(`^Thun \\(942\\) ${size}\\+? Person`) });
  await cell(2).waitFor();
  await page.getByRole('columnheader', { name: "2 Personen max. CHF 1'700.00" }).waitFor();
  await page.getByText('Alle Werte liegen innerhalb der kantonalen Vorgaben.').waitFor();
  await check(page, 'rule-data');

  // Above the canton's maximum for two persons.
  await page.getByLabel(/^Gültig ab/).fill('01.01.2033');
  await cell(1).fill("1'150.00");
  await cell(2).fill("1'750.00");
  await cell(3).fill("1'800.00");
  await page.waitForFunction(() => document.querySelector('#rd-cell-0-1')?.getAttribute('aria-invalid') === 'true');
  assert.match(await description(page, cell(2)), /CHF 1'750\.00 über dem kantonalen Höchstwert CHF 1'700\.00/);
  assert.equal(await cell(1).getAttribute('aria-invalid'), null);
  await page.getByText('Nicht innerhalb der Vorgaben (1):').waitFor();
  await page.locator('.violations').getByRole('button', { name: /kantonalen Höchstwert CHF 1'700\.00/ }).waitFor();
  await check(page, 'rule-data-out-of-bounds');

  // Saving is refused; nothing is stored.
  await page.getByRole('button', { name: 'Speichern', exact: true }).click();
  await page.getByRole('alert').getByText(/Werte ausserhalb der kantonalen Vorgaben/).waitFor();
  assert.equal(await versions(), count, 'nothing saved');

  // In French: the same bound, in French, beside the same cell.
  await page.getByRole('button', { name: 'Français' }).click();
  await page.getByRole('heading', { level: 1, name: 'Données de règles' }).waitFor();
  await page.getByRole('region', { name: 'Loyers maximaux' }).waitFor();
  const cellFr = page.getByRole('textbox', { name: /^Thun \(942\) 2 personnes/ });
  assert.match(await description(page, cellFr), /dépasse la valeur maximale cantonale CHF 1'700\.00/);
  await page.getByRole('columnheader', { name: "2 personnes max. CHF 1'700.00" }).waitFor();
  await check(page, 'rule-data-fr');
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await page.getByRole('heading', { level: 1, name: 'Regeldaten' }).waitFor();

  // Fixed: within the bounds and rising with the household size.
  const values = ["1'180.00", "1'495.50", "1'690.00", "1'890.00", "2'090.00", "2'290.00"];
  for (let i = 0; i < 6; i++) await cell(i + 1).fill(values[i]);
  await page.getByText('Alle Werte liegen innerhalb der kantonalen Vorgaben.').waitFor();
  assert.equal(await cell(2).getAttribute('aria-invalid'), null);
  await page.getByLabel(/^Kommentar/).fill('Gemeinderatsbeschluss (Browsertest)');
  await page.getByRole('button', { name: 'Speichern', exact: true }).click();
  const saved = page.getByText(/^Version 2033-01-01\.\d+ ist gespeichert und gilt ab 01\.01\.2033\.$/);
  await saved.waitFor();
  const version = /Version (\S+) ist/.exec(await saved.textContent())[1];
  assert.equal(await versions(), count + 1);
  const history = page.getByRole('table', { name: 'Bisherige Versionen' });
  assert.match(await history.getByRole('row', { name: new RegExp(`^${version.replace(/\./g, '\\.')} `) }).textContent(),
    /01\.01\.2033.*geplant.*1'495\.50/);

  // What is in force on a date, in the screen.
  const lookup = page.getByRole('form', { name: 'In Kraft an einem Datum' });
  await lookup.getByLabel(/^Datum/).fill('01.01.2033');
  await lookup.getByRole('button', { name: 'Anzeigen' }).click();
  await lookup.getByRole('row', { name: `rent-ceilings ${version} 01.01.2033` }).waitFor();
  await lookup.getByLabel(/^Datum/).fill('31.12.2032');
  await lookup.getByRole('button', { name: 'Anzeigen' }).click();
  await lookup.getByText(/^Am 31\.12\.2032 in Kraft/).waitFor();
  const before2033 = await lookup.getByRole('row', { name: /^rent-ceilings / }).textContent();
  assert.ok(!before2033.includes(version), `31.12.2032: ${before2033}`);
  await check(page, 'rule-data-saved');

  // Evaluation: the new value from 01.01.2033, the old one the day before.
  assert.equal(await ceiling('2033-02-01', 2), 149550);
  assert.equal(await ceiling('2033-02-01', 6), 229000);
  assert.equal(await ceiling('2032-12-31', 2), oldValue);
  assert.notEqual(oldValue, 149550);
  assertClean(page);
  await context.close();
});

async function localBenefits(date, size = 3) {
  const r = await api(caseworker, 'POST', '/api/v1/rules/evaluate', {
    pack: 'local-benefits', function: 'benefits', date, input: { household_size: size },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return { lines: r.json.output.lines, data: r.json.pack.data ?? null };
}
const versionsOf = async (name) =>
  (await api(admin, 'GET', '/api/v1/rule-data')).json.items.filter((i) => i.name === name).length;

test('local benefits: above the canton maximum named at the amount in German and French, refused; corrected, in force from its date', async () => {
  // Whatever applies the day before the new version (the API suite saves one from 2035).
  const before = await localBenefits('2035-12-31');
  const count = await versionsOf('local-benefits');

  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'admin');
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Regeldaten' }).click();
  await page.getByRole('heading', { level: 1, name: 'Regeldaten' }).waitFor();
  const tabs = page.getByRole('navigation', { name: 'Bereiche der Regeldaten' });
  await tabs.getByRole('link', { name: 'Lokale Leistungen' }).click();
  const panel = page.getByRole('region', { name: 'Lokale Leistungen' });
  await panel.waitFor();
  assert.equal(await tabs.getByRole('link', { name: 'Lokale Leistungen' }).getAttribute('aria-current'), 'page');
  assert.match(page.url(), /#\/rule-data\?tab=local-benefits$/);
  // What the canton allows (from its pack), and where the benefits go.
  await panel.getByText(/^Höchstens 10 Leistungen, je höchstens CHF 300\.00 im Monat/).waitFor();
  await panel.getByText(/«sil:local:<Kürzel>»/).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Mietzinsmaxima' }).count(), 0, 'the other tab is hidden');

  await panel.getByLabel(/^Gültig ab/).fill('01.01.2036');
  await panel.getByText(/^Am 01\.01\.2036 gilt /).waitFor();
  // Start from an empty list, whatever was in force when the screen opened.
  const removeButtons = panel.getByRole('button', { name: /^Entfernen / });
  while (await removeButtons.count()) await removeButtons.first().click();
  await panel.getByText(/^Keine Leistungen erfasst\. Gespeichert beendet diese Version ab 01\.01\.2036/).waitFor();
  await panel.getByText('Alle Leistungen liegen innerhalb der kantonalen Vorgaben.').waitFor();
  await check(page, 'rule-data-benefits');

  // A new row takes focus at its code.
  await panel.getByRole('button', { name: 'Leistung hinzufügen' }).click();
  const code = panel.getByRole('textbox', { name: 'Leistung 1 Kürzel' });
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-labelledby')?.endsWith('lb-col-code'));
  await code.fill('winterzulage');
  await panel.getByRole('textbox', { name: 'Leistung 1 Bezeichnung deutsch' }).fill('Winterzulage');
  await panel.getByRole('textbox', { name: 'Leistung 1 Bezeichnung französisch' }).fill("Allocation d'hiver");
  const amount = panel.getByRole('textbox', { name: 'Leistung 1 Betrag in CHF pro Monat' });
  await amount.fill('400');
  await amount.press('Tab');
  const per = panel.getByRole('combobox', { name: 'Leistung 1 Gilt pro' });
  assert.equal(await per.inputValue(), 'household');
  await page.waitForFunction(() => document.querySelector('[aria-labelledby$="lb-col-amount"]')?.getAttribute('aria-invalid') === 'true');
  assert.equal(await amount.inputValue(), '400.00', 'tidied when leaving the field');
  assert.match(await description(page, amount), /^Winterzulage: CHF 400\.00 über dem kantonalen Höchstbetrag CHF 300\.00$/);
  assert.equal(await code.getAttribute('aria-invalid'), null);
  await panel.getByText('Nicht innerhalb der Vorgaben (1):').waitFor();
  await panel.locator('.violations').getByRole('button', { name: /kantonalen Höchstbetrag CHF 300\.00/ }).click();
  await expectFocused(amount, 'the summary leads to the field');

  // A second, empty row: its amount is missing (named by the screen itself);
  // removed, focus goes to the row before.
  await panel.getByRole('button', { name: 'Leistung hinzufügen' }).click();
  const amount2 = panel.getByRole('textbox', { name: 'Leistung 2 Betrag in CHF pro Monat' });
  assert.equal(await amount2.getAttribute('aria-invalid'), 'true');
  assert.equal(await description(page, amount2), 'Bitte einen Betrag eingeben.');
  await panel.locator('.violations').getByRole('button', { name: 'Leistung 2, Betrag in CHF pro Monat: Bitte einen Betrag eingeben.' }).waitFor();
  // The other fields are still checked by the canton meanwhile.
  const code2 = panel.getByRole('textbox', { name: 'Leistung 2 Kürzel' });
  await page.waitForFunction(() => document.querySelectorAll('[aria-labelledby$="lb-col-code"]')[1]?.getAttribute('aria-invalid') === 'true');
  assert.match(await description(page, code2), /^Leistung 2: Kürzel aus Kleinbuchstaben, Ziffern und _/);
  assert.match(await description(page, amount), /CHF 400\.00 über dem kantonalen Höchstbetrag CHF 300\.00/);
  await panel.getByText('Nicht innerhalb der Vorgaben (5):').waitFor();
  await check(page, 'rule-data-benefits-rows');
  await panel.getByRole('button', { name: 'Entfernen Leistung 2' }).click();
  await page.waitForFunction(() => document.activeElement?.textContent === 'Entfernen Leistung 1');
  await panel.getByText('Nicht innerhalb der Vorgaben (1):').waitFor();
  await check(page, 'rule-data-benefits-out-of-bounds');

  // Saving is refused; nothing is stored.
  await panel.getByRole('button', { name: 'Speichern', exact: true }).click();
  await panel.getByRole('alert').getByText(/Werte ausserhalb der kantonalen Vorgaben/).waitFor();
  assert.equal(await versionsOf('local-benefits'), count, 'nothing saved');

  // In French: the same bound, in French, at the same field.
  await page.getByRole('button', { name: 'Français' }).click();
  await page.getByRole('heading', { level: 1, name: 'Données de règles' }).waitFor();
  const panelFr = page.getByRole('region', { name: 'Prestations locales' });
  const amountFr = panelFr.getByRole('textbox', { name: 'Prestation 1 Montant en CHF par mois' });
  assert.match(await description(page, amountFr), /^Allocation d'hiver : CHF 400\.00 dépasse le montant maximal cantonal CHF 300\.00$/);
  await panelFr.getByText(/^Au plus 10 prestations, chacune au plus CHF 300\.00 par mois/).waitFor();
  assert.equal(await panelFr.getByRole('combobox', { name: 'Prestation 1 Calculé par' }).inputValue(), 'household');
  await check(page, 'rule-data-benefits-fr');
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await page.getByRole('heading', { level: 1, name: 'Regeldaten' }).waitFor();

  // Corrected: CHF 50.00 per person.
  await amount.fill('50.00');
  await per.selectOption({ label: 'Person' });
  await panel.getByText('Alle Leistungen liegen innerhalb der kantonalen Vorgaben.').waitFor();
  assert.equal(await amount.getAttribute('aria-invalid'), null);
  await panel.getByLabel(/^Kommentar/).fill('Gemeinderatsbeschluss Winterzulage (Browsertest)');
  await panel.getByRole('button', { name: 'Speichern', exact: true }).click();
  const saved = panel.getByText(/^Version 2036-01-01\.\d+ ist gespeichert und gilt ab 01\.01\.2036\.$/);
  await saved.waitFor();
  const version = /Version (\S+) ist/.exec(await saved.textContent())[1];
  assert.equal(await versionsOf('local-benefits'), count + 1);
  await panel.getByText(`Am 01.01.2036 gilt Version ${version} mit 1 Leistung(en).`).waitFor();
  const history = panel.getByRole('table', { name: 'Bisherige Versionen' });
  assert.match(await history.getByRole('row', { name: new RegExp(`^${version.replace(/\./g, '\\.')} `) }).textContent(),
    /01\.01\.2036.*geplant.*Winterzulage: CHF 50\.00 pro Person sil:local:winterzulage/);
  await check(page, 'rule-data-benefits-saved');

  // Evaluation: the new benefit from 01.01.2036 (3 persons × CHF 50.00),
  // the previous state the day before.
  const after = await localBenefits('2036-02-01');
  assert.deepEqual(after.lines, [{ code: 'winterzulage', amount: 15000, label: { de: 'Winterzulage', fr: "Allocation d'hiver" } }]);
  assert.equal(after.data?.version, version);
  assert.deepEqual(await localBenefits('2035-12-31'), before);
  assert.notEqual(before.data?.version, version);
  assertClean(page);
  await context.close();
});
