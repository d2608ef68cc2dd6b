import { ForbiddenError } from '../errors.ts';

/**
 * What an API key may do, each role including the next: `admin` everything; `service` memory
 * operations for any entity but no administration (job queue, entity and process listings);
 * `read` the queries and subscriptions a service key may run, and no mutation.
 */
export const KEY_ROLES = ['admin', 'service', 'read'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** What an entity token allows on its entity: reading its memory, writing to it, or both. */
export const TOKEN_SCOPES = ['READ', 'WRITE'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/**
 * Who is calling. Every request carries one; the schema's type and field declarations
 * (src/schema/authorization.ts) and the services check it before touching an entity.
 */
export type Principal =
  /** A server API key (or development mode, an admin key nobody has to send). */
  | { kind: 'key'; role: KeyRole; name: string }
  /** A token limited to one entity's memory: Engram's own, or one from the identity provider. */
  | {
      kind: 'entity';
      entityExternalId: string;
      scopes: readonly TokenScope[];
      /** When the token stops being accepted; open sockets are closed then. */
      expiresAt: Date | null;
      /** Who signed it: Engram (`issueEntityToken`) or the configured identity provider. */
      issuer: 'engram' | 'identity-provider';
    };

/** The name a principal is counted and logged under: the key's name, or `entity:<external id>`. */
export function principalName(principal: Principal): string {
  return principal.kind === 'key' ? principal.name : `entity:${principal.entityExternalId}`;
}

/** Throws unless the principal may read and write this entity's memory. */
export function assertEntityAccess(principal: Principal, entityExternalId: string): void {
  if (!mayAccessEntity(principal, entityExternalId)) throw new ForbiddenError();
}

/** Whether the principal may reach this entity's memory: any key, or a token for that entity. */
export function mayAccessEntity(principal: Principal, entityExternalId: string): boolean {
  return principal.kind === 'key' || principal.entityExternalId === entityExternalId;
}

/** True for an API key of the admin role (development mode included). */
export function isAdmin(principal: Principal): boolean {
  return principal.kind === 'key' && principal.role === 'admin';
}

/** Throws unless the principal is an admin key. */
export function assertAdmin(principal: Principal): void {
  if (!isAdmin(principal)) throw new ForbiddenError('requires an API key with the admin role');
}

/** Throws unless the principal is an admin or service key (the keys that act for any entity). */
export function assertWriteKey(principal: Principal): void {
  if (principal.kind !== 'key' || principal.role === 'read') {
    throw new ForbiddenError('requires an API key with the admin or service role');
  }
}

/** True when the principal may only read: a key of the read role, or a token without WRITE. */
export function isReadOnly(principal: Principal): boolean {
  if (principal.kind === 'entity') return !principal.scopes.includes('WRITE');
  return principal.role === 'read';
}

/** True for an entity token without the READ scope: it may write, not read memory back. */
export function isWriteOnly(principal: Principal): boolean {
  return principal.kind === 'entity' && !principal.scopes.includes('READ');
}
