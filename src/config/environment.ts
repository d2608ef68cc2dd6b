import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type ApiKey, apiKeyFileEntries, parseApiKey } from '../auth/api-keys.ts';
import { DEFAULT_POOL, PROVIDERS, providerFromUrl } from '../db/client.ts';
import { augmentationEnv } from './env/augmentation.ts';
import { eventBusEnv } from './env/events.ts';
import { booleanish, commaList, positiveInt } from './env/fields.ts';
import { graphEnv, neo4jPassword } from './env/graph.ts';
import { llmIntegrationEnv } from './env/llm-integration.ts';
import { observabilityEnv } from './env/observability.ts';
import { searchEnv } from './env/search.ts';

/**
 * Engram's environment variables (the README's configuration table), read once at start and then
 * nested by concern in config.ts: the server, database, access and limits here, each other concern
 * in a file of its own under env/. No other module reads `process.env`, with two exceptions that say
 * why: the schema builder reads NODE_ENV at import time, and the Bedrock extractor AWS's own
 * credential variables.
 */
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
    /**
     * PostgreSQL: answer read queries over entities, facts, triples, sessions and conversations
     * with one planned SQL statement instead of resolvers and Prisma. @default true
     */
    PLANNED_READS: booleanish.default(true),
    /** Apply pending migrations when the server starts. @default true */
    MIGRATE_ON_START: booleanish.default(true),
    /** pino level. @default info */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Serve GraphiQL on GET /graphql. @default true in development, false in production */
    GRAPHIQL: booleanish.optional(),
    /** Serve the graph explorer page on GET /explorer. @default GRAPHIQL */
    EXPLORER: booleanish.optional(),
    /**
     * Comma-separated API keys, each `<key>` (admin) or `<role>:<key>` with a role of admin, service
     * or read; when any is set, every request needs `Authorization: Bearer <key>`.
     */
    API_KEYS: commaList,
    /** A file of more API keys, one `<key>` or `<role>:<key>` per line (a mounted secret). */
    API_KEYS_FILE: z.string().min(1).optional(),
    /**
     * Secret that signs entity tokens (`issueEntityToken`), at least 32 characters; every replica
     * needs the same one. Unset: a random secret per process (tokens die with it).
     */
    ENTITY_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** A file holding ENTITY_TOKEN_SECRET (a mounted secret); its surrounding whitespace is dropped. */
    ENTITY_TOKEN_SECRET_FILE: z.string().min(1).optional(),
    /** Lifetime of an entity token whose caller names none, in seconds. @default 900 */
    ENTITY_TOKEN_TTL_SECONDS: positiveInt(900),
    /** Longest entity token lifetime a caller may ask for, in seconds. @default 86400 */
    ENTITY_TOKEN_MAX_TTL_SECONDS: positiveInt(86_400),
    /** An identity provider's JWKS URL: its tokens are accepted as entity tokens (with JWT_ISSUER and JWT_AUDIENCE). */
    JWKS_URL: z.url().optional(),
    /** The `iss` of the identity provider's tokens (required with JWKS_URL). */
    JWT_ISSUER: z.string().min(1).optional(),
    /** The `aud` the identity provider's tokens must carry for Engram (required with JWKS_URL). */
    JWT_AUDIENCE: z.string().min(1).optional(),
    /** The claim of an identity-provider token that holds the entity's external id. @default sub */
    JWT_ENTITY_CLAIM: z.string().min(1).default('sub'),
    /** What identity-provider tokens may do: READ, WRITE or both, comma-separated. @default READ,WRITE */
    JWT_SCOPES: z
      .string()
      .default('READ,WRITE')
      .transform((value) => value.split(',').map((item) => item.trim().toUpperCase()))
      .pipe(z.array(z.enum(['READ', 'WRITE'])).min(1)),
    /** Delete messages older than this many days; 0 keeps them for ever. @default 0 */
    RETENTION_MESSAGES_DAYS: z.coerce.number().int().min(0).default(0),
    /** Delete conversations (with their messages and jobs) started longer ago than this; 0 keeps them. @default 0 */
    RETENTION_CONVERSATIONS_DAYS: z.coerce.number().int().min(0).default(0),
    /** Delete facts not mentioned for this many days; 0 keeps them. @default 0 */
    RETENTION_FACTS_UNMENTIONED_DAYS: z.coerce.number().int().min(0).default(0),
    /** Delete finished augmentation jobs older than this many days; 0 keeps them. @default 0 */
    RETENTION_JOBS_DAYS: z.coerce.number().int().min(0).default(0),
    /** Delete audit entries older than this many days; 0 keeps them. @default 0 */
    RETENTION_AUDIT_DAYS: z.coerce.number().int().min(0).default(0),
    /** How often the retention task runs in each serving or worker process. @default 3600000 (1 hour) */
    RETENTION_INTERVAL_MS: positiveInt(3_600_000),
    /** Rows the retention task deletes per transaction. @default 500 */
    RETENTION_BATCH_SIZE: positiveInt(500),
    /**
     * Record every query an entity token runs in the audit log (one entry per operation, action
     * `read`); writes and administrative reads are always recorded. @default false
     */
    AUDIT_READS: booleanish.default(false),
    /**
     * Lets an entity token with the WRITE scope erase its own entity (`eraseEntity`), for a frontend
     * that offers "delete my data". Off, only admin and service keys erase. @default false
     */
    ERASE_BY_ENTITY_TOKEN: booleanish.default(false),
    /** Longest message or fact content accepted, in characters. @default 16000 */
    MAX_CONTENT_LENGTH: positiveInt(16_000),
    /** Most messages or triples accepted in one mutation. @default 500 */
    MAX_ITEMS_PER_CALL: positiveInt(500),
    /** Largest `first`/`last` of a connection. @default 100 */
    MAX_PAGE_SIZE: positiveInt(100),
    /** Deepest GraphQL selection accepted (a Relay connection level counts 3: field, edges, node). @default 20 */
    MAX_QUERY_DEPTH: positiveInt(20),
    /** Most aliases in one GraphQL document (aliased `__typename` included). @default 30 */
    MAX_ALIASES: positiveInt(30),
    /**
     * Most nodes (objects and scalars, once per list item) a document's response can hold,
     * estimated from page sizes before it runs (src/http/query-cost.ts). @default 50000
     */
    MAX_QUERY_NODES: positiveInt(50_000),
    /**
     * Longest a query or mutation (or one subscription event) may run: later resolvers do not
     * start and the request answers REQUEST_TIMEOUT (src/http/deadline.ts). @default 10000
     */
    REQUEST_TIMEOUT_MS: positiveInt(10_000),
    /**
     * PostgreSQL `statement_timeout` / MariaDB `max_statement_time` of every pooled connection;
     * 0 turns it off. SQLite statements cannot be interrupted. @default REQUEST_TIMEOUT_MS
     */
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).optional(),
    /** Time given to open requests and sockets on shutdown. @default 10000 */
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),

    /** Largest request body (and graphql-ws message) accepted, in bytes; refused before it is read. @default 1048576 */
    MAX_REQUEST_BYTES: positiveInt(1_048_576),
    /** Longest GraphQL document accepted, in characters (checked before parsing). @default 100000 */
    MAX_QUERY_LENGTH: positiveInt(100_000),
    /** Most tokens the parser reads from one document (graphql-js `maxTokens`). @default 5000 */
    MAX_QUERY_TOKENS: positiveInt(5_000),
    /** Longest list anywhere in a request's variables, checked before they are coerced. @default 10000 */
    MAX_VARIABLE_LIST_LENGTH: positiveInt(10_000),
    /** Memory for parsed and validated documents (an estimate from their length), in bytes. @default 33554432 */
    PARSE_CACHE_BYTES: positiveInt(32 * 1024 * 1024),
    /** Browser origins allowed to call the API (CORS), comma-separated; none by default. */
    CORS_ORIGINS: commaList,
    /** Host names accepted in development mode besides localhost and IP literals (DNS rebinding). */
    ALLOWED_HOSTS: commaList,
    /** Requests per minute from one client address; 0 turns the limit off. @default 6000 */
    RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(0).default(6_000),
    /** Requests per minute with one API key; 0 turns the limit off. @default 60000 */
    RATE_LIMIT_PER_KEY: z.coerce.number().int().min(0).default(60_000),
    /** Failed authentications per address per minute before that address is refused for 5 minutes; 0 is off. @default 10 */
    RATE_LIMIT_AUTH_FAILURES: z.coerce.number().int().min(0).default(10),
    /** Take the client address from the last `X-Forwarded-For` hop (behind a reverse proxy). @default false */
    TRUST_PROXY: booleanish.default(false),
    /** Time a client has to send its request headers. @default 10000 */
    HTTP_HEADERS_TIMEOUT_MS: positiveInt(10_000),
    /** Time a client has to send a whole request (headers and body). @default 30000 */
    HTTP_REQUEST_TIMEOUT_MS: positiveInt(30_000),
    /** How long an idle keep-alive connection stays open. @default 5000 */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(5_000),
    /** Time a graphql-ws client has to send `connection_init` (and so authenticate). @default 3000 */
    WS_INIT_TIMEOUT_MS: positiveInt(3_000),
    /** Most operations running at once on one graphql-ws socket. @default 100 */
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: positiveInt(100),
    /** Most graphql-ws sockets open for one API key (or one client address without a key). @default 100 */
    WS_MAX_SOCKETS_PER_PRINCIPAL: positiveInt(100),
    /**
     * Bytes of events waiting to be sent on one graphql-ws socket past which it is closed (1013):
     * events are written without waiting for the client to read, so one that stops reading would
     * otherwise hold ever more server memory. @default 16777216
     */
    WS_MAX_UNSENT_BYTES: positiveInt(16 * 1024 ** 2),

    ...llmIntegrationEnv,
    ...observabilityEnv,
    ...eventBusEnv,
    ...graphEnv,
    ...searchEnv,
    ...augmentationEnv,
  })
  .superRefine((env, ctx) => {
    if (!providerFromUrl(env.DATABASE_URL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message:
          'must start with file: (SQLite), postgres(ql):// (PostgreSQL, CockroachDB) or mysql:// / mariadb://',
      });
    }
    if (env.EMBEDDING_PROVIDER === 'openai-compatible' && !env.EMBEDDING_API_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['EMBEDDING_API_URL'],
        message: 'is required for openai-compatible',
      });
    }
    if (
      env.EMBEDDING_PROVIDER === 'use-lite' &&
      env.VECTOR_DIMENSIONS !== undefined &&
      env.VECTOR_DIMENSIONS !== 512
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['VECTOR_DIMENSIONS'],
        message: `must be 512 (or unset) with EMBEDDING_PROVIDER=use-lite, whose vectors have 512 dimensions`,
      });
    }
    if (env.AUGMENTATION_EXTRACTOR === 'llm' && (!env.LLM_PROVIDER || !env.LLM_MODEL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['LLM_PROVIDER'],
        message: 'LLM_PROVIDER and LLM_MODEL are required when AUGMENTATION_EXTRACTOR=llm',
      });
    }
    if (env.EVENT_BUS === 'redis' && !env.REDIS_URL) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'is required when EVENT_BUS=redis' });
    }
    if (env.EVENT_BUS === 'postgres' && databaseProvider(env) !== 'postgresql') {
      ctx.addIssue({
        code: 'custom',
        path: ['EVENT_BUS'],
        message: `postgres needs DATABASE_URL to be PostgreSQL (LISTEN/NOTIFY), not ${databaseProvider(env)}: use EVENT_BUS=redis`,
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

/**
 * Every variable Engram reads, so deployment files can be checked against it
 * (tests/deploy.unit.test.ts): a misspelt name in a manifest would otherwise be ignored silently.
 */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/** The keys of API_KEYS and API_KEYS_FILE with their roles, each problem reported as a config issue. */
function apiKeys(
  env: { API_KEYS: string[]; API_KEYS_FILE?: string | undefined },
  report: (path: string, message: string) => void,
): ApiKey[] {
  const entries = env.API_KEYS.map((entry) => ({ entry, path: 'API_KEYS' }));
  if (env.API_KEYS_FILE) {
    try {
      const text = readFileSync(env.API_KEYS_FILE, 'utf8');
      for (const entry of apiKeyFileEntries(text)) entries.push({ entry, path: 'API_KEYS_FILE' });
    } catch (error) {
      report('API_KEYS_FILE', `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  const keys: ApiKey[] = [];
  for (const { entry, path } of entries) {
    const parsed = parseApiKey(entry);
    if ('problem' in parsed) report(path, parsed.problem);
    else keys.push(parsed);
  }
  return keys;
}

function entityTokenSecret(
  env: { ENTITY_TOKEN_SECRET?: string | undefined; ENTITY_TOKEN_SECRET_FILE?: string | undefined },
  report: (path: string, message: string) => void,
): string | undefined {
  if (!env.ENTITY_TOKEN_SECRET_FILE) return env.ENTITY_TOKEN_SECRET;
  if (env.ENTITY_TOKEN_SECRET)
    report('ENTITY_TOKEN_SECRET_FILE', 'set this or ENTITY_TOKEN_SECRET, not both');
  try {
    const secret = readFileSync(env.ENTITY_TOKEN_SECRET_FILE, 'utf8').trim();
    if (secret.length < 32) report('ENTITY_TOKEN_SECRET_FILE', 'must hold at least 32 characters');
    return secret;
  } catch (error) {
    report(
      'ENTITY_TOKEN_SECRET_FILE',
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
    return undefined;
  }
}

const ParsedEnv = EnvSchema.transform((env, ctx) => {
  const report = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const keys = apiKeys(env, report);
  if (env.NODE_ENV === 'production' && keys.length === 0) {
    report(
      'API_KEYS',
      'is required when NODE_ENV=production, or API_KEYS_FILE (development mode grants full access to everyone)',
    );
  }
  if (env.JWKS_URL && !(env.JWT_ISSUER && env.JWT_AUDIENCE)) {
    report(
      'JWKS_URL',
      'needs JWT_ISSUER and JWT_AUDIENCE too, so tokens minted for other applications are refused',
    );
  }
  const graphiql = env.GRAPHIQL ?? env.NODE_ENV !== 'production';
  return {
    ...env,
    GRAPHIQL: graphiql,
    EXPLORER: env.EXPLORER ?? graphiql,
    /** ENTITY_TOKEN_SECRET or the content of ENTITY_TOKEN_SECRET_FILE; undefined when neither is set. */
    entityTokenSecret: entityTokenSecret(env, report),
    /** API_KEYS and API_KEYS_FILE together, with their roles. */
    apiKeys: keys,
    /** NEO4J_PASSWORD or the content of NEO4J_PASSWORD_FILE. */
    neo4jPassword: neo4jPassword(env, report),
  };
});

export type Env = z.infer<typeof ParsedEnv>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the whole environment, collecting every problem before failing. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = ParsedEnv.safeParse(cleaned);
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
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS ?? env.REQUEST_TIMEOUT_MS,
  };
}
