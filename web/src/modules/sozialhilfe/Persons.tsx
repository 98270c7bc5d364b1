// Persons: search as you type (name, birth date, AHV number), registration
// of a person with their household (and, for those allowed, the dossier)
// with the duplicate warning and its explicit override, and one person.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, withQuery, type Page } from '../../api';
import { t, label } from '../../i18n';
import { useApp } from '../../ctx';
import { navigate } from '../../router';
import { useResource } from '../../lib/hooks';
import { splitError } from '../../lib/errors';
import { CheckboxField, ErrorBox, Facts, Field, Loading, Notice, PageTitle, SelectField } from '../../components/ui';
import { ahvDigits, formatAhv, formatDate, isValidAhv, parseDate, todayIso } from '../../lib/format';
import type { DuplicateCandidate, Household, Person, PersonHit, PersonHousehold, Dossier } from './types';
import { MEMBER_ROLES } from './types';
import { DateField, Section, ShNav, checkDate, dateOrDash, shHref, useDebounced } from './common';

/** The search parameters the typed text gives (null: nothing to search yet). */
function searchQuery(name: string, birth: string, ahv: string): Record<string, string> | null {
  const q: Record<string, string> = {};
  if (ahvDigits(ahv).length === 13) q.ahv = formatAhv(ahv);
  else if (name.trim().length >= 2) q.q = name.trim();
  const b = parseDate(birth);
  if (b) q.birth_date = b;
  return q.ahv || q.q || q.birth_date ? q : null;
}

/** Search fields with results as one types; pick() or links to the person. */
export function PersonFinder({ onPick, pickLabel, idPrefix }: { onPick?: (p: PersonHit) => void; pickLabel?: string; idPrefix: string }) {
  const [name, setName] = useState('');
  const [birth, setBirth] = useState('');
  const [ahv, setAhv] = useState('');
  const [res, setRes] = useState<PersonHit[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const query = useDebounced(searchQuery(name, birth, ahv), 250);
  const ahvErr = ahvDigits(ahv).length === 13 && !isValidAhv(ahv) ? t('sozialhilfe.person.ahv_rule') : null;
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
  return (
    <div class="finder">
      <div class="row-fields">
        <Field label={t('sozialhilfe.search.name')} hint={t('sozialhilfe.search.name_hint')} type="search" value={name} onInput={setName} name={`${idPrefix}-name`} />
        <Field label={t('sozialhilfe.person.birth_date')} hint={t('form.date_hint')} value={birth} onInput={setBirth} name={`${idPrefix}-birth`} />
        <Field label={t('sozialhilfe.person.ahv')} hint={t('sozialhilfe.person.ahv_hint')} value={ahv} onInput={setAhv} error={ahvErr} name={`${idPrefix}-ahv`} inputMode="numeric" />
      </div>
      <p role="status" class="muted search-status">
        {busy ? t('sozialhilfe.search.searching') : res === null ? t('sozialhilfe.search.start') : t('sozialhilfe.search.found', { n: res.length })}
      </p>
      {err ? <ErrorBox error={err} /> : null}
      {res && res.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('sozialhilfe.search.results')}</caption>
          <thead><tr>
            <th scope="col">{t('sozialhilfe.person.name')}</th>
            <th scope="col">{t('sozialhilfe.person.birth_date')}</th>
            <th scope="col">{t('sozialhilfe.person.town')}</th>
            <th scope="col">{t('sozialhilfe.person.ahv')}</th>
            {onPick ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}
          </tr></thead>
          <tbody>
            {res.map((p) => (
              <tr key={p.id}>
                <td><a href={shHref('persons', p.id)}>{p.last_name} {p.first_name}</a></td>
                <td>{formatDate(p.birth_date)}</td>
                <td>{[p.postcode, p.town].filter(Boolean).join(' ') || '–'}</td>
                <td>{p.has_ahv ? t('sozialhilfe.person.ahv_known') : '–'}</td>
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

export function PersonSearch() {
  const app = useApp();
  return (
    <section>
      <ShNav current="persons" />
      <div class="page-head">
        <PageTitle>{t('sozialhilfe.search.title')}</PageTitle>
        {app.can('person.write') ? <a class="btn btn-primary" href={shHref('persons', 'new')}>{t('sozialhilfe.person.register')}</a> : null}
      </div>
      <div class="card"><PersonFinder idPrefix="ps" /></div>
    </section>
  );
}

interface Muni { bfs: number; name: string }

const emptyPerson = {
  last_name: '', first_name: '', birth_date: '', sex: '', ahv: '', street: '', house_no: '', postcode: '', town: '',
  phone: '', email: '', language: 'de', iban: '', nationality: '', permit: '',
};

/** Registration: person, household (the person as applicant) and dossier. */
export function RegisterPerson() {
  const app = useApp();
  const canCase = app.can('case.register');
  const munis = useResource<Page<Muni>>(canCase && app.can('directory.read') ? '/api/v1/municipalities' : null);
  const [v, setV] = useState({ ...emptyPerson, language: app.me.user.language as string });
  const [hh, setHh] = useState({ name: '', valid_from: formatDate(todayIso().slice(0, 8) + '01') });
  const [openCase, setOpenCase] = useState(canCase);
  const [bfs, setBfs] = useState('');
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [cands, setCands] = useState<DuplicateCandidate[] | null>(null);
  const [existing, setExisting] = useState<number | null>(null);
  const [override, setOverride] = useState(false);
  const [busy, setBusy] = useState(false);
  // What is registered already (a second try goes on from there).
  const done = useRef<{ person?: Person; household?: Household }>({});
  const set = (k: keyof typeof v) => (x: string) => {
    setV({ ...v, [k]: x });
    if (k === 'last_name' || k === 'first_name' || k === 'birth_date') { setCands(null); setOverride(false); }
  };
  const muniOptions = munis.data?.items ?? [];
  useEffect(() => { if (muniOptions.length) setBfs((cur) => cur || String(muniOptions[0].bfs)); }, [muniOptions.length]);

  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!v.last_name.trim()) fe.last_name = t('form.missing');
    if (!v.first_name.trim()) fe.first_name = t('form.missing');
    const bd = checkDate(v.birth_date, true);
    if (bd.error) fe.birth_date = bd.error;
    if (v.ahv.trim() && !isValidAhv(v.ahv)) fe.ahv = t('sozialhilfe.person.ahv_rule');
    const vf = checkDate(hh.valid_from, true);
    if (vf.error) fe.valid_from = vf.error;
    if (openCase && !/^\d+$/.test(bfs)) fe.bfs = t('form.missing');
    setFieldErr(fe);
    setFormErr(null);
    if (Object.keys(fe).length) { setFormErr(new ApiError(400, { code: 'form_incomplete', message: '' })); return; }
    if (cands && !override) { setFormErr(new ApiError(409, { code: 'possible_duplicate', message: '' })); return; }
    setBusy(true);
    try {
      if (!done.current.person) {
        const body: Record<string, unknown> = { last_name: v.last_name.trim(), first_name: v.first_name.trim(), birth_date: bd.iso, language: v.language };
        for (const k of ['sex', 'street', 'house_no', 'postcode', 'town', 'phone', 'email', 'nationality', 'permit'] as const)
          if (v[k].trim()) body[k] = v[k].trim();
        if (v.ahv.trim()) body.ahv = formatAhv(v.ahv.trim());
        if (v.iban.trim()) body.iban = v.iban.replace(/\s+/g, '').toUpperCase();
        if (override) body.override_duplicate = true;
        done.current.person = (await post<Person>('/api/v1/persons', body)).data;
      }
      const person = done.current.person;
      if (!done.current.household) {
        done.current.household = (await post<Household>('/api/v1/households', {
          name: hh.name.trim() || t('sozialhilfe.household.default_name', { name: `${person.last_name} ${person.first_name}` }),
          members: [{ person_id: person.id, role: 'applicant', valid_from: vf.iso }],
        })).data;
      }
      const household = done.current.household;
      if (openCase) {
        const c = await post<Dossier>('/api/v1/cases', {
          household_id: household.id, applicant_id: person.id, municipality_bfs: Number(bfs),
          ...(app.can('case.write') ? { caseworker_id: app.me.user.id } : {}),
        });
        navigate(shHref('cases', c.data.id) + '?registered=1');
      } else {
        navigate(shHref('persons', person.id) + '?registered=1');
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === 'possible_duplicate') {
        const list = (err.detail?.candidates ?? []) as DuplicateCandidate[];
        setCands(list);
        setFormErr(err);
      } else if (err instanceof ApiError && err.code === 'duplicate_person') {
        setExisting(Number(err.detail?.person_id) || null);
        setFieldErr({ ahv: t('sozialhilfe.person.ahv_taken') });
        setFormErr(err);
      } else {
        const sp = splitError(err, Object.keys(emptyPerson));
        setFieldErr(sp.field);
        setFormErr(sp.form ?? new ApiError(400, { code: 'form_incomplete', message: '' }));
      }
    } finally { setBusy(false); }
  }

  return (
    <section>
      <ShNav current="persons" />
      <p class="breadcrumb"><a href={shHref('persons')}>{t('sozialhilfe.search.title')}</a></p>
      <PageTitle>{t('sozialhilfe.person.register_title')}</PageTitle>
      <form class="form card" onSubmit={submit} noValidate>
        {formErr ? <ErrorBox error={formErr} /> : null}
        {cands ? (
          <div class="alert alert-warning duplicates" aria-labelledby="dup-title">
            <h2 id="dup-title">{t('sozialhilfe.person.dup_title')}</h2>
            <p>{t('sozialhilfe.person.dup_text')}</p>
            <ul>
              {cands.map((c) => (
                <li key={c.id}><a href={shHref('persons', c.id)}>{c.last_name} {c.first_name}, {formatDate(c.birth_date)}</a></li>
              ))}
            </ul>
            {app.can('person.override_duplicate') ? (
              <CheckboxField label={t('sozialhilfe.person.dup_override')} hint={t('sozialhilfe.person.dup_override_hint')}
                checked={override} onChange={setOverride} />
            ) : <p>{t('sozialhilfe.person.dup_no_override')}</p>}
          </div>
        ) : null}
        {existing ? <Notice kind="warning"><a href={shHref('persons', existing)}>{t('sozialhilfe.person.open_existing')}</a></Notice> : null}
        <fieldset class="fieldset">
          <legend>{t('sozialhilfe.person.legend')}</legend>
          <Field label={t('sozialhilfe.person.last_name')} value={v.last_name} onInput={set('last_name')} required error={fieldErr.last_name} name="last_name" />
          <Field label={t('sozialhilfe.person.first_name')} value={v.first_name} onInput={set('first_name')} required error={fieldErr.first_name} name="first_name" />
          <DateField label={t('sozialhilfe.person.birth_date')} value={v.birth_date} onInput={set('birth_date')} required error={fieldErr.birth_date} name="birth_date" />
          <SelectField label={t('sozialhilfe.person.sex')} value={v.sex} onChange={set('sex')} error={fieldErr.sex}
            options={[{ value: '', label: t('sozialhilfe.person.sex_none') }, ...['f', 'm', 'x'].map((s) => ({ value: s, label: label('sozialhilfe.sex', s) }))]} />
          <Field label={t('sozialhilfe.person.ahv')} hint={t('sozialhilfe.person.ahv_hint')} value={v.ahv} onInput={set('ahv')} error={fieldErr.ahv} name="ahv" inputMode="numeric" />
          <SelectField label={t('sozialhilfe.person.language')} value={v.language} onChange={set('language')}
            options={[{ value: 'de', label: t('lang.de') }, { value: 'fr', label: t('lang.fr') }]} />
          <div class="row-fields">
            <Field label={t('sozialhilfe.person.street')} value={v.street} onInput={set('street')} error={fieldErr.street} name="street" />
            <Field label={t('sozialhilfe.person.house_no')} value={v.house_no} onInput={set('house_no')} error={fieldErr.house_no} name="house_no" class="field-short" />
          </div>
          <div class="row-fields">
            <Field label={t('sozialhilfe.person.postcode')} value={v.postcode} onInput={set('postcode')} error={fieldErr.postcode} name="postcode" class="field-short" inputMode="numeric" />
            <Field label={t('sozialhilfe.person.town')} value={v.town} onInput={set('town')} error={fieldErr.town} name="town" />
          </div>
          <Field label={t('sozialhilfe.person.phone')} value={v.phone} onInput={set('phone')} error={fieldErr.phone} name="phone" />
          <Field label={t('sozialhilfe.person.email')} type="email" value={v.email} onInput={set('email')} error={fieldErr.email} name="email" />
          <Field label={t('sozialhilfe.person.iban')} hint={t('sozialhilfe.person.iban_hint')} value={v.iban} onInput={set('iban')} error={fieldErr.iban} name="iban" />
        </fieldset>
        <fieldset class="fieldset">
          <legend>{t('sozialhilfe.household.legend')}</legend>
          <Field label={t('sozialhilfe.household.name')} hint={t('sozialhilfe.household.name_hint')} value={hh.name}
            onInput={(x) => setHh({ ...hh, name: x })} name="household_name" />
          <DateField label={t('sozialhilfe.household.valid_from')} value={hh.valid_from} onInput={(x) => setHh({ ...hh, valid_from: x })}
            required error={fieldErr.valid_from} name="valid_from" />
        </fieldset>
        {canCase ? (
          <fieldset class="fieldset">
            <legend>{t('sozialhilfe.case.legend')}</legend>
            <CheckboxField label={t('sozialhilfe.case.open_now')} checked={openCase} onChange={setOpenCase} />
            {openCase ? (muniOptions.length ? (
              <SelectField label={t('sozialhilfe.case.municipality')} value={bfs} onChange={setBfs} error={fieldErr.bfs}
                options={muniOptions.map((m) => ({ value: String(m.bfs), label: m.name }))} />
            ) : (
              <Field label={t('sozialhilfe.case.municipality_bfs')} value={bfs} onInput={setBfs} error={fieldErr.bfs} inputMode="numeric" name="bfs" />
            )) : null}
          </fieldset>
        ) : null}
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('sozialhilfe.person.register_submit')}</button>
          <a class="btn btn-secondary" href={shHref('persons')}>{t('common.cancel')}</a>
        </div>
      </form>
    </section>
  );
}

export function PersonView({ id }: { id: string }) {
  const app = useApp();
  const p = useResource<Person>(`/api/v1/persons/${id}`);
  const hs = useResource<Page<PersonHousehold>>(`/api/v1/persons/${id}/households`);
  const registered = location.hash.includes('registered=1');
  if (p.error) return <section><ShNav current="persons" /><PageTitle>{t('sozialhilfe.person.title')}</PageTitle><ErrorBox error={p.error} /></section>;
  if (!p.data) return <Loading />;
  const x = p.data;
  const now = todayIso();
  return (
    <section>
      <ShNav current="persons" />
      <p class="breadcrumb"><a href={shHref('persons')}>{t('sozialhilfe.search.title')}</a></p>
      <PageTitle>{x.last_name} {x.first_name}</PageTitle>
      {registered ? <Notice kind="success">{t('sozialhilfe.person.registered')}</Notice> : null}
      <Section id="person-facts" title={t('sozialhilfe.person.legend')}>
        <Facts items={[
          [t('sozialhilfe.person.birth_date'), formatDate(x.birth_date)],
          [t('sozialhilfe.person.ahv'), x.ahv ? formatAhv(x.ahv) : '–'],
          [t('sozialhilfe.person.address'), [[x.street, x.house_no].filter(Boolean).join(' '), [x.postcode, x.town].filter(Boolean).join(' ')].filter(Boolean).join(', ') || '–'],
          [t('sozialhilfe.person.language'), t(x.language === 'fr' ? 'lang.fr' : 'lang.de')],
          [t('sozialhilfe.person.iban'), x.iban ?? '–'],
        ]} />
      </Section>
      <Section id="person-hh" title={t('sozialhilfe.household.over_time')}>
        {hs.error ? <ErrorBox error={hs.error} /> : !hs.data ? <Loading /> : hs.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('sozialhilfe.household.over_time')}</caption>
            <thead><tr>
              <th scope="col">{t('sozialhilfe.household.name')}</th>
              <th scope="col">{t('sozialhilfe.household.role')}</th>
              <th scope="col">{t('sozialhilfe.household.valid_from')}</th>
              <th scope="col">{t('sozialhilfe.household.valid_to')}</th>
              {app.can('case.register') ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}
            </tr></thead>
            <tbody>
              {hs.data.items.map((h) => (
                <tr key={h.member_id}>
                  <td>{h.name}</td>
                  <td>{label('sozialhilfe.role', h.role)}</td>
                  <td>{formatDate(h.valid_from)}</td>
                  <td>{dateOrDash(h.valid_to)}</td>
                  {app.can('case.register') ? <td>{h.role === 'applicant' && (!h.valid_to || h.valid_to > now) && h.valid_from <= now ? (
                    <a class="btn btn-secondary" href={shHref('cases', 'new') + `?household=${h.household_id}&applicant=${x.id}`}>{t('sozialhilfe.case.open_for')}</a>
                  ) : null}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p>{t('sozialhilfe.household.none')}</p>}
      </Section>
    </section>
  );
}

export { MEMBER_ROLES };
