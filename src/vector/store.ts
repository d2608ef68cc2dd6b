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
import { type LexicalHit, LexicalPartition } from './lexical.ts';
import { Partition, type PartitionOptions, type VectorHit } from './partition.ts';

/** The state of one fact as the index should hold it; `content: null` means the fact is gone. */
export interface FactState {
  factId: number;
  entityId: number;
  content: string | null;
  /** Unit-length vector of the index's dimension, or null when the fact has none (lexical only). */
  vector: Float32Array | null;
}

/** What a snapshot records beside the facts. */
export interface SnapshotMeta {
  /** Last vector_change id whose effect the snapshot contains (every lower id applied too). */
  watermark: number;
  /** Embedding model of the vectors, for the logs and for detecting a model change. */
  model: string | null;
  savedAt: string;
}

export interface StoreStats {
  entities: number;
  facts: number;
  vectors: number;
  graphs: number;
}

const MAGIC = 'ENGRAMV1';
const FORMAT = 1;

/**
 * Everything the semantic side of Engram searches, per entity: the vectors ({@link Partition})
 * and the texts for BM25 ({@link LexicalPartition}, built on first use). Runs inside the index
 * worker; every method is synchronous.
 */
export class MemoryStore {
  private readonly partitions = new Map<number, Partition>();
  private readonly texts = new Map<number, Map<number, string>>();
  private readonly lexical = new Map<number, LexicalPartition>();
  private readonly entityOf = new Map<number, number>();
  private bulk = false;

  constructor(readonly options: PartitionOptions) {}

  /** Starts a bulk load: HNSW graphs are built once, by finishLoad(), not vector by vector. */
  beginBulk(): void {
    this.bulk = true;
  }

  /** Brings one fact to the given state; idempotent, so replaying a change twice is harmless. */
  apply(state: FactState): void {
    const previous = this.entityOf.get(state.factId);
    if (previous !== undefined && (state.content === null || previous !== state.entityId)) {
      this.removeFact(previous, state.factId);
    }
    if (state.content === null) return;
    if (state.vector && state.vector.length !== this.options.dimension) {
      throw new Error(
        `vector of fact ${state.factId} has ${state.vector.length} dimensions, not ${this.options.dimension}`,
      );
    }
    this.entityOf.set(state.factId, state.entityId);
    let texts = this.texts.get(state.entityId);
    if (!texts) {
      texts = new Map();
      this.texts.set(state.entityId, texts);
    }
    texts.set(state.factId, state.content);
    this.lexical.get(state.entityId)?.add(state.factId, state.content);
    if (state.vector) this.partition(state.entityId).upsert(state.factId, state.vector);
    else this.partitions.get(state.entityId)?.remove(state.factId);
  }

  /** Replaces everything known about an entity (an erase, or a full resynchronization). */
  resetEntity(entityId: number, facts: FactState[]): void {
    for (const factId of this.texts.get(entityId)?.keys() ?? []) this.entityOf.delete(factId);
    this.texts.delete(entityId);
    this.lexical.delete(entityId);
    this.partitions.delete(entityId);
    for (const fact of facts) this.apply(fact);
  }

  search(entityId: number, query: Float32Array, k: number, threshold?: number): VectorHit[] {
    return this.partitions.get(entityId)?.search(query, k, threshold) ?? [];
  }

  /** Exact similarities of given facts of an entity to the query (null for a fact without a vector). */
  similarities(entityId: number, query: Float32Array, factIds: number[]): (number | null)[] {
    const partition = this.partitions.get(entityId);
    return factIds.map((factId) => partition?.similarity(factId, query) ?? null);
  }

  lexicalSearch(entityId: number, query: string, k: number): LexicalHit[] {
    const texts = this.texts.get(entityId);
    if (!texts) return [];
    let lexical = this.lexical.get(entityId);
    if (!lexical) {
      lexical = new LexicalPartition();
      for (const [factId, content] of texts) lexical.add(factId, content);
      this.lexical.set(entityId, lexical);
    }
    return lexical.search(query, k);
  }

  /** Every fact the store holds with whether it has a vector, for verification against the database. */
  listFacts(): { factIds: Int32Array; withVector: Uint8Array } {
    const factIds = new Int32Array(this.entityOf.size);
    const withVector = new Uint8Array(this.entityOf.size);
    let i = 0;
    for (const [factId, entityId] of this.entityOf) {
      factIds[i] = factId;
      withVector[i] = this.partitions.get(entityId)?.has(factId) ? 1 : 0;
      i++;
    }
    return { factIds, withVector };
  }

  stats(): StoreStats {
    let vectors = 0;
    let graphs = 0;
    for (const partition of this.partitions.values()) {
      vectors += partition.size;
      if (partition.hasGraph) graphs++;
    }
    return { entities: this.texts.size, facts: this.entityOf.size, vectors, graphs };
  }

  /** Builds the HNSW graphs of large partitions after a bulk load. */
  finishLoad(): void {
    this.bulk = false;
    for (const partition of this.partitions.values()) partition.finishLoad();
  }

  /**
   * Writes a snapshot to `dir` atomically: into a sibling folder first, then swapped in, so a
   * crash leaves either the old snapshot or the new one, never half of one.
   */
  save(dir: string, meta: SnapshotMeta): void {
    // Names of their own, so that two processes saving the same index (a server and `engram
    // reindex`) never write into one folder.
    const unique = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const staging = `${dir}.staging-${unique}`;
    mkdirSync(staging, { recursive: true });
    const writer = new ChunkWriter(path.join(staging, 'facts.bin'));
    const header = Buffer.alloc(20);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(FORMAT, 8);
    header.writeUInt32LE(this.options.dimension, 12);
    header.writeUInt32LE(this.entityOf.size, 16);
    writer.write(header);
    const graphs: number[] = [];
    for (const [entityId, texts] of this.texts) {
      const partition = this.partitions.get(entityId);
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
        dimension: this.options.dimension,
        facts: this.entityOf.size,
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
   * Loads a snapshot written by {@link save} into this (empty) store. Returns its metadata, or
   * null when there is none or it does not fit (another dimension, another format, damaged).
   */
  load(dir: string): (SnapshotMeta & { facts: number }) | null {
    removeAbandoned(dir);
    const from = existsSync(path.join(dir, 'manifest.json')) ? dir : previousSnapshot(dir);
    if (!from) return null;
    const manifestPath = path.join(from, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SnapshotMeta & {
      format: number;
      dimension: number;
      facts: number;
      graphs: number[];
    };
    if (manifest.format !== FORMAT || manifest.dimension !== this.options.dimension) return null;
    const reader = new ChunkReader(path.join(from, 'facts.bin'));
    this.beginBulk();
    try {
      const header = reader.read(20);
      if (header.toString('latin1', 0, 8) !== MAGIC || header.readUInt32LE(16) !== manifest.facts)
        return null;
      const dim = this.options.dimension;
      for (let i = 0; i < manifest.facts; i++) {
        const record = reader.read(13);
        const entityId = record.readInt32LE(0);
        const factId = record.readInt32LE(4);
        const content = reader.read(record.readUInt32LE(8)).toString('utf8');
        let vector: Float32Array | null = null;
        if (record.readUInt8(12) === 1) {
          const bytes = reader.read(dim * 4);
          vector = new Float32Array(dim);
          new Uint8Array(vector.buffer).set(bytes);
        }
        this.apply({ factId, entityId, content, vector });
      }
    } catch {
      this.clear();
      return null;
    } finally {
      reader.close();
    }
    for (const entityId of manifest.graphs) {
      this.partitions.get(entityId)?.loadGraph(path.join(from, `graph-${entityId}.usearch`));
    }
    this.finishLoad();
    return {
      watermark: manifest.watermark,
      model: manifest.model,
      savedAt: manifest.savedAt,
      facts: manifest.facts,
    };
  }

  clear(): void {
    this.partitions.clear();
    this.texts.clear();
    this.lexical.clear();
    this.entityOf.clear();
  }

  private removeFact(entityId: number, factId: number): void {
    this.entityOf.delete(factId);
    this.texts.get(entityId)?.delete(factId);
    if (this.texts.get(entityId)?.size === 0) {
      this.texts.delete(entityId);
      this.lexical.delete(entityId);
    }
    this.lexical.get(entityId)?.remove(factId);
    const partition = this.partitions.get(entityId);
    if (partition?.remove(factId) && partition.size === 0) this.partitions.delete(entityId);
  }

  private partition(entityId: number): Partition {
    let partition = this.partitions.get(entityId);
    if (!partition) {
      partition = new Partition(this.options);
      partition.deferGraph = this.bulk;
      this.partitions.set(entityId, partition);
    }
    return partition;
  }
}

/** Deletes the half-written staging folders of processes that died while saving. */
function removeAbandoned(dir: string): void {
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
class ChunkWriter {
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
class ChunkReader {
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
