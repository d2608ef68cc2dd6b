import { vi } from 'vitest';
import {
  AddTriplesDocument,
  ForgetFactDocument,
  ForgetTripleDocument,
  RecordMessagesDocument,
  RememberFactDocument,
  RememberWithSourceDocument,
} from '../../client-codegen/generated/graphql.ts';
import type { TestServer } from './server.ts';

const ADMIN = { authorization: 'Bearer admin-key' };

/** The server settings {@link seedMemory} needs: an admin key, augmentation, 4-d vectors. */
export const SEED_ENV = {
  API_KEYS: 'admin-key',
  AUGMENTATION: 'on',
  AUGMENTATION_POLL_MS: '50',
  VECTOR_DIMENSIONS: '4',
};

/**
 * Writes a memory through the API as a client would: conversations (with idempotency keys and
 * augmentation jobs, which extract facts and triples), a fact with a vector and a source, a
 * superseded triple, a forgotten fact and triple (tombstones), non-ASCII text. Waits for
 * augmentation to finish.
 */
export async function seedMemory(server: TestServer, entity: string, process = 'support-bot'): Promise<void> {
  // biome-ignore lint/suspicious/noExplicitAny: one helper for documents of every shape
  const call = async <R, V>(document: any, variables: V) => {
    const result = await server.request(document as never, variables as never, ADMIN);
    if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
    return result.data as R;
  };
  const first = await call<
    {
      recordConversation: {
        __typename: string;
        conversation: { session: { uuid: string }; messages: { edges: { node: { id: string } }[] } };
      };
    },
    unknown
  >(RecordMessagesDocument, {
    input: {
      entity,
      process,
      summary: 'Moving house 🏠',
      idempotencyKey: `turn-${Buffer.from(entity).toString('hex')}`,
      messages: [
        { role: 'USER', content: 'I live in Porto and I love green tea. Ça va? 東京も好き。' },
        { role: 'ASSISTANT', content: 'Noted!' },
      ],
    },
  });
  if (!first.recordConversation.conversation) throw new Error(`seed failed: ${JSON.stringify(first)}`);
  const session = first.recordConversation.conversation.session.uuid;
  const source = first.recordConversation.conversation.messages.edges[0]?.node.id;
  await call(RecordMessagesDocument, {
    input: {
      entity,
      process,
      session,
      messages: [{ role: 'USER', content: 'I moved to Madrid last week.' }],
    },
  });
  await call(RememberWithSourceDocument, {
    input: {
      entity,
      content: 'Prefers tea to coffee',
      category: 'PREFERENCE',
      source,
      embedding: [1, 0.5, -0.25, 0],
    },
  });
  const doomed = await call<{ rememberFact: { fact: { id: string } } }, unknown>(RememberFactDocument, {
    input: { entity, content: 'Forget me', category: 'FACT' },
  });
  const triples = (object: string, predicate = 'lives_in', from?: string) => ({
    input: { entity, ...(from ? { source: from } : {}), triples: [{ subject: entity, predicate, object }] },
  });
  await call(AddTriplesDocument, triples('Porto', 'lives_in', source));
  await call(AddTriplesDocument, triples('Madrid'));
  const extra = await call<{ addTriples: { triples: { id: string }[] } }, unknown>(
    AddTriplesDocument,
    triples('a bicycle', 'owns'),
  );
  await call(ForgetFactDocument, { id: doomed.rememberFact.fact.id });
  await call(ForgetTripleDocument, { id: extra.addTriples.triples[0]?.id });
  await vi.waitFor(
    async () => {
      const jobs = await server.db.augmentationJob.findMany({ where: { status: { not: 'DONE' } } });
      if (jobs.length > 0) throw new Error('augmentation still running');
    },
    { timeout: 20_000, interval: 50 },
  );
}
