import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { assertEntityAccess } from '../auth/principal.ts';
import { clientProvider } from '../db/client.ts';
import { MessageRole } from '../db/enums.ts';
import type { Conversation, ConversationMessage, Prisma } from '../db/generated/client.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { enqueueAugmentation } from '../jobs/queue.ts';
import { type Actor, type AuditRecord, auditedTransaction } from './audit.ts';
import type { ServiceDeps } from './deps.ts';
import { syncIndex } from './facts.ts';
import { globalId } from './global-id.ts';
import { checkIdempotencyKey, findEarlierCall, rememberCall, requestHash } from './idempotency.ts';
import { prepareMessageEntries, storeMessageEntries } from './message-index.ts';
import { type Tx, upsertEntity, upsertProcess } from './transactions.ts';
import { contentSchema, externalIdSchema, memoSchema, parseInput } from './validation.ts';

export interface RecordConversationInput {
  entity: string;
  process: string;
  /** Session uuid to reuse or create; a new session when absent. */
  session?: string | null;
  /** Existing conversation (database id) to append to. */
  conversationId?: number | null;
  summary?: string | null;
  /** `createdAt`: when it was said (recording a past conversation); now when absent. */
  messages: { role: MessageRole; content: string; type?: string | null; createdAt?: Date | null }[];
  /**
   * Makes retries safe: a later call of the same entity with this key stores nothing and returns
   * what the first one stored (see idempotency.ts).
   */
  idempotencyKey?: string | null;
}

export interface RecordConversationResult {
  conversation: Conversation;
  /** The messages this call stored, in order (on a replay: the ones the first call stored). */
  messages: ConversationMessage[];
  /** True when an earlier call with the same idempotency key had stored them: nothing was written. */
  replayed: boolean;
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
          role: z.enum(MessageRole),
          content: contentSchema(maxContentLength),
          type: z.string().trim().min(1).max(64).nullish(),
          createdAt: z
            .date()
            .refine((at) => at.getTime() >= EARLIEST_MESSAGE_MS, 'must be 1970-01-02 or later')
            .refine(
              (at) => at.getTime() <= Date.now() + CLOCK_SKEW_MS,
              'must not be in the future (5 minutes of clock skew are allowed)',
            )
            .nullish(),
        }),
      )
      .min(1, 'must contain at least one message')
      .max(maxItemsPerCall, `must contain at most ${maxItemsPerCall} messages`)
      .superRefine((messages, ctx) => {
        // Messages are listed by when they were said: a call's own order must agree.
        let previous = Number.NEGATIVE_INFINITY;
        messages.forEach((message, i) => {
          const at = message.createdAt?.getTime();
          if (at === undefined) return;
          if (at < previous) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'createdAt'],
              message: 'must not be earlier than the createdAt of a message before it',
            });
          }
          previous = at;
        });
      }),
  });
}

/** How far ahead of this server's clock a caller's `createdAt` may be. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Every database stores this; the epoch itself is refused by some (MySQL TIMESTAMP). */
const EARLIEST_MESSAGE_MS = 86_400_000;

/**
 * The call with personal data masked out of its messages and summary (PII_REDACTION=storage). Done
 * first, so that nothing downstream, the idempotency hash included, sees the original text.
 */
function masked<T extends { summary?: string | null; messages: { content: string }[] }>(
  deps: ServiceDeps,
  input: T,
): T {
  const mask = deps.storageMask;
  if (!mask) return input;
  return {
    ...input,
    summary: input.summary ? mask(input.summary) : input.summary,
    messages: input.messages.map((message) => ({ ...message, content: mask(message.content) })),
  };
}

/**
 * The entity's id: looked up first, since an entity records many turns; created (by the
 * race-safe upsert) only on its first one.
 */
async function entityIdOf(tx: Tx, externalId: string): Promise<number> {
  const found = await tx.entity.findUnique({ where: { externalId }, select: { id: true } });
  return found?.id ?? (await upsertEntity(tx, externalId)).id;
}

/** The process's id, the same way as {@link entityIdOf}. */
async function processIdOf(tx: Tx, externalId: string): Promise<number> {
  const found = await tx.process.findUnique({ where: { externalId }, select: { id: true } });
  return found?.id ?? (await upsertProcess(tx, externalId)).id;
}

/**
 * Prisma providers with `createManyAndReturn` (one INSERT ... RETURNING for all rows). MySQL and
 * MariaDB have none; they get one INSERT per row.
 */
const INSERT_MANY_RETURNING = new Set(['sqlite', 'postgresql', 'cockroachdb']);

/** Whether the client's provider inserts many rows and returns them in one statement. */
function insertsManyReturning(db: ServiceDeps['db']): boolean {
  return INSERT_MANY_RETURNING.has(clientProvider(db) ?? '');
}

/** A call's messages as rows of its conversation. */
function messageRows(messages: RecordConversationInput['messages']) {
  return messages.map((message) => ({
    role: message.role,
    content: message.content,
    type: message.type ?? 'text',
    ...(message.createdAt ? { createdAt: message.createdAt } : {}),
  }));
}

/**
 * Appends a call's messages to an existing conversation, in order, and returns them in that
 * order (a new conversation gets its messages with it, in {@link recordConversation}).
 */
async function insertMessages(
  tx: Tx,
  manyAtOnce: boolean,
  conversationId: number,
  messages: RecordConversationInput['messages'],
): Promise<ConversationMessage[]> {
  const rows = messageRows(messages).map((row) => ({ ...row, conversationId }));
  if (manyAtOnce) {
    // One multi-row INSERT: ids are assigned in row order; sorting by id restores it whatever
    // order RETURNING hands the rows back in.
    // (MySQL's generated client has no such method, hence the cast: the types of every provider
    // must compile.)
    const delegate = tx.conversationMessage as unknown as {
      createManyAndReturn(args: { data: typeof rows }): Promise<ConversationMessage[]>;
    };
    const created = await delegate.createManyAndReturn({ data: rows });
    return created.sort((a, b) => a.id - b.id);
  }
  const created: ConversationMessage[] = [];
  for (const data of rows) created.push(await tx.conversationMessage.create({ data }));
  return created;
}

/**
 * Stores messages, creating the entity, process, session and conversation as needed,
 * all in one transaction. Idempotent on the entity's and process's external ids, and, given an
 * idempotency key, on the whole call: a retry with the key returns the first call's conversation
 * and messages (`replayed`), even when the two race; the key with another payload is refused.
 */
export async function recordConversation(
  deps: ServiceDeps,
  actor: Actor,
  raw: RecordConversationInput,
): Promise<RecordConversationResult> {
  const input = masked(
    deps,
    parseInput(
      memoSchema(`conversations:${deps.limits.maxContentLength}:${deps.limits.maxItemsPerCall}`, () =>
        inputSchema(deps),
      ),
      raw,
    ),
  );
  const key = checkIdempotencyKey(raw.idempotencyKey);
  assertEntityAccess(actor.principal, input.entity);
  // Keys are scoped per entity, so the entity is part of the key, not of the payload it guards.
  const hash = key
    ? requestHash([
        input.process,
        input.session ?? null,
        input.conversationId ?? null,
        input.summary ?? null,
        // createdAt only when given, so keys stored before it existed still match their retries.
        input.messages.map((message) =>
          message.createdAt
            ? [message.role, message.content, message.type ?? 'text', message.createdAt.toISOString()]
            : [message.role, message.content, message.type ?? 'text'],
        ),
      ])
    : '';

  // The messages' index entries (MESSAGE_INDEX) are made before the transaction: embedding takes
  // milliseconds to seconds. The turn before them is the conversation's last, when it is this
  // entity's (any other is refused in the transaction, and its words go nowhere).
  const previous = input.conversationId
    ? await deps.reader.conversationMessage.findFirst({
        where: {
          conversationId: input.conversationId,
          conversation: { session: { entity: { externalId: input.entity } } },
        },
        orderBy: { id: 'desc' },
        select: { id: true, content: true },
      })
    : null;
  const entries = await prepareMessageEntries(deps, input.messages, previous);

  const manyAtOnce = insertsManyReturning(deps.db);
  // A replay is recorded too: the caller was answered with what the first call stored.
  const audit = (recorded: RecordConversationResult): AuditRecord => ({
    action: 'recordConversation',
    entity: input.entity,
    target: [
      globalId('Session', recorded.conversation.sessionId),
      globalId('Conversation', recorded.conversation.id),
      ...recorded.messages.map((message) => globalId('Message', message.id)),
    ],
  });
  const result = await auditedTransaction<RecordConversationResult>(deps, actor, audit, async (tx) => {
    const entity = { id: await entityIdOf(tx, input.entity) };
    if (key) {
      const earlier = await findEarlierCall(tx, entity.id, key, hash);
      if (earlier) return { ...earlier, replayed: true };
    }
    const process = { id: await processIdOf(tx, input.process) };

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

    let messages: ConversationMessage[];
    if (!conversation) {
      // The session: an existing one by uuid, else a new one created with the conversation.
      let session:
        | { sessionId: number }
        | { session: { create: Prisma.SessionUncheckedCreateWithoutConversationsInput } };
      if (input.session) {
        const existing = await tx.session.findUnique({ where: { uuid: input.session } });
        if (existing && (existing.entityId !== entity.id || existing.processId !== process.id)) {
          throw new ValidationError(
            'the session belongs to another entity or process',
            [{ path: 'session', message: 'belongs to another entity or process' }],
            'SESSION_MISMATCH',
          );
        }
        session = existing
          ? { sessionId: existing.id }
          : { session: { create: { uuid: input.session, entityId: entity.id, processId: process.id } } };
      } else {
        session = { session: { create: { uuid: randomUUID(), entityId: entity.id, processId: process.id } } };
      }
      // One request for the session, the conversation and its messages (a multi-row INSERT on
      // every provider), which Prisma runs for much less CPU than three; the new conversation's
      // messages are exactly this call's, read back in id (= insertion) order.
      const { messages: inserted, ...created } = await tx.conversation.create({
        data: {
          ...session,
          summary: input.summary ?? null,
          // A past conversation started when its first message was said.
          ...(input.messages[0]?.createdAt ? { createdAt: input.messages[0].createdAt } : {}),
          messages: { createMany: { data: messageRows(input.messages) } },
        },
        include: { messages: { orderBy: { id: 'asc' } } },
      });
      conversation = created;
      messages = inserted;
    } else {
      if (input.summary) {
        conversation = await tx.conversation.update({
          where: { id: conversation.id },
          data: { summary: input.summary },
        });
      }
      messages = await insertMessages(tx, manyAtOnce, conversation.id, input.messages);
    }

    const first = messages[0];
    const last = messages.at(-1);
    if (key && first && last) {
      await rememberCall(tx, {
        entityId: entity.id,
        key,
        hash,
        conversationId: conversation.id,
        firstMessageId: first.id,
        lastMessageId: last.id,
      });
    }
    await storeMessageEntries(tx, entity.id, messages, entries, previous?.id ?? null);
    if (deps.augmentation && first && last) {
      await enqueueAugmentation(tx, {
        conversationId: conversation.id,
        entityId: entity.id,
        firstMessageId: first.id,
        lastMessageId: last.id,
      });
    }
    return { conversation, messages, replayed: false };
  });

  // A replay stored nothing: no job to run, no message to announce again.
  if (result.replayed) return result;
  deps.augmentation?.wake();
  // The new entries are searchable when the caller is answered.
  if (entries) await syncIndex(deps);
  for (const message of result.messages) {
    deps.events.publish('message-added', result.conversation.sessionId, message);
  }
  return result;
}
