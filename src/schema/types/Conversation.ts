import { augmentationStatus } from '../../services/augmentation.ts';
import { builder, maxPageSize } from '../builder.ts';
import { totalCountField } from '../total-count.ts';
import { JobStatusEnum } from './AugmentationJob.ts';
import { MessageRoleEnum } from './enums.ts';

export const ConversationNode = builder.prismaNode('Conversation', {
  description: 'A run of messages inside a session.',
  authScopes: (conversation) => ({ conversation: conversation.id }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    summary: t.exposeString('summary', {
      nullable: true,
      description:
        'A short summary: written by augmentation (an LLM, or extractive without one) or given by the caller.',
    }),
    augmentationStatus: t.field({
      type: JobStatusEnum,
      nullable: true,
      description:
        'Augmentation of the conversation as a whole: PARKED if any job is, else RUNNING or PENDING while any is, else DONE; null when none was enqueued.',
      select: { jobs: { select: { status: true } } },
      resolve: (conversation) => augmentationStatus(conversation.jobs),
    }),
    augmentationJobs: t.relation('jobs', {
      description: 'Its augmentation jobs, oldest first (at most MAX_PAGE_SIZE of them: the oldest).',
      // Bounded, so the query cost estimate (which counts a list as MAX_PAGE_SIZE items) holds.
      query: (_args, ctx) => ({ orderBy: { id: 'asc' }, take: ctx.maxPageSize }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the conversation started.' }),
    session: t.relation('session', { description: 'The session it belongs to.' }),
    messages: t.relatedConnection(
      'messages',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description: 'Messages in the order they were said.',
        query: () => ({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
      },
      {
        fields: (t) => ({
          totalCount: totalCountField(t),
        }),
      },
    ),
  }),
});

export const MessageNode = builder.prismaNode('ConversationMessage', {
  name: 'Message',
  description: 'One message of a conversation.',
  authScopes: (message) => ({ conversation: message.conversationId }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    role: t.expose('role', { type: MessageRoleEnum, description: 'Who said it.' }),
    type: t.exposeString('type', { description: 'Content type; `text` unless the caller said otherwise.' }),
    content: t.exposeString('content', { description: 'What was said.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was recorded.' }),
    conversation: t.relation('conversation', { description: 'The conversation it belongs to.' }),
  }),
});
