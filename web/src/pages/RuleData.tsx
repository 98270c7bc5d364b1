// A tenant admin's own rule data (rent ceilings) within the canton's bounds.
import { t } from '../i18n';
import { PageTitle } from '../components/ui';

export function RuleData() {
  return <section><PageTitle>{t('ruledata.title')}</PageTitle></section>;
}
