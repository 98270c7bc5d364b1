// Messages live in de.json and fr.json, an area's in de.<area>.json and
// fr.<area>.json here, a module's in modules/<module>/de.json and fr.json
// (same keys per language, no key in two files; tests/browser/format.test.mjs
// checks it). Every text a person sees comes from there. The files register
// themselves: the globs below take every one, and t() is typed by the German
// files (keys.gen.d.ts, written by scripts/msgkeys.mjs before tsc) so a
// missing or misspelt key fails the build.
import type { ApiError } from '../api';
import type { MsgKey } from './keys.gen';

export type Lang = 'de' | 'fr';
export type { MsgKey };
type Catalog = Record<string, string>;

// Sorted by path, so the merge does not depend on the bundler's order.
const merge = (files: Record<string, Catalog>): Catalog =>
  Object.assign({}, ...Object.keys(files).sort().map((k) => files[k]));
const de = merge(import.meta.glob<Catalog>(['./de.json', './de.*.json', '../modules/*/de.json'], { eager: true, import: 'default' }));
const fr = merge(import.meta.glob<Catalog>(['./fr.json', './fr.*.json', '../modules/*/fr.json'], { eager: true, import: 'default' }));
type Params = Record<string, string | number>;

const catalogs: Record<Lang, Catalog> = { de, fr };
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

/** The name of a person's or service's language (de, fr) in the user's. */
export function langName(code: string): string {
  return t(code === 'fr' ? 'lang.fr' : 'lang.de');
}

/** The languages a person, user or service can have, for a select. */
export function langOptions(): { value: Lang; label: string }[] {
  return [{ value: 'de', label: t('lang.de') }, { value: 'fr', label: t('lang.fr') }];
}
