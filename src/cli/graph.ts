import { createEngram } from '../engram.ts';
import { resyncMirror, verifyMirror } from '../mirror/verify.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

/**
 * `engram graph verify`: compares the Neo4j mirror with the database and prints what differs as
 * JSON (missing, extra and stale relationships, extra entities); exit code 1 when anything does.
 * `engram graph resync`: rebuilds the mirror from the database, with progress.
 */
export async function graph(action: 'verify' | 'resync'): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.mirror) {
    process.stderr.write('NEO4J_URL is not set: there is no Neo4j mirror to verify or resync\n');
    process.exit(1);
  }
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  try {
    const mirror = engram.mirror;
    if (!mirror) return;
    if (action === 'verify') {
      const progress = await progressReporter('verifying', 'triples');
      const report = await verifyMirror(engram.db, mirror.target, progress.update);
      progress.stop();
      process.stdout.write(`${JSON.stringify(report)}\n`);
      const { missing, extra, stale } = report.counts;
      process.exitCode = missing || extra || stale || report.extraEntities.length ? 1 : 0;
      return;
    }
    const progress = await progressReporter('resyncing', 'triples');
    const done = await resyncMirror(
      engram.db,
      mirror.target,
      { batchSize: config.mirror.batchSize },
      progress.update,
    );
    progress.stop();
    process.stdout.write(`${JSON.stringify({ resynced: done })}\n`);
  } finally {
    await engram.stop();
  }
}
