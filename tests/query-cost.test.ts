import { readdirSync, readFileSync } from 'node:fs';
import { type FragmentDefinitionNode, Kind, parse } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateOperationCost } from '../src/http/query-cost.ts';
import { schema } from '../src/schema/index.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { nextListener } from './helpers/listening.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: { cost?: { nodes: number; limit: number } };
}

async function post(server: TestServer, query: string, variables?: object): Promise<Body> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Body;
}

/** Every result a graphql-ws operation gets until it completes or fails. */
function overWs(client: Client, query: string, variables?: Record<string, unknown>): Promise<Body[]> {
  return new Promise((resolve, reject) => {
    const results: Body[] = [];
    client.subscribe(
      { query, variables },
      {
        next: (value) => results.push(value as Body),
        // An operation refused before execution gets an `error` message: its GraphQL errors.
        error: (error) => (Array.isArray(error) ? resolve([{ errors: error } as Body]) : reject(error)),
        complete: () => resolve(results),
      },
    );
  });
}

/** The query from the hardening issue: four nested pages of 100, under `aliases` aliases. */
function heavyQuery(aliases: number): string {
  const one = `entity(externalId: "seed") { facts(first: 100) { edges { node { mentions(first: 100) { edges { node {
    message { conversation { messages(first: 100) { edges { node { conversation { messages(first: 100) {
    edges { node { content } } } } } } } } } } } } } } } }`;
  return `{ ${Array.from({ length: aliases }, (_, i) => `a${i}: ${one}`).join(' ')} }`;
}

/** The operation documents clients rely on: client-codegen's and the README's examples. */
function knownDocuments(): { name: string; text: string }[] {
  const dir = new URL('../client-codegen/operations/', import.meta.url);
  const documents = readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .map((file) => ({ name: file, text: readFileSync(new URL(file, dir), 'utf8') }));
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  let block = 0;
  for (const match of readme.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    documents.push({ name: `README example ${++block}`, text: match[1] ?? '' });
  }
  return documents;
}

describe(`query cost (${TEST_DATABASE})`, () => {
  let server: TestServer;
  let statements: string[] = [];
  let recording = false;
  /** The server's own statements, without the vector index's change-log polling beside the request. */
  const requestStatements = () => statements.filter((sql) => !sql.includes('vector_change'));

  beforeAll(async () => {
    server = await startTestServer({
      onQuery: (sql) => {
        if (recording) statements.push(sql);
      },
    });
    const seeded = await post(
      server,
      `mutation { recordConversation(input: { entity: "seed", process: "bot",
        messages: [{ role: USER, content: "I live in Lisbon." }] }) { __typename } }`,
    );
    expect(seeded.errors).toBeUndefined();
  });
  afterAll(() => server?.close());

  it('refuses the issue’s heavy query before any SQL, with the code and the estimate', async () => {
    statements = [];
    recording = true;
    const body = await post(server, heavyQuery(6));
    recording = false;
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining(`Query cost limit of ${server.env.MAX_QUERY_NODES} nodes exceeded`),
      extensions: { code: 'QUERY_COST_EXCEEDED', cost: { limit: server.env.MAX_QUERY_NODES } },
    });
    const cost = body.errors?.[0]?.extensions?.cost as { nodes: number };
    // Six aliases of 100 × 100 × 100 × 100 message pages, each item with its edge, node and content.
    expect(cost.nodes).toBeGreaterThan(6 * 100 ** 4);
    expect(requestStatements()).toEqual([]);
  });

  it('passes every client-codegen operation and README example, with margin', async () => {
    const costs: { name: string; nodes: number }[] = [];
    for (const { name, text } of knownDocuments()) {
      const document = parse(text);
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of document.definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      }
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        const nodes = estimateOperationCost(
          schema,
          definition,
          fragments,
          {},
          {
            maxNodes: server.env.MAX_QUERY_NODES,
            maxPageSize: server.env.MAX_PAGE_SIZE,
          },
        );
        costs.push({ name: `${name} ${definition.name?.value ?? ''}`, nodes });
        // The server agrees: whatever else goes wrong without variables, the cost does not.
        if (
          definition.operation !== 'subscription' &&
          definition.name &&
          definition.name.value !== 'DeepMemory'
        ) {
          const body = await post(server, text.replace(/^#.*$/gm, ''), undefined);
          const codes = (body.errors ?? []).map((error) => error.extensions?.code);
          expect(codes, `${name} ${definition.name.value}`).not.toContain('QUERY_COST_EXCEEDED');
        }
      }
    }
    costs.sort((a, b) => b.nodes - a.nodes);
    // DeepMemory (50 entities, each with 20 facts, triples and sessions of 5 conversations of 10
    // messages at once) is the batching test's stress document: over the default limit, which that
    // test raises. Every other document stays under a fifth of the default.
    const [deepest, next] = costs;
    expect(deepest?.name).toBe('memory.graphql DeepMemory');
    expect(deepest?.nodes).toBe(271_452);
    expect(deepest?.nodes).toBeGreaterThan(server.env.MAX_QUERY_NODES);
    expect(next?.nodes ?? Number.POSITIVE_INFINITY, next?.name).toBeLessThanOrEqual(
      server.env.MAX_QUERY_NODES / 5,
    );
  });

  it('reports the cost of a successful response in extensions', async () => {
    const body = await post(
      server,
      '{ entity(externalId: "seed") { facts(first: 10) { edges { node { id } } } } }',
    );
    expect(body.errors).toBeUndefined();
    // entity 1 + facts 1 + 10 × (edge 1 + node 1 + id 1)
    expect(body.extensions?.cost).toEqual({ nodes: 32, limit: server.env.MAX_QUERY_NODES });
  });

  it('reads page sizes from variables (and their defaults)', async () => {
    const query = `query($n: Int) { entity(externalId: "seed") { facts(first: $n) { edges { node { id } } } } }`;
    expect((await post(server, query, { n: 1 })).extensions?.cost?.nodes).toBe(5);
    expect((await post(server, query, { n: 100 })).extensions?.cost?.nodes).toBe(302);
    // Absent: the connection's default page (20).
    expect((await post(server, query, {})).extensions?.cost?.nodes).toBe(62);
    const withDefault = query.replace('$n: Int', '$n: Int = 3');
    expect((await post(server, withDefault, {})).extensions?.cost?.nodes).toBe(11);
    // Beyond MAX_PAGE_SIZE counts as MAX_PAGE_SIZE (the connection caps it).
    expect((await post(server, query, { n: 5000 })).extensions?.cost?.nodes).toBe(302);

    const nested = `query($n: Int!) { entity(externalId: "seed") { facts(first: $n) { edges { node {
      mentions(first: $n) { edges { node { message { conversation { messages(first: $n) { edges { node { id } } } } } } } } } } } } }`;
    const small = await post(server, nested, { n: 5 });
    expect(small.errors).toBeUndefined();
    expect(small.extensions?.cost?.nodes).toBeLessThan(2000);
    statements = [];
    recording = true;
    const big = await post(server, nested, { n: 100 });
    recording = false;
    expect(big.errors?.[0]?.extensions?.code).toBe('QUERY_COST_EXCEEDED');
    expect(requestStatements()).toEqual([]);

    // Lists that are not connections: nodes(ids) by its ids, semanticFacts/recall by first.
    const ids = ['a', 'b', 'c'].map((id) => Buffer.from(`Entity:${id}`).toString('base64'));
    const nodes = await post(server, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    expect(nodes.extensions?.cost?.nodes).toBe(6);
  });

  it('counts aliases and fragments (named, inline, spread twice)', async () => {
    const fragment = `fragment F on Entity { facts(first: 10) { edges { node { id content } } } }`;
    const once = await post(server, `{ a: entity(externalId: "seed") { ...F } } ${fragment}`);
    const twice = await post(
      server,
      `{ a: entity(externalId: "seed") { ...F } b: entity(externalId: "seed") { ...F } } ${fragment}`,
    );
    const inline = await post(
      server,
      `{ a: entity(externalId: "seed") { ... on Entity { facts(first: 10) { edges { node { id content } } } } } }`,
    );
    expect(once.errors).toBeUndefined();
    const one = once.extensions?.cost?.nodes ?? 0;
    expect(one).toBe(42);
    expect(twice.extensions?.cost?.nodes).toBe(2 * one);
    expect(inline.extensions?.cost?.nodes).toBe(one);
    // A fragment spread twice under one field runs once, and costs once, as graphql-js merges it.
    const repeated = await post(server, `{ a: entity(externalId: "seed") { ...F ...F } } ${fragment}`);
    expect(repeated.extensions?.cost?.nodes).toBe(one);
    // The same selections under another alias do cost again.
    const aliased = await post(
      server,
      `{ a: entity(externalId: "seed") { ...F f2: facts(first: 10) { edges { node { id content } } } } } ${fragment}`,
    );
    expect(aliased.extensions?.cost?.nodes).toBe(one + 41);
    // The heavy query hidden in fragments is refused all the same.
    const hidden = `{ entity(externalId: "seed") { ...Facts } }
      fragment Facts on Entity { facts(first: 100) { edges { node { ...Mentions } } } }
      fragment Mentions on Fact { mentions(first: 100) { edges { node { message { ...Messages } } } } }
      fragment Messages on Message { conversation { messages(first: 100) { edges { node { id } } } } }`;
    expect((await post(server, hidden)).errors?.[0]?.extensions?.code).toBe('QUERY_COST_EXCEEDED');
    // On an abstract type the costliest member counts, not every fragment at once.
    const node = await post(
      server,
      `query($id: ID!) { node(id: $id) { id ... on Entity { facts(first: 10) { edges { node { id } } } } ... on Session { id } } }`,
      { id: Buffer.from('Entity:1').toString('base64') },
    );
    expect(node.extensions?.cost?.nodes).toBe(1 + 1 + 1 + 10 * 3);
  });

  it('answers a cost violation over graphql-ws on that operation only, and the socket stays open', async () => {
    const client = server.wsClient();
    const refused = await overWs(client, heavyQuery(1));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_COST_EXCEEDED' });
    const subscription = await overWs(
      client,
      `subscription { factChanged(entity: "seed") { fact { mentions(first: 100) { edges { node {
        message { conversation { messages(first: 100) { edges { node { conversation { messages(first: 100) {
        edges { node { content } } } } } } } } } } } } } } }`,
    );
    expect(subscription[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_COST_EXCEEDED' });
    const ok = await overWs(client, '{ entity(externalId: "seed") { externalId } }');
    expect(ok).toEqual([
      {
        data: { entity: { externalId: 'seed' } },
        extensions: { cost: { nodes: 2, limit: server.env.MAX_QUERY_NODES } },
      },
    ]);
  });

  it('lets an allowed subscription through, its events unchanged', async () => {
    const client = server.wsClient();
    const events: Body[] = [];
    const listening = nextListener(server.app.events);
    const done = new Promise<void>((resolve, reject) => {
      const stop = client.subscribe(
        { query: 'subscription { factChanged(entity: "seed") { kind fact { content } } }' },
        {
          next: (value) => {
            events.push(value as Body);
            stop();
            resolve();
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
    await listening;
    await post(
      server,
      'mutation { rememberFact(input: { entity: "seed", content: "Likes tea" }) { __typename } }',
    );
    await done;
    expect(events[0]).toMatchObject({
      data: { factChanged: { fact: { content: 'Likes tea' } } },
    });
    expect(events[0]?.extensions).toBeUndefined();
  });
});

describe(`lists without a page size stay within the estimate (${TEST_DATABASE})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { MAX_PAGE_SIZE: '3' } });
  });
  afterAll(() => server?.close());

  it('answers at most MAX_PAGE_SIZE earlier periods, the oldest, as the cost estimate counts them', async () => {
    // Porto, Madrid, Porto, Madrid...: Porto's triple gets an earlier period each time it returns.
    for (let i = 0; i < 12; i++) {
      await post(
        server,
        `mutation { addTriples(input: { entity: "mover", triples: [{ subject: "mover", predicate: "lives_in", object: "${i % 2 ? 'Madrid' : 'Porto'}" }] }) { __typename } }`,
      );
    }
    const body = await post(
      server,
      '{ entity(externalId: "mover") { triples(first: 3, includeHistory: true, object: "Porto") { edges { node { earlierPeriods { validFrom } } } } } }',
    );
    expect(body.errors).toBeUndefined();
    const periods = (
      body.data as { entity: { triples: { edges: { node: { earlierPeriods: { validFrom: string }[] } }[] } } }
    ).entity.triples.edges[0]?.node.earlierPeriods;
    expect(periods).toHaveLength(3);
    const times = (periods ?? []).map((period) => Date.parse(period.validFrom));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe(`alias limit counts __typename (${TEST_DATABASE})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    // Size limits high enough that 100,000 aliases reach the alias rule (by default they are refused
    // earlier, for their size).
    server = await startTestServer({
      env: {
        MAX_ALIASES: '5',
        MAX_REQUEST_BYTES: '10000000',
        MAX_QUERY_LENGTH: '5000000',
        MAX_QUERY_TOKENS: '1000000',
      },
    });
  });
  afterAll(() => server?.close());

  it('refuses aliased __typename over MAX_ALIASES, in the style of the other limits', async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect((await post(server, aliases(5))).data).toMatchObject({ a0: 'Query', a4: 'Query' });
    expect((await post(server, aliases(6))).errors?.[0]).toMatchObject({
      message: expect.stringContaining('Aliases limit of 5 exceeded, found 6'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const many = await post(server, aliases(100_000));
    expect(many.errors?.[0]?.message).toContain('Aliases limit of 5 exceeded, found 100000');
    // Inside fragments too.
    const fragment = `{ ...T } fragment T on Query { ${Array.from({ length: 6 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    expect((await post(server, fragment)).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(TEST_DATABASE === 'sqlite')(`statement timeouts (${TEST_DATABASE})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { REQUEST_TIMEOUT_MS: '700' } });
    const seeded = await post(
      server,
      `mutation { rememberFact(input: { entity: "seed", content: "Lives in Lisbon" }) { __typename } }`,
    );
    expect(seeded.errors).toBeUndefined();
  });
  afterAll(() => server?.close());

  /** A connection of the test's own holding `lock` in an open transaction until released. */
  async function holdLock(table: string): Promise<{ waiting(): Promise<number>; release(): Promise<void> }> {
    if (TEST_DATABASE === 'postgresql') {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: server.databaseUrl });
      await client.connect();
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      return {
        waiting: async () => {
          const { rows } = await client.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return (rows[0] as { n: number }).n;
        },
        release: async () => {
          await client.query('ROLLBACK');
          await client.end();
        },
      };
    }
    const mariadb = await import('mariadb');
    const connection = await mariadb.createConnection(server.databaseUrl.replace(/^mysql:/, 'mariadb:'));
    await connection.query(`LOCK TABLES ${table} WRITE`);
    return {
      waiting: async () => {
        const rows = (await connection.query(
          "SELECT count(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND state LIKE '%lock%'",
        )) as { n: bigint | number }[];
        return Number(rows[0]?.n ?? 0);
      },
      release: async () => {
        await connection.query('UNLOCK TABLES');
        await connection.end();
      },
    };
  }

  it('sets the statement timeout on the pool’s connections', async () => {
    if (TEST_DATABASE === 'postgresql') {
      const rows = await server.db.$queryRawUnsafe<{ statement_timeout: string }[]>('SHOW statement_timeout');
      expect(rows[0]?.statement_timeout).toBe('700ms');
    } else {
      const rows = await server.db.$queryRawUnsafe<{ t: unknown }[]>('SELECT @@max_statement_time AS t');
      expect(Number(rows[0]?.t)).toBeCloseTo(0.7, 3);
    }
  });

  it('answers a query stuck in the database with REQUEST_TIMEOUT, cuts its statement, and keeps serving', async () => {
    const lock = await holdLock('entity_fact');
    try {
      const started = performance.now();
      const body = await post(
        server,
        '{ entity(externalId: "seed") { facts(first: 5) { totalCount edges { node { content } } } } }',
      );
      expect(body.errors?.[0]?.extensions?.code).toBe('REQUEST_TIMEOUT');
      expect(performance.now() - started).toBeLessThan(3000);
      // The statement does not go on waiting in the database after the answer.
      await sleep(800);
      expect(await lock.waiting()).toBe(0);
      expect((await post(server, '{ __typename }')).data).toEqual({ __typename: 'Query' });
    } finally {
      await lock.release();
    }
    const after = await post(
      server,
      '{ entity(externalId: "seed") { facts(first: 5) { edges { node { content } } } } }',
    );
    expect(after.errors).toBeUndefined();
  });

  it('rolls a mutation cut by its statement timeout back whole', async () => {
    const lock = await holdLock('conversation_message');
    let body: Body;
    try {
      body = await post(
        server,
        `mutation { recordConversation(input: { entity: "cut-1", process: "bot",
          messages: [{ role: USER, content: "never stored" }] }) { __typename } }`,
      );
    } finally {
      await lock.release();
    }
    expect(body.errors?.[0]?.extensions?.code).toBe('REQUEST_TIMEOUT');
    expect(await server.db.entity.count({ where: { externalId: 'cut-1' } })).toBe(0);
    expect(await server.db.process.count({ where: { externalId: 'bot' } })).toBe(0);
  });
});
