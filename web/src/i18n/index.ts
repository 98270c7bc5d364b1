// Messages live in de.json and fr.json, an area's in de.<area>.json and
// fr.<area>.json (same keys per language; tests check it); the dossier
// workflow's (teams, approvals, transfer, work list) in *.dossier.json.
// Every text a person sees comes from there. t() is typed by the German
// files so a missing or misspelt key fails the build.
import deMain from './de.json';
import frMain from './fr.json';
import deBilling from './de.billing.json';
import frBilling from './fr.billing.json';
import deMoney from './de.money.json';
import frMoney from './fr.money.json';
import deAccess from './de.access.json';
import frAccess from './fr.access.json';
import deLetters from './de.letters.json';
import frLetters from './fr.letters.json';
import deOps from './de.ops.json';
import frOps from './fr.ops.json';
import deAudit from './de.audit.json';
import frAudit from './fr.audit.json';
import dePersons from './de.persons.json';
import frPersons from './fr.persons.json';
import deDossier from './de.dossier.json';
import frDossier from './fr.dossier.json';
import deJobs from './de.jobs.json';
import frJobs from './fr.jobs.json';
import deWeb from './de.web.json';
import frWeb from './fr.web.json';
import deRetention from './de.retention.json';
import frRetention from './fr.retention.json';
import type { ApiError } from '../api';

export type Lang = 'de' | 'fr';
// The canton's billing screens keep their texts in *.billing.json, the
// access screens (passwords, administrator requests) theirs in
// *.access.json, letters and print views theirs in *.letters.json.
// The load balancer's own answers (ops/cluster/*.http) in *.ops.json.
// The audit log's texts (events, routes, filters) are in *.audit.json,
// the persons and households screens theirs in *.persons.json, the dossier
// workflow's (approval, checklist, teams, transfer) in *.dossier.json,
// Sozialhilfe money screens (runs, claims, one-offs, bank files) in
// *.money.json, background jobs (the jobs screen, job progress) in
// *.jobs.json, retention (periods, runs, legal hold) in *.retention.json.
// Editing across screens (goal edit, conflicts) in *.web.json.
const de = { ...deMain, ...deBilling, ...deMoney, ...deAccess, ...deLetters, ...deOps, ...deAudit, ...dePersons, ...deDossier, ...deJobs, ...deWeb, ...deRetention };
const fr = { ...frMain, ...frBilling, ...frMoney, ...frAccess, ...frLetters, ...frOps, ...frAudit, ...frPersons, ...frDossier, ...frJobs, ...frWeb, ...frRetention };
export type MsgKey = keyof typeof de;
type Params = Record<string, string | number>;

const catalogs: Record<Lang, Record<string, string>> = { de, fr };
const LANG_KEY = 'kasus.lang';

let current: Lang = 'de';

export function lang(): Lang {
  return current;
}

export function isLang(x: unknown): x is Lang {
  return x === 'de' || x === 'fr';
}

/** Switch the language of every text; remembered for this browser tab. */
export function setLang(l: Lang): void {
  current = l;
  document.documentElement.lang = l;
  try { sessionStorage.setItem(LANG_KEY, l); } catch { /* ignore */ }
}

/** The language chosen in this tab before, if any. */
export function storedLang(): Lang | null {
  try {
    const l = sessionStorage.getItem(LANG_KEY);
    return isLang(l) ? l : null;
  } catch { return null; }
}

/** The browser's preference between de and fr (German unless French first). */
export function browserLang(): Lang {
  const list = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of list) {
    const p = (l || '').slice(0, 2).toLowerCase();
    if (isLang(p)) return p;
  }
  return 'de';
}

function fill(s: string, params?: Params): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export function t(key: MsgKey, params?: Params): string {
  const s = catalogs[current][key] ?? catalogs.de[key] ?? key;
  return fill(s, params);
}

/** A message whose key is built at run time; undefined when there is none. */
export function tOpt(key: string, params?: Params): string | undefined {
  const s = catalogs[current][key];
  return s === undefined ? undefined : fill(s, params);
}

/**
 * What to tell a person about an API error: the message for its code (with
 * what to do next) in their language, else the API's own message.
 */
export function errorText(e: unknown): string {
  const err = e as Partial<ApiError> | undefined;
  if (!err || typeof err.code !== 'string') return t('error.unexpected');
  const detail = (err.detail ?? {}) as Record<string, unknown>;
  const params: Params = {};
  for (const [k, v] of Object.entries(detail))
    if (typeof v === 'string' || typeof v === 'number') params[k] = v;
  const known = tOpt(`error.${err.code}`, params);
  if (known) return known;
  const generic = t('error.generic', { message: err.message ?? err.code });
  return generic;
}

/** The message for a field that a validation error named. */
export function fieldErrorText(e: ApiError): string {
  const params: Params = {};
  for (const [k, v] of Object.entries(e.detail ?? {}))
    if (typeof v === 'string' || typeof v === 'number') params[k] = v;
  return tOpt(`field_error.${e.code}`, params) ?? errorText(e);
}

/** The localised name of a code (permission, module, status, action), or the code itself. */
export function label(group: string, code: string): string {
  return tOpt(`${group}.${code}`) ?? code;
}
