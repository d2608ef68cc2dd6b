import { addTriples, forgetTriple } from '../../services/triples.ts';
import { builder } from '../builder.ts';
import { decodeId, MUTATION_ERRORS } from '../errors.ts';
import { ForgetSuccess } from './facts.ts';

const TripleInput = builder.inputType('TripleInput', {
  description: 'One subject–predicate–object statement.',
  fields: (t) => ({
    subject: t.string({ required: true, description: 'Subject name (whitespace is collapsed).' }),
    predicate: t.string({ required: true, description: 'Predicate; normalized to lower snake case.' }),
    object: t.string({ required: true, description: 'Object name (whitespace is collapsed).' }),
    subjectType: t.string({ required: false, description: 'Type of the subject (person, place...).' }),
    objectType: t.string({ required: false, description: 'Type of the object (person, place...).' }),
  }),
});

const AddTriplesInput = builder.inputType('AddTriplesInput', {
  description: 'Statements to add to an entity’s knowledge graph.',
  fields: (t) => ({
    entity: t.string({ required: true, description: 'External id of the entity (created on first use).' }),
    triples: t.field({ type: [TripleInput], required: true, description: 'The statements; no repeats.' }),
    source: t.id({ required: false, description: 'Global id of the message they came from (provenance).' }),
  }),
});

const AddTriplesSuccess = builder.objectRef<{ tripleIds: number[] }>('AddTriplesSuccess').implement({
  description: 'The triples were added or mentioned again.',
  fields: (t) => ({
    triples: t.prismaField({
      type: ['Triple'],
      description: 'The triples, in input order, with their mention counts.',
      resolve: async (query, parent, _args, ctx) => {
        const rows = await ctx.reader.triple.findMany({ ...query, where: { id: { in: parent.tripleIds } } });
        const byId = new Map(rows.map((row) => [row.id, row]));
        return parent.tripleIds.flatMap((id) => byId.get(id) ?? []);
      },
    }),
  }),
});

builder.mutationFields((t) => ({
  addTriples: t.field({
    type: AddTriplesSuccess,
    description:
      'Adds subject–predicate–object statements; names and repeated triples are deduplicated. Retrying is safe in that it never creates a second triple or name, but it is not idempotent: a retried call whose first attempt was stored counts one more mention of each triple (mentionCount + 1, lastMentionedAt moved, and with `source` one more provenance row).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'AddTriplesResult', description: 'The result, or the error the caller can fix.' },
    },
    args: { input: t.arg({ type: AddTriplesInput, required: true, description: 'The statements.' }) },
    resolve: async (_root, { input }, ctx) => {
      const sourceMessageId =
        input.source != null ? decodeId(String(input.source), 'Message', 'source') : null;
      const changes = await addTriples(ctx, ctx.actor, { ...input, sourceMessageId });
      return { tripleIds: changes.map((change) => change.triple.id) };
    },
  }),
  forgetTriple: t.field({
    type: ForgetSuccess,
    description: 'Deletes one triple of an entity (the shared names stay).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ForgetTripleResult', description: 'The result, or the error the caller can fix.' },
    },
    args: { id: t.arg.id({ required: true, description: 'Global id of the triple.' }) },
    resolve: async (_root, args, ctx) => {
      const id = String(args.id);
      const change = await forgetTriple(ctx, ctx.actor, decodeId(id, 'Triple', 'id'));
      return { id, entity: change.entity };
    },
  }),
}));
