/**
 * kill -9 of Engram while the Neo4j mirror has a batch in flight: the batch's transaction dies
 * with the connection (Neo4j keeps nothing of it), or it committed and only the database's copy of
 * the position is behind. Either way the restarted server replays from the position Neo4j holds,
 * and the mirror ends equal to the database with no change applied twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoltTestServer, type RunResult } from './helpers/bolt-server.ts';
import { createTestDatabase, rawQuery, type TestDatabase } from './helpers/database.ts';
import { killSpawned, spawnEngram, waitFor } from './helpers/engram-process.ts';
import { Neo4jModel } from './helpers/neo4j-model.ts';

const PASSWORD = 'mirror-crash-password';
const ENTITY = 'crash-mirror';

async function startServer(env: Record<string, string>) {
  const server = spawnEngram(['serve'], env);
  const port = await server.port();
  const url = `http://127.0.0.1:${port}/graphql`;
  const addTriples = async (triples: [string, string, string][]) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($input: AddTriplesInput!) { addTriples(input: $input) { __typename } }',
        variables: {
          input: {
            entity: ENTITY,
            triples: triples.map(([subject, predicate, object]) => ({ subject, predicate, object })),
          },
        },
      }),
    });
    const body = (await response.json()) as { data?: { addTriples: { __typename: string } } };
    if (body.data?.addTriples.__typename !== 'AddTriplesSuccess') throw new Error(JSON.stringify(body));
  };
  return { ...server, addTriples };
}

describe('Neo4j mirror after kill -9', () => {
  let database: TestDatabase;
  let bolt: BoltTestServer;
  let model: Neo4jModel;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    bolt = new BoltTestServer({ auth: { user: 'neo4j', password: PASSWORD } });
    model = new Neo4jModel().attach(bolt);
    const { url } = await bolt.start();
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      EMBEDDING_PROVIDER: 'none',
      VECTOR_INDEX: 'off',
      LOG_LEVEL: 'info',
      NEO4J_URL: url,
      NEO4J_PASSWORD: PASSWORD,
      NEO4J_MIRROR_POLL_MS: '20',
      NEO4J_MIRROR_BATCH_SIZE: '50',
      NEO4J_MIRROR_MAX_BACKOFF_MS: '200',
      // The killed server's lease lapses after this, then the restarted one takes over.
      NEO4J_MIRROR_LEASE_MS: '3000',
    };
  });
  afterAll(async () => {
    await killSpawned();
    await bolt?.stop();
    await database?.drop();
  });

  it('replays idempotently: every triple once in Neo4j, no change applied twice', async () => {
    const first = await startServer(env);
    // Hold the third upsert batch open inside Neo4j (the RUN never answers) and kill Engram then.
    const handler = bolt.handler;
    let upserts = 0;
    let held: (() => void) | null = null;
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    bolt.handler = (run) => {
      if (run.query.includes('MERGE (s)-[t:TRIPLE') && ++upserts === 3) {
        held?.();
        return new Promise<RunResult>(() => {});
      }
      return handler(run);
    };
    const triples: [string, string, string][] = Array.from({ length: 1000 }, (_, i) => [
      `C${i}`,
      'knows',
      `C${(i * 13 + 5) % 1000}`,
    ]);
    for (let i = 0; i < triples.length; i += 250) await first.addTriples(triples.slice(i, i + 250));
    await holding;
    first.child.kill('SIGKILL');
    await first.exited;
    bolt.handler = handler;
    const beforeRestart = model.position();
    expect(bolt.transactions.some((tx) => tx.outcome === 'connection lost')).toBe(true);

    const second = await startServer(env);
    const [{ n }] = await rawQuery<{ n: number | bigint | string }>(
      database,
      'SELECT COUNT(*) AS n FROM knowledge_graph',
    ).then((rows) => rows as [{ n: number | bigint | string }]);
    const want = Number(n);
    await waitFor(
      () => [...model.relationships.values()].filter((r) => r.entity === ENTITY).length === want,
      'the mirror to catch up after the restart',
      60_000,
    );
    const [{ top }] = (await rawQuery<{ top: number | bigint | string }>(
      database,
      'SELECT MAX(id) AS top FROM graph_change',
    )) as [{ top: number | bigint | string }];
    await waitFor(() => model.position() === Number(top), 'the position to reach the last change', 30_000);
    expect(model.position()).toBeGreaterThan(beforeRestart ?? 0);
    expect(want).toBe(1000);
    for (const versions of model.applied.values()) expect(new Set(versions).size).toBe(versions.length);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
