import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordConversationDocument } from '../client-codegen/generated/graphql.ts';
import { type Db, openDatabase } from '../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { killSpawned, spawnEngram } from './helpers/engram-process.ts';

const MESSAGES = 5000;
const PER_CALL = 5;

describe('augmentation crash', () => {
  let database: TestDatabase;
  let db: Db;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      EMBEDDING_PROVIDER: 'none',
      VECTOR_INDEX_PATH: 'memory',
      AUGMENTATION: 'on',
      AUGMENTATION_POLL_MS: '50',
      // The jobs a killed worker held are taken over once their lease runs out.
      AUGMENTATION_LEASE_MS: '2000',
      LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    await killSpawned();
    await db?.$disconnect();
    await database.drop();
  });

  it('after kill -9 mid-ingest, every acknowledged message exists once and every job completes once', async () => {
    const acknowledged: string[] = [];
    let next = 0;
    let stop = false;

    const writer = async (url: string) => {
      while (!stop && next < MESSAGES) {
        const batch = Array.from({ length: PER_CALL }, () => next++).filter((n) => n < MESSAGES);
        const messages = batch.map((n) => ({ role: 'USER' as const, content: `I love topic${n}.` }));
        const ok = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: print(RecordConversationDocument),
            variables: { input: { entity: `crash-${(batch[0] as number) % 25}`, process: 'bot', messages } },
          }),
        })
          .then(
            async (response) =>
              (await response.json()) as { data?: { recordConversation?: { __typename: string } } },
          )
          .then((result) => result.data?.recordConversation?.__typename === 'RecordConversationSuccess')
          .catch(() => false);
        // Not acknowledged (the server died under it): sent again after the restart if it was not stored.
        if (ok) acknowledged.push(...messages.map((message) => message.content));
      }
    };

    const first = spawnEngram(['serve'], env);
    const firstUrl = `http://127.0.0.1:${await first.port()}/graphql`;
    const writers = Array.from({ length: 8 }, () => writer(firstUrl));
    while (acknowledged.length < MESSAGES / 2) await new Promise((resolve) => setTimeout(resolve, 20));
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(writers);
    const atKill = acknowledged.length;
    expect(atKill).toBeGreaterThanOrEqual(MESSAGES / 2);
    expect(atKill).toBeLessThan(MESSAGES);

    // Restart and send what was never acknowledged (an unacknowledged batch may or may not have been stored).
    const second = spawnEngram(['serve'], env);
    const secondUrl = `http://127.0.0.1:${await second.port()}/graphql`;
    db = await openDatabase({ url: database.url });
    try {
      const stored = new Set(
        (await db.conversationMessage.findMany({ select: { content: true } })).map(
          (message) => message.content,
        ),
      );
      const missing = Array.from({ length: MESSAGES }, (_, n) => `I love topic${n}.`).filter(
        (content) => !stored.has(content),
      );
      for (let i = 0; i < missing.length; i += PER_CALL) {
        const messages = missing.slice(i, i + PER_CALL).map((content) => ({ role: 'USER', content }));
        const response = await fetch(secondUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: print(RecordConversationDocument),
            variables: { input: { entity: 'crash-resume', process: 'bot', messages } },
          }),
        });
        expect(response.status).toBe(200);
      }

      const deadline = Date.now() + 120_000;
      while ((await db.augmentationJob.count({ where: { status: { not: 'DONE' } } })) > 0) {
        if (Date.now() > deadline) throw new Error('jobs did not all complete');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      // Every acknowledged message exactly once; every message stored at most once.
      const counts = await db.conversationMessage.groupBy({ by: ['content'], _count: { _all: true } });
      const byContent = new Map(counts.map((row) => [row.content, row._count._all]));
      for (const content of acknowledged) expect(byContent.get(content)).toBe(1);
      expect(counts.every((row) => row._count._all === 1)).toBe(true);
      expect(counts.length).toBe(MESSAGES);

      // Every job done exactly once: one fact per message, each counted once, with one mention.
      const jobs = await db.augmentationJob.findMany({ select: { status: true, factsFound: true } });
      expect(jobs.every((job) => job.status === 'DONE')).toBe(true);
      expect(jobs.reduce((sum, job) => sum + job.factsFound, 0)).toBe(MESSAGES);
      const facts = await db.entityFact.findMany({
        select: { mentionCount: true, _count: { select: { mentions: true } } },
      });
      expect(facts.length).toBe(MESSAGES);
      expect(facts.every((fact) => fact.mentionCount === 1 && fact._count.mentions === 1)).toBe(true);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 300_000);
});
