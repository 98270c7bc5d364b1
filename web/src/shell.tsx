// The signed-in frame: skip link, top bar (tenant, user, language, sign-out),
// navigation built from the user's permissions and the tenant's modules,
// and the current screen.
import { useEffect, useRef } from 'preact/hooks';
import { t, label, type Lang } from './i18n';
import { useApp } from './ctx';
import { useRoute, href } from './router';
import { LangSwitch } from './components/lang';
import { Notice } from './components/ui';
import { resolve, navItems } from './pages';
import { CaseworkSearch } from './modules';

export function Shell(p: { onLogout: () => void; onLang: (l: Lang) => void; welcomeBack: boolean; onWelcomeSeen: () => void }) {
  const app = useApp();
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const view = resolve(route, app);
  const items = navItems(app);
  const current = '#/' + route.parts.join('/');

  useEffect(() => {
    if (!p.welcomeBack) return;
    const id = setTimeout(p.onWelcomeSeen, 15000);
    return () => clearTimeout(id);
  }, [p.welcomeBack]);

  return (
    <div class="shell">
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>
        {t('nav.skip')}
      </a>
      <header class="topbar">
        <a class="brand" href="#/">{t('app.name')}</a>
        <p class="tenant-name" data-testid="tenant-name">{app.me.tenant.name}</p>
        <CaseworkSearch />
        <div class="topbar-right">
          <p class="user-name">
            <span class="visually-hidden">{t('nav.signed_in_as')} </span>
            {app.me.user.display_name}
          </p>
          <LangSwitch onChange={p.onLang} />
          {app.me.via_token ? null : <a class="btn btn-link" href="#/account">{t('account.link')}</a>}
          <button type="button" class="btn btn-secondary" onClick={p.onLogout}>{t('nav.logout')}</button>
        </div>
      </header>
      <div class="layout">
        <nav class="sidenav" aria-label={t('nav.main')}>
          <ul>
            {items.map((it) => {
              const active = it.href === '#/' ? current === '#/' : current === it.href || current.startsWith(it.href + '/');
              return (
                <li key={it.href}>
                  <a href={it.href} aria-current={active ? 'page' : undefined} class={active ? 'active' : undefined}>{it.label}</a>
                </li>
              );
            })}
          </ul>
          {app.modules.length ? (
            <>
              <h2 class="nav-heading" id="nav-modules">{t('nav.modules')}</h2>
              <ul aria-labelledby="nav-modules">
                {app.modules.map((m) => {
                  const h = href('m', m);
                  const active = current === h || current.startsWith(h + '/');
                  return (
                    <li key={m}>
                      <a href={h} aria-current={active ? 'page' : undefined} class={active ? 'active' : undefined}>{label('module', m)}</a>
                    </li>
                  );
                })}
              </ul>
            </>
          ) : null}
        </nav>
        <main id="main" tabIndex={-1} ref={mainRef} class="main">
          {p.welcomeBack ? <Notice kind="success">{t('login.welcome_back')}</Notice> : null}
          {view}
        </main>
      </div>
    </div>
  );
}
