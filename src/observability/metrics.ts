import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Engram's Prometheus metrics: one registry per Engram (tests run several in one process), the
 * counters and histograms the hot path updates, and gauges read on scrape. Labels hold only
 * bounded values (statement kinds, topics, configured model names, operation names up to a cap),
 * never an entity, a session or a URL.
 */

/** What {@link createMetrics} needs (METRICS, METRICS_TOKEN, METRICS_COLLECT_TIMEOUT_MS). */
export interface MetricsOptions {
  /**
   * A bearer token that may scrape /metrics besides admin API keys, so a scraper needs no key
   * that can read memory. null: admin keys only (and everyone in development mode, as /health).
   * @default null
   */
  token: string | null;
  /** Longest a scrape waits for a figure read from the database or the index thread. @default 2000 */
  collectTimeoutMs: number;
  /** Distinct GraphQL operation names given a label of their own; later ones count as `other`. @default 100 */
  maxOperationNames: number;
}

/** One sample of a gauge read on scrape. */
export interface GaugeSample {
  labels?: Record<string, string>;
  value: number;
}

/** Seconds since a high-resolution start (process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Fast queries are the norm (sub-millisecond on SQLite); slow ones matter up to the request deadline. */
const DB_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Embedding and LLM calls take from milliseconds (cached, local) to a minute (LLM_TIMEOUT_MS). */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The first word of a statement, as a bounded label. */
function statementKind(sql: string): string {
  const word = /^\s*(?:\/\*.*?\*\/\s*)?([A-Za-z]+)/s.exec(sql)?.[1]?.toLowerCase();
  switch (word) {
    case 'select':
    case 'with':
      return 'select';
    case 'insert':
    case 'update':
    case 'delete':
      return word;
    case 'begin':
    case 'commit':
    case 'rollback':
    case 'savepoint':
    case 'release':
    case 'start':
      return 'transaction';
    default:
      return 'other';
  }
}

export type EngramMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  const registers = [registry];
  // Process CPU, memory, event-loop lag, GC: what a request costs shows here first.
  collectDefaultMetrics({ register: registry });

  const dbQueries = new Histogram({
    name: 'engram_db_query_duration_seconds',
    help: 'SQL statements sent to the database, by kind, and how long each took',
    labelNames: ['statement'] as const,
    buckets: DB_BUCKETS,
    registers,
  });
  const embeddingCalls = new Histogram({
    name: 'engram_embedding_call_duration_seconds',
    help: 'Calls to the embedding provider (a batch of texts each), by model and outcome',
    labelNames: ['model', 'outcome'] as const,
    buckets: CALL_BUCKETS,
    registers,
  });
  const embeddingTexts = new Counter({
    name: 'engram_embedding_texts_total',
    help: 'Texts sent to the embedding provider (cache hits are not sent)',
    labelNames: ['model'] as const,
    registers,
  });
  const extractions = new Histogram({
    name: 'engram_extraction_duration_seconds',
    help: 'Augmentation extractor calls (the local rules or one LLM call with its retries), by extractor and outcome',
    labelNames: ['extractor', 'outcome'] as const,
    buckets: CALL_BUCKETS,
    registers,
  });
  const llmTokens = new Counter({
    name: 'engram_llm_tokens_total',
    help: 'Tokens an LLM extractor spent, as its provider reported them, by direction (input, output)',
    labelNames: ['extractor', 'direction'] as const,
    registers,
  });
  const published = new Counter({
    name: 'engram_events_published_total',
    help: 'Events published on this process’s event bus, by topic',
    labelNames: ['topic'] as const,
    registers,
  });
  const delivered = new Counter({
    name: 'engram_events_delivered_total',
    help: 'Events handed to subscriptions, by topic (one event to three subscribers counts three; graphql-ws subscriptions sharing one execution count once)',
    labelNames: ['topic'] as const,
    registers,
  });
  const subscribers = new Gauge({
    name: 'engram_subscribers',
    help: 'Subscriptions listening on the event bus now, by topic (graphql-ws subscriptions sharing one execution count once)',
    labelNames: ['topic'] as const,
    registers,
  });
  const collectFailures = new Counter({
    name: 'engram_metrics_collect_failures_total',
    help: 'Scrapes where a figure could not be read in time (its gauges keep their last value), by source',
    labelNames: ['source'] as const,
    registers,
  });

  /**
   * A gauge whose samples are read when Prometheus scrapes, at most `collectTimeoutMs` late: a
   * database that hangs costs the scrape that long and leaves the last value, never a request.
   */
  const scrapeGauge = (
    source: string,
    definition: { name: string; help: string; labelNames?: readonly string[] },
    read: () => Promise<GaugeSample[]>,
  ): void => {
    new Gauge({
      ...definition,
      labelNames: definition.labelNames ?? [],
      registers,
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), options.collectTimeoutMs);
        });
        const samples = await Promise.race([read().catch(() => null), timeout]);
        clearTimeout(timer);
        if (!samples) {
          collectFailures.inc({ source });
          return;
        }
        // Label sets that disappeared (a status with no job left) read 0, not their last value.
        this.reset();
        for (const sample of samples) {
          if (sample.labels) this.set(sample.labels, sample.value);
          else this.set(sample.value);
        }
      },
    });
  };

  return {
    registry,
    options,
    scrapeGauge,
    /** Every statement Prisma or the planned reads send. */
    observeQuery(sql: string, durationMs: number): void {
      dbQueries.observe({ statement: statementKind(sql) }, durationMs / 1000);
    },
    observeEmbedding(model: string, outcome: 'ok' | 'error', texts: number, seconds: number): void {
      embeddingCalls.observe({ model, outcome }, seconds);
      embeddingTexts.inc({ model }, texts);
    },
    observeExtraction(
      extractor: string,
      outcome: 'ok' | 'error',
      seconds: number,
      usage: { inputTokens: number; outputTokens: number } | null | undefined,
    ): void {
      extractions.observe({ extractor, outcome }, seconds);
      if (usage?.inputTokens) llmTokens.inc({ extractor, direction: 'input' }, usage.inputTokens);
      if (usage?.outputTokens) llmTokens.inc({ extractor, direction: 'output' }, usage.outputTokens);
    },
    eventPublished(topic: string): void {
      published.inc({ topic });
    },
    eventDelivered(topic: string): void {
      delivered.inc({ topic });
    },
    subscribed(topic: string, change: 1 | -1): void {
      subscribers.inc({ topic }, change);
    },
    /** The text exposition, with its content type. */
    async render(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
