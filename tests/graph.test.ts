import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GraphNeighborhoodDocument,
  GraphNodeDocument,
  GraphNodesDocument,
  GraphPathDocument,
  GraphSubgraphDocument,
} from '../client-codegen/generated/graphql.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { addTriples, clockPast, post, spo, type TripleSpec } from './helpers/graph.ts';
import { uniqueId } from './helpers/seed.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** The issue's document, character for character. */
const ISSUE_DOCUMENT = `query($e: String!, $at: DateTime) { entity(externalId: $e) { graph(asOf: $at) {
  neighborhood(of: "Ana", depth: 2, first: 50) { truncated nodes { name degree }
    triples { subject { name } predicate { name } object { name } } }
  path(from: "Ana", to: "Lisbon", maxDepth: 4) { length
    triples { subject { name } predicate { name } object { name } } }
  nodes(first: 10, orderBy: DEGREE) { totalCount edges { node { name degree } } } } } }`;

interface Named {
  name: string;
}
interface IssueAnswer {
  entity: {
    graph: {
      neighborhood: {
        truncated: boolean;
        nodes: (Named & { degree: number })[];
        triples: { subject: Named; predicate: Named; object: Named }[];
      } | null;
      path: { length: number; triples: { subject: Named; predicate: Named; object: Named }[] } | null;
      nodes: { totalCount: number; edges: { node: Named & { degree: number } }[] };
    };
  } | null;
}

/** The issue's triples (based_in is stored as lives_in: one predicate for where someone or something is). */
const ISSUE_TRIPLES: TripleSpec[] = [
  ['Ana', 'sister_of', 'Maria'],
  ['Maria', 'lives_in', 'Porto'],
  ['Ana', 'works_at', 'Acme'],
  ['Acme', 'based_in', 'Lisbon'],
];

describe(`the knowledge graph (${TEST_DATABASE})`, () => {
  let server: TestServer;
  let statements: string[] = [];
  let recording = false;

  beforeAll(async () => {
    server = await startTestServer({
      // A small fan-out cap, so a hub of 50 triples meets it.
      env: { GRAPH_MAX_FANOUT: '40' },
      onQuery: (sql) => {
        if (recording && !sql.includes('vector_change')) statements.push(sql);
      },
    });
  });
  afterAll(() => server?.close());

  it('answers the issue’s document as the issue says, now and before the move', async () => {
    const e = uniqueId('graph-issue');
    await addTriples(server, e, ISSUE_TRIPLES);
    const beforeMove = new Date();
    await clockPast(beforeMove);
    await addTriples(server, e, [['Maria', 'lives_in', 'Madrid']]);

    const ask = async (at?: Date) => {
      const body = await post<IssueAnswer>(server, ISSUE_DOCUMENT, { e, at: at?.toISOString() });
      expect(body.errors).toBeUndefined();
      return body.data?.entity?.graph as NonNullable<IssueAnswer['entity']>['graph'];
    };

    const then = await ask(beforeMove);
    expect(then.neighborhood?.truncated).toBe(false);
    expect(then.neighborhood?.nodes).toEqual([
      { name: 'Ana', degree: 2 },
      { name: 'Acme', degree: 2 },
      { name: 'Maria', degree: 2 },
      { name: 'Lisbon', degree: 1 },
      { name: 'Porto', degree: 1 },
    ]);
    expect(then.neighborhood?.triples.map(spo)).toEqual([
      'Ana sister_of Maria',
      'Ana works_at Acme',
      'Acme lives_in Lisbon',
      'Maria lives_in Porto',
    ]);
    expect(then.path?.length).toBe(2);
    expect(then.path?.triples.map(spo)).toEqual(['Ana works_at Acme', 'Acme lives_in Lisbon']);
    expect(then.nodes.totalCount).toBe(5);
    expect(then.nodes.edges.map((edge) => `${edge.node.name}:${edge.node.degree}`)).toEqual([
      'Acme:2',
      'Ana:2',
      'Maria:2',
      'Lisbon:1',
      'Porto:1',
    ]);

    const now = await ask();
    expect(now.neighborhood?.nodes.map((node) => node.name)).toEqual([
      'Ana',
      'Acme',
      'Maria',
      'Lisbon',
      'Madrid',
    ]);
    expect(now.neighborhood?.triples.map(spo)).toContain('Maria lives_in Madrid');
    expect(now.neighborhood?.triples.map(spo)).not.toContain('Maria lives_in Porto');
    expect(now.path?.length).toBe(2);
    expect(now.nodes.totalCount).toBe(5);
    expect(now.nodes.edges.map((edge) => edge.node.name)).not.toContain('Porto');

    // Before anything was said, the graph is empty: no such name, no path.
    const empty = await ask(new Date('2000-01-01T00:00:00Z'));
    expect(empty).toEqual({ neighborhood: null, path: null, nodes: { totalCount: 0, edges: [] } });
  });

  it('lists nodes by degree and by name, searches names literally, and pages both ways', async () => {
    const e = uniqueId('graph-nodes');
    await addTriples(server, e, [
      ['Hub', 'likes', 'a_1'],
      ['Hub', 'likes', 'b%2'],
      ['Hub', 'likes', 'C3'],
      ['c3', 'likes', 'Hub'],
      ['a_1', 'loves', 'b%2'],
    ]);
    const nodes = async (variables: Record<string, unknown>) => {
      const data = await server.gql(GraphNodesDocument, { e, ...variables });
      return data.entity?.graph.nodes as NonNullable<typeof data.entity>['graph']['nodes'];
    };
    const byDegree = await nodes({});
    expect(byDegree.totalCount).toBe(5);
    expect(byDegree.edges.map((edge) => `${edge.node.name}:${edge.node.degree}`)).toEqual([
      'Hub:4',
      'a_1:2',
      'b%2:2',
      'C3:1',
      'c3:1',
    ]);
    const byName = await nodes({ orderBy: 'NAME' });
    expect(byName.edges.map((edge) => edge.node.name)).toEqual(['C3', 'Hub', 'a_1', 'b%2', 'c3']);

    // Case-insensitive, literal: `_` and `%` match only themselves.
    expect((await nodes({ search: 'c3' })).edges.map((edge) => edge.node.name)).toEqual(['C3', 'c3']);
    expect((await nodes({ search: '_' })).edges.map((edge) => edge.node.name)).toEqual(['a_1']);
    expect((await nodes({ search: '%', orderBy: 'NAME' })).totalCount).toBe(1);
    expect((await nodes({ search: 'HU' })).edges.map((edge) => edge.node.name)).toEqual(['Hub']);
    expect((await nodes({ search: 'nothing' })).totalCount).toBe(0);
    // Beyond ASCII too, alike on every database (SQLite's own LOWER folds A-Z only).
    const accented = uniqueId('graph-accents');
    await addTriples(server, accented, [['Ágata', 'likes', 'ÑANDÚ']]);
    const search = async (text: string) =>
      (await server.gql(GraphNodesDocument, { e: accented, search: text })).entity?.graph.nodes.edges.map(
        (edge) => edge.node.name,
      );
    expect(await search('ágata')).toEqual(['Ágata']);
    expect(await search('ñandú')).toEqual(['ÑANDÚ']);
    expect(await search('Ú')).toEqual(['ÑANDÚ']);

    // Forward in pages of 2, then back from the end.
    const names: string[] = [];
    let after: string | null | undefined;
    for (let page = 0; page < 5; page += 1) {
      const slice = await nodes({ orderBy: 'NAME', first: 2, after });
      names.push(...slice.edges.map((edge) => edge.node.name));
      expect(slice.pageInfo.hasPreviousPage).toBe(page > 0);
      after = slice.pageInfo.endCursor;
      if (!slice.pageInfo.hasNextPage) break;
    }
    expect(names).toEqual(['C3', 'Hub', 'a_1', 'b%2', 'c3']);
    const last = await nodes({ orderBy: 'NAME', last: 2 });
    expect(last.edges.map((edge) => edge.node.name)).toEqual(['b%2', 'c3']);
    const before = await nodes({ orderBy: 'NAME', last: 2, before: last.pageInfo.startCursor });
    expect(before.edges.map((edge) => edge.node.name)).toEqual(['Hub', 'a_1']);

    // One node, its type and its triples as a connection, either way.
    const hub = await server.gql(GraphNodeDocument, { e, name: '  Hub ', first: 2 });
    const node = hub.entity?.graph.node;
    expect(node?.name).toBe('Hub');
    expect(node?.degree).toBe(4);
    expect(node?.triples.totalCount).toBe(4);
    expect(node?.triples.edges).toHaveLength(2);
    expect(node?.triples.pageInfo.hasNextPage).toBe(true);
    const rest = await server.gql(GraphNodeDocument, {
      e,
      name: 'Hub',
      after: node?.triples.pageInfo.endCursor,
    });
    expect(rest.entity?.graph.node?.triples.edges).toHaveLength(2);
    const into = await server.gql(GraphNodeDocument, { e, name: 'Hub', direction: 'IN' });
    expect(into.entity?.graph.node?.triples.edges.map((edge) => spo(edge.node))).toEqual(['c3 likes Hub']);
    const out = await server.gql(GraphNodeDocument, { e, name: 'Hub', direction: 'OUT' });
    expect(out.entity?.graph.node?.triples.totalCount).toBe(3);
    expect((await server.gql(GraphNodeDocument, { e, name: 'nobody' })).entity?.graph.node).toBeNull();
  });

  /** The SQL statements `work` sent (the vector index's polling aside). */
  async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    statements = [];
    recording = true;
    try {
      const result = await work();
      return { result, statements: [...statements] };
    } finally {
      recording = false;
    }
  }
  /**
   * The levels of a search walked (src/graph/expand.ts: a statement each), counting the level CTEs
   * of a neighbourhood read in one statement (src/graph/neighborhood-statement.ts, PostgreSQL).
   */
  const levels = (sql: string[]) =>
    sql.flatMap((text) =>
      /\bk0 AS\b/.test(text)
        ? [...text.matchAll(/\be\d+ AS \(/g)].map(() => text)
        : /\bAS way\b/.test(text)
          ? [text]
          : [],
    );

  /** A → B → C → D → E (likes), C owns A (a cycle), X visited B. */
  const CHAIN: TripleSpec[] = [
    ['A', 'likes', 'B'],
    ['B', 'likes', 'C'],
    ['C', 'likes', 'D'],
    ['D', 'likes', 'E'],
    ['C', 'owns', 'A'],
    ['X', 'visited', 'B'],
  ];

  it('walks neighbourhoods 0 to 3 hops out, around cycles, by predicate and direction, one statement per level', async () => {
    const e = uniqueId('graph-hood');
    await addTriples(server, e, CHAIN);
    const hood = async (of: string, options: Record<string, unknown> = {}) => {
      const { result, statements: sql } = await counted(() =>
        server.gql(GraphNeighborhoodDocument, { e, of, ...options }),
      );
      const found = result.entity?.graph.neighborhood;
      return {
        nodes: found?.nodes.map((node) => node.name),
        triples: found?.triples.map(spo),
        truncated: found?.truncated,
        levels: levels(sql).length,
      };
    };
    expect(await hood('A', { depth: 0 })).toEqual({ nodes: ['A'], triples: [], truncated: false, levels: 0 });
    expect(await hood('A')).toEqual({
      nodes: ['A', 'B', 'C'],
      triples: ['A likes B', 'C owns A'],
      truncated: false,
      levels: 1,
    });
    // The cycle A → B → C → A closes within two hops; every name appears once.
    expect(await hood('A', { depth: 2 })).toEqual({
      nodes: ['A', 'B', 'C', 'D', 'X'],
      triples: ['A likes B', 'C owns A', 'B likes C', 'C likes D', 'X visited B'],
      truncated: false,
      levels: 2,
    });
    const three = await hood('A', { depth: 3 });
    expect(three.nodes).toEqual(['A', 'B', 'C', 'D', 'X', 'E']);
    expect(three.triples).toHaveLength(6);
    expect(three.levels).toBe(3);
    // Out: along the arrows only; in: against them.
    expect((await hood('A', { depth: 2, direction: 'OUT' })).triples).toEqual(['A likes B', 'B likes C']);
    expect(await hood('A', { depth: 2, direction: 'IN' })).toMatchObject({
      nodes: ['A', 'C', 'B'],
      triples: ['C owns A', 'B likes C'],
    });
    // Only likes: C is two hops away, X not reachable; predicates are normalized as stored.
    expect(await hood('A', { depth: 2, predicates: ['likes'] })).toMatchObject({
      nodes: ['A', 'B', 'C'],
      triples: ['A likes B', 'B likes C'],
    });
    expect((await hood('A', { depth: 3, predicates: ['Owns', 'visited'] })).nodes).toEqual(['A', 'C']);
    // A name given with extra spaces is the stored name; an unknown one has no neighbourhood. The
    // start is walked before it is checked (a name with a triple is a node, so most neighbourhoods
    // need no check): an unknown name costs its first level, which finds nothing, and then the check.
    expect((await hood('  A  ')).nodes).toEqual(['A', 'B', 'C']);
    expect(await hood('Nobody')).toMatchObject({ nodes: undefined, levels: 1 });
  });

  it('cuts a hub’s neighbourhood at first (the nearest, then by name) and at the fan-out cap', async () => {
    const e = uniqueId('graph-hub');
    const spokes = (hub: string, count: number) =>
      Array.from(
        { length: count },
        (_, i): TripleSpec => [hub, 'likes', `${hub}-${String(i).padStart(2, '0')}`],
      );
    await addTriples(server, e, [...spokes('Small', 30), ...spokes('Big', 50), ['Small-00', 'likes', 'Big']]);
    const hood = async (of: string, options: Record<string, unknown>) =>
      (await server.gql(GraphNeighborhoodDocument, { e, of, ...options })).entity?.graph.neighborhood;

    const cut = await hood('Small', { first: 10 });
    expect(cut?.truncated).toBe(true);
    expect(cut?.nodes.map((node) => node.name)).toEqual([
      'Small',
      ...spokes('Small', 9).map(([, , object]) => object),
    ]);
    expect(cut?.triples).toHaveLength(9);
    const whole = await hood('Small', { first: 31 });
    expect(whole?.truncated).toBe(false);
    expect(whole?.nodes).toHaveLength(31);
    // Three hops: Big (two away) and its spokes (three away) would pass first; the nearest are kept.
    const further = await hood('Small', { depth: 3, first: 40 });
    expect(further?.truncated).toBe(true);
    expect(further?.nodes).toHaveLength(40);
    expect(further?.nodes.slice(0, 32).map((node) => node.name)).toEqual([
      'Small',
      ...spokes('Small', 30).map(([, , object]) => object),
      'Big',
    ]);

    // Big has 50 triples out and one in, the cap is 40 per direction: 40 spokes and Small-00 are
    // read, and the answer says something was left out.
    const hub = await hood('Big', { first: 100 });
    expect(hub?.truncated).toBe(true);
    expect(hub?.nodes.length).toBe(42);
    expect(hub?.nodes.map((node) => node.name)).toContain('Small-00');
    expect(hub?.nodes[0]).toEqual({ name: 'Big', degree: 51 });
  });

  it('finds shortest paths: none, length 0, up to maxDepth 6, by direction and predicate, one statement per level', async () => {
    const e = uniqueId('graph-path');
    const chain = Array.from({ length: 6 }, (_, i): TripleSpec => [`P${i}`, 'likes', `P${i + 1}`]);
    await addTriples(server, e, [...chain, ['Q', 'likes', 'R'], ['P0', 'owns', 'P3']]);
    const path = async (from: string, to: string, options: Record<string, unknown> = {}) => {
      const { result, statements: sql } = await counted(() =>
        server.gql(GraphPathDocument, { e, from, to, ...options }),
      );
      const found = result.entity?.graph.path;
      return found
        ? { length: found.length, nodes: found.nodes.map((node) => node.name), levels: levels(sql).length }
        : { none: true, levels: levels(sql).length };
    };
    expect(await path('P0', 'Q')).toMatchObject({ none: true });
    expect(await path('P0', 'nobody')).toEqual({ none: true, levels: 0 });
    expect(await path('P2', 'P2')).toEqual({ length: 0, nodes: ['P2'], levels: 0 });
    expect(await path('nobody', 'nobody')).toEqual({ none: true, levels: 0 });
    // The shortcut P0 owns P3 makes it 4 hops; without it (likes only) it takes all 6.
    expect(await path('P0', 'P6')).toMatchObject({ length: 4, nodes: ['P0', 'P3', 'P4', 'P5', 'P6'] });
    const longest = await path('P0', 'P6', { maxDepth: 6, predicates: ['likes'] });
    expect(longest).toMatchObject({ length: 6, nodes: ['P0', 'P1', 'P2', 'P3', 'P4', 'P5', 'P6'] });
    // Each level is one statement, from whichever end is narrower: six levels for six hops.
    expect(longest.levels).toBe(6);
    expect(await path('P0', 'P6', { maxDepth: 5, predicates: ['likes'] })).toMatchObject({ none: true });
    expect((await path('P0', 'P6', { maxDepth: 5, predicates: ['likes'] })).levels).toBeLessThanOrEqual(5);
    // Against the arrows: only IN (or BOTH) finds it.
    expect(await path('P6', 'P0', { direction: 'OUT' })).toMatchObject({ none: true });
    expect(await path('P6', 'P0', { direction: 'IN' })).toMatchObject({ length: 4 });
    expect(await path('P6', 'P0', { direction: 'BOTH', maxDepth: 3 })).toMatchObject({ none: true });
    // The triples come hop by hop, each as stored (a BOTH hop may run against its arrow).
    const data = await server.gql(GraphPathDocument, { e, from: 'P4', to: 'P2' });
    expect(data.entity?.graph.path?.triples.map(spo)).toEqual(['P3 likes P4', 'P2 likes P3']);
  });

  it('joins the neighbourhoods of several seeds in a subgraph, ignoring names the graph lacks', async () => {
    const e = uniqueId('graph-sub');
    await addTriples(server, e, CHAIN);
    const subgraph = async (seeds: string[], options: Record<string, unknown> = {}) =>
      (await server.gql(GraphSubgraphDocument, { e, seeds, ...options })).entity?.graph.subgraph;
    const both = await subgraph(['E', 'A', 'missing']);
    expect(both?.nodes.map((node) => node.name)).toEqual(['A', 'E', 'B', 'C', 'D']);
    expect(both?.triples.map(spo)).toEqual(['A likes B', 'C owns A', 'D likes E']);
    expect(both?.truncated).toBe(false);
    expect((await subgraph(['E', 'A'], { limit: 3 }))?.truncated).toBe(true);
    expect(await subgraph(['missing'])).toEqual({ truncated: false, nodes: [], triples: [] });
  });

  it('refuses limits it cannot honour with BAD_USER_INPUT before any SQL', async () => {
    const e = uniqueId('graph-limits');
    await addTriples(server, e, CHAIN);
    const cases: [string, string][] = [
      ['neighborhood(of: "A", depth: 4) { truncated }', 'depth'],
      ['neighborhood(of: "A", depth: -1) { truncated }', 'depth'],
      ['neighborhood(of: "A", first: 101) { truncated }', 'first'],
      ['neighborhood(of: "A", first: 0) { truncated }', 'first'],
      ['neighborhood(of: "A", predicates: []) { truncated }', 'predicates'],
      ['path(from: "A", to: "E", maxDepth: 7) { length }', 'maxDepth'],
      ['path(from: "A", to: "E", maxDepth: -1) { length }', 'maxDepth'],
      ['subgraph(seeds: [], depth: 1) { truncated }', 'seeds'],
      [
        `subgraph(seeds: [${Array.from({ length: 21 }, (_, i) => `"s${i}"`).join(', ')}]) { truncated }`,
        'seeds',
      ],
      ['subgraph(seeds: ["A"], limit: 101) { truncated }', 'limit'],
      ['subgraph(seeds: ["A"], depth: 4) { truncated }', 'depth'],
    ];
    for (const [field, argument] of cases) {
      const { result, statements: sql } = await counted(() =>
        post(server, `query($e: String!) { entity(externalId: $e) { id graph { ${field} } } }`, { e }),
      );
      expect(result.data?.entity ?? null, field).toBeNull();
      expect(result.errors?.[0]?.extensions?.code, field).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message, field).toContain(`.${argument}:`);
      expect(sql, field).toEqual([]);
    }
    // The same through variables, and a depth inside the limit runs.
    const { result, statements: sql } = await counted(() =>
      post(
        server,
        'query($e: String!, $d: Int) { entity(externalId: $e) { graph { neighborhood(of: "A", depth: $d) { truncated } } } }',
        { e, d: 9 },
      ),
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(sql).toEqual([]);
    const fine = await post(
      server,
      'query($e: String!) { entity(externalId: $e) { graph { neighborhood(of: "A", depth: 3) { truncated } } } }',
      { e },
    );
    expect(fine.errors).toBeUndefined();
  });

  it('gives a neighbourhood’s and a path’s triples every field, the usual selection in one statement', async () => {
    const e = uniqueId('graph-fields');
    await addTriples(server, e, CHAIN);
    await addTriples(server, e, [['A', 'likes', 'B']]);
    const FIELDS = `id mentionCount lastMentionedAt validFrom validTo createdAt
      subject { id name type } predicate { id name } object { id name type }`;
    type Triples = { triples: Record<string, unknown>[] };
    const ask = (triples: string) =>
      counted(() =>
        post<{ entity: { graph: { neighborhood: Triples; path: Triples } } }>(
          server,
          `query($e: String!) { entity(externalId: $e) { graph {
            neighborhood(of: "B", depth: 2) { triples { ${triples} } }
            path(from: "A", to: "E") { triples { ${triples} } } } } }`,
          { e },
        ),
      );
    const plain = await ask(FIELDS);
    const more = await ask(`${FIELDS} entity { externalId } earlierPeriods { validFrom }`);
    expect(plain.result.errors).toBeUndefined();
    expect(more.result.errors).toBeUndefined();
    const graph = plain.result.data?.entity.graph;
    const richer = more.result.data?.entity.graph;
    // The same triples, field for field, whichever way they were read.
    const strip = ({ entity: _entity, earlierPeriods: _periods, ...rest }: Record<string, unknown>) => rest;
    expect(graph?.neighborhood.triples).toEqual(richer?.neighborhood.triples.map(strip));
    expect(graph?.path.triples).toEqual(richer?.path.triples.map(strip));
    expect(graph?.neighborhood.triples).toHaveLength(5);
    expect(graph?.neighborhood.triples[0]).toMatchObject({ mentionCount: 2, validTo: null });
    // A, C, D, E (C owns A is the shortcut).
    expect(
      richer?.path.triples.map((triple) => (triple.entity as { externalId: string }).externalId),
    ).toEqual([e, e, e]);
    // As a node's triples (Prisma's reading) give them.
    const node = await post<{
      entity: { graph: { node: { triples: { edges: { node: Record<string, unknown> }[] } } } };
    }>(
      server,
      `query($e: String!) { entity(externalId: $e) { graph { node(name: "C") {
        triples(first: 50) { edges { node { ${FIELDS} } } } } } } }`,
      { e },
    );
    const byId = new Map(node.data?.entity.graph.node.triples.edges.map((edge) => [edge.node.id, edge.node]));
    const throughC = graph?.neighborhood.triples.filter((triple) => byId.has(triple.id)) ?? [];
    expect(throughC).toHaveLength(3);
    for (const triple of throughC) expect(triple).toEqual(byId.get(triple.id));
    // The usual selection reads the names with the triples, not in statements of their own (as
    // Prisma does for the rest, except on PostgreSQL where it joins them too).
    const nameLoads = (sql: string[]) =>
      sql.filter((text) => /\b(subject|predicate|object)\b/.test(text) && !/knowledge_graph/.test(text));
    if (TEST_DATABASE !== 'postgresql') expect(nameLoads(more.statements).length).toBeGreaterThan(0);
    expect(nameLoads(plain.statements)).toEqual([]);
  });

  it('counts the graph’s lists in the query cost by first, limit and the longest path', async () => {
    const cost = async (field: string) => {
      const body = await post(server, `{ entity(externalId: "nobody") { graph { ${field} } } }`);
      expect(body.errors, field).toBeUndefined();
      return (body.extensions?.cost as { nodes: number } | undefined)?.nodes;
    };
    const small = await cost('neighborhood(of: "A", first: 5) { nodes { name } triples { id } }');
    const large = await cost('neighborhood(of: "A", first: 50) { nodes { name } triples { id } }');
    // entity, graph, neighborhood, then per name 2 and per triple (twice as many) 2.
    expect(small).toBe(3 + 5 * 2 + 10 * 2);
    expect(large).toBe(3 + 50 * 2 + 100 * 2);
    expect(await cost('subgraph(seeds: ["A"], limit: 7) { nodes { name } }')).toBe(3 + 7 * 2);
    expect(await cost('path(from: "A", to: "B") { length nodes { name } triples { id } }')).toBe(
      3 + 1 + 7 * 2 + 6 * 2,
    );
    expect(await cost('nodes(first: 4) { edges { node { name } } }')).toBe(3 + 4 * 3);
  });
});
