import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTriplesDocument,
  AugmentationCompletedDocument,
  RecordMessagesDocument,
  RememberFactDocument,
} from '../client-codegen/generated/graphql.ts';
import type { Db } from '../src/db/client.ts';
import { TABLES } from '../src/db/tables.ts';
import { type FakeEmbeddingApi, startFakeEmbeddingApi } from './helpers/fake-embedding-apis.ts';
import { type FakeLlmApi, startFakeLlmApi } from './helpers/fake-llm-apis.ts';
import { collect, startTestServer, type TestServer } from './helpers/server.ts';

/**
 * PII_REDACTION on a real server with the LLM extractor and a hosted embedding provider (both fakes
 * on 127.0.0.1 that record what they are sent): `storage` masks before anything is written, so no
 * table holds the original; `providers` stores the original and masks what leaves for the LLM and
 * the embedding API; `off` changes nothing.
 */

/** Every table's rows as text (vectors left out), and which of `needles` appear in which table. */
async function tablesHolding(db: Db, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const table of Object.values(TABLES)) {
    const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM ${table}`);
    const text = JSON.stringify(rows, (_, value: unknown) => {
      if (typeof value === 'bigint') return String(value);
      if (value instanceof Uint8Array || (value as { type?: unknown } | null)?.type === 'Buffer')
        return undefined;
      return value;
    });
    for (const needle of needles) if (text.includes(needle)) hits.push(`${table}: ${needle}`);
  }
  return hits;
}

interface Setup {
  server: TestServer;
  llm: FakeLlmApi;
  embeddingApi: FakeEmbeddingApi;
}

async function startWith(mode: 'off' | 'storage' | 'providers'): Promise<Setup> {
  const llm = await startFakeLlmApi();
  const embeddingApi = await startFakeEmbeddingApi();
  const server = await startTestServer({
    env: {
      PII_REDACTION: mode,
      AUGMENTATION: 'on',
      AUGMENTATION_EXTRACTOR: 'llm',
      AUGMENTATION_POLL_MS: '50',
      LLM_PROVIDER: 'openai-compatible',
      LLM_MODEL: 'fake-model',
      LLM_BASE_URL: `${llm.url}/v1`,
      LLM_API_KEY: llm.apiKey,
      EMBEDDING_PROVIDER: 'openai-compatible',
      EMBEDDING_MODEL: 'fake-embedding',
      EMBEDDING_API_URL: `${embeddingApi.url}/v1`,
      EMBEDDING_API_KEY: embeddingApi.apiKey,
      VECTOR_DIMENSIONS: String(embeddingApi.dimension),
    },
  });
  return { server, llm, embeddingApi };
}

/** A user's personal data, unique per test so that no other row can hold it. */
function personalData() {
  const tag = randomUUID().slice(0, 8);
  return {
    entity: `pii-${tag}`,
    email: `dana.${tag}@example.com`,
    backupEmail: `backup.${tag}@example.org`,
    card: '4111 1111 1111 1111',
    phone: '+44 20 7946 0958',
    iban: 'DE89 3704 0044 0532 0130 00',
  };
}

type PersonalData = ReturnType<typeof personalData>;

/** Records a turn (waiting for its augmentation), remembers a fact and adds a triple. */
async function remember(server: TestServer, data: PersonalData) {
  const completed = collect(
    server,
    server.wsClient(),
    AugmentationCompletedDocument,
    { entity: data.entity },
    1,
  );
  await completed.ready;
  const recorded = await server.gql(RecordMessagesDocument, {
    input: {
      entity: data.entity,
      process: 'assistant',
      summary: `Refund goes to ${data.iban}`,
      messages: [
        { role: 'USER', content: `Write to ${data.email} or call ${data.phone}; my card is ${data.card}.` },
      ],
    },
  });
  const [job] = await completed.results;
  expect(job?.data?.augmentationCompleted?.status).toBe('DONE');
  const fact = await server.gql(RememberFactDocument, {
    input: { entity: data.entity, content: `Email is ${data.email}`, category: 'FACT' },
  });
  const triples = await server.gql(AddTriplesDocument, {
    input: {
      entity: data.entity,
      triples: [{ subject: data.entity, predicate: 'has_email', object: data.email }],
    },
  });
  if (recorded.recordConversation.__typename !== 'RecordConversationSuccess') throw new Error('not recorded');
  if (fact.rememberFact.__typename !== 'RememberFactSuccess') throw new Error('not remembered');
  if (triples.addTriples.__typename !== 'AddTriplesSuccess') throw new Error('no triples');
  return {
    message: recorded.recordConversation.conversation.messages.edges[0]?.node.content,
    fact: fact.rememberFact.fact.content,
    triple: triples.addTriples.triples[0],
  };
}

/** What the fake LLM was sent, all requests joined. */
function sentToLlm(llm: FakeLlmApi): string {
  return llm.requests.map((request) => request.userText).join('\n');
}

/** What the fake embedding API was sent, all texts joined. */
function sentToEmbeddings(api: FakeEmbeddingApi): string {
  return api.requests.flatMap((request) => request.texts).join('\n');
}

describe('PII_REDACTION=storage', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await startWith('storage');
  });
  afterAll(async () => {
    await setup?.server.close();
    await setup?.llm.close();
    await setup?.embeddingApi.close();
  });

  it('masks messages, summaries, facts and triple names before they are written: no table holds the originals', async () => {
    const { server, llm, embeddingApi } = setup;
    const data = personalData();
    // A model that answers with personal data (as it would from messages stored before masking was on).
    llm.reply = {
      facts: [{ content: `Has a backup address ${data.backupEmail}`, category: 'FACT', messageIndex: 0 }],
      triples: [
        {
          subject: 'user',
          predicate: 'has_phone',
          object: '+1 415 555 2671',
          subjectType: null,
          objectType: null,
          messageIndex: 0,
        },
      ],
      summary: 'Paid with card 5555 5555 5555 4444',
    };

    const stored = await remember(server, data);
    expect(stored.message).toBe('Write to [EMAIL] or call [PHONE]; my card is [CARD].');
    expect(stored.fact).toBe('Email is [EMAIL]');
    // The entity's own id is a name the entity table holds anyway: it stays.
    expect(stored.triple).toMatchObject({ subject: { name: data.entity }, object: { name: '[EMAIL]' } });

    const originals = [
      data.email,
      data.backupEmail,
      data.card,
      data.card.replaceAll(' ', ''),
      data.phone,
      data.iban,
      '415 555 2671',
      '5555 5555 5555 4444',
    ];
    expect(await tablesHolding(server.db, originals)).toEqual([]);
    // The scan reads what was written: the masked forms are there.
    expect(await tablesHolding(server.db, ['[EMAIL]', '[CARD]', '[PHONE]'])).toEqual(
      expect.arrayContaining(['conversation_message: [EMAIL]', 'entity_fact: [EMAIL]', 'object: [EMAIL]']),
    );
    const conversation = await server.db.conversation.findFirstOrThrow({
      where: { session: { entity: { externalId: data.entity } } },
    });
    expect(conversation.summary).toBe('Paid with card [CARD]');
    expect(await server.db.entityFact.findMany({ where: { entity: { externalId: data.entity } } })).toEqual(
      expect.arrayContaining([expect.objectContaining({ content: 'Has a backup address [EMAIL]' })]),
    );

    // What was stored masked is what the providers see: the summary recorded with the turn too.
    expect(sentToLlm(llm)).toContain('Refund goes to [IBAN]');
    for (const original of originals) {
      expect(sentToLlm(llm)).not.toContain(original);
      expect(sentToEmbeddings(embeddingApi)).not.toContain(original);
    }
  });
});

describe('PII_REDACTION=providers', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await startWith('providers');
  });
  afterAll(async () => {
    await setup?.server.close();
    await setup?.llm.close();
    await setup?.embeddingApi.close();
  });

  it('stores the originals and masks what the LLM and the hosted embedding API are sent', async () => {
    const { server, llm, embeddingApi } = setup;
    const data = personalData();
    llm.reply = {
      facts: [{ content: 'Can be emailed at [EMAIL]', category: 'FACT', messageIndex: 0 }],
      triples: [],
      summary: 'Gave contact details',
    };

    const stored = await remember(server, data);
    const message = `Write to ${data.email} or call ${data.phone}; my card is ${data.card}.`;
    expect(stored.message).toBe(message);
    expect(stored.fact).toBe(`Email is ${data.email}`);
    expect(stored.triple).toMatchObject({ object: { name: data.email } });
    expect(
      await server.db.conversationMessage.count({ where: { content: message } }),
      'the message as given',
    ).toBe(1);
    expect(await tablesHolding(server.db, [data.email, data.card])).toEqual(
      expect.arrayContaining([`conversation_message: ${data.email}`, `entity_fact: ${data.email}`]),
    );

    const llmSaw = sentToLlm(llm);
    expect(llmSaw).toContain('Write to [EMAIL] or call [PHONE]; my card is [CARD].');
    expect(llmSaw).toContain('Refund goes to [IBAN]');
    const embedded = sentToEmbeddings(embeddingApi);
    expect(embedded).toContain('Email is [EMAIL]');
    for (const original of [data.email, data.card, data.phone, data.iban]) {
      expect(llmSaw).not.toContain(original);
      expect(embedded).not.toContain(original);
    }
  });
});

describe('PII_REDACTION=off', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await startWith('off');
  });
  afterAll(async () => {
    await setup?.server.close();
    await setup?.llm.close();
    await setup?.embeddingApi.close();
  });

  it('stores and sends the text as given', async () => {
    const { server, llm, embeddingApi } = setup;
    const data = personalData();
    const stored = await remember(server, data);
    const message = `Write to ${data.email} or call ${data.phone}; my card is ${data.card}.`;
    expect(stored.message).toBe(message);
    expect(stored.fact).toBe(`Email is ${data.email}`);
    expect(stored.triple).toMatchObject({ object: { name: data.email } });
    expect(sentToLlm(llm)).toContain(message);
    expect(sentToLlm(llm)).toContain(`Refund goes to ${data.iban}`);
    expect(sentToEmbeddings(embeddingApi)).toContain(`Email is ${data.email}`);
  });
});
