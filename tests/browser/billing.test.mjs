// The canton's cost allocation in the browser: a period with costs in all
// four phases and a corrected figure, an allocation whose shares add up per
// phase, an invoice PDF and the CSV; then a new version of the
// cost-allocation key (written, tested and submitted in the browser, approved
// there by a second canton admin) and a second run: the new run names the
// new version and has new shares, the earlier run still names the old
// version with its old shares. And the burden-sharing report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, newPage, login, open, check, axe, assertClean, apiLogin, api, expectFocused, eventually,
} from './lib.mjs';
import { sql, DB_OWNER, tenantId, fixtureHousehold } from '../api/lib.mjs';

const RP = '/api/v1/admin/rule-packs';
const B = '/api/v1/billing';

let browser;
let admin;
before(async () => {
  browser = await launch();
  admin = await apiLogin('canton', 'canton-admin');
});
after(async () => { await browser?.close(); });

/** "CHF 1'234.50" (or "CHF -0.05") -> Rappen. */
function rappen(text) {
  const m = /CHF\s*(-?)([\d']+)\.(\d{2})/.exec(text);
  assert.ok(m, `not an amount: ${text}`);
  const v = Number(m[2].replace(/'/g, '')) * 100 + Number(m[3]);
  return m[1] ? -v : v;
}

/** axe and a screenshot, and the screen fits its width (no sideways scrolling). */
async function checkScreen(page, name) {
  await check(page, name);
  const w = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(w[0] <= w[1], `${name} is ${w[0]} px wide in a ${w[1]} px window`);
}

/** A period code of at most 20 characters, unique per run. */
const code = (p) => `${p}${Date.now().toString(36)}${process.pid.toString(36)}`.slice(0, 20);

/**
 * The run on screen, per phase: the key line, the total in the footer and
 * the rows of the shares table (party, basis, amount, explanation).
 */
async function runOnScreen(page) {
  return page.$$eval('section.run-phase', (secs) => secs.map((s) => ({
    phase: s.dataset.phase,
    key: s.querySelector('.phase-key').textContent,
    total: s.querySelector('tfoot .phase-sum').textContent,
    rows: [...s.querySelectorAll('tbody tr')].map((tr) => ({
      party: tr.querySelector('th').textContent,
      basis: tr.querySelectorAll('td')[0].textContent,
      amount: tr.querySelectorAll('td')[1].textContent,
      explain: tr.querySelectorAll('td')[2].textContent,
    })),
  })));
}

/** Every phase's shares add up to its total, and match the API's run. */
function assertShares(screen, run, costs) {
  assert.deepEqual(screen.map((p) => p.phase), run.phases.map((p) => p.phase));
  for (const ph of screen) {
    const total = rappen(ph.total);
    const sum = ph.rows.reduce((s, r) => s + rappen(r.amount), 0);
    assert.equal(sum, total, `${ph.phase}: the shares add up to the phase total`);
    assert.equal(total, costs[ph.phase], `${ph.phase}: the total is the recorded costs`);
    const api = run.shares.filter((s) => s.phase === ph.phase);
    assert.deepEqual(ph.rows.map((r) => rappen(r.amount)), api.map((s) => s.amount), `${ph.phase}: amounts as the API`);
    assert.deepEqual(ph.rows.map((r) => r.explain), api.map((s) => s.explain.de), `${ph.phase}: German explanations`);
  }
}

const PHASES = [
  // phase, label, description, typed amount, Rappen
  ['project', 'Projekt', 'Projektleitung und Einführung', "120'000.00", 12000000],
  ['operation', 'Betrieb', 'Hosting und Support', "45'678.90", 4567890],
  ['development', 'Weiterentwicklung', 'Schnittstelle Steuerverwaltung', '10000.05', 1000005],
  ['migration', 'Migration', 'Datenübernahme Altsystem', "3'333.33", 333333],
];

test('costs per phase, figures, allocation, invoice and CSV; a new key makes a new run and the old run keeps its version', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'canton', 'canton-admin');
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await nav.getByRole('link', { name: 'Kostenverteilung' }).click();
  await page.getByRole('heading', { name: 'Neue Periode' }).waitFor();
  await checkScreen(page, 'billing-periods');

  // The creditor of the invoices (seeded): shown grouped, checked before it is sent.
  await page.getByRole('link', { name: 'Rechnungssteller' }).click();
  await page.getByRole('heading', { name: 'Rechnungssteller', level: 1 }).waitFor();
  assert.equal(await page.getByLabel(/^IBAN/).inputValue(), 'CH44 3199 9123 0008 8901 2');
  await page.getByLabel(/^IBAN/).fill('DE89 3704 0044 0532 0130 00');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('Bitte eine IBAN oder QR-IBAN aus der Schweiz oder Liechtenstein eingeben', { exact: false }).waitFor();
  await checkScreen(page, 'billing-creditor');
  await page.getByRole('link', { name: 'Abbrechen' }).click();
  await page.getByRole('heading', { name: 'Neue Periode' }).waitFor();

  // A period far in the future: the new key below is in force only there.
  const year = 2100 + Math.floor(Math.random() * 90);
  const pcode = code('K');
  await page.getByLabel(/^Code/).fill(pcode);
  await page.getByLabel(/^Ende/).fill('31.02.' + year);
  await page.getByRole('button', { name: 'Periode erfassen' }).click();
  await page.getByText('Bitte ein gültiges Datum im Format TT.MM.JJJJ eingeben.').first().waitFor();
  await page.getByLabel(/^Beginn/).fill(`01.01.${year}`);
  await page.getByLabel(/^Ende/).fill(`31.12.${year}`);
  await page.getByRole('button', { name: 'Periode erfassen' }).click();
  await page.getByRole('heading', { name: `Periode ${pcode}`, level: 1 }).waitFor();
  await page.getByText('Die Periode ist erfasst.', { exact: false }).waitFor();
  const pid = Number(/#\/billing\/p\/(\d+)/.exec(page.url())[1]);
  let period = (await api(admin, 'GET', `${B}/periods/${pid}`)).json;
  assert.equal(period.code, pcode);
  assert.equal(period.starts_on, `${year}-01-01`);
  assert.ok(period.tenants.length >= 3, 'the social services are prefilled');
  assert.ok(period.municipalities.some((m) => m.name === 'Thun' && m.population > 0), 'populations are prefilled');

  // Costs for all four phases, typed in Swiss format; one wrong one removed again.
  const costs = page.getByRole('region', { name: 'Kosten nach Phase' });
  for (const [phase, name, description, typed] of PHASES) {
    await costs.getByRole('combobox', { name: 'Phase' }).selectOption(phase);
    await costs.getByLabel(/^Beschreibung/).fill(description);
    await costs.getByLabel(/^Betrag \(CHF\)/).fill(typed);
    await costs.getByRole('button', { name: 'Kosten hinzufügen' }).click();
    await page.getByText(new RegExp(`^${name}: CHF .* hinzugefügt\\.$`)).waitFor();
  }
  await costs.getByLabel(/^Betrag \(CHF\)/).fill('0');
  await costs.getByLabel(/^Beschreibung/).fill('Fehlbuchung');
  await costs.getByRole('button', { name: 'Kosten hinzufügen' }).click();
  await costs.getByText('Bitte einen Betrag über 0 eingeben', { exact: false }).waitFor();
  await costs.getByLabel(/^Betrag \(CHF\)/).fill('1.00');
  await costs.getByRole('button', { name: 'Kosten hinzufügen' }).click();
  await costs.getByRole('cell', { name: 'Fehlbuchung', exact: true }).waitFor();
  await costs.getByRole('button', { name: /^Entfernen – Migration: Fehlbuchung$/ }).click();
  await costs.getByRole('button', { name: 'Ja, entfernen' }).click();
  await page.getByText('«Fehlbuchung» ist entfernt.').waitFor();
  const subtotals = await costs.locator('tr.subtotal').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.phase, r.querySelector('td').textContent])));
  const want = Object.fromEntries(PHASES.map((p) => [p[0], p[4]]));
  for (const [phase, amount] of Object.entries(want)) assert.equal(rappen(subtotals[phase]), amount, phase);
  assert.equal(rappen(await costs.locator('tr.grand-total td').first().textContent()),
    PHASES.reduce((s, p) => s + p[4], 0));

  // Figures: migrated dossiers (0 when prefilled) and a population.
  const figures = page.getByRole('form', { name: 'Kennzahlen' });
  await figures.getByLabel('Migrierte Dossiers – Sozialdienst Thun', { exact: true }).fill('150');
  await figures.getByLabel('Migrierte Dossiers – Regionaler Sozialdienst Oberes Emmental', { exact: true }).fill('50');
  await figures.getByLabel('Einwohnerzahl Thun', { exact: true }).fill("44'000");
  await figures.getByRole('button', { name: 'Kennzahlen speichern' }).click();
  await page.getByText('Die Kennzahlen sind gespeichert.').waitFor();
  period = (await api(admin, 'GET', `${B}/periods/${pid}`)).json;
  const thun = period.tenants.find((x) => x.slug === 'thun');
  assert.equal(thun.migrated_dossiers, 150);
  assert.equal(period.municipalities.find((m) => m.name === 'Thun').population, 44000);
  assert.equal(await figures.getByLabel('Einwohnerzahl Thun', { exact: true }).inputValue(), "44'000");
  await checkScreen(page, 'billing-period');

  // First run: the key in force now.
  await page.locator('.in-force', { hasText: /^Es gilt die Version cost-allocation / }).waitFor();
  await page.getByRole('button', { name: 'Kosten jetzt verteilen' }).click();
  await page.getByText('Die Kosten sind verteilt.').waitFor();
  await page.getByRole('heading', { name: new RegExp(`^Verteilung ${pcode} vom `), level: 1 }).waitFor();
  const run1Id = Number(/#\/billing\/r\/(\d+)/.exec(page.url())[1]);
  const run1 = (await api(admin, 'GET', `${B}/runs/${run1Id}`)).json;
  const oldPack = run1.pack;
  assert.equal(oldPack.name, 'cost-allocation');
  assert.equal(await page.locator('.run-pack').textContent(), `cost-allocation ${oldPack.version}`);
  const screen1 = await runOnScreen(page);
  assert.equal(screen1.length, 4, 'all four phases');
  assertShares(screen1, run1, want);
  const oldPct = run1.phases.find((p) => p.phase === 'project').key.canton_percent;
  const oldCanton = run1.phases.find((p) => p.phase === 'project').canton;
  const project1 = screen1.find((p) => p.phase === 'project');
  assert.match(project1.key, new RegExp(`^Schlüssel: ${oldPct} % zulasten des Kantons`));
  assert.equal(project1.rows[0].party, 'Kanton');
  assert.equal(project1.rows[0].basis, `${oldPct} % der Phase`);
  const thunRow = project1.rows.find((r) => r.party.startsWith('Thun'));
  assert.match(thunRow.basis, /^Einwohnerzahl 44'000 von [\d']+$/);
  const migration = screen1.find((p) => p.phase === 'migration');
  assert.ok(migration.rows.some((r) => /^Migrierte Dossiers 150 von 200$/.test(r.basis)), 'the corrected figure is used');
  await checkScreen(page, 'billing-run');

  // The invoice PDF of a social service, through the page's own session.
  const pdfLink = page.getByRole('link', { name: 'PDF öffnen – Rechnung an Sozialdienst Thun' });
  const pdf = await page.request.get(await pdfLink.getAttribute('href'));
  assert.equal(pdf.status(), 200);
  assert.match(pdf.headers()['content-type'], /^application\/pdf/);
  assert.equal((await pdf.body()).subarray(0, 4).toString('latin1'), '%PDF');
  const inv = run1.invoices.find((x) => x.tenant_id === thun.tenant_id);
  assert.ok(inv.amount > 0);
  const invRow = page.locator('.invoices-table tbody tr', { hasText: 'Sozialdienst Thun' });
  assert.equal(rappen(await invRow.locator('td.num').textContent()), inv.amount);
  assert.equal((await invRow.locator('.reference').textContent()).replace(/\s/g, ''), inv.reference);

  // The CSV: a header line and one line per share.
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Verteilung als CSV herunterladen' }).click(),
  ]);
  const csv = readFileSync(await dl.path(), 'utf8').replace(/^\uFEFF/, '');
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1 + run1.shares.length, `header and one line per share:\n${csv}`);
  assert.match(lines[0], /phase/i);

  // A new version of the key, in force from the period's start: the
  // canton's part of the project phase changes. Written, tested and
  // submitted by canton-admin, approved by canton-reviewer.
  const cur = (await api(admin, 'GET', `${RP}/${oldPack.id}`)).json;
  const newPct = oldPct === 30 ? 40 : 30;
  const newVersion = `${year}.${Date.now().toString(36)}`;
  const line = /(phase = "project",\s*canton_percent = )(\d+)/;
  assert.match(cur.source, line);
  // Only the key changes: the pack reads its version label as PACK.version.
  const source = cur.source.replace(line, `$1${newPct}`);
  const examples = cur.examples.filter((e) => e.function === 'keys').map((e) => ({
    ...e,
    expected: {
      ...e.expected, version: newVersion,
      phases: e.expected.phases.map((p) => (p.phase === 'project' ? { ...p, canton_percent: newPct } : p)),
    },
  }));
  assert.ok(examples.length > 0, 'the pack has keys() examples');
  // Made in the browser like any rule pack: new version, edit the source
  // and the example cases, run them, submit; the second admin approves.
  await open(page, '#/rule-packs');
  const group = page.getByRole('region', { name: 'cost-allocation', exact: true });
  await group.getByRole('link', { name: 'Neue Version von cost-allocation' }).click();
  const form = page.getByRole('form', { name: 'Neue Version erstellen' });
  await form.getByLabel(/^Bezeichnung der neuen Version/).fill(newVersion);
  await form.getByLabel(/^Gültig ab/).fill(`01.01.${year}`);
  await form.getByRole('button', { name: 'Neue Version erstellen' }).click();
  await page.getByRole('heading', { level: 1, name: `cost-allocation ${newVersion}` }).waitFor();
  const np = Number(/rule-packs\/(\d+)/.exec(page.url())[1]);
  const ed = page.locator('.cm-content');
  await ed.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(source);
  await page.getByLabel(/^Beispielfälle \(JSON\)/).fill(JSON.stringify(examples, null, 2));
  await page.getByRole('button', { name: 'Speichern', exact: true }).click();
  await page.getByText('Die Änderungen sind gespeichert.').waitFor();
  assert.equal((await api(admin, 'GET', `${RP}/${np}`)).json.source, source, 'the edited source is saved as typed');
  await page.getByRole('button', { name: 'Beispielfälle rechnen' }).click();
  await page.getByText(`${examples.length} bestanden, 0 fehlgeschlagen.`).waitFor();
  await page.getByRole('button', { name: 'Zur Freigabe einreichen' }).click();
  await page.getByText('Die Version ist zur Freigabe eingereicht.').waitFor();
  const rv = await newPage(browser);
  await login(rv.page, 'canton', 'canton-reviewer');
  await open(rv.page, `#/rule-packs/${np}`);
  await rv.page.getByLabel(/^Kommentar zur Prüfung/).fill('Neuer Projektschlüssel');
  await rv.page.getByRole('button', { name: 'Freigeben' }).click();
  await rv.page.getByText('Die Version ist freigegeben.').waitFor();
  await rv.context.close();
  assert.equal((await api(admin, 'GET', `${RP}/${np}`)).json.status, 'approved');
  await open(page, `#/billing/r/${run1Id}`);

  // Second run in the browser: the new version, new shares.
  await page.getByRole('link', { name: `Periode ${pcode}` }).click();
  await page.getByRole('heading', { name: `Periode ${pcode}`, level: 1 }).waitFor();
  await page.locator('.in-force', { hasText: `Es gilt die Version cost-allocation ${newVersion} (gültig ab 01.01.${year}).` }).waitFor();
  await page.getByRole('button', { name: 'Kosten jetzt verteilen' }).click();
  await page.getByText('Die Kosten sind verteilt.').waitFor();
  await page.waitForFunction((old) => !location.hash.includes(`/r/${old}`) && /#\/billing\/r\/\d+/.test(location.hash), run1Id);
  const run2Id = Number(/#\/billing\/r\/(\d+)/.exec(page.url())[1]);
  await page.locator('.run-pack').waitFor();
  const run2 = (await api(admin, 'GET', `${B}/runs/${run2Id}`)).json;
  assert.equal(run2.pack.id, np);
  assert.equal(await page.locator('.run-pack').textContent(), `cost-allocation ${newVersion}`);
  const screen2 = await runOnScreen(page);
  assertShares(screen2, run2, want);
  const project2 = screen2.find((p) => p.phase === 'project');
  assert.match(project2.key, new RegExp(`^Schlüssel: ${newPct} % zulasten des Kantons`));
  assert.equal(rappen(project2.rows[0].amount), want.project * newPct / 100);
  assert.notEqual(rappen(project2.rows[0].amount), oldCanton);
  assert.notDeepEqual(project2.rows.map((r) => r.amount), project1.rows.map((r) => r.amount));
  // The other phases' keys did not change, nor their shares.
  for (const ph of ['operation', 'development', 'migration'])
    assert.deepEqual(screen2.find((p) => p.phase === ph).rows.map((r) => r.amount),
      screen1.find((p) => p.phase === ph).rows.map((r) => r.amount), ph);

  // Both runs are listed, each with its own version; the earlier one still
  // shows the old version and the old shares.
  const runs = page.getByRole('table', { name: `Verteilläufe der Periode ${pcode}` });
  // The period's runs load after the run itself.
  await runs.locator('tbody tr').nth(1).waitFor();
  const runRows = await runs.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent));
  assert.equal(runRows.length, 2);
  assert.ok(runRows[0].includes(`cost-allocation ${newVersion}01.01.${year}${run2.pack.sha256.slice(0, 12)}`), runRows[0]);
  assert.ok(runRows[1].includes(`cost-allocation ${oldPack.version}`), runRows[1]);
  assert.ok(runRows[1].includes(oldPack.sha256.slice(0, 12)), runRows[1]);
  await checkScreen(page, 'billing-run-new-key');
  await runs.getByRole('link').click();
  await page.waitForFunction((id) => location.hash === `#/billing/r/${id}`, run1Id);
  await page.getByRole('heading', { name: new RegExp(`^Verteilung ${pcode} vom `), level: 1 }).waitFor();
  await page.locator('.run-pack', { hasText: `cost-allocation ${oldPack.version}` }).waitFor();
  const again = await runOnScreen(page);
  assert.deepEqual(again, screen1, 'the earlier run is unchanged');

  // In French, the explanations are the French ones.
  await page.getByRole('button', { name: 'Français' }).click();
  await page.getByRole('heading', { name: new RegExp(`^Répartition ${pcode} du `), level: 1 }).waitFor();
  const fr = await runOnScreen(page);
  for (const ph of fr)
    assert.deepEqual(ph.rows.map((r) => r.explain), run1.shares.filter((s) => s.phase === ph.phase).map((s) => s.explain.fr));
  await axe(page, 'billing-run-fr');
  assertClean(page);
  await context.close();
});

/** Booked payments of a new dossier in municipality bfs (made in the database, as tests/api/billing.test.mjs does). */
function booked(slug, bfs, day, amounts) {
  const t = tenantId(slug);
  const { household, persons } = fixtureHousehold(slug, [{ role: 'applicant', birth: '1980-01-01' }]);
  const d = sql(DB_OWNER, `insert into dossier (tenant_id, module, household_id, applicant_id, state, municipality_bfs, opened_on)
    values (${t}, 'sozialhilfe', ${household}, ${persons[0]}, 'ongoing', ${bfs}, '${day}') returning id`).split('\n')[0];
  const run = sql(DB_OWNER, `insert into payment_run (tenant_id, month, exec_date, created_by) values (${t}, '${day}', '${day}', 0) returning id`).split('\n')[0];
  for (const amount of amounts)
    sql(DB_OWNER, `insert into payment_line (tenant_id, run_id, dossier_id, module, kind, source_id, amount, name, ustrd, status, booked_on)
      values (${t}, ${run}, ${d}, 'sozialhilfe', 'one_off', nextval('object_id_seq'), ${amount}, 'Muster', 'Test', 'booked', '${day}')`);
}

test('burden sharing: rows per municipality, totals, the canton part and the pack version', async () => {
  // A year of its own with booked payments in Thun and Trub.
  const year = 2060 + Math.floor(Math.random() * 30);
  booked('thun', 942, `${year}-03-01`, [12000000, 3456789]);
  booked('oberes-emmental', 908, `${year}-04-01`, [2500000]);
  const bcode = code('L');
  const made = await api(admin, 'POST', `${B}/periods`, { code: bcode, starts_on: `${year}-01-01`, ends_on: `${year}-12-31` });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const report = (await api(admin, 'GET', `${B}/periods/${made.json.id}/burden-sharing`)).json;
  assert.ok(report.rows.length >= 3, JSON.stringify(report));
  assert.ok(report.total_costs >= 12000000 + 3456789 + 2500000, JSON.stringify(report));
  assert.ok(report.rows.some((r) => r.balance > 0) && report.rows.some((r) => r.balance < 0), 'some pay, some receive');

  const { context, page } = await newPage(browser);
  await login(page, 'canton', 'canton-admin');
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Lastenausgleich' }).click();
  await page.getByRole('heading', { name: 'Lastenausgleich', level: 1 }).waitFor();
  await page.getByRole('combobox', { name: 'Periode' }).selectOption(String(made.json.id));
  const table = page.getByRole('table', { name: `Lastenausgleich ${bcode} pro Gemeinde` });
  await table.waitFor();
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    name: tr.querySelector('th').textContent,
    cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
  })));
  assert.equal(rows.length, report.rows.length);
  const foot = await table.locator('tfoot tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  // Cells: population, costs, share, balance (+ pays/receives), explanation.
  const sum = (i) => rows.reduce((s, r) => s + rappen(r.cells[i]), 0);
  const [munis, canton, total] = foot;
  assert.equal(Number(munis[0].replace(/'/g, '')), rows.reduce((s, r) => s + Number(r.cells[0].replace(/'/g, '')), 0));
  assert.equal(rappen(munis[1]), sum(1), 'costs column total');
  assert.equal(rappen(munis[2]), sum(2), 'shares column total');
  assert.equal(rappen(munis[3]), sum(3), 'balances column total');
  assert.equal(rappen(munis[2]), report.municipalities_total);
  assert.equal(rappen(canton[2]), report.canton);
  assert.equal(rappen(total[1]), report.total_costs);
  assert.equal(rappen(total[2]), report.total_costs, 'canton + municipalities = total');
  assert.equal(report.canton + report.municipalities_total, report.total_costs);
  const facts = await page.locator('.facts').first().textContent();
  assert.ok(facts.includes(`${report.pack.name} ${report.pack.version}`), facts);
  for (const r of report.rows) {
    const row = rows.find((x) => x.name.startsWith(r.name));
    assert.ok(row, r.name);
    assert.equal(rappen(row.cells[3]), r.balance);
    assert.match(row.cells[3], r.balance > 0 ? /zahlt ein$/ : r.balance < 0 ? /erhält$/ : /ausgeglichen$/);
    assert.equal(row.cells[4], r.explain.de);
  }
  const csv = await page.request.get(await page.getByRole('link', { name: 'Lastenausgleich als CSV herunterladen' }).getAttribute('href'));
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()['content-type'], /^text\/csv/);
  await checkScreen(page, 'burden-sharing');
  assertClean(page);
  await context.close();
});

test('invoice addresses: the canton changes a social service\'s address; a character a QR-bill cannot carry is named at its field', async () => {
  // Other tests read Biel's seeded address: it is put back at the end.
  const BIEL = { name: 'Services sociaux Bienne', street: 'Rue Centrale', building: '49', postcode: '2502', town: 'Biel/Bienne', country: 'CH' };
  const bielOf = async () => (await api(admin, 'GET', `${B}/addresses`)).json.items.find((x) => x.slug === 'biel');
  const biel = await bielOf();
  assert.deepEqual(biel.address, BIEL);
  const { context, page } = await newPage(browser);
  try {
    await login(page, 'canton', 'canton-admin');
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Kostenverteilung' }).click();
    await page.getByRole('link', { name: 'Rechnungsadressen' }).click();
    await page.getByRole('heading', { name: 'Rechnungsadressen', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Sozialdienste und ihre Rechnungsadressen' });
    const row = table.locator('tr[data-tenant="biel"]');
    assert.equal(await row.locator('th').textContent(), biel.name);
    assert.equal(await row.locator('td.address').textContent(), 'Services sociaux Bienne, Rue Centrale 49, 2502 Biel/Bienne');
    assert.equal(await row.locator('td').first().textContent(), 'Französisch');
    const services = (await api(admin, 'GET', `${B}/addresses`)).json.items.length;
    assert.equal(await table.locator('tbody tr').count(), services, 'one row per social service, the canton pays no invoice');
    assert.equal(await table.locator('tr[data-tenant="canton"]').count(), 0);
    await checkScreen(page, 'billing-addresses');

    // The building number changes.
    const edit = row.getByRole('button', { name: `Bearbeiten – ${biel.name}` });
    await edit.click();
    await eventually(() => edit.getAttribute('aria-expanded'), 'true', 'the row\'s button says its form is open');
    const form = page.getByRole('form', { name: `Rechnungsadresse von ${biel.name}` });
    await form.waitFor();
    // Focus moves to the form's heading once it is drawn.
    await page.waitForFunction((t) => document.activeElement?.textContent === t, `Rechnungsadresse von ${biel.name}`, { timeout: 5000 });
    assert.equal(await form.getByLabel(/^Strasse/).inputValue(), 'Rue Centrale');
    assert.equal(await form.getByLabel(/^Hausnummer/).inputValue(), '49');
    await form.getByLabel(/^Hausnummer/).fill('49a');
    await form.getByRole('button', { name: 'Speichern' }).click();
    await page.getByRole('status').filter({ hasText: `Die Rechnungsadresse von ${biel.name} ist gespeichert.` }).waitFor();
    await form.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-expanded') === 'false', null, { timeout: 5000 }); // focus is back on the row's button
    assert.equal(await row.locator('td.address').textContent(), 'Services sociaux Bienne, Rue Centrale 49a, 2502 Biel/Bienne');
    assert.deepEqual((await bielOf()).address, { ...BIEL, building: '49a' });

    // A typographic dash cannot go on a QR-bill: refused by the server, named at the street.
    await edit.click();
    await form.getByLabel(/^Strasse/).fill('Rue Centrale – Nord');
    await form.getByRole('button', { name: 'Speichern' }).click();
    const street = form.getByLabel(/^Strasse/);
    const err = form.locator('.field-invalid .field-error');
    await err.waitFor();
    assert.equal(await err.count(), 1, 'only the street is marked');
    assert.equal(await err.textContent(),
      'Auf einer QR-Rechnung nicht möglich: «–». Erlaubt sind lateinische Buchstaben, Ziffern und übliche Satzzeichen. '
      + 'Schreiben Sie statt «–» zum Beispiel «-».');
    assert.equal(await street.getAttribute('aria-invalid'), 'true');
    const describedBy = await street.getAttribute('aria-describedby');
    assert.equal(await err.getAttribute('id'), describedBy, 'the message is the field\'s description');
    await form.getByRole('alert').filter({ hasText: 'Bitte korrigieren Sie die markierten Felder.' }).waitFor();
    await check(page, 'billing-addresses-error');
    assert.deepEqual((await bielOf()).address, { ...BIEL, building: '49a' }, 'nothing of the refused change is saved');

    // Corrected as the message says, it is saved.
    await street.fill('Rue Centrale - Nord');
    await form.getByRole('button', { name: 'Speichern' }).click();
    await page.getByRole('status').filter({ hasText: `Die Rechnungsadresse von ${biel.name} ist gespeichert.` }).waitFor();
    await form.waitFor({ state: 'detached' });
    assert.deepEqual((await bielOf()).address, { ...BIEL, street: 'Rue Centrale - Nord', building: '49a' });
    assert.equal(await row.locator('td.address').textContent(), 'Services sociaux Bienne, Rue Centrale - Nord 49a, 2502 Biel/Bienne');

    // Cancel leaves the address as it is.
    await edit.click();
    await form.getByLabel(/^Ort/).fill('');
    await form.getByRole('button', { name: 'Abbrechen' }).click();
    await form.waitFor({ state: 'detached' });
    await expectFocused(edit, 'focus returns to the row\'s button');

    // In French.
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByRole('heading', { name: 'Adresses de facturation', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Services sociaux et leurs adresses de facturation' })
      .locator('tr[data-tenant="biel"]').getByRole('button', { name: `Modifier – ${biel.name}` }).waitFor();
    await axe(page, 'billing-addresses-fr');
    assertClean(page);
  } finally {
    const back = await api(admin, 'PUT', `${B}/addresses/${biel.tenant_id}`, BIEL, { 'if-match': `"${(await bielOf()).row_version}"` });
    assert.equal(back.status, 200, JSON.stringify(back.json));
    await context.close();
  }
  assert.deepEqual((await bielOf()).address, BIEL);
});

test('figures: social services that came later are taken over, corrections stay', async () => {
  const pcode = code('rf');
  const made = await api(admin, 'POST', `${B}/periods`, { code: pcode, starts_on: '2188-01-01', ends_on: '2188-12-31' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const id = made.json.id;
  // a correction, then a service whose figures the period lacks (removed as if it came later)
  const thun = made.json.tenants.find((t) => t.slug === 'thun');
  const fix = await api(admin, 'PUT', `${B}/periods/${id}/figures`, { tenants: [{ tenant_id: thun.tenant_id, users: 77 }] }, { 'if-match': made.etag });
  assert.equal(fix.status, 200, JSON.stringify(fix.json));
  const biel = made.json.tenants.find((t) => t.slug === 'biel');
  sql(DB_OWNER, `delete from billing_tenant_figures where period_id = ${id} and subject_id = ${biel.tenant_id}`);
  const { context, page } = await newPage(browser);
  try {
    await login(page, 'canton', 'canton-admin');
    await open(page, `#/billing/p/${id}`);
    const table = page.getByRole('table', { name: 'Kennzahlen pro Sozialdienst' });
    await page.getByRole('button', { name: 'Neue Sozialdienste und Gemeinden übernehmen' }).click();
    await page.getByText('Die Kennzahlen sind ergänzt; Ihre Korrekturen sind geblieben.').waitFor();
    await table.getByRole('rowheader', { name: biel.name }).waitFor();
    const after = (await api(admin, 'GET', `${B}/periods/${id}`)).json;
    assert.ok(after.tenants.some((t) => t.slug === 'biel'), 'Biel is back');
    assert.equal(after.tenants.find((t) => t.slug === 'thun').users, 77, 'the correction stayed');
    await checkScreen(page, 'billing-figures-refreshed');
    assertClean(page);
  } finally { await context.close(); }
});

test('issuing: the canton issues a run\'s invoices; Thun\'s accounting finds its invoice and opens the PDF', async () => {
  // Before 2199: tests/api/billing.test.mjs puts a broken key in force from then.
  const y = 2101 + Math.floor(Math.random() * 80);
  const pcode = code('Q');
  const made = await api(admin, 'POST', `${B}/periods`, { code: pcode, starts_on: `${y}-01-01`, ends_on: `${y}-12-31` });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const cost = await api(admin, 'POST', `${B}/periods/${made.json.id}/costs`, { phase: 'project', amount: 5000000, description: 'Projekt' });
  assert.equal(cost.status, 201, JSON.stringify(cost.json));
  const run = await api(admin, 'POST', `${B}/periods/${made.json.id}/allocate`);
  assert.equal(run.status, 201, JSON.stringify(run.json));
  const thunId = (await api(admin, 'GET', `${B}/addresses`)).json.items.find((x) => x.slug === 'thun').tenant_id;
  const inv = run.json.invoices.find((x) => x.tenant_id === thunId);
  assert.ok(inv.amount > 0);

  // The canton issues, after the question.
  const c = await newPage(browser);
  try {
    await login(c.page, 'canton', 'canton-admin');
    await open(c.page, `#/billing/r/${run.json.id}`);
    await c.page.getByText(/^Noch nicht freigegeben: Die Sozialdienste sehen diese Rechnungen erst nach der Freigabe/).waitFor();
    await c.page.getByRole('button', { name: 'Rechnungen an die Sozialdienste freigeben' }).click();
    await c.page.getByText(/Rechnungen dieses Verteillaufs freigeben\? Die Freigabe lässt sich nicht zurücknehmen\.$/).waitFor();
    await c.page.getByRole('button', { name: 'Ja, freigeben' }).click();
    const note = c.page.locator('#issued-note');
    await note.getByText(/^Die Rechnungen sind freigegeben\. Freigegeben am \d\d\.\d\d\.\d{4} \d\d:\d\d von /).waitFor();
    await expectFocused(note, 'focus moves to the note that replaced the button');
    assert.equal(await c.page.getByRole('button', { name: 'Rechnungen an die Sozialdienste freigeben' }).count(), 0);
    assert.ok((await api(admin, 'GET', `${B}/runs/${run.json.id}`)).json.issued_at, 'issued on the server');
    await checkScreen(c.page, 'billing-run-issued');
    // The period's runs say which one went out.
    const runs = c.page.getByRole('table', { name: `Verteilläufe der Periode ${pcode}` });
    await runs.locator('tbody tr').first().getByText(/^freigegeben am \d\d\.\d\d\.\d{4} \d\d:\d\d$/).waitFor();
    assertClean(c.page);
  } finally { await c.context.close(); }

  // Thun's accounting: "Rechnungen" in the navigation, the run's invoice in the list, its PDF.
  const a = await newPage(browser);
  try {
    await login(a.page, 'thun', 'accounting');
    await a.page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Rechnungen' }).click();
    await a.page.getByRole('heading', { name: 'Rechnungen', level: 1 }).waitFor();
    const table = a.page.getByRole('table', { name: 'Rechnungen des Kantons an Ihren Sozialdienst' });
    const row = table.locator(`tr[data-run="${run.json.id}"]`);
    await row.waitFor();
    assert.equal(rappen(await row.locator('td.num').textContent()), inv.amount);
    assert.equal((await row.locator('.reference').textContent()).replace(/\s/g, ''), inv.reference);
    assert.match(await row.locator('th').textContent(), new RegExp(`^${pcode} \\(01\\.01\\.${y} – 31\\.12\\.${y}\\)$`));
    assert.match(await row.textContent(), /gültig/);
    const link = row.getByRole('link', { name: new RegExp(`^PDF öffnen – Rechnung Periode ${pcode}, freigegeben am `) });
    const pdf = await a.page.request.get(await link.getAttribute('href'));
    assert.equal(pdf.status(), 200);
    assert.equal((await pdf.body()).subarray(0, 4).toString('latin1'), '%PDF');
    await checkScreen(a.page, 'invoices');
    await a.page.getByRole('button', { name: 'Français' }).click();
    await a.page.getByRole('heading', { name: 'Factures', level: 1 }).waitFor();
    await a.page.getByRole('table', { name: 'Factures du canton à votre service social' }).locator(`tr[data-run="${run.json.id}"]`).getByText('en vigueur').waitFor();
    await axe(a.page, 'invoices-fr');
    assertClean(a.page);
  } finally { await a.context.close(); }

  // A case worker has no invoices: not in the navigation, the address says so.
  const w = await newPage(browser);
  try {
    await login(w.page, 'thun', 'caseworker');
    assert.equal(await w.page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Rechnungen' }).count(), 0);
    await open(w.page, '#/invoices');
    await w.page.getByRole('heading', { name: 'Kein Zugriff', level: 1 }).waitFor();
  } finally { await w.context.close(); }
});
