import { ForbiddenError } from '../errors.ts';

/**
 * What an API key may do, each role including the next: `admin` everything; `service` memory
 * operations for any entity but no administration (job queue, entity and process listings);
 * `read` the queries and subscriptions a service key may run, and no mutation.
 */
export const KEY_ROLES = ['admin', 'service', 'read'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/**
 * Who is calling. Every request carries one; services check it before touching an entity,
 * so scoping tokens can be added without changing resolvers.
 */
export type Principal =
  /** A server API key (or development mode, an admin key nobody has to send). */
  | { kind: 'key'; role: KeyRole; name: string }
  /** A frontend token limited to one entity's memory. */
  | { kind: 'entity'; entityExternalId: string };

/** Throws unless the principal may read and write this entity's memory. */
export function assertEntityAccess(principal: Principal, entityExternalId: string): void {
  if (principal.kind === 'key') return;
  if (principal.entityExternalId !== entityExternalId) throw new ForbiddenError();
}

/** True for an API key of the admin role (development mode included). */
export function isAdmin(principal: Principal): boolean {
  return principal.kind === 'key' && principal.role === 'admin';
}

/** Throws unless the principal is an admin key. */
export function assertAdmin(principal: Principal): void {
  if (!isAdmin(principal)) throw new ForbiddenError('requires an API key with the admin role');
}

/** True when the principal may only read (a key of the read role). */
export function isReadOnly(principal: Principal): boolean {
  return principal.kind === 'key' && principal.role === 'read';
}
