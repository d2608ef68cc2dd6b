/**
 * How an entity's triples are listed: which ones hold at the time asked for, the name filters
 * and the order. The resolvers (src/schema/types/Entity.ts) turn these into Prisma arguments;
 * planned reads (src/planned-reads/catalog.ts) turn the same decisions into SQL, and
 * tests/planned-reads.test.ts requires both to answer alike for each validity and filter.
 */
import type { Prisma } from '../db/generated/client.ts';
import { normalizePredicate } from './predicates.ts';
import { normalizeGraphName } from './validation.ts';

/** The triples a list holds, by when they held. */
export type TripleValidity =
  /** What holds now: the open triples. */
  | { kind: 'current' }
  /** Every triple, held or not. */
  | { kind: 'any' }
  /** What held at `at`: in the triple's current period or in one of its earlier ones. */
  | { kind: 'at'; at: Date };

/** The time arguments of a triple list. */
export interface TripleTime {
  /** The moment asked for; wins over includeHistory. @default now */
  asOf?: Date | null;
  /** Without asOf: also the triples that no longer hold. @default false */
  includeHistory?: boolean | null;
}

/** Which triples a list holds: as of a moment, or now, unless the history is asked for. */
export function tripleValidity({ asOf, includeHistory }: TripleTime): TripleValidity {
  if (asOf) return { kind: 'at', at: asOf };
  return includeHistory ? { kind: 'any' } : { kind: 'current' };
}

/** The name filters of a triple list, as given (they are normalized as the names are stored). */
export interface TripleNames {
  subject?: string | null;
  predicate?: string | null;
  object?: string | null;
}

/** Name filters in their stored form; a name that is absent filters nothing. */
export interface StoredTripleNames {
  subject?: string;
  predicate?: string;
  object?: string;
}

/**
 * The stored form of each name filter given. An empty one filters nothing and is left out; one of
 * spaces only is kept (as the empty name, which no triple has).
 */
export function tripleNames(names: TripleNames): StoredTripleNames {
  return {
    ...(names.subject ? { subject: normalizeGraphName(names.subject) } : {}),
    ...(names.predicate ? { predicate: normalizePredicate(names.predicate) } : {}),
    ...(names.object ? { object: normalizeGraphName(names.object) } : {}),
  };
}

/** Most recently mentioned first; the id makes the order total. */
export const TRIPLE_ORDER = [
  ['lastMentionedAt', 'desc'],
  ['id', 'desc'],
] as const satisfies readonly (readonly [keyof Prisma.TripleOrderByWithRelationInput, 'desc'])[];

/** The triple order as Prisma's `orderBy`. */
export function tripleOrderBy(): Prisma.TripleOrderByWithRelationInput[] {
  return TRIPLE_ORDER.map(([field, direction]) => ({ [field]: direction }));
}

/** A validity as Prisma's `where`. */
function validityWhere(validity: TripleValidity): Prisma.TripleWhereInput {
  switch (validity.kind) {
    case 'current':
      return { validTo: null };
    case 'any':
      return {};
    case 'at': {
      const { at } = validity;
      return {
        OR: [
          { validFrom: { lte: at }, OR: [{ validTo: null }, { validTo: { gt: at } }] },
          { intervals: { some: { validFrom: { lte: at }, validTo: { gt: at } } } },
        ],
      };
    }
  }
}

/** A triple list's time and name arguments as Prisma's `where`. */
export function triplesWhere(args: TripleTime & TripleNames): Prisma.TripleWhereInput {
  const names = tripleNames(args);
  return {
    ...validityWhere(tripleValidity(args)),
    ...(names.subject !== undefined ? { subject: { name: names.subject } } : {}),
    ...(names.predicate !== undefined ? { predicate: { name: names.predicate } } : {}),
    ...(names.object !== undefined ? { object: { name: names.object } } : {}),
  };
}
