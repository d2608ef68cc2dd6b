/**
 * Whether an error means the database cannot be reached right now (down, restarting, pool
 * exhausted), as opposed to a bug or bad input. Such errors reach clients as
 * DATABASE_UNAVAILABLE so they know to retry; the pool reconnects by itself.
 *
 * Drivers report this in many shapes: node-postgres and mariadb errors with socket or SQLSTATE
 * codes, Prisma errors (P1001 can't reach, P1017 closed, P2024 pool timeout) and driver-adapter
 * errors whose `cause.kind` names the failure.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  // PostgreSQL SQLSTATE: admin shutdown, crash shutdown, cannot connect now, connection exceptions.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  // Prisma
  'P1001',
  'P1002',
  'P1008',
  'P1017',
  'P2024',
  // Prisma: no connection came free to start the transaction within maxWait.
  'P2028',
  // mariadb driver
  'ER_GET_CONNECTION_TIMEOUT',
  'ER_CONNECTION_ALREADY_CLOSED',
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_CONNECTION_TIMEOUT',
  'ER_POOL_ALREADY_CLOSED',
  'PROTOCOL_CONNECTION_LOST',
]);

const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'DatabaseDoesNotExist',
]);

const UNAVAILABLE_MESSAGE =
  /unable to start a transaction in the given time|connection terminated|terminating connection|not queryable|timeout exceeded when trying to connect|can't reach database server|server closed the connection|connection (is )?closed|ECONNREFUSED|pool timeout|the database system is (starting up|shutting down)/i;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const { code, kind, message, cause, originalCode } = error as Record<string, unknown>;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (typeof originalCode === 'string' && UNAVAILABLE_CODES.has(originalCode)) return true;
  if (typeof kind === 'string' && UNAVAILABLE_KINDS.has(kind)) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/** Input the database itself refuses (PostgreSQL: NUL bytes in text, SQLSTATE 22021). */
export function isRefusedInput(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const { code, originalCode, message, cause } = error as Record<string, unknown>;
  if (code === '22021' || originalCode === '22021') return true;
  if (typeof message === 'string' && /invalid byte sequence for encoding/i.test(message)) return true;
  return isRefusedInput(cause, depth + 1);
}

/**
 * A value the database cannot take (SQLSTATE class 22: a NUL byte, a date out of its range, a
 * number out of range), as node-postgres reports it: the caller's input, not the statement.
 */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}
