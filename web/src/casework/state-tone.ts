// The colour of a dossier's state badge, from its module's dossier kind
// (pure, so that tests/browser/web-layout.test.mjs can run it): the tone
// the module gives the state (ModuleContribution.stateTones), else by the
// order of its states: the last one (where a dossier ends, e.g. closed) is
// "off", every other one "info".
import type { ModuleContribution, StateTone } from '../modules/types';

export function stateTone(mod: Pick<ModuleContribution, 'states' | 'stateTones'>, state: string): StateTone {
  const own = mod.stateTones?.[state];
  if (own) return own;
  const s = mod.states ?? [];
  return s.length > 1 && s[s.length - 1] === state ? 'off' : 'info';
}
