// The burden-sharing report (Lastenausgleich) per period: sums only.
import { t } from '../i18n';
import { PageTitle } from '../components/ui';

export function BurdenSharing() {
  return <section><PageTitle>{t('burden.title')}</PageTitle></section>;
}
