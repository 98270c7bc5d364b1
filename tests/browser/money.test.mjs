// Sozialhilfe money in the browser. In German (thun): a decision takes
// effect after the month's run was approved and while the next one is a
// draft; accounting recomputes the draft and finds the back payment
// (Nachzahlung) as its own line, with the month it is for; the team lead
// approves the run after the browser asked. A case worker proposes a
// one-off payment, the team lead approves it from the waiting list (asked
// first). A recovery claim with its instalment plan on the client account,
// a repayment booked by accounting. camt.054: a file for another account
// is refused with its account named; a transaction without its reference
// is matched by hand to its payment (keyboard: Escape closes the panel).
// In French (biel): a draft is recomputed and discarded (asked first).
// Every screen passes axe, no console errors; every money error code of
// the module has its German and French message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  launch, newPage, login, open, check, assertClean, apiLogin, api, expectFocused, catalog, ROOT, BASE,
} from './lib.mjs';
import { sql, DB_OWNER, tenantId, camt054, call, jobOf } from '../api/lib.mjs';
import { makeDossier, userId, iban } from '../api/money-lib.mjs';

const MSG = { de: catalog('de'), fr: catalog('fr') };
/** The text of a message key, {params} filled (a param left out stays a placeholder). */
const tx = (lang, key, params = {}) => {
  assert.ok(key in MSG[lang], `no message ${key}`);
  return MSG[lang][key].replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
};
/** A message up to its first placeholder: what a locator can match on. */
const head = (lang, key) => tx(lang, key).split('{')[0].trim();
const R = '/api/v1/payment-runs';
const monthText = (m) => `${m.slice(5, 7)}.${m.slice(0, 4)}`;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A year in which the tenant has no payment run yet (2070-2089). */
function freeYear(tenant) {
  return Number(sql(DB_OWNER, `select y from generate_series(2070, 2089) y where not exists (select 1 from payment_run
    where tenant_id = ${tenant} and extract(year from month) = y) order by random() limit 1`));
}

/** A run made by its job, as GET shows it. */
async function createRun(s, month) {
  const j = await jobOf(await call('POST', R, { session: s, body: { month } }), s);
  return (await api(s, 'GET', `${R}/${j.result.run}`)).json;
}

test('every money error code and audit event of the module and the core has its text in German and French', () => {
  const keys = new Set();
  for (const f of ['modules/sozialhilfe/sh_payment.c', 'modules/sozialhilfe/sh_run.c',
    'modules/sozialhilfe/sh_pay.h', 'core/casework/money/payrun.c', 'core/casework/money/ledger.c',
    'core/casework/money/account.c', 'core/casework/money/bank.c', 'core/casework/money/claim.c',
    'core/casework/money/money.h']) {
    const src = readFileSync(path.join(ROOT, f), 'utf8');
    for (const m of src.matchAll(/(?:fail(?:_detail)?\(\s*req,\s*\d{3},\s*|bad_field\(\s*req,\s*)"([a-z_]+)"/g)) keys.add(`error.${m[1]}`);
    for (const m of src.matchAll(/audit\(req,\s*"([a-z_]+)",\s*"([a-z_]+)"/g)) { keys.add(`audit.act.${m[1]}`); keys.add(`audit.obj.${m[2]}`); }
  }
  assert.ok(keys.size >= 35, [...keys].join(' '));
  for (const lang of ['de', 'fr']) {
    const missing = [...keys].filter((k) => !(k in MSG[lang])).sort();
    assert.deepEqual(missing, [], `${lang}: codes without a text`);
  }
});

test('Nachzahlung, one-off payment, claim with instalments, camt.054 matched by hand (thun, German)', async () => {
  const L = (k, p) => tx('de', k, p);
  const thun = Number(tenantId('thun'));
  const y = freeYear(thun);
  const M1 = `${y}-03`, M2 = `${y}-04`;
  const acc = await apiLogin('thun', 'accounting');
  const lead = await apiLogin('thun', 'teamlead');
  const last = `Nachzahl${Date.now().toString(36)}`;
  // A dossier waiting for its decision, its budget from March on; March's
  // run is approved without it, April's is a draft made before it.
  const D = makeDossier(thun, userId('thun', 'caseworker'), { last, first: 'Lina', state: 'decision', budgets: [{ from: `${M1}-01`, payment: 123457 }] });
  makeDossier(thun, userId('thun', 'caseworker'), { last: `Regulär${last}`, budgets: [{ from: `${M1}-01`, payment: 10000 }] });
  const mar = await createRun(acc, M1);
  const ap = await api(lead, 'POST', `${R}/${mar.id}/approve`, undefined, { 'if-match': `"${mar.version}"` });
  assert.equal(ap.status, 200, JSON.stringify(ap.json));
  const apr = await createRun(acc, M2);
  // The decision takes effect (the decision itself is the dossier tests' subject).
  sql(DB_OWNER, `update dossier set state = 'ongoing' where id = ${D.id}`);

  const a = await newPage(browser);
  const tl = await newPage(browser);
  const cw = await newPage(browser);
  await login(a.page, 'thun', 'accounting');
  await open(a.page, `#/m/sozialhilfe/payments/${apr.id}`);
  await a.page.getByText(head('de', 'money.run.draft_hint')).waitFor();
  // Only the back payments: none for the dossier yet.
  const show = a.page.getByRole('combobox', { name: L('money.run.show') });
  await Promise.all([a.page.waitForResponse((r) => r.url().includes('kind=back_payment')), show.selectOption('back_payment')]);
  const row = a.page.locator('tbody tr', { hasText: `Lina ${last}` });
  await a.page.waitForTimeout(200);
  assert.equal(await row.count(), 0, 'no back payment before the recompute');
  // Recomputed: March's support is paid as back payment in April's run.
  await a.page.getByRole('button', { name: L('money.run.recompute') }).click();
  await a.page.getByText(L('money.run.recomputed')).waitFor();
  await row.waitFor();
  assert.deepEqual((await row.locator('td').allTextContents()).slice(1, 4),
    [L('sozialhilfe.pkind.back_payment'), monthText(M1), `Nachzahlung Sozialhilfe ${M1}`]);
  await check(a.page, 'money-run-back-payment');

  // The team lead approves April's run after the browser asked.
  await login(tl.page, 'thun', 'teamlead');
  await open(tl.page, `#/m/sozialhilfe/payments/${apr.id}`);
  await tl.page.getByRole('button', { name: L('casework.run.approve') }).click();
  const q = tl.page.getByRole('group', { name: L('casework.run.approve') });
  await q.getByText(head('de', 'money.run.approve_q')).waitFor();
  await expectFocused(q.getByRole('button', { name: L('money.run.approve_yes') }), 'the confirmation takes the focus');
  await check(tl.page, 'money-run-approve-asked');
  await q.getByRole('button', { name: L('money.run.approve_yes') }).click();
  await tl.page.getByText(L('casework.run.approved')).waitFor();

  // One-off payment: proposed on the client account, approved from the waiting list.
  await login(cw.page, 'thun', 'caseworker');
  await open(cw.page, `#/m/sozialhilfe/cases/${D.id}/account`);
  const oneoffs = cw.page.getByRole('region', { name: L('money.oneoff.title') });
  await oneoffs.getByRole('textbox', { name: new RegExp(`^${L('sozialhilfe.budget.amount')}`) }).fill('350.00');
  await oneoffs.getByRole('textbox', { name: new RegExp(`^${L('money.oneoff.text')}`) }).fill('Brille');
  await oneoffs.getByRole('button', { name: L('money.oneoff.propose') }).click();
  await cw.page.getByText(L('money.oneoff.proposed')).waitFor();
  await open(tl.page, '#/m/sozialhilfe/payments');
  const waiting = tl.page.getByRole('region', { name: L('money.oneoff.waiting') }).locator('tbody tr', { hasText: `${last} Lina` });
  await waiting.getByRole('button', { name: new RegExp(`^${L('money.oneoff.approve')}`) }).click();
  await waiting.getByText(L('money.oneoff.approve_q', { amount: "CHF 350.00", client: `${last} Lina`, text: 'Brille' })).waitFor();
  await check(tl.page, 'money-oneoff-approve-asked');
  await waiting.getByRole('button', { name: L('money.oneoff.approve_yes') }).click();
  await tl.page.getByText(L('money.oneoff.approved', { client: `${last} Lina`, amount: 'CHF 350.00' })).waitFor();

  // A claim with its instalment plan, on the client account.
  const claims = cw.page.getByRole('region', { name: L('money.claim.title') });
  await claims.getByRole('textbox', { name: new RegExp(`^${L('money.claim.amount')}`) }).fill('600.00');
  await claims.getByRole('textbox', { name: new RegExp(`^${L('money.claim.instalment')}`) }).fill('200.00');
  await claims.getByRole('textbox', { name: new RegExp(`^${L('money.claim.first_due')}`) }).fill('31.01.2020');
  await claims.getByRole('textbox', { name: L('money.claim.reason') }).fill('Doppelt ausbezahlte Miete');
  await claims.getByRole('button', { name: L('money.claim.create') }).click();
  await cw.page.getByText(head('de', 'money.claim.created')).waitFor();
  const schedule = cw.page.getByRole('table', { name: new RegExp(`^${head('de', 'money.claim.schedule')}`) });
  await schedule.waitFor();
  assert.deepEqual(await schedule.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.lastElementChild.textContent)),
    [L('money.istate.overdue'), L('money.istate.overdue'), L('money.istate.overdue')]);
  await claims.getByText(L('money.claim.overdue', { amount: 'CHF 600.00' })).waitFor();
  await check(cw.page, 'money-claim-plan');
  // Accounting books a repayment; the plan shows what is paid.
  await open(a.page, `#/m/sozialhilfe/cases/${D.id}/account`);
  await a.page.getByRole('button', { name: new RegExp(`^${L('money.claim.show_plan')}`) }).click();
  await a.page.getByRole('textbox', { name: new RegExp(`^${L('money.claim.repayment_amount')}`) }).fill('250.00');
  await a.page.getByRole('button', { name: L('money.claim.book') }).click();
  await a.page.getByText(L('money.claim.repaid', { amount: 'CHF 250.00' })).waitFor();
  const sched2 = a.page.getByRole('table', { name: new RegExp(`^${head('de', 'money.claim.schedule')}`) });
  await sched2.locator('tbody tr').first().getByText(L('money.istate.paid')).waitFor();
  assert.deepEqual(await sched2.locator('tbody tr').evaluateAll((rs) => rs.map((r) => r.lastElementChild.textContent)),
    [L('money.istate.paid'), L('money.istate.overdue'), L('money.istate.overdue')]);
  await check(a.page, 'money-claim-repaid');
  // Escape closes the plan; the focus goes back to its button.
  await a.page.getByRole('button', { name: L('money.claim.book') }).focus();
  await a.page.keyboard.press('Escape');
  await sched2.waitFor({ state: 'detached' });
  await expectFocused(a.page.getByRole('button', { name: new RegExp(`^${L('money.claim.show_plan')}`) }), 'focus returns to the plan button');

  // camt.054: another account's file is refused, naming the account.
  await jobOf(await call('POST', `${R}/${apr.id}/export`, { session: acc }), acc);
  const pain = await fetch(`${BASE}${R}/${apr.id}/pain001`, { headers: { cookie: `ks_session=${acc.cookie}` } });
  assert.equal(pain.status, 200);
  await pain.text();
  await open(a.page, '#/m/sozialhilfe/payments');
  const foreign = 'CH2909000000250094239';
  await a.page.getByLabel(L('casework.camt.file')).setInputFiles({ name: 'fremd.xml', mimeType: 'application/xml', buffer: Buffer.from(camt054(foreign, [{ amount: 100, svc: `f${Date.now()}` }])) });
  await a.page.getByRole('button', { name: L('casework.camt.send') }).click();
  await a.page.getByRole('alert').getByText(head('de', 'error.foreign_account')).waitFor();
  assert.match(await a.page.getByRole('alert').first().textContent(), new RegExp(foreign));
  // The bank lost April's reference: the transaction is matched by hand.
  const lines = (await api(acc, 'GET', `${R}/${apr.id}?kind=support&limit=500`)).json.lines;
  const mine = lines.find((l) => l.dossier_id === D.id);
  await a.page.getByLabel(L('casework.camt.file')).setInputFiles({ name: 'camt054.xml', mimeType: 'application/xml',
    buffer: Buffer.from(camt054('CH9300762011623852957', [{ amount: mine.amount, svc: `h${Date.now()}` }])) });
  await a.page.getByRole('button', { name: L('casework.camt.send') }).click();
  await a.page.getByText(L('casework.camt.summary', { entries: 1, matched: 0, unmatched: 1 })).waitFor();
  await a.page.getByRole('link', { name: L('money.camt.open_file') }).click();
  await a.page.waitForFunction(() => document.activeElement?.classList.contains('page-title'));
  const toggle = a.page.getByRole('button', { name: new RegExp(`^${L('money.camt.match_by_hand')}`) });
  // By keyboard: the panel opens with Enter and closes with Escape.
  await toggle.focus();
  await a.page.keyboard.press('Enter');
  const panel = a.page.getByRole('group', { name: new RegExp(`^${head('de', 'money.camt.candidates')}`) });
  await panel.waitFor();
  // The panel takes the focus when it opens; Escape is its key from then.
  await a.page.waitForFunction(() => document.activeElement?.closest('.match-panel') != null);
  await a.page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  await expectFocused(toggle, 'focus returns to the button');
  await toggle.click();
  const cand = panel.locator('li', { hasText: `(${monthText(M2)})` }).filter({ hasText: `Lina ${last}` });
  await cand.getByRole('button', { name: new RegExp(`^${L('money.camt.match_this')}`) }).click();
  await check(a.page, 'money-match-asked');
  await cand.getByRole('button', { name: L('money.camt.match_yes') }).click();
  await a.page.getByText(L('money.camt.matched_done', { name: `Lina ${last}` })).waitFor();
  await a.page.getByText(head('de', 'money.camt.matched_by')).first().waitFor();
  await check(a.page, 'money-bank-file');
  const booked = (await api(acc, 'GET', `${R}/${apr.id}?kind=support&limit=500`)).json.lines.find((l) => l.id === mine.id);
  assert.equal(booked.status, 'booked');
  for (const x of [a, tl, cw]) { assertClean(x.page); await x.context.close(); }
});

test('Ordre de paiement recalculé puis abandonné après confirmation (biel, français)', async () => {
  const L = (k, p) => tx('fr', k, p);
  const biel = Number(tenantId('biel'));
  const y = freeYear(biel);
  const acc = await apiLogin('biel', 'accounting');
  makeDossier(biel, userId('biel', 'caseworker'), { last: `Rétro${Date.now().toString(36)}`, iban: iban(), budgets: [{ from: `${y}-05-01`, payment: 98700 }] });
  const run = await createRun(acc, `${y}-05`);
  const { page, context } = await newPage(browser, { locale: 'fr-CH' });
  await login(page, 'biel', 'accounting');
  await open(page, `#/m/sozialhilfe/payments/${run.id}`);
  await page.getByRole('heading', { level: 1, name: L('casework.run.one', { month: monthText(`${y}-05`) }) }).waitFor();
  await page.getByRole('button', { name: L('money.run.recompute') }).click();
  await page.getByText(L('money.run.recomputed')).waitFor();
  await page.getByRole('button', { name: L('money.run.discard') }).click();
  await page.getByText(L('money.run.discard_q', { month: monthText(`${y}-05`) })).waitFor();
  await check(page, 'money-run-discard-asked-fr');
  await page.getByRole('button', { name: L('money.run.discard_yes') }).click();
  await page.getByText(L('money.run.discarded')).waitFor();
  await page.getByRole('region', { name: L('money.files.title') }).waitFor();
  await check(page, 'money-payments-fr');
  assert.equal((await api(acc, 'GET', `${R}/${run.id}`)).status, 404);
  assertClean(page);
  await context.close();
});
