// The "Betreibung" tab: debt enforcement proceedings (SchKG: request,
// payment order, objection, setting aside, continuation, seizure,
// certificate of loss) with their steps and the fees the community
// advanced; the reports of the debtor to his pension institution (InkHV
// 13-14) with revocation and payout notices; criminal complaints (StGB
// 217); the final statement (Schlussabrechnung) as PDF. Steps on a
// versioned record send its ETag; a 409 reloads the list.
import { useState } from 'preact/hooks';
import { ApiError, download, etagOf, post } from '../../api';
import { t, label, lang } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { splitError, fieldsChecked } from '../../lib/errors';
import { Badge, ErrorBox, Field, Loading, Notice, SelectField } from '../../components/ui';
import { InlinePanel, useInline } from '../../components/inline';
import { formatAmount, formatDate, todayIso } from '../../lib/format';
import { AmountField, DateField, ProgressBar, Section, checkAmount, checkDate, saveBlob } from '../../casework/common';
import type { Dossier } from '../../casework/types';
import type { Complaint, Enforcement, PensionReport } from './types';
import { fieldSetter } from '../../lib/form';

export const STEPS = ['request', 'payment_order', 'objection', 'setting_aside', 'continuation', 'seizure', 'loss_certificate', 'withdrawn'] as const;
const today = () => formatDate(todayIso());

/** Collect the form's errors; false when there are any (shown at the fields). */
export function EnforcementTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const can = app.can('alimente.write') && dossier.state !== 'closed';
  const [note, setNote] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  async function statement(l: 'de' | 'fr') {
    setErr(null); setNote(null);
    setProg({ done: 0, total: null });
    try {
      const r = await download(`/api/v1/cases/${dossier.id}/final-statement?lang=${l}`, (done, total) => setProg({ done, total }));
      saveBlob(r.blob, r.filename ?? `schlussabrechnung-${dossier.id}-${l}.pdf`);
      setNote(t('alimente.enforce.statement_saved'));
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  const other = lang() === 'de' ? 'fr' : 'de';
  return (
    <>
      <Proceedings dossier={dossier} can={can} />
      <PensionReports dossier={dossier} can={can} />
      <Complaints dossier={dossier} can={can} />
      <Section id="ah-statement" title={t('alimente.enforce.statement')}>
        {note ? <Notice kind="success">{note}</Notice> : null}
        {err ? <ErrorBox error={err} /> : null}
        {prog ? <ProgressBar label={t('alimente.enforce.statement_loading')} done={prog.done} total={prog.total} /> : null}
        <p>{t('alimente.enforce.statement_explain')}</p>
        <p><button type="button" class="btn btn-secondary" onClick={() => statement(lang())}>{t('alimente.enforce.statement_pdf')}</button>{' '}
          <button type="button" class="btn btn-link" lang={other} onClick={() => statement(other)}>{t('alimente.enforce.statement_other')}</button></p>
      </Section>
    </>
  );
}

function Proceedings({ dossier, can }: { dossier: Dossier; can: boolean }) {
  const list = useResource<{ items: Enforcement[] }>(`/api/v1/cases/${dossier.id}/enforcements?limit=100`);
  const [note, setNote] = useState<string | null>(null);
  const stepping = useInline<number>();
  const items = list.data?.items ?? [];
  const cur = items.find((e) => e.id === stepping.open) ?? null;
  return (
    <Section id="ah-enforcements" title={t('alimente.enforce.proceedings')}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length ? items.map((e) => (
        <div key={e.id} class="ah-proceeding">
          <h3>{t('alimente.enforce.proceeding', { office: e.office, reference: e.reference ?? '–', date: formatDate(e.started_on) })}{' '}
            <Badge kind={e.open ? 'warn' : 'off'}>{e.open ? t('alimente.enforce.open') : t('alimente.enforce.closed')}</Badge></h3>
          <p>{t('alimente.enforce.claimed', { amount: formatAmount(e.amount), fees: formatAmount(e.fees) })}</p>
          <table class="table">
            <caption class="visually-hidden">{t('alimente.enforce.steps_of', { office: e.office, reference: e.reference ?? '–' })}</caption>
            <thead><tr><th scope="col">{t('alimente.enforce.date')}</th><th scope="col">{t('alimente.enforce.step')}</th>
              <th scope="col" class="num">{t('alimente.enforce.fee')}</th><th scope="col">{t('alimente.enforce.note')}</th></tr></thead>
            <tbody>{e.steps.map((s) => (
              <tr key={s.id}><td>{formatDate(s.date)}</td><th scope="row">{label('alimente.step_kind', s.step)}</th>
                <td class="num">{s.fee ? formatAmount(s.fee) : '–'}</td><td>{s.note ?? '–'}</td></tr>
            ))}</tbody>
          </table>
          {can && e.open ? <button type="button" class="btn btn-secondary" onClick={(ev) => stepping.show(e.id, ev)} aria-expanded={stepping.open === e.id ? 'true' : 'false'}>
            {t('alimente.enforce.add_step')}<span class="visually-hidden"> – {e.office} {e.reference ?? ''}</span></button> : null}
          {cur?.id === e.id ? <InlinePanel keys={stepping.keys}><StepForm e={e} onDone={(n) => { stepping.close(); setNote(n); list.reload(); }}
            onStale={list.reload} onCancel={stepping.close} /></InlinePanel> : null}
        </div>
      )) : <p>{t('alimente.enforce.none')}</p>}
      {can ? <StartForm dossier={dossier} onDone={(n) => { setNote(n); list.reload(); }} /> : null}
    </Section>
  );
}

function StartForm({ dossier, onDone }: { dossier: Dossier; onDone: (n: string) => void }) {
  const [v, setV] = useState({ amount: '', office: '', started_on: today(), reference: '' });
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null);
    const a = checkAmount(v.amount, true), d = checkDate(v.started_on, true);
    const errs: Record<string, string> = {};
    if (a.error || a.rappen === 0) errs.amount = a.error ?? t('casework.amount_rule');
    if (d.error) errs.started_on = d.error;
    if (!v.office.trim()) errs.office = t('form.missing');
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/enforcements`, { amount: a.rappen, office: v.office.trim(), started_on: d.iso, ...(v.reference.trim() ? { reference: v.reference.trim() } : {}) });
      setV({ ...v, amount: '', reference: '' });
      onDone(t('alimente.enforce.started'));
    } catch (x) { const sp = splitError(x, ['amount', 'office', 'started_on', 'reference']); setFe(sp.field); setErr(sp.form); }
  }
  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="ah-enf-new">
      <h3 id="ah-enf-new">{t('alimente.enforce.start')}</h3>
      {err ? <ErrorBox error={err} /> : null}
      <div class="row-fields">
        <AmountField label={t('alimente.enforce.amount')} value={v.amount} onInput={set('amount')} error={fe.amount} required name="enf_amount" />
        <Field label={t('alimente.enforce.office')} value={v.office} onInput={set('office')} error={fe.office} required maxLength={200} name="office" />
      </div>
      <div class="row-fields">
        <DateField label={t('alimente.enforce.started_on')} value={v.started_on} onInput={set('started_on')} error={fe.started_on} required name="started_on" />
        <Field label={t('alimente.enforce.reference')} value={v.reference} onInput={set('reference')} error={fe.reference} maxLength={60} name="enf_reference" />
      </div>
      <div class="actions"><button type="submit" class="btn btn-primary">{t('alimente.enforce.start_submit')}</button></div>
    </form>
  );
}

function StepForm({ e, onDone, onStale, onCancel }: { e: Enforcement; onDone: (n: string) => void; onStale: () => void; onCancel: () => void }) {
  // A proceeding begins with the request; then the step after the last.
  const next = e.last_step ? STEPS[Math.min(STEPS.indexOf(e.last_step as typeof STEPS[number]) + 1, STEPS.length - 1)] ?? 'request' : 'request';
  const [v, setV] = useState({ step: next as string, date: today(), fee: '', note: '' });
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const set = fieldSetter(setV);
  async function submit(ev: Event) {
    ev.preventDefault();
    setErr(null);
    const d = checkDate(v.date, true), f = checkAmount(v.fee, false);
    const errs: Record<string, string> = {};
    if (d.error) errs.date = d.error;
    if (f.error) errs.fee = f.error;
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/alimente/enforcements/${e.id}/steps`, { step: v.step, date: d.iso, ...(f.rappen ? { fee: f.rappen } : {}), ...(v.note.trim() ? { note: v.note.trim() } : {}) }, { ifMatch: etagOf(e.version) });
      onDone(t('alimente.enforce.step_added', { step: label('alimente.step_kind', v.step) }));
    } catch (x) {
      if (x instanceof ApiError && x.status === 409 && x.code === 'conflict') onStale();
      const sp = splitError(x, ['step', 'date', 'fee', 'note']); setFe(sp.field); setErr(sp.form);
    }
  }
  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby={`ah-step-${e.id}`}>
      <h4 id={`ah-step-${e.id}`}>{t('alimente.enforce.add_step')}</h4>
      {err ? <ErrorBox error={err} /> : null}
      <div class="row-fields">
        <SelectField label={t('alimente.enforce.step')} value={v.step} onChange={set('step')} error={fe.step}
          options={STEPS.map((s) => ({ value: s, label: label('alimente.step_kind', s) }))} />
        <DateField label={t('alimente.enforce.date')} value={v.date} onInput={set('date')} error={fe.date} required name="step_date" />
        <AmountField label={t('alimente.enforce.fee')} hint={t('alimente.enforce.fee_hint')} value={v.fee} onInput={set('fee')} error={fe.fee} name="fee" />
      </div>
      <Field label={t('alimente.enforce.note')} value={v.note} onInput={set('note')} error={fe.note} maxLength={1000} name="step_note" />
      <div class="actions">
        <button type="submit" class="btn btn-primary">{t('alimente.enforce.step_submit')}</button>
        <button type="button" class="btn btn-secondary" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

function PensionReports({ dossier, can }: { dossier: Dossier; can: boolean }) {
  const list = useResource<{ items: PensionReport[] }>(`/api/v1/cases/${dossier.id}/pension-reports?limit=100`);
  const [note, setNote] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [v, setV] = useState({ institution: '', reported_on: '' });
  const set = fieldSetter(setV);
  const acting = useInline<{ id: number; what: 'revoke' | 'payout' }>();
  const items = list.data?.items ?? [];
  const cur = acting.open ? items.find((r) => r.id === acting.open!.id) ?? null : null;
  async function report(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const d = checkDate(v.reported_on, false);
    if (!fieldsChecked(d.error ? { reported_on: d.error } : {}, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/pension-reports`, { ...(v.institution.trim() ? { institution: v.institution.trim() } : {}), ...(d.iso ? { reported_on: d.iso } : {}) });
      setNote(t('alimente.pension.reported')); list.reload();
    } catch (x) { const sp = splitError(x, ['institution', 'reported_on']); setFe(sp.field); setErr(sp.form); }
  }
  return (
    <Section id="ah-pension" title={t('alimente.pension.heading')}>
      <p class="hint">{t('alimente.pension.explain')}</p>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('alimente.pension.heading')}</caption>
          <thead><tr><th scope="col">{t('alimente.pension.institution')}</th><th scope="col">{t('alimente.pension.reported_on')}</th>
            <th scope="col">{t('alimente.pension.status')}</th><th scope="col">{t('alimente.pension.payouts')}</th>
            {can ? <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th> : null}</tr></thead>
          <tbody>{items.map((r) => (
            <tr key={r.id}>
              <th scope="row">{r.institution}</th>
              <td>{formatDate(r.reported_on)}<span class="small block">{t('alimente.pension.missing', { n: r.missing_months })}</span></td>
              <td>{label('alimente.pstatus', r.status)}{r.revoked_on ? <span class="small block">{t('alimente.pension.revoked_on', { date: formatDate(r.revoked_on), reason: label('alimente.revoke_reason', r.revoke_reason ?? '') })}</span> : null}</td>
              <td>{r.payouts.length ? <ul class="plain">{r.payouts.map((p) => <li key={p.id}>{t('alimente.pension.payout', { amount: formatAmount(p.amount), date: formatDate(p.notified_on), until: formatDate(p.blocked_until) })}</li>)}</ul> : '–'}</td>
              {can ? <td class="row-actions">{r.status === 'active' ? <>
                <button type="button" class="btn btn-secondary" onClick={(e) => acting.show({ id: r.id, what: 'payout' }, e)}>{t('alimente.pension.payout_add')}<span class="visually-hidden"> – {r.institution}</span></button>
                <button type="button" class="btn btn-link" onClick={(e) => acting.show({ id: r.id, what: 'revoke' }, e)}>{t('alimente.pension.revoke')}<span class="visually-hidden"> – {r.institution}</span></button>
              </> : null}</td> : null}
            </tr>
          ))}</tbody>
        </table>
      ) : <p>{t('alimente.pension.none')}</p>}
      {cur && acting.open ? <InlinePanel keys={acting.keys}><ReportAction r={cur} what={acting.open.what} onCancel={acting.close}
        onDone={(n) => { acting.close(); setNote(n); list.reload(); }} onStale={list.reload} /></InlinePanel> : null}
      {can ? (
        <form class="form" onSubmit={report} noValidate aria-labelledby="ah-pr-new">
          <h3 id="ah-pr-new">{t('alimente.pension.new')}</h3>
          {err ? <ErrorBox error={err} /> : null}
          <div class="row-fields">
            <Field label={t('alimente.pension.institution')} hint={t('alimente.pension.institution_hint')} value={v.institution} onInput={set('institution')} error={fe.institution} maxLength={200} name="institution" />
            <DateField label={t('alimente.pension.reported_on')} hint={t('alimente.pension.reported_on_hint')} value={v.reported_on} onInput={set('reported_on')} error={fe.reported_on} name="reported_on" />
          </div>
          <div class="actions"><button type="submit" class="btn btn-primary">{t('alimente.pension.submit')}</button></div>
        </form>
      ) : null}
    </Section>
  );
}

function ReportAction({ r, what, onDone, onStale, onCancel }: { r: PensionReport; what: 'revoke' | 'payout'; onDone: (n: string) => void; onStale: () => void; onCancel: () => void }) {
  const [v, setV] = useState({ reason: 'paid', date: today(), amount: '', note: '' });
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null);
    const d = checkDate(v.date, true);
    const errs: Record<string, string> = {};
    if (d.error) errs[what === 'payout' ? 'notified_on' : 'date'] = d.error;
    const a = what === 'payout' ? checkAmount(v.amount, true) : null;
    if (a && (a.error || a.rappen === 0)) errs.amount = a.error ?? t('casework.amount_rule');
    if (what === 'revoke' && v.reason === 'decision' && !v.note.trim()) errs.note = t('form.missing');
    if (!fieldsChecked(errs, setFe, setErr)) return;
    const noteBody = v.note.trim() ? { note: v.note.trim() } : {};
    try {
      if (what === 'payout') {
        await post(`/api/v1/alimente/pension-reports/${r.id}/payout-notice`, { notified_on: d.iso, amount: a!.rappen, ...noteBody }, { ifMatch: etagOf(r.version) });
        onDone(t('alimente.pension.payout_added'));
      } else {
        await post(`/api/v1/alimente/pension-reports/${r.id}/revoke`, { reason: v.reason, date: d.iso, ...noteBody }, { ifMatch: etagOf(r.version) });
        onDone(t('alimente.pension.revoked'));
      }
    } catch (x) {
      if (x instanceof ApiError && x.status === 409 && x.code === 'conflict') onStale();
      const sp = splitError(x, ['reason', 'date', 'notified_on', 'amount', 'note']); setFe(sp.field); setErr(sp.form);
    }
  }
  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="ah-pr-act">
      <h3 id="ah-pr-act">{what === 'payout' ? t('alimente.pension.payout_title', { institution: r.institution }) : t('alimente.pension.revoke_title', { institution: r.institution })}</h3>
      {err ? <ErrorBox error={err} /> : null}
      {what === 'revoke' ? <SelectField label={t('alimente.pension.revoke_reason')} value={v.reason} onChange={set('reason')} error={fe.reason}
        options={['paid', 'decision'].map((x) => ({ value: x, label: label('alimente.revoke_reason', x) }))} /> : null}
      <div class="row-fields">
        <DateField label={what === 'payout' ? t('alimente.pension.notified_on') : t('alimente.pension.revoke_on')} value={v.date} onInput={set('date')} error={fe.date ?? fe.notified_on} required name="pr_date" />
        {what === 'payout' ? <AmountField label={t('alimente.pension.payout_amount')} value={v.amount} onInput={set('amount')} error={fe.amount} required name="payout_amount" /> : null}
      </div>
      <Field label={t('alimente.enforce.note')} value={v.note} onInput={set('note')} error={fe.note} maxLength={1000} name="pr_note" />
      <div class="actions">
        <button type="submit" class="btn btn-primary">{what === 'payout' ? t('alimente.pension.payout_submit') : t('alimente.pension.revoke')}</button>
        <button type="button" class="btn btn-secondary" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

function Complaints({ dossier, can }: { dossier: Dossier; can: boolean }) {
  const list = useResource<{ items: Complaint[] }>(`/api/v1/cases/${dossier.id}/complaints?limit=100`);
  const [v, setV] = useState({ filed_on: today(), authority: '', note: '' });
  const [note, setNote] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null);
    const d = checkDate(v.filed_on, true);
    const errs: Record<string, string> = {};
    if (d.error) errs.filed_on = d.error;
    if (!v.authority.trim()) errs.authority = t('form.missing');
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/complaints`, { filed_on: d.iso, authority: v.authority.trim(), ...(v.note.trim() ? { note: v.note.trim() } : {}) });
      setV({ ...v, authority: '', note: '' }); setNote(t('alimente.complaint.filed')); list.reload();
    } catch (x) { const sp = splitError(x, ['filed_on', 'authority', 'note']); setFe(sp.field); setErr(sp.form); }
  }
  const items = list.data?.items ?? [];
  return (
    <Section id="ah-complaints" title={t('alimente.complaint.heading')}>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length ? (
        <ul class="plain">{items.map((c) => <li key={c.id}>{t('alimente.complaint.item', { date: formatDate(c.filed_on), authority: c.authority })}{c.note ? ` – ${c.note}` : ''}</li>)}</ul>
      ) : <p>{t('alimente.complaint.none')}</p>}
      {can ? (
        <form class="form" onSubmit={submit} noValidate aria-labelledby="ah-cp-new">
          <h3 id="ah-cp-new">{t('alimente.complaint.new')}</h3>
          {err ? <ErrorBox error={err} /> : null}
          <div class="row-fields">
            <DateField label={t('alimente.complaint.filed_on')} value={v.filed_on} onInput={set('filed_on')} error={fe.filed_on} required name="filed_on" />
            <Field label={t('alimente.complaint.authority')} value={v.authority} onInput={set('authority')} error={fe.authority} required maxLength={200} name="cp_authority" />
          </div>
          <Field label={t('alimente.enforce.note')} value={v.note} onInput={set('note')} error={fe.note} maxLength={1000} name="cp_note" />
          <div class="actions"><button type="submit" class="btn btn-primary">{t('alimente.complaint.submit')}</button></div>
        </form>
      ) : null}
    </Section>
  );
}
