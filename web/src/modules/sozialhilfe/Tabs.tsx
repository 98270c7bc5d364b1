// The Sozialhilfe module's own tab of the dossier shell: the goals agreed
// with the client (its checklist is the casework's: casework/Checklist.tsx).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, etagOf, patch, post } from '../../api';
import { t, label } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { changedFields, useEdit } from '../../lib/edit';
import { splitError, formIncomplete, fieldsChecked } from '../../lib/errors';
import { ErrorBox, Field, Loading, Notice, SelectField, TextArea } from '../../components/ui';
import { ConflictPanel, type ConflictField } from '../../components/conflict';
import { InlinePanel, useInline } from '../../components/inline';
import { formatDate, todayIso } from '../../lib/format';
import type { Dossier, Goal } from './types';
import { DateField, Section, checkDate } from './common';
import { fieldSetter } from '../../lib/form';

export function GoalsTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const g = useResource<{ items: Goal[] }>(`/api/v1/cases/${dossier.id}/goals`);
  const [v, setV] = useState({ title: '', measures: '', due_on: '' });
  const set = fieldSetter(setV);
  const [signOn, setSignOn] = useState(formatDate(todayIso()));
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  const signed = g.data?.items.find((x) => x.signed_on)?.signed_on ?? null;
  const canEdit = app.can('case.write') && dossier.state !== 'closed';
  const editing = useInline<number>();
  const editGoal = g.data?.items.find((x) => x.id === editing.open) ?? null;
  async function add(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const d = checkDate(v.due_on, true);
    const errs: Record<string, string> = {};
    if (!v.title.trim()) errs.title = t('form.missing');
    if (d.error) errs.due_on = d.error;
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/goals`, { title: v.title.trim(), due_on: d.iso, ...(v.measures.trim() ? { measures: v.measures.trim() } : {}) });
      setV({ title: '', measures: '', due_on: '' }); setNote(t('sozialhilfe.goals.added')); g.reload();
    } catch (x) { const sp = splitError(x, ['title', 'measures', 'due_on']); setFe(sp.field); setErr(sp.form); }
  }
  async function sign(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const d = checkDate(signOn, true);
    if (d.error) { setFe({ signed_on: d.error }); return; }
    try {
      await post(`/api/v1/cases/${dossier.id}/goals/sign`, { signed_on: d.iso }, { ifMatch: g.etag });
      setNote(t('sozialhilfe.goals.signed_done')); g.reload();
    } catch (x) {
      // The agreement changed since it was shown: show it as it is now,
      // keep the date typed, and let the person sign what they see.
      if (x instanceof ApiError && x.status === 409) { g.reload(); setErr(new ApiError(409, { code: 'goals_changed', message: x.message })); } else setErr(x);
    }
  }
  return (
    <>
      <Section id="goals-title" title={t('sozialhilfe.section.goals')}>
        {note ? <Notice kind="success">{note}</Notice> : null}
        {err ? <ErrorBox error={err} /> : null}
        <p>{signed ? t('sozialhilfe.goals.signed_on', { date: formatDate(signed) }) : t('sozialhilfe.goals.not_signed')}</p>
        {g.error ? <ErrorBox error={g.error} /> : !g.data ? <Loading /> : g.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('sozialhilfe.section.goals')}</caption>
            <thead><tr><th scope="col">{t('sozialhilfe.goals.title_field')}</th><th scope="col">{t('sozialhilfe.goals.measures')}</th>
              <th scope="col">{t('sozialhilfe.goals.due_on')}</th><th scope="col">{t('sozialhilfe.goals.status')}</th>
              {canEdit ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}</tr></thead>
            <tbody>{g.data.items.map((x) => (
              <tr key={x.id}><td>{x.title}{x.review_result ? <span class="small block">{x.review_result}</span> : null}</td>
                <td>{x.measures ?? '–'}</td><td>{formatDate(x.due_on)}</td><td>{label('sozialhilfe.goal_status', x.status)}</td>
                {canEdit ? <td><button type="button" class="btn btn-secondary" aria-expanded={editing.open === x.id}
                  onClick={(e) => { setNote(null); editing.show(x.id, e); }}>
                  {t('web.goal.edit')}<span class="visually-hidden"> – {x.title}</span></button></td> : null}</tr>
            ))}</tbody>
          </table>
        ) : <p>{t('sozialhilfe.goals.none')}</p>}
        {editGoal ? <GoalEdit key={editGoal.id} goal={editGoal} keys={editing.keys} onClose={editing.close}
          onSaved={() => { editing.close(); setNote(t('web.goal.saved')); g.reload(); }} /> : null}
        {app.can('case.write') && g.data?.items.length ? (
          <form class="inline-form" onSubmit={sign} noValidate>
            <DateField label={t('sozialhilfe.goals.sign_date')} value={signOn} onInput={setSignOn} error={fe.signed_on} />
            <button type="submit" class="btn btn-secondary">{t('sozialhilfe.goals.sign')}</button>
          </form>
        ) : null}
      </Section>
      {app.can('case.write') ? (
        <Section id="goals-add" title={t('sozialhilfe.goals.add')}>
          <form class="form" onSubmit={add} noValidate>
            <Field label={t('sozialhilfe.goals.title_field')} value={v.title} onInput={set('title')} error={fe.title} required />
            <TextArea label={t('sozialhilfe.goals.measures')} value={v.measures} onInput={set('measures')} />
            <DateField label={t('sozialhilfe.goals.due_on')} value={v.due_on} onInput={set('due_on')} error={fe.due_on} required />
            <div class="actions"><button type="submit" class="btn btn-primary">{t('sozialhilfe.goals.submit')}</button></div>
          </form>
        </Section>
      ) : null}
    </>
  );
}

export const GOAL_STATES = ['open', 'achieved', 'partly', 'missed', 'dropped'];
type GoalForm = { status: string; review_result: string; due_on: string };
const toGoalForm = (x: Goal): GoalForm => ({ status: x.status, review_result: x.review_result ?? '', due_on: formatDate(x.due_on) });

/**
 * A goal's review (state, result, date) in an inline form: sent with the
 * goal's ETag; a 409 shows what the other person changed next to what was
 * typed. Escape closes it.
 */
function GoalEdit({ goal, keys, onClose, onSaved }: {
  goal: Goal; keys: { onKeyDown: (e: KeyboardEvent) => void }; onClose: () => void; onSaved: () => void;
}) {
  const edit = useEdit<GoalForm>();
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { edit.load(toGoalForm(goal), etagOf(goal.version)); }, []);
  const fields: ConflictField<GoalForm>[] = [
    { key: 'status', label: t('sozialhilfe.goals.status'), show: (v) => label('sozialhilfe.goal_status', v as string) },
    { key: 'review_result', label: t('web.goal.review_result'), show: (v) => (v as string) || '–' },
    { key: 'due_on', label: t('sozialhilfe.goals.due_on'), show: (v) => (v as string) || '–' },
  ];
  const s = edit.state;
  if (!s) return null;
  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setErr(null); setNote(null);
    const d = checkDate(s.values.due_on, true);
    setFe(d.error ? { due_on: d.error } : {});
    if (d.error) { setErr(formIncomplete()); return; }
    const body: Record<string, unknown> = {};
    for (const k of changedFields(s)) body[k] = k === 'due_on' ? d.iso : s.values[k];
    if (!Object.keys(body).length) { onClose(); return; }
    setBusy(true);
    try {
      await patch(`/api/v1/goals/${goal.id}`, body, s.etag);
      onSaved();
    } catch (x) {
      if (x instanceof ApiError && x.status === 409 && x.code === 'conflict' && x.current) {
        const cur = x.current as unknown as Goal;
        edit.setConflict(toGoalForm(cur), etagOf(cur.version));
      } else { const sp = splitError(x, ['status', 'review_result', 'due_on']); setFe(sp.field); setErr(sp.form); }
    } finally { setBusy(false); }
  }
  return (
    <InlinePanel keys={keys}>
      <form class="form" onSubmit={save} noValidate aria-labelledby="goal-edit-title">
        <h3 id="goal-edit-title">{t('web.goal.edit_title', { title: goal.title })}</h3>
        {note ? <Notice kind="info">{note}</Notice> : null}
        {s.conflict ? <ConflictPanel state={s} fields={fields}
          onReapply={() => { edit.reapply(); setNote(t('conflict.reapplied')); }}
          onDiscard={() => { edit.discard(); setNote(t('conflict.discarded')); }} /> : null}
        {err ? <ErrorBox error={err} /> : null}
        <SelectField label={t('sozialhilfe.goals.status')} value={s.values.status} onChange={(x) => edit.set('status', x)} error={fe.status}
          options={GOAL_STATES.map((x) => ({ value: x, label: label('sozialhilfe.goal_status', x) }))} />
        <TextArea label={t('web.goal.review_result')} value={s.values.review_result} onInput={(x) => edit.set('review_result', x)} error={fe.review_result} rows={3} />
        <DateField label={t('sozialhilfe.goals.due_on')} value={s.values.due_on} onInput={(x) => edit.set('due_on', x)} error={fe.due_on} required />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{t('form.save')}</button>
          <button type="button" class="btn btn-secondary" onClick={onClose}>{t('common.cancel')}</button>
        </div>
      </form>
    </InlinePanel>
  );
}

