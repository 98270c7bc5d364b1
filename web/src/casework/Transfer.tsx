// Case transfer: when the client moves, the dossier goes to the social
// service of the new municipality with the documents chosen here
// (POST /api/v1/cases/<id>/transfer, If-Match: the dossier's ETag). It
// closes this dossier as moved and cannot be undone, so it asks first.
import { useState } from 'preact/hooks';
import { ApiError, post, type Page } from '../api';
import { t } from '../i18n';
import { useApp } from '../ctx';
import { useResource } from '../lib/hooks';
import { splitError, formIncomplete } from '../lib/errors';
import { CheckboxGroup, ConfirmButton, ErrorBox, Loading, Notice, SelectField } from '../components/ui';
import { formatDateTime } from '../lib/format';
import type { Doc, Dossier, TransferTarget } from './types';
import { Section, useModule } from './common';
import { useVocabularies, vocabText } from './vocabulary';

interface TransferAnswer {
  from: { tenant: string; dossier_id: number; number: string; state: string };
  to: { tenant: string; dossier_id: number; number: string };
}

export function TransferTab({ dossier: x, etag, reloadDossier }: { dossier: Dossier; etag: string | null; reloadDossier: () => void }) {
  const app = useApp();
  const mod = useModule().code;
  const vocab = useVocabularies().data;
  const targets = useResource<{ items: TransferTarget[] }>(`/api/v1/cases/${x.id}/transfer`);
  const docs = useResource<Page<Doc>>(app.can('document.read') || app.can('document.write') ? `/api/v1/cases/${x.id}/documents?limit=200` : null);
  const [to, setTo] = useState('');
  const [bfs, setBfs] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [fe, setFe] = useState<Record<string, string>>({});
  const [done, setDone] = useState<{ answer: TransferAnswer; name: string } | null>(null);
  const items = targets.data?.items ?? [];
  const target = items.find((s) => s.slug === to);
  // Choosing the service also chooses its municipality when it has only
  // one, at once: an effect after the render could clear a municipality
  // the user picked in the meantime (the transfer then said it was
  // missing).
  function chooseTo(slug: string) {
    const s = items.find((x) => x.slug === slug);
    setTo(slug);
    setBfs(s?.municipalities.length === 1 ? String(s.municipalities[0].bfs) : '');
  }

  async function send() {
    setErr(null); setFe({});
    const missing: Record<string, string> = {};
    if (!to) missing.to_tenant = t('form.missing');
    if (!bfs) missing.municipality_bfs = t('form.missing');
    if (Object.keys(missing).length) { setFe(missing); setErr(formIncomplete()); return; }
    try {
      const r = await post<TransferAnswer>(`/api/v1/cases/${x.id}/transfer`,
        { to_tenant: to, municipality_bfs: Number(bfs), document_ids: chosen.map(Number) }, { ifMatch: etag });
      setDone({ answer: r.data, name: target?.name ?? to });
      reloadDossier();
    } catch (e) {
      // A conflict: the dossier changed; it is reloaded, the choices stay.
      if (e instanceof ApiError && e.status === 409) reloadDossier();
      const sp = splitError(e, ['to_tenant', 'municipality_bfs']);
      setFe(sp.field);
      setErr(sp.form);
    }
  }

  if (done)
    return (
      <Section id="tf-title" title={t('dossier.transfer.title')}>
        <Notice kind="success">{t('dossier.transfer.done', { service: done.name, number: done.answer.to.number })}</Notice>
      </Section>
    );
  if (x.state === 'closed')
    return <Section id="tf-title" title={t('dossier.transfer.title')}><p>{t('dossier.transfer.closed')}</p></Section>;
  if (targets.error) return <ErrorBox error={targets.error} />;
  if (!targets.data) return <Loading />;
  const docOptions = (docs.data?.items ?? []).map((d) => ({
    value: String(d.id),
    label: `${d.title} (${vocabText('document_category', d.category, mod, vocab) ?? d.category}, ${t('dossier.transfer.version', { n: d.version_no })})`,
    hint: formatDateTime(d.uploaded_at),
  }));
  return (
    <Section id="tf-title" title={t('dossier.transfer.title')}>
      <p>{t('dossier.transfer.explain')}</p>
      {err ? <ErrorBox error={err} /> : null}
      {items.length === 0 ? <p>{t('dossier.transfer.no_targets')}</p> : (
        <form class="form" onSubmit={(e) => e.preventDefault()} noValidate>
          <SelectField label={t('dossier.transfer.to')} value={to} onChange={chooseTo} required error={fe.to_tenant}
            options={[{ value: '', label: t('casework.transition.choose') }, ...items.map((s) => ({ value: s.slug, label: s.name }))]} />
          {target ? (
            <SelectField label={t('dossier.transfer.municipality')} value={bfs} onChange={setBfs} required error={fe.municipality_bfs}
              hint={t('dossier.transfer.municipality_hint')}
              options={[...(target.municipalities.length > 1 ? [{ value: '', label: t('casework.transition.choose') }] : []),
                ...target.municipalities.map((m) => ({ value: String(m.bfs), label: m.name }))]} />
          ) : null}
          {docs.error ? <ErrorBox error={docs.error} /> : docOptions.length ? (
            <CheckboxGroup legend={t('dossier.transfer.documents')} hint={t('dossier.transfer.documents_hint')}
              options={docOptions} selected={chosen} onChange={setChosen} />
          ) : <p class="muted">{docs.data ? t('dossier.transfer.no_documents') : null}</p>}
          <div class="actions">
            <ConfirmButton label={t('dossier.transfer.submit')} variant="danger"
              question={t('dossier.transfer.question', { service: target?.name ?? '…', n: chosen.length })}
              confirmLabel={t('dossier.transfer.yes')} onConfirm={send} />
          </div>
        </form>
      )}
    </Section>
  );
}
