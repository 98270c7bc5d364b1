// Shared helpers for the browser tests (node --test tests/browser/):
// Playwright (playwright-core from web/node_modules) driving Debian's
// Chromium against KASUS_URL; axe-core checks every screen visited.
// Environment: KASUS_URL, KASUS_REDIS_PORT (see tests/run.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ahvNumber } from '../api/lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
const require = createRequire(path.join(ROOT, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const BASE = (process.env.KASUS_URL || 'http://127.0.0.1:18091').replace(/\/+$/, '');
export const PW = 'kasus-demo';
export const REDIS_PORT = process.env.KASUS_REDIS_PORT || '63800';
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
const CHROMIUM = process.env.KASUS_CHROMIUM || '/usr/bin/chromium';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The message files of a language as web/src/i18n/index.ts globs them:
 * web/src/i18n/<lang>.json, each area's <lang>.<area>.json and each
 * module's web/src/modules/<module>/<lang>.json; paths relative to web/src.
 */
export function messageFiles(lang) {
  const src = path.join(ROOT, 'web', 'src');
  const files = readdirSync(path.join(src, 'i18n')).filter((f) => f === `${lang}.json` || (f.startsWith(`${lang}.`) && f.endsWith('.json'))).map((f) => `i18n/${f}`);
  for (const m of readdirSync(path.join(src, 'modules')))
    if (existsSync(path.join(src, 'modules', m, `${lang}.json`))) files.push(`modules/${m}/${lang}.json`);
  return files.sort();
}

/** Every message of a language, merged as the application merges them. */
export function catalog(lang) {
  const src = path.join(ROOT, 'web', 'src');
  return Object.assign({}, ...messageFiles(lang).map((f) => JSON.parse(readFileSync(path.join(src, f), 'utf8'))));
}

/**
 * A message of a catalog (catalog(lang)) by key (the "sozialhilfe." or
 * "casework." prefix may be left out), {params} filled; fails when the key
 * does not exist.
 */
export function msg(cat, key, params = {}) {
  const k = [key, `sozialhilfe.${key}`, `casework.${key}`].find((x) => x in cat) ?? key;
  assert.ok(k in cat, `no message ${key}`);
  return cat[k].replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
}

const CATALOGS = {};
/**
 * The text of a message key in a language (de, fr), as msg() gives it;
 * each language's catalog is read once.
 */
export function tx(lang, key, params = {}) {
  CATALOGS[lang] ||= catalog(lang);
  return msg(CATALOGS[lang], key, params);
}

/** A name that starts with s (an accessible name that begins with a label). */
export const exact = (s) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

/** A valid AHV number nobody has (ahvNumber of the API tests), formatted. */
export function newAhv() {
  const d = ahvNumber();
  return `${d.slice(0, 3)}.${d.slice(3, 7)}.${d.slice(7, 11)}.${d.slice(11)}`;
}

let seq = 0;
/** A unique lowercase suffix for usernames and slugs. */
export function uniq(prefix = 'b') {
  seq += 1;
  return `${prefix}-${Date.now().toString(36)}${process.pid.toString(36)}${seq}`;
}

/** One Chromium for a test file. */
export async function launch() {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

/**
 * A fresh browser context (own cookies and storage) and page. Collects
 * console errors and CSP violations, which the tests assert to be none.
 */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({
    baseURL: BASE, locale: opts.locale || 'de-CH', viewport: { width: 1280, height: 900 },
    timezoneId: 'Europe/Zurich',
  });
  context.setDefaultTimeout(opts.timeout || 10000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // A 4xx answer the application handles (401 after expiry, 409, 403 on
    // logout without a CSRF token) is logged by Chromium as a resource error.
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    problems.push(text);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.problems = problems;
  return { context, page };
}

/** No script errors and no Content-Security-Policy violations so far. */
export function assertClean(page) {
  assert.deepEqual(page.problems, [], `browser console errors: ${page.problems.join('\n')}`);
}

/** Sign in through the form; waits for the signed-in frame. */
export async function login(page, tenant, username, password = PW) {
  clearThrottle(tenant, username);
  await page.goto('/');
  await page.locator('form.login-form').waitFor();
  await fillLogin(page, tenant, username, password);
  await page.locator('.topbar').waitFor();
}

export async function fillLogin(page, tenant, username, password = PW) {
  const form = page.locator('form.login-form');
  await form.locator('input[name=tenant]').fill(tenant);
  await form.locator('input[name=username]').fill(username);
  await form.locator('input[name=password]').fill(password);
  await form.locator('button[type=submit]').click();
}

/** Open a screen by its fragment and wait for its heading to have focus. */
export async function open(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction(() => document.activeElement?.classList.contains('page-title'));
}

/**
 * Run axe-core (WCAG 2.1 A and AA rules) on the page as it is and fail on
 * any violation. axe is evaluated as a string (page.evaluate is not subject
 * to the page's CSP, unlike addScriptTag).
 */
export async function axe(page, label) {
  const res = await page.evaluate(async (src) => {
    if (!window.axe) (0, eval)(src);
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  }, AXE);
  assert.deepEqual(res, [], `axe violations on ${label}:\n${JSON.stringify(res, null, 2)}`);
}

/** Save a screenshot to tests/artifacts/<name>.png. */
export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe + screenshot for a main screen. */
export async function check(page, name) {
  await axe(page, name);
  await shot(page, name);
}

export function redis(...args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(REDIS_PORT), ...args.map(String)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 }).trim();
}

/** End the page's server session behind its back (as idle expiry would). */
export async function expireSession(context) {
  const c = (await context.cookies()).find((x) => x.name === 'ks_session');
  assert.ok(c, 'no ks_session cookie in the browser context');
  const key = `ks:s:${createHash('sha256').update(c.value).digest('hex')}`;
  assert.equal(redis('DEL', key), '1', `session ${key} not found in Redis`);
}

/** Forget login failures (the wrong-password test adds some). */
export function clearThrottle(tenant, username) {
  const user = `ks:thr:u:${createHash('sha256').update(`${tenant}\n${username}`).digest('hex')}`;
  try {
    redis('DEL', 'ks:thr:ip:127.0.0.1', 'ks:thr:ip:::1', 'ks:thr:ip:::ffff:127.0.0.1', user);
  } catch { /* not fatal */ }
}

/**
 * Calls to the JSON API from Node with a session of its own (set-up steps
 * that are not what a test is about).
 */
export async function apiLogin(tenant, username, password = PW) {
  const r = await fetch(`${BASE}/api/v1/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant, username, password }),
  });
  assert.equal(r.status, 201, `api login ${tenant}/${username}: ${r.status}`);
  const m = /ks_session=([^;]+)/.exec(r.headers.get('set-cookie') || '');
  const j = await r.json();
  return { cookie: m[1], csrf: j.csrf_token, me: j };
}

export async function api(session, method, p, body, headers = {}) {
  const h = { cookie: `ks_session=${session.cookie}`, ...headers };
  if (method !== 'GET') h['x-csrf-token'] = session.csrf;
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(BASE + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, etag: r.headers.get('etag'), json: text ? JSON.parse(text) : undefined };
}

/** Press Tab until the focused element matches the predicate (max n presses). */
export async function tabTo(page, describe, n = 40) {
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('Tab');
    const d = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return '';
      const lab = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : '';
      return `${el.tagName.toLowerCase()}|${el.getAttribute('name') || ''}|${(lab || el.textContent || '').trim()}`;
    });
    if (describe(d)) return d;
  }
  throw new Error('focus never reached the expected element by Tab');
}

/**
 * Wait (up to 5 s) until the located element has the focus. Focus often
 * moves in an effect a frame after the render a test waits for, so it is
 * waited for rather than read at once; a focus that never arrives fails.
 */
export async function expectFocused(locator, message = 'the element gets the focus') {
  const got = await locator.evaluate((el) => new Promise((done) => {
    const t0 = performance.now();
    (function poll() {
      if (el === document.activeElement) done('');
      else if (performance.now() - t0 > 5000) {
        const a = document.activeElement;
        done(a ? a.outerHTML.slice(0, 160) : '(nothing)');
      } else requestAnimationFrame(poll);
    }());
  }));
  assert.equal(got, '', `${message}; the focus is on ${got}`);
}

/**
 * Poll read() (up to 5 s) until it gives want; then assert it. For values
 * that settle a render after the action the test just did.
 */
export async function eventually(read, want, message) {
  const t0 = Date.now();
  let got = await read();
  while (!isDeepStrictEqual(got, want) && Date.now() - t0 < 5000) {
    await new Promise((ok) => setTimeout(ok, 50));
    got = await read();
  }
  assert.deepEqual(got, want, message);
}
