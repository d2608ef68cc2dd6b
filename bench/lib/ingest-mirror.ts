/**
 * bench:ingest --mirror: the Neo4j mirror's lag while Engram ingests and augments. The mirror
 * sends to the Bolt test server of the tests (tests/helpers/bolt-server.ts) with its model of
 * Neo4j, run in this process; no Neo4j server can be installed here. The lag of a change is the
 * time from its outbox row (created in the transaction of the triple write) to the commit, in the
 * model, of the Neo4j transaction that applied it.
 */
import { openDatabase } from '../../src/db/client.ts';
import { BoltTestServer } from '../../tests/helpers/bolt-server.ts';
import { Neo4jModel } from '../../tests/helpers/neo4j-model.ts';
import { percentile } from './load.ts';

const PASSWORD = 'bench-mirror-password';

export interface MirrorTarget {
  /** What the server child needs (NEO4J_*). */
  env: Record<string, string>;
  model: Neo4jModel;
  stop(): Promise<void>;
}

export async function startMirrorTarget(): Promise<MirrorTarget> {
  const bolt = new BoltTestServer({ auth: { user: 'neo4j', password: PASSWORD } });
  const model = new Neo4jModel().attach(bolt);
  const { url } = await bolt.start();
  return {
    env: { NEO4J_URL: url, NEO4J_PASSWORD: PASSWORD, NEO4J_MIRROR_POLL_MS: '50' },
    model,
    stop: () => bolt.stop(),
  };
}

export interface MirrorLag {
  changes: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Seconds from the end of the phase until the mirror held its last change. */
  drainSeconds: number;
}

/**
 * Waits until the model holds every outbox change written since `since`, then measures the lag of
 * each of them. Fails after `timeoutMs`.
 */
export async function mirrorLag(
  databaseUrl: string,
  model: Neo4jModel,
  since: Date,
  timeoutMs = 120_000,
): Promise<MirrorLag> {
  const db = await openDatabase({ url: databaseUrl });
  try {
    const ended = Date.now();
    const top = (await db.graphChange.aggregate({ _max: { id: true } }))._max.id ?? 0;
    while ((model.position() ?? 0) < top) {
      if (Date.now() - ended > timeoutMs) throw new Error(`the mirror did not reach change ${top}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const drainSeconds = (Date.now() - ended) / 1000;
    const rows = await db.graphChange.findMany({
      where: { createdAt: { gte: since }, tripleId: { not: null } },
      select: { id: true, createdAt: true },
    });
    const lags: number[] = [];
    for (const row of rows) {
      const at = model.appliedAt.get(row.id);
      // A change superseded in the same batch by a newer one of its triple is applied as that one.
      if (at !== undefined) lags.push(at - new Date(row.createdAt).getTime());
    }
    const sorted = Float64Array.from(lags).sort();
    return {
      changes: lags.length,
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      drainSeconds,
    };
  } finally {
    await db.$disconnect();
  }
}
