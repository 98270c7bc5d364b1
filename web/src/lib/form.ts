// A form's values in one state object, and each field's input handler.
// A handler writes into the values as they are when the update runs (a
// functional update), not into the copy the form rendered with: two
// inputs in one task (a browser's autofill, a test filling two fields)
// both land, where the second would otherwise put the first one back.
import type { Dispatch, StateUpdater } from 'preact/hooks';

export type SetValues<T> = Dispatch<StateUpdater<T>>;

/** set(k) is the input handler of field k. */
export function fieldSetter<T extends object>(setV: SetValues<T>) {
  return <K extends keyof T>(k: K) => (x: T[K]) => setV((o) => ({ ...o, [k]: x }));
}

/** The same for values not loaded yet (null): input before the load is dropped. */
export function loadedFieldSetter<T extends object>(setV: SetValues<T | null>) {
  return <K extends keyof T>(k: K) => (x: T[K]) => setV((o) => (o && { ...o, [k]: x }));
}

