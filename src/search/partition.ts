import { exactSearch, Index, MetricKind, ScalarKind } from 'usearch';

/** One search result: a fact and its cosine similarity to the query. */
export interface VectorHit {
  factId: number;
  similarity: number;
}

/** How partitions search; every field comes from configuration (src/config/config.ts, `searchIndex`). */
export interface PartitionOptions {
  dimension: number;
  /** Vectors in one entity above which it gets its own HNSW graph; below it search is exact. */
  hnswThreshold: number;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  quantization: 'i8' | 'f16' | 'f32';
}

const SCALAR: Record<PartitionOptions['quantization'], ScalarKind> = {
  i8: ScalarKind.I8,
  f16: ScalarKind.F16,
  f32: ScalarKind.F32,
};

// Below this many vectors a plain loop beats usearch's exactSearch, whose call costs ~150 µs.
const JS_SCAN_LIMIT = 256;

/**
 * The vectors of one entity. Search never leaves the partition, so no other entity's fact can
 * appear and an entity's top-k does not depend on how many other entities exist. Small
 * partitions are searched exactly; large ones through their own HNSW graph, whose candidates
 * are re-ranked with the exact float vectors kept here.
 */
export class Partition {
  private readonly slotOf = new Map<number, number>();
  private ids = new Int32Array(8);
  private data: Float32Array;
  private graph: Index | null = null;
  /** Set while the graph is a read-only memory map of this saved file (see loadGraph). */
  private viewedFrom: string | null = null;
  size = 0;

  constructor(private readonly options: PartitionOptions) {
    this.data = new Float32Array(8 * options.dimension);
  }

  has(factId: number): boolean {
    return this.slotOf.has(factId);
  }

  /** Fact ids in slot order. */
  factIds(): Int32Array {
    return this.ids.slice(0, this.size);
  }

  /** The stored vector of a fact (a view: copy before keeping it). */
  vectorOf(factId: number): Float32Array | undefined {
    const slot = this.slotOf.get(factId);
    if (slot === undefined) return undefined;
    const dim = this.options.dimension;
    return this.data.subarray(slot * dim, (slot + 1) * dim);
  }

  get hasGraph(): boolean {
    return this.graph !== null;
  }

  /**
   * While true (a bulk load), a partition that outgrows the threshold does not build its graph
   * vector by vector; finishLoad() builds it in one multi-threaded batch.
   */
  deferGraph = false;

  /** Adds or replaces a fact's vector (unit length expected). */
  upsert(factId: number, vector: Float32Array): void {
    const dim = this.options.dimension;
    let slot = this.slotOf.get(factId);
    if (slot === undefined) {
      slot = this.size++;
      this.ensureCapacity(this.size);
      this.slotOf.set(factId, slot);
      this.ids[slot] = factId;
    } else if (this.graph) {
      this.writableGraph().remove(BigInt(factId));
    }
    this.data.set(vector, slot * dim);
    if (this.graph) {
      const graph = this.writableGraph();
      // A graph rebuilt from the vectors just now already holds this one.
      if (!graph.contains(BigInt(factId))) graph.add(BigInt(factId), vector);
    } else if (!this.deferGraph && this.size > this.options.hnswThreshold) this.buildGraph();
  }

  remove(factId: number): boolean {
    const slot = this.slotOf.get(factId);
    if (slot === undefined) return false;
    const dim = this.options.dimension;
    const last = --this.size;
    if (slot !== last) {
      const moved = this.ids[last] as number;
      this.ids[slot] = moved;
      this.data.copyWithin(slot * dim, last * dim, (last + 1) * dim);
      this.slotOf.set(moved, slot);
    }
    this.slotOf.delete(factId);
    if (this.graph) this.writableGraph().remove(BigInt(factId));
    return true;
  }

  /** The k most similar facts with similarity ≥ threshold, best first. */
  search(query: Float32Array, k: number, threshold = -1): VectorHit[] {
    if (this.size === 0 || k <= 0) return [];
    let hits: VectorHit[];
    const wanted = Math.min(this.size, Math.max(k * 4, 64));
    // The graph is approximate: when the candidates would cover the whole partition anyway, an
    // exact scan is as cheap and misses nothing.
    if (this.graph && wanted < this.size) {
      // Over-fetch from the graph, then rank the candidates by their exact similarity.
      const matches = this.graph.search(query, wanted, 0);
      hits = Array.from(matches.keys, (key) => {
        const factId = Number(key);
        return { factId, similarity: this.dot(this.slotOf.get(factId) as number, query) };
      });
    } else if (this.size <= JS_SCAN_LIMIT) {
      hits = new Array(this.size);
      for (let slot = 0; slot < this.size; slot++) {
        hits[slot] = { factId: this.ids[slot] as number, similarity: this.dot(slot, query) };
      }
    } else {
      const dim = this.options.dimension;
      const matches = exactSearch(
        this.data.subarray(0, this.size * dim),
        query,
        dim,
        Math.min(this.size, k),
        MetricKind.IP,
      );
      hits = Array.from(matches.keys, (key) => {
        const slot = Number(key);
        return { factId: this.ids[slot] as number, similarity: this.dot(slot, query) };
      });
    }
    return hits
      .filter((hit) => hit.similarity >= threshold)
      .sort((a, b) => b.similarity - a.similarity || a.factId - b.factId)
      .slice(0, k);
  }

  /** The exact cosine similarity of one fact to the query; undefined when it has no vector here. */
  similarity(factId: number, query: Float32Array): number | undefined {
    const slot = this.slotOf.get(factId);
    return slot === undefined ? undefined : this.dot(slot, query);
  }

  /** Saves the HNSW graph, if any, so the next start need not rebuild it. */
  saveGraph(path: string): boolean {
    if (!this.graph) return false;
    this.graph.save(path);
    return true;
  }

  /**
   * Opens a saved graph as a memory map, so a large index is searchable at once without reading
   * it into memory; the first write to the partition loads it for real (a mapped graph is
   * read-only). False, and the graph is rebuilt, when the file does not match the vectors.
   */
  loadGraph(path: string): boolean {
    const graph = this.newGraph();
    try {
      graph.view(path);
    } catch {
      return false;
    }
    if (graph.size() !== this.size) return false;
    this.graph = graph;
    this.viewedFrom = path;
    return true;
  }

  /** Whether the graph is still the read-only memory map of a snapshot file. */
  get isMapped(): boolean {
    return this.viewedFrom !== null;
  }

  /** The graph, first loaded into memory if it is still a read-only map. */
  private writableGraph(): Index {
    const graph = this.graph as Index;
    if (this.viewedFrom) {
      const path = this.viewedFrom;
      this.viewedFrom = null;
      try {
        // The snapshot's file at this path always holds this same graph: saves rewrite it whole.
        const loaded = this.newGraph();
        loaded.load(path);
        this.graph = loaded;
        return loaded;
      } catch {
        this.buildGraph();
        return this.graph as Index;
      }
    }
    return graph;
  }

  /** Builds the HNSW graph now (after a bulk load) when the partition is large enough. */
  finishLoad(): void {
    this.deferGraph = false;
    if (!this.graph && this.size > this.options.hnswThreshold) this.buildGraph();
  }

  private buildGraph(): void {
    const graph = this.newGraph();
    const keys = new BigUint64Array(this.size);
    for (let slot = 0; slot < this.size; slot++) keys[slot] = BigInt(this.ids[slot] as number);
    graph.add(keys, this.data.subarray(0, this.size * this.options.dimension));
    this.graph = graph;
  }

  private newGraph(): Index {
    const { dimension, connectivity, expansionAdd, expansionSearch, quantization } = this.options;
    return new Index({
      dimensions: dimension,
      metric: MetricKind.Cos,
      quantization: SCALAR[quantization],
      connectivity,
      expansion_add: expansionAdd,
      expansion_search: expansionSearch,
      multi: false,
    });
  }

  private dot(slot: number, query: Float32Array): number {
    const dim = this.options.dimension;
    const data = this.data;
    let sum = 0;
    for (let i = 0, offset = slot * dim; i < dim; i++, offset++)
      sum += (data[offset] as number) * (query[i] as number);
    return sum;
  }

  private ensureCapacity(size: number): void {
    if (size <= this.ids.length) return;
    const capacity = Math.max(size, this.ids.length * 2);
    const ids = new Int32Array(capacity);
    ids.set(this.ids);
    this.ids = ids;
    const data = new Float32Array(capacity * this.options.dimension);
    data.set(this.data);
    this.data = data;
  }
}
