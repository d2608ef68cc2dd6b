import { type Env, parseEnv } from '../../src/env.ts';

/**
 * The configuration the benchmarked server runs with. Development mode (no API keys) makes
 * every request an administrator, as in a local deployment; logs are off so they cost nothing.
 */
export function benchEnv(databaseUrl: string): Env {
  return parseEnv({
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    GRAPHIQL: 'false',
  });
}
