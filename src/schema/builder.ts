import SchemaBuilder, { PothosValidationError } from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeResolver } from 'graphql-scalars';
import type { Context } from '../context.ts';
import type PrismaTypes from '../db/generated/pothos-types.ts';
import { getDatamodel } from '../db/generated/pothos-types.ts';

/** Connections never return more than MAX_PAGE_SIZE edges, whatever `first` asks. */
export const maxPageSize = (_args: unknown, ctx: Context) => ctx.maxPageSize;

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: { DateTime: { Input: Date; Output: Date } };
}>({
  plugins: [ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.reader,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    defaultConnectionSize: 20,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeTypeOptions: { description: 'An object with a globally unique id, fetchable with `node(id:)`.' },
    pageInfoTypeOptions: { description: 'Where a page of a connection sits in the whole list.' },
    nodeQueryOptions: {
      description: 'Fetches any object by its global id.',
      args: { id: { description: 'A global id.' } },
    },
    nodesQueryOptions: {
      description: 'Fetches several objects by their global ids, in order (at most MAX_PAGE_SIZE).',
      args: { ids: { description: 'Global ids.' } },
      resolve: (_root, args, ctx, _info, resolveNodes) => {
        if (args.ids.length > ctx.maxPageSize) {
          throw new PothosValidationError(`nodes accepts at most ${ctx.maxPageSize} ids`);
        }
        return resolveNodes(args.ids);
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
