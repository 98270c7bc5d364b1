// Persons: search as you type (name in any spelling, first name alone,
// birth date, AHV number; the query lives in the URL so Back returns to
// it) with each person's dossiers; registration of a family in one go
// (applicant, partner, children: new persons and ones registered before,
// each checked for duplicates with the explicit override) and, for those
// allowed, its dossier; one person with their dossiers, addresses over
// time and households, edited with If-Match and the conflict panel.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, etagOf, get, patch, post, withQuery, type Page } from '../api';
import { t, tOpt, label, errorText, langName, langOptions } from '../i18n';
import { useApp } from '../ctx';
import { navigate } from '../router';
import { useResource } from '../lib/hooks';
import { splitError, formIncomplete, fieldsChecked } from '../lib/errors';
import { changedFields, useEdit } from '../lib/edit';
import { ConflictPanel, type ConflictField } from '../components/conflict';
import { CheckboxField, ErrorBox, Facts, Field, Loading, Notice, PageTitle, SelectField } from '../components/ui';
import { ahvDigits, formatAhv, formatDate, isValidAhv, parseDate, todayIso } from '../lib/format';
import type { DuplicateCandidate, Household, MemberInput, Person, PersonDossier, PersonHit, PersonHousehold, Dossier } from './types';
import { CIVIL_STATES, MEMBER_ROLES, PERMITS } from './types';
import { DateField, Section, ModuleNav, StateBadge, checkDate, dateOrDash, modHref, useHref, useDebounced, useModule } from './common';
import './persons.css';
import {
  DuplicateWarning, InlinePanel, MoveChoice, NEW_PERSON_FIELDS, NewPersonFields, checkNewPerson, emptyNewPerson,
  overlapOf, useInline, type NewPerson, type Overlap,
} from './Household';
import { fieldSetter } from '../lib/form';

/** What was typed into the search fields. */
export interface SearchInput { name: string; birth: string; ahv: string }

/** The search parameters the typed text gives (null: nothing to search yet). */
function searchQuery(s: SearchInput): Record<string, string> | null {
  const q: Record<string, string> = {};
  if (ahvDigits(s.ahv).length === 13) q.ahv = formatAhv(s.ahv);
  else if (s.name.trim().length >= 2) q.q = s.name.trim();
  const b = parseDate(s.birth);
  if (b) q.birth_date = b;
  return q.ahv || q.q || q.birth_date ? q : null;
}

/** A person's dossiers, each with its state and case worker. */
export function DossierChips({ items }: { items: PersonDossier[] }) {
  const app = useApp();
  if (!items.length) return <>–</>;
  return (
    <ul class="plain-list">
      {items.map((d) => (
        <li key={d.id}>
          {app.modules.includes(d.module)
            ? <a href={modHref(d.module, 'cases', d.id)}>{t('persons.dossier_no', { id: d.id })}</a>
            : t('persons.dossier_no', { id: d.id })}{' '}
          <StateBadge state={d.state} module={d.module} />{' '}
          <span class="muted">{d.caseworker?.display_name ?? t('persons.caseworker_none')}</span>
        </li>
      ))}
    </ul>
  );
}

/** Search fields with results as one types; pick() or links to the person. */
export function PersonFinder({ onPick, pickLabel, idPrefix, initial, onInput }: {
  onPick?: (p: PersonHit) => void; pickLabel?: string; idPrefix: string;
  initial?: SearchInput; onInput?: (s: SearchInput) => void;
}) {
  const mh = useHref();
  const [s, setS] = useState<SearchInput>(initial ?? { name: '', birth: '', ahv: '' });
  const [res, setRes] = useState<PersonHit[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const query = useDebounced(searchQuery(s), 250);
  const ahvErr = ahvDigits(s.ahv).length === 13 && !isValidAhv(s.ahv) ? t('casework.person.ahv_rule') : null;
  const set = (k: keyof SearchInput) => (v: string) => { const n = { ...s, [k]: v }; setS(n); onInput?.(n); };
  useEffect(() => {
    if (!query) { setRes(null); return; }
    let live = true;
    setBusy(true);
    get<Page<PersonHit>>(withQuery('/api/v1/persons', { ...query, limit: 20 }))
      .then((r) => { if (live) { setRes(r.data.items); setErr(null); } })
      .catch((e) => { if (live) setErr(e); })
      .finally(() => { if (live) setBusy(false); });
    return () => { live = false; };
  }, [JSON.stringify(query)]);
  const withDossiers = !!res?.some((p) => p.dossiers !== undefined);
  return (
    <div class="finder">
      <div class="row-fields">
        <Field label={t('casework.search.name')} hint={t('casework.search.name_hint')} type="search" value={s.name} onInput={set('name')} name={`${idPrefix}-name`} />
        <Field label={t('casework.person.birth_date')} hint={t('form.date_hint')} value={s.birth} onInput={set('birth')} name={`${idPrefix}-birth`} />
        <Field label={t('casework.person.ahv')} hint={t('casework.person.ahv_hint')} value={s.ahv} onInput={set('ahv')} error={ahvErr} name={`${idPrefix}-ahv`} inputMode="numeric" />
      </div>
      <p role="status" class="muted search-status">
        {busy ? t('casework.search.searching') : res === null ? t('casework.search.start') : t('casework.search.found', { n: res.length })}
      </p>
      {err ? <ErrorBox error={err} /> : null}
      {res && res.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('casework.search.results')}</caption>
          <thead><tr>
            <th scope="col">{t('casework.person.name')}</th>
            <th scope="col">{t('casework.person.birth_date')}</th>
            <th scope="col">{t('casework.person.town')}</th>
            <th scope="col">{t('casework.person.ahv')}</th>
            {withDossiers ? <th scope="col">{t('persons.dossiers')}</th> : null}
            {onPick ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}
          </tr></thead>
          <tbody>
            {res.map((p) => (
              <tr key={p.id}>
                <td><a href={mh('persons', p.id)}>{p.last_name} {p.first_name}</a></td>
                <td>{formatDate(p.birth_date)}</td>
                <td>{[p.postcode, p.town].filter(Boolean).join(' ') || '–'}</td>
                <td>{p.has_ahv ? t('casework.person.ahv_known') : '–'}</td>
                {withDossiers ? <td><DossierChips items={p.dossiers ?? []} /></td> : null}
                {onPick ? <td><button type="button" class="btn btn-secondary" onClick={() => onPick(p)}>
                  {pickLabel}<span class="visually-hidden"> – {p.last_name} {p.first_name}</span></button></td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

/** The search as it is in the URL fragment: #/m/<module>/persons?q=&birth=&ahv= */
function searchFromHash(): SearchInput {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return { name: q.get('q') ?? '', birth: q.get('birth') ?? '', ahv: q.get('ahv') ?? '' };
}

export function PersonSearch() {
  const mh = useHref();
  const app = useApp();
  const initial = useMemo(searchFromHash, []);
  // The typed search replaces the URL (no history entry per key), so Back
  // from a person returns to the same search.
  function remember(s: SearchInput) {
    const q = new URLSearchParams();
    if (s.name.trim()) q.set('q', s.name.trim());
    if (s.birth.trim()) q.set('birth', s.birth.trim());
    if (s.ahv.trim()) q.set('ahv', s.ahv.trim());
    const qs = q.toString();
    history.replaceState(history.state, '', mh('persons') + (qs ? `?${qs}` : ''));
  }
  return (
    <section>
      <ModuleNav current="persons" />
      <div class="page-head">
        <PageTitle>{t('casework.search.title')}</PageTitle>
        {app.can('person.write') ? <a class="btn btn-primary" href={mh('persons', 'new')}>{t('casework.person.register')}</a> : null}
      </div>
      <div class="card"><PersonFinder idPrefix="ps" initial={initial} onInput={remember} /></div>
    </section>
  );
}

interface Muni { bfs: number; name: string }

const emptyPerson = {
  last_name: '', first_name: '', birth_date: '', sex: '', ahv: '', street: '', house_no: '', postcode: '', town: '',
  phone: '', email: '', language: 'de', iban: '', nationality: '', permit: '', civil_status: '',
};

/** A further member of the family being registered: new, or registered before. */
interface FamilyMember {
  key: number; role: string; np: NewPerson | null; existing: PersonHit | null;
  errors: Record<string, string>; message: string | null;
  cands: DuplicateCandidate[] | null; override: boolean; overlap: Overlap | null; move: boolean;
}

const newMember = (key: number, role: string, np: NewPerson | null, existing: PersonHit | null): FamilyMember =>
  ({ key, role, np, existing, errors: {}, message: null, cands: null, override: false, overlap: null, move: false });

function memberName(m: FamilyMember): string {
  return m.existing ? `${m.existing.last_name} ${m.existing.first_name}` : `${m.np?.last_name ?? ''} ${m.np?.first_name ?? ''}`.trim();
}

/** One further member's fieldset in the family registration. */
function FamilyMemberFields({ m, n, update, remove }: {
  m: FamilyMember; n: number; update: (f: (m: FamilyMember) => FamilyMember) => void; remove: () => void;
}) {
  return (
    <fieldset class="fieldset family-member">
      <legend>{t('persons.family.member', { n, role: label('casework.role', m.role) })}</legend>
      {m.message ? <p class="field-error" role="alert">{m.message}</p> : null}
      {m.cands ? <DuplicateWarning id={`dup-${m.key}`} cands={m.cands} override={m.override}
        onOverride={(v) => update((x) => ({ ...x, override: v }))} /> : null}
      {m.overlap ? <MoveChoice name={memberName(m)} overlap={m.overlap} move={m.move} onMove={(v) => update((x) => ({ ...x, move: v }))} /> : null}
      <SelectField label={t('casework.household.role')} value={m.role} onChange={(v) => update((x) => ({ ...x, role: v }))}
        options={MEMBER_ROLES.filter((r) => r !== 'applicant').map((r) => ({ value: r, label: label('casework.role', r) }))} />
      {m.np ? (
        <NewPersonFields v={m.np} errors={m.errors} idPrefix={`m${m.key}`}
          set={(k, v) => update((x) => ({ ...x, np: { ...(x.np as NewPerson), [k]: v }, ...(k !== 'sex' && k !== 'ahv' ? { cands: null, override: false } : {}) }))} />
      ) : m.existing ? (
        <p>{t('persons.family.existing', { name: memberName(m), date: formatDate(m.existing.birth_date) })}</p>
      ) : null}
      <button type="button" class="btn btn-secondary" onClick={remove}>
        {t('persons.family.remove')}<span class="visually-hidden"> – {memberName(m) || t('persons.family.member', { n, role: label('casework.role', m.role) })}</span>
      </button>
    </fieldset>
  );
}

/**
 * Registration of a household: the applicant, and with them the partner
 * and children (new or registered before), in one request; then, for
 * those allowed, the dossier.
 */
export function RegisterPerson() {
  const mh = useHref();
  const mod = useModule().code;
  const app = useApp();
  const canCase = app.can('case.register');
  const munis = useResource<Page<Muni>>(canCase && app.can('directory.read') ? '/api/v1/municipalities' : null);
  const [v, setV] = useState({ ...emptyPerson, language: app.me.user.language as string });
  const [hh, setHh] = useState({ name: '', valid_from: formatDate(todayIso().slice(0, 8) + '01') });
  const setH = fieldSetter(setHh);
  const [members, setMembers] = useState<FamilyMember[]>([]);
  const finder = useInline<true>();
  const seq = useRef(1);
  const [openCase, setOpenCase] = useState(canCase);
  const [bfs, setBfs] = useState('');
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [cands, setCands] = useState<DuplicateCandidate[] | null>(null);
  const [existing, setExisting] = useState<number | null>(null);
  const [override, setOverride] = useState(false);
  const [busy, setBusy] = useState(false);
  // The household once registered (a second try only opens the dossier).
  const done = useRef<Household | null>(null);
  const setField = fieldSetter(setV);
  const set = (k: keyof typeof v) => (x: string) => {
    setField(k)(x);
    if (k === 'last_name' || k === 'first_name' || k === 'birth_date') { setCands(null); setOverride(false); }
  };
  const muniOptions = munis.data?.items ?? [];
  useEffect(() => { if (muniOptions.length) setBfs((cur) => cur || String(muniOptions[0].bfs)); }, [muniOptions.length]);
  const update = (key: number) => (f: (m: FamilyMember) => FamilyMember) =>
    setMembers((ms) => ms.map((m) => (m.key === key ? f(m) : m)));
  const add = (role: string, existingPerson: PersonHit | null = null) => {
    const key = seq.current++;
    setMembers((ms) => [...ms, newMember(key, role, existingPerson ? null : emptyNewPerson(v.last_name.trim()), existingPerson)]);
    // The new member's first field takes the focus.
    setTimeout(() => document.querySelector<HTMLElement>(`.family-member:last-of-type select`)?.focus(), 0);
  };

  /** The members' bodies for POST /households, or null when a field is wrong. */
  function memberBodies(valid_from: string, applicant: Record<string, unknown>): MemberInput[] | null {
    let bad = false;
    // The applicant is member 0; the API names a refused member by index.
    const out: MemberInput[] = [{ person: applicant, role: 'applicant', valid_from }];
    // New members live in the applicant's flat and share the language.
    const shared: Record<string, unknown> = { language: applicant.language };
    for (const k of ['street', 'house_no', 'postcode', 'town'] as const) if (applicant[k]) shared[k] = applicant[k];
    const checked = members.map((m) => {
      if (m.existing) {
        out.push({ person_id: m.existing.id, role: m.role, valid_from, ...(m.move ? { move: true } : {}) });
        return { ...m, errors: {}, message: null };
      }
      const c = checkNewPerson(m.np as NewPerson);
      if (c.body) out.push({ person: { ...shared, ...c.body, ...(m.override ? { override_duplicate: true } : {}) }, role: m.role, valid_from });
      else bad = true;
      return { ...m, errors: c.errors, message: null };
    });
    setMembers(checked);
    return bad ? null : out;
  }

  /** Show an error that names a further member (detail.member ≥ 1) at that member. */
  function atMember(err: ApiError, i: number) {
    const m = members[i - 1];
    if (!m) return;
    const field = err.field && NEW_PERSON_FIELDS.includes(err.field) && m.np ? err.field : null;
    setMembers((ms) => ms.map((x) => (x.key !== m.key ? x : {
      ...x,
      cands: err.code === 'possible_duplicate' ? (err.detail?.candidates ?? []) as DuplicateCandidate[] : x.cands,
      overlap: overlapOf(err) ?? x.overlap,
      errors: field ? splitError(err, NEW_PERSON_FIELDS).field : err.code === 'duplicate_person' ? { ahv: t('casework.person.ahv_taken') } : {},
      message: field ? null : t('persons.family.member_error', { n: i + 1, name: memberName(x), message: errorText(err) }),
    })));
  }

  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!v.last_name.trim()) fe.last_name = t('form.missing');
    if (!v.first_name.trim()) fe.first_name = t('form.missing');
    const bd = checkDate(v.birth_date, true);
    if (bd.error) fe.birth_date = bd.error;
    if (v.ahv.trim() && !isValidAhv(v.ahv)) fe.ahv = t('casework.person.ahv_rule');
    const vf = checkDate(hh.valid_from, true);
    if (vf.error) fe.valid_from = vf.error;
    if (openCase && !/^\d+$/.test(bfs)) fe.bfs = t('form.missing');
    setFieldErr(fe);
    setFormErr(null);
    const body: Record<string, unknown> = { last_name: v.last_name.trim(), first_name: v.first_name.trim(), birth_date: bd.iso, language: v.language };
    for (const k of ['sex', 'street', 'house_no', 'postcode', 'town', 'phone', 'email', 'nationality', 'permit', 'civil_status'] as const)
      if (v[k].trim()) body[k] = v[k].trim();
    if (v.ahv.trim()) body.ahv = formatAhv(v.ahv.trim());
    if (v.iban.trim()) body.iban = v.iban.replace(/\s+/g, '').toUpperCase();
    if (override) body.override_duplicate = true;
    const ms = done.current ? [] : memberBodies(vf.iso ?? '', body);
    if (Object.keys(fe).length || ms === null) { setFormErr(formIncomplete()); return; }
    if (cands && !override) { setFormErr(new ApiError(409, { code: 'possible_duplicate', message: '' })); return; }
    setBusy(true);
    try {
      if (!done.current) {
        done.current = (await post<Household>('/api/v1/households', {
          name: hh.name.trim() || t('casework.household.default_name', { name: `${v.last_name.trim()} ${v.first_name.trim()}` }),
          members: ms,
        })).data;
      }
      const household = done.current;
      const applicant = household.members.find((m) => m.role === 'applicant') ?? household.members[0];
      if (openCase) {
        const c = await post<Dossier>('/api/v1/cases', {
          household_id: household.id, applicant_id: applicant.person_id, municipality_bfs: Number(bfs), kind: mod,
          ...(app.can('case.write') ? { caseworker_id: app.me.user.id } : {}),
        });
        navigate(mh('cases', c.data.id) + '?registered=1');
      } else {
        navigate(mh('persons', applicant.person_id) + '?registered=1');
      }
    } catch (err) {
      const idx = err instanceof ApiError && typeof err.detail?.member === 'number' ? err.detail.member : 0;
      if (err instanceof ApiError && idx > 0) {
        atMember(err, idx);
        setFormErr(err);
      } else if (err instanceof ApiError && err.code === 'possible_duplicate') {
        setCands((err.detail?.candidates ?? []) as DuplicateCandidate[]);
        setFormErr(err);
      } else if (err instanceof ApiError && err.code === 'duplicate_person') {
        setExisting(Number(err.detail?.person_id) || null);
        setFieldErr({ ahv: t('casework.person.ahv_taken') });
        setFormErr(err);
      } else {
        const sp = splitError(err, Object.keys(emptyPerson));
        setFieldErr(sp.field);
        setFormErr(sp.form ?? formIncomplete());
      }
    } finally { setBusy(false); }
  }

  const registered = done.current !== null;
  return (
    <section>
      <ModuleNav current="persons" />
      <p class="breadcrumb"><a href={mh('persons')}>{t('casework.search.title')}</a></p>
      <PageTitle>{t('casework.person.register_title')}</PageTitle>
      <form class="form card" onSubmit={submit} noValidate>
        {formErr ? <ErrorBox error={formErr} /> : null}
        {cands ? <DuplicateWarning id="dup-title" h2 cands={cands} override={override} onOverride={setOverride} /> : null}
        {existing ? <Notice kind="warning"><a href={mh('persons', existing)}>{t('casework.person.open_existing')}</a></Notice> : null}
        {registered ? <Notice kind="success">{t('persons.family.registered', { n: done.current?.members.length ?? 1 })}</Notice> : null}
        <fieldset class="fieldset" disabled={registered}>
          <legend>{t('casework.person.legend')}</legend>
          <Field label={t('casework.person.last_name')} value={v.last_name} onInput={set('last_name')} required error={fieldErr.last_name} name="last_name" />
          <Field label={t('casework.person.first_name')} value={v.first_name} onInput={set('first_name')} required error={fieldErr.first_name} name="first_name" />
          <DateField label={t('casework.person.birth_date')} value={v.birth_date} onInput={set('birth_date')} required error={fieldErr.birth_date} name="birth_date" />
          <SelectField label={t('casework.person.sex')} value={v.sex} onChange={set('sex')} error={fieldErr.sex}
            options={[{ value: '', label: t('casework.person.sex_none') }, ...['f', 'm', 'x'].map((s) => ({ value: s, label: label('casework.sex', s) }))]} />
          <Field label={t('casework.person.ahv')} hint={t('casework.person.ahv_hint')} value={v.ahv} onInput={set('ahv')} error={fieldErr.ahv} name="ahv" inputMode="numeric" />
          <SelectField label={t('casework.person.language')} value={v.language} onChange={set('language')}
            options={langOptions()} />
          <AddressFields v={v} set={(k, x) => { if (k !== 'country') set(k)(x); }} errors={fieldErr} />
          <ContactFields v={v} set={(k, x) => set(k)(x)} errors={fieldErr} />
          <StatusFields v={v} set={(k, x) => set(k)(x)} errors={fieldErr} />
        </fieldset>
        <fieldset class="fieldset" disabled={registered}>
          <legend>{t('persons.family.legend')}</legend>
          <p class="hint">{t('persons.family.hint')}</p>
          {members.map((m, i) => (
            <FamilyMemberFields key={m.key} m={m} n={i + 2} update={update(m.key)}
              remove={() => setMembers((ms) => ms.filter((x) => x.key !== m.key))} />
          ))}
          <p role="status" class="muted">{t('persons.family.summary', { n: members.length + 1 })}</p>
          <div class="actions">
            <button type="button" class="btn btn-secondary" onClick={() => add('partner')}>{t('persons.family.add_partner')}</button>
            <button type="button" class="btn btn-secondary" onClick={() => add('child')}>{t('persons.family.add_child')}</button>
            <button type="button" class="btn btn-secondary" onClick={() => add('other')}>{t('persons.family.add_other')}</button>
            <button type="button" class="btn btn-secondary" aria-expanded={!!finder.open} onClick={(e) => finder.show(true, e)}>{t('persons.family.add_existing')}</button>
          </div>
          {finder.open ? (
            <InlinePanel keys={finder.keys}>
              <h3>{t('persons.family.find_title')}</h3>
              <PersonFinder idPrefix="fam" pickLabel={t('casework.household.pick')}
                onPick={(p) => { finder.close(); add('child', p); }} />
              <button type="button" class="btn btn-secondary" onClick={finder.close}>{t('common.cancel')}</button>
            </InlinePanel>
          ) : null}
        </fieldset>
        <fieldset class="fieldset" disabled={registered}>
          <legend>{t('casework.household.legend')}</legend>
          <Field label={t('casework.household.name')} hint={t('casework.household.name_hint')} value={hh.name}
            onInput={setH('name')} name="household_name" />
          <DateField label={t('casework.household.valid_from')} value={hh.valid_from} onInput={setH('valid_from')}
            required error={fieldErr.valid_from} name="valid_from" />
        </fieldset>
        {canCase ? (
          <fieldset class="fieldset">
            <legend>{t('casework.case.legend')}</legend>
            <CheckboxField label={tOpt(`${mod}.case.open_now`) ?? t('casework.case.open_now')} checked={openCase} onChange={setOpenCase} />
            {openCase ? (muniOptions.length ? (
              <SelectField label={t('casework.case.municipality')} value={bfs} onChange={setBfs} error={fieldErr.bfs}
                options={muniOptions.map((m) => ({ value: String(m.bfs), label: m.name }))} />
            ) : (
              <Field label={t('casework.case.municipality_bfs')} value={bfs} onInput={setBfs} error={fieldErr.bfs} inputMode="numeric" name="bfs" />
            )) : null}
          </fieldset>
        ) : null}
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('casework.person.register_submit')}</button>
          <a class="btn btn-secondary" href={mh('persons')}>{t('common.cancel')}</a>
        </div>
      </form>
    </section>
  );
}

type AddressKey = 'street' | 'house_no' | 'postcode' | 'town' | 'country';

/** Street, number, postcode, town (and, when asked, the country). */
function AddressFields({ v, set, errors, country }: {
  v: Record<Exclude<AddressKey, 'country'>, string> & { country?: string }; set: (k: AddressKey, x: string) => void;
  errors: Record<string, string>; country?: boolean;
}) {
  return (
    <>
      <div class="row-fields">
        <Field label={t('casework.person.street')} value={v.street} onInput={(x) => set('street', x)} error={errors.street} name="street" />
        <Field label={t('casework.person.house_no')} value={v.house_no} onInput={(x) => set('house_no', x)} error={errors.house_no} name="house_no" class="field-short" />
      </div>
      <div class="row-fields">
        <Field label={t('casework.person.postcode')} value={v.postcode} onInput={(x) => set('postcode', x)} error={errors.postcode} name="postcode" class="field-short" inputMode="numeric" />
        <Field label={t('casework.person.town')} value={v.town} onInput={(x) => set('town', x)} error={errors.town} name="town" />
        {country ? <Field label={t('persons.country')} value={v.country ?? ''} onInput={(x) => set('country', x.toUpperCase())} error={errors.country} name="country" maxLength={2} class="field-short" /> : null}
      </div>
    </>
  );
}

/** Phone, e-mail and the IBAN for payments. */
function ContactFields({ v, set, errors }: {
  v: { phone: string; email: string; iban: string }; set: (k: 'phone' | 'email' | 'iban', x: string) => void; errors: Record<string, string>;
}) {
  return (
    <>
      <div class="row-fields">
        <Field label={t('casework.person.phone')} value={v.phone} onInput={(x) => set('phone', x)} error={errors.phone} name="phone" />
        <Field label={t('casework.person.email')} type="email" value={v.email} onInput={(x) => set('email', x)} error={errors.email} name="email" />
      </div>
      <Field label={t('casework.person.iban')} hint={t('casework.person.iban_hint')} value={v.iban} onInput={(x) => set('iban', x)} error={errors.iban} name="iban" />
    </>
  );
}

/** Civil status, nationality and residence permit (registration and edit). */
function StatusFields({ v, set, errors }: {
  v: { civil_status: string; nationality: string; permit: string };
  set: (k: 'civil_status' | 'nationality' | 'permit', x: string) => void; errors: Record<string, string>;
}) {
  const country = countryName(v.nationality);
  return (
    <div class="row-fields">
      <SelectField label={t('persons.civil_status')} value={v.civil_status} onChange={(x) => set('civil_status', x)} error={errors.civil_status}
        options={[{ value: '', label: t('persons.civil_none') }, ...CIVIL_STATES.map((c) => ({ value: c, label: label('persons.civil', c) }))]} />
      <Field label={t('persons.nationality')} hint={country ? `${t('persons.nationality_hint')} – ${country}` : t('persons.nationality_hint')}
        value={v.nationality} onInput={(x) => set('nationality', x.toUpperCase())} error={errors.nationality} name="nationality" maxLength={2} class="field-short" />
      <SelectField label={t('persons.permit')} value={v.permit} onChange={(x) => set('permit', x)} error={errors.permit}
        options={[{ value: '', label: t('persons.permit_none') }, ...PERMITS.map((p) => ({ value: p, label: label('persons.permit', p) }))]} />
    </div>
  );
}

/** The country's name in the reader's language (Intl), or '' for anything else. */
function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return '';
  try {
    const n = new Intl.DisplayNames([document.documentElement.lang || 'de'], { type: 'region' }).of(code);
    return n && n !== code ? n : '';
  } catch { return ''; }
}

// ------------------------------------------------------------- one person

type PersonForm = {
  last_name: string; first_name: string; birth_date: string; sex: string; ahv: string; language: string;
  civil_status: string; nationality: string; permit: string;
  street: string; house_no: string; postcode: string; town: string; country: string; moved_on: string;
  phone: string; email: string; iban: string;
};
const ADDRESS = ['street', 'house_no', 'postcode', 'town', 'country'] as const;
const NULLABLE = ['sex', 'civil_status', 'nationality', 'permit', 'street', 'house_no', 'postcode', 'town', 'phone', 'email', 'iban'] as const;

const toForm = (x: Person): PersonForm => ({
  last_name: x.last_name, first_name: x.first_name, birth_date: formatDate(x.birth_date), sex: x.sex ?? '',
  ahv: x.ahv ? formatAhv(x.ahv) : '', language: x.language, civil_status: x.civil_status ?? '',
  nationality: x.nationality ?? '', permit: x.permit ?? '', street: x.street ?? '', house_no: x.house_no ?? '',
  postcode: x.postcode ?? '', town: x.town ?? '', country: x.country ?? 'CH', moved_on: '',
  phone: x.phone ?? '', email: x.email ?? '', iban: x.iban ?? '',
});

function PersonEdit({ person, etag, onSaved, onClose, keys }: {
  person: Person; etag: string | null; onSaved: (p: Person, etag: string | null) => void; onClose: () => void;
  keys: { onKeyDown: (e: KeyboardEvent) => void };
}) {
  const edit = useEdit<PersonForm>();
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { edit.load(toForm(person), etag); }, [person.id]);
  const s = edit.state;
  const fields: ConflictField<PersonForm>[] = useMemo(() => [
    ['last_name', 'casework.person.last_name'], ['first_name', 'casework.person.first_name'],
    ['birth_date', 'casework.person.birth_date'], ['sex', 'casework.person.sex'], ['ahv', 'casework.person.ahv'],
    ['language', 'casework.person.language'], ['civil_status', 'persons.civil_status'], ['nationality', 'persons.nationality'],
    ['permit', 'persons.permit'], ['street', 'casework.person.street'], ['house_no', 'casework.person.house_no'],
    ['postcode', 'casework.person.postcode'], ['town', 'casework.person.town'], ['country', 'persons.country'],
    ['phone', 'casework.person.phone'], ['email', 'casework.person.email'], ['iban', 'casework.person.iban'],
  ].map(([key, k]) => ({
    key: key as keyof PersonForm & string, label: t(k as never),
    show: (x) => (key === 'civil_status' && x ? label('persons.civil', x as string) : key === 'sex' && x ? label('casework.sex', x as string) : (x as string) || '–'),
  })), []);
  if (!s) return null;
  const set = (k: keyof PersonForm) => (x: string) => edit.set(k, x);

  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setErr(null); setNote(null);
    const ch = changedFields(s).filter((k) => k !== 'moved_on');
    const errors: Record<string, string> = {};
    const moved = checkDate(s.values.moved_on, false);
    if (moved.error) errors.moved_on = moved.error;
    if (moved.iso && moved.iso > todayIso()) errors.moved_on = t('persons.moved_on_hint');
    const bd = checkDate(s.values.birth_date, true);
    if (ch.includes('birth_date') && bd.error) errors.birth_date = bd.error;
    if (ch.includes('ahv') && s.values.ahv.trim() && !isValidAhv(s.values.ahv)) errors.ahv = t('casework.person.ahv_rule');
    if (ch.includes('nationality') && s.values.nationality && !/^[A-Z]{2}$/.test(s.values.nationality)) errors.nationality = t('persons.nationality_rule');
    for (const k of ['last_name', 'first_name'] as const) if (ch.includes(k) && !s.values[k].trim()) errors[k] = t('form.missing');
    if (!fieldsChecked(errors, setFe, setErr)) return;
    if (!ch.length && !moved.iso) { setNote(t('form.nothing_changed')); return; }
    const body: Record<string, unknown> = {};
    for (const k of ch) {
      const val = s.values[k].trim();
      if (k === 'birth_date') body[k] = bd.iso;
      else if (k === 'ahv') body[k] = val ? formatAhv(val) : null;
      else if (k === 'iban') body[k] = val ? val.replace(/\s+/g, '').toUpperCase() : null;
      else body[k] = val === '' && (NULLABLE as readonly string[]).includes(k) ? null : val;
    }
    if (moved.iso) {
      body.address_valid_from = moved.iso;
      // A move records the whole new address.
      for (const k of ADDRESS) if (!(k in body)) body[k] = s.values[k].trim() || (k === 'country' ? 'CH' : null);
    }
    setBusy(true);
    try {
      const r = await patch<Person>(`/api/v1/persons/${person.id}`, body, s.etag);
      onSaved(r.data, r.etag);
    } catch (x) {
      if (x instanceof ApiError && x.status === 409 && x.code === 'conflict' && x.current) {
        const cur = x.current as unknown as Person;
        edit.setConflict(toForm({ ...cur, ahv: person.ahv }), etagOf(cur.version));
      } else {
        const sp = splitError(x, [...Object.keys(toForm(person)), 'address_valid_from']);
        if (sp.field.address_valid_from) sp.field.moved_on = sp.field.address_valid_from;
        setFe(sp.field);
        setErr(sp.form ?? formIncomplete());
      }
    } finally { setBusy(false); }
  }

  const v = s.values;
  return (
    <InlinePanel keys={keys}>
      <form class="form" onSubmit={save} noValidate aria-labelledby="person-edit-title">
        <h3 id="person-edit-title">{t('persons.edit_title')}</h3>
        {note ? <Notice kind="info">{note}</Notice> : null}
        {s.conflict ? <ConflictPanel state={s} fields={fields}
          onReapply={() => { edit.reapply(); setNote(t('conflict.reapplied')); }}
          onDiscard={() => { edit.discard(); setNote(t('conflict.discarded')); }} /> : null}
        {err ? <ErrorBox error={err} /> : null}
        <div class="row-fields">
          <Field label={t('casework.person.last_name')} value={v.last_name} onInput={set('last_name')} required error={fe.last_name} name="last_name" />
          <Field label={t('casework.person.first_name')} value={v.first_name} onInput={set('first_name')} required error={fe.first_name} name="first_name" />
          <DateField label={t('casework.person.birth_date')} value={v.birth_date} onInput={set('birth_date')} required error={fe.birth_date} name="birth_date" />
        </div>
        <div class="row-fields">
          <SelectField label={t('casework.person.sex')} value={v.sex} onChange={set('sex')} error={fe.sex}
            options={[{ value: '', label: t('casework.person.sex_none') }, ...['f', 'm', 'x'].map((x) => ({ value: x, label: label('casework.sex', x) }))]} />
          <Field label={t('casework.person.ahv')} hint={t('casework.person.ahv_hint')} value={v.ahv} onInput={set('ahv')} error={fe.ahv} name="ahv" inputMode="numeric" />
          <SelectField label={t('casework.person.language')} value={v.language} onChange={set('language')}
            options={langOptions()} />
        </div>
        <StatusFields v={v} set={(k, x) => edit.set(k, x)} errors={fe} />
        <fieldset class="fieldset">
          <legend>{t('casework.person.address')}</legend>
          <AddressFields v={v} set={(k, x) => edit.set(k, x)} errors={fe} country />
          <DateField label={t('persons.moved_on')} hint={t('persons.moved_on_hint')} value={v.moved_on} onInput={set('moved_on')} error={fe.moved_on} name="moved_on" />
        </fieldset>
        <fieldset class="fieldset">
          <legend>{t('persons.edit_contact')}</legend>
          <ContactFields v={v} set={(k, x) => edit.set(k, x)} errors={fe} />
        </fieldset>
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{t('form.save')}</button>
          <button type="button" class="btn btn-secondary" onClick={onClose}>{t('common.cancel')}</button>
        </div>
      </form>
    </InlinePanel>
  );
}

const addressText = (x: { street: string | null; house_no: string | null; postcode: string | null; town: string | null; country?: string | null }) =>
  [[x.street, x.house_no].filter(Boolean).join(' '), [x.postcode, x.town].filter(Boolean).join(' '), x.country && x.country !== 'CH' ? x.country : '']
    .filter(Boolean).join(', ') || '–';

export function PersonView({ id }: { id: string }) {
  const mh = useHref();
  const mod = useModule().code;
  const app = useApp();
  const p = useResource<Person>(`/api/v1/persons/${id}`);
  const hs = useResource<Page<PersonHousehold>>(`/api/v1/persons/${id}/households`);
  const editing = useInline<true>();
  const [saved, setSaved] = useState(false);
  const registered = location.hash.includes('registered=1');
  if (p.error) return <section><ModuleNav current="persons" /><PageTitle>{t('casework.person.title')}</PageTitle><ErrorBox error={p.error} /></section>;
  if (!p.data) return <Loading />;
  const x = p.data;
  const now = todayIso();
  const civil = x.civil_status ? label('persons.civil', x.civil_status) : '–';
  const country = x.nationality ? [x.nationality, countryName(x.nationality)].filter(Boolean).join(' – ') : '–';
  return (
    <section>
      <ModuleNav current="persons" />
      <p class="breadcrumb"><a href={mh('persons')}>{t('casework.search.title')}</a></p>
      <PageTitle>{x.last_name} {x.first_name}</PageTitle>
      {registered ? <Notice kind="success">{t('casework.person.registered')}</Notice> : null}
      {saved ? <Notice kind="success">{t('form.saved')}</Notice> : null}
      <Section id="person-facts" title={t('casework.person.legend')}
        actions={app.can('person.write') ? <button type="button" class="btn btn-secondary" aria-expanded={!!editing.open}
          onClick={(e) => { setSaved(false); editing.show(true, e); }}>{t('persons.edit')}</button> : null}>
        {editing.open ? (
          <PersonEdit person={x} etag={p.etag} keys={editing.keys} onClose={editing.close}
            onSaved={(np, etag) => { p.setData(np); p.setEtag(etag); editing.close(); setSaved(true); }} />
        ) : (
          <Facts items={[
            [t('casework.person.birth_date'), formatDate(x.birth_date)],
            [t('casework.person.sex'), x.sex ? label('casework.sex', x.sex) : '–'],
            [t('casework.person.ahv'), x.ahv ? formatAhv(x.ahv) : '–'],
            [t('casework.person.address'), addressText(x)],
            [t('persons.civil_status'), civil],
            [t('persons.nationality'), country],
            [t('persons.permit'), x.permit ? label('persons.permit', x.permit) : '–'],
            [t('casework.person.language'), langName(x.language)],
            [t('casework.person.phone'), x.phone ?? '–'],
            [t('casework.person.email'), x.email ?? '–'],
            [t('casework.person.iban'), x.iban ?? '–'],
          ]} />
        )}
      </Section>
      {x.dossiers ? (
        <Section id="person-dossiers" title={t('persons.dossiers')}>
          {x.dossiers.length ? (
            <table class="table">
              <caption class="visually-hidden">{t('persons.dossiers')}</caption>
              <thead><tr>
                <th scope="col">{t('persons.dossier')}</th><th scope="col">{t('persons.state')}</th>
                <th scope="col">{t('casework.case.caseworker')}</th><th scope="col">{t('casework.case.opened_on')}</th>
                <th scope="col">{t('persons.dossier_role')}</th>
              </tr></thead>
              <tbody>
                {x.dossiers.map((d) => (
                  <tr key={d.id}>
                    <td>{app.modules.includes(d.module) ? <a href={modHref(d.module, 'cases', d.id)}>{t('persons.dossier_no', { id: d.id })}</a> : t('persons.dossier_no', { id: d.id })}
                      {d.module !== mod ? <span class="muted"> {label('persons.module', d.module)}</span> : null}</td>
                    <td><StateBadge state={d.state} module={d.module} /></td>
                    <td>{d.caseworker?.display_name ?? t('persons.caseworker_none')}</td>
                    <td>{formatDate(d.opened_on)}</td>
                    <td>{t(d.is_applicant ? 'persons.dossier_applicant' : 'persons.dossier_member')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : <p>{t('persons.dossier_none')}</p>}
        </Section>
      ) : null}
      <Section id="person-addresses" title={t('persons.addresses')}>
        {x.addresses?.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('persons.addresses')}</caption>
            <thead><tr>
              <th scope="col">{t('persons.address_from')}</th><th scope="col">{t('persons.address_to')}</th>
              <th scope="col">{t('casework.person.address')}</th>
            </tr></thead>
            <tbody>
              {x.addresses.map((a, i) => (
                <tr key={`${a.valid_from ?? 'first'}-${i}`}>
                  <td>{a.valid_from ? formatDate(a.valid_from) : t('persons.address_first')}</td>
                  <td>{dateOrDash(a.valid_to)}</td>
                  <td>{addressText(a)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p>{t('persons.address_none')}</p>}
      </Section>
      <Section id="person-hh" title={t('casework.household.over_time')}>
        {hs.error ? <ErrorBox error={hs.error} /> : !hs.data ? <Loading /> : hs.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('casework.household.over_time')}</caption>
            <thead><tr>
              <th scope="col">{t('casework.household.name')}</th>
              <th scope="col">{t('casework.household.role')}</th>
              <th scope="col">{t('casework.household.valid_from')}</th>
              <th scope="col">{t('casework.household.valid_to')}</th>
              {app.can('case.register') ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}
            </tr></thead>
            <tbody>
              {hs.data.items.map((h) => (
                <tr key={h.member_id}>
                  <td><a href={mh('households', h.household_id)}>{h.name}</a></td>
                  <td>{label('casework.role', h.role)}</td>
                  <td>{formatDate(h.valid_from)}</td>
                  <td>{dateOrDash(h.valid_to)}</td>
                  {app.can('case.register') ? <td>{h.role === 'applicant' && (!h.valid_to || h.valid_to > now) && h.valid_from <= now ? (
                    <a class="btn btn-secondary" href={mh('cases', 'new') + `?household=${h.household_id}&applicant=${x.id}`}>{t('casework.case.open_for')}</a>
                  ) : null}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p>{t('casework.household.none')}</p>}
      </Section>
    </section>
  );
}

export { MEMBER_ROLES };
