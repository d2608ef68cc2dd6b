/** Whether the slow suites run, and when they do not, how to run them. */
export type SlowSuitesDecision = { run: true } | { run: false; reason: string };

/**
 * The slow suites (crash tests, spawned servers, the hostile corpus) keep the everyday `npm test`
 * short; CI runs them (CI=true), and so does anyone who asks: ENGRAM_TEST_SLOW=1 (what
 * `npm run test:all` sets), or a vitest command line that names them (`--project 'slow-*'`,
 * `tests/vector-crash.slow.test.ts`).
 */
export function slowSuites(env: NodeJS.ProcessEnv, argv: readonly string[]): SlowSuitesDecision {
  if (env.CI === 'true' || env.CI === '1' || env.ENGRAM_TEST_SLOW === '1') return { run: true };
  if (argv.some((arg) => arg.includes('slow'))) {
    // Sticky for the later evaluations of the config in this run, whatever their argv.
    env.ENGRAM_TEST_SLOW = '1';
    return { run: true };
  }
  return {
    run: false,
    reason:
      "run them with `npm run test:all` (everything) or `npx vitest run --project 'slow-*'`; CI=true runs them too",
  };
}
