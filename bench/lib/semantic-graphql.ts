/**
 * bench/vector.ts's GraphQL phase: semanticFacts over HTTP against a real Engram that serves the
 * index the benchmark built. The facts go into a SQLite database (rows only: the server loads the
 * vectors from the index snapshot, as it does on every start), the server runs in its own process,
 * and one client sends queries one at a time, so the latency is the whole request: HTTP, GraphQL
 * parsing and validation of the 384 floats, the search thread, and loading the facts.
 */
import { fork } from 'node:child_process';
import Database from 'better-sqlite3';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { BENCH_AUTHORIZATION } from './env.ts';
import { percentile } from './load.ts';

export interface GraphqlPhaseInput {
  dbFile: string;
  indexDir: string;
  /** Writes the index snapshot to indexDir, named for the seeded database (a server loads no other). */
  saveIndex(database: string | null): void;
  dims: number;
  /** Entity i has external id `e-<i>` and database id i + 1; fact ids as in the index. */
  factIdsByEntity: Int32Array[];
  queries: { entity: number; vector: Float32Array; expected: number[] }[];
  k: number;
  log: (line: string) => void;
}

export interface GraphqlPhaseResult {
  requests: number;
  p50_ms: number;
  p99_ms: number;
  qps: number;
  /** Server start with the snapshot (load, memory-map, catch up), ms. */
  index_load_ms: number;
  /** Queries whose GraphQL answer differed from the in-process search. */
  mismatches: number;
}

const QUERY = `query($entity: String!, $v: [Float!], $k: Int) {
  semanticFacts(entity: $entity, vector: $v, first: $k, threshold: -1) { similarity fact { id } }
}`;

/** Seeds the rows and returns the database's name (src/db/identity.ts). */
function seed(input: GraphqlPhaseInput): string | null {
  const db = new Database(input.dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const now = new Date().toISOString();
  const entity = db.prepare('INSERT INTO entity (id, external_id, created_at) VALUES (?, ?, ?)');
  const fact = db.prepare(
    'INSERT INTO entity_fact (id, entity_id, content, content_hash, last_mentioned_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    input.factIdsByEntity.forEach((ids, i) => {
      entity.run(i + 1, `e-${i}`, now);
      for (const id of ids) fact.run(id, i + 1, `fact ${id}`, `h${id}`, now, now);
    });
  })();
  const name = db.prepare("SELECT value FROM engram_meta WHERE key = 'database_id'").get() as
    | { value: string }
    | undefined;
  db.close();
  return name?.value ?? null;
}

export async function graphqlPhase(input: GraphqlPhaseInput): Promise<GraphqlPhaseResult> {
  const url = `file:${input.dbFile}`;
  await migrateDatabase(url);
  input.log('graphql: seeding the fact rows');
  input.saveIndex(seed(input));
  input.log('graphql: starting Engram on the snapshot');
  const child = fork(new URL('./semantic-server.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      BENCH_DATABASE_URL: url,
      BENCH_INDEX_DIR: input.indexDir,
      BENCH_DIMS: String(input.dims),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number; loadMs: number }>((resolve, reject) => {
    child.once('message', (message: { type: string; port: number; loadMs: number }) => resolve(message));
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${ready.port}/graphql`;
  const ask = async (query: GraphqlPhaseInput['queries'][number]) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: BENCH_AUTHORIZATION },
      body: JSON.stringify({
        query: QUERY,
        variables: { entity: `e-${query.entity}`, v: Array.from(query.vector), k: input.k },
      }),
    });
    const body = (await response.json()) as {
      data?: { semanticFacts: { fact: { id: string } }[] };
      errors?: unknown[];
    };
    if (!body.data) throw new Error(`semanticFacts failed: ${JSON.stringify(body.errors)}`);
    return body.data.semanticFacts.map((hit) =>
      Number(Buffer.from(hit.fact.id, 'base64').toString().split(':')[1]),
    );
  };
  try {
    for (const query of input.queries.slice(0, 50)) await ask(query);
    const latencies = new Float64Array(input.queries.length);
    let mismatches = 0;
    const started = performance.now();
    for (const [i, query] of input.queries.entries()) {
      const t0 = performance.now();
      const ids = await ask(query);
      latencies[i] = performance.now() - t0;
      if (ids.join() !== query.expected.join()) mismatches++;
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort();
    return {
      requests: input.queries.length,
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      qps: input.queries.length / seconds,
      index_load_ms: ready.loadMs,
      mismatches,
    };
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
