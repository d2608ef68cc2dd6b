import { builder, maxPageSize } from '../builder.ts';
import { totalCountField } from '../total-count.ts';

export const SessionNode = builder.prismaNode('Session', {
  description: 'One entity talking with one process; holds conversations.',
  authScopes: (session) => ({ entity: session.entityId }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    uuid: t.exposeString('uuid', {
      description: 'The session’s uuid, usable as `session` in recordConversation.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the session started.' }),
    entity: t.relation('entity', { description: 'Who the session is with.' }),
    process: t.relation('process', { description: 'Which agent or application.' }),
    conversations: t.relatedConnection(
      'conversations',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description: 'Conversations of the session, newest first.',
        query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t) }) },
    ),
  }),
});
