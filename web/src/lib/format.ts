// Swiss formatting helpers. Pure functions without DOM access, so that
// tests/browser/format.test.mjs can check them under Node.
//
//   dates     dd.mm.yyyy            (formatDate, parseDate)
//   moments   dd.mm.yyyy HH:MM      (formatDateTime, in Europe/Zurich)
//   amounts   CHF 1'234.50          (formatAmount; input in Rappen)
//   numbers   43'900                (formatInteger)
//   AHV       756.1234.5678.97      (formatAhv, isValidAhv)

const pad2 = (n: number): string => (n < 10 ? '0' : '') + String(n);

/** Group the digits of a non-negative integer string with the Swiss apostrophe. */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, "'");
}

/**
 * A number as an exact integer: rounded, a bigint as it is; null for NaN,
 * infinities and what is not a number. BigInt keeps digits that String()
 * would write as "1e+21".
 */
function exact(n: number | bigint | null | undefined): bigint | null {
  if (typeof n === 'bigint') return n;
  if (typeof n !== 'number' || !Number.isFinite(n)) return null;
  return BigInt(Math.round(n));
}

/** 43900 -> "43'900"; -1234 -> "-1'234". Non-integers are rounded. */
export function formatInteger(n: number | bigint | null | undefined): string {
  const r = exact(n);
  if (r === null) return '';
  return (r < 0n ? '-' : '') + group(String(r < 0n ? -r : r));
}

/**
 * The one money formatter of the web application: an amount in Rappen
 * (integer; a bigint too) as "CHF 1'234.50". Negative: "CHF -1'234.50",
 * as the letters print it (core/swiss.h's ks_money). withCurrency = false
 * gives "1'234.50" (what amount fields show). Exact at any size.
 */
export function formatAmount(rappen: number | bigint | null | undefined, withCurrency = true): string {
  const r = exact(rappen);
  if (r === null) return '';
  const abs = r < 0n ? -r : r;
  const s = (r < 0n ? '-' : '') + group(String(abs / 100n)) + '.' + String(abs % 100n).padStart(2, '0');
  return withCurrency ? 'CHF ' + s : s;
}

/**
 * Parse an amount typed by a person ("1'234.50", "1234,5", "CHF 12") into
 * Rappen; null when it is not an amount.
 */
export function parseAmount(text: string): number | null {
  const s = text.trim().replace(/^CHF\s*/i, '').replace(/['’\s]/g, '').replace(',', '.');
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const francs = Number(m[2]);
  const cents = m[3] ? Number(m[3].padEnd(2, '0')) : 0;
  const v = francs * 100 + cents;
  if (!Number.isSafeInteger(v)) return null;
  return m[1] === '-' ? -v : v;
}

/** Is y-m-d a real calendar date? */
function realDate(y: number, m: number, d: number): boolean {
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = m === 2 && leap ? 29 : days[m - 1];
  return d <= max;
}

/**
 * An ISO date ("2026-11-22") or the date part of a timestamp
 * ("2026-11-22 13:12:06+00") as "22.11.2026". Anything else: returned as is.
 */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (m) return `${m[3]}.${m[2]}.${m[1]}`;
  if (/^\d{4}-\d{2}-\d{2}[ T]/.test(iso)) return formatDateTime(iso).slice(0, 10);
  return iso;
}

/**
 * A date typed as dd.mm.yyyy (also d.m.yyyy, and yyyy-mm-dd) into ISO
 * "yyyy-mm-dd"; null when it is not a real date.
 */
export function parseDate(text: string): string | null {
  const s = text.trim();
  let y: number, mo: number, d: number;
  let m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
  if (m) {
    d = Number(m[1]); mo = Number(m[2]); y = Number(m[3]);
  } else if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s))) {
    y = Number(m[1]); mo = Number(m[2]); d = Number(m[3]);
  } else {
    return null;
  }
  if (!realDate(y, mo, d)) return null;
  return `${y}-${pad2(mo)}-${pad2(d)}`;
}

/** Today in Europe/Zurich as ISO yyyy-mm-dd. */
export function todayIso(now: Date = new Date()): string {
  const p = zurichParts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

function zurichParts(d: Date): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Zurich', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  const out: Record<string, string> = {};
  for (const part of fmt.formatToParts(d)) out[part.type] = part.value;
  return out;
}

/**
 * A PostgreSQL timestamp ("2026-11-22 13:12:06.956929+00") or an ISO
 * timestamp as "22.11.2026 14:12" in Swiss local time.
 */
export function formatDateTime(ts: string | null | undefined): string {
  if (!ts) return '';
  let s = ts.trim().replace(' ', 'T');
  // "+00" -> "+00:00", "+0130" -> "+01:30"; JavaScript wants the colon form.
  s = s.replace(/([+-]\d{2})$/, '$1:00').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  // More than millisecond precision is not parsed everywhere.
  s = s.replace(/(\.\d{3})\d+/, '$1');
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return ts;
  const p = zurichParts(d);
  return `${p.day}.${p.month}.${p.year} ${p.hour}:${p.minute}`;
}

/** Only the digits of an AHV number as typed ("756.1234.5678.97" -> 13 digits). */
export function ahvDigits(text: string): string {
  return text.replace(/[^0-9]/g, '');
}

/** The EAN-13 check digit over the first 12 digits. */
function ean13Check(d12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(d12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/** Is this a well-formed AHV number (756, 13 digits, EAN-13 check digit)? */
export function isValidAhv(text: string): boolean {
  const d = ahvDigits(text);
  if (d.length !== 13 || !d.startsWith('756')) return false;
  return ean13Check(d.slice(0, 12)) === Number(d[12]);
}

/**
 * 7561234567897 -> "756.1234.5678.97". Input that is not 13 digits is
 * returned unchanged (so a person's typing is never rewritten into nonsense).
 */
export function formatAhv(text: string | null | undefined): string {
  if (!text) return '';
  const d = ahvDigits(text);
  if (d.length !== 13) return text;
  return `${d.slice(0, 3)}.${d.slice(3, 7)}.${d.slice(7, 11)}.${d.slice(11)}`;
}
