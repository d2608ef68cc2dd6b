import type { Prisma } from '../../db/generated/client.ts';
import { normalizePredicate } from '../../services/triples.ts';
import { builder } from '../builder.ts';
import { FactCategoryEnum, FactOrderEnum } from './enums.ts';

const factOrder: Record<'RECENT' | 'MENTIONS' | 'CREATED', Prisma.EntityFactOrderByWithRelationInput[]> = {
  RECENT: [{ lastMentionedAt: 'desc' }, { id: 'desc' }],
  MENTIONS: [{ mentionCount: 'desc' }, { lastMentionedAt: 'desc' }, { id: 'desc' }],
  CREATED: [{ createdAt: 'desc' }, { id: 'desc' }],
};

export const EntityNode = builder.prismaNode('Entity', {
  description: 'A person or thing memories are about, usually an end user of the assistant.',
  id: { field: 'id', description: 'Global id.' },
  fields: (t) => ({
    externalId: t.exposeString('externalId', {
      description: 'The caller’s own id for this entity (unique).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When Engram first heard of it.' }),
    facts: t.relatedConnection('facts', {
      cursor: 'id',
      description: 'What Engram remembers about the entity.',
      totalCount: true,
      args: {
        category: t.arg({
          type: FactCategoryEnum,
          required: false,
          description: 'Only facts of this category.',
        }),
        contains: t.arg.string({
          required: false,
          description: 'Only facts whose content contains this text.',
        }),
        orderBy: t.arg({
          type: FactOrderEnum,
          required: false,
          defaultValue: 'RECENT',
          description: 'Order of the facts.',
        }),
      },
      query: (args) => ({
        where: {
          ...(args.category ? { category: args.category } : {}),
          ...(args.contains ? { content: { contains: args.contains } } : {}),
        },
        orderBy: factOrder[args.orderBy ?? 'RECENT'],
      }),
    }),
    triples: t.relatedConnection('triples', {
      cursor: 'id',
      description: 'Subject–predicate–object statements about the entity, most recently mentioned first.',
      totalCount: true,
      args: {
        subject: t.arg.string({ required: false, description: 'Only triples with this subject name.' }),
        predicate: t.arg.string({ required: false, description: 'Only triples with this predicate name.' }),
        object: t.arg.string({ required: false, description: 'Only triples with this object name.' }),
      },
      query: (args) => ({
        where: {
          ...(args.subject ? { subject: { name: args.subject } } : {}),
          ...(args.predicate ? { predicate: { name: normalizePredicate(args.predicate) } } : {}),
          ...(args.object ? { object: { name: args.object } } : {}),
        },
        orderBy: [{ lastMentionedAt: 'desc' }, { id: 'desc' }],
      }),
    }),
    sessions: t.relatedConnection('sessions', {
      cursor: 'id',
      description: 'The entity’s sessions, newest first.',
      totalCount: true,
      query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    }),
  }),
});
