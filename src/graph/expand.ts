import { clientProvider, type Db } from '../db/client.ts';
import { Prisma } from '../db/generated/client.ts';
import { tableSql } from '../db/tables.ts';
import {
  byName,
  type EdgeFilter,
  type GraphEdge,
  type GraphScope,
  inList,
  scopeSql,
  toNumber,
} from './sql.ts';

/** An edge reached from a frontier name, and the name at its other end. */
export interface Step {
  edge: GraphEdge;
  /** The frontier name it was reached from. */
  from: string;
  /** The name at its other end (the same name for a self-loop). */
  to: string;
}

/** One level of a breadth-first walk: the edges found, and whether the fan-out cap cut them. */
export interface Expansion {
  steps: Step[];
  /** More than `fanOut` edges left the frontier in some direction: only `fanOut` of them are here. */
  capped: boolean;
}

interface Row {
  id: number | bigint;
  subject: string;
  predicate: string;
  object: string;
  /** 0: reached as the subject (followed out), 1: as the object (followed in). */
  way: number | bigint;
}

/**
 * The edges one direction from the frontier names: its triples by subject (OUT) or by object
 * (IN), through the (entity_id, subject_id|object_id, valid_to) indexes. At most `limit` rows.
 */
function oneWay(
  way: 'OUT' | 'IN',
  names: readonly string[],
  scope: GraphScope,
  predicates: readonly string[] | null,
  limit: number,
  withOther = false,
): Prisma.Sql {
  const from = way === 'OUT' ? Prisma.sql`s.name` : Prisma.sql`o.name`;
  const predicateFilter = predicates ? Prisma.sql` AND p.name IN (${inList(predicates)})` : Prisma.empty;
  // The name at the far end, for ranking (expandNearest).
  const other = withOther
    ? Prisma.raw(way === 'OUT' ? ', o.name AS other' : ', s.name AS other')
    : Prisma.empty;
  return Prisma.sql`SELECT * FROM (SELECT kg.id AS id, s.name AS subject, p.name AS predicate,
      o.name AS object, ${Prisma.raw(way === 'OUT' ? '0' : '1')} AS way${other}
    FROM ${tableSql('Triple')} kg
    JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
    JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id
    JOIN ${tableSql('TriplePredicate')} p ON p.id = kg.predicate_id
    WHERE ${from} IN (${inList(names)}) AND ${scopeSql('kg', scope)}${predicateFilter}
    LIMIT ${limit}) ${Prisma.raw(way === 'OUT' ? 'outward' : 'inward')}`;
}

/**
 * Most frontier names per statement: padded to 2048 parameters and twice that for both
 * directions, far below SQLite's 32766 (a path search's frontier can reach the fan-out cap).
 */
const NAMES_PER_STATEMENT = 2000;

/**
 * Every edge that leaves the frontier names in the filter's direction, in one statement (both
 * directions are a UNION ALL of two index walks; a frontier above 2,000 names takes one statement
 * per 2,000). Each direction reads at most `fanOut` + 1 rows, so a hub in the frontier costs
 * `fanOut` rows, not its degree; `capped` says when that cut something (which `fanOut` edges are
 * kept is then up to the database).
 */
export async function expandFrontier(
  db: Db,
  scope: GraphScope,
  names: readonly string[],
  filter: EdgeFilter,
  fanOut: number,
): Promise<Expansion> {
  const ways = waysOf(filter);
  const counts = [0, 0];
  const steps: Step[] = [];
  let capped = false;
  for (let from = 0; from < names.length; from += NAMES_PER_STATEMENT) {
    const chunk = names.slice(from, from + NAMES_PER_STATEMENT);
    const open = ways.filter((way) => (counts[way === 'OUT' ? 0 : 1] ?? 0) <= fanOut);
    if (open.length === 0) break;
    const parts = open.map((way) => oneWay(way, chunk, scope, filter.predicates, fanOut + 1));
    const rows = await db.$queryRaw<Row[]>(Prisma.join(parts, ' UNION ALL '));
    for (const row of rows) {
      const way = toNumber(row.way);
      counts[way] = (counts[way] ?? 0) + 1;
      if ((counts[way] ?? 0) > fanOut) {
        capped = true;
        continue;
      }
      steps.push(stepOf(row));
    }
  }
  return { steps, capped };
}

function waysOf(filter: EdgeFilter): ('OUT' | 'IN')[] {
  return filter.direction === 'BOTH' ? ['OUT', 'IN'] : [filter.direction];
}

function stepOf(row: Row): Step {
  const edge: GraphEdge = {
    id: toNumber(row.id),
    subject: row.subject,
    predicate: row.predicate,
    object: row.object,
  };
  return toNumber(row.way) === 0
    ? { edge, from: edge.subject, to: edge.object }
    : { edge, from: edge.object, to: edge.subject };
}

/** What one level of a neighbourhood can keep: the names it has, and room for this many more. */
export interface Keep {
  known: readonly string[];
  room: number;
}

/**
 * One level of a neighbourhood: the edges of {@link expandFrontier} that it can use, ranked in the
 * database so a hub's thousands of edges do not travel. A level keeps at most `room` new names,
 * the smallest by code point, and every edge from the frontier to a kept name; so it needs the
 * edges to names it has, and those to the `room` smallest new names, plus one more new name, which
 * tells that some were left out (the level is `truncated` exactly when expandFrontier's would be).
 * The fan-out cap cuts each direction's edges to `fanOut` before the ranking, as there.
 */
export async function expandNearest(
  db: Db,
  scope: GraphScope,
  names: readonly string[],
  filter: EdgeFilter,
  fanOut: number,
  keep: Keep,
): Promise<Expansion> {
  // Only PostgreSQL gains: SQLite (in process) and MariaDB rank 20,000 rows slower than they hand
  // them over (bench/graph.ts, a hub-heavy level: 110 against 135 ms, 140 against 260 ms).
  if (
    clientProvider(db) !== 'postgresql' ||
    names.length > NAMES_PER_STATEMENT ||
    keep.known.length > NAMES_PER_STATEMENT
  )
    return expandFrontier(db, scope, names, filter, fanOut);
  const parts = waysOf(filter).map((way) => oneWay(way, names, scope, filter.predicates, fanOut + 1, true));
  const rows = await db.$queryRaw<(Row & { n: number | bigint })[]>`SELECT d.id AS id, d.subject AS subject,
      d.predicate AS predicate, d.object AS object, d.way AS way, d.n AS n
    FROM (SELECT c.*, DENSE_RANK() OVER (PARTITION BY c.kept ORDER BY ${byName(db, 'c.other')}) AS r
      FROM (SELECT b.*, CASE WHEN b.other IN (${inList(keep.known)}) THEN 1 ELSE 0 END AS kept,
          COUNT(*) OVER (PARTITION BY b.way) AS n, ROW_NUMBER() OVER (PARTITION BY b.way) AS rn
        FROM (${Prisma.join(parts, ' UNION ALL ')}) b) c
      WHERE c.rn <= ${fanOut}) d
    WHERE d.kept = 1 OR d.r <= ${keep.room + 1}`;
  return { steps: rows.map(stepOf), capped: rows.some((row) => toNumber(row.n) > fanOut) };
}
