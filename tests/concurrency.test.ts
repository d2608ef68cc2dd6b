import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTriplesCheckedDocument,
  EntityPageDocument,
  RecordMessagesDocument,
  RememberWithSourceDocument,
} from '../client-codegen/generated/graphql.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('concurrent writers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('20 concurrent rememberFact calls with the same content end in one fact with mentionCount 20', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        server.request(RememberWithSourceDocument, { input: { entity: 'c-1', content: 'Likes jazz' } }),
      ),
    );
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data?.rememberFact.__typename).toBe('RememberFactSuccess');
    }
    const facts = await server.db.entityFact.findMany({ where: { entity: { externalId: 'c-1' } } });
    expect(facts).toHaveLength(1);
    expect(facts[0]?.mentionCount).toBe(20);
  });

  it('20 concurrent addTriples calls for one entity count one triple 20 times, sharing the names', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        server.request(AddTriplesCheckedDocument, {
          input: { entity: 'c-t', triples: [{ subject: 'Ana', predicate: 'likes', object: 'jazz' }] },
        }),
      ),
    );
    for (const result of results) expect(result.data?.addTriples.__typename).toBe('AddTriplesSuccess');
    const triples = await server.db.triple.findMany();
    expect(triples.map((triple) => triple.mentionCount)).toEqual([20]);
    expect(await server.db.tripleSubject.count()).toBe(1);
    expect(await server.db.triplePredicate.count()).toBe(1);
    expect(await server.db.tripleObject.count()).toBe(1);
  });

  it('20 concurrent first conversations of one new entity create it once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.request(RecordMessagesDocument, {
          input: { entity: 'brand-new', process: 'bot', messages: [{ role: 'USER', content: `hello ${i}` }] },
        }),
      ),
    );
    for (const result of results)
      expect(result.data?.recordConversation.__typename).toBe('RecordConversationSuccess');
    expect(await server.db.entity.count({ where: { externalId: 'brand-new' } })).toBe(1);
    expect(await server.db.conversationMessage.count({ where: { content: { startsWith: 'hello ' } } })).toBe(
      20,
    );
  });

  it('never shows a query another request’s uncommitted write', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let created: () => void = () => {};
    const wrote = new Promise<void>((resolve) => {
      created = resolve;
    });
    const transaction = server.db
      .$transaction(async (tx) => {
        await tx.entity.create({ data: { externalId: 'uncommitted' } });
        created();
        await held;
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);
    await wrote;
    const during = await server.request(EntityPageDocument, { externalId: 'uncommitted' });
    release();
    expect(await transaction).toBe('roll back');
    expect(during.errors).toBeUndefined();
    expect(during.data?.entity).toBeNull();
  });

  it('concurrent moves to different cities leave exactly one current city (a functional predicate)', async () => {
    const cities = Array.from({ length: 10 }, (_, i) => `City ${i}`);
    const results = await Promise.all(
      cities.map((city) =>
        server.request(AddTriplesCheckedDocument, {
          input: { entity: 'c-move', triples: [{ subject: 'c-move', predicate: 'lives_in', object: city }] },
        }),
      ),
    );
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data?.addTriples.__typename).toBe('AddTriplesSuccess');
    }
    const triples = await server.db.triple.findMany({ where: { entity: { externalId: 'c-move' } } });
    expect(triples).toHaveLength(10);
    expect(triples.filter((triple) => triple.validTo === null)).toHaveLength(1);
    for (const triple of triples) {
      if (triple.validTo) expect(triple.validTo.getTime()).toBeGreaterThanOrEqual(triple.validFrom.getTime());
    }
  });

  it('concurrent addTriples of one entity, in either order and with a functional predicate, never deadlock', async () => {
    // Each call holds a triple's row and wants the entity's lock (taken for lives_in) or the
    // reverse, unless every writer locks the entity first. A deadlock is retried, so the calls
    // still succeed: PostgreSQL's count of deadlocks in this database is what shows one.
    const deadlocks = async () => {
      if (!server.databaseUrl.startsWith('postgres')) return 0;
      await server.db.$executeRawUnsafe('SELECT pg_stat_clear_snapshot()');
      const [row] = await server.db.$queryRawUnsafe<{ n: bigint }[]>(
        'SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()',
      );
      return Number(row?.n ?? 0);
    };
    const before = await deadlocks();
    const knows = { subject: 'Bo', predicate: 'knows', object: 'Cy' };
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => {
        const moves = { subject: 'c-order', predicate: 'lives_in', object: `Town ${i % 2}` };
        return server.request(AddTriplesCheckedDocument, {
          input: { entity: 'c-order', triples: i % 2 ? [knows, moves] : [moves, knows] },
        });
      }),
    );
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data?.addTriples.__typename).toBe('AddTriplesSuccess');
    }
    // Backends report their counts when they go idle, at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await deadlocks()).toBe(before);
    const current = await server.db.triple.findMany({
      where: { entity: { externalId: 'c-order' }, validTo: null },
    });
    expect(current).toHaveLength(2);
  });
});
