import { type Env, parseEnv } from '../../src/config/environment.ts';

/** The one API key the benchmarked server accepts; every benchmark request sends it. */
export const BENCH_API_KEY = 'engram-bench-key';

/** The Authorization header value for {@link BENCH_API_KEY}. */
export const BENCH_AUTHORIZATION = `Bearer ${BENCH_API_KEY}`;

/**
 * Benchmarks drive thousands of requests a second from one address with one key, far above the
 * production rate limits; the limits are off so the figures measure the server, not the limiter.
 */
export const BENCH_UNLIMITED = { RATE_LIMIT_PER_ADDRESS: '0', RATE_LIMIT_PER_KEY: '0' } as const;

/**
 * The configuration the benchmarked server runs with: production, as deployed (which requires an
 * API key, so each request also pays for checking it); logs are off so they cost nothing.
 * The server processes also run with process.env.NODE_ENV=production, which is what graphql-js,
 * graphql-yoga (and Grafast, for PostGraphile) read to leave their development checks out.
 */
export function benchEnv(databaseUrl: string): Env {
  return parseEnv({
    NODE_ENV: 'production',
    API_KEYS: BENCH_API_KEY,
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    GRAPHIQL: 'false',
    ...BENCH_UNLIMITED,
    // bench/read's comparison runs a second Engram with PLANNED_READS=false; unset keeps the default.
    PLANNED_READS: process.env.PLANNED_READS,
    // bench/read --as entity-token signs tokens with it; unset leaves entity tokens off.
    ENTITY_TOKEN_SECRET: process.env.ENTITY_TOKEN_SECRET,
    // bench/stall runs the server at other limits; unset keeps the defaults.
    MAX_QUERY_NODES: process.env.MAX_QUERY_NODES,
    // bench/graph --fan-out; unset keeps the default.
    GRAPH_MAX_FANOUT: process.env.GRAPH_MAX_FANOUT,
    REQUEST_TIMEOUT_MS: process.env.REQUEST_TIMEOUT_MS,
    // METRICS=off measures the server without its metrics (their cost per request); unset keeps them on.
    METRICS: process.env.METRICS,
    // bench/live opens 10,000 sockets with the one bench key; unset keeps the defaults.
    WS_MAX_SOCKETS_PER_PRINCIPAL: process.env.WS_MAX_SOCKETS_PER_PRINCIPAL,
    WS_INIT_TIMEOUT_MS: process.env.WS_INIT_TIMEOUT_MS,
    // bench/live --processes 2: the cross-process event bus. A build without it drops these
    // (the schema strips unknown names), which bench/live detects by its probe event.
    EVENT_BUS: process.env.EVENT_BUS,
    REDIS_URL: process.env.REDIS_URL,
  });
}

/** The worker settings bench/ingest.ts may pass on to its server (unset ones keep Engram's defaults). */
export const AUGMENTATION_SETTINGS = [
  'AUGMENTATION_CONCURRENCY',
  'AUGMENTATION_BATCH_SIZE',
  'AUGMENTATION_POLL_MS',
  // bench:ingest --mirror: the Bolt test server the mirror sends to.
  'NEO4J_URL',
  'NEO4J_PASSWORD',
  'NEO4J_MIRROR_POLL_MS',
  // bench:ingest --message-index: what indexing a message costs.
  'MESSAGE_INDEX',
] as const;

/**
 * The configuration of a server that also augments (bench/ingest.ts, BENCH_AUGMENTATION=on):
 * {@link benchEnv} plus the local extractor with in-process workers, warnings logged (a failing
 * job says why), no embedding model and an in-memory vector index, as the ingest benchmark runs.
 * `settings` carries the AUGMENTATION_* values of {@link AUGMENTATION_SETTINGS} to use.
 */
export function benchAugmentationEnv(
  databaseUrl: string,
  settings: Partial<Record<(typeof AUGMENTATION_SETTINGS)[number], string>> = {},
): Env {
  return parseEnv({
    NODE_ENV: 'production',
    API_KEYS: BENCH_API_KEY,
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    GRAPHIQL: 'false',
    ...BENCH_UNLIMITED,
    AUGMENTATION: 'on',
    AUGMENTATION_EXTRACTOR: 'local',
    EMBEDDING_PROVIDER: 'none',
    VECTOR_INDEX_PATH: 'memory',
    ...settings,
  });
}
