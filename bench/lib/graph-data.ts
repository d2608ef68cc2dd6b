/**
 * The generated knowledge graph of bench/graph.ts: names with a power-law degree distribution (a
 * few hubs with thousands of triples, most names with one or two), in two shapes that share the
 * same name rows:
 *
 * - **one entity** (`bench-graph-one`) holding `triples` triples over `names` names, connected:
 *   every name after the first is first joined to an earlier one, chosen with the same skew, so a
 *   path exists between any two names (how long it is depends on the draw);
 * - **many entities** (`bench-graph-many-0001`...) of `triplesPerEntity` triples each over
 *   `namesPerEntity` names drawn from the same pool, as a server with many users would hold.
 *
 * Some triples (`supersededShare`) are superseded (their validity period has ended): they are in
 * the tables and out of the current graph, as supersession leaves them.
 */
import { seededRandom } from './random.ts';

export interface GraphSizes {
  /** Names of the one-entity graph (and of the shared pool). @default 200000 */
  names: number;
  /** Triples of the one-entity graph. @default 1000000 */
  triples: number;
  /** Entities of the spread-out graph. @default 1000 */
  entities: number;
  /** Triples of each spread-out entity. @default 1000 */
  triplesPerEntity: number;
}

export const DEFAULT_GRAPH_SIZES: GraphSizes = {
  names: 200_000,
  triples: 1_000_000,
  entities: 1000,
  triplesPerEntity: 1000,
};

/** Bumped whenever the generated data changes, so a stored database is rebuilt. */
export const GRAPH_SEED_VERSION = 1;

/** The predicates, the first ones far more common than the last (as lives_in is beside twin_of). */
export const PREDICATES = [
  'knows',
  'works_at',
  'lives_in',
  'likes',
  'friend_of',
  'member_of',
  'visited',
  'owns',
  'uses',
  'studied_at',
  'sister_of',
  'brother_of',
  'parent_of',
  'child_of',
  'married_to',
  'manages',
  'reports_to',
  'founded',
  'wrote',
  'read',
  'plays',
  'speaks',
  'born_in',
  'moved_to',
  'prefers',
  'dislikes',
  'allergic_to',
  'teaches',
  'learns',
  'mentors',
  'supports',
  'invested_in',
  'built',
  'designed',
  'cooked',
  'drives',
  'follows',
  'collaborates_with',
  'neighbour_of',
  'twin_of',
] as const;

/** Share of triples whose validity period has ended (superseded, not in the current graph). */
const SUPERSEDED_SHARE = 0.05;
/** Names of each spread-out entity's graph. */
const NAMES_PER_ENTITY = 300;
/**
 * The skew: a name index is `floor(n * u^SKEW)` for uniform u, so the first names are drawn far
 * more often. With 200k names and 2M triple ends, the busiest name gets about 15,000 triples.
 */
const SKEW = 2.5;

export const ONE_ENTITY = 'bench-graph-one';
export const manyEntity = (index: number) => `bench-graph-many-${String(index + 1).padStart(4, '0')}`;
/** A name of the pool (stored as is: no spaces to collapse, so the graph stores it unchanged). */
export const nodeName = (index: number) => `N${index}`;

/** The generated triples, column by column (indexes into the names, predicates and entities). */
export interface GraphData {
  sizes: GraphSizes;
  /** Entity 0 is the one-entity graph; entities 1..n the spread-out ones. */
  entities: string[];
  /** Per triple: entity index, subject and object name index, predicate index, superseded flag. */
  entity: Int32Array;
  subject: Int32Array;
  object: Int32Array;
  predicate: Int32Array;
  superseded: Uint8Array;
  /** Names each spread-out entity uses (indexes into the pool), for picking valid starts. */
  entityNames: Int32Array[];
}

/** The number of triples a size produces. */
export function tripleCount(sizes: GraphSizes): number {
  return sizes.triples + sizes.entities * sizes.triplesPerEntity;
}

/** Generates the graph; the same sizes and seed always give the same data. */
export function generateGraph(sizes: GraphSizes, seed = 20261203): GraphData {
  const rng = seededRandom(seed);
  const skewed = (n: number) => Math.min(n - 1, Math.floor(n * rng() ** SKEW));
  const total = tripleCount(sizes);
  const data: GraphData = {
    sizes,
    entities: [ONE_ENTITY, ...Array.from({ length: sizes.entities }, (_, i) => manyEntity(i))],
    entity: new Int32Array(total),
    subject: new Int32Array(total),
    object: new Int32Array(total),
    predicate: new Int32Array(total),
    superseded: new Uint8Array(total),
    entityNames: [],
  };
  let count = 0;
  // (subject, predicate, object) is unique per entity, as the table's unique key says.
  const fill = (entity: number, limit: number, pick: () => [number, number]) => {
    const seen = new Set<string>();
    const push = (s: number, o: number) => {
      const p = skewed(PREDICATES.length);
      const key = `${s}:${p}:${o}`;
      if (s === o || seen.has(key)) return false;
      seen.add(key);
      data.entity[count] = entity;
      data.subject[count] = s;
      data.object[count] = o;
      data.predicate[count] = p;
      data.superseded[count] = rng() < SUPERSEDED_SHARE ? 1 : 0;
      count += 1;
      return true;
    };
    return { push, done: () => seen.size >= limit, pick };
  };

  // One entity: a skewed tree over every name first (so the graph is connected), then the rest.
  const one = fill(0, sizes.triples, () => [skewed(sizes.names), skewed(sizes.names)]);
  for (let name = 1; name < sizes.names && !one.done(); name += 1) {
    const other = skewed(name);
    // Half the tree edges point each way, so both directions matter.
    while (!(rng() < 0.5 ? one.push(name, other) : one.push(other, name))) {
      /* a repeated predicate draw: draw again */
    }
  }
  while (!one.done()) one.push(...one.pick());

  // Many entities: each a skewed graph over its own names from the pool.
  for (let e = 1; e <= sizes.entities; e += 1) {
    const names = new Int32Array(NAMES_PER_ENTITY);
    for (let i = 0; i < names.length; i += 1) names[i] = skewed(sizes.names);
    const unique = Int32Array.from(new Set(names));
    data.entityNames.push(unique);
    const local = () => unique[skewed(unique.length)] as number;
    const graph = fill(e, sizes.triplesPerEntity, () => [local(), local()]);
    while (!graph.done()) graph.push(...graph.pick());
  }
  if (count !== total) throw new Error(`generated ${count} triples, expected ${total}`);
  return data;
}

/** Degree figures of the one-entity graph's current triples, for the log. */
export function degreeSummary(data: GraphData): { maxDegree: number; medianDegree: number; hubs: number } {
  const degree = new Int32Array(data.sizes.names);
  for (let i = 0; i < data.sizes.triples; i += 1) {
    if (data.superseded[i]) continue;
    degree[data.subject[i] as number] = (degree[data.subject[i] as number] ?? 0) + 1;
    degree[data.object[i] as number] = (degree[data.object[i] as number] ?? 0) + 1;
  }
  const sorted = Int32Array.from(degree).sort();
  return {
    maxDegree: sorted[sorted.length - 1] ?? 0,
    medianDegree: sorted[Math.floor(sorted.length / 2)] ?? 0,
    hubs: sorted.filter((d) => d >= 1000).length,
  };
}
