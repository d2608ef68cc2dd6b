/**
 * Exact cosine top-k in plain JS (the brute-force baseline and ground truth) and the
 * entity-scoped search the server will use on top of a usearch HNSW index.
 */
import type { Index } from 'usearch';
import type { EntityIndex } from './vector-data.ts';

/** Top-k result: row ids, best first, with their cosine similarities. */
export interface TopK {
  ids: Int32Array;
  scores: Float64Array;
  /** How many of the k slots are filled. */
  count: number;
}

function newTopK(k: number): TopK {
  return { ids: new Int32Array(k).fill(-1), scores: new Float64Array(k).fill(-Infinity), count: 0 };
}

function offer(top: TopK, id: number, score: number): void {
  const { ids, scores } = top;
  const k = ids.length;
  if (score <= scores[k - 1]!) return;
  let pos = k - 1;
  while (pos > 0 && scores[pos - 1]! < score) {
    scores[pos] = scores[pos - 1]!;
    ids[pos] = ids[pos - 1]!;
    pos--;
  }
  scores[pos] = score;
  ids[pos] = id;
  if (top.count < k) top.count++;
}

/** Dot product of `query` with row `row` of `data` (both unit length, so this is the cosine). */
export function dot(query: Float32Array, data: Float32Array, row: number, dims: number): number {
  const o = row * dims;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dims; d += 4) {
    s0 += query[d]! * data[o + d]!;
    s1 += query[d + 1]! * data[o + d + 1]!;
    s2 += query[d + 2]! * data[o + d + 2]!;
    s3 += query[d + 3]! * data[o + d + 3]!;
  }
  for (; d < dims; d++) s0 += query[d]! * data[o + d]!;
  return s0 + s1 + s2 + s3;
}

/** Exact top-k over all `n` rows. */
export function exactTopK(query: Float32Array, data: Float32Array, n: number, dims: number, k: number): TopK {
  const top = newTopK(k);
  for (let i = 0; i < n; i++) {
    const score = dot(query, data, i, dims);
    if (score > top.scores[k - 1]!) offer(top, i, score);
  }
  return top;
}

/** Exact top-k over the rows `members[from .. to)`. */
export function exactTopKOf(
  query: Float32Array,
  data: Float32Array,
  dims: number,
  members: Uint32Array,
  from: number,
  to: number,
  k: number,
): TopK {
  const top = newTopK(k);
  for (let j = from; j < to; j++) {
    const i = members[j]!;
    const score = dot(query, data, i, dims);
    if (score > top.scores[k - 1]!) offer(top, i, score);
  }
  return top;
}

/** |found ∩ truth| / min(k, truth.count). */
export function recall(found: ArrayLike<number>, foundCount: number, truth: TopK): number {
  const want = truth.count;
  if (want === 0) return 1;
  const set = new Set<number>();
  for (let j = 0; j < want; j++) set.add(truth.ids[j]!);
  let hit = 0;
  for (let j = 0; j < foundCount; j++) if (set.has(found[j]!)) hit++;
  return hit / want;
}

export type ScopedPath = 'exact' | 'hnsw' | 'hnsw+exact';

export interface ScopedResult {
  ids: Int32Array;
  count: number;
  path: ScopedPath;
  /** Total candidates requested from HNSW across rounds (0 on the exact path). */
  fetched: number;
  rounds: number;
}

export interface ScopedConfig {
  k: number;
  /** Entities with fewer vectors than this are searched exactly. */
  exactBelow: number;
  /** First over-fetch is at least k × this. */
  minFactor: number;
  /** Each further round multiplies the fetch by this. */
  growth: number;
  /** Never ask HNSW for more than this many candidates; past it, search the entity exactly. */
  cap: number;
}

/**
 * Entity-scoped top-k. Small entities: exact scan of the entity's own vectors. Otherwise:
 * over-fetch from the shared HNSW index, starting at max(k × minFactor, 2k / share) where share
 * is the entity's fraction of the index, growing until k of the entity's vectors are in the
 * candidates or the cap is hit, in which case fall back to the exact scan.
 */
export function scopedSearch(
  index: Index,
  query: Float32Array,
  entity: number,
  entityOf: Uint32Array,
  groups: EntityIndex,
  data: Float32Array,
  dims: number,
  config: ScopedConfig,
): ScopedResult {
  const { k } = config;
  const from = groups.offsets[entity]!;
  const to = groups.offsets[entity + 1]!;
  const size = to - from;
  const n = entityOf.length;
  if (size < config.exactBelow || size <= k) {
    const top = exactTopKOf(query, data, dims, groups.members, from, to, k);
    return { ids: top.ids, count: top.count, path: 'exact', fetched: 0, rounds: 0 };
  }
  const limit = Math.min(config.cap, n);
  let fetch = Math.min(limit, Math.max(k * config.minFactor, Math.ceil((2 * k * n) / size)));
  const ids = new Int32Array(k);
  let fetched = 0;
  let rounds = 0;
  for (;;) {
    const matches = index.search(query, fetch, 1);
    fetched += fetch;
    rounds++;
    let count = 0;
    const keys = matches.keys;
    for (let j = 0; j < keys.length && count < k; j++) {
      const id = Number(keys[j]!);
      if (entityOf[id] === entity) ids[count++] = id;
    }
    if (count >= k) return { ids, count, path: 'hnsw', fetched, rounds };
    if (fetch >= limit) break;
    fetch = Math.min(limit, fetch * config.growth);
  }
  const top = exactTopKOf(query, data, dims, groups.members, from, to, k);
  return { ids: top.ids, count: top.count, path: 'hnsw+exact', fetched, rounds };
}
