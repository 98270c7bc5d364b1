// Tenant administration: users of the own social service.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, del, etagOf, get, patch, post, put, type Page, type Role, type User } from '../api';

/** A user's address (the panels below append to it). */
type UserPath = `/api/v1/admin/users/${string}`;
import { t, type Lang, langName, langOptions } from '../i18n';
import { useApp } from '../ctx';
import { href, navigate } from '../router';
import { usePagedList, useResource } from '../lib/hooks';
import { changedFields, same, useEdit } from '../lib/edit';
import { splitError, formIncomplete } from '../lib/errors';
import { Badge, CheckboxField, CheckboxGroup, ConfirmButton, ErrorBox, Field, PagedTable, Loading, Notice, PageTitle, SelectField } from '../components/ui';
import { ConflictPanel, type ConflictField } from '../components/conflict';
import { AdminRequestInbox } from './AdminRequests';
import { fieldSetter } from '../lib/form';

/** The roles a tenant administrator can give (not the canton's). */
function useAssignableRoles() {
  const app = useApp();
  const r = useResource<Page<Role>>('/api/v1/roles');
  const roles = (r.data?.items ?? []).filter((x) => !x.canton_level);
  return {
    error: r.error,
    loaded: !!r.data,
    options: roles.map((x) => ({ value: x.code, label: app.roleName(x.code) })),
  };
}

export function UsersList() {
  const app = useApp();
  const list = usePagedList<User>('/api/v1/admin/users', 20);
  return (
    <section>
      <div class="page-head">
        <PageTitle>{t('users.title')}</PageTitle>
        <a class="btn btn-primary" href="#/users/new">{t('users.new')}</a>
      </div>
      <AdminRequestInbox />
      <PagedTable list={list} caption={t('users.title')} pager={t('users.pager')} empty={t('users.none')}
        head={<>
          <th scope="col">{t('users.username')}</th>
          <th scope="col">{t('users.display_name')}</th>
          <th scope="col">{t('users.roles')}</th>
          <th scope="col">{t('users.language')}</th>
          <th scope="col">{t('users.status')}</th>
        </>}
        row={(u) => (
          <tr key={u.id}>
            <td><a href={href('users', u.id)}>{u.username}</a></td>
            <td>{u.display_name}</td>
            <td>{u.roles.map((r) => app.roleName(r)).join(', ') || '–'}</td>
            <td>{langName(u.language)}</td>
            <td>{u.active ? <Badge kind="ok">{t('users.active')}</Badge> : <Badge kind="off">{t('users.inactive')}</Badge>}</td>
          </tr>
        )} />
    </section>
  );
}

export function UserNew() {
  const app = useApp();
  const roles = useAssignableRoles();
  const [v, setV] = useState({ username: '', display_name: '', email: '', language: app.me.user.language as string, password: '' });
  const [sel, setSel] = useState<string[]>([]);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = fieldSetter(setV);

  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!/^[a-z0-9._-]{2,63}$/.test(v.username)) fe.username = t('users.username_rule');
    if (!v.display_name.trim()) fe.display_name = t('form.missing');
    if (v.password.length < 10) fe.password = t('users.password_rule');
    setFieldErr(fe);
    setFormErr(null);
    if (Object.keys(fe).length) {
      setFormErr(formIncomplete());
      return;
    }
    setBusy(true);
    try {
      const body: Record<string, unknown> = {
        username: v.username, display_name: v.display_name.trim(), password: v.password,
        language: v.language, roles: sel,
      };
      if (v.email.trim()) body.email = v.email.trim();
      const r = await post<User>('/api/v1/admin/users', body);
      navigate(href('users', r.data.id) + '?created=1');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'already_exists') {
        setFieldErr({ username: t('users.username_taken') });
        setFormErr(formIncomplete(409));
      } else {
        const sp = splitError(err, ['username', 'display_name', 'email', 'password', 'roles', 'language']);
        setFieldErr(sp.field);
        setFormErr(sp.form ?? formIncomplete());
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <p class="breadcrumb"><a href="#/users">{t('users.title')}</a></p>
      <PageTitle>{t('users.new_title')}</PageTitle>
      <form class="form card" onSubmit={submit} noValidate>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <Field label={t('users.username')} hint={t('users.username_hint')} value={v.username} onInput={set('username')}
          required error={fieldErr.username} spellcheck={false} name="username" />
        <Field label={t('users.display_name')} value={v.display_name} onInput={set('display_name')} required
          error={fieldErr.display_name} name="display_name" />
        <Field label={t('users.email')} type="email" value={v.email} onInput={set('email')} error={fieldErr.email}
          autocomplete="off" name="email" />
        <SelectField label={t('users.language')} value={v.language} onChange={set('language')} options={langOptions()}
          error={fieldErr.language} />
        <Field label={t('users.initial_password')} hint={t('users.password_hint')} type="password" value={v.password}
          onInput={set('password')} required error={fieldErr.password} autocomplete="new-password" name="password" />
        {roles.error ? <ErrorBox error={roles.error} /> : null}
        <CheckboxGroup legend={t('users.roles')} hint={t('users.roles_hint')} options={roles.options} selected={sel}
          onChange={setSel} error={fieldErr.roles} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>{t('users.create')}</button>
          <a class="btn btn-secondary" href="#/users">{t('common.cancel')}</a>
        </div>
      </form>
    </section>
  );
}

type UserForm = {
  display_name: string; email: string; language: string; active: boolean; roles: string[];
};

const toForm = (u: User): UserForm => ({
  display_name: u.display_name, email: u.email ?? '', language: u.language, active: u.active, roles: [...u.roles].sort(),
});

export function UserEdit({ id }: { id: string }) {
  const app = useApp();
  const roles = useAssignableRoles();
  const edit = useEdit<UserForm>();
  const [user, setUser] = useState<User | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [formErr, setFormErr] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(() =>
    location.hash.includes('created=1') ? t('users.created_notice') : null);
  const [busy, setBusy] = useState(false);
  const path = `/api/v1/admin/users/${id}` as const;

  async function load() {
    try {
      const r = await get<User>(path);
      setUser(r.data);
      edit.load(toForm(r.data), r.etag);
    } catch (e) { setLoadErr(e); }
  }
  useEffect(() => { void load(); }, [id]);

  const fields: ConflictField<UserForm>[] = useMemo(() => [
    { key: 'display_name', label: t('users.display_name') },
    { key: 'email', label: t('users.email'), show: (x) => (x as string) || '–' },
    { key: 'language', label: t('users.language'), show: (x) => langName(x as string) },
    { key: 'active', label: t('users.account_active'), show: (x) => (x ? t('common.yes') : t('common.no')) },
    { key: 'roles', label: t('users.roles'), show: (x) => (x as string[]).map((r) => app.roleName(r)).join(', ') || '–' },
  ], [app]);

  if (loadErr) return <section><PageTitle>{t('users.edit_title')}</PageTitle><ErrorBox error={loadErr} /></section>;
  const s = edit.state;
  if (!s || !user) return <Loading />;
  const v = s.values;

  async function save(e: Event) {
    e.preventDefault();
    if (!s) return;
    setFieldErr({});
    setFormErr(null);
    setSaved(null);
    const ch = changedFields(s);
    if (!ch.length) { setSaved(t('form.nothing_changed')); return; }
    if (!v.display_name.trim()) { setFieldErr({ display_name: t('form.missing') }); return; }
    const body: Record<string, unknown> = {};
    for (const k of ch) {
      if (k === 'roles') continue;
      body[k] = k === 'email' ? (v.email.trim() || null) : k === 'display_name' ? v.display_name.trim() : v[k];
    }
    setBusy(true);
    let etag = s.etag;
    try {
      if (Object.keys(body).length) etag = (await patch<User>(path, body, etag)).etag;
      if (ch.includes('roles')) etag = (await put<User>(`${path}/roles`, { roles: v.roles }, etag)).etag;
      const r = await get<User>(path);
      setUser(r.data);
      edit.load(toForm(r.data), r.etag ?? etag);
      setSaved(t('form.saved'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.current) {
        const cur = err.current as unknown as User;
        edit.setConflict(toForm(cur), etagOf(cur.version));
      } else {
        const sp = splitError(err, Object.keys(v));
        setFieldErr(sp.field);
        setFormErr(sp.form);
      }
    } finally {
      setBusy(false);
    }
  }

  /** After a password reset the version moves on: follow it if nothing else changed. */
  async function followVersion() {
    try {
      const r = await get<User>(path);
      if (s && same(toForm(r.data) as never, s.base as never)) edit.setEtag(r.etag);
      setUser(r.data);
    } catch { /* the next save will tell */ }
  }

  const dirty = changedFields(s).length > 0;
  return (
    <section>
      <p class="breadcrumb"><a href="#/users">{t('users.title')}</a></p>
      <PageTitle>{t('users.edit_title_name', { name: user.username })}</PageTitle>
      {saved ? <Notice kind="success">{saved}</Notice> : null}
      {s.conflict ? (
        <ConflictPanel state={s} fields={fields}
          onReapply={() => { edit.reapply(); setSaved(t('conflict.reapplied')); }}
          onDiscard={() => { edit.discard(); setSaved(t('conflict.discarded')); }} />
      ) : null}
      <form class="form card" onSubmit={save} noValidate aria-labelledby="user-form-title">
        <h2 id="user-form-title">{t('users.profile')}</h2>
        {formErr ? <ErrorBox error={formErr} /> : null}
        <Field label={t('users.username')} value={user.username} onInput={() => undefined} readOnly
          hint={t('users.username_fixed')} />
        <Field label={t('users.display_name')} value={v.display_name} onInput={(x) => edit.set('display_name', x)}
          required error={fieldErr.display_name} name="display_name" />
        <Field label={t('users.email')} type="email" value={v.email} onInput={(x) => edit.set('email', x)}
          error={fieldErr.email} name="email" />
        <SelectField label={t('users.language')} value={v.language} onChange={(x) => edit.set('language', x as Lang)}
          options={langOptions()} error={fieldErr.language} />
        <CheckboxField label={t('users.account_active')} hint={t('users.active_hint')} checked={v.active}
          onChange={(x) => edit.set('active', x)} error={fieldErr.active} />
        {roles.loaded ? (
          <CheckboxGroup legend={t('users.roles')} hint={t('users.roles_change_hint')} options={roles.options}
            selected={v.roles} onChange={(x) => edit.set('roles', [...x].sort())} error={fieldErr.roles} />
        ) : null}
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !!s.conflict}>{t('form.save')}</button>
          {dirty && !s.conflict ? <span class="muted">{t('form.unsaved')}</span> : null}
        </div>
      </form>
      <PasswordReset path={path} onDone={followVersion} />
      <section class="card" aria-labelledby="user-sessions">
        <h2 id="user-sessions">{t('users.sessions')}</h2>
        <p>{t('users.sessions_text')}</p>
        <SessionsRevoke path={path} />
      </section>
    </section>
  );
}

function PasswordReset({ path, onDone }: { path: UserPath; onDone: () => Promise<void> }) {
  const [pw, setPw] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [formErr, setFormErr] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setDone(false);
    setFormErr(null);
    if (pw.length < 10) { setErr(t('users.password_rule')); return; }
    setErr(null);
    setBusy(true);
    try {
      await post(`${path}/password`, { password: pw });
      setPw('');
      setDone(true);
      await onDone();
    } catch (x) {
      const sp = splitError(x, ['password']);
      setErr(sp.field.password ?? null);
      setFormErr(sp.form);
    } finally { setBusy(false); }
  }
  return (
    <form class="form card" onSubmit={submit} noValidate aria-labelledby="pw-title">
      <h2 id="pw-title">{t('users.password_reset')}</h2>
      <p>{t('users.password_reset_text')}</p>
      {done ? <Notice kind="success">{t('users.password_reset_done')}</Notice> : null}
      {formErr ? <ErrorBox error={formErr} /> : null}
      <Field label={t('users.new_password')} hint={t('users.password_hint')} type="password" value={pw} onInput={setPw}
        error={err} autocomplete="new-password" name="new_password" />
      <div class="actions">
        <button type="submit" class="btn btn-secondary" disabled={busy}>{t('users.password_set')}</button>
      </div>
    </form>
  );
}

function SessionsRevoke({ path }: { path: UserPath }) {
  const [done, setDone] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  return (
    <>
      {done ? <Notice kind="success">{t('users.sessions_revoked')}</Notice> : null}
      {err ? <ErrorBox error={err} /> : null}
      <ConfirmButton label={t('users.sessions_revoke')} question={t('users.sessions_revoke_q')}
        confirmLabel={t('users.sessions_revoke_yes')} variant="danger"
        onConfirm={async () => {
          setDone(false); setErr(null);
          try { await del(`${path}/sessions`); setDone(true); } catch (e) { setErr(e); }
        }} />
    </>
  );
}
