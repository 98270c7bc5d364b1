// The Sozialhilfe screens' links: #/m/sozialhilfe/<parts…>; the shared
// pieces (fields, sections, navigation) come from casework/common.tsx.
import { modHref } from '../../casework/common';

export * from '../../casework/common';
export { ModuleNav as ShNav } from '../../casework/common';
export const M = 'sozialhilfe';
/** #/m/sozialhilfe/<parts…> */
export const shHref = (...parts: (string | number)[]) => modHref(M, ...parts);
