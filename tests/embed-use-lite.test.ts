import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RecallForDocument,
  RememberFactDocument,
  SemanticSearchDocument,
  SemanticStatusDocument,
} from '../client-codegen/generated/graphql.ts';
import { loadConfig } from '../src/config/config.ts';
import { ConfigError } from '../src/config/environment.ts';
import { createUseLiteEmbedder, USE_LITE_DIMENSIONS, USE_LITE_MODEL_ID } from '../src/embed/use-lite.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { cosine } from './helpers/vectors.ts';

// The real model, as `EMBEDDING_PROVIDER=use-lite` selects it: its weights come with npm.
describe('the USE-lite embedding provider', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { EMBEDDING_PROVIDER: 'use-lite' } });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('is selected by EMBEDDING_PROVIDER=use-lite, with 512 dimensions unless told otherwise', () => {
    const config = loadConfig({ EMBEDDING_PROVIDER: 'use-lite' });
    expect(config.embeddings).toMatchObject({ provider: 'use-lite' });
    expect(config.memory.dimension).toBe(512);
    expect(config.searchIndex?.dimension).toBe(512);
    expect(loadConfig({}).memory.dimension).toBe(384);
    expect(() => loadConfig({ EMBEDDING_PROVIDER: 'use-lite', VECTOR_DIMENSIONS: '384' })).toThrow(
      ConfigError,
    );
  });

  it('reports its model id and dimension', async () => {
    const status = await server.gql(SemanticStatusDocument, {});
    expect(status.semanticStatus.embedding).toEqual({
      state: 'ready',
      model: USE_LITE_MODEL_ID,
      dimension: USE_LITE_DIMENSIONS,
      error: null,
    });
  });

  it('embeds facts, stores its model id and 512 dimensions, and finds them by meaning over GraphQL', async () => {
    const facts = [
      'Has a golden retriever called Max',
      'Works as a nurse at the city hospital',
      'Is learning to play the violin',
      'Moved to Lisbon last spring',
    ];
    for (const content of facts) {
      const result = await server.gql(RememberFactDocument, { input: { entity: 'use-lite', content } });
      expect(result.rememberFact.__typename).toBe('RememberFactSuccess');
    }
    const stored = await server.db.entityFact.findMany({
      where: { entity: { externalId: 'use-lite' } },
      select: { embeddingModel: true, embeddingDim: true, embedding: true },
    });
    expect(stored).toHaveLength(facts.length);
    for (const fact of stored) {
      expect(fact).toMatchObject({ embeddingModel: USE_LITE_MODEL_ID, embeddingDim: 512 });
      expect(fact.embedding?.byteLength).toBe(512 * 4);
    }

    // No word in common with the fact it should find: only meaning can rank it first.
    const questions = [
      ['Which pet does she own?', facts[0]],
      ['What is her job?', facts[1]],
      ['What musical instrument?', facts[2]],
    ] as const;
    for (const [query, expected] of questions) {
      const found = await server.gql(SemanticSearchDocument, {
        entity: 'use-lite',
        query,
        first: 4,
        threshold: -1,
      });
      expect(found.semanticFacts[0]?.fact.content).toBe(expected);
      const recalled = await server.gql(RecallForDocument, { entity: 'use-lite', query, first: 4 });
      expect(recalled.recall[0]?.fact?.content).toBe(expected);
      expect(recalled.recall[0]?.breakdown.semantic).toBeGreaterThan(0);
    }
  });

  it('embeds in a worker thread: the event loop keeps turning while it works', async () => {
    const embedder = createUseLiteEmbedder();
    try {
      expect(await embedder.load()).toBe(512);
      const texts = Array.from({ length: 48 }, (_, i) => `Sentence number ${i} about a day at the beach.`);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = performance.now();
      const vectors = await embedder.embed(texts, 'document');
      const elapsed = performance.now() - started;
      clearInterval(timer);
      expect(vectors).toHaveLength(texts.length);
      for (const vector of vectors) expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
      expect(cosine(vectors[0] as Float32Array, vectors[1] as Float32Array)).toBeGreaterThan(0.5);
      // On the main thread the model would hold the loop for whole model calls; in a thread the
      // timer fires about every 5 ms. Half of that rate is a generous bar on a loaded machine.
      expect(ticks).toBeGreaterThan(elapsed / 5 / 2);
    } finally {
      await embedder.close();
    }
  });
});
