import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './api';

export interface AppCtx {
  me: Me;
  /**
   * The tenant's enabled modules this user works with (holds one of the
   * permissions modules/access.ts names for it, else one of "<module>.*").
   */
  modules: string[];
  /** Does the signed-in user hold this permission? */
  can(permission: string): boolean;
  /** The role's name in the current language (from GET /roles), or its code. */
  roleName(code: string): string;
  /** Say something politely to screen readers and show it as a status line. */
  announce(message: string): void;
  /** Reload /me (after changes that affect the own account or modules). */
  refreshMe(): Promise<void>;
}

export const Ctx = createContext<AppCtx | null>(null);

export function useApp(): AppCtx {
  const c = useContext(Ctx);
  if (!c) throw new Error('useApp outside the signed-in shell');
  return c;
}
