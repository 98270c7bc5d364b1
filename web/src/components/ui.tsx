// Small accessible building blocks: labelled fields with hints and errors,
// alerts, headings that take focus on a new screen, pagers, confirmations.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { onEscape } from './inline';
import { t, errorText } from '../i18n';
import type { PagedList } from '../lib/hooks';

export const inputValue = (e: Event): string => (e.currentTarget as HTMLInputElement).value;
export const inputChecked = (e: Event): boolean => (e.currentTarget as HTMLInputElement).checked;

/**
 * The screen's heading; takes focus when the screen opens so screen readers
 * announce it. In a layout effect, i.e. in the same task as the render: with
 * a plain effect (run after the next paint) the heading was on screen but
 * not yet focused, and whatever a quick person (or a test) focused in that
 * moment lost the focus to it a frame later.
 */
export function PageTitle({ children, focus = true }: { children: ComponentChildren; focus?: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => {
    if (focus) ref.current?.focus({ preventScroll: false });
  }, []);
  useEffect(() => {
    const text = ref.current?.textContent;
    if (text) document.title = `${text} – Kasus`;
  });
  return <h1 tabIndex={-1} ref={ref} class="page-title">{children}</h1>;
}

interface FieldProps {
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: 'text' | 'password' | 'email' | 'number' | 'search';
  hint?: string;
  error?: string | null;
  required?: boolean;
  autocomplete?: string;
  inputMode?: 'numeric' | 'text' | 'email';
  name?: string;
  readOnly?: boolean;
  maxLength?: number;
  class?: string;
  inputRef?: { current: HTMLInputElement | null };
  spellcheck?: boolean;
}

export function Field(p: FieldProps) {
  const id = useId();
  const hintId = p.hint ? `${id}-hint` : undefined;
  const errId = p.error ? `${id}-err` : undefined;
  const described = [hintId, errId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${p.error ? ' field-invalid' : ''}${p.class ? ' ' + p.class : ''}`}>
      <label for={id}>
        {p.label}
        {p.required ? <span class="req"> {t('form.required_mark')}</span> : null}
      </label>
      {p.hint ? <p id={hintId} class="hint">{p.hint}</p> : null}
      <input
        id={id}
        ref={p.inputRef}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value}
        onInput={(e) => p.onInput(inputValue(e))}
        required={p.required}
        aria-required={p.required ? 'true' : undefined}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={described}
        autocomplete={p.autocomplete ?? 'off'}
        inputMode={p.inputMode}
        readOnly={p.readOnly}
        maxLength={p.maxLength}
        spellcheck={p.spellcheck}
      />
      {p.error ? <p id={errId} class="field-error">{p.error}</p> : null}
    </div>
  );
}

/** A labelled text area; with code, for code or JSON (monospace, no spell checking). */
export function TextArea(p: {
  label: string; value: string; onInput: (v: string) => void; hint?: string; error?: string | null; rows?: number;
  code?: boolean; readOnly?: boolean; name?: string;
}) {
  const id = useId();
  const hintId = p.hint ? `${id}-hint` : undefined;
  const errId = p.error ? `${id}-err` : undefined;
  return (
    <div class={`field${p.error ? ' field-invalid' : ''}`}>
      <label for={id}>{p.label}</label>
      {p.hint ? <p id={hintId} class="hint">{p.hint}</p> : null}
      <textarea id={id} name={p.name} class={p.code ? 'code-input' : undefined} rows={p.rows ?? (p.code ? 6 : 3)}
        value={p.value} readOnly={p.readOnly}
        spellcheck={p.code ? false : undefined} autocomplete={p.code ? 'off' : undefined}
        onInput={(e) => p.onInput((e.currentTarget as HTMLTextAreaElement).value)}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={[hintId, errId].filter(Boolean).join(' ') || undefined} />
      {p.error ? <p id={errId} class="field-error">{p.error}</p> : null}
    </div>
  );
}

export function SelectField(p: {
  label: string; value: string; onChange: (v: string) => void;
  options: { value: string; label: string }[]; hint?: string; error?: string | null; required?: boolean;
}) {
  const id = useId();
  const hintId = p.hint ? `${id}-hint` : undefined;
  const errId = p.error ? `${id}-err` : undefined;
  return (
    <div class={`field${p.error ? ' field-invalid' : ''}`}>
      <label for={id}>{p.label}</label>
      {p.hint ? <p id={hintId} class="hint">{p.hint}</p> : null}
      <select id={id} value={p.value} onChange={(e) => p.onChange((e.currentTarget as HTMLSelectElement).value)}
        aria-invalid={p.error ? 'true' : undefined} required={p.required}
        aria-describedby={[hintId, errId].filter(Boolean).join(' ') || undefined}>
        {p.options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
      {p.error ? <p id={errId} class="field-error">{p.error}</p> : null}
    </div>
  );
}

export function CheckboxField(p: { label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string; error?: string | null }) {
  const id = useId();
  const hintId = p.hint ? `${id}-hint` : undefined;
  return (
    <div class="field field-check">
      <input id={id} type="checkbox" checked={p.checked} onChange={(e) => p.onChange(inputChecked(e))}
        aria-describedby={hintId} />
      <label for={id}>{p.label}</label>
      {p.hint ? <p id={hintId} class="hint">{p.hint}</p> : null}
      {p.error ? <p class="field-error">{p.error}</p> : null}
    </div>
  );
}

/** A group of checkboxes in a fieldset (roles, permissions). */
export function CheckboxGroup(p: {
  legend: string; options: { value: string; label: string; hint?: string }[];
  selected: string[]; onChange: (v: string[]) => void; hint?: string; error?: string | null;
}) {
  const id = useId();
  const toggle = (v: string, on: boolean) => {
    const s = new Set(p.selected);
    if (on) s.add(v); else s.delete(v);
    p.onChange(p.options.map((o) => o.value).filter((x) => s.has(x)));
  };
  return (
    <fieldset class={`field checkgroup${p.error ? ' field-invalid' : ''}`}
      aria-describedby={p.hint ? `${id}-hint` : undefined}>
      <legend>{p.legend}</legend>
      {p.hint ? <p id={`${id}-hint`} class="hint">{p.hint}</p> : null}
      {p.options.map((o, i) => (
        <div class="check" key={o.value}>
          <input id={`${id}-${i}`} type="checkbox" checked={p.selected.includes(o.value)}
            onChange={(e) => toggle(o.value, inputChecked(e))} value={o.value} />
          <label for={`${id}-${i}`}>{o.label}{o.hint ? <span class="check-hint"> – {o.hint}</span> : null}</label>
        </div>
      ))}
      {p.error ? <p class="field-error">{p.error}</p> : null}
    </fieldset>
  );
}

/** An error box: announced at once, with the API's request id for support. */
export function ErrorBox({ error, children }: { error?: unknown; children?: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => { ref.current?.focus(); }, [error]);
  if (!error && !children) return null;
  const rid = (error as { requestId?: string } | undefined)?.requestId;
  return (
    <div class="alert alert-error" role="alert" tabIndex={-1} ref={ref}>
      <p>{children ?? errorText(error)}</p>
      {rid ? <p class="small">{t('error.request_id', { id: rid })}</p> : null}
    </div>
  );
}

export function Notice({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'success' | 'warning' }) {
  return <div class={`alert alert-${kind}`} role="status">{children}</div>;
}

export function Loading() {
  return <p class="loading" role="status">{t('common.loading')}</p>;
}

/**
 * A button that asks before it acts: the first press shows the question and
 * a confirm/cancel pair (focus moves to the confirm button).
 */
export function ConfirmButton(p: {
  label: string; question: string; confirmLabel: string; onConfirm: () => Promise<void> | void;
  variant?: 'secondary' | 'danger';
  /** Said only to screen readers after the label (which record), e.g. "– Token «x»". */
  srSuffix?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    // Focus follows the question, and back to the button after it.
    if (asking) { asked.current = true; yes.current?.focus(); } else if (asked.current) opener.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <button type="button" ref={opener} class={`btn btn-${p.variant ?? 'secondary'}`} onClick={() => setAsking(true)}>
        {p.label}{p.srSuffix ? <span class="visually-hidden"> {p.srSuffix}</span> : null}
      </button>
    );
  return (
    <div class="confirm" role="group" aria-label={p.label} {...onEscape(() => { if (!busy) setAsking(false); })}>
      <p>{p.question}</p>
      <button type="button" ref={yes} class={`btn btn-${p.variant ?? 'primary'}`} disabled={busy}
        onClick={async () => {
          setBusy(true);
          try { await p.onConfirm(); } finally { setBusy(false); setAsking(false); }
        }}>{p.confirmLabel}</button>{' '}
      <button type="button" class="btn btn-secondary" onClick={() => { setAsking(false); }}>{t('common.cancel')}</button>
    </div>
  );
}

/** Previous/next over a cursor-paged list; the caller keeps the cursor stack. */
export function Pager(p: {
  page: number; hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void; label: string; busy?: boolean;
}) {
  if (!p.hasPrev && !p.hasNext) return null;
  // aria-disabled rather than disabled: a focused button must keep focus.
  return (
    <nav class="pager" aria-label={p.label} aria-busy={p.busy ? 'true' : undefined}>
      <button type="button" class="btn btn-secondary" aria-disabled={!p.hasPrev || p.busy ? 'true' : undefined}
        onClick={() => { if (p.hasPrev) p.onPrev(); }}>{t('pager.prev')}</button>
      <span class="pager-page">{t('pager.page', { n: p.page })}</span>
      <button type="button" class="btn btn-secondary" aria-disabled={!p.hasNext || p.busy ? 'true' : undefined}
        onClick={() => { if (p.hasNext) p.onNext(); }}>{t('pager.next')}</button>
    </nav>
  );
}

/** The pager of a list from usePagedList (lib/hooks.ts). */
export function ListPager({ label, list }: {
  label: string;
  list: { page: number; hasPrev: boolean; hasNext: boolean; prev: () => void; next: () => void; loading: boolean };
}) {
  return <Pager label={label} page={list.page} hasPrev={list.hasPrev} hasNext={list.hasNext}
    onPrev={list.prev} onNext={list.next} busy={list.loading} />;
}

/**
 * A paged list as a table: the list's error or loading, then the table
 * (its name as a caption for screen readers, the head's cells, a row per
 * item) or, with no items, the empty text; the pager below.
 */
export function PagedTable<T>(p: {
  list: PagedList<T>; caption: string; pager: string; head: ComponentChildren;
  row: (x: T) => ComponentChildren; empty: ComponentChildren; id?: string; testid?: string;
}) {
  const { list } = p;
  return (
    <>
      {list.error ? <ErrorBox error={list.error} /> : !list.loaded ? <Loading /> : !list.items.length ? <p>{p.empty}</p> : (
        <table class="table" id={p.id} data-testid={p.testid}>
          <caption class="visually-hidden">{p.caption}</caption>
          <thead><tr>{p.head}</tr></thead>
          <tbody>{list.items.map(p.row)}</tbody>
        </table>
      )}
      <ListPager label={p.pager} list={list} />
    </>
  );
}

export function Badge({ kind, children }: { kind: 'ok' | 'off' | 'warn' | 'info'; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

/**
 * A wide table's horizontal scroll box: focusable and named (a group,
 * not a landmark: its name is often its section's), so that a
 * keyboard user can scroll it (axe: scrollable-region-focusable; a table
 * of amounts without links overflows on a narrow screen).
 */
export function ScrollTable({ label, children }: { label: string; children: ComponentChildren }) {
  return <div class="table-scroll" role="group" aria-label={label} tabIndex={0}>{children}</div>;
}

/** A definition list of label/value pairs. */
export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([k, v]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{v}</dd>])}
    </dl>
  );
}
