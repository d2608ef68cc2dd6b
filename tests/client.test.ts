/**
 * The TypeScript client (client-codegen/client/) against a real Engram: every typed call, a live
 * subscription over graphql-ws from Node (the `ws` package), entity tokens from a provider (cached,
 * refreshed before expiry and after a 401), and errors carrying the server's codes.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  EngramClient,
  EngramError,
  isEngramError,
  mintEntityToken,
  tokenExpiry,
} from '../client-codegen/client/index.ts';
import { nextListener } from './helpers/listening.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { wordHashEmbedder } from './helpers/vectors.ts';

const SECRET = 'client-test-entity-token-secret-0123456789';
const SERVICE_KEY = 'client-service-key';

/** A token that looks right (far expiry) but is signed with another secret: the server refuses it. */
const forged = (entity: string) =>
  new SignJWT({ scope: 'READ WRITE' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('engram')
    .setAudience('engram')
    .setSubject(entity)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
    .sign(new TextEncoder().encode('not-the-server-secret-0123456789-abcdef'));

describe('EngramClient', () => {
  let server: TestServer;
  let service: EngramClient;
  const clients: EngramClient[] = [];
  const track = (client: EngramClient) => {
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer({
      embedder: wordHashEmbedder(),
      env: { API_KEYS: `admin-key, service:${SERVICE_KEY}`, ENTITY_TOKEN_SECRET: SECRET },
    });
    service = track(new EngramClient({ url: server.url, apiKey: SERVICE_KEY, webSocketImpl: WebSocket }));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  it('records a conversation and reads the session back', async () => {
    const recorded = await service.recordConversation({
      entity: 'cl-1',
      process: 'client-test',
      session: '3f1c9c52-5b7e-4d8e-9a43-0d1f2a3b4c5d',
      messages: [
        { role: 'USER', content: 'I moved to Lisbon last spring' },
        { role: 'ASSISTANT', content: 'Lisbon is lovely in spring.' },
      ],
    });
    expect(recorded.session.uuid).toBe('3f1c9c52-5b7e-4d8e-9a43-0d1f2a3b4c5d');
    expect(recorded.replayed).toBe(false);
    expect(recorded.messages.map((m) => [m.role, m.type, m.content])).toEqual([
      ['USER', 'text', 'I moved to Lisbon last spring'],
      ['ASSISTANT', 'text', 'Lisbon is lovely in spring.'],
    ]);
    const session = await service.sessionMessages(recorded.session.uuid);
    expect(session?.entity.externalId).toBe('cl-1');
    expect(session?.messages.map((m) => m.content)).toEqual([
      'I moved to Lisbon last spring',
      'Lisbon is lovely in spring.',
    ]);
    expect(await service.sessionMessages('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('remembers, recalls, searches and forgets facts', async () => {
    const tea = await service.rememberFact({ entity: 'cl-2', content: 'Drinks green tea every morning' });
    expect(tea.kind).toBe('CREATED');
    const again = await service.rememberFact({ entity: 'cl-2', content: 'Drinks green tea every morning' });
    expect(again).toMatchObject({ id: tea.id, kind: 'MENTIONED', mentionCount: 2 });
    await service.rememberFact({ entity: 'cl-2', content: 'Plays the cello on weekends' });

    const recalled = await service.recall({ entity: 'cl-2', query: 'what tea does she drink?', first: 5 });
    expect(recalled[0]?.fact?.content).toBe('Drinks green tea every morning');
    expect(recalled[0]?.breakdown.lexical).toBeGreaterThan(0);

    const similar = await service.semanticSearch({ entity: 'cl-2', query: 'cello weekends', first: 1 });
    expect(similar.map((hit) => hit.fact.content)).toEqual(['Plays the cello on weekends']);

    expect(await service.forgetFact(tea.id)).toBe(tea.id);
    const after = await service.recall({ entity: 'cl-2', query: 'green tea', first: 5 });
    expect(after.map((hit) => hit.fact?.id)).not.toContain(tea.id);
  });

  it('recalls messages when asked for them with sources', async () => {
    await service.recordConversation({
      entity: 'cl-2m',
      process: 'client-test',
      messages: [
        { role: 'USER', content: 'How did you come to have Susie?' },
        { role: 'ASSISTANT', content: 'I adopted her two years ago from a shelter.' },
      ],
    });
    const messages = await service.recall({ entity: 'cl-2m', query: 'adopted Susie', sources: ['MESSAGE'] });
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((hit) => hit.fact === null && hit.message !== null)).toBe(true);
    expect(messages[0]?.message?.content).toBe('I adopted her two years ago from a shelter.');
    expect(messages[0]?.message?.role).toBe('ASSISTANT');
    // The default is facts only: this entity has none.
    expect(await service.recall({ entity: 'cl-2m', query: 'adopted Susie' })).toEqual([]);
  });

  it('adds triples, walks the neighborhood and forgets a triple', async () => {
    const triples = await service.addTriples({
      entity: 'cl-3',
      triples: [
        { subject: 'Ana', predicate: 'lives_in', object: 'Lisbon', objectType: 'city' },
        { subject: 'Lisbon', predicate: 'located_in', object: 'Portugal' },
        { subject: 'Ana', predicate: 'works_at', object: 'Acme' },
      ],
    });
    expect(triples.map((t) => `${t.subject.name} ${t.predicate.name} ${t.object.name}`)).toEqual([
      'Ana lives_in Lisbon',
      'Lisbon located_in Portugal',
      'Ana works_at Acme',
    ]);
    const around = await service.neighborhood({ entity: 'cl-3', of: 'Ana', depth: 2 });
    expect(around?.nodes.map((n) => n.name).sort()).toEqual(['Acme', 'Ana', 'Lisbon', 'Portugal']);
    const near = await service.neighborhood({ entity: 'cl-3', of: 'Ana', depth: 1 });
    expect(near?.nodes.map((n) => n.name).sort()).toEqual(['Acme', 'Ana', 'Lisbon']);

    const worksAt = triples[2]!;
    expect(await service.forgetTriple(worksAt.id)).toBe(worksAt.id);
    const without = await service.neighborhood({ entity: 'cl-3', of: 'Ana', depth: 1 });
    expect(without?.nodes.map((n) => n.name).sort()).toEqual(['Ana', 'Lisbon']);
    expect(await service.neighborhood({ entity: 'cl-nobody', of: 'Ana' })).toBeNull();
  });

  it('streams fact changes over graphql-ws with ws, and stops on close()', async () => {
    const listening = nextListener(server.app.events);
    const changes = service.factChanged('cl-4');
    const received: string[] = [];
    const reading = (async () => {
      for await (const event of changes) {
        received.push(`${event.factChanged.kind} ${event.factChanged.fact.content}`);
        if (received.length === 2) break;
      }
    })();
    await listening;
    const fact = await service.rememberFact({ entity: 'cl-4', content: 'Keeps bees' });
    await service.forgetFact(fact.id);
    await reading;
    expect(received).toEqual(['CREATED Keeps bees', 'FORGOTTEN Keeps bees']);

    const messages = service.messageAdded('6a0e7c1e-1111-4222-8333-944455556666');
    const first = messages.next();
    await messages.close();
    await expect(first).resolves.toEqual({ value: undefined, done: true });
  });

  it('turns typed error results, GraphQL errors and refusals into EngramError with the code', async () => {
    const invalid = await service.rememberFact({ entity: 'cl-5', content: '   ' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(EngramError);
    expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', typename: 'ValidationError' });
    expect((invalid as EngramError).issues[0]?.path).toBe('content');

    const missing = await service.forgetFact('not-a-global-id').catch((e: unknown) => e);
    expect(isEngramError(missing)).toBe(true);
    expect((missing as EngramError).code).not.toBe('INTERNAL_SERVER_ERROR');

    const noEmbedder = await service
      .semanticSearch({ entity: 'cl-5', query: 'x', vector: [1, 0] })
      .catch((e: unknown) => e);
    expect(noEmbedder).toMatchObject({ code: 'VALIDATION_FAILED' });

    const stranger = track(new EngramClient({ url: server.url, apiKey: 'wrong-key' }));
    const refused = await stranger.recall({ entity: 'cl-5', query: 'x' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });

    const { token } = await mintEntityToken({ url: server.url, apiKey: SERVICE_KEY, entity: 'cl-5' });
    const own = track(new EngramClient({ url: server.url, token }));
    const foreign = await own.rememberFact({ entity: 'cl-6', content: 'Not mine' }).catch((e: unknown) => e);
    expect(foreign).toMatchObject({ code: 'FORBIDDEN', typename: 'ForbiddenError' });

    const tokenMinting = await own.issueEntityToken({ entity: 'cl-5' }).catch((e: unknown) => e);
    expect(tokenMinting).toMatchObject({ code: 'FORBIDDEN' });

    const unreachable = track(new EngramClient({ url: 'http://127.0.0.1:1/graphql', apiKey: 'k' }));
    await expect(unreachable.recall({ entity: 'x', query: 'y' })).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
    });
  });

  it('caches a provided token until shortly before its expiry', async () => {
    let calls = 0;
    const getToken = async () => {
      calls++;
      return (await mintEntityToken({ url: server.url, apiKey: SERVICE_KEY, entity: 'cl-7', ttlSeconds: 4 }))
        .token;
    };
    const browser = track(new EngramClient({ url: server.url, getToken, refreshSkewSeconds: 1 }));
    await Promise.all([
      browser.rememberFact({ entity: 'cl-7', content: 'Likes jazz' }),
      browser.recall({ entity: 'cl-7', query: 'jazz' }),
    ]);
    await browser.recall({ entity: 'cl-7', query: 'jazz' });
    expect(calls).toBe(1);
    // Four-second tokens (exp in whole seconds: 3 to 4 left) refreshed one second early: stale after 3.1 s.
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const hits = await browser.recall({ entity: 'cl-7', query: 'jazz' });
    expect(hits.map((hit) => hit.fact?.content)).toEqual(['Likes jazz']);
    expect(calls).toBe(2);
  });

  it('asks the provider again once when the server refuses its token', async () => {
    const handed: string[] = [];
    const minted = await mintEntityToken({ url: server.url, apiKey: SERVICE_KEY, entity: 'cl-8' });
    expect(tokenExpiry(minted.token)).toBe(Math.floor(Date.parse(minted.expiresAt) / 1000));
    const queue = [await forged('cl-8'), minted.token];
    const browser = track(
      new EngramClient({
        url: server.url,
        getToken: async () => {
          const next = queue.shift() ?? (await forged('cl-8'));
          handed.push(next);
          return next;
        },
      }),
    );
    const fact = await browser.rememberFact({ entity: 'cl-8', content: 'Speaks Portuguese' });
    expect(fact.content).toBe('Speaks Portuguese');
    expect(handed).toHaveLength(2);

    // A provider that only ever hands refused tokens: one retry, then the server's code.
    const hopeless = track(new EngramClient({ url: server.url, getToken: () => forged('cl-8') }));
    await expect(hopeless.recall({ entity: 'cl-8', query: 'x' })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  // Timing-bound (2–4 s tokens): it failed once under heavy load (load average ~8); retried, not yet explained.
  it('reopens a subscription with a fresh token when the socket closes on expiry (4401)', async () => {
    let calls = 0;
    let renewed: Promise<void> | undefined;
    const browser = track(
      new EngramClient({
        url: server.url,
        webSocketImpl: WebSocket,
        refreshSkewSeconds: 0,
        getToken: async () => {
          calls++;
          // Two short-lived tokens (exp is in whole seconds: 3 leaves at least two, time for a
          // loaded machine to connect): a quiet subscription lives through two expiries, then
          // subscribes again with the third.
          const ttlSeconds = calls <= 2 ? 3 : 60;
          if (calls === 3) renewed = nextListener(server.app.events);
          return (await mintEntityToken({ url: server.url, apiKey: SERVICE_KEY, entity: 'cl-9', ttlSeconds }))
            .token;
        },
      }),
    );
    const changes = browser.factChanged('cl-9');
    const first = changes.next();
    await expect.poll(() => calls, { timeout: 10_000, interval: 100 }).toBe(3);
    await renewed;
    await service.rememberFact({ entity: 'cl-9', content: 'Runs marathons' });
    const step = await first;
    expect(step.value?.factChanged.fact.content).toBe('Runs marathons');
    expect(calls).toBe(3);
    await changes.close();

    // A fixed token cannot be renewed: its subscription ends with TOKEN_EXPIRED (the last result,
    // or the socket's 4401 close, whichever reaches the client first).
    const { token } = await mintEntityToken({
      url: server.url,
      apiKey: SERVICE_KEY,
      entity: 'cl-9',
      ttlSeconds: 2,
    });
    const fixed = track(new EngramClient({ url: server.url, token, webSocketImpl: WebSocket }));
    await expect(fixed.factChanged('cl-9').next()).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });
});
