// A social service's rent ceilings in the browser: a value above the
// canton's maximum is named beside its cell (German, and French after
// switching the language) and cannot be saved; fixed, it is saved as a
// version that applies from 01.01.2033, which evaluation follows (the day
// before keeps the old value). Far in the future, so no other test is
// affected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, check, assertClean, apiLogin, api,
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
  await page.getByRole('heading', { level: 1, name: 'Mietzinsmaxima' }).waitFor();
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
  await page.getByRole('heading', { level: 1, name: 'Loyers maximaux' }).waitFor();
  const cellFr = page.getByRole('textbox', { name: /^Thun \(942\) 2 personnes/ });
  assert.match(await description(page, cellFr), /dépasse la valeur maximale cantonale CHF 1'700\.00/);
  await page.getByRole('columnheader', { name: "2 personnes max. CHF 1'700.00" }).waitFor();
  await check(page, 'rule-data-fr');
  await page.getByRole('button', { name: 'Deutsch' }).click();
  await page.getByRole('heading', { level: 1, name: 'Mietzinsmaxima' }).waitFor();

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
