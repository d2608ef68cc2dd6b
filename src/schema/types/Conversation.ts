import { builder, maxPageSize } from '../builder.ts';
import { totalCountField } from '../total-count.ts';
import { MessageRoleEnum } from './enums.ts';

export const ConversationNode = builder.prismaNode('Conversation', {
  description: 'A run of messages inside a session.',
  id: { field: 'id', description: 'Global id.' },
  fields: (t) => ({
    summary: t.exposeString('summary', { nullable: true, description: 'A short summary, when one exists.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the conversation started.' }),
    session: t.relation('session', { description: 'The session it belongs to.' }),
    messages: t.relatedConnection(
      'messages',
      {
        cursor: 'id',
        maxSize: maxPageSize,
        description: 'Messages in the order they were said.',
        query: () => ({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t, 'conversationMessage', 'conversationId') }) },
    ),
  }),
});

export const MessageNode = builder.prismaNode('ConversationMessage', {
  name: 'Message',
  description: 'One message of a conversation.',
  id: { field: 'id', description: 'Global id.' },
  fields: (t) => ({
    role: t.expose('role', { type: MessageRoleEnum, description: 'Who said it.' }),
    type: t.exposeString('type', { description: 'Content type; `text` unless the caller said otherwise.' }),
    content: t.exposeString('content', { description: 'What was said.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was recorded.' }),
    conversation: t.relation('conversation', { description: 'The conversation it belongs to.' }),
  }),
});
