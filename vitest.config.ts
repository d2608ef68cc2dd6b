import { createRequire } from 'node:module';
import {
  configDefaults,
  defineConfig,
  type TestProjectInlineConfiguration,
  type ViteUserConfig,
} from 'vitest/config';
import { probeTestDatabases, type TestDatabaseKind } from './tests/helpers/probe.ts';
import { slowSuites } from './tests/helpers/slow-suites.ts';

const require = createRequire(import.meta.url);

/** Suites that open no database: they run once, in the `unit` project. */
const UNIT = 'tests/**/*.unit.test.ts';
/** Suites that spawn processes or take over ten seconds: `slow-<database>`, in CI or when asked. */
const SLOW = 'tests/**/*.slow.test.ts';

/**
 * Projects: `unit` (no database), then one per database for the rest of the suite: always
 * `sqlite`, and `postgresql` and `mariadb` when they answer (see tests/helpers/database.ts for
 * where). ENGRAM_TEST_REQUIRE=postgresql,mariadb turns a missing service into a failure instead of
 * a skip (CI sets it). The slow suites (`slow-sqlite`, `slow-postgresql`, `slow-mariadb`) run when
 * CI=true or ENGRAM_TEST_SLOW=1 (`npm run test:all`), or when the command line names one.
 */
export default defineConfig(async (): Promise<ViteUserConfig> => {
  const { available, skipped } = await probeTestDatabases();
  const slow = slowSuites(process.env, process.argv.slice(2));
  // The config is evaluated more than once per run: say it once.
  if (!process.env.ENGRAM_SKIPS_REPORTED) {
    process.env.ENGRAM_SKIPS_REPORTED = '1';
    for (const [kind, reason] of skipped) process.stdout.write(`\nSKIPPED the ${kind} suite: ${reason}\n`);
    if (!slow.run) process.stdout.write(`\nSKIPPED the slow suites (${SLOW}): ${slow.reason}\n`);
  }
  const required = (process.env.ENGRAM_TEST_REQUIRE ?? '').split(',').filter(Boolean);
  // Redis is not a test database: the suites that need it check it themselves (tests/helpers/redis.ts).
  const missing = required.filter(
    (kind) => kind !== 'redis' && !available.includes(kind as TestDatabaseKind),
  );
  if (missing.length > 0) throw new Error(`required test databases are unavailable: ${missing.join(', ')}`);

  const onDatabase = (kind: TestDatabaseKind, name: string, include: string[], exclude: string[] = []) =>
    ({
      extends: true,
      test: {
        name,
        include,
        exclude: [...configDefaults.exclude, ...exclude],
        env: { ENGRAM_TEST_DATABASE: kind },
      },
    }) satisfies TestProjectInlineConfiguration;
  const projects: TestProjectInlineConfiguration[] = [
    { extends: true, test: { name: 'unit', include: [UNIT] } },
    ...available.map((kind) => onDatabase(kind, kind, ['tests/**/*.test.ts'], [UNIT, SLOW])),
    ...(slow.run ? available.map((kind) => onDatabase(kind, `slow-${kind}`, [SLOW])) : []),
  ];
  return {
    resolve: {
      // graphql 16 has no "exports": Node (and so every dependency) loads its CommonJS build, while
      // Vite would pick the ESM one for our sources. Two copies break `instanceof`; use Node's.
      alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    },
    test: {
      reporters: ['default', './tests/helpers/summary-reporter.ts'],
      // Native drivers (better-sqlite3) are safest in child processes; each file gets its own database.
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      projects,
    },
  };
});
