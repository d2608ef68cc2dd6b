import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { FactState, PartitionSet } from './partition-set.ts';

/**
 * The snapshot of a {@link PartitionSet} on disk, a folder holding:
 * - `facts.bin`: a 20-byte header (magic `ENGRAMV1`, format, dimension, fact count), then per fact
 *   entity id, fact id, text length, has-vector flag, the UTF-8 text and the float32 vector;
 * - `graph-<entityId>.usearch`: the HNSW graph of each entity large enough to have one;
 * - `manifest.json`: format, dimension, fact count, graph list and the {@link SnapshotMeta}.
 */

/** What a snapshot records beside the facts. */
export interface SnapshotMeta {
  /** Last vector_change id whose effect the snapshot contains (every lower id applied too). */
  watermark: number;
  /** Embedding model of the vectors, for the logs and for detecting a model change. */
  model: string | null;
  /**
   * The database the snapshot was taken of (src/db/identity.ts); null in snapshots written before
   * databases had a name. A snapshot of another database is never loaded: its fact ids and
   * watermark mean other things there.
   */
  database: string | null;
  savedAt: string;
}

/** The metadata of a loaded snapshot, with how many facts it held. */
export type LoadedSnapshot = SnapshotMeta & { facts: number };

export const MAGIC = 'ENGRAMV1';
export const FORMAT = 1;

/** What manifest.json holds. */
export type Manifest = SnapshotMeta & { format: number; dimension: number; facts: number; graphs: number[] };

/** A name no other process (or save) uses, for staging folders and files. */
export function uniqueSuffix(): string {
  return `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Writes a snapshot of `set` to `dir` atomically: into a sibling folder first, then swapped in,
 * so a crash leaves either the old snapshot or the new one, never half of one.
 */
export function writeSnapshot(set: PartitionSet, dir: string, meta: SnapshotMeta): void {
  // Names of their own, so that two processes saving the same index (a server and `engram
  // reindex`) never write into one folder.
  const unique = uniqueSuffix();
  const staging = `${dir}.staging-${unique}`;
  mkdirSync(staging, { recursive: true });
  const writer = new ChunkWriter(path.join(staging, 'facts.bin'));
  const header = Buffer.alloc(20);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(FORMAT, 8);
  header.writeUInt32LE(set.options.dimension, 12);
  header.writeUInt32LE(set.factCount, 16);
  writer.write(header);
  const graphs: number[] = [];
  for (const { entityId, texts, partition } of set.entities()) {
    for (const [factId, content] of texts) {
      const text = Buffer.from(content, 'utf8');
      const vector = partition?.vectorOf(factId);
      const record = Buffer.alloc(13);
      record.writeInt32LE(entityId, 0);
      record.writeInt32LE(factId, 4);
      record.writeUInt32LE(text.length, 8);
      record.writeUInt8(vector ? 1 : 0, 12);
      writer.write(record);
      writer.write(text);
      if (vector) writer.write(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
    }
    if (partition?.saveGraph(path.join(staging, `graph-${entityId}.usearch`))) graphs.push(entityId);
  }
  writer.close();
  writeFileSync(
    path.join(staging, 'manifest.json'),
    JSON.stringify({
      format: FORMAT,
      dimension: set.options.dimension,
      facts: set.factCount,
      graphs,
      ...meta,
    }),
  );
  const old = `${dir}.old-${unique}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(staging, dir);
  rmSync(old, { recursive: true, force: true });
}

/**
 * Loads a snapshot written by {@link writeSnapshot} into `set` (empty). Returns its metadata, or
 * null when there is none or it does not fit (another dimension, another format, damaged).
 */
export function readSnapshot(set: PartitionSet, dir: string): LoadedSnapshot | null {
  removeAbandoned(dir);
  const from = existsSync(path.join(dir, 'manifest.json')) ? dir : previousSnapshot(dir);
  if (!from) return null;
  const manifestPath = path.join(from, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const dim = set.options.dimension;
  if (manifest.format !== FORMAT || manifest.dimension !== dim) return null;
  const reader = new ChunkReader(path.join(from, 'facts.bin'));
  set.beginBulk();
  try {
    const header = reader.read(20);
    if (header.toString('latin1', 0, 8) !== MAGIC || header.readUInt32LE(16) !== manifest.facts) return null;
    for (let i = 0; i < manifest.facts; i++) {
      const record = reader.read(13);
      const entityId = record.readInt32LE(0);
      const factId = record.readInt32LE(4);
      const content = reader.read(record.readUInt32LE(8)).toString('utf8');
      let vector: FactState['vector'] = null;
      if (record.readUInt8(12) === 1) {
        const bytes = reader.read(dim * 4);
        vector = new Float32Array(dim);
        new Uint8Array(vector.buffer).set(bytes);
      }
      set.apply({ factId, entityId, content, vector });
    }
  } catch {
    set.clear();
    return null;
  } finally {
    reader.close();
  }
  for (const entityId of manifest.graphs) {
    set.loadGraph(entityId, path.join(from, `graph-${entityId}.usearch`));
  }
  set.finishLoad();
  return {
    watermark: manifest.watermark,
    model: manifest.model,
    database: manifest.database ?? null,
    savedAt: manifest.savedAt,
    facts: manifest.facts,
  };
}

/** Deletes the half-written staging folders of processes that died while saving. */
export function removeAbandoned(dir: string): void {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.staging-`;
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (pid === process.pid || isAlive(pid)) continue;
    rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A crash between the two renames in save() leaves only the previous snapshot, under
 * `<dir>.old-*`: the newest such folder with a manifest, if any.
 */
function previousSnapshot(dir: string): string | null {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.old-`;
  if (!existsSync(parent)) return null;
  const candidates = readdirSync(parent)
    .filter((name) => name.startsWith(prefix) && existsSync(path.join(parent, name, 'manifest.json')))
    .map((name) => path.join(parent, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return candidates[0] ?? null;
}

/** Buffered sequential writes: a snapshot can be gigabytes, so it is never built in memory. */
export class ChunkWriter {
  private readonly fd: number;
  private readonly buffer = Buffer.alloc(8 << 20);
  private used = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }

  write(bytes: Uint8Array): void {
    if (bytes.length > this.buffer.length - this.used) this.flush();
    if (bytes.length > this.buffer.length) {
      writeSync(this.fd, bytes);
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    let offset = 0;
    while (offset < this.used) offset += writeSync(this.fd, this.buffer, offset, this.used - offset);
    this.used = 0;
  }
}

/** Buffered sequential reads of a snapshot; throws on a truncated file. */
export class ChunkReader {
  private readonly fd: number;
  private buffer = Buffer.alloc(8 << 20);
  private start = 0;
  private end = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'r');
  }

  read(length: number): Buffer {
    if (this.end - this.start < length) this.fill(length);
    const out = this.buffer.subarray(this.start, this.start + length);
    this.start += length;
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }

  private fill(length: number): void {
    const rest = this.buffer.subarray(this.start, this.end);
    const next = Buffer.alloc(Math.max(this.buffer.length, length));
    rest.copy(next);
    this.buffer = next;
    this.start = 0;
    this.end = rest.length;
    while (this.end < length) {
      const read = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
      if (read === 0) throw new Error('snapshot is truncated');
      this.end += read;
    }
  }
}
