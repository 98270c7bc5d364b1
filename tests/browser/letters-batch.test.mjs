// Serienbrief in the browser: from the work list a case worker opens the
// batch screen, chooses two of her open dossiers, writes a cost guarantee
// to both and follows the job to its end; each dossier then has its
// letter. The screen passes axe, works by keyboard (the checkboxes) and
// logs no errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, login, open, axe, assertClean, apiLogin, api, tx } from './lib.mjs';
import { sql, DB_OWNER, fixtureHousehold } from '../api/lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const inDays = (n) => {
  const d = new Date(Date.now() + n * 86400000);
  return `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
};

test('Serienbrief: two dossiers chosen, a cost guarantee to each, the job followed to its end', async () => {
  const cw = await apiLogin('thun', 'caseworker');
  const made = [];
  for (const first of ['Lea', 'Mara']) {
    const last = `Serie${Date.now().toString(36)}${first}`;
    const hh = fixtureHousehold('thun', [{ role: 'applicant', birth: '1990-02-14', last, first }]);
    const c = await api(cw, 'POST', '/api/v1/cases', { household_id: hh.household, applicant_id: hh.persons[0], municipality_bfs: 942, caseworker_id: cw.me.user.id });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    made.push({ id: c.json.id, name: `${last} ${first}` });
  }
  const { context, page } = await newPage(browser);
  try {
    await login(page, 'thun', 'caseworker');
    await open(page, '#/m/sozialhilfe');
    await page.getByRole('link', { name: tx('de', 'letters.batch.link') }).click();
    await page.getByRole('heading', { level: 1, name: tx('de', 'letters.batch.title') }).waitFor();
    // Nothing chosen: said so, nothing sent.
    await page.getByLabel(tx('de', 'letters.batch.kind')).selectOption('cost-guarantee');
    await page.getByRole('button', { name: tx('de', 'letters.batch.submit', { n: 0 }) }).click();
    await page.getByText(tx('de', 'letters.batch.none_chosen')).waitFor();
    // The checkboxes by keyboard.
    for (const d of made) {
      const box = page.getByRole('checkbox', { name: tx('de', 'letters.batch.select', { name: d.name }) });
      await box.focus();
      await page.keyboard.press('Space');
      assert.ok(await box.isChecked(), `${d.name} chosen`);
    }
    await page.locator('textarea[name=recipient]').fill('Kita Sonnenschein\nAarestrasse 5\n3600 Thun');
    await page.locator('input[name=purpose]').fill('Kinderbetreuung Januar bis März');
    await page.locator('input[name=amount]').fill('380.00');
    await page.locator('input[name=valid_until]').fill(inDays(90));
    await axe(page, 'Serienbrief');
    await page.getByRole('button', { name: tx('de', 'letters.batch.submit', { n: 2 }) }).click();
    await page.getByText(tx('de', 'letters.batch.done', { n: 2 })).waitFor({ timeout: 30000 });
    for (const d of made)
      assert.equal(sql(DB_OWNER, `select count(*) from document where dossier_id = ${d.id} and category = 'letter'`), '1', d.name);
    await axe(page, 'Serienbrief, done');
    assertClean(page);
  } finally {
    await context.close();
  }
});
