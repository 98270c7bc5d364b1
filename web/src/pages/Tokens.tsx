// Tenant administration: API tokens for machine clients. A new token is
// shown exactly once.
import { useRef, useState, useEffect } from 'preact/hooks';
import { del, post, type Token } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { usePagedList } from '../lib/hooks';
import { splitError } from '../lib/errors';
import { formatDate, formatDateTime } from '../lib/format';
import { Badge, CheckboxGroup, ConfirmButton, ErrorBox, Field, ListPager, Loading, Notice, PageTitle } from '../components/ui';

interface Created { id: number; token: string; expires_at: string; permissions: string[] }

function tokenState(tk: Token): 'revoked' | 'expired' | 'active' {
  if (tk.revoked) return 'revoked';
  const exp = new Date(tk.expires_at.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00').replace(/(\.\d{3})\d+/, '$1'));
  if (!Number.isNaN(exp.getTime()) && exp.getTime() < Date.now()) return 'expired';
  return 'active';
}

export function Tokens() {
  const app = useApp();
  const list = usePagedList<Token>('/api/v1/admin/tokens', 20);
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<string[]>([]);
  const [days, setDays] = useState('90');
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!name.trim()) fe.name = t('form.missing');
    if (!perms.length) fe.permissions = t('tokens.permissions_missing');
    const d = Number(days);
    if (!/^\d+$/.test(days) || d < 1 || d > 365) fe.days = t('tokens.days_rule');
    setFieldErr(fe);
    setFormErr(null);
    if (Object.keys(fe).length) return;
    setBusy(true);
    try {
      const r = await post<Created>('/api/v1/admin/tokens', { name: name.trim(), permissions: perms, days: d });
      setCreated(r.data);
      setName(''); setPerms([]); setDays('90');
      list.reload();
    } catch (x) {
      const sp = splitError(x, ['name', 'permissions', 'days']);
      setFieldErr(sp.field);
      setFormErr(sp.form);
    } finally { setBusy(false); }
  }

  return (
    <section>
      <PageTitle>{t('tokens.title')}</PageTitle>
      <p>{t('tokens.intro')}</p>
      {created ? <NewToken created={created} onDone={() => setCreated(null)} /> : null}
      {revoked ? <Notice kind="success">{revoked}</Notice> : null}

      <form class="form card" onSubmit={create} noValidate aria-labelledby="tokens-new">
        <h2 id="tokens-new">{t('tokens.new')}</h2>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <Field label={t('tokens.name')} hint={t('tokens.name_hint')} value={name} onInput={setName} required
          error={fieldErr.name} name="token_name" />
        <CheckboxGroup legend={t('tokens.permissions')} hint={t('tokens.permissions_hint')}
          options={app.me.permissions.map((p) => ({ value: p, label: label('perm', p) }))}
          selected={perms} onChange={setPerms} error={fieldErr.permissions} />
        <Field label={t('tokens.days')} hint={t('tokens.days_hint')} value={days} onInput={setDays} inputMode="numeric"
          required error={fieldErr.days} name="days" />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('tokens.create')}</button>
        </div>
      </form>
      <section aria-labelledby="tokens-list">
        <h2 id="tokens-list">{t('tokens.list')}</h2>
        {list.error ? <ErrorBox error={list.error} /> : null}
        {!list.loaded && !list.error ? <Loading /> : null}
        {list.loaded ? (
          list.items.length === 0 ? <p>{t('tokens.none')}</p> : (
            <table class="table">
              <caption class="visually-hidden">{t('tokens.list')}</caption>
              <thead><tr>
                <th scope="col">{t('tokens.name')}</th>
                <th scope="col">{t('tokens.permissions')}</th>
                <th scope="col">{t('tokens.created')}</th>
                <th scope="col">{t('tokens.expires')}</th>
                <th scope="col">{t('tokens.status')}</th>
                <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
              </tr></thead>
              <tbody>
                {list.items.map((tk) => {
                  const st = tokenState(tk);
                  return (
                    <tr key={tk.id}>
                      <td>{tk.name}</td>
                      <td>
                        {tk.permissions.map((p) => label('perm', p)).join(', ')}
                        {st === 'active' && tk.effective_permissions && tk.effective_permissions.length < tk.permissions.length ? (
                          <p class="small muted">{tk.effective_permissions.length
                            ? t('tokens.effective', { permissions: tk.effective_permissions.map((p) => label('perm', p)).join(', ') })
                            : t('tokens.effective_none')}</p>
                        ) : null}
                      </td>
                      <td>{formatDateTime(tk.created_at)}</td>
                      <td>{formatDate(tk.expires_at)}</td>
                      <td><Badge kind={st === 'active' ? 'ok' : 'off'}>{t(`tokens.state_${st}`)}</Badge></td>
                      <td>{st === 'active' ? (
                        <ConfirmButton label={t('tokens.revoke')} srSuffix={t('tokens.revoke_which', { name: tk.name })} variant="danger"
                          question={t('tokens.revoke_q', { name: tk.name })} confirmLabel={t('tokens.revoke_yes')}
                          onConfirm={async () => {
                            try {
                              await del(`/api/v1/admin/tokens/${tk.id}`);
                              setRevoked(t('tokens.revoked', { name: tk.name }));
                              list.reload();
                            } catch (x) { setFormErr(x); }
                          }} />
                      ) : null}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        ) : null}
        <ListPager label={t('tokens.pager')} list={list} />
      </section>

    </section>
  );
}

function NewToken({ created, onDone }: { created: Created; onDone: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => { ref.current?.focus(); }, [created.id]);
  return (
    <div class="alert alert-success new-token" role="alert" tabIndex={-1} ref={ref} aria-labelledby="new-token-title">
      <h2 id="new-token-title">{t('tokens.created_title')}</h2>
      <p>{t('tokens.created_once', { date: formatDate(created.expires_at) })}</p>
      <Field label={t('tokens.value')} value={created.token} onInput={() => undefined} readOnly
        class="token-value" spellcheck={false} name="token_value" />
      <div class="actions">
        <button type="button" class="btn btn-secondary" onClick={async () => {
          try { await navigator.clipboard.writeText(created.token); setCopied(true); } catch { setCopied(false); }
        }}>{t('tokens.copy')}</button>
        <button type="button" class="btn btn-primary" onClick={onDone}>{t('tokens.done')}</button>
        {copied ? <span role="status">{t('tokens.copied')}</span> : null}
      </div>
    </div>
  );
}
