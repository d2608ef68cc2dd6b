#!/usr/bin/env node
import { Command } from 'commander';
import { buildApp } from './app.ts';
import { openDatabase, openReader } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';
import { ConfigError, databaseProvider, type Env, parseEnv, poolOptions } from './env.ts';
import { createLogger, type Logger } from './observability/logger.ts';

/** Reads the configuration or exits 1 listing every problem. */
function loadEnv(): Env {
  try {
    return parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function migrate(env: Env, logger: Logger): Promise<void> {
  const result = await migrateDatabase(env.DATABASE_URL, {
    provider: databaseProvider(env),
    log: (message) => logger.info(message),
  });
  logger.info(
    { applied: result.applied.length, alreadyApplied: result.alreadyApplied },
    'database is up to date',
  );
}

async function serve(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger(env);
  const provider = databaseProvider(env);
  if (env.MIGRATE_ON_START) await migrate(env, logger);
  const databaseOptions = {
    url: env.DATABASE_URL,
    provider,
    pool: poolOptions(env),
    onConnectionError: (error: Error) =>
      logger.warn({ err: error }, 'database connection lost; the pool will reconnect'),
  };
  const db = await openDatabase(databaseOptions);
  const reader = await openReader(db, databaseOptions);
  const app = buildApp({ env, db, reader, logger });
  const port = await app.start().catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
    logger.fatal(`cannot listen on port ${env.PORT} (${error.code}): set PORT to a free port`);
    process.exit(1);
  });
  const shown = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST;
  logger.info(
    {
      port,
      database: provider,
      auth: env.API_KEYS.length ? 'api-keys' : 'development (full access)',
    },
    `Engram is serving GraphQL${env.GRAPHIQL ? ' and GraphiQL' : ''} at http://${shown}:${port}/graphql`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing open requests');
    try {
      await app.stop();
      await db.$disconnect();
      if (reader !== db) await reader.$disconnect();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

const program = new Command('engram').description('Engram: a memory server for AI applications');

program
  .command('serve', { isDefault: true })
  .description('serve the GraphQL API (migrating the database first unless MIGRATE_ON_START=false)')
  .action(serve);

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const env = loadEnv();
    await migrate(env, createLogger(env));
  });

program
  .command('print-schema')
  .description('print the GraphQL schema (SDL, sorted) to stdout')
  .action(async () => {
    const { printEngramSchema } = await import('./schema/index.ts');
    process.stdout.write(printEngramSchema());
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
