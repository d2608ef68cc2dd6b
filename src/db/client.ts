import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from './generated/client.ts';

export type Db = PrismaClient;

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** `file:` URL of the SQLite database. */
  url: string;
  /** Called with every SQL statement sent to the database (tests count them). */
  onQuery?: (sql: string) => void;
}

/** Turns a `file:` URL into a filesystem path (or `:memory:`). */
export function sqlitePath(url: string): string {
  const path = url.replace(/^file:/, '').split('?')[0] ?? '';
  return path === ':memory:' ? path : resolve(path);
}

/**
 * Opens the embedded SQLite database, creating its folder on first start.
 * WAL lets readers run beside the single writer; foreign keys make deletes cascade.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Db> {
  const path = sqlitePath(options.url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const adapter = new PrismaBetterSqlite3({ url: path, timeout: 5000 });
  const prisma = new PrismaClient({
    adapter,
    log: options.onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    (prisma as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on(
      'query',
      (event) => onQuery(event.query),
    );
  }
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  return prisma;
}
