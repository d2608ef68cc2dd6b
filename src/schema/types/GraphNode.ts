import DataLoader from 'dataloader';
import { type GraphScope, graphNodeInfo, type NodeInfo, nodeTriplesWhere } from '../../services/graph.ts';
import { tripleOrderBy } from '../../services/triple-reads.ts';
import { builder, maxPageSize } from '../builder.ts';
import type { Context } from '../context.ts';

/** The graph of one entity as of a moment: what every graph object carries. */
export interface GraphScoped {
  /** The entity's row id: its owner's scope (src/schema/authorization.ts). */
  entityId: number;
  /** null: the triples that hold now. */
  asOf: Date | null;
}

/** A node as resolvers hand it on: its name, with its type and degree when already read. */
export interface GraphNodeShape extends GraphScoped {
  name: string;
  info?: NodeInfo;
}

export const GraphDirectionEnum = builder.enumType('GraphDirection', {
  description: 'Which way edges (triples, subject → object) are followed from a name.',
  values: {
    OUT: { description: 'From the name as subject to the object ("Ana" → works_at → "Acme").' },
    IN: { description: 'From the name as object back to the subject ("Acme" ← works_at ← "Ana").' },
    BOTH: { description: 'Either way: the triple is a link, whatever its direction.' },
  },
});

export const GraphNodeOrderEnum = builder.enumType('GraphNodeOrder', {
  description: 'Order of a graph’s nodes.',
  values: {
    DEGREE: { description: 'Most triples first (the hubs), then by name.' },
    NAME: { description: 'By name, in Unicode code point order (uppercase before lowercase).' },
  },
});

/** Type and degree of names, batched per request and graph: one statement for a page of nodes. */
const loaders = new WeakMap<Context, Map<string, DataLoader<string, NodeInfo | null>>>();

/** The node (type and degree) of a name in a graph, or null when the graph has no such node. */
export function loadNode(ctx: Context, scope: GraphScoped, name: string): Promise<NodeInfo | null> {
  let byScope = loaders.get(ctx);
  if (!byScope) {
    byScope = new Map();
    loaders.set(ctx, byScope);
  }
  const key = `${scope.entityId}@${scope.asOf?.toISOString() ?? 'now'}`;
  let loader = byScope.get(key);
  if (!loader) {
    const graph: GraphScope = { entityId: scope.entityId, asOf: scope.asOf };
    loader = new DataLoader(
      async (names: readonly string[]) => {
        const found = await graphNodeInfo(ctx.reader, graph, names);
        return names.map((one) => found.get(one) ?? null);
      },
      // Each name appears twice in the statement; this keeps it far from SQLite's parameter limit.
      { maxBatchSize: 200 },
    );
    byScope.set(key, loader);
  }
  return loader.load(name);
}

async function infoOf(node: GraphNodeShape, ctx: Context): Promise<NodeInfo | null> {
  return node.info ?? loadNode(ctx, node, node.name);
}

export const GraphNodeType = builder.objectRef<GraphNodeShape>('GraphNode').implement({
  description:
    'A name of an entity’s knowledge graph: the subject or object of at least one of its triples (as of the graph’s moment). Example: `node(name: "Ana") { name type degree }`.',
  authScopes: (node) => ({ entity: node.entityId }),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name, as stored ("Ana", "Lisbon").' }),
    type: t.string({
      nullable: true,
      description: 'Its type ("person", "place") when one was given: as a subject first, else as an object.',
      resolve: async (node, _args, ctx) => (await infoOf(node, ctx))?.type ?? null,
    }),
    degree: t.int({
      description:
        'How many of the entity’s triples (as of the graph’s moment) have it as subject or object; "Ana" with sister_of Maria and works_at Acme has 2.',
      resolve: async (node, _args, ctx) => (await infoOf(node, ctx))?.degree ?? 0,
    }),
    triples: t.prismaConnection(
      {
        type: 'Triple',
        cursor: 'id',
        maxSize: maxPageSize,
        description:
          'The entity’s triples (as of the graph’s moment) touching this name, most recently mentioned first. Example: `triples(first: 10, direction: OUT) { edges { node { predicate { name } object { name } } } }`.',
        args: {
          direction: t.arg({
            type: GraphDirectionEnum,
            required: false,
            defaultValue: 'BOTH',
            description: 'OUT: triples with this name as subject; IN: as object; BOTH (default): either.',
          }),
        },
        totalCount: (node, args, ctx) =>
          ctx.reader.triple.count({ where: nodeTriplesWhere(node, node.name, args.direction ?? 'BOTH') }),
        resolve: (query, node, args, ctx) =>
          ctx.reader.triple.findMany({
            ...query,
            where: nodeTriplesWhere(node, node.name, args.direction ?? 'BOTH'),
            orderBy: tripleOrderBy(),
          }),
      },
      { description: 'One page of a node’s triples, with their total.' },
    ),
  }),
});
