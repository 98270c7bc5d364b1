// The "Bevorschussung" tab: advance decisions per child, computed by the
// canton's pack alimente-advance from the child, the title amount, the
// household's means and social assistance; submitted by the case worker,
// approved (or rejected) by a team lead who did not propose it (four
// eyes), ended with a reason; the decision letter as PDF in German or
// French. Each step sends the decision's ETag; a 409 reloads the list.
import { useState } from 'preact/hooks';
import { ApiError, download, etagOf, post } from '../../api';
import { t, label, lang } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { splitError, fieldsChecked } from '../../lib/errors';
import { Badge, CheckboxField, ConfirmButton, ErrorBox, Field, Loading, Notice, SelectField, TextArea } from '../../components/ui';
import { InlinePanel, useInline } from '../../components/inline';
import { formatAmount, formatDate, formatDateTime } from '../../lib/format';
import { AmountField, DateField, ProgressBar, Section, checkAmount, checkDate, saveBlob } from '../../casework/common';
import type { Dossier } from '../../casework/types';
import type { Advance, TitleAnswer } from './types';
import { fieldSetter } from '../../lib/form';

const TONE: Record<string, 'ok' | 'off' | 'warn' | 'info'> = { draft: 'info', submitted: 'warn', approved: 'ok', rejected: 'off', ended: 'off' };
export const END_REASONS = ['age_18', 'age_25', 'education_end', 'title_end', 'means', 'other'] as const;

export function AdvancesTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const list = useResource<{ items: Advance[] }>(`/api/v1/cases/${dossier.id}/advances?limit=100`);
  const [note, setNote] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  const rejecting = useInline<number>();
  const ending = useInline<number>();
  const can = app.can('alimente.write') && dossier.state !== 'closed';
  const me = app.me.user.id;
  const name = (a: Advance) => `${a.child.first_name} ${a.child.last_name}`;

  async function step(a: Advance, what: 'submit' | 'approve', done: string) {
    setErr(null); setNote(null);
    try {
      await post(`/api/v1/alimente/advances/${a.id}/${what}`, undefined, { ifMatch: etagOf(a.version) });
      setNote(done); list.reload();
    } catch (x) { if (x instanceof ApiError && x.status === 409) list.reload(); setErr(x); }
  }
  async function letter(a: Advance, l: 'de' | 'fr') {
    setErr(null); setNote(null);
    setProg({ done: 0, total: null });
    try {
      const r = await download(`/api/v1/alimente/advances/${a.id}/letter?lang=${l}`, (done, total) => setProg({ done, total }));
      saveBlob(r.blob, r.filename ?? `bevorschussung-${a.id}-${l}.pdf`);
      setNote(t('alimente.advance.letter_saved'));
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  const items = list.data?.items ?? [];
  const rej = items.find((a) => a.id === rejecting.open) ?? null;
  const end = items.find((a) => a.id === ending.open) ?? null;
  return (
    <>
      <Section id="ah-advances" title={t('alimente.section.advances')}>
        {note ? <Notice kind="success">{note}</Notice> : null}
        {err ? <ErrorBox error={err} /> : null}
        {prog ? <ProgressBar label={t('alimente.advance.letter_loading')} done={prog.done} total={prog.total} /> : null}
        {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('alimente.section.advances')}</caption>
            <thead><tr>
              <th scope="col">{t('alimente.advance.child')}</th><th scope="col">{t('alimente.advance.period')}</th>
              <th scope="col" class="num">{t('alimente.advance.amount')}</th><th scope="col">{t('alimente.advance.status')}</th>
              <th scope="col">{t('alimente.advance.who')}</th>
              <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
            </tr></thead>
            <tbody>{items.map((a) => (
              <tr key={a.id}>
                <th scope="row">{name(a)}</th>
                <td>{a.valid_to ? t('alimente.advance.from_to', { from: formatDate(a.valid_from), to: formatDate(a.valid_to) }) : t('alimente.advance.from', { from: formatDate(a.valid_from) })}
                  {a.recheck_on ? <span class="small block">{t('alimente.advance.recheck_on', { date: formatDate(a.recheck_on) })}</span> : null}</td>
                <td class="num">{formatAmount(a.amount)}<span class="small block">{a.eligible ? t('alimente.advance.cap', { cap: formatAmount(a.cap) }) : t('alimente.advance.not_eligible')}</span></td>
                <td><Badge kind={TONE[a.status] ?? 'info'}>{label('alimente.astatus', a.status)}</Badge>
                  {a.reject_reason ? <span class="small block">{a.reject_reason}</span> : null}
                  {a.end_reason ? <span class="small block">{label('alimente.end_reason', a.end_reason)}</span> : null}</td>
                <td>{t('alimente.advance.proposed_by', { name: a.created_by?.display_name ?? '–' })}
                  {a.approved_by ? <span class="small block">{t('alimente.advance.approved_by', { name: a.approved_by.display_name, date: formatDateTime(a.approved_at ?? '') })}</span> : null}</td>
                <td class="row-actions">
                  <button type="button" class="btn btn-secondary" onClick={() => letter(a, lang())}>{t('alimente.advance.letter')}<span class="visually-hidden"> – {name(a)}</span></button>
                  <button type="button" class="btn btn-link" lang={lang() === 'de' ? 'fr' : 'de'} onClick={() => letter(a, lang() === 'de' ? 'fr' : 'de')}>
                    {t('alimente.advance.letter_other')}<span class="visually-hidden"> – {name(a)}</span></button>
                  {can && a.status === 'draft' ? <button type="button" class="btn btn-primary" onClick={() => step(a, 'submit', t('alimente.advance.submitted'))}>
                    {t('alimente.advance.submit')}<span class="visually-hidden"> – {name(a)}</span></button> : null}
                  {a.status === 'submitted' && app.can('alimente.approve') && a.created_by?.id !== me && a.submitted_by?.id !== me ? (
                    <>
                      <ConfirmButton label={t('alimente.advance.approve')} srSuffix={`– ${name(a)}`} question={t('alimente.advance.approve_q', { name: name(a), amount: formatAmount(a.amount), from: formatDate(a.valid_from) })}
                        confirmLabel={t('alimente.advance.approve_yes')} onConfirm={() => step(a, 'approve', t('alimente.advance.approved'))} />
                      <button type="button" class="btn btn-link" onClick={(e) => rejecting.show(a.id, e)}>{t('alimente.advance.reject')}<span class="visually-hidden"> – {name(a)}</span></button>
                    </>
                  ) : null}
                  {a.status === 'submitted' && (a.created_by?.id === me || a.submitted_by?.id === me) ? <span class="small block">{t('alimente.advance.own')}</span> : null}
                  {can && a.status === 'approved' && !a.valid_to ? <button type="button" class="btn btn-link" onClick={(e) => ending.show(a.id, e)}>
                    {t('alimente.advance.end')}<span class="visually-hidden"> – {name(a)}</span></button> : null}
                </td>
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('alimente.advance.none')}</p>}
        {rej ? <InlinePanel keys={rejecting.keys}><Reject a={rej} onDone={(n) => { rejecting.close(); setNote(n); list.reload(); }} onCancel={rejecting.close} /></InlinePanel> : null}
        {end ? <InlinePanel keys={ending.keys}><End a={end} onDone={(n) => { ending.close(); setNote(n); list.reload(); }} onCancel={ending.close} /></InlinePanel> : null}
        {items.map((a) => <Lines key={a.id} a={a} />)}
      </Section>
      {can ? <Propose dossier={dossier} onDone={(n) => { setNote(n); list.reload(); }} /> : null}
    </>
  );
}

/** How the pack computed it: its lines with their explanations. */
function Lines({ a }: { a: Advance }) {
  const r = lang() === 'fr' && a.result_fr ? a.result_fr : a.result;
  if (!r?.lines?.length) return null;
  return (
    <details class="ah-lines">
      <summary>{t('alimente.advance.lines', { name: `${a.child.first_name} ${a.child.last_name}`, from: formatDate(a.valid_from) })}</summary>
      <table class="table">
        <caption class="visually-hidden">{t('alimente.advance.lines', { name: `${a.child.first_name} ${a.child.last_name}`, from: formatDate(a.valid_from) })}</caption>
        <thead><tr><th scope="col">{t('alimente.advance.line')}</th><th scope="col" class="num">{t('alimente.advance.amount')}</th></tr></thead>
        <tbody>{r.lines.map((l, i) => <tr key={i}><td>{l.explain}</td><td class="num">{formatAmount(l.amount)}</td></tr>)}</tbody>
      </table>
    </details>
  );
}

function Reject({ a, onDone, onCancel }: { a: Advance; onDone: (n: string) => void; onCancel: () => void }) {
  const [why, setWhy] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null);
    if (!why.trim()) { setFe(t('form.missing')); return; }
    try {
      await post(`/api/v1/alimente/advances/${a.id}/reject`, { reason: why.trim() }, { ifMatch: etagOf(a.version) });
      onDone(t('alimente.advance.rejected'));
    } catch (x) { const sp = splitError(x, ['reason']); setFe(sp.field.reason ?? null); setErr(sp.form); }
  }
  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="ah-rej">
      <h3 id="ah-rej">{t('alimente.advance.reject_title', { name: `${a.child.first_name} ${a.child.last_name}` })}</h3>
      {err ? <ErrorBox error={err} /> : null}
      <TextArea label={t('alimente.advance.reject_reason')} value={why} onInput={setWhy} error={fe} rows={2} />
      <div class="actions">
        <button type="submit" class="btn btn-danger">{t('alimente.advance.reject')}</button>
        <button type="button" class="btn btn-secondary" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

function End({ a, onDone, onCancel }: { a: Advance; onDone: (n: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState<string>(END_REASONS[0]);
  const [to, setTo] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null);
    const d = checkDate(to, true);
    setFe(d.error ? { valid_to: d.error } : {});
    if (d.error) return;
    try {
      await post(`/api/v1/alimente/advances/${a.id}/end`, { reason, valid_to: d.iso }, { ifMatch: etagOf(a.version) });
      onDone(t('alimente.advance.ended', { date: formatDate(d.iso) }));
    } catch (x) { const sp = splitError(x, ['reason', 'valid_to']); setFe(sp.field); setErr(sp.form); }
  }
  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="ah-end">
      <h3 id="ah-end">{t('alimente.advance.end_title', { name: `${a.child.first_name} ${a.child.last_name}` })}</h3>
      {err ? <ErrorBox error={err} /> : null}
      <SelectField label={t('alimente.advance.end_reason')} value={reason} onChange={setReason} error={fe.reason}
        options={END_REASONS.map((r) => ({ value: r, label: label('alimente.end_reason', r) }))} />
      <DateField label={t('alimente.advance.end_to')} hint={t('alimente.advance.end_to_hint')} value={to} onInput={setTo} error={fe.valid_to} required />
      <div class="actions">
        <button type="submit" class="btn btn-danger">{t('alimente.advance.end')}</button>
        <button type="button" class="btn btn-secondary" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

/** A new decision (a draft) for a child of the title, computed by the pack. */
function Propose({ dossier, onDone }: { dossier: Dossier; onDone: (n: string) => void }) {
  const title = useResource<TitleAnswer>(`/api/v1/cases/${dossier.id}/title`);
  const children = (title.data?.creditors ?? []).filter((c) => c.role === 'child');
  const [v, setV] = useState({ creditor: '', valid_from: '', size: '2', income: '', assets: '' });
  const [sa, setSa] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const set = fieldSetter(setV);
  const creditor = v.creditor || (children[0] ? String(children[0].id) : '');
  if (title.error || !children.length)
    return <Section id="ah-adv-new" title={t('alimente.advance.new')}><p class="muted">{t('alimente.advance.needs_child')}</p></Section>;
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null);
    const errs: Record<string, string> = {};
    const from = checkDate(v.valid_from, true);
    if (from.error) errs.valid_from = from.error;
    const size = Number(v.size);
    if (!/^\d+$/.test(v.size.trim()) || size < 1 || size > 20) errs.size = t('alimente.advance.size_rule');
    const inc = checkAmount(v.income, true), ass = checkAmount(v.assets, true);
    if (inc.error) errs.income = inc.error;
    if (ass.error) errs.assets = ass.error;
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/advances`, {
        creditor_id: Number(creditor), valid_from: from.iso, on_social_assistance: sa,
        household: { size, income: inc.rappen, assets: ass.rappen },
      });
      setV({ ...v, valid_from: '' });
      onDone(t('alimente.advance.drafted'));
    } catch (x) { const sp = splitError(x, ['creditor_id', 'valid_from']); setFe(sp.field); setErr(sp.form); }
  }
  return (
    <Section id="ah-adv-new" title={t('alimente.advance.new')}>
      <p class="hint">{t('alimente.advance.new_hint')}</p>
      {err ? <ErrorBox error={err} /> : null}
      <form class="form" onSubmit={submit} noValidate>
        <div class="row-fields">
          <SelectField label={t('alimente.advance.child')} value={creditor} onChange={set('creditor')} error={fe.creditor_id}
            options={children.map((c) => ({ value: String(c.id), label: `${c.name ?? '–'} (${formatDate(c.birth_date)})` }))} />
          <DateField label={t('alimente.advance.valid_from')} hint={t('alimente.advance.valid_from_hint')} value={v.valid_from} onInput={set('valid_from')} error={fe.valid_from} required name="valid_from" />
        </div>
        <fieldset class="row-fields">
          <legend>{t('alimente.advance.household')}</legend>
          <Field label={t('alimente.advance.size')} value={v.size} onInput={set('size')} error={fe.size} inputMode="numeric" required name="size" />
          <AmountField label={t('alimente.advance.income')} hint={t('alimente.advance.income_hint')} value={v.income} onInput={set('income')} error={fe.income} required name="income" />
          <AmountField label={t('alimente.advance.assets')} value={v.assets} onInput={set('assets')} error={fe.assets} required name="assets" />
        </fieldset>
        <CheckboxField label={t('alimente.advance.social_assistance')} hint={t('alimente.advance.social_assistance_hint')} checked={sa} onChange={setSa} />
        <div class="actions"><button type="submit" class="btn btn-primary">{t('alimente.advance.compute')}</button></div>
      </form>
    </Section>
  );
}

