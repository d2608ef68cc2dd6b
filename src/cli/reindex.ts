import { createEngram } from '../engram.ts';
import { embedMissingFacts, indexMissingMessages } from '../services/embed-missing.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

/** `engram reindex`: rebuilds the search index from the database and saves it, or verifies it. */
export async function reindex(flags: { embed?: boolean; verify?: boolean }): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.searchIndex) {
    process.stderr.write('VECTOR_INDEX=off: there is no index to rebuild\n');
    process.exit(1);
  }
  // The model loads only when facts are to be embedded.
  const engram = await createEngram(config, { role: 'tool', ...(flags.embed ? {} : { embedder: null }) });
  const { logger, embeddings } = engram;
  const index = engram.index;
  try {
    if (!index) return;
    if (flags.verify) {
      await index.start();
      const report = await index.verify();
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exitCode = report.missing.length || report.orphans.length ? 1 : 0;
      return;
    }
    if (flags.embed) {
      embeddings.start();
      const progress = await progressReporter('embedding', 'facts');
      const embedded = await embedMissingFacts({
        db: engram.db,
        embeddings,
        dimension: config.memory.dimension,
        onProgress: progress.update,
      });
      progress.stop();
      logger.info({ embedded }, 'facts without a vector were embedded');
      const messages = await progressReporter('indexing', 'messages');
      const indexed = await indexMissingMessages({
        db: engram.db,
        embeddings,
        dimension: config.memory.dimension,
        mode: config.memory.messageIndex,
        onProgress: messages.update,
      });
      messages.stop();
      logger.info({ indexed }, 'messages without an index entry or a vector were indexed and embedded');
    }
    const progress = await progressReporter('indexing', 'facts');
    await index.start(progress.update, { fromScratch: true });
    progress.stop();
    logger.info(await index.describe(), 'vector index rebuilt and saved');
  } finally {
    await engram.stop();
  }
}
