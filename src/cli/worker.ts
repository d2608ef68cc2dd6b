import { createEngram } from '../engram.ts';
import { loadConfigOrExit, onShutdownSignal } from './load-config.ts';

/**
 * `engram worker`: runs augmentation jobs and serves nothing. What it extracts is published on
 * this process's own event bus: subscribers of a server process do not see it (README, "Scaling
 * augmentation").
 */
export async function worker(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.augmentation) {
    process.stderr.write('AUGMENTATION=off: there is nothing for a worker to run\n');
    process.exit(1);
  }
  const engram = await createEngram(config, { role: 'worker' });
  await engram.start();
  const { logger } = engram;
  logger.info(
    {
      extractor: config.augmentation.extractor.kind,
      concurrency: Math.max(1, config.augmentation.runner.concurrency),
    },
    'augmentation worker running',
  );
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'shutting down: finishing running jobs');
    await engram.stop();
    logger.info('stopped cleanly');
  });
}
