import type { Context } from '../context.ts';
import type { CountedModel } from '../db/relation-counts.ts';

/** What Pothos' Prisma plugin passes to connection fields: the page, its parent row and the field's args. */
interface LoadedConnection<Args> {
  parent: { id: number } & Record<string, unknown>;
  args: Args;
  /**
   * The parent row's relation `_count`, loaded in the same statement where the provider joins
   * relations; null where it was deferred (see deferRelationCounts).
   */
  totalCount?: number | null;
  /** Plain values on the loaded path; typed as the plugin's possibly-async shapes. */
  edges: unknown;
  pageInfo: unknown;
}

/**
 * A forward first page with nothing after it is the whole list: its size is the total, and no
 * count query is needed. Holds when the rows were loaded (not in the plugin's count-only mode,
 * where only `totalCount` is asked) with the same filter the count would use, skipping none.
 */
function wholeListSize(connection: LoadedConnection<unknown>, relation: string): number | undefined {
  if (!Array.isArray(connection.parent[relation])) return undefined;
  const args = connection.args as { after?: unknown; before?: unknown; last?: unknown };
  if (args.after != null || args.before != null || args.last != null) return undefined;
  const { edges, pageInfo } = connection;
  if (!Array.isArray(edges) || (pageInfo as { hasNextPage?: unknown } | null)?.hasNextPage !== false) {
    return undefined;
  }
  return edges.length;
}

interface IntFieldBuilder<Ref, Args> {
  int(options: {
    nullable: false;
    description: string;
    resolve: (connection: LoadedConnection<Args>, args: object, ctx: Context) => Promise<number>;
  }): Ref;
}

/**
 * `totalCount` for a `t.relatedConnection` declared with `totalCount: true`, counted with the same
 * filter as the page. With relation joins the count came with the page in the same statement;
 * elsewhere (see deferRelationCounts) it is the page's size when that is the whole list, or a
 * count batched across the request's parents (RelationCounter).
 */
export function totalCountField<Ref, Args>(
  t: IntFieldBuilder<Ref, Args>,
  relation: string,
  model: CountedModel,
  foreignKey: string,
  where: (args: Args) => object = () => ({}),
): Ref {
  return t.int({
    nullable: false,
    description: 'How many items the whole list has, across all pages.',
    resolve: (connection, _args, ctx) => {
      if (typeof connection.totalCount === 'number') return Promise.resolve(connection.totalCount);
      const known = wholeListSize(connection, relation);
      if (known !== undefined) return Promise.resolve(known);
      return ctx.counts.count(model, foreignKey, connection.parent.id, where(connection.args));
    },
  });
}
