import type { ChangeKind } from '../../events/pubsub.ts';
import { forgetFact, rememberFact } from '../../services/facts.ts';
import { builder } from '../builder.ts';
import { decodeId, MUTATION_ERRORS } from '../errors.ts';
import { ChangeKindEnum, FactCategoryEnum } from '../types/enums.ts';

const RememberFactInput = builder.inputType('RememberFactInput', {
  description: 'A fact to remember about an entity.',
  fields: (t) => ({
    entity: t.string({ required: true, description: 'External id of the entity (created on first use).' }),
    content: t.string({ required: true, description: 'The fact (not empty; at most MAX_CONTENT_LENGTH).' }),
    category: t.field({
      type: FactCategoryEnum,
      required: false,
      description: 'What kind of memory. @default FACT',
    }),
    source: t.id({
      required: false,
      description: 'Global id of the message the fact came from (provenance).',
    }),
    embedding: t.floatList({
      required: false,
      description:
        'Your own embedding of the content (VECTOR_DIMENSIONS numbers, stored unit-length); without it the configured model embeds the content.',
    }),
    embeddingModel: t.string({
      required: false,
      description: 'Names the model of your embedding. @default "external"',
    }),
  }),
});

const RememberFactSuccess = builder
  .objectRef<{ factId: number; kind: ChangeKind }>('RememberFactSuccess')
  .implement({
    description: 'The fact was remembered, new or once more.',
    fields: (t) => ({
      kind: t.expose('kind', {
        type: ChangeKindEnum,
        description:
          'CREATED the first time; MENTIONED after, or when it is a near-duplicate of an existing fact.',
      }),
      fact: t.prismaField({
        type: 'EntityFact',
        description: 'The fact, with its mention count.',
        resolve: (query, parent, _args, ctx) =>
          ctx.reader.entityFact.findUniqueOrThrow({ ...query, where: { id: parent.factId } }),
      }),
    }),
  });

const ForgetSuccess = builder.objectRef<{ id: string; entity: string }>('ForgetSuccess').implement({
  description: 'The fact or triple was deleted.',
  fields: (t) => ({
    forgottenId: t.exposeID('id', { description: 'Global id of what was deleted.' }),
    entity: t.prismaField({
      type: 'Entity',
      nullable: true,
      description: 'The entity it belonged to.',
      resolve: (query, parent, _args, ctx) =>
        ctx.reader.entity.findUnique({ ...query, where: { externalId: parent.entity } }),
    }),
  }),
});

export { ForgetSuccess };

builder.mutationFields((t) => ({
  rememberFact: t.field({
    type: RememberFactSuccess,
    description:
      'Remembers a fact. The same content again for the same entity adds a mention instead of a new fact. Retrying is safe in that it never creates a second fact, but it is not idempotent: a retried call whose first attempt was stored counts one more mention (mentionCount + 1, lastMentionedAt moved, and with `source` one more provenance row).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RememberFactResult', description: 'The result, or the error the caller can fix.' },
    },
    args: { input: t.arg({ type: RememberFactInput, required: true, description: 'The fact.' }) },
    resolve: async (_root, { input }, ctx) => {
      const sourceMessageId =
        input.source != null ? decodeId(String(input.source), 'Message', 'source') : null;
      const change = await rememberFact(ctx, ctx.actor, { ...input, sourceMessageId });
      return { factId: change.fact.id, kind: change.kind };
    },
  }),
  forgetFact: t.field({
    type: ForgetSuccess,
    description: 'Deletes a fact and its provenance.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ForgetFactResult', description: 'The result, or the error the caller can fix.' },
    },
    args: { id: t.arg.id({ required: true, description: 'Global id of the fact.' }) },
    resolve: async (_root, args, ctx) => {
      const id = String(args.id);
      const change = await forgetFact(ctx, ctx.actor, decodeId(id, 'Fact', 'id'));
      return { id, entity: change.entity };
    },
  }),
}));
