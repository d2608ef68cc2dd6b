import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../bench/lib/random.ts';
import { FACT_ORDERS } from '../src/services/fact-reads.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * Planned reads (src/planned-reads) answer some read queries with one SQL statement of their own
 * on PostgreSQL. They must answer exactly as the resolvers do: two servers on the same database,
 * one with PLANNED_READS on and one with it off, get the same documents and must give the same
 * JSON, while the first one really ran its planned statement (or, for documents outside the
 * plan, really did not).
 */
const PLANNED_SQL = /^SELECT \(SELECT json_build_array\(/;

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

async function seed(server: TestServer) {
  const db = server.db;
  const process = await db.process.create({ data: { externalId: 'bot' } });
  const categories = ['FACT', 'PREFERENCE', 'SKILL', 'RELATIONSHIP', 'ATTRIBUTE'] as const;
  for (let e = 0; e < 3; e++) {
    const entity = await db.entity.create({ data: { externalId: `user-${e}`, createdAt: at(e) } });
    for (let f = 0; f < 12; f++) {
      await db.entityFact.create({
        data: {
          entityId: entity.id,
          content: `fact ${e}.${f} with 100% ümlauts_and "quotes"`,
          contentHash: `h-${e}-${f}`,
          category: categories[f % categories.length],
          mentionCount: 1 + (f % 4),
          // Pairs share a timestamp, so the id decides their order.
          lastMentionedAt: at(100 + Math.floor(f / 2)),
          createdAt: at(50 + (f % 5) + f * 0.001),
        },
      });
    }
    for (let t = 0; t < 8; t++) {
      const subject = await db.tripleSubject.upsert({
        where: { name: `user-${e}` },
        create: { name: `user-${e}`, type: e === 0 ? 'person' : null },
        update: {},
      });
      const predicate = await db.triplePredicate.upsert({
        where: { name: t % 2 ? 'lives_in' : `likes_${t}` },
        create: { name: t % 2 ? 'lives_in' : `likes_${t}` },
        update: {},
      });
      const object = await db.tripleObject.upsert({
        where: { name: `thing ${t}` },
        create: { name: `thing ${t}`, type: t % 3 ? null : 'place' },
        update: {},
      });
      // Odd triples (lives_in) were superseded in turn; the last one still holds.
      const closed = t % 2 === 1 && t < 7;
      const triple = await db.triple.create({
        data: {
          entityId: entity.id,
          subjectId: subject.id,
          predicateId: predicate.id,
          objectId: object.id,
          mentionCount: 1 + t,
          lastMentionedAt: at(200 + Math.floor(t / 3)),
          validFrom: at(300 + t * 10),
          validTo: closed ? at(300 + t * 10 + 10) : null,
          createdAt: at(300 + t * 10),
        },
      });
      if (t === 3) {
        // An earlier period too (said, superseded, said again, superseded).
        await db.tripleInterval.create({
          data: { tripleId: triple.id, validFrom: at(250), validTo: at(260) },
        });
        await db.tripleInterval.create({
          data: { tripleId: triple.id, validFrom: at(240), validTo: at(245) },
        });
      }
    }
    for (let s = 0; s < 4; s++) {
      const session = await db.session.create({
        data: {
          uuid: `s-${e}-${s}`,
          entityId: entity.id,
          processId: process.id,
          createdAt: at(400 + (s % 2)),
        },
      });
      for (let c = 0; c < s; c++) {
        const conversation = await db.conversation.create({
          data: { sessionId: session.id, summary: c % 2 ? null : `summary ${c}`, createdAt: at(500 + c) },
        });
        for (let m = 0; m < c + 1; m++) {
          await db.conversationMessage.create({
            data: {
              conversationId: conversation.id,
              role: m % 2 ? 'ASSISTANT' : 'USER',
              type: m === 2 ? 'json' : 'text',
              content: `message ${m}\nline two`,
              createdAt: at(600 + (m % 2)),
            },
          });
        }
      }
    }
  }
}

const PAGE = /* GraphQL */ `
  query Page($id: String!) {
    entity(externalId: $id) {
      id externalId createdAt
      facts(first: 20, orderBy: RECENT) { totalCount edges { node { id content category mentionCount lastMentionedAt } } }
      triples(first: 20, includeHistory: true) { totalCount edges { node { id subject { name } predicate { name } object { name } mentionCount } } }
      sessions(first: 5) { totalCount edges { node { id createdAt conversations(first: 3) { totalCount edges { node { id messages(first: 1) { totalCount } } } } } } }
    }
  }
`;

const EVERYTHING = /* GraphQL */ `
  query Everything($id: String!, $first: Int, $order: FactOrder, $category: FactCategory) {
    __typename
    person: entity(externalId: $id) {
      __typename
      ...EntityBits
      recent: facts(first: $first, orderBy: $order, category: $category) {
        __typename
        totalCount
        pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
        edges { __typename cursor node { ...FactBits entity { externalId facts(first: 1) { totalCount } } } }
      }
      allFacts: facts { totalCount edges { cursor } }
      triples(first: $first) {
        pageInfo { hasNextPage endCursor }
        edges { node { id subject { id name type } predicate { id name } object { id name type } validFrom validTo createdAt lastMentionedAt earlierPeriods { validFrom validTo __typename } entity { id } } }
      }
      sessions {
        edges {
          cursor
          node {
            id uuid createdAt entity { externalId }
            conversations(first: 2) {
              totalCount
              pageInfo { hasNextPage startCursor }
              edges { node { id summary createdAt session { uuid } messages { totalCount edges { node { id role type content createdAt conversation { id } } } } } }
            }
          }
        }
      }
    }
  }
  fragment EntityBits on Entity { id externalId createdAt ... on Node { id } }
  fragment FactBits on Fact { id content category mentionCount lastMentionedAt createdAt __typename }
`;

const TRIPLES = /* GraphQL */ `
  query Triples($id: String!, $asOf: DateTime, $history: Boolean, $subject: String, $predicate: String, $object: String) {
    entity(externalId: $id) {
      triples(asOf: $asOf, includeHistory: $history, subject: $subject, predicate: $predicate, object: $object) {
        totalCount
        pageInfo { hasNextPage }
        edges { cursor node { id object { name } validFrom validTo earlierPeriods { validFrom validTo } } }
      }
    }
  }
`;

describe.runIf(TEST_DATABASE === 'postgresql')('planned reads answer exactly as the resolvers', () => {
  let planned: TestServer;
  let resolvers: TestServer;
  const statements: string[] = [];

  beforeAll(async () => {
    planned = await startTestServer({
      env: { PLANNED_READS: 'true', VECTOR_INDEX: 'off', MAX_PAGE_SIZE: '7' },
      onQuery: (sql) => statements.push(sql),
    });
    resolvers = await startTestServer({
      database: { url: planned.databaseUrl },
      env: { PLANNED_READS: 'false', VECTOR_INDEX: 'off', MAX_PAGE_SIZE: '7' },
    });
    await seed(planned);
  });
  afterAll(async () => {
    await resolvers?.close();
    await planned?.close();
  });

  /** Both answers, and whether the planned server ran a planned statement for it. */
  async function both(query: string, variables: Record<string, unknown>) {
    statements.length = 0;
    const fast = await planned.request(parse(query), variables);
    const usedPlan = statements.some((sql) => PLANNED_SQL.test(sql));
    const slow = await resolvers.request(parse(query), variables);
    return { fast, slow, usedPlan, statements: [...statements] };
  }

  it('plans the entity page into one statement with the same answer', async () => {
    for (const id of ['user-0', 'user-2', 'nobody']) {
      const { fast, slow, usedPlan, statements: sent } = await both(PAGE, { id });
      expect(usedPlan).toBe(true);
      expect(sent).toHaveLength(1);
      expect(fast).toStrictEqual(slow);
      expect(fast.errors).toBeUndefined();
    }
    const { fast } = await both(PAGE, { id: 'user-1' });
    expect((fast.data as { entity: { facts: { totalCount: number } } }).entity.facts.totalCount).toBe(12);
  });

  it('answers aliases, fragments, __typename, cursors, page info and every known field alike', async () => {
    const cases: Record<string, unknown>[] = [
      { id: 'user-0' },
      { id: 'user-1', first: 3, order: 'MENTIONS' },
      { id: 'user-1', first: 0 },
      // Above MAX_PAGE_SIZE (7): capped, as the resolvers cap it.
      { id: 'user-2', first: 50, order: 'CREATED', category: 'SKILL' },
      { id: 'user-2', first: 2, category: 'PREFERENCE' },
    ];
    for (const variables of cases) {
      const { fast, slow, usedPlan } = await both(EVERYTHING, variables);
      expect(usedPlan).toBe(true);
      expect(fast.errors).toBeUndefined();
      expect(fast).toStrictEqual(slow);
    }
    // The same connection's edges under two aliases, one with the nodes and one without.
    const aliased = await both(
      '{ entity(externalId: "user-0") { facts(first: 3) { a: edges { cursor } b: edges { node { id content } } } } }',
      {},
    );
    expect(aliased.usedPlan).toBe(true);
    expect(aliased.fast).toStrictEqual(aliased.slow);
  });

  it('plans session roots and several roots in one statement alike', async () => {
    const SESSION = /* GraphQL */ `
      query Session($id: ID!) {
        session(id: $id) {
          __typename id uuid createdAt entity { externalId triples(first: 1) { totalCount } }
          conversations(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id summary messages { edges { node { role content } } } } } }
        }
      }
    `;
    const byUuid = await both(SESSION, { id: 's-1-3' });
    expect(byUuid.usedPlan).toBe(true);
    expect(byUuid.fast.errors).toBeUndefined();
    expect(byUuid.fast).toStrictEqual(byUuid.slow);
    const globalId = (byUuid.fast.data as { session: { id: string } }).session.id;
    for (const id of [globalId, 's-2-0', 'no-such-session', Buffer.from('Fact:1').toString('base64')]) {
      const { fast, slow, usedPlan } = await both(SESSION, { id });
      expect(usedPlan, id).toBe(true);
      expect(fast, id).toStrictEqual(slow);
    }
    // An empty id is the resolver's BAD_USER_INPUT.
    const empty = await both(SESSION, { id: '' });
    expect(empty.usedPlan).toBe(false);
    expect(empty.fast).toStrictEqual(empty.slow);

    const several = await both(
      '{ __typename a: entity(externalId: "user-0") { id facts(first: 1) { totalCount } } b: entity(externalId: "user-1") { externalId } gone: entity(externalId: "nobody") { id } s: session(id: "s-0-2") { uuid conversations { totalCount } } }',
      {},
    );
    expect(several.usedPlan).toBe(true);
    expect(several.statements).toHaveLength(1);
    expect(several.fast.errors).toBeUndefined();
    expect(several.fast).toStrictEqual(several.slow);
  });

  it('orders facts by every FactOrder alike (the orders are shared data: a new one is tested here)', async () => {
    const FACTS = /* GraphQL */ `
      query Facts($id: String!, $order: FactOrder, $category: FactCategory) {
        entity(externalId: $id) {
          facts(orderBy: $order, category: $category) {
            edges { cursor node { id mentionCount lastMentionedAt createdAt } }
          }
        }
      }
    `;
    const orders = new Set<string>();
    for (const order of [...Object.keys(FACT_ORDERS), null]) {
      for (const category of [null, 'FACT']) {
        const { fast, slow, usedPlan } = await both(FACTS, { id: 'user-1', order, category });
        expect(usedPlan, `${order}`).toBe(true);
        expect(fast.errors).toBeUndefined();
        expect(fast, `${order}`).toStrictEqual(slow);
        if (category === null) orders.add(JSON.stringify(fast.data));
      }
    }
    // The seed tells the orders apart (the default is RECENT, so one answer repeats).
    expect(orders.size).toBe(Object.keys(FACT_ORDERS).length);
  });

  it('filters triples by time, history and names alike', async () => {
    const cases: Record<string, unknown>[] = [
      {},
      { history: true },
      { history: false },
      { asOf: at(255).toISOString() },
      { asOf: at(242).toISOString(), history: false },
      // asOf wins over includeHistory.
      { asOf: at(255).toISOString(), history: true },
      { asOf: at(335).toISOString() },
      { asOf: at(10_000).toISOString() },
      { asOf: at(0).toISOString() },
      { history: true, predicate: 'Lives In' },
      { history: true, subject: 'user-1', object: 'thing 3' },
      { subject: 'nobody' },
      { subject: '', predicate: '', object: '' },
    ];
    for (const variables of cases) {
      const { fast, slow, usedPlan } = await both(TRIPLES, { id: 'user-1', ...variables });
      expect(usedPlan).toBe(true);
      expect(fast.errors).toBeUndefined();
      expect(fast).toStrictEqual(slow);
    }
    // The cases really select different triples.
    const held = await both(TRIPLES, { id: 'user-1', asOf: at(255).toISOString() });
    const edges = (
      held.fast.data as { entity: { triples: { edges: { node: { object: { name: string } } }[] } } }
    ).entity.triples.edges;
    expect(edges.map((edge) => edge.node.object.name)).toContain('thing 3');
  });

  it('answers random selections alike', async () => {
    const random = seededRandom(7);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const factFields = [
      'id',
      'content',
      'category',
      'mentionCount',
      'lastMentionedAt',
      'createdAt',
      '__typename',
    ];
    for (let round = 0; round < 25; round++) {
      const fields = factFields.filter(() => random() < 0.5).join(' ') || 'id';
      const first = pick([null, 0, 1, 2, 5, 7, 9]);
      const order = pick(['RECENT', 'MENTIONS', 'CREATED']);
      const category = pick([null, 'FACT', 'SKILL']);
      const args = [
        first === null ? '' : `first: ${first}`,
        `orderBy: ${order}`,
        category ? `category: ${category}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const query = `query R($id: String!) { entity(externalId: $id) { a: facts(${args}) { ${pick(['totalCount', 'pageInfo { hasNextPage endCursor }', ''])} edges { ${pick(['cursor', ''])} node { ${fields} } } } } }`;
      const { fast, slow, usedPlan } = await both(query, { id: pick(['user-0', 'user-1', 'user-2']) });
      expect(usedPlan, query).toBe(true);
      expect(fast, query).toStrictEqual(slow);
    }
  });

  it('leaves documents it does not plan to the resolvers, with the same answers and errors', async () => {
    const firstPage = await both(
      'query { entity(externalId: "user-0") { facts(first: 2) { pageInfo { endCursor } } } }',
      {},
    );
    const cursor = (firstPage.fast.data as { entity: { facts: { pageInfo: { endCursor: string } } } }).entity
      .facts.pageInfo.endCursor;
    const unplanned: [string, Record<string, unknown>][] = [
      [
        'query($c: String!) { entity(externalId: "user-0") { facts(first: 2, after: $c) { edges { node { id } } } } }',
        { c: cursor },
      ],
      ['{ entity(externalId: "user-0") { facts(last: 2) { edges { node { id } } } } }', {}],
      [
        '{ entity(externalId: "user-0") { facts(contains: "100%") { totalCount edges { node { content } } } } }',
        {},
      ],
      [
        'query($skip: Boolean!) { entity(externalId: "user-0") { id @skip(if: $skip) externalId } }',
        { skip: true },
      ],
      ['{ entity(externalId: "user-0") { facts { edges { node { mentions { totalCount } } } } } }', {}],
      ['{ entity(externalId: "user-0") { id } entities { totalCount } }', {}],
      // Two different selections of the same connection's nodes.
      [
        '{ entity(externalId: "user-0") { facts(first: 3) { edges { n1: node { id } n2: node { content } } } } }',
        {},
      ],
      [
        '{ entity(externalId: "user-0") { facts(first: 3) { a: edges { node { id } } b: edges { node { content } } } } }',
        {},
      ],
      // Errors come from the resolvers, with their codes.
      ['{ entity(externalId: "user-0") { facts(first: -1) { totalCount } } }', {}],
      ['{ entity(externalId: "user-0") { facts(after: "not a cursor") { totalCount } } }', {}],
    ];
    for (const [query, variables] of unplanned) {
      const { fast, slow, usedPlan } = await both(query, variables);
      expect(usedPlan, query).toBe(false);
      expect(fast, query).toStrictEqual(slow);
    }
    // Input every path refuses (a NUL byte in text) never reaches the database: the input check
    // (src/schema/input-guard.ts) sends it to the resolvers, which answer with their coded error.
    const refused = await both(PAGE, { id: 'nul\u0000byte' });
    expect(refused.usedPlan).toBe(false);
    expect(refused.fast).toStrictEqual(refused.slow);
    expect(refused.fast.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const negative = await both('{ entity(externalId: "user-0") { facts(first: -1) { totalCount } } }', {});
    expect(negative.fast.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers an outage as the resolvers do, after one wait for a connection', async () => {
    // One pooled connection, held by a slow statement: the page cannot get a connection in time.
    const env = { VECTOR_INDEX: 'off', DATABASE_POOL_SIZE: '1', DATABASE_CONNECT_TIMEOUT_MS: '1500' };
    const narrow = await startTestServer({
      database: { url: planned.databaseUrl },
      env: { ...env, PLANNED_READS: 'true' },
    });
    const narrowResolvers = await startTestServer({
      database: { url: planned.databaseUrl },
      env: { ...env, PLANNED_READS: 'false' },
    });
    try {
      const answers = [];
      for (const server of [narrow, narrowResolvers]) {
        // Prisma runs a query only once it is awaited or then'd.
        const hold = server.db.$queryRawUnsafe('SELECT 1 AS held FROM pg_sleep(4)').then(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const started = performance.now();
        answers.push({
          result: await server.request(parse(PAGE), { id: 'user-0' }),
          ms: performance.now() - started,
        });
        await hold;
      }
      const [fast, slow] = answers as [(typeof answers)[0], (typeof answers)[0]];
      expect(fast.result.errors?.[0]?.extensions?.code).toBe('DATABASE_UNAVAILABLE');
      expect(fast.result).toStrictEqual(slow.result);
      // Falling back to the resolvers would wait for a connection a second time (3 s or more).
      expect(fast.ms).toBeLessThan(2900);
    } finally {
      await narrowResolvers.close();
      await narrow.close();
    }
  });
});
