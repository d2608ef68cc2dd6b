import { type ErasedCounts, eraseEntity } from '../../services/erase.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';

const EraseEntityInput = builder.inputType('EraseEntityInput', {
  description: 'Whose memory to erase.',
  fields: (t) => ({
    entity: t.string({ required: true, description: 'External id of the entity.' }),
  }),
});

const ErasedCountsRef = builder.objectRef<ErasedCounts>('ErasedCounts').implement({
  description: 'How many of each thing the erase deleted.',
  fields: (t) => ({
    messages: t.exposeInt('messages', { description: 'Messages of the entity’s conversations.' }),
    conversations: t.exposeInt('conversations', { description: 'Conversations, with their summaries.' }),
    sessions: t.exposeInt('sessions', { description: 'Sessions.' }),
    facts: t.exposeInt('facts', { description: 'Facts, with their provenance.' }),
    triples: t.exposeInt('triples', {
      description:
        'Triples, with their validity periods and provenance (names no other entity uses went too).',
    }),
    vectors: t.exposeInt('vectors', {
      description: 'Fact embeddings, gone from the vector index and from its snapshots on disk.',
    }),
    jobs: t.exposeInt('jobs', { description: 'Augmentation jobs, whatever their state.' }),
  }),
});

const EraseEntitySuccess = builder.objectRef<{ erased: ErasedCounts }>('EraseEntitySuccess').implement({
  description: 'The entity and everything Engram held about it are gone.',
  fields: (t) => ({
    erased: t.field({
      type: ErasedCountsRef,
      description: 'What was deleted.',
      resolve: (parent) => parent.erased,
    }),
  }),
});

builder.mutationField('eraseEntity', (t) =>
  t.field({
    type: EraseEntitySuccess,
    description:
      'Erases an entity and everything about it (GDPR erasure): messages, conversations, sessions, facts, triples, subject and object names no other entity uses, jobs, its vectors in the index and in every snapshot on disk, and its texts in the embedding cache. It cannot be undone. Admin and service keys; an entity token with WRITE for its own entity when ERASE_BY_ENTITY_TOKEN is on. NOT_FOUND when there is no such entity.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'EraseEntityResult', description: 'What was erased, or the error the caller can fix.' },
    },
    args: { input: t.arg({ type: EraseEntityInput, required: true, description: 'The entity.' }) },
    resolve: async (_root, { input }, ctx) => ({ erased: await eraseEntity(ctx, ctx.actor, input) }),
  }),
);
