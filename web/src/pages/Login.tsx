import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, csrf, get, post, type LoginAnswer, type Me } from '../api';
import { t, errorText, type Lang } from '../i18n';
import { Field, ErrorBox, Notice } from '../components/ui';
import { LangSwitch } from '../components/lang';

export type LoginReason = 'expired' | 'logged_out' | 'csrf_lost' | null;

const TENANT_KEY = 'kasus.tenant';

export function LoginScreen(p: {
  reason: LoginReason;
  prefill?: { tenant: string; username: string };
  onSignedIn: (me: Me) => void;
  onLang: (l: Lang) => void;
}) {
  const [tenant, setTenant] = useState(() => p.prefill?.tenant ?? (localStorage.getItem(TENANT_KEY) || ''));
  const [username, setUsername] = useState(p.prefill?.username ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState<Record<string, boolean>>({});
  const [busy, setBusy] = useState(false);
  const tenantRef = useRef<HTMLInputElement>(null);
  const userRef = useRef<HTMLInputElement>(null);
  const pwRef = useRef<HTMLInputElement>(null);
  const headRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = `${t('login.title')} – Kasus`;
    // Put the cursor where typing continues.
    if (!tenant) tenantRef.current?.focus();
    else if (!username) userRef.current?.focus();
    else pwRef.current?.focus();
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const miss = { tenant: !tenant.trim(), username: !username.trim(), password: !password };
    setMissing(miss);
    if (miss.tenant || miss.username || miss.password) {
      setError(null);
      (miss.tenant ? tenantRef : miss.username ? userRef : pwRef).current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const slug = tenant.trim().toLowerCase();
      const r = await post<LoginAnswer>('/api/v1/session',
        { tenant: slug, username: username.trim(), password }, { anonymous: true });
      csrf.set(r.data.csrf_token);
      try { localStorage.setItem(TENANT_KEY, slug); } catch { /* ignore */ }
      const me = await get<Me>('/api/v1/me', { anonymous: true });
      p.onSignedIn(me.data);
    } catch (err) {
      setPassword('');
      setError(err);
      setBusy(false);
      pwRef.current?.focus();
    }
  }

  // A tenant short name that cannot exist is marked at the field itself.
  const tenantBad = error instanceof ApiError && error.status === 400 && error.field === 'tenant';
  const errMsg = error && !tenantBad ? errorText(error) : null;

  return (
    <SignInFrame onLang={p.onLang}>
      <form class="login-form card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <h1 id="login-title" ref={headRef}>{t('login.title')}</h1>
        {p.reason === 'expired' ? <Notice kind="warning">{t('login.expired')}</Notice> : null}
        {p.reason === 'logged_out' ? <Notice kind="success">{t('login.logged_out')}</Notice> : null}
        {p.reason === 'csrf_lost' ? <Notice kind="info">{t('login.csrf_lost')}</Notice> : null}
        {errMsg ? <ErrorBox error={error}>{errMsg}</ErrorBox> : null}
        <Field label={t('login.tenant')} hint={t('login.tenant_hint')} value={tenant} onInput={setTenant}
          required autocomplete="organization" inputRef={tenantRef} name="tenant" spellcheck={false}
          error={missing.tenant ? t('form.missing') : tenantBad ? t('tenants.slug_rule') : null} />
        <Field label={t('login.username')} value={username} onInput={setUsername} required
          autocomplete="username" inputRef={userRef} name="username" spellcheck={false}
          error={missing.username ? t('form.missing') : null} />
        <Field label={t('login.password')} type="password" value={password} onInput={setPassword} required
          autocomplete="current-password" inputRef={pwRef} name="password"
          error={missing.password ? t('form.missing') : null} />
        <button type="submit" class="btn btn-primary btn-wide" disabled={busy} aria-busy={busy ? 'true' : undefined}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
    </SignInFrame>
  );
}

/** The page around the sign-in form (and the first password change). */
export function SignInFrame(p: { onLang: (l: Lang) => void; children: ComponentChildren }) {
  return (
    <div class="login-page">
      <header class="login-header">
        <p class="brand">{t('app.name')}</p>
        <LangSwitch onChange={p.onLang} />
      </header>
      <main id="main" class="login-main">{p.children}</main>
    </div>
  );
}
