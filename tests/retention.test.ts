import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  RecordMessagesDocument,
  RememberFactWithEmbeddingDocument,
  SemanticSearchDocument,
} from '../client-codegen/generated/graphql.ts';
import { applyRetention, type RetentionPolicy } from '../src/services/retention.ts';
import { spawnEngram } from './helpers/engram-process.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const DAY = 24 * 3600 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
const KEEP_ALL: RetentionPolicy = {
  messagesDays: null,
  conversationsDays: null,
  factsUnmentionedDays: null,
  jobsDays: null,
  auditDays: null,
  batchSize: 500,
};

/** Records a conversation and returns its id and its messages' ids. */
async function converse(server: TestServer, entity: string, contents: string[]) {
  const result = await server.gql(RecordMessagesDocument, {
    input: {
      entity,
      process: 'bot',
      messages: contents.map((content) => ({ role: 'USER' as const, content })),
    },
  });
  const recorded = result.recordConversation;
  if (recorded.__typename !== 'RecordConversationSuccess') throw new Error('seed failed');
  return recorded.conversation;
}

async function remember(server: TestServer, entity: string, content: string, embedding = [1, 0, 0, 0]) {
  const result = await server.gql(RememberFactWithEmbeddingDocument, {
    input: { entity, content, category: 'FACT', embedding },
  });
  if (result.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('seed failed');
  return Number(Buffer.from(result.rememberFact.fact.id, 'base64').toString().split(':')[1]);
}

/**
 * Retention: each kind is deleted after its configured age, in batches, by the background task
 * and by `engram retention`; what is newer, and every kind without a setting, stays.
 */
describe('retention', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        VECTOR_DIMENSIONS: '4',
        VECTOR_SYNC_INTERVAL_MS: '50',
        RETENTION_FACTS_UNMENTIONED_DAYS: '30',
        RETENTION_INTERVAL_MS: '200',
      },
    });
  });
  afterAll(() => server.close());

  it('deletes each kind after its age, in batches, and keeps the rest', async () => {
    const old = await converse(server, 'ret-1', ['old one', 'old two', 'old three']);
    const fresh = await converse(server, 'ret-1', ['fresh one']);
    const oldIds = old.messages.edges.map((edge) => Buffer.from(edge.node.id, 'base64').toString());
    await server.db.conversationMessage.updateMany({
      where: { content: { startsWith: 'old ' } },
      data: { createdAt: daysAgo(100) },
    });
    const progress: [string, number, number][] = [];
    const counts = await applyRetention(
      server.engram.services,
      { ...KEEP_ALL, messagesDays: 90, batchSize: 2 },
      { onProgress: (kind, deleted, due) => progress.push([kind, deleted, due]) },
    );
    expect(oldIds).toHaveLength(3);
    expect(counts).toEqual({ messages: 3, conversations: 0, facts: 0, jobs: 0, audit: 0 });
    // Due first, then one report per batch of 2.
    expect(progress).toEqual([
      ['messages', 0, 3],
      ['messages', 2, 3],
      ['messages', 3, 3],
    ]);
    const left = await server.db.conversationMessage.findMany({
      where: { conversation: { session: { entity: { externalId: 'ret-1' } } } },
    });
    expect(left.map((message) => message.content)).toEqual(['fresh one']);
    expect(fresh.messages.totalCount).toBe(1);
  });

  it('deletes old conversations with their messages, and only finished jobs', async () => {
    const old = await converse(server, 'ret-2', ['a long time ago']);
    await converse(server, 'ret-2', ['just now']);
    const oldId = Number(Buffer.from(old.id, 'base64').toString().split(':')[1]);
    await server.db.conversation.update({ where: { id: oldId }, data: { createdAt: daysAgo(400) } });
    const entity = await server.db.entity.findUniqueOrThrow({ where: { externalId: 'ret-2' } });
    const job = (status: 'DONE' | 'PENDING' | 'PARKED') =>
      server.db.augmentationJob.create({
        data: {
          conversationId: oldId + 1,
          entityId: entity.id,
          firstMessageId: 0,
          lastMessageId: 0,
          status,
          createdAt: daysAgo(60),
        },
      });
    await job('DONE');
    await job('PARKED');
    const pending = await job('PENDING');

    const counts = await applyRetention(server.engram.services, {
      ...KEEP_ALL,
      conversationsDays: 365,
      jobsDays: 30,
    });
    expect(counts).toMatchObject({ conversations: 1, jobs: 2 });
    expect(await server.db.conversationMessage.count({ where: { content: 'a long time ago' } })).toBe(0);
    expect(await server.db.conversationMessage.count({ where: { content: 'just now' } })).toBe(1);
    expect(
      (await server.db.augmentationJob.findMany({ where: { entityId: entity.id } })).map((row) => row.id),
    ).toEqual([pending.id]);
  });

  it('deletes audit entries older than their age, and keeps the newer', async () => {
    await converse(server, 'ret-5', ['logged twice']);
    await converse(server, 'ret-5', ['logged again']);
    const entries = await server.db.auditEntry.findMany({
      where: { entityExternalId: 'ret-5' },
      orderBy: { id: 'asc' },
    });
    expect(entries).toHaveLength(2);
    await server.db.auditEntry.update({
      where: { id: entries[0]?.id as number },
      data: { at: daysAgo(800) },
    });
    const counts = await applyRetention(server.engram.services, { ...KEEP_ALL, auditDays: 730 });
    expect(counts.audit).toBeGreaterThanOrEqual(1);
    const left = await server.db.auditEntry.findMany({ where: { entityExternalId: 'ret-5' } });
    expect(left.map((entry) => entry.id)).toEqual([entries[1]?.id]);
  });

  it('runs in the background: a fact unmentioned for too long leaves the database and the search index', async () => {
    const stale = await remember(server, 'ret-3', 'Once liked jazz', [1, 0, 0, 0]);
    await remember(server, 'ret-3', 'Likes tea', [0, 1, 0, 0]);
    const search = () =>
      server.gql(SemanticSearchDocument, { entity: 'ret-3', vector: [1, 0, 0, 0], first: 5, threshold: 0.5 });
    await vi.waitFor(async () => {
      expect((await search()).semanticFacts.map((hit) => hit.fact.content)).toEqual(['Once liked jazz']);
    });
    await server.db.entityFact.update({ where: { id: stale }, data: { lastMentionedAt: daysAgo(31) } });
    // The task runs every 200 ms in this server (RETENTION_INTERVAL_MS); the index follows the change log.
    await vi.waitFor(
      async () => {
        expect(await server.db.entityFact.count({ where: { id: stale } })).toBe(0);
        expect((await search()).semanticFacts).toEqual([]);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(await server.db.entityFact.count({ where: { content: 'Likes tea' } })).toBe(1);
  });

  it('is applied now by `engram retention`, with progress on stderr', async () => {
    await converse(server, 'ret-4', ['ancient words']);
    await server.db.conversationMessage.updateMany({
      where: { content: 'ancient words' },
      data: { createdAt: daysAgo(1000) },
    });
    const run = spawnEngram(['retention'], {
      DATABASE_URL: server.databaseUrl,
      LOG_LEVEL: 'silent',
      EMBEDDING_PROVIDER: 'none',
      VECTOR_INDEX: 'off',
      RETENTION_MESSAGES_DAYS: '365',
    });
    expect(await run.exited, run.output().stderr).toBe(0);
    expect(JSON.parse(run.output().stdout)).toMatchObject({ deleted: { messages: 1 } });
    expect(run.output().stderr).toMatch(/deleting messages: 1\/1 messages/);
    expect(await server.db.conversationMessage.count({ where: { content: 'ancient words' } })).toBe(0);

    const idle = spawnEngram(['retention'], { DATABASE_URL: server.databaseUrl, LOG_LEVEL: 'silent' });
    expect(await idle.exited).toBe(0);
    expect(idle.output().stderr).toContain('everything is kept');
  });
});
