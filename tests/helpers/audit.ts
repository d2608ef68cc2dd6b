import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { expect } from 'vitest';
import type { TestServer } from './server.ts';

/** Three keys, named by their place: api-key-1 (admin), api-key-2 (service), api-key-3 (read). */
export const AUDIT_KEYS = { API_KEYS: 'admin-key, service:service-key, read:reader-key' };
export const as = (key: string) => ({ authorization: `Bearer ${key}` });
export const ADMIN = as('admin-key');
export const SERVICE = as('service-key');
export const READER = as('reader-key');

/** The columns a test compares of an entity's entries: everything but the id and the time. */
export function entriesOf(server: TestServer, entity: string) {
  return entriesWhere(server, { entityExternalId: entity });
}

/** The columns a test compares (everything but the id and the time) of the entries that match, oldest first. */
export async function entriesWhere(
  server: TestServer,
  where: { id?: { gt: number }; actor?: string; entityExternalId?: string },
) {
  const rows = await server.db.auditEntry.findMany({ where, orderBy: { id: 'asc' } });
  return rows.map(({ actorKind, actor, action, entityExternalId, target, address }) => ({
    actorKind,
    actor,
    action,
    entity: entityExternalId,
    target,
    address,
  }));
}

/** Runs a document and fails the test on any GraphQL error. */
export async function ok<R, V>(
  server: TestServer,
  document: TypedDocumentNode<R, V>,
  variables: V,
  headers: Record<string, string>,
): Promise<R> {
  const result = await server.request(document, variables, headers);
  expect(result.errors).toBeUndefined();
  return result.data as R;
}

/** Asserts that no audit entry holds any of these texts, in any column. */
export async function expectNoContent(server: TestServer, markers: string[]): Promise<void> {
  const rows = await server.db.auditEntry.findMany();
  expect(rows.length).toBeGreaterThan(0);
  const text = JSON.stringify(rows);
  for (const marker of markers) expect(text).not.toContain(marker);
}
