// Merging the work lists of the enabled modules (casework/Worklist.tsx),
// pure so that tests/browser/web-layout.test.mjs can run it: an item
// belongs to the module it names, else to the module whose list served
// it; several lists are merged by due date (one keeps the server's order).
// The list names its modules and shows one module's items on request.
import type { WorkDeadline, WorkDossier, Worklist } from './types';

export const WORKLIST_PARTS = ['due_today', 'overdue', 'open_dossiers', 'newly_assigned', 'unassigned'] as const;

export function mergeWorklists(parts: { code: string; wl: Partial<Worklist> }[]): Worklist {
  const out: Worklist = { due_today: [], overdue: [], open_dossiers: [], newly_assigned: [], unassigned: [] };
  for (const { code, wl } of parts)
    for (const k of WORKLIST_PARTS)
      for (const it of (wl[k] ?? []) as (WorkDeadline | WorkDossier)[])
        (out[k] as (WorkDeadline | WorkDossier)[]).push({ ...it, module: it.module ?? code });
  if (parts.length > 1) {
    const byDue = (a: WorkDeadline, b: WorkDeadline) => a.due_on.localeCompare(b.due_on);
    out.due_today.sort(byDue);
    out.overdue.sort(byDue);
  }
  return out;
}

/** The modules a work list's items belong to, in the order they first appear. */
export function worklistModules(wl: Worklist): string[] {
  const seen: string[] = [];
  for (const k of WORKLIST_PARTS)
    for (const it of wl[k] as (WorkDeadline | WorkDossier)[])
      if (it.module && !seen.includes(it.module)) seen.push(it.module);
  return seen;
}

/** Only the items of one module ('' for all). */
export function worklistOf(wl: Worklist, module: string): Worklist {
  if (!module) return wl;
  const out = { ...wl };
  for (const k of WORKLIST_PARTS)
    (out[k] as (WorkDeadline | WorkDossier)[]) = (wl[k] as (WorkDeadline | WorkDossier)[]).filter((it) => it.module === module);
  return out;
}
