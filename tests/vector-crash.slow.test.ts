import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForgetFactDocument,
  RememberFactWithEmbeddingDocument,
  SemanticSearchDocument,
} from '../client-codegen/generated/graphql.ts';
import { createTestDatabase, rawQuery, type TestDatabase } from './helpers/database.ts';
import { killSpawned, spawnEngram, waitFor } from './helpers/engram-process.ts';
import { randomUnit, seeded } from './helpers/vectors.ts';

async function startServer(env: Record<string, string>) {
  const server = spawnEngram(['serve'], env);
  await waitFor(
    () => /vector index (built|loaded)/.test(server.output().stdout) || server.child.exitCode !== null,
    'the server and its index',
  );
  const port = server.output().stdout.match(/"port":(\d+)/)?.[1];
  if (!port) throw new Error(`server did not start: ${server.output().stderr}`);
  const url = `http://127.0.0.1:${port}/graphql`;
  const gql = async (document: Parameters<typeof print>[0], variables: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return (await response.json()) as { data?: Record<string, Record<string, unknown>>; errors?: unknown[] };
  };
  return { ...server, gql };
}

describe('vector index crash repair', () => {
  let database: TestDatabase;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'engram-index-'));
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      EMBEDDING_PROVIDER: 'none',
      VECTOR_INDEX_PATH: path.join(dir, 'index'),
      // Snapshots are written all through the run, so the kill can land during one.
      VECTOR_SAVE_INTERVAL_MS: '150',
      LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    await killSpawned();
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  });

  it('after kill -9 mid-write, the index is repaired from its snapshot: no missing and no orphan vectors', async () => {
    const server = await startServer(env);
    const random = seeded(99);
    const vectors = new Map<string, Float32Array>();
    const acknowledged = new Set<string>();
    const forgotten = new Set<string>();
    // A forget in flight at the kill may or may not have committed: such facts are checked neither way.
    const forgetAttempted = new Set<string>();
    let stop = false;
    let written = 0;

    const writer = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const vector = randomUnit(random);
        const result = await server
          .gql(RememberFactWithEmbeddingDocument, {
            input: {
              entity: `crash-${(worker * 7 + i) % 12}`,
              content: `w${worker} fact ${i}`,
              embedding: Array.from(vector),
            },
          })
          .catch(() => null);
        const fact = result?.data?.rememberFact as { __typename: string; fact?: { id: string } } | undefined;
        if (!fact?.fact) continue;
        written++;
        acknowledged.add(fact.fact.id);
        vectors.set(fact.fact.id, vector);
        if (i % 5 === 4) {
          forgetAttempted.add(fact.fact.id);
          const gone = await server.gql(ForgetFactDocument, { id: fact.fact.id }).catch(() => null);
          if (
            (gone?.data?.forgetFact as { __typename?: string } | undefined)?.__typename === 'ForgetSuccess'
          ) {
            forgotten.add(fact.fact.id);
          }
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, worker) => writer(worker));
    const manifest = path.join(dir, 'index', 'manifest.json');
    await waitFor(
      () =>
        written > 300 &&
        existsSync(manifest) &&
        (JSON.parse(readFileSync(manifest, 'utf8')) as { watermark: number }).watermark > 0,
      'writes and a snapshot',
    );
    server.child.kill('SIGKILL');
    await server.exited;
    stop = true;
    await Promise.all(writers);
    expect(written).toBeGreaterThan(300);

    // The saved snapshot is behind the database: verification replays the change log first.
    const verify = spawnEngram(['reindex', '--verify'], env);
    expect(await verify.exited).toBe(0);
    const lines = verify.output().stdout.trim().split('\n');
    const report = JSON.parse(lines.at(-1) as string) as {
      facts: number;
      missing: number[];
      orphans: number[];
    };
    expect(report).toMatchObject({ missing: [], orphans: [] });
    const loaded = lines.find((line) => line.includes('loaded from its snapshot'));
    expect(loaded, verify.output().stdout).toBeDefined();
    // Every change the database committed was applied: the snapshot's and those after it. (The
    // watermark itself may stay put for a while: a write the kill rolled back leaves a hole right
    // after the snapshot, which the index waits out.) Snapshots are written every 150 ms, so the
    // kill can land just after one that holds every committed change; then there is nothing to
    // replay, which the comparison with the database tells apart from a replay that did not happen.
    const { appliedUpTo, replayedFrom } = JSON.parse(loaded as string) as {
      appliedUpTo: number;
      replayedFrom: number;
    };
    const [last] = await rawQuery<{ id: number | bigint | string | null }>(
      database,
      'SELECT MAX(id) AS id FROM vector_change',
    );
    const committed = Number(last?.id ?? 0);
    expect(appliedUpTo).toBe(Math.max(committed, replayedFrom));
    if (committed > replayedFrom) expect(appliedUpTo).toBeGreaterThan(replayedFrom);

    // Every acknowledged fact is in the database and searchable; every forgotten one is gone.
    const restarted = await startServer(env);
    try {
      const remaining = [...acknowledged].filter((id) => !forgetAttempted.has(id));
      expect(report.facts).toBeGreaterThanOrEqual(remaining.length);
      for (const id of [...remaining.slice(0, 40), ...remaining.slice(-40)]) {
        const entity = await factEntity(restarted.gql, id);
        const result = await restarted.gql(SemanticSearchDocument, {
          entity,
          vector: Array.from(vectors.get(id) as Float32Array),
          first: 1,
        });
        const hits = result.data?.semanticFacts as unknown as { similarity: number; fact: { id: string } }[];
        expect(hits[0]?.fact.id).toBe(id);
        expect(hits[0]?.similarity).toBeGreaterThan(0.999);
      }
      for (const id of [...forgotten].slice(0, 20)) {
        const entity = await factEntity(restarted.gql, id).catch(() => null);
        expect(entity).toBeNull();
      }
    } finally {
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
    }
  }, 120_000);
});

/** The entity of a fact by its global id, through node(id); throws when the fact is gone. */
async function factEntity(
  gql: (
    document: Parameters<typeof print>[0],
    variables: Record<string, unknown>,
  ) => Promise<{ data?: unknown }>,
  id: string,
): Promise<string> {
  const { parse } = await import('graphql');
  const result = (await gql(
    parse('query($id: ID!) { node(id: $id) { ... on Fact { entity { externalId } } } }'),
    {
      id,
    },
  )) as { data?: { node: { entity: { externalId: string } } | null } };
  if (!result.data?.node) throw new Error(`fact ${id} is gone`);
  return result.data.node.entity.externalId;
}

describe('vector index worker failure', () => {
  it('recovers by itself from its snapshot and the change log when the worker dies', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'engram-index-'));
    const { startTestServer } = await import('./helpers/server.ts');
    const server = await startTestServer({ env: { VECTOR_INDEX_PATH: path.join(dir, 'index') } });
    try {
      const random = seeded(3);
      const vector = Array.from(randomUnit(random));
      const remember = (content: string, embedding: number[]) =>
        server.gql(RememberFactWithEmbeddingDocument, { input: { entity: 'phoenix', content, embedding } });
      await remember('Before the crash', vector);
      await server.index?.save();
      await remember('After the snapshot', Array.from(randomUnit(random)));

      const internals = server.index as unknown as { worker: { terminate(): Promise<number> } };
      await internals.worker.terminate();
      const during = await server.request(SemanticSearchDocument, { entity: 'phoenix', vector });
      expect(String(during.errors?.[0]?.extensions?.code)).toMatch(/^INDEX_(UNAVAILABLE|NOT_READY)$/);

      await waitFor(() => server.index?.status().state === 'ready', 'the index to recover', 15_000);
      const after = await server.gql(SemanticSearchDocument, { entity: 'phoenix', vector, threshold: -1 });
      expect(after.semanticFacts.map((hit) => hit.fact.content)).toEqual([
        'Before the crash',
        'After the snapshot',
      ]);
      expect(await server.index?.verify()).toMatchObject({ missing: [], orphans: [] });
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
