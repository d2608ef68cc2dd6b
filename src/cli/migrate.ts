import { migrateDatabase } from '../db/migrate.ts';
import { createLogger } from '../observability/logger.ts';
import { loadConfigOrExit } from './load-config.ts';

/** `engram migrate`: applies pending migrations and exits. */
export async function migrate(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.log);
  const result = await migrateDatabase(config.database.url, {
    provider: config.database.provider,
    log: (message) => logger.info(message),
  });
  logger.info(
    { applied: result.applied.length, alreadyApplied: result.alreadyApplied },
    'database is up to date',
  );
}
