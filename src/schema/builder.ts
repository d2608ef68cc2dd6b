import SchemaBuilder, { PothosValidationError } from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin, { resolveNodes } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { type GraphQLResolveInfo, isObjectType } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import type PrismaTypes from '../db/generated/pothos-types.ts';
import { getDatamodel } from '../db/generated/pothos-types.ts';
import { parseGlobalId } from '../services/global-id.ts';
import { type AuthScopes, forbidden, scopeLoaders } from './authorization.ts';
import type { Context } from './context.ts';
import InputGuardPlugin from './input-guard.ts';

/**
 * What a global id that Engram could not have issued decodes to: no type has this name, so
 * `node`/`nodes` answer null for it (see {@link loadable}).
 */
const NOT_AN_ID = { typename: '', id: '0' };

/** Whether a decoded global id names a Node type of the schema (and so can be loaded). */
function loadable(globalId: { typename: string } | null | undefined, info: GraphQLResolveInfo): boolean {
  if (!globalId?.typename) return false;
  const type = info.schema.getType(globalId.typename);
  return isObjectType(type) && type.getInterfaces().some((node) => node.name === 'Node');
}

/** Pothos' node loading (batched per type, cached per request); null entries stay null. */
function loadNodes(
  ctx: Context,
  info: GraphQLResolveInfo,
  ids: ({ typename: string; id: unknown } | null)[],
): Promise<unknown[]> {
  return resolveNodes(builder as never, ctx, info, ids as never) as Promise<unknown[]>;
}

/**
 * A resolver handed a Prisma `query` it does not spread loads its relation again, row by row (an
 * N+1) or whole: outside production that is an error, so the tests catch it. The schema is built
 * at import time, before the configuration is parsed, so this reads NODE_ENV itself (unset is
 * development, as in src/config/environment.ts).
 */
const unusedQuery = process.env.NODE_ENV === 'production' ? null : ('error' as const);

/** Connections never return more than MAX_PAGE_SIZE edges, whatever `first` asks. */
export const maxPageSize = (_args: unknown, ctx: Context) => ctx.maxPageSize;

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: { DateTime: { Input: Date; Output: Date }; JSON: { Input: unknown; Output: unknown } };
  AuthScopes: AuthScopes;
}>({
  // The input guard sits inside the errors plugin, so a mutation's refused input is its
  // ValidationError result, and outside the others, so it runs before any query is built.
  // Scope auth first, so no other plugin's wrapper runs before a field's authorization.
  plugins: [ScopeAuthPlugin, ErrorsPlugin, InputGuardPlugin, PrismaPlugin, RelayPlugin],
  scopeAuth: {
    authScopes: scopeLoaders as never,
    // An object its caller may not see is refused whole (null in a nullable place), not field by
    // field: `node(id:) { __typename }` does not tell that another entity's row exists.
    runScopesOnType: true,
    // A subscription is refused when it is set up, before it hears any event.
    authorizeOnSubscribe: true,
    unauthorizedError: () => forbidden(),
  },
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.reader,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    defaultConnectionSize: 20,
    onUnusedQuery: unusedQuery,
  },
  relay: {
    clientMutationId: 'omit',
    // Strict, as everywhere (src/services/global-id.ts): `Fact:1e0` or `Fact:01` load nothing.
    decodeGlobalID: (globalID) => {
      const parsed = parseGlobalId(globalID);
      return parsed ? { typename: parsed.typename, id: String(parsed.id) } : NOT_AN_ID;
    },
    cursorType: 'String',
    nodeTypeOptions: { description: 'An object with a globally unique id, fetchable with `node(id:)`.' },
    pageInfoTypeOptions: { description: 'Where a page of a connection sits in the whole list.' },
    nodeQueryOptions: {
      description: 'Fetches any object by its global id; null when there is none (or the id is not one).',
      args: { id: { description: 'A global id.' } },
      resolve: async (_root, args, ctx, info) =>
        loadable(args.id, info) ? ((await loadNodes(ctx, info, [args.id]))[0] ?? null) : null,
    },
    nodesQueryOptions: {
      description:
        'Fetches several objects by their global ids, in order (at most MAX_PAGE_SIZE); null for each id that names none.',
      args: { ids: { description: 'Global ids.' } },
      resolve: (_root, args, ctx, info) => {
        if (args.ids.length > ctx.maxPageSize) {
          throw new PothosValidationError(`nodes accepts at most ${ctx.maxPageSize} ids`);
        }
        // Each id that names no object is null in its place; the others load as usual.
        return loadNodes(
          ctx,
          info,
          args.ids.map((id) => (loadable(id, info) ? id : null)),
        );
      },
    },
    firstArgOptions: {
      description: 'Return at most this many items from the start (capped at MAX_PAGE_SIZE).',
    },
    lastArgOptions: { description: 'Return at most this many items from the end (capped at MAX_PAGE_SIZE).' },
    afterArgOptions: { description: 'Return items after this cursor.' },
    beforeArgOptions: { description: 'Return items before this cursor.' },
    defaultConnectionTypeOptions: { description: 'One page of a list, with its total size.' },
    defaultEdgeTypeOptions: { description: 'One item of a page, with its cursor.' },
    edgesFieldOptions: { description: 'The items of this page.' },
    nodeFieldOptions: { description: 'The item.' },
    cursorFieldOptions: { description: 'Opaque position of the item, for `after` and `before`.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'Whether items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Whether items precede this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first item of the page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of the page.' },
    idFieldOptions: { description: 'Global id, usable with `node(id:)`.' },
  },
  errors: { defaultTypes: [] },
});

builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'An instant in time, as an ISO-8601 string in UTC.',
});

builder.queryType({ description: 'Read the memory graph.' });
builder.mutationType({ description: 'Write to the memory graph. Each mutation is one transaction.' });
builder.subscriptionType({ description: 'Live changes, over graphql-ws or server-sent events.' });
