/**
 * HNSW parameter exploration: raw usearch HNSW (no Engram) against exact brute force, on the
 * clustered synthetic embeddings of bench/vector.ts. It is how the VECTOR_HNSW_* defaults were
 * chosen; bench/vector.ts measures Engram's own index.
 *
 *   npm run bench:hnsw -- [--n 100000] [--entities 10000] [--dims 384] [--queries 1000] [--k 10]
 *                           [--dtype i8|f16|f32] [--seed 42] [--clusters <c>] [--noise 0.035]
 *                           [--exact-queries <q>] [--scoped-queries <q>] [--entity-skew 3]
 *                           [--connectivity 16] [--expansion-add 128] [--expansion-search 64[,128,...]]
 *                           [--fetch 10[,20,...]] [--scope-exact-below 2000] [--scope-cap 8192]
 *
 * Generates n unit vectors (centre + Gaussian noise around --clusters centres; defaults to
 * n / 100 clamped to 1,000..5,000) and held-out queries the same way, all from --seed. Builds a
 * usearch index (cosine metric) with one batch add, then measures single-query latency, QPS and
 * recall@k against a plain-JS exact scan (also timed, on --exact-queries queries: by default
 * about 5e7 / n of them, at least 50), usearch's own exactSearch, and the entity-scoped search
 * (see lib/vector-search.ts). Prints a table, then one JSON object as the last line of stdout.
 * Progress goes to stderr. All searches are single-threaded; the build uses every core.
 *
 * Sweeps: usearch fixes expansion_search when an Index is constructed (the JS binding has no
 * setter), but `view()` of a saved index keeps the new object's expansion_search. So with a list
 * (--expansion-search 64,128,256) the index is built once with the first value, saved to a temp
 * file, and viewed (memory-mapped) by one new Index per further value. --fetch asks HNSW for that
 * many results and keeps the top k (usearch searches with max(expansion_search, fetch)). The
 * headline numbers are for the first value of each list; every combination goes in `sweep`.
 *
 * Data check: on up to 50 of the exact queries, the true similarity of the 1st, k-th, (k+1)-th and
 * 100th neighbour (the k-th/(k+1)-th gap says how well-defined recall@k is), and for i8 the recall
 * ceiling: exact search over the i8-quantised vectors (usearch's own cast) against the f32 truth.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exactSearch, Index, MetricKind, ScalarKind } from 'usearch';
import { groupByEntity, makeClusters, makeDataset, Rng, samplePoint } from './lib/vector-data.ts';
import {
  exactTopK,
  exactTopKOf,
  recall,
  type ScopedPath,
  scopedSearch,
  type TopK,
} from './lib/vector-search.ts';

const USAGE = `Usage: npm run bench:hnsw -- [--n 100000] [--entities 10000] [--dims 384] [--queries 1000]
  [--k 10] [--dtype i8|f16|f32] [--seed 42] [--clusters <c>] [--noise 0.035] [--exact-queries <q>]
  [--scoped-queries <q>] [--entity-skew 3] [--connectivity 16] [--expansion-add 128]
  [--expansion-search 64[,128,...]] [--fetch <k>[,<k2>,...]] [--scope-exact-below 2000]
  [--scope-cap 8192]
`;

function options(argv: string[]) {
  const s = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      n: s,
      entities: s,
      dims: s,
      queries: s,
      k: s,
      dtype: s,
      seed: s,
      clusters: s,
      noise: s,
      'exact-queries': s,
      'scoped-queries': s,
      'entity-skew': s,
      connectivity: s,
      'expansion-add': s,
      'expansion-search': s,
      fetch: s,
      'scope-exact-below': s,
      'scope-cap': s,
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: string, value: string | undefined, fallback: number, min = 1): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) {
      process.stderr.write(`--${name} must be an integer >= ${min}\n${USAGE}`);
      process.exit(2);
    }
    return parsed;
  };
  const num = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      process.stderr.write(`--${name} must be a positive number\n${USAGE}`);
      process.exit(2);
    }
    return parsed;
  };
  const dtype = values.dtype ?? 'i8';
  if (dtype !== 'i8' && dtype !== 'f16' && dtype !== 'f32') {
    process.stderr.write(`--dtype must be i8, f16 or f32\n${USAGE}`);
    process.exit(2);
  }
  const n = int('n', values.n, 100_000);
  const queries = int('queries', values.queries, 1000);
  const k = int('k', values.k, 10);
  if (k > n) {
    process.stderr.write('--k must not exceed --n\n');
    process.exit(2);
  }
  const entities = int('entities', values.entities, 10_000);
  const list = (name: string, value: string | undefined, fallback: number, min = 1): number[] =>
    value === undefined ? [fallback] : value.split(',').map((part) => int(name, part.trim(), fallback, min));
  const exactQueries = Math.min(
    queries,
    int('exact-queries', values['exact-queries'], Math.max(50, Math.floor(5e7 / n))),
  );
  return {
    n,
    entities,
    dims: int('dims', values.dims, 384),
    queries,
    k,
    dtype: dtype as 'i8' | 'f16' | 'f32',
    seed: int('seed', values.seed, 42, 0),
    clusters: int('clusters', values.clusters, Math.min(5000, Math.max(1000, Math.floor(n / 100)))),
    noise: num('noise', values.noise, 0.035),
    exactQueries,
    scopedQueries: int(
      'scoped-queries',
      values['scoped-queries'],
      Math.max(exactQueries, Math.min(queries, 200)),
    ),
    entitySkew: num('entity-skew', values['entity-skew'], 3),
    connectivity: int('connectivity', values.connectivity, 16),
    expansionAdd: int('expansion-add', values['expansion-add'], 128),
    expansionSearch: list('expansion-search', values['expansion-search'], 64),
    fetch: list('fetch', values.fetch, k, k),
    scopeExactBelow: int('scope-exact-below', values['scope-exact-below'], 2000, 0),
    scopeCap: int('scope-cap', values['scope-cap'], 8192),
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
const mb = (bytes: number) => Math.round(bytes / 1048576);
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Nearest-rank percentile of the values (copied, sorted). */
function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.max(1, Math.ceil(fraction * sorted.length)) - 1]!;
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function main(): void {
  const o = options(process.argv.slice(2));
  const { n, dims, k } = o;
  const loadStart = os.loadavg()[0]!;
  log(
    `vector bench: n=${n} entities=${o.entities} dims=${dims} dtype=${o.dtype} k=${k} clusters=${o.clusters} ` +
      `seed=${o.seed} (${os.cpus().length} cores, Node ${process.version})`,
  );

  // --- Data -----------------------------------------------------------------------------
  const rng = new Rng(o.seed);
  let t = process.hrtime.bigint();
  const clusters = makeClusters(rng, o.clusters, dims, o.noise);
  const data = makeDataset(rng, clusters, n, o.entities, o.entitySkew, (done) => {
    if (done % 200_000 === 0 || done === n)
      log(`  generated ${done}/${n} vectors (${seconds(t).toFixed(1)} s)`);
  });
  const queryRng = new Rng(o.seed ^ 0x5eed);
  const queries: Float32Array[] = [];
  const queryCluster: number[] = [];
  for (let q = 0; q < o.queries; q++) {
    const v = new Float32Array(dims);
    queryCluster.push(queryRng.int(clusters.count));
    samplePoint(queryRng, clusters, queryCluster[q]!, v, 0);
    queries.push(v);
  }
  const genS = seconds(t);
  const groups = groupByEntity(data.entityOf, o.entities);
  let nonEmpty = 0;
  let largest = 0;
  const large: number[] = [];
  for (let e = 0; e < o.entities; e++) {
    const size = groups.offsets[e + 1]! - groups.offsets[e]!;
    if (size > 0) nonEmpty++;
    if (size > largest) largest = size;
    if (size >= o.scopeExactBelow && size > k) large.push(e);
  }
  const rssBefore = process.memoryUsage().rss;
  log(`  data ready in ${genS.toFixed(1)} s; rss ${mb(rssBefore)} MB`);

  // --- Build ----------------------------------------------------------------------------
  const newIndex = (expansionSearch: number) =>
    new Index({
      dimensions: dims,
      metric: MetricKind.Cos,
      quantization: o.dtype === 'i8' ? ScalarKind.I8 : o.dtype === 'f16' ? ScalarKind.F16 : ScalarKind.F32,
      connectivity: o.connectivity,
      expansion_add: o.expansionAdd,
      expansion_search: expansionSearch,
      multi: false,
    });
  const index = newIndex(o.expansionSearch[0]!);
  const keys = new BigUint64Array(n);
  for (let i = 0; i < n; i++) keys[i] = BigInt(i);
  t = process.hrtime.bigint();
  const batch = Math.max(10_000, Math.ceil(n / 20));
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    index.add(keys.subarray(start, end), data.vectors.subarray(start * dims, end * dims), 0);
    log(`  indexed ${end}/${n} (${seconds(t).toFixed(1)} s)`);
  }
  const buildS = seconds(t);
  const rssAfter = process.memoryUsage().rss;
  if (index.size() !== n) throw new Error(`index holds ${index.size()} vectors, expected ${n}`);
  const probe = Math.floor(n / 2);
  const self = index.search(data.vectors.slice(probe * dims, (probe + 1) * dims), 1, 1);
  if (Number(self.keys[0]) !== probe) log(`  warning: vector ${probe} is not its own nearest neighbour`);

  // --- HNSW queries ---------------------------------------------------------------------
  /**
   * Every query once, asking for `fetch` results and keeping the first k (best first). When
   * fetch > k, also re-ranks the fetched candidates by exact f32 cosine (the original vectors)
   * and keeps the top k of those: `rerankMs` times search + re-rank together.
   */
  const runHnsw = (idx: Index, fetch: number) => {
    for (let q = 0; q < Math.min(50, o.queries); q++) idx.search(queries[q]!, fetch, 1);
    const ms: number[] = [];
    const ids: Int32Array[] = [];
    const rerankMs: number[] = [];
    const rerankIds: Int32Array[] = [];
    const loopStart = process.hrtime.bigint();
    for (const query of queries) {
      const s = process.hrtime.bigint();
      const m = idx.search(query, fetch, 1);
      ms.push(Number(process.hrtime.bigint() - s) / 1e6);
      const top = new Int32Array(Math.min(k, m.keys.length));
      for (let j = 0; j < top.length; j++) top[j] = Number(m.keys[j]!);
      ids.push(top);
      if (fetch > k) {
        const candidates = Uint32Array.from(m.keys, Number);
        const best = exactTopKOf(query, data.vectors, dims, candidates, 0, candidates.length, k);
        rerankMs.push(Number(process.hrtime.bigint() - s) / 1e6);
        rerankIds.push(best.ids.slice(0, best.count));
      }
    }
    return { ms, ids, rerankMs, rerankIds, qps: o.queries / seconds(loopStart) };
  };
  const headline = runHnsw(index, o.fetch[0]!);
  const hnswMs = headline.ms;
  const hnswIds = headline.ids;
  const qps = headline.qps;
  log(`  ${o.queries} HNSW queries done`);

  // --- Exact: JS brute force (ground truth) and usearch exactSearch -----------------------
  const truth: TopK[] = [];
  const exactMs: number[] = [];
  t = process.hrtime.bigint();
  for (let q = 0; q < o.exactQueries; q++) {
    const s = process.hrtime.bigint();
    truth.push(exactTopK(queries[q]!, data.vectors, n, dims, k));
    exactMs.push(Number(process.hrtime.bigint() - s) / 1e6);
    if ((q + 1) % 25 === 0) log(`  JS exact ${q + 1}/${o.exactQueries} (${seconds(t).toFixed(1)} s)`);
  }
  const recalls = truth.map((tk, q) => recall(hnswIds[q]!, hnswIds[q]!.length, tk));
  const recallOf = (ids: Int32Array[]) => mean(truth.map((tk, q) => recall(ids[q]!, ids[q]!.length, tk)));
  const nativeExactMs: number[] = [];
  const nativeAgreement: number[] = [];
  for (let q = 0; q < o.exactQueries; q++) {
    const s = process.hrtime.bigint();
    const m = exactSearch(data.vectors, queries[q]!, dims, k, MetricKind.Cos, 1);
    nativeExactMs.push(Number(process.hrtime.bigint() - s) / 1e6);
    const keysOf = 'get' in m ? m.get(0).keys : m.keys;
    nativeAgreement.push(recall(Array.from(keysOf, Number), keysOf.length, truth[q]!));
  }
  log(`  exact searches done`);

  // --- Data check: neighbour similarity profile, and the i8 quantisation ceiling ----------
  const profileQueries = Math.min(50, o.exactQueries);
  const depth = Math.min(n, Math.max(100, k + 1));
  const s1: number[] = [];
  const sk: number[] = [];
  const sk1: number[] = [];
  const sDeep: number[] = [];
  const nearTies: number[] = [];
  const ownCluster: number[] = [];
  for (let q = 0; q < profileQueries; q++) {
    const top = exactTopK(queries[q]!, data.vectors, n, dims, depth);
    s1.push(top.scores[0]!);
    sk.push(top.scores[k - 1]!);
    sk1.push(top.scores[k]!);
    sDeep.push(top.scores[depth - 1]!);
    let ties = 0;
    for (let j = k; j < depth; j++) if (top.scores[j]! >= top.scores[k - 1]! - 0.01) ties++;
    nearTies.push(ties);
    let own = 0;
    for (let j = 0; j < k; j++) if (data.clusterOf[top.ids[j]!] === queryCluster[q]) own++;
    ownCluster.push(own / k);
  }
  const gaps = sk.map((x, q) => x - sk1[q]!);
  const profile = {
    queries: profileQueries,
    depth,
    sim_1_median: round(percentile(s1, 0.5), 4),
    sim_k_median: round(percentile(sk, 0.5), 4),
    sim_k1_median: round(percentile(sk1, 0.5), 4),
    sim_depth_median: round(percentile(sDeep, 0.5), 4),
    gap_k_k1_median: round(percentile(gaps, 0.5), 5),
    gap_k_k1_mean: round(mean(gaps), 5),
    gap_k_k1_p10: round(percentile(gaps, 0.1), 5),
    /** Neighbours ranked k+1..depth within 0.01 of the k-th similarity (median). */
    within_0_01_of_kth_median: percentile(nearTies, 0.5),
    top_k_in_query_cluster: round(mean(ownCluster), 4),
  };
  let i8Ceiling: number | null = null;
  if (o.dtype === 'i8') {
    // usearch's f32 -> i8 cast: scale to unit length, times 127, truncate toward zero, clamp.
    const quantise = (src: Float32Array, rows: number) => {
      const out = new Int8Array(rows * dims);
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let d = 0; d < dims; d++) sum += src[r * dims + d]! * src[r * dims + d]!;
        const scale = sum > 0 ? 127 / Math.sqrt(sum) : 0;
        for (let d = 0; d < dims; d++)
          out[r * dims + d] = Math.max(-127, Math.min(127, Math.trunc(src[r * dims + d]! * scale)));
      }
      return out;
    };
    const qFlat = new Float32Array(o.exactQueries * dims);
    for (let q = 0; q < o.exactQueries; q++) qFlat.set(queries[q]!, q * dims);
    const m = exactSearch(
      quantise(data.vectors, n),
      quantise(qFlat, o.exactQueries),
      dims,
      k,
      MetricKind.Cos,
      0,
    );
    const rec: number[] = [];
    for (let q = 0; q < o.exactQueries; q++) {
      const keysOf = 'get' in m ? m.get(q).keys : m.keys;
      rec.push(recall(Array.from(keysOf, Number), keysOf.length, truth[q]!));
    }
    i8Ceiling = mean(rec);
  }
  log(`  data check done`);

  // --- Sweep over expansion_search (saved index, viewed) and fetch -------------------------
  const sweep: {
    expansion_search: number;
    fetch: number;
    p50_ms: number;
    p99_ms: number;
    qps: number;
    recall_at_10: number;
    speedup_p50: number;
    rerank_p50_ms: number | null;
    rerank_p99_ms: number | null;
    rerank_recall_at_10: number | null;
  }[] = [];
  const exactP50ForSweep = percentile(exactMs, 0.5);
  if (o.expansionSearch.length > 1 || o.fetch.length > 1) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-bench-'));
    const file = path.join(dir, 'index.usearch');
    try {
      if (o.expansionSearch.length > 1) {
        const s = process.hrtime.bigint();
        index.save(file);
        log(`  saved index for the sweep (${seconds(s).toFixed(1)} s, ${mb(fs.statSync(file).size)} MB)`);
      }
      for (const [e, ef] of o.expansionSearch.entries()) {
        let idx = index;
        if (e > 0) {
          idx = newIndex(ef);
          idx.view(file);
        }
        for (const [f, fetch] of o.fetch.entries()) {
          const r = e === 0 && f === 0 ? headline : runHnsw(idx, fetch);
          const p50s = percentile(r.ms, 0.5);
          sweep.push({
            expansion_search: ef,
            fetch,
            p50_ms: round(p50s, 4),
            p99_ms: round(percentile(r.ms, 0.99), 4),
            qps: Math.round(r.qps),
            recall_at_10: round(recallOf(r.ids), 4),
            speedup_p50: round(exactP50ForSweep / p50s, 1),
            rerank_p50_ms: r.rerankMs.length ? round(percentile(r.rerankMs, 0.5), 4) : null,
            rerank_p99_ms: r.rerankMs.length ? round(percentile(r.rerankMs, 0.99), 4) : null,
            rerank_recall_at_10: r.rerankMs.length ? round(recallOf(r.rerankIds), 4) : null,
          });
          log(`  sweep ef_search=${ef} fetch=${fetch}: ${JSON.stringify(sweep.at(-1))}`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  // --- Entity-scoped search ---------------------------------------------------------------
  const scopedConfig = { k, exactBelow: o.scopeExactBelow, minFactor: 4, growth: 4, cap: o.scopeCap };
  const scopedRng = new Rng(o.seed ^ 0xe471);
  const nonEmptyIds: number[] = [];
  for (let e = 0; e < o.entities; e++) if (groups.offsets[e + 1]! > groups.offsets[e]!) nonEmptyIds.push(e);
  const runScoped = (pick: () => number) => {
    const ms: number[] = [];
    const rec: number[] = [];
    const paths: Record<ScopedPath, number> = { exact: 0, hnsw: 0, 'hnsw+exact': 0 };
    const fetched: number[] = [];
    for (let q = 0; q < o.scopedQueries; q++) {
      const entity = pick();
      const from = groups.offsets[entity]!;
      const to = groups.offsets[entity + 1]!;
      // A query about this entity: a new point in the cluster of one of its vectors.
      const member = groups.members[from + scopedRng.int(to - from)]!;
      const query = new Float32Array(dims);
      samplePoint(scopedRng, clusters, data.clusterOf[member]!, query, 0);
      const s = process.hrtime.bigint();
      const r = scopedSearch(index, query, entity, data.entityOf, groups, data.vectors, dims, scopedConfig);
      ms.push(Number(process.hrtime.bigint() - s) / 1e6);
      paths[r.path]++;
      if (r.path !== 'exact') fetched.push(r.fetched);
      rec.push(recall(r.ids, r.count, exactTopKOf(query, data.vectors, dims, groups.members, from, to, k)));
    }
    return {
      queries: ms.length,
      p50_ms: round(percentile(ms, 0.5), 4),
      p99_ms: round(percentile(ms, 0.99), 4),
      recall_at_10: round(mean(rec), 4),
      paths,
      mean_fetched: fetched.length ? Math.round(mean(fetched)) : 0,
    };
  };
  const scoped = runScoped(() => nonEmptyIds[scopedRng.int(nonEmptyIds.length)]!);
  log(`  scoped (random entities) done`);
  const scopedLarge = large.length > 0 ? runScoped(() => large[scopedRng.int(large.length)]!) : null;
  if (scopedLarge) log(`  scoped (large entities) done`);

  // --- Report -----------------------------------------------------------------------------
  const p50 = percentile(hnswMs, 0.5);
  const p99 = percentile(hnswMs, 0.99);
  const exactP50 = percentile(exactMs, 0.5);
  const exactP99 = percentile(exactMs, 0.99);
  const recallAt10 = mean(recalls);
  const rows: [string, string][] = [
    ['vectors / dims / dtype', `${n} / ${dims} / ${o.dtype} (cosine)`],
    ['entities (non-empty, largest)', `${o.entities} (${nonEmpty}, ${largest})`],
    ['clusters / noise', `${o.clusters} / ${o.noise}`],
    [
      'HNSW M / ef_add / ef_search / fetch',
      `${o.connectivity} / ${o.expansionAdd} / ${o.expansionSearch[0]} / ${o.fetch[0]}`,
    ],
    ['generate data', `${genS.toFixed(1)} s`],
    ['HNSW build (batch add, all cores)', `${buildS.toFixed(1)} s (${Math.round(n / buildS)} vectors/s)`],
    [
      'RSS before / after build',
      `${mb(rssBefore)} MB / ${mb(rssAfter)} MB (+${mb(rssAfter - rssBefore)} MB)`,
    ],
    [`HNSW top-${k} p50 / p99 (1 thread)`, `${p50.toFixed(3)} ms / ${p99.toFixed(3)} ms`],
    ['HNSW QPS (sequential)', `${Math.round(qps)}`],
    [
      `HNSW recall@${k} (vs JS exact, ${o.exactQueries} q)`,
      `${recallAt10.toFixed(4)} (min ${Math.min(...recalls).toFixed(2)})`,
    ],
    ['JS exact p50 / p99', `${exactP50.toFixed(2)} ms / ${exactP99.toFixed(2)} ms`],
    [
      'usearch exactSearch p50 / p99 (1 thr)',
      `${percentile(nativeExactMs, 0.5).toFixed(2)} ms / ${percentile(nativeExactMs, 0.99).toFixed(2)} ms ` +
        `(agrees with JS: ${mean(nativeAgreement).toFixed(4)})`,
    ],
    ['speedup p50 (JS exact / HNSW)', `${(exactP50 / p50).toFixed(0)}x`],
    [
      `scoped, random entities (${scoped.queries} q)`,
      `p50 ${scoped.p50_ms} ms, p99 ${scoped.p99_ms} ms, recall ${scoped.recall_at_10}, paths ${JSON.stringify(scoped.paths)}`,
    ],
  ];
  rows.push([
    `true sims, ${profile.queries} q (median)`,
    `1st ${profile.sim_1_median}, ${k}th ${profile.sim_k_median}, ${k + 1}th ${profile.sim_k1_median}, ` +
      `${profile.depth}th ${profile.sim_depth_median}; top-${k} in query's cluster ${profile.top_k_in_query_cluster}`,
  ]);
  rows.push([
    `gap ${k}th - ${k + 1}th similarity`,
    `median ${profile.gap_k_k1_median}, mean ${profile.gap_k_k1_mean}, p10 ${profile.gap_k_k1_p10}; ` +
      `ranks ${k + 1}..${profile.depth} within 0.01 of ${k}th: median ${profile.within_0_01_of_kth_median}`,
  ]);
  if (i8Ceiling !== null)
    rows.push([`i8 ceiling: exact i8 search recall@${k}`, `${i8Ceiling.toFixed(4)} (vs f32 truth)`]);
  for (const r of sweep)
    rows.push([
      `sweep ef_search ${r.expansion_search}, fetch ${r.fetch}`,
      `p50 ${r.p50_ms.toFixed(3)} ms, p99 ${r.p99_ms.toFixed(3)} ms, recall ${r.recall_at_10.toFixed(4)}, ` +
        `${r.speedup_p50}x` +
        (r.rerank_p50_ms === null
          ? ''
          : `; f32 re-rank: p50 ${r.rerank_p50_ms.toFixed(3)} ms, p99 ${r.rerank_p99_ms!.toFixed(3)} ms, ` +
            `recall ${r.rerank_recall_at_10!.toFixed(4)}`),
    ]);
  if (scopedLarge) {
    rows.push([
      `scoped, entities >= ${o.scopeExactBelow} (${large.length})`,
      `p50 ${scopedLarge.p50_ms} ms, p99 ${scopedLarge.p99_ms} ms, recall ${scopedLarge.recall_at_10}, ` +
        `paths ${JSON.stringify(scopedLarge.paths)}, mean fetched ${scopedLarge.mean_fetched}`,
    ]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);

  const result = {
    bench: 'vector',
    n,
    entities: o.entities,
    dims,
    dtype: o.dtype,
    k,
    seed: o.seed,
    clusters: o.clusters,
    connectivity: o.connectivity,
    expansion_add: o.expansionAdd,
    expansion_search: o.expansionSearch[0],
    fetch: o.fetch[0],
    queries: o.queries,
    exact_queries: o.exactQueries,
    build_s: round(buildS, 2),
    rss_mb: mb(rssAfter),
    rss_before_build_mb: mb(rssBefore),
    p50_ms: round(p50, 4),
    p99_ms: round(p99, 4),
    qps: Math.round(qps),
    recall_at_10: round(recallAt10, 4),
    exact_p50_ms: round(exactP50, 3),
    exact_p99_ms: round(exactP99, 3),
    usearch_exact_p50_ms: round(percentile(nativeExactMs, 0.5), 3),
    usearch_exact_p99_ms: round(percentile(nativeExactMs, 0.99), 3),
    speedup_p50: round(exactP50 / p50, 1),
    scoped,
    scoped_large: scopedLarge,
    profile,
    i8_ceiling_recall_at_10: i8Ceiling === null ? null : round(i8Ceiling, 4),
    sweep,
    /** 1-minute load average at start and end: other work on the machine skews latency. */
    load_avg_start_end: [round(loadStart, 2), round(os.loadavg()[0]!, 2)],
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
