import { escapeLike } from '../db/like.ts';
import { sessionWhere } from '../services/sessions.ts';
import { auditedRead } from './audited-read.ts';
import { builder, maxPageSize } from './builder.ts';
import { maxLength } from './input-guard.ts';

builder.queryFields((t) => ({
  entity: t.prismaField({
    type: 'Entity',
    nullable: true,
    description: 'One entity by the caller’s external id; null when Engram has no memory of it.',
    args: { externalId: t.arg.string({ required: true, description: 'The caller’s id for the entity.' }) },
    authScopes: (_root, args) => ({ externalId: args.externalId }),
    resolve: (query, _root, args, ctx) =>
      ctx.reader.entity.findUnique({ ...query, where: { externalId: args.externalId } }),
  }),
  entities: t.prismaConnection({
    type: 'Entity',
    cursor: 'id',
    maxSize: maxPageSize,
    totalCount: (_connection, args, ctx) => ctx.reader.entity.count({ where: entitiesWhere(args) }),
    description: 'All entities, newest first (administrators only).',
    extensions: auditedRead(),
    args: {
      externalIdPrefix: t.arg.string({
        required: false,
        description: 'Only external ids starting with this text, literally (at most 255 characters).',
        extensions: maxLength(255),
      }),
      createdAfter: t.arg({
        type: 'DateTime',
        required: false,
        description: 'Only entities created after this.',
      }),
      createdBefore: t.arg({
        type: 'DateTime',
        required: false,
        description: 'Only entities created before this.',
      }),
    },
    authScopes: { admin: true },
    resolve: (query, _root, args, ctx) =>
      ctx.reader.entity.findMany({ ...query, where: entitiesWhere(args), orderBy: { id: 'desc' } }),
  }),
  process: t.prismaField({
    type: 'Process',
    nullable: true,
    description: 'One process (agent or application) by its external id (administrators only).',
    extensions: auditedRead('externalId'),
    args: { externalId: t.arg.string({ required: true, description: 'The caller’s id for the process.' }) },
    authScopes: { admin: true },
    resolve: (query, _root, args, ctx) =>
      ctx.reader.process.findUnique({ ...query, where: { externalId: args.externalId } }),
  }),
  session: t.prismaField({
    type: 'Session',
    nullable: true,
    description: 'One session by its global id or its uuid.',
    args: { id: t.arg.id({ required: true, description: 'A Session global id, or the session uuid.' }) },
    // Whose session it is, the Session type checks (src/schema/types/Session.ts).
    resolve: (query, _root, args, ctx) =>
      ctx.reader.session.findUnique({ ...query, where: sessionWhere(String(args.id)) }),
  }),
}));

function entitiesWhere(args: {
  externalIdPrefix?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}) {
  return {
    ...(args.externalIdPrefix ? { externalId: { startsWith: escapeLike(args.externalIdPrefix) } } : {}),
    ...(args.createdAfter || args.createdBefore
      ? {
          createdAt: {
            ...(args.createdAfter ? { gt: args.createdAfter } : {}),
            ...(args.createdBefore ? { lt: args.createdBefore } : {}),
          },
        }
      : {}),
  };
}
