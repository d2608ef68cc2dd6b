/**
 * bench/graph's database: created, migrated with Engram's own migrations and filled with the
 * generated graph (lib/graph-data.ts) on SQLite, PostgreSQL or MariaDB, then reused by later runs
 * while its marker (table `bench_graph_seed`: data version and sizes) matches. A database
 * without the marker that holds triples was not made by this bench and is never touched.
 *
 * Rows go in with each driver's bulk path: SQLite prepared statements in big transactions,
 * PostgreSQL `INSERT ... SELECT FROM unnest(...)` with the secondary indexes rebuilt after the
 * load, MariaDB the driver's batch insert; then the planner statistics are refreshed.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import mariadb from 'mariadb';
import pg from 'pg';
import { mariadbUrl, openDatabase, sqlitePath } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { recountDegrees } from '../../src/graph/degrees.ts';
import {
  GRAPH_SEED_VERSION,
  type GraphData,
  type GraphSizes,
  nodeName,
  PREDICATES,
  tripleCount,
} from './graph-data.ts';
import { TRIPLE_COLUMNS } from './seed.ts';
import { urlLabel } from './seed-postgres.ts';

export type GraphDb = 'sqlite' | 'postgresql' | 'mysql';

/** One table's rows, produced a slice at a time so 2M triples never sit in memory as arrays. */
interface TableLoad {
  table: string;
  columns: string[];
  count: number;
  /** Rows [from, to) as column values (dates as epoch milliseconds, turned per database). */
  rows: (from: number, to: number) => unknown[][];
  /** Which columns hold epoch milliseconds (or null). */
  dates: number[];
}

const DAY = 86_400_000;
/** Fixed, so two builds give the same rows. */
const BASE_MS = Date.UTC(2025, 0, 1);

function tables(data: GraphData): TableLoad[] {
  const names = data.sizes.names;
  const nameRows = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => [from + i + 1, nodeName(from + i), null]);
  return [
    {
      table: 'entity',
      columns: ['id', 'external_id', 'created_at'],
      count: data.entities.length,
      rows: (from, to) => data.entities.slice(from, to).map((id, i) => [from + i + 1, id, BASE_MS]),
      dates: [2],
    },
    { table: 'subject', columns: ['id', 'name', 'type'], count: names, rows: nameRows, dates: [] },
    { table: 'object', columns: ['id', 'name', 'type'], count: names, rows: nameRows, dates: [] },
    {
      table: 'predicate',
      columns: ['id', 'name'],
      count: PREDICATES.length,
      rows: (from, to) => PREDICATES.slice(from, to).map((name, i) => [from + i + 1, name]),
      dates: [],
    },
    {
      table: 'knowledge_graph',
      columns: [...TRIPLE_COLUMNS],
      count: tripleCount(data.sizes),
      rows: (from, to) => {
        const rows: unknown[][] = [];
        for (let i = from; i < to; i += 1) {
          const start = BASE_MS + (i % 365) * DAY;
          rows.push([
            i + 1,
            (data.entity[i] as number) + 1,
            (data.subject[i] as number) + 1,
            (data.predicate[i] as number) + 1,
            (data.object[i] as number) + 1,
            1 + (i % 3),
            start,
            start,
            data.superseded[i] ? start + 30 * DAY : null,
            start,
          ]);
        }
        return rows;
      },
      dates: [6, 7, 8, 9],
    },
  ];
}

const sizesLabel = (sizes: GraphSizes) =>
  `v${GRAPH_SEED_VERSION} names=${sizes.names} triples=${sizes.triples} entities=${sizes.entities}x${sizes.triplesPerEntity}`;

/** The database a kind uses unless the caller names one. */
export function defaultGraphDatabaseUrl(db: GraphDb, sizes: GraphSizes): string {
  switch (db) {
    case 'sqlite':
      return `file:bench/.data/graph-v${GRAPH_SEED_VERSION}-n${sizes.names}-t${sizes.triples}-e${sizes.entities}x${sizes.triplesPerEntity}.db`;
    case 'postgresql':
      return 'postgresql://postgres@127.0.0.1:5432/engram_bench_graph';
    case 'mysql':
      return 'mysql://root@127.0.0.1:3306/engram_bench_graph';
  }
}

/** Whole seconds and tenths since `start`. */
const since = (start: number) => ((performance.now() - start) / 1000).toFixed(1);

/** Per-database steps of a seed. */
interface Loader {
  /** The marker's text, or null when there is none; 'foreign' when triples exist without one. */
  marker(): Promise<string | null | 'foreign'>;
  /** Drops and creates the database empty (only called when the marker says it is ours or none). */
  recreate(): Promise<void>;
  load(tables: TableLoad[], log: (line: string) => void): Promise<void>;
  writeMarker(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Makes sure the database at `url` holds exactly the generated graph of `sizes`: reused when its
 * marker matches, else rebuilt (generating the data only then). Returns seconds spent seeding, or
 * null when reused.
 */
export async function prepareGraphDatabase(
  db: GraphDb,
  url: string,
  sizes: GraphSizes,
  generate: () => GraphData,
  log: (line: string) => void,
): Promise<{ seedSeconds: number | null; label: string }> {
  const label = db === 'sqlite' ? sqlitePath(url) : urlLabel(url);
  const wanted = sizesLabel(sizes);
  const loader =
    db === 'sqlite' ? sqliteLoader(url) : db === 'postgresql' ? postgresLoader(url) : mysqlLoader(url);
  try {
    const found = await loader.marker();
    if (found === wanted) {
      // Migrations added since it was built apply (their backfills fill what they add).
      const migrated = await migrateDatabase(url, {});
      log(`reusing ${label} (${wanted}; ${migrated.applied.length} new migrations)`);
      return { seedSeconds: null, label };
    }
    if (found === 'foreign')
      throw new Error(`${label} holds triples but no bench_graph_seed marker: not touching it`);
    const started = performance.now();
    log(`building ${label} (${wanted})`);
    await loader.recreate();
    const migrated = await migrateDatabase(url, {});
    log(`  migrated (${migrated.applied.length} migrations)`);
    const generating = performance.now();
    const data = generate();
    log(`  generated ${tripleCount(sizes).toLocaleString('en-US')} triples in ${since(generating)} s`);
    await loader.load(tables(data), log);
    await countDegrees(url, log);
    await loader.writeMarker(wanted);
    const seedSeconds = (performance.now() - started) / 1000;
    log(`  seeded in ${seedSeconds.toFixed(1)} s`);
    return { seedSeconds, label };
  } finally {
    await loader.close();
  }
}

/** The stored degrees (graph_degree) of every entity, counted from the loaded triples. */
async function countDegrees(url: string, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const db = await openDatabase({ url });
  try {
    const entities = await db.entity.findMany({ select: { id: true } });
    for (const entity of entities) await db.$transaction((tx) => recountDegrees(tx, entity.id));
    // Fresh statistics and visibility map: the node list's count is then an index-only scan.
    if (url.startsWith('postgres')) await db.$executeRawUnsafe('VACUUM (ANALYZE) graph_degree');
  } finally {
    await db.$disconnect();
  }
  log(`  degrees counted in ${since(started)} s`);
}

function progress(log: (line: string) => void, table: string, done: number, count: number, started: number) {
  if (done === count || done % 500_000 === 0)
    log(
      `  ${table}: ${done.toLocaleString('en-US')} / ${count.toLocaleString('en-US')} (${since(started)} s)`,
    );
}

function sqliteLoader(url: string): Loader {
  const path = sqlitePath(url);
  let handle: Database.Database | null = null;
  const open = () => {
    handle ??= new Database(path);
    return handle;
  };
  const closeHandle = () => {
    handle?.close();
    handle = null;
  };
  const toText = (ms: unknown) =>
    typeof ms === 'number' ? new Date(ms).toISOString().replace('Z', '+00:00') : ms;
  return {
    async marker() {
      mkdirSync(dirname(path), { recursive: true });
      const db = open();
      const marker = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'bench_graph_seed'")
        .get();
      if (marker)
        return (
          (db.prepare('SELECT sizes FROM bench_graph_seed').get() as { sizes: string } | undefined)?.sizes ??
          null
        );
      const triples = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'knowledge_graph'")
        .get();
      if (triples && (db.prepare('SELECT COUNT(*) AS n FROM knowledge_graph').get() as { n: number }).n > 0)
        return 'foreign';
      return null;
    },
    async recreate() {
      closeHandle();
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
    },
    async load(loads, log) {
      const db = open();
      db.pragma('synchronous = OFF');
      for (const { table, columns, count, rows, dates } of loads) {
        const insert = db.prepare(
          `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        );
        const chunk = db.transaction((slice: unknown[][]) => {
          for (const row of slice) {
            for (const column of dates) row[column] = toText(row[column]);
            insert.run(row);
          }
        });
        const started = performance.now();
        for (let from = 0; from < count; from += 100_000) {
          const to = Math.min(from + 100_000, count);
          chunk(rows(from, to));
          progress(log, table, to, count, started);
        }
      }
      const started = performance.now();
      db.exec('ANALYZE');
      log(`  ANALYZE in ${since(started)} s`);
    },
    async writeMarker(text) {
      open().exec('CREATE TABLE bench_graph_seed (sizes TEXT NOT NULL)');
      open().prepare('INSERT INTO bench_graph_seed (sizes) VALUES (?)').run(text);
    },
    async close() {
      closeHandle();
    },
  };
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

function postgresLoader(url: string): Loader {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: maintenance.toString() });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    async marker() {
      const exists = await admin('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!exists.rowCount) return null;
      return withClient(async (client) => {
        const { rows } = await client.query(
          "SELECT to_regclass('bench_graph_seed') AS marker, to_regclass('knowledge_graph') AS triples",
        );
        if (rows[0]?.marker) {
          const found = await client.query('SELECT sizes FROM bench_graph_seed');
          return (found.rows[0]?.sizes as string | undefined) ?? null;
        }
        if (rows[0]?.triples) {
          const count = await client.query('SELECT EXISTS (SELECT 1 FROM knowledge_graph) AS any');
          if (count.rows[0]?.any) return 'foreign';
        }
        return null;
      });
    },
    async recreate() {
      await admin(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
      await admin(`CREATE DATABASE ${quote(name)}`);
    },
    async load(loads, log) {
      await withClient(async (client) => {
        const { rows: typeRows } = await client.query<{ key: string; type: string }>(
          `SELECT c.relname || '.' || a.attname AS key, format_type(a.atttypid, NULL) AS type
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped`,
        );
        const types = new Map(typeRows.map((row) => [row.key, row.type]));
        await client.query('BEGIN');
        // Generated ids are consistent: skip the per-row foreign key triggers (superuser only).
        await client.query('SET LOCAL session_replication_role = replica');
        const tablesLoaded = loads.map((load) => load.table);
        const { rows: indexes } = await client.query<{ name: string; definition: string }>(
          `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
          [tablesLoaded],
        );
        for (const index of indexes) await client.query(`DROP INDEX ${quote(index.name)}`);
        for (const { table, columns, count, rows, dates } of loads) {
          const casts = columns.map((column, i) => `$${i + 1}::${types.get(`${table}.${column}`)}[]`);
          const sql = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) SELECT * FROM unnest(${casts.join(', ')})`;
          const started = performance.now();
          for (let from = 0; from < count; from += 50_000) {
            const to = Math.min(from + 50_000, count);
            const slice = rows(from, to);
            await client.query(
              sql,
              columns.map((_, c) =>
                slice.map((row) =>
                  dates.includes(c) && typeof row[c] === 'number'
                    ? new Date(row[c] as number).toISOString()
                    : row[c],
                ),
              ),
            );
            progress(log, table, to, count, started);
          }
          await client.query(
            `SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE(MAX(id), 0) + 1, false) FROM ${quote(table)}`,
            [quote(table)],
          );
        }
        const started = performance.now();
        for (const index of indexes) await client.query(index.definition);
        log(`  ${indexes.length} indexes rebuilt in ${since(started)} s`);
        await client.query('COMMIT');
        const vacuum = performance.now();
        await client.query(`VACUUM (ANALYZE) ${tablesLoaded.map(quote).join(', ')}`);
        log(`  VACUUM ANALYZE in ${since(vacuum)} s`);
      });
    },
    async writeMarker(text) {
      await withClient(async (client) => {
        await client.query('CREATE TABLE bench_graph_seed (sizes text NOT NULL)');
        await client.query('INSERT INTO bench_graph_seed (sizes) VALUES ($1)', [text]);
      });
    },
    async close() {},
  };
}

function mysqlLoader(url: string): Loader {
  const parsed = new URL(mariadbUrl(url));
  const name = decodeURIComponent(parsed.pathname.slice(1));
  const server = new URL(parsed);
  server.pathname = '/';
  const connect = (database: string | null) =>
    mariadb.createConnection({
      host: parsed.hostname,
      port: Number(parsed.port || 3306),
      user: decodeURIComponent(parsed.username || 'root'),
      password: decodeURIComponent(parsed.password),
      ...(database ? { database } : {}),
    });
  const ident = (value: string) => `\`${value.replaceAll('`', '``')}\``;
  // DATETIME(3) text in UTC, as Engram's adapter writes it.
  const toText = (ms: unknown) =>
    typeof ms === 'number' ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : ms;
  return {
    async marker() {
      const conn = await connect(null);
      try {
        const tablesFound = (await conn.query(
          'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_name IN (?, ?)',
          [name, 'bench_graph_seed', 'knowledge_graph'],
        )) as { name: string }[];
        const has = (table: string) => tablesFound.some((row) => row.name === table);
        if (has('bench_graph_seed')) {
          const rows = (await conn.query(`SELECT sizes FROM ${ident(name)}.bench_graph_seed`)) as {
            sizes: string;
          }[];
          return rows[0]?.sizes ?? null;
        }
        if (has('knowledge_graph')) {
          const rows = (await conn.query(
            `SELECT 1 AS one FROM ${ident(name)}.knowledge_graph LIMIT 1`,
          )) as unknown[];
          if (rows.length > 0) return 'foreign';
        }
        return null;
      } finally {
        await conn.end();
      }
    },
    async recreate() {
      const conn = await connect(null);
      try {
        await conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
        await conn.query(`CREATE DATABASE ${ident(name)}`);
      } finally {
        await conn.end();
      }
    },
    async load(loads, log) {
      const conn = await connect(name);
      try {
        await conn.query('SET FOREIGN_KEY_CHECKS = 0');
        await conn.query('SET UNIQUE_CHECKS = 0');
        for (const { table, columns, count, rows, dates } of loads) {
          const sql = `INSERT INTO ${ident(table)} (${columns.map(ident).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
          const started = performance.now();
          for (let from = 0; from < count; from += 20_000) {
            const to = Math.min(from + 20_000, count);
            const slice = rows(from, to);
            for (const row of slice) for (const column of dates) row[column] = toText(row[column]);
            await conn.beginTransaction();
            await conn.batch(sql, slice);
            await conn.commit();
            progress(log, table, to, count, started);
          }
        }
        const started = performance.now();
        await conn.query(`ANALYZE TABLE ${loads.map((load) => ident(load.table)).join(', ')}`);
        log(`  ANALYZE TABLE in ${since(started)} s`);
      } finally {
        await conn.end();
      }
    },
    async writeMarker(text) {
      const conn = await connect(name);
      try {
        await conn.query('CREATE TABLE bench_graph_seed (sizes VARCHAR(200) NOT NULL)');
        await conn.query('INSERT INTO bench_graph_seed (sizes) VALUES (?)', [text]);
      } finally {
        await conn.end();
      }
    },
    async close() {},
  };
}
