import { randomBytes } from 'node:crypto';
import { type ExecutionResult, parse } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngramTopics } from '../src/events/pubsub.ts';
import { createTestDatabase, rawQuery, TEST_DATABASE, type TestDatabase } from './helpers/database.ts';
import {
  killRedisConnections,
  REDIS_URL,
  redisClient,
  redisSuite,
  subscribedInRedis,
} from './helpers/redis.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * The event bus between processes (EVENT_BUS=redis and postgres): two Engram servers on one
 * database, each with its own bus connection, as two replicas would be. What one publishes reaches
 * the other's subscribers with the row's own types; an erase on one stops the other's events in
 * flight; a subscriber whose bus connection drops is told EVENTS_MISSED. The Redis suite runs on
 * every database project; the PostgreSQL bus only on PostgreSQL.
 */
const withRedis = await redisSuite(`the Redis event bus tests (${TEST_DATABASE})`);

const FACT_CHANGED =
  'subscription ($entity: String!) { factChanged(entity: $entity) { kind fact { id content createdAt lastMentionedAt entity { externalId } } } }';
const REMEMBER = parse(`mutation ($input: RememberFactInput!) {
  rememberFact(input: $input) { __typename ... on RememberFactSuccess { fact { id } } }
}`);
const ERASE = parse(`mutation ($entity: String!) {
  eraseEntity(input: { entity: $entity }) { __typename }
}`);

type FactChangedResult = ExecutionResult<{
  factChanged: {
    kind: string;
    fact: {
      id: string;
      content: string;
      createdAt: string;
      lastMentionedAt: string;
      entity: { externalId: string };
    };
  };
}>;

/** A graphql-ws subscription whose results (and error, or completion) are kept as they come. */
function subscribe(client: Client, entity: string) {
  const results: FactChangedResult[] = [];
  let failure: unknown;
  let completed = false;
  const unsubscribe = client.subscribe(
    { query: FACT_CHANGED, variables: { entity } },
    {
      next: (value) => results.push(value as FactChangedResult),
      error: (error) => {
        failure = error;
      },
      complete: () => {
        completed = true;
      },
    },
  );
  return { results, unsubscribe, failure: () => failure, completed: () => completed };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Replicas {
  a: TestServer;
  b: TestServer;
  /** Resolves once A's bus hears `topic:key` (Redis acknowledges a SUBSCRIBE asynchronously). */
  heard(topic: keyof EngramTopics, key: string): Promise<void>;
  /** Cuts A's (and B's) bus connection, as a network failure would. */
  cut(): Promise<void>;
}

function busSuite(kind: 'redis' | 'postgres', start: () => Promise<Replicas>) {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await start();
  });

  it('delivers a fact written on B to A’s subscriber, with its dates as dates', async () => {
    const { a, b } = replicas;
    const entity = `bus-${kind}-${randomBytes(4).toString('hex')}`;
    const direct = a.engram.events.subscribe('fact-changed', entity)[Symbol.asyncIterator]();
    const first = direct.next();
    const ws = subscribe(a.wsClient(), entity);
    await replicas.heard('fact-changed', entity);
    // A long content in several scripts: over NOTIFY's 8000 bytes, so it crosses in pieces.
    const content = `${'déjà vu, 東京, 🚀 '.repeat(700)}end`;
    await b.gql(REMEMBER as never, { input: { entity, content } });

    const event = (await first).value as EngramTopics['fact-changed'][1];
    expect(event.kind).toBe('CREATED');
    expect(event.fact.content).toBe(content);
    expect(event.fact.createdAt).toBeInstanceOf(Date);
    expect(event.fact.lastMentionedAt).toBeInstanceOf(Date);
    expect(Math.abs(event.fact.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    await direct.return?.();

    await until(() => ws.results.length === 1, 'the WebSocket subscriber’s event');
    const [result] = ws.results;
    expect(result?.errors).toBeUndefined();
    expect(result?.data?.factChanged.fact).toMatchObject({
      content,
      entity: { externalId: entity },
      createdAt: event.fact.createdAt.toISOString(),
    });
    ws.unsubscribe();
  });

  it('keeps entities apart: a subscriber of one entity hears nothing of another', async () => {
    const { a, b } = replicas;
    const mine = `bus-${kind}-mine-${randomBytes(4).toString('hex')}`;
    const other = `bus-${kind}-other-${randomBytes(4).toString('hex')}`;
    const ws = subscribe(a.wsClient(), mine);
    await replicas.heard('fact-changed', mine);
    await b.gql(REMEMBER as never, { input: { entity: other, content: 'not yours' } });
    await b.gql(REMEMBER as never, { input: { entity: mine, content: 'yours' } });
    await until(() => ws.results.length === 1, 'the event');
    expect(ws.results.map((result) => result.data?.factChanged.fact.content)).toEqual(['yours']);
    ws.unsubscribe();
  });

  it('an erase on B drops A’s undelivered events about the entity', async () => {
    const { a, b } = replicas;
    const entity = `bus-${kind}-erased-${randomBytes(4).toString('hex')}`;
    // A subscriber on A that does not pull: B's events queue up for it.
    const idle = a.engram.events.subscribe('fact-changed', entity)[Symbol.asyncIterator]();
    const pending = idle.next();
    // Another that pulls, to know when they have arrived on A.
    const eager = a.engram.events.subscribe('fact-changed', entity)[Symbol.asyncIterator]();
    const seen: string[] = [];
    const pulling = (async () => {
      for (;;) {
        const next = await eager.next();
        if (next.done) return;
        seen.push((next.value as EngramTopics['fact-changed'][1]).fact.content);
      }
    })();
    await replicas.heard('fact-changed', entity);
    // The idle subscriber's first pull already waits; it takes the first event at once.
    await b.gql(REMEMBER as never, { input: { entity, content: 'delivered before the erase' } });
    await b.gql(REMEMBER as never, { input: { entity, content: 'queued at the erase' } });
    await until(() => seen.length === 2, 'both events on A');
    expect((await pending).value).toMatchObject({ fact: { content: 'delivered before the erase' } });

    expect((await b.gql(ERASE as never, { entity })) as unknown).toMatchObject({
      eraseEntity: { __typename: 'EraseEntitySuccess' },
    });
    await b.gql(REMEMBER as never, { input: { entity, content: 'the entity anew' } });
    await until(() => seen.length === 3, 'the new event on A');
    // The queued event was published before the erase: A's idle subscriber never gets it.
    expect((await idle.next()).value).toMatchObject({ fact: { content: 'the entity anew' } });
    await idle.return?.();
    await eager.return?.();
    await pulling;
  });

  it('ends A’s subscriptions with EVENTS_MISSED when its bus connection drops, and recovers', async () => {
    const { a, b } = replicas;
    const entity = `bus-${kind}-missed-${randomBytes(4).toString('hex')}`;
    const client = a.wsClient();
    const ws = subscribe(client, entity);
    await replicas.heard('fact-changed', entity);
    // A second subscriber of the same operation and key shares the first one's execution: it is told too.
    const twin = subscribe(a.wsClient(), entity);
    await until(() => a.app.subscriptionGroups.sizes().includes(2), 'the twin to join');
    await replicas.cut();
    // graphql-ws ends the operation with an `error` message carrying the code; the socket stays.
    for (const subscriber of [ws, twin]) {
      await until(
        () => subscriber.failure() !== undefined || subscriber.completed(),
        'the subscriber to be told',
      );
      expect(subscriber.results).toEqual([]);
      expect(subscriber.failure()).toEqual([
        expect.objectContaining({
          extensions: { code: 'EVENTS_MISSED' },
          message: expect.stringMatching(/missed/),
        }),
      ]);
    }

    // Once the bus has reconnected, a new subscription hears B again.
    await until(() => a.engram.events.connected() && b.engram.events.connected(), 'the reconnection');
    const again = subscribe(client, entity);
    await replicas.heard('fact-changed', entity);
    await b.gql(REMEMBER as never, { input: { entity, content: 'after the reconnection' } });
    await until(() => again.results.length === 1, 'the event after reconnecting');
    expect(again.results[0]?.data?.factChanged.fact.content).toBe('after the reconnection');
    again.unsubscribe();
  });
}

describe.runIf(withRedis)(`the Redis event bus (${TEST_DATABASE})`, () => {
  const channel = `t_${randomBytes(5).toString('hex')}`;
  const admin = redisClient();
  let database: TestDatabase;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
    admin.disconnect();
  });
  busSuite('redis', async () => {
    database = await createTestDatabase();
    const env = { EVENT_BUS: 'redis', REDIS_URL, EVENT_BUS_CHANNEL: channel };
    a = await startTestServer({ database, env });
    b = await startTestServer({ database, env });
    return {
      a,
      b,
      heard: (topic, key) => subscribedInRedis(admin, `${channel}:${topic}:${key}`),
      cut: async () => {
        expect(await killRedisConnections(admin, `${channel}-subscriber`)).toBe(2);
      },
    };
  });
});

describe.runIf(TEST_DATABASE === 'postgresql')('the PostgreSQL event bus (LISTEN/NOTIFY)', () => {
  const channel = `t_${randomBytes(5).toString('hex')}`;
  let database: TestDatabase;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });
  busSuite('postgres', async () => {
    database = await createTestDatabase();
    const env = { EVENT_BUS: 'postgres', EVENT_BUS_CHANNEL: channel };
    a = await startTestServer({ database, env });
    b = await startTestServer({ database, env });
    return {
      a,
      b,
      // One LISTEN per process, open since the start: a local listener hears everything.
      heard: async () => {},
      cut: async () => {
        const [row] = await rawQuery<{ cut: number }>(
          database,
          `SELECT count(pg_terminate_backend(pid))::int AS cut FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = '${channel}-events'`,
        );
        expect(row?.cut).toBe(2);
      },
    };
  });
});
