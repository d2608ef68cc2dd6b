import type { Db } from './client.ts';

/**
 * This database's name: `engram_meta.database_id`, written once by the migration that made the
 * table (random, so a new or restored-by-import database gets a new one; a copy of the database
 * keeps it). What Engram keeps outside the database records it, so that it is never taken for
 * another database's: the vector index snapshot (search-index.ts).
 */
export async function databaseId(db: Db): Promise<string | null> {
  const row = await db.engramMeta.findUnique({ where: { key: 'database_id' }, select: { value: true } });
  return row?.value ?? null;
}
