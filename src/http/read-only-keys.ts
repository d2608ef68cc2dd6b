import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isReadOnly } from '../auth/principal.ts';
import type { Context } from '../schema/context.ts';

/**
 * A key of the read role runs queries and subscriptions only: a mutation is refused whole, before
 * any resolver runs, over HTTP and graphql-ws alike (both execute through these plugins). Checked
 * per operation rather than per mutation field, so a mutation added later is covered too.
 */
export function useReadOnlyKeys(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!isReadOnly((args.contextValue as Context).principal)) return;
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError('this API key may only read (role read): mutations are refused', {
            extensions: { code: 'FORBIDDEN', http: { status: 403 } },
          }),
        ],
      });
    },
  };
}
