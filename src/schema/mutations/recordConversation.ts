import { recordConversation } from '../../services/conversations.ts';
import { builder } from '../builder.ts';
import { decodeId, MUTATION_ERRORS } from '../errors.ts';
import { MessageRoleEnum } from '../types/enums.ts';

const MessageInput = builder.inputType('MessageInput', {
  description: 'One message to record.',
  fields: (t) => ({
    role: t.field({ type: MessageRoleEnum, required: true, description: 'Who said it.' }),
    content: t.string({
      required: true,
      description: 'What was said (not empty; at most MAX_CONTENT_LENGTH).',
    }),
    type: t.string({ required: false, description: 'Content type. @default "text"' }),
    createdAt: t.field({
      type: 'DateTime',
      required: false,
      description:
        'When it was said, for recording a past conversation (an import, a transcript): not in the future, and not earlier than a message before it in the call. Recall matches dates in questions against it. @default now',
    }),
  }),
});

const RecordConversationInput = builder.inputType('RecordConversationInput', {
  description: 'Messages to store, with who said them to whom.',
  fields: (t) => ({
    entity: t.string({ required: true, description: 'External id of the entity (created on first use).' }),
    process: t.string({ required: true, description: 'External id of the process (created on first use).' }),
    session: t.string({
      required: false,
      description: 'Session uuid to continue (or create with this uuid). A new session when absent.',
    }),
    conversation: t.id({
      required: false,
      description: 'Conversation global id to append to. A new conversation when absent.',
    }),
    summary: t.string({ required: false, description: 'A summary to store on the conversation.' }),
    messages: t.field({ type: [MessageInput], required: true, description: 'The messages, in order.' }),
    idempotencyKey: t.string({
      required: false,
      description:
        'Makes the call safe to retry: a later call for the same entity with this key stores nothing and returns what the first one stored (`replayed: true`), even when the two run at once. Scoped per entity; kept as long as the conversation. The same key with a different payload is refused with IDEMPOTENCY_KEY_REUSED. 1–128 letters, digits and `-_.:~+/=` (else INVALID_IDEMPOTENCY_KEY); a UUID per call is a good choice.',
    }),
  }),
});

const RecordConversationSuccess = builder
  .objectRef<{ conversationId: number; replayed: boolean }>('RecordConversationSuccess')
  .implement({
    description: 'The messages were stored.',
    fields: (t) => ({
      conversation: t.prismaField({
        type: 'Conversation',
        description: 'The conversation the messages were added to.',
        resolve: (query, parent, _args, ctx) =>
          ctx.reader.conversation.findUniqueOrThrow({ ...query, where: { id: parent.conversationId } }),
      }),
      replayed: t.exposeBoolean('replayed', {
        description:
          'True when an earlier call with the same idempotency key had already stored these messages: this one stored nothing.',
      }),
    }),
  });

builder.mutationField('recordConversation', (t) =>
  t.field({
    type: RecordConversationSuccess,
    description:
      'Stores messages, creating the entity, process, session and conversation as needed (idempotent on external ids).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: {
        name: 'RecordConversationResult',
        description: 'The result, or the error the caller can fix.',
      },
    },
    args: { input: t.arg({ type: RecordConversationInput, required: true, description: 'What to record.' }) },
    resolve: async (_root, { input }, ctx) => {
      const conversationId =
        input.conversation != null
          ? decodeId(String(input.conversation), 'Conversation', 'conversation')
          : null;
      const result = await recordConversation(ctx, ctx.actor, { ...input, conversationId });
      return { conversationId: result.conversation.id, replayed: result.replayed };
    },
  }),
);
