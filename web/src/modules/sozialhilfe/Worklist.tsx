// The work list: my deadlines due today and overdue, my open dossiers and
// the dossiers newly assigned to me (GET /api/v1/worklist).
import { t } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { ErrorBox, Loading, PageTitle } from '../../components/ui';
import { formatDate } from '../../lib/format';
import type { WorkDeadline, WorkDossier, Worklist as WL } from './types';
import { Section, ShNav, StateBadge, shHref } from './common';

function Deadlines({ items, id, title, empty }: { items: WorkDeadline[]; id: string; title: string; empty: string }) {
  return (
    <Section id={id} title={`${title} (${items.length})`}>
      {items.length ? (
        <table class="table">
          <caption class="visually-hidden">{title}</caption>
          <thead><tr>
            <th scope="col">{t('sozialhilfe.deadline.due_on')}</th>
            <th scope="col">{t('sozialhilfe.deadline.text')}</th>
            <th scope="col">{t('sozialhilfe.client')}</th>
          </tr></thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td>{formatDate(d.due_on)}</td>
                <td>{d.text}</td>
                <td><a href={shHref('cases', d.dossier_id, 'deadlines')}>{d.client}</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p>{empty}</p>}
    </Section>
  );
}

function Dossiers({ items, id, title, empty }: { items: WorkDossier[]; id: string; title: string; empty: string }) {
  return (
    <Section id={id} title={`${title} (${items.length})`}>
      {items.length ? (
        <table class="table">
          <caption class="visually-hidden">{title}</caption>
          <thead><tr>
            <th scope="col">{t('sozialhilfe.client')}</th>
            <th scope="col">{t('sozialhilfe.case.state')}</th>
            <th scope="col">{t('sozialhilfe.case.opened_on')}</th>
          </tr></thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td><a href={shHref('cases', d.id)}>{d.last_name} {d.first_name}</a></td>
                <td><StateBadge state={d.state} /></td>
                <td>{formatDate(d.opened_on)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p>{empty}</p>}
    </Section>
  );
}

export function Worklist() {
  const app = useApp();
  const wl = useResource<WL>(app.can('case.read') ? '/api/v1/worklist' : null);
  return (
    <section>
      <ShNav current="" />
      <div class="page-head">
        <PageTitle>{t('sozialhilfe.worklist.title')}</PageTitle>
        {app.can('person.write') ? <a class="btn btn-primary" href={shHref('persons', 'new')}>{t('sozialhilfe.person.register')}</a> : null}
      </div>
      {!app.can('case.read') ? <p>{t('sozialhilfe.worklist.no_cases')}</p> : wl.error ? <ErrorBox error={wl.error} /> : !wl.data ? <Loading /> : (
        <>
          <div class="grid-2 sh-grid">
            <Deadlines id="wl-overdue" title={t('sozialhilfe.worklist.overdue')} items={wl.data.overdue} empty={t('sozialhilfe.worklist.none_overdue')} />
            <Deadlines id="wl-today" title={t('sozialhilfe.worklist.due_today')} items={wl.data.due_today} empty={t('sozialhilfe.worklist.none_today')} />
          </div>
          <Dossiers id="wl-new" title={t('sozialhilfe.worklist.newly_assigned')} items={wl.data.newly_assigned} empty={t('sozialhilfe.worklist.none_new')} />
          <Dossiers id="wl-open" title={t('sozialhilfe.worklist.open_dossiers')} items={wl.data.open_dossiers} empty={t('sozialhilfe.worklist.none_open')} />
        </>
      )}
    </section>
  );
}
