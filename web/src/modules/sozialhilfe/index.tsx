// The Sozialhilfe module's contribution (modules/types.ts): its tabs of the
// dossier shell (checklist, goals, budgets, decisions, account between the
// casework ones), its screens under #/m/sozialhilfe/… (approvals, letters,
// the budget editor, print views), its navigation entries, vocabularies,
// its part of the work list and of the payments screen (one-off payments
// waiting for approval). Persons, households, the dossier shell, the work
// list and the payment runs are casework's.
import type { VNode } from 'preact';
import { t } from '../../i18n';
import { useApp, type AppCtx } from '../../ctx';
import { useResource } from '../../lib/hooks';
import { ErrorBox } from '../../components/ui';
import { caseworkTabs, sectionLabel } from '../../casework/Dossier';
import { Missing, Refused } from '../../casework/routes';
import type { DossierTab, ModuleContribution, TabProps } from '../types';
import type { Approvals as ApprovalsData, Dossier } from './types';
import { CHECKLIST_CODES, CLOSURE_REASONS } from './types';
import { Section, shHref } from './common';
import { GoalsTab } from './Tabs';
import { ChecklistTab } from '../../casework/Checklist';
import { BudgetEditor, BudgetsTab, DecisionsTab, LedgerTab, OneOffsWaiting } from './Money';
import { Approvals } from './Approvals';
import { LettersPage } from './Letters';
import { LetterBatch } from './LetterBatch';
import { DossierActions, PRINT_KINDS, PrintHeader, PrintView, type PrintKind } from './Print';

const sec = (name: string) => sectionLabel(name, 'sozialhilfe');
const own = {
  checklist: { name: 'checklist', label: sec('checklist'), view: (p: TabProps) => <ChecklistTab dossier={p.dossier} reloadDossier={p.reloadDossier} module="sozialhilfe" codes={CHECKLIST_CODES} /> },
  goals: { name: 'goals', label: sec('goals'), view: (p: TabProps) => <GoalsTab dossier={p.dossier} /> },
  budgets: { name: 'budgets', label: sec('budgets'), view: (p: TabProps) => <BudgetsTab dossier={p.dossier} /> },
  decisions: { name: 'decisions', label: sec('decisions'), view: (p: TabProps) => <DecisionsTab dossier={p.dossier} reloadDossier={p.reloadDossier} /> },
  account: { name: 'account', label: sec('account'), view: (p: TabProps) => <LedgerTab dossier={p.dossier} /> },
} satisfies Record<string, DossierTab>;

function tabs(_x: Dossier, app: AppCtx): DossierTab[] {
  const c = caseworkTabs;
  return [c.overview, c.household, own.checklist, c.journal, own.goals, own.budgets, own.decisions,
    ...(app.can('ledger.read') ? [own.account] : []), c.documents, c.deadlines, c.transfer];
}

/** Its own screens; null for the casework ones. */
function routes(rest: string[], key: string, app: AppCtx): VNode | null {
  const [a, b, c, ...more] = rest;
  const num = (x: string | undefined) => !!x && /^\d+$/.test(x);
  if (a === 'cases' && num(b) && (c === 'print' || c === 'letters' || c === 'budget-new')) {
    if (!app.can('case.read')) return <Refused key={key} />;
    if (c === 'print') return more.length === 1 && PRINT_KINDS.includes(more[0] as PrintKind)
      ? <PrintView key={key} id={b} kind={more[0] as PrintKind} /> : <Missing key={key} />;
    if (more.length) return <Missing key={key} />;
    if (c === 'letters') return app.can('case.write') ? <LettersPage key={key} id={b} /> : <Refused key={key} />;
    return app.can('case.write') ? <BudgetEditor key={key} id={b} /> : <Refused key={key} />;
  }
  if (a === 'letters') return !app.can('case.write') ? <Refused key={key} /> : b ? <Missing key={key} /> : <LetterBatch key={key} />;
  if (a === 'approvals') {
    if (!app.can('case.approve')) return <Refused key={key} />;
    return b ? <Missing key={key} /> : <Approvals key={key} />;
  }
  return null;
}

/** For a team lead, on the work list: how many records wait for approval. */
function Waiting() {
  const ap = useResource<ApprovalsData>('/api/v1/approvals');
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

/** On the work list: letters to several dossiers at once. */
function WorklistActions() {
  return useApp().can('case.write') ? <a class="btn btn-secondary" href={shHref('letters')}>{t('letters.batch.link')}</a> : null;
}

function WorklistSection() {
  return useApp().can('case.approve') ? <Waiting /> : null;
}

/** On the payments screen: one-off payments waiting for a team lead. */
function PaymentsSection() {
  return useApp().can('case.approve') ? <OneOffsWaiting /> : null;
}

export const sozialhilfe: ModuleContribution = {
  code: 'sozialhilfe',
  casework: true,
  tabs,
  routes,
  nav: [
    { path: 'approvals', label: () => t('dossier.approvals.nav'), visible: (app) => app.can('case.approve') },
  ],
  states: ['registration', 'intake', 'decision', 'ongoing', 'review', 'closed'],
  stateTones: { decision: 'warn', ongoing: 'ok', review: 'warn', closed: 'off' },
  closureReasons: CLOSURE_REASONS,
  dossierHeader: PrintHeader,
  dossierActions: DossierActions,
  worklistSection: WorklistSection,
  worklistActions: WorklistActions,
  paymentsSection: PaymentsSection,
  moneyTab: 'account',
  worklist: '/api/v1/worklist',
};
