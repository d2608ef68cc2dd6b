import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphNodeDocument, GraphNodesDocument } from '../client-codegen/generated/graphql.ts';
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

  beforeAll(async () => {
    server = await startTestServer();
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
});
