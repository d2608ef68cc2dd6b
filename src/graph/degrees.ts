/**
 * The stored degrees of an entity's graph (`graph_degree`): for each name, how many of the
 * entity's current triples have it as subject or object, and how many as subject. Every write of
 * a triple changes them in its own transaction (a triple that starts or stops holding now moves its
 * two ends by one), so reads of the current graph look a name's degree up instead of counting a
 * hub's thousands of triples; reads as of an earlier moment still count (src/graph/nodes.ts).
 */
import { clientProvider, type Tx } from '../db/client.ts';
import { Prisma } from '../db/generated/client.ts';
import { tableSql } from '../db/tables.ts';

/** A triple that started (+1) or stopped (-1) holding now, by the names at its two ends. */
export interface DegreeChange {
  subject: string;
  object: string;
  delta: 1 | -1;
}

/** Sums the changes per name: `[degree change, out-degree change]`, names in code point order. */
function netChanges(changes: readonly DegreeChange[]): [string, number, number][] {
  const sums = new Map<string, [number, number]>();
  const add = (name: string, delta: number, out: number) => {
    const [d, o] = sums.get(name) ?? [0, 0];
    sums.set(name, [d + delta, o + out]);
  };
  for (const change of changes) {
    add(change.subject, change.delta, change.delta);
    add(change.object, change.delta, 0);
  }
  return [...sums]
    .filter(([, [degree, out]]) => degree !== 0 || out !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, [degree, out]]) => [name, degree, out]);
}

/**
 * Applies these changes to the entity's degrees, in one statement inside the caller's
 * transaction. The rows are written from values (no read of other tables, so MariaDB takes no
 * shared locks on the names) in name order, so two writers of one entity's triples take the degree
 * rows' locks in the same order and wait for each other instead of deadlocking.
 */
export async function adjustDegrees(
  db: Tx,
  entityId: number,
  changes: readonly DegreeChange[],
): Promise<void> {
  const net = netChanges(changes);
  if (net.length === 0) return;
  const rows = Prisma.join(
    net.map(([name, degree, out]) => Prisma.sql`(${entityId}, ${name}, ${degree}, ${out})`),
  );
  const table = tableSql('GraphDegree');
  await db.$executeRaw(
    clientProvider(db) === 'mysql'
      ? Prisma.sql`INSERT INTO ${table} (entity_id, name, degree, out_degree) VALUES ${rows}
          ON DUPLICATE KEY UPDATE degree = degree + VALUES(degree), out_degree = out_degree + VALUES(out_degree)`
      : Prisma.sql`INSERT INTO ${table} (entity_id, name, degree, out_degree) VALUES ${rows}
          ON CONFLICT (entity_id, name) DO UPDATE SET degree = ${table}.degree + excluded.degree,
            out_degree = ${table}.out_degree + excluded.out_degree`,
  );
  // A name left with no current triple keeps no row: a forgotten triple's names leave nothing here
  // (found by the (entity, degree) index).
  if (net.some(([, degree]) => degree < 0))
    await db.$executeRaw`DELETE FROM ${table} WHERE entity_id = ${entityId} AND degree <= 0`;
}

/**
 * Counts the entity's degrees again from its triples, replacing what was stored: after writes
 * that bypass {@link adjustDegrees} (an import) and to repair.
 */
export async function recountDegrees(db: Tx, entityId: number): Promise<void> {
  const table = tableSql('GraphDegree');
  await db.$executeRaw`DELETE FROM ${table} WHERE entity_id = ${entityId}`;
  await db.$executeRaw`INSERT INTO ${table} (entity_id, name, degree, out_degree)
    SELECT ${entityId} + 0, d.name, SUM(d.n), SUM(d.o) FROM (
      SELECT s.name AS name, COUNT(*) AS n, COUNT(*) AS o
      FROM ${tableSql('Triple')} kg JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
      WHERE kg.entity_id = ${entityId} AND kg.valid_to IS NULL GROUP BY s.name
      UNION ALL
      SELECT o.name AS name, COUNT(*) AS n, 0 AS o
      FROM ${tableSql('Triple')} kg JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id
      WHERE kg.entity_id = ${entityId} AND kg.valid_to IS NULL GROUP BY o.name
    ) d GROUP BY d.name`;
}

/** Each name's stored degree, for checks: `name → [degree, outDegree]`, rows at 0 left out. */
export async function storedDegrees(db: Tx, entityId: number): Promise<Map<string, [number, number]>> {
  const rows = await db.graphDegree.findMany({
    where: { entityId, degree: { gt: 0 } },
    select: { name: true, degree: true, outDegree: true },
  });
  return new Map(rows.map((row) => [row.name, [row.degree, row.outDegree]]));
}
