import { useOnResolve } from '@envelop/on-resolve';
import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isStatementTimeout } from '../db/statement-timeout.ts';
import { yieldIfLong } from '../runtime/turns.ts';
import { selectOperation } from './query-cost.ts';

/**
 * The execution deadline (REQUEST_TIMEOUT_MS). Work that runs too long is stopped, not only
 * answered early:
 *
 * - every resolver checks the deadline before it starts; past it, it throws instead of starting
 *   (so no further statement is sent), and the request answers one REQUEST_TIMEOUT error;
 * - a query is answered at the deadline even while a statement still runs; the statement itself
 *   is cut by the connection's statement timeout (src/db/statement-timeout.ts);
 * - a mutation is never answered before it ends: a transaction in flight commits or rolls back
 *   (a statement cut by its timeout rolls it back), and the caller learns which; root fields after
 *   the deadline do not start;
 * - a subscription's stream is exempt; each event's execution gets its own deadline.
 *
 * SQLite statements are synchronous: one blocks the event loop (and this timer) until it ends;
 * the resolvers after it do not start.
 */
export interface DeadlineOptions {
  /** Longest an operation (or one subscription event) may run, in milliseconds. @default 10000 */
  timeoutMs: number;
}

interface Deadline {
  timeoutMs: number;
  /** Date.now() past which nothing starts; Infinity between subscription events. */
  expiresAt: number;
  expired: boolean;
}

/** Deadlines by GraphQL context (one context per operation, HTTP or graphql-ws). */
const deadlines = new WeakMap<object, Deadline>();

/** Thrown by a resolver that would have started after the deadline. */
export class DeadlineExceededError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the request ran longer than ${timeoutMs} ms (REQUEST_TIMEOUT_MS) and was stopped`);
    this.name = 'DeadlineExceededError';
  }
}

/** The answer of an operation stopped by its deadline or by a statement timeout. */
export function requestTimeoutError(timeoutMs: number): GraphQLError {
  return new GraphQLError(
    `The request ran longer than ${timeoutMs} ms and was stopped: ask for less (smaller pages, fewer nested lists).`,
    { extensions: { code: 'REQUEST_TIMEOUT', timeoutMs } },
  );
}

const timedOut = (deadline: Deadline): ExecutionResult => ({
  data: null,
  errors: [requestTimeoutError(deadline.timeoutMs)],
});

/** Whether a result's errors come from the deadline or a statement timeout. */
function stoppedByTime(result: ExecutionResult): boolean {
  return (result.errors ?? []).some((error) => {
    const original = error.originalError ?? error;
    return original instanceof DeadlineExceededError || isStatementTimeout(original);
  });
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * One resolver wrapper for the process: the schema is a module singleton and on-resolve wraps its
 * fields in place, so every app built in this process shares the wrapping (and wraps once).
 */
const checkDeadlineBeforeResolvers = useOnResolve(({ context, info }) => {
  const deadline = deadlines.get(context as object);
  if (!deadline) return;
  if (info.operation.operation === 'subscription' && info.path.prev === undefined) {
    // A subscription event starts: its execution gets a deadline of its own.
    deadline.expiresAt = Date.now() + deadline.timeoutMs;
    deadline.expired = false;
    return;
  }
  if (deadline.expired || Date.now() > deadline.expiresAt) {
    deadline.expired = true;
    throw new DeadlineExceededError(deadline.timeoutMs);
  }
  // Only queries take turns: a mutation's resolvers may run inside a write transaction, and on
  // SQLite a transaction that waits for the loop keeps the database locked for every other writer.
  return info.operation.operation === 'query' ? yieldIfLong() : undefined;
});

/**
 * Applies {@link DeadlineOptions.timeoutMs} to every execution (HTTP, SSE, graphql-ws): see the
 * module comment. List it after plugins that replace the executor in onExecute (planned reads),
 * so their statement is raced too.
 */
export function useDeadline(options: DeadlineOptions): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(checkDeadlineBeforeResolvers as Plugin);
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const deadline: Deadline = {
        timeoutMs: options.timeoutMs,
        expiresAt: Date.now() + options.timeoutMs,
        expired: false,
      };
      deadlines.set(args.contextValue as object, deadline);
      const operation = selectOperation(args.document, args.operationName);
      // A mutation ends on its own terms (commit or rollback) so its answer is never a guess.
      if (operation?.operation === 'query') {
        setExecuteFn((execArgs) => {
          let timer: NodeJS.Timeout | undefined;
          const expiry = new Promise<ExecutionResult>((resolve) => {
            timer = setTimeout(() => {
              deadline.expired = true;
              resolve(timedOut(deadline));
            }, options.timeoutMs);
          });
          const running = Promise.resolve(executeFn(execArgs));
          // Once answered by the timer, a late failure of the stopped work is nobody's to catch.
          running.catch(() => {});
          return Promise.race([running, expiry]).finally(() => clearTimeout(timer)) as ReturnType<
            typeof executeFn
          >;
        });
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          if (deadline.expired || stoppedByTime(result)) setResult(timedOut(deadline));
          // Work still in flight after the answer (a query raced by the timer) must not start more.
          deadline.expired = true;
        },
      };
    },
    onSubscribe({ args }) {
      // The stream itself is exempt; the first event's root resolver sets its deadline.
      const deadline: Deadline = {
        timeoutMs: options.timeoutMs,
        expiresAt: Number.POSITIVE_INFINITY,
        expired: false,
      };
      deadlines.set(args.contextValue as object, deadline);
      return {
        onSubscribeResult: () => ({
          onNext: ({ result, setResult }) => {
            if (deadline.expired || stoppedByTime(result)) setResult(timedOut(deadline));
            deadline.expiresAt = Number.POSITIVE_INFINITY;
            deadline.expired = false;
          },
        }),
      };
    },
  };
}
