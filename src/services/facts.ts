import { createHash } from 'node:crypto';
import { z } from 'zod';
import { assertEntityAccess, type Principal } from '../auth/principal.ts';
import type { EntityFact } from '../db/generated/client.ts';
import type { ChangeKind } from '../events/pubsub.ts';
import { inTransaction, resolveSourceMessage, type ServiceDeps, upsertEntity } from './context.ts';
import { NotFoundError } from './errors.ts';
import { contentSchema, externalIdSchema, parseInput } from './validation.ts';

export const FACT_CATEGORIES = ['FACT', 'PREFERENCE', 'SKILL', 'RELATIONSHIP', 'ATTRIBUTE'] as const;
export type FactCategoryName = (typeof FACT_CATEGORIES)[number];

export interface RememberFactInput {
  entity: string;
  content: string;
  category?: FactCategoryName | null;
  /** Database id of the message the fact came from (provenance). */
  sourceMessageId?: number | null;
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
    category: z.enum(FACT_CATEGORIES).nullish(),
    sourceMessageId: z.number().int().positive().nullish(),
  });
}

/**
 * Remembers a fact about an entity. The same content again (by hash, per entity) does not add a
 * row: it counts one more mention and moves `lastMentionedAt`.
 */
export async function rememberFact(
  deps: ServiceDeps,
  principal: Principal,
  raw: RememberFactInput,
): Promise<FactChange> {
  const input = parseInput(inputSchema(deps), raw);
  assertEntityAccess(principal, input.entity);
  const contentHash = factContentHash(input.content);

  const change = await inTransaction(deps, async (tx) => {
    const entity = await upsertEntity(tx, input.entity);
    const source = await resolveSourceMessage(tx, input.sourceMessageId, entity.id);
    const now = new Date();
    const fact = await tx.entityFact.upsert({
      where: { entityId_contentHash: { entityId: entity.id, contentHash } },
      create: {
        entityId: entity.id,
        content: input.content,
        contentHash,
        category: input.category ?? 'FACT',
        lastMentionedAt: now,
        createdAt: now,
      },
      update: { mentionCount: { increment: 1 }, lastMentionedAt: now },
    });
    if (source) await tx.factMention.create({ data: { factId: fact.id, ...source } });
    const kind: ChangeKind = fact.mentionCount === 1 ? 'CREATED' : 'MENTIONED';
    return { kind, fact, entity: input.entity };
  });

  deps.events.publish('fact-changed', input.entity, change);
  return change;
}

/** Deletes a fact and its provenance. */
export async function forgetFact(
  deps: ServiceDeps,
  principal: Principal,
  factId: number,
): Promise<FactChange> {
  const forgotten = await inTransaction(deps, async (tx) => {
    const found = await tx.entityFact.findUnique({
      where: { id: factId },
      include: { entity: { select: { externalId: true } } },
    });
    if (!found) throw new NotFoundError('Fact', String(factId));
    assertEntityAccess(principal, found.entity.externalId);
    await tx.entityFact.delete({ where: { id: factId } });
    const { entity, ...fact } = found;
    return { fact, entityExternalId: entity.externalId };
  });
  const change: FactChange = { kind: 'FORGOTTEN', fact: forgotten.fact, entity: forgotten.entityExternalId };
  deps.events.publish('fact-changed', forgotten.entityExternalId, change);
  return change;
}
