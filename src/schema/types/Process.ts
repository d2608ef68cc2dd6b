import { builder, maxPageSize } from '../builder.ts';
import { totalCountField } from '../total-count.ts';

export const ProcessNode = builder.prismaNode('Process', {
  description: 'An agent or application that talks with entities (an assistant, a bot).',
  // Shared by entities: an entity token sees the processes it has sessions with, not their lists.
  authScopes: (process) => ({ process: process.id }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    externalId: t.exposeString('externalId', {
      description: 'The caller’s own id for this process (unique).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When Engram first heard of it.' }),
    attributes: t.relatedConnection(
      'attributes',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description: 'Attributes learned about the process, most mentioned first (API keys only).',
        authScopes: { key: true },
        query: () => ({ orderBy: [{ mentionCount: 'desc' }, { id: 'asc' }] }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t) }) },
    ),
    sessions: t.relatedConnection(
      'sessions',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description:
          'Sessions with this process, newest first (API keys only: they are other entities’ too).',
        authScopes: { key: true },
        query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t) }) },
    ),
  }),
});

builder.prismaObject('ProcessAttribute', {
  description: 'Something learned about a process, counted each time it is seen again.',
  authScopes: { key: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Attribute name.' }),
    value: t.exposeString('value', { description: 'Attribute value.' }),
    mentionCount: t.exposeInt('mentionCount', { description: 'How many times it was seen.' }),
    lastMentionedAt: t.expose('lastMentionedAt', { type: 'DateTime', description: 'When it was last seen.' }),
  }),
});
