// The application: start-up (is there a session?), sign-in, the shell with
// navigation, and what happens when the session ends while someone works.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, csrf, del, get, onSessionEnded, type Me, type Page, type Role } from './api';
import { browserLang, isLang, setLang, storedLang, t, lang as curLang, type Lang } from './i18n';
import { Ctx, type AppCtx } from './ctx';
import { LoginScreen, type LoginReason } from './pages/Login';
import { Shell } from './shell';
import { REAUTH_EVENT } from './lib/hooks';
import { worksWith } from './modules/access';
import { PasswordRequired } from './pages/Account';

type Phase = 'boot' | 'login' | 'in';

export function App() {
  const [, setLangState] = useState<Lang>(() => {
    const l = storedLang() ?? browserLang();
    setLang(l);
    return l;
  });
  const [phase, setPhase] = useState<Phase>('boot');
  const [me, setMe] = useState<Me | null>(null);
  const [reason, setReason] = useState<LoginReason>(null);
  // Set while the sign-in screen covers a page whose session ended.
  const [expired, setExpired] = useState<{ tenant: string; username: string } | null>(null);
  const [welcomeBack, setWelcomeBack] = useState(false);
  const [gen, setGen] = useState(0);
  const [roles, setRoles] = useState<Role[]>([]);
  const [status, setStatus] = useState('');
  const meRef = useRef<Me | null>(null);
  const lastFocus = useRef<HTMLElement | null>(null);
  meRef.current = me;

  const changeLang = useCallback((l: Lang) => { setLang(l); setLangState(l); }, []);

  // Start-up: a session cookie may still be valid (reload).
  useEffect(() => {
    (async () => {
      const hadCsrf = !!csrf.get();
      try {
        const r = await get<Me>('/api/v1/me', { anonymous: true });
        // A new tab of a signed-in browser: the session's CSRF token
        // comes with /me, so the tab can write without signing in again.
        if (r.data.csrf_token) csrf.set(r.data.csrf_token);
        else if (!hadCsrf) {
          // Signed in, but this tab lost the CSRF token: writes would fail.
          // End the session as far as we can and ask for a fresh sign-in.
          try { await del('/api/v1/session'); } catch { /* expected without a token */ }
          setReason('csrf_lost');
          setPhase('login');
          return;
        }
        if (!storedLang() && isLang(r.data.user.language)) changeLang(r.data.user.language);
        setMe(r.data);
        setPhase('in');
      } catch (e) {
        csrf.set(null);
        setReason(hadCsrf && e instanceof ApiError && e.status === 401 ? 'expired' : null);
        setPhase('login');
      }
    })();
  }, []);

  // An authenticated request answered 401: cover the page with the sign-in
  // form, keep the page (and what was typed into it) underneath.
  useEffect(() => {
    onSessionEnded(() => {
      const m = meRef.current;
      csrf.set(null);
      if (m) {
        if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body)
          lastFocus.current = document.activeElement;
        setExpired((x) => x ?? { tenant: m.tenant.slug, username: m.user.username });
      }
      else { setReason('expired'); setPhase('login'); }
    });
  }, []);

  const loadRoles = useCallback(async (m: Me) => {
    if (!m.permissions.includes('directory.read') || m.must_change_password) { setRoles([]); return; }
    try { setRoles((await get<Page<Role>>('/api/v1/roles')).data.items); } catch { setRoles([]); }
  }, []);
  useEffect(() => { if (me) void loadRoles(me); }, [me?.user.id, me?.tenant.id, me?.must_change_password]);

  const signedIn = (m: Me) => {
    if (expired) {
      const same = m.tenant.slug === expired.tenant && m.user.username === expired.username;
      setExpired(null);
      setMe(m);
      if (same) {
        setWelcomeBack(true);
        // Back to where the person was (the save button, typically).
        const el = lastFocus.current;
        lastFocus.current = null;
        setTimeout(() => {
          if (el && el.isConnected) el.focus();
          window.dispatchEvent(new Event(REAUTH_EVENT));
        }, 0);
      } else {
        // Someone else signed in: nothing of the previous page stays.
        if (isLang(m.user.language)) changeLang(m.user.language);
        setGen((g) => g + 1);
        location.hash = '#/';
      }
      return;
    }
    if (isLang(m.user.language)) changeLang(m.user.language);
    setMe(m);
    setReason(null);
    setGen((g) => g + 1);
    setPhase('in');
  };

  const logout = async () => {
    try { await del('/api/v1/session'); } catch { /* the session may be gone already */ }
    csrf.set(null);
    setMe(null);
    setExpired(null);
    setReason('logged_out');
    setPhase('login');
    history.replaceState(null, '', location.pathname + location.search);
  };

  const ctx = useMemo<AppCtx | null>(() => me && {
    me,
    modules: me.modules.filter((m) => worksWith(m, me.permissions)),
    can: (perm: string) => me.permissions.includes(perm),
    roleName: (code: string) => {
      const r = roles.find((x) => x.code === code);
      return r ? (curLang() === 'fr' ? r.name_fr : r.name_de) : code;
    },
    announce: (msg: string) => { setStatus(''); setTimeout(() => setStatus(msg), 30); },
    refreshMe: async () => { setMe((await get<Me>('/api/v1/me')).data); },
  }, [me, roles, curLang()]);

  if (phase === 'boot') return <p class="loading" role="status">{t('common.loading')}</p>;
  if (phase === 'login' || !ctx)
    return <LoginScreen key={`login-${reason}`} reason={reason} onSignedIn={signedIn} onLang={changeLang} />;
  if (me?.must_change_password && !expired)
    return <PasswordRequired me={me} onLogout={logout} onLang={changeLang}
      onDone={async () => { setMe((await get<Me>('/api/v1/me')).data); setGen((g) => g + 1); }} />;

  return (
    <>
      {expired ? (
        <LoginScreen key="expired" reason="expired" prefill={expired} onSignedIn={signedIn} onLang={changeLang} />
      ) : null}
      <div hidden={!!expired} class="app-root">
        <Ctx.Provider value={ctx}>
          <Shell key={gen} onLogout={logout} onLang={changeLang}
            welcomeBack={welcomeBack} onWelcomeSeen={() => setWelcomeBack(false)} />
        </Ctx.Provider>
        <div class="visually-hidden" role="status" aria-live="polite">{status}</div>
      </div>
    </>
  );
}
