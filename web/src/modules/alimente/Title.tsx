// The "Titel" tab: the maintenance title of an Alimentenhilfe dossier
// (InkHV art. 9: kind, authority, dates, index clause, family allowances,
// the debtor with employer and pension institution), its creditors and
// each creditor's amounts over time (age steps). The title and each
// creditor's amounts are versioned: saved with If-Match, a 409 shows the
// conflict panel.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, etagOf, post, put } from '../../api';
import { t, label } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { useEdit } from '../../lib/edit';
import { splitError, formIncomplete, fieldsChecked } from '../../lib/errors';
import { CheckboxField, ErrorBox, Facts, Field, Loading, Notice, SelectField } from '../../components/ui';
import { ConflictPanel, type ConflictField } from '../../components/conflict';
import { InlinePanel, useInline } from '../../components/inline';
import { formatAmount, formatDate } from '../../lib/format';
import { AmountField, DateField, Section, amountText, checkAmount, checkDate, dateOrDash } from '../../casework/common';
import { PersonFinder } from '../../casework/Persons';
import type { Dossier } from '../../casework/types';
import { CREDITOR_ROLES, TITLE_KINDS, type Creditor, type TitleAmount, type TitleAnswer } from './types';

type TitleForm = {
  title_kind: string; authority: string; decided_on: string; enforceable_on: string; applied_on: string;
  arrears_from: string; ends_on: string; index_base_points: string; index_base_month: string; index_month: string;
  index_rounding: string; family_allowances: boolean; debtor_id: string; debtor_name: string;
  debtor_employer: string; debtor_pension: string;
};

/** Index points are kept in tenths: 1013 is shown as 101.3. */
const pointsText = (tenths: number | null) => (tenths === null ? '' : (tenths / 10).toFixed(1));
function parsePoints(text: string): number | null {
  const m = /^\s*(\d{1,6})(?:[.,](\d))?\s*$/.exec(text);
  return m ? Number(m[1]) * 10 + Number(m[2] ?? 0) : null;
}

function toForm(a: TitleAnswer | null): TitleForm {
  const x = a?.title;
  const d = (v: string | null | undefined) => (v ? formatDate(v) : '');
  return {
    title_kind: x?.title_kind ?? 'judgment', authority: x?.authority ?? '', decided_on: d(x?.decided_on),
    enforceable_on: d(x?.enforceable_on), applied_on: d(x?.applied_on), arrears_from: d(x?.arrears_from), ends_on: d(x?.ends_on),
    index_base_points: pointsText(x?.index_base_points ?? null), index_base_month: d(x?.index_base_month),
    index_month: x?.index_month ? String(x.index_month) : '', index_rounding: amountText(x?.index_rounding ?? 100),
    family_allowances: x?.family_allowances ?? false, debtor_id: x?.debtor_id ? String(x.debtor_id) : '',
    debtor_name: a?.debtor.name ?? '', debtor_employer: x?.debtor_employer ?? '', debtor_pension: x?.debtor_pension ?? '',
  };
}

const MONTHS = Array.from({ length: 12 }, (_, i) => String(i + 1));

export function TitleTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const res = useResource<TitleAnswer>(`/api/v1/cases/${dossier.id}/title`);
  const missing = res.error instanceof ApiError && res.error.code === 'ah_title_missing';
  const data = res.data;
  const can = app.can('alimente.write') && dossier.state !== 'closed';
  if (res.error && !missing) return <ErrorBox error={res.error} />;
  if (!data && !missing) return <Loading />;
  return (
    <>
      <TitleSection dossier={dossier} data={missing ? null : data} etag={res.etag} can={can}
        onSaved={(a, etag) => { res.setData(a); res.setEtag(etag); if (missing) res.reload(); }} />
      {data && !missing ? <Creditors dossier={dossier} data={data} can={can} reload={res.reload} /> : null}
    </>
  );
}

function TitleSection({ dossier, data, etag, can, onSaved }: {
  dossier: Dossier; data: TitleAnswer | null; etag: string | null; can: boolean;
  onSaved: (a: TitleAnswer, etag: string | null) => void;
}) {
  const edit = useEdit<TitleForm>();
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const picking = useInline<true>();
  useEffect(() => { edit.load(toForm(data), data ? etag ?? etagOf(data.title.version) : null); }, [data?.title.version]);
  const fields: ConflictField<TitleForm>[] = useMemo(() => ([
    ['title_kind', t('alimente.title.kind')], ['authority', t('alimente.title.authority')], ['decided_on', t('alimente.title.decided_on')],
    ['enforceable_on', t('alimente.title.enforceable_on')], ['applied_on', t('alimente.title.applied_on')],
    ['arrears_from', t('alimente.title.arrears_from')], ['ends_on', t('alimente.title.ends_on')],
    ['index_base_points', t('alimente.title.index_base_points')], ['index_base_month', t('alimente.title.index_base_month')],
    ['index_month', t('alimente.title.index_month')], ['index_rounding', t('alimente.title.index_rounding')],
    ['family_allowances', t('alimente.title.family_allowances')], ['debtor_name', t('alimente.title.debtor')],
    ['debtor_employer', t('alimente.title.debtor_employer')], ['debtor_pension', t('alimente.title.debtor_pension')],
  ] as [keyof TitleForm, string][]).map(([key, l]) => ({
    key, label: l, show: (v) => (key === 'title_kind' ? label('alimente.title_kind', v as string)
      : key === 'index_month' ? (v ? label('alimente.month', v as string) : '–')
        : typeof v === 'boolean' ? (v ? t('common.yes') : t('common.no')) : (v as string) || '–'),
  })), []);
  const s = edit.state;
  if (!s) return <Loading />;
  const v = s.values;
  const x = data?.title;

  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setErr(null); setSaved(null);
    const errs: Record<string, string> = {};
    const date = (k: keyof TitleForm, req: boolean) => {
      const r = checkDate(v[k] as string, req);
      if (r.error) errs[k] = r.error;
      return r.iso;
    };
    const body: Record<string, unknown> = {
      title_kind: v.title_kind, authority: v.authority.trim(), decided_on: date('decided_on', true),
      applied_on: date('applied_on', true), family_allowances: v.family_allowances,
    };
    if (!v.authority.trim()) errs.authority = t('form.missing');
    for (const k of ['enforceable_on', 'arrears_from', 'ends_on', 'index_base_month'] as const) {
      const iso = date(k, false);
      if (iso) body[k] = iso;
    }
    if (v.index_base_points.trim()) {
      const p = parsePoints(v.index_base_points);
      if (p === null || p <= 0) errs.index_base_points = t('alimente.title.points_rule'); else body.index_base_points = p;
    }
    if ((body.index_base_points === undefined) !== (body.index_base_month === undefined) && !errs.index_base_points && !errs.index_base_month)
      errs[body.index_base_points === undefined ? 'index_base_points' : 'index_base_month'] = t('alimente.title.index_both');
    if (v.index_month) body.index_month = Number(v.index_month);
    const r = checkAmount(v.index_rounding, false);
    if (r.error || r.rappen === 0) errs.index_rounding = r.error ?? t('casework.amount_rule'); else if (v.index_rounding.trim()) body.index_rounding = r.rappen;
    if (v.debtor_id) body.debtor_id = Number(v.debtor_id);
    if (v.debtor_employer.trim()) body.debtor_employer = v.debtor_employer.trim();
    if (v.debtor_pension.trim()) body.debtor_pension = v.debtor_pension.trim();
    if (!fieldsChecked(errs, setFe, setErr)) return;
    setBusy(true);
    try {
      const a = await put<TitleAnswer>(`/api/v1/cases/${dossier.id}/title`, body, s.etag);
      onSaved(a.data, a.etag);
      setSaved(x ? t('alimente.title.saved') : t('alimente.title.created'));
    } catch (e2) {
      if (e2 instanceof ApiError && e2.status === 409 && e2.current) {
        const cur = e2.current as unknown as TitleAnswer;
        edit.setConflict(toForm(cur), etagOf(cur.title.version));
      } else { const sp = splitError(e2, Object.keys(v)); setFe(sp.field); setErr(sp.form); }
    } finally { setBusy(false); }
  }

  if (!can) {
    return (
      <Section id="ah-title" title={t('alimente.title.heading')}>
        {x ? <TitleFacts data={data!} /> : <p>{t('alimente.title.none')}</p>}
      </Section>
    );
  }
  return (
    <Section id="ah-title" title={t('alimente.title.heading')}>
      {!x ? <p>{t('alimente.title.none_yet')}</p> : null}
      {saved ? <Notice kind="success">{saved}</Notice> : null}
      {s.conflict ? <ConflictPanel state={s} fields={fields}
        onReapply={() => { edit.reapply(); setSaved(t('conflict.reapplied')); }}
        onDiscard={() => { edit.discard(); setSaved(t('conflict.discarded')); }} /> : null}
      {err ? <ErrorBox error={err} /> : null}
      {data?.debtor.reference ? <Facts items={[[t('alimente.title.reference'), <span class="ah-ref">{data.debtor.reference}</span>]]} /> : null}
      <form class="form" onSubmit={save} noValidate>
        <fieldset>
          <legend>{t('alimente.title.what')}</legend>
          <SelectField label={t('alimente.title.kind')} value={v.title_kind} onChange={(x2) => edit.set('title_kind', x2)}
            options={TITLE_KINDS.map((k) => ({ value: k, label: label('alimente.title_kind', k) }))} error={fe.title_kind} />
          <Field label={t('alimente.title.authority')} value={v.authority} onInput={(x2) => edit.set('authority', x2)} error={fe.authority} required maxLength={200} name="authority" />
          <div class="row-fields">
            <DateField label={t('alimente.title.decided_on')} value={v.decided_on} onInput={(x2) => edit.set('decided_on', x2)} error={fe.decided_on} required name="decided_on" />
            <DateField label={t('alimente.title.enforceable_on')} value={v.enforceable_on} onInput={(x2) => edit.set('enforceable_on', x2)} error={fe.enforceable_on} name="enforceable_on" />
          </div>
          <div class="row-fields">
            <DateField label={t('alimente.title.applied_on')} hint={t('alimente.title.applied_on_hint')} value={v.applied_on} onInput={(x2) => edit.set('applied_on', x2)} error={fe.applied_on} required name="applied_on" />
            <DateField label={t('alimente.title.arrears_from')} hint={t('alimente.title.arrears_from_hint')} value={v.arrears_from} onInput={(x2) => edit.set('arrears_from', x2)} error={fe.arrears_from} name="arrears_from" />
            <DateField label={t('alimente.title.ends_on')} hint={t('alimente.title.ends_on_hint')} value={v.ends_on} onInput={(x2) => edit.set('ends_on', x2)} error={fe.ends_on} name="ends_on" />
          </div>
          <CheckboxField label={t('alimente.title.family_allowances')} hint={t('alimente.title.family_allowances_hint')} checked={v.family_allowances} onChange={(x2) => edit.set('family_allowances', x2)} />
        </fieldset>
        <fieldset>
          <legend>{t('alimente.title.index')}</legend>
          <p class="hint">{t('alimente.title.index_hint')}</p>
          <div class="row-fields">
            <Field label={t('alimente.title.index_base_points')} hint={t('alimente.title.index_base_points_hint')} value={v.index_base_points} onInput={(x2) => edit.set('index_base_points', x2)} error={fe.index_base_points} name="index_base_points" inputMode="text" />
            <DateField label={t('alimente.title.index_base_month')} value={v.index_base_month} onInput={(x2) => edit.set('index_base_month', x2)} error={fe.index_base_month} name="index_base_month" />
          </div>
          <div class="row-fields">
            <SelectField label={t('alimente.title.index_month')} value={v.index_month} onChange={(x2) => edit.set('index_month', x2)} error={fe.index_month}
              options={[{ value: '', label: t('alimente.title.index_month_none') }, ...MONTHS.map((m) => ({ value: m, label: label('alimente.month', m) }))]} />
            <AmountField label={t('alimente.title.index_rounding')} hint={t('alimente.title.index_rounding_hint')} value={v.index_rounding} onInput={(x2) => edit.set('index_rounding', x2)} error={fe.index_rounding} name="index_rounding" />
          </div>
        </fieldset>
        <fieldset>
          <legend>{t('alimente.title.debtor')}</legend>
          <p>{v.debtor_name ? t('alimente.title.debtor_is', { name: v.debtor_name }) : t('alimente.title.debtor_none')}{' '}
            <button type="button" class="btn btn-secondary" onClick={(e) => picking.show(true, e)} aria-expanded={picking.open ? 'true' : 'false'}>
              {v.debtor_id ? t('alimente.title.debtor_change') : t('alimente.title.debtor_pick')}</button></p>
          {fe.debtor_id ? <p class="field-error">{fe.debtor_id}</p> : null}
          {picking.open ? (
            <InlinePanel keys={picking.keys}>
              <PersonFinder idPrefix="ah-debtor" pickLabel={t('alimente.title.debtor_take')}
                onPick={(p) => { edit.set('debtor_id', String(p.id)); edit.set('debtor_name', `${p.first_name} ${p.last_name}`); picking.close(); }} />
              <button type="button" class="btn btn-secondary" onClick={picking.close}>{t('common.cancel')}</button>
            </InlinePanel>
          ) : null}
          <div class="row-fields">
            <Field label={t('alimente.title.debtor_employer')} value={v.debtor_employer} onInput={(x2) => edit.set('debtor_employer', x2)} error={fe.debtor_employer} maxLength={200} name="debtor_employer" />
            <Field label={t('alimente.title.debtor_pension')} value={v.debtor_pension} onInput={(x2) => edit.set('debtor_pension', x2)} error={fe.debtor_pension} maxLength={200} name="debtor_pension" />
          </div>
        </fieldset>
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{x ? t('alimente.title.save') : t('alimente.title.create')}</button></div>
      </form>
    </Section>
  );
}

/** The title for those who only read. */
function TitleFacts({ data }: { data: TitleAnswer }) {
  const x = data.title;
  return (
    <Facts items={[
      [t('alimente.title.kind'), label('alimente.title_kind', x.title_kind)],
      [t('alimente.title.authority'), x.authority],
      [t('alimente.title.decided_on'), formatDate(x.decided_on)],
      [t('alimente.title.enforceable_on'), dateOrDash(x.enforceable_on)],
      [t('alimente.title.applied_on'), formatDate(x.applied_on)],
      [t('alimente.title.arrears_from'), dateOrDash(x.arrears_from)],
      [t('alimente.title.ends_on'), dateOrDash(x.ends_on)],
      [t('alimente.title.index'), x.index_base_points !== null
        ? t('alimente.title.index_is', { points: pointsText(x.index_base_points), month: dateOrDash(x.index_base_month) }) : t('alimente.title.index_none')],
      [t('alimente.title.debtor'), data.debtor.name ?? '–'],
      [t('alimente.title.reference'), data.debtor.reference ?? '–'],
    ]} />
  );
}

function Creditors({ dossier, data, can, reload }: { dossier: Dossier; data: TitleAnswer; can: boolean; reload: () => void }) {
  const taken = new Set(data.creditors.map((c) => c.person_id));
  const members = (dossier.members ?? []).filter((m) => !taken.has(m.person_id));
  const [who, setWho] = useState('');
  const [role, setRole] = useState('child');
  const [edu, setEdu] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  const steps = useInline<number>();
  const person = who || (members[0] ? String(members.find((m) => m.role === 'child')?.person_id ?? members[0].person_id) : '');
  async function add(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const d = checkDate(edu, false);
    setFe(d.error ? { education_until: d.error } : {});
    if (d.error || !person) { setErr(formIncomplete()); return; }
    try {
      await post(`/api/v1/cases/${dossier.id}/creditors`, { person_id: Number(person), role, ...(d.iso ? { education_until: d.iso } : {}) });
      setWho(''); setEdu(''); setNote(t('alimente.creditor.added')); reload();
    } catch (x) { const sp = splitError(x, ['person_id', 'role', 'education_until']); setFe(sp.field); setErr(sp.form); }
  }
  const open = data.creditors.find((c) => c.id === steps.open) ?? null;
  return (
    <Section id="ah-creditors" title={t('alimente.creditor.heading')}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {data.creditors.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('alimente.creditor.heading')}</caption>
          <thead><tr>
            <th scope="col">{t('casework.person.name')}</th><th scope="col">{t('casework.person.birth_date')}</th>
            <th scope="col">{t('alimente.creditor.role')}</th><th scope="col">{t('alimente.creditor.education_until')}</th>
            <th scope="col">{t('alimente.creditor.amounts')}</th>
            {can ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}
          </tr></thead>
          <tbody>{data.creditors.map((c) => (
            <tr key={c.id}>
              <th scope="row">{c.name ?? '–'}</th><td>{formatDate(c.birth_date)}</td>
              <td>{label('alimente.role', c.role)}</td><td>{dateOrDash(c.education_until)}</td>
              <td>{c.amounts.length ? (
                <ul class="plain">{c.amounts.map((a, i) => <li key={i}>{stepText(a)}</li>)}</ul>
              ) : t('alimente.creditor.no_amounts')}</td>
              {can ? <td><button type="button" class="btn btn-secondary" onClick={(e) => steps.show(c.id, e)} aria-expanded={steps.open === c.id ? 'true' : 'false'}>
                {t('alimente.creditor.edit_amounts')}<span class="visually-hidden"> – {c.name}</span></button></td> : null}
            </tr>
          ))}</tbody>
        </table>
      ) : <p>{t('alimente.creditor.none')}</p>}
      {open ? <InlinePanel keys={steps.keys}><AgeSteps creditor={open} onDone={(n) => { steps.close(); setNote(n); reload(); }} onCancel={steps.close} /></InlinePanel> : null}
      {can && members.length ? (
        <form class="form" onSubmit={add} noValidate aria-labelledby="ah-cr-add">
          <h3 id="ah-cr-add">{t('alimente.creditor.add')}</h3>
          {err ? <ErrorBox error={err} /> : null}
          <div class="row-fields">
            <SelectField label={t('alimente.creditor.person')} value={person} onChange={setWho} error={fe.person_id}
              options={members.map((m) => ({ value: String(m.person_id), label: `${m.first_name} ${m.last_name} (${formatDate(m.birth_date)})` }))} />
            <SelectField label={t('alimente.creditor.role')} value={role} onChange={setRole} error={fe.role}
              options={CREDITOR_ROLES.map((r) => ({ value: r, label: label('alimente.role', r) }))} />
            <DateField label={t('alimente.creditor.education_until')} hint={t('alimente.creditor.education_hint')} value={edu} onInput={setEdu} error={fe.education_until} name="education_until" />
          </div>
          <div class="actions"><button type="submit" class="btn btn-primary">{t('alimente.creditor.submit')}</button></div>
        </form>
      ) : can ? <p class="muted">{t('alimente.creditor.members_hint')}</p> : null}
    </Section>
  );
}

const stepText = (a: TitleAmount) => t(a.valid_to ? 'alimente.step.range' : 'alimente.step.open', {
  from: formatDate(a.valid_from), to: a.valid_to ? formatDate(a.valid_to) : '', amount: formatAmount(a.amount),
}) + (a.family_allowance ? ` ${t('alimente.step.fa', { amount: formatAmount(a.family_allowance) })}` : '');

type StepRow = { valid_from: string; valid_to: string; amount: string; family_allowance: string };
const toRows = (c: Creditor): StepRow[] => (c.amounts.length ? c.amounts : [{ valid_from: '', valid_to: null, amount: 0, family_allowance: 0 }]).map((a) => ({
  valid_from: a.valid_from ? formatDate(a.valid_from) : '', valid_to: a.valid_to ? formatDate(a.valid_to) : '',
  amount: a.valid_from ? amountText(a.amount) : '', family_allowance: a.family_allowance ? amountText(a.family_allowance) : '',
}));

/** A creditor's age steps, replaced as a whole (If-Match: the creditor's version). */
function AgeSteps({ creditor, onDone, onCancel }: { creditor: Creditor; onDone: (note: string) => void; onCancel: () => void }) {
  const [rows, setRows] = useState<StepRow[]>(() => toRows(creditor));
  const [etag, setEtag] = useState<string | null>(etagOf(creditor.version));
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [changed, setChanged] = useState<Creditor | null>(null);
  const set = (i: number, k: keyof StepRow, v: string) => setRows(rows.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  async function save(e: Event) {
    e.preventDefault();
    setErr(null);
    const errs: Record<string, string> = {};
    const amounts = rows.map((r, i) => {
      const f = checkDate(r.valid_from, true), to = checkDate(r.valid_to, false);
      const a = checkAmount(r.amount, true), fa = checkAmount(r.family_allowance, false);
      if (f.error) errs[`${i}.valid_from`] = f.error;
      if (to.error) errs[`${i}.valid_to`] = to.error;
      if (a.error) errs[`${i}.amount`] = a.error;
      if (fa.error) errs[`${i}.family_allowance`] = fa.error;
      return { valid_from: f.iso, valid_to: to.iso, amount: a.rappen, family_allowance: fa.rappen ?? 0 };
    });
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await put(`/api/v1/alimente/creditors/${creditor.id}/amounts`, { amounts }, etag);
      onDone(t('alimente.step.saved', { name: creditor.name ?? '' }));
    } catch (x) {
      // Someone changed the amounts since: show theirs, keep the rows typed.
      if (x instanceof ApiError && x.status === 409 && x.current) {
        const cur = x.current as unknown as Creditor;
        setChanged(cur); setEtag(etagOf(cur.version));
      } else setErr(x);
    }
  }
  return (
    <form class="form" onSubmit={save} noValidate aria-labelledby="ah-steps">
      <h3 id="ah-steps">{t('alimente.step.heading', { name: creditor.name ?? '' })}</h3>
      <p class="hint">{t('alimente.step.hint')}</p>
      {changed ? (
        <div class="alert alert-warning" role="alert">
          <p>{t('alimente.step.changed')}</p>
          <ul>{changed.amounts.map((a, i) => <li key={i}>{stepText(a)}</li>)}</ul>
          <button type="button" class="btn btn-secondary" onClick={() => { setRows(toRows(changed)); setChanged(null); }}>{t('conflict.discard')}</button>
        </div>
      ) : null}
      {err ? <ErrorBox error={err} /> : null}
      {rows.map((r, i) => (
        <fieldset key={i} class="row-fields">
          <legend>{t('alimente.step.n', { n: i + 1 })}</legend>
          <DateField label={t('alimente.step.valid_from')} value={r.valid_from} onInput={(v) => set(i, 'valid_from', v)} error={fe[`${i}.valid_from`]} required />
          <DateField label={t('alimente.step.valid_to')} hint={t('alimente.step.valid_to_hint')} value={r.valid_to} onInput={(v) => set(i, 'valid_to', v)} error={fe[`${i}.valid_to`]} />
          <AmountField label={t('alimente.step.amount')} value={r.amount} onInput={(v) => set(i, 'amount', v)} error={fe[`${i}.amount`]} required />
          <AmountField label={t('alimente.step.family_allowance')} value={r.family_allowance} onInput={(v) => set(i, 'family_allowance', v)} error={fe[`${i}.family_allowance`]} />
          {rows.length > 1 ? <button type="button" class="btn btn-link" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            {t('alimente.step.remove', { n: i + 1 })}</button> : null}
        </fieldset>
      ))}
      <div class="actions">
        <button type="button" class="btn btn-secondary" onClick={() => setRows([...rows, { valid_from: rows[rows.length - 1]?.valid_to ?? '', valid_to: '', amount: '', family_allowance: '' }])}>{t('alimente.step.add')}</button>
        <button type="submit" class="btn btn-primary">{t('alimente.step.save')}</button>
        <button type="button" class="btn btn-secondary" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}
