/**
 * Literal substring and prefix filters. Prisma's `contains` and `startsWith` become SQL LIKE
 * patterns with the caller's text inside, unescaped on every provider: `%` and `_` in a filter
 * matched anything. Callers pass the text through {@link escapeLike}; LIKE's escape character is
 * the backslash by default on PostgreSQL and MySQL/MariaDB, while SQLite has none unless the
 * statement says so, which {@link withSqliteLikeEscape} makes Prisma's statements say.
 */

/** The text of a `contains`/`startsWith` filter with LIKE's wildcards (and the escape) escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/**
 * Prisma's SQLite LIKE patterns: `LIKE ('%' || ? || '%')` (contains), `LIKE (? || '%')`
 * (startsWith), `LIKE ('%' || ?)` (endsWith). Parameters are never inlined, so these shapes are all.
 */
const SQLITE_LIKE = /LIKE \(((?:'%' \|\| )?\?(?: \|\| '%')?)\)(?! ESCAPE)/g;

function withEscape<Q extends { sql: string }>(query: Q): Q {
  if (!query.sql.includes('LIKE (')) return query;
  return { ...query, sql: query.sql.replace(SQLITE_LIKE, "LIKE ($1) ESCAPE '\\'") };
}

/** Wraps an object's methods: `queryRaw`/`executeRaw` get the escape, `connect`/`startTransaction` results wrapped too. */
function wrap<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'queryRaw' || property === 'executeRaw') {
        return (query: { sql: string }) => value.call(object, withEscape(query));
      }
      if (property === 'connect' || property === 'startTransaction') {
        return async (...args: unknown[]) => wrap(await value.apply(object, args));
      }
      return value.bind(object);
    },
  });
}

/**
 * A SQLite driver adapter factory whose LIKE statements take the backslash as escape character,
 * as PostgreSQL's and MySQL's do by default, so {@link escapeLike} works on every provider.
 */
export function withSqliteLikeEscape<T extends object>(factory: T): T {
  return wrap(factory);
}
