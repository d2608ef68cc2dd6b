import { z } from 'zod';
import { DEFAULT_POOL, PROVIDERS, providerFromUrl } from './db/client.ts';

/**
 * Engram's configuration, read from the environment once at start.
 * No other module reads `process.env`: everything else receives an `Env`.
 */
const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** Interface to listen on. @default all interfaces */
    HOST: z.string().min(1).optional(),
    /** @default 4000 */
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    /**
     * `file:` for embedded SQLite, `postgres(ql)://`, or `mysql://`/`mariadb://`.
     * @default file:./data/engram.db
     */
    DATABASE_URL: z.string().min(1).default('file:./data/engram.db'),
    /** Needed only for CockroachDB, whose URLs look like PostgreSQL's. @default from DATABASE_URL */
    DATABASE_PROVIDER: z.enum(PROVIDERS).optional(),
    /** Most pooled connections (PostgreSQL, MySQL). @default 10 */
    DATABASE_POOL_SIZE: positiveInt(DEFAULT_POOL.size),
    /** How long a request waits for a connection before failing. @default 5000 */
    DATABASE_CONNECT_TIMEOUT_MS: positiveInt(DEFAULT_POOL.connectTimeoutMs),
    /** Idle pooled connections are closed after this long. @default 30000 */
    DATABASE_IDLE_TIMEOUT_MS: positiveInt(DEFAULT_POOL.idleTimeoutMs),
    /** PostgreSQL: reuse query plans through named prepared statements. @default true */
    DATABASE_PREPARED_STATEMENTS: booleanish.default(DEFAULT_POOL.preparedStatements),
    /** Apply pending migrations when the server starts. @default true */
    MIGRATE_ON_START: booleanish.default(true),
    /** pino level. @default info */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Serve GraphiQL on GET /graphql. @default true */
    GRAPHIQL: booleanish.default(true),
    /** Comma-separated API keys; when set, every request needs `Authorization: Bearer <key>`. */
    API_KEYS: z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean),
      ),
    /** Longest message or fact content accepted, in characters. @default 16000 */
    MAX_CONTENT_LENGTH: positiveInt(16_000),
    /** Most messages or triples accepted in one mutation. @default 500 */
    MAX_ITEMS_PER_CALL: positiveInt(500),
    /** Largest `first`/`last` of a connection. @default 100 */
    MAX_PAGE_SIZE: positiveInt(100),
    /** Deepest GraphQL selection accepted (a Relay connection level counts 3: field, edges, node). @default 20 */
    MAX_QUERY_DEPTH: positiveInt(20),
    /** Most aliases in one GraphQL document. @default 30 */
    MAX_ALIASES: positiveInt(30),
    /** Time given to open requests and sockets on shutdown. @default 10000 */
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.API_KEYS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_KEYS'],
        message: 'is required when NODE_ENV=production (development mode grants full access to everyone)',
      });
    }
    if (!providerFromUrl(env.DATABASE_URL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message:
          'must start with file: (SQLite), postgres(ql):// (PostgreSQL, CockroachDB) or mysql:// / mariadb://',
      });
    }
    const fromUrl = providerFromUrl(env.DATABASE_URL);
    const expected = env.DATABASE_PROVIDER === 'cockroachdb' ? 'postgresql' : env.DATABASE_PROVIDER;
    if (expected && fromUrl && expected !== fromUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_PROVIDER'],
        message: `${env.DATABASE_PROVIDER} does not match DATABASE_URL, which names ${fromUrl}`,
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the whole environment, collecting every problem before failing. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** The database provider the configuration selects. */
export function databaseProvider(env: Pick<Env, 'DATABASE_URL' | 'DATABASE_PROVIDER'>) {
  return env.DATABASE_PROVIDER ?? providerFromUrl(env.DATABASE_URL) ?? 'sqlite';
}

/** Pool settings from the configuration. */
export function poolOptions(env: Env) {
  return {
    size: env.DATABASE_POOL_SIZE,
    connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: env.DATABASE_IDLE_TIMEOUT_MS,
    preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
  };
}
