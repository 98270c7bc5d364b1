// Editing a versioned record: the values as loaded (base), what the person
// typed (values), the ETag to send as If-Match, and after a 409 the record
// as it is now (conflict). Nothing typed is ever thrown away without the
// person choosing to.
import { useState } from 'preact/hooks';

export type FormValue = string | boolean | string[];
export type FormValues = Record<string, FormValue>;

export const same = (a: FormValue | undefined, b: FormValue | undefined): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

export interface EditState<V extends FormValues> {
  base: V;
  values: V;
  etag: string | null;
  conflict: { current: V; etag: string | null } | null;
}

/** Fields the person changed relative to what they started from. */
export function changedFields<V extends FormValues>(s: EditState<V>): (keyof V)[] {
  return (Object.keys(s.values) as (keyof V)[]).filter((k) => !same(s.values[k], s.base[k]));
}

/**
 * After a conflict: start from the current record and put the person's own
 * changes on top of it (the fields they did not touch take the new values).
 */
export function reapply<V extends FormValues>(s: EditState<V>): EditState<V> {
  if (!s.conflict) return s;
  const cur = s.conflict.current;
  const values = { ...cur };
  for (const k of changedFields(s)) values[k] = s.values[k];
  return { base: cur, values, etag: s.conflict.etag, conflict: null };
}

/** After a conflict: drop own changes and take the current record. */
export function discard<V extends FormValues>(s: EditState<V>): EditState<V> {
  if (!s.conflict) return s;
  return { base: s.conflict.current, values: s.conflict.current, etag: s.conflict.etag, conflict: null };
}

export function useEdit<V extends FormValues>() {
  const [state, setState] = useState<EditState<V> | null>(null);
  return {
    state,
    load: (values: V, etag: string | null) => setState({ base: values, values, etag, conflict: null }),
    set: <K extends keyof V>(k: K, v: V[K]) =>
      setState((s) => (s ? { ...s, values: { ...s.values, [k]: v } } : s)),
    setConflict: (current: V, etag: string | null) =>
      setState((s) => (s ? { ...s, conflict: { current, etag } } : s)),
    setEtag: (etag: string | null) => setState((s) => (s ? { ...s, etag } : s)),
    reapply: () => setState((s) => (s ? reapply(s) : s)),
    discard: () => setState((s) => (s ? discard(s) : s)),
  };
}
