// What a domain module contributes to the web application: the casework
// screens (work list, persons, households, the dossier shell with journal,
// deadlines, documents and transfer, payment runs and bank files;
// web/src/casework/) are shared, and a
// module adds its own. A new module is one folder under modules/ with an
// index.tsx exporting a ModuleContribution, one line in modules/index.tsx,
// and its messages in modules/<code>/de.json and fr.json (found by the
// glob in i18n/index.ts). Its screens live under #/m/<code>/….
import type { ComponentChildren, FunctionComponent, VNode } from 'preact';
import type { ApiPath } from '../api';
import type { AppCtx } from '../ctx';
import type { Dossier, WorkDossier } from '../casework/types';

/** What a tab of the dossier shell gets. */
export interface TabProps {
  dossier: Dossier;
  etag: string | null;
  /** Reload the dossier (after a change that moves its state). */
  reloadDossier: () => void;
  /** Take a dossier the tab received (a PATCH answer) with its ETag. */
  setDossier: (d: Dossier, etag: string | null) => void;
}

/** The colour of a state's badge (components/ui.tsx Badge). */
export type StateTone = 'ok' | 'off' | 'warn' | 'info';

/** A tab of the dossier shell at #/m/<code>/cases/<id>/<name>. */
export interface DossierTab {
  name: string;
  label: () => string;
  view: FunctionComponent<TabProps>;
}

/** An entry of the module's navigation bar above its screens. */
export interface NavItem {
  /** Path after #/m/<code>/ ('' for the work list). */
  path: string;
  label: () => string;
  visible: (app: AppCtx) => boolean;
}

export interface ModuleContribution {
  /** The module code, as /me's modules name it. */
  code: string;
  /** Does it use the casework screens (work list, persons, dossiers)? */
  casework: boolean;
  /** The dossier's tabs in order, casework's (caseworkTabs) and its own. */
  tabs?: (dossier: Dossier, app: AppCtx) => DossierTab[];
  /** Its own screens: a page for the path after #/m/<code>/, or null when
   *  the path is not one of them (then the casework screens answer). */
  routes?: (rest: string[], key: string, app: AppCtx) => VNode | null;
  /** Entries after the casework ones (work list, persons, dossiers). */
  nav?: NavItem[];
  /** The states of its dossiers in their order (the list's filter; labels <code>.state.<s>). */
  states?: readonly string[];
  /** The colour of a state's badge where it is not "info" (the last state
   *  is "off" unless named here; casework/state-tone.ts). */
  stateTones?: Readonly<Record<string, StateTone>>;
  /** Closing reasons a dossier of this module takes (transition to closed). */
  closureReasons?: readonly string[];
  /** Printed header and actions (print views) of the dossier shell. */
  dossierHeader?: FunctionComponent<{ dossier: Dossier }>;
  dossierActions?: FunctionComponent<{ dossier: Dossier }>;
  /** Its buttons in the work list's head (e.g. letters to several dossiers). */
  worklistActions?: FunctionComponent;
  /** Its own part of the work list (e.g. what waits for approval). */
  worklistSection?: FunctionComponent;
  /** Its own part of the payments screen (#/m/<code>/payments, casework's;
   *  e.g. one-off payments waiting for approval). */
  paymentsSection?: FunctionComponent;
  /** The dossier tab with its money the payments screens link a dossier to
   *  (default: the dossier's overview). */
  moneyTab?: string;
  /** A work-list dossier row's client cell (default: link and origin). */
  worklistItem?: (item: WorkDossier, href: string) => ComponentChildren;
  /** Its work-list source when it serves one (GET, the casework shape). */
  worklist?: ApiPath<'get'>;
}
