import { type Env, parseEnv } from '../../src/env.ts';

/** The one API key the benchmarked server accepts; every benchmark request sends it. */
export const BENCH_API_KEY = 'engram-bench-key';

/** The Authorization header value for {@link BENCH_API_KEY}. */
export const BENCH_AUTHORIZATION = `Bearer ${BENCH_API_KEY}`;

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
  });
}
