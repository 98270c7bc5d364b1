// Reminders to the debtor (Mahnungen, InkHV art. 12) in the "Inkasso"
// tab: the ones sent with their deadline and letter, and the next one
// (the server decides its level and deadline from the pack
// alimente-enforcement and refuses it while the last deadline runs).
import { useState } from 'preact/hooks';
import { download, post } from '../../api';
import { t } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { ErrorBox, Loading, Notice, SelectField } from '../../components/ui';
import { formatAmount, formatDate } from '../../lib/format';
import { Section, saveBlob } from '../../casework/common';
import type { Dossier } from '../../casework/types';
import type { Reminder } from './types';

export function RemindersSection({ dossier, onIssued }: { dossier: Dossier; onIssued?: () => void }) {
  const app = useApp();
  const list = useResource<{ items: Reminder[] }>(`/api/v1/cases/${dossier.id}/reminders?limit=50`);
  const [language, setLanguage] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const can = app.can('alimente.write') && (dossier.state === 'voluntary' || dossier.state === 'enforcement');
  async function issue(e: Event) {
    e.preventDefault();
    setErr(null); setNote(null); setBusy(true);
    try {
      const r = (await post<Reminder>(`/api/v1/cases/${dossier.id}/reminders`, language ? { language } : {})).data;
      setNote(t('alimente.remind.done', { n: String(r.level), amount: formatAmount(r.amount), date: formatDate(r.pay_by) }));
      list.reload();
      onIssued?.();
    } catch (x) { setErr(x); } finally { setBusy(false); }
  }
  async function letter(r: Reminder) {
    setErr(null);
    try {
      const d = await download(`/api/v1/documents/${r.document_id}/content`);
      saveBlob(d.blob, d.filename ?? `mahnung-${dossier.id}-${r.id}.pdf`);
    } catch (x) { setErr(x); }
  }
  return (
    <Section id="ah-reminders" title={t('alimente.remind.title')}>
      <p>{t('alimente.remind.explain')}</p>
      {note ? <Notice kind="success">{note}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : list.data.items.length ? (
        <table class="table">
          <caption class="visually-hidden">{t('alimente.remind.title')}</caption>
          <thead><tr>
            <th scope="col">{t('alimente.remind.issued_on')}</th><th scope="col">{t('alimente.remind.level')}</th>
            <th scope="col" class="num">{t('alimente.remind.amount')}</th><th scope="col">{t('alimente.remind.pay_by')}</th>
            <th scope="col">{t('alimente.remind.letter')}</th>
          </tr></thead>
          <tbody>{list.data.items.map((r) => (
            <tr key={r.id}>
              <th scope="row">{formatDate(r.issued_on)}</th>
              <td>{t('alimente.remind.level_n', { n: String(r.level) })}</td>
              <td class="num">{formatAmount(r.amount)}</td>
              <td>{formatDate(r.pay_by)}</td>
              <td>{r.document_id ? (
                <button type="button" class="btn btn-link" onClick={() => letter(r)}>
                  {t('alimente.remind.open_letter')}<span class="visually-hidden"> – {formatDate(r.issued_on)}</span></button>
              ) : '–'}</td>
            </tr>
          ))}</tbody>
        </table>
      ) : <p>{t('alimente.remind.none')}</p>}
      {can ? (
        <form class="form" onSubmit={issue} noValidate aria-label={t('alimente.remind.submit')}>
          <div class="row-fields">
            <SelectField label={t('alimente.remind.language')} value={language} onChange={setLanguage}
              options={[{ value: '', label: t('alimente.remind.lang_debtor') }, { value: 'de', label: t('alimente.remind.lang_de') },
                { value: 'fr', label: t('alimente.remind.lang_fr') }]} />
          </div>
          <div class="actions"><button type="submit" class="btn btn-primary" disabled={busy}>{t('alimente.remind.submit')}</button></div>
        </form>
      ) : null}
    </Section>
  );
}
