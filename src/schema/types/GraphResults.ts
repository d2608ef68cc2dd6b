import { graphTriplesWithNames, type TripleWithNames } from '../../services/graph.ts';
import { builder } from '../builder.ts';
import type { Context } from '../context.ts';
import { type GraphNodeShape, GraphNodeType, type GraphScoped } from './GraphNode.ts';

/** A neighbourhood or path as found: names in order, and the ids of its triples in order. */
export interface GraphTriplesShape extends GraphScoped {
  nodes: GraphNodeShape[];
  tripleIds: number[];
  /** The triples with their names, when the search read them already (in `tripleIds` order). */
  triples?: TripleWithNames[];
}

export interface GraphNeighborhoodShape extends GraphTriplesShape {
  truncated: boolean;
}

export const GraphNeighborhoodType = builder
  .objectRef<GraphNeighborhoodShape>('GraphNeighborhood')
  .implement({
    description:
      'Names near others in an entity’s graph and the triples that join them. Example: `neighborhood(of: "Ana", depth: 2) { truncated nodes { name degree } triples { subject { name } predicate { name } object { name } } }`.',
    fields: (t) => ({
      nodes: t.field({
        type: [GraphNodeType],
        description:
          'The names, nearest first (the start at distance 0), then by name; at most `first` (`limit`) of them. Example: Ana, Acme, Maria, Lisbon, Porto (2 hops from Ana).',
        // The query cost counts these lists by the parent field's `first`/`limit` (src/http/query-cost.ts).
        extensions: { costItemsPerPage: 1 },
        resolve: (result) => result.nodes,
      }),
      triples: t.prismaField({
        type: ['Triple'],
        description:
          'The triples between those names that a walk of at most `depth` hops follows (both ends among `nodes`), nearest first, then by subject, predicate and object; at most twice as many as `first` (`limit`). Example: Ana sister_of Maria, Ana works_at Acme, Acme lives_in Lisbon, Maria lives_in Porto.',
        extensions: { costItemsPerPage: 2 },
        resolve: (query, result, _args, ctx) => loadTriples(query, result, ctx),
      }),
      truncated: t.exposeBoolean('truncated', {
        description:
          'Whether a limit left something out: more names than `first` (`limit`), more triples than twice that, or a hub with more triples than GRAPH_MAX_FANOUT in one level (which of its neighbours are kept is then up to the database). Example: true for `first: 10` around a name with 30 neighbours.',
      }),
    }),
  });

export const GraphPathType = builder.objectRef<GraphTriplesShape>('GraphPath').implement({
  description:
    'A shortest path between two names of an entity’s graph. Example: `path(from: "Ana", to: "Lisbon") { length triples { subject { name } predicate { name } object { name } } }` gives length 2: Ana works_at Acme, Acme lives_in Lisbon (based_in is stored as lives_in).',
  fields: (t) => ({
    length: t.int({
      description:
        'Hops (triples) from one end to the other; 0 when both ends are the same name. Example: 2 from Ana to Lisbon (through Acme).',
      resolve: (path) => path.tripleIds.length,
    }),
    triples: t.prismaField({
      type: ['Triple'],
      description:
        'The triples hop by hop from `from` to `to`, each in its own direction (a hop may follow a triple backwards unless `direction` says otherwise).',
      extensions: { costItems: 6 },
      resolve: (query, path, _args, ctx) => loadTriples(query, path, ctx),
    }),
    nodes: t.field({
      type: [GraphNodeType],
      description: 'The names from `from` to `to`, one more than `length`. Example: Ana, Acme, Lisbon.',
      extensions: { costItems: 7 },
      resolve: (path) => path.nodes,
    }),
  }),
});

/** The relations {@link triplesWithNames} loads with each triple. */
const NAMED = new Set(['subject', 'predicate', 'object']);

/**
 * Whether Pothos asks for the triples' scalars and at most their subject, predicate and object
 * (the usual `triples { subject { name } predicate { name } object { name } }`): those come in one
 * statement. Anything else (entity, earlierPeriods) goes through Prisma.
 */
function namesOnly(query: object): boolean {
  const { include, ...rest } = query as { include?: Record<string, unknown> };
  if (Object.keys(rest).length > 0) return false;
  return Object.entries(include ?? {}).every(([name, value]) => NAMED.has(name) && value === true);
}

/** The triples of a result, in the result's order: one statement for the usual selection. */
async function loadTriples(query: object, result: GraphTriplesShape, ctx: Context): Promise<never[]> {
  // Read first: Pothos checks that the query it planned was looked at (onUnusedQuery).
  const fast = namesOnly(query);
  if (result.tripleIds.length === 0) return [];
  if (fast && result.triples) return result.triples as never[];
  const rows = fast
    ? await graphTriplesWithNames(ctx.reader, result.tripleIds)
    : await ctx.reader.triple.findMany({ ...query, where: { id: { in: result.tripleIds } } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return result.tripleIds.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  }) as never[];
}
