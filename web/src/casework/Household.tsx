// A household (support unit) over time, on a dossier's household tab and
// on its own page: members with their periods, a membership ended on a
// day, a new person joining from a day (a new-born), and a person already
// registered joining, moving from another household on the same day.
// Writes send the household's ETag; inline forms close with Escape.
import { useState } from 'preact/hooks';
import { ApiError, etagOf, patch, post } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { useResource } from '../lib/hooks';
import { splitError, formIncomplete, fieldsChecked } from '../lib/errors';
import { CheckboxField, ErrorBox, Field, Loading, Notice, PageTitle, SelectField } from '../components/ui';
import { formatAhv, formatDate, isValidAhv, todayIso } from '../lib/format';
import type { Dossier, DuplicateCandidate, Household, MemberInput, PersonHit } from './types';
import { MEMBER_ROLES } from './types';
import { DateField, Section, ModuleNav, checkDate, dateOrDash, useHref } from './common';
import { PersonFinder } from './Persons';
import { InlinePanel, useInline } from '../components/inline';
import { fieldSetter } from '../lib/form';

// Re-exported: the persons screens take them from here.
export { InlinePanel, useInline };

/** The fields of a new person as typed (dates as dd.mm.yyyy). */
export interface NewPerson { last_name: string; first_name: string; birth_date: string; sex: string; ahv: string }
export const emptyNewPerson = (last = ''): NewPerson => ({ last_name: last, first_name: '', birth_date: '', sex: '', ahv: '' });
export const NEW_PERSON_FIELDS = ['last_name', 'first_name', 'birth_date', 'sex', 'ahv'];

/** Check a new person's fields: the API body, or errors per field. */
export function checkNewPerson(v: NewPerson): { body: Record<string, unknown> | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (!v.last_name.trim()) errors.last_name = t('form.missing');
  if (!v.first_name.trim()) errors.first_name = t('form.missing');
  const bd = checkDate(v.birth_date, true);
  if (bd.error) errors.birth_date = bd.error;
  if (v.ahv.trim() && !isValidAhv(v.ahv)) errors.ahv = t('casework.person.ahv_rule');
  if (Object.keys(errors).length) return { body: null, errors };
  const body: Record<string, unknown> = { last_name: v.last_name.trim(), first_name: v.first_name.trim(), birth_date: bd.iso };
  if (v.sex) body.sex = v.sex;
  if (v.ahv.trim()) body.ahv = formatAhv(v.ahv.trim());
  return { body, errors };
}

/** The short fields of a new member: name, birth date, sex, AHV number. */
export function NewPersonFields({ v, set, errors, idPrefix }: {
  v: NewPerson; set: (k: keyof NewPerson, x: string) => void; errors: Record<string, string>; idPrefix: string;
}) {
  return (
    <div class="row-fields">
      <Field label={t('casework.person.last_name')} value={v.last_name} onInput={(x) => set('last_name', x)} required error={errors.last_name} name={`${idPrefix}-last_name`} />
      <Field label={t('casework.person.first_name')} value={v.first_name} onInput={(x) => set('first_name', x)} required error={errors.first_name} name={`${idPrefix}-first_name`} />
      <DateField label={t('casework.person.birth_date')} value={v.birth_date} onInput={(x) => set('birth_date', x)} required error={errors.birth_date} name={`${idPrefix}-birth_date`} />
      <SelectField label={t('casework.person.sex')} value={v.sex} onChange={(x) => set('sex', x)}
        options={[{ value: '', label: t('casework.person.sex_none') }, ...['f', 'm', 'x'].map((s) => ({ value: s, label: label('casework.sex', s) }))]} />
      <Field label={t('casework.person.ahv')} hint={t('casework.person.ahv_hint')} value={v.ahv} onInput={(x) => set('ahv', x)} error={errors.ahv} name={`${idPrefix}-ahv`} inputMode="numeric" />
    </div>
  );
}

/** The likely duplicates the API named, with the explicit override for those allowed. */
export function DuplicateWarning({ cands, override, onOverride, id, h2 }: {
  cands: DuplicateCandidate[]; override: boolean; onOverride: (v: boolean) => void; id: string; h2?: boolean;
}) {
  const mh = useHref();
  const app = useApp();
  const title = t('casework.person.dup_title');
  return (
    <div class="alert alert-warning duplicates" aria-labelledby={id}>
      {h2 ? <h2 id={id}>{title}</h2> : <h3 id={id}>{title}</h3>}
      <p>{t('casework.person.dup_text')}</p>
      <ul>
        {cands.map((c) => (
          <li key={c.id}><a href={mh('persons', c.id)}>{c.last_name} {c.first_name}, {formatDate(c.birth_date)}</a></li>
        ))}
      </ul>
      {app.can('person.override_duplicate') ? (
        <CheckboxField label={t('casework.person.dup_override')} hint={t('casework.person.dup_override_hint')}
          checked={override} onChange={onOverride} />
      ) : <p>{t('casework.person.dup_no_override')}</p>}
    </div>
  );
}

/** Where a person belongs already (a 409 membership_overlap), with the choice to move. */
export interface Overlap { household: string; valid_from: string }
export const overlapOf = (e: unknown): Overlap | null =>
  e instanceof ApiError && e.code === 'membership_overlap' && typeof e.detail?.household === 'string'
    ? { household: e.detail.household as string, valid_from: String(e.detail.valid_from ?? '') } : null;

export function MoveChoice({ name, overlap, move, onMove }: { name: string; overlap: Overlap; move: boolean; onMove: (v: boolean) => void }) {
  return (
    <div class="alert alert-warning">
      <p>{t('persons.family.in_other', { name, household: overlap.household, date: formatDate(overlap.valid_from) })}</p>
      <CheckboxField label={t('persons.family.move')} checked={move} onChange={onMove} />
    </div>
  );
}

type AddMode = 'new' | 'existing';

function AddMember({ h, etag, onDone }: { h: Household; etag: string | null; onDone: (note: string) => void }) {
  const app = useApp();
  const inline = useInline<AddMode>();
  const [pick, setPick] = useState<PersonHit | null>(null);
  const [np, setNp] = useState<NewPerson>(emptyNewPerson(h.members[0]?.last_name ?? ''));
  const setN = fieldSetter(setNp);
  const [role, setRole] = useState('child');
  const [from, setFrom] = useState('');
  const [fe, setFe] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [cands, setCands] = useState<DuplicateCandidate[] | null>(null);
  const [override, setOverride] = useState(false);
  const [overlap, setOverlap] = useState<Overlap | null>(null);
  const [move, setMove] = useState(false);
  const [busy, setBusy] = useState(false);

  function reset(mode: AddMode | null, e?: Event) {
    setPick(null); setNp(emptyNewPerson(h.members[0]?.last_name ?? '')); setRole(mode === 'existing' ? 'partner' : 'child');
    setFrom(mode === 'existing' ? formatDate(todayIso()) : ''); setFe({}); setErr(null); setCands(null); setOverride(false);
    setOverlap(null); setMove(false);
    if (mode) inline.show(mode, e); else inline.close();
  }

  async function submit(e: Event) {
    e.preventDefault();
    setErr(null);
    const errors: Record<string, string> = {};
    const body: MemberInput = { role, valid_from: '' };
    if (inline.open === 'new') {
      const c = checkNewPerson(np);
      Object.assign(errors, c.errors);
      if (c.body) body.person = { language: app.me.user.language, ...c.body, ...(override ? { override_duplicate: true } : {}) };
    } else if (pick) {
      body.person_id = pick.id;
      if (move) body.move = true;
    }
    // A new-born joins on the day of birth unless another day is given.
    const d = checkDate(from || (inline.open === 'new' ? np.birth_date : ''), true);
    if (d.error) errors.valid_from = d.error;
    if (!fieldsChecked(errors, setFe, setErr)) return;
    body.valid_from = d.iso as string;
    setBusy(true);
    try {
      await post(`/api/v1/households/${h.id}/members`, body, { ifMatch: etag ?? etagOf(h.version) });
      const note = move && overlap
        ? t('persons.household.moved', { household: overlap.household, date: formatDate(body.valid_from) })
        : t('casework.household.member_added');
      reset(null);
      onDone(note);
    } catch (x) {
      const ov = overlapOf(x);
      if (x instanceof ApiError && x.code === 'possible_duplicate') setCands((x.detail?.candidates ?? []) as DuplicateCandidate[]);
      if (ov) setOverlap(ov);
      const sp = splitError(x, [...NEW_PERSON_FIELDS, 'valid_from']);
      setFe(sp.field);
      setErr(sp.form ?? formIncomplete());
    } finally { setBusy(false); }
  }

  const name = pick ? `${pick.last_name} ${pick.first_name}` : '';
  return (
    <Section id="hh-add" title={t('casework.household.add')}>
      <div class="actions">
        <button type="button" class="btn btn-secondary" aria-expanded={inline.open === 'new'} onClick={(e) => reset('new', e)}>{t('persons.household.add_new')}</button>
        <button type="button" class="btn btn-secondary" aria-expanded={inline.open === 'existing'} onClick={(e) => reset('existing', e)}>{t('persons.household.add_existing')}</button>
      </div>
      {inline.open ? (
        <InlinePanel keys={inline.keys} key={`${inline.open}-${pick ? pick.id : 0}`}>
          {inline.open === 'existing' && !pick
            ? <PersonFinder idPrefix="hh" onPick={setPick} pickLabel={t('casework.household.pick')} />
            : (
              <form class="form" onSubmit={submit} noValidate>
                {err ? <ErrorBox error={err} /> : null}
                {cands ? <DuplicateWarning id="hh-dup" cands={cands} override={override} onOverride={setOverride} /> : null}
                {overlap && pick ? <MoveChoice name={name} overlap={overlap} move={move} onMove={setMove} /> : null}
                {inline.open === 'new' ? (
                  <fieldset class="fieldset">
                    <legend>{t('persons.household.new_legend')}</legend>
                    <NewPersonFields v={np} errors={fe} idPrefix="hh-new"
                      set={(k, x) => { setN(k)(x); if (k !== 'sex' && k !== 'ahv') { setCands(null); setOverride(false); } }} />
                  </fieldset>
                ) : <p>{t('casework.household.adding', { name })}</p>}
                <div class="row-fields">
                  <SelectField label={t('casework.household.role')} value={role} onChange={setRole}
                    options={MEMBER_ROLES.map((r) => ({ value: r, label: label('casework.role', r) }))} />
                  <DateField label={t('casework.household.valid_from')} value={from} onInput={setFrom} error={fe.valid_from}
                    required={inline.open !== 'new'} hint={inline.open === 'new' ? t('persons.household.from_hint') : undefined} name="member-valid_from" />
                </div>
                <div class="actions">
                  <button type="submit" class="btn btn-primary" disabled={busy}>{t('casework.household.add_submit')}</button>
                  <button type="button" class="btn btn-secondary" onClick={() => reset(null)}>{t('common.cancel')}</button>
                </div>
              </form>
            )}
        </InlinePanel>
      ) : null}
    </Section>
  );
}

/** A household's members over time with the changes a person.write holder may make. */
export function HouseholdPanel({ id, page }: { id: number | string; page?: boolean }) {
  const mh = useHref();
  const app = useApp();
  const hh = useResource<Household>(`/api/v1/households/${id}`);
  const ending = useInline<number>();
  const [endOn, setEndOn] = useState(formatDate(todayIso()));
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  if (hh.error) return <>{page ? <PageTitle>{t('casework.household.name')}</PageTitle> : null}<ErrorBox error={hh.error} /></>;
  if (!hh.data) return <Loading />;
  const h = hh.data;
  const write = app.can('person.write');
  async function end(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const d = checkDate(endOn, true);
    setFe(d.error);
    if (d.error || ending.open === null) return;
    try {
      await patch(`/api/v1/households/${h.id}/members/${ending.open}`, { valid_to: d.iso }, hh.etag ?? etagOf(h.version));
      ending.close(); setNote(t('casework.household.member_ended')); hh.reload();
    } catch (x) { if (x instanceof ApiError && x.status === 409) hh.reload(); setErr(x); }
  }
  return (
    <>
      {page ? <PageTitle>{h.name}</PageTitle> : null}
      <Section id="hh-title" title={t('casework.household.over_time_name', { name: h.name })}>
        {note ? <Notice kind="success">{note}</Notice> : null}
        {err ? <ErrorBox error={err} /> : null}
        <table class="table">
          <caption class="visually-hidden">{t('casework.household.over_time')}</caption>
          <thead><tr>
            <th scope="col">{t('casework.person.name')}</th><th scope="col">{t('casework.person.birth_date')}</th>
            <th scope="col">{t('casework.household.role')}</th><th scope="col">{t('casework.household.valid_from')}</th>
            <th scope="col">{t('casework.household.valid_to')}</th>
            {write ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}
          </tr></thead>
          <tbody>
            {h.members.map((m) => (
              <tr key={m.id}>
                <td><a href={mh('persons', m.person_id)}>{m.last_name} {m.first_name}</a></td>
                <td>{formatDate(m.birth_date)}</td><td>{label('casework.role', m.role)}</td>
                <td>{formatDate(m.valid_from)}</td><td>{dateOrDash(m.valid_to)}</td>
                {write ? <td>{!m.valid_to ? <button type="button" class="btn btn-secondary" aria-expanded={ending.open === m.id}
                  onClick={(e) => { setFe(null); ending.show(m.id, e); }}>
                  {t('casework.household.end')}<span class="visually-hidden"> – {m.last_name} {m.first_name}</span></button> : null}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
        {ending.open !== null ? <EndForm keys={ending.keys} endOn={endOn} setEndOn={setEndOn} fe={fe} onSubmit={end} onCancel={ending.close} /> : null}
      </Section>
      {write ? <AddMember h={h} etag={hh.etag} onDone={(n) => { setNote(n); setErr(null); hh.reload(); }} /> : null}
    </>
  );
}

function EndForm(p: { keys: { onKeyDown: (e: KeyboardEvent) => void }; endOn: string; setEndOn: (v: string) => void; fe: string | null; onSubmit: (e: Event) => void; onCancel: () => void }) {
  return (
    <InlinePanel keys={p.keys} class="inline-end">
      <form class="inline-form" onSubmit={p.onSubmit} noValidate>
        <DateField label={t('casework.household.valid_to')} hint={t('casework.household.valid_to_hint')} value={p.endOn} onInput={p.setEndOn} error={p.fe} />
        <button type="submit" class="btn btn-primary">{t('casework.household.end_confirm')}</button>
        <button type="button" class="btn btn-secondary" onClick={p.onCancel}>{t('common.cancel')}</button>
      </form>
    </InlinePanel>
  );
}

/** The dossier's household tab. */
export function HouseholdTab({ dossier }: { dossier: Dossier }) {
  return <HouseholdPanel id={dossier.household_id} />;
}

/** #/m/<module>/households/<id> */
export function HouseholdView({ id }: { id: string }) {
  const mh = useHref();
  return (
    <section>
      <ModuleNav current="persons" />
      <p class="breadcrumb"><a href={mh('persons')}>{t('casework.search.title')}</a></p>
      <HouseholdPanel id={id} page />
    </section>
  );
}
