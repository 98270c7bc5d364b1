// Audit: the tenant's changes and reads of personal data, newest first,
// with names instead of user numbers and readable events in German and
// French; filters by person, dossier, user and period; for a person, the
// export of everything recorded about them (a data-protection request);
// and the check of the hash chain, its keyed seals and their anchor.
import { useEffect, useId, useState } from 'preact/hooks';
import { get, withQuery, type ApiPath } from '../api';
import { t, tOpt, label } from '../i18n';
import { usePagedList } from '../lib/hooks';
import { formatDate, formatDateTime, formatInteger, parseDate } from '../lib/format';
import { ErrorBox, Field, ListPager, Loading, PageTitle, SelectField } from '../components/ui';

/** A change (seq) or a read of personal data (id, route). */
interface Entry {
  seq?: number; id?: number; at: string; actor_id: number | null; actor_name: string | null;
  request_id: string | null; action: string; object_type: string; object_id: string; detail: unknown;
  persons: { id: number; name: string }[]; route?: string;
}

interface Verify {
  ok: boolean; events: number; head?: string; first_broken_seq?: number | null; reason_code?: string;
  seals?: { count: number; event_seq: number; at: string | null };
  reads?: { sealed: number; pending: number; oldest_pending: string | null };
  anchor?: { status: string; seal: number | null };
  seal_interval_ms?: number;
}

interface Person { id: number; last_name: string; first_name: string; birth_date: string }
interface Staff { id: number; display_name: string }
type Kind = 'changes' | 'reads';
interface Filters { person: Person | null; dossier: string; user: string; from: string; to: string }

const EMPTY: Filters = { person: null, dossier: '', user: '', from: '', to: '' };
const personName = (p: Person) => `${p.last_name} ${p.first_name}`;

/** What happened, in the reader's language. */
function what(e: Entry): string {
  if (e.action === 'read' && e.route) return tOpt(`audit.route.${e.route}`) ?? e.route;
  return label('audit.act', e.action);
}

/** What it concerns: the record and the persons whose data it holds. */
function concerns(e: Entry) {
  const obj = e.object_type ? `${label('audit.obj', e.object_type)}${e.object_id ? ` ${e.object_id}` : ''}` : '–';
  return (
    <>
      {obj}
      {e.persons.length ? <><br /><span class="small">{t('audit.subjects', { names: e.persons.map((p) => p.name).join(', ') })}</span></> : null}
    </>
  );
}

function VerifyCard() {
  const [verify, setVerify] = useState<Verify | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function check() {
    setBusy(true); setErr(null); setVerify(null);
    try { setVerify((await get<Verify>('/api/v1/audit/verify')).data); } catch (x) { setErr(x); } finally { setBusy(false); }
  }
  const v = verify;
  return (
    <section class="card" aria-labelledby="audit-verify">
      <h2 id="audit-verify">{t('audit.verify_title')}</h2>
      <p>{t('audit.verify_intro')}</p>
      <button type="button" class="btn btn-primary" onClick={check} disabled={busy} aria-busy={busy ? 'true' : undefined}>{t('audit.verify')}</button>
      <div role="status" class="verify-result">
        {v ? (v.ok ? (
          <>
            <p class="result-good">{t('audit.verify_ok', { n: formatInteger(v.events) })}</p>
            {v.reads && v.seals ? (
              <p>{t('audit.verify_sealed', {
                seals: formatInteger(v.seals.count), reads: formatInteger(v.reads.sealed),
                pending: formatInteger(v.reads.pending), seconds: Math.ceil((v.seal_interval_ms ?? 2000) / 1000),
              })}</p>
            ) : null}
            {v.anchor ? <p>{label('audit.anchor', v.anchor.status)}</p> : null}
          </>
        ) : (
          <p class="result-bad">
            {v.first_broken_seq ? t('audit.verify_broken', { seq: v.first_broken_seq, n: formatInteger(v.events) }) : null}
            {' '}{t('audit.verify_reason', { reason: label('audit.reason', v.reason_code ?? 'unknown') })}
          </p>
        )) : null}
        {v?.head ? <p class="small">{t('audit.head')} <code class="hash">{v.head}</code></p> : null}
      </div>
      {err ? <ErrorBox error={err} /> : null}
    </section>
  );
}

/** Search a person by name and pick one (the person filter). */
function PersonPicker(p: { value: Person | null; onChange: (v: Person | null) => void }) {
  const id = useId();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Person[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  async function search() {
    setErr(null);
    if (!q.trim()) { setHits(null); return; }
    try { setHits((await get<{ items: Person[] }>(withQuery('/api/v1/persons', { q: q.trim(), limit: 10 }))).data.items); } catch (x) { setErr(x); }
  }
  if (p.value) {
    return (
      <div class="field">
        <p class="field-label">{t('audit.filter.person')}</p>
        <p>
          <strong>{personName(p.value)}</strong> ({formatDate(p.value.birth_date)}){' '}
          <button type="button" class="btn btn-secondary" onClick={() => { p.onChange(null); setHits(null); }}>
            {t('audit.filter.person_remove')}
          </button>
        </p>
      </div>
    );
  }
  return (
    <div class="field-group" role="group" aria-labelledby={`${id}-l`}>
      <p class="field-label" id={`${id}-l`}>{t('audit.filter.person')}</p>
      <div class="inline-form">
        <Field label={t('audit.filter.person_name')} hint={t('audit.filter.person_hint')} value={q} onInput={setQ} type="search" name="person_q" />
        <button type="button" class="btn btn-secondary" onClick={search}>{t('audit.filter.person_search')}</button>
      </div>
      {err ? <ErrorBox error={err} /> : null}
      {hits ? (hits.length === 0 ? <p role="status">{t('audit.filter.person_none')}</p> : (
        <ul class="plain-list" aria-label={t('audit.filter.person_hits')}>
          {hits.map((h) => (
            <li key={h.id}>
              <button type="button" class="btn btn-link" onClick={() => p.onChange(h)}>
                {t('audit.filter.person_pick', { name: personName(h), birth: formatDate(h.birth_date) })}
              </button>
            </li>
          ))}
        </ul>
      )) : null}
    </div>
  );
}

function FilterForm(p: { value: Filters; onApply: (f: Filters) => void }) {
  const [f, setF] = useState<Filters>(p.value);
  const [fe, setFe] = useState<{ dossier?: string; from?: string; to?: string }>({});
  const [staff, setStaff] = useState<Staff[]>([]);
  useEffect(() => {
    get<{ items: Staff[] }>('/api/v1/staff').then((r) => setStaff(r.data.items)).catch(() => setStaff([]));
  }, []);
  const set = <K extends keyof Filters>(k: K) => (v: Filters[K]) => setF((x) => ({ ...x, [k]: v }));
  function apply(e: Event) {
    e.preventDefault();
    const errs: typeof fe = {};
    if (f.dossier.trim() && !/^[1-9][0-9]{0,17}$/.test(f.dossier.trim())) errs.dossier = t('audit.filter.dossier_invalid');
    if (f.from.trim() && !parseDate(f.from)) errs.from = t('audit.filter.date_invalid');
    if (f.to.trim() && !parseDate(f.to)) errs.to = t('audit.filter.date_invalid');
    setFe(errs);
    if (Object.keys(errs).length === 0) p.onApply({ ...f, dossier: f.dossier.trim() });
  }
  return (
    <form class="card" onSubmit={apply} noValidate aria-labelledby="audit-filter">
      <h2 id="audit-filter">{t('audit.filter.title')}</h2>
      <p>{t('audit.filter.intro')}</p>
      <PersonPicker value={f.person} onChange={(v) => { set('person')(v); p.onApply({ ...f, person: v }); }} />
      <div class="form-row">
        <Field label={t('audit.filter.dossier')} value={f.dossier} onInput={set('dossier')} inputMode="numeric" name="dossier"
          error={fe.dossier} class="field-short" />
        <SelectField label={t('audit.filter.user')} value={f.user} onChange={set('user')}
          options={[{ value: '', label: t('audit.filter.user_all') }, ...staff.map((s) => ({ value: String(s.id), label: s.display_name }))]} />
        <Field label={t('audit.filter.from')} hint={t('audit.filter.date_hint')} value={f.from} onInput={set('from')} name="from"
          error={fe.from} class="field-short-date" />
        <Field label={t('audit.filter.to')} hint={t('audit.filter.date_hint')} value={f.to} onInput={set('to')} name="to"
          error={fe.to} class="field-short-date" />
      </div>
      <div class="actions">
        <button type="submit" class="btn btn-primary">{t('audit.filter.apply')}</button>
        <button type="button" class="btn btn-secondary" onClick={() => { setF(EMPTY); setFe({}); p.onApply(EMPTY); }}>
          {t('audit.filter.reset')}
        </button>
      </div>
    </form>
  );
}

function EntryTable(p: { path: ApiPath<'get'>; kind: Kind }) {
  const list = usePagedList<Entry>(p.path, 25);
  const caption = p.kind === 'reads' ? t('audit.reads_title') : t('audit.events');
  return (
    <>
      {list.error ? <ErrorBox error={list.error} /> : null}
      {!list.loaded && !list.error ? <Loading /> : null}
      {list.loaded && list.items.length ? (
        <table class="table">
          <caption class="visually-hidden">{caption}</caption>
          <thead><tr>
            <th scope="col">{t('audit.seq')}</th>
            <th scope="col">{t('audit.at')}</th>
            <th scope="col">{t('audit.actor')}</th>
            <th scope="col">{t('audit.action')}</th>
            <th scope="col">{t('audit.object')}</th>
            <th scope="col">{t('audit.request')}</th>
            <th scope="col">{t('audit.detail')}</th>
          </tr></thead>
          <tbody>
            {list.items.map((e) => {
              const n = e.seq ?? e.id ?? 0;
              return (
                <tr key={n}>
                  <td class="num">{n}</td>
                  <td>{formatDateTime(e.at)}</td>
                  <td>{e.actor_id === null ? t('audit.system') : e.actor_name ?? t('audit.user_id', { id: e.actor_id })}</td>
                  <td>{what(e)}</td>
                  <td>{concerns(e)}</td>
                  <td><code class="small">{e.request_id ?? '–'}</code></td>
                  <td>{e.detail === null || e.detail === undefined ? '–' : (
                    <details>
                      <summary>{t('audit.detail_show', { seq: n })}</summary>
                      <pre class="detail-json">{JSON.stringify(e.detail, null, 2)}</pre>
                    </details>
                  )}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {list.loaded && list.items.length === 0 ? <p>{t('audit.none')}</p> : null}
      <ListPager label={t('audit.pager')} list={list} />
    </>
  );
}

export function Audit() {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [kind, setKind] = useState<Kind>('changes');
  const refs = [filters.person?.id, filters.dossier || null];
  const path = withQuery(kind === 'reads' ? '/api/v1/audit/reads' : '/api/v1/audit', {
    person: refs[0] ?? null, dossier: refs[1], user: filters.user || null,
    from: filters.from ? parseDate(filters.from) : null, to: filters.to ? parseDate(filters.to) : null,
  });
  return (
    <section>
      <PageTitle>{t('audit.title')}</PageTitle>
      <VerifyCard />
      <FilterForm value={filters} onApply={setFilters} />
      {filters.person ? (
        <section class="card" aria-labelledby="audit-export">
          <h2 id="audit-export">{t('audit.export_title')}</h2>
          <p id="audit-export-hint">{t('audit.export_hint')}</p>
          <a class="btn btn-secondary" href={`/api/v1/audit/persons/${filters.person.id}/export`}
            download={`audit-person-${filters.person.id}.json`} aria-describedby="audit-export-hint">
            {t('audit.export', { name: personName(filters.person) })}
          </a>
        </section>
      ) : null}
      <section aria-labelledby="audit-list">
        <h2 id="audit-list">{kind === 'reads' ? t('audit.reads_title') : t('audit.events')}</h2>
        <div class="segmented" role="group" aria-label={t('audit.kind_label')}>
          {(['changes', 'reads'] as Kind[]).map((k) => (
            <button key={k} type="button" class={`btn ${kind === k ? 'btn-primary' : 'btn-secondary'}`}
              aria-pressed={kind === k ? 'true' : 'false'} onClick={() => setKind(k)}>
              {t(k === 'reads' ? 'audit.kind.reads' : 'audit.kind.changes')}
            </button>
          ))}
        </div>
        {/* A new filter or kind starts at the first page. */}
        <EntryTable key={path} path={path} kind={kind} />
      </section>
    </section>
  );
}
