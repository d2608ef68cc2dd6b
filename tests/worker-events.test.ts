import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AugmentationCompletedDocument,
  RecordConversationDocument,
} from '../client-codegen/generated/graphql.ts';
import { loadConfig } from '../src/config/config.ts';
import { createEngram, type Engram } from '../src/engram.ts';
import type { EngramTopics } from '../src/events/pubsub.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { REDIS_URL, redisSuite } from './helpers/redis.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

/**
 * What an `engram worker` process delivers (README, "Scaling augmentation" and "Many replicas"):
 * its runner publishes what a job changed on its event bus. With EVENT_BUS=memory that bus is the
 * worker's own, and a server's subscribers do not hear it; with a bus between processes (Redis
 * here; tests/multi-instance.slow.test.ts runs both buses with real processes) they do.
 */
const withRedis = await redisSuite(`the worker events over Redis (${TEST_DATABASE})`);

/** A server that enqueues turns but runs no jobs, and a worker on its database that runs them. */
async function serverAndWorker(bus: Record<string, string>): Promise<{ server: TestServer; worker: Engram }> {
  const server = await startTestServer({
    env: { AUGMENTATION: 'on', AUGMENTATION_CONCURRENCY: '0', ...bus },
  });
  const worker = await createEngram(
    loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: server.databaseUrl,
      EMBEDDING_PROVIDER: 'none',
      VECTOR_INDEX_PATH: 'memory',
      AUGMENTATION: 'on',
      AUGMENTATION_POLL_MS: '50',
      ...bus,
    }),
    { role: 'worker' },
  );
  await worker.start({ wait: true });
  return { server, worker };
}

/** The next event of a topic on one process's bus. */
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

const turn = (entity: string) => ({
  input: {
    entity,
    process: 'assistant',
    messages: [{ role: 'USER' as const, content: 'I live in Lisbon and I love tea.' }],
  },
});

describe('augmentation in a separate worker, EVENT_BUS=memory', () => {
  let server: TestServer;
  let worker: Engram;
  beforeAll(async () => {
    ({ server, worker } = await serverAndWorker({}));
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
  });

  it('publishes on the worker’s bus; the server’s subscribers do not hear it', async () => {
    expect(server.engram.runner).toBeNull();
    expect(worker.runner).not.toBeNull();
    const entity = 'worker-events-1';
    const onServer = collect(server, server.wsClient(), AugmentationCompletedDocument, { entity }, 1);
    await onServer.ready;
    const workerCompleted = next(worker, 'augmentation-completed', entity);
    const workerFact = next(worker, 'fact-changed', entity);

    await server.gql(RecordConversationDocument, turn(entity));

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

describe.runIf(withRedis)('augmentation in a separate worker, EVENT_BUS=redis', () => {
  let server: TestServer;
  let worker: Engram;
  beforeAll(async () => {
    const channel = `t_${randomBytes(5).toString('hex')}`;
    ({ server, worker } = await serverAndWorker({
      EVENT_BUS: 'redis',
      REDIS_URL,
      EVENT_BUS_CHANNEL: channel,
    }));
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
  });

  it('the server’s subscribers hear what the worker’s jobs did', async () => {
    const entity = `worker-events-${randomBytes(4).toString('hex')}`;
    const completed = next(server.engram, 'augmentation-completed', entity);
    const fact = next(server.engram, 'fact-changed', entity);
    const onServer = collect(server, server.wsClient(), AugmentationCompletedDocument, { entity }, 1);
    await onServer.ready;
    // Redis acknowledges the server's SUBSCRIBE asynchronously; the job takes longer than that.
    await server.gql(RecordConversationDocument, turn(entity));

    const job = await completed;
    expect(job).toMatchObject({ status: 'DONE', extractor: 'local' });
    expect(job.completedAt).toBeInstanceOf(Date);
    expect((await fact).fact.content.toLowerCase()).toMatch(/lisbon|tea/);
    const [result] = await onServer.results;
    expect(result?.errors).toBeUndefined();
    expect(result?.data?.augmentationCompleted).toMatchObject({ status: 'DONE', factsFound: job.factsFound });
  });
});
