// A social service's administrators: the canton creates the first one;
// another one only with the service's consent: the canton asks (Tenants
// page), the service's administration approves and sets the first
// password, or rejects (Users page).
import { useState } from 'preact/hooks';
import { ApiError, etagOf, post, withQuery, type AdminRequest, type ApiPath } from '../api';
import { t, label, langName, langOptions } from '../i18n';
import { useApp } from '../ctx';
import { usePagedList } from '../lib/hooks';
import { splitError } from '../lib/errors';
import { formatDate, formatDateTime } from '../lib/format';
import { Badge, ConfirmButton, ErrorBox, Field, PagedTable, Notice, SelectField } from '../components/ui';
import { onEscape } from '../components/inline';
import { fieldSetter } from '../lib/form';

const statusBadge = (s: AdminRequest['status']) => (
  <Badge kind={s === 'pending' ? 'warn' : s === 'approved' ? 'ok' : 'off'}>{label('admreq.status', s)}</Badge>
);

type Mode = 'first' | 'request';

/**
 * The canton's part of a social service's administration: its first
 * administrator (with a password), or, once it has one, a request the
 * service decides on, and the requests so far.
 */
export function TenantAdministration({ slug, hasAdmin }: { slug: string; hasAdmin: boolean }) {
  const mode: Mode = hasAdmin ? 'request' : 'first';
  const base = `/api/v1/admin/tenants/${encodeURIComponent(slug)}` as const;
  const empty = { username: mode === 'first' ? 'admin' : '', display_name: '', email: '', language: 'de', password: '', reason: '' };
  const [v, setV] = useState(empty);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [tick, setTick] = useState(0);
  const set = fieldSetter(setV);

  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!/^[a-z0-9][a-z0-9._-]{1,62}$/.test(v.username)) fe.username = t('users.username_rule');
    if (!v.display_name.trim()) fe.display_name = t('form.missing');
    if (mode === 'first' && v.password.length < 10) fe.password = t('users.password_rule');
    if (mode === 'request' && !v.reason.trim()) fe.reason = t('form.missing');
    setFieldErr(fe); setErr(null); setDone(null);
    if (Object.keys(fe).length) return;
    try {
      const body: Record<string, unknown> = { username: v.username, display_name: v.display_name.trim(), language: v.language };
      if (v.email.trim()) body.email = v.email.trim();
      if (mode === 'first') body.password = v.password;
      else body.reason = v.reason.trim();
      await post(mode === 'first' ? `${base}/admins` : `${base}/admin-requests`, body);
      setDone(t(mode === 'first' ? 'tenants.admin_created' : 'admreq.sent', { username: v.username }));
      setV(mode === 'first' ? { ...v, password: '' } : empty);
      if (mode === 'request') { setOpen(false); setTick((x) => x + 1); }
    } catch (x) {
      if (x instanceof ApiError && x.code === 'already_exists') { setFieldErr({ username: t('users.username_taken') }); return; }
      const sp = splitError(x, ['username', 'display_name', 'email', 'language', 'password', 'reason']);
      setFieldErr(sp.field); setErr(sp.form);
    }
  }

  return (
    <section class="card" aria-labelledby="tenant-admin">
      <h2 id="tenant-admin">{t(mode === 'first' ? 'tenants.admin_title' : 'admreq.title')}</h2>
      <p>{t(mode === 'first' ? 'tenants.admin_intro' : 'admreq.intro')}</p>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {!open ? (
        <button type="button" class="btn btn-secondary" onClick={() => setOpen(true)} aria-expanded="false">
          {t(mode === 'first' ? 'tenants.admin_open' : 'admreq.open')}
        </button>
      ) : (
        <form class="form" onSubmit={submit} noValidate {...onEscape(() => setOpen(false))}>
          {err ? <ErrorBox error={err} /> : null}
          <Field label={t('users.username')} value={v.username} onInput={set('username')} required error={fieldErr.username}
            spellcheck={false} name="username" />
          <Field label={t('users.display_name')} value={v.display_name} onInput={set('display_name')} required
            error={fieldErr.display_name} name="display_name" />
          <Field label={t('users.email')} type="email" value={v.email} onInput={set('email')} error={fieldErr.email} name="email" />
          <SelectField label={t('users.language')} value={v.language} onChange={set('language')} options={langOptions()} />
          {mode === 'first' ? (
            <Field label={t('users.initial_password')} hint={t('users.password_hint')} type="password" value={v.password}
              onInput={set('password')} required error={fieldErr.password} autocomplete="new-password" name="password" />
          ) : (
            <Field label={t('admreq.reason')} hint={t('admreq.reason_hint')} value={v.reason} onInput={set('reason')} required
              error={fieldErr.reason} name="reason" maxLength={500} />
          )}
          <div class="actions">
            <button type="submit" class="btn btn-primary">{t(mode === 'first' ? 'tenants.admin_create' : 'admreq.submit')}</button>
            <button type="button" class="btn btn-secondary" onClick={() => setOpen(false)}>{t('common.close')}</button>
          </div>
        </form>
      )}
      {mode === 'request' ? <RequestList key={tick} path={`${base}/admin-requests`} /> : null}
    </section>
  );
}

/** The canton's requests to one service and what became of them. */
function RequestList({ path }: { path: ApiPath<'get'> }) {
  const list = usePagedList<AdminRequest>(path, 10);
  return (
    <>
      <h3>{t('admreq.list')}</h3>
      <PagedTable list={list} caption={t('admreq.list')} pager={t('admreq.list')} empty={t('admreq.none')}
        head={<>
          <th scope="col">{t('admreq.col_username')}</th>
          <th scope="col">{t('admreq.col_name')}</th>
          <th scope="col">{t('admreq.col_at')}</th>
          <th scope="col">{t('admreq.col_status')}</th>
        </>}
        row={(r) => (
          <tr key={r.id}>
            <td>{r.username}</td>
            <td>{r.display_name}</td>
            <td>{formatDateTime(r.requested_at)}</td>
            <td>{statusBadge(r.status)}</td>
          </tr>
        )} />
    </>
  );
}

/** The service's part: the canton's open requests, each approved or rejected. */
export function AdminRequestInbox() {
  const list = usePagedList<AdminRequest>(withQuery('/api/v1/admin/admin-requests', { status: 'pending' }), 10);
  const [done, setDone] = useState<string | null>(null);
  if (!list.loaded || (list.items.length === 0 && !done)) return list.error ? <ErrorBox error={list.error} /> : null;
  return (
    <section class="card" aria-labelledby="admreq-inbox">
      <h2 id="admreq-inbox">{t('admreq.inbox_title')}</h2>
      <p>{t('admreq.inbox_intro')}</p>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {list.items.map((r) => (
        <RequestItem key={r.id} r={r} onDecided={(msg) => { setDone(msg); list.reload(); }} />
      ))}
    </section>
  );
}

function RequestItem({ r, onDecided }: { r: AdminRequest; onDecided: (msg: string) => void }) {
  const app = useApp();
  const [pw, setPw] = useState('');
  const [pwErr, setPwErr] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const base = `/api/v1/admin/admin-requests/${r.id}` as const;
  const headId = `admreq-${r.id}`;

  async function approve(e: Event) {
    e.preventDefault();
    setErr(null);
    if (pw.length < 10) { setPwErr(t('users.password_rule')); return; }
    setPwErr(null);
    setBusy(true);
    try {
      await post(`${base}/approve`, { password: pw }, { ifMatch: etagOf(r.version) });
      onDecided(t('admreq.approved', { username: r.username }));
    } catch (x) {
      const sp = splitError(x, ['password']);
      setPwErr(sp.field.password ?? null);
      setErr(sp.form);
    } finally { setBusy(false); }
  }

  return (
    <form class="form admreq-item" onSubmit={approve} noValidate aria-labelledby={headId}>
      <h3 id={headId}>{t('admreq.who', { name: r.display_name, username: r.username })} {statusBadge(r.status)}</h3>
      <p>{t('admreq.requested', { by: r.requested_by, date: formatDate(r.requested_at.slice(0, 10)) })}</p>
      <p>{t('admreq.reason_is', { reason: r.reason })}</p>
      <p class="muted">{r.email ? `${r.email} · ` : ''}{langName(r.language)}
        {' · '}{app.roleName('tenant_admin')}</p>
      {err ? <ErrorBox error={err} /> : null}
      <Field label={t('admreq.password')} hint={t('admreq.password_hint')} type="password" value={pw} onInput={setPw}
        required error={pwErr} autocomplete="new-password" name={`password_${r.id}`} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>{t('admreq.approve')}</button>
        <ConfirmButton label={t('admreq.reject')} question={t('admreq.reject_q', { username: r.username })}
          confirmLabel={t('admreq.reject_yes')} variant="danger"
          onConfirm={async () => {
            setErr(null);
            try {
              await post(`${base}/reject`, {}, { ifMatch: etagOf(r.version) });
              onDecided(t('admreq.rejected', { username: r.username }));
            } catch (x) { setErr(x); }
          }} />
      </div>
    </form>
  );
}

