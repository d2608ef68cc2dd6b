import type { Context } from '../context.ts';
import type { CountedModel } from '../db/relation-counts.ts';

/** What Pothos' Prisma plugin passes to connection fields: the page, its parent row and the field's args. */
interface LoadedConnection<Args> {
  parent: { id: number };
  args: Args;
  /** Plain values on the loaded path; typed as the plugin's possibly-async shapes. */
  edges: unknown;
  pageInfo: unknown;
}

/**
 * A forward first page with nothing after it is the whole list: its size is the total, and no
 * count query is needed. Holds because these connections always load their rows (the plugin's
 * count-only mode is off) with the same filter the count would use, and never skip rows.
 */
function wholeListSize(connection: LoadedConnection<unknown>): number | undefined {
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
 * A batched `totalCount` for a `t.relatedConnection`, counted with the same filter as the page.
 * Used instead of the plugin's own count, which Prisma computes over the whole table
 * (see RelationCounter).
 */
export function totalCountField<Ref, Args>(
  t: IntFieldBuilder<Ref, Args>,
  model: CountedModel,
  foreignKey: string,
  where: (args: Args) => object = () => ({}),
): Ref {
  return t.int({
    nullable: false,
    description: 'How many items the whole list has, across all pages.',
    resolve: (connection, _args, ctx) => {
      const known = wholeListSize(connection);
      if (known !== undefined) return Promise.resolve(known);
      return ctx.counts.count(model, foreignKey, connection.parent.id, where(connection.args));
    },
  });
}
