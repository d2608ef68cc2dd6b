import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForgetFactDocument,
  RecallDocument,
  RecallForDocument,
  RememberFactDocument,
  RememberFactWithEmbeddingDocument,
  SemanticFactsDocument,
  SemanticSearchDocument,
  SemanticStatusDocument,
} from '../client-codegen/generated/graphql.ts';
import { decodeId } from '../src/schema/errors.ts';
import { seed } from './helpers/seed.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import {
  cosine,
  exactTopK,
  near,
  randomUnit,
  seeded,
  seedFacts,
  wordHashEmbedder,
} from './helpers/vectors.ts';

const list = (vector: Float32Array) => Array.from(vector);

const RememberWithErrors = parse(`
  mutation ($input: RememberFactInput!) {
    rememberFact(input: $input) { __typename ... on UserError { code message } }
  }
`) as TypedDocumentNode<
  { rememberFact: { __typename: string; code?: string; message: string } },
  { input: Record<string, unknown> }
>;

describe('semantic memory: the issue documents', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ embedder: wordHashEmbedder() });
  });
  afterAll(() => server.close());

  it('remembers with a caller embedding, finds by vector, and recalls with breakdown and sources', async () => {
    const random = seeded(1);
    const tea = randomUnit(random);
    const facts = [
      { content: 'Likes green tea', category: 'PREFERENCE' as const, embedding: list(tea) },
      {
        content: 'Drinks coffee only on Mondays',
        category: 'PREFERENCE' as const,
        embedding: list(randomUnit(random)),
      },
      { content: 'Lives in Porto', category: 'FACT' as const, embedding: list(randomUnit(random)) },
    ];
    for (const input of facts) {
      const result = await server.gql(RememberFactWithEmbeddingDocument, {
        input: { entity: 'u-1', ...input },
      });
      expect(result.rememberFact.__typename).toBe('RememberFactSuccess');
    }
    const found = await server.gql(SemanticFactsDocument, { v: list(near(tea, 0.01, random)) });
    expect(found.semanticFacts[0]?.fact.content).toBe('Likes green tea');
    expect(found.semanticFacts[0]?.similarity).toBeGreaterThan(0.99);
    // Random 384-d directions are nearly orthogonal: below the default threshold of 0.1.
    expect(found.semanticFacts).toHaveLength(1);

    const recalled = await server.gql(RecallDocument, {});
    expect(recalled.recall.length).toBeGreaterThan(0);
    // "drink" (stemmed) is the only content word the question shares with a fact.
    expect(recalled.recall[0]?.fact?.content).toBe('Drinks coffee only on Mondays');
    const top = recalled.recall[0];
    expect(top?.breakdown.lexical).toBe(1);
    expect(top?.breakdown.semantic).toBeTypeOf('number');
    expect(top?.breakdown.recency).toBeGreaterThan(0.99);
    expect(top?.sources).toEqual([]);
    const scores = recalled.recall.map((hit) => hit.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});

describe('semantic memory', () => {
  let server: TestServer;
  const embedder = wordHashEmbedder();
  beforeAll(async () => {
    server = await startTestServer({ embedder });
  });
  afterAll(() => server.close());

  it('searches exactly within one entity among 1,000 others whose facts are closer to the query', async () => {
    const random = seeded(7);
    const query = randomUnit(random);
    const target = Array.from({ length: 300 }, () => near(query, 0.15, random));
    // Decoys: every other entity's facts are nearer the query than any of the target's.
    const others = Array.from({ length: 1000 }, (_, i) => ({
      externalId: `other-${i}`,
      vectors: [near(query, 0.01, random), near(query, 0.02, random)],
    }));
    const ids = await seedFacts(server.db, [{ externalId: 'scope-target', vectors: target }, ...others]);
    await server.index?.sync();

    const truth = exactTopK(query, target, 10).map((i) => ids.get('scope-target')?.[i]);
    const result = await server.gql(SemanticSearchDocument, {
      entity: 'scope-target',
      vector: list(query),
      first: 10,
      threshold: -1,
    });
    const found = result.semanticFacts.map((hit) => decodeId(hit.fact.id, 'Fact', 'id'));
    expect(found).toEqual(truth);
    for (const hit of result.semanticFacts) expect(hit.fact.content).toMatch(/^scope-target fact/);
    const similarities = result.semanticFacts.map((hit) => hit.similarity);
    expect(similarities[0]).toBeCloseTo(
      cosine(query, target[exactTopK(query, target, 1)[0] as number] as Float32Array),
      5,
    );
  });

  it('embeds text with the configured model, for writes and for queries', async () => {
    const before = embedder.calls;
    await server.gql(RememberFactDocument, {
      input: { entity: 'reader', content: 'Reads science fiction novels', category: 'PREFERENCE' },
    });
    await server.gql(RememberFactDocument, {
      input: { entity: 'reader', content: 'Owns a black cat', category: 'FACT' },
    });
    const result = await server.gql(SemanticSearchDocument, {
      entity: 'reader',
      query: 'which novels?',
      first: 5,
    });
    expect(embedder.calls).toBeGreaterThan(before);
    expect(result.semanticFacts.map((hit) => hit.fact.content)).toEqual(['Reads science fiction novels']);
  });

  it('merges a near-duplicate into the fact it resembles, and keeps different facts apart', async () => {
    const random = seeded(11);
    const base = randomUnit(random);
    const remember = (content: string, vector: Float32Array) =>
      server.gql(RememberFactWithEmbeddingDocument, {
        input: { entity: 'dedupe', content, category: 'FACT', embedding: list(vector) },
      });
    const first = await remember('Has a dog called Rex', base);
    const second = await remember('Owns a dog named Rex', near(base, 0.005, random));
    const third = await remember('Works night shifts', randomUnit(random));
    if (first.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('first failed');
    if (second.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('second failed');
    if (third.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('third failed');
    expect(second.rememberFact.fact.id).toBe(first.rememberFact.fact.id);
    expect(third.rememberFact.fact.id).not.toBe(first.rememberFact.fact.id);
    const facts = await server.db.entityFact.findMany({
      where: { entity: { externalId: 'dedupe' } },
      orderBy: { id: 'asc' },
    });
    expect(facts.map((fact) => [fact.content, fact.mentionCount])).toEqual([
      ['Has a dog called Rex', 2],
      ['Works night shifts', 1],
    ]);
  });

  it('refuses vectors of the wrong size, non-finite or zero, and ambiguous searches, with codes', async () => {
    const wrong = await server.request(RememberWithErrors, {
      input: { entity: 'bad', content: 'x', embedding: [0.1, 0.2, 0.3] },
    });
    expect(wrong.data?.rememberFact).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION_FAILED',
    });
    expect(wrong.data?.rememberFact.message).toMatch(/embedding: must have 384 numbers/);
    const zero = await server.request(RememberFactWithEmbeddingDocument, {
      input: { entity: 'bad', content: 'x', embedding: new Array(384).fill(0) },
    });
    expect(zero.data?.rememberFact).toMatchObject({ __typename: 'ValidationError' });
    expect(await server.db.entityFact.count({ where: { entity: { externalId: 'bad' } } })).toBe(0);

    const both = await server.request(SemanticSearchDocument, {
      entity: 'u',
      query: 'x',
      vector: new Array(384).fill(1),
    });
    expect(both.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const neither = await server.request(SemanticSearchDocument, { entity: 'u' });
    expect(neither.errors?.[0]?.message).toMatch(/exactly one of query and vector/);
    const short = await server.request(SemanticSearchDocument, { entity: 'u', vector: [1, 2] });
    expect(short.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const tooMany = await server.request(SemanticSearchDocument, { entity: 'u', query: 'x', first: 1000 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('INPUT_TOO_LARGE');
  });

  it('forgets: a forgotten fact is gone from the index, and the index matches the database', async () => {
    const random = seeded(5);
    const vector = randomUnit(random);
    const created = await server.gql(RememberFactWithEmbeddingDocument, {
      input: { entity: 'forget-me', content: 'Secret hobby', embedding: list(vector) },
    });
    if (created.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('remember failed');
    const search = () => server.gql(SemanticSearchDocument, { entity: 'forget-me', vector: list(vector) });
    expect((await search()).semanticFacts).toHaveLength(1);
    const forgotten = await server.gql(ForgetFactDocument, { id: created.rememberFact.fact.id });
    expect(forgotten.forgetFact.__typename).toBe('ForgetSuccess');
    // No sync here: the mutation answers only once its change is searchable.
    expect((await search()).semanticFacts).toHaveLength(0);
    expect(await server.index?.verify()).toMatchObject({ missing: [], orphans: [] });
  });

  it('recalls with provenance: the messages a fact was remembered from', async () => {
    await seed(server)
      .entity('prov')
      .conversation(['I am allergic to peanuts, please remember.'], { process: 'bot' })
      .fact('Allergic to peanuts', { category: 'ATTRIBUTE', fromLastMessage: true })
      .fact('Plays chess on Sundays');
    const result = await server.gql(RecallForDocument, {
      entity: 'prov',
      query: 'any food allergies? peanuts?',
      first: 2,
    });
    expect(result.recall[0]?.fact?.content).toBe('Allergic to peanuts');
    expect(result.recall[0]?.sources.map((message) => message.content)).toEqual([
      'I am allergic to peanuts, please remember.',
    ]);
    // Weights are the caller's to set: mentions alone cannot tell these two apart, so the newer wins the tie.
    const byMentions = await server.gql(RecallForDocument, {
      entity: 'prov',
      query: 'peanuts chess',
      weights: { semantic: 0, lexical: 0, mentions: 1, recency: 0 },
    });
    expect(byMentions.recall.map((hit) => hit.score)).toEqual([1, 1]);
  });

  it('reports the embedding model and the index in semanticStatus', async () => {
    const status = await server.gql(SemanticStatusDocument, {});
    expect(status.semanticStatus.embedding).toMatchObject({
      state: 'ready',
      model: 'test:word-hash',
      dimension: 384,
    });
    expect(status.semanticStatus.index?.state).toBe('ready');
    expect(status.semanticStatus.index?.facts).toBeGreaterThan(1000);
  });
});

describe('semantic memory without a model', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('keeps facts, answers text searches with EMBEDDING_UNAVAILABLE, and recalls lexically', async () => {
    await seed(server)
      .entity('u-9')
      .fact('Likes green tea')
      .fact('Drinks espresso after lunch')
      .fact('Lives in Porto');
    const semantic = await server.request(SemanticSearchDocument, { entity: 'u-9', query: 'tea' });
    expect(semantic.errors?.[0]?.extensions?.code).toBe('EMBEDDING_UNAVAILABLE');
    const recalled = await server.gql(RecallForDocument, {
      entity: 'u-9',
      query: 'what does the user drink?',
    });
    expect(recalled.recall.map((hit) => hit.fact?.content)).toEqual(['Drinks espresso after lunch']);
    expect(recalled.recall[0]?.breakdown.semantic).toBeNull();
    const status = await server.gql(SemanticStatusDocument, {});
    expect(status.semanticStatus.embedding.state).toBe('disabled');
    expect(status.semanticStatus.index).toMatchObject({ facts: 3, vectors: 0 });
    const health = await fetch(server.url.replace('/graphql', '/health')).then((response) => response.json());
    expect(health).toMatchObject({
      status: 'ok',
      embedding: { state: 'disabled' },
      vectorIndex: { state: 'ready' },
    });
  });
});
