import { createEngram, type Engram } from '../engram.ts';
import { EngramError } from '../errors.ts';
import type { Actor } from '../services/audit.ts';
import { type ErasedCounts, eraseEntity } from '../services/erase.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

/** Whoever runs the command line holds the database: an administrator, on the server itself. */
const CLI: Actor = { principal: { kind: 'key', role: 'admin', name: 'cli' }, address: null };

/** What `engram erase` did, entity by entity. */
export interface EraseRun {
  erased: { entity: string; counts: ErasedCounts }[];
  /** Entities that did not exist, or could not be erased (with why). */
  failed: { entity: string; code: string; message: string }[];
}

/** A one-line account of an erase, for people. */
export function describeErase(entity: string, counts: ErasedCounts): string {
  const parts = Object.entries(counts).map(([name, count]) => `${count} ${name}`);
  return `erased ${entity}: ${parts.join(', ')}`;
}

/**
 * Erases entities one after another (each in its own transaction), reporting each and the
 * progress. An entity that cannot be erased (not found, invalid id) is reported and skipped.
 */
export async function eraseEntities(
  engram: Pick<Engram, 'services'>,
  externalIds: readonly string[],
  report: { line(text: string): void; progress(done: number, total: number): void },
): Promise<EraseRun> {
  const run: EraseRun = { erased: [], failed: [] };
  for (const [i, entity] of externalIds.entries()) {
    try {
      const counts = await eraseEntity(engram.services, CLI, { entity });
      run.erased.push({ entity, counts });
      report.line(describeErase(entity, counts));
    } catch (error) {
      if (!(error instanceof EngramError)) throw error;
      run.failed.push({ entity, code: error.code, message: error.message });
      report.line(`not erased ${entity}: ${error.code}: ${error.message}`);
    }
    report.progress(i + 1, externalIds.length);
  }
  return run;
}

/**
 * `engram erase <externalId...>`: erases entities as the eraseEntity mutation does, including
 * their vectors in the index snapshots under VECTOR_INDEX_PATH; running servers drop them from
 * their own index and snapshots when they follow the change log. Exits 1 if any was not erased.
 */
export async function erase(externalIds: string[]): Promise<void> {
  const config = loadConfigOrExit();
  // Nothing is embedded here: no model to load.
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  try {
    const progress = await progressReporter('erasing', 'entities');
    const run = await eraseEntities(engram, externalIds, {
      line: (text) => process.stdout.write(`${text}\n`),
      progress: progress.update,
    });
    progress.stop();
    engram.logger.info({ erased: run.erased.length, failed: run.failed.length }, 'erase finished');
    if (run.failed.length > 0) process.exitCode = 1;
  } finally {
    await engram.stop();
  }
}
