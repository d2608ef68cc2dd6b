import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GraphDirection,
  GraphNeighborhoodDocument,
  GraphNodesDocument,
  GraphPathDocument,
  GraphSubgraphDocument,
} from '../client-codegen/generated/graphql.ts';
import { TEST_DATABASE } from './helpers/database.ts';
import { addTriples, spo, type TripleSpec } from './helpers/graph.ts';
import { ReferenceGraph, type RefTriple, random } from './helpers/graph-reference.ts';
import { uniqueId } from './helpers/seed.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** Predicates none of which is functional, so no triple supersedes another. */
const PREDICATES = ['likes', 'owns', 'visited', 'speaks'];
const DIRECTIONS: GraphDirection[] = ['BOTH', 'OUT', 'IN'];

/**
 * A random graph (fixed seed): 90 names whose case varies (`K7`, `k8`: code point order puts
 * capitals first), 320 random triples (cycles of every length come by themselves), a 2-cycle, a
 * self-loop and a hub with 60 triples each way, so neighbourhoods get cut by `first`.
 */
function randomGraph(seed: number): RefTriple[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const names = Array.from({ length: 90 }, (_, i) => `${i % 3 === 0 ? 'K' : 'k'}${i}`);
  const seen = new Set<string>();
  const triples: RefTriple[] = [];
  const add = (subject: string, predicate: string, object: string) => {
    const key = `${subject}\u0000${predicate}\u0000${object}`;
    if (seen.has(key)) return;
    seen.add(key);
    triples.push({ subject, predicate, object });
  };
  while (triples.length < 320) add(pick(names), pick(PREDICATES), pick(names));
  add('k1', 'likes', 'k2');
  add('k2', 'likes', 'k1');
  add('k4', 'owns', 'k4');
  for (let i = 0; i < 60; i += 1) {
    add('Hub', pick(PREDICATES), pick(names));
    add(pick(names), pick(PREDICATES), 'Hub');
  }
  return triples;
}

describe(`the graph answers as a plain in-memory search does (${TEST_DATABASE})`, () => {
  let server: TestServer;
  const entity = uniqueId('graph-random');
  const triples = randomGraph(14);
  const reference = new ReferenceGraph(triples);
  const names = [...new Set(triples.flatMap((t) => [t.subject, t.object]))];
  const next = random(2026);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const somePredicates = () =>
    next() < 0.5
      ? null
      : PREDICATES.filter(() => next() < 0.5)
          .concat(pick(PREDICATES))
          .filter((p, i, all) => all.indexOf(p) === i);

  beforeAll(async () => {
    server = await startTestServer();
    await addTriples(
      server,
      entity,
      triples.map((t): TripleSpec => [t.subject, t.predicate, t.object]),
    );
  });
  afterAll(() => server?.close());

  it('has the same nodes and degrees', async () => {
    const data = await server.gql(GraphNodesDocument, { e: entity, first: 100 });
    const nodes = data.entity?.graph.nodes;
    expect(nodes?.totalCount).toBe(names.length);
    expect(nodes?.edges.map((edge) => ({ name: edge.node.name, degree: edge.node.degree }))).toEqual(
      reference.nodesByDegree().slice(0, 100),
    );
  });

  it('finds the same neighbourhoods (depth 0 to 3, every direction, predicate filters, cut by first)', async () => {
    const starts = ['Hub', 'k1', 'k4', ...Array.from({ length: 40 }, () => pick(names))];
    let truncated = 0;
    for (const [i, of] of starts.entries()) {
      const options = {
        depth: i % 4,
        direction: pick(DIRECTIONS),
        predicates: somePredicates(),
        first: pick([3, 10, 40, 100]),
      };
      const data = await server.gql(GraphNeighborhoodDocument, { e: entity, of, ...options });
      const found = data.entity?.graph.neighborhood;
      const expected = reference.neighborhood([of], options);
      const label = JSON.stringify({ of, ...options });
      expect(found?.nodes, label).toEqual(expected.nodes);
      expect(found?.triples.map(spo), label).toEqual(expected.triples);
      expect(found?.truncated, label).toBe(expected.truncated);
      if (expected.truncated) truncated += 1;
    }
    // The cuts were exercised, and so were whole neighbourhoods.
    expect(truncated).toBeGreaterThan(5);
    expect(truncated).toBeLessThan(starts.length);
  });

  it('finds shortest paths of the same length, and the same one, or none alike', async () => {
    const lengths = new Map<number | null, number>();
    for (let i = 0; i < 80; i += 1) {
      const from = pick(names);
      const to = i % 10 === 0 ? from : pick(names);
      const options = {
        maxDepth: pick([0, 1, 2, 3, 4, 6]),
        direction: pick(DIRECTIONS),
        predicates: somePredicates(),
      };
      const data = await server.gql(GraphPathDocument, { e: entity, from, to, ...options });
      const found = data.entity?.graph.path ?? null;
      const expected = reference.path(from, to, options);
      const label = JSON.stringify({ from, to, ...options });
      expect(
        found && {
          length: found.length,
          nodes: found.nodes.map((node) => node.name),
          triples: found.triples.map(spo),
        },
        label,
      ).toEqual(expected);
      lengths.set(expected?.length ?? null, (lengths.get(expected?.length ?? null) ?? 0) + 1);
    }
    // None, zero (from = to) and several hops all came up.
    expect(lengths.get(null)).toBeGreaterThan(0);
    expect(lengths.get(0)).toBeGreaterThan(0);
    expect([...lengths.keys()].filter((length) => (length ?? 0) >= 2).length).toBeGreaterThan(1);
  });

  it('finds the same subgraphs around several seeds', async () => {
    for (let i = 0; i < 15; i += 1) {
      const seeds = Array.from({ length: 1 + (i % 4) }, () => pick(names)).concat(
        i % 5 === 0 ? ['no such name'] : [],
      );
      const options = { depth: i % 3, limit: pick([5, 30, 100]) };
      const data = await server.gql(GraphSubgraphDocument, { e: entity, seeds, ...options });
      const found = data.entity?.graph.subgraph;
      const expected = reference.neighborhood(seeds, {
        ...options,
        direction: 'BOTH',
        predicates: null,
        first: options.limit,
      });
      const label = JSON.stringify({ seeds, ...options });
      expect(found?.nodes, label).toEqual(expected.nodes);
      expect(found?.triples.map(spo), label).toEqual(expected.triples);
      expect(found?.truncated, label).toBe(expected.truncated);
    }
  });
});
