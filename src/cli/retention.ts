import { createEngram } from '../engram.ts';
import { applyRetention, type RetentionKind } from '../services/retention.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

/**
 * `engram retention`: applies the RETENTION_* policy now, with progress per kind, instead of
 * waiting for the background task; prints what it deleted as JSON.
 */
export async function retention(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.retention) {
    process.stderr.write('no RETENTION_*_DAYS is set: everything is kept, nothing to delete\n');
    return;
  }
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  try {
    const bars = new Map<RetentionKind, ReturnType<typeof progressReporter>>();
    const counts = await applyRetention(engram.services, config.retention.policy, {
      onProgress: (kind, deleted, due) => {
        // One reporter per kind, opened on its first report; updates follow in order.
        if (!bars.has(kind)) bars.set(kind, progressReporter(`deleting ${kind}`, kind));
        void bars.get(kind)?.then((bar) => bar.update(deleted, due));
      },
    });
    for (const bar of bars.values()) (await bar).stop();
    process.stdout.write(`${JSON.stringify({ deleted: counts })}\n`);
  } finally {
    await engram.stop();
  }
}
