// The work list of a service with two modules (issue 12 item 6): with the
// example module echo switched on in Thun, the case worker's work list
// shows Sozialhilfe's and echo's items together, each row names its
// module, and a choice shows one module's items. axe on the screen, no
// console errors. Echo is switched off again at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, open, check, assertClean, apiLogin, api, uniq, tx,
} from './lib.mjs';

const L = (k, p) => tx('de', k, p);
const M = '/api/v1/admin/tenants/thun/modules';
let browser, cw, canton;

const must = (r, status) => { assert.equal(r.status, status, JSON.stringify(r.json)); return r.json; };
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

async function setEcho(enabled) {
  const st = must(await api(canton, 'GET', M), 200).items.find((i) => i.module === 'echo');
  if (st.enabled === enabled) return;
  const body = enabled ? { enabled: true, start_date: '2024-01-01' } : { enabled: false };
  must(await api(canton, 'PUT', `${M}/echo`, body, st.version > 0 ? { 'if-match': `"${st.version}"` } : {}), 200);
}

before(async () => {
  browser = await launch();
  cw = await apiLogin('thun', 'caseworker');
  canton = await apiLogin('canton', 'canton-admin');
  await setEcho(true);
  // Each worker caches a tenant's switches for a few seconds.
  for (let i = 0; i < 60; i++) {
    const rs = await Promise.all(Array.from({ length: 8 }, () => api(cw, 'GET', '/api/v1/echo/hello')));
    if (rs.every((r) => r.status === 200)) break;
    await sleep(250);
  }
});
after(async () => {
  await setEcho(false);
  await browser?.close();
});

test('the work list with two modules: each row names its module, a choice shows one module\'s items', async () => {
  // An echo case waiting for an answer: its kind's hook sets a deadline for today.
  const last = `Em${uniq('e').replace(/[^a-z0-9]/g, '')}`;
  const p = must(await api(cw, 'POST', '/api/v1/persons', { last_name: last, first_name: 'Eli', birth_date: '1980-05-05' }), 201);
  const h = must(await api(cw, 'POST', '/api/v1/households', { name: `Haushalt ${last}`, members: [{ person_id: p.id, role: 'applicant', valid_from: '2025-01-01' }] }), 201);
  const x = must(await api(cw, 'POST', '/api/v1/cases', { household_id: h.id, applicant_id: p.id, municipality_bfs: 942, caseworker_id: cw.me.user.id, kind: 'echo_case' }), 201);
  assert.equal(x.module, 'echo');
  must(await api(cw, 'PUT', `/api/v1/cases/${x.id}/checklist`, { items: [{ code: 'signed_form', received_on: '2026-01-05' }] }, { 'if-match': '"0"' }), 200);
  const g = await api(cw, 'GET', `/api/v1/cases/${x.id}`);
  must(await api(cw, 'POST', `/api/v1/cases/${x.id}/transitions`, { to: 'waiting' }, { 'if-match': g.etag }), 200);
  const wl = must(await api(cw, 'GET', '/api/v1/worklist'), 200);
  assert.ok(wl.due_today.some((d) => d.dossier_id === x.id && d.module === 'echo'), JSON.stringify(wl.due_today));
  assert.ok(wl.open_dossiers.some((d) => d.module === 'sozialhilfe'), 'the case worker has Sozialhilfe dossiers too');

  const { context, page } = await newPage(browser);
  await login(page, 'thun', 'caseworker');
  await open(page, '#/m/sozialhilfe');
  await page.getByRole('heading', { level: 1, name: L('worklist.title') }).waitFor();
  const today = page.getByRole('region', { name: new RegExp(`^${L('casework.worklist.due_today')}`) });
  const row = today.getByRole('row', { name: new RegExp(last) });
  await row.waitFor();
  await today.getByRole('columnheader', { name: L('casework.worklist.module') }).waitFor();
  await row.getByRole('cell', { name: L('module.echo') }).waitFor();
  const mine = page.getByRole('region', { name: new RegExp(`^${L('casework.worklist.open_dossiers')}`) });
  await mine.getByRole('cell', { name: L('module.sozialhilfe') }).first().waitFor();
  await check(page, 'worklist-modules');

  // Only Sozialhilfe's items: the echo row goes; only echo's: it is back
  // and no Sozialhilfe dossier is listed.
  const choice = page.getByRole('group', { name: L('casework.worklist.filter') }).getByRole('combobox', { name: L('casework.worklist.module') });
  await choice.selectOption({ label: L('module.sozialhilfe') });
  await row.waitFor({ state: 'detached' });
  await choice.selectOption({ label: L('module.echo') });
  await row.waitFor();
  assert.equal(await mine.getByRole('cell', { name: L('module.sozialhilfe') }).count(), 0);
  // The row links to the echo dossier.
  const href = await row.getByRole('link').first().getAttribute('href');
  assert.match(href, new RegExp(`/m/echo/cases/${x.id}`));
  assertClean(page);
  await context.close();
});
