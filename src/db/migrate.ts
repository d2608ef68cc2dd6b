import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { mariadbUrl, type Provider, providerFromUrl, sqlitePath } from './client.ts';

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
  finished_at: string | Date | null;
  rolled_back_at: string | Date | null;
}

/**
 * What to do with one migration given its bookkeeping rows: a failed, un-rolled-back attempt
 * blocks everything (as `prisma migrate deploy` does); a finished one is skipped.
 */
function decide(migration: Migration, rows: AppliedRow[], log?: (message: string) => void): 'apply' | 'skip' {
  const live = rows.filter((row) => row.rolled_back_at === null);
  if (live.some((row) => row.finished_at === null)) {
    throw new MigrationError(
      `migration ${migration.name} failed earlier and was not rolled back; fix the database and mark it rolled back`,
    );
  }
  const done = live.find((row) => row.finished_at !== null);
  if (!done) return 'apply';
  if (done.checksum !== migration.checksum) {
    log?.(`migration ${migration.name} was modified after it was applied (checksum differs)`);
  }
  return 'skip';
}

/**
 * Applies pending migrations to a SQLite database, each in its own transaction.
 * Safe to run from several processes at once: the write lock is taken before reading the bookkeeping.
 */
export interface MigrateOptions {
  /** @default the committed migrations of the provider */
  migrations?: Migration[];
  log?: (message: string) => void;
}

export function migrateSqlite(url: string, options: MigrateOptions = {}): MigrateResult {
  const migrations = options.migrations ?? readMigrations('sqlite');
  const path = sqlitePath(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 15_000 });
  try {
    db.pragma('journal_mode = WAL');
    // As on every connection Engram opens (src/db/client.ts): a table rebuilt by a migration
    // leaves no copy of its rows in freed pages.
    db.pragma('secure_delete = ON');
    db.exec(BOOKKEEPING_SQLITE);
    const applied: string[] = [];
    let alreadyApplied = 0;
    // Prisma's SQLite migrations rebuild tables (create, copy, drop, rename): with foreign keys
    // enforced, dropping a parent would cascade-delete its children. The pragma only works
    // outside a transaction; integrity is checked before each commit instead.
    db.pragma('foreign_keys = OFF');
    for (const migration of migrations) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const rows = db
          .prepare(
            'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations WHERE migration_name = ?',
          )
          .all(migration.name) as AppliedRow[];
        if (decide(migration, rows, options.log) === 'skip') {
          alreadyApplied += 1;
          db.exec('COMMIT');
          continue;
        }
        const id = randomUUID();
        const startedAt = new Date().toISOString();
        db.exec(migration.sql);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0)
          throw new Error(`${broken.length} rows violate foreign keys after the migration`);
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

const BOOKKEEPING_POSTGRES = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** The advisory lock key `prisma migrate` takes, so Engram and the Prisma CLI never migrate at once. */
const PRISMA_ADVISORY_LOCK = 72707369;

/** PostgreSQL (and CockroachDB): each migration and its bookkeeping row in one transaction. */
async function migratePostgres(
  url: string,
  provider: 'postgresql' | 'cockroachdb',
  options: MigrateOptions,
): Promise<MigrateResult> {
  const migrations = options.migrations ?? readMigrations(provider);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const applied: string[] = [];
  let alreadyApplied = 0;
  try {
    if (provider === 'postgresql') await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(BOOKKEEPING_POSTGRES);
    for (const migration of migrations) {
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations WHERE migration_name = $1',
        [migration.name],
      );
      if (decide(migration, rows, options.log) === 'skip') {
        alreadyApplied += 1;
        continue;
      }
      const startedAt = new Date();
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, $4, 1)`,
          [randomUUID(), migration.checksum, migration.name, startedAt],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      applied.push(migration.name);
      options.log?.(`applied migration ${migration.name}`);
    }
    return { applied, alreadyApplied };
  } finally {
    await client.end().catch(() => {});
  }
}

const BOOKKEEPING_MYSQL = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;

/**
 * MySQL/MariaDB commit DDL as they go, so a migration cannot be rolled back: its bookkeeping row
 * is written first and finished last, and a failure leaves it unfinished with the error in `logs`,
 * blocking later runs until someone repairs the database (as Prisma does).
 */
async function migrateMysql(url: string, options: MigrateOptions): Promise<MigrateResult> {
  const migrations = options.migrations ?? readMigrations('mysql');
  const mariadb = await import('mariadb');
  const target = new URL(mariadbUrl(url));
  target.searchParams.set('multipleStatements', 'true');
  const connection = await mariadb.createConnection(target.toString());
  const applied: string[] = [];
  let alreadyApplied = 0;
  try {
    const [lock] = (await connection.query("SELECT GET_LOCK('prisma_migrate', 60) AS locked")) as {
      locked: number;
    }[];
    if (Number(lock?.locked) !== 1)
      throw new MigrationError('another process held the migration lock for 60 s');
    await connection.query(BOOKKEEPING_MYSQL);
    for (const migration of migrations) {
      const rows = (await connection.query(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations WHERE migration_name = ?',
        [migration.name],
      )) as AppliedRow[];
      if (decide(migration, rows, options.log) === 'skip') {
        alreadyApplied += 1;
        continue;
      }
      const id = randomUUID();
      await connection.query(
        'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, CURRENT_TIMESTAMP(3), 0)',
        [id, migration.checksum, migration.name],
      );
      try {
        await connection.query(migration.sql);
      } catch (error) {
        await connection.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [
          (error as Error).message,
          id,
        ]);
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
      }
      await connection.query(
        'UPDATE _prisma_migrations SET finished_at = CURRENT_TIMESTAMP(3), applied_steps_count = 1 WHERE id = ?',
        [id],
      );
      applied.push(migration.name);
      options.log?.(`applied migration ${migration.name}`);
    }
    return { applied, alreadyApplied };
  } finally {
    await connection.query("SELECT RELEASE_LOCK('prisma_migrate')").catch(() => {});
    await connection.end().catch(() => {});
  }
}

/** Applies pending migrations to whichever database the URL (or explicit provider) names. */
export async function migrateDatabase(
  url: string,
  options: MigrateOptions & { provider?: Provider } = {},
): Promise<MigrateResult> {
  const provider = options.provider ?? providerFromUrl(url);
  switch (provider) {
    case 'sqlite':
      return migrateSqlite(url, options);
    case 'postgresql':
    case 'cockroachdb':
      return migratePostgres(url, provider, options);
    case 'mysql':
      return migrateMysql(url, options);
    default:
      throw new MigrationError(`DATABASE_URL names no database Engram supports: ${url}`);
  }
}
