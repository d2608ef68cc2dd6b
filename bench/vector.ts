/**
 * Vector benchmark of Engram's own index (src/vector: per-entity partitions, exact below the HNSW
 * threshold, an HNSW graph re-ranked with exact vectors above it), on clustered synthetic 384-d
 * embeddings, side by side with exact brute-force search in the same run.
 *
 *   npm run bench:vector -- [--n 100000] [--entities 10000] [--queries 1000] [--exact-queries <q>]
 *                           [--graphql-queries 500] [--dims 384] [--k 10] [--seed 42] [--clusters <c>]
 *                           [--noise 0.035] [--entity-skew 3] [--hnsw-threshold 16384]
 *                           [--connectivity 16] [--expansion-add 128] [--expansion-search 128]
 *                           [--dtype i8|f16|f32]
 *
 * `--entities 1` puts every vector in one entity (the HNSW path); with 10k entities most are
 * searched exactly. Each query targets one entity (the entity of a random vector, so large
 * entities are queried as often as they hold vectors) with a point near that vector's cluster.
 * Recall@k is against the exact top-k of that entity. The exact baselines scan all n vectors as
 * the requirements' FAISS IndexFlat reference does: in plain JS, and with usearch's SIMD exactSearch.
 * Then the index is saved as a snapshot, a real Engram loads it, and semanticFacts is asked over
 * HTTP (one request at a time) with vector arguments. A table, then one JSON line, go to stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exactSearch, MetricKind } from 'usearch';
import type { PartitionOptions } from '../src/search/partition.ts';
import { PartitionSet } from '../src/search/partition-set.ts';
import { percentile } from './lib/load.ts';
import { graphqlPhase } from './lib/semantic-graphql.ts';
import { groupByEntity, makeClusters, makeDataset, Rng, samplePoint } from './lib/vector-data.ts';
import { exactTopK, exactTopKOf } from './lib/vector-search.ts';

const USAGE = `Usage: npm run bench:vector -- [--n 100000] [--entities 10000] [--queries 1000]
  [--exact-queries <q>] [--graphql-queries 500] [--dims 384] [--k 10] [--seed 42] [--clusters <c>]
  [--noise 0.035] [--entity-skew 3] [--hnsw-threshold 16384] [--connectivity 16]
  [--expansion-add 128] [--expansion-search 128] [--dtype i8|f16|f32]
`;

function options(argv: string[]) {
  const s = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      n: s,
      entities: s,
      queries: s,
      'exact-queries': s,
      'graphql-queries': s,
      dims: s,
      k: s,
      seed: s,
      clusters: s,
      noise: s,
      'entity-skew': s,
      'hnsw-threshold': s,
      connectivity: s,
      'expansion-add': s,
      'expansion-search': s,
      dtype: s,
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) {
      process.stderr.write(`--${name} must be a non-negative number\n${USAGE}`);
      process.exit(64);
    }
    return parsed;
  };
  const n = num('n', values.n, 100_000);
  const dtype = values.dtype ?? 'i8';
  if (dtype !== 'i8' && dtype !== 'f16' && dtype !== 'f32') {
    process.stderr.write(`--dtype must be i8, f16 or f32\n${USAGE}`);
    process.exit(64);
  }
  return {
    n,
    entities: Math.max(1, num('entities', values.entities, 10_000)),
    queries: num('queries', values.queries, 1000),
    exactQueries: num('exact-queries', values['exact-queries'], Math.max(50, Math.round(5e7 / n))),
    graphqlQueries: num('graphql-queries', values['graphql-queries'], 500),
    dims: num('dims', values.dims, 384),
    k: num('k', values.k, 10),
    seed: num('seed', values.seed, 42),
    clusters: num('clusters', values.clusters, Math.min(5000, Math.max(1000, Math.round(n / 100)))),
    noise: num('noise', values.noise, 0.035),
    entitySkew: num('entity-skew', values['entity-skew'], 3),
    partition: {
      dimension: num('dims', values.dims, 384),
      hnswThreshold: num('hnsw-threshold', values['hnsw-threshold'], 16_384),
      connectivity: num('connectivity', values.connectivity, 16),
      expansionAdd: num('expansion-add', values['expansion-add'], 128),
      expansionSearch: num('expansion-search', values['expansion-search'], 128),
      quantization: dtype,
    } satisfies PartitionOptions,
  };
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const mb = (bytes: number) => Math.round(bytes / 1048576);

async function main() {
  const o = options(process.argv.slice(2));
  const { n, dims, k } = o;
  const rng = new Rng(o.seed);
  const clusters = makeClusters(rng, o.clusters, dims, o.noise);
  progress(`generating ${n} clustered ${dims}-d vectors over ${o.entities} entities`);
  const data = makeDataset(rng, clusters, n, o.entities, o.entitySkew, () => {});
  const groups = groupByEntity(data.entityOf, o.entities);

  // Build Engram's index from the vectors, the way a rebuild from the database does.
  const rssBefore = process.memoryUsage().rss;
  const store = new PartitionSet(o.partition);
  const buildStart = performance.now();
  store.beginBulk();
  for (let i = 0; i < n; i++) {
    store.apply({
      factId: i + 1,
      entityId: (data.entityOf[i] as number) + 1,
      content: '',
      vector: data.vectors.subarray(i * dims, (i + 1) * dims),
    });
    if (i % 200_000 === 199_999) progress(`indexed ${i + 1}`);
  }
  store.finishLoad();
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const stats = store.stats();
  const rssIndex = process.memoryUsage().rss - rssBefore;
  progress(`built in ${buildSeconds.toFixed(1)} s: ${stats.graphs} HNSW graph(s), the rest exact`);

  // Queries: the entity of a random vector, near that vector's cluster.
  const queryRng = new Rng(o.seed + 1);
  const queries = Array.from({ length: o.queries }, () => {
    const member = queryRng.int(n);
    const vector = new Float32Array(dims);
    samplePoint(queryRng, clusters, data.clusterOf[member] as number, vector, 0);
    return { entity: data.entityOf[member] as number, vector };
  });

  for (const query of queries.slice(0, 100)) store.search(query.entity + 1, query.vector, k);
  const latencies = new Float64Array(queries.length);
  const answers: number[][] = [];
  const searchStart = performance.now();
  for (const [q, query] of queries.entries()) {
    const t0 = performance.now();
    const hits = store.search(query.entity + 1, query.vector, k);
    latencies[q] = performance.now() - t0;
    answers.push(hits.map((hit) => hit.factId));
  }
  const qps = queries.length / ((performance.now() - searchStart) / 1000);
  latencies.sort();

  // Recall against the exact top-k of each query's entity.
  const checked = Math.min(queries.length, o.exactQueries);
  let found = 0;
  for (let q = 0; q < checked; q++) {
    const query = queries[q] as (typeof queries)[number];
    const truth = exactTopKOf(
      query.vector,
      data.vectors,
      dims,
      groups.members,
      groups.offsets[query.entity] as number,
      groups.offsets[query.entity + 1] as number,
      k,
    );
    const expected = new Set(Array.from(truth.ids.subarray(0, truth.count), (id) => id + 1));
    found +=
      (answers[q] as number[]).filter((id) => expected.has(id)).length /
      Math.max(1, Math.min(k, truth.count));
  }
  const recallAt10 = found / checked;

  // Exact baselines over all n vectors (the requirements' flat-index reference).
  const exactJs = new Float64Array(Math.min(checked, 200));
  for (let q = 0; q < exactJs.length; q++) {
    const query = queries[q] as (typeof queries)[number];
    const t0 = performance.now();
    exactTopK(query.vector, data.vectors, n, dims, k);
    exactJs[q] = performance.now() - t0;
  }
  exactJs.sort();
  const exactSimd = new Float64Array(Math.min(checked, 200));
  for (let q = 0; q < exactSimd.length; q++) {
    const query = queries[q] as (typeof queries)[number];
    const t0 = performance.now();
    exactSearch(data.vectors, query.vector, dims, k, MetricKind.IP);
    exactSimd[q] = performance.now() - t0;
  }
  exactSimd.sort();

  const p50 = percentile(latencies, 0.5);
  const p99 = percentile(latencies, 0.99);
  const exactP50 = percentile(exactJs, 0.5);
  const exactSimdP50 = percentile(exactSimd, 0.5);

  let graphql: Awaited<ReturnType<typeof graphqlPhase>> | null = null;
  if (o.graphqlQueries > 0) {
    const work = mkdtempSync(path.join(os.tmpdir(), 'engram-bench-vector-'));
    try {
      const indexDir = path.join(work, 'index');
      const factIdsByEntity = Array.from({ length: o.entities }, (_, e) =>
        Int32Array.from(groups.members.subarray(groups.offsets[e], groups.offsets[e + 1]), (i) => i + 1),
      );
      const sample = queries.slice(0, Math.min(queries.length, o.graphqlQueries));
      graphql = await graphqlPhase({
        dbFile: path.join(work, 'engram.db'),
        indexDir,
        saveIndex: (database) => {
          progress('graphql: saving the index snapshot');
          store.save(indexDir, { watermark: 0, model: 'bench', database, savedAt: new Date().toISOString() });
        },
        dims,
        factIdsByEntity,
        k,
        log: progress,
        queries: sample.map((query, q) => ({ ...query, expected: answers[q] as number[] })),
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  const rows: [string, string][] = [
    ['vectors / entities', `${n} / ${o.entities} (${stats.graphs} with an HNSW graph)`],
    [
      'build',
      `${buildSeconds.toFixed(1)} s, +${mb(rssIndex)} MB RSS (process ${mb(process.memoryUsage().rss)} MB)`,
    ],
    ['search p50 / p99', `${p50.toFixed(3)} / ${p99.toFixed(3)} ms, ${Math.round(qps)} QPS (one thread)`],
    [`recall@${k}`, `${recallAt10.toFixed(4)} (${checked} queries, exact per entity)`],
    ['exact flat scan p50', `JS ${exactP50.toFixed(1)} ms, usearch SIMD ${exactSimdP50.toFixed(1)} ms`],
    ['speed-up vs exact', `${Math.round(exactP50 / p50)}× (JS), ${Math.round(exactSimdP50 / p50)}× (SIMD)`],
  ];
  if (graphql) {
    rows.push([
      'semanticFacts over GraphQL',
      `p50 ${graphql.p50_ms.toFixed(2)} ms, p99 ${graphql.p99_ms.toFixed(2)} ms, ${Math.round(graphql.qps)} req/s, ${graphql.mismatches} mismatches; index loaded in ${graphql.index_load_ms} ms`,
    ]);
  }
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(28)} ${value}\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'vector',
      n,
      entities: o.entities,
      dims,
      k,
      graphs: stats.graphs,
      ...o.partition,
      build_s: round(buildSeconds, 1),
      index_rss_mb: mb(rssIndex),
      p50_ms: round(p50, 4),
      p99_ms: round(p99, 4),
      qps: Math.round(qps),
      recall_at_10: round(recallAt10, 4),
      recall_queries: checked,
      exact_p50_ms: round(exactP50, 2),
      exact_simd_p50_ms: round(exactSimdP50, 2),
      speedup_vs_exact: Math.round(exactP50 / p50),
      speedup_vs_exact_simd: Math.round(exactSimdP50 / p50),
      graphql_p50_ms: graphql ? round(graphql.p50_ms, 3) : null,
      graphql_p99_ms: graphql ? round(graphql.p99_ms, 3) : null,
      graphql_qps: graphql ? Math.round(graphql.qps) : null,
      graphql_mismatches: graphql?.mismatches ?? null,
      index_load_ms: graphql?.index_load_ms ?? null,
      load_avg: os.loadavg().map((value) => round(value, 2)),
      cores: os.cpus().length,
      node: process.version,
    })}\n`,
  );
}

await main();
