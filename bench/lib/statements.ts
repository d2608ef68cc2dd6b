import { buildApp } from '../../src/app.ts';
import { configFromEnv } from '../../src/config/config.ts';
import { createEngram } from '../../src/engram.ts';
import { BENCH_AUTHORIZATION, benchAugmentationEnv, benchEnv } from './env.ts';

export interface StatementCount {
  /** SQL statements each request ran, in request order. */
  perRequest: number[];
  /** The statements of the first request, in the order they ran. */
  sample: string[];
  /** The statements of the last request. */
  last: string[];
}

/**
 * Runs each body once through an in-process app whose database reports every statement.
 * This lives outside the measured server on purpose: Prisma's query events cost CPU of their own.
 * `authorization` gives each body's header (default the bench API key).
 * With `augmentation`, recorded turns are enqueued as in the measured server (never run here).
 * `env` overrides the app's settings (the search index is off unless it names one).
 */
export async function countStatements(
  databaseUrl: string,
  bodies: string[],
  check: (status: number, text: string, body: string) => string | null,
  {
    augmentation = false,
    authorization = () => BENCH_AUTHORIZATION,
    env: overrides = {},
  }: {
    augmentation?: boolean;
    authorization?: ((body: string) => string) | undefined;
    env?: Record<string, string>;
  } = {},
): Promise<StatementCount> {
  let statements: string[] = [];
  const env = augmentation ? benchAugmentationEnv(databaseUrl) : benchEnv(databaseUrl);
  // Turns are enqueued as in the measured server, never run here (a tool-role Engram runs nothing).
  const config = configFromEnv({
    ...env,
    MIGRATE_ON_START: false,
    VECTOR_INDEX: 'off',
    EMBEDDING_PROVIDER: 'none',
    AUGMENTATION: augmentation ? 'on' : 'off',
    ...overrides,
  });
  const engram = await createEngram(config, { role: 'tool', onQuery: (sql) => statements.push(sql) });
  const app = buildApp(engram);
  const result: StatementCount = { perRequest: [], sample: [], last: [] };
  try {
    for (const body of bodies) {
      statements = [];
      const response = await app.yoga.fetch('http://127.0.0.1/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          authorization: authorization(body),
        },
        body,
      });
      const problem = check(response.status, await response.text(), body);
      if (problem) throw new Error(`statement count request failed: ${problem}`);
      // Query events may be emitted after the result resolves; let them land.
      await new Promise((resolve) => setImmediate(resolve));
      result.perRequest.push(statements.length);
      if (result.sample.length === 0) result.sample = statements;
      result.last = statements;
    }
    return result;
  } finally {
    await app.stop();
    await engram.stop();
  }
}
