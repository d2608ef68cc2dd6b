import type { Prisma } from '../../db/generated/client.ts';
import { escapeLike } from '../../db/like.ts';
import { normalizePredicate } from '../../services/triples.ts';
import { normalizeGraphName } from '../../services/validation.ts';
import { builder, maxPageSize } from '../builder.ts';
import { maxLength } from '../input-guard.ts';
import { totalCountField } from '../total-count.ts';
import { FactCategoryEnum, FactOrderEnum } from './enums.ts';

const factOrder: Record<'RECENT' | 'MENTIONS' | 'CREATED', Prisma.EntityFactOrderByWithRelationInput[]> = {
  RECENT: [{ lastMentionedAt: 'desc' }, { id: 'desc' }],
  MENTIONS: [{ mentionCount: 'desc' }, { lastMentionedAt: 'desc' }, { id: 'desc' }],
  CREATED: [{ createdAt: 'desc' }, { id: 'desc' }],
};

function factsWhere(args: {
  category?: string | null;
  contains?: string | null;
}): Prisma.EntityFactWhereInput {
  return {
    ...(args.category ? { category: args.category as Prisma.EntityFactWhereInput['category'] } : {}),
    // Literal text: `%` and `_` are not wildcards (src/db/like.ts).
    ...(args.contains ? { content: { contains: escapeLike(args.contains) } } : {}),
  };
}

function triplesWhere(args: {
  subject?: string | null;
  predicate?: string | null;
  object?: string | null;
  asOf?: Date | null;
  includeHistory?: boolean | null;
}): Prisma.TripleWhereInput {
  // As of a moment: what held then, in its current period or an earlier one. Otherwise what
  // holds now, unless the history is asked for.
  const validity: Prisma.TripleWhereInput = args.asOf
    ? {
        OR: [
          { validFrom: { lte: args.asOf }, OR: [{ validTo: null }, { validTo: { gt: args.asOf } }] },
          { intervals: { some: { validFrom: { lte: args.asOf }, validTo: { gt: args.asOf } } } },
        ],
      }
    : args.includeHistory
      ? {}
      : { validTo: null };
  return {
    ...validity,
    // Names are matched as they are stored (src/services/validation.ts).
    ...(args.subject ? { subject: { name: normalizeGraphName(args.subject) } } : {}),
    ...(args.predicate ? { predicate: { name: normalizePredicate(args.predicate) } } : {}),
    ...(args.object ? { object: { name: normalizeGraphName(args.object) } } : {}),
  };
}

export const EntityNode = builder.prismaNode('Entity', {
  description: 'A person or thing memories are about, usually an end user of the assistant.',
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    externalId: t.exposeString('externalId', {
      description: 'The caller’s own id for this entity (unique).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When Engram first heard of it.' }),
    facts: t.relatedConnection(
      'facts',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description: 'What Engram remembers about the entity.',
        args: {
          category: t.arg({
            type: FactCategoryEnum,
            required: false,
            description: 'Only facts of this category.',
          }),
          contains: t.arg.string({
            required: false,
            description: 'Only facts whose content contains this text, literally (at most 1000 characters).',
            extensions: maxLength(1000),
          }),
          orderBy: t.arg({
            type: FactOrderEnum,
            required: false,
            defaultValue: 'RECENT',
            description: 'Order of the facts.',
          }),
        },
        query: (args) => ({ where: factsWhere(args), orderBy: factOrder[args.orderBy ?? 'RECENT'] }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t) }) },
    ),
    triples: t.relatedConnection(
      'triples',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description:
          'Subject–predicate–object statements about the entity that hold now (or at `asOf`), most recently mentioned first.',
        args: {
          subject: t.arg.string({
            required: false,
            description: 'Only triples with this subject name.',
            extensions: maxLength(500),
          }),
          predicate: t.arg.string({
            required: false,
            description: 'Only triples with this predicate name.',
            extensions: maxLength(500),
          }),
          object: t.arg.string({
            required: false,
            description: 'Only triples with this object name.',
            extensions: maxLength(500),
          }),
          asOf: t.arg({
            type: 'DateTime',
            required: false,
            description: 'The triples that held at this moment (superseded ones included). @default now',
          }),
          includeHistory: t.arg.boolean({
            required: false,
            description: 'Without asOf: also the triples that no longer hold. @default false',
          }),
        },
        query: (args) => ({
          where: triplesWhere(args),
          orderBy: [{ lastMentionedAt: 'desc' }, { id: 'desc' }],
        }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t) }) },
    ),
    sessions: t.relatedConnection(
      'sessions',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description: 'The entity’s sessions, newest first.',
        query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t) }) },
    ),
  }),
});
