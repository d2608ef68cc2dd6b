import { builder } from '../builder.ts';

export const TripleNode = builder.prismaNode('Triple', {
  description: 'A subject–predicate–object statement about an entity, counted per mention.',
  authScopes: (triple) => ({ entity: triple.entityId }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    subject: t.relation('subject', { description: 'What the statement is about.' }),
    predicate: t.relation('predicate', { description: 'The relation (lives_in, works_at, likes...).' }),
    object: t.relation('object', { description: 'The other end of the relation.' }),
    mentionCount: t.exposeInt('mentionCount', { description: 'How many times it was stated.' }),
    lastMentionedAt: t.expose('lastMentionedAt', {
      type: 'DateTime',
      description: 'When it was last stated.',
    }),
    validFrom: t.expose('validFrom', {
      type: 'DateTime',
      description: 'Since when it holds (the start of its latest period).',
    }),
    validTo: t.expose('validTo', {
      type: 'DateTime',
      nullable: true,
      description: 'Until when it held; null while it still holds.',
    }),
    earlierPeriods: t.relation('intervals', {
      description:
        'Earlier periods in which it held, oldest first (at most MAX_PAGE_SIZE of them: the oldest): a statement that was superseded and later said again (lives in Porto, then Madrid, then Porto again).',
      // Bounded, so the query cost estimate (which counts a list as MAX_PAGE_SIZE items) holds.
      query: (_args, ctx) => ({ orderBy: [{ validFrom: 'asc' }, { id: 'asc' }], take: ctx.maxPageSize }),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was first stated.' }),
    entity: t.relation('entity', { description: 'Whose memory it belongs to.' }),
  }),
});

builder.prismaObject('TripleInterval', {
  name: 'TriplePeriod',
  description: 'A closed period in which a triple held.',
  authScopes: (period) => ({ triple: period.tripleId }),
  fields: (t) => ({
    validFrom: t.expose('validFrom', { type: 'DateTime', description: 'When it started to hold.' }),
    validTo: t.expose('validTo', { type: 'DateTime', description: 'When it stopped holding.' }),
  }),
});

export const SubjectNode = builder.prismaNode('TripleSubject', {
  description: 'A subject name of the knowledge graph, shared by every triple that uses it.',
  // Shared: an entity token sees the names its own triples use.
  authScopes: (subject) => ({ subject: subject.id }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name.' }),
    type: t.exposeString('type', { nullable: true, description: 'Its type (person, place...), when known.' }),
  }),
});

export const PredicateNode = builder.prismaNode('TriplePredicate', {
  description: 'A predicate name of the knowledge graph (lower snake case).',
  authScopes: (predicate) => ({ predicate: predicate.id }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name.' }),
  }),
});

export const ObjectNode = builder.prismaNode('TripleObject', {
  description: 'An object name of the knowledge graph, shared by every triple that uses it.',
  authScopes: (object) => ({ object: object.id }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name.' }),
    type: t.exposeString('type', { nullable: true, description: 'Its type (person, place...), when known.' }),
  }),
});
