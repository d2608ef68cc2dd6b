import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type ApiKey, apiKeyFileEntries, parseApiKey } from '../auth/api-keys.ts';
import { DEFAULT_POOL, PROVIDERS, providerFromUrl } from '../db/client.ts';
import { isPhoneRegion, PII_KINDS } from '../redact/index.ts';

/**
 * Engram's environment variables (the README's configuration table), read once at start and then
 * nested by concern in config.ts. No other module reads `process.env`, with two exceptions that say
 * why: the schema builder reads NODE_ENV at import time, and the Bedrock extractor AWS's own
 * credential variables.
 */
const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A comma-separated list; empty entries are dropped. */
const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

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
    /**
     * `on` serves the MCP server (Model Context Protocol, stateless Streamable HTTP) at /mcp, with
     * the same credentials and limits as /graphql, and allows `engram mcp` (stdio); `off` answers
     * 404 at /mcp and `engram mcp` refuses to start. @default on
     */
    MCP: z.enum(['on', 'off']).default('on'),
    /**
     * The credential `engram mcp` (stdio) acts with: an API key of API_KEYS or an entity token, as
     * an Authorization header would carry it (without `Bearer`). Unset: the stdio server is trusted
     * as the other CLI commands are (an administrator, audited as `mcp-stdio`).
     */
    MCP_TOKEN: z.string().min(1).optional(),
    /** `on` serves Prometheus metrics at /metrics; `off` measures nothing and answers 404 there. @default on */
    METRICS: z.enum(['on', 'off']).default('on'),
    /**
     * A bearer token that may read /metrics besides admin API keys (give it to the scraper instead
     * of a key that can read memory), at least 16 characters. Unset: admin keys only.
     */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Longest a scrape waits for a figure read from the database or the index (queue depth, lags). @default 2000 */
    METRICS_COLLECT_TIMEOUT_MS: positiveInt(2000),
    /** GraphQL operation names given a metrics label of their own; later ones count as `other`. @default 100 */
    METRICS_MAX_OPERATION_NAMES: positiveInt(100),
    /**
     * An OpenTelemetry collector's OTLP/HTTP base URL (spans go to `<url>/v1/traces`); unset
     * leaves tracing off.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    /** Headers sent with every export, `name=value` pairs, comma-separated (values URL-encoded). */
    OTEL_EXPORTER_OTLP_HEADERS: z
      .string()
      .optional()
      .transform((value, ctx) => {
        const headers: Record<string, string> = {};
        for (const pair of (value ?? '')
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)) {
          const at = pair.indexOf('=');
          const name = pair.slice(0, at).trim();
          if (at <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
            ctx.addIssue({ code: 'custom', message: `"${pair}" is not name=value` });
            continue;
          }
          try {
            headers[name] = decodeURIComponent(pair.slice(at + 1).trim());
          } catch {
            ctx.addIssue({ code: 'custom', message: `the value of ${name} is not URL-encoded` });
          }
        }
        return headers;
      }),
    /**
     * Base URL of the OpenAI-compatible upstream the proxy forwards `POST /v1/chat/completions` to,
     * with its version path, as the `openai` client's `baseURL` (`<base>/chat/completions` is
     * called). Unset: that route answers 404. @default unset
     */
    PROXY_OPENAI_BASE_URL: z.url().optional(),
    /** The key the proxy sends upstream as `Authorization: Bearer`. @default unset (none sent) */
    PROXY_OPENAI_API_KEY: z.string().min(1).optional(),
    /**
     * Base URL of the Anthropic upstream, without `/v1`, as the `@anthropic-ai/sdk` client's
     * `baseURL` (`<base>/v1/messages` is called). Unset: `POST /v1/messages` answers 404. @default unset
     */
    PROXY_ANTHROPIC_BASE_URL: z.url().optional(),
    /** The key the proxy sends upstream as `x-api-key`. @default unset (none sent) */
    PROXY_ANTHROPIC_API_KEY: z.string().min(1).optional(),
    /**
     * Callers may bring their own provider key (`X-Provider-Authorization: Bearer <key>` for
     * OpenAI, `x-api-key` for Anthropic), used instead of the configured one. @default false
     */
    PROXY_PASS_THROUGH_KEYS: booleanish.default(false),
    /** What the proxy adds to a request: nothing, recalled facts, or facts and their triples. @default facts */
    PROXY_MEMORY: z.enum(['off', 'facts', 'facts_and_triples']).default('facts'),
    /** Most facts (and triples) recalled into one request. @default 8 */
    PROXY_MEMORY_TOP_K: positiveInt(8),
    /** Budget of the injected memory block, in tokens (counted as characters / 4). @default 1000 */
    PROXY_MEMORY_MAX_TOKENS: positiveInt(1000),
    /** Longest wait for the upstream's TCP/TLS connection. @default 10000 */
    PROXY_CONNECT_TIMEOUT_MS: positiveInt(10_000),
    /** Longest wait for the upstream's response headers, and between two chunks of its body. @default 120000 */
    PROXY_FIRST_BYTE_TIMEOUT_MS: positiveInt(120_000),
    /** Longest a whole upstream call may take, streaming included. @default 600000 */
    PROXY_TOTAL_TIMEOUT_MS: positiveInt(600_000),
    /** The process a proxied call is recorded under when no `X-Engram-Process` is sent. @default proxy */
    PROXY_DEFAULT_PROCESS: z.string().trim().min(1).max(256).default('proxy'),
    /** The `service.name` of Engram's spans. @default engram */
    OTEL_SERVICE_NAME: z.string().min(1).default('engram'),
    /** Longest message or fact content accepted, in characters. @default 16000 */
    MAX_CONTENT_LENGTH: positiveInt(16_000),
    /** Most messages or triples accepted in one mutation. @default 500 */
    MAX_ITEMS_PER_CALL: positiveInt(500),
    /** Largest `first`/`last` of a connection. @default 100 */
    MAX_PAGE_SIZE: positiveInt(100),
    /**
     * Deepest neighbourhood or subgraph of an entity's knowledge graph (`depth`, in hops); deeper
     * ones are refused with BAD_USER_INPUT before the database is asked. @default 3
     */
    GRAPH_MAX_DEPTH: positiveInt(3),
    /**
     * Most triples one level of a graph search reads per direction: a hub's neighbours beyond it
     * are left out and the answer says `truncated`. @default 10000
     */
    GRAPH_MAX_FANOUT: positiveInt(10_000),
    /**
     * Where subscription events travel: `memory` (this process only), `redis` (REDIS_URL) or
     * `postgres` (LISTEN/NOTIFY on the PostgreSQL DATABASE_URL; not CockroachDB, which has no
     * LISTEN). Replicas, and `engram worker` processes, need one of the last two to hear each
     * other. @default memory
     */
    EVENT_BUS: z.enum(['memory', 'redis', 'postgres']).default('memory'),
    /** The Redis server of EVENT_BUS=redis (`redis://` or `rediss://`, with credentials if any). */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
    /**
     * Names the bus's Redis channels (prefix) or PostgreSQL NOTIFY channel, so several deployments
     * can share one Redis or database server. @default engram
     */
    EVENT_BUS_CHANNEL: z
      .string()
      .regex(
        /^[a-z_][a-z0-9_]{0,62}$/,
        'must be 1-63 lowercase letters, digits or _ (not starting with a digit)',
      )
      .default('engram'),
    /**
     * EVENT_BUS=postgres: a direct connection to the same database for LISTEN, when DATABASE_URL
     * goes through a transaction-mode pooler (PgBouncer), which LISTEN does not survive.
     * @default DATABASE_URL
     */
    EVENT_BUS_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
    /**
     * The Neo4j server the knowledge graph is mirrored into (bolt://, bolt+s://, bolt+ssc://,
     * neo4j://, neo4j+s:// or neo4j+ssc://); unset leaves the mirror off and writes no outbox rows.
     */
    NEO4J_URL: z
      .url()
      .refine((value) => /^(bolt|neo4j)(\+s|\+ssc)?:\/\//.test(value), {
        message: 'must start with bolt://, bolt+s://, bolt+ssc://, neo4j://, neo4j+s:// or neo4j+ssc://',
      })
      .optional(),
    /** The Neo4j user. @default neo4j */
    NEO4J_USER: z.string().min(1).default('neo4j'),
    /** The Neo4j password (required with NEO4J_URL, or NEO4J_PASSWORD_FILE). */
    NEO4J_PASSWORD: z.string().min(1).optional(),
    /** A file holding the Neo4j password (a mounted secret). */
    NEO4J_PASSWORD_FILE: z.string().min(1).optional(),
    /** The Neo4j database; unset uses the server's default database. */
    NEO4J_DATABASE: z.string().min(1).optional(),
    /** Most outbox changes the mirror sends in one Neo4j transaction. @default 500 */
    NEO4J_MIRROR_BATCH_SIZE: positiveInt(500),
    /** How often the mirror looks for new changes when it has caught up, in milliseconds. @default 500 */
    NEO4J_MIRROR_POLL_MS: positiveInt(500),
    /** Longest wait between two attempts while Neo4j is unreachable (backoff doubles up to it), in milliseconds. @default 30000 */
    NEO4J_MIRROR_MAX_BACKOFF_MS: positiveInt(30_000),
    /**
     * How long a replica's claim to send the mirror lasts without renewal, in milliseconds: after a
     * crash, another replica (or the restarted one) takes over once it lapses. @default 30000
     */
    NEO4J_MIRROR_LEASE_MS: positiveInt(30_000),
    /** Applied outbox changes are deleted after this many hours. @default 24 */
    GRAPH_CHANGE_RETENTION_HOURS: positiveInt(24),
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

    /**
     * Who embeds text: `local` (transformers.js in a worker thread), `openai`, `openai-compatible`
     * (Azure, Ollama, vLLM...), `cohere`, `huggingface`, or `none` (bring your own vectors).
     * @default local
     */
    EMBEDDING_PROVIDER: z
      .enum(['local', 'openai', 'openai-compatible', 'cohere', 'huggingface', 'none'])
      .default('local'),
    /** The model. @default Xenova/all-MiniLM-L6-v2 (local), text-embedding-3-small (openai), embed-english-v3.0 (cohere) */
    EMBEDDING_MODEL: z.string().min(1).optional(),
    /** Local models are read from `<EMBEDDING_MODEL_PATH>/<model id>/`. @default ./models */
    EMBEDDING_MODEL_PATH: z.string().min(1).default('./models'),
    /** Local weights: `q8` (onnx/model_quantized.onnx) or `fp32` (onnx/model.onnx). @default q8 */
    EMBEDDING_DTYPE: z.enum(['q8', 'fp32']).default('q8'),
    /** Download a missing local model from the model hub. @default true */
    EMBEDDING_ALLOW_DOWNLOAD: booleanish.default(true),
    /** Base URL of a hosted provider (required for openai-compatible). */
    EMBEDDING_API_URL: z.url().optional(),
    /** API key of a hosted provider. */
    EMBEDDING_API_KEY: z.string().min(1).optional(),
    /** Azure OpenAI's `api-version` query parameter (openai-compatible). */
    EMBEDDING_API_VERSION: z.string().min(1).optional(),
    /** Ask a hosted model for vectors of this size (OpenAI text-embedding-3). */
    EMBEDDING_DIMENSIONS: z.coerce.number().int().positive().optional(),
    /** Texts embedded per call. @default 32 */
    EMBEDDING_BATCH_SIZE: positiveInt(32),
    /** Longest wait for one embedding call. @default 30000 */
    EMBEDDING_TIMEOUT_MS: positiveInt(30_000),
    /** Texts whose embeddings are kept in memory (LRU). @default 10000 */
    EMBEDDING_CACHE_SIZE: positiveInt(10_000),

    /** Dimension of every vector in the index; must match the embedding model. @default 384 */
    VECTOR_DIMENSIONS: positiveInt(384),
    /** `on`, or `off` to run without semantic search. @default on */
    VECTOR_INDEX: z.enum(['on', 'off']).default('on'),
    /** Folder of the persisted index, or `memory` to rebuild it on every start. @default ./data/vector-index */
    VECTOR_INDEX_PATH: z.string().min(1).default('./data/vector-index'),
    /** Facts in one entity above which it gets an HNSW graph; below, search is exact. @default 16384 */
    VECTOR_HNSW_THRESHOLD: positiveInt(16_384),
    /** HNSW edges per node. @default 16 */
    VECTOR_HNSW_CONNECTIVITY: positiveInt(16),
    /** HNSW candidate list while adding. @default 128 */
    VECTOR_HNSW_EXPANSION_ADD: positiveInt(128),
    /** HNSW candidate list while searching. @default 128 */
    VECTOR_HNSW_EXPANSION_SEARCH: positiveInt(128),
    /** How HNSW graphs store vectors (exact float vectors are kept for re-ranking). @default i8 */
    VECTOR_HNSW_QUANTIZATION: z.enum(['i8', 'f16', 'f32']).default('i8'),
    /** How often the index picks up changes written by other processes. @default 1000 */
    VECTOR_SYNC_INTERVAL_MS: positiveInt(1000),
    /** How often a changed index is saved to disk (always on shutdown). @default 300000 */
    VECTOR_SAVE_INTERVAL_MS: positiveInt(300_000),
    /** How long the change log is kept; an older snapshot is rebuilt. @default 604800000 (7 days) */
    VECTOR_CHANGE_RETENTION_MS: positiveInt(7 * 24 * 3600 * 1000),
    /** `on`: every recorded conversation turn is augmented in the background; `off`: nothing is enqueued. @default on */
    AUGMENTATION: z.enum(['on', 'off']).default('on'),
    /** `local` (rules, no network) or `llm` (the LLM_* provider). @default local */
    AUGMENTATION_EXTRACTOR: z.enum(['local', 'llm']).default('local'),
    /** Jobs this process runs at once; 0 runs none here (use `engram worker` processes). @default 2 */
    AUGMENTATION_CONCURRENCY: z.coerce.number().int().min(0).default(2),
    /** Most jobs claimed per poll. @default 10 */
    AUGMENTATION_BATCH_SIZE: positiveInt(10),
    /** How often idle workers poll the queue. @default 250 */
    AUGMENTATION_POLL_MS: positiveInt(250),
    /** How long a claimed job belongs to its worker before another may take it over (longer than a job may run). @default 300000 */
    AUGMENTATION_LEASE_MS: positiveInt(300_000),
    /** How often a worker renews the heartbeat of its running jobs; a killed worker's jobs are taken over after 5 missed beats. @default 2000 */
    AUGMENTATION_HEARTBEAT_MS: positiveInt(2000),
    /** Runs before a failing job is parked. @default 5 */
    AUGMENTATION_MAX_ATTEMPTS: positiveInt(5),
    /** First retry delay, doubled per attempt. @default 1000 */
    AUGMENTATION_BACKOFF_MS: positiveInt(1000),
    /** Longest one job may take (longer than LLM_TIMEOUT_MS, which starts after the rate limit lets a call go). @default 120000 */
    AUGMENTATION_JOB_TIMEOUT_MS: positiveInt(120_000),
    /** LLM provider for AUGMENTATION_EXTRACTOR=llm. */
    LLM_PROVIDER: z.enum(['openai', 'anthropic', 'google', 'xai', 'bedrock', 'openai-compatible']).optional(),
    /** The model, e.g. gpt-4o-mini, claude-3-5-haiku-latest, gemini-2.0-flash. */
    LLM_MODEL: z.string().min(1).optional(),
    /** The provider's API key (Bedrock: AWS credentials come from the usual AWS variables). */
    LLM_API_KEY: z.string().min(1).optional(),
    /** Base URL (required for openai-compatible: Ollama, vLLM). */
    LLM_BASE_URL: z.url().optional(),
    /** AWS region for Bedrock. */
    LLM_REGION: z.string().min(1).optional(),
    /** Longest wait for one LLM call. @default 60000 */
    LLM_TIMEOUT_MS: positiveInt(60_000),
    /** Retries of a failed LLM call (429, 5xx). @default 2 */
    LLM_MAX_RETRIES: z.coerce.number().int().min(0).default(2),
    /** Most LLM requests per minute; unset is unlimited. */
    LLM_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().optional(),

    /** A new fact this similar (cosine) to one of the entity's facts merges into it; >1 turns it off. @default 0.95 */
    FACT_DEDUPE_SIMILARITY: z.coerce.number().min(-1).max(2).default(0.95),

    /**
     * Masks personal data (PII_REDACTION_KINDS): `storage` masks message and fact content, summaries
     * and triple names before they are written, so the database never holds them; `providers` stores
     * text as given but masks what is sent to an LLM extractor or a hosted embedding provider (the
     * local embedder and extractor get the original); `off` masks nothing. @default off
     */
    PII_REDACTION: z.enum(['off', 'storage', 'providers']).default('off'),
    /** What PII_REDACTION masks, comma-separated: email, iban, card, ssn, ip, phone. @default all of them */
    PII_REDACTION_KINDS: commaList
      .pipe(z.array(z.enum(PII_KINDS)))
      .transform((kinds) => (kinds.length > 0 ? kinds : [...PII_KINDS])),
    /**
     * Regions (ISO 3166 codes) whose national phone formats are recognized, comma-separated;
     * international numbers (+44..., 0044...) are recognized whatever this says. @default US
     */
    PII_REDACTION_PHONE_REGIONS: z
      .string()
      .default('US')
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim().toUpperCase())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z.string().refine(isPhoneRegion, 'is not a region code libphonenumber knows (US, GB, DE...)'),
        ),
      ),
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

/** NEO4J_PASSWORD or the content of NEO4J_PASSWORD_FILE; required with NEO4J_URL. */
function neo4jPassword(
  env: {
    NEO4J_URL?: string | undefined;
    NEO4J_PASSWORD?: string | undefined;
    NEO4J_PASSWORD_FILE?: string | undefined;
  },
  report: (path: string, message: string) => void,
): string | undefined {
  if (env.NEO4J_PASSWORD && env.NEO4J_PASSWORD_FILE)
    report('NEO4J_PASSWORD_FILE', 'set this or NEO4J_PASSWORD, not both');
  let password = env.NEO4J_PASSWORD;
  if (env.NEO4J_PASSWORD_FILE) {
    try {
      password = readFileSync(env.NEO4J_PASSWORD_FILE, 'utf8').trim();
    } catch (error) {
      report(
        'NEO4J_PASSWORD_FILE',
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
  }
  if (env.NEO4J_URL && !password)
    report('NEO4J_PASSWORD', 'is required with NEO4J_URL (or NEO4J_PASSWORD_FILE)');
  return password;
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
