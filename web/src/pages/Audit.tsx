// Audit: the tenant's events, newest first, and the hash chain check.
import { useState } from 'preact/hooks';
import { get, type AuditEvent, type AuditVerify } from '../api';
import { t, label } from '../i18n';
import { usePagedList } from '../lib/hooks';
import { formatDateTime, formatInteger } from '../lib/format';
import { ErrorBox, Loading, PageTitle, Pager } from '../components/ui';

export function Audit() {
  const list = usePagedList<AuditEvent>('/api/v1/audit', 25);
  const [verify, setVerify] = useState<AuditVerify | null>(null);
  const [verifyErr, setVerifyErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function check() {
    setBusy(true); setVerifyErr(null); setVerify(null);
    try { setVerify((await get<AuditVerify>('/api/v1/audit/verify')).data); } catch (x) { setVerifyErr(x); } finally { setBusy(false); }
  }

  return (
    <section>
      <PageTitle>{t('audit.title')}</PageTitle>
      <section class="card" aria-labelledby="audit-verify">
        <h2 id="audit-verify">{t('audit.verify_title')}</h2>
        <p>{t('audit.verify_intro')}</p>
        <button type="button" class="btn btn-primary" onClick={check} disabled={busy} aria-busy={busy ? 'true' : undefined}>{t('audit.verify')}</button>
        <div role="status" class="verify-result">
          {verify ? (verify.ok
            ? <p class="result-good">{t('audit.verify_ok', { n: formatInteger(verify.events) })}</p>
            : <p class="result-bad">{t('audit.verify_broken', { seq: verify.first_broken_seq ?? '?', n: formatInteger(verify.events) })}</p>)
            : null}
          {verify?.head ? <p class="small">{t('audit.head')} <code class="hash">{verify.head}</code></p> : null}
        </div>
        {verifyErr ? <ErrorBox error={verifyErr} /> : null}
      </section>

      <section aria-labelledby="audit-list">
        <h2 id="audit-list">{t('audit.events')}</h2>
        {list.error ? <ErrorBox error={list.error} /> : null}
        {!list.loaded && !list.error ? <Loading /> : null}
        {list.loaded ? (
          <table class="table">
            <caption class="visually-hidden">{t('audit.events')}</caption>
            <thead><tr>
              <th scope="col">{t('audit.seq')}</th>
              <th scope="col">{t('audit.at')}</th>
              <th scope="col">{t('audit.actor')}</th>
              <th scope="col">{t('audit.action')}</th>
              <th scope="col">{t('audit.object')}</th>
              <th scope="col">{t('audit.request')}</th>
              <th scope="col">{t('audit.detail')}</th>
            </tr></thead>
            <tbody>
              {list.items.map((e) => (
                <tr key={e.seq}>
                  <td class="num">{e.seq}</td>
                  <td>{formatDateTime(e.at)}</td>
                  <td>{e.actor_id === null ? t('audit.system') : t('audit.user_id', { id: e.actor_id })}</td>
                  <td>{label('audit.act', e.action)}</td>
                  <td>{e.object_type ? `${label('audit.obj', e.object_type)} ${e.object_id ?? ''}` : '–'}</td>
                  <td><code class="small">{e.request_id ?? '–'}</code></td>
                  <td>{e.detail === null || e.detail === undefined ? '–' : (
                    <details>
                      <summary>{t('audit.detail_show', { seq: e.seq })}</summary>
                      <pre class="detail-json">{JSON.stringify(e.detail, null, 2)}</pre>
                    </details>
                  )}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {list.loaded && list.items.length === 0 ? <p>{t('audit.none')}</p> : null}
        <Pager label={t('audit.pager')} page={list.page} hasPrev={list.hasPrev} hasNext={list.hasNext}
          onPrev={list.prev} onNext={list.next} busy={list.loading} />
      </section>
    </section>
  );
}
