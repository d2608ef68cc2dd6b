import { buildApp } from '../app.ts';
import { createEngram } from '../engram.ts';
import { loadConfigOrExit, onShutdownSignal } from './load-config.ts';

/** `engram serve`: the GraphQL API (and this process's augmentation runner). */
export async function serve(): Promise<void> {
  const config = loadConfigOrExit();
  const engram = await createEngram(config, { role: 'serve' });
  const { logger } = engram;
  const app = buildApp(engram);
  // Semantic queries answer INDEX_NOT_READY until the index is built; /health says how far it is.
  await engram.start();
  const port = await app.start().catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
    logger.fatal(`cannot listen on port ${config.server.port} (${error.code}): set PORT to a free port`);
    process.exit(1);
  });
  const { host } = config.server;
  const shown = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  logger.info(
    {
      port,
      database: config.database.provider,
      auth: config.access.apiKeys.length ? 'api-keys' : 'development (full access)',
    },
    `Engram is serving GraphQL${config.server.graphiql ? ' and GraphiQL' : ''} at http://${shown}:${port}/graphql`,
  );
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'shutting down: finishing open requests');
    try {
      // HTTP first (no new work is accepted), then the runner, the index, the model, the database.
      await app.stop();
      await engram.stop();
      logger.info('stopped cleanly');
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      throw error;
    }
  });
}
