import { factOrderBy, factsWhere } from '../../services/fact-reads.ts';
import { tripleOrderBy, triplesWhere } from '../../services/triple-reads.ts';
import { builder, maxPageSize } from '../builder.ts';
import { maxLength } from '../input-guard.ts';
import { totalCountField } from '../total-count.ts';
import { FactCategoryEnum, FactOrderEnum } from './enums.ts';

export const EntityNode = builder.prismaNode('Entity', {
  description: 'A person or thing memories are about, usually an end user of the assistant.',
  // Only an API key or the entity's own token (src/schema/authorization.ts).
  authScopes: (entity) => ({ entity: entity.id }),
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
        query: (args) => ({ where: factsWhere(args), orderBy: factOrderBy(args.orderBy) }),
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
        query: (args) => ({ where: triplesWhere(args), orderBy: tripleOrderBy() }),
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
