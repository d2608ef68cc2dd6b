import { filter, pipe } from 'graphql-yoga';
import { auditWhere, matchesAudit } from '../services/audit.ts';
import { auditedRead } from './audited-read.ts';
import { builder, maxPageSize } from './builder.ts';
import { maxLength } from './input-guard.ts';
import { AuditEntryType } from './types/AuditEntry.ts';

/** The filter arguments `auditLog` and `auditLogged` share. */
const filterArgs = builder.args((t) => ({
  entity: t.string({
    required: false,
    description: 'Only entries concerning this entity (external id).',
    extensions: maxLength(255),
  }),
  actor: t.string({
    required: false,
    description: 'Only entries by this actor: an API key’s name (`api-key-2`), or an entity token’s entity.',
    extensions: maxLength(255),
  }),
  action: t.string({
    required: false,
    description: 'Only entries of this operation (`rememberFact`, `forgetFact`, `read`...).',
    extensions: maxLength(64),
  }),
}));

builder.queryFields((t) => ({
  auditLog: t.prismaConnection({
    type: 'AuditEntry',
    cursor: 'id',
    maxSize: maxPageSize,
    totalCount: (_connection, args, ctx) => ctx.reader.auditEntry.count({ where: auditWhere(args) }),
    description:
      'The audit log, newest first (administrators only): every write and every administrative read, with who, what, when and from where. Reading it is recorded too.',
    extensions: auditedRead('entity'),
    args: {
      ...filterArgs,
      since: t.arg({
        type: 'DateTime',
        required: false,
        description: 'Only entries at or after this instant.',
      }),
      until: t.arg({ type: 'DateTime', required: false, description: 'Only entries before this instant.' }),
    },
    // Declared on the field, so it holds for `totalCount` asked alone too (answered without `resolve`).
    authScopes: { admin: true },
    resolve: (query, _root, args, ctx) =>
      ctx.reader.auditEntry.findMany({ ...query, where: auditWhere(args), orderBy: { id: 'desc' } }),
  }),
}));

builder.subscriptionFields((t) => ({
  auditLogged: t.field({
    type: AuditEntryType,
    description: 'Audit entries as they are committed (administrators only), filtered as `auditLog` is.',
    args: filterArgs,
    authScopes: { admin: true },
    subscribe: (_root, args, ctx) =>
      pipe(
        ctx.events.subscribe('audit-logged'),
        filter((entry) => matchesAudit(entry, args)),
      ),
    resolve: (entry) => entry,
  }),
}));
