// Views of domain modules. A module enabled for the tenant appears in the
// navigation (from /me's modules) at #/m/<module>; a module that brings its
// own screens registers them here (Sozialhilfe: modules/sozialhilfe/);
// for one without, the placeholder says plainly that it is switched on.
import type { FunctionComponent } from 'preact';
import { t, label } from '../i18n';
import { PageTitle } from '../components/ui';
import { SozialhilfeRoutes } from './sozialhilfe';
import { QuickSearch } from './sozialhilfe/QuickSearch';

export interface ModuleViewProps { module: string; rest: string[] }

/** module code -> its screens; the module's router gets the path after #/m/<code>/. */
export const moduleViews: Record<string, FunctionComponent<ModuleViewProps>> = {
  sozialhilfe: SozialhilfeRoutes,
};

/** module code -> its quick search in the top bar (shown when the module is on). */
export const moduleSearch: Record<string, FunctionComponent> = {
  sozialhilfe: QuickSearch,
};

function Placeholder({ module }: ModuleViewProps) {
  return (
    <section>
      <PageTitle>{label('module', module)}</PageTitle>
      <p>{t('module.placeholder', { module: label('module', module) })}</p>
    </section>
  );
}

export function ModuleView(p: ModuleViewProps) {
  const V = moduleViews[p.module] ?? Placeholder;
  return <V {...p} />;
}
