import { buildApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { BENCH_AUTHORIZATION, benchEnv } from './env.ts';

export interface StatementCount {
  /** SQL statements each request ran, in request order. */
  perRequest: number[];
  /** The statements of the first request, in the order they ran. */
  sample: string[];
}

/**
 * Runs each body once through an in-process app whose database reports every statement.
 * This lives outside the measured server on purpose: Prisma's query events cost CPU of their own.
 */
export async function countStatements(
  databaseUrl: string,
  bodies: string[],
  check: (status: number, text: string, body: string) => string | null,
): Promise<StatementCount> {
  let statements: string[] = [];
  const env = benchEnv(databaseUrl);
  const db = await openDatabase({ url: env.DATABASE_URL, onQuery: (sql) => statements.push(sql) });
  const app = buildApp({ env, db, logger: createLogger(env) });
  const result: StatementCount = { perRequest: [], sample: [] };
  try {
    for (const body of bodies) {
      statements = [];
      const response = await app.yoga.fetch('http://127.0.0.1/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          authorization: BENCH_AUTHORIZATION,
        },
        body,
      });
      const problem = check(response.status, await response.text(), body);
      if (problem) throw new Error(`statement count request failed: ${problem}`);
      // Query events may be emitted after the result resolves; let them land.
      await new Promise((resolve) => setImmediate(resolve));
      result.perRequest.push(statements.length);
      if (result.sample.length === 0) result.sample = statements;
    }
    return result;
  } finally {
    await app.stop();
    await db.$disconnect();
  }
}
