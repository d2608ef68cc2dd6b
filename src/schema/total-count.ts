import type { Context } from '../context.ts';
import type { CountedModel } from '../db/relation-counts.ts';

/** What Pothos' Prisma plugin passes to connection fields: the page, its parent row and the field's args. */
interface LoadedConnection<Args> {
  parent: { id: number };
  args: Args;
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
    resolve: (connection, _args, ctx) =>
      ctx.counts.count(model, foreignKey, connection.parent.id, where(connection.args)),
  });
}
