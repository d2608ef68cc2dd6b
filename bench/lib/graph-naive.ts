/**
 * The naive baseline of bench/graph: how the graph is walked without Engram's traversal, the way
 * the issue names it (one query per hop, one direction of search):
 *
 * - each hop is one statement over the whole frontier: the triples whose subject is in it, UNION
 *   ALL those whose object is (two index walks on every database, the indexes Engram uses; an
 *   `s.name IN (...) OR o.name IN (...)` join was measured too and scans the whole table on SQLite
 *   and PostgreSQL, about 1 s a hop: too weak a baseline to compare with), with no fan-out cap and
 *   no bound on the frontier (every name a level reaches is expanded at the next);
 * - a neighbourhood walks every level in full, then keeps the nearest `first` names (nearest, then
 *   by name: the same rule as Engram's, so untruncated answers can be compared);
 * - a path is searched from its start only (no search from the far end), level by level until the
 *   target shows up or `maxDepth` hops are spent.
 *
 * It runs in the benchmark's process on the same Prisma client type Engram uses, so it pays no
 * HTTP or GraphQL: the figures it gets are a floor for what a client doing this over the API would see.
 */
import type { Db } from '../../src/db/client.ts';
import { Prisma } from '../../src/db/generated/client.ts';
import { tableSql } from '../../src/db/tables.ts';
import { compareNames } from '../../src/graph/neighborhood.ts';

/** Statements stay under every database's parameter limit (SQLite: 32766). */
const NAMES_PER_STATEMENT = 5000;

interface Row {
  subject: string;
  object: string;
}

/** The entity's current triples touching any of `names`, one statement per 5,000 names. */
async function hop(db: Db, entityId: number, names: readonly string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (let from = 0; from < names.length; from += NAMES_PER_STATEMENT) {
    const list = Prisma.join(names.slice(from, from + NAMES_PER_STATEMENT));
    const found = await db.$queryRaw<Row[]>`SELECT s.name AS subject, o.name AS object
        FROM ${tableSql('Triple')} kg
        JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
        JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id
        WHERE kg.entity_id = ${entityId} AND kg.valid_to IS NULL AND s.name IN (${list})
      UNION ALL
      SELECT s.name AS subject, o.name AS object
        FROM ${tableSql('Triple')} kg
        JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
        JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id
        WHERE kg.entity_id = ${entityId} AND kg.valid_to IS NULL AND o.name IN (${list})`;
    // Not push(...found): a hop from the hubs returns more rows than a call may have arguments.
    for (const row of found) rows.push(row);
  }
  return rows;
}

/** The names within `depth` hops of `start` (both directions), nearest first, at most `first`. */
export async function naiveNeighborhood(
  db: Db,
  entityId: number,
  start: string,
  depth: number,
  first: number,
): Promise<{ names: string[]; edges: number; statements: number }> {
  const distance = new Map([[start, 0]]);
  let frontier = [start];
  let edges = 0;
  let statements = 0;
  for (let level = 1; level <= depth && frontier.length > 0; level += 1) {
    const rows = await hop(db, entityId, frontier);
    statements += Math.ceil(frontier.length / NAMES_PER_STATEMENT);
    edges += rows.length;
    const next: string[] = [];
    for (const row of rows) {
      for (const name of [row.subject, row.object]) {
        if (!distance.has(name)) {
          distance.set(name, level);
          next.push(name);
        }
      }
    }
    frontier = next;
  }
  const names = [...distance]
    .sort((a, b) => a[1] - b[1] || compareNames(a[0], b[0]))
    .slice(0, first)
    .map(([name]) => name);
  return { names, edges, statements };
}

/** The length of a shortest path from `from` to `to` within `maxDepth` hops, or null. */
export async function naivePathLength(
  db: Db,
  entityId: number,
  from: string,
  to: string,
  maxDepth: number,
): Promise<{ length: number | null; statements: number }> {
  if (from === to) return { length: 0, statements: 0 };
  const seen = new Set([from]);
  let frontier = [from];
  let statements = 0;
  for (let level = 1; level <= maxDepth && frontier.length > 0; level += 1) {
    const rows = await hop(db, entityId, frontier);
    statements += Math.ceil(frontier.length / NAMES_PER_STATEMENT);
    const next: string[] = [];
    for (const row of rows) {
      for (const name of [row.subject, row.object]) {
        if (name === to) return { length: level, statements };
        if (!seen.has(name)) {
          seen.add(name);
          next.push(name);
        }
      }
    }
    frontier = next;
  }
  return { length: null, statements };
}
