import { z } from 'zod';
import { assertEntityAccess, type Principal } from '../auth/principal.ts';
import type { ConversationMessage, EntityFact } from '../db/generated/client.ts';
import type { LexicalHit } from '../search/lexical.ts';
import type { VectorHit } from '../search/partition.ts';
import type { SearchIndex } from '../search/search-index.ts';
import type { ServiceDeps } from './deps.ts';
import {
  factsSaidDuring,
  messagesSaidDuring,
  messageTimeScores,
  type TimeScore,
  timeScores,
} from './recall-dates.ts';
import { type TimeSpan, timeSpansIn } from './recall-time.ts';
import { entityId, factsById, queryVector, requireIndex } from './semantic.ts';
import { contentSchema, externalIdSchema, memoSchema, parseInput } from './validation.ts';

/** How much each signal counts in a recall score; they are normalized to sum to 1. */
export interface RecallWeights {
  semantic: number;
  lexical: number;
  mentions: number;
  recency: number;
  time: number;
  neighbours: number;
}

/**
 * The time weight counts only for a question that names a period ("on 4 December 2023", "last
 * week"); otherwise it is dropped and the rest renormalized. The neighbours weight counts for
 * messages only: how much a turn is read with the turns next to it ({@link withNeighbours}).
 * @default semantic 0.6, lexical 0.25, mentions 0.1, recency 0.05, time 0.5, neighbours 0.5
 */
export const DEFAULT_RECALL_WEIGHTS: RecallWeights = {
  semantic: 0.6,
  lexical: 0.25,
  mentions: 0.1,
  recency: 0.05,
  time: 0.5,
  neighbours: 0.5,
};

/** A fact last mentioned (a message said) this long ago scores 0.5 on recency. */
export const RECENCY_HALF_LIFE_DAYS = 30;

/**
 * Candidates recall takes from each source (vector search and BM25, of facts and of messages),
 * whatever `first` is (or MAX_PAGE_SIZE when that is larger, so the biggest page can fill): the
 * pool, and so every hit's score and rank, must not depend on the page size asked.
 */
export const RECALL_CANDIDATES = 100;

/** What recall searches: the entity's facts, its messages (MESSAGE_INDEX), or both. */
export type RecallSource = 'FACT' | 'MESSAGE';

export interface RecallBreakdown {
  /** Cosine similarity to the query (clamped at 0); null when no vector search was possible. */
  semantic: number | null;
  /**
   * BM25 score divided by the best BM25 score of the entity's facts (for a fact) or messages (for
   * a message) for this question (0..1).
   */
  lexical: number;
  /**
   * log(1 + mentions) / log(1 + most mentions among the fact candidates) (0..1); a message counts
   * as one mention. The candidates are the same whatever `first` is (see {@link RECALL_CANDIDATES}).
   */
  mentions: number;
  /** 0.5^(days since the last mention, or since the message was said / 30) (0..1). */
  recency: number;
  /**
   * How near the hit's dates (when it was said, and the days its words name) are to the periods
   * the question names: 1 inside one, halving every few days away (0..1); null when the question
   * names no period.
   */
  time: number | null;
  /** What the time part matched: the question's words ~ the hit's date or words (the day). */
  timeMatch: string | null;
  /**
   * For a message: the best score, before this part, of the turn just before or just after it in
   * its conversation, when that turn was a candidate too (0 when neither was); null for a fact.
   */
  neighbours: number | null;
}

/** One recalled memory: a fact (with the messages it came from) or a message. */
export interface RecallHit {
  score: number;
  /** The fact, for a fact hit; null for a message hit. */
  fact: EntityFact | null;
  /** The message, for a message hit; null for a fact hit. */
  message: ConversationMessage | null;
  breakdown: RecallBreakdown;
  /** The messages the fact came from, newest first (a message hit: none). */
  sources: ConversationMessage[];
}

export interface RecallInput {
  entity: string;
  query: string;
  first?: number | null;
  weights?: { [K in keyof RecallWeights]?: number | null } | null;
  sources?: RecallSource[] | null;
  fusion?: RecallFusion | null;
}

/**
 * How the signals become one score: `WEIGHTED`, the weighted mean of their values (the default),
 * or `RRF`, reciprocal rank fusion: each signal ranks the candidates and a candidate scores
 * Σ w·1/(60 + rank) over the signals that found it (normalized so that first everywhere is 1).
 */
export type RecallFusion = 'WEIGHTED' | 'RRF';

/** Reciprocal rank fusion's constant (Cormack et al.): how slowly a lower rank loses weight. */
export const RRF_K = 60;

/**
 * Ranks an entity's memories for a question by a blend of meaning, words, mentions, recency and
 * time:
 *
 *   score = w_s·semantic + w_l·lexical + w_m·mentions + w_r·recency + w_t·time   (weights normalized to 1)
 *
 * The memories are its facts, its messages (as the index holds them: MESSAGE_INDEX), or both
 * (`sources`); a message's score then moves toward its neighbouring turns' ({@link withNeighbours}).
 * Candidates are the top of each by vector similarity and by BM25 (each a fixed
 * {@link RECALL_CANDIDATES}, never a function of `first`), plus those said during the periods
 * the question names, so a memory found only by its words, its meaning or its date can still win,
 * and a page of 10 is exactly the first 10 of a page of 100: the normalisers (the best BM25
 * scores, the most mentions) come from that fixed pool too. When no vector search is possible
 * (no model loaded, or nothing searched has a vector) the semantic weight is dropped and the
 * others are renormalized: a lexical fallback, reported as `breakdown.semantic = null`.
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
        neighbours: z.number().min(0).nullish(),
      })
      .nullish(),
    sources: z
      .array(z.enum(['FACT', 'MESSAGE']))
      .min(1, 'name at least one of FACT and MESSAGE')
      .max(2)
      .nullish()
      .transform((sources) => new Set<RecallSource>(sources ?? ['FACT'])),
    fusion: z.enum(['WEIGHTED', 'RRF']).nullish(),
  });
}

/** A memory in the pool, with the raw signals it is scored by. */
interface Candidate {
  kind: 'fact' | 'message';
  id: number;
  similarity: number | undefined;
  bm25: number;
  mentions: number;
  lastAt: Date;
  time: TimeScore | undefined;
  /** The turn before a message in its conversation (null for the first, and for a fact). */
  previous: number | null;
}

/** The candidates of one source and whether any of them was found by vector search. */
interface Pool {
  candidates: Candidate[];
  searchedByVector: boolean;
  bestBm25: number;
}

const EMPTY_POOL: Pool = { candidates: [], searchedByVector: false, bestBm25: 0 };

/** Fills in the exact similarity of candidates the vector search did not return. */
async function fillSimilarities(
  similarity: Map<number, number>,
  ids: readonly number[],
  exact: (ids: number[]) => Promise<(number | null)[]>,
): Promise<void> {
  const unscored = [...new Set(ids)].filter((id) => !similarity.has(id));
  if (unscored.length === 0) return;
  const values = await exact(unscored);
  unscored.forEach((id, i) => {
    const value = values[i];
    if (value !== null && value !== undefined) similarity.set(id, value);
  });
}

/** How one source (facts or messages) is searched and its candidates read. */
interface PoolSource {
  kind: Candidate['kind'];
  byVector(index: SearchIndex, entity: number, vector: Float32Array, k: number): Promise<VectorHit[]>;
  byWords(index: SearchIndex, entity: number, query: string, k: number): Promise<LexicalHit[]>;
  /** Ids said during the periods the question names. */
  saidDuring(deps: ServiceDeps, entity: number, asked: readonly TimeSpan[], k: number): Promise<number[]>;
  similarities(
    index: SearchIndex,
    entity: number,
    vector: Float32Array,
    ids: number[],
  ): Promise<(number | null)[]>;
  /**
   * The candidates' own signals (mentions, when, dates, the turn before), for those of `entity`
   * only: a candidate the index names but the entity does not own is dropped here.
   */
  read(
    deps: ServiceDeps,
    entity: number,
    ids: number[],
    asked: readonly TimeSpan[],
  ): Promise<Omit<Candidate, 'kind' | 'similarity' | 'bm25'>[]>;
}

const FACTS: PoolSource = {
  kind: 'fact',
  byVector: (index, entity, vector, k) => index.search(entity, vector, k, -1),
  byWords: (index, entity, query, k) => index.lexicalSearch(entity, query, k),
  // Periods in the question are read against now ("last week"); facts said during them are
  // candidates too, found by their dates rather than their words.
  saidDuring: factsSaidDuring,
  similarities: (index, entity, vector, ids) => index.similarities(entity, vector, ids),
  async read(deps, entity, ids, asked) {
    const times = await timeScores(deps, asked, ids);
    // Scoring needs only these columns; whole rows (content, embedding) are read for the page only.
    const rows = await deps.reader.entityFact.findMany({
      where: { id: { in: ids }, entityId: entity },
      select: { id: true, mentionCount: true, lastMentionedAt: true },
    });
    return rows.map((row) => ({
      id: row.id,
      mentions: row.mentionCount,
      lastAt: row.lastMentionedAt,
      time: times.get(row.id),
      previous: null,
    }));
  },
};

const MESSAGES: PoolSource = {
  kind: 'message',
  byVector: (index, entity, vector, k) => index.searchMessages(entity, vector, k),
  byWords: (index, entity, query, k) => index.lexicalSearchMessages(entity, query, k),
  saidDuring: messagesSaidDuring,
  similarities: (index, entity, vector, ids) => index.messageSimilarities(entity, vector, ids),
  async read(deps, entity, ids, asked) {
    const rows = await deps.reader.conversationMessage.findMany({
      where: { id: { in: ids }, indexed: { is: { entityId: entity } } },
      select: { id: true, content: true, createdAt: true, indexed: { select: { previousId: true } } },
    });
    const times = messageTimeScores(asked, rows);
    // A message counts as one mention, said when it was said.
    return rows.map((row) => ({
      id: row.id,
      mentions: 1,
      lastAt: row.createdAt,
      time: times.get(row.id),
      previous: row.indexed?.previousId ?? null,
    }));
  },
};

/**
 * One source's candidates: its top `pool` by vector and by BM25, plus those said during the
 * periods the question names, each with its exact similarity (a memory found by its words or its
 * date only still has a meaning: its real similarity, not 0).
 */
async function gather(
  source: PoolSource,
  deps: ServiceDeps,
  index: SearchIndex,
  entity: number,
  query: string,
  vector: Float32Array | null,
  asked: readonly TimeSpan[],
  pool: number,
): Promise<Pool> {
  const [semanticHits, lexicalHits, saidThen] = await Promise.all([
    vector ? source.byVector(index, entity, vector, pool) : Promise.resolve([]),
    source.byWords(index, entity, query, pool),
    asked.length > 0 ? source.saidDuring(deps, entity, asked, pool) : Promise.resolve([]),
  ]);
  const similarity = new Map(semanticHits.map((hit) => [hit.factId, hit.similarity]));
  const bm25 = new Map(lexicalHits.map((hit) => [hit.factId, hit.score]));
  const ids = [...new Set([...similarity.keys(), ...bm25.keys(), ...saidThen])];
  if (ids.length === 0) return EMPTY_POOL;
  if (vector)
    await fillSimilarities(similarity, ids, (unscored) =>
      source.similarities(index, entity, vector, unscored),
    );
  const rows = await source.read(deps, entity, ids, asked);
  return {
    searchedByVector: semanticHits.length > 0,
    bestBm25: Math.max(0, ...bm25.values()),
    candidates: rows.map((row) => ({
      ...row,
      kind: source.kind,
      similarity: similarity.get(row.id),
      bm25: bm25.get(row.id) ?? 0,
    })),
  };
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
  const asked = timeSpansIn(input.query, new Date());
  const [facts, messages] = await Promise.all([
    input.sources.has('FACT')
      ? gather(FACTS, deps, index, id, input.query, vector, asked, pool)
      : Promise.resolve(EMPTY_POOL),
    input.sources.has('MESSAGE')
      ? gather(MESSAGES, deps, index, id, input.query, vector, asked, pool)
      : Promise.resolve(EMPTY_POOL),
  ]);
  if (facts.candidates.length + messages.candidates.length === 0) return [];

  const useSemantic = facts.searchedByVector || messages.searchedByVector;
  const weights = { ...DEFAULT_RECALL_WEIGHTS };
  for (const key of Object.keys(weights) as (keyof RecallWeights)[]) {
    const given = input.weights?.[key];
    if (given !== undefined && given !== null) weights[key] = given;
  }
  if (!useSemantic) weights.semantic = 0;
  if (asked.length === 0) weights.time = 0;
  // The neighbours part is added to a message's score after the blend (withNeighbours).
  const total = weights.semantic + weights.lexical + weights.mentions + weights.recency + weights.time || 1;

  let mostMentions = 1;
  for (const fact of facts.candidates) mostMentions = Math.max(mostMentions, fact.mentions);
  const now = Date.now();
  const score = (candidate: Candidate, bestBm25: number) => {
    const breakdown: RecallBreakdown = {
      semantic: useSemantic ? Math.max(0, candidate.similarity ?? 0) : null,
      // The top lexical hit is the entity's best match for the question: the same in any pool.
      lexical: bestBm25 > 0 ? candidate.bm25 / bestBm25 : 0,
      mentions: Math.log1p(candidate.mentions) / Math.log1p(mostMentions),
      recency: 0.5 ** ((now - candidate.lastAt.getTime()) / 86_400_000 / RECENCY_HALF_LIFE_DAYS),
      time: asked.length > 0 ? (candidate.time?.score ?? 0) : null,
      timeMatch: candidate.time?.matched ?? null,
      neighbours: candidate.kind === 'message' ? 0 : null,
    };
    const value =
      (weights.semantic * (breakdown.semantic ?? 0) +
        weights.lexical * breakdown.lexical +
        weights.mentions * breakdown.mentions +
        weights.recency * breakdown.recency +
        weights.time * (breakdown.time ?? 0)) /
      total;
    return { score: value, kind: candidate.kind, id: candidate.id, breakdown, previous: candidate.previous };
  };
  const scored = [
    ...facts.candidates.map((candidate) => score(candidate, facts.bestBm25)),
    ...messages.candidates.map((candidate) => score(candidate, messages.bestBm25)),
  ];
  if (input.fusion === 'RRF') fuseByRank(scored, weights, total);
  withNeighbours(scored, weights.neighbours / total);
  scored.sort(byRank);
  const ranked =
    facts.candidates.length && messages.candidates.length ? await withoutRepeats(deps, scored) : scored;
  return loadPage(deps, id, ranked.slice(0, input.first), maxFirst);
}

/**
 * Facts and messages ranked together, without saying a turn twice: a message that a fact above
 * it was remembered from, or a fact whose messages are all above it, is left out (the fact keeps
 * its messages in `sources`). Walked over the whole fixed pool in rank order, so a smaller page is
 * still the start of a larger one.
 */
async function withoutRepeats<T extends { kind: 'fact' | 'message'; id: number }>(
  deps: ServiceDeps,
  ranked: readonly T[],
): Promise<T[]> {
  const mentions = await deps.reader.factMention.findMany({
    where: {
      factId: { in: ranked.filter((hit) => hit.kind === 'fact').map((hit) => hit.id) },
      messageId: { not: null },
    },
    select: { factId: true, messageId: true },
  });
  const sourcesOf = new Map<number, number[]>();
  for (const { factId, messageId } of mentions) {
    if (messageId !== null) sourcesOf.set(factId, [...(sourcesOf.get(factId) ?? []), messageId]);
  }
  const saidAbove = new Set<number>();
  const byFactsAbove = new Set<number>();
  return ranked.filter((hit) => {
    if (hit.kind === 'message') {
      if (byFactsAbove.has(hit.id)) return false;
      saidAbove.add(hit.id);
      return true;
    }
    const sources = sourcesOf.get(hit.id) ?? [];
    if (sources.length > 0 && sources.every((id) => saidAbove.has(id))) return false;
    for (const id of sources) byFactsAbove.add(id);
    return true;
  });
}

/**
 * Each message read with its neighbours: an answer is the turn after the question it answers, and a
 * story runs over several turns, so a turn whose neighbour matches the question is likelier to be
 * what was asked about than one alone. A message's score moves toward the best score of the turn
 * just before or just after it in its conversation (from the fixed candidate pool, scores before
 * this step):
 *
 *   score = (score + β·neighbours) / (1 + β),   β = w_neighbours / (sum of the other weights)
 *
 * Facts keep their score. Tuned on the LoCoMo development conversations
 * (bench:locomo --sweep): β 0.25 to 1 all gain 2 to 2.5 points of recall@10 over none.
 */
function withNeighbours(
  scored: {
    score: number;
    kind: 'fact' | 'message';
    id: number;
    previous: number | null;
    breakdown: RecallBreakdown;
  }[],
  beta: number,
): void {
  const before = new Map<number, number>();
  for (const hit of scored) if (hit.kind === 'message') before.set(hit.id, hit.score);
  const best = new Map<number, number>();
  const meet = (id: number, score: number) => best.set(id, Math.max(best.get(id) ?? 0, score));
  for (const hit of scored) {
    if (hit.kind !== 'message' || hit.previous === null) continue;
    const previous = before.get(hit.previous);
    if (previous === undefined) continue;
    meet(hit.id, previous);
    meet(hit.previous, before.get(hit.id) ?? 0);
  }
  for (const hit of scored) {
    if (hit.kind !== 'message') continue;
    const neighbours = best.get(hit.id) ?? 0;
    hit.breakdown.neighbours = neighbours;
    hit.score = (hit.score + beta * neighbours) / (1 + beta);
  }
}

/** Best score first; ties: facts before messages, then the newer first. */
function byRank(
  a: { score: number; kind: 'fact' | 'message'; id: number },
  b: { score: number; kind: 'fact' | 'message'; id: number },
): number {
  return b.score - a.score || (a.kind === b.kind ? b.id - a.id : a.kind === 'fact' ? -1 : 1);
}

/** The signals fused, with how each is read from a breakdown (0: not found by it). */
const SIGNALS: readonly [keyof RecallWeights, (breakdown: RecallBreakdown) => number][] = [
  ['semantic', (b) => b.semantic ?? 0],
  ['lexical', (b) => b.lexical],
  ['mentions', (b) => b.mentions],
  ['recency', (b) => b.recency],
  ['time', (b) => b.time ?? 0],
];

/** Replaces each candidate's weighted score by its reciprocal rank fusion score (see RecallFusion). */
function fuseByRank(
  scored: { score: number; breakdown: RecallBreakdown }[],
  weights: RecallWeights,
  total: number,
): void {
  const fused = new Map<(typeof scored)[number], number>(scored.map((hit) => [hit, 0]));
  for (const [signal, value] of SIGNALS) {
    const weight = weights[signal];
    if (weight === 0) continue;
    const ranked = scored.filter((hit) => value(hit.breakdown) > 0);
    ranked.sort((a, b) => value(b.breakdown) - value(a.breakdown));
    let rank = 0;
    ranked.forEach((hit, i) => {
      // Equal values share a rank.
      if (i === 0 || value(hit.breakdown) !== value((ranked[i - 1] as typeof hit).breakdown)) rank = i + 1;
      fused.set(hit, (fused.get(hit) ?? 0) + weight / (RRF_K + rank));
    });
  }
  for (const hit of scored) hit.score = ((fused.get(hit) ?? 0) * (RRF_K + 1)) / total;
}

/**
 * The page's facts (with their source messages) and messages, whole. A memory forgotten between
 * the reads is left out rather than returned half-known.
 */
async function loadPage(
  deps: ServiceDeps,
  entity: number,
  page: readonly { score: number; kind: 'fact' | 'message'; id: number; breakdown: RecallBreakdown }[],
  maxFirst: number,
): Promise<RecallHit[]> {
  const factIds = page.filter((hit) => hit.kind === 'fact').map((hit) => hit.id);
  const messageIds = page.filter((hit) => hit.kind === 'message').map((hit) => hit.id);
  const [facts, messages, mentions] = await Promise.all([
    factIds.length ? factsById(deps, entity, factIds) : Promise.resolve(new Map<number, EntityFact>()),
    messageIds.length
      ? deps.reader.conversationMessage.findMany({
          where: { id: { in: messageIds }, indexed: { is: { entityId: entity } } },
        })
      : Promise.resolve([]),
    factIds.length
      ? deps.reader.factMention.findMany({
          where: { factId: { in: factIds }, messageId: { not: null } },
          orderBy: { id: 'desc' },
          include: { message: true },
        })
      : Promise.resolve([]),
  ]);
  const messageById = new Map(messages.map((message) => [message.id, message]));
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
  return page.flatMap(({ score, kind, id, breakdown }): RecallHit[] => {
    if (kind === 'fact') {
      const fact = facts.get(id);
      return fact ? [{ score, fact, message: null, breakdown, sources: sources.get(id) ?? [] }] : [];
    }
    const message = messageById.get(id);
    return message ? [{ score, fact: null, message, breakdown, sources: [] }] : [];
  });
}

/** Most turns on either side of a recalled message that `context` returns. */
export const MAX_CONTEXT_TURNS = 20;

/**
 * A window of the conversation around a message: up to `before` turns before it, the message,
 * and up to `after` turns after it, in conversation order.
 */
export async function messageContext(
  deps: ServiceDeps,
  message: Pick<ConversationMessage, 'id' | 'conversationId'>,
  before: number,
  after: number,
): Promise<ConversationMessage[]> {
  const clamp = (n: number) => Math.max(0, Math.min(MAX_CONTEXT_TURNS, Math.trunc(n)));
  const [earlier, self, later] = await Promise.all([
    clamp(before) > 0
      ? deps.reader.conversationMessage.findMany({
          where: { conversationId: message.conversationId, id: { lt: message.id } },
          orderBy: { id: 'desc' },
          take: clamp(before),
        })
      : Promise.resolve([]),
    deps.reader.conversationMessage.findUnique({ where: { id: message.id } }),
    clamp(after) > 0
      ? deps.reader.conversationMessage.findMany({
          where: { conversationId: message.conversationId, id: { gt: message.id } },
          orderBy: { id: 'asc' },
          take: clamp(after),
        })
      : Promise.resolve([]),
  ]);
  return [...earlier.reverse(), ...(self ? [self] : []), ...later];
}
