import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { importBackup } from '../backup/import.ts';
import { isGzipFile } from '../backup/reader.ts';
import { createEngram, type Engram } from '../engram.ts';
import { EngramError } from '../errors.ts';
import type { Actor } from '../services/audit.ts';
import { importEntity } from '../services/entity-import.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

/** Whoever runs the command line holds the database: an administrator, on the server itself. */
export const CLI: Actor = { principal: { kind: 'key', role: 'admin', name: 'cli' }, address: null };

/**
 * `engram import <file>`: a backup (gzip, from `engram export`) is checked whole, then written in
 * one transaction (see importBackup); a refused file writes nothing and exits 1 with its code.
 * A JSON Lines file of GDPR export documents (`engram export --format jsonl`) is imported one
 * entity per transaction; an entity that already exists, or a line that is not a version-1
 * export, is reported with its line number and skipped, and the command then exits 1.
 */
export async function importCommand(file: string): Promise<void> {
  let gzip: boolean;
  try {
    gzip = await isGzipFile(file);
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const config = loadConfigOrExit();
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  try {
    if (gzip) await importBackupFile(engram, file);
    else await importDocuments(engram, file);
  } finally {
    await engram.stop();
  }
}

async function importBackupFile(engram: Engram, file: string): Promise<void> {
  const checking = await progressReporter('checking', 'bytes');
  const writing = await progressReporter('importing', 'records');
  try {
    const result = await importBackup(engram.services, CLI, file, {
      onProgress: (phase, done, total) => (phase === 'checking' ? checking : writing).update(done, total),
    });
    checking.stop();
    writing.stop();
    const total = Object.values(result.counts).reduce((sum, count) => sum + (count ?? 0), 0);
    process.stderr.write(
      `imported ${total} records (${result.scope}, ids ${result.mode === 'preserve' ? 'kept' : 'shifted'}): ${JSON.stringify(result.counts)}\n`,
    );
    process.stderr.write(
      'the vector index reloads the imported entities from the database (`engram reindex` rebuilds it whole)\n',
    );
  } catch (error) {
    checking.stop();
    writing.stop();
    if (!(error instanceof EngramError)) throw error;
    process.stderr.write(`import refused, nothing written: ${error.code}: ${error.message}\n`);
    process.exitCode = 1;
  }
}

async function importDocuments(engram: Engram, file: string): Promise<void> {
  let failed = 0;
  let imported = 0;
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
}
