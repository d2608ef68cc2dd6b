import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/config/environment.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { type EngramProcess, killSpawned, spawnEngram, waitFor } from './helpers/engram-process.ts';

describe('configuration', () => {
  it('lists every problem at once', () => {
    expect(() => parseEnv({ PORT: 'eighty', LOG_LEVEL: 'loud', MAX_CONTENT_LENGTH: '-1' })).toThrowError(
      /PORT[\s\S]*LOG_LEVEL[\s\S]*MAX_CONTENT_LENGTH/,
    );
  });

  it('requires API keys in production and gives sensible defaults otherwise', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrowError(/API_KEYS/);
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 4000,
      DATABASE_URL: 'file:./data/engram.db',
      GRAPHIQL: true,
      API_KEYS: [],
    });
  });

  it('exits 1 printing the problems when started with a bad configuration', async () => {
    const run = spawnEngram(['serve'], { PORT: 'not-a-port', GRAPHIQL: 'maybe' });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(/Invalid configuration:\n {2}- PORT: .*\n {2}- GRAPHIQL: /);
  });
});

describe('the server process', () => {
  let database: TestDatabase;
  let server: EngramProcess;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = spawnEngram(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      API_KEYS: 'secret-one, secret-two',
    });
    await waitFor(() => server.output().stdout.includes('Engram is serving'), 'the server to start', 50_000);
    const port = server.output().stdout.match(/"port":(\d+)/)?.[1];
    url = `http://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    await killSpawned();
    await database.drop();
  });

  const post = (authorization?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query: '{ entity(externalId: "nobody") { id } }' }),
    });

  it('migrates a fresh database on start and serves GraphiQL', async () => {
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Engram</title>');
    // Served whole from this process: no script or stylesheet from another host.
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
    expect(server.output().stdout).toContain('applied migration');
    expect((await fetch(url.replace('/graphql', '/ready'))).status).toBe(200);
  });

  it('refuses calls without a valid API key when keys are configured', async () => {
    const none = await post();
    expect(none.status).toBe(401);
    const body = (await none.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect((await post('Bearer wrong')).status).toBe(401);
    const ok = await post('Bearer secret-two');
    expect(await ok.json()).toMatchObject({ data: { entity: null } });
  });

  it('shuts down cleanly on SIGTERM, letting an open request finish', async () => {
    // A request whose body is still arriving when the signal comes must be answered.
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = JSON.stringify({ query: '{ entity(externalId: "nobody") { id } }' });
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret-one\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
    );
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk;
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(body.slice(10));
    await closed;
    expect(response).toMatch(/^HTTP\/1.1 200/);
    expect(response).toContain('{"data":{"entity":null},"extensions":{"cost":{"nodes":2,');
    expect(await server.exited, server.ending()).toBe(0);
    expect(server.output().stdout).toContain('stopped cleanly');
  });
});
