/**
 * The PostgreSQL flavour of the read benchmark's database: created if missing, migrated with
 * Engram's own migrations, and filled with exactly the data the SQLite seed generates
 * ({@link generateTables}), written with multi-row `INSERT ... SELECT FROM unnest($1::type[], ...)`
 * (one parameter per column, whatever the number of rows).
 *
 * A finished seed leaves a row in `bench_meta.seed` (a schema of its own, so that neither Engram
 * nor PostGraphile sees it). A database with that row and matching row counts is reused; one
 * with Engram rows but no such row was not seeded by the bench and is never touched.
 */
import pg from 'pg';
import { migrateDatabase } from '../../src/db/migrate.ts';
import {
  countMismatch,
  generateTables,
  logTableDone,
  SEED_VERSION,
  SEEDED_TABLES,
  type SeedSizes,
  type TableCounts,
} from './seed.ts';

export interface PreparedPostgres {
  url: string;
  /** The URL without its password, for logs. */
  label: string;
  counts: TableCounts;
  /** Seconds spent seeding (inserts, indexes, VACUUM ANALYZE), or null when reused. */
  seedSeconds: number | null;
}

/** Rows per INSERT statement: big enough to amortise the round trip, small enough to stay light. */
const ROWS_PER_STATEMENT = 50_000;

/** Tables Engram has that the seed leaves empty; truncated with the others on a rebuild. */
const OTHER_TABLES = ['fact_mention', 'triple_mention'];

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2);

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The URL with its password hidden. */
export function urlLabel(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Creates the database the URL names, through the `postgres` maintenance database, if missing. */
async function ensureDatabase(url: string, log: (line: string) => void): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!name) throw new Error(`--database-url names no database: ${urlLabel(url)}`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      log(`created database ${name}`);
    } catch (error) {
      // Another process created it in the meantime: fine.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
  } finally {
    await client.end();
  }
}

async function countRows(client: pg.Client): Promise<TableCounts> {
  const { rows } = await client.query<Record<string, string>>(
    `SELECT ${SEEDED_TABLES.map((table) => `(SELECT COUNT(*) FROM ${quoteIdent(table)}) AS ${quoteIdent(table)}`).join(', ')}`,
  );
  return Object.fromEntries(SEEDED_TABLES.map((table) => [table, Number(rows[0]![table])]));
}

interface SeedMarker {
  version: number;
  sizes: SeedSizes;
}

async function readMarker(client: pg.Client): Promise<SeedMarker | null> {
  const { rows } = await client.query<{ found: string | null }>(
    "SELECT to_regclass('bench_meta.seed')::text AS found",
  );
  if (!rows[0]?.found) return null;
  const marker = await client.query<SeedMarker>('SELECT version, sizes FROM bench_meta.seed LIMIT 1');
  return marker.rows[0] ?? null;
}

const sameSizes = (a: SeedSizes, b: SeedSizes) =>
  a.entities === b.entities &&
  a.factsPerEntity === b.factsPerEntity &&
  a.triplesPerEntity === b.triplesPerEntity &&
  a.sessionsPerEntity === b.sessionsPerEntity;

/** `format_type` of every column of the seeded tables, for the array casts of unnest(). */
async function columnTypes(client: pg.Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ table: string; column: string; type: string }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, NULL) AS type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [[...SEEDED_TABLES]],
  );
  return new Map(rows.map((row) => [`${row.table}.${row.column}`, row.type]));
}

/**
 * Returns a migrated, seeded PostgreSQL database for these sizes: the existing one when its
 * marker and row counts match (unless `fresh`), otherwise the same database truncated and reseeded.
 */
export async function preparePostgresDatabase(options: {
  url: string;
  sizes: SeedSizes;
  fresh: boolean;
  log: (line: string) => void;
}): Promise<PreparedPostgres> {
  const { url, sizes, log } = options;
  const label = urlLabel(url);
  await ensureDatabase(url, log);
  // Migrating first means a reused database also picks up migrations added since it was seeded.
  await migrateDatabase(url, { log });

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const marker = await readMarker(client);
    const before = await countRows(client);
    if (marker) {
      const problem =
        marker.version !== SEED_VERSION
          ? `seed version ${marker.version}, expected ${SEED_VERSION}`
          : !sameSizes(marker.sizes, sizes)
            ? `seeded with ${JSON.stringify(marker.sizes)}`
            : countMismatch(sizes, before);
      if (!problem && !options.fresh) {
        log(`reusing ${label} (pass --fresh to rebuild)`);
        return { url, label, counts: before, seedSeconds: null };
      }
      if (problem) log(`not reusing ${label}: ${problem}`);
    } else if (Object.values(before).some((rows) => rows > 0)) {
      throw new Error(
        `${label} holds Engram data the benchmark did not seed (no bench_meta.seed row); ` +
          'point --database-url at a database of its own',
      );
    }

    const started = performance.now();
    await seed(client, sizes, log);
    const counts = await countRows(client);
    const problem = countMismatch(sizes, counts);
    if (problem) throw new Error(`seeding went wrong: ${problem}`);
    const seedSeconds = (performance.now() - started) / 1000;
    await client.query('CREATE TABLE bench_meta.seed (version integer NOT NULL, sizes jsonb NOT NULL)');
    const { entities, factsPerEntity, triplesPerEntity, sessionsPerEntity } = sizes;
    await client.query('INSERT INTO bench_meta.seed (version, sizes) VALUES ($1, $2)', [
      SEED_VERSION,
      JSON.stringify({ entities, factsPerEntity, triplesPerEntity, sessionsPerEntity }),
    ]);
    log(`seeded ${label} in ${seedSeconds.toFixed(1)} s`);
    return { url, label, counts, seedSeconds };
  } finally {
    await client.end();
  }
}

/**
 * Empties every Engram table and fills it in one transaction, with the secondary indexes dropped
 * during the inserts and rebuilt at the end (faster than maintaining them row by row), then sets the id sequences past the explicit ids and runs VACUUM ANALYZE, so the planner
 * has statistics and autovacuum has nothing left to do while the servers are measured.
 */
async function seed(client: pg.Client, sizes: SeedSizes, log: (line: string) => void): Promise<void> {
  log(`seeding ${sizes.entities.toLocaleString('en-US')} entities`);
  const types = await columnTypes(client);
  const all = [...SEEDED_TABLES, ...OTHER_TABLES].map(quoteIdent).join(', ');

  await client.query('BEGIN');
  try {
    // The marker goes first: a seed that does not finish leaves none behind.
    await client.query('DROP SCHEMA IF EXISTS bench_meta CASCADE');
    await client.query('CREATE SCHEMA bench_meta');
    await client.query(`TRUNCATE ${all} RESTART IDENTITY CASCADE`);
    // Generated ids are consistent by construction, so a superuser skips the per-row foreign key
    // triggers (about a third of the time); anyone else gets them checked.
    await client.query('SAVEPOINT replica');
    try {
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query('RELEASE SAVEPOINT replica');
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT replica');
      log('  (not a superuser: foreign keys are checked row by row)');
    }
    // Non-constraint indexes of the seeded tables (primary keys stay: foreign keys need them).
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT i.indexname AS name, i.indexdef AS definition
         FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
      [[...SEEDED_TABLES]],
    );
    for (const index of indexes) await client.query(`DROP INDEX ${quoteIdent(index.name)}`);

    for (const { table, columns, rows } of generateTables(sizes, (ms) => new Date(ms).toISOString())) {
      const casts = columns.map((column, index) => {
        const type = types.get(`${table}.${column}`);
        if (!type) throw new Error(`no column ${table}.${column} in the migrated schema`);
        return `$${index + 1}::${type}[]`;
      });
      const sql = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) SELECT * FROM unnest(${casts.join(', ')})`;
      const started = performance.now();
      for (let offset = 0; offset < rows.length; offset += ROWS_PER_STATEMENT) {
        const slice = rows.slice(offset, offset + ROWS_PER_STATEMENT);
        await client.query(
          sql,
          columns.map((_, column) => slice.map((row) => row[column])),
        );
      }
      logTableDone(log, table, rows.length, started);
    }

    const started = performance.now();
    for (const index of indexes) await client.query(index.definition);
    log(`  ${indexes.length} indexes rebuilt in ${seconds(started)} s`);
    for (const table of SEEDED_TABLES) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE(MAX(id), 0) + 1, false) FROM ${quoteIdent(table)}`,
        [quoteIdent(table)],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }

  const started = performance.now();
  await client.query(`VACUUM (ANALYZE) ${SEEDED_TABLES.map(quoteIdent).join(', ')}`);
  log(`  VACUUM ANALYZE in ${seconds(started)} s`);
}
