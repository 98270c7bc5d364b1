// Background jobs in the browser: the administrator's jobs screen runs a
// scheduled job now and follows it to its result, a job started elsewhere
// shows its items done of total while it runs, a dead job is tried again
// (If-Match; the conflict when someone else was first is shown), in German
// and French, by keyboard, with axe and a clean console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, login, open, check, axe, assertClean, apiLogin, api, expectFocused,
} from './lib.mjs';
import { freshTenant, as, call, createUser } from '../api/lib.mjs';

let browser;
let fresh;	// a social service with echo switched on
let cw;		// a case worker there who starts echo jobs (API)
before(async () => {
  browser = await launch();
  fresh = await freshTenant('webjobs');
  const canton = await as('canton', 'canton-admin');
  const on = await call('PUT', `/api/v1/admin/tenants/${fresh.slug}/modules/echo`, { session: canton, body: { enabled: true } });
  assert.equal(on.status, 200);
  const u = await createUser(fresh.admin, ['caseworker']);
  cw = await apiLogin(fresh.slug, u.username, u.password);
});
after(async () => { await browser?.close(); });

async function startEcho(body) {
  const r = await api(cw, 'POST', '/api/v1/echo/jobs', body);
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return r.json;
}

async function until(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const admin = () => apiLogin(fresh.slug, 'admin', fresh.password);
const jobOf = async (s, id) => (await api(s, 'GET', `/api/v1/jobs/${id}`)).json;

test('jobs: run a scheduled one now and follow it; watch progress; retry a dead one, with the conflict; German and French', async () => {
  const deadA = await startEcho({ items: 1, fail_times: 3 });
  const deadB = await startEcho({ items: 1, fail_times: 3 });
  const a = await admin();
  for (const d of [deadA, deadB]) assert.ok(await until(async () => (await jobOf(a, d.id)).state === 'dead'), `job ${d.id} dead`);

  const { page } = await newPage(browser);
  await login(page, fresh.slug, 'admin', fresh.password);
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Hintergrundaufträge' }).click();
  await page.getByRole('heading', { name: 'Hintergrundaufträge', level: 1 }).waitFor();
  await page.locator('[data-testid=jobs-table]').waitFor();
  await check(page, 'jobs-list');

  // Run the daily clean-up now, by keyboard, and follow it to its result.
  const select = page.getByRole('combobox', { name: 'Auftrag' });
  await select.focus();
  await select.selectOption('core.jobs_prune');
  await page.keyboard.press('Tab');
  await expectFocused(page.getByRole('button', { name: 'Jetzt starten' }), 'Tab reaches the start button');
  await page.keyboard.press('Enter');
  const follow = page.locator('form [data-testid=job-progress]');
  await page.locator('form [data-testid=job-progress][data-state=done]').waitFor();
  await follow.getByText('Erledigte Aufträge aufräumen').waitFor();
  await follow.getByText('erledigt', { exact: true }).waitFor();
  await follow.getByText('1 von 1 erledigt').waitFor();
  await follow.getByText('Gelöschte Aufträge').waitFor();
  await follow.getByText('Aufbewahrt (Tage)').waitFor();
  await axe(page, 'jobs-run-now');

  // A job someone else started: its items done of 10 while it runs.
  const running = await startEcho({ items: 10, step_ms: 500 });
  await open(page, `#/jobs/${running.id}`);
  const bar = page.locator('[data-testid=job-progress] progress');
  const seen = await until(async () => {
    const v = Number(await bar.getAttribute('value'));
    const st = await page.locator('[data-testid=job-progress]').getAttribute('data-state');
    return st === 'running' && v > 0 && v < 10 ? v : null;
  });
  assert.ok(seen, 'progress between 0 and 10 while it ran');
  assert.equal(await bar.getAttribute('max'), '10');
  assert.match(await page.locator('.job-count').textContent(), /^\d+ von 10 erledigt$/);
  await axe(page, 'job-running');
  await page.locator('[data-testid=job-progress][data-state=done]').waitFor({ timeout: 15000 });
  await page.getByText('10 von 10 erledigt').waitFor();
  await page.getByRole('heading', { name: 'Ergebnis' }).waitFor();

  // Dead job A: someone else tries it again first; this page's try is a
  // conflict, shown with the job as it is now.
  await open(page, `#/jobs/${deadA.id}`);
  await page.locator('[data-testid=job-progress][data-state=dead]').waitFor();
  await page.getByText('Der Testauftrag sollte diesen Versuch scheitern lassen.').waitFor();
  await check(page, 'job-dead');
  const cur = await jobOf(a, deadA.id);
  const other = await api(a, 'POST', `/api/v1/jobs/${deadA.id}/retry`, undefined, { 'if-match': `"${cur.version}"` });
  assert.equal(other.status, 202);
  await page.getByRole('button', { name: 'Erneut versuchen' }).click();
  await page.getByRole('button', { name: 'Ja, erneut versuchen' }).click();
  await page.getByText('Jemand anderes hat den Auftrag inzwischen geändert. Sie sehen jetzt seinen aktuellen Stand.').waitFor();
  await page.locator('[data-testid=job-progress][data-state=done]').waitFor({ timeout: 15000 });

  // Dead job B: tried again from here, by keyboard; it then succeeds.
  await open(page, `#/jobs/${deadB.id}`);
  await page.locator('[data-testid=job-progress][data-state=dead]').waitFor();
  await page.getByRole('button', { name: 'Erneut versuchen' }).focus();
  await page.keyboard.press('Enter');
  await expectFocused(page.getByRole('button', { name: 'Ja, erneut versuchen' }), 'the question takes the focus');
  await page.keyboard.press('Enter');
  await page.getByText('Der Auftrag steht wieder in der Warteschlange.').waitFor();
  await page.locator('[data-testid=job-progress][data-state=done]').waitFor({ timeout: 15000 });
  assert.equal((await jobOf(a, deadB.id)).attempts, 4);

  // The same in French.
  await page.getByRole('button', { name: 'Français' }).click();
  await page.getByRole('heading', { name: `Tâche de fond ${deadB.id}` }).waitFor();
  await page.locator('[data-testid=job-progress]').getByText('terminée', { exact: true }).waitFor();
  await page.getByText('1 sur 1 traités').waitFor();
  await page.getByText('La tâche est de nouveau dans la file d\'attente.').waitFor();
  await page.getByText('Essais').waitFor();
  await check(page, 'job-fr');
  await open(page, '#/jobs');
  await page.getByRole('heading', { name: 'Tâches de fond', level: 1 }).waitFor();
  await page.getByRole('combobox', { name: 'Filtrer par état' }).selectOption('done');
  await page.locator(`[data-job="${running.id}"]`).getByText('10 sur 10 traités').waitFor();
  await axe(page, 'jobs-list-fr');
  assertClean(page);
});

test('the jobs screen is for job.read; a case worker follows only the jobs he started', async () => {
  const { page } = await newPage(browser);
  const j = await startEcho({ items: 1 });
  const other = await admin();
  // The API gives the case worker his job, not the list.
  assert.equal((await api(cw, 'GET', `/api/v1/jobs/${j.id}`)).status, 200);
  assert.equal((await api(cw, 'GET', '/api/v1/jobs')).status, 403);
  assert.equal((await api(other, 'GET', '/api/v1/jobs')).status, 200);
  await login(page, 'thun', 'caseworker');
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await nav.getByRole('link').first().waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Hintergrundaufträge' }).count(), 0);
  await page.evaluate(() => { location.hash = '#/jobs'; });
  await page.getByRole('heading', { name: 'Kein Zugriff' }).waitFor();
  assertClean(page);
});
