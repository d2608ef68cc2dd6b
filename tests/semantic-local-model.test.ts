import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RememberFactDocument,
  SemanticSearchDocument,
  SemanticStatusDocument,
} from '../client-codegen/generated/graphql.ts';
import { embedMissingFacts } from '../src/services/embed-missing.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { writeTinyBertModel } from './helpers/tiny-model.ts';

// The server's own wiring (EMBEDDING_PROVIDER=local → transformers.js in a worker) on a tiny
// random-weight BERT the test writes: real loading, real inference, vectors of 32 dimensions.
describe('semantic memory on a local model', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'engram-model-'));
    const model = await writeTinyBertModel(dir);
    server = await startTestServer({
      env: {
        EMBEDDING_PROVIDER: 'local',
        EMBEDDING_MODEL: model.modelId,
        EMBEDDING_MODEL_PATH: model.modelPath,
        EMBEDDING_ALLOW_DOWNLOAD: 'false',
        VECTOR_DIMENSIONS: String(model.hidden),
      },
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('embeds facts and queries with the model, storing its id and dimension', async () => {
    const status = await server.gql(SemanticStatusDocument, {});
    expect(status.semanticStatus.embedding).toMatchObject({
      state: 'ready',
      model: 'local:engram-tests/tiny-bert',
      dimension: 32,
    });
    for (const content of ['likes green tea', 'plays the guitar', 'works as a nurse']) {
      await server.gql(RememberFactDocument, { input: { entity: 'tiny', content } });
    }
    const stored = await server.db.entityFact.findMany({
      where: { entity: { externalId: 'tiny' } },
      select: { embeddingModel: true, embeddingDim: true, embedding: true },
    });
    expect(
      stored.map((fact) => [fact.embeddingModel, fact.embeddingDim, fact.embedding?.byteLength]),
    ).toEqual(Array(3).fill(['local:engram-tests/tiny-bert', 32, 128]));
    // The same text embeds to the same vector, so a fact's own text finds it first.
    const found = await server.gql(SemanticSearchDocument, {
      entity: 'tiny',
      query: 'plays the guitar',
      first: 1,
      threshold: -1,
    });
    expect(found.semanticFacts[0]?.fact.content).toBe('plays the guitar');
    expect(found.semanticFacts[0]?.similarity).toBeCloseTo(1, 4);
  });

  it('fills in vectors for facts remembered while no model was loaded (reindex --embed)', async () => {
    const entity = await server.db.entity.create({ data: { externalId: 'backfill' } });
    await server.db.entityFact.create({
      data: { entityId: entity.id, content: 'speaks three languages', contentHash: 'backfill-1' },
    });
    const embedded = await embedMissingFacts({ db: server.db, embeddings: server.embeddings, dimension: 32 });
    expect(embedded).toBe(1);
    await server.index?.sync();
    const found = await server.gql(SemanticSearchDocument, {
      entity: 'backfill',
      query: 'speaks three languages',
      threshold: -1,
    });
    expect(found.semanticFacts.map((hit) => hit.fact.content)).toEqual(['speaks three languages']);
    expect(await server.index?.verify()).toMatchObject({ missing: [], orphans: [] });
  });
});
