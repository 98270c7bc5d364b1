// A dossier's checklist of the documents its kind needs (the core's
// casework route /cases/{id}/checklist); each module names its items.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, etagOf, put } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { useResource } from '../lib/hooks';
import { useEdit } from '../lib/edit';
import { ErrorBox, Field, Loading, Notice } from '../components/ui';
import { ConflictPanel, type ConflictField } from '../components/conflict';
import { formatDate, todayIso } from '../lib/format';
import type { Checklist, Dossier } from './types';
import { Section, checkDate, dateOrDash } from './common';
import { fieldsChecked } from '../lib/errors';

/** The checklist as flat form values: "<code>.on" (dd.mm.yyyy) and "<code>.note". */
type ChecklistForm = Record<string, string>;
function toChecklistForm(c: Checklist, codes: readonly string[]): ChecklistForm {
  const v: ChecklistForm = {};
  for (const code of codes) {
    const it = c.items.find((i) => i.code === code);
    v[`${code}.on`] = it?.received_on ? formatDate(it.received_on) : '';
    v[`${code}.note`] = it?.note ?? '';
  }
  return v;
}

/** A dossier's checklist (core casework: GET/PUT /cases/{id}/checklist); the
 *  module names its items, labelled <module>.doc.<code>. */
export function ChecklistTab({ dossier, reloadDossier, module, codes }: {
  dossier: Dossier; reloadDossier: () => void; module: string; codes: readonly string[];
}) {
  const doc = (c: string) => label(`${module}.doc`, c);
  const app = useApp();
  const cl = useResource<Checklist>(`/api/v1/cases/${dossier.id}/checklist`);
  const edit = useEdit<ChecklistForm>();
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The form starts from the checklist as loaded; a later load (after a
  // save) replaces it, a conflict does not (the typed input stays).
  useEffect(() => { if (cl.data) edit.load(toChecklistForm(cl.data, codes), cl.etag ?? etagOf(cl.data.version)); }, [cl.data]);
  const fields: ConflictField<ChecklistForm>[] = useMemo(() => codes.flatMap((c) => [
    { key: `${c}.on`, label: t('casework.checklist.received_for', { doc: doc(c) }), show: (v) => (v as string) || '–' },
    { key: `${c}.note`, label: t('casework.checklist.note_for', { doc: doc(c) }), show: (v) => (v as string) || '–' },
  ]), [module]);
  if (cl.error) return <ErrorBox error={cl.error} />;
  const s = edit.state;
  if (!cl.data || !s) return <Loading />;
  const can = app.can('case.write') && dossier.state !== 'closed';
  const vals = s.values;
  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setErr(null); setSaved(null);
    const errs: Record<string, string> = {};
    const items = codes.map((c) => {
      const d = checkDate(vals[`${c}.on`], false);
      if (d.error) errs[c] = d.error;
      const note = vals[`${c}.note`].trim();
      return { code: c, received_on: d.iso, ...(note ? { note } : {}) };
    });
    if (!fieldsChecked(errs, setFe, setErr)) return;
    setBusy(true);
    try {
      const r = await put<Checklist>(`/api/v1/cases/${dossier.id}/checklist`, { items }, s.etag);
      cl.setEtag(r.etag);
      cl.setData(r.data);
      setSaved(t('form.saved'));
      reloadDossier();
    } catch (x) {
      if (x instanceof ApiError && x.status === 409 && x.current) {
        const cur = x.current as unknown as Checklist;
        edit.setConflict(toChecklistForm(cur, codes), etagOf(cur.version));
      } else setErr(x);
    } finally { setBusy(false); }
  }
  const today = formatDate(todayIso());
  const Wrap = (can ? 'form' : 'div') as unknown as 'form';
  return (
    <Section id="cl-title" title={t('casework.checklist.title')}>
      {cl.data.missing.length
        ? <p>{t('casework.checklist.missing', { list: cl.data.missing.map((m) => doc(m)).join(', ') })}</p>
        : <Notice kind="success">{t('casework.checklist.complete')}</Notice>}
      {saved ? <Notice kind="success">{saved}</Notice> : null}
      {s.conflict ? <ConflictPanel state={s} fields={fields}
        onReapply={() => { edit.reapply(); setSaved(t('conflict.reapplied')); }}
        onDiscard={() => { edit.discard(); setSaved(t('conflict.discarded')); }} /> : null}
      {err ? <ErrorBox error={err} /> : null}
      {/* Read-only roles get the table without a form around it. */}
      <Wrap onSubmit={can ? save : undefined} noValidate={can ? true : undefined}>
        <table class="table checklist">
          <caption class="visually-hidden">{t('casework.checklist.title')}</caption>
          <thead><tr><th scope="col">{t('casework.checklist.document')}</th><th scope="col">{t('casework.checklist.received_on')}</th><th scope="col">{t('casework.checklist.note')}</th></tr></thead>
          <tbody>
            {codes.map((c) => (
              <tr key={c}>
                <th scope="row">{doc(c)}{cl.data!.missing.includes(c) ? <span class="badge badge-warn">{t('casework.checklist.required_missing')}</span> : null}</th>
                <td>{can ? (
                  <div class="cell-field">
                    <Field label={t('casework.checklist.received_for', { doc: doc(c) })} class="label-hidden" value={vals[`${c}.on`]}
                      onInput={(x) => edit.set(`${c}.on`, x)} error={fe[c]} name={`received_${c}`} />
                    {!vals[`${c}.on`] ? <button type="button" class="btn btn-link" onClick={() => edit.set(`${c}.on`, today)}>
                      {t('casework.checklist.today')}<span class="visually-hidden"> – {doc(c)}</span></button> : null}
                  </div>
                ) : dateOrDash(cl.data!.items.find((i) => i.code === c)?.received_on)}</td>
                <td>{can ? <Field label={t('casework.checklist.note_for', { doc: doc(c) })} class="label-hidden" value={vals[`${c}.note`]}
                  onInput={(x) => edit.set(`${c}.note`, x)} name={`note_${c}`} /> : (vals[`${c}.note`] || '–')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {can ? <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{t('casework.checklist.save')}</button></div> : null}
      </Wrap>
    </Section>
  );
}
