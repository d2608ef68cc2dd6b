import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sqlitePath } from './client.ts';

/** Where committed migrations live, one folder per provider. */
export const MIGRATIONS_ROOT = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

export interface Migration {
  name: string;
  sql: string;
  /** sha256 of migration.sql, as Prisma computes it. */
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Reads `<root>/<provider>/<name>/migration.sql` in name order. */
export function readMigrations(provider: string, root = MIGRATIONS_ROOT): Migration[] {
  const dir = join(root, provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

// The same bookkeeping table the Prisma CLI keeps, so `prisma migrate deploy`
// can take over on a machine that has the native engine.
const BOOKKEEPING_SQLITE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: string | null;
  rolled_back_at: string | null;
}

/**
 * Applies pending migrations to a SQLite database, each in its own transaction.
 * Safe to run from several processes at once: the write lock is taken before reading the bookkeeping.
 */
export function migrateSqlite(
  url: string,
  options: { migrations?: Migration[]; log?: (message: string) => void } = {},
): MigrateResult {
  const migrations = options.migrations ?? readMigrations('sqlite');
  const path = sqlitePath(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 15_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.exec(BOOKKEEPING_SQLITE);
    const applied: string[] = [];
    let alreadyApplied = 0;
    for (const migration of migrations) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const rows = db
          .prepare(
            'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations WHERE migration_name = ?',
          )
          .all(migration.name) as AppliedRow[];
        const live = rows.filter((row) => row.rolled_back_at === null);
        const failed = live.find((row) => row.finished_at === null);
        if (failed) {
          throw new MigrationError(
            `migration ${migration.name} failed earlier and was not rolled back; fix the database and mark it rolled back`,
          );
        }
        const done = live.find((row) => row.finished_at !== null);
        if (done) {
          if (done.checksum !== migration.checksum) {
            options.log?.(`migration ${migration.name} was modified after it was applied (checksum differs)`);
          }
          alreadyApplied += 1;
          db.exec('COMMIT');
          continue;
        }
        const id = randomUUID();
        const startedAt = new Date().toISOString();
        db.exec(migration.sql);
        db.prepare(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
           VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
        ).run(id, migration.checksum, new Date().toISOString(), migration.name, startedAt);
        db.exec('COMMIT');
        applied.push(migration.name);
        options.log?.(`applied migration ${migration.name}`);
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        if (error instanceof MigrationError) throw error;
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
    }
    return { applied, alreadyApplied };
  } finally {
    db.close();
  }
}
