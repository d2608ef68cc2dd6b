import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

interface Recorded {
  recordConversation: {
    __typename: string;
    code?: string;
    issues?: { path: string; message: string }[];
    conversation?: {
      id: string;
      createdAt: string;
      messages: { edges: { node: { content: string; createdAt: string } }[] };
    };
  };
}
type Message = { role: 'USER' | 'ASSISTANT'; content: string; createdAt?: string };

const RECORD = parse(`mutation($input: RecordConversationInput!) { recordConversation(input: $input) {
  __typename
  ... on RecordConversationSuccess { conversation { id createdAt
    messages(first: 10) { edges { node { content createdAt } } } } }
  ... on ValidationError { code issues { path message } } } }`) as TypedDocumentNode<
  Recorded,
  { input: { entity: string; process: string; conversation?: string; messages: Message[] } }
>;

describe('recordConversation with the times messages were said', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { AUGMENTATION: 'off' } });
  });
  afterAll(() => server.close());

  const record = async (entity: string, messages: Message[], conversation?: string) =>
    (
      await server.gql(RECORD, {
        input: { entity, process: 'importer', messages, ...(conversation ? { conversation } : {}) },
      })
    ).recordConversation;

  const stored = (entity: string) =>
    server.db.conversationMessage.count({
      where: { conversation: { session: { entity: { externalId: entity } } } },
    });

  it('stores a past conversation at its own times, and the conversation starts at its first message', async () => {
    const result = await record('times-past', [
      { role: 'USER', content: 'I adopted Susie yesterday.', createdAt: '2023-05-08T13:56:00.000Z' },
      { role: 'ASSISTANT', content: 'Congratulations!', createdAt: '2023-05-08T13:57:00.000Z' },
    ]);
    expect(result.__typename).toBe('RecordConversationSuccess');
    expect(result.conversation?.createdAt).toBe('2023-05-08T13:56:00.000Z');
    expect(result.conversation?.messages.edges.map((edge) => edge.node)).toEqual([
      { content: 'I adopted Susie yesterday.', createdAt: '2023-05-08T13:56:00.000Z' },
      { content: 'Congratulations!', createdAt: '2023-05-08T13:57:00.000Z' },
    ]);
  });

  it('lists messages appended later by when they were said', async () => {
    const first = await record('times-append', [
      { role: 'USER', content: 'second', createdAt: '2024-01-02T00:00:00.000Z' },
    ]);
    const appended = await record(
      'times-append',
      [{ role: 'USER', content: 'first', createdAt: '2024-01-01T00:00:00.000Z' }],
      first.conversation?.id,
    );
    expect(appended.conversation?.messages.edges.map((edge) => edge.node.content)).toEqual([
      'first',
      'second',
    ]);
  });

  it('keeps now for messages without a time', async () => {
    const before = Date.now();
    const result = await record('times-now', [{ role: 'USER', content: 'hello' }]);
    const at = Date.parse(result.conversation?.messages.edges[0]?.node.createdAt ?? '');
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('refuses a future time, times out of order and the epoch with VALIDATION_FAILED, storing nothing', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const cases: [Message[], string, RegExp][] = [
      [[{ role: 'USER', content: 'a', createdAt: future }], 'messages.0.createdAt', /future/],
      [
        [
          { role: 'USER', content: 'a', createdAt: '2023-05-08T13:56:00.000Z' },
          { role: 'ASSISTANT', content: 'b', createdAt: '2023-05-08T13:55:00.000Z' },
        ],
        'messages.1.createdAt',
        /earlier/,
      ],
      [
        [{ role: 'USER', content: 'a', createdAt: '1970-01-01T00:00:00.000Z' }],
        'messages.0.createdAt',
        /1970-01-02/,
      ],
    ];
    for (const [messages, path, message] of cases) {
      const result = await record('times-bad', messages);
      expect(result.__typename).toBe('ValidationError');
      expect(result.code).toBe('VALIDATION_FAILED');
      expect(result.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
    expect(await stored('times-bad')).toBe(0);
  });

  it('refuses a time that is not a DateTime before running anything', async () => {
    const answer = await server.request(RECORD, {
      input: {
        entity: 'times-bad-2',
        process: 'importer',
        messages: [{ role: 'USER', content: 'a', createdAt: 'yesterday' }],
      },
    });
    expect(answer.errors?.[0]?.message).toMatch(/DateTime/);
    expect(await stored('times-bad-2')).toBe(0);
  });
});
