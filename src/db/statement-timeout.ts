/**
 * Statement timeouts: every pooled connection of a server database refuses to run one statement
 * longer than REQUEST_TIMEOUT_MS (DATABASE_STATEMENT_TIMEOUT_MS), so work a request's deadline cut
 * does not go on in the database. A statement cut inside a transaction fails the transaction,
 * which Prisma rolls back: no partial write.
 *
 * - PostgreSQL: `statement_timeout`, sent as a startup parameter of each connection.
 * - MariaDB: `max_statement_time` (seconds), set by the pool's `initSql` on each connection,
 *   inside a MariaDB-only executable comment so MySQL (which has no such variable; its
 *   `max_execution_time` covers SELECTs only) still connects and runs without one.
 * - SQLite: statements are synchronous and cannot be interrupted from JavaScript; the request
 *   deadline stops the resolvers that have not started (src/http/deadline.ts).
 */

/** The `initSql` that gives a MariaDB connection its statement timeout. */
export function mariadbStatementTimeoutSql(timeoutMs: number): string {
  const seconds = (timeoutMs / 1000).toFixed(3);
  // No spaces: the URL that carries it is re-serialized by Prisma's adapter with + for a space,
  // which the mariadb driver does not decode.
  return `SET/*M!max_statement_time=${seconds},*/@engram_statement_timeout_ms=${timeoutMs}`;
}

/**
 * Whether a database error is a statement cut by its timeout: PostgreSQL SQLSTATE 57014
 * (query_canceled) with its statement-timeout message, MariaDB ER_STATEMENT_TIMEOUT (1969), MySQL
 * ER_QUERY_TIMEOUT (3024), as the drivers, Prisma's adapters or Prisma itself report them.
 */
export function isStatementTimeout(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const { code, errno, originalCode, message, cause, meta } = error as Record<string, unknown>;
  if (errno === 1969 || errno === 3024) return true;
  if (code === 'ER_STATEMENT_TIMEOUT' || code === 'ER_QUERY_TIMEOUT') return true;
  if (originalCode === '1969' || originalCode === '3024') return true;
  if (typeof message === 'string' && /statement timeout|max_statement_time exceeded/i.test(message))
    return true;
  if ((code === '57014' || originalCode === '57014') && typeof message === 'string') {
    return /timeout/i.test(message);
  }
  return isStatementTimeout(cause, depth + 1) || isStatementTimeout(meta, depth + 1);
}
