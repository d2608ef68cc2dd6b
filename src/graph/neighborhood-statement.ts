/**
 * A neighbourhood of the current graph in one statement, on PostgreSQL: the same levels as
 * {@link exploreNeighborhood}'s loop (src/graph/neighborhood.ts), written as one CTE per level,
 * with the kept names' degrees and types and the kept triples with their names in the same
 * answer. Each statement costs a round trip and a wake-up of the database on these machines, and a
 * neighbourhood with its degrees and triples took five; this takes one.
 */
import type { Db } from '../db/client.ts';
import { Prisma } from '../db/generated/client.ts';
import { tableSql } from '../db/tables.ts';
import type { Neighborhood, NeighborhoodLimits } from './neighborhood.ts';
import type { NodeInfo } from './nodes.ts';
import { type EdgeFilter, type GraphScope, inList, toNumber } from './sql.ts';
import type { TripleWithNames } from './triples.ts';

/** A neighbourhood with what the GraphQL layer would otherwise read in statements of their own. */
export interface ReadNeighborhood extends Neighborhood {
  /** Type and degree of each kept name that is a node. */
  infos: Map<string, NodeInfo>;
  /** The triples of `edges`, with their names, in the same order. */
  triples: TripleWithNames[];
}

type NodeRow = [
  name: string,
  dist: number,
  degree: number | null,
  stype: string | null,
  otype: string | null,
];
type TripleRow = [
  id: number,
  entityId: number,
  subjectId: number,
  predicateId: number,
  objectId: number,
  mentionCount: number,
  lastMentionedAt: number,
  validFrom: number,
  validTo: number | null,
  createdAt: number,
  subject: string,
  subjectType: string | null,
  predicate: string,
  object: string,
  objectType: string | null,
];

const C = Prisma.raw('COLLATE "C"');
const epochMs = (column: string) => Prisma.raw(`ROUND(EXTRACT(EPOCH FROM ${column}) * 1000)::bigint`);

/** One direction of level `level`: the triples leaving the previous level's new names. */
function wayFrom(way: 'OUT' | 'IN', level: number, scope: GraphScope, filter: EdgeFilter, fanOut: number) {
  const from = Prisma.raw(way === 'OUT' ? 's.name' : 'o.name');
  const other = Prisma.raw(way === 'OUT' ? 'o.name' : 's.name');
  const predicates = filter.predicates
    ? Prisma.sql` AND p.name IN (${inList(filter.predicates)})`
    : Prisma.empty;
  return Prisma.sql`SELECT * FROM (SELECT kg.id AS id, s.name AS subject, p.name AS predicate,
      o.name AS object, ${Prisma.raw(way === 'OUT' ? '0' : '1')} AS way, ${other} AS other
    FROM ${tableSql('Triple')} kg
    JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
    JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id
    JOIN ${tableSql('TriplePredicate')} p ON p.id = kg.predicate_id
    WHERE ${from} IN (SELECT name FROM ${Prisma.raw(`k${level - 1}`)} WHERE dist = ${Prisma.raw(String(level - 1))})
      AND kg.entity_id = ${scope.entityId} AND kg.valid_to IS NULL${predicates}
    LIMIT ${fanOut + 1}) ${Prisma.raw(`${way.toLowerCase()}${level}`)}`;
}

/**
 * Level `level` as CTEs: `e` the edges read (at most `fanOut` + 1 per direction), `r` them ranked
 * (is the far end kept already; the first `fanOut` per direction count), `a` the smallest new names
 * (one more than there is room for, to tell a cut), `k` the names kept so far with their distance,
 * `x` the edges to kept names, `c` whether a limit cut this level.
 */
function levelSql(level: number, scope: GraphScope, filter: EdgeFilter, limits: NeighborhoodLimits) {
  const ways: ('OUT' | 'IN')[] = filter.direction === 'BOTH' ? ['OUT', 'IN'] : [filter.direction];
  const name = (prefix: string, at = level) => Prisma.raw(`${prefix}${at}`);
  const room = Prisma.sql`GREATEST(${limits.maxNodes} - (SELECT COUNT(*) FROM ${name('k', level - 1)}), 0)`;
  return Prisma.sql`${name('e')} AS (${Prisma.join(
    ways.map((way) => wayFrom(way, level, scope, filter, limits.fanOut)),
    ' UNION ALL ',
  )}),
  ${name('r')} AS (SELECT e.id, e.subject, e.predicate, e.object, e.other,
      CASE WHEN e.other IN (SELECT name FROM ${name('k', level - 1)}) THEN 1 ELSE 0 END AS kept,
      COUNT(*) OVER (PARTITION BY e.way) AS n, ROW_NUMBER() OVER (PARTITION BY e.way) AS rn
    FROM ${name('e')} e),
  ${name('a')} AS (SELECT d.name FROM (SELECT DISTINCT r.other AS name FROM ${name('r')} r
      WHERE r.rn <= ${limits.fanOut} AND r.kept = 0) d ORDER BY d.name ${C} LIMIT ${room} + 1),
  ${name('k')} AS (SELECT name, dist FROM ${name('k', level - 1)}
    UNION ALL SELECT b.name, ${Prisma.raw(String(level))} FROM (SELECT name FROM ${name('a')} ORDER BY name ${C} LIMIT ${room}) b),
  ${name('x')} AS (SELECT r.id, r.subject, r.predicate, r.object FROM ${name('r')} r
    WHERE r.rn <= ${limits.fanOut} AND r.other IN (SELECT name FROM ${name('k')})),
  ${name('c')} AS (SELECT COALESCE(MAX(r.n), 0) > ${limits.fanOut}
      OR (SELECT COUNT(*) FROM ${name('a')}) > ${room} AS cut FROM ${name('r')} r)`;
}

/**
 * The neighbourhood of `seeds` (already sorted and at most `maxNodes`), as exploreNeighborhood
 * answers it for the current graph (nodes in no order; at most `maxEdges` edges, in order), with the kept names' degrees and types and the kept triples.
 * PostgreSQL only (window functions over a level, `COLLATE "C"`, `LIMIT` by a subquery).
 */
export async function neighborhoodInOneStatement(
  db: Db,
  scope: GraphScope,
  seeds: readonly string[],
  filter: EdgeFilter,
  limits: NeighborhoodLimits,
  maxEdges: number,
): Promise<ReadNeighborhood> {
  const depth = limits.depth;
  const levels = Array.from({ length: depth }, (_, i) => levelSql(i + 1, scope, filter, limits));
  const seedRows = Prisma.join(
    seeds.map((seed) => Prisma.sql`SELECT CAST(${seed} AS TEXT) AS name, 0 AS dist`),
    ' UNION ALL ',
  );
  const kept = Prisma.raw(`k${depth}`);
  const edges =
    depth === 0
      ? Prisma.sql`SELECT NULL::int AS id, NULL::text AS subject, NULL::text AS predicate, NULL::text AS object WHERE false`
      : Prisma.join(
          Array.from({ length: depth }, (_, i) => Prisma.sql`SELECT * FROM ${Prisma.raw(`x${i + 1}`)}`),
          ' UNION ',
        );
  const cut =
    depth === 0
      ? Prisma.sql`false`
      : Prisma.join(
          Array.from({ length: depth }, (_, i) => Prisma.sql`(SELECT cut FROM ${Prisma.raw(`c${i + 1}`)})`),
          ' OR ',
        );
  const order = Prisma.sql`near, far, subject ${C}, predicate ${C}, object ${C}`;
  const rows = await db.$queryRaw<
    { nodes: NodeRow[] | null; triples: TripleRow[] | null; cut: boolean; over: boolean }[]
  >`
    WITH k0 AS (${seedRows})${depth > 0 ? Prisma.sql`, ${Prisma.join(levels, ', ')}` : Prisma.empty},
    placed AS (SELECT u.id, u.subject, u.predicate, u.object,
        LEAST(ds.dist, dt.dist) AS near, GREATEST(ds.dist, dt.dist) AS far
      FROM (SELECT DISTINCT * FROM (${edges}) v) u JOIN ${kept} ds ON ds.name = u.subject JOIN ${kept} dt ON dt.name = u.object),
    ranked AS (SELECT * FROM placed ORDER BY ${order} LIMIT ${maxEdges + 1}),
    shown AS (SELECT * FROM ranked ORDER BY ${order} LIMIT ${maxEdges})
    SELECT
      (SELECT json_agg(json_build_array(n.name, n.dist, g.degree,
          CASE WHEN g.out_degree > 0 THEN s.type END, CASE WHEN g.degree > g.out_degree THEN o.type END))
        FROM ${kept} n
        LEFT JOIN ${tableSql('GraphDegree')} g ON g.entity_id = ${scope.entityId} AND g.name = n.name AND g.degree > 0
        LEFT JOIN ${tableSql('TripleSubject')} s ON s.name = n.name
        LEFT JOIN ${tableSql('TripleObject')} o ON o.name = n.name) AS nodes,
      (SELECT json_agg(json_build_array(kg.id, kg.entity_id, kg.subject_id, kg.predicate_id, kg.object_id,
          kg.mention_count, ${epochMs('kg.last_mentioned_at')}, ${epochMs('kg.valid_from')},
          ${epochMs('kg.valid_to')}, ${epochMs('kg.created_at')}, s.name, s.type, p.name, o.name, o.type)
          ORDER BY w.near, w.far, w.subject ${C}, w.predicate ${C}, w.object ${C})
        FROM shown w JOIN ${tableSql('Triple')} kg ON kg.id = w.id
        JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
        JOIN ${tableSql('TriplePredicate')} p ON p.id = kg.predicate_id
        JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id) AS triples,
      ${cut} AS cut,
      (SELECT COUNT(*) FROM ranked) > ${maxEdges} AS over`;
  const row = rows[0];
  const infos = new Map<string, NodeInfo>();
  const nodes = (row?.nodes ?? []).map(([name, dist, degree, stype, otype]) => {
    if (degree !== null) infos.set(name, { name, type: stype ?? otype ?? null, degree: toNumber(degree) });
    return { name, distance: toNumber(dist) };
  });
  const triples = (row?.triples ?? []).map(toTriple);
  return {
    nodes,
    edges: triples.map((triple) => ({
      id: triple.id,
      subject: triple.subject.name,
      predicate: triple.predicate.name,
      object: triple.object.name,
    })),
    truncated: Boolean(row?.cut) || Boolean(row?.over),
    infos,
    triples,
  };
}

function toTriple(row: TripleRow): TripleWithNames {
  const [id, entityId, subjectId, predicateId, objectId, mentionCount, lastMentionedAt, validFrom] = row;
  const [validTo, createdAt, subject, subjectType, predicate, object, objectType] = row.slice(8) as [
    number | null,
    number,
    string,
    string | null,
    string,
    string,
    string | null,
  ];
  return {
    id,
    entityId,
    subjectId,
    predicateId,
    objectId,
    mentionCount,
    lastMentionedAt: new Date(lastMentionedAt),
    validFrom: new Date(validFrom),
    validTo: validTo === null ? null : new Date(validTo),
    createdAt: new Date(createdAt),
    subject: { id: subjectId, name: subject, type: subjectType },
    predicate: { id: predicateId, name: predicate },
    object: { id: objectId, name: object, type: objectType },
  };
}
