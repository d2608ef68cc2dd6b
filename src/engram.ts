import { hostname } from 'node:os';
import { createLlmExtractor } from './augment/extract/llm/index.ts';
import { createLocalExtractor } from './augment/extract/local/index.ts';
import { AugmentationRunner } from './augment/runner.ts';
import type { Extractor } from './augment/types.ts';
import { createEntityTokens, type EntityTokens } from './auth/entity-tokens.ts';
import type { AugmentationConfig, Config, EmbeddingsConfig, SearchIndexConfig } from './config/config.ts';
import { type Db, openDatabase, openReader } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';
import {
  cohereEmbedder,
  huggingFaceEmbedder,
  openAICompatibleEmbedder,
  openAIEmbedder,
} from './embed/hosted/index.ts';
import { createLocalEmbedder } from './embed/local.ts';
import { EmbeddingService } from './embed/service.ts';
import type { Embedder } from './embed/types.ts';
import { createUseLiteEmbedder } from './embed/use-lite.ts';
import { registerScrapeGauges } from './engram-metrics.ts';
import { createPostgresTransport } from './events/postgres-transport.ts';
import { createEventBus, type EngramPubSub, type EventTransport } from './events/pubsub.ts';
import { createRedisTransport } from './events/redis-transport.ts';
import { JobQueue } from './jobs/queue.ts';
import { createNeo4jDriver, GraphMirror } from './mirror/neo4j-mirror.ts';
import {
  type Instruments,
  instrumentEmbedder,
  instrumentEventBus,
  instrumentExtractor,
} from './observability/instrument.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type EngramMetrics } from './observability/metrics.ts';
import { startTracing, type Tracing } from './observability/tracing.ts';
import { createRedactor } from './redact/index.ts';
import { SearchIndex } from './search/search-index.ts';
import { type ServiceDeps, serviceDeps, type TextMask } from './services/deps.ts';
import { PREDICATES } from './services/predicates.ts';
import { startRetention } from './services/retention.ts';

/**
 * The composition root: every part of Engram is built here, from the configuration, and stopped
 * here, in order. The CLI commands, the test server and the benchmarks all start Engram through
 * {@link createEngram}; the HTTP app (app.ts) only serves what it is given.
 */

/** What a process built with {@link createEngram} is for. */
export type EngramRole =
  /** The API server: runs augmentation jobs here unless AUGMENTATION_CONCURRENCY=0. */
  | 'serve'
  /** `engram worker`: runs augmentation jobs (at least one at a time) and serves nothing. */
  | 'worker'
  /** A one-off command (reindex, export...): nothing runs in the background. */
  | 'tool';

export interface EngramOptions {
  /** @default 'serve' */
  role?: EngramRole;
  /** @default a logger at LOG_LEVEL */
  logger?: Logger;
  /** Replaces the configured embedding provider (null: none). @default the one EMBEDDING_PROVIDER names */
  embedder?: Embedder | null;
  /** Vectors the embedding cache keeps with a replaced embedder. @default EMBEDDING_CACHE_SIZE */
  embeddingCacheSize?: number;
  /** Replaces the configured extractor. @default the one AUGMENTATION_EXTRACTOR names */
  extractor?: Extractor;
  /** Sees every SQL statement sent through the writer and the reader (tests count them). */
  onQuery?: (sql: string) => void;
}

export interface Engram {
  config: Config;
  logger: Logger;
  /** Writes (services, transactions). */
  db: Db;
  /** Reads outside transactions: a read-only connection on SQLite, the same pool elsewhere. */
  reader: Db;
  /** The event bus: this process's only (EVENT_BUS=memory), or shared through Redis or PostgreSQL. */
  events: EngramPubSub;
  /** Embeds text; disabled (not null) when EMBEDDING_PROVIDER=none. */
  embeddings: EmbeddingService;
  /** null when VECTOR_INDEX=off. */
  index: SearchIndex | null;
  /** null when AUGMENTATION=off. */
  jobs: JobQueue | null;
  /** This process's augmentation runner; null when augmentation is off or runs elsewhere. */
  runner: AugmentationRunner | null;
  /** What the memory services (and so the GraphQL resolvers) are given. */
  services: ServiceDeps;
  /** Issues and verifies entity tokens (and verifies the identity provider's). */
  tokens: EntityTokens;
  /**
   * The Neo4j mirror; null when NEO4J_URL is unset. Built in every role (tools report its status);
   * it sends changes only in serve and worker processes once started.
   */
  mirror: GraphMirror | null;
  /** Prometheus metrics (served at /metrics by the app); null when METRICS=off or in a tool. */
  metrics: EngramMetrics | null;
  /** The OpenTelemetry provider; null unless OTEL_EXPORTER_OTLP_ENDPOINT is set (and not in a tool). */
  tracing: Tracing | null;
  /**
   * Starts the background parts: the embedding model loads, the search index loads or builds, the
   * runner starts claiming jobs. With `wait`, resolves once the model has loaded (or failed to) and
   * the index is searchable; otherwise at once (semantic queries answer INDEX_NOT_READY meanwhile).
   * A tool-role process starts nothing: its command drives the parts itself.
   */
  start(options?: { wait?: boolean }): Promise<void>;
  /** Stops the runner (letting jobs finish, up to SHUTDOWN_TIMEOUT_MS), then the index, the model, the database and tracing. */
  stop(): Promise<void>;
}

/**
 * The embedding provider the configuration selects; null for EMBEDDING_PROVIDER=none. `mask` is
 * applied to what a hosted provider is sent (the local model keeps the text on this machine).
 */
export function createEmbedder(config: EmbeddingsConfig | null, mask?: TextMask): Embedder | null {
  if (!config) return null;
  if (config.provider === 'local') return createLocalEmbedder(config.local);
  if (config.provider === 'use-lite') return createUseLiteEmbedder(config.useLite);
  const { model, apiKey, baseUrl, apiVersion, dimensions, timeoutMs } = config.hosted;
  const hosted = { model, apiKey, baseUrl, timeoutMs, dimensions, mask };
  switch (config.provider) {
    case 'openai':
      return openAIEmbedder(hosted);
    case 'openai-compatible':
      return openAICompatibleEmbedder({
        ...hosted,
        // environment.ts requires EMBEDDING_API_URL for openai-compatible.
        baseUrl: baseUrl as string,
        // Azure OpenAI takes the key in `api-key` and needs its api-version on every call.
        ...(apiVersion ? { apiKeyHeader: 'api-key', queryParams: { 'api-version': apiVersion } } : {}),
      });
    case 'cohere':
      return cohereEmbedder(hosted);
    case 'huggingface':
      return huggingFaceEmbedder({ apiKey, endpointUrl: baseUrl, timeoutMs, model, mask });
  }
}

/**
 * The extractor the configuration selects. `mask` is applied to what an LLM is sent (the local
 * extractor keeps the text on this machine).
 */
export function createExtractor(
  config: AugmentationConfig['extractor'],
  logger: Logger,
  mask?: TextMask,
): Extractor {
  if (config.kind === 'local') return createLocalExtractor();
  return createLlmExtractor({
    ...config.llm,
    mask,
    logger: logger.child({ component: 'llm-extractor' }),
    // The vocabulary supersession knows, so an LLM's triples replace each other as the rules' do.
    predicates: PREDICATES.map((predicate) => predicate.name),
  });
}

/** How events cross processes; null keeps them in this one. */
function createEventTransport(config: Config['eventBus'], logger: Logger): EventTransport | null {
  if (!config) return null;
  const options = {
    url: config.url,
    channel: config.channel,
    logger: logger.child({ component: 'event-bus' }),
  };
  return config.kind === 'redis' ? createRedisTransport(options) : createPostgresTransport(options);
}

/** The queue, leased under a name unique to this process. */
function createJobQueue(config: AugmentationConfig['queue'], db: Db): JobQueue {
  return new JobQueue(db, {
    ...config,
    owner: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
  });
}

/**
 * The search index, not yet started. It reads through `reader` and prunes the change log through
 * `writer` (on SQLite the reader is a read-only connection that cannot).
 */
function createSearchIndex(
  config: SearchIndexConfig,
  parts: { reader: Db; writer: Db; logger: Logger; embeddings: EmbeddingService },
): SearchIndex {
  return new SearchIndex(parts.reader, {
    ...config,
    model: parts.embeddings.status().model,
    logger: parts.logger.child({ component: 'vector-index' }),
    pruner: parts.writer,
    // An entity erased by any process leaves this process's embedding cache too.
    onTextsDropped: (texts) => parts.embeddings.forget(texts),
  });
}

/** Applies pending migrations (`engram migrate`, and every start unless MIGRATE_ON_START=false). */
export async function migrate(database: Config['database'], logger: Logger): Promise<void> {
  const result = await migrateDatabase(database.url, {
    provider: database.provider,
    log: (message) => logger.info(message),
  });
  logger.info(
    { applied: result.applied.length, alreadyApplied: result.alreadyApplied },
    'database is up to date',
  );
}

/**
 * Builds Engram from its configuration: migrates the database (unless MIGRATE_ON_START=false),
 * opens it, and builds the embeddings, the search index, the job queue and runner and the event
 * bus. Nothing runs until {@link Engram.start}.
 */
export async function createEngram(config: Config, options: EngramOptions = {}): Promise<Engram> {
  const role = options.role ?? 'serve';
  const logger = options.logger ?? createLogger(config.log);
  const { database } = config;
  if (database.migrateOnStart) await migrate(database, logger);
  // Before the database opens, so Prisma's operations are traced from the first one. A one-off
  // command reports nothing: it would only add a collector's address to every CLI run.
  const tracing = config.tracing && role !== 'tool' ? startTracing(config.tracing) : null;
  const metrics = config.metrics && role !== 'tool' ? createMetrics(config.metrics) : null;
  const instruments: Instruments = { metrics, tracer: tracing?.tracer ?? null };
  const onQuery =
    metrics || options.onQuery
      ? (sql: string, durationMs: number) => {
          options.onQuery?.(sql);
          metrics?.observeQuery(sql, durationMs);
        }
      : undefined;
  const databaseOptions = {
    url: database.url,
    provider: database.provider,
    pool: database.pool,
    onQuery,
    onConnectionError: (error: Error) =>
      logger.warn({ err: error }, 'database connection lost; the pool will reconnect'),
  };
  const db = await openDatabase(databaseOptions).catch(async (error: unknown) => {
    // Unregistered again, so a retry (or another Engram in this process) may register its own.
    await tracing?.shutdown();
    throw error;
  });
  const reader = await openReader(db, databaseOptions).catch(async (error: unknown) => {
    await db.$disconnect();
    await tracing?.shutdown();
    throw error;
  });
  const events = instrumentEventBus(createEventBus(createEventTransport(config.eventBus, logger)), metrics);
  // PII_REDACTION: masked before storage (the services), or before text leaves for a provider.
  const redactor = config.redaction ? createRedactor(config.redaction.redactor) : null;
  const storageMask = config.redaction?.mode === 'storage' ? (redactor?.mask ?? null) : null;
  const providerMask = config.redaction?.mode === 'providers' ? redactor?.mask : undefined;
  const embedder =
    options.embedder !== undefined ? options.embedder : createEmbedder(config.embeddings, providerMask);
  const embeddings = new EmbeddingService({
    embedder: embedder ? instrumentEmbedder(embedder, instruments) : null,
    logger: logger.child({ component: 'embeddings' }),
    cacheSize: options.embeddingCacheSize ?? config.embeddings?.cacheSize ?? config.env.EMBEDDING_CACHE_SIZE,
  });
  const index = config.searchIndex
    ? createSearchIndex(config.searchIndex, { reader, writer: db, logger, embeddings })
    : null;
  const services = serviceDeps(
    config.memory,
    { db, reader, events, embeddings, index, storageMask },
    { eraseByEntityToken: config.access.eraseByEntityToken },
    config.mirror !== null,
  );
  const augmentation = config.augmentation;
  const jobs = augmentation ? createJobQueue(augmentation.queue, db) : null;
  const concurrency =
    role === 'worker'
      ? Math.max(1, augmentation?.runner.concurrency ?? 0)
      : (augmentation?.runner.concurrency ?? 0);
  const runner =
    augmentation && jobs && role !== 'tool' && concurrency > 0
      ? new AugmentationRunner(
          services,
          jobs,
          instrumentExtractor(
            options.extractor ?? createExtractor(augmentation.extractor, logger, providerMask),
            instruments,
          ),
          { ...augmentation.runner, concurrency },
          logger.child({ component: 'augmentation' }),
        )
      : null;
  // A recorded turn wakes this process's runner at once (other processes find the job by polling).
  if (augmentation) services.augmentation = { wake: () => runner?.wake() };

  const tokens = createEntityTokens(config.access.entityTokens, config.access.identityProvider);
  if (tokens.ephemeralSecret && role === 'serve') {
    logger.warn(
      'ENTITY_TOKEN_SECRET is not set: entity tokens are signed with a random secret, so other replicas refuse them and they die with this process',
    );
  }

  const mirror = config.mirror
    ? new GraphMirror(
        db,
        createNeo4jDriver(config.mirror),
        config.mirror,
        logger.child({ component: 'mirror' }),
      )
    : null;
  if (metrics) registerScrapeGauges(metrics, { db, reader, jobs, index, mirror, embeddings });
  let retention: { stop(): Promise<void> } | null = null;
  let stopped: Promise<void> | null = null;
  return {
    config,
    logger,
    db,
    reader,
    events,
    embeddings,
    index,
    jobs,
    runner,
    services,
    tokens,
    mirror,
    metrics,
    tracing,
    async start({ wait = false } = {}) {
      if (role === 'tool') return;
      // Subscriptions and the worker's events need the bus: a start fails if it cannot connect.
      await events.ready();
      // Without a model the server still serves, and says so in /health.
      embeddings.start();
      if (wait && embeddings.status().state !== 'disabled') {
        await embeddings.embed(['warm-up'], 'query').catch(() => {});
      }
      const indexStarted = index?.start();
      if (wait) await indexStarted;
      // Its failure is reported by the index's status (and /health), not thrown here.
      else indexStarted?.catch(() => {});
      runner?.start();
      mirror?.start();
      if (config.retention) {
        retention = startRetention(services, config.retention.policy, {
          intervalMs: config.retention.intervalMs,
          logger: logger.child({ component: 'retention' }),
        });
      }
    },
    stop() {
      stopped ??= (async () => {
        await retention?.stop();
        await runner?.stop(config.server.shutdownTimeoutMs);
        await mirror?.stop();
        await index?.close();
        await embeddings.close();
        // After the runner: the events of its last jobs are sent first.
        await events.close();
        await db.$disconnect();
        if (reader !== db) await reader.$disconnect();
        await tracing?.shutdown();
      })();
      return stopped;
    },
  };
}
