/**
 * The vector index snapshot on disk belongs to one database. Observed before the fix: a server
 * pointed at another database with the same VECTOR_INDEX_PATH (a switch from SQLite to
 * PostgreSQL, a database recreated by import) loaded the old snapshot, whose fact ids and watermark
 * mean other things there: Bob's semantic search answered "Carol owes money" (Carol's fact had the
 * id of a fact in the old database's snapshot), and Bob's own fact came with the old fact's vector.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientRecallDocument,
  RememberFactWithEmbeddingDocument,
  SemanticSearchDocument,
} from '../client-codegen/generated/graphql.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('a vector index snapshot belongs to its database', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'engram-index-db-'));
  const env = { VECTOR_INDEX_PATH: path.join(dir, 'index'), VECTOR_DIMENSIONS: '4' };
  let first: TestDatabase;
  let second: TestDatabase;
  let lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([first?.drop(), second?.drop()]);
  });

  /** Starts a server on `database` and says how its index opened: loaded, or built and why. */
  async function start(database: TestDatabase): Promise<{ server: TestServer; opened: string }> {
    lines = [];
    const server = await startTestServer({ database, env, logger });
    const opened = lines
      .map((line) => JSON.parse(line) as { msg: string; reason?: string })
      .filter((entry) => /vector index/.test(entry.msg))
      .map((entry) => (entry.reason ? `${entry.msg}: ${entry.reason}` : entry.msg));
    return { server, opened: opened.join('; ') };
  }
  const remember = (server: TestServer, entity: string, content: string, embedding: number[]) =>
    server.gql(RememberFactWithEmbeddingDocument, { input: { entity, content, embedding } });
  const search = async (server: TestServer, entity: string, vector: number[]) =>
    (await server.gql(SemanticSearchDocument, { entity, vector, first: 10 })).semanticFacts.map(
      (hit) => `${hit.fact.content} (${hit.similarity.toFixed(2)})`,
    );
  const recall = async (server: TestServer, entity: string, query: string) =>
    (await server.gql(ClientRecallDocument, { entity, query, first: 10, sources: ['FACT'] })).recall.map(
      (hit) => hit.fact?.content,
    );

  it('is rebuilt, not loaded, by a server on another database; its own database loads it', async () => {
    const a = await start(first);
    expect(a.opened).toContain('no usable snapshot');
    await remember(a.server, 'ana', 'Ana keeps a secret diary', [1, 0, 0, 0]);
    await remember(a.server, 'ana', 'Ana sails on Sundays', [0, 0, 1, 0]);
    await a.server.close();

    const b = await start(second);
    try {
      expect(b.opened).toContain('snapshot of another database');
      await remember(b.server, 'bob', 'Bob likes tea', [0, 1, 0, 0]);
      await remember(b.server, 'carol', 'Carol owes money', [0, 0, 0, 1]);
      // Fact 1 here is Bob's, fact 2 Carol's: the ids of Ana's two facts in the other database.
      expect(await search(b.server, 'bob', [0, 1, 0, 0])).toEqual(['Bob likes tea (1.00)']);
      expect(await search(b.server, 'bob', [1, 0, 0, 0])).toEqual([]);
      expect(await search(b.server, 'bob', [0, 0, 1, 0])).toEqual([]);
      expect(await recall(b.server, 'bob', 'secret diary sails Sundays')).toEqual([]);
    } finally {
      await b.server.close();
    }

    // The folder now holds the second database's snapshot: the first rebuilds, then loads its own.
    const again = await start(first);
    await again.server.close();
    expect(again.opened).toContain('snapshot of another database');
    const reloaded = await start(first);
    try {
      expect(reloaded.opened).toContain('vector index loaded from its snapshot');
      expect(await search(reloaded.server, 'ana', [1, 0, 0, 0])).toEqual(['Ana keeps a secret diary (1.00)']);
    } finally {
      await reloaded.server.close();
    }
  });

  it("never answers with another entity's memory, even from a damaged snapshot that names this database", async () => {
    // The first database's snapshot, relabelled as the second's: Ana's facts 1 and 2 under entity 1.
    const a = await start(first);
    await a.server.close();
    const b = await start(second);
    const name = (await b.server.db.engramMeta.findUniqueOrThrow({ where: { key: 'database_id' } })).value;
    await b.server.close();
    const a2 = await start(first);
    await a2.server.close();
    const manifestPath = path.join(dir, 'index', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { database: string };
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, database: name }));

    const damaged = await start(second);
    try {
      expect(damaged.opened).toContain('vector index loaded from its snapshot');
      // Bob is entity 1 here; the index's entity 1 holds Ana's fact 2, which is Carol's id here.
      expect(await search(damaged.server, 'bob', [0, 0, 1, 0])).not.toContain('Carol owes money (1.00)');
      expect((await search(damaged.server, 'bob', [0, 0, 1, 0])).join()).not.toMatch(/Carol/);
      expect(await recall(damaged.server, 'bob', 'sails on Sundays')).not.toContain('Carol owes money');
    } finally {
      await damaged.server.close();
    }
  });
});
