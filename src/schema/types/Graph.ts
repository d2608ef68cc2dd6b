import {
  graphChecks,
  graphName,
  graphNeighborhood,
  graphNodeCount,
  graphNodes,
  graphNodesExisting,
  graphPath,
  type Neighborhood,
} from '../../services/graph.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { checked, maxLength } from '../input-guard.ts';
import { positionConnection } from '../position-connection.ts';
import { EntityNode } from './Entity.ts';
import {
  GraphDirectionEnum,
  GraphNodeOrderEnum,
  type GraphNodeShape,
  GraphNodeType,
  type GraphScoped,
  loadNode,
} from './GraphNode.ts';
import { type GraphNeighborhoodShape, GraphNeighborhoodType, GraphPathType } from './GraphResults.ts';

/** Defaults of the page-size arguments: refused above MAX_PAGE_SIZE unless left as they are (then capped). */
const NEIGHBORHOOD_FIRST = 50;
const SUBGRAPH_LIMIT = 100;

const pageSizeUpTo = (fallback: number) =>
  checked((value, limits) =>
    graphChecks.pageSize(value, { ...limits, maxPageSize: Math.max(limits.maxPageSize, fallback) }),
  );

function neighborhoodShape(graph: GraphScoped, found: Neighborhood): GraphNeighborhoodShape {
  return {
    ...graph,
    nodes: found.nodes.map((node) => {
      const info = found.infos?.get(node.name);
      return { entityId: graph.entityId, asOf: graph.asOf, name: node.name, ...(info ? { info } : {}) };
    }),
    tripleIds: found.edges.map((edge) => edge.id),
    ...(found.triples ? { triples: found.triples } : {}),
    truncated: found.truncated,
  };
}

/**
 * The names given that are nodes of the graph (normalized as stored), in one statement that only
 * probes for a triple: the degrees, when asked for, are counted with the result's other names.
 */
async function existing(ctx: Context, graph: GraphScoped, names: readonly string[]): Promise<string[]> {
  const stored = [...new Set(names.map(graphName))];
  const found = await graphNodesExisting(ctx.reader, graph, stored);
  return stored.filter((name) => found.has(name));
}

/** What neighbourhoods and paths may follow. */
const traversalArgs = builder.args((t) => ({
  predicates: t.stringList({
    required: false,
    description:
      'Follow only triples with these predicates (as stored: lower snake case, "lives in" is lives_in); 1 to 50 of them. Example: `["works_at", "based_in"]`.',
    extensions: { ...checked(graphChecks.predicates), ...maxLength(500) },
  }),
  direction: t.field({
    type: GraphDirectionEnum,
    required: false,
    defaultValue: 'BOTH',
    description:
      'Which way to follow triples: OUT (subject → object), IN, or BOTH (default). Example: `direction: OUT` from "Ana" follows Ana works_at Acme, not Bea knows Ana.',
  }),
}));

export const EntityGraphType = builder.objectRef<GraphScoped>('EntityGraph').implement({
  description:
    'An entity’s knowledge graph: its nodes are the subject and object names of its triples, its edges the triples (subject → object, the predicate as label), as they held at `asOf`. Example: `entity(externalId: "u-1") { graph { nodes(first: 10) { edges { node { name degree } } } } }`.',
  authScopes: (graph) => ({ entity: graph.entityId }),
  fields: (t) => ({
    asOf: t.expose('asOf', {
      type: 'DateTime',
      nullable: true,
      description:
        'The moment this graph shows; null for now (the triples that hold today). Example: `"2026-01-01T00:00:00.000Z"`.',
    }),
    nodes: t.connection(
      {
        type: GraphNodeType,
        description:
          'The graph’s names, the most connected first (or by name). Example: `nodes(first: 10, orderBy: DEGREE, search: "lis") { totalCount edges { node { name degree } } }`.',
        args: {
          orderBy: t.arg({
            type: GraphNodeOrderEnum,
            required: false,
            defaultValue: 'DEGREE',
            description:
              'DEGREE (default): most triples first, then by name; NAME: by name. Example: `orderBy: NAME`.',
          }),
          search: t.arg.string({
            required: false,
            description:
              'Only names containing this text, ignoring case, literally (`%` and `_` are plain characters); at most 500 characters. Example: `"lis"` finds "Lisbon".',
            extensions: maxLength(500),
          }),
        },
        resolve: (graph, args, ctx) => {
          const search = args.search ?? null;
          return positionConnection(args, {
            defaultSize: 20,
            maxSize: ctx.maxPageSize,
            count: () => graphNodeCount(ctx.reader, graph, search),
            fetch: async (offset, limit) =>
              (
                await graphNodes(ctx.reader, graph, {
                  order: args.orderBy ?? 'DEGREE',
                  search,
                  offset,
                  limit,
                })
              ).map((info): GraphNodeShape => ({ ...graph, name: info.name, info })),
          }) as never;
        },
      },
      {
        description: 'One page of a graph’s names, with their total.',
        fields: (c) => ({
          totalCount: c.int({
            description:
              'How many names the whole list has (with `search`: how many contain it). Example: 5 for Ana, Maria, Porto, Acme and Lisbon.',
            resolve: (page) => (page as unknown as { totalCount: () => Promise<number> }).totalCount(),
          }),
        }),
      },
      { description: 'One name of the graph, with its cursor.' },
    ),
    node: t.field({
      type: GraphNodeType,
      nullable: true,
      description:
        'One name of the graph; null when none of the triples uses it. Example: `node(name: "Ana") { degree }`.',
      args: {
        name: t.arg.string({
          required: true,
          description: 'The name, as stored (spaces collapsed); at most 500 characters. Example: `"Ana"`.',
          extensions: maxLength(500),
        }),
      },
      resolve: async (graph, args, ctx) => {
        const name = graphName(args.name);
        const info = await loadNode(ctx, graph, name);
        return info ? { ...graph, name, info } : null;
      },
    }),
    neighborhood: t.field({
      type: GraphNeighborhoodType,
      nullable: true,
      description:
        'The names within `depth` hops of a name and the triples between them; null when the graph has no such name. Example: `neighborhood(of: "Ana", depth: 2, first: 50) { truncated nodes { name degree } }` gives Ana, Acme, Maria, Lisbon and Porto for Ana sister_of Maria, Maria lives_in Porto, Ana works_at Acme, Acme based_in Lisbon.',
      // The query cost counts `nodes` and `triples` by `first` (src/http/query-cost.ts).
      extensions: { costPageArgument: 'first' },
      args: {
        of: t.arg.string({
          required: true,
          description: 'The name at the centre; at most 500 characters. Example: `"Ana"`.',
          extensions: maxLength(500),
        }),
        depth: t.arg.int({
          required: false,
          defaultValue: 1,
          description: 'Hops from it, 0 to GRAPH_MAX_DEPTH (3 unless configured). Example: 2.',
          extensions: checked(graphChecks.depth),
        }),
        ...traversalArgs,
        first: t.arg.int({
          required: false,
          defaultValue: NEIGHBORHOOD_FIRST,
          description:
            'Most names: the nearest, then by name (1 to MAX_PAGE_SIZE; the default 50 is capped at MAX_PAGE_SIZE). Example: 50.',
          extensions: pageSizeUpTo(NEIGHBORHOOD_FIRST),
        }),
      },
      resolve: async (graph, args, ctx) => {
        const start = graphName(args.of);
        const found = await graphNeighborhood(ctx.reader, graph, ctx.graph, [start], {
          depth: args.depth ?? 1,
          direction: args.direction ?? 'BOTH',
          predicates: args.predicates,
          first: Math.min(args.first ?? NEIGHBORHOOD_FIRST, ctx.maxPageSize),
        });
        // A name with a triple in the neighbourhood is a node; only one without asks (depth 0, a filter
        // that matches none of its triples, or no such name).
        if (found.edges.length === 0 && (await existing(ctx, graph, [start])).length === 0) return null;
        return neighborhoodShape(graph, found);
      },
    }),
    path: t.field({
      type: GraphPathType,
      nullable: true,
      description:
        'A shortest path between two names, or null when none is at most `maxDepth` hops long. Among equally short paths, the one whose names come first in code point order. Example: `path(from: "Ana", to: "Lisbon") { length }` is 2 (through Acme).',
      args: {
        from: t.arg.string({
          required: true,
          description: 'Where the path starts; at most 500 characters. Example: `"Ana"`.',
          extensions: maxLength(500),
        }),
        to: t.arg.string({
          required: true,
          description: 'Where it ends; at most 500 characters. Example: `"Lisbon"`.',
          extensions: maxLength(500),
        }),
        maxDepth: t.arg.int({
          required: false,
          defaultValue: 4,
          description: 'Most hops, 0 to 6. Example: 4.',
          extensions: checked(graphChecks.pathDepth),
        }),
        ...traversalArgs,
      },
      resolve: async (graph, args, ctx) => {
        const from = graphName(args.from);
        const to = graphName(args.to);
        const ends = await existing(ctx, graph, [from, to]);
        if (!ends.includes(from) || !ends.includes(to)) return null;
        const found = await graphPath(ctx.reader, graph, ctx.graph, from, to, {
          maxDepth: args.maxDepth ?? 4,
          direction: args.direction ?? 'BOTH',
          predicates: args.predicates,
        });
        if (!found) return null;
        return {
          ...graph,
          nodes: found.nodes.map((name) => ({ ...graph, name })),
          tripleIds: found.edges.map((edge) => edge.id),
        };
      },
    }),
    subgraph: t.field({
      type: GraphNeighborhoodType,
      description:
        'The union of the neighbourhoods of several names (those the graph has), for explorers. Example: `subgraph(seeds: ["Ana", "Lisbon"], depth: 1) { nodes { name } triples { predicate { name } } }`.',
      extensions: { costPageArgument: 'limit' },
      args: {
        seeds: t.arg.stringList({
          required: true,
          description: 'The names to start from, 1 to 20. Example: `["Ana", "Lisbon"]`.',
          extensions: { ...checked(graphChecks.seeds), ...maxLength(500) },
        }),
        depth: t.arg.int({
          required: false,
          defaultValue: 1,
          description: 'Hops from the seeds, 0 to GRAPH_MAX_DEPTH (3 unless configured). Example: 1.',
          extensions: checked(graphChecks.depth),
        }),
        limit: t.arg.int({
          required: false,
          defaultValue: SUBGRAPH_LIMIT,
          description:
            'Most names: the nearest to a seed, then by name (1 to MAX_PAGE_SIZE; the default 100 is capped at MAX_PAGE_SIZE).',
          extensions: pageSizeUpTo(SUBGRAPH_LIMIT),
        }),
      },
      resolve: async (graph, args, ctx) => {
        const seeds = await existing(ctx, graph, args.seeds);
        const found = await graphNeighborhood(ctx.reader, graph, ctx.graph, seeds, {
          depth: args.depth ?? 1,
          direction: 'BOTH',
          predicates: null,
          first: Math.min(args.limit ?? SUBGRAPH_LIMIT, ctx.maxPageSize),
        });
        return neighborhoodShape(graph, found);
      },
    }),
  }),
});

builder.objectField(EntityNode, 'graph', (t) =>
  t.field({
    type: EntityGraphType,
    description:
      'The entity’s knowledge graph (names as nodes, triples as edges), now or as it was at `asOf`. Example: `graph(asOf: "2026-01-01T00:00:00Z") { node(name: "Maria") { triples { edges { node { object { name } } } } } }`.',
    args: {
      asOf: t.arg({
        type: 'DateTime',
        required: false,
        description:
          'The moment to show: the triples that held then (superseded ones included). @default now',
      }),
    },
    resolve: (entity, args) => ({ entityId: entity.id, asOf: args.asOf ?? null }),
  }),
);
