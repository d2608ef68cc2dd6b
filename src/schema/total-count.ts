/** What Pothos' Prisma plugin passes to the fields of a `t.relatedConnection` declared with `totalCount: true`. */
interface CountedConnection {
  /**
   * The parent row's relation `_count`: from the page's own statement where the provider joins
   * relations, otherwise filled in by countRelationsSeparately (src/db/relation-counts.ts).
   */
  totalCount?: number | null;
}

interface IntFieldBuilder<Ref> {
  int(options: { nullable: false; description: string; resolve: (connection: object) => number }): Ref;
}

/** `totalCount` of a related connection, counted with the connection's filter. */
export function totalCountField<Ref>(t: IntFieldBuilder<Ref>): Ref {
  return t.int({
    nullable: false,
    description: 'How many items the whole list has, across all pages.',
    resolve: (page) => {
      // The plugin's connection object carries the count; its declared shape does not say so.
      const connection = page as CountedConnection;
      if (typeof connection.totalCount !== 'number') {
        // The plugin always selects `_count` when totalCount is asked; a miss is a bug, not input.
        throw new Error('totalCount was not loaded with its connection');
      }
      return connection.totalCount;
    },
  });
}
