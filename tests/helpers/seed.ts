import { randomUUID } from 'node:crypto';
import {
  AddTriplesDocument,
  type FactCategory,
  type MessageInput,
  RecordMessagesDocument,
  RememberWithSourceDocument,
} from '../../client-codegen/generated/graphql.ts';
import type { TestServer } from './server.ts';

/** A conversation as it was stored: global ids, and the session's uuid. */
export interface SeededConversation {
  id: string;
  sessionId: string;
  sessionUuid: string;
  /** The messages' global ids, in order. */
  messageIds: string[];
}

export interface SeededFact {
  id: string;
  content: string;
  mentionCount: number;
}

export interface SeededTriple {
  id: string;
  mentionCount: number;
}

/** What a seed chain stored for one entity, in the order it was asked for. */
export interface SeededEntity {
  externalId: string;
  conversations: SeededConversation[];
  facts: SeededFact[];
  triples: SeededTriple[];
}

export interface ConversationOptions {
  /** External id of the process. @default 'seed-bot' */
  process?: string;
}

export interface FactOptions {
  /** @default FACT */
  category?: FactCategory;
  /** Records the fact as remembered from the last message seeded so far (provenance). @default false */
  fromLastMessage?: boolean;
}

/**
 * One entity's memory, built by chaining and stored, step by step through the public GraphQL API,
 * when awaited. Each step that fails throws with the server's answer.
 */
export interface EntitySeed extends PromiseLike<SeededEntity> {
  /** Conversations from here on go into one session: a new one, or the uuid given. */
  session(uuid?: string): EntitySeed;
  /** A conversation; strings are USER messages. Without `session()`, each is in a session of its own. */
  conversation(messages: (string | MessageInput)[], options?: ConversationOptions): EntitySeed;
  fact(content: string, options?: FactOptions): EntitySeed;
  triple(subject: string, predicate: string, object: string): EntitySeed;
}

export interface Seeder {
  /** An entity with this external id. @default a unique one, so tests never share an entity */
  entity(externalId?: string): EntitySeed;
}

/** An external id no other test uses: `<prefix>-<8 hex digits>`. */
export function uniqueId(prefix = 'entity'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Fluent seeding in the style of graphql-hive's integration-tests testkit:
 * `const alice = await seed(server).entity().session().conversation(['Hi']).fact('Likes tea')`.
 */
export function seed(server: Pick<TestServer, 'gql'>): Seeder {
  return { entity: (externalId = uniqueId()) => entitySeed(server, externalId) };
}

type Step = (seeded: SeededEntity, state: { session?: string }) => Promise<void>;

function entitySeed(server: Pick<TestServer, 'gql'>, externalId: string): EntitySeed {
  const steps: Step[] = [];
  let run: Promise<SeededEntity> | undefined;
  const chain: EntitySeed = {
    session(uuid = randomUUID()) {
      steps.push(async (_seeded, state) => {
        state.session = uuid;
      });
      return chain;
    },
    conversation(messages, options = {}) {
      steps.push(async (seeded, state) => {
        const data = await server.gql(RecordMessagesDocument, {
          input: {
            entity: externalId,
            process: options.process ?? 'seed-bot',
            session: state.session,
            messages: messages.map((message) =>
              typeof message === 'string' ? { role: 'USER' as const, content: message } : message,
            ),
          },
        });
        const result = data.recordConversation;
        if (result.__typename !== 'RecordConversationSuccess')
          throw new Error(`seed: ${JSON.stringify(result)}`);
        seeded.conversations.push({
          id: result.conversation.id,
          sessionId: result.conversation.session.id,
          sessionUuid: result.conversation.session.uuid,
          messageIds: result.conversation.messages.edges.map((edge) => edge.node.id),
        });
      });
      return chain;
    },
    fact(content, options = {}) {
      steps.push(async (seeded) => {
        const source = options.fromLastMessage ? seeded.conversations.at(-1)?.messageIds.at(-1) : undefined;
        if (options.fromLastMessage && !source)
          throw new Error('seed: fromLastMessage before any conversation');
        const data = await server.gql(RememberWithSourceDocument, {
          input: { entity: externalId, content, category: options.category, source },
        });
        const result = data.rememberFact;
        if (result.__typename !== 'RememberFactSuccess') throw new Error(`seed: ${JSON.stringify(result)}`);
        const { id, mentionCount } = result.fact;
        seeded.facts.push({ id, content: result.fact.content, mentionCount });
      });
      return chain;
    },
    triple(subject, predicate, object) {
      steps.push(async (seeded) => {
        const data = await server.gql(AddTriplesDocument, {
          input: { entity: externalId, triples: [{ subject, predicate, object }] },
        });
        const result = data.addTriples;
        if (result.__typename !== 'AddTriplesSuccess') throw new Error(`seed: ${JSON.stringify(result)}`);
        for (const triple of result.triples)
          seeded.triples.push({ id: triple.id, mentionCount: triple.mentionCount });
      });
      return chain;
    },
    // biome-ignore lint/suspicious/noThenProperty: awaiting the chain is what stores it.
    then(onFulfilled, onRejected) {
      run ??= (async () => {
        const seeded: SeededEntity = { externalId, conversations: [], facts: [], triples: [] };
        const state: { session?: string } = {};
        for (const step of steps) await step(seeded, state);
        return seeded;
      })();
      return run.then(onFulfilled, onRejected);
    },
  };
  return chain;
}
