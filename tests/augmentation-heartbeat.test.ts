import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordConversationDocument } from '../client-codegen/generated/graphql.ts';
import type { Extractor } from '../src/augment/types.ts';
import { HEARTBEAT_MISSES, JobQueue } from '../src/jobs/queue.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Heartbeats every 200 ms (a 1 s window); the lease (5 minutes) never runs out in these tests. */
const QUEUE = { leaseMs: 300_000, heartbeatMs: 200, maxAttempts: 5, backoffMs: 10 };
const ALIVE_MS = QUEUE.heartbeatMs * HEARTBEAT_MISSES;

describe('augmentation heartbeats', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Jobs are enqueued; the queues below claim them by hand.
    server = await startTestServer({ env: { AUGMENTATION: 'on', AUGMENTATION_CONCURRENCY: '0' } });
  });
  afterAll(() => server.close());

  async function enqueue(entity: string): Promise<void> {
    await server.gql(RecordConversationDocument, {
      input: { entity, process: 'bot', messages: [{ role: 'USER', content: 'I love tea.' }] },
    });
  }

  it('a worker that stops renewing loses its job a few heartbeats later, long before its lease', async () => {
    await enqueue('hb-dead');
    const dead = new JobQueue(server.db, { ...QUEUE, owner: 'dead-worker' });
    const live = new JobQueue(server.db, { ...QUEUE, owner: 'live-worker' });
    const claimedAt = Date.now();
    const [job] = await dead.claim(1);
    expect(job).toBeDefined();
    expect(await live.claim(1)).toEqual([]);
    let taken: Awaited<ReturnType<JobQueue['claim']>> = [];
    while (taken.length === 0) {
      expect(Date.now() - claimedAt).toBeLessThan(ALIVE_MS * 10);
      await sleep(10);
      taken = await live.claim(1);
    }
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(ALIVE_MS);
    expect(taken[0]).toMatchObject({ id: job?.id, leaseOwner: 'live-worker', attempts: 2 });
    // The dead worker, were it to wake up, can neither renew nor complete it.
    expect(await dead.renew([job?.id as number])).toBe(0);
    await server.db.augmentationJob.deleteMany();
  });

  it('a worker that keeps renewing keeps its job past many heartbeat windows', async () => {
    await enqueue('hb-alive');
    const slow = new JobQueue(server.db, { ...QUEUE, owner: 'slow-worker' });
    const other = new JobQueue(server.db, { ...QUEUE, owner: 'other-worker' });
    const [job] = await slow.claim(1);
    const id = job?.id as number;
    const until = Date.now() + ALIVE_MS * 3;
    while (Date.now() < until) {
      expect(await slow.renew([id])).toBe(1);
      expect(await other.claim(1)).toEqual([]);
      await sleep(QUEUE.heartbeatMs);
    }
    await server.db.augmentationJob.deleteMany();
  });

  it('a real worker running a job slower than the heartbeat window keeps it and completes it once', async () => {
    // Its own server, whose worker (heartbeat 200 ms) runs a job that takes 3 windows.
    let calls = 0;
    const slowExtractor: Extractor = {
      name: 'slow',
      async extract() {
        calls++;
        await sleep(ALIVE_MS * 3);
        return { facts: [{ content: 'Loves tea', category: 'PREFERENCE', messageIndex: 0 }], triples: [] };
      },
    };
    const worker = await startTestServer({
      database: { url: server.databaseUrl },
      extractor: slowExtractor,
      env: {
        AUGMENTATION: 'on',
        AUGMENTATION_POLL_MS: '20',
        AUGMENTATION_HEARTBEAT_MS: String(QUEUE.heartbeatMs),
      },
    });
    try {
      const rival = new JobQueue(server.db, { ...QUEUE, owner: 'rival-worker' });
      await enqueue('hb-slow');
      let job = await server.db.augmentationJob.findFirstOrThrow();
      const deadline = Date.now() + 15_000;
      let rivalTries = 0;
      while (job.status !== 'DONE') {
        expect(Date.now()).toBeLessThan(deadline);
        // Once the worker holds it, nobody else may take it while it runs.
        if (job.status === 'RUNNING') {
          expect(await rival.claim(1)).toEqual([]);
          rivalTries++;
        }
        await sleep(25);
        job = await server.db.augmentationJob.findUniqueOrThrow({ where: { id: job.id } });
      }
      expect(job).toMatchObject({ attempts: 1, extractor: 'slow', factsFound: 1, heartbeatUntil: null });
      expect(calls).toBe(1);
      expect(rivalTries).toBeGreaterThan(20);
    } finally {
      await worker.close();
    }
  });
});
