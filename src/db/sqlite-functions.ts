/**
 * SQLite's built-in `lower()` folds A-Z only, while PostgreSQL's and MariaDB's fold every letter
 * Unicode gives a lowercase: a case-insensitive search for "ágata" found "Ágata" on those two and
 * nothing on SQLite. SQLite lets an application redefine a built-in function per connection, so
 * every SQLite connection Engram opens gets a `lower()` with JavaScript's Unicode case mapping,
 * and the same SQL answers alike everywhere.
 */

interface FunctionHost {
  function(name: string, options: { deterministic: boolean }, fn: (value: unknown) => unknown): unknown;
}

const unicodeLower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

/** Redefines `lower()` on the better-sqlite3 database behind a driver adapter (its `client`). */
function defineFunctions(adapter: unknown): void {
  const client = (adapter as { client?: Partial<FunctionHost> } | null)?.client;
  if (typeof client?.function !== 'function') {
    throw new Error('the SQLite driver adapter no longer exposes its database: lower() cannot be defined');
  }
  client.function('lower', { deterministic: true }, unicodeLower);
}

/** A SQLite driver adapter factory whose connections (and shadow connections) have Unicode `lower()`. */
export function withSqliteFunctions<T extends object>(factory: T): T {
  return new Proxy(factory, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'connect' || property === 'connectToShadowDb') {
        return async (...args: unknown[]) => {
          const adapter = await value.apply(target, args);
          defineFunctions(adapter);
          return adapter;
        };
      }
      return value.bind(target);
    },
  });
}
