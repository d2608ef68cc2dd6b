import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { z } from 'zod';
import {
  ARCHIVE_EXTERNAL_REFERENCES,
  BACKUP_FORMAT,
  BACKUP_VERSION,
  BackupFormatError,
  type BackupHeader,
  type BackupRecord,
  type BackupTrailer,
  HeaderSchema,
  KIND_ORDER,
  RECORD_SCHEMAS,
  REFERENCES,
  type RecordKind,
  TrailerSchema,
} from './format.ts';

/** The ids one kind's records span in a file. */
export interface IdRange {
  count: number;
  min: number;
  max: number;
}

/** What a full read of a file found, once it checked out. */
export interface BackupSummary {
  header: BackupHeader;
  trailer: BackupTrailer;
  ranges: Partial<Record<RecordKind, IdRange>>;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** Whether a file starts as gzip does (a backup) rather than as text (the JSON Lines export). */
export async function isGzipFile(path: string): Promise<boolean> {
  const stream = createReadStream(path, { start: 0, end: 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).equals(GZIP_MAGIC);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Decompressed lines of a gzip file; damage to the compressed stream becomes a BackupFormatError. */
async function* lines(path: string, onBytes?: (read: number, total: number) => void): AsyncGenerator<string> {
  const total = (await stat(path)).size;
  const file = createReadStream(path);
  let read = 0;
  file.on('data', (chunk) => {
    read += chunk.length;
    onBytes?.(read, total);
  });
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  file.pipe(gunzip);
  let pending = '';
  try {
    for await (const chunk of gunzip) {
      const parts = (pending + (chunk as Buffer).toString('utf8')).split('\n');
      pending = parts.pop() ?? '';
      yield* parts;
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(describe(error))) {
      throw new BackupFormatError('TRUNCATED', `${path} ends early (cut off while being written or copied?)`);
    }
    if (code === 'Z_DATA_ERROR')
      throw new BackupFormatError('CORRUPT', `${path} is damaged: ${describe(error)}`);
    throw error;
  } finally {
    file.destroy();
  }
  if (pending) yield pending;
}

/**
 * Reads a backup file, checking everything a writer could get wrong or a disk could damage:
 * the header (format and version), each record against its kind's schema, the order of kinds
 * and ids, every reference (within the ids of the kind it names, which come earlier), and the
 * trailer (record counts and checksum). Yields the records; the summary is returned at the end.
 * A caller that writes as it reads must be ready to roll back: the checksum is only known at the
 * end (see importBackup, which reads a file twice).
 */
export async function* readBackup(
  path: string,
  options: { onBytes?: (read: number, total: number) => void } = {},
): AsyncGenerator<BackupRecord, BackupSummary> {
  let header: BackupHeader | undefined;
  let trailer: BackupTrailer | undefined;
  const hash = createHash('sha256');
  const ranges: Partial<Record<RecordKind, IdRange>> = {};
  let order = 0;
  let lineNumber = 0;
  let records = 0;
  const fail = (code: 'INVALID_RECORD' | 'CORRUPT', message: string): never => {
    throw new BackupFormatError(code, `${path}, line ${lineNumber}: ${message}`);
  };
  for await (const line of lines(path, options.onBytes)) {
    lineNumber++;
    if (trailer) fail('CORRUPT', 'data after the trailer');
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail('CORRUPT', 'not a JSON line');
    }
    // Header and trailer say `kind`; records say `table` (a tombstone has a `kind` column).
    const kind = (value as { kind?: unknown } | null)?.kind;
    const table = (value as { table?: unknown } | null)?.table;
    if (!header) {
      if ((value as { format?: unknown } | null)?.format !== BACKUP_FORMAT || kind !== 'header') {
        throw new BackupFormatError('NOT_A_BACKUP', `${path} is not an ${BACKUP_FORMAT} file`);
      }
      const version = (value as { version?: unknown }).version;
      if (version !== BACKUP_VERSION) {
        throw new BackupFormatError(
          'UNSUPPORTED_VERSION',
          `${path} is ${BACKUP_FORMAT} version ${String(version)}; this Engram reads version ${BACKUP_VERSION}`,
        );
      }
      const parsed = HeaderSchema.safeParse(value);
      if (!parsed.success) fail('INVALID_RECORD', `bad header: ${parsed.error?.message}`);
      header = parsed.data as BackupHeader;
      continue;
    }
    if (table === undefined && kind === 'trailer') {
      const parsed = TrailerSchema.safeParse(value);
      if (!parsed.success) fail('INVALID_RECORD', `bad trailer: ${parsed.error?.message}`);
      trailer = parsed.data as BackupTrailer;
      continue;
    }
    hash.update(`${line}\n`);
    records++;
    const at = KIND_ORDER.indexOf(table as RecordKind);
    if (at < 0) fail('INVALID_RECORD', `unknown record table ${JSON.stringify(table)}`);
    if (at < order) fail('INVALID_RECORD', `${String(table)} records after ${KIND_ORDER[order]} records`);
    order = at;
    const recordKind = table as RecordKind;
    const { table: _, ...fields } = value as Record<string, unknown>;
    const parsed = (RECORD_SCHEMAS[recordKind] as z.ZodType).safeParse(fields);
    if (!parsed.success) fail('INVALID_RECORD', `bad ${recordKind}: ${parsed.error.message}`);
    const record = { table: recordKind, ...(parsed.data as object) } as BackupRecord;
    const range = ranges[recordKind];
    if (range && record.id <= range.max)
      fail('INVALID_RECORD', `${recordKind} ids out of order at ${record.id}`);
    const external = header.scope === 'archive' ? (ARCHIVE_EXTERNAL_REFERENCES[recordKind] ?? []) : [];
    for (const [field, target] of Object.entries(REFERENCES[recordKind]) as [string, RecordKind][]) {
      const pointer = (record as unknown as Record<string, number | null>)[field];
      if (pointer === null || pointer === undefined || external.includes(field)) continue;
      const span = ranges[target];
      if (!span || pointer < span.min || pointer > span.max) {
        fail(
          'INVALID_RECORD',
          `${recordKind} ${record.id}: ${field} ${pointer} is no ${target} of this file`,
        );
      }
    }
    ranges[recordKind] = range
      ? { count: range.count + 1, min: range.min, max: record.id }
      : { count: 1, min: record.id, max: record.id };
    yield record;
  }
  if (!header) throw new BackupFormatError('NOT_A_BACKUP', `${path} is empty`);
  if (!trailer)
    throw new BackupFormatError(
      'TRUNCATED',
      `${path} has no trailer: it was cut off after line ${lineNumber}`,
    );
  if (trailer.records !== records) {
    throw new BackupFormatError(
      'CORRUPT',
      `${path} holds ${records} records; its trailer says ${trailer.records}`,
    );
  }
  for (const kind of KIND_ORDER) {
    if ((trailer.counts[kind] ?? 0) !== (ranges[kind]?.count ?? 0)) {
      throw new BackupFormatError('CORRUPT', `${path}: the ${kind} records do not match the trailer's count`);
    }
  }
  if (hash.digest('hex') !== trailer.sha256) {
    throw new BackupFormatError('CORRUPT', `${path}: the records do not match the trailer's checksum`);
  }
  return { header, trailer, ranges };
}

/** Reads a whole file (checking it) without keeping anything: the first pass of an import. */
export async function checkBackup(
  path: string,
  options: { onBytes?: (read: number, total: number) => void } = {},
): Promise<BackupSummary> {
  const reading = readBackup(path, options);
  for (;;) {
    const next = await reading.next();
    if (next.done) return next.value;
  }
}
