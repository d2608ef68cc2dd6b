import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AugmentationCompletedDocument,
  AugmentationJobsDocument,
  AugmentedMemoryDocument,
  RecordConversationDocument,
  RerunAugmentationDocument,
  TripleHistoryDocument,
} from '../client-codegen/generated/graphql.ts';
import type { Extraction, ExtractionInput, Extractor } from '../src/augment/types.ts';
import { JobQueue } from '../src/jobs/queue.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

const AUGMENTATION = {
  AUGMENTATION: 'on',
  AUGMENTATION_POLL_MS: '50',
  AUGMENTATION_BACKOFF_MS: '20',
  AUGMENTATION_MAX_ATTEMPTS: '3',
};

async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function record(server: TestServer, entity: string, content: string) {
  return server.gql(RecordConversationDocument, {
    input: { entity, process: 'assistant', messages: [{ role: 'USER', content }] },
  });
}

describe('augmentation with the local extractor', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: AUGMENTATION });
  });
  afterAll(() => server.close());

  it('extracts facts and triples in the background; a move supersedes, and asOf still answers the old city', async () => {
    const completed = collect(server, server.wsClient(), AugmentationCompletedDocument, { entity: 'u-2' }, 1);
    await completed.ready;
    const before = Date.now();
    await record(server, 'u-2', 'My name is Ana and I live in Porto. I love hiking.');
    const [event] = await completed.results;
    expect(event?.data?.augmentationCompleted).toMatchObject({ status: 'DONE', extractor: 'local' });
    expect(Date.now() - before).toBeLessThan(5000);

    const first = await server.gql(AugmentedMemoryDocument, {});
    const facts = first.entity?.facts.edges.map((edge) => edge.node.content.toLowerCase()) ?? [];
    expect(facts.some((fact) => fact.includes('porto'))).toBe(true);
    expect(facts.some((fact) => fact.includes('hiking'))).toBe(true);
    expect(first.entity?.triples.edges.map((edge) => edge.node.object.name)).toEqual(['Porto']);
    expect(first.entity?.triples.edges[0]?.node.validTo).toBeNull();

    const beforeMove = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const moved = collect(server, server.wsClient(), AugmentationCompletedDocument, { entity: 'u-2' }, 1);
    await moved.ready;
    await record(server, 'u-2', 'I moved to Madrid.');
    await moved.results;

    const now = await server.gql(AugmentedMemoryDocument, {});
    expect(now.entity?.triples.edges.map((edge) => edge.node.object.name)).toEqual(['Madrid']);
    const then = await server.gql(AugmentedMemoryDocument, { at: beforeMove });
    expect(then.entity?.triples.edges.map((edge) => edge.node.object.name)).toEqual(['Porto']);
    const history = await server.gql(TripleHistoryDocument, {
      entity: 'u-2',
      predicate: 'lives_in',
      includeHistory: true,
    });
    const porto = history.entity?.triples.edges.find((edge) => edge.node.object.name === 'Porto')?.node;
    expect(porto?.validTo).not.toBeNull();
    expect(new Date(porto?.validTo as string).getTime()).toBeGreaterThan(new Date(beforeMove).getTime());
  });

  it('keeps provenance and writes an extractive summary; jobs are listed for administrators', async () => {
    await record(server, 'u-3', 'I work at Acme Corp. By the way, what time is it?');
    const jobs = await until(
      () => server.gql(AugmentationJobsDocument, { status: 'DONE', first: 50 }),
      (data) => data.augmentationJobs.edges.some((edge) => edge.node.conversation.summary?.includes('Acme')),
      'the job',
    );
    const job = jobs.augmentationJobs.edges.find((edge) =>
      edge.node.conversation.summary?.includes('Acme'),
    )?.node;
    expect(job).toMatchObject({ status: 'DONE', attempts: 1, inputTokens: 0, lastError: null });
    expect(job?.conversation.augmentationStatus).toBe('DONE');
    expect(job?.conversation.summary).toBe('I work at Acme Corp.');
    const mention = await server.db.factMention.findFirst({
      where: { fact: { entity: { externalId: 'u-3' } } },
      include: { message: true },
    });
    expect(mention?.message?.content).toBe('I work at Acme Corp. By the way, what time is it?');
  });
});

/** An extractor that fails as scripted, then extracts one fact per message. */
function scriptedExtractor(
  failures: { message: string; retryable: boolean }[],
): Extractor & { calls: number } {
  const extractor = {
    name: 'scripted',
    calls: 0,
    async extract(input: ExtractionInput): Promise<Extraction> {
      const failure = failures[extractor.calls++];
      if (failure) throw Object.assign(new Error(failure.message), { retryable: failure.retryable });
      return {
        facts: input.messages.map((message, messageIndex) => ({
          content: `Said: ${message.content}`,
          category: 'FACT' as const,
          messageIndex,
        })),
        triples: [],
        usage: { inputTokens: 11, outputTokens: 7 },
      };
    },
  };
  return extractor;
}

describe('augmentation jobs: retries, parking, re-runs and leases', () => {
  it('retries with backoff, then succeeds; records token usage', async () => {
    const extractor = scriptedExtractor([
      { message: 'HTTP 503', retryable: true },
      { message: 'HTTP 429', retryable: true },
    ]);
    const server = await startTestServer({ env: AUGMENTATION, extractor });
    try {
      await record(server, 'retry', 'hello there');
      const job = await until(
        () => server.db.augmentationJob.findFirstOrThrow(),
        (found) => found.status === 'DONE',
        'the job to finish',
      );
      expect(job).toMatchObject({
        attempts: 3,
        inputTokens: 11,
        outputTokens: 7,
        factsFound: 1,
        lastError: null,
      });
      expect(extractor.calls).toBe(3);
      const fact = await server.db.entityFact.findFirstOrThrow();
      expect(fact).toMatchObject({ content: 'Said: hello there', mentionCount: 1 });
    } finally {
      await server.close();
    }
  });

  it('parks a job that cannot succeed, with its error, and re-runs it on request', async () => {
    const extractor = scriptedExtractor([
      { message: 'the API key was refused', retryable: false },
      { message: 'still down', retryable: true },
      { message: 'still down', retryable: true },
      { message: 'still down', retryable: true },
    ]);
    const server = await startTestServer({ env: AUGMENTATION, extractor });
    try {
      await record(server, 'parked', 'remember me');
      const parked = await until(
        () => server.db.augmentationJob.findFirstOrThrow(),
        (found) => found.status === 'PARKED',
        'the job to be parked',
      );
      expect(parked).toMatchObject({ attempts: 1, lastError: 'the API key was refused' });
      const listed = await server.gql(AugmentationJobsDocument, { status: 'PARKED' });
      const id = listed.augmentationJobs.edges[0]?.node.id as string;
      expect(listed.augmentationJobs.edges[0]?.node.conversation.augmentationStatus).toBe('PARKED');

      // Retryable failures park it after AUGMENTATION_MAX_ATTEMPTS.
      const rerun = await server.gql(RerunAugmentationDocument, { job: id });
      expect(rerun.rerunAugmentation).toMatchObject({ __typename: 'RerunAugmentationSuccess' });
      const again = await until(
        () => server.db.augmentationJob.findFirstOrThrow(),
        (found) => found.status === 'PARKED' && found.attempts === 3,
        'the job to be parked after 3 attempts',
      );
      expect(again.lastError).toBe('still down');

      await server.gql(RerunAugmentationDocument, { job: id });
      await until(
        () => server.db.augmentationJob.findFirstOrThrow(),
        (found) => found.status === 'DONE',
        'success',
      );
      const refused = await server.gql(RerunAugmentationDocument, { job: id });
      expect(refused.rerunAugmentation).toMatchObject({ code: 'JOB_NOT_RERUNNABLE' });
      expect(await server.db.entityFact.count()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('lets exactly one worker complete a job whose lease ran out and was taken over', async () => {
    const server = await startTestServer({ env: { AUGMENTATION: 'on', AUGMENTATION_CONCURRENCY: '0' } });
    try {
      await record(server, 'lease', 'first');
      // Heartbeats would outlive the lease here: this is about the lease.
      const options = { leaseMs: 100, heartbeatMs: 60_000, maxAttempts: 5, backoffMs: 10 };
      const slow = new JobQueue(server.db, { ...options, owner: 'slow-worker' });
      const fast = new JobQueue(server.db, { ...options, owner: 'fast-worker' });
      const [job] = await slow.claim(5);
      expect(job).toBeDefined();
      expect(await fast.claim(5)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const [taken] = await fast.claim(5);
      expect(taken?.id).toBe(job?.id);
      const outcome = { extractor: 'x', inputTokens: 0, outputTokens: 0, factsFound: 0, triplesFound: 0 };
      const late = await server.db.$transaction((tx) =>
        slow.complete(tx, job as NonNullable<typeof job>, outcome),
      );
      const winner = await server.db.$transaction((tx) =>
        fast.complete(tx, taken as NonNullable<typeof taken>, outcome),
      );
      expect([late, winner]).toEqual([false, true]);
      expect(await server.db.augmentationJob.findUniqueOrThrow({ where: { id: job?.id } })).toMatchObject({
        status: 'DONE',
        attempts: 2,
      });
    } finally {
      await server.close();
    }
  });

  it('shares the queue between several workers: 60 jobs, each completed exactly once', async () => {
    const servers = [await startTestServer({ env: { ...AUGMENTATION, AUGMENTATION_CONCURRENCY: '3' } })];
    const main = servers[0] as TestServer;
    try {
      for (let i = 0; i < 2; i++) {
        servers.push(
          await startTestServer({
            database: { url: main.databaseUrl },
            env: { ...AUGMENTATION, AUGMENTATION_CONCURRENCY: '3' },
          }),
        );
      }
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          record(servers[i % 3] as TestServer, `many-${i % 5}`, `I love topic${i}.`),
        ),
      );
      await until(
        () => main.db.augmentationJob.count({ where: { status: 'DONE' } }),
        (done) => done === 60,
        'every job',
        30_000,
      );
      const facts = await main.db.entityFact.findMany({
        where: { entity: { externalId: { startsWith: 'many-' } } },
      });
      expect(facts.length).toBeGreaterThanOrEqual(60);
      expect(facts.every((fact) => fact.mentionCount === 1)).toBe(true);
      expect(
        await main.db.factMention.count({
          where: { fact: { entity: { externalId: { startsWith: 'many-' } } } },
        }),
      ).toBe(facts.length);
      const owners = await main.db.augmentationJob.groupBy({ by: ['leaseOwner'], _count: true });
      expect(owners.length).toBeGreaterThan(1);
    } finally {
      for (const server of servers.slice(1).reverse()) await server.close();
      await main.close();
    }
  });
});
