// The casework screens under #/m/<module>/…, for every module that uses
// them (ModuleContribution.casework): the work list at the module's root,
// persons, households, the dossier shell, payment runs and bank files
// (one run pays every module's lines). The module's own screens
// (routes) answer first; a path neither knows is "not found".
import { t } from '../i18n';
import { useApp } from '../ctx';
import { PageTitle } from '../components/ui';
import type { ModuleContribution } from '../modules/types';
import { ModuleNav } from './common';
import { Worklist } from './Worklist';
import { PersonSearch, PersonView, RegisterPerson } from './Persons';
import { HouseholdView } from './Household';
import { CaseList, CaseNew, DossierView } from './Dossier';
import { BankFileView, PaymentRuns, PaymentRunView } from './Payments';

export function Refused() {
  return <section><ModuleNav current="" /><PageTitle>{t('noaccess.title')}</PageTitle><p>{t('noaccess.text')}</p></section>;
}
export function Missing() {
  return <section><ModuleNav current="" /><PageTitle>{t('notfound.title')}</PageTitle><p>{t('notfound.text')}</p></section>;
}

/** The page for the path after #/m/<mod.code>/. */
export function CaseworkRoutes({ mod, rest, enabled }: { mod: ModuleContribution; rest: string[]; enabled: ModuleContribution[] }) {
  const app = useApp();
  const [a, b, c, ...more] = rest;
  const key = rest.join('/');
  const own = mod.routes?.(rest, key, app);
  if (own) return own;
  const num = (x: string | undefined) => !!x && /^\d+$/.test(x);
  const pays = app.can('payment.run') || app.can('payment.approve');
  // Someone who only runs payments starts at the payment runs.
  if (!a) return !app.can('case.read') && !app.can('person.read') && pays
    ? <PaymentRuns key={key} /> : <Worklist key={key} modules={enabled.filter((m) => m.casework)} />;
  if (a === 'persons') {
    if (!app.can('person.read')) return <Refused key={key} />;
    if (!b) return <PersonSearch key={key} />;
    if (b === 'new') return app.can('person.write') ? <RegisterPerson key={key} /> : <Refused key={key} />;
    return num(b) && !c ? <PersonView key={key} id={b} /> : <Missing key={key} />;
  }
  if (a === 'households') {
    if (!app.can('person.read')) return <Refused key={key} />;
    return num(b) && !c ? <HouseholdView key={key} id={b} /> : <Missing key={key} />;
  }
  if (a === 'cases') {
    if (!app.can('case.read')) return <Refused key={key} />;
    if (!b) return <CaseList key={key} />;
    if (b === 'new') return app.can('case.register') ? <CaseNew key={key} /> : <Refused key={key} />;
    if (!num(b) || more.length) return <Missing key={key} />;
    // One dossier view for all tabs: switching keeps it (and its data).
    // A tab the module does not have is "not found" inside the shell.
    return <DossierView key={`case-${b}-${c ?? 'overview'}`} id={b} tab={c ?? 'overview'} />;
  }
  if (a === 'payments') {
    if (!pays) return <Refused key={key} />;
    if (!b) return <PaymentRuns key={key} />;
    if (b === 'files') return app.can('payment.run') && num(c) && !more.length ? <BankFileView key={key} id={c!} /> : <Missing key={key} />;
    return num(b) && !c ? <PaymentRunView key={key} id={b} /> : <Missing key={key} />;
  }
  return <Missing key={key} />;
}
