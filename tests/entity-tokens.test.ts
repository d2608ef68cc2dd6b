import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  EntitiesDocument,
  EntityPageDocument,
  FactChangedForDocument,
  IssueEntityTokenDocument,
  NodeByIdDocument,
  RecordMessagesDocument,
  RememberFactDocument,
  SemanticStatusDocument,
  SessionByIdDocument,
} from '../client-codegen/generated/graphql.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

const SECRET = 'entity-token-secret-for-the-tests-0123456789';
const as = (credential: string) => ({ authorization: `Bearer ${credential}` });
const fact = (entity: string, content: string) => ({ input: { entity, content, category: 'FACT' as const } });

/** A token signed as Engram would, with claims a test chooses (expired, other audience...). */
function signed(
  claims: { sub: string; scope?: string; exp: number; aud?: string; iss?: string },
  secret = SECRET,
) {
  return new SignJWT({ scope: claims.scope ?? 'READ WRITE' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(claims.iss ?? 'engram')
    .setAudience(claims.aud ?? 'engram')
    .setSubject(claims.sub)
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(secret));
}
const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

/**
 * Entity tokens: issued by admin and service keys, verified without a database lookup, limited
 * to one entity's memory over HTTP, SSE and graphql-ws, and refused once expired.
 */
describe('entity tokens', () => {
  let server: TestServer;
  let token1: string;
  let otherFactId: string;
  let otherSession: string;

  beforeAll(async () => {
    server = await startTestServer({
      env: { API_KEYS: 'admin-key, service:service-key, read:reader-key', ENTITY_TOKEN_SECRET: SECRET },
    });
    await server.request(RememberFactDocument, fact('tok-1', 'Mine to see'), as('admin-key'));
    const other = await server.request(RememberFactDocument, fact('tok-2', 'Not yours'), as('admin-key'));
    const remembered = other.data?.rememberFact;
    if (remembered?.__typename !== 'RememberFactSuccess') throw new Error('seed failed');
    otherFactId = remembered.fact.id;
    const recorded = await server.request(
      RecordMessagesDocument,
      { input: { entity: 'tok-2', process: 'bot', messages: [{ role: 'USER', content: 'Secret talk' }] } },
      as('admin-key'),
    );
    const conversation = recorded.data?.recordConversation;
    if (conversation?.__typename !== 'RecordConversationSuccess') throw new Error('seed failed');
    otherSession = conversation.conversation.session.id;
    const issued = await server.request(
      IssueEntityTokenDocument,
      { input: { entity: 'tok-1', ttlSeconds: 900, scopes: ['READ', 'WRITE'] } },
      as('service-key'),
    );
    if (issued.data?.issueEntityToken.__typename !== 'IssueEntityTokenSuccess') throw new Error('no token');
    token1 = issued.data.issueEntityToken.token;
  });
  afterAll(() => server.close());

  it('is issued by admin and service keys for 15 minutes by default, and by no one else', async () => {
    const before = Date.now();
    const issued = await server.request(
      IssueEntityTokenDocument,
      { input: { entity: 'tok-1' } },
      as('admin-key'),
    );
    const success = issued.data?.issueEntityToken;
    expect(success?.__typename).toBe('IssueEntityTokenSuccess');
    if (success?.__typename !== 'IssueEntityTokenSuccess') return;
    const lifetime = new Date(success.expiresAt).getTime() - before;
    expect(lifetime).toBeGreaterThan(899_000);
    expect(lifetime).toBeLessThanOrEqual(901_000);

    for (const credential of ['reader-key', token1]) {
      const refused = await server.request(
        IssueEntityTokenDocument,
        { input: { entity: 'tok-1' } },
        as(credential),
      );
      // A read key's mutation is refused whole; a token's gets the typed ForbiddenError.
      const code = refused.data?.issueEntityToken.__typename === 'ForbiddenError' ? 'FORBIDDEN' : undefined;
      expect(code ?? refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('refuses a bad grant with a ValidationError naming the field', async () => {
    for (const input of [
      { entity: 'tok-1', ttlSeconds: 0 },
      { entity: 'tok-1', ttlSeconds: 86_401 },
      { entity: 'tok-1', scopes: [] },
      { entity: '  ' },
    ]) {
      const refused = await server.request(IssueEntityTokenDocument, { input }, as('admin-key'));
      expect(refused.data?.issueEntityToken).toMatchObject({ __typename: 'ValidationError' });
    }
  });

  it('reads its own entity and nothing of another', async () => {
    const own = await server.request(EntityPageDocument, { externalId: 'tok-1' }, as(token1));
    expect(own.errors).toBeUndefined();
    expect(own.data?.entity?.facts.edges.map((edge) => edge.node.content)).toEqual(['Mine to see']);

    const other = await server.request(EntityPageDocument, { externalId: 'tok-2' }, as(token1));
    expect(other.data?.entity ?? null).toBeNull();
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const node = await server.request(NodeByIdDocument, { id: otherFactId }, as(token1));
    expect(node.data?.node ?? null).toBeNull();
    expect(JSON.stringify(node)).not.toContain('Not yours');

    const session = await server.request(SessionByIdDocument, { id: otherSession }, as(token1));
    expect(session.data?.session ?? null).toBeNull();
    expect(JSON.stringify(session)).not.toContain('Secret talk');

    for (const refused of [
      await server.request(EntitiesDocument, {}, as(token1)),
      await server.request(SemanticStatusDocument, {}, as(token1)),
    ]) {
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('writes to its own entity only', async () => {
    const own = await server.request(RememberFactDocument, fact('tok-1', 'Written by me'), as(token1));
    expect(own.data?.rememberFact.__typename).toBe('RememberFactSuccess');
    const other = await server.request(RememberFactDocument, fact('tok-2', 'Planted'), as(token1));
    expect(other.data?.rememberFact.__typename).toBe('ForbiddenError');
    expect(await server.db.entityFact.count({ where: { content: 'Planted' } })).toBe(0);
  });

  it('keeps to its scopes: READ alone writes nothing, WRITE alone reads nothing', async () => {
    const readOnly = await signed({ sub: 'tok-1', scope: 'READ', exp: inSeconds(60) });
    const refused = await server.request(
      RememberFactDocument,
      fact('tok-1', 'Read-only write'),
      as(readOnly),
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await server.db.entityFact.count({ where: { content: 'Read-only write' } })).toBe(0);
    expect(
      (await server.request(EntityPageDocument, { externalId: 'tok-1' }, as(readOnly))).errors,
    ).toBeUndefined();

    const writeOnly = await signed({ sub: 'tok-1', scope: 'WRITE', exp: inSeconds(60) });
    const read = await server.request(EntityPageDocument, { externalId: 'tok-1' }, as(writeOnly));
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const written = await server.request(RememberFactDocument, fact('tok-1', 'Write-only'), as(writeOnly));
    expect(written.data?.rememberFact.__typename).toBe('RememberFactSuccess');
  });

  it('refuses expired, forged and foreign tokens with 401 UNAUTHENTICATED', async () => {
    const forged = `${token1.slice(0, -4)}AAAA`;
    const bad = [
      await signed({ sub: 'tok-1', exp: inSeconds(-5) }),
      await signed({ sub: 'tok-1', exp: inSeconds(60) }, 'another-secret-another-secret-another-secret'),
      await signed({ sub: 'tok-1', exp: inSeconds(60), aud: 'someone-else' }),
      await signed({ sub: 'tok-1', exp: inSeconds(60), iss: 'somebody' }),
      forged,
    ];
    for (const token of bad) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as(token) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  });

  it('subscribes over graphql-ws to its own entity only', async () => {
    const client = server.wsClient(as(token1));
    const refused = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription { factChanged(entity: "tok-2") { fact { content } } }' },
        { next: resolve, error: resolve, complete: () => {} },
      );
    });
    expect(refused).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });

    const live = collect(server, client, FactChangedForDocument, { entity: 'tok-1' }, 1);
    await live.ready;
    await server.request(RememberFactDocument, fact('tok-1', 'Heard live'), as('admin-key'));
    const [event] = await live.results;
    expect(event?.data?.factChanged.fact.content).toBe('Heard live');
  });

  it('closes a graphql-ws socket with 4401 when its token expires', async () => {
    const token = await signed({ sub: 'tok-1', exp: inSeconds(2) });
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: as(token) }));
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    expect(messages).toContainEqual({ type: 'connection_ack' });
    expect(closed).toEqual({ code: 4401, reason: 'Token expired' });
  });

  it('ends a server-sent events subscription with TOKEN_EXPIRED when its token expires', async () => {
    const token = await signed({ sub: 'tok-1', exp: inSeconds(2) });
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...as(token) },
      body: JSON.stringify({ query: 'subscription { factChanged(entity: "tok-1") { kind } }' }),
    });
    expect(response.status).toBe(200);
    // The stream ends by itself; reading it to the end is the wait.
    const text = await response.text();
    expect(text).toContain('TOKEN_EXPIRED');
    expect(text).toContain('event: complete');
  });
});

describe('identity-provider tokens (JWKS)', () => {
  let jwks: Server;
  let server: TestServer;
  let privateKey: CryptoKey;

  const providerToken = (
    claims: Record<string, unknown>,
    audience = 'engram-api',
    issuer = 'https://id.test',
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(inSeconds(60))
      .sign(privateKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as AddressInfo).port;
    server = await startTestServer({
      env: {
        API_KEYS: 'admin-key',
        JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        JWT_ISSUER: 'https://id.test',
        JWT_AUDIENCE: 'engram-api',
        JWT_ENTITY_CLAIM: 'user_id',
      },
    });
    await server.request(RememberFactDocument, fact('idp-1', 'From my app'), as('admin-key'));
    await server.request(RememberFactDocument, fact('idp-2', 'Someone else'), as('admin-key'));
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('takes the entity from the configured claim and keeps to it', async () => {
    const token = await providerToken({ sub: 'auth0|42', user_id: 'idp-1' });
    const own = await server.request(EntityPageDocument, { externalId: 'idp-1' }, as(token));
    expect(own.data?.entity?.facts.edges.map((edge) => edge.node.content)).toEqual(['From my app']);
    const other = await server.request(EntityPageDocument, { externalId: 'idp-2' }, as(token));
    expect(other.data?.entity ?? null).toBeNull();
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a token for another audience, from another issuer, or without the claim', async () => {
    for (const token of [
      await providerToken({ user_id: 'idp-1' }, 'another-api'),
      await providerToken({ user_id: 'idp-1' }, 'engram-api', 'https://evil.test'),
      await providerToken({ sub: 'idp-1' }),
    ]) {
      const refused = await server.request(EntityPageDocument, { externalId: 'idp-1' }, as(token));
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
