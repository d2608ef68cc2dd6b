import { archiveConversations, restoreArchive } from '../backup/archive.ts';
import { createEngram } from '../engram.ts';
import { EngramError } from '../errors.ts';
import { CLI } from './import.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

const UNITS: Record<string, number> = { h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `365d`, `12w`, `48h` as milliseconds; null for anything else. */
export function parseAge(text: string): number | null {
  const match = /^(\d+)([hdw])$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** `engram archive --older-than 365d --out f`: see archiveConversations. */
export async function archive(flags: { olderThan: string; out: string }): Promise<void> {
  const age = parseAge(flags.olderThan);
  if (age === null) {
    process.stderr.write(`--older-than ${flags.olderThan}: give a number and a unit, h, d or w (365d)\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  try {
    const progress = await progressReporter('archiving', 'records');
    const result = await archiveConversations({ db: engram.db, reader: engram.reader }, CLI, {
      cutoff: new Date(Date.now() - age),
      out: flags.out,
      onProgress: progress.update,
    });
    progress.stop();
    process.stdout.write(`${JSON.stringify({ archived: result })}\n`);
  } catch (error) {
    if (!(error instanceof EngramError)) throw error;
    process.stderr.write(`archive failed, nothing deleted: ${error.code}: ${error.message}\n`);
    process.exitCode = 1;
  } finally {
    await engram.stop();
  }
}

/** `engram restore <file>`: see restoreArchive. */
export async function restore(file: string): Promise<void> {
  const config = loadConfigOrExit();
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  try {
    const progress = await progressReporter('restoring', 'records');
    const result = await restoreArchive(engram.services, CLI, file, { onProgress: progress.update });
    progress.stop();
    process.stdout.write(`${JSON.stringify({ restored: result })}\n`);
  } catch (error) {
    if (!(error instanceof EngramError)) throw error;
    process.stderr.write(`restore refused, nothing written: ${error.code}: ${error.message}\n`);
    process.exitCode = 1;
  } finally {
    await engram.stop();
  }
}
