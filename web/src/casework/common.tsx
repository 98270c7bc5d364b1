// Shared pieces of the casework screens: the module whose screens are
// shown (a context), its navigation, state badges, debounced values, date
// and amount fields, progress.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useId, useState } from 'preact/hooks';
import { t, tOpt, label } from '../i18n';
import { useApp } from '../ctx';
import { href } from '../router';
import { Badge, Field } from '../components/ui';
import { formatAmount, formatDate, parseAmount, parseDate } from '../lib/format';
import type { ModuleContribution } from '../modules/types';
import { vocabText } from './vocabulary';
import { stateTone } from './state-tone';

/** The module whose screens are shown (modules/index.tsx provides it). */
export const ModuleContext = createContext<ModuleContribution>({ code: '', casework: false });
export const useModule = (): ModuleContribution => useContext(ModuleContext);
/** Every enabled module with screens (modules/index.tsx provides it). */
export const EnabledModules = createContext<ModuleContribution[]>([]);

/** #/m/<module>/<parts…> */
export const modHref = (module: string, ...parts: (string | number)[]) => href('m', module, ...parts);
/** modHref for the module whose screens are shown. */
export function useHref(): (...parts: (string | number)[]) => string {
  const m = useModule().code;
  return (...parts) => modHref(m, ...parts);
}

/** The module's sections: the casework ones, its own, then the payment
 *  runs (casework's, shared by every module), by permission. */
export function ModuleNav({ current }: { current: string }) {
  const app = useApp();
  const mod = useModule();
  const h = useHref();
  const items: [string, string, boolean][] = [
    ['', tOpt(`${mod.code}.nav.worklist`) ?? t('casework.nav.worklist', { module: label('module', mod.code) }), app.can('case.read')],
    ['persons', t('casework.nav.persons'), app.can('person.read')],
    ['cases', t('casework.nav.cases'), app.can('case.read')],
    ...(mod.nav ?? []).map((n): [string, string, boolean] => [n.path, n.label(), n.visible(app)]),
    ['payments', t('casework.nav.payments'), app.can('payment.run') || app.can('payment.approve')],
  ];
  return (
    <nav class="subnav" aria-label={tOpt(`${mod.code}.nav.label`) ?? label('module', mod.code)}>
      <ul>
        {items.filter((i) => i[2]).map(([p, l]) => (
          <li key={p}>
            <a href={p ? h(p) : h()} aria-current={current === p ? 'page' : undefined}
              class={current === p ? 'active' : undefined}>{l}</a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** A dossier's state in the words and colours of its module
 *  (<module>.state.<code>; ModuleContribution.stateTones, else the order of
 *  its states): of the module shown, or of the one a row names. */
export function StateBadge({ state, module }: { state: string; module?: string }) {
  const cur = useModule();
  const code = module ?? cur.code;
  const kind = useContext(EnabledModules).find((m) => m.code === code) ?? (code === cur.code ? cur : {});
  return <Badge kind={stateTone(kind, state)}>{label(`${code}.state`, state)}</Badge>;
}

/** value, but only after it stopped changing for ms. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [JSON.stringify(value), ms]);
  return v;
}

/** A date typed as dd.mm.yyyy (ISO kept in the caller's state as typed text). */
export function DateField(p: { label: string; value: string; onInput: (v: string) => void; error?: string | null; required?: boolean; hint?: string; name?: string }) {
  return <Field label={p.label} value={p.value} onInput={p.onInput} error={p.error} required={p.required}
    hint={p.hint ?? t('form.date_hint')} name={p.name} inputMode="text" autocomplete="off" />;
}

export function AmountField(p: { label: string; value: string; onInput: (v: string) => void; error?: string | null; required?: boolean; hint?: string; name?: string }) {
  return <Field label={p.label} value={p.value} onInput={p.onInput} error={p.error} required={p.required}
    hint={p.hint ?? t('casework.amount_hint')} name={p.name} inputMode="text" class="field-amount" />;
}

/** Check a date field: ISO date, or an error text. */
export function checkDate(text: string, required: boolean): { iso: string | null; error: string | null } {
  if (!text.trim()) return { iso: null, error: required ? t('form.missing') : null };
  const iso = parseDate(text);
  return iso ? { iso, error: null } : { iso: null, error: t('form.date_rule') };
}

export function checkAmount(text: string, required: boolean): { rappen: number | null; error: string | null } {
  if (!text.trim()) return { rappen: required ? null : 0, error: required ? t('form.missing') : null };
  const r = parseAmount(text);
  return r === null || r < 0 ? { rappen: null, error: t('casework.amount_rule') } : { rappen: r, error: null };
}

export const amountText = (rappen: number | null | undefined): string =>
  rappen === null || rappen === undefined ? '' : formatAmount(rappen, false);

/** A labelled progress bar (upload/download) with the percentage as text. */
export function ProgressBar({ label: l, done, total }: { label: string; done: number; total: number | null }) {
  const id = useId();
  const pct = total ? Math.min(100, Math.round((done / total) * 100)) : null;
  return (
    <div class="progress-row">
      <label for={id}>{l}</label>{' '}
      {pct === null
        ? <progress id={id} />
        : <progress id={id} max={100} value={pct}>{pct} %</progress>}
      <span class="muted"> {pct === null ? t('casework.progress_bytes', { kb: Math.round(done / 1024) }) : `${pct} %`}</span>
    </div>
  );
}

/** A card with its heading (h2) linked for assistive technology. */
export function Section({ id, title, children, actions }: { id: string; title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={id}>
      <div class="card-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export const dateOrDash = (d: string | null | undefined) => (d ? formatDate(d) : '–');

/** What a deadline asks for: a kind with words (its module's, see
 *  vocabulary.ts) in the reader's language, any other as written. */
export function deadlineText(d: { kind: string; text: string }, module?: string): string {
  return vocabText('deadline_kind', d.kind, module) ?? d.text;
}
export const codeLabel = (group: string, code: string) => tOpt(`${group}.${code}`) ?? code;

/** Save a blob as a file (the browser's download). */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
