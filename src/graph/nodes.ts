import type { Db } from '../db/client.ts';
import { Prisma } from '../db/generated/client.ts';
import { escapeLike } from '../db/like.ts';
import { tableSql } from '../db/tables.ts';
import { byName, type GraphScope, inList, likeEscape, scopeSql, toNumber } from './sql.ts';

/** A name of the graph with what the entity's triples say about it. */
export interface NodeInfo {
  name: string;
  /** The name's type as a subject, else as an object; null when neither has one. */
  type: string | null;
  /** The entity's triples (at the scope's moment) with the name as subject or object. */
  degree: number;
}

/** How a node list is ordered: most connected first, or by name (code point order). */
export type NodeOrder = 'DEGREE' | 'NAME';

export interface NodeListOptions {
  order: NodeOrder;
  /** Only names containing this text, case-insensitively and literally; null for all. */
  search: string | null;
  offset: number;
  limit: number;
}

interface InfoRow {
  name: string;
  stype: string | null;
  otype: string | null;
  degree: number | bigint | string;
}

/**
 * Each name's triples counted per side: grouped by subject and object id first (the entity's
 * triples by index), then named, so each name row is read once per side.
 */
function degreesSql(scope: GraphScope): Prisma.Sql {
  return Prisma.sql`SELECT s.name AS name, s.type AS stype, NULL AS otype, c.n AS n
      FROM (SELECT kg.subject_id AS id, COUNT(*) AS n FROM ${tableSql('Triple')} kg
        WHERE ${scopeSql('kg', scope)} GROUP BY kg.subject_id) c
      JOIN ${tableSql('TripleSubject')} s ON s.id = c.id
    UNION ALL
    SELECT o.name AS name, NULL AS stype, o.type AS otype, c.n AS n
      FROM (SELECT kg.object_id AS id, COUNT(*) AS n FROM ${tableSql('Triple')} kg
        WHERE ${scopeSql('kg', scope)} GROUP BY kg.object_id) c
      JOIN ${tableSql('TripleObject')} o ON o.id = c.id`;
}

function searchSql(db: Db, search: string | null, keyword: 'WHERE' | 'AND' = 'WHERE'): Prisma.Sql {
  if (search === null) return Prisma.empty;
  const pattern = `%${escapeLike(search.toLowerCase())}%`;
  return Prisma.sql` ${Prisma.raw(keyword)} LOWER(d.name) LIKE ${pattern}${likeEscape(db)}`;
}

/**
 * The current graph's names from the stored degrees (src/graph/degrees.ts), aliased `d`: a row
 * per name with a current triple, filtered by `where` (after the entity and the degree).
 */
function storedSql(scope: GraphScope, where: Prisma.Sql = Prisma.empty): Prisma.Sql {
  return Prisma.sql`SELECT d.name AS name, d.degree AS degree, d.out_degree AS out_degree
    FROM ${tableSql('GraphDegree')} d WHERE d.entity_id = ${scope.entityId} AND d.degree > 0${where}`;
}

/**
 * Type and degree of stored rows aliased `p` (name, degree, out_degree): a name's subject type
 * counts when it is a subject of a current triple, its object type when it is an object of one.
 */
const storedInfoSql = Prisma.sql`SELECT p.name AS name,
    CASE WHEN p.out_degree > 0 THEN s.type END AS stype,
    CASE WHEN p.degree > p.out_degree THEN o.type END AS otype, p.degree AS degree`;

function storedNamesJoin(): Prisma.Sql {
  return Prisma.sql`LEFT JOIN ${tableSql('TripleSubject')} s ON s.name = p.name
    LEFT JOIN ${tableSql('TripleObject')} o ON o.name = p.name`;
}

function toInfo(row: InfoRow): NodeInfo {
  return { name: row.name, type: row.stype ?? row.otype ?? null, degree: toNumber(row.degree) };
}

/** One page of the graph's names with their degrees. */
export async function listNodes(db: Db, scope: GraphScope, options: NodeListOptions): Promise<NodeInfo[]> {
  if (options.limit <= 0) return [];
  if (scope.asOf === null) {
    const order = (alias: string) =>
      options.order === 'DEGREE'
        ? Prisma.sql`${Prisma.raw(alias)}.degree DESC, ${byName(db, `${alias}.name`)} ASC`
        : Prisma.sql`${byName(db, `${alias}.name`)} ASC`;
    // The page first (by the (entity, degree) index for hubs), then the types of its names only.
    const rows = await db.$queryRaw<InfoRow[]>`${storedInfoSql}
      FROM (${storedSql(scope, searchSql(db, options.search, 'AND'))}
        ORDER BY ${order('d')} LIMIT ${options.limit} OFFSET ${options.offset}) p
      ${storedNamesJoin()} ORDER BY ${order('p')}`;
    return rows.map(toInfo);
  }
  const name = byName(db, 'd.name');
  const order = options.order === 'DEGREE' ? Prisma.sql`SUM(d.n) DESC, ${name} ASC` : Prisma.sql`${name} ASC`;
  const rows = await db.$queryRaw<InfoRow[]>`SELECT d.name AS name, MAX(d.stype) AS stype,
      MAX(d.otype) AS otype, SUM(d.n) AS degree
    FROM (${degreesSql(scope)}) d ${searchSql(db, options.search)}
    GROUP BY d.name ORDER BY ${order} LIMIT ${options.limit} OFFSET ${options.offset}`;
  return rows.map(toInfo);
}

/** How many names the graph has (containing `search`, when given). */
export async function countNodes(db: Db, scope: GraphScope, search: string | null): Promise<number> {
  if (scope.asOf === null) {
    const [stored] = await db.$queryRaw<{ n: number | bigint }[]>`SELECT COUNT(*) AS n
      FROM (${storedSql(scope, searchSql(db, search, 'AND'))}) c`;
    return toNumber(stored?.n);
  }
  const [row] = await db.$queryRaw<{ n: number | bigint }[]>`SELECT COUNT(DISTINCT d.name) AS n
    FROM (${degreesSql(scope)}) d ${searchSql(db, search)}`;
  return toNumber(row?.n);
}

/**
 * The triples of the name row aliased `side` (TripleSubject `s` or TripleObject `o`), counted by
 * index, one name at a time: a correlated count gives every provider a probe per name, where a
 * join let PostgreSQL's generic plan (after five runs of a prepared statement) hash the entity's
 * whole graph.
 */
function sideCountSql(side: 's' | 'o', scope: GraphScope): Prisma.Sql {
  const column = Prisma.raw(side === 's' ? 'kg.subject_id' : 'kg.object_id');
  return Prisma.sql`(SELECT COUNT(*) FROM ${tableSql('Triple')} kg
    WHERE ${column} = ${Prisma.raw(side)}.id AND ${scopeSql('kg', scope)})`;
}

/** The names among `names` that are nodes of the graph, with their type and degree, in one statement. */
export async function nodeInfo(
  db: Db,
  scope: GraphScope,
  names: readonly string[],
): Promise<Map<string, NodeInfo>> {
  const found = new Map<string, NodeInfo>();
  if (names.length === 0) return found;
  const list = inList([...new Set(names)]);
  if (scope.asOf === null) {
    const stored = await db.$queryRaw<InfoRow[]>`${storedInfoSql}
      FROM (${storedSql(scope, Prisma.sql` AND d.name IN (${list})`)}) p ${storedNamesJoin()}`;
    for (const row of stored) found.set(row.name, toInfo(row));
    return found;
  }
  const counted = await db.$queryRaw<InfoRow[]>`SELECT s.name AS name, s.type AS stype, NULL AS otype,
      ${sideCountSql('s', scope)} AS degree
    FROM ${tableSql('TripleSubject')} s WHERE s.name IN (${list})
    UNION ALL
    SELECT o.name AS name, NULL AS stype, o.type AS otype, ${sideCountSql('o', scope)} AS degree
    FROM ${tableSql('TripleObject')} o WHERE o.name IN (${list})`;
  // A name row without triples in this graph (another entity's, or superseded) is no side of a node.
  const rows = counted.filter((row) => toNumber(row.degree) > 0);
  // A name used as both subject and object comes back twice: its subject type wins.
  const sides = new Map<string, InfoRow>();
  for (const row of rows) {
    const seen = sides.get(row.name);
    sides.set(
      row.name,
      seen
        ? {
            name: row.name,
            stype: seen.stype ?? row.stype,
            otype: seen.otype ?? row.otype,
            degree: toNumber(seen.degree) + toNumber(row.degree),
          }
        : row,
    );
  }
  for (const [name, row] of sides) found.set(name, toInfo(row));
  return found;
}

/**
 * The names among `names` that are nodes of the graph, in one statement: a probe per name and
 * side that stops at the first triple (a hub's degree is not counted).
 */
export async function existingNodes(
  db: Db,
  scope: GraphScope,
  names: readonly string[],
): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const list = inList([...new Set(names)]);
  if (scope.asOf === null) {
    const stored = await db.$queryRaw<{ name: string }[]>`SELECT c.name AS name
      FROM (${storedSql(scope, Prisma.sql` AND d.name IN (${list})`)}) c`;
    return new Set(stored.map((row) => row.name));
  }
  const probe = (side: 's' | 'o') => {
    const column = Prisma.raw(side === 's' ? 'kg.subject_id' : 'kg.object_id');
    return Prisma.sql`EXISTS (SELECT 1 FROM ${tableSql('Triple')} kg
      WHERE ${column} = ${Prisma.raw(side)}.id AND ${scopeSql('kg', scope)})`;
  };
  const rows = await db.$queryRaw<
    { name: string }[]
  >`SELECT s.name AS name FROM ${tableSql('TripleSubject')} s
      WHERE s.name IN (${list}) AND ${probe('s')}
    UNION ALL
    SELECT o.name AS name FROM ${tableSql('TripleObject')} o WHERE o.name IN (${list}) AND ${probe('o')}`;
  return new Set(rows.map((row) => row.name));
}
