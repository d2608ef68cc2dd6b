import { clientProvider, type Tx } from '../db/client.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ServiceDeps } from './deps.ts';

/** Services write through the store's transaction client; re-exported so they need one import. */
export type { Tx };

/**
 * Errors a retry resolves: two transactions inserting the same new row (a unique violation from
 * an upsert that lost the race; Prisma's upsert is a read then a write), a write conflict or a
 * deadlock, or a row referred to that a concurrent transaction deleted (P2003: an entity erased,
 * or a shared name it no longer used, while this one wrote; the retry creates them again). The
 * whole transaction rolled back, so running it again is safe.
 */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'P2002' || code === 'P2034' || code === 'P2003') return true;
  return /deadlock|could not serialize|database is locked|SQLITE_BUSY/i.test(
    String((error as Error)?.message),
  );
}

/** @default 10 */
const MAX_ATTEMPTS = 10;

/**
 * READ COMMITTED on MySQL/MariaDB, as PostgreSQL has by default: a transaction that waited for a
 * row lock must then read what the other writer committed (InnoDB's default REPEATABLE READ keeps
 * the snapshot of its first read, so an update of a row committed meanwhile finds nothing).
 * SQLite runs one writer at a time and takes no isolation level.
 */
function transactionOptions(db: ServiceDeps['db']): { isolationLevel?: 'ReadCommitted' } {
  return clientProvider(db) === 'mysql' ? { isolationLevel: 'ReadCommitted' } : {};
}

/**
 * Runs `work` in one transaction, retrying it whole when a concurrent writer got there first.
 * No constraint error from a race ever reaches a client.
 * @param options.timeoutMs longest the transaction may run. @default 30000 (src/db/client.ts)
 */
export async function inTransaction<T>(
  deps: Pick<ServiceDeps, 'db'>,
  work: (tx: Tx) => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const settings = {
    ...transactionOptions(deps.db),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      // Typed by the default (SQLite) client, whose only isolation level is Serializable.
      return await deps.db.$transaction(work, settings as { maxWait?: number; timeout?: number });
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      // Jittered backoff so the racers do not collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 6)));
    }
  }
}

/** Creates the process on first use; idempotent on its external id. */
export function upsertProcess(tx: Tx, externalId: string) {
  return tx.process.upsert({ where: { externalId }, create: { externalId }, update: {} });
}

/** Creates the entity on first use; idempotent on its external id. */
export function upsertEntity(tx: Tx, externalId: string) {
  return tx.entity.upsert({ where: { externalId }, create: { externalId }, update: {} });
}

/**
 * Checks that a provenance message exists and belongs to the entity; returns its conversation id.
 * @returns null when no message is given
 */
export async function resolveSourceMessage(
  tx: Tx,
  messageId: number | null | undefined,
  entityId: number,
): Promise<{ messageId: number; conversationId: number } | null> {
  if (!messageId) return null;
  const message = await tx.conversationMessage.findUnique({
    where: { id: messageId },
    select: { conversationId: true, conversation: { select: { session: { select: { entityId: true } } } } },
  });
  if (!message) throw new NotFoundError('Message', String(messageId));
  if (message.conversation.session.entityId !== entityId) {
    throw new ValidationError(
      'the source message belongs to another entity',
      [{ path: 'source', message: 'belongs to another entity' }],
      'SOURCE_MISMATCH',
    );
  }
  return { messageId, conversationId: message.conversationId };
}
