// The audit log in the browser: an auditor finds who read and changed a
// person's dossier (names, readable events, person filter, reads and
// changes), checks the seals and downloads everything recorded about the
// person; the same screen in French; every recorded event has a German and
// a French label. And the rule pack code editor: text typed fast (10 ms a
// key) arrives exactly as typed; authors and reviewers appear by name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, newPage, login, open, check, axe, assertClean, apiLogin, api, uniq, catalog, expectFocused,
} from './lib.mjs';

let browser;
let cw;
let last;
let person;
let dossier;
before(async () => {
  browser = await launch();
  cw = await apiLogin('thun', 'caseworker');
  // A client of Thun with a dossier the case worker opens.
  last = `Protokoll${uniq('p').replace(/[^a-z0-9]/g, '')}`;
  const p = await api(cw, 'POST', '/api/v1/persons', { last_name: last, first_name: 'Vera', birth_date: '1981-05-06' });
  assert.equal(p.status, 201, JSON.stringify(p.json));
  person = p.json.id;
  const h = await api(cw, 'POST', '/api/v1/households', { name: `Haushalt ${last}`, members: [{ person_id: person, role: 'applicant', valid_from: '2024-01-01' }] });
  assert.equal(h.status, 201, JSON.stringify(h.json));
  const d = await api(cw, 'POST', '/api/v1/cases', { household_id: h.json.id, applicant_id: person, municipality_bfs: 942, caseworker_id: cw.me.user.id });
  assert.equal(d.status, 201, JSON.stringify(d.json));
  dossier = d.json.id;
  for (const path of [`/api/v1/cases/${dossier}`, `/api/v1/cases/${dossier}/deadlines`, `/api/v1/persons/${person}`])
    assert.equal((await api(cw, 'GET', path)).status, 200);
});
after(async () => { await browser?.close(); });

test('auditor: who read and changed a person\'s dossier, by name, filtered; seals checked; everything about the person downloaded', async () => {
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'auditor');
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Protokoll' }).click();
  await page.locator('tbody tr').first().waitFor();

  await page.getByRole('button', { name: 'Prüfkette jetzt prüfen' }).click();
  await page.getByText(/Die Prüfkette ist vollständig und unverändert/).waitFor();
  await page.getByText(/Mit einem Schlüssel versiegelt, den die Datenbank nicht kennt/).waitFor();

  // the person filter: search by name, pick the person
  const filter = page.getByRole('form', { name: 'Filter' });
  await filter.getByLabel(/^Name der Person/).fill(last);
  await filter.getByRole('button', { name: 'Person suchen' }).click();
  await filter.getByRole('button', { name: `${last} Vera, geboren 06.05.1981` }).click();
  await filter.getByText(`${last} Vera`, { exact: true }).waitFor();

  // changes: the dossier's registration by the case worker, by name
  const row = page.locator('tbody tr', { hasText: 'Dossier eröffnet' });
  await row.first().waitFor();
  assert.match(await row.first().textContent(), /Sara Fallführung/);
  assert.match(await row.first().textContent(), new RegExp(`Betrifft: ${last} Vera`));
  assert.equal(await page.getByText(/Benutzer Nr\./).count(), 0, 'no user numbers');

  // reads: by keyboard, the switch to the reads of personal data
  const reads = page.getByRole('button', { name: 'Zugriffe auf Personendaten' });
  await reads.focus();
  await page.keyboard.press('Enter');
  assert.equal(await reads.getAttribute('aria-pressed'), 'true');
  await page.locator('tbody tr', { hasText: 'Dossier angezeigt' }).first().waitFor();
  const shown = await page.locator('tbody').textContent();
  for (const s of ['Fristen angezeigt', 'Person angezeigt', 'Sara Fallführung', `${last} Vera`]) assert.ok(shown.includes(s), `${s} in the reads`);
  await check(page, 'audit-reads');

  // a bad date is named at its field; nothing else happens
  await filter.getByLabel(/^Von/).fill('32.13.2026');
  await filter.getByRole('button', { name: 'Filtern' }).click();
  await filter.getByText('Datum als TT.MM.JJJJ eingeben.').waitFor();
  await filter.getByLabel(/^Von/).fill('');

  // everything recorded about the person, as a file
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: `Alles zu ${last} Vera exportieren (JSON)` }).click(),
  ]);
  assert.equal(dl.suggestedFilename(), `audit-person-${person}.json`);
  const ex = JSON.parse(readFileSync(await dl.path(), 'utf8'));
  assert.equal(ex.person.last_name, last);
  assert.ok(ex.changes.some((e) => e.action === 'dossier_registered'));
  assert.ok(ex.reads.some((e) => e.route === 'GET /api/v1/cases/{id}' && e.actor_name === 'Sara Fallführung'));

  // the filter goes away again
  await filter.getByRole('button', { name: 'Person entfernen' }).click();
  await filter.getByLabel(/^Name der Person/).waitFor();
  assertClean(page);
  await context.close();

  // the same screen in French (Biel's auditor works in French)
  const fr = await newPage(browser);
  await login(fr.page, 'biel', 'auditor');
  await open(fr.page, '#/audit');
  await fr.page.getByRole('button', { name: 'Accès aux données personnelles' }).click();
  await fr.page.getByRole('heading', { name: 'Accès aux données personnelles (les plus récents d\'abord)' }).waitFor();
  await fr.page.getByRole('form', { name: 'Filtres' }).waitFor();
  await axe(fr.page, 'audit-fr');
  assertClean(fr.page);
  await fr.context.close();
});

test('every event and read route recorded so far has a German and a French label', async () => {
  const de = catalog('de');
  const fr = catalog('fr');
  const canton = await apiLogin('canton', 'canton-admin');
  const doc = (await api(canton, 'GET', '/api/openapi.json')).json;
  const missing = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      const key = `audit.route.${m.toUpperCase()} ${p}`;
      if (op['x-audited'] && (!(key in de) || !(key in fr))) missing.push(key);
    }
  }
  // every action recorded so far (the test fixture module's own aside)
  const aud = await apiLogin('thun', 'auditor');
  for (const kind of ['/api/v1/audit', '/api/v1/audit/reads']) {
    const items = (await api(aud, 'GET', `${kind}?limit=500`)).json.items;
    for (const e of items.filter((x) => !/^echo_/.test(x.action))) {
      for (const key of [`audit.act.${e.action}`, `audit.obj.${e.object_type}`])
        if (!(key in de) || !(key in fr)) missing.push(key);
    }
  }
  assert.deepEqual([...new Set(missing)].sort(), [], 'labels missing in web/src/i18n/{de,fr}.audit.json');
});

test('the rule pack editor keeps every key typed fast; authors and reviewers by name', async () => {
  const author = await apiLogin('canton', 'canton-admin');
  const reviewer = await apiLogin('canton', 'canton-reviewer');
  const RP = '/api/v1/admin/rule-packs';
  const name = uniq('ed');
  const c = await api(author, 'POST', RP, { name, version: '1', valid_from: '2032-01-01', source: 'function f(i) return 1 end\n', examples: [{ function: 'f', input: {}, expected: 1 }] });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  assert.equal((await api(author, 'POST', `${RP}/${c.json.id}/test`)).json.status, 'tested');
  assert.equal((await api(author, 'POST', `${RP}/${c.json.id}/submit`, {})).status, 200);
  assert.equal((await api(reviewer, 'POST', `${RP}/${c.json.id}/approve`, {})).status, 200);
  const d = await api(author, 'POST', RP, { name, version: '2', valid_from: '2033-01-01', source: '-- leer\n' });
  assert.equal(d.status, 201, JSON.stringify(d.json));

  const { context, page } = await newPage(browser);
  await login(page, 'canton', 'canton-admin');
  // the approved version: author and reviewer by name
  await open(page, `#/rule-packs/${c.json.id}`);
  const facts = page.locator('.card').first();
  await facts.getByText('Claudia Kantonal (Sie)').waitFor();
  await facts.getByText('Reto Prüfer').waitFor();
  assert.equal(await page.getByText(/Benutzer Nr\./).count(), 0, 'no user numbers');

  // the draft: type a long line at 10 ms a key
  await open(page, `#/rule-packs/${d.json.id}`);
  const ed = page.locator('.cm-content');
  await page.locator('.cm-content', { hasText: '-- leer' }).waitFor();
  await ed.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  const typed = '-- Mietzins: ' + 'abcdefghij klmnopqrst uvwxyz 0123456789 = + - * / , ; . ? ! '.repeat(6) + 'Ende';
  await page.keyboard.type(typed, { delay: 10 });
  await expectFocused(ed, 'the editor keeps the focus while typing');
  await page.getByRole('button', { name: 'Speichern', exact: true }).click();
  await page.getByText(/^Die Änderungen sind gespeichert\./).waitFor();
  const saved = await api(author, 'GET', `${RP}/${d.json.id}`);
  assert.equal(saved.json.source, typed, 'the saved text is exactly what was typed');
  assertClean(page);
  await context.close();
});
