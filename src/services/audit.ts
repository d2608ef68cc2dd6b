import type { Principal } from '../auth/principal.ts';
import type { AuditActorKind } from '../db/enums.ts';
import type { AuditEntry, Prisma } from '../db/generated/client.ts';
import type { ServiceDeps } from './deps.ts';
import { inTransaction, type Tx } from './transactions.ts';

/**
 * Who calls a service: the principal, and the client address the request came from (null when
 * there is none, as for a command run on the server itself).
 */
export interface Actor {
  principal: Principal;
  address: string | null;
}

/** Engram itself, writing on nobody's request (the augmentation runner). */
export interface SystemActor {
  system: string;
}

export type AuditActor = Actor | SystemActor;

/** The actor of the augmentation runner's writes. */
export const AUGMENTATION_ACTOR: SystemActor = { system: 'augmentation' };

/** What one audit entry says happened. Ids and operation names only: never memory content. */
export interface AuditRecord {
  /**
   * The operation: the mutation's or administrative query's field name (`rememberFact`,
   * `entities`), `read` for an entity token's query, `augmentation` for the runner's writes.
   */
  action: string;
  /** External id of the entity the operation concerned, when it concerned one. */
  entity?: string | null;
  /** What it touched: global ids (for `read`, the root fields read). */
  target?: readonly string[] | null;
}

/** Longest address kept (an IPv6 address with a zone fits); a longer value is cut, not refused. */
const MAX_ADDRESS_LENGTH = 64;

function actorColumns(actor: AuditActor): {
  actorKind: AuditActorKind;
  actor: string;
  address: string | null;
} {
  if ('system' in actor) return { actorKind: 'SYSTEM', actor: actor.system, address: null };
  const address = actor.address?.slice(0, MAX_ADDRESS_LENGTH) ?? null;
  const { principal } = actor;
  return principal.kind === 'key'
    ? { actorKind: 'KEY', actor: principal.name, address }
    : { actorKind: 'ENTITY', actor: principal.entityExternalId, address };
}

/** The target column: the ids once each, in order, space-separated; null when there are none. */
function targetColumn(target: readonly string[] | null | undefined): string | null {
  const unique = [...new Set(target ?? [])];
  return unique.length > 0 ? unique.join(' ') : null;
}

/**
 * Inserts an audit entry through the caller's transaction client, so the entry commits with the
 * write it describes or not at all. Publish it after the commit ({@link publishAudit}).
 */
export function recordAudit(
  tx: Pick<Tx, 'auditEntry'>,
  actor: AuditActor,
  record: AuditRecord,
): Promise<AuditEntry> {
  return tx.auditEntry.create({
    data: {
      ...actorColumns(actor),
      action: record.action,
      entityExternalId: record.entity ?? null,
      target: targetColumn(record.target),
    },
  });
}

/** Tells `auditLogged` subscribers about a committed entry. */
export function publishAudit(deps: Pick<ServiceDeps, 'events'>, entry: AuditEntry): void {
  deps.events.publish('audit-logged', entry);
}

/**
 * Runs a write in one transaction (retried whole, as inTransaction does) together with its audit
 * entry, which `describe` derives from the write's result: both commit or neither does. The entry
 * is published once committed. `describe` returning null records nothing (the write did nothing).
 */
export async function auditedTransaction<T>(
  deps: Pick<ServiceDeps, 'db' | 'events'>,
  actor: AuditActor,
  describe: (result: T) => AuditRecord | null,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  const { result, entry } = await inTransaction(deps, async (tx) => {
    const result = await work(tx);
    const record = describe(result);
    return { result, entry: record ? await recordAudit(tx, actor, record) : null };
  });
  if (entry) publishAudit(deps, entry);
  return result;
}

/**
 * Records an operation that writes nothing else (a read, an issued token) and publishes it. The
 * caller awaits it before answering, so an operation whose entry cannot be stored fails instead of
 * going unrecorded.
 */
export async function recordAuditNow(
  deps: Pick<ServiceDeps, 'db' | 'events'>,
  actor: AuditActor,
  record: AuditRecord,
): Promise<AuditEntry> {
  const entry = await recordAudit(deps.db, actor, record);
  publishAudit(deps, entry);
  return entry;
}

/** The filters of the audit log (`auditLog`, `auditLogged`); each one given narrows it. */
export interface AuditFilter {
  /** Entries concerning this entity (external id). */
  entity?: string | null;
  /** Entries by this actor: a key's name, or an entity token's entity external id. */
  actor?: string | null;
  /** Entries of this operation. */
  action?: string | null;
  /** Entries at or after this instant. */
  since?: Date | null;
  /** Entries before this instant. */
  until?: Date | null;
}

/** The filter as a Prisma condition (the columns it uses are indexed). */
export function auditWhere(filter: AuditFilter): Prisma.AuditEntryWhereInput {
  return {
    ...(filter.entity != null ? { entityExternalId: filter.entity } : {}),
    ...(filter.actor != null ? { actor: filter.actor } : {}),
    ...(filter.action != null ? { action: filter.action } : {}),
    ...(filter.since || filter.until
      ? {
          at: {
            ...(filter.since ? { gte: filter.since } : {}),
            ...(filter.until ? { lt: filter.until } : {}),
          },
        }
      : {}),
  };
}

/** Whether an entry passes the filter: the same rule as {@link auditWhere}, for live entries. */
export function matchesAudit(entry: AuditEntry, filter: AuditFilter): boolean {
  return (
    (filter.entity == null || entry.entityExternalId === filter.entity) &&
    (filter.actor == null || entry.actor === filter.actor) &&
    (filter.action == null || entry.action === filter.action) &&
    (!filter.since || entry.at >= filter.since) &&
    (!filter.until || entry.at < filter.until)
  );
}
