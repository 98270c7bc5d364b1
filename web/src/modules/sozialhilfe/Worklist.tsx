// The work list: my deadlines due today and overdue, my open dossiers,
// the dossiers newly assigned to me, and the dossiers of my team (or, for
// a team lead, of the service) that nobody works on yet - registered
// without a case worker or arrived from another social service
// (GET /api/v1/worklist). A team lead also sees how much waits for
// approval (GET /api/v1/approvals).
import { t } from '../../i18n';
import { useApp } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { Badge, ErrorBox, Loading, PageTitle } from '../../components/ui';
import { formatDate } from '../../lib/format';
import type { Approvals, WorkDeadline, WorkDossier, Worklist as WL } from './types';
import { Section, ShNav, StateBadge, deadlineText, shHref } from './common';

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
                <td>{deadlineText(d)}</td>
                <td><a href={shHref('cases', d.dossier_id, 'deadlines')}>{d.client}</a> <span class="dossier-number small">{d.number}</span></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p>{empty}</p>}
    </Section>
  );
}

function Dossiers({ items, id, title, empty, team }: { items: WorkDossier[]; id: string; title: string; empty: string; team?: boolean }) {
  return (
    <Section id={id} title={`${title} (${items.length})`}>
      {items.length ? (
        <table class="table">
          <caption class="visually-hidden">{title}</caption>
          <thead><tr>
            <th scope="col">{t('dossier.number')}</th>
            <th scope="col">{t('sozialhilfe.client')}</th>
            <th scope="col">{t('sozialhilfe.case.state')}</th>
            {team ? <th scope="col">{t('sozialhilfe.case.team')}</th> : null}
            <th scope="col">{t('sozialhilfe.case.opened_on')}</th>
          </tr></thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td class="dossier-number">{d.number}</td>
                <td><a href={shHref('cases', d.id)}>{d.last_name} {d.first_name}</a>
                  {d.transferred_from ? <> <Badge kind="info">{t('dossier.arrived_from', { from: d.transferred_from.split('/')[0] })}</Badge></> : null}</td>
                <td><StateBadge state={d.state} /></td>
                {team ? <td>{d.team ?? '–'}</td> : null}
                <td>{formatDate(d.opened_on)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p>{empty}</p>}
    </Section>
  );
}

/** For a team lead: how many records wait for approval, linking to the list. */
function Waiting() {
  const ap = useResource<Approvals>('/api/v1/approvals');
  if (ap.error) return <ErrorBox error={ap.error} />;
  if (!ap.data) return null;
  const n = ap.data.budgets.length + ap.data.decisions.length + ap.data.one_offs.length + ap.data.payment_runs.length;
  return (
    <Section id="wl-approvals" title={t('dossier.approvals.title')}>
      <p>{n ? t('dossier.approvals.waiting', { n }) : t('dossier.approvals.none')}{' '}
        {n ? <a href={shHref('approvals')}>{t('dossier.approvals.open')}</a> : null}</p>
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
        {app.can('case.write') ? <a class="btn btn-secondary" href={shHref('letters')}>{t('letters.batch.link')}</a> : null}
      </div>
      {!app.can('case.read') ? <p>{t('sozialhilfe.worklist.no_cases')}</p> : wl.error ? <ErrorBox error={wl.error} /> : !wl.data ? <Loading /> : (
        <>
          {app.can('case.approve') ? <Waiting /> : null}
          <div class="grid-2 sh-grid">
            <Deadlines id="wl-overdue" title={t('sozialhilfe.worklist.overdue')} items={wl.data.overdue} empty={t('sozialhilfe.worklist.none_overdue')} />
            <Deadlines id="wl-today" title={t('sozialhilfe.worklist.due_today')} items={wl.data.due_today} empty={t('sozialhilfe.worklist.none_today')} />
          </div>
          <Dossiers id="wl-new" title={t('sozialhilfe.worklist.newly_assigned')} items={wl.data.newly_assigned} empty={t('sozialhilfe.worklist.none_new')} />
          {app.can('case.write') ? (
            <Dossiers id="wl-unassigned" title={t('dossier.unassigned.title')} items={wl.data.unassigned} empty={t('dossier.unassigned.none')} team />
          ) : null}
          <Dossiers id="wl-open" title={t('sozialhilfe.worklist.open_dossiers')} items={wl.data.open_dossiers} empty={t('sozialhilfe.worklist.none_open')} />
        </>
      )}
    </section>
  );
}
