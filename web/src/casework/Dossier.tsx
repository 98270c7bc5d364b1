// The dossier shell every module shares: the list of dossiers, opening
// one, and one dossier's header (number, state, case worker, team) with its
// tab bar #/m/<module>/cases/<id>/<tab>. The tabs are the module's
// (ModuleContribution.tabs): casework's overview (responsibility with the
// 409 conflict panel, state transitions with the reasons the API allows,
// history), household, journal, documents, deadlines and transfer, and the
// module's own.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, etagOf, patch, post, withQuery, type Page } from '../api';
import { t, tOpt, label } from '../i18n';
import { useApp, type AppCtx } from '../ctx';
import { navigate } from '../router';
import { usePagedList, useResource } from '../lib/hooks';
import { changedFields, useEdit } from '../lib/edit';
import { splitError, formIncomplete, fieldsChecked } from '../lib/errors';
import { CheckboxField, ConfirmButton, ErrorBox, Facts, Field, PagedTable, Loading, Notice, PageTitle, SelectField, TextArea } from '../components/ui';
import { ConflictPanel, type ConflictField } from '../components/conflict';
import { formatDate, formatDateTime, todayIso } from '../lib/format';
import type { DossierTab, ModuleContribution, TabProps } from '../modules/types';
import type { Deadline, Dossier, JournalEntry, Team } from './types';
import { DateField, Section, ModuleNav, modHref, StateBadge, checkDate, dateOrDash, deadlineText, useHref, useDebounced, useModule } from './common';
import { HouseholdTab } from './Household';
import { useVocabularies, vocabCodes, vocabText } from './vocabulary';
import { DocumentsTab } from './Documents';
import { TransferTab } from './Transfer';
import './dossier.css';
import { fieldSetter } from '../lib/form';

interface Muni { bfs: number; name: string }

export function CaseList() {
  const mh = useHref();
  const mod = useModule();
  const app = useApp();
  const [state, setState] = useState('');
  const [mine, setMine] = useState(false);
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 300);
  const list = usePagedList<Dossier>(withQuery('/api/v1/cases', { state, mine: mine ? 1 : null, q: query }), 25);
  return (
    <section>
      <ModuleNav current="cases" />
      <div class="page-head">
        <PageTitle>{t('casework.cases.title')}</PageTitle>
        {app.can('person.write') && app.can('case.register') ? <a class="btn btn-primary" href={mh('persons', 'new')}>{t('casework.person.register')}</a> : null}
      </div>
      <div class="card inline-form" role="search" aria-label={t('dossier.search.label')}>
        <Field label={t('dossier.search.field')} hint={t('dossier.search.hint')} type="search" value={q} onInput={setQ}
          name="q" maxLength={100} />
        <SelectField label={t('casework.case.state')} value={state} onChange={setState}
          options={[{ value: '', label: t('casework.cases.all_states') },
            ...(mod.states ?? []).map((s) => ({ value: s, label: label(`${mod.code}.state`, s) }))]} />
        <CheckboxField label={t('casework.cases.mine')} checked={mine} onChange={setMine} />
      </div>
      <PagedTable list={list} caption={t('casework.cases.title')} pager={t('casework.cases.pager')}
        empty={query ? t('dossier.search.none', { q: query }) : t('casework.cases.none')}
        head={<>
          <th scope="col">{t('dossier.number')}</th>
          <th scope="col">{t('casework.client')}</th>
          <th scope="col">{t('casework.case.state')}</th>
          <th scope="col">{t('casework.case.municipality')}</th>
          <th scope="col">{t('casework.case.caseworker')}</th>
          <th scope="col">{t('casework.case.next_deadline')}</th>
        </>}
        row={(d) => (
          <tr key={d.id}>
            <td class="dossier-number">{d.number}</td>
            <td><a href={d.module && d.module !== mod.code ? modHref(d.module, 'cases', d.id) : mh('cases', d.id)}>{d.applicant.last_name} {d.applicant.first_name}</a></td>
            <td><StateBadge state={d.state} /></td>
            <td>{d.municipality.name}</td>
            <td>{d.caseworker?.display_name ?? '–'}</td>
            <td>{dateOrDash(d.next_deadline)}</td>
          </tr>
        )} />
    </section>
  );
}

/** Open a dossier for a household whose applicant is known (from the person view). */
export function CaseNew() {
  const mh = useHref();
  const mod = useModule();
  const app = useApp();
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const household = q.get('household') ?? '';
  const applicant = q.get('applicant') ?? '';
  const munis = useResource<Page<Muni>>(app.can('directory.read') ? '/api/v1/municipalities' : null);
  const [bfs, setBfs] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const opts = munis.data?.items ?? [];
  useEffect(() => { if (opts.length) setBfs((cur) => cur || String(opts[0].bfs)); }, [opts.length]);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const c = await post<Dossier>('/api/v1/cases', {
        household_id: Number(household), applicant_id: Number(applicant), municipality_bfs: Number(bfs), kind: mod.code,
        ...(app.can('case.write') ? { caseworker_id: app.me.user.id } : {}),
      });
      navigate(mh('cases', c.data.id) + '?registered=1');
    } catch (x) { setErr(x); } finally { setBusy(false); }
  }
  return (
    <section>
      <ModuleNav current="cases" />
      <PageTitle>{t('casework.case.new_title')}</PageTitle>
      <form class="form card" onSubmit={submit} noValidate>
        {err ? <ErrorBox error={err} /> : null}
        {opts.length ? (
          <SelectField label={t('casework.case.municipality')} value={bfs} onChange={setBfs}
            options={opts.map((m) => ({ value: String(m.bfs), label: m.name }))} />
        ) : <Field label={t('casework.case.municipality_bfs')} value={bfs} onInput={setBfs} inputMode="numeric" />}
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{t('casework.case.open')}</button></div>
      </form>
    </section>
  );
}

/** A module's tab's label: <module>.section.<name>. */
export const sectionLabel = (name: string, module: string) => () => label(`${module}.section`, name);
const sec = (name: string) => sectionLabel(name, 'casework');
/** The casework tabs a module puts into its dossier shell (tabs()). */
export const caseworkTabs = {
  overview: { name: 'overview', label: sec('overview'), view: (p: TabProps) => <Overview dossier={p.dossier} etag={p.etag} onChange={p.setDossier} reload={p.reloadDossier} /> },
  household: { name: 'household', label: sec('household'), view: (p: TabProps) => <HouseholdTab dossier={p.dossier} /> },
  journal: { name: 'journal', label: sec('journal'), view: (p: TabProps) => <JournalTab dossier={p.dossier} /> },
  documents: { name: 'documents', label: sec('documents'), view: (p: TabProps) => <DocumentsTab dossier={p.dossier} /> },
  deadlines: { name: 'deadlines', label: sec('deadlines'), view: (p: TabProps) => <DeadlinesTab dossier={p.dossier} reloadDossier={p.reloadDossier} /> },
  transfer: { name: 'transfer', label: sec('transfer'), view: (p: TabProps) => <TransferTab dossier={p.dossier} etag={p.etag} reloadDossier={p.reloadDossier} /> },
} satisfies Record<string, DossierTab>;

/** The tabs of a module's dossier: its own list, else casework's. */
export function dossierTabs(mod: ModuleContribution, x: Dossier, app: AppCtx): DossierTab[] {
  const c = caseworkTabs;
  return mod.tabs ? mod.tabs(x, app) : [c.overview, c.household, c.journal, c.documents, c.deadlines, c.transfer];
}

/** The tabs a person may open of this dossier (casework's by permission). */
export function allowedTabs(mod: ModuleContribution, app: AppCtx, x: Dossier): DossierTab[] {
  return dossierTabs(mod, x, app)
    .filter((s) => s.name !== 'documents' || app.can('document.read') || app.can('document.write'))
    .filter((s) => s.name !== 'household' || app.can('person.read'))
    .filter((s) => s.name !== 'transfer' || app.can('case.write'));
}

/** The tabs in the bar: a closed dossier offers no transfer (the open tab
 *  stays, so the transfer's answer is seen after the dossier closed). */
export function visibleTabs(mod: ModuleContribution, app: AppCtx, x: Dossier): DossierTab[] {
  return allowedTabs(mod, app, x).filter((s) => s.name !== 'transfer' || x.state !== 'closed');
}

function Shell({ children }: { children: ComponentChildren }) {
  return <section class="dossier"><ModuleNav current="cases" />{children}</section>;
}

/** A dossier with the tab `tab` open (the router checked the name). */
export function DossierView({ id, tab }: { id: string; tab: string }) {
  const mh = useHref();
  const app = useApp();
  const mod = useModule();
  const d = useResource<Dossier>(`/api/v1/cases/${id}`);
  if (d.error) return <Shell><PageTitle>{t('casework.case.title')}</PageTitle><ErrorBox error={d.error} /></Shell>;
  if (!d.data) return <Loading />;
  const x = d.data;
  const visible = visibleTabs(mod, app, x);
  const cur = allowedTabs(mod, app, x).find((s) => s.name === tab);
  const setDossier = (n: Dossier, etag: string | null) => { d.setData({ ...x, ...n }); d.setEtag(etag ?? etagOf(n.version)); };
  const Header = mod.dossierHeader;
  const Actions = mod.dossierActions;
  const View = cur?.view;
  return (
    <Shell>
      <p class="breadcrumb"><a href={mh('cases')}>{t('casework.cases.title')}</a></p>
      {Header ? <Header dossier={x} /> : null}
      <PageTitle>{t('casework.case.title_name', { name: `${x.applicant.last_name} ${x.applicant.first_name}` })}
        <span class="title-number"> · {x.number}</span></PageTitle>
      {Actions ? <Actions dossier={x} /> : null}
      {location.hash.includes('registered=1') ? <Notice kind="success">{t('casework.case.registered')}</Notice> : null}
      <div class="card overview" aria-label={t('casework.case.overview')} role="group">
        <Facts items={[
          [t('dossier.number'), x.number],
          [t('casework.case.state'), <StateBadge state={x.state} />],
          [t('casework.case.municipality'), x.municipality.name],
          [t('casework.case.caseworker'), x.caseworker?.display_name ?? t('casework.case.unassigned')],
          [t('casework.case.team'), x.team ?? '–'],
          ...(x.state === 'closed' ? [
            [t('dossier.closed_on'), dateOrDash(x.closed_on)] as [string, string],
            [t('casework.transition.closure_reason'), x.closure_reason ? label(`${mod.code}.closure`, x.closure_reason) : '–'] as [string, string],
          ] : [[t('casework.case.next_deadline'), dateOrDash(x.next_deadline)] as [string, string]]),
          ...(x.transferred_from ? [[t('dossier.transferred_from'), x.transferred_from] as [string, string]] : []),
        ]} />
      </div>
      <nav class="tabs" aria-label={t('casework.case.sections')}>
        <ul>
          {visible.map((s) => (
            <li key={s.name}><a href={mh('cases', x.id, s.name)} aria-current={s.name === tab ? 'page' : undefined}
              class={s.name === tab ? 'active' : undefined}>{s.label()}</a></li>
          ))}
        </ul>
      </nav>
      <div class="tab-body">
        {View ? <View dossier={x} etag={d.etag} reloadDossier={d.reload} setDossier={setDossier} />
          : <><h2>{t('notfound.title')}</h2><p>{t('notfound.text')}</p></>}
      </div>
    </Shell>
  );
}

type RespForm = { team: string; municipality_bfs: string; caseworker: string };
const toResp = (d: Dossier): RespForm => ({
  team: d.team ?? '', municipality_bfs: String(d.municipality.bfs), caseworker: d.caseworker ? String(d.caseworker.id) : '',
});

interface Staff { id: number; display_name: string; roles: string[] }

/** A system reason of the history in the reader's language. */
export function reasonText(mod: ModuleContribution, code: string | null): string | null {
  if (!code) return null;
  return (mod.closureReasons ?? []).includes(code) ? label(`${mod.code}.closure`, code) : label('dossier.reason', code);
}

function Overview({ dossier: x, etag, onChange, reload }: { dossier: Dossier; etag: string | null; onChange: (d: Dossier, etag: string | null) => void; reload: () => void }) {
  const mh = useHref();
  const mod = useModule();
  const app = useApp();
  const canWrite = app.can('case.write');
  // Team leads assign dossiers to colleagues; everyone can take one.
  const assigns = canWrite && app.can('case.approve');
  const munis = useResource<Page<Muni>>(canWrite && app.can('directory.read') ? '/api/v1/municipalities' : null);
  const teams = useResource<{ items: Team[] }>(canWrite && app.can('directory.read') ? '/api/v1/teams' : null);
  const staff = useResource<{ items: Staff[] }>(assigns && app.can('directory.read') ? '/api/v1/staff' : null);
  const edit = useEdit<RespForm>();
  const [saved, setSaved] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const [closure, setClosure] = useState('');
  const [trErr, setTrErr] = useState<unknown>(null);
  const [missing, setMissing] = useState<string[] | null>(null);
  const [trNote, setTrNote] = useState<string | null>(null);
  useEffect(() => { edit.load(toResp(x), etag); }, [x.id]);
  useEffect(() => { setTo((cur) => (x.transitions.includes(cur as never) ? cur : x.transitions[0] ?? '')); }, [x.state]);
  const muniName = (bfs: string) => munis.data?.items.find((m) => String(m.bfs) === bfs)?.name ?? bfs;
  const workers = (staff.data?.items ?? []).filter((u) => u.roles.includes('caseworker') || u.roles.includes('teamlead'));
  const staffName = (id: string) => (id ? workers.find((u) => String(u.id) === id)?.display_name ?? (x.caseworker && String(x.caseworker.id) === id ? x.caseworker.display_name : id) : '–');
  const fields: ConflictField<RespForm>[] = useMemo(() => [
    { key: 'team', label: t('casework.case.team'), show: (v) => (v as string) || '–' },
    { key: 'municipality_bfs', label: t('casework.case.municipality'), show: (v) => muniName(v as string) },
    { key: 'caseworker', label: t('casework.case.caseworker'), show: (v) => staffName(v as string) },
  ], [munis.data, staff.data]);
  const s = edit.state;

  function conflictOr(e2: unknown) {
    if (e2 instanceof ApiError && e2.status === 409 && e2.current) {
      const cur = e2.current as unknown as Dossier;
      edit.setConflict(toResp(cur), etagOf(cur.version));
    } else {
      const sp = splitError(e2, ['team', 'municipality_bfs', 'caseworker_id']);
      setFe(sp.field);
      setErr(sp.form);
    }
  }

  async function saveResp(e: Event) {
    e.preventDefault();
    if (!s) return;
    setSaved(null); setErr(null); setFe({});
    const ch = changedFields(s);
    if (!ch.length) { setSaved(t('form.nothing_changed')); return; }
    const body: Record<string, unknown> = {};
    if (ch.includes('team')) body.team = s.values.team;
    if (ch.includes('municipality_bfs')) body.municipality_bfs = Number(s.values.municipality_bfs);
    if (ch.includes('caseworker') && s.values.caseworker) body.caseworker_id = Number(s.values.caseworker);
    if (!Object.keys(body).length) { setSaved(t('form.nothing_changed')); return; }
    setBusy(true);
    try {
      const r = await patch<Dossier>(`/api/v1/cases/${x.id}`, body, s.etag);
      edit.load(toResp(r.data), r.etag);
      onChange(r.data, r.etag);
      setSaved(ch.includes('caseworker') && r.data.caseworker
        ? t('dossier.assigned_to', { name: r.data.caseworker.display_name }) : t('form.saved'));
    } catch (e2) { conflictOr(e2); } finally { setBusy(false); }
  }

  async function assignMe() {
    setSaved(null); setErr(null); setFe({});
    try {
      const r = await patch<Dossier>(`/api/v1/cases/${x.id}`, { caseworker_id: app.me.user.id }, s?.etag ?? etag);
      edit.load(toResp(r.data), r.etag);
      onChange(r.data, r.etag);
      setSaved(t('casework.case.assigned_to_me'));
    } catch (e2) { conflictOr(e2); }
  }

  async function transition() {
    setTrErr(null); setMissing(null); setTrNote(null);
    if (to === 'closed' && !closure) { setTrErr(formIncomplete()); return; }
    const body: Record<string, unknown> = { to };
    if (reason.trim()) body.reason = reason.trim();
    if (to === 'closed') body.closure_reason = closure;
    setBusy(true);
    try {
      const r = await post<Dossier>(`/api/v1/cases/${x.id}/transitions`, body, { ifMatch: s?.etag ?? etag });
      setReason(''); setClosure('');
      setTrNote(t('casework.transition.done', { state: label(`${mod.code}.state`, r.data.state) }));
      edit.load(toResp(r.data), r.etag);
      onChange(r.data, r.etag);
      reload();
    } catch (e2) {
      if (e2 instanceof ApiError && e2.code === 'checklist_incomplete') setMissing((e2.detail?.missing ?? []) as string[]);
      if (e2 instanceof ApiError && e2.code === 'conflict') {
        // Someone changed the dossier: show its current state, keep the choice.
        const cur = e2.current as unknown as Dossier | undefined;
        if (cur) { onChange(cur, etagOf(cur.version)); edit.load(toResp(cur), etagOf(cur.version)); }
      }
      setTrErr(e2);
    } finally { setBusy(false); }
  }

  const teamOptions = [{ value: '', label: t('dossier.no_team') },
    ...(teams.data?.items ?? []).map((tm) => ({ value: tm.name, label: tm.name })),
    // A team the list does not (yet) show stays selectable as it is.
    ...(s && s.values.team && !(teams.data?.items ?? []).some((tm) => tm.name === s.values.team) ? [{ value: s.values.team, label: s.values.team }] : [])];
  return (
    <>
      {canWrite && s ? (
        <Section id="resp-title" title={t('casework.case.responsibility')}>
          {saved ? <Notice kind="success">{saved}</Notice> : null}
          {s.conflict ? <ConflictPanel state={s} fields={fields}
            onReapply={() => { edit.reapply(); setSaved(t('conflict.reapplied')); }}
            onDiscard={() => { edit.discard(); setSaved(t('conflict.discarded')); }} /> : null}
          {err ? <ErrorBox error={err} /> : null}
          <form class="form" onSubmit={saveResp} noValidate>
            {assigns ? (
              <SelectField label={t('casework.case.caseworker')} value={s.values.caseworker} onChange={(v) => edit.set('caseworker', v)}
                error={fe.caseworker_id} hint={t('dossier.assign_hint')}
                options={[...(s.values.caseworker ? [] : [{ value: '', label: t('casework.case.unassigned') }]),
                  ...workers.map((u) => ({ value: String(u.id), label: u.display_name })),
                  ...(s.values.caseworker && !workers.some((u) => String(u.id) === s.values.caseworker) ? [{ value: s.values.caseworker, label: staffName(s.values.caseworker) }] : [])]} />
            ) : null}
            <SelectField label={t('casework.case.team')} value={s.values.team} onChange={(v) => edit.set('team', v)}
              error={fe.team} options={teamOptions} />
            {munis.data?.items.length ? (
              <SelectField label={t('casework.case.municipality')} value={s.values.municipality_bfs} onChange={(v) => edit.set('municipality_bfs', v)}
                options={munis.data.items.map((m) => ({ value: String(m.bfs), label: m.name }))} error={fe.municipality_bfs} />
            ) : null}
            <div class="actions">
              <button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{t('form.save')}</button>
              {x.caseworker?.id !== app.me.user.id ? <button type="button" class="btn btn-secondary" onClick={assignMe} disabled={!!s.conflict}>{t('casework.case.assign_me')}</button> : null}
            </div>
          </form>
        </Section>
      ) : null}
      {canWrite && x.transitions.length ? (
        <Section id="tr-title" title={t('casework.transition.title')}>
          {trNote ? <Notice kind="success">{trNote}</Notice> : null}
          {trErr ? <ErrorBox error={trErr} /> : null}
          {missing ? (
            <div class="alert alert-warning"><p>{t('casework.transition.missing')}</p>
              <ul>{missing.map((m) => <li key={m}>{label(`${mod.code}.doc`, m)}</li>)}</ul>
              <p><a href={mh('cases', x.id, 'checklist')}>{t('casework.transition.to_checklist')}</a></p></div>
          ) : null}
          <form class="form" onSubmit={(e) => { e.preventDefault(); if (to !== 'closed') void transition(); }} noValidate>
            <SelectField label={t('casework.transition.to')} value={to} onChange={setTo}
              options={x.transitions.map((s2) => ({ value: s2, label: label(`${mod.code}.state`, s2) }))}
              hint={tOpt(`${mod.code}.transition_hint.${x.state}`)} />
            {to === 'closed' ? (
              <SelectField label={t('casework.transition.closure_reason')} value={closure} onChange={setClosure} required
                error={trErr && !closure ? t('form.missing') : null}
                options={[{ value: '', label: t('casework.transition.choose') }, ...(mod.closureReasons ?? []).map((c) => ({ value: c, label: label(`${mod.code}.closure`, c) }))]} />
            ) : null}
            <Field label={t('casework.transition.reason')} value={reason} onInput={setReason} name="reason" />
            <div class="actions">
              {to === 'closed'
                ? <ConfirmButton label={t('casework.transition.submit')} question={t('dossier.close_q')}
                  confirmLabel={t('dossier.close_yes')} variant="danger" onConfirm={transition} />
                : <button type="submit" class="btn btn-primary" disabled={busy || !to}>{t('casework.transition.submit')}</button>}
            </div>
          </form>
        </Section>
      ) : null}
      <Section id="hist-title" title={t('casework.case.history')}>
        <table class="table">
          <caption class="visually-hidden">{t('casework.case.history')}</caption>
          <thead><tr><th scope="col">{t('casework.case.when')}</th><th scope="col">{t('casework.case.state')}</th>
            <th scope="col">{t('casework.transition.reason')}</th><th scope="col">{t('dossier.by')}</th></tr></thead>
          <tbody>
            {(x.history ?? []).map((h, i) => (
              <tr key={i}><td>{formatDateTime(h.at)}</td><td>{label(`${mod.code}.state`, h.to)}</td>
                <td>{[reasonText(mod, h.reason_code), h.reason].filter(Boolean).join(' – ') || '–'}</td>
                <td>{h.actor ?? '–'}</td></tr>
            ))}
          </tbody>
        </table>
        <Facts items={[[t('casework.case.opened_on'), formatDate(x.opened_on)], [t('casework.case.team'), x.team ?? '–']]} />
      </Section>
    </>
  );
}

function JournalTab({ dossier }: { dossier: Dossier }) {
  const mod = useModule();
  const app = useApp();
  const j = useResource<{ items: JournalEntry[] }>(`/api/v1/cases/${dossier.id}/journal`);
  const vocab = useVocabularies().data;
  const cats = vocabCodes(vocab, 'journal_category', mod.code);
  const catText = (c: string) => vocabText('journal_category', c, mod.code, vocab) ?? c;
  const [chosenCat, setCat] = useState('');
  const cat = chosenCat || cats[0] || 'other';
  const [text, setText] = useState('');
  const [on, setOn] = useState(formatDate(todayIso()));
  const [prot, setProt] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [note, setNote] = useState(false);
  async function add(e: Event) {
    e.preventDefault();
    setErr(null); setNote(false);
    const d = checkDate(on, true);
    const errs: Record<string, string> = {};
    if (d.error) errs.noted_on = d.error;
    if (!text.trim()) errs.text = t('form.missing');
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/journal`, { category: cat, text: text.trim(), noted_on: d.iso, ...(prot ? { protected: true } : {}) });
      setText(''); setProt(false); setNote(true); j.reload();
    } catch (x) { const sp = splitError(x, ['text', 'noted_on', 'category']); setFe(sp.field); setErr(sp.form); }
  }
  return (
    <>
      {app.can('case.write') ? (
        <Section id="jn-add" title={t('casework.journal.add')}>
          {note ? <Notice kind="success">{t('casework.journal.added')}</Notice> : null}
          {err ? <ErrorBox error={err} /> : null}
          <form class="form" onSubmit={add} noValidate>
            <SelectField label={t('casework.journal.category')} value={cat} onChange={setCat}
              options={cats.map((c) => ({ value: c, label: catText(c) }))} />
            <DateField label={t('casework.journal.noted_on')} value={on} onInput={setOn} error={fe.noted_on} required />
            <TextArea label={t('casework.journal.text')} value={text} onInput={setText} error={fe.text} rows={4} />
            {app.can('case.protected') ? <CheckboxField label={t('casework.journal.protected')} hint={t('casework.journal.protected_hint')} checked={prot} onChange={setProt} /> : null}
            <div class="actions"><button type="submit" class="btn btn-primary">{t('casework.journal.submit')}</button></div>
          </form>
        </Section>
      ) : null}
      <Section id="jn-title" title={t('casework.section.journal')}>
        {j.error ? <ErrorBox error={j.error} /> : !j.data ? <Loading /> : j.data.items.length ? (
          <ol class="journal">
            {j.data.items.map((e) => (
              <li key={e.id} class="journal-entry">
                <p class="journal-meta"><strong>{formatDate(e.noted_on)}</strong> · {catText(e.category)} · {e.author ?? '–'}
                  {e.protected ? <span class="badge badge-warn">{t('casework.journal.protected_badge')}</span> : null}</p>
                <p class="journal-text">{e.text}</p>
              </li>
            ))}
          </ol>
        ) : <p>{t('casework.journal.none')}</p>}
      </Section>
    </>
  );
}

function DeadlinesTab({ dossier, reloadDossier }: { dossier: Dossier; reloadDossier: () => void }) {
  const app = useApp();
  const mod = useModule().code;
  const dl = useResource<{ items: Deadline[] }>(`/api/v1/cases/${dossier.id}/deadlines`);
  const [v, setV] = useState({ due_on: '', text: '' });
  const set = fieldSetter(setV);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  const [changed, setChanged] = useState<string | null>(null);
  async function add(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null); setChanged(null);
    const d = checkDate(v.due_on, true);
    const errs: Record<string, string> = {};
    if (d.error) errs.due_on = d.error;
    if (!v.text.trim()) errs.text = t('form.missing');
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/deadlines`, { due_on: d.iso, text: v.text.trim() });
      setV({ due_on: '', text: '' }); setNote(t('casework.deadline.added')); dl.reload(); reloadDossier();
    } catch (x) { const sp = splitError(x, ['due_on', 'text']); setFe(sp.field); setErr(sp.form); }
  }
  async function toggle(d: Deadline) {
    setErr(null); setNote(null); setChanged(null);
    try {
      await patch(`/api/v1/deadlines/${d.id}`, { done: !d.done_on }, etagOf(d.version));
      setNote(d.done_on ? t('casework.deadline.reopened') : t('casework.deadline.done_note')); dl.reload(); reloadDossier();
    } catch (x) {
      // Someone else marked it since the list was shown: say what it is now.
      const cur = x instanceof ApiError && x.status === 409 && x.code === 'conflict' ? x.current as unknown as Deadline | undefined : undefined;
      if (x instanceof ApiError && x.status === 409) dl.reload();
      if (cur) {
        setNote(null);
        setChanged(t('web.deadline.changed', { text: deadlineText(d, mod), state: cur.done_on
          ? t('casework.deadline.done_on', { date: formatDate(cur.done_on) }) : t('casework.deadline.open') }));
      } else setErr(x);
    }
  }
  const today = todayIso();
  return (
    <>
      <Section id="dl-title" title={t('casework.section.deadlines')}>
        {note ? <Notice kind="success">{note}</Notice> : null}
        {changed ? <Notice kind="warning">{changed}</Notice> : null}
        {err ? <ErrorBox error={err} /> : null}
        {dl.error ? <ErrorBox error={dl.error} /> : !dl.data ? <Loading /> : dl.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('casework.section.deadlines')}</caption>
            <thead><tr><th scope="col">{t('casework.deadline.due_on')}</th><th scope="col">{t('casework.deadline.text')}</th>
              <th scope="col">{t('dossier.assignee')}</th><th scope="col">{t('casework.deadline.status')}</th>
              {app.can('case.write') ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}</tr></thead>
            <tbody>{dl.data.items.map((d) => (
              <tr key={d.id}>
                <td>{formatDate(d.due_on)}</td><td>{deadlineText(d, mod)}</td><td>{d.assignee ?? '–'}</td>
                <td>{d.done_on ? t('casework.deadline.done_on', { date: formatDate(d.done_on) })
                  : d.due_on < today ? <span class="badge badge-warn">{t('casework.deadline.overdue')}</span> : t('casework.deadline.open')}</td>
                {app.can('case.write') ? <td><button type="button" class="btn btn-secondary" onClick={() => toggle(d)}>
                  {d.done_on ? t('casework.deadline.reopen') : t('casework.deadline.mark_done')}<span class="visually-hidden"> – {deadlineText(d, mod)}</span></button></td> : null}
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('casework.deadline.none')}</p>}
      </Section>
      {app.can('case.write') ? (
        <Section id="dl-add" title={t('casework.deadline.add')}>
          <form class="form" onSubmit={add} noValidate>
            <DateField label={t('casework.deadline.due_on')} value={v.due_on} onInput={set('due_on')} error={fe.due_on} required />
            <Field label={t('casework.deadline.text')} value={v.text} onInput={set('text')} error={fe.text} required />
            <div class="actions"><button type="submit" class="btn btn-primary">{t('casework.deadline.submit')}</button></div>
          </form>
        </Section>
      ) : null}
    </>
  );
}

