import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { nextListener } from './helpers/listening.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** errors[0].extensions.code of a JSON answer, if any. */
  code?: string;
  ms: number;
}

/** One request through node:http, so Host, Origin and the body's framing are exactly as given. */
function raw(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  const target = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'POST',
        path: options.path ?? target.pathname,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let code: string | undefined;
          try {
            code = JSON.parse(text)?.errors?.[0]?.extensions?.code;
          } catch {}
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            code,
            ms: performance.now() - started,
          });
        });
      },
    );
    // The server may answer and close before the whole body is sent: that is the point of some tests.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      reject(error);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const typename = JSON.stringify({ query: '{ __typename }' });
const rememberMutation = (entity: string) =>
  JSON.stringify({
    query: `mutation { rememberFact(input: { entity: "${entity}", content: "planted by another site" }) { __typename } }`,
  });

describe('requests are refused before parsing when they are too big or carry no key', () => {
  let open: TestServer;
  let keyed: TestServer;
  beforeAll(async () => {
    [open, keyed] = await Promise.all([
      startTestServer({
        env: {
          MAX_REQUEST_BYTES: '4096',
          MAX_QUERY_TOKENS: '200',
          MAX_VARIABLE_LIST_LENGTH: '5',
          HTTP_HEADERS_TIMEOUT_MS: '1000',
          HTTP_REQUEST_TIMEOUT_MS: '2000',
        },
      }),
      // A token limit high enough that the parser's own recursion is what gives out.
      startTestServer({
        env: { API_KEYS: 'the-key', RATE_LIMIT_AUTH_FAILURES: '0', MAX_QUERY_TOKENS: '100000' },
      }),
    ]);
  });
  afterAll(() => Promise.all([open.close(), keyed.close()]));

  it('answers 413 to a body over MAX_REQUEST_BYTES, declared or chunked, and keeps serving', async () => {
    const body = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(10_000)}` });
    const declared = await raw(open.url, { headers: JSON_HEADERS, body });
    expect(declared).toMatchObject({ status: 413, code: 'REQUEST_TOO_LARGE' });
    const chunked = await raw(open.url, {
      headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' },
      body,
    });
    expect(chunked).toMatchObject({ status: 413, code: 'REQUEST_TOO_LARGE' });
    expect((await raw(open.url, { headers: JSON_HEADERS, body: typename })).status).toBe(200);
  });

  it('refuses a document over the token limit, and one nested too deep to parse, with QUERY_TOO_LARGE', async () => {
    const many = await raw(open.url, {
      headers: JSON_HEADERS,
      body: JSON.stringify({ query: `{ ${'__typename '.repeat(300)} }` }),
    });
    expect(many.code).toBe('QUERY_TOO_LARGE');
    const deep = await raw(keyed.url, {
      headers: { ...JSON_HEADERS, authorization: 'Bearer the-key' },
      body: JSON.stringify({ query: `${'{a'.repeat(5000)}${'}'.repeat(5000)}` }),
    });
    expect(deep.code).toBe('QUERY_TOO_LARGE');
    expect(deep.text).toContain('nested too deeply');
  });

  it('refuses variables with a list over MAX_VARIABLE_LIST_LENGTH before coercing them', async () => {
    const answer = await raw(open.url, {
      headers: JSON_HEADERS,
      body: JSON.stringify({
        query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
        variables: { ids: ['a', 'b', 'c', 'd', 'e', 'f'] },
      }),
    });
    expect(answer.code).toBe('VARIABLES_TOO_LARGE');
    expect(answer.status).toBe(400);
  });

  it('answers a GET with variables that are not JSON with a coded 4xx', async () => {
    const answer = await raw(open.url, {
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=not-json`,
      headers: { accept: 'application/json' },
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.code).toBeDefined();
    expect(answer.code).not.toBe('INTERNAL_SERVER_ERROR');
  });

  it('answers 401 without a key before reading a large body, in milliseconds', async () => {
    const body = JSON.stringify({ query: `{ ${'__typename '.repeat(200_000)} }` });
    const answer = await raw(keyed.url, { headers: JSON_HEADERS, body });
    expect(answer).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    const wrong = await raw(keyed.url, {
      headers: { ...JSON_HEADERS, authorization: 'Bearer nope' },
      body: typename,
    });
    expect(wrong).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const right = await raw(keyed.url, {
      headers: { ...JSON_HEADERS, authorization: 'Bearer the-key' },
      body: typename,
    });
    expect(right.status).toBe(200);
  });

  it('drops a client that sends its headers or its body too slowly, soon after the timeouts', async () => {
    const { port } = new URL(open.url);
    const heldFor = (request: string) =>
      new Promise<number>((resolve) => {
        const started = performance.now();
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => resolve(performance.now() - started));
      });
    const [headers, body] = await Promise.all([
      heldFor('POST /graphql HTTP/1.1\r\nHost: localhost\r\nX-Slow: '),
      heldFor(
        'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      ),
    ]);
    // HTTP_HEADERS_TIMEOUT_MS=1000 and HTTP_REQUEST_TIMEOUT_MS=2000, checked every second.
    expect(headers).toBeGreaterThan(900);
    expect(headers).toBeLessThan(3500);
    expect(body).toBeGreaterThan(1900);
    expect(body).toBeLessThan(4500);
  });
});

describe('other sites cannot drive the server from a browser', () => {
  let dev: TestServer;
  let production: TestServer;
  let allowing: TestServer;
  beforeAll(async () => {
    [dev, production, allowing] = await Promise.all([
      startTestServer({ env: { NODE_ENV: 'development', ALLOWED_HOSTS: 'engram.internal' } }),
      startTestServer({ env: { NODE_ENV: 'production', API_KEYS: 'prod-key' } }),
      startTestServer({ env: { CORS_ORIGINS: 'https://app.example' } }),
    ]);
  });
  afterAll(() => Promise.all([dev.close(), production.close(), allowing.close()]));

  const auth = { authorization: 'Bearer prod-key' };

  it('refuses a cross-site form POST and multipart or text/plain POSTs, and writes nothing', async () => {
    for (const server of [dev, production]) {
      const headers = server === production ? auth : {};
      const form = await raw(server.url, {
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'https://evil.example',
        },
        body: `query=${encodeURIComponent('mutation { rememberFact(input: {entity: "victim", content: "x"}) { __typename } }')}`,
      });
      expect(form.status).toBe(403);
      const plain = await raw(server.url, {
        headers: { ...headers, 'content-type': 'text/plain' },
        body: rememberMutation('victim'),
      });
      expect(plain).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      const multipart = await raw(server.url, {
        headers: { ...headers, 'content-type': 'multipart/form-data; boundary=x' },
        body: `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${rememberMutation('victim')}\r\n--x--\r\n`,
      });
      expect(multipart).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      const urlencoded = await raw(server.url, {
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${encodeURIComponent('mutation { rememberFact(input: {entity: "victim", content: "x"}) { __typename } }')}`,
      });
      expect(urlencoded).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(await server.db.entityFact.count()).toBe(0);
    }
  });

  it('refuses a cross-origin GET and POST, and sends no CORS headers to foreign origins', async () => {
    for (const server of [dev, production]) {
      const headers = server === production ? auth : {};
      const get = await raw(server.url, {
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent('{ entities(first: 5) { totalCount } }')}`,
        headers: { ...headers, accept: 'application/json', origin: 'https://evil.example' },
      });
      expect(get).toMatchObject({ status: 403, code: 'CROSS_ORIGIN_REFUSED' });
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
      // An <img>/<script> GET carries no Origin, but the browser says it is cross-site.
      const noCors = await raw(server.url, {
        method: 'GET',
        path: `/graphql?query=${encodeURIComponent('{ __typename }')}`,
        headers: { ...headers, 'sec-fetch-site': 'cross-site' },
      });
      expect(noCors).toMatchObject({ status: 403, code: 'CROSS_ORIGIN_REFUSED' });
      const post = await raw(server.url, {
        headers: { ...headers, ...JSON_HEADERS, origin: 'https://evil.example' },
        body: rememberMutation('victim'),
      });
      expect(post).toMatchObject({ status: 403, code: 'CROSS_ORIGIN_REFUSED' });
      const preflight = await raw(server.url, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(await server.db.entityFact.count()).toBe(0);
    }
  });

  it('serves GraphQL at /graphql only: other paths yoga would answer get 404, whatever their body', async () => {
    for (const path of ['/x/graphql', '//graphql', '/./graphql', '/graphql/']) {
      const answer = await raw(dev.url, {
        path,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${encodeURIComponent('mutation { rememberFact(input: {entity: "victim", content: "x"}) { __typename } }')}`,
      });
      expect(answer, path).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
    expect(await dev.db.entityFact.count()).toBe(0);
  });

  it('serves its own origin, and an origin named in CORS_ORIGINS with CORS headers', async () => {
    const port = new URL(dev.url).port;
    const same = await raw(dev.url, {
      headers: { ...JSON_HEADERS, origin: `http://localhost:${port}`, host: `localhost:${port}` },
      body: typename,
    });
    expect(same.status).toBe(200);
    const allowed = await raw(allowing.url, {
      headers: { ...JSON_HEADERS, origin: 'https://app.example' },
      body: typename,
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await raw(allowing.url, {
      headers: { ...JSON_HEADERS, origin: 'https://evil.example' },
      body: typename,
    });
    expect(other).toMatchObject({ status: 403, code: 'CROSS_ORIGIN_REFUSED' });
  });

  it('checks the Host header in development mode (DNS rebinding), not behind API keys', async () => {
    const port = new URL(dev.url).port;
    const rebound = await raw(dev.url, {
      headers: { ...JSON_HEADERS, host: `evil.example:${port}` },
      body: typename,
    });
    expect(rebound).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      `engram.internal:${port}`,
    ]) {
      const answer = await raw(dev.url, { headers: { ...JSON_HEADERS, host }, body: typename });
      expect(answer.status, host).toBe(200);
    }
    const keyed = await raw(production.url, {
      headers: { ...JSON_HEADERS, ...auth, host: 'memory.example.com' },
      body: typename,
    });
    expect(keyed.status).toBe(200);
  });

  it('serves GraphiQL in development and not in production unless enabled', async () => {
    const devPage = await raw(dev.url, { method: 'GET', headers: { accept: 'text/html' } });
    expect(devPage.status).toBe(200);
    expect(devPage.text).toContain('<title>Engram</title>');
    const prodPage = await raw(production.url, { method: 'GET', headers: { accept: 'text/html' } });
    expect(prodPage.text).not.toContain('<title>Engram</title>');
    expect(production.env.GRAPHIQL).toBe(false);
  });

  it('says little on /health without a key and everything with one', async () => {
    const base = production.url.replace('/graphql', '');
    const anonymous = await raw(base, { method: 'GET', path: '/health' });
    expect(anonymous.status).toBe(200);
    expect(JSON.parse(anonymous.text)).toEqual({ status: 'ok' });
    const detailed = await raw(base, { method: 'GET', path: '/health', headers: auth });
    expect(JSON.parse(detailed.text)).toMatchObject({ status: 'ok', embedding: { state: 'disabled' } });
    expect(JSON.parse(detailed.text)).toHaveProperty('vectorIndex');
  });
});

describe('rate limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        API_KEYS: 'k1',
        RATE_LIMIT_PER_ADDRESS: '1000',
        RATE_LIMIT_PER_KEY: '8',
        RATE_LIMIT_AUTH_FAILURES: '3',
      },
    });
  });
  afterAll(() => server.close());

  it('limits requests per address without a key (development mode) with 429 and Retry-After', async () => {
    const dev = await startTestServer({ env: { RATE_LIMIT_PER_ADDRESS: '5' } });
    onTestFinished(() => dev.close());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await raw(dev.url, { headers: JSON_HEADERS, body: typename })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it('limits requests per key with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let limited: RawAnswer | undefined;
    for (let i = 0; i < 10; i++) {
      const answer = await raw(server.url, {
        headers: { ...JSON_HEADERS, authorization: 'Bearer k1' },
        body: typename,
      });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(200));
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('blocks an address that keeps guessing keys, even when it then sends a right one', async () => {
    const guesses: number[] = [];
    for (let i = 0; i < 5; i++) {
      guesses.push(
        (
          await raw(server.url, {
            headers: { ...JSON_HEADERS, authorization: `Bearer guess-${i}` },
            body: typename,
          })
        ).status,
      );
    }
    expect(guesses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(guesses.slice(3)).toEqual([429, 429]);
    const blocked = await raw(server.url, {
      headers: { ...JSON_HEADERS, authorization: 'Bearer k1' },
      body: typename,
    });
    expect(blocked).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(60);
  });
});

/** A bare graphql-transport-ws client: every message it receives, in order. */
async function socket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, 'graphql-transport-ws', { headers });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (match: (message: Record<string, unknown>) => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message; got ${JSON.stringify(messages)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  const send = (message: unknown) => ws.send(JSON.stringify(message));
  return { ws, messages, next, send, closed };
}

describe('graphql-ws limits answer the operation and keep the socket', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        MAX_QUERY_DEPTH: '4',
        MAX_ALIASES: '3',
        MAX_VARIABLE_LIST_LENGTH: '5',
        WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '2',
        WS_MAX_SOCKETS_PER_PRINCIPAL: '3',
        WS_INIT_TIMEOUT_MS: '300',
        MAX_REQUEST_BYTES: '20000',
      },
    });
  });
  afterAll(() => server.close());

  it('fails a too-deep or too-aliased operation alone; the socket and its live subscription go on', async () => {
    const client = await socket(server.wsUrl);
    onTestFinished(() => client.ws.close());
    client.send({ type: 'connection_init' });
    await client.next((m) => m.type === 'connection_ack');
    const listening = nextListener(server.app.events);
    client.send({
      id: 'live',
      type: 'subscribe',
      payload: { query: 'subscription { factChanged(entity: "ws-1") { kind fact { content } } }' },
    });
    await listening;
    client.send({
      id: 'deep',
      type: 'subscribe',
      payload: { query: '{ entity(externalId: "x") { facts { edges { node { entity { id } } } } } }' },
    });
    const deep = await client.next((m) => m.id === 'deep' && m.type === 'error');
    expect(JSON.stringify(deep.payload)).toContain('GRAPHQL_VALIDATION_FAILED');
    client.send({
      id: 'aliases',
      type: 'subscribe',
      payload: { query: '{ a: __typename b: __typename c: __typename d: __typename e: __typename }' },
    });
    await client.next((m) => m.id === 'aliases' && m.type === 'error');
    client.send({
      id: 'vars',
      type: 'subscribe',
      payload: {
        query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
        variables: { ids: [1, 2, 3, 4, 5, 6] },
      },
    });
    const vars = await client.next((m) => m.id === 'vars' && m.type === 'error');
    expect(JSON.stringify(vars.payload)).toContain('VARIABLES_TOO_LARGE');
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    const written = await raw(server.url, {
      headers: JSON_HEADERS,
      body: JSON.stringify({
        query: 'mutation { rememberFact(input: { entity: "ws-1", content: "still live" }) { __typename } }',
      }),
    });
    expect(written.status).toBe(200);
    const event = await client.next((m) => m.id === 'live' && m.type === 'next');
    expect(JSON.stringify(event.payload)).toContain('still live');
    client.ws.close();
  });

  it('limits operations per socket, sockets per principal, the wait for connection_init and message size', async () => {
    const client = await socket(server.wsUrl);
    client.send({ type: 'connection_init' });
    await client.next((m) => m.type === 'connection_ack');
    for (const id of ['s1', 's2', 's3']) {
      client.send({
        id,
        type: 'subscribe',
        payload: { query: `subscription { factChanged(entity: "${id}") { kind } }` },
      });
    }
    const extra = await client.next((m) => m.id === 's3' && m.type === 'error');
    expect(JSON.stringify(extra.payload)).toContain('TOO_MANY_SUBSCRIPTIONS');
    expect(client.ws.readyState).toBe(WebSocket.OPEN);

    const others = [await socket(server.wsUrl), await socket(server.wsUrl), await socket(server.wsUrl)];
    for (const other of others) other.send({ type: 'connection_init' });
    await others[0]?.next((m) => m.type === 'connection_ack');
    await others[1]?.next((m) => m.type === 'connection_ack');
    // The first socket and two more make three: the fourth is refused.
    expect((await others[2]?.closed)?.code).toBe(4429);

    const silent = await socket(server.wsUrl);
    expect((await silent.closed).code).toBe(4408);

    for (const other of others) other.ws.close();
    client.ws.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const big = await socket(server.wsUrl);
    big.send({ type: 'connection_init', payload: { padding: 'x'.repeat(30_000) } });
    expect((await big.closed).code).toBe(1009);
  });

  it('counts operations until they finish, not until the client says complete, and frees them after', async () => {
    const client = await socket(server.wsUrl);
    onTestFinished(() => client.ws.close());
    client.send({ type: 'connection_init' });
    await client.next((m) => m.type === 'connection_ack');
    const live = (id: string) =>
      client.send({
        id,
        type: 'subscribe',
        payload: { query: `subscription { factChanged(entity: "${id}") { kind } }` },
      });
    live('a');
    live('b');
    live('c');
    const refused = await client.next((m) => m.id === 'c' && m.type === 'error');
    expect(JSON.stringify(refused.payload)).toContain('TOO_MANY_SUBSCRIPTIONS');
    // Ending one frees its place once it has finished.
    client.send({ id: 'a', type: 'complete' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    live('d');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.messages.filter((m) => m.id === 'd' && m.type === 'error')).toEqual([]);
    live('e');
    const again = await client.next((m) => m.id === 'e' && m.type === 'error');
    expect(JSON.stringify(again.payload)).toContain('TOO_MANY_SUBSCRIPTIONS');
  });

  it('keeps counting an operation the client declared complete while it still runs', async () => {
    const client = await socket(server.wsUrl);
    onTestFinished(() => client.ws.close());
    client.send({ type: 'connection_init' });
    await client.next((m) => m.type === 'connection_ack');
    // Each mutation is sent and at once declared complete (and its id reused): graphql-ws forgets it
    // at once, but it still runs, so it must still take one of the socket's two places.
    for (let i = 0; i < 100; i++) {
      client.send({
        id: 'x',
        type: 'subscribe',
        payload: {
          query: 'mutation($i: RememberFactInput!) { rememberFact(input: $i) { __typename } }',
          variables: { i: { entity: 'ws-burst', content: `burst ${i}` } },
        },
      });
      client.send({ id: 'x', type: 'complete' });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ran = await server.db.entityFact.count({ where: { entity: { externalId: 'ws-burst' } } });
    expect(ran).toBeGreaterThan(0);
    expect(ran).toBeLessThan(50);
  });

  it('counts every graphql-ws operation against the rate limits, like an HTTP request', async () => {
    const limited = await startTestServer({ env: { RATE_LIMIT_PER_ADDRESS: '6' } });
    onTestFinished(() => limited.close());
    const client = await socket(limited.wsUrl);
    onTestFinished(() => client.ws.close());
    client.send({ type: 'connection_init' });
    await client.next((m) => m.type === 'connection_ack');
    // The upgrade took one request of the six; each operation takes one more.
    for (let i = 0; i < 8; i++) {
      client.send({ id: `q${i}`, type: 'subscribe', payload: { query: '{ __typename }' } });
    }
    const last = await client.next((m) => m.id === 'q7' && m.type === 'error');
    expect(JSON.stringify(last.payload)).toContain('RATE_LIMITED');
    expect(client.messages.filter((m) => m.type === 'error')).toHaveLength(3);
  });

  it('holds server-sent event streams to the same budget per principal as sockets', async () => {
    const controllers: AbortController[] = [];
    onTestFinished(() => {
      for (const controller of controllers) controller.abort();
    });
    const open = async () => {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await fetch(
        `${server.url}?query=${encodeURIComponent('subscription { factChanged(entity: "sse") { kind } }')}`,
        { headers: { accept: 'text/event-stream' }, signal: controller.signal },
      );
      return { response, controller };
    };
    // No sockets are open in this test: three streams fit (WS_MAX_SOCKETS_PER_PRINCIPAL=3), the fourth not.
    const streams = [await open(), await open(), await open()];
    for (const { response } of streams) expect(response.status).toBe(200);
    const fourth = await open();
    expect(fourth.response.status).toBe(429);
    expect(
      ((await fourth.response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions
        .code,
    ).toBe('TOO_MANY_STREAMS');
    // Closing one makes room.
    streams[0]?.controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await open()).response.status).toBe(200);
  });

  it('refuses a WebSocket upgrade from a foreign origin (cross-site WebSocket hijacking)', async () => {
    const attempt = new WebSocket(server.wsUrl, 'graphql-transport-ws', {
      headers: { origin: 'https://evil.example' },
    });
    const status = await new Promise<number | undefined>((resolve) => {
      attempt.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      attempt.on('open', () => resolve(101));
      attempt.on('error', () => resolve(undefined));
    });
    expect(status).toBe(403);
  });
});
