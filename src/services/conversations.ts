import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { enqueueAugmentation } from '../augment/queue.ts';
import { assertEntityAccess, type Principal } from '../auth/principal.ts';
import type { Conversation, ConversationMessage } from '../db/generated/client.ts';
import { inTransaction, type ServiceDeps, upsertEntity, upsertProcess } from './context.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { contentSchema, externalIdSchema, parseInput } from './validation.ts';

export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM', 'TOOL'] as const;

export interface RecordConversationInput {
  entity: string;
  process: string;
  /** Session uuid to reuse or create; a new session when absent. */
  session?: string | null;
  /** Existing conversation (database id) to append to. */
  conversationId?: number | null;
  summary?: string | null;
  messages: { role: (typeof MESSAGE_ROLES)[number]; content: string; type?: string | null }[];
}

export interface RecordConversationResult {
  conversation: Conversation;
  messages: ConversationMessage[];
}

function inputSchema(deps: ServiceDeps) {
  const { maxContentLength, maxItemsPerCall } = deps.limits;
  return z.object({
    entity: externalIdSchema,
    process: externalIdSchema,
    session: z.string().trim().min(1).max(128).nullish(),
    conversationId: z.number().int().positive().nullish(),
    summary: contentSchema(maxContentLength).nullish(),
    messages: z
      .array(
        z.object({
          role: z.enum(MESSAGE_ROLES),
          content: contentSchema(maxContentLength),
          type: z.string().trim().min(1).max(64).nullish(),
        }),
      )
      .min(1, 'must contain at least one message')
      .max(maxItemsPerCall, `must contain at most ${maxItemsPerCall} messages`),
  });
}

/**
 * Stores messages, creating the entity, process, session and conversation as needed,
 * all in one transaction. Idempotent on the entity's and process's external ids.
 */
export async function recordConversation(
  deps: ServiceDeps,
  principal: Principal,
  raw: RecordConversationInput,
): Promise<RecordConversationResult> {
  const input = parseInput(inputSchema(deps), raw);
  assertEntityAccess(principal, input.entity);

  const result = await inTransaction(deps, async (tx) => {
    const entity = await upsertEntity(tx, input.entity);
    const process = await upsertProcess(tx, input.process);

    let conversation: Conversation | null = null;
    if (input.conversationId) {
      conversation = await tx.conversation.findUnique({
        where: { id: input.conversationId },
        include: { session: true },
      });
      if (!conversation) throw new NotFoundError('Conversation', String(input.conversationId));
      const owner = (conversation as Conversation & { session: { entityId: number; processId: number } })
        .session;
      if (owner.entityId !== entity.id || owner.processId !== process.id) {
        throw new ValidationError(
          'the conversation belongs to another entity or process',
          [{ path: 'conversation', message: 'belongs to another entity or process' }],
          'CONVERSATION_MISMATCH',
        );
      }
    }

    if (!conversation) {
      let sessionId: number;
      if (input.session) {
        const existing = await tx.session.findUnique({ where: { uuid: input.session } });
        if (existing && (existing.entityId !== entity.id || existing.processId !== process.id)) {
          throw new ValidationError(
            'the session belongs to another entity or process',
            [{ path: 'session', message: 'belongs to another entity or process' }],
            'SESSION_MISMATCH',
          );
        }
        sessionId =
          existing?.id ??
          (
            await tx.session.create({
              data: { uuid: input.session, entityId: entity.id, processId: process.id },
            })
          ).id;
      } else {
        sessionId = (
          await tx.session.create({
            data: { uuid: randomUUID(), entityId: entity.id, processId: process.id },
          })
        ).id;
      }
      conversation = await tx.conversation.create({ data: { sessionId, summary: input.summary ?? null } });
    } else if (input.summary) {
      conversation = await tx.conversation.update({
        where: { id: conversation.id },
        data: { summary: input.summary },
      });
    }

    const messages: ConversationMessage[] = [];
    for (const message of input.messages) {
      messages.push(
        await tx.conversationMessage.create({
          data: {
            conversationId: conversation.id,
            role: message.role,
            content: message.content,
            type: message.type ?? 'text',
          },
        }),
      );
    }
    const first = messages[0];
    const last = messages.at(-1);
    if (deps.augmentation && first && last) {
      await enqueueAugmentation(tx, {
        conversationId: conversation.id,
        entityId: entity.id,
        firstMessageId: first.id,
        lastMessageId: last.id,
      });
    }
    return { conversation, messages };
  });

  deps.augmentation?.wake();
  for (const message of result.messages) {
    deps.events.publish('message-added', result.conversation.sessionId, message);
  }
  return result;
}
