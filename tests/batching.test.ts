import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeepMemoryDocument } from '../client-codegen/generated/graphql.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * Seeds `entities` entities under a prefix, each with facts (with provenance), triples,
 * and sessions holding conversations holding messages. Rows scale linearly with `scale`.
 */
async function seed(server: TestServer, prefix: string, entities: number, scale: number) {
  const process = await server.db.process.upsert({
    where: { externalId: 'bot' },
    create: { externalId: 'bot' },
    update: {},
  });
  for (let e = 0; e < entities; e++) {
    const entity = await server.db.entity.create({ data: { externalId: `${prefix}-${e}` } });
    for (let s = 0; s < scale; s++) {
      const session = await server.db.session.create({
        data: { uuid: `${prefix}-${e}-${s}`, entityId: entity.id, processId: process.id },
      });
      const conversation = await server.db.conversation.create({
        data: { sessionId: session.id, summary: 'hi' },
      });
      const message = await server.db.conversationMessage.create({
        data: { conversationId: conversation.id, role: 'USER', content: `message ${s}` },
      });
      await server.db.conversationMessage.create({
        data: { conversationId: conversation.id, role: 'ASSISTANT', content: `reply ${s}` },
      });
      const fact = await server.db.entityFact.create({
        data: { entityId: entity.id, content: `fact ${s}`, contentHash: `${prefix}-${e}-${s}` },
      });
      await server.db.factMention.create({
        data: { factId: fact.id, messageId: message.id, conversationId: conversation.id },
      });
      const subject = await server.db.tripleSubject.upsert({
        where: { name: `${prefix}-${e}` },
        create: { name: `${prefix}-${e}` },
        update: {},
      });
      const predicate = await server.db.triplePredicate.upsert({
        where: { name: `p${s}` },
        create: { name: `p${s}` },
        update: {},
      });
      const object = await server.db.tripleObject.upsert({
        where: { name: `o${s}` },
        create: { name: `o${s}` },
        update: {},
      });
      await server.db.triple.create({
        data: { entityId: entity.id, subjectId: subject.id, predicateId: predicate.id, objectId: object.id },
      });
    }
  }
}

// Both data sets have 10 of everything per entity; the large one has ten times the entities.
describe('batching: a deep query costs a bounded number of SQL statements', () => {
  const statements: string[] = [];
  let recording = false;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      // The vector index polls the change log in the background; its statements are not the query's.
      // DeepMemory asks for up to 271,452 nodes, over the default MAX_QUERY_NODES: this test is about
      // how such a document is batched, not about the limit.
      env: { LOG_LEVEL: 'error', VECTOR_INDEX: 'off', MAX_QUERY_NODES: '300000' },
      // `entities` is an administrative read: its audit entry is written after the answer, and is
      // not part of how the page is read.
      onQuery: (sql) => {
        if (recording && !sql.includes('audit_entry')) statements.push(sql);
      },
    });
    await seed(server, 'small', 2, 10);
    await seed(server, 'large', 20, 10);
  });
  afterAll(() => server.close());

  async function measure(prefix: string, first = 20) {
    statements.length = 0;
    recording = true;
    const data = await server.gql(DeepMemoryDocument, { prefix, first });
    recording = false;
    return { data, statements: [...statements] };
  }

  it('does not grow when the data grows tenfold (entities → facts → triples → sessions → conversations → messages)', async () => {
    const small = await measure('small-');
    const large = await measure('large-');

    // The query really walked the data at both sizes.
    expect(small.data.entities.totalCount).toBe(2);
    expect(large.data.entities.totalCount).toBe(20);
    const first = large.data.entities.edges[0]?.node;
    expect(first?.facts.totalCount).toBe(10);
    expect(first?.sessions.edges[0]?.node.conversations.edges[0]?.node.messages.totalCount).toBe(2);
    expect(first?.facts.edges[0]?.node.mentions.edges[0]?.node.message?.content).toMatch(/^message /);
    // Every entity gets its own page of each nested list (not one page shared by all parents).
    for (const edge of large.data.entities.edges) {
      expect(edge.node.facts.edges).toHaveLength(10);
      expect(edge.node.triples.edges).toHaveLength(10);
      expect(edge.node.sessions.edges).toHaveLength(10);
      for (const session of edge.node.sessions.edges) {
        expect(session.node.conversations.edges[0]?.node.messages.edges).toHaveLength(2);
      }
    }

    expect(small.statements.length).toBeGreaterThan(0);
    expect(large.statements.length).toBe(small.statements.length);
    // A regression to one query per row would need hundreds here.
    expect(large.statements.length).toBeLessThanOrEqual(30);
  });

  it('stays bounded with partial pages, whose totals need count queries', async () => {
    const small = await measure('small-', 3);
    const large = await measure('large-', 3);
    const first = large.data.entities.edges[0]?.node;
    expect(first?.facts.edges).toHaveLength(3);
    expect(first?.facts.totalCount).toBe(10);
    expect(first?.sessions.totalCount).toBe(10);
    expect(large.statements.length).toBe(small.statements.length);
    expect(large.statements.length).toBeLessThanOrEqual(30);
  });

  interface Total {
    totalCount: number;
    edges?: unknown[];
  }
  interface CountsPage {
    entities: {
      edges: {
        node: {
          facts: Total;
          filtered: Total;
          countOnly: Total;
          sessions: {
            totalCount: number;
            edges: { node: { conversations: { edges: { node: { messages: Total } }[] } } }[];
          };
        };
      }[];
    };
  }
  const countsDocument = parse(/* GraphQL */ `
    query Counts($prefix: String!) {
      entities(first: 20, externalIdPrefix: $prefix) {
        edges {
          node {
            facts(first: 3) { totalCount edges { cursor } }
            filtered: facts(first: 1, contains: "fact 1") { totalCount edges { cursor } }
            countOnly: triples(first: 2) { totalCount }
            sessions(first: 2) {
              totalCount
              edges { node { conversations(first: 1) { edges { node { messages(first: 1) { totalCount } } } } } }
            }
          }
        }
      }
    }
  `) as TypedDocumentNode<CountsPage, { prefix: string }>;

  it('counts partial, filtered and count-only lists in the page statement with relation joins, else batched', async () => {
    statements.length = 0;
    recording = true;
    const data = await server.gql(countsDocument, { prefix: 'large-' });
    recording = false;
    expect(data.entities.edges).toHaveLength(20);
    for (const { node } of data.entities.edges) {
      expect(node.facts).toMatchObject({ totalCount: 10 });
      expect(node.facts.edges).toHaveLength(3);
      // "fact 1" only: the count obeys the connection's filter.
      expect(node.filtered.totalCount).toBe(1);
      expect(node.countOnly.totalCount).toBe(10);
      expect(node.sessions.totalCount).toBe(10);
      expect(node.sessions.edges[0]?.node.conversations.edges[0]?.node.messages.totalCount).toBe(2);
    }
    const counting = statements.filter((sql) => /GROUP BY/i.test(sql));
    if (TEST_DATABASE === 'postgresql') {
      // One statement for the entities page, its relations and their counts (no GROUP BY of its own).
      expect(counting).toEqual([]);
      const [page, ...rest] = statements;
      expect(page).toMatch(/_aggr_count_sessions/);
      // The aliased `filtered` connection cannot join the page (its arguments differ), so each
      // entity's list is loaded once, in batches by entity id. How many batches depends on where
      // the resolvers take turns with other requests (src/runtime/turns.ts): on a warm, quiet
      // server one, under load a few; never one per entity, never an entity twice.
      const batchedIds = rest.map((sql) => {
        const ids = sql.match(/"t0"\."id" IN \(([^)]*)\)/)?.[1];
        expect(ids, `not a batched load: ${sql.slice(0, 200)}`).toBeDefined();
        return (ids ?? '').split(',').length;
      });
      expect(batchedIds.reduce((sum, n) => sum + n, 0)).toBe(20);
      expect(rest.length).toBeLessThanOrEqual(5);
    } else {
      // Prisma's whole-table relation count is replaced by per-parent counts, one per list.
      expect(counting.length).toBeGreaterThan(0);
      expect(counting.every((sql) => /\bIN\s*\(/i.test(sql))).toBe(true);
    }
  });

  it('counts no list whose page holds all of it', async () => {
    statements.length = 0;
    recording = true;
    const data = await server.gql(DeepMemoryDocument, { prefix: 'small-', first: 20 });
    recording = false;
    expect(data.entities.edges[0]?.node.facts.totalCount).toBe(10);
    // Every list of this document fits in its first page of 20, so its size is its total.
    const counts = statements.filter((sql) => /COUNT\(/i.test(sql) && !/\bentity\b.*external_id/i.test(sql));
    if (TEST_DATABASE === 'postgresql') {
      // Relation joins put the counts inside the page's statement (correlated subqueries): no
      // statement counts on its own.
      expect(statements.filter((sql) => /GROUP BY/i.test(sql))).toEqual([]);
      expect(statements.length).toBeLessThanOrEqual(2);
    } else {
      expect(counts).toEqual([]);
    }
  });

  it('counts filtered totals of a thousand parent rows (repeated parents, within SQLite’s parameter limit)', async () => {
    for (let e = 0; e < 10; e++) {
      const entity = await server.db.entity.create({ data: { externalId: `lim-${e}` } });
      await server.db.entityFact.createMany({
        data: Array.from({ length: 100 }, (_, f) => ({
          entityId: entity.id,
          content: `fact ${f}`,
          contentHash: `lim-${e}-${f}`,
        })),
      });
    }
    const document = parse(/* GraphQL */ `
      {
        entities(first: 10, externalIdPrefix: "lim-") {
          edges { node { facts(first: 100) { edges { node { entity { triples { totalCount } preferences: facts(category: PREFERENCE) { totalCount } } } } } } }
        }
      }
    `) as TypedDocumentNode<{
      entities: {
        edges: {
          node: {
            facts: { edges: { node: { entity: { triples: Total; preferences: Total } } }[] };
          };
        }[];
      };
    }>;
    const data = await server.gql(document, {});
    const entities = data.entities.edges.map((edge) => edge.node.facts.edges);
    expect(entities).toHaveLength(10);
    for (const facts of entities) {
      expect(facts).toHaveLength(100);
      for (const { node } of facts)
        expect(node.entity).toEqual({ triples: { totalCount: 0 }, preferences: { totalCount: 0 } });
    }
  });

  it('answers Prisma relation counts asked directly, nested and without the id, on every provider', async () => {
    const [entity] = await server.db.entity.findMany({
      where: { externalId: 'small-0' },
      select: {
        externalId: true,
        _count: { select: { facts: true, sessions: { where: { uuid: { endsWith: '-1' } } } } },
        sessions: {
          take: 2,
          orderBy: { id: 'asc' },
          select: { _count: { select: { conversations: true } } },
        },
      },
    });
    expect(entity).toEqual({
      externalId: 'small-0',
      _count: { facts: 10, sessions: 1 },
      sessions: [{ _count: { conversations: 1 } }, { _count: { conversations: 1 } }],
    });
  });
});
