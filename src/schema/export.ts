import { JSONResolver } from 'graphql-scalars';
import { NotFoundError } from '../errors.ts';
import { exportEntity } from '../services/entity-export.ts';
import { auditedRead } from './audited-read.ts';
import { builder } from './builder.ts';

builder.addScalarType('JSON', JSONResolver, { description: 'Any JSON value.' });

builder.queryField('exportEntity', (t) =>
  t.field({
    type: 'JSON',
    nullable: true,
    description:
      'Everything Engram holds about one entity, as one JSON document (format `engram-entity-export`, version 1; see the README): sessions, conversations with summaries and messages, facts with mentions and embeddings, triples with their periods, augmentation jobs. Null when Engram has no memory of it. API keys, or the entity’s own token.',
    args: { externalId: t.arg.string({ required: true, description: 'The caller’s id for the entity.' }) },
    authScopes: (_root, args) => ({ externalId: args.externalId }),
    // Every export is recorded, whoever asks: it is the whole of someone's memory.
    extensions: auditedRead(undefined, 'externalId'),
    resolve: async (_root, args, ctx) => {
      try {
        return await exportEntity(ctx.reader, args.externalId);
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },
  }),
);
