import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { databaseSelection, entitySelection, inSnapshot, writeRows } from '../backup/export.ts';
import { ENGRAM_VERSION } from '../backup/version.ts';
import { BackupWriter } from '../backup/writer.ts';
import { clientProvider } from '../db/client.ts';
import { createEngram, type Engram } from '../engram.ts';
import { exportEntity } from '../services/entity-export.ts';
import { loadConfigOrExit } from './load-config.ts';
import { progressReporter } from './progress.ts';

export interface ExportFlags {
  all?: boolean;
  out?: string;
  /** `backup` (default): the compressed backup stream; `jsonl`: one GDPR export document per line. */
  format?: string;
}

/**
 * `engram export [externalId...] [--all] [--out file] [--format backup|jsonl]`. By default a
 * backup (src/backup/format.ts): the whole database, or the entities named, gzip-compressed, read
 * in one snapshot a page at a time. `--format jsonl` writes the GDPR export documents instead, one
 * entity per line. Progress goes to stderr; a file is created with mode 600.
 */
export async function exportCommand(ids: string[], flags: ExportFlags): Promise<void> {
  const format = flags.format ?? 'backup';
  if (format !== 'backup' && format !== 'jsonl') {
    process.stderr.write(`unknown format ${format}: use backup or jsonl\n`);
    process.exit(2);
  }
  if (format === 'jsonl' && !flags.all && ids.length === 0) {
    process.stderr.write('name at least one entity external id, or --all\n');
    process.exit(2);
  }
  if (format === 'backup' && !flags.out && process.stdout.isTTY) {
    process.stderr.write('a backup is compressed binary: give --out <file>, or redirect stdout\n');
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const engram = await createEngram(config, { role: 'tool', embedder: null });
  const out: Writable = flags.out ? createWriteStream(flags.out, { mode: 0o600 }) : process.stdout;
  let finished = false;
  try {
    if (format === 'jsonl') await exportDocuments(engram, ids, flags, out);
    else await exportBackup(engram, ids, flags, out);
    finished = true;
  } finally {
    if (out !== process.stdout && !out.writableFinished) {
      out.end();
      await once(out, 'close').catch(() => {});
    }
    // A file cut short by a failure is not left looking like a backup.
    if (!finished && flags.out && format === 'backup') await rm(flags.out, { force: true });
    await engram.stop();
  }
}

async function exportBackup(engram: Engram, ids: string[], flags: ExportFlags, out: Writable): Promise<void> {
  const whole = flags.all || ids.length === 0;
  const progress = await progressReporter('exporting', 'records');
  const summary = await inSnapshot(engram.reader, async (tx) => {
    let selection = databaseSelection();
    if (!whole) {
      const found = await tx.entity.findMany({
        where: { externalId: { in: ids } },
        select: { id: true, externalId: true },
      });
      const missing = ids.filter((id) => !found.some((row) => row.externalId === id));
      for (const id of missing) process.stderr.write(`no entity ${id}\n`);
      if (missing.length > 0) process.exitCode = 1;
      selection = entitySelection(found.map((row) => row.id));
    }
    const writer = new BackupWriter(out, {
      scope: whole ? 'database' : 'entities',
      provider: clientProvider(engram.reader) ?? 'unknown',
      engramVersion: ENGRAM_VERSION,
      createdAt: new Date().toISOString(),
      ...(whole ? {} : { entities: ids }),
    });
    await writeRows(tx, selection, writer, progress.update);
    return writer.finish();
  });
  progress.stop();
  process.stderr.write(`exported ${summary.records} records (${summary.bytes} bytes uncompressed)\n`);
}

/** The GDPR documents (src/services/entity-export.ts), one per line. */
async function exportDocuments(
  engram: Engram,
  ids: string[],
  flags: ExportFlags,
  out: Writable,
): Promise<void> {
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
}
