import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTriplesCheckedDocument,
  EntityPageDocument,
  ForgetFactDocument,
  ForgetTripleDocument,
  RecordMessagesDocument,
  RememberWithSourceDocument,
} from '../client-codegen/generated/graphql.ts';
import { rowCounts } from './helpers/row-counts.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('bad input gets a typed error or a coded GraphQL error, and writes nothing', () => {
  let server: TestServer;
  let before: Awaited<ReturnType<typeof rowCounts>>;

  beforeAll(async () => {
    server = await startTestServer({
      env: { MAX_CONTENT_LENGTH: '40', MAX_ITEMS_PER_CALL: '3', MAX_PAGE_SIZE: '2' },
    });
    await server.gql(RecordMessagesDocument, {
      input: { entity: 'seed', process: 'bot', messages: [{ role: 'USER', content: 'hello' }] },
    });
  });
  afterAll(() => server.close());

  async function expectNoWrites(run: () => Promise<unknown>) {
    before = await rowCounts(server.db);
    await run();
    expect(await rowCounts(server.db)).toEqual(before);
  }

  it('refuses empty and oversized content (configurable limit)', async () => {
    await expectNoWrites(async () => {
      const empty = await server.gql(RememberWithSourceDocument, { input: { entity: 'a', content: '   ' } });
      expect(empty.rememberFact).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
      const long = await server.gql(RememberWithSourceDocument, {
        input: { entity: 'a', content: 'x'.repeat(41) },
      });
      expect(long.rememberFact).toMatchObject({
        __typename: 'ValidationError',
        code: 'INPUT_TOO_LARGE',
        issues: [{ path: 'content', message: 'must be at most 40 characters' }],
      });
    });
  });

  it('writes no part of a conversation when one message is bad', async () => {
    await expectNoWrites(async () => {
      const result = await server.gql(RecordMessagesDocument, {
        input: {
          entity: 'new-entity',
          process: 'new-process',
          messages: [
            { role: 'USER', content: 'fine' },
            { role: 'ASSISTANT', content: '' },
          ],
        },
      });
      expect(result.recordConversation).toMatchObject({
        __typename: 'ValidationError',
        issues: [{ path: 'messages.1.content' }],
      });
      const none = await server.gql(RecordMessagesDocument, {
        input: { entity: 'new-entity', process: 'new-process', messages: [] },
      });
      expect(none.recordConversation).toMatchObject({
        __typename: 'ValidationError',
        code: 'VALIDATION_FAILED',
      });
      const many = await server.gql(RecordMessagesDocument, {
        input: {
          entity: 'new-entity',
          process: 'new-process',
          messages: Array.from({ length: 4 }, () => ({ role: 'USER' as const, content: 'hi' })),
        },
      });
      expect(many.recordConversation).toMatchObject({
        __typename: 'ValidationError',
        code: 'INPUT_TOO_LARGE',
      });
    });
  });

  it('rolls back a conversation whose session belongs to someone else', async () => {
    const first = await server.gql(RecordMessagesDocument, {
      input: {
        entity: 'owner',
        process: 'bot',
        session: 'shared-session',
        messages: [{ role: 'USER', content: 'a' }],
      },
    });
    expect(first.recordConversation.__typename).toBe('RecordConversationSuccess');
    await expectNoWrites(async () => {
      const stolen = await server.gql(RecordMessagesDocument, {
        input: {
          entity: 'owner',
          process: 'other-bot',
          session: 'shared-session',
          messages: [{ role: 'USER', content: 'b' }],
        },
      });
      // The process is created inside the transaction and rolled back with it.
      expect(stolen.recordConversation).toMatchObject({
        __typename: 'ValidationError',
        code: 'SESSION_MISMATCH',
      });
    });
  });

  it('rejects invalid roles and categories with a GraphQL validation code', async () => {
    const role = await server.request(RecordMessagesDocument, {
      input: { entity: 'a', process: 'b', messages: [{ role: 'ROBOT' as never, content: 'hi' }] },
    });
    expect(role.errors?.[0]).toMatchObject({
      message: expect.stringContaining('ROBOT'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const category = await server.request(RememberWithSourceDocument, {
      input: { entity: 'a', content: 'hi', category: 'OPINION' as never },
    });
    expect(category.errors?.[0]).toMatchObject({
      message: expect.stringContaining('OPINION'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(await server.db.entity.count({ where: { externalId: 'a' } })).toBe(0);
  });

  it('refuses duplicates inside one addTriples call, naming both positions', async () => {
    await expectNoWrites(async () => {
      const result = await server.gql(AddTriplesCheckedDocument, {
        input: {
          entity: 'a',
          triples: [
            { subject: 'Ana', predicate: 'lives in', object: 'Porto' },
            { subject: 'Ana', predicate: 'likes', object: 'hiking' },
            { subject: ' Ana ', predicate: 'Lives_In', object: 'Porto' },
          ],
        },
      });
      expect(result.addTriples).toMatchObject({
        __typename: 'ValidationError',
        code: 'DUPLICATE_INPUT',
        issues: [{ path: 'triples.2', message: 'repeats triples.0' }],
      });
    });
  });

  it('answers unknown and malformed ids with NOT_FOUND and INVALID_ID', async () => {
    await expectNoWrites(async () => {
      const missing = await server.gql(ForgetFactDocument, {
        id: Buffer.from('Fact:999999').toString('base64'),
      });
      expect(missing.forgetFact).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      const wrongType = await server.gql(ForgetTripleDocument, {
        id: Buffer.from('Fact:1').toString('base64'),
      });
      expect(wrongType.forgetTriple).toMatchObject({ __typename: 'ValidationError', code: 'INVALID_ID' });
      const garbage = await server.gql(ForgetFactDocument, { id: '%%%not-an-id' });
      expect(garbage.forgetFact).toMatchObject({ __typename: 'ValidationError', code: 'INVALID_ID' });
      const source = await server.gql(RememberWithSourceDocument, {
        input: {
          entity: 'a',
          content: 'from nowhere',
          source: Buffer.from('Message:424242').toString('base64'),
        },
      });
      expect(source.rememberFact).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    });
  });

  it('caps page sizes at MAX_PAGE_SIZE and refuses negative ones', async () => {
    for (const content of ['one', 'two', 'three']) {
      await server.gql(RememberWithSourceDocument, { input: { entity: 'paged', content } });
    }
    const page = await server.gql(EntityPageDocument, { externalId: 'paged', factsFirst: 50 });
    expect(page.entity?.facts.edges).toHaveLength(2);
    expect(page.entity?.facts.totalCount).toBe(3);
    expect(page.entity?.facts.pageInfo.hasNextPage).toBe(true);
    const negative = await server.request(EntityPageDocument, { externalId: 'paged', factsFirst: -1 });
    expect(negative.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers a malformed cursor with BAD_USER_INPUT', async () => {
    const result = await server.request(EntityPageDocument, { externalId: 'seed', after: 'not-a-cursor' });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses documents deeper than MAX_QUERY_DEPTH', async () => {
    // Each round adds 4 levels: sessions, edges, node, entity.
    let depth = 'externalId';
    for (let round = 0; round < 6; round++)
      depth = `sessions(first: 1) { edges { node { entity { ${depth} } } } }`;
    depth = `entity(externalId: "seed") { ${depth} }`;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ ${depth} }` }),
    });
    const body = (await response.json()) as {
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('depth limit of 20'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('refuses NUL characters on every database, in writes and in lookups', async () => {
    await expectNoWrites(async () => {
      const write = await server.gql(RememberWithSourceDocument, {
        input: { entity: 'a', content: 'a\u0000b' },
      });
      expect(write.rememberFact).toMatchObject({
        __typename: 'ValidationError',
        issues: [{ path: 'content' }],
      });
    });
    const read = await server.request(EntityPageDocument, { externalId: 'x\u0000' });
    expect(read.errors?.[0]?.extensions?.code ?? 'no error').toMatch(/^(no error|BAD_USER_INPUT)$/);
    expect(read.data?.entity ?? null).toBeNull();
  });

  it('refuses documents over MAX_ALIASES, and nodes() over MAX_PAGE_SIZE ids', async () => {
    const post = async (query: string, variables?: object) => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    };
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: entity(externalId: "seed") { id }`).join(
      ' ',
    );
    expect((await post(`{ ${aliases} }`)).errors?.[0]).toMatchObject({
      message: expect.stringContaining('Aliases limit of 30'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const nodes = await post('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [1, 2, 3].map((id) => Buffer.from(`Entity:${id}`).toString('base64')),
    });
    expect(nodes.errors?.[0]).toMatchObject({
      message: 'nodes accepts at most 2 ids',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('keeps serving after all of that', async () => {
    const ok = await server.gql(RememberWithSourceDocument, {
      input: { entity: 'seed', content: 'still fine' },
    });
    expect(ok.rememberFact.__typename).toBe('RememberFactSuccess');
  });
});
