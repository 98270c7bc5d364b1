// The dossier workflow in the browser (issue 10: findings 3, 4, 5, 7, 8,
// 12): a decision approval in the wrong state is refused and the right one
// says what happened, with confirmation and revocation; two people on the
// same checklist keep both their entries; the team lead's approvals,
// assignment, the quick search, the transfer screen with the choice of
// documents, and the receiving service's work list; the tenant admin's
// teams (in French). Each screen is checked with axe, no console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, open, check, assertClean, apiLogin, api, uniq, tx,
} from './lib.mjs';

const L = (k, p) => tx('de', k, p);
const exact = (s) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
const DOCS = ['id', 'rent_contract', 'income_proof', 'bank_statements', 'health_insurance'];
const BUDGET = { valid_from: '2026-01-01', rent: 140000, kvg_premium: 38000, assets: 100000 };

let browser, cw, tl, rec;
before(async () => {
  browser = await launch();
  cw = await apiLogin('thun', 'caseworker');
  tl = await apiLogin('thun', 'teamlead');
  rec = await apiLogin('thun', 'reception');
});
after(async () => { await browser?.close(); });

const must = (r, status) => { assert.equal(r.status, status, JSON.stringify(r.json)); return r.json; };
/** A write with If-Match taken from a GET of read. */
async function write(s, method, p, body, read = p) {
  const g = await api(s, 'GET', read);
  return api(s, method, p, body, { 'if-match': g.etag });
}

/** A Thun dossier made through the API, registered by `by` (with or without a case worker). */
async function dossier(by = cw, extra = {}) {
  const last = `Wf${uniq('w').replace(/[^a-z0-9]/g, '')}`;
  const p = must(await api(by, 'POST', '/api/v1/persons', { last_name: last, first_name: 'Eva', birth_date: '1981-04-04' }), 201);
  const h = must(await api(by, 'POST', '/api/v1/households', { name: `Haushalt ${last}`, members: [{ person_id: p.id, role: 'applicant', valid_from: '2025-01-01' }] }), 201);
  const d = must(await api(by, 'POST', '/api/v1/cases', { household_id: h.id, applicant_id: p.id, municipality_bfs: 942, ...extra }), 201);
  return { ...d, last };
}

test('a decision is not approved during intake; in the decision step the message says support starts; revoking frees the budget', async () => {
  const x = await dossier(cw, { caseworker_id: cw.me.user.id });
  must(await write(cw, 'POST', `/api/v1/cases/${x.id}/transitions`, { to: 'intake' }, `/api/v1/cases/${x.id}`), 200);
  const b = must(await api(cw, 'POST', `/api/v1/cases/${x.id}/budgets`, BUDGET), 201);
  must(await write(tl, 'POST', `/api/v1/budgets/${b.id}/approve`, undefined, `/api/v1/budgets/${b.id}`), 200);
  must(await api(cw, 'POST', `/api/v1/cases/${x.id}/decisions`, { budget_id: b.id }), 201);

  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'teamlead');
  await open(page, `#/m/sozialhilfe/cases/${x.id}/decisions`);
  // Approving asks first; in intake the answer is a refusal that says why.
  await page.getByRole('button', { name: L('decision.approve') }).click();
  await page.getByText(L('dossier.decision.approve_q')).waitFor();
  await page.getByRole('button', { name: L('dossier.approve_yes') }).click();
  await page.getByText(L('error.dossier_not_ready')).waitFor();
  await check(page, 'dossier-approve-refused');
  // No second decision can be drafted on the same budget.
  await page.getByText(L('dossier.decision.needs_budget')).waitFor();
  assert.equal(await page.getByText(L('dossier.decision.support_started')).count(), 0);
  const still = must(await api(cw, 'GET', `/api/v1/cases/${x.id}`), 200);
  assert.equal(still.state, 'intake', 'nothing started');

  // The intake is done, the dossier in the decision step: now it is approved.
  must(await write(cw, 'PUT', `/api/v1/cases/${x.id}/checklist`, { items: DOCS.map((code) => ({ code, received_on: '2026-01-05' })) }), 200);
  must(await write(cw, 'POST', `/api/v1/cases/${x.id}/transitions`, { to: 'decision' }, `/api/v1/cases/${x.id}`), 200);
  await page.reload();
  await page.getByRole('button', { name: L('decision.approve') }).click();
  await page.getByRole('button', { name: L('dossier.approve_yes') }).click();
  await page.getByText(L('dossier.decision.support_started')).waitFor();
  await page.getByText(L('state.ongoing')).first().waitFor();

  // Revoking an approved decision: with a reason, and the budget is free again.
  await page.getByRole('button', { name: exact(L('dossier.decision.revoke')) }).click();
  await page.getByRole('button', { name: L('dossier.decision.revoke_yes') }).click();
  await page.getByText(L('form.missing')).waitFor();
  await page.getByRole('textbox', { name: L('dossier.decision.revoke_reason') }).fill('Einkommen übersehen');
  await page.getByRole('button', { name: L('dossier.decision.revoke_yes') }).click();
  await page.getByText(L('dossier.decision.revoked_note')).waitFor();
  await page.getByText(/Einkommen übersehen/).waitFor();
  await page.getByRole('button', { name: L('decision.draft') }).waitFor();
  await check(page, 'dossier-decision-revoked');
  assertClean(page);
  await context.close();
});

test('two people on the same checklist: the second sees what the first saved and keeps the typed input', async () => {
  const x = await dossier(cw, { caseworker_id: cw.me.user.id });
  const a = await newPage(browser);
  const b = await newPage(browser);
  await login(a.page, 'thun', 'caseworker');
  await login(b.page, 'thun', 'teamlead');
  await open(a.page, `#/m/sozialhilfe/cases/${x.id}/checklist`);
  await open(b.page, `#/m/sozialhilfe/cases/${x.id}/checklist`);
  const note = (pg, code) => pg.getByRole('textbox', { name: L('checklist.note_for', { doc: L(`doc.${code}`) }) });
  await note(a.page, 'id').fill('Pass liegt vor');
  await a.page.getByRole('button', { name: L('checklist.save') }).click();
  await a.page.getByText(L('form.saved')).waitFor();
  // The second person typed a remark on another document meanwhile.
  await note(b.page, 'rent_contract').fill('Vertrag bis 2027');
  await b.page.getByRole('button', { name: L('checklist.save') }).click();
  const panel = b.page.locator('.conflict');
  await panel.waitFor();
  const row = (label) => panel.locator('tbody tr', { has: b.page.locator('th', { hasText: label }) }).locator('td').allTextContents();
  assert.deepEqual(await row(L('checklist.note_for', { doc: L('doc.id') })), ['–', 'Pass liegt vor', L('conflict.unchanged')]);
  assert.deepEqual(await row(L('checklist.note_for', { doc: L('doc.rent_contract') })), ['–', '–', 'Vertrag bis 2027']);
  assert.equal(await note(b.page, 'rent_contract').inputValue(), 'Vertrag bis 2027', 'the typed input stays');
  await check(b.page, 'dossier-checklist-conflict');
  await b.page.getByRole('button', { name: L('conflict.reapply') }).click();
  await panel.waitFor({ state: 'detached' });
  assert.equal(await note(b.page, 'id').inputValue(), 'Pass liegt vor', "the other's remark is now in the form");
  await b.page.getByRole('button', { name: L('checklist.save') }).click();
  await b.page.getByText(L('form.saved')).waitFor();
  const now = must(await api(cw, 'GET', `/api/v1/cases/${x.id}/checklist`), 200);
  assert.deepEqual(['id', 'rent_contract'].map((c) => now.items.find((i) => i.code === c)?.note), ['Pass liegt vor', 'Vertrag bis 2027'], 'nothing lost');
  assertClean(a.page);
  assertClean(b.page);
  await a.context.close();
  await b.context.close();
});

test('team lead: what waits for approval, assigning, the quick search, the transfer; the receiver finds it unassigned', async () => {
  // Reception registers without a case worker; the case worker drafts a budget.
  const x = await dossier(rec);
  assert.equal(x.caseworker, null);
  must(await api(cw, 'POST', `/api/v1/cases/${x.id}/budgets`, BUDGET), 201);
  const doc = await fetch(`${process.env.KASUS_URL}/api/v1/cases/${x.id}/documents?category=rent_contract&title=Mietvertrag`, {
    method: 'POST', body: Buffer.from('%PDF-1.4\n%%EOF\n'),
    headers: { cookie: `ks_session=${cw.cookie}`, 'x-csrf-token': cw.csrf, 'content-type': 'application/octet-stream' },
  });
  assert.equal(doc.status, 201);

  // Reception, who files mail, sees what the dossier holds but opens nothing.
  const rc = await newPage(browser);
  await login(rc.page, 'thun', 'reception');
  await open(rc.page, `#/m/sozialhilfe/cases/${x.id}/documents`);
  await rc.page.getByRole('cell', { name: 'Mietvertrag' }).first().waitFor();
  await rc.page.getByRole('region', { name: L('doc.upload') }).waitFor();
  assert.equal(await rc.page.getByRole('button', { name: new RegExp(`^${L('doc.download')}`) }).count(), 0);
  assertClean(rc.page);
  await rc.context.close();

  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'teamlead');
  await page.getByRole('list', { name: L('nav.modules') }).getByRole('link', { name: L('module.sozialhilfe') }).click();
  await page.getByRole('heading', { level: 1, name: L('worklist.title') }).waitFor();
  // Unassigned: in the team lead's work list, with its number.
  const un = page.getByRole('region', { name: new RegExp(`^${L('dossier.unassigned.title')}`) });
  await un.getByRole('row', { name: new RegExp(x.number) }).waitFor();
  await page.getByRole('link', { name: L('dossier.approvals.open') }).click();
  await page.getByRole('heading', { level: 1, name: L('dossier.approvals.title') }).waitFor();
  const row = page.getByRole('region', { name: new RegExp(`^${L('dossier.approvals.budgets')}`) }).getByRole('row', { name: new RegExp(x.number) });
  await row.waitFor();
  await check(page, 'dossier-approvals');

  // The quick search in the top bar finds the dossier by its number.
  const qs = page.getByRole('search', { name: L('dossier.quick.label') });
  await qs.getByRole('searchbox', { name: L('dossier.quick.label') }).fill(x.number);
  await qs.getByRole('link', { name: new RegExp(x.number) }).waitFor();
  await check(page, 'dossier-quick-search');
  await qs.getByRole('searchbox', { name: L('dossier.quick.label') }).press('Enter');
  await page.waitForFunction((id) => location.hash.endsWith(`/cases/${id}`), x.id);
  await page.getByRole('heading', { level: 1, name: new RegExp(x.number) }).waitFor();

  // Assign it to the case worker.
  const resp = page.getByRole('region', { name: L('case.responsibility') });
  await resp.getByRole('combobox', { name: L('case.caseworker') }).selectOption({ label: cw.me.user.display_name });
  await resp.getByRole('button', { name: L('form.save') }).click();
  await page.getByText(L('dossier.assigned_to', { name: cw.me.user.display_name })).waitFor();
  const wl = must(await api(cw, 'GET', '/api/v1/worklist'), 200);
  assert.ok(wl.newly_assigned.some((d) => d.id === x.id), 'new in the case worker\'s list');

  // The transfer screen: where to, which documents; it asks first.
  await page.getByRole('navigation', { name: L('case.sections') }).getByRole('link', { name: L('section.transfer') }).click();
  await page.getByRole('heading', { name: L('dossier.transfer.title') }).waitFor();
  await page.getByRole('combobox', { name: L('dossier.transfer.to') }).selectOption({ label: 'Regionaler Sozialdienst Oberes Emmental' });
  await page.getByRole('combobox', { name: L('dossier.transfer.municipality') }).selectOption({ label: 'Langnau im Emmental' });
  await page.getByRole('checkbox', { name: /Mietvertrag/ }).check();
  await check(page, 'dossier-transfer');
  await page.getByRole('button', { name: L('dossier.transfer.submit') }).click();
  await page.getByText(L('dossier.transfer.question', { service: 'Regionaler Sozialdienst Oberes Emmental', n: 1 })).waitFor();
  await page.getByRole('button', { name: L('dossier.transfer.yes') }).click();
  const done = page.getByText(new RegExp(L('dossier.transfer.done', { service: 'Regionaler Sozialdienst Oberes Emmental', number: 'NUM' }).split('NUM')[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await done.waitFor();
  const closed = must(await api(cw, 'GET', `/api/v1/cases/${x.id}`), 200);
  assert.equal(closed.state, 'closed');
  assert.equal(closed.closure_reason, 'moved');
  // The closing reason shows after closing.
  await page.getByRole('navigation', { name: L('case.sections') }).getByRole('link', { name: L('section.overview') }).click();
  await page.getByRole('group', { name: L('case.overview') }).getByText(L('closure.moved')).waitFor();
  assertClean(page);
  await context.close();

  // The receiving service: in its team lead's work list, nobody assigned yet.
  const oe = await newPage(browser);
  await login(oe.page, 'oberes-emmental', 'teamlead');
  await open(oe.page, '#/m/sozialhilfe');
  const arrived = oe.page.getByRole('region', { name: new RegExp(`^${L('dossier.unassigned.title')}`) })
    .getByRole('row', { name: new RegExp(x.last) });
  await arrived.waitFor();
  await arrived.getByText(L('dossier.arrived_from', { from: 'thun' })).waitFor();
  await check(oe.page, 'dossier-arrived');
  assertClean(oe.page);
  await oe.context.close();
});

test('équipes : l\'administration crée, renomme et remplit une équipe (Bienne, en français)', async () => {
  const F = (k, p) => tx('fr', k, p);
  const name = `Accueil ${uniq('e').slice(-6)}`;
  const adm = await apiLogin('biel', 'admin');
  const who = `Nadia ${uniq('n').slice(-6)}`;
  must(await api(adm, 'POST', '/api/v1/admin/users', { username: uniq('u'), display_name: who, password: 'long-enough-1', roles: ['caseworker'], language: 'fr' }), 201);
  const { context, page } = await newPage(browser, { locale: 'fr-CH' });
  await login(page, 'biel', 'admin');
  await page.getByRole('navigation', { name: F('nav.main') }).getByRole('link', { name: F('nav.teams') }).click();
  await page.getByRole('heading', { level: 1, name: F('teams.title') }).waitFor();
  await page.getByRole('textbox', { name: exact(F('teams.name')) }).fill(name);
  await page.getByRole('button', { name: F('teams.create') }).click();
  await page.getByText(F('teams.created')).waitFor();
  await page.getByRole('textbox', { name: exact(F('teams.name')) }).fill(`${name} Nord`);
  await page.getByRole('button', { name: F('form.save') }).click();
  await page.getByText(F('teams.renamed')).waitFor();
  await page.getByRole('heading', { level: 1, name: F('teams.one', { name: `${name} Nord` }) }).waitFor();
  await page.getByRole('combobox', { name: F('teams.add_member') }).selectOption({ label: who });
  await page.getByRole('button', { name: F('teams.add') }).click();
  await page.getByText(F('teams.member_added', { name: who })).waitFor();
  await page.getByRole('table', { name: F('teams.members') }).getByRole('row', { name: new RegExp(who) }).waitFor();
  await check(page, 'teams-fr');
  assertClean(page);
  await context.close();
});
