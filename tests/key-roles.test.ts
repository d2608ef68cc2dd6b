import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AugmentationJobsDocument,
  EntityPageDocument,
  FactChangedDocument,
  RememberFactDocument,
} from '../client-codegen/generated/graphql.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

/**
 * API keys with roles (admin, service, read), over HTTP and graphql-ws. The keys come from
 * API_KEYS and from API_KEYS_FILE, as a secrets manager would mount them.
 */
describe('API key roles', () => {
  let server: TestServer;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const fact = (entity: string, content: string) => ({
    input: { entity, content, category: 'FACT' as const },
  });

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'engram-keys-')), 'keys');
    writeFileSync(file, '# mounted secret\nread:reader-key\n\n');
    server = await startTestServer({
      env: { API_KEYS: 'admin-key, service:service-key', API_KEYS_FILE: file },
    });
  });
  afterAll(() => server.close());

  it('lets a read key query but refuses its mutations whole, writing nothing', async () => {
    const written = await server.request(
      RememberFactDocument,
      fact('roles-1', 'Reads only'),
      as('reader-key'),
    );
    expect(written.data ?? null).toBeNull();
    expect(written.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(await server.db.entityFact.count({ where: { content: 'Reads only' } })).toBe(0);

    await server.request(RememberFactDocument, fact('roles-1', 'Written by admin'), as('admin-key'));
    const read = await server.request(EntityPageDocument, { externalId: 'roles-1' }, as('reader-key'));
    expect(read.errors).toBeUndefined();
    expect(read.data?.entity?.facts.edges.map((edge) => edge.node.content)).toEqual(['Written by admin']);
  });

  it('refuses a read key’s mutation over graphql-ws too, and lets it subscribe', async () => {
    const client = server.wsClient(as('reader-key'));
    const live = collect(server, client, FactChangedDocument, {}, 1);
    await live.ready;
    const refused = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: print(RememberFactDocument), variables: fact('roles-3', 'Over a socket') },
        { next: resolve, error: resolve, complete: () => {} },
      );
    });
    expect(refused).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect(await server.db.entityFact.count({ where: { content: 'Over a socket' } })).toBe(0);
    await server.request(RememberFactDocument, fact('u-1', 'Seen live'), as('service-key'));
    const [event] = await live.results;
    expect(event?.data?.factChanged?.fact.content).toBe('Seen live');
  });

  it('lets a service key write for any entity but not administer', async () => {
    const written = await server.request(
      RememberFactDocument,
      fact('roles-2', 'By a service'),
      as('service-key'),
    );
    expect(written.data?.rememberFact).toMatchObject({ __typename: 'RememberFactSuccess' });
    const jobs = await server.request(AugmentationJobsDocument, {}, as('service-key'));
    expect(jobs.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    const asAdmin = await server.request(AugmentationJobsDocument, {}, as('admin-key'));
    expect(asAdmin.errors).toBeUndefined();
  });

  it('gives /health detail to admin keys only', async () => {
    const health = (key: string) =>
      fetch(server.url.replace('/graphql', '/health'), { headers: as(key) }).then((response) =>
        response.json(),
      );
    expect(await health('admin-key')).toHaveProperty('embedding');
    expect(await health('service-key')).toEqual({ status: 'ok' });
    expect(await health('reader-key')).toEqual({ status: 'ok' });
  });
});
