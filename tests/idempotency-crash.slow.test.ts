import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RecordConversationOnceDocument,
  type RecordConversationOnceMutation,
} from '../client-codegen/generated/graphql.ts';
import { type Db, openDatabase } from '../src/db/client.ts';
import { createTestDatabase, TEST_DATABASE, type TestDatabase } from './helpers/database.ts';
import { killSpawned, spawnEngram } from './helpers/engram-process.ts';
import { type FakeLlmApi, startFakeLlmApi } from './helpers/fake-llm-apis.ts';

const CALLS = 240;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WRITERS = 24;

/** One recordConversation call of the burst: its own key, entity and messages. */
function call(n: number) {
  return {
    entity: `kill-${n % 12}`,
    process: 'bot',
    idempotencyKey: `burst-${n}`,
    messages: [
      { role: 'USER' as const, content: `Call ${n} says hello.` },
      { role: 'ASSISTANT' as const, content: `Call ${n} is answered.` },
    ],
  };
}

type Outcome = 'stored' | 'replayed' | 'failed';

async function send(url: string, n: number): Promise<Outcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(RecordConversationOnceDocument), variables: { input: call(n) } }),
    });
    const body = (await response.json()) as { data?: RecordConversationOnceMutation };
    const result = body.data?.recordConversation;
    if (result?.__typename !== 'RecordConversationSuccess') return 'failed';
    return result.replayed ? 'replayed' : 'stored';
  } catch {
    return 'failed';
  }
}

/**
 * kill -9 in the middle of a burst of keyed recordConversation calls, with augmentation jobs
 * running (their LLM calls hang until the kill): retrying every unanswered call with its key stores
 * each conversation exactly once, and the restarted server takes the dead process's jobs over
 * within seconds (heartbeats), not after the 5-minute lease.
 */
describe('kill -9 during a burst of idempotent calls', () => {
  let database: TestDatabase;
  let llm: FakeLlmApi;
  let db: Db;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    llm = await startFakeLlmApi();
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      EMBEDDING_PROVIDER: 'none',
      VECTOR_INDEX_PATH: 'memory',
      AUGMENTATION: 'on',
      AUGMENTATION_EXTRACTOR: 'llm',
      LLM_PROVIDER: 'openai-compatible',
      LLM_MODEL: 'fake-model',
      LLM_BASE_URL: `${llm.url}/v1`,
      LLM_API_KEY: llm.apiKey,
      AUGMENTATION_POLL_MS: '100',
      // AUGMENTATION_LEASE_MS and AUGMENTATION_HEARTBEAT_MS stay at their defaults (5 min, 2 s).
      LOG_LEVEL: 'info',
    };
  });
  afterAll(async () => {
    await killSpawned();
    await db?.$disconnect();
    await llm?.close();
    await database?.drop();
  });

  it('every unanswered call retried with its key is stored once; the dead jobs finish within seconds', async () => {
    // The first process's LLM calls hang until it dies, so it is killed while running jobs.
    llm.script(...Array.from({ length: 20 }, () => ({ delayMs: 600_000 })));

    const first = spawnEngram(['serve'], env);
    const firstUrl = `http://127.0.0.1:${await first.port()}/graphql`;
    db = await openDatabase({ url: database.url });
    const sent = new Set<number>();
    const outcomes = new Map<number, Outcome>();
    let next = 0;
    let killed = false;
    const writer = async () => {
      while (!killed && next < CALLS) {
        const n = next++;
        sent.add(n);
        outcomes.set(n, await send(firstUrl, n));
      }
    };
    const writers = Array.from({ length: WRITERS }, writer);
    const answered = () => [...outcomes.values()].filter((outcome) => outcome !== 'failed').length;
    while (answered() < CALLS / 2) await sleep(5);
    // Kill when the database holds calls whose responses have not arrived: the case keys exist for
    // (the client cannot tell them from calls that were never stored). The server is frozen
    // (SIGSTOP) while the database is read, so what it holds cannot change before the kill.
    let committedUnanswered: number[] = [];
    for (;;) {
      first.child.kill('SIGSTOP');
      // Responses already on the wire arrive.
      await sleep(200);
      // By the messages, not by the keys: what the client would see, however the server keeps keys.
      const stored = await db.conversationMessage.findMany({
        where: { role: 'USER' },
        select: { content: true },
      });
      committedUnanswered = stored
        .map((row) => Number(row.content.match(/^Call (\d+) /)?.[1]))
        .filter((n) => sent.has(n) && !outcomes.has(n));
      if (committedUnanswered.length > 0 || next >= CALLS) break;
      first.child.kill('SIGCONT');
      await sleep(Math.random() * 50);
    }
    first.child.kill('SIGKILL');
    killed = true;
    const killedAt = Date.now();
    await first.exited;
    await Promise.all(writers);
    // The restarted server's LLM calls are answered at once.
    llm.reset();

    const orphans = await db.augmentationJob.findMany({ where: { status: 'RUNNING' }, select: { id: true } });
    // Both of the dead process's workers (AUGMENTATION_CONCURRENCY=2) were waiting on the LLM.
    expect(orphans).toHaveLength(2);

    const unanswered = Array.from({ length: CALLS }, (_, n) => n).filter(
      (n) => (outcomes.get(n) ?? 'failed') === 'failed',
    );
    const inFlightAtKill = unanswered.filter((n) => outcomes.has(n)).length;
    expect(unanswered.length).toBeGreaterThan(0);
    expect(unanswered.length).toBeLessThan(CALLS);

    const second = spawnEngram(['serve'], env);
    const restartedAt = Date.now();
    try {
      // The dead process's jobs: taken over once their heartbeat lapses, long before the lease.
      const orphanIds = orphans.map((job) => job.id);
      const orphansDone = (async () => {
        while ((await db.augmentationJob.count({ where: { id: { in: orphanIds }, status: 'DONE' } })) < 2) {
          if (Date.now() - restartedAt > 60_000)
            throw new Error('the dead process’s jobs were not taken over');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return Date.now();
      })();
      const secondUrl = `http://127.0.0.1:${await second.port()}/graphql`;
      const readyAt = Date.now();

      // Retry every call whose response never came, with the same key and payload, as the
      // writers sent them (WRITERS at a time).
      const pending = [...unanswered];
      const retried: Outcome[] = [];
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let n = pending.shift(); n !== undefined; n = pending.shift())
            retried.push(await send(secondUrl, n));
        }),
      );
      expect(retried.filter((outcome) => outcome === 'failed')).toEqual([]);
      const replayed = retried.filter((outcome) => outcome === 'replayed').length;
      // The calls the dead server had stored without answering.
      const lost = committedUnanswered.filter((n) => unanswered.includes(n));
      expect(lost.length).toBeGreaterThan(0);

      const doneAt = await orphansDone;
      const takenAt = Math.max(
        ...(await db.augmentationJob.findMany({ where: { id: { in: orphanIds } } })).map((job) =>
          Number(job.startedAt),
        ),
      );
      console.log(
        `${TEST_DATABASE}: ${CALLS} calls (${lost.length} stored but unanswered when the server was killed), ${unanswered.length} unanswered at the kill ` +
          `(${inFlightAtKill} in flight, ${unanswered.length - inFlightAtKill} never sent); retried: ` +
          `${replayed} had been stored (replayed), ${unanswered.length - replayed} stored now. The dead ` +
          `process's ${orphanIds.length} running jobs: taken over ${takenAt - killedAt} ms and done ` +
          `${doneAt - killedAt} ms after the kill; the restarted server was ready ${readyAt - killedAt} ms ` +
          `after the kill (done ${doneAt - readyAt} ms after it was ready)`,
      );
      // Taken over through the heartbeat (10 s after the kill), not the 5-minute lease. The bounds
      // leave room for a loaded machine (15.5 s was seen with other suites on the same 2 cores)
      // and still tell the two apart by a factor of ten.
      expect(doneAt - readyAt).toBeLessThan(30_000);
      expect(takenAt - killedAt).toBeLessThan(30_000);

      // Exactly once: every message once, one conversation and one remembered call per key.
      const counts = await db.conversationMessage.groupBy({ by: ['content'], _count: { _all: true } });
      expect(counts.filter((row) => row._count._all !== 1)).toEqual([]);
      expect(counts).toHaveLength(CALLS * 2);
      // Exactly the calls the dead server had stored without answering were replayed.
      expect(replayed).toBe(lost.length);
      expect(await db.conversation.count()).toBe(CALLS);
      const calls = await db.idempotentCall.findMany({
        select: {
          idempotencyKey: true,
          conversation: { select: { _count: { select: { messages: true } } } },
        },
      });
      expect(calls.map((row) => row.idempotencyKey).sort()).toEqual(
        Array.from({ length: CALLS }, (_, n) => `burst-${n}`).sort(),
      );
      expect(calls.every((row) => row.conversation._count.messages === 2)).toBe(true);

      // One job per conversation, and every one of them completes.
      const deadline = Date.now() + 60_000;
      while ((await db.augmentationJob.count({ where: { status: { not: 'DONE' } } })) > 0) {
        if (Date.now() > deadline) throw new Error('jobs did not all complete');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await db.augmentationJob.count()).toBe(CALLS);
      const orphanRuns = await db.augmentationJob.findMany({ where: { id: { in: orphanIds } } });
      expect(orphanRuns.every((job) => job.attempts === 2 && job.extractor?.endsWith('fake-model'))).toBe(
        true,
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 180_000);
});
