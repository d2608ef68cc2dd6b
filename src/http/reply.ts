import type { ServerResponse } from 'node:http';

/** A request refused before GraphQL sees it: the status, a code for programs and a message for people. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** Extra response headers, such as `Retry-After`. */
  headers?: Record<string, string>;
}

/**
 * Answers a refused request in the GraphQL-over-HTTP error shape, so clients read it like any other
 * error. `close` drops the connection afterwards (the body was not read).
 */
export function sendRefusal(res: ServerResponse, refusal: Refusal, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
  res.writeHead(refusal.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
    ...refusal.headers,
  });
  res.end(body);
}
