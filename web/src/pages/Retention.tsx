// Retention (issue 15), for the social service's administrator and its
// auditors (retention.read): the periods in force and the rule version that
// set them, the dry run (closed dossiers past their period: due, on legal
// hold, or waiting for their accounting records), what each run deleted
// (counts per kind, no personal data), and a dossier's legal hold, set or
// lifted with If-Match (retention.hold; conflicts shown).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, etagOf, put } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { href, navigate } from '../router';
import { usePagedList, useResource } from '../lib/hooks';
import { changedFields, useEdit } from '../lib/edit';
import { formatDate, formatDateTime, formatInteger } from '../lib/format';
import { Badge, CheckboxField, ErrorBox, Facts, Field, PagedTable, Loading, Notice, PageTitle, TextArea } from '../components/ui';
import { ConflictPanel, type ConflictField } from '../components/conflict';

interface Periods {
  dossier_closed_years: number;
  accounting_years: number;
  as_of: string;
  closed_before: string;
  bookings_before: string;
  rules: { name: string; version: string; valid_from: string; scope: string } | null;
}
interface DueItem { dossier_id: number; number: string; closed_on: string; last_booking: string | null; status: string }
interface Run {
  id: number; job_id: number; run_on: string; dossiers: number; deleted: Record<string, number>;
  keys_shredded: number; held: number; waiting_accounting: number; updated_at: string;
}
interface Hold {
  dossier_id: number; number: string; state: string; closed_on: string | null; legal_hold: boolean;
  reason: string | null; held_by: number | null; held_at: string | null; version: number;
}

const statusKind = (s: string): 'ok' | 'warn' | 'info' => (s === 'due' ? 'warn' : s === 'legal_hold' ? 'info' : 'ok');

function DueList() {
  const list = usePagedList<DueItem>('/api/v1/retention/due', 20);
  const periods = useResource<{ periods: Periods }>('/api/v1/retention/due?limit=1').data?.periods;
  return (
    <section class="card" aria-labelledby="ret-due">
      <h2 id="ret-due">{t('retention.due_title')}</h2>
      {periods ? (
        <p data-testid="retention-periods">{t('retention.periods', {
          years: periods.dossier_closed_years, books: periods.accounting_years,
          rule: periods.rules ? `${periods.rules.name} ${periods.rules.version}` : '–',
          from: periods.rules ? formatDate(periods.rules.valid_from) : '–',
        })}</p>
      ) : null}
      <p class="hint">{t('retention.due_hint')}</p>
      <PagedTable list={list} testid="retention-due" caption={t('retention.due_title')} pager={t('retention.due_pager')}
        empty={t('retention.due_none')}
        head={<>
          <th scope="col">{t('retention.dossier')}</th>
          <th scope="col">{t('retention.closed_on')}</th>
          <th scope="col">{t('retention.last_booking')}</th>
          <th scope="col">{t('retention.status')}</th>
        </>}
        row={(x) => (
          <tr key={x.dossier_id} data-dossier={x.dossier_id}>
            <td><a href={href('retention', x.dossier_id)}>{x.number}</a></td>
            <td>{formatDate(x.closed_on)}</td>
            <td>{x.last_booking ? formatDate(x.last_booking) : '–'}</td>
            <td><Badge kind={statusKind(x.status)}>{label('retention.status', x.status)}</Badge></td>
          </tr>
        )} />
    </section>
  );
}

function RunList() {
  const list = usePagedList<Run>('/api/v1/retention/runs', 20);
  return (
    <section class="card" aria-labelledby="ret-runs">
      <h2 id="ret-runs">{t('retention.runs_title')}</h2>
      <PagedTable list={list} testid="retention-runs" caption={t('retention.runs_title')} pager={t('retention.runs_pager')}
        empty={t('retention.runs_none')}
        head={<>
          <th scope="col">{t('retention.run_on')}</th>
          <th scope="col" class="num">{t('retention.dossiers')}</th>
          <th scope="col">{t('retention.deleted')}</th>
          <th scope="col" class="num">{t('retention.keys')}</th>
          <th scope="col" class="num">{t('retention.held')}</th>
          <th scope="col" class="num">{t('retention.waiting')}</th>
        </>}
        row={(r) => (
          <tr key={r.id} data-run={r.id}>
            <td><a href={`#/jobs/${r.job_id}`}>{formatDateTime(r.updated_at)}</a></td>
            <td class="num">{formatInteger(r.dossiers)}</td>
            <td>{Object.keys(r.deleted).length ? Object.entries(r.deleted)
              .map(([k, n]) => `${label('retention.kind', k)}: ${formatInteger(n)}`).join(', ') : '–'}</td>
            <td class="num">{formatInteger(r.keys_shredded)}</td>
            <td class="num">{formatInteger(r.held)}</td>
            <td class="num">{formatInteger(r.waiting_accounting)}</td>
          </tr>
        )} />
    </section>
  );
}

function OpenDossier() {
  const [id, setId] = useState('');
  const [fe, setFe] = useState<string | null>(null);
  return (
    <form class="form card" noValidate aria-labelledby="ret-open" onSubmit={(e) => {
      e.preventDefault();
      if (!/^\d+$/.test(id.trim())) { setFe(t('retention.id_invalid')); return; }
      navigate(href('retention', id.trim()));
    }}>
      <h2 id="ret-open">{t('retention.open_title')}</h2>
      <p class="hint">{t('retention.open_hint')}</p>
      <Field label={t('retention.dossier_id')} value={id} onInput={setId} error={fe} inputMode="numeric" name="dossier_id" />
      <div class="actions"><button type="submit" class="btn btn-secondary">{t('retention.open')}</button></div>
    </form>
  );
}

export function Retention() {
  const app = useApp();
  return (
    <section>
      <PageTitle>{t('retention.title')}</PageTitle>
      <p>{t('retention.intro')}</p>
      <DueList />
      {app.can('retention.hold') ? <OpenDossier /> : null}
      <RunList />
    </section>
  );
}

type HoldForm = { hold: boolean; reason: string };
const formOf = (h: Hold): HoldForm => ({ hold: h.legal_hold, reason: h.reason ?? '' });

/** One dossier's legal hold: shown to retention.read, changed by retention.hold. */
export function RetentionHold({ id }: { id: string }) {
  const app = useApp();
  const h = useResource<Hold>(`/api/v1/retention/holds/${id}`);
  const edit = useEdit<HoldForm>();
  const [note, setNote] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<string | null>(null);
  useEffect(() => { if (h.data) edit.load(formOf(h.data), h.etag ?? etagOf(h.data.version)); }, [h.data?.version]);
  const fields: ConflictField<HoldForm>[] = useMemo(() => [
    { key: 'hold', label: t('retention.hold') }, { key: 'reason', label: t('retention.reason') }], []);
  const back = <p class="breadcrumb"><a href="#/retention">{t('retention.title')}</a></p>;
  if (h.error) return <section>{back}<PageTitle>{t('retention.hold_title', { number: id })}</PageTitle><ErrorBox error={h.error} /></section>;
  const s = edit.state;
  if (!h.data || !s) return <Loading />;
  const x = h.data;

  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setErr(null); setNote(null); setFe(null);
    if (!changedFields(s).length) { setNote(t('form.nothing_changed')); return; }
    if (s.values.hold && !s.values.reason.trim()) { setFe(t('retention.reason_missing')); return; }
    try {
      const body = s.values.hold ? { hold: true, reason: s.values.reason.trim() } : { hold: false };
      const r = await put<Hold>(`/api/v1/retention/holds/${x.dossier_id}`, body, s.etag);
      h.setData(r.data);
      h.setEtag(r.etag);
      setNote(r.data.legal_hold ? t('retention.hold_set') : t('retention.hold_lifted'));
    } catch (e2) {
      if (e2 instanceof ApiError && e2.status === 409 && e2.current) {
        const cur = e2.current as unknown as Hold;
        edit.setConflict(formOf(cur), etagOf(cur.version));
      } else setErr(e2);
    }
  }

  return (
    <section>
      {back}
      <PageTitle>{t('retention.hold_title', { number: x.number })}</PageTitle>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      <div class="card">
        <Facts items={[
          [t('retention.state'), label('retention.dossier_state', x.state)],
          [t('retention.closed_on'), x.closed_on ? formatDate(x.closed_on) : '–'],
          [t('retention.hold'), x.legal_hold ? t('common.yes') : t('common.no')],
          ...(x.legal_hold ? [[t('retention.reason'), x.reason ?? ''] as [string, string],
            [t('retention.held_at'), formatDateTime(x.held_at)] as [string, string]] : []),
        ]} />
      </div>
      {app.can('retention.hold') ? (
        <form class="form card" onSubmit={save} noValidate aria-labelledby="ret-hold">
          <h2 id="ret-hold">{t('retention.hold_change')}</h2>
          <p class="hint">{t('retention.hold_hint')}</p>
          {s.conflict ? <ConflictPanel state={s} fields={fields}
            onReapply={() => { edit.reapply(); setNote(t('conflict.reapplied')); }}
            onDiscard={() => { edit.discard(); setNote(t('conflict.discarded')); }} /> : null}
          <CheckboxField label={t('retention.hold')} checked={s.values.hold} onChange={(v) => edit.set('hold', v)} />
          {s.values.hold ? (
            <TextArea label={t('retention.reason')} value={s.values.reason} onInput={(v) => edit.set('reason', v)}
              error={fe} />
          ) : null}
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={!!s.conflict}>{t('form.save')}</button></div>
        </form>
      ) : null}
    </section>
  );
}
