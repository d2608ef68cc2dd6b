/**
 * `engram graph verify` and `engram graph resync`: compare the Neo4j mirror with the database (the
 * source of truth), and rebuild it from scratch. Both page through every entity's triples in id
 * order on both sides, so memory stays flat whatever the graph's size.
 *
 * Resync may run while servers mirror: it writes every triple with the version of the newest
 * outbox change at its start, so a change the mirror sends meanwhile is either newer (and applies)
 * or older (and, read from the same database state or an earlier one, changes nothing).
 */
import neo4j, { type Driver } from 'neo4j-driver';
import type { Db } from '../db/client.ts';
import { databaseId } from '../db/identity.ts';
import { loadCypher, MIRROR_STATEMENTS, SCHEMA_STATEMENTS } from '../graph/cypher.ts';
import { MIRROR_ID, upsertRow } from './neo4j-mirror.ts';

/** A triple as both sides are compared. */
interface Compared {
  id: number;
  subject: string;
  predicate: string;
  object: string;
  validFrom: number | null;
  validTo: number | null;
}

export interface VerifyReport {
  entities: number;
  triples: number;
  /** Triples in the database that Neo4j lacks (ids). */
  missing: number[];
  /** Relationships in Neo4j with no triple in the database (ids), and entities it holds that the database does not. */
  extra: number[];
  extraEntities: string[];
  /** Triples whose names, predicate or validity differ (ids). */
  stale: number[];
  /** How many of each there are (the lists stop at 1,000 ids). */
  counts: { missing: number; extra: number; stale: number };
}

/** How many ids a report lists per kind; the counts are exact. */
const LISTED = 1000;
/** Rows per page: Prisma's SQLite adapter refuses statements with more than 999 parameters. */
const PAGE = 500;

export type Progress = (done: number, total: number) => void;

interface Target {
  driver: Driver;
  database: string | null;
}

function session(target: Target) {
  return target.driver.session({
    defaultAccessMode: neo4j.session.WRITE,
    ...(target.database ? { database: target.database } : {}),
  });
}

const ms = (value: unknown): number | null => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  const temporal = value as { toStandardDate?: () => Date };
  if (typeof temporal.toStandardDate === 'function') return temporal.toStandardDate().getTime();
  return new Date(value as string).getTime();
};
const toNumber = (value: unknown) =>
  neo4j.isInt(value) ? neo4j.integer.toNumber(value as never) : Number(value);

/** The entities with triples, a page at a time, in id order. */
async function* entities(db: Db): AsyncGenerator<{ id: number; externalId: string }> {
  let after = 0;
  for (;;) {
    const page = await db.entity.findMany({
      where: { id: { gt: after }, triples: { some: {} } },
      select: { id: true, externalId: true },
      orderBy: { id: 'asc' },
      take: PAGE,
    });
    yield* page;
    if (page.length < PAGE) return;
    after = (page[page.length - 1] as { id: number }).id;
  }
}

/** One entity's triples in the database, a page at a time, with what the mirror writes. */
async function* sqlTriples(db: Db, entityId: number) {
  let after = 0;
  for (;;) {
    const page = await db.triple.findMany({
      where: { entityId, id: { gt: after } },
      include: { subject: true, predicate: true, object: true, intervals: { orderBy: { validFrom: 'asc' } } },
      orderBy: { id: 'asc' },
      take: PAGE,
    });
    yield page;
    if (page.length < PAGE) return;
    after = (page[page.length - 1] as { id: number }).id;
  }
}

/** Compares every entity's triples with the mirror's relationships. */
export async function verifyMirror(db: Db, target: Target, progress?: Progress): Promise<VerifyReport> {
  const counts = { missing: 0, extra: 0, stale: 0 };
  const report: VerifyReport = {
    entities: 0,
    triples: 0,
    missing: [],
    extra: [],
    extraEntities: [],
    stale: [],
    counts,
  };
  const note = (kind: 'missing' | 'extra' | 'stale', id: number) => {
    counts[kind] += 1;
    if (report[kind].length < LISTED) report[kind].push(id);
  };
  const total = await db.triple.count();
  const known = new Set<string>();
  let checked = 0;
  const s = session(target);
  try {
    for await (const entity of entities(db)) {
      known.add(entity.externalId);
      report.entities += 1;
      const want = new Map<number, Compared>();
      for await (const page of sqlTriples(db, entity.id)) {
        checked += page.length;
        for (const row of page) {
          want.set(row.id, {
            id: row.id,
            subject: row.subject.name,
            predicate: row.predicate.name,
            object: row.object.name,
            validFrom: ms(row.validFrom),
            validTo: ms(row.validTo),
          });
        }
      }
      let afterId = 0;
      for (;;) {
        const result = await s.executeRead((tx) =>
          tx.run(loadCypher(MIRROR_STATEMENTS.listTriples), {
            entity: entity.externalId,
            afterId: neo4j.int(afterId),
            limit: neo4j.int(PAGE),
          }),
        );
        for (const record of result.records) {
          const id = toNumber(record.get('id'));
          afterId = id;
          const expected = want.get(id);
          if (!expected) {
            note('extra', id);
            continue;
          }
          want.delete(id);
          const have: Compared = {
            id,
            subject: record.get('subject'),
            predicate: record.get('predicate'),
            object: record.get('object'),
            validFrom: ms(record.get('validFrom')),
            validTo: ms(record.get('validTo')),
          };
          if (JSON.stringify(have) !== JSON.stringify(expected)) note('stale', id);
        }
        if (result.records.length < PAGE) break;
      }
      for (const id of want.keys()) note('missing', id);
      progress?.(Math.min(checked, total), total);
    }
    // Entities Neo4j holds that the database does not (erased, or never written here).
    let afterEntity = '';
    for (;;) {
      const result = await s.executeRead((tx) =>
        tx.run(loadCypher(MIRROR_STATEMENTS.listEntities), { afterEntity, limit: neo4j.int(PAGE) }),
      );
      for (const record of result.records) {
        afterEntity = record.get('entity');
        if (!known.has(afterEntity) && report.extraEntities.length < LISTED)
          report.extraEntities.push(afterEntity);
      }
      if (result.records.length < PAGE) break;
    }
  } finally {
    await s.close();
  }
  report.triples = checked;
  progress?.(total, total);
  // The lists hold the first ids of each kind; the counts say how many there are in all.
  return report;
}

/**
 * Rebuilds the mirror from the database: removes every entity Neo4j holds, writes every triple,
 * and sets the position to the newest outbox change at the start, naming this database as the
 * one mirrored (a mirror of another database is taken over). Returns the triples written.
 */
export async function resyncMirror(
  db: Db,
  target: Target,
  options: { batchSize: number },
  progress?: Progress,
): Promise<{ entities: number; triples: number; erased: number }> {
  const newest = await db.graphChange.aggregate({ _max: { id: true } });
  const version = newest._max.id ?? 0;
  const total = await db.triple.count();
  const s = session(target);
  let written = 0;
  let entityCount = 0;
  let erased = 0;
  try {
    for (const name of SCHEMA_STATEMENTS) await s.run(loadCypher(name));
    // Everything Neo4j holds goes first: entities erased from the database included.
    for (;;) {
      const result = await s.executeRead((tx) =>
        tx.run(loadCypher(MIRROR_STATEMENTS.listEntities), { afterEntity: '', limit: neo4j.int(PAGE) }),
      );
      if (result.records.length === 0) break;
      for (const record of result.records) {
        const entity = record.get('entity') as string;
        for (;;) {
          const deleted = await s.executeWrite(async (tx) => {
            const r = await tx.run(loadCypher(MIRROR_STATEMENTS.eraseEntity), {
              entity,
              batch: neo4j.int(1000),
            });
            return toNumber(r.records[0]?.get('deleted') ?? 0);
          });
          if (deleted === 0) break;
        }
        erased += 1;
      }
    }
    for await (const entity of entities(db)) {
      entityCount += 1;
      for await (const page of sqlTriples(db, entity.id)) {
        for (let i = 0; i < page.length; i += options.batchSize) {
          const rows = page
            .slice(i, i + options.batchSize)
            .map((row) => upsertRow(row, entity.externalId, version));
          await s.executeWrite((tx) => tx.run(loadCypher(MIRROR_STATEMENTS.upsertTriples), { rows }));
          written += rows.length;
          progress?.(written, total);
        }
      }
    }
    // The graph is now this database's whole: the position node says so, whatever it held before.
    const database = await databaseId(db);
    await s.executeWrite((tx) =>
      tx.run(loadCypher(MIRROR_STATEMENTS.claimPosition), {
        mirror: MIRROR_ID,
        position: neo4j.int(version),
        database,
      }),
    );
  } finally {
    await s.close();
  }
  progress?.(total, total);
  return { entities: entityCount, triples: written, erased };
}
