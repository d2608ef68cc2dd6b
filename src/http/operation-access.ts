import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { isReadOnly, isWriteOnly, type Principal } from '../auth/principal.ts';
import type { Context } from '../schema/context.ts';

/** setTimeout's longest delay: a stream whose token outlives it is not cut (tokens are short). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function refusal(principal: Principal, operation: string): GraphQLError | null {
  if (operation === 'mutation' && isReadOnly(principal)) {
    const who =
      principal.kind === 'key'
        ? 'this API key may only read (role read)'
        : 'this entity token has no WRITE scope';
    return new GraphQLError(`${who}: mutations are refused`, {
      extensions: { code: 'FORBIDDEN', http: { status: 403 } },
    });
  }
  if (operation !== 'mutation' && isWriteOnly(principal)) {
    return new GraphQLError(
      `this entity token has no READ scope: ${operation === 'query' ? 'queries' : 'subscriptions'} are refused`,
      {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      },
    );
  }
  return null;
}

/**
 * What a principal may run, per operation rather than per field, so an operation added later is
 * covered too, over HTTP, SSE and graphql-ws alike (all execute through these plugins):
 * - a read key, or an entity token without WRITE, runs no mutation;
 * - an entity token without READ runs no query or subscription;
 * - a subscription under an entity token ends when the token expires, with a TOKEN_EXPIRED error
 *   as its last event (graphql-ws also closes the socket, src/http/websocket.ts).
 */
export function useOperationAccess(): Plugin<Context> {
  const check = (args: { contextValue: unknown; document: never; operationName?: string | null }) => {
    const operation = getOperationAST(args.document, args.operationName)?.operation;
    return operation ? refusal((args.contextValue as Context).principal, operation) : null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args as never);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args as never);
      if (refused) {
        setResultAndStopExecution({ errors: [refused] });
        return;
      }
      const principal = (args.contextValue as Context).principal;
      if (principal.kind !== 'entity' || !principal.expiresAt) return;
      const expiresAt = principal.expiresAt;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result))
            setResult(untilExpiry(result as AsyncIterableIterator<ExecutionResult>, expiresAt));
        },
      };
    },
  };
}

/** The error a subscription ends with when its token expires. */
export function tokenExpired(): GraphQLError {
  return new GraphQLError('the entity token expired: get a new one and subscribe again', {
    extensions: { code: 'TOKEN_EXPIRED' },
  });
}

/** The events of `source` until `expiresAt`, then one TOKEN_EXPIRED result, then the end. */
function untilExpiry(
  source: AsyncIterableIterator<ExecutionResult>,
  expiresAt: Date,
): AsyncIterableIterator<ExecutionResult> {
  const EXPIRED = Symbol('expired');
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof EXPIRED>((resolve) => {
    const wait = expiresAt.getTime() - Date.now();
    if (wait <= 0) resolve(EXPIRED);
    else if (wait <= MAX_TIMER_MS) timer = setTimeout(() => resolve(EXPIRED), wait);
  });
  let finished = false;
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    finished = true;
    clearTimeout(timer);
    await source.return?.();
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      const next = await Promise.race([source.next(), expired]);
      if (next === EXPIRED) {
        await finish();
        return { done: false, value: { errors: [tokenExpired()] } };
      }
      if (next.done) clearTimeout(timer);
      return next;
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
  };
}
