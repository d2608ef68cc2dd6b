import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, rawQuery, TEST_DATABASE, type TestDatabase } from './helpers/database.ts';
import { type EngramProcess, killSpawned, spawnEngram, waitFor } from './helpers/engram-process.ts';
import { REDIS_URL, redisSuite } from './helpers/redis.ts';

/**
 * Engram as it scales out (README, "Many replicas"): two servers and one `engram worker`, real
 * processes on one PostgreSQL database, with the event bus on Redis and again on PostgreSQL
 * LISTEN/NOTIFY. A subscriber on server A hears writes made through server B and the worker's
 * augmentation results; a fact remembered on A is found by `semanticFacts` on B once B's index has
 * synced; and killing B with SIGKILL loses no write it acknowledged. PostgreSQL suite only.
 */
const onPostgres = TEST_DATABASE === 'postgresql';
if (!onPostgres)
  process.stdout.write(`\nSKIPPED the multi-instance suite on ${TEST_DATABASE}: PostgreSQL only\n`);
const withRedis = onPostgres && (await redisSuite('the multi-instance suite with EVENT_BUS=redis'));

const DIMENSIONS = 4;
const SYNC_INTERVAL_MS = 1_000;

async function gql<T = Record<string, unknown>>(url: string, query: string, variables = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: T; errors?: unknown[] };
  if (result.errors?.length || !result.data)
    throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

const REMEMBER = `mutation ($input: RememberFactInput!) {
  rememberFact(input: $input) { __typename ... on RememberFactSuccess { fact { id } } }
}`;
const RECORD = `mutation ($input: RecordConversationInput!) { recordConversation(input: $input) { __typename } }`;
const SEMANTIC = `query ($entity: String!, $v: [Float!]) {
  semanticFacts(entity: $entity, vector: $v, first: 5) { fact { content } }
}`;

function multiInstanceSuite(bus: Record<string, string>) {
  let database: TestDatabase;
  let a: EngramProcess;
  let b: EngramProcess;
  let worker: EngramProcess;
  let urlA: string;
  let urlB: string;
  const sockets: ReturnType<typeof createClient>[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      EMBEDDING_PROVIDER: 'none',
      VECTOR_INDEX_PATH: 'memory',
      VECTOR_DIMENSIONS: String(DIMENSIONS),
      VECTOR_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS),
      AUGMENTATION: 'on',
      AUGMENTATION_POLL_MS: '100',
      LOG_LEVEL: 'info',
      EVENT_BUS_CHANNEL: `t_${randomBytes(5).toString('hex')}`,
      ...bus,
    };
    // Augmentation runs in the worker only, so its results reach A only through the bus.
    const server = { ...env, AUGMENTATION_CONCURRENCY: '0' };
    // A migrates the new database first; the others start on it once it listens.
    a = spawnEngram(['serve'], server);
    urlA = `http://127.0.0.1:${await a.port()}/graphql`;
    b = spawnEngram(['serve'], server);
    worker = spawnEngram(['worker'], env);
    urlB = `http://127.0.0.1:${await b.port()}/graphql`;
    await waitFor(() => worker.output().stdout.includes('augmentation worker running'), 'the worker');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await killSpawned();
    await database?.drop();
  });

  /** A graphql-ws subscription on A, its results kept as they come. */
  function subscribeOnA(query: string, variables: Record<string, unknown>) {
    const socket = createClient({
      url: urlA.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    sockets.push(socket);
    const results: { data?: Record<string, unknown> | null; errors?: unknown }[] = [];
    socket.subscribe(
      { query, variables },
      { next: (value) => results.push(value), error: () => {}, complete: () => {} },
    );
    return results;
  }

  it('A’s subscriber hears a fact written through B, and the worker’s augmentation results', async () => {
    const entity = `multi-${randomBytes(4).toString('hex')}`;
    const completed = subscribeOnA(
      'subscription ($e: String!) { augmentationCompleted(entity: $e) { status factsFound } }',
      { e: entity },
    );
    const facts = subscribeOnA(
      'subscription ($e: String!) { factChanged(entity: $e) { kind fact { content createdAt } } }',
      { e: entity },
    );
    const contents = () =>
      facts.map(
        (result) => (result.data?.factChanged as { fact: { content: string } } | undefined)?.fact.content,
      );
    // graphql-ws does not acknowledge a subscription: write through B until A hears one.
    for (let probe = 0; contents().length === 0; probe++) {
      expect(probe).toBeLessThan(100);
      await gql(urlB, REMEMBER, { input: { entity, content: `probe ${probe}` } });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const probes = contents().length;
    await gql(urlB, REMEMBER, { input: { entity, content: 'written through B' } });
    await waitFor(() => contents().includes('written through B'), 'the fact on A', 10_000);

    await gql(urlB, RECORD, {
      input: {
        entity,
        process: 'assistant',
        messages: [{ role: 'USER', content: 'I live in Lisbon and I love tea.' }],
      },
    });
    await waitFor(() => completed.length > 0, 'augmentationCompleted on A', 20_000);
    const job = completed[0]?.data?.augmentationCompleted as
      | { status: string; factsFound: number }
      | undefined;
    expect(job?.status).toBe('DONE');
    expect(job?.factsFound).toBeGreaterThan(0);
    // The worker's facts came to A as factChanged events too, before its augmentationCompleted.
    expect(
      contents()
        .slice(probes + 1)
        .join(' ')
        .toLowerCase(),
    ).toMatch(/lisbon|tea/);
    expect(facts.every((result) => result.errors === undefined)).toBe(true);
  });

  it('B’s semanticFacts finds a fact remembered on A once B’s index has synced', async () => {
    const entity = `multi-semantic-${randomBytes(4).toString('hex')}`;
    const vector = [0.1, 0.9, 0.3, 0.2];
    await gql(urlA, REMEMBER, { input: { entity, content: 'remembered on A', embedding: vector } });
    const started = Date.now();
    for (;;) {
      const found = await gql<{ semanticFacts: { fact: { content: string } }[] }>(urlB, SEMANTIC, {
        entity,
        v: vector,
      });
      if (found.semanticFacts.some((hit) => hit.fact.content === 'remembered on A')) break;
      expect(Date.now() - started).toBeLessThan(SYNC_INTERVAL_MS * 2 + 2_000);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    process.stdout.write(
      `\nmulti-instance (${bus.EVENT_BUS}): found on B after ${Date.now() - started} ms (sync interval ${SYNC_INTERVAL_MS} ms)\n`,
    );
  });

  it('killing B with SIGKILL mid-write loses nothing B acknowledged', async () => {
    const entity = `multi-kill-${randomBytes(4).toString('hex')}`;
    const acknowledged: string[] = [];
    let next = 0;
    let stop = false;
    const writer = async () => {
      while (!stop) {
        const content = `fact number ${next++}`;
        const ok = await gql<{ rememberFact: { __typename: string } }>(urlB, REMEMBER, {
          input: { entity, content },
        })
          .then((data) => data.rememberFact.__typename === 'RememberFactSuccess')
          .catch(() => false);
        if (ok) acknowledged.push(content);
        else stop = true;
      }
    };
    const writers = Array.from({ length: 4 }, writer);
    await waitFor(() => acknowledged.length >= 100, 'writes through B');
    b.child.kill('SIGKILL');
    await b.exited;
    stop = true;
    await Promise.all(writers);

    const rows = await rawQuery<{ content: string }>(
      database,
      `SELECT f.content FROM entity_fact f JOIN entity e ON e.id = f.entity_id WHERE e.external_id = '${entity}'`,
    );
    const stored = new Set(rows.map((row) => row.content));
    expect(acknowledged.filter((content) => !stored.has(content))).toEqual([]);
    // A still serves, and sees every acknowledged fact.
    const onA = await gql<{ semanticFacts: unknown[] }>(urlA, SEMANTIC, { entity, v: [1, 0, 0, 0] });
    expect(Array.isArray(onA.semanticFacts)).toBe(true);
    process.stdout.write(
      `\nmulti-instance (${bus.EVENT_BUS}): ${acknowledged.length} writes acknowledged by B before SIGKILL, all stored\n`,
    );
  });
}

describe.runIf(withRedis)('two servers and a worker, EVENT_BUS=redis', () => {
  multiInstanceSuite({ EVENT_BUS: 'redis', REDIS_URL });
});

describe.runIf(onPostgres)('two servers and a worker, EVENT_BUS=postgres', () => {
  multiInstanceSuite({ EVENT_BUS: 'postgres' });
});
