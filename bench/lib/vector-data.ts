/**
 * Deterministic synthetic embeddings for the vector benchmark: clustered, L2-normalised vectors
 * (cluster centres drawn from N(0, 1), each point = its centre + Gaussian noise), plus a skewed
 * assignment of vectors to entities. Everything is derived from one seed.
 */

/** mulberry32: a tiny 32-bit PRNG, good enough for benchmark data and fast in V8. */
export class Rng {
  #state: number;
  #spare = Number.NaN;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, both outputs used). */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const value = this.#spare;
      this.#spare = Number.NaN;
      return value;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** Scales row `row` of `matrix` (width `dims`) to unit length. */
export function normaliseRow(matrix: Float32Array, row: number, dims: number): void {
  const start = row * dims;
  let sum = 0;
  for (let d = 0; d < dims; d++) {
    const x = matrix[start + d]!;
    sum += x * x;
  }
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let d = 0; d < dims; d++) matrix[start + d]! *= scale;
}

export interface Clusters {
  count: number;
  dims: number;
  /** count × dims, unit rows. */
  centres: Float32Array;
  /** Per-cluster noise standard deviation (per dimension). */
  spread: Float32Array;
}

/**
 * Cluster centres from N(0, 1), normalised. Each cluster gets its own spread, uniform in
 * [noise / 2, noise * 1.5], so some topics are tight and some diffuse.
 */
export function makeClusters(rng: Rng, count: number, dims: number, noise: number): Clusters {
  const centres = new Float32Array(count * dims);
  const spread = new Float32Array(count);
  for (let c = 0; c < count; c++) {
    for (let d = 0; d < dims; d++) centres[c * dims + d] = rng.normal();
    normaliseRow(centres, c, dims);
    spread[c] = noise * (0.5 + rng.next());
  }
  return { count, dims, centres, spread };
}

/** Writes one point of cluster `cluster` (centre + noise, normalised) into row `row` of `out`. */
export function samplePoint(
  rng: Rng,
  clusters: Clusters,
  cluster: number,
  out: Float32Array,
  row: number,
): void {
  const { dims, centres } = clusters;
  const sigma = clusters.spread[cluster]!;
  const src = cluster * dims;
  const dst = row * dims;
  for (let d = 0; d < dims; d++) out[dst + d] = centres[src + d]! + sigma * rng.normal();
  normaliseRow(out, row, dims);
}

export interface Dataset {
  n: number;
  dims: number;
  /** n × dims, unit rows. */
  vectors: Float32Array;
  clusterOf: Uint32Array;
  entityOf: Uint32Array;
}

/**
 * Fills `n` vectors in place, chunk by chunk (one preallocated Float32Array, no per-vector
 * allocation), calling `progress` after each chunk. Entity of vector i is
 * floor(entities × u^skew): with skew 1 entities are equal in expectation; with skew 3 a few
 * entities hold many vectors and most hold a handful (entities = 1 puts everything in one).
 */
export function makeDataset(
  rng: Rng,
  clusters: Clusters,
  n: number,
  entities: number,
  skew: number,
  progress: (done: number) => void,
): Dataset {
  const dims = clusters.dims;
  const vectors = new Float32Array(n * dims);
  const clusterOf = new Uint32Array(n);
  const entityOf = new Uint32Array(n);
  const chunk = 50_000;
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    for (let i = start; i < end; i++) {
      const cluster = rng.int(clusters.count);
      clusterOf[i] = cluster;
      entityOf[i] = Math.min(entities - 1, Math.floor(entities * rng.next() ** skew));
      samplePoint(rng, clusters, cluster, vectors, i);
    }
    progress(end);
  }
  return { n, dims, vectors, clusterOf, entityOf };
}

/** Vectors of each entity as CSR: members[offsets[e] .. offsets[e + 1]). */
export interface EntityIndex {
  offsets: Uint32Array;
  members: Uint32Array;
}

export function groupByEntity(entityOf: Uint32Array, entities: number): EntityIndex {
  const offsets = new Uint32Array(entities + 1);
  for (const e of entityOf) offsets[e + 1]!++;
  for (let e = 0; e < entities; e++) offsets[e + 1]! += offsets[e]!;
  const fill = offsets.slice(0, entities);
  const members = new Uint32Array(entityOf.length);
  for (let i = 0; i < entityOf.length; i++) members[fill[entityOf[i]!]!++] = i;
  return { offsets, members };
}
