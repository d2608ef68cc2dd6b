import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createEngram } from '../engram.ts';
import { exportEntity } from '../services/entity-export.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

/**
 * `engram export [externalId...] [--all] [--out file]`: the same document `exportEntity` answers,
 * one entity per line (JSON Lines), to a file or stdout; progress goes to stderr. An entity
 * Engram does not know is reported and the command exits 1 after writing the others.
 */
export async function exportEntities(ids: string[], flags: { all?: boolean; out?: string }): Promise<void> {
  if (!flags.all && ids.length === 0) {
    process.stderr.write('name at least one entity external id, or --all\n');
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  const out = flags.out ? createWriteStream(flags.out, { mode: 0o600 }) : process.stdout;
  try {
    const externalIds = flags.all
      ? (await engram.reader.entity.findMany({ select: { externalId: true }, orderBy: { id: 'asc' } })).map(
          (row) => row.externalId,
        )
      : ids;
    const progress = await progressReporter('exporting', 'entities');
    let missing = 0;
    for (const [done, externalId] of externalIds.entries()) {
      try {
        const document = await exportEntity(engram.reader, externalId);
        if (!out.write(`${JSON.stringify(document)}\n`)) await once(out, 'drain');
      } catch (error) {
        if (!(error instanceof Error && 'code' in error && error.code === 'NOT_FOUND')) throw error;
        process.stderr.write(`no entity ${externalId}\n`);
        missing++;
      }
      progress.update(done + 1, externalIds.length);
    }
    progress.stop();
    if (missing) process.exitCode = 1;
  } finally {
    if (out !== process.stdout) {
      out.end();
      await once(out, 'finish');
    }
    await engram.stop();
  }
}
