import { GraphQLError } from 'graphql';
import type { FactChangedEvent, TripleChangedEvent } from '../events/pubsub.ts';
import { sessionWhere } from '../services/sessions.ts';
import { builder } from './builder.ts';
import { AugmentationJobNode } from './types/AugmentationJob.ts';
import { MessageNode } from './types/Conversation.ts';
import { ChangeKindEnum } from './types/enums.ts';
import { FactNode } from './types/Fact.ts';
import { TripleNode } from './types/Triple.ts';

const FactChanged = builder.objectRef<FactChangedEvent>('FactChangedEvent').implement({
  description: 'A fact was created, mentioned again or forgotten.',
  fields: (t) => ({
    kind: t.expose('kind', { type: ChangeKindEnum, description: 'What happened.' }),
    fact: t.field({
      type: FactNode,
      description: 'The fact as it is after the change (as it was, when forgotten).',
      resolve: (event) => event.fact,
    }),
  }),
});

const TripleChanged = builder.objectRef<TripleChangedEvent>('TripleChangedEvent').implement({
  description: 'A triple was created, mentioned again or forgotten.',
  fields: (t) => ({
    kind: t.expose('kind', { type: ChangeKindEnum, description: 'What happened.' }),
    triple: t.field({
      type: TripleNode,
      description: 'The triple as it is after the change (as it was, when forgotten).',
      resolve: (event) => event.triple,
    }),
  }),
});

builder.subscriptionFields((t) => ({
  messageAdded: t.field({
    type: MessageNode,
    description: 'Messages recorded in one session, as they are stored.',
    args: { session: t.arg.id({ required: true, description: 'A Session global id or the session uuid.' }) },
    authScopes: (_root, args) => ({ session: String(args.session) }),
    subscribe: async (_root, args, ctx) => {
      const session = await ctx.reader.session.findUnique({
        where: sessionWhere(String(args.session)),
        select: { id: true },
      });
      if (!session) {
        throw new GraphQLError(`Session ${args.session} was not found`, {
          extensions: { code: 'NOT_FOUND' },
        });
      }
      return ctx.events.subscribe('message-added', session.id);
    },
    resolve: (message) => message,
  }),
  factChanged: t.field({
    type: FactChanged,
    description: 'Changes to one entity’s facts (the entity need not exist yet).',
    args: { entity: t.arg.string({ required: true, description: 'External id of the entity.' }) },
    authScopes: (_root, args) => ({ externalId: args.entity }),
    subscribe: (_root, args, ctx) => ctx.events.subscribe('fact-changed', args.entity),
    resolve: (event) => event,
  }),
  augmentationCompleted: t.field({
    type: AugmentationJobNode,
    description: 'Augmentation jobs of one entity as they complete (their facts and triples are written).',
    args: { entity: t.arg.string({ required: true, description: 'External id of the entity.' }) },
    authScopes: (_root, args) => ({ externalId: args.entity }),
    subscribe: (_root, args, ctx) => ctx.events.subscribe('augmentation-completed', args.entity),
    resolve: (job) => job,
  }),
  tripleChanged: t.field({
    type: TripleChanged,
    description: 'Changes to one entity’s triples (the entity need not exist yet).',
    args: { entity: t.arg.string({ required: true, description: 'External id of the entity.' }) },
    authScopes: (_root, args) => ({ externalId: args.entity }),
    subscribe: (_root, args, ctx) => ctx.events.subscribe('triple-changed', args.entity),
    resolve: (event) => event,
  }),
}));
