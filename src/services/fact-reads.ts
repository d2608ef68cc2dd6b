/**
 * How an entity's facts are listed: the orders a caller may ask for and the filters. The
 * resolvers (src/schema/types/Entity.ts) turn these into Prisma arguments; planned reads
 * (src/planned-reads/catalog.ts) turn the same order into SQL, and tests/planned-reads.test.ts
 * requires both to answer alike for every order.
 */
import type { FactCategory } from '../db/enums.ts';
import type { Prisma } from '../db/generated/client.ts';
import { escapeLike } from '../db/like.ts';

/** A sort key of facts: a field of EntityFact and its direction. */
export type FactSortKey = readonly [field: 'lastMentionedAt' | 'mentionCount' | 'createdAt' | 'id', 'desc'];

/**
 * The orders of an entity's facts, most significant key first. Each ends with the id, so the
 * order is total and cursors page through it without skipping or repeating a fact.
 */
export const FACT_ORDERS = {
  /** Most recently mentioned first. */
  RECENT: [
    ['lastMentionedAt', 'desc'],
    ['id', 'desc'],
  ],
  /** Most mentioned first, then most recently mentioned. */
  MENTIONS: [
    ['mentionCount', 'desc'],
    ['lastMentionedAt', 'desc'],
    ['id', 'desc'],
  ],
  /** Newest first. */
  CREATED: [
    ['createdAt', 'desc'],
    ['id', 'desc'],
  ],
} as const satisfies Record<string, readonly FactSortKey[]>;

export type FactOrder = keyof typeof FACT_ORDERS;

/** The order when the caller names none. */
export const DEFAULT_FACT_ORDER: FactOrder = 'RECENT';

/** An order of facts as Prisma's `orderBy`. */
export function factOrderBy(
  order: FactOrder | null | undefined,
): Prisma.EntityFactOrderByWithRelationInput[] {
  return FACT_ORDERS[order ?? DEFAULT_FACT_ORDER].map(([field, direction]) => ({ [field]: direction }));
}

/** The filters of an entity's fact list. */
export interface FactFilter {
  category?: FactCategory | null;
  /** Text the content contains, literally. */
  contains?: string | null;
}

/** A fact filter as Prisma's `where`. */
export function factsWhere(filter: FactFilter): Prisma.EntityFactWhereInput {
  return {
    ...(filter.category ? { category: filter.category } : {}),
    // Literal text: `%` and `_` are not wildcards (src/db/like.ts).
    ...(filter.contains ? { content: { contains: escapeLike(filter.contains) } } : {}),
  };
}
