import { z } from 'zod';
import { assertEntityAccess, type Principal } from '../auth/principal.ts';
import type { ConversationMessage, EntityFact } from '../db/generated/client.ts';
import { EmbeddingError, normalize } from '../embed/types.ts';
import { EngramError } from '../errors.ts';
import type { SearchIndex } from '../search/search-index.ts';
import type { ServiceDeps } from './deps.ts';
import { factsSaidDuring, timeScores } from './recall-dates.ts';
import { timeSpansIn } from './recall-time.ts';
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

function requireIndex(deps: ServiceDeps): SearchIndex {
  if (!deps.index)
    throw new EngramError('INDEX_UNAVAILABLE', 'the vector index is turned off (VECTOR_INDEX=off)');
  return deps.index;
}

/** The query's unit vector: the caller's, or the configured model's embedding of the text. */
async function queryVector(deps: ServiceDeps, query: string): Promise<Float32Array> {
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
async function entityId(deps: ServiceDeps, externalId: string): Promise<number | null> {
  const entity = await deps.reader.entity.findUnique({ where: { externalId }, select: { id: true } });
  return entity?.id ?? null;
}

/** The facts with these ids, by id (ids deleted meanwhile are absent). */
async function factsById(deps: ServiceDeps, ids: number[]): Promise<Map<number, EntityFact>> {
  const facts = await deps.reader.entityFact.findMany({ where: { id: { in: ids } } });
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
    hits.map((hit) => hit.factId),
  );
  return hits.flatMap((hit) => {
    const fact = facts.get(hit.factId);
    return fact ? [{ similarity: hit.similarity, fact }] : [];
  });
}

/** How much each signal counts in a recall score; they are normalized to sum to 1. */
export interface RecallWeights {
  semantic: number;
  lexical: number;
  mentions: number;
  recency: number;
  time: number;
}

/**
 * The time weight counts only for a question that names a period ("on 4 December 2023", "last
 * week"); otherwise it is dropped and the rest renormalized.
 * @default semantic 0.6, lexical 0.25, mentions 0.1, recency 0.05, time 0.5
 */
export const DEFAULT_RECALL_WEIGHTS: RecallWeights = {
  semantic: 0.6,
  lexical: 0.25,
  mentions: 0.1,
  recency: 0.05,
  time: 0.5,
};

/** A fact last mentioned this long ago scores 0.5 on recency. */
export const RECENCY_HALF_LIFE_DAYS = 30;

/**
 * Candidates recall takes from each source (vector search and BM25), whatever `first` is (or
 * MAX_PAGE_SIZE when that is larger, so the biggest page can fill): the pool, and so every
 * hit's score and rank, must not depend on the page size asked.
 */
export const RECALL_CANDIDATES = 100;

export interface RecallBreakdown {
  /** Cosine similarity to the query (clamped at 0); null when no vector search was possible. */
  semantic: number | null;
  /** BM25 score divided by the best BM25 score of the entity's facts for this question (0..1). */
  lexical: number;
  /**
   * log(1 + mentions) / log(1 + most mentions among the candidates) (0..1); the candidates are
   * the same whatever `first` is (see {@link RECALL_CANDIDATES}).
   */
  mentions: number;
  /** 0.5^(days since last mention / 30) (0..1). */
  recency: number;
  /**
   * How near the fact's dates (when it was said, and the days its words name) are to the periods
   * the question names: 1 inside one, halving every few days away (0..1); null when the question
   * names no period.
   */
  time: number | null;
  /** What the time part matched: the question's words ~ the fact's date or words (the day). */
  timeMatch: string | null;
}

export interface RecallHit {
  score: number;
  fact: EntityFact;
  breakdown: RecallBreakdown;
  /** The messages the fact came from, newest first. */
  sources: ConversationMessage[];
}

export interface RecallInput {
  entity: string;
  query: string;
  first?: number | null;
  weights?: { [K in keyof RecallWeights]?: number | null } | null;
}

/**
 * Ranks an entity's facts for a question by a blend of meaning, words, mentions and recency:
 *
 *   score = w_s·semantic + w_l·lexical + w_m·mentions + w_r·recency   (weights normalized to 1)
 *
 * Candidates are the entity's top facts by vector similarity and by BM25 (each a fixed
 * {@link RECALL_CANDIDATES}, never a function of `first`), so a fact found only by its words or
 * only by its meaning can still win, and a page of 10 is exactly the first 10 of a page of 100:
 * the normalisers (the best BM25 score, the most mentions) come from that fixed pool too.
 * When no vector search is possible (no model loaded, or the entity has no vectors) the semantic
 * weight is dropped and the others are renormalized: a lexical fallback, reported as
 * `breakdown.semantic = null`.
 */
export async function recall(
  deps: ServiceDeps,
  principal: Principal,
  raw: RecallInput,
  maxFirst: number,
): Promise<RecallHit[]> {
  const input = parseInput(
    memoSchema(`recall:${deps.limits.maxContentLength}:${maxFirst}`, () => recallSchema(deps, maxFirst)),
    raw,
  );
  assertEntityAccess(principal, input.entity);
  return rankForRecall(deps, input, maxFirst);
}

function recallSchema(deps: ServiceDeps, maxFirst: number) {
  return z.object({
    entity: externalIdSchema,
    query: contentSchema(deps.limits.maxContentLength),
    first: z.number().int().min(1).max(maxFirst).default(10),
    weights: z
      .object({
        semantic: z.number().min(0).nullish(),
        lexical: z.number().min(0).nullish(),
        mentions: z.number().min(0).nullish(),
        recency: z.number().min(0).nullish(),
        time: z.number().min(0).nullish(),
      })
      .nullish(),
  });
}

async function rankForRecall(
  deps: ServiceDeps,
  input: z.output<ReturnType<typeof recallSchema>>,
  maxFirst: number,
): Promise<RecallHit[]> {
  const index = requireIndex(deps);
  const id = await entityId(deps, input.entity);
  if (id === null) return [];
  const pool = Math.max(RECALL_CANDIDATES, maxFirst);

  const vector = deps.embeddings?.status().state === 'ready' ? await queryVector(deps, input.query) : null;
  const [semanticHits, lexicalHits] = await Promise.all([
    vector ? index.search(id, vector, pool, -1) : Promise.resolve([]),
    index.lexicalSearch(id, input.query, pool),
  ]);
  const similarity = new Map(semanticHits.map((hit) => [hit.factId, hit.similarity]));
  const bm25 = new Map(lexicalHits.map((hit) => [hit.factId, hit.score]));
  // A fact found by its words only still has a meaning: score it by its real similarity, not 0.
  if (vector) {
    const wordsOnly = lexicalHits.map((hit) => hit.factId).filter((factId) => !similarity.has(factId));
    const exact = await index.similarities(id, vector, wordsOnly);
    wordsOnly.forEach((factId, i) => {
      const value = exact[i];
      if (value !== null && value !== undefined) similarity.set(factId, value);
    });
  }
  // Periods in the question are read against now ("last week"); facts said during them are
  // candidates too, found by their dates rather than their words.
  const asked = timeSpansIn(input.query, new Date());
  const saidThen = asked.length > 0 ? await factsSaidDuring(deps, id, asked, pool) : [];
  const candidateIds = [...new Set([...similarity.keys(), ...bm25.keys(), ...saidThen])];
  if (candidateIds.length === 0) return [];
  if (vector && saidThen.length > 0) {
    const unscored = saidThen.filter((factId) => !similarity.has(factId));
    const exact = await index.similarities(id, vector, unscored);
    unscored.forEach((factId, i) => {
      const value = exact[i];
      if (value !== null && value !== undefined) similarity.set(factId, value);
    });
  }
  const times = await timeScores(deps, asked, candidateIds);
  // Scoring needs only these columns; whole rows (content, embedding) are read for the page only.
  const candidates = await deps.reader.entityFact.findMany({
    where: { id: { in: candidateIds } },
    select: { id: true, mentionCount: true, lastMentionedAt: true },
  });

  const useSemantic = semanticHits.length > 0;
  const weights = { ...DEFAULT_RECALL_WEIGHTS };
  for (const key of Object.keys(weights) as (keyof RecallWeights)[]) {
    const given = input.weights?.[key];
    if (given !== undefined && given !== null) weights[key] = given;
  }
  if (!useSemantic) weights.semantic = 0;
  if (asked.length === 0) weights.time = 0;
  const total = weights.semantic + weights.lexical + weights.mentions + weights.recency + weights.time || 1;

  // The top lexical hit is the entity's best match for the question, so this is the same in any pool.
  const bestBm25 = Math.max(0, ...bm25.values());
  let mostMentions = 1;
  for (const fact of candidates) mostMentions = Math.max(mostMentions, fact.mentionCount);
  const now = Date.now();
  const scored = candidates.map((fact) => {
    const breakdown: RecallBreakdown = {
      semantic: useSemantic ? Math.max(0, similarity.get(fact.id) ?? 0) : null,
      lexical: bestBm25 > 0 ? (bm25.get(fact.id) ?? 0) / bestBm25 : 0,
      mentions: Math.log1p(fact.mentionCount) / Math.log1p(mostMentions),
      recency: 0.5 ** ((now - fact.lastMentionedAt.getTime()) / 86_400_000 / RECENCY_HALF_LIFE_DAYS),
      time: asked.length > 0 ? (times.get(fact.id)?.score ?? 0) : null,
      timeMatch: times.get(fact.id)?.matched ?? null,
    };
    const score =
      (weights.semantic * (breakdown.semantic ?? 0) +
        weights.lexical * breakdown.lexical +
        weights.mentions * breakdown.mentions +
        weights.recency * breakdown.recency +
        weights.time * (breakdown.time ?? 0)) /
      total;
    return { score, id: fact.id, breakdown };
  });
  scored.sort((a, b) => b.score - a.score || b.id - a.id);
  const page = scored.slice(0, input.first);
  const facts = await factsById(
    deps,
    page.map((hit) => hit.id),
  );
  // A fact forgotten between the two reads is left out rather than returned half-known.
  const top = page.flatMap(({ score, id, breakdown }) => {
    const fact = facts.get(id);
    return fact ? [{ score, fact, breakdown }] : [];
  });

  const mentions = await deps.reader.factMention.findMany({
    where: { factId: { in: top.map((hit) => hit.fact.id) }, messageId: { not: null } },
    orderBy: { id: 'desc' },
    include: { message: true },
  });
  // At most maxFirst messages per fact (newest first): the query cost estimate counts a list as
  // MAX_PAGE_SIZE items, which is what maxFirst is.
  const sources = new Map<number, ConversationMessage[]>();
  const seen = new Set<string>();
  for (const mention of mentions) {
    if (!mention.message) continue;
    const list = sources.get(mention.factId) ?? [];
    const key = `${mention.factId}:${mention.message.id}`;
    if (list.length >= maxFirst || seen.has(key)) continue;
    seen.add(key);
    list.push(mention.message);
    sources.set(mention.factId, list);
  }
  return top.map((hit) => ({ ...hit, sources: sources.get(hit.fact.id) ?? [] }));
}
