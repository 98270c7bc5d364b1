// The home page: the start of the work list. Until the case modules exist
// it shows only what is true: who is signed in, for which social service,
// with which roles and permissions, which modules are on, and the tasks
// this person can reach.
import { t, tOpt, label } from '../i18n';
import { useApp } from '../ctx';
import { href } from '../router';
import { PageTitle, ErrorBox, Loading } from '../components/ui';
import { sections } from './index';
import { useResource } from '../lib/hooks';
import type { Page } from '../api';
import { formatInteger } from '../lib/format';

interface OwnMunicipality { bfs: number; name: string; population?: number }

export function Home() {
  const app = useApp();
  const tasks = sections.filter((s) => s.perm && app.can(s.perm));
  const munis = useResource<Page<OwnMunicipality>>(app.can('directory.read') ? '/api/v1/municipalities' : null);
  return (
    <section class="home">
      <PageTitle>{t('home.title')}</PageTitle>
      <p class="lead">{t('home.greeting', { name: app.me.user.display_name, tenant: app.me.tenant.name })}</p>

      <section class="card" aria-labelledby="home-worklist">
        <h2 id="home-worklist">{t('home.worklist')}</h2>
        {app.modules.length ? (
          <>
            <p>{t('home.worklist_modules')}</p>
            <ul>
              {app.modules.map((m) => <li key={m}><a href={href('m', m)}>{label('module', m)}</a></li>)}
            </ul>
          </>
        ) : <p>{t('home.worklist_empty')}</p>}
      </section>

      <section class="card" aria-labelledby="home-tasks">
        <h2 id="home-tasks">{t('home.tasks')}</h2>
        {tasks.length ? (
          <ul class="tasks">
            {tasks.map((s) => (
              <li key={s.path}>
                <a href={'#/' + s.path}>{t(s.nav)}</a>
                {tOpt(`home.task.${s.path}`) ? <span class="task-desc"> – {tOpt(`home.task.${s.path}`)}</span> : null}
              </li>
            ))}
          </ul>
        ) : <p>{t('home.no_tasks')}</p>}
      </section>

      <div class="grid-2">
        <section class="card" aria-labelledby="home-roles">
          <h2 id="home-roles">{t('home.roles')}</h2>
          {app.me.roles.length
            ? <ul>{app.me.roles.map((r) => <li key={r}>{app.roleName(r)}</li>)}</ul>
            : <p>{t('home.no_roles')}</p>}
        </section>
        <section class="card" aria-labelledby="home-perms">
          <h2 id="home-perms">{t('home.permissions')}</h2>
          <ul class="perms">
            {app.me.permissions.map((p) => (
              <li key={p}>{label('perm', p)} <code class="code-hint">{p}</code></li>
            ))}
          </ul>
        </section>
      </div>

      {app.can('directory.read') ? (
        <section class="card" aria-labelledby="home-munis">
          <h2 id="home-munis">{t('home.municipalities')}</h2>
          {munis.error ? <ErrorBox error={munis.error} /> : !munis.data ? <Loading /> :
            munis.data.items.length ? (
              <ul>{munis.data.items.map((m) => (
                <li key={m.bfs}>{m.name} <span class="muted">({t('muni.bfs_short', { bfs: m.bfs })}{m.population !== undefined ? `, ${t('muni.population_short', { n: formatInteger(m.population) })}` : ''})</span></li>
              ))}</ul>
            ) : <p>{t('home.no_municipalities')}</p>}
        </section>
      ) : null}
    </section>
  );
}
