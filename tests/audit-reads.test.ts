import { randomUUID } from 'node:crypto';
import { type ExecutionResult, type FormattedExecutionResult, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditLogDocument,
  AuditLoggedDocument,
  AugmentationJobsDocument,
  EntityPageDocument,
  IssueEntityTokenDocument,
  ProcessByExternalIdDocument,
  RecordConversationDocument,
  RememberFactDocument,
  RerunAugmentationDocument,
} from '../client-codegen/generated/graphql.ts';
import {
  ADMIN,
  AUDIT_KEYS,
  as,
  entriesOf,
  entriesWhere,
  expectNoContent,
  ok,
  SERVICE,
} from './helpers/audit.ts';
import { uniqueId } from './helpers/seed.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

/** A document as text, exactly as a client would send it. */
async function raw(
  server: TestServer,
  query: string,
  headers: Record<string, string>,
): Promise<ExecutionResult> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as ExecutionResult;
}

/** An entity token for `entity`, issued by the service key. */
async function tokenFor(server: TestServer, entity: string): Promise<Record<string, string>> {
  const issued = await ok(server, IssueEntityTokenDocument, { input: { entity } }, SERVICE);
  if (issued.issueEntityToken.__typename !== 'IssueEntityTokenSuccess') throw new Error('not issued');
  return as(issued.issueEntityToken.token);
}

/** The entries written after `mark` (an entry id), oldest first. */
function entriesAfter(server: TestServer, mark: number, where: { actor?: string; entity?: string }) {
  return entriesWhere(server, { id: { gt: mark }, actor: where.actor, entityExternalId: where.entity });
}

async function lastId(server: TestServer): Promise<number> {
  return (await server.db.auditEntry.aggregate({ _max: { id: true } }))._max.id ?? 0;
}

describe('audited reads', () => {
  /** AUDIT_READS on, behind a trusted proxy, with augmentation running. */
  let server: TestServer;
  const markers: string[] = [];
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        ...AUDIT_KEYS,
        AUDIT_READS: 'true',
        TRUST_PROXY: 'true',
        AUGMENTATION: 'on',
        AUGMENTATION_POLL_MS: '20',
      },
    });
  });
  afterAll(async () => {
    await expectNoContent(server, markers);
    await server.close();
  });

  it('records each administrative read that was answered, with what it named', async () => {
    const mark = await lastId(server);
    const named = uniqueId('audit-process');
    const entity = uniqueId('audit-admin');
    expect((await raw(server, 'query { entities(first: 5) { totalCount } }', ADMIN)).errors).toBeUndefined();
    await ok(server, ProcessByExternalIdDocument, { externalId: named }, ADMIN);
    await ok(server, AugmentationJobsDocument, {}, ADMIN);
    await ok(server, AuditLogDocument, { entity }, ADMIN);
    const refused = await raw(server, 'query { entities(first: 5) { edges { cursor } } }', SERVICE);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = (action: string, target: string | null) => ({
      actorKind: 'KEY',
      actor: 'api-key-1',
      action,
      entity: null,
      target,
      address: '127.0.0.1',
    });
    expect(await entriesAfter(server, mark, {})).toEqual([
      admin('entities', null),
      admin('process', named),
      admin('augmentationJobs', null),
      admin('auditLog', entity),
    ]);
  });

  it('records each query of an entity token once, with its root fields, behind the proxy’s address', async () => {
    const entity = uniqueId('audit-reader');
    const marker = `MARKER-${randomUUID()}`;
    markers.push(marker);
    const token = await tokenFor(server, entity);
    const mark = await lastId(server);
    const proxied = { ...token, 'x-forwarded-for': '198.51.100.4, 203.0.113.9' };
    await ok(server, EntityPageDocument, { externalId: entity, contains: marker }, proxied);
    // Fragments, aliases and __typename: still one operation, and its root fields once each.
    const fragmented = await raw(
      server,
      `query Page { ...Root mine: entity(externalId: "${entity}") { id } __typename session(id: "no-such-session") { id } }
       fragment Root on Query { entity(externalId: "${entity}") { externalId } }`,
      token,
    );
    expect(fragmented.errors).toBeUndefined();
    // Introspection alone reads no memory; a write is recorded as the write; a key's read is not.
    expect((await raw(server, '{ __typename }', token)).errors).toBeUndefined();
    await ok(server, RememberFactDocument, { input: { entity, content: `${marker} fact` } }, token);
    await ok(server, EntityPageDocument, { externalId: entity }, SERVICE);
    // Over graphql-ws too.
    const overSocket = await new Promise<FormattedExecutionResult>((resolve, reject) => {
      server
        .wsClient(token)
        .subscribe(
          { query: print(EntityPageDocument), variables: { externalId: entity } },
          { next: resolve, error: reject, complete: () => {} },
        );
    });
    expect(overSocket.errors).toBeUndefined();

    const reader = (target: string, address: string, action = 'read') => ({
      actorKind: 'ENTITY',
      actor: entity,
      action,
      entity,
      target,
      address,
    });
    const entries = await entriesAfter(server, mark, { entity });
    expect(entries).toEqual([
      reader('entity', '203.0.113.9'),
      reader('entity session', '127.0.0.1'),
      { ...reader(expect.any(String), '127.0.0.1', 'rememberFact') },
      reader('entity', '127.0.0.1'),
    ]);
  });

  it('records augmentation as Engram’s own write, and rerunAugmentation as the admin’s', async () => {
    const entity = uniqueId('audit-augment');
    const marker = `MARKER-${randomUUID()}`;
    markers.push(marker);
    const watch = (count: number) =>
      collect(server, server.wsClient(ADMIN), AuditLoggedDocument, { entity, action: 'augmentation' }, count);
    // Opened one after the other, so each is listening before the next opens (see collect).
    const firstRun = watch(1);
    await firstRun.ready;
    const live = watch(2);
    await live.ready;
    await ok(
      server,
      RecordConversationDocument,
      {
        input: {
          entity,
          process: 'audit-bot',
          messages: [{ role: 'USER', content: `I live in Lisbon. I love green tea. ${marker}` }],
        },
      },
      SERVICE,
    );
    const job = await server.db.augmentationJob.findFirstOrThrow({
      where: { conversation: { session: { entity: { externalId: entity } } } },
    });
    const jobId = Buffer.from(`AugmentationJob:${job.id}`).toString('base64');
    // Rerunning a job that is not DONE (or PARKED) is refused: wait for the first run.
    const [done] = await firstRun.results;
    const mark = Number(done?.data?.auditLogged.id);
    const notNow = await server.request(RerunAugmentationDocument, { job: jobId }, ADMIN);
    expect(notNow.data?.rerunAugmentation).toMatchObject({ code: 'JOB_NOT_RERUNNABLE' });
    const rerun = await server.request(RerunAugmentationDocument, { job: jobId, force: true }, ADMIN);
    expect(rerun.data?.rerunAugmentation).toMatchObject({ __typename: 'RerunAugmentationSuccess' });

    const events = (await live.results).map((event) => event.data?.auditLogged);
    const facts = await server.db.entityFact.findMany({ where: { entity: { externalId: entity } } });
    expect(facts.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event).toMatchObject({ actorKind: 'SYSTEM', actor: 'augmentation', entity, address: null });
      const target = event?.target?.split(' ') ?? [];
      expect(target[0]).toBe(jobId);
      for (const fact of facts) expect(target).toContain(Buffer.from(`Fact:${fact.id}`).toString('base64'));
    }
    const reruns = (await entriesAfter(server, mark, { entity })).filter(
      (entry) => entry.action !== 'augmentation',
    );
    expect(reruns).toEqual([
      {
        actorKind: 'KEY',
        actor: 'api-key-1',
        action: 'rerunAugmentation',
        entity,
        target: jobId,
        address: '127.0.0.1',
      },
    ]);
  });
});

describe('with AUDIT_READS off (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: AUDIT_KEYS });
  });
  afterAll(() => server.close());

  it('records no entity-token reads, and still every administrative read', async () => {
    const entity = uniqueId('audit-quiet');
    const token = await tokenFor(server, entity);
    await ok(server, EntityPageDocument, { externalId: entity }, token);
    await ok(server, AuditLogDocument, {}, ADMIN);
    expect((await entriesOf(server, entity)).map((entry) => entry.action)).toEqual(['issueEntityToken']);
    expect(await server.db.auditEntry.count({ where: { action: 'read' } })).toBe(0);
    expect(await server.db.auditEntry.count({ where: { action: 'auditLog', actor: 'api-key-1' } })).toBe(1);
  });
});
