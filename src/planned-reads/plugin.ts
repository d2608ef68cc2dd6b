import type { DocumentNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { sqlAccessOf } from '../db/client.ts';
import { isDatabaseUnavailable, isDataException } from '../db/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Context } from '../schema/context.ts';
import { buildStatement, type Plan, planDocument } from './plan.ts';

/**
 * Answers the queries planned reads can plan (src/planned-reads/plan.ts) with one SQL statement,
 * on PostgreSQL. Every other document, and any request whose plan cannot run (a database error
 * other than an outage included), goes through the normal executor unchanged, which also raises the errors.
 */
export function usePlannedReads(logger: Logger): Plugin<Context> {
  // yoga's parser cache hands out one DocumentNode per document text, so plans are made once.
  const plans = new WeakMap<DocumentNode, Map<string, Plan | null>>();
  const failed = new WeakSet<Plan>();
  const planFor = (args: {
    schema: Parameters<typeof planDocument>[0];
    document: DocumentNode;
    operationName?: string | null;
  }) => {
    let byOperation = plans.get(args.document);
    if (!byOperation) {
      byOperation = new Map();
      plans.set(args.document, byOperation);
    }
    const name = args.operationName ?? '';
    let plan = byOperation.get(name);
    if (plan === undefined) {
      plan = planDocument(args.schema, args.document, args.operationName);
      byOperation.set(name, plan);
    }
    return plan;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as Context;
      const sql = sqlAccessOf(ctx.reader);
      if (!sql) return;
      const plan = planFor(args);
      if (!plan) return;
      const statement = buildStatement(args.schema, plan, args.variableValues, ctx);
      if (!statement) return;
      setExecuteFn(async (execArgs) => {
        let row: Record<string, unknown>;
        try {
          const result = await sql.query(statement.sql, statement.params);
          row = result.rows[0] ?? {};
        } catch (error) {
          // An outage answers as the resolvers would, without making the caller wait twice.
          if (isDatabaseUnavailable(error)) return statement.unavailable(error);
          // Input the database refuses (a NUL byte, a date out of its range: SQLSTATE class 22)
          // goes to the resolvers, which answer it with their coded error. Anything else is a
          // planner bug (the statement is wrong for this database): say so once per plan.
          if (!isDataException(error) && !failed.has(plan)) {
            failed.add(plan);
            logger.warn({ err: error, sql: statement.sql }, 'planned read failed; the resolvers answer it');
          }
          return executeFn(execArgs);
        }
        return { data: statement.shape(row) } satisfies ExecutionResult;
      });
    },
  };
}
