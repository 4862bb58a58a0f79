export type Role = 'viewer' | 'editor' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/** Who is acting: written into every audit entry. */
export interface Actor {
  /** Token name, or `local` when auth is off. */
  name: string;
  role: Role;
  tokenId: string | null;
}

export const LOCAL_ACTOR: Actor = { name: 'local', role: 'admin', tokenId: null };
export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'admin', tokenId: null };

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };
export const roleAllows = (has: Role, needs: Role): boolean => rank[has] >= rank[needs];
