// The Sozialhilfe module's screens under #/m/sozialhilfe/…
import { t } from '../../i18n';
import { useApp } from '../../ctx';
import { PageTitle } from '../../components/ui';
import { ShNav } from './common';
import type { ModuleViewProps } from '../index';
import { Worklist } from './Worklist';
import { PersonSearch, PersonView, RegisterPerson } from './Persons';
import { HouseholdView } from './Household';
import { CaseList, CaseNew, DossierView, SECTIONS, type SectionName } from './Dossier';
import { BudgetEditor } from './Money';
import { BankFileView, PaymentRuns, PaymentRunView } from './Payments';
import { Approvals } from './Approvals';
import { LettersPage } from './Letters';
import { LetterBatch } from './LetterBatch';
import { PRINT_KINDS, PrintView, type PrintKind } from './Print';

function Refused() {
  return <section><ShNav current="" /><PageTitle>{t('noaccess.title')}</PageTitle><p>{t('noaccess.text')}</p></section>;
}
function Missing() {
  return <section><ShNav current="" /><PageTitle>{t('notfound.title')}</PageTitle><p>{t('notfound.text')}</p></section>;
}

export function SozialhilfeRoutes({ rest }: ModuleViewProps) {
  const app = useApp();
  const [a, b, c, ...more] = rest;
  const key = rest.join('/');
  const num = (x: string | undefined) => !!x && /^\d+$/.test(x);
  if (!a) return app.can('case.read') || app.can('person.read') ? <Worklist key={key} /> : <PaymentRuns key={key} />;
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
    if (num(b) && c === 'print' && more.length === 1 && PRINT_KINDS.includes(more[0] as PrintKind))
      return <PrintView key={key} id={b} kind={more[0] as PrintKind} />;
    if (!num(b) || more.length) return <Missing key={key} />;
    if (c === 'letters') return app.can('case.write') ? <LettersPage key={key} id={b} /> : <Refused key={key} />;
    if (c === 'budget-new') return app.can('case.write') ? <BudgetEditor key={key} id={b} /> : <Refused key={key} />;
    const s = (c ?? 'overview') as SectionName;
    if (!SECTIONS.includes(s)) return <Missing key={key} />;
    // One dossier view for all sections: switching keeps it (and its data).
    return <DossierView key={`case-${b}-${s}`} id={b} section={s} />;
  }
  if (a === 'letters') return !app.can('case.write') ? <Refused key={key} /> : b ? <Missing key={key} /> : <LetterBatch key={key} />;
  if (a === 'approvals') {
    if (!app.can('case.approve')) return <Refused key={key} />;
    return b ? <Missing key={key} /> : <Approvals key={key} />;
  }
  if (a === 'payments') {
    if (!app.can('payment.run') && !app.can('payment.approve')) return <Refused key={key} />;
    if (!b) return <PaymentRuns key={key} />;
    if (b === 'files') return app.can('payment.run') && num(c) && !more.length ? <BankFileView key={key} id={c!} /> : <Missing key={key} />;
    return num(b) && !c ? <PaymentRunView key={key} id={b} /> : <Missing key={key} />;
  }
  return <Missing key={key} />;
}
