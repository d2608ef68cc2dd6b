import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AddTriplesDocument,
  EraseEntityDocument,
  ForgetFactDocument,
  ForgetTripleDocument,
  IssueEntityTokenDocument,
  RecordMessagesDocument,
  RememberFactDocument,
  RememberWithSourceDocument,
  RerunAugmentationDocument,
} from '../client-codegen/generated/graphql.ts';
import { type EntityExport, EXPORT_FORMAT } from '../src/services/entity-export.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { cliEnv, spawnEngram } from './helpers/engram-process.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const EXPORT = 'query { exportEntity(externalId: "u-1") }';
const toGlobalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const as = (credential: string) => ({ authorization: `Bearer ${credential}` });

/** Runs a raw document (the issue's, unchanged) over HTTP. */
async function raw(server: TestServer, query: string, headers: Record<string, string>) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: { exportEntity: EntityExport | null }; errors?: unknown[] };
}

/**
 * The export without the moment it was taken and the audit log, which grows with every operation
 * (the erase and the import included) and is not imported.
 */
const content = ({ exportedAt: _, audit: __, ...rest }: EntityExport) => rest;

/**
 * Export (GDPR access and portability): one JSON document with everything about an entity,
 * written through every mutation, and the CLI's export/import round trip giving the same document.
 */
describe('export and import of an entity', () => {
  let server: TestServer;
  let exported: EntityExport;
  const dir = mkdtempSync(join(tmpdir(), 'engram-export-'));

  beforeAll(async () => {
    server = await startTestServer({
      env: { API_KEYS: 'admin-key', AUGMENTATION: 'on', AUGMENTATION_POLL_MS: '50', VECTOR_DIMENSIONS: '4' },
    });
    const admin = as('admin-key');

    const first = await server.request(
      RecordMessagesDocument,
      {
        input: {
          entity: 'u-1',
          process: 'support-bot',
          summary: 'Moving house',
          idempotencyKey: 'turn-1',
          messages: [
            { role: 'USER', content: 'I live in Porto and I love green tea.' },
            { role: 'ASSISTANT', content: 'Noted!' },
          ],
        },
      },
      as('admin-key'),
    );
    const recorded = first.data?.recordConversation;
    if (recorded?.__typename !== 'RecordConversationSuccess') throw new Error('seed failed');
    const session = recorded.conversation.session.uuid;
    await server.request(
      RecordMessagesDocument,
      {
        input: {
          entity: 'u-1',
          process: 'support-bot',
          session,
          messages: [{ role: 'USER', content: 'I moved to Madrid last week.' }],
        },
      },
      as('admin-key'),
    );
    const source = recorded.conversation.messages.edges[0]?.node.id;
    await server.request(
      RememberWithSourceDocument,
      {
        input: {
          entity: 'u-1',
          content: 'Prefers tea to coffee',
          category: 'PREFERENCE',
          source,
          embedding: [1, 0, 0, 0],
        },
      },
      admin,
    );
    const doomed = await server.request(
      RememberFactDocument,
      { input: { entity: 'u-1', content: 'Forget me', category: 'FACT' } },
      admin,
    );
    const triples = (object: string, predicate = 'lives_in', from?: string) => ({
      input: {
        entity: 'u-1',
        ...(from ? { source: from } : {}),
        triples: [{ subject: 'u-1', predicate, object }],
      },
    });
    await server.request(AddTriplesDocument, triples('Porto', 'lives_in', source), admin);
    await server.request(AddTriplesDocument, triples('Madrid'), admin);
    const extra = await server.request(AddTriplesDocument, triples('a bicycle', 'owns'), admin);
    const doomedFact = doomed.data?.rememberFact;
    const extraTriples = extra.data?.addTriples;
    if (
      doomedFact?.__typename !== 'RememberFactSuccess' ||
      extraTriples?.__typename !== 'AddTriplesSuccess'
    ) {
      throw new Error('seed failed');
    }
    await server.request(ForgetFactDocument, { id: doomedFact.fact.id }, admin);
    await server.request(ForgetTripleDocument, { id: extraTriples.triples[0]?.id as string }, admin);
    const allDone = async () => {
      const jobs = await server.db.augmentationJob.findMany();
      expect(jobs.length).toBeGreaterThanOrEqual(2);
      expect(jobs.every((job) => job.status === 'DONE')).toBe(true);
      return jobs;
    };
    const jobs = await vi.waitFor(allDone, { timeout: 20_000, interval: 50 });
    const job = jobs[0] as { id: number };
    const rerun = await server.request(
      RerunAugmentationDocument,
      { job: toGlobalId('AugmentationJob', job.id), force: true },
      admin,
    );
    expect(rerun.data?.rerunAugmentation.__typename).toBe('RerunAugmentationSuccess');
    await vi.waitFor(allDone, { timeout: 20_000, interval: 50 });

    const answer = await raw(server, EXPORT, as('admin-key'));
    expect(answer.errors).toBeUndefined();
    exported = answer.data?.exportEntity as EntityExport;
  });
  afterAll(() => server.close());

  it('holds everything written through every mutation, and nothing forgotten', () => {
    expect(exported).toMatchObject({ format: EXPORT_FORMAT, version: 1, entity: { externalId: 'u-1' } });
    const [session] = exported.sessions;
    expect(session?.process).toBe('support-bot');
    const conversations = session?.conversations ?? [];
    // The caller's summary, or augmentation's own when it wrote one since.
    expect(conversations.every((conversation) => typeof conversation.summary === 'string')).toBe(true);
    const messages = conversations.flatMap((conversation) =>
      conversation.messages.map((message) => message.content),
    );
    expect(messages).toEqual([
      'I live in Porto and I love green tea.',
      'Noted!',
      'I moved to Madrid last week.',
    ]);
    expect(
      conversations.flatMap((conversation) => conversation.jobs).every((job) => job.status === 'DONE'),
    ).toBe(true);

    const tea = exported.facts.find((fact) => fact.content === 'Prefers tea to coffee');
    expect(tea).toMatchObject({ category: 'PREFERENCE', embeddingModel: 'external', embeddingDimension: 4 });
    expect(tea?.embedding).toBeTruthy();
    expect(tea?.mentions[0]).toMatchObject({ message: 'm1', conversation: 'c1' });
    expect(exported.facts.some((fact) => fact.content === 'Forget me')).toBe(false);

    const porto = exported.triples.find((triple) => triple.object.name === 'Porto');
    expect(porto?.mentions[0]?.message).toBe('m1');
    // Porto, then Madrid (and augmentation re-run over "I live in Porto"): a period was closed.
    const closed = exported.triples.filter(
      (triple) => triple.validTo !== null || triple.earlierPeriods.length,
    );
    expect(closed.length).toBeGreaterThan(0);
    expect(exported.triples.some((triple) => triple.object.name === 'a bicycle')).toBe(false);
    expect(exported.idempotencyKeys).toMatchObject([{ key: 'turn-1', conversation: 'c1' }]);
  });

  it('answers the entity’s own token, and refuses another’s', async () => {
    const issued = await server.request(
      IssueEntityTokenDocument,
      { input: { entity: 'u-1', scopes: ['READ'] } },
      as('admin-key'),
    );
    const grant = issued.data?.issueEntityToken;
    if (grant?.__typename !== 'IssueEntityTokenSuccess') throw new Error('no token');
    const own = await raw(server, EXPORT, as(grant.token));
    expect(own.data?.exportEntity && content(own.data.exportEntity)).toEqual(content(exported));

    const other = await raw(server, 'query { exportEntity(externalId: "u-2") }', as(grant.token));
    expect(other.data?.exportEntity ?? null).toBeNull();
    expect(other.errors).toMatchObject([{ extensions: { code: 'FORBIDDEN' } }]);
    const unknown = await raw(server, 'query { exportEntity(externalId: "nobody") }', as('admin-key'));
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data).toEqual({ exportEntity: null });
  });

  it('round-trips through `engram import` and `engram export` into another database', async () => {
    const file = join(dir, 'u-1.jsonl');
    writeFileSync(file, `${JSON.stringify(exported)}\n`);
    let target: TestDatabase | undefined;
    try {
      target = await createTestDatabase();
      const imported = spawnEngram(['import', file], cliEnv(target.url));
      expect(await imported.exited, imported.output().stderr).toBe(0);
      expect(imported.output().stderr).toContain('1 imported, 0 refused');

      const out = join(dir, 'again.jsonl');
      const again = spawnEngram(['export', 'u-1', '--format', 'jsonl', '--out', out], cliEnv(target.url));
      expect(await again.exited, again.output().stderr).toBe(0);
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(content(JSON.parse(lines[0] as string))).toEqual(content(exported));

      // A second import finds the entity there and refuses it, writing nothing.
      const refused = spawnEngram(['import', file], cliEnv(target.url));
      expect(await refused.exited).toBe(1);
      expect(refused.output().stderr).toMatch(/line 1: entity u-1 already exists/);
    } finally {
      await target?.drop();
    }
    // Three processes start one after another: ~10 s each on a loaded 2-core machine.
  }, 90_000);

  it('round-trips in the same database: export, eraseEntity, `engram import`, export', async () => {
    const file = join(dir, 'same.jsonl');
    writeFileSync(file, `${JSON.stringify(exported)}\n`);
    const erased = await server.request(EraseEntityDocument, { input: { entity: 'u-1' } }, as('admin-key'));
    expect(erased.data?.eraseEntity).toMatchObject({ __typename: 'EraseEntitySuccess' });
    expect((await raw(server, EXPORT, as('admin-key'))).data?.exportEntity).toBeNull();

    const imported = spawnEngram(['import', file], cliEnv(server.databaseUrl));
    expect(await imported.exited, imported.output().stderr).toBe(0);
    const again = await raw(server, EXPORT, as('admin-key'));
    expect(again.errors).toBeUndefined();
    const document = again.data?.exportEntity as EntityExport;
    expect(content(document)).toEqual(content(exported));
    // What happened before the erase is no longer filed under the entity's id; what came after is
    // (the export that found nothing, then the import).
    expect(document.audit.map((entry) => entry.action)).toEqual(['exportEntity', 'importEntity']);
    expect(exported.audit.map((entry) => entry.action)).toContain('rememberFact');
  });

  it('refuses a file that is not an export, line by line', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `not json\n${JSON.stringify({ format: EXPORT_FORMAT, version: 2 })}\n`);
    const target = await createTestDatabase();
    try {
      const refused = spawnEngram(['import', file], cliEnv(target.url));
      expect(await refused.exited).toBe(1);
      const { stderr } = refused.output();
      expect(stderr).toMatch(/line 1: /);
      expect(stderr).toMatch(/line 2: .*version/);
      expect(stderr).toContain('0 imported, 2 refused');
    } finally {
      await target.drop();
    }
  });
});
