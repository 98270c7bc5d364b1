// The casework layer's vocabularies (deadline kinds, journal and document
// categories, payment kinds) as the server lists them (GET /api/v1/vocabularies: the
// core's codes and those of the modules switched on for the service), so
// the web app keeps no list of its own. A code's words are its module's
// (<module>.<dkind|jcat|dcat|pkind>.<code>, in the module's message file) or,
// for the core's codes, casework's (casework.<…>.<code>).
import { tOpt } from '../i18n';
import { useResource } from '../lib/hooks';

export type VocabDomain = 'deadline_kind' | 'journal_category' | 'document_category' | 'payment_kind';
export interface VocabEntry { code: string; module: string | null }
export type Vocabularies = Record<VocabDomain, VocabEntry[]>;

const SHORT: Record<VocabDomain, string> = { deadline_kind: 'dkind', journal_category: 'jcat', document_category: 'dcat', payment_kind: 'pkind' };

/** The words of a code: of the module that declared it (the entry's, else
 *  the one given), else casework's; undefined when there are none. */
export function vocabText(domain: VocabDomain, code: string, module?: string | null, v?: Vocabularies | null): string | undefined {
  const s = SHORT[domain];
  const owner = v?.[domain]?.find((e) => e.code === code)?.module ?? module;
  return (owner ? tOpt(`${owner}.${s}.${code}`) : undefined) ?? tOpt(`casework.${s}.${code}`);
}

/** The codes a dossier of `module` takes: the core's and its module's, in
 *  the server's order with "other" last. */
export function vocabCodes(v: Vocabularies | null, domain: VocabDomain, module: string): string[] {
  const codes = (v?.[domain] ?? []).filter((e) => e.module === null || e.module === module).map((e) => e.code);
  return [...codes.filter((c) => c !== 'other'), ...codes.filter((c) => c === 'other')];
}

/** The vocabularies of the signed-in person's service. */
export function useVocabularies() {
  return useResource<Vocabularies>('/api/v1/vocabularies');
}
