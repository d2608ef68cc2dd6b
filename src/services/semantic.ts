import { z } from 'zod';
import { assertEntityAccess, type Principal } from '../auth/principal.ts';
import type { EntityFact } from '../db/generated/client.ts';
import { EmbeddingError, normalize } from '../embed/types.ts';
import { EngramError } from '../errors.ts';
import type { SearchIndex } from '../search/search-index.ts';
import type { ServiceDeps } from './deps.ts';
import { contentSchema, externalIdSchema, memoSchema, parseInput } from './validation.ts';

/** Cosine similarity below which semanticFacts drops a hit (the requirements' 0.1). */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.1;

export interface SemanticHit {
  similarity: number;
  fact: EntityFact;
}

export interface SemanticFactsInput {
  entity: string;
  query?: string | null;
  vector?: number[] | null;
  first?: number | null;
  threshold?: number | null;
}

function semanticSchema(deps: ServiceDeps, maxFirst: number) {
  const dimension = deps.semantic.dimension;
  return memoSchema(`semantic:${dimension}:${deps.limits.maxContentLength}:${maxFirst}`, () =>
    buildSemanticSchema(deps, maxFirst),
  );
}

function buildSemanticSchema(deps: ServiceDeps, maxFirst: number) {
  const dimension = deps.semantic.dimension;
  return z
    .object({
      entity: externalIdSchema,
      query: contentSchema(deps.limits.maxContentLength).nullish(),
      vector: z
        .array(z.number().refine(Number.isFinite, 'must be finite'))
        .length(dimension, `must have ${dimension} numbers (VECTOR_DIMENSIONS)`)
        .refine((values) => values.some((value) => value !== 0), 'must not be all zeros')
        .nullish(),
      first: z.number().int().min(1).max(maxFirst).default(10),
      threshold: z.number().min(-1).max(1).default(DEFAULT_SIMILARITY_THRESHOLD),
    })
    .refine((input) => Boolean(input.query) !== Boolean(input.vector), {
      message: 'give exactly one of query and vector',
      path: ['query'],
    });
}

export function requireIndex(deps: ServiceDeps): SearchIndex {
  if (!deps.index)
    throw new EngramError('INDEX_UNAVAILABLE', 'the vector index is turned off (VECTOR_INDEX=off)');
  return deps.index;
}

/** The query's unit vector: the caller's, or the configured model's embedding of the text. */
export async function queryVector(deps: ServiceDeps, query: string): Promise<Float32Array> {
  const embeddings = deps.embeddings;
  if (!embeddings) {
    throw new EmbeddingError(
      'no embedding model is configured (EMBEDDING_PROVIDER=none): pass a vector instead of a query',
      'EMBEDDING_UNAVAILABLE',
    );
  }
  const [vector] = await embeddings.embed([query], 'query');
  if (!vector || vector.length !== deps.semantic.dimension) {
    throw new EmbeddingError(
      `the embedding model gives ${vector?.length ?? 0} dimensions but the index holds ${deps.semantic.dimension} (VECTOR_DIMENSIONS)`,
      'EMBEDDING_FAILED',
    );
  }
  return vector;
}

/** The entity's database id, or null when it has no memory yet. */
export async function entityId(deps: ServiceDeps, externalId: string): Promise<number | null> {
  const entity = await deps.reader.entity.findUnique({ where: { externalId }, select: { id: true } });
  return entity?.id ?? null;
}

/**
 * The entity's facts with these ids, by id (ids deleted meanwhile are absent). The entity is part of the read, not only of the search: an
 * index that somehow holds another entity's id (a damaged or foreign snapshot) cannot show it.
 */
export async function factsById(
  deps: ServiceDeps,
  entityId: number,
  ids: number[],
): Promise<Map<number, EntityFact>> {
  const facts = await deps.reader.entityFact.findMany({ where: { id: { in: ids }, entityId } });
  return new Map(facts.map((fact) => [fact.id, fact]));
}

/**
 * The entity's facts nearest in meaning to a query text or vector, best first. Exact in scope:
 * only this entity's facts are searched, however many other entities there are.
 */
export async function semanticFacts(
  deps: ServiceDeps,
  principal: Principal,
  raw: SemanticFactsInput,
  maxFirst: number,
): Promise<SemanticHit[]> {
  const input = parseInput(semanticSchema(deps, maxFirst), raw);
  assertEntityAccess(principal, input.entity);
  const index = requireIndex(deps);
  const vector = input.vector
    ? normalize(Float32Array.from(input.vector))
    : await queryVector(deps, input.query as string);
  const id = await entityId(deps, input.entity);
  if (id === null) return [];
  const hits = await index.search(id, vector, input.first, input.threshold);
  const facts = await factsById(
    deps,
    id,
    hits.map((hit) => hit.factId),
  );
  return hits.flatMap((hit) => {
    const fact = facts.get(hit.factId);
    return fact ? [{ similarity: hit.similarity, fact }] : [];
  });
}
