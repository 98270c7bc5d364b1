import { useCallback, useEffect, useState } from 'preact/hooks';

/** Fired after the same person signed in again over an expired session. */
export const REAUTH_EVENT = 'kasus:reauth';

/** Run fn after a new sign-in if the screen is showing a load error. */
export function useRetryAfterReauth(error: unknown, retry: () => void) {
  useEffect(() => {
    if (!error) return;
    window.addEventListener(REAUTH_EVENT, retry);
    return () => window.removeEventListener(REAUTH_EVENT, retry);
  }, [error]);
}
import { get, withQuery, type ApiPath, type Page } from '../api';

/** A cursor-paged list (?limit=&after=, answers {items, next}). */
export function usePagedList<T>(path: ApiPath<'get'>, limit = 20) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<T> | null>(null);
  // The number of the page on screen (changes when its items arrive).
  const [shown, setShown] = useState(1);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const after = cursors[cursors.length - 1];
  useRetryAfterReauth(error, () => setTick((x) => x + 1));
  useEffect(() => {
    let live = true;
    setLoading(true);
    get<Page<T>>(withQuery(path, { limit, after }))
      .then((r) => { if (live) { setPage(r.data); setShown(cursors.length); setError(null); } })
      .catch((e) => { if (live) setError(e); })
      .finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
  }, [path, after, tick]);
  return {
    items: page?.items ?? [],
    loaded: page !== null,
    error,
    loading,
    page: shown,
    hasPrev: cursors.length > 1,
    hasNext: !!page?.next,
    // While a page loads the buttons stay (focus stays put) but do nothing.
    next: () => { if (!loading && page?.next) setCursors([...cursors, page.next]); },
    prev: () => { if (!loading && cursors.length > 1) setCursors(cursors.slice(0, -1)); },
    reload: useCallback(() => setTick((x) => x + 1), []),
  };
}

/** What usePagedList gives: the page's items, its state and the pager's moves. */
export type PagedList<T> = ReturnType<typeof usePagedList<T>>;

/** One GET with loading/error state and a reload. */
export function useResource<T>(path: ApiPath<'get'> | null) {
  const [data, setData] = useState<T | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useRetryAfterReauth(error, () => setTick((x) => x + 1));
  useEffect(() => {
    if (!path) return;
    let live = true;
    get<T>(path)
      .then((r) => { if (live) { setData(r.data); setEtag(r.etag); setError(null); } })
      .catch((e) => { if (live) setError(e); });
    return () => { live = false; };
  }, [path, tick]);
  return { data, etag, error, setData, setEtag, reload: useCallback(() => setTick((x) => x + 1), []) };
}
