import { builder, maxPageSize } from '../builder.ts';
import { totalCountField } from '../total-count.ts';
import { FactCategoryEnum } from './enums.ts';

export const FactNode = builder.prismaNode('EntityFact', {
  name: 'Fact',
  description: 'Something remembered about an entity, deduplicated by content and counted per mention.',
  authScopes: (fact) => ({ entity: fact.entityId }),
  id: { field: 'id', description: 'Global id.' },
  // node(id) of a row that does not exist (any more) is null, not an error.
  nullable: true,
  fields: (t) => ({
    content: t.exposeString('content', { description: 'The fact, as first remembered.' }),
    category: t.expose('category', { type: FactCategoryEnum, description: 'What kind of memory it is.' }),
    mentionCount: t.exposeInt('mentionCount', { description: 'How many times it was remembered.' }),
    lastMentionedAt: t.expose('lastMentionedAt', {
      type: 'DateTime',
      description: 'When it was last mentioned.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was first remembered.' }),
    entity: t.relation('entity', { description: 'Who the fact is about.' }),
    mentions: t.relatedConnection(
      'mentions',
      {
        cursor: 'id',
        totalCount: true,
        maxSize: maxPageSize,
        description: 'Where the fact was said (provenance), newest first.',
        query: () => ({ orderBy: [{ id: 'desc' }] }),
      },
      { fields: (t) => ({ totalCount: totalCountField(t) }) },
    ),
  }),
});

builder.prismaObject('FactMention', {
  description: 'One mention of a fact, pointing at the message it came from when known.',
  authScopes: (mention) => ({ fact: mention.factId }),
  fields: (t) => ({
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was mentioned.' }),
    message: t.relation('message', { nullable: true, description: 'The message it came from.' }),
    conversation: t.relation('conversation', {
      nullable: true,
      description: 'The conversation it came from.',
    }),
  }),
});
