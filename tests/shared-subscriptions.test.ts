import { type ExecutionResult, print } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  FactChangedForDocument,
  IssueEntityTokenDocument,
  RememberFactDocument,
} from '../client-codegen/generated/graphql.ts';
import { nextListener } from './helpers/listening.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const as = (credential: string) => ({ authorization: `Bearer ${credential}` });
const fact = (entity: string, content: string) => ({ input: { entity, content, category: 'FACT' as const } });
const QUERY = print(FactChangedForDocument);

/** A subscriber that keeps what it receives until told to stop. */
interface Listener {
  received: ExecutionResult[];
  /** Resolves once `count` results are in. */
  until(count: number): Promise<ExecutionResult[]>;
  stop(): void;
}

async function listen(server: TestServer, client: Client, entity: string): Promise<Listener> {
  const received: ExecutionResult[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  const listening = nextListener(server.app.events);
  let failed: unknown = null;
  const stop = client.subscribe(
    { query: QUERY, variables: { entity } },
    {
      next: (value) => {
        received.push(value as ExecutionResult);
        for (const waiter of waiting.filter((waiter) => received.length >= waiter.count)) waiter.resolve();
      },
      error: (error) => {
        failed = error;
      },
      complete: () => {},
    },
  );
  await listening;
  if (failed) throw new Error(`subscription failed: ${JSON.stringify(failed)}`);
  return {
    received,
    until: (count) =>
      new Promise((resolve) => {
        const done = () => resolve(received.slice(0, count));
        if (received.length >= count) done();
        else waiting.push({ count, resolve: done });
      }),
    stop,
  };
}

/**
 * graphql-ws subscriptions with the same document, variables and principal share one execution
 * per event (src/http/shared-subscriptions.ts); any other difference keeps them apart.
 */
describe('shared subscription execution', () => {
  let server: TestServer;
  /** Events the server's subscriptions have taken from the bus: one per execution. */
  let executions = 0;
  let tokenA: string;
  let tokenB: string;

  const token = async (entity: string) => {
    const issued = await server.request(
      IssueEntityTokenDocument,
      { input: { entity, ttlSeconds: 900, scopes: ['READ', 'WRITE'] } },
      as('service-key'),
    );
    if (issued.data?.issueEntityToken.__typename !== 'IssueEntityTokenSuccess') throw new Error('no token');
    return issued.data.issueEntityToken.token;
  };
  const remember = async (entity: string, content: string) => {
    const result = await server.request(RememberFactDocument, fact(entity, content), as('service-key'));
    expect(result.data?.rememberFact.__typename).toBe('RememberFactSuccess');
  };

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        API_KEYS: 'admin-key, service:service-key, read:reader-key',
        ENTITY_TOKEN_SECRET: 'shared-subscriptions-secret-0123456789abcdef',
        // A socket that does not read is closed past 1 MiB of unsent events.
        WS_MAX_UNSENT_BYTES: String(1024 ** 2),
        MAX_CONTENT_LENGTH: '100000',
      },
    });
    // Counts what every subscription pulls from the bus (the same object the resolvers call).
    const events = server.app.events;
    const subscribe = events.subscribe;
    events.subscribe = ((...args: Parameters<typeof subscribe>) => {
      const iterator = subscribe(...args);
      const wrapped: AsyncIterableIterator<unknown> = {
        [Symbol.asyncIterator]: () => wrapped,
        next: (...value: [] | [unknown]) =>
          iterator.next(...value).then((result) => {
            if (!result.done) executions += 1;
            return result;
          }),
        return: (value?: unknown) => iterator.return(value),
        throw: (error?: unknown) => iterator.throw(error),
      };
      return wrapped;
    }) as typeof subscribe;
    tokenA = await token('share-a');
    tokenB = await token('share-b');
  });
  afterAll(() => server.close());

  it('executes an event once for subscribers with the same document, variables and key', async () => {
    const first = await listen(server, server.wsClient(as('service-key')), 'share-1');
    const second = await listen(server, server.wsClient(as('service-key')), 'share-1');
    expect(server.app.subscriptionGroups.sizes()).toEqual([2]);
    const before = executions;
    await remember('share-1', 'Both hear this');
    const [a] = await first.until(1);
    const [b] = await second.until(1);
    expect(a?.data).toMatchObject({ factChanged: { kind: 'CREATED', fact: { content: 'Both hear this' } } });
    expect(b).toEqual(a);
    expect(executions - before).toBe(1);
    first.stop();
    second.stop();
    await expect.poll(() => server.app.subscriptionGroups.sizes()).toEqual([]);
  });

  it('keeps the others receiving when one member unsubscribes', async () => {
    const client = server.wsClient(as('service-key'));
    const members = [
      await listen(server, client, 'share-2'),
      await listen(server, client, 'share-2'),
      await listen(server, server.wsClient(as('service-key')), 'share-2'),
    ];
    expect(server.app.subscriptionGroups.sizes()).toEqual([3]);
    // The one that started the group leaves: the group's execution goes on for the others.
    members[0]?.stop();
    await expect.poll(() => server.app.subscriptionGroups.sizes()).toEqual([2]);
    const before = executions;
    await remember('share-2', 'After one left');
    for (const member of members.slice(1)) {
      expect((await member.until(1))[0]?.data).toMatchObject({
        factChanged: { fact: { content: 'After one left' } },
      });
    }
    expect(executions - before).toBe(1);
    expect(members[0]?.received).toEqual([]);
    for (const member of members.slice(1)) member.stop();
    await expect.poll(() => server.app.subscriptionGroups.sizes()).toEqual([]);
  });

  it('never groups different principals, even on the same document and variables', async () => {
    const service = await listen(server, server.wsClient(as('service-key')), 'share-a');
    const reader = await listen(server, server.wsClient(as('reader-key')), 'share-a');
    const ownToken = await listen(server, server.wsClient(as(tokenA)), 'share-a');
    expect(server.app.subscriptionGroups.sizes()).toEqual([1, 1, 1]);

    // Another entity's token asks for the same document and variables: refused, not joined.
    const refused = await new Promise<unknown>((resolve) => {
      server
        .wsClient(as(tokenB))
        .subscribe(
          { query: QUERY, variables: { entity: 'share-a' } },
          { next: resolve, error: resolve, complete: () => resolve('completed') },
        );
    });
    expect(refused).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect(server.app.subscriptionGroups.sizes()).toEqual([1, 1, 1]);
    const otherToken = await listen(server, server.wsClient(as(tokenB)), 'share-b');
    expect(server.app.subscriptionGroups.sizes()).toEqual([1, 1, 1, 1]);

    const before = executions;
    await remember('share-a', 'For A only');
    for (const member of [service, reader, ownToken]) {
      expect((await member.until(1))[0]?.data).toMatchObject({
        factChanged: { fact: { content: 'For A only' } },
      });
    }
    expect(executions - before).toBe(3);
    await remember('share-b', 'For B only');
    expect((await otherToken.until(1))[0]?.data).toMatchObject({
      factChanged: { fact: { content: 'For B only' } },
    });
    // B's event reached no subscriber of A, and A's none of B.
    for (const member of [service, reader, ownToken]) expect(member.received).toHaveLength(1);
    expect(otherToken.received).toHaveLength(1);
    for (const member of [service, reader, ownToken, otherToken]) member.stop();
    await expect.poll(() => server.app.subscriptionGroups.sizes()).toEqual([]);
  });

  it('starts a new group for subscribers that come after a group ended', async () => {
    const first = await listen(server, server.wsClient(as('service-key')), 'share-3');
    first.stop();
    await expect.poll(() => server.app.subscriptionGroups.sizes()).toEqual([]);
    const second = await listen(server, server.wsClient(as('service-key')), 'share-3');
    await remember('share-3', 'Heard by the newcomer');
    expect((await second.until(1))[0]?.data).toMatchObject({
      factChanged: { fact: { content: 'Heard by the newcomer' } },
    });
    expect(first.received).toEqual([]);
    second.stop();
  });

  it('closes the socket of a subscriber that stops reading, with 1013, and keeps the others', async () => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    const messages: { type: string }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as { type: string }));
    const closed = new Promise<number>((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: as('service-key') }));
    await expect.poll(() => messages.some((message) => message.type === 'connection_ack')).toBe(true);
    const reading = await listen(server, server.wsClient(as('service-key')), 'share-slow');
    const listening = nextListener(server.app.events);
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: QUERY, variables: { entity: 'share-slow' } },
      }),
    );
    await listening;
    expect(server.app.subscriptionGroups.sizes()).toEqual([2]);
    socket.pause();
    // 12 MB of events: past the 1 MiB of unsent bytes and what the kernel buffers hold on loopback.
    const writes = 120;
    for (let i = 0; i < writes; i++) await remember('share-slow', `${i} ${'x'.repeat(99_000)}`);
    socket.resume();
    expect(await closed).toBe(1013);
    const received = messages.filter((message) => message.type === 'next').length;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(writes);
    expect((await reading.until(writes)).length).toBe(writes);
    reading.stop();
  });
});
