// The money path of an Alimentenhilfe dossier in the browser (issue 14),
// as its users click through it, in a fresh social service with only
// Alimentenhilfe switched on (so that its payment runs are the only ones
// of their months; the payments screen is in its navigation): the case worker
// registers the mother with her son and opens the dossier, the father as
// a person; the application's checklist and the judgment uploaded to
// the documents, the maintenance title (CHF
// 1'200 a month from January 2025) with the father as debtor, the son as
// creditor, the schedule; the debtor's QR-bill with his reference (the
// Inkasso tab); the advance (CHF 1'008) drafted and submitted by
// the case worker, approved by the team lead (four eyes), its decision
// letter as PDF. Accounting computes the run of March 2025 in the
// payments screen, the team lead approves it, accounting exports it: the
// pain.001 pays the advance. The debtor pays CHF 3'600 by his title's QR
// reference: accounting uploads the camt.054 in the payments screen and
// the Inkasso tab shows the split (current, arrears, the community's
// subrogated part). The months he missed are on the work list; an
// enforcement with its step and the pension-fund report; the dossier
// closed as uncollectable; the final statement as PDF. Then the same
// dossier's tabs in French (the case worker switches the language), a
// figure as the Swiss write it. axe on every
// screen, no console errors; texts from the message files. Set-up
// without a screen (the service, its users, account and municipality)
// goes through the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  launch, newPage, login, open, check, assertClean, tx, exact, newAhv,
} from './lib.mjs';
import { call, ok, as, freshTenant, createUser, camt054, sql, DB_OWNER } from '../api/lib.mjs';

const IBAN = 'CH9300762011623852957';
const chf = (r) => `CHF ${String(Math.floor(r / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, "'")}.${String(r % 100).padStart(2, '0')}`;
const ym = (y, m) => `${String(m).padStart(2, '0')}.${y}`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A social service with only Alimentenhilfe switched on (its payment runs
 *  are casework's screens), a municipality, its account and people. */
async function service() {
  const t = await freshTenant('ahb');
  const canton = await as('canton', 'canton-admin');
  for (const mod of ['alimente']) {
    const cur = ok(await call('GET', `/api/v1/admin/tenants/${t.slug}/modules`, { session: canton }), 200).json.items
      .find((i) => i.module === mod);
    if (!cur || !cur.enabled)
      ok(await call('PUT', `/api/v1/admin/tenants/${t.slug}/modules/${mod}`, { session: canton,
        headers: cur && cur.version > 0 ? { 'if-match': `"${cur.version}"` } : {}, body: { enabled: true } }), 200);
  }
  assert.deepEqual(ok(await call('GET', `/api/v1/admin/tenants/${t.slug}/modules`, { session: canton }), 200).json.items
    .filter((i) => i.enabled).map((i) => i.module), ['alimente']);
  const bfs = Number(sql(DB_OWNER, `select b from generate_series(5000, 9999) b where not exists
    (select 1 from municipality where bfs = b) order by random() limit 1`));
  ok(await call('POST', '/api/v1/admin/municipalities', { session: canton, body: { bfs, name: `Aaredorf ${bfs}`, population: 900 } }), 201);
  assert.equal((await call('PUT', `/api/v1/admin/tenants/${t.slug}/municipalities/${bfs}`, { session: canton })).status, 204);
  ok(await call('PUT', '/api/v1/payment-account', { session: t.admin, body: { name: 'Sozialdienst Aare',
    iban: 'CH93 0076 2011 6238 5295 7', qr_iban: 'CH44 3199 9123 0008 8901 2', street: 'Bälliz', house_no: '1', postcode: '3600', town: 'Thun', country: 'CH' } }), 200);
  const users = {};
  for (const role of ['caseworker', 'teamlead', 'accounting']) users[role] = await createUser(t.admin, [role]);
  return { slug: t.slug, bfs, users };
}

/** Sign in a user of the service in a page of its own. */
async function person(svc, role, locale = 'de-CH') {
  const p = await newPage(browser, { locale, timeout: 15000 });
  await login(p.page, svc.slug, svc.users[role].username, svc.users[role].password);
  return p;
}

/** The text of a PDF, its lines trimmed, columns joined by " | ". */
function pdfLines(file) {
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-']).toString('utf8')
    .split('\n').map((l) => l.trim().replace(/\s{2,}/g, ' | '));
}

test('Alimentenhilfe from the application to the final statement in the browser: advance with four eyes, payment run and pain.001, camt.054 by QR reference and its split, missed months, enforcement, pension report, closing (de, fr)', async () => {
  const L = (k, p) => tx('de', k, p);
  const svc = await service();
  const last = `Reise${Date.now().toString(36)}`;
  const cw = await person(svc, 'caseworker');
  const page = cw.page;
  const tabs = page.getByRole('navigation', { name: L('casework.case.sections') });
  const tab = (k) => tabs.getByRole('link', { name: L(k), exact: true }).click();

  // The father: a person of his own (no dossier).
  await open(page, '#/m/alimente/persons/new');
  const me = page.getByRole('group', { name: L('person.legend'), exact: true });
  await me.getByRole('textbox', { name: exact(L('person.last_name')) }).fill(`${last}z`);
  await me.getByRole('textbox', { name: exact(L('person.first_name')) }).fill('Leo');
  await me.getByRole('textbox', { name: exact(L('person.birth_date')) }).fill('08.08.1982');
  await page.getByRole('checkbox', { name: L('casework.case.open_now') }).uncheck();
  await page.getByRole('button', { name: L('person.register_submit') }).click();
  await page.getByText(L('casework.person.registered')).waitFor();

  // The application: the mother with her son, the dossier opened at once.
  await open(page, '#/m/alimente/persons/new');
  await me.getByRole('textbox', { name: exact(L('person.last_name')) }).fill(last);
  await me.getByRole('textbox', { name: exact(L('person.first_name')) }).fill('Mia');
  await me.getByRole('textbox', { name: exact(L('person.birth_date')) }).fill('03.03.1986');
  await me.getByRole('textbox', { name: exact(L('person.ahv')) }).fill(newAhv());
  await me.getByRole('textbox', { name: exact(L('person.street')) }).fill('Bälliz');
  await me.getByRole('textbox', { name: exact(L('person.house_no')) }).fill('1');
  await me.getByRole('textbox', { name: exact(L('person.postcode')) }).fill('3600');
  await me.getByRole('textbox', { name: exact(L('person.town')) }).fill('Thun');
  await me.getByRole('textbox', { name: exact(L('person.iban')) }).fill(IBAN);
  await page.getByRole('button', { name: L('persons.family.add_child') }).click();
  const child = page.getByRole('group', { name: L('persons.family.member', { n: 2, role: L('role.child') }) });
  await child.getByRole('textbox', { name: exact(L('person.first_name')) }).fill('Noah');
  await child.getByRole('textbox', { name: exact(L('person.birth_date')) }).fill('10.06.2015');
  await page.getByRole('textbox', { name: exact(L('casework.household.valid_from')) }).fill('01.01.2025');
  await check(page, 'ahj-application');
  await page.getByRole('button', { name: L('person.register_submit') }).click();
  await page.getByText(L('case.registered')).waitFor();
  const id = Number(/cases\/(\d+)/.exec(page.url())[1]);
  const overview = page.getByRole('group', { name: L('casework.case.overview') });
  await overview.getByText(L('alimente.state.application'), { exact: true }).waitFor();
  await check(page, 'ahj-dossier');

  // The checklist (InkHV 9): the documents received, then complete.
  await tab('alimente.section.checklist');
  for (const c of ['title', 'power_of_attorney', 'debtor_address'])
    await page.getByLabel(L('casework.checklist.received_for', { doc: L(`alimente.doc.${c}`) })).fill('06.01.2025');
  await page.getByRole('button', { name: L('casework.checklist.save') }).click();
  await page.getByText(L('casework.checklist.complete')).waitFor();
  await check(page, 'ahj-checklist');
  // The judgment itself goes to the dossier's documents.
  await tab('casework.section.documents');
  await page.getByLabel(L('casework.doc.file')).setInputFiles({ name: 'urteil.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% Urteil\n%%EOF\n') });
  await page.getByRole('combobox', { name: L('casework.doc.category') }).selectOption({ label: L('alimente.dcat.ah_title') });
  await page.getByRole('textbox', { name: exact(L('casework.doc.title')) }).fill('Urteil Regionalgericht');
  await page.getByRole('button', { name: L('casework.doc.send') }).click();
  await page.getByText(L('casework.doc.uploaded', { title: 'Urteil Regionalgericht' })).waitFor();
  await page.getByRole('table', { name: L('casework.section.documents') }).getByRole('cell', { name: L('alimente.dcat.ah_title'), exact: true }).waitFor();
  await check(page, 'ahj-documents');
  const step = async (to, more) => {
    await tab('casework.section.overview');
    await page.getByRole('combobox', { name: L('casework.transition.to') }).selectOption({ label: L(`alimente.state.${to}`) });
    if (more) await more();
    await page.getByRole('button', { name: L('casework.transition.submit') }).click();
    if (to === 'closed') await page.getByRole('button', { name: L('dossier.close_yes') }).click();
    await overview.getByText(L(`alimente.state.${to}`), { exact: true }).waitFor();
  };
  await step('assessment');

  // The title: a judgment, CHF 1'200 a month from January 2025; the father owes.
  await tab('alimente.section.title');
  await page.getByText(L('alimente.title.none_yet')).waitFor();
  await page.getByLabel(L('alimente.title.authority')).fill('Regionalgericht Bern-Mittelland');
  await page.getByLabel(L('alimente.title.decided_on')).fill('01.06.2024');
  await page.getByLabel(L('alimente.title.enforceable_on')).fill('01.07.2024');
  await page.getByLabel(L('alimente.title.applied_on')).fill('06.01.2025');
  await page.getByRole('button', { name: L('alimente.title.debtor_pick') }).click();
  const finder = page.locator('.inline-panel');
  await finder.getByLabel(L('casework.search.name'), { exact: true }).fill(`${last}z`);
  await finder.getByRole('button', { name: exact(L('alimente.title.debtor_take')) }).click();
  await page.getByText(L('alimente.title.debtor_is', { name: `Leo ${last}z` })).waitFor();
  await page.getByLabel(L('alimente.title.debtor_employer')).fill('Bau AG');
  await page.getByLabel(L('alimente.title.debtor_pension')).fill('Pensionskasse Bau');
  await page.getByRole('button', { name: L('alimente.title.create') }).click();
  await page.getByText(L('alimente.title.created')).waitFor();
  const reference = (await page.locator('.ah-ref').textContent()).trim();
  assert.match(reference, /^\d{27}$/, 'the debtor\'s QR reference is shown');
  await page.getByRole('combobox', { name: L('alimente.creditor.person') }).selectOption({ label: `Noah ${last} (10.06.2015)` });
  await page.getByRole('button', { name: L('alimente.creditor.submit') }).click();
  await page.getByText(L('alimente.creditor.added')).waitFor();
  await page.getByRole('button', { name: exact(L('alimente.creditor.edit_amounts')) }).click();
  await page.getByLabel(L('alimente.step.valid_from')).fill('01.01.2025');
  await page.getByLabel(L('alimente.step.amount')).fill("1'200");
  await page.getByRole('button', { name: L('alimente.step.save') }).click();
  await page.getByText(L('alimente.step.saved', { name: `Noah ${last}` })).waitFor();
  await check(page, 'ahj-title');

  // The schedule: CHF 1'200 every month from January 2025, nothing paid.
  await tab('alimente.section.schedule');
  const sched = page.getByRole('table', { name: L('alimente.schedule.for', { name: `Noah ${last}` }) });
  await sched.waitFor();
  await sched.getByRole('row', { name: /^01\.2025/ }).getByRole('cell', { name: "CHF 1'200.00", exact: true }).first().waitFor();
  await sched.getByRole('row', { name: /^03\.2025/ }).waitFor();
  await check(page, 'ahj-schedule');
  await step('voluntary');

  // Collection begins: the debtor's QR-bill carries his title's reference.
  await tab('alimente.section.collection');
  await page.getByText(L('alimente.collect.none')).waitFor();
  const [bill] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L('alimente.collect.bill') }).click()]);
  const billText = pdfLines(await bill.path()).join(' ').replace(/\s+/g, '');
  assert.ok(billText.includes(reference), 'the QR-bill names the reference');
  await page.getByText(L('alimente.collect.bill_saved')).waitFor();

  // The advance: computed by the pack (the cap, CHF 1'008), drafted and
  // submitted by the case worker, who cannot approve it.
  await tab('alimente.section.advances');
  await page.getByLabel(exact(L('alimente.advance.valid_from'))).fill('01.01.2025');
  await page.getByLabel(L('alimente.advance.income')).fill("45'000");
  await page.getByLabel(L('alimente.advance.assets')).fill("1'000");
  await page.getByRole('button', { name: L('alimente.advance.compute') }).click();
  await page.getByText(L('alimente.advance.drafted')).waitFor();
  const advRow = (p) => p.getByRole('table', { name: L('alimente.section.advances') }).getByRole('row', { name: new RegExp(`^Noah ${last}`) });
  await advRow(page).getByRole('cell', { name: exact("CHF 1'008.00") }).waitFor();
  await advRow(page).getByRole('button', { name: exact(L('alimente.advance.submit')) }).click();
  await page.getByText(L('alimente.advance.submitted')).waitFor();
  await advRow(page).getByText(L('alimente.advance.own')).waitFor();
  assert.equal(await advRow(page).getByRole('button', { name: exact(L('alimente.advance.approve')) }).count(), 0);
  await check(page, 'ahj-advance-submitted');

  // The team lead approves it (four eyes); the decision letter is a PDF.
  const tl = await person(svc, 'teamlead');
  await open(tl.page, `#/m/alimente/cases/${id}/advances`);
  await advRow(tl.page).getByRole('button', { name: exact(L('alimente.advance.approve')) }).click();
  await tl.page.getByRole('button', { name: L('alimente.advance.approve_yes') }).click();
  await tl.page.getByText(L('alimente.advance.approved')).waitFor();
  await advRow(tl.page).getByText(L('alimente.astatus.approved'), { exact: true }).waitFor();
  const [letter] = await Promise.all([tl.page.waitForEvent('download'),
    advRow(tl.page).getByRole('button', { name: exact(L('alimente.advance.letter')) }).click()]);
  assert.equal(readFileSync(await letter.path()).subarray(0, 5).toString(), '%PDF-');
  await check(tl.page, 'ahj-advance-approved');

  // Accounting computes the run of March 2025: it pays the advance. Only
  // Alimentenhilfe is on: the payments screen is in its navigation.
  const ac = await person(svc, 'accounting');
  await open(ac.page, '#/m/alimente');
  assert.equal(await ac.page.locator('a[href^="#/m/sozialhilfe"]').count(), 0, 'no Sozialhilfe screens');
  await ac.page.getByRole('navigation', { name: L('alimente.nav.label') }).getByRole('link', { name: L('casework.nav.payments') }).click();
  await ac.page.getByRole('heading', { level: 1, name: L('casework.run.title') }).waitFor();
  assert.match(ac.page.url(), /#\/m\/alimente\/payments$/);
  await ac.page.getByRole('textbox', { name: exact(L('casework.run.month')) }).fill('03.2025');
  await ac.page.getByRole('button', { name: L('casework.run.create') }).click();
  await ac.page.getByRole('heading', { level: 1, name: L('casework.run.one', { month: '03.2025' }) }).waitFor();
  const runId = Number(/payments\/(\d+)/.exec(ac.page.url())[1]);
  const line = ac.page.getByRole('table', { name: L('casework.run.lines') }).getByRole('row', { name: new RegExp(`Mia ${last}`) });
  await line.getByRole('cell', { name: L('alimente.pkind.ah_advance'), exact: true }).waitFor();
  await line.getByRole('cell', { name: "CHF 1'008.00", exact: true }).waitFor();
  await ac.page.getByText(L('casework.run.needs_approval')).waitFor();
  // Only the advances: the module's kinds are offered too.
  await Promise.all([ac.page.waitForResponse((r) => r.url().includes('kind=ah_advance')),
    ac.page.getByRole('combobox', { name: L('money.run.show') }).selectOption({ label: L('alimente.pkind.ah_advance') })]);
  await line.getByRole('cell', { name: "CHF 1'008.00", exact: true }).waitFor();
  await check(ac.page, 'ahj-run-draft');
  // The team lead approves it (the one who made it may not).
  await open(tl.page, `#/m/alimente/payments/${runId}`);
  await tl.page.getByRole('button', { name: L('casework.run.approve') }).click();
  await tl.page.getByRole('button', { name: L('money.run.approve_yes') }).click();
  await tl.page.getByText(L('casework.run.approved')).waitFor();
  assertClean(tl.page);
  await tl.context.close();
  // Accounting exports it: the pain.001 carries the advance to the mother.
  await ac.page.reload();
  await ac.page.getByRole('heading', { level: 1, name: L('casework.run.one', { month: '03.2025' }) }).waitFor();
  const [pain] = await Promise.all([ac.page.waitForEvent('download'),
    ac.page.getByRole('button', { name: L('casework.run.download') }).click()]);
  const xml = readFileSync(await pain.path(), 'utf8');
  assert.match(xml, /pain\.001/);
  assert.match(xml, /<InstdAmt Ccy="CHF">1008\.00<\/InstdAmt>/);
  assert.ok(xml.includes(IBAN), 'paid to the mother\'s account');
  await ac.page.getByText(L('casework.run.downloaded')).waitFor();
  await check(ac.page, 'ahj-run-exported');

  // The debtor pays CHF 3'600 in March by his QR reference (camt.054).
  await open(ac.page, '#/m/alimente/payments');
  await ac.page.getByLabel(L('casework.camt.file')).setInputFiles({ name: 'camt054.xml', mimeType: 'application/xml',
    buffer: Buffer.from(camt054(IBAN, [{ amount: 360000, cdi: 'CRDT', date: '2025-03-20', ref: reference, svc: `J${id}x${Date.now()}` }])) });
  await ac.page.getByRole('button', { name: L('casework.camt.send') }).click();
  await ac.page.getByText(L('casework.camt.summary', { entries: 1, matched: 1, unmatched: 0 })).waitFor();
  const taken = ac.page.getByRole('table', { name: L('money.camt.matched') }).getByRole('row', { name: new RegExp(reference) });
  await taken.getByRole('cell', { name: L('money.outcome.received_by', { module: L('module.alimente') }), exact: true }).waitFor();
  await ac.page.getByRole('table', { name: L('money.files.title') }).getByRole('row').nth(1).getByRole('cell', { name: '1', exact: true }).first().waitFor();
  await check(ac.page, 'ahj-camt');
  await ac.page.getByRole('link', { name: L('money.camt.open_file') }).click();
  await ac.page.waitForFunction(() => document.activeElement?.classList.contains('page-title'));
  await ac.page.getByRole('row', { name: new RegExp(reference) })
    .getByRole('cell', { name: L('money.outcome.received_by', { module: L('module.alimente') }), exact: true }).waitFor();
  await check(ac.page, 'ahj-bank-file');
  assertClean(ac.page);
  await ac.context.close();

  // The Inkasso tab: the payment split over January, February (arrears),
  // March (the mother's CHF 192 current, the community's CHF 1'008).
  await tab('alimente.section.collection');
  const receipts = page.getByRole('table', { name: L('alimente.collect.receipts') });
  const row = receipts.getByRole('row', { name: /^20\.03\.2025/ });
  await row.getByRole('cell', { name: "CHF 3'600.00", exact: true }).waitFor();
  await row.getByText(L('alimente.source.bank')).waitFor();
  const part = (p, month, amount) => row.getByText(L('alimente.collect.part', { part: L(`alimente.part.${p}`), name: `Noah ${last}`, month, amount }));
  await part('arrears', '01.2025', "CHF 1'200.00").waitFor();
  await part('arrears', '02.2025', "CHF 1'200.00").waitFor();
  await part('current', '03.2025', 'CHF 192.00').waitFor();
  await part('subrogated', '03.2025', "CHF 1'008.00").waitFor();
  await page.getByRole('table', { name: L('alimente.collect.recovery') }).locator('tfoot').getByRole('cell', { name: "CHF 1'008.00", exact: true }).first().waitFor();
  await check(page, 'ahj-collection');

  // Nothing more came: the missing month is on the work list.
  // (the server's today: its local date, as this process's on the same machine)
  const now = new Date();
  const [ty, tm, td] = [now.getFullYear(), now.getMonth() + 1, now.getDate()];
  const back = td <= 10 ? 2 : 1;
  const missing = ym(tm - back < 1 ? ty - 1 : ty, ((tm - back + 11) % 12) + 1);
  await open(page, '#/m/alimente');
  const wl = page.getByRole('table', { name: L('alimente.worklist.missing') });
  await wl.getByRole('row', { name: new RegExp(`${last} Mia`) }).getByRole('cell', { name: missing, exact: true }).waitFor();
  await check(page, 'ahj-worklist');

  // Enforcement: the request with its fee, the pension-fund report.
  await wl.getByRole('link', { name: `${last} Mia` }).click();
  await page.getByRole('table', { name: L('alimente.schedule.for', { name: `Noah ${last}` }) }).waitFor();
  await tab('alimente.section.enforcement');
  await page.getByLabel(L('alimente.enforce.amount')).fill("7'200");
  await page.getByLabel(L('alimente.enforce.office')).fill('Betreibungsamt Bern-Mittelland');
  await page.getByLabel(L('alimente.enforce.reference')).fill('25-1001');
  await page.getByLabel(L('alimente.enforce.started_on')).fill('01.07.2025');
  await page.getByRole('button', { name: L('alimente.enforce.start_submit') }).click();
  await page.getByText(L('alimente.enforce.started')).waitFor();
  await page.getByRole('button', { name: exact(L('alimente.enforce.add_step')) }).click();
  await page.locator('input[name=step_date]').fill('01.07.2025');
  await page.getByLabel(L('alimente.enforce.fee'), { exact: true }).fill('73.00');
  await page.getByRole('button', { name: L('alimente.enforce.step_submit'), exact: true }).click();
  await page.getByRole('rowheader', { name: L('alimente.step_kind.request') }).waitFor();
  await page.getByText(L('alimente.enforce.claimed', { amount: "CHF 7'200.00", fees: 'CHF 73.00' })).waitFor();
  await page.getByLabel(L('alimente.pension.reported_on')).fill('01.07.2025');
  await page.getByRole('button', { name: L('alimente.pension.submit'), exact: true }).click();
  await page.getByText(L('alimente.pension.reported')).waitFor();
  await page.getByRole('rowheader', { name: 'Pensionskasse Bau' }).waitFor();
  await page.getByText(L('alimente.pension.missing', { n: 4 })).waitFor();
  await check(page, 'ahj-enforcement');

  // The end: uncollectable, with its reason; then the final statement.
  await step('closed', async () => {
    await page.getByRole('combobox', { name: L('casework.transition.closure_reason') }).selectOption({ label: L('alimente.closure.uncollectable') });
    await page.getByLabel(L('casework.transition.reason')).fill('Verlustschein');
  });
  await page.getByRole('cell', { name: `${L('alimente.closure.uncollectable')} – Verlustschein` }).waitFor();
  await page.getByRole('cell', { name: L('dossier.reason.enforcement_started'), exact: true }).waitFor();
  await check(page, 'ahj-closed');
  await tab('alimente.section.enforcement');
  const [fin] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L('alimente.enforce.statement_pdf') }).click()]);
  const lines = pdfLines(await fin.path());
  assert.ok(lines.some((l) => l.startsWith('Schlussabrechnung')), lines.join('\n'));
  assert.ok(lines.includes("Vom Schuldner bezahlt | CHF 3'600.00"), lines.join('\n'));
  assert.ok(lines.includes("Von der Gemeinde bevorschusst | CHF 1'008.00"), lines.join('\n'));
  assert.ok(lines.includes('Total Betreibungskosten | CHF 73.00'), lines.join('\n'));
  await page.getByText(L('alimente.enforce.statement_saved')).waitFor();
  assertClean(page);
  await cw.context.close();

  // In French (the case worker switches): every tab of the same dossier, its words from fr.json.
  const F = (k, p) => tx('fr', k, p);
  const fr = await person(svc, 'caseworker', 'fr-CH');
  const fp = fr.page;
  const ftabs = fp.getByRole('navigation', { name: F('casework.case.sections') });
  await fp.getByRole('button', { name: 'Français' }).click();
  await open(fp, `#/m/alimente/cases/${id}`);
  await fp.getByRole('group', { name: F('casework.case.overview') }).getByText(F('alimente.state.closed'), { exact: true }).waitFor();
  await fp.getByRole('cell', { name: `${F('alimente.closure.uncollectable')} – Verlustschein` }).waitFor();
  await fp.getByRole('cell', { name: F('dossier.reason.enforcement_started'), exact: true }).waitFor();
  await check(fp, 'ahj-dossier-fr');
  const ftab = async (k, wait, name) => {
    await ftabs.getByRole('link', { name: F(k), exact: true }).click();
    await wait.waitFor();
    await check(fp, `ahj-${name}-fr`);
  };
  await ftab('alimente.section.checklist', fp.getByRole('rowheader', { name: exact(F('alimente.doc.debtor_address')) }), 'checklist');
  await ftab('alimente.section.title', fp.getByText(F('alimente.title.heading')).first(), 'title');
  await ftab('alimente.section.schedule', fp.getByRole('table', { name: F('alimente.schedule.for', { name: `Noah ${last}` }) }), 'schedule');
  await ftab('alimente.section.advances', fp.getByRole('table', { name: F('alimente.section.advances') })
    .getByText(F('alimente.astatus.approved'), { exact: true }), 'advances');
  await fp.getByRole('table', { name: F('alimente.section.advances') }).getByRole('cell', { name: exact("CHF 1'008.00") }).waitFor();
  await ftab('alimente.section.collection', fp.getByRole('table', { name: F('alimente.collect.receipts') })
    .getByText(F('alimente.collect.part', { part: F('alimente.part.subrogated'), name: `Noah ${last}`, month: '03.2025', amount: "CHF 1'008.00" })), 'collection');
  await ftab('alimente.section.enforcement', fp.getByRole('rowheader', { name: F('alimente.step_kind.request') }), 'enforcement');
  await fp.getByText(F('alimente.enforce.claimed', { amount: "CHF 7'200.00", fees: 'CHF 73.00' })).waitFor();
  await fp.getByRole('rowheader', { name: 'Pensionskasse Bau' }).waitFor();
  const [ffin] = await Promise.all([fp.waitForEvent('download'), fp.getByRole('button', { name: F('alimente.enforce.statement_pdf') }).click()]);
  assert.ok(pdfLines(await ffin.path()).includes("Avancé par la commune | CHF 1'008.00"));
  // Closed, nothing is due any more: the advance's yearly re-check is done.
  const recheck = fp.getByRole('table', { name: F('casework.section.deadlines') }).getByRole('row', { name: new RegExp(F('alimente.dkind.ah_recheck')) });
  await ftab('casework.section.deadlines', recheck.getByRole('button', { name: exact(F('casework.deadline.reopen')) }), 'deadlines');
  assertClean(fp);
  await fr.context.close();
});
