// Payment runs (accounting): create the run of a month, review its lines,
// approval by a second person (four eyes), the pain.001 download with its
// progress, and the upload of camt.054 notifications with what matched.
import { useRef, useState } from 'preact/hooks';
import { ApiError, download, post, upload, withQuery, type Page } from '../../api';
import { t, label } from '../../i18n';
import { useApp } from '../../ctx';
import { navigate } from '../../router';
import { usePagedList, useResource } from '../../lib/hooks';
import { ErrorBox, Facts, Field, Loading, Notice, PageTitle, Pager } from '../../components/ui';
import { formatAmount, formatDate, formatDateTime, todayIso } from '../../lib/format';
import type { PaymentLine, PaymentRun, Reconciliation, RunDetail } from './types';
import { ProgressBar, Section, ShNav, saveBlob, shHref } from './common';

function nextMonth(): string {
  const [y, m] = todayIso().split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
const monthText = (m: string) => { const [y, mo] = m.split('-'); return `${mo}.${y}`; };

export function PaymentRuns() {
  const app = useApp();
  const list = usePagedList<PaymentRun>('/api/v1/payment-runs', 20);
  const [month, setMonth] = useState(monthText(nextMonth()));
  const [fe, setFe] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [existing, setExisting] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  async function create(e: Event) {
    e.preventDefault();
    setErr(null); setExisting(null);
    const m = /^(\d{1,2})\.(\d{4})$/.exec(month.trim()) ?? null;
    const mm = m ? Number(m[1]) : 0;
    if (!m || mm < 1 || mm > 12) { setFe(t('sozialhilfe.run.month_rule')); return; }
    setFe(null);
    setBusy(true);
    try {
      const r = await post<PaymentRun>('/api/v1/payment-runs', { month: `${m[2]}-${String(mm).padStart(2, '0')}` });
      navigate(shHref('payments', r.data.id) + '?created=1');
    } catch (x) {
      if (x instanceof ApiError && x.code === 'run_exists') setExisting(Number((x.detail?.run as { id?: number } | undefined)?.id) || null);
      setErr(x);
    } finally { setBusy(false); }
  }
  return (
    <section>
      <ShNav current="payments" />
      <PageTitle>{t('sozialhilfe.run.title')}</PageTitle>
      {app.can('payment.run') ? (
        <Section id="run-new" title={t('sozialhilfe.run.new')}>
          {err ? <ErrorBox error={err} /> : null}
          {existing ? <p><a href={shHref('payments', existing)}>{t('sozialhilfe.run.open_existing')}</a></p> : null}
          <form class="inline-form" onSubmit={create} noValidate>
            <Field label={t('sozialhilfe.run.month')} hint={t('sozialhilfe.run.month_hint')} value={month} onInput={setMonth} error={fe} name="month" />
            <button type="submit" class="btn btn-primary" disabled={busy}>{t('sozialhilfe.run.create')}</button>
          </form>
        </Section>
      ) : null}
      <Section id="run-list" title={t('sozialhilfe.run.list')}>
        {list.error ? <ErrorBox error={list.error} /> : !list.loaded ? <Loading /> : list.items.length ? (
          <>
            <table class="table">
              <caption class="visually-hidden">{t('sozialhilfe.run.list')}</caption>
              <thead><tr><th scope="col">{t('sozialhilfe.run.month')}</th><th scope="col">{t('sozialhilfe.run.status')}</th>
                <th scope="col">{t('sozialhilfe.run.execution_date')}</th><th scope="col">{t('sozialhilfe.run.exported_at')}</th></tr></thead>
              <tbody>{list.items.map((r) => (
                <tr key={r.id}>
                  <td><a href={shHref('payments', r.id)}>{monthText(r.month)}</a></td>
                  <td>{label('sozialhilfe.rstatus', r.exported_at ? 'exported' : r.status)}</td>
                  <td>{formatDate(r.execution_date)}</td><td>{r.exported_at ? formatDateTime(r.exported_at) : '–'}</td>
                </tr>
              ))}</tbody>
            </table>
            <Pager label={t('sozialhilfe.run.pager')} page={list.page} hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next} busy={list.loading} />
          </>
        ) : <p>{t('sozialhilfe.run.none')}</p>}
      </Section>
      {app.can('payment.run') ? <CamtUpload /> : null}
    </section>
  );
}

export function CamtUpload() {
  const [file, setFile] = useState<File | null>(null);
  const [over, setOver] = useState(false);
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<string | null>(null);
  const [res, setRes] = useState<Reconciliation | null>(null);
  const input = useRef<HTMLInputElement>(null);
  async function send(e: Event) {
    e.preventDefault();
    setErr(null); setRes(null);
    if (!file) { setFe(t('sozialhilfe.doc.choose_file')); return; }
    setFe(null);
    setProg({ done: 0, total: file.size });
    try {
      const r = await upload<Reconciliation>('/api/v1/payment-runs/reconcile', file, 'application/xml', (done, total) => setProg({ done, total }));
      setRes(r.data);
      setFile(null);
      if (input.current) input.current.value = '';
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  return (
    <Section id="camt" title={t('sozialhilfe.camt.title')}>
      <p>{t('sozialhilfe.camt.text')}</p>
      {err ? <ErrorBox error={err} /> : null}
      <form class="form" onSubmit={send} noValidate>
        <div class={`dropzone${over ? ' dropzone-over' : ''}${fe ? ' field-invalid' : ''}`}
          onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
          onDrop={(e) => { e.preventDefault(); setOver(false); const f = e.dataTransfer?.files?.[0]; if (f) { setFile(f); setFe(null); } }}>
          <p>{t('sozialhilfe.camt.drop')}</p>
          <div class="field">
            <label for="camt-file">{t('sozialhilfe.camt.file')}</label>
            <input id="camt-file" ref={input} type="file" accept=".xml,application/xml,text/xml" aria-invalid={fe ? 'true' : undefined}
              aria-describedby={fe ? 'camt-file-err' : undefined}
              onChange={(e) => { setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null); setFe(null); }} />
            {fe ? <p id="camt-file-err" class="field-error">{fe}</p> : null}
          </div>
          {file ? <p class="chosen">{t('sozialhilfe.camt.chosen', { name: file.name })}</p> : null}
        </div>
        {prog ? <ProgressBar label={t('sozialhilfe.camt.uploading')} done={prog.done} total={prog.total} /> : null}
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={!!prog}>{t('sozialhilfe.camt.send')}</button></div>
      </form>
      {res ? (
        <div class="camt-result" aria-labelledby="camt-res">
          <h3 id="camt-res">{t('sozialhilfe.camt.result')}</h3>
          <Notice kind={res.unmatched_count ? 'warning' : 'success'}>
            {t('sozialhilfe.camt.summary', { entries: res.entries, matched: res.matched, unmatched: res.unmatched_count })}
          </Notice>
          <Facts items={[
            [t('sozialhilfe.camt.booked'), String(res.booked)], [t('sozialhilfe.camt.returned'), String(res.returned)],
            [t('sozialhilfe.camt.repayments'), String(res.repayments)], [t('sozialhilfe.camt.pending'), String(res.pending)],
            [t('sozialhilfe.camt.duplicates'), String(res.duplicates)],
          ]} />
          {res.unmatched.length ? (
            <table class="table">
              <caption>{t('sozialhilfe.camt.unmatched')}</caption>
              <thead><tr><th scope="col">{t('sozialhilfe.camt.position')}</th><th scope="col">{t('sozialhilfe.camt.booking_date')}</th>
                <th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th><th scope="col">{t('sozialhilfe.camt.reference')}</th>
                <th scope="col">{t('sozialhilfe.camt.reason')}</th></tr></thead>
              <tbody>{res.unmatched.map((u) => (
                <tr key={u.id}><td>{u.position}</td><td>{formatDate(u.booking_date)}</td>
                  <td class="num">{formatAmount(u.cdi === 'DBIT' ? -u.amount : u.amount)}</td>
                  <td>{u.end_to_end_id ?? u.reference ?? '–'}</td><td>{label('sozialhilfe.unmatched', u.reason)}</td></tr>
              ))}</tbody>
            </table>
          ) : null}
        </div>
      ) : null}
    </Section>
  );
}

export function PaymentRunView({ id }: { id: string }) {
  const app = useApp();
  const [after, setAfter] = useState<string[]>([]);
  const path = withQuery(`/api/v1/payment-runs/${id}`, { limit: 50, after: after[after.length - 1] });
  const run = useResource<RunDetail>(path);
  const [err, setErr] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(() => (location.hash.includes('created=1') ? t('sozialhilfe.run.created') : null));
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  if (run.error) return <section><ShNav current="payments" /><PageTitle>{t('sozialhilfe.run.title')}</PageTitle><ErrorBox error={run.error} /></section>;
  if (!run.data) return <Loading />;
  const r = run.data;
  const s = r.summary;
  async function approve() {
    setErr(null); setNote(null);
    try { await post(`/api/v1/payment-runs/${r.id}/approve`); setNote(t('sozialhilfe.run.approved')); run.reload(); } catch (x) { setErr(x); }
  }
  async function pain() {
    setErr(null); setNote(null);
    setProg({ done: 0, total: null });
    try {
      const f = await download(`/api/v1/payment-runs/${r.id}/pain001`, (done, total) => setProg({ done, total }));
      saveBlob(f.blob, f.filename ?? `pain001-${r.month}.xml`);
      setNote(t('sozialhilfe.run.downloaded'));
      run.reload();
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  return (
    <section>
      <ShNav current="payments" />
      <p class="breadcrumb"><a href={shHref('payments')}>{t('sozialhilfe.run.title')}</a></p>
      <PageTitle>{t('sozialhilfe.run.one', { month: monthText(r.month) })}</PageTitle>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      <Section id="run-facts" title={t('sozialhilfe.run.overview')}>
        <Facts items={[
          [t('sozialhilfe.run.status'), label('sozialhilfe.rstatus', r.exported_at ? 'exported' : r.status)],
          [t('sozialhilfe.run.execution_date'), formatDate(r.execution_date)],
          [t('sozialhilfe.run.created_at'), formatDateTime(r.created_at)],
          [t('sozialhilfe.run.approved_at'), r.approved_at ? formatDateTime(r.approved_at) : '–'],
          [t('sozialhilfe.run.exported_at'), r.exported_at ? formatDateTime(r.exported_at) : '–'],
          ...(s ? [[t('sozialhilfe.run.payable'), t('sozialhilfe.run.count_total', { n: s.lines, total: formatAmount(s.total) })],
            [t('sozialhilfe.run.held'), t('sozialhilfe.run.count_total', { n: s.held, total: formatAmount(s.held_total) })]] as [string, string][] : []),
        ]} />
        {prog ? <ProgressBar label={t('sozialhilfe.run.downloading')} done={prog.done} total={prog.total} /> : null}
        <div class="actions">
          {r.status === 'draft' && app.can('payment.approve') ? (
            r.created_by === app.me.user.id ? <p class="muted">{t('sozialhilfe.run.own')}</p>
              : <button type="button" class="btn btn-primary" onClick={approve}>{t('sozialhilfe.run.approve')}</button>
          ) : null}
          {r.status !== 'draft' && app.can('payment.run') ? (
            <button type="button" class="btn btn-primary" onClick={pain} disabled={!!prog}>{t('sozialhilfe.run.download')}</button>
          ) : null}
          {r.status === 'draft' && app.can('payment.run') ? <p class="muted">{t('sozialhilfe.run.needs_approval')}</p> : null}
        </div>
      </Section>
      <Section id="run-lines" title={t('sozialhilfe.run.lines')}>
        {r.lines.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('sozialhilfe.run.lines')}</caption>
            <thead><tr><th scope="col">{t('sozialhilfe.run.creditor')}</th><th scope="col">{t('sozialhilfe.run.kind')}</th>
              <th scope="col">{t('sozialhilfe.run.text')}</th><th scope="col" class="num">{t('sozialhilfe.budget.amount')}</th>
              <th scope="col">{t('sozialhilfe.run.line_status')}</th></tr></thead>
            <tbody>{r.lines.map((l: PaymentLine) => (
              <tr key={l.id}>
                <td>{app.can('case.read') ? <a href={shHref('cases', l.dossier_id)}>{l.creditor.name}</a> : l.creditor.name}
                  <br /><span class="muted small">{l.creditor.iban ?? '–'}</span></td>
                <td>{label('sozialhilfe.pkind', l.kind)}</td><td>{l.text}</td><td class="num">{formatAmount(l.amount)}</td>
                <td>{label('sozialhilfe.lstatus', l.status)}{l.problem ? <><br /><span class="badge badge-warn">{label('sozialhilfe.problem', l.problem)}</span></> : null}
                  {l.return_reason ? <><br /><span class="small">{t('sozialhilfe.run.return_reason', { code: l.return_reason })}</span></> : null}</td>
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('sozialhilfe.run.no_lines')}</p>}
        <Pager label={t('sozialhilfe.run.lines_pager')} page={after.length + 1} hasPrev={after.length > 0} hasNext={!!r.next}
          onPrev={() => setAfter(after.slice(0, -1))} onNext={() => { if (r.next) setAfter([...after, r.next]); }} />
      </Section>
    </section>
  );
}

export type { Page };
