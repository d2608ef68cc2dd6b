import type { Db } from '../db/client.ts';
import type { Prisma } from '../db/generated/client.ts';
import type { EngramPubSub } from '../events/pubsub.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import type { Limits } from './validation.ts';

/** What every memory service needs: the database, the event bus and the limits. */
export interface ServiceDeps {
  db: Db;
  events: EngramPubSub;
  limits: Limits;
}

/** The Prisma client inside `$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

/** Creates the entity on first use; idempotent on its external id. */
export function upsertEntity(tx: Tx, externalId: string) {
  return tx.entity.upsert({ where: { externalId }, create: { externalId }, update: {} });
}

/**
 * Checks that a provenance message exists and belongs to the entity; returns its conversation id.
 * @returns null when no message is given
 */
export async function resolveSourceMessage(
  tx: Tx,
  messageId: number | null | undefined,
  entityId: number,
): Promise<{ messageId: number; conversationId: number } | null> {
  if (!messageId) return null;
  const message = await tx.conversationMessage.findUnique({
    where: { id: messageId },
    select: { conversationId: true, conversation: { select: { session: { select: { entityId: true } } } } },
  });
  if (!message) throw new NotFoundError('Message', String(messageId));
  if (message.conversation.session.entityId !== entityId) {
    throw new ValidationError(
      'the source message belongs to another entity',
      [{ path: 'source', message: 'belongs to another entity' }],
      'SOURCE_MISMATCH',
    );
  }
  return { messageId, conversationId: message.conversationId };
}
