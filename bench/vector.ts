/**
 * Vector benchmark: usearch HNSW against exact brute force, on clustered synthetic embeddings.
 *
 *   npm run bench:vector -- [--n 100000] [--entities 10000] [--dims 384] [--queries 1000] [--k 10]
 *                           [--dtype i8|f16|f32] [--seed 42] [--clusters <c>] [--noise 0.035]
 *                           [--exact-queries <q>] [--scoped-queries <q>] [--entity-skew 3]
 *                           [--connectivity 16] [--expansion-add 128] [--expansion-search 64]
 *                           [--scope-exact-below 2000] [--scope-cap 8192]
 *
 * Generates n unit vectors (centre + Gaussian noise around --clusters centres; defaults to
 * n / 100 clamped to 1,000..5,000) and held-out queries the same way, all from --seed. Builds a
 * usearch index (cosine metric) with one batch add, then measures single-query latency, QPS and
 * recall@k against a plain-JS exact scan (also timed, on --exact-queries queries: by default
 * about 5e7 / n of them, at least 50), usearch's own exactSearch, and the entity-scoped search
 * (see lib/vector-search.ts). Prints a table, then one JSON object as the last line of stdout.
 * Progress goes to stderr. All searches are single-threaded; the build uses every core.
 */
import os from 'node:os';
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

const USAGE = `Usage: npm run bench:vector -- [--n 100000] [--entities 10000] [--dims 384] [--queries 1000]
  [--k 10] [--dtype i8|f16|f32] [--seed 42] [--clusters <c>] [--noise 0.035] [--exact-queries <q>]
  [--scoped-queries <q>] [--entity-skew 3] [--connectivity 16] [--expansion-add 128]
  [--expansion-search 64] [--scope-exact-below 2000] [--scope-cap 8192]
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
    expansionSearch: int('expansion-search', values['expansion-search'], 64),
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
  for (let q = 0; q < o.queries; q++) {
    const v = new Float32Array(dims);
    samplePoint(queryRng, clusters, queryRng.int(clusters.count), v, 0);
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
  const index = new Index({
    dimensions: dims,
    metric: MetricKind.Cos,
    quantization: o.dtype === 'i8' ? ScalarKind.I8 : o.dtype === 'f16' ? ScalarKind.F16 : ScalarKind.F32,
    connectivity: o.connectivity,
    expansion_add: o.expansionAdd,
    expansion_search: o.expansionSearch,
    multi: false,
  });
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
  for (let q = 0; q < Math.min(50, o.queries); q++) index.search(queries[q]!, k, 1);
  const hnswMs: number[] = [];
  const hnswIds: Int32Array[] = [];
  const loopStart = process.hrtime.bigint();
  for (const query of queries) {
    const s = process.hrtime.bigint();
    const m = index.search(query, k, 1);
    hnswMs.push(Number(process.hrtime.bigint() - s) / 1e6);
    const ids = new Int32Array(m.keys.length);
    for (let j = 0; j < ids.length; j++) ids[j] = Number(m.keys[j]!);
    hnswIds.push(ids);
  }
  const qps = o.queries / seconds(loopStart);
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
    ['HNSW M / ef_add / ef_search', `${o.connectivity} / ${o.expansionAdd} / ${o.expansionSearch}`],
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
    expansion_search: o.expansionSearch,
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
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
