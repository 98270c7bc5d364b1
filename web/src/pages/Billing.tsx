// The canton's cost allocation: periods, costs, key figures, runs, invoices.
import { t } from '../i18n';
import { PageTitle } from '../components/ui';

export function BillingView(_props: { parts: string[] }) {
  return <section><PageTitle>{t('billing.title')}</PageTitle></section>;
}
