import { migrate as migrateDatabase } from '../engram.ts';
import { createLogger } from '../observability/logger.ts';
import { loadConfigOrExit } from './load-config.ts';

/** `engram migrate`: applies pending migrations and exits. */
export async function migrate(): Promise<void> {
  const config = loadConfigOrExit();
  await migrateDatabase(config.database, createLogger(config.log));
}
