// Canton administration: versions of the rule packs, their status, the
// source (read only), running the example cases, and the four-eyes review.
import { useEffect, useState } from 'preact/hooks';
import { get, post, type RulePack, type RuleTestResult } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { href } from '../router';
import { formatDate, formatDateTime } from '../lib/format';
import { Badge, ConfirmButton, ErrorBox, Facts, Loading, Notice, PageTitle, TextArea } from '../components/ui';

const statusKind = (s: string) => (s === 'approved' ? 'ok' : s === 'tested' ? 'info' : s === 'draft' ? 'warn' : 'off') as
  'ok' | 'info' | 'warn' | 'off';

function StatusBadge({ status }: { status: string }) {
  return <Badge kind={statusKind(status)}>{label('rules.status', status)}</Badge>;
}

export function RulePacks() {
  const [items, setItems] = useState<RulePack[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    get<{ items: RulePack[] }>('/api/v1/admin/rule-packs').then((r) => setItems(r.data.items)).catch(setErr);
  }, []);
  return (
    <section>
      <PageTitle>{t('rules.title')}</PageTitle>
      <p>{t('rules.intro')}</p>
      {err ? <ErrorBox error={err} /> : null}
      {!items && !err ? <Loading /> : null}
      {items ? (
        items.length === 0 ? <p>{t('rules.none')}</p> : (
          <table class="table">
            <caption class="visually-hidden">{t('rules.title')}</caption>
            <thead><tr>
              <th scope="col">{t('rules.name')}</th>
              <th scope="col">{t('rules.version')}</th>
              <th scope="col">{t('rules.valid_from')}</th>
              <th scope="col">{t('rules.status')}</th>
              <th scope="col">{t('rules.examples')}</th>
              <th scope="col">{t('rules.created')}</th>
            </tr></thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <td><a href={href('rule-packs', p.id)}>{p.name}</a></td>
                  <td>{p.version}</td>
                  <td>{formatDate(p.valid_from)}</td>
                  <td><StatusBadge status={p.status} /></td>
                  <td class="num">{p.examples?.length ?? 0}</td>
                  <td>{formatDateTime(p.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}

export function RulePackView({ id }: { id: string }) {
  const app = useApp();
  const [pack, setPack] = useState<RulePack | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [actionErr, setActionErr] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [test, setTest] = useState<RuleTestResult | null>(null);
  const [testing, setTesting] = useState(false);
  const [comment, setComment] = useState('');
  const path = `/api/v1/admin/rule-packs/${encodeURIComponent(id)}`;
  const load = () => get<RulePack>(path).then((r) => setPack(r.data)).catch(setErr);
  useEffect(() => { void load(); }, [id]);

  if (err) return <section><PageTitle>{t('rules.title')}</PageTitle><ErrorBox error={err} /></section>;
  if (!pack) return <Loading />;

  const mine = pack.author_id !== null && pack.author_id === app.me.user.id;
  const who = (uid: number | null) => (uid === null ? t('rules.system') : uid === app.me.user.id ? t('rules.you') : t('rules.user_id', { id: uid }));

  async function runTests() {
    setActionErr(null); setDone(null); setTesting(true);
    try {
      const r = await post<RuleTestResult>(`${path}/test`);
      setTest(r.data);
      await load();
    } catch (x) { setActionErr(x); } finally { setTesting(false); }
  }
  async function review(kind: 'approve' | 'reject') {
    setActionErr(null); setDone(null);
    try {
      await post(`${path}/${kind}`, comment.trim() ? { comment: comment.trim() } : {});
      setDone(t(kind === 'approve' ? 'rules.approved_done' : 'rules.rejected_done'));
      setComment('');
      await load();
    } catch (x) { setActionErr(x); }
  }
  async function retire() {
    setActionErr(null); setDone(null);
    try {
      await post(`${path}/retire`);
      setDone(t('rules.retired_done'));
      await load();
    } catch (x) { setActionErr(x); }
  }

  const canReview = (pack.status === 'tested' || pack.status === 'draft') && !mine;
  return (
    <section>
      <p class="breadcrumb"><a href="#/rule-packs">{t('rules.title')}</a></p>
      <PageTitle>{t('rules.pack_title', { name: pack.name, version: pack.version })}</PageTitle>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {actionErr ? <ErrorBox error={actionErr} /> : null}
      <div class="card">
        <Facts items={[
          [t('rules.status'), <StatusBadge status={pack.status} />],
          [t('rules.valid_from'), formatDate(pack.valid_from)],
          [t('rules.author'), who(pack.author_id)],
          [t('rules.reviewer'), pack.approver_id === null ? '–' : who(pack.approver_id)],
          [t('rules.review_comment'), pack.review_comment || '–'],
          [t('rules.created'), formatDateTime(pack.created_at)],
          [t('rules.approved_at'), pack.approved_at ? formatDateTime(pack.approved_at) : '–'],
          [t('rules.imported_from'), pack.imported_from || '–'],
          [t('rules.checksum'), <code class="hash">{pack.sha256}</code>],
        ]} />
      </div>

      <section class="card" aria-labelledby="rules-examples">
        <h2 id="rules-examples">{t('rules.examples_title', { n: pack.examples?.length ?? 0 })}</h2>
        <p>{t('rules.examples_intro')}</p>
        <button type="button" class="btn btn-primary" onClick={runTests} disabled={testing} aria-busy={testing ? 'true' : undefined}>
          {t('rules.run_examples')}
        </button>
        {test ? (
          <div class="test-result" role="status">
            <p class={test.failed ? 'result-bad' : 'result-good'}>
              {t('rules.test_summary', { passed: test.passed, failed: test.failed })}
            </p>
            <table class="table">
              <caption class="visually-hidden">{t('rules.examples')}</caption>
              <thead><tr>
                <th scope="col">{t('rules.example_no')}</th>
                <th scope="col">{t('rules.example_title')}</th>
                <th scope="col">{t('rules.function')}</th>
                <th scope="col">{t('rules.result')}</th>
              </tr></thead>
              <tbody>
                {test.results.map((r) => (
                  <tr key={r.index}>
                    <td>{r.index + 1}</td>
                    <td>{pack.examples?.[r.index]?.title ?? '–'}</td>
                    <td><code>{r.function}</code></td>
                    <td>{r.ok ? <Badge kind="ok">{t('rules.ok')}</Badge> : (
                      <><Badge kind="warn">{t('rules.failed')}</Badge> {r.error ? <span class="small">{String((r as { message?: string }).message ?? r.error)}</span> : <span class="small">{t('rules.differs')}</span>}</>
                    )}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      {(pack.status === 'tested' || pack.status === 'draft') ? (
        <section class="card" aria-labelledby="rules-review">
          <h2 id="rules-review">{t('rules.review')}</h2>
          {mine ? <p>{t('rules.four_eyes_own')}</p> : (
            <>
              <p>{pack.status === 'tested' ? t('rules.review_tested') : t('rules.review_draft')}</p>
              <TextArea label={t('rules.comment')} value={comment} onInput={setComment} hint={t('rules.comment_hint')} />
              <div class="actions">
                {pack.status === 'tested' && canReview ? (
                  <button type="button" class="btn btn-primary" onClick={() => review('approve')}>{t('rules.approve')}</button>
                ) : null}
                {canReview ? <button type="button" class="btn btn-danger" onClick={() => review('reject')}>{t('rules.reject')}</button> : null}
              </div>
            </>
          )}
        </section>
      ) : null}
      {pack.status === 'approved' ? (
        <section class="card" aria-labelledby="rules-retire">
          <h2 id="rules-retire">{t('rules.retire_title')}</h2>
          <p>{t('rules.retire_text')}</p>
          <ConfirmButton label={t('rules.retire')} question={t('rules.retire_q')} confirmLabel={t('rules.retire_yes')}
            variant="danger" onConfirm={retire} />
        </section>
      ) : null}

      <section class="card" aria-labelledby="rules-source">
        <h2 id="rules-source">{t('rules.source')}</h2>
        <p class="muted">{t('rules.source_readonly')}</p>
        <pre class="source" tabIndex={0} aria-labelledby="rules-source"><code>{pack.source ?? ''}</code></pre>
      </section>
    </section>
  );
}
