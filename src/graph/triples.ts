import type { Db } from '../db/client.ts';
import type { Prisma, TripleObject, TriplePredicate, TripleSubject } from '../db/generated/client.ts';
import { tableSql } from '../db/tables.ts';
import { inList, toNumber } from './sql.ts';

/** A triple row with its subject, predicate and object rows, as Prisma's `include` gives it. */
export type TripleWithNames = Prisma.TripleGetPayload<{
  include: { subject: true; predicate: true; object: true };
}>;

interface Row {
  id: unknown;
  entity_id: unknown;
  subject_id: unknown;
  predicate_id: unknown;
  object_id: unknown;
  mention_count: unknown;
  last_mentioned_at: unknown;
  valid_from: unknown;
  valid_to: unknown;
  created_at: unknown;
  s_name: string;
  s_type: string | null;
  p_name: string;
  o_name: string;
  o_type: string | null;
}

const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(value as string | number));

/**
 * The triples with these ids and their three names, in one statement (Prisma's `include` of the
 * three relations takes four, each with its own CPU cost in the server). In no particular order.
 */
export async function triplesWithNames(db: Db, ids: readonly number[]): Promise<TripleWithNames[]> {
  if (ids.length === 0) return [];
  const rows = await db.$queryRaw<Row[]>`SELECT kg.id AS id, kg.entity_id AS entity_id,
      kg.subject_id AS subject_id, kg.predicate_id AS predicate_id, kg.object_id AS object_id,
      kg.mention_count AS mention_count, kg.last_mentioned_at AS last_mentioned_at,
      kg.valid_from AS valid_from, kg.valid_to AS valid_to, kg.created_at AS created_at,
      s.name AS s_name, s.type AS s_type, p.name AS p_name, o.name AS o_name, o.type AS o_type
    FROM ${tableSql('Triple')} kg
    JOIN ${tableSql('TripleSubject')} s ON s.id = kg.subject_id
    JOIN ${tableSql('TriplePredicate')} p ON p.id = kg.predicate_id
    JOIN ${tableSql('TripleObject')} o ON o.id = kg.object_id
    WHERE kg.id IN (${inList([...new Set(ids)])})`;
  return rows.map((row) => {
    const subject: TripleSubject = { id: toNumber(row.subject_id), name: row.s_name, type: row.s_type };
    const predicate: TriplePredicate = { id: toNumber(row.predicate_id), name: row.p_name };
    const object: TripleObject = { id: toNumber(row.object_id), name: row.o_name, type: row.o_type };
    return {
      id: toNumber(row.id),
      entityId: toNumber(row.entity_id),
      subjectId: subject.id,
      predicateId: predicate.id,
      objectId: object.id,
      mentionCount: toNumber(row.mention_count),
      lastMentionedAt: toDate(row.last_mentioned_at),
      validFrom: toDate(row.valid_from),
      validTo: row.valid_to === null || row.valid_to === undefined ? null : toDate(row.valid_to),
      createdAt: toDate(row.created_at),
      subject,
      predicate,
      object,
    };
  });
}
