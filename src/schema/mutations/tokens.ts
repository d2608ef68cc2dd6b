import { TOKEN_SCOPES } from '../../auth/principal.ts';
import { type EntityTokenGrant, issueEntityToken } from '../../services/tokens.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';

export const TokenScopeEnum = builder.enumType('TokenScope', {
  description: 'What an entity token allows on its entity.',
  values: {
    READ: { value: TOKEN_SCOPES[0], description: 'Queries and subscriptions over the entity’s memory.' },
    WRITE: {
      value: TOKEN_SCOPES[1],
      description: 'Mutations that write to (or forget from) the entity’s memory.',
    },
  } as const,
});

const IssueEntityTokenInput = builder.inputType('IssueEntityTokenInput', {
  description: 'Whose memory the token opens, for how long, and for what.',
  fields: (t) => ({
    entity: t.string({ required: true, description: 'External id of the entity (it need not exist yet).' }),
    ttlSeconds: t.int({
      required: false,
      description:
        'Lifetime in seconds (at most ENTITY_TOKEN_MAX_TTL_SECONDS). @default ENTITY_TOKEN_TTL_SECONDS (900)',
    }),
    scopes: t.field({
      type: [TokenScopeEnum],
      required: false,
      description: 'What the token allows. @default [READ, WRITE]',
    }),
  }),
});

const IssueEntityTokenSuccess = builder.objectRef<EntityTokenGrant>('IssueEntityTokenSuccess').implement({
  description:
    'A signed token: send it as `Authorization: Bearer <token>` (or the graphql-ws `authorization` param).',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The token (a JWT signed with ENTITY_TOKEN_SECRET).' }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      description: 'When it stops being accepted; sockets opened with it are closed then (code 4401).',
    }),
    entity: t.exposeString('entity', { description: 'The entity whose memory it opens.' }),
    scopes: t.field({
      type: [TokenScopeEnum],
      description: 'What it allows.',
      resolve: (grant) => grant.scopes,
    }),
  }),
});

builder.mutationField('issueEntityToken', (t) =>
  t.field({
    type: IssueEntityTokenSuccess,
    description:
      'Issues a short-lived token that opens one entity’s memory and nothing else, for a frontend to call Engram directly (admin and service keys only). Any replica with the same ENTITY_TOKEN_SECRET verifies it without a database lookup.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'IssueEntityTokenResult', description: 'The token, or the error the caller can fix.' },
    },
    args: { input: t.arg({ type: IssueEntityTokenInput, required: true, description: 'The grant.' }) },
    resolve: (_root, { input }, ctx) => issueEntityToken(ctx, ctx.actor, input),
  }),
);
