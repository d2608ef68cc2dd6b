import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactChangedDocument, RememberFactDocument } from '../client-codegen/generated/graphql.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

describe('API keys over HTTP and graphql-ws', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { API_KEYS: 'the-key' } });
  });
  afterAll(() => server.close());

  const input = { entity: 'u-1', content: 'Guarded fact', category: 'FACT' as const };

  it('rejects an HTTP mutation without the key and writes nothing', async () => {
    const result = await server.request(RememberFactDocument, { input });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await server.db.entityFact.count()).toBe(0);
  });

  it('rejects a subscription without the key', async () => {
    const attempt = collect(server, server.wsClient(), FactChangedDocument, {}, 1);
    const outcome = await attempt.results.then(
      (results) => results,
      (error: unknown) => error,
    );
    // graphql-ws closes the socket with 4403 Forbidden.
    expect((outcome as { code?: number }).code).toBe(4403);
  });

  it('accepts the key as a header and as a graphql-ws connection param', async () => {
    const subscription = collect(
      server,
      server.wsClient({ authorization: 'Bearer the-key' }),
      FactChangedDocument,
      {},
      1,
    );
    await subscription.ready;
    const written = await server.request(
      RememberFactDocument,
      { input },
      { authorization: 'Bearer the-key' },
    );
    expect(written.errors).toBeUndefined();
    const [event] = await subscription.results;
    expect(event?.data?.factChanged).toEqual({
      kind: 'CREATED',
      fact: { content: 'Guarded fact', mentionCount: 1 },
    });
  });
});
