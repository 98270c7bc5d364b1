// Payment runs (accounting): create the run of a month, review its lines
// (the month's payments and back payments for earlier months), compute a
// draft again or discard it, approval by a second person (four eyes; the
// browser asks first), the export and the pain.001 download with their
// progress (making a run and exporting it are background jobs: the
// screen follows the job with <JobProgress>, then shows the run or
// downloads the file). The upload of camt.054 notifications with what
// matched, the imported files, and matching an unmatched transaction by
// hand. One run pays the lines of every module, so the screens are
// casework's, under #/m/<module>/payments of every casework module; a
// module adds its own part (ModuleContribution.paymentsSection).
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, download, etagOf, post, upload, withQuery, type Job, type Page } from '../api';
import { t, tOpt, label } from '../i18n';
import { useApp } from '../ctx';
import { navigate } from '../router';
import { usePagedList, useResource } from '../lib/hooks';
import { ConfirmButton, ErrorBox, Facts, Field, PagedTable, Loading, Notice, Pager, PageTitle, SelectField } from '../components/ui';
import { onEscape } from '../components/inline';
import { JobProgress } from '../components/JobProgress';
import { formatAmount, formatDate, formatDateTime, todayIso } from '../lib/format';
import type { BankEntry, BankFile, BankFileDetail, Candidate, Dossier, PaymentLine, PaymentRun, Reconciliation, RunDetail, Unmatched } from './types';
import { EnabledModules, ModuleNav, ProgressBar, Section, modHref, saveBlob, useHref, useModule } from './common';
import { useVocabularies } from './vocabulary';

function nextMonth(): string {
  const [y, m] = todayIso().split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
/** "2045-01" as people write it: "01.2045". */
export const monthText = (m: string) => { const [y, mo] = m.split('-'); return `${mo}.${y}`; };

export function PaymentRuns() {
  const app = useApp();
  const h = useHref();
  const list = usePagedList<PaymentRun>('/api/v1/payment-runs', 20);
  const [month, setMonth] = useState(monthText(nextMonth()));
  const [fe, setFe] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [existing, setExisting] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  // Bumped when a bank file was imported: the list of files shows it.
  const [filesSeen, setFilesSeen] = useState(0);
  const discarded = location.hash.includes('discarded=1');
  /** The job computed the run: open it; otherwise its error stays shown. */
  function made(j: Job) {
    const run = (j.result as { run?: number } | null)?.run;
    if (j.state === 'done' && run) navigate(h('payments', run) + '?created=1');
    else { setBusy(false); list.reload(); }
  }
  async function create(e: Event) {
    e.preventDefault();
    setErr(null); setExisting(null); setJob(null);
    const m = /^(\d{1,2})\.(\d{4})$/.exec(month.trim()) ?? null;
    const mm = m ? Number(m[1]) : 0;
    if (!m || mm < 1 || mm > 12) { setFe(t('casework.run.month_rule')); return; }
    setFe(null);
    setBusy(true);
    try {
      const r = await post<Job>('/api/v1/payment-runs', { month: `${m[2]}-${String(mm).padStart(2, '0')}` });
      setJob(r.data);
    } catch (x) {
      if (x instanceof ApiError && x.code === 'run_exists') setExisting(Number((x.detail?.run as { id?: number } | undefined)?.id) || null);
      setErr(x);
      setBusy(false);
    }
  }
  return (
    <section>
      <ModuleNav current="payments" />
      <PageTitle>{t('casework.run.title')}</PageTitle>
      {discarded ? <Notice kind="success">{t('money.run.discarded')}</Notice> : null}
      {app.can('payment.run') ? (
        <Section id="run-new" title={t('casework.run.new')}>
          {err ? <ErrorBox error={err} /> : null}
          {existing ? <p><a href={h('payments', existing)}>{t('casework.run.open_existing')}</a></p> : null}
          <form class="inline-form" onSubmit={create} noValidate>
            <Field label={t('casework.run.month')} hint={t('casework.run.month_hint')} value={month} onInput={setMonth} error={fe} name="month" />
            <button type="submit" class="btn btn-primary" disabled={busy}>{t('casework.run.create')}</button>
          </form>
          {job ? <JobProgress key={job.id} job={job} onEnd={made} /> : null}
        </Section>
      ) : null}
      <Section id="run-list" title={t('casework.run.list')}>
        <PagedTable list={list} caption={t('casework.run.list')} pager={t('casework.run.pager')} empty={t('casework.run.none')}
          head={<>
            <th scope="col">{t('casework.run.month')}</th><th scope="col">{t('casework.run.status')}</th>
            <th scope="col">{t('casework.run.execution_date')}</th><th scope="col">{t('casework.run.exported_at')}</th>
          </>}
          row={(r) => (
            <tr key={r.id}>
              <td><a href={h('payments', r.id)}>{monthText(r.month)}</a></td>
              <td>{label('casework.rstatus', r.exported_at ? 'exported' : r.status)}</td>
              <td>{formatDate(r.execution_date)}</td><td>{r.exported_at ? formatDateTime(r.exported_at) : '–'}</td>
            </tr>
          )} />
      </Section>
      {useContext(EnabledModules).map((m) => { const S = m.paymentsSection; return S ? <S key={m.code} /> : null; })}
      {app.can('payment.run') ? <CamtUpload onImported={() => setFilesSeen((n) => n + 1)} /> : null}
      {app.can('payment.run') ? <BankFiles key={filesSeen} /> : null}
    </section>
  );
}

/** What became of a transaction; a credit a module took names the module. */
const outcomeText = (u: { outcome: string; module?: string | null }) => (u.outcome === 'received' && u.module
  ? t('money.outcome.received_by', { module: tOpt(`module.${u.module}`) ?? u.module }) : label('money.outcome', u.outcome));

/** A dossier's link from the payments screens: to the tab with its money
 *  where the module shown has one (ModuleContribution.moneyTab). */
function useDossierHref(): (id: number) => string {
  const mod = useModule();
  const h = useHref();
  return (id) => (mod.moneyTab ? h('cases', id, mod.moneyTab) : h('cases', id));
}

/** Debits negative, credits positive, as on a bank statement. */
const signed = (cdi: string, amount: number) => formatAmount(cdi === 'DBIT' ? -amount : amount);

export function CamtUpload({ onImported }: { onImported?: () => void }) {
  const h = useHref();
  const [file, setFile] = useState<File | null>(null);
  const [over, setOver] = useState(false);
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<string | null>(null);
  const [res, setRes] = useState<Reconciliation | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [importing, setImporting] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  /** The import job ended: what became of the file (or its error, shown by JobProgress). */
  function booked(j: Job) {
    setImporting(false);
    if (j.state === 'done') { setRes(j.result as Reconciliation); setJob(null); onImported?.(); }
  }
  async function send(e: Event) {
    e.preventDefault();
    setErr(null); setRes(null); setJob(null);
    if (!file) { setFe(t('casework.doc.choose_file')); return; }
    setFe(null);
    setProg({ done: 0, total: file.size });
    try {
      const r = await upload<Job>('/api/v1/payment-runs/reconcile', file, 'application/xml', (done, total) => setProg({ done, total }));
      setJob(r.data);
      setImporting(true);
      setFile(null);
      if (input.current) input.current.value = '';
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  return (
    <Section id="camt" title={t('casework.camt.title')}>
      <p>{t('casework.camt.text')}</p>
      {err ? <ErrorBox error={err} /> : null}
      <form class="form" onSubmit={send} noValidate>
        <div class={`dropzone${over ? ' dropzone-over' : ''}${fe ? ' field-invalid' : ''}`}
          onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
          onDrop={(e) => { e.preventDefault(); setOver(false); const f = e.dataTransfer?.files?.[0]; if (f) { setFile(f); setFe(null); } }}>
          <p>{t('casework.camt.drop')}</p>
          <div class="field">
            <label for="camt-file">{t('casework.camt.file')}</label>
            <input id="camt-file" ref={input} type="file" accept=".xml,application/xml,text/xml" aria-invalid={fe ? 'true' : undefined}
              aria-describedby={fe ? 'camt-file-err' : undefined}
              onChange={(e) => { setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null); setFe(null); }} />
            {fe ? <p id="camt-file-err" class="field-error">{fe}</p> : null}
          </div>
          {file ? <p class="chosen">{t('casework.camt.chosen', { name: file.name })}</p> : null}
        </div>
        {prog ? <ProgressBar label={t('casework.camt.uploading')} done={prog.done} total={prog.total} /> : null}
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={!!prog || importing}>{t('casework.camt.send')}</button></div>
      </form>
      {job ? <JobProgress key={job.id} job={job} onEnd={booked} /> : null}
      {res ? (
        <div class="camt-result" aria-labelledby="camt-res">
          <h3 id="camt-res">{t('casework.camt.result')}</h3>
          <Notice kind={res.unmatched_count ? 'warning' : 'success'}>
            {res.file.already_imported ? `${t('money.camt.already', { date: formatDateTime(res.file.uploaded_at) })} ` : ''}
            {t('casework.camt.summary', { entries: res.entries, matched: res.matched, unmatched: res.unmatched_count })}
          </Notice>
          <Facts items={[
            [t('casework.camt.booked'), String(res.booked)], [t('casework.camt.returned'), String(res.returned)],
            [t('casework.camt.repayments'), String(res.repayments)], [t('casework.camt.pending'), String(res.pending)],
            [t('casework.camt.duplicates'), String(res.duplicates)], [t('money.camt.received'), String(res.received ?? 0)],
          ]} />
          <ReadEntries caption={t('money.camt.matched')} items={res.matched_entries} last={t('money.camt.outcome')}
            show={outcomeText} />
          <ReadEntries caption={t('casework.camt.unmatched')} items={res.unmatched} last={t('casework.camt.reason')}
            show={(u) => label('casework.unmatched', u.reason ?? '')} />
          <p><a href={h('payments', 'files', res.file.id)}>{t('money.camt.open_file')}</a></p>
        </div>
      ) : null}
    </Section>
  );
}

/** Transactions of an upload (position in the file), the last column as show() says. */
function ReadEntries({ caption, items, last, show }: { caption: string; items: Unmatched[]; last: string; show: (u: Unmatched) => string }) {
  if (!items.length) return null;
  return (
    <table class="table">
      <caption>{caption}</caption>
      <thead><tr><th scope="col">{t('casework.camt.position')}</th><th scope="col">{t('casework.camt.booking_date')}</th>
        <th scope="col" class="num">{t('casework.amount')}</th><th scope="col">{t('casework.camt.reference')}</th>
        <th scope="col">{last}</th></tr></thead>
      <tbody>{items.map((u) => (
        <tr key={u.id}><td>{u.position}</td><td>{formatDate(u.booking_date)}</td>
          <td class="num">{signed(u.cdi, u.amount)}</td>
          <td>{u.end_to_end_id ?? u.reference ?? '–'}</td><td>{show(u)}</td></tr>
      ))}</tbody>
    </table>
  );
}

/** The imported bank files: when, by whom, what became of their transactions. */
function BankFiles() {
  const h = useHref();
  const list = usePagedList<BankFile>('/api/v1/bank-files', 10);
  return (
    <Section id="bank-files" title={t('money.files.title')}>
      <PagedTable list={list} caption={t('money.files.title')} pager={t('money.files.pager')} empty={t('money.files.none')}
        head={<>
          <th scope="col">{t('money.files.uploaded_at')}</th><th scope="col">{t('money.files.uploaded_by')}</th>
          <th scope="col" class="num">{t('money.files.entries')}</th><th scope="col" class="num">{t('money.files.matched')}</th>
          <th scope="col" class="num">{t('money.files.unmatched')}</th>
        </>}
        row={(f) => (
          <tr key={f.id}>
            <td><a href={h('payments', 'files', f.id)}>{formatDateTime(f.uploaded_at)}</a></td>
            <td>{f.uploaded_by.display_name ?? '–'}</td><td class="num">{f.entries}</td>
            <td class="num">{f.booked + f.returned + f.repayments + (f.received ?? 0)}</td>
            <td class="num">{f.unmatched ? <strong>{f.unmatched}</strong> : 0}</td>
          </tr>
        )} />
    </Section>
  );
}

/** What an entry was matched to, with a link to the dossier. */
function MatchText({ e }: { e: BankEntry }) {
  const dossierHref = useDossierHref();
  const m = e.match;
  if (!m) return <>–</>;
  return (
    <>
      <a href={dossierHref(m.dossier_id)}>{m.name ?? m.dossier_id}</a>
      <br /><span class="muted small">{m.claim_reference ? t('money.camt.claim_ref', { ref: m.claim_reference })
        : m.for_month ? t('money.camt.line_month', { month: monthText(m.for_month) }) : ''}</span>
      {e.matched_by ? <><br /><span class="muted small">{t('money.camt.matched_by', { name: e.matched_by.display_name ?? '', date: formatDateTime(e.matched_at) })}</span></> : null}
    </>
  );
}

export function BankFileView({ id }: { id: string }) {
  const h = useHref();
  const [after, setAfter] = useState<string[]>([]);
  const f = useResource<BankFileDetail>(withQuery(`/api/v1/bank-files/${id}`, { limit: 50, after: after[after.length - 1] }));
  const [open, setOpen] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  if (f.error) return <section><ModuleNav current="payments" /><PageTitle>{t('money.files.one')}</PageTitle><ErrorBox error={f.error} /></section>;
  if (!f.data) return <Loading />;
  const x = f.data;
  return (
    <section>
      <ModuleNav current="payments" />
      <p class="breadcrumb"><a href={h('payments')}>{t('casework.run.title')}</a></p>
      <PageTitle>{t('money.files.one_at', { date: formatDateTime(x.uploaded_at) })}</PageTitle>
      {note ? <Notice kind="success">{note}</Notice> : null}
      <Section id="file-facts" title={t('casework.run.overview')}>
        <Facts items={[
          [t('money.files.uploaded_by'), x.uploaded_by.display_name ?? '–'],
          [t('money.files.account'), x.account ?? '–'],
          [t('money.files.entries'), String(x.entries)],
          [t('casework.camt.booked'), String(x.booked)], [t('casework.camt.returned'), String(x.returned)],
          [t('casework.camt.repayments'), String(x.repayments)], [t('casework.camt.pending'), String(x.pending)],
          [t('casework.camt.duplicates'), String(x.duplicates)], [t('money.camt.received'), String(x.received ?? 0)],
          [t('money.files.unmatched'), String(x.unmatched)],
        ]} />
      </Section>
      <Section id="file-entries" title={t('money.files.entries_title')}>
        {x.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('money.files.entries_title')}</caption>
            <thead><tr><th scope="col">{t('casework.camt.booking_date')}</th><th scope="col" class="num">{t('casework.amount')}</th>
              <th scope="col">{t('casework.camt.reference')}</th><th scope="col">{t('money.camt.outcome')}</th>
              <th scope="col">{t('money.camt.match')}</th></tr></thead>
            <tbody>{x.items.map((e) => [
              <tr key={e.id}>
                <td>{e.booking_date ? formatDate(e.booking_date) : '–'}</td><td class="num">{signed(e.cdi, e.amount)}</td>
                <td>{e.end_to_end_id ?? e.reference ?? '–'}</td>
                <td>{outcomeText(e)}{e.reason ? <><br /><span class="badge badge-warn">{label('casework.unmatched', e.reason)}</span></> : null}</td>
                <td>{e.outcome === 'unmatched' ? (
                  <button type="button" class="btn btn-secondary" aria-expanded={open === e.id ? 'true' : 'false'} id={`match-${e.id}`}
                    onClick={() => { setNote(null); setOpen(open === e.id ? null : e.id); }}>
                    {t('money.camt.match_by_hand')}<span class="visually-hidden"> – {signed(e.cdi, e.amount)}</span></button>
                ) : <MatchText e={e} />}</td>
              </tr>,
              open === e.id ? (
                <tr key={`${e.id}-m`} class="match-row"><td colSpan={5}>
                  <MatchPanel entry={e} onClose={() => { setOpen(null); document.getElementById(`match-${e.id}`)?.focus(); }}
                    onDone={(msg) => { setOpen(null); setNote(msg); f.reload(); }} onStale={() => f.reload()} />
                </td></tr>
              ) : null,
            ])}</tbody>
          </table>
        ) : <p>{t('money.files.no_entries')}</p>}
        <Pager label={t('money.files.entries_pager')} page={after.length + 1} hasPrev={after.length > 0} hasNext={!!x.next}
          onPrev={() => setAfter(after.slice(0, -1))} onNext={() => { if (x.next) setAfter([...after, x.next]); }} />
      </Section>
    </section>
  );
}

/**
 * Matching an unmatched transaction by hand: the payment lines and claims
 * it could belong to, each matched after a confirmation. Escape closes.
 */
function MatchPanel({ entry, onClose, onDone, onStale }: { entry: BankEntry; onClose: () => void; onDone: (note: string) => void; onStale: () => void }) {
  const dossierHref = useDossierHref();
  const c = useResource<Page<Candidate>>(`/api/v1/bank-entries/${entry.id}/candidates?limit=20`);
  const [err, setErr] = useState<unknown>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => { box.current?.focus(); }, []);
  async function match(x: Candidate) {
    setErr(null);
    try {
      await post(`/api/v1/bank-entries/${entry.id}/match`, x.type === 'line' ? { line_id: x.id } : { claim_id: x.id }, { ifMatch: etagOf(entry.version) });
      onDone(t('money.camt.matched_done', { name: x.name ?? '' }));
    } catch (e) {
      setErr(e);
      if (e instanceof ApiError && e.status === 409) onStale();
    }
  }
  return (
    <div class="match-panel" role="group" aria-labelledby={`mp-${entry.id}`} tabIndex={-1} ref={box}
      {...onEscape(onClose)}>
      <h3 id={`mp-${entry.id}`}>{t('money.camt.candidates', { amount: signed(entry.cdi, entry.amount) })}</h3>
      {err ? <ErrorBox error={err} /> : null}
      {c.error ? <ErrorBox error={c.error} /> : !c.data ? <Loading /> : c.data.items.length ? (
        <ul class="candidates">{c.data.items.map((x) => (
          <li key={`${x.type}-${x.id}`}>
            <span>{label('money.candidate', x.type)}: <a href={dossierHref(x.dossier_id)}>{x.name ?? x.dossier_id}</a>
              {' · '}{formatAmount(x.amount)}{' · '}{x.type === 'line' ? `${x.end_to_end_id ?? ''}${x.for_month ? ` (${monthText(x.for_month)})` : ''}` : x.reference}</span>{' '}
            <ConfirmButton label={t('money.camt.match_this')} srSuffix={`– ${x.name ?? ''}`}
              question={t('money.camt.match_q', { name: x.name ?? '', amount: formatAmount(x.amount) })}
              confirmLabel={t('money.camt.match_yes')} onConfirm={() => match(x)} />
          </li>
        ))}</ul>
      ) : <p>{t('money.camt.no_candidates')}</p>}
      {entry.cdi === 'CRDT' ? <AssignPanel entry={entry} onDone={onDone} onStale={onStale} /> : null}
      <div class="actions"><button type="button" class="btn btn-secondary" onClick={onClose}>{t('common.cancel')}</button></div>
    </div>
  );
}

/**
 * A credit without a known reference assigned to a dossier found by its
 * number or a name: the dossier's module books it as if the reference
 * had named the dossier (e.g. a debtor's maintenance payment).
 */
function AssignPanel({ entry, onDone, onStale }: { entry: BankEntry; onDone: (note: string) => void; onStale: () => void }) {
  const [q, setQ] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const term = q.trim();
  const found = useResource<Page<Dossier>>(term.length >= 2 ? withQuery('/api/v1/cases', { q: term, limit: 10 }) : null);
  const name = (d: Dossier) => `${d.number} ${d.applicant.last_name} ${d.applicant.first_name}`;
  async function assign(d: Dossier) {
    setErr(null);
    try {
      await post(`/api/v1/bank-entries/${entry.id}/assign`, { dossier_id: d.id }, { ifMatch: etagOf(entry.version) });
      onDone(t('money.camt.assigned_done', { name: name(d) }));
    } catch (e) {
      setErr(e);
      if (e instanceof ApiError && (e.code === 'invalid_state' || e.code === 'conflict')) onStale();
    }
  }
  return (
    <div class="assign-panel">
      <h4 id={`ap-${entry.id}`}>{t('money.camt.assign_title')}</h4>
      {err ? <ErrorBox error={err} /> : null}
      <Field label={t('money.camt.assign_search')} hint={t('money.camt.assign_search_hint')} value={q} onInput={setQ}
        maxLength={100} name={`assign-q-${entry.id}`} />
      {term.length < 2 ? null : found.error ? <ErrorBox error={found.error} /> : !found.data ? <Loading /> : found.data.items.length ? (
        <ul class="candidates" aria-labelledby={`ap-${entry.id}`}>{found.data.items.map((d) => (
          <li key={d.id}>
            <span>{name(d)}{d.module ? ` · ${label('module', d.module)}` : ''}</span>{' '}
            <ConfirmButton label={t('money.camt.assign_this')} srSuffix={`– ${name(d)}`}
              question={t('money.camt.assign_q', { name: name(d), amount: formatAmount(entry.amount) })}
              confirmLabel={t('money.camt.assign_yes')} onConfirm={() => assign(d)} />
          </li>
        ))}</ul>
      ) : <p>{t('money.camt.assign_none')}</p>}
    </div>
  );
}

export function PaymentRunView({ id }: { id: string }) {
  const app = useApp();
  const h = useHref();
  const [after, setAfter] = useState<string[]>([]);
  const [kind, setKind] = useState('');
  const path = withQuery(`/api/v1/payment-runs/${id}`, { limit: 50, after: after[after.length - 1], kind });
  const run = useResource<RunDetail>(path);
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(() => (location.hash.includes('created=1') ? t('casework.run.created') : null));
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const [exporting, setExporting] = useState<Job | null>(null);
  // The kinds of payment of every module switched on (Sozialhilfe's until they are known).
  const mod = useModule().code;
  const vocab = useVocabularies();
  const kinds = vocab.data?.payment_kind?.map((e) => ({ value: e.code, label: label(`${e.module ?? mod}.pkind`, e.code) })) ?? [];
  if (run.error) return <section><ModuleNav current="payments" /><PageTitle>{t('casework.run.title')}</PageTitle><ErrorBox error={run.error} /></section>;
  if (!run.data) return <Loading />;
  const r = run.data;
  const s = r.summary;
  /** A write with the run's ETag; a stale run is shown again as it is now. */
  async function write(what: () => Promise<unknown>, done: string) {
    setErr(null); setNote(null); setBusy(true);
    try { await what(); setNote(done); } catch (x) { setErr(x); } finally { setBusy(false); run.reload(); }
  }
  const approve = () => write(() => post(`/api/v1/payment-runs/${r.id}/approve`, undefined, { ifMatch: run.etag }), t('casework.run.approved'));
  const recompute = () => write(async () => {
    const x = await post<PaymentRun>(`/api/v1/payment-runs/${r.id}/recompute`, undefined, { ifMatch: run.etag });
    setAfter([]);
    return x;
  }, t('money.run.recomputed'));
  async function discard() {
    setErr(null); setNote(null);
    try {
      await call('DELETE', `/api/v1/payment-runs/${r.id}`, { ifMatch: run.etag });
      navigate(h('payments') + '?discarded=1');
    } catch (x) { setErr(x); run.reload(); }
  }
  /** Export (a job books the client accounts), then the file. */
  async function exportRun() {
    setErr(null); setNote(null); setBusy(true);
    try {
      setExporting((await post<Job>(`/api/v1/payment-runs/${r.id}/export`)).data);
    } catch (x) { setErr(x); setBusy(false); run.reload(); }
  }
  function exported(j: Job) {
    setBusy(false);
    run.reload();
    if (j.state === 'done') void pain();
  }
  async function pain() {
    setErr(null); setNote(null);
    setProg({ done: 0, total: null });
    try {
      const f = await download(`/api/v1/payment-runs/${r.id}/pain001`, (done, total) => setProg({ done, total }));
      saveBlob(f.blob, f.filename ?? `pain001-${r.month}.xml`);
      setNote(t('casework.run.downloaded'));
      run.reload();
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  const back = s?.by_kind.back_payment;
  return (
    <section>
      <ModuleNav current="payments" />
      <p class="breadcrumb"><a href={h('payments')}>{t('casework.run.title')}</a></p>
      <PageTitle>{t('casework.run.one', { month: monthText(r.month) })}</PageTitle>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      <Section id="run-facts" title={t('casework.run.overview')}>
        <Facts items={[
          [t('casework.run.status'), label('casework.rstatus', r.exported_at ? 'exported' : r.status)],
          [t('casework.run.execution_date'), formatDate(r.execution_date)],
          [t('casework.run.created_at'), formatDateTime(r.created_at)],
          [t('money.run.computed_at'), formatDateTime(r.computed_at)],
          [t('casework.run.approved_at'), r.approved_at ? formatDateTime(r.approved_at) : '–'],
          [t('casework.run.exported_at'), r.exported_at ? formatDateTime(r.exported_at) : '–'],
          ...(s ? [[t('casework.run.payable'), t('casework.run.count_total', { n: s.lines, total: formatAmount(s.total) })],
            [t('money.run.back_payments'), back ? t('casework.run.count_total', { n: back.count, total: formatAmount(back.total) }) : '–'],
            [t('casework.run.held'), t('casework.run.count_total', { n: s.held, total: formatAmount(s.held_total) })]] as [string, string][] : []),
        ]} />
        {exporting ? <JobProgress key={exporting.id} job={exporting} onEnd={exported} /> : null}
        {prog ? <ProgressBar label={t('casework.run.downloading')} done={prog.done} total={prog.total} /> : null}
        {r.status === 'draft' ? <p class="muted">{t('money.run.draft_hint')}</p> : null}
        <div class="actions">
          {r.status === 'draft' && app.can('payment.approve') ? (
            r.created_by === app.me.user.id ? <p class="muted">{t('casework.run.own')}</p>
              : <ConfirmButton label={t('casework.run.approve')}
                  question={t('money.run.approve_q', { month: monthText(r.month), n: s?.lines ?? 0, total: formatAmount(s?.total ?? 0) })}
                  confirmLabel={t('money.run.approve_yes')} onConfirm={approve} />
          ) : null}
          {r.status === 'draft' && app.can('payment.run') ? (
            <>
              <button type="button" class="btn btn-secondary" onClick={recompute} disabled={busy}>{t('money.run.recompute')}</button>
              <ConfirmButton label={t('money.run.discard')} variant="danger" question={t('money.run.discard_q', { month: monthText(r.month) })}
                confirmLabel={t('money.run.discard_yes')} onConfirm={discard} />
            </>
          ) : null}
          {r.status !== 'draft' && app.can('payment.run') ? (
            <button type="button" class="btn btn-primary" onClick={r.exported_at ? pain : exportRun} disabled={!!prog || busy}>
              {t('casework.run.download')}</button>
          ) : null}
          {r.status === 'draft' && app.can('payment.run') ? <p class="muted">{t('casework.run.needs_approval')}</p> : null}
        </div>
      </Section>
      <Section id="run-lines" title={t('casework.run.lines')}>
        <div class="inline-form">
          <SelectField label={t('money.run.show')} value={kind} onChange={(k) => { setKind(k); setAfter([]); }}
            options={[{ value: '', label: t('money.run.show_all') }, ...kinds]} />
        </div>
        {r.lines.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('casework.run.lines')}</caption>
            <thead><tr><th scope="col">{t('casework.run.creditor')}</th><th scope="col">{t('casework.run.kind')}</th>
              <th scope="col">{t('money.run.for_month')}</th>
              <th scope="col">{t('casework.run.text')}</th><th scope="col" class="num">{t('casework.amount')}</th>
              <th scope="col">{t('casework.run.line_status')}</th></tr></thead>
            <tbody>{r.lines.map((l: PaymentLine) => (
              <tr key={l.id} class={l.kind === 'back_payment' ? 'back-payment' : undefined}>
                <td>{app.can('case.read') ? <a href={modHref(l.module ?? mod, 'cases', l.dossier_id)}>{l.creditor.name}</a> : l.creditor.name}
                  <br /><span class="muted small">{l.creditor.iban ?? '–'}</span></td>
                <td>{label(`${l.module ?? mod}.pkind`, l.kind)}</td>
                <td>{l.for_month ? monthText(l.for_month) : '–'}</td>
                <td>{l.text}</td><td class="num">{formatAmount(l.amount)}</td>
                <td>{label('casework.lstatus', l.status)}{l.problem ? <><br /><span class="badge badge-warn">{label('casework.problem', l.problem)}</span></> : null}
                  {l.return_reason ? <><br /><span class="small">{t('casework.run.return_reason', { code: l.return_reason })}</span></> : null}</td>
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('casework.run.no_lines')}</p>}
        <Pager label={t('casework.run.lines_pager')} page={after.length + 1} hasPrev={after.length > 0} hasNext={!!r.next}
          onPrev={() => setAfter(after.slice(0, -1))} onNext={() => { if (r.next) setAfter([...after, r.next]); }} />
      </Section>
    </section>
  );
}

export type { Page };
