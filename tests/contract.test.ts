import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AddTriplesDocument,
  EntityMemoryDocument,
  FactChangedDocument,
  RecordConversationDocument,
  RememberFactDocument,
} from '../client-codegen/generated/graphql.ts';
import { seed } from './helpers/seed.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

// The documents in client-codegen/operations/contract.graphql, exactly as the issue gives them.
// They name entity u-1 and the tests count every row, so each test has a database of its own and
// seeds what it reads: any one of them runs alone, in any order.
describe('contract documents', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  it('records a conversation, creating entity, process, session and conversation', async () => {
    const data = await server.gql(RecordConversationDocument, {
      input: {
        entity: 'u-1',
        process: 'support-bot',
        messages: [
          { role: 'USER', content: 'I live in Lisbon.' },
          { role: 'ASSISTANT', content: 'Noted!' },
        ],
      },
    });
    expect(data.recordConversation.__typename).toBe('RecordConversationSuccess');
    if (data.recordConversation.__typename !== 'RecordConversationSuccess') return;
    expect(data.recordConversation.conversation.messages.totalCount).toBe(2);
    expect(data.recordConversation.conversation.session.id).toMatch(/\S/);
    expect(await server.db.entity.count()).toBe(1);
    expect(await server.db.process.count()).toBe(1);
  });

  it('is idempotent on external ids: a second conversation reuses entity and process', async () => {
    await seed(server).entity('u-1').conversation(['I live in Lisbon.'], { process: 'support-bot' });
    await server.gql(RecordConversationDocument, {
      input: { entity: 'u-1', process: 'support-bot', messages: [{ role: 'USER', content: 'Hello again' }] },
    });
    expect(await server.db.entity.count()).toBe(1);
    expect(await server.db.process.count()).toBe(1);
    expect(await server.db.session.count()).toBe(2);
  });

  it('remembers the same fact twice as one fact with mentionCount 2, live over graphql-ws', async () => {
    const subscription = collect(server, server.wsClient(), FactChangedDocument, {}, 2);
    await subscription.ready;

    const input = { entity: 'u-1', content: 'Lives in Lisbon', category: 'FACT' as const };
    const first = await server.gql(RememberFactDocument, { input });
    const second = await server.gql(RememberFactDocument, { input });
    expect(first.rememberFact.__typename).toBe('RememberFactSuccess');
    if (first.rememberFact.__typename !== 'RememberFactSuccess') return;
    if (second.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('second call failed');
    expect(first.rememberFact.fact.mentionCount).toBe(1);
    expect(second.rememberFact.fact.mentionCount).toBe(2);
    expect(second.rememberFact.fact.id).toBe(first.rememberFact.fact.id);
    expect(second.rememberFact.fact.category).toBe('FACT');

    const events = await subscription.results;
    expect(events.map((event) => event.data?.factChanged)).toEqual([
      { kind: 'CREATED', fact: { content: 'Lives in Lisbon', mentionCount: 1 } },
      { kind: 'MENTIONED', fact: { content: 'Lives in Lisbon', mentionCount: 2 } },
    ]);
  });

  it('adds a triple and counts it again when repeated', async () => {
    const input = { entity: 'u-1', triples: [{ subject: 'u-1', predicate: 'lives_in', object: 'Lisbon' }] };
    const first = await server.gql(AddTriplesDocument, { input });
    const again = await server.gql(AddTriplesDocument, { input });
    if (first.addTriples.__typename !== 'AddTriplesSuccess') throw new Error(first.addTriples.__typename);
    if (again.addTriples.__typename !== 'AddTriplesSuccess') throw new Error(again.addTriples.__typename);
    expect(first.addTriples.triples).toEqual([
      expect.objectContaining({
        subject: { name: 'u-1' },
        predicate: { name: 'lives_in' },
        object: { name: 'Lisbon' },
        mentionCount: 1,
      }),
    ]);
    expect(again.addTriples.triples[0]?.mentionCount).toBe(2);
    expect(await server.db.triple.count()).toBe(1);
  });

  it('reads the entity memory page', async () => {
    await seed(server)
      .entity('u-1')
      .conversation(['I live in Lisbon.'], { process: 'support-bot' })
      .conversation(['Hello again'], { process: 'support-bot' })
      .fact('Lives in Lisbon')
      .fact('Lives in Lisbon')
      .triple('u-1', 'lives_in', 'Lisbon');
    const data = await server.gql(EntityMemoryDocument, {});
    expect(data.entity).toMatchObject({
      externalId: 'u-1',
      facts: { totalCount: 1, edges: [{ node: { content: 'Lives in Lisbon', mentionCount: 2 } }] },
      triples: { totalCount: 1 },
      sessions: { totalCount: 2 },
    });
  });
});
