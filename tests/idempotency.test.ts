import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RecordConversationOnceDocument,
  type RecordConversationOnceMutation,
  type RecordConversationOnceMutationVariables,
} from '../client-codegen/generated/graphql.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

type Input = RecordConversationOnceMutationVariables['input'];
type Result = RecordConversationOnceMutation['recordConversation'];
type Success = Extract<Result, { __typename: 'RecordConversationSuccess' }>;

function turn(entity: string, key: string | null, text = 'I live in Lisbon.'): Input {
  return {
    entity,
    process: 'bot',
    idempotencyKey: key,
    messages: [
      { role: 'USER', content: text },
      { role: 'ASSISTANT', content: 'Noted!' },
    ],
  };
}

describe('recordConversation with an idempotency key', () => {
  let server: TestServer;
  // Jobs are enqueued (so a retry can be seen not to enqueue another) but not run.
  beforeAll(async () => {
    server = await startTestServer({ env: { AUGMENTATION: 'on', AUGMENTATION_CONCURRENCY: '0' } });
  });
  afterAll(() => server.close());

  async function record(input: Input): Promise<Result> {
    const result = await server.request(RecordConversationOnceDocument, { input });
    expect(result.errors).toBeUndefined();
    return (result.data as RecordConversationOnceMutation).recordConversation;
  }

  async function success(input: Input): Promise<Success> {
    const result = await record(input);
    if (result.__typename !== 'RecordConversationSuccess') throw new Error(JSON.stringify(result));
    return result;
  }

  /** What is stored for an entity: conversations, messages, jobs and remembered calls. */
  async function stored(entity: string) {
    const where = { session: { entity: { externalId: entity } } };
    return {
      conversations: await server.db.conversation.count({ where }),
      messages: await server.db.conversationMessage.count({ where: { conversation: where } }),
      jobs: await server.db.augmentationJob.count({ where: { conversation: where } }),
      calls: await server.db.idempotentCall.count({ where: { entity: { externalId: entity } } }),
    };
  }

  it('a retry with the same key returns the first call’s conversation and messages and stores nothing', async () => {
    const first = await success(turn('i-seq', 'k-1'));
    const again = await success(turn('i-seq', 'k-1'));
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect(again.conversation).toEqual(first.conversation);
    expect(again.conversation.messages.totalCount).toBe(2);
    expect(await stored('i-seq')).toEqual({ conversations: 1, messages: 2, jobs: 1, calls: 1 });

    // Without a key, every call stores (as before).
    await success(turn('i-seq', null));
    await success(turn('i-seq', null));
    expect(await stored('i-seq')).toEqual({ conversations: 3, messages: 6, jobs: 3, calls: 1 });
  });

  it('20 concurrent calls with one key store once; every loser returns the winner’s conversation', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => success(turn('i-race', 'k-race'))));
    const ids = new Set(results.map((result) => result.conversation.id));
    expect(ids.size).toBe(1);
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    for (const result of results) {
      expect(result.conversation.messages.edges.map((edge) => edge.node.content)).toEqual([
        'I live in Lisbon.',
        'Noted!',
      ]);
    }
    expect(await stored('i-race')).toEqual({ conversations: 1, messages: 2, jobs: 1, calls: 1 });
  });

  it('20 concurrent calls with one key appending to a conversation append once', async () => {
    const start = await success(turn('i-append', null, 'Hello.'));
    const input = {
      ...turn('i-append', 'k-append', 'I moved to Madrid.'),
      conversation: start.conversation.id,
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => success(input)));
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(new Set(results.map((result) => result.conversation.id))).toEqual(
      new Set([start.conversation.id]),
    );
    expect(await stored('i-append')).toEqual({ conversations: 1, messages: 4, jobs: 2, calls: 1 });
  });

  it('refuses the key with a different payload (IDEMPOTENCY_KEY_REUSED) and stores nothing', async () => {
    const first = await success(turn('i-reuse', 'k-reuse'));
    const variants: Input[] = [
      turn('i-reuse', 'k-reuse', 'I live in Porto.'),
      { ...turn('i-reuse', 'k-reuse'), process: 'other-bot' },
      { ...turn('i-reuse', 'k-reuse'), summary: 'a summary' },
      { ...turn('i-reuse', 'k-reuse'), session: 'f1b2d3c4-0000-4000-8000-000000000001' },
      { ...turn('i-reuse', 'k-reuse'), messages: [{ role: 'USER', content: 'I live in Lisbon.' }] },
      { ...turn('i-reuse', 'k-reuse'), conversation: first.conversation.id },
      {
        ...turn('i-reuse', 'k-reuse'),
        messages: turn('i-reuse', null).messages.map((message) => ({
          ...message,
          createdAt: '2023-05-08T13:56:00.000Z',
        })),
      },
    ];
    for (const input of variants) {
      const result = await record(input);
      expect(result).toMatchObject({
        __typename: 'ValidationError',
        code: 'IDEMPOTENCY_KEY_REUSED',
        issues: [{ path: 'idempotencyKey' }],
      });
    }
    expect(await stored('i-reuse')).toEqual({ conversations: 1, messages: 2, jobs: 1, calls: 1 });
    // The payload the key was first used for is still a retry.
    expect((await success(turn('i-reuse', 'k-reuse'))).conversation.id).toBe(first.conversation.id);
  });

  it('scopes keys per entity: one entity’s key never returns another entity’s conversation', async () => {
    const ana = await success(turn('i-ana', 'shared-key'));
    // The very same payload and key for another entity is that entity's own first call.
    const bob = await success(turn('i-bob', 'shared-key'));
    expect(bob.replayed).toBe(false);
    expect(bob.conversation.id).not.toBe(ana.conversation.id);
    const bobAgain = await success(turn('i-bob', 'shared-key'));
    expect(bobAgain).toMatchObject({ replayed: true, conversation: { id: bob.conversation.id } });
    expect(await stored('i-ana')).toEqual({ conversations: 1, messages: 2, jobs: 1, calls: 1 });
    expect(await stored('i-bob')).toEqual({ conversations: 1, messages: 2, jobs: 1, calls: 1 });
  });

  it('refuses malformed keys with INVALID_IDEMPOTENCY_KEY before storing anything', async () => {
    for (const key of ['', 'x'.repeat(129), 'has space', 'ünïcode', 'tab\tkey', 'semi;colon', ' k-1']) {
      const result = await record(turn('i-bad', key));
      expect(result).toMatchObject({
        __typename: 'ValidationError',
        code: 'INVALID_IDEMPOTENCY_KEY',
        issues: [{ path: 'idempotencyKey' }],
      });
    }
    expect(await server.db.entity.count({ where: { externalId: 'i-bad' } })).toBe(0);
    // The longest key and every allowed character are accepted.
    await success(turn('i-bad', 'x'.repeat(128)));
    await success(turn('i-bad', 'AZaz09-_.:~+/='));
    expect(await stored('i-bad')).toMatchObject({ conversations: 2, calls: 2 });
  });
});
