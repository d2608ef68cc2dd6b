import { type Db, poolStatsOf } from './db/client.ts';
import type { EmbeddingService } from './embed/service.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { GraphMirror } from './mirror/neo4j-mirror.ts';
import type { EngramMetrics } from './observability/metrics.ts';
import type { SearchIndex } from './search/search-index.ts';

/**
 * The gauges Prometheus reads on scrape, from the parts the composition root built: the job
 * queue's backlog, the vector index's size and lag behind the change log, the Neo4j mirror's lag,
 * the connection pool, the embedding model's state. Each is read when scraped (never per
 * request), within METRICS_COLLECT_TIMEOUT_MS.
 */
export function registerScrapeGauges(
  metrics: EngramMetrics,
  parts: {
    db: Db;
    reader: Db;
    jobs: JobQueue | null;
    index: SearchIndex | null;
    mirror: GraphMirror | null;
    embeddings: EmbeddingService;
  },
): void {
  const { db, reader, jobs, index, mirror, embeddings } = parts;

  if (jobs) {
    // One read per scrape shared by the three gauges (prom-client collects them in parallel).
    let backlog: ReturnType<JobQueue['backlog']> | null = null;
    const read = () => {
      backlog ??= jobs.backlog().finally(() => {
        backlog = null;
      });
      return backlog;
    };
    metrics.scrapeGauge(
      'jobs',
      {
        name: 'engram_augmentation_jobs',
        help: 'Augmentation jobs waiting (pending, due or retrying later) and running, in the whole queue',
        labelNames: ['status'],
      },
      async () => {
        const { pending, running } = await read();
        return [
          { labels: { status: 'pending' }, value: pending },
          { labels: { status: 'running' }, value: running },
        ];
      },
    );
    metrics.scrapeGauge(
      'jobs',
      {
        name: 'engram_augmentation_queue_lag_seconds',
        help: 'Age of the oldest due augmentation job no worker has claimed (0: none waits)',
      },
      async () => [{ value: (await read()).lagSeconds }],
    );
  }

  if (index) {
    metrics.scrapeGauge(
      'vector_index',
      {
        name: 'engram_vector_index_size',
        help: 'What this process’s vector index holds, by kind (entities, facts, vectors, hnsw_graphs)',
        labelNames: ['kind'],
      },
      async () => {
        const status = await index.describe();
        return [
          { labels: { kind: 'entities' }, value: status.entities },
          { labels: { kind: 'facts' }, value: status.facts },
          { labels: { kind: 'vectors' }, value: status.vectors },
          { labels: { kind: 'hnsw_graphs' }, value: status.graphs },
        ];
      },
    );
    metrics.scrapeGauge(
      'vector_index',
      {
        name: 'engram_vector_index_ready',
        help: '1 when this process’s vector index is searchable, 0 while it starts, builds or recovers',
      },
      async () => [{ value: index.status().state === 'ready' ? 1 : 0 }],
    );
    metrics.scrapeGauge(
      'vector_index',
      {
        name: 'engram_vector_index_lag',
        help: 'Changes in the vector change log this process has not applied yet (changes), and the age of the oldest (seconds)',
        labelNames: ['unit'],
      },
      async () => {
        const { watermark } = index.status();
        const pending = await reader.vectorChange.aggregate({
          where: { id: { gt: watermark } },
          _count: { _all: true },
          _min: { createdAt: true },
        });
        const oldest = pending._min.createdAt;
        return [
          { labels: { unit: 'changes' }, value: pending._count._all },
          {
            labels: { unit: 'seconds' },
            value: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0,
          },
        ];
      },
    );
  }

  if (mirror) {
    metrics.scrapeGauge(
      'mirror',
      {
        name: 'engram_graph_mirror_lag',
        help: 'Outbox changes not yet applied to Neo4j (changes), and the age of the oldest (seconds)',
        labelNames: ['unit'],
      },
      async () => {
        const status = await mirror.status();
        return [
          { labels: { unit: 'changes' }, value: status.lagChanges },
          { labels: { unit: 'seconds' }, value: status.lagSeconds },
        ];
      },
    );
  }

  if (poolStatsOf(db)) {
    metrics.scrapeGauge(
      'pool',
      {
        name: 'engram_db_pool_connections',
        help: 'The PostgreSQL connection pool: open (total), idle, requests waiting for one, and its size (max)',
        labelNames: ['state'],
      },
      async () => {
        const stats = poolStatsOf(db);
        if (!stats) return [];
        return Object.entries(stats).map(([state, value]) => ({ labels: { state }, value }));
      },
    );
  }

  metrics.scrapeGauge(
    'embeddings',
    {
      name: 'engram_embedding_model_ready',
      help: '1 when the embedding model answers, 0 while it loads or when it is unavailable or disabled',
    },
    async () => [{ value: embeddings.status().state === 'ready' ? 1 : 0 }],
  );
}
