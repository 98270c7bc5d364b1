// Which permissions let a person work with a module. A module whose
// permissions are named "<module>.*" (echo) needs no entry; Sozialhilfe
// works with the platform's case, person, ledger and payment permissions.
export const moduleAccess: Record<string, string[]> = {
  sozialhilfe: ['case.read', 'person.read', 'ledger.read', 'payment.run', 'payment.approve'],
};

/** Does someone holding these permissions work with the module? */
export function worksWith(module: string, permissions: string[]): boolean {
  const need = moduleAccess[module];
  if (need) return need.some((p) => permissions.includes(p));
  return permissions.some((p) => p.startsWith(`${module}.`));
}
