import type { ScopeLoaderMap } from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { isAdmin, mayAccessEntity } from '../auth/principal.ts';
import { createOwnership } from '../services/ownership.ts';
import type { Context } from './context.ts';

/**
 * The scopes the schema's types and fields declare (Pothos scope-auth). Isolation is declared
 * once per type, not checked in resolvers: every object type that holds an entity's memory names
 * the scope its owner must have (`authScopes` in src/schema/types/*.ts), so each such object
 * answers only an API key or its own entity's token, however it was reached (`node`, `nodes`, a
 * nested relation, a connection, a subscription event, a mutation payload). A new type without a
 * declaration fails tests/authorization.unit.test.ts; a new field that leaks fails the generated
 * leak test (tests/entity-isolation.test.ts).
 *
 * API keys pass every ownership scope without a lookup; an entity token's are answered by
 * src/services/ownership.ts, batched per request.
 */
export interface AuthScopes {
  /** Any API key (a server, not a frontend). */
  key: boolean;
  /** An API key of the admin role. */
  admin: boolean;
  /** May reach the memory of the entity with this external id. */
  externalId: string;
  /** ...of the entity with this row id. */
  entity: number;
  /** Owns the conversation with this id (and so its messages and jobs). */
  conversation: number;
  /** Owns the session with this global id or uuid. */
  session: string;
  fact: number;
  triple: number;
  /** Uses this shared subject, predicate or object name in a triple of its own. */
  subject: number;
  predicate: number;
  object: number;
  /** Has a session with this process. */
  process: number;
}

/** What each scope means for the request's principal (run once per request, loaders lazily). */
export function scopeLoaders(ctx: Context): ScopeLoaderMap<{ AuthScopes: AuthScopes } & never> {
  const { principal } = ctx;
  if (principal.kind === 'key') {
    return {
      key: true,
      admin: isAdmin(principal),
      externalId: true,
      entity: true,
      conversation: true,
      session: true,
      fact: true,
      triple: true,
      subject: true,
      predicate: true,
      object: true,
      process: true,
    } as never;
  }
  const owns = createOwnership(ctx.reader, principal.entityExternalId);
  return {
    key: false,
    admin: false,
    externalId: (externalId: string) => mayAccessEntity(principal, externalId),
    entity: owns.entity,
    conversation: owns.conversation,
    session: owns.session,
    fact: owns.fact,
    triple: owns.triple,
    subject: owns.subject,
    predicate: owns.predicate,
    object: owns.object,
    process: owns.process,
  } as never;
}

/** What a refused field or object answers: FORBIDDEN, with nothing about what was there. */
export function forbidden(): GraphQLError {
  return new GraphQLError('not allowed for this principal', {
    extensions: { code: 'FORBIDDEN' },
  });
}
