import { type LexicalHit, LexicalPartition } from './lexical.ts';
import { messagePartition } from './message-rows.ts';
import { Partition, type PartitionOptions, type VectorHit } from './partition.ts';
import { type LoadedSnapshot, readSnapshot, type SnapshotMeta, writeSnapshot } from './snapshot-file.ts';

/**
 * The state of one document (a fact, or a message under negated ids: message-rows.ts) as the
 * index should hold it; `content: null` means it is gone.
 */
export interface FactState {
  factId: number;
  entityId: number;
  content: string | null;
  /** Unit-length vector of the index's dimension, or null when the fact has none (lexical only). */
  vector: Float32Array | null;
}

/** Counts of what the set holds, for status and logs. */
export interface PartitionSetStats {
  entities: number;
  facts: number;
  /** Messages held (MESSAGE_INDEX), with or without a vector. */
  messages: number;
  vectors: number;
  graphs: number;
}

/**
 * Everything the search index holds, per entity: the vectors ({@link Partition}) and the texts
 * for BM25 ({@link LexicalPartition}, built on first use). Lives inside the search thread
 * (search-thread.ts); every method is synchronous.
 */
export class PartitionSet {
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

  /**
   * Replaces everything known about an entity (an erase, or a full resynchronization).
   * @returns the texts it held that the new state no longer has (an erase: all of them), so the
   *   caller can drop them from other caches
   */
  resetEntity(entityId: number, facts: FactState[]): string[] {
    // The entity's facts and its messages (message-rows.ts) go, and come back as given.
    const keys = [entityId, messagePartition(entityId)];
    const before: string[] = [];
    for (const key of keys) {
      const texts = this.texts.get(key);
      for (const [factId, text] of texts ?? []) {
        this.entityOf.delete(factId);
        before.push(text);
      }
      this.texts.delete(key);
      this.lexical.delete(key);
      this.partitions.delete(key);
    }
    for (const fact of facts) this.apply(fact);
    const kept = new Set(keys.flatMap((key) => [...(this.texts.get(key)?.values() ?? [])]));
    return [...new Set(before)].filter((text) => !kept.has(text));
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

  /** Every fact the set holds with whether it has a vector, for verification against the database. */
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

  stats(): PartitionSetStats {
    let vectors = 0;
    let graphs = 0;
    for (const partition of this.partitions.values()) {
      vectors += partition.size;
      if (partition.hasGraph) graphs++;
    }
    let messages = 0;
    for (const documentId of this.entityOf.keys()) if (documentId < 0) messages++;
    const entities = new Set([...this.texts.keys()].map((key) => Math.abs(key))).size;
    return { entities, facts: this.entityOf.size - messages, messages, vectors, graphs };
  }

  /** Builds the HNSW graphs of large partitions after a bulk load. */
  finishLoad(): void {
    this.bulk = false;
    for (const partition of this.partitions.values()) partition.finishLoad();
  }

  /** Writes a snapshot of the set to `dir` atomically (see {@link writeSnapshot}). */
  save(dir: string, meta: SnapshotMeta): void {
    writeSnapshot(this, dir, meta);
  }

  /**
   * Loads a snapshot written by {@link save} into this (empty) set. Returns its metadata, or null
   * when there is none or it does not fit (another dimension, another format, damaged).
   */
  load(dir: string): LoadedSnapshot | null {
    return readSnapshot(this, dir);
  }

  /** Every fact, entity by entity, with the entity's vectors: what a snapshot holds. */
  *entities(): IterableIterator<{
    entityId: number;
    texts: ReadonlyMap<number, string>;
    partition: Partition | undefined;
  }> {
    for (const [entityId, texts] of this.texts)
      yield { entityId, texts, partition: this.partitions.get(entityId) };
  }

  /** Facts held, with or without a vector. */
  get factCount(): number {
    return this.entityOf.size;
  }

  /** Serves an entity's HNSW graph from a saved file instead of building it (after a load). */
  loadGraph(entityId: number, file: string): void {
    this.partitions.get(entityId)?.loadGraph(file);
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
