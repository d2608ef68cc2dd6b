/**
 * The graph of an entity: its nodes are the subject and object names of its triples, its edges
 * the triples (subject → object, the predicate as label), as of a moment. These are the rules of
 * reading it (names normalized as stored, the limits, which triples a node has); the SQL and the
 * searches are in src/graph/.
 */
import type { Db } from '../db/client.ts';
import type { Prisma } from '../db/generated/client.ts';
import { ValidationError } from '../errors.ts';
import { exploreNeighborhood, type Neighborhood } from '../graph/neighborhood.ts';
import {
  countNodes,
  existingNodes,
  listNodes,
  type NodeInfo,
  type NodeOrder,
  nodeInfo,
} from '../graph/nodes.ts';
import { type FoundPath, shortestPath } from '../graph/path.ts';
import type { GraphDirection, GraphScope } from '../graph/sql.ts';
import { type TripleWithNames, triplesWithNames } from '../graph/triples.ts';
import { normalizePredicate } from './predicates.ts';
import { triplesWhere } from './triple-reads.ts';
import { normalizeGraphName } from './validation.ts';

export type { FoundPath, GraphDirection, GraphScope, Neighborhood, NodeInfo, NodeOrder, TripleWithNames };

/** The graph's limits; every field comes from configuration (`graph`) or `graphql.maxPageSize`. */
export interface GraphSettings {
  /** Deepest neighbourhood or subgraph (GRAPH_MAX_DEPTH). @default 3 */
  maxDepth: number;
  /** Most edges one level of a search reads per direction, so hubs stay cheap (GRAPH_MAX_FANOUT). @default 10000 */
  maxFanOut: number;
}

/** Longest path asked for, in hops. */
export const MAX_PATH_DEPTH = 6;
/** Most seeds of a subgraph. */
export const MAX_SEEDS = 20;
/** Most predicates a traversal may be limited to. */
export const MAX_PREDICATES = 50;

/** What the argument checks compare with (the server's limits). */
export interface GraphLimits {
  maxPageSize: number;
  graphMaxDepth: number;
}

/** Why an integer argument is refused, or null: it must lie in [min, max]. */
export function outOfRange(value: unknown, min: number, max: number): string | null {
  if (typeof value !== 'number') return null;
  return value < min || value > max ? `must be between ${min} and ${max}` : null;
}

/** The checks of the graph's arguments, each answering why a value is refused (or null). */
export const graphChecks = {
  depth: (value: unknown, limits: GraphLimits) => outOfRange(value, 0, limits.graphMaxDepth),
  pathDepth: (value: unknown) => outOfRange(value, 0, MAX_PATH_DEPTH),
  pageSize: (value: unknown, limits: GraphLimits) => outOfRange(value, 1, limits.maxPageSize),
  seeds: (value: unknown) =>
    Array.isArray(value) && (value.length === 0 || value.length > MAX_SEEDS)
      ? `must hold between 1 and ${MAX_SEEDS} names`
      : null,
  predicates: (value: unknown) =>
    Array.isArray(value) && (value.length === 0 || value.length > MAX_PREDICATES)
      ? `must hold between 1 and ${MAX_PREDICATES} predicates (leave it out to follow every one)`
      : null,
} as const;

/**
 * The GraphQL layer refuses these before any SQL (src/schema/input-guard.ts); the services hold
 * the same line for any other caller.
 */
function requireWithin(name: string, value: number, min: number, max: number): void {
  const problem = outOfRange(value, min, max);
  if (problem)
    throw new ValidationError(`${name}: ${problem}`, [{ path: name, message: problem }], 'BAD_USER_INPUT');
}

/** The stored predicate names of a filter; null (no filter) stays null. */
export function storedPredicates(predicates: readonly string[] | null | undefined): string[] | null {
  if (!predicates) return null;
  return [...new Set(predicates.map(normalizePredicate))];
}

/** One page of the graph's nodes, and their total. */
export function graphNodes(
  db: Db,
  scope: GraphScope,
  options: { order: NodeOrder; search: string | null; offset: number; limit: number },
): Promise<NodeInfo[]> {
  return listNodes(db, scope, { ...options, search: options.search || null });
}

export function graphNodeCount(db: Db, scope: GraphScope, search: string | null): Promise<number> {
  return countNodes(db, scope, search || null);
}

/** Type and degree of names (normalized as stored); names that are no node are absent. */
export function graphNodeInfo(
  db: Db,
  scope: GraphScope,
  names: readonly string[],
): Promise<Map<string, NodeInfo>> {
  return nodeInfo(db, scope, names);
}

/** Which of the names (normalized as stored) are nodes, without counting their triples. */
export function graphNodesExisting(
  db: Db,
  scope: GraphScope,
  names: readonly string[],
): Promise<Set<string>> {
  return existingNodes(db, scope, names);
}

/** Triples by id with their subject, predicate and object rows, in one statement, in no order. */
export function graphTriplesWithNames(db: Db, ids: readonly number[]): Promise<TripleWithNames[]> {
  return triplesWithNames(db, ids);
}

/** A name as the graph stores it. */
export const graphName = normalizeGraphName;

export interface TraversalOptions {
  depth: number;
  direction: GraphDirection;
  predicates: readonly string[] | null | undefined;
  /** Most nodes. */
  first: number;
}

/**
 * The neighbourhood of names already known to be nodes: within `depth` hops, at most `first`
 * nodes (the nearest), `truncated` when a limit cut it.
 */
export function graphNeighborhood(
  db: Db,
  scope: GraphScope,
  settings: GraphSettings,
  seeds: readonly string[],
  options: TraversalOptions,
): Promise<Neighborhood> {
  requireWithin('depth', options.depth, 0, settings.maxDepth);
  requireWithin('first', options.first, 1, Number.MAX_SAFE_INTEGER);
  return exploreNeighborhood(
    db,
    scope,
    seeds,
    { direction: options.direction, predicates: storedPredicates(options.predicates) },
    { depth: options.depth, maxNodes: options.first, fanOut: settings.maxFanOut },
  );
}

/** A shortest path between two nodes, at most `maxDepth` hops, or null. */
export function graphPath(
  db: Db,
  scope: GraphScope,
  settings: GraphSettings,
  from: string,
  to: string,
  options: { maxDepth: number; direction: GraphDirection; predicates: readonly string[] | null | undefined },
): Promise<FoundPath | null> {
  requireWithin('maxDepth', options.maxDepth, 0, MAX_PATH_DEPTH);
  return shortestPath(
    db,
    scope,
    from,
    to,
    { direction: options.direction, predicates: storedPredicates(options.predicates) },
    { maxDepth: options.maxDepth, fanOut: settings.maxFanOut },
  );
}

/** The Prisma `where` of a node's triples: the entity's, at the scope's moment, touching the name. */
export function nodeTriplesWhere(
  scope: GraphScope,
  name: string,
  direction: GraphDirection,
): Prisma.TripleWhereInput {
  const out: Prisma.TripleWhereInput = { subject: { name } };
  const into: Prisma.TripleWhereInput = { object: { name } };
  return {
    AND: [
      { entityId: scope.entityId },
      triplesWhere({ asOf: scope.asOf }),
      direction === 'OUT' ? out : direction === 'IN' ? into : { OR: [out, into] },
    ],
  };
}
