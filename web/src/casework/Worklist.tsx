// The work list of every module the person works with: my deadlines due
// today and overdue, my open dossiers, the dossiers newly assigned to me,
// and the dossiers of my team (or, for a team lead, of the service) that
// nobody works on yet - registered without a case worker or arrived from
// another social service. Each module that serves a list names it
// (ModuleContribution.worklist; today Sozialhilfe's GET /api/v1/worklist);
// an item belongs to the module it names, else to the module that served
// it, and links to that module's dossier. When the items belong to
// several modules, each row names its module and a choice shows one
// module's. Modules add their own sections (Sozialhilfe: approvals).
import { useEffect, useState } from 'preact/hooks';
import { get, type ApiPath } from '../api';
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { useRetryAfterReauth } from '../lib/hooks';
import { Badge, ErrorBox, Loading, PageTitle, SelectField } from '../components/ui';
import { formatDate } from '../lib/format';
import type { ModuleContribution } from '../modules/types';
import type { WorkDeadline, WorkDossier, Worklist as WL } from './types';
import { mergeWorklists, worklistModules, worklistOf } from './worklist-merge';
import { ModuleNav, Section, StateBadge, deadlineText, modHref, useHref } from './common';

/** The module a row belongs to (a column while the list has several). */
const moduleCell = (code: string | undefined) => <td>{code ? label('module', code) : '–'}</td>;

function Deadlines({ items, id, title, empty, several }: { items: WorkDeadline[]; id: string; title: string; empty: string; several: boolean }) {
  return (
    <Section id={id} title={`${title} (${items.length})`}>
      {items.length ? (
        <table class="table">
          <caption class="visually-hidden">{title}</caption>
          <thead><tr>
            <th scope="col">{t('casework.deadline.due_on')}</th>
            <th scope="col">{t('casework.deadline.text')}</th>
            <th scope="col">{t('casework.client')}</th>
            {several ? <th scope="col">{t('casework.worklist.module')}</th> : null}
          </tr></thead>
          <tbody>
            {items.map((d) => (
              <tr key={`${d.module}-${d.id}`}>
                <td>{formatDate(d.due_on)}</td>
                <td>{deadlineText(d, d.module)}</td>
                <td><a href={modHref(d.module!, 'cases', d.dossier_id, 'deadlines')}>{d.client}</a> <span class="dossier-number small">{d.number}</span></td>
                {several ? moduleCell(d.module) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p>{empty}</p>}
    </Section>
  );
}

/** A dossier row's client cell unless its module renders its own. */
function defaultItem(d: WorkDossier, href: string) {
  return (
    <><a href={href}>{d.last_name} {d.first_name}</a>
      {d.transferred_from ? <> <Badge kind="info">{t('dossier.arrived_from', { from: d.transferred_from.split('/')[0] })}</Badge></> : null}</>
  );
}

function Dossiers({ items, id, title, empty, team, mods, several }: { items: WorkDossier[]; id: string; title: string; empty: string; team?: boolean; mods: Map<string, ModuleContribution>; several: boolean }) {
  return (
    <Section id={id} title={`${title} (${items.length})`}>
      {items.length ? (
        <table class="table">
          <caption class="visually-hidden">{title}</caption>
          <thead><tr>
            <th scope="col">{t('dossier.number')}</th>
            <th scope="col">{t('casework.client')}</th>
            <th scope="col">{t('casework.case.state')}</th>
            {team ? <th scope="col">{t('casework.case.team')}</th> : null}
            <th scope="col">{t('casework.case.opened_on')}</th>
            {several ? <th scope="col">{t('casework.worklist.module')}</th> : null}
          </tr></thead>
          <tbody>
            {items.map((d) => {
              const item = mods.get(d.module!)?.worklistItem ?? defaultItem;
              return (
                <tr key={`${d.module}-${d.id}`}>
                  <td class="dossier-number">{d.number}</td>
                  <td>{item(d, modHref(d.module!, 'cases', d.id))}</td>
                  <td><StateBadge state={d.state} module={d.module} /></td>
                  {team ? <td>{d.team ?? '–'}</td> : null}
                  <td>{formatDate(d.opened_on)}</td>
                  {several ? moduleCell(d.module) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : <p>{empty}</p>}
    </Section>
  );
}

/** Every enabled module's list, fetched once per source and merged. */
function useWorklist(mods: ModuleContribution[], on: boolean) {
  const sources = new Map<ApiPath<'get'>, string>();
  for (const m of mods) if (m.worklist && !sources.has(m.worklist)) sources.set(m.worklist, m.code);
  const key = [...sources.keys()].join(' ');
  const [data, setData] = useState<WL | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useRetryAfterReauth(error, () => setTick((x) => x + 1));
  useEffect(() => {
    if (!on) return;
    let live = true;
    Promise.all([...sources].map(([url, code]) => get<WL>(url).then((r) => ({ code, wl: r.data }))))
      .then((all) => { if (live) { setData(mergeWorklists(all)); setError(null); } })
      .catch((e) => { if (live) setError(e); });
    return () => { live = false; };
  }, [key, on, tick]);
  return { data, error };
}

export function Worklist({ modules }: { modules: ModuleContribution[] }) {
  const mh = useHref();
  const app = useApp();
  const mods = new Map(modules.map((m) => [m.code, m]));
  const wl = useWorklist(modules, app.can('case.read'));
  const [only, setOnly] = useState('');
  // Items of several modules: each row names its module, and the list
  // shows one module's on request.
  const present = wl.data ? worklistModules(wl.data) : [];
  const several = present.length > 1;
  const shown = wl.data ? worklistOf(wl.data, several ? only : '') : null;
  return (
    <section>
      <ModuleNav current="" />
      <div class="page-head">
        <PageTitle>{t('casework.worklist.title')}</PageTitle>
        {app.can('person.write') ? <a class="btn btn-primary" href={mh('persons', 'new')}>{t('casework.person.register')}</a> : null}
        {modules.map((m) => { const A = m.worklistActions; return A ? <A key={m.code} /> : null; })}
      </div>
      {!app.can('case.read') ? <p>{t('casework.worklist.no_cases')}</p> : wl.error ? <ErrorBox error={wl.error} /> : !shown ? <Loading /> : (
        <>
          {several ? (
            <div class="card inline-form" role="group" aria-label={t('casework.worklist.filter')}>
              <SelectField label={t('casework.worklist.module')} value={only} onChange={setOnly}
                options={[{ value: '', label: t('casework.worklist.all_modules') }, ...present.map((m) => ({ value: m, label: label('module', m) }))]} />
            </div>
          ) : null}
          {modules.map((m) => { const S = m.worklistSection; return S ? <S key={m.code} /> : null; })}
          <div class="grid-2 sh-grid">
            <Deadlines id="wl-overdue" title={t('casework.worklist.overdue')} items={shown.overdue} empty={t('casework.worklist.none_overdue')} several={several} />
            <Deadlines id="wl-today" title={t('casework.worklist.due_today')} items={shown.due_today} empty={t('casework.worklist.none_today')} several={several} />
          </div>
          <Dossiers id="wl-new" title={t('casework.worklist.newly_assigned')} items={shown.newly_assigned} empty={t('casework.worklist.none_new')} mods={mods} several={several} />
          {app.can('case.write') ? (
            <Dossiers id="wl-unassigned" title={t('dossier.unassigned.title')} items={shown.unassigned} empty={t('dossier.unassigned.none')} team mods={mods} several={several} />
          ) : null}
          <Dossiers id="wl-open" title={t('casework.worklist.open_dossiers')} items={shown.open_dossiers} empty={t('casework.worklist.none_open')} mods={mods} several={several} />
        </>
      )}
    </section>
  );
}
