/**
 * Roles, each allowed what the ones before it are: viewers read, editors write, reviewers also sign off
 * evaluations before a gated promotion, admins also manage tokens and override release gates.
 */
export type Role = 'viewer' | 'editor' | 'reviewer' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'editor', 'reviewer', 'admin'];

/** Who is acting: written into every audit entry. */
export interface Actor {
  /** Token name, or `local` when auth is off. */
  name: string;
  role: Role;
  tokenId: string | null;
}

export const LOCAL_ACTOR: Actor = { name: 'local', role: 'admin', tokenId: null };
export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'admin', tokenId: null };

const rank: Record<Role, number> = { viewer: 0, editor: 1, reviewer: 2, admin: 3 };
export const roleAllows = (has: Role, needs: Role): boolean => rank[has] >= rank[needs];
