/**
 * The GraphQL bench:ingest sends: recordConversation calls (a body for a random or a given entity,
 * and the check of its answer), and the probe documents of the lag phase (the
 * augmentationCompleted subscription and the fact count that shows its facts are visible).
 */
import { chatMessages } from './ingest-data.ts';
import type { IngestOptions } from './ingest-options.ts';

export const RECORD = /* GraphQL */ `
  mutation Record($input: RecordConversationInput!) {
    recordConversation(input: $input) {
      __typename
      ... on RecordConversationSuccess { conversation { id } }
      ... on UserError { code message }
    }
  }
`;

export const FACT_COUNT = /* GraphQL */ `
  query Facts($id: String!) { entity(externalId: $id) { facts(first: 1) { totalCount } } }
`;

export const COMPLETED = /* GraphQL */ `
  subscription Completed($entity: String!) { augmentationCompleted(entity: $entity) { id factsFound } }
`;

/** Three applications share the entities (each entity always talks through the same one). */
export const PROCESSES = ['chat-web', 'chat-mobile', 'support-bot'];

const entityId = (n: number) => `user-${String(n).padStart(6, '0')}`;

/** Entities that have been sent a call: a call to any other one creates its entity. */
export const seenEntities = new Set<number>();

/**
 * A recordConversation body: a new session and conversation for a random entity, or for entity
 * number `entity`, or for the probe entity `probe` (whose first user message states a fact).
 */
export function callBody(
  options: IngestOptions,
  random: () => number,
  { probe = null, entity }: { probe?: string | null; entity?: number } = {},
): string {
  const n = entity ?? 1 + Math.floor(random() * options.entities);
  if (probe === null) seenEntities.add(n);
  const messages = chatMessages(n, options.messagesPerCall, random, { atLeastOneStatement: probe !== null });
  return JSON.stringify({
    query: RECORD,
    variables: {
      input: { entity: probe ?? entityId(n), process: PROCESSES[n % PROCESSES.length], messages },
    },
  });
}

/** Why a recordConversation response is wrong, or null. */
export function checkCall(status: number, text: string): string | null {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 300)}`;
  let payload: { data?: { recordConversation?: { __typename?: string } }; errors?: unknown[] };
  try {
    payload = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 300)}`;
  }
  if (payload.errors?.length) return `errors: ${JSON.stringify(payload.errors).slice(0, 500)}`;
  const typename = payload.data?.recordConversation?.__typename;
  return typename === 'RecordConversationSuccess' ? null : `unexpected result: ${text.slice(0, 300)}`;
}
