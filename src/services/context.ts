import type { Env } from '../config/environment.ts';
import { clientProvider, type Db, type Tx } from '../db/client.ts';
import type { EmbeddingService } from '../embed/service.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { EngramPubSub } from '../events/pubsub.ts';
import type { VectorIndex } from '../vector/vector-index.ts';
import type { Limits } from './validation.ts';

/** How semantic memory behaves; every field comes from configuration. */
export interface SemanticSettings {
  /** Dimension of every vector the index holds (VECTOR_DIMENSIONS). */
  dimension: number;
  /**
   * A new fact whose embedding has at least this cosine similarity with an existing fact of the
   * same entity counts as another mention of it. Above 1 turns merging off.
   */
  dedupeSimilarity: number;
}

/** What every memory service needs: the database, the event bus and the limits. */
export interface ServiceDeps {
  db: Db;
  /** Where services read outside transactions (a read-only connection on SQLite). */
  reader: Db;
  events: EngramPubSub;
  limits: Limits;
  /** Turns text into vectors; null when EMBEDDING_PROVIDER=none. */
  embeddings: EmbeddingService | null;
  /** The per-entity vector and BM25 index; null when VECTOR_INDEX=off. */
  index: VectorIndex | null;
  semantic: SemanticSettings;
  /** Background augmentation; null when AUGMENTATION=off (no jobs are enqueued). */
  augmentation: AugmentationHook | null;
}

/** What writers need from augmentation: a job is enqueued in their transaction, then workers are woken. */
export interface AugmentationHook {
  /** Tells this process's workers that a job is waiting (others find it by polling). */
  wake(): void;
}

/** The services' dependencies as the configuration sets them (the server and `engram worker`). */
export function serviceDeps(
  env: Pick<
    Env,
    'MAX_CONTENT_LENGTH' | 'MAX_ITEMS_PER_CALL' | 'VECTOR_DIMENSIONS' | 'FACT_DEDUPE_SIMILARITY'
  >,
  parts: Pick<ServiceDeps, 'db' | 'reader' | 'events' | 'embeddings' | 'index'>,
): ServiceDeps {
  return {
    ...parts,
    limits: { maxContentLength: env.MAX_CONTENT_LENGTH, maxItemsPerCall: env.MAX_ITEMS_PER_CALL },
    semantic: { dimension: env.VECTOR_DIMENSIONS, dedupeSimilarity: env.FACT_DEDUPE_SIMILARITY },
    augmentation: null,
  };
}

/** Services write through the store's transaction client; re-exported so they need one import. */
export type { Tx };

/**
 * Errors a retry resolves: two transactions inserting the same new row (a unique violation from
 * an upsert that lost the race; Prisma's upsert is a read then a write), a write conflict or a
 * deadlock. The whole transaction rolled back, so running it again is safe.
 */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'P2002' || code === 'P2034') return true;
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
 */
export async function inTransaction<T>(
  deps: Pick<ServiceDeps, 'db'>,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Typed by the default (SQLite) client, whose only isolation level is Serializable.
      return await deps.db.$transaction(work, transactionOptions(deps.db) as { maxWait?: number });
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
