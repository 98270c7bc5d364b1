// The canton's cost allocation: periods, costs, key figures, runs, invoices.
//   #/billing              periods and a new period
//   #/billing/creditor     who the invoices come from
//   #/billing/addresses    whom they go to: each social service's address
//   #/billing/p/<id>       a period: costs per phase, figures, allocate, runs
//   #/billing/r/<id>       a run: key and totals per phase, shares, invoices
// A run is never changed: each names the rule pack version that made it, so
// an earlier run stays explained by its own (older) key.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, del, etagOf, get, post, put, withQuery, type Lang } from '../api';
import { t, label, lang, errorText, fieldErrorText, langName } from '../i18n';
import { useApp } from '../ctx';
import { href, navigate } from '../router';
import { useResource } from '../lib/hooks';
import { splitError, formIncomplete, fieldsChecked } from '../lib/errors';
import { useEtagForm } from '../lib/etagForm';
import { formatAmount, formatDate, formatDateTime, formatInteger, parseAmount, parseDate } from '../lib/format';
import { ConfirmButton, ErrorBox, Facts, Field, Loading, Notice, PageTitle, SelectField } from '../components/ui';
import { onEscape } from '../components/inline';
import './billing.css';
import { fieldSetter, loadedFieldSetter } from '../lib/form';

export const BILLING_API = '/api/v1/billing';
/** A billing period's address (the cards below append to it). */
type PeriodPath = `${typeof BILLING_API}/periods/${string}`;

export const PHASES = ['project', 'operation', 'development', 'migration'] as const;
export type Phase = typeof PHASES[number];

/** The rule pack version that made a result. */
export interface PackRef { id?: number; name: string; version: string; sha256: string; valid_from: string }

export interface PeriodItem {
  id: number; code: string; starts_on: string; ends_on: string; costs_total: number; runs: number; row_version: number;
}
interface Address { name: string; street: string | null; building: string | null; postcode: string; town: string; country: string }
interface Cost { id: number; phase: Phase; amount: number; description: string }
interface PeriodMuni { bfs: number; name: string; tenant_id: number | null; tenant_name: string | null; population: number }
interface PeriodTenant {
  tenant_id: number; slug: string; name: string; language: Lang;
  dossiers: number; users: number; migrated_dossiers: number; address: Address | null;
}
interface RunItem { id: number; created_at: string; created_by: unknown; pack: PackRef; total: number; issued_at?: string | null }
interface Period {
  id: number; code: string; starts_on: string; ends_on: string; row_version: number;
  costs: Cost[]; municipalities: PeriodMuni[]; tenants: PeriodTenant[]; runs: RunItem[];
}
interface RunPhase {
  phase: Phase; total: number; canton: number; parties: number;
  key: { canton_percent: number; basis: string; level: string };
}
interface Share {
  phase: Phase; party: 'canton' | 'municipality' | 'tenant'; tenant_id?: number; bfs?: number; name?: string;
  amount: number; basis: { figure: string; value: number; of: number }; explain: { de: string; fr: string };
}
interface Invoice {
  tenant_id: number; name: string; language: Lang; amount: number;
  /** null while the canton has no creditor account. */
  reference: string | null; reference_type: string | null;
}
interface Run {
  id: number; period: { id: number; code: string; starts_on: string; ends_on: string };
  created_at: string; created_by: unknown; pack: PackRef; total: number;
  phases: RunPhase[]; shares: Share[]; invoices: Invoice[];
  /** When the canton issued the run's invoices to the social services; null: not yet. */
  issued_at: string | null; issued_by: number | null;
}
interface Creditor extends Address { iban: string; row_version: number }
/** A social service and the address its invoices go to (the QR-bill's debtor). */
interface AddressItem { tenant_id: number; slug: string; name: string; language: Lang; address: Address | null; row_version: number }

const TENANT_FIGURES = ['dossiers', 'users', 'migrated_dossiers'] as const;

/** "43'900", "43 900" or "43900" -> 43900; null when not a whole number >= 0. */
export function parseCount(s: string): number | null {
  const x = s.replace(/['’\s]/g, '');
  return /^\d{1,9}$/.test(x) ? Number(x) : null;
}

/** "01.01.2026 – 31.12.2026". */
export const periodRange = (p: { starts_on: string; ends_on: string }): string =>
  t('billing.range', { from: formatDate(p.starts_on), to: formatDate(p.ends_on) });

/** "cost-allocation 2024.1". */
export const packLabel = (p: PackRef): string => t('billing.pack_label', { name: p.name, version: p.version });

/** The first 12 hex digits of a SHA-256, the whole in the title. */
export function ShortSha({ sha }: { sha: string }) {
  return <code class="sha" title={sha}>{sha.slice(0, 12)}</code>;
}

/** Who made a run: the API names the user; the signed-in person is always known. */
function useWho(): (x: unknown) => string {
  const me = useApp().me.user;
  return (x) => (x === me.id || (x && typeof x === 'object' && (x as { id?: unknown }).id === me.id) ? me.display_name : who(x));
}

function who(x: unknown): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'number') return t('billing.user_id', { id: x });
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    for (const k of ['display_name', 'name', 'username'])
      if (typeof o[k] === 'string' && o[k]) return o[k] as string;
    if (typeof o.id === 'number') return t('billing.user_id', { id: o.id });
  }
  return '–';
}

/** "Sozialdienst Thun, Hofstettenstrasse 14, 3600 Thun". */
function addressText(a: Address): string {
  const street = [a.street, a.building].filter(Boolean).join(' ');
  return [a.name, street, `${a.postcode} ${a.town}`, a.country !== 'CH' ? a.country : ''].filter(Boolean).join(', ');
}

/** A QR reference in blocks of five from the right, a creditor reference (RF) in blocks of four. */
export function formatReference(ref: string | null, type: string | null): string {
  if (!ref) return '–';
  const s = ref.replace(/\s+/g, '');
  if (type === 'QRR' && /^\d{27}$/.test(s)) return `${s.slice(0, 2)} ${s.slice(2).replace(/(\d{5})(?=\d)/g, '$1 ')}`;
  if (type === 'SCOR' || /^RF/i.test(s)) return s.replace(/(.{4})(?=.)/g, '$1 ');
  return s;
}

export function BillingView({ parts }: { parts: string[] }) {
  const [a, b, ...rest] = parts;
  if (!a) return <PeriodsList />;
  if (a === 'creditor' && !b) return <CreditorEdit />;
  if (a === 'addresses' && !b) return <AddressesView />;
  if (a === 'p' && b && /^\d+$/.test(b) && !rest.length) return <PeriodView key={b} id={b} />;
  if (a === 'r' && b && /^\d+$/.test(b) && !rest.length) return <RunView key={b} id={b} />;
  return (
    <section>
      <PageTitle>{t('notfound.title')}</PageTitle>
      <p>{t('notfound.text')}</p>
      <p><a href="#/billing">{t('billing.title')}</a></p>
    </section>
  );
}

// ------------------------------------------------------------------ periods

function PeriodsList() {
  const list = useResource<{ items: PeriodItem[] }>(`${BILLING_API}/periods`);
  const items = [...(list.data?.items ?? [])].sort((x, y) => y.starts_on.localeCompare(x.starts_on) || y.id - x.id);
  return (
    <section class="billing">
      <div class="page-head">
        <PageTitle>{t('billing.title')}</PageTitle>
        <p class="head-links">
          <a class="btn btn-secondary" href="#/billing/creditor">{t('billing.creditor.title')}</a>
          <a class="btn btn-secondary" href="#/billing/addresses">{t('billing.addresses.title')}</a>
        </p>
      </div>
      <p class="lead">{t('billing.intro')}</p>
      {list.error ? <ErrorBox error={list.error} /> : null}
      {!list.data && !list.error ? <Loading /> : null}
      {list.data ? (
        items.length ? (
          <table class="table">
            <caption>{t('billing.periods')}</caption>
            <thead><tr>
              <th scope="col">{t('billing.period_code')}</th>
              <th scope="col">{t('billing.period_range')}</th>
              <th scope="col" class="num">{t('billing.costs_total')}</th>
              <th scope="col" class="num">{t('billing.runs_count')}</th>
            </tr></thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <th scope="row"><a href={href('billing', 'p', p.id)}>{p.code}</a></th>
                  <td>{periodRange(p)}</td>
                  <td class="num">{formatAmount(p.costs_total)}</td>
                  <td class="num">{formatInteger(p.runs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p>{t('billing.no_periods')}</p>
      ) : null}
      <NewPeriod />
    </section>
  );
}

function NewPeriod() {
  const [v, setV] = useState({ code: '', starts_on: '', ends_on: '' });
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    const code = v.code.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/.test(code)) fe.code = t('billing.code_rule');
    const from = parseDate(v.starts_on);
    const to = parseDate(v.ends_on);
    if (!from) fe.starts_on = t('form.date_rule');
    if (!to) fe.ends_on = t('form.date_rule');
    if (from && to && to < from) fe.ends_on = t('billing.end_before_start');
    setFormErr(null);
    if (!fieldsChecked(fe, setFieldErr, setFormErr)) return;
    setBusy(true);
    try {
      const r = await post<{ id: number }>(`${BILLING_API}/periods`, { code, starts_on: from, ends_on: to });
      navigate(href('billing', 'p', r.data.id) + '?created=1');
    } catch (x) {
      if (x instanceof ApiError && x.code === 'already_exists') {
        setFieldErr({ code: t('billing.code_taken') });
        setFormErr(formIncomplete(409));
      } else {
        const sp = splitError(x, ['code', 'starts_on', 'ends_on']);
        setFieldErr(sp.field); setFormErr(sp.form ?? formIncomplete());
      }
    } finally { setBusy(false); }
  }
  return (
    <form class="form card" onSubmit={submit} noValidate aria-labelledby="period-new-title">
      <h2 id="period-new-title">{t('billing.period_new')}</h2>
      <p>{t('billing.period_new_text')}</p>
      {formErr ? <ErrorBox error={formErr} /> : null}
      <Field label={t('billing.period_code')} hint={t('billing.code_hint')} value={v.code} onInput={set('code')} required
        error={fieldErr.code} name="code" spellcheck={false} class="field-short-text" />
      <Field label={t('billing.starts_on')} hint={t('form.date_hint')} value={v.starts_on} onInput={set('starts_on')} required
        error={fieldErr.starts_on} name="starts_on" class="field-short-text" />
      <Field label={t('billing.ends_on')} hint={t('form.date_hint')} value={v.ends_on} onInput={set('ends_on')} required
        error={fieldErr.ends_on} name="ends_on" class="field-short-text" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('billing.period_create')}</button>
      </div>
    </form>
  );
}

// ------------------------------------------------------------------ period

function PeriodView({ id }: { id: string }) {
  const path = `${BILLING_API}/periods/${id}` as const;
  const [p, setP] = useState<Period | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(() =>
    location.hash.includes('created=1') ? t('billing.period_created') : null);
  async function load() {
    try { const r = await get<Period>(path); setP(r.data); setEtag(r.etag); setLoadErr(null); } catch (e) { setLoadErr(e); }
  }
  useEffect(() => { void load(); }, [id]);
  if (loadErr && !p) return <section><PageTitle>{t('billing.title')}</PageTitle><ErrorBox error={loadErr} /></section>;
  if (!p) return <Loading />;
  return (
    <section class="billing">
      <p class="breadcrumb"><a href="#/billing">{t('billing.title')}</a></p>
      <PageTitle>{t('billing.period_title', { code: p.code })}</PageTitle>
      <p class="lead">{periodRange(p)}</p>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {loadErr ? <ErrorBox error={loadErr} /> : null}
      <CostsCard period={p} path={path} onChanged={async () => { setNote(null); await load(); }} />
      <FiguresCard period={p} path={path} etag={etag}
        onSaved={(np, et) => { setNote(null); setP(np); setEtag(et); }}
        onConflict={async () => {
          // Keep what was typed; take the current version so a second save is deliberate.
          try { setEtag((await get<Period>(path)).etag); } catch { /* the next save will tell */ }
        }} />
      <AllocateCard period={p} path={path} />
      <section class="card" aria-labelledby="runs-title">
        <h2 id="runs-title">{t('billing.runs')}</h2>
        {p.runs.length ? (
          <>
            <p>{t('billing.runs_text')}</p>
            <RunsTable runs={p.runs} caption={t('billing.runs_caption', { code: p.code })} />
          </>
        ) : <p>{t('billing.no_runs')}</p>}
      </section>
    </section>
  );
}

function CostsCard({ period, path, onChanged }: { period: Period; path: PeriodPath; onChanged: () => Promise<void> }) {
  const [v, setV] = useState({ phase: 'project' as string, description: '', amount: '' });
  const [note, setNote] = useState<string | null>(null);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [rmErr, setRmErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = fieldSetter(setV);
  const byPhase = (ph: Phase) => period.costs.filter((c) => c.phase === ph);
  const sum = (cs: Cost[]) => cs.reduce((s, c) => s + c.amount, 0);

  async function add(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    const description = v.description.trim();
    if (!description) fe.description = t('form.missing');
    else if (description.length > 200) fe.description = t('billing.description_rule');
    const amount = parseAmount(v.amount);
    if (amount === null || amount <= 0) fe.amount = t('billing.amount_rule');
    setFormErr(null); setRmErr(null); setNote(null);
    if (!fieldsChecked(fe, setFieldErr, setFormErr)) return;
    setBusy(true);
    try {
      await post(`${path}/costs`, { phase: v.phase, amount, description });
      setV({ ...v, description: '', amount: '' });
      await onChanged();
      setNote(t('billing.cost_added', { phase: label('billing.phase', v.phase), amount: formatAmount(amount) }));
    } catch (x) {
      const sp = splitError(x, ['phase', 'amount', 'description']);
      setFieldErr(sp.field); setFormErr(sp.form);
    } finally { setBusy(false); }
  }

  async function remove(c: Cost) {
    setRmErr(null); setFormErr(null); setNote(null);
    try {
      await del(`${path}/costs/${c.id}`);
      await onChanged();
      setNote(t('billing.cost_removed', { description: c.description }));
    } catch (x) { setRmErr(x); }
  }

  return (
    <section class="card" aria-labelledby="costs-title">
      <h2 id="costs-title">{t('billing.costs')}</h2>
      <p>{t('billing.costs_text')}</p>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {rmErr ? <ErrorBox error={rmErr} /> : null}
      <table class="table costs-table">
        <caption class="visually-hidden">{t('billing.costs_caption', { code: period.code })}</caption>
        <thead><tr>
          <th scope="col">{t('billing.phase_label')}</th>
          <th scope="col">{t('billing.description')}</th>
          <th scope="col" class="num">{t('billing.amount')}</th>
          <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
        </tr></thead>
        {PHASES.map((ph) => {
          const cs = byPhase(ph);
          const name = label('billing.phase', ph);
          const head = (n: number) => <th scope="rowgroup" rowSpan={n + 1} class="phase-head">{name}</th>;
          return (
            <tbody key={ph} class="phase-group">
              {cs.length ? cs.map((c, i) => (
                <tr key={c.id}>
                  {i === 0 ? head(cs.length) : null}
                  <td>{c.description}</td>
                  <td class="num">{formatAmount(c.amount)}</td>
                  <td>
                    <ConfirmButton label={t('billing.cost_remove')} variant="danger"
                      srSuffix={t('billing.cost_remove_sr', { phase: name, description: c.description })}
                      question={t('billing.cost_remove_q', { description: c.description, amount: formatAmount(c.amount) })}
                      confirmLabel={t('billing.cost_remove_yes')} onConfirm={() => remove(c)} />
                  </td>
                </tr>
              )) : <tr>{head(1)}<td colSpan={3} class="muted">{t('billing.no_costs_phase')}</td></tr>}
              <tr class="subtotal" data-phase={ph}>
                <th scope="row">{t('billing.phase_total', { phase: name })}</th>
                <td class="num">{formatAmount(sum(cs))}</td>
                <td />
              </tr>
            </tbody>
          );
        })}
        <tfoot>
          <tr class="grand-total">
            <th scope="row" colSpan={2}>{t('billing.costs_total')}</th>
            <td class="num">{formatAmount(sum(period.costs))}</td>
            <td />
          </tr>
        </tfoot>
      </table>
      <form class="cost-add" onSubmit={add} noValidate aria-labelledby="cost-add-title">
        <h3 id="cost-add-title">{t('billing.cost_add_title')}</h3>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <div class="row-fields">
          <SelectField label={t('billing.phase_label')} value={v.phase} onChange={set('phase')} error={fieldErr.phase}
            options={PHASES.map((ph) => ({ value: ph, label: label('billing.phase', ph) }))} />
          <Field label={t('billing.description')} value={v.description} onInput={set('description')} required
            error={fieldErr.description} name="description" maxLength={200} class="field-grow" />
          <Field label={t('billing.amount_chf')} hint={t('billing.amount_hint')} value={v.amount} onInput={set('amount')}
            required inputMode="text" error={fieldErr.amount} name="amount" class="field-amount" />
        </div>
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('billing.cost_add')}</button>
        </div>
      </form>
    </section>
  );
}

type FigureValues = Record<string, string>;
const muniKey = (bfs: number) => `m:${bfs}`;
const tenantKey = (id: number, f: string) => `t:${id}:${f}`;

function figureValues(p: Period): FigureValues {
  const v: FigureValues = {};
  for (const m of p.municipalities) v[muniKey(m.bfs)] = formatInteger(m.population);
  for (const x of p.tenants) for (const f of TENANT_FIGURES) v[tenantKey(x.tenant_id, f)] = formatInteger(x[f]);
  return v;
}

function FiguresCard({ period, path, etag, onSaved, onConflict }: {
  period: Period; path: PeriodPath; etag: string | null;
  onSaved: (p: Period, etag: string | null) => void; onConflict: () => Promise<void>;
}) {
  const [v, setV] = useState<FigureValues>(() => figureValues(period));
  const base = useRef<FigureValues>(v);
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A new load of the period (a cost added, figures saved) shows its
  // figures, except where the person has typed something not yet saved.
  useEffect(() => {
    const next = figureValues(period);
    const old = base.current;
    base.current = next;
    setV((cur) => {
      const out: FigureValues = { ...next };
      for (const k of Object.keys(next)) if (k in cur && cur[k] !== old[k]) out[k] = cur[k];
      return out;
    });
  }, [period]);
  const set = fieldSetter(setV);

  async function save(e: Event) {
    e.preventDefault();
    setNote(null); setFormErr(null);
    const fe: Record<string, string> = {};
    const munis: { bfs: number; population: number }[] = [];
    for (const m of period.municipalities) {
      const n = parseCount(v[muniKey(m.bfs)] ?? '');
      if (n === null) fe[muniKey(m.bfs)] = t('billing.count_rule');
      else if (n !== m.population) munis.push({ bfs: m.bfs, population: n });
    }
    const tenants: Record<string, number>[] = [];
    for (const x of period.tenants) {
      const row: Record<string, number> = { tenant_id: x.tenant_id };
      let changed = false;
      for (const f of TENANT_FIGURES) {
        const n = parseCount(v[tenantKey(x.tenant_id, f)] ?? '');
        if (n === null) fe[tenantKey(x.tenant_id, f)] = t('billing.count_rule');
        else { row[f] = n; if (n !== x[f]) changed = true; }
      }
      if (changed) tenants.push(row);
    }
    if (!fieldsChecked(fe, setErrs, setFormErr)) return;
    if (!munis.length && !tenants.length) { setNote(t('form.nothing_changed')); return; }
    const body: Record<string, unknown> = {};
    if (munis.length) body.municipalities = munis;
    if (tenants.length) body.tenants = tenants;
    setBusy(true);
    try {
      const r = await put<Period>(`${path}/figures`, body, etag);
      base.current = figureValues(r.data);
      setV(base.current);
      onSaved(r.data, r.etag);
      setNote(t('billing.figures_saved'));
    } catch (x) {
      // A refused entry (detail: field = the list, index = the entry) is marked at its cells.
      const i = x instanceof ApiError ? x.detail?.index : undefined;
      const keys = x instanceof ApiError && typeof i === 'number'
        ? x.field === 'municipalities' && munis[i] ? [muniKey(munis[i].bfs)]
          : x.field === 'tenants' && tenants[i]
            ? TENANT_FIGURES.map((f) => tenantKey(tenants[i].tenant_id, f)).filter((k) => v[k] !== base.current[k])
            : []
        : [];
      if (keys.length) {
        setErrs(Object.fromEntries(keys.map((k) => [k, fieldErrorText(x as ApiError)])));
        setFormErr(formIncomplete());
      } else setFormErr(x);
      if (x instanceof ApiError && x.status === 409) await onConflict();
    } finally { setBusy(false); }
  }

  // Social services and municipalities that came after the period was
  // made are added with the platform's figures; corrections stay.
  async function refresh() {
    setNote(null); setFormErr(null);
    setBusy(true);
    try {
      const r = await post<Period>(`${path}/figures/refresh`, undefined, { ifMatch: etag });
      onSaved(r.data, r.etag);
      setNote(t('billing.figures_refreshed'));
    } catch (x) {
      setFormErr(x);
      if (x instanceof ApiError && x.status === 409) await onConflict();
    } finally { setBusy(false); }
  }

  return (
    <form class="card figures" onSubmit={save} noValidate aria-labelledby="figures-title">
      <h2 id="figures-title">{t('billing.figures')}</h2>
      <p>{t('billing.figures_text')}</p>
      {note ? <Notice kind={note === t('billing.figures_saved') || note === t('billing.figures_refreshed') ? 'success' : 'info'}>{note}</Notice> : null}
      {formErr ? <ErrorBox error={formErr} /> : null}
      <table class="table">
        <caption>{t('billing.population_caption')}</caption>
        <thead><tr>
          <th scope="col">{t('billing.municipality')}</th>
          <th scope="col">{t('billing.bfs')}</th>
          <th scope="col">{t('billing.tenant')}</th>
          <th scope="col" class="num">{t('billing.population')}</th>
        </tr></thead>
        <tbody>
          {period.municipalities.map((m) => (
            <tr key={m.bfs}>
              <th scope="row">{m.name}</th>
              <td>{m.bfs}</td>
              <td>{m.tenant_name ?? <span class="muted">{t('billing.no_tenant')}</span>}</td>
              <td class="num">
                <Field label={t('billing.population_of', { name: m.name })} class="label-hidden cell-input"
                  value={v[muniKey(m.bfs)] ?? ''} onInput={set(muniKey(m.bfs))} inputMode="numeric"
                  error={errs[muniKey(m.bfs)]} name={`population-${m.bfs}`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {period.municipalities.length === 0 ? <p>{t('billing.no_municipalities')}</p> : null}
      <table class="table">
        <caption>{t('billing.tenant_caption')}</caption>
        <thead><tr>
          <th scope="col">{t('billing.tenant')}</th>
          {TENANT_FIGURES.map((f) => <th key={f} scope="col" class="num">{label('billing.figure', f)}</th>)}
          <th scope="col">{t('billing.invoice_address')}</th>
        </tr></thead>
        <tbody>
          {period.tenants.map((x) => (
            <tr key={x.tenant_id}>
              <th scope="row">{x.name}</th>
              {TENANT_FIGURES.map((f) => (
                <td key={f} class="num">
                  <Field label={t('billing.figure_of', { figure: label('billing.figure', f), name: x.name })}
                    class="label-hidden cell-input" value={v[tenantKey(x.tenant_id, f)] ?? ''}
                    onInput={set(tenantKey(x.tenant_id, f))} inputMode="numeric"
                    error={errs[tenantKey(x.tenant_id, f)]} name={`${f}-${x.tenant_id}`} />
                </td>
              ))}
              <td class="small">{x.address ? addressText(x.address) : <span class="muted">{t('billing.no_address')}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {period.tenants.length === 0 ? <p>{t('billing.no_tenants')}</p> : null}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('billing.figures_save')}</button>
        <button type="button" class="btn btn-secondary" disabled={busy} onClick={refresh}
          aria-describedby="figures-refresh-text">{t('billing.figures_refresh')}</button>
      </div>
      <p id="figures-refresh-text" class="hint">{t('billing.figures_refresh_text')}</p>
    </form>
  );
}

function AllocateCard({ period, path }: { period: Period; path: PeriodPath }) {
  const app = useApp();
  // The version that will split the costs (as of now: a new version may still be approved).
  const inForce = useResource<PackRef>(app.can('rules.evaluate')
    ? withQuery('/api/v1/rules/resolve', { name: 'cost-allocation', date: period.ends_on }) : null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function allocate() {
    setErr(null); setBusy(true);
    try {
      const r = await post<{ id: number }>(`${path}/allocate`);
      navigate(href('billing', 'r', r.data.id) + '?created=1');
    } catch (x) { setErr(x); setBusy(false); }
  }
  return (
    <section class="card" aria-labelledby="allocate-title">
      <h2 id="allocate-title">{t('billing.allocate_title')}</h2>
      <p>{t('billing.allocate_text', { date: formatDate(period.ends_on) })}</p>
      {inForce.data ? (
        <p class="in-force">
          {t('billing.in_force', { pack: packLabel(inForce.data), date: formatDate(inForce.data.valid_from) })}
          {' '}<ShortSha sha={inForce.data.sha256} />
        </p>
      ) : null}
      {inForce.error ? <Notice kind="warning">{errorText(inForce.error)}</Notice> : null}
      {period.costs.length === 0 ? <p class="muted">{t('billing.allocate_no_costs')}</p> : null}
      {err ? <ErrorBox error={err} /> : null}
      <button type="button" class="btn btn-primary" disabled={busy} onClick={allocate}>{t('billing.allocate')}</button>
    </section>
  );
}

/** The runs of a period, each with the pack version that made it. */
function RunsTable({ runs, caption, current }: { runs: RunItem[]; caption: string; current?: number }) {
  const who = useWho();
  // Numbered in the order they were made; the newest first.
  const nr = new Map([...runs].sort((a, b) => a.id - b.id).map((r, i) => [r.id, i + 1]));
  const sorted = [...runs].sort((a, b) => b.id - a.id);
  return (
    <table class="table runs-table">
      <caption class="visually-hidden">{caption}</caption>
      <thead><tr>
        <th scope="col">{t('billing.run')}</th>
        <th scope="col">{t('billing.created_by')}</th>
        <th scope="col">{t('billing.pack')}</th>
        <th scope="col">{t('billing.valid_from')}</th>
        <th scope="col">{t('billing.sha')}</th>
        <th scope="col" class="num">{t('billing.total')}</th>
      </tr></thead>
      <tbody>
        {sorted.map((r) => (
          <tr key={r.id} class={r.id === current ? 'current' : undefined}>
            <th scope="row">
              {r.id === current
                ? <span aria-current="page">{t('billing.run_at', { n: nr.get(r.id) ?? '', at: formatDateTime(r.created_at) })} <span class="badge badge-info">{t('billing.shown')}</span></span>
                : <a href={href('billing', 'r', r.id)}>{t('billing.run_at', { n: nr.get(r.id) ?? '', at: formatDateTime(r.created_at) })}</a>}
              {r.issued_at ? <span class="badge badge-ok">{t('billing.issued_badge', { at: formatDateTime(r.issued_at) })}</span> : null}
            </th>
            <td>{who(r.created_by)}</td>
            <td>{packLabel(r.pack)}</td>
            <td>{formatDate(r.pack.valid_from)}</td>
            <td><ShortSha sha={r.pack.sha256} /></td>
            <td class="num">{formatAmount(r.total)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ------------------------------------------------------------------ run

function shareBasis(s: Share): string {
  const b = s.basis;
  if (b.figure === 'percent') return t('billing.basis_percent', { value: formatInteger(b.value) });
  const figure = label('billing.figure', b.figure);
  if (!b.of) return t('billing.basis_zero', { figure });
  return t('billing.basis_of', { figure, value: formatInteger(b.value), of: formatInteger(b.of) });
}

function RunView({ id }: { id: string }) {
  const who = useWho();
  const run = useResource<Run>(`${BILLING_API}/runs/${id}`);
  const r = run.data;
  const [issueErr, setIssueErr] = useState<unknown>(null);
  const [issuedNow, setIssuedNow] = useState(false);
  useEffect(() => { if (issuedNow) document.getElementById('issued-note')?.focus(); }, [issuedNow]);
  const period = useResource<Period>(r ? `${BILLING_API}/periods/${r.period.id}` : null);
  const created = location.hash.includes('created=1');
  if (run.error) return <section><PageTitle>{t('billing.run_title_plain')}</PageTitle><ErrorBox error={run.error} /></section>;
  if (!r) return <Loading />;
  const tenantName = new Map<number, string>();
  for (const inv of r.invoices) tenantName.set(inv.tenant_id, inv.name);
  for (const s of r.shares) if (s.party === 'tenant' && s.tenant_id && s.name) tenantName.set(s.tenant_id, s.name);
  const l = lang();
  return (
    <section class="billing">
      <p class="breadcrumb">
        <a href="#/billing">{t('billing.title')}</a>{' › '}
        <a href={href('billing', 'p', r.period.id)}>{t('billing.period_title', { code: r.period.code })}</a>
      </p>
      <PageTitle>{t('billing.run_title', { code: r.period.code, at: formatDateTime(r.created_at) })}</PageTitle>
      {created ? <Notice kind="success">{t('billing.run_created')}</Notice> : null}
      <div class="card">
        <Facts items={[
          [t('billing.period'), `${r.period.code} (${periodRange(r.period)})`],
          [t('billing.created'), `${formatDateTime(r.created_at)}, ${who(r.created_by)}`],
          [t('billing.pack'), <span class="run-pack">{packLabel(r.pack)}</span>],
          [t('billing.valid_from'), formatDate(r.pack.valid_from)],
          [t('billing.sha_full'), <code class="hash">{r.pack.sha256}</code>],
          [t('billing.total'), <strong>{formatAmount(r.total)}</strong>],
        ]} />
        <p class="small">{t('billing.run_immutable')}</p>
        <p>
          <a class="btn btn-secondary" href={`${BILLING_API}/runs/${r.id}/allocation.csv`} download={`allocation-${r.period.code}-${r.id}.csv`}>
            {t('billing.csv')}
          </a>
        </p>
      </div>

      {r.phases.length === 0 ? <p>{t('billing.run_no_phases')}</p> : null}
      {r.phases.map((ph) => {
        const shares = r.shares.filter((s) => s.phase === ph.phase);
        const name = label('billing.phase', ph.phase);
        return (
          <section key={ph.phase} class="card run-phase" aria-labelledby={`ph-${ph.phase}`} data-phase={ph.phase}>
            <h2 id={`ph-${ph.phase}`}>{name}</h2>
            <p class="phase-key">{t('billing.key_text', {
              percent: formatInteger(ph.key.canton_percent),
              parties: label('billing.level', ph.key.level),
              basis: label('billing.key_basis', ph.key.basis),
            })}</p>
            <Facts items={[
              [t('billing.phase_total_short'), formatAmount(ph.total)],
              [t('billing.canton_part'), formatAmount(ph.canton)],
              [label('billing.parties', ph.key.level), formatAmount(ph.parties)],
            ]} />
            <table class="table shares-table">
              <caption>{t('billing.shares_caption', { phase: name })}</caption>
              <thead><tr>
                <th scope="col">{t('billing.party')}</th>
                <th scope="col">{t('billing.basis')}</th>
                <th scope="col" class="num">{t('billing.amount')}</th>
                <th scope="col">{t('billing.explain')}</th>
              </tr></thead>
              <tbody>
                {shares.map((s, i) => (
                  <tr key={`${s.party}-${s.tenant_id ?? 0}-${s.bfs ?? 0}-${i}`}>
                    <th scope="row">
                      {s.party === 'canton' ? t('billing.party_canton') : s.name}
                      {s.party === 'municipality' ? (
                        <span class="party-sub">{t('billing.party_muni_sub', {
                          bfs: s.bfs ?? '', tenant: (s.tenant_id && tenantName.get(s.tenant_id)) || '–',
                        })}</span>
                      ) : null}
                    </th>
                    <td>{shareBasis(s)}</td>
                    <td class="num">{formatAmount(s.amount)}</td>
                    <td class="explain">{s.explain[l] ?? s.explain.de}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row" colSpan={2}>{t('billing.phase_total', { phase: name })}</th>
                  <td class="num phase-sum">{formatAmount(ph.total)}</td>
                  <td />
                </tr>
              </tfoot>
            </table>
          </section>
        );
      })}

      <section class="card" aria-labelledby="invoices-title">
        <h2 id="invoices-title">{t('billing.invoices')}</h2>
        <p>{t('billing.invoices_text')}</p>
        {r.issued_at ? (
          <Notice kind={issuedNow ? 'success' : 'info'}>
            {/* After issuing, focus goes here: the button it replaces is gone. */}
            <span class="issued" id="issued-note" tabIndex={-1}>
              {issuedNow ? `${t('billing.issue_done')} ` : ''}
              {t('billing.issued', { at: formatDateTime(r.issued_at), who: who(r.issued_by) })}
            </span>
          </Notice>
        ) : r.invoices.length ? (
          <div class="issue">
            <p>{t('billing.not_issued')}</p>
            {issueErr ? <ErrorBox error={issueErr} /> : null}
            <ConfirmButton label={t('billing.issue')} question={t('billing.issue_q', { n: r.invoices.length })}
              confirmLabel={t('billing.issue_yes')} onConfirm={async () => {
                setIssueErr(null);
                try {
                  const res = await post<Run>(`${BILLING_API}/runs/${r.id}/issue`);
                  setIssuedNow(true);
                  run.setData(res.data);
                  period.reload(); // its list of runs shows which went out
                } catch (x) { setIssueErr(x); }
              }} />
          </div>
        ) : null}
        {r.invoices.some((x) => !x.reference) ? (
          <Notice kind="warning">{t('billing.no_creditor')} <a href="#/billing/creditor">{t('billing.creditor.title')}</a></Notice>
        ) : null}
        {r.invoices.length ? (
          <table class="table invoices-table">
            <caption class="visually-hidden">{t('billing.invoices')}</caption>
            <thead><tr>
              <th scope="col">{t('billing.tenant')}</th>
              <th scope="col">{t('billing.invoice_language')}</th>
              <th scope="col" class="num">{t('billing.amount')}</th>
              <th scope="col">{t('billing.reference')}</th>
              <th scope="col">{t('billing.invoice')}</th>
            </tr></thead>
            <tbody>
              {r.invoices.map((inv) => (
                <tr key={inv.tenant_id}>
                  <th scope="row">{inv.name}</th>
                  <td>{langName(inv.language)}</td>
                  <td class="num">{formatAmount(inv.amount)}</td>
                  <td><span class="reference">{formatReference(inv.reference, inv.reference_type)}</span></td>
                  <td>
                    <a href={`${BILLING_API}/runs/${r.id}/invoices/${inv.tenant_id}/pdf`} target="_blank" rel="noopener">
                      {t('billing.invoice_pdf')}<span class="visually-hidden"> – {t('billing.invoice_for', { name: inv.name })}</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={2}>{t('billing.invoices_total')}</th>
                <td class="num">{formatAmount(r.invoices.reduce((s, x) => s + x.amount, 0))}</td>
                <td colSpan={2} />
              </tr>
            </tfoot>
          </table>
        ) : <p>{t('billing.no_invoices')}</p>}
      </section>

      <section class="card" aria-labelledby="period-runs-title">
        <h2 id="period-runs-title">{t('billing.period_runs')}</h2>
        <p>{t('billing.period_runs_text')}</p>
        {period.error ? <ErrorBox error={period.error} /> : null}
        {period.data ? (
          <RunsTable runs={period.data.runs} current={r.id}
            caption={t('billing.runs_caption', { code: r.period.code })} />
        ) : !period.error ? <Loading /> : null}
      </section>
    </section>
  );
}

// ------------------------------------------------------------------ addresses

const ADDRESS_FIELDS = ['name', 'street', 'building', 'postcode', 'town', 'country'] as const;
type AddressForm = Record<typeof ADDRESS_FIELDS[number], string>;

const toAddressForm = (a: Address | null, name = ''): AddressForm => ({
  name: a?.name ?? name, street: a?.street ?? '', building: a?.building ?? '', postcode: a?.postcode ?? '',
  town: a?.town ?? '', country: a?.country ?? 'CH',
});

/** What is wrong in the form before it is sent: required parts and the country code. */
function checkAddress(v: AddressForm): Record<string, string> {
  const fe: Record<string, string> = {};
  for (const k of ['name', 'postcode', 'town'] as const) if (!v[k].trim()) fe[k] = t('form.missing');
  if (!/^[A-Za-z]{2}$/.test(v.country.trim())) fe.country = t('billing.creditor.country_rule');
  return fe;
}

/** The body of a PUT: trimmed, empty optional parts left out (null). */
const addressBody = (v: AddressForm): Record<string, string | null> => ({
  name: v.name.trim(), street: v.street.trim() || null, building: v.building.trim() || null,
  postcode: v.postcode.trim(), town: v.town.trim(), country: v.country.trim().toUpperCase(),
});

/**
 * The server's rule for QR-bill text (Swiss Payment Standards Latin set, as
 * ks_sps_allowed in core/formats/iso20022.c). Only used to name what the server
 * refused; the server alone decides.
 */
function qrAllowed(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0x17f && c !== 0xad) || c === 0x20ac || (c >= 0x218 && c <= 0x21b);
}

/** What to type instead of a character a QR-bill cannot carry, where there is an obvious one. */
function qrInstead(c: number): string | null {
  if ((c >= 0x2010 && c <= 0x2015) || c === 0x2212) return '-';
  if ((c >= 0x2018 && c <= 0x201b) || c === 0x2032) return "'";
  if ((c >= 0x201c && c <= 0x201f) || c === 0x2033) return '"';
  if (c === 0x2026) return '...';
  return null;
}

/** «–», or U+200B for a character that cannot be seen. */
const showChar = (ch: string): string =>
  /[\p{C}\p{Z}]/u.test(ch) ? `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : `«${ch}»`;

/**
 * The message for a refused address part. The server says only that a
 * character cannot go on a QR-bill; the form names which ones, and what
 * to type instead where that is obvious (a dash for a typographic dash).
 */
function qrFieldError(value: string): string | null {
  const bad = [...new Set([...value].filter((ch) => !qrAllowed(ch.codePointAt(0)!)))];
  if (!bad.length) return null;
  let msg = t('billing.address.qr_chars', { chars: bad.map(showChar).join(', ') });
  const swap = bad.find((ch) => qrInstead(ch.codePointAt(0)!) !== null);
  if (swap) msg += ' ' + t('billing.address.qr_instead', { bad: showChar(swap), good: `«${qrInstead(swap.codePointAt(0)!)}»` });
  return msg;
}

/** Split an error on an address form: a refused character is named at its field. */
function addressError(x: unknown, v: Record<string, string>, fields: readonly string[]): { field: Record<string, string>; form: unknown } {
  const sp = splitError(x, [...fields]);
  if (x instanceof ApiError && x.code === 'invalid_value' && x.field && x.field in sp.field) {
    const named = qrFieldError(v[x.field] ?? '');
    if (named) sp.field[x.field] = named;
  }
  // The fields say what is wrong; the box above them points there.
  return Object.keys(sp.field).length ? { field: sp.field, form: formIncomplete() } : sp;
}

/** Name, street, building number, postcode, town, country: the parts of a QR-bill address. */
function AddressFields({ v, set, errors }: {
  v: AddressForm; set: (k: keyof AddressForm) => (x: string) => void; errors: Record<string, string>;
}) {
  return (
    <>
      <Field label={t('billing.creditor.name')} value={v.name} onInput={set('name')} required error={errors.name} name="name" maxLength={70} />
      <Field label={t('billing.creditor.street')} value={v.street} onInput={set('street')} error={errors.street} name="street" maxLength={70} />
      <Field label={t('billing.creditor.building')} value={v.building} onInput={set('building')} error={errors.building} name="building" maxLength={16} class="field-short" />
      <Field label={t('billing.creditor.postcode')} value={v.postcode} onInput={set('postcode')} required error={errors.postcode} name="postcode" maxLength={16} class="field-short" />
      <Field label={t('billing.creditor.town')} value={v.town} onInput={set('town')} required error={errors.town} name="town" maxLength={35} />
      <Field label={t('billing.creditor.country')} hint={t('billing.creditor.country_hint')} value={v.country} onInput={set('country')} required
        error={errors.country} name="country" maxLength={2} class="field-short" />
    </>
  );
}

/** The social services and the addresses their invoices go to; one is edited at a time, under its row. */
function AddressesView() {
  const list = useResource<{ items: AddressItem[] }>(`${BILLING_API}/addresses`);
  const [editing, setEditing] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const buttons = useRef(new Map<number, HTMLButtonElement>());
  const back = useRef<number | null>(null);
  // Focus goes back to the row's button when its form closes.
  useEffect(() => {
    if (editing === null && back.current !== null) { buttons.current.get(back.current)?.focus(); back.current = null; }
  }, [editing]);
  const close = (id: number) => { back.current = id; setEditing(null); };
  const items = list.data?.items ?? [];
  return (
    <section class="billing addresses">
      <p class="breadcrumb"><a href="#/billing">{t('billing.title')}</a></p>
      <PageTitle>{t('billing.addresses.title')}</PageTitle>
      <p>{t('billing.addresses.text')}</p>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {list.error ? <ErrorBox error={list.error} /> : null}
      {!list.data && !list.error ? <Loading /> : null}
      {list.data ? (
        items.length ? (
          <table class="table addresses-table">
            <caption class="visually-hidden">{t('billing.addresses.caption')}</caption>
            <thead><tr>
              <th scope="col">{t('billing.tenant')}</th>
              <th scope="col">{t('billing.addresses.language')}</th>
              <th scope="col">{t('billing.invoice_address')}</th>
              <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
            </tr></thead>
            <tbody>
              {items.map((x) => {
                const open = editing === x.tenant_id;
                const formId = `address-form-${x.tenant_id}`;
                return [
                  <tr key={x.tenant_id} data-tenant={x.slug} class={open ? 'current' : undefined}>
                    <th scope="row">{x.name}</th>
                    <td>{langName(x.language)}</td>
                    <td class="address">
                      {x.address ? addressText(x.address) : <span class="no-address">{t('billing.addresses.none')}</span>}
                    </td>
                    <td>
                      <button type="button" class="btn btn-secondary" aria-expanded={open ? 'true' : 'false'}
                        aria-controls={open ? formId : undefined}
                        ref={(el) => { if (el) buttons.current.set(x.tenant_id, el); else buttons.current.delete(x.tenant_id); }}
                        onClick={() => { if (open) close(x.tenant_id); else { setNote(null); setEditing(x.tenant_id); } }}>
                        {x.address ? t('billing.addresses.edit') : t('billing.addresses.add')}
                        <span class="visually-hidden"> – {x.name}</span>
                      </button>
                    </td>
                  </tr>,
                  open ? (
                    <tr key={`${x.tenant_id}-edit`} class="address-edit">
                      <td colSpan={4} {...onEscape(() => close(x.tenant_id))}>
                        <AddressEdit id={formId} item={x} onCancel={() => close(x.tenant_id)}
                          onSaved={(a, version) => {
                            list.setData({ items: items.map((y) => (y.tenant_id === x.tenant_id ? { ...y, address: a, row_version: version } : y)) });
                            setNote(t('billing.addresses.saved', { name: x.name }));
                            close(x.tenant_id);
                          }} />
                      </td>
                    </tr>
                  ) : null,
                ];
              })}
            </tbody>
          </table>
        ) : <p>{t('billing.addresses.no_tenants')}</p>
      ) : null}
    </section>
  );
}

function AddressEdit({ id, item, onSaved, onCancel }: {
  id: string; item: AddressItem; onSaved: (a: Address, version: number) => void; onCancel: () => void;
}) {
  const [v, setV] = useState<AddressForm>(() => toAddressForm(item.address, item.name));
  // The version the form was opened on; after a conflict the current one,
  // so that saving again is a deliberate overwrite.
  const [version, setVersion] = useState(item.row_version);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const head = useRef<HTMLHeadingElement>(null);
  const titleId = useId();
  useEffect(() => { head.current?.focus(); }, []);
  const set = fieldSetter(setV);

  async function save(e: Event) {
    e.preventDefault();
    const fe = checkAddress(v);
    setFormErr(null);
    if (!fieldsChecked(fe, setFieldErr, setFormErr)) return;
    setBusy(true);
    try {
      const r = await put<Address>(`${BILLING_API}/addresses/${item.tenant_id}`, addressBody(v), etagOf(version));
      const a = r.data;
      onSaved({ name: a.name, street: a.street ?? null, building: a.building ?? null, postcode: a.postcode, town: a.town, country: a.country },
        (a as Address & { row_version: number }).row_version);
    } catch (x) {
      if (x instanceof ApiError && x.status === 409) {
        setFormErr(x);
        try {
          const l = await get<{ items: AddressItem[] }>(`${BILLING_API}/addresses`);
          const now = l.data.items.find((i) => i.tenant_id === item.tenant_id);
          if (now) setVersion(now.row_version);
        } catch { /* the next save will tell */ }
      } else {
        const sp = addressError(x, v, ADDRESS_FIELDS);
        setFieldErr(sp.field); setFormErr(sp.form);
      }
      setBusy(false);
    }
  }

  return (
    <form id={id} class="form address-form" onSubmit={save} noValidate aria-labelledby={titleId}>
      <h2 id={titleId} tabIndex={-1} ref={head}>{t('billing.addresses.form_title', { name: item.name })}</h2>
      <p class="small">{t('billing.addresses.form_text')}</p>
      {formErr ? <ErrorBox error={formErr} /> : null}
      <AddressFields v={v} set={set} errors={fieldErr} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('form.save')}</button>
        <button type="button" class="btn btn-secondary" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

// ------------------------------------------------------------------ creditor

type CreditorForm = AddressForm & { iban: string };
const CREDITOR_FIELDS = [...ADDRESS_FIELDS, 'iban'] as const;
const emptyCreditor: CreditorForm = { ...toAddressForm(null), iban: '' };
const toCreditorForm = (c: Creditor): CreditorForm => ({
  ...toAddressForm(c), iban: (c.iban ?? '').replace(/(.{4})(?=.)/g, '$1 '),
});

function CreditorEdit() {
  const f = useEtagForm<Creditor, CreditorForm>(`${BILLING_API}/creditor`, (c) => (c ? toCreditorForm(c) : { ...emptyCreditor }));
  const { v, fieldErr } = f;
  if (f.loadErr) return <section><PageTitle>{t('billing.creditor.title')}</PageTitle><ErrorBox error={f.loadErr} /></section>;
  if (!v) return <Loading />;
  const set = loadedFieldSetter(f.setV);

  function save(e: Event) {
    e.preventDefault();
    if (!v) return;
    const fe = checkAddress(v);
    const iban = v.iban.replace(/\s+/g, '').toUpperCase();
    if (!/^(CH|LI)[0-9]{2}[0-9A-Z]{17}$/.test(iban)) fe.iban = t('billing.creditor.iban_rule');
    void f.save(fe, () => ({ ...addressBody(v), iban }), (x) => addressError(x, v, CREDITOR_FIELDS));
  }

  return (
    <section class="billing">
      <p class="breadcrumb"><a href="#/billing">{t('billing.title')}</a></p>
      <PageTitle>{t('billing.creditor.title')}</PageTitle>
      <p>{t('billing.creditor.text')}</p>
      {f.note ? <Notice kind="success">{f.note}</Notice> : null}
      <form class="form card" onSubmit={save} noValidate>
        {f.formErr ? <ErrorBox error={f.formErr} /> : null}
        <AddressFields v={v} set={set} errors={fieldErr} />
        <Field label={t('billing.creditor.iban')} hint={t('billing.creditor.iban_hint')} value={v.iban} onInput={set('iban')} required
          error={fieldErr.iban} name="iban" spellcheck={false} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={f.busy}>{t('form.save')}</button>
          <a class="btn btn-secondary" href="#/billing">{t('common.cancel')}</a>
        </div>
      </form>
    </section>
  );
}
