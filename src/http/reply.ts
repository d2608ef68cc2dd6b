import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request refused before GraphQL sees it: the status, a code for programs and a message for people. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** Extra response headers, such as `Retry-After`. */
  headers?: Record<string, string>;
}

/** A refusal in the GraphQL-over-HTTP error shape. */
export function refusalBody(refusal: Refusal): string {
  return JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
}

/** Most bytes of a refused request's body read and thrown away before the connection is cut. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * Answers a refused request in the GraphQL-over-HTTP error shape, so clients read it like any other
 * error. `unread`: the request whose body was not read. Its body is read and thrown away (up to
 * 64 MiB, then the connection is cut): closing a socket with unread data makes the kernel reset the
 * connection, and the client would then never see the answer. `close` drops the connection after
 * the answer instead (a client that has not started sending, as after `Expect: 100-continue`).
 * `body` replaces the GraphQL shape (the LLM proxy answers in its provider's error shape).
 */
export function sendRefusal(
  res: ServerResponse,
  refusal: Refusal,
  options: { unread?: IncomingMessage; close?: boolean; body?: string } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = options.body ?? refusalBody(refusal);
  res.writeHead(refusal.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(options.close ? { connection: 'close' } : {}),
    ...refusal.headers,
  });
  res.end(body);
  const unread = options.unread;
  if (unread && !unread.complete) {
    let discarded = 0;
    unread.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_LIMIT) unread.socket.destroy();
    });
    unread.resume();
  }
}
