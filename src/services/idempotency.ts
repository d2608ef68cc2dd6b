import { createHash } from 'node:crypto';
import type { Conversation, ConversationMessage } from '../db/generated/client.ts';
import { ValidationError } from '../errors.ts';
import type { Tx } from './transactions.ts';

/** Longest idempotency key accepted (a UUID is 36 characters, a ULID 26). @default 128 */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/** Letters, digits and `- _ . : ~ + / =`: UUIDs, ULIDs, base64 and `<client>:<n>` schemes all fit. */
const KEY_PATTERN = /^[A-Za-z0-9._:~+/=-]+$/;

/**
 * Checks a caller's idempotency key. Keys are compared byte for byte, so nothing is trimmed or
 * folded: a key that would need it is refused instead (INVALID_IDEMPOTENCY_KEY).
 * @returns null when no key is given
 */
export function checkIdempotencyKey(key: string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  const problem =
    key.length === 0
      ? 'must not be empty'
      : key.length > MAX_IDEMPOTENCY_KEY_LENGTH
        ? `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`
        : KEY_PATTERN.test(key)
          ? null
          : 'may contain only letters, digits and - _ . : ~ + / =';
  if (!problem) return key;
  throw new ValidationError(
    `idempotencyKey: ${problem}`,
    [{ path: 'idempotencyKey', message: problem }],
    'INVALID_IDEMPOTENCY_KEY',
  );
}

/**
 * A digest of what a call asks for (after validation and normalization), so that a retry (the
 * same payload) can be told apart from a reuse of its key for something else.
 */
export function requestHash(payload: unknown): string {
  return createHash('sha256').update(JSON.stringify(payload)).digest('hex');
}

/** What the first call with a key stored: returned again to every retry of it. */
export interface EarlierCall {
  conversation: Conversation;
  messages: ConversationMessage[];
}

/**
 * The call an entity already made with this key, or null for a new key. Refuses the key
 * (IDEMPOTENCY_KEY_REUSED) when the earlier call asked for something else: returning its
 * conversation would hand the caller data unrelated to what it sent, and storing the new payload
 * would make the key mean two things.
 */
export async function findEarlierCall(
  tx: Tx,
  entityId: number,
  key: string,
  hash: string,
): Promise<EarlierCall | null> {
  const call = await tx.idempotentCall.findUnique({
    where: { entityId_idempotencyKey: { entityId, idempotencyKey: key } },
    include: { conversation: true },
  });
  if (!call) return null;
  if (call.requestHash !== hash) {
    throw new ValidationError(
      'this idempotency key was already used for a different request of this entity',
      [{ path: 'idempotencyKey', message: 'already used for a different request' }],
      'IDEMPOTENCY_KEY_REUSED',
    );
  }
  const messages = await tx.conversationMessage.findMany({
    where: { conversationId: call.conversationId, id: { gte: call.firstMessageId, lte: call.lastMessageId } },
    orderBy: { id: 'asc' },
  });
  return { conversation: call.conversation, messages };
}

/**
 * Remembers a call under its key, in the transaction that stored its messages. Of two calls racing
 * with the same key, the second insert violates the unique (entity, key) index: its transaction
 * rolls back and is retried whole (inTransaction), and then finds the winner's call.
 */
export async function rememberCall(
  tx: Tx,
  call: {
    entityId: number;
    key: string;
    hash: string;
    conversationId: number;
    firstMessageId: number;
    lastMessageId: number;
  },
): Promise<void> {
  await tx.idempotentCall.create({
    data: {
      entityId: call.entityId,
      idempotencyKey: call.key,
      requestHash: call.hash,
      conversationId: call.conversationId,
      firstMessageId: call.firstMessageId,
      lastMessageId: call.lastMessageId,
    },
  });
}
