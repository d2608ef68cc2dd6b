import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type pg from 'pg';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { withSqliteLikeEscape } from './like.ts';
import { countRelationsSeparately, joinsRelations } from './relation-counts.ts';
import { withSqliteFunctions } from './sqlite-functions.ts';
import { mariadbStatementTimeoutSql } from './statement-timeout.ts';

export type Db = PrismaClient;

/** The Prisma client inside `$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

/** The databases Engram runs on. */
export const PROVIDERS = ['sqlite', 'postgresql', 'mysql', 'cockroachdb'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Connection pool settings (ignored by SQLite, which uses one connection). */
export interface PoolOptions {
  /** Most connections open at once. @default 10 */
  size: number;
  /** How long to wait for a connection before failing the request. @default 5000 */
  connectTimeoutMs: number;
  /** Idle connections are closed after this long. @default 30000 */
  idleTimeoutMs: number;
  /**
   * PostgreSQL: name statements so each connection plans a query shape once and reuses the plan
   * (planning cost more than running a page's queries). Turn off behind a pooler in transaction
   * mode that cannot keep prepared statements. @default true
   */
  preparedStatements: boolean;
  /**
   * PostgreSQL and MariaDB: longest one statement may run on a pooled connection (see
   * src/db/statement-timeout.ts); 0 leaves the server's own setting. @default 0
   */
  statementTimeoutMs: number;
}

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** `file:` (SQLite), `postgres(ql)://`, `mysql://` or `mariadb://`. */
  url: string;
  /** Needed only for CockroachDB, whose URLs look like PostgreSQL's. */
  provider?: Provider;
  pool?: Partial<PoolOptions>;
  /** Called with every SQL statement sent to the database and its duration (tests count them; metrics time them). */
  onQuery?: (sql: string, durationMs: number) => void;
  /** Called when the driver reports a broken connection outside any request. */
  onConnectionError?: (error: Error) => void;
  /** SQLite only: open the file read-only (a reader beside the writer; WAL lets both run). */
  readonly?: boolean;
}

export const DEFAULT_POOL: PoolOptions = {
  size: 10,
  connectTimeoutMs: 5000,
  idleTimeoutMs: 30_000,
  preparedStatements: true,
  statementTimeoutMs: 0,
};

/** A stable name per SQL text, so node-postgres prepares it once per connection. */
function statementName(query: { sql: string }): string {
  return `engram_${createHash('sha1').update(query.sql).digest('base64url')}`;
}

/**
 * The provider of a client or transaction client, from Prisma's own record of it
 * (`_activeProvider`, internal: if it ever goes away this answers undefined, and callers take
 * their provider-neutral path).
 */
export function clientProvider(client: unknown): string | undefined {
  const provider = (client as { _activeProvider?: unknown } | null)?._activeProvider;
  return typeof provider === 'string' ? provider : undefined;
}

/** Which provider a URL speaks, or undefined when it names none Engram knows. */
export function providerFromUrl(url: string): Provider | undefined {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  if (/^(mysql|mariadb):\/\//.test(url)) return 'mysql';
  return undefined;
}

/** Turns a `file:` URL into a filesystem path (or `:memory:`). */
export function sqlitePath(url: string): string {
  const path = url.replace(/^file:/, '').split('?')[0] ?? '';
  return path === ':memory:' ? path : resolve(path);
}

/** The mariadb driver only knows the `mariadb://` scheme. */
export function mariadbUrl(url: string): string {
  return url.replace(/^mysql:/, 'mariadb:');
}

interface ClientModule {
  PrismaClient: new (options: object) => Db;
}

/** Each provider has its own generated client; load only the one in use. */
async function loadClient(provider: Provider): Promise<ClientModule> {
  switch (provider) {
    case 'sqlite':
      return (await import('./generated/sqlite/client.ts')) as unknown as ClientModule;
    case 'postgresql':
      return (await import('./generated/postgresql/client.ts')) as unknown as ClientModule;
    case 'mysql':
      return (await import('./generated/mysql/client.ts')) as unknown as ClientModule;
    case 'cockroachdb':
      return (await import('./generated/cockroachdb/client.ts')) as unknown as ClientModule;
  }
}

/**
 * Direct access to a PostgreSQL client's node-postgres pool, for statements Prisma does not build
 * (planned reads, src/planned-reads). It is the pool Prisma itself uses.
 */
export interface SqlAccess {
  query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

const sqlAccess = new WeakMap<object, SqlAccess>();

/** The PostgreSQL pool behind a client opened by {@link openDatabase}; undefined on other databases. */
export function sqlAccessOf(db: Db): SqlAccess | undefined {
  return sqlAccess.get(db);
}

/** A connection pool's occupancy, as node-postgres counts it. */
export interface PoolStats {
  /** Open connections, idle or busy. */
  total: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** DATABASE_POOL_SIZE. */
  max: number;
}

const pools = new WeakMap<object, { pool: pg.Pool; max: number }>();

/**
 * The pool's figures on PostgreSQL (and CockroachDB); undefined elsewhere: SQLite has one
 * connection, and the MariaDB adapter keeps its pool to itself.
 */
export function poolStatsOf(db: Db): PoolStats | undefined {
  const entry = pools.get(db);
  if (!entry) return undefined;
  const { pool, max } = entry;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max };
}

/**
 * Statements on the client's own pool. The client is connected first: Prisma ends the pool on
 * $disconnect only when it connected, so a server that answered every request here still shuts down.
 */
function directAccess(
  prisma: Db,
  pgPool: pg.Pool,
  prepared: boolean,
  onQuery: ((sql: string, durationMs: number) => void) | undefined,
): SqlAccess {
  let connected: Promise<void> | null = null;
  return {
    query: async (sql, params) => {
      connected ??= prisma.$connect().catch((error: unknown) => {
        connected = null;
        throw error;
      });
      await connected;
      // Prisma's instrumentation cannot see these statements: trace them here (a no-op span when
      // tracing is off). The SQL text is the planner's, with no values in it.
      const span = trace.getTracer('engram').startSpan('planned-read', {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'db.query.text': sql },
      });
      const start = performance.now();
      try {
        return await pgPool.query(
          prepared
            ? { text: sql, values: params, name: statementName({ sql }) }
            : { text: sql, values: params },
        );
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        throw error;
      } finally {
        span.end();
        onQuery?.(sql, performance.now() - start);
      }
    },
  };
}

async function createAdapter(
  provider: Provider,
  options: OpenDatabaseOptions,
): Promise<{ adapter: object; pgPool?: pg.Pool }> {
  const pool = { ...DEFAULT_POOL, ...options.pool };
  const onError = (error: Error) => options.onConnectionError?.(error);
  if (provider === 'sqlite') {
    const path = sqlitePath(options.url);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
    const factory = new PrismaBetterSqlite3({
      url: path,
      timeout: pool.connectTimeoutMs,
      readonly: options.readonly ?? false,
    });
    return { adapter: withSqliteLikeEscape(withSqliteFunctions(factory)) };
  }
  if (provider === 'mysql') {
    const { PrismaMariaDb } = await import('@prisma/adapter-mariadb');
    // Pool settings ride on the URL, beside whatever the user put there (ssl, socketPath...),
    // which win over Engram's defaults.
    const url = new URL(mariadbUrl(options.url));
    const defaults: Record<string, number> = {
      connectionLimit: pool.size,
      acquireTimeout: pool.connectTimeoutMs,
      connectTimeout: pool.connectTimeoutMs,
      idleTimeout: Math.ceil(pool.idleTimeoutMs / 1000),
      // Ping a connection that sat idle this long before handing it out (pre-ping).
      minDelayValidation: 500,
    };
    for (const [name, value] of Object.entries(defaults)) {
      if (!url.searchParams.has(name)) url.searchParams.set(name, String(value));
    }
    if (pool.statementTimeoutMs > 0 && !url.searchParams.has('initSql')) {
      url.searchParams.set('initSql', mariadbStatementTimeoutSql(pool.statementTimeoutMs));
    }
    return { adapter: new PrismaMariaDb(url.toString()) };
  }
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const { PrePingPool } = await import('./pre-ping-pool.ts');
  const pgPool = new PrePingPool({
    connectionString: options.url,
    max: pool.size,
    connectionTimeoutMillis: pool.connectTimeoutMs,
    idleTimeoutMillis: pool.idleTimeoutMs,
    // TCP keepalive notices a peer that vanished (a partition) instead of waiting forever.
    keepAlive: true,
    ...(pool.statementTimeoutMs > 0 ? { statement_timeout: pool.statementTimeoutMs } : {}),
  });
  const adapter = new PrismaPg(pgPool, {
    // The pool is ours: end it with the client.
    disposeExternalPool: true,
    // node-postgres drops a connection that errors while idle (a server restart); without these
    // listeners the error would be thrown at the process.
    onPoolError: onError,
    onConnectionError: onError,
    ...(pool.preparedStatements ? { statementNameGenerator: statementName } : {}),
  });
  return { adapter, pgPool };
}

/**
 * Opens the database for a provider, creating an SQLite file's folder on first start.
 * SQLite gets WAL (readers beside the single writer), foreign keys (cascading deletes) and
 * secure_delete (see {@link checkpointSqlite}).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Db> {
  const provider = options.provider ?? providerFromUrl(options.url);
  if (!provider) throw new Error(`DATABASE_URL names no database Engram supports: ${options.url}`);
  const { PrismaClient } = await loadClient(provider);
  const pool = { ...DEFAULT_POOL, ...options.pool };
  const { adapter, pgPool } = await createAdapter(provider, options);
  const prisma = new PrismaClient({
    adapter,
    // No stack trace captured on every query (about 2% of a page's CPU); errors keep their codes.
    errorFormat: 'minimal',
    // Embeddings are large and only the vector index reads them: never load them by default.
    omit: { entityFact: { embedding: true } },
    // Waiting for a pooled connection obeys the same limit as any other request; a transaction
    // that runs longer than this is rolled back.
    transactionOptions: { maxWait: pool.connectTimeoutMs, timeout: 30_000 },
    log: options.onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    (
      prisma as unknown as { $on(event: 'query', cb: (e: { query: string; duration: number }) => void): void }
    ).$on('query', (event) => onQuery(event.query, Number(event.duration)));
  }
  if (provider === 'sqlite') {
    // Deleted rows are overwritten with zeros instead of lingering in free space and free pages
    // (GDPR erasure). Per connection; the reader too, so no connection ever opens without it.
    await prisma.$queryRawUnsafe('PRAGMA secure_delete = ON');
    if (!options.readonly) {
      await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
      await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
      await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    }
    // LIKE (contains, startsWith) matches case as PostgreSQL and MySQL (utf8mb4_bin) do.
    await prisma.$executeRawUnsafe('PRAGMA case_sensitive_like = ON');
  }
  // Planned reads are proven on PostgreSQL only; CockroachDB keeps the Prisma path.
  if (pgPool && provider === 'postgresql') {
    sqlAccess.set(prisma, directAccess(prisma, pgPool, pool.preparedStatements, options.onQuery));
  }
  let client = prisma;
  if (!joinsRelations(provider)) {
    const { getDatamodel } = await import('./generated/pothos-types.ts');
    client = countRelationsSeparately(prisma, getDatamodel().datamodel.models);
  }
  if (pgPool) pools.set(client, { pool: pgPool, max: pool.size });
  return client;
}

/**
 * SQLite only (a no-op elsewhere): copies the write-ahead log into the database file and truncates
 * the log to zero bytes. With secure_delete, deleted content is zeroed in the pages written to the
 * log, but the log's older frames still hold the pages as they were; after this no byte of the
 * database file or its -wal holds it. Retried while a reader holds the log (it answers busy).
 * @returns whether the checkpoint completed
 */
export async function checkpointSqlite(db: Db, attempts = 20): Promise<boolean> {
  if (clientProvider(db) !== 'sqlite') return true;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const [row] = await db.$queryRawUnsafe<{ busy: number | bigint }[]>('PRAGMA wal_checkpoint(TRUNCATE)');
    if (Number(row?.busy ?? 0) === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
  }
  return false;
}

/**
 * The reader for a writer: on SQLite a read-only connection to the same file, elsewhere the
 * writer itself (its pool already isolates transactions).
 */
export async function openReader(writer: Db, options: OpenDatabaseOptions): Promise<Db> {
  const provider = options.provider ?? providerFromUrl(options.url);
  if (provider !== 'sqlite') return writer;
  return openDatabase({ ...options, readonly: true });
}
