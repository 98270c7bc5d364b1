// The Alimentenhilfe module's contribution (modules/types.ts): collection
// help and advances of child support. Its dossiers are casework's (work
// list, persons, the dossier shell); it adds the application's checklist
// and its own tabs: the maintenance title with creditors and age steps,
// the schedule per creditor and month, advance decisions, collection
// (debtor payments, recovery) and enforcement. Its vocabulary's words
// (deadline kinds, payment kinds, document categories) and the states and
// closing reasons of its dossier kind are in de.json / fr.json.
import type { VNode } from 'preact';
import { t } from '../../i18n';
import { caseworkTabs, sectionLabel } from '../../casework/Dossier';
import { Missing, Refused } from '../../casework/routes';
import type { AppCtx } from '../../ctx';
import { ChecklistTab } from '../../casework/Checklist';
import type { Dossier } from '../../casework/types';
import type { DossierTab, ModuleContribution, TabProps } from '../types';
import { TitleTab } from './Title';
import { ScheduleTab } from './Schedule';
import { EnforcementTab } from './Enforcement';
import { AdvancesTab } from './Advances';
import { CollectionTab } from './Collection';
import { AhWorklistSection, AwaitingPage, NetCostPage } from './Lists';
import './alimente.css';

export const AH = 'alimente';
/** InkHV art. 9: what the application needs (the dossier kind's checklist). */
export const AH_CHECKLIST = ['title', 'power_of_attorney', 'assignment', 'outstanding_list', 'debtor_address'] as const;
export const AH_CLOSURE_REASONS = ['claim_extinct', 'withdrawn', 'moved', 'uncollectable', 'regular_payment', 'breach'] as const;

const sec = (name: string) => sectionLabel(name, AH);
const own = {
  checklist: { name: 'checklist', label: sec('checklist'), view: (p: TabProps) => <ChecklistTab dossier={p.dossier} reloadDossier={p.reloadDossier} module={AH} codes={AH_CHECKLIST} /> },
  title: { name: 'title', label: sec('title'), view: (p: TabProps) => <TitleTab dossier={p.dossier} /> },
  schedule: { name: 'schedule', label: sec('schedule'), view: (p: TabProps) => <ScheduleTab dossier={p.dossier} /> },
  advances: { name: 'advances', label: sec('advances'), view: (p: TabProps) => <AdvancesTab dossier={p.dossier} /> },
  collection: { name: 'collection', label: sec('collection'), view: (p: TabProps) => <CollectionTab dossier={p.dossier} /> },
  enforcement: { name: 'enforcement', label: sec('enforcement'), view: (p: TabProps) => <EnforcementTab dossier={p.dossier} /> },
} satisfies Record<string, DossierTab>;

function tabs(_x: Dossier, app: AppCtx): DossierTab[] {
  const c = caseworkTabs;
  const read = app.can('alimente.read');
  return [c.overview, own.checklist, ...(read ? [own.title, own.schedule, own.advances, own.collection, own.enforcement] : []), c.household, c.journal,
    c.documents, c.deadlines, c.transfer];
}

/** Its own screens: the community's net cost, the advance decisions
 *  awaiting approval; null for the casework ones. */
function routes(rest: string[], key: string, app: AppCtx): VNode | null {
  if (rest[0] === 'advances') {
    if (!app.can('alimente.approve')) return <Refused key={key} />;
    return rest.length > 1 ? <Missing key={key} /> : <AwaitingPage key={key} />;
  }
  if (rest[0] !== 'net-cost') return null;
  if (!app.can('alimente.read')) return <Refused key={key} />;
  return rest.length > 1 ? <Missing key={key} /> : <NetCostPage key={key} />;
}

export const alimente: ModuleContribution = {
  code: 'alimente',
  casework: true,
  tabs,
  routes,
  nav: [{ path: 'advances', label: () => t('alimente.awaiting.nav'), visible: (app) => app.can('alimente.approve') },
    { path: 'net-cost', label: () => t('alimente.netcost.nav'), visible: (app) => app.can('alimente.read') }],
  worklistSection: AhWorklistSection,
  states: ['application', 'assessment', 'voluntary', 'enforcement', 'closed'],
  stateTones: { assessment: 'warn', voluntary: 'ok', enforcement: 'warn', closed: 'off' },
  closureReasons: AH_CLOSURE_REASONS,
  worklist: '/api/v1/worklist',
};
