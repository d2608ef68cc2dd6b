import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AddTriplesDocument,
  EraseEntityCountsDocument,
  EraseEntityDocument,
  ForgetFactDocument,
  ForgetTripleDocument,
  RecordConversationOnceDocument,
  RecordMessagesDocument,
  RememberFactDocument,
  RerunAugmentationDocument,
  SemanticSearchDocument,
} from '../client-codegen/generated/graphql.ts';
import { createLocalExtractor } from '../src/augment/extract/local/index.ts';
import type { Extractor } from '../src/augment/types.ts';
import type { Principal } from '../src/auth/principal.ts';
import { eraseEntities } from '../src/cli/erase.ts';
import { loadConfig } from '../src/config/config.ts';
import type { AugmentationJob } from '../src/db/generated/client.ts';
import { createEngram } from '../src/engram.ts';
import { ForbiddenError } from '../src/errors.ts';
import { eraseEntity } from '../src/services/erase.ts';
import { filesContaining, filesUnder, rowsContaining, sqliteFiles, waitUntil } from './helpers/residue.ts';
import { seed, uniqueId } from './helpers/seed.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { wordHashEmbedder } from './helpers/vectors.ts';

/**
 * eraseEntity (issue 13, part 6): an entity recorded through every mutation, erased, leaves its
 * text nowhere: no table row, no file under VECTOR_INDEX_PATH, no byte of the SQLite database or
 * its -wal and -shm, no cache; names other entities use stay; other entities are untouched.
 */
describe('erasing an entity', () => {
  let server: TestServer;
  let indexDir: string;
  const logLines: string[] = [];
  let release: () => void = () => {};
  let held: Promise<void> = new Promise(() => {});
  let holding: () => void = () => {};

  /** The local extractor, except that a conversation saying HOLD waits until released. */
  const local = createLocalExtractor();
  const extractor: Extractor = {
    name: local.name,
    async extract(input, signal) {
      if (input.messages.some((message) => message.content.includes('HOLD'))) {
        holding();
        await held;
      }
      return local.extract(input, signal);
    },
  };

  beforeAll(async () => {
    indexDir = mkdtempSync(join(tmpdir(), 'engram-erase-index-'));
    server = await startTestServer({
      env: {
        AUGMENTATION: 'on',
        AUGMENTATION_POLL_MS: '50',
        VECTOR_INDEX_PATH: join(indexDir, 'index'),
        ERASE_BY_ENTITY_TOKEN: 'true',
      },
      embedder: wordHashEmbedder(),
      extractor,
      logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(indexDir, { recursive: true, force: true });
  });

  const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

  /** Resolves once no augmentation job of the entity is waiting or running. */
  const augmented = (entity: string) =>
    waitUntil(
      async () =>
        (await server.db.augmentationJob.count({
          where: { conversation: { session: { entity: { externalId: entity } } }, status: { not: 'DONE' } },
        })) === 0,
      `the augmentation of ${entity}`,
    );

  /** The next augmentation job of the entity to complete (listening from now). */
  function nextCompleted(entity: string): Promise<AugmentationJob> {
    const iterator = server.engram.events.subscribe('augmentation-completed', entity)[Symbol.asyncIterator]();
    return iterator.next().then(async (result) => {
      await iterator.return?.();
      return result.value as AugmentationJob;
    });
  }

  /** What the database holds for an entity, counted. */
  async function countsOf(entity: string) {
    const entityId = (await server.db.entity.findUniqueOrThrow({ where: { externalId: entity } })).id;
    const inConversations = { conversation: { session: { entityId } } };
    return {
      messages: await server.db.conversationMessage.count({ where: inConversations }),
      conversations: await server.db.conversation.count({ where: { session: { entityId } } }),
      sessions: await server.db.session.count({ where: { entityId } }),
      facts: await server.db.entityFact.count({ where: { entityId } }),
      triples: await server.db.triple.count({ where: { entityId } }),
      vectors: await server.db.entityFact.count({ where: { entityId, embedding: { not: null } } }),
      jobs: await server.db.augmentationJob.count({ where: { entityId } }),
    };
  }

  it('leaves no residue in any table, snapshot, database file or cache, and keeps what others use', async () => {
    const marker = `qz${randomBytes(5).toString('hex')}`;
    const a = uniqueId('erase-a');
    const b = uniqueId('erase-b');
    const shared = `Shared Person ${randomBytes(3).toString('hex')}`;

    // Through every mutation: a conversation with an idempotency key and a summary (augmented in
    // the background into facts and triples), facts with sources, triples with unique and shared
    // names, and a forgotten fact (a tombstone).
    const first = await server.gql(RecordConversationOnceDocument, {
      input: {
        entity: a,
        process: 'erase-bot',
        idempotencyKey: `key-${marker}`,
        summary: `Talked about ${marker} plans`,
        messages: [
          { role: 'USER', content: `I live in ${marker}ville and I love ${marker} tea.` },
          { role: 'ASSISTANT', content: `Noted: ${marker} tea.` },
        ],
      },
    });
    expect(first.recordConversation.__typename).toBe('RecordConversationSuccess');
    const seededA = await seed(server)
      .entity(a)
      .session()
      .conversation([`My sister ${marker}sis works at ${marker}corp.`])
      .fact(`Keeps a ${marker} diary`, { fromLastMessage: true })
      .fact(`Collects ${marker} stamps`)
      .triple(shared, 'knows', `${marker} friend`)
      .triple(`${marker} subject`, 'owns', `${marker} car`);
    await seed(server)
      .entity(b)
      .conversation(['I like green apples.'])
      .fact('Plays the cello')
      .triple(shared, 'likes', 'the cello');
    await augmented(a);
    await augmented(b);
    const forgotten = seededA.facts[1] as { id: string };
    await server.gql(ForgetFactDocument, { id: forgotten.id });

    const entityA = await server.db.entity.findUniqueOrThrow({ where: { externalId: a } });
    const oneVector = await server.db.entityFact.findFirstOrThrow({
      where: { entityId: entityA.id, embedding: { not: null } },
      select: { content: true, embedding: true },
    });
    const vectorBytes = Buffer.from(oneVector.embedding as Uint8Array);
    const expected = await countsOf(a);
    const beforeB = await countsOf(b);
    expect(expected).toMatchObject({ sessions: 2, conversations: 2, messages: 3, jobs: 2 });
    expect(expected.facts).toBeGreaterThanOrEqual(3);
    expect(expected.vectors).toBe(expected.facts);

    // The checks below can fail: before the erase the marker is in each place they look.
    const index = server.index;
    if (!index) throw new Error('the index is on in this suite');
    await index.save();
    const snapshotDir = join(indexDir, 'index');
    expect(await rowsContaining(server.db, marker)).not.toEqual([]);
    expect(filesContaining(filesUnder(indexDir), marker)).not.toEqual([]);
    expect(filesContaining(filesUnder(indexDir), vectorBytes)).not.toEqual([]);
    if (server.config.database.provider === 'sqlite') {
      expect(filesContaining(sqliteFiles(server.databaseUrl), marker)).not.toEqual([]);
    }
    const hitsBefore = server.embeddings.cacheStats().hits;
    await server.embeddings.embed([oneVector.content], 'document');
    expect(server.embeddings.cacheStats().hits).toBe(hitsBefore + 1);
    const job = await server.db.augmentationJob.findFirstOrThrow({ where: { entityId: entityA.id } });

    const erased = await server.gql(EraseEntityCountsDocument, { input: { entity: a } });
    expect(erased.eraseEntity).toEqual({ __typename: 'EraseEntitySuccess', erased: expected });

    // No table holds the marker or the entity's external id (a subject name the extractor wrote).
    expect(await rowsContaining(server.db, marker)).toEqual([]);
    expect(await rowsContaining(server.db, a)).toEqual([]);
    // No file of the index: texts (BM25 included) and vectors are gone from the snapshot now.
    const files = filesUnder(indexDir);
    expect(files.map((file) => file.path)).toContain(join(snapshotDir, 'facts.bin'));
    expect(filesContaining(files, marker)).toEqual([]);
    expect(filesContaining(files, vectorBytes)).toEqual([]);
    // No byte of the SQLite database, its write-ahead log or its shared-memory index.
    if (server.config.database.provider === 'sqlite') {
      const databaseFiles = sqliteFiles(server.databaseUrl);
      expect(databaseFiles.length).toBeGreaterThan(0);
      expect(filesContaining(databaseFiles, marker)).toEqual([]);
      expect(filesContaining(databaseFiles, a)).toEqual([]);
    }
    // The shared name stays (the other entity uses it); the other entity is untouched.
    expect(await server.db.tripleSubject.count({ where: { name: shared } })).toBe(1);
    expect(await countsOf(b)).toEqual(beforeB);
    // Searches find nothing of it: not through the API, not in the index itself.
    const search = await server.gql(SemanticSearchDocument, { entity: a, query: `${marker} tea` });
    expect(search.semanticFacts).toEqual([]);
    expect(await index.search(entityA.id, new Float32Array(vectorBytes.buffer.slice(0)), 10, -1)).toEqual([]);
    expect(await index.lexicalSearch(entityA.id, `${marker} tea diary stamps`, 10)).toEqual([]);
    // Its jobs cannot be run again, and it cannot be erased twice.
    const rerun = await server.gql(RerunAugmentationDocument, {
      job: gid('AugmentationJob', job.id),
      force: true,
    });
    expect(rerun.rerunAugmentation).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const again = await server.gql(EraseEntityDocument, { input: { entity: a } });
    expect(again.eraseEntity).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    // The embedding cache no longer knows the text: embedding it again is a miss.
    const missesBefore = server.embeddings.cacheStats().misses;
    await server.embeddings.embed([oneVector.content], 'document');
    expect(server.embeddings.cacheStats().misses).toBe(missesBefore + 1);
  });

  it('keeps forgotten facts and triples forgotten when augmentation runs again, until remembered on purpose', async () => {
    const entity = uniqueId('tombstone');
    const augmentedOnce = nextCompleted(entity);
    await server.gql(RecordMessagesDocument, {
      input: {
        entity,
        process: 'erase-bot',
        messages: [{ role: 'USER', content: 'I live in Porto and I love green tea.' }],
      },
    });
    const job = await augmentedOnce;
    const where = { entity: { externalId: entity } };
    const contents = async () =>
      (await server.db.entityFact.findMany({ where, orderBy: { content: 'asc' } })).map(
        (fact) => fact.content,
      );
    const objects = async () =>
      (await server.db.triple.findMany({ where, include: { object: true } })).map(
        (triple) => triple.object.name,
      );
    expect(await contents()).toEqual(['Lives in Porto', 'Loves green tea']);
    expect((await objects()).sort()).toEqual(['Porto', 'green tea']);

    for (const fact of await server.db.entityFact.findMany({ where })) {
      await server.gql(ForgetFactDocument, { id: gid('Fact', fact.id) });
    }
    for (const triple of await server.db.triple.findMany({ where })) {
      await server.gql(ForgetTripleDocument, { id: gid('Triple', triple.id) });
    }
    // A tombstone is a hash: the forgotten text stays only where it was said (the message, its
    // search index entry, the summary made of it) and in the shared name, which forgetTriple keeps.
    expect(await server.db.tombstone.count({ where })).toBe(4);
    const holders = (await rowsContaining(server.db, 'green tea')).map((row) => row.split(':')[0]);
    expect(holders.sort()).toEqual(['conversation', 'conversation_message', 'message_index', 'object']);

    const rerun = async () => {
      const completed = nextCompleted(entity);
      const answer = await server.gql(RerunAugmentationDocument, {
        job: gid('AugmentationJob', job.id),
        force: true,
      });
      expect(answer.rerunAugmentation.__typename).toBe('RerunAugmentationSuccess');
      return completed;
    };
    expect(await rerun()).toMatchObject({ status: 'DONE', factsFound: 2, triplesFound: 2 });
    expect(await contents()).toEqual([]);
    expect(await objects()).toEqual([]);

    // Said again by a caller, on purpose: stored, and augmentation may count it again.
    const remembered = await server.gql(RememberFactDocument, {
      input: { entity, content: 'Lives in Porto' },
    });
    expect(remembered.rememberFact).toMatchObject({ fact: { content: 'Lives in Porto', mentionCount: 1 } });
    const added = await server.gql(AddTriplesDocument, {
      input: { entity, triples: [{ subject: entity, predicate: 'lives_in', object: 'Porto' }] },
    });
    expect(added.addTriples.__typename).toBe('AddTriplesSuccess');
    expect(await server.db.tombstone.count({ where })).toBe(2);
    await rerun();
    expect(await contents()).toEqual(['Lives in Porto']);
    expect(await server.db.entityFact.findFirst({ where })).toMatchObject({ mentionCount: 2 });
    expect(await objects()).toEqual(['Porto']);
  });

  it('runs the issue’s document unchanged', async () => {
    await seed(server).entity('u-1').fact('Drinks oolong').triple('u-1', 'likes', 'oolong');
    const data = await server.gql(EraseEntityDocument, { input: { entity: 'u-1' } });
    expect(data.eraseEntity).toEqual({
      __typename: 'EraseEntitySuccess',
      erased: { messages: 0, facts: 1, triples: 1, vectors: 1 },
    });
  });

  it('tells the event bus, so events about the entity still in flight are not delivered', async () => {
    const entity = `erase-events-${randomBytes(4).toString('hex')}`;
    await seed(server).entity(entity).conversation(['Queued words']);
    const sessions = await server.db.session.findMany({ where: { entity: { externalId: entity } } });
    const erased = vi.spyOn(server.engram.events, 'erased');
    try {
      await server.gql(EraseEntityDocument, { input: { entity } });
      expect(erased).toHaveBeenCalledWith(
        entity,
        sessions.map((session) => session.id),
      );
    } finally {
      erased.mockRestore();
    }
  });

  it('reaches other processes through the change log: their index, snapshots and cache', async () => {
    const marker = `qz${randomBytes(5).toString('hex')}`;
    const replicaDir = join(indexDir, 'replica');
    const replica = await createEngram(
      loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: server.databaseUrl,
        AUGMENTATION: 'off',
        VECTOR_INDEX_PATH: replicaDir,
        VECTOR_SYNC_INTERVAL_MS: '50',
      }),
      { embedder: wordHashEmbedder() },
    );
    try {
      await replica.start({ wait: true });
      const entity = uniqueId('erase-replica');
      await seed(server).entity(entity).fact(`Hums ${marker} songs`);
      const entityId = (await server.db.entity.findUniqueOrThrow({ where: { externalId: entity } })).id;
      const replicaIndex = replica.index as NonNullable<typeof replica.index>;
      await waitUntil(
        async () => (await replicaIndex.lexicalSearch(entityId, marker, 5)).length === 1,
        'the replica to index the fact',
      );
      await replicaIndex.save();
      await replica.embeddings.embed([`Hums ${marker} songs`], 'document');
      expect(filesContaining(filesUnder(replicaDir), marker)).not.toEqual([]);

      await server.gql(EraseEntityDocument, { input: { entity } });
      await waitUntil(
        () => filesContaining(filesUnder(replicaDir), marker).length === 0,
        'the replica to purge its snapshot',
      );
      expect(await replicaIndex.lexicalSearch(entityId, marker, 5)).toEqual([]);
      const misses = replica.embeddings.cacheStats().misses;
      await replica.embeddings.embed([`Hums ${marker} songs`], 'document');
      expect(replica.embeddings.cacheStats().misses).toBe(misses + 1);
    } finally {
      await replica.stop();
    }
  });

  it('drops what a job running for the entity extracts afterwards', async () => {
    const entity = uniqueId('erase-running');
    const started = new Promise<void>((resolve) => {
      holding = resolve;
    });
    held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await server.gql(RecordMessagesDocument, {
      input: {
        entity,
        process: 'erase-bot',
        messages: [{ role: 'USER', content: 'HOLD. I live in Heldtown and I love held tea.' }],
      },
    });
    await started;
    const erased = await server.gql(EraseEntityDocument, { input: { entity } });
    expect(erased.eraseEntity).toMatchObject({ __typename: 'EraseEntitySuccess', erased: { messages: 1 } });
    release();
    await waitUntil(
      () => logLines.some((line) => line.includes('augmentation job was erased while it ran')),
      'the job to drop its results',
    );
    expect(await server.db.entity.count({ where: { externalId: entity } })).toBe(0);
    expect(await rowsContaining(server.db, 'heldtown')).toEqual([]);
  });

  it('lets admin and service keys erase, and an entity token only its own entity when allowed', async () => {
    const own = uniqueId('erase-own');
    const other = uniqueId('erase-other');
    await seed(server).entity(own).fact('Own fact');
    await seed(server).entity(other).fact('Other fact');
    await augmented(own);
    const token = async (entity: string, scopes: ('READ' | 'WRITE')[]) =>
      `Bearer ${(await server.engram.tokens.issue(entity, 60, scopes)).token}`;

    const refusedOther = await server.request(
      EraseEntityDocument,
      { input: { entity: other } },
      {
        authorization: await token(own, ['READ', 'WRITE']),
      },
    );
    expect(refusedOther.data?.eraseEntity).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const readOnly = await server.request(
      EraseEntityDocument,
      { input: { entity: own } },
      {
        authorization: await token(own, ['READ']),
      },
    );
    expect(readOnly.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });

    // With ERASE_BY_ENTITY_TOKEN off, no entity token erases; a read key never does.
    const off = { ...server.engram.services, access: { eraseByEntityToken: false } };
    const ownToken: Principal = {
      kind: 'entity',
      entityExternalId: own,
      scopes: ['READ', 'WRITE'],
      expiresAt: null,
      issuer: 'engram',
    };
    await expect(
      eraseEntity(off, { principal: ownToken, address: null }, { entity: own }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const reader: Principal = { kind: 'key', role: 'read', name: 'reader' };
    await expect(
      eraseEntity(server.engram.services, { principal: reader, address: null }, { entity: own }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(await server.db.entity.count({ where: { externalId: own } })).toBe(1);

    const byToken = await server.request(
      EraseEntityDocument,
      { input: { entity: own } },
      {
        authorization: await token(own, ['WRITE']),
      },
    );
    expect(byToken.data?.eraseEntity).toMatchObject({
      __typename: 'EraseEntitySuccess',
      erased: { facts: 1 },
    });
    const service: Principal = { kind: 'key', role: 'service', name: 'service' };
    expect(
      await eraseEntity(server.engram.services, { principal: service, address: null }, { entity: other }),
    ).toMatchObject({ facts: 1 });
  });

  it('erases from the command line, reporting each entity and skipping unknown ones', async () => {
    const entity = uniqueId('erase-cli');
    await seed(server).entity(entity).conversation(['I like green apples.']).fact('Cli fact');
    await augmented(entity);
    const lines: string[] = [];
    const progress: number[] = [];
    const run = await eraseEntities(server.engram, [entity, uniqueId('erase-missing')], {
      line: (text) => lines.push(text),
      progress: (done) => progress.push(done),
    });
    expect(run.erased).toEqual([{ entity, counts: expect.objectContaining({ messages: 1, sessions: 1 }) }]);
    expect(run.failed).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect(lines[0]).toMatch(new RegExp(`^erased ${entity}: 1 messages, 1 conversations, 1 sessions`));
    expect(progress).toEqual([1, 2]);
  });
});
