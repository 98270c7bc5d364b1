// Serienbrief (#/m/sozialhilfe/letters): the same letter - a request for
// the documents still missing or a cost guarantee - to the clients of
// several of my open dossiers at once. POST /api/v1/letters/batch answers
// 202 with a job; <JobProgress> follows it (letters done of dossiers) and
// then says how many letters were stored. Each letter is written in its
// client's language and lands among that dossier's documents.
import { useState } from 'preact/hooks';
import { post, type Job } from '../../api';
import { t } from '../../i18n';
import { useResource } from '../../lib/hooks';
import { splitError, fieldsChecked } from '../../lib/errors';
import { ErrorBox, Field, Loading, Notice, PageTitle, SelectField, TextArea } from '../../components/ui';
import { JobProgress } from '../../components/JobProgress';
import type { Worklist } from './types';
import { AmountField, DateField, Section, ShNav, StateBadge, checkAmount, checkDate } from './common';
import { fieldSetter } from '../../lib/form';

type Kind = 'document-request' | 'cost-guarantee';
interface BatchResult { count: number; documents: number[]; skipped: { dossier: number; reason: string }[] }

const EMPTY = { deadline: '', note: '', recipient: '', purpose: '', amount: '', valid_until: '' };

/** #/m/sozialhilfe/letters */
export function LetterBatch() {
  const wl = useResource<Worklist>('/api/v1/worklist');
  const [kind, setKind] = useState<Kind>('document-request');
  const [chosen, setChosen] = useState<number[]>([]);
  const [v, setV] = useState(EMPTY);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [result, setResult] = useState<BatchResult | null>(null);
  const set = fieldSetter(setV);
  const toggle = (id: number, on: boolean) => setChosen(on ? [...chosen, id] : chosen.filter((x) => x !== id));

  async function submit(e: Event) {
    e.preventDefault();
    setErr(null); setResult(null); setJob(null);
    const errs: Record<string, string> = {};
    const body: Record<string, unknown> = { kind, dossiers: chosen };
    if (!chosen.length) errs.dossiers = t('letters.batch.none_chosen');
    if (kind === 'document-request') {
      const d = checkDate(v.deadline, false);
      if (d.error) errs.deadline = d.error;
      if (d.iso) body.deadline = d.iso;
      if (v.note.trim()) body.note = v.note.trim();
    } else {
      if (v.recipient.trim().length < 3) errs.recipient = t('form.missing');
      if (v.purpose.trim().length < 3) errs.purpose = t('form.missing');
      const a = checkAmount(v.amount, true);
      if (a.error) errs.amount = a.error;
      const d = checkDate(v.valid_until, true);
      if (d.error) errs.valid_until = d.error;
      Object.assign(body, { recipient: v.recipient.trim(), purpose: v.purpose.trim(), amount: a.rappen, valid_until: d.iso });
    }
    if (!fieldsChecked(errs, setFe, setErr)) return;
    setBusy(true);
    try {
      const r = await post<Job>('/api/v1/letters/batch', body);
      setJob(r.data);
    } catch (x) {
      const sp = splitError(x, ['deadline', 'note', 'recipient', 'purpose', 'amount', 'valid_until']);
      setFe(sp.field); setErr(sp.form); setBusy(false);
    }
  }
  function ended(j: Job) {
    setBusy(false);
    if (j.state === 'done') { setResult(j.result as BatchResult); setChosen([]); setV(EMPTY); }
  }

  const items = wl.data?.open_dossiers ?? [];
  return (
    <section>
      <ShNav current="" />
      <PageTitle>{t('letters.batch.title')}</PageTitle>
      <p>{t('letters.batch.intro')}</p>
      {wl.error ? <ErrorBox error={wl.error} /> : !wl.data ? <Loading /> : (
        <form class="form" onSubmit={submit} noValidate>
          <SelectField label={t('letters.batch.kind')} value={kind} onChange={(x) => setKind(x as Kind)}
            options={(['document-request', 'cost-guarantee'] as Kind[]).map((k) => ({ value: k, label: t(k === 'cost-guarantee' ? 'letters.guarantee.title' : 'letters.request.title') }))} />
          <Section id="lb-dossiers" title={t('letters.batch.dossiers', { n: chosen.length })}>
            {fe.dossiers ? <p class="field-error" id="lb-dossiers-err">{fe.dossiers}</p> : null}
            {items.length ? (
              <table class="table">
                <caption class="visually-hidden">{t('letters.batch.dossiers', { n: chosen.length })}</caption>
                <thead><tr>
                  <th scope="col">{t('letters.batch.choose')}</th>
                  <th scope="col">{t('dossier.number')}</th>
                  <th scope="col">{t('casework.client')}</th>
                  <th scope="col">{t('casework.case.state')}</th>
                </tr></thead>
                <tbody>{items.map((d) => {
                  const name = `${d.last_name} ${d.first_name}`;
                  return (
                    <tr key={d.id}>
                      <td><input type="checkbox" checked={chosen.includes(d.id)} aria-label={t('letters.batch.select', { name })}
                        onChange={(e) => toggle(d.id, (e.currentTarget as HTMLInputElement).checked)} /></td>
                      <td class="dossier-number">{d.number}</td>
                      <td>{name}</td>
                      <td><StateBadge state={d.state} /></td>
                    </tr>
                  );
                })}</tbody>
              </table>
            ) : <p>{t('letters.batch.none')}</p>}
          </Section>
          {kind === 'document-request' ? (
            <>
              <DateField label={t('letters.request.deadline')} hint={t('letters.request.deadline_hint')} value={v.deadline} onInput={set('deadline')} error={fe.deadline} name="deadline" />
              <TextArea label={t('letters.note')} value={v.note} onInput={set('note')} error={fe.note} name="note" />
            </>
          ) : (
            <>
              <TextArea label={t('letters.guarantee.recipient')} hint={t('letters.guarantee.recipient_hint')} value={v.recipient} onInput={set('recipient')} error={fe.recipient} rows={4} name="recipient" />
              <Field label={t('letters.guarantee.purpose')} hint={t('letters.guarantee.purpose_hint')} value={v.purpose} onInput={set('purpose')} error={fe.purpose} required name="purpose" maxLength={300} />
              <AmountField label={t('letters.guarantee.amount')} value={v.amount} onInput={set('amount')} error={fe.amount} required name="amount" />
              <DateField label={t('letters.guarantee.valid_until')} value={v.valid_until} onInput={set('valid_until')} error={fe.valid_until} required name="valid_until" />
            </>
          )}
          {err ? <ErrorBox error={err} /> : null}
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{t('letters.batch.submit', { n: chosen.length })}</button></div>
        </form>
      )}
      {job ? <JobProgress key={job.id} job={job} onEnd={ended} /> : null}
      {result ? (
        <Notice kind="success">{t('letters.batch.done', { n: result.count })}
          {result.skipped.length ? ` ${t('letters.batch.skipped', { n: result.skipped.length })}` : ''}</Notice>
      ) : null}
    </section>
  );
}
