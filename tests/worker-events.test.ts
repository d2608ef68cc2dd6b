import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AugmentationCompletedDocument,
  RecordConversationDocument,
} from '../client-codegen/generated/graphql.ts';
import { loadConfig } from '../src/config/config.ts';
import { createEngram, type Engram } from '../src/engram.ts';
import type { EngramTopics } from '../src/events/pubsub.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

/**
 * What an `engram worker` process delivers (README, "Scaling augmentation"): its runner publishes
 * what a job changed on the worker's own event bus, and, until a cross-process bus exists, a
 * server's subscribers do not hear it. If that changes, this test and the README change together.
 */
describe('augmentation in a separate worker', () => {
  let server: TestServer;
  let worker: Engram;

  beforeAll(async () => {
    // The server enqueues turns but runs no jobs itself.
    server = await startTestServer({ env: { AUGMENTATION: 'on', AUGMENTATION_CONCURRENCY: '0' } });
    worker = await createEngram(
      loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: server.databaseUrl,
        EMBEDDING_PROVIDER: 'none',
        VECTOR_INDEX_PATH: 'memory',
        AUGMENTATION: 'on',
        AUGMENTATION_POLL_MS: '50',
      }),
      { role: 'worker' },
    );
    await worker.start({ wait: true });
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
  });

  /** The next event of a topic on an in-process bus. */
  async function next<T extends 'fact-changed' | 'augmentation-completed'>(
    engram: Engram,
    topic: T,
    entity: string,
  ): Promise<EngramTopics[T][1]> {
    const events = engram.events.subscribe(topic as 'fact-changed', entity);
    const iterator = events[Symbol.asyncIterator]();
    const result = await iterator.next();
    await iterator.return?.();
    return result.value as EngramTopics[T][1];
  }

  it('publishes on the worker’s bus; the server’s subscribers do not hear it', async () => {
    expect(server.engram.runner).toBeNull();
    expect(worker.runner).not.toBeNull();
    const entity = 'worker-events-1';
    const onServer = collect(server, server.wsClient(), AugmentationCompletedDocument, { entity }, 1);
    await onServer.ready;
    const workerCompleted = next(worker, 'augmentation-completed', entity);
    const workerFact = next(worker, 'fact-changed', entity);

    await server.gql(RecordConversationDocument, {
      input: {
        entity,
        process: 'assistant',
        messages: [{ role: 'USER', content: 'I live in Lisbon and I love tea.' }],
      },
    });

    const job = await workerCompleted;
    expect(job).toMatchObject({ status: 'DONE', extractor: 'local' });
    expect((await workerFact).fact.content.toLowerCase()).toMatch(/lisbon|tea/);

    // The worker has published; anything it published reached the server's bus before this marker
    // would. The server's subscriber gets the marker first: nothing crossed the process boundary.
    server.engram.events.publish('augmentation-completed', entity, { ...job, factsFound: 999 });
    const [first] = await onServer.results;
    expect(first?.data?.augmentationCompleted?.factsFound).toBe(999);
  });
});
