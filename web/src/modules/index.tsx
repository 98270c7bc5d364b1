// Views of domain modules. A module enabled for the tenant appears in the
// navigation (from /me's modules) at #/m/<module>. A module that brings
// screens registers its contribution (modules/types.ts) here, one line;
// one that uses casework gets the shared screens (casework/) under its
// prefix. For one without, the placeholder says plainly that it is on.
import { t, label } from '../i18n';
import { useApp } from '../ctx';
import { PageTitle } from '../components/ui';
import { EnabledModules, ModuleContext } from '../casework/common';
import { CaseworkRoutes } from '../casework/routes';
import { QuickSearch } from '../casework/QuickSearch';
import type { ModuleContribution } from './types';
import { sozialhilfe } from './sozialhilfe';
import { alimente } from './alimente';

export interface ModuleViewProps { module: string; rest: string[] }

/** Every module with screens, by code. */
export const moduleContributions: Record<string, ModuleContribution> = Object.fromEntries(
  [sozialhilfe, alimente].map((m) => [m.code, m]),
);

/** The enabled modules (of /me) that have screens, in /me's order. */
export function useEnabledModules(): ModuleContribution[] {
  return useApp().modules.map((m) => moduleContributions[m]).filter((m): m is ModuleContribution => !!m);
}

/** The quick search of the top bar: one for all casework modules. */
export function CaseworkSearch() {
  const first = useEnabledModules().find((m) => m.casework);
  if (!first) return null;
  return <ModuleContext.Provider value={first}><QuickSearch /></ModuleContext.Provider>;
}

function Placeholder({ module }: ModuleViewProps) {
  return (
    <section>
      <PageTitle>{label('module', module)}</PageTitle>
      <p>{t('module.placeholder', { module: label('module', module) })}</p>
    </section>
  );
}

export function ModuleView(p: ModuleViewProps) {
  const app = useApp();
  const enabled = useEnabledModules();
  const mod = moduleContributions[p.module];
  if (!mod) return <Placeholder {...p} />;
  return (
    <EnabledModules.Provider value={enabled}>
      <ModuleContext.Provider value={mod}>
        {mod.casework ? <CaseworkRoutes mod={mod} rest={p.rest} enabled={enabled} /> : mod.routes?.(p.rest, p.rest.join('/'), app) ?? <Placeholder {...p} />}
      </ModuleContext.Provider>
    </EnabledModules.Provider>
  );
}
