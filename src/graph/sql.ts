/**
 * SQL fragments shared by the graph reads: which of an entity's triples form its graph at a
 * moment, and the few spots where the providers differ. Everything a caller gives travels as a
 * parameter of Prisma's tagged templates; only constants (table names, aliases) are raw.
 */
import { clientProvider, type Db } from '../db/client.ts';
import { Prisma } from '../db/generated/client.ts';
import { tableSql } from '../db/tables.ts';

/** Which way edges are followed from a name: out (it is the subject), in (the object), or both. */
export type GraphDirection = 'OUT' | 'IN' | 'BOTH';

/** The graph of one entity as of a moment. */
export interface GraphScope {
  /** The entity's row id. */
  entityId: number;
  /** The moment; null for the triples that hold now. */
  asOf: Date | null;
}

/** Which edges a traversal may follow. */
export interface EdgeFilter {
  direction: GraphDirection;
  /** Stored predicate names; null follows every predicate. */
  predicates: readonly string[] | null;
}

/** A triple as an edge: subject → object, labelled with its predicate. */
export interface GraphEdge {
  id: number;
  subject: string;
  predicate: string;
  object: string;
}

/** The opposite way, for walking back from the far end of a path. */
export function reverse(direction: GraphDirection): GraphDirection {
  return direction === 'OUT' ? 'IN' : direction === 'IN' ? 'OUT' : 'BOTH';
}

/**
 * Whether the triple aliased `row` held at the scope's moment: the open ones now; at `asOf`, its
 * current period or an earlier one (src/services/triple-reads.ts `tripleValidity`, in SQL).
 */
export function validitySql(row: string, asOf: Date | null): Prisma.Sql {
  const r = Prisma.raw(row);
  if (!asOf) return Prisma.sql`${r}.valid_to IS NULL`;
  return Prisma.sql`((${r}.valid_from <= ${asOf} AND (${r}.valid_to IS NULL OR ${r}.valid_to > ${asOf}))
    OR EXISTS (SELECT 1 FROM ${tableSql('TripleInterval')} ti
      WHERE ti.triple_id = ${r}.id AND ti.valid_from <= ${asOf} AND ti.valid_to > ${asOf}))`;
}

/** The entity's triples at the scope's moment, for the triple aliased `row`. */
export function scopeSql(row: string, scope: GraphScope): Prisma.Sql {
  return Prisma.sql`${Prisma.raw(row)}.entity_id = ${scope.entityId} AND ${validitySql(row, scope.asOf)}`;
}

/**
 * A parameter list for `IN (...)`, padded to a power of two by repeating its last value: the
 * statement text then takes one of a few shapes, so PostgreSQL's prepared statements (one per text
 * and connection) stay few whatever the list's length.
 */
export function inList(values: readonly (string | number)[]): Prisma.Sql {
  if (values.length === 0) throw new Error('inList needs at least one value');
  let size = 1;
  while (size < values.length) size *= 2;
  const padded = [...values];
  const last = values[values.length - 1] as string | number;
  while (padded.length < size) padded.push(last);
  return Prisma.join(padded);
}

/** Orders names by code point on every provider (PostgreSQL's database collation may not). */
export function byName(db: Db, column: string): Prisma.Sql {
  const c = Prisma.raw(column);
  return clientProvider(db) === 'postgresql' || clientProvider(db) === 'cockroachdb'
    ? Prisma.sql`${c} COLLATE "C"`
    : c;
}

/**
 * `LIKE` with backslash as its escape character: the default on PostgreSQL and MySQL (where the
 * literal would need doubling), said out loud on SQLite, which has none by default.
 */
export function likeEscape(db: Db): Prisma.Sql {
  return clientProvider(db) === 'sqlite' ? Prisma.sql` ESCAPE '\\'` : Prisma.empty;
}

/** A count or sum from any driver (bigint, numeric string, number). */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}
