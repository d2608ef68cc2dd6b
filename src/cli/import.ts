import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createEngram } from '../engram.ts';
import { EngramError } from '../errors.ts';
import type { Actor } from '../services/audit.ts';
import { importEntity } from '../services/entity-import.ts';

/** Whoever runs the command line holds the database: an administrator, on the server itself. */
const CLI: Actor = { principal: { kind: 'key', role: 'admin', name: 'cli' }, address: null };

import { loadConfigOrExit } from './load-config.ts';

/**
 * `engram import <file>`: writes back what `engram export` wrote (JSON Lines, or one export
 * document), one entity per transaction. An entity that already exists, or a line that is not a
 * version-1 export, is reported with its line number and skipped; the command then exits 1.
 */
export async function importEntities(file: string): Promise<void> {
  const config = loadConfigOrExit();
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  let failed = 0;
  let imported = 0;
  try {
    const lines = createInterface({
      input: createReadStream(file, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let number = 0;
    for await (const line of lines) {
      number++;
      if (!line.trim()) continue;
      try {
        const counts = await importEntity(engram.services, CLI, JSON.parse(line));
        imported++;
        process.stderr.write(`line ${number}: imported ${JSON.stringify(counts)}\n`);
      } catch (error) {
        if (!(error instanceof EngramError || error instanceof SyntaxError)) throw error;
        failed++;
        process.stderr.write(`line ${number}: ${error.message}\n`);
      }
    }
    process.stderr.write(`${imported} imported, ${failed} refused\n`);
    if (failed) process.exitCode = 1;
  } finally {
    await engram.stop();
  }
}
