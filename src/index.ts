#!/usr/bin/env node
import { Command } from 'commander';
import { buildApp } from './app.ts';
import { createExtractor, createJobQueue } from './augment/setup.ts';
import { openDatabase, openReader } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';
import { createEmbedder, localModelOptions } from './embed/create.ts';
import { EmbeddingService } from './embed/service.ts';
import { ConfigError, databaseProvider, type Env, parseEnv, poolOptions } from './env.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createVectorIndex } from './vector/setup.ts';
import type { ProgressListener } from './vector/vector-index.ts';

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
  const embeddings = new EmbeddingService({
    embedder: createEmbedder(env),
    logger: logger.child({ component: 'embeddings' }),
    cacheSize: env.EMBEDDING_CACHE_SIZE,
  });
  // Loads in the background: without a model the server still serves, and says so in /health.
  embeddings.start();
  const index = createVectorIndex(env, reader, logger, embeddings.status().model, db);
  // Searchable when built; until then semantic queries answer INDEX_NOT_READY.
  index?.start().catch(() => {});
  const augmentation =
    env.AUGMENTATION === 'on'
      ? { extractor: createExtractor(env, logger), queue: createJobQueue(env, db) }
      : null;
  const app = buildApp({ env, db, reader, logger, embeddings, index, augmentation });
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
      await index?.close();
      await embeddings.close();
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

/** A progress bar on a terminal, a log line every 10% otherwise. */
async function progressReporter(label: string): Promise<{ update: ProgressListener; stop(): void }> {
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = await import('cli-progress');
    const bar = new SingleBar(
      { format: `${label} [{bar}] {percentage}% {value}/{total} facts, eta {eta}s`, stream: process.stderr },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.setTotal(total);
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update: (done, total) => {
      const tenth = total ? Math.floor((done / total) * 10) : 10;
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(`${label}: ${done}/${total} facts (${tenth * 10}%)\n`);
    },
    stop: () => {},
  };
}

program
  .command('reindex')
  .description('rebuild the vector index from the database, with progress, and save it')
  .option('--embed', 'first embed facts that have no vector from the configured model')
  .option(
    '--verify',
    'only compare the saved index (after replaying changes) with the database; exit 1 on a mismatch',
  )
  .action(async (flags: { embed?: boolean; verify?: boolean }) => {
    const env = loadEnv();
    const logger = createLogger(env);
    if (env.MIGRATE_ON_START) await migrate(env, logger);
    const db = await openDatabase({
      url: env.DATABASE_URL,
      provider: databaseProvider(env),
      pool: poolOptions(env),
    });
    const embeddings = new EmbeddingService({ embedder: flags.embed ? createEmbedder(env) : null, logger });
    const index = createVectorIndex(env, db, logger, embeddings.status().model, db);
    if (!index) {
      logger.fatal('VECTOR_INDEX=off: there is no index to rebuild');
      process.exit(1);
    }
    try {
      if (flags.verify) {
        await index.start();
        const report = await index.verify();
        process.stdout.write(`${JSON.stringify(report)}\n`);
        process.exitCode = report.missing.length || report.orphans.length ? 1 : 0;
        return;
      }
      if (flags.embed) {
        const { embedMissingFacts } = await import('./services/embed-missing.ts');
        const progress = await progressReporter('embedding');
        const embedded = await embedMissingFacts({
          db,
          embeddings,
          dimension: env.VECTOR_DIMENSIONS,
          onProgress: progress.update,
        });
        progress.stop();
        logger.info({ embedded }, 'facts without a vector were embedded');
      }
      const progress = await progressReporter('indexing');
      await index.start(progress.update, { fromScratch: true });
      progress.stop();
      logger.info(await index.describe(), 'vector index rebuilt and saved');
    } finally {
      await index.close();
      await embeddings.close();
      await db.$disconnect();
    }
  });

program
  .command('worker')
  .description('run augmentation workers only (no HTTP): for scaling extraction apart from serving')
  .action(async () => {
    const env = loadEnv();
    const logger = createLogger(env);
    if (env.MIGRATE_ON_START) await migrate(env, logger);
    const options = { url: env.DATABASE_URL, provider: databaseProvider(env), pool: poolOptions(env) };
    const db = await openDatabase(options);
    const reader = await openReader(db, options);
    const embeddings = new EmbeddingService({
      embedder: createEmbedder(env),
      logger,
      cacheSize: env.EMBEDDING_CACHE_SIZE,
    });
    embeddings.start();
    const index = createVectorIndex(env, reader, logger, embeddings.status().model, db);
    index?.start().catch(() => {});
    const { AugmentationWorker } = await import('./augment/worker.ts');
    const { workerOptions } = await import('./augment/setup.ts');
    const { createEventBus } = await import('./events/pubsub.ts');
    const { serviceDeps } = await import('./services/context.ts');
    const deps = serviceDeps(env, { db, reader, events: createEventBus(), embeddings, index });
    const worker = new AugmentationWorker(
      deps,
      createJobQueue(env, db),
      createExtractor(env, logger),
      { ...workerOptions(env), concurrency: Math.max(1, env.AUGMENTATION_CONCURRENCY) },
      logger.child({ component: 'augmentation' }),
    );
    worker.start();
    logger.info({ extractor: env.AUGMENTATION_EXTRACTOR }, 'augmentation worker running');
    const shutdown = async () => {
      await worker.stop(env.SHUTDOWN_TIMEOUT_MS);
      await index?.close();
      await embeddings.close();
      await db.$disconnect();
      if (reader !== db) await reader.$disconnect();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown());
    process.on('SIGTERM', () => void shutdown());
  });

program
  .command('models')
  .description('fetch (when allowed) and check the local embedding model, then exit')
  .action(async () => {
    const env = loadEnv();
    const { prefetchModel } = await import('./embed/models.ts');
    try {
      const result = await prefetchModel(localModelOptions(env));
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
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
