import { ForbiddenError } from '../errors.ts';

/**
 * Who is calling. Every request carries one; services check it before touching an entity,
 * so scoping tokens can be added without changing resolvers.
 */
export type Principal =
  /** Full access: development mode or a server API key. */
  | { kind: 'admin'; name: string }
  /** A frontend token limited to one entity's memory. */
  | { kind: 'entity'; entityExternalId: string };

/** Throws unless the principal may read and write this entity's memory. */
export function assertEntityAccess(principal: Principal, entityExternalId: string): void {
  if (principal.kind === 'admin') return;
  if (principal.entityExternalId !== entityExternalId) throw new ForbiddenError();
}

/** Throws unless the principal has full access. */
export function assertAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw new ForbiddenError('requires an API key with full access');
}
