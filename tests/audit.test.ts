import { randomUUID } from 'node:crypto';
import { type ExecutionResult, type FormattedExecutionResult, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTriplesCheckedDocument,
  AuditLogDocument,
  AuditLoggedDocument,
  type AuditLogQueryVariables,
  ForgetFactDocument,
  ForgetTripleDocument,
  IssueEntityTokenDocument,
  RecordMessagesDocument,
  RememberFactDocument,
  RememberWithSourceDocument,
} from '../client-codegen/generated/graphql.ts';
import { ADMIN, AUDIT_KEYS, as, entriesOf, expectNoContent, ok, READER, SERVICE } from './helpers/audit.ts';
import { uniqueId } from './helpers/seed.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

describe('the audit log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: AUDIT_KEYS });
  });
  afterAll(() => server.close());

  const by = (actor: string, action: string, entity: string, target: string | null) => ({
    actorKind: 'KEY',
    actor,
    action,
    entity,
    target,
    address: '127.0.0.1',
  });

  it('records every mutation once, with actor, action, target ids and address', async () => {
    const entity = uniqueId('audit');
    const expected: unknown[] = [];
    const recorded = await ok(
      server,
      RecordMessagesDocument,
      {
        input: {
          entity,
          process: 'audit-bot',
          messages: [
            { role: 'USER', content: 'I moved to Porto.' },
            { role: 'ASSISTANT', content: 'Noted.' },
          ],
        },
      },
      SERVICE,
    );
    if (recorded.recordConversation.__typename !== 'RecordConversationSuccess')
      throw new Error('not recorded');
    const { conversation } = recorded.recordConversation;
    const messageIds = conversation.messages.edges.map((edge) => edge.node.id);
    expected.push(
      by(
        'api-key-2',
        'recordConversation',
        entity,
        [conversation.session.id, conversation.id, ...messageIds].join(' '),
      ),
    );
    expect(await entriesOf(server, entity)).toEqual(expected);

    const remembered = await ok(
      server,
      RememberWithSourceDocument,
      { input: { entity, content: 'Lives in Porto', source: messageIds[0] } },
      SERVICE,
    );
    if (remembered.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('not remembered');
    const factId = remembered.rememberFact.fact.id;
    expected.push(by('api-key-2', 'rememberFact', entity, factId));
    expect(await entriesOf(server, entity)).toEqual(expected);

    const added = await ok(
      server,
      AddTriplesCheckedDocument,
      {
        input: {
          entity,
          triples: [
            { subject: entity, predicate: 'lives_in', object: 'Porto' },
            { subject: entity, predicate: 'likes', object: 'tea' },
          ],
        },
      },
      ADMIN,
    );
    if (added.addTriples.__typename !== 'AddTriplesSuccess') throw new Error('not added');
    const tripleIds = added.addTriples.triples.map((triple) => triple.id);
    expected.push(by('api-key-1', 'addTriples', entity, tripleIds.join(' ')));
    expect(await entriesOf(server, entity)).toEqual(expected);

    await ok(server, ForgetFactDocument, { id: factId }, SERVICE);
    expected.push(by('api-key-2', 'forgetFact', entity, factId));
    await ok(server, ForgetTripleDocument, { id: tripleIds[0] as string }, SERVICE);
    expected.push(by('api-key-2', 'forgetTriple', entity, tripleIds[0] as string));
    expect(await entriesOf(server, entity)).toEqual(expected);

    const issued = await ok(server, IssueEntityTokenDocument, { input: { entity } }, SERVICE);
    if (issued.issueEntityToken.__typename !== 'IssueEntityTokenSuccess') throw new Error('not issued');
    expected.push(by('api-key-2', 'issueEntityToken', entity, null));
    expect(await entriesOf(server, entity)).toEqual(expected);

    // The entity token is its entity: an ENTITY actor named by its external id.
    const token = as(issued.issueEntityToken.token);
    const own = await ok(server, RememberFactDocument, { input: { entity, content: 'Likes tea' } }, token);
    expect(own.rememberFact.__typename).toBe('RememberFactSuccess');
    const [latest] = await server.db.auditEntry.findMany({
      where: { entityExternalId: entity },
      orderBy: { id: 'desc' },
    });
    expect(latest).toMatchObject({
      actorKind: 'ENTITY',
      actor: entity,
      action: 'rememberFact',
      address: '127.0.0.1',
    });
    expect(await entriesOf(server, entity)).toHaveLength(expected.length + 1);
  });

  it('records nothing for a write that fails or is refused', async () => {
    const entity = uniqueId('audit-fail');
    const other = uniqueId('audit-other');
    const attempts = [
      // Refused by validation before the transaction.
      server.request(RememberFactDocument, { input: { entity, content: '   ' } }, SERVICE),
      // Rolled back inside it: the source message does not exist (the entity row is rolled back too).
      server.request(
        RememberWithSourceDocument,
        {
          input: {
            entity,
            content: 'Has a source',
            source: Buffer.from('Message:999999').toString('base64'),
          },
        },
        SERVICE,
      ),
      server.request(ForgetFactDocument, { id: Buffer.from('Fact:999999').toString('base64') }, SERVICE),
      // Refused to the caller: a read key, and another entity's token.
      server.request(RememberFactDocument, { input: { entity, content: 'By a reader' } }, READER),
      server.request(IssueEntityTokenDocument, { input: { entity } }, READER),
    ];
    const outcomes = await Promise.all(attempts);
    for (const outcome of outcomes) {
      const typename = (Object.values(outcome.data ?? {})[0] as { __typename?: string } | null)?.__typename;
      expect(outcome.errors?.length ?? typename?.endsWith('Error')).toBeTruthy();
    }
    const issued = await ok(server, IssueEntityTokenDocument, { input: { entity: other } }, SERVICE);
    if (issued.issueEntityToken.__typename !== 'IssueEntityTokenSuccess') throw new Error('not issued');
    const foreign = await server.request(
      RememberFactDocument,
      { input: { entity, content: 'Not mine' } },
      as(issued.issueEntityToken.token),
    );
    expect(foreign.data?.rememberFact).toMatchObject({ __typename: 'ForbiddenError' });

    expect(await entriesOf(server, entity)).toEqual([]);
    expect(await server.db.entity.count({ where: { externalId: entity } })).toBe(0);
    expect(await server.db.auditEntry.count({ where: { actor: 'api-key-3' } })).toBe(0);
  });

  /** Makes the database refuse audit entries of one entity, as a failing insert would. */
  async function refuseAuditEntries(entity: string): Promise<() => Promise<unknown>> {
    const provider = server.config.database.provider;
    if (provider === 'sqlite') {
      await server.db.$executeRawUnsafe(
        `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entry WHEN NEW.entity_external_id = '${entity}'
         BEGIN SELECT RAISE(ABORT, 'audit refused'); END`,
      );
      return () => server.db.$executeRawUnsafe('DROP TRIGGER refuse_audit');
    }
    if (provider === 'postgresql') {
      await server.db.$executeRawUnsafe(
        `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           IF NEW.entity_external_id = '${entity}' THEN RAISE EXCEPTION 'audit refused'; END IF;
           RETURN NEW; END $$`,
      );
      await server.db.$executeRawUnsafe(
        'CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION refuse_audit()',
      );
      return () => server.db.$executeRawUnsafe('DROP TRIGGER refuse_audit ON audit_entry');
    }
    await server.db.$executeRawUnsafe(
      `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entry FOR EACH ROW BEGIN
         IF NEW.entity_external_id = '${entity}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit refused'; END IF;
       END`,
    );
    return () => server.db.$executeRawUnsafe('DROP TRIGGER refuse_audit');
  }

  it('commits a write with its entry or not at all: an entry that cannot be stored undoes the write', async () => {
    const entity = uniqueId('audit-atomic');
    const allow = await refuseAuditEntries(entity);
    try {
      const fact = await server.request(
        RememberFactDocument,
        { input: { entity, content: 'Never stored' } },
        SERVICE,
      );
      expect(fact.errors?.length).toBe(1);
      const turn = await server.request(
        RecordMessagesDocument,
        { input: { entity, process: 'audit-bot', messages: [{ role: 'USER', content: 'Never stored' }] } },
        SERVICE,
      );
      expect(turn.errors?.length).toBe(1);
    } finally {
      await allow();
    }
    expect(await server.db.entityFact.count({ where: { entity: { externalId: entity } } })).toBe(0);
    expect(await server.db.conversationMessage.count({ where: { content: 'Never stored' } })).toBe(0);
    expect(await server.db.entity.count({ where: { externalId: entity } })).toBe(0);
    expect(await entriesOf(server, entity)).toEqual([]);
  });

  it('answers the issue’s document: an entity’s entries, newest first', async () => {
    const fact = await ok(
      server,
      RememberWithSourceDocument,
      { input: { entity: 'u-1', content: 'Tea' } },
      SERVICE,
    );
    if (fact.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('not remembered');
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN },
      body: JSON.stringify({
        query:
          'query { auditLog(first: 20, entity: "u-1") { totalCount edges { node { at actor action target } } } }',
      }),
    });
    const result = (await response.json()) as ExecutionResult<{
      auditLog: { totalCount: number; edges: { node: Record<string, unknown> }[] };
    }>;
    expect(result.errors).toBeUndefined();
    expect(result.data?.auditLog.totalCount).toBe(1);
    expect(result.data?.auditLog.edges[0]?.node).toEqual({
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      actor: 'api-key-2',
      action: 'rememberFact',
      target: fact.rememberFact.fact.id,
    });
  });

  it('filters by entity, actor, action and time, and pages newest first', async () => {
    const entity = uniqueId('audit-filter');
    const other = uniqueId('audit-filter');
    for (const content of ['One', 'Two', 'Three']) {
      await ok(server, RememberFactDocument, { input: { entity, content } }, SERVICE);
    }
    await ok(server, RememberFactDocument, { input: { entity, content: 'Four' } }, ADMIN);
    await ok(server, RememberFactDocument, { input: { entity: other, content: 'Elsewhere' } }, SERVICE);
    const log = (variables: AuditLogQueryVariables) =>
      ok(server, AuditLogDocument, variables, ADMIN).then((data) => data.auditLog);

    const all = await log({ entity, first: 10 });
    expect(all.totalCount).toBe(4);
    const ids = all.edges.map((edge) => Number(edge.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.edges.map((edge) => edge.node.actor)).toEqual([
      'api-key-1',
      'api-key-2',
      'api-key-2',
      'api-key-2',
    ]);

    expect((await log({ entity, actor: 'api-key-1' })).totalCount).toBe(1);
    expect((await log({ entity, action: 'rememberFact' })).totalCount).toBe(4);
    expect((await log({ entity, action: 'forgetFact' })).totalCount).toBe(0);
    expect((await log({ entity: other })).edges.map((edge) => edge.node.entity)).toEqual([other]);

    // Entries written in one millisecond share their time: expect what the times say.
    const times = all.edges.map((edge) => edge.node.at);
    const middle = times[2] as string;
    const since = await log({ entity, since: middle, first: 10 });
    expect(since.totalCount).toBe(times.filter((at) => at >= middle).length);
    const until = await log({ entity, until: middle, first: 10 });
    expect(until.totalCount).toBe(times.filter((at) => at < middle).length);
    expect(since.totalCount + until.totalCount).toBe(4);

    const first = await log({ entity, first: 2 });
    expect(first.edges.map((edge) => edge.node.id)).toEqual(ids.slice(0, 2).map(String));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await log({ entity, first: 2, after: first.pageInfo.endCursor });
    expect(second.edges.map((edge) => edge.node.id)).toEqual(ids.slice(2).map(String));
    expect(second.pageInfo.hasNextPage).toBe(false);
    const oldest = await log({ entity, last: 1 });
    expect(oldest.edges.map((edge) => edge.node.id)).toEqual([String(ids[3])]);
  });

  it('is for admin keys only: service and read keys and entity tokens get FORBIDDEN', async () => {
    const entity = uniqueId('audit-forbidden');
    const issued = await ok(server, IssueEntityTokenDocument, { input: { entity } }, SERVICE);
    if (issued.issueEntityToken.__typename !== 'IssueEntityTokenSuccess') throw new Error('not issued');
    for (const headers of [SERVICE, READER, as(issued.issueEntityToken.token)]) {
      const refused = await server.request(AuditLogDocument, { entity }, headers);
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      // Its size alone is not given away either (a connection answers totalCount without resolving).
      const count = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ auditLog { totalCount } }' }),
      }).then((response) => response.json() as Promise<ExecutionResult>);
      expect(count.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const live = collect(server, server.wsClient(headers), AuditLoggedDocument, {}, 1);
      const [event] = await live.results;
      expect(event?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    // A refused read is no read: only the admin's own reads of the log are in it.
    expect(
      await server.db.auditEntry.count({ where: { action: 'auditLog', actor: { not: 'api-key-1' } } }),
    ).toBe(0);
  });

  it('delivers committed entries to admin subscribers, over graphql-ws writes too', async () => {
    const entity = uniqueId('audit-live');
    const client = server.wsClient(ADMIN);
    const live = collect(server, client, AuditLoggedDocument, { entity }, 2);
    await live.ready;
    // A refused write publishes nothing: the first event is the next committed write.
    await server.request(RememberFactDocument, { input: { entity, content: '' } }, SERVICE);
    const fact = await ok(
      server,
      RememberWithSourceDocument,
      { input: { entity, content: 'Live' } },
      SERVICE,
    );
    if (fact.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('not remembered');
    const overSocket = await new Promise<FormattedExecutionResult>((resolve, reject) => {
      client.subscribe(
        { query: print(RememberFactDocument), variables: { input: { entity, content: 'Over a socket' } } },
        { next: resolve, error: reject, complete: () => {} },
      );
    });
    expect(overSocket.errors).toBeUndefined();
    const [first, second] = (await live.results).map((event) => event.data?.auditLogged);
    expect(first).toMatchObject({
      actorKind: 'KEY',
      actor: 'api-key-2',
      action: 'rememberFact',
      entity,
      target: fact.rememberFact.fact.id,
      address: '127.0.0.1',
    });
    expect(second).toMatchObject({
      actor: 'api-key-1',
      action: 'rememberFact',
      entity,
      address: '127.0.0.1',
    });
  });

  it('holds ids and operation names, never memory content', async () => {
    const marker = `MARKER-${randomUUID()}`;
    const entity = uniqueId('audit-content');
    await ok(
      server,
      RecordMessagesDocument,
      {
        input: {
          entity,
          process: 'audit-bot',
          summary: `${marker} summary`,
          messages: [{ role: 'USER', content: `${marker} message` }],
        },
      },
      SERVICE,
    );
    await ok(server, RememberFactDocument, { input: { entity, content: `${marker} fact` } }, SERVICE);
    await ok(
      server,
      AddTriplesCheckedDocument,
      {
        input: {
          entity,
          triples: [{ subject: `${marker}-subject`, predicate: 'likes', object: `${marker}-object` }],
        },
      },
      SERVICE,
    );
    expect(await entriesOf(server, entity)).toHaveLength(3);
    await expectNoContent(server, [marker]);
  });
});
