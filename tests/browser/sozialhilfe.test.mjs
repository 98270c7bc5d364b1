// The Sozialhilfe path in the browser, in German (thun) and French (biel):
// person and household registration, the dossier with checklist, state
// transitions, budget with live preview, four-eyes approvals, decision PDF,
// documents by drag and drop, the payment run with pain.001 download and
// the camt.054 upload; who sees which actions; the keyboard path through
// the registration with the duplicate warning; the 409 conflict panel.
// Texts come from the message files, so both languages run the same steps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, newPage, login, open, check, axe, shot, assertClean, apiLogin, api, uniq, tabTo, tx, exact, newAhv,
} from './lib.mjs';

const ACCOUNTS = {
  thun: { name: 'Sozialdienst Thun', iban: 'CH9300762011623852957', street: 'Hofstettenstrasse', house_no: '14', postcode: '3602', town: 'Thun', country: 'CH' },
  biel: { name: 'Services sociaux Bienne', iban: 'CH5800791123000889012', town: 'Biel/Bienne', postcode: '2502', country: 'CH' },
};
// A valid IBAN for the clients (the usual Swiss example IBAN).
const CLIENT_IBAN = 'CH56 0483 5012 3456 7800 9';

let browser;
before(async () => {
  browser = await launch();
  for (const slug of ['thun', 'biel']) {
    const adm = await apiLogin(slug, 'admin');
    const cur = await api(adm, 'GET', '/api/v1/payment-account');
    const h = cur.status === 200 ? { 'if-match': cur.etag } : {};
    const r = await api(adm, 'PUT', '/api/v1/payment-account', ACCOUNTS[slug], h);
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
});
after(async () => { await browser?.close(); });

const chf = (r) => `${Math.floor(r / 100)}.${String(r % 100).padStart(2, '0')}`;
/** A camt.054.001.08 notification: tx = [{e2e, amount}] debits on account. */
function camt054(account, txs) {
  const ntry = txs.map((x, i) => `
    <Ntry>
      <Amt Ccy="CHF">${chf(x.amount)}</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>false</RvslInd>
      <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2040-01-02</Dt></BookgDt><ValDt><Dt>2040-01-02</Dt></ValDt>
      <AcctSvcrRef>W${Date.now()}${i}</AcctSvcrRef>
      <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
      <NtryDtls><TxDtls>
        <Refs><AcctSvcrRef>X${Date.now()}${i}</AcctSvcrRef><EndToEndId>${x.e2e}</EndToEndId></Refs>
        <Amt Ccy="CHF">${chf(x.amount)}</Amt><CdtDbtInd>DBIT</CdtDbtInd>
      </TxDtls></NtryDtls>
    </Ntry>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>M${Date.now()}</MsgId><CreDtTm>2040-01-02T18:00:00</CreDtTm></GrpHdr>
    <Ntfctn><Id>N${Date.now()}</Id><CreDtTm>2040-01-02T18:00:00</CreDtTm>
      <Acct><Id><IBAN>${account}</IBAN></Id></Acct>${ntry}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
`;
}

// A 1x1 PNG for the document upload.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c626001000000050001a5f645400000000049454e44ae426082', 'hex');

/** Drop a file on the element (as dragging it from the desktop would). */
async function dropFile(page, selector, name, mime, buf) {
  await page.evaluate(async ({ selector, name, mime, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: mime }));
    const el = document.querySelector(selector);
    el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { selector, name, mime, b64: buf.toString('base64') });
}

const today = () => {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Zurich' }).format(new Date()).split('-');
  return { y: Number(y), m: Number(m), d: Number(d), text: `${d}.${m}.${y}` };
};

async function section(page, lang, id, name) {
  await page.getByRole('navigation', { name: tx(lang, 'case.sections') }).getByRole('link', { name: tx(lang, `section.${name}`) }).click();
  await page.waitForFunction((n) => location.hash.endsWith(`/${n}`), name);
  await page.waitForFunction(() => document.activeElement?.classList.contains('page-title'));
}

async function fullPath(lang, tenant, bfsName) {
  const pages = [];
  try {
    return await fullPathSteps(lang, tenant, bfsName, pages);
  } catch (e) {
    for (const [i, pg] of pages.entries()) await shot(pg, `sh-failed-${lang}-${i}`).catch(() => {});
    throw e;
  }
}

async function fullPathSteps(lang, tenant, bfsName, pages) {
  const L = (k, p) => tx(lang, k, p);
  const sfx = `${lang}-${tenant}`;
  const last = `Test${uniq('p').replace(/[^a-z0-9]/g, '')}`;
  const cw = await newPage(browser);
  const p = cw.page;
  pages.push(p);
  await login(p, tenant, 'caseworker');
  // The module is in the navigation and opens on the work list.
  await p.getByRole('list', { name: L('nav.modules') }).getByRole('link', { name: L('module.sozialhilfe') }).click();
  await p.getByRole('heading', { level: 1, name: L('worklist.title') }).waitFor();
  await check(p, `sh-worklist-${sfx}`);

  // Registration: person, household and dossier in one form.
  await p.getByRole('link', { name: L('person.register') }).first().click();
  await p.getByRole('heading', { level: 1, name: L('person.register_title') }).waitFor();
  await p.getByRole('button', { name: L('person.register_submit') }).click();
  await p.getByText(L('error.form_incomplete')).waitFor();
  await check(p, `sh-register-errors-${sfx}`);
  await p.getByRole('textbox', { name: exact(L('person.last_name')) }).fill(last);
  await p.getByRole('textbox', { name: exact(L('person.first_name')) }).fill('Lea');
  await p.getByRole('textbox', { name: exact(L('person.birth_date')) }).fill('14.03.1985');
  await p.getByRole('textbox', { name: exact(L('person.ahv')) }).fill(newAhv());
  await p.getByRole('textbox', { name: exact(L('person.street')) }).fill('Bahnhofstrasse');
  await p.getByRole('textbox', { name: exact(L('person.house_no')) }).fill('3');
  await p.getByRole('textbox', { name: exact(L('person.postcode')) }).fill('3600');
  await p.getByRole('textbox', { name: exact(L('person.town')) }).fill(bfsName);
  await p.getByRole('textbox', { name: exact(L('person.iban')) }).fill(CLIENT_IBAN);
  await p.getByRole('combobox', { name: L('case.municipality') }).selectOption({ label: bfsName });
  await p.getByRole('button', { name: L('person.register_submit') }).click();
  await p.getByText(L('case.registered')).waitFor();
  const caseId = Number(/cases\/(\d+)/.exec(p.url())[1]);
  await p.getByText('Sara Fallführung').first().waitFor();
  await check(p, `sh-dossier-overview-${sfx}`);

  // Search finds the person as one types.
  await open(p, '#/m/sozialhilfe/persons');
  await p.getByRole('searchbox', { name: exact(L('search.name')) }).fill(last.slice(0, 8));
  await p.getByRole('link', { name: `${last} Lea` }).waitFor();
  await check(p, `sh-person-search-${sfx}`);
  await p.getByRole('link', { name: `${last} Lea` }).click();
  await p.getByRole('heading', { level: 1, name: `${last} Lea` }).waitFor();
  await check(p, `sh-person-${sfx}`);

  // Deciding needs the intake documents: the API's list of what is missing.
  await open(p, `#/m/sozialhilfe/cases/${caseId}`);
  const tr = p.getByRole('region', { name: L('transition.title') });
  await tr.getByRole('combobox', { name: L('transition.to') }).selectOption('intake');
  await tr.getByRole('button', { name: L('transition.submit') }).click();
  await p.getByText(L('transition.done', { state: L('state.intake') })).waitFor();
  await tr.getByRole('combobox', { name: L('transition.to') }).selectOption('decision');
  await tr.getByRole('button', { name: L('transition.submit') }).click();
  await p.getByText(L('transition.missing')).waitFor();
  await check(p, `sh-transition-missing-${sfx}`);

  await section(p, lang, caseId, 'checklist');
  for (const code of ['id', 'rent_contract', 'income_proof', 'bank_statements', 'health_insurance'])
    await p.getByRole('button', { name: `${L('checklist.today')} – ${L(`doc.${code}`)}` }).click();
  await p.getByRole('button', { name: L('checklist.save') }).click();
  await p.getByText(L('checklist.complete')).waitFor();
  await check(p, `sh-checklist-${sfx}`);

  await section(p, lang, caseId, 'overview');
  await tr.getByRole('combobox', { name: L('transition.to') }).selectOption('decision');
  await tr.getByRole('button', { name: L('transition.submit') }).click();
  await p.getByText(L('transition.done', { state: L('state.decision') })).waitFor();

  // Journal, goals, deadlines.
  await section(p, lang, caseId, 'journal');
  // Categories are the service's vocabularies (the core's and the module's,
  // GET /api/v1/vocabularies), each in the reader's language.
  const vocab = await p.evaluate(async () => (await fetch('/api/v1/vocabularies')).json());
  const words = (domain, short) => vocab[domain].filter((e) => e.module === null || e.module === 'sozialhilfe')
    .map((e) => L(`${e.module ?? 'casework'}.${short}.${e.code}`)).sort();
  // The choices come with the vocabularies, fetched with the screen.
  const options = async (name) => {
    const opts = p.getByRole('combobox', { name }).locator('option');
    await opts.first().waitFor({ state: 'attached' });
    return (await opts.allTextContents()).sort();
  };
  assert.deepEqual(await options(L('journal.category')), words('journal_category', 'jcat'));
  await p.getByRole('textbox', { name: exact(L('journal.text')) }).fill('Erstgespräch / premier entretien');
  await p.getByRole('button', { name: L('journal.submit') }).click();
  await p.getByText(L('journal.added')).waitFor();
  await check(p, `sh-journal-${sfx}`);
  await section(p, lang, caseId, 'goals');
  await p.getByRole('textbox', { name: exact(L('goals.title_field')) }).fill('Stelle suchen');
  await p.getByRole('textbox', { name: exact(L('goals.due_on')) }).fill(`31.12.${today().y + 1}`);
  await p.getByRole('button', { name: L('goals.submit') }).click();
  await p.getByText(L('goals.added')).waitFor();
  await p.getByRole('button', { name: L('goals.sign') }).click();
  await p.getByText(L('goals.signed_done')).waitFor();
  await check(p, `sh-goals-${sfx}`);
  await section(p, lang, caseId, 'deadlines');
  await p.getByRole('textbox', { name: exact(L('deadline.due_on')) }).fill(today().text);
  await p.getByRole('textbox', { name: exact(L('deadline.text')) }).fill('Telefon');
  await p.getByRole('button', { name: L('deadline.submit') }).click();
  await p.getByText(L('deadline.added')).waitFor();
  await check(p, `sh-deadlines-${sfx}`);

  // Budget editor: the preview follows the inputs.
  await section(p, lang, caseId, 'budgets');
  await p.getByRole('link', { name: L('budget.new') }).click();
  await p.getByRole('heading', { level: 1, name: L('budget.editor_title') }).waitFor();
  await p.getByRole('textbox', { name: exact(L('budget.rent')) }).fill('1200');
  await p.getByRole('textbox', { name: exact(L('budget.kvg')) }).fill('400');
  const preview = p.getByRole('region', { name: L('budget.preview') });
  await preview.locator('table.budget-lines tbody tr').first().waitFor();
  const first = await preview.getByRole('status').textContent();
  await p.getByRole('textbox', { name: exact(L('budget.employment')) }).fill('500');
  await p.waitForFunction((f) => {
    const s = document.querySelector('.preview [role=status]')?.textContent;
    return s && s !== f && !s.includes('…');
  }, first);
  assert.notEqual(await preview.getByRole('status').textContent(), first, 'the preview follows the income');
  await check(p, `sh-budget-editor-${sfx}`);
  await p.getByRole('button', { name: L('budget.save') }).click();
  await p.getByRole('region', { name: exact(L('budget.one', { date: '' }).trim()) }).waitFor();
  await p.getByText(L('budget.own_draft')).count(); // case worker: no approve button
  assert.equal(await p.getByRole('button', { name: L('budget.approve') }).count(), 0);
  await check(p, `sh-budgets-${sfx}`);

  // Team lead approves the budget (four eyes), then the decision.
  const tl = await newPage(browser);
  pages.push(tl.page);
  await login(tl.page, tenant, 'teamlead');
  await open(tl.page, `#/m/sozialhilfe/cases/${caseId}/budgets`);
  await tl.page.getByRole('button', { name: L('budget.approve') }).click();
  await tl.page.getByText(L('dossier.budget_approve_q')).waitFor();
  await tl.page.getByRole('button', { name: L('dossier.approve_yes') }).click();
  await tl.page.getByText(L('budget.approved_note')).waitFor();

  await section(p, lang, caseId, 'decisions');
  await p.getByRole('button', { name: L('decision.draft') }).click();
  await p.getByText(L('decision.drafted')).waitFor();
  assert.equal(await p.getByRole('button', { name: L('decision.approve') }).count(), 0);
  await open(tl.page, `#/m/sozialhilfe/cases/${caseId}/decisions`);
  await tl.page.getByRole('button', { name: L('decision.approve') }).click();
  await tl.page.getByRole('button', { name: L('dossier.approve_yes') }).click();
  // The message says what happened: support starts.
  await tl.page.getByText(L('dossier.decision.support_started')).waitFor();
  await check(tl.page, `sh-decisions-${sfx}`);
  const [pdf] = await Promise.all([tl.page.waitForEvent('download'), tl.page.getByRole('button', { name: exact(L('decision.pdf')) }).first().click()]);
  const pdfBuf = readFileSync(await pdf.path());
  assert.equal(pdfBuf.subarray(0, 5).toString(), '%PDF-');
  await open(tl.page, `#/m/sozialhilfe/cases/${caseId}`);
  await tl.page.getByText(L('state.ongoing')).first().waitFor();

  // Documents: dropped on the zone, uploaded with progress, previewed.
  await section(p, lang, caseId, 'documents');
  assert.deepEqual(await options(L('doc.category')), words('document_category', 'dcat'));
  assert.ok((await options(L('doc.category'))).includes(L('dcat.letter')), 'the core\'s letters are a category');
  await dropFile(p, '.dropzone', 'ausweis.png', 'image/png', PNG);
  await p.getByText(L('doc.chosen', { name: 'ausweis.png', kb: 1 })).waitFor();
  await p.getByRole('button', { name: L('doc.send') }).click();
  await p.getByText(L('doc.uploaded', { title: 'ausweis' })).waitFor();
  await p.getByRole('button', { name: `${L('doc.preview')} – ausweis` }).click();
  await p.locator('.doc-preview img').waitFor();
  await check(p, `sh-documents-${sfx}`);

  // Accounting: the payment run of a month no other test uses.
  const acc = await newPage(browser);
  pages.push(acc.page);
  await login(acc.page, tenant, 'accounting');
  await open(acc.page, '#/m/sozialhilfe/payments');
  await check(acc.page, `sh-payments-${sfx}`);
  let runUrl = null;
  for (let i = 0; i < 5 && !runUrl; i++) {
    const y = 2100 + Math.floor(Math.random() * 99);
    const m = 1 + Math.floor(Math.random() * 12);
    await acc.page.getByRole('textbox', { name: exact(L('run.month')) }).fill(`${String(m).padStart(2, '0')}.${y}`);
    await acc.page.getByRole('button', { name: L('run.create') }).click();
    // The loser of the race times out later: its rejection is swallowed.
    const r = await Promise.race([
      acc.page.getByText(L('run.created')).waitFor({ timeout: 15000 }).then(() => 'ok', () => 'timeout'),
      acc.page.getByText(L('error.run_exists')).waitFor({ timeout: 15000 }).then(() => 'exists', () => 'timeout'),
    ]);
    if (r === 'ok') runUrl = acc.page.url();
  }
  assert.ok(runUrl, 'a payment run was created');
  const runId = Number(/payments\/(\d+)/.exec(runUrl)[1]);
  const ourLine = acc.page.locator('tbody tr', { hasText: `${last}` });
  await ourLine.first().waitFor().catch(async () => {
    // More lines than one page: our dossier's line is there through the API.
    const s = await apiLogin(tenant, 'accounting');
    const all = (await api(s, 'GET', `/api/v1/payment-runs/${runId}?limit=500`)).json.lines;
    assert.ok(all.some((l) => l.dossier_id === caseId), 'the dossier has a line in the run');
  });
  assert.equal(await acc.page.getByRole('button', { name: L('run.approve') }).count(), 0, 'accounting cannot approve');
  await acc.page.getByText(L('run.needs_approval')).waitFor();
  await check(acc.page, `sh-run-draft-${sfx}`);

  await open(tl.page, `#/m/sozialhilfe/payments/${runId}`);
  await tl.page.getByRole('button', { name: L('run.approve') }).click();
  await tl.page.getByRole('button', { name: L('money.run.approve_yes') }).click();
  await tl.page.getByText(L('run.approved')).waitFor();
  assert.equal(await tl.page.getByRole('button', { name: L('run.download') }).count(), 0, 'the team lead does not export');

  // The accountant's page still shows the draft: reload it.
  await acc.page.reload();
  await acc.page.getByRole('heading', { level: 1 }).waitFor();
  const [dl] = await Promise.all([acc.page.waitForEvent('download'), acc.page.getByRole('button', { name: L('run.download') }).click()]);
  await acc.page.getByText(L('run.downloaded')).waitFor();
  // The export was a job: its progress ended with every payment booked.
  const exportJob = acc.page.locator('[data-testid="job-progress"][data-state="done"]');
  await exportJob.waitFor();
  const bar = exportJob.locator('progress');
  const [val, max] = [await bar.getAttribute('value'), await bar.getAttribute('max')];
  assert.ok(Number(max) >= 1 && val === max, `progress ${val} of ${max}`);
  const xml = readFileSync(await dl.path(), 'utf8');
  assert.match(xml, /pain\.001\.001\.09/);
  await check(acc.page, `sh-run-exported-${sfx}`);
  const s = await apiLogin(tenant, 'accounting');
  const lines = (await api(s, 'GET', `/api/v1/payment-runs/${runId}?limit=500`)).json.lines.filter((l) => l.dossier_id === caseId && l.status !== 'held');
  assert.ok(lines.length >= 1, 'our dossier is paid in the run');
  for (const l of lines) assert.ok(xml.includes(`<EndToEndId>${l.end_to_end_id}</EndToEndId>`), l.end_to_end_id);

  // camt.054: our payments booked, one unknown entry left unmatched.
  await open(acc.page, '#/m/sozialhilfe/payments');
  const notif = camt054(ACCOUNTS[tenant].iban, [...lines.map((l) => ({ e2e: l.end_to_end_id, amount: l.amount })), { e2e: 'KS0L0', amount: 1234 }]);
  await acc.page.getByLabel(L('camt.file')).setInputFiles({ name: 'camt054.xml', mimeType: 'application/xml', buffer: Buffer.from(notif) });
  await acc.page.getByRole('button', { name: L('camt.send') }).click();
  await acc.page.getByText(L('camt.summary', { entries: lines.length + 1, matched: lines.length, unmatched: 1 })).waitFor();
  await acc.page.getByRole('table', { name: L('camt.unmatched') }).getByText('KS0L0').waitFor();
  await check(acc.page, `sh-camt-result-${sfx}`);

  // The client account shows the payments.
  await section(p, lang, caseId, 'account');
  await p.getByRole('cell', { name: L('lkind.payment') }).first().waitFor();
  await check(p, `sh-account-${sfx}`);
  for (const x of [p, tl.page, acc.page]) assertClean(x);
  await Promise.all([cw.context.close(), tl.context.close(), acc.context.close()]);
  return caseId;
}

let thunCase;
test('Sozialhilfe in German: registration to pain.001 and camt.054 (thun)', async () => {
  thunCase = await fullPath('de', 'thun', 'Thun');
});

test('Aide sociale en français : de l\'inscription au pain.001 et au camt.054 (biel)', async () => {
  await fullPath('fr', 'biel', 'Biel/Bienne');
});

test('who sees which actions: legal reads only, accounting edits no case, reception registers', async () => {
  const caseId = thunCase ?? (await (async () => {
    const s = await apiLogin('thun', 'caseworker');
    return (await api(s, 'GET', '/api/v1/cases?limit=1')).json.items[0].id;
  })());
  const L = (k, p) => tx('de', k, p);
  const lg = await newPage(browser);
  await login(lg.page, 'thun', 'legal');
  await open(lg.page, `#/m/sozialhilfe/cases/${caseId}`);
  assert.equal(await lg.page.getByRole('region', { name: L('transition.title') }).count(), 0);
  assert.equal(await lg.page.getByRole('region', { name: L('case.responsibility') }).count(), 0);
  for (const [sec, btn] of [['checklist', 'checklist.save'], ['journal', 'journal.submit'], ['goals', 'goals.submit'], ['deadlines', 'deadline.submit'], ['decisions', 'decision.draft']]) {
    await section(lg.page, 'de', caseId, sec);
    assert.equal(await lg.page.getByRole('button', { name: L(btn) }).count(), 0, `legal: ${sec}`);
    assert.equal(await lg.page.locator('main form').count(), 0, `legal: no form on ${sec}`);
  }
  await section(lg.page, 'de', caseId, 'budgets');
  assert.equal(await lg.page.getByRole('link', { name: L('budget.new') }).count(), 0);
  await check(lg.page, 'sh-legal-budgets');
  await open(lg.page, '#/m/sozialhilfe/persons');
  assert.equal(await lg.page.getByRole('link', { name: L('person.register') }).count(), 0);
  await open(lg.page, '#/m/sozialhilfe/persons/new');
  assert.equal(await lg.page.locator('h1').textContent(), tx('de', 'noaccess.title'));
  await open(lg.page, '#/m/sozialhilfe/payments');
  assert.equal(await lg.page.locator('h1').textContent(), tx('de', 'noaccess.title'));
  assertClean(lg.page);
  await lg.context.close();

  const ac = await newPage(browser);
  await login(ac.page, 'thun', 'accounting');
  await open(ac.page, `#/m/sozialhilfe/cases/${caseId}`);
  assert.equal(await ac.page.getByRole('region', { name: L('transition.title') }).count(), 0);
  await section(ac.page, 'de', caseId, 'documents');
  assert.equal(await ac.page.getByRole('region', { name: L('doc.upload') }).count(), 0);
  await section(ac.page, 'de', caseId, 'account');
  await ac.page.getByRole('region', { name: L('section.account') }).waitFor();
  await open(ac.page, `#/m/sozialhilfe/cases/${caseId}/budget-new`);
  assert.equal(await ac.page.locator('h1').textContent(), tx('de', 'noaccess.title'));
  assert.equal(await ac.page.getByRole('navigation', { name: L('nav.label') }).getByRole('link', { name: L('nav.payments') }).count(), 1);
  await check(ac.page, 'sh-accounting-no-case-edit');
  assertClean(ac.page);
  await ac.context.close();

  const rc = await newPage(browser);
  await login(rc.page, 'thun', 'reception');
  await open(rc.page, '#/m/sozialhilfe/persons');
  await rc.page.getByRole('link', { name: L('person.register') }).waitFor();
  await open(rc.page, `#/m/sozialhilfe/cases/${caseId}`);
  assert.equal(await rc.page.getByRole('region', { name: L('transition.title') }).count(), 0);
  assert.equal(await rc.page.getByRole('navigation', { name: L('nav.label') }).getByRole('link', { name: L('nav.payments') }).count(), 0);
  assertClean(rc.page);
  await rc.context.close();
});

test('keyboard only: registration with the duplicate warning and its explicit override', async () => {
  const L = (k, p) => tx('de', k, p);
  const cw = await apiLogin('thun', 'caseworker');
  const last = `Dup${uniq('k').replace(/[^a-z0-9]/g, '')}`;
  const first = await api(cw, 'POST', '/api/v1/persons', { last_name: last, first_name: 'Mia', birth_date: '1990-02-01' });
  assert.equal(first.status, 201);
  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'caseworker');
  await open(page, '#/m/sozialhilfe/persons/new');
  await tabTo(page, (d) => d.startsWith('input|last_name'));
  await page.keyboard.type(last);
  await page.keyboard.press('Tab');
  await page.keyboard.type('Mia');
  await page.keyboard.press('Tab');
  await page.keyboard.type('01.02.1990');
  await tabTo(page, (d) => d.startsWith('input|street'));
  await page.keyboard.type('Aarestrasse');
  await page.keyboard.press('Tab');
  await page.keyboard.type('7');
  await page.keyboard.press('Tab');
  await page.keyboard.type('3600');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Thun');
  // No dossier this time: the checkbox is toggled with the space bar.
  await tabTo(page, (d) => d.startsWith('input|') && d.endsWith(L('case.open_now')));
  await page.keyboard.press('Space');
  await tabTo(page, (d) => d.startsWith('button|') && d.endsWith(L('person.register_submit')));
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await page.keyboard.press('Enter');
  // The warning takes focus and names the candidate; nothing is registered.
  await page.getByRole('heading', { name: L('person.dup_title') }).waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'alert', null, { timeout: 5000 });
  await page.getByRole('link', { name: `${last} Mia, 01.02.1990` }).waitFor();
  await check(page, 'sh-duplicate-warning');
  // Sending again without the explicit confirmation does not register.
  await tabTo(page, (d) => d.startsWith('button|') && d.endsWith(L('person.register_submit')));
  await page.keyboard.press('Enter');
  await tabTo(page, (d) => d.startsWith('input|') && d.endsWith(L('person.dup_override')), 60);
  await page.keyboard.press('Space');
  await tabTo(page, (d) => d.startsWith('button|') && d.endsWith(L('person.register_submit')), 60);
  await shot(page, 'sh-keyboard-override');
  await page.keyboard.press('Enter');
  await page.getByText(L('person.registered')).waitFor();
  const found = await api(cw, 'GET', `/api/v1/persons?q=${last}`);
  assert.equal(found.json.items.length, 2, 'the second person is registered after the override');
  await axe(page, 'sh-person-after-override');
  assertClean(page);
  await context.close();
});

test('two case workers change the responsibility: the second sees the conflict and reapplies', async () => {
  const L = (k, p) => tx('de', k, p);
  const cw = await apiLogin('thun', 'caseworker');
  const ps = await api(cw, 'POST', '/api/v1/persons', { last_name: `Kon${uniq('c').replace(/[^a-z0-9]/g, '')}`, first_name: 'Ben', birth_date: '1975-06-06' });
  const hh = await api(cw, 'POST', '/api/v1/households', { name: 'Haushalt Konflikt', members: [{ person_id: ps.json.id, role: 'applicant', valid_from: '2026-01-01' }] });
  const c = await api(cw, 'POST', '/api/v1/cases', { household_id: hh.json.id, applicant_id: ps.json.id, municipality_bfs: 942 });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  // The tenant's teams (records its administrator keeps).
  const adm = await apiLogin('thun', 'admin');
  for (const name of ['Team Nord', 'Team Süd']) assert.ok([201, 409].includes((await api(adm, 'POST', '/api/v1/admin/teams', { name })).status));
  const a = await newPage(browser);
  const b = await newPage(browser);
  await login(a.page, 'thun', 'caseworker');
  await login(b.page, 'thun', 'teamlead');
  await open(a.page, `#/m/sozialhilfe/cases/${c.json.id}`);
  await open(b.page, `#/m/sozialhilfe/cases/${c.json.id}`);
  await a.page.getByRole('combobox', { name: exact(L('case.team')) }).selectOption('Team Nord');
  await a.page.getByRole('button', { name: tx('de', 'form.save') }).click();
  await a.page.getByText(tx('de', 'form.saved')).waitFor();
  await b.page.getByRole('combobox', { name: exact(L('case.team')) }).selectOption('Team Süd');
  await b.page.getByRole('button', { name: tx('de', 'form.save') }).click();
  const panel = b.page.locator('.conflict');
  await panel.waitFor();
  const row = panel.locator('tbody tr', { has: b.page.locator('th', { hasText: L('case.team') }) });
  assert.deepEqual(await row.locator('td').allTextContents(), ['–', 'Team Nord', 'Team Süd']);
  await check(b.page, 'sh-conflict');
  await b.page.getByRole('button', { name: tx('de', 'conflict.reapply') }).click();
  await panel.waitFor({ state: 'detached' });
  await b.page.getByRole('button', { name: tx('de', 'form.save') }).click();
  await b.page.getByText(tx('de', 'form.saved')).waitFor();
  const now = await api(cw, 'GET', `/api/v1/cases/${c.json.id}`);
  assert.equal(now.json.team, 'Team Süd');
  assertClean(a.page);
  assertClean(b.page);
  await a.context.close();
  await b.context.close();
});
