// Which screen a route shows, and who may see it. A screen that needs a
// permission the user lacks is neither in the navigation nor reachable.
import type { VNode } from 'preact';
import { t, type MsgKey } from '../i18n';
import type { AppCtx } from '../ctx';
import type { Route } from '../router';
import { PageTitle } from '../components/ui';
import { Home } from './Home';
import { UsersList, UserNew, UserEdit } from './Users';
import { Tokens } from './Tokens';
import { TeamsList, TeamEdit } from './Teams';
import { TenantsList, TenantNew, TenantDetail } from './Tenants';
import { MunicipalitiesList, MunicipalityNew, MunicipalityEdit } from './Municipalities';
import { RulePacks, RulePackView } from './RulePacks';
import { Audit } from './Audit';
import { RuleData } from './RuleData';
import { BillingView } from './Billing';
import { BurdenSharing } from './BurdenSharing';
import { Invoices } from './Invoices';
import { Jobs, JobView } from './Jobs';
import { Retention, RetentionHold } from './Retention';
import { ModuleView } from '../modules';
import { Account } from './Account';
import { PaymentAccount } from './PaymentAccount';

interface Section {
  path: string;
  perm: string | null;
  nav: MsgKey;
}

/** The screens in navigation order, each with the permission it needs. */
export const sections: Section[] = [
  { path: '', perm: null, nav: 'nav.home' },
  { path: 'users', perm: 'tenant.users', nav: 'nav.users' },
  { path: 'teams', perm: 'tenant.teams', nav: 'nav.teams' },
  { path: 'tokens', perm: 'tenant.tokens', nav: 'nav.tokens' },
  { path: 'payment-account', perm: 'payment.account', nav: 'nav.payment_account' },
  { path: 'tenants', perm: 'canton.tenants', nav: 'nav.tenants' },
  { path: 'municipalities', perm: 'canton.municipalities', nav: 'nav.municipalities' },
  { path: 'rule-packs', perm: 'canton.rules', nav: 'nav.rule_packs' },
  { path: 'rule-data', perm: 'rules.data', nav: 'nav.rule_data' },
  { path: 'billing', perm: 'canton.billing', nav: 'nav.billing' },
  { path: 'burden-sharing', perm: 'canton.billing', nav: 'nav.burden_sharing' },
  { path: 'invoices', perm: 'invoice.read', nav: 'nav.invoices' },
  { path: 'audit', perm: 'audit.read', nav: 'nav.audit' },
  { path: 'jobs', perm: 'job.read', nav: 'nav.jobs' },
  { path: 'retention', perm: 'retention.read', nav: 'nav.retention' },
];

export function navItems(app: AppCtx): { href: string; label: string }[] {
  return sections.filter((s) => !s.perm || app.can(s.perm))
    .map((s) => ({ href: '#/' + s.path, label: t(s.nav) }));
}

function NotFound() {
  return (
    <section>
      <PageTitle>{t('notfound.title')}</PageTitle>
      <p>{t('notfound.text')}</p>
      <p><a href="#/">{t('notfound.home')}</a></p>
    </section>
  );
}

function NoAccess() {
  return (
    <section>
      <PageTitle>{t('noaccess.title')}</PageTitle>
      <p>{t('noaccess.text')}</p>
      <p><a href="#/">{t('notfound.home')}</a></p>
    </section>
  );
}

export function resolve(route: Route, app: AppCtx): VNode {
  const [a, b, ...rest] = route.parts;
  const key = route.path;
  if (!a) return <Home key={key} />;
  if (a === 'account') return b ? <NotFound key={key} /> : <Account key={key} />;
  if (a === 'm' && b) {
    if (!app.modules.includes(b)) return <NotFound key={key} />;
    return <ModuleView key={b} module={b} rest={rest} />;
  }
  const s = sections.find((x) => x.path === a);
  if (!s) return <NotFound key={key} />;
  if (s.perm && !app.can(s.perm)) return <NoAccess key={key} />;
  // The billing screens route below themselves (periods, runs).
  if (a === 'billing') return <BillingView key={key} parts={route.parts.slice(1)} />;
  if (rest.length) return <NotFound key={key} />;
  switch (a) {
    case 'users':
      if (!b) return <UsersList key={key} />;
      if (b === 'new') return <UserNew key={key} />;
      return /^\d+$/.test(b) ? <UserEdit key={key} id={b} /> : <NotFound key={key} />;
    case 'teams':
      if (!b) return <TeamsList key={key} />;
      return /^\d+$/.test(b) ? <TeamEdit key={key} id={b} /> : <NotFound key={key} />;
    case 'tokens':
      return b ? <NotFound key={key} /> : <Tokens key={key} />;
    case 'payment-account':
      return b ? <NotFound key={key} /> : <PaymentAccount key={key} />;
    case 'tenants':
      if (!b) return <TenantsList key={key} />;
      if (b === 'new') return <TenantNew key={key} />;
      return <TenantDetail key={key} slug={b} />;
    case 'municipalities':
      if (!b) return <MunicipalitiesList key={key} />;
      if (b === 'new') return <MunicipalityNew key={key} />;
      return /^\d+$/.test(b) ? <MunicipalityEdit key={key} bfs={b} /> : <NotFound key={key} />;
    case 'rule-packs':
      if (!b) return <RulePacks key={key} />;
      return /^\d+$/.test(b) ? <RulePackView key={key} id={b} /> : <NotFound key={key} />;
    case 'rule-data':
      return b ? <NotFound key={key} /> : <RuleData key={key} />;
    case 'burden-sharing':
      return b ? <NotFound key={key} /> : <BurdenSharing key={key} />;
    case 'invoices':
      return b ? <NotFound key={key} /> : <Invoices key={key} />;
    case 'audit':
      return b ? <NotFound key={key} /> : <Audit key={key} />;
    case 'jobs':
      if (!b) return <Jobs key={key} />;
      return /^\d+$/.test(b) ? <JobView key={key} id={b} /> : <NotFound key={key} />;
    case 'retention':
      if (!b) return <Retention key={key} />;
      return /^\d+$/.test(b) ? <RetentionHold key={key} id={b} /> : <NotFound key={key} />;
  }
  return <NotFound key={key} />;
}
