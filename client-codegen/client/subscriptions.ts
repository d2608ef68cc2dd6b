import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import type { Credentials } from './credentials.ts';
import { CLIENT_ERROR_CODES, EngramError, type EngramGraphQLError, fromGraphQLErrors } from './errors.ts';

/** A live subscription: iterate it with `for await`, end it with `close()` (or `break`). */
export interface EngramSubscription<T> extends AsyncIterableIterator<T> {
  /** Stops the subscription; a pending `next()` resolves as done. */
  close(): Promise<void>;
}

/** Close codes Engram's graphql-ws endpoint uses, and what the client reports for them. */
const CLOSE_CODES: Record<number, string> = {
  4401: 'TOKEN_EXPIRED',
  4403: 'FORBIDDEN',
  4429: 'RATE_LIMITED',
};

interface CloseLike {
  code: number;
  reason?: string;
}

export function isCloseLike(value: unknown): value is CloseLike {
  return typeof value === 'object' && value !== null && typeof (value as CloseLike).code === 'number';
}

/** What graphql-ws hands a sink's `error`, as an EngramError. */
export function subscriptionError(error: unknown): EngramError {
  if (error instanceof EngramError) return error;
  if (Array.isArray(error)) return fromGraphQLErrors(error as EngramGraphQLError[]);
  if (isCloseLike(error)) {
    const code = CLOSE_CODES[error.code] ?? CLIENT_ERROR_CODES.socketClosed;
    const reason = error.reason ? `: ${error.reason}` : '';
    return new EngramError(code, `the subscription socket closed with ${error.code}${reason}`, {
      closeCode: error.code,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : 'the subscription socket failed';
  return new EngramError(CLIENT_ERROR_CODES.network, message, { cause: error });
}

/**
 * Runs a subscription document over graphql-ws as an async iterator. With a token provider, a
 * subscription ended because the token expired (the socket closed with 4401, or a TOKEN_EXPIRED
 * result just before) is reopened once with a fresh token and resumes: events published in
 * between are missed, as on any reconnect.
 */
export function subscribe<R, V>(
  socket: Client,
  credentials: Credentials,
  document: TypedDocumentNode<R, V>,
  variables: V,
): EngramSubscription<R> {
  const query = print(document);
  const queue: R[] = [];
  let waiting: { resolve: (step: IteratorResult<R>) => void; reject: (error: unknown) => void } | null = null;
  let failure: EngramError | null = null;
  let done = false;
  let stop: (() => void) | null = null;
  // Reopenings since the server last accepted a connection: one per expiry, however many expiries a
  // quiet subscription lives through, but never a loop on tokens the server keeps refusing.
  let renewals = 0;
  const offConnected = socket.on('connected', () => {
    renewals = 0;
  });

  const settle = () => {
    if (!waiting) return;
    const pending = waiting;
    if (queue.length > 0) {
      waiting = null;
      pending.resolve({ value: queue.shift() as R, done: false });
    } else if (failure) {
      waiting = null;
      pending.reject(failure);
    } else if (done) {
      waiting = null;
      pending.resolve({ value: undefined, done: true });
    }
  };

  // Set while waiting for the socket of an expired token to close, to subscribe again on a new one.
  let renewing = false;

  const start = () => {
    renewing = false;
    stop = socket.subscribe<R>(
      { query, variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) {
            const error = fromGraphQLErrors(result.errors as EngramGraphQLError[]);
            // The server ends a subscription whose token expired with this result, and closes the
            // socket (4401) at the same moment: whichever comes first, renew once. A subscription
            // sent now would go over the old connection: wait until it has closed.
            if (error.code === 'TOKEN_EXPIRED' && credentials.refreshable && renewals < 1) {
              renewals++;
              renewing = true;
              credentials.invalidate();
              const offClosed = socket.on('closed', () => {
                offClosed();
                if (!done) start();
              });
              return;
            }
            failure = error;
            done = true;
            stop?.();
          } else if (result.data) queue.push(result.data as R);
          settle();
        },
        error: (error) => {
          if (done || renewing) return;
          if (isCloseLike(error) && error.code === 4401 && credentials.refreshable && renewals < 1) {
            renewals++;
            credentials.invalidate();
            start();
            return;
          }
          failure = subscriptionError(error);
          done = true;
          offConnected();
          settle();
        },
        complete: () => {
          if (renewing) return;
          done = true;
          offConnected();
          settle();
        },
      },
    );
  };
  start();

  const iterator: EngramSubscription<R> = {
    next: () =>
      new Promise<IteratorResult<R>>((resolve, reject) => {
        waiting = { resolve, reject };
        settle();
      }),
    return: async () => {
      await iterator.close();
      return { value: undefined, done: true };
    },
    close: async () => {
      if (!done) {
        done = true;
        offConnected();
        stop?.();
      }
      queue.length = 0;
      settle();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
