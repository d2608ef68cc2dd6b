import path from 'node:path';
import type { ApiKey } from '../auth/api-keys.ts';
import type { EntityTokenOptions, IdentityProviderOptions } from '../auth/entity-tokens.ts';
import type { PoolOptions, Provider } from '../db/client.ts';
import { DEFAULT_LOCAL_MODEL, type LocalEmbedderOptions } from '../embed/local.ts';
import { USE_LITE_DIMENSIONS, type UseLiteEmbedderOptions } from '../embed/use-lite.ts';
import type { MirrorOptions } from '../mirror/neo4j-mirror.ts';
import type { LogOptions } from '../observability/logger.ts';
import type { MetricsOptions } from '../observability/metrics.ts';
import type { TracingOptions } from '../observability/tracing.ts';
import type { RedactorOptions } from '../redact/index.ts';
import type { MemorySettings } from '../services/deps.ts';
import type { GraphSettings } from '../services/graph.ts';
import { type RetentionPolicy, retains } from '../services/retention.ts';
import { databaseProvider, type Env, parseEnv } from './environment.ts';

/**
 * Engram's configuration by concern, built once from the parsed environment (environment.ts, whose
 * variable names and defaults are the README's contract). Each module receives its own section; a
 * feature that is turned off is `null`, so "is it on?" and "with what settings?" are one question.
 */
export interface Config {
  /** The environment this was built from (what the README's table documents). */
  env: Env;
  mode: Env['NODE_ENV'];
  log: LogOptions;
  server: ServerConfig;
  database: DatabaseConfig;
  access: AccessConfig;
  http: HttpConfig;
  graphql: GraphqlConfig;
  /** The knowledge graph's traversal limits. */
  graph: GraphSettings;
  memory: MemoryConfig;
  /** null: EMBEDDING_PROVIDER=none (callers bring their own vectors). */
  embeddings: EmbeddingsConfig | null;
  /** null: VECTOR_INDEX=off (no semantic search). */
  searchIndex: SearchIndexConfig | null;
  /** null: AUGMENTATION=off (nothing is enqueued). */
  augmentation: AugmentationConfig | null;
  /** null: every RETENTION_*_DAYS is 0 (everything is kept). */
  retention: RetentionConfig | null;
  /** null: PII_REDACTION=off (nothing is masked). */
  redaction: RedactionConfig | null;
  /** null: NEO4J_URL unset (no mirror, no outbox rows). */
  mirror: MirrorOptions | null;
  /** null: EVENT_BUS=memory (subscribers hear this process's events only). */
  eventBus: EventBusConfig | null;
  /** null: METRICS=off (nothing measured, /metrics answers 404). */
  metrics: MetricsOptions | null;
  /** null: no OTEL_EXPORTER_OTLP_ENDPOINT (no spans). */
  tracing: TracingOptions | null;
  /** null: MCP=off (no /mcp, no `engram mcp`). */
  mcp: McpConfig | null;
  /** null: neither PROXY_OPENAI_BASE_URL nor PROXY_ANTHROPIC_BASE_URL (the /v1 routes answer 404). */
  proxy: ProxyConfig | null;
}

/** The MCP server (src/mcp/). */
export interface McpConfig {
  /** The HTTP path of the stateless Streamable HTTP transport. @default /mcp */
  path: string;
  /** What `engram mcp` (stdio) authenticates as (MCP_TOKEN); null: an administrator, as the CLI. @default null */
  stdioToken: string | null;
}

/** One upstream LLM API the proxy forwards to. */
export interface ProxyUpstream {
  baseUrl: string;
  /** Sent upstream unless the caller's own key is passed through. */
  apiKey: string | null;
}

/** The LLM proxy (src/proxy/): where it forwards, what it injects, how long it waits. */
export interface ProxyConfig {
  /** null: `POST /v1/chat/completions` answers 404. */
  openai: ProxyUpstream | null;
  /** null: `POST /v1/messages` answers 404. */
  anthropic: ProxyUpstream | null;
  passThroughKeys: boolean;
  memory: 'off' | 'facts' | 'facts_and_triples';
  topK: number;
  maxTokens: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  totalTimeoutMs: number;
  defaultProcess: string;
}

/** A bus between processes (EVENT_BUS=redis or postgres). */
export interface EventBusConfig {
  kind: 'redis' | 'postgres';
  /** REDIS_URL, or EVENT_BUS_DATABASE_URL / DATABASE_URL. */
  url: string;
  /** @default engram */
  channel: string;
}

export interface RetentionConfig {
  policy: RetentionPolicy;
  /** How often the background task runs. @default 3600000 */
  intervalMs: number;
}

export interface RedactionConfig {
  /**
   * `storage`: masked before it is written (messages, summaries, facts, triple names);
   * `providers`: stored as given, masked in what is sent to an LLM extractor or a hosted embedder.
   */
  mode: 'storage' | 'providers';
  redactor: RedactorOptions;
}

export interface AccessConfig {
  /** API keys with their roles; none is development mode (full access for everyone). */
  apiKeys: ApiKey[];
  entityTokens: EntityTokenOptions;
  /** null: no JWKS_URL (only Engram's own entity tokens are accepted). */
  identityProvider: IdentityProviderOptions | null;
  /** Record entity tokens' queries in the audit log (AUDIT_READS). @default false */
  auditReads: boolean;
  /** An entity token with WRITE may erase its own entity (ERASE_BY_ENTITY_TOKEN). @default false */
  eraseByEntityToken: boolean;
}

export interface ServerConfig {
  /** @default all interfaces */
  host: string | undefined;
  /** @default 4000 */
  port: number;
  graphiql: boolean;
  /** The graph explorer page at /explorer (EXPLORER). @default GRAPHIQL */
  explorer: boolean;
  /** Time open requests, sockets and running jobs get on shutdown. @default 10000 */
  shutdownTimeoutMs: number;
}

export interface DatabaseConfig {
  url: string;
  provider: Provider;
  pool: PoolOptions;
  /** @default true */
  migrateOnStart: boolean;
}

export interface HttpConfig {
  maxRequestBytes: number;
  corsOrigins: string[];
  allowedHosts: string[];
  trustProxy: boolean;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Per minute; 0 turns a limit off. */
  rateLimits: { perAddress: number; perKey: number; authFailures: number };
  websocket: {
    initTimeoutMs: number;
    maxOperationsPerSocket: number;
    maxSocketsPerPrincipal: number;
    maxUnsentBytes: number;
  };
}

export interface GraphqlConfig {
  maxPageSize: number;
  maxDepth: number;
  maxAliases: number;
  maxNodes: number;
  maxQueryLength: number;
  maxQueryTokens: number;
  maxVariableListLength: number;
  parseCacheBytes: number;
  /** Longest a query or mutation (or one subscription event) may run. */
  requestTimeoutMs: number;
  /** PostgreSQL: one planned SQL statement per read document. */
  plannedReads: boolean;
}

/** The memory services' limits and semantic settings. */
export type MemoryConfig = MemorySettings;

/** A hosted embedding API's connection settings. */
export interface HostedEmbeddingsConfig {
  model: string;
  apiKey: string | undefined;
  baseUrl: string | undefined;
  apiVersion: string | undefined;
  dimensions: number | undefined;
  timeoutMs: number;
}

export type EmbeddingsConfig = { cacheSize: number } & (
  | { provider: 'local'; local: LocalEmbedderOptions }
  | { provider: 'use-lite'; useLite: UseLiteEmbedderOptions }
  | { provider: 'openai' | 'openai-compatible' | 'cohere' | 'huggingface'; hosted: HostedEmbeddingsConfig }
);

export interface SearchIndexConfig {
  /** Folder of the persisted index; null keeps it in memory (rebuilt on every start). */
  dir: string | null;
  dimension: number;
  hnswThreshold: number;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  quantization: Env['VECTOR_HNSW_QUANTIZATION'];
  syncIntervalMs: number;
  saveIntervalMs: number;
  /** How long a hole in the change log (an uncommitted id) is waited for before it is skipped. */
  gapGraceMs: number;
  retentionMs: number;
}

export interface LlmConfig {
  provider: NonNullable<Env['LLM_PROVIDER']>;
  model: string;
  apiKey: string | undefined;
  baseUrl: string | undefined;
  region: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  rateLimitPerMinute: number | undefined;
}

export interface AugmentationConfig {
  extractor: { kind: 'local' } | { kind: 'llm'; llm: LlmConfig };
  /** How a process runs jobs (its runner). */
  runner: {
    /** Jobs this process runs at once; 0 runs none here (`engram worker` processes do). */
    concurrency: number;
    batchSize: number;
    pollMs: number;
    jobTimeoutMs: number;
  };
  /** How jobs are leased and retried (the queue). */
  queue: { leaseMs: number; heartbeatMs: number; maxAttempts: number; backoffMs: number };
}

/** The local model's options (the local provider, and `engram models` whatever the provider). */
export function localModelOptions(env: Env): LocalEmbedderOptions {
  return {
    modelId: env.EMBEDDING_MODEL ?? DEFAULT_LOCAL_MODEL,
    modelPath: env.EMBEDDING_MODEL_PATH,
    dtype: env.EMBEDDING_DTYPE,
    allowDownload: env.EMBEDDING_ALLOW_DOWNLOAD,
    batchSize: env.EMBEDDING_BATCH_SIZE,
    timeoutMs: env.EMBEDDING_TIMEOUT_MS,
  };
}

const HOSTED_DEFAULT_MODEL = {
  openai: 'text-embedding-3-small',
  'openai-compatible': 'text-embedding-3-small',
  cohere: 'embed-english-v3.0',
  huggingface: 'sentence-transformers/all-MiniLM-L6-v2',
} as const;

/** VECTOR_DIMENSIONS, or the dimension of the provider's default model when it is not set. */
export function vectorDimensions(env: Env): number {
  return env.VECTOR_DIMENSIONS ?? (env.EMBEDDING_PROVIDER === 'use-lite' ? USE_LITE_DIMENSIONS : 384);
}

function embeddingsConfig(env: Env): EmbeddingsConfig | null {
  const provider = env.EMBEDDING_PROVIDER;
  if (provider === 'none') return null;
  if (provider === 'use-lite') {
    return {
      provider,
      cacheSize: env.EMBEDDING_CACHE_SIZE,
      useLite: { batchSize: env.EMBEDDING_BATCH_SIZE, timeoutMs: env.EMBEDDING_TIMEOUT_MS },
    };
  }
  if (provider === 'local')
    return { provider, cacheSize: env.EMBEDDING_CACHE_SIZE, local: localModelOptions(env) };
  return {
    provider,
    cacheSize: env.EMBEDDING_CACHE_SIZE,
    hosted: {
      model: env.EMBEDDING_MODEL ?? HOSTED_DEFAULT_MODEL[provider],
      apiKey: env.EMBEDDING_API_KEY,
      baseUrl: env.EMBEDDING_API_URL,
      apiVersion: env.EMBEDDING_API_VERSION,
      dimensions: env.EMBEDDING_DIMENSIONS,
      timeoutMs: env.EMBEDDING_TIMEOUT_MS,
    },
  };
}

function augmentationConfig(env: Env): AugmentationConfig | null {
  if (env.AUGMENTATION === 'off') return null;
  return {
    extractor:
      env.AUGMENTATION_EXTRACTOR === 'local'
        ? { kind: 'local' }
        : {
            kind: 'llm',
            llm: {
              // environment.ts refuses AUGMENTATION_EXTRACTOR=llm without both.
              provider: env.LLM_PROVIDER as LlmConfig['provider'],
              model: env.LLM_MODEL as string,
              apiKey: env.LLM_API_KEY,
              baseUrl: env.LLM_BASE_URL,
              region: env.LLM_REGION,
              timeoutMs: env.LLM_TIMEOUT_MS,
              maxRetries: env.LLM_MAX_RETRIES,
              rateLimitPerMinute: env.LLM_RATE_LIMIT_PER_MINUTE,
            },
          },
    runner: {
      concurrency: env.AUGMENTATION_CONCURRENCY,
      batchSize: env.AUGMENTATION_BATCH_SIZE,
      pollMs: env.AUGMENTATION_POLL_MS,
      jobTimeoutMs: env.AUGMENTATION_JOB_TIMEOUT_MS,
    },
    queue: {
      leaseMs: env.AUGMENTATION_LEASE_MS,
      heartbeatMs: env.AUGMENTATION_HEARTBEAT_MS,
      maxAttempts: env.AUGMENTATION_MAX_ATTEMPTS,
      backoffMs: env.AUGMENTATION_BACKOFF_MS,
    },
  };
}

/** The configuration by concern, from an already parsed environment. */
export function configFromEnv(env: Env): Config {
  return {
    env,
    mode: env.NODE_ENV,
    log: { level: env.LOG_LEVEL },
    server: {
      host: env.HOST,
      port: env.PORT,
      graphiql: env.GRAPHIQL,
      explorer: env.EXPLORER,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    },
    database: {
      url: env.DATABASE_URL,
      provider: databaseProvider(env),
      pool: {
        size: env.DATABASE_POOL_SIZE,
        connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
        idleTimeoutMs: env.DATABASE_IDLE_TIMEOUT_MS,
        preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
        statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS ?? env.REQUEST_TIMEOUT_MS,
      },
      migrateOnStart: env.MIGRATE_ON_START,
    },
    access: {
      apiKeys: env.apiKeys,
      entityTokens: {
        secret: env.entityTokenSecret ? new TextEncoder().encode(env.entityTokenSecret) : null,
        defaultTtlSeconds: Math.min(env.ENTITY_TOKEN_TTL_SECONDS, env.ENTITY_TOKEN_MAX_TTL_SECONDS),
        maxTtlSeconds: env.ENTITY_TOKEN_MAX_TTL_SECONDS,
      },
      identityProvider:
        env.JWKS_URL && env.JWT_ISSUER && env.JWT_AUDIENCE
          ? {
              jwksUrl: env.JWKS_URL,
              issuer: env.JWT_ISSUER,
              audience: env.JWT_AUDIENCE,
              entityClaim: env.JWT_ENTITY_CLAIM,
              scopes: env.JWT_SCOPES,
            }
          : null,
      auditReads: env.AUDIT_READS,
      eraseByEntityToken: env.ERASE_BY_ENTITY_TOKEN,
    },
    http: {
      maxRequestBytes: env.MAX_REQUEST_BYTES,
      corsOrigins: env.CORS_ORIGINS,
      allowedHosts: env.ALLOWED_HOSTS,
      trustProxy: env.TRUST_PROXY,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      rateLimits: {
        perAddress: env.RATE_LIMIT_PER_ADDRESS,
        perKey: env.RATE_LIMIT_PER_KEY,
        authFailures: env.RATE_LIMIT_AUTH_FAILURES,
      },
      websocket: {
        initTimeoutMs: env.WS_INIT_TIMEOUT_MS,
        maxOperationsPerSocket: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
        maxSocketsPerPrincipal: env.WS_MAX_SOCKETS_PER_PRINCIPAL,
        maxUnsentBytes: env.WS_MAX_UNSENT_BYTES,
      },
    },
    graphql: {
      maxPageSize: env.MAX_PAGE_SIZE,
      maxDepth: env.MAX_QUERY_DEPTH,
      maxAliases: env.MAX_ALIASES,
      maxNodes: env.MAX_QUERY_NODES,
      maxQueryLength: env.MAX_QUERY_LENGTH,
      maxQueryTokens: env.MAX_QUERY_TOKENS,
      maxVariableListLength: env.MAX_VARIABLE_LIST_LENGTH,
      parseCacheBytes: env.PARSE_CACHE_BYTES,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      plannedReads: env.PLANNED_READS,
    },
    graph: { maxDepth: env.GRAPH_MAX_DEPTH, maxFanOut: env.GRAPH_MAX_FANOUT },
    memory: {
      maxContentLength: env.MAX_CONTENT_LENGTH,
      maxItemsPerCall: env.MAX_ITEMS_PER_CALL,
      dimension: vectorDimensions(env),
      dedupeSimilarity: env.FACT_DEDUPE_SIMILARITY,
      messageIndex: env.MESSAGE_INDEX,
    },
    embeddings: embeddingsConfig(env),
    searchIndex:
      env.VECTOR_INDEX === 'off'
        ? null
        : {
            dir: env.VECTOR_INDEX_PATH === 'memory' ? null : path.resolve(env.VECTOR_INDEX_PATH),
            dimension: vectorDimensions(env),
            hnswThreshold: env.VECTOR_HNSW_THRESHOLD,
            connectivity: env.VECTOR_HNSW_CONNECTIVITY,
            expansionAdd: env.VECTOR_HNSW_EXPANSION_ADD,
            expansionSearch: env.VECTOR_HNSW_EXPANSION_SEARCH,
            quantization: env.VECTOR_HNSW_QUANTIZATION,
            syncIntervalMs: env.VECTOR_SYNC_INTERVAL_MS,
            saveIntervalMs: env.VECTOR_SAVE_INTERVAL_MS,
            gapGraceMs: 60_000,
            retentionMs: env.VECTOR_CHANGE_RETENTION_MS,
          },
    augmentation: augmentationConfig(env),
    retention: retentionConfig(env),
    mirror:
      env.NEO4J_URL && env.neo4jPassword
        ? {
            url: env.NEO4J_URL,
            user: env.NEO4J_USER,
            password: env.neo4jPassword,
            database: env.NEO4J_DATABASE ?? null,
            batchSize: env.NEO4J_MIRROR_BATCH_SIZE,
            pollMs: env.NEO4J_MIRROR_POLL_MS,
            maxBackoffMs: env.NEO4J_MIRROR_MAX_BACKOFF_MS,
            leaseMs: env.NEO4J_MIRROR_LEASE_MS,
            retentionMs: env.GRAPH_CHANGE_RETENTION_HOURS * 3_600_000,
          }
        : null,
    eventBus:
      env.EVENT_BUS === 'memory'
        ? null
        : {
            kind: env.EVENT_BUS,
            // environment.ts requires REDIS_URL for redis.
            url:
              env.EVENT_BUS === 'redis'
                ? (env.REDIS_URL as string)
                : (env.EVENT_BUS_DATABASE_URL ?? env.DATABASE_URL),
            channel: env.EVENT_BUS_CHANNEL,
          },
    mcp: env.MCP === 'off' ? null : { path: '/mcp', stdioToken: env.MCP_TOKEN ?? null },
    metrics:
      env.METRICS === 'off'
        ? null
        : {
            token: env.METRICS_TOKEN ?? null,
            collectTimeoutMs: env.METRICS_COLLECT_TIMEOUT_MS,
            maxOperationNames: env.METRICS_MAX_OPERATION_NAMES,
          },
    tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
          headers: env.OTEL_EXPORTER_OTLP_HEADERS,
          serviceName: env.OTEL_SERVICE_NAME,
        }
      : null,
    proxy: proxyConfig(env),
    redaction:
      env.PII_REDACTION === 'off'
        ? null
        : {
            mode: env.PII_REDACTION,
            redactor: { kinds: env.PII_REDACTION_KINDS, phoneRegions: env.PII_REDACTION_PHONE_REGIONS },
          },
  };
}

function proxyConfig(env: Env): ProxyConfig | null {
  const upstream = (baseUrl: string | undefined, apiKey: string | undefined): ProxyUpstream | null =>
    baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, ''), apiKey: apiKey ?? null } : null;
  const openai = upstream(env.PROXY_OPENAI_BASE_URL, env.PROXY_OPENAI_API_KEY);
  const anthropic = upstream(env.PROXY_ANTHROPIC_BASE_URL, env.PROXY_ANTHROPIC_API_KEY);
  if (!openai && !anthropic) return null;
  return {
    openai,
    anthropic,
    passThroughKeys: env.PROXY_PASS_THROUGH_KEYS,
    memory: env.PROXY_MEMORY,
    topK: env.PROXY_MEMORY_TOP_K,
    maxTokens: env.PROXY_MEMORY_MAX_TOKENS,
    connectTimeoutMs: env.PROXY_CONNECT_TIMEOUT_MS,
    firstByteTimeoutMs: env.PROXY_FIRST_BYTE_TIMEOUT_MS,
    totalTimeoutMs: env.PROXY_TOTAL_TIMEOUT_MS,
    defaultProcess: env.PROXY_DEFAULT_PROCESS,
  };
}

function retentionConfig(env: Env): RetentionConfig | null {
  const days = (value: number) => (value > 0 ? value : null);
  const policy: RetentionPolicy = {
    messagesDays: days(env.RETENTION_MESSAGES_DAYS),
    conversationsDays: days(env.RETENTION_CONVERSATIONS_DAYS),
    factsUnmentionedDays: days(env.RETENTION_FACTS_UNMENTIONED_DAYS),
    jobsDays: days(env.RETENTION_JOBS_DAYS),
    auditDays: days(env.RETENTION_AUDIT_DAYS),
    batchSize: env.RETENTION_BATCH_SIZE,
  };
  return retains(policy) ? { policy, intervalMs: env.RETENTION_INTERVAL_MS } : null;
}

/** Parses the environment (every problem at once, as a ConfigError) and builds the configuration. */
export function loadConfig(source: Record<string, string | undefined>): Config {
  return configFromEnv(parseEnv(source));
}
