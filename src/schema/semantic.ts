import type { IndexStatus } from '../search/search-index.ts';
import {
  MAX_CONTEXT_TURNS,
  messageContext,
  type RecallBreakdown,
  type RecallHit,
  recall,
} from '../services/recall.ts';
import { type SemanticHit, semanticFacts } from '../services/semantic.ts';
import { builder } from './builder.ts';
import { MessageNode } from './types/Conversation.ts';
import { FactNode } from './types/Fact.ts';

const SemanticFactHit = builder.objectRef<SemanticHit>('SemanticFactHit').implement({
  description: 'A fact found by meaning.',
  fields: (t) => ({
    similarity: t.exposeFloat('similarity', { description: 'Cosine similarity to the query, -1..1.' }),
    fact: t.field({ type: FactNode, description: 'The fact.', resolve: (hit) => hit.fact }),
  }),
});

const RecallBreakdownRef = builder.objectRef<RecallBreakdown>('RecallBreakdown').implement({
  description: 'The parts of a recall score, each 0..1, before weighting.',
  fields: (t) => ({
    semantic: t.exposeFloat('semantic', {
      nullable: true,
      description:
        'Cosine similarity to the question; null when no vector search was possible (lexical fallback).',
    }),
    lexical: t.exposeFloat('lexical', {
      description: 'BM25 match, relative to the entity’s best-matching fact for this question.',
    }),
    mentions: t.exposeFloat('mentions', {
      description:
        'log(1 + mentions), relative to the most mentioned candidate (candidates are the top 100 by meaning and by words, or MAX_PAGE_SIZE if larger, whatever `first` is).',
    }),
    recency: t.exposeFloat('recency', { description: '0.5 ^ (days since the last mention / 30).' }),
    time: t.exposeFloat('time', {
      nullable: true,
      description:
        'How near the fact’s dates (when its source messages were said, and the days its words name, such as "yesterday") are to the periods the question names ("on 4 December 2023", "last week", "in May"): 1 inside one, halving every 2 (a day asked), 4 (a week), 10 (a month) or 45 (a year) days away. Null when the question names no period (its weight is then dropped).',
    }),
    timeMatch: t.exposeString('timeMatch', {
      nullable: true,
      description: 'What the time part matched: the question’s words ~ the fact’s date or words (the day).',
    }),
    neighbours: t.exposeFloat('neighbours', {
      nullable: true,
      description:
        'For a message hit: the best score (before this part) of the turn just before or just after it in its conversation, when that turn was a candidate too; 0 when neither was. The message’s score is (blend + β·neighbours) / (1 + β), β = the neighbours weight over the sum of the others. Null for a fact.',
    }),
  }),
});

const RecallSourceEnum = builder.enumType('RecallSource', {
  description: 'What recall searches.',
  values: {
    FACT: { description: 'The entity’s facts.' },
    MESSAGE: {
      description:
        'The entity’s messages, as the index holds them (MESSAGE_INDEX: each with the turn before it).',
    },
  } as const,
});

const RecallFusionEnum = builder.enumType('RecallFusion', {
  description: 'How recall turns its signals into one score.',
  values: {
    WEIGHTED: { description: 'The weighted mean of the signals’ values (the default).' },
    RRF: {
      description:
        'Reciprocal rank fusion: each signal ranks the candidates; a candidate scores the sum of weight / (60 + rank) over the signals that found it, normalized so that first by every signal is 1.',
    },
  } as const,
});

const RecallHitRef = builder.objectRef<RecallHit>('RecallHit').implement({
  description:
    'A memory recalled for a question (a fact or a message), with why it ranks where it does and where it came from.',
  fields: (t) => ({
    score: t.exposeFloat('score', { description: 'The weighted blend of the breakdown, 0..1.' }),
    fact: t.field({
      type: FactNode,
      nullable: true,
      description: 'The fact, for a fact hit; null for a message hit.',
      resolve: (hit) => hit.fact,
    }),
    message: t.field({
      type: MessageNode,
      nullable: true,
      description: 'The message, for a message hit; null for a fact hit.',
      resolve: (hit) => hit.message,
    }),
    context: t.field({
      type: [MessageNode],
      description: `The conversation around a message hit, in order: up to \`before\` turns, the message, up to \`after\` turns (each at most ${MAX_CONTEXT_TURNS}). Empty for a fact hit (see sources).`,
      args: {
        before: t.arg.int({ required: false, description: 'Turns before the message. @default 1' }),
        after: t.arg.int({ required: false, description: 'Turns after the message. @default 1' }),
      },
      resolve: (hit, args, ctx) =>
        hit.message ? messageContext(ctx, hit.message, args.before ?? 1, args.after ?? 1) : [],
    }),
    breakdown: t.field({
      type: RecallBreakdownRef,
      description: 'The parts of the score.',
      resolve: (hit) => hit.breakdown,
    }),
    sources: t.field({
      type: [MessageNode],
      description:
        'The messages the fact was remembered from (provenance), newest first: at most MAX_PAGE_SIZE.',
      resolve: (hit) => hit.sources,
    }),
  }),
});

const RecallWeightsInput = builder.inputType('RecallWeightsInput', {
  description: 'Relative weights of the recall signals (normalized to sum to 1).',
  fields: (t) => ({
    semantic: t.float({ required: false, description: 'Meaning. @default 0.6' }),
    lexical: t.float({ required: false, description: 'Words (BM25). @default 0.25' }),
    mentions: t.float({ required: false, description: 'How often it was mentioned. @default 0.1' }),
    recency: t.float({ required: false, description: 'How recently it was mentioned. @default 0.05' }),
    time: t.float({
      required: false,
      description: 'Said during the periods the question names (only when it names one). @default 0.5',
    }),
    neighbours: t.float({
      required: false,
      description:
        'For messages: how much the turns just before and after it count (an answer is read with its question). @default 0.5',
    }),
  }),
});

interface EmbeddingStatusShape {
  state: string;
  model: string | null;
  dimension: number | null;
  error: string | null;
}

const EmbeddingStatusRef = builder.objectRef<EmbeddingStatusShape>('EmbeddingStatus').implement({
  description: 'Whether Engram can embed text right now.',
  fields: (t) => ({
    state: t.exposeString('state', { description: 'disabled, loading, ready or unavailable.' }),
    model: t.exposeString('model', {
      nullable: true,
      description: 'The model id stored with each embedding.',
    }),
    dimension: t.exposeInt('dimension', { nullable: true, description: 'Dimension of its vectors.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it is unavailable.' }),
  }),
});

const IndexStatusRef = builder.objectRef<IndexStatus>('VectorIndexStatus').implement({
  description: 'The vector and BM25 index of facts and messages.',
  fields: (t) => ({
    state: t.exposeString('state', { description: 'starting, building, ready, failed or closed.' }),
    dimension: t.exposeInt('dimension', { description: 'Dimension of the vectors it holds.' }),
    entities: t.exposeInt('entities', { description: 'Entities with facts or messages in the index.' }),
    facts: t.exposeInt('facts', { description: 'Facts in the index.' }),
    messages: t.exposeInt('messages', { description: 'Messages in the index (MESSAGE_INDEX).' }),
    vectors: t.exposeInt('vectors', { description: 'Facts and messages with a vector.' }),
    progress: t.exposeFloat('progress', {
      nullable: true,
      description: 'Build progress, 0..1, while building.',
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed.' }),
  }),
});

const SemanticStatus = builder.objectRef<Record<string, never>>('SemanticStatus').implement({
  description: 'The state of semantic memory.',
  fields: (t) => ({
    embedding: t.field({
      type: EmbeddingStatusRef,
      description: 'The embedding model.',
      resolve: (_parent, _args, ctx) =>
        ctx.embeddings?.status() ?? { state: 'disabled', model: null, dimension: null, error: null },
    }),
    index: t.field({
      type: IndexStatusRef,
      nullable: true,
      description: 'The vector index; null when turned off.',
      resolve: (_parent, _args, ctx) => ctx.index?.describe() ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  semanticFacts: t.field({
    type: [SemanticFactHit],
    description:
      'An entity’s facts nearest in meaning to a text or a vector, best first. Only that entity’s facts are searched.',
    args: {
      entity: t.arg.string({ required: true, description: 'External id of the entity.' }),
      query: t.arg.string({ required: false, description: 'Text to embed with the configured model.' }),
      vector: t.arg.floatList({
        required: false,
        description: 'Your own query vector (VECTOR_DIMENSIONS numbers).',
      }),
      first: t.arg.int({ required: false, description: 'How many. @default 10' }),
      threshold: t.arg.float({
        required: false,
        description: 'Lowest cosine similarity returned. @default 0.1',
      }),
    },
    authScopes: (_root, args) => ({ externalId: args.entity }),
    resolve: (_root, args, ctx) => semanticFacts(ctx, ctx.principal, args, ctx.maxPageSize),
  }),
  recall: t.field({
    type: [RecallHitRef],
    description:
      'An entity’s memories (facts, messages or both: `sources`) ranked for a question by meaning, words, mentions, recency and time, with the score breakdown and provenance.',
    args: {
      entity: t.arg.string({ required: true, description: 'External id of the entity.' }),
      query: t.arg.string({ required: true, description: 'The question or topic.' }),
      first: t.arg.int({
        required: false,
        description:
          'How many. Scores and order do not depend on it: a smaller page is the start of a larger one. @default 10',
      }),
      weights: t.arg({ type: RecallWeightsInput, required: false, description: 'Signal weights.' }),
      sources: t.arg({
        type: [RecallSourceEnum],
        required: false,
        description: 'What to search: facts, messages or both, ranked together. @default [FACT]',
      }),
      fusion: t.arg({
        type: RecallFusionEnum,
        required: false,
        description: 'How the signals are combined. @default WEIGHTED',
      }),
    },
    authScopes: (_root, args) => ({ externalId: args.entity }),
    resolve: (_root, args, ctx) => recall(ctx, ctx.principal, args, ctx.maxPageSize),
  }),
  semanticStatus: t.field({
    type: SemanticStatus,
    description:
      'Whether the embedding model and the vector index are ready (API keys only: it counts every entity).',
    authScopes: { key: true },
    resolve: () => ({}),
  }),
}));
