// Letters from templates (#/m/sozialhilfe/cases/<id>/letters): the request
// for the intake documents still missing, and a cost guarantee to a
// provider. The server writes the PDF in the recipient's language and
// stores it among the dossier's documents; this screen collects what the
// template needs and offers the stored letter for download.
import { useState } from 'preact/hooks';
import { download, post } from '../../api';
import { t, label } from '../../i18n';
import { useResource } from '../../lib/hooks';
import { splitError, formIncomplete, fieldsChecked } from '../../lib/errors';
import { ErrorBox, Field, Loading, Notice, PageTitle, SelectField, TextArea } from '../../components/ui';
import type { Checklist, Dossier } from './types';
import { AmountField, DateField, Section, ShNav, checkAmount, checkDate, saveBlob, shHref } from './common';
import { fieldSetter } from '../../lib/form';

interface Letter { id: number; title: string; kind: string; language: string }

/** The language select: the client's by default. */
function LangField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return <SelectField label={t('letters.language')} value={value} onChange={onChange}
    options={['de', 'fr'].map((l) => ({ value: l, label: t(l === 'fr' ? 'letters.lang.fr' : 'letters.lang.de') }))} />;
}

/** What was written: a note, the download and the way to the documents. */
function Written({ letter, dossier }: { letter: Letter; dossier: Dossier }) {
  const [err, setErr] = useState<unknown>(null);
  async function pdf() {
    setErr(null);
    try {
      const r = await download(`/api/v1/documents/${letter.id}/content`);
      saveBlob(r.blob, r.filename ?? `${letter.title}.pdf`);
    } catch (x) { setErr(x); }
  }
  return (
    <>
      <Notice kind="success">{t('letters.created', { title: letter.title })}</Notice>
      {err ? <ErrorBox error={err} /> : null}
      <div class="actions">
        <button type="button" class="btn btn-secondary" onClick={pdf}>{t('letters.download')}<span class="visually-hidden"> – {letter.title}</span></button>
        <a href={shHref('cases', dossier.id, 'documents')}>{t('letters.to_documents')}</a>
      </div>
    </>
  );
}

function RequestForm({ dossier }: { dossier: Dossier }) {
  const cl = useResource<Checklist>(`/api/v1/cases/${dossier.id}/checklist`);
  const [due, setDue] = useState('');
  const [note, setNote] = useState('');
  const [lang, setLang] = useState(dossier.applicant.language === 'fr' ? 'fr' : 'de');
  const [fe, setFe] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Letter | null>(null);
  if (cl.error) return <ErrorBox error={cl.error} />;
  if (!cl.data) return <Loading />;
  const missing = cl.data.missing;
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null); setDone(null);
    const d = checkDate(due, false);
    setFe(d.error ? { deadline: d.error } : {});
    if (d.error) { setErr(formIncomplete()); return; }
    setBusy(true);
    try {
      const r = await post<Letter>(`/api/v1/cases/${dossier.id}/letters/document-request`, {
        language: lang, ...(d.iso ? { deadline: d.iso } : {}), ...(note.trim() ? { note: note.trim() } : {}),
      });
      setDone(r.data); setDue(''); setNote('');
    } catch (x) { const sp = splitError(x, ['deadline', 'note']); setFe(sp.field); setErr(sp.form); } finally { setBusy(false); }
  }
  return (
    <Section id="lt-request" title={t('letters.request.title')}>
      <p>{t('letters.request.intro')}</p>
      {done ? <Written letter={done} dossier={dossier} /> : null}
      {err ? <ErrorBox error={err} /> : null}
      {missing.length ? (
        <form class="form" onSubmit={submit} noValidate>
          <p>{t('letters.request.missing', { list: missing.map((m) => label('sozialhilfe.doc', m)).join(', ') })}</p>
          <DateField label={t('letters.request.deadline')} hint={t('letters.request.deadline_hint')} value={due} onInput={setDue} error={fe.deadline} name="deadline" />
          <TextArea label={t('letters.note')} value={note} onInput={setNote} error={fe.note} name="note" />
          <LangField value={lang} onChange={setLang} />
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{t('letters.request.submit')}</button></div>
        </form>
      ) : <p>{t('letters.request.none')}</p>}
    </Section>
  );
}

function GuaranteeForm({ dossier }: { dossier: Dossier }) {
  const [v, setV] = useState({ recipient: '', purpose: '', amount: '', valid_until: '' });
  const [lang, setLang] = useState(dossier.applicant.language === 'fr' ? 'fr' : 'de');
  const [fe, setFe] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Letter | null>(null);
  const set = fieldSetter(setV);
  async function submit(e: Event) {
    e.preventDefault();
    setErr(null); setDone(null);
    const errs: Record<string, string> = {};
    if (v.recipient.trim().length < 3) errs.recipient = t('form.missing');
    if (v.purpose.trim().length < 3) errs.purpose = t('form.missing');
    const a = checkAmount(v.amount, true);
    if (a.error) errs.amount = a.error;
    const d = checkDate(v.valid_until, true);
    if (d.error) errs.valid_until = d.error;
    if (!fieldsChecked(errs, setFe, setErr)) return;
    setBusy(true);
    try {
      const r = await post<Letter>(`/api/v1/cases/${dossier.id}/letters/cost-guarantee`, {
        recipient: v.recipient.trim(), purpose: v.purpose.trim(), amount: a.rappen, valid_until: d.iso, language: lang,
      });
      setDone(r.data); setV({ recipient: '', purpose: '', amount: '', valid_until: '' });
    } catch (x) {
      const sp = splitError(x, ['recipient', 'purpose', 'amount', 'valid_until']);
      setFe(sp.field); setErr(sp.form);
    } finally { setBusy(false); }
  }
  return (
    <Section id="lt-guarantee" title={t('letters.guarantee.title')}>
      <p>{t('letters.guarantee.intro')}</p>
      {done ? <Written letter={done} dossier={dossier} /> : null}
      {err ? <ErrorBox error={err} /> : null}
      <form class="form" onSubmit={submit} noValidate>
        <TextArea label={t('letters.guarantee.recipient')} hint={t('letters.guarantee.recipient_hint')} value={v.recipient} onInput={set('recipient')} error={fe.recipient} rows={4} name="recipient" />
        <Field label={t('letters.guarantee.purpose')} hint={t('letters.guarantee.purpose_hint')} value={v.purpose} onInput={set('purpose')} error={fe.purpose} required name="purpose" maxLength={300} />
        <AmountField label={t('letters.guarantee.amount')} value={v.amount} onInput={set('amount')} error={fe.amount} required name="amount" />
        <DateField label={t('letters.guarantee.valid_until')} value={v.valid_until} onInput={set('valid_until')} error={fe.valid_until} required name="valid_until" />
        <LangField value={lang} onChange={setLang} />
        <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{t('letters.guarantee.submit')}</button></div>
      </form>
    </Section>
  );
}

/** #/m/sozialhilfe/cases/<id>/letters */
export function LettersPage({ id }: { id: string }) {
  const d = useResource<Dossier>(`/api/v1/cases/${id}`);
  if (d.error) return <section><ShNav current="cases" /><PageTitle>{t('letters.title')}</PageTitle><ErrorBox error={d.error} /></section>;
  if (!d.data) return <Loading />;
  const x = d.data;
  const name = `${x.applicant.last_name} ${x.applicant.first_name}`;
  return (
    <section>
      <ShNav current="cases" />
      <p class="breadcrumb"><a href={shHref('cases', x.id)}>{t('casework.case.title_name', { name })}</a></p>
      <PageTitle>{t('letters.title_name', { name })}</PageTitle>
      {x.state === 'closed' ? <p>{t('letters.closed')}</p> : (
        <>
          <RequestForm dossier={x} />
          <GuaranteeForm dossier={x} />
        </>
      )}
    </section>
  );
}
