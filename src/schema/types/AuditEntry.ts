import type { AuditActorKind } from '../../db/enums.ts';
import { builder } from '../builder.ts';

export const AuditActorKindEnum = builder.enumType('AuditActorKind', {
  description: 'What kind of caller an audit entry’s actor is.',
  values: {
    KEY: { description: 'An API key (its name: `api-key-<n>` in API_KEYS order, or `development`).' },
    ENTITY: {
      description: 'An entity token (Engram’s own or the identity provider’s); the actor is its entity.',
    },
    SYSTEM: { description: 'Engram itself: `augmentation` for what the augmentation runner writes.' },
  } satisfies Record<AuditActorKind, { description: string }>,
});

/**
 * Not a Node on purpose: an audit entry is reachable only through the administrators' `auditLog`
 * and `auditLogged`, never through `node(id:)`.
 */
export const AuditEntryType = builder.prismaObject('AuditEntry', {
  description:
    'One operation in the audit log: who, what, when and from where. Ids and operation names only, never memory content.',
  authScopes: { admin: true },
  fields: (t) => ({
    id: t.exposeID('id', {
      description: 'The entry’s number, increasing in the order entries were written (not a global id).',
    }),
    at: t.expose('at', { type: 'DateTime', description: 'When the operation ran.' }),
    actorKind: t.expose('actorKind', { type: AuditActorKindEnum, description: 'What kind of caller.' }),
    actor: t.exposeString('actor', {
      description: 'Who: the API key’s name, the entity token’s entity external id, or `augmentation`.',
    }),
    action: t.exposeString('action', {
      description:
        'What: the mutation or administrative query (`rememberFact`, `entities`, `auditLog`...), `read` for an entity token’s query (with AUDIT_READS), or `augmentation`.',
    }),
    entity: t.exposeString('entityExternalId', {
      nullable: true,
      description: 'External id of the entity the operation concerned, if it concerned one.',
    }),
    target: t.exposeString('target', {
      nullable: true,
      description:
        'What it touched, space-separated: global ids (usable with `node(id:)` while they exist), the external id an administrative read named, or for `read` the root fields read.',
    }),
    address: t.exposeString('address', {
      nullable: true,
      description:
        'The client address (behind TRUST_PROXY, the last X-Forwarded-For hop); null for Engram itself.',
    }),
  }),
});
