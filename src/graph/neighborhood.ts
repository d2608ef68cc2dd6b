import { clientProvider, type Db } from '../db/client.ts';
import { expandNearest } from './expand.ts';
import { neighborhoodInOneStatement } from './neighborhood-statement.ts';
import type { NodeInfo } from './nodes.ts';
import type { EdgeFilter, GraphEdge, GraphScope } from './sql.ts';
import type { TripleWithNames } from './triples.ts';

/** How far and how wide a neighbourhood may grow. */
export interface NeighborhoodLimits {
  /** Hops from the seeds. */
  depth: number;
  /** Most names kept (the nearest, then by name). */
  maxNodes: number;
  /** Most edges read per level and direction (GRAPH_MAX_FANOUT). */
  fanOut: number;
}

/** A name of a neighbourhood and its distance in hops from the nearest seed. */
export interface PlacedNode {
  name: string;
  distance: number;
}

export interface Neighborhood {
  /** Nearest first, then by name (code point order). */
  nodes: PlacedNode[];
  /** Nearest to the seeds first, then by subject, predicate and object. */
  edges: GraphEdge[];
  /** A limit (nodes, edges or the fan-out cap) left something out. */
  truncated: boolean;
  /** Read with it (the one-statement form): type and degree of the kept names that are nodes. */
  infos?: Map<string, NodeInfo>;
  /** Read with it: the triples of `edges` with their names, in the same order. */
  triples?: TripleWithNames[];
}

/** Code point order, as JavaScript compares strings; the same on every database. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most edges returned per kept name: enough for the tree that joins them and many cross edges. */
export const EDGES_PER_NODE = 2;

/**
 * The names within `depth` hops of the seeds and the edges that join them, breadth first with one
 * statement per level: each level expands only the names the previous one kept, so no name is
 * expanded twice (cycles end there) and a level never asks for more than `maxNodes` names.
 *
 * Which names are kept when there are too many is fixed: the nearest, then by name; so the answer
 * is the same on every database (unless the fan-out cap cut a level, which sets `truncated`).
 * Once the names are all kept, the last kept level is still expanded, for the edges among them.
 * An edge is in the neighbourhood when both its ends are kept and it was followed from an end
 * fewer than `depth` hops away.
 */
export async function exploreNeighborhood(
  db: Db,
  scope: GraphScope,
  seeds: readonly string[],
  filter: EdgeFilter,
  limits: NeighborhoodLimits,
): Promise<Neighborhood> {
  const starts = [...new Set(seeds)].sort(compareNames);
  // On PostgreSQL the current graph's neighbourhood, its degrees and its triples come in one
  // statement (the same levels and rules, as CTEs); other databases and past moments walk here.
  if (clientProvider(db) === 'postgresql' && scope.asOf === null && starts.length > 0) {
    const found = await neighborhoodInOneStatement(
      db,
      scope,
      starts.slice(0, limits.maxNodes),
      filter,
      limits,
      limits.maxNodes * EDGES_PER_NODE,
    );
    found.nodes.sort((a, b) => a.distance - b.distance || compareNames(a.name, b.name));
    return { ...found, truncated: found.truncated || starts.length > limits.maxNodes };
  }
  const distance = new Map<string, number>();
  let truncated = false;
  if (starts.length > limits.maxNodes) truncated = true;
  for (const name of starts.slice(0, limits.maxNodes)) distance.set(name, 0);
  const edges = new Map<number, GraphEdge>();
  let frontier = [...distance.keys()];
  for (let level = 1; level <= limits.depth && frontier.length > 0; level += 1) {
    const room = limits.maxNodes - distance.size;
    const { steps, capped } = await expandNearest(db, scope, frontier, filter, limits.fanOut, {
      known: [...distance.keys()],
      room: Math.max(room, 0),
    });
    if (capped) truncated = true;
    const fresh = [...new Set(steps.map((step) => step.to).filter((name) => !distance.has(name)))].sort(
      compareNames,
    );
    if (fresh.length > room) truncated = true;
    frontier = fresh.slice(0, Math.max(room, 0));
    for (const name of frontier) distance.set(name, level);
    for (const step of steps) if (distance.has(step.to)) edges.set(step.edge.id, step.edge);
  }
  const nodes = [...distance].map(([name, hops]) => ({ name, distance: hops }));
  nodes.sort((a, b) => a.distance - b.distance || compareNames(a.name, b.name));
  const near = (edge: GraphEdge) => {
    const ends = [distance.get(edge.subject) ?? 0, distance.get(edge.object) ?? 0];
    return [Math.min(...ends), Math.max(...ends)];
  };
  const ordered = [...edges.values()].sort((a, b) => {
    const [a0, a1] = near(a) as [number, number];
    const [b0, b1] = near(b) as [number, number];
    return (
      a0 - b0 ||
      a1 - b1 ||
      compareNames(a.subject, b.subject) ||
      compareNames(a.predicate, b.predicate) ||
      compareNames(a.object, b.object)
    );
  });
  const maxEdges = limits.maxNodes * EDGES_PER_NODE;
  if (ordered.length > maxEdges) truncated = true;
  return { nodes, edges: ordered.slice(0, maxEdges), truncated };
}
