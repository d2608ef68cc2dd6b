import { createHash } from 'node:crypto';
import { z } from 'zod';
import { assertEntityAccess } from '../auth/principal.ts';
import { FactCategory } from '../db/enums.ts';
import type { EntityFact } from '../db/generated/client.ts';
import { normalize } from '../embed/types.ts';
import { NotFoundError } from '../errors.ts';
import type { ChangeKind } from '../events/pubsub.ts';
import { vectorToBytes } from '../search/codec.ts';
import { type Actor, type AuditRecord, auditedTransaction } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { globalId } from './global-id.ts';
import { clearTombstones, recordTombstone } from './tombstones.ts';
import { resolveSourceMessage, type Tx, upsertEntity } from './transactions.ts';
import { contentSchema, externalIdSchema, labelSchema, memoSchema, parseInput } from './validation.ts';

export interface RememberFactInput {
  entity: string;
  content: string;
  category?: FactCategory | null;
  /** Database id of the message the fact came from (provenance). */
  sourceMessageId?: number | null;
  /** The caller's own embedding of the content (any scale; stored unit-length). */
  embedding?: number[] | null;
  /** Names the model of a caller's embedding. @default "external" */
  embeddingModel?: string | null;
}

export interface FactChange {
  kind: ChangeKind;
  fact: EntityFact;
  /** External id of the entity the fact belongs to. */
  entity: string;
}

/**
 * The dedupe key of a fact: case, accents' composition and spacing do not make a new fact.
 * "Lives in  Lisbon" and "lives in lisbon" are the same memory mentioned twice.
 */
export function factContentHash(content: string): string {
  const normalized = content.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(normalized).digest('hex');
}

function inputSchema(deps: ServiceDeps) {
  return z.object({
    entity: externalIdSchema,
    content: contentSchema(deps.limits.maxContentLength),
    category: z.enum(FactCategory).nullish(),
    sourceMessageId: z.number().int().positive().nullish(),
    embedding: z
      .array(z.number().refine(Number.isFinite, 'must be finite'))
      .length(deps.semantic.dimension, `must have ${deps.semantic.dimension} numbers (VECTOR_DIMENSIONS)`)
      .refine((values) => values.some((value) => value !== 0), 'must not be all zeros')
      .nullish(),
    embeddingModel: labelSchema(255),
  });
}

/** A vector to store with a fact, and the model it came from. */
interface FactVector {
  vector: Float32Array;
  model: string;
}

/**
 * The fact's vector: the caller's, else the embedder's when it is ready and the content is new
 * to this entity. A failing embedder does not fail the write: the fact is kept without a vector
 * (lexical recall still finds it) and `engram reindex --embed` fills it in later.
 */
async function factVector(
  deps: ServiceDeps,
  input: { entity: string; content: string; embedding?: number[] | null; embeddingModel?: string | null },
  contentHash: string,
): Promise<FactVector | null> {
  if (input.embedding) {
    return {
      vector: normalize(Float32Array.from(input.embedding)),
      model: input.embeddingModel ?? 'external',
    };
  }
  const embeddings = deps.embeddings;
  if (!embeddings) return null;
  if (embeddings.status().state !== 'ready') return null;
  const existing = await deps.reader.entityFact.findFirst({
    where: { contentHash, entity: { externalId: input.entity }, embeddingDim: deps.semantic.dimension },
    select: { id: true },
  });
  if (existing) return null;
  try {
    const [vector] = await embeddings.embed([input.content], 'document');
    const model = embeddings.status().model;
    if (!vector || !model || vector.length !== deps.semantic.dimension) return null;
    return { vector, model };
  } catch {
    return null;
  }
}

/** The existing fact of the entity this vector is a near-duplicate of, if any. */
async function nearDuplicate(
  deps: ServiceDeps,
  entity: string,
  vector: Float32Array,
): Promise<number | null> {
  const index = deps.index;
  if (!index || deps.semantic.dedupeSimilarity > 1 || index.status().state !== 'ready') return null;
  const found = await deps.reader.entity.findUnique({ where: { externalId: entity }, select: { id: true } });
  if (!found) return null;
  const [hit] = await index.search(found.id, vector, 1, deps.semantic.dedupeSimilarity);
  return hit?.factId ?? null;
}

/** Records, inside the writing transaction, that the index must pick up this fact's new state. */
export async function recordVectorChange(tx: Tx, entityId: number, factId: number | null): Promise<void> {
  await tx.vectorChange.create({ data: { entityId, factId } });
}

/**
 * Remembers a fact about an entity. The same content again (by hash, per entity) does not add a
 * row: it counts one more mention and moves `lastMentionedAt`. Content the entity had forgotten
 * is remembered again: the caller's explicit word clears its tombstone (augmentation's does not).
 */
export async function rememberFact(
  deps: ServiceDeps,
  actor: Actor,
  raw: RememberFactInput,
): Promise<FactChange> {
  const input = parseInput(
    memoSchema(`facts:${deps.limits.maxContentLength}:${deps.semantic.dimension}`, () => inputSchema(deps)),
    raw,
  );
  assertEntityAccess(actor.principal, input.entity);
  const prepared = await prepareFact(deps, input.entity, { ...input, category: input.category ?? 'FACT' });
  const audit = (stored: FactChange): AuditRecord => ({
    action: 'rememberFact',
    entity: input.entity,
    target: [globalId('Fact', stored.fact.id)],
  });
  const change = await auditedTransaction(deps, actor, audit, async (tx) => {
    const entity = await upsertEntity(tx, input.entity);
    const source = await resolveSourceMessage(tx, input.sourceMessageId, entity.id);
    await clearTombstones(tx, entity.id, 'fact', [prepared.contentHash]);
    return storeFact(tx, { id: entity.id, externalId: input.entity }, prepared, source);
  });

  await syncIndex(deps);
  deps.events.publish('fact-changed', input.entity, change);
  return change;
}

/** A fact ready to be written: its hash, and its vector and near-duplicate when there are. */
export interface PreparedFact {
  content: string;
  contentHash: string;
  category: FactCategory;
  embedded: FactVector | null;
  /** The existing fact this one is a near-duplicate of. */
  duplicateOf: number | null;
}

/**
 * The work before the transaction (embedding can take milliseconds to seconds, so it is not done
 * while holding a transaction open): the content masked (PII_REDACTION=storage), its hash, its
 * vector, and a near-duplicate.
 */
export async function prepareFact(
  deps: ServiceDeps,
  entity: string,
  input: {
    content: string;
    category: FactCategory;
    embedding?: number[] | null;
    embeddingModel?: string | null;
  },
): Promise<PreparedFact> {
  // Masked before anything is derived from it (PII_REDACTION=storage): the hash, the vector.
  const content = deps.storageMask ? deps.storageMask(input.content) : input.content;
  const contentHash = factContentHash(content);
  const embedded = await factVector(deps, { entity, ...input, content }, contentHash);
  const duplicateOf = embedded ? await nearDuplicate(deps, entity, embedded.vector) : null;
  return { content, contentHash, category: input.category, embedded, duplicateOf };
}

/**
 * Writes a prepared fact inside the caller's transaction: a new row, one more mention of the same
 * content, or one more mention of the near-duplicate it resembles; with provenance, and with a
 * vector_change row whenever the index must pick it up.
 */
export async function storeFact(
  tx: Tx,
  entity: { id: number; externalId: string },
  prepared: PreparedFact,
  source: { messageId: number; conversationId: number } | null,
  now = new Date(),
): Promise<FactChange> {
  const { embedded, duplicateOf, contentHash } = prepared;
  const vectorData = embedded
    ? {
        embedding: vectorToBytes(embedded.vector),
        embeddingModel: embedded.model,
        embeddingDim: embedded.vector.length,
      }
    : {};
  // A near-duplicate counts as one more mention of the fact it resembles (if it still exists).
  const merged = duplicateOf
    ? await tx.entityFact
        .update({
          where: { id: duplicateOf, entityId: entity.id },
          data: { mentionCount: { increment: 1 }, lastMentionedAt: now },
        })
        .catch((error: { code?: string }) => {
          if (error.code === 'P2025') return null;
          throw error;
        })
    : null;
  const fact =
    merged ??
    (await tx.entityFact.upsert({
      where: { entityId_contentHash: { entityId: entity.id, contentHash } },
      create: {
        entityId: entity.id,
        content: prepared.content,
        contentHash,
        category: prepared.category,
        lastMentionedAt: now,
        createdAt: now,
        ...vectorData,
      },
      update: { mentionCount: { increment: 1 }, lastMentionedAt: now, ...vectorData },
    }));
  if (source) await tx.factMention.create({ data: { factId: fact.id, ...source } });
  const kind: ChangeKind = fact.mentionCount === 1 ? 'CREATED' : 'MENTIONED';
  if (kind === 'CREATED' || (embedded && !merged)) await recordVectorChange(tx, entity.id, fact.id);
  return { kind, fact, entity: entity.externalId };
}

/**
 * Makes the caller's own write searchable before it is acknowledged. The change is already
 * committed with its vector_change row, so if this fails the index still catches up (on its next
 * pass, or from the change log after a crash): the write is not failed for it.
 */
export async function syncIndex(deps: ServiceDeps): Promise<void> {
  await deps.index?.sync().catch(() => {});
}

/**
 * Deletes a fact and its provenance, and keeps a tombstone of its content (a hash) so that
 * augmentation re-run over the messages it came from does not remember it again.
 */

export async function forgetFact(deps: ServiceDeps, actor: Actor, factId: number): Promise<FactChange> {
  const audit = (done: { entityExternalId: string }): AuditRecord => ({
    action: 'forgetFact',
    entity: done.entityExternalId,
    target: [globalId('Fact', factId)],
  });
  const forgotten = await auditedTransaction(deps, actor, audit, async (tx) => {
    const found = await tx.entityFact.findUnique({
      where: { id: factId },
      include: { entity: { select: { externalId: true } } },
    });
    if (!found) throw new NotFoundError('Fact', String(factId));
    assertEntityAccess(actor.principal, found.entity.externalId);
    // A concurrent forget may have deleted it since the read: the loser gets NOT_FOUND, as if it
    // had come second, instead of Prisma's P2025 from delete().
    const { count } = await tx.entityFact.deleteMany({ where: { id: factId } });
    if (count === 0) throw new NotFoundError('Fact', String(factId));
    await recordVectorChange(tx, found.entityId, factId);
    await recordTombstone(tx, found.entityId, 'fact', found.contentHash);
    const { entity, ...fact } = found;
    return { fact, entityExternalId: entity.externalId };
  });
  await syncIndex(deps);
  const change: FactChange = { kind: 'FORGOTTEN', fact: forgotten.fact, entity: forgotten.entityExternalId };
  deps.events.publish('fact-changed', forgotten.entityExternalId, change);
  return change;
}
