import type { FactCategory, MessageRole } from '../../db/enums.ts';
import type { FactOrder } from '../../services/fact-reads.ts';
import { builder } from '../builder.ts';

export const FactCategoryEnum = builder.enumType('FactCategory', {
  description: 'What kind of memory a fact is.',
  values: {
    FACT: { description: 'Something true about the entity ("lives in Lisbon").' },
    PREFERENCE: { description: 'A like, dislike or wish ("prefers green tea").' },
    SKILL: { description: 'Something the entity can do ("speaks Portuguese").' },
    RELATIONSHIP: { description: 'A person or thing the entity is related to ("sister Anna").' },
    ATTRIBUTE: { description: 'A property of the entity ("is vegetarian", "born in 1990").' },
  } satisfies Record<FactCategory, { description: string }>,
});

export const MessageRoleEnum = builder.enumType('MessageRole', {
  description: 'Who said a message.',
  values: {
    USER: { description: 'The end user (the entity).' },
    ASSISTANT: { description: 'The assistant (the process).' },
    SYSTEM: { description: 'A system prompt or instruction.' },
    TOOL: { description: 'A tool call result.' },
  } satisfies Record<MessageRole, { description: string }>,
});

export const ChangeKindEnum = builder.enumType('ChangeKind', {
  description: 'What happened to a fact or triple.',
  values: {
    CREATED: { description: 'It was remembered for the first time.' },
    MENTIONED: { description: 'It was said again: its mention count went up.' },
    FORGOTTEN: { description: 'It was deleted.' },
    SUPERSEDED: {
      description:
        'A triple stopped holding: a newer one with the same subject and functional predicate replaced it.',
    },
  },
});

export const FactOrderEnum = builder.enumType('FactOrder', {
  description: 'How to order an entity’s facts.',
  values: {
    RECENT: { description: 'Most recently mentioned first.' },
    MENTIONS: { description: 'Most mentioned first, then most recently mentioned.' },
    CREATED: { description: 'Newest first.' },
  } satisfies Record<FactOrder, { description: string }>,
});
