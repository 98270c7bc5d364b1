// The "Inkasso" tab: the debtor's payments (from camt.054 by the title's
// QR reference, or recorded by hand) with their split by the pack
// alimente-allocation into current maintenance, arrears and the
// community's subrogated part; the debtor's QR-bill; and per child the
// recovery: due, received, outstanding, advanced, recovered and what the
// advances cost the community; the reminders to the debtor (Reminders.tsx).
import { useState } from 'preact/hooks';
import { download, post } from '../../api';
import { t, label, lang } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { splitError, fieldsChecked } from '../../lib/errors';
import { ErrorBox, Facts, Field, Loading, Notice, ScrollTable } from '../../components/ui';
import { formatAmount, formatDate, todayIso } from '../../lib/format';
import { AmountField, DateField, ProgressBar, Section, checkAmount, checkDate, saveBlob } from '../../casework/common';
import type { Dossier } from '../../casework/types';
import type { Receipt, Recovery } from './types';
import { RemindersSection } from './Reminders';
import { fieldSetter } from '../../lib/form';

/** "2026-11" as 11.2026. */
const ym = (s: string) => `${s.slice(5, 7)}.${s.slice(0, 4)}`;

export function CollectionTab({ dossier }: { dossier: Dossier }) {
  const app = useApp();
  const receipts = useResource<{ items: Receipt[] }>(`/api/v1/cases/${dossier.id}/receipts?limit=100`);
  const rec = useResource<Recovery>(`/api/v1/cases/${dossier.id}/recovery`);
  const [note, setNote] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [prog, setProg] = useState<{ done: number; total: number | null } | null>(null);
  const can = app.can('alimente.write') && dossier.state !== 'closed';
  const who = (id: number) => {
    const c = rec.data?.items.find((x) => x.creditor_id === id);
    return c ? `${c.first_name} ${c.last_name}` : '–';
  };
  async function bill(l: 'de' | 'fr') {
    setErr(null); setNote(null);
    setProg({ done: 0, total: null });
    try {
      const r = await download(`/api/v1/cases/${dossier.id}/debtor-bill?lang=${l}`, (done, total) => setProg({ done, total }));
      saveBlob(r.blob, r.filename ?? `qr-rechnung-${dossier.id}-${l}.pdf`);
      setNote(t('alimente.collect.bill_saved'));
    } catch (x) { setErr(x); } finally { setProg(null); }
  }
  const other = lang() === 'de' ? 'fr' : 'de';
  return (
    <>
      <Section id="ah-receipts" title={t('alimente.collect.receipts')}>
        {note ? <Notice kind="success">{note}</Notice> : null}
        {err ? <ErrorBox error={err} /> : null}
        {prog ? <ProgressBar label={t('alimente.collect.bill_loading')} done={prog.done} total={prog.total} /> : null}
        <p>{t('alimente.collect.bill_explain')}{' '}
          <button type="button" class="btn btn-secondary" onClick={() => bill(lang())}>{t('alimente.collect.bill')}</button>{' '}
          <button type="button" class="btn btn-link" lang={other} onClick={() => bill(other)}>{t('alimente.collect.bill_other')}</button></p>
        {receipts.error ? <ErrorBox error={receipts.error} /> : !receipts.data ? <Loading /> : receipts.data.items.length ? (
          <table class="table">
            <caption class="visually-hidden">{t('alimente.collect.receipts')}</caption>
            <thead><tr>
              <th scope="col">{t('alimente.collect.received_on')}</th><th scope="col" class="num">{t('alimente.collect.amount')}</th>
              <th scope="col">{t('alimente.collect.source')}</th><th scope="col">{t('alimente.collect.split')}</th>
            </tr></thead>
            <tbody>{receipts.data.items.map((r) => (
              <tr key={r.id}>
                <th scope="row">{formatDate(r.received_on)}</th>
                <td class="num">{formatAmount(r.amount)}</td>
                <td>{label('alimente.source', r.source)}{r.note ? <span class="small block">{r.note}</span> : null}</td>
                <td>
                  <ul class="plain">
                    {r.parts.map((p) => <li key={p.id}>{t('alimente.collect.part', { part: label('alimente.part', p.part), name: who(p.creditor_id), month: ym(p.month), amount: formatAmount(p.amount) })}</li>)}
                    {r.surplus ? <li>{t('alimente.collect.surplus', { amount: formatAmount(r.surplus) })}</li> : null}
                  </ul>
                </td>
              </tr>
            ))}</tbody>
          </table>
        ) : <p>{t('alimente.collect.none')}</p>}
        {can ? <AddReceipt dossier={dossier} onDone={(n) => { setNote(n); receipts.reload(); rec.reload(); }} /> : null}
      </Section>
      <RemindersSection dossier={dossier} />
      <Section id="ah-recovery" title={t('alimente.collect.recovery')}>
        {rec.error ? <ErrorBox error={rec.error} /> : !rec.data ? <Loading /> : (
          <>
            <p>{t('alimente.collect.recovery_explain')}</p>
            <ScrollTable label={t('alimente.collect.recovery')}>
              <table class="table">
                <caption class="visually-hidden">{t('alimente.collect.recovery')}</caption>
                <thead><tr>
                  <th scope="col">{t('alimente.advance.child')}</th>
                  <th scope="col" class="num">{t('alimente.schedule.due')}</th><th scope="col" class="num">{t('alimente.schedule.received')}</th>
                  <th scope="col" class="num">{t('alimente.schedule.outstanding')}</th><th scope="col" class="num">{t('alimente.schedule.advanced')}</th>
                  <th scope="col" class="num">{t('alimente.collect.recovered')}</th><th scope="col" class="num">{t('alimente.collect.community_cost')}</th>
                </tr></thead>
                <tbody>{rec.data.items.map((c) => (
                  <tr key={c.creditor_id}>
                    <th scope="row">{c.first_name} {c.last_name}</th>
                    <td class="num">{formatAmount(c.due)}</td><td class="num">{formatAmount(c.received)}</td>
                    <td class="num">{formatAmount(c.outstanding)}</td><td class="num">{formatAmount(c.advanced)}</td>
                    <td class="num">{formatAmount(c.recovered)}</td><td class="num">{formatAmount(c.community_cost)}</td>
                  </tr>
                ))}</tbody>
                <tfoot><tr>
                  <th scope="row">{t('alimente.collect.total')}</th>
                  <td class="num">{formatAmount(rec.data.totals.due)}</td><td class="num">{formatAmount(rec.data.totals.received)}</td>
                  <td class="num">{formatAmount(rec.data.totals.outstanding)}</td><td class="num">{formatAmount(rec.data.totals.advanced)}</td>
                  <td class="num">{formatAmount(rec.data.totals.recovered)}</td><td class="num">{formatAmount(rec.data.totals.community_cost)}</td>
                </tr></tfoot>
              </table>
            </ScrollTable>
            <Facts items={[[t('alimente.collect.paid'), formatAmount(rec.data.paid)], [t('alimente.collect.credit'), formatAmount(rec.data.credit)]]} />
          </>
        )}
      </Section>
    </>
  );
}

/** A payment of the debtor recorded by hand (split like one from the bank). */
function AddReceipt({ dossier, onDone }: { dossier: Dossier; onDone: (n: string) => void }) {
  const [v, setV] = useState({ amount: '', received_on: formatDate(todayIso()), note: '' });
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null);
    const a = checkAmount(v.amount, true), d = checkDate(v.received_on, true);
    const errs: Record<string, string> = {};
    if (a.error || a.rappen === 0) errs.amount = a.error ?? t('casework.amount_rule');
    if (d.error) errs.received_on = d.error;
    if (!fieldsChecked(errs, setFe, setErr)) return;
    try {
      await post(`/api/v1/cases/${dossier.id}/receipts`, { amount: a.rappen, received_on: d.iso, ...(v.note.trim() ? { note: v.note.trim() } : {}) });
      setV({ ...v, amount: '', note: '' });
      onDone(t('alimente.collect.recorded', { amount: formatAmount(a.rappen) }));
    } catch (x) { const sp = splitError(x, ['amount', 'received_on', 'note']); setFe(sp.field); setErr(sp.form); }
  }
  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="ah-rc-add">
      <h3 id="ah-rc-add">{t('alimente.collect.add')}</h3>
      <p class="hint">{t('alimente.collect.add_hint')}</p>
      {err ? <ErrorBox error={err} /> : null}
      <div class="row-fields">
        <AmountField label={t('alimente.collect.amount')} value={v.amount} onInput={set('amount')} error={fe.amount} required name="amount" />
        <DateField label={t('alimente.collect.received_on')} value={v.received_on} onInput={set('received_on')} error={fe.received_on} required name="received_on" />
      </div>
      <Field label={t('alimente.collect.note')} value={v.note} onInput={set('note')} error={fe.note} maxLength={500} name="note" />
      <div class="actions"><button type="submit" class="btn btn-primary">{t('alimente.collect.submit')}</button></div>
    </form>
  );
}
