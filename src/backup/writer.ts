import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupHeader,
  type BackupRecord,
  type RecordKind,
} from './format.ts';

/**
 * Writes a backup stream: the header, records one line each (gzip-compressed as they come, with
 * backpressure, so memory stays flat however large the file), and the trailer on `finish()`.
 */
export class BackupWriter {
  private readonly gzip = createGzip();
  private readonly hash = createHash('sha256');
  private readonly counts: Partial<Record<RecordKind, number>> = {};
  private records = 0;
  private readonly done: Promise<void>;
  /** Uncompressed bytes written so far. */
  bytes = 0;

  constructor(out: Writable, header: Omit<BackupHeader, 'kind' | 'format' | 'version'>) {
    this.gzip.pipe(out);
    this.done = new Promise((resolve, reject) => {
      // pipe() never ends stdout: there, the end of the compressed stream is the end.
      if (out === process.stdout) this.gzip.once('end', resolve);
      else out.once('finish', resolve);
      out.once('error', reject);
      this.gzip.once('error', reject);
    });
    // The done promise may reject before anyone awaits it (a disk full): finish() reports it.
    this.done.catch(() => {});
    this.writeLine(
      JSON.stringify({ kind: 'header', format: BACKUP_FORMAT, version: BACKUP_VERSION, ...header }),
    );
  }

  private writeLine(line: string): boolean {
    const data = `${line}\n`;
    this.bytes += Buffer.byteLength(data);
    return this.gzip.write(data);
  }

  /** Writes one record; resolves once the stream can take more. */
  async write(record: BackupRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    this.hash.update(line);
    this.records++;
    this.counts[record.table] = (this.counts[record.table] ?? 0) + 1;
    this.bytes += Buffer.byteLength(line);
    if (!this.gzip.write(line)) await Promise.race([once(this.gzip, 'drain'), this.done]);
  }

  /** Writes the trailer and waits until everything reached `out` (a file is closed). */
  async finish(): Promise<{ records: number; counts: Partial<Record<RecordKind, number>>; bytes: number }> {
    const trailer = {
      kind: 'trailer',
      records: this.records,
      counts: this.counts,
      sha256: this.hash.digest('hex'),
    };
    this.writeLine(JSON.stringify(trailer));
    this.gzip.end();
    await this.done;
    return { records: this.records, counts: this.counts, bytes: this.bytes };
  }
}
