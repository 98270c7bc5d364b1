// One record edited in a form with its ETag (an address with no list:
// the payment account, the canton's creditor): loaded into the form (404:
// the empty form), checked, sent with If-Match. A 409 keeps what was typed
// and takes the new version, so a second save is a deliberate overwrite;
// other refusals are split into field and form messages by the caller.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, put, type ApiPath } from '../api';
import { t } from '../i18n';
import { fieldsChecked } from './errors';

type Split = { field: Record<string, string>; form: unknown };

export function useEtagForm<R, F>(path: ApiPath<'get'> & ApiPath<'put'>, toForm: (r: R | null) => F) {
  const [v, setV] = useState<F | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function load() {
    try {
      const r = await get<R>(path);
      setV(toForm(r.data)); setEtag(r.etag); setLoadErr(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) { setV(toForm(null)); setEtag(null); } else setLoadErr(e);
    }
  }
  useEffect(() => { void load(); }, []);
  /** fe: what the form's own check found (nothing: body() is sent); split: a refusal's messages. */
  async function save(fe: Record<string, string>, body: () => unknown, split: (x: unknown) => Split) {
    setNote(null); setFormErr(null);
    if (!fieldsChecked(fe, setFieldErr, setFormErr)) return;
    setBusy(true);
    try {
      const r = await put<R>(path, body(), etag);
      if (r.data && typeof r.data === 'object') setV(toForm(r.data));
      if (r.etag) setEtag(r.etag); else await load();
      setNote(t('form.saved'));
    } catch (x) {
      if (x instanceof ApiError && x.status === 409) {
        setFormErr(x);
        try { const r = await get<R>(path); setEtag(r.etag); } catch { /* the next save will tell */ }
      } else {
        const sp = split(x);
        setFieldErr(sp.field); setFormErr(sp.form);
      }
    } finally { setBusy(false); }
  }
  return { v, setV, loadErr, fieldErr, formErr, note, busy, save };
}
