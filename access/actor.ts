import type { Role } from '../store/users.repo.ts';
import type { AuditActor } from '../store/audit.repo.ts';

export type { Role };

/** Who is making a request: a signed-in person, or a machine client holding a service token. */
export type Actor =
  | { type: 'user'; id: string; username: string; role: Role }
  | { type: 'service'; id: string; name: string; scopes: string[] };

/**
 * What a route allows. A user passes with one of `roles`; a service token with one of `scopes`.
 * Every route under /api declares this or `public: true`: least privilege is checked at start-up.
 */
export interface Access { roles?: Role[]; scopes?: string[] }

export function allows(access: Access, actor: Actor): boolean {
  if (actor.type === 'user') return access.roles?.includes(actor.role) ?? false;
  return access.scopes?.some((s) => actor.scopes.includes(s)) ?? false;
}

export function auditActor(actor: Actor): AuditActor {
  return { type: actor.type, id: actor.id };
}

/** Roles allowed to read a usuaria's ficha. Admins manage accounts, not victims' files. */
export const FICHA_READERS: Role[] = ['operator', 'coordinator'];
/** Roles allowed to open, close and restructure an expediente. */
export const CASE_MANAGERS: Role[] = ['coordinator'];
