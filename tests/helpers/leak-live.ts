import type { ExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { nextListener } from './listening.ts';
import type { TestServer } from './server.ts';

/** Sends one GraphQL request over HTTP and returns its JSON answer as it came. */
export async function graphqlOver(
  server: Pick<TestServer, 'url'>,
  query: string,
  variables: Record<string, unknown> = {},
  authorization?: string,
): Promise<ExecutionResult & Record<string, unknown>> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(authorization ? { authorization: `Bearer ${authorization}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as ExecutionResult & Record<string, unknown>;
}

/** A subscription's events as they arrive, and ways to wait for them. */
export interface LiveLog {
  events: ExecutionResult[];
  /** Resolves `listening` once the server listens for its events, or `ended` if it ended first. */
  ready: Promise<'listening' | 'ended'>;
  /** Resolves once the subscription ended (refused, failed or completed), with the error if any. */
  ended: Promise<unknown>;
  /** Resolves once `condition` holds for the events received so far. */
  until(condition: (events: ExecutionResult[]) => boolean): Promise<void>;
  stop(): void;
}

/**
 * Subscribes and records every event. Open logs one after the other (awaiting `ready`): the
 * listener count that `ready` watches is the server's, shared by every subscription.
 */
export function liveLog(
  server: Pick<TestServer, 'app'>,
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): LiveLog {
  const events: ExecutionResult[] = [];
  const waiters: { condition: (events: ExecutionResult[]) => boolean; resolve: () => void }[] = [];
  const listening = nextListener(server.app.events);
  let finish: (error: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => {
    finish = resolve;
  });
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.condition(events)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        events.push(value as ExecutionResult);
        check();
      },
      error: (error) => finish(error ?? 'error'),
      complete: () => finish(null),
    },
  );
  return {
    events,
    ready: Promise.race([listening.then(() => 'listening' as const), ended.then(() => 'ended' as const)]),
    ended,
    until: (condition) =>
      new Promise<void>((resolve, reject) => {
        if (condition(events)) return resolve();
        waiters.push({ condition, resolve });
        // A log that ends before the condition holds will never satisfy it: say so instead of hanging.
        ended.then((error) => {
          if (waiters.some((waiter) => waiter.condition === condition)) {
            reject(new Error(`the subscription ended before the awaited events: ${JSON.stringify(error)}`));
          }
        });
      }),
    stop: unsubscribe,
  };
}

/** Runs a query over a graphql-ws client (a round trip on that socket) and returns its answer. */
export function queryOverSocket(client: Client, query: string): Promise<ExecutionResult> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult | undefined;
    client.subscribe(
      { query },
      {
        next: (value) => {
          result = value as ExecutionResult;
        },
        error: reject,
        complete: () => resolve(result ?? {}),
      },
    );
  });
}
