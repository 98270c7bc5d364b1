// Phone width (390 x 844): on the dossier (every tab), the budget editor,
// the deadlines, a payment run, the work list and the lists, person and
// household pages around them, nothing lies beside the screen. The page itself never scrolls sideways (scrollWidth <= 390); a
// wide table scrolls inside its own container; every button, link, field,
// amount and status is either on the screen or inside such a container,
// and every button is hit by a click at its centre once scrolled into view
// (nothing covers it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, login, open, assertClean, apiLogin, api, BASE,
} from './lib.mjs';
import { sql, DB_OWNER, tenantId } from '../api/lib.mjs';
import { makeDossier, userId, freeYear } from '../api/money-lib.mjs';

const W = 390;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * What on the page is out of reach at phone width: the document's width,
 * the elements (buttons, links, fields, amounts, status badges) that lie
 * beside the screen outside a horizontally scrolling container, and the
 * buttons that a click at their centre (after scrolling them into view)
 * does not hit.
 */
async function reach(page) {
  // The phone's width, not innerWidth: a mobile viewport widens to fit
  // content that overflows.
  return page.evaluate((vw) => {
    const name = (el) => `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).trim().replace(/\s+/g, '.') : ''}`
      + ` "${(el.textContent || el.getAttribute('aria-label') || el.getAttribute('name') || '').trim().slice(0, 40)}"`;
    const shown = (el) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && !el.closest('.visually-hidden, .skip-link, [hidden]');
    };
    /** The nearest ancestor that scrolls sideways and itself fits on the screen. */
    const scroller = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if (ox === 'auto' || ox === 'scroll') {
          const r = a.getBoundingClientRect();
          return r.left >= -0.5 && r.right <= vw + 0.5 ? a : null;
        }
      }
      return null;
    };
    const beside = [];
    const els = document.querySelectorAll('main button, main a[href], main input, main select, main textarea, main td.num, main th.num, main .badge, header button, header a, header input, nav a');
    for (const el of els) {
      if (!shown(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.left >= -0.5 && r.right <= vw + 0.5) continue;
      if (!scroller(el)) beside.push(name(el));
    }
    const missed = [];
    for (const b of document.querySelectorAll('button, [role=button]')) {
      if (!shown(b) || b.disabled) continue;
      b.scrollIntoView({ block: 'center', inline: 'center' });
      const r = b.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const hit = x >= 0 && x <= vw ? document.elementFromPoint(x, y) : null;
      if (!hit || !(b === hit || b.contains(hit))) missed.push(`${name(b)} at ${Math.round(x)},${Math.round(y)}`);
    }
    window.scrollTo(0, 0);
    return { width: document.documentElement.scrollWidth, beside, missed };
  }, W);
}

/** Out of reach on a screen, collected for all screens (one report). */
const found = [];
async function assertReachable(page, label) {
  const r = await reach(page);
  if (r.width > W) found.push(`${label}: the page is ${r.width}px wide at ${W}px`);
  for (const b of r.beside) found.push(`${label}: beside the screen, not in a scrolling container: ${b}`);
  for (const b of r.missed) found.push(`${label}: a tap does not reach ${b}`);
}

test('at 390 px the dossier, budget, deadlines, payment run, work list, lists, person and household are fully reachable', async () => {
  const thun = Number(tenantId('thun'));
  const cw = userId('thun', 'caseworker');
  const lead = await apiLogin('thun', 'teamlead');
  const acc = await apiLogin('thun', 'accounting');
  const last = `Schmalbildschirm${Date.now().toString(36)}`;
  const D = makeDossier(thun, cw, {
    last, first: 'Annemarie-Josephine',
    budgets: [{ from: '2026-01-01', payment: 187654, rent: 145000, kvg: 42000 }],
  });
  sql(DB_OWNER, `update dossier set caseworker_id = ${userId('thun', 'teamlead')} where id = ${D.id}`);
  for (const [p, b] of [
    ['journal', { category: 'conversation', text: 'Erstgespräch mit der Klientin über die Wohnsituation und die Arbeitssuche.' }],
    ['goals', { title: 'Stellensuche mit dem RAV: zehn Bewerbungen pro Monat', measures: 'Bewerbungscoaching', due_on: '2027-06-30' }],
    ['deadlines', { due_on: '2027-03-31', text: 'Kontoauszüge der letzten drei Monate einfordern' }],
  ]) {
    const r = await api(lead, 'POST', `/api/v1/cases/${D.id}/${p}`, b);
    assert.equal(r.status, 201, `${p}: ${JSON.stringify(r.json)}`);
  }
  // A run is made by a background job (202); its result names the run.
  const started = await api(acc, 'POST', '/api/v1/payment-runs', { month: `${freeYear(thun, 2090, 2099)}-01` });
  assert.equal(started.status, 202, JSON.stringify(started.json));
  let job = started.json;
  for (let i = 0; i < 300 && !['done', 'failed', 'dead'].includes(job.state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    job = (await api(acc, 'GET', `/api/v1/jobs/${job.id}`)).json;
  }
  assert.equal(job.state, 'done', JSON.stringify(job));
  const run = { json: { id: job.result.run } };

  const context = await browser.newContext({
    baseURL: BASE, locale: 'de-CH', viewport: { width: W, height: 844 }, isMobile: true, hasTouch: true,
    timezoneId: 'Europe/Zurich',
  });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.problems.push(m.text());
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  try {
    await login(page, 'thun', 'teamlead');
    await assertReachable(page, 'home');
    await open(page, '#/m/sozialhilfe');
    await page.locator('main table, main .empty, main p').first().waitFor();
    await assertReachable(page, 'work list');
    for (const s of ['overview', 'household', 'checklist', 'journal', 'goals', 'budgets', 'decisions',
      'account', 'documents', 'deadlines', 'transfer']) {
      await open(page, `#/m/sozialhilfe/cases/${D.id}/${s}`);
      await page.locator('.tab-body > *').first().waitFor();
      await page.waitForLoadState('networkidle');
      await assertReachable(page, `dossier ${s}`);
    }
    // The budget being drawn up: the form and its preview with amounts.
    await open(page, `#/m/sozialhilfe/cases/${D.id}/budget-new`);
    await page.waitForLoadState('networkidle');
    await assertReachable(page, 'budget editor');
    // The payment run with its lines.
    await open(page, `#/m/sozialhilfe/payments/${run.json.id}`);
    await page.waitForLoadState('networkidle');
    await assertReachable(page, 'payment run');
    // The lists and pages around them.
    const household = Number(sql(DB_OWNER, `select household_id from dossier where id = ${D.id}`));
    for (const [hash, label] of [['#/m/sozialhilfe/payments', 'payment runs'], ['#/m/sozialhilfe/cases', 'dossiers'],
      ['#/m/sozialhilfe/approvals', 'approvals'], [`#/m/sozialhilfe/persons/${D.person}`, 'person'],
      [`#/m/sozialhilfe/households/${household}`, 'household']]) {
      await open(page, hash);
      await page.waitForLoadState('networkidle');
      await assertReachable(page, label);
    }
    assert.deepEqual(found, [], 'everything on screen or in a scrolling container at 390 px');

    assertClean(page);
  } finally {
    await context.close();
  }
});
